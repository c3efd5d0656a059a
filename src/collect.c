/*
 * collect.c: the inventory engine.  Sweeps list every asset type in every
 * account and region (at start and every reconcile_interval, or when asked);
 * refreshes describe the assets that events said changed.  Either way an
 * asset's document is assembled from its list or describe call and its
 * enrichment calls, then committed: a new or changed document is evaluated
 * against the rules in the same transaction, and so are the assets that
 * read it.  A sweep that listed everything tombstones what it did not find.
 *
 * Calls are rate-limited per account and service (token buckets) and run
 * over the shared HTTP client, so live events keep flowing during a sweep:
 * refreshes go before sweep work.  A region or account that fails (access
 * denied, region disabled) is reported in status and does not stop the
 * others.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "account.h"
#include "aws-model.h"
#include "aws-protocol.h"
#include "aws.h"
#include "collect.h"
#include "eval.h"
#include "notify.h"
#include "vigild.h"

#define COLLECT_JOBS		4	/* sweep jobs at once */
#define COLLECT_LATER_MS	15000	/* ENRICH_LATER: try again after */
#define COLLECT_REFRESHES	32	/* refreshes at once */
#define COLLECT_RETRY_MIN_MS	5000
#define COLLECT_RETRY_MAX_MS	(15 * 60 * 1000)
#define COLLECT_MAX_ATTEMPTS	8

struct collect_job;

/* One asset being assembled. */
struct collect_item {
	TAILQ_ENTRY(collect_item)	 entry;
	struct collect_job		*job;
	json_t				*doc;
	char				*id;
	char				*arn;
	char				*name;
	char				*region;	/* the asset's */
	int				 pending;	/* calls in flight */
	size_t				 next;		/* enrichments begun */
	bool				 gone;
	bool				 later;		/* refresh it again soon */
	char				*error;
};

/* A call waiting for a token of its bucket. */
struct collect_call {
	TAILQ_ENTRY(collect_call)	 entry;
	struct collect_item		*item;
	struct collect_job		*job;
	const struct collect_enrich	*enrich;	/* NULL: list / get */
	struct aws_client		*client;
	const struct aws_op		*op;
	json_t				*params;
	bool				 all_pages;
	struct aws_call			*call;
	json_t				*elem;		/* ENRICH_PER_ITEM */
};

enum job_kind {
	JOB_SWEEP,
	JOB_REFRESH,
	JOB_REGIONS,
	JOB_ORG,
};

struct collect_job {
	TAILQ_ENTRY(collect_job)	 entry;
	struct collect			*co;
	enum job_kind			 kind;
	struct account			*acct;
	char				*account;
	char				*region;
	const struct collect_type	*ct;
	struct refresh_row		 refresh;	/* JOB_REFRESH */
	int64_t				 gen;
	bool				 initial;
	size_t				 items;		/* not yet committed */
	size_t				 seen;
	bool				 listed;
	bool				 found;		/* a refresh: listed */
	bool				 relist;	/* a refresh of every asset
						   of the type in the region */
	bool				 failed;
	char				*error;
	struct aws_call			*call;		/* JOB_REGIONS, JOB_ORG */
	int64_t				 started;	/* JOB_ORG */
};

struct collect_bucket {
	char		*key;		/* account/service */
	double		 tokens;
	int64_t		 last;		/* mono ms */
};

struct collect_client {
	char			*key;	/* account/region/service */
	struct aws_client	*client;
};

/* Regions found enabled in an account. */
struct collect_regions {
	char		 *account;
	struct strlist	  regions;
};

struct collect {
	struct vigil			*v;
	struct aws_models		*models;
	struct collect_client		*clients;
	size_t				 nclients;
	struct collect_bucket		*buckets;
	size_t				 nbuckets;
	struct collect_regions		*regions;
	size_t				 nregions;
	TAILQ_HEAD(, collect_job)	 queue;		/* waiting */
	TAILQ_HEAD(, collect_job)	 running;
	TAILQ_HEAD(, collect_job)	 learning;	/* regions */
	bool				 later;		/* refreshes queued */
	size_t				 nrunning_sweeps;
	size_t				 nrunning_refreshes;
	TAILQ_HEAD(, collect_call)	 waiting;	/* for tokens */
	TAILQ_HEAD(, collect_call)	 calls;		/* in flight */
	TAILQ_HEAD(, collect_item)	 ready;		/* to commit */
	struct event			*commit_ev;
	struct event			*schedule_ev;
	struct event			*token_ev;
	struct event			*refresh_ev;

	int64_t				 sweep_gen;
	int64_t				 sweep_started;
	int64_t				 sweep_finished;
	size_t				 sweep_jobs;	/* of this sweep */
	size_t				 sweep_jobs_done;
	bool				 sweep_initial;	/* finds anything first */

	uint64_t			 api_calls;
	uint64_t			 api_errors;
	uint64_t			 assets_new;
	uint64_t			 assets_changed;
	uint64_t			 assets_same;
	uint64_t			 assets_deleted;
	uint64_t			 refreshes_done;
	json_t				*failures;	/* job key → error */
};

static void	collect_schedule(struct collect *);
static void	collect_item_next(struct collect_item *);
static void	collect_item_ready(struct collect_item *);
static void	collect_item_gone(struct collect_job *);
static void	collect_sweep_check(struct collect *);
static void	collect_sweep_account(struct collect *, struct account *,
		    const struct collect_type *, const struct strlist *);
static void	collect_sweep_start(struct collect *, struct account *,
		    const struct collect_type *);
static void	collect_job_check(struct collect_job *);

/* Paths: "A.B[*].C[0]", every [*] iterating a list. */
static void
collect_path_walk(json_t *v, const char *p, json_t ***out, size_t *n)
{
	const char	*end, *br;
	char		*name;
	json_t		*e;
	size_t		 i, len;
	long		 idx;

	if (v == NULL)
		return;
	while (*p == '.')
		p++;
	if (*p == '\0') {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = v;
		return;
	}
	if (*p == '[') {
		if (p[1] == '*' && p[2] == ']') {
			json_array_foreach(v, i, e)
				collect_path_walk(e, p + 3, out, n);
			return;
		}
		idx = strtol(p + 1, (char **)(uintptr_t)&end, 10);
		if (*end != ']')
			return;
		collect_path_walk(json_array_get(v, (size_t)idx), end + 1, out,
		    n);
		return;
	}
	len = strcspn(p, ".[");
	name = xstrndup(p, len);
	e = json_object_get(v, name);
	free(name);
	br = p + len;
	collect_path_walk(e, br, out, n);
}

/* Every value at a path (borrowed); the count. */
size_t
collect_path(json_t *v, const char *path, json_t ***out)
{
	size_t	 n = 0;

	*out = NULL;
	collect_path_walk(v, path, out, &n);
	return n;
}

/* The first value at a path (borrowed), or NULL. */
json_t *
collect_path_one(json_t *v, const char *path)
{
	json_t	**all, *first = NULL;
	size_t	  n;

	if ((n = collect_path(v, path, &all)) > 0)
		first = all[0];
	free(all);
	return first;
}

static const char *
collect_partition(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

/* Replace ${...} in a string. */
static char *
collect_expand(const char *s, const json_t *doc, const char *id,
    const char *name, const char *arn, const char *region,
    const char *account, char **cause)
{
	const char	*p = s, *end, *val;
	char		*out = xstrdup(""), *var, *t, *tmp = NULL;
	json_t		*v;

	while ((var = strstr(p, "${")) != NULL) {
		if ((end = strchr(var, '}')) == NULL)
			break;
		t = xstrndup(var + 2, (size_t)(end - var - 2));
		val = NULL;
		if (strcmp(t, "id") == 0)
			val = id;
		else if (strcmp(t, "name") == 0)
			val = name;
		else if (strcmp(t, "arn") == 0)
			val = arn;
		else if (strcmp(t, "region") == 0)
			val = region;
		else if (strcmp(t, "account") == 0)
			val = account;
		else if (strcmp(t, "partition") == 0)
			val = collect_partition(region != NULL ? region : "");
		else if (strncmp(t, "doc:", 4) == 0) {
			v = collect_path_one((json_t *)(uintptr_t)doc, t + 4);
			if (json_is_string(v))
				val = json_string_value(v);
			else if (v != NULL) {
				tmp = json_dumps(v, JSON_ENCODE_ANY);
				val = tmp;
			}
		}
		if (val == NULL) {
			*cause = xprintf("nothing for ${%s}", t);
			free(t);
			free(out);
			free(tmp);
			return NULL;
		}
		var = xprintf("%s%.*s%s", out, (int)(var - p), p, val);
		free(out);
		out = var;
		free(t);
		free(tmp);
		tmp = NULL;
		p = end + 1;
	}
	var = xprintf("%s%s", out, p);
	free(out);
	return var;
}

static int
collect_template_walk(json_t *v, const json_t *doc, const char *id,
    const char *name, const char *arn, const char *region,
    const char *account, char **cause)
{
	const char	*key;
	json_t		*e;
	char		*s;
	size_t		 i;

	if (json_is_string(v)) {
		if (strstr(json_string_value(v), "${") == NULL)
			return 0;
		if ((s = collect_expand(json_string_value(v), doc, id, name,
		    arn, region, account, cause)) == NULL)
			return -1;
		json_string_set(v, s);
		free(s);
		return 0;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			if (collect_template_walk(e, doc, id, name, arn,
			    region, account, cause) != 0)
				return -1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (collect_template_walk(e, doc, id, name, arn,
			    region, account, cause) != 0)
				return -1;
		}
	}
	return 0;
}

/* A JSON template with its ${...} filled in: a new object. */
json_t *
collect_template(const char *tmpl, const json_t *doc, const char *id,
    const char *name, const char *arn, const char *region,
    const char *account, char **cause)
{
	json_error_t	 jerr;
	json_t		*v;

	if (tmpl == NULL)
		return json_object();
	if ((v = json_loads(tmpl, 0, &jerr)) == NULL)
		fatalx("collector table: bad template %s: %s", tmpl, jerr.text);
	if (collect_template_walk(v, doc, id, name, arn, region, account,
	    cause) != 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static struct aws_client *
collect_client(struct collect *co, struct account *a, const char *region,
    const struct aws_model *m)
{
	const struct account_conf *ac = account_conf(a);
	struct aws_client	*c;
	char			*key;
	size_t			 i;

	key = xprintf("%s/%s/%s", account_id(a), region, m->service);
	for (i = 0; i < co->nclients; i++) {
		if (strcmp(co->clients[i].key, key) == 0) {
			free(key);
			return co->clients[i].client;
		}
	}
	c = aws_client_new(co->v->http, &m->svc, region, ac->endpoint,
	    account_creds(a));
	co->clients = xreallocarray(co->clients, co->nclients + 1,
	    sizeof *co->clients);
	co->clients[co->nclients].key = key;
	co->clients[co->nclients].client = c;
	co->nclients++;
	return c;
}

static struct collect_bucket *
collect_bucket(struct collect *co, const char *account, const char *service)
{
	struct collect_bucket	*b;
	char			*key;
	size_t			 i;

	key = xprintf("%s/%s", account, service);
	for (i = 0; i < co->nbuckets; i++) {
		if (strcmp(co->buckets[i].key, key) == 0) {
			free(key);
			return &co->buckets[i];
		}
	}
	co->buckets = xreallocarray(co->buckets, co->nbuckets + 1,
	    sizeof *co->buckets);
	b = &co->buckets[co->nbuckets++];
	b->key = key;
	b->tokens = 2.0 * (double)co->v->conf->api_rate;
	b->last = mono_ms();
	return b;
}

static bool
collect_take_token(struct collect *co, struct collect_call *cc)
{
	struct collect_bucket	*b;
	double			 rate = (double)co->v->conf->api_rate;
	int64_t			 now = mono_ms();

	b = collect_bucket(co, cc->job->account, cc->op->model->service);
	b->tokens += (double)(now - b->last) * rate / 1000.0;
	if (b->tokens > 2.0 * rate)
		b->tokens = 2.0 * rate;
	b->last = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static void	collect_call_done(struct aws_response *, void *);
static void	collect_list_page(struct aws_response *, void *);

static void
collect_call_send(struct collect *co, struct collect_call *cc)
{
	json_t	*params = cc->params;

	cc->params = NULL;
	TAILQ_INSERT_TAIL(&co->calls, cc, entry);
	co->api_calls++;
	if (cc->all_pages && cc->item == NULL && cc->job->ct != NULL &&
	    cc->job->ct->items != NULL)
		/* A listing: page by page, in the memory of one. */
		cc->call = aws_op_call_pages(cc->client, cc->op, params,
		    collect_list_page, collect_call_done, cc);
	else if (cc->all_pages)
		cc->call = aws_op_call_all(cc->client, cc->op, params,
		    collect_call_done, cc);
	else
		cc->call = aws_op_call(cc->client, cc->op, params,
		    collect_call_done, cc);
}

/* Send the calls whose buckets have tokens again. */
static void
collect_tokens(evutil_socket_t fd, short events, void *arg)
{
	struct collect		*co = arg;
	struct collect_call	*cc, *next;
	struct timeval		 tv = { 0, 50 * 1000 };

	for (cc = TAILQ_FIRST(&co->waiting); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, entry);
		if (!collect_take_token(co, cc))
			continue;
		TAILQ_REMOVE(&co->waiting, cc, entry);
		collect_call_send(co, cc);
	}
	if (!TAILQ_EMPTY(&co->waiting))
		evtimer_add(co->token_ev, &tv);
}

/* Make an API call for a job (item NULL) or an item's enrichment. */
static int
collect_call(struct collect_job *job, struct collect_item *item,
    const struct collect_enrich *en, json_t *elem, const char *region,
    const char *opname, json_t *params, bool all_pages, char **cause)
{
	struct collect		*co = job->co;
	struct collect_call	*cc;
	const struct aws_op	*op;
	struct timeval		 tv = { 0, 50 * 1000 };

	if ((op = aws_models_op(co->models, job->ct != NULL ?
	    job->ct->service : "ec2", opname, cause)) == NULL) {
		json_decref(params);
		return -1;
	}
	cc = xcalloc(1, sizeof *cc);
	cc->job = job;
	cc->item = item;
	cc->enrich = en;
	cc->elem = elem != NULL ? json_incref(elem) : NULL;
	cc->op = op;
	cc->params = params;
	cc->all_pages = all_pages;
	cc->client = collect_client(co, job->acct, region, op->model);
	if (item != NULL)
		item->pending++;
	if (collect_take_token(co, cc))
		collect_call_send(co, cc);
	else {
		TAILQ_INSERT_TAIL(&co->waiting, cc, entry);
		if (!evtimer_pending(co->token_ev, NULL))
			evtimer_add(co->token_ev, &tv);
	}
	return 0;
}

static bool
collect_code_in(const char *code, const char *list)
{
	const char	*p = list;
	size_t		 len;

	if (code == NULL || list == NULL)
		return false;
	len = strlen(code);
	while ((p = strstr(p, code)) != NULL) {
		if ((p == list || p[-1] == ',') &&
		    (p[len] == '\0' || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static void
collect_item_free(struct collect_item *it)
{
	json_decref(it->doc);
	free(it->id);
	free(it->arn);
	free(it->name);
	free(it->region);
	free(it->error);
	free(it);
}

static void
collect_item_ready(struct collect_item *it)
{
	struct collect	*co = it->job->co;
	const char	*policy = it->job->ct != NULL ? it->job->ct->policy :
	    NULL;
	json_t		*v, *parsed;

	if (policy != NULL && (v = collect_path_one(it->doc, policy)) !=
	    NULL && json_is_string(v) &&
	    (parsed = json_loads(json_string_value(v), 0, NULL)) != NULL)
		json_object_set_new(it->doc, "Policy", parsed);

	TAILQ_INSERT_TAIL(&co->ready, it, entry);
	if (!event_pending(co->commit_ev, EV_TIMEOUT, NULL))
		event_active(co->commit_ev, EV_TIMEOUT, 0);
}

/* S3's LocationConstraint as a region name. */
static const char *
collect_s3_region(const char *lc)
{
	if (lc == NULL || *lc == '\0')
		return "us-east-1";
	if (strcmp(lc, "EU") == 0)
		return "eu-west-1";
	return lc;
}

/*
 * CSV (RFC 4180: quoted fields, "" inside them, CRLF or LF) as an array of
 * objects keyed by the header's names; NULL when malformed.
 */
static json_t *
collect_csv(const char *p, size_t len)
{
	const char	*end = p + len;
	json_t		*rows, *header = NULL, *row = NULL;
	char		*f;		/* the field, unquoted */
	size_t		 flen, col = 0;
	bool		 eol;

	rows = json_array();
	f = xmalloc(len + 1);
	while (p < end) {
		flen = 0;
		if (*p == '"') {
			for (p++; p < end; p++) {
				if (*p == '"' && p + 1 < end && p[1] == '"')
					f[flen++] = *p++;
				else if (*p == '"')
					break;
				else
					f[flen++] = *p;
			}
			if (p++ >= end)
				goto bad;	/* no closing quote */
		} else {
			for (; p < end && *p != ',' && *p != '\n' &&
			    *p != '\r'; p++)
				f[flen++] = *p;
		}
		if (p < end && *p == '\r')
			p++;
		eol = p >= end || *p == '\n';
		if (p < end && *p != ',' && *p != '\n')
			goto bad;	/* text after a closing quote */
		p++;
		if (header == NULL) {
			if (row == NULL)
				row = json_array();
			json_array_append_new(row, json_stringn(f, flen));
			if (eol) {
				header = row;
				row = NULL;
			}
			continue;
		}
		if (row == NULL) {
			row = json_object();
			col = 0;
		}
		if (col >= json_array_size(header))
			goto bad;
		json_object_set_new(row, json_string_value(json_array_get(
		    header, col++)), json_stringn(f, flen));
		if (eol) {
			if (col != json_array_size(header))
				goto bad;
			json_array_append_new(rows, row);
			row = NULL;
		}
	}
	if (row != NULL)
		goto bad;
	json_decref(header);
	free(f);
	return rows;
bad:
	json_decref(row);
	json_decref(header);
	json_decref(rows);
	free(f);
	return NULL;
}

/* ENRICH_CSV: the answer's base64 Content becomes its Rows. */
static int
collect_csv_content(json_t *v)
{
	const char	*b64;
	char		*csv;
	size_t		 len;
	json_t		*rows;

	if ((b64 = json_string_value(json_object_get(v, "Content"))) == NULL)
		return -1;
	if ((csv = aws_base64_decode(b64, strlen(b64), &len)) == NULL)
		return -1;
	rows = collect_csv(csv, len);
	free(csv);
	if (rows == NULL)
		return -1;
	json_object_del(v, "Content");
	json_object_set_new(v, "Rows", rows);
	return 0;
}

static void
collect_enrich_done(struct collect_call *cc, struct aws_response *r)
{
	struct collect_item		*it = cc->item;
	const struct collect_enrich	*en = cc->enrich;
	json_t				*v = NULL, *parsed;
	json_error_t			 jerr;

	if (r->error != NULL && collect_code_in(r->error_code, en->absent)) {
		v = json_null();
		it->later |= (en->flags & ENRICH_LATER) != 0;
	}
	else if (r->error != NULL) {
		/* The document goes on without this key; say so. */
		it->job->co->api_errors++;
		if (it->error == NULL)
			it->error = xprintf("%s: %s", en->key, r->error);
		if (collect_code_in(r->error_code, it->job->ct->not_found))
			it->gone = true;
	} else {
		v = en->result != NULL ? collect_path_one(r->body, en->result) :
		    r->body;
		v = v != NULL ? json_incref(v) : json_null();
		if ((en->flags & ENRICH_JSON_STRING) && json_is_string(v)) {
			parsed = json_loads(json_string_value(v), 0, &jerr);
			if (parsed != NULL) {
				json_decref(v);
				v = parsed;
			}
		}
		if ((en->flags & ENRICH_CSV) && json_is_object(v) &&
		    collect_csv_content(v) != 0 && it->error == NULL)
			it->error = xprintf("%s: the report is not CSV in "
			    "base64", en->key);
		if (en->flags & ENRICH_REGION) {
			const char *reg = collect_s3_region(json_string_value(
			    v));
			json_decref(v);
			v = json_string(reg);
			free(it->region);
			it->region = xstrdup(reg);
		}
	}
	if (v != NULL)
		json_object_set_new(cc->elem != NULL ? cc->elem : it->doc,
		    en->key, v);
}

static void
collect_item_finish(struct collect_item *it)
{
	if (--it->pending > 0)
		return;
	collect_item_next(it);
}

/* One call per element of a list in the document (each access key). */
static void
collect_item_each(struct collect_item *it, const struct collect_enrich *en)
{
	json_t	**elems, *params;
	char	 *cause = NULL;
	size_t	  n, i;

	n = collect_path(it->doc, en->each, &elems);
	for (i = 0; i < n; i++) {
		if (!json_is_object(elems[i]))
			continue;
		params = collect_template(en->params, elems[i], it->id,
		    it->name, it->arn, it->region, it->job->account, &cause);
		if (params == NULL || collect_call(it->job, it, en, elems[i],
		    it->region, en->op, params, false, &cause) != 0) {
			if (it->error == NULL)
				it->error = xprintf("%s: %s", en->key, cause);
			free(cause);
			cause = NULL;
		}
	}
	free(elems);
}

/*
 * Begin the item's next enrichments: the one that tells the region alone
 * and first, then all the others at once.
 */
static void
collect_item_next(struct collect_item *it)
{
	struct collect_job		*job = it->job;
	const struct collect_type	*ct = job->ct;
	const struct collect_enrich	*en;
	json_t				*params;
	char				*cause = NULL;

	it->pending++;	/* hold it while starting calls */
	while (it->next < ct->nenrich && !it->gone) {
		en = &ct->enrich[it->next];
		if ((en->flags & (ENRICH_REGION | ENRICH_PER_ITEM)) &&
		    it->pending > 1)
			break;	/* wait for what runs before it */
		it->next++;
		if (en->flags & ENRICH_PER_ITEM) {
			collect_item_each(it, en);
			continue;
		}
		params = collect_template(en->params, it->doc, it->id, it->name,
		    it->arn, it->region, job->account, &cause);
		if (params == NULL || collect_call(job, it, en, NULL,
		    it->region, en->op, params, false, &cause) != 0) {
			if (it->error == NULL)
				it->error = xprintf("%s: %s", en->key, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (en->flags & ENRICH_REGION)
			break;	/* the rest goes to the bucket's region */
	}
	if (--it->pending == 0 && (it->next >= ct->nenrich || it->gone))
		collect_item_ready(it);
}

/* The asset's name and ARN, from the document as far as it goes. */
static void
collect_item_label(struct collect_item *it)
{
	const struct collect_type	*ct = it->job->ct;
	json_t				*v, **tags;
	char				*cause = NULL;
	size_t				 i, n;

	if (it->name == NULL && ct->name != NULL &&
	    strncmp(ct->name, "tag:", 4) == 0) {
		n = collect_path(it->doc, "Tags[*]", &tags);
		for (i = 0; i < n && it->name == NULL; i++) {
			const char *k = json_string_value(json_object_get(
			    tags[i], "Key"));
			v = json_object_get(tags[i], "Value");
			if (k != NULL && strcmp(k, ct->name + 4) == 0 &&
			    json_is_string(v))
				it->name = xstrdup(json_string_value(v));
		}
		free(tags);
	} else if (it->name == NULL && ct->name != NULL &&
	    (v = collect_path_one(it->doc, ct->name)) != NULL &&
	    json_is_string(v))
		it->name = xstrdup(json_string_value(v));
	if (it->arn == NULL && ct->arn != NULL &&
	    strncmp(ct->arn, "arn:", 4) == 0)
		it->arn = collect_expand(ct->arn, it->doc, it->id, it->name,
		    NULL, it->job->region, it->job->account, &cause);
	else if (it->arn == NULL && ct->arn != NULL &&
	    (v = collect_path_one(it->doc, ct->arn)) != NULL &&
	    json_is_string(v))
		it->arn = xstrdup(json_string_value(v));
	free(cause);
}

/* A listed or described element: start assembling it. */
static void
collect_item_new(struct collect_job *job, json_t *elem)
{
	const struct collect_type	*ct = job->ct;
	struct collect_item		*it;
	json_t				*v, *params;
	char				*cause = NULL;

	it = xcalloc(1, sizeof *it);
	it->job = job;
	it->region = xstrdup(job->region);
	job->items++;
	if (json_is_string(elem)) {
		/* Only an id ("Id" of the answer's "Ids"): describe it. */
		it->id = xstrdup(json_string_value(elem));
		it->doc = json_object();
		if (ct->id != NULL && strpbrk(ct->id, ".[") == NULL)
			json_object_set(it->doc, ct->id, elem);
	} else {
		it->doc = json_is_object(elem) ? json_deep_copy(elem) :
		    json_object();
		json_object_del(it->doc, "ResponseMetadata");
		if (ct->id == NULL)
			it->id = xstrdup(ct->scope == COLLECT_GLOBAL ?
			    job->account : job->region);
		else if ((v = collect_path_one(it->doc, ct->id)) != NULL &&
		    json_is_string(v))
			it->id = xstrdup(json_string_value(v));
	}
	if (it->id == NULL) {
		log_warnx("collect %s: an item without %s; left out", ct->type,
		    ct->id);
		job->items--;
		collect_item_free(it);
		return;
	}
	if (json_is_string(elem) && ct->get_op != NULL) {
		/* Its document comes with the describe; then the rest. */
		params = collect_template(ct->get_params, it->doc, it->id,
		    NULL, NULL, it->region, job->account, &cause);
		it->pending++;
		if (params == NULL || collect_call(job, it, NULL, NULL,
		    it->region, ct->get_op, params, false, &cause) != 0) {
			it->error = xprintf("%s: %s", ct->get_op, cause);
			free(cause);
			collect_item_finish(it);
		} else
			it->pending--;	/* the call holds it now */
		return;
	}
	collect_item_label(it);
	collect_item_next(it);
}

static void
collect_job_error(struct collect_job *job, const char *error)
{
	const char	*what;
	char		*key;

	job->failed = true;
	free(job->error);
	job->error = xstrdup(error);
	what = job->kind == JOB_ORG ? "organization" :
	    job->kind == JOB_REGIONS ? "regions" : job->ct->type;
	key = xprintf("%s/%s/%s", job->account, job->region, what);
	json_object_set_new(job->co->failures, key, json_string(error));
	free(key);
	log_warnx("collect: %s %s %s: %s", job->account, job->region, what,
	    error);
	metrics_add(M_ERRORS, "api", 1);
}

static void
collect_list_done(struct collect_job *job, struct aws_response *r)
{
	const struct collect_type	*ct = job->ct;
	json_t				*doc;

	if (r->error != NULL && ct->items == NULL &&
	    collect_code_in(r->error_code, ct->absent)) {
		doc = json_object();	/* a singleton not set */
		collect_item_new(job, doc);
		json_decref(doc);
	} else if (r->error != NULL) {
		if (job->kind == JOB_REFRESH && !job->relist &&
		    collect_code_in(r->error_code, ct->not_found))
			collect_item_gone(job);
		else
			collect_job_error(job, r->error);
	} else if (job->kind == JOB_REFRESH && !job->relist &&
	    ct->get_op != NULL) {
		doc = ct->get_result != NULL ?
		    collect_path_one(r->body, ct->get_result) : r->body;
		if (doc == NULL || !json_is_object(doc))
			collect_item_gone(job);
		else {
			/* Answers that do not repeat the id (SQS, GuardDuty). */
			doc = json_deep_copy(doc);
			if (ct->id != NULL && strpbrk(ct->id, ".[") == NULL &&
			    json_object_get(doc, ct->id) == NULL)
				json_object_set_new(doc, ct->id, json_string(
				    job->refresh.resource_id));
			collect_item_new(job, doc);
			json_decref(doc);
		}
	} else if (ct->items == NULL)
		collect_item_new(job, r->body);
	else if (job->kind == JOB_REFRESH && !job->relist && !job->found)
		collect_item_gone(job);	/* every page listed, not it */
	job->listed = true;
	collect_job_check(job);
}

/* A page of a listing: its items are assembled at once. */
static void
collect_list_page(struct aws_response *r, void *arg)
{
	struct collect_call		*cc = arg;
	struct collect_job		*job = cc->job;
	const struct collect_type	*ct = job->ct;
	json_t				**items, *e, *id;
	size_t				  n, i, j;

	n = collect_path(r->body, ct->items, &items);
	for (i = 0; i < n; i++) {
		if (!json_is_array(items[i])) {
			job->found = true;
			collect_item_new(job, items[i]);
			continue;
		}
		json_array_foreach(items[i], j, e) {
			/* A refresh lists them all: it picks its own. */
			id = ct->id != NULL ? collect_path_one(e, ct->id) : e;
			if (job->kind == JOB_REFRESH && !job->relist &&
			    (!json_is_string(id) ||
			    strcmp(json_string_value(id),
			    job->refresh.resource_id) != 0))
				continue;
			job->found = true;
			collect_item_new(job, e);
		}
	}
	free(items);
}

static void
collect_call_done(struct aws_response *r, void *arg)
{
	struct collect_call	*cc = arg;
	struct collect		*co = cc->job->co;
	struct collect_item	*it = cc->item;
	struct collect_job	*job = cc->job;

	TAILQ_REMOVE(&co->calls, cc, entry);
	if (r->error != NULL)
		co->api_errors++;
	if (cc->enrich != NULL) {
		collect_enrich_done(cc, r);
		json_decref(cc->elem);
		free(cc);
		collect_item_finish(it);
		return;
	}
	free(cc);
	if (it != NULL) {
		/* The describe of an item listed by id. */
		json_t *doc;

		if (r->error != NULL) {
			if (collect_code_in(r->error_code, job->ct->not_found))
				it->gone = true;
			else if (it->error == NULL)
				it->error = xstrdup(r->error);
		} else if ((doc = job->ct->get_result != NULL ?
		    collect_path_one(r->body, job->ct->get_result) :
		    r->body) != NULL) {
			json_object_update(it->doc, doc);
			json_object_del(it->doc, "ResponseMetadata");
		}
		collect_item_label(it);
		collect_item_finish(it);
		return;
	}
	collect_list_done(job, r);
}

static void
collect_job_free(struct collect_job *job)
{
	refresh_row_clear(&job->refresh);
	free(job->account);
	free(job->region);
	free(job->error);
	free(job);
}

/* Assets of this type that take their region from an enrichment. */
static bool
collect_own_region(const struct collect_type *ct)
{
	return ct->nenrich > 0 && (ct->enrich[0].flags & ENRICH_REGION);
}

/*
 * The region a sweep job's assets are stored under: its own, "" for global
 * types, NULL (any) for global listings of regional assets (S3).
 */
static const char *
collect_sweep_region(const struct collect_job *job)
{
	if (job->ct == NULL || job->ct->scope != COLLECT_GLOBAL)
		return job->region;
	return collect_own_region(job->ct) ? NULL : "";
}

/* The refreshed asset is gone: an item that says so. */
static void
collect_item_gone(struct collect_job *job)
{
	struct collect_item	*it;

	it = xcalloc(1, sizeof *it);
	it->job = job;
	it->id = xstrdup(job->refresh.resource_id);
	it->region = xstrdup(job->region);
	it->doc = json_object();
	it->gone = true;
	job->items++;
	collect_item_ready(it);
}

/*
 * A sweep that saw some account, region or type for the first time is
 * over: the channels that kept quiet about what it found send their
 * summary now.
 */
static void
collect_initial_sweep_end(struct collect *co)
{
	struct store	*st = co->v->store;
	char		*cause = NULL;

	if (store_begin(st, &cause) == 0) {
		if (notify_sweep_end(co->v->notify, st, &cause) == 0 &&
		    store_commit(st, &cause) == 0) {
			notify_kick(co->v->notify);
			return;
		}
		store_rollback(st);
	}
	log_warnx("initial sweep: cannot close the summaries: %s", cause);
	metrics_add(M_ERRORS, "collect", 1);
	free(cause);
}

/*
 * Is the sweep over: every job done, and no account still learning its
 * regions or its organization's members (which add jobs)?
 */
static void
collect_sweep_check(struct collect *co)
{
	if (co->sweep_finished >= co->sweep_started ||
	    co->sweep_jobs_done < co->sweep_jobs || !TAILQ_EMPTY(&co->learning))
		return;
	co->sweep_finished = now_ms();
	log_info("sweep done: %zu jobs, %llu new, %llu changed, %llu deleted "
	    "assets", co->sweep_jobs, (unsigned long long)co->assets_new,
	    (unsigned long long)co->assets_changed,
	    (unsigned long long)co->assets_deleted);
	if (co->sweep_initial)
		collect_initial_sweep_end(co);
}

/* Is the job over: listed, and every item committed? */
static void
collect_job_check(struct collect_job *job)
{
	struct collect		*co = job->co;
	struct asset_key	 k, done;
	struct asset_change	 ch;
	struct eval_asset	 ea;
	struct eval_cause	 ec;
	int64_t			*gone = NULL;
	size_t			 ngone = 0, i;
	char			*cause = NULL;
	json_t			*a;

	if (!job->listed || job->items > 0)
		return;
	TAILQ_REMOVE(&co->running, job, entry);
	if (job->kind == JOB_SWEEP)
		co->nrunning_sweeps--;
	else
		co->nrunning_refreshes--;

	memset(&k, 0, sizeof k);
	k.provider = "aws";
	k.account = job->account;
	k.region = collect_sweep_region(job);
	k.type = job->ct != NULL ? job->ct->type : "";
	memset(&ch, 0, sizeof ch);
	ch.time = now_ms();
	memset(&ec, 0, sizeof ec);
	ec.time = ch.time;

	if ((job->kind == JOB_SWEEP || job->relist) && !job->failed) {
		/* What the sweep (or the listing) did not find is gone. */
		ch.sweep = job->gen;
		ch.cause = job->relist ? "event" : "sweep";
		ch.event_id = job->refresh.event_id;
		ch.actor = job->refresh.actor;
		ec.event_id = job->refresh.event_id;
		ec.event_name = job->refresh.event_name;
		ec.actor = job->refresh.actor;
		ec.initial_sweep = job->initial;
		done = k;
		if (done.region == NULL)
			done.region = "";
		if (store_begin(co->v->store, &cause) == 0 &&
		    store_assets_sweep_end(co->v->store, &k, &ch, &gone,
		    &ngone, &cause) >= 0 &&
		    store_sweep_done(co->v->store, &done, ch.time,
		    (int64_t)job->seen, &cause) == 0 && (!job->relist ||
		    store_refresh_done(co->v->store, &job->refresh,
		    &cause) == 0)) {
			for (i = 0; i < ngone && cause == NULL; i++) {
				if ((a = store_asset_get(co->v->store, gone[i],
				    &cause)) == NULL)
					break;
				eval_asset_of(&ea, gone[i], a);
				eval_asset_deleted(co->v->eval, &ea, &ec,
				    &cause);
				json_decref(a);
			}
			if (cause == NULL &&
			    store_commit(co->v->store, &cause) == 0) {
				co->assets_deleted += ngone;
				eval_committed(co->v->eval);
			}
		}
		if (cause != NULL)
			store_rollback(co->v->store);	/* if still open */
		free(gone);
		if (cause != NULL) {
			collect_job_error(job, cause);
			free(cause);
		} else {
			char *key = xprintf("%s/%s/%s", job->account,
			    job->region, job->ct->type);
			json_object_del(co->failures, key);
			free(key);
		}
	}
	if (job->relist) {
		/* Failed, it is not tried again: the next sweep will do. */
		if (job->failed && store_refresh_done(co->v->store,
		    &job->refresh, &cause) != 0) {
			log_warnx("collect: %s", cause);
			free(cause);
		}
		co->refreshes_done++;
	}
	if (job->kind == JOB_SWEEP)
		co->sweep_jobs_done++;
	collect_job_free(job);
	collect_sweep_check(co);
	collect_schedule(co);
}

/* An asset whose enrichment is not ready yet: describe it again soon. */
static int
collect_later(struct collect *co, const struct asset_key *k, char **cause)
{
	struct refresh_row	 r;

	memset(&r, 0, sizeof r);
	r.account = (char *)(uintptr_t)k->account;
	r.region = (char *)(uintptr_t)k->region;
	r.type = (char *)(uintptr_t)k->type;
	r.resource_id = (char *)(uintptr_t)k->resource_id;
	r.action = (char *)(uintptr_t)"refresh";
	r.queued_at = now_ms();
	r.due_at = r.queued_at + COLLECT_LATER_MS;
	co->later = true;
	return store_refresh_enqueue(co->v->store, &r, cause);
}

/* Commit the assets assembled in this loop iteration. */
static void
collect_commit(evutil_socket_t fd, short events, void *arg)
{
	struct collect		*co = arg;
	struct store		*st = co->v->store;
	struct collect_item	*it;
	struct collect_job	*job;
	struct asset_key	 k;
	struct asset_change	 ch;
	struct eval_asset	 ea;
	struct eval_cause	 ec;
	enum asset_result	 res = ASSET_SAME;
	TAILQ_HEAD(, collect_item) batch;
	int64_t			 id, *deps = NULL;
	size_t			 ndeps = 0, i;
	char			*cause = NULL;
	bool			 ok, deleted;
	json_t			*a;

	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &co->ready, entry);
	ok = store_begin(st, &cause) == 0;
	TAILQ_FOREACH(it, &batch, entry) {
		if (!ok)
			break;
		job = it->job;
		memset(&k, 0, sizeof k);
		k.provider = "aws";
		k.account = job->account;
		k.region = job->ct->scope == COLLECT_GLOBAL &&
		    !collect_own_region(job->ct) ? "" : it->region;
		k.type = job->ct->type;
		k.resource_id = it->id;
		memset(&ch, 0, sizeof ch);
		ch.time = now_ms();
		ch.sweep = job->kind == JOB_SWEEP || job->relist ? job->gen : 0;
		ch.cause = job->kind == JOB_SWEEP ? "sweep" : "event";
		ch.event_id = job->refresh.event_id;
		ch.actor = job->refresh.actor;
		memset(&ec, 0, sizeof ec);
		ec.time = ch.time;
		ec.event_id = job->refresh.event_id;
		ec.event_name = job->refresh.event_name;
		ec.actor = job->refresh.actor;
		ec.initial_sweep = job->initial;
		memset(&ea, 0, sizeof ea);
		ea.type = k.type;
		ea.resource_id = it->id;
		ea.arn = it->arn;
		ea.name = it->name;
		ea.account = k.account;
		ea.region = k.region;
		ea.doc = it->doc;
		if (it->gone) {
			ok = store_asset_delete(st, &k, &ch, &deleted, &id,
			    &cause) == 0;
			if (ok && deleted) {
				co->assets_deleted++;
				ea.id = id;
				ok = eval_asset_deleted(co->v->eval, &ea, &ec,
				    &cause) == 0;
			}
		} else {
			if (it->error != NULL)
				log_debug("collect %s %s: %s", k.type, it->id,
				    it->error);
			ok = store_asset_put(st, &k, it->arn, it->name, it->doc,
			    &ch, &res, &id, &cause) == 0;
			if (ok && res != ASSET_SAME) {
				if (res == ASSET_NEW)
					co->assets_new++;
				else
					co->assets_changed++;
				ea.id = id;
				ok = eval_asset(co->v->eval, &ea, &ec,
				    &cause) == 0;
			} else if (ok)
				co->assets_same++;
		}
		/* The assets that read this one are evaluated again. */
		if (ok && (it->gone || res != ASSET_SAME) &&
		    (ok = store_dependents(st, &k, &deps, &ndeps,
		    &cause) == 0)) {
			for (i = 0; i < ndeps && ok; i++) {
				if ((a = store_asset_get(st, deps[i],
				    &cause)) == NULL) {
					ok = cause == NULL;
					continue;
				}
				eval_asset_of(&ea, deps[i], a);
				if (json_is_null(json_object_get(a,
				    "deleted_at")))
					ok = eval_asset(co->v->eval, &ea, &ec,
					    &cause) == 0;
				json_decref(a);
			}
			free(deps);
			deps = NULL;
		}
		if (ok && job->kind == JOB_REFRESH && !job->relist)
			ok = store_refresh_done(st, &job->refresh, &cause) == 0;
		if (ok && it->later)
			ok = collect_later(co, &k, &cause) == 0;
		job->seen++;
	}
	if (ok)
		ok = store_commit(st, &cause) == 0;
	else
		store_rollback(st);
	if (ok)
		eval_committed(co->v->eval);
	if (ok && co->later)
		collect_kick(co);
	co->later = false;
	if (!ok) {
		metrics_add(M_ERRORS, "database", 1);
		log_warnx("collect: commit failed: %s", cause);
		free(cause);
	}
	while ((it = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, it, entry);
		job = it->job;
		if (!ok)
			job->failed = true;
		if (job->kind == JOB_REFRESH && !job->relist && ok)
			co->refreshes_done++;
		collect_item_free(it);
		job->items--;
		collect_job_check(job);
	}
}

/* Start a job's first call. */
static void
collect_job_start(struct collect_job *job)
{
	const struct collect_type	*ct = job->ct;
	struct collect			*co = job->co;
	const char			*op = ct->list_op, *tmpl;
	json_t				*params;
	char				*cause = NULL;
	bool				 all = true;

	TAILQ_INSERT_TAIL(&co->running, job, entry);
	if (job->kind == JOB_SWEEP)
		co->nrunning_sweeps++;
	else
		co->nrunning_refreshes++;
	tmpl = ct->list_params;
	if (job->kind == JOB_REFRESH && ct->get_op != NULL && !job->relist) {
		op = ct->get_op;
		tmpl = ct->get_params;
		all = false;
	}
	params = collect_template(tmpl, NULL, job->refresh.resource_id, NULL,
	    NULL, job->region, job->account, &cause);
	if (params == NULL || collect_call(job, NULL, NULL, NULL, job->region,
	    op, params, all, &cause) != 0) {
		collect_job_error(job, cause);
		free(cause);
		job->listed = true;
		collect_job_check(job);
	}
}

/* Start waiting jobs: refreshes first, sweeps a few at a time. */
static void
collect_run(evutil_socket_t fd, short events, void *arg)
{
	struct collect		*co = arg;
	struct collect_job	*job, *next;

	for (job = TAILQ_FIRST(&co->queue); job != NULL; job = next) {
		next = TAILQ_NEXT(job, entry);
		if (job->kind == JOB_SWEEP &&
		    co->nrunning_sweeps >= COLLECT_JOBS)
			continue;
		if (job->kind == JOB_REFRESH &&
		    co->nrunning_refreshes >= COLLECT_REFRESHES)
			continue;
		TAILQ_REMOVE(&co->queue, job, entry);
		collect_job_start(job);
	}
}

static void
collect_schedule(struct collect *co)
{
	if (!event_pending(co->schedule_ev, EV_TIMEOUT, NULL))
		event_active(co->schedule_ev, EV_TIMEOUT, 0);
}

static struct collect_job *
collect_job_new(struct collect *co, enum job_kind kind, struct account *a,
    const char *region, const struct collect_type *ct)
{
	struct collect_job	*job;

	job = xcalloc(1, sizeof *job);
	job->co = co;
	job->kind = kind;
	job->acct = a;
	job->account = xstrdup(account_id(a));
	job->region = xstrdup(region);
	job->ct = ct;
	return job;
}

/* The regions to sweep in an account (configured, or all enabled). */
static const struct strlist *
collect_account_regions(struct collect *co, struct account *a)
{
	const struct account_conf	*ac = account_conf(a);
	size_t				 i;

	if (!(ac->regions.n == 1 && strcmp(ac->regions.v[0], "all") == 0))
		return &ac->regions;
	for (i = 0; i < co->nregions; i++) {
		if (strcmp(co->regions[i].account, account_id(a)) == 0)
			return &co->regions[i].regions;
	}
	return NULL;
}

/* An account's regions: its sweep can begin. */
static void
collect_regions_learned(struct collect_job *job, struct aws_response *r)
{
	struct collect		*co = job->co;
	struct collect_regions	*cr;
	json_t			**names;
	size_t			 n, i;

	co->regions = xreallocarray(co->regions, co->nregions + 1,
	    sizeof *co->regions);
	cr = &co->regions[co->nregions++];
	memset(cr, 0, sizeof *cr);
	cr->account = xstrdup(job->account);
	n = collect_path(r->body, "Regions[*].RegionName", &names);
	for (i = 0; i < n; i++)
		strlist_add(&cr->regions, json_string_value(names[i]));
	free(names);
	log_info("account %s: %zu regions enabled", job->account, n);
	collect_sweep_account(co, job->acct, job->ct, &cr->regions);
}

/* The organization's accounts: the active ones are watched and swept. */
static void
collect_org_learned(struct collect_job *job, struct aws_response *r)
{
	struct collect		*co = job->co;
	struct account		*m;
	json_t			**accts;
	const char		*id, *state;
	size_t			 n, i, nactive = 0, nnew = 0;
	bool			 added;

	n = collect_path(r->body, "Accounts[*]", &accts);
	for (i = 0; i < n; i++) {
		id = json_string_value(json_object_get(accts[i], "Id"));
		/* State (2025) replaces Status; both say ACTIVE. */
		if ((state = json_string_value(json_object_get(accts[i],
		    "State"))) == NULL)
			state = json_string_value(json_object_get(accts[i],
			    "Status"));
		if (id == NULL || state == NULL || strcmp(state, "ACTIVE") != 0)
			continue;
		nactive++;
		m = account_member(co->v, job->acct, id, json_string_value(
		    json_object_get(accts[i], "Name")), &added);
		if (m != NULL && added) {
			nnew++;
			collect_sweep_start(co, m, NULL);
		}
	}
	free(accts);
	account_members_seen(co->v, job->acct, job->started);
	log_info("organization of %s: %zu active account%s, %zu newly "
	    "watched", job->account, nactive, nactive == 1 ? "" : "s", nnew);
}

static void
collect_learned(struct aws_response *r, void *arg)
{
	struct collect_job	*job = arg;
	struct collect		*co = job->co;

	TAILQ_REMOVE(&co->learning, job, entry);
	if (r->error != NULL)
		collect_job_error(job, r->error);
	else if (job->kind == JOB_ORG)
		collect_org_learned(job, r);
	else
		collect_regions_learned(job, r);
	collect_job_free(job);
	collect_sweep_check(co);
	collect_schedule(co);
}

/*
 * What a sweep learns before it can go on (an account's regions, an
 * organization's members): one call, every page, for job.
 */
static void
collect_learn(struct collect_job *job, const char *service,
    const char *opname)
{
	struct collect		*co = job->co;
	const struct aws_op	*op;
	char			*cause = NULL;

	if ((op = aws_models_op(co->models, service, opname, &cause)) == NULL) {
		collect_job_error(job, cause);
		free(cause);
		collect_job_free(job);
		return;
	}
	TAILQ_INSERT_TAIL(&co->learning, job, entry);
	job->call = aws_op_call_all(collect_client(co, job->acct, job->region,
	    op->model), op, json_object(), collect_learned, job);
}

/* List the accounts of the organization a manages. */
static void
collect_org_start(struct collect *co, struct account *a)
{
	struct collect_job	*job;

	job = collect_job_new(co, JOB_ORG, a, "us-east-1", NULL);
	job->started = now_ms();
	collect_learn(job, "organizations", "ListAccounts");
}

/* Queue the sweep jobs of one account: every type (or ct) it collects. */
static void
collect_sweep_account(struct collect *co, struct account *a,
    const struct collect_type *only, const struct strlist *regions)
{
	const struct collect_type	*ct;
	struct collect_job		*job;
	struct asset_key		 k;
	size_t				 j, t;

	for (t = 0; t < collect_aws_ntypes; t++) {
		ct = &collect_aws_types[t];
		if ((only != NULL && ct != only) ||
		    !account_collects(account_conf(a), ct->type))
			continue;
		for (j = 0; j < regions->n; j++) {
			if (ct->scope == COLLECT_GLOBAL && j > 0)
				break;
			job = collect_job_new(co, JOB_SWEEP, a,
			    ct->scope == COLLECT_GLOBAL ?
			    (strncmp(regions->v[0], "cn-", 3) == 0 ?
			    "cn-north-1" : "us-east-1") : regions->v[j], ct);
			job->gen = co->sweep_gen;
			memset(&k, 0, sizeof k);
			k.account = job->account;
			k.region = ct->scope == COLLECT_GLOBAL ? "" :
			    job->region;
			k.type = ct->type;
			job->initial = !store_sweep_known(co->v->store, &k);
			co->sweep_initial |= job->initial;
			TAILQ_INSERT_TAIL(&co->queue, job, entry);
			co->sweep_jobs++;
		}
	}
}

/*
 * Sweep one account: an organization's management account lists its
 * members too (a whole sweep only), an account whose regions are "all"
 * learns them first.
 */
static void
collect_sweep_start(struct collect *co, struct account *a,
    const struct collect_type *only)
{
	const struct strlist	*regions;
	struct collect_job	*job;

	if (account_conf(a)->organization && only == NULL)
		collect_org_start(co, a);
	if ((regions = collect_account_regions(co, a)) != NULL) {
		collect_sweep_account(co, a, only, regions);
		return;
	}
	job = collect_job_new(co, JOB_REGIONS, a,
	    account_conf(a)->sts_region != NULL ?
	    account_conf(a)->sts_region : "us-east-1", only);
	collect_learn(job, "ec2", "DescribeRegions");
}

/* Queue a sweep of every type (or one) in every account (or one). */
void
collect_sweep(struct collect *co, const char *account, const char *type)
{
	struct vigil			*v = co->v;
	const struct collect_type	*only = NULL;
	size_t				 i;

	if (type != NULL && (only = collect_type_find(type)) == NULL)
		return;
	if (co->sweep_finished >= co->sweep_started) {
		co->sweep_gen = now_ms();
		co->sweep_started = co->sweep_gen;
		co->sweep_jobs = co->sweep_jobs_done = 0;
		co->sweep_initial = false;
	}
	for (i = 0; i < v->naccounts; i++) {
		if ((account == NULL || strcmp(account,
		    account_id(v->accounts[i])) == 0) &&
		    !account_left(v->accounts[i]))
			collect_sweep_start(co, v->accounts[i], only);
	}
	collect_sweep_check(co);
	collect_schedule(co);
}

static bool
collect_same_refresh(const struct collect_job *job, const struct refresh_row *r)
{
	return job->kind == JOB_REFRESH &&
	    strcmp(job->refresh.account, r->account) == 0 &&
	    strcmp(job->refresh.region, r->region) == 0 &&
	    strcmp(job->refresh.type, r->type) == 0 &&
	    strcmp(job->refresh.resource_id, r->resource_id) == 0;
}

/* Is this refresh already queued or running? */
static bool
collect_refresh_busy(struct collect *co, const struct refresh_row *r)
{
	struct collect_job	*job;

	TAILQ_FOREACH(job, &co->queue, entry) {
		if (collect_same_refresh(job, r))
			return true;
	}
	TAILQ_FOREACH(job, &co->running, entry) {
		if (collect_same_refresh(job, r))
			return true;
	}
	return false;
}

/* Take the refreshes that are due into jobs; wake when the next is. */
static void
collect_refresh_cb(evutil_socket_t fd, short events, void *arg)
{
	struct collect			*co = arg;
	struct refresh_row		*rows = NULL;
	const struct collect_type	*ct;
	struct collect_job		*job;
	struct account			*a;
	struct timeval			 tv;
	char				*cause = NULL;
	size_t				 n = 0, i;
	int64_t				 next, now = now_ms();

	if (store_refreshes_due(co->v->store, now, 256, &rows, &n,
	    &cause) != 0) {
		log_warnx("collect: %s", cause);
		free(cause);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (collect_refresh_busy(co, &rows[i]) ||
		    (a = account_find(co->v, rows[i].account)) == NULL ||
		    (ct = collect_type_find(rows[i].type)) == NULL) {
			refresh_row_clear(&rows[i]);
			continue;
		}
		job = collect_job_new(co, JOB_REFRESH, a, *rows[i].region !=
		    '\0' ? rows[i].region : "us-east-1", ct);
		job->refresh = rows[i];
		if (strcmp(job->refresh.resource_id, "*") == 0) {
			/* Every asset of the type in the region, listed. */
			job->relist = true;
			job->gen = now_ms();
		}
		if (strcmp(job->refresh.action, "delete") == 0) {
			/* The event says it is gone: no describe needed. */
			TAILQ_INSERT_TAIL(&co->running, job, entry);
			co->nrunning_refreshes++;
			job->listed = true;
			collect_item_gone(job);
			continue;
		}
		TAILQ_INSERT_HEAD(&co->queue, job, entry);
	}
	free(rows);
	collect_schedule(co);
	if ((next = store_refresh_next(co->v->store)) > now) {
		tv.tv_sec = (time_t)((next - now) / 1000);
		tv.tv_usec = (suseconds_t)((next - now) % 1000) * 1000;
		evtimer_add(co->refresh_ev, &tv);
	}
}

/*
 * Every second: refreshes are due and no timer waits for them (a kick
 * missed)?  Arm it.  Cheap: the index on due_at answers.
 */
void
collect_watch(struct collect *co)
{
	if (co != NULL && !evtimer_pending(co->refresh_ev, NULL))
		collect_kick(co);
}

/* Refreshes were queued (an event committed): look at them. */
void
collect_kick(struct collect *co)
{
	struct timeval	 tv;
	int64_t		 next, now = now_ms();

	if ((next = store_refresh_next(co->v->store)) == 0)
		return;
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(co->refresh_ev, &tv);
}

struct collect *
collect_new(struct vigil *v)
{
	struct collect	*co;

	co = xcalloc(1, sizeof *co);
	co->v = v;
	co->models = aws_models_new(v->conf->aws_models);
	co->failures = json_object();
	TAILQ_INIT(&co->queue);
	TAILQ_INIT(&co->running);
	TAILQ_INIT(&co->learning);
	TAILQ_INIT(&co->waiting);
	TAILQ_INIT(&co->calls);
	TAILQ_INIT(&co->ready);
	co->commit_ev = event_new(v->base, -1, 0, collect_commit, co);
	co->schedule_ev = event_new(v->base, -1, 0, collect_run, co);
	co->token_ev = evtimer_new(v->base, collect_tokens, co);
	co->refresh_ev = evtimer_new(v->base, collect_refresh_cb, co);
	if (co->commit_ev == NULL || co->schedule_ev == NULL ||
	    co->token_ev == NULL || co->refresh_ev == NULL)
		fatalx("event_new: out of memory");
	return co;
}

bool
collect_idle(struct collect *co)
{
	return TAILQ_EMPTY(&co->queue) && TAILQ_EMPTY(&co->running) &&
	    TAILQ_EMPTY(&co->learning) && TAILQ_EMPTY(&co->ready);
}

/* A call that will not complete, and its item if it was the last. */
static void
collect_call_drop(struct collect_call *cc)
{
	if (cc->item != NULL && --cc->item->pending == 0)
		collect_item_free(cc->item);
	json_decref(cc->elem);
	free(cc);
}

void
collect_free(struct collect *co)
{
	struct collect_call	*cc;
	struct collect_job	*job;
	struct collect_item	*it;
	size_t			 i;

	if (co == NULL)
		return;
	/* An item being assembled lives only in its calls. */
	while ((cc = TAILQ_FIRST(&co->calls)) != NULL) {
		TAILQ_REMOVE(&co->calls, cc, entry);
		aws_call_cancel(cc->call);
		collect_call_drop(cc);
	}
	while ((cc = TAILQ_FIRST(&co->waiting)) != NULL) {
		TAILQ_REMOVE(&co->waiting, cc, entry);
		json_decref(cc->params);
		collect_call_drop(cc);
	}
	while ((it = TAILQ_FIRST(&co->ready)) != NULL) {
		TAILQ_REMOVE(&co->ready, it, entry);
		collect_item_free(it);
	}
	while ((job = TAILQ_FIRST(&co->queue)) != NULL) {
		TAILQ_REMOVE(&co->queue, job, entry);
		collect_job_free(job);
	}
	while ((job = TAILQ_FIRST(&co->running)) != NULL) {
		TAILQ_REMOVE(&co->running, job, entry);
		collect_job_free(job);
	}
	while ((job = TAILQ_FIRST(&co->learning)) != NULL) {
		TAILQ_REMOVE(&co->learning, job, entry);
		aws_call_cancel(job->call);
		collect_job_free(job);
	}
	for (i = 0; i < co->nclients; i++) {
		free(co->clients[i].key);
		aws_client_free(co->clients[i].client);
	}
	free(co->clients);
	for (i = 0; i < co->nbuckets; i++)
		free(co->buckets[i].key);
	free(co->buckets);
	for (i = 0; i < co->nregions; i++) {
		free(co->regions[i].account);
		strlist_clear(&co->regions[i].regions);
	}
	free(co->regions);
	json_decref(co->failures);
	aws_models_free(co->models);
	event_free(co->commit_ev);
	event_free(co->schedule_ev);
	event_free(co->token_ev);
	event_free(co->refresh_ev);
	free(co);
}

json_t *
collect_status(struct collect *co)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:O}",
	    "state", !collect_idle(co) ? "working" : "idle",
	    "sweep_jobs", (json_int_t)co->sweep_jobs,
	    "sweep_jobs_done", (json_int_t)co->sweep_jobs_done,
	    "queued_refreshes", (json_int_t)store_refresh_count(co->v->store),
	    "refreshes_done", (json_int_t)co->refreshes_done,
	    "api_calls", (json_int_t)co->api_calls,
	    "api_errors", (json_int_t)co->api_errors,
	    "assets_new", (json_int_t)co->assets_new,
	    "assets_changed", (json_int_t)co->assets_changed,
	    "assets_unchanged", (json_int_t)co->assets_same,
	    "assets_deleted", (json_int_t)co->assets_deleted,
	    "failures", co->failures);
	if (co->sweep_started != 0) {
		t = time_iso8601(co->sweep_started);
		json_object_set_new(o, "sweep_started", json_string(t));
		free(t);
	}
	if (co->sweep_finished >= co->sweep_started && co->sweep_finished) {
		t = time_iso8601(co->sweep_finished);
		json_object_set_new(o, "sweep_finished", json_string(t));
		free(t);
	}
	return o;
}
