/*
 * xml.c: XML to JSON, with libexpat, for the AWS query and REST-XML
 * protocols' small control answers (STS credentials, SQS messages, error
 * bodies).  An element with child elements becomes an object (a repeated
 * child name becomes an array), an element with only text becomes a
 * string; attributes are dropped.
 *
 * Hostile input is expected: a document with a DOCTYPE is refused outright,
 * so no entity is ever declared, resolved or fetched; depth is bounded.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <jansson.h>

#include "vigil.h"
#include "xml.h"

#define XML_MAX_DEPTH	64

struct xml_frame {
	char	*name;
	json_t	*children;	/* object, once a child element appears */
	char	*text;
	size_t	 len;
};

struct xml_state {
	XML_Parser		 p;
	struct xml_frame	 stack[XML_MAX_DEPTH];
	int			 depth;
	json_t			*root;
	char			*error;
};

static void
xml_fail(struct xml_state *st, const char *why)
{
	if (st->error == NULL)
		st->error = xprintf("line %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(st->p), why);
	XML_StopParser(st->p, XML_FALSE);
}

/*
 * Add value under name to obj: a second one turns the member into a list.
 * (An element's own value is an object or a string, never a list, so a
 * list member is always one of ours.)
 */
static void
xml_add(json_t *obj, const char *name, json_t *value)
{
	json_t	*old, *arr;

	if ((old = json_object_get(obj, name)) == NULL) {
		json_object_set_new(obj, name, value);
		return;
	}
	if (json_is_array(old)) {
		json_array_append_new(old, value);
		return;
	}
	arr = json_array();
	json_array_append(arr, old);
	json_array_append_new(arr, value);
	json_object_set_new(obj, name, arr);
}

static void
xml_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_state	*st = arg;
	struct xml_frame	*f;

	if (st->depth >= XML_MAX_DEPTH) {
		xml_fail(st, "elements nested too deeply");
		return;
	}
	f = &st->stack[st->depth++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
}

static void
xml_end(void *arg, const XML_Char *name)
{
	struct xml_state	*st = arg;
	struct xml_frame	*f = &st->stack[--st->depth];
	json_t			*value;

	if (f->children != NULL)
		value = f->children;
	else
		value = json_stringn(f->text != NULL ? f->text : "", f->len);
	if (value == NULL) {
		xml_fail(st, "text is not valid UTF-8");
		value = json_null();
	}
	if (st->depth == 0) {
		st->root = json_object();
		json_object_set_new(st->root, f->name, value);
	} else {
		struct xml_frame *parent = &st->stack[st->depth - 1];
		if (parent->children == NULL)
			parent->children = json_object();
		xml_add(parent->children, f->name, value);
	}
	free(f->name);
	free(f->text);
	memset(f, 0, sizeof *f);
}

static void
xml_text(void *arg, const XML_Char *s, int len)
{
	struct xml_state	*st = arg;
	struct xml_frame	*f;

	if (st->depth == 0)
		return;
	f = &st->stack[st->depth - 1];
	f->text = xrealloc(f->text, f->len + (size_t)len + 1);
	memcpy(f->text + f->len, s, (size_t)len);
	f->len += (size_t)len;
	f->text[f->len] = '\0';
}

static void
xml_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	xml_fail(arg, "a DOCTYPE is not allowed");
}

static void
xml_entity(void *arg, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	xml_fail(arg, "entity declarations are not allowed");
}

/* Parse XML into JSON, or NULL with a cause. */
json_t *
xml_to_json(const char *buf, size_t len, char **cause)
{
	struct xml_state	 st;
	int			 i;

	memset(&st, 0, sizeof st);
	if ((st.p = XML_ParserCreate("UTF-8")) == NULL)
		fatalx("XML_ParserCreate: out of memory");
	XML_SetUserData(st.p, &st);
	XML_SetElementHandler(st.p, xml_start, xml_end);
	XML_SetCharacterDataHandler(st.p, xml_text);
	XML_SetStartDoctypeDeclHandler(st.p, xml_doctype);
	XML_SetEntityDeclHandler(st.p, xml_entity);
	XML_SetParamEntityParsing(st.p, XML_PARAM_ENTITY_PARSING_NEVER);

	if (len > (size_t)INT32_MAX) {
		st.error = xstrdup("document too large");
	} else if (XML_Parse(st.p, buf, (int)len, XML_TRUE) ==
	    XML_STATUS_ERROR && st.error == NULL) {
		st.error = xprintf("line %lu, column %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(st.p),
		    (unsigned long)XML_GetCurrentColumnNumber(st.p) + 1,
		    XML_ErrorString(XML_GetErrorCode(st.p)));
	}
	for (i = 0; i < st.depth; i++) {
		free(st.stack[i].name);
		free(st.stack[i].text);
		json_decref(st.stack[i].children);
	}
	XML_ParserFree(st.p);
	if (st.error != NULL || st.root == NULL) {
		json_decref(st.root);
		*cause = st.error != NULL ? st.error : xstrdup("empty document");
		return NULL;
	}
	return st.root;
}

/*
 * A member that may be one element or a list of them, as a list: the
 * caller owns the reference.  Absent: an empty list.
 */
json_t *
xml_list(json_t *obj, const char *name)
{
	json_t	*v = json_object_get(obj, name), *arr;

	if (v == NULL)
		return json_array();
	if (json_is_array(v))
		return json_incref(v);
	arr = json_array();
	json_array_append(arr, v);
	return arr;
}

/* Follow a path of member names ("A/B/C") through objects. */
json_t *
xml_path(json_t *v, const char *path)
{
	const char	*p = path, *slash;
	char		*name;

	while (v != NULL && *p != '\0') {
		slash = strchr(p, '/');
		name = slash != NULL ? xstrndup(p, (size_t)(slash - p)) :
		    xstrdup(p);
		v = json_object_get(v, name);
		free(name);
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return v;
}

const char *
xml_path_str(json_t *v, const char *path)
{
	return json_string_value(xml_path(v, path));
}
