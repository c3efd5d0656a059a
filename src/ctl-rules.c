/*
 * ctl-rules.c: vigilctl's offline rule commands, no daemon needed:
 * "rules check" compiles rule files and prints every error; "rules test"
 * evaluates a rule file's rules over asset documents given as files, and
 * says which assets violate which rules, with the evidence.
 */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format.h"
#include "rule.h"
#include "vigil.h"
#include "vigilctl.h"

#define ASSET_MAX_BYTES	(64 * 1024 * 1024)

struct test_asset {
	char		*file;
	char		*type;
	char		*id;
	char		*account;
	char		*region;
	json_t		*doc;
	int64_t		 now;		/* the file's "now"; 0: none */
	bool		 related;	/* for its owner's references only */
	size_t		 owner;
};

struct test_assets {
	struct test_asset	*v;
	size_t			 n;
	size_t			 current;	/* being evaluated */
};

static void
rules_usage(const char *cmd, const char *args)
{
	fprintf(stderr, "usage: vigilctl [-o table|json|csv] rules %s %s\n",
	    cmd, args);
}

static json_t *
diags_json(const struct diags *d)
{
	json_t	*arr, *o;
	size_t	 i;

	arr = json_array();
	for (i = 0; i < d->n; i++) {
		o = json_object();
		json_object_set_new(o, "file", d->v[i].file != NULL ?
		    json_string(d->v[i].file) : json_null());
		json_object_set_new(o, "line", json_integer(d->v[i].line));
		json_object_set_new(o, "col", json_integer(d->v[i].col));
		json_object_set_new(o, "message", json_string(d->v[i].msg));
		json_array_append_new(arr, o);
	}
	return arr;
}

static struct ruleset *
rules_load(struct ctl *ctl, char *const *paths, size_t n)
{
	struct ruleset	*rs;
	struct diags	 d = { NULL, 0 };
	json_t		*o;

	if ((rs = ruleset_load(paths, n, &d)) != NULL)
		return rs;
	if (ctl->fmt == FORMAT_JSON) {
		o = json_pack("{s:b, s:o}", "ok", 0, "errors", diags_json(&d));
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
	} else {
		diag_print(stderr, &d, true);
		fprintf(stderr, "%zu error%s\n", d.n, d.n == 1 ? "" : "s");
	}
	diag_clear(&d);
	return NULL;
}

/* rules check FILE...: compile, print every error; exit 1 if any. */
int
ctl_rules_check(struct ctl *ctl, int argc, char **argv)
{
	struct ruleset	*rs;
	json_t		*o;
	size_t		 n;

	if (argc < 2) {
		rules_usage("check", "FILE|DIR...");
		return CTL_EXIT_USAGE;
	}
	if ((rs = rules_load(ctl, argv + 1, (size_t)argc - 1)) == NULL)
		return CTL_EXIT_NO;
	n = ruleset_count(rs);
	if (ctl->fmt == FORMAT_JSON) {
		o = json_pack("{s:b, s:I, s:I}", "ok", 1, "rules",
		    (json_int_t)n, "files", (json_int_t)ruleset_nfiles(rs));
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
	} else
		printf("%zu rule%s OK\n", n, n == 1 ? "" : "s");
	ruleset_free(rs);
	return CTL_EXIT_OK;
}

static void
assets_free(struct test_assets *ta)
{
	size_t	 i;

	for (i = 0; i < ta->n; i++) {
		free(ta->v[i].file);
		free(ta->v[i].type);
		free(ta->v[i].id);
		free(ta->v[i].account);
		free(ta->v[i].region);
		json_decref(ta->v[i].doc);
	}
	free(ta->v);
}

static char *
opt_string(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (json_is_string(v) && *json_string_value(v) != '\0')
		return xstrdup(json_string_value(v));
	return NULL;
}

/* An asset wrapper {"type", "id", "account", "region", "document"}? */
static bool
is_wrapper(const json_t *j)
{
	return json_is_object(j) &&
	    json_is_string(json_object_get(j, "type")) &&
	    json_is_object(json_object_get(j, "document"));
}

/*
 * Add an asset: a wrapper, or a document alone when type is given (its id
 * is then the file's name without .json).  A related asset is there for
 * the others' references, and not evaluated.  Returns 0, or -1 with a
 * message printed.
 */
static int
asset_add(struct test_assets *ta, const char *path, json_t *j,
    const char *type, bool related, size_t owner)
{
	struct test_asset	 a;
	const json_t		*v;
	char			*copy, *base, *dot;

	memset(&a, 0, sizeof a);
	if (is_wrapper(j)) {
		a.type = opt_string(j, "type");
		a.id = opt_string(j, "id");
		a.account = opt_string(j, "account");
		a.region = opt_string(j, "region");
		a.doc = json_incref(json_object_get(j, "document"));
		v = json_object_get(j, "now");
		if (v != NULL && (!json_is_string(v) || rule_timestamp(
		    json_string_value(v), strlen(json_string_value(v)),
		    &a.now) != 0)) {
			log_warnx("%s: now: not an ISO 8601 time", path);
			json_decref(a.doc);
			free(a.type);
			free(a.id);
			free(a.account);
			free(a.region);
			return -1;
		}
	} else if (type != NULL && !related) {
		a.type = xstrdup(type);
		a.doc = json_incref(j);
	} else {
		log_warnx("%s: not an asset {\"type\", \"id\", \"document\"}%s",
		    path, related ? " in related" : "; give the type of a bare "
		    "document with --type");
		return -1;
	}
	if (!rule_asset_type_ok(a.type)) {
		log_warnx("%s: '%s' is not an asset type", path, a.type);
		json_decref(a.doc);
		free(a.type);
		free(a.id);
		free(a.account);
		free(a.region);
		return -1;
	}
	if (a.id == NULL) {
		copy = xstrdup(path);
		base = basename(copy);
		if ((dot = strrchr(base, '.')) != NULL && dot != base)
			*dot = '\0';
		a.id = xstrdup(base);
		free(copy);
	}
	a.file = xstrdup(path);
	a.related = related;
	a.owner = owner;
	ta->v = xreallocarray(ta->v, ta->n + 1, sizeof *ta->v);
	ta->v[ta->n++] = a;
	return 0;
}

/* An asset file, and the related assets it lists.  Returns 0 or -1. */
static int
asset_load(struct test_assets *ta, const char *path, const char *type)
{
	json_error_t	 err;
	json_t		*j, *r;
	size_t		 i, owner = ta->n;
	int		 rc;

	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		log_warnx("%s:%d:%d: %s", path, err.line, err.column, err.text);
		return -1;
	}
	rc = asset_add(ta, path, j, type, false, owner);
	if (rc == 0 && is_wrapper(j)) {
		json_array_foreach(json_object_get(j, "related"), i, r) {
			if (asset_add(ta, path, r, NULL, true, owner) != 0)
				rc = -1;
		}
	}
	json_decref(j);
	return rc;
}

static bool
same(const char *a, const char *b)
{
	return a == NULL || b == NULL || *a == '\0' || *b == '\0' ||
	    strcmp(a, b) == 0;
}

/*
 * The lookup: the assets of the command line, and those the evaluated
 * asset's own file lists as related.
 */
static json_t *
assets_get(void *ctx, const char *type, const char *id, const char *account,
    const char *region)
{
	struct test_assets	*ta = ctx;
	struct test_asset	*a;
	size_t			 i;

	for (i = 0; i < ta->n; i++) {
		a = &ta->v[i];
		if (strcmp(a->type, type) != 0 ||
		    (a->related && a->owner != ta->current))
			continue;
		if (id != NULL) {
			if (strcmp(a->id, id) == 0)
				return json_incref(a->doc);
			continue;
		}
		if (same(a->account, account) && same(a->region, region))
			return json_incref(a->doc);
	}
	return NULL;
}

/* One evidence entry as text: [type id: ]path = value. */
static char *
evidence_text(const json_t *e)
{
	const json_t	*a = json_object_get(e, "asset");
	char		*v, *s;

	v = json_dumps(json_object_get(e, "value"), JSON_ENCODE_ANY |
	    JSON_COMPACT);
	if (a != NULL)
		s = xprintf("%s %s%s: %s = %s",
		    json_string_value(json_object_get(a, "type")),
		    json_is_string(json_object_get(a, "id")) ?
		    json_string_value(json_object_get(a, "id")) : "(account)",
		    json_is_true(json_object_get(a, "found")) ? "" :
		    " (absent)", json_string_value(json_object_get(e, "path")),
		    v != NULL ? v : "null");
	else
		s = xprintf("%s = %s",
		    json_string_value(json_object_get(e, "path")),
		    v != NULL ? v : "null");
	free(v);
	return s;
}

static void
print_results(struct ctl *ctl, json_t *results, size_t nviol)
{
	static const struct format_column cols[] = {
		{ "file", "FILE", false },
		{ "type", "TYPE", false },
		{ "id", "ID", false },
		{ "rule", "RULE", false },
		{ "severity", "SEVERITY", false },
		{ "evidence_text", "EVIDENCE", false },
	};
	json_t		*o, *rows, *r, *e;
	char		*t, *joined, *next;
	size_t		 i, j, n = json_array_size(results);

	if (ctl->fmt == FORMAT_JSON) {
		o = json_pack("{s:I, s:I, s:O}", "evaluations", (json_int_t)n,
		    "violations", (json_int_t)nviol, "results", results);
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
		return;
	}
	if (ctl->fmt == FORMAT_CSV) {
		rows = json_array();
		json_array_foreach(results, i, r) {
			if (!json_is_true(json_object_get(r, "violates")))
				continue;
			joined = xstrdup("");
			json_array_foreach(json_object_get(r, "evidence"), j,
			    e) {
				t = evidence_text(e);
				next = xprintf("%s%s%s", joined, j == 0 ? "" :
				    "; ", t);
				free(t);
				free(joined);
				joined = next;
			}
			o = json_deep_copy(r);
			json_object_set_new(o, "evidence_text",
			    json_string(joined));
			free(joined);
			json_array_append_new(rows, o);
		}
		format_rows(stdout, ctl->fmt, rows, cols, nitems(cols));
		json_decref(rows);
		return;
	}
	/* For people: each violation, then its evidence, one a line. */
	json_array_foreach(results, i, r) {
		if (!json_is_true(json_object_get(r, "violates")))
			continue;
		printf("%s: %s %s violates %s [%s]\n",
		    json_string_value(json_object_get(r, "file")),
		    json_string_value(json_object_get(r, "type")),
		    json_string_value(json_object_get(r, "id")),
		    json_string_value(json_object_get(r, "rule")),
		    json_string_value(json_object_get(r, "severity")));
		json_array_foreach(json_object_get(r, "evidence"), j, e) {
			t = evidence_text(e);
			printf("    %s\n", t);
			free(t);
		}
		if (json_is_true(json_object_get(r, "evidence_truncated")))
			printf("    ...\n");
	}
	if (nviol == 0)
		printf("no violations (%zu evaluation%s)\n", n,
		    n == 1 ? "" : "s");
	else
		printf("%zu violation%s in %zu evaluation%s\n", nviol,
		    nviol == 1 ? "" : "s", n, n == 1 ? "" : "s");
}

/*
 * rules test [--type T] [--now TIME] RULES ASSET.json...: evaluate every
 * rule of RULES that applies to each asset (the other assets are there for
 * references).  Exit 1 when any asset violates a rule, 0 when none does.
 */
int
ctl_rules_test(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct test_assets	 ta = { NULL, 0 };
	struct ruleset		*rs;
	struct rule_lookup	 lk;
	struct rule_asset	 ra;
	struct rule_result	 res;
	const struct rule *const *rules;
	const char		*type = NULL;
	json_t			*results, *r;
	size_t			 i, j, nrules, nviol = 0;
	int64_t			 now = 0;
	int			 ch, rc = CTL_EXIT_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			type = optarg;
			break;
		case 'n':
			if (rule_timestamp(optarg, strlen(optarg), &now) != 0) {
				log_warnx("--now: '%s' is not an ISO 8601 "
				    "time (like 2024-05-01T12:00:00Z)", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		default:
			rules_usage("test", "[--type T] [--now TIME] RULES "
			    "ASSET.json...");
			return CTL_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		rules_usage("test", "[--type T] [--now TIME] RULES "
		    "ASSET.json...");
		return CTL_EXIT_USAGE;
	}
	if (type != NULL && !rule_asset_type_ok(type)) {
		log_warnx("--type: '%s' is not an asset type (like "
		    "AWS::S3::Bucket)", type);
		return CTL_EXIT_USAGE;
	}
	for (i = (size_t)optind + 1; i < (size_t)argc; i++) {
		if (asset_load(&ta, argv[i], type) != 0)
			rc = CTL_EXIT_USAGE;
	}
	if (rc != CTL_EXIT_OK) {
		assets_free(&ta);
		return rc;
	}
	if ((rs = rules_load(ctl, argv + optind, 1)) == NULL) {
		assets_free(&ta);
		return CTL_EXIT_USAGE;
	}

	lk.get = assets_get;
	lk.ctx = &ta;
	results = json_array();
	for (i = 0; i < ta.n; i++) {
		if (ta.v[i].related)
			continue;
		ta.current = i;
		memset(&ra, 0, sizeof ra);
		ra.type = ta.v[i].type;
		ra.id = ta.v[i].id;
		ra.account = ta.v[i].account;
		ra.region = ta.v[i].region;
		ra.doc = ta.v[i].doc;
		rules = ruleset_for_type(rs, ra.type, &nrules);
		for (j = 0; j < nrules; j++) {
			/* --now, else the file's own "now", else now. */
			rule_eval(rules[j], &ra, &lk, now != 0 ? now :
			    ta.v[i].now, &res);
			r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:O}",
			    "file", ta.v[i].file, "type", ra.type, "id", ra.id,
			    "rule", rules[j]->id, "severity",
			    rule_severity_name(rules[j]->severity), "violates",
			    res.violates, "evidence", res.evidence);
			if (res.truncated)
				json_object_set_new(r, "evidence_truncated",
				    json_true());
			json_array_append_new(results, r);
			if (res.violates)
				nviol++;
			rule_result_free(&res);
		}
	}
	print_results(ctl, results, nviol);
	json_decref(results);
	ruleset_free(rs);
	assets_free(&ta);
	return nviol > 0 ? CTL_EXIT_NO : CTL_EXIT_OK;
}
