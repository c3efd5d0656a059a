/*
 * envelope.c: AWS message envelopes unwrapped into change events.
 *
 * Each object is walked once with jscan, which validates every byte of it
 * and leaves the spans of the members named in env_keys in a struct fields;
 * what kind of object it is follows from which members it has.  Only the
 * few nested objects whose members matter (userIdentity, an EventBridge
 * detail, a configuration item) are walked a second time, and only the
 * fields that are kept are decoded and copied.  The records of a log file
 * are handled as the file is walked, not after.
 *
 * Errors: malformed JSON anywhere rejects the whole message (nothing in it
 * can be trusted).  In a collection (log file, array, JSON Lines) a record
 * that is well-formed but not understood is left out with its reason; a
 * message in which nothing is understood is an error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.h"
#include "change.h"
#include "envelope.h"
#include "gz.h"
#include "jscan.h"

/* The members the envelopes are recognised and read by. */
enum env_field {
	F_ARN_UPPER, F_S3_EVENT, F_MESSAGE, F_MESSAGE_ID, F_RECORDS,
	F_TIMESTAMP, F_SNS_TYPE, F_ACCOUNT, F_ACCOUNT_ID, F_ARN,
	F_AWS_ACCOUNT_ID, F_AWS_REGION, F_CHANGE_TYPE, F_CONFIGURATION, F_CI,
	F_CAPTURE_TIME, F_CI_DIFF, F_CI_STATUS, F_CI_SUMMARY, F_CI_LIST,
	F_STATE_ID, F_DETAIL, F_DETAIL_TYPE, F_ERROR_CODE, F_ERROR_MESSAGE,
	F_EVENT_ID, F_EVENT_NAME, F_EVENT_SOURCE, F_EVENT_TIME, F_EVENT_TYPE,
	F_EVENT_VERSION, F_ID, F_INVOKED_BY, F_INVOKING_EVENT, F_MESSAGE_TYPE,
	F_NOTIFICATION_TIME, F_PRINCIPAL_ID, F_READ_ONLY, F_RECIPIENT,
	F_REGION, F_REQUEST_ID, F_REQUEST, F_RESOURCE_ID, F_RESOURCE_NAME,
	F_RESOURCE_TYPE, F_RESPONSE, F_S3, F_S3_BUCKET, F_S3_OBJECT_KEY,
	F_SESSION_CONTEXT, F_SOURCE, F_SOURCE_IP, F_SUPPLEMENTARY, F_TIME,
	F_TYPE, F_USER_AGENT, F_USER_IDENTITY, F_USER_NAME,
	F_MAX
};

/* Sorted by name (strcmp order), for a binary search. */
#define K(name, field) { name, sizeof name - 1, field }
static const struct {
	const char	*name;
	size_t		 len;
	enum env_field	 field;
} env_keys[] = {
	K("ARN", F_ARN_UPPER),
	K("Event", F_S3_EVENT),
	K("Message", F_MESSAGE),
	K("MessageId", F_MESSAGE_ID),
	K("Records", F_RECORDS),
	K("Timestamp", F_TIMESTAMP),
	K("Type", F_SNS_TYPE),
	K("account", F_ACCOUNT),
	K("accountId", F_ACCOUNT_ID),
	K("arn", F_ARN),
	K("awsAccountId", F_AWS_ACCOUNT_ID),
	K("awsRegion", F_AWS_REGION),
	K("changeType", F_CHANGE_TYPE),
	K("configuration", F_CONFIGURATION),
	K("configurationItem", F_CI),
	K("configurationItemCaptureTime", F_CAPTURE_TIME),
	K("configurationItemDiff", F_CI_DIFF),
	K("configurationItemStatus", F_CI_STATUS),
	K("configurationItemSummary", F_CI_SUMMARY),
	K("configurationItems", F_CI_LIST),
	K("configurationStateId", F_STATE_ID),
	K("detail", F_DETAIL),
	K("detail-type", F_DETAIL_TYPE),
	K("errorCode", F_ERROR_CODE),
	K("errorMessage", F_ERROR_MESSAGE),
	K("eventID", F_EVENT_ID),
	K("eventName", F_EVENT_NAME),
	K("eventSource", F_EVENT_SOURCE),
	K("eventTime", F_EVENT_TIME),
	K("eventType", F_EVENT_TYPE),
	K("eventVersion", F_EVENT_VERSION),
	K("id", F_ID),
	K("invokedBy", F_INVOKED_BY),
	K("invokingEvent", F_INVOKING_EVENT),
	K("messageType", F_MESSAGE_TYPE),
	K("notificationCreationTime", F_NOTIFICATION_TIME),
	K("principalId", F_PRINCIPAL_ID),
	K("readOnly", F_READ_ONLY),
	K("recipientAccountId", F_RECIPIENT),
	K("region", F_REGION),
	K("requestID", F_REQUEST_ID),
	K("requestParameters", F_REQUEST),
	K("resourceId", F_RESOURCE_ID),
	K("resourceName", F_RESOURCE_NAME),
	K("resourceType", F_RESOURCE_TYPE),
	K("responseElements", F_RESPONSE),
	K("s3", F_S3),
	K("s3Bucket", F_S3_BUCKET),
	K("s3ObjectKey", F_S3_OBJECT_KEY),
	K("sessionContext", F_SESSION_CONTEXT),
	K("source", F_SOURCE),
	K("sourceIPAddress", F_SOURCE_IP),
	K("supplementaryConfiguration", F_SUPPLEMENTARY),
	K("time", F_TIME),
	K("type", F_TYPE),
	K("userAgent", F_USER_AGENT),
	K("userIdentity", F_USER_IDENTITY),
	K("userName", F_USER_NAME),
};
#undef K

/* What an EventBridge detail-type holds. */
enum env_detail {
	DETAIL_OTHER,
	DETAIL_CLOUDTRAIL,
	DETAIL_CONFIG,
};
static const struct {
	const char	*detail_type;
	enum env_detail	 detail;
} env_detail_types[] = {
	{ "AWS API Call via CloudTrail", DETAIL_CLOUDTRAIL },
	{ "AWS Console Sign In via CloudTrail", DETAIL_CLOUDTRAIL },
	{ "AWS Service Event via CloudTrail", DETAIL_CLOUDTRAIL },
	{ "Config Configuration Item Change", DETAIL_CONFIG },
};
#define ENV_SIGNIN_DETAIL_TYPE	"AWS Console Sign In via CloudTrail"

/* The members of one object found in env_keys, by field. */
struct fields {
	uint64_t		 mask;		/* which v[] are set */
	size_t			 nkeys;		/* members in all */
	struct jscan_value	 obj;
	struct jscan_value	 v[F_MAX];
};

/* What the envelopes around a record said, for what the record lacks. */
struct outer {
	int		 nesting;	/* documents in strings so far */
	const char	*id;		/* EventBridge id, SNS MessageId */
	int64_t		 time;
	const char	*account;
	const char	*region;
	const char	*source;
	const char	*detail_type;
};

/* One document: how many records it had, and why some were left out. */
struct level {
	size_t		 nitems;
	size_t		 nok;
	bool		 collection;
	size_t		*why_index;
	char		**why;
	size_t		 nwhy;
};

/* How far the result had got, to undo a part that failed. */
struct mark {
	size_t		 nevents;
	size_t		 nrefs;
	size_t		 nskipped;
};

struct env {
	const char		*buf;	/* the document being walked */
	struct envelope_result	*res;
};

static int	env_message(struct envelope_result *, const char *, size_t,
		    size_t, const struct outer *, const char **, char **);
static int	env_dispatch(struct env *, const struct fields *,
		    const struct outer *, const char **, char **);

static const struct jscan_value env_none = { JSCAN_NONE, false, 0, 0 };

_Static_assert(F_MAX <= 64, "struct fields mask too small");

static inline bool
has(const struct fields *f, enum env_field field)
{
	return (f->mask & ((uint64_t)1 << field)) != 0;
}

static inline const struct jscan_value *
fv(const struct fields *f, enum env_field field)
{
	return has(f, field) ? &f->v[field] : &env_none;
}

static inline enum jscan_type
ftype(const struct fields *f, enum env_field field)
{
	return fv(f, field)->type;
}

static char *
fstr(const struct env *e, const struct fields *f, enum env_field field)
{
	return jscan_strdup(e->buf, fv(f, field));
}

static bool
feq(const struct env *e, const struct fields *f, enum env_field field,
    const char *s)
{
	return jscan_string_eq(e->buf, fv(f, field), s);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A time member in ms, or 0 if absent or not a time. */
static int64_t
ftime(const struct env *e, const struct fields *f, enum env_field field)
{
	const struct jscan_value	*v = fv(f, field);
	char				 tmp[64];
	size_t				 len;
	int64_t				 ms;

	if (v->type != JSCAN_STRING ||
	    jscan_string(e->buf, v, tmp, sizeof tmp, &len) == -1 ||
	    change_time_parse(tmp, len, &ms) == -1)
		return 0;
	return ms;
}

/* A span of the raw record from a member's value. */
static struct change_span
fspan(const struct fields *f, enum env_field field, size_t base)
{
	struct change_span	 sp = { 0, 0 };

	if (has(f, field)) {
		sp.off = f->v[field].off - base;
		sp.len = f->v[field].len;
	}
	return sp;
}

static int
env_field(const char *buf, const struct jscan_value *key)
{
	char		 tmp[64];
	const char	*k;
	size_t		 n, lo = 0, hi = nitems(env_keys), mid;
	int		 r;

	if (key->escaped) {
		if (jscan_string(buf, key, tmp, sizeof tmp, &n) == -1)
			return -1;
		k = tmp;
	} else {
		k = buf + key->off + 1;
		n = key->len - 2;
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		r = memcmp(k, env_keys[mid].name,
		    n < env_keys[mid].len ? n : env_keys[mid].len);
		if (r == 0)
			r = n < env_keys[mid].len ? -1 : n > env_keys[mid].len;
		if (r == 0)
			return (int)env_keys[mid].field;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void
env_push_event(struct envelope_result *res, struct change_event *ev)
{
	size_t	 n = res->nevents;

	/* Capacity is the next power of two: grow when n is one. */
	if ((n & (n - 1)) == 0)
		res->events = xreallocarray(res->events, n == 0 ? 1 : 2 * n,
		    sizeof *res->events);
	res->events[res->nevents++] = ev;
}

static void
env_push_ref(struct envelope_result *res, char *bucket, char *key,
    const char *region, int64_t size)
{
	struct envelope_ref	*ref;
	size_t			 n = res->nrefs;

	if ((n & (n - 1)) == 0)
		res->refs = xreallocarray(res->refs, n == 0 ? 1 : 2 * n,
		    sizeof *res->refs);
	ref = &res->refs[res->nrefs++];
	ref->bucket = bucket;
	ref->key = key;
	ref->region = dup_or_null(region);
	ref->size = size;
}

static void
env_push_skipped(struct envelope_result *res, char *why)
{
	size_t	 n = res->nskipped;

	if ((n & (n - 1)) == 0)
		res->skipped = xreallocarray(res->skipped, n == 0 ? 1 : 2 * n,
		    sizeof *res->skipped);
	res->skipped[res->nskipped++] = why;
}

static struct mark
env_mark(const struct envelope_result *res)
{
	struct mark	 m = { res->nevents, res->nrefs, res->nskipped };

	return m;
}

/* Undo what was added to the result since the mark. */
static void
env_rollback(struct envelope_result *res, const struct mark *m)
{
	while (res->nevents > m->nevents)
		change_free(res->events[--res->nevents]);
	while (res->nrefs > m->nrefs) {
		res->nrefs--;
		free(res->refs[res->nrefs].bucket);
		free(res->refs[res->nrefs].key);
		free(res->refs[res->nrefs].region);
	}
	while (res->nskipped > m->nskipped)
		free(res->skipped[--res->nskipped]);
}

static void
env_level_skip(struct level *lv, size_t index, char *why)
{
	lv->why = xreallocarray(lv->why, lv->nwhy + 1, sizeof *lv->why);
	lv->why_index = xreallocarray(lv->why_index, lv->nwhy + 1,
	    sizeof *lv->why_index);
	lv->why[lv->nwhy] = why;
	lv->why_index[lv->nwhy++] = index;
}

static void
env_level_free(struct level *lv)
{
	size_t	 i;

	for (i = 0; i < lv->nwhy; i++)
		free(lv->why[i]);
	free(lv->why);
	free(lv->why_index);
}

/* "not a recognised envelope: object with keys a, b, c". */
static char *
env_unrecognised(const char *buf, const struct jscan_value *obj)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 key, v;
	char			*s, *k, *t;
	size_t			 n = 0;

	s = xstrdup("not a recognised envelope: object with keys ");
	jscan_init_value(&j, buf, obj);
	if (jscan_object_begin(&j, &it) == -1)
		return s;
	while (jscan_object_next(&it, &key) == 1 && jscan_value(&j, &v) == 0) {
		if (n++ == 10) {
			t = xprintf("%s, ...", s);
			free(s);
			return t;
		}
		k = jscan_strdup(buf, &key);
		t = xprintf("%s%s%s", s, n > 1 ? ", " : "", k);
		free(k);
		free(s);
		s = t;
	}
	if (n == 0) {
		free(s);
		s = xstrdup("not a recognised envelope: an empty object");
	}
	return s;
}

static int	env_items(struct env *, struct jscan *, const struct outer *,
		    struct level *);

/*
 * Walk the object at the scanner's position into f.  With a level, the
 * arrays of a log file ("Records") or a Config history file
 * ("configurationItems") are walked record by record as they come.
 */
static int
env_collect(struct env *e, struct jscan *j, struct fields *f,
    const struct outer *o, struct level *lv)
{
	struct jscan_iter	 it;
	struct jscan_value	 key, v;
	enum jscan_type		 type;
	size_t			 start;
	int			 r, field;

	f->mask = 0;
	f->nkeys = 0;
	if (jscan_peek(j, &type) == -1)
		return -1;
	start = j->pos;
	if (jscan_object_begin(j, &it) == -1)
		return -1;
	while ((r = jscan_object_next(&it, &key)) == 1) {
		f->nkeys++;
		field = env_field(e->buf, &key);
		if (lv != NULL && (field == F_RECORDS || field == F_CI_LIST)) {
			if (jscan_peek(j, &type) == -1)
				return -1;
			if (type == JSCAN_ARRAY) {
				v.type = JSCAN_ARRAY;
				v.escaped = false;
				v.off = j->pos;
				if (env_items(e, j, o, lv) == -1)
					return -1;
				v.len = j->pos - v.off;
				f->v[field] = v;
				f->mask |= (uint64_t)1 << field;
				continue;
			}
		}
		if (jscan_value(j, &v) == -1)
			return -1;
		if (field >= 0) {
			f->v[field] = v;
			f->mask |= (uint64_t)1 << field;
		}
	}
	if (r == -1)
		return -1;
	f->obj.type = JSCAN_OBJECT;
	f->obj.escaped = false;
	f->obj.off = start;
	f->obj.len = j->pos - start;
	return 0;
}

/* Walk an object already scanned (a member's value) into f. */
static int
env_collect_value(struct env *e, const struct jscan_value *v,
    struct fields *f)
{
	struct jscan	 j;

	jscan_init_value(&j, e->buf, v);
	return env_collect(e, &j, f, NULL, NULL);
}

/* A CloudTrail record. */
static int
env_cloudtrail(struct env *e, const struct fields *f, const struct outer *o,
    const char **what, char **why)
{
	struct change_event	*ev;
	struct fields		 ui;
	struct jscan_value	 sc, si, arn;
	const struct jscan_value *ro;
	size_t			 base = f->obj.off;
	char			*s;

	if (ftype(f, F_EVENT_NAME) != JSCAN_STRING) {
		*why = xstrdup("CloudTrail record without eventName");
		return 1;
	}
	if (ftype(f, F_EVENT_SOURCE) != JSCAN_STRING) {
		*why = xstrdup("CloudTrail record without eventSource");
		return 1;
	}
	ev = change_new(CHANGE_AWS, CHANGE_API_CALL);
	change_set_raw(ev, e->buf + base, f->obj.len);
	ev->name = fstr(e, f, F_EVENT_NAME);
	ev->source = fstr(e, f, F_EVENT_SOURCE);
	ev->service = change_service(ev->source);
	ev->type = fstr(e, f, F_EVENT_TYPE);
	ev->detail_type = dup_or_null(o->detail_type);
	if ((ev->type != NULL && strcmp(ev->type, "AwsConsoleSignIn") == 0) ||
	    (o->detail_type != NULL &&
	    strcmp(o->detail_type, ENV_SIGNIN_DETAIL_TYPE) == 0))
		ev->kind = CHANGE_CONSOLE_SIGNIN;

	if ((ev->id = fstr(e, f, F_EVENT_ID)) == NULL)
		ev->id = change_digest_id(ev->raw, ev->raw_len);
	if ((ev->time = ftime(e, f, F_EVENT_TIME)) == 0)
		ev->time = o->time;
	if ((ev->region = fstr(e, f, F_AWS_REGION)) == NULL)
		ev->region = dup_or_null(o->region);

	if (ftype(f, F_USER_IDENTITY) == JSCAN_OBJECT &&
	    env_collect_value(e, fv(f, F_USER_IDENTITY), &ui) == 0) {
		ev->actor.arn = fstr(e, &ui, F_ARN);
		ev->actor.type = fstr(e, &ui, F_TYPE);
		ev->actor.principal_id = fstr(e, &ui, F_PRINCIPAL_ID);
		ev->actor.account = fstr(e, &ui, F_ACCOUNT_ID);
		ev->actor.user_name = fstr(e, &ui, F_USER_NAME);
		ev->actor.invoked_by = fstr(e, &ui, F_INVOKED_BY);
		sc = *fv(&ui, F_SESSION_CONTEXT);
		if (jscan_member(e->buf, &sc, "sessionIssuer", &si) == 1 &&
		    jscan_member(e->buf, &si, "arn", &arn) == 1)
			ev->actor.issuer_arn = jscan_strdup(e->buf, &arn);
	}

	/* The account the call was made in, not the caller's. */
	if ((ev->account = fstr(e, f, F_RECIPIENT)) == NULL)
		ev->account = dup_or_null(ev->actor.account);
	if (ev->account == NULL)
		ev->account = dup_or_null(o->account);

	ro = fv(f, F_READ_ONLY);
	s = jscan_strdup(e->buf, ro);
	if (ro->type == JSCAN_TRUE || ro->type == JSCAN_FALSE)
		ev->read_only = ro->type == JSCAN_TRUE;
	else if (s != NULL &&
	    (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
		/* Some exports write the boolean as a string. */
		ev->read_only = strcasecmp(s, "true") == 0;
	} else {
		ev->read_only = change_name_read_only(ev->name);
		ev->read_only_inferred = true;
	}
	free(s);

	ev->error_code = fstr(e, f, F_ERROR_CODE);
	ev->error_message = fstr(e, f, F_ERROR_MESSAGE);
	ev->source_ip = fstr(e, f, F_SOURCE_IP);
	ev->user_agent = fstr(e, f, F_USER_AGENT);
	ev->request_id = fstr(e, f, F_REQUEST_ID);
	ev->request = fspan(f, F_REQUEST, base);
	ev->response = fspan(f, F_RESPONSE, base);
	env_push_event(e->res, ev);
	*what = "cloudtrail-record";
	return 0;
}

/*
 * A configuration item (ci), in its notification (notif, NULL for a bare
 * item), or the summary of an oversized one.
 */
static int
env_config_item(struct env *e, const struct fields *ci,
    const struct fields *notif, const struct outer *o, bool summary,
    char **why)
{
	struct change_event	*ev;
	struct jscan_value	 ct;
	const struct fields	*rawf = notif != NULL ? notif : ci;
	size_t			 base = rawf->obj.off;
	char			*s;

	if (ftype(ci, F_RESOURCE_TYPE) != JSCAN_STRING) {
		*why = xstrdup("configuration item without resourceType");
		return 1;
	}
	ev = change_new(CHANGE_AWS, CHANGE_CONFIG_ITEM);
	change_set_raw(ev, e->buf + base, rawf->obj.len);
	if (notif == NULL ||
	    (ev->name = fstr(e, notif, F_MESSAGE_TYPE)) == NULL)
		ev->name = xstrdup("ConfigurationItem");
	ev->source = xstrdup("config.amazonaws.com");
	ev->service = xstrdup("config");
	ev->detail_type = dup_or_null(o->detail_type);
	ev->read_only = false;
	ev->needs_fetch = summary;

	ev->resource_type = fstr(e, ci, F_RESOURCE_TYPE);
	ev->resource_id = fstr(e, ci, F_RESOURCE_ID);
	ev->resource_name = fstr(e, ci, F_RESOURCE_NAME);
	if ((ev->resource_arn = fstr(e, ci, F_ARN_UPPER)) == NULL)
		ev->resource_arn = fstr(e, ci, F_ARN);
	/* Notifications say awsAccountId, the Config API accountId. */
	if ((ev->account = fstr(e, ci, F_AWS_ACCOUNT_ID)) == NULL &&
	    (ev->account = fstr(e, ci, F_ACCOUNT_ID)) == NULL)
		ev->account = dup_or_null(o->account);
	if ((ev->region = fstr(e, ci, F_AWS_REGION)) == NULL)
		ev->region = dup_or_null(o->region);
	if ((ev->time = ftime(e, ci, F_CAPTURE_TIME)) == 0 && notif != NULL)
		ev->time = ftime(e, notif, F_NOTIFICATION_TIME);
	if (ev->time == 0)
		ev->time = o->time;

	if ((s = fstr(e, ci, F_CI_STATUS)) != NULL) {
		ev->config_status = change_config_status_parse(s);
		free(s);
	} else
		ev->config_status = CHANGE_CONFIG_UNKNOWN;
	ev->config_state = jscan_scalar_dup(e->buf, fv(ci, F_STATE_ID));
	if (notif != NULL && jscan_member(e->buf, fv(notif, F_CI_DIFF),
	    "changeType", &ct) == 1)
		ev->change_type = jscan_strdup(e->buf, &ct);

	ev->configuration = fspan(ci, F_CONFIGURATION, base);
	ev->supplementary = fspan(ci, F_SUPPLEMENTARY, base);
	if (notif != NULL)
		ev->diff = fspan(notif, F_CI_DIFF, base);

	/*
	 * The same item is the same event however it came (EventBridge, SNS,
	 * a history file): name it by resource and state, not by envelope.
	 * configurationStateId is 0 in the documentation's examples only.
	 */
	if (ev->config_state != NULL && *ev->config_state != '\0' &&
	    strcmp(ev->config_state, "0") != 0)
		ev->id = xprintf("config:%s:%s:%s:%s",
		    ev->account != NULL ? ev->account : "", ev->resource_type,
		    ev->resource_id != NULL ? ev->resource_id : "",
		    ev->config_state);
	else if (ev->time != 0)
		ev->id = xprintf("config:%s:%s:%s:%lld",
		    ev->account != NULL ? ev->account : "", ev->resource_type,
		    ev->resource_id != NULL ? ev->resource_id : "",
		    (long long)ev->time);
	else
		ev->id = change_digest_id(ev->raw, ev->raw_len);
	env_push_event(e->res, ev);
	return 0;
}

/* A Config notification other than an item change. */
static int
env_config_other(struct env *e, const struct fields *f, const struct outer *o)
{
	struct change_event	*ev;

	ev = change_new(CHANGE_AWS, CHANGE_OTHER);
	change_set_raw(ev, e->buf + f->obj.off, f->obj.len);
	ev->name = fstr(e, f, F_MESSAGE_TYPE);
	ev->source = xstrdup("config.amazonaws.com");
	ev->service = xstrdup("config");
	ev->detail_type = dup_or_null(o->detail_type);
	if ((ev->id = dup_or_null(o->id)) == NULL)
		ev->id = change_digest_id(ev->raw, ev->raw_len);
	if ((ev->time = ftime(e, f, F_NOTIFICATION_TIME)) == 0)
		ev->time = o->time;
	if ((ev->account = fstr(e, f, F_AWS_ACCOUNT_ID)) == NULL &&
	    (ev->account = fstr(e, f, F_ACCOUNT_ID)) == NULL)
		ev->account = dup_or_null(o->account);
	if ((ev->region = fstr(e, f, F_AWS_REGION)) == NULL)
		ev->region = dup_or_null(o->region);
	ev->resource_type = fstr(e, f, F_RESOURCE_TYPE);
	ev->resource_id = fstr(e, f, F_RESOURCE_ID);
	env_push_event(e->res, ev);
	return 0;
}

/*
 * The first notifications (2014, MessageVersion 1.0) carried an array of
 * items; each is an event, all with the notification as raw record.
 */
static int
env_config_items(struct env *e, const struct fields *f, const struct outer *o,
    char **why)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 v;
	struct fields		 ci;
	struct mark		 m = env_mark(e->res);
	int			 r;

	jscan_init_value(&j, e->buf, fv(f, F_CI));
	if (jscan_array_begin(&j, &it) == -1)
		return -1;
	while ((r = jscan_array_next(&it)) == 1) {
		if (jscan_value(&j, &v) == -1)
			return -1;
		if (v.type != JSCAN_OBJECT) {
			*why = xstrdup("configurationItem array holding "
			    "something else than items");
			r = 1;
		} else if (env_collect_value(e, &v, &ci) == -1)
			return -1;
		else
			r = env_config_item(e, &ci, f, o, false, why);
		if (r != 0) {
			env_rollback(e->res, &m);
			return r;
		}
	}
	return r;
}

/* An AWS Config notification, by its messageType. */
static int
env_config_notification(struct env *e, const struct fields *f,
    const struct outer *o, const char **what, char **why)
{
	struct fields	 ci;
	bool		 summary = false;

	*what = "config-notification";
	if (feq(e, f, F_MESSAGE_TYPE, "ConfigurationItemChangeNotification")) {
		if (ftype(f, F_CI) == JSCAN_ARRAY)
			return env_config_items(e, f, o, why);
		if (ftype(f, F_CI) != JSCAN_OBJECT) {
			*why = xstrdup("ConfigurationItemChangeNotification "
			    "without a configurationItem");
			return 1;
		}
		if (env_collect_value(e, fv(f, F_CI), &ci) == -1)
			return -1;
	} else if (feq(e, f, F_MESSAGE_TYPE,
	    "OversizedConfigurationItemChangeNotification")) {
		if (ftype(f, F_CI_SUMMARY) != JSCAN_OBJECT) {
			*why = xstrdup("OversizedConfigurationItemChange"
			    "Notification without a configurationItemSummary");
			return 1;
		}
		if (env_collect_value(e, fv(f, F_CI_SUMMARY), &ci) == -1)
			return -1;
		summary = true;
	} else if (ftype(f, F_MESSAGE_TYPE) == JSCAN_STRING)
		return env_config_other(e, f, o);
	else {
		*why = xstrdup("Config notification whose messageType is not "
		    "a string");
		return 1;
	}
	return env_config_item(e, &ci, f, o, summary, why);
}

/* Any other EventBridge event. */
static int
env_eventbridge_other(struct env *e, const struct fields *f,
    const struct outer *o)
{
	struct change_event	*ev;

	ev = change_new(CHANGE_AWS, CHANGE_OTHER);
	change_set_raw(ev, e->buf + f->obj.off, f->obj.len);
	if ((ev->id = dup_or_null(o->id)) == NULL)
		ev->id = change_digest_id(ev->raw, ev->raw_len);
	ev->time = o->time;
	ev->account = dup_or_null(o->account);
	ev->region = dup_or_null(o->region);
	if (o->source != NULL) {
		ev->source = xstrdup(o->source);
		ev->service = change_service(o->source);
	}
	ev->name = dup_or_null(o->detail_type);
	ev->detail_type = dup_or_null(o->detail_type);
	ev->detail = fspan(f, F_DETAIL, f->obj.off);
	env_push_event(e->res, ev);
	return 0;
}

static int
env_eventbridge(struct env *e, const struct fields *f, const struct outer *o,
    const char **what, char **why)
{
	struct outer		 eo = *o;
	struct fields		 d;
	enum env_detail		 kind = DETAIL_OTHER;
	char			*id, *dt, *account, *region, *source;
	char			*inner = NULL;
	const char		*w;
	size_t			 i;
	int			 r;

	*what = "eventbridge";
	if (ftype(f, F_DETAIL_TYPE) != JSCAN_STRING) {
		*why = xstrdup("EventBridge event whose detail-type is not a "
		    "string");
		return 1;
	}
	if (ftype(f, F_DETAIL) != JSCAN_OBJECT) {
		*why = xstrdup("EventBridge event whose detail is not an "
		    "object");
		return 1;
	}
	eo.id = id = fstr(e, f, F_ID);
	eo.detail_type = dt = fstr(e, f, F_DETAIL_TYPE);
	eo.account = account = fstr(e, f, F_ACCOUNT);
	eo.region = region = fstr(e, f, F_REGION);
	eo.source = source = fstr(e, f, F_SOURCE);
	eo.time = ftime(e, f, F_TIME);

	for (i = 0; i < nitems(env_detail_types); i++) {
		if (strcmp(dt, env_detail_types[i].detail_type) == 0)
			kind = env_detail_types[i].detail;
	}
	switch (kind) {
	case DETAIL_CLOUDTRAIL:
		if ((r = env_collect_value(e, fv(f, F_DETAIL), &d)) == 0)
			r = env_cloudtrail(e, &d, &eo, &w, &inner);
		break;
	case DETAIL_CONFIG:
		if ((r = env_collect_value(e, fv(f, F_DETAIL), &d)) != 0)
			break;
		if (!has(&d, F_MESSAGE_TYPE)) {
			inner = xstrdup("detail has no messageType");
			r = 1;
		} else
			r = env_config_notification(e, &d, &eo, &w, &inner);
		break;
	default:
		r = env_eventbridge_other(e, f, &eo);
		break;
	}
	if (r == 1) {
		*why = xprintf("EventBridge \"%s\": %s", dt, inner);
		free(inner);
	}
	free(id);
	free(dt);
	free(account);
	free(region);
	free(source);
	return r;
}

/*
 * A JSON document inside a string member (SNS Message, Config
 * invokingEvent), or an object standing for one (the AWS docs' SNS
 * samples).
 */
static int
env_inner(struct env *e, const struct jscan_value *v, const struct outer *o,
    const char *name, char **why)
{
	struct outer	 io = *o;
	const char	*w;
	char		*doc, *cause;
	size_t		 len;
	int		 r;

	if (o->nesting >= ENVELOPE_MAX_NESTING) {
		*why = xprintf("%s: envelopes nested more than %d deep", name,
		    ENVELOPE_MAX_NESTING);
		return 1;
	}
	io.nesting++;
	if (v->type == JSCAN_STRING) {
		doc = xmalloc(v->len - 1);
		if (jscan_string(e->buf, v, doc, v->len - 1, &len) == -1)
			fatalx("%s: a scanned string does not decode",
			    __func__);
		r = env_message(e->res, doc, 0, len, &io, &w, &cause);
		free(doc);
	} else if (v->type == JSCAN_OBJECT || v->type == JSCAN_ARRAY)
		r = env_message(e->res, e->buf, v->off, v->len, &io, &w,
		    &cause);
	else {
		*why = xprintf("%s is %s, not a JSON document", name,
		    jscan_type_name(v->type));
		return 1;
	}
	if (r == -1) {
		*why = xprintf("%s: %s", name, cause);
		free(cause);
		return 1;
	}
	return 0;
}

static int
env_sns(struct env *e, const struct fields *f, const struct outer *o,
    const char **what, char **why)
{
	struct outer	 so = *o;
	char		*id;
	int		 r;

	*what = "sns";
	so.id = id = fstr(e, f, F_MESSAGE_ID);
	so.time = ftime(e, f, F_TIMESTAMP);
	r = env_inner(e, fv(f, F_MESSAGE), &so, "SNS Message", why);
	free(id);
	return r;
}

static int
env_config_rule(struct env *e, const struct fields *f, const struct outer *o,
    const char **what, char **why)
{
	struct outer	 ro = *o;
	char		*account;
	int		 r;

	*what = "config-rule-event";
	if ((account = fstr(e, f, F_ACCOUNT_ID)) != NULL)
		ro.account = account;
	r = env_inner(e, fv(f, F_INVOKING_EVENT), &ro, "invokingEvent", why);
	free(account);
	return r;
}

/*
 * Decode an S3 event notification's object key, which is URL-encoded as in
 * an HTML form: '+' is a space, %XX a byte.
 */
int
envelope_s3_key_decode(const char *s, size_t len, char **out)
{
	char	*d;
	size_t	 i, o = 0;
	int	 hi, lo;

	d = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			d[o++] = ' ';
		else if (s[i] == '%') {
			if (len - i < 3)
				goto fail;
			hi = s[i + 1];
			lo = s[i + 2];
			hi = hi >= '0' && hi <= '9' ? hi - '0' :
			    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 :
			    hi >= 'A' && hi <= 'F' ? hi - 'A' + 10 : -1;
			lo = lo >= '0' && lo <= '9' ? lo - '0' :
			    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 :
			    lo >= 'A' && lo <= 'F' ? lo - 'A' + 10 : -1;
			if (hi == -1 || lo == -1 || (hi == 0 && lo == 0))
				goto fail;
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			d[o++] = s[i];
	}
	d[o] = '\0';
	*out = d;
	return 0;

fail:
	free(d);
	return -1;
}

/* One record of an S3 event notification. */
static int
env_s3_record(struct env *e, const struct fields *f, const char **what,
    char **why)
{
	struct jscan_value	 s3, bucket, object, name, key, size;
	char			*b, *k, *raw, *region, *event;
	int64_t			 n = -1;
	size_t			 len;
	bool			 created;

	*what = "s3-notification";
	/* Only a new object is something to fetch. */
	event = fstr(e, f, F_EVENT_NAME);
	created = event != NULL && strncmp(event, "ObjectCreated:", 14) == 0;
	free(event);
	if (!created)
		return 0;
	s3 = *fv(f, F_S3);
	if (jscan_member(e->buf, &s3, "bucket", &bucket) != 1 ||
	    jscan_member(e->buf, &bucket, "name", &name) != 1 ||
	    name.type != JSCAN_STRING ||
	    jscan_member(e->buf, &s3, "object", &object) != 1 ||
	    jscan_member(e->buf, &object, "key", &key) != 1 ||
	    key.type != JSCAN_STRING) {
		*why = xstrdup("S3 event notification without "
		    "s3.bucket.name and s3.object.key");
		return 1;
	}
	if (jscan_member(e->buf, &object, "size", &size) == 1 &&
	    jscan_int64(e->buf, &size, &n) == -1)
		n = -1;
	raw = jscan_strdup(e->buf, &key);
	len = strlen(raw);
	if (envelope_s3_key_decode(raw, len, &k) == -1) {
		*why = xprintf("S3 object key \"%s\": invalid URL encoding",
		    raw);
		free(raw);
		return 1;
	}
	free(raw);
	b = jscan_strdup(e->buf, &name);
	region = fstr(e, f, F_AWS_REGION);
	env_push_ref(e->res, b, k, region, n);
	free(region);
	return 0;
}

/* CloudTrail's SNS notice of log files delivered to S3. */
static int
env_cloudtrail_sns(struct env *e, const struct fields *f, const char **what,
    char **why)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 v;
	struct mark		 m = env_mark(e->res);
	char			*bucket;
	int			 r;

	*what = "cloudtrail-sns-notification";
	if (ftype(f, F_S3_BUCKET) != JSCAN_STRING) {
		*why = xstrdup("CloudTrail log notification whose s3Bucket is "
		    "not a string");
		return 1;
	}
	jscan_init_value(&j, e->buf, fv(f, F_S3_OBJECT_KEY));
	if (jscan_array_begin(&j, &it) == -1)
		return -1;
	while ((r = jscan_array_next(&it)) == 1) {
		if (jscan_value(&j, &v) == -1)
			return -1;
		if (v.type != JSCAN_STRING) {
			env_rollback(e->res, &m);
			*why = xstrdup("CloudTrail log notification with an "
			    "s3ObjectKey that is not a string");
			return 1;
		}
		/* These keys are not URL-encoded. */
		bucket = fstr(e, f, F_S3_BUCKET);
		env_push_ref(e->res, bucket, jscan_strdup(e->buf, &v), NULL,
		    -1);
	}
	return r;
}

/* Recognise an object by its members and hand it to its reader. */
static int
env_dispatch(struct env *e, const struct fields *f, const struct outer *o,
    const char **what, char **why)
{
	if (feq(e, f, F_SNS_TYPE, "Notification") && has(f, F_MESSAGE))
		return env_sns(e, f, o, what, why);
	if (has(f, F_DETAIL_TYPE) && has(f, F_DETAIL))
		return env_eventbridge(e, f, o, what, why);
	if (has(f, F_INVOKING_EVENT))
		return env_config_rule(e, f, o, what, why);
	if (has(f, F_S3_BUCKET) && ftype(f, F_S3_OBJECT_KEY) == JSCAN_ARRAY)
		return env_cloudtrail_sns(e, f, what, why);
	if (has(f, F_MESSAGE_TYPE))
		return env_config_notification(e, f, o, what, why);
	if (has(f, F_CAPTURE_TIME) && has(f, F_RESOURCE_TYPE)) {
		*what = "config-item";
		return env_config_item(e, f, NULL, o, false, why);
	}
	if (feq(e, f, F_EVENT_SOURCE, "aws:s3") && has(f, F_S3))
		return env_s3_record(e, f, what, why);
	if (feq(e, f, F_EVENT_SOURCE, "aws:sqs")) {
		*why = xstrdup("a Lambda SQS event record, not a message "
		    "(vigild reads the message body itself)");
		return 1;
	}
	if (has(f, F_EVENT_NAME) || has(f, F_EVENT_VERSION))
		return env_cloudtrail(e, f, o, what, why);
	if (feq(e, f, F_S3_EVENT, "s3:TestEvent")) {
		/* Sent when S3 notifications are set up: nothing to do. */
		*what = "s3-test-event";
		return 0;
	}
	*why = env_unrecognised(e->buf, &f->obj);
	return 1;
}

/*
 * One object: 0 when understood, 1 when left out (why set), -1 when the
 * JSON is malformed.  At the top of a document (lv not NULL) the object may
 * be a log file or a Config history file, whose records count in lv.
 */
static int
env_object(struct env *e, struct jscan *j, const struct outer *o,
    struct level *lv, bool *container, const char **what, char **why)
{
	struct fields	 f;
	struct mark	 m = env_mark(e->res);
	size_t		 nrefs = e->res->nrefs;
	int		 r;

	*container = false;
	if (env_collect(e, j, &f, o, lv) == -1)
		return -1;
	if (lv != NULL && (ftype(&f, F_RECORDS) == JSCAN_ARRAY ||
	    ftype(&f, F_CI_LIST) == JSCAN_ARRAY)) {
		*container = true;
		if (ftype(&f, F_CI_LIST) == JSCAN_ARRAY)
			*what = "config-history";
		else if (e->res->nrefs > nrefs)
			*what = "s3-notification";
		else
			*what = "cloudtrail-log";
		return 0;
	}
	if ((r = env_dispatch(e, &f, o, what, why)) == 1)
		env_rollback(e->res, &m);
	return r;
}

/* The elements of the array at the scanner's position, as records. */
static int
env_items(struct env *e, struct jscan *j, const struct outer *o,
    struct level *lv)
{
	struct jscan_iter	 it;
	struct jscan_value	 v;
	enum jscan_type		 type;
	const char		*what;
	char			*why;
	size_t			 index;
	bool			 container;
	int			 r;

	lv->collection = true;
	if (jscan_array_begin(j, &it) == -1)
		return -1;
	while ((r = jscan_array_next(&it)) == 1) {
		index = lv->nitems++;
		if (jscan_peek(j, &type) == -1)
			return -1;
		if (type == JSCAN_OBJECT) {
			r = env_object(e, j, o, NULL, &container, &what, &why);
			if (r == -1)
				return -1;
		} else {
			if (jscan_value(j, &v) == -1)
				return -1;
			why = xprintf("a JSON %s, not a record",
			    jscan_type_name(type));
			r = 1;
		}
		if (r == 1)
			env_level_skip(lv, index, why);
		else
			lv->nok++;
	}
	return r;
}

/*
 * A JSON document: buf[off, off + len).  A single object or an array, or
 * objects one per line.  On error return -1 and a cause the caller frees.
 */
static int
env_message(struct envelope_result *res, const char *buf, size_t off,
    size_t len, const struct outer *o, const char **what, char **cause)
{
	struct env	 e = { buf, res };
	struct level	 lv;
	struct jscan	 j;
	struct jscan_value v;
	enum jscan_type	 type;
	struct mark	 m = env_mark(res);
	const char	*w = NULL;
	char		*why, *err;
	size_t		 i, index, last, nvalues = 0;
	bool		 container;
	int		 r;

	memset(&lv, 0, sizeof lv);
	*what = NULL;
	jscan_init(&j, buf, off + len);
	j.pos = off;
	for (;;) {
		if (jscan_peek(&j, &type) == -1)
			goto malformed;
		index = lv.nitems;
		if (type == JSCAN_ARRAY) {
			if (env_items(&e, &j, o, &lv) == -1)
				goto malformed;
			w = "record-array";
		} else if (type == JSCAN_OBJECT) {
			r = env_object(&e, &j, o, &lv, &container, &w, &why);
			if (r == -1)
				goto malformed;
			if (!container) {
				lv.nitems++;
				if (r == 1)
					env_level_skip(&lv, index, why);
				else
					lv.nok++;
			}
		} else {
			if (jscan_value(&j, &v) == -1)
				goto malformed;
			lv.nitems++;
			env_level_skip(&lv, index, xprintf("not a recognised "
			    "envelope: a JSON %s", jscan_type_name(type)));
		}
		if (nvalues++ == 0)
			*what = w;
		else {
			*what = "json-lines";
			lv.collection = true;
		}

		/* More than one document: only one per line. */
		last = j.pos;
		if (jscan_at_end(&j))
			break;
		if (memchr(buf + last, '\n', j.pos - last) == NULL) {
			jscan_end(&j);
			goto malformed;
		}
	}

	if (lv.nok == 0 && lv.nwhy > 0) {
		if (!lv.collection) {
			*cause = lv.why[0];
			lv.why[0] = NULL;
		} else if (lv.nwhy == 1)
			*cause = xprintf("no record recognised: record %zu: %s",
			    lv.why_index[0], lv.why[0]);
		else
			*cause = xprintf("no record recognised: record %zu: %s "
			    "(and %zu more)", lv.why_index[0], lv.why[0],
			    lv.nwhy - 1);
		env_rollback(res, &m);
		env_level_free(&lv);
		return -1;
	}
	for (i = 0; i < lv.nwhy; i++)
		env_push_skipped(res, xprintf("record %zu: %s",
		    lv.why_index[i], lv.why[i]));
	env_level_free(&lv);
	return 0;

malformed:
	err = jscan_error(&j);
	*cause = xprintf("malformed JSON %s", err);
	free(err);
	env_rollback(res, &m);
	env_level_free(&lv);
	return -1;
}

/*
 * Parse a message (or a file: gzip'd input is inflated to at most
 * max_inflate bytes) into res, which the caller frees with
 * envelope_result_free.  On failure return -1, leave res empty and set a
 * cause the caller frees.
 */
int
envelope_parse(const char *buf, size_t len, size_t max_inflate,
    struct envelope_result *res, char **cause)
{
	struct outer	 o;
	const char	*what;
	char		*data = NULL, *why;
	size_t		 dlen;
	int		 r;

	memset(res, 0, sizeof *res);
	memset(&o, 0, sizeof o);
	if (gz_is_gzip(buf, len)) {
		if (gz_inflate(buf, len, max_inflate, &data, &dlen,
		    &why) == -1) {
			*cause = xprintf("gzip: %s", why);
			free(why);
			return -1;
		}
		res->gzip = true;
		buf = data;
		len = dlen;
	}
	r = env_message(res, buf, 0, len, &o, &what, cause);
	free(data);
	if (r == -1) {
		envelope_result_free(res);
		return -1;
	}
	res->format = what;
	return 0;
}

void
envelope_result_free(struct envelope_result *res)
{
	size_t	 i;

	for (i = 0; i < res->nevents; i++)
		change_free(res->events[i]);
	free(res->events);
	for (i = 0; i < res->nrefs; i++) {
		free(res->refs[i].bucket);
		free(res->refs[i].key);
		free(res->refs[i].region);
	}
	free(res->refs);
	for (i = 0; i < res->nskipped; i++)
		free(res->skipped[i]);
	free(res->skipped);
	memset(res, 0, sizeof *res);
}
