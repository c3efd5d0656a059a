/*
 * jsondiff.h: differences between JSON documents (jsondiff.c).
 */
#ifndef JSONDIFF_H
#define JSONDIFF_H

#include <jansson.h>

json_t	*json_diff(json_t *, json_t *);

#endif /* JSONDIFF_H */
