/*
 * aws-paginate.c: following an operation's paginator (paginators-1.json)
 * as botocore's PageIterator does, and merging the pages as its
 * build_full_result does (which is what the AWS CLI prints for a paginated
 * command).
 *
 * The next page's parameters are the request's with each input token set
 * to what its output token expression selects in the answer; there is no
 * next page when more_results (if any) is false or every token is empty.
 * Merging appends the lists that the result keys select (adds numbers,
 * joins strings), keeps the non-aggregate keys of the first page, and
 * leaves the rest out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws-protocol.h"
#include "vigil.h"

struct aws_pages {
	const struct aws_op	*op;
	json_t			*result;
	json_t			*non_aggregate;
	json_t			*last;		/* last page, no paginator */
	json_t			*tokens;	/* the last tokens seen */
	size_t			 count;
};

/* The tokens of a page, {input token: value or null}; NULL: last page. */
static json_t *
aws_paginate_tokens(const struct aws_paginator *p, json_t *page)
{
	json_t	*tokens, *v;
	size_t	 i;
	bool	 any = false;

	if (p->more_results != NULL &&
	    !aws_py_truthy(aws_expr_search(p->more_results, page)))
		return NULL;
	tokens = json_object();
	for (i = 0; i < p->ntokens; i++) {
		v = aws_expr_search(p->output_token[i], page);
		if (v != NULL && aws_py_truthy(v)) {
			json_object_set(tokens, p->input_token[i], v);
			any = true;
		} else
			json_object_set_new(tokens, p->input_token[i],
			    json_null());
	}
	if (!any) {
		json_decref(tokens);
		return NULL;
	}
	return tokens;
}

static json_t *
aws_paginate_inject(json_t *params, json_t *tokens)
{
	json_t		*next, *v;
	const char	*k;

	next = params != NULL ? json_deep_copy(params) : json_object();
	json_object_foreach(tokens, k, v) {
		if (!json_is_null(v) && !(json_is_string(v) &&
		    strcmp(json_string_value(v), "None") == 0))
			json_object_set_new(next, k, json_deep_copy(v));
		else
			json_object_del(next, k);
	}
	return next;
}

/*
 * The parameters of the page after this one (a new reference), or NULL
 * when this was the last (or the operation has no paginator).
 */
json_t *
aws_paginate_next(const struct aws_op *op, json_t *params, json_t *page)
{
	json_t	*tokens, *next;

	if (op->paginator == NULL)
		return NULL;
	if ((tokens = aws_paginate_tokens(op->paginator, page)) == NULL)
		return NULL;
	next = aws_paginate_inject(params, tokens);
	json_decref(tokens);
	return next;
}

struct aws_pages *
aws_pages_new(const struct aws_op *op)
{
	struct aws_pages	*pg;

	pg = xcalloc(1, sizeof *pg);
	pg->op = op;
	pg->result = json_object();
	pg->non_aggregate = json_object();
	return pg;
}

void
aws_pages_free(struct aws_pages *pg)
{
	if (pg == NULL)
		return;
	json_decref(pg->result);
	json_decref(pg->non_aggregate);
	json_decref(pg->last);
	json_decref(pg->tokens);
	free(pg);
}

size_t
aws_pages_count(const struct aws_pages *pg)
{
	return pg->count;
}

/*
 * Like aws_paginate_next, but an answer that gives the same tokens as the
 * one before is an error (botocore: "The same next token was received
 * twice"), not a loop.
 */
int
aws_pages_next(struct aws_pages *pg, json_t *params, json_t *page,
    json_t **next, char **cause)
{
	json_t	*tokens;

	*next = NULL;
	if (pg->op->paginator == NULL)
		return 0;
	if ((tokens = aws_paginate_tokens(pg->op->paginator, page)) == NULL)
		return 0;
	if (pg->tokens != NULL && json_equal(pg->tokens, tokens)) {
		*cause = xstrdup("the same next token was received twice");
		json_decref(tokens);
		return -1;
	}
	json_decref(pg->tokens);
	pg->tokens = tokens;
	*next = aws_paginate_inject(params, tokens);
	return 0;
}

/* Add a page's results (the page is borrowed). */
int
aws_pages_add(struct aws_pages *pg, json_t *page, char **cause)
{
	const struct aws_paginator	*p = pg->op->paginator;
	json_t				*v, *old, *sum;
	size_t				 i;

	if (p == NULL) {
		json_decref(pg->last);
		pg->last = json_incref(page);
		pg->count++;
		return 0;
	}
	if (pg->count == 0) {
		for (i = 0; i < p->nnon_aggregate_keys; i++) {
			v = aws_expr_search(p->non_aggregate_key[i], page);
			if (v == NULL)
				v = json_null();
			else
				v = json_deep_copy(v);
			aws_expr_set(p->non_aggregate_key[i],
			    pg->non_aggregate, v);
			json_decref(v);
		}
	}
	for (i = 0; i < p->nresult_keys; i++) {
		v = aws_expr_search(p->result_key[i], page);
		if (v == NULL || json_is_null(v))
			continue;
		old = aws_expr_search(p->result_key[i], pg->result);
		if (old == NULL || json_is_null(old)) {
			v = json_deep_copy(v);
			if (aws_expr_set(p->result_key[i], pg->result, v) !=
			    0) {
				json_decref(v);
				goto bad;
			}
			json_decref(v);
			continue;
		}
		sum = NULL;
		if (json_is_array(v) && json_is_array(old)) {
			v = json_deep_copy(v);
			json_array_extend(old, v);
			json_decref(v);
			continue;
		}
		if (json_is_integer(v) && json_is_integer(old))
			sum = json_integer(json_integer_value(old) +
			    json_integer_value(v));
		else if (json_is_number(v) && json_is_number(old))
			sum = json_real(json_number_value(old) +
			    json_number_value(v));
		else if (json_is_string(v) && json_is_string(old)) {
			char	*s = xprintf("%s%s", json_string_value(old),
			    json_string_value(v));

			sum = json_string(s);
			free(s);
		}
		if (sum != NULL) {
			aws_expr_set(p->result_key[i], pg->result, sum);
			json_decref(sum);
		}
	}
	pg->count++;
	return 0;
bad:
	*cause = xprintf("%s: result key %s cannot be set", pg->op->name,
	    aws_expr_text(p->result_key[i]));
	return -1;
}

static void
aws_pages_merge(json_t *into, json_t *from)
{
	const char	*k;
	json_t		*v, *old;

	json_object_foreach(from, k, v) {
		old = json_object_get(into, k);
		if (old != NULL && json_is_object(old) && json_is_object(v))
			aws_pages_merge(old, v);
		else
			json_object_set(into, k, v);
	}
}

/* The merged document (a new reference). */
json_t *
aws_pages_result(struct aws_pages *pg)
{
	json_t	*r;

	if (pg->op->paginator == NULL)
		return pg->last != NULL ? json_incref(pg->last) : json_object();
	r = json_deep_copy(pg->result);
	aws_pages_merge(r, pg->non_aggregate);
	return r;
}
