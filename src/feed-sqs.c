/*
 * feed-sqs.c: the aws-sqs feed.  Long-polls an SQS queue (where an
 * EventBridge rule delivers CloudTrail and AWS Config events), in the AWS
 * JSON 1.0 protocol or the query protocol, with several polls at once.
 *
 * A message is deleted only after the pipeline has committed its effects
 * (deletes are batched, ten to a DeleteMessageBatch).  While a message is
 * being worked on its visibility is extended, so that it does not come back
 * meanwhile.  A message handed back unacknowledged is left alone: it comes
 * back when its visibility timeout runs out.  When the endpoint fails the
 * feed backs off (exponentially, with jitter) and recovers by itself.
 *
 * S3 objects that messages announce (CloudTrail log files of an
 * organisation trail) are fetched here, with the same credentials.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "aws.h"
#include "envelope.h"
#include "feed.h"
#include "vigild.h"
#include "xml.h"

#define SQS_MAX_CONCURRENCY	16
#define SQS_BATCH		10	/* SQS's most per batch call */
#define SQS_BACKOFF_MIN_MS	1000
#define SQS_BACKOFF_MAX_MS	60000
#define SQS_EXTEND_EVERY_MS	5000
#define SQS_S3_MAX_BYTES	(256 * 1024 * 1024)

enum { SQS_PROTO_JSON, SQS_PROTO_QUERY };
enum { SQS_DEAD_STORE, SQS_DEAD_QUEUE };

struct sqs_conf {
	char	*queue_url;
	char	*region;
	int	 protocol;
	char	*endpoint;
	int64_t	 concurrency;
	int64_t	 wait_time;
	int64_t	 max_messages;
	int64_t	 visibility_timeout;
	int64_t	 max_in_flight;
	int	 dead_letters;
	char	*s3_endpoint;
	char	*s3_region;
};

#define OFF(f) offsetof(struct sqs_conf, f)
static const struct cfg_key sqs_keys[] = {
	{ "queue_url", CFG_STRING, OFF(queue_url), 0, 0, NULL, NULL,
	  CFG_REQUIRED, "The queue's URL." },
	{ "region", CFG_STRING, OFF(region), 0, 0, NULL, NULL, 0,
	  "The queue's region (default: from queue_url)." },
	{ "protocol", CFG_ENUM, OFF(protocol), 0, 0, "json", "json|query", 0,
	  "The SQS protocol: AWS JSON 1.0, or the query protocol." },
	{ "endpoint", CFG_STRING, OFF(endpoint), 0, 0, NULL, NULL, 0,
	  "The SQS endpoint URL (default: AWS_ENDPOINT_URL_SQS, "
	  "AWS_ENDPOINT_URL, or the region's)." },
	{ "concurrency", CFG_INT, OFF(concurrency), 1, SQS_MAX_CONCURRENCY,
	  "2", NULL, 0, "Long polls at once." },
	{ "wait_time", CFG_DURATION, OFF(wait_time), 0, 20, "20s", NULL, 0,
	  "How long a poll waits for messages (WaitTimeSeconds)." },
	{ "max_messages", CFG_INT, OFF(max_messages), 1, 10, "10", NULL, 0,
	  "Messages asked for in one poll." },
	{ "visibility_timeout", CFG_DURATION, OFF(visibility_timeout), 0,
	  43200, "0", NULL, 0,
	  "Visibility timeout asked for on receipt (0: the queue's own)." },
	{ "max_in_flight", CFG_INT, OFF(max_in_flight), 1, 100000, "1000",
	  NULL, 0,
	  "Messages received and not yet acknowledged before polling "
	  "pauses." },
	{ "dead_letters", CFG_ENUM, OFF(dead_letters), 0, 0, "store",
	  "store|queue", 0,
	  "A message that cannot be processed: store (keep it in vigil's "
	  "dead_letters, then delete it) or queue (keep it there too, but "
	  "leave it in the queue for its redrive policy)." },
	{ "s3_endpoint", CFG_STRING, OFF(s3_endpoint), 0, 0, NULL, NULL, 0,
	  "The S3 endpoint for CloudTrail log files that messages announce "
	  "(default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or the "
	  "region's)." },
	{ "s3_region", CFG_STRING, OFF(s3_region), 0, 0, NULL, NULL, 0,
	  "The log bucket's region, when notifications do not say "
	  "(default: the queue's)." },
};
#undef OFF

struct sqs_msg {
	TAILQ_ENTRY(sqs_msg)	 entry;
	struct msg		*m;
	char			*handle;
	int64_t			 extend_at;	/* mono ms */
};

struct sqs_delete {
	char	*handle;
};

struct sqs_feed;

struct sqs_poll {
	struct sqs_feed		*sf;
	struct aws_call		*call;		/* NULL: not polling */
};

/* A call in flight that is not a poll: deletes, extensions, fetches. */
struct sqs_pending {
	TAILQ_ENTRY(sqs_pending) entry;
	struct sqs_feed		*sf;
	struct aws_call		*call;
	struct msg		*m;		/* a fetch's message */
	char			*what;
	size_t			 n;		/* deletes in the batch */
};

struct sqs_s3 {
	char			*region;
	struct aws_client	*client;
};

struct sqs_feed {
	struct feed			*f;
	struct sqs_conf			*c;
	struct aws_client		*sqs;
	struct sqs_s3			*s3;
	size_t				 ns3;
	struct sqs_poll			 polls[SQS_MAX_CONCURRENCY];
	int64_t				 visibility_ms;	/* 0: not known yet */
	struct aws_call			*attrs_call;
	int64_t				 backoff_ms;
	struct event			*retry_ev;
	struct event			*flush_ev;
	struct event			*extend_ev;
	TAILQ_HEAD(, sqs_msg)		 msgs;		/* in the pipeline */
	struct sqs_delete		*deletes;	/* waiting for a batch */
	size_t				 ndeletes;
	TAILQ_HEAD(, sqs_pending)	 pending;

	uint64_t			 polls_done;
	uint64_t			 empty_polls;
	uint64_t			 deleted;
	uint64_t			 delete_failures;
	uint64_t			 extended;
	uint64_t			 bad_md5;
	uint64_t			 fetched;
};

static void	sqs_poll_start(struct sqs_feed *);
static void	sqs_learn_visibility(struct sqs_feed *);

/* sqs.REGION.amazonaws.com, REGION.queue.amazonaws.com (legacy). */
static char *
sqs_region_from_url(const char *url)
{
	const char	*h, *end, *dot;
	char		*host, *region = NULL;

	if ((h = strstr(url, "://")) == NULL)
		return NULL;
	h += 3;
	end = h + strcspn(h, ":/");
	host = xstrndup(h, (size_t)(end - h));
	if (strncmp(host, "sqs.", 4) == 0 &&
	    (dot = strchr(host + 4, '.')) != NULL)
		region = xstrndup(host + 4, (size_t)(dot - host - 4));
	else if ((dot = strstr(host, ".queue.amazonaws.com")) != NULL)
		region = xstrndup(host, (size_t)(dot - host));
	free(host);
	return region;
}

static int
sqs_check(struct feed_conf *fc, struct diags *d)
{
	struct sqs_conf	*c = fc->opts;
	const char	*u = c->queue_url;

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) {
		diag_add(d, fc->file, fc->line, fc->col, "feed %s: queue_url "
		    "'%s' is not an http(s) URL", fc->name, u);
		return -1;
	}
	if (c->region == NULL &&
	    (c->region = sqs_region_from_url(u)) == NULL) {
		diag_add(d, fc->file, fc->line, fc->col, "feed %s: cannot tell "
		    "the region from queue_url '%s'; set region", fc->name, u);
		return -1;
	}
	return 0;
}

static void
sqs_conf_free(void *opts)
{
	/* Every member is a key of sqs_keys, freed by the table. */
}

static void
sqs_pending_done(struct sqs_pending *p)
{
	TAILQ_REMOVE(&p->sf->pending, p, entry);
	free(p->what);
	free(p);
}

static struct sqs_pending *
sqs_pending_new(struct sqs_feed *sf)
{
	struct sqs_pending	*p;

	p = xcalloc(1, sizeof *p);
	p->sf = sf;
	TAILQ_INSERT_TAIL(&sf->pending, p, entry);
	return p;
}

/* The backoff grows with each failure, up to a minute, with jitter. */
static void
sqs_backoff(struct sqs_feed *sf)
{
	struct timeval	 tv;
	int64_t		 ms;

	sf->backoff_ms = sf->backoff_ms == 0 ? SQS_BACKOFF_MIN_MS :
	    sf->backoff_ms * 2;
	if (sf->backoff_ms > SQS_BACKOFF_MAX_MS)
		sf->backoff_ms = SQS_BACKOFF_MAX_MS;
	ms = sf->backoff_ms / 2 + (int64_t)(random() % (sf->backoff_ms / 2 + 1));
	feed_set_state(sf->f, FEED_BACKOFF);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(sf->retry_ev, &tv);
}

static const char *
sqs_attr(json_t *attrs, const char *name)
{
	json_t	*a;
	size_t	 i;

	if (json_is_object(attrs))
		return json_string_value(json_object_get(attrs, name));
	json_array_foreach(attrs, i, a) {
		const char *n = json_string_value(json_object_get(a, "Name"));
		if (n != NULL && strcmp(n, name) == 0)
			return json_string_value(json_object_get(a, "Value"));
	}
	return NULL;
}

static bool
sqs_md5_ok(const char *body, size_t len, const char *want)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int	 i;

	if (want == NULL)
		return true;
	if (!EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL))
		fatalx("EVP_Digest(MD5) failed");
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return strcasecmp(hex, want) == 0;
}

/* One received message into the pipeline. */
static void
sqs_take(struct sqs_feed *sf, json_t *jm)
{
	struct feed	*f = sf->f;
	struct sqs_msg	*sm;
	struct msg	*m;
	const char	*id, *handle, *body, *v, *why;
	json_t		*attrs;
	int64_t		 n;
	size_t		 len;

	id = json_string_value(json_object_get(jm, "MessageId"));
	handle = json_string_value(json_object_get(jm, "ReceiptHandle"));
	body = json_string_value(json_object_get(jm, "Body"));
	if (id == NULL || handle == NULL || body == NULL) {
		feed_error(f, "ReceiveMessage answer without MessageId, "
		    "ReceiptHandle or Body");
		return;
	}
	len = strlen(body);
	if (!sqs_md5_ok(body, len, json_string_value(json_object_get(jm,
	    "MD5OfBody")))) {
		/* Corrupted on the way: leave it, it comes again. */
		sf->bad_md5++;
		feed_error(f, "message %s: MD5OfBody does not match its body; "
		    "left to come again", id);
		return;
	}
	m = msg_new(f, id, body, len);
	if ((attrs = json_object_get(jm, "Attributes")) == NULL)
		attrs = json_object_get(jm, "Attribute");
	if ((v = sqs_attr(attrs, "ApproximateReceiveCount")) != NULL &&
	    parse_int(v, &n, &why) == 0)
		m->receive_count = (int)n;
	if ((v = sqs_attr(attrs, "SentTimestamp")) != NULL &&
	    parse_int(v, &n, &why) == 0)
		m->sent_ms = n;
	sm = xcalloc(1, sizeof *sm);
	sm->m = m;
	sm->handle = xstrdup(handle);
	sm->extend_at = mono_ms() + (sf->visibility_ms > 0 ?
	    sf->visibility_ms / 2 : SQS_EXTEND_EVERY_MS);
	TAILQ_INSERT_TAIL(&sf->msgs, sm, entry);
	m->feed_data = sm;
	metrics_add(M_EVENTS_RECEIVED, f->name, 1);
	pipeline_submit(f->v->pipeline, m);
}

static void
sqs_poll_done(struct aws_response *r, void *arg)
{
	struct sqs_poll	*poll = arg;
	struct sqs_feed	*sf = poll->sf;
	json_t		*list, *jm;
	size_t		 i;

	poll->call = NULL;
	sf->polls_done++;
	if (r->error != NULL) {
		feed_error(sf->f, "%s", r->error);
		if (!evtimer_pending(sf->retry_ev, NULL))
			sqs_backoff(sf);
		return;
	}
	sf->backoff_ms = 0;
	feed_set_state(sf->f, FEED_RUNNING);
	if (sf->c->protocol == SQS_PROTO_JSON)
		list = json_incref(json_object_get(r->body, "Messages"));
	else
		list = xml_list(xml_path(r->body,
		    "ReceiveMessageResponse/ReceiveMessageResult"), "Message");
	if (json_array_size(list) == 0)
		sf->empty_polls++;
	json_array_foreach(list, i, jm)
		sqs_take(sf, jm);
	json_decref(list);
	sqs_poll_start(sf);
}

/* Start polls in every free slot, unless stopping or too busy. */
static void
sqs_poll_start(struct sqs_feed *sf)
{
	struct sqs_conf		*c = sf->c;
	struct sqs_poll		*poll;
	struct aws_param	 qp[6];
	char			 max[24], wait[24], vis[24];
	json_t			*params;
	int64_t			 i;
	size_t			 n = 0;

	if (sf->f->state == FEED_STOPPING || sf->f->state == FEED_STOPPED ||
	    evtimer_pending(sf->retry_ev, NULL) || sf->visibility_ms == 0)
		return;
	snprintf(max, sizeof max, "%lld", (long long)c->max_messages);
	snprintf(wait, sizeof wait, "%lld", (long long)c->wait_time / 1000);
	snprintf(vis, sizeof vis, "%lld",
	    (long long)c->visibility_timeout / 1000);
	for (i = 0; i < c->concurrency; i++) {
		poll = &sf->polls[i];
		if (poll->call != NULL)
			continue;
		if ((int64_t)sf->f->in_flight >= c->max_in_flight)
			return;	/* acknowledgements start polls again */
		poll->sf = sf;
		if (c->protocol == SQS_PROTO_JSON) {
			params = json_pack("{s:s, s:I, s:I, s:[s,s], s:[s,s]}",
			    "QueueUrl", c->queue_url,
			    "MaxNumberOfMessages", (json_int_t)c->max_messages,
			    "WaitTimeSeconds", (json_int_t)c->wait_time / 1000,
			    "AttributeNames", "ApproximateReceiveCount",
			    "SentTimestamp",
			    "MessageSystemAttributeNames",
			    "ApproximateReceiveCount", "SentTimestamp");
			if (c->visibility_timeout > 0)
				json_object_set_new(params, "VisibilityTimeout",
				    json_integer(c->visibility_timeout / 1000));
			poll->call = aws_json_call(sf->sqs, "ReceiveMessage",
			    params, sqs_poll_done, poll);
		} else {
			n = 0;
			qp[n++] = (struct aws_param){ "QueueUrl", c->queue_url };
			qp[n++] = (struct aws_param){ "MaxNumberOfMessages",
			    max };
			qp[n++] = (struct aws_param){ "WaitTimeSeconds", wait };
			qp[n++] = (struct aws_param){ "AttributeName.1",
			    "ApproximateReceiveCount" };
			qp[n++] = (struct aws_param){ "AttributeName.2",
			    "SentTimestamp" };
			if (c->visibility_timeout > 0)
				qp[n++] = (struct aws_param){
				    "VisibilityTimeout", vis };
			poll->call = aws_query_call(sf->sqs, "ReceiveMessage",
			    qp, n, sqs_poll_done, poll);
		}
	}
}

static void
sqs_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sqs_feed	*sf = arg;

	if (sf->visibility_ms == 0)
		sqs_learn_visibility(sf);
	else
		sqs_poll_start(sf);
}

static void
sqs_attrs_done(struct aws_response *r, void *arg)
{
	struct sqs_feed	*sf = arg;
	const char	*v = NULL, *why;
	int64_t		 secs;
	json_t		*attrs = NULL;

	sf->attrs_call = NULL;
	if (r->error != NULL) {
		feed_error(sf->f, "%s", r->error);
		sqs_backoff(sf);
		return;
	}
	if (sf->c->protocol == SQS_PROTO_JSON)
		v = json_string_value(json_object_get(json_object_get(r->body,
		    "Attributes"), "VisibilityTimeout"));
	else {
		attrs = xml_list(xml_path(r->body, "GetQueueAttributesResponse/"
		    "GetQueueAttributesResult"), "Attribute");
		v = sqs_attr(attrs, "VisibilityTimeout");
	}
	if (v == NULL || parse_int(v, &secs, &why) != 0 || secs < 0) {
		feed_error(sf->f, "GetQueueAttributes: no VisibilityTimeout in "
		    "the answer");
		secs = 30;	/* SQS's default */
	}
	json_decref(attrs);
	sf->visibility_ms = secs * 1000;
	if (sf->visibility_ms < 2000)
		sf->visibility_ms = 2000;
	log_info("feed %s: queue %s, visibility timeout %llds", sf->f->name,
	    sf->c->queue_url, (long long)secs);
	feed_set_state(sf->f, FEED_RUNNING);
	sqs_poll_start(sf);
}

/*
 * The queue's visibility timeout tells how often a message being worked
 * on must be extended; asking for it also shows at once whether the queue
 * can be reached.
 */
static void
sqs_learn_visibility(struct sqs_feed *sf)
{
	struct aws_param	 qp[2];

	if (sf->c->visibility_timeout > 0) {
		sf->visibility_ms = sf->c->visibility_timeout;
		feed_set_state(sf->f, FEED_RUNNING);
		sqs_poll_start(sf);
		return;
	}
	if (sf->c->protocol == SQS_PROTO_JSON)
		sf->attrs_call = aws_json_call(sf->sqs, "GetQueueAttributes",
		    json_pack("{s:s, s:[s]}", "QueueUrl", sf->c->queue_url,
		    "AttributeNames", "VisibilityTimeout"), sqs_attrs_done, sf);
	else {
		qp[0] = (struct aws_param){ "QueueUrl", sf->c->queue_url };
		qp[1] = (struct aws_param){ "AttributeName.1",
		    "VisibilityTimeout" };
		sf->attrs_call = aws_query_call(sf->sqs, "GetQueueAttributes",
		    qp, 2, sqs_attrs_done, sf);
	}
}

static void
sqs_delete_done(struct aws_response *r, void *arg)
{
	struct sqs_pending	*p = arg;
	struct sqs_feed		*sf = p->sf;
	json_t			*failed, *e;
	size_t			 i, nfailed;

	p->call = NULL;
	sf->f->pending_io -= p->n;
	if (r->error != NULL) {
		/* They come again, and are known as committed then. */
		sf->delete_failures += p->n;
		feed_error(sf->f, "%s: %zu message%s will come again and be "
		    "recognised as done", r->error, p->n, p->n == 1 ? "" : "s");
		sqs_pending_done(p);
		return;
	}
	if (sf->c->protocol == SQS_PROTO_JSON)
		failed = json_incref(json_object_get(r->body, "Failed"));
	else
		failed = xml_list(xml_path(r->body,
		    "DeleteMessageBatchResponse/DeleteMessageBatchResult"),
		    "BatchResultErrorEntry");
	nfailed = json_array_size(failed);
	json_array_foreach(failed, i, e) {
		feed_error(sf->f, "DeleteMessageBatch: entry %s: %s: %s",
		    json_string_value(json_object_get(e, "Id")),
		    json_string_value(json_object_get(e, "Code")),
		    json_string_value(json_object_get(e, "Message")));
	}
	json_decref(failed);
	sf->delete_failures += nfailed;
	sf->deleted += p->n - (nfailed < p->n ? nfailed : p->n);
	sqs_pending_done(p);
}

/* Send the waiting deletes, ten to a batch. */
static void
sqs_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sqs_feed		*sf = arg;
	struct sqs_pending	*p;
	struct aws_param	*qp;
	json_t			*entries;
	char			*names[2 * SQS_BATCH], ids[SQS_BATCH][4];
	size_t			 n, i, j;

	while (sf->ndeletes > 0) {
		n = sf->ndeletes < SQS_BATCH ? sf->ndeletes : SQS_BATCH;
		p = sqs_pending_new(sf);
		p->n = n;
		for (i = 0; i < n; i++)
			snprintf(ids[i], sizeof ids[i], "%zu", i);
		if (sf->c->protocol == SQS_PROTO_JSON) {
			entries = json_array();
			for (i = 0; i < n; i++)
				json_array_append_new(entries, json_pack(
				    "{s:s, s:s}", "Id", ids[i],
				    "ReceiptHandle", sf->deletes[i].handle));
			p->call = aws_json_call(sf->sqs, "DeleteMessageBatch",
			    json_pack("{s:s, s:o}", "QueueUrl",
			    sf->c->queue_url, "Entries", entries),
			    sqs_delete_done, p);
		} else {
			qp = xcalloc(1 + 2 * n, sizeof *qp);
			qp[0] = (struct aws_param){ "QueueUrl",
			    sf->c->queue_url };
			for (i = 0, j = 1; i < n; i++) {
				names[2 * i] = xprintf("DeleteMessageBatch"
				    "RequestEntry.%zu.Id", i + 1);
				names[2 * i + 1] = xprintf("DeleteMessageBatch"
				    "RequestEntry.%zu.ReceiptHandle", i + 1);
				qp[j++] = (struct aws_param){ names[2 * i],
				    ids[i] };
				qp[j++] = (struct aws_param){ names[2 * i + 1],
				    sf->deletes[i].handle };
			}
			p->call = aws_query_call(sf->sqs, "DeleteMessageBatch",
			    qp, j, sqs_delete_done, p);
			for (i = 0; i < 2 * n; i++)
				free(names[i]);
			free(qp);
		}
		for (i = 0; i < n; i++)
			free(sf->deletes[i].handle);
		memmove(sf->deletes, sf->deletes + n,
		    (sf->ndeletes - n) * sizeof *sf->deletes);
		sf->ndeletes -= n;
	}
}

/* Stop tracking a message the pipeline gave back. */
static struct sqs_msg *
sqs_untrack(struct sqs_feed *sf, struct msg *m)
{
	struct sqs_msg	*sm = m->feed_data;

	TAILQ_REMOVE(&sf->msgs, sm, entry);
	m->feed_data = NULL;
	return sm;
}

/* Committed: delete it from the queue. */
static void
sqs_ack(struct feed *f, struct msg *m)
{
	struct sqs_feed	*sf = f->impl;
	struct sqs_msg	*sm = sqs_untrack(sf, m);

	sf->deletes = xreallocarray(sf->deletes, sf->ndeletes + 1,
	    sizeof *sf->deletes);
	sf->deletes[sf->ndeletes].handle = sm->handle;
	sf->ndeletes++;
	f->pending_io++;
	free(sm);
	msg_free(m);
	/* Deletes gather until the end of this loop iteration. */
	if (!event_pending(sf->flush_ev, EV_TIMEOUT, NULL))
		event_active(sf->flush_ev, EV_TIMEOUT, 0);
	sqs_poll_start(sf);
}

/* Not now: leave it; it comes back when its visibility timeout runs out. */
static void
sqs_nack(struct feed *f, struct msg *m)
{
	struct sqs_feed	*sf = f->impl;
	struct sqs_msg	*sm = sqs_untrack(sf, m);

	free(sm->handle);
	free(sm);
	msg_free(m);
	sqs_poll_start(sf);
}

static void
sqs_extend_done(struct aws_response *r, void *arg)
{
	struct sqs_pending	*p = arg;

	p->call = NULL;
	if (r->error != NULL)
		feed_error(p->sf->f, "%s", r->error);
	else
		p->sf->extended++;
	sqs_pending_done(p);
}

/* Keep messages that are still being worked on invisible. */
static void
sqs_extend_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sqs_feed		*sf = arg;
	struct sqs_msg		*sm;
	struct sqs_pending	*p;
	struct aws_param	 qp[3];
	int64_t			 now = mono_ms();
	char			 secs[24];

	if (sf->visibility_ms == 0)
		return;
	snprintf(secs, sizeof secs, "%lld", (long long)sf->visibility_ms /
	    1000);
	TAILQ_FOREACH(sm, &sf->msgs, entry) {
		if (sm->extend_at > now)
			continue;
		sm->extend_at = now + sf->visibility_ms / 2;
		p = sqs_pending_new(sf);
		if (sf->c->protocol == SQS_PROTO_JSON)
			p->call = aws_json_call(sf->sqs,
			    "ChangeMessageVisibility", json_pack("{s:s, s:s, "
			    "s:I}", "QueueUrl", sf->c->queue_url,
			    "ReceiptHandle", sm->handle, "VisibilityTimeout",
			    (json_int_t)sf->visibility_ms / 1000),
			    sqs_extend_done, p);
		else {
			qp[0] = (struct aws_param){ "QueueUrl",
			    sf->c->queue_url };
			qp[1] = (struct aws_param){ "ReceiptHandle",
			    sm->handle };
			qp[2] = (struct aws_param){ "VisibilityTimeout", secs };
			p->call = aws_query_call(sf->sqs,
			    "ChangeMessageVisibility", qp, 3, sqs_extend_done,
			    p);
		}
	}
}

static struct aws_client *
sqs_s3_client(struct sqs_feed *sf, const char *region)
{
	struct aws_client	*c;
	size_t			 i;

	for (i = 0; i < sf->ns3; i++) {
		if (strcmp(sf->s3[i].region, region) == 0)
			return sf->s3[i].client;
	}
	c = aws_client_new(sf->f->v->http, &aws_service_s3, region,
	    sf->c->s3_endpoint, sf->f->v->aws);
	c->max_response = SQS_S3_MAX_BYTES;
	sf->s3 = xreallocarray(sf->s3, sf->ns3 + 1, sizeof *sf->s3);
	sf->s3[sf->ns3].region = xstrdup(region);
	sf->s3[sf->ns3].client = c;
	sf->ns3++;
	return c;
}

static void
sqs_fetch_done(struct aws_response *r, void *arg)
{
	struct sqs_pending	*p = arg;
	struct sqs_feed		*sf = p->sf;
	struct msg		*m = p->m;
	char			*what = p->what;

	p->call = NULL;
	p->what = NULL;
	sqs_pending_done(p);
	if (r->error == NULL)
		sf->fetched++;
	pipeline_fetched(sf->f->v->pipeline, m, what, r->raw, r->raw_len,
	    r->error);
	free(what);
}

/* Fetch a CloudTrail log file a message announced. */
static void
sqs_fetch(struct feed *f, struct msg *m, const struct envelope_ref *ref,
    const char *what)
{
	struct sqs_feed		*sf = f->impl;
	struct sqs_pending	*p;
	struct aws_client	*c;
	const char		*region;
	char			*url;

	region = ref->region != NULL ? ref->region : sf->c->s3_region != NULL ?
	    sf->c->s3_region : sf->c->region;
	c = sqs_s3_client(sf, region);
	url = aws_s3_object_url(c, ref->bucket, ref->key);
	p = sqs_pending_new(sf);
	p->m = m;
	p->what = xstrdup(what);
	p->call = aws_rest_call_url(c, "GET", url, sqs_fetch_done, p);
	free(url);
}

static int
sqs_start(struct feed *f, char **cause)
{
	struct sqs_conf	*c = f->conf->opts;
	struct sqs_feed	*sf;
	struct timeval	 tv = { SQS_EXTEND_EVERY_MS / 1000, 0 };

	sf = xcalloc(1, sizeof *sf);
	sf->f = f;
	sf->c = c;
	TAILQ_INIT(&sf->msgs);
	TAILQ_INIT(&sf->pending);
	f->impl = sf;
	f->leave_dead = c->dead_letters == SQS_DEAD_QUEUE;
	sf->sqs = aws_client_new(f->v->http, &aws_service_sqs, c->region,
	    c->endpoint, f->v->aws);
	/* A long poll lasts up to wait_time: leave it room. */
	sf->sqs->timeout_ms = c->wait_time + 30000;
	sf->retry_ev = evtimer_new(f->v->base, sqs_retry_cb, sf);
	sf->flush_ev = event_new(f->v->base, -1, 0, sqs_flush_cb, sf);
	sf->extend_ev = event_new(f->v->base, -1, EV_PERSIST, sqs_extend_cb,
	    sf);
	if (sf->retry_ev == NULL || sf->flush_ev == NULL ||
	    sf->extend_ev == NULL)
		fatalx("event_new: out of memory");
	evtimer_add(sf->extend_ev, &tv);
	sqs_learn_visibility(sf);
	return 0;
}

static void
sqs_stop(struct feed *f)
{
	struct sqs_feed	*sf = f->impl;
	int		 i;

	/*
	 * Messages a cancelled poll had already received stay invisible
	 * until their visibility timeout, then come again: nothing is lost.
	 */
	for (i = 0; i < SQS_MAX_CONCURRENCY; i++) {
		if (sf->polls[i].call != NULL) {
			aws_call_cancel(sf->polls[i].call);
			sf->polls[i].call = NULL;
		}
	}
	if (sf->attrs_call != NULL) {
		aws_call_cancel(sf->attrs_call);
		sf->attrs_call = NULL;
	}
	evtimer_del(sf->retry_ev);
}

static void
sqs_status(struct feed *f, json_t *o)
{
	struct sqs_feed	*sf = f->impl;
	int64_t		 i;
	int		 active = 0;

	for (i = 0; i < sf->c->concurrency; i++)
		active += sf->polls[i].call != NULL;
	json_object_set_new(o, "queue_url", json_string(sf->c->queue_url));
	json_object_set_new(o, "region", json_string(sf->c->region));
	json_object_set_new(o, "protocol", json_string(
	    sf->c->protocol == SQS_PROTO_JSON ? "json" : "query"));
	json_object_set_new(o, "polls_active", json_integer(active));
	json_object_set_new(o, "polls", json_integer((json_int_t)
	    sf->polls_done));
	json_object_set_new(o, "empty_polls", json_integer((json_int_t)
	    sf->empty_polls));
	json_object_set_new(o, "deleted", json_integer((json_int_t)
	    sf->deleted));
	json_object_set_new(o, "delete_failures", json_integer((json_int_t)
	    sf->delete_failures));
	json_object_set_new(o, "visibility_extended", json_integer(
	    (json_int_t)sf->extended));
	json_object_set_new(o, "md5_mismatches", json_integer((json_int_t)
	    sf->bad_md5));
	json_object_set_new(o, "s3_objects_fetched", json_integer(
	    (json_int_t)sf->fetched));
	if (sf->visibility_ms > 0)
		json_object_set_new(o, "visibility_timeout_seconds",
		    json_integer((json_int_t)sf->visibility_ms / 1000));
	if (f->state == FEED_BACKOFF)
		json_object_set_new(o, "backoff_ms", json_integer(
		    (json_int_t)sf->backoff_ms));
}

static void
sqs_free(struct feed *f)
{
	struct sqs_feed		*sf = f->impl;
	struct sqs_pending	*p;
	struct sqs_msg		*sm;
	size_t			 i;

	if (sf == NULL)
		return;
	sqs_stop(f);
	while ((p = TAILQ_FIRST(&sf->pending)) != NULL) {
		if (p->call != NULL)
			aws_call_cancel(p->call);
		sqs_pending_done(p);
	}
	while ((sm = TAILQ_FIRST(&sf->msgs)) != NULL) {
		TAILQ_REMOVE(&sf->msgs, sm, entry);
		sm->m->feed_data = NULL;
		free(sm->handle);
		free(sm);
	}
	for (i = 0; i < sf->ndeletes; i++)
		free(sf->deletes[i].handle);
	free(sf->deletes);
	for (i = 0; i < sf->ns3; i++) {
		free(sf->s3[i].region);
		aws_client_free(sf->s3[i].client);
	}
	free(sf->s3);
	aws_client_free(sf->sqs);
	event_free(sf->retry_ev);
	event_free(sf->flush_ev);
	event_free(sf->extend_ev);
	free(sf);
	f->impl = NULL;
}

const struct feed_backend feed_sqs_backend = {
	.type = "aws-sqs",
	.keys = sqs_keys,
	.nkeys = nitems(sqs_keys),
	.conf_size = sizeof(struct sqs_conf),
	.check = sqs_check,
	.conf_free = sqs_conf_free,
	.start = sqs_start,
	.stop = sqs_stop,
	.ack = sqs_ack,
	.nack = sqs_nack,
	.fetch = sqs_fetch,
	.status = sqs_status,
	.free = sqs_free,
};
