/*
 * check_notify.c: the outbox, routing, storm control, the initial sweep's
 * summary and the renderers, with notify_enqueue() called inside a
 * transaction on a temporary store, and delivery to a scriptable HTTP
 * receiver (libevent's server on 127.0.0.1) in the same loop: retries, 429
 * with Retry-After, permanent failures and vigilctl's retry, crash
 * recovery, the order of an open and its resolve, and Jira's multi-step
 * resolve.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sqlite3.h>

#include "check_vigil.h"
#include "http.h"
#include "notify.h"
#include "vigild.h"

#define MAX_SEEN	64

struct seen {
	char	*method;
	char	*uri;
	char	*body;
	char	*key;		/* X-Vigil-Idempotency-Key */
	char	*sig;		/* X-Vigil-Signature */
	char	*auth;
	int64_t	 mono;
};

static struct {
	struct evhttp	*http;
	int		 port;
	struct seen	 seen[MAX_SEEN];
	int		 n;
	int		 fail_first;	/* answer fail_status this many times */
	int		 fail_status;
	const char	*retry_after;
} srv;

static struct event_base	*base;
static struct vigil		 V;
static struct event		*ticker;
static char			*dir, *dbpath;
static json_t			*open_doc;

static void
server_cb(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evbuffer		*out = evbuffer_new(), *buf;
	struct seen		*s;
	const char		*uri = evhttp_request_get_uri(req), *h;
	size_t			 len;
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
	    "DELETE" };
	int			 m = evhttp_request_get_command(req);

	ck_assert_int_lt(srv.n, MAX_SEEN);
	s = &srv.seen[srv.n++];
	s->method = xstrdup(m == EVHTTP_REQ_GET ? methods[0] :
	    m == EVHTTP_REQ_POST ? methods[1] : "OTHER");
	s->uri = xstrdup(uri);
	buf = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(buf);
	s->body = xmalloc(len + 1);
	evbuffer_remove(buf, s->body, len);
	s->body[len] = '\0';
	s->key = (h = evhttp_find_header(in, "X-Vigil-Idempotency-Key")) !=
	    NULL ? xstrdup(h) : NULL;
	s->sig = (h = evhttp_find_header(in, "X-Vigil-Signature")) != NULL ?
	    xstrdup(h) : NULL;
	s->auth = (h = evhttp_find_header(in, "Authorization")) != NULL ?
	    xstrdup(h) : NULL;
	s->mono = mono_ms();

	if (srv.fail_first > 0) {
		srv.fail_first--;
		if (srv.retry_after != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Retry-After", srv.retry_after);
		evbuffer_add_printf(out, "{\"error\":\"scripted\"}");
		evhttp_send_reply(req, srv.fail_status, "Scripted", out);
	} else if (strstr(uri, "/rest/api/") != NULL) {
		/* Jira, as its REST API answers. */
		if (strstr(uri, "/transitions") != NULL && m == EVHTTP_REQ_GET) {
			evbuffer_add_printf(out, "{\"transitions\":[{\"id\":\"21\","
			    "\"name\":\"In Progress\"},{\"id\":\"31\",\"name\":"
			    "\"Done\",\"to\":{\"name\":\"Done\"}}]}");
			evhttp_send_reply(req, 200, "OK", out);
		} else if (strstr(uri, "/transitions") != NULL)
			evhttp_send_reply(req, 204, "No Content", out);
		else if (strstr(uri, "/comment") != NULL) {
			evbuffer_add_printf(out, "{\"id\":\"10000\"}");
			evhttp_send_reply(req, 201, "Created", out);
		} else {
			evbuffer_add_printf(out, "{\"id\":\"10001\",\"key\":"
			    "\"SEC-%d\",\"self\":\"x\"}", srv.n);
			evhttp_send_reply(req, 201, "Created", out);
		}
	} else if (strstr(uri, "/pagerduty") != NULL) {
		evbuffer_add_printf(out, "{\"status\":\"success\",\"message\":"
		    "\"Event processed\",\"dedup_key\":\"x\"}");
		evhttp_send_reply(req, 202, "Accepted", out);
	} else
		evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void
tick_cb(evutil_socket_t fd, short events, void *arg)
{
}

static void
setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_storage		 ss;
	ev_socklen_t			 sl = sizeof ss;
	struct timeval			 tv = { 0, 20 * 1000 };
	char				*cause = NULL, *path;
	json_error_t			 jerr;

	memset(&srv, 0, sizeof srv);
	memset(&V, 0, sizeof V);
	base = event_base_new();
	srv.http = evhttp_new(base);
	evhttp_set_gencb(srv.http, server_cb, NULL);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	bs = evhttp_bind_socket_with_handle(srv.http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl);
	srv.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	ticker = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(ticker, &tv);

	dir = test_tmpdir();
	dbpath = xprintf("%s/vigil.db", dir);
	V.base = base;
	V.store = store_open(dbpath, CONFIG_SYNC_NORMAL, &cause);
	ck_assert_msg(V.store != NULL, "%s", cause);
	V.http = http_new(base);
	path = xprintf("%s/tests/data/notify/open.json", TEST_SRCDIR);
	open_doc = json_load_file(path, 0, &jerr);
	ck_assert_msg(open_doc != NULL, "%s: %s", path, jerr.text);
	free(path);
}

static void
teardown(void)
{
	int	 i;

	notify_free(V.notify);
	config_free(V.conf);
	http_free(V.http);
	store_close(V.store);
	evhttp_free(srv.http);
	event_free(ticker);
	event_base_free(base);
	for (i = 0; i < srv.n; i++) {
		free(srv.seen[i].method);
		free(srv.seen[i].uri);
		free(srv.seen[i].body);
		free(srv.seen[i].key);
		free(srv.seen[i].sig);
		free(srv.seen[i].auth);
	}
	json_decref(open_doc);
	test_rmrf(dir);
	free(dir);
	free(dbpath);
}

/* Configure the notifier from YAML text (a notify: list), %d the port. */
static void
configure(const char *fmt)
{
	struct diags	 d = { NULL, 0 };
	char		*text, *cause = NULL, *t;
	const char	*p;

	/* Each "%d" is the receiver's port. */
	text = xstrdup("");
	for (p = fmt; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			t = xprintf("%s%d", text, srv.port);
			p++;
		} else
			t = xprintf("%s%c", text, *p);
		free(text);
		text = t;
	}
	V.conf = config_parse("/etc/vigil/vigild.yaml", text, strlen(text), &d);
	if (V.conf == NULL)
		diag_print(stderr, &d, false);
	ck_assert_ptr_nonnull(V.conf);
	free(text);
	V.notify = notify_new(&V, V.conf, &cause);
	ck_assert_msg(V.notify != NULL, "%s", cause);
}

static int64_t
count(const char *sql)
{
	sqlite3_stmt	*s;
	int64_t		 v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(V.store), sql, -1, &s,
	    NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char *
text(const char *sql)
{
	sqlite3_stmt	*s;
	char		*v = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(V.store), sql, -1, &s,
	    NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/* A copy of the sample transition, as another transition or violation. */
static json_t *
doc(const char *transition, int id, const char *severity)
{
	json_t	*o = json_deep_copy(open_doc);
	char	*key;

	key = xprintf("v%d.o3.%s", id, transition);
	json_object_set_new(o, "transition", json_string(transition));
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(json_object_get(o, "violation"), "id",
	    json_integer(id));
	if (severity != NULL)
		json_object_set_new(json_object_get(o, "rule"), "severity",
		    json_string(severity));
	free(key);
	return o;
}

/* Enqueue in one transaction and commit, as the violations layer does. */
static void
enqueue(json_t **docs, size_t n, bool initial)
{
	char	*cause = NULL;
	size_t	 i;

	ck_assert_int_eq(store_begin(V.store, &cause), 0);
	for (i = 0; i < n; i++) {
		ck_assert_msg(notify_enqueue(V.notify, V.store, docs[i],
		    initial, &cause) == 0, "%s", cause);
		json_decref(docs[i]);
	}
	ck_assert_int_eq(store_commit(V.store, &cause), 0);
	notify_kick(V.notify);
}

static void
enqueue1(json_t *d)
{
	enqueue(&d, 1, false);
}

/* Run the loop until nothing is due or in flight (or the deadline). */
static void
settle(int64_t deadline_ms)
{
	int64_t	 end = mono_ms() + deadline_ms;

	while (mono_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE);
		if (notify_in_flight(V.notify) == 0 && count("SELECT count(*) "
		    "FROM outbox WHERE state IN ('sending', 'collecting') OR "
		    "(state = 'pending' AND next_attempt_at <= "
		    "CAST(strftime('%s','now') AS INTEGER) * 1000 + 500)") == 0)
			return;
	}
	ck_abort_msg("outbox not settled within %lld ms",
	    (long long)deadline_ms);
}

#define HOOK \
	"notify:\n" \
	"  - name: hook\n" \
	"    type: webhook\n" \
	"    url: http://127.0.0.1:%d/hook\n" \
	"    retry_min: 1s\n" \
	"    retry_max: 2s\n"

START_TEST(test_config)
{
	struct diags	 d = { NULL, 0 };
	struct config	*c;
	char		*path, *yaml;

	path = xprintf("%s/secret", dir);
	test_write(path, "s3cret\n");
	yaml = xprintf("notify:\n"
	    "  - {name: a, type: slack, url_file: %s}\n"
	    "  - {name: b, type: email, url: 'smtp://127.0.0.1:25', from: "
	    "'vigil <v@example.com>', to: [x@example.com]}\n"
	    "  - {name: c, type: webhook, url: 'http://x/', secret_file: %s, "
	    "headers: ['X-A: b'], header_files: ['Authorization: %s']}\n"
	    "  - {name: d, type: pagerduty, routing_key_file: %s}\n"
	    "  - {name: e, type: jira, url: 'https://j', project: SEC, "
	    "email: a@b, token_file: %s}\n"
	    "  - {name: f, type: teams, url_file: %s, min_severity: high, "
	    "tags: [env=prod], on: [open]}\n"
	    "  - {name: g, type: stdout}\n", path, path, path, path, path,
	    path);
	c = config_parse("/etc/vigil/vigild.yaml", yaml, strlen(yaml), &d);
	if (c == NULL)
		diag_print(stderr, &d, false);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->notify.n, 7);
	ck_assert_int_eq(c->notify.v[5]->min_severity, NOTIFY_SEV_HIGH);
	ck_assert_uint_eq(c->notify.v[5]->on_mask, 1u << NOTIFY_OPEN);
	ck_assert_uint_eq(c->notify.v[6]->on_mask, 0xf);
	config_free(c);
	free(yaml);

	/* Every mistake, each at its place. */
	yaml = xstrdup("notify:\n"
	    "  - {name: a, type: slack}\n"				/* 2 */
	    "  - {name: b, type: fax}\n"				/* 3 */
	    "  - {name: c, type: stdout, on: [open, reopen]}\n"		/* 4 */
	    "  - {name: d, type: stdout, tags: [env]}\n"		/* 5 */
	    "  - {name: e, type: email, url: 'http://x', from: x, to: []}\n"
	    "  - {name: g, type: stdout}\n"				/* 7 */
	    "  - {name: g, type: stdout}\n"				/* 8 */
	    "  - {name: h, type: slack, url: 'https://hooks'}\n"	/* 9 */
	    "  - {name: i, type: jira, url: u, project: P, token_env: "
	    "NO_SUCH_VIGIL_VAR}\n");					/* 10 */
	ck_assert_ptr_null(config_parse("/etc/vigil/vigild.yaml", yaml,
	    strlen(yaml), &d));
	free(yaml);
	yaml = NULL;
	{
		const char *want[] = {
			"channel a: url_file or url_env is required",
			"type: unknown channel type 'fax'",
			"on: 'reopen' is not a transition",
			"tags: 'env' is not key=value",
			"url: 'http://x' is neither smtp:// nor smtps://",
			"from: 'x' is not a mail address",
			"to: no recipient",
			"name: a channel named 'g' is already defined",
			"url: secrets may not be written in the configuration",
			"token_env: environment variable NO_SUCH_VIGIL_VAR",
		};
		size_t i, j;

		for (i = 0; i < nitems(want); i++) {
			for (j = 0; j < d.n; j++) {
				if (strstr(d.v[j].msg, want[i]) != NULL)
					break;
			}
			ck_assert_msg(j < d.n, "no diagnostic '%s'", want[i]);
		}
	}
	diag_clear(&d);
	free(path);
}
END_TEST

START_TEST(test_match)
{
	struct diags	 d = { NULL, 0 };
	struct config	*c;
	json_t		*o = json_deep_copy(open_doc);
	static const char yaml[] = "notify:\n"
	    "  - {name: all, type: stdout}\n"
	    "  - {name: high, type: stdout, min_severity: high}\n"
	    "  - {name: rules, type: stdout, rules: ['aws-s3-*', "
	    "'aws-ec2-sg-*']}\n"
	    "  - {name: s3, type: stdout, rules: ['aws-s3-*']}\n"
	    "  - {name: cis, type: stdout, frameworks: ['cis-aws-*']}\n"
	    "  - {name: pci, type: stdout, frameworks: [pci-dss]}\n"
	    "  - {name: acct, type: stdout, accounts: ['1234*']}\n"
	    "  - {name: other, type: stdout, accounts: ['999999999999']}\n"
	    "  - {name: types, type: stdout, asset_types: ['AWS::EC2::*']}\n"
	    "  - {name: prod, type: stdout, tags: [env=prod, 'team=w*']}\n"
	    "  - {name: dev, type: stdout, tags: [env=dev]}\n";
	static const bool want[] = { true, true, true, false, true, false,
	    true, false, true, true, false };
	size_t		 i;

	c = config_parse("/v.yaml", yaml, strlen(yaml), &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->notify.n, nitems(want));
	for (i = 0; i < nitems(want); i++)
		ck_assert_msg(notify_match(c->notify.v[i], o) == want[i],
		    "channel %s", c->notify.v[i]->name);
	/* A medium one no longer reaches the high channel. */
	json_object_set_new(json_object_get(o, "rule"), "severity",
	    json_string("medium"));
	ck_assert(!notify_match(c->notify.v[1], o));
	ck_assert(notify_match(c->notify.v[0], o));
	json_decref(o);
	config_free(c);
}
END_TEST

/* Rows commit with the caller's transaction, or not at all; once a key. */
START_TEST(test_enqueue_in_transaction)
{
	char	*cause = NULL;
	json_t	*o;

	configure(HOOK "  - {name: quiet, type: stdout, min_severity: "
	    "critical, on: [resolve]}\n");
	ck_assert_int_eq(store_begin(V.store, &cause), 0);
	o = doc("open", 1, NULL);
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, o, false, &cause),
	    0);
	json_decref(o);
	store_rollback(V.store);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 0);

	o = doc("open", 1, NULL);
	ck_assert_int_eq(store_begin(V.store, &cause), 0);
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, o, false, &cause),
	    0);
	/* The same transition again (a message processed twice): once. */
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, o, false, &cause),
	    0);
	ck_assert_int_eq(store_commit(V.store, &cause), 0);
	json_decref(o);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE channel = "
	    "'hook' AND key = 'v1.o3.open' AND state = 'pending' AND payload "
	    "IS NOT NULL AND severity = 'critical'"), 1);

	/* A bad transition is refused with a cause. */
	o = json_pack("{s:s}", "transition", "exploded");
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, o, false, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "exploded"));
	free(cause);
	json_decref(o);
}
END_TEST

/* The body is the notification, signed, with its key. */
START_TEST(test_webhook_delivery)
{
	char		*path, *yaml, *mac, *want;
	struct secret	 key = { NULL, 3, NULL };
	json_t		*body;

	path = xprintf("%s/hmac", dir);
	test_write(path, "k3y\n");
	yaml = xprintf("%s    secret_file: %s\n    headers: ['X-Team: "
	    "secops']\n", HOOK, path);
	configure(yaml);
	free(yaml);
	free(path);
	key.value = xstrdup("k3y");
	enqueue1(doc("open", 7, NULL));
	settle(10000);
	ck_assert_int_eq(srv.n, 1);
	ck_assert_str_eq(srv.seen[0].method, "POST");
	ck_assert_str_eq(srv.seen[0].uri, "/hook");
	ck_assert_str_eq(srv.seen[0].key, "v7.o3.open");
	mac = notify_hmac_sha256_hex(&key, srv.seen[0].body,
	    strlen(srv.seen[0].body));
	want = xprintf("sha256=%s", mac);
	ck_assert_str_eq(srv.seen[0].sig, want);
	free(mac);
	free(want);
	free(key.value);
	body = json_loads(srv.seen[0].body, 0, NULL);
	ck_assert_str_eq(notify_str(body, "schema"), NOTIFY_SCHEMA);
	ck_assert_str_eq(notify_str(body, "asset.id"), "sg-0abc");
	json_decref(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered' AND attempts = 1 AND delivered_at IS NOT NULL"), 1);
}
END_TEST

/* 500, then success: delivered once. */
START_TEST(test_transient_then_success)
{
	configure(HOOK);
	srv.fail_first = 2;
	srv.fail_status = 500;
	enqueue1(doc("open", 1, NULL));
	settle(15000);
	ck_assert_int_eq(srv.n, 3);
	ck_assert_str_eq(srv.seen[2].key, "v1.o3.open");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered'"), 1);
}
END_TEST

/* 429 with Retry-After: the next try waits at least that long. */
START_TEST(test_retry_after)
{
	configure(HOOK);
	srv.fail_first = 1;
	srv.fail_status = 429;
	srv.retry_after = "1";
	enqueue1(doc("open", 1, NULL));
	settle(15000);
	ck_assert_int_eq(srv.n, 2);
	ck_assert_int_ge(srv.seen[1].mono - srv.seen[0].mono, 1000);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered'"), 1);
}
END_TEST

/* 400 is permanent: failed, visible; retried on demand, then delivered. */
START_TEST(test_permanent_then_retry)
{
	char	*err, *cause = NULL;
	int64_t	 id;

	configure(HOOK);
	srv.fail_first = 1;
	srv.fail_status = 400;
	enqueue1(doc("open", 1, NULL));
	settle(10000);
	ck_assert_int_eq(srv.n, 1);
	err = text("SELECT last_error FROM outbox WHERE state = 'failed'");
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "HTTP 400"));
	ck_assert_ptr_null(strstr(err, "/hook"));	/* URLs are redacted */
	free(err);
	id = count("SELECT id FROM outbox");
	ck_assert_int_eq(notify_retry(V.notify, id + 1, &cause), -1);
	free(cause);
	ck_assert_int_eq(notify_retry(V.notify, id, &cause), 0);
	settle(10000);
	ck_assert_int_eq(srv.n, 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered' AND attempts = 2"), 1);
}
END_TEST

/* Receiver down: kept pending with a next attempt, and the error. */
START_TEST(test_down_stays_pending)
{
	char	*yaml;

	yaml = xprintf("notify:\n  - {name: hook, type: webhook, url: "
	    "'http://127.0.0.1:1/x', retry_min: 1h}\n");
	configure(yaml);
	free(yaml);
	enqueue1(doc("open", 1, NULL));
	settle(15000);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'pending' AND attempts = 1 AND next_attempt_at > "
	    "created_at + 1000 AND last_error LIKE '%connect%'"), 1);
}
END_TEST

/* Rows a crash left sending are sent again at start. */
START_TEST(test_crash_recovery)
{
	configure(HOOK);
	notify_free(V.notify);
	V.notify = NULL;
	/* As if vigild died mid-delivery. */
	{
		struct outbox_new	 o;
		int64_t			 id;
		char			*cause = NULL;

		memset(&o, 0, sizeof o);
		o.channel = "hook";
		o.type = "webhook";
		o.key = "v9.o1.open";
		o.kind = "transition";
		o.transition = "open";
		o.violation = 9;
		o.occurrence = 1;
		o.notification = "{\"key\":\"v9.o1.open\"}";
		o.payload = "{\"headers\":{},\"body\":\"{}\"}";
		o.state = "sending";
		o.next_attempt_at = now_ms();
		o.created_at = now_ms();
		ck_assert_int_eq(store_outbox_put(V.store, &o, &id, &cause), 0);
	}
	{
		char *cause = NULL;

		V.notify = notify_new(&V, V.conf, &cause);
		ck_assert_msg(V.notify != NULL, "%s", cause);
	}
	settle(10000);
	ck_assert_int_eq(srv.n, 1);
	ck_assert_str_eq(srv.seen[0].key, "v9.o1.open");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered'"), 1);
}
END_TEST

/* A resolve waits for its open. */
START_TEST(test_resolve_after_open)
{
	struct outbox_row	*rows;
	size_t			 n, i;
	char			*cause = NULL;
	json_t			*d[2];

	configure(HOOK);
	d[0] = doc("open", 5, NULL);
	d[1] = doc("resolve", 5, NULL);
	ck_assert_int_eq(store_begin(V.store, &cause), 0);
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, d[0], false,
	    &cause), 0);
	ck_assert_int_eq(notify_enqueue(V.notify, V.store, d[1], false,
	    &cause), 0);
	ck_assert_int_eq(store_commit(V.store, &cause), 0);
	ck_assert_int_eq(store_outbox_due(V.store, "hook", now_ms() + 1, 10,
	    &rows, &n, &cause), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(rows[0].key, "v5.o3.open");
	for (i = 0; i < n; i++)
		outbox_row_clear(&rows[i]);
	free(rows);
	json_decref(d[0]);
	json_decref(d[1]);
	notify_kick(V.notify);
	settle(10000);
	ck_assert_int_eq(srv.n, 2);
	ck_assert_str_eq(srv.seen[0].key, "v5.o3.open");
	ck_assert_str_eq(srv.seen[1].key, "v5.o3.resolve");
}
END_TEST

/* 50 opens at once to a channel with a threshold of 5: one digest. */
START_TEST(test_storm_digest)
{
	json_t	*d[50], *body;
	size_t	 i;

	configure(HOOK "    storm_threshold: 5\n    storm_window: 1s\n");
	for (i = 0; i < nitems(d); i++)
		d[i] = doc("open", (int)i + 1, i % 2 ? "high" : "low");
	enqueue(d, nitems(d), false);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE kind = "
	    "'digest' AND state = 'collecting'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'digested'"), 50);
	settle(10000);
	ck_assert_int_eq(srv.n, 1);
	body = json_loads(srv.seen[0].body, 0, NULL);
	ck_assert_str_eq(notify_str(body, "transition"), "digest");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    body, "digest"), "count")), 50);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(
	    body, "digest"), "items")), NOTIFY_DIGEST_ITEMS);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    body, "digest"), "more")), 50 - NOTIFY_DIGEST_ITEMS);
	json_decref(body);

	/* Below the threshold again (another channel's window): alone. */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE kind = "
	    "'digest' AND state = 'delivered'"), 1);
}
END_TEST

/* The initial sweep: no alert each, one summary when it ends. */
START_TEST(test_initial_sweep_summary)
{
	json_t	*d[3], *body;
	char	*cause = NULL;

	configure(HOOK "  - {name: loud, type: webhook, url: "
	    "'http://127.0.0.1:%d/loud', alert_on_initial_sweep: true}\n");
	d[0] = doc("open", 1, "critical");
	d[1] = doc("open", 2, "critical");
	d[2] = doc("open", 3, "low");
	enqueue(d, 3, true);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE channel = "
	    "'hook' AND kind = 'summary' AND state = 'collecting'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE channel = "
	    "'loud' AND kind = 'transition'"), 3);
	ck_assert_int_eq(store_begin(V.store, &cause), 0);
	ck_assert_int_eq(notify_sweep_end(V.notify, V.store, &cause), 0);
	ck_assert_int_eq(store_commit(V.store, &cause), 0);
	notify_kick(V.notify);
	settle(10000);
	ck_assert_int_eq(srv.n, 4);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE channel = "
	    "'hook' AND kind = 'summary' AND state = 'delivered'"), 1);
	for (int i = 0; i < srv.n; i++) {
		if (strcmp(srv.seen[i].uri, "/hook") != 0)
			continue;
		body = json_loads(srv.seen[i].body, 0, NULL);
		ck_assert_str_eq(notify_str(body, "transition"), "summary");
		ck_assert_int_eq(json_integer_value(json_object_get(
		    json_object_get(json_object_get(body, "summary"),
		    "by_severity"), "critical")), 2);
		json_decref(body);
	}
}
END_TEST

/* Jira: create, remember the key; resolve: comment, transitions, move. */
START_TEST(test_jira_flow)
{
	char	*path, *yaml, *ref;
	json_t	*body;

	path = xprintf("%s/token", dir);
	test_write(path, "t0ken\n");
	yaml = xprintf("notify:\n  - {name: jira, type: jira, url: "
	    "'http://127.0.0.1:%s', project: SEC, email: vigil@example.com, "
	    "token_file: %s}\n", "%d", path);
	configure(yaml);
	free(yaml);
	free(path);
	enqueue1(doc("open", 4, "high"));
	settle(10000);
	ck_assert_int_eq(srv.n, 1);
	ck_assert_str_eq(srv.seen[0].uri, "/rest/api/3/issue");
	ck_assert_str_eq(srv.seen[0].auth, "Basic dmlnaWxAZXhhbXBsZS5jb206dDBr"
	    "ZW4=");
	body = json_loads(srv.seen[0].body, 0, NULL);
	ck_assert_str_eq(notify_str(body, "fields.project.key"), "SEC");
	ck_assert_str_eq(notify_str(body, "fields.priority.name"), "High");
	ck_assert_str_eq(notify_str(body, "fields.description.type"), "doc");
	json_decref(body);
	ref = text("SELECT ref FROM notify_refs WHERE violation = 4");
	ck_assert_str_eq(ref, "SEC-1");
	free(ref);

	enqueue1(doc("resolve", 4, "high"));
	settle(10000);
	ck_assert_int_eq(srv.n, 4);
	ck_assert_str_eq(srv.seen[1].uri, "/rest/api/3/issue/SEC-1/comment");
	ck_assert_str_eq(srv.seen[2].method, "GET");
	ck_assert_str_eq(srv.seen[2].uri, "/rest/api/3/issue/SEC-1/transitions");
	ck_assert_str_eq(srv.seen[3].uri, "/rest/api/3/issue/SEC-1/transitions");
	ck_assert_str_eq(srv.seen[3].body, "{\"transition\":{\"id\":\"31\"}}");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE state = "
	    "'delivered' AND remote_ref = 'SEC-1'"), 2);
}
END_TEST

/* PagerDuty: trigger and resolve share the occurrence's dedup_key. */
START_TEST(test_pagerduty)
{
	char	*yaml, *path;
	json_t	*a, *b;

	path = xprintf("%s/rk", dir);
	test_write(path, "R0UTING\n");
	yaml = xprintf("notify:\n  - {name: pd, type: pagerduty, endpoint: "
	    "'http://127.0.0.1:%s/pagerduty', routing_key_file: %s}\n", "%d",
	    path);
	configure(yaml);
	free(yaml);
	free(path);
	enqueue1(doc("open", 8, "high"));
	settle(10000);
	enqueue1(doc("resolve", 8, "high"));
	settle(10000);
	ck_assert_int_eq(srv.n, 2);
	a = json_loads(srv.seen[0].body, 0, NULL);
	b = json_loads(srv.seen[1].body, 0, NULL);
	ck_assert_str_eq(notify_str(a, "event_action"), "trigger");
	ck_assert_str_eq(notify_str(a, "routing_key"), "R0UTING");
	ck_assert_str_eq(notify_str(a, "payload.severity"), "error");
	ck_assert_str_eq(notify_str(a, "dedup_key"), "v8.o3");
	ck_assert_str_eq(notify_str(b, "event_action"), "resolve");
	ck_assert_str_eq(notify_str(b, "dedup_key"), "v8.o3");
	json_decref(a);
	json_decref(b);
	/* The routing key is a secret: never in the database. */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE payload "
	    "LIKE '%R0UTING%' OR notification LIKE '%R0UTING%'"), 0);
}
END_TEST

/* Every renderer, on every kind of notification. */
START_TEST(test_renderers)
{
	const struct notify_backend *const *be;
	struct diags	 d = { NULL, 0 };
	struct config	*c;
	json_t		*docs[4], *p;
	char		*cause = NULL, *path, *yaml;
	size_t		 nb, i, j;

	path = xprintf("%s/s", dir);
	test_write(path, "s\n");
	yaml = xprintf("notify:\n"
	    "  - {name: slack, type: slack, url_file: %s}\n"
	    "  - {name: email, type: email, url: 'smtp://h', from: "
	    "'v@example.com', to: [a@example.com]}\n"
	    "  - {name: webhook, type: webhook, url: 'http://h'}\n"
	    "  - {name: pagerduty, type: pagerduty, routing_key_file: %s}\n"
	    "  - {name: jira, type: jira, url: 'https://j', api: server, "
	    "project: P, token_file: %s}\n"
	    "  - {name: teams, type: teams, url_file: %s}\n"
	    "  - {name: stdout, type: stdout}\n", path, path, path, path);
	c = config_parse("/v.yaml", yaml, strlen(yaml), &d);
	ck_assert_ptr_nonnull(c);
	free(yaml);
	free(path);
	docs[0] = doc("open", 1, NULL);
	docs[1] = doc("resolve", 1, NULL);
	docs[2] = notify_test_notification("x", 0);
	docs[3] = json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:[], s:{}}}",
	    "schema", NOTIFY_SCHEMA, "transition", "digest", "key", "digest.1",
	    "digest", "count", 0, "more", 0, "items", "by_severity");
	be = notify_backends(&nb);
	ck_assert_int_eq(nb, c->notify.n);
	for (i = 0; i < c->notify.n; i++) {
		for (j = 0; j < nitems(docs); j++) {
			p = c->notify.v[i]->backend->render(c->notify.v[i],
			    docs[j], &cause);
			ck_assert_msg(p != NULL, "%s: %s", c->notify.v[i]->name,
			    cause);
			json_decref(p);
		}
	}
	(void)be;

	/* Slack: Block Kit, a header block within its 150 characters. */
	p = c->notify.v[0]->backend->render(c->notify.v[0], docs[0], &cause);
	{
		json_t *b = json_loads(notify_str(p, "body"), 0, NULL);
		json_t *h = json_array_get(json_object_get(b, "blocks"), 0);

		ck_assert_str_eq(notify_str(h, "type"), "header");
		ck_assert_int_le(strlen(notify_str(h, "text.text")), 150);
		ck_assert_ptr_nonnull(strstr(notify_str(p, "body"),
		    "SecurityGroup:groupId=sg-0abc"));
		json_decref(b);
	}
	json_decref(p);

	/* Email: an encoded subject, short lines, the key in Message-ID. */
	p = c->notify.v[1]->backend->render(c->notify.v[1], docs[0], &cause);
	{
		const char	*m = notify_str(p, "message"), *l, *e;

		ck_assert_ptr_nonnull(strstr(m, "Subject: =?UTF-8?B?"));
		ck_assert_ptr_nonnull(strstr(m, "Message-ID: <v1.o3.open.email@"
		    "example.com>"));
		ck_assert_ptr_nonnull(strstr(m, "Content-Type: text/html; "
		    "charset=utf-8"));
		for (l = m; (e = strstr(l, "\r\n")) != NULL; l = e + 2)
			ck_assert_int_le(e - l, 78);
		ck_assert_ptr_null(strstr(m, "\n\n"));	/* CRLF only */
	}
	json_decref(p);

	/* Jira Server: wiki markup. */
	p = c->notify.v[4]->backend->render(c->notify.v[4], docs[0], &cause);
	{
		json_t *b = json_loads(notify_str(p, "body"), 0, NULL);

		ck_assert(json_is_string(json_object_get(json_object_get(b,
		    "fields"), "description")));
		ck_assert_ptr_nonnull(strstr(notify_str(b,
		    "fields.description"), "h3. Evidence"));
		json_decref(b);
	}
	json_decref(p);
	for (j = 0; j < nitems(docs); j++)
		json_decref(docs[j]);
	config_free(c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_enqueue_in_transaction);
	tcase_add_test(tc, test_webhook_delivery);
	tcase_add_test(tc, test_transient_then_success);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_permanent_then_retry);
	tcase_add_test(tc, test_down_stays_pending);
	tcase_add_test(tc, test_crash_recovery);
	tcase_add_test(tc, test_resolve_after_open);
	tcase_add_test(tc, test_storm_digest);
	tcase_add_test(tc, test_initial_sweep_summary);
	tcase_add_test(tc, test_jira_flow);
	tcase_add_test(tc, test_pagerduty);
	tcase_add_test(tc, test_renderers);
	suite_add_tcase(s, tc);
	return test_run(s);
}
