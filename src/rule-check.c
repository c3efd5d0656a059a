/*
 * rule-check.c: resolve the names of a parsed expression and check its
 * types, so that a mistake is a message at load time rather than a rule
 * that silently never fires.
 *
 * Names: a bare name at the head of a path is a variable if one of that
 * name is in scope (a quantifier's x => ..., a macro's parameter), a field
 * of the element inside a filter [? ...], and a field of the asset's
 * document otherwise.  A name that is a quantifier's variable elsewhere in
 * the expression but not in scope where it is used is an error: it is
 * almost always a misplaced parenthesis ($.name is the document's field).
 * @name is a named list; name(...) a built-in function or a macro.
 *
 * Types: every expression has a static type (boolean, number, string,
 * duration, null, list, or a document value known only when evaluated) and
 * may have many values (a path with [*] or a filter).  Conditions must be
 * booleans or document values; comparisons take single values and types
 * that can be compared; regular expressions are compiled here, once.
 *
 * The checker also records which related asset types a rule reads, and
 * from which paths of the document, for dependency tracking.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.h"
#include "cidr.h"
#include "rule-int.h"

struct scope {
	const char	*name;		/* NULL: a filter's element (@) */
	int		 slot;
};

struct binder {
	const char	*name;
	size_t		 off;
};

struct checker {
	struct rcheck_env	*env;
	const struct rsrc	*src;
	struct scope		*scope;
	size_t			 nscope;
	int			 nslots;
	char			**slot_abs;	/* where a slot's values are */
	struct binder		*binders;
	size_t			 nbinders;
	struct rule_ref		*refs;
	size_t			 nrefs;
	int			 errors;
};

static const char *const quant_names[] = { "any", "all", "none", "count" };
static const char *const op_names[] = { "contains", "startswith", "endswith",
    "matches" };

static void	check(struct checker *, struct rnode *);

static void
cerr(struct checker *c, size_t off, const char *fmt, ...)
    VIGIL_PRINTFLIKE(3, 4);

static void
cerr(struct checker *c, size_t off, const char *fmt, ...)
{
	va_list	 ap;
	int	 line, col;

	rsrc_pos(c->src, off, &line, &col);
	va_start(ap, fmt);
	diag_addv(c->env->diags, c->src->file, line, col, fmt, ap);
	va_end(ap);
	c->errors++;
}

/* The closest of n names to name, if it is close; NULL otherwise. */
const char *
rule_suggest(const char *name, const char *const *names, size_t n)
{
	size_t	 i, d, best = SIZE_MAX;
	const char	*found = NULL;

	for (i = 0; i < n; i++) {
		d = str_distance(name, names[i]);
		if (d < best) {
			best = d;
			found = names[i];
		}
	}
	if (best <= 2 && best < strlen(name))
		return found;
	return NULL;
}

static const char *
type_name(enum rtype t)
{
	switch (t) {
	case RT_BOOL:
		return "a boolean";
	case RT_NUM:
		return "a number";
	case RT_STR:
		return "a string";
	case RT_DUR:
		return "a duration";
	case RT_NULL:
		return "null";
	case RT_LIST:
		return "a list";
	default:
		return "a value";
	}
}

static void
collect_binders(struct checker *c, const struct rnode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	if (n->kind == RN_LAMBDA) {
		c->binders = xreallocarray(c->binders, c->nbinders + 1,
		    sizeof *c->binders);
		c->binders[c->nbinders].name = n->name;
		c->binders[c->nbinders++].off = n->off;
	}
	collect_binders(c, n->a);
	collect_binders(c, n->b);
	collect_binders(c, n->call);
	collect_binders(c, n->body);
	for (i = 0; i < n->nsteps; i++)
		collect_binders(c, n->steps[i].filter);
	for (i = 0; i < n->nargs; i++)
		collect_binders(c, n->args[i]);
}

static int
new_slot(struct checker *c, char *abs)
{
	c->slot_abs = xreallocarray(c->slot_abs, (size_t)c->nslots + 1,
	    sizeof *c->slot_abs);
	c->slot_abs[c->nslots] = abs;
	return c->nslots++;
}

static void
scope_push(struct checker *c, const char *name, int slot)
{
	c->scope = xreallocarray(c->scope, c->nscope + 1, sizeof *c->scope);
	c->scope[c->nscope].name = name;
	c->scope[c->nscope++].slot = slot;
}

static const struct scope *
scope_find(const struct checker *c, const char *name)
{
	size_t	 i;

	for (i = c->nscope; i > 0; i--) {
		if (c->scope[i - 1].name != NULL &&
		    strcmp(c->scope[i - 1].name, name) == 0)
			return &c->scope[i - 1];
	}
	return NULL;
}

static const struct scope *
scope_filter(const struct checker *c)
{
	size_t	 i;

	for (i = c->nscope; i > 0; i--) {
		if (c->scope[i - 1].name == NULL)
			return &c->scope[i - 1];
	}
	return NULL;
}

/* Join a path's text to more steps. */
static char *
abs_join(const char *base, const char *more)
{
	if (*more == '\0')
		return xstrdup(base);
	if (*base == '\0')
		return xstrdup(more);
	return xprintf("%s%s%s", base, *more == '[' ? "" : ".", more);
}

/*
 * Where in the asset's document the values of n come from, as path text;
 * NULL when they do not come from it (a constant, a related asset, a
 * macro's parameter).
 */
static char *
abs_of(const struct checker *c, const struct rnode *n)
{
	char	*steps, *s;

	if (n->kind != RN_PATH)
		return NULL;
	if (n->root == RR_DOC)
		return rule_path_text(n->steps, n->nsteps);
	if (n->root != RR_VAR || n->slot < 0 || n->slot >= c->nslots ||
	    c->slot_abs[n->slot] == NULL)
		return NULL;
	steps = rule_path_text(n->steps, n->nsteps);
	s = abs_join(c->slot_abs[n->slot], steps);
	free(steps);
	return s;
}

/* The items of a collection: the elements when it is one value. */
static char *
abs_items(const struct checker *c, const struct rnode *n)
{
	char	*s, *t;

	if ((s = abs_of(c, n)) == NULL || n->multi)
		return s;
	t = abs_join(s, "[*]");
	free(s);
	return t;
}

static void
refs_add(struct rule_ref **refs, size_t *nrefs, const char *type,
    const char *path, bool account)
{
	size_t	 i;

	for (i = 0; i < *nrefs; i++) {
		if (strcmp((*refs)[i].type, type) == 0 &&
		    (*refs)[i].account == account &&
		    ((path == NULL && (*refs)[i].path == NULL) ||
		    (path != NULL && (*refs)[i].path != NULL &&
		    strcmp(path, (*refs)[i].path) == 0)))
			return;
	}
	*refs = xreallocarray(*refs, *nrefs + 1, sizeof **refs);
	(*refs)[*nrefs].type = xstrdup(type);
	(*refs)[*nrefs].path = path != NULL ? xstrdup(path) : NULL;
	(*refs)[(*nrefs)++].account = account;
}

/* A condition: a boolean or a document value, one. */
static void
want_cond(struct checker *c, const struct rnode *n)
{
	if (n->multi) {
		cerr(c, n->off, "this may have many values: use any(..., "
		    "x => ...), all(...), exists(...) or empty(...)");
		return;
	}
	if (n->type != RT_BOOL && n->type != RT_ANY)
		cerr(c, n->off, "expected a condition, got %s",
		    type_name(n->type));
}

static bool
want_single(struct checker *c, const struct rnode *n, const char *what)
{
	if (!n->multi)
		return true;
	cerr(c, n->off, "%s takes one value, but this may have many: use "
	    "any(..., x => ...), all(...), 'in' or 'contains'", what);
	return false;
}

static bool
lit_is_number_string(const struct rnode *n)
{
	const char	*s;
	double		 d;
	struct rv	 v;

	if (n->kind != RN_LIT || !json_is_string(n->lit))
		return false;
	s = json_string_value(n->lit);
	memset(&v, 0, sizeof v);
	v.kind = RV_STR;
	v.s = s;
	return rv_number(&v, &d);
}

static bool
lit_is_bool_string(const struct rnode *n)
{
	const char	*s;

	if (n->kind != RN_LIT || !json_is_string(n->lit))
		return false;
	s = json_string_value(n->lit);
	return strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0;
}

/* Can a and b be compared with op, as far as their static types say? */
static void
check_compat(struct checker *c, const struct rnode *n)
{
	const struct rnode	*a = n->a, *b = n->b, *t;
	enum rtype		 ta = a->type, tb = b->type;
	bool			 order = n->op != RC_EQ && n->op != RC_NE;

	if (ta == RT_LIST || tb == RT_LIST) {
		cerr(c, (ta == RT_LIST ? a : b)->off, "a list cannot be "
		    "compared: use 'in' or 'contains'");
		return;
	}
	if (order && (ta == RT_BOOL || ta == RT_NULL || tb == RT_BOOL ||
	    tb == RT_NULL)) {
		cerr(c, n->off, "%s cannot be ordered",
		    type_name(ta == RT_BOOL || ta == RT_NULL ? ta : tb));
		return;
	}
	if (ta == RT_ANY || tb == RT_ANY)
		return;
	if (ta == RT_NULL || tb == RT_NULL)
		return;
	if ((ta == RT_DUR) != (tb == RT_DUR)) {
		cerr(c, n->off, "a duration compares with a duration (like "
		    "90d or 24h), not with %s",
		    type_name(ta == RT_DUR ? tb : ta));
		return;
	}
	if ((ta == RT_BOOL) != (tb == RT_BOOL)) {
		t = ta == RT_BOOL ? b : a;
		if (!lit_is_bool_string(t))
			cerr(c, n->off, "a boolean compares with true or "
			    "false, not with %s", type_name(t->type));
		return;
	}
	if ((ta == RT_NUM) != (tb == RT_NUM)) {
		t = ta == RT_NUM ? b : a;
		if (t->kind == RN_LIT && !lit_is_number_string(t))
			cerr(c, n->off, "a number compares with a number (or "
			    "a number in a string), not with %s",
			    type_name(t->type));
	}
}

static void
check_path(struct checker *c, struct rnode *n)
{
	const struct scope	*sc;
	struct rstep		 st;
	size_t			 i;
	int			 slot;
	char			*abs, *base;

	switch (n->root) {
	case RR_NAME:
		if ((sc = scope_find(c, n->name)) != NULL) {
			n->root = RR_VAR;
			n->slot = sc->slot;
			break;
		}
		sc = scope_filter(c);
		if (sc == NULL) {
			for (i = 0; i < c->nbinders; i++) {
				if (strcmp(c->binders[i].name, n->name) != 0)
					continue;
				cerr(c, n->off, "'%s' is used outside the "
				    "quantifier that names it; for the "
				    "document's field of that name, write "
				    "$.%s", n->name, n->name);
				break;
			}
		}
		/* A field of the element, or of the document. */
		memset(&st, 0, sizeof st);
		st.kind = RS_FIELD;
		st.key = n->name;
		st.off = n->off;
		st.slot = -1;
		n->name = NULL;
		n->steps = xreallocarray(n->steps, n->nsteps + 1,
		    sizeof *n->steps);
		memmove(n->steps + 1, n->steps, n->nsteps * sizeof *n->steps);
		n->steps[0] = st;
		n->nsteps++;
		if (sc != NULL) {
			n->root = RR_VAR;
			n->slot = sc->slot;
		} else
			n->root = RR_DOC;
		break;
	case RR_ELEM:
		if ((sc = scope_filter(c)) == NULL) {
			cerr(c, n->off, "'@' is the element of a filter "
			    "[? ...] and means nothing here");
			n->root = RR_DOC;
		} else {
			n->root = RR_VAR;
			n->slot = sc->slot;
		}
		break;
	case RR_CALL:
		check(c, n->call);
		if (n->call->kind == RN_CALL && n->call->func != NULL &&
		    !(n->call->func->flags & RF_PATHABLE))
			cerr(c, n->off, "a path cannot follow %s(): it returns "
			    "%s", n->call->func->name,
			    type_name(n->call->func->ret));
		else if (n->call->type != RT_ANY)
			cerr(c, n->off, "a path cannot follow this: it is %s",
			    type_name(n->call->type));
		n->multi = n->call->multi;
		break;
	default:
		break;
	}
	for (i = 0; i < n->nsteps; i++) {
		if (n->steps[i].kind == RS_ALL)
			n->multi = true;
		if (n->steps[i].kind != RS_FILTER)
			continue;
		n->multi = true;
		/* The element: where the steps so far lead, each one. */
		abs = NULL;
		if (n->root == RR_DOC || n->root == RR_VAR) {
			base = rule_path_text(n->steps, i);
			if (n->root == RR_DOC)
				abs = abs_join(base, "[*]");
			else if (n->slot >= 0 && c->slot_abs[n->slot] != NULL) {
				char *t = abs_join(c->slot_abs[n->slot], base);
				abs = abs_join(t, "[*]");
				free(t);
			}
			free(base);
		}
		slot = new_slot(c, abs);
		n->steps[i].slot = slot;
		scope_push(c, NULL, slot);
		check(c, n->steps[i].filter);
		want_cond(c, n->steps[i].filter);
		c->nscope--;
	}
	n->type = RT_ANY;
}

static void
check_quant(struct checker *c, struct rnode *n, enum rquant q)
{
	struct rnode	*src, *lambda = NULL;
	const char	*name = quant_names[q];
	size_t		 i;
	int		 slot;

	if (q == RQ_COUNT ? (n->nargs < 1 || n->nargs > 2) : n->nargs != 2) {
		cerr(c, n->off, "%s() takes %s, got %zu argument%s", name,
		    q == RQ_COUNT ? "a list and optionally a condition "
		    "(count(list, x => condition))" : "a list and a condition "
		    "(like any(list, x => condition))", n->nargs,
		    n->nargs == 1 ? "" : "s");
		n->type = q == RQ_COUNT ? RT_NUM : RT_BOOL;
		return;
	}
	src = n->args[0];
	if (n->nargs == 2) {
		lambda = n->args[1];
		if (lambda->kind != RN_LAMBDA) {
			cerr(c, lambda->off, "the second argument of %s() is a "
			    "condition on each item, written x => condition",
			    name);
			lambda = NULL;
		}
	}
	if (src->kind == RN_LAMBDA)
		cerr(c, src->off, "the first argument of %s() is the list "
		    "to look at, not a condition", name);
	else {
		check(c, src);
		if (src->type != RT_ANY && src->type != RT_LIST)
			cerr(c, src->off, "%s() looks at the items of a list "
			    "or a path, not %s", name, type_name(src->type));
	}
	n->kind = RN_QUANT;
	n->op = (int)q;
	n->type = q == RQ_COUNT ? RT_NUM : RT_BOOL;
	n->a = src;
	n->args[0] = NULL;
	slot = new_slot(c, src->kind != RN_LAMBDA ? abs_items(c, src) : NULL);
	n->slot = slot;
	if (lambda != NULL) {
		scope_push(c, lambda->name, slot);
		check(c, lambda->body);
		want_cond(c, lambda->body);
		c->nscope--;
		n->body = lambda->body;
		lambda->body = NULL;
		free(n->name);
		n->name = lambda->name;
		lambda->name = NULL;
	}
	for (i = 0; i < n->nargs; i++)
		rnode_free(n->args[i]);
	free(n->args);
	n->args = NULL;
	n->nargs = 0;
}

static bool
check_string_arg(struct checker *c, const struct rnode *a, const char *fname)
{
	if (a->type == RT_ANY || a->type == RT_STR)
		return true;
	cerr(c, a->off, "%s takes a string, not %s", fname, type_name(a->type));
	return false;
}

static void
check_func(struct checker *c, struct rnode *n, const struct rule_func *f)
{
	struct rnode	*a;
	struct cidr	 cidr;
	size_t		 i, want = strlen(f->args);
	char		*fname, *path;

	fname = xprintf("%s()", f->name);
	n->func = f;
	n->type = f->ret;
	if (n->nargs != want) {
		cerr(c, n->off, "%s takes %zu argument%s, got %zu", fname, want,
		    want == 1 ? "" : "s", n->nargs);
		free(fname);
		return;
	}
	for (i = 0; i < n->nargs; i++) {
		a = n->args[i];
		if (a->kind == RN_LAMBDA) {
			cerr(c, a->off, "'%s => ...' belongs in any(), all(), "
			    "none() or count(), not in %s", a->name, fname);
			continue;
		}
		check(c, a);
		switch (f->args[i]) {
		case 'm':
			break;
		case 't':
			if (a->kind != RN_LIT || !json_is_string(a->lit))
				cerr(c, a->off, "%s takes an asset type as a "
				    "string literal, like "
				    "\"AWS::EC2::SecurityGroup\"", fname);
			else if (!rule_asset_type_ok(json_string_value(a->lit)))
				cerr(c, a->off, "'%s' is not an asset type "
				    "(like AWS::EC2::SecurityGroup or "
				    "Microsoft.Network/networkSecurityGroups)",
				    json_string_value(a->lit));
			break;
		case 'c':
			if (!want_single(c, a, fname) ||
			    !check_string_arg(c, a, fname))
				break;
			if (a->kind == RN_LIT &&
			    cidr_parse(json_string_value(a->lit), &cidr) != 0)
				cerr(c, a->off, "'%s' is not a CIDR block or "
				    "an IP address", json_string_value(a->lit));
			break;
		case 's':
			if (want_single(c, a, fname))
				check_string_arg(c, a, fname);
			break;
		case 'n':
			if (!want_single(c, a, fname))
				break;
			if (a->type != RT_ANY && a->type != RT_NUM &&
			    !lit_is_number_string(a))
				cerr(c, a->off, "%s takes a number, not %s",
				    fname, type_name(a->type));
			break;
		default:
			if (!want_single(c, a, fname))
				break;
			if (a->type == RT_LIST)
				cerr(c, a->off, "%s takes one value, not a "
				    "list", fname);
			break;
		}
	}
	if ((f->flags & RF_MULTI_RET) && n->args[n->nargs - 1]->multi)
		n->multi = true;
	if (strcmp(f->name, "ref") == 0 && n->args[0]->kind == RN_LIT &&
	    json_is_string(n->args[0]->lit)) {
		path = abs_of(c, n->args[1]);
		refs_add(&c->refs, &c->nrefs,
		    json_string_value(n->args[0]->lit), path, false);
		free(path);
	} else if (strcmp(f->name, "account_ref") == 0 &&
	    n->args[0]->kind == RN_LIT && json_is_string(n->args[0]->lit))
		refs_add(&c->refs, &c->nrefs,
		    json_string_value(n->args[0]->lit), NULL, true);
	free(fname);
}

static struct rmacro *
macro_find(const struct rcheck_env *env, const char *name)
{
	size_t	 i;

	for (i = 0; i < env->nmacros; i++) {
		if (strcmp(env->macros[i]->name, name) == 0)
			return env->macros[i];
	}
	return NULL;
}

static void
check_macro_call(struct checker *c, struct rnode *n, struct rmacro *m)
{
	struct rnode	*a;
	size_t		 i;

	n->kind = RN_MACRO;
	n->macro = m;
	n->type = RT_ANY;
	if (m->state == RM_CHECKING) {
		cerr(c, n->off, "macro '%s' cannot be used here: it would use "
		    "itself", m->name);
		return;
	}
	rule_check_macro(c->env, m);
	if (m->state == RM_CHECKED) {
		n->type = m->type;
		n->multi = m->multi;
		for (i = 0; i < m->nrefs; i++)
			refs_add(&c->refs, &c->nrefs, m->refs[i].type,
			    m->refs[i].path, m->refs[i].account);
	}
	if (n->nargs != m->nparams) {
		cerr(c, n->off, "macro '%s' takes %zu argument%s, got %zu",
		    m->name, m->nparams, m->nparams == 1 ? "" : "s", n->nargs);
		return;
	}
	for (i = 0; i < n->nargs; i++) {
		a = n->args[i];
		if (a->kind == RN_LAMBDA) {
			cerr(c, a->off, "'%s => ...' belongs in any(), all(), "
			    "none() or count(), not in a macro's arguments",
			    a->name);
			continue;
		}
		check(c, a);
		if (a->multi)
			cerr(c, a->off, "a macro's argument is one value, but "
			    "this may have many: use the macro inside any(..., "
			    "x => %s(x))", m->name);
	}
}

static void
check_call(struct checker *c, struct rnode *n)
{
	const struct rule_func	*f;
	struct rmacro		*m;
	const char		**names, *s;
	size_t			 i, nn = 0;

	for (i = 0; i < nitems(quant_names); i++) {
		if (strcmp(n->name, quant_names[i]) == 0) {
			check_quant(c, n, (enum rquant)i);
			return;
		}
	}
	for (i = 0; i < nitems(op_names); i++) {
		if (strcmp(n->name, op_names[i]) != 0)
			continue;
		if (n->nargs != 2) {
			cerr(c, n->off, "%s() takes 2 arguments, got %zu "
			    "(or write: a %s b)", n->name, n->nargs, n->name);
			n->type = RT_BOOL;
			return;
		}
		n->kind = i == 0 ? RN_CONTAINS : i == 1 ? RN_STARTSWITH :
		    i == 2 ? RN_ENDSWITH : RN_MATCHES;
		n->a = n->args[0];
		n->b = n->args[1];
		free(n->args);
		n->args = NULL;
		n->nargs = 0;
		check(c, n);
		return;
	}
	if ((f = rule_func_find(n->name)) != NULL) {
		check_func(c, n, f);
		return;
	}
	if ((m = macro_find(c->env, n->name)) != NULL) {
		check_macro_call(c, n, m);
		return;
	}

	n->type = RT_ANY;
	names = xcalloc(nitems(quant_names) + nitems(op_names) + 32 +
	    c->env->nmacros, sizeof *names);
	for (i = 0; i < nitems(quant_names); i++)
		names[nn++] = quant_names[i];
	for (i = 0; i < nitems(op_names); i++)
		names[nn++] = op_names[i];
	for (i = 0; (f = rule_func_at(i)) != NULL && i < 32; i++)
		names[nn++] = f->name;
	for (i = 0; i < c->env->nmacros; i++)
		names[nn++] = c->env->macros[i]->name;
	if ((s = rule_suggest(n->name, names, nn)) != NULL)
		cerr(c, n->off, "unknown function or macro '%s' (did you mean "
		    "'%s'?)", n->name, s);
	else
		cerr(c, n->off, "unknown function or macro '%s'", n->name);
	free(names);
	for (i = 0; i < n->nargs; i++) {
		if (n->args[i]->kind != RN_LAMBDA)
			check(c, n->args[i]);
	}
}

static void
check_list(struct checker *c, struct rnode *n)
{
	const char	**names, *s;
	size_t		  i;

	n->type = RT_LIST;
	for (i = 0; i < c->env->nlists; i++) {
		if (strcmp(c->env->lists[i]->name, n->name) == 0) {
			n->lit = c->env->lists[i]->values;
			return;
		}
	}
	names = xcalloc(c->env->nlists + 1, sizeof *names);
	for (i = 0; i < c->env->nlists; i++)
		names[i] = c->env->lists[i]->name;
	if ((s = rule_suggest(n->name, names, c->env->nlists)) != NULL)
		cerr(c, n->off, "unknown list '@%s' (did you mean '@%s'?)",
		    n->name, s);
	else
		cerr(c, n->off, "unknown list '@%s'", n->name);
	free(names);
}

static void
check_matches(struct checker *c, struct rnode *n)
{
	char	 buf[256];
	int	 rc;

	n->type = RT_BOOL;
	if (want_single(c, n->a, "matches"))
		check_string_arg(c, n->a, "matches");
	if (n->b->kind != RN_LIT || !json_is_string(n->b->lit)) {
		cerr(c, n->b->off, "the pattern of matches is a string "
		    "literal (it is compiled once, when the rule is loaded)");
		return;
	}
	n->re = xcalloc(1, sizeof *n->re);
	if ((rc = regcomp(n->re, json_string_value(n->b->lit),
	    REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, n->re, buf, sizeof buf);
		cerr(c, n->b->off, "bad regular expression: %s", buf);
		free(n->re);
		n->re = NULL;
	}
}

static void
check(struct checker *c, struct rnode *n)
{
	json_t	*v;

	switch (n->kind) {
	case RN_LIT:
		if (json_is_string(n->lit))
			n->type = RT_STR;
		else if (json_is_number(n->lit))
			n->type = RT_NUM;
		else if (json_is_boolean(n->lit))
			n->type = RT_BOOL;
		else if (json_is_array(n->lit))
			n->type = RT_LIST;
		else
			n->type = RT_NULL;
		break;
	case RN_DUR:
		n->type = RT_DUR;
		break;
	case RN_LIST:
		check_list(c, n);
		break;
	case RN_PATH:
		check_path(c, n);
		break;
	case RN_NOT:
		check(c, n->a);
		want_cond(c, n->a);
		n->type = RT_BOOL;
		break;
	case RN_AND:
	case RN_OR:
		check(c, n->a);
		want_cond(c, n->a);
		check(c, n->b);
		want_cond(c, n->b);
		n->type = RT_BOOL;
		break;
	case RN_NEG:
		check(c, n->a);
		n->type = n->a->type == RT_DUR ? RT_DUR : RT_NUM;
		if (!want_single(c, n->a, "'-'"))
			break;
		if (n->a->type != RT_ANY && n->a->type != RT_NUM &&
		    n->a->type != RT_DUR) {
			cerr(c, n->off, "'-' takes a number, not %s",
			    type_name(n->a->type));
			break;
		}
		/* Fold a negative constant. */
		if (n->a->kind == RN_LIT) {
			v = json_is_integer(n->a->lit) ?
			    json_integer(-json_integer_value(n->a->lit)) :
			    json_real(-json_real_value(n->a->lit));
			rnode_free(n->a);
			n->a = NULL;
			n->kind = RN_LIT;
			n->lit = v;
		} else if (n->a->kind == RN_DUR) {
			n->kind = RN_DUR;
			n->ms = -n->a->ms;
			rnode_free(n->a);
			n->a = NULL;
		}
		break;
	case RN_CMP:
		check(c, n->a);
		check(c, n->b);
		n->type = RT_BOOL;
		if (want_single(c, n->a, "a comparison") &&
		    want_single(c, n->b, "a comparison"))
			check_compat(c, n);
		break;
	case RN_IN:
		check(c, n->a);
		check(c, n->b);
		n->type = RT_BOOL;
		if (want_single(c, n->a, "'in'") && n->a->type == RT_LIST)
			cerr(c, n->a->off, "'in' looks for one value in a "
			    "list, not a list");
		if (n->b->type != RT_ANY && n->b->type != RT_LIST)
			cerr(c, n->b->off, "'in' looks in a list, not in %s%s",
			    type_name(n->b->type), n->b->type == RT_STR ?
			    " (for a substring, use contains)" : "");
		break;
	case RN_CONTAINS:
		check(c, n->a);
		check(c, n->b);
		n->type = RT_BOOL;
		if (n->a->type != RT_ANY && n->a->type != RT_LIST &&
		    n->a->type != RT_STR)
			cerr(c, n->a->off, "contains looks in a string or a "
			    "list, not in %s", type_name(n->a->type));
		if (want_single(c, n->b, "contains") && n->b->type == RT_LIST)
			cerr(c, n->b->off, "contains looks for one value, "
			    "not a list");
		break;
	case RN_STARTSWITH:
	case RN_ENDSWITH:
		check(c, n->a);
		check(c, n->b);
		n->type = RT_BOOL;
		if (want_single(c, n->a, n->kind == RN_STARTSWITH ?
		    "startswith" : "endswith"))
			check_string_arg(c, n->a, n->kind == RN_STARTSWITH ?
			    "startswith" : "endswith");
		if (want_single(c, n->b, n->kind == RN_STARTSWITH ?
		    "startswith" : "endswith"))
			check_string_arg(c, n->b, n->kind == RN_STARTSWITH ?
			    "startswith" : "endswith");
		break;
	case RN_MATCHES:
		check(c, n->a);
		check(c, n->b);
		check_matches(c, n);
		break;
	case RN_CALL:
		check_call(c, n);
		break;
	case RN_LAMBDA:
		cerr(c, n->off, "'%s => ...' belongs in any(), all(), none() "
		    "or count()", n->name);
		n->type = RT_BOOL;
		break;
	default:
		break;
	}
}

static void
checker_free(struct checker *c)
{
	int	 i;

	for (i = 0; i < c->nslots; i++)
		free(c->slot_abs[i]);
	free(c->slot_abs);
	free(c->scope);
	free(c->binders);
}

static void
refs_free(struct rule_ref *refs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(refs[i].type);
		free(refs[i].path);
	}
	free(refs);
}

/*
 * Check a macro's body, once: its parameters are variables, each one
 * value.  Errors go to env->diags; the macro is then RM_BROKEN.
 */
int
rule_check_macro(struct rcheck_env *env, struct rmacro *m)
{
	struct checker	 c;
	size_t		 i;

	if (m->state != RM_UNCHECKED)
		return m->state == RM_BROKEN ? -1 : 0;
	m->state = RM_CHECKING;
	memset(&c, 0, sizeof c);
	c.env = env;
	c.src = m->src;
	for (i = 0; i < m->nparams; i++)
		scope_push(&c, m->params[i], new_slot(&c, NULL));
	collect_binders(&c, m->body);
	check(&c, m->body);
	m->type = m->body->type;
	m->multi = m->body->multi;
	m->nslots = c.nslots;
	m->refs = c.refs;
	m->nrefs = c.nrefs;
	m->state = c.errors > 0 ? RM_BROKEN : RM_CHECKED;
	checker_free(&c);
	return c.errors > 0 ? -1 : 0;
}

/*
 * Check a rule's condition and make it the rule's program, with the
 * related assets it reads.  Returns the number of errors (added to
 * env->diags); the tree is the rule's (freed with it) either way.
 */
int
rule_check_rule(struct rcheck_env *env, struct rule *r, struct rnode *root,
    const struct rsrc *src)
{
	struct checker	 c;

	memset(&c, 0, sizeof c);
	c.env = env;
	c.src = src;
	collect_binders(&c, root);
	check(&c, root);
	want_cond(&c, root);
	r->prog = xcalloc(1, sizeof *r->prog);
	r->prog->root = root;
	r->prog->nslots = c.nslots;
	refs_free(r->refs, r->nrefs);
	r->refs = c.refs;
	r->nrefs = c.nrefs;
	checker_free(&c);
	return c.errors;
}

/* The related asset types a rule reads, for dependency tracking. */
const struct rule_ref *
rule_refs(const struct rule *r, size_t *n)
{
	*n = r->nrefs;
	return r->refs;
}
