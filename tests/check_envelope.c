/*
 * check_envelope.c: AWS envelopes into change events.
 *
 * - The bundled cases, tests/data/envelope/NNN-name.* and .expected: every
 *   field of every event, reference and skipped record, or the error.
 *   (VIGIL_REGEN_EXPECTED=1 rewrites the .expected files, to be reviewed.)
 * - The whole shared corpus when there is one: every file parsed, every
 *   CloudTrail record and Config item compared with jansson's reading of
 *   the same bytes, counts per folder compared with counts made here with
 *   jansson, and the rejected files exactly the known ones.
 * - S3 references, nesting limits, truncation at every byte, gzip.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <strings.h>

#include "check_vigil.h"
#include "change.h"
#include "envelope.h"
#include "gz.h"
#include "jscan.h"

#define ENVDATA		TEST_SRCDIR "/tests/data/envelope"
#define MAX_INFLATE	(64 << 20)

static char *
slurp(const char *path, size_t *len)
{
	char	*buf, *cause = NULL;

	buf = read_file(path, MAX_INFLATE, len, &cause);
	ck_assert_msg(buf != NULL, "%s", cause);
	return buf;
}

/* A copy of exactly len bytes, so that ASan sees any read past the end. */
static char *
exact(const char *buf, size_t len)
{
	char	*p;

	p = xmalloc(len > 0 ? len : 1);
	memcpy(p, buf, len);
	return p;
}

static int
parse(const char *buf, size_t len, struct envelope_result *res, char **cause)
{
	char	*copy;
	int	 r;

	copy = exact(buf, len);
	*cause = NULL;
	r = envelope_parse(copy, len, MAX_INFLATE, res, cause);
	free(copy);
	return r;
}

static int
parse_str(const char *s, struct envelope_result *res, char **cause)
{
	return parse(s, strlen(s), res, cause);
}

/* ---------------------------------------------------------------------- */
/* The bundled cases. */

static void
dump_str(FILE *f, const char *name, const char *v)
{
	fprintf(f, "  %s %s\n", name, v != NULL ? v : "-");
}

static void
dump_span(FILE *f, const char *name, const struct change_event *ev,
    const struct change_span *sp)
{
	const char	*p = change_span_ptr(ev, sp);
	size_t		 i, n;

	if (p == NULL) {
		fprintf(f, "  %s -\n", name);
		return;
	}
	fprintf(f, "  %s %zu+%zu ", name, sp->off, sp->len);
	n = sp->len < 60 ? sp->len : 60;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n')
			fputs("\\n", f);
		else
			fputc(p[i], f);
	}
	fputs(n < sp->len ? "...\n" : "\n", f);
}

static void
dump_result(FILE *f, const struct envelope_result *res)
{
	const struct change_event	*ev;
	char				*t;
	size_t				 i;

	fprintf(f, "format %s\ngzip %s\nevents %zu\nrefs %zu\nskipped %zu\n",
	    res->format, res->gzip ? "yes" : "no", res->nevents, res->nrefs,
	    res->nskipped);
	for (i = 0; i < res->nevents; i++) {
		ev = res->events[i];
		fprintf(f, "event %zu\n", i);
		dump_str(f, "provider", change_provider_name(ev->provider));
		dump_str(f, "kind", change_kind_name(ev->kind));
		dump_str(f, "id", ev->id);
		t = ev->time != 0 ? time_iso8601(ev->time) : NULL;
		dump_str(f, "time", t);
		free(t);
		dump_str(f, "account", ev->account);
		dump_str(f, "region", ev->region);
		dump_str(f, "service", ev->service);
		dump_str(f, "source", ev->source);
		dump_str(f, "name", ev->name);
		dump_str(f, "type", ev->type);
		dump_str(f, "detail_type", ev->detail_type);
		fprintf(f, "  read_only %s%s\n", ev->read_only ? "yes" : "no",
		    ev->read_only_inferred ? " (inferred)" : "");
		dump_str(f, "error_code", ev->error_code);
		dump_str(f, "error_message", ev->error_message);
		dump_str(f, "actor.arn", ev->actor.arn);
		dump_str(f, "actor.type", ev->actor.type);
		dump_str(f, "actor.principal_id", ev->actor.principal_id);
		dump_str(f, "actor.account", ev->actor.account);
		dump_str(f, "actor.user_name", ev->actor.user_name);
		dump_str(f, "actor.invoked_by", ev->actor.invoked_by);
		dump_str(f, "actor.issuer_arn", ev->actor.issuer_arn);
		dump_str(f, "source_ip", ev->source_ip);
		dump_str(f, "user_agent", ev->user_agent);
		dump_str(f, "request_id", ev->request_id);
		dump_str(f, "resource_type", ev->resource_type);
		dump_str(f, "resource_id", ev->resource_id);
		dump_str(f, "resource_arn", ev->resource_arn);
		dump_str(f, "resource_name", ev->resource_name);
		dump_str(f, "config_status", ev->config_status ==
		    CHANGE_CONFIG_NONE ? NULL :
		    change_config_status_name(ev->config_status));
		dump_str(f, "config_state", ev->config_state);
		dump_str(f, "change_type", ev->change_type);
		fprintf(f, "  needs_fetch %s\n",
		    ev->needs_fetch ? "yes" : "no");
		fprintf(f, "  raw_len %zu\n", ev->raw_len);
		dump_span(f, "request", ev, &ev->request);
		dump_span(f, "response", ev, &ev->response);
		dump_span(f, "configuration", ev, &ev->configuration);
		dump_span(f, "supplementary", ev, &ev->supplementary);
		dump_span(f, "diff", ev, &ev->diff);
		dump_span(f, "detail", ev, &ev->detail);
	}
	for (i = 0; i < res->nrefs; i++) {
		fprintf(f, "ref %zu\n", i);
		dump_str(f, "bucket", res->refs[i].bucket);
		dump_str(f, "key", res->refs[i].key);
		dump_str(f, "region", res->refs[i].region);
		fprintf(f, "  size %lld\n", (long long)res->refs[i].size);
	}
	for (i = 0; i < res->nskipped; i++)
		fprintf(f, "skipped %s\n", res->skipped[i]);
}

/* Every event's raw record, and every span of it, is JSON. */
static void
check_raw_json(const char *where, const struct envelope_result *res)
{
	const struct change_span	*spans[6];
	const struct change_event	*ev;
	json_error_t			 err;
	json_t				*j;
	size_t				 i, k;

	for (i = 0; i < res->nevents; i++) {
		ev = res->events[i];
		j = json_loadb(ev->raw, ev->raw_len, 0, &err);
		ck_assert_msg(j != NULL, "%s: event %zu raw: %s", where, i,
		    err.text);
		json_decref(j);
		ck_assert_uint_eq(strlen(ev->raw), ev->raw_len);
		spans[0] = &ev->request;
		spans[1] = &ev->response;
		spans[2] = &ev->configuration;
		spans[3] = &ev->supplementary;
		spans[4] = &ev->diff;
		spans[5] = &ev->detail;
		for (k = 0; k < nitems(spans); k++) {
			if (spans[k]->len == 0)
				continue;
			ck_assert_ptr_nonnull(change_span_ptr(ev, spans[k]));
			j = json_loadb(ev->raw + spans[k]->off, spans[k]->len,
			    JSON_DECODE_ANY, &err);
			ck_assert_msg(j != NULL, "%s: event %zu span %zu: %s",
			    where, i, k, err.text);
			json_decref(j);
		}
	}
}

static char *
case_output(const char *input)
{
	struct envelope_result	 res;
	char			*buf, *cause, *out = NULL;
	size_t			 len, outlen = 0;
	FILE			*f;

	buf = slurp(input, &len);
	f = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(f);
	if (parse(buf, len, &res, &cause) == -1) {
		fprintf(f, "error %s\n", cause);
		free(cause);
	} else {
		check_raw_json(input, &res);
		dump_result(f, &res);
		envelope_result_free(&res);
	}
	fclose(f);
	free(buf);
	return out;
}

START_TEST(test_bundled_cases)
{
	char		**paths = NULL, *stem, *input, *want, *got, *exp;
	const char	*regen = getenv("VIGIL_REGEN_EXPECTED");
	size_t		 n = 0, i, k, len, ncases = 0;

	paths = dir_files(ENVDATA, 16, &n);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		len = strlen(paths[i]);
		if (len < 9 || strcmp(paths[i] + len - 9, ".expected") != 0)
			continue;
		stem = xstrndup(paths[i], len - 9);
		input = NULL;
		for (k = 0; k < n; k++) {
			if (strncmp(paths[k], stem, strlen(stem)) == 0 &&
			    paths[k][strlen(stem)] == '.' && k != i)
				input = paths[k];
		}
		ck_assert_msg(input != NULL, "%s: no input", paths[i]);
		got = case_output(input);
		exp = paths[i];
		if (regen != NULL && strcmp(regen, "1") == 0)
			test_write(exp, got);
		want = slurp(exp, &len);
		if (strcmp(want, got) != 0)
			fprintf(stderr, "%s: got:\n%s", input, got);
		ck_assert_msg(strcmp(want, got) == 0, "%s differs from %s",
		    input, exp);
		free(want);
		free(got);
		free(stem);
		ncases++;
	}
	/* Every input has its expected output. */
	for (i = 0; i < n; i++) {
		len = strlen(paths[i]);
		if (strstr(paths[i], "/PROVENANCE.md") != NULL ||
		    (len > 9 && strcmp(paths[i] + len - 9, ".expected") == 0))
			continue;
		stem = xprintf("%.*s.expected", (int)(strchr(strrchr(paths[i],
		    '/'), '.') - paths[i]), paths[i]);
		ck_assert_msg(access(stem, R_OK) == 0, "%s: no %s", paths[i],
		    stem);
		free(stem);
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	printf("envelope: %zu bundled cases as expected\n", ncases);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* The corpus, with jansson as the oracle. */

/* eventTime and friends, read here with sscanf and timegm. */
static int64_t
oracle_time(const char *s)
{
	struct tm	 tm, back;
	char		 rest[64] = "", *p;
	int		 y, mo, d, h, mi, sec, n, ms = 0, digits = 0;
	int		 oh = 0, om = 0;
	time_t		 t;
	long		 off = 0;

	if (s == NULL)
		return 0;
	n = sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%63s", &y, &mo, &d, &h,
	    &mi, &sec, rest);
	if (n < 6)
		return 0;
	p = rest;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits++ < 3)
				ms = ms * 10 + (*p - '0');
		}
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 &&
		    sscanf(p + 1, "%2d%2d", &oh, &om) != 2)
			return 0;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
		p += strlen(p);
	}
	if (*p != '\0')
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	gmtime_r(&t, &back);
	if (back.tm_mday != d || back.tm_mon != mo - 1)
		return 0;	/* 30 February */
	return ((int64_t)t - off) * 1000 + ms;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
same_str(const char *where, const char *field, const char *want,
    const char *got)
{
	ck_assert_msg((want == NULL && got == NULL) ||
	    (want != NULL && got != NULL && strcmp(want, got) == 0),
	    "%s: %s: want %s, got %s", where, field, want ? want : "(none)",
	    got ? got : "(none)");
}

/* A span of the raw record is the value jansson read there. */
static void
same_span(const char *where, const char *field,
    const struct change_event *ev, const struct change_span *sp, json_t *want)
{
	json_error_t	 err;
	json_t		*got;

	if (want == NULL) {
		ck_assert_msg(sp->len == 0, "%s: %s: a span for nothing", where,
		    field);
		return;
	}
	ck_assert_msg(change_span_ptr(ev, sp) != NULL, "%s: %s: no span",
	    where, field);
	got = json_loadb(ev->raw + sp->off, sp->len, JSON_DECODE_ANY, &err);
	ck_assert_msg(got != NULL, "%s: %s: %s", where, field, err.text);
	ck_assert_msg(json_equal(got, want), "%s: %s differs", where, field);
	json_decref(got);
}

/* A CloudTrail record as jansson reads it, with its EventBridge envelope. */
struct oracle_record {
	json_t	*rec;
	json_t	*env;
};

/* A configuration item, with its notification and envelope. */
struct oracle_item {
	json_t	*ci;
	json_t	*env;		/* EventBridge envelope, if any */
	bool	 summary;
};

struct oracle {
	struct oracle_record	*recs;
	size_t			 nrecs;
	struct oracle_item	*items;
	size_t			 nitems;
	size_t			 other;
	json_t			*keep;	/* documents decoded from strings */
};

/* A CloudTrail record: eventSource and eventName strings, not S3 or SQS. */
static bool
oracle_is_record(json_t *o)
{
	const char	*src;

	if (!json_is_object(o) || (src = jstr(o, "eventSource")) == NULL ||
	    jstr(o, "eventName") == NULL)
		return false;
	return strncmp(src, "aws:", 4) != 0;
}

static void
oracle_push_record(struct oracle *o, json_t *rec, json_t *env)
{
	o->recs = xreallocarray(o->recs, o->nrecs + 1, sizeof *o->recs);
	o->recs[o->nrecs].rec = rec;
	o->recs[o->nrecs++].env = env;
}

static void
oracle_push_item(struct oracle *o, json_t *ci, json_t *env, bool summary)
{
	o->items = xreallocarray(o->items, o->nitems + 1, sizeof *o->items);
	o->items[o->nitems].ci = ci;
	o->items[o->nitems].env = env;
	o->items[o->nitems++].summary = summary;
}

static bool
oracle_is_item(json_t *o)
{
	return json_is_object(o) &&
	    json_object_get(o, "configurationItemCaptureTime") != NULL &&
	    json_object_get(o, "resourceType") != NULL;
}

static void	oracle_doc(struct oracle *, json_t *, json_t *);

/* A JSON document in a string, decoded and kept until the oracle goes. */
static void
oracle_string_doc(struct oracle *o, json_t *s, json_t *env)
{
	json_error_t	 err;
	json_t		*doc;

	if (!json_is_string(s))
		return;
	doc = json_loadb(json_string_value(s), json_string_length(s), 0, &err);
	if (doc == NULL)
		return;
	json_array_append_new(o->keep, doc);
	oracle_doc(o, doc, env);
}

static void
oracle_doc(struct oracle *o, json_t *doc, json_t *env)
{
	json_t		*v, *e;
	const char	*dt, *mt;
	size_t		 i;

	if (json_is_array(doc)) {
		json_array_foreach(doc, i, e) {
			if (oracle_is_record(e))
				oracle_push_record(o, e, env);
			else if (json_is_object(e))
				oracle_doc(o, e, env);
		}
		return;
	}
	if (!json_is_object(doc))
		return;
	if ((v = json_object_get(doc, "Records")) != NULL &&
	    json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (oracle_is_record(e))
				oracle_push_record(o, e, env);
		}
		return;
	}
	if ((v = json_object_get(doc, "configurationItems")) != NULL &&
	    json_is_array(v)) {
		json_array_foreach(v, i, e)
			oracle_push_item(o, e, env, false);
		return;
	}
	if ((dt = jstr(doc, "detail-type")) != NULL &&
	    json_is_object(v = json_object_get(doc, "detail"))) {
		if (strlen(dt) > 15 &&
		    strcmp(dt + strlen(dt) - 15, " via CloudTrail") == 0 &&
		    oracle_is_record(v))
			oracle_push_record(o, v, doc);
		else if (strcmp(dt, "Config Configuration Item Change") == 0)
			oracle_doc(o, v, doc);
		else
			o->other++;
		return;
	}
	if (jstr(doc, "Type") != NULL && (v = json_object_get(doc,
	    "Message")) != NULL) {
		if (json_is_string(v))
			oracle_string_doc(o, v, env);
		else
			oracle_doc(o, v, env);
		return;
	}
	if ((v = json_object_get(doc, "invokingEvent")) != NULL) {
		oracle_string_doc(o, v, env);
		return;
	}
	if ((mt = jstr(doc, "messageType")) != NULL) {
		if (strcmp(mt, "ConfigurationItemChangeNotification") == 0) {
			v = json_object_get(doc, "configurationItem");
			if (json_is_array(v)) {
				json_array_foreach(v, i, e)
					oracle_push_item(o, e, env, false);
			} else
				oracle_push_item(o, v, env, false);
		} else if (strcmp(mt,
		    "OversizedConfigurationItemChangeNotification") == 0)
			oracle_push_item(o, json_object_get(doc,
			    "configurationItemSummary"), env, true);
		else
			o->other++;
		return;
	}
	if (oracle_is_item(doc)) {
		oracle_push_item(o, doc, env, false);
		return;
	}
	if (oracle_is_record(doc))
		oracle_push_record(o, doc, env);
}

static void
oracle_free(struct oracle *o)
{
	free(o->recs);
	free(o->items);
	json_decref(o->keep);
	memset(o, 0, sizeof *o);
}

/* A CloudTrail event against jansson's reading of its record. */
static void
compare_record(const char *where, const struct change_event *ev,
    const struct oracle_record *or)
{
	json_t		*rec = or->rec, *ui, *ro, *raw;
	json_error_t	 err;
	const char	*acct, *s;
	int64_t		 t;
	bool		 want_ro;

	ui = json_object_get(rec, "userIdentity");
	if (jstr(rec, "eventID") != NULL)
		same_str(where, "eventID", jstr(rec, "eventID"), ev->id);
	else
		ck_assert_msg(strncmp(ev->id, "sha256:", 7) == 0, "%s: id %s",
		    where, ev->id);
	same_str(where, "eventName", jstr(rec, "eventName"), ev->name);
	same_str(where, "eventSource", jstr(rec, "eventSource"), ev->source);
	same_str(where, "eventType", jstr(rec, "eventType"), ev->type);
	t = oracle_time(jstr(rec, "eventTime"));
	if (t == 0 && or->env != NULL)
		t = oracle_time(jstr(or->env, "time"));
	ck_assert_msg(ev->time == t, "%s: eventTime %s: want %lld, got %lld",
	    where, jstr(rec, "eventTime"), (long long)t, (long long)ev->time);
	if ((acct = jstr(rec, "recipientAccountId")) == NULL)
		acct = jstr(ui, "accountId");
	if (acct == NULL && or->env != NULL)
		acct = jstr(or->env, "account");
	same_str(where, "account", acct, ev->account);
	s = jstr(rec, "awsRegion");
	if (s == NULL && or->env != NULL)
		s = jstr(or->env, "region");
	same_str(where, "awsRegion", s, ev->region);
	same_str(where, "errorCode", jstr(rec, "errorCode"), ev->error_code);
	same_str(where, "errorMessage", jstr(rec, "errorMessage"),
	    ev->error_message);
	ro = json_object_get(rec, "readOnly");
	if (json_is_boolean(ro) || (json_is_string(ro) &&
	    (strcasecmp(json_string_value(ro), "true") == 0 ||
	    strcasecmp(json_string_value(ro), "false") == 0))) {
		want_ro = json_is_boolean(ro) ? json_is_true(ro) :
		    strcasecmp(json_string_value(ro), "true") == 0;
		ck_assert_msg(ev->read_only == want_ro &&
		    !ev->read_only_inferred, "%s: readOnly", where);
	} else
		ck_assert_msg(ev->read_only_inferred, "%s: readOnly not "
		    "inferred", where);
	same_str(where, "userIdentity.arn", jstr(ui, "arn"), ev->actor.arn);
	same_str(where, "userIdentity.type", jstr(ui, "type"), ev->actor.type);
	same_str(where, "userIdentity.principalId", jstr(ui, "principalId"),
	    ev->actor.principal_id);
	same_str(where, "userIdentity.accountId", jstr(ui, "accountId"),
	    ev->actor.account);
	same_str(where, "userIdentity.invokedBy", jstr(ui, "invokedBy"),
	    ev->actor.invoked_by);
	same_str(where, "sessionIssuer.arn", jstr(json_object_get(
	    json_object_get(ui, "sessionContext"), "sessionIssuer"), "arn"),
	    ev->actor.issuer_arn);
	same_str(where, "sourceIPAddress", jstr(rec, "sourceIPAddress"),
	    ev->source_ip);
	same_str(where, "userAgent", jstr(rec, "userAgent"), ev->user_agent);
	same_str(where, "requestID", jstr(rec, "requestID"), ev->request_id);
	same_span(where, "requestParameters", ev, &ev->request,
	    json_object_get(rec, "requestParameters"));
	same_span(where, "responseElements", ev, &ev->response,
	    json_object_get(rec, "responseElements"));
	raw = json_loadb(ev->raw, ev->raw_len, 0, &err);
	ck_assert_msg(raw != NULL && json_equal(raw, rec), "%s: raw record",
	    where);
	json_decref(raw);
	s = or->env != NULL ? jstr(or->env, "detail-type") : NULL;
	ck_assert_msg(ev->kind == ((jstr(rec, "eventType") != NULL &&
	    strcmp(jstr(rec, "eventType"), "AwsConsoleSignIn") == 0) ||
	    (s != NULL &&
	    strcmp(s, "AWS Console Sign In via CloudTrail") == 0) ?
	    CHANGE_CONSOLE_SIGNIN : CHANGE_API_CALL), "%s: kind", where);
	same_str(where, "detail-type", s, ev->detail_type);
}

/* A configuration item event against jansson's reading of the item. */
static void
compare_item(const char *where, const struct change_event *ev,
    const struct oracle_item *oi)
{
	json_t		*ci = oi->ci;
	const char	*s;
	int64_t		 t;

	same_str(where, "resourceType", jstr(ci, "resourceType"),
	    ev->resource_type);
	same_str(where, "resourceId", jstr(ci, "resourceId"), ev->resource_id);
	same_str(where, "resourceName", jstr(ci, "resourceName"),
	    ev->resource_name);
	if ((s = jstr(ci, "ARN")) == NULL)
		s = jstr(ci, "arn");
	same_str(where, "ARN", s, ev->resource_arn);
	if ((s = jstr(ci, "awsAccountId")) == NULL)
		s = jstr(ci, "accountId");
	if (s != NULL)
		same_str(where, "account", s, ev->account);
	if ((s = jstr(ci, "awsRegion")) != NULL)
		same_str(where, "awsRegion", s, ev->region);
	if ((s = jstr(ci, "configurationItemStatus")) != NULL)
		same_str(where, "configurationItemStatus", s,
		    change_config_status_name(ev->config_status));
	if ((t = oracle_time(jstr(ci, "configurationItemCaptureTime"))) != 0)
		ck_assert_msg(ev->time == t, "%s: capture time", where);
	same_span(where, "configuration", ev, &ev->configuration,
	    json_object_get(ci, "configuration"));
	same_span(where, "supplementaryConfiguration", ev, &ev->supplementary,
	    json_object_get(ci, "supplementaryConfiguration"));
	ck_assert_msg(ev->needs_fetch == oi->summary, "%s: needs_fetch", where);
	ck_assert_msg(strncmp(ev->id, "config:", 7) == 0, "%s: id %s", where,
	    ev->id);
	if (oi->env != NULL)
		same_str(where, "detail-type", jstr(oi->env, "detail-type"),
		    ev->detail_type);
}

struct folder {
	char	*name;
	size_t	 files;
	size_t	 rejected;
	size_t	 want_records;	/* counted here with jansson */
	size_t	 records;	/* CloudTrail events made */
	size_t	 want_items;
	size_t	 items;
	size_t	 want_other;
	size_t	 other;
	size_t	 refs;
};

struct corpus {
	struct folder	*folders;
	size_t		 nfolders;
	char		**rejected;	/* "path: reason" */
	size_t		 nrejected;
	size_t		 files;
	size_t		 messages;
	size_t		 compared_records;
	size_t		 compared_items;
};

static struct folder *
corpus_folder(struct corpus *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nfolders; i++) {
		if (strcmp(c->folders[i].name, name) == 0)
			return &c->folders[i];
	}
	c->folders = xreallocarray(c->folders, c->nfolders + 1,
	    sizeof *c->folders);
	memset(&c->folders[c->nfolders], 0, sizeof *c->folders);
	c->folders[c->nfolders].name = xstrdup(name);
	return &c->folders[c->nfolders++];
}

static void
corpus_reject(struct corpus *c, struct folder *fo, const char *what,
    const char *cause)
{
	c->rejected = xreallocarray(c->rejected, c->nrejected + 1,
	    sizeof *c->rejected);
	c->rejected[c->nrejected++] = xprintf("%s: %s", what, cause);
	fo->rejected++;
}

/*
 * One message: the normaliser's events against the oracle's reading of the
 * same bytes, category by category, in order.
 */
static void
corpus_message(struct corpus *c, struct folder *fo, const char *what,
    const char *buf, size_t len)
{
	struct envelope_result	 res;
	struct oracle		 o;
	json_error_t		 err;
	json_t			*doc;
	char			*cause, *where, *plain = NULL;
	size_t			 i, nrec = 0, nitem = 0, nother = 0, plen;

	c->messages++;
	memset(&o, 0, sizeof o);
	o.keep = json_array();
	if (gz_is_gzip(buf, len)) {
		ck_assert_int_eq(gz_inflate(buf, len, MAX_INFLATE, &plain,
		    &plen, &cause), 0);
		doc = json_loadb(plain, plen, 0, &err);
	} else
		doc = json_loadb(buf, len, 0, &err);
	if (doc != NULL)
		oracle_doc(&o, doc, NULL);

	if (parse(buf, len, &res, &cause) == -1) {
		/* Malformed to us is malformed to jansson, and vice versa. */
		ck_assert_msg((strncmp(cause, "malformed JSON", 14) == 0) ==
		    (doc == NULL), "%s: %s, but jansson %s", what, cause,
		    doc == NULL ? err.text : "reads it");
		ck_assert_msg(o.nrecs == 0 && o.nitems == 0,
		    "%s: rejected (%s) but holds %zu records, %zu items", what,
		    cause, o.nrecs, o.nitems);
		corpus_reject(c, fo, what, cause);
		free(cause);
		goto out;
	}
	ck_assert_msg(doc != NULL, "%s: accepted, but jansson: %s", what,
	    err.text);
	for (i = 0; i < res.nevents; i++) {
		const struct change_event *ev = res.events[i];

		switch (ev->kind) {
		case CHANGE_API_CALL:
		case CHANGE_CONSOLE_SIGNIN:
			ck_assert_msg(nrec < o.nrecs, "%s: more records than "
			    "jansson finds", what);
			where = xprintf("%s record %zu", what, nrec);
			compare_record(where, ev, &o.recs[nrec++]);
			free(where);
			c->compared_records++;
			break;
		case CHANGE_CONFIG_ITEM:
			ck_assert_msg(nitem < o.nitems, "%s: more items than "
			    "jansson finds", what);
			where = xprintf("%s item %zu", what, nitem);
			compare_item(where, ev, &o.items[nitem++]);
			free(where);
			c->compared_items++;
			break;
		case CHANGE_OTHER:
			nother++;
			break;
		}
	}
	ck_assert_msg(nrec == o.nrecs, "%s: %zu records, jansson finds %zu",
	    what, nrec, o.nrecs);
	ck_assert_msg(nitem == o.nitems, "%s: %zu items, jansson finds %zu",
	    what, nitem, o.nitems);
	ck_assert_msg(nother == o.other, "%s: %zu other events, jansson finds "
	    "%zu", what, nother, o.other);
	fo->refs += res.nrefs;
	envelope_result_free(&res);
out:
	fo->want_records += o.nrecs;
	fo->records += nrec;
	fo->want_items += o.nitems;
	fo->items += nitem;
	fo->want_other += o.other;
	fo->other += nother;
	oracle_free(&o);
	json_decref(doc);
	free(plain);
}

/*
 * Panther's rule tests are YAML turned JSON, one CloudTrail record under
 * "log" in each test: the records are the messages, not the file.
 */
static void
corpus_panther(struct corpus *c, struct folder *fo, const char *rel,
    const char *buf, size_t len)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 doc, tests, t, log;
	char			*what;
	size_t			 n = 0;

	jscan_init(&j, buf, len);
	ck_assert_int_eq(jscan_value(&j, &doc), 0);
	ck_assert_int_eq(jscan_member(buf, &doc, "tests", &tests), 1);
	jscan_init_value(&j, buf, &tests);
	ck_assert_int_eq(jscan_array_begin(&j, &it), 0);
	while (jscan_array_next(&it) == 1) {
		ck_assert_int_eq(jscan_value(&j, &t), 0);
		if (jscan_member(buf, &t, "log", &log) != 1)
			continue;
		what = xprintf("%s#%zu", rel, n++);
		corpus_message(c, fo, what, buf + log.off, log.len);
		free(what);
	}
}

/*
 * The files and records the normaliser rejects, and why: exactly these.
 * Malformed upstream, documentation text, Lambda batches (not messages),
 * the corpus index, and Panther test logs that are not CloudTrail records
 * (lowercased keys, or missing eventSource).
 */
static const struct {
	const char	*what;
	const char	*why;
} corpus_rejects[] = {
	{ "aws-config/aws-config-rdk-example_ci/AWS_EC2_NetworkInterface.json",
	    "malformed JSON at byte 2648: unexpected end of input" },
	{ "aws-config/aws-config-rdk-example_ci/"
	    "AWS_SSM_ManagedInstanceInventory_Linux.json",
	    "malformed JSON at byte 1506: control character in string" },
	{ "aws-config/awsdocs-config-developer-guide/"
	    "notification-delivery-failed-01.txt",
	    "malformed JSON at byte 0: expected a value" },
	{ "aws-config/awsdocs-config-developer-guide/"
	    "oversized-notification-example-01.txt",
	    "malformed JSON at byte 0: expected a value" },
	{ "cloudtrail/SECURITY_EVENT_INDEX.tsv",
	    "malformed JSON at byte 0: expected a value" },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_cloudtrail_password_policy_discovery.tests.json#0",
	    "not a recognised envelope: object with keys apiversion, "
	    "awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_cloudtrail_password_policy_discovery.tests.json#1",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_cloudtrail_password_policy_discovery.tests.json#2",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_ec2_startup_script_change.tests.json#0",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_ec2_startup_script_change.tests.json#2",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_ipset_modified.tests.json#0",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_ipset_modified.tests.json#1",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_ipset_modified.tests.json#2",
	    "not a recognised envelope: object with keys awsregion, " },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_s3_bucket_deleted.tests.json#1",
	    "CloudTrail record without eventSource" },
	{ "cloudtrail/panther-analysis-test-logs/"
	    "aws_s3_bucket_deleted.tests.json#2",
	    "CloudTrail record without eventSource" },
	{ "cloudtrail/sqs-envelopes/powertools/s3SqsEvent.json",
	    "no record recognised: record 0: a Lambda SQS event record, not a "
	    "message" },
	{ "cloudtrail/sqs-envelopes/powertools/snsSqsEvent.json",
	    "no record recognised: record 0: a Lambda SQS event record, not a "
	    "message" },
	{ "cloudtrail/sqs-envelopes/powertools/sqsEvent.json",
	    "no record recognised: record 0: a Lambda SQS event record, not a "
	    "message" },
};

START_TEST(test_corpus)
{
	static const char *const tops[] = { "cloudtrail", "aws-config" };
	const char	*shared = getenv("VIGIL_SHARED");
	struct corpus	 c;
	struct folder	*fo, total;
	char		**paths = NULL, *base, *buf, *top, *rel, *slash;
	size_t		 n = 0, i, k, t, len, baselen;
	bool		 found;

	if (shared == NULL || *shared == '\0') {
		printf("envelope: VIGIL_SHARED is not set: no corpus, only the "
		    "bundled cases were run\n");
		return;
	}
	base = xprintf("%s/testdata/cloudtrail", shared);
	if (access(base, R_OK) != 0) {
		printf("envelope: no corpus at %s: only the bundled cases were "
		    "run\n", base);
		free(base);
		return;
	}
	free(base);
	memset(&c, 0, sizeof c);
	for (t = 0; t < nitems(tops); t++) {
		base = xprintf("%s/testdata/%s", shared, tops[t]);
		baselen = strlen(shared) + strlen("/testdata/");
		paths = dir_files(base, 16, &n);
		for (i = 0; i < n; i++) {
			rel = paths[i] + baselen;
			/* Folder: testdata/<top>/<first component>. */
			top = xstrdup(rel);
			slash = strchr(top + strlen(tops[t]) + 1, '/');
			if (slash != NULL)
				*slash = '\0';
			else
				top[strlen(tops[t])] = '\0';	/* top level */
			fo = corpus_folder(&c, top);
			free(top);
			fo->files++;
			c.files++;
			buf = slurp(paths[i], &len);
			if (strstr(rel, "/panther-analysis-test-logs/") != NULL)
				corpus_panther(&c, fo, rel, buf, len);
			else
				corpus_message(&c, fo, rel, buf, len);
			free(buf);
			free(paths[i]);
		}
		free(paths);
		paths = NULL;
		free(base);
	}

	memset(&total, 0, sizeof total);
	printf("envelope: corpus %s/testdata\n", shared);
	printf("  %-52s %5s %4s %8s %8s %6s %6s %5s %4s\n", "folder", "files",
	    "rej", "ct-want", "ct-got", "ci-w", "ci-got", "other", "refs");
	for (i = 0; i < c.nfolders; i++) {
		fo = &c.folders[i];
		printf("  %-52s %5zu %4zu %8zu %8zu %6zu %6zu %5zu %4zu\n",
		    fo->name, fo->files, fo->rejected, fo->want_records,
		    fo->records, fo->want_items, fo->items, fo->other,
		    fo->refs);
		ck_assert_msg(fo->records == fo->want_records, "%s: %zu "
		    "CloudTrail records, jansson counts %zu", fo->name,
		    fo->records, fo->want_records);
		ck_assert_msg(fo->items == fo->want_items, "%s: items",
		    fo->name);
		ck_assert_msg(fo->other == fo->want_other, "%s: other",
		    fo->name);
		total.files += fo->files;
		total.rejected += fo->rejected;
		total.records += fo->records;
		total.items += fo->items;
		total.other += fo->other;
		total.refs += fo->refs;
	}
	printf("  %-52s %5zu %4zu %8s %8zu %6s %6zu %5zu %4zu\n", "total",
	    total.files, total.rejected, "", total.records, "", total.items,
	    total.other, total.refs);
	printf("  %zu messages parsed (Panther test logs one by one), %zu "
	    "CloudTrail records and %zu Config items compared field by field "
	    "with jansson\n", c.messages, c.compared_records, c.compared_items);
	printf("  rejected (%zu):\n", c.nrejected);
	for (i = 0; i < c.nrejected; i++)
		printf("    %s\n", c.rejected[i]);
	fflush(stdout);

	/* The rejected set is exactly the known one, for the known reasons. */
	for (i = 0; i < c.nrejected; i++) {
		found = false;
		for (k = 0; k < nitems(corpus_rejects); k++) {
			len = strlen(corpus_rejects[k].what);
			if (strncmp(c.rejected[i], corpus_rejects[k].what,
			    len) == 0 && strncmp(c.rejected[i] + len, ": ",
			    2) == 0) {
				ck_assert_msg(strncmp(c.rejected[i] + len + 2,
				    corpus_rejects[k].why,
				    strlen(corpus_rejects[k].why)) == 0,
				    "%s: not for the known reason",
				    c.rejected[i]);
				found = true;
			}
		}
		ck_assert_msg(found, "unexpected rejection: %s", c.rejected[i]);
	}
	ck_assert_uint_eq(c.nrejected, nitems(corpus_rejects));
	ck_assert_uint_gt(c.compared_records, 3000);

	for (i = 0; i < c.nrejected; i++)
		free(c.rejected[i]);
	free(c.rejected);
	for (i = 0; i < c.nfolders; i++)
		free(c.folders[i].name);
	free(c.folders);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* References to S3 objects. */

/* An SNS notification whose Message is the JSON text of msg. */
static char *
sns_wrap(const char *msg)
{
	json_t	*sns;
	char	*s;

	sns = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "Notification",
	    "MessageId", "d88d4479-6ec0-54fe-b63f-1cf9df4bb16e", "TopicArn",
	    "arn:aws:sns:eu-west-1:111122223333:vigil", "Message", msg,
	    "Timestamp", "2024-01-02T03:04:05.678Z");
	ck_assert_ptr_nonnull(sns);
	s = json_dumps(sns, JSON_COMPACT);
	json_decref(sns);
	return s;
}

START_TEST(test_s3_refs)
{
	static const char notification[] =
	    "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":"
	    "\"aws:s3\",\"awsRegion\":\"eu-west-1\",\"eventTime\":"
	    "\"2024-01-02T03:04:05.000Z\",\"eventName\":\"ObjectCreated:Put\","
	    "\"s3\":{\"bucket\":{\"name\":\"org-trail\"},\"object\":{\"key\":"
	    "\"AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/01/02/"
	    "a+b%3Ac%2Bd%25.json.gz\",\"size\":1234}}},"
	    "{\"eventSource\":\"aws:s3\",\"awsRegion\":\"eu-west-1\","
	    "\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":"
	    "{\"name\":\"org-trail\"},\"object\":{\"key\":\"gone\"}}},"
	    "{\"eventSource\":\"aws:s3\",\"awsRegion\":\"eu-west-1\","
	    "\"eventName\":\"ObjectCreated:CompleteMultipartUpload\",\"s3\":"
	    "{\"bucket\":{\"name\":\"org-trail\"},\"object\":{\"key\":"
	    "\"%E2%82%AC+x\"}}}]}";
	struct envelope_result	 res;
	const char		*msg;
	char			*cause, *sns, *sns2, *k;
	int			 round;

	/* Bare, then wrapped in SNS, then twice. */
	sns = sns_wrap(notification);
	sns2 = sns_wrap(sns);
	for (round = 0; round < 3; round++) {
		msg = round == 0 ? notification : round == 1 ? sns : sns2;
		ck_assert_int_eq(parse_str(msg, &res, &cause), 0);
		ck_assert_str_eq(res.format, round == 0 ? "s3-notification" :
		    "sns");
		ck_assert_uint_eq(res.nevents, 0);
		ck_assert_uint_eq(res.nskipped, 0);
		ck_assert_uint_eq(res.nrefs, 2);
		ck_assert_str_eq(res.refs[0].bucket, "org-trail");
		ck_assert_str_eq(res.refs[0].key, "AWSLogs/o-abc/111122223333/"
		    "CloudTrail/eu-west-1/2024/01/02/a b:c+d%.json.gz");
		ck_assert_str_eq(res.refs[0].region, "eu-west-1");
		ck_assert_int_eq(res.refs[0].size, 1234);
		ck_assert_str_eq(res.refs[1].key, "\xe2\x82\xac x");
		ck_assert_int_eq(res.refs[1].size, -1);
		envelope_result_free(&res);
	}
	free(sns);
	free(sns2);

	/* Bad percent-encoding is the record's error, not a crash. */
	ck_assert_int_eq(parse_str("{\"Records\":[{\"eventSource\":\"aws:s3\","
	    "\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
	    "\"b\"},\"object\":{\"key\":\"x%zz\"}}}]}", &res, &cause), -1);
	ck_assert_str_eq(cause, "no record recognised: record 0: S3 object key "
	    "\"x%zz\": invalid URL encoding");
	free(cause);

	ck_assert_int_eq(envelope_s3_key_decode("a%00b", 5, &k), -1);
	ck_assert_int_eq(envelope_s3_key_decode("a%4", 4, &k), -1);
	ck_assert_int_eq(envelope_s3_key_decode("%", 1, &k), -1);
	ck_assert_int_eq(envelope_s3_key_decode("%41%6a+", 7, &k), 0);
	ck_assert_str_eq(k, "Aj ");
	free(k);

	/* The event name is compared decoded. */
	ck_assert_int_eq(parse_str("{\"Records\":[{\"eventSource\":\"aws:s3\","
	    "\"eventName\":\"ObjectCreated\\u003aCopy\",\"s3\":{\"bucket\":"
	    "{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}]}", &res, &cause),
	    0);
	ck_assert_uint_eq(res.nrefs, 1);
	envelope_result_free(&res);

	/* S3's test event, sent when notifications are set up: nothing. */
	ck_assert_int_eq(parse_str("{\"Service\":\"Amazon S3\",\"Event\":"
	    "\"s3:TestEvent\",\"Time\":\"2024-01-02T03:04:05.000Z\",\"Bucket\":"
	    "\"org-trail\",\"RequestId\":\"X\",\"HostId\":\"Y\"}", &res,
	    &cause), 0);
	ck_assert_str_eq(res.format, "s3-test-event");
	ck_assert_uint_eq(res.nevents + res.nrefs + res.nskipped, 0);
	envelope_result_free(&res);
}
END_TEST

START_TEST(test_cloudtrail_sns)
{
	struct envelope_result	 res;
	char			*cause, *sns;

	/* CloudTrail's own keys are not URL-encoded: '+' stays. */
	sns = sns_wrap("{\"s3Bucket\":\"trail-bucket\",\"s3ObjectKey\":["
	    "\"AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/"
	    "a+b.json.gz\","
	    "\"AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/"
	    "c.json.gz\""
	    "]}");
	ck_assert_int_eq(parse_str(sns, &res, &cause), 0);
	ck_assert_uint_eq(res.nrefs, 2);
	ck_assert_str_eq(res.refs[0].bucket, "trail-bucket");
	ck_assert_str_eq(res.refs[0].key, "AWSLogs/111122223333/CloudTrail/"
	    "us-east-1/2024/01/02/a+b.json.gz");
	ck_assert_ptr_null(res.refs[0].region);
	ck_assert_int_eq(res.refs[0].size, -1);
	ck_assert_str_eq(res.refs[1].key, "AWSLogs/111122223333/CloudTrail/"
	    "us-east-1/2024/01/02/c.json.gz");
	envelope_result_free(&res);
	free(sns);

	sns = sns_wrap("{\"s3Bucket\":\"b\",\"s3ObjectKey\":[\"k\",1]}");
	ck_assert_int_eq(parse_str(sns, &res, &cause), -1);
	ck_assert_str_eq(cause, "SNS Message: CloudTrail log notification with "
	    "an s3ObjectKey that is not a string");
	free(cause);
	free(sns);
}
END_TEST

static const char record[] =
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"principalId\":\"AROAEXAMPLE:alice\",\"arn\":\"arn:aws:sts::"
    "111122223333:assumed-role/Admin/alice\",\"accountId\":\"111122223333\","
    "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":"
    "\"arn:aws:iam::111122223333:role/Admin\"}}},\"eventTime\":"
    "\"2024-01-02T03:04:05Z\",\"eventSource\":\"ec2.amazonaws.com\","
    "\"eventName\":\"AuthorizeSecurityGroupIngress\",\"awsRegion\":"
    "\"eu-west-1\",\"sourceIPAddress\":\"192.0.2.1\",\"userAgent\":\"aws-cli"
    "\",\"requestParameters\":{\"groupId\":\"sg-1\"},\"responseElements\":"
    "null,\"eventID\":\"0b1c2d3e-0000-4000-8000-000000000001\","
    "\"recipientAccountId\":\"111122223333\"}";

START_TEST(test_nesting_limit)
{
	struct envelope_result	 res;
	char			*cause, *msg, *next;
	int			 depth;

	msg = xstrdup(record);
	for (depth = 1; depth <= ENVELOPE_MAX_NESTING + 1; depth++) {
		next = sns_wrap(msg);
		free(msg);
		msg = next;
		if (depth <= ENVELOPE_MAX_NESTING) {
			ck_assert_int_eq(parse_str(msg, &res, &cause), 0);
			ck_assert_uint_eq(res.nevents, 1);
			ck_assert_str_eq(res.events[0]->id,
			    "0b1c2d3e-0000-4000-8000-000000000001");
			envelope_result_free(&res);
		} else {
			ck_assert_int_eq(parse_str(msg, &res, &cause), -1);
			ck_assert_ptr_nonnull(strstr(cause, "SNS Message: "
			    "envelopes nested more than 4 deep"));
			free(cause);
		}
	}
	free(msg);

	/* A Message that is not JSON at all. */
	msg = sns_wrap("hello");
	ck_assert_int_eq(parse_str(msg, &res, &cause), -1);
	ck_assert_str_eq(cause, "SNS Message: malformed JSON at byte 0: "
	    "expected a value");
	free(cause);
	free(msg);
}
END_TEST

START_TEST(test_record_fields)
{
	struct envelope_result	 res;
	struct change_event	*ev;
	char			*cause;

	ck_assert_int_eq(parse_str(record, &res, &cause), 0);
	ck_assert_str_eq(res.format, "cloudtrail-record");
	ck_assert_uint_eq(res.nevents, 1);
	ev = res.events[0];
	ck_assert_int_eq(ev->provider, CHANGE_AWS);
	ck_assert_int_eq(ev->kind, CHANGE_API_CALL);
	ck_assert_int_eq(ev->time, 1704164645000LL);
	ck_assert_str_eq(ev->service, "ec2");
	ck_assert_str_eq(ev->account, "111122223333");
	ck_assert_str_eq(ev->actor.issuer_arn,
	    "arn:aws:iam::111122223333:role/Admin");
	ck_assert(!ev->read_only);
	ck_assert(ev->read_only_inferred);
	ck_assert(change_affects_assets(ev));
	ck_assert_uint_eq(ev->raw_len, strlen(record));
	ck_assert_str_eq(ev->raw, record);
	ck_assert_mem_eq(change_span_ptr(ev, &ev->request),
	    "{\"groupId\":\"sg-1\"}", ev->request.len);
	ck_assert_mem_eq(change_span_ptr(ev, &ev->response), "null", 4);
	envelope_result_free(&res);

	/* Duplicate keys: the last wins, as jansson reads it. */
	ck_assert_int_eq(parse_str("{\"eventSource\":\"s3.amazonaws.com\","
	    "\"eventName\":\"PutBucketPolicy\","
	    "\"eventName\":\"GetBucketPolicy\","
	    "\"readOnly\":\"True\"}", &res, &cause), 0);
	ev = res.events[0];
	ck_assert_str_eq(ev->name, "GetBucketPolicy");
	ck_assert(ev->read_only && !ev->read_only_inferred);
	ck_assert(!change_affects_assets(ev));
	ck_assert_ptr_eq(strstr(ev->id, "sha256:"), ev->id);
	ck_assert_uint_eq(strlen(ev->id), 7 + 32);
	ck_assert_int_eq(ev->time, 0);
	envelope_result_free(&res);

	/* Escaped keys are the same keys; a failed call changes nothing. */
	ck_assert_int_eq(parse_str("{\"event\\u0053ource\":\"iam.amazonaws."
	    "com\",\"eventName\":\"DeleteUser\",\"errorCode\":\"AccessDenied\","
	    "\"eventTime\":\"2024-01-02T03:04:05.123+01:00\"}", &res, &cause),
	    0);
	ev = res.events[0];
	ck_assert_str_eq(ev->source, "iam.amazonaws.com");
	ck_assert_str_eq(ev->error_code, "AccessDenied");
	ck_assert_int_eq(ev->time, 1704164645123LL - 3600 * 1000);
	ck_assert(!change_affects_assets(ev));
	envelope_result_free(&res);

	/* A record without eventSource is not one. */
	ck_assert_int_eq(parse_str("{\"eventVersion\":\"1.08\",\"eventName\":"
	    "\"X\"}", &res, &cause), -1);
	ck_assert_str_eq(cause, "CloudTrail record without eventSource");
	free(cause);
}
END_TEST

START_TEST(test_errors)
{
	struct envelope_result	 res;
	char			*cause;

	ck_assert_int_eq(parse_str("{\"Records\":[{\"eventName\":\"x\",}]}",
	    &res, &cause), -1);
	ck_assert_str_eq(cause, "malformed JSON at byte 29: expected a string "
	    "key");
	free(cause);

	ck_assert_int_eq(parse_str("{\"a\":1,\"b\":{\"x\":2},\"c\":[3]}", &res,
	    &cause), -1);
	ck_assert_str_eq(cause, "not a recognised envelope: object with keys "
	    "a, b, c");
	free(cause);

	ck_assert_int_eq(parse_str("{}", &res, &cause), -1);
	ck_assert_str_eq(cause, "not a recognised envelope: an empty object");
	free(cause);

	ck_assert_int_eq(parse_str("\"text\"", &res, &cause), -1);
	ck_assert_str_eq(cause, "not a recognised envelope: a JSON string");
	free(cause);

	ck_assert_int_eq(parse_str("", &res, &cause), -1);
	ck_assert_str_eq(cause, "malformed JSON at byte 0: unexpected end of "
	    "input");
	free(cause);
	ck_assert_int_eq(envelope_parse(NULL, 0, MAX_INFLATE, &res, &cause),
	    -1);
	free(cause);

	/* Nothing to do is not an error: an empty log file, an empty array. */
	ck_assert_int_eq(parse_str("{\"Records\":[]}", &res, &cause), 0);
	ck_assert_str_eq(res.format, "cloudtrail-log");
	ck_assert_uint_eq(res.nevents, 0);
	envelope_result_free(&res);
	ck_assert_int_eq(parse_str(" [ ] ", &res, &cause), 0);
	ck_assert_uint_eq(res.nevents, 0);
	envelope_result_free(&res);

	/* In a collection, what is not understood is left out, with why. */
	ck_assert_int_eq(parse_str("[{\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"RunInstances\"},{\"x\":1},7,{\"eventSource\":"
	    "\"ec2.amazonaws.com\",\"eventName\":\"StopInstances\"}]", &res,
	    &cause), 0);
	ck_assert_uint_eq(res.nevents, 2);
	ck_assert_uint_eq(res.nskipped, 2);
	ck_assert_str_eq(res.skipped[0], "record 1: not a recognised envelope: "
	    "object with keys x");
	ck_assert_str_eq(res.skipped[1],
	    "record 2: a JSON number, not a record");
	envelope_result_free(&res);
	ck_assert_int_eq(parse_str("[{\"x\":1},{\"y\":2}]", &res, &cause), -1);
	ck_assert_str_eq(cause, "no record recognised: record 0: not a "
	    "recognised envelope: object with keys x (and 1 more)");
	free(cause);

	/* JSON Lines; two documents on one line are not. */
	ck_assert_int_eq(parse_str("{\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"A\"}\n{\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"B\"}\n", &res, &cause), 0);
	ck_assert_str_eq(res.format, "json-lines");
	ck_assert_uint_eq(res.nevents, 2);
	ck_assert_str_eq(res.events[1]->name, "B");
	envelope_result_free(&res);
	ck_assert_int_eq(parse_str("{\"eventSource\":\"a\",\"eventName\":"
	    "\"A\"} {\"eventSource\":\"a\",\"eventName\":\"B\"}", &res,
	    &cause), -1);
	ck_assert_str_eq(cause,
	    "malformed JSON at byte 36: trailing characters after JSON");
	free(cause);

	/* A syntax error after good records loses them all. */
	ck_assert_int_eq(parse_str("{\"Records\":[{\"eventSource\":\"a\","
	    "\"eventName\":\"A\"},{\"eventSource\":\"a\",\"eventName\":\"B\"}"
	    ",tru]}", &res, &cause), -1);
	ck_assert_uint_eq(res.nevents, 0);
	ck_assert_ptr_null(res.events);
	free(cause);
}
END_TEST

/* Cut a message at every byte: an error every time, never a crash. */
START_TEST(test_truncation)
{
	static const char *const files[] = {
		"001-cloudtrail-log.json",
		"002-cloudtrail-log.json.gz",
		"006-eventbridge-signin.json",
		"011-sns-config-item-string.json",
		"013-config-rule-event.json",
		"017-config-history-file.json",
		"019-sns-s3-notification.json",
		"020-cloudtrail-sns-notification.json",
	};
	struct envelope_result	 res;
	char			*path, *buf, *cause;
	size_t			 i, n, len, end, total = 0;

	for (i = 0; i < nitems(files); i++) {
		path = xprintf("%s/%s", ENVDATA, files[i]);
		buf = slurp(path, &len);
		end = len;
		while (end > 0 && strchr(" \t\r\n", buf[end - 1]) != NULL)
			end--;
		for (n = 0; n < end; n++) {
			ck_assert_msg(parse(buf, n, &res, &cause) == -1,
			    "%s cut at %zu accepted", files[i], n);
			ck_assert_ptr_nonnull(cause);
			ck_assert_ptr_null(res.events);
			free(cause);
			total++;
		}
		ck_assert_int_eq(parse(buf, len, &res, &cause), 0);
		envelope_result_free(&res);
		free(buf);
		free(path);
	}
	printf("envelope: %zu truncated messages rejected\n", total);
}
END_TEST

/*
 * The corpus holds no .json.gz: gzip a real CloudTrail log file of it with
 * the gzip tool, and inflate that, with and without room enough.
 */
static void
gzip_corpus_file(void)
{
	const char	*shared = getenv("VIGIL_SHARED");
	char		*path, *cmd, *big, *z, *out, *cause;
	size_t		 biglen, zlen, outlen;
	FILE		*p;

	if (shared == NULL || *shared == '\0')
		return;
	path = xprintf("%s/testdata/cloudtrail/invictus-ir-aws_dataset/"
	    "CloudTrail/218007301253_CloudTrail_us-east-1_"
	    "20230710T1200Z_iLj9fb7yyUG9X4Bf.json", shared);
	if (access(path, R_OK) != 0) {
		free(path);
		return;
	}
	big = slurp(path, &biglen);
	cmd = xprintf("gzip -n -c '%s'", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	z = xmalloc(biglen + 1024);
	zlen = fread(z, 1, biglen + 1024, p);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(gz_inflate(z, zlen, biglen, &out, &outlen, &cause), 0);
	ck_assert_uint_eq(outlen, biglen);
	ck_assert_mem_eq(out, big, biglen);
	free(out);
	ck_assert_int_eq(gz_inflate(z, zlen, biglen / 2, &out, &outlen,
	    &cause), -1);
	ck_assert_str_eq(cause, "inflates to more than 260694 bytes");
	free(cause);
	printf("envelope: gzip of a %zu-byte corpus log file (%zu bytes) "
	    "inflated and capped\n", biglen, zlen);
	free(z);
	free(big);
	free(cmd);
	free(path);
}

START_TEST(test_gzip)
{
	struct envelope_result	 plain, gz;
	char			*raw, *comp, *out, *cause, *two, *path;
	size_t			 rawlen, complen, outlen, i;

	path = xprintf("%s/001-cloudtrail-log.json", ENVDATA);
	raw = slurp(path, &rawlen);
	free(path);
	path = xprintf("%s/002-cloudtrail-log.json.gz", ENVDATA);
	comp = slurp(path, &complen);
	free(path);

	ck_assert(gz_is_gzip(comp, complen));
	ck_assert(!gz_is_gzip(raw, rawlen));
	ck_assert_int_eq(gz_inflate(comp, complen, rawlen, &out, &outlen,
	    &cause), 0);
	ck_assert_uint_eq(outlen, rawlen);
	ck_assert_mem_eq(out, raw, rawlen);
	ck_assert_int_eq(out[outlen], '\0');
	free(out);

	/* The cap. */
	ck_assert_int_eq(gz_inflate(comp, complen, rawlen - 1, &out, &outlen,
	    &cause), -1);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(cause, "inflates to more than 2089 bytes");
	free(cause);
	ck_assert_int_eq(gz_inflate(comp, complen, 10, &out, &outlen, &cause),
	    -1);
	free(cause);
	ck_assert_int_eq(envelope_parse(comp, complen, 100, &gz, &cause), -1);
	ck_assert_str_eq(cause, "gzip: inflates to more than 100 bytes");
	free(cause);

	/* Two members are one file, as gzip -d reads them. */
	two = xmalloc(2 * complen);
	memcpy(two, comp, complen);
	memcpy(two + complen, comp, complen);
	ck_assert_int_eq(gz_inflate(two, 2 * complen, MAX_INFLATE, &out,
	    &outlen, &cause), 0);
	ck_assert_uint_eq(outlen, 2 * rawlen);
	free(out);

	/* Garbage after, truncation, corruption, not gzip at all. */
	two[complen] = 'x';
	ck_assert_int_eq(gz_inflate(two, complen + 1, MAX_INFLATE, &out,
	    &outlen, &cause), -1);
	ck_assert_str_eq(cause, "trailing garbage after gzip data");
	free(cause);
	ck_assert_int_eq(gz_inflate(comp, complen - 9, MAX_INFLATE, &out,
	    &outlen, &cause), -1);
	ck_assert_str_eq(cause, "truncated gzip data");
	free(cause);
	memcpy(two, comp, complen);
	two[complen / 2] ^= 0x55;
	ck_assert_int_eq(gz_inflate(two, complen, MAX_INFLATE, &out, &outlen,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "gzip data"));
	free(cause);
	ck_assert_int_eq(gz_inflate(raw, rawlen, MAX_INFLATE, &out, &outlen,
	    &cause), -1);
	ck_assert_str_eq(cause, "not gzip data");
	free(cause);
	free(two);

	/* A gzip'd log file is the same log file. */
	ck_assert_int_eq(envelope_parse(raw, rawlen, MAX_INFLATE, &plain,
	    &cause), 0);
	ck_assert_int_eq(envelope_parse(comp, complen, MAX_INFLATE, &gz,
	    &cause), 0);
	ck_assert(gz.gzip && !plain.gzip);
	ck_assert_str_eq(gz.format, plain.format);
	ck_assert_uint_eq(gz.nevents, plain.nevents);
	for (i = 0; i < gz.nevents; i++) {
		ck_assert_str_eq(gz.events[i]->id, plain.events[i]->id);
		ck_assert_str_eq(gz.events[i]->raw, plain.events[i]->raw);
	}
	envelope_result_free(&plain);
	envelope_result_free(&gz);

	gzip_corpus_file();
	free(raw);
	free(comp);
}
END_TEST

/* The same Config item via EventBridge and via SNS is the same event. */
START_TEST(test_config_id_stable)
{
	struct envelope_result	 eb, sns;
	struct jscan		 j;
	struct jscan_value	 doc, detail;
	char			*path, *buf, *cause, *msg, *wrapped;
	size_t			 len;

	path = xprintf("%s/007-eventbridge-config-item.json", ENVDATA);
	buf = slurp(path, &len);
	free(path);
	ck_assert_int_eq(parse(buf, len, &eb, &cause), 0);
	jscan_init(&j, buf, len);
	ck_assert_int_eq(jscan_value(&j, &doc), 0);
	ck_assert_int_eq(jscan_member(buf, &doc, "detail", &detail), 1);
	msg = xstrndup(buf + detail.off, detail.len);
	wrapped = sns_wrap(msg);
	ck_assert_int_eq(parse_str(wrapped, &sns, &cause), 0);
	ck_assert_uint_eq(eb.nevents, 1);
	ck_assert_uint_eq(sns.nevents, 1);
	ck_assert_str_eq(eb.events[0]->id, sns.events[0]->id);
	ck_assert_str_eq(eb.events[0]->id,
	    "config:662108712480:AWS::SQS::Queue:"
	    "https://sqs.us-east-1.amazonaws.com/644160558196/config-changes:"
	    "1602023962579");
	ck_assert_str_eq(eb.events[0]->raw, msg);
	ck_assert_str_eq(sns.events[0]->raw, msg);
	ck_assert_int_eq(eb.events[0]->config_status, CHANGE_CONFIG_DISCOVERED);
	ck_assert_str_eq(eb.events[0]->change_type, "CREATE");
	ck_assert_str_eq(eb.events[0]->detail_type,
	    "Config Configuration Item Change");
	ck_assert_ptr_null(sns.events[0]->detail_type);
	envelope_result_free(&eb);
	envelope_result_free(&sns);
	free(wrapped);
	free(msg);
	free(buf);
}
END_TEST

START_TEST(test_change_helpers)
{
	static const struct {
		const char	*name;
		bool		 ro;
	} names[] = {
		{ "GetObject", true }, { "Get", true }, { "Getaway", false },
		{ "ListBuckets", true }, { "DescribeInstances", true },
		{ "HeadBucket", true }, { "LookupEvents", true },
		{ "SearchResources", true }, { "BatchGetItem", true },
		{ "Decrypt", true },
		{ "GenerateDataKeyWithoutPlaintext", true },
		{ "AssumeRoleWithSAML", true }, { "Query", true },
		{ "PutBucketPolicy", false }, { "RunInstances", false },
		{ "ConsoleLogin", false }, { "CreateUser", false },
		{ "Listen", false }, { "", false }, { "get", false },
	};
	static const struct {
		const char	*text;
		int		 ok;
		int64_t		 ms;
	} times[] = {
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2024-01-02T03:04:05Z", 0, 1704164645000LL },
		{ "2024-01-02T03:04:05.678Z", 0, 1704164645678LL },
		{ "2024-01-02T03:04:05.6789999Z", 0, 1704164645678LL },
		{ "2024-01-02 03:04:05", 0, 1704164645000LL },
		{ "2024-01-02T04:04:05+01:00", 0, 1704164645000LL },
		{ "2020-11-02T03:28:12.399000-05:00", 0, 1604305692399LL },
		{ "2024-01-02T03:04:05+0100", 0, 1704161045000LL },
		{ "2024-02-29T00:00:00Z", 0, 1709164800000LL },
		{ "2016-12-31T23:59:60Z", 0, 1483228799000LL },
		{ "2023-02-29T00:00:00Z", -1, 0 },
		{ "2024-13-01T00:00:00Z", -1, 0 },
		{ "2024-01-02T24:00:00Z", -1, 0 },
		{ "2024-01-02", -1, 0 },
		{ "2024-01-02T03:04:05.Z", -1, 0 },
		{ "2024-01-02T03:04:05Zjunk", -1, 0 },
		{ "redacted", -1, 0 },
		{ "", -1, 0 },
	};
	static const char *const services[][2] = {
		{ "ec2.amazonaws.com", "ec2" },
		{ "s3.amazonaws.com.cn", "s3" },
		{ "aws.guardduty", "guardduty" },
		{ "signin.amazonaws.com", "signin" },
		{ "aws:s3", "aws:s3" },
		{ "com.example.app", "com.example.app" },
		{ "aws.", "aws." },
	};
	enum change_kind	 kind, k2;
	int64_t			 ms;
	char			*s;
	size_t			 i;
	int			 r;

	for (i = 0; i < nitems(names); i++)
		ck_assert_msg(change_name_read_only(names[i].name) ==
		    names[i].ro, "%s", names[i].name);
	for (i = 0; i < nitems(times); i++) {
		ms = -1;
		r = change_time_parse(times[i].text, strlen(times[i].text),
		    &ms);
		ck_assert_msg(r == times[i].ok, "%s", times[i].text);
		if (r == 0)
			ck_assert_msg(ms == times[i].ms, "%s: %lld",
			    times[i].text, (long long)ms);
	}
	for (i = 0; i < nitems(services); i++) {
		s = change_service(services[i][0]);
		ck_assert_str_eq(s, services[i][1]);
		free(s);
	}
	for (kind = CHANGE_API_CALL; kind <= CHANGE_OTHER; kind++) {
		ck_assert_int_eq(change_kind_parse(change_kind_name(kind), &k2),
		    0);
		ck_assert_int_eq(k2, kind);
	}
	ck_assert_int_eq(change_kind_parse("nope", &kind), -1);
	ck_assert_int_eq(
	    change_config_status_parse("ResourceDeletedNotRecorded"),
	    CHANGE_CONFIG_DELETED_NOT_RECORDED);
	ck_assert_int_eq(change_config_status_parse("OK"), CHANGE_CONFIG_OK);
	ck_assert_int_eq(change_config_status_parse("Weird"),
	    CHANGE_CONFIG_UNKNOWN);
	ck_assert_str_eq(change_config_status_name(CHANGE_CONFIG_DELETED),
	    "ResourceDeleted");
	s = change_digest_id("abc", 3);
	ck_assert_str_eq(s, "sha256:ba7816bf8f01cfea414140de5dae2223");
	free(s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("envelope");
	TCase	*tc = tcase_create("envelope");

	tcase_add_test(tc, test_bundled_cases);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_s3_refs);
	tcase_add_test(tc, test_cloudtrail_sns);
	tcase_add_test(tc, test_nesting_limit);
	tcase_add_test(tc, test_record_fields);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_config_id_stable);
	tcase_add_test(tc, test_change_helpers);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return test_run(s);
}
