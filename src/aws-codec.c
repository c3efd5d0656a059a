/*
 * aws-codec.c: the model-driven AWS codec's entry points and what its
 * protocols share.
 *
 * Serialising checks the parameters against the input shape first (types,
 * required members, unknown members, minimums: what botocore's parameter
 * validation checks), then hands them to the protocol.  Decoding hands the
 * answer to the protocol, or to its error decoder for a status of 301 and
 * above as botocore does, then applies the touches botocore's handlers and
 * the AWS CLI add: IAM policy documents URL-decoded and parsed, S3's
 * GetBucketLocation read from the root element, S3's errors sent with a
 * 200 status recognised as errors.
 *
 * The scalars follow Python, as botocore gets them: int() and float() of
 * text (white space around, '_' between digits), str() of a value, the
 * shortest repr of a double.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws-protocol.h"
#include "vigil.h"

static const struct {
	long		 status;
	const char	*reason;
} aws_reasons[] = {
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 409, "Conflict" }, { 410, "Gone" }, { 411, "Length Required" },
	{ 412, "Precondition Failed" }, { 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" }, { 415, "Unsupported Media Type" },
	{ 416, "Requested Range Not Satisfiable" },
	{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
	{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};

/* Growing strings. */
void
aws_buf_add(struct aws_buf *b, const void *data, size_t len)
{
	size_t	 size;

	if (b->size - b->len < len + 1) {
		size = b->size == 0 ? 256 : b->size;
		while (size - b->len < len + 1)
			size *= 2;
		b->p = xrealloc(b->p, size);
		b->size = size;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
aws_buf_str(struct aws_buf *b, const char *s)
{
	aws_buf_add(b, s, strlen(s));
}

void
aws_buf_printf(struct aws_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	aws_buf_add(b, s, (size_t)n);
	free(s);
}

/* The string built (never NULL); the buffer is empty again. */
char *
aws_buf_take(struct aws_buf *b, size_t *len)
{
	char	*p;

	if (b->p == NULL)
		aws_buf_add(b, "", 0);
	p = b->p;
	if (len != NULL)
		*len = b->len;
	memset(b, 0, sizeof *b);
	return p;
}

/*
 * Python's urllib.parse.quote (or quote_plus): letters, digits, "_.-~" and
 * the safe characters stay, the rest is %XX.
 */
void
aws_buf_quote(struct aws_buf *b, const char *s, size_t len, const char *safe,
    bool plus)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	char			 esc[3];
	size_t			 i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x80 && isalnum(c)) || c == '_' || c == '.' ||
		    c == '-' || c == '~' ||
		    (c != '\0' && strchr(safe, c) != NULL))
			aws_buf_add(b, &s[i], 1);
		else if (plus && c == ' ')
			aws_buf_add(b, "+", 1);
		else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			aws_buf_add(b, esc, 3);
		}
	}
}

void
aws_headers_add(struct http_header **h, size_t *n, const char *name,
    const char *value)
{
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcasecmp((*h)[i].name, name) == 0) {
			free((*h)[i].value);
			(*h)[i].value = xstrdup(value);
			return;
		}
	}
	*h = xreallocarray(*h, *n + 1, sizeof **h);
	(*h)[*n].name = xstrdup(name);
	(*h)[*n].value = xstrdup(value);
	(*n)++;
}

const char *
aws_headers_get(const struct http_header *h, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	}
	return NULL;
}

const char *
aws_answer_header(const struct aws_answer *a, const char *name)
{
	return aws_headers_get(a->headers, a->nheaders, name);
}

static bool
aws_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Python's int(text), within 64 bits. */
int
aws_py_int(const char *s, size_t len, json_int_t *out)
{
	const char	*end = s + len;
	bool		 neg = false, digit = false;
	uint64_t	 v = 0, lim;

	while (s < end && aws_py_space(*s))
		s++;
	while (end > s && aws_py_space(end[-1]))
		end--;
	if (s < end && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < end; s++) {
		if (*s == '_' && digit && s + 1 < end &&
		    isdigit((unsigned char)s[1]))
			continue;
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		digit = true;
	}
	if (!digit)
		return -1;
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(json_int_t)v;
	else
		*out = (json_int_t)v;
	return 0;
}

/*
 * Python's float(text), finite values only (JSON has no others): white
 * space around, a sign, digits with '_' between them, a point, an
 * exponent.
 */
int
aws_py_float(const char *s, size_t len, double *out)
{
	const char	*end = s + len, *p;
	char		*clean, *c, *stop;
	bool		 mant = false;
	int		 rc = -1;

	while (s < end && aws_py_space(*s))
		s++;
	while (end > s && aws_py_space(end[-1]))
		end--;
	c = clean = xmalloc((size_t)(end - s) + 1);
	p = s;
	if (p < end && (*p == '+' || *p == '-'))
		*c++ = *p++;
	/* digits [. digits] [e [sign] digits], '_' only between digits */
	while (p < end && (isdigit((unsigned char)*p) || (*p == '_' &&
	    p > s && isdigit((unsigned char)p[-1]) && p + 1 < end &&
	    isdigit((unsigned char)p[1])))) {
		if (*p != '_') {
			*c++ = *p;
			mant = true;
		}
		p++;
	}
	if (p < end && *p == '.') {
		*c++ = *p++;
		while (p < end && (isdigit((unsigned char)*p) || (*p == '_' &&
		    isdigit((unsigned char)p[-1]) && p + 1 < end &&
		    isdigit((unsigned char)p[1])))) {
			if (*p != '_') {
				*c++ = *p;
				mant = true;
			}
			p++;
		}
	}
	if (!mant)
		goto out;
	if (p < end && (*p == 'e' || *p == 'E')) {
		*c++ = *p++;
		if (p < end && (*p == '+' || *p == '-'))
			*c++ = *p++;
		if (p == end || !isdigit((unsigned char)*p))
			goto out;
		while (p < end && (isdigit((unsigned char)*p) || (*p == '_' &&
		    isdigit((unsigned char)p[-1]) && p + 1 < end &&
		    isdigit((unsigned char)p[1])))) {
			if (*p != '_')
				*c++ = *p;
			p++;
		}
	}
	if (p != end)
		goto out;
	*c = '\0';
	errno = 0;
	*out = strtod(clean, &stop);
	if (*stop == '\0' && isfinite(*out))
		rc = 0;
out:
	free(clean);
	return rc;
}

/*
 * Python's repr of a float: the shortest digits that read back the same,
 * in fixed notation for exponents from -4 to 15 ("1.0", "0.0001",
 * "1000000000000000.0"), else "1e+16", "1.5e-05".
 */
void
aws_py_float_repr(double d, char *out, size_t size)
{
	char	 tmp[40], digits[24], *e;
	int	 prec, exp10, nd, i;
	size_t	 o = 0;
	bool	 neg;

	if (!isfinite(d)) {
		snprintf(out, size, "%s", isnan(d) ? "nan" : d > 0 ? "inf" :
		    "-inf");
		return;
	}
	neg = signbit(d) != 0;
	if (d == 0) {
		snprintf(out, size, "%s0.0", neg ? "-" : "");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, neg ? -d : d);
		if (strtod(tmp, NULL) == (neg ? -d : d))
			break;
	}
	/* tmp is "D.DDDe[+-]XX" */
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	nd = 0;
	for (i = 0; tmp + i < e; i++) {
		if (tmp[i] != '.')
			digits[nd++] = tmp[i];
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';

	if (neg)
		tmp[o++] = '-';
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			tmp[o++] = '0';
			tmp[o++] = '.';
			for (i = 0; i < -exp10 - 1; i++)
				tmp[o++] = '0';
			for (i = 0; i < nd; i++)
				tmp[o++] = digits[i];
		} else {
			for (i = 0; i <= exp10; i++)
				tmp[o++] = i < nd ? digits[i] : '0';
			tmp[o++] = '.';
			if (nd > exp10 + 1) {
				for (i = exp10 + 1; i < nd; i++)
					tmp[o++] = digits[i];
			} else
				tmp[o++] = '0';
		}
		tmp[o] = '\0';
	} else {
		tmp[o++] = digits[0];
		if (nd > 1) {
			tmp[o++] = '.';
			for (i = 1; i < nd; i++)
				tmp[o++] = digits[i];
		}
		snprintf(tmp + o, sizeof tmp - o, "e%c%02d",
		    exp10 < 0 ? '-' : '+', abs(exp10));
	}
	snprintf(out, size, "%s", tmp);
}

/* Python's truth of a value; NULL (a missing member) is None, false. */
bool
aws_py_truthy(json_t *v)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

/* Python's str() of a scalar. */
char *
aws_py_str(json_t *v)
{
	char	 num[40];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return xprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		aws_py_float_repr(json_real_value(v), num, sizeof num);
		return xstrdup(num);
	case JSON_TRUE:
		return xstrdup("True");
	case JSON_FALSE:
		return xstrdup("False");
	default:
		return xstrdup("None");
	}
}

static const char aws_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
aws_base64_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;
	unsigned int		 v;

	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = aws_b64[v >> 18];
		*o++ = aws_b64[(v >> 12) & 63];
		*o++ = aws_b64[(v >> 6) & 63];
		*o++ = aws_b64[v & 63];
	}
	if (i < len) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		*o++ = aws_b64[v >> 18];
		*o++ = aws_b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? aws_b64[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * Python's base64.b64decode without validation: characters outside the
 * alphabet are skipped, data ends at padding.  NULL if the length is
 * wrong.
 */
char *
aws_base64_decode(const char *s, size_t len, size_t *outlen)
{
	char		*out;
	const char	*p;
	size_t		 i, n = 0, o = 0, pad;
	unsigned int	 v = 0;

	out = xmalloc(len / 4 * 3 + 4);
	for (i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		if (s[i] == '\0' || (p = strchr(aws_b64, s[i])) == NULL)
			continue;
		v = v << 6 | (unsigned)(p - aws_b64);
		if (++n == 4) {
			out[o++] = (char)(v >> 16);
			out[o++] = (char)(v >> 8);
			out[o++] = (char)v;
			n = 0;
			v = 0;
		}
	}
	for (pad = 0; i < len && pad < 2; i++) {
		if (s[i] == '=')
			pad++;
	}
	if (n == 1 || (n == 2 && pad < 2) || (n == 3 && pad < 1)) {
		free(out);
		return NULL;	/* "Incorrect padding" */
	}
	if (n == 2)
		out[o++] = (char)(v >> 4);
	else if (n == 3) {
		out[o++] = (char)(v >> 10);
		out[o++] = (char)(v >> 2);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Round half to even (Python's round(), as datetime.fromtimestamp). */
static int
aws_round_even(double x)
{
	int	 i = (int)x;
	double	 frac = x - (double)i;

	if (frac > 0.5 || (frac == 0.5 && (i & 1) != 0))
		i++;
	return i;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static int64_t
aws_days(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
aws_civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
aws_num(const char **p, const char *end, int digits, int *out)
{
	int	 i, v = 0;

	for (i = 0; i < digits; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* A zone: Z, UTC, GMT, +HH:MM, +HHMM, +HH; minutes east of UTC. */
static int
aws_zone(const char **p, const char *end, int *tz)
{
	int	 h, m = 0, sign;

	if (*p < end && (**p == 'Z' || **p == 'z')) {
		(*p)++;
		*tz = 0;
		return 0;
	}
	if (end - *p >= 3 && (strncmp(*p, "UTC", 3) == 0 ||
	    strncmp(*p, "GMT", 3) == 0)) {
		*p += 3;
		*tz = 0;
		return 0;
	}
	if (*p >= end || (**p != '+' && **p != '-'))
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (aws_num(p, end, 2, &h) != 0)
		return -1;
	if (*p < end && **p == ':')
		(*p)++;
	if (*p < end && isdigit((unsigned char)**p) &&
	    aws_num(p, end, 2, &m) != 0)
		return -1;
	*tz = sign * (h * 60 + m);
	return 0;
}

static const char *const aws_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};
static const char *const aws_wdays[] = {
	"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed",
};

/*
 * A timestamp's text: ISO 8601 (2013-08-20T18:33:25.000Z, with a zone or
 * without, or a date alone), RFC 822 (Tue, 20 Aug 2013 18:33:25 GMT), or
 * seconds since the epoch.  has_tz and tz say what zone the text named.
 */
struct aws_time_text {
	struct aws_time	 t;
	bool		 has_tz;
	int		 tz;		/* minutes east of UTC */
};

static int
aws_time_text(const char *s, size_t len, struct aws_time_text *tt)
{
	const char	*p = s, *end = s + len;
	int		 y, mo, d, h = 0, mi = 0, sec = 0, usec = 0, i, n;
	double		 f;

	memset(tt, 0, sizeof *tt);
	while (p < end && aws_py_space(*p))
		p++;
	while (end > p && aws_py_space(end[-1]))
		end--;
	if (aws_py_float(p, (size_t)(end - p), &f) == 0) {
		if (f < -62135596800.0 || f > 253402300799.0)
			return -1;
		tt->t.sec = (int64_t)f;
		if ((double)tt->t.sec > f)
			tt->t.sec--;	/* floor */
		tt->t.usec = aws_round_even((f - (double)tt->t.sec) * 1e6);
		if (tt->t.usec >= 1000000) {
			tt->t.sec++;
			tt->t.usec -= 1000000;
		}
		tt->has_tz = true;
		return 0;
	}
	if (end - p >= 4 && isalpha((unsigned char)*p)) {
		/* RFC 822: [Day, ]DD Mon YYYY HH:MM:SS zone */
		if (end - p >= 5 && p[3] == ',')
			p += 4;
		while (p < end && *p == ' ')
			p++;
	}
	if (end - p >= 11 && isdigit((unsigned char)p[0]) &&
	    (p[1] == ' ' || p[2] == ' ')) {
		n = p[1] == ' ' ? 1 : 2;
		if (aws_num(&p, end, n, &d) != 0 || *p++ != ' ')
			return -1;
		for (mo = 0; mo < 12; mo++) {
			if (strncasecmp(p, aws_months[mo], 3) == 0)
				break;
		}
		if (mo == 12)
			return -1;
		mo++;
		p += 3;
		if (p >= end || *p++ != ' ' || aws_num(&p, end, 4, &y) != 0 ||
		    p >= end || *p++ != ' ' || aws_num(&p, end, 2, &h) != 0 ||
		    p >= end || *p++ != ':' || aws_num(&p, end, 2, &mi) != 0 ||
		    p >= end || *p++ != ':' || aws_num(&p, end, 2, &sec) != 0)
			return -1;
		while (p < end && *p == ' ')
			p++;
		if (p < end) {
			if (aws_zone(&p, end, &tt->tz) != 0)
				return -1;
			tt->has_tz = true;
		}
	} else {
		if (aws_num(&p, end, 4, &y) != 0 || p >= end || *p++ != '-' ||
		    aws_num(&p, end, 2, &mo) != 0 || p >= end ||
		    *p++ != '-' || aws_num(&p, end, 2, &d) != 0)
			return -1;
		if (p < end) {
			if (*p != 'T' && *p != 't' && *p != ' ')
				return -1;
			p++;
			if (aws_num(&p, end, 2, &h) != 0 || p >= end ||
			    *p++ != ':' || aws_num(&p, end, 2, &mi) != 0)
				return -1;
			if (p < end && *p == ':') {
				p++;
				if (aws_num(&p, end, 2, &sec) != 0)
					return -1;
				if (p < end && (*p == '.' || *p == ',')) {
					/* microseconds: six digits, the rest
					 * dropped, as dateutil */
					p++;
					if (p >= end ||
					    !isdigit((unsigned char)*p))
						return -1;
					for (i = 0; p < end &&
					    isdigit((unsigned char)*p); i++) {
						if (i < 6)
							usec = usec * 10 +
							    (*p - '0');
						p++;
					}
					for (; i < 6; i++)
						usec *= 10;
				}
			}
			if (p < end) {
				if (aws_zone(&p, end, &tt->tz) != 0)
					return -1;
				tt->has_tz = true;
			}
		}
	}
	if (p != end || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    sec > 59 || y < 1)
		return -1;
	/* A day the month has (datetime refuses the others). */
	if (d > 31 || (d > 30 && (mo == 4 || mo == 6 || mo == 9 ||
	    mo == 11)) || (mo == 2 && d > ((y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)) ? 29 : 28)))
		return -1;
	tt->t.sec = aws_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (int64_t)tt->tz * 60;
	tt->t.usec = usec;
	return 0;
}

int
aws_time_parse(const char *s, size_t len, struct aws_time *t)
{
	struct aws_time_text	 tt;

	if (aws_time_text(s, len, &tt) != 0)
		return -1;
	*t = tt.t;
	return 0;
}

/* A timestamp parameter: a string (as above) or seconds since the epoch. */
int
aws_time_from_json(json_t *v, struct aws_time *t)
{
	double	 f;
	char	 num[40];

	if (json_is_string(v))
		return aws_time_parse(json_string_value(v),
		    json_string_length(v), t);
	if (json_is_integer(v)) {
		t->sec = json_integer_value(v);
		t->usec = 0;
		return 0;
	}
	if (json_is_real(v)) {
		f = json_real_value(v);
		snprintf(num, sizeof num, "%.17g", f);
		return aws_time_parse(num, strlen(num), t);
	}
	return -1;
}

static void
aws_time_fields(int64_t sec, int64_t *y, int *mo, int *d, int *h, int *mi,
    int *s, int *wday)
{
	int64_t	 days, rem;

	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	aws_civil(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
	*wday = (int)(((days % 7) + 7) % 7);
}

/* A timestamp as a request carries it. */
char *
aws_time_format(const struct aws_time *t, enum aws_tsformat f)
{
	int64_t	 y;
	int	 mo, d, h, mi, s, wday;

	aws_time_fields(t->sec, &y, &mo, &d, &h, &mi, &s, &wday);
	switch (f) {
	case AWS_TSF_UNIX:
		return xprintf("%lld", (long long)t->sec);
	case AWS_TSF_RFC822:
		return xprintf("%s, %02d %s %04lld %02d:%02d:%02d GMT",
		    aws_wdays[wday], d, aws_months[mo - 1], (long long)y, h,
		    mi, s);
	default:
		if (t->usec > 0)
			return xprintf("%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ",
			    (long long)y, mo, d, h, mi, s, t->usec);
		return xprintf("%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)y, mo, d, h, mi, s);
	}
}

static json_t *
aws_json_stringf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	json_t	*v;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	v = json_string(s);
	free(s);
	return v;
}

/*
 * A timestamp of an answer as the CLI prints it: as it came (a JSON value,
 * or text), or with AWS_DECODE_ISO8601 as Python's isoformat() of what
 * botocore parses (in UTC for seconds since the epoch, in the zone the
 * text named otherwise, naive without one).  In ISO 8601, a timestamp that
 * does not parse is an error, as it is for the CLI.
 */
int
aws_time_render(json_t *v, const char *text, size_t len, int flags,
    json_t **out, char **cause)
{
	struct aws_time_text	 tt;
	char			 num[40], frac[16], zone[16];
	int64_t			 y;
	int			 mo, d, h, mi, s, wday;

	if ((flags & AWS_DECODE_ISO8601) == 0) {
		*out = v != NULL ? json_incref(v) : json_stringn(text, len);
		if (*out == NULL) {
			*cause = xstrdup("a timestamp is not UTF-8");
			return -1;
		}
		return 0;
	}
	if (v != NULL && json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		text = num;
	} else if (v != NULL && json_is_real(v)) {
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		text = num;
	} else if (v != NULL && json_is_string(v)) {
		text = json_string_value(v);
		len = json_string_length(v);
	} else if (v != NULL) {
		*cause = xstrdup("a timestamp is neither a string nor a "
		    "number");
		return -1;
	}
	if (text == num)
		len = strlen(num);
	if (aws_time_text(text, len, &tt) != 0) {
		*cause = xprintf("invalid timestamp \"%.*s\"",
		    (int)(len > 64 ? 64 : len), text);
		return -1;
	}
	aws_time_fields(tt.t.sec + (int64_t)tt.tz * 60, &y, &mo, &d, &h, &mi,
	    &s, &wday);
	frac[0] = zone[0] = '\0';
	if (tt.t.usec != 0)
		snprintf(frac, sizeof frac, ".%06d", tt.t.usec);
	if (tt.has_tz)
		snprintf(zone, sizeof zone, "%c%02d:%02d", tt.tz < 0 ? '-' :
		    '+', abs(tt.tz) / 60, abs(tt.tz) % 60);
	*out = aws_json_stringf("%04lld-%02d-%02dT%02d:%02d:%02d%s%s",
	    (long long)y, mo, d, h, mi, s, frac, zone);
	return 0;
}

/* The number of characters of a UTF-8 string (Python's len()). */
static size_t
aws_utf8_len(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/*
 * Check parameters against a shape as botocore's validation does: types,
 * required members, unknown members, minimums.
 */
int
aws_codec_check(const struct aws_ref *r, json_t *v, const char *path,
    char **cause)
{
	const struct aws_shape	*s = r->shape;
	const struct aws_member	*m;
	struct aws_time		 t;
	const char		*k;
	json_t			*item;
	char			*sub;
	size_t			 i, n = 0;
	int			 rc;

	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		if (s->document)
			return 0;
		if (!json_is_object(v))
			goto type;
		if (s->is_union && json_object_size(v) != 1) {
			*cause = xprintf("%s: a union needs one member",
			    *path != '\0' ? path : s->name);
			return -1;
		}
		for (i = 0; i < s->nmembers; i++) {
			m = &s->members[i];
			if (m->required && json_object_get(v, m->name) ==
			    NULL) {
				*cause = xprintf("missing required parameter "
				    "%s%s%s", path, *path != '\0' ? "." : "",
				    m->name);
				return -1;
			}
		}
		json_object_foreach(v, k, item) {
			if ((m = aws_shape_member(s, k)) == NULL) {
				*cause = xprintf("unknown parameter %s%s%s",
				    path, *path != '\0' ? "." : "", k);
				return -1;
			}
			sub = xprintf("%s%s%s", path, *path != '\0' ? "." : "",
			    k);
			rc = aws_codec_check(&m->ref, item, sub, cause);
			free(sub);
			if (rc != 0)
				return -1;
		}
		return 0;
	case AWS_TYPE_LIST:
		if (!json_is_array(v))
			goto type;
		n = json_array_size(v);
		json_array_foreach(v, i, item) {
			sub = xprintf("%s[%zu]", path, i);
			rc = aws_codec_check(&s->member, item, sub, cause);
			free(sub);
			if (rc != 0)
				return -1;
		}
		break;
	case AWS_TYPE_MAP:
		if (!json_is_object(v))
			goto type;
		json_object_foreach(v, k, item) {
			sub = xprintf("%s.%s", path, k);
			rc = aws_codec_check(&s->value, item, sub, cause);
			free(sub);
			if (rc != 0)
				return -1;
		}
		return 0;
	case AWS_TYPE_STRING:
		if (!json_is_string(v))
			goto type;
		n = aws_utf8_len(json_string_value(v), json_string_length(v));
		break;
	case AWS_TYPE_BLOB:
		if (!json_is_string(v))
			goto type;
		return 0;
	case AWS_TYPE_INTEGER:
	case AWS_TYPE_LONG:
		if (!json_is_integer(v))
			goto type;
		if (s->has_min && json_integer_value(v) < s->min)
			goto range;
		return 0;
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		if (!json_is_number(v))
			goto type;
		if (s->has_min && json_number_value(v) < (double)s->min)
			goto range;
		return 0;
	case AWS_TYPE_BOOLEAN:
		if (!json_is_boolean(v))
			goto type;
		return 0;
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0)
			goto type;
		return 0;
	}
	if (s->has_min && (int64_t)n < s->min) {
		*cause = xprintf("%s: length %zu, less than %lld", path, n,
		    (long long)s->min);
		return -1;
	}
	return 0;
type:
	*cause = xprintf("%s: not a valid %s", *path != '\0' ? path : "input",
	    aws_type_name(s->type));
	return -1;
range:
	*cause = xprintf("%s: less than %lld", path, (long long)s->min);
	return -1;
}

void
aws_request_clear(struct aws_request *req)
{
	size_t	 i;

	free(req->path);
	free(req->host_prefix);
	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->headers);
	free(req->body);
	memset(req, 0, sizeof *req);
}

/* Expand an operation's host prefix ("{AccountId}.") from host labels. */
static int
aws_codec_host_prefix(const struct aws_op *op, json_t *params,
    struct aws_request *req, char **cause)
{
	struct aws_buf	 b;
	const char	*p, *close, *v;
	char		*name;

	memset(&b, 0, sizeof b);
	for (p = op->host_prefix; *p != '\0'; p = close + 1) {
		if (*p != '{') {
			close = p;
			aws_buf_add(&b, p, 1);
			continue;
		}
		if ((close = strchr(p, '}')) == NULL)
			break;
		name = xstrndup(p + 1, (size_t)(close - p - 1));
		v = json_string_value(json_object_get(params, name));
		if (v == NULL || *v == '\0' || strspn(v, "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(v)) {
			*cause = xprintf("host label %s must be letters, "
			    "digits, hyphens or periods", name);
			free(name);
			free(b.p);
			return -1;
		}
		free(name);
		aws_buf_str(&b, v);
	}
	req->host_prefix = aws_buf_take(&b, NULL);
	return 0;
}

/*
 * A request for an operation from its parameters in botocore's input form
 * (borrowed; NULL: none).
 */
int
aws_codec_serialise(const struct aws_op *op, json_t *params,
    struct aws_request *req, char **cause)
{
	json_t	*empty = NULL;
	int	 rc;

	memset(req, 0, sizeof *req);
	if (params == NULL)
		params = empty = json_object();
	if (op->input.shape != NULL) {
		if (aws_codec_check(&op->input, params, "", cause) != 0)
			goto fail;
	} else if (!json_is_object(params) || json_object_size(params) > 0) {
		*cause = xprintf("%s takes no parameters", op->name);
		goto fail;
	}
	if (op->host_prefix != NULL &&
	    aws_codec_host_prefix(op, params, req, cause) != 0)
		goto fail;
	switch (op->model->protocol) {
	case AWS_PROTO_QUERY:
	case AWS_PROTO_EC2:
		rc = aws_protocol_query_serialise(op, params, req, cause);
		break;
	case AWS_PROTO_JSON:
		rc = aws_protocol_json_serialise(op, params, req, cause);
		break;
	default:
		rc = aws_protocol_rest_serialise(op, params, req, cause);
		break;
	}
	if (rc != 0)
		goto fail;
	json_decref(empty);
	return 0;
fail:
	json_decref(empty);
	aws_request_clear(req);
	return -1;
}

void
aws_error_clear(struct aws_error *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	free(e->type);
	memset(e, 0, sizeof *e);
}

/* The reason phrase of a status, as Python's http.client has it. */
const char *
aws_codec_reason(long status)
{
	size_t	 i;

	for (i = 0; i < nitems(aws_reasons); i++) {
		if (aws_reasons[i].status == status)
			return aws_reasons[i].reason;
	}
	return "";
}

/*
 * The AWS error of an answer, as the protocol puts it.  Returns 0 if there
 * is an error code.  A 5xx answer with no body or an HTML one has its
 * status as the code, as botocore makes it.
 */
int
aws_codec_error(enum aws_protocol proto, const struct aws_answer *a,
    struct aws_error *e)
{
	size_t	 skip;
	int	 rc;

	memset(e, 0, sizeof *e);
	if (a->status >= 500) {
		skip = 0;
		while (skip < a->len && aws_py_space(a->body[skip]))
			skip++;
		if (skip == a->len || (a->len - skip >= 6 &&
		    memcmp(a->body + skip, "<html>", 6) == 0)) {
			e->code = xprintf("%ld", a->status);
			e->message = xstrdup(aws_codec_reason(a->status));
			goto request_id;
		}
	}
	switch (proto) {
	case AWS_PROTO_QUERY:
	case AWS_PROTO_EC2:
		rc = aws_protocol_query_error(proto == AWS_PROTO_EC2, a, e);
		break;
	case AWS_PROTO_JSON:
	case AWS_PROTO_REST_JSON:
		rc = aws_protocol_json_error(proto == AWS_PROTO_REST_JSON, a,
		    e);
		break;
	default:
		rc = aws_protocol_rest_xml_error(a, e);
		break;
	}
	if (rc != 0 && e->code != NULL && *e->code == '\0') {
		free(e->code);
		e->code = NULL;
	}
	if (rc != 0 && e->code == NULL && a->status >= 300) {
		/* No code where the protocol puts it: the status instead. */
		e->code = xprintf("%ld", a->status);
	}
request_id:
	if (e->request_id == NULL) {
		const char	*id;

		if ((id = aws_answer_header(a, "x-amzn-requestid")) == NULL)
			id = aws_answer_header(a, "x-amz-request-id");
		if (id != NULL)
			e->request_id = xstrdup(id);
	}
	return e->code != NULL ? 0 : -1;
}

/*
 * Bytes as Python's decode('utf-8', 'replace') makes them: valid UTF-8
 * kept, each bad byte U+FFFD.
 */
char *
aws_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	struct aws_buf		 out;
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, j, n;

	memset(&out, 0, sizeof out);
	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80)
			n = 1;
		else if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			n = 0;
		if (n > 1) {
			if (i + n > len)
				n = 0;
			for (j = 1; n != 0 && j < n; j++) {
				if ((p[i + j] & 0xc0) != 0x80)
					n = 0;
			}
			if (n == 3 && ((p[i] == 0xe0 && p[i + 1] < 0xa0) ||
			    (p[i] == 0xed && p[i + 1] >= 0xa0)))
				n = 0;
			if (n == 4 && ((p[i] == 0xf0 && p[i + 1] < 0x90) ||
			    (p[i] == 0xf4 && p[i + 1] >= 0x90)))
				n = 0;
		}
		if (n == 0) {
			aws_buf_add(&out, "\xef\xbf\xbd", 3);
			n = 1;
		} else
			aws_buf_add(&out, p + i, n);
	}
	return aws_buf_take(&out, outlen);
}

/* Python's urllib.parse.unquote: %XX decoded, bad UTF-8 replaced. */
static char *
aws_unquote(const char *s, size_t len, size_t *outlen)
{
	struct aws_buf	 raw;
	size_t		 i;
	char		 hex[3], *p;

	memset(&raw, 0, sizeof raw);
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = '\0';
			hex[0] = (char)strtol(hex, NULL, 16);
			aws_buf_add(&raw, hex, 1);
			i += 2;
		} else
			aws_buf_add(&raw, &s[i], 1);
	}
	p = aws_utf8_repair(raw.p != NULL ? raw.p : "", raw.len, outlen);
	free(raw.p);
	return p;
}

/*
 * IAM: a policy document (a string of shape policyDocumentType) is JSON,
 * URL-encoded; botocore's json_decode_policies decodes it, and leaves it
 * as it is when it is not JSON.
 */
static void
aws_iam_policies(json_t *doc, const struct aws_shape *s)
{
	const struct aws_member	*m;
	json_t			*v, *dec, *item;
	char			*text;
	size_t			 i, len;

	if (s->type == AWS_TYPE_LIST && json_is_array(doc)) {
		json_array_foreach(doc, i, item)
			aws_iam_policies(item, s->member.shape);
		return;
	}
	if (s->type != AWS_TYPE_STRUCTURE || !json_is_object(doc))
		return;
	for (i = 0; i < s->nmembers; i++) {
		m = &s->members[i];
		if ((v = json_object_get(doc, m->name)) == NULL)
			continue;
		if (m->ref.shape->type == AWS_TYPE_STRING &&
		    strcmp(m->ref.shape->name, "policyDocumentType") == 0) {
			if (!json_is_string(v))
				continue;
			text = aws_unquote(json_string_value(v),
			    json_string_length(v), &len);
			dec = json_loadb(text, len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, NULL);
			free(text);
			if (dec != NULL)
				json_object_set_new(doc, m->name, dec);
		} else
			aws_iam_policies(v, m->ref.shape);
	}
}

static int
aws_after_iam(const struct aws_op *op, const struct aws_answer *a,
    json_t *doc, char **cause)
{
	if (op->output.shape != NULL)
		aws_iam_policies(doc, op->output.shape);
	return 0;
}

/*
 * EC2's GetConsoleOutput: Output is base64, decoded (bad UTF-8 replaced)
 * by botocore's decode_console_output; left as it is if that fails.
 */
static int
aws_after_console_output(const struct aws_op *op, const struct aws_answer *a,
    json_t *doc, char **cause)
{
	json_t		*v;
	const char	*s;
	char		*raw, *text;
	size_t		 i, len, tlen;

	if ((v = json_object_get(doc, "Output")) == NULL || !json_is_string(v))
		return 0;
	s = json_string_value(v);
	for (i = 0; s[i] != '\0'; i++) {
		/* bytes(text, 'latin-1') */
		if ((unsigned char)s[i] > 0xc3)
			return 0;
	}
	if ((raw = aws_base64_decode(s, strlen(s), &len)) == NULL)
		return 0;
	text = aws_utf8_repair(raw, len, &tlen);
	free(raw);
	json_object_set_new(doc, "Output", json_stringn(text, tlen));
	free(text);
	return 0;
}

/*
 * S3: an Expires header is also given as it came, as ExpiresString
 * (botocore's handle_expires_header), and Expires is left out when it is
 * not a timestamp.
 */
static int
aws_after_s3_expires(const struct aws_op *op, const struct aws_answer *a,
    json_t *doc, char **cause)
{
	const struct aws_member	*m;
	const char		*v;
	struct aws_time		 t;

	if (op->output.shape == NULL ||
	    (m = aws_shape_member(op->output.shape, "Expires")) == NULL ||
	    strcmp(m->ref.shape->name, "Expires") != 0 ||
	    m->ref.name == NULL || strcmp(m->ref.name, "Expires") != 0 ||
	    (v = aws_answer_header(a, "Expires")) == NULL)
		return 0;
	if (aws_time_parse(v, strlen(v), &t) != 0)
		json_object_del(doc, "Expires");
	json_object_set_new(doc, "ExpiresString", json_string(v));
	return 0;
}

/* S3's GetBucketLocation: the root element's text (null when none). */
static int
aws_after_s3_location(const struct aws_op *op, const struct aws_answer *a,
    json_t *doc, char **cause)
{
	struct aws_xml			*x;
	const struct aws_xml_node	*root;
	const char			*text;
	size_t				 len;
	json_t				*v;

	if ((x = aws_xml_parse(a->body, a->len, cause)) == NULL)
		return -1;
	root = aws_xml_root(x);
	text = aws_xml_text(root, &len);
	v = aws_xml_has_text(root) ? json_stringn(text, len) : json_null();
	aws_xml_free(x);
	if (v == NULL) {
		*cause = xstrdup("LocationConstraint is not UTF-8");
		return -1;
	}
	json_object_set_new(doc, "LocationConstraint", v);
	return 0;
}

/*
 * What botocore's handlers do to a parsed answer (its after-call events),
 * so what the AWS CLI prints.
 */
static const struct {
	const char	*service;
	const char	*operation;	/* NULL: every one */
	int		(*fn)(const struct aws_op *,
			    const struct aws_answer *, json_t *, char **);
} aws_afters[] = {
	{ "iam", NULL, aws_after_iam },
	{ "ec2", "GetConsoleOutput", aws_after_console_output },
	{ "s3", "GetBucketLocation", aws_after_s3_location },
	{ "s3", NULL, aws_after_s3_expires },
};

/*
 * S3 may answer 200 with an error in the body (botocore's
 * _handle_200_error): an <Error> root, or XML that does not parse, is a
 * 500.  Not for answers whose body is the payload itself.  The rest-xml
 * decoder looks when this says so.
 */
static bool
aws_s3_200_error(const struct aws_op *op, const struct aws_answer *a)
{
	const struct aws_shape	*out = op->output.shape;

	if (a->status != 200 || a->len == 0 || out == NULL ||
	    strcmp(op->model->service, "s3") != 0)
		return false;
	if (out->payload != NULL &&
	    (out->payload->ref.shape->type == AWS_TYPE_STRING ||
	    out->payload->ref.shape->type == AWS_TYPE_BLOB))
		return false;
	return true;
}

/*
 * Decode an answer to an operation.  Returns 0 and the document in *doc;
 * 1 and the AWS error in *err when the answer is an error; -1 and a cause
 * when the answer cannot be decoded.
 */
int
aws_codec_decode(const struct aws_op *op, const struct aws_answer *a,
    int flags, json_t **doc, struct aws_error *err, char **cause)
{
	const struct aws_model	*m = op->model;
	struct aws_answer	 a500;
	struct aws_dec		 d;
	size_t			 i;
	int			 rc;

	*doc = NULL;
	memset(err, 0, sizeof *err);
	d.flags = flags;
	d.proto = m->protocol;
	d.s3_200 = m->protocol == AWS_PROTO_REST_XML &&
	    aws_s3_200_error(op, a);
	if (a->status >= 301) {
		aws_codec_error(m->protocol, a, err);
		return 1;
	}
	switch (m->protocol) {
	case AWS_PROTO_QUERY:
	case AWS_PROTO_EC2:
		rc = aws_protocol_query_decode(&d, op, a, doc, cause);
		break;
	case AWS_PROTO_JSON:
		rc = aws_protocol_json_decode(&d, op, a, doc, cause);
		break;
	default:
		rc = aws_protocol_rest_decode(&d, op, a, doc, cause);
		break;
	}
	if (rc == 2) {
		a500 = *a;
		a500.status = 500;
		aws_codec_error(m->protocol, &a500, err);
		return 1;
	}
	if (rc != 0)
		return -1;

	for (i = 0; i < nitems(aws_afters); i++) {
		if (strcmp(m->service, aws_afters[i].service) != 0 ||
		    (aws_afters[i].operation != NULL &&
		    strcmp(op->name, aws_afters[i].operation) != 0))
			continue;
		if (aws_afters[i].fn(op, a, *doc, cause) != 0) {
			json_decref(*doc);
			*doc = NULL;
			return -1;
		}
	}
	return 0;
}
