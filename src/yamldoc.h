/*
 * yamldoc.h: YAML documents with positions (yamldoc.c).
 */
#ifndef YAMLDOC_H
#define YAMLDOC_H

#include <yaml.h>

struct yamldoc {
	char		*file;
	yaml_document_t	 doc;
	bool		 loaded;
};

int		 yamldoc_parse(struct yamldoc *, const char *, const char *,
		    size_t, struct diags *);
int		 yamldoc_load(struct yamldoc *, const char *, struct diags *);
void		 yamldoc_free(struct yamldoc *);
yaml_node_t	*yamldoc_root(struct yamldoc *);
yaml_node_t	*yamldoc_node(struct yamldoc *, int);
int		 yamldoc_line(const yaml_node_t *);
int		 yamldoc_col(const yaml_node_t *);
const char	*yamldoc_scalar(const yaml_node_t *);
bool		 yamldoc_is_null(const yaml_node_t *);
const char	*yamldoc_type_name(const yaml_node_t *);
yaml_node_t	*yamldoc_map_value(struct yamldoc *, yaml_node_t *,
		    const char *);

/* Iterate over a mapping's pairs: for (p = start; p < top; p++). */
#define YAMLDOC_PAIRS(n)	((n)->data.mapping.pairs.start)
#define YAMLDOC_PAIRS_END(n)	((n)->data.mapping.pairs.top)
#define YAMLDOC_ITEMS(n)	((n)->data.sequence.items.start)
#define YAMLDOC_ITEMS_END(n)	((n)->data.sequence.items.top)

#endif /* YAMLDOC_H */
