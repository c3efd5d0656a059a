/*
 * rule-func.c: the rule language's built-in functions, one table.  Each
 * entry says how many arguments a function takes and of what kind (the
 * checker reads the table), what it returns, and how it is evaluated.
 * Adding a function is one entry and one evaluator here, and a line in
 * vigil-rules(7).
 *
 * Argument kinds (the args string, one letter an argument):
 *	v  a single value		m  a value, or a path with many values
 *	s  a string			n  a number
 *	c  a CIDR block or address (a literal is checked at load)
 *	t  an asset type, as a string literal (checked at load)
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "cidr.h"
#include "rule-int.h"

static void	f_exists(struct reval *, const struct rnode *, struct rv *);
static void	f_empty(struct reval *, const struct rnode *, struct rv *);
static void	f_length(struct reval *, const struct rnode *, struct rv *);
static void	f_first(struct reval *, const struct rnode *, struct rv *);
static void	f_lower(struct reval *, const struct rnode *, struct rv *);
static void	f_upper(struct reval *, const struct rnode *, struct rv *);
static void	f_is_world(struct reval *, const struct rnode *, struct rv *);
static void	f_is_private(struct reval *, const struct rnode *,
		    struct rv *);
static void	f_cidr_contains(struct reval *, const struct rnode *,
		    struct rv *);
static void	f_cidr_overlaps(struct reval *, const struct rnode *,
		    struct rv *);
static void	f_prefix_len(struct reval *, const struct rnode *,
		    struct rv *);
static void	f_age(struct reval *, const struct rnode *, struct rv *);
static void	f_port_in_range(struct reval *, const struct rnode *,
		    struct rv *);
static void	f_ref(struct reval *, const struct rnode *, struct rv *);
static int	f_ref_each(struct reval *, const struct rnode *, reval_cb,
		    void *);
static void	f_account_ref(struct reval *, const struct rnode *,
		    struct rv *);

static const struct rule_func rule_funcs[] = {
	{ "exists", "m", RT_BOOL, 0, f_exists, NULL,
	  "the value is there and not null; for many values, one is" },
	{ "empty", "m", RT_BOOL, 0, f_empty, NULL,
	  "null, \"\", [] or {}; for many values, there are none" },
	{ "length", "m", RT_NUM, 0, f_length, NULL,
	  "characters of a string, items of a list, keys of an object; "
	  "for many values, how many" },
	{ "first", "m", RT_ANY, RF_PATHABLE, f_first, NULL,
	  "the first of many values, or of a list; null if none" },
	{ "lower", "s", RT_STR, 0, f_lower, NULL,
	  "a string in lower case (ASCII)" },
	{ "upper", "s", RT_STR, 0, f_upper, NULL,
	  "a string in upper case (ASCII)" },
	{ "is_world", "c", RT_BOOL, 0, f_is_world, NULL,
	  "every address: 0.0.0.0/0 or ::/0 (any /0)" },
	{ "is_private", "c", RT_BOOL, 0, f_is_private, NULL,
	  "a block or address that the internet does not route" },
	{ "cidr_contains", "cc", RT_BOOL, 0, f_cidr_contains, NULL,
	  "the first block holds all of the second" },
	{ "cidr_overlaps", "cc", RT_BOOL, 0, f_cidr_overlaps, NULL,
	  "the blocks share an address" },
	{ "prefix_len", "c", RT_NUM, 0, f_prefix_len, NULL,
	  "a block's prefix length (32 or 128 for an address)" },
	{ "age", "v", RT_DUR, 0, f_age, NULL,
	  "how long ago an ISO 8601 timestamp was" },
	{ "port_in_range", "nvv", RT_BOOL, 0, f_port_in_range, NULL,
	  "from <= port <= to; a null or -1 bound means every port" },
	{ "ref", "tm", RT_ANY, RF_PATHABLE | RF_MULTI_RET, f_ref,
	  f_ref_each,
	  "the related assets of a type with these ids" },
	{ "account_ref", "t", RT_ANY, RF_PATHABLE, f_account_ref, NULL,
	  "the account's (and region's) one asset of a type" },
};

const struct rule_func *
rule_func_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(rule_funcs); i++) {
		if (strcmp(rule_funcs[i].name, name) == 0)
			return &rule_funcs[i];
	}
	return NULL;
}

/* The table, one entry at a time (NULL past the end). */
const struct rule_func *
rule_func_at(size_t i)
{
	return i < nitems(rule_funcs) ? &rule_funcs[i] : NULL;
}

/*
 * An asset type: a CloudFormation / AWS Config name (AWS::S3::Bucket) or
 * an Azure resource type (Microsoft.Network/networkSecurityGroups).
 */
bool
rule_asset_type_ok(const char *s)
{
	const char	*p = s;
	int		 parts = 0, dots = 0, slashes = 0;

	if (strstr(s, "::") != NULL) {
		for (;;) {
			if (!isalnum((unsigned char)*p))
				return false;
			while (isalnum((unsigned char)*p))
				p++;
			parts++;
			if (*p == '\0')
				break;
			if (p[0] != ':' || p[1] != ':')
				return false;
			p += 2;
		}
		return parts == 3;
	}
	for (; *p != '\0'; p++) {
		if (*p == '.' && slashes == 0)
			dots++;
		else if (*p == '/')
			slashes++;
		else if (!isalnum((unsigned char)*p))
			return false;
		if ((*p == '.' || *p == '/') && (p == s || p[-1] == '.' ||
		    p[-1] == '/' || p[1] == '\0'))
			return false;
	}
	return dots > 0 && slashes > 0;
}

static void
rv_set_bool(struct rv *out, bool b)
{
	memset(out, 0, sizeof *out);
	out->kind = RV_BOOL;
	out->b = b;
}

static void
rv_set_num(struct rv *out, double n)
{
	memset(out, 0, sizeof *out);
	out->kind = RV_NUM;
	out->n = n;
}

static void
rv_set_null(struct rv *out)
{
	memset(out, 0, sizeof *out);
	out->kind = RV_NULL;
}

/* Many values: counting, the first, and whether there is one. */
struct items {
	size_t		 n;
	struct rv	 first;
};

static int
items_count(struct reval *ev, const struct rv *v, void *arg)
{
	struct items	*it = arg;

	if (it->n++ == 0)
		it->first = *v;
	return 0;
}

static int
items_first(struct reval *ev, const struct rv *v, void *arg)
{
	struct items	*it = arg;

	it->n++;
	it->first = *v;
	return 1;
}

static void
f_exists(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct items	 it;
	struct rv	 v;

	memset(&it, 0, sizeof it);
	if (n->args[0]->multi) {
		reval_items(ev, n->args[0], items_first, &it);
		if (it.n > 0)
			reval_record(ev, &it.first);
		rv_set_bool(out, it.n > 0);
		return;
	}
	reval_value(ev, n->args[0], &v);
	rv_set_bool(out, !rv_is_null(&v));
}

/* The size of a value: characters, items or keys; -1 for the others. */
static long
value_size(const struct rv *v)
{
	const char	*s;
	size_t		 len, i;
	long		 chars = 0;

	if (rv_is_null(v))
		return 0;
	if ((s = rv_string(v, &len)) != NULL) {
		for (i = 0; i < len; i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				chars++;
		}
		return chars;
	}
	if (v->kind != RV_JSON)
		return -1;
	if (json_is_array(v->j))
		return (long)json_array_size(v->j);
	if (json_is_object(v->j))
		return (long)json_object_size(v->j);
	return -1;
}

static void
f_empty(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct items	 it;
	struct rv	 v;

	memset(&it, 0, sizeof it);
	if (n->args[0]->multi) {
		reval_items(ev, n->args[0], items_first, &it);
		if (it.n > 0)
			reval_record(ev, &it.first);
		rv_set_bool(out, it.n == 0);
		return;
	}
	reval_value(ev, n->args[0], &v);
	rv_set_bool(out, value_size(&v) == 0);
}

static void
f_length(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct items	 it;
	struct rv	 v;
	long		 size;

	memset(&it, 0, sizeof it);
	if (n->args[0]->multi) {
		reval_items(ev, n->args[0], items_count, &it);
		rv_set_num(out, (double)it.n);
		return;
	}
	reval_value(ev, n->args[0], &v);
	if ((size = value_size(&v)) < 0)
		rv_set_null(out);
	else
		rv_set_num(out, (double)size);
}

static void
f_first(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct items	 it;

	memset(&it, 0, sizeof it);
	reval_items(ev, n->args[0], items_first, &it);
	if (it.n == 0)
		rv_set_null(out);
	else
		*out = it.first;
}

static void
f_case(struct reval *ev, const struct rnode *n, struct rv *out, bool up)
{
	struct rv	 v;
	const char	*s;
	char		*t;
	size_t		 len, i;

	reval_value(ev, n->args[0], &v);
	if ((s = rv_string(&v, &len)) == NULL) {
		rv_set_null(out);
		return;
	}
	t = reval_alloc(ev, len + 1);
	for (i = 0; i < len; i++)
		t[i] = (char)(up ? toupper((unsigned char)s[i]) :
		    tolower((unsigned char)s[i]));
	t[len] = '\0';
	memset(out, 0, sizeof *out);
	out->kind = RV_STR;
	out->s = t;
}

static void
f_lower(struct reval *ev, const struct rnode *n, struct rv *out)
{
	f_case(ev, n, out, false);
}

static void
f_upper(struct reval *ev, const struct rnode *n, struct rv *out)
{
	f_case(ev, n, out, true);
}

/* Argument i as a CIDR block; false if it is not one. */
static bool
arg_cidr(struct reval *ev, const struct rnode *n, size_t i, struct cidr *c)
{
	struct rv	 v;
	const char	*s;
	size_t		 len;

	reval_value(ev, n->args[i], &v);
	if ((s = rv_string(&v, &len)) == NULL || strlen(s) != len)
		return false;
	return cidr_parse(s, c) == 0;
}

static void
f_is_world(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct cidr	 c;

	rv_set_bool(out, arg_cidr(ev, n, 0, &c) && cidr_is_world(&c));
}

static void
f_is_private(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct cidr	 c;

	rv_set_bool(out, arg_cidr(ev, n, 0, &c) && cidr_is_private(&c));
}

static void
f_cidr_contains(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct cidr	 a, b;
	bool		 ok;

	ok = arg_cidr(ev, n, 0, &a);
	ok = arg_cidr(ev, n, 1, &b) && ok;
	rv_set_bool(out, ok && cidr_contains(&a, &b));
}

static void
f_cidr_overlaps(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct cidr	 a, b;
	bool		 ok;

	ok = arg_cidr(ev, n, 0, &a);
	ok = arg_cidr(ev, n, 1, &b) && ok;
	rv_set_bool(out, ok && cidr_overlaps(&a, &b));
}

static void
f_prefix_len(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct cidr	 c;

	if (arg_cidr(ev, n, 0, &c))
		rv_set_num(out, c.prefix);
	else
		rv_set_null(out);
}

static int
digits(const char *s, size_t len, size_t *i, int n, int *v)
{
	int	 k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (*i >= len || !isdigit((unsigned char)s[*i]))
			return -1;
		*v = *v * 10 + (s[(*i)++] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * An ISO 8601 timestamp as the AWS CLI prints them (2022-11-15T10:48:59+00:00,
 * 2019-02-28T21:28:32.000Z) or a date alone, into milliseconds since the
 * epoch.  A time without a zone is UTC.  Returns 0, or -1.
 */
int
rule_timestamp(const char *s, size_t len, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	size_t	 i = 0;
	int	 y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, fd = 0, zh, zm;
	int	 sign;
	int64_t	 t;

	if (digits(s, len, &i, 4, &y) != 0 || i >= len || s[i++] != '-' ||
	    digits(s, len, &i, 2, &mo) != 0 || i >= len || s[i++] != '-' ||
	    digits(s, len, &i, 2, &d) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0))))
		return -1;
	if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		i++;
		if (digits(s, len, &i, 2, &h) != 0 || i >= len ||
		    s[i++] != ':' || digits(s, len, &i, 2, &mi) != 0)
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			if (digits(s, len, &i, 2, &sec) != 0)
				return -1;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				i++;
				if (i >= len || !isdigit((unsigned char)s[i]))
					return -1;
				for (; i < len && isdigit((unsigned char)s[i]);
				    i++) {
					if (fd < 3) {
						frac = frac * 10 + (s[i] - '0');
						fd++;
					}
				}
				for (; fd < 3; fd++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (i < len && (s[i] == 'Z' || s[i] == 'z'))
			i++;
		else if (i < len && (s[i] == '+' || s[i] == '-')) {
			sign = s[i++] == '-' ? -1 : 1;
			if (digits(s, len, &i, 2, &zh) != 0)
				return -1;
			zm = 0;
			if (i < len && s[i] == ':')
				i++;
			if (i < len && digits(s, len, &i, 2, &zm) != 0)
				return -1;
			if (zh > 23 || zm > 59)
				return -1;
			h -= sign * zh;
			mi -= sign * zm;
		}
	}
	if (i != len)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + sec;
	*ms = t * 1000 + frac;
	return 0;
}

static void
f_age(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct rv	 v;
	const char	*s;
	size_t		 len;
	int64_t		 t;
	double		 secs;

	reval_value(ev, n->args[0], &v);
	if ((s = rv_string(&v, &len)) != NULL) {
		if (rule_timestamp(s, len, &t) != 0) {
			rv_set_null(out);
			return;
		}
	} else if (v.kind == RV_JSON && json_is_number(v.j)) {
		secs = json_number_value(v.j);	/* seconds since the epoch */
		t = (int64_t)(secs * 1000);
	} else {
		rv_set_null(out);
		return;
	}
	memset(out, 0, sizeof *out);
	out->kind = RV_DUR;
	out->ms = reval_now(ev) - t;
}

static void
f_port_in_range(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct rv	 v;
	double		 port, lo, hi;
	bool		 hasport, haslo, hashi;

	reval_value(ev, n->args[0], &v);
	hasport = rv_number(&v, &port);
	reval_value(ev, n->args[1], &v);
	haslo = rv_number(&v, &lo) && lo != -1;
	reval_value(ev, n->args[2], &v);
	hashi = rv_number(&v, &hi) && hi != -1;
	if (!hasport) {
		rv_set_bool(out, false);
		return;
	}
	if (!haslo && !hashi) {
		rv_set_bool(out, true);		/* every port */
		return;
	}
	if (!haslo)
		lo = hi;
	if (!hashi)
		hi = lo;
	rv_set_bool(out, lo <= port && port <= hi);
}

/* A related asset by id: its document, or null. */
static void
ref_one(struct reval *ev, const char *type, const struct rv *id,
    struct rv *out)
{
	const json_t	*doc;
	const char	*s;
	size_t		 len;
	bool		 found;

	memset(out, 0, sizeof *out);
	out->kind = RV_NULL;
	if ((s = rv_string(id, &len)) == NULL || strlen(s) != len ||
	    *s == '\0')
		return;
	doc = reval_lookup(ev, type, s, &found);
	out->path = reval_asset_root(ev, type, s, found, id->path);
	if (doc != NULL) {
		out->kind = RV_JSON;
		out->j = doc;
	}
}

static void
f_ref(struct reval *ev, const struct rnode *n, struct rv *out)
{
	struct rv	 id;

	reval_value(ev, n->args[1], &id);
	ref_one(ev, json_string_value(n->args[0]->lit), &id, out);
}

struct ref_each {
	const char	*type;
	reval_cb	 cb;
	void		*arg;
};

static int
ref_each_cb(struct reval *ev, const struct rv *id, void *arg)
{
	struct ref_each	*re = arg;
	struct rv	 doc;

	ref_one(ev, re->type, id, &doc);
	if (doc.kind == RV_NULL)
		return 0;
	return re->cb(ev, &doc, re->arg);
}

/* Many ids: each related asset that is there. */
static int
f_ref_each(struct reval *ev, const struct rnode *n, reval_cb cb, void *arg)
{
	struct ref_each	 re;

	re.type = json_string_value(n->args[0]->lit);
	re.cb = cb;
	re.arg = arg;
	return reval_items(ev, n->args[1], ref_each_cb, &re);
}

static void
f_account_ref(struct reval *ev, const struct rnode *n, struct rv *out)
{
	const char	*type = json_string_value(n->args[0]->lit);
	const json_t	*doc;
	bool		 found;

	doc = reval_lookup(ev, type, NULL, &found);
	memset(out, 0, sizeof *out);
	out->kind = doc != NULL ? RV_JSON : RV_NULL;
	out->j = doc;
	out->path = reval_asset_root(ev, type, NULL, found, NULL);
}
