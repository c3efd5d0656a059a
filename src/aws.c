/*
 * aws.c: signed calls to AWS services over the shared HTTP client.
 *
 * A call names an operation and its parameters; this file finds the
 * endpoint (an explicit one, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
 * or the partition's default), waits for credentials when they are being
 * fetched, signs every attempt afresh with SigV4, decodes the answer (JSON,
 * or XML turned into JSON) and the AWS error code, and lets the HTTP layer
 * retry throttling and transient errors in the SDKs' standard mode.  An
 * answer saying the credentials expired makes the call fetch new ones and
 * try once more.
 *
 * A model-driven call (aws_op_call) names an operation of a model instead:
 * the codec (aws-codec.h) makes the request from botocore-style parameters
 * and decodes the answer into the document the AWS CLI prints, and its
 * errors; aws_op_call_all follows the paginator and merges the pages.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws-codec.h"
#include "aws-sigv4.h"
#include "aws.h"
#include "vigil.h"
#include "xml.h"

#define AWS_DEFAULT_TIMEOUT_MS	(60 * 1000)
#define AWS_DEFAULT_MAX_PAGES	10000

const struct aws_service aws_service_sqs = {
	.id = "SQS", .prefix = "sqs", .signing_name = "sqs",
	.api_version = "2012-11-05", .target_prefix = "AmazonSQS",
	.json_version = "1.0",
};
const struct aws_service aws_service_sts = {
	.id = "STS", .prefix = "sts", .signing_name = "sts",
	.api_version = "2011-06-15",
};
const struct aws_service aws_service_s3 = {
	.id = "S3", .prefix = "s3", .signing_name = "s3",
};

struct aws_call {
	struct aws_client	*c;
	enum aws_protocol	 proto;
	char			*operation;
	char			*method;
	char			*url;
	char			*body;
	size_t			 body_len;
	int64_t			 timeout_ms;
	bool			 expired_retry;	/* tried again once already */
	bool			 waiting;	/* for credentials */
	struct http_request	*req;
	aws_done_cb		 done;
	void			*arg;

	/* Model-driven calls. */
	const struct aws_op	*op;
	json_t			*params;	/* this page's */
	struct aws_pages	*pages;		/* all pages, or NULL */
	aws_done_cb		 page;		/* each page, as it comes */
	size_t			 npages;
	struct http_header	*headers;	/* the codec's */
	size_t			 nheaders;
	char			*fail;		/* the request cannot be made */
};

static void	aws_call_send(struct aws_call *);
static bool	aws_s3_dns_bucket(const char *);

/* What a signature adds to a request. */
static const char *const aws_signature_headers[] = {
	"Authorization", "X-Amz-Date", "X-Amz-Security-Token",
	"x-amz-content-sha256",
};

static const char *const aws_throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
	"AWS.SimpleQueueService.RequestThrottled",
};
static const char *const aws_transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError",
	"InternalFailure", "ServiceUnavailable", "InternalServerError",
};
static const char *const aws_expired_codes[] = {
	"ExpiredToken", "ExpiredTokenException", "RequestExpired",
	"TokenRefreshRequired",
};

static bool
aws_code_in(const char *code, const char *const *list, size_t n)
{
	size_t	 i;

	if (code == NULL)
		return false;
	for (i = 0; i < n; i++) {
		if (strcmp(code, list[i]) == 0)
			return true;
	}
	return false;
}

bool
aws_error_is_throttle(const char *code)
{
	return aws_code_in(code, aws_throttle_codes,
	    nitems(aws_throttle_codes));
}

bool
aws_error_is_expired(const char *code)
{
	return aws_code_in(code, aws_expired_codes, nitems(aws_expired_codes));
}

/* The DNS suffix of the partition a region belongs to. */
const char *
aws_partition_suffix(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "amazonaws.com.cn";
	if (strncmp(region, "us-isob-", 8) == 0)
		return "sc2s.sgov.gov";
	if (strncmp(region, "us-iso-", 7) == 0)
		return "c2s.ic.gov";
	return "amazonaws.com";
}

static char *
aws_strip_slash(const char *url)
{
	size_t	 len = strlen(url);

	while (len > 0 && url[len - 1] == '/')
		len--;
	return xstrndup(url, len);
}

/*
 * The base URL for a service in a region: the explicit endpoint if there
 * is one, then AWS_ENDPOINT_URL_<ID> and AWS_ENDPOINT_URL as the SDKs read
 * them (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), then the
 * partition's default.
 */
char *
aws_endpoint(const struct aws_service *svc, const char *region,
    const char *explicit)
{
	const char	*v, *ignore;
	char		*name, *p;
	bool		 no_env;

	if (explicit != NULL && *explicit != '\0')
		return aws_strip_slash(explicit);
	ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	no_env = ignore != NULL && strcasecmp(ignore, "true") == 0;
	if (!no_env) {
		name = xprintf("AWS_ENDPOINT_URL_%s", svc->id);
		for (p = name; *p != '\0'; p++) {
			if (*p == ' ' || *p == '-')
				*p = '_';
			else
				*p = (char)toupper((unsigned char)*p);
		}
		v = getenv(name);
		free(name);
		if (v != NULL && *v != '\0')
			return aws_strip_slash(v);
		if ((v = getenv("AWS_ENDPOINT_URL")) != NULL && *v != '\0')
			return aws_strip_slash(v);
	}
	if (svc->global)
		return xprintf("https://%s.%s", svc->prefix,
		    aws_partition_suffix(region));
	return xprintf("https://%s.%s.%s", svc->prefix, region,
	    aws_partition_suffix(region));
}

/* The host[:port] part of a URL. */
char *
aws_url_host(const char *url)
{
	const char	*p, *end;

	if ((p = strstr(url, "://")) == NULL)
		return xstrdup("");
	p += 3;
	end = p + strcspn(p, "/?#");
	return xstrndup(p, (size_t)(end - p));
}

struct aws_client *
aws_client_new(struct http *http, const struct aws_service *svc,
    const char *region, const char *endpoint, struct aws_creds *creds)
{
	struct aws_client	*c;

	c = xcalloc(1, sizeof *c);
	c->http = http;
	c->svc = svc;
	c->region = xstrdup(region);
	c->endpoint = aws_endpoint(svc, region, endpoint);
	c->creds = creds;
	c->quota.tokens = c->quota.max = HTTP_RETRY_QUOTA_INITIAL;
	c->policy = http_retry_standard;
	c->policy.quota = &c->quota;
	c->timeout_ms = AWS_DEFAULT_TIMEOUT_MS;
	return c;
}

void
aws_client_free(struct aws_client *c)
{
	if (c == NULL)
		return;
	free(c->region);
	free(c->endpoint);
	free(c);
}

/*
 * The AWS error code and message of an answer, from whichever place the
 * protocol puts them (the codec's decoder, as botocore's parsers find
 * them).  Returns 0 if there is an error code.
 */
static int
aws_decode_error(enum aws_protocol proto, const struct http_response *r,
    char **code, char **message, char **request_id)
{
	struct aws_answer	 a;
	struct aws_error	 e;
	int			 rc;

	a.status = r->status;
	a.headers = r->headers;
	a.nheaders = r->nheaders;
	a.body = r->body != NULL ? r->body : "";
	a.len = r->len;
	rc = aws_codec_error(proto, &a, &e);
	*code = e.code;
	*message = e.message;
	*request_id = e.request_id;
	free(e.type);
	return rc;
}

static json_t *
aws_decode_body(enum aws_protocol proto, const struct http_response *r,
    char **cause)
{
	json_error_t	 jerr;
	json_t		*v;

	if (r->len == 0)
		return NULL;
	if (proto == AWS_PROTO_JSON || proto == AWS_PROTO_REST_JSON) {
		if ((v = json_loadb(r->body, r->len, 0, &jerr)) == NULL)
			*cause = xprintf("answer is not JSON: %s (offset %d)",
			    jerr.text, jerr.position);
		return v;
	}
	if (r->body[strspn(r->body, " \t\r\n")] != '<')
		return NULL;	/* REST-XML object bodies are the caller's */
	return xml_to_json(r->body, r->len, cause);
}

/* Retry decisions on AWS error codes, for the HTTP layer. */
static enum http_retry_class
aws_classify(const struct http_response *r, void *arg)
{
	struct aws_call	*call = arg;
	char		*code, *msg, *id;
	enum http_retry_class c = HTTP_FINAL;

	if (r->status < 400)
		return HTTP_FINAL;
	if (aws_decode_error(call->proto, r, &code, &msg, &id) == 0) {
		if (aws_error_is_throttle(code))
			c = HTTP_RETRY_THROTTLE;
		else if (aws_code_in(code, aws_transient_codes,
		    nitems(aws_transient_codes)))
			c = HTTP_RETRY_TRANSIENT;
	}
	free(code);
	free(msg);
	free(id);
	return c;
}

/* Sign this attempt with the credentials of the moment. */
static int
aws_sign(struct http_request *req, void *arg, char **cause)
{
	struct aws_call			*call = arg;
	struct aws_client		*c = call->c;
	const struct aws_credentials	*cr;
	struct sigv4_request		 sr;
	struct sigv4_credentials	 sc;
	struct sigv4_params		 sp;
	struct sigv4_header		*sh;
	struct sigv4_out_header		*out;
	const struct http_header	*hh;
	const char			*url, *p, *q;
	char				*path, *query = NULL, *host;
	size_t				 nhh, nout, i, plen;
	int				 rc;

	if (call->fail != NULL) {
		*cause = xstrdup(call->fail);
		return -1;
	}
	if (c->creds == NULL)
		return 0;
	if ((cr = aws_creds_current(c->creds)) == NULL) {
		*cause = xstrdup("no valid AWS credentials");
		return -1;
	}

	/* Headers of an earlier attempt's signature are not signed. */
	for (i = 0; i < nitems(aws_signature_headers); i++)
		http_request_remove_header(req, aws_signature_headers[i]);
	url = http_request_url(req);
	host = aws_url_host(url);
	http_request_header(req, "Host", host);
	free(host);
	p = strstr(url, "://") + 3;
	p += strcspn(p, "/?#");
	plen = strcspn(p, "?#");
	path = plen > 0 ? xstrndup(p, plen) : xstrdup("/");
	if (p[plen] == '?') {
		q = p + plen + 1;
		query = xstrndup(q, strcspn(q, "#"));
	}

	hh = http_request_headers(req, &nhh);
	sh = xcalloc(nhh + 1, sizeof *sh);
	for (i = 0; i < nhh; i++) {
		sh[i].name = hh[i].name;
		sh[i].value = hh[i].value;
	}
	memset(&sr, 0, sizeof sr);
	sr.method = call->method;
	sr.path = path;
	sr.query = query;
	sr.headers = sh;
	sr.nheaders = nhh;
	sr.payload = call->body != NULL ? call->body : "";
	sr.payload_len = call->body_len;
	sc.access_key_id = cr->access_key_id;
	sc.secret_access_key = cr->secret_access_key;
	sc.session_token = cr->session_token;
	memset(&sp, 0, sizeof sp);
	sp.region = c->region;
	sp.service = c->svc->signing_name;
	sp.now = time(NULL);
	sp.flags = strcmp(c->svc->signing_name, "s3") == 0 ? SIGV4_S3 : 0;

	rc = sigv4_sign_headers(&sr, &sc, &sp, &out, &nout, cause);
	free(sh);
	free(path);
	free(query);
	if (rc != 0)
		return -1;
	for (i = 0; i < nout; i++)
		http_request_header(req, out[i].name, out[i].value);
	sigv4_headers_free(out, nout);
	return 0;
}

static void
aws_response_clear(struct aws_response *ar)
{
	json_decref(ar->body);
	free(ar->error_code);
	free(ar->error_message);
	free(ar->request_id);
	free(ar->error);
}

static void
aws_call_headers_clear(struct aws_call *call)
{
	size_t	 i;

	for (i = 0; i < call->nheaders; i++) {
		free(call->headers[i].name);
		free(call->headers[i].value);
	}
	free(call->headers);
	call->headers = NULL;
	call->nheaders = 0;
}

static void
aws_call_free(struct aws_call *call)
{
	free(call->operation);
	free(call->method);
	free(call->url);
	free(call->body);
	json_decref(call->params);
	aws_pages_free(call->pages);
	aws_call_headers_clear(call);
	free(call->fail);
	free(call);
}

static void	aws_op_answer(struct aws_call *, struct http_response *);

static void
aws_headers_add_borrowed(struct aws_call *call, const char *name,
    const char *value)
{
	call->headers = xreallocarray(call->headers, call->nheaders + 1,
	    sizeof *call->headers);
	call->headers[call->nheaders].name = xstrdup(name);
	call->headers[call->nheaders].value = xstrdup(value);
	call->nheaders++;
}

static void
aws_http_done(struct http_response *r, void *arg)
{
	struct aws_call		*call = arg;
	struct aws_response	 ar;
	char			*cause = NULL;

	call->req = NULL;
	log_debug("aws: %s %s: HTTP %ld after %d attempt%s, %lld ms",
	    call->c->svc->id, call->operation, r->status, r->attempts,
	    r->attempts == 1 ? "" : "s", (long long)r->elapsed_ms);
	if (call->op != NULL) {
		aws_op_answer(call, r);
		return;
	}
	memset(&ar, 0, sizeof ar);
	ar.status = r->status;
	ar.raw = r->body;
	ar.raw_len = r->len;
	ar.attempts = r->attempts;
	ar.elapsed_ms = r->elapsed_ms;
	ar.http = r;

	if (r->status == 0) {
		ar.error = xprintf("%s %s: %s", call->c->svc->id,
		    call->operation, r->error != NULL ? r->error :
		    "no answer");
		goto done;
	}
	ar.body = aws_decode_body(call->proto, r, &cause);
	if (r->status >= 200 && r->status <= 299) {
		if (cause != NULL) {
			ar.error = xprintf("%s %s: %s", call->c->svc->id,
			    call->operation, cause);
			free(cause);
		}
		goto done;
	}
	free(cause);
	aws_decode_error(call->proto, r, &ar.error_code, &ar.error_message,
	    &ar.request_id);
	if (aws_error_is_expired(ar.error_code) && !call->expired_retry &&
	    call->c->creds != NULL) {
		/* Fetch fresh credentials and try once more. */
		log_info("%s %s: %s; refreshing credentials", call->c->svc->id,
		    call->operation, ar.error_code);
		call->expired_retry = true;
		aws_creds_invalidate(call->c->creds);
		aws_response_clear(&ar);
		aws_call_send(call);
		return;
	}
	ar.error = xprintf("%s %s: HTTP %ld%s%s%s%s%s%s", call->c->svc->id,
	    call->operation, r->status,
	    ar.error_code != NULL ? " " : "",
	    ar.error_code != NULL ? ar.error_code : "",
	    ar.error_message != NULL ? ": " : "",
	    ar.error_message != NULL ? ar.error_message : "",
	    ar.request_id != NULL ? " (request id " : "",
	    ar.request_id != NULL ? ar.request_id : "");
	if (ar.request_id != NULL) {
		char *e = xprintf("%s)", ar.error);
		free(ar.error);
		ar.error = e;
	}
done:
	call->done(&ar, call->arg);
	aws_response_clear(&ar);
	aws_call_free(call);
}

/* The headers a protocol's calls carry (model calls have the codec's). */
static void
aws_protocol_headers(struct aws_call *call, struct http_request *req)
{
	struct aws_client	*c = call->c;
	char			*v;

	switch (call->proto) {
	case AWS_PROTO_JSON:
		v = xprintf("application/x-amz-json-%s", c->svc->json_version);
		http_request_header(req, "Content-Type", v);
		free(v);
		v = xprintf("%s.%s", c->svc->target_prefix, call->operation);
		http_request_header(req, "X-Amz-Target", v);
		free(v);
		break;
	case AWS_PROTO_QUERY:
	case AWS_PROTO_EC2:
		http_request_header(req, "Content-Type",
		    "application/x-www-form-urlencoded; charset=utf-8");
		break;
	default:
		break;
	}
}

static void
aws_start_http(struct aws_call *call)
{
	struct aws_client	*c = call->c;
	struct http_request	*req;
	struct http_retry_policy policy = c->policy;
	size_t			 i;

	req = http_request_new(c->http, call->method, call->url);
	http_request_timeout(req, call->timeout_ms, 10000);
	if (c->max_response != 0)
		http_request_max_response(req, c->max_response);
	policy.classify = aws_classify;
	policy.classify_arg = call;
	http_request_retry(req, &policy);
	if (call->op == NULL)
		aws_protocol_headers(call, req);
	for (i = 0; i < call->nheaders; i++)
		http_request_header(req, call->headers[i].name,
		    call->headers[i].value);
	if (call->body != NULL)
		http_request_body(req, call->body, call->body_len);
	http_request_on_prepare(req, aws_sign, call);
	call->req = req;
	http_request_start(req, aws_http_done, call);
}

static void
aws_creds_ready(const struct aws_credentials *cr, const char *err, void *arg)
{
	struct aws_call		*call = arg;
	struct aws_response	 ar;

	call->waiting = false;
	if (cr != NULL) {
		aws_start_http(call);
		return;
	}
	memset(&ar, 0, sizeof ar);
	ar.error = xprintf("%s %s: no AWS credentials: %s", call->c->svc->id,
	    call->operation, err != NULL ? err : "unknown error");
	call->done(&ar, call->arg);
	aws_response_clear(&ar);
	aws_call_free(call);
}

static void
aws_call_send(struct aws_call *call)
{
	if (call->c->creds == NULL ||
	    aws_creds_current(call->c->creds) != NULL) {
		aws_start_http(call);
		return;
	}
	call->waiting = true;
	aws_creds_wait(call->c->creds, aws_creds_ready, call);
}

static struct aws_call *
aws_call_new(struct aws_client *c, enum aws_protocol proto, const char *op,
    const char *method, const char *url, aws_done_cb done, void *arg)
{
	struct aws_call	*call;

	call = xcalloc(1, sizeof *call);
	call->c = c;
	call->proto = proto;
	call->operation = xstrdup(op);
	call->method = xstrdup(method);
	call->url = xstrdup(url);
	call->timeout_ms = c->timeout_ms;
	call->done = done;
	call->arg = arg;
	return call;
}

/*
 * A call in the AWS JSON protocol: POST / with the parameters as a JSON
 * object (stolen) and the operation in X-Amz-Target.
 */
struct aws_call *
aws_json_call(struct aws_client *c, const char *op, json_t *params,
    aws_done_cb done, void *arg)
{
	struct aws_call	*call;
	char		*url;

	url = xprintf("%s/", c->endpoint);
	call = aws_call_new(c, AWS_PROTO_JSON, op, "POST", url, done, arg);
	free(url);
	call->body = json_dumps(params != NULL ? params : json_object(),
	    JSON_COMPACT);
	if (call->body == NULL)
		fatalx("json_dumps: out of memory");
	call->body_len = strlen(call->body);
	json_decref(params);
	aws_call_send(call);
	return call;
}

/* A call in the query protocol: a form-encoded POST. */
struct aws_call *
aws_query_call(struct aws_client *c, const char *action,
    const struct aws_param *params, size_t n, aws_done_cb done, void *arg)
{
	struct aws_call	*call;
	char		*url, *body, *k, *v, *tmp;
	size_t		 i;

	url = xprintf("%s/", c->endpoint);
	call = aws_call_new(c, AWS_PROTO_QUERY, action, "POST", url, done, arg);
	free(url);
	body = xprintf("Action=%s&Version=%s", action, c->svc->api_version);
	for (i = 0; i < n; i++) {
		k = url_encode(params[i].name, strlen(params[i].name), false);
		v = url_encode(params[i].value, strlen(params[i].value),
		    false);
		tmp = xprintf("%s&%s=%s", body, k, v);
		free(body);
		free(k);
		free(v);
		body = tmp;
	}
	call->body = body;
	call->body_len = strlen(body);
	aws_call_send(call);
	return call;
}

/* A REST call: method, path (already escaped) and query on the endpoint. */
struct aws_call *
aws_rest_call(struct aws_client *c, const char *method, const char *path,
    const char *query, aws_done_cb done, void *arg)
{
	struct aws_call	*call;
	char		*url;

	url = xprintf("%s%s%s%s", c->endpoint, path, query != NULL ? "?" : "",
	    query != NULL ? query : "");
	call = aws_call_new(c, AWS_PROTO_REST_XML, method, method, url, done,
	    arg);
	free(url);
	aws_call_send(call);
	return call;
}

/* A REST call to a whole URL (an S3 object, virtual-host style). */
struct aws_call *
aws_rest_call_url(struct aws_client *c, const char *method, const char *url,
    aws_done_cb done, void *arg)
{
	struct aws_call	*call;

	call = aws_call_new(c, AWS_PROTO_REST_XML, method, method, url, done,
	    arg);
	aws_call_send(call);
	return call;
}

/* Can a bucket name be a DNS label of a virtual-hosted URL? */
static bool
aws_s3_dns_bucket(const char *b)
{
	size_t	 len = strlen(b);
	const char *p;

	if (len < 3 || len > 63 || !isalnum((unsigned char)b[0]) ||
	    !isalnum((unsigned char)b[len - 1]))
		return false;
	for (p = b; *p != '\0'; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '-'))
			return false;
	}
	return true;
}

/*
 * The URL of an S3 object: virtual-hosted style on AWS's own endpoints
 * (path style is refused for buckets made since 2020), path style on any
 * other endpoint (an emulator, a gateway) or for names DNS cannot hold.
 */
char *
aws_s3_object_url(struct aws_client *c, const char *bucket, const char *key)
{
	char	*k, *url, *deflt;

	k = url_encode(key, strlen(key), true);
	deflt = xprintf("https://s3.%s.%s", c->region,
	    aws_partition_suffix(c->region));
	if (strcmp(c->endpoint, deflt) == 0 && aws_s3_dns_bucket(bucket))
		url = xprintf("https://%s.s3.%s.%s/%s", bucket, c->region,
		    aws_partition_suffix(c->region), k);
	else
		url = xprintf("%s/%s/%s", c->endpoint, bucket, k);
	free(deflt);
	free(k);
	return url;
}

/* The partition's own endpoint for a client's service and region. */
static char *
aws_default_endpoint(const struct aws_client *c)
{
	if (c->svc->global)
		return xprintf("https://%s.%s", c->svc->prefix,
		    aws_partition_suffix(c->region));
	return xprintf("https://%s.%s.%s", c->svc->prefix, c->region,
	    aws_partition_suffix(c->region));
}

/*
 * The URL of a model call.  On AWS's own endpoints, an operation's host
 * prefix goes before the host and an S3 bucket becomes the host's first
 * label (virtual-hosted style) when DNS can hold its name; on any other
 * endpoint (an emulator, a gateway) the request is sent as it is, so that
 * no name outside it is ever resolved.
 */
static char *
aws_op_url(struct aws_client *c, const struct aws_op *op, json_t *params,
    const struct aws_request *req)
{
	const char	*bucket, *path = req->path, *host;
	char		*deflt, *url, *prefix = NULL;
	size_t		 blen;
	bool		 is_default;

	deflt = aws_default_endpoint(c);
	is_default = strcmp(c->endpoint, deflt) == 0;
	free(deflt);
	if (!is_default)
		return xprintf("%s%s", c->endpoint, path);
	if (req->host_prefix != NULL)
		prefix = xstrdup(req->host_prefix);
	bucket = json_string_value(json_object_get(params, "Bucket"));
	if (strcmp(op->model->service, "s3") == 0 && bucket != NULL &&
	    aws_s3_dns_bucket(bucket)) {
		blen = strlen(bucket);
		if (path[0] == '/' && strncmp(path + 1, bucket, blen) == 0 &&
		    strchr("/?", path[1 + blen]) != NULL) {
			free(prefix);
			prefix = xprintf("%s.%s", bucket, req->host_prefix !=
			    NULL ? req->host_prefix : "");
			path += 1 + blen;
		}
	}
	host = strstr(c->endpoint, "://") + 3;
	url = xprintf("%.*s%s%s%s%s", (int)(host - c->endpoint), c->endpoint,
	    prefix != NULL ? prefix : "", host, *path != '/' ? "/" : "",
	    path);
	free(prefix);
	return url;
}

/*
 * Make this page's request.  A request that cannot be made (parameters
 * the model refuses) fails from the loop, as a call does, with the cause.
 */
static void
aws_op_prepare(struct aws_call *call)
{
	struct aws_request	 req;
	char			*cause = NULL;
	size_t			 i;

	free(call->method);
	free(call->url);
	free(call->body);
	call->body = NULL;
	call->body_len = 0;
	aws_call_headers_clear(call);
	if (aws_codec_serialise(call->op, call->params, &req, &cause) != 0) {
		call->fail = cause;
		call->method = xstrdup("GET");
		call->url = xprintf("%s/", call->c->endpoint);
		return;
	}
	call->method = xstrdup(req.method);
	call->url = aws_op_url(call->c, call->op, call->params, &req);
	call->body = req.body;
	call->body_len = req.body_len;
	req.body = NULL;
	for (i = 0; i < req.nheaders; i++) {
		aws_headers_add_borrowed(call, req.headers[i].name,
		    req.headers[i].value);
	}
	aws_request_clear(&req);
}

/* An answer to a model call: a document, a page of one, or an error. */
static void
aws_op_answer(struct aws_call *call, struct http_response *r)
{
	struct aws_client	*c = call->c;
	struct aws_response	 ar;
	struct aws_answer	 a;
	struct aws_error	 err;
	json_t			*doc = NULL, *next = NULL;
	char			*cause = NULL;
	size_t			 max;
	int			 rc;

	memset(&ar, 0, sizeof ar);
	ar.status = r->status;
	ar.raw = r->body;
	ar.raw_len = r->len;
	ar.attempts = r->attempts;
	ar.elapsed_ms = r->elapsed_ms;
	ar.http = r;
	if (r->status == 0) {
		ar.error = xprintf("%s %s: %s", c->svc->id, call->operation,
		    r->error != NULL ? r->error : "no answer");
		goto done;
	}
	a.status = r->status;
	a.headers = r->headers;
	a.nheaders = r->nheaders;
	a.body = r->body != NULL ? r->body : "";
	a.len = r->len;
	rc = aws_codec_decode(call->op, &a, c->decode_flags, &doc, &err,
	    &cause);
	if (rc == -1) {
		ar.error = xprintf("%s %s: %s", c->svc->id, call->operation,
		    cause);
		free(cause);
		goto done;
	}
	if (rc == 1) {
		ar.error_code = err.code;
		ar.error_message = err.message;
		ar.request_id = err.request_id;
		free(err.type);
		if (aws_error_is_expired(ar.error_code) &&
		    !call->expired_retry && c->creds != NULL) {
			log_info("%s %s: %s; refreshing credentials",
			    c->svc->id, call->operation, ar.error_code);
			call->expired_retry = true;
			aws_creds_invalidate(c->creds);
			aws_response_clear(&ar);
			aws_call_send(call);
			return;
		}
		ar.error = xprintf("%s %s: HTTP %ld%s%s%s%s%s%s%s", c->svc->id,
		    call->operation, r->status,
		    ar.error_code != NULL ? " " : "",
		    ar.error_code != NULL ? ar.error_code : "",
		    ar.error_message != NULL ? ": " : "",
		    ar.error_message != NULL ? ar.error_message : "",
		    ar.request_id != NULL ? " (request id " : "",
		    ar.request_id != NULL ? ar.request_id : "",
		    ar.request_id != NULL ? ")" : "");
		goto done;
	}
	if (call->pages == NULL) {
		ar.body = doc;
		ar.pages = 1;
		goto done;
	}
	if ((call->page == NULL && aws_pages_add(call->pages, doc,
	    &cause) != 0) ||
	    aws_pages_next(call->pages, call->params, doc, &next,
	    &cause) != 0) {
		json_decref(doc);
		ar.error = xprintf("%s %s: %s", c->svc->id, call->operation,
		    cause);
		free(cause);
		goto done;
	}
	call->npages++;
	if (call->page != NULL) {
		/* The page goes to the caller now, not into a merge. */
		ar.body = doc;
		ar.pages = call->npages;
		call->page(&ar, call->arg);
		ar.body = NULL;
	}
	json_decref(doc);
	if (next != NULL) {
		max = c->max_pages != 0 ? c->max_pages : AWS_DEFAULT_MAX_PAGES;
		if (call->npages >= max) {
			json_decref(next);
			ar.error = xprintf("%s %s: more than %zu pages",
			    c->svc->id, call->operation, max);
			goto done;
		}
		json_decref(call->params);
		call->params = next;
		call->expired_retry = false;
		aws_op_prepare(call);
		aws_call_send(call);
		return;
	}
	ar.body = call->page != NULL ? json_object() :
	    aws_pages_result(call->pages);
	ar.pages = call->npages;
done:
	call->done(&ar, call->arg);
	aws_response_clear(&ar);
	aws_call_free(call);
}

static struct aws_call *
aws_op_start(struct aws_client *c, const struct aws_op *op, json_t *params,
    bool all, aws_done_cb done, void *arg)
{
	struct aws_call	*call;

	call = xcalloc(1, sizeof *call);
	call->c = c;
	call->proto = op->model->protocol;
	call->operation = xstrdup(op->name);
	call->timeout_ms = c->timeout_ms;
	call->done = done;
	call->arg = arg;
	call->op = op;
	call->params = params != NULL ? params : json_object();
	if (all)
		call->pages = aws_pages_new(op);
	aws_op_prepare(call);
	aws_call_send(call);
	return call;
}

/*
 * A call to an operation of a model, with its parameters in botocore's
 * input form (stolen; NULL: none).  The response's body is the decoded
 * document; an AWS error is in error_code and error_message.
 */
struct aws_call *
aws_op_call(struct aws_client *c, const struct aws_op *op, json_t *params,
    aws_done_cb done, void *arg)
{
	return aws_op_start(c, op, params, false, done, arg);
}

/*
 * The same, following the operation's paginator to the last page: the
 * body is the pages merged as the AWS CLI prints a paginated command's
 * output.  An operation without a paginator is one call.
 */
struct aws_call *
aws_op_call_all(struct aws_client *c, const struct aws_op *op,
    json_t *params, aws_done_cb done, void *arg)
{
	return aws_op_start(c, op, params, true, done, arg);
}

/*
 * The same, but each page goes to page() as it comes (its body borrowed),
 * and done() has only the error, or an empty body: a listing of any size
 * in the memory of one page.
 */
struct aws_call *
aws_op_call_pages(struct aws_client *c, const struct aws_op *op,
    json_t *params, aws_done_cb page, aws_done_cb done, void *arg)
{
	struct aws_call	*call;

	call = aws_op_start(c, op, params, true, done, arg);
	call->page = page;
	return call;
}

/* Forget a call: its callback will not be called. */
void
aws_call_cancel(struct aws_call *call)
{
	if (call->req != NULL)
		http_request_cancel(call->req);
	if (call->waiting)
		aws_creds_cancel_wait(call->c->creds, aws_creds_ready, call);
	aws_call_free(call);
}
