/*
 * jsondiff.c: what changed between two JSON documents, as a list of
 * operations in the manner of a JSON Patch (RFC 6902): add, remove and
 * replace, each with a JSON Pointer (RFC 6901); a replace or a remove also
 * carries the old value.  Arrays are compared position by position, which
 * is what a person reading an asset's history expects of AWS's ordered
 * lists.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsondiff.h"
#include "vigil.h"

/* A JSON Pointer token: '~' is ~0, '/' is ~1. */
static char *
jsondiff_pointer(const char *base, const char *token)
{
	char		*out, *o;
	const char	*p;

	out = o = xmalloc(strlen(base) + 1 + 2 * strlen(token) + 1);
	o = stpcpy(o, base);
	*o++ = '/';
	for (p = token; *p != '\0'; p++) {
		if (*p == '~') {
			*o++ = '~';
			*o++ = '0';
		} else if (*p == '/') {
			*o++ = '~';
			*o++ = '1';
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void
jsondiff_op(json_t *ops, const char *op, const char *path, json_t *value,
    json_t *old)
{
	json_t	*o;

	o = json_pack("{s:s, s:s}", "op", op, "path", path);
	if (value != NULL)
		json_object_set(o, "value", value);
	if (old != NULL)
		json_object_set(o, "old", old);
	json_array_append_new(ops, o);
}

static void
jsondiff_walk(json_t *ops, const char *path, json_t *a, json_t *b)
{
	const char	*key;
	json_t		*va, *vb;
	char		*sub, idx[32];
	size_t		 i, na, nb;

	if (json_equal(a, b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach(a, key, va) {
			sub = jsondiff_pointer(path, key);
			if ((vb = json_object_get(b, key)) == NULL)
				jsondiff_op(ops, "remove", sub, NULL, va);
			else
				jsondiff_walk(ops, sub, va, vb);
			free(sub);
		}
		json_object_foreach(b, key, vb) {
			if (json_object_get(a, key) != NULL)
				continue;
			sub = jsondiff_pointer(path, key);
			jsondiff_op(ops, "add", sub, vb, NULL);
			free(sub);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		na = json_array_size(a);
		nb = json_array_size(b);
		for (i = 0; i < na || i < nb; i++) {
			snprintf(idx, sizeof idx, "%zu", i);
			sub = jsondiff_pointer(path, idx);
			if (i >= nb)
				jsondiff_op(ops, "remove", sub, NULL,
				    json_array_get(a, i));
			else if (i >= na)
				jsondiff_op(ops, "add", sub,
				    json_array_get(b, i), NULL);
			else
				jsondiff_walk(ops, sub, json_array_get(a, i),
				    json_array_get(b, i));
			free(sub);
		}
		return;
	}
	jsondiff_op(ops, "replace", *path == '\0' ? "" : path, b, a);
}

/* The operations that turn a into b (a new array; [] when equal). */
json_t *
json_diff(json_t *a, json_t *b)
{
	json_t	*ops = json_array();

	jsondiff_walk(ops, "", a, b);
	return ops;
}
