/*
 * pipeline.c: from feed messages to committed change events.
 *
 * A message is unwrapped into change events (envelope.c); S3 objects it
 * announces (CloudTrail log files of an organisation trail) are fetched by
 * its feed and unwrapped in turn.  Messages that are ready wait for the next
 * commit: every ready message of one loop iteration goes into one SQLite
 * transaction (events, the message marked done, dead letters), and only
 * after COMMIT is each message given back to its feed to be acknowledged.
 * A commit that fails acknowledges nothing: the messages come again.
 *
 * A message already committed (its acknowledgement was lost to a crash) is
 * recognised by its feed message id and acknowledged without being
 * processed again; events are keyed by their provider id, so even a message
 * processed twice stores each event once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "account.h"
#include "change.h"
#include "collect.h"
#include "envelope.h"
#include "evmap.h"
#include "feed.h"
#include "vigild.h"

#define PIPELINE_MAX_LOG_BYTES	(512 * 1024 * 1024)	/* gunzipped */

struct pipeline {
	struct vigil		*v;
	TAILQ_HEAD(, msg)	 working;	/* parsing, fetching */
	TAILQ_HEAD(, msg)	 ready;		/* waiting for the commit */
	size_t			 nworking;
	size_t			 nready;
	size_t			 ncommitting;	/* being given back */
	struct event		*commit_ev;

	uint64_t		 commits;
	uint64_t		 refreshes;	/* asked of the inventory */
	uint64_t		 commit_failures;
	int64_t			 last_commit_ms;
	char			*last_error;
};

struct msg *
msg_new(struct feed *f, const char *id, const char *body, size_t len)
{
	struct msg	*m;

	m = xcalloc(1, sizeof *m);
	m->feed = f;
	m->id = xstrdup(id);
	if (body != NULL) {
		m->body = xmalloc(len + 1);
		memcpy(m->body, body, len);
		m->body[len] = '\0';
		m->len = len;
	}
	m->received_ms = now_ms();
	m->received_mono = mono_ms();
	m->receive_count = 1;
	return m;
}

void
msg_free(struct msg *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nevents; i++)
		change_free(m->events[i]);
	free(m->events);
	free(m->id);
	free(m->body);
	free(m->dead_reason);
	free(m->retry_reason);
	free(m);
}


static void
pipeline_schedule_commit(struct pipeline *p)
{
	if (!event_pending(p->commit_ev, EV_TIMEOUT, NULL))
		event_active(p->commit_ev, EV_TIMEOUT, 0);
}

static void
pipeline_ready(struct pipeline *p, struct msg *m)
{
	TAILQ_REMOVE(&p->working, m, entry);
	p->nworking--;
	TAILQ_INSERT_TAIL(&p->ready, m, entry);
	p->nready++;
	pipeline_schedule_commit(p);
}

static void
msg_add_events(struct msg *m, struct envelope_result *res)
{
	size_t	 i;

	if (res->nevents == 0)
		return;
	m->events = xreallocarray(m->events, m->nevents + res->nevents,
	    sizeof *m->events);
	for (i = 0; i < res->nevents; i++)
		m->events[m->nevents++] = res->events[i];
	free(res->events);
	res->events = NULL;
	res->nevents = 0;
}

/* A feed fetched (or failed to fetch) an object a message announced. */
void
pipeline_fetched(struct pipeline *p, struct msg *m, const char *what,
    const char *body, size_t len, const char *error)
{
	struct envelope_result	 res;
	char			*cause = NULL;

	if (error != NULL) {
		if (m->retry_reason == NULL)
			m->retry_reason = xprintf("%s: %s", what, error);
	} else if (envelope_parse(body, len, PIPELINE_MAX_LOG_BYTES, &res,
	    &cause) != 0) {
		if (m->dead_reason == NULL)
			m->dead_reason = xprintf("%s: %s", what, cause);
		free(cause);
	} else {
		if (res.nrefs > 0)
			log_warnx("feed %s: %s announces further objects; "
			    "ignored", m->feed->name, what);
		msg_add_events(m, &res);
		envelope_result_free(&res);
	}
	if (--m->pending == 0)
		pipeline_ready(p, m);
}

/*
 * Take a message from a feed.  It comes back to the feed through its ack
 * (committed or dead-lettered) or nack (try again later) function.
 */
void
pipeline_submit(struct pipeline *p, struct msg *m)
{
	struct vigil		*v = p->v;
	struct envelope_result	 res;
	struct feed		*f = m->feed;
	char			*cause = NULL, *what;
	bool			 seen = false;
	size_t			 i;

	f->received++;
	f->in_flight++;
	f->last_message_ms = m->received_ms;
	if (m->sent_ms != 0)
		f->lag_ms = m->received_ms - m->sent_ms;
	TAILQ_INSERT_TAIL(&p->working, m, entry);
	p->nworking++;

	if (store_message_seen(v->store, f->name, m->id, &seen, &cause) != 0) {
		m->retry_reason = cause;
		pipeline_ready(p, m);
		return;
	}
	if (seen) {
		m->duplicate = true;
		pipeline_ready(p, m);
		return;
	}
	if (m->body == NULL || m->dead_reason != NULL) {
		/* The feed parsed it already, or knows it is bad. */
		pipeline_ready(p, m);
		return;
	}
	if (envelope_parse(m->body, m->len, PIPELINE_MAX_LOG_BYTES, &res,
	    &cause) != 0) {
		m->dead_reason = cause;
		metrics_add(M_ERRORS, "message", 1);
		log_warnx("feed %s: message %s: %s", f->name, m->id, cause);
		pipeline_ready(p, m);
		return;
	}
	msg_add_events(m, &res);
	if (res.nrefs > 0 && f->conf->backend->fetch == NULL) {
		m->dead_reason = xprintf("it announces %zu S3 object%s, which "
		    "a %s feed cannot fetch", res.nrefs,
		    res.nrefs == 1 ? "" : "s", f->conf->type);
	} else {
		/* Count them all first: a fetch may complete at once. */
		m->pending = (int)res.nrefs + 1;
		for (i = 0; i < res.nrefs; i++) {
			what = xprintf("s3://%s/%s", res.refs[i].bucket,
			    res.refs[i].key);
			f->conf->backend->fetch(f, m, &res.refs[i], what);
			free(what);
		}
		m->pending--;
	}
	envelope_result_free(&res);
	if (m->pending == 0)
		pipeline_ready(p, m);
}

static bool
pipeline_keep_event(struct vigil *v, const struct change_event *ev)
{
	if (ev->read_only && !v->conf->events_read_only) {
		metrics_add(M_EVENTS_PROCESSED, "skipped_read_only", 1);
		return false;
	}
	if (ev->error_code != NULL && !v->conf->events_failed) {
		metrics_add(M_EVENTS_PROCESSED, "skipped_failed", 1);
		return false;
	}
	return true;
}

/*
 * The assets an event changed are to be described again: queued in the
 * event's own transaction, so that a crash loses no refresh.  Only for the
 * accounts vigil watches.
 */
static int
pipeline_refreshes(struct pipeline *p, const struct change_event *ev,
    char **cause)
{
	struct vigil			*v = p->v;
	const struct collect_type	*ct;
	struct account			*a;
	struct evmap_ref		*refs = NULL;
	struct refresh_row		 r;
	size_t				 n, i;
	int64_t				 now = now_ms();
	int				 rc = 0;

	if (v->evmap == NULL || ev->account == NULL ||
	    (a = account_find(v, ev->account)) == NULL)
		return 0;
	n = evmap_resolve(v->evmap, ev, &refs);
	for (i = 0; i < n && rc == 0; i++) {
		if ((ct = collect_type_find(refs[i].type)) == NULL ||
		    !account_collects(account_conf(a), ct->type))
			continue;
		memset(&r, 0, sizeof r);
		r.account = (char *)(uintptr_t)ev->account;
		r.region = (char *)(uintptr_t)(ct->scope == COLLECT_GLOBAL &&
		    !(ct->nenrich > 0 && (ct->enrich[0].flags &
		    ENRICH_REGION)) ? "" : ev->region != NULL ? ev->region :
		    "");
		r.type = refs[i].type;
		r.resource_id = refs[i].id;
		r.action = (char *)(uintptr_t)(refs[i].delete ? "delete" :
		    "refresh");
		r.event_id = ev->id;
		r.event_name = ev->name;
		r.actor = ev->actor.arn != NULL ? ev->actor.arn :
		    ev->actor.invoked_by;
		r.queued_at = now;
		r.due_at = now + v->conf->refresh_delay;
		rc = store_refresh_enqueue(v->store, &r, cause);
		p->refreshes++;
	}
	evmap_refs_free(refs, n);
	return rc;
}

/* Is the message dead: it can never be processed, or it kept failing? */
static const char *
pipeline_dead_reason(struct msg *m)
{
	if (m->dead_reason != NULL)
		return m->dead_reason;
	if (m->retry_reason != NULL &&
	    m->receive_count >= m->feed->v->conf->poison_receive_count)
		return m->retry_reason;
	return NULL;
}

/* Write one message's effects; within the caller's transaction. */
static int
pipeline_write(struct pipeline *p, struct msg *m, char **cause)
{
	struct vigil	*v = p->v;
	const char	*dead;
	bool		 inserted;
	size_t		 i;
	int		 stored = 0;

	if (m->duplicate)
		return 0;
	if ((dead = pipeline_dead_reason(m)) != NULL) {
		if (store_dead_letter_put(v->store, m->feed->name, m->id,
		    m->received_ms, m->receive_count, dead, m->body, m->len,
		    cause) != 0)
			return -1;
		if (m->feed->leave_dead)
			return 0;	/* the queue's redrive policy takes it */
		return store_message_done(v->store, m->feed->name, m->id,
		    now_ms(), 0, cause);
	}
	if (m->retry_reason != NULL)
		return 0;
	for (i = 0; i < m->nevents; i++) {
		if (!pipeline_keep_event(v, m->events[i]))
			continue;
		if (store_event_put(v->store, m->events[i], m->feed->name,
		    m->received_ms, &inserted, cause) != 0)
			return -1;
		metrics_add(M_EVENTS_PROCESSED, inserted ? "stored" :
		    "duplicate", 1);
		stored += inserted;
		if (inserted && pipeline_refreshes(p, m->events[i],
		    cause) != 0)
			return -1;
	}
	m->feed->events += (uint64_t)stored;
	return store_message_done(v->store, m->feed->name, m->id, now_ms(),
	    stored, cause);
}

/* After the commit: each message goes back to its feed. */
static void
pipeline_release(struct pipeline *p, struct msg *m, bool committed)
{
	struct feed	*f = m->feed;
	const char	*dead = pipeline_dead_reason(m);
	double		 secs;

	f->in_flight--;
	if (m->duplicate) {
		f->duplicates++;
		f->acked++;
		f->conf->backend->ack(f, m);
		return;
	}
	if (!committed || (dead == NULL && m->retry_reason != NULL) ||
	    (dead != NULL && f->leave_dead)) {
		if (committed && dead != NULL)
			log_warnx("feed %s: message %s kept in dead_letters "
			    "and left in the queue: %s", f->name, m->id, dead);
		else if (committed)
			log_warnx("feed %s: message %s (delivery %d): %s; it "
			    "will come again", f->name, m->id,
			    m->receive_count, m->retry_reason);
		f->retried++;
		f->conf->backend->nack(f, m);
		return;
	}
	if (dead != NULL) {
		log_warnx("feed %s: message %s kept in dead_letters: %s",
		    f->name, m->id, dead);
		f->dead++;
	}
	f->committed++;
	secs = (double)(mono_ms() - m->received_mono) / 1000.0;
	metrics_observe(M_PROCESSING_SECONDS, NULL, secs);
	if (m->sent_ms != 0)
		metrics_set(M_FEED_LAG, f->name,
		    (double)(m->received_ms - m->sent_ms) / 1000.0);
	f->acked++;
	f->conf->backend->ack(f, m);
}

/*
 * Commit every ready message in one transaction, then give each back to
 * its feed.  The batch is taken off the ready queue first: what a feed
 * submits while being given its messages back waits for the next commit.
 */
static void
pipeline_commit(evutil_socket_t fd, short events, void *arg)
{
	struct pipeline		*p = arg;
	struct vigil		*v = p->v;
	struct msg		*m;
	TAILQ_HEAD(, msg)	 batch;
	size_t			 n = p->nready;
	char			*cause = NULL;
	bool			 ok;

	if (TAILQ_EMPTY(&p->ready))
		return;
	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &p->ready, entry);
	p->nready = 0;
	p->ncommitting = n;

	ok = store_begin(v->store, &cause) == 0;
	TAILQ_FOREACH(m, &batch, entry) {
		if (!ok)
			break;
		ok = pipeline_write(p, m, &cause) == 0;
	}
	if (ok)
		ok = store_commit(v->store, &cause) == 0;
	else
		store_rollback(v->store);

	if (ok) {
		p->commits++;
		p->last_commit_ms = now_ms();
		if (v->collect != NULL)
			collect_kick(v->collect);
	} else {
		/* Nothing is acknowledged: the messages will come again. */
		p->commit_failures++;
		metrics_add(M_ERRORS, "database", 1);
		log_warnx("commit failed, %zu message%s will come again: %s",
		    n, n == 1 ? "" : "s", cause);
		free(p->last_error);
		p->last_error = cause;
		cause = NULL;
	}
	while ((m = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, m, entry);
		p->ncommitting--;
		pipeline_release(p, m, ok);
	}
	free(cause);
}

struct pipeline *
pipeline_new(struct vigil *v)
{
	struct pipeline	*p;

	p = xcalloc(1, sizeof *p);
	p->v = v;
	TAILQ_INIT(&p->working);
	TAILQ_INIT(&p->ready);
	p->commit_ev = event_new(v->base, -1, 0, pipeline_commit, p);
	if (p->commit_ev == NULL)
		fatalx("event_new: out of memory");
	return p;
}

/* Messages still in flight are dropped: they were never acknowledged. */
void
pipeline_free(struct pipeline *p)
{
	struct msg	*m;

	if (p == NULL)
		return;
	while ((m = TAILQ_FIRST(&p->working)) != NULL) {
		TAILQ_REMOVE(&p->working, m, entry);
		msg_free(m);
	}
	while ((m = TAILQ_FIRST(&p->ready)) != NULL) {
		TAILQ_REMOVE(&p->ready, m, entry);
		msg_free(m);
	}
	event_free(p->commit_ev);
	free(p->last_error);
	free(p);
}

size_t
pipeline_in_flight(struct pipeline *p)
{
	return p->nworking + p->nready + p->ncommitting;
}

json_t *
pipeline_status(struct pipeline *p)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "refreshes_queued", (json_int_t)p->refreshes,
	    "working", (json_int_t)p->nworking,
	    "ready", (json_int_t)p->nready,
	    "commits", (json_int_t)p->commits,
	    "commit_failures", (json_int_t)p->commit_failures);
	if (p->last_commit_ms != 0) {
		t = time_iso8601(p->last_commit_ms);
		json_object_set_new(o, "last_commit", json_string(t));
		free(t);
	}
	if (p->last_error != NULL)
		json_object_set_new(o, "last_error",
		    json_string(p->last_error));
	return o;
}
