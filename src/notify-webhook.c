/*
 * notify-webhook.c: the generic webhook.  The body is the notification
 * itself, the versioned vigil.notification/1 JSON documented in
 * vigild.yaml(5); X-Vigil-Signature carries the hex HMAC-SHA256 of the body
 * under the channel's secret, X-Vigil-Idempotency-Key the key a receiver
 * de-duplicates by.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "notify.h"

struct webhook_header {
	char		*name;
	struct secret	*value;
};

struct webhook_conf {
	char			*url;
	struct secret		*url_secret;
	struct secret		*secret;
	struct strlist		 headers;
	struct strlist		 header_files;
	/* From header_files, at load. */
	struct webhook_header	*secret_headers;
	size_t			 nsecret_headers;
};

#define OFF(f) offsetof(struct webhook_conf, f)
static const struct cfg_key webhook_keys[] = {
	{ "url", CFG_STRING, OFF(url), 0, 0, NULL, NULL, 0,
	  "Where to POST (when the URL is no secret)." },
	{ "url_file", CFG_SECRET_FILE, OFF(url_secret), 0, 0, NULL, NULL, 0,
	  "The URL, from a file or a credential (when it is a secret)." },
	{ "url_env", CFG_SECRET_ENV, OFF(url_secret), 0, 0, NULL, NULL, 0,
	  "The URL, from an environment variable." },
	{ "secret_file", CFG_SECRET_FILE, OFF(secret), 0, 0, NULL, NULL, 0,
	  "The key of X-Vigil-Signature's HMAC-SHA256." },
	{ "secret_env", CFG_SECRET_ENV, OFF(secret), 0, 0, NULL, NULL, 0,
	  "The same, from an environment variable." },
	{ "headers", CFG_STRLIST, OFF(headers), 0, 0, NULL, NULL, 0,
	  "Extra request headers, each \"Name: value\"." },
	{ "header_files", CFG_STRLIST, OFF(header_files), 0, 0, NULL, NULL, 0,
	  "Extra headers whose values are secrets, each \"Name: file\" (a "
	  "path or a credential name)." },
};
#undef OFF

static bool
webhook_header_name_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	}
	return true;
}

/* "Name: value" into its parts; -1 if it is not that. */
static int
webhook_header_split(const char *s, char **name, const char **value)
{
	const char	*colon;

	*name = NULL;
	if ((colon = strchr(s, ':')) == NULL ||
	    !webhook_header_name_ok(s, (size_t)(colon - s)))
		return -1;
	for (*value = colon + 1; **value == ' ' || **value == '\t'; (*value)++)
		;
	if (strpbrk(*value, "\r\n") != NULL || **value == '\0')
		return -1;
	*name = xstrndup(s, (size_t)(colon - s));
	return 0;
}

static int
webhook_check(struct notify_conf *nc, struct diags *d)
{
	struct webhook_conf	*wc = nc->opts;
	struct secret		*sec;
	const char		*value;
	char			*name, *cause;
	size_t			 i;

	if ((wc->url == NULL) == (wc->url_secret == NULL)) {
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: give url, "
		    "or url_file or url_env (one of them)", nc->name);
		return -1;
	}
	for (i = 0; i < wc->headers.n; i++) {
		if (webhook_header_split(wc->headers.v[i], &name, &value) != 0)
			diag_add(d, nc->file, nc->line, nc->col, "headers: '%s' "
			    "is not \"Name: value\"", wc->headers.v[i]);
		else
			free(name);
	}
	for (i = 0; i < wc->header_files.n; i++) {
		if (webhook_header_split(wc->header_files.v[i], &name,
		    &value) != 0) {
			diag_add(d, nc->file, nc->line, nc->col, "header_files: "
			    "'%s' is not \"Name: file\"",
			    wc->header_files.v[i]);
			continue;
		}
		if ((sec = cfg_secret_file(value, &cause)) == NULL) {
			diag_add(d, nc->file, nc->line, nc->col, "header_files: "
			    "%s: %s", name, cause);
			free(cause);
			free(name);
			continue;
		}
		wc->secret_headers = xreallocarray(wc->secret_headers,
		    wc->nsecret_headers + 1, sizeof *wc->secret_headers);
		wc->secret_headers[wc->nsecret_headers].name = name;
		wc->secret_headers[wc->nsecret_headers++].value = sec;
	}
	return 0;
}

static void
webhook_conf_free(void *opts)
{
	struct webhook_conf	*wc = opts;
	size_t			 i;

	for (i = 0; i < wc->nsecret_headers; i++) {
		free(wc->secret_headers[i].name);
		secret_free(wc->secret_headers[i].value);
	}
	free(wc->secret_headers);
}

/* The body is the notification; plain custom headers go with it. */
static json_t *
webhook_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const struct webhook_conf	*wc = nc->opts;
	const char			*value;
	json_t				*hdrs, *o;
	char				*body, *name;
	size_t				 i;

	hdrs = json_pack("{s:s, s:s}", "Content-Type", "application/json",
	    "X-Vigil-Event", notify_str(doc, "transition"));
	for (i = 0; i < wc->headers.n; i++) {
		if (webhook_header_split(wc->headers.v[i], &name, &value) == 0)
			json_object_set_new(hdrs, name, json_string(value));
		free(name);
	}
	if ((body = json_dumps(doc, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	o = json_pack("{s:o, s:s}", "headers", hdrs, "body", body);
	free(body);
	return o;
}

static void
webhook_send(struct notify_job *job)
{
	const struct webhook_conf	*wc = job->conf->opts;
	struct http_request		*req;
	const char			*url, *body;
	char				*mac, *sig;
	size_t				 i;

	url = wc->url != NULL ? wc->url : wc->url_secret->value;
	req = notify_http_request(job, "POST", url);
	notify_http_payload(req, job->payload);
	body = json_string_value(json_object_get(job->payload, "body"));
	if (wc->secret != NULL && body != NULL) {
		mac = notify_hmac_sha256_hex(wc->secret, body, strlen(body));
		sig = xprintf("sha256=%s", mac);
		http_request_header(req, "X-Vigil-Signature", sig);
		free(sig);
		free(mac);
	}
	for (i = 0; i < wc->nsecret_headers; i++)
		http_request_header(req, wc->secret_headers[i].name,
		    wc->secret_headers[i].value->value);
	notify_http_send(job, req, url);
}

const struct notify_backend notify_webhook_backend = {
	.type = "webhook",
	.keys = webhook_keys,
	.nkeys = nitems(webhook_keys),
	.conf_size = sizeof(struct webhook_conf),
	.check = webhook_check,
	.conf_free = webhook_conf_free,
	.render = webhook_render,
	.send = webhook_send,
	.cancel = NULL,
};
