/*
 * notify-email.c: mail over SMTP, through libcurl on the shared multi
 * handle.  smtp:// with STARTTLS required by default (a server that does
 * not offer it fails the delivery rather than see the message in clear),
 * or smtps://; AUTH with a user name and password; a private CA for the
 * server's certificate (verification is never off).
 *
 * The message is RFC 5322 and MIME: Date, From, To, a Subject encoded per
 * RFC 2047 when it is not ASCII, a Message-ID made of the idempotency key
 * (a resolve refers to its open's), multipart/alternative with text/plain
 * and text/html parts in UTF-8, quoted-printable (lines of at most 76).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http.h"
#include "notify.h"

#define EMAIL_QP_LINE		76
#define EMAIL_WORD_BYTES	39	/* 52 base64 characters a word */

struct email_conf {
	char		*url;
	char		*from;
	struct strlist	 to;
	char		*username;
	struct secret	*password;
	bool		 require_tls;
	char		*tls_ca_file;
	char		*subject_prefix;
};

#define OFF(f) offsetof(struct email_conf, f)
static const struct cfg_key email_keys[] = {
	{ "url", CFG_STRING, OFF(url), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The mail server: smtp://host:587 (STARTTLS) or smtps://host:465." },
	{ "from", CFG_STRING, OFF(from), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The sender: an address, or \"Name <address>\"." },
	{ "to", CFG_STRLIST, OFF(to), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The recipients' addresses." },
	{ "username", CFG_STRING, OFF(username), 0, 0, NULL, NULL, 0,
	  "The SMTP AUTH user name." },
	{ "password_file", CFG_SECRET_FILE, OFF(password), 0, 0, NULL, NULL, 0,
	  "The SMTP AUTH password, from a file or a credential." },
	{ "password_env", CFG_SECRET_ENV, OFF(password), 0, 0, NULL, NULL, 0,
	  "The same, from an environment variable." },
	{ "require_tls", CFG_BOOL, OFF(require_tls), 0, 0, "true", NULL, 0,
	  "With smtp://, refuse to send unless the server offers STARTTLS." },
	{ "tls_ca_file", CFG_PATH, OFF(tls_ca_file), 0, 0, NULL, NULL, 0,
	  "Verify the server's certificate against these CAs (PEM) instead "
	  "of the system's." },
	{ "subject_prefix", CFG_STRING, OFF(subject_prefix), 0, 0, "'[vigil]'",
	  NULL, 0, "Put before every subject." },
};
#undef OFF

/* The address of "Name <address>" or of a bare address. */
static char *
email_addr(const char *s)
{
	const char	*lt, *gt;

	if ((lt = strchr(s, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	while (*s == ' ')
		s++;
	return xstrndup(s, strcspn(s, " "));
}

static bool
email_addr_ok(const char *s)
{
	char	*a;
	bool	 ok;

	a = email_addr(s);
	ok = strchr(a, '@') != NULL && a[0] != '@' &&
	    strpbrk(a, " \t\r\n<>,") == NULL;
	free(a);
	return ok && strpbrk(s, "\r\n") == NULL;
}

static int
email_check(struct notify_conf *nc, struct diags *d)
{
	const struct email_conf	*ec = nc->opts;
	size_t			 i, before = d->n;

	if (strncmp(ec->url, "smtp://", 7) != 0 &&
	    strncmp(ec->url, "smtps://", 8) != 0)
		diag_add(d, nc->file, nc->line, nc->col, "url: '%s' is neither "
		    "smtp:// nor smtps://", ec->url);
	if (!email_addr_ok(ec->from))
		diag_add(d, nc->file, nc->line, nc->col, "from: '%s' is not a "
		    "mail address", ec->from);
	if (ec->to.n == 0)
		diag_add(d, nc->file, nc->line, nc->col, "to: no recipient");
	for (i = 0; i < ec->to.n; i++) {
		if (!email_addr_ok(ec->to.v[i]))
			diag_add(d, nc->file, nc->line, nc->col, "to: '%s' is "
			    "not a mail address", ec->to.v[i]);
	}
	if (ec->password != NULL && ec->username == NULL)
		diag_add(d, nc->file, nc->line, nc->col, "a password without "
		    "username means nothing");
	return d->n == before ? 0 : -1;
}

static bool
email_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
			return false;
	}
	return true;
}

/*
 * A header value for people: as it is when it is ASCII, else RFC 2047
 * encoded-words ("=?UTF-8?B?...?="), each at most 75 characters, never
 * splitting a character, folded onto continuation lines.
 */
static char *
email_encode_header(const char *s)
{
	char	*out, *b64;
	size_t	 len = strlen(s), off = 0, n;

	if (email_ascii(s))
		return xstrdup(s);
	out = xstrdup("");
	while (off < len) {
		n = len - off < EMAIL_WORD_BYTES ? len - off : EMAIL_WORD_BYTES;
		while (off + n < len && n > 0 &&
		    ((unsigned char)s[off + n] & 0xc0) == 0x80)
			n--;
		b64 = notify_base64(s + off, n);
		xappendf(&out, "%s=?UTF-8?B?%s?=", off > 0 ? "\r\n " : "",
		    b64);
		free(b64);
		off += n;
	}
	return out;
}

/*
 * Quoted-printable (RFC 2045 6.7): text lines become CRLF lines of at most
 * 76 characters, with soft breaks; '=', non-ASCII and trailing blanks are
 * encoded.
 */
static char *
email_qp(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 col = 0;
	bool			 lit;

	out = o = xmalloc(strlen(s) * 4 + 3);
	for (; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		lit = (*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && p[1] != '\n' &&
		    p[1] != '\r' && p[1] != '\0');
		if (col + (lit ? 1 : 3) > EMAIL_QP_LINE - 1) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		if (lit) {
			*o++ = (char)*p;
			col++;
		} else {
			*o++ = '=';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
			col += 3;
		}
	}
	*o = '\0';
	return out;
}

static void
email_row(char **h, const char *name, const char *value)
{
	char	*e;

	if (value == NULL || *value == '\0')
		return;
	e = notify_html_escape(value);
	xappendf(h, "<tr><th align=\"left\" valign=\"top\">%s</th><td>%s"
	    "</td></tr>\n", name, e);
	free(e);
}

/* The HTML part: the same facts as the text, for mail clients. */
static char *
email_html(const json_t *doc)
{
	const json_t	*ev, *e, *g, *it;
	const char	*s;
	char		*h, *t, *esc, *v, *url;
	int		 kind = notify_kind(doc);
	size_t		 i;

	t = notify_title(doc);
	esc = notify_html_escape(t);
	free(t);
	h = xprintf("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>%s</title></head>\n<body style=\"font-family: sans-serif"
	    "\">\n<h2>%s</h2>\n", esc, esc);
	free(esc);
	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
		    "summary");
		xappendf(&h, "<ul>\n");
		json_array_foreach(json_object_get(g, "items"), i, it) {
			t = notify_item_line(it);
			esc = notify_html_escape(t);
			xappendf(&h, "<li>%s</li>\n", esc);
			free(esc);
			free(t);
		}
		if (json_integer_value(json_object_get(g, "more")) > 0)
			xappendf(&h, "<li>... and %lld more</li>\n",
			    (long long)json_integer_value(json_object_get(g,
			    "more")));
		xappendf(&h, "</ul>\n");
		goto key;
	}
	xappendf(&h, "<table>\n");
	email_row(&h, "Rule", notify_str(doc, "rule.id"));
	email_row(&h, "Title", notify_str(doc, "rule.title"));
	email_row(&h, "Severity", notify_str(doc, "rule.severity"));
	t = notify_asset_line(doc);
	email_row(&h, "Asset", t);
	free(t);
	email_row(&h, "ARN", notify_str(doc, "asset.arn"));
	if ((t = notify_tags_text(doc)) != NULL) {
		email_row(&h, "Tags", t);
		free(t);
	}
	email_row(&h, "State", notify_str(doc, "violation.state"));
	if ((t = notify_cause_text(doc)) != NULL) {
		email_row(&h, kind == NOTIFY_RESOLVE ? "Resolved by" :
		    "Caused by", t);
		free(t);
	}
	xappendf(&h, "</table>\n");
	ev = json_object_get(json_object_get(doc, "violation"), "evidence");
	if (json_array_size(ev) > 0) {
		xappendf(&h, "<h3>Evidence</h3>\n<ul>\n");
		json_array_foreach(ev, i, e) {
			if (i >= NOTIFY_DIGEST_ITEMS)
				break;
			esc = notify_html_escape(notify_str(e, "path") != NULL ?
			    notify_str(e, "path") : "?");
			t = notify_value_text(json_object_get(e, "value"), 200);
			v = notify_html_escape(t);
			free(t);
			xappendf(&h, "<li><code>%s</code> = <code>%s</code>"
			    "</li>\n", esc, v);
			free(esc);
			free(v);
		}
		xappendf(&h, "</ul>\n");
	}
	if ((s = notify_str(doc, "rule.remediation")) != NULL) {
		esc = notify_html_escape(s);
		xappendf(&h, "<h3>Remediation</h3>\n<p>%s</p>\n", esc);
		free(esc);
	}
	if ((url = notify_console_url(doc)) != NULL) {
		esc = notify_html_escape(url);
		xappendf(&h, "<p><a href=\"%s\">Open in the console</a></p>\n",
		    esc);
		free(esc);
		free(url);
	}
key:
	esc = notify_html_escape(notify_str(doc, "key"));
	xappendf(&h, "<p style=\"color: #888\">vigil &middot; key %s</p>\n"
	    "</body></html>\n", esc);
	free(esc);
	return h;
}

/* A Message-ID's left part from a key and a channel: dot-atom text. */
static char *
email_msgid(const char *key, const char *channel, const char *domain)
{
	char	*id, *p;

	id = xprintf("%s.%s@%s", key, channel, domain);
	for (p = id; *p != '@'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			*p = '-';
	}
	return id;
}

static json_t *
email_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const struct email_conf	*ec = nc->opts;
	const json_t		*v;
	json_t			*rcpt, *out;
	struct tm		 tm;
	time_t			 now = time(NULL);
	char			 date[64], boundary[64];
	char			*from, *domain, *msgid, *ref = NULL, *open_key;
	char			*title, *subject, *subj, *text, *html, *qt, *qh;
	char			*msg, *addr, *to = xstrdup("");
	int			 kind = notify_kind(doc);
	size_t			 i;

	from = email_addr(ec->from);
	domain = strchr(from, '@') + 1;
	msgid = email_msgid(notify_str(doc, "key"), nc->name, domain);
	v = json_object_get(doc, "violation");
	if (kind == NOTIFY_RESOLVE || kind == NOTIFY_EXCEPTED ||
	    kind == NOTIFY_EXCEPTION_EXPIRED) {
		/* In the thread of the occurrence's open. */
		open_key = xprintf("v%lld.o%lld.open",
		    (long long)json_integer_value(json_object_get(v, "id")),
		    (long long)json_integer_value(json_object_get(v,
		    "occurrence")));
		ref = email_msgid(open_key, nc->name, domain);
		free(open_key);
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof boundary, "=_vigil_%llx_%lx",
	    (unsigned long long)now_ms(), (unsigned long)random());
	title = notify_title(doc);
	subj = xprintf("%s%s%s", ec->subject_prefix, *ec->subject_prefix !=
	    '\0' ? " " : "", title);
	subject = email_encode_header(subj);
	free(subj);
	rcpt = json_array();
	for (i = 0; i < ec->to.n; i++) {
		xappendf(&to, "%s%s", i > 0 ? ",\r\n " : "", ec->to.v[i]);
		addr = email_addr(ec->to.v[i]);
		json_array_append_new(rcpt, json_string(addr));
		free(addr);
	}
	text = notify_text(doc);
	html = email_html(doc);
	qt = email_qp(text);
	qh = email_qp(html);
	msg = xprintf("Date: %s\r\n"
	    "From: %s\r\n"
	    "To: %s\r\n"
	    "Subject: %s\r\n"
	    "Message-ID: <%s>\r\n"
	    "%s%s%s%s%s%s"
	    "MIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "X-Vigil-Idempotency-Key: %s\r\n"
	    "X-Vigil-Event: %s\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
	    "\r\n"
	    "This is a message in MIME format.\r\n"
	    "\r\n"
	    "--%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--%s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--%s--\r\n",
	    date, ec->from, to, subject, msgid,
	    ref != NULL ? "In-Reply-To: <" : "", ref != NULL ? ref : "",
	    ref != NULL ? ">\r\n" : "", ref != NULL ? "References: <" : "",
	    ref != NULL ? ref : "", ref != NULL ? ">\r\n" : "",
	    notify_str(doc, "key"), notify_str(doc, "transition"), boundary,
	    boundary, qt, boundary, qh, boundary);
	out = json_pack("{s:s, s:o, s:s, s:s}", "from", from, "rcpt", rcpt,
	    "message", msg, "message_id", msgid);
	free(msg);
	free(qt);
	free(qh);
	free(text);
	free(html);
	free(to);
	free(subject);
	free(title);
	free(ref);
	free(msgid);
	free(from);
	return out;
}

static void
email_done(struct http_response *r, void *arg)
{
	struct notify_job	*job = arg;
	const struct email_conf	*ec = job->conf->opts;
	enum notify_outcome	 outcome;
	char			*what;

	job->req = NULL;
	what = http_redact_url(ec->url);
	if (r->curl_code == CURLE_OK) {
		free(job->ref);
		job->ref = xprintf("<%s>", notify_str(job->payload,
		    "message_id"));
		notify_job_done(job, NOTIFY_DELIVERED, -1, NULL);
	} else if (r->curl_code == CURLE_USE_SSL_FAILED)
		notify_job_done(job, NOTIFY_FAILED, -1, "%s: the server offers "
		    "no STARTTLS and require_tls is true: not sending in clear "
		    "text (%s)", what, r->error != NULL ? r->error : "");
	else {
		if (r->status >= 500 && r->status < 600)
			outcome = NOTIFY_FAILED;
		else if (r->status >= 400 && r->status < 500)
			outcome = NOTIFY_RETRY;
		else {
			switch (r->curl_code) {
			case CURLE_URL_MALFORMAT:
			case CURLE_UNSUPPORTED_PROTOCOL:
			case CURLE_PEER_FAILED_VERIFICATION:
			case CURLE_SSL_CACERT_BADFILE:
			case CURLE_LOGIN_DENIED:
				outcome = NOTIFY_FAILED;
				break;
			default:
				outcome = NOTIFY_RETRY;
				break;
			}
		}
		if (r->status > 0)
			notify_job_done(job, outcome, -1, "%s: SMTP %ld: %s",
			    what, r->status, r->error != NULL ? r->error :
			    "failed");
		else
			notify_job_done(job, outcome, -1, "%s: %s", what,
			    r->error != NULL ? r->error : "failed");
	}
	free(what);
}

static void
email_send(struct notify_job *job)
{
	const struct email_conf	*ec = job->conf->opts;
	struct http_request	*req;
	const json_t		*rcpt;
	const char		**to, *msg;
	size_t			 i, n;

	req = notify_http_request(job, "MAIL", ec->url);
	rcpt = json_object_get(job->payload, "rcpt");
	n = json_array_size(rcpt);
	to = xcalloc(n + 1, sizeof *to);
	for (i = 0; i < n; i++)
		to[i] = json_string_value(json_array_get(rcpt, i));
	http_request_mail(req, notify_str(job->payload, "from"), to, n,
	    ec->require_tls);
	free(to);
	if (ec->username != NULL)
		http_request_login(req, ec->username, ec->password != NULL ?
		    ec->password->value : "");
	if (ec->tls_ca_file != NULL)
		http_request_ca_file(req, ec->tls_ca_file);
	msg = notify_str(job->payload, "message");
	http_request_body(req, msg != NULL ? msg : "", msg != NULL ?
	    strlen(msg) : 0);
	job->req = req;
	http_request_start(req, email_done, job);
}

const struct notify_backend notify_email_backend = {
	.type = "email",
	.keys = email_keys,
	.nkeys = nitems(email_keys),
	.conf_size = sizeof(struct email_conf),
	.check = email_check,
	.conf_free = NULL,
	.render = email_render,
	.send = email_send,
	.cancel = NULL,
};
