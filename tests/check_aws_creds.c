/*
 * check_aws_creds.c: the AWS credential providers.
 *
 * The chain against the environment, temporary config and credentials
 * files, and in-process fakes of the EC2 instance metadata service (IMDSv2)
 * and the ECS container credentials endpoint on 127.0.0.1, in the test's
 * own loop: no real peer exists for those two.  STS (AssumeRole with an
 * external id, AssumeRoleWithWebIdentity, roles from profiles) against
 * moto server, once with its signature verification on.  Nothing here
 * talks to anything but 127.0.0.1.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>

#include <fcntl.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "aws.h"
#include "check_vigil.h"
#include "http.h"
#include "lib/moto.h"
#include "xml.h"

#define ENV_AKID	"AKIAIOSFODNN7EXAMPLE"
#define ENV_SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define ENV_TOKEN	"env-session-token-SECRET"
#define FILE_SECRET	"file-secret-key-SECRET"
#define ECS_AUTH_ENV	"ecs-auth-token-from-env-SECRET"
#define ECS_AUTH_FILE	"ecs-auth-token-from-file-SECRET"
#define WEB_TOKEN	"web-identity-token-SECRET"
#define ACCOUNT		"123456789012"

/* The fakes: IMDSv2 and the container credentials endpoint. */
struct fake {
	struct evhttp	*http;
	int		 port;
	char		*url;

	/* IMDS */
	int		 imds_puts;
	int		 imds_lists;
	int		 imds_creds;
	int		 imds_unauthorized;	/* GETs refused: no token */
	int		 imds_bad_ttl;
	int		 token_gen;		/* the valid token */
	const char	*role;			/* NULL: no role attached */
	int		 creds_gen;
	int		 expires_in;		/* seconds */
	bool		 hold;			/* never answer */

	/* container */
	int		 ecs_hits;
	int		 ecs_fail;		/* answer 403 this many times */
	const char	*ecs_auth;		/* expected Authorization */
	char		 ecs_path[256];
};

static struct event_base	*base;
static struct http		*client;
static struct fake		 fake;
static char			*tmpdir;
static int64_t			 clock_offset;

static struct moto		*moto;
static char			*moto_cause;

static int64_t
fake_clock(void)
{
	return now_ms() + clock_offset;
}

static void
iso_in(char *buf, size_t len, int seconds)
{
	time_t		 t = time(NULL) + seconds;
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
reply(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer	*out = evbuffer_new();

	evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, status, NULL, out);
	evbuffer_free(out);
}

static void
fake_imds(struct evhttp_request *req, const char *path)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	const char		*h, *prefix =
	    "/latest/meta-data/iam/security-credentials/";
	char			 tok[64], exp[64], *body;

	if (strcmp(path, "/latest/api/token") == 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_PUT) {
			reply(req, 405, "");
			return;
		}
		h = evhttp_find_header(in,
		    "X-aws-ec2-metadata-token-ttl-seconds");
		if (h == NULL || atoi(h) < 1 || atoi(h) > 21600) {
			fake.imds_bad_ttl++;
			reply(req, 400, "");
			return;
		}
		fake.imds_puts++;
		if (fake.token_gen == 0)
			fake.token_gen = 1;
		snprintf(tok, sizeof tok, "imds-token-%d-SECRET",
		    fake.token_gen);
		reply(req, 200, tok);
		return;
	}
	snprintf(tok, sizeof tok, "imds-token-%d-SECRET", fake.token_gen);
	h = evhttp_find_header(in, "X-aws-ec2-metadata-token");
	if (h == NULL || fake.token_gen == 0 || strcmp(h, tok) != 0) {
		fake.imds_unauthorized++;
		reply(req, 401, "");
		return;
	}
	if (strcmp(path, prefix) == 0) {
		fake.imds_lists++;
		if (fake.role == NULL)
			reply(req, 404, "");
		else {
			body = xprintf("%s\n", fake.role);
			reply(req, 200, body);
			free(body);
		}
		return;
	}
	if (fake.role == NULL || strcmp(path + strlen(prefix), fake.role) !=
	    0) {
		reply(req, 404, "");
		return;
	}
	fake.imds_creds++;
	fake.creds_gen++;
	iso_in(exp, sizeof exp, fake.expires_in);
	body = xprintf("{\"Code\": \"Success\", \"LastUpdated\": "
	    "\"2026-01-01T00:00:00Z\", \"Type\": \"AWS-HMAC\", "
	    "\"AccessKeyId\": \"ASIAIMDSFAKE%04d\", \"SecretAccessKey\": "
	    "\"imds-secret-%d-SECRET\", \"Token\": \"imds-session-%d-SECRET\", "
	    "\"Expiration\": \"%s\"}", fake.creds_gen, fake.creds_gen,
	    fake.creds_gen, exp);
	reply(req, 200, body);
	free(body);
}

static void
fake_ecs(struct evhttp_request *req, const char *path)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	const char		*h;
	char			 exp[64], *body;

	fake.ecs_hits++;
	snprintf(fake.ecs_path, sizeof fake.ecs_path, "%s", path);
	h = evhttp_find_header(in, "Authorization");
	if (fake.ecs_auth != NULL && (h == NULL ||
	    strcmp(h, fake.ecs_auth) != 0)) {
		reply(req, 401, "{\"code\": \"Unauthorized\", \"message\": "
		    "\"bad authorization token\"}");
		return;
	}
	if (fake.ecs_fail > 0) {
		fake.ecs_fail--;
		reply(req, 403, "{\"code\": \"AccessDenied\", \"message\": "
		    "\"not now\"}");
		return;
	}
	fake.creds_gen++;
	iso_in(exp, sizeof exp, fake.expires_in);
	body = xprintf("{\"AccessKeyId\": \"ASIAECSFAKE%05d\", "
	    "\"SecretAccessKey\": \"ecs-secret-%d-SECRET\", \"Token\": "
	    "\"ecs-session-%d-SECRET\", \"Expiration\": \"%s\", \"RoleArn\": "
	    "\"arn:aws:iam::" ACCOUNT ":role/task\"}", fake.creds_gen,
	    fake.creds_gen, fake.creds_gen, exp);
	reply(req, 200, body);
	free(body);
}

static void
fake_cb(struct evhttp_request *req, void *arg)
{
	const char	*uri = evhttp_request_get_uri(req);

	if (fake.hold)
		return;		/* never answered; freed with the server */
	if (strncmp(uri, "/latest/", 8) == 0)
		fake_imds(req, uri);
	else
		fake_ecs(req, uri);
}

/* Every AWS_* variable out of the way: nothing leaks from the caller. */
static void
env_clear(void)
{
	extern char	**environ;
	char		**names = NULL, *eq;
	size_t		  n = 0, i;

	for (i = 0; environ[i] != NULL; i++) {
		if (strncmp(environ[i], "AWS_", 4) != 0 ||
		    (eq = strchr(environ[i], '=')) == NULL)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrndup(environ[i], (size_t)(eq - environ[i]));
	}
	for (i = 0; i < n; i++) {
		unsetenv(names[i]);
		free(names[i]);
	}
	free(names);
}

static char *
tmp_path(const char *name)
{
	return xprintf("%s/%s", tmpdir, name);
}

static void
setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_storage		 ss;
	ev_socklen_t			 sl = sizeof ss;
	char				*p;

	memset(&fake, 0, sizeof fake);
	fake.role = "vigil-role";
	fake.expires_in = 3600;
	clock_offset = 0;
	aws_creds_set_clock(NULL);
	log_set_level(LOG_LEVEL_WARNING);

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	fake.http = evhttp_new(base);
	evhttp_set_gencb(fake.http, fake_cb, NULL);
	evhttp_set_allowed_methods(fake.http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_POST);
	bs = evhttp_bind_socket_with_handle(fake.http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl);
	fake.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	fake.url = xprintf("http://127.0.0.1:%d", fake.port);
	client = http_new(base);

	/*
	 * A clean slate: no AWS_* from outside, no ~/.aws, no instance
	 * metadata, and anything that would go to a default AWS endpoint
	 * goes to a closed loopback port instead.
	 */
	tmpdir = test_tmpdir();
	env_clear();
	setenv("HOME", tmpdir, 1);
	p = tmp_path("config");
	setenv("AWS_CONFIG_FILE", p, 1);
	free(p);
	p = tmp_path("credentials");
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	free(p);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_REGION", "us-east-1", 1);
}

static void
teardown(void)
{
	http_free(client);
	evhttp_free(fake.http);
	event_base_free(base);
	free(fake.url);
	test_rmrf(tmpdir);
	free(tmpdir);
	aws_creds_set_clock(NULL);
}

/* Run the loop until *counter reaches target, or fail after ms. */
static void
deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	*(bool *)arg = true;
}

static bool
run_until(const int *counter, int target, int64_t ms)
{
	struct event	*ev;
	struct timeval	 tv;
	bool		 late = false;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	ev = evtimer_new(base, deadline_cb, &late);
	evtimer_add(ev, &tv);
	while (*counter < target && !late)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *counter >= target;
}

/* Run the loop for a while (no condition: for "nothing happens"). */
static void
run_for(int64_t ms)
{
	int	 never = 0;

	run_until(&never, 1, ms);
}

/* What a waiter saw. */
struct waited {
	int	 calls;
	bool	 inside;	/* set while aws_creds_wait runs */
	bool	 sync;		/* called from inside aws_creds_wait */
	char	*akid;
	char	*secret;
	char	*token;
	int64_t	 expires_ms;
	char	*source;
	char	*error;
};

static void
waited_clear(struct waited *w)
{
	free(w->akid);
	free(w->secret);
	free(w->token);
	free(w->source);
	free(w->error);
	memset(w, 0, sizeof *w);
}

static void
wait_cb(const struct aws_credentials *cr, const char *err, void *arg)
{
	struct waited	*w = arg;

	if (w->inside)
		w->sync = true;
	w->calls++;
	if (cr != NULL) {
		free(w->akid);
		free(w->secret);
		free(w->token);
		free(w->source);
		w->akid = xstrdup(cr->access_key_id);
		w->secret = xstrdup(cr->secret_access_key);
		w->token = cr->session_token != NULL ?
		    xstrdup(cr->session_token) : NULL;
		w->source = cr->source != NULL ? xstrdup(cr->source) : NULL;
		w->expires_ms = cr->expires_ms;
	}
	if (err != NULL) {
		free(w->error);
		w->error = xstrdup(err);
	}
}

static void
start_wait(struct aws_creds *c, struct waited *w)
{
	waited_clear(w);
	w->inside = true;
	aws_creds_wait(c, wait_cb, w);
	w->inside = false;
	ck_assert_int_eq(w->calls, 0);
}

/* Wait for credentials (or an error) from the loop. */
static void
wait_creds(struct aws_creds *c, struct waited *w)
{
	start_wait(c, w);
	ck_assert_msg(run_until(&w->calls, 1, 20000), "no answer in 20 s");
	ck_assert_int_eq(w->calls, 1);
	ck_assert(!w->sync);
}

static void
expect_creds(struct aws_creds *c, struct waited *w)
{
	wait_creds(c, w);
	ck_assert_msg(w->akid != NULL, "no credentials: %s",
	    w->error != NULL ? w->error : "(no error)");
}

static void
expect_error(struct aws_creds *c, struct waited *w, const char *part)
{
	wait_creds(c, w);
	ck_assert_msg(w->akid == NULL, "credentials where an error was due");
	ck_assert_ptr_nonnull(w->error);
	ck_assert_msg(strstr(w->error, part) != NULL, "error \"%s\" lacks "
	    "\"%s\"", w->error, part);
}

static struct aws_creds *
chain(void)
{
	return aws_creds_chain_new(base, client, NULL);
}

static struct aws_creds *
chain_opts(const char *profile, const char *sts)
{
	struct aws_creds_options	 o;

	memset(&o, 0, sizeof o);
	o.profile = profile;
	o.sts_endpoint = sts;
	o.container_endpoint = fake.url;
	return aws_creds_chain_new(base, client, &o);
}

static void
write_tmp(const char *name, const char *text)
{
	char	*p = tmp_path(name);

	test_write(p, text);
	free(p);
}

static void
use_imds(void)
{
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url, 1);
}

/* A status JSON as text, checked to hold no secret. */
static char *
status_text(struct aws_creds *c)
{
	json_t	*st = aws_creds_status(c);
	char	*s;

	s = json_dumps(st, JSON_SORT_KEYS);
	json_decref(st);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "SECRET") == NULL, "a secret in %s", s);
	ck_assert_msg(strstr(s, ENV_SECRET) == NULL, "a secret in %s", s);
	ck_assert_msg(strstr(s, ENV_AKID) == NULL, "a full key id in %s", s);
	return s;
}

static const char *
status_str(struct aws_creds *c, const char *key, char *buf, size_t len)
{
	json_t		*st = aws_creds_status(c);
	const char	*v = json_string_value(json_object_get(st, key));

	snprintf(buf, len, "%s", v != NULL ? v : "(null)");
	json_decref(st);
	return buf;
}

START_TEST(test_env_complete)
{
	struct aws_creds		*c;
	const struct aws_credentials	*cr;
	struct waited			 w = { 0 };
	char				 buf[256], *s;

	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	c = chain();
	ck_assert_ptr_null(aws_creds_current(c));	/* fetched later */
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, ENV_AKID);
	ck_assert_str_eq(w.secret, ENV_SECRET);
	ck_assert_ptr_null(w.token);
	ck_assert_int_eq(w.expires_ms, 0);
	ck_assert_str_eq(w.source, "environment");
	cr = aws_creds_current(c);
	ck_assert_ptr_nonnull(cr);
	ck_assert_str_eq(cr->access_key_id, ENV_AKID);

	ck_assert_str_eq(status_str(c, "source", buf, sizeof buf),
	    "environment");
	ck_assert_str_eq(status_str(c, "state", buf, sizeof buf), "valid");
	ck_assert_str_eq(status_str(c, "access_key_id", buf, sizeof buf),
	    "AKIA\xe2\x80\xa6MPLE");
	s = status_text(c);
	ck_assert_msg(strstr(s, "\"expires_at\": null") != NULL, "%s", s);
	free(s);

	/* Long-term keys never expire: even far in the future. */
	clock_offset = 400LL * 86400 * 1000;
	aws_creds_set_clock(fake_clock);
	ck_assert_ptr_nonnull(aws_creds_current(c));
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_env_session_token)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			 exp[64], buf[64];

	setenv("AWS_ACCESS_KEY_ID", "ASIAENVTEMPORARY0001", 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	setenv("AWS_SESSION_TOKEN", ENV_TOKEN, 1);
	iso_in(exp, sizeof exp, 7200);
	setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.token, ENV_TOKEN);
	ck_assert_int_gt(w.expires_ms, now_ms() + 7100 * 1000LL);
	status_str(c, "expires_at", buf, sizeof buf);
	ck_assert_msg(strncmp(buf, exp, 19) == 0, "%s vs %s", buf, exp);
	free(status_text(c));
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_env_incomplete)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			 buf[512];

	/* Static keys in the credentials file would do, but no fall-through. */
	write_tmp("credentials", "[default]\naws_access_key_id = AKIAFILE\n"
	    "aws_secret_access_key = " FILE_SECRET "\n");
	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	c = chain();
	expect_error(c, &w, "AWS_ACCESS_KEY_ID is set but "
	    "AWS_SECRET_ACCESS_KEY is not");
	ck_assert_str_eq(status_str(c, "state", buf, sizeof buf), "error");
	ck_assert_str_eq(status_str(c, "last_error", buf, sizeof buf),
	    w.error);
	aws_creds_free(c);

	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	c = chain();
	expect_error(c, &w, "AWS_SECRET_ACCESS_KEY is set but "
	    "AWS_ACCESS_KEY_ID is not");
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_no_credentials)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	c = chain();
	expect_error(c, &w, "no AWS credentials found; tried: environment");
	ck_assert_msg(strstr(w.error, "web identity") != NULL &&
	    strstr(w.error, "shared files (no profile default") != NULL &&
	    strstr(w.error, "container") != NULL &&
	    strstr(w.error, "EC2 instance metadata (disabled by "
	    "AWS_EC2_METADATA_DISABLED)") != NULL, "%s", w.error);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

/* A waiter that waits again, once, from inside its callback. */
static struct aws_creds	*rewait_creds;

static void
rewait_cb(const struct aws_credentials *cr, const char *err, void *arg)
{
	struct waited	*w = arg;

	wait_cb(cr, err, arg);
	if (w->calls == 1) {
		w->inside = true;
		aws_creds_wait(rewait_creds, rewait_cb, w);
		w->inside = false;
	}
}

static void
never_cb(const struct aws_credentials *cr, const char *err, void *arg)
{
	ck_abort_msg("a cancelled waiter was called");
}

START_TEST(test_waiters_from_the_loop)
{
	struct aws_creds	*c;
	struct waited		 a = { 0 }, b = { 0 }, r = { 0 };

	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	c = chain();

	/* Before any fetch; with a cancelled waiter beside. */
	start_wait(c, &a);
	aws_creds_wait(c, never_cb, NULL);
	aws_creds_cancel_wait(c, never_cb, NULL);
	ck_assert(run_until(&a.calls, 1, 5000));
	ck_assert(!a.sync);
	ck_assert_str_eq(a.akid, ENV_AKID);

	/* With the credentials at hand: still never from inside. */
	ck_assert_ptr_nonnull(aws_creds_current(c));
	start_wait(c, &b);
	ck_assert_int_eq(b.calls, 0);
	ck_assert(run_until(&b.calls, 1, 5000));
	ck_assert(!b.sync);

	/* Waiting again from a callback: the next round, from the loop. */
	rewait_creds = c;
	waited_clear(&r);
	r.inside = true;
	aws_creds_wait(c, rewait_cb, &r);
	r.inside = false;
	ck_assert(run_until(&r.calls, 2, 5000));
	ck_assert(!r.sync);
	run_for(50);
	ck_assert_int_eq(r.calls, 2);

	aws_creds_free(c);
	waited_clear(&a);
	waited_clear(&b);
	waited_clear(&r);
}
END_TEST

/* Freeing the provider from inside its own waiter callback. */
static void
free_cb(const struct aws_credentials *cr, const char *err, void *arg)
{
	struct waited	*w = arg;

	wait_cb(cr, err, arg);
	aws_creds_free(rewait_creds);
	rewait_creds = NULL;
	(void)w;
}

START_TEST(test_free_in_flight_and_in_callback)
{
	struct aws_creds	*c;
	struct waited		 a = { 0 }, b = { 0 };

	/* A fetch that never ends, then freed: no callback, no leak. */
	use_imds();
	fake.hold = true;
	c = chain();
	start_wait(c, &a);
	run_for(100);
	ck_assert_int_eq(a.calls, 0);
	aws_creds_free(c);
	run_for(50);
	ck_assert_int_eq(a.calls, 0);

	/* Freed from a callback, with another waiter queued. */
	fake.hold = false;
	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	rewait_creds = c = chain();
	start_wait(c, &a);
	a.inside = false;
	aws_creds_wait(c, free_cb, &b);
	ck_assert(run_until(&b.calls, 1, 5000));
	ck_assert_ptr_null(rewait_creds);
	ck_assert_int_eq(a.calls, 1);
	waited_clear(&a);
	waited_clear(&b);
}
END_TEST

static int	done_count;

static void
status_cb(struct http_response *r, void *arg)
{
	*(long *)arg = r->status;
	done_count++;
}

START_TEST(test_imds)
{
	struct aws_creds		*c;
	const struct aws_credentials	*cr;
	struct waited			 w = { 0 };
	struct http_request		*req;
	char				 buf[256];
	long				 status = 0;

	use_imds();
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "ASIAIMDSFAKE0001");
	ck_assert_str_eq(w.secret, "imds-secret-1-SECRET");
	ck_assert_str_eq(w.token, "imds-session-1-SECRET");
	ck_assert_int_gt(w.expires_ms, now_ms() + 3500 * 1000LL);
	ck_assert_str_eq(w.source, "EC2 instance metadata (role vigil-role)");
	ck_assert_int_eq(fake.imds_puts, 1);
	ck_assert_int_eq(fake.imds_bad_ttl, 0);
	ck_assert_int_eq(fake.imds_lists, 1);
	ck_assert_int_eq(fake.imds_creds, 1);
	ck_assert_int_eq(fake.imds_unauthorized, 0);

	/* Within the margin: the cache, no request. */
	cr = aws_creds_current(c);
	ck_assert_ptr_nonnull(cr);
	ck_assert_str_eq(cr->access_key_id, "ASIAIMDSFAKE0001");
	run_for(50);
	ck_assert_int_eq(fake.imds_creds, 1);
	ck_assert_str_eq(status_str(c, "state", buf, sizeof buf), "valid");
	ck_assert_str_eq(status_str(c, "access_key_id", buf, sizeof buf),
	    "ASIA\xe2\x80\xa6" "0001");
	free(status_text(c));

	/* The fake is IMDSv2 only: no token, no answer. */
	snprintf(buf, sizeof buf, "%s/latest/meta-data/iam/"
	    "security-credentials/", fake.url);
	req = http_request_new(client, "GET", buf);
	http_request_start(req, status_cb, &status);
	ck_assert(run_until(&done_count, 1, 5000));
	ck_assert_int_eq(status, 401);
	ck_assert_int_eq(fake.imds_unauthorized, 1);

	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_imds_refresh_near_expiry)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	use_imds();
	aws_creds_set_clock(fake_clock);
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "ASIAIMDSFAKE0001");

	/* 50 minutes on: still good for more than the margin. */
	clock_offset = 50LL * 60 * 1000;
	ck_assert_ptr_nonnull(aws_creds_current(c));
	ck_assert_int_eq(fake.imds_creds, 1);

	/* 56 minutes on: inside the 5-minute margin: NULL, and a fetch. */
	clock_offset = 56LL * 60 * 1000;
	fake.expires_in = 2 * 3600;
	ck_assert_ptr_null(aws_creds_current(c));
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "ASIAIMDSFAKE0002");
	ck_assert_int_eq(fake.imds_creds, 2);
	ck_assert_int_eq(fake.imds_puts, 1);	/* the token was kept */
	ck_assert_ptr_nonnull(aws_creds_current(c));
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_imds_proactive_refresh)
{
	struct aws_creds		*c;
	const struct aws_credentials	*cr;
	struct waited			 w = { 0 };

	/* Short-lived credentials: the timer refreshes them, unasked. */
	use_imds();
	fake.expires_in = 4;
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "ASIAIMDSFAKE0001");
	ck_assert_ptr_nonnull(aws_creds_current(c));
	ck_assert_int_eq(fake.imds_creds, 1);
	fake.expires_in = 3600;
	ck_assert_msg(run_until(&fake.imds_creds, 2, 10000),
	    "no refresh before expiry");
	run_for(100);
	cr = aws_creds_current(c);
	ck_assert_ptr_nonnull(cr);
	ck_assert_str_eq(cr->access_key_id, "ASIAIMDSFAKE0002");
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_imds_token_refused_and_invalidate)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	use_imds();
	c = chain();
	expect_creds(c, &w);
	ck_assert_int_eq(fake.imds_puts, 1);

	/* The fake forgets the token; an ExpiredToken answer invalidates. */
	fake.token_gen++;
	aws_creds_invalidate(c);
	ck_assert_ptr_null(aws_creds_current(c));
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "ASIAIMDSFAKE0002");
	ck_assert_int_eq(fake.imds_unauthorized, 1);	/* old token: 401 */
	ck_assert_int_eq(fake.imds_puts, 2);		/* then a new one */
	ck_assert_ptr_nonnull(aws_creds_current(c));
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_imds_down)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*url, buf[1024];
	int			 port;

	/* A port that was just free: nothing listens there. */
	port = fake.port;
	evhttp_free(fake.http);
	fake.http = evhttp_new(base);
	url = xprintf("http://127.0.0.1:%d", port);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	free(url);
	c = chain();
	expect_error(c, &w, "no AWS credentials found; tried: environment "
	    "(AWS_ACCESS_KEY_ID not set)");
	ck_assert_msg(strstr(w.error, "; EC2 instance metadata (") != NULL,
	    "%s", w.error);
	ck_assert_msg(strstr(w.error, "container (") != NULL, "%s", w.error);
	ck_assert_str_eq(status_str(c, "last_error", buf, sizeof buf),
	    w.error);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_imds_no_role)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	use_imds();
	fake.role = NULL;
	c = chain();
	expect_error(c, &w, "no IAM role is attached to this instance");
	ck_assert_msg(strstr(w.error, "no AWS credentials found") != NULL,
	    "%s", w.error);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_ecs_relative)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/"
	    "8b1a-task", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH_ENV, 1);
	fake.ecs_auth = ECS_AUTH_ENV;
	c = chain_opts(NULL, NULL);
	expect_creds(c, &w);
	ck_assert_str_eq(fake.ecs_path, "/v2/credentials/8b1a-task");
	ck_assert_str_eq(w.akid, "ASIAECSFAKE00001");
	ck_assert_str_eq(w.token, "ecs-session-1-SECRET");
	ck_assert_msg(strncmp(w.source, "container credentials (http://"
	    "127.0.0.1:", 37) == 0, "%s", w.source);
	ck_assert_msg(strstr(w.source, "8b1a") == NULL, "%s", w.source);
	free(status_text(c));
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_ecs_full_uri_token_file)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*url, *tf;

	url = xprintf("%s/ecs/creds", fake.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	free(url);
	write_tmp("ecs-token", ECS_AUTH_FILE "\n");
	tf = tmp_path("ecs-token");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tf, 1);
	/* The file wins over the variable. */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH_ENV, 1);
	fake.ecs_auth = ECS_AUTH_FILE;
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(fake.ecs_path, "/ecs/creds");
	ck_assert_str_eq(w.akid, "ASIAECSFAKE00001");

	/* The file is read again at every refresh (EKS rotates it). */
	unlink(tf);
	aws_creds_invalidate(c);
	expect_error(c, &w, "container authorization token: ");
	ck_assert_msg(strstr(w.error, "ecs-token") != NULL, "%s", w.error);
	free(tf);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_ecs_full_uri_refused)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds",
	    1);
	c = chain();
	expect_error(c, &w, "plain HTTP is allowed only to a loopback "
	    "address");
	aws_creds_free(c);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://127.0.0.1.example.com/creds", 1);
	c = chain();
	expect_error(c, &w, "use https");
	aws_creds_free(c);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds",
	    1);
	c = chain();
	expect_error(c, &w, "must be an http or https URL");
	aws_creds_free(c);
	ck_assert_int_eq(fake.ecs_hits, 0);
	waited_clear(&w);
}
END_TEST

START_TEST(test_failure_backoff)
{
	struct aws_creds		*c;
	struct waited			 w = { 0 };
	const struct aws_credentials	*cr = NULL;
	char				*url, buf[512];
	int64_t				 t0;

	url = xprintf("%s/ecs/creds", fake.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	free(url);
	fake.ecs_fail = 1;
	c = chain();
	expect_error(c, &w, "HTTP 403 AccessDenied: not now");
	ck_assert_int_eq(fake.ecs_hits, 1);
	ck_assert_str_eq(status_str(c, "state", buf, sizeof buf), "error");

	/* Asking again at once does not hammer the endpoint. */
	t0 = mono_ms();
	ck_assert_ptr_null(aws_creds_current(c));
	ck_assert_ptr_null(aws_creds_current(c));
	expect_error(c, &w, "not now");
	ck_assert_int_eq(fake.ecs_hits, 1);

	/* The retry comes from the timer, after a backoff. */
	ck_assert(run_until(&fake.ecs_hits, 2, 10000));
	ck_assert_int_ge(mono_ms() - t0, 400);
	run_for(100);
	cr = aws_creds_current(c);
	ck_assert_ptr_nonnull(cr);
	ck_assert_str_eq(cr->access_key_id, "ASIAECSFAKE00001");
	ck_assert_str_eq(status_str(c, "state", buf, sizeof buf), "valid");
	/* The last error stays visible, with its time. */
	ck_assert_msg(strstr(status_str(c, "last_error", buf, sizeof buf),
	    "not now") != NULL, "%s", buf);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_profile_static)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	write_tmp("config", "# the CLI's config\n[default]\nregion = "
	    "eu-west-1\ns3 =\n    addressing_style = path\n\n"
	    "[profile dev]\naws_access_key_id = AKIADEVCONFIG0000001\n"
	    "aws_secret_access_key = dev-" FILE_SECRET "\n"
	    "[sso-session corp]\nsso_region = eu-west-1\n");
	write_tmp("credentials", "; keys\n[default]\r\n"
	    "AWS_ACCESS_KEY_ID=AKIADEFAULT000000001\r\n"
	    "  \n"
	    "aws_secret_access_key   =   " FILE_SECRET "   \r\n"
	    "aws_session_token = file-session-SECRET\n");
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "AKIADEFAULT000000001");
	ck_assert_str_eq(w.secret, FILE_SECRET);
	ck_assert_str_eq(w.token, "file-session-SECRET");
	ck_assert_str_eq(w.source, "profile default");
	aws_creds_free(c);

	/* AWS_PROFILE, and a profile only in the config file. */
	setenv("AWS_PROFILE", "dev", 1);
	c = chain();
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, "AKIADEVCONFIG0000001");
	ck_assert_str_eq(w.source, "profile dev");
	aws_creds_free(c);

	/* The option wins over AWS_PROFILE; a missing one is an error. */
	c = chain_opts("nope", NULL);
	expect_error(c, &w, "profile nope not found in ");
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_profile_errors)
{
	static const struct {
		const char	*file;
		const char	*text;
		const char	*error;		/* after "<path>:" */
	} cases[] = {
		{ "config", "[profile x\nregion = a\n",
		    "1: missing ']' in the section header" },
		{ "config", "# c\nregion = a\n",
		    "2: setting outside a section" },
		{ "credentials", "[default]\naws_access_key_id = A\n"
		    "aws_secret_access_key " ENV_SECRET "\n",
		    "3: expected '[section]' or 'key = value'" },
		{ "credentials", "[default]\n[other]\n[default]\n",
		    "3: section [default] repeated (first at line 1)" },
		{ "credentials", "[default]\na = 1\nA = 2\n",
		    "3: a repeated in [default] (first at line 2)" },
		{ "config", "[default]\nregion = a\n  oops = 1\n",
		    "3: unexpected indented line" },
		{ "config", "[default] x\n", "1: unexpected text after" },
		{ "config", "[ ]\n", "1: empty section name" },
		{ "config", "[default]\n= 1\n", "2: missing key before '='" },
		{ "credentials", "[default]\naws_access_key_id = AKIAONLY\n",
		    "2: profile default: aws_access_key_id without "
		    "aws_secret_access_key" },
		{ "config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n",
		    "2: profile default: role_arn needs source_profile, "
		    "credential_source or web_identity_token_file" },
		{ "config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "source_profile = a\ncredential_source = Environment\n",
		    "2: profile default: source_profile and credential_source "
		    "are both set" },
		{ "config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "credential_source = Bogus\n",
		    "2: profile default: unknown credential_source Bogus" },
		{ "config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "credential_source = EcsContainer\n",
		    "2: profile default: credential_source EcsContainer, but" },
		{ "config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "credential_source = Environment\nduration_seconds = 60\n",
		    "4: duration_seconds must be a number of seconds from "
		    "900" },
		{ "config", "[default]\ncredential_process = /bin/creds\n",
		    "2: profile default: credential_process is not supported" },
	};
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*path, *want;
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		write_tmp("config", "");
		write_tmp("credentials", "");
		write_tmp(cases[i].file, cases[i].text);
		path = tmp_path(cases[i].file);
		want = xprintf("%s:%s", path, cases[i].error);
		c = chain();
		wait_creds(c, &w);
		ck_assert_msg(w.error != NULL && strncmp(w.error, want,
		    strlen(want)) == 0, "case %zu: \"%s\", not \"%s\"", i,
		    w.error != NULL ? w.error : "(credentials)", want);
		/* Errors name keys, never values. */
		ck_assert_msg(strstr(w.error, "SECRET") == NULL &&
		    strstr(w.error, "EXAMPLEKEY") == NULL, "%s", w.error);
		aws_creds_free(c);
		free(path);
		free(want);
	}
	waited_clear(&w);
}
END_TEST

START_TEST(test_profile_cycle)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	write_tmp("config",
	    "[profile a]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/a\n"
	    "source_profile = b\n"
	    "[profile b]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/b\n"
	    "source_profile = c\n"
	    "[profile c]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/c\n"
	    "source_profile = a\n"
	    "[profile d]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/d\n"
	    "source_profile = e\n"
	    "[profile e]\nregion = eu-west-1\n"
	    "[profile f]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/f\n"
	    "source_profile = f\n");
	c = chain_opts("a", NULL);
	expect_error(c, &w, "profile a: source_profile cycle: a -> b -> c -> "
	    "a");
	aws_creds_free(c);
	c = chain_opts("d", NULL);
	expect_error(c, &w, "profile e (source_profile of d) has no "
	    "credentials");
	aws_creds_free(c);
	c = chain_opts("f", NULL);
	expect_error(c, &w, "profile f is its own source_profile but has no "
	    "static keys");
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_web_identity_incomplete)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };

	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent", 1);
	c = chain();
	expect_error(c, &w, "AWS_WEB_IDENTITY_TOKEN_FILE is set but "
	    "AWS_ROLE_ARN is not");
	aws_creds_free(c);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::" ACCOUNT ":role/web", 1);
	c = chain();
	expect_error(c, &w, "web identity token: /nonexistent: ");
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_static_and_mask)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*m;

	c = aws_creds_static_new(base, client, ENV_AKID, ENV_SECRET, NULL);
	ck_assert_ptr_nonnull(aws_creds_current(c));
	expect_creds(c, &w);
	ck_assert_str_eq(w.akid, ENV_AKID);
	free(status_text(c));
	aws_creds_free(c);

	m = aws_creds_mask("AKIAIOSFODNN7EXAMPLE");
	ck_assert_str_eq(m, "AKIA\xe2\x80\xa6MPLE");
	free(m);
	m = aws_creds_mask("short");
	ck_assert_str_eq(m, "\xe2\x80\xa6");
	free(m);
	waited_clear(&w);
}
END_TEST

/* Capture stderr (where the log goes) to a file. */
static int	saved_stderr = -1;

static void
capture_start(const char *path)
{
	int	 fd;

	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static char *
capture_end(const char *path)
{
	char	*text, *cause = NULL;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	text = read_file(path, 1024 * 1024, NULL, &cause);
	ck_assert_msg(text != NULL, "%s", cause);
	return text;
}

START_TEST(test_no_secret_in_logs_or_status)
{
	static const char *const secrets[] = { ENV_AKID, ENV_SECRET,
	    ENV_TOKEN, FILE_SECRET, ECS_AUTH_ENV, "SECRET", "imds-token-",
	    "imds-secret", "imds-session", "ecs-secret", "ecs-session",
	    "EXAMPLEKEY" };
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*log, *path, *url;
	size_t			 i;

	path = tmp_path("log");
	log_set_level(LOG_LEVEL_DEBUG);
	capture_start(path);

	/* The environment, with a session token. */
	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	setenv("AWS_SESSION_TOKEN", ENV_TOKEN, 1);
	c = chain();
	expect_creds(c, &w);
	free(status_text(c));
	aws_creds_invalidate(c);
	expect_creds(c, &w);
	aws_creds_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");

	/* A broken line next to a secret. */
	write_tmp("credentials", "[default]\naws_secret_access_key "
	    ENV_SECRET "\n");
	c = chain();
	expect_error(c, &w, "expected");
	free(status_text(c));
	aws_creds_free(c);
	write_tmp("credentials", "");

	/* IMDS, refreshed. */
	use_imds();
	c = chain();
	expect_creds(c, &w);
	free(status_text(c));
	fake.token_gen++;
	aws_creds_invalidate(c);
	expect_creds(c, &w);
	free(status_text(c));
	aws_creds_free(c);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);

	/* Container credentials, refused then accepted. */
	url = xprintf("%s/ecs/creds", fake.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	free(url);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH_ENV, 1);
	fake.ecs_auth = "something else";
	c = chain();
	expect_error(c, &w, "HTTP 401 Unauthorized");
	free(status_text(c));
	aws_creds_free(c);
	fake.ecs_auth = ECS_AUTH_ENV;
	c = chain();
	expect_creds(c, &w);
	free(status_text(c));
	aws_creds_free(c);

	log = capture_end(path);
	log_set_level(LOG_LEVEL_WARNING);
	/* The capture worked: the log says what happened, masked. */
	ck_assert_msg(strstr(log, "from environment, access key "
	    "AKIA\xe2\x80\xa6MPLE") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "HTTP 401 Unauthorized") != NULL, "%s", log);
	for (i = 0; i < nitems(secrets); i++)
		ck_assert_msg(strstr(log, secrets[i]) == NULL, "\"%s\" in the "
		    "log:\n%s", secrets[i], log);
	free(log);
	free(path);
	waited_clear(&w);
}
END_TEST

/*
 * STS against moto server.
 */
struct called {
	int	 done;
	long	 status;
	char	*error;
	json_t	*body;
};

static void
called_cb(struct aws_response *ar, void *arg)
{
	struct called	*r = arg;

	r->done++;
	r->status = ar->status;
	r->error = ar->error != NULL ? xstrdup(ar->error) : NULL;
	r->body = json_incref(ar->body);
}

static void
called_clear(struct called *r)
{
	free(r->error);
	json_decref(r->body);
	memset(r, 0, sizeof *r);
}

static void
query(struct aws_client *cl, const char *action, const struct aws_param *p,
    size_t n, struct called *r)
{
	memset(r, 0, sizeof *r);
	aws_query_call(cl, action, p, n, called_cb, r);
	ck_assert_msg(run_until(&r->done, 1, 30000), "%s: no answer", action);
}

/* The ARN that GetCallerIdentity answers, signed with c. */
static char *
caller_arn(struct aws_creds *c)
{
	struct aws_client	*cl;
	struct called		 r;
	const char		*arn;
	char			*out;

	cl = aws_client_new(client, &aws_service_sts, "us-east-1",
	    moto_url(moto), c);
	query(cl, "GetCallerIdentity", NULL, 0, &r);
	ck_assert_msg(r.error == NULL, "GetCallerIdentity: %s", r.error);
	arn = xml_path_str(r.body, "GetCallerIdentityResponse/"
	    "GetCallerIdentityResult/Arn");
	ck_assert_ptr_nonnull(arn);
	out = xstrdup(arn);
	called_clear(&r);
	aws_client_free(cl);
	return out;
}

static void
moto_setup(void)
{
	moto_cause = NULL;
	moto = moto_start(NULL, &moto_cause);
}

static void
moto_strict_setup(void)
{
	/* Four calls to set up IAM, then every request is verified. */
	static const char *const env[] = { "INITIAL_NO_AUTH_ACTION_COUNT=4",
	    NULL };

	moto_cause = NULL;
	moto = moto_start(env, &moto_cause);
}

static void
moto_teardown(void)
{
	moto_stop(moto);
	moto = NULL;
	free(moto_cause);
	moto_cause = NULL;
}

static void
need_moto(void)
{
	ck_assert_msg(moto != NULL, "%s", moto_cause);
	setenv("AWS_ENDPOINT_URL_STS", moto_url(moto), 1);
}

START_TEST(test_sts_assume_role_external_id)
{
	struct aws_creds	*base_creds, *role;
	struct waited		 w = { 0 };
	char			*arn, *s, buf[256];

	need_moto();
	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	base_creds = chain();
	role = aws_creds_assume_role_new(base_creds, "arn:aws:iam::" ACCOUNT
	    ":role/audit", "external-id-SECRET", "vigil-test", "us-east-1",
	    moto_url(moto));
	ck_assert_ptr_null(aws_creds_current(role));
	expect_creds(role, &w);
	ck_assert_msg(strncmp(w.akid, "ASIA", 4) == 0, "%s", w.akid);
	ck_assert_ptr_nonnull(w.token);
	ck_assert_int_gt(w.expires_ms, now_ms() + 3000 * 1000LL);
	ck_assert_int_le(w.expires_ms, now_ms() + 3700 * 1000LL);
	ck_assert_str_eq(w.source, "role arn:aws:iam::" ACCOUNT ":role/audit");

	/* The assumed role's credentials are the ones used. */
	arn = caller_arn(role);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/audit/vigil-test");
	free(arn);
	arn = caller_arn(base_creds);
	ck_assert_msg(strstr(arn, "assumed-role") == NULL, "%s", arn);
	free(arn);

	ck_assert_str_eq(status_str(role, "role_arn", buf, sizeof buf),
	    "arn:aws:iam::" ACCOUNT ":role/audit");
	s = status_text(role);
	ck_assert_msg(strstr(s, "external-id") == NULL, "%s", s);
	free(s);
	aws_creds_free(role);
	aws_creds_free(base_creds);
	waited_clear(&w);
}
END_TEST

START_TEST(test_sts_web_identity)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*tf, *arn;

	need_moto();
	write_tmp("web-token", WEB_TOKEN "\n");
	tf = tmp_path("web-token");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tf, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::" ACCOUNT ":role/k8s-vigil", 1);
	setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
	c = chain();
	expect_creds(c, &w);
	ck_assert_msg(strncmp(w.akid, "ASIA", 4) == 0, "%s", w.akid);
	ck_assert_str_eq(w.source, "web identity (role arn:aws:iam::" ACCOUNT
	    ":role/k8s-vigil)");
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/k8s-vigil/pod-1");
	free(arn);

	/* The token file is read at every refresh. */
	unlink(tf);
	aws_creds_invalidate(c);
	expect_error(c, &w, "web identity token: ");
	write_tmp("web-token", WEB_TOKEN "-rotated\n");
	aws_creds_invalidate(c);	/* now, not after the backoff */
	expect_creds(c, &w);
	free(tf);
	aws_creds_free(c);
	waited_clear(&w);
}
END_TEST

START_TEST(test_sts_profiles)
{
	struct aws_creds	*c;
	struct waited		 w = { 0 };
	char			*arn, *tf, *cfg;

	need_moto();
	write_tmp("web-token", WEB_TOKEN "\n");
	tf = tmp_path("web-token");
	write_tmp("credentials", "[base]\naws_access_key_id = " ENV_AKID "\n"
	    "aws_secret_access_key = " ENV_SECRET "\n");
	cfg = xprintf(
	    "[profile audit]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/audit\n"
	    "source_profile = base\nexternal_id = ext-SECRET\n"
	    "role_session_name = s-audit\nduration_seconds = 900\n"
	    "[profile top]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/top\n"
	    "source_profile = audit\nrole_session_name = s-top\n"
	    "[profile self]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/self\n"
	    "source_profile = self\naws_access_key_id = " ENV_AKID "\n"
	    "aws_secret_access_key = " ENV_SECRET "\n"
	    "role_session_name = s-self\n"
	    "[profile fromenv]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/env\n"
	    "credential_source = Environment\nrole_session_name = s-env\n"
	    "[profile fromimds]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/ec2\n"
	    "credential_source = Ec2InstanceMetadata\n"
	    "role_session_name = s-ec2\n"
	    "[profile web]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/web\n"
	    "web_identity_token_file = %s\nrole_session_name = s-web\n", tf);
	write_tmp("config", cfg);
	free(cfg);

	/* One hop, with an external id and a duration. */
	c = chain_opts("audit", moto_url(moto));
	expect_creds(c, &w);
	ck_assert_str_eq(w.source, "profile audit (role arn:aws:iam::" ACCOUNT
	    ":role/audit)");
	ck_assert_int_le(w.expires_ms, now_ms() + 1000 * 1000LL);
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/audit/s-audit");
	free(arn);
	aws_creds_free(c);

	/* Two hops. */
	c = chain_opts("top", moto_url(moto));
	expect_creds(c, &w);
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/top/s-top");
	free(arn);
	aws_creds_free(c);

	/* Its own keys as the source. */
	c = chain_opts("self", moto_url(moto));
	expect_creds(c, &w);
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/self/s-self");
	free(arn);
	aws_creds_free(c);

	/*
	 * credential_source Environment: a profile given by name skips the
	 * environment step, as in the SDKs, but not as a source.
	 */
	setenv("AWS_ACCESS_KEY_ID", ENV_AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET, 1);
	c = chain_opts("fromenv", moto_url(moto));
	expect_creds(c, &w);
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/env/s-env");
	free(arn);
	aws_creds_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	/* credential_source Ec2InstanceMetadata (the fake). */
	use_imds();
	c = chain_opts("fromimds", moto_url(moto));
	expect_creds(c, &w);
	ck_assert_int_eq(fake.imds_creds, 1);
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/ec2/s-ec2");
	free(arn);
	aws_creds_free(c);

	/* web_identity_token_file in a profile. */
	c = chain_opts("web", moto_url(moto));
	expect_creds(c, &w);
	ck_assert_str_eq(w.source, "profile web (web identity, role "
	    "arn:aws:iam::" ACCOUNT ":role/web)");
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/web/s-web");
	free(arn);
	aws_creds_free(c);
	free(tf);
	waited_clear(&w);
}
END_TEST

/* IAM, only to set up moto's users and roles. */
static const struct aws_service test_iam = {
	.id = "IAM", .prefix = "iam", .signing_name = "iam",
	.api_version = "2010-05-08", .global = true,
};

START_TEST(test_sts_signatures_verified)
{
	struct aws_creds	*setup_creds, *wrong, *c, *role, *bad;
	struct aws_client	*iam;
	struct called		 r;
	struct waited		 w = { 0 };
	struct aws_param	 p[3];
	const char		*v;
	char			*akid, *secret, *arn;

	need_moto();
	/* The four unverified calls: a user, its key, a policy, a role. */
	setup_creds = aws_creds_static_new(base, client, "AKIASETUP000000000",
	    "setup", NULL);
	iam = aws_client_new(client, &test_iam, "us-east-1", moto_url(moto),
	    setup_creds);
	p[0].name = "UserName";
	p[0].value = "vigil";
	query(iam, "CreateUser", p, 1, &r);
	ck_assert_msg(r.error == NULL, "%s", r.error);
	called_clear(&r);
	query(iam, "CreateAccessKey", p, 1, &r);
	ck_assert_msg(r.error == NULL, "%s", r.error);
	v = xml_path_str(r.body, "CreateAccessKeyResponse/"
	    "CreateAccessKeyResult/AccessKey/AccessKeyId");
	ck_assert_ptr_nonnull(v);
	akid = xstrdup(v);
	v = xml_path_str(r.body, "CreateAccessKeyResponse/"
	    "CreateAccessKeyResult/AccessKey/SecretAccessKey");
	ck_assert_ptr_nonnull(v);
	secret = xstrdup(v);
	called_clear(&r);
	p[1].name = "PolicyName";
	p[1].value = "assume";
	p[2].name = "PolicyDocument";
	p[2].value = "{\"Version\": \"2012-10-17\", \"Statement\": "
	    "[{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", "
	    "\"Resource\": \"*\"}]}";
	query(iam, "PutUserPolicy", p, 3, &r);
	ck_assert_msg(r.error == NULL, "%s", r.error);
	called_clear(&r);
	p[0].name = "RoleName";
	p[0].value = "audit";
	p[1].name = "AssumeRolePolicyDocument";
	p[1].value = "{\"Version\": \"2012-10-17\", \"Statement\": "
	    "[{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": "
	    "\"arn:aws:iam::" ACCOUNT ":user/vigil\"}, \"Action\": "
	    "\"sts:AssumeRole\", \"Condition\": {\"StringEquals\": "
	    "{\"sts:ExternalId\": \"strict-external-id\"}}}]}";
	query(iam, "CreateRole", p, 2, &r);
	ck_assert_msg(r.error == NULL, "%s", r.error);
	called_clear(&r);
	aws_client_free(iam);
	aws_creds_free(setup_creds);

	/* From now on, moto checks every signature. */
	wrong = aws_creds_static_new(base, client, akid, "not-the-secret",
	    NULL);
	iam = aws_client_new(client, &aws_service_sts, "us-east-1",
	    moto_url(moto), wrong);
	query(iam, "GetCallerIdentity", NULL, 0, &r);
	ck_assert_msg(r.error != NULL && strstr(r.error,
	    "SignatureDoesNotMatch") != NULL, "a bad signature was accepted: "
	    "%s", r.error != NULL ? r.error : "(no error)");
	called_clear(&r);
	aws_client_free(iam);
	aws_creds_free(wrong);

	/* The chain, from the environment, signs right. */
	setenv("AWS_ACCESS_KEY_ID", akid, 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	c = chain();
	arn = caller_arn(c);
	ck_assert_str_eq(arn, "arn:aws:iam::" ACCOUNT ":user/vigil");
	free(arn);

	/* AssumeRole, signed, with the external id the role demands. */
	role = aws_creds_assume_role_new(c, "arn:aws:iam::" ACCOUNT
	    ":role/audit", "strict-external-id", "vigil-strict", NULL,
	    moto_url(moto));
	expect_creds(role, &w);
	arn = caller_arn(role);
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT
	    ":assumed-role/audit/vigil-strict");
	free(arn);

	/* A wrong external id is refused, and the error kept. */
	bad = aws_creds_assume_role_new(c, "arn:aws:iam::" ACCOUNT
	    ":role/audit", "wrong", "vigil-strict", NULL, moto_url(moto));
	expect_error(bad, &w, "AccessDenied");
	ck_assert_msg(strstr(w.error, "assuming role arn:aws:iam::" ACCOUNT
	    ":role/audit: STS AssumeRole: HTTP 403") != NULL, "%s", w.error);

	aws_creds_free(bad);
	aws_creds_free(role);
	aws_creds_free(c);
	freezero_str(secret);
	free(akid);
	waited_clear(&w);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("aws_creds");
	TCase	*tc;

	log_init("check_aws_creds", false);

	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_env_complete);
	tcase_add_test(tc, test_env_session_token);
	tcase_add_test(tc, test_env_incomplete);
	tcase_add_test(tc, test_no_credentials);
	tcase_add_test(tc, test_waiters_from_the_loop);
	tcase_add_test(tc, test_free_in_flight_and_in_callback);
	tcase_add_test(tc, test_imds);
	tcase_add_test(tc, test_imds_refresh_near_expiry);
	tcase_add_test(tc, test_imds_proactive_refresh);
	tcase_add_test(tc, test_imds_token_refused_and_invalidate);
	tcase_add_test(tc, test_imds_down);
	tcase_add_test(tc, test_imds_no_role);
	tcase_add_test(tc, test_ecs_relative);
	tcase_add_test(tc, test_ecs_full_uri_token_file);
	tcase_add_test(tc, test_ecs_full_uri_refused);
	tcase_add_test(tc, test_failure_backoff);
	tcase_add_test(tc, test_profile_static);
	tcase_add_test(tc, test_profile_errors);
	tcase_add_test(tc, test_profile_cycle);
	tcase_add_test(tc, test_web_identity_incomplete);
	tcase_add_test(tc, test_static_and_mask);
	tcase_add_test(tc, test_no_secret_in_logs_or_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("sts-moto");
	tcase_add_unchecked_fixture(tc, moto_setup, moto_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sts_assume_role_external_id);
	tcase_add_test(tc, test_sts_web_identity);
	tcase_add_test(tc, test_sts_profiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("sts-moto-sigv4");
	tcase_add_unchecked_fixture(tc, moto_strict_setup, moto_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sts_signatures_verified);
	suite_add_tcase(s, tc);

	return test_run(s);
}
