/*
 * ruleset.c: rule files into a ruleset.
 *
 * A rule file is YAML: named lists, macros and rules, every key of a rule
 * an entry in a table (name, kind, required, where it goes).  Every file is
 * read before anything is checked, since lists and macros are shared by all
 * the files loaded together; then the macros and the rules' conditions are
 * checked, and every problem of every file is reported, each as
 * file:line:col, in file order.  A ruleset is all or nothing: with any
 * error, there is none.
 *
 * The rules are indexed by the asset types they apply to, and by the
 * related asset types they read (for dependency fan-out).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "rule-int.h"

#define RULESET_MAX_FILE	(4 * 1024 * 1024)
#define RULESET_MAX_DEPTH	4	/* directories below a rules path */
#define RULE_ID_MAX		128

struct typeidx {
	char			 *type;
	const struct rule	**rules;
	size_t			  n;
};

struct ruleset {
	struct rule	**rules;	/* in load order */
	size_t		  nrules;
	struct rlist	**lists;
	size_t		  nlists;
	struct rmacro	**macros;
	size_t		  nmacros;
	struct typeidx	 *bytype;	/* sorted by type */
	size_t		  nbytype;
	struct typeidx	 *readers;	/* sorted by the related type */
	size_t		  nreaders;
	size_t		  nfiles;
};

/* A rule whose condition is parsed, waiting to be checked. */
struct pending {
	struct rule	*rule;
	struct rnode	*cond;
	struct rsrc	*src;
	bool		 broken;	/* checked for errors, then dropped */
};

/* Where a list or macro was defined, for "already defined" messages. */
struct defined {
	char		*file;
	int		 line;
	int		 col;
};

struct loader {
	struct ruleset	 *rs;
	struct diags	 *diags;
	struct pending	 *pending;
	size_t		  npending;
	struct defined	 *listdefs;	/* parallel to rs->lists */
	char		**files;	/* in load order, for sorting */
	size_t		  nfiles;
	/* The file being read. */
	const char	 *file;
	const char	 *buf;
	size_t		  len;
	struct yamldoc	 *yd;
};

enum rule_key_type {
	RK_ID,
	RK_TEXT,
	RK_SEVERITY,
	RK_TYPES,
	RK_FRAMEWORKS,
	RK_URLS,
	RK_STRINGS,
	RK_BOOL,
	RK_EXPR,
};

#define RK_REQUIRED	0x1

#define OFF(f) offsetof(struct rule, f)
static const struct rule_key {
	const char		*name;
	enum rule_key_type	 type;
	size_t			 off;	/* char *, or char ** with a count */
	size_t			 noff;
	int			 flags;
	const char		*doc;
} rule_keys[] = {
	{ "id", RK_ID, OFF(id), 0, RK_REQUIRED,
	  "unique name: lower case letters, digits, '-', '_' and '.'" },
	{ "title", RK_TEXT, OFF(title), 0, RK_REQUIRED,
	  "one line: what is wrong" },
	{ "description", RK_TEXT, OFF(description), 0, 0,
	  "why it matters" },
	{ "severity", RK_SEVERITY, 0, 0, RK_REQUIRED,
	  "critical, high, medium, low or info" },
	{ "resource", RK_TYPES, OFF(types), OFF(ntypes), 0,
	  "the asset type it applies to (or a list)" },
	{ "resources", RK_TYPES, OFF(types), OFF(ntypes), 0,
	  "the asset types it applies to" },
	{ "frameworks", RK_FRAMEWORKS, 0, 0, 0,
	  "framework: [control ids]" },
	{ "remediation", RK_TEXT, OFF(remediation), 0, 0,
	  "how to fix it" },
	{ "references", RK_URLS, OFF(references), OFF(nreferences), 0,
	  "URLs" },
	{ "condition", RK_EXPR, 0, 0, RK_REQUIRED,
	  "the non-compliant state, in the expression language" },
	{ "enabled", RK_BOOL, 0, 0, 0,
	  "false: loaded and checked, never evaluated" },
	{ "tags", RK_STRINGS, OFF(tags), OFF(ntags), 0,
	  "free-form labels" },
};
#undef OFF

static const char *const file_keys[] = { "lists", "macros", "rules" };

/*
 * Files that live beside the rule packs but are not rules: the event to
 * asset maps (evmap.c).  A directory walk leaves them out; named on their
 * own, they are read as rule files (and fail).
 */
static const char *const not_rule_files[] = { "events.yaml" };

static const char *const severity_names[] = {
	[RULE_INFO] = "info",
	[RULE_LOW] = "low",
	[RULE_MEDIUM] = "medium",
	[RULE_HIGH] = "high",
	[RULE_CRITICAL] = "critical",
};

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

const char *
rule_severity_name(enum rule_severity s)
{
	return severity_names[s];
}

int
rule_severity_parse(const char *s, enum rule_severity *sev)
{
	size_t	 i;

	for (i = 0; i < nitems(severity_names); i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*sev = (enum rule_severity)i;
			return 0;
		}
	}
	return -1;
}

static void
lerr(struct loader *ld, const yaml_node_t *n, const char *fmt, ...)
    VIGIL_PRINTFLIKE(3, 4);

static void
lerr(struct loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag_addv(ld->diags, ld->file, n != NULL ? yamldoc_line(n) : 0,
	    n != NULL ? yamldoc_col(n) : 0, fmt, ap);
	va_end(ap);
}

static void
strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_free(struct rule *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->description);
	strv_free(r->types, r->ntypes);
	for (i = 0; i < r->nframeworks; i++) {
		free(r->frameworks[i].name);
		strv_free(r->frameworks[i].controls,
		    r->frameworks[i].ncontrols);
	}
	free(r->frameworks);
	free(r->remediation);
	strv_free(r->references, r->nreferences);
	strv_free(r->tags, r->ntags);
	free(r->file);
	for (i = 0; i < r->nrefs; i++) {
		free(r->refs[i].type);
		free(r->refs[i].path);
	}
	free(r->refs);
	if (r->prog != NULL) {
		rnode_free(r->prog->root);
		free(r->prog);
	}
	free(r);
}

static void
macro_free(struct rmacro *m)
{
	size_t	 i;

	strv_free(m->params, m->nparams);
	rnode_free(m->body);
	rsrc_free(m->src);
	for (i = 0; i < m->nrefs; i++) {
		free(m->refs[i].type);
		free(m->refs[i].path);
	}
	free(m->refs);
	free(m->name);
	free(m);
}

static void
typeidx_free(struct typeidx *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].rules);
	}
	free(v);
}

void
ruleset_free(struct ruleset *rs)
{
	size_t	 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->nmacros; i++)
		macro_free(rs->macros[i]);
	free(rs->macros);
	for (i = 0; i < rs->nlists; i++) {
		free(rs->lists[i]->name);
		json_decref(rs->lists[i]->values);
		free(rs->lists[i]);
	}
	free(rs->lists);
	typeidx_free(rs->bytype, rs->nbytype);
	typeidx_free(rs->readers, rs->nreaders);
	free(rs);
}

static bool
is_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	}
	return true;
}

/* Keys of a mapping: every key a string, none twice.  Returns 0 or -1. */
static int
mapping_keys_ok(struct loader *ld, yaml_node_t *map)
{
	yaml_node_pair_t	*p, *q;
	const char		*name, *other;
	int			 rc = 0;

	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		if ((name = yamldoc_scalar(yamldoc_node(ld->yd, p->key))) ==
		    NULL) {
			lerr(ld, yamldoc_node(ld->yd, p->key), "a key must be "
			    "a string, not %s", yamldoc_type_name(
			    yamldoc_node(ld->yd, p->key)));
			rc = -1;
			continue;
		}
		for (q = YAMLDOC_PAIRS(map); q < p; q++) {
			other = yamldoc_scalar(yamldoc_node(ld->yd, q->key));
			if (other != NULL && strcmp(other, name) == 0) {
				lerr(ld, yamldoc_node(ld->yd, p->key),
				    "duplicate key '%s'", name);
				rc = -1;
				break;
			}
		}
	}
	return rc;
}

static void
unknown_key(struct loader *ld, const yaml_node_t *kn, const char *what,
    const char *const *names, size_t n)
{
	const char	*name = yamldoc_scalar(kn), *s;

	if ((s = rule_suggest(name, names, n)) != NULL)
		lerr(ld, kn, "unknown key '%s' in %s (did you mean '%s'?)",
		    name, what, s);
	else
		lerr(ld, kn, "unknown key '%s' in %s", name, what);
}

/* A string scalar, non-empty; NULL (with an error) otherwise. */
static const char *
want_string(struct loader *ld, const yaml_node_t *n, const char *what)
{
	const char	*s;

	if ((s = yamldoc_scalar(n)) == NULL || yamldoc_is_null(n)) {
		lerr(ld, n, "%s: expected a string, got %s", what,
		    yamldoc_is_null(n) ? "nothing" : yamldoc_type_name(n));
		return NULL;
	}
	if (*s == '\0') {
		lerr(ld, n, "%s: empty", what);
		return NULL;
	}
	return s;
}

/*
 * A list of strings, or one string standing for a list of one.  check, if
 * set, says what is wrong with one (NULL: nothing).  Returns 0 or -1.
 */
static int
want_strings(struct loader *ld, yaml_node_t *n, const char *what,
    const char *(*check)(const char *), char ***vp, size_t *np)
{
	yaml_node_item_t	*it, one, *first, *last;
	const char		*s, *why;
	char			**v = NULL;
	size_t			  nv = 0;
	int			  rc = 0;

	if (n->type == YAML_SCALAR_NODE && !yamldoc_is_null(n)) {
		one = (int)(n - ld->yd->doc.nodes.start) + 1;
		first = &one;
		last = &one + 1;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		first = YAMLDOC_ITEMS(n);
		last = YAMLDOC_ITEMS_END(n);
	} else {
		lerr(ld, n, "%s: expected a list of strings, got %s", what,
		    yamldoc_is_null(n) ? "nothing" : yamldoc_type_name(n));
		return -1;
	}
	for (it = first; it < last; it++) {
		yaml_node_t *item = yamldoc_node(ld->yd, *it);

		if ((s = want_string(ld, item, what)) == NULL) {
			rc = -1;
			continue;
		}
		if (check != NULL && (why = check(s)) != NULL) {
			lerr(ld, item, "%s: '%s' %s", what, s, why);
			rc = -1;
			continue;
		}
		v = xreallocarray(v, nv + 1, sizeof *v);
		v[nv++] = xstrdup(s);
	}
	if (rc == 0 && nv == 0) {
		lerr(ld, n, "%s: empty list", what);
		rc = -1;
	}
	if (rc != 0) {
		strv_free(v, nv);
		return -1;
	}
	*vp = v;
	*np = nv;
	return 0;
}

static const char *
check_type(const char *s)
{
	if (rule_asset_type_ok(s))
		return NULL;
	return "is not an asset type (like AWS::EC2::SecurityGroup or "
	    "Microsoft.Network/networkSecurityGroups)";
}

static const char *
check_url(const char *s)
{
	if ((strncmp(s, "https://", 8) == 0 && s[8] != '\0') ||
	    (strncmp(s, "http://", 7) == 0 && s[7] != '\0'))
		return NULL;
	return "is not an http:// or https:// URL";
}

static const char *
check_id(const char *s)
{
	size_t	 len = strlen(s);

	if (len > RULE_ID_MAX)
		return "is too long";
	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return "must start with a lower case letter or a digit";
	for (; *s != '\0'; s++) {
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return "may hold only lower case letters, digits, '-', "
			    "'_' and '.'";
	}
	return NULL;
}

/* A YAML scalar as JSON: plain numbers, booleans and null are typed. */
static json_t *
scalar_json(const yaml_node_t *n)
{
	const char	*s = yamldoc_scalar(n);
	char		*end;
	long long	 ll;
	double		 d;
	bool		 b;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(s);
	if (yamldoc_is_null(n))
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "True") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "TRUE") == 0 || strcmp(s, "FALSE") == 0) {
		parse_bool(s, &b);
		return json_boolean(b);
	}
	if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') &&
	    isdigit((unsigned char)s[1]))) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (*end == '\0' && errno == 0)
			return json_integer(ll);
		d = strtod(s, &end);
		if (*end == '\0' && strchr(s, 'x') == NULL)
			return json_real(d);
	}
	return json_string(s);
}

static void
parse_lists(struct loader *ld, yaml_node_t *map)
{
	struct ruleset		*rs = ld->rs;
	struct rlist		*l;
	yaml_node_pair_t	*p;
	yaml_node_item_t	*it;
	yaml_node_t		*kn, *vn, *item;
	const char		*name;
	json_t			*values;
	size_t			 i;
	bool			 ok;

	if (map->type != YAML_MAPPING_NODE) {
		lerr(ld, map, "lists: expected a mapping of names to lists, "
		    "got %s", yamldoc_type_name(map));
		return;
	}
	if (mapping_keys_ok(ld, map) != 0)
		return;
	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		kn = yamldoc_node(ld->yd, p->key);
		vn = yamldoc_node(ld->yd, p->value);
		name = yamldoc_scalar(kn);
		if (!is_name(name)) {
			lerr(ld, kn, "list name '%s': use letters, digits and "
			    "'_'", name);
			continue;
		}
		for (i = 0; i < rs->nlists; i++) {
			if (strcmp(rs->lists[i]->name, name) == 0)
				break;
		}
		if (i < rs->nlists) {
			lerr(ld, kn, "list '%s' is already defined at "
			    "%s:%d:%d", name, ld->listdefs[i].file,
			    ld->listdefs[i].line, ld->listdefs[i].col);
			continue;
		}
		if (vn->type != YAML_SEQUENCE_NODE) {
			lerr(ld, vn, "list '%s': expected a list, got %s", name,
			    yamldoc_type_name(vn));
			continue;
		}
		values = json_array();
		ok = true;
		for (it = YAMLDOC_ITEMS(vn); it < YAMLDOC_ITEMS_END(vn); it++) {
			item = yamldoc_node(ld->yd, *it);
			if (item->type != YAML_SCALAR_NODE) {
				lerr(ld, item, "list '%s': items are strings, "
				    "numbers or booleans, not %s", name,
				    yamldoc_type_name(item));
				ok = false;
				continue;
			}
			json_array_append_new(values, scalar_json(item));
		}
		if (!ok) {
			json_decref(values);
			continue;
		}
		l = xcalloc(1, sizeof *l);
		l->name = xstrdup(name);
		l->values = values;
		rs->lists = xreallocarray(rs->lists, rs->nlists + 1,
		    sizeof *rs->lists);
		ld->listdefs = xreallocarray(ld->listdefs, rs->nlists + 1,
		    sizeof *ld->listdefs);
		ld->listdefs[rs->nlists].file = xstrdup(ld->file);
		ld->listdefs[rs->nlists].line = yamldoc_line(kn);
		ld->listdefs[rs->nlists].col = yamldoc_col(kn);
		rs->lists[rs->nlists++] = l;
	}
}

static bool
reserved_name(const char *name)
{
	static const char *const words[] = { "any", "all", "none", "count",
	    "contains", "startswith", "endswith", "matches", "and", "or",
	    "not", "in", "true", "false", "null" };
	size_t	 i;

	if (rule_func_find(name) != NULL)
		return true;
	for (i = 0; i < nitems(words); i++) {
		if (strcmp(words[i], name) == 0)
			return true;
	}
	return false;
}

/*
 * A macro's key: name, name() or name(a, b).  Fills m's name and params;
 * returns 0, or -1 with an error at the key.
 */
static int
parse_signature(struct loader *ld, yaml_node_t *kn, struct rmacro *m)
{
	const char	*s = yamldoc_scalar(kn), *p = s, *start;
	char		*word;
	size_t		 i;

#define SKIPWS() while (*p == ' ' || *p == '\t') p++
	start = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	m->name = xstrndup(start, (size_t)(p - start));
	if (!is_name(m->name))
		goto bad;
	if (reserved_name(m->name)) {
		lerr(ld, kn, "macro '%s': the name is taken by the language",
		    m->name);
		return -1;
	}
	SKIPWS();
	if (*p == '\0')
		return 0;
	if (*p++ != '(')
		goto bad;
	SKIPWS();
	if (*p == ')') {
		p++;
		goto end;
	}
	for (;;) {
		SKIPWS();
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		word = xstrndup(start, (size_t)(p - start));
		if (!is_name(word) || reserved_name(word)) {
			free(word);
			goto bad;
		}
		for (i = 0; i < m->nparams; i++) {
			if (strcmp(m->params[i], word) == 0) {
				lerr(ld, kn, "macro '%s': parameter '%s' is "
				    "named twice", m->name, word);
				free(word);
				return -1;
			}
		}
		m->params = xreallocarray(m->params, m->nparams + 1,
		    sizeof *m->params);
		m->params[m->nparams++] = word;
		SKIPWS();
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != ')')
			goto bad;
		break;
	}
end:
	SKIPWS();
	if (*p == '\0')
		return 0;
bad:
	lerr(ld, kn, "'%s' is not a macro name (like name, or name(a, b) with "
	    "parameters)", s);
	return -1;
#undef SKIPWS
}

static void
parse_macros(struct loader *ld, yaml_node_t *map)
{
	struct ruleset		*rs = ld->rs;
	struct rmacro		*m;
	yaml_node_pair_t	*p;
	yaml_node_t		*kn, *vn;
	size_t			 i;

	if (map->type != YAML_MAPPING_NODE) {
		lerr(ld, map, "macros: expected a mapping of names to "
		    "expressions, got %s", yamldoc_type_name(map));
		return;
	}
	if (mapping_keys_ok(ld, map) != 0)
		return;
	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		kn = yamldoc_node(ld->yd, p->key);
		vn = yamldoc_node(ld->yd, p->value);
		m = xcalloc(1, sizeof *m);
		m->line = yamldoc_line(kn);
		m->col = yamldoc_col(kn);
		if (parse_signature(ld, kn, m) != 0) {
			macro_free(m);
			continue;
		}
		for (i = 0; i < rs->nmacros; i++) {
			if (strcmp(rs->macros[i]->name, m->name) == 0)
				break;
		}
		if (i < rs->nmacros) {
			lerr(ld, kn, "macro '%s' is already defined at "
			    "%s:%d:%d", m->name, rs->macros[i]->src->file,
			    rs->macros[i]->line, rs->macros[i]->col);
			macro_free(m);
			continue;
		}
		if (want_string(ld, vn, m->name) == NULL) {
			macro_free(m);
			continue;
		}
		m->src = rsrc_new(ld->file, ld->buf, ld->len, vn);
		if ((m->body = rule_parse(m->src, ld->diags)) == NULL) {
			macro_free(m);
			continue;
		}
		rs->macros = xreallocarray(rs->macros, rs->nmacros + 1,
		    sizeof *rs->macros);
		rs->macros[rs->nmacros++] = m;
	}
}

static int
parse_frameworks(struct loader *ld, struct rule *r, yaml_node_t *map)
{
	yaml_node_pair_t	*p;
	struct rule_framework	*f;
	int			 rc = 0;

	if (map->type != YAML_MAPPING_NODE) {
		lerr(ld, map, "frameworks: expected a mapping of frameworks "
		    "to lists of controls, got %s", yamldoc_type_name(map));
		return -1;
	}
	if (mapping_keys_ok(ld, map) != 0)
		return -1;
	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		r->frameworks = xreallocarray(r->frameworks,
		    r->nframeworks + 1, sizeof *r->frameworks);
		f = &r->frameworks[r->nframeworks];
		memset(f, 0, sizeof *f);
		if (want_strings(ld, yamldoc_node(ld->yd, p->value),
		    yamldoc_scalar(yamldoc_node(ld->yd, p->key)), NULL,
		    &f->controls, &f->ncontrols) != 0) {
			rc = -1;
			continue;
		}
		f->name = xstrdup(yamldoc_scalar(yamldoc_node(ld->yd, p->key)));
		r->nframeworks++;
	}
	return rc;
}

/* One key of a rule.  Returns 0, or -1 after an error. */
static int
rule_set(struct loader *ld, struct rule *r, const struct rule_key *k,
    yaml_node_t *vn, struct pending *pd)
{
	const char	*s, *why;
	bool		 b;

	switch (k->type) {
	case RK_ID:
	case RK_TEXT:
		if ((s = want_string(ld, vn, k->name)) == NULL)
			return -1;
		if (k->type == RK_ID && (why = check_id(s)) != NULL) {
			lerr(ld, vn, "id: '%s' %s", s, why);
			return -1;
		}
		*FIELD(r, k->off, char *) = xstrdup(s);
		return 0;
	case RK_SEVERITY:
		if ((s = want_string(ld, vn, k->name)) == NULL)
			return -1;
		if (rule_severity_parse(s, &r->severity) != 0) {
			lerr(ld, vn, "severity: '%s' is not one of critical, "
			    "high, medium, low, info", s);
			return -1;
		}
		return 0;
	case RK_TYPES:
		if (r->types != NULL) {
			lerr(ld, vn, "%s: give resource or resources, not both",
			    k->name);
			return -1;
		}
		return want_strings(ld, vn, k->name, check_type,
		    FIELD(r, k->off, char **), FIELD(r, k->noff, size_t));
	case RK_URLS:
	case RK_STRINGS:
		return want_strings(ld, vn, k->name, k->type == RK_URLS ?
		    check_url : NULL, FIELD(r, k->off, char **),
		    FIELD(r, k->noff, size_t));
	case RK_FRAMEWORKS:
		return parse_frameworks(ld, r, vn);
	case RK_BOOL:
		if ((s = yamldoc_scalar(vn)) == NULL ||
		    parse_bool(s, &b) != 0) {
			lerr(ld, vn, "%s: expected true or false", k->name);
			return -1;
		}
		r->enabled = b;
		return 0;
	case RK_EXPR:
		if (want_string(ld, vn, k->name) == NULL)
			return -1;
		pd->src = rsrc_new(ld->file, ld->buf, ld->len, vn);
		if ((pd->cond = rule_parse(pd->src, ld->diags)) == NULL)
			return -1;
		return 0;
	}
	return -1;
}

static void
parse_rule(struct loader *ld, yaml_node_t *map)
{
	const struct rule_key	*k;
	const char		*names[nitems(rule_keys)], *name;
	yaml_node_pair_t	*p;
	yaml_node_t		*kn, *vn;
	struct rule		*r;
	struct pending		 pd;
	bool			 seen[nitems(rule_keys)], types = false;
	bool			 bad = false;
	size_t			 i;

	if (map->type != YAML_MAPPING_NODE) {
		lerr(ld, map, "a rule is a mapping of keys (id, title, "
		    "severity, resource, condition...), not %s",
		    yamldoc_type_name(map));
		return;
	}
	if (mapping_keys_ok(ld, map) != 0)
		return;
	r = xcalloc(1, sizeof *r);
	r->enabled = true;
	r->file = xstrdup(ld->file);
	r->line = yamldoc_line(map);
	r->col = yamldoc_col(map);
	memset(&pd, 0, sizeof pd);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < nitems(rule_keys); i++)
		names[i] = rule_keys[i].name;
	for (p = YAMLDOC_PAIRS(map); p < YAMLDOC_PAIRS_END(map); p++) {
		kn = yamldoc_node(ld->yd, p->key);
		vn = yamldoc_node(ld->yd, p->value);
		name = yamldoc_scalar(kn);
		for (i = 0; i < nitems(rule_keys); i++) {
			if (strcmp(rule_keys[i].name, name) == 0)
				break;
		}
		if (i == nitems(rule_keys)) {
			unknown_key(ld, kn, "a rule", names, nitems(names));
			bad = true;
			continue;
		}
		k = &rule_keys[i];
		seen[i] = true;
		if (k->type == RK_TYPES)
			types = true;
		if (rule_set(ld, r, k, vn, &pd) != 0)
			bad = true;
	}
	for (i = 0; i < nitems(rule_keys); i++) {
		if (!(rule_keys[i].flags & RK_REQUIRED) || seen[i])
			continue;
		if (r->id != NULL)
			lerr(ld, map, "rule '%s': missing required key '%s'",
			    r->id, rule_keys[i].name);
		else
			lerr(ld, map, "rule: missing required key '%s'",
			    rule_keys[i].name);
		bad = true;
	}
	if (!types) {
		lerr(ld, map, "rule '%s': missing required key 'resource' "
		    "(or resources)", r->id != NULL ? r->id : "");
		bad = true;
	}
	if (bad && pd.cond == NULL) {
		rsrc_free(pd.src);
		rule_free(r);
		return;
	}
	pd.rule = r;
	pd.broken = bad;
	ld->pending = xreallocarray(ld->pending, ld->npending + 1,
	    sizeof *ld->pending);
	ld->pending[ld->npending++] = pd;
}

static void
parse_rules(struct loader *ld, yaml_node_t *seq)
{
	yaml_node_item_t	*it;

	if (seq->type != YAML_SEQUENCE_NODE) {
		lerr(ld, seq, "rules: expected a list of rules, got %s",
		    yamldoc_type_name(seq));
		return;
	}
	for (it = YAMLDOC_ITEMS(seq); it < YAMLDOC_ITEMS_END(seq); it++)
		parse_rule(ld, yamldoc_node(ld->yd, *it));
}

/* Read one rule file: its lists, macros and rules (not yet checked). */
static void
load_buffer(struct loader *ld, const char *file, const char *buf, size_t len)
{
	struct yamldoc		 yd;
	yaml_node_t		*root, *kn, *vn;
	yaml_node_pair_t	*p;
	const char		*name;
	size_t			 i;

	ld->files = xreallocarray(ld->files, ld->nfiles + 1,
	    sizeof *ld->files);
	ld->files[ld->nfiles++] = xstrdup(file);
	ld->rs->nfiles++;
	if (yamldoc_parse(&yd, file, buf, len, ld->diags) != 0) {
		yamldoc_free(&yd);
		return;
	}
	ld->file = file;
	ld->buf = buf;
	ld->len = len;
	ld->yd = &yd;
	root = yamldoc_root(&yd);
	if (root == NULL || yamldoc_is_null(root))
		goto out;	/* an empty file: nothing */
	if (root->type != YAML_MAPPING_NODE) {
		lerr(ld, root, "a rule file is a mapping with lists, macros "
		    "and rules, not %s", yamldoc_type_name(root));
		goto out;
	}
	if (mapping_keys_ok(ld, root) != 0)
		goto out;
	/* Lists first, then macros, then rules, whatever the order. */
	for (i = 0; i < nitems(file_keys); i++) {
		for (p = YAMLDOC_PAIRS(root); p < YAMLDOC_PAIRS_END(root);
		    p++) {
			kn = yamldoc_node(&yd, p->key);
			vn = yamldoc_node(&yd, p->value);
			name = yamldoc_scalar(kn);
			if (i == 0 && strcmp(name, "lists") != 0 &&
			    strcmp(name, "macros") != 0 &&
			    strcmp(name, "rules") != 0)
				unknown_key(ld, kn, "a rule file", file_keys,
				    nitems(file_keys));
			if (strcmp(name, file_keys[i]) != 0 ||
			    yamldoc_is_null(vn))
				continue;
			if (i == 0)
				parse_lists(ld, vn);
			else if (i == 1)
				parse_macros(ld, vn);
			else
				parse_rules(ld, vn);
		}
	}
out:
	ld->yd = NULL;
	ld->file = NULL;
	ld->buf = NULL;
	yamldoc_free(&yd);
}

static void
load_file(struct loader *ld, const char *path)
{
	char	*buf, *cause;
	size_t	 len;

	if ((buf = read_file(path, RULESET_MAX_FILE, &len, &cause)) == NULL) {
		diag_add(ld->diags, NULL, 0, 0, "%s", cause);
		free(cause);
		return;
	}
	load_buffer(ld, path, buf, len);
	free(buf);
}

static bool
is_rule_file(const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 len = strlen(path), i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < nitems(not_rule_files); i++) {
		if (strcmp(base, not_rule_files[i]) == 0)
			return false;
	}
	return (len > 5 && strcmp(path + len - 5, ".yaml") == 0) ||
	    (len > 4 && strcmp(path + len - 4, ".yml") == 0);
}

static void
load_path(struct loader *ld, const char *path)
{
	struct stat	  sb;
	char		**files;
	size_t		  n, i;

	if (stat(path, &sb) != 0) {
		diag_add(ld->diags, path, 0, 0, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		load_file(ld, path);
		return;
	}
	files = dir_files(path, RULESET_MAX_DEPTH, &n);
	for (i = 0; i < n; i++) {
		if (is_rule_file(files[i]))
			load_file(ld, files[i]);
		free(files[i]);
	}
	free(files);
}

static int
typeidx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct typeidx *)a)->type,
	    ((const struct typeidx *)b)->type);
}

static void
typeidx_add(struct typeidx **v, size_t *n, const char *type,
    const struct rule *r)
{
	struct typeidx	*t = NULL;
	size_t		 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i].type, type) == 0) {
			t = &(*v)[i];
			break;
		}
	}
	if (t == NULL) {
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		t = &(*v)[(*n)++];
		t->type = xstrdup(type);
		t->rules = NULL;
		t->n = 0;
	}
	if (t->n > 0 && t->rules[t->n - 1] == r)
		return;
	t->rules = xreallocarray(t->rules, t->n + 1, sizeof *t->rules);
	t->rules[t->n++] = r;
}

static void
build_index(struct ruleset *rs)
{
	const struct rule	*r;
	size_t			 i, j;

	for (i = 0; i < rs->nrules; i++) {
		r = rs->rules[i];
		if (!r->enabled)
			continue;
		for (j = 0; j < r->ntypes; j++)
			typeidx_add(&rs->bytype, &rs->nbytype, r->types[j], r);
		for (j = 0; j < r->nrefs; j++)
			typeidx_add(&rs->readers, &rs->nreaders,
			    r->refs[j].type, r);
	}
	if (rs->nbytype > 1)
		qsort(rs->bytype, rs->nbytype, sizeof *rs->bytype,
		    typeidx_cmp);
	if (rs->nreaders > 1)
		qsort(rs->readers, rs->nreaders, sizeof *rs->readers,
		    typeidx_cmp);
}

/* Diagnostics in file order, then line and column. */
struct sorted {
	struct diag	 d;
	size_t		 file;
	size_t		 seq;
};

static int
sorted_cmp(const void *a, const void *b)
{
	const struct sorted	*x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	if (x->d.col != y->d.col)
		return x->d.col < y->d.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
sort_diags(struct loader *ld, size_t from)
{
	struct diags	*d = ld->diags;
	struct sorted	*v;
	size_t		 i, j, n = d->n - from;

	if (n < 2)
		return;
	v = xcalloc(n, sizeof *v);
	for (i = 0; i < n; i++) {
		v[i].d = d->v[from + i];
		v[i].seq = i;
		v[i].file = ld->nfiles;		/* not a file: last */
		for (j = 0; v[i].d.file != NULL && j < ld->nfiles; j++) {
			if (strcmp(ld->files[j], v[i].d.file) == 0) {
				v[i].file = j;
				break;
			}
		}
	}
	qsort(v, n, sizeof *v, sorted_cmp);
	for (i = 0; i < n; i++)
		d->v[from + i] = v[i].d;
	free(v);
}

static void
loader_free(struct loader *ld)
{
	size_t	 i;

	for (i = 0; i < ld->npending; i++) {
		rule_free(ld->pending[i].rule);
		rnode_free(ld->pending[i].cond);
		rsrc_free(ld->pending[i].src);
	}
	free(ld->pending);
	for (i = 0; i < ld->rs->nlists && ld->listdefs != NULL; i++)
		free(ld->listdefs[i].file);
	free(ld->listdefs);
	strv_free(ld->files, ld->nfiles);
}

/* Check everything read; the ruleset, or NULL if anything is wrong. */
static struct ruleset *
loader_finish(struct loader *ld, size_t before)
{
	struct ruleset		*rs = ld->rs;
	struct rcheck_env	 env;
	struct pending		*pd;
	struct rule		*r;
	size_t			 i, j;

	memset(&env, 0, sizeof env);
	env.lists = rs->lists;
	env.nlists = rs->nlists;
	env.macros = rs->macros;
	env.nmacros = rs->nmacros;
	env.diags = ld->diags;
	for (i = 0; i < rs->nmacros; i++)
		rule_check_macro(&env, rs->macros[i]);
	for (i = 0; i < ld->npending; i++) {
		pd = &ld->pending[i];
		r = pd->rule;
		if (rule_check_rule(&env, r, pd->cond, pd->src) == 0 &&
		    !pd->broken) {
			for (j = 0; j < rs->nrules; j++) {
				if (strcmp(rs->rules[j]->id, r->id) == 0)
					break;
			}
			if (j < rs->nrules) {
				diag_add(ld->diags, r->file, r->line, r->col,
				    "duplicate rule id '%s' (also at "
				    "%s:%d:%d)", r->id, rs->rules[j]->file,
				    rs->rules[j]->line, rs->rules[j]->col);
			}
			rs->rules = xreallocarray(rs->rules, rs->nrules + 1,
			    sizeof *rs->rules);
			rs->rules[rs->nrules++] = r;
		} else
			rule_free(r);
		pd->rule = NULL;
		pd->cond = NULL;	/* the rule's now */
		rsrc_free(pd->src);
		pd->src = NULL;
	}
	/* Messages are written; positions are not needed any more. */
	for (i = 0; i < rs->nmacros; i++) {
		rsrc_free(rs->macros[i]->src);
		rs->macros[i]->src = NULL;
	}
	sort_diags(ld, before);
	if (ld->diags->n != before) {
		loader_free(ld);
		ruleset_free(rs);
		return NULL;
	}
	loader_free(ld);
	build_index(rs);
	return rs;
}

/*
 * Load rule files and directories of rule files (*.yaml, *.yml, below a
 * directory too).  Returns the ruleset, or NULL with every problem in d.
 */
struct ruleset *
ruleset_load(char *const *paths, size_t npaths, struct diags *d)
{
	struct loader	 ld;
	size_t		 i, before = d->n;

	memset(&ld, 0, sizeof ld);
	ld.rs = xcalloc(1, sizeof *ld.rs);
	ld.diags = d;
	for (i = 0; i < npaths; i++)
		load_path(&ld, paths[i]);
	return loader_finish(&ld, before);
}

/* One rule file held in memory; file names it in messages. */
struct ruleset *
ruleset_parse(const char *file, const char *buf, size_t len, struct diags *d)
{
	struct loader	 ld;
	size_t		 before = d->n;

	memset(&ld, 0, sizeof ld);
	ld.rs = xcalloc(1, sizeof *ld.rs);
	ld.diags = d;
	load_buffer(&ld, file, buf, len);
	return loader_finish(&ld, before);
}

size_t
ruleset_count(const struct ruleset *rs)
{
	return rs->nrules;
}

size_t
ruleset_nfiles(const struct ruleset *rs)
{
	return rs->nfiles;
}

const struct rule *
ruleset_rule(const struct ruleset *rs, size_t i)
{
	return i < rs->nrules ? rs->rules[i] : NULL;
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t	 i;

	for (i = 0; i < rs->nrules; i++) {
		if (strcmp(rs->rules[i]->id, id) == 0)
			return rs->rules[i];
	}
	return NULL;
}

static const struct rule *const *
typeidx_find(const struct typeidx *v, size_t n, const char *type,
    size_t *np)
{
	struct typeidx	 key;
	const struct typeidx *t;

	key.type = (char *)(uintptr_t)type;
	*np = 0;
	if (n == 0)
		return NULL;
	t = bsearch(&key, v, n, sizeof *v, typeidx_cmp);
	if (t == NULL)
		return NULL;
	*np = t->n;
	return t->rules;
}

/* The enabled rules that apply to an asset type, in load order. */
const struct rule *const *
ruleset_for_type(const struct ruleset *rs, const char *type, size_t *n)
{
	return typeidx_find(rs->bytype, rs->nbytype, type, n);
}

/* The enabled rules that read related assets of a type. */
const struct rule *const *
ruleset_readers(const struct ruleset *rs, const char *type, size_t *n)
{
	return typeidx_find(rs->readers, rs->nreaders, type, n);
}
