/*
 * eval.c: rules meet assets.  When an asset is new or its document
 * changed, every rule for its type is evaluated, in the transaction that
 * stores the change; the violation's life follows: opened (or excepted,
 * under an exception) when the condition turns true, seen again while it
 * stays true, resolved when it turns false or the asset is deleted.  Every
 * transition is written to the violation's timeline and handed to the
 * notifier in the same transaction.
 *
 * An evaluation reads related assets (an instance's security groups, the
 * account's public access block) through the store; what it read is
 * recorded, so that when one of those changes, the assets that read it are
 * evaluated again, and nothing else.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "eval.h"
#include "rule.h"
#include "vigild.h"

struct eval {
	struct vigil		*v;
	struct ruleset		*rules;
	eval_emit_cb		 emit;
	void			*emit_arg;
	void			 (*after_commit)(void *);
	struct event		*reeval_ev;
	int64_t			 reeval_after;	/* asset id cursor */
	bool			 reevaluating;
	uint64_t		 evaluations;
	uint64_t		 opened;
	uint64_t		 resolved;
	uint64_t		 errors;
};

struct eval_lookup {
	struct store		*st;
	char			*error;
};

static json_t *
eval_lookup_get(void *arg, const char *type, const char *id,
    const char *account, const char *region)
{
	struct eval_lookup	*l = arg;
	char			*cause = NULL;
	json_t			*doc;

	doc = store_asset_lookup(l->st, type, id, account, region, &cause);
	if (cause != NULL) {
		if (l->error == NULL)
			l->error = cause;
		else
			free(cause);
	}
	return doc;
}

static void	eval_all_chunk(evutil_socket_t, short, void *);

/*
 * emit hands a transition on (the notifier's outbox) within the
 * transaction; after_commit is told when a transaction of the evaluator's
 * own (a re-evaluation chunk) committed.
 */
struct eval *
eval_new(struct vigil *v, eval_emit_cb emit, void (*after_commit)(void *),
    void *arg)
{
	struct eval	*e;

	e = xcalloc(1, sizeof *e);
	e->v = v;
	e->emit = emit;
	e->after_commit = after_commit;
	e->emit_arg = arg;
	if ((e->reeval_ev = evtimer_new(v->base, eval_all_chunk, e)) == NULL)
		fatalx("evtimer_new: out of memory");
	return e;
}

void
eval_free(struct eval *e)
{
	if (e == NULL)
		return;
	event_free(e->reeval_ev);
	ruleset_free(e->rules);
	free(e);
}

/* An asset row of the store (store_asset_get), borrowed, to evaluate. */
void
eval_asset_of(struct eval_asset *ea, int64_t id, const json_t *a)
{
	memset(ea, 0, sizeof *ea);
	ea->id = id;
	ea->type = json_string_value(json_object_get(a, "type"));
	ea->resource_id = json_string_value(json_object_get(a,
	    "resource_id"));
	ea->arn = json_string_value(json_object_get(a, "arn"));
	ea->name = json_string_value(json_object_get(a, "name"));
	ea->account = json_string_value(json_object_get(a, "account"));
	ea->region = json_string_value(json_object_get(a, "region"));
	ea->doc = json_object_get(a, "document");
}

/* The caller's transaction that evaluated assets committed. */
void
eval_committed(struct eval *e)
{
	if (e->after_commit != NULL)
		e->after_commit(e->emit_arg);
}

bool
eval_busy(struct eval *e)
{
	return e->reevaluating;
}

/* Take a new ruleset (the old one is freed). */
void
eval_set_rules(struct eval *e, struct ruleset *rs)
{
	ruleset_free(e->rules);
	e->rules = rs;
}

struct ruleset *
eval_rules(struct eval *e)
{
	return e->rules;
}

/* An AWS-style tag list ([{Key, Value}]) or a map, as a map. */
static json_t *
eval_tags(const json_t *doc)
{
	json_t	*tags, *t, *out;
	size_t	 i;

	if ((tags = json_object_get(doc, "Tags")) == NULL &&
	    (tags = json_object_get(doc, "TagList")) == NULL &&
	    (tags = json_object_get(doc, "tags")) == NULL)
		return json_object();
	if (json_is_object(tags))
		return json_deep_copy(tags);
	out = json_object();
	json_array_foreach(tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));
		json_t *val = json_object_get(t, "Value");

		if (k != NULL)
			json_object_set(out, k, val != NULL ? val :
			    json_null());
	}
	return out;
}

/* Could a live exception cover a violation of this rule? */
static bool
eval_exception_rule(const struct exception_row *ex, size_t nex,
    const char *rule_id)
{
	size_t	 i;

	for (i = 0; i < nex; i++) {
		if (fnmatch(ex[i].rule_pattern, rule_id, 0) == 0)
			return true;
	}
	return false;
}

/* Does a live exception cover this violation?  Its id, or 0. */
static int64_t
eval_exception(const struct exception_row *ex, size_t nex,
    const char *rule_id, const struct eval_asset *a, const json_t *tags)
{
	const char	*tv;
	size_t		 i;

	for (i = 0; i < nex; i++) {
		if (fnmatch(ex[i].rule_pattern, rule_id, 0) != 0)
			continue;
		if (fnmatch(ex[i].asset_pattern, a->resource_id, 0) != 0 &&
		    (a->arn == NULL ||
		    fnmatch(ex[i].asset_pattern, a->arn, 0) != 0) &&
		    (a->name == NULL ||
		    fnmatch(ex[i].asset_pattern, a->name, 0) != 0))
			continue;
		if (ex[i].account != NULL &&
		    strcmp(ex[i].account, a->account) != 0)
			continue;
		if (ex[i].tag_key != NULL) {
			tv = json_string_value(json_object_get(tags,
			    ex[i].tag_key));
			if (tv == NULL || (ex[i].tag_value != NULL &&
			    strcmp(tv, ex[i].tag_value) != 0))
				continue;
		}
		return ex[i].id;
	}
	return 0;
}

/*
 * A transition, as the notifier sees it (vigil.notification/1, described
 * in vigild.yaml(5)): the violation's state is read back from the store,
 * within the transaction that made it.  NULL with *cause on error.
 */
static json_t *
eval_transition(struct eval *e, const char *transition, int64_t id,
    int64_t occurrence, const struct rule *r, const struct eval_asset *a,
    const json_t *tags, const json_t *evidence, const struct eval_cause *c,
    char **cause)
{
	json_t	*o, *fw, *refs, *st, *v;
	char	*t, *key;
	size_t	 i, j;

	if ((st = store_violation_state(e->v->store, id, cause)) == NULL) {
		if (*cause == NULL)
			*cause = xprintf("violation %lld vanished",
			    (long long)id);
		return NULL;
	}
	t = time_iso8601(c->time);
	key = xprintf("v%lld.o%lld.%s", (long long)id, (long long)occurrence,
	    transition);
	fw = json_object();
	for (i = 0; i < r->nframeworks; i++) {
		json_t *ctl = json_array();
		for (j = 0; j < r->frameworks[i].ncontrols; j++)
			json_array_append_new(ctl,
			    json_string(r->frameworks[i].controls[j]));
		json_object_set_new(fw, r->frameworks[i].name, ctl);
	}
	refs = json_array();
	for (i = 0; i < r->nreferences; i++)
		json_array_append_new(refs, json_string(r->references[i]));
	v = json_pack("{s:I, s:I, s:O*}", "id", (json_int_t)id, "occurrence",
	    (json_int_t)occurrence, "evidence", evidence);
	json_object_update_missing(v, st);
	json_object_del(v, "exception");
	o = json_pack("{s:s, s:s, s:s, s:o, "
	    "s:{s:s, s:s, s:s?, s:s, s:o, s:s?, s:o}, "
	    "s:{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:O}, s:O}",
	    "schema", "vigil.notification/1",
	    "transition", transition,
	    "key", key,
	    "violation", v,
	    "rule",
	      "id", r->id,
	      "title", r->title,
	      "description", r->description,
	      "severity", rule_severity_name(r->severity),
	      "frameworks", fw,
	      "remediation", r->remediation,
	      "references", refs,
	    "asset",
	      "provider", "aws",
	      "type", a->type,
	      "id", a->resource_id,
	      "arn", a->arn,
	      "name", a->name,
	      "account", a->account,
	      "region", a->region,
	      "tags", tags,
	    "exception", json_object_get(st, "exception"));
	if (o == NULL)
		fatalx("json_pack: out of memory");
	if (c->event_id != NULL || c->actor != NULL)
		json_object_set_new(o, "cause", json_pack("{s:s?, s:s?, s:s?, "
		    "s:s}", "event_id", c->event_id, "event_name",
		    c->event_name, "actor", c->actor, "time", t));
	else
		json_object_set_new(o, "cause", json_null());
	json_decref(st);
	free(t);
	free(key);
	return o;
}

static int
eval_emit(struct eval *e, const char *transition, json_t *tr,
    const struct eval_cause *c, char **cause)
{
	int	 rc = 0;

	if (tr == NULL)
		return -1;	/* eval_transition said why */
	log_fields(LOG_LEVEL_INFO, NULL, "violation %s: %s on %s %s", transition,
	    json_string_value(json_object_get(json_object_get(tr, "rule"),
	    "id")), json_string_value(json_object_get(json_object_get(tr,
	    "asset"), "type")), json_string_value(json_object_get(
	    json_object_get(tr, "asset"), "id")));
	if (e->emit != NULL)
		rc = e->emit(e->emit_arg, tr, c->initial_sweep, cause);
	json_decref(tr);
	return rc;
}

/*
 * Evaluate every rule for an asset's type; record what changed.  Within
 * the caller's transaction.  The asset's document is borrowed.
 */
int
eval_asset(struct eval *e, const struct eval_asset *a,
    const struct eval_cause *c, char **cause)
{
	struct store		 *st = e->v->store;
	const struct rule *const *rules;
	struct rule_asset	  ra;
	struct rule_lookup	  lk;
	struct eval_lookup	  el;
	struct rule_result	  res;
	struct violation_row	  live;
	struct violation_open	  vo;
	struct exception_row	 *ex = NULL;
	struct dep		 *deps = NULL;
	json_t			 *tags;
	size_t			  nrules, i, j, nex = 0, ndeps = 0;
	int64_t			  id, occ, exc;
	bool			  found;
	int			  rc = -1;

	if (e->rules == NULL)
		return 0;
	rules = ruleset_for_type(e->rules, a->type, &nrules);
	if (nrules == 0)
		return 0;
	if (store_exceptions(st, false, c->time, &ex, &nex, cause) != 0)
		return -1;
	tags = eval_tags(a->doc);
	memset(&ra, 0, sizeof ra);
	ra.type = a->type;
	ra.id = a->resource_id;
	ra.account = a->account;
	ra.region = a->region;
	ra.doc = a->doc;
	memset(&el, 0, sizeof el);
	el.st = st;
	lk.get = eval_lookup_get;
	lk.ctx = &el;

	for (i = 0; i < nrules; i++) {
		const struct rule *r = rules[i];

		if (!r->enabled)
			continue;
		memset(&res, 0, sizeof res);
		rule_eval(r, &ra, &lk, c->time, &res);
		e->evaluations++;
		metrics_add(M_EVALUATIONS, NULL, 1);
		if (el.error != NULL) {
			*cause = el.error;
			el.error = NULL;
			rule_result_free(&res);
			goto out;
		}
		for (j = 0; j < res.ndeps; j++) {
			deps = xreallocarray(deps, ndeps + 1, sizeof *deps);
			deps[ndeps].type = xstrdup(res.deps[j].type);
			deps[ndeps].account = a->account;
			deps[ndeps].region = a->region;
			deps[ndeps].id = res.deps[j].id != NULL ?
			    xstrdup(res.deps[j].id) : NULL;
			ndeps++;
		}
		if (store_violation_live(st, r->id, a->id, &live, &found,
		    cause) != 0) {
			rule_result_free(&res);
			goto out;
		}
		if (res.violates && !found) {
			exc = eval_exception(ex, nex, r->id, a, tags);
			memset(&vo, 0, sizeof vo);
			vo.rule_id = r->id;
			vo.asset = a->id;
			vo.severity = rule_severity_name(r->severity);
			vo.evidence = res.evidence;
			vo.time = c->time;
			vo.event_id = c->event_id;
			vo.actor = c->actor;
			vo.exception = exc;
			if (store_violation_open(st, &vo, &id, &occ,
			    cause) != 0 ||
			    eval_emit(e, exc != 0 ? "excepted" : "open",
			    eval_transition(e, exc != 0 ? "excepted" : "open",
			    id, occ, r, a, tags, res.evidence, c, cause), c,
			    cause) != 0) {
				rule_result_free(&res);
				goto out;
			}
			e->opened++;
			if (exc == 0)
				metrics_add(M_VIOLATIONS_OPEN,
				    rule_severity_name(r->severity), 1);
		} else if (res.violates && found) {
			if (!json_equal(live.evidence, res.evidence) &&
			    store_violation_seen(st, live.id, res.evidence,
			    c->time, cause) != 0) {
				violation_row_clear(&live);
				rule_result_free(&res);
				goto out;
			}
		} else if (!res.violates && found) {
			if (store_violation_resolve(st, live.id, c->time,
			    c->event_id, c->actor, "condition false",
			    cause) != 0 ||
			    eval_emit(e, "resolve", eval_transition(e, "resolve",
			    live.id, live.occurrence, r, a, tags, res.evidence,
			    c, cause), c, cause) != 0) {
				violation_row_clear(&live);
				rule_result_free(&res);
				goto out;
			}
			e->resolved++;
			if (!live.excepted)
				metrics_add(M_VIOLATIONS_OPEN,
				    rule_severity_name(r->severity), -1);
		}
		violation_row_clear(&live);
		rule_result_free(&res);
	}
	rc = store_deps_replace(st, a->id, deps, ndeps, cause);
out:
	for (j = 0; j < ndeps; j++) {
		free((char *)(uintptr_t)deps[j].type);
		free((char *)(uintptr_t)deps[j].id);
	}
	free(deps);
	for (j = 0; j < nex; j++)
		exception_row_clear(&ex[j]);
	free(ex);
	json_decref(tags);
	if (rc != 0)
		e->errors++;
	return rc;
}

/* An asset is gone: each of its live violations is resolved. */
int
eval_asset_deleted(struct eval *e, const struct eval_asset *a,
    const struct eval_cause *c, char **cause)
{
	struct store		*st = e->v->store;
	struct violation_row	*rows = NULL;
	const struct rule	*r;
	json_t			*tags, *none;
	size_t			 n = 0, i;
	int			 rc = 0;

	if (store_violations_of_asset(st, a->id, &rows, &n, cause) != 0)
		return -1;
	tags = eval_tags(a->doc);
	none = json_array();
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_violation_resolve(st, rows[i].id, c->time,
		    c->event_id, c->actor, "asset deleted", cause);
		if (rc == 0 && e->rules != NULL &&
		    (r = ruleset_find(e->rules, rows[i].rule_id)) != NULL) {
			rc = eval_emit(e, "resolve", eval_transition(e, "resolve",
			    rows[i].id, rows[i].occurrence, r, a, tags, none,
			    c, cause), c, cause);
			if (rc == 0 && !rows[i].excepted)
				metrics_add(M_VIOLATIONS_OPEN,
				    rule_severity_name(r->severity), -1);
		}
		e->resolved++;
	}
	for (i = 0; i < n; i++)
		violation_row_clear(&rows[i]);
	free(rows);
	json_decref(none);
	json_decref(tags);
	return rc;
}

json_t *
eval_status(struct eval *e)
{
	return json_pack("{s:I, s:b, s:I, s:I, s:I, s:I}",
	    "rules", (json_int_t)(e->rules != NULL ?
	    ruleset_count(e->rules) : 0),
	    "reevaluating", e->reevaluating,
	    "evaluations", (json_int_t)e->evaluations,
	    "opened", (json_int_t)e->opened,
	    "resolved", (json_int_t)e->resolved,
	    "errors", (json_int_t)e->errors);
}

/*
 * Apply the live exceptions to the live violations: an open violation an
 * exception now covers becomes excepted; an excepted one whose exception
 * was removed or has expired is open again, and alerts.  Within the
 * caller's transaction.  Sets *next to the time the next exception expires
 * (0: none), for the caller's timer.
 */
int
eval_exceptions(struct eval *e, int64_t now, int64_t *next, char **cause)
{
	struct store		*st = e->v->store;
	struct violation_live	*live = NULL;
	struct exception_row	*ex = NULL;
	struct eval_asset	 ea;
	struct eval_cause	 c;
	const struct rule	*r;
	json_t			*a, *tags, *vj;
	size_t			 nlive = 0, nex = 0, i;
	int64_t			 exc;
	int			 rc = -1;
	const char		*transition;

	*next = 0;
	if (store_violations_live(st, &live, &nlive, cause) != 0 ||
	    store_exceptions(st, false, now, &ex, &nex, cause) != 0)
		goto out;
	for (i = 0; i < nex; i++) {
		if (ex[i].expires_at != 0 && (*next == 0 ||
		    ex[i].expires_at < *next))
			*next = ex[i].expires_at;
	}
	memset(&c, 0, sizeof c);
	c.time = now;
	for (i = 0; i < nlive; i++) {
		/*
		 * Most live violations are not excepted and no exception
		 * names their rule: nothing to read (at a million assets,
		 * reading every one held the loop for seconds).
		 */
		if (!live[i].excepted && !eval_exception_rule(ex, nex,
		    live[i].rule_id))
			continue;
		if ((a = store_asset_get(st, live[i].asset, cause)) == NULL) {
			if (*cause != NULL)
				goto out;
			continue;
		}
		eval_asset_of(&ea, live[i].asset, a);
		tags = eval_tags(ea.doc);
		exc = eval_exception(ex, nex, live[i].rule_id, &ea, tags);
		transition = NULL;
		if (!live[i].excepted && exc != 0)
			transition = "excepted";
		else if (live[i].excepted && exc == 0)
			transition = "exception_expired";
		else if (live[i].excepted && exc != live[i].exception) {
			/* Another exception covers it now: no news. */
			if (store_violation_except(st, live[i].id, exc, now,
			    "exception_changed", cause) != 0) {
				json_decref(tags);
				json_decref(a);
				goto out;
			}
		}
		if (transition != NULL) {
			if (store_violation_except(st, live[i].id, exc, now,
			    transition, cause) != 0 ||
			    (vj = store_violation_get(st, live[i].id,
			    cause)) == NULL) {
				json_decref(tags);
				json_decref(a);
				goto out;
			}
			if (e->rules != NULL && (r = ruleset_find(e->rules,
			    live[i].rule_id)) != NULL) {
				if (eval_emit(e, transition, eval_transition(
				    e, transition, live[i].id,
				    live[i].occurrence, r, &ea, tags,
				    json_object_get(vj, "evidence"), &c, cause),
				    &c, cause) != 0) {
					json_decref(vj);
					json_decref(tags);
					json_decref(a);
					goto out;
				}
				metrics_add(M_VIOLATIONS_OPEN,
				    rule_severity_name(r->severity), exc != 0 ?
				    -1 : 1);
			}
			json_decref(vj);
		}
		json_decref(tags);
		json_decref(a);
	}
	rc = 0;
out:
	for (i = 0; i < nlive; i++)
		free(live[i].rule_id);
	free(live);
	for (i = 0; i < nex; i++)
		exception_row_clear(&ex[i]);
	free(ex);
	return rc;
}

/*
 * Evaluate every asset again, after the rules changed: a chunk of assets
 * a loop iteration, so that live events go on meanwhile.  Violations of
 * rules that are gone are resolved first.
 */
#define EVAL_CHUNK	200

static void
eval_all_chunk(evutil_socket_t fd, short events, void *arg)
{
	struct eval		*e = arg;
	struct store		*st = e->v->store;
	struct violation_live	*live = NULL;
	struct eval_asset	 ea;
	struct eval_cause	 c;
	json_t			*a;
	int64_t			*ids = NULL;
	size_t			 n = 0, nlive = 0, i;
	char			*cause = NULL;
	bool			 ok;

	memset(&c, 0, sizeof c);
	c.time = now_ms();
	ok = store_begin(st, &cause) == 0;
	if (ok && e->reeval_after == 0) {
		ok = store_violations_live(st, &live, &nlive, &cause) == 0;
		for (i = 0; ok && i < nlive; i++) {
			if (e->rules != NULL &&
			    ruleset_find(e->rules, live[i].rule_id) != NULL)
				continue;
			ok = store_violation_resolve(st, live[i].id, c.time,
			    NULL, NULL, "rule removed", &cause) == 0;
		}
		for (i = 0; i < nlive; i++)
			free(live[i].rule_id);
		free(live);
	}
	if (ok)
		ok = store_asset_ids(st, e->reeval_after, EVAL_CHUNK, &ids, &n,
		    &cause) == 0;
	for (i = 0; ok && i < n; i++) {
		if ((a = store_asset_get(st, ids[i], &cause)) == NULL) {
			ok = cause == NULL;
			continue;
		}
		eval_asset_of(&ea, ids[i], a);
		ok = eval_asset(e, &ea, &c, &cause) == 0;
		json_decref(a);
		e->reeval_after = ids[i];
	}
	if (ok)
		ok = store_commit(st, &cause) == 0;
	else
		store_rollback(st);
	free(ids);
	if (!ok) {
		log_warnx("re-evaluation: %s; trying again", cause);
		free(cause);
		struct timeval tv = { 1, 0 };
		evtimer_add(e->reeval_ev, &tv);
		return;
	}
	eval_committed(e);
	if (n == EVAL_CHUNK) {
		event_active(e->reeval_ev, EV_TIMEOUT, 0);
		return;
	}
	log_info("re-evaluation of every asset done");
	e->reevaluating = false;
}

void
eval_all(struct eval *e)
{
	e->reeval_after = 0;
	e->reevaluating = true;
	if (!evtimer_pending(e->reeval_ev, NULL))
		event_active(e->reeval_ev, EV_TIMEOUT, 0);
}
