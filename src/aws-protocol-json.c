/*
 * aws-protocol-json.c: the AWS JSON protocol (1.0 and 1.1), and the JSON
 * bodies of rest-json.
 *
 * A request is POST / with X-Amz-Target (targetPrefix.Operation) and the
 * parameters as a JSON object, members under their locationName,
 * timestamps as seconds since the epoch unless the model says otherwise,
 * blobs in base64, as botocore's JSONSerializer writes them.
 *
 * An answer's body is read as botocore's JSONParser reads it: an empty
 * body is {}, a body that is not JSON is {"message": body}; members are
 * taken in the model's order, null ones left out.  The json protocol takes
 * scalars as they are (a string where the model says integer stays a
 * string); rest-json converts them as Python's int(), float() and
 * botocore's ensure_boolean() do.  Errors: __type (or x-amzn-errortype for
 * rest-json) and message.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws-protocol.h"
#include "vigil.h"

/*
 * A request's JSON from parameters (already checked against the shape).
 */
int
aws_protocol_json_params(const struct aws_ref *r, json_t *v, json_t **out,
    char **cause)
{
	const struct aws_shape	*s = r->shape;
	const struct aws_member	*m;
	struct aws_time		 t;
	const char		*k;
	json_t			*obj, *item, *sub;
	size_t			 i;
	char			*p;

	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		if (s->document) {
			*out = json_deep_copy(v);
			return 0;
		}
		obj = json_object();
		json_object_foreach(v, k, item) {
			m = aws_shape_member(s, k);
			if (aws_protocol_json_params(&m->ref, item, &sub,
			    cause) != 0) {
				json_decref(obj);
				return -1;
			}
			json_object_set_new(obj, m->ref.name != NULL ?
			    m->ref.name : k, sub);
		}
		*out = obj;
		return 0;
	case AWS_TYPE_LIST:
		obj = json_array();
		json_array_foreach(v, i, item) {
			if (aws_protocol_json_params(&s->member, item, &sub,
			    cause) != 0) {
				json_decref(obj);
				return -1;
			}
			json_array_append_new(obj, sub);
		}
		*out = obj;
		return 0;
	case AWS_TYPE_MAP:
		obj = json_object();
		json_object_foreach(v, k, item) {
			if (aws_protocol_json_params(&s->value, item, &sub,
			    cause) != 0) {
				json_decref(obj);
				return -1;
			}
			json_object_set_new(obj, k, sub);
		}
		*out = obj;
		return 0;
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0) {
			*cause = xstrdup("not a timestamp");
			return -1;
		}
		if (r->ts_format == AWS_TSF_DEFAULT ||
		    r->ts_format == AWS_TSF_UNIX) {
			*out = json_integer(t.sec);
			return 0;
		}
		p = aws_time_format(&t, r->ts_format);
		*out = json_string(p);
		free(p);
		return 0;
	case AWS_TYPE_BLOB:
		p = aws_base64_encode(json_string_value(v),
		    json_string_length(v));
		*out = json_string(p);
		free(p);
		return 0;
	default:
		*out = json_incref(v);
		return 0;
	}
}

int
aws_protocol_json_serialise(const struct aws_op *op, json_t *params,
    struct aws_request *req, char **cause)
{
	const struct aws_model	*m = op->model;
	json_t			*body;
	char			*v;

	if (op->input.shape != NULL) {
		if (aws_protocol_json_params(&op->input, params, &body,
		    cause) != 0)
			return -1;
	} else
		body = json_object();
	req->method = op->method;
	req->path = xstrdup("/");
	v = xprintf("%s.%s", m->target_prefix, op->name);
	aws_headers_add(&req->headers, &req->nheaders, "X-Amz-Target", v);
	free(v);
	v = xprintf("application/x-amz-json-%s", m->json_version);
	aws_headers_add(&req->headers, &req->nheaders, "Content-Type", v);
	free(v);
	if (m->query_compatible)
		aws_headers_add(&req->headers, &req->nheaders,
		    "x-amzn-query-mode", "true");
	req->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (req->body == NULL)
		fatalx("json_dumps: out of memory");
	req->body_len = strlen(req->body);
	return 0;
}

/*
 * An answer's body as botocore's _parse_body_as_json takes it: {} when
 * empty, {"message": text} when not JSON.  NULL (with a cause) when the
 * body is not UTF-8, or holds a number JSON cannot hold here.
 */
json_t *
aws_protocol_json_body(const struct aws_answer *a, char **cause)
{
	json_error_t	 jerr;
	json_t		*v;

	if (a->len == 0)
		return json_object();
	if ((v = json_loadb(a->body, a->len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &jerr)) != NULL)
		return v;
	if (json_error_code(&jerr) == json_error_numeric_overflow) {
		*cause = xprintf("a number out of range at offset %d",
		    jerr.position);
		return NULL;
	}
	if ((v = json_stringn(a->body, a->len)) == NULL) {
		*cause = xstrdup("the body is not UTF-8");
		return NULL;
	}
	return json_pack("{so}", "message", v);
}

/* Python's int() of a JSON value. */
static int
aws_json_int(json_t *v, json_int_t *out)
{
	double	 d;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = json_integer_value(v);
		return 0;
	case JSON_REAL:
		d = json_real_value(v);	/* int() truncates toward zero */
		if (!(d > -9223372036854775809.0 &&
		    d < 9223372036854775808.0))
			return -1;
		*out = (json_int_t)d;
		return 0;
	case JSON_STRING:
		return aws_py_int(json_string_value(v), json_string_length(v),
		    out);
	case JSON_TRUE:
		*out = 1;
		return 0;
	case JSON_FALSE:
		*out = 0;
		return 0;
	default:
		return -1;
	}
}

/* Python's float() of a JSON value. */
static int
aws_json_float(json_t *v, double *out)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		*out = json_number_value(v);
		return 0;
	case JSON_STRING:
		return aws_py_float(json_string_value(v),
		    json_string_length(v), out);
	case JSON_TRUE:
		*out = 1;
		return 0;
	case JSON_FALSE:
		*out = 0;
		return 0;
	default:
		return -1;
	}
}

static int
aws_json_structure(const struct aws_dec *d, const struct aws_ref *r,
    json_t *v, json_t **out, char **cause)
{
	const struct aws_shape	*s = r->shape;
	const struct aws_member	*m;
	const char		*k, *name, *tag = NULL;
	json_t			*obj, *raw, *item;
	size_t			 i, n = 0;

	if (!json_is_object(v)) {
		*cause = xprintf("%s: not an object", s->name);
		return -1;
	}
	if (s->is_union) {
		json_object_foreach(v, k, item) {
			if (strcmp(k, "__type") == 0 || json_is_null(item))
				continue;
			if (n++ == 0)
				tag = k;
		}
		if (n != 1) {
			*cause = xprintf("%s: a union must have one and only "
			    "one member set", s->name);
			return -1;
		}
		for (i = 0; i < s->nmembers; i++) {
			m = &s->members[i];
			name = m->ref.name != NULL ? m->ref.name : m->name;
			if (strcmp(name, tag) == 0)
				break;
		}
		if (i == s->nmembers) {
			*out = json_pack("{s{ss}}", "SDK_UNKNOWN_MEMBER",
			    "name", tag);
			return 0;
		}
	}
	obj = json_object();
	for (i = 0; i < s->nmembers; i++) {
		m = &s->members[i];
		name = m->ref.name != NULL ? m->ref.name : m->name;
		raw = json_object_get(v, name);
		if (raw == NULL || json_is_null(raw))
			continue;
		if (aws_protocol_json_value(d, &m->ref, raw, &item,
		    cause) != 0) {
			json_decref(obj);
			return -1;
		}
		json_object_set_new(obj, m->name, item);
	}
	*out = obj;
	return 0;
}

/* A value of an answer, as BaseJSONParser (and RestJSONParser) parse it. */
int
aws_protocol_json_value(const struct aws_dec *d, const struct aws_ref *r,
    json_t *v, json_t **out, char **cause)
{
	const struct aws_shape	*s = r->shape;
	const char		*k;
	json_t			*arr, *item, *sub;
	json_int_t		 i;
	double			 f;
	size_t			 n;
	bool			 rest = d->proto == AWS_PROTO_REST_JSON;

	if (json_is_null(v)) {
		switch (s->type) {
		case AWS_TYPE_LIST:
		case AWS_TYPE_MAP:
			goto type;
		case AWS_TYPE_INTEGER:
		case AWS_TYPE_LONG:
		case AWS_TYPE_FLOAT:
		case AWS_TYPE_DOUBLE:
			if (rest)
				goto type;
			break;
		case AWS_TYPE_BOOLEAN:
			if (rest) {
				*out = json_false();
				return 0;
			}
			break;
		default:
			break;
		}
		*out = json_null();
		return 0;
	}
	switch (s->type) {
	case AWS_TYPE_STRUCTURE:
		if (s->document) {
			*out = json_incref(v);
			return 0;
		}
		return aws_json_structure(d, r, v, out, cause);
	case AWS_TYPE_LIST:
		if (!json_is_array(v))
			goto type;
		arr = json_array();
		json_array_foreach(v, n, item) {
			if (aws_protocol_json_value(d, &s->member, item, &sub,
			    cause) != 0) {
				json_decref(arr);
				return -1;
			}
			json_array_append_new(arr, sub);
		}
		*out = arr;
		return 0;
	case AWS_TYPE_MAP:
		if (!json_is_object(v))
			goto type;
		arr = json_object();
		json_object_foreach(v, k, item) {
			if (aws_protocol_json_value(d, &s->value, item, &sub,
			    cause) != 0) {
				json_decref(arr);
				return -1;
			}
			json_object_set_new(arr, k, sub);
		}
		*out = arr;
		return 0;
	case AWS_TYPE_TIMESTAMP:
		return aws_time_render(v, NULL, 0, d->flags, out, cause);
	case AWS_TYPE_INTEGER:
	case AWS_TYPE_LONG:
		if (!rest)
			break;
		if (aws_json_int(v, &i) != 0)
			goto type;
		*out = json_integer(i);
		return 0;
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		if (!rest)
			break;
		if (aws_json_float(v, &f) != 0)
			goto type;
		*out = json_real(f);
		return 0;
	case AWS_TYPE_BOOLEAN:
		if (!rest)
			break;
		if (json_is_boolean(v))
			*out = json_incref(v);
		else
			*out = json_boolean(json_is_string(v) &&
			    strcasecmp(json_string_value(v), "true") == 0);
		return 0;
	default:
		break;
	}
	*out = json_incref(v);
	return 0;
type:
	*cause = xprintf("%s: a %s cannot be a %s", s->name,
	    aws_type_name(s->type), json_is_null(v) ? "null" :
	    json_is_object(v) ? "object" : json_is_array(v) ? "array" :
	    json_is_string(v) ? "string" : "number");
	return -1;
}

int
aws_protocol_json_decode(const struct aws_dec *d, const struct aws_op *op,
    const struct aws_answer *a, json_t **out, char **cause)
{
	json_t	*body;
	int	 rc;

	if ((body = aws_protocol_json_body(a, cause)) == NULL)
		return -1;
	if (op->output.shape == NULL) {
		json_decref(body);
		*out = json_object();
		return 0;
	}
	rc = aws_protocol_json_value(d, &op->output, body, out, cause);
	json_decref(body);
	return rc;
}

/* "aws.protocol#Code:http://..." -> "Code" */
static char *
aws_json_code(const char *c)
{
	size_t		 len;
	const char	*hash;

	len = strcspn(c, ":");
	for (hash = c + len; hash > c && hash[-1] != '#'; hash--)
		;
	return xstrndup(hash, len - (size_t)(hash - c));
}

/* botocore's BaseJSONParser._do_error_parse (and RestJSONParser's). */
int
aws_protocol_json_error(bool rest, const struct aws_answer *a,
    struct aws_error *e)
{
	json_t		*body, *v;
	const char	*qe, *semi, *c;
	char		*cause = NULL;

	if ((body = aws_protocol_json_body(a, &cause)) == NULL) {
		free(cause);
		body = json_object();
	}
	if (!json_is_object(body)) {
		json_decref(body);
		body = json_object();
	}
	if ((v = json_object_get(body, "message")) == NULL)
		v = json_object_get(body, "Message");
	if (json_is_string(v))
		e->message = xstrdup(json_string_value(v));
	if ((c = json_string_value(json_object_get(body, "__type"))) != NULL)
		e->code = aws_json_code(c);
	else
		e->code = xprintf("%ld", a->status);
	qe = aws_answer_header(a, "x-amzn-query-error");
	if (qe != NULL && (semi = strchr(qe, ';')) != NULL && semi > qe &&
	    strchr(semi + 1, ';') == NULL) {
		free(e->code);
		e->code = xstrndup(qe, (size_t)(semi - qe));
		e->type = xstrdup(semi + 1);
	}
	if (rest) {
		c = aws_answer_header(a, "x-amzn-errortype");
		if (c == NULL && (v = json_object_get(body, "code")) == NULL)
			v = json_object_get(body, "Code");
		if (c == NULL)
			c = json_string_value(v);
		if (c != NULL) {
			free(e->code);
			e->code = aws_json_code(c);
		}
	}
	if ((c = aws_answer_header(a, "x-amzn-requestid")) != NULL)
		e->request_id = xstrdup(c);
	json_decref(body);
	return e->code != NULL ? 0 : -1;
}
