/*
 * notify.c: where alerts go.  The channels (the notify: list of
 * vigild.yaml, one backend each: the table below), routing (each channel's
 * filters and the transitions it hears), storm control, the initial sweep's
 * summary, and the delivery of the outbox.
 *
 * notify_enqueue() runs inside the caller's transaction: the rows it writes
 * commit with the violation change they report, or not at all.  Delivery
 * runs from the loop: due rows are marked sending, handed to their
 * channel's backend, and marked delivered only when the receiver said so;
 * a transient failure is tried again later (exponential backoff with
 * jitter, or what Retry-After said), a permanent one stops and shows as
 * failed.  Rows that a crash left sending are due again at start.
 *
 * Storm control: when a channel hears more than storm_threshold opens within
 * storm_window, a digest row starts collecting; the opens of the window not
 * sent yet, and those that follow until the window closes, are folded into
 * it (state digested), and the digest is sent when the window closes.  All
 * of it is rows in the outbox, so a crash loses nothing.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "notify.h"
#include "vigild.h"

#define NOTIFY_MAX_JOBS		256		/* in flight, all channels */
#define NOTIFY_TIMER_MAX_MS	(60 * 1000)
#define NOTIFY_BUSY_MS		1000		/* due rows left waiting */
#define NOTIFY_SUMMARY_MAX_MS	(6LL * 3600 * 1000)
#define NOTIFY_METRICS_MS	1000
#define NOTIFY_PRUNE_MS		(3600 * 1000)	/* how often */
#define NOTIFY_KEEP_MS		(30LL * 86400 * 1000) /* delivered rows */

static const struct notify_backend *const notify_backend_table[] = {
	&notify_slack_backend,
	&notify_email_backend,
	&notify_webhook_backend,
	&notify_pagerduty_backend,
	&notify_jira_backend,
	&notify_teams_backend,
	&notify_stdout_backend,
};

#define OFF(f) offsetof(struct notify_conf, f)
static const struct cfg_key notify_common_keys[] = {
	{ "name", CFG_STRING, OFF(name), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The channel's name, in status, logs and the outbox." },
	{ "type", CFG_STRING, OFF(type), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The kind of channel: slack, email, webhook, pagerduty, jira, "
	  "teams or stdout." },
	{ "enabled", CFG_BOOL, OFF(enabled), 0, 0, "true", NULL, 0,
	  "A disabled channel is configured but hears nothing." },
	{ "min_severity", CFG_ENUM, OFF(min_severity), 0, 0, "info",
	  "info|low|medium|high|critical", 0,
	  "The least severe violations the channel hears." },
	{ "rules", CFG_STRLIST, OFF(rules), 0, 0, NULL, NULL, 0,
	  "Rule id patterns (shell globs); default: every rule." },
	{ "frameworks", CFG_STRLIST, OFF(frameworks), 0, 0, NULL, NULL, 0,
	  "Only rules mapped to one of these frameworks (globs)." },
	{ "accounts", CFG_STRLIST, OFF(accounts), 0, 0, NULL, NULL, 0,
	  "Only assets in these accounts or subscriptions (globs)." },
	{ "asset_types", CFG_STRLIST, OFF(asset_types), 0, 0, NULL, NULL, 0,
	  "Only assets of these types (globs)." },
	{ "tags", CFG_STRLIST, OFF(tags), 0, 0, NULL, NULL, 0,
	  "Only assets carrying every one of these key=value tags (the "
	  "value a glob)." },
	{ "on", CFG_STRLIST, OFF(on), 0, 0,
	  "[open, resolve, excepted, exception_expired]", NULL, 0,
	  "The transitions the channel hears." },
	{ "storm_threshold", CFG_INT, OFF(storm_threshold), 0, 100000, "10",
	  NULL, 0,
	  "More opens than this within storm_window become one digest; 0: "
	  "never." },
	{ "storm_window", CFG_DURATION, OFF(storm_window), 1, 86400, "5m",
	  NULL, 0, "The storm control window; a digest is sent when it "
	  "closes." },
	{ "alert_on_initial_sweep", CFG_BOOL, OFF(alert_on_initial_sweep), 0,
	  0, "false", NULL, 0,
	  "Alert on each violation the first full sweep finds, instead of "
	  "one summary." },
	{ "concurrency", CFG_INT, OFF(concurrency), 1, 64, "4", NULL, 0,
	  "Deliveries in flight at once." },
	{ "timeout", CFG_DURATION, OFF(timeout), 1, 600, "30s", NULL, 0,
	  "How long one delivery attempt may take." },
	{ "retry_min", CFG_DURATION, OFF(retry_min), 1, 86400, "30s", NULL, 0,
	  "The first wait after a failed delivery; it doubles each time." },
	{ "retry_max", CFG_DURATION, OFF(retry_max), 1, 86400, "1h", NULL, 0,
	  "The longest wait between two deliveries of one notification." },
	{ "give_up_after", CFG_DURATION, OFF(give_up_after), 60,
	  100LL * 86400, "3d", NULL, 0,
	  "A notification still not delivered this long after it was "
	  "written is marked failed." },
};
#undef OFF

const struct cfg_key *const notify_key_table = notify_common_keys;
const size_t notify_nkeys = nitems(notify_common_keys);

struct notify_channel {
	int			 refs;		/* the notifier's, each job's */
	struct notify_conf	*conf;
	const char		*name;
	size_t			 in_flight;
	uint64_t		 delivered;
	uint64_t		 retried;
	uint64_t		 failed;
	char			*last_error;
	int64_t			 last_error_ms;
	int64_t			 last_delivered_ms;
};

struct notify_jobq {
	TAILQ_ENTRY(notify_jobq) entry;
	struct notify_job	 job;
	char			*what;		/* the receiver, redacted */
	struct event		*defer;
};

struct notify {
	struct vigil		*v;
	struct event		*pump_ev;
	struct event		*timer;
	struct notify_channel	**channels;
	size_t			  nchannels;
	TAILQ_HEAD(, notify_jobq) jobs;
	size_t			  njobs;
	int64_t			  metrics_ms;
	int64_t			  pruned_ms;
	char			**depth_labels;	/* channels given a gauge */
	size_t			  ndepth_labels;
	bool			  stopping;
};

static void	notify_pump_cb(evutil_socket_t, short, void *);
static void	notify_update_metrics(struct notify *, bool);

const struct notify_backend *const *
notify_backends(size_t *n)
{
	*n = nitems(notify_backend_table);
	return notify_backend_table;
}

const struct notify_backend *
notify_backend_find(const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(notify_backend_table); i++) {
		if (strcmp(notify_backend_table[i]->type, type) == 0)
			return notify_backend_table[i];
	}
	return NULL;
}

static char *
notify_types(void)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < nitems(notify_backend_table); i++) {
		t = xprintf("%s%s%s", s, i > 0 ? ", " : "",
		    notify_backend_table[i]->type);
		free(s);
		s = t;
	}
	return s;
}

/* Configuration: the notify: list. */

void
notify_conf_free(struct notify_conf *nc)
{
	if (nc == NULL || --nc->refs > 0)
		return;
	if (nc->backend != NULL && nc->opts != NULL) {
		cfg_section_free(nc->opts, nc->backend->keys,
		    nc->backend->nkeys);
		if (nc->backend->conf_free != NULL)
			nc->backend->conf_free(nc->opts);
	}
	free(nc->opts);
	cfg_section_free(nc, notify_common_keys, nitems(notify_common_keys));
	free(nc->file);
	free(nc);
}

struct notify_conf *
notify_conf_ref(struct notify_conf *nc)
{
	nc->refs++;
	return nc;
}

bool
notify_conf_equal(const struct notify_conf *a, const struct notify_conf *b)
{
	if (a->backend != b->backend)
		return false;
	return cfg_section_equal(a, b, notify_common_keys,
	    nitems(notify_common_keys)) && cfg_section_equal(a->opts, b->opts,
	    a->backend->keys, a->backend->nkeys);
}



/* The filters and the transitions heard, checked once at load. */
static void
notify_conf_check(struct notify_conf *nc, struct diags *d)
{
	size_t	 i;
	int	 t;

	nc->on_mask = 0;
	for (i = 0; i < nc->on.n; i++) {
		t = notify_transition_parse(nc->on.v[i]);
		if (t < 0 || t > NOTIFY_EXCEPTION_EXPIRED) {
			diag_add(d, nc->file, nc->line, nc->col, "on: '%s' is "
			    "not a transition (open, resolve, excepted, "
			    "exception_expired)", nc->on.v[i]);
			continue;
		}
		nc->on_mask |= 1u << t;
	}
	for (i = 0; i < nc->tags.n; i++) {
		if (strchr(nc->tags.v[i], '=') == NULL ||
		    nc->tags.v[i][0] == '=')
			diag_add(d, nc->file, nc->line, nc->col, "tags: '%s' is "
			    "not key=value", nc->tags.v[i]);
	}
	if (nc->retry_max < nc->retry_min)
		diag_add(d, nc->file, nc->line, nc->col, "retry_max is shorter "
		    "than retry_min");
}

/* One item of the notify: list. */
static struct notify_conf *
notify_conf_parse(struct yamldoc *yd, yaml_node_t *n, const char *base,
    struct diags *d)
{
	const struct notify_backend	*be;
	struct notify_conf		*nc;
	struct cfg_layer		 layers[2];
	yaml_node_t			*tn;
	const char			*type;
	char				*types;
	size_t				 before = d->n;

	if (n->type != YAML_MAPPING_NODE) {
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "notify: each channel is a mapping of keys to values, not "
		    "%s", yamldoc_type_name(n));
		return NULL;
	}
	if ((tn = yamldoc_map_value(yd, n, "type")) == NULL ||
	    (type = yamldoc_scalar(tn)) == NULL) {
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "notify: missing required key 'type'");
		return NULL;
	}
	if ((be = notify_backend_find(type)) == NULL) {
		types = notify_types();
		diag_add(d, yd->file, yamldoc_line(tn), yamldoc_col(tn),
		    "type: unknown channel type '%s' (known: %s)", type, types);
		free(types);
		return NULL;
	}

	nc = xcalloc(1, sizeof *nc);
	nc->refs = 1;
	nc->backend = be;
	nc->opts = xcalloc(1, be->conf_size);
	nc->file = xstrdup(yd->file);
	nc->line = yamldoc_line(n);
	nc->col = yamldoc_col(n);
	layers[0] = (struct cfg_layer){ nc, notify_common_keys,
	    nitems(notify_common_keys) };
	layers[1] = (struct cfg_layer){ nc->opts, be->keys, be->nkeys };
	cfg_layers_parse(layers, 2, yd, n, base, d);
	if (d->n == before && !cfg_name_ok(nc->name))
		diag_add(d, yd->file, nc->line, nc->col, "name: '%s' may only "
		    "hold letters, digits, '-', '_' and '.'", nc->name);
	if (d->n == before)
		notify_conf_check(nc, d);
	if (d->n == before && be->check != NULL)
		be->check(nc, d);
	if (d->n != before) {
		notify_conf_free(nc);
		return NULL;
	}
	return nc;
}

static void
notify_conf_list_free(void *slot)
{
	struct notify_conf_list	*l = slot;
	size_t			 i;

	for (i = 0; i < l->n; i++)
		notify_conf_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
notify_conf_list_parse(void *slot, struct yamldoc *yd, yaml_node_t *seq,
    const char *base, struct diags *d)
{
	struct notify_conf_list	*l = slot;
	struct notify_conf	*nc;
	yaml_node_item_t	*it;
	size_t			 i, before = d->n;

	for (it = YAMLDOC_ITEMS(seq); it < YAMLDOC_ITEMS_END(seq); it++) {
		nc = notify_conf_parse(yd, yamldoc_node(yd, *it), base, d);
		if (nc == NULL)
			continue;
		for (i = 0; i < l->n; i++) {
			if (strcmp(l->v[i]->name, nc->name) == 0)
				break;
		}
		if (i < l->n) {
			diag_add(d, yd->file, nc->line, nc->col,
			    "name: a channel named '%s' is already defined at "
			    "line %d", nc->name, l->v[i]->line);
			notify_conf_free(nc);
			continue;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = nc;
	}
	return d->n == before ? 0 : -1;
}

const struct cfg_list_ops notify_conf_list_ops = {
	notify_conf_list_parse,
	notify_conf_list_free,
};

/* Every channel type's keys, for vigild -K. */
void
notify_keys_print(FILE *f)
{
	char	*prefix;
	size_t	 i;

	cfg_keys_print(f, "notify[].", notify_common_keys,
	    nitems(notify_common_keys));
	for (i = 0; i < nitems(notify_backend_table); i++) {
		prefix = xprintf("notify[type=%s].",
		    notify_backend_table[i]->type);
		cfg_keys_print(f, prefix, notify_backend_table[i]->keys,
		    notify_backend_table[i]->nkeys);
		free(prefix);
	}
}

/* Routing. */

static bool
notify_glob_any(const struct strlist *l, const char *s)
{
	size_t	 i;

	if (l->n == 0)
		return true;
	if (s == NULL)
		return false;
	for (i = 0; i < l->n; i++) {
		if (fnmatch(l->v[i], s, 0) == 0)
			return true;
	}
	return false;
}

/* Does a channel's filter let this notification through? */
bool
notify_match(const struct notify_conf *nc, const json_t *doc)
{
	json_t		*fw, *tags;
	const json_t	*v;
	const char	*fk, *sev;
	char		*k, *eq;
	size_t		 i;
	bool		 ok;

	sev = notify_str(doc, "rule.severity");
	if (sev == NULL || notify_severity_parse(sev) < nc->min_severity) {
		if (nc->min_severity > NOTIFY_SEV_INFO)
			return false;
	}
	if (!notify_glob_any(&nc->rules, notify_str(doc, "rule.id")) ||
	    !notify_glob_any(&nc->accounts, notify_str(doc, "asset.account")) ||
	    !notify_glob_any(&nc->asset_types, notify_str(doc, "asset.type")))
		return false;
	if (nc->frameworks.n > 0) {
		fw = json_object_get(json_object_get(doc, "rule"),
		    "frameworks");
		ok = false;
		json_object_foreach(fw, fk, v) {
			if (notify_glob_any(&nc->frameworks, fk)) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return false;
	}
	tags = json_object_get(json_object_get(doc, "asset"), "tags");
	for (i = 0; i < nc->tags.n; i++) {
		k = xstrdup(nc->tags.v[i]);
		eq = strchr(k, '=');
		*eq++ = '\0';
		v = json_object_get(tags, k);
		ok = json_is_string(v) &&
		    fnmatch(eq, json_string_value(v), 0) == 0;
		free(k);
		if (!ok)
			return false;
	}
	return true;
}

/* Channels. */

static void
notify_channel_unref(struct notify_channel *ch)
{
	if (ch == NULL || --ch->refs > 0)
		return;
	notify_conf_free(ch->conf);
	free(ch->last_error);
	free(ch);
}

static struct notify_channel *
notify_channel_find(struct notify *n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n->nchannels; i++) {
		if (strcmp(n->channels[i]->name, name) == 0)
			return n->channels[i];
	}
	return NULL;
}

/*
 * The enabled channels of conf: an unchanged one goes on (with the new
 * configuration's entry), a changed or new one starts afresh.  Jobs in
 * flight keep the channel they started with.
 */
static void
notify_channels(struct notify *n, const struct config *conf)
{
	struct notify_channel	**next, *ch;
	struct notify_conf	*nc;
	size_t			  i, j, nnext = 0;

	next = conf->notify.n > 0 ? xcalloc(conf->notify.n, sizeof *next) :
	    NULL;
	for (i = 0; i < conf->notify.n; i++) {
		nc = conf->notify.v[i];
		if (!nc->enabled)
			continue;
		ch = NULL;
		for (j = 0; j < n->nchannels; j++) {
			if (n->channels[j] != NULL && strcmp(n->channels[j]->name,
			    nc->name) == 0 && notify_conf_equal(
			    n->channels[j]->conf, nc)) {
				ch = n->channels[j];
				n->channels[j] = NULL;
				notify_conf_free(ch->conf);
				ch->conf = notify_conf_ref(nc);
				ch->name = nc->name;
				break;
			}
		}
		if (ch == NULL) {
			ch = xcalloc(1, sizeof *ch);
			ch->refs = 1;
			ch->conf = notify_conf_ref(nc);
			ch->name = nc->name;
			log_info("notify: channel %s (%s)", ch->name, nc->type);
		}
		next[nnext++] = ch;
	}
	for (j = 0; j < n->nchannels; j++) {
		if (n->channels[j] != NULL)
			log_info("notify: channel %s removed or changed",
			    n->channels[j]->name);
		notify_channel_unref(n->channels[j]);
	}
	free(n->channels);
	n->channels = next;
	n->nchannels = nnext;
}

/* Enqueue: inside the caller's transaction. */

/* A short form of a notification, for digests and summaries. */
static json_t *
notify_item(const json_t *doc)
{
	const json_t	*v = json_object_get(doc, "violation");
	const json_t	*r = json_object_get(doc, "rule");
	const json_t	*a = json_object_get(doc, "asset");
	json_t		*o;

	o = json_pack("{s:O?, s:O?, s:{s:O?, s:O?}, s:{s:O?, s:O?, s:O?}, "
	    "s:{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}}",
	    "key", json_object_get(doc, "key"),
	    "transition", json_object_get(doc, "transition"),
	    "violation",
	      "id", json_object_get(v, "id"),
	      "occurrence", json_object_get(v, "occurrence"),
	    "rule",
	      "id", json_object_get(r, "id"),
	      "title", json_object_get(r, "title"),
	      "severity", json_object_get(r, "severity"),
	    "asset",
	      "provider", json_object_get(a, "provider"),
	      "type", json_object_get(a, "type"),
	      "id", json_object_get(a, "id"),
	      "name", json_object_get(a, "name"),
	      "account", json_object_get(a, "account"),
	      "region", json_object_get(a, "region"));
	if (o == NULL)
		fatalx("json_pack: out of memory");
	return o;
}

static char *
notify_dumps(const json_t *doc)
{
	char	*s;

	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	return s;
}

static void
notify_row_fill(struct outbox_new *o, const struct notify_conf *nc,
    const json_t *doc, int64_t now)
{
	memset(o, 0, sizeof *o);
	o->channel = nc->name;
	o->type = nc->type;
	o->key = notify_str(doc, "key");
	o->kind = "transition";
	o->transition = notify_str(doc, "transition");
	o->violation = json_integer_value(json_object_get(json_object_get(doc,
	    "violation"), "id"));
	o->occurrence = json_integer_value(json_object_get(
	    json_object_get(doc, "violation"), "occurrence"));
	o->severity = notify_str(doc, "rule.severity");
	o->rule = notify_str(doc, "rule.id");
	o->asset = notify_str(doc, "asset.id");
	o->next_attempt_at = now;
	o->created_at = now;
}

/* Count a transition of the initial sweep into the channel's summary. */
static int
notify_summary_add(struct notify *n, struct store *st,
    const struct notify_conf *nc, const json_t *doc, int64_t now,
    char **cause)
{
	struct outbox_new	 o;
	struct outbox_row	 row;
	json_t			*sum, *g, *by;
	const char		*sev;
	char			*key, *text, *t;
	int64_t			 id;
	int			 rc;

	if ((id = store_outbox_collecting(st, nc->name, "summary",
	    cause)) < 0)
		return -1;
	if (id == 0) {
		t = time_iso8601(now);
		key = xprintf("summary.%lld", (long long)now);
		sum = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:i, s:{}, s:[], "
		    "s:i}}", "schema", NOTIFY_SCHEMA, "transition", "summary",
		    "key", key, "channel", nc->name, "summary", "started_at",
		    t, "count", 0, "by_severity", "items", "more", 0);
		free(t);
		free(key);
		memset(&o, 0, sizeof o);
		o.channel = nc->name;
		o.type = nc->type;
		o.key = notify_str(sum, "key");
		o.kind = "summary";
		o.transition = "summary";
		text = notify_dumps(sum);
		o.notification = text;
		o.state = "collecting";
		o.next_attempt_at = now + NOTIFY_SUMMARY_MAX_MS;
		o.created_at = now;
		rc = store_outbox_put(st, &o, &id, cause);
		free(text);
		if (rc != 0) {
			json_decref(sum);
			return -1;
		}
	} else {
		if ((rc = store_outbox_row(st, id, &row, cause)) != 1)
			return -1;
		sum = json_loads(row.notification, 0, NULL);
		outbox_row_clear(&row);
		if (sum == NULL) {
			*cause = xprintf("outbox row %lld: not JSON",
			    (long long)id);
			return -1;
		}
	}
	g = json_object_get(sum, "summary");
	json_object_set_new(g, "count", json_integer(json_integer_value(
	    json_object_get(g, "count")) + 1));
	by = json_object_get(g, "by_severity");
	sev = (sev = notify_str(doc, "rule.severity")) != NULL ? sev : "info";
	json_object_set_new(by, sev, json_integer(json_integer_value(
	    json_object_get(by, sev)) + 1));
	if (json_array_size(json_object_get(g, "items")) < NOTIFY_DIGEST_ITEMS)
		json_array_append_new(json_object_get(g, "items"),
		    notify_item(doc));
	else
		json_object_set_new(g, "more", json_integer(json_integer_value(
		    json_object_get(g, "more")) + 1));
	text = notify_dumps(sum);
	rc = store_outbox_update_notification(st, id, text, cause);
	free(text);
	json_decref(sum);
	return rc;
}

/*
 * Storm control for an open: 1 if it went into a digest (written), 0 if it
 * is to be sent on its own, -1 on error.
 */
static int
notify_storm(struct notify *n, struct store *st, const struct notify_conf *nc,
    const json_t *doc, const char *text, int64_t now, char **cause)
{
	struct outbox_new	 o;
	json_t			*dg;
	char			*key, *t0, *t1, *dtext;
	int64_t			 digest, count, id;
	int			 rc;

	if ((digest = store_outbox_collecting(st, nc->name, "digest",
	    cause)) < 0)
		return -1;
	if (digest == 0) {
		if (store_outbox_opens_since(st, nc->name,
		    now - nc->storm_window, &count, cause) != 0)
			return -1;
		if (count < nc->storm_threshold)
			return 0;
		t0 = time_iso8601(now);
		t1 = time_iso8601(now + nc->storm_window);
		key = xprintf("digest.%lld.%lld", (long long)now,
		    (long long)count);
		dg = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "schema",
		    NOTIFY_SCHEMA, "transition", "digest", "key", key,
		    "channel", nc->name, "digest", "window_start", t0,
		    "window_end", t1);
		free(t0);
		free(t1);
		free(key);
		memset(&o, 0, sizeof o);
		o.channel = nc->name;
		o.type = nc->type;
		o.key = notify_str(dg, "key");
		o.kind = "digest";
		o.transition = "digest";
		dtext = notify_dumps(dg);
		o.notification = dtext;
		o.state = "collecting";
		o.next_attempt_at = now + nc->storm_window;
		o.created_at = now;
		rc = store_outbox_put(st, &o, &digest, cause);
		free(dtext);
		json_decref(dg);
		if (rc != 0)
			return -1;
		if (digest == 0) {
			*cause = xprintf("channel %s: a digest with the same "
			    "key exists", nc->name);
			return -1;
		}
		log_info("notify %s: more than %lld opens within %s: storm "
		    "control, one digest (#%lld) until the window closes",
		    nc->name, (long long)nc->storm_threshold,
		    (t0 = format_duration(nc->storm_window)),
		    (long long)digest);
		free(t0);
		if (store_outbox_fold(st, nc->name, digest,
		    now - nc->storm_window, cause) != 0)
			return -1;
	}
	notify_row_fill(&o, nc, doc, now);
	o.notification = text;
	o.state = "digested";
	o.digest = digest;
	return store_outbox_put(st, &o, &id, cause) == 0 ? 1 : -1;
}

/*
 * Route a violation transition to every channel that hears it, writing
 * outbox rows inside the caller's open transaction.  initial_sweep: the
 * first full inventory after start, which only adds to each channel's
 * summary unless the channel asks for alerts then.  Call notify_kick()
 * after the commit.
 */
int
notify_enqueue(struct notify *n, struct store *st, json_t *doc,
    bool initial_sweep, char **cause)
{
	struct notify_channel	*ch;
	struct notify_conf	*nc;
	struct outbox_new	 o;
	json_t			*payload;
	const char		*tname, *key;
	char			*text, *ptext, *why = NULL, *err;
	int64_t			 now = now_ms(), id;
	size_t			 i;
	int			 t, rc;

	if ((tname = notify_str(doc, "transition")) == NULL ||
	    (t = notify_transition_parse(tname)) < 0 ||
	    t > NOTIFY_EXCEPTION_EXPIRED) {
		*cause = xprintf("notification: bad or missing transition "
		    "'%s'", tname != NULL ? tname : "");
		return -1;
	}
	if ((key = notify_str(doc, "key")) == NULL || *key == '\0') {
		*cause = xstrdup("notification: missing key");
		return -1;
	}
	if (json_object_get(doc, "schema") == NULL)
		json_object_set_new(doc, "schema", json_string(NOTIFY_SCHEMA));
	text = notify_dumps(doc);
	for (i = 0; i < n->nchannels; i++) {
		ch = n->channels[i];
		nc = ch->conf;
		if (!(nc->on_mask & (1u << t)) || !notify_match(nc, doc))
			continue;
		if (initial_sweep && !nc->alert_on_initial_sweep) {
			if (notify_summary_add(n, st, nc, doc, now, cause) != 0)
				goto fail;
			continue;
		}
		if (t == NOTIFY_OPEN && nc->storm_threshold > 0) {
			if ((rc = notify_storm(n, st, nc, doc, text, now,
			    cause)) < 0)
				goto fail;
			if (rc == 1)
				continue;
		}
		notify_row_fill(&o, nc, doc, now);
		o.notification = text;
		o.state = "pending";
		ptext = NULL;
		if ((payload = nc->backend->render(nc, doc, &why)) == NULL) {
			/* Kept, and visible: the receiver never sees it. */
			err = xprintf("cannot render: %s", why);
			log_warnx("notify %s: %s: %s", nc->name, key, err);
			metrics_add(M_ERRORS, "notify", 1);
			free(why);
			why = NULL;
			o.state = "failed";
		} else {
			ptext = notify_dumps(payload);
			json_decref(payload);
			err = NULL;
		}
		o.payload = ptext;
		rc = store_outbox_put(st, &o, &id, cause);
		if (rc == 0 && err != NULL && id != 0)
			rc = store_outbox_failed(st, id, err, cause);
		free(ptext);
		free(err);
		if (rc != 0)
			goto fail;
	}
	free(text);
	return 0;

fail:
	free(text);
	return -1;
}

/*
 * The initial sweep is over (inside the caller's transaction): each
 * channel that stayed quiet gets its summary, even of nothing found.
 */
int
notify_sweep_end(struct notify *n, struct store *st, char **cause)
{
	struct notify_conf	*nc;
	struct outbox_new	 o;
	json_t			*empty;
	char			*key, *text, *t;
	int64_t			 id, now = now_ms();
	size_t			 i;
	int			 rc;

	for (i = 0; i < n->nchannels; i++) {
		nc = n->channels[i]->conf;
		if (nc->alert_on_initial_sweep ||
		    !(nc->on_mask & (1u << NOTIFY_OPEN)))
			continue;
		if ((id = store_outbox_collecting(st, nc->name, "summary",
		    cause)) < 0)
			return -1;
		if (id != 0) {
			/* Due now: the pump renders it. */
			if (store_outbox_close_now(st, id, now, cause) != 0)
				return -1;
			continue;
		}
		t = time_iso8601(now);
		key = xprintf("summary.%lld", (long long)now);
		empty = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:i, s:{}, "
		    "s:[], s:i}}", "schema", NOTIFY_SCHEMA, "transition",
		    "summary", "key", key, "channel", nc->name, "summary",
		    "started_at", t, "count", 0, "by_severity", "items",
		    "more", 0);
		free(t);
		free(key);
		memset(&o, 0, sizeof o);
		o.channel = nc->name;
		o.type = nc->type;
		o.key = notify_str(empty, "key");
		o.kind = "summary";
		o.transition = "summary";
		text = notify_dumps(empty);
		o.notification = text;
		o.state = "collecting";
		o.next_attempt_at = now;
		o.created_at = now;
		rc = store_outbox_put(st, &o, &id, cause);
		free(text);
		json_decref(empty);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Delivery. */

void
notify_kick(struct notify *n)
{
	if (n != NULL && !n->stopping &&
	    !event_pending(n->pump_ev, EV_TIMEOUT, NULL))
		event_active(n->pump_ev, EV_TIMEOUT, 0);
}

static void
notify_db_error(const char *what, char *cause)
{
	metrics_add(M_ERRORS, "database", 1);
	log_warnx("notify: %s: %s", what, cause);
	free(cause);
}

/* A digest's or a summary's window closed: render it, due now. */
static void
notify_close(struct notify *n, int64_t id, int64_t now)
{
	struct store		*st = n->v->store;
	struct notify_channel	*ch;
	struct outbox_row	 row;
	json_t			*doc, *items, *g, *by, *it;
	json_t			*payload = NULL;
	const char		*sev;
	char			*cause = NULL, *text, *ptext, *t;
	int64_t			 total;
	size_t			 i;

	if (store_outbox_row(st, id, &row, &cause) != 1) {
		if (cause != NULL)
			notify_db_error("digest", cause);
		return;
	}
	if ((ch = notify_channel_find(n, row.channel)) == NULL ||
	    (doc = json_loads(row.notification, 0, NULL)) == NULL) {
		outbox_row_clear(&row);
		return;		/* the channel is gone: wait for it */
	}
	if (strcmp(row.kind, "digest") == 0) {
		g = json_object_get(doc, "digest");
		if ((items = store_outbox_digest_items(st, id,
		    NOTIFY_DIGEST_ITEMS, &total, &cause)) == NULL) {
			notify_db_error("digest", cause);
			json_decref(doc);
			outbox_row_clear(&row);
			return;
		}
		by = json_object();
		json_array_foreach(items, i, it) {
			sev = notify_str(it, "rule.severity");
			sev = sev != NULL ? sev : "info";
			json_object_set_new(by, sev, json_integer(
			    json_integer_value(json_object_get(by, sev)) + 1));
			json_array_set_new(items, i, notify_item(it));
		}
		json_object_set_new(g, "count", json_integer(total));
		json_object_set_new(g, "more", json_integer(total -
		    (int64_t)json_array_size(items)));
		json_object_set_new(g, "items", items);
		json_object_set_new(g, "by_severity_listed", by);
	} else {
		g = json_object_get(doc, "summary");
		t = time_iso8601(now);
		json_object_set_new(g, "ended_at", json_string(t));
		free(t);
	}
	text = notify_dumps(doc);
	if ((payload = ch->conf->backend->render(ch->conf, doc, &cause)) ==
	    NULL) {
		log_warnx("notify %s: %s: cannot render: %s", ch->name,
		    row.key, cause);
		if (store_outbox_render(st, id, text, NULL, now, &cause) != 0 ||
		    store_outbox_failed(st, id, "cannot render", &cause) != 0)
			notify_db_error("digest", cause);
		else
			free(cause);
	} else {
		ptext = notify_dumps(payload);
		if (store_outbox_render(st, id, text, ptext, now, &cause) != 0)
			notify_db_error("digest", cause);
		free(ptext);
		json_decref(payload);
	}
	free(text);
	json_decref(doc);
	outbox_row_clear(&row);
}

static void
notify_job_free(struct notify_jobq *q)
{
	struct notify_job	*job = &q->job;

	free(job->key);
	free(job->kind);
	json_decref(job->notification);
	json_decref(job->payload);
	free(job->ref);
	free(job->open_ref);
	free(q->what);
	if (q->defer != NULL)
		event_free(q->defer);
	notify_channel_unref(job->ch);
	free(q);
}

static void
notify_start_job(struct notify *n, struct notify_channel *ch,
    struct outbox_row *row)
{
	struct store		*st = n->v->store;
	struct notify_jobq	*q;
	struct notify_job	*job;
	char			*cause = NULL;
	int			 t;

	if (store_outbox_sending(st, row->id, &cause) != 0) {
		notify_db_error("sending", cause);
		return;
	}
	q = xcalloc(1, sizeof *q);
	job = &q->job;
	job->n = n;
	job->ch = ch;
	ch->refs++;
	job->conf = ch->conf;
	job->id = row->id;
	job->key = xstrdup(row->key);
	job->kind = xstrdup(row->kind);
	t = notify_transition_parse(row->transition != NULL ?
	    row->transition : "test");
	job->transition = t >= 0 ? (enum notify_transition)t : NOTIFY_TEST;
	job->violation = row->violation;
	job->occurrence = row->occurrence;
	job->notification = json_loads(row->notification, 0, NULL);
	job->payload = row->payload != NULL ? json_loads(row->payload, 0,
	    NULL) : NULL;
	job->attempts = row->attempts;
	job->step = row->step;
	job->ref = row->remote_ref != NULL ? xstrdup(row->remote_ref) : NULL;
	job->started_mono = mono_ms();
	TAILQ_INSERT_TAIL(&n->jobs, q, entry);
	n->njobs++;
	ch->in_flight++;
	if (job->violation != 0 && job->transition != NOTIFY_OPEN) {
		job->open_ref = store_outbox_ref_get(st, ch->name,
		    job->violation, job->occurrence, &cause);
		if (cause != NULL)
			notify_db_error("reference", cause);
	}
	if (job->payload == NULL || job->notification == NULL) {
		notify_job_done(job, NOTIFY_FAILED, -1, "outbox row %lld holds "
		    "no readable payload", (long long)job->id);
		return;
	}
	log_debug("notify %s: sending %s (#%lld, attempt %d)", ch->name,
	    job->key, (long long)job->id, job->attempts + 1);
	ch->conf->backend->send(job);
}

static void
notify_arm(struct notify *n, int64_t ms)
{
	struct timeval	 tv;

	if (ms < 1)
		ms = 1;
	if (ms > NOTIFY_TIMER_MAX_MS)
		ms = NOTIFY_TIMER_MAX_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(n->timer, &tv);
}

/* Close what is due, start what is due, and sleep until the next. */
static void
notify_pump(struct notify *n)
{
	struct store		*st = n->v->store;
	struct notify_channel	*ch;
	struct outbox_row	*rows;
	int64_t			*ids, now = now_ms(), next;
	size_t			 i, j, nids, nrows, room;
	char			*cause = NULL;
	bool			 busy = false;

	if (n->stopping)
		return;
	if (mono_ms() - n->pruned_ms > NOTIFY_PRUNE_MS) {
		n->pruned_ms = mono_ms();
		if (store_outbox_prune(st, now - NOTIFY_KEEP_MS, &cause) != 0)
			notify_db_error("prune", cause);
	}
	if (store_outbox_closing(st, now, &ids, &nids, &cause) != 0)
		notify_db_error("closing", cause);
	else {
		for (i = 0; i < nids; i++)
			notify_close(n, ids[i], now);
		free(ids);
	}
	for (i = 0; i < n->nchannels; i++) {
		ch = n->channels[i];
		if ((int64_t)ch->in_flight >= ch->conf->concurrency ||
		    n->njobs >= NOTIFY_MAX_JOBS) {
			busy = true;
			continue;
		}
		room = (size_t)ch->conf->concurrency - ch->in_flight;
		if (room > NOTIFY_MAX_JOBS - n->njobs)
			room = NOTIFY_MAX_JOBS - n->njobs;
		if (store_outbox_due(st, ch->name, now, room, &rows, &nrows,
		    &cause) != 0) {
			notify_db_error("due", cause);
			continue;
		}
		/* The channel is held (refs) while its jobs start. */
		ch->refs++;
		for (j = 0; j < nrows; j++) {
			notify_start_job(n, ch, &rows[j]);
			outbox_row_clear(&rows[j]);
		}
		free(rows);
		notify_channel_unref(ch);
	}
	notify_update_metrics(n, n->njobs == 0);
	if ((next = store_outbox_next_due(st, &cause)) < 0) {
		notify_db_error("next", cause);
		notify_arm(n, NOTIFY_BUSY_MS);
	} else if (next > 0)
		notify_arm(n, next <= now ? NOTIFY_BUSY_MS : next - now);
	else if (busy)
		notify_arm(n, NOTIFY_BUSY_MS);
}

static void
notify_pump_cb(evutil_socket_t fd, short events, void *arg)
{
	notify_pump(arg);
}

/* The wait before the next delivery of a row: backoff with jitter. */
static int64_t
notify_backoff(const struct notify_conf *nc, int attempts)
{
	int64_t	 d = nc->retry_min;
	int	 i;

	for (i = 0; i < attempts && d < nc->retry_max; i++)
		d *= 2;
	if (d > nc->retry_max)
		d = nc->retry_max;
	/* Equal jitter: half fixed, half random. */
	return d / 2 + (int64_t)((uint64_t)random() % (uint64_t)(d / 2 + 1));
}

/*
 * A delivery attempt is over.  Called by the backend, from the loop; the
 * job is freed here.
 */
void
notify_job_done(struct notify_job *job, enum notify_outcome outcome,
    int64_t retry_after_ms, const char *fmt, ...)
{
	struct notify		*n = job->n;
	struct notify_channel	*ch = job->ch;
	struct store		*st = n->v->store;
	struct notify_jobq	*q;
	struct outbox_row	 row;
	va_list			 ap;
	char			*msg = NULL, *cause = NULL, *when, *final;
	int64_t			 now = now_ms(), delay, created = now;
	int			 rc = 0;

	q = (struct notify_jobq *)(void *)((char *)job -
	    offsetof(struct notify_jobq, job));
	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
	}
	job->req = NULL;
	if (outcome == NOTIFY_RETRY && strcmp(job->kind, "test") == 0)
		outcome = NOTIFY_FAILED;	/* a test is tried once */
	if (outcome == NOTIFY_RETRY) {
		if (store_outbox_row(st, job->id, &row, &cause) == 1) {
			created = row.created_at;
			outbox_row_clear(&row);
		} else if (cause != NULL)
			notify_db_error("row", cause);
		cause = NULL;
		if (now - created >= job->conf->give_up_after) {
			final = xprintf("gave up after %d attempts: %s",
			    job->attempts + 1, msg != NULL ? msg : "failed");
			free(msg);
			msg = final;
			outcome = NOTIFY_FAILED;
		}
	}
	switch (outcome) {
	case NOTIFY_DELIVERED:
		rc = store_outbox_delivered(st, job->id, now, job->ref, msg,
		    &cause);
		if (rc == 0 && job->ref != NULL && job->violation != 0 &&
		    (job->transition == NOTIFY_OPEN ||
		    job->transition == NOTIFY_EXCEPTION_EXPIRED))
			rc = store_outbox_ref_put(st, ch->name, job->violation,
			    job->occurrence, job->ref, &cause);
		ch->delivered++;
		ch->last_delivered_ms = now;
		log_info("notify %s: %s delivered%s%s", ch->name, job->key,
		    job->ref != NULL ? " as " : "",
		    job->ref != NULL ? job->ref : "");
		break;
	case NOTIFY_RETRY:
		delay = notify_backoff(job->conf, job->attempts);
		if (retry_after_ms > delay)
			delay = retry_after_ms;
		rc = store_outbox_retry(st, job->id, now + delay, msg, &cause);
		ch->retried++;
		when = format_duration(delay);
		log_warnx("notify %s: %s: %s; trying again in %s", ch->name,
		    job->key, msg != NULL ? msg : "failed", when);
		free(when);
		break;
	case NOTIFY_FAILED:
		rc = store_outbox_failed(st, job->id, msg, &cause);
		ch->failed++;
		log_warnx("notify %s: %s: %s; not retried (vigilctl notify "
		    "retry %lld)", ch->name, job->key,
		    msg != NULL ? msg : "failed", (long long)job->id);
		break;
	}
	if (outcome != NOTIFY_DELIVERED) {
		metrics_add(M_ERRORS, "notify", 1);
		free(ch->last_error);
		ch->last_error = xstrdup(msg != NULL ? msg : "failed");
		ch->last_error_ms = now;
	}
	if (rc != 0)
		notify_db_error("update", cause);
	free(msg);
	TAILQ_REMOVE(&n->jobs, q, entry);
	n->njobs--;
	ch->in_flight--;
	notify_job_free(q);
	notify_kick(n);
}

/* A multi-request delivery got this far: kept, should it be tried again. */
void
notify_job_progress(struct notify_job *job, int step, const char *ref)
{
	char	*cause = NULL;

	job->step = step;
	if (ref != NULL) {
		free(job->ref);
		job->ref = xstrdup(ref);
	}
	if (store_outbox_progress(job->n->v->store, job->id, step, ref,
	    &cause) != 0)
		notify_db_error("progress", cause);
	if (ref != NULL && job->violation != 0 &&
	    job->transition == NOTIFY_OPEN && store_outbox_ref_put(
	    job->n->v->store, job->ch->name, job->violation, job->occurrence,
	    ref, &cause) != 0)
		notify_db_error("reference", cause);
}

/* Run cb(job) from the loop, soon: for deliveries that need no I/O. */
void
notify_defer(struct notify_job *job, void (*cb)(int, short, void *))
{
	struct notify_jobq	*q;
	struct timeval		 tv = { 0, 0 };

	q = (struct notify_jobq *)(void *)((char *)job -
	    offsetof(struct notify_jobq, job));
	if (q->defer != NULL)
		event_free(q->defer);
	if ((q->defer = evtimer_new(job->n->v->base, cb, job)) == NULL ||
	    evtimer_add(q->defer, &tv) != 0)
		fatalx("cannot arm a timer");
}

/* HTTP, as the HTTP backends share it. */

static const struct http_retry_policy notify_retry_policy = {
	.max_attempts = 3,
	.base_ms = 500,
	.max_backoff_ms = 5000,
	.max_retry_after_ms = 60 * 1000,
	.quota = NULL,
	.classify = NULL,
	.classify_arg = NULL,
};

/* A request for a job, with its idempotency key and timeouts. */
struct http_request *
notify_http_request(struct notify_job *job, const char *method,
    const char *url)
{
	struct http_request	*req;

	req = http_request_new(job->n->v->http, method, url);
	http_request_timeout(req, job->conf->timeout,
	    job->conf->timeout < 10000 ? job->conf->timeout : 10000);
	http_request_retry(req, &notify_retry_policy);
	http_request_max_response(req, 1024 * 1024);
	http_request_header(req, "X-Vigil-Idempotency-Key", job->key);
	return req;
}

/* A rendered payload's headers and body onto a request. */
void
notify_http_payload(struct http_request *req, const json_t *payload)
{
	json_t		*hdrs;
	const json_t	*v;
	const char	*name, *body;

	hdrs = json_object_get(payload, "headers");
	json_object_foreach(hdrs, name, v) {
		if (json_is_string(v))
			http_request_header(req, name, json_string_value(v));
	}
	if ((body = json_string_value(json_object_get(payload, "body"))) !=
	    NULL)
		http_request_body(req, body, strlen(body));
}

/*
 * What an HTTP answer means for a notification: 2xx delivered; 408, 429,
 * 5xx and transport errors transient; any other status permanent.  On
 * anything but delivered, *error says what happened (the caller frees it).
 */
int
notify_http_outcome(struct notify_job *job, const struct http_response *r,
    const char *what, enum notify_outcome *outcome, int64_t *retry_after,
    char **error)
{
	char	*snip;

	*retry_after = -1;
	*error = NULL;
	if (r->status == 0) {
		*error = xprintf("%s: %s", what, r->error != NULL ? r->error :
		    "no answer");
		switch (r->curl_code) {
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_LOGIN_DENIED:
		case CURLE_USE_SSL_FAILED:
			*outcome = NOTIFY_FAILED;
			break;
		default:
			*outcome = NOTIFY_RETRY;
			break;
		}
		return 0;
	}
	if (r->status >= 200 && r->status < 300) {
		*outcome = NOTIFY_DELIVERED;
		return 0;
	}
	snip = notify_truncate(r->body != NULL ? r->body : "", 200);
	*error = xprintf("%s: HTTP %ld%s%s", what, r->status,
	    *snip != '\0' ? ": " : "", snip);
	free(snip);
	if (r->status == 429 || r->status == 408 || r->status >= 500) {
		*outcome = NOTIFY_RETRY;
		*retry_after = r->retry_after_ms;
	} else
		*outcome = NOTIFY_FAILED;
	return 0;
}

static void
notify_http_done(struct http_response *r, void *arg)
{
	struct notify_job	*job = arg;
	struct notify_jobq	*q;
	enum notify_outcome	 outcome;
	int64_t			 retry_after;
	char			*error;

	q = (struct notify_jobq *)(void *)((char *)job -
	    offsetof(struct notify_jobq, job));
	job->req = NULL;
	notify_http_outcome(job, r, q->what, &outcome, &retry_after, &error);
	if (error != NULL) {
		notify_job_done(job, outcome, retry_after, "%s", error);
		free(error);
	} else
		notify_job_done(job, outcome, retry_after, NULL);
}

/* Start a one-request delivery; its answer ends the job. */
void
notify_http_send(struct notify_job *job, struct http_request *req,
    const char *url)
{
	struct notify_jobq	*q;

	q = (struct notify_jobq *)(void *)((char *)job -
	    offsetof(struct notify_jobq, job));
	free(q->what);
	q->what = http_redact_url(url);
	job->req = req;
	http_request_start(req, notify_http_done, job);
}

/* Status, metrics, vigilctl's commands. */

static void
notify_update_metrics(struct notify *n, bool force)
{
	json_t		*counts, *c;
	const char	*name;
	char		*cause = NULL;
	size_t		 i;
	int64_t		 now = mono_ms(), depth;

	if (!force && now - n->metrics_ms < NOTIFY_METRICS_MS)
		return;
	n->metrics_ms = now;
	if ((counts = store_outbox_counts(n->v->store, &cause)) == NULL) {
		notify_db_error("counts", cause);
		return;
	}
	/* Every channel that ever had a gauge keeps one (0 when empty). */
	for (i = 0; i < n->nchannels; i++) {
		size_t j;

		for (j = 0; j < n->ndepth_labels; j++) {
			if (strcmp(n->depth_labels[j], n->channels[i]->name) ==
			    0)
				break;
		}
		if (j == n->ndepth_labels) {
			n->depth_labels = xreallocarray(n->depth_labels,
			    n->ndepth_labels + 1, sizeof *n->depth_labels);
			n->depth_labels[n->ndepth_labels++] =
			    xstrdup(n->channels[i]->name);
		}
	}
	for (i = 0; i < n->ndepth_labels; i++) {
		name = n->depth_labels[i];
		c = json_object_get(counts, name);
		depth = json_integer_value(json_object_get(c, "pending")) +
		    json_integer_value(json_object_get(c, "sending")) +
		    json_integer_value(json_object_get(c, "collecting"));
		metrics_set(M_OUTBOX_DEPTH, name, (double)depth);
	}
	json_decref(counts);
}

/* Each channel: counts by state, what is in flight, the last error. */
json_t *
notify_status(struct notify *n)
{
	static const char *const states[] = { "pending", "sending",
	    "delivered", "failed", "collecting", "digested" };
	struct notify_channel	*ch;
	json_t			*a, *o, *counts, *c;
	char			*cause = NULL, *t;
	size_t			 i, j;

	a = json_array();
	if (n == NULL)
		return a;
	if ((counts = store_outbox_counts(n->v->store, &cause)) == NULL) {
		notify_db_error("counts", cause);
		counts = json_object();
	}
	for (i = 0; i < n->nchannels; i++) {
		ch = n->channels[i];
		c = json_object_get(counts, ch->name);
		o = json_pack("{s:s, s:s, s:I}", "name", ch->name, "type",
		    ch->conf->type, "in_flight", (json_int_t)ch->in_flight);
		for (j = 0; j < nitems(states); j++)
			json_object_set_new(o, states[j], json_integer(
			    json_integer_value(json_object_get(c, states[j]))));
		json_object_set_new(o, "retried", json_integer(
		    (json_int_t)ch->retried));
		if (ch->last_delivered_ms != 0) {
			t = time_iso8601(ch->last_delivered_ms);
			json_object_set_new(o, "last_delivered_at",
			    json_string(t));
			free(t);
		}
		if (ch->last_error != NULL) {
			t = time_iso8601(ch->last_error_ms);
			json_object_set_new(o, "last_error",
			    json_string(ch->last_error));
			json_object_set_new(o, "last_error_at", json_string(t));
			free(t);
		}
		json_array_append_new(a, o);
	}
	json_decref(counts);
	return a;
}

/* What vigilctl notify test sends: a made-up violation, clearly marked. */
json_t *
notify_test_notification(const char *channel, int64_t now)
{
	json_t	*o;
	char	*t, *key;

	t = time_iso8601(now);
	key = xprintf("test.%s.%lld", channel, (long long)now);
	o = json_pack("{s:s, s:s, s:s, s:s, "
	    "s:{s:i, s:i, s:s, s:s, s:n, s:s, s:s, s:[{s:s, s:s}]}, "
	    "s:{s:s, s:s, s:s, s:s, s:{}, s:s, s:[]}, "
	    "s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}, s:n, s:n}",
	    "schema", NOTIFY_SCHEMA, "transition", "test", "key", key,
	    "channel", channel,
	    "violation", "id", 0, "occurrence", 0, "state", "open",
	      "opened_at", t, "resolved_at", "first_seen", t, "last_seen", t,
	      "evidence", "path", "Test", "value", "this is a test",
	    "rule", "id", "vigil-test", "title",
	      "vigil test notification: this channel works",
	      "description", "Sent by vigilctl notify test; nothing is wrong.",
	      "severity", "info", "frameworks", "remediation",
	      "Nothing to do.", "references",
	    "asset", "provider", "aws", "type", "AWS::S3::Bucket", "id",
	      "vigil-test", "arn", "arn:aws:s3:::vigil-test", "name",
	      "vigil-test", "account", "000000000000", "region", "us-east-1",
	      "tags", "purpose", "test",
	    "cause", "exception");
	free(t);
	free(key);
	if (o == NULL)
		fatalx("json_pack: out of memory");
	return o;
}

/*
 * Write a test notification for a channel, due now; its id, or -1.  The
 * caller follows the row to learn how delivery went.
 */
int64_t
notify_test(struct notify *n, const char *channel, char **cause)
{
	struct store		*st = n->v->store;
	struct notify_channel	*ch;
	struct outbox_new	 o;
	json_t			*doc, *payload;
	char			*text, *ptext, *why = NULL;
	int64_t			 now = now_ms(), id = -1;

	if ((ch = notify_channel_find(n, channel)) == NULL) {
		*cause = xprintf("no enabled channel named '%s'", channel);
		return -1;
	}
	doc = notify_test_notification(channel, now);
	if ((payload = ch->conf->backend->render(ch->conf, doc, &why)) ==
	    NULL) {
		*cause = xprintf("channel %s: cannot render: %s", channel, why);
		free(why);
		json_decref(doc);
		return -1;
	}
	text = notify_dumps(doc);
	ptext = notify_dumps(payload);
	json_decref(payload);
	notify_row_fill(&o, ch->conf, doc, now);
	o.kind = "test";
	o.violation = 0;
	o.notification = text;
	o.payload = ptext;
	o.state = "pending";
	if (store_begin(st, cause) == 0) {
		if (store_outbox_put(st, &o, &id, cause) != 0 ||
		    store_commit(st, cause) != 0) {
			store_rollback(st);
			id = -1;
		}
	}
	free(text);
	free(ptext);
	json_decref(doc);
	if (id == 0) {
		*cause = xstrdup("a test was sent to this channel this very "
		    "millisecond");
		id = -1;
	}
	if (id > 0) {
		log_info("notify %s: test notification #%lld", channel,
		    (long long)id);
		notify_kick(n);
	}
	return id;
}

/* vigilctl notify retry: a failed notification is due again, now. */
int
notify_retry(struct notify *n, int64_t id, char **cause)
{
	int	 rc;

	if ((rc = store_outbox_requeue(n->v->store, id, now_ms(), cause)) < 0)
		return -1;
	if (rc == 0) {
		*cause = xprintf("no failed notification #%lld", (long long)id);
		return -1;
	}
	log_info("notify: #%lld back to pending", (long long)id);
	notify_kick(n);
	return 0;
}

size_t
notify_in_flight(struct notify *n)
{
	return n != NULL ? n->njobs : 0;
}

/*
 * Start delivering: the channels of conf, rows a crash left sending due
 * again, and a first look at what is due.
 */
struct notify *
notify_new(struct vigil *v, const struct config *conf, char **cause)
{
	struct notify	*n;
	int64_t		 reset;

	n = xcalloc(1, sizeof *n);
	n->v = v;
	TAILQ_INIT(&n->jobs);
	if (store_outbox_reset_sending(v->store, &reset, cause) != 0) {
		free(n);
		return NULL;
	}
	if (reset > 0)
		log_warnx("notify: %lld notification%s in flight when vigild "
		    "stopped; sending %s again", (long long)reset,
		    reset == 1 ? " was" : "s were", reset == 1 ? "it" : "them");
	if ((n->pump_ev = event_new(v->base, -1, 0, notify_pump_cb, n)) ==
	    NULL || (n->timer = evtimer_new(v->base, notify_pump_cb, n)) ==
	    NULL)
		fatalx("event_new: out of memory");
	notify_channels(n, conf);
	notify_update_metrics(n, true);
	notify_kick(n);
	return n;
}

/* On reload: the channels of the new configuration. */
void
notify_reconfigure(struct notify *n, const struct config *conf)
{
	notify_channels(n, conf);
	notify_update_metrics(n, true);
	notify_kick(n);
}

/*
 * Stop: deliveries in flight are abandoned and their rows due again (the
 * receiver may have had them: they are sent again with the same key).
 */
void
notify_free(struct notify *n)
{
	struct notify_jobq	*q;
	struct notify_job	*job;
	char			*cause = NULL;
	int64_t			 reset;
	size_t			 i;

	if (n == NULL)
		return;
	n->stopping = true;
	while ((q = TAILQ_FIRST(&n->jobs)) != NULL) {
		job = &q->job;
		if (job->conf->backend->cancel != NULL)
			job->conf->backend->cancel(job);
		if (job->req != NULL)
			http_request_cancel(job->req);
		job->ch->in_flight--;
		TAILQ_REMOVE(&n->jobs, q, entry);
		n->njobs--;
		notify_job_free(q);
	}
	if (store_outbox_reset_sending(n->v->store, &reset, &cause) != 0)
		notify_db_error("stop", cause);
	for (i = 0; i < n->nchannels; i++)
		notify_channel_unref(n->channels[i]);
	free(n->channels);
	for (i = 0; i < n->ndepth_labels; i++)
		free(n->depth_labels[i]);
	free(n->depth_labels);
	event_free(n->pump_ev);
	event_free(n->timer);
	free(n);
}
