/*
 * aws-model.c: load a trimmed AWS service model (data/aws/<service>.json,
 * written by tools/trim-models.py) into arrays sorted by name, with every
 * shape reference resolved and its traits merged as botocore merges them
 * (the shape's own serialisation traits, then the reference's over them).
 *
 * Also the paginators' expressions: the small part of JMESPath they use.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aws-model.h"
#include "vigil.h"

#define AWS_MODEL_MAX_SIZE	(64 << 20)

static const struct {
	const char		*name;
	enum aws_type		 type;
} aws_types[] = {
	{ "structure", AWS_TYPE_STRUCTURE },
	{ "list", AWS_TYPE_LIST },
	{ "map", AWS_TYPE_MAP },
	{ "string", AWS_TYPE_STRING },
	{ "character", AWS_TYPE_STRING },
	{ "integer", AWS_TYPE_INTEGER },
	{ "long", AWS_TYPE_LONG },
	{ "float", AWS_TYPE_FLOAT },
	{ "double", AWS_TYPE_DOUBLE },
	{ "boolean", AWS_TYPE_BOOLEAN },
	{ "timestamp", AWS_TYPE_TIMESTAMP },
	{ "blob", AWS_TYPE_BLOB },
};

/* In botocore's order of preference (CBOR, which it also knows, is not). */
static const struct {
	const char		*name;
	enum aws_protocol	 protocol;
} aws_protocols[] = {
	{ "json", AWS_PROTO_JSON },
	{ "rest-json", AWS_PROTO_REST_JSON },
	{ "rest-xml", AWS_PROTO_REST_XML },
	{ "query", AWS_PROTO_QUERY },
	{ "ec2", AWS_PROTO_EC2 },
};

/* Services with one endpoint for the whole partition. */
static const char *const aws_global_services[] = { "iam" };

static const struct {
	const char		*name;
	enum aws_location	 location;
} aws_locations[] = {
	{ "uri", AWS_LOC_URI },
	{ "querystring", AWS_LOC_QUERYSTRING },
	{ "header", AWS_LOC_HEADER },
	{ "headers", AWS_LOC_HEADERS },
	{ "statusCode", AWS_LOC_STATUSCODE },
};

const char *
aws_type_name(enum aws_type t)
{
	size_t	 i;

	for (i = 0; i < nitems(aws_types); i++) {
		if (aws_types[i].type == t)
			return aws_types[i].name;
	}
	return "unknown";
}

const char *
aws_protocol_name(enum aws_protocol p)
{
	size_t	 i;

	for (i = 0; i < nitems(aws_protocols); i++) {
		if (aws_protocols[i].protocol == p)
			return aws_protocols[i].name;
	}
	return "unknown";
}

static int
aws_shape_cmp(const void *a, const void *b)
{
	return strcmp(((const struct aws_shape *)a)->name,
	    ((const struct aws_shape *)b)->name);
}

static int
aws_op_cmp(const void *a, const void *b)
{
	return strcmp(((const struct aws_op *)a)->name,
	    ((const struct aws_op *)b)->name);
}

const struct aws_shape *
aws_model_shape(const struct aws_model *m, const char *name)
{
	struct aws_shape	 key;

	key.name = name;
	return bsearch(&key, m->shapes, m->nshapes, sizeof *m->shapes,
	    aws_shape_cmp);
}

const struct aws_op *
aws_model_op(const struct aws_model *m, const char *name)
{
	struct aws_op	 key;

	key.name = name;
	return bsearch(&key, m->ops, m->nops, sizeof *m->ops, aws_op_cmp);
}

/* A structure's member by name (members are few: a linear search). */
const struct aws_member *
aws_shape_member(const struct aws_shape *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->nmembers; i++) {
		if (strcmp(s->members[i].name, name) == 0)
			return &s->members[i];
	}
	return NULL;
}

static const char *
aws_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Apply the serialisation traits of a shape or a reference. */
static int
aws_traits_apply(struct aws_ref *r, json_t *t, char **cause)
{
	json_t		*v;
	const char	*s;
	size_t		 i;

	if ((s = aws_json_str(t, "locationName")) != NULL)
		r->name = s;
	if ((s = aws_json_str(t, "queryName")) != NULL)
		r->query_name = s;
	if ((s = aws_json_str(t, "resultWrapper")) != NULL)
		r->result_wrapper = s;
	if ((v = json_object_get(t, "flattened")) != NULL)
		r->flattened = json_is_true(v);
	if ((v = json_object_get(t, "xmlAttribute")) != NULL)
		r->xml_attribute = json_is_true(v);
	if ((v = json_object_get(t, "jsonvalue")) != NULL)
		r->jsonvalue = json_is_true(v);
	if ((v = json_object_get(t, "hostLabel")) != NULL)
		r->host_label = json_is_true(v);
	if ((v = json_object_get(t, "streaming")) != NULL)
		r->streaming = json_is_true(v);
	if ((v = json_object_get(t, "xmlNamespace")) != NULL) {
		if (json_is_string(v)) {
			r->xmlns_uri = json_string_value(v);
			r->xmlns_prefix = NULL;
		} else {
			r->xmlns_uri = aws_json_str(v, "uri");
			r->xmlns_prefix = aws_json_str(v, "prefix");
		}
	}
	if ((s = aws_json_str(t, "location")) != NULL) {
		for (i = 0; i < nitems(aws_locations); i++) {
			if (strcmp(s, aws_locations[i].name) == 0)
				break;
		}
		if (i == nitems(aws_locations)) {
			*cause = xprintf("unknown location \"%s\"", s);
			return -1;
		}
		r->location = aws_locations[i].location;
	}
	if ((s = aws_json_str(t, "timestampFormat")) != NULL) {
		if (strcmp(s, "iso8601") == 0)
			r->ts_format = AWS_TSF_ISO8601;
		else if (strcmp(s, "unixTimestamp") == 0)
			r->ts_format = AWS_TSF_UNIX;
		else if (strcmp(s, "rfc822") == 0)
			r->ts_format = AWS_TSF_RFC822;
		else {
			*cause = xprintf("unknown timestampFormat \"%s\"", s);
			return -1;
		}
	}
	return 0;
}

/* Resolve a reference ({"shape": NAME, traits...}). */
static int
aws_ref_init(struct aws_model *m, struct aws_ref *r, json_t *ref,
    char **cause)
{
	const char		*name;
	const struct aws_shape	*s;
	json_t			*shapes;

	memset(r, 0, sizeof *r);
	if ((name = aws_json_str(ref, "shape")) == NULL) {
		*cause = xstrdup("a shape reference without \"shape\"");
		return -1;
	}
	if ((s = aws_model_shape(m, name)) == NULL) {
		*cause = xprintf("no shape \"%s\"", name);
		return -1;
	}
	r->shape = s;
	shapes = json_object_get(m->json, "shapes");
	if (aws_traits_apply(r, json_object_get(shapes, name), cause) != 0 ||
	    aws_traits_apply(r, ref, cause) != 0)
		return -1;
	return 0;
}

static int
aws_shape_init(struct aws_model *m, struct aws_shape *s, json_t *def,
    char **cause)
{
	json_t		*members, *v, *req, *r;
	const char	*k, *payload;
	size_t		 i, j;
	char		*why = NULL;

	if ((v = json_object_get(def, "min")) != NULL &&
	    json_is_integer(v)) {
		s->has_min = true;
		s->min = json_integer_value(v);
	}
	s->exception = json_is_true(json_object_get(def, "exception"));
	s->document = json_is_true(json_object_get(def, "document"));
	s->is_union = json_is_true(json_object_get(def, "union"));
	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		members = json_object_get(def, "members");
		s->nmembers = json_object_size(members);
		s->members = xcalloc(s->nmembers + 1, sizeof *s->members);
		req = json_object_get(def, "required");
		i = 0;
		json_object_foreach(members, k, v) {
			s->members[i].name = k;
			if (aws_ref_init(m, &s->members[i].ref, v, &why) != 0) {
				*cause = xprintf("member %s: %s", k, why);
				free(why);
				return -1;
			}
			json_array_foreach(req, j, r) {
				if (json_is_string(r) &&
				    strcmp(json_string_value(r), k) == 0)
					s->members[i].required = true;
			}
			i++;
		}
		if ((payload = aws_json_str(def, "payload")) != NULL) {
			s->payload = aws_shape_member(s, payload);
			if (s->payload == NULL) {
				*cause = xprintf("no payload member \"%s\"",
				    payload);
				return -1;
			}
		}
		return 0;
	case AWS_TYPE_LIST:
		if (aws_ref_init(m, &s->member, json_object_get(def, "member"),
		    &why) != 0)
			goto fail;
		return 0;
	case AWS_TYPE_MAP:
		if (aws_ref_init(m, &s->key, json_object_get(def, "key"),
		    &why) != 0 || aws_ref_init(m, &s->value,
		    json_object_get(def, "value"), &why) != 0)
			goto fail;
		return 0;
	default:
		return 0;
	}
fail:
	*cause = xprintf("%s: %s", aws_type_name(s->type), why);
	free(why);
	return -1;
}

static int
aws_xml_name_cmp(const void *a, const void *b)
{
	const struct aws_xml_name	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->member < y->member ? -1 : x->member > y->member;
}

/*
 * The name of each member's element in XML (botocore's _member_key_name:
 * a flattened list's items are named after its member's locationName),
 * and the members sorted by it, for one pass over an element's children.
 */
static void
aws_shape_xml_names(struct aws_shape *s)
{
	struct aws_member	*mb;
	const struct aws_ref	*r;
	size_t			 i;

	if (s->type != AWS_TYPE_STRUCTURE)
		return;
	s->xml_names = xcalloc(s->nmembers + 1, sizeof *s->xml_names);
	for (i = 0; i < s->nmembers; i++) {
		mb = &s->members[i];
		r = &mb->ref;
		if (r->shape->type == AWS_TYPE_LIST && r->flattened &&
		    r->shape->member.name != NULL)
			mb->xml_name = r->shape->member.name;
		else
			mb->xml_name = r->name != NULL ? r->name : mb->name;
		s->xml_names[i].name = mb->xml_name;
		s->xml_names[i].member = i;
	}
	qsort(s->xml_names, s->nmembers, sizeof *s->xml_names,
	    aws_xml_name_cmp);
}

static struct aws_expr **
aws_exprs(json_t *v, size_t *n, char **cause)
{
	struct aws_expr	**out;
	json_t		 *e;
	size_t		  i;

	*n = 0;
	if (v == NULL)
		return NULL;
	if (json_is_string(v)) {
		out = xcalloc(1, sizeof *out);
		if ((out[0] = aws_expr_parse(json_string_value(v), cause)) ==
		    NULL) {
			free(out);
			return NULL;
		}
		*n = 1;
		return out;
	}
	out = xcalloc(json_array_size(v) + 1, sizeof *out);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    (out[i] = aws_expr_parse(json_string_value(e), cause)) ==
		    NULL) {
			if (*cause == NULL)
				*cause = xstrdup("an expression is not a "
				    "string");
			while (i > 0)
				aws_expr_free(out[--i]);
			free(out);
			return NULL;
		}
	}
	*n = json_array_size(v);
	return out;
}

static void
aws_paginator_free(struct aws_paginator *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ntokens; i++)
		aws_expr_free(p->output_token[i]);
	free(p->output_token);
	free(p->input_token);
	aws_expr_free(p->more_results);
	for (i = 0; i < p->nresult_keys; i++)
		aws_expr_free(p->result_key[i]);
	free(p->result_key);
	for (i = 0; i < p->nnon_aggregate_keys; i++)
		aws_expr_free(p->non_aggregate_key[i]);
	free(p->non_aggregate_key);
	free(p);
}

static struct aws_paginator *
aws_paginator_new(json_t *def, char **cause)
{
	struct aws_paginator	*p;
	json_t			*in, *e;
	size_t			 i, nout;
	const char		*s;

	p = xcalloc(1, sizeof *p);
	in = json_object_get(def, "input_token");
	if (json_is_string(in)) {
		p->input_token = xcalloc(1, sizeof *p->input_token);
		p->input_token[0] = json_string_value(in);
		p->ntokens = 1;
	} else if (json_is_array(in)) {
		p->input_token = xcalloc(json_array_size(in) + 1,
		    sizeof *p->input_token);
		json_array_foreach(in, i, e) {
			if ((p->input_token[i] = json_string_value(e)) ==
			    NULL) {
				*cause = xstrdup("input_token is not a string");
				goto fail;
			}
		}
		p->ntokens = json_array_size(in);
	} else {
		*cause = xstrdup("no input_token");
		goto fail;
	}
	p->output_token = aws_exprs(json_object_get(def, "output_token"),
	    &nout, cause);
	if (*cause != NULL)
		goto fail;
	if (nout != p->ntokens) {
		for (i = 0; i < nout; i++)
			aws_expr_free(p->output_token[i]);
		free(p->output_token);
		p->output_token = NULL;
		*cause = xprintf("%zu input tokens, %zu output tokens",
		    p->ntokens, nout);
		p->ntokens = 0;
		goto fail;
	}
	if ((s = aws_json_str(def, "more_results")) != NULL &&
	    (p->more_results = aws_expr_parse(s, cause)) == NULL)
		goto fail;
	p->limit_key = aws_json_str(def, "limit_key");
	p->result_key = aws_exprs(json_object_get(def, "result_key"),
	    &p->nresult_keys, cause);
	if (*cause != NULL)
		goto fail;
	if (p->nresult_keys == 0) {
		*cause = xstrdup("no result_key");
		goto fail;
	}
	p->non_aggregate_key = aws_exprs(json_object_get(def,
	    "non_aggregate_keys"), &p->nnon_aggregate_keys, cause);
	if (*cause != NULL)
		goto fail;
	return p;
fail:
	aws_paginator_free(p);
	return NULL;
}

static int
aws_op_init(struct aws_model *m, struct aws_op *op, json_t *def,
    json_t *pag, char **cause)
{
	json_t	*http, *v;
	char	*why = NULL;

	op->model = m;
	http = json_object_get(def, "http");
	op->method = aws_json_str(http, "method");
	op->request_uri = aws_json_str(http, "requestUri");
	if (op->method == NULL)
		op->method = "POST";
	if (op->request_uri == NULL)
		op->request_uri = "/";
	op->host_prefix = aws_json_str(json_object_get(def, "endpoint"),
	    "hostPrefix");
	if ((v = json_object_get(def, "input")) != NULL &&
	    aws_ref_init(m, &op->input, v, &why) != 0) {
		*cause = xprintf("input: %s", why);
		free(why);
		return -1;
	}
	if ((v = json_object_get(def, "output")) != NULL &&
	    aws_ref_init(m, &op->output, v, &why) != 0) {
		*cause = xprintf("output: %s", why);
		free(why);
		return -1;
	}
	if (pag != NULL && (op->paginator = aws_paginator_new(pag, &why)) ==
	    NULL) {
		*cause = xprintf("paginator: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

static int
aws_model_metadata(struct aws_model *m, json_t *md, char **cause)
{
	json_t		*list, *v;
	const char	*proto = NULL, *s;
	size_t		 i, j;

	if (!json_is_object(md)) {
		*cause = xstrdup("no metadata");
		return -1;
	}
	/* botocore: the first protocol it supports, else "protocol". */
	list = json_object_get(md, "protocols");
	for (i = 0; i < nitems(aws_protocols) && proto == NULL; i++) {
		json_array_foreach(list, j, v) {
			if (json_is_string(v) && strcmp(json_string_value(v),
			    aws_protocols[i].name) == 0) {
				proto = aws_protocols[i].name;
				break;
			}
		}
	}
	if (proto == NULL && json_array_size(list) > 0) {
		*cause = xprintf("no supported protocol in \"protocols\"");
		return -1;
	}
	if (proto == NULL && (proto = aws_json_str(md, "protocol")) == NULL) {
		*cause = xstrdup("no protocol");
		return -1;
	}
	for (i = 0; i < nitems(aws_protocols); i++) {
		if (strcmp(proto, aws_protocols[i].name) == 0)
			break;
	}
	if (i == nitems(aws_protocols)) {
		*cause = xprintf("protocol %s is not supported", proto);
		return -1;
	}
	m->protocol = aws_protocols[i].protocol;
	m->api_version = aws_json_str(md, "apiVersion");
	m->target_prefix = aws_json_str(md, "targetPrefix");
	m->json_version = aws_json_str(md, "jsonVersion");
	if (m->json_version == NULL)
		m->json_version = "1.0";
	m->query_compatible = json_object_get(md, "awsQueryCompatible") != NULL;
	if (m->protocol == AWS_PROTO_JSON && m->target_prefix == NULL) {
		*cause = xstrdup("a json service without targetPrefix");
		return -1;
	}
	if ((m->protocol == AWS_PROTO_QUERY || m->protocol == AWS_PROTO_EC2) &&
	    m->api_version == NULL) {
		*cause = xstrdup("a query service without apiVersion");
		return -1;
	}

	m->svc.id = aws_json_str(md, "serviceId");
	m->svc.prefix = aws_json_str(md, "endpointPrefix");
	if (m->svc.id == NULL || m->svc.prefix == NULL) {
		*cause = xstrdup("no serviceId or endpointPrefix");
		return -1;
	}
	if ((s = aws_json_str(md, "signingName")) == NULL)
		s = m->svc.prefix;
	m->svc.signing_name = s;
	m->svc.api_version = m->api_version;
	m->svc.target_prefix = m->target_prefix;
	m->svc.json_version = m->json_version;
	for (i = 0; i < nitems(aws_global_services); i++) {
		if (strcmp(m->service, aws_global_services[i]) == 0)
			m->svc.global = true;
	}
	return 0;
}

void
aws_model_free(struct aws_model *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nshapes; i++) {
		free(m->shapes[i].members);
		free(m->shapes[i].xml_names);
	}
	free(m->shapes);
	for (i = 0; i < m->nops; i++)
		aws_paginator_free(m->ops[i].paginator);
	free(m->ops);
	free(m->service);
	json_decref(m->json);
	free(m);
}

/*
 * A model from its JSON (a reference is taken).  service names the model
 * (the file name, botocore's service name).
 */
struct aws_model *
aws_model_parse(const char *service, json_t *json, char **cause)
{
	struct aws_model	*m;
	json_t			*shapes, *ops, *pags, *v;
	const char		*k;
	char			*why = NULL;
	size_t			 i;

	m = xcalloc(1, sizeof *m);
	m->service = xstrdup(service);
	m->json = json_incref(json);
	shapes = json_object_get(json, "shapes");
	ops = json_object_get(json, "operations");
	pags = json_object_get(json, "paginators");
	if (!json_is_object(shapes) || !json_is_object(ops)) {
		*cause = xstrdup("no shapes or no operations");
		goto fail;
	}
	if (aws_model_metadata(m, json_object_get(json, "metadata"),
	    cause) != 0)
		goto fail;

	/* Every shape by name first, so that references can be resolved. */
	m->shapes = xcalloc(json_object_size(shapes) + 1, sizeof *m->shapes);
	json_object_foreach(shapes, k, v) {
		struct aws_shape	*s = &m->shapes[m->nshapes];
		const char		*type = aws_json_str(v, "type");

		s->name = k;
		for (i = 0; type != NULL && i < nitems(aws_types); i++) {
			if (strcmp(type, aws_types[i].name) == 0)
				break;
		}
		if (type == NULL || i == nitems(aws_types)) {
			*cause = xprintf("shape %s: type %s is not supported",
			    k, type != NULL ? type : "(none)");
			goto fail;
		}
		s->type = aws_types[i].type;
		m->nshapes++;
	}
	qsort(m->shapes, m->nshapes, sizeof *m->shapes, aws_shape_cmp);
	for (i = 0; i < m->nshapes; i++) {
		if (aws_shape_init(m, &m->shapes[i], json_object_get(shapes,
		    m->shapes[i].name), &why) != 0) {
			*cause = xprintf("shape %s: %s", m->shapes[i].name,
			    why);
			free(why);
			goto fail;
		}
	}

	for (i = 0; i < m->nshapes; i++)
		aws_shape_xml_names(&m->shapes[i]);

	m->ops = xcalloc(json_object_size(ops) + 1, sizeof *m->ops);
	json_object_foreach(ops, k, v)
		m->ops[m->nops++].name = k;
	qsort(m->ops, m->nops, sizeof *m->ops, aws_op_cmp);
	for (i = 0; i < m->nops; i++) {
		if (aws_op_init(m, &m->ops[i], json_object_get(ops,
		    m->ops[i].name), json_object_get(pags, m->ops[i].name),
		    &why) != 0) {
			*cause = xprintf("operation %s: %s", m->ops[i].name,
			    why);
			free(why);
			goto fail;
		}
	}
	return m;
fail:
	aws_model_free(m);
	return NULL;
}

/* Load <dir>/<service>.json. */
struct aws_model *
aws_model_load(const char *dir, const char *service, char **cause)
{
	struct aws_model	*m;
	json_error_t		 jerr;
	json_t			*json;
	char			*path, *buf, *why = NULL;
	size_t			 len;
	const char		*p;

	for (p = service; *p != '\0'; p++) {
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '-') {
			*cause = xprintf("bad service name \"%s\"", service);
			return NULL;
		}
	}
	if (*service == '\0') {
		*cause = xstrdup("empty service name");
		return NULL;
	}
	path = xprintf("%s/%s.json", dir, service);
	if ((buf = read_file(path, AWS_MODEL_MAX_SIZE, &len, &why)) == NULL) {
		*cause = xprintf("%s: %s", path, why);
		free(why);
		free(path);
		return NULL;
	}
	json = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (json == NULL) {
		*cause = xprintf("%s:%d:%d: %s", path, jerr.line, jerr.column,
		    jerr.text);
		free(path);
		return NULL;
	}
	m = aws_model_parse(service, json, &why);
	json_decref(json);
	if (m == NULL) {
		*cause = xprintf("%s: %s", path, why);
		free(why);
	}
	free(path);
	return m;
}

struct aws_models {
	char			 *dir;
	struct aws_model	**v;
	size_t			  n;
};

/* The models of a directory; NULL: the installed ones. */
struct aws_models *
aws_models_new(const char *dir)
{
	struct aws_models	*ms;

	ms = xcalloc(1, sizeof *ms);
	ms->dir = xstrdup(dir != NULL ? dir : VIGIL_AWSMODELDIR);
	return ms;
}

void
aws_models_free(struct aws_models *ms)
{
	size_t	 i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++)
		aws_model_free(ms->v[i]);
	free(ms->v);
	free(ms->dir);
	free(ms);
}

const char *
aws_models_dir(const struct aws_models *ms)
{
	return ms->dir;
}

const struct aws_model *
aws_models_get(struct aws_models *ms, const char *service, char **cause)
{
	struct aws_model	*m;
	size_t			 i;

	for (i = 0; i < ms->n; i++) {
		if (strcmp(ms->v[i]->service, service) == 0)
			return ms->v[i];
	}
	if ((m = aws_model_load(ms->dir, service, cause)) == NULL)
		return NULL;
	ms->v = xreallocarray(ms->v, ms->n + 1, sizeof *ms->v);
	ms->v[ms->n++] = m;
	return m;
}

const struct aws_op *
aws_models_op(struct aws_models *ms, const char *service, const char *op,
    char **cause)
{
	const struct aws_model	*m;
	const struct aws_op	*o;

	if ((m = aws_models_get(ms, service, cause)) == NULL)
		return NULL;
	if ((o = aws_model_op(m, op)) == NULL)
		*cause = xprintf("%s: no operation %s in the model", service,
		    op);
	return o;
}

/*
 * Expressions: alternatives of paths.  A path is steps: a member name or
 * an index into a list (negative from the end).
 */
struct aws_expr_step {
	char		*name;		/* NULL: an index */
	long		 index;
};

struct aws_expr_path {
	struct aws_expr_step	*steps;
	size_t			 n;
};

struct aws_expr {
	char			*text;
	struct aws_expr_path	*alts;
	size_t			 nalts;
};

void
aws_expr_free(struct aws_expr *e)
{
	size_t	 i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->nalts; i++) {
		for (j = 0; j < e->alts[i].n; j++)
			free(e->alts[i].steps[j].name);
		free(e->alts[i].steps);
	}
	free(e->alts);
	free(e->text);
	free(e);
}

const char *
aws_expr_text(const struct aws_expr *e)
{
	return e->text;
}

static void
aws_expr_step_add(struct aws_expr_path *p, char *name, long index)
{
	p->steps = xreallocarray(p->steps, p->n + 1, sizeof *p->steps);
	p->steps[p->n].name = name;
	p->steps[p->n].index = index;
	p->n++;
}

struct aws_expr *
aws_expr_parse(const char *text, char **cause)
{
	struct aws_expr		*e;
	struct aws_expr_path	*p;
	const char		*s = text, *start;
	char			*end;
	long			 idx;

	e = xcalloc(1, sizeof *e);
	e->text = xstrdup(text);
	for (;;) {
		e->alts = xreallocarray(e->alts, e->nalts + 1,
		    sizeof *e->alts);
		p = &e->alts[e->nalts++];
		memset(p, 0, sizeof *p);
		while (*s == ' ')
			s++;
		for (;;) {
			start = s;
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			if (s == start)
				goto bad;
			aws_expr_step_add(p, xstrndup(start,
			    (size_t)(s - start)), 0);
			while (*s == '[') {
				errno = 0;
				idx = strtol(s + 1, &end, 10);
				if (end == s + 1 || *end != ']' || errno != 0)
					goto bad;
				aws_expr_step_add(p, NULL, idx);
				s = end + 1;
			}
			if (*s != '.')
				break;
			s++;
		}
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return e;
		if (s[0] != '|' || s[1] != '|')
			goto bad;
		s += 2;
	}
bad:
	*cause = xprintf("expression \"%s\": not understood at offset %zu",
	    text, (size_t)(s - text));
	aws_expr_free(e);
	return NULL;
}

/* JMESPath's truth: false, null, "", [] and {} are false. */
static bool
aws_expr_true(json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return true;
}

static json_t *
aws_expr_path_search(const struct aws_expr_path *p, json_t *v)
{
	size_t	 i;
	long	 idx;

	for (i = 0; i < p->n && v != NULL; i++) {
		if (p->steps[i].name != NULL) {
			v = json_object_get(v, p->steps[i].name);
			continue;
		}
		if (!json_is_array(v))
			return NULL;
		idx = p->steps[i].index;
		if (idx < 0)
			idx += (long)json_array_size(v);
		if (idx < 0)
			return NULL;
		v = json_array_get(v, (size_t)idx);
	}
	return v;
}

/* The value an expression selects (borrowed), or NULL. */
json_t *
aws_expr_search(const struct aws_expr *e, json_t *doc)
{
	json_t	*v = NULL;
	size_t	 i;

	for (i = 0; i < e->nalts; i++) {
		v = aws_expr_path_search(&e->alts[i], doc);
		if (i + 1 < e->nalts && !aws_expr_true(v))
			continue;
		break;
	}
	return v;
}

/*
 * Set what a path of names selects to value (a reference is taken),
 * making the objects on the way, as botocore's set_value_from_jmespath.
 */
int
aws_expr_set(const struct aws_expr *e, json_t *doc, json_t *value)
{
	const struct aws_expr_path	*p;
	json_t				*next;
	size_t				 i;

	if (e->nalts != 1)
		return -1;
	p = &e->alts[0];
	for (i = 0; i < p->n; i++) {
		if (p->steps[i].name == NULL || !json_is_object(doc))
			return -1;
	}
	for (i = 0; i + 1 < p->n; i++) {
		if ((next = json_object_get(doc, p->steps[i].name)) == NULL) {
			next = json_object();
			json_object_set_new(doc, p->steps[i].name, next);
		}
		if (!json_is_object(next))
			return -1;
		doc = next;
	}
	json_object_set(doc, p->steps[p->n - 1].name, value);
	return 0;
}
