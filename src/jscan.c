/*
 * jscan.c: a validating JSON scanner that walks bytes without allocating.
 *
 * The envelope code reads thousands of CloudTrail records a second and keeps
 * a handful of fields of each; building a tree for every record would cost
 * more than the rest of the work together.  So the scanner validates as it
 * skips and hands back spans; only what the caller keeps is decoded.
 *
 * Skipping a value is iterative (an explicit stack of container kinds), so
 * hostile nesting costs no C stack, only the JSCAN_MAX_DEPTH limit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "jscan.h"

/* Byte classes inside a string (RFC 8259 section 7, RFC 3629 section 4). */
enum {
	SC_PLAIN = 0,	/* printable ASCII, taken as is */
	SC_QUOTE,
	SC_ESCAPE,
	SC_CONTROL,	/* 00-1f: must be escaped */
	SC_UTF8_2,	/* c2-df: one continuation byte */
	SC_UTF8_E0,	/* e0: a0-bf (no overlong forms), then one */
	SC_UTF8_3,	/* e1-ec, ee-ef: two */
	SC_UTF8_ED,	/* ed: 80-9f (no surrogates), then one */
	SC_UTF8_F0,	/* f0: 90-bf (no overlong forms), then two */
	SC_UTF8_4,	/* f1-f3: three */
	SC_UTF8_F4,	/* f4: 80-8f (nothing above U+10FFFF), then two */
	SC_INVALID,	/* 80-c1 (stray continuation, overlong lead), f5-ff */
};

static const unsigned char jscan_sclass[256] = {
	 3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,	/* 00 */
	 3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,	/* 10 */
	 0,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 20 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 30 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 40 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,	/* 50 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 60 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 70 */
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,	/* 80 */
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,	/* 90 */
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,	/* a0 */
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,	/* b0 */
	11, 11,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* c0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* d0 */
	 5,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  7,  6,  6,	/* e0 */
	 8,  9,  9,  9, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,	/* f0 */
};

/* The two bytes of a UTF-8 sequence after the lead that have limits. */
static const struct {
	unsigned char	 lo, hi;	/* range of the first continuation */
	unsigned char	 n;		/* continuation bytes in all */
} jscan_utf8[] = {
	[SC_UTF8_2] = { 0x80, 0xbf, 1 },
	[SC_UTF8_E0] = { 0xa0, 0xbf, 2 },
	[SC_UTF8_3] = { 0x80, 0xbf, 2 },
	[SC_UTF8_ED] = { 0x80, 0x9f, 2 },
	[SC_UTF8_F0] = { 0x90, 0xbf, 3 },
	[SC_UTF8_4] = { 0x80, 0xbf, 3 },
	[SC_UTF8_F4] = { 0x80, 0x8f, 3 },
};

static int
jscan_fail(struct jscan *j, size_t off, const char *why)
{
	if (j->error == NULL) {
		j->error = why;
		j->error_off = off;
	}
	return -1;
}

static inline size_t
jscan_ws(const char *p, size_t i, size_t end)
{
	while (i < end && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
	    p[i] == '\t'))
		i++;
	return i;
}

static int
jscan_hex4(const unsigned char *p, size_t i, size_t end, unsigned int *cp)
{
	unsigned int	 v = 0;
	size_t		 k;
	unsigned char	 c;

	if (end < 4 || i > end - 4)
		return -1;
	for (k = 0; k < 4; k++) {
		c = p[i + k];
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	*cp = v;
	return 0;
}

/*
 * Scan the string starting at the quote at j->pos; on success j->pos is past
 * the closing quote.
 */
static int
jscan_scan_string(struct jscan *j, bool *escaped)
{
	const unsigned char	*p = (const unsigned char *)j->buf;
	size_t			 i = j->pos + 1, end = j->end, k;
	unsigned int		 cp, lo, cls;

	*escaped = false;
	for (;;) {
		while (i < end && jscan_sclass[p[i]] == SC_PLAIN)
			i++;
		if (i >= end)
			return jscan_fail(j, end, "unterminated string");
		cls = jscan_sclass[p[i]];
		switch (cls) {
		case SC_QUOTE:
			j->pos = i + 1;
			return 0;
		case SC_ESCAPE:
			*escaped = true;
			if (i + 1 >= end)
				return jscan_fail(j, end,
				    "unterminated string");
			switch (p[i + 1]) {
			case '"': case '\\': case '/':
			case 'b': case 'f': case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u':
				break;
			default:
				return jscan_fail(j, i,
				    "invalid escape in string");
			}
			if (jscan_hex4(p, i + 2, end, &cp) == -1)
				return jscan_fail(j, i, "invalid \\u escape");
			if (cp == 0) {
				/* Decoded strings are C strings. */
				return jscan_fail(j, i,
				    "\\u0000 is not allowed");
			}
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jscan_fail(j, i, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (i + 12 > end || p[i + 6] != '\\' ||
				    p[i + 7] != 'u' ||
				    jscan_hex4(p, i + 8, end, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return jscan_fail(j, i,
					    "lone high surrogate");
				i += 6;
			}
			i += 6;
			continue;
		case SC_CONTROL:
			return jscan_fail(j, i, "control character in string");
		case SC_INVALID:
			return jscan_fail(j, i, "invalid UTF-8 in string");
		default:
			if (i + jscan_utf8[cls].n >= end ||
			    p[i + 1] < jscan_utf8[cls].lo ||
			    p[i + 1] > jscan_utf8[cls].hi)
				return jscan_fail(j, i,
				    "invalid UTF-8 in string");
			for (k = 2; k <= jscan_utf8[cls].n; k++) {
				if (p[i + k] < 0x80 || p[i + k] > 0xbf)
					return jscan_fail(j, i,
					    "invalid UTF-8 in string");
			}
			i += 1 + jscan_utf8[cls].n;
			continue;
		}
	}
}

static inline bool
jscan_digit(const char *p, size_t i, size_t end)
{
	return i < end && p[i] >= '0' && p[i] <= '9';
}

/* Scan a number (syntax only: its magnitude is the reader's business). */
static int
jscan_scan_number(struct jscan *j)
{
	const char	*p = j->buf;
	size_t		 i = j->pos, end = j->end;

	if (i < end && p[i] == '-')
		i++;
	if (!jscan_digit(p, i, end))
		return jscan_fail(j, j->pos, "invalid number");
	if (p[i] == '0') {
		i++;
		if (jscan_digit(p, i, end))
			return jscan_fail(j, j->pos, "leading zero in number");
	} else {
		while (jscan_digit(p, i, end))
			i++;
	}
	if (i < end && p[i] == '.') {
		i++;
		if (!jscan_digit(p, i, end))
			return jscan_fail(j, j->pos, "invalid number");
		while (jscan_digit(p, i, end))
			i++;
	}
	if (i < end && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < end && (p[i] == '+' || p[i] == '-'))
			i++;
		if (!jscan_digit(p, i, end))
			return jscan_fail(j, j->pos, "invalid number");
		while (jscan_digit(p, i, end))
			i++;
	}
	j->pos = i;
	return 0;
}

static int
jscan_scan_literal(struct jscan *j, const char *lit, size_t len)
{
	if (j->end - j->pos < len || memcmp(j->buf + j->pos, lit, len) != 0)
		return jscan_fail(j, j->pos, "invalid literal");
	j->pos += len;
	return 0;
}

void
jscan_init(struct jscan *j, const char *buf, size_t len)
{
	memset(j, 0, sizeof *j);
	j->buf = buf;
	j->end = len;
}

/* A scanner over one value of a document already scanned. */
void
jscan_init_value(struct jscan *j, const char *buf, const struct jscan_value *v)
{
	memset(j, 0, sizeof *j);
	j->buf = buf;
	j->pos = v->off;
	j->end = v->off + v->len;
}

/* The type of the next value, without consuming it. */
int
jscan_peek(struct jscan *j, enum jscan_type *type)
{
	if (j->error != NULL)
		return -1;
	j->pos = jscan_ws(j->buf, j->pos, j->end);
	if (j->pos >= j->end)
		return jscan_fail(j, j->pos, "unexpected end of input");
	switch (j->buf[j->pos]) {
	case '{':
		*type = JSCAN_OBJECT;
		return 0;
	case '[':
		*type = JSCAN_ARRAY;
		return 0;
	case '"':
		*type = JSCAN_STRING;
		return 0;
	case 't':
		*type = JSCAN_TRUE;
		return 0;
	case 'f':
		*type = JSCAN_FALSE;
		return 0;
	case 'n':
		*type = JSCAN_NULL;
		return 0;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		*type = JSCAN_NUMBER;
		return 0;
	}
	return jscan_fail(j, j->pos, "expected a value");
}

/*
 * Scan (validate and skip) the next value whole, and return its span.
 */
int
jscan_value(struct jscan *j, struct jscan_value *v)
{
	unsigned char	 stack[JSCAN_MAX_DEPTH];	/* 1 object, 0 array */
	const char	*p = j->buf;
	size_t		 end = j->end, start;
	int		 sp = 0;
	bool		 esc;

	if (jscan_peek(j, &v->type) == -1)
		return -1;
	v->escaped = false;
	start = j->pos;

value:
	if (j->pos >= end)
		return jscan_fail(j, j->pos, "unexpected end of input");
	switch (p[j->pos]) {
	case '{':
		if (j->depth + sp >= JSCAN_MAX_DEPTH)
			return jscan_fail(j, j->pos, "nesting too deep");
		stack[sp++] = 1;
		j->pos = jscan_ws(p, j->pos + 1, end);
		if (j->pos < end && p[j->pos] == '}') {
			j->pos++;
			sp--;
			goto after;
		}
		goto key;
	case '[':
		if (j->depth + sp >= JSCAN_MAX_DEPTH)
			return jscan_fail(j, j->pos, "nesting too deep");
		stack[sp++] = 0;
		j->pos = jscan_ws(p, j->pos + 1, end);
		if (j->pos < end && p[j->pos] == ']') {
			j->pos++;
			sp--;
			goto after;
		}
		goto value;
	case '"':
		if (jscan_scan_string(j, &esc) == -1)
			return -1;
		if (sp == 0)
			v->escaped = esc;
		goto after;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (jscan_scan_number(j) == -1)
			return -1;
		goto after;
	case 't':
		if (jscan_scan_literal(j, "true", 4) == -1)
			return -1;
		goto after;
	case 'f':
		if (jscan_scan_literal(j, "false", 5) == -1)
			return -1;
		goto after;
	case 'n':
		if (jscan_scan_literal(j, "null", 4) == -1)
			return -1;
		goto after;
	}
	return jscan_fail(j, j->pos, "expected a value");

key:
	if (j->pos >= end || p[j->pos] != '"')
		return jscan_fail(j, j->pos, "expected a string key");
	if (jscan_scan_string(j, &esc) == -1)
		return -1;
	j->pos = jscan_ws(p, j->pos, end);
	if (j->pos >= end || p[j->pos] != ':')
		return jscan_fail(j, j->pos, "expected ':'");
	j->pos = jscan_ws(p, j->pos + 1, end);
	goto value;

after:
	if (sp == 0) {
		v->off = start;
		v->len = j->pos - start;
		return 0;
	}
	j->pos = jscan_ws(p, j->pos, end);
	if (j->pos >= end)
		return jscan_fail(j, j->pos, "unexpected end of input");
	if (stack[sp - 1]) {
		if (p[j->pos] == ',') {
			j->pos = jscan_ws(p, j->pos + 1, end);
			goto key;
		}
		if (p[j->pos] == '}') {
			j->pos++;
			sp--;
			goto after;
		}
		return jscan_fail(j, j->pos, "expected ',' or '}'");
	}
	if (p[j->pos] == ',') {
		j->pos = jscan_ws(p, j->pos + 1, end);
		goto value;
	}
	if (p[j->pos] == ']') {
		j->pos++;
		sp--;
		goto after;
	}
	return jscan_fail(j, j->pos, "expected ',' or ']'");
}

/* Only whitespace may follow. */
int
jscan_end(struct jscan *j)
{
	if (j->error != NULL)
		return -1;
	j->pos = jscan_ws(j->buf, j->pos, j->end);
	if (j->pos < j->end)
		return jscan_fail(j, j->pos, "trailing characters after JSON");
	return 0;
}

/* Is there nothing but whitespace left? */
bool
jscan_at_end(struct jscan *j)
{
	j->pos = jscan_ws(j->buf, j->pos, j->end);
	return j->pos >= j->end;
}

static int
jscan_begin(struct jscan *j, struct jscan_iter *it, char open)
{
	memset(it, 0, sizeof *it);
	it->j = j;
	it->object = open == '{';
	if (j->error != NULL)
		return -1;
	j->pos = jscan_ws(j->buf, j->pos, j->end);
	if (j->pos >= j->end || j->buf[j->pos] != open) {
		return jscan_fail(j, j->pos, open == '{' ?
		    "expected an object" : "expected an array");
	}
	if (j->depth >= JSCAN_MAX_DEPTH)
		return jscan_fail(j, j->pos, "nesting too deep");
	j->depth++;
	j->pos++;
	return 0;
}

/* Enter the object at the current position. */
int
jscan_object_begin(struct jscan *j, struct jscan_iter *it)
{
	return jscan_begin(j, it, '{');
}

/*
 * Read the next member's key: 1 and the scanner positioned at the member's
 * value, which the caller must consume (jscan_value, or _begin to descend);
 * 0 at the end of the object; -1 on error.
 */
int
jscan_object_next(struct jscan_iter *it, struct jscan_value *key)
{
	struct jscan	*j = it->j;
	const char	*p = j->buf;

	if (it->done)
		return 0;
	if (j->error != NULL)
		return -1;
	j->pos = jscan_ws(p, j->pos, j->end);
	if (j->pos >= j->end)
		return jscan_fail(j, j->pos, "unexpected end of input");
	if (p[j->pos] == '}') {
		j->pos++;
		j->depth--;
		it->done = true;
		return 0;
	}
	if (it->n > 0) {
		if (p[j->pos] != ',')
			return jscan_fail(j, j->pos, "expected ',' or '}'");
		j->pos = jscan_ws(p, j->pos + 1, j->end);
	}
	if (j->pos >= j->end || p[j->pos] != '"')
		return jscan_fail(j, j->pos, "expected a string key");
	key->type = JSCAN_STRING;
	key->off = j->pos;
	if (jscan_scan_string(j, &key->escaped) == -1)
		return -1;
	key->len = j->pos - key->off;
	j->pos = jscan_ws(p, j->pos, j->end);
	if (j->pos >= j->end || p[j->pos] != ':')
		return jscan_fail(j, j->pos, "expected ':'");
	j->pos++;
	it->n++;
	return 1;
}

/* Enter the array at the current position. */
int
jscan_array_begin(struct jscan *j, struct jscan_iter *it)
{
	return jscan_begin(j, it, '[');
}

/*
 * 1 when another element follows (the caller consumes it), 0 at the end of
 * the array, -1 on error.
 */
int
jscan_array_next(struct jscan_iter *it)
{
	struct jscan	*j = it->j;
	const char	*p = j->buf;

	if (it->done)
		return 0;
	if (j->error != NULL)
		return -1;
	j->pos = jscan_ws(p, j->pos, j->end);
	if (j->pos >= j->end)
		return jscan_fail(j, j->pos, "unexpected end of input");
	if (p[j->pos] == ']') {
		j->pos++;
		j->depth--;
		it->done = true;
		return 0;
	}
	if (it->n > 0) {
		if (p[j->pos] != ',')
			return jscan_fail(j, j->pos, "expected ',' or ']'");
		j->pos++;
	}
	it->n++;
	return 1;
}

/* "at byte N: reason", for the caller to free. */
char *
jscan_error(const struct jscan *j)
{
	if (j->error == NULL)
		return xstrdup("no error");
	return xprintf("at byte %zu: %s", j->error_off, j->error);
}

/* Is buf one well-formed JSON value (surrounded by whitespace only)? */
int
jscan_validate(const char *buf, size_t len, char **cause)
{
	struct jscan		 j;
	struct jscan_value	 v;
	char			*e;

	jscan_init(&j, buf, len);
	if (jscan_value(&j, &v) == 0 && jscan_end(&j) == 0)
		return 0;
	if (cause != NULL) {
		e = jscan_error(&j);
		*cause = xprintf("malformed JSON %s", e);
		free(e);
	}
	return -1;
}

/*
 * Find member name of a scanned object: 1 and its value, 0 if absent, -1 if
 * obj is not an object.  The last of duplicate keys wins, as in jansson.
 */
int
jscan_member(const char *buf, const struct jscan_value *obj, const char *name,
    struct jscan_value *out)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 key, v;
	int			 r, found = 0;

	if (obj->type != JSCAN_OBJECT)
		return -1;
	jscan_init_value(&j, buf, obj);
	if (jscan_object_begin(&j, &it) == -1)
		return -1;
	while ((r = jscan_object_next(&it, &key)) == 1) {
		if (jscan_value(&j, &v) == -1)
			return -1;
		if (jscan_string_eq(buf, &key, name)) {
			*out = v;
			found = 1;
		}
	}
	return r == -1 ? -1 : found;
}

static size_t
jscan_utf8_len(unsigned int cp)
{
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	if (cp < 0x10000)
		return 3;
	return 4;
}

/*
 * Decode a scanned string into out (size bytes, NUL-terminated) and set
 * *lenp to its length; -1 if v is not a string or out is too small.  The
 * decoded length is never more than v->len - 2.
 */
int
jscan_string(const char *buf, const struct jscan_value *v, char *out,
    size_t size, size_t *lenp)
{
	const unsigned char	*p, *e;
	unsigned int		 cp, lo;
	size_t			 o = 0, n;
	char			 c;

	if (v->type != JSCAN_STRING || v->len < 2 || size == 0)
		return -1;
	p = (const unsigned char *)buf + v->off + 1;
	e = (const unsigned char *)buf + v->off + v->len - 1;
	if (!v->escaped) {
		n = (size_t)(e - p);
		if (n >= size)
			return -1;
		memcpy(out, p, n);
		out[n] = '\0';
		if (lenp != NULL)
			*lenp = n;
		return 0;
	}
	while (p < e) {
		if (*p != '\\') {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)*p++;
			continue;
		}
		if (e - p < 2)
			return -1;
		switch (p[1]) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (e - p < 6 || jscan_hex4(p, 2, 6, &cp) == -1)
				return -1;
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    jscan_hex4(p, 2, 6, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
				return -1;
			if (o + jscan_utf8_len(cp) >= size)
				return -1;
			o += utf8_put(out + o, cp);
			continue;
		default:
			c = (char)p[1];	/* '"', '\\' and '/' */
			break;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = c;
		p += 2;
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	if (lenp != NULL)
		*lenp = o;
	return 0;
}

/* A scanned string, decoded and allocated; NULL if v is not a string. */
char *
jscan_strdup(const char *buf, const struct jscan_value *v)
{
	char	*s;

	if (v->type != JSCAN_STRING || v->len < 2)
		return NULL;
	s = xmalloc(v->len - 1);
	if (jscan_string(buf, v, s, v->len - 1, NULL) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * A string decoded, or the text of a number or boolean (some AWS fields are
 * either: configurationStateId); NULL for null, objects and arrays.
 */
char *
jscan_scalar_dup(const char *buf, const struct jscan_value *v)
{
	switch (v->type) {
	case JSCAN_STRING:
		return jscan_strdup(buf, v);
	case JSCAN_NUMBER:
	case JSCAN_TRUE:
	case JSCAN_FALSE:
		return xstrndup(buf + v->off, v->len);
	default:
		return NULL;
	}
}

/* Is v the string s? */
bool
jscan_string_eq(const char *buf, const struct jscan_value *v, const char *s)
{
	char	 small[256], *tmp;
	size_t	 n, len;
	bool	 eq;

	if (v->type != JSCAN_STRING || v->len < 2)
		return false;
	n = strlen(s);
	if (!v->escaped)
		return v->len - 2 == n && memcmp(buf + v->off + 1, s, n) == 0;
	/* Escapes only ever shrink a string. */
	if (n > v->len - 2)
		return false;
	tmp = v->len - 1 <= sizeof small ? small : xmalloc(v->len - 1);
	eq = jscan_string(buf, v, tmp, v->len - 1, &len) == 0 && len == n &&
	    memcmp(tmp, s, n) == 0;
	if (tmp != small)
		free(tmp);
	return eq;
}

/* A number that is an integer within int64_t. */
int
jscan_int64(const char *buf, const struct jscan_value *v, int64_t *out)
{
	const char	*p = buf + v->off, *e = buf + v->off + v->len;
	bool		 neg = false;
	uint64_t	 n = 0, lim;

	if (v->type != JSCAN_NUMBER || v->len == 0)
		return -1;
	if (*p == '-') {
		neg = true;
		p++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (p == e)
		return -1;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (n > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (neg)
		*out = n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n;
	else
		*out = (int64_t)n;
	return 0;
}

const char *
jscan_type_name(enum jscan_type type)
{
	switch (type) {
	case JSCAN_NONE:
		return "nothing";
	case JSCAN_OBJECT:
		return "object";
	case JSCAN_ARRAY:
		return "array";
	case JSCAN_STRING:
		return "string";
	case JSCAN_NUMBER:
		return "number";
	case JSCAN_TRUE:
	case JSCAN_FALSE:
		return "boolean";
	case JSCAN_NULL:
		return "null";
	}
	return "unknown";
}
