/*
 * aws-protocol-rest.c: the rest-json and rest-xml protocols.
 *
 * A request is the operation's method and requestUri with its labels
 * filled ({Bucket}, greedy {Key+}), the members bound to the query string,
 * headers (one, or a map under a prefix), and a body: the payload member,
 * or the members left over (JSON, or XML under the input's locationName),
 * as botocore's BaseRestSerializer writes them.
 *
 * An answer's headers and status bind members first, then the body (a
 * payload member, or the output structure's members); botocore's
 * BaseRestParser order, so that the documents' members come in the same
 * order.  Errors: rest-json's are JSON (aws-protocol-json.c), rest-xml's
 * <Error> (S3) or <ErrorResponse><Error> (others).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws-protocol.h"
#include "vigil.h"

struct aws_rest_parts {
	json_t	*uri;		/* label name -> encoded value text */
	json_t	*query;		/* name -> string or [strings] */
	json_t	*body;		/* body members */
};

/* A value for the URI or the query string. */
static char *
aws_rest_text(const struct aws_ref *r, json_t *v)
{
	struct aws_time	 t;
	char		 num[40];

	switch (r->shape->type) {
	case AWS_TYPE_BOOLEAN:
		return xstrdup(json_is_true(v) ? "true" : "false");
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0)
			return aws_py_str(v);
		return aws_time_format(&t, r->ts_format != AWS_TSF_DEFAULT ?
		    r->ts_format : AWS_TSF_ISO8601);
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		aws_py_float_repr(json_number_value(v), num, sizeof num);
		return xstrdup(num);
	default:
		return aws_py_str(v);
	}
}

/* A value for a header, as botocore's _convert_header_value. */
static char *
aws_rest_header(const struct aws_ref *r, json_t *v)
{
	const struct aws_shape	*s = r->shape;
	struct aws_buf		 b;
	struct aws_time		 t;
	json_t			*item;
	char			*one, *json, num[40];
	const char		*p;
	size_t			 i;
	bool			 first = true;

	switch (s->type) {
	case AWS_TYPE_TIMESTAMP:
		if (aws_time_from_json(v, &t) != 0)
			return aws_py_str(v);
		t.usec = 0;
		return aws_time_format(&t, r->ts_format != AWS_TSF_DEFAULT ?
		    r->ts_format : AWS_TSF_RFC822);
	case AWS_TYPE_LIST:
		memset(&b, 0, sizeof b);
		json_array_foreach(v, i, item) {
			if (json_is_null(item))
				continue;
			if (!first)
				aws_buf_add(&b, ",", 1);
			first = false;
			if (s->member.shape->type != AWS_TYPE_STRING) {
				one = aws_rest_header(&s->member, item);
				aws_buf_str(&b, one);
				free(one);
				continue;
			}
			p = json_string_value(item);
			if (strpbrk(p, "\",") == NULL) {
				aws_buf_str(&b, p);
				continue;
			}
			aws_buf_add(&b, "\"", 1);
			for (; *p != '\0'; p++) {
				if (*p == '"')
					aws_buf_add(&b, "\\", 1);
				aws_buf_add(&b, p, 1);
			}
			aws_buf_add(&b, "\"", 1);
		}
		return aws_buf_take(&b, NULL);
	case AWS_TYPE_BOOLEAN:
		return xstrdup(json_is_true(v) ? "true" : "false");
	case AWS_TYPE_FLOAT:
	case AWS_TYPE_DOUBLE:
		aws_py_float_repr(json_number_value(v), num, sizeof num);
		return xstrdup(num);
	case AWS_TYPE_STRING:
		if (r->jsonvalue) {
			json = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
			    JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
			if (json == NULL)
				fatalx("json_dumps: out of memory");
			one = aws_base64_encode(json, strlen(json));
			free(json);
			return one;
		}
		break;
	default:
		break;
	}
	return aws_py_str(v);
}

static int
aws_rest_partition(const struct aws_op *op, json_t *params,
    struct aws_rest_parts *parts, struct aws_request *req, char **cause)
{
	const struct aws_member	*m;
	const char		*k, *mk, *key;
	json_t			*v, *item, *list;
	char			*text, *name;
	size_t			 i;

	json_object_foreach(params, k, v) {
		if (json_is_null(v))
			continue;
		m = aws_shape_member(op->input.shape, k);
		key = m->ref.name != NULL ? m->ref.name : k;
		switch (m->ref.location) {
		case AWS_LOC_URI:
			text = aws_rest_text(&m->ref, v);
			json_object_set_new(parts->uri, key, json_string(text));
			free(text);
			break;
		case AWS_LOC_QUERYSTRING:
			if (json_is_object(v)) {
				json_object_foreach(v, mk, item)
					json_object_set(parts->query, mk, item);
			} else if (m->ref.shape->type == AWS_TYPE_LIST) {
				list = json_array();
				json_array_foreach(v, i, item) {
					text = aws_rest_text(
					    &m->ref.shape->member, item);
					json_array_append_new(list,
					    json_string(text));
					free(text);
				}
				json_object_set_new(parts->query, key, list);
			} else {
				text = aws_rest_text(&m->ref, v);
				json_object_set_new(parts->query, key,
				    json_string(text));
				free(text);
			}
			break;
		case AWS_LOC_HEADER:
			if (m->ref.shape->type == AWS_TYPE_LIST &&
			    json_array_size(v) == 0)
				break;
			text = aws_rest_header(&m->ref, v);
			aws_headers_add(&req->headers, &req->nheaders, key,
			    text);
			free(text);
			break;
		case AWS_LOC_HEADERS:
			json_object_foreach(v, mk, item) {
				name = xprintf("%s%s", key, mk);
				text = aws_py_str(item);
				aws_headers_add(&req->headers, &req->nheaders,
				    name, text);
				free(name);
				free(text);
			}
			break;
		default:
			json_object_set(parts->body, k, v);
			break;
		}
	}
	(void)cause;
	return 0;
}

/* The requestUri with its labels, as botocore's _render_uri_template. */
static char *
aws_rest_uri(const char *tmpl, json_t *uri, char **cause)
{
	struct aws_buf	 b;
	const char	*p, *close, *v;
	char		*label;
	bool		 greedy;
	size_t		 len;

	memset(&b, 0, sizeof b);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			aws_buf_add(&b, p, 1);
			continue;
		}
		len = (size_t)(close - p - 1);
		greedy = len > 0 && p[len] == '+';
		label = xstrndup(p + 1, greedy ? len - 1 : len);
		if ((v = json_string_value(json_object_get(uri, label))) ==
		    NULL) {
			*cause = xprintf("missing URI parameter %s", label);
			free(label);
			free(b.p);
			return NULL;
		}
		aws_buf_quote(&b, v, strlen(v), greedy ? "/~" : "", false);
		free(label);
		p = close;
	}
	return aws_buf_take(&b, NULL);
}

static void
aws_rest_query(struct aws_buf *b, bool *first, const char *k, json_t *v)
{
	char	*text;

	aws_buf_add(b, *first ? "" : "&", *first ? 0 : 1);
	*first = false;
	aws_buf_quote(b, k, strlen(k), "", false);
	aws_buf_add(b, "=", 1);
	text = aws_py_str(v);
	aws_buf_quote(b, text, strlen(text), "", false);
	free(text);
}

static int
aws_rest_body(const struct aws_op *op, json_t *params,
    struct aws_rest_parts *parts, struct aws_request *req, char **cause)
{
	const struct aws_shape	*in = op->input.shape;
	const struct aws_member	*p = in->payload;
	const struct aws_ref	*r;
	struct aws_buf		 b;
	json_t			*v, *body;
	size_t			 i;
	bool			 xml;

	xml = op->model->protocol == AWS_PROTO_REST_XML;
	if (p != NULL && (p->ref.shape->type == AWS_TYPE_STRING ||
	    p->ref.shape->type == AWS_TYPE_BLOB)) {
		v = json_object_get(params, p->name);
		req->body = xstrndup(v != NULL ? json_string_value(v) : "",
		    v != NULL ? json_string_length(v) : 0);
		req->body_len = v != NULL ? json_string_length(v) : 0;
		return 0;
	}
	if (p != NULL) {
		v = json_object_get(params, p->name);
		r = &p->ref;
		if (v == NULL || json_is_null(v)) {
			if (!xml) {
				req->body = xstrdup("{}");
				req->body_len = 2;
			}
			return 0;
		}
	} else if (json_object_size(parts->body) > 0) {
		v = parts->body;
		r = &op->input;
	} else {
		/* rest-json: {} when some member belongs in the body. */
		for (i = 0; !xml && i < in->nmembers; i++) {
			if (in->members[i].ref.location == AWS_LOC_BODY) {
				req->body = xstrdup("{}");
				req->body_len = 2;
				break;
			}
		}
		return 0;
	}
	if (xml) {
		memset(&b, 0, sizeof b);
		if (aws_xml_body(r, v, &b, cause) != 0) {
			free(b.p);
			return -1;
		}
		req->body = aws_buf_take(&b, &req->body_len);
		return 0;
	}
	if (aws_protocol_json_params(r, v, &body, cause) != 0)
		return -1;
	req->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (req->body == NULL)
		fatalx("json_dumps: out of memory");
	req->body_len = strlen(req->body);
	return 0;
}

int
aws_protocol_rest_serialise(const struct aws_op *op, json_t *params,
    struct aws_request *req, char **cause)
{
	struct aws_rest_parts	 parts;
	struct aws_buf		 b;
	const struct aws_member	*p;
	const char		*k;
	json_t			*v, *item;
	char			*path;
	size_t			 i;
	bool			 first;
	int			 rc = -1;

	req->method = op->method;
	if (op->input.shape == NULL) {
		req->path = xstrdup(op->request_uri);
		return 0;
	}
	parts.uri = json_object();
	parts.query = json_object();
	parts.body = json_object();
	if (aws_rest_partition(op, params, &parts, req, cause) != 0)
		goto out;
	if ((path = aws_rest_uri(op->request_uri, parts.uri, cause)) == NULL)
		goto out;
	memset(&b, 0, sizeof b);
	aws_buf_str(&b, path);
	free(path);
	if (json_object_size(parts.query) > 0) {
		aws_buf_add(&b, strchr(b.p, '?') != NULL ? "&" : "?", 1);
		first = true;
		json_object_foreach(parts.query, k, v) {
			if (!json_is_array(v)) {
				aws_rest_query(&b, &first, k, v);
				continue;
			}
			json_array_foreach(v, i, item)
				aws_rest_query(&b, &first, k, item);
		}
	}
	req->path = aws_buf_take(&b, NULL);
	if (aws_rest_body(op, params, &parts, req, cause) != 0)
		goto out;
	p = op->input.shape->payload;
	if (op->model->protocol == AWS_PROTO_REST_JSON && req->body != NULL &&
	    req->body_len > 0 && (p == NULL ||
	    (p->ref.shape->type != AWS_TYPE_STRING &&
	    p->ref.shape->type != AWS_TYPE_BLOB)) &&
	    aws_headers_get(req->headers, req->nheaders, "Content-Type") ==
	    NULL)
		aws_headers_add(&req->headers, &req->nheaders, "Content-Type",
		    "application/json");
	rc = 0;
out:
	json_decref(parts.uri);
	json_decref(parts.query);
	json_decref(parts.body);
	return rc;
}

/*
 * A header's value for a member.  Several headers of a name are one, their
 * values joined with ", " (as urllib3 gives them to botocore).
 */
static char *
aws_rest_header_value(const struct aws_answer *a, const char *name)
{
	struct aws_buf	 b;
	size_t		 i;
	bool		 found = false;

	memset(&b, 0, sizeof b);
	for (i = 0; i < a->nheaders; i++) {
		if (strcasecmp(a->headers[i].name, name) != 0)
			continue;
		if (found)
			aws_buf_str(&b, ", ");
		aws_buf_str(&b, a->headers[i].value);
		found = true;
	}
	return found ? aws_buf_take(&b, NULL) : NULL;
}

static int
aws_rest_scalar(const struct aws_dec *d, const struct aws_ref *r,
    const char *text, json_t **out, char **cause)
{
	json_t	*s;
	int	 rc;

	if (d->proto == AWS_PROTO_REST_XML)
		return aws_xml_scalar(d, r, text, strlen(text), out, cause);
	s = json_string(text);
	if (s == NULL) {
		*cause = xprintf("%s: a header is not UTF-8", r->shape->name);
		return -1;
	}
	rc = aws_protocol_json_value(d, r, s, out, cause);
	json_decref(s);
	return rc;
}

/* A member bound to a header. */
static int
aws_rest_header_member(const struct aws_dec *d, const struct aws_ref *r,
    const char *text, json_t **out, char **cause)
{
	const struct aws_shape	*s = r->shape;
	json_error_t		 jerr;
	json_t			*arr, *item;
	const char		*p, *end;
	char			*one, *dec;
	size_t			 len, b, e;

	if (s->type == AWS_TYPE_STRING && r->jsonvalue) {
		if ((dec = aws_base64_decode(text, strlen(text), &len)) ==
		    NULL) {
			*cause = xprintf("%s: not base64", s->name);
			return -1;
		}
		*out = json_loadb(dec, len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    &jerr);
		free(dec);
		if (*out == NULL) {
			*cause = xprintf("%s: %s", s->name, jerr.text);
			return -1;
		}
		return 0;
	}
	if (s->type != AWS_TYPE_LIST)
		return aws_rest_scalar(d, r, text, out, cause);
	/* A list: comma-separated, each item stripped. */
	arr = json_array();
	for (p = text;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		for (b = 0; p + b < end && isspace((unsigned char)p[b]); b++)
			;
		for (e = (size_t)(end - p); e > b &&
		    isspace((unsigned char)p[e - 1]); e--)
			;
		one = xstrndup(p + b, e - b);
		if (aws_rest_scalar(d, &s->member, one, &item, cause) != 0) {
			free(one);
			json_decref(arr);
			return -1;
		}
		free(one);
		json_array_append_new(arr, item);
		if (*end == '\0')
			break;
	}
	*out = arr;
	return 0;
}

static int
aws_rest_non_payload(const struct aws_dec *d, const struct aws_op *op,
    const struct aws_answer *a, json_t *doc, char **cause)
{
	const struct aws_shape	*s = op->output.shape;
	const struct aws_member	*m;
	const char		*name;
	json_t			*v, *map;
	char			*text;
	size_t			 i, j, plen;

	for (i = 0; i < s->nmembers; i++) {
		m = &s->members[i];
		switch (m->ref.location) {
		case AWS_LOC_STATUSCODE:
			json_object_set_new(doc, m->name,
			    json_integer(a->status));
			break;
		case AWS_LOC_HEADERS:
			map = json_object();
			name = m->ref.name != NULL ? m->ref.name : "";
			plen = strlen(name);
			for (j = 0; j < a->nheaders; j++) {
				if (strncasecmp(a->headers[j].name, name,
				    plen) == 0)
					json_object_set_new(map,
					    a->headers[j].name + plen,
					    json_string(a->headers[j].value));
			}
			json_object_set_new(doc, m->name, map);
			break;
		case AWS_LOC_HEADER:
			name = m->ref.name != NULL ? m->ref.name : m->name;
			if ((text = aws_rest_header_value(a, name)) == NULL)
				break;
			if (aws_rest_header_member(d, &m->ref, text, &v,
			    cause) != 0) {
				free(text);
				return -1;
			}
			free(text);
			json_object_set_new(doc, m->name, v);
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
aws_rest_body_value(const struct aws_dec *d, const struct aws_ref *r,
    const struct aws_answer *a, json_t **out, char **cause)
{
	struct aws_xml	*x;
	json_t		*body;
	int		 rc;

	if (d->proto == AWS_PROTO_REST_JSON) {
		if ((body = aws_protocol_json_body(a, cause)) == NULL)
			return -1;
		rc = aws_protocol_json_value(d, r, body, out, cause);
		json_decref(body);
		return rc;
	}
	if (a->len == 0)
		x = aws_xml_empty();
	else if ((x = aws_xml_parse(a->body, a->len, cause)) == NULL) {
		if (!d->s3_200)
			return -1;
		free(*cause);
		*cause = NULL;
		return 2;
	}
	if (d->s3_200 && strcmp(aws_xml_tag(aws_xml_root(x)), "Error") == 0) {
		aws_xml_free(x);
		return 2;
	}
	rc = aws_xml_value(d, r, aws_xml_root(x), 1, out, cause);
	aws_xml_free(x);
	return rc;
}

/*
 * The document of an answer: 0, or -1 and a cause, or 2 for S3's error in
 * a 200 answer (when d->s3_200 asks to look).
 */
int
aws_protocol_rest_decode(const struct aws_dec *d, const struct aws_op *op,
    const struct aws_answer *a, json_t **out, char **cause)
{
	const struct aws_member	*p;
	const char		*k;
	json_t			*doc, *v, *item;
	int			 rc = -1;

	doc = json_object();
	if (op->output.shape == NULL) {
		*out = doc;
		return 0;
	}
	if (aws_rest_non_payload(d, op, a, doc, cause) != 0)
		goto fail;
	if ((p = op->output.shape->payload) != NULL) {
		if (p->ref.shape->type == AWS_TYPE_STRING ||
		    p->ref.shape->type == AWS_TYPE_BLOB) {
			if ((v = json_stringn(a->body != NULL ? a->body : "",
			    a->len)) == NULL) {
				*cause = xstrdup("the body is not UTF-8");
				goto fail;
			}
		} else if ((rc = aws_rest_body_value(d, &p->ref, a, &v,
		    cause)) != 0)
			goto fail;
		json_object_set_new(doc, p->name, v);
	} else {
		if ((rc = aws_rest_body_value(d, &op->output, a, &v,
		    cause)) != 0)
			goto fail;
		if (json_is_object(v)) {
			json_object_foreach(v, k, item)
				json_object_set(doc, k, item);
		}
		json_decref(v);
	}
	*out = doc;
	return 0;
fail:
	json_decref(doc);
	return rc == 2 ? 2 : -1;
}

static char *
aws_rest_str(json_t *obj, const char *key)
{
	const char	*s;

	if ((s = json_string_value(json_object_get(obj, key))) == NULL)
		return NULL;
	return xstrdup(s);
}

/* botocore's RestXMLParser._do_error_parse. */
int
aws_protocol_rest_xml_error(const struct aws_answer *a, struct aws_error *e)
{
	struct aws_xml	*x = NULL;
	json_t		*parsed, *err;
	const char	*id;
	char		*cause = NULL;
	bool		 s3;

	if (a->len > 0)
		x = aws_xml_parse(a->body, a->len, &cause);
	free(cause);
	if (x == NULL) {
		/* botocore's _parse_error_from_http_status */
		e->code = xprintf("%ld", a->status);
		e->message = xstrdup(aws_codec_reason(a->status));
		return 0;
	}
	parsed = aws_xml_dict(aws_xml_root(x));
	s3 = strcmp(aws_xml_tag(aws_xml_root(x)), "Error") == 0;
	aws_xml_free(x);
	if (!json_is_object(parsed)) {
		json_decref(parsed);
		return -1;
	}
	err = s3 ? parsed : json_object_get(parsed, "Error");
	e->code = aws_rest_str(err, "Code");
	e->message = aws_rest_str(err, "Message");
	e->type = aws_rest_str(err, "Type");
	if (s3) {
		if ((id = aws_answer_header(a, "x-amzn-requestid")) == NULL)
			id = aws_answer_header(a, "x-amz-request-id");
		if (id != NULL)
			e->request_id = xstrdup(id);
	} else
		e->request_id = aws_rest_str(parsed, "RequestId");
	json_decref(parsed);
	return e->code != NULL && *e->code != '\0' ? 0 : -1;
}
