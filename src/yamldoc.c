/*
 * yamldoc.c: load a YAML file into a libyaml document, with positions for
 * every node, and walk it.  Shared by the config loader and the rule
 * compiler.  Aliases and anchors are refused: configuration and rules are
 * read by people, and aliases are how YAML bombs are built.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "yamldoc.h"

#define YAMLDOC_MAX_BYTES	(16 * 1024 * 1024)

static int
yamldoc_check_aliases(yaml_parser_t *parser, const char *buf, size_t len,
    const char *file, struct diags *d)
{
	yaml_event_t	 ev;
	int		 rc = 0, done = 0;

	yaml_parser_set_input_string(parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(parser, &ev))
			return 0;	/* the loader reports syntax errors */
		if (ev.type == YAML_ALIAS_EVENT) {
			diag_add(d, file, (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1,
			    "YAML aliases are not allowed");
			rc = -1;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	return rc;
}

/*
 * Parse buf (named file in messages) into doc.  An empty file is a document
 * with no root.  Returns 0, or -1 with diagnostics added to d.
 */
int
yamldoc_parse(struct yamldoc *yd, const char *file, const char *buf,
    size_t len, struct diags *d)
{
	yaml_parser_t	 parser;
	yaml_document_t	 extra;
	int		 rc = -1;

	memset(yd, 0, sizeof *yd);
	yd->file = xstrdup(file);

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize: out of memory");
	if (yamldoc_check_aliases(&parser, buf, len, file, d) != 0) {
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &yd->doc)) {
		diag_add(d, file, (int)parser.problem_mark.line + 1,
		    (int)parser.problem_mark.column + 1, "YAML syntax: %s%s%s",
		    parser.problem != NULL ? parser.problem : "error",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		goto out;
	}
	yd->loaded = true;
	if (!yaml_parser_load(&parser, &extra)) {
		diag_add(d, file, (int)parser.problem_mark.line + 1,
		    (int)parser.problem_mark.column + 1, "YAML syntax: %s",
		    parser.problem != NULL ? parser.problem : "error");
		goto out;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		diag_add(d, file, (int)extra.start_mark.line + 1,
		    (int)extra.start_mark.column + 1,
		    "only one YAML document is allowed in a file");
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);
	rc = 0;
out:
	yaml_parser_delete(&parser);
	return rc;
}

/* Read and parse a file.  Returns 0, or -1 with diagnostics added to d. */
int
yamldoc_load(struct yamldoc *yd, const char *file, struct diags *d)
{
	char	*buf, *cause;
	size_t	 len;
	int	 rc;

	memset(yd, 0, sizeof *yd);
	if ((buf = read_file(file, YAMLDOC_MAX_BYTES, &len, &cause)) == NULL) {
		diag_add(d, NULL, 0, 0, "%s", cause);
		free(cause);
		return -1;
	}
	rc = yamldoc_parse(yd, file, buf, len, d);
	free(buf);
	return rc;
}

void
yamldoc_free(struct yamldoc *yd)
{
	if (yd->loaded)
		yaml_document_delete(&yd->doc);
	free(yd->file);
	memset(yd, 0, sizeof *yd);
}

yaml_node_t *
yamldoc_root(struct yamldoc *yd)
{
	if (!yd->loaded)
		return NULL;
	return yaml_document_get_root_node(&yd->doc);
}

yaml_node_t *
yamldoc_node(struct yamldoc *yd, int index)
{
	return yaml_document_get_node(&yd->doc, index);
}

int
yamldoc_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

int
yamldoc_col(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

/* A scalar's text, NUL-terminated by libyaml; NULL if not a scalar. */
const char *
yamldoc_scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* Is this node an explicit null: ~, null, or an empty plain scalar? */
bool
yamldoc_is_null(const yaml_node_t *n)
{
	const char	*s;

	if (n == NULL)
		return true;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = yamldoc_scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* The value of key in a mapping, or NULL. */
yaml_node_t *
yamldoc_map_value(struct yamldoc *yd, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	const char		*name;

	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		name = yamldoc_scalar(yamldoc_node(yd, p->key));
		if (name != NULL && strcmp(name, key) == 0)
			return yamldoc_node(yd, p->value);
	}
	return NULL;
}

const char *
yamldoc_type_name(const yaml_node_t *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "an empty node";
	}
}
