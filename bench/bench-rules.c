/*
 * bench-rules.c: rule evaluations per second, for the sample pack
 * (rules/aws/classic.yaml) over its test documents (tests/data/rules).
 *
 * Every case document is evaluated against every rule of its type, as
 * vigild does when an asset changes: first without evidence (the answer
 * only, as the daemon asks first), then with evidence and dependencies (as
 * for a violation it records).  Each figure is the best of a few rounds.
 * Also: the pack's compile time, and evaluations per second rule by rule.
 *
 * Prints a table; writes $VIGIL_BENCH_DIR/rules.json.  Exit 77 when the
 * pack or the documents are not there.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil.h"
#include "rule.h"

#define ROUNDS		7
#define ROUND_SECONDS	0.3

struct doc {
	json_t			*file;		/* the case, owned */
	struct rule_asset	 asset;
	const struct rule *const *rules;
	size_t			 nrules;
};

struct corpus {
	struct doc	*v;
	size_t		 n;
	size_t		 evals;		/* in one pass */
};

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The related assets of a case, for its references. */
static json_t *
related_get(void *ctx, const char *type, const char *id, const char *account,
    const char *region)
{
	json_t	*related = ctx, *r;
	size_t	 i;

	json_array_foreach(related, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "type")),
		    type) != 0)
			continue;
		if (id != NULL && (!json_is_string(json_object_get(r, "id")) ||
		    strcmp(json_string_value(json_object_get(r, "id")), id) !=
		    0))
			continue;
		return json_incref(json_object_get(r, "document"));
	}
	return NULL;
}

/* One pass: every document, every rule of its type.  Violations. */
static size_t
pass(const struct corpus *c, const struct rule *only, bool evidence)
{
	struct rule_lookup	 lk;
	struct rule_result	 res;
	const struct doc	*d;
	size_t			 i, j, violations = 0;

	lk.get = related_get;
	for (i = 0; i < c->n; i++) {
		d = &c->v[i];
		lk.ctx = json_object_get(d->file, "related");
		for (j = 0; j < d->nrules; j++) {
			if (only != NULL && d->rules[j] != only)
				continue;
			if (evidence) {
				if (rule_eval(d->rules[j], &d->asset, &lk,
				    1717243200000LL, &res))
					violations++;
				rule_result_free(&res);
			} else if (rule_eval(d->rules[j], &d->asset, &lk,
			    1717243200000LL, NULL))
				violations++;
		}
	}
	return violations;
}

/* Evaluations a second: the best of ROUNDS rounds. */
static double
measure(const struct corpus *c, const struct rule *only, bool evidence,
    size_t evals, size_t *violations, size_t *itersp)
{
	double	 t0, t, best = 0;
	size_t	 iters, i, r;

	t0 = seconds();
	*violations = pass(c, only, evidence);
	t = seconds() - t0;
	iters = t > 0 ? (size_t)(ROUND_SECONDS / t) + 1 : 1000;
	for (r = 0; r < ROUNDS; r++) {
		t0 = seconds();
		for (i = 0; i < iters; i++) {
			if (pass(c, only, evidence) != *violations)
				fatalx("evaluation is not deterministic");
		}
		t = seconds() - t0;
		if (r == 0 || t < best)
			best = t;
	}
	*itersp = iters;
	return (double)(evals * iters) / best;
}

int
main(void)
{
	const char	*srcdir = getenv("VIGIL_SRCDIR");
	const char	*outdir = getenv("VIGIL_BENCH_DIR");
	struct diags	 d = { NULL, 0 };
	struct ruleset	*rs;
	struct corpus	 c;
	json_error_t	 err;
	json_t		*j, *out, *per;
	char		*pack, *cases, **files, *path;
	size_t		 nfiles, i, k, viol, viol_ev, iters, iters_ev, n;
	size_t		 loads;
	double		 rate, rate_ev, t0, t, load_ms;
	const struct rule *r;

	log_init("bench-rules", false);
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = BENCH_SRCDIR;
	pack = xprintf("%s/rules/aws/classic.yaml", srcdir);
	cases = xprintf("%s/tests/data/rules", srcdir);
	if ((rs = ruleset_load(&pack, 1, &d)) == NULL) {
		diag_print(stdout, &d, false);
		printf("bench-rules: %s does not load: nothing to measure\n",
		    pack);
		return 77;
	}

	memset(&c, 0, sizeof c);
	files = dir_files(cases, 1, &nfiles);
	for (i = 0; i < nfiles; i++) {
		if (strlen(files[i]) > 5 &&
		    strcmp(files[i] + strlen(files[i]) - 5, ".json") == 0 &&
		    (j = json_load_file(files[i], 0, &err)) != NULL) {
			c.v = xreallocarray(c.v, c.n + 1, sizeof *c.v);
			memset(&c.v[c.n], 0, sizeof c.v[c.n]);
			c.v[c.n].file = j;
			c.v[c.n].asset.type = json_string_value(
			    json_object_get(j, "type"));
			c.v[c.n].asset.id = json_string_value(
			    json_object_get(j, "id"));
			c.v[c.n].asset.account = json_string_value(
			    json_object_get(j, "account"));
			c.v[c.n].asset.region = json_string_value(
			    json_object_get(j, "region"));
			c.v[c.n].asset.doc = json_object_get(j, "document");
			if (c.v[c.n].asset.type != NULL) {
				c.v[c.n].rules = ruleset_for_type(rs,
				    c.v[c.n].asset.type, &c.v[c.n].nrules);
				c.evals += c.v[c.n].nrules;
			}
			c.n++;
		}
		free(files[i]);
	}
	free(files);
	if (c.evals == 0) {
		printf("bench-rules: no documents in %s: nothing to measure\n",
		    cases);
		return 77;
	}

	/* Compile time: load the pack again and again for a while. */
	t0 = seconds();
	for (loads = 0; (t = seconds() - t0) < ROUND_SECONDS || loads < 10;
	    loads++)
		ruleset_free(ruleset_load(&pack, 1, &d));
	load_ms = t * 1000 / (double)loads;

	rate = measure(&c, NULL, false, c.evals, &viol, &iters);
	rate_ev = measure(&c, NULL, true, c.evals, &viol_ev, &iters_ev);
	if (viol != viol_ev)
		fatalx("%zu violations without evidence, %zu with", viol,
		    viol_ev);

	printf("bench-rules: %s over %s\n", pack, cases);
	printf("  %zu rules, %zu documents, %zu evaluations a pass "
	    "(%zu violate); %d rounds, best of each\n\n", ruleset_count(rs),
	    c.n, c.evals, viol, ROUNDS);
	printf("  %-40s %14s %12s\n", "", "evaluations/s", "us/eval");
	printf("  %-40s %14.0f %12.3f\n", "answer only (no evidence)", rate,
	    1e6 / rate);
	printf("  %-40s %14.0f %12.3f\n", "with evidence and dependencies",
	    rate_ev, 1e6 / rate_ev);
	printf("  %-40s %14s %12.3f\n", "compile the pack (us a load)", "",
	    load_ms * 1000);
	printf("\n  %-40s %5s %14s\n", "rule (answer only)", "docs",
	    "evaluations/s");

	per = json_object();
	for (i = 0; i < ruleset_count(rs); i++) {
		r = ruleset_rule(rs, i);
		for (n = 0, k = 0; k < c.n; k++) {
			if (c.v[k].nrules > 0 && strcmp(c.v[k].asset.type,
			    r->types[0]) == 0)
				n++;
		}
		if (n == 0)
			continue;
		t = measure(&c, r, false, n, &viol, &iters);
		printf("  %-40s %5zu %14.0f\n", r->id, n, t);
		json_object_set_new(per, r->id, json_real(t));
	}

	if (outdir == NULL || *outdir == '\0')
		outdir = "bench/results";
	path = xprintf("%s/rules.json", outdir);
	out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:f, s:f, s:f, s:o}",
	    "benchmark", "rules", "pack", pack,
	    "rules", (json_int_t)ruleset_count(rs),
	    "documents", (json_int_t)c.n, "evaluations_per_pass",
	    (json_int_t)c.evals, "rounds", ROUNDS,
	    "evaluations_per_second", rate,
	    "evaluations_per_second_with_evidence", rate_ev,
	    "compile_ms", load_ms, "per_rule_evaluations_per_second", per);
	if (out == NULL || json_dump_file(out, path, JSON_INDENT(2)) == -1) {
		log_warnx("%s: cannot write", path);
		json_decref(out);
		return 1;
	}
	json_decref(out);
	free(path);
	for (i = 0; i < c.n; i++)
		json_decref(c.v[i].file);
	free(c.v);
	ruleset_free(rs);
	free(pack);
	free(cases);
	return 0;
}
