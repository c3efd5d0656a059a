/*
 * rule-int.h: what the rule compiler's and evaluator's files share: syntax
 * trees, static types, values and the built-in function table.
 */
#ifndef RULE_INT_H
#define RULE_INT_H

#include <regex.h>

#include <jansson.h>

#include "rule.h"
#include "yamldoc.h"

#define RULE_MAX_DEPTH		64	/* nesting of an expression */
#define RULE_MAX_ARGS		8	/* of a function or macro */

/*
 * An expression's text and, for every byte of it, where it is in its file:
 * a YAML scalar's value differs from its source (indentation, folding,
 * quotes, escapes), so positions are mapped back.
 */
struct rsrc {
	char		*file;
	char		*text;
	size_t		 len;
	int		*line;		/* per byte, and one past the end */
	int		*col;
};

/* Static types, known at compile time. */
enum rtype {
	RT_ANY,			/* read from a document: known at run time */
	RT_BOOL,
	RT_NUM,
	RT_STR,
	RT_DUR,
	RT_NULL,
	RT_LIST,		/* a list literal or a named list */
};

enum rkind {
	RN_LIT,			/* a constant (lit): string, number, ... */
	RN_DUR,			/* a duration literal (ms) */
	RN_LIST,		/* @name: a named list (lit, borrowed) */
	RN_PATH,		/* root and steps */
	RN_NOT,
	RN_AND,
	RN_OR,
	RN_NEG,
	RN_CMP,			/* op: ==, !=, <, <=, >, >= */
	RN_IN,			/* negate: not in */
	RN_CONTAINS,
	RN_STARTSWITH,
	RN_ENDSWITH,
	RN_MATCHES,
	RN_QUANT,		/* quant: any, all, none, count */
	RN_CALL,		/* a name and arguments; then func or macro */
	RN_MACRO,
	RN_LAMBDA,		/* x => body, only as a quantifier's argument */
};

enum rcmp {
	RC_EQ,
	RC_NE,
	RC_LT,
	RC_LE,
	RC_GT,
	RC_GE,
};

enum rquant {
	RQ_ANY,
	RQ_ALL,
	RQ_NONE,
	RQ_COUNT,
};

enum rroot {
	RR_NAME,		/* a bare name, before it is resolved */
	RR_DOC,			/* the asset's document ($, or a bare path) */
	RR_VAR,			/* a variable (slot) */
	RR_ELEM,		/* @, before it is resolved to a slot */
	RR_CALL,		/* the result of a call */
};

enum rstepkind {
	RS_FIELD,		/* .Name, ["key"] */
	RS_INDEX,		/* [0], [-1] */
	RS_ALL,			/* [*] */
	RS_FILTER,		/* [? cond]: @ is the element */
};

struct rnode;

struct rstep {
	enum rstepkind	 kind;
	char		*key;
	long		 index;
	struct rnode	*filter;
	int		 slot;		/* the filter's element */
	size_t		 off;
};

struct rmacro;
struct rule_func;

struct rnode {
	enum rkind	 kind;
	size_t		 off;		/* in the expression text */
	enum rtype	 type;		/* set by the checker */
	bool		 multi;		/* may have many values */

	int		 op;		/* enum rcmp, enum rquant */
	bool		 negate;	/* not in */
	struct rnode	*a;
	struct rnode	*b;
	json_t		*lit;
	int64_t		 ms;
	regex_t		*re;

	/* RN_PATH */
	enum rroot	 root;
	char		*name;		/* RR_NAME; RN_CALL; RN_LAMBDA var */
	int		 slot;		/* RR_VAR; RN_QUANT, RN_LAMBDA binder */
	struct rnode	*call;		/* RR_CALL */
	struct rstep	*steps;
	size_t		 nsteps;

	/* RN_CALL, RN_MACRO, RN_QUANT */
	const struct rule_func *func;
	struct rmacro	*macro;
	struct rnode	**args;
	size_t		 nargs;
	struct rnode	*body;		/* RN_QUANT, RN_LAMBDA */
};

/* A macro: name(params): body, shared by every rule of a ruleset. */
struct rmacro {
	char		*name;
	char		**params;
	size_t		 nparams;
	struct rnode	*body;
	struct rsrc	*src;
	int		 state;		/* RM_* */
	int		 nslots;
	enum rtype	 type;
	bool		 multi;
	struct rule_ref	*refs;		/* related assets it reads */
	size_t		 nrefs;
	int		 line;
	int		 col;
};
#define RM_UNCHECKED	0
#define RM_CHECKING	1
#define RM_CHECKED	2
#define RM_BROKEN	3

/* A named list. */
struct rlist {
	char		*name;
	json_t		*values;	/* array of scalars */
};

/* A rule's compiled condition. */
struct rule_prog {
	struct rnode	*root;
	int		 nslots;
};

/* rule-parse.c */
struct rsrc	*rsrc_new(const char *, const char *, size_t,
		    const yaml_node_t *);
void		 rsrc_free(struct rsrc *);
void		 rsrc_pos(const struct rsrc *, size_t, int *, int *);
void		 rsrc_error(struct diags *, const struct rsrc *, size_t,
		    const char *, ...) VIGIL_PRINTFLIKE(4, 5);
struct rnode	*rule_parse(const struct rsrc *, struct diags *);
struct rnode	*rnode_new(enum rkind, size_t);
void		 rnode_free(struct rnode *);
char		*rule_path_text(const struct rstep *, size_t);

/* rule-check.c */
struct rcheck_env {
	struct rlist	**lists;
	size_t		  nlists;
	struct rmacro	**macros;
	size_t		  nmacros;
	struct diags	 *diags;
};
int		 rule_check_macro(struct rcheck_env *, struct rmacro *);
int		 rule_check_rule(struct rcheck_env *, struct rule *,
		    struct rnode *, const struct rsrc *);
const char	*rule_suggest(const char *, const char *const *, size_t);

/*
 * Values as the evaluator passes them around.  A value read from a
 * document is RV_JSON (any JSON type, borrowed) or RV_NULL for a path that
 * leads nowhere, with path saying where it was read when evidence is
 * collected; computed values are RV_BOOL, RV_NUM, RV_STR and RV_DUR.
 */
enum rvkind {
	RV_NULL,
	RV_JSON,
	RV_BOOL,
	RV_NUM,
	RV_STR,
	RV_DUR,
};

/* A related asset, at the root of the paths read in its document. */
struct rvasset {
	const char	*type;
	const char	*id;		/* NULL: an account's singleton */
	bool		 found;
};

struct rvpath {
	const struct rvpath	*up;
	const char		*key;	/* a member; NULL: an element or root */
	long			 index;
	const struct rvasset	*asset;	/* at a related asset's root */
	const struct rvpath	*via;	/* and where its id was read */
	bool			 root;
};

struct rv {
	enum rvkind		 kind;
	const json_t		*j;
	const struct rvpath	*path;
	bool			 b;
	double			 n;
	const char		*s;
	int64_t			 ms;
};

struct reval;
typedef int (*reval_cb)(struct reval *, const struct rv *, void *);

void		 reval_value(struct reval *, const struct rnode *, struct rv *);
bool		 reval_cond(struct reval *, const struct rnode *);
int		 reval_items(struct reval *, const struct rnode *, reval_cb,
		    void *);
const json_t	*reval_lookup(struct reval *, const char *, const char *,
		    bool *);
const struct rvpath *reval_asset_root(struct reval *, const char *,
		    const char *, bool, const struct rvpath *);
void		*reval_alloc(struct reval *, size_t);
void		 reval_record(struct reval *, const struct rv *);
int64_t		 reval_now(const struct reval *);
const char	*rv_string(const struct rv *, size_t *);
bool		 rv_number(const struct rv *, double *);
bool		 rv_is_null(const struct rv *);

/* rule-func.c: the built-in functions. */
#define RF_PATHABLE	0x01	/* a path may follow the result */
#define RF_MULTI_RET	0x02	/* many values when the last argument has */

struct rule_func {
	const char	*name;
	const char	*args;		/* one letter an argument */
	enum rtype	 ret;
	int		 flags;
	void		 (*value)(struct reval *, const struct rnode *,
			    struct rv *);
	int		 (*each)(struct reval *, const struct rnode *, reval_cb,
			    void *);
	const char	*doc;
};

const struct rule_func	*rule_func_find(const char *);
const struct rule_func	*rule_func_at(size_t);

#endif /* RULE_INT_H */
