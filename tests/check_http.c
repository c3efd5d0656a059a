/*
 * check_http.c: the asynchronous HTTP client against libevent's HTTP server
 * on 127.0.0.1, in the same loop: bodies, headers, connection reuse, size
 * caps, timeouts, retries with backoff, Retry-After, the retry quota,
 * prepare callbacks and cancellation.
 */
#include "config.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "check_vigil.h"
#include "http.h"

struct server {
	struct event_base	*base;
	struct evhttp		*http;
	int			 port;
	int			 hits;		/* requests to the current path */
	int			 fail_first;	/* answer 500 this many times */
	int			 status;	/* then this */
	const char		*retry_after;	/* with 429 */
	size_t			 big;		/* body size for /big */
	struct evhttp_request	*held;		/* /hang: never answered */
	char			 seen_header[128];
};

static struct server	 srv;
static struct http	*client;
static int		 pending;

static void
server_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*out = evbuffer_new(), *in;
	const char	*path = evhttp_request_get_uri(req), *h;
	char		*data;
	size_t		 len;

	srv.hits++;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Test");
	snprintf(srv.seen_header, sizeof srv.seen_header, "%s",
	    h != NULL ? h : "");
	if (strcmp(path, "/hang") == 0) {
		srv.held = req;
		evbuffer_free(out);
		return;
	}
	if (strcmp(path, "/echo") == 0) {
		in = evhttp_request_get_input_buffer(req);
		evbuffer_add_buffer(out, in);
		h = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Content-Type");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "X-Content-Type", h != NULL ? h : "none");
		evhttp_send_reply(req, 200, "OK", out);
	} else if (strcmp(path, "/big") == 0) {
		data = xmalloc(srv.big);
		memset(data, 'x', srv.big);
		evbuffer_add(out, data, srv.big);
		free(data);
		evhttp_send_reply(req, 200, "OK", out);
	} else if (srv.hits <= srv.fail_first) {
		if (srv.retry_after != NULL) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Retry-After", srv.retry_after);
			evhttp_send_reply(req, 429, "Too Many", out);
		} else
			evhttp_send_reply(req, 500, "Oops", out);
	} else {
		len = strlen(path);
		evbuffer_add(out, path, len);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "X-Answer", "yes");
		evhttp_send_reply(req, srv.status, NULL, out);
	}
	evbuffer_free(out);
}

static void
setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_storage		 ss;
	ev_socklen_t			 sl = sizeof ss;

	memset(&srv, 0, sizeof srv);
	srv.status = 200;
	srv.base = event_base_new();
	srv.http = evhttp_new(srv.base);
	evhttp_set_gencb(srv.http, server_cb, NULL);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	bs = evhttp_bind_socket_with_handle(srv.http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl);
	srv.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	client = http_new(srv.base);
	pending = 0;
}

static void
teardown(void)
{
	http_free(client);
	evhttp_free(srv.http);
	event_base_free(srv.base);
}

/* What a finished request left us. */
struct result {
	bool			 done;
	long			 status;
	int			 attempts;
	int			 connects;
	int64_t			 elapsed_ms;
	char			*body;
	char			*error;
	char			*answer;	/* X-Answer header */
	char			*ctype;
};

static void
done_cb(struct http_response *r, void *arg)
{
	struct result	*res = arg;
	const char	*h;

	res->done = true;
	res->status = r->status;
	res->attempts = r->attempts;
	res->connects = r->connects;
	res->elapsed_ms = r->elapsed_ms;
	res->body = r->body != NULL ? xstrdup(r->body) : NULL;
	res->error = r->error != NULL ? xstrdup(r->error) : NULL;
	h = http_response_header(r, "x-answer");
	res->answer = h != NULL ? xstrdup(h) : NULL;
	h = http_response_header(r, "X-CONTENT-TYPE");
	res->ctype = h != NULL ? xstrdup(h) : NULL;
	if (--pending == 0)
		event_base_loopbreak(srv.base);
}

static void
result_free(struct result *r)
{
	free(r->body);
	free(r->error);
	free(r->answer);
	free(r->ctype);
	memset(r, 0, sizeof *r);
}

static struct http_request *
request(const char *method, const char *path)
{
	char			*url;
	struct http_request	*req;

	url = xprintf("http://127.0.0.1:%d%s", srv.port, path);
	req = http_request_new(client, method, url);
	free(url);
	return req;
}

static void
start(struct http_request *req, struct result *res)
{
	memset(res, 0, sizeof *res);
	pending++;
	http_request_start(req, done_cb, res);
}

static void
run(void)
{
	ck_assert_int_eq(event_base_dispatch(srv.base), 0);
	ck_assert_int_eq(pending, 0);
}

/* A retry policy that does not make the tests wait. */
static struct http_retry_policy
fast_policy(int attempts)
{
	struct http_retry_policy p = http_retry_standard;

	p.max_attempts = attempts;
	p.base_ms = 1;
	p.max_backoff_ms = 5;
	return p;
}

START_TEST(test_get_and_reuse)
{
	struct result	 a, b;

	start(request("GET", "/hello"), &a);
	run();
	ck_assert(a.done);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "/hello");
	ck_assert_str_eq(a.answer, "yes");
	ck_assert_int_eq(a.attempts, 1);
	ck_assert_int_eq(a.connects, 1);
	ck_assert_ptr_null(a.error);

	/* The same host again: the connection is reused. */
	start(request("GET", "/again"), &b);
	run();
	ck_assert_int_eq(b.status, 200);
	ck_assert_int_eq(b.connects, 0);
	ck_assert_int_eq(http_in_flight(client), 0);
	result_free(&a);
	result_free(&b);
}
END_TEST

START_TEST(test_post_body_and_headers)
{
	struct http_request	*req;
	struct result		 a, b;

	req = request("POST", "/echo");
	http_request_header(req, "Content-Type", "application/x-amz-json-1.0");
	http_request_header(req, "X-Test", "first");
	http_request_header(req, "x-test", "replaced");
	http_request_body(req, "{\"a\": 1}", 8);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "{\"a\": 1}");
	ck_assert_str_eq(a.ctype, "application/x-amz-json-1.0");
	ck_assert_str_eq(srv.seen_header, "replaced");

	/* Without a Content-Type, curl's form default is not sent. */
	req = request("POST", "/echo");
	http_request_body(req, "x=1", 3);
	start(req, &b);
	run();
	ck_assert_str_eq(b.ctype, "none");
	result_free(&a);
	result_free(&b);
}
END_TEST

START_TEST(test_retry_then_success)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(3);
	struct result			 a;

	srv.fail_first = 2;
	req = request("GET", "/flaky");
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(a.attempts, 3);
	ck_assert_int_eq(srv.hits, 3);
	result_free(&a);
}
END_TEST

START_TEST(test_retries_exhausted)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(3);
	struct result			 a;

	srv.fail_first = 10;
	req = request("GET", "/down");
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 500);
	ck_assert_int_eq(a.attempts, 3);
	ck_assert_int_eq(srv.hits, 3);
	result_free(&a);
}
END_TEST

START_TEST(test_permanent_error_not_retried)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(3);
	struct result			 a;

	srv.status = 404;
	req = request("GET", "/missing");
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 404);
	ck_assert_int_eq(a.attempts, 1);
	result_free(&a);
}
END_TEST

START_TEST(test_retry_after_honoured)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(2);
	struct result			 a;

	srv.fail_first = 1;
	srv.retry_after = "1";
	req = request("GET", "/throttled");
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(a.attempts, 2);
	/* The backoff alone would have been at most 5 ms. */
	ck_assert_msg(a.elapsed_ms >= 1000, "retried after %lld ms",
	    (long long)a.elapsed_ms);
	result_free(&a);
}
END_TEST

START_TEST(test_retry_quota)
{
	struct http_retry_quota		 q = { 5, 500 };
	struct http_retry_policy	 p = fast_policy(3);
	struct http_request		*req;
	struct result			 a, b;

	p.quota = &q;
	srv.fail_first = 100;
	req = request("GET", "/q");
	http_request_retry(req, &p);
	start(req, &a);
	run();
	/* One retry (5 tokens), then the bucket is empty. */
	ck_assert_int_eq(a.attempts, 2);
	ck_assert_int_eq(q.tokens, 0);

	/* A success without retries earns a token back. */
	srv.fail_first = 0;
	srv.hits = 0;
	req = request("GET", "/ok");
	http_request_retry(req, &p);
	start(req, &b);
	run();
	ck_assert_int_eq(b.status, 200);
	ck_assert_int_eq(q.tokens, 1);
	result_free(&a);
	result_free(&b);
}
END_TEST

START_TEST(test_response_cap)
{
	struct http_request	*req;
	struct result		 a;

	srv.big = 300000;
	req = request("GET", "/big");
	http_request_max_response(req, 100000);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(a.attempts, 1);	/* not worth retrying */
	ck_assert_ptr_nonnull(a.error);
	ck_assert_str_eq(a.error, "response larger than 100000 bytes");
	result_free(&a);
}
END_TEST

START_TEST(test_timeout)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(2);
	struct result			 a;

	req = request("GET", "/hang");
	http_request_timeout(req, 200, 1000);
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(a.attempts, 2);
	ck_assert_ptr_nonnull(a.error);
	ck_assert_msg(strstr(a.error, "imed out") != NULL, "%s", a.error);
	result_free(&a);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(3);
	struct result			 a;
	char				*url;

	/* A port that was just free: nothing listens there. */
	url = xprintf("http://127.0.0.1:%d/", srv.port);
	evhttp_free(srv.http);
	srv.http = evhttp_new(srv.base);
	req = http_request_new(client, "GET", url);
	free(url);
	http_request_retry(req, &p);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(a.attempts, 3);
	ck_assert_ptr_nonnull(a.error);
	result_free(&a);
}
END_TEST

static int prepared;

static int
prepare_cb(struct http_request *req, void *arg, char **cause)
{
	char	*v;

	prepared++;
	if (arg != NULL) {
		*cause = xstrdup("no credentials");
		return -1;
	}
	v = xprintf("attempt-%d", http_request_attempt(req));
	http_request_header(req, "X-Test", v);
	free(v);
	return 0;
}

START_TEST(test_prepare_each_attempt)
{
	struct http_request		*req;
	struct http_retry_policy	 p = fast_policy(3);
	struct result			 a, b;

	prepared = 0;
	srv.fail_first = 1;
	req = request("GET", "/signed");
	http_request_retry(req, &p);
	http_request_on_prepare(req, prepare_cb, NULL);
	start(req, &a);
	run();
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(prepared, 2);
	ck_assert_str_eq(srv.seen_header, "attempt-2");

	/* A failing prepare ends the request, from the loop. */
	req = request("GET", "/unsigned");
	http_request_on_prepare(req, prepare_cb, (void *)1);
	start(req, &b);
	ck_assert(!b.done);
	run();
	ck_assert(b.done);
	ck_assert_int_eq(b.status, 0);
	ck_assert_str_eq(b.error, "no credentials");
	result_free(&a);
	result_free(&b);
}
END_TEST

static void
cancel_cb(evutil_socket_t fd, short ev, void *arg)
{
	http_request_cancel(arg);
	event_base_loopbreak(srv.base);
}

START_TEST(test_cancel)
{
	struct http_request	*req;
	struct result		 a;
	struct timeval		 tv = { 0, 50000 };

	req = request("GET", "/hang");
	start(req, &a);
	event_base_once(srv.base, -1, EV_TIMEOUT, cancel_cb, req, &tv);
	ck_assert_int_eq(event_base_dispatch(srv.base), 0);
	ck_assert(!a.done);
	ck_assert_int_eq(http_in_flight(client), 0);
	ck_assert_int_eq(srv.hits, 1);
}
END_TEST

START_TEST(test_retry_after_parse)
{
	ck_assert_int_eq(http_parse_retry_after("120", 0), 120000);
	ck_assert_int_eq(http_parse_retry_after(NULL, 0), -1);
	ck_assert_int_eq(http_parse_retry_after("soon", 0), -1);
	/* An HTTP-date, relative to now. */
	ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777000LL - 3000), 3000);
	ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777000LL + 3000), 0);
}
END_TEST

START_TEST(test_redact_url)
{
	char	*s;

	s = http_redact_url("https://hooks.slack.com/services/T0/B0/secret");
	ck_assert_str_eq(s, "https://hooks.slack.com/...");
	free(s);
	s = http_redact_url("https://user:pw@example.com:8443/x?token=1");
	ck_assert_str_eq(s, "https://example.com:8443/...");
	free(s);
	s = http_redact_url("http://127.0.0.1:5000");
	ck_assert_str_eq(s, "http://127.0.0.1:5000");
	free(s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_and_reuse);
	tcase_add_test(tc, test_post_body_and_headers);
	tcase_add_test(tc, test_retry_then_success);
	tcase_add_test(tc, test_retries_exhausted);
	tcase_add_test(tc, test_permanent_error_not_retried);
	tcase_add_test(tc, test_retry_after_honoured);
	tcase_add_test(tc, test_retry_quota);
	tcase_add_test(tc, test_response_cap);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_prepare_each_attempt);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_retry_after_parse);
	tcase_add_test(tc, test_redact_url);
	suite_add_tcase(s, tc);
	return test_run(s);
}
