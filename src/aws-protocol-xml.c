/*
 * aws-protocol-xml.c: the XML of the query, ec2 and rest-xml protocols.
 *
 * An answer is parsed with libexpat into a small tree, the part of an
 * ElementTree that botocore's parsers look at: an element's tag without
 * its namespace, its text (before the first child), its attributes and its
 * children.  Values are then read from the tree as the model's shapes say,
 * the way botocore's BaseXMLResponseParser does it, quirks included: a
 * wrapped list takes every child of its wrapper whatever its name, a
 * repeated element for a structure is its first one, a missing member is
 * left out, an empty wrapper is an empty list.
 *
 * Hostile input is expected: a document with a DOCTYPE is refused, so no
 * entity is ever declared, resolved or fetched; nesting is bounded.
 *
 * Also the XML bodies of rest-xml requests, as botocore's RestXMLSerializer
 * writes them with ElementTree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <jansson.h>

#include "aws-protocol.h"
#include "vigil.h"

#define AWS_XML_CHUNK	(64 * 1024)

struct aws_xml_attr {
	const char	*name;		/* "uri}local" or "local", as expat */
	const char	*value;
};

struct aws_xml_node {
	const char		*tag;	/* without the namespace */
	const char		*text;	/* NULL: none (ElementTree's None) */
	size_t			 text_len;
	struct aws_xml_attr	*attrs;
	size_t			 nattrs;
	struct aws_xml_node	*child;
	struct aws_xml_node	*last;
	struct aws_xml_node	*next;
};

struct aws_xml_chunk {
	struct aws_xml_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

struct aws_xml {
	struct aws_xml_node	*root;
	struct aws_xml_chunk	*chunks;
};

struct aws_xml_state {
	XML_Parser		 p;
	struct aws_xml		*doc;
	struct aws_xml_node	*stack[AWS_XML_MAX_DEPTH];
	int			 depth;
	struct aws_buf		 text;	/* of the innermost open element */
	char			*error;
};

static void *
aws_xml_alloc(struct aws_xml *doc, size_t len)
{
	struct aws_xml_chunk	*c = doc->chunks;
	size_t			 size;
	void			*p;

	len = (len + 15) & ~(size_t)15;
	if (c == NULL || c->size - c->used < len) {
		size = len > AWS_XML_CHUNK / 4 ? len : AWS_XML_CHUNK;
		c = xmalloc(sizeof *c + size);
		c->used = 0;
		c->size = size;
		if (size == len && doc->chunks != NULL) {
			/* A big one: behind the current chunk. */
			c->next = doc->chunks->next;
			doc->chunks->next = c;
		} else {
			c->next = doc->chunks;
			doc->chunks = c;
		}
	}
	p = c->data + c->used;
	c->used += len;
	return p;
}

static char *
aws_xml_strdup(struct aws_xml *doc, const char *s, size_t len)
{
	char	*p;

	p = aws_xml_alloc(doc, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
aws_xml_free(struct aws_xml *doc)
{
	struct aws_xml_chunk	*c, *next;

	if (doc == NULL)
		return;
	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

static void
aws_xml_fail(struct aws_xml_state *st, const char *why)
{
	if (st->error == NULL)
		st->error = xprintf("line %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(st->p), why);
	XML_StopParser(st->p, XML_FALSE);
}

/* The text gathered for an element becomes its text. */
static void
aws_xml_flush(struct aws_xml_state *st, struct aws_xml_node *n)
{
	if (st->text.len > 0) {
		n->text = aws_xml_strdup(st->doc, st->text.p, st->text.len);
		n->text_len = st->text.len;
	}
	st->text.len = 0;
}

static void
aws_xml_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct aws_xml_state	*st = arg;
	struct aws_xml_node	*n, *parent = NULL;
	const char		*local;
	size_t			 i, na;

	if (st->error != NULL)
		return;
	if (st->depth >= AWS_XML_MAX_DEPTH) {
		aws_xml_fail(st, "elements nested too deeply");
		return;
	}
	if (st->depth > 0) {
		parent = st->stack[st->depth - 1];
		if (parent->child == NULL)
			aws_xml_flush(st, parent);
	}
	n = aws_xml_alloc(st->doc, sizeof *n);
	memset(n, 0, sizeof *n);
	local = strrchr(name, '}');
	local = local != NULL ? local + 1 : name;
	n->tag = aws_xml_strdup(st->doc, local, strlen(local));
	for (na = 0; attrs[na] != NULL; na += 2)
		;
	if (na > 0) {
		n->nattrs = na / 2;
		n->attrs = aws_xml_alloc(st->doc, n->nattrs * sizeof *n->attrs);
		for (i = 0; i < n->nattrs; i++) {
			n->attrs[i].name = aws_xml_strdup(st->doc,
			    attrs[2 * i], strlen(attrs[2 * i]));
			n->attrs[i].value = aws_xml_strdup(st->doc,
			    attrs[2 * i + 1], strlen(attrs[2 * i + 1]));
		}
	}
	if (parent == NULL)
		st->doc->root = n;
	else {
		if (parent->last == NULL)
			parent->child = n;
		else
			parent->last->next = n;
		parent->last = n;
	}
	st->text.len = 0;
	st->stack[st->depth++] = n;
}

static void
aws_xml_end(void *arg, const XML_Char *name)
{
	struct aws_xml_state	*st = arg;
	struct aws_xml_node	*n;

	if (st->error != NULL || st->depth == 0)
		return;
	n = st->stack[--st->depth];
	if (n->child == NULL)
		aws_xml_flush(st, n);
	st->text.len = 0;
}

static void
aws_xml_chars(void *arg, const XML_Char *s, int len)
{
	struct aws_xml_state	*st = arg;
	struct aws_xml_node	*n;

	if (st->error != NULL || st->depth == 0)
		return;
	n = st->stack[st->depth - 1];
	/* Text after a child is its tail: not kept. */
	if (n->child == NULL)
		aws_buf_add(&st->text, s, (size_t)len);
}

static void
aws_xml_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	aws_xml_fail(arg, "a DOCTYPE is not allowed");
}

static void
aws_xml_entity(void *arg, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	aws_xml_fail(arg, "entity declarations are not allowed");
}

/*
 * Parse a document, as UTF-8 whatever it declares (botocore's parser is
 * made with encoding='utf-8' too).  Namespaces are processed as
 * ElementTree processes them: an unbound prefix is an error.
 */
struct aws_xml *
aws_xml_parse(const char *buf, size_t len, char **cause)
{
	struct aws_xml_state	 st;

	memset(&st, 0, sizeof st);
	st.doc = xcalloc(1, sizeof *st.doc);
	if ((st.p = XML_ParserCreateNS("UTF-8", '}')) == NULL)
		fatalx("XML_ParserCreateNS: out of memory");
	XML_SetUserData(st.p, &st);
	XML_SetElementHandler(st.p, aws_xml_start, aws_xml_end);
	XML_SetCharacterDataHandler(st.p, aws_xml_chars);
	XML_SetStartDoctypeDeclHandler(st.p, aws_xml_doctype);
	XML_SetEntityDeclHandler(st.p, aws_xml_entity);
	XML_SetParamEntityParsing(st.p, XML_PARAM_ENTITY_PARSING_NEVER);

	if (len > (size_t)INT32_MAX)
		st.error = xstrdup("document too large");
	else if (XML_Parse(st.p, buf, (int)len, XML_TRUE) ==
	    XML_STATUS_ERROR && st.error == NULL) {
		st.error = xprintf("line %lu, column %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(st.p),
		    (unsigned long)XML_GetCurrentColumnNumber(st.p) + 1,
		    XML_ErrorString(XML_GetErrorCode(st.p)));
	}
	XML_ParserFree(st.p);
	free(st.text.p);
	if (st.error == NULL && st.doc->root == NULL)
		st.error = xstrdup("no element found");
	if (st.error != NULL) {
		aws_xml_free(st.doc);
		*cause = xprintf("invalid XML: %s", st.error);
		free(st.error);
		return NULL;
	}
	return st.doc;
}

/* What botocore parses an empty body as: an element with nothing in it. */
struct aws_xml *
aws_xml_empty(void)
{
	struct aws_xml	*doc;

	doc = xcalloc(1, sizeof *doc);
	doc->root = aws_xml_alloc(doc, sizeof *doc->root);
	memset(doc->root, 0, sizeof *doc->root);
	doc->root->tag = "";
	return doc;
}

const struct aws_xml_node *
aws_xml_root(const struct aws_xml *doc)
{
	return doc->root;
}

const char *
aws_xml_tag(const struct aws_xml_node *n)
{
	return n->tag;
}

/* An element's text: "" when it has none. */
const char *
aws_xml_text(const struct aws_xml_node *n, size_t *len)
{
	*len = n->text_len;
	return n->text != NULL ? n->text : "";
}

bool
aws_xml_has_text(const struct aws_xml_node *n)
{
	return n->text != NULL;
}

const struct aws_xml_node *
aws_xml_first(const struct aws_xml_node *n)
{
	return n->child;
}

const struct aws_xml_node *
aws_xml_next(const struct aws_xml_node *n)
{
	return n->next;
}

/* The first child with a tag, and how many children have it. */
const struct aws_xml_node *
aws_xml_child(const struct aws_xml_node *n, const char *tag, size_t *count)
{
	const struct aws_xml_node	*c, *first = NULL;

	*count = 0;
	for (c = n->child; c != NULL; c = c->next) {
		if (strcmp(c->tag, tag) == 0) {
			if (first == NULL)
				first = c;
			(*count)++;
		}
	}
	return first;
}

/* The next sibling with the same tag. */
static const struct aws_xml_node *
aws_xml_same(const struct aws_xml_node *n)
{
	const struct aws_xml_node	*c;

	for (c = n->next; c != NULL; c = c->next) {
		if (strcmp(c->tag, n->tag) == 0)
			return c;
	}
	return NULL;
}

/* The children of an element as an object, as _replace_nodes makes it. */
static json_t *
aws_xml_children(const struct aws_xml_node *n)
{
	const struct aws_xml_node	*c;
	json_t				*obj;
	size_t				 count;

	obj = json_object();
	for (c = n->child; c != NULL; c = c->next) {
		if (json_object_get(obj, c->tag) != NULL)
			continue;
		aws_xml_child(n, c->tag, &count);
		if (count > 1) {
			/* A repeated name: the children of the first. */
			json_object_set_new(obj, c->tag, aws_xml_children(c));
		} else
			json_object_set_new(obj, c->tag, aws_xml_dict(c));
	}
	return obj;
}

/*
 * An element as botocore's _replace_nodes makes it (for errors): an
 * element with children is an object of them (a repeated name is the
 * object of the first one's children), one without is its text (null when
 * it has none).
 */
json_t *
aws_xml_dict(const struct aws_xml_node *n)
{
	json_t	*v;

	if (n->child != NULL)
		return aws_xml_children(n);
	if (n->text == NULL)
		return json_null();
	if ((v = json_stringn(n->text, n->text_len)) == NULL)
		v = json_null();
	return v;
}

/* A scalar from text, as BaseXMLResponseParser's _handle_<type>. */
int
aws_xml_scalar(const struct aws_dec *d, const struct aws_ref *r,
    const char *text, size_t len, json_t **out, char **cause)
{
	json_int_t	 i;
	double		 f;

	switch (r->shape->type) {
	case AWS_TYPE_STRING:
	case AWS_TYPE_BLOB:	/* the CLI leaves blobs base64 */
		*out = json_stringn(text, len);
		break;
	case AWS_TYPE_BOOLEAN:
		*out = json_boolean(len == 4 && memcmp(text, "true", 4) == 0);
		break;
	case AWS_TYPE_INTEGER:
	case AWS_TYPE_LONG:
		if (aws_py_int(text, len, &i) != 0) {
			*cause = xprintf("%s: \"%.*s\" is not an integer",
			    r->shape->name, (int)(len > 64 ? 64 : len), text);
			return -1;
		}
		*out = json_integer(i);
		break;
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		if (aws_py_float(text, len, &f) != 0) {
			*cause = xprintf("%s: \"%.*s\" is not a number",
			    r->shape->name, (int)(len > 64 ? 64 : len), text);
			return -1;
		}
		*out = json_real(f);
		break;
	case AWS_TYPE_TIMESTAMP:
		return aws_time_render(NULL, text, len, d->flags, out, cause);
	default:
		*cause = xprintf("%s: not a scalar", r->shape->name);
		return -1;
	}
	if (*out == NULL) {
		*cause = xprintf("%s: text is not valid UTF-8", r->shape->name);
		return -1;
	}
	return 0;
}

static int	aws_xml_value1(const struct aws_dec *, const struct aws_ref *,
		    const struct aws_xml_node *, size_t, json_t **, char **);

/* The elements found for a structure's member. */
struct aws_xml_found {
	const struct aws_xml_node	*first;
	size_t				 count;
};
#define AWS_XML_FOUND_STACK	128

/* The name botocore gives an attribute (its namespace as the prefix). */
static char *
aws_xml_attr_name(const char *attr, const char *location_name)
{
	const char	*sep;
	size_t		 plen;

	if ((sep = strrchr(attr, '}')) == NULL)
		return xstrdup(attr);
	plen = strcspn(location_name, ":");
	return xprintf("%.*s:%s", (int)plen, location_name, sep + 1);
}

static int
aws_xml_structure(const struct aws_dec *d, const struct aws_ref *r,
    const struct aws_xml_node *n, json_t **out, char **cause)
{
	const struct aws_shape		*s = r->shape;
	const struct aws_member		*m;
	const struct aws_xml_node	*c, *first;
	struct aws_xml_found		 stack[AWS_XML_FOUND_STACK];
	struct aws_xml_found		*found, *f;
	const char			*name;
	json_t				*obj, *v;
	size_t				 i, j, lo, hi, mid, count, ntags;
	char				*an;
	int				 rc = 0;

	if (s->is_union) {
		/* The tags there are, "__type" aside: exactly one. */
		for (ntags = 0, c = n->child; c != NULL; c = c->next) {
			if (strcmp(c->tag, "__type") == 0)
				continue;
			for (first = n->child; first != c; first = first->next)
				if (strcmp(first->tag, c->tag) == 0)
					break;
			if (first == c)
				ntags++;
		}
		if (ntags != 1) {
			*cause = xprintf("%s: a union must have one and only "
			    "one member set", s->name);
			return -1;
		}
		for (c = n->child; strcmp(c->tag, "__type") == 0; c = c->next)
			;
		for (i = 0; i < s->nmembers; i++) {
			m = &s->members[i];
			name = m->ref.name != NULL ? m->ref.name : m->name;
			if (strcmp(name, c->tag) == 0)
				break;
		}
		if (i == s->nmembers) {
			*out = json_pack("{s{ss}}", "SDK_UNKNOWN_MEMBER",
			    "name", c->tag);
			return 0;
		}
	}

	/* One pass over the children: each one's member, by its name. */
	found = s->nmembers <= AWS_XML_FOUND_STACK ? stack :
	    xcalloc(s->nmembers, sizeof *found);
	memset(found, 0, s->nmembers * sizeof *found);
	for (c = n->child; c != NULL; c = c->next) {
		lo = 0;
		hi = s->nmembers;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcmp(s->xml_names[mid].name, c->tag) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (j = lo; j < s->nmembers &&
		    strcmp(s->xml_names[j].name, c->tag) == 0; j++) {
			f = &found[s->xml_names[j].member];
			if (f->count++ == 0)
				f->first = c;
		}
	}

	obj = json_object();
	for (i = 0; i < s->nmembers; i++) {
		m = &s->members[i];
		if (m->ref.location == AWS_LOC_HEADER ||
		    m->ref.location == AWS_LOC_HEADERS ||
		    m->ref.location == AWS_LOC_STATUSCODE)
			continue;
		if ((first = found[i].first) != NULL) {
			if (aws_xml_value1(d, &m->ref, first, found[i].count,
			    &v, cause) != 0) {
				json_decref(obj);
				rc = -1;
				goto out;
			}
			json_object_set_new(obj, m->name, v);
			continue;
		}
		if (!m->ref.xml_attribute || m->ref.name == NULL)
			continue;
		for (count = 0; count < n->nattrs; count++) {
			an = aws_xml_attr_name(n->attrs[count].name,
			    m->ref.name);
			if (strcmp(an, m->ref.name) == 0) {
				free(an);
				json_object_set_new(obj, m->name,
				    json_string(n->attrs[count].value));
				break;
			}
			free(an);
		}
	}
	*out = obj;
out:
	if (found != stack)
		free(found);
	return rc;
}

static int
aws_xml_map_entry(const struct aws_dec *d, const struct aws_shape *s,
    const struct aws_xml_node *entry, json_t *obj, char **cause)
{
	const struct aws_xml_node	*c;
	const char			*kname, *vname;
	json_t				*key = NULL, *val = NULL, *v;

	kname = s->key.name != NULL ? s->key.name : "key";
	vname = s->value.name != NULL ? s->value.name : "value";
	for (c = entry->child; c != NULL; c = c->next) {
		if (strcmp(c->tag, kname) == 0) {
			if (aws_xml_value1(d, &s->key, c, 1, &v, cause) != 0)
				goto fail;
			json_decref(key);
			key = v;
		} else if (strcmp(c->tag, vname) == 0) {
			if (aws_xml_value1(d, &s->value, c, 1, &v, cause) != 0)
				goto fail;
			json_decref(val);
			val = v;
		} else {
			*cause = xprintf("%s: unknown tag %s", s->name, c->tag);
			goto fail;
		}
	}
	if (key == NULL || val == NULL || !json_is_string(key)) {
		*cause = xprintf("%s: an entry without a key or a value",
		    s->name);
		goto fail;
	}
	json_object_set_new(obj, json_string_value(key), val);
	json_decref(key);
	return 0;
fail:
	json_decref(key);
	json_decref(val);
	return -1;
}

/*
 * The value of the count elements starting at n (siblings with the same
 * tag: botocore's "list of nodes" when there are several).
 */
static int
aws_xml_value1(const struct aws_dec *d, const struct aws_ref *r,
    const struct aws_xml_node *n, size_t count, json_t **out, char **cause)
{
	const struct aws_shape		*s = r->shape;
	const struct aws_xml_node	*c;
	json_t				*arr, *v;
	size_t				 len;
	const char			*text;

	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		return aws_xml_structure(d, r, n, out, cause);
	case AWS_TYPE_LIST:
		arr = json_array();
		if (r->flattened || count > 1) {
			/* The elements themselves are the items. */
			for (c = n; c != NULL; c = aws_xml_same(c)) {
				if (aws_xml_value1(d, &s->member, c, 1, &v,
				    cause) != 0)
					goto fail;
				json_array_append_new(arr, v);
			}
		} else {
			/* Every child of the wrapper, whatever its name. */
			for (c = n->child; c != NULL; c = c->next) {
				if (aws_xml_value1(d, &s->member, c, 1, &v,
				    cause) != 0)
					goto fail;
				json_array_append_new(arr, v);
			}
		}
		*out = arr;
		return 0;
	case AWS_TYPE_MAP:
		arr = json_object();
		if (r->flattened || count > 1) {
			for (c = n; c != NULL; c = aws_xml_same(c)) {
				if (aws_xml_map_entry(d, s, c, arr, cause) != 0)
					goto fail;
			}
		} else {
			for (c = n->child; c != NULL; c = c->next) {
				if (aws_xml_map_entry(d, s, c, arr, cause) != 0)
					goto fail;
			}
		}
		*out = arr;
		return 0;
	default:
		if (count > 1 && s->type == AWS_TYPE_BOOLEAN) {
			/* botocore compares the list of them with "true" */
			*out = json_false();
			return 0;
		}
		if (count > 1) {
			*cause = xprintf("%s: %s repeated where one value is "
			    "expected", s->name, n->tag);
			return -1;
		}
		text = aws_xml_text(n, &len);
		return aws_xml_scalar(d, r, text, len, out, cause);
	}
fail:
	json_decref(arr);
	return -1;
}

int
aws_xml_value(const struct aws_dec *d, const struct aws_ref *r,
    const struct aws_xml_node *n, size_t count, json_t **out, char **cause)
{
	return aws_xml_value1(d, r, n, count, out, cause);
}

/*
 * Request bodies (rest-xml), as ElementTree.tostring writes botocore's
 * tree: no declaration, attributes in the order set, "<a />" for an
 * element with neither text nor children.
 */
struct aws_xml_out {
	struct aws_buf	*b;
	bool		 open;		/* a start tag not closed with '>' */
	bool		 empty;		/* the open element has no content */
};

static void
aws_xml_escape(struct aws_buf *b, const char *s, size_t len, bool attr)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			aws_buf_str(b, "&amp;");
			break;
		case '<':
			aws_buf_str(b, "&lt;");
			break;
		case '>':
			aws_buf_str(b, "&gt;");
			break;
		case '"':
			aws_buf_str(b, attr ? "&quot;" : "\"");
			break;
		case '\n':
			aws_buf_str(b, attr ? "&#10;" : "\n");
			break;
		case '\r':
			aws_buf_str(b, attr ? "&#13;" : "\r");
			break;
		case '\t':
			aws_buf_str(b, attr ? "&#09;" : "\t");
			break;
		default:
			aws_buf_add(b, &s[i], 1);
			break;
		}
	}
}

/*
 * Elements are built as a small tree first: attributes are added to an
 * element after its children in botocore's order of calls (a flattened
 * list puts its namespace on its parent), so the text is written last.
 */
struct aws_xml_el {
	char			*name;
	struct aws_buf		 attrs;		/* ' k="v"' ... */
	char			*text;		/* NULL: none */
	struct aws_xml_el	*child;
	struct aws_xml_el	*last;
	struct aws_xml_el	*next;
};

static struct aws_xml_el *
aws_xml_el_new(struct aws_xml_el *parent, const char *name)
{
	struct aws_xml_el	*e;

	e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	if (parent != NULL) {
		if (parent->last == NULL)
			parent->child = e;
		else
			parent->last->next = e;
		parent->last = e;
	}
	return e;
}

static void
aws_xml_el_free(struct aws_xml_el *e)
{
	struct aws_xml_el	*c, *next;

	if (e == NULL)
		return;
	for (c = e->child; c != NULL; c = next) {
		next = c->next;
		aws_xml_el_free(c);
	}
	free(e->name);
	free(e->attrs.p);
	free(e->text);
	free(e);
}

static void
aws_xml_el_attr(struct aws_xml_el *e, const char *name, const char *value)
{
	aws_buf_printf(&e->attrs, " %s=\"", name);
	aws_xml_escape(&e->attrs, value, strlen(value), true);
	aws_buf_str(&e->attrs, "\"");
}

static void
aws_xml_el_write(const struct aws_xml_el *e, struct aws_buf *b)
{
	const struct aws_xml_el	*c;

	aws_buf_printf(b, "<%s", e->name);
	if (e->attrs.len > 0)
		aws_buf_add(b, e->attrs.p, e->attrs.len);
	if ((e->text == NULL || *e->text == '\0') && e->child == NULL) {
		aws_buf_str(b, " />");
		return;
	}
	aws_buf_str(b, ">");
	if (e->text != NULL)
		aws_xml_escape(b, e->text, strlen(e->text), false);
	for (c = e->child; c != NULL; c = c->next)
		aws_xml_el_write(c, b);
	aws_buf_printf(b, "</%s>", e->name);
}

static void
aws_xml_ns(const struct aws_ref *r, struct aws_xml_el *e)
{
	char	*name;

	if (r->xmlns_uri == NULL)
		return;
	if (r->xmlns_prefix != NULL && *r->xmlns_prefix != '\0') {
		name = xprintf("xmlns:%s", r->xmlns_prefix);
		aws_xml_el_attr(e, name, r->xmlns_uri);
		free(name);
	} else
		aws_xml_el_attr(e, "xmlns", r->xmlns_uri);
}

static int	aws_xml_ser(const struct aws_ref *, json_t *,
		    struct aws_xml_el *, const char *, char **);

static int
aws_xml_ser_structure(const struct aws_ref *r, json_t *v,
    struct aws_xml_el *parent, const char *name, char **cause)
{
	const struct aws_member	*m;
	struct aws_xml_el	*e;
	const char		*k, *mname;
	json_t			*mv;

	e = aws_xml_el_new(parent, name);
	aws_xml_ns(r, e);
	json_object_foreach(v, k, mv) {
		m = aws_shape_member(r->shape, k);
		mname = m->ref.name != NULL ? m->ref.name : k;
		if (json_is_null(mv))
			return 0;	/* botocore stops at a None */
		if (m->ref.xml_attribute) {
			if (!json_is_string(mv)) {
				*cause = xprintf("%s: an attribute must be a "
				    "string", k);
				return -1;
			}
			aws_xml_el_attr(e, mname, json_string_value(mv));
			continue;
		}
		if (aws_xml_ser(&m->ref, mv, e, mname, cause) != 0)
			return -1;
	}
	return 0;
}

static int
aws_xml_ser(const struct aws_ref *r, json_t *v, struct aws_xml_el *parent,
    const char *name, char **cause)
{
	const struct aws_shape	*s = r->shape;
	struct aws_xml_el	*e, *list;
	struct aws_time		 t;
	const char		*k, *ename;
	json_t			*item;
	size_t			 i;
	char			 num[64];

	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		return aws_xml_ser_structure(r, v, parent, name, cause);
	case AWS_TYPE_LIST:
		if (r->flattened) {
			ename = name;
			list = parent;
		} else {
			ename = s->member.name != NULL ? s->member.name :
			    "member";
			list = aws_xml_el_new(parent, name);
		}
		aws_xml_ns(r, list);
		json_array_foreach(v, i, item) {
			if (aws_xml_ser(&s->member, item, list, ename,
			    cause) != 0)
				return -1;
		}
		return 0;
	case AWS_TYPE_MAP:
		list = NULL;
		if (!r->flattened) {
			list = aws_xml_el_new(parent, name);
			aws_xml_ns(r, list);
		}
		json_object_foreach(v, k, item) {
			json_t	*key = json_string(k);

			e = aws_xml_el_new(r->flattened ? parent : list,
			    r->flattened ? name : "entry");
			if (aws_xml_ser(&s->key, key, e, s->key.name != NULL ?
			    s->key.name : "key", cause) != 0 ||
			    aws_xml_ser(&s->value, item, e, s->value.name !=
			    NULL ? s->value.name : "value", cause) != 0) {
				json_decref(key);
				return -1;
			}
			json_decref(key);
		}
		return 0;
	default:
		break;
	}

	e = aws_xml_el_new(parent, name);
	switch (s->type) {
	case AWS_TYPE_BOOLEAN:
		e->text = xstrdup(aws_py_truthy(v) ? "true" : "false");
		break;
	case AWS_TYPE_BLOB:
		e->text = aws_base64_encode(json_string_value(v),
		    json_string_length(v));
		break;
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0) {
			*cause = xprintf("%s: not a timestamp", name);
			return -1;
		}
		e->text = aws_time_format(&t, r->ts_format != AWS_TSF_DEFAULT ?
		    r->ts_format : AWS_TSF_ISO8601);
		break;
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		aws_py_float_repr(json_number_value(v), num, sizeof num);
		e->text = xstrdup(num);
		break;
	default:
		e->text = aws_py_str(v);
		break;
	}
	aws_xml_ns(r, e);
	return 0;
}

/* The XML body of a structure (the payload, or the input's members). */
int
aws_xml_body(const struct aws_ref *r, json_t *v, struct aws_buf *b,
    char **cause)
{
	struct aws_xml_el	*root;
	int			 rc;

	if (r->name == NULL) {
		*cause = xprintf("%s: no root element name", r->shape->name);
		return -1;
	}
	root = aws_xml_el_new(NULL, "");
	rc = aws_xml_ser(r, v, root, r->name, cause);
	if (rc == 0 && root->child != NULL)
		aws_xml_el_write(root->child, b);
	aws_xml_el_free(root);
	return rc;
}
