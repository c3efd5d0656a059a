/*
 * aws-protocol-query.c: the query protocol and EC2's flavour of it.
 *
 * A request is a form (Action, Version, then the parameters flattened into
 * dotted names) posted to "/", as botocore's QuerySerializer and
 * EC2Serializer write it: lists as Name.member.N (query) or Name.N (ec2,
 * where a locationName is capitalised and a queryName wins), flattened
 * lists and maps without their wrapper name, maps as Name.entry.N.key and
 * .value, an empty list as "Name=" (query only), booleans "true"/"false",
 * timestamps in ISO 8601; the form encoded as Python's urlencode does it.
 *
 * An answer is XML: the output structure is the element the resultWrapper
 * names (query) or the root itself (ec2).  Errors are
 * <ErrorResponse><Error>... (query) or <Response><Errors><Error>... (ec2).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws-protocol.h"
#include "vigil.h"

struct aws_query {
	struct aws_buf	 body;
	bool		 ec2;
};

static void
aws_query_pair(struct aws_query *q, const char *name, const char *value)
{
	aws_buf_add(&q->body, "&", 1);
	aws_buf_quote(&q->body, name, strlen(name), "", true);
	aws_buf_add(&q->body, "=", 1);
	aws_buf_quote(&q->body, value, strlen(value), "", true);
}

/* The name a reference has in the form, or dflt. */
static char *
aws_query_name(struct aws_query *q, const struct aws_ref *r,
    const char *dflt)
{
	char	*name;

	if (!q->ec2)
		return xstrdup(r->name != NULL ? r->name : dflt);
	if (r->query_name != NULL)
		return xstrdup(r->query_name);
	if (r->name != NULL) {
		name = xstrdup(r->name);
		name[0] = (char)toupper((unsigned char)name[0]);
		return name;
	}
	return xstrdup(dflt);
}

static int	aws_query_value(struct aws_query *, const struct aws_ref *,
		    json_t *, const char *, char **);

static int
aws_query_list(struct aws_query *q, const struct aws_ref *r, json_t *v,
    const char *prefix, char **cause)
{
	const struct aws_shape	*s = r->shape;
	const char		*dot;
	char			*list_prefix, *name, *item_prefix;
	json_t			*item;
	size_t			 i;
	int			 rc;

	if (q->ec2)
		list_prefix = xstrdup(prefix);
	else if (json_array_size(v) == 0) {
		aws_query_pair(q, prefix, "");
		return 0;
	} else if (r->flattened) {
		if (s->member.name != NULL) {
			name = aws_query_name(q, &s->member, "");
			dot = strrchr(prefix, '.');
			if (dot != NULL)
				list_prefix = xprintf("%.*s.%s",
				    (int)(dot - prefix), prefix, name);
			else
				list_prefix = xstrdup(name);
			free(name);
		} else
			list_prefix = xstrdup(prefix);
	} else {
		name = xstrdup(s->member.name != NULL ? s->member.name :
		    "member");
		list_prefix = xprintf("%s.%s", prefix, name);
		free(name);
	}
	json_array_foreach(v, i, item) {
		item_prefix = xprintf("%s.%zu", list_prefix, i + 1);
		rc = aws_query_value(q, &s->member, item, item_prefix, cause);
		free(item_prefix);
		if (rc != 0) {
			free(list_prefix);
			return -1;
		}
	}
	free(list_prefix);
	return 0;
}

static int
aws_query_map(struct aws_query *q, const struct aws_ref *r, json_t *v,
    const char *prefix, char **cause)
{
	const struct aws_shape	*s = r->shape;
	const char		*k;
	char			*full, *ks, *vs, *p;
	json_t			*item, *key;
	size_t			 i = 0;
	int			 rc = 0;

	full = r->flattened ? xstrdup(prefix) : xprintf("%s.entry", prefix);
	ks = aws_query_name(q, &s->key, "key");
	vs = aws_query_name(q, &s->value, "value");
	json_object_foreach(v, k, item) {
		i++;
		p = xprintf("%s.%zu.%s", full, i, ks);
		key = json_string(k);
		rc = aws_query_value(q, &s->key, key, p, cause);
		json_decref(key);
		free(p);
		if (rc != 0)
			break;
		p = xprintf("%s.%zu.%s", full, i, vs);
		rc = aws_query_value(q, &s->value, item, p, cause);
		free(p);
		if (rc != 0)
			break;
	}
	free(full);
	free(ks);
	free(vs);
	return rc;
}

static int
aws_query_value(struct aws_query *q, const struct aws_ref *r, json_t *v,
    const char *prefix, char **cause)
{
	const struct aws_shape	*s = r->shape;
	const struct aws_member	*m;
	struct aws_time		 t;
	const char		*k;
	json_t			*mv;
	char			*name, *p, num[40];
	int			 rc;

	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		json_object_foreach(v, k, mv) {
			m = aws_shape_member(s, k);
			name = aws_query_name(q, &m->ref, k);
			if (*prefix != '\0')
				p = xprintf("%s.%s", prefix, name);
			else
				p = xstrdup(name);
			free(name);
			rc = aws_query_value(q, &m->ref, mv, p, cause);
			free(p);
			if (rc != 0)
				return -1;
		}
		return 0;
	case AWS_TYPE_LIST:
		return aws_query_list(q, r, v, prefix, cause);
	case AWS_TYPE_MAP:
		return aws_query_map(q, r, v, prefix, cause);
	case AWS_TYPE_BOOLEAN:
		aws_query_pair(q, prefix, aws_py_truthy(v) ? "true" : "false");
		return 0;
	case AWS_TYPE_BLOB:
		p = aws_base64_encode(json_string_value(v),
		    json_string_length(v));
		aws_query_pair(q, prefix, p);
		free(p);
		return 0;
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0) {
			*cause = xprintf("%s: not a timestamp", prefix);
			return -1;
		}
		p = aws_time_format(&t, r->ts_format != AWS_TSF_DEFAULT ?
		    r->ts_format : AWS_TSF_ISO8601);
		aws_query_pair(q, prefix, p);
		free(p);
		return 0;
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		aws_py_float_repr(json_number_value(v), num, sizeof num);
		aws_query_pair(q, prefix, num);
		return 0;
	default:
		p = aws_py_str(v);
		aws_query_pair(q, prefix, p);
		free(p);
		return 0;
	}
}

int
aws_protocol_query_serialise(const struct aws_op *op, json_t *params,
    struct aws_request *req, char **cause)
{
	struct aws_query	 q;

	memset(&q, 0, sizeof q);
	q.ec2 = op->model->protocol == AWS_PROTO_EC2;
	aws_buf_str(&q.body, "Action=");
	aws_buf_quote(&q.body, op->name, strlen(op->name), "", true);
	aws_buf_str(&q.body, "&Version=");
	aws_buf_quote(&q.body, op->model->api_version,
	    strlen(op->model->api_version), "", true);
	if (op->input.shape != NULL &&
	    aws_query_value(&q, &op->input, params, "", cause) != 0) {
		free(q.body.p);
		return -1;
	}
	req->method = op->method;
	req->path = xstrdup("/");
	aws_headers_add(&req->headers, &req->nheaders, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	req->body = aws_buf_take(&q.body, &req->body_len);
	return 0;
}

int
aws_protocol_query_decode(const struct aws_dec *d, const struct aws_op *op,
    const struct aws_answer *a, json_t **out, char **cause)
{
	struct aws_xml			*x;
	const struct aws_xml_node	*start;
	size_t				 count = 1;
	int				 rc;

	if ((x = aws_xml_parse(a->body, a->len, cause)) == NULL)
		return -1;
	if (op->output.shape == NULL) {
		aws_xml_free(x);
		*out = json_object();
		return 0;
	}
	start = aws_xml_root(x);
	if (op->output.result_wrapper != NULL &&
	    (start = aws_xml_child(start, op->output.result_wrapper,
	    &count)) == NULL) {
		*cause = xprintf("no %s element in the answer",
		    op->output.result_wrapper);
		aws_xml_free(x);
		return -1;
	}
	rc = aws_xml_value(d, &op->output, start, count, out, cause);
	aws_xml_free(x);
	return rc;
}

static char *
aws_query_str(json_t *obj, const char *key)
{
	const char	*s;

	if ((s = json_string_value(json_object_get(obj, key))) == NULL)
		return NULL;
	return xstrdup(s);
}

/* botocore's QueryParser._do_error_parse (and EC2QueryParser's). */
int
aws_protocol_query_error(bool ec2, const struct aws_answer *a,
    struct aws_error *e)
{
	struct aws_xml	*x;
	json_t		*parsed, *errors, *err, *v;
	const char	*k;
	char		*cause = NULL;

	if ((x = aws_xml_parse(a->body, a->len, &cause)) == NULL) {
		free(cause);
		return -1;
	}
	parsed = aws_xml_dict(aws_xml_root(x));
	aws_xml_free(x);
	if (!json_is_object(parsed)) {
		json_decref(parsed);
		return -1;
	}
	if ((errors = json_object_get(parsed, "Errors")) != NULL) {
		json_incref(errors);
		json_object_del(parsed, "Errors");
		if (json_is_object(errors)) {
			json_object_foreach(errors, k, v)
				json_object_set(parsed, k, v);
		}
		json_decref(errors);
	}
	err = json_object_get(parsed, "Error");
	e->code = aws_query_str(err, "Code");
	e->message = aws_query_str(err, "Message");
	e->type = aws_query_str(err, "Type");
	e->request_id = aws_query_str(parsed, "RequestId");
	if (e->request_id == NULL && ec2)
		e->request_id = aws_query_str(parsed, "RequestID");
	json_decref(parsed);
	return e->code != NULL ? 0 : -1;
}
