/*
 * bench-rules.c: rule evaluations per second, for the built-in packs
 * (rules/aws) over their test documents (tests/data/rules).
 *
 * Every case document is evaluated against every rule of its type, as
 * vigild does when an asset changes: first without evidence (the answer
 * only, as the daemon asks first), then with evidence and dependencies (as
 * for a violation it records).  Each figure is the best of a few rounds.
 * Also: the pack's compile time, and evaluations per second rule by rule.
 *
 * Then N documents (VIGIL_BENCH_JQ_DOCS, 100,000: the security groups,
 * volumes and snapshots of the cases, over and over) are judged by three
 * rules, and the same three conditions are written for jq and run over the
 * same documents (JSON lines): the same violations, and the time of each.
 *
 * Prints a table; writes $VIGIL_BENCH_DIR/rules.json.  Exit 77 when the
 * pack or the documents are not there.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The three rules, and what jq makes of the same conditions. */
static const char *const jq_rules[] = {
	"aws-ec2-sg-admin-port-open-world", "aws-ec2-ebs-volume-unencrypted",
	"aws-ec2-ebs-snapshot-public",
};
static const char jq_program[] =
    "def world: any(.IpRanges[]?; .CidrIp == \"0.0.0.0/0\") or "
    "any(.Ipv6Ranges[]?; .CidrIpv6 == \"::/0\");"
    "def reaches($port): .IpProtocol == \"-1\" or "
    "((.IpProtocol == \"tcp\" or .IpProtocol == \"6\") and "
    ".FromPort <= $port and $port <= .ToPort);"
    "[inputs | select("
    "(.type == \"AWS::EC2::SecurityGroup\" and (.document | "
    "any(.IpPermissions[]?; world and (reaches(22) or reaches(3389))))) or "
    "(.type == \"AWS::EC2::Volume\" and (.document.Encrypted | not)) or "
    "(.type == \"AWS::EC2::Snapshot\" and (.document | "
    "any(.CreateVolumePermissions[]?; .Group == \"all\"))))] | length";

/*
 * N documents by three rules, in vigild (parsed, and parsing each line as
 * jq must) and in jq.  Prints the table; the figures go into out.
 */
static void
versus_jq(const struct corpus *c, const struct ruleset *rs, json_t *out)
{
	const struct rule	*rules[3];
	const struct doc	*base[256];
	const char		*env = getenv("VIGIL_BENCH_JQ_DOCS");
	struct rule_lookup	 lk = { related_get, NULL };
	struct rule_asset	 a;
	json_t			*line;
	char			 path[] = "/tmp/vigil-bench-jq.XXXXXX", *cmd;
	char			 buf[64], *text, *p, *nl;
	size_t			 nbase = 0, n, i, k, len;
	size_t			 viol_mem = 0, viol_parse = 0, viol_jq = 0;
	double			 t0, t_mem, t_parse, t_jq;
	FILE			*f;
	int			 fd;

	n = env != NULL && *env != '\0' ? strtoul(env, NULL, 10) : 100000;
	for (k = 0; k < 3; k++) {
		if ((rules[k] = ruleset_find(rs, jq_rules[k])) == NULL) {
			printf("\n  versus jq: no rule %s\n", jq_rules[k]);
			return;
		}
	}
	for (i = 0; i < c->n && nbase < 256; i++) {
		for (k = 0; k < 3; k++) {
			if (c->v[i].asset.type != NULL && strcmp(
			    c->v[i].asset.type, rules[k]->types[0]) == 0)
				base[nbase++] = &c->v[i];
		}
	}
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		fatal("%s", path);
	for (i = 0; i < n; i++) {
		line = json_pack("{s:s, s:O}", "type",
		    base[i % nbase]->asset.type, "document",
		    base[i % nbase]->asset.doc);
		json_dumpf(line, f, JSON_COMPACT);
		fputc('\n', f);
		json_decref(line);
	}
	fclose(f);

	/* vigild, documents in memory. */
	t0 = seconds();
	for (i = 0; i < n; i++) {
		a = base[i % nbase]->asset;
		for (k = 0; k < 3; k++) {
			if (strcmp(a.type, rules[k]->types[0]) == 0)
				viol_mem += rule_eval(rules[k], &a, &lk,
				    1717243200000LL, NULL);
		}
	}
	t_mem = seconds() - t0;

	/* vigild, each line parsed first, as jq does. */
	if ((text = read_file(path, 1 << 30, &len, &cmd)) == NULL)
		fatalx("%s", cmd);
	t0 = seconds();
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			break;
		if ((line = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL)
			fatalx("%s: a line is not JSON", path);
		memset(&a, 0, sizeof a);
		a.type = json_string_value(json_object_get(line, "type"));
		a.doc = json_object_get(line, "document");
		for (k = 0; k < 3; k++) {
			if (strcmp(a.type, rules[k]->types[0]) == 0)
				viol_parse += rule_eval(rules[k], &a, &lk,
				    1717243200000LL, NULL);
		}
		json_decref(line);
	}
	t_parse = seconds() - t0;
	free(text);

	cmd = xprintf("jq -n '%s' %s", jq_program, path);
	t0 = seconds();
	if ((f = popen(cmd, "r")) == NULL || fgets(buf, sizeof buf, f) ==
	    NULL) {
		printf("\n  versus jq: jq did not run (is it installed?)\n");
		if (f != NULL)
			pclose(f);
		free(cmd);
		unlink(path);
		return;
	}
	pclose(f);
	t_jq = seconds() - t0;
	viol_jq = strtoul(buf, NULL, 10);
	free(cmd);
	unlink(path);
	if (viol_jq != viol_mem || viol_parse != viol_mem)
		fatalx("versus jq: %zu violations in vigild, %zu parsing, %zu "
		    "in jq", viol_mem, viol_parse, viol_jq);

	printf("\n  versus jq: %zu documents (security groups, volumes, "
	    "snapshots), 3 rules, %zu violations\n", n, viol_mem);
	printf("  %-40s %10s %14s\n", "", "seconds", "documents/s");
	printf("  %-40s %10.3f %14.0f\n", "vigild, documents in memory",
	    t_mem, (double)n / t_mem);
	printf("  %-40s %10.3f %14.0f\n", "vigild, parsing each line", t_parse,
	    (double)n / t_parse);
	printf("  %-40s %10.3f %14.0f\n", "jq 1.6, the same conditions", t_jq,
	    (double)n / t_jq);
	json_object_set_new(out, "versus_jq", json_pack(
	    "{s:I, s:I, s:f, s:f, s:f}", "documents", (json_int_t)n,
	    "violations", (json_int_t)viol_mem, "vigild_in_memory_seconds",
	    t_mem, "vigild_parsing_seconds", t_parse, "jq_seconds", t_jq));
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
	pack = xprintf("%s/rules/aws", srcdir);
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
	if (out != NULL)
		versus_jq(&c, rs, out);
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
