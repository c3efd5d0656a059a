/*
 * http.c: asynchronous HTTP over one libcurl multi handle bound to the
 * libevent loop (curl's "hiperfifo" pattern), shared by every feed,
 * collector and notifier.
 *
 * curl tells us which sockets to watch (socket callback: one persistent
 * event per socket) and when to call it back (timer callback: one timer);
 * we tell curl what happened with curl_multi_socket_action and then reap
 * finished transfers.  Completion callbacks run only from the reap step,
 * never from inside a curl callback.
 *
 * A request may also be a mail submission (smtp:// or smtps://, for the
 * email notifier): the same multi handle, the same attempts and callbacks,
 * with SMTP's reply codes (4xx transient, 5xx permanent) in place of HTTP's.
 *
 * A request may take several attempts: the AWS SDKs' "standard" retry mode
 * (transient errors and throttling retried with exponential backoff and
 * full jitter, a retry quota, Retry-After honoured).  A prepare callback
 * runs before every attempt, so that a signed request is signed afresh.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "vigil.h"

#define HTTP_DEFAULT_TIMEOUT_MS		(60 * 1000)
#define HTTP_DEFAULT_CONNECT_MS		(10 * 1000)
#define HTTP_DEFAULT_MAX_RESPONSE	(64 * 1024 * 1024)

const struct http_retry_policy http_retry_standard = {
	.max_attempts = 3,
	.base_ms = 1000,
	.max_backoff_ms = 20 * 1000,
	.max_retry_after_ms = 5 * 60 * 1000,
	.quota = NULL,
	.classify = NULL,
	.classify_arg = NULL,
};

struct http {
	struct event_base		*base;
	CURLM				*multi;
	struct event			*timer;
	TAILQ_HEAD(, http_request)	 requests;
	size_t				 nrequests;
	char				*ca_file;
};

struct http_sock {
	struct http	*h;
	curl_socket_t	 fd;
	struct event	*ev;
};

struct http_request {
	struct http			*h;
	TAILQ_ENTRY(http_request)	 entry;
	bool				 started;

	char				*method;
	char				*url;
	struct http_header		*hdrs;
	size_t				 nhdrs;
	char				*body;
	size_t				 body_len;
	char				*unix_socket;
	char				*ca_file;	/* this request's own */
	char				*user;
	char				*password;
	char				*mail_from;	/* NULL: HTTP */
	struct curl_slist		*mail_rcpt;
	bool				 mail_tls;	/* STARTTLS required */
	size_t				 upload_off;
	int64_t				 timeout_ms;
	int64_t				 connect_ms;
	size_t				 max_response;
	struct http_retry_policy	 policy;

	http_prepare_cb			 prepare;
	void				*prepare_arg;
	http_done_cb			 done;
	void				*done_arg;

	CURL				*easy;
	struct curl_slist		*slist;
	struct event			*delay;
	int				 attempt;
	int64_t				 started_ms;
	int				 spent;		/* retry tokens spent */
	bool				 too_big;
	bool				 failed;	/* complete from the timer */
	struct http_response		 resp;
	char				 errbuf[CURL_ERROR_SIZE];
};

static void	http_attempt(struct http_request *);
static const char *http_request_find(const struct http_request *,
		    const char *);

static uint32_t
http_random(uint32_t upper)
{
#ifdef HAVE_ARC4RANDOM_UNIFORM
	return arc4random_uniform(upper);
#else
	return (uint32_t)random() % upper;
#endif
}

static void
http_headers_free(struct http_header *hdrs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(hdrs[i].name);
		free(hdrs[i].value);
	}
	free(hdrs);
}

static void
http_response_clear(struct http_response *r)
{
	free(r->body);
	free(r->error);
	http_headers_free(r->headers, r->nheaders);
	memset(r, 0, sizeof *r);
	r->retry_after_ms = -1;
}

/* Remove the request's transfer from curl, if it has one. */
static void
http_detach(struct http_request *req)
{
	if (req->easy != NULL) {
		curl_multi_remove_handle(req->h->multi, req->easy);
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	curl_slist_free_all(req->slist);
	req->slist = NULL;
}

static void
http_request_free(struct http_request *req)
{
	http_detach(req);
	if (req->delay != NULL)
		event_free(req->delay);
	if (req->started) {
		TAILQ_REMOVE(&req->h->requests, req, entry);
		req->h->nrequests--;
	}
	http_response_clear(&req->resp);
	http_headers_free(req->hdrs, req->nhdrs);
	free(req->method);
	free(req->url);
	free(req->body);
	free(req->unix_socket);
	free(req->ca_file);
	free(req->user);
	if (req->password != NULL)
		freezero_str(req->password);
	free(req->mail_from);
	curl_slist_free_all(req->mail_rcpt);
	free(req);
}

/* curl hands us the response body: keep it, up to the cap. */
static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_request	*req = arg;
	struct http_response	*r = &req->resp;
	size_t			 n = size * nmemb;

	if (r->len + n > req->max_response) {
		req->too_big = true;
		return 0;	/* curl fails the transfer: CURLE_WRITE_ERROR */
	}
	r->body = xrealloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* curl asks for the message a mail submission uploads. */
static size_t
http_read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_request	*req = arg;
	size_t			 n = size * nmemb, left;

	left = req->body_len - req->upload_off;
	if (n > left)
		n = left;
	if (n > 0)
		memcpy(ptr, req->body + req->upload_off, n);
	req->upload_off += n;
	return n;
}

/* curl hands us header lines, one at a time. */
static size_t
http_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_request	*req = arg;
	struct http_response	*r = &req->resp;
	size_t			 n = size * nmemb, i, nlen;
	char			*colon, *v, *end;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* A new status line (after 100 Continue): start again. */
		http_headers_free(r->headers, r->nheaders);
		r->headers = NULL;
		r->nheaders = 0;
		return n;
	}
	if ((colon = memchr(ptr, ':', n)) == NULL || r->nheaders >= 256)
		return n;
	nlen = (size_t)(colon - ptr);
	v = colon + 1;
	end = ptr + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	r->headers = xreallocarray(r->headers, r->nheaders + 1,
	    sizeof *r->headers);
	r->headers[r->nheaders].name = xstrndup(ptr, nlen);
	for (i = 0; i < nlen; i++) {
		char *c = &r->headers[r->nheaders].name[i];
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	r->headers[r->nheaders].value = xstrndup(v, (size_t)(end - v));
	r->nheaders++;
	return n;
}

const char *
http_response_header(const struct http_response *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	}
	return NULL;
}

/*
 * Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3), as
 * milliseconds from now; -1 when absent or unreadable.
 */
int64_t
http_parse_retry_after(const char *v, int64_t now)
{
	const char	*why;
	int64_t		 secs;
	time_t		 t;

	if (v == NULL)
		return -1;
	if (parse_int(v, &secs, &why) == 0)
		return secs < 0 ? -1 : secs * 1000;
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	secs = (int64_t)t * 1000 - now;
	return secs < 0 ? 0 : secs;
}

/* Scheme and host only: paths and queries may hold secrets. */
char *
http_redact_url(const char *url)
{
	const char	*p, *end;

	if ((p = strstr(url, "://")) == NULL)
		return xstrdup("(url)");
	p += 3;
	if ((end = strchr(p, '@')) != NULL && end < p + strcspn(p, "/?#"))
		p = end + 1;	/* drop user:password@ */
	end = p + strcspn(p, "/?#");
	return xprintf("%.*s%.*s%s", (int)(strstr(url, "://") - url + 3), url,
	    (int)(end - p), p, *end != '\0' ? "/..." : "");
}

/* SMTP: a 5xx reply is permanent, a 4xx one transient. */
static enum http_retry_class
http_classify_mail(struct http_request *req, int code)
{
	struct http_response	*r = &req->resp;

	if (code == CURLE_OK || (r->status >= 500 && r->status < 600))
		return HTTP_FINAL;
	if (r->status >= 400 && r->status < 500)
		return HTTP_RETRY_TRANSIENT;
	switch (code) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_OUT_OF_MEMORY:
		return HTTP_FINAL;
	default:
		return HTTP_RETRY_TRANSIENT;
	}
}

static enum http_retry_class
http_classify(struct http_request *req, int code)
{
	struct http_response	*r = &req->resp;
	enum http_retry_class	 c = HTTP_FINAL;

	if (req->mail_from != NULL)
		return http_classify_mail(req, code);
	if (code != CURLE_OK) {
		switch (code) {
		case CURLE_WRITE_ERROR:
		case CURLE_OUT_OF_MEMORY:
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
			return HTTP_FINAL;	/* final */
		default:
			return HTTP_RETRY_TRANSIENT;
		}
	}
	if (r->status == 429)
		c = HTTP_RETRY_THROTTLE;
	else if (r->status == 500 || r->status == 502 || r->status == 503 ||
	    r->status == 504 || r->status == 408)
		c = HTTP_RETRY_TRANSIENT;
	if (req->policy.classify != NULL && c != HTTP_RETRY_THROTTLE) {
		enum http_retry_class pc = req->policy.classify(r,
		    req->policy.classify_arg);
		if (pc != HTTP_FINAL || r->status < 500)
			c = pc;
	}
	return c;
}

static void
http_complete(struct http_request *req)
{
	req->resp.elapsed_ms = mono_ms() - req->started_ms;
	req->resp.attempts = req->attempt;
	if (req->done != NULL)
		req->done(&req->resp, req->done_arg);
	http_request_free(req);
}

static void
http_delay_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http_request	*req = arg;

	if (req->failed)
		http_complete(req);
	else
		http_attempt(req);
}

/* Arm the request's timer: the next attempt, or completion, after ms. */
static void
http_schedule(struct http_request *req, int64_t ms)
{
	struct timeval	 tv;

	if (req->delay == NULL &&
	    (req->delay = evtimer_new(req->h->base, http_delay_cb, req)) ==
	    NULL)
		fatalx("evtimer_new: out of memory");
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(req->delay, &tv);
}

/* One attempt is over: retry it, or hand the result over. */
static void
http_finish(struct http_request *req, int code)
{
	struct http_response	*r = &req->resp;
	struct http_retry_quota	*q = req->policy.quota;
	enum http_retry_class	 c;
	int64_t			 delay, cap;
	long			 connects = 0;
	int			 cost;

	r->curl_code = code;
	if (req->easy != NULL) {
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &connects);
		r->connects = (int)connects;
	}
	http_detach(req);
	if (code != CURLE_OK) {
		if (req->too_big)
			r->error = xprintf("response larger than %zu bytes",
			    req->max_response);
		else
			r->error = xstrdup(req->errbuf[0] != '\0' ?
			    req->errbuf : curl_easy_strerror(code));
		if (req->mail_from == NULL)
			r->status = 0;	/* SMTP keeps its reply code */
	}
	r->retry_after_ms = http_parse_retry_after(http_response_header(r,
	    "retry-after"), now_ms());

	c = http_classify(req, code);
	if (c == HTTP_FINAL) {
		if (q != NULL) {
			/* Standard mode: refund what was spent, or earn one. */
			q->tokens += req->spent > 0 ? req->spent : 1;
			if (q->tokens > q->max)
				q->tokens = q->max;
		}
		http_complete(req);
		return;
	}
	if (req->attempt >= req->policy.max_attempts) {
		http_complete(req);
		return;
	}
	cost = code == CURLE_OPERATION_TIMEDOUT ? HTTP_RETRY_TIMEOUT_COST :
	    HTTP_RETRY_COST;
	if (q != NULL) {
		if (q->tokens < cost) {
			log_debug("http: retry quota exhausted; %s %s fails",
			    req->method, req->url);
			http_complete(req);
			return;
		}
		q->tokens -= cost;
		req->spent += cost;
	}

	/* Exponential backoff with full jitter, or what Retry-After says. */
	cap = req->policy.base_ms << (req->attempt - 1 < 20 ?
	    req->attempt - 1 : 20);
	if (cap > req->policy.max_backoff_ms)
		cap = req->policy.max_backoff_ms;
	delay = cap > 0 ? (int64_t)http_random((uint32_t)cap + 1) : 0;
	if (r->retry_after_ms >= 0)
		delay = r->retry_after_ms < req->policy.max_retry_after_ms ?
		    r->retry_after_ms : req->policy.max_retry_after_ms;

	http_schedule(req, delay);
}

static void
http_reap(struct http *h)
{
	struct http_request	*req;
	CURLMsg			*msg;
	int			 left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		http_finish(req, (int)msg->data.result);
	}
}

static void
http_event_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http_sock	*s = arg;
	struct http		*h = s->h;
	int			 flags = 0, running;

	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	http_reap(h);
}

static void
http_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct http	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_reap(h);
}

/* curl: "call me back in timeout_ms" (-1: never mind). */
static int
http_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	/* Never call curl from here: arm the timer, at least 1 ms. */
	if (timeout_ms == 0)
		timeout_ms = 1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

/* curl: "watch this socket for this" (or stop watching it). */
static int
http_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct http		*h = arg;
	struct http_sock	*s = sockp;
	short			 events = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->h = h;
		s->fd = fd;
		curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	s->ev = event_new(h->base, fd, events, http_event_cb, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0)
		fatalx("http: cannot watch socket %d", (int)fd);
	return 0;
}

/* libcurl's global state: once, before any thread could exist. */
int
http_global_init(char **cause)
{
	CURLcode	 cc;

	if ((cc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		*cause = xprintf("libcurl: %s", curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct http *
http_new(struct event_base *base)
{
	struct http	*h;

	h = xcalloc(1, sizeof *h);
	h->base = base;
	TAILQ_INIT(&h->requests);
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	if ((h->timer = evtimer_new(base, http_timer_cb, h)) == NULL)
		fatalx("evtimer_new: out of memory");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_curl_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_curl_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
	return h;
}

/* Cancel everything (no callbacks) and free the client. */
void
http_free(struct http *h)
{
	struct http_request	*req;

	if (h == NULL)
		return;
	while ((req = TAILQ_FIRST(&h->requests)) != NULL)
		http_request_free(req);
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h->ca_file);
	free(h);
}

size_t
http_in_flight(struct http *h)
{
	return h->nrequests;
}

void
http_set_ca_file(struct http *h, const char *path)
{
	free(h->ca_file);
	h->ca_file = path != NULL ? xstrdup(path) : NULL;
}

struct http_request *
http_request_new(struct http *h, const char *method, const char *url)
{
	struct http_request	*req;

	req = xcalloc(1, sizeof *req);
	req->h = h;
	req->method = xstrdup(method);
	req->url = xstrdup(url);
	req->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	req->connect_ms = HTTP_DEFAULT_CONNECT_MS;
	req->max_response = HTTP_DEFAULT_MAX_RESPONSE;
	req->policy = http_retry_standard;
	req->resp.retry_after_ms = -1;
	return req;
}

void
http_request_set_url(struct http_request *req, const char *url)
{
	free(req->url);
	req->url = xstrdup(url);
}

const char *
http_request_url(const struct http_request *req)
{
	return req->url;
}

const char *
http_request_method(const struct http_request *req)
{
	return req->method;
}

/* Set a request header, replacing one of the same name. */
void
http_request_header(struct http_request *req, const char *name,
    const char *value)
{
	size_t	 i;

	for (i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->hdrs[i].name, name) == 0) {
			free(req->hdrs[i].value);
			req->hdrs[i].value = xstrdup(value);
			return;
		}
	}
	req->hdrs = xreallocarray(req->hdrs, req->nhdrs + 1,
	    sizeof *req->hdrs);
	req->hdrs[req->nhdrs].name = xstrdup(name);
	req->hdrs[req->nhdrs].value = xstrdup(value);
	req->nhdrs++;
}

static const char *
http_request_find(const struct http_request *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->hdrs[i].name, name) == 0)
			return req->hdrs[i].value;
	}
	return NULL;
}

void
http_request_remove_header(struct http_request *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->hdrs[i].name, name) == 0) {
			free(req->hdrs[i].name);
			free(req->hdrs[i].value);
			memmove(&req->hdrs[i], &req->hdrs[i + 1],
			    (req->nhdrs - i - 1) * sizeof *req->hdrs);
			req->nhdrs--;
			return;
		}
	}
}

void
http_request_clear_headers(struct http_request *req)
{
	http_headers_free(req->hdrs, req->nhdrs);
	req->hdrs = NULL;
	req->nhdrs = 0;
}

const struct http_header *
http_request_headers(const struct http_request *req, size_t *n)
{
	*n = req->nhdrs;
	return req->hdrs;
}

void
http_request_body(struct http_request *req, const void *body, size_t len)
{
	free(req->body);
	req->body = xmalloc(len + 1);
	if (len > 0)
		memcpy(req->body, body, len);
	req->body[len] = '\0';
	req->body_len = len;
}

const void *
http_request_get_body(const struct http_request *req, size_t *len)
{
	*len = req->body_len;
	return req->body != NULL ? req->body : "";
}

/* Total and connect timeouts of each attempt, in milliseconds. */
void
http_request_timeout(struct http_request *req, int64_t total,
    int64_t connect)
{
	req->timeout_ms = total;
	req->connect_ms = connect;
}

void
http_request_max_response(struct http_request *req, size_t max)
{
	req->max_response = max;
}

void
http_request_retry(struct http_request *req,
    const struct http_retry_policy *policy)
{
	req->policy = *policy;
	if (req->policy.max_attempts < 1)
		req->policy.max_attempts = 1;
}

void
http_request_on_prepare(struct http_request *req, http_prepare_cb cb,
    void *arg)
{
	req->prepare = cb;
	req->prepare_arg = arg;
}

/*
 * Make the request a mail submission: the body is the message (RFC 5322,
 * CRLF line ends), sent from one envelope sender to the recipients.  With
 * tls_required, an smtp:// server must offer STARTTLS or the request fails;
 * smtps:// is TLS from the start either way.
 */
void
http_request_mail(struct http_request *req, const char *from,
    const char *const *rcpt, size_t n, bool tls_required)
{
	size_t	 i;

	free(req->mail_from);
	req->mail_from = xstrdup(from);
	curl_slist_free_all(req->mail_rcpt);
	req->mail_rcpt = NULL;
	for (i = 0; i < n; i++) {
		if ((req->mail_rcpt = curl_slist_append(req->mail_rcpt,
		    rcpt[i])) == NULL)
			fatalx("curl_slist_append: out of memory");
	}
	req->mail_tls = tls_required;
}

/* A user name and password (SMTP AUTH); the password is wiped on free. */
void
http_request_login(struct http_request *req, const char *user,
    const char *password)
{
	free(req->user);
	req->user = user != NULL ? xstrdup(user) : NULL;
	if (req->password != NULL)
		freezero_str(req->password);
	req->password = password != NULL ? xstrdup(password) : NULL;
}

/* Verify the peer against this CA bundle instead of the client's. */
void
http_request_ca_file(struct http_request *req, const char *path)
{
	free(req->ca_file);
	req->ca_file = path != NULL ? xstrdup(path) : NULL;
}

void
http_request_unix_socket(struct http_request *req, const char *path)
{
	free(req->unix_socket);
	req->unix_socket = path != NULL ? xstrdup(path) : NULL;
}

int
http_request_attempt(const struct http_request *req)
{
	return req->attempt;
}

static void
http_attempt(struct http_request *req)
{
	struct http		*h = req->h;
	struct http_response	*r = &req->resp;
	char			*line, *cause = NULL;
	size_t			 i;
	CURL			*e;

	req->attempt++;
	http_response_clear(r);
	req->too_big = false;
	req->errbuf[0] = '\0';

	if (req->prepare != NULL &&
	    req->prepare(req, req->prepare_arg, &cause) != 0) {
		/* Complete from the loop, never from inside the caller. */
		r->error = cause != NULL ? cause : xstrdup("prepare failed");
		r->curl_code = -1;
		req->failed = true;
		http_schedule(req, 0);
		return;
	}

	if ((e = req->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, req->mail_from != NULL ?
	    "smtp,smtps" : "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vigil/" PACKAGE_VERSION);
	/* TLS verification is always on; only the CA bundle may change. */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL || h->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file != NULL ?
		    req->ca_file : h->ca_file);
	if (req->unix_socket != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->user != NULL)
		curl_easy_setopt(e, CURLOPT_USERNAME, req->user);
	if (req->password != NULL)
		curl_easy_setopt(e, CURLOPT_PASSWORD, req->password);

	if (req->mail_from != NULL) {
		/* SMTP: the envelope, then the message as an upload. */
		req->upload_off = 0;
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, req->mail_from);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, req->mail_rcpt);
		curl_easy_setopt(e, CURLOPT_USE_SSL, req->mail_tls ?
		    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, http_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, req);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)req->body_len);
		if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
			fatalx("curl_multi_add_handle failed");
		return;
	}

	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
	}

	/*
	 * No "Expect: 100-continue" round trip, and no Content-Type that the
	 * caller did not set (curl would add a form type to a POST).
	 */
	req->slist = curl_slist_append(NULL, "Expect:");
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0 &&
	    http_request_find(req, "content-type") == NULL)
		req->slist = curl_slist_append(req->slist, "Content-Type:");
	for (i = 0; i < req->nhdrs; i++) {
		line = xprintf("%s: %s", req->hdrs[i].name, req->hdrs[i].value);
		req->slist = curl_slist_append(req->slist, line);
		free(line);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->slist);

	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
}

/*
 * Start the request; done is called exactly once, from the loop, unless the
 * request is cancelled.  The request belongs to the client from now on and
 * is freed after done returns.
 */
void
http_request_start(struct http_request *req, http_done_cb done, void *arg)
{
	req->done = done;
	req->done_arg = arg;
	req->started = true;
	req->started_ms = mono_ms();
	TAILQ_INSERT_TAIL(&req->h->requests, req, entry);
	req->h->nrequests++;
	http_attempt(req);
}

/* Forget a request: its callback will not be called. */
void
http_request_cancel(struct http_request *req)
{
	http_request_free(req);
}
