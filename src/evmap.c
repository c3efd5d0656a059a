/*
 * evmap.c: which assets an event changed, from the declarative map in
 * rules/aws/events.yaml (event source and name → asset type, paths to the
 * ids in the CloudTrail record, refresh or delete).  AWS Config items name
 * their resource themselves.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "change.h"
#include "collect.h"
#include "envelope.h"
#include "evmap.h"
#include "vigild.h"

struct evmap_entry {
	char		 *key;		/* "source eventName" */
	char		 *type;		/* NULL: by id prefix */
	bool		  delete;
	bool		  ignore;	/* changes nothing vigil collects */
	char		**paths;
	size_t		  npaths;
};

struct evmap_prefix {
	char	*prefix;
	char	*type;
};

struct evmap {
	struct evmap_entry	*v;
	size_t			 n;
	struct evmap_prefix	*prefixes;
	size_t			 nprefixes;
};

static struct evmap *evmap_read(const char *, struct diags *);

static int
evmap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct evmap_entry *)a)->key,
	    ((const struct evmap_entry *)b)->key);
}

static void
evmap_add(struct evmap *m, const char *source, const char *name,
    const char *type, bool delete, struct yamldoc *yd, yaml_node_t *paths,
    struct diags *d)
{
	struct evmap_entry	*e;
	yaml_node_item_t	*it;
	const char		*s;

	if (paths->type != YAML_SEQUENCE_NODE) {
		diag_add(d, yd->file, yamldoc_line(paths), yamldoc_col(paths),
		    "%s: expected a list of paths", name);
		return;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	e = &m->v[m->n++];
	memset(e, 0, sizeof *e);
	e->key = xprintf("%s %s", source, name);
	e->type = type != NULL ? xstrdup(type) : NULL;
	e->delete = delete;
	for (it = YAMLDOC_ITEMS(paths); it < YAMLDOC_ITEMS_END(paths); it++) {
		if ((s = yamldoc_scalar(yamldoc_node(yd, *it))) == NULL)
			continue;
		if (*s == '$' && strcmp(s, "${account}") != 0 &&
		    strcmp(s, "${region}") != 0 && strcmp(s, "${all}") != 0) {
			diag_add(d, yd->file, yamldoc_line(yamldoc_node(yd,
			    *it)), yamldoc_col(yamldoc_node(yd, *it)), "%s: "
			    "unknown '%s' (${account}, ${region} or ${all})",
			    name, s);
			continue;
		}
		e->paths = xreallocarray(e->paths, e->npaths + 1,
		    sizeof *e->paths);
		e->paths[e->npaths++] = xstrdup(s);
	}
}

static yaml_node_t *
evmap_get(struct yamldoc *yd, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	return yamldoc_map_value(yd, map, key);
}

/* Every "name: [paths]" pair of a mapping. */
static void
evmap_pairs(struct evmap *m, struct yamldoc *yd, yaml_node_t *map,
    const char *source, const char *type, bool delete, struct diags *d)
{
	yaml_node_pair_t	*p;
	const char		*name;

	if (map == NULL)
		return;
	if (map->type != YAML_MAPPING_NODE) {
		diag_add(d, yd->file, yamldoc_line(map), yamldoc_col(map),
		    "expected a mapping of event names to paths");
		return;
	}
	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		if ((name = yamldoc_scalar(yamldoc_node(yd, p->key))) == NULL)
			continue;
		evmap_add(m, source, name, type, delete, yd,
		    yamldoc_node(yd, p->value), d);
	}
}

/*
 * Load the map.  NULL, with every problem in d, when it is wrong.  A map
 * that is not there is empty (events then change no asset until the next
 * sweep), and said so in the log.
 */
struct evmap *
evmap_load(const char *path, struct diags *d)
{
	struct stat	 sb;

	if (stat(path, &sb) == -1 && errno == ENOENT) {
		log_warnx("event map %s: not there: events will not refresh "
		    "assets", path);
		return xcalloc(1, sizeof(struct evmap));
	}
	return evmap_read(path, d);
}

static struct evmap *
evmap_read(const char *path, struct diags *d)
{
	struct yamldoc		 yd;
	struct evmap		*m;
	yaml_node_t		*root, *n, *types, *ent;
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;
	const char		*source, *type, *k, *v;
	size_t			 before = d->n, i;

	if (yamldoc_load(&yd, path, d) != 0) {
		yamldoc_free(&yd);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	root = yamldoc_root(&yd);
	if ((n = evmap_get(&yd, root, "prefixes")) != NULL) {
		types = evmap_get(&yd, n, "types");
		for (p = types != NULL && types->type == YAML_MAPPING_NODE ?
		    YAMLDOC_PAIRS(types) : NULL; p != NULL &&
		    p < YAMLDOC_PAIRS_END(types); p++) {
			k = yamldoc_scalar(yamldoc_node(&yd, p->key));
			v = yamldoc_scalar(yamldoc_node(&yd, p->value));
			if (k == NULL || v == NULL)
				continue;
			if (collect_type_find(v) == NULL)
				diag_add(d, yd.file, yamldoc_line(yamldoc_node(
				    &yd, p->value)), yamldoc_col(yamldoc_node(
				    &yd, p->value)), "%s is not a collected "
				    "type", v);
			m->prefixes = xreallocarray(m->prefixes,
			    m->nprefixes + 1, sizeof *m->prefixes);
			m->prefixes[m->nprefixes].prefix = xstrdup(k);
			m->prefixes[m->nprefixes].type = xstrdup(v);
			m->nprefixes++;
		}
		for (p = YAMLDOC_PAIRS(n); p < YAMLDOC_PAIRS_END(n); p++) {
			k = yamldoc_scalar(yamldoc_node(&yd, p->key));
			if (k == NULL || strcmp(k, "types") == 0)
				continue;
			evmap_pairs(m, &yd, yamldoc_node(&yd, p->value), k,
			    NULL, false, d);
		}
	}
	/* Writes known to change no collected asset. */
	if ((n = evmap_get(&yd, root, "ignore")) != NULL &&
	    n->type == YAML_MAPPING_NODE) {
		for (p = YAMLDOC_PAIRS(n); p < YAMLDOC_PAIRS_END(n); p++) {
			yaml_node_t *names = yamldoc_node(&yd, p->value);

			k = yamldoc_scalar(yamldoc_node(&yd, p->key));
			if (k == NULL || names->type != YAML_SEQUENCE_NODE) {
				diag_add(d, yd.file, yamldoc_line(names),
				    yamldoc_col(names), "ignore: expected a "
				    "source and a list of event names");
				continue;
			}
			for (it = YAMLDOC_ITEMS(names);
			    it < YAMLDOC_ITEMS_END(names); it++) {
				if ((v = yamldoc_scalar(yamldoc_node(&yd,
				    *it))) == NULL)
					continue;
				m->v = xreallocarray(m->v, m->n + 1,
				    sizeof *m->v);
				memset(&m->v[m->n], 0, sizeof m->v[m->n]);
				m->v[m->n].key = xprintf("%s %s", k, v);
				m->v[m->n].ignore = true;
				m->n++;
			}
		}
	}
	if ((n = evmap_get(&yd, root, "map")) != NULL &&
	    n->type == YAML_SEQUENCE_NODE) {
		for (it = YAMLDOC_ITEMS(n); it < YAMLDOC_ITEMS_END(n); it++) {
			ent = yamldoc_node(&yd, *it);
			source = yamldoc_scalar(evmap_get(&yd, ent, "source"));
			type = yamldoc_scalar(evmap_get(&yd, ent, "type"));
			if (source == NULL || type == NULL) {
				diag_add(d, yd.file, yamldoc_line(ent),
				    yamldoc_col(ent), "an entry needs a source "
				    "and a type");
				continue;
			}
			if (collect_type_find(type) == NULL)
				diag_add(d, yd.file, yamldoc_line(ent),
				    yamldoc_col(ent), "%s is not a collected "
				    "type", type);
			evmap_pairs(m, &yd, evmap_get(&yd, ent, "refresh"),
			    source, type, false, d);
			evmap_pairs(m, &yd, evmap_get(&yd, ent, "delete"),
			    source, type, true, d);
		}
	}
	yamldoc_free(&yd);
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, evmap_cmp);
	for (i = 1; i < m->n; i++) {
		if (strcmp(m->v[i - 1].key, m->v[i].key) == 0 &&
		    m->v[i - 1].type != NULL && m->v[i].type != NULL &&
		    strcmp(m->v[i - 1].type, m->v[i].type) == 0)
			diag_add(d, path, 0, 0, "%s is mapped twice for %s",
			    m->v[i].key, m->v[i].type);
	}
	if (d->n != before) {
		evmap_free(m);
		return NULL;
	}
	return m;
}

void
evmap_free(struct evmap *m)
{
	size_t	 i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].type);
		for (j = 0; j < m->v[i].npaths; j++)
			free(m->v[i].paths[j]);
		free(m->v[i].paths);
	}
	free(m->v);
	for (i = 0; i < m->nprefixes; i++) {
		free(m->prefixes[i].prefix);
		free(m->prefixes[i].type);
	}
	free(m->prefixes);
	free(m);
}

/* The entries for an event, as a range [*first, *last). */
static void
evmap_find(const struct evmap *m, const char *source, const char *name,
    size_t *first, size_t *last)
{
	struct evmap_entry	 probe;
	size_t			 lo = 0, hi = m->n, mid;
	int			 c;

	probe.key = xprintf("%s %s", source, name);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(m->v[mid].key, probe.key)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = *last = lo;
	while (*last < m->n && strcmp(m->v[*last].key, probe.key) == 0)
		(*last)++;
	free(probe.key);
}

/* Does the map say the event changes nothing vigil collects? */
bool
evmap_ignored(const struct evmap *m, const char *source, const char *name)
{
	size_t	 first, last;

	evmap_find(m, source, name, &first, &last);
	return first < last && m->v[first].ignore;
}

bool
evmap_known(const struct evmap *m, const char *source, const char *name)
{
	size_t	 first, last;

	evmap_find(m, source, name, &first, &last);
	return first < last;
}

static void
evmap_push(struct evmap_ref **refs, size_t *n, const char *type,
    const char *id, bool delete)
{
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*refs)[i].type, type) == 0 &&
		    strcmp((*refs)[i].id, id) == 0)
			return;
	}
	*refs = xreallocarray(*refs, *n + 1, sizeof **refs);
	(*refs)[*n].type = xstrdup(type);
	(*refs)[*n].id = xstrdup(id);
	(*refs)[*n].delete = delete;
	(*n)++;
}

static const char *
evmap_prefix_type(const struct evmap *m, const char *id)
{
	size_t	 i;

	for (i = 0; i < m->nprefixes; i++) {
		if (strncmp(id, m->prefixes[i].prefix,
		    strlen(m->prefixes[i].prefix)) == 0)
			return m->prefixes[i].type;
	}
	return NULL;
}

/*
 * The ids a path stands for without reading the record: ${account} and
 * ${region} (the event's, for singletons), ${all} ("*": every asset of
 * the type in the event's region, listed again).
 */
static const char *
evmap_special(const char *path, const struct change_event *ev)
{
	if (strcmp(path, "${region}") == 0)
		return ev->region;
	if (strcmp(path, "${account}") == 0)
		return ev->account;
	if (strcmp(path, "${all}") == 0)
		return "*";
	return NULL;
}

/*
 * The assets an event changed: refs (type, id, delete) the caller frees
 * with evmap_refs_free.  Read-only and failed calls change nothing.
 */
size_t
evmap_resolve(const struct evmap *m, const struct change_event *ev,
    struct evmap_ref **refs)
{
	json_t		*rec, **vals;
	const char	*id, *type, *slash;
	char		*path, *bar;
	size_t		 n = 0, first, last, i, j, k, nv;
	bool		 arn;

	*refs = NULL;
	if (ev->kind == CHANGE_CONFIG_ITEM) {
		if (ev->resource_type != NULL && ev->resource_id != NULL &&
		    collect_type_find(ev->resource_type) != NULL)
			evmap_push(refs, &n, ev->resource_type,
			    ev->resource_id,
			    ev->config_status == CHANGE_CONFIG_DELETED ||
			    ev->config_status ==
			    CHANGE_CONFIG_DELETED_NOT_RECORDED);
		return n;
	}
	if (!change_affects_assets(ev) || ev->source == NULL ||
	    ev->name == NULL)
		return 0;
	evmap_find(m, ev->source, ev->name, &first, &last);
	if (first == last)
		return 0;
	if ((rec = json_loadb(ev->raw, ev->raw_len, 0, NULL)) == NULL)
		return 0;
	for (i = first; i < last; i++) {
		for (j = 0; j < m->v[i].npaths; j++) {
			if ((id = evmap_special(m->v[i].paths[j], ev)) !=
			    NULL || *m->v[i].paths[j] == '$') {
				if (id != NULL && m->v[i].type != NULL)
					evmap_push(refs, &n, m->v[i].type, id,
					    m->v[i].delete);
				continue;
			}
			path = xstrdup(m->v[i].paths[j]);
			arn = (bar = strstr(path, "|arn")) != NULL;
			if (bar != NULL)
				*bar = '\0';
			nv = collect_path(rec, path, &vals);
			for (k = 0; k < nv; k++) {
				if ((id = json_string_value(vals[k])) == NULL ||
				    *id == '\0')
					continue;
				if (arn && strncmp(id, "arn:", 4) == 0) {
					if ((slash = strrchr(id, '/')) == NULL)
						slash = strrchr(id, ':');
					id = slash + 1;
				}
				type = m->v[i].type != NULL ? m->v[i].type :
				    evmap_prefix_type(m, id);
				if (type != NULL)
					evmap_push(refs, &n, type, id,
					    m->v[i].delete);
			}
			free(vals);
			free(path);
		}
	}
	json_decref(rec);
	return n;
}

void
evmap_refs_free(struct evmap_ref *refs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(refs[i].type);
		free(refs[i].id);
	}
	free(refs);
}

/* Does the map name any event of this source? */
static bool
evmap_has_source(const struct evmap *m, const char *source)
{
	size_t	 i, len = strlen(source);

	for (i = 0; i < m->n; i++) {
		if (!m->v[i].ignore && strncmp(m->v[i].key, source, len) == 0 &&
		    m->v[i].key[len] == ' ')
			return true;
	}
	return false;
}

struct evmap_seen {
	char	*key;		/* "source name" */
	bool	 mapped;	/* or ignored */
	bool	 ours;		/* a source the map knows */
	bool	 ignored;
};

static int
evmap_seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct evmap_seen *)a)->key,
	    ((const struct evmap_seen *)b)->key);
}

static void
evmap_print_runs(FILE *f, const struct evmap_seen *s, size_t n, bool mapped,
    bool ours)
{
	size_t	 i, j;

	for (i = 0; i < n; i = j) {
		for (j = i; j < n && strcmp(s[j].key, s[i].key) == 0; j++)
			;
		if (s[i].mapped == mapped && s[i].ours == ours)
			fprintf(f, "  %6zu  %s\n", j - i, s[i].key);
	}
}

/*
 * In a directory, CloudTrail logs have ".json" in their name: *.json,
 * *.json.gz, the *.json.cloudtrail of some exports.
 */
static bool
evmap_log_name(const char *path)
{
	const char	*base = strrchr(path, '/');

	return strstr(base != NULL ? base + 1 : path, ".json") != NULL;
}

/*
 * vigild -E: which successful, mutating CloudTrail events of the files
 * (CloudTrail logs, gzip'd or not, or directories of them) the map turns
 * into refreshes.  Prints the counts and the unmapped names; returns the
 * number of unmapped events of the sources the map knows, or -1 when a
 * file cannot be read.
 */
long
evmap_coverage(const struct evmap *m, char **paths, size_t npaths, FILE *f)
{
	struct envelope_result	 res;
	struct stat		 sb;
	struct evmap_seen	*seen = NULL;
	struct change_event	*ev;
	char			**files, *buf, *cause = NULL;
	size_t			 nfiles, nseen = 0, nread = 0, len, i, j, k;
	size_t			 nfilesread = 0, nskipped = 0, nignored = 0;
	size_t			 names[2][2] = { { 0, 0 }, { 0, 0 } };
	size_t			 counts[2][2] = { { 0, 0 }, { 0, 0 } };
	long			 unmapped = 0;
	int			 rc = 0;

	for (i = 0; i < npaths && rc == 0; i++) {
		if (stat(paths[i], &sb) != 0) {
			fprintf(stderr, "vigild: %s: %s\n", paths[i],
			    strerror(errno));
			rc = -1;
			break;
		}
		if (S_ISDIR(sb.st_mode))
			files = dir_files(paths[i], 8, &nfiles);
		else {
			files = xcalloc(1, sizeof *files);
			files[0] = xstrdup(paths[i]);
			nfiles = 1;
		}
		for (j = 0; j < nfiles && rc == 0; j++) {
			if (S_ISDIR(sb.st_mode) && !evmap_log_name(files[j]))
				continue;
			if ((buf = read_file(files[j], 512 * 1024 * 1024, &len,
			    &cause)) == NULL) {
				fprintf(stderr, "vigild: %s\n", cause);
				free(cause);
				rc = -1;
				break;
			}
			if (envelope_parse(buf, len, 512 * 1024 * 1024, &res,
			    &cause) != 0) {
				/* Not CloudTrail (an index, a README). */
				fprintf(stderr, "vigild: %s: skipped: %s\n",
				    files[j], cause);
				free(cause);
				free(buf);
				cause = NULL;
				nskipped++;
				continue;
			}
			free(buf);
			nfilesread++;
			for (k = 0; k < res.nevents; k++) {
				ev = res.events[k];
				nread++;
				if (ev->kind == CHANGE_CONFIG_ITEM ||
				    !change_affects_assets(ev) ||
				    ev->source == NULL || ev->name == NULL)
					continue;
				seen = xreallocarray(seen, nseen + 1,
				    sizeof *seen);
				seen[nseen].key = xprintf("%s %s", ev->source,
				    ev->name);
				seen[nseen].mapped = evmap_known(m, ev->source,
				    ev->name);
				seen[nseen].ignored = evmap_ignored(m,
				    ev->source, ev->name);
				seen[nseen].ours = evmap_has_source(m,
				    ev->source);
				nseen++;
			}
			envelope_result_free(&res);
		}
		for (j = 0; j < nfiles; j++)
			free(files[j]);
		free(files);
	}
	if (rc == 0) {
		qsort(seen, nseen, sizeof *seen, evmap_seen_cmp);
		for (i = 0; i < nseen; i++) {
			nignored += seen[i].ignored;
			counts[seen[i].ours][seen[i].mapped]++;
			if (i == 0 || strcmp(seen[i].key, seen[i - 1].key) != 0)
				names[seen[i].ours][seen[i].mapped]++;
		}
		unmapped = (long)counts[1][0];
		fprintf(f, "files read: %zu (%zu skipped); events: %zu; "
		    "successful writes: %zu\n", nfilesread, nskipped, nread,
		    nseen);
		fprintf(f, "of services the map knows: %zu mapped (%zu names; "
		    "%zu events known to change no collected asset), %zu "
		    "unmapped (%zu names)\n", counts[1][1], names[1][1],
		    nignored, counts[1][0], names[1][0]);
		fprintf(f, "of other services: %zu (%zu names)\n",
		    counts[0][0] + counts[0][1], names[0][0] + names[0][1]);
		if (counts[1][0] > 0) {
			fprintf(f, "unmapped, of services the map knows:\n");
			evmap_print_runs(f, seen, nseen, false, true);
		}
		if (counts[0][0] > 0) {
			fprintf(f, "of other services:\n");
			evmap_print_runs(f, seen, nseen, false, false);
		}
	}
	for (i = 0; i < nseen; i++)
		free(seen[i].key);
	free(seen);
	return rc == 0 ? unmapped : -1;
}
