/*
 * xml.h: XML to JSON with libexpat (xml.c).
 */
#ifndef XML_H
#define XML_H

#include <stddef.h>

#include <jansson.h>

json_t		*xml_to_json(const char *, size_t, char **);
json_t		*xml_list(json_t *, const char *);
json_t		*xml_path(json_t *, const char *);
const char	*xml_path_str(json_t *, const char *);

#endif /* XML_H */
