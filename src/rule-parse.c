/*
 * rule-parse.c: a rule expression's text into a syntax tree.
 *
 * Expressions live in YAML scalars (usually a "condition: |" block), and a
 * scalar's value is not its source: indentation, line folding, quotes and
 * escapes are gone.  So that a message points at the right line and column
 * of the file, every byte of the value is mapped back to the source by
 * walking both side by side; if they cannot be matched (a form this code
 * does not know), every byte maps to the scalar's start, which is never
 * wrong, only less precise.
 *
 * The grammar, lowest precedence first:
 *
 *	expr	:= and ("or" and)*
 *	and	:= not ("and" not)*
 *	not	:= "not" not | cmp
 *	cmp	:= unary [cmpop unary]
 *	cmpop	:= == != < <= > >= in "not in" contains startswith endswith
 *		   matches
 *	unary	:= "-" unary | postfix
 *	postfix	:= primary step*	(after a name, $, @ or a call)
 *	step	:= "." name | "." string | "[" integer "]" | "[*]"
 *		 | "[" string "]" | "[?" expr "]"
 *	primary	:= number | duration | string | true | false | null
 *		 | "[" constant, ... "]" | "(" expr ")" | @name | @ | $
 *		 | name | name "(" [arg ("," arg)*] ")"
 *	arg	:= name "=>" expr | expr
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "rule-int.h"

enum tok {
	T_EOF,
	T_IDENT,
	T_STR,
	T_NUM,
	T_DUR,
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_COMMA,
	T_DOT,
	T_DOLLAR,
	T_AT,
	T_LISTREF,
	T_ARROW,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_MINUS,
	T_STAR,
	T_QUEST,
	T_AND,
	T_OR,
	T_NOT,
	T_IN,
	T_MATCHES,
	T_CONTAINS,
	T_STARTSWITH,
	T_ENDSWITH,
	T_TRUE,
	T_FALSE,
	T_NULL,
};

static const struct {
	const char	*word;
	enum tok	 tok;
} keywords[] = {
	{ "and", T_AND },
	{ "or", T_OR },
	{ "not", T_NOT },
	{ "in", T_IN },
	{ "matches", T_MATCHES },
	{ "contains", T_CONTAINS },
	{ "startswith", T_STARTSWITH },
	{ "endswith", T_ENDSWITH },
	{ "true", T_TRUE },
	{ "false", T_FALSE },
	{ "null", T_NULL },
};

static const struct {
	char		 c;
	enum tok	 tok;
} punct[] = {
	{ '(', T_LP },
	{ ')', T_RP },
	{ '[', T_LB },
	{ ']', T_RB },
	{ ',', T_COMMA },
	{ '.', T_DOT },
	{ '$', T_DOLLAR },
	{ '@', T_AT },
	{ '-', T_MINUS },
	{ '*', T_STAR },
	{ '?', T_QUEST },
};

struct token {
	enum tok	 kind;
	size_t		 off;
	size_t		 end;
	char		*sval;		/* T_IDENT, T_STR, T_LISTREF */
	json_t		*num;		/* T_NUM */
	int64_t		 ms;		/* T_DUR */
};

struct parser {
	const struct rsrc	*src;
	struct diags		*diags;
	size_t			 pos;
	struct token		 tok;
	bool			 failed;
	int			 depth;
};

/* Source positions. */

static bool
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A YAML double-quoted escape at s (s[0] is the backslash): what it stands
 * for in out, its length in the source in *used.  Returns the number of
 * bytes in out, 0 if it is not an escape this code knows.
 */
static size_t
yaml_escape(const char *s, size_t len, char *out, size_t *used)
{
	static const char	 simple[] = "0\0a\ab\bt\tn\nv\vf\fr\re\033 "
	    " \"\"//\\\\";
	unsigned long		 cp = 0;
	size_t			 i, digits;
	int			 c;

	if (len < 2)
		return 0;
	c = (unsigned char)s[1];
	if (c == '\t') {
		out[0] = '\t';
		*used = 2;
		return 1;
	}
	for (i = 0; i + 1 < sizeof simple; i += 2) {
		if (simple[i] == c) {
			out[0] = simple[i + 1];
			*used = 2;
			return 1;
		}
	}
	switch (c) {
	case 'N':
		cp = 0x85;
		break;
	case '_':
		cp = 0xa0;
		break;
	case 'L':
		cp = 0x2028;
		break;
	case 'P':
		cp = 0x2029;
		break;
	case 'x':
	case 'u':
	case 'U':
		digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (len < 2 + digits)
			return 0;
		for (i = 0; i < digits; i++) {
			c = (unsigned char)s[2 + i];
			if (!isxdigit(c))
				return 0;
			cp = cp * 16 + (unsigned long)(isdigit(c) ? c - '0' :
			    (tolower(c) - 'a' + 10));
		}
		*used = 2 + digits;
		return utf8_put(out, cp);
	default:
		return 0;
	}
	*used = 2;
	return utf8_put(out, cp);
}

/*
 * Match the scalar's value against its source, from offset s: map[i] is
 * the source offset of value byte i.  False when they do not match.
 */
static bool
rsrc_align(const char *buf, size_t buflen, size_t s, yaml_scalar_style_t style,
    const char *text, size_t len, size_t *map)
{
	char	 out[8];
	size_t	 i = 0, j, n, used;
	int	 v;

	while (i < len) {
		v = (unsigned char)text[i];
		if (style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && s < buflen &&
		    buf[s] == '\\') {
			if (s + 1 < buflen &&
			    (buf[s + 1] == '\n' || buf[s + 1] == '\r')) {
				/* An escaped line break joins the lines. */
				s += 2;
				if (buf[s - 1] == '\r' && s < buflen &&
				    buf[s] == '\n')
					s++;
				while (s < buflen &&
				    (buf[s] == ' ' || buf[s] == '\t'))
					s++;
				continue;
			}
			n = yaml_escape(buf + s, buflen - s, out, &used);
			if (n == 0 || i + n > len ||
			    memcmp(text + i, out, n) != 0)
				return false;
			for (j = 0; j < n; j++)
				map[i + j] = s;
			i += n;
			s += used;
			continue;
		}
		if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE && v == '\'' &&
		    s + 1 < buflen && buf[s] == '\'' && buf[s + 1] == '\'') {
			map[i++] = s;	/* '' is one quote */
			s += 2;
			continue;
		}
		if (is_ws(v)) {
			/* Folding turns breaks into spaces and back. */
			if (s >= buflen || !is_ws((unsigned char)buf[s]))
				return false;
			map[i++] = s++;
			continue;
		}
		while (s < buflen && (unsigned char)buf[s] != v &&
		    is_ws((unsigned char)buf[s]))
			s++;
		if (s >= buflen || (unsigned char)buf[s] != v)
			return false;
		map[i++] = s++;
	}
	map[len] = s;
	return true;
}

/* The byte offset of a libyaml mark (line and column count characters). */
static size_t
mark_offset(const char *buf, size_t buflen, const yaml_mark_t *m)
{
	size_t	 s = 0, line = 0, col = 0;

	while (s < buflen && line < m->line) {
		if (buf[s++] == '\n')
			line++;
	}
	while (s < buflen && col < m->column && buf[s] != '\n') {
		s++;
		while (s < buflen && ((unsigned char)buf[s] & 0xc0) == 0x80)
			s++;
		col++;
	}
	return s;
}

static struct rsrc *
rsrc_alloc(const char *file, const char *text, size_t len)
{
	struct rsrc	*rs;

	rs = xcalloc(1, sizeof *rs);
	rs->file = file != NULL ? xstrdup(file) : NULL;
	rs->text = xmalloc(len + 1);
	memcpy(rs->text, text, len);
	rs->text[len] = '\0';
	rs->len = len;
	rs->line = xcalloc(len + 1, sizeof *rs->line);
	rs->col = xcalloc(len + 1, sizeof *rs->col);
	return rs;
}

/*
 * The expression in a YAML scalar node of a file whose text is buf, with
 * every byte mapped to its line and column in the file.
 */
struct rsrc *
rsrc_new(const char *file, const char *buf, size_t buflen,
    const yaml_node_t *n)
{
	struct rsrc		*rs;
	yaml_scalar_style_t	 style = n->data.scalar.style;
	size_t			*map, s, i, at, line, col;

	rs = rsrc_alloc(file, (const char *)n->data.scalar.value,
	    n->data.scalar.length);
	map = xcalloc(rs->len + 1, sizeof *map);
	s = mark_offset(buf, buflen, &n->start_mark);
	if (style == YAML_LITERAL_SCALAR_STYLE ||
	    style == YAML_FOLDED_SCALAR_STYLE) {
		while (s < buflen && buf[s] != '\n')
			s++;	/* the header: indicators and a comment */
		if (s < buflen)
			s++;
	} else if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		s++;
	if (!rsrc_align(buf, buflen, s, style, rs->text, rs->len, map)) {
		for (i = 0; i <= rs->len; i++) {
			rs->line[i] = (int)n->start_mark.line + 1;
			rs->col[i] = (int)n->start_mark.column + 1;
		}
		free(map);
		return rs;
	}
	/* Offsets to lines and columns (characters), in one walk. */
	at = mark_offset(buf, buflen, &n->start_mark);
	line = n->start_mark.line + 1;
	col = n->start_mark.column + 1;
	for (i = 0; i <= rs->len; i++) {
		while (at < map[i] && at < buflen) {
			if (buf[at] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)buf[at] & 0xc0) != 0x80)
				col++;
			at++;
		}
		rs->line[i] = (int)line;
		rs->col[i] = (int)col;
	}
	free(map);
	return rs;
}

void
rsrc_free(struct rsrc *rs)
{
	if (rs == NULL)
		return;
	free(rs->file);
	free(rs->text);
	free(rs->line);
	free(rs->col);
	free(rs);
}

void
rsrc_pos(const struct rsrc *rs, size_t off, int *line, int *col)
{
	if (off > rs->len)
		off = rs->len;
	*line = rs->line[off];
	*col = rs->col[off];
}

void
rsrc_error(struct diags *d, const struct rsrc *rs, size_t off,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 line, col;

	rsrc_pos(rs, off, &line, &col);
	va_start(ap, fmt);
	diag_addv(d, rs->file, line, col, fmt, ap);
	va_end(ap);
}

/* Syntax trees. */

struct rnode *
rnode_new(enum rkind kind, size_t off)
{
	struct rnode	*n;

	n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->off = off;
	n->slot = -1;
	return n;
}

void
rnode_free(struct rnode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	rnode_free(n->a);
	rnode_free(n->b);
	rnode_free(n->call);
	rnode_free(n->body);
	if (n->kind != RN_LIST)
		json_decref(n->lit);
	if (n->re != NULL) {
		regfree(n->re);
		free(n->re);
	}
	free(n->name);
	for (i = 0; i < n->nsteps; i++) {
		free(n->steps[i].key);
		rnode_free(n->steps[i].filter);
	}
	free(n->steps);
	for (i = 0; i < n->nargs; i++)
		rnode_free(n->args[i]);
	free(n->args);
	free(n);
}

static bool
is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	}
	return true;
}

/* A path's steps as text; filters are [*] (what they may select). */
char *
rule_path_text(const struct rstep *steps, size_t n)
{
	char	*s = xstrdup(""), *t, *q;
	size_t	 i;
	json_t	*js;

	for (i = 0; i < n; i++) {
		switch (steps[i].kind) {
		case RS_FIELD:
			if (is_ident(steps[i].key))
				t = xprintf("%s%s%s", s, *s != '\0' ? "." : "",
				    steps[i].key);
			else {
				js = json_string(steps[i].key);
				q = json_dumps(js, JSON_ENCODE_ANY);
				t = xprintf("%s[%s]", s,
				    q != NULL ? q : "\"\"");
				free(q);
				json_decref(js);
			}
			break;
		case RS_INDEX:
			t = xprintf("%s[%ld]", s, steps[i].index);
			break;
		default:
			t = xprintf("%s[*]", s);
			break;
		}
		free(s);
		s = t;
	}
	return s;
}

/* The lexer. */

static void
token_clear(struct token *t)
{
	free(t->sval);
	json_decref(t->num);
	memset(t, 0, sizeof *t);
}

static void
perror_at(struct parser *p, size_t off, const char *fmt, ...)
    VIGIL_PRINTFLIKE(3, 4);

static void
perror_at(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list	 ap;
	int	 line, col;

	if (p->failed)
		return;
	p->failed = true;
	rsrc_pos(p->src, off, &line, &col);
	va_start(ap, fmt);
	diag_addv(p->diags, p->src->file, line, col, fmt, ap);
	va_end(ap);
}

/* The token's text, shortened, for messages. */
static char *
token_text(const struct parser *p, const struct token *t)
{
	size_t	 len = t->end - t->off;

	if (t->kind == T_EOF)
		return xstrdup("end of expression");
	if (len > 32)
		return xprintf("'%.32s...'", p->src->text + t->off);
	return xprintf("'%.*s'", (int)len, p->src->text + t->off);
}

static int
lex_string(struct parser *p, struct token *t)
{
	const char	*text = p->src->text;
	char		 quote = text[p->pos], out[4];
	char		*buf;
	size_t		 len = 0, size, n;
	unsigned long	 cp;
	int		 i, c;

	size = 16;
	buf = xmalloc(size);
	p->pos++;
	for (;;) {
		if (p->pos >= p->src->len) {
			free(buf);
			perror_at(p, t->off, "unterminated string");
			return -1;
		}
		c = (unsigned char)text[p->pos];
		n = 1;
		if (c == quote) {
			p->pos++;
			break;
		}
		if (c == '\\') {
			c = (unsigned char)text[p->pos + 1];
			switch (c) {
			case '\\':
			case '"':
			case '\'':
			case '/':
				out[0] = (char)c;
				break;
			case 'n':
				out[0] = '\n';
				break;
			case 't':
				out[0] = '\t';
				break;
			case 'r':
				out[0] = '\r';
				break;
			case 'u':
				cp = 0;
				for (i = 0; i < 4; i++) {
					c = (unsigned char)text[p->pos + 2 + i];
					if (!isxdigit(c)) {
						free(buf);
						perror_at(p, p->pos, "\\u "
						    "needs four hex digits");
						return -1;
					}
					cp = cp * 16 + (unsigned long)
					    (isdigit(c) ? c - '0' :
					    tolower(c) - 'a' + 10);
				}
				if (cp == 0) {
					free(buf);
					perror_at(p, p->pos,
					    "strings cannot hold \\u0000");
					return -1;
				}
				n = utf8_put(out, cp);
				p->pos += 4;
				break;
			default:
				free(buf);
				perror_at(p, p->pos, "unknown escape '\\%c' "
				    "(use \\\\, \\\", \\', \\n, \\t, \\r or "
				    "\\uXXXX)",
				    c >= 0x20 && c < 0x7f ? c : '?');
				return -1;
			}
			p->pos += 2;
		} else {
			out[0] = (char)c;
			p->pos++;
		}
		if (len + n + 1 > size) {
			size *= 2;
			buf = xrealloc(buf, size);
		}
		memcpy(buf + len, out, n);
		len += n;
	}
	buf[len] = '\0';
	t->kind = T_STR;
	t->sval = buf;
	return 0;
}

static int
lex_number(struct parser *p, struct token *t)
{
	const char	*text = p->src->text, *why;
	char		*s, *end;
	size_t		 start = p->pos;
	bool		 frac = false;
	long long	 v;

	while (isdigit((unsigned char)text[p->pos]))
		p->pos++;
	if (isalpha((unsigned char)text[p->pos])) {
		/* A duration: 90d, 24h, 1h30m, 500ms. */
		while (isalnum((unsigned char)text[p->pos]))
			p->pos++;
		s = xstrndup(text + start, p->pos - start);
		if (parse_duration(s, &t->ms, &why) != 0) {
			perror_at(p, start, "bad duration '%s': %s", s, why);
			free(s);
			return -1;
		}
		free(s);
		t->kind = T_DUR;
		return 0;
	}
	if (text[p->pos] == '.' && isdigit((unsigned char)text[p->pos + 1])) {
		frac = true;
		p->pos++;
		while (isdigit((unsigned char)text[p->pos]))
			p->pos++;
		if (isalpha((unsigned char)text[p->pos])) {
			perror_at(p, start, "bad duration '%.*s': durations "
			    "are whole numbers of a unit (90m, not 1.5h)",
			    (int)(p->pos - start + 1), text + start);
			return -1;
		}
	}
	s = xstrndup(text + start, p->pos - start);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!frac && *end == '\0' && errno == 0)
		t->num = json_integer(v);
	else
		t->num = json_real(strtod(s, NULL));
	free(s);
	t->kind = T_NUM;
	return 0;
}

/* Read the next token into t.  Returns 0, or -1 after an error. */
static int
lex(struct parser *p, struct token *t)
{
	const char	*text = p->src->text;
	size_t		 i, start;
	int		 c, c2;

	memset(t, 0, sizeof *t);
	for (;;) {
		while (p->pos < p->src->len && is_ws(text[p->pos]))
			p->pos++;
		if (p->pos < p->src->len && text[p->pos] == '#') {
			while (p->pos < p->src->len && text[p->pos] != '\n')
				p->pos++;
			continue;
		}
		break;
	}
	t->off = p->pos;
	if (p->pos >= p->src->len) {
		/* The end is where the text ends, not its last newline. */
		while (t->off > 0 && is_ws(text[t->off - 1]))
			t->off--;
		t->kind = T_EOF;
		t->end = t->off;
		return 0;
	}
	c = (unsigned char)text[p->pos];
	c2 = p->pos + 1 < p->src->len ? (unsigned char)text[p->pos + 1] : 0;

	if (isalpha(c) || c == '_') {
		start = p->pos;
		while (isalnum((unsigned char)text[p->pos]) ||
		    text[p->pos] == '_')
			p->pos++;
		t->sval = xstrndup(text + start, p->pos - start);
		t->kind = T_IDENT;
		for (i = 0; i < nitems(keywords); i++) {
			if (strcmp(t->sval, keywords[i].word) == 0) {
				t->kind = keywords[i].tok;
				break;
			}
		}
		t->end = p->pos;
		return 0;
	}
	if (isdigit(c)) {
		if (lex_number(p, t) != 0)
			return -1;
		t->end = p->pos;
		return 0;
	}
	if (c == '"' || c == '\'') {
		if (lex_string(p, t) != 0)
			return -1;
		t->end = p->pos;
		return 0;
	}
	if (c == '@' && (isalpha(c2) || c2 == '_')) {
		start = ++p->pos;
		while (isalnum((unsigned char)text[p->pos]) ||
		    text[p->pos] == '_')
			p->pos++;
		t->sval = xstrndup(text + start, p->pos - start);
		t->kind = T_LISTREF;
		t->end = p->pos;
		return 0;
	}

	p->pos++;
	for (i = 0; i < nitems(punct); i++) {
		if (punct[i].c == c) {
			t->kind = punct[i].tok;
			t->end = p->pos;
			return 0;
		}
	}
	switch (c) {
	case '=':
		if (c2 == '=') {
			t->kind = T_EQ;
			p->pos++;
		} else if (c2 == '>') {
			t->kind = T_ARROW;
			p->pos++;
		} else {
			perror_at(p, t->off, "'=' is not an operator: "
			    "compare with '=='");
			return -1;
		}
		break;
	case '!':
		if (c2 != '=') {
			perror_at(p, t->off, "'!' is not an operator: "
			    "use 'not'");
			return -1;
		}
		t->kind = T_NE;
		p->pos++;
		break;
	case '<':
		t->kind = c2 == '=' ? T_LE : T_LT;
		p->pos += c2 == '=';
		break;
	case '>':
		t->kind = c2 == '=' ? T_GE : T_GT;
		p->pos += c2 == '=';
		break;
	case '&':
		perror_at(p, t->off, "'&' is not an operator: use 'and'");
		return -1;
	case '|':
		perror_at(p, t->off, "'|' is not an operator: use 'or'");
		return -1;
	default:
		if (c >= 0x20 && c < 0x7f)
			perror_at(p, t->off, "unexpected character '%c'", c);
		else
			perror_at(p, t->off, "unexpected character (byte "
			    "0x%02x)", c);
		return -1;
	}
	t->end = p->pos;
	return 0;
}

/* Move to the next token. */
static void
advance(struct parser *p)
{
	token_clear(&p->tok);
	if (p->failed) {
		p->tok.kind = T_EOF;
		p->tok.off = p->tok.end = p->src->len;
		return;
	}
	if (lex(p, &p->tok) != 0) {
		token_clear(&p->tok);
		p->tok.kind = T_EOF;
		p->tok.off = p->tok.end = p->src->len;
	}
}

/* The kind of the token after the current one. */
static enum tok
peek(struct parser *p)
{
	struct parser	 q = *p;
	struct token	 t;
	struct diags	 none = { NULL, 0 };
	enum tok	 kind;

	q.diags = &none;
	if (lex(&q, &t) != 0)
		kind = T_EOF;
	else
		kind = t.kind;
	token_clear(&t);
	diag_clear(&none);
	return kind;
}

static bool
expect(struct parser *p, enum tok kind, const char *what)
{
	char	*s;

	if (p->tok.kind == kind) {
		advance(p);
		return true;
	}
	s = token_text(p, &p->tok);
	perror_at(p, p->tok.off, "expected %s, got %s", what, s);
	free(s);
	return false;
}

static struct rnode	*p_expr(struct parser *);

static bool
is_cmp_token(enum tok k)
{
	switch (k) {
	case T_EQ:
	case T_NE:
	case T_LT:
	case T_LE:
	case T_GT:
	case T_GE:
	case T_IN:
	case T_MATCHES:
	case T_CONTAINS:
	case T_STARTSWITH:
	case T_ENDSWITH:
		return true;
	default:
		return false;
	}
}

/* A field name after '.': a name, a keyword used as one, or a string. */
static char *
p_field_name(struct parser *p)
{
	char	*s, *t;

	if (p->tok.sval != NULL && p->tok.kind != T_LISTREF) {
		s = p->tok.sval;
		p->tok.sval = NULL;
		advance(p);
		return s;
	}
	switch (p->tok.kind) {
	case T_TRUE:
	case T_FALSE:
	case T_NULL:
		s = xstrndup(p->src->text + p->tok.off,
		    p->tok.end - p->tok.off);
		advance(p);
		return s;
	default:
		t = token_text(p, &p->tok);
		perror_at(p, p->tok.off, "expected a field name after '.', "
		    "got %s", t);
		free(t);
		return NULL;
	}
}

static bool
p_steps(struct parser *p, struct rnode *n)
{
	struct rstep	 st;
	bool		 neg;
	char		*t;

	for (;;) {
		memset(&st, 0, sizeof st);
		st.off = p->tok.off;
		st.slot = -1;
		if (p->tok.kind == T_DOT) {
			advance(p);
			st.kind = RS_FIELD;
			if ((st.key = p_field_name(p)) == NULL)
				return false;
		} else if (p->tok.kind == T_LB) {
			advance(p);
			switch (p->tok.kind) {
			case T_STAR:
				st.kind = RS_ALL;
				advance(p);
				break;
			case T_QUEST:
				st.kind = RS_FILTER;
				advance(p);
				if ((st.filter = p_expr(p)) == NULL)
					return false;
				break;
			case T_STR:
				st.kind = RS_FIELD;
				st.key = p->tok.sval;
				p->tok.sval = NULL;
				advance(p);
				break;
			case T_MINUS:
			case T_NUM:
				neg = p->tok.kind == T_MINUS;
				if (neg)
					advance(p);
				if (p->tok.kind != T_NUM ||
				    !json_is_integer(p->tok.num)) {
					t = token_text(p, &p->tok);
					perror_at(p, p->tok.off, "expected an "
					    "index, got %s", t);
					free(t);
					return false;
				}
				st.kind = RS_INDEX;
				st.index = (long)json_integer_value(p->tok.num);
				if (neg)
					st.index = -st.index;
				advance(p);
				break;
			default:
				t = token_text(p, &p->tok);
				perror_at(p, p->tok.off, "expected [*], "
				    "[?...], an index or a quoted key after "
				    "'[', got %s", t);
				free(t);
				return false;
			}
			if (!expect(p, T_RB, "']'")) {
				rnode_free(st.filter);
				free(st.key);
				return false;
			}
		} else
			return true;
		n->steps = xreallocarray(n->steps, n->nsteps + 1,
		    sizeof *n->steps);
		n->steps[n->nsteps++] = st;
	}
}

static struct rnode *
p_call(struct parser *p, char *name, size_t off)
{
	struct rnode	*n, *a;
	char		*var;
	size_t		 aoff;

	n = rnode_new(RN_CALL, off);
	n->name = name;
	advance(p);		/* ( */
	if (p->tok.kind == T_RP) {
		advance(p);
		return n;
	}
	for (;;) {
		aoff = p->tok.off;
		if (p->tok.kind == T_IDENT && peek(p) == T_ARROW) {
			var = p->tok.sval;
			p->tok.sval = NULL;
			advance(p);
			advance(p);	/* => */
			a = rnode_new(RN_LAMBDA, aoff);
			a->name = var;
			if ((a->body = p_expr(p)) == NULL) {
				rnode_free(a);
				rnode_free(n);
				return NULL;
			}
		} else if ((a = p_expr(p)) == NULL) {
			rnode_free(n);
			return NULL;
		}
		n->args = xreallocarray(n->args, n->nargs + 1,
		    sizeof *n->args);
		n->args[n->nargs++] = a;
		if (n->nargs > RULE_MAX_ARGS) {
			perror_at(p, aoff, "too many arguments (at most %d)",
			    RULE_MAX_ARGS);
			rnode_free(n);
			return NULL;
		}
		if (p->tok.kind == T_COMMA) {
			advance(p);
			continue;
		}
		if (!expect(p, T_RP, "',' or ')'")) {
			rnode_free(n);
			return NULL;
		}
		return n;
	}
}

static struct rnode *
p_list(struct parser *p)
{
	struct rnode	*n;
	json_t		*v;
	bool		 neg;
	char		*t;

	n = rnode_new(RN_LIT, p->tok.off);
	n->lit = json_array();
	advance(p);		/* [ */
	if (p->tok.kind == T_RB) {
		advance(p);
		return n;
	}
	for (;;) {
		neg = false;
		if (p->tok.kind == T_MINUS) {
			neg = true;
			advance(p);
			if (p->tok.kind != T_NUM) {
				t = token_text(p, &p->tok);
				perror_at(p, p->tok.off, "expected a number, "
				    "got %s", t);
				free(t);
				rnode_free(n);
				return NULL;
			}
		}
		switch (p->tok.kind) {
		case T_NUM:
			if (json_is_integer(p->tok.num))
				v = json_integer((neg ? -1 : 1) *
				    json_integer_value(p->tok.num));
			else
				v = json_real((neg ? -1 : 1) *
				    json_real_value(p->tok.num));
			break;
		case T_STR:
			v = json_string(p->tok.sval);
			break;
		case T_TRUE:
			v = json_true();
			break;
		case T_FALSE:
			v = json_false();
			break;
		case T_NULL:
			v = json_null();
			break;
		default:
			t = token_text(p, &p->tok);
			perror_at(p, p->tok.off, "a list holds constants "
			    "(strings, numbers, true, false, null), not %s", t);
			free(t);
			rnode_free(n);
			return NULL;
		}
		json_array_append_new(n->lit, v);
		advance(p);
		if (p->tok.kind == T_COMMA) {
			advance(p);
			continue;
		}
		if (!expect(p, T_RB, "',' or ']'")) {
			rnode_free(n);
			return NULL;
		}
		return n;
	}
}

static struct rnode *
p_primary(struct parser *p)
{
	struct rnode	*n, *c;
	size_t		 off = p->tok.off;
	char		*t, *name;

	switch (p->tok.kind) {
	case T_NUM:
		n = rnode_new(RN_LIT, off);
		n->lit = p->tok.num;
		p->tok.num = NULL;
		advance(p);
		return n;
	case T_DUR:
		n = rnode_new(RN_DUR, off);
		n->ms = p->tok.ms;
		advance(p);
		return n;
	case T_STR:
		n = rnode_new(RN_LIT, off);
		n->lit = json_string(p->tok.sval);
		advance(p);
		return n;
	case T_TRUE:
	case T_FALSE:
	case T_NULL:
		n = rnode_new(RN_LIT, off);
		n->lit = p->tok.kind == T_TRUE ? json_true() :
		    p->tok.kind == T_FALSE ? json_false() : json_null();
		advance(p);
		return n;
	case T_LB:
		return p_list(p);
	case T_LP:
		advance(p);
		if ((n = p_expr(p)) == NULL)
			return NULL;
		if (!expect(p, T_RP, "')'")) {
			rnode_free(n);
			return NULL;
		}
		return n;
	case T_LISTREF:
		n = rnode_new(RN_LIST, off);
		n->name = p->tok.sval;
		p->tok.sval = NULL;
		advance(p);
		return n;
	case T_AT:
	case T_DOLLAR:
		n = rnode_new(RN_PATH, off);
		n->root = p->tok.kind == T_AT ? RR_ELEM : RR_DOC;
		advance(p);
		break;
	case T_MATCHES:
	case T_CONTAINS:
	case T_STARTSWITH:
	case T_ENDSWITH:
		if (peek(p) != T_LP)
			goto bad;
		/* FALLTHROUGH */
	case T_IDENT:
		name = p->tok.sval;
		p->tok.sval = NULL;
		advance(p);
		if (p->tok.kind == T_LP) {
			if ((c = p_call(p, name, off)) == NULL)
				return NULL;
			if (p->tok.kind != T_DOT && p->tok.kind != T_LB)
				return c;
			n = rnode_new(RN_PATH, off);
			n->root = RR_CALL;
			n->call = c;
		} else {
			n = rnode_new(RN_PATH, off);
			n->root = RR_NAME;
			n->name = name;
		}
		break;
	default:
	bad:
		t = token_text(p, &p->tok);
		perror_at(p, off, "expected a value, got %s", t);
		free(t);
		return NULL;
	}
	if (!p_steps(p, n)) {
		rnode_free(n);
		return NULL;
	}
	return n;
}

static bool
p_enter(struct parser *p)
{
	if (++p->depth > RULE_MAX_DEPTH) {
		perror_at(p, p->tok.off, "expression nested too deeply "
		    "(more than %d levels)", RULE_MAX_DEPTH);
		return false;
	}
	return true;
}

static struct rnode *
p_unary(struct parser *p)
{
	struct rnode	*n;
	size_t		 off = p->tok.off;

	if (p->tok.kind != T_MINUS)
		return p_primary(p);
	if (!p_enter(p))
		return NULL;
	advance(p);
	n = rnode_new(RN_NEG, off);
	if ((n->a = p_unary(p)) == NULL) {
		rnode_free(n);
		return NULL;
	}
	p->depth--;
	return n;
}

static struct rnode *
p_cmp(struct parser *p)
{
	struct rnode	*l, *n;
	size_t		 off;
	char		*t;

	if ((l = p_unary(p)) == NULL)
		return NULL;
	off = p->tok.off;
	switch (p->tok.kind) {
	case T_EQ:
	case T_NE:
	case T_LT:
	case T_LE:
	case T_GT:
	case T_GE:
		n = rnode_new(RN_CMP, off);
		n->op = p->tok.kind == T_EQ ? RC_EQ : p->tok.kind == T_NE ?
		    RC_NE : p->tok.kind == T_LT ? RC_LT : p->tok.kind == T_LE ?
		    RC_LE : p->tok.kind == T_GT ? RC_GT : RC_GE;
		break;
	case T_IN:
		n = rnode_new(RN_IN, off);
		break;
	case T_NOT:
		if (peek(p) != T_IN) {
			t = token_text(p, &p->tok);
			perror_at(p, off, "unexpected %s (did you mean "
			    "'not in'? 'not' goes before a condition)", t);
			free(t);
			rnode_free(l);
			return NULL;
		}
		advance(p);
		n = rnode_new(RN_IN, off);
		n->negate = true;
		break;
	case T_MATCHES:
		n = rnode_new(RN_MATCHES, off);
		break;
	case T_CONTAINS:
		n = rnode_new(RN_CONTAINS, off);
		break;
	case T_STARTSWITH:
		n = rnode_new(RN_STARTSWITH, off);
		break;
	case T_ENDSWITH:
		n = rnode_new(RN_ENDSWITH, off);
		break;
	default:
		return l;
	}
	advance(p);
	n->a = l;
	if ((n->b = p_unary(p)) == NULL) {
		rnode_free(n);
		return NULL;
	}
	if (is_cmp_token(p->tok.kind)) {
		perror_at(p, p->tok.off, "comparisons do not chain: "
		    "join them with 'and'");
		rnode_free(n);
		return NULL;
	}
	return n;
}

static struct rnode *
p_not(struct parser *p)
{
	struct rnode	*n;
	size_t		 off = p->tok.off;

	if (p->tok.kind != T_NOT)
		return p_cmp(p);
	if (!p_enter(p))
		return NULL;
	advance(p);
	n = rnode_new(RN_NOT, off);
	if ((n->a = p_not(p)) == NULL) {
		rnode_free(n);
		return NULL;
	}
	p->depth--;
	return n;
}

static struct rnode *
p_and(struct parser *p)
{
	struct rnode	*l, *n;

	if ((l = p_not(p)) == NULL)
		return NULL;
	while (p->tok.kind == T_AND) {
		n = rnode_new(RN_AND, p->tok.off);
		advance(p);
		n->a = l;
		if ((n->b = p_not(p)) == NULL) {
			rnode_free(n);
			return NULL;
		}
		l = n;
	}
	return l;
}

static struct rnode *
p_expr(struct parser *p)
{
	struct rnode	*l, *n;

	if (!p_enter(p))
		return NULL;
	if ((l = p_and(p)) == NULL)
		return NULL;
	while (p->tok.kind == T_OR) {
		n = rnode_new(RN_OR, p->tok.off);
		advance(p);
		n->a = l;
		if ((n->b = p_and(p)) == NULL) {
			rnode_free(n);
			return NULL;
		}
		l = n;
	}
	p->depth--;
	return l;
}

/*
 * Parse an expression.  Returns its tree, or NULL with the (first) syntax
 * error added to d.
 */
struct rnode *
rule_parse(const struct rsrc *src, struct diags *d)
{
	struct parser	 p;
	struct rnode	*n;
	char		*t;

	memset(&p, 0, sizeof p);
	p.src = src;
	p.diags = d;
	advance(&p);
	if (p.tok.kind == T_EOF && !p.failed) {
		perror_at(&p, 0, "empty expression");
		return NULL;
	}
	n = p_expr(&p);
	if (n != NULL && p.tok.kind != T_EOF) {
		t = token_text(&p, &p.tok);
		if (p.tok.kind == T_ARROW)
			perror_at(&p, p.tok.off, "'=>' belongs in a "
			    "quantifier: any(list, x => condition)");
		else
			perror_at(&p, p.tok.off, "unexpected %s after the "
			    "expression", t);
		free(t);
		rnode_free(n);
		n = NULL;
	}
	if (p.failed) {
		rnode_free(n);
		n = NULL;
	}
	token_clear(&p.tok);
	return n;
}
