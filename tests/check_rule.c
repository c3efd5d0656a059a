/*
 * check_rule.c: the rule language, its compiler and its evaluator: every
 * operator, the coercion table, null, quantifiers, filters, macros, lists,
 * regular expressions, CIDR and time helpers, references through a test
 * lookup, evidence; every kind of compile error at its exact file:line:col
 * (inside block scalars too); rule files and the index by type; and the
 * data-driven cases of the built-in rules (tests/data/rules).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <jansson.h>
#include <stdlib.h>

#include "check_vigil.h"
#include "cidr.h"
#include "rule.h"

#define TYPE		"AWS::Test::Thing"
#define RULESDIR	TEST_SRCDIR "/rules"
#define CASESDIR	TEST_SRCDIR "/tests/data/rules"
#define NOW		1717243200000LL		/* 2024-06-01T12:00:00Z */

/* A rule file with one rule around a condition, after a preamble. */
static char *
rule_file(const char *preamble, const char *cond)
{
	char		*out, *t;
	const char	*p, *nl;

	out = xprintf("%srules:\n  - id: t\n    title: t\n    severity: low\n"
	    "    resource: " TYPE "\n    condition: |\n", preamble);
	for (p = cond; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p) - 1;
		t = xprintf("%s      %.*s\n", out,
		    (int)(nl - p + (*nl != '\n')), p);
		free(out);
		out = t;
		if (nl[1] == '\0')
			break;
	}
	return out;
}

static struct ruleset *
compile(const char *text, struct diags *d)
{
	return ruleset_parse("test.yaml", text, strlen(text), d);
}

static struct ruleset *
compile_cond(const char *preamble, const char *cond)
{
	struct diags	 d = { NULL, 0 };
	struct ruleset	*rs;
	char		*text;

	text = rule_file(preamble, cond);
	rs = compile(text, &d);
	if (rs == NULL) {
		diag_print(stderr, &d, false);
		ck_abort_msg("does not compile: %s", cond);
	}
	diag_clear(&d);
	free(text);
	return rs;
}

/* A test lookup: assets by type and id, and how often each was asked. */
struct fake_asset {
	const char	*type;
	const char	*id;
	const char	*account;
	json_t		*doc;
};

struct fake {
	struct fake_asset	 v[16];
	size_t			 n;
	int			 calls;
	char			 last_account[64];
	char			 last_region[64];
};

static void
fake_add(struct fake *f, const char *type, const char *id,
    const char *account, const char *json)
{
	json_error_t	 err;

	ck_assert_uint_lt(f->n, nitems(f->v));
	f->v[f->n].type = type;
	f->v[f->n].id = id;
	f->v[f->n].account = account;
	f->v[f->n].doc = json_loads(json, 0, &err);
	ck_assert_msg(f->v[f->n].doc != NULL, "%s", err.text);
	f->n++;
}

static void
fake_free(struct fake *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		json_decref(f->v[i].doc);
}

static json_t *
fake_get(void *ctx, const char *type, const char *id, const char *account,
    const char *region)
{
	struct fake	*f = ctx;
	size_t		 i;

	f->calls++;
	snprintf(f->last_account, sizeof f->last_account, "%s",
	    account != NULL ? account : "");
	snprintf(f->last_region, sizeof f->last_region, "%s",
	    region != NULL ? region : "");
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].type, type) != 0)
			continue;
		if (id == NULL ? f->v[i].account != NULL &&
		    account != NULL && strcmp(f->v[i].account, account) == 0 :
		    f->v[i].id != NULL && strcmp(f->v[i].id, id) == 0)
			return json_incref(f->v[i].doc);
	}
	return NULL;
}

/*
 * Evaluate a rule's condition over a document; with res, keep the result
 * for the caller.
 */
static bool
eval_full(const char *preamble, const char *cond, const char *doc,
    struct fake *f, struct rule_result *res)
{
	struct ruleset		*rs;
	struct rule_asset	 a;
	struct rule_lookup	 lk;
	struct rule_result	 mine;
	json_error_t		 err;
	json_t			*j;
	bool			 v, v2;

	rs = compile_cond(preamble, cond);
	j = json_loads(doc, JSON_DECODE_ANY, &err);
	ck_assert_msg(j != NULL, "bad test document: %s", err.text);
	memset(&a, 0, sizeof a);
	a.type = TYPE;
	a.id = "thing-1";
	a.account = "111122223333";
	a.region = "eu-west-1";
	a.doc = j;
	lk.get = fake_get;
	lk.ctx = f;
	/* With and without evidence, the answer is the same. */
	v = rule_eval(ruleset_rule(rs, 0), &a, f != NULL ? &lk : NULL, NOW,
	    res != NULL ? res : &mine);
	if (res == NULL)
		rule_result_free(&mine);
	v2 = rule_eval(ruleset_rule(rs, 0), &a, f != NULL ? &lk : NULL, NOW,
	    NULL);
	ck_assert_msg(v == v2, "%s: %d with evidence, %d without", cond, v,
	    v2);
	json_decref(j);
	ruleset_free(rs);
	return v;
}

static bool
eval_in(const char *preamble, const char *cond, const char *doc)
{
	return eval_full(preamble, cond, doc, NULL, NULL);
}

#define T(cond, doc) ck_assert_msg(eval_in("", cond, doc), \
	"expected true: %s over %s", cond, doc)
#define F(cond, doc) ck_assert_msg(!eval_in("", cond, doc), \
	"expected false: %s over %s", cond, doc)

/* Is there a diagnostic at line:col whose message starts with prefix? */
static bool
has_diag(const struct diags *d, const char *file, int line, int col,
    const char *prefix)
{
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].line == line && d->v[i].col == col &&
		    strncmp(d->v[i].msg, prefix, strlen(prefix)) == 0 &&
		    (file == NULL || (d->v[i].file != NULL &&
		    strcmp(d->v[i].file, file) == 0)))
			return true;
	}
	return false;
}

static void
expect_diag(const struct diags *d, const char *file, int line, int col,
    const char *prefix)
{
	if (!has_diag(d, file, line, col, prefix)) {
		diag_print(stderr, d, false);
		ck_abort_msg("no diagnostic %d:%d: %s", line, col, prefix);
	}
}

/* Compile text, which must fail with this error (among others). */
static void
expect_error(const char *text, int line, int col, const char *prefix)
{
	struct diags	 d = { NULL, 0 };
	struct ruleset	*rs;

	rs = compile(text, &d);
	ck_assert_msg(rs == NULL, "compiled: %s", text);
	expect_diag(&d, "test.yaml", line, col, prefix);
	diag_clear(&d);
}

/* A condition that must not compile, with the error at line:col. */
static void
expect_cond_error(const char *preamble, const char *cond, int line, int col,
    const char *prefix)
{
	char	*text;

	text = rule_file(preamble, cond);
	expect_error(text, line, col, prefix);
	free(text);
}

START_TEST(test_paths)
{
	const char	*doc = "{\"A\": {\"B\": [10, 20, {\"C\": \"x\"}]}, "
	    "\"with space\": 1, \"aws:SourceIp\": \"10.0.0.1\", "
	    "\"in\": true, \"N\": null}";

	T("A.B[0] == 10", doc);
	T("A.B[1] == 20", doc);
	T("A.B[2].C == \"x\"", doc);
	T("A.B[-1].C == 'x'", doc);
	T("A.B[-3] == 10", doc);
	T("A.B[3] == null", doc);
	T("A.B[-4] == null", doc);
	T("A[\"B\"][0] == 10", doc);
	T("$[\"with space\"] == 1", doc);
	T("$.\"aws:SourceIp\" == \"10.0.0.1\"", doc);
	T("$.in", doc);
	T("A.Missing == null", doc);
	T("A.Missing.Deeper == null", doc);
	T("A.B.C == null", doc);	/* a member of a list */
	T("A.B[0].C == null", doc);	/* a member of a number */
	T("N == null", doc);
	T("$.A.B[0] == 10", doc);
	F("A.B[0] == 11", doc);
	T("length($) == 5", doc);
	/* A document that is not an object. */
	T("$ == 5", "5");
	T("Anything == null", "[1, 2]");
}
END_TEST

/* The coercion table: a document value, an operator, a literal. */
START_TEST(test_coercion)
{
	static const struct {
		const char	*doc;	/* {"v": ...} */
		const char	*cmp;	/* v OP literal */
		bool		 want;
	} cases[] = {
		{ "22", "v == 22", true },
		{ "\"22\"", "v == 22", true },
		{ "\"22\"", "v == 22.0", true },
		{ "\"22.0\"", "v == 22", true },
		{ "\"22\"", "v == \"22\"", true },
		{ "22", "v == \"22\"", true },
		{ "\"022\"", "v == 22", true },
		{ "\" 22\"", "v == 22", false },
		{ "\"22a\"", "v == 22", false },
		{ "\"1e3\"", "v == 1000", false },
		{ "\"abc\"", "v != 22", true },
		{ "\"9\"", "v < 10", true },
		{ "\"10\"", "v > 9", true },
		{ "\"9\"", "v < \"10\"", false },	/* two strings */
		{ "\"abc\"", "v < \"abd\"", true },
		{ "\"ab\"", "v < \"abc\"", true },
		{ "\"B\"", "v < \"a\"", true },		/* bytes */
		{ "\"Abc\"", "v == \"abc\"", false },	/* case-sensitive */
		{ "2.5", "v > 2", true },
		{ "2.5", "v < 3", true },
		{ "-1", "v == -1", true },
		{ "-1", "v < 0", true },
		{ "9007199254740993", "v == 9007199254740993", true },
		{ "9007199254740993", "v > 9007199254740992", true },
		{ "true", "v == true", true },
		{ "true", "v == \"true\"", true },
		{ "true", "v == \"TRUE\"", true },
		{ "\"True\"", "v == true", true },
		{ "\"false\"", "v == false", true },
		{ "\"yes\"", "v == true", false },
		{ "false", "v != true", true },
		{ "null", "v == null", true },
		{ "null", "v != null", false },
		{ "0", "v == null", false },
		{ "\"\"", "v == null", false },
		{ "false", "v == null", false },
		{ "[1, 2]", "v == [1, 2]", false },	/* lists: use in */
		{ "\"24h\"", "v == 1d", true },
		{ "86400", "v == 1d", true },
		{ "3600", "v < 1d", true },
		{ "\"90d\"", "v > 30d", true },
		{ "\"soon\"", "v > 30d", false },
		{ "\"soon\"", "v <= 30d", false },
	};
	char	*doc, *cond;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		if (strcmp(cases[i].cmp, "v == [1, 2]") == 0)
			continue;	/* an error: see test_type_errors */
		doc = xprintf("{\"v\": %s}", cases[i].doc);
		cond = xstrdup(cases[i].cmp);
		ck_assert_msg(eval_in("", cond, doc) == cases[i].want,
		    "%s over %s: expected %s", cond, doc,
		    cases[i].want ? "true" : "false");
		free(cond);
		free(doc);
	}
	/* Document against document: deep equality of lists and objects. */
	T("a == b", "{\"a\": [1, {\"x\": 2}], \"b\": [1, {\"x\": 2}]}");
	F("a == b", "{\"a\": [1, {\"x\": 2}], \"b\": [1, {\"x\": 3}]}");
	T("a == b", "{\"a\": {\"k\": 1}, \"b\": {\"k\": 1}}");
	F("a == b", "{\"a\": true, \"b\": 1}");
	F("a < b", "{\"a\": true, \"b\": false}");
	F("a < b", "{\"a\": [1], \"b\": [2]}");
	T("a == b", "{\"a\": 1, \"b\": 1.0}");
}
END_TEST

START_TEST(test_null)
{
	const char	*doc = "{\"n\": null, \"s\": \"x\", \"e\": \"\"}";

	T("n == null", doc);
	T("missing == null", doc);
	T("s != null", doc);
	F("missing != null", doc);
	/* Ordering with null is false, every way. */
	F("missing < 3", doc);
	F("missing >= 3", doc);
	F("missing > 3", doc);
	F("missing <= 3", doc);
	F("n < 3", doc);
	/* So "not <" is not ">=". */
	T("not (missing < 3)", doc);
	/* Truthiness: only true and "true". */
	F("missing", doc);
	T("not missing", doc);
	F("s", doc);
	F("e", doc);
	T("t", "{\"t\": \"True\"}");
	F("t", "{\"t\": 1}");
	F("t", "{\"t\": [true]}");
	/* Functions over null. */
	F("startswith(missing, \"a\")", doc);
	F("missing matches \".*\"", doc);
	F("missing contains \"a\"", doc);
	F("is_world(missing)", doc);
	T("length(missing) == 0", doc);
	T("empty(missing)", doc);
	F("exists(missing)", doc);
	F("exists(n)", doc);
	T("exists(e)", doc);
	T("empty(e)", doc);
	T("lower(missing) == null", doc);
	T("age(missing) == null", doc);
}
END_TEST

START_TEST(test_logic)
{
	const char	*doc = "{\"t\": true, \"f\": false}";

	T("t and not f", doc);
	T("t or f", doc);
	F("t and f", doc);
	F("f or f", doc);
	/* and binds tighter than or; not tighter than both. */
	T("t or f and f", doc);
	F("(t or f) and f", doc);
	T("not f and t", doc);
	F("not (f or t)", doc);
	T("not not t", doc);
	T("true", doc);
	F("false", doc);
	/* Comparisons bind tighter than not. */
	T("not 1 == 2", doc);
	T("-(1) == -1", doc);
	T("-x == -3", "{\"x\": 3}");
	T("-x == -3", "{\"x\": \"3\"}");
	T("-x == null", "{\"x\": \"a\"}");
	T("# a comment\nt # another\nand not f", doc);
}
END_TEST

START_TEST(test_membership)
{
	const char	*doc = "{\"p\": 22, \"ps\": \"3389\", "
	    "\"list\": [22, 80], "
	    "\"s\": \"hello world\", \"Action\": \"s3:*\", "
	    "\"Actions\": [\"s3:GetObject\", \"s3:*\"], "
	    "\"Perms\": [{\"Ports\": [1, 2]}, {\"Ports\": [3]}]}";

	T("p in [22, 3389]", doc);
	T("ps in [22, 3389]", doc);		/* coerced */
	T("p not in [80, 443]", doc);
	F("p not in [22]", doc);
	T("p in list", doc);
	F("99 in list", doc);
	T("\"s3:*\" in Action", doc);		/* a string is a list of one */
	T("\"s3:*\" in Actions", doc);
	F("\"s3:Put\" in Actions", doc);
	F("1 in missing", doc);
	T("1 not in missing", doc);
	T("3 in Perms[*].Ports", doc);		/* items of many values */
	T("2 in Perms[*].Ports[*]", doc);
	F("4 in Perms[*].Ports", doc);
	T("s contains \"lo wo\"", doc);
	F("s contains \"World\"", doc);
	T("list contains 80", doc);
	T("list contains \"80\"", doc);
	T("Perms[*].Ports contains 3", doc);
	T("[1, 2, 3] contains 2", doc);
	T("contains(s, \"hello\")", doc);
	T("s startswith \"hell\"", doc);
	T("s endswith \"world\"", doc);
	F("s startswith \"world\"", doc);
	T("startswith(s, \"\")", doc);
	F("s endswith \"a much longer string than s\"", doc);
	F("p startswith \"2\"", doc);		/* strings only */
}
END_TEST

START_TEST(test_regex)
{
	const char	*doc = "{\"n\": \"prod-web-01\", \"x\": 5}";

	T("n matches \"^prod-\"", doc);
	T("n matches \"web\"", doc);		/* searched for */
	F("n matches \"^web\"", doc);
	T("n matches \"^[a-z]+-(web|db)-[0-9]{2}$\"", doc);
	F("n matches \"^[a-z]+-(api|db)-[0-9]{2}$\"", doc);
	T("matches(n, 'PROD|prod')", doc);
	F("x matches \"5\"", doc);		/* strings only */
}
END_TEST

START_TEST(test_quantifiers)
{
	const char	*doc = "{\"Perms\": ["
	    "{\"From\": 22, \"Ranges\": [{\"Cidr\": \"10.0.0.0/8\"}, "
	    "{\"Cidr\": \"0.0.0.0/0\"}]}, "
	    "{\"From\": 443, \"Ranges\": [{\"Cidr\": \"0.0.0.0/0\"}]}, "
	    "{\"From\": 80, \"Ranges\": []}], "
	    "\"Empty\": [], \"One\": {\"From\": 8}, \"Ports\": [1, 2, 3]}";

	T("any(Perms, p => p.From == 22)", doc);
	F("any(Perms, p => p.From == 23)", doc);
	T("all(Perms, p => p.From > 0)", doc);
	F("all(Perms, p => p.From > 22)", doc);
	T("none(Perms, p => p.From == 23)", doc);
	F("none(Perms, p => p.From == 443)", doc);
	T("count(Perms, p => p.From < 100) == 2", doc);
	T("count(Perms) == 3", doc);
	T("count(Perms[*].Ranges) == 3", doc);	/* lists opened */
	T("count(Perms[*].Ranges[*].Cidr) == 3", doc);
	/* Nested, with the outer variable inside. */
	T("any(Perms, p => p.From == 443 and "
	    "any(p.Ranges, r => r.Cidr == \"0.0.0.0/0\"))", doc);
	T("any(Perms, p => any(Ports, q => q == 1 and p.From == 22))", doc);
	T("all(Perms, p => all(p.Ranges, r => r.Cidr startswith \"\"))", doc);
	T("any(Perms, p => count(p.Ranges, r => r.Cidr != p.From) == 2)",
	    doc);
	T("all(Perms, p => any(Perms, q => q.From == p.From))", doc);
	/* Empty and missing sources. */
	F("any(Empty, x => true)", doc);
	T("all(Empty, x => false)", doc);
	T("none(Missing, x => true)", doc);
	T("count(Missing) == 0", doc);
	/* A single object is one item. */
	T("any(One, o => o.From == 8)", doc);
	/* Lists of constants and named lists. */
	T("any([1, 2, 3], n => n == 2)", doc);
	T("all(Ports, n => n in [1, 2, 3])", doc);
	/* Many values. */
	T("any(Perms[*].From, f => f == 80)", doc);
	T("count(Perms[?From > 50]) == 2", doc);
}
END_TEST

START_TEST(test_filters)
{
	const char	*doc = "{\"Tags\": [{\"Key\": \"env\", \"Value\": "
	    "\"prod\"}, {\"Key\": \"owner\", \"Value\": \"ann\"}], "
	    "\"Key\": \"root\", \"Ports\": [22, 80, 3389]}";

	T("\"prod\" in Tags[?Key == \"env\"].Value", doc);
	T("first(Tags[?Key == \"owner\"].Value) == \"ann\"", doc);
	T("first(Tags[?Key == \"nope\"].Value) == null", doc);
	T("empty(Tags[?Key == \"cost-center\"])", doc);
	T("exists(Tags[?Key == 'env'])", doc);
	T("count(Ports[?@ > 50]) == 2", doc);
	T("count(Ports[?@ in [22, 3389]]) == 2", doc);
	/* $ is the document inside a filter; bare names the element. */
	T("count(Tags[?$.Key == \"root\"]) == 2", doc);
	T("count(Tags[?Key == $.Key]) == 0", doc);
	/* A quantifier's variable is seen inside a filter. */
	T("any([\"env\", \"x\"], k => exists(Tags[?Key == k]))", doc);
	T("length(Tags[?Value startswith \"a\"]) == 1", doc);
	T("first(Ports) == 22", doc);
	T("first(Tags).Key == \"env\"", doc);
}
END_TEST

START_TEST(test_functions)
{
	const char	*doc = "{\"s\": \"MiXed\", \"l\": [1, 2, 3], \"o\": "
	    "{\"a\": 1, \"b\": 2}, \"u\": \"h\\u00e9llo\", \"n\": 5, "
	    "\"t\": true}";

	T("length(s) == 5", doc);
	T("length(u) == 5", doc);	/* characters, not bytes */
	T("length(l) == 3", doc);
	T("length(o) == 2", doc);
	T("length(n) == null", doc);
	T("length(l[*]) == 3", doc);
	T("lower(s) == \"mixed\"", doc);
	T("upper(s) == \"MIXED\"", doc);
	T("lower(n) == null", doc);
	T("empty([])", doc);
	F("empty(l)", doc);
	F("empty(n)", doc);
	F("empty(t)", doc);
	T("empty(l[?@ > 5])", doc);
	T("exists(l[?@ > 2])", doc);
	T("first(l[?@ > 1]) == 2", doc);
	T("port_in_range(22, 20, 25)", doc);
	T("port_in_range(22, 22, 22)", doc);
	F("port_in_range(26, 20, 25)", doc);
	T("port_in_range(22, missing, missing)", doc);
	T("port_in_range(22, -1, -1)", doc);
	T("port_in_range(\"22\", \"0\", \"65535\")", doc);
	F("port_in_range(missing, 0, 65535)", doc);
	T("port_in_range(5, 5, missing)", doc);
	F("port_in_range(6, 5, missing)", doc);
}
END_TEST

START_TEST(test_cidr)
{
	static const struct {
		const char	*a;
		const char	*b;
		bool		 contains;
		bool		 overlaps;
	} cases[] = {
		{ "0.0.0.0/0", "10.1.2.3", true, true },
		{ "10.0.0.0/8", "10.255.255.255/32", true, true },
		{ "10.0.0.0/8", "11.0.0.0/8", false, false },
		{ "10.0.0.0/8", "10.0.0.0/7", false, true },
		{ "10.1.2.3/8", "10.9.9.9", true, true },	/* host bits */
		{ "192.168.1.0/24", "192.168.1.128/25", true, true },
		{ "192.168.1.128/25", "192.168.1.0/25", false, false },
		{ "172.16.0.0/12", "172.31.255.255", true, true },
		{ "172.16.0.0/12", "172.32.0.0", false, false },
		{ "1.2.3.4/31", "1.2.3.5", true, true },
		{ "1.2.3.4/32", "1.2.3.4/32", true, true },
		{ "::/0", "2001:db8::1", true, true },
		{ "2001:db8::/32", "2001:db8:ffff::/48", true, true },
		{ "2001:db8::/32", "2001:db9::/32", false, false },
		{ "2001:db8::/33", "2001:db8:8000::/33", false, false },
		{ "fe80::/10", "febf:ffff::1", true, true },
		{ "fe80::/10", "fec0::1", false, false },
		{ "::ffff:10.0.0.0/104", "::ffff:10.1.1.1", true, true },
		{ "0.0.0.0/0", "::/0", false, false },		/* families */
		{ "10.0.0.0/8", "::ffff:10.0.0.1", false, false },
	};
	static const char *const bad[] = { "", "10.0.0.0/33", "10.0.0/8",
	    "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "::/129", "x",
	    "10.0.0.0/8/8", "1.2.3.4 ", "2001:db8::/3a", "256.0.0.0" };
	static const struct {
		const char	*cidr;
		bool		 priv;
	} privs[] = {
		{ "10.0.0.0/8", true }, { "10.200.0.1", true },
		{ "9.255.255.255", false }, { "11.0.0.0", false },
		{ "172.16.0.0/12", true }, { "172.15.255.255", false },
		{ "172.32.0.0", false }, { "192.168.0.0/16", true },
		{ "192.169.0.0", false }, { "100.64.0.0/10", true },
		{ "100.128.0.0", false }, { "127.0.0.1", true },
		{ "169.254.169.254", true }, { "8.8.8.8", false },
		{ "0.0.0.0/0", false }, { "10.0.0.0/7", false },
		{ "fd00::/8", true }, { "fc00::1", true }, { "fe80::1", true },
		{ "::1", true }, { "::2", false }, { "2001:db8::1", false },
		{ "::/0", false }, { "fec0::1", false },
	};
	struct cidr	 a, b;
	char		*cond;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		ck_assert_int_eq(cidr_parse(cases[i].a, &a), 0);
		ck_assert_int_eq(cidr_parse(cases[i].b, &b), 0);
		ck_assert_msg(cidr_contains(&a, &b) == cases[i].contains,
		    "contains %s %s", cases[i].a, cases[i].b);
		ck_assert_msg(cidr_overlaps(&a, &b) == cases[i].overlaps,
		    "overlaps %s %s", cases[i].a, cases[i].b);
		ck_assert_msg(cidr_overlaps(&b, &a) == cases[i].overlaps,
		    "overlaps %s %s", cases[i].b, cases[i].a);
		cond = xprintf("cidr_contains(a, b) == %s and "
		    "cidr_overlaps(a, b) == %s", cases[i].contains ? "true" :
		    "false", cases[i].overlaps ? "true" : "false");
		{
			char *doc = xprintf("{\"a\": \"%s\", \"b\": \"%s\"}",
			    cases[i].a, cases[i].b);
			ck_assert_msg(eval_in("", cond, doc), "%s", doc);
			free(doc);
		}
		free(cond);
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(cidr_parse(bad[i], &a) != 0, "parsed '%s'",
		    bad[i]);
	for (i = 0; i < nitems(privs); i++) {
		ck_assert_int_eq(cidr_parse(privs[i].cidr, &a), 0);
		ck_assert_msg(cidr_is_private(&a) == privs[i].priv, "%s",
		    privs[i].cidr);
	}
	ck_assert_int_eq(cidr_parse("10.1.2.3/8", &a), 0);
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_int_eq(a.prefix, 8);
	ck_assert_int_eq(a.addr[1], 0);		/* host bits cleared */
	ck_assert_int_eq(cidr_parse("2001:db8::1", &a), 0);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_int_eq(a.prefix, 128);

	T("is_world(\"0.0.0.0/0\")", "{}");
	T("is_world(\"::/0\")", "{}");
	T("is_world(\"1.2.3.4/0\")", "{}");
	F("is_world(\"0.0.0.0/1\")", "{}");
	F("is_world(\"::/1\")", "{}");
	F("is_world(c)", "{\"c\": \"not a cidr\"}");
	F("is_world(c)", "{\"c\": 0}");
	T("is_private(c)", "{\"c\": \"10.1.0.0/16\"}");
	F("is_private(c)", "{\"c\": \"0.0.0.0/0\"}");
	T("prefix_len(c) == 16", "{\"c\": \"10.1.0.0/16\"}");
	T("prefix_len(c) == 128", "{\"c\": \"::1\"}");
	T("prefix_len(c) == null", "{\"c\": \"x\"}");
	F("cidr_contains(a, \"10.0.0.0/8\")", "{\"a\": \"junk\"}");
}
END_TEST

START_TEST(test_time)
{
	static const struct {
		const char	*ts;
		int64_t		 ms;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01", 0 },
		{ "2024-06-01T12:00:00Z", NOW },
		{ "2024-06-01T12:00:00+00:00", NOW },
		{ "2024-06-01T14:00:00+02:00", NOW },
		{ "2024-06-01T07:30:00-04:30", NOW },
		{ "2024-06-01T12:00:00.250Z", NOW + 250 },
		{ "2024-06-01T12:00:00.250000+00:00", NOW + 250 },
		{ "2024-06-01T12:00:00.9999Z", NOW + 999 },
		{ "2024-06-01 12:00:00", NOW },
		{ "2024-06-01T12:00Z", NOW },
		{ "2024-06-01T12:00:00+0000", NOW },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		{ "1969-12-31T23:59:59Z", -1000 },
	};
	static const char *const bad[] = { "", "2024", "2024-13-01",
	    "2024-02-30", "2023-02-29", "1900-02-29", "2024-06-01T25:00:00Z",
	    "2024-06-01T12:00:00Zjunk", "2024-06-01T12:00:00+2", "N/A",
	    "2024-06-01T", "2024/06/01", "2024-06-01T12:00:00." };
	int64_t		 ms;
	size_t		 i;

	for (i = 0; i < nitems(good); i++) {
		ck_assert_msg(rule_timestamp(good[i].ts, strlen(good[i].ts),
		    &ms) == 0, "%s", good[i].ts);
		ck_assert_msg(ms == good[i].ms, "%s: %lld", good[i].ts,
		    (long long)ms);
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(rule_timestamp(bad[i], strlen(bad[i]), &ms) != 0,
		    "%s", bad[i]);

	/* age() against the injected now (2024-06-01T12:00:00Z). */
	T("age(t) > 90d", "{\"t\": \"2024-01-01T00:00:00Z\"}");
	F("age(t) > 90d", "{\"t\": \"2024-05-01T00:00:00Z\"}");
	T("age(t) < 1h", "{\"t\": \"2024-06-01T11:30:00Z\"}");
	T("age(t) == 30m", "{\"t\": \"2024-06-01T11:30:00Z\"}");
	T("age(t) >= 1d and age(t) <= 1d", "{\"t\": \"2024-05-31T12:00:00Z\"}");
	T("age(t) < 0s", "{\"t\": \"2025-01-01\"}");	/* the future */
	T("age(t) > 1w", "{\"t\": 1700000000}");	/* seconds */
	F("age(t) > 0s", "{\"t\": \"N/A\"}");
	F("age(t) <= 0s", "{\"t\": \"N/A\"}");
	T("age(t) > -1d", "{\"t\": \"2024-06-01T12:00:00Z\"}");
	T("1h30m == 90m and 1w == 7d and 500ms < 1s", "{}");
	T("any(Keys, k => age(k.Used) > 90d)",
	    "{\"Keys\": [{\"Used\": \"2024-05-30\"}, "
	    "{\"Used\": \"2023-01-01T00:00:00+00:00\"}]}");
}
END_TEST

START_TEST(test_macros_and_lists)
{
	static const char preamble[] =
	    "lists:\n"
	    "  admin: [22, 3389]\n"
	    "  names: [\"a\", b, 'c']\n"
	    "  mixed: [1, \"2\", true, null, 1.5]\n"
	    "macros:\n"
	    "  open(p): p.Cidr == \"0.0.0.0/0\"\n"
	    "  admin_open(p): open(p) and p.Port in @admin\n"
	    "  between(x, lo, hi): lo <= x and x <= hi\n"
	    "  no_params: Name == \"n\"\n"
	    "  empty_parens(): Name == \"n\"\n"
	    "  doc_value: first(Perms[?Port == 22])\n"
	    "  shadow(Name): Name == \"param\"\n"
	    "  cidrs: Perms[*].Cidr\n"
	    "  ports_over(n): Perms[?Port > n]\n";
	const char	*doc = "{\"Name\": \"n\", \"Perms\": [{\"Cidr\": "
	    "\"10.0.0.0/8\", \"Port\": 22}, {\"Cidr\": \"0.0.0.0/0\", "
	    "\"Port\": 3389}]}";

	ck_assert(eval_in(preamble, "any(Perms, p => admin_open(p))", doc));
	ck_assert(!eval_in(preamble, "all(Perms, p => admin_open(p))", doc));
	ck_assert(eval_in(preamble, "between(5, 1, 10)", doc));
	ck_assert(!eval_in(preamble, "between(11, 1, 10)", doc));
	ck_assert(eval_in(preamble, "any(Perms, p => between(p.Port, 3000, "
	    "4000))", doc));
	ck_assert(eval_in(preamble, "no_params() and empty_parens()", doc));
	ck_assert(eval_in(preamble, "doc_value().Cidr == \"10.0.0.0/8\"",
	    doc));
	ck_assert(eval_in(preamble, "shadow(\"param\")", doc));
	/* A macro sees the document, not the caller's variables. */
	ck_assert(eval_in(preamble, "any([1], Name => no_params())", doc));
	ck_assert(eval_in(preamble, "22 in @admin and \"b\" in @names", doc));
	ck_assert(eval_in(preamble, "\"3389\" in @admin", doc));
	ck_assert(!eval_in(preamble, "23 in @admin", doc));
	ck_assert(eval_in(preamble, "2 in @mixed and true in @mixed and "
	    "1.5 in @mixed", doc));
	/* null is in no list: items that are null are left out. */
	ck_assert(!eval_in(preamble, "null in @mixed", doc));
	ck_assert(!eval_in(preamble, "Nothing in [null, 1]", doc));
	ck_assert(eval_in(preamble, "count(@mixed) == 4", doc));
	ck_assert(eval_in(preamble, "count(@admin) == 2 and "
	    "length(@names) == 3", doc));
	ck_assert(eval_in(preamble, "@names contains \"c\"", doc));
	/* A macro with many values, in the caller's quantifiers. */
	ck_assert(eval_in(preamble, "any(cidrs(), c => is_world(c))", doc));
	ck_assert(eval_in(preamble, "any([1, 2], i => any([3], j => "
	    "any(cidrs(), c => is_world(c) and i == 2 and j == 3)))", doc));
	ck_assert(eval_in(preamble, "count(ports_over(100)) == 1 and "
	    "all([5], k => any(ports_over(0), p => p.Port > k))", doc));
	ck_assert(eval_in(preamble, "\"10.0.0.0/8\" in cidrs()", doc));
}
END_TEST

START_TEST(test_refs)
{
	static const char	 instance[] = "{\"InstanceId\": \"i-1\", "
	    "\"SubnetId\": \"subnet-1\", \"SecurityGroups\": ["
	    "{\"GroupId\": \"sg-closed\"}, {\"GroupId\": \"sg-missing\"}, "
	    "{\"GroupId\": \"sg-open\"}], \"NetworkInterfaces\": [{\"Groups\": "
	    "[{\"GroupId\": \"sg-open\"}]}]}";
	struct fake		 f;
	struct rule_result	 res;
	struct ruleset		*rs;
	const struct rule_ref	*refs;
	size_t			 n;
	char			*s;

	memset(&f, 0, sizeof f);
	fake_add(&f, "AWS::EC2::SecurityGroup", "sg-open", NULL,
	    "{\"IpPermissions\": [{\"FromPort\": 22, \"IpRanges\": "
	    "[{\"CidrIp\": \"0.0.0.0/0\"}]}]}");
	fake_add(&f, "AWS::EC2::SecurityGroup", "sg-closed", NULL,
	    "{\"IpPermissions\": [{\"FromPort\": 22, \"IpRanges\": "
	    "[{\"CidrIp\": \"10.0.0.0/8\"}]}]}");
	fake_add(&f, "AWS::EC2::Subnet", "subnet-1", NULL,
	    "{\"MapPublicIpOnLaunch\": true}");
	fake_add(&f, "AWS::S3::AccountPublicAccessBlock", NULL, "111122223333",
	    "{\"BlockPublicAcls\": true}");

	/* Many related assets, in a quantifier; a missing one is left out. */
	ck_assert(eval_full("", "any(ref(\"AWS::EC2::SecurityGroup\", "
	    "SecurityGroups[*].GroupId), sg => any(sg.IpPermissions, p => "
	    "any(p.IpRanges, r => is_world(r.CidrIp))))", instance, &f, &res));
	ck_assert_uint_eq(res.ndeps, 3);
	ck_assert_str_eq(res.deps[0].type, "AWS::EC2::SecurityGroup");
	ck_assert_str_eq(res.deps[0].id, "sg-closed");
	ck_assert(res.deps[0].found);
	ck_assert_str_eq(res.deps[1].id, "sg-missing");
	ck_assert(!res.deps[1].found);
	ck_assert_str_eq(res.deps[2].id, "sg-open");
	s = json_dumps(res.evidence, JSON_COMPACT);
	ck_assert_str_eq(s, "[{\"asset\":{\"type\":\"AWS::EC2::SecurityGroup\","
	    "\"id\":\"sg-open\",\"found\":true,\"via\":"
	    "\"SecurityGroups[2].GroupId\"},\"path\":"
	    "\"IpPermissions[0].IpRanges[0].CidrIp\",\"value\":"
	    "\"0.0.0.0/0\"}]");
	free(s);
	ck_assert_str_eq(f.last_account, "111122223333");
	ck_assert_str_eq(f.last_region, "eu-west-1");
	rule_result_free(&res);
	ck_assert(!eval_full("", "count(ref(\"AWS::EC2::SecurityGroup\", "
	    "SecurityGroups[*].GroupId)) != 2", instance, &f, NULL));

	/* One related asset, a path after it. */
	ck_assert(eval_full("", "ref(\"AWS::EC2::Subnet\", SubnetId)"
	    ".MapPublicIpOnLaunch", instance, &f, NULL));
	ck_assert(eval_full("", "ref(\"AWS::EC2::Subnet\", Nope) == null",
	    instance, &f, NULL));
	ck_assert(eval_full("", "ref(\"AWS::EC2::Subnet\", \"subnet-x\")"
	    ".MapPublicIpOnLaunch == null", instance, &f, NULL));
	/* Through a variable. */
	ck_assert(eval_full("", "any(NetworkInterfaces, ni => any("
	    "ref(\"AWS::EC2::SecurityGroup\", ni.Groups[*].GroupId), "
	    "sg => sg.IpPermissions[0].FromPort == 22))", instance, &f, NULL));
	/* The account's singleton. */
	ck_assert(eval_full("", "account_ref(\"AWS::S3::AccountPublicAccess"
	    "Block\").BlockPublicAcls", instance, &f, NULL));
	ck_assert(eval_full("", "account_ref(\"AWS::EC2::Nothing\") == null",
	    instance, &f, NULL));
	/* No lookup at all: nothing is there. */
	ck_assert(eval_full("", "ref(\"AWS::EC2::Subnet\", SubnetId) == null",
	    instance, NULL, NULL));

	/* One lookup an asset an evaluation, however often it is read. */
	f.calls = 0;
	ck_assert(eval_full("", "ref(\"AWS::EC2::Subnet\", SubnetId)"
	    ".MapPublicIpOnLaunch and ref(\"AWS::EC2::Subnet\", SubnetId) "
	    "!= null and any([1, 2, 3], i => ref(\"AWS::EC2::Subnet\", "
	    "SubnetId).MapPublicIpOnLaunch)", instance, &f, &res));
	ck_assert_int_eq(f.calls, 2);	/* with and without evidence */
	ck_assert_uint_eq(res.ndeps, 1);
	rule_result_free(&res);

	/* What the compiler records: types and paths. */
	rs = compile_cond("macros:\n  pab: account_ref(\"AWS::S3::Account"
	    "PublicAccessBlock\")\n",
	    "any(ref(\"AWS::EC2::SecurityGroup\", SecurityGroups[*].GroupId), "
	    "sg => true)\n"
	    "and any(NetworkInterfaces, ni => any(ref(\"AWS::EC2::Security"
	    "Group\", ni.Groups[*].GroupId), sg => true))\n"
	    "and ref(\"AWS::EC2::Subnet\", SubnetId) != null\n"
	    "and ref(\"AWS::EC2::Subnet\", SubnetId) != null\n"
	    "and any(Vpcs[?Main], v => ref(\"AWS::EC2::VPC\", v.VpcId) != "
	    "null)\n"
	    "and ref(\"AWS::EC2::Subnet\", lower(SubnetId)) == null\n"
	    "and pab() != null");
	refs = rule_refs(ruleset_rule(rs, 0), &n);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(refs[0].type, "AWS::EC2::SecurityGroup");
	ck_assert_str_eq(refs[0].path, "SecurityGroups[*].GroupId");
	ck_assert(!refs[0].account);
	ck_assert_str_eq(refs[1].path,
	    "NetworkInterfaces[*].Groups[*].GroupId");
	ck_assert_str_eq(refs[2].type, "AWS::EC2::Subnet");
	ck_assert_str_eq(refs[2].path, "SubnetId");
	ck_assert_str_eq(refs[3].type, "AWS::EC2::VPC");
	ck_assert_str_eq(refs[3].path, "Vpcs[*].VpcId");
	ck_assert_str_eq(refs[4].type, "AWS::EC2::Subnet");
	ck_assert_ptr_null(refs[4].path);
	ck_assert_str_eq(refs[5].type, "AWS::S3::AccountPublicAccessBlock");
	ck_assert_ptr_null(refs[5].path);
	ck_assert(refs[5].account);
	ruleset_free(rs);
	fake_free(&f);
}
END_TEST

static char *
evidence_of(const char *preamble, const char *cond, const char *doc)
{
	struct rule_result	 res;
	char			*s;

	ck_assert_msg(eval_full(preamble, cond, doc, NULL, &res),
	    "not violated: %s", cond);
	s = json_dumps(res.evidence, JSON_COMPACT);
	rule_result_free(&res);
	return s;
}

#define EVIDENCE(cond, doc, want) do {					\
	char *ev_ = evidence_of("", cond, doc);				\
	ck_assert_msg(strcmp(ev_, want) == 0,				\
	    "%s:\n got  %s\n want %s", cond, ev_, want);		\
	free(ev_);							\
} while (0)

START_TEST(test_evidence)
{
	const char		*sg = "{\"IpPermissions\": ["
	    "{\"FromPort\": 443, \"ToPort\": 443, \"IpRanges\": [{\"CidrIp\": "
	    "\"0.0.0.0/0\"}]}, {\"FromPort\": 22, \"ToPort\": 22, "
	    "\"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}, "
	    "{\"CidrIp\": \"0.0.0.0/0\"}]}]}";
	struct rule_result	 res;
	json_t			*big;
	char			*doc, *s;
	size_t			 i;

	EVIDENCE("any(IpPermissions, p => p.FromPort <= 22 and 22 <= p.ToPort "
	    "and any(p.IpRanges, r => is_world(r.CidrIp)))", sg,
	    "[{\"path\":\"IpPermissions[1].FromPort\",\"value\":22},"
	    "{\"path\":\"IpPermissions[1].ToPort\",\"value\":22},"
	    "{\"path\":\"IpPermissions[1].IpRanges[1].CidrIp\","
	    "\"value\":\"0.0.0.0/0\"}]");
	/* Every witness of any(), in document order. */
	EVIDENCE("any(IpPermissions[*].IpRanges[*].CidrIp, c => is_world(c))",
	    sg, "[{\"path\":\"IpPermissions[0].IpRanges[0].CidrIp\","
	    "\"value\":\"0.0.0.0/0\"},{\"path\":\"IpPermissions[1].IpRanges[1]."
	    "CidrIp\",\"value\":\"0.0.0.0/0\"}]");
	/* The true side of an or; the false one's reads are gone. */
	EVIDENCE("IpPermissions[0].FromPort == 1 or IpPermissions[1].FromPort "
	    "== 22", sg, "[{\"path\":\"IpPermissions[1].FromPort\","
	    "\"value\":22}]");
	/* not: what made its operand false. */
	EVIDENCE("not Encrypted", "{\"Encrypted\": false}",
	    "[{\"path\":\"Encrypted\",\"value\":false}]");
	EVIDENCE("not exists(Encryption)", "{}",
	    "[{\"path\":\"Encryption\",\"value\":null}]");
	/* all() false inside not: the counterexample. */
	EVIDENCE("not all(Vols, v => v.Encrypted)",
	    "{\"Vols\": [{\"Encrypted\": true}, {\"Encrypted\": false}]}",
	    "[{\"path\":\"Vols[1].Encrypted\",\"value\":false}]");
	/* A quantifier over nothing: the nothing. */
	EVIDENCE("none(Tags, t => t.Key == \"owner\")", "{\"Tags\": []}",
	    "[{\"path\":\"Tags\",\"value\":[]}]");
	EVIDENCE("none(Tags, t => t.Key == \"owner\")", "{}",
	    "[{\"path\":\"Tags\",\"value\":null}]");
	/* The same read twice is one entry; the whole document is $. */
	EVIDENCE("a == 1 and a > 0 and $ != null", "{\"a\": 1}",
	    "[{\"path\":\"a\",\"value\":1},{\"path\":\"$\",\"value\":"
	    "{\"a\":1}}]");
	/* Keys that are not names, as the language writes them. */
	EVIDENCE("$[\"aws:x\"].y == 1", "{\"aws:x\": {\"y\": 1}}",
	    "[{\"path\":\"[\\\"aws:x\\\"].y\",\"value\":1}]");
	/* Filters keep what selected the element. */
	EVIDENCE("\"prod\" in Tags[?Key == \"env\"].Value",
	    "{\"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}, "
	    "{\"Key\": \"env\", \"Value\": \"prod\"}]}",
	    "[{\"path\":\"Tags[1].Key\",\"value\":\"env\"},"
	    "{\"path\":\"Tags[1].Value\",\"value\":\"prod\"}]");

	/* Bounded: entries, and the size of a value. */
	big = json_object();
	json_object_set_new(big, "L", json_array());
	for (i = 0; i < 100; i++)
		json_array_append_new(json_object_get(big, "L"),
		    json_integer((json_int_t)i));
	json_object_set_new(big, "S", json_string(""));
	s = xmalloc(1001);
	memset(s, 'x', 1000);
	s[1000] = '\0';
	json_object_set_new(big, "S", json_string(s));
	free(s);
	doc = json_dumps(big, JSON_COMPACT);
	json_decref(big);
	ck_assert(eval_full("", "any(L, n => n >= 0) and length(S) > 0 and "
	    "length(L) > 0", doc, NULL, &res));
	ck_assert_uint_eq(json_array_size(res.evidence), RULE_EVIDENCE_MAX);
	ck_assert(res.truncated);
	rule_result_free(&res);
	ck_assert(eval_full("", "length(S) > 0 and length(L) > 0", doc, NULL,
	    &res));
	ck_assert_uint_eq(json_array_size(res.evidence), 2);
	s = (char *)(uintptr_t)json_string_value(json_object_get(
	    json_array_get(res.evidence, 0), "value"));
	ck_assert_uint_eq(strlen(s), RULE_EVIDENCE_VALUE_MAX + 3);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(res.evidence, 1), "value")),
	    "(a list of 100 items)");
	ck_assert(!res.truncated);
	rule_result_free(&res);
	free(doc);

	/* A compliant asset has no evidence. */
	ck_assert(!eval_full("", "a == 2", "{\"a\": 1}", NULL, &res));
	ck_assert_uint_eq(json_array_size(res.evidence), 0);
	rule_result_free(&res);

	/* Deterministic. */
	for (i = 0; i < 3; i++)
		EVIDENCE("any(IpPermissions, p => any(p.IpRanges, r => "
		    "is_world(r.CidrIp)))", sg,
		    "[{\"path\":\"IpPermissions[0].IpRanges[0].CidrIp\","
		    "\"value\":\"0.0.0.0/0\"},{\"path\":\"IpPermissions[1]."
		    "IpRanges[1].CidrIp\",\"value\":\"0.0.0.0/0\"}]");
}
END_TEST

/* Errors in expressions, at the column of the mistake (line 7 is the
 * condition's first line in rule_file's text). */
START_TEST(test_syntax_errors)
{
	expect_cond_error("", "a ==", 7, 11, "expected a value, got end");
	expect_cond_error("", "(a == 1", 7, 14, "expected ')'");
	expect_cond_error("", "a = 1", 7, 9, "'=' is not an operator");
	expect_cond_error("", "a && b", 7, 9, "'&' is not an operator");
	expect_cond_error("", "a || b", 7, 9, "'|' is not an operator");
	expect_cond_error("", "!a", 7, 7, "'!' is not an operator");
	expect_cond_error("", "a == \"x", 7, 12, "unterminated string");
	expect_cond_error("", "a == \"\\q\"", 7, 13, "unknown escape");
	expect_cond_error("", "a == 1 == 2", 7, 14, "comparisons do not chain");
	expect_cond_error("", "a == 1 b", 7, 14, "unexpected 'b'");
	expect_cond_error("", "x => x", 7, 9, "'=>' belongs in a quantifier");
	expect_cond_error("", "a == 90x", 7, 12, "bad duration '90x'");
	expect_cond_error("", "a > 1.5h", 7, 11, "bad duration");
	expect_cond_error("", "a[", 7, 9, "expected [*]");
	expect_cond_error("", "a.", 7, 9, "expected a field name");
	expect_cond_error("", "a[1", 7, 10, "expected ']'");
	expect_cond_error("", "[1, a]", 7, 11, "a list holds constants");
	expect_cond_error("", "a ~ b", 7, 9, "unexpected character '~'");
	expect_cond_error("", "a not b", 7, 9, "unexpected 'not'");
	expect_cond_error("", "f(1, 2, 3, 4, 5, 6, 7, 8, 9)", 7, 33,
	    "too many arguments");
	expect_cond_error("", "# only a comment", 7, 7, "empty expression");
	/* Too deep. */
	{
		char *deep = xmalloc(200);

		memset(deep, '(', 100);
		strcpy(deep + 100, "a");
		expect_cond_error("", deep, 7, 71, "expression nested too "
		    "deeply");
		free(deep);
	}
	/* On a later line of the block. */
	expect_cond_error("", "a == 1\nand (b\n   or c", 9, 14, "expected ')'");
}
END_TEST

START_TEST(test_type_errors)
{
	static const char preamble[] =
	    "lists:\n"
	    "  ports: [22]\n"
	    "macros:\n"
	    "  m(x): x == 1\n";

	/* The preamble has 4 lines: the condition starts on line 11. */
	expect_cond_error(preamble, "exitss(a)", 11, 7,
	    "unknown function or macro 'exitss' (did you mean 'exists'?)");
	expect_cond_error(preamble, "nosuchthing(a)", 11, 7,
	    "unknown function or macro 'nosuchthing'");
	expect_cond_error(preamble, "mm(a)", 11, 7,
	    "unknown function or macro 'mm' (did you mean 'm'?)");
	expect_cond_error(preamble, "exists(a, b)", 11, 7,
	    "exists() takes 1 argument, got 2");
	expect_cond_error(preamble, "cidr_contains(a)", 11, 7,
	    "cidr_contains() takes 2 arguments, got 1");
	expect_cond_error(preamble, "m(1, 2)", 11, 7,
	    "macro 'm' takes 1 argument, got 2");
	expect_cond_error(preamble, "any(a)", 11, 7, "any() takes");
	expect_cond_error(preamble, "any(a, b)", 11, 14,
	    "the second argument of any()");
	expect_cond_error(preamble, "any(a, x => x) and x == 1", 11, 26,
	    "'x' is used outside the quantifier that names it");
	expect_cond_error(preamble, "any(a, x => any(x.b, y => y)) and y.c",
	    11, 41, "'y' is used outside");
	expect_cond_error(preamble, "exists(x => x)", 11, 14,
	    "'x => ...' belongs in any()");
	expect_cond_error(preamble, "p in @portz", 11, 12,
	    "unknown list '@portz' (did you mean '@ports'?)");
	expect_cond_error(preamble, "p in @nothing", 11, 12,
	    "unknown list '@nothing'");
	expect_cond_error(preamble, "a matches \"a(b\"", 11, 17,
	    "bad regular expression");
	expect_cond_error(preamble, "a matches b", 11, 17,
	    "the pattern of matches is a string literal");
	expect_cond_error(preamble, "age(a) > 90", 11, 14,
	    "a duration compares with a duration");
	expect_cond_error(preamble, "90d == \"x\"", 11, 11,
	    "a duration compares with a duration");
	expect_cond_error(preamble, "exists(a) == 1", 11, 17,
	    "a boolean compares with true or false, not with a number");
	expect_cond_error(preamble, "length(a) == \"x\"", 11, 17,
	    "a number compares with a number");
	expect_cond_error(preamble, "true < false", 11, 12,
	    "a boolean cannot be ordered");
	expect_cond_error(preamble, "a < null", 11, 9,
	    "null cannot be ordered");
	expect_cond_error(preamble, "a == [1, 2]", 11, 12,
	    "a list cannot be compared");
	expect_cond_error(preamble, "a[*].b == 1", 11, 7,
	    "a comparison takes one value");
	expect_cond_error(preamble, "a[?c].b", 11, 7,
	    "this may have many values");
	expect_cond_error(preamble, "1 + 1", 11, 9, "unexpected character");
	expect_cond_error(preamble, "22", 11, 7,
	    "expected a condition, got a number");
	expect_cond_error(preamble, "a and \"x\"", 11, 13,
	    "expected a condition, got a string");
	expect_cond_error(preamble, "a in \"abc\"", 11, 12,
	    "'in' looks in a list, not in a string (for a substring");
	expect_cond_error(preamble, "[1] in @ports", 11, 7,
	    "'in' looks for one value in a list, not a list");
	expect_cond_error(preamble, "5 contains 1", 11, 7,
	    "contains looks in a string or a list");
	expect_cond_error(preamble, "a startswith 1", 11, 20,
	    "startswith takes a string, not a number");
	expect_cond_error(preamble, "is_world(\"10.0.0.0/33\")", 11, 16,
	    "'10.0.0.0/33' is not a CIDR block");
	expect_cond_error(preamble, "is_world(true)", 11, 16,
	    "is_world() takes a string, not a boolean");
	expect_cond_error(preamble, "lower(a[*])", 11, 13,
	    "lower() takes one value");
	expect_cond_error(preamble, "ref(a, b) == null", 11, 11,
	    "ref() takes an asset type as a string literal");
	expect_cond_error(preamble, "ref(\"AWS::EC2:Subnet\", b) == null", 11,
	    11, "'AWS::EC2:Subnet' is not an asset type");
	expect_cond_error(preamble, "exists(a).b", 11, 7,
	    "a path cannot follow exists()");
	expect_cond_error(preamble, "any(a, x => m(x[*]))", 11, 21,
	    "a macro's argument is one value");
	expect_cond_error(preamble, "@ == 1", 11, 7,
	    "'@' is the element of a filter");
	expect_cond_error(preamble, "port_in_range(\"x\", 1, 2)", 11, 21,
	    "port_in_range() takes a number, not a string");
	expect_cond_error(preamble, "-\"x\" == 1", 11, 7,
	    "'-' takes a number, not a string");
	expect_cond_error(preamble, "count(a) and true", 11, 7,
	    "expected a condition, got a number");
	expect_cond_error(preamble, "any(5, x => x)", 11, 11,
	    "any() looks at the items of a list or a path, not a number");
}
END_TEST

/* Every error of a condition, several per rule, and of every rule. */
START_TEST(test_all_errors)
{
	struct diags	 d = { NULL, 0 };
	const char	*text =
	    "rules:\n"
	    "  - id: one\n"
	    "    title: t\n"
	    "    severity: hgh\n"
	    "    resource: AWS::S3::Bucket\n"
	    "    condition: |\n"
	    "      exitss(a)\n"
	    "      and b in @nope\n"
	    "      and c matches \"(\"\n"
	    "  - id: two\n"
	    "    title: t\n"
	    "    severity: low\n"
	    "    resource: AWS::S3::Bucket\n"
	    "    condition: x == 1 and age(y) > 5\n";

	ck_assert_ptr_null(compile(text, &d));
	ck_assert_uint_eq(d.n, 5);
	/* In order: file, line, column. */
	ck_assert_int_eq(d.v[0].line, 4);
	ck_assert_int_eq(d.v[1].line, 7);
	ck_assert_int_eq(d.v[2].line, 8);
	ck_assert_int_eq(d.v[3].line, 9);
	ck_assert_int_eq(d.v[4].line, 14);
	ck_assert_int_eq(d.v[4].col, 34);
	diag_clear(&d);
}
END_TEST

/* Positions inside every kind of YAML scalar. */
START_TEST(test_positions)
{
	static const char head[] =
	    "rules:\n"
	    "  - id: t\n"
	    "    title: t\n"
	    "    severity: low\n"
	    "    resource: AWS::S3::Bucket\n";
	char	*text;

	/* Literal block, deeper indentation, a comment in the header. */
	text = xprintf("%s    condition: |  # the condition\n"
	    "        a == 1\n"
	    "          and bogus(2)\n", head);
	expect_error(text, 8, 15, "unknown function or macro 'bogus'");
	free(text);
	/* Folded block: lines folded into one, positions kept. */
	text = xprintf("%s    condition: >-\n"
	    "      a == 1 and\n"
	    "\n"
	    "      b == 2 and bogus(3)\n", head);
	expect_error(text, 9, 18, "unknown function or macro 'bogus'");
	free(text);
	/* Plain scalar over two lines. */
	text = xprintf("%s    condition: a == 1 and\n"
	    "      bogus(2)\n", head);
	expect_error(text, 7, 7, "unknown function or macro 'bogus'");
	free(text);
	/* Single-quoted, with a doubled quote before the mistake. */
	text = xprintf("%s    condition: 'a == ''x'' and bogus(1)'\n", head);
	expect_error(text, 6, 32, "unknown function or macro 'bogus'");
	free(text);
	/* Double-quoted, with escapes before the mistake. */
	text = xprintf("%s    condition: \"a == \\\"\\u00e9\\\" and\\n"
	    "bogus(1)\"\n", head);
	expect_error(text, 6, 38, "unknown function or macro 'bogus'");
	free(text);
	/* Double-quoted over two lines. */
	text = xprintf("%s    condition: \"a == 1 and\n"
	    "      bogus(1)\"\n", head);
	expect_error(text, 7, 7, "unknown function or macro 'bogus'");
	free(text);
	/* Flow mapping. */
	text = xprintf("rules:\n  - {id: t, title: t, severity: low, "
	    "resource: AWS::S3::Bucket, condition: a == bogus(1)}\n");
	expect_error(text, 2, 81, "unknown function or macro 'bogus'");
	free(text);
	/* Tabs inside the expression count as one column. */
	text = xprintf("%s    condition: \"a ==\\t1 and\\tbogus(1)\"\n", head);
	expect_error(text, 6, 30, "unknown function or macro 'bogus'");
	free(text);
	/* A macro's body, in its own position. */
	text = xprintf("macros:\n  m(x): |\n    x == 1 or\n      bogus(x)\n"
	    "%s    condition: m(1)\n", head);
	expect_error(text, 4, 7, "unknown function or macro 'bogus'");
	free(text);
}
END_TEST

START_TEST(test_file_errors)
{
	expect_error("- a\n", 1, 1, "a rule file is a mapping");
	expect_error("rulez: []\n", 1, 1,
	    "unknown key 'rulez' in a rule file (did you mean 'rules'?)");
	expect_error("rules: {a: 1}\n", 1, 8, "rules: expected a list");
	expect_error("rules:\n  - 5\n", 2, 5, "a rule is a mapping");
	expect_error("rules:\n  - id: t\n", 2, 5,
	    "rule 't': missing required key 'title'");
	expect_error("rules:\n  - id: t\n", 2, 5,
	    "rule 't': missing required key 'severity'");
	expect_error("rules:\n  - id: t\n", 2, 5,
	    "rule 't': missing required key 'condition'");
	expect_error("rules:\n  - id: t\n", 2, 5,
	    "rule 't': missing required key 'resource' (or resources)");
	expect_error("rules:\n  - title: t\n", 2, 5,
	    "rule: missing required key 'id'");
	expect_error("rules:\n  - id: t\n    titel: x\n", 3, 5,
	    "unknown key 'titel' in a rule (did you mean 'title'?)");
	expect_error("rules:\n  - id: t\n    title: a\n    title: b\n", 4, 5,
	    "duplicate key 'title'");
	expect_error("rules:\n  - id: Bad_Id\n", 2, 9,
	    "id: 'Bad_Id' must start with a lower case letter");
	expect_error("rules:\n  - id: bad id\n", 2, 9,
	    "id: 'bad id' may hold only");
	expect_error("rules:\n  - id: t\n    severity: hgh\n", 3, 15,
	    "severity: 'hgh' is not one of");
	expect_error("rules:\n  - id: t\n    resource: AWS::S3:Bucket\n", 3, 15,
	    "resource: 'AWS::S3:Bucket' is not an asset type");
	expect_error("rules:\n  - id: t\n    resources: []\n", 3, 16,
	    "resources: empty list");
	expect_error("rules:\n  - id: t\n    resource: AWS::S3::Bucket\n"
	    "    resources: [AWS::S3::Bucket]\n", 4, 16,
	    "resources: give resource or resources, not both");
	expect_error("rules:\n  - id: t\n    references: [ftp://x]\n", 3, 18,
	    "references: 'ftp://x' is not an http");
	expect_error("rules:\n  - id: t\n    frameworks: [cis]\n", 3, 17,
	    "frameworks: expected a mapping");
	expect_error("rules:\n  - id: t\n    frameworks:\n      cis: {a: 1}\n",
	    4, 12, "cis: expected a list of strings");
	expect_error("rules:\n  - id: t\n    enabled: maybe\n", 3, 14,
	    "enabled: expected true or false");
	expect_error("rules:\n  - id: t\n    title: \"\"\n", 3, 12,
	    "title: empty");
	expect_error("rules:\n  - id: t\n    title: [a]\n", 3, 12,
	    "title: expected a string, got a list");
	expect_error("rules:\n  - id: t\n    condition:\n", 3, 15,
	    "condition: expected a string, got nothing");
	expect_error("lists: [a]\n", 1, 8, "lists: expected a mapping");
	expect_error("lists:\n  p: 22\n", 2, 6, "list 'p': expected a list");
	expect_error("lists:\n  p: [[22]]\n", 2, 7,
	    "list 'p': items are strings, numbers or booleans, not a list");
	expect_error("lists:\n  bad-name: [1]\n", 2, 3, "list name 'bad-name'");
	expect_error("macros:\n  m(: x\n", 2, 3, "'m(' is not a macro name");
	expect_error("macros:\n  m(a, a): a\n", 2, 3,
	    "macro 'm': parameter 'a' is named twice");
	expect_error("macros:\n  exists(a): a\n", 2, 3,
	    "macro 'exists': the name is taken");
	expect_error("macros:\n  m(any): any\n", 2, 3,
	    "'m(any)' is not a macro");
	expect_error("macros:\n  m: m()\n", 2, 6,
	    "macro 'm' cannot be used here: it would use itself");
	expect_error("macros:\n  a: b()\n  b: a()\n", 3, 6,
	    "macro 'a' cannot be used here");
	expect_error("macros:\n  m: [1]\n", 2, 6, "m: expected a string");
	expect_error("macros:\n  m: a ==\n", 2, 10, "expected a value");
	expect_error("rules: [\n", 2, 1, "YAML syntax");
	expect_error("a: &x 1\nb: *x\n", 2, 4, "YAML aliases are not allowed");
	expect_error("rules:\n  - {id: a, title: t, severity: low, resource: "
	    "AWS::S3::Bucket, condition: 'true'}\n  - {id: a, title: t, "
	    "severity: low, resource: AWS::S3::Bucket, condition: 'true'}\n",
	    3, 5, "duplicate rule id 'a' (also at test.yaml:2:5)");
}
END_TEST

START_TEST(test_files)
{
	struct diags	 d = { NULL, 0 };
	struct ruleset	*rs;
	char		*dir, *p, *paths[3];

	dir = test_tmpdir();
	p = xprintf("%s/a.yaml", dir);
	test_write(p, "lists:\n  ports: [22]\nmacros:\n  open(x): x in @ports\n"
	    "rules:\n  - id: a\n    title: t\n    severity: high\n"
	    "    resource: AWS::EC2::SecurityGroup\n"
	    "    condition: any(IpPermissions, p => open(p.FromPort))\n");
	free(p);
	p = xprintf("%s/sub", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	/* Another file uses the first's list and macro. */
	p = xprintf("%s/sub/b.yml", dir);
	test_write(p, "rules:\n  - id: b\n    title: t\n    severity: low\n"
	    "    resource: AWS::EC2::SecurityGroup\n"
	    "    condition: open(22) and 22 in @ports\n");
	free(p);
	p = xprintf("%s/notes.txt", dir);
	test_write(p, "not a rule file: [\n");
	free(p);
	p = xprintf("%s/empty.yaml", dir);
	test_write(p, "# nothing yet\n");
	free(p);
	paths[0] = dir;
	rs = ruleset_load(paths, 1, &d);
	if (rs == NULL)
		diag_print(stderr, &d, false);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(ruleset_count(rs), 2);
	ck_assert_uint_eq(ruleset_nfiles(rs), 3);
	ck_assert_str_eq(ruleset_rule(rs, 0)->id, "a");
	ck_assert_str_eq(ruleset_rule(rs, 1)->id, "b");
	ruleset_free(rs);

	/* The same file twice: duplicate ids, lists and macros. */
	paths[0] = xprintf("%s/a.yaml", dir);
	paths[1] = paths[0];
	ck_assert_ptr_null(ruleset_load(paths, 2, &d));
	p = xprintf("list 'ports' is already defined at %s:2:3", paths[0]);
	expect_diag(&d, paths[0], 2, 3, p);
	free(p);
	p = xprintf("macro 'open' is already defined at %s:4:3", paths[0]);
	expect_diag(&d, paths[0], 4, 3, p);
	free(p);
	p = xprintf("duplicate rule id 'a' (also at %s:6:5)", paths[0]);
	expect_diag(&d, paths[0], 6, 5, p);
	free(p);
	diag_clear(&d);

	/* Errors of several files, every one, in file order. */
	paths[1] = xprintf("%s/bad1.yaml", dir);
	test_write(paths[1], "rules:\n  - id: c\n    title: t\n"
	    "    severity: low\n    resource: AWS::S3::Bucket\n"
	    "    condition: nope(1)\n");
	paths[2] = xprintf("%s/missing.yaml", dir);
	ck_assert_ptr_null(ruleset_load(paths + 1, 2, &d));
	ck_assert_uint_eq(d.n, 2);
	expect_diag(&d, paths[1], 6, 16, "unknown function or macro 'nope'");
	ck_assert_msg(strstr(d.v[1].msg, "No such file") != NULL, "%s",
	    d.v[1].msg);
	diag_clear(&d);
	free(paths[0]);
	free(paths[1]);
	free(paths[2]);

	test_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_index)
{
	struct diags		 d = { NULL, 0 };
	struct ruleset		*rs;
	const struct rule *const *v;
	const struct rule	*r;
	size_t			 n;
	const char		*text =
	    "rules:\n"
	    "  - id: sg-1\n"
	    "    title: First\n"
	    "    description: d\n"
	    "    severity: critical\n"
	    "    resource: AWS::EC2::SecurityGroup\n"
	    "    frameworks:\n"
	    "      cis-aws-6.0.0: [\"6.3\", \"6.4\"]\n"
	    "      nist: AC-4\n"
	    "    remediation: fix it\n"
	    "    references: [https://example.com/a]\n"
	    "    tags: [network, exposure]\n"
	    "    condition: \"true\"\n"
	    "  - id: both\n"
	    "    title: t\n"
	    "    severity: info\n"
	    "    resources: [AWS::EC2::Instance, AWS::EC2::SecurityGroup]\n"
	    "    condition: ref(\"AWS::EC2::Subnet\", SubnetId) != null\n"
	    "  - id: off\n"
	    "    title: t\n"
	    "    severity: low\n"
	    "    resource: AWS::EC2::SecurityGroup\n"
	    "    enabled: false\n"
	    "    condition: \"true\"\n"
	    "  - id: azure\n"
	    "    title: t\n"
	    "    severity: medium\n"
	    "    resource: Microsoft.Network/networkSecurityGroups\n"
	    "    condition: \"true\"\n";

	rs = compile(text, &d);
	if (rs == NULL)
		diag_print(stderr, &d, false);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(ruleset_count(rs), 4);
	v = ruleset_for_type(rs, "AWS::EC2::SecurityGroup", &n);
	ck_assert_uint_eq(n, 2);		/* not the disabled one */
	ck_assert_str_eq(v[0]->id, "sg-1");
	ck_assert_str_eq(v[1]->id, "both");
	v = ruleset_for_type(rs, "AWS::EC2::Instance", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->id, "both");
	v = ruleset_for_type(rs, "Microsoft.Network/networkSecurityGroups", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(ruleset_for_type(rs, "AWS::S3::Bucket", &n));
	ck_assert_uint_eq(n, 0);
	v = ruleset_readers(rs, "AWS::EC2::Subnet", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->id, "both");
	ck_assert_ptr_null(ruleset_readers(rs, "AWS::EC2::Instance", &n));

	r = ruleset_find(rs, "sg-1");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->title, "First");
	ck_assert_str_eq(r->description, "d");
	ck_assert_int_eq(r->severity, RULE_CRITICAL);
	ck_assert_str_eq(rule_severity_name(r->severity), "critical");
	ck_assert_uint_eq(r->nframeworks, 2);
	ck_assert_str_eq(r->frameworks[0].name, "cis-aws-6.0.0");
	ck_assert_uint_eq(r->frameworks[0].ncontrols, 2);
	ck_assert_str_eq(r->frameworks[0].controls[1], "6.4");
	ck_assert_str_eq(r->frameworks[1].controls[0], "AC-4");
	ck_assert_str_eq(r->remediation, "fix it");
	ck_assert_uint_eq(r->nreferences, 1);
	ck_assert_uint_eq(r->ntags, 2);
	ck_assert(r->enabled);
	ck_assert_str_eq(r->file, "test.yaml");
	ck_assert_int_eq(r->line, 2);
	ck_assert_int_eq(r->col, 5);
	ck_assert(!ruleset_find(rs, "off")->enabled);
	ck_assert_ptr_null(ruleset_find(rs, "nope"));
	ruleset_free(rs);
}
END_TEST

/* The related assets a case lists, for its references. */
static json_t *
case_get(void *ctx, const char *type, const char *id, const char *account,
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
		if (id == NULL && account != NULL &&
		    json_is_string(json_object_get(r, "account")) &&
		    strcmp(json_string_value(json_object_get(r, "account")),
		    account) != 0)
			continue;
		return json_incref(json_object_get(r, "document"));
	}
	return NULL;
}

/* Is there evidence with this path ("TYPE path" for a related asset)? */
static bool
has_evidence(const json_t *ev, const char *want)
{
	const json_t	*e, *a;
	const char	*sp = strchr(want, ' ');
	size_t		 i;

	json_array_foreach(ev, i, e) {
		a = json_object_get(e, "asset");
		if (sp == NULL && a == NULL && strcmp(json_string_value(
		    json_object_get(e, "path")), want) == 0)
			return true;
		if (sp != NULL && a != NULL && strncmp(json_string_value(
		    json_object_get(a, "type")), want, (size_t)(sp - want)) ==
		    0 && strcmp(json_string_value(json_object_get(e, "path")),
		    sp + 1) == 0)
			return true;
	}
	return false;
}

static bool
in_list(const json_t *list, const char *id)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), id) == 0)
			return true;
	}
	return false;
}

/*
 * The built-in rules' cases: every file of tests/data/rules/<rule id>/, run
 * against every pack under rules/.
 */
START_TEST(test_rule_cases)
{
	struct diags		 d = { NULL, 0 };
	struct ruleset		*rs;
	const struct rule *const *rules;
	struct rule_asset	 a;
	struct rule_lookup	 lk;
	struct rule_result	 res;
	json_error_t		 err;
	json_t			*c, *expect, *want, *p;
	char			*paths[1] = { (char *)(uintptr_t)RULESDIR };
	char			**files, *dirrule, *slash, *msg;
	const char		*id;
	size_t			 nfiles, i, j, k, nrules, ncases = 0;
	size_t			 covered = 0;
	int64_t			 now;

	rs = ruleset_load(paths, 1, &d);
	if (rs == NULL)
		diag_print(stderr, &d, true);
	ck_assert_ptr_nonnull(rs);
	files = dir_files(CASESDIR, 1, &nfiles);
	for (i = 0; i < nfiles; i++) {
		if (strlen(files[i]) < 5 ||
		    strcmp(files[i] + strlen(files[i]) - 5, ".json") != 0) {
			free(files[i]);
			continue;
		}
		c = json_load_file(files[i], JSON_REJECT_DUPLICATES, &err);
		ck_assert_msg(c != NULL, "%s: %s", files[i], err.text);
		expect = json_object_get(c, "expect");
		ck_assert_msg(json_is_object(expect), "%s: no expect",
		    files[i]);
		/* The directory's rule is named in the expectations. */
		dirrule = xstrdup(files[i] + strlen(CASESDIR) + 1);
		slash = strchr(dirrule, '/');
		ck_assert_ptr_nonnull(slash);
		*slash = '\0';
		ck_assert_msg(ruleset_find(rs, dirrule) != NULL,
		    "%s: no rule %s", files[i], dirrule);
		ck_assert_msg(in_list(json_object_get(expect, "violates"),
		    dirrule) || in_list(json_object_get(expect, "complies"),
		    dirrule), "%s: says nothing of %s", files[i], dirrule);

		memset(&a, 0, sizeof a);
		a.type = json_string_value(json_object_get(c, "type"));
		a.id = json_string_value(json_object_get(c, "id"));
		a.account = json_string_value(json_object_get(c, "account"));
		a.region = json_string_value(json_object_get(c, "region"));
		a.doc = json_object_get(c, "document");
		ck_assert_msg(a.type != NULL && a.doc != NULL, "%s", files[i]);
		lk.get = case_get;
		lk.ctx = json_object_get(c, "related");
		now = NOW;
		if ((id = json_string_value(json_object_get(c, "now"))) !=
		    NULL)
			ck_assert_int_eq(rule_timestamp(id, strlen(id), &now),
			    0);
		rules = ruleset_for_type(rs, a.type, &nrules);
		ck_assert_msg(nrules > 0, "%s: no rule for %s", files[i],
		    a.type);
		for (j = 0; j < nrules; j++) {
			id = rules[j]->id;
			rule_eval(rules[j], &a, &lk, now, &res);
			msg = json_dumps(res.evidence, JSON_COMPACT);
			if (in_list(json_object_get(expect, "violates"), id))
				ck_assert_msg(res.violates, "%s: does not "
				    "violate %s", files[i], id);
			if (in_list(json_object_get(expect, "complies"), id))
				ck_assert_msg(!res.violates, "%s: violates "
				    "%s: %s", files[i], id, msg);
			want = json_object_get(json_object_get(expect,
			    "evidence"), id);
			json_array_foreach(want, k, p) {
				ck_assert_msg(has_evidence(res.evidence,
				    json_string_value(p)), "%s: %s: no "
				    "evidence %s in %s", files[i], id,
				    json_string_value(p), msg);
			}
			free(msg);
			rule_result_free(&res);
		}
		if (in_list(json_object_get(expect, "violates"), dirrule))
			covered++;
		ncases++;
		free(dirrule);
		json_decref(c);
		free(files[i]);
	}
	free(files);
	ck_assert_uint_ge(ncases, 10);
	ck_assert_uint_ge(covered, 5);

	/* Every built-in rule has a violating and a compliant case. */
	for (i = 0; i < ruleset_count(rs); i++) {
		char	**cf, *dir;
		size_t	  ncf, violating = 0, compliant = 0;

		dir = xprintf("%s/%s", CASESDIR, ruleset_rule(rs, i)->id);
		cf = dir_files(dir, 0, &ncf);
		for (j = 0; j < ncf; j++) {
			c = json_load_file(cf[j], 0, &err);
			if (c != NULL) {
				expect = json_object_get(c, "expect");
				if (in_list(json_object_get(expect, "violates"),
				    ruleset_rule(rs, i)->id))
					violating++;
				else
					compliant++;
				json_decref(c);
			}
			free(cf[j]);
		}
		free(cf);
		ck_assert_msg(violating > 0 && compliant > 0, "rule %s: %zu "
		    "violating and %zu compliant cases in %s",
		    ruleset_rule(rs, i)->id, violating, compliant, dir);
		free(dir);
	}
	ruleset_free(rs);
}
END_TEST

START_TEST(test_builtin_pack)
{
	struct diags	 d = { NULL, 0 };
	struct ruleset	*rs;
	char		*paths[1] = { (char *)(uintptr_t)(RULESDIR
			    "/aws/classic.yaml") };
	const struct rule *r;
	size_t		 i;

	rs = ruleset_load(paths, 1, &d);
	if (rs == NULL)
		diag_print(stderr, &d, true);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_gt(ruleset_count(rs), 0);
	for (i = 0; i < ruleset_count(rs); i++) {
		r = ruleset_rule(rs, i);
		ck_assert_msg(r->description != NULL &&
		    r->remediation != NULL && r->nreferences > 0,
		    "%s: incomplete", r->id);
	}
	r = ruleset_find(rs, "aws-s3-bucket-public");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nrefs, 1);
	ck_assert_str_eq(r->refs[0].type, "AWS::S3::AccountPublicAccessBlock");
	ck_assert(r->refs[0].account);
	ruleset_free(rs);
}
END_TEST

/* vigil-rules(7) documents every built-in function. */
START_TEST(test_man_functions)
{
	char	*man, *want;
	size_t	 len;
	const char *const names[] = { "exists", "empty", "length", "first",
	    "lower", "upper", "is_world", "is_private", "cidr_contains",
	    "cidr_overlaps", "prefix_len", "age", "port_in_range", "ref",
	    "account_ref", "any", "all", "none", "count" };
	size_t	 i;
	char	*cause;

	man = read_file(TEST_SRCDIR "/man/vigil-rules.7.in", 1 << 20, &len,
	    &cause);
	ck_assert_ptr_nonnull(man);
	for (i = 0; i < nitems(names); i++) {
		want = xprintf("Fn %s ", names[i]);
		ck_assert_msg(strstr(man, want) != NULL, "%s is not documented",
		    names[i]);
		free(want);
	}
	free(man);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rule");
	TCase	*tc = tcase_create("rule");

	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_coercion);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_logic);
	tcase_add_test(tc, test_membership);
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_quantifiers);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_functions);
	tcase_add_test(tc, test_cidr);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_macros_and_lists);
	tcase_add_test(tc, test_refs);
	tcase_add_test(tc, test_evidence);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_all_errors);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_rule_cases);
	tcase_add_test(tc, test_builtin_pack);
	tcase_add_test(tc, test_man_functions);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return test_run(s);
}
