/*
 * aws-sigv4.c: AWS Signature Version 4 (AWS General Reference, "Create a
 * signed AWS API request").
 *
 *	canonical request = method "\n" canonical URI "\n" canonical query
 *	    "\n" canonical headers "\n" signed headers "\n" payload hash
 *	string to sign = "AWS4-HMAC-SHA256\n" time "\n" scope "\n"
 *	    hex(SHA-256(canonical request))
 *	scope = date "/" region "/" service "/aws4_request"
 *	signing key = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 *	    service), "aws4_request")
 *	signature = hex(HMAC(signing key, string to sign))
 *
 * The hashes are the easy part; what makes or breaks a signature is the
 * canonical forms, so each has its own function and its own tests.  Where
 * the published vectors disagree with a plain reading of the text, the
 * vectors win: they are what AWS's servers compute.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vigil.h"
#include "aws-sigv4.h"

/* A growing string; s is always terminated once anything was added. */
struct sigv4_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

/* A query parameter, both halves already in canonical (encoded) form. */
struct sigv4_qparam {
	char	*name;
	char	*value;
};

struct sigv4_qparams {
	struct sigv4_qparam	*v;
	size_t			 n;
};

/* A header on its way into the canonical form. */
struct sigv4_hdr {
	char	*name;		/* lower case */
	char	*value;		/* trimmed, inner spaces folded */
	size_t	 order;		/* position in the request */
};

/* What sigv4_prepare works out for the later stages. */
struct sigv4_state {
	char	 time[SIGV4_TIME_LEN + 1];
	char	 date[9];
	char	*scope;
	char	*payload_hash;
	char	*signed_headers;
	char	*creq;
	bool	 add_date;	/* the request has no X-Amz-Date */
	bool	 add_token;	/* ... no X-Amz-Security-Token */
	bool	 add_sha256;	/* ... no x-amz-content-sha256 */
};

/*
 * Headers that libcurl or a proxy may add, change or drop on the way: a
 * signature over them would fail for reasons that are not ours.  The same
 * list as botocore's, plus the hop-by-hop headers.  Authorization is the
 * signature itself.
 */
static const char *const sigv4_unsigned_headers[] = {
	"authorization",
	"connection",
	"expect",
	"transfer-encoding",
	"user-agent",
	"x-amzn-trace-id",
};

static const char sigv4_hexdigits[] = "0123456789ABCDEF";
static const char sigv4_hexlower[] = "0123456789abcdef";

static void
sigv4_buf_add(struct sigv4_buf *b, const void *p, size_t len)
{
	size_t	 need;

	if (len > SIZE_MAX - b->len - 1)
		fatalx("sigv4: string too long");
	need = b->len + len + 1;
	if (need > b->size) {
		if (b->size > SIZE_MAX / 2 || b->size * 2 < need)
			b->size = need < 64 ? 64 : need;
		else
			b->size *= 2;
		b->s = xrealloc(b->s, b->size);
	}
	if (len != 0)
		memcpy(b->s + b->len, p, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void
sigv4_buf_str(struct sigv4_buf *b, const char *s)
{
	sigv4_buf_add(b, s, strlen(s));
}

static void
sigv4_buf_char(struct sigv4_buf *b, char c)
{
	sigv4_buf_add(b, &c, 1);
}

/* Hand over the string (an empty one if nothing was added). */
static char *
sigv4_buf_take(struct sigv4_buf *b)
{
	char	*s;

	s = b->s != NULL ? b->s : xstrdup("");
	b->s = NULL;
	b->len = b->size = 0;
	return s;
}

static void
sigv4_hex(const uint8_t *p, size_t len, char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[i * 2] = sigv4_hexlower[p[i] >> 4];
		out[i * 2 + 1] = sigv4_hexlower[p[i] & 0xf];
	}
	out[len * 2] = '\0';
}

static void
sigv4_sha256_hex(const void *p, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (p == NULL)
		p = "";
	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		fatalx("sigv4: SHA-256 failed");
	sigv4_hex(md, 32, out);
}

/* libcrypto failing at HMAC-SHA256 is a broken invariant, not an error. */
static void
sigv4_hmac(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SIGV4_KEY_LEN])
{
	unsigned int	 outlen = 0;

	if (keylen > INT_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out,
	    &outlen) == NULL || outlen != SIGV4_KEY_LEN)
		fatalx("sigv4: HMAC-SHA256 failed");
}

/* RFC 3986 section 2.3: the characters never encoded. */
static bool
sigv4_unreserved(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~');
}

/* RFC 7230 section 3.2.6: what a header name or method may be made of. */
static bool
sigv4_token(const char *s)
{
	const unsigned char	*p;

	if (*s == '\0')
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x7f || *p <= ' ' ||
		    strchr("\"(),/:;<=>?@[\\]{}", *p) != NULL)
			return false;
	}
	return true;
}

/* Whitespace in a header value, including the line breaks of a fold. */
static bool
sigv4_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
sigv4_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
sigv4_buf_encode(struct sigv4_buf *b, const void *p, size_t len,
    bool keep_slash)
{
	const unsigned char	*s = p;
	char			 esc[3];
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (sigv4_unreserved(s[i]) || (keep_slash && s[i] == '/'))
			sigv4_buf_char(b, (char)s[i]);
		else {
			esc[0] = '%';
			esc[1] = sigv4_hexdigits[s[i] >> 4];
			esc[2] = sigv4_hexdigits[s[i] & 0xf];
			sigv4_buf_add(b, esc, sizeof esc);
		}
	}
}

/*
 * Encode the way SigV4 wants: every byte outside the unreserved set as %XY
 * with upper-case hex, a space as %20 (never '+'), and '/' kept only when
 * asked (in a path).
 */
char *
sigv4_uri_encode(const void *p, size_t len, bool keep_slash)
{
	return url_encode(p, len, keep_slash);
}

/*
 * Undo %XY escapes.  A '%' that does not start one stands for itself (and
 * is encoded as %25 again), and '+' is a plus, not a space: SigV4 encodes a
 * space as %20, so a '+' that reaches here is meant literally.  The result
 * may hold NUL bytes (from %00), hence the length.
 */
static char *
sigv4_uri_decode(const char *s, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 i, n = 0;
	int	 hi, lo;

	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && len - i >= 3 &&
		    (hi = sigv4_hexval(s[i + 1])) != -1 &&
		    (lo = sigv4_hexval(s[i + 2])) != -1) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/*
 * Remove "." and ".." segments and empty segments ("//"), as the SigV4
 * normalisation does (botocore's, which is posixpath.normpath): ".." at the
 * top stays at the top, and the result ends in '/' only when the path did
 * and is more than "/".
 */
static void
sigv4_normalize(const char *p, size_t len, struct sigv4_buf *out)
{
	struct {
		const char	*s;
		size_t		 len;
	}		*seg;
	size_t		 nseg = 0, i, start, n;

	seg = xcalloc(len + 1, sizeof *seg);
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && p[i] != '/'; i++)
			/* nothing */;
		n = i - start;
		if (n == 0 || (n == 1 && p[start] == '.'))
			continue;
		if (n == 2 && p[start] == '.' && p[start + 1] == '.') {
			if (nseg > 0)
				nseg--;
			continue;
		}
		seg[nseg].s = p + start;
		seg[nseg].len = n;
		nseg++;
	}
	if (nseg == 0)
		sigv4_buf_char(out, '/');
	for (i = 0; i < nseg; i++) {
		sigv4_buf_char(out, '/');
		sigv4_buf_add(out, seg[i].s, seg[i].len);
	}
	if (nseg > 0 && len > 0 && p[len - 1] == '/')
		sigv4_buf_char(out, '/');
	free(seg);
}

char *
sigv4_normalize_path(const char *path)
{
	struct sigv4_buf	 b = { NULL, 0, 0 };

	sigv4_normalize(path, strlen(path), &b);
	return sigv4_buf_take(&b);
}

/*
 * The canonical URI.  For most services it is the path as sent, normalised
 * and then encoded once more (so "/a%20b" signs as "/a%2520b": the server
 * encodes what it received).  For S3 it is the object key encoded once and
 * never normalised ("a/../b" and "a//b" are keys of their own); each segment
 * is decoded and encoded again, so that a key signs alike however the
 * caller escaped it, and an encoded '/' stays inside its segment.
 */
char *
sigv4_canonical_uri(const char *path, int flags)
{
	struct sigv4_buf	 norm = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	const char		*p = path;
	char			*dec;
	size_t			 len = strlen(path), start, i, dlen;

	if (~flags & SIGV4_NO_NORMALIZE) {
		sigv4_normalize(p, len, &norm);
		p = norm.s;
		len = norm.len;
	}
	if (len == 0) {
		p = "/";
		len = 1;
	}
	if (~flags & SIGV4_SINGLE_ENCODE)
		sigv4_buf_encode(&out, p, len, true);
	else {
		for (start = 0; start <= len; start = i + 1) {
			for (i = start; i < len && p[i] != '/'; i++)
				/* nothing */;
			dec = sigv4_uri_decode(p + start, i - start, &dlen);
			sigv4_buf_encode(&out, dec, dlen, false);
			free(dec);
			if (i < len)
				sigv4_buf_char(&out, '/');
		}
	}
	free(norm.s);
	return sigv4_buf_take(&out);
}

static void
sigv4_query_add(struct sigv4_qparams *qp, const char *name, size_t nlen,
    const char *value, size_t vlen, bool decode)
{
	struct sigv4_qparam	*q;
	char			*dn, *dv;

	qp->v = xreallocarray(qp->v, qp->n + 1, sizeof *qp->v);
	q = &qp->v[qp->n++];
	if (decode) {
		dn = sigv4_uri_decode(name, nlen, &nlen);
		dv = sigv4_uri_decode(value, vlen, &vlen);
		q->name = sigv4_uri_encode(dn, nlen, false);
		q->value = sigv4_uri_encode(dv, vlen, false);
		free(dn);
		free(dv);
	} else {
		q->name = sigv4_uri_encode(name, nlen, false);
		q->value = sigv4_uri_encode(value, vlen, false);
	}
}

/* Add a parameter given in plain (decoded) form. */
static void
sigv4_query_add_str(struct sigv4_qparams *qp, const char *name,
    const char *value)
{
	sigv4_query_add(qp, name, strlen(name), value, strlen(value), false);
}

/*
 * Split a query as sent into its parameters.  Each half is decoded and
 * encoded again, so that "%7e", "~" and raw UTF-8 sign as the server will
 * see them; a parameter without '=' has an empty value, and empty
 * parameters ("a=1&&b=2") are not parameters.
 */
static void
sigv4_query_split(struct sigv4_qparams *qp, const char *query)
{
	const char	*p = query, *amp, *eq;
	size_t		 len;

	if (query == NULL)
		return;
	for (;;) {
		amp = strchr(p, '&');
		len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (len != 0) {
			eq = memchr(p, '=', len);
			if (eq != NULL)
				sigv4_query_add(qp, p, (size_t)(eq - p), eq + 1,
				    len - (size_t)(eq - p) - 1, true);
			else
				sigv4_query_add(qp, p, len, "", 0, true);
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
}

/* By encoded name, then by encoded value: "Param" before "Param-3". */
static int
sigv4_qparam_cmp(const void *a, const void *b)
{
	const struct sigv4_qparam	*qa = a, *qb = b;
	int				 r;

	if ((r = strcmp(qa->name, qb->name)) != 0)
		return r;
	return strcmp(qa->value, qb->value);
}

static char *
sigv4_query_join(struct sigv4_qparams *qp)
{
	struct sigv4_buf	 b = { NULL, 0, 0 };
	size_t			 i;

	if (qp->n > 1)
		qsort(qp->v, qp->n, sizeof *qp->v, sigv4_qparam_cmp);
	for (i = 0; i < qp->n; i++) {
		if (i != 0)
			sigv4_buf_char(&b, '&');
		sigv4_buf_str(&b, qp->v[i].name);
		sigv4_buf_char(&b, '=');
		sigv4_buf_str(&b, qp->v[i].value);
	}
	return sigv4_buf_take(&b);
}

static void
sigv4_query_free(struct sigv4_qparams *qp)
{
	size_t	 i;

	for (i = 0; i < qp->n; i++) {
		free(qp->v[i].name);
		freezero_str(qp->v[i].value);	/* may be a session token */
	}
	free(qp->v);
	qp->v = NULL;
	qp->n = 0;
}

char *
sigv4_canonical_query(const char *query)
{
	struct sigv4_qparams	 qp = { NULL, 0 };
	char			*s;

	sigv4_query_split(&qp, query);
	s = sigv4_query_join(&qp);
	sigv4_query_free(&qp);
	return s;
}

/*
 * Trim a header value and fold each run of whitespace to one space.  The
 * runs include the line breaks of a multi-line (obs-fold) value, which RFC
 * 7230 section 3.2.4 replaces with a space; quotes are not special (the AWS
 * suite folds inside them: get-header-value-trim).
 */
static char *
sigv4_header_value(const char *v)
{
	struct sigv4_buf	 b = { NULL, 0, 0 };
	bool			 space = false;

	while (sigv4_space(*v))
		v++;
	for (; *v != '\0'; v++) {
		if (sigv4_space(*v)) {
			space = true;
			continue;
		}
		if (space)
			sigv4_buf_char(&b, ' ');
		space = false;
		sigv4_buf_char(&b, *v);
	}
	return sigv4_buf_take(&b);
}

/* By name; a header given twice keeps the order of the request. */
static int
sigv4_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr	*ha = a, *hb = b;
	int			 r;

	if ((r = strcmp(ha->name, hb->name)) != 0)
		return r;
	return ha->order < hb->order ? -1 : ha->order > hb->order;
}

/*
 * The canonical headers ("name:value\n" each, sorted by lower-case name, the
 * values of a repeated header joined with ',' in request order) and the
 * signed headers ("host;x-amz-date").
 */
int
sigv4_canonical_headers(const struct sigv4_header *h, size_t n,
    char **canonical, char **signed_headers, char **cause)
{
	struct sigv4_buf	 cb = { NULL, 0, 0 }, sb = { NULL, 0, 0 };
	struct sigv4_hdr	*v;
	size_t			 nv = 0, i, j;
	char			*p;
	int			 rc = -1;

	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		if (h[i].name == NULL || !sigv4_token(h[i].name)) {
			*cause = xprintf("header name '%s' is not a token",
			    h[i].name != NULL ? h[i].name : "");
			goto out;
		}
		if (h[i].value == NULL) {
			*cause = xprintf("header %s has no value", h[i].name);
			goto out;
		}
		v[nv].name = xstrdup(h[i].name);
		for (p = v[nv].name; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		}
		for (j = 0; j < nitems(sigv4_unsigned_headers); j++) {
			if (strcmp(v[nv].name, sigv4_unsigned_headers[j]) == 0)
				break;
		}
		if (j != nitems(sigv4_unsigned_headers)) {
			free(v[nv].name);
			continue;
		}
		v[nv].value = sigv4_header_value(h[i].value);
		v[nv].order = i;
		nv++;
	}
	if (nv > 1)
		qsort(v, nv, sizeof *v, sigv4_hdr_cmp);
	for (i = 0; i < nv; i++) {
		if (i != 0 && strcmp(v[i].name, v[i - 1].name) == 0) {
			sigv4_buf_char(&cb, ',');
			sigv4_buf_str(&cb, v[i].value);
			continue;
		}
		if (i != 0) {
			sigv4_buf_char(&cb, '\n');
			sigv4_buf_char(&sb, ';');
		}
		sigv4_buf_str(&cb, v[i].name);
		sigv4_buf_char(&cb, ':');
		sigv4_buf_str(&cb, v[i].value);
		sigv4_buf_str(&sb, v[i].name);
	}
	if (nv != 0)
		sigv4_buf_char(&cb, '\n');
	*canonical = sigv4_buf_take(&cb);
	*signed_headers = sigv4_buf_take(&sb);
	rc = 0;
out:
	for (i = 0; i < nv; i++) {
		free(v[i].name);
		freezero_str(v[i].value);	/* may be a session token */
	}
	free(v);
	return rc;
}

/* "20150830T123600Z": ISO 8601 basic format, UTC. */
int
sigv4_format_time(time_t t, char out[SIGV4_TIME_LEN + 1])
{
	struct tm	 tm;
	int		 n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	n = snprintf(out, SIGV4_TIME_LEN + 1, "%04d%02d%02dT%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return n == SIGV4_TIME_LEN ? 0 : -1;
}

/* What goes between '/' in a credential scope: no separators, no spaces. */
static bool
sigv4_scope_part(const char *s)
{
	const unsigned char	*p;

	if (s == NULL || *s == '\0')
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("/,=;", *p) != NULL)
			return false;
	}
	return true;
}

/* A payload hash: 64 lower-case hex digits or a name like UNSIGNED-PAYLOAD. */
static bool
sigv4_payload_hash_ok(const char *s)
{
	size_t	 i, len = strlen(s);

	if (len == SIGV4_HEX_LEN &&
	    strspn(s, sigv4_hexlower) == SIGV4_HEX_LEN)
		return true;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return false;
	}
	return len != 0;
}

static bool
sigv4_is(const struct sigv4_header *h, const char *name)
{
	return h->name != NULL && strcasecmp(h->name, name) == 0;
}

static int
sigv4_check(enum sigv4_mode mode, const struct sigv4_request *req,
    const struct sigv4_credentials *creds, const struct sigv4_params *params,
    char **cause)
{
	size_t	 i;
	bool	 host = false;

	if (req->method == NULL || !sigv4_token(req->method)) {
		*cause = xstrdup("no valid request method");
		return -1;
	}
	if (req->path == NULL || req->path[0] != '/') {
		*cause = xstrdup("request path does not start with '/'");
		return -1;
	}
	if (req->payload == NULL && req->payload_len != 0) {
		*cause = xstrdup("payload length without a payload");
		return -1;
	}
	if (req->payload_hash != NULL &&
	    !sigv4_payload_hash_ok(req->payload_hash)) {
		*cause = xprintf("bad payload hash '%s'", req->payload_hash);
		return -1;
	}
	if (!sigv4_scope_part(creds->access_key_id)) {
		*cause = xstrdup("no valid access key id");
		return -1;
	}
	if (creds->secret_access_key == NULL ||
	    *creds->secret_access_key == '\0') {
		*cause = xstrdup("no secret access key");
		return -1;
	}
	if (!sigv4_scope_part(params->region)) {
		*cause = xprintf("bad region '%s'",
		    params->region != NULL ? params->region : "");
		return -1;
	}
	if (!sigv4_scope_part(params->service)) {
		*cause = xprintf("bad service '%s'",
		    params->service != NULL ? params->service : "");
		return -1;
	}
	if (mode == SIGV4_QUERY &&
	    (params->expires < 1 || params->expires > SIGV4_EXPIRES_MAX)) {
		*cause = xprintf("expiry %d seconds is not between 1 and %d",
		    params->expires, SIGV4_EXPIRES_MAX);
		return -1;
	}
	for (i = 0; i < req->nheaders; i++) {
		if (sigv4_is(&req->headers[i], "host"))
			host = true;
		/* Signing a signed request is a bug in the caller. */
		if (sigv4_is(&req->headers[i], "authorization")) {
			*cause = xstrdup("request already has an Authorization "
			    "header");
			return -1;
		}
	}
	if (!host) {
		*cause = xstrdup("request has no Host header");
		return -1;
	}
	return 0;
}

/* The query of a presigned request must not be signed already. */
static int
sigv4_check_query(const struct sigv4_qparams *qp, char **cause)
{
	static const char *const names[] = {
		"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
		"X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token",
		"X-Amz-Signature",
	};
	size_t	 i, j;

	for (i = 0; i < qp->n; i++) {
		for (j = 0; j < nitems(names); j++) {
			if (strcasecmp(qp->v[i].name, names[j]) == 0) {
				*cause = xprintf("query already has %s",
				    names[j]);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Headers the caller set that the signer would otherwise add must agree
 * with what it would add: a request carries one date and one token.
 */
static int
sigv4_check_header(const struct sigv4_request *req, const char *name,
    const char *want, const char *what, bool *present, char **cause)
{
	size_t	 i;
	char	*v;
	bool	 same;

	*present = false;
	for (i = 0; i < req->nheaders; i++) {
		if (!sigv4_is(&req->headers[i], name) ||
		    req->headers[i].value == NULL)
			continue;
		*present = true;
		if (want == NULL)
			continue;
		v = sigv4_header_value(req->headers[i].value);
		same = strcmp(v, want) == 0;
		freezero_str(v);
		if (!same) {
			*cause = xprintf("%s header does not match the "
			    "signing %s", req->headers[i].name, what);
			return -1;
		}
	}
	return 0;
}

static void
sigv4_state_free(struct sigv4_state *st)
{
	free(st->scope);
	free(st->payload_hash);
	free(st->signed_headers);
	free(st->creq);
	memset(st, 0, sizeof *st);
}

/*
 * Everything up to the canonical request: the time and scope, the payload
 * hash, which headers are signed and which the signer adds.
 */
static int
sigv4_prepare(enum sigv4_mode mode, const struct sigv4_request *req,
    const struct sigv4_credentials *creds, const struct sigv4_params *params,
    struct sigv4_state *st, char **cause)
{
	struct sigv4_qparams	 qp = { NULL, 0 };
	struct sigv4_header	*hs;
	const char		*token = creds->session_token, *sha = NULL;
	char			 hash[SIGV4_HEX_LEN + 1], expires[16];
	char			*uri, *query, *canonical, *credential;
	size_t			 i, nh = 0;
	bool			 sign_token, present;
	int			 rc = -1;

	memset(st, 0, sizeof *st);
	if (sigv4_check(mode, req, creds, params, cause) != 0)
		return -1;
	if (sigv4_format_time(params->now, st->time) != 0) {
		*cause = xprintf("time %lld out of range",
		    (long long)params->now);
		return -1;
	}
	memcpy(st->date, st->time, 8);
	st->date[8] = '\0';
	st->scope = xprintf("%s/%s/%s/aws4_request", st->date, params->region,
	    params->service);
	if (token != NULL && *token == '\0')
		token = NULL;
	sign_token = token != NULL && (~params->flags & SIGV4_UNSIGNED_TOKEN);

	/*
	 * The payload hash: the caller's, else the x-amz-content-sha256 header
	 * the caller set (S3 streaming and unsigned payloads say so there),
	 * else the SHA-256 of the payload.
	 */
	for (i = 0; i < req->nheaders; i++) {
		if (sigv4_is(&req->headers[i], "x-amz-content-sha256") &&
		    req->headers[i].value != NULL && sha == NULL)
			sha = req->headers[i].value;
	}
	if (req->payload_hash != NULL)
		st->payload_hash = xstrdup(req->payload_hash);
	else if (sha != NULL) {
		st->payload_hash = sigv4_header_value(sha);
		if (!sigv4_payload_hash_ok(st->payload_hash)) {
			*cause = xprintf("bad x-amz-content-sha256 header "
			    "'%s'", st->payload_hash);
			goto out;
		}
	} else {
		sigv4_sha256_hex(req->payload, req->payload_len, hash);
		st->payload_hash = xstrdup(hash);
	}

	/* Which headers are signed: the request's, and those we add. */
	hs = xcalloc(req->nheaders + 3, sizeof *hs);
	for (i = 0; i < req->nheaders; i++) {
		if ((params->flags & SIGV4_UNSIGNED_TOKEN) &&
		    sigv4_is(&req->headers[i], "x-amz-security-token"))
			continue;
		hs[nh++] = req->headers[i];
	}
	if (sigv4_check_header(req, "x-amz-date", st->time, "time", &present,
	    cause) != 0)
		goto out_hs;
	if (mode == SIGV4_HEADER && !present) {
		hs[nh].name = "X-Amz-Date";
		hs[nh++].value = st->time;
		st->add_date = true;
	}
	if (sigv4_check_header(req, "x-amz-security-token", token,
	    "session token", &present, cause) != 0)
		goto out_hs;
	if (mode == SIGV4_HEADER && token != NULL && !present) {
		st->add_token = true;
		if (sign_token) {
			hs[nh].name = "X-Amz-Security-Token";
			hs[nh++].value = token;
		}
	}
	if (sigv4_check_header(req, "x-amz-content-sha256", st->payload_hash,
	    "payload hash", &present, cause) != 0)
		goto out_hs;
	if (mode == SIGV4_HEADER && (params->flags & SIGV4_CONTENT_SHA256) &&
	    !present) {
		hs[nh].name = "x-amz-content-sha256";
		hs[nh++].value = st->payload_hash;
		st->add_sha256 = true;
	}
	if (sigv4_canonical_headers(hs, nh, &canonical, &st->signed_headers,
	    cause) != 0)
		goto out_hs;

	/* A presigned request carries the signing parameters in its query. */
	sigv4_query_split(&qp, req->query);
	if (mode == SIGV4_QUERY) {
		if (sigv4_check_query(&qp, cause) != 0) {
			free(canonical);
			goto out_hs;
		}
		credential = xprintf("%s/%s", creds->access_key_id, st->scope);
		snprintf(expires, sizeof expires, "%d", params->expires);
		sigv4_query_add_str(&qp, "X-Amz-Algorithm", SIGV4_ALGORITHM);
		sigv4_query_add_str(&qp, "X-Amz-Credential", credential);
		sigv4_query_add_str(&qp, "X-Amz-Date", st->time);
		sigv4_query_add_str(&qp, "X-Amz-Expires", expires);
		sigv4_query_add_str(&qp, "X-Amz-SignedHeaders",
		    st->signed_headers);
		if (sign_token)
			sigv4_query_add_str(&qp, "X-Amz-Security-Token", token);
		free(credential);
	}
	query = sigv4_query_join(&qp);

	uri = sigv4_canonical_uri(req->path, params->flags);
	st->creq = xprintf("%s\n%s\n%s\n%s\n%s\n%s", req->method, uri, query,
	    canonical, st->signed_headers, st->payload_hash);
	free(uri);
	freezero_str(query);
	freezero_str(canonical);
	rc = 0;
out_hs:
	free(hs);
out:
	sigv4_query_free(&qp);
	if (rc != 0)
		sigv4_state_free(st);
	return rc;
}

static char *
sigv4_sts(const char *time, const char *scope, const char *creq)
{
	char	 hash[SIGV4_HEX_LEN + 1];

	sigv4_sha256_hex(creq, strlen(creq), hash);
	return xprintf("%s\n%s\n%s\n%s", SIGV4_ALGORITHM, time, scope, hash);
}

/* The signature of a prepared request, hex. */
static char *
sigv4_sign_state(const struct sigv4_state *st,
    const struct sigv4_credentials *creds, const struct sigv4_params *params)
{
	uint8_t	 key[SIGV4_KEY_LEN];
	char	*sts, *sig;

	sts = sigv4_sts(st->time, st->scope, st->creq);
	sigv4_signing_key(creds->secret_access_key, st->date, params->region,
	    params->service, key);
	sig = sigv4_signature(key, sts);
	OPENSSL_cleanse(key, sizeof key);
	free(sts);
	return sig;
}

int
sigv4_sign_headers(const struct sigv4_request *req,
    const struct sigv4_credentials *creds, const struct sigv4_params *params,
    struct sigv4_out_header **out, size_t *nout, char **cause)
{
	struct sigv4_state	 st;
	struct sigv4_out_header	*h;
	char			*sig;
	size_t			 n = 0;

	*out = NULL;
	*nout = 0;
	if (sigv4_prepare(SIGV4_HEADER, req, creds, params, &st, cause) != 0)
		return -1;
	sig = sigv4_sign_state(&st, creds, params);

	/* In the order aws-c-auth adds them, so its vectors compare whole. */
	h = xcalloc(4, sizeof *h);
	if (st.add_token) {
		h[n].name = "X-Amz-Security-Token";
		h[n++].value = xstrdup(creds->session_token);
	}
	if (st.add_date) {
		h[n].name = "X-Amz-Date";
		h[n++].value = xstrdup(st.time);
	}
	if (st.add_sha256) {
		h[n].name = "x-amz-content-sha256";
		h[n++].value = xstrdup(st.payload_hash);
	}
	h[n].name = "Authorization";
	h[n++].value = xprintf("%s Credential=%s/%s, SignedHeaders=%s, "
	    "Signature=%s", SIGV4_ALGORITHM, creds->access_key_id, st.scope,
	    st.signed_headers, sig);
	free(sig);
	sigv4_state_free(&st);
	*out = h;
	*nout = n;
	return 0;
}

/*
 * The query string of a presigned request: the request's own query as
 * sent, then the X-Amz-* parameters in the order the AWS SDKs write them,
 * X-Amz-Signature last.
 */
char *
sigv4_presign_query(const struct sigv4_request *req,
    const struct sigv4_credentials *creds, const struct sigv4_params *params,
    char **cause)
{
	struct sigv4_state	 st;
	struct sigv4_buf	 b = { NULL, 0, 0 };
	char			*sig, *credential, expires[16];

	if (sigv4_prepare(SIGV4_QUERY, req, creds, params, &st, cause) != 0)
		return NULL;
	sig = sigv4_sign_state(&st, creds, params);

	if (req->query != NULL && *req->query != '\0') {
		sigv4_buf_str(&b, req->query);
		sigv4_buf_char(&b, '&');
	}
	sigv4_buf_str(&b, "X-Amz-Algorithm=" SIGV4_ALGORITHM);
	sigv4_buf_str(&b, "&X-Amz-Credential=");
	credential = xprintf("%s/%s", creds->access_key_id, st.scope);
	sigv4_buf_encode(&b, credential, strlen(credential), false);
	free(credential);
	sigv4_buf_str(&b, "&X-Amz-Date=");
	sigv4_buf_str(&b, st.time);
	sigv4_buf_str(&b, "&X-Amz-SignedHeaders=");
	sigv4_buf_encode(&b, st.signed_headers, strlen(st.signed_headers),
	    false);
	snprintf(expires, sizeof expires, "%d", params->expires);
	sigv4_buf_str(&b, "&X-Amz-Expires=");
	sigv4_buf_str(&b, expires);
	if (creds->session_token != NULL && *creds->session_token != '\0') {
		sigv4_buf_str(&b, "&X-Amz-Security-Token=");
		sigv4_buf_encode(&b, creds->session_token,
		    strlen(creds->session_token), false);
	}
	sigv4_buf_str(&b, "&X-Amz-Signature=");
	sigv4_buf_str(&b, sig);
	free(sig);
	sigv4_state_free(&st);
	return sigv4_buf_take(&b);
}

void
sigv4_headers_free(struct sigv4_out_header *h, size_t n)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < n; i++)
		freezero_str(h[i].value);	/* the token is a secret */
	free(h);
}

char *
sigv4_canonical_request(enum sigv4_mode mode, const struct sigv4_request *req,
    const struct sigv4_credentials *creds, const struct sigv4_params *params,
    char **cause)
{
	struct sigv4_state	 st;
	char			*creq;

	if (sigv4_prepare(mode, req, creds, params, &st, cause) != 0)
		return NULL;
	creq = st.creq;
	st.creq = NULL;
	sigv4_state_free(&st);
	return creq;
}

char *
sigv4_string_to_sign(const struct sigv4_params *params, const char *creq,
    char **cause)
{
	char	 time[SIGV4_TIME_LEN + 1];
	char	*scope, *sts;

	if (!sigv4_scope_part(params->region) ||
	    !sigv4_scope_part(params->service)) {
		*cause = xstrdup("bad region or service");
		return NULL;
	}
	if (sigv4_format_time(params->now, time) != 0) {
		*cause = xprintf("time %lld out of range",
		    (long long)params->now);
		return NULL;
	}
	scope = xprintf("%.8s/%s/%s/aws4_request", time, params->region,
	    params->service);
	sts = sigv4_sts(time, scope, creq);
	free(scope);
	return sts;
}

/*
 * The signing key for one day ("20150830"), region and service.  It is
 * good for every request of that day, so a caller that signs a lot may
 * keep it; it is a secret like the secret key it comes from.
 */
void
sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, uint8_t key[SIGV4_KEY_LEN])
{
	uint8_t	 kdate[SIGV4_KEY_LEN], kregion[SIGV4_KEY_LEN];
	uint8_t	 kservice[SIGV4_KEY_LEN];
	char	*k;

	k = xprintf("AWS4%s", secret);
	sigv4_hmac(k, strlen(k), date, strlen(date), kdate);
	freezero_str(k);
	sigv4_hmac(kdate, sizeof kdate, region, strlen(region), kregion);
	sigv4_hmac(kregion, sizeof kregion, service, strlen(service),
	    kservice);
	sigv4_hmac(kservice, sizeof kservice, "aws4_request",
	    strlen("aws4_request"), key);
	OPENSSL_cleanse(kdate, sizeof kdate);
	OPENSSL_cleanse(kregion, sizeof kregion);
	OPENSSL_cleanse(kservice, sizeof kservice);
}

char *
sigv4_signature(const uint8_t key[SIGV4_KEY_LEN], const char *sts)
{
	uint8_t	 mac[SIGV4_KEY_LEN];
	char	 hex[SIGV4_HEX_LEN + 1];

	sigv4_hmac(key, SIGV4_KEY_LEN, sts, strlen(sts), mac);
	sigv4_hex(mac, sizeof mac, hex);
	return xstrdup(hex);
}
