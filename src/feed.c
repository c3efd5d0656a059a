/*
 * feed.c: the feeds: their kinds (one line each below), their configuration
 * (the feeds: list of vigild.yaml), and what every feed shares: state,
 * counters, errors and status.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feed.h"
#include "vigild.h"

static const struct feed_backend *const feed_backends[] = {
	&feed_sqs_backend,
	&feed_file_backend,
};

static const char *const feed_state_names[] = {
	[FEED_STARTING] = "starting",
	[FEED_RUNNING] = "running",
	[FEED_BACKOFF] = "backoff",
	[FEED_IDLE] = "idle",
	[FEED_STOPPING] = "stopping",
	[FEED_STOPPED] = "stopped",
};

#define OFF(f) offsetof(struct feed_conf, f)
static const struct cfg_key feed_common_keys[] = {
	{ "name", CFG_STRING, OFF(name), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The feed's name, in status, logs and the database." },
	{ "type", CFG_STRING, OFF(type), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The kind of feed: aws-sqs or file." },
	{ "enabled", CFG_BOOL, OFF(enabled), 0, 0, "true", NULL, 0,
	  "A disabled feed is configured but not started." },
};
#undef OFF

const char *
feed_state_name(enum feed_state s)
{
	return feed_state_names[s];
}

const struct feed_backend *
feed_backend_find(const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(feed_backends); i++) {
		if (strcmp(feed_backends[i]->type, type) == 0)
			return feed_backends[i];
	}
	return NULL;
}

static char *
feed_types(void)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < nitems(feed_backends); i++) {
		t = xprintf("%s%s%s", s, i > 0 ? ", " : "",
		    feed_backends[i]->type);
		free(s);
		s = t;
	}
	return s;
}

void
feed_conf_free(struct feed_conf *fc)
{
	if (fc == NULL || --fc->refs > 0)
		return;
	if (fc->backend != NULL && fc->opts != NULL) {
		cfg_section_free(fc->opts, fc->backend->keys,
		    fc->backend->nkeys);
		if (fc->backend->conf_free != NULL)
			fc->backend->conf_free(fc->opts);
	}
	free(fc->opts);
	cfg_section_free(fc, feed_common_keys, nitems(feed_common_keys));
	free(fc->file);
	free(fc);
}

struct feed_conf *
feed_conf_ref(struct feed_conf *fc)
{
	fc->refs++;
	return fc;
}

/* Same kind and same values for every key: a reload keeps it running. */
bool
feed_conf_equal(const struct feed_conf *a, const struct feed_conf *b)
{
	if (a->backend != b->backend)
		return false;
	return cfg_section_equal(a, b, feed_common_keys,
	    nitems(feed_common_keys)) && cfg_section_equal(a->opts, b->opts,
	    a->backend->keys, a->backend->nkeys);
}



/* One item of the feeds: list. */
static struct feed_conf *
feed_conf_parse(struct yamldoc *yd, yaml_node_t *n, const char *base,
    struct diags *d)
{
	const struct feed_backend	*be;
	struct feed_conf		*fc;
	struct cfg_layer		 layers[2];
	yaml_node_t			*tn;
	const char			*type;
	char				*types;
	size_t				 before = d->n;

	if (n->type != YAML_MAPPING_NODE) {
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "feeds: each feed is a mapping of keys to values, not %s",
		    yamldoc_type_name(n));
		return NULL;
	}
	if ((tn = yamldoc_map_value(yd, n, "type")) == NULL ||
	    (type = yamldoc_scalar(tn)) == NULL) {
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "feeds: missing required key 'type'");
		return NULL;
	}
	if ((be = feed_backend_find(type)) == NULL) {
		types = feed_types();
		diag_add(d, yd->file, yamldoc_line(tn), yamldoc_col(tn),
		    "type: unknown feed type '%s' (known: %s)", type, types);
		free(types);
		return NULL;
	}

	fc = xcalloc(1, sizeof *fc);
	fc->refs = 1;
	fc->backend = be;
	fc->opts = xcalloc(1, be->conf_size);
	fc->file = xstrdup(yd->file);
	fc->line = yamldoc_line(n);
	fc->col = yamldoc_col(n);
	layers[0] = (struct cfg_layer){ fc, feed_common_keys,
	    nitems(feed_common_keys) };
	layers[1] = (struct cfg_layer){ fc->opts, be->keys, be->nkeys };
	cfg_layers_parse(layers, 2, yd, n, base, d);
	if (d->n == before && !cfg_name_ok(fc->name))
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "name: '%s' may only hold letters, digits, '-', '_' and "
		    "'.'", fc->name);
	if (d->n == before && be->check != NULL)
		be->check(fc, d);
	if (d->n != before) {
		feed_conf_free(fc);
		return NULL;
	}
	return fc;
}

static void
feed_conf_list_free(void *slot)
{
	struct feed_conf_list	*l = slot;
	size_t			 i;

	for (i = 0; i < l->n; i++)
		feed_conf_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
feed_conf_list_parse(void *slot, struct yamldoc *yd, yaml_node_t *seq,
    const char *base, struct diags *d)
{
	struct feed_conf_list	*l = slot;
	struct feed_conf	*fc;
	yaml_node_item_t	*it;
	size_t			 i, before = d->n;

	for (it = YAMLDOC_ITEMS(seq); it < YAMLDOC_ITEMS_END(seq); it++) {
		fc = feed_conf_parse(yd, yamldoc_node(yd, *it), base, d);
		if (fc == NULL)
			continue;
		for (i = 0; i < l->n; i++) {
			if (strcmp(l->v[i]->name, fc->name) == 0)
				break;
		}
		if (i < l->n) {
			diag_add(d, yd->file, fc->line, fc->col,
			    "name: a feed named '%s' is already defined at "
			    "line %d", fc->name, l->v[i]->line);
			feed_conf_free(fc);
			continue;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = fc;
	}
	return d->n == before ? 0 : -1;
}

const struct cfg_list_ops feed_conf_list_ops = {
	feed_conf_list_parse,
	feed_conf_list_free,
};

/* Print every feed type's keys, for vigild -K. */
void
feed_keys_print(FILE *f)
{
	size_t	 i;

	cfg_keys_print(f, "feeds[].", feed_common_keys,
	    nitems(feed_common_keys));
	for (i = 0; i < nitems(feed_backends); i++) {
		char *prefix = xprintf("feeds[type=%s].",
		    feed_backends[i]->type);
		cfg_keys_print(f, prefix, feed_backends[i]->keys,
		    feed_backends[i]->nkeys);
		free(prefix);
	}
}

struct feed *
feed_start(struct vigil *v, struct feed_conf *fc, char **cause)
{
	struct feed	*f;

	f = xcalloc(1, sizeof *f);
	f->v = v;
	f->conf = feed_conf_ref(fc);
	f->name = fc->name;
	f->state = FEED_STARTING;
	if (fc->backend->start(f, cause) != 0) {
		feed_conf_free(f->conf);
		free(f);
		return NULL;
	}
	log_info("feed %s (%s) started", f->name, fc->type);
	return f;
}

/* Take no new messages; what is in flight still commits and is acked. */
void
feed_stop(struct feed *f)
{
	if (f->state == FEED_STOPPING || f->state == FEED_STOPPED)
		return;
	f->state = FEED_STOPPING;
	f->conf->backend->stop(f);
}

/* Stopped and nothing left in flight. */
bool
feed_idle(struct feed *f)
{
	return f->in_flight == 0 && f->pending_io == 0;
}

void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	f->conf->backend->free(f);
	feed_conf_free(f->conf);
	free(f->last_error);
	free(f);
}

void
feed_set_state(struct feed *f, enum feed_state s)
{
	if (f->state == FEED_STOPPING || f->state == FEED_STOPPED) {
		if (s != FEED_STOPPED)
			return;
	}
	f->state = s;
}

/* Note an error: counted, kept for status, logged. */
void
feed_error(struct feed *f, const char *fmt, ...)
{
	va_list	 ap;

	f->errors++;
	free(f->last_error);
	va_start(ap, fmt);
	xvasprintf(&f->last_error, fmt, ap);
	va_end(ap);
	f->last_error_ms = now_ms();
	metrics_add(M_ERRORS, "feed", 1);
	log_warnx("feed %s: %s", f->name, f->last_error);
}

json_t *
feed_status(struct feed *f)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I}",
	    "name", f->name,
	    "type", f->conf->type,
	    "state", feed_state_name(f->state),
	    "in_flight", (json_int_t)f->in_flight,
	    "received", (json_int_t)f->received,
	    "committed", (json_int_t)f->committed,
	    "acknowledged", (json_int_t)f->acked,
	    "retried", (json_int_t)f->retried,
	    "dead_lettered", (json_int_t)f->dead,
	    "duplicates", (json_int_t)f->duplicates,
	    "events_stored", (json_int_t)f->events,
	    "errors", (json_int_t)f->errors);
	if (f->last_message_ms != 0) {
		t = time_iso8601(f->last_message_ms);
		json_object_set_new(o, "last_message_at", json_string(t));
		free(t);
		json_object_set_new(o, "lag_seconds",
		    json_real((double)f->lag_ms / 1000.0));
	}
	if (f->last_error != NULL) {
		t = time_iso8601(f->last_error_ms);
		json_object_set_new(o, "last_error", json_string(f->last_error));
		json_object_set_new(o, "last_error_at", json_string(t));
		free(t);
	}
	if (f->conf->backend->status != NULL)
		f->conf->backend->status(f, o);
	return o;
}
