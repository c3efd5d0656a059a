/*
 * rule-eval.c: evaluate a compiled rule over an asset's document, read in
 * place, and say why it holds: the evidence.
 *
 * Values are borrowed from the document (or from a related asset's, which
 * the caller's lookup gives and this file releases at the end); what an
 * evaluation allocates (paths, computed strings, macro frames) comes from
 * an arena freed at the end in one go.
 *
 * Evidence: every single value read from a document by a path is recorded
 * (path and value) while evidence is wanted; each operator then keeps the
 * reads that decided its result: both sides of a true "and", the true side
 * of an "or", the items that made any() true (or the one that made all()
 * false), and so on, and drops the others.  What is left at the end is
 * the evidence of the whole condition, in evaluation order (document order
 * for iterations), without duplicates, bounded in entries and in size.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.h"
#include "rule-int.h"

#define ARENA_CHUNK	8192
#define ARENA_FIRST	2048	/* on the stack: most evaluations fit */
#define READS_MAX	(RULE_EVIDENCE_MAX * 8)

struct chunk {
	struct chunk	*next;
	size_t		 size;
	size_t		 used;
	max_align_t	 data[];
};

struct cached {
	char		*type;
	char		*id;
	json_t		*doc;
};

struct reval {
	const struct rule_asset		*asset;
	const struct rule_lookup	*lookup;
	int64_t				 now;
	bool				 collect;
	struct rv			*frame;

	struct chunk			*chunks;
	size_t				 firstused;

	struct rv			*reads;
	size_t				 nreads;
	size_t				 readcap;
	bool				 dropped;

	struct cached			*cache;
	size_t				 ncache;

	struct rvpath			 docroot;

	/* Last: not cleared for each evaluation. */
	max_align_t			 first[ARENA_FIRST /
					    sizeof(max_align_t)];
};

static void	value(struct reval *, const struct rnode *, struct rv *, bool);
static int	each(struct reval *, const struct rnode *, reval_cb, void *);

void *
reval_alloc(struct reval *ev, size_t size)
{
	struct chunk	*c = ev->chunks;
	size_t		 align = sizeof(max_align_t), csize;
	void		*p;

	size = (size + align - 1) / align * align;
	if (c == NULL && sizeof ev->first - ev->firstused >= size) {
		p = (char *)ev->first + ev->firstused;
		ev->firstused += size;
		return p;
	}
	if (c == NULL || c->size - c->used < size) {
		csize = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		c = xmalloc(sizeof *c + csize);
		c->size = csize;
		c->used = 0;
		c->next = ev->chunks;
		ev->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

int64_t
reval_now(const struct reval *ev)
{
	return ev->now != 0 ? ev->now : now_ms();
}

/* Evidence. */

void
reval_record(struct reval *ev, const struct rv *v)
{
	if (!ev->collect || v->path == NULL)
		return;
	if (ev->nreads == READS_MAX) {
		ev->dropped = true;
		return;
	}
	if (ev->nreads == ev->readcap) {
		ev->readcap = ev->readcap == 0 ? 16 : ev->readcap * 2;
		ev->reads = xreallocarray(ev->reads, ev->readcap,
		    sizeof *ev->reads);
	}
	ev->reads[ev->nreads++] = *v;
}

/* Drop the reads in [from, to), keeping those after. */
static void
reads_drop(struct reval *ev, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(ev->reads + from, ev->reads + to,
	    (ev->nreads - to) * sizeof *ev->reads);
	ev->nreads -= to - from;
}

static const struct rvpath *
path_key(struct reval *ev, const struct rvpath *up, const char *key)
{
	struct rvpath	*p;

	if (!ev->collect)
		return NULL;
	p = reval_alloc(ev, sizeof *p);
	memset(p, 0, sizeof *p);
	p->up = up;
	p->key = key;
	return p;
}

static const struct rvpath *
path_index(struct reval *ev, const struct rvpath *up, long index)
{
	struct rvpath	*p;

	if (!ev->collect)
		return NULL;
	p = reval_alloc(ev, sizeof *p);
	memset(p, 0, sizeof *p);
	p->up = up;
	p->index = index;
	return p;
}

/* The root of paths into a related asset's document. */
const struct rvpath *
reval_asset_root(struct reval *ev, const char *type, const char *id,
    bool found, const struct rvpath *via)
{
	struct rvpath	*p;
	struct rvasset	*a;

	if (!ev->collect)
		return NULL;
	a = reval_alloc(ev, sizeof *a);
	a->type = type;
	a->id = id;
	a->found = found;
	p = reval_alloc(ev, sizeof *p);
	memset(p, 0, sizeof *p);
	p->root = true;
	p->asset = a;
	p->via = via;
	return p;
}

/* Related assets, each asked of the lookup once an evaluation. */
const json_t *
reval_lookup(struct reval *ev, const char *type, const char *id, bool *found)
{
	struct cached	*c;
	json_t		*doc = NULL;
	size_t		 i;

	for (i = 0; i < ev->ncache; i++) {
		c = &ev->cache[i];
		if (strcmp(c->type, type) == 0 &&
		    (id == NULL ? c->id == NULL :
		    c->id != NULL && strcmp(c->id, id) == 0)) {
			*found = c->doc != NULL;
			return c->doc;
		}
	}
	if (ev->lookup != NULL && ev->lookup->get != NULL)
		doc = ev->lookup->get(ev->lookup->ctx, type, id,
		    ev->asset->account, ev->asset->region);
	ev->cache = xreallocarray(ev->cache, ev->ncache + 1, sizeof *ev->cache);
	c = &ev->cache[ev->ncache++];
	c->type = xstrdup(type);
	c->id = id != NULL ? xstrdup(id) : NULL;
	c->doc = doc;
	*found = doc != NULL;
	return doc;
}

/* Values: what they are, as comparisons see them. */

enum sv_kind {
	SV_NULL,
	SV_BOOL,
	SV_NUM,
	SV_STR,
	SV_DUR,
	SV_COMPOUND,
};

struct sv {
	enum sv_kind	 k;
	bool		 b;
	double		 n;
	int64_t		 i;
	bool		 isint;
	const char	*s;
	size_t		 len;
	int64_t		 ms;
	const json_t	*j;
};

static void
sv_of(const struct rv *v, struct sv *o)
{
	memset(o, 0, sizeof *o);
	switch (v->kind) {
	case RV_NULL:
		o->k = SV_NULL;
		return;
	case RV_BOOL:
		o->k = SV_BOOL;
		o->b = v->b;
		return;
	case RV_NUM:
		o->k = SV_NUM;
		o->n = v->n;
		return;
	case RV_STR:
		o->k = SV_STR;
		o->s = v->s;
		o->len = strlen(v->s);
		return;
	case RV_DUR:
		o->k = SV_DUR;
		o->ms = v->ms;
		return;
	case RV_JSON:
		break;
	}
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		o->k = SV_COMPOUND;
		o->j = v->j;
		break;
	case JSON_STRING:
		o->k = SV_STR;
		o->s = json_string_value(v->j);
		o->len = json_string_length(v->j);
		break;
	case JSON_INTEGER:
		o->k = SV_NUM;
		o->isint = true;
		o->i = json_integer_value(v->j);
		o->n = (double)o->i;
		break;
	case JSON_REAL:
		o->k = SV_NUM;
		o->n = json_real_value(v->j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		o->k = SV_BOOL;
		o->b = json_is_true(v->j);
		break;
	default:
		o->k = SV_NULL;
		break;
	}
}

/* A number written in a string: -?[0-9]+(.[0-9]+)?, nothing else. */
static bool
str_number(const char *s, size_t len, struct sv *o)
{
	size_t		 i = 0, digits = 0;
	bool		 frac = false;
	char		 buf[64];
	char		*end;

	if (len == 0 || len >= sizeof buf)
		return false;
	if (s[i] == '-')
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (digits == 0)
		return false;
	if (i < len && s[i] == '.') {
		frac = true;
		digits = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return false;
	}
	if (i != len)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	o->k = SV_NUM;
	o->n = strtod(buf, NULL);
	o->isint = false;
	if (!frac && len < 19) {
		o->isint = true;
		o->i = strtoll(buf, &end, 10);
	}
	return true;
}

static bool
sv_num(const struct sv *a, struct sv *o)
{
	if (a->k == SV_NUM) {
		*o = *a;
		return true;
	}
	if (a->k == SV_STR)
		return str_number(a->s, a->len, o);
	return false;
}

static bool
sv_bool(const struct sv *a, bool *b)
{
	if (a->k == SV_BOOL) {
		*b = a->b;
		return true;
	}
	if (a->k != SV_STR)
		return false;
	if (a->len == 4 && strncasecmp(a->s, "true", 4) == 0)
		*b = true;
	else if (a->len == 5 && strncasecmp(a->s, "false", 5) == 0)
		*b = false;
	else
		return false;
	return true;
}

static bool
sv_dur(const struct sv *a, int64_t *ms)
{
	const char	*why;
	struct sv	 n;

	if (a->k == SV_DUR) {
		*ms = a->ms;
		return true;
	}
	if (sv_num(a, &n)) {
		*ms = (int64_t)(n.n * 1000);	/* seconds */
		return true;
	}
	if (a->k == SV_STR && strlen(a->s) == a->len)
		return parse_duration(a->s, ms, &why) == 0;
	return false;
}

static int
num_cmp(const struct sv *a, const struct sv *b)
{
	if (a->isint && b->isint)
		return a->i < b->i ? -1 : a->i > b->i;
	return a->n < b->n ? -1 : a->n > b->n;
}

static bool
sv_equal(const struct sv *a, const struct sv *b)
{
	struct sv	 x, y;
	int64_t		 mx, my;
	bool		 bx, by;

	if (a->k == SV_NULL || b->k == SV_NULL)
		return a->k == b->k;
	if (a->k == SV_DUR || b->k == SV_DUR)
		return sv_dur(a, &mx) && sv_dur(b, &my) && mx == my;
	if (a->k == SV_BOOL || b->k == SV_BOOL)
		return sv_bool(a, &bx) && sv_bool(b, &by) && bx == by;
	if (a->k == SV_NUM || b->k == SV_NUM)
		return sv_num(a, &x) && sv_num(b, &y) && num_cmp(&x, &y) == 0;
	if (a->k == SV_STR && b->k == SV_STR)
		return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	if (a->k == SV_COMPOUND && b->k == SV_COMPOUND)
		return json_equal((json_t *)(uintptr_t)a->j,
		    (json_t *)(uintptr_t)b->j);
	return false;
}

/* -1, 0 or 1; 2 when the values cannot be ordered. */
static int
sv_order(const struct sv *a, const struct sv *b)
{
	struct sv	 x, y;
	int64_t		 mx, my;
	size_t		 len;
	int		 c;

	if (a->k == SV_NULL || b->k == SV_NULL || a->k == SV_BOOL ||
	    b->k == SV_BOOL || a->k == SV_COMPOUND || b->k == SV_COMPOUND)
		return 2;
	if (a->k == SV_DUR || b->k == SV_DUR) {
		if (!sv_dur(a, &mx) || !sv_dur(b, &my))
			return 2;
		return mx < my ? -1 : mx > my;
	}
	if (a->k == SV_NUM || b->k == SV_NUM) {
		if (!sv_num(a, &x) || !sv_num(b, &y))
			return 2;
		return num_cmp(&x, &y);
	}
	len = a->len < b->len ? a->len : b->len;
	if ((c = memcmp(a->s, b->s, len)) != 0)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool
rv_equal(const struct rv *a, const struct rv *b)
{
	struct sv	 x, y;

	sv_of(a, &x);
	sv_of(b, &y);
	return sv_equal(&x, &y);
}

static bool
rv_compare(const struct rv *a, const struct rv *b, enum rcmp op)
{
	struct sv	 x, y;
	int		 c;

	sv_of(a, &x);
	sv_of(b, &y);
	switch (op) {
	case RC_EQ:
		return sv_equal(&x, &y);
	case RC_NE:
		return !sv_equal(&x, &y);
	default:
		break;
	}
	if ((c = sv_order(&x, &y)) == 2)
		return false;
	switch (op) {
	case RC_LT:
		return c < 0;
	case RC_LE:
		return c <= 0;
	case RC_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

/* True is true, or a string "true" in any case; nothing else is. */
static bool
rv_truthy(const struct rv *v)
{
	struct sv	 x;
	bool		 b;

	sv_of(v, &x);
	return sv_bool(&x, &b) && b;
}

const char *
rv_string(const struct rv *v, size_t *len)
{
	if (v->kind == RV_STR) {
		*len = strlen(v->s);
		return v->s;
	}
	if (v->kind == RV_JSON && json_is_string(v->j)) {
		*len = json_string_length(v->j);
		return json_string_value(v->j);
	}
	return NULL;
}

bool
rv_number(const struct rv *v, double *d)
{
	struct sv	 x, y;

	sv_of(v, &x);
	if (!sv_num(&x, &y))
		return false;
	*d = y.isint ? (double)y.i : y.n;
	return true;
}

bool
rv_is_null(const struct rv *v)
{
	return v->kind == RV_NULL || (v->kind == RV_JSON && json_is_null(v->j));
}

/* Paths. */

static void
rv_json(struct rv *v, const json_t *j, const struct rvpath *path)
{
	memset(v, 0, sizeof *v);
	v->kind = j != NULL ? RV_JSON : RV_NULL;
	v->j = j;
	v->path = path;
}

/* One field or index step from a single value; null if it leads nowhere. */
static void
step_one(struct reval *ev, struct rv *v, const struct rstep *st)
{
	const json_t	*j = v->kind == RV_JSON ? v->j : NULL, *m = NULL;
	long		 idx = st->index;
	size_t		 size;

	switch (st->kind) {
	case RS_FIELD:
		if (j != NULL && json_is_object(j))
			m = json_object_get(j, st->key);
		rv_json(v, m, path_key(ev, v->path, st->key));
		return;
	case RS_INDEX:
		if (j != NULL && json_is_array(j)) {
			size = json_array_size(j);
			if (idx < 0)
				idx += (long)size;
			if (idx >= 0 && (size_t)idx < size)
				m = json_array_get(j, (size_t)idx);
		}
		rv_json(v, m, path_index(ev, v->path, idx));
		return;
	default:
		rv_json(v, NULL, NULL);	/* many values: not here */
		return;
	}
}

static void
path_root(struct reval *ev, const struct rnode *n, struct rv *v)
{
	switch (n->root) {
	case RR_VAR:
		*v = ev->frame[n->slot];
		break;
	case RR_CALL:
		value(ev, n->call, v, false);
		break;
	default:
		rv_json(v, ev->asset->doc, ev->collect ? &ev->docroot : NULL);
		break;
	}
}

/* Walk the steps from i on; every value they lead to, to cb. */
static int
walk(struct reval *ev, const struct rv *v, const struct rnode *n, size_t i,
    reval_cb cb, void *arg)
{
	const struct rstep	*st;
	const json_t		*j, *m;
	const char		*key;
	struct rv		 w, saved;
	size_t			 k, mark;
	bool			 ok;
	int			 rc;

	if (rv_is_null(v))
		return 0;
	if (i == n->nsteps)
		return cb(ev, v, arg);
	st = &n->steps[i];
	j = v->kind == RV_JSON ? v->j : NULL;
	switch (st->kind) {
	case RS_FIELD:
	case RS_INDEX:
		w = *v;
		step_one(ev, &w, st);
		return walk(ev, &w, n, i + 1, cb, arg);
	case RS_ALL:
		if (j != NULL && json_is_array(j)) {
			for (k = 0; k < json_array_size(j); k++) {
				rv_json(&w, json_array_get(j, k),
				    path_index(ev, v->path, (long)k));
				if ((rc = walk(ev, &w, n, i + 1, cb, arg)) != 0)
					return rc;
			}
		} else if (j != NULL && json_is_object(j)) {
			json_object_foreach((json_t *)(uintptr_t)j, key, m) {
				rv_json(&w, m, path_key(ev, v->path, key));
				if ((rc = walk(ev, &w, n, i + 1, cb, arg)) != 0)
					return rc;
			}
		}
		return 0;
	case RS_FILTER:
		if (j == NULL || !json_is_array(j))
			return 0;
		for (k = 0; k < json_array_size(j); k++) {
			rv_json(&w, json_array_get(j, k),
			    path_index(ev, v->path, (long)k));
			saved = ev->frame[st->slot];
			ev->frame[st->slot] = w;
			mark = ev->nreads;
			ok = reval_cond(ev, st->filter);
			ev->frame[st->slot] = saved;
			if (!ok) {
				ev->nreads = mark;
				continue;
			}
			if ((rc = walk(ev, &w, n, i + 1, cb, arg)) != 0)
				return rc;
		}
		return 0;
	}
	return 0;
}

struct path_each {
	const struct rnode	*n;
	reval_cb		 cb;
	void			*arg;
};

static int
path_each_cb(struct reval *ev, const struct rv *v, void *arg)
{
	struct path_each	*pe = arg;

	return walk(ev, v, pe->n, 0, pe->cb, pe->arg);
}

/* Every value of a path with many values. */
static int
path_each(struct reval *ev, const struct rnode *n, reval_cb cb, void *arg)
{
	struct path_each	 pe;
	struct rv		 v;

	if (n->root == RR_CALL && n->call->multi) {
		pe.n = n;
		pe.cb = cb;
		pe.arg = arg;
		return each(ev, n->call, path_each_cb, &pe);
	}
	path_root(ev, n, &v);
	return walk(ev, &v, n, 0, cb, arg);
}

/*
 * Macros: arguments into a new frame, then the body.  An argument is not
 * evidence by itself; what the body reads of it is.
 */
static struct rv *
macro_enter(struct reval *ev, const struct rnode *n)
{
	struct rv	*frame, *saved = ev->frame;
	size_t		 i;

	frame = reval_alloc(ev, ((size_t)n->macro->nslots + 1) * sizeof *frame);
	memset(frame, 0, ((size_t)n->macro->nslots + 1) * sizeof *frame);
	for (i = 0; i < n->nargs; i++)
		value(ev, n->args[i], &frame[i], false);
	ev->frame = frame;
	return saved;
}

/*
 * A macro's values go to its caller's callback, which runs in the caller's
 * frame: its variables are not the macro's.
 */
struct macro_each {
	struct rv	*caller;
	struct rv	*inner;
	reval_cb	 cb;
	void		*arg;
};

static int
macro_each_cb(struct reval *ev, const struct rv *v, void *arg)
{
	struct macro_each	*me = arg;
	int			 rc;

	ev->frame = me->caller;
	rc = me->cb(ev, v, me->arg);
	ev->frame = me->inner;
	return rc;
}

/* Every value of an expression with many values. */
static int
each(struct reval *ev, const struct rnode *n, reval_cb cb, void *arg)
{
	struct macro_each	 me;
	struct rv		*saved, v;
	int			 rc;

	switch (n->kind) {
	case RN_PATH:
		return path_each(ev, n, cb, arg);
	case RN_CALL:
		if (n->func->each != NULL)
			return n->func->each(ev, n, cb, arg);
		break;
	case RN_MACRO:
		saved = macro_enter(ev, n);
		me.caller = saved;
		me.inner = ev->frame;
		me.cb = cb;
		me.arg = arg;
		rc = each(ev, n->macro->body, macro_each_cb, &me);
		ev->frame = saved;
		return rc;
	default:
		break;
	}
	value(ev, n, &v, false);
	return rv_is_null(&v) ? 0 : cb(ev, &v, arg);
}

/* A collection's items: its values, with lists opened one level. */
struct items {
	reval_cb	 cb;
	void		*arg;
};

static int
items_cb(struct reval *ev, const struct rv *v, void *arg)
{
	struct items	*it = arg;
	struct rv	 w;
	size_t		 k;
	int		 rc;

	if (rv_is_null(v))
		return 0;
	if (v->kind != RV_JSON || !json_is_array(v->j))
		return it->cb(ev, v, it->arg);
	for (k = 0; k < json_array_size(v->j); k++) {
		rv_json(&w, json_array_get(v->j, k),
		    v->path != NULL ? path_index(ev, v->path, (long)k) : NULL);
		if (rv_is_null(&w))
			continue;
		if ((rc = it->cb(ev, &w, it->arg)) != 0)
			return rc;
	}
	return 0;
}

int
reval_items(struct reval *ev, const struct rnode *n, reval_cb cb, void *arg)
{
	struct items	 it;
	struct rv	 v;

	it.cb = cb;
	it.arg = arg;
	if (n->multi)
		return each(ev, n, items_cb, &it);
	value(ev, n, &v, false);
	return items_cb(ev, &v, &it);
}

/* Quantifiers. */

struct quant {
	const struct rnode	*n;
	size_t			 start;
	size_t			 nitems;
	size_t			 count;
	bool			 found;
};

static int
quant_cb(struct reval *ev, const struct rv *item, void *arg)
{
	struct quant		*q = arg;
	const struct rnode	*n = q->n;
	size_t			 mark = ev->nreads;
	bool			 r;

	q->nitems++;
	ev->frame[n->slot] = *item;
	r = n->body != NULL ? reval_cond(ev, n->body) : true;
	switch (n->op) {
	case RQ_ANY:
	case RQ_NONE:
		if (!r) {
			if (q->found)
				ev->nreads = mark;
			return 0;
		}
		if (!q->found) {
			/* The first witness: what failed before goes. */
			reads_drop(ev, q->start, mark);
			q->found = true;
		}
		/* With evidence wanted, every witness (up to a point). */
		return !ev->collect ||
		    ev->nreads - q->start >= RULE_EVIDENCE_MAX;
	case RQ_ALL:
		if (r)
			return 0;
		reads_drop(ev, q->start, mark);
		q->found = true;	/* a counterexample */
		return 1;
	default:
		if (r)
			q->count++;
		else
			ev->nreads = mark;
		return 0;
	}
}

static int64_t
quant(struct reval *ev, const struct rnode *n)
{
	struct quant	 q;
	struct rv	 src;

	memset(&q, 0, sizeof q);
	q.n = n;
	q.start = ev->nreads;
	reval_items(ev, n->a, quant_cb, &q);
	if (q.nitems == 0 && ev->collect && !n->a->multi) {
		/* Nothing to look at: show that there was nothing. */
		value(ev, n->a, &src, true);
	}
	switch (n->op) {
	case RQ_ANY:
		return q.found;
	case RQ_NONE:
		return !q.found;
	case RQ_ALL:
		return !q.found;
	default:
		return (int64_t)q.count;
	}
}

/* Membership. */

struct member {
	struct rv	 x;
	bool		 found;
};

static int
member_cb(struct reval *ev, const struct rv *item, void *arg)
{
	struct member	*m = arg;

	if (!rv_equal(&m->x, item))
		return 0;
	reval_record(ev, item);
	m->found = true;
	return 1;
}

static bool
eval_in(struct reval *ev, const struct rnode *n)
{
	struct member	 m;

	memset(&m, 0, sizeof m);
	value(ev, n->a, &m.x, true);
	reval_items(ev, n->b, member_cb, &m);
	return n->negate ? !m.found : m.found;
}

static bool
eval_contains(struct reval *ev, const struct rnode *n)
{
	struct member	 m;
	struct rv	 a;
	const char	*s, *t;
	size_t		 slen, tlen;

	memset(&m, 0, sizeof m);
	if (!n->a->multi && n->a->type != RT_LIST) {
		value(ev, n->a, &a, false);
		if ((s = rv_string(&a, &slen)) != NULL) {
			reval_record(ev, &a);
			value(ev, n->b, &m.x, true);
			if ((t = rv_string(&m.x, &tlen)) == NULL)
				return false;
			return memmem(s, slen, t, tlen) != NULL;
		}
	}
	value(ev, n->b, &m.x, true);
	reval_items(ev, n->a, member_cb, &m);
	return m.found;
}

static bool
eval_affix(struct reval *ev, const struct rnode *n)
{
	struct rv	 a, b;
	const char	*s, *t;
	size_t		 slen, tlen;

	value(ev, n->a, &a, true);
	value(ev, n->b, &b, true);
	if ((s = rv_string(&a, &slen)) == NULL ||
	    (t = rv_string(&b, &tlen)) == NULL || tlen > slen)
		return false;
	if (n->kind == RN_STARTSWITH)
		return memcmp(s, t, tlen) == 0;
	return memcmp(s + slen - tlen, t, tlen) == 0;
}

static bool
eval_matches(struct reval *ev, const struct rnode *n)
{
	struct rv	 a;
	const char	*s;
	size_t		 len;

	value(ev, n->a, &a, true);
	if (n->re == NULL || (s = rv_string(&a, &len)) == NULL ||
	    strlen(s) != len)
		return false;
	return regexec(n->re, s, 0, NULL, 0) == 0;
}

bool
reval_cond(struct reval *ev, const struct rnode *n)
{
	struct rv	 a, b;
	size_t		 m, m2;

	switch (n->kind) {
	case RN_NOT:
		return !reval_cond(ev, n->a);
	case RN_AND:
		m = ev->nreads;
		if (!reval_cond(ev, n->a))
			return false;
		m2 = ev->nreads;
		if (reval_cond(ev, n->b))
			return true;
		reads_drop(ev, m, m2);	/* false because of b alone */
		return false;
	case RN_OR:
		m = ev->nreads;
		if (reval_cond(ev, n->a))
			return true;
		m2 = ev->nreads;
		if (!reval_cond(ev, n->b))
			return false;
		reads_drop(ev, m, m2);
		return true;
	case RN_CMP:
		value(ev, n->a, &a, true);
		value(ev, n->b, &b, true);
		return rv_compare(&a, &b, (enum rcmp)n->op);
	case RN_IN:
		return eval_in(ev, n);
	case RN_CONTAINS:
		return eval_contains(ev, n);
	case RN_STARTSWITH:
	case RN_ENDSWITH:
		return eval_affix(ev, n);
	case RN_MATCHES:
		return eval_matches(ev, n);
	case RN_QUANT:
		return quant(ev, n) != 0;
	default:
		value(ev, n, &a, true);
		return rv_truthy(&a);
	}
}

static int
first_cb(struct reval *ev, const struct rv *v, void *arg)
{
	*(struct rv *)arg = *v;
	return 1;
}

/* The value of a single-valued expression; rec: record a path's read. */
static void
value(struct reval *ev, const struct rnode *n, struct rv *out, bool rec)
{
	struct rv	*saved, a;
	size_t		 i;

	switch (n->kind) {
	case RN_LIT:
	case RN_LIST:
		rv_json(out, n->lit, NULL);
		return;
	case RN_DUR:
		memset(out, 0, sizeof *out);
		out->kind = RV_DUR;
		out->ms = n->ms;
		return;
	case RN_PATH:
		if (n->multi) {
			/* Not from a checked rule; the first value, then. */
			rv_json(out, NULL, NULL);
			each(ev, n, first_cb, out);
		} else {
			path_root(ev, n, out);
			for (i = 0; i < n->nsteps; i++)
				step_one(ev, out, &n->steps[i]);
		}
		if (rec)
			reval_record(ev, out);
		return;
	case RN_NEG:
		value(ev, n->a, &a, rec);
		memset(out, 0, sizeof *out);
		if (a.kind == RV_DUR) {
			out->kind = RV_DUR;
			out->ms = -a.ms;
		} else if (rv_number(&a, &out->n)) {
			out->kind = RV_NUM;
			out->n = -out->n;
		} else
			out->kind = RV_NULL;
		return;
	case RN_QUANT:
		memset(out, 0, sizeof *out);
		if (n->op == RQ_COUNT) {
			out->kind = RV_NUM;
			out->n = (double)quant(ev, n);
		} else {
			out->kind = RV_BOOL;
			out->b = reval_cond(ev, n);
		}
		return;
	case RN_CALL:
		n->func->value(ev, n, out);
		return;
	case RN_MACRO:
		saved = macro_enter(ev, n);
		value(ev, n->macro->body, out, rec);
		ev->frame = saved;
		return;
	default:
		memset(out, 0, sizeof *out);
		out->kind = RV_BOOL;
		out->b = reval_cond(ev, n);
		return;
	}
}

void
reval_value(struct reval *ev, const struct rnode *n, struct rv *out)
{
	value(ev, n, out, true);
}

/* Evidence as JSON. */

static bool
is_ident(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return false;
	for (s++; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	}
	return true;
}

/* A path as text, and the related asset it starts at (or NULL). */
static char *
path_string(const struct rvpath *p, const struct rvpath **rootp)
{
	const struct rvpath	*v[256];
	size_t			 n = 0, i;
	char			*s = xstrdup(""), *t, *q;
	json_t			*js;

	for (; p != NULL && !p->root; p = p->up) {
		if (n == nitems(v))
			break;
		v[n++] = p;
	}
	*rootp = p;
	for (i = n; i > 0; i--) {
		p = v[i - 1];
		if (p->key == NULL)
			t = xprintf("%s[%ld]", s, p->index);
		else if (is_ident(p->key))
			t = xprintf("%s%s%s", s, *s != '\0' ? "." : "", p->key);
		else {
			js = json_string(p->key);
			q = json_dumps(js, JSON_ENCODE_ANY);
			t = xprintf("%s[%s]", s, q != NULL ? q : "\"\"");
			free(q);
			json_decref(js);
		}
		free(s);
		s = t;
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("$");
	}
	return s;
}

/* A value for the evidence, bounded in size. */
static json_t *
evidence_value(const struct rv *v)
{
	const char	*s;
	char		*dump;
	size_t		 len, cut;
	json_t		*out;

	if (v->kind != RV_JSON)
		return json_null();
	if (json_is_string(v->j)) {
		s = json_string_value(v->j);
		len = json_string_length(v->j);
		if (len <= RULE_EVIDENCE_VALUE_MAX)
			return json_deep_copy(v->j);
		cut = RULE_EVIDENCE_VALUE_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		dump = xprintf("%.*s...", (int)cut, s);
		out = json_string(dump);
		free(dump);
		return out;
	}
	if (!json_is_array(v->j) && !json_is_object(v->j))
		return json_deep_copy(v->j);
	dump = json_dumps(v->j, JSON_COMPACT);
	if (dump != NULL && strlen(dump) <= RULE_EVIDENCE_VALUE_MAX) {
		free(dump);
		return json_deep_copy(v->j);
	}
	free(dump);
	if (json_is_array(v->j))
		dump = xprintf("(a list of %zu items)", json_array_size(v->j));
	else
		dump = xprintf("(an object with %zu keys)",
		    json_object_size(v->j));
	out = json_string(dump);
	free(dump);
	return out;
}

static json_t *
evidence_build(struct reval *ev, bool *truncated)
{
	const struct rvpath	*root, *dummy;
	const struct rvasset	*asset;
	json_t			*arr, *e, *a;
	char			*path, *via, *key, **seen = NULL;
	size_t			 i, j, nseen = 0;

	*truncated = ev->dropped;
	arr = json_array();
	for (i = 0; i < ev->nreads; i++) {
		path = path_string(ev->reads[i].path, &root);
		asset = root != NULL ? root->asset : NULL;
		/* The same read twice is one entry. */
		key = xprintf("%s\037%s\037%s", asset != NULL ? asset->type :
		    "", asset != NULL && asset->id != NULL ? asset->id : "",
		    path);
		for (j = 0; j < nseen; j++) {
			if (strcmp(seen[j], key) == 0)
				break;
		}
		if (j < nseen) {
			free(key);
			free(path);
			continue;
		}
		if (json_array_size(arr) == RULE_EVIDENCE_MAX) {
			*truncated = true;
			free(key);
			free(path);
			break;
		}
		seen = xreallocarray(seen, nseen + 1, sizeof *seen);
		seen[nseen++] = key;
		e = json_object();
		if (asset != NULL) {
			a = json_object();
			json_object_set_new(a, "type",
			    json_string(asset->type));
			json_object_set_new(a, "id", asset->id != NULL ?
			    json_string(asset->id) : json_null());
			json_object_set_new(a, "found",
			    json_boolean(asset->found));
			if (root->via != NULL) {
				via = path_string(root->via, &dummy);
				json_object_set_new(a, "via", json_string(via));
				free(via);
			}
			json_object_set_new(e, "asset", a);
		}
		json_object_set_new(e, "path", json_string(path));
		json_object_set_new(e, "value", evidence_value(&ev->reads[i]));
		json_array_append_new(arr, e);
		free(path);
	}
	for (j = 0; j < nseen; j++)
		free(seen[j]);
	free(seen);
	return arr;
}

/*
 * Evaluate a rule over an asset.  Returns whether the asset violates it.
 * With a result, also the evidence and the related assets read (free it
 * with rule_result_free); without, nothing is collected and evaluation
 * stops as soon as the answer is known.  now is the evaluation's time in
 * milliseconds since the epoch (0: the clock's).
 */
bool
rule_eval(const struct rule *r, const struct rule_asset *asset,
    const struct rule_lookup *lookup, int64_t now, struct rule_result *res)
{
	struct reval	 ev;
	struct chunk	*c;
	size_t		 i;
	bool		 violates;

	memset(&ev, 0, offsetof(struct reval, first));
	ev.asset = asset;
	ev.lookup = lookup;
	ev.now = now;
	ev.collect = res != NULL;
	ev.docroot.root = true;
	ev.frame = reval_alloc(&ev, ((size_t)r->prog->nslots + 1) *
	    sizeof *ev.frame);
	memset(ev.frame, 0, ((size_t)r->prog->nslots + 1) * sizeof *ev.frame);

	violates = reval_cond(&ev, r->prog->root);

	if (res != NULL) {
		memset(res, 0, sizeof *res);
		res->violates = violates;
		if (!violates)
			ev.nreads = 0;
		res->evidence = evidence_build(&ev, &res->truncated);
		if (!violates)
			res->truncated = false;
		if (ev.ncache > 0)
			res->deps = xcalloc(ev.ncache, sizeof *res->deps);
		for (i = 0; i < ev.ncache; i++) {
			res->deps[i].type = ev.cache[i].type;
			res->deps[i].id = ev.cache[i].id;
			res->deps[i].found = ev.cache[i].doc != NULL;
			ev.cache[i].type = ev.cache[i].id = NULL;
		}
		res->ndeps = ev.ncache;
	}

	for (i = 0; i < ev.ncache; i++) {
		free(ev.cache[i].type);
		free(ev.cache[i].id);
		json_decref(ev.cache[i].doc);
	}
	free(ev.cache);
	free(ev.reads);
	while ((c = ev.chunks) != NULL) {
		ev.chunks = c->next;
		free(c);
	}
	return violates;
}

void
rule_result_free(struct rule_result *res)
{
	size_t	 i;

	if (res == NULL)
		return;
	json_decref(res->evidence);
	for (i = 0; i < res->ndeps; i++) {
		free(res->deps[i].type);
		free(res->deps[i].id);
	}
	free(res->deps);
	memset(res, 0, sizeof *res);
}
