/*
 * config.c: vigild.yaml.  Every key is an entry in a table (name, type,
 * range, default, description); the loader walks the YAML document against
 * the table and reports every problem it finds as file:line:col.  Defaults
 * are YAML text too, read by the same code as the file.
 *
 * Secrets are never written in the file itself: a key that holds one is read
 * from a file (name_file: an absolute path, or the name of a systemd
 * credential in $CREDENTIALS_DIRECTORY) or from an environment variable
 * (name_env).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "feed.h"
#include "notify.h"
#include "vigild.h"

#define SECRET_MAX_BYTES	(64 * 1024)

#define OFF(f) offsetof(struct config, f)
const struct cfg_key config_keys[] = {
	{ "database", CFG_PATH, OFF(database), 0, 0, VIGIL_DATABASE, NULL,
	  CFG_RESTART, "The SQLite database (created if absent)." },
	{ "database_sync", CFG_ENUM, OFF(database_sync), 0, 0, "full",
	  "normal|full", CFG_RESTART,
	  "SQLite synchronous mode: full survives power loss, normal only "
	  "a crash of vigild." },
	{ "socket", CFG_PATH, OFF(socket), 0, 0, VIGIL_SOCKET, NULL,
	  CFG_RESTART, "The control socket." },
	{ "socket_mode", CFG_MODE, OFF(socket_mode), 0, 0777, "0660", NULL,
	  CFG_RESTART, "Permissions of the control socket." },
	{ "socket_group", CFG_STRING, OFF(socket_group), 0, 0, NULL, NULL,
	  CFG_RESTART,
	  "Group that owns the control socket and may read through it "
	  "(default: vigild's own group)." },
	{ "admin_group", CFG_STRING, OFF(admin_group), 0, 0, NULL, NULL, 0,
	  "Group whose members may make changes through the control socket "
	  "(default: root and vigild's own user only)." },
	{ "control_max_connections", CFG_INT, OFF(control_max_connections),
	  1, 4096, "64", NULL, 0,
	  "Most control connections served at once; more are refused." },
	{ "control_max_body", CFG_SIZE, OFF(control_max_body),
	  1024, 64 * 1024 * 1024, "1MiB", NULL, 0,
	  "Largest control request body accepted." },
	{ "control_timeout", CFG_DURATION, OFF(control_timeout),
	  1, 3600, "30s", NULL, 0,
	  "Idle control connections are closed after this long." },
	{ "metrics_listen", CFG_STRING, OFF(metrics_listen), 0, 0, NULL, NULL,
	  0,
	  "Also serve GET /metrics on this TCP address (127.0.0.1:9464, "
	  "[::1]:9464); it has no authentication, so keep it on loopback." },
	{ "log_level", CFG_ENUM, OFF(log_level), 0, 0, "info",
	  "error|warning|info|debug", 0, "Least important messages logged." },
	{ "rules", CFG_PATHLIST, OFF(rules), 0, 0,
	  "[" VIGIL_RULESDIR ", " VIGIL_SITE_RULESDIR "]", NULL, 0,
	  "Rule files and directories of rule files (*.yaml)." },
	{ "events_read_only", CFG_BOOL, OFF(events_read_only), 0, 0, "false",
	  NULL, 0,
	  "Also record read-only calls (Get*, List*, Describe*...)." },
	{ "events_failed", CFG_BOOL, OFF(events_failed), 0, 0, "true", NULL, 0,
	  "Record calls that failed (AccessDenied and other error codes)." },
	{ "events_retention", CFG_DURATION, OFF(events_retention),
	  3600, 100LL * 365 * 86400, "365d", NULL, 0,
	  "Events older than this are deleted." },
	{ "poison_receive_count", CFG_INT, OFF(poison_receive_count), 1, 1000,
	  "5", NULL, 0,
	  "A message that still cannot be processed at this delivery is kept "
	  "in dead_letters and deleted." },
	{ "shutdown_timeout", CFG_DURATION, OFF(shutdown_timeout), 1, 3600,
	  "30s", NULL, 0,
	  "On SIGTERM, how long in-flight messages may take to commit; what "
	  "is left is not acknowledged and comes again." },
	{ "event_map", CFG_PATH, OFF(event_map), 0, 0,
	  VIGIL_RULESDIR "/aws/events.yaml", NULL, 0,
	  "Which events change which assets (the declarative map)." },
	{ "aws_models", CFG_PATH, OFF(aws_models), 0, 0, VIGIL_AWSMODELDIR,
	  NULL, CFG_RESTART,
	  "The AWS service models vigild speaks the APIs with." },
	{ "refresh_delay", CFG_DURATION, OFF(refresh_delay), 0, 3600, "2s",
	  NULL, 0,
	  "Events about one asset within this long become one describe." },
	{ "reconcile_interval", CFG_DURATION, OFF(reconcile_interval), 60,
	  100LL * 86400, "24h", NULL, 0,
	  "A full inventory sweep runs at start and this often, to catch what "
	  "events missed." },
	{ "api_rate", CFG_INT, OFF(api_rate), 1, 100000, "20", NULL, 0,
	  "Calls a second vigild makes to one service of one account, in "
	  "bursts of up to twice as many." },
	{ "sweep_at_start", CFG_BOOL, OFF(sweep_at_start), 0, 0, "true", NULL,
	  0, "Sweep the whole inventory when vigild starts." },
	{ "exceptions_dir", CFG_PATH, OFF(exceptions_dir), 0, 0,
	  VIGIL_SITE_EXCEPTIONSDIR, NULL, 0,
	  "Accepted-risk exceptions declared in files (*.yaml)." },
	{ "accounts", CFG_LIST, OFF(accounts), 0, 0, NULL, NULL, 0,
	  "What to watch: a list of accounts (see ACCOUNTS).",
	  &account_conf_list_ops },
	{ "feeds", CFG_LIST, OFF(feeds), 0, 0, NULL, NULL, 0,
	  "Where changes come from: a list of feeds (see FEEDS).", 
	  &feed_conf_list_ops },
	{ "notify", CFG_LIST, OFF(notify), 0, 0, NULL, NULL, 0,
	  "Where alerts go: a list of channels (see NOTIFY).",
	  &notify_conf_list_ops },
};
const size_t config_nkeys = nitems(config_keys);
#undef OFF

static const char *const cfg_type_names[] = {
	[CFG_STRING] = "string",
	[CFG_PATH] = "path",
	[CFG_INT] = "integer",
	[CFG_BOOL] = "boolean",
	[CFG_DURATION] = "duration",
	[CFG_SIZE] = "size",
	[CFG_ENUM] = "enum",
	[CFG_MODE] = "mode",
	[CFG_STRLIST] = "list",
	[CFG_PATHLIST] = "paths",
	[CFG_SECRET_FILE] = "secret-file",
	[CFG_SECRET_ENV] = "secret-env",
	[CFG_LIST] = "list of mappings",
};

const char *
cfg_type_name(enum cfg_type t)
{
	return cfg_type_names[t];
}

void
strlist_add(struct strlist *sl, const char *s)
{
	sl->v = xreallocarray(sl->v, sl->n + 1, sizeof *sl->v);
	sl->v[sl->n++] = xstrdup(s);
}

bool
strlist_has(const struct strlist *sl, const char *s)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++) {
		if (strcmp(sl->v[i], s) == 0)
			return true;
	}
	return false;
}

void
strlist_clear(struct strlist *sl)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->value != NULL) {
		freezero_str(s->value);
	}
	free(s->origin);
	free(s);
}

/* Where a key's value lives inside the object being filled. */
#define SLOT(obj, k, type) ((type *)(void *)((char *)(obj) + (k)->offset))
#define CSLOT(obj, k, type) \
	((type const *)(const void *)((const char *)(obj) + (k)->offset))

static char *
cfg_make_path(const char *base, const char *p)
{
	if (*p == '/' || base == NULL)
		return xstrdup(p);
	return xprintf("%s/%s", base, p);
}

/* A name of a list's item: letters, digits, '-', '_' and '.'. */
bool
cfg_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	}
	return true;
}

static const struct cfg_key *
cfg_find(const struct cfg_key *keys, size_t nkeys, const char *name)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

static void
cfg_unknown_key(const struct cfg_key *keys, size_t nkeys, const char *file,
    const yaml_node_t *kn, struct diags *d)
{
	const char	*name = yamldoc_scalar(kn);
	char		*alt;
	size_t		 i, dist, best = SIZE_MAX, bi = 0;

	alt = xprintf("%s_file", name);
	if (cfg_find(keys, nkeys, alt) != NULL) {
		diag_add(d, file, yamldoc_line(kn), yamldoc_col(kn),
		    "%s: secrets may not be written in the configuration; "
		    "use %s (a file, or a systemd credential name) or %s_env",
		    name, alt, name);
		free(alt);
		return;
	}
	free(alt);
	for (i = 0; i < nkeys; i++) {
		dist = str_distance(name, keys[i].name);
		if (dist < best) {
			best = dist;
			bi = i;
		}
	}
	if (best <= 2 && best < strlen(name))
		diag_add(d, file, yamldoc_line(kn), yamldoc_col(kn),
		    "unknown key '%s' (did you mean '%s'?)", name,
		    keys[bi].name);
	else
		diag_add(d, file, yamldoc_line(kn), yamldoc_col(kn),
		    "unknown key '%s'", name);
}

static int
cfg_enum_index(const char *values, const char *s)
{
	const char	*p = values, *bar;
	size_t		 len;
	int		 i = 0;

	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(s) == len && strncmp(p, s, len) == 0)
			return i;
		if (bar == NULL)
			return -1;
		p = bar + 1;
		i++;
	}
}

/* Read a secret from a file: an absolute path or a credential name. */
struct secret *
cfg_secret_file(const char *name, char **cause)
{
	struct secret	*s;
	const char	*credir;
	char		*path, *buf, *why;
	size_t		 len;

	if (*name == '/')
		path = xstrdup(name);
	else if ((credir = getenv("CREDENTIALS_DIRECTORY")) != NULL &&
	    *credir != '\0' && strchr(name, '/') == NULL)
		path = xprintf("%s/%s", credir, name);
	else {
		*cause = xprintf("'%s' is neither an absolute path nor a "
		    "credential name in $CREDENTIALS_DIRECTORY", name);
		return NULL;
	}
	if ((buf = read_file(path, SECRET_MAX_BYTES, &len, &why)) == NULL) {
		*cause = why;
		free(path);
		return NULL;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		*cause = xprintf("%s: empty", path);
		freezero_str(buf);
		free(path);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->value = buf;
	s->len = len;
	s->origin = xprintf("file %s", path);
	free(path);
	return s;
}

static struct secret *
cfg_secret_env(const char *name, char **cause)
{
	struct secret	*s;
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0') {
		*cause = xprintf("environment variable %s is not set", name);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->value = xstrdup(v);
	s->len = strlen(v);
	s->origin = xprintf("environment %s", name);
	return s;
}

static void
cfg_clear_value(void *obj, const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_STRING:
	case CFG_PATH:
		free(*SLOT(obj, k, char *));
		*SLOT(obj, k, char *) = NULL;
		break;
	case CFG_STRLIST:
	case CFG_PATHLIST:
		strlist_clear(SLOT(obj, k, struct strlist));
		break;
	case CFG_SECRET_FILE:
	case CFG_SECRET_ENV:
		secret_free(*SLOT(obj, k, struct secret *));
		*SLOT(obj, k, struct secret *) = NULL;
		break;
	case CFG_LIST:
		k->list->free(SLOT(obj, k, void));
		break;
	default:
		break;
	}
}

/*
 * Set one key from a YAML node.  On error add a diagnostic at the node and
 * return -1; the slot keeps its old value.
 */
static int
cfg_set(void *obj, const struct cfg_key *k, struct yamldoc *yd,
    yaml_node_t *n, const char *base, struct diags *d)
{
	const char	*s, *why;
	char		*cause, *end;
	int64_t		 v, lo, hi;
	struct secret	*sec;
	yaml_node_item_t *it;
	yaml_node_t	*item;
	struct strlist	 list = { NULL, 0 };
	bool		 b;
	long		 mode;
	int		 idx;

#define ERR(node, ...) do {						\
	diag_add(d, yd->file, yamldoc_line(node), yamldoc_col(node),	\
	    __VA_ARGS__);						\
	return -1;							\
} while (0)

	if (k->type == CFG_STRLIST || k->type == CFG_PATHLIST) {
		/* A list, or a single scalar standing for a list of one. */
		yaml_node_item_t	 one;
		yaml_node_item_t	*first, *last;

		if (n->type == YAML_SEQUENCE_NODE) {
			first = YAMLDOC_ITEMS(n);
			last = YAMLDOC_ITEMS_END(n);
		} else if (n->type == YAML_SCALAR_NODE) {
			one = (int)(n - yd->doc.nodes.start) + 1;
			first = &one;
			last = &one + 1;
		} else
			ERR(n, "%s: expected a list, got %s", k->name,
			    yamldoc_type_name(n));
		for (it = first; it < last; it++) {
			item = yamldoc_node(yd, *it);
			if ((s = yamldoc_scalar(item)) == NULL || *s == '\0') {
				strlist_clear(&list);
				ERR(item, "%s: expected a string, got %s",
				    k->name, yamldoc_type_name(item));
			}
			if (k->type == CFG_PATHLIST) {
				cause = cfg_make_path(base, s);
				strlist_add(&list, cause);
				free(cause);
			} else
				strlist_add(&list, s);
		}
		cfg_clear_value(obj, k);
		*SLOT(obj, k, struct strlist) = list;
		return 0;
	}

	if (k->type == CFG_LIST) {
		if (n->type != YAML_SEQUENCE_NODE)
			ERR(n, "%s: expected a list, got %s", k->name,
			    yamldoc_type_name(n));
		cfg_clear_value(obj, k);
		return k->list->parse(SLOT(obj, k, void), yd, n, base, d);
	}

	if ((s = yamldoc_scalar(n)) == NULL)
		ERR(n, "%s: expected a %s, got %s", k->name,
		    cfg_type_name(k->type), yamldoc_type_name(n));

	switch (k->type) {
	case CFG_STRING:
	case CFG_PATH:
		if (*s == '\0')
			ERR(n, "%s: empty", k->name);
		cfg_clear_value(obj, k);
		*SLOT(obj, k, char *) = k->type == CFG_PATH ?
		    cfg_make_path(base, s) : xstrdup(s);
		return 0;
	case CFG_BOOL:
		if (parse_bool(s, &b) != 0)
			ERR(n, "%s: expected true or false, got '%s'", k->name,
			    s);
		*SLOT(obj, k, bool) = b;
		return 0;
	case CFG_ENUM:
		if ((idx = cfg_enum_index(k->values, s)) == -1)
			ERR(n, "%s: '%s' is not one of %s", k->name, s,
			    k->values);
		*SLOT(obj, k, int) = idx;
		return 0;
	case CFG_MODE:
		errno = 0;
		mode = strtol(strncmp(s, "0o", 2) == 0 ? s + 2 : s, &end, 8);
		if (*s == '\0' || *end != '\0' || errno != 0 || mode < k->min ||
		    mode > k->max)
			ERR(n, "%s: '%s' is not an octal mode (like 0660)",
			    k->name, s);
		*SLOT(obj, k, int) = (int)mode;
		return 0;
	case CFG_INT:
		if (parse_int(s, &v, &why) != 0)
			ERR(n, "%s: %s: '%s'", k->name, why, s);
		if (v < k->min || v > k->max)
			ERR(n, "%s: %lld is out of range (%lld to %lld)", k->name,
			    (long long)v, (long long)k->min,
			    (long long)k->max);
		*SLOT(obj, k, int64_t) = v;
		return 0;
	case CFG_DURATION:
		if (parse_duration(s, &v, &why) != 0)
			ERR(n, "%s: %s: '%s'", k->name, why, s);
		lo = k->min * 1000;
		hi = k->max * 1000;
		if (v < lo || v > hi) {
			char *a = format_duration(lo), *bb = format_duration(hi);
			diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
			    "%s: %s is out of range (%s to %s)", k->name, s, a,
			    bb);
			free(a);
			free(bb);
			return -1;
		}
		*SLOT(obj, k, int64_t) = v;
		return 0;
	case CFG_SIZE:
		if (parse_size(s, &v, &why) != 0)
			ERR(n, "%s: %s: '%s'", k->name, why, s);
		if (v < k->min || v > k->max)
			ERR(n, "%s: %s is out of range (%lld to %lld bytes)",
			    k->name, s, (long long)k->min, (long long)k->max);
		*SLOT(obj, k, int64_t) = v;
		return 0;
	case CFG_SECRET_FILE:
	case CFG_SECRET_ENV:
		if (*s == '\0')
			ERR(n, "%s: empty", k->name);
		sec = k->type == CFG_SECRET_FILE ? cfg_secret_file(s, &cause) :
		    cfg_secret_env(s, &cause);
		if (sec == NULL) {
			diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
			    "%s: %s", k->name, cause);
			free(cause);
			return -1;
		}
		cfg_clear_value(obj, k);
		*SLOT(obj, k, struct secret *) = sec;
		return 0;
	default:
		break;
	}
	ERR(n, "%s: unsupported key type", k->name);
#undef ERR
}

/* Set every key that has a default to it; the defaults are YAML text. */
static void
cfg_defaults(void *obj, const struct cfg_key *keys, size_t nkeys)
{
	struct yamldoc	 yd;
	struct diags	 d = { NULL, 0 };
	size_t		 i;
	char		*name;

	for (i = 0; i < nkeys; i++) {
		if (keys[i].def == NULL)
			continue;
		name = xprintf("default of %s", keys[i].name);
		if (yamldoc_parse(&yd, name, keys[i].def, strlen(keys[i].def),
		    &d) != 0 || yamldoc_root(&yd) == NULL ||
		    cfg_set(obj, &keys[i], &yd, yamldoc_root(&yd), NULL,
		    &d) != 0)
			fatalx("config table: bad default for %s: %s",
			    keys[i].name, d.n > 0 ? d.v[0].msg : "empty");
		yamldoc_free(&yd);
		free(name);
	}
}

/* Which layer defines a key, and the key. */
static const struct cfg_key *
cfg_layers_find(const struct cfg_layer *layers, size_t nlayers,
    const char *name, size_t *li)
{
	const struct cfg_key	*k;
	size_t			 i;

	for (i = 0; i < nlayers; i++) {
		if ((k = cfg_find(layers[i].keys, layers[i].nkeys, name)) !=
		    NULL) {
			*li = i;
			return k;
		}
	}
	return NULL;
}

/*
 * Fill objects from one YAML mapping: each layer (object and key table)
 * takes the keys of its table, a key in no table is an error.  Defaults
 * first, then every key in the mapping.  Every problem is added to d;
 * returns the number of problems found (0: all is well).
 */
int
cfg_layers_parse(const struct cfg_layer *layers, size_t nlayers,
    struct yamldoc *yd, yaml_node_t *map, const char *base, struct diags *d)
{
	const struct cfg_key	*k;
	struct cfg_key		*all;
	yaml_node_pair_t	*p, *q;
	yaml_node_t		*kn, *vn;
	const char		*name;
	size_t			 i, j, li, nall = 0, before = d->n;

	for (i = 0; i < nlayers; i++) {
		cfg_defaults(layers[i].obj, layers[i].keys, layers[i].nkeys);
		nall += layers[i].nkeys;
	}
	if (map == NULL || yamldoc_is_null(map))
		goto required;
	if (map->type != YAML_MAPPING_NODE) {
		diag_add(d, yd->file, yamldoc_line(map), yamldoc_col(map),
		    "expected a mapping of keys to values, got %s",
		    yamldoc_type_name(map));
		return (int)(d->n - before);
	}

	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		kn = yamldoc_node(yd, p->key);
		vn = yamldoc_node(yd, p->value);
		if ((name = yamldoc_scalar(kn)) == NULL) {
			diag_add(d, yd->file, yamldoc_line(kn), yamldoc_col(kn),
			    "a key must be a string, not %s",
			    yamldoc_type_name(kn));
			continue;
		}
		for (q = YAMLDOC_PAIRS(map); q < p; q++) {
			const char *other = yamldoc_scalar(
			    yamldoc_node(yd, q->key));
			if (other != NULL && strcmp(other, name) == 0)
				break;
		}
		if (q < p) {
			diag_add(d, yd->file, yamldoc_line(kn), yamldoc_col(kn),
			    "duplicate key '%s'", name);
			continue;
		}
		if ((k = cfg_layers_find(layers, nlayers, name, &li)) == NULL) {
			/* Suggestions come from every layer's keys. */
			all = xcalloc(nall, sizeof *all);
			for (i = 0, j = 0; i < nlayers; i++) {
				memcpy(&all[j], layers[i].keys,
				    layers[i].nkeys * sizeof *all);
				j += layers[i].nkeys;
			}
			cfg_unknown_key(all, nall, yd->file, kn, d);
			free(all);
			continue;
		}
		if (yamldoc_is_null(vn)) {
			/* Explicitly empty: back to the default. */
			continue;
		}
		cfg_set(layers[li].obj, k, yd, vn, base, d);
	}

required:
	for (i = 0; i < nlayers; i++) {
		for (j = 0; j < layers[i].nkeys; j++) {
			k = &layers[i].keys[j];
			if (!(k->flags & CFG_REQUIRED))
				continue;
			vn = NULL;
			if (map != NULL && map->type == YAML_MAPPING_NODE) {
				for (p = YAMLDOC_PAIRS(map);
				    p < YAMLDOC_PAIRS_END(map); p++) {
					name = yamldoc_scalar(yamldoc_node(yd,
					    p->key));
					if (name != NULL &&
					    strcmp(name, k->name) == 0)
						vn = yamldoc_node(yd, p->value);
				}
			}
			if (vn == NULL || yamldoc_is_null(vn))
				diag_add(d, yd->file,
				    map != NULL ? yamldoc_line(map) : 0,
				    map != NULL ? yamldoc_col(map) : 0,
				    "missing required key '%s'", k->name);
		}
	}
	return (int)(d->n - before);
}

int
cfg_section_parse(void *obj, const struct cfg_key *keys, size_t nkeys,
    struct yamldoc *yd, yaml_node_t *map, const char *base, struct diags *d)
{
	struct cfg_layer	 layer = { obj, keys, nkeys };

	return cfg_layers_parse(&layer, 1, yd, map, base, d);
}

void
cfg_section_free(void *obj, const struct cfg_key *keys, size_t nkeys)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		cfg_clear_value(obj, &keys[i]);
}

static struct config *
config_from_doc(const char *path, struct yamldoc *yd, struct diags *d)
{
	struct config	*conf;
	char		*slash;
	size_t		 before = d->n;

	conf = xcalloc(1, sizeof *conf);
	conf->path = xstrdup(path);
	conf->dir = xstrdup(path);
	if ((slash = strrchr(conf->dir, '/')) != NULL)
		slash[slash == conf->dir ? 1 : 0] = '\0';
	else {
		free(conf->dir);
		conf->dir = getcwd(NULL, 0);
		if (conf->dir == NULL)
			conf->dir = xstrdup(".");
	}
	cfg_section_parse(conf, config_keys, config_nkeys, yd, yamldoc_root(yd),
	    conf->dir, d);
	if (d->n != before) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

/* Parse a configuration held in memory; path names it in messages. */
struct config *
config_parse(const char *path, const char *buf, size_t len, struct diags *d)
{
	struct yamldoc	 yd;
	struct config	*conf = NULL;

	if (yamldoc_parse(&yd, path, buf, len, d) == 0)
		conf = config_from_doc(path, &yd, d);
	yamldoc_free(&yd);
	return conf;
}

/*
 * Load the configuration file.  On any error return NULL with every problem
 * in d.
 */
struct config *
config_load(const char *path, struct diags *d)
{
	struct yamldoc	 yd;
	struct config	*conf = NULL;

	if (yamldoc_load(&yd, path, d) == 0)
		conf = config_from_doc(path, &yd, d);
	yamldoc_free(&yd);
	return conf;
}

void
config_free(struct config *conf)
{
	if (conf == NULL)
		return;
	cfg_section_free(conf, config_keys, config_nkeys);
	free(conf->path);
	free(conf->dir);
	free(conf);
}

static bool
cfg_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
cfg_value_equal(const void *a, const void *b, const struct cfg_key *k)
{
	const struct strlist	*la, *lb;
	const struct secret	*sa, *sb;
	size_t			 i;

	switch (k->type) {
	case CFG_STRING:
	case CFG_PATH:
		return cfg_str_equal(*CSLOT(a, k, char *), *CSLOT(b, k, char *));
	case CFG_INT:
	case CFG_DURATION:
	case CFG_SIZE:
		return *CSLOT(a, k, int64_t) == *CSLOT(b, k, int64_t);
	case CFG_BOOL:
		return *CSLOT(a, k, bool) == *CSLOT(b, k, bool);
	case CFG_ENUM:
	case CFG_MODE:
		return *CSLOT(a, k, int) == *CSLOT(b, k, int);
	case CFG_STRLIST:
	case CFG_PATHLIST:
		la = CSLOT(a, k, struct strlist);
		lb = CSLOT(b, k, struct strlist);
		if (la->n != lb->n)
			return false;
		for (i = 0; i < la->n; i++) {
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return false;
		}
		return true;
	case CFG_SECRET_FILE:
	case CFG_SECRET_ENV:
		sa = *CSLOT(a, k, struct secret *);
		sb = *CSLOT(b, k, struct secret *);
		return cfg_str_equal(sa != NULL ? sa->value : NULL,
		    sb != NULL ? sb->value : NULL);
	case CFG_LIST:
		return false;	/* lists are compared by their owners */
	}
	return false;
}

/*
 * On reload: keys that only take effect on restart keep their running
 * values in the new configuration (swapped, so that each object still owns
 * what it frees).  Returns how many changed keys had to be kept, and names
 * them in log warnings.
 */
int
config_keep_restart_keys(struct config *next, struct config *cur)
{
	const struct cfg_key	*k;
	char			 tmp[sizeof(struct strlist)];
	size_t			 i, size;
	int			 kept = 0;

	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		if (!(k->flags & CFG_RESTART) || cfg_value_equal(next, cur, k))
			continue;
		log_warnx("%s: %s changed; the change takes effect when vigild "
		    "restarts", next->path, k->name);
		switch (k->type) {
		case CFG_STRLIST:
		case CFG_PATHLIST:
			size = sizeof(struct strlist);
			break;
		case CFG_INT:
		case CFG_DURATION:
		case CFG_SIZE:
			size = sizeof(int64_t);
			break;
		case CFG_BOOL:
			size = sizeof(bool);
			break;
		case CFG_ENUM:
		case CFG_MODE:
			size = sizeof(int);
			break;
		default:
			size = sizeof(void *);
			break;
		}
		memcpy(tmp, SLOT(next, k, char), size);
		memcpy(SLOT(next, k, char), SLOT(cur, k, char), size);
		memcpy(SLOT(cur, k, char), tmp, size);
		kept++;
	}
	return kept;
}

enum log_level
config_log_level(const struct config *conf)
{
	static const enum log_level levels[] = { LOG_LEVEL_ERROR,
	    LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

	return levels[conf->log_level];
}

/* A key table, one key a line, for vigild -K (and the docs' test). */
void
cfg_keys_print(FILE *f, const char *prefix, const struct cfg_key *keys,
    size_t nkeys)
{
	const struct cfg_key	*k;
	size_t			 i;

	for (i = 0; i < nkeys; i++) {
		k = &keys[i];
		fprintf(f, "%s%s\t%s\t%s\t", prefix, k->name,
		    cfg_type_name(k->type), k->def != NULL ? k->def : "-");
		if (k->type == CFG_ENUM)
			fprintf(f, "%s", k->values);
		else if (k->type == CFG_INT || k->type == CFG_SIZE)
			fprintf(f, "%lld..%lld", (long long)k->min,
			    (long long)k->max);
		else if (k->type == CFG_DURATION)
			fprintf(f, "%llds..%llds", (long long)k->min,
			    (long long)k->max);
		else
			fputc('-', f);
		fprintf(f, "\t%s%s%s\n", k->doc,
		    (k->flags & CFG_REQUIRED) ? " (required)" : "",
		    (k->flags & CFG_RESTART) ? " (restart)" : "");
	}
}

void
config_keys_print(FILE *f)
{
	cfg_keys_print(f, "", config_keys, config_nkeys);
	cfg_keys_print(f, "accounts[].", account_key_table, account_nkeys);
	feed_keys_print(f);
	notify_keys_print(f);
}

/* Do two objects hold the same values for every key of a table? */
bool
cfg_section_equal(const void *a, const void *b, const struct cfg_key *keys,
    size_t nkeys)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (!cfg_value_equal(a, b, &keys[i]))
			return false;
	}
	return true;
}
