/*
 * aws-codec.h: the model-driven AWS codec, a pure core (no loop, no
 * socket): a request from an operation and its parameters, a response's
 * bytes to the JSON document the AWS CLI prints for them, AWS errors, and
 * pagination.
 *
 * aws-codec.c dispatches and holds what the protocols share (scalars,
 * timestamps, the CLI's own touches); one file per protocol family does
 * the rest: aws-protocol-query.c (query, ec2), aws-protocol-json.c (json
 * and the JSON bodies of rest-json), aws-protocol-rest.c (rest-json and
 * rest-xml: URI, query string, headers, payload), aws-protocol-xml.c (the
 * XML of query, ec2 and rest-xml), aws-paginate.c (paginators).
 *
 * Documents are what botocore parses from the same bytes, rendered as the
 * AWS CLI v1 prints them (its JSON output, ResponseMetadata left out):
 * members in the model's order, timestamps as they came over the wire
 * (cli_timestamp_format=wire, the CLI v1 default; AWS_DECODE_ISO8601 for
 * cli_timestamp_format=iso8601), blobs as their base64 text, IAM policy
 * documents decoded into JSON, S3's LocationConstraint from the root
 * element.
 */
#ifndef AWS_CODEC_H
#define AWS_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws-model.h"
#include "http.h"

/* A request, ready for an endpoint and a signature. */
struct aws_request {
	const char		*method;	/* borrowed from the model */
	char			*path;		/* escaped, with any query */
	char			*host_prefix;	/* "123456789012.", or NULL */
	struct http_header	*headers;
	size_t			 nheaders;
	char			*body;		/* NULL: none */
	size_t			 body_len;
};

/* An answer as it came: status, headers, body. */
struct aws_answer {
	long				 status;
	const struct http_header	*headers;
	size_t				 nheaders;
	const char			*body;
	size_t				 len;
};

/* An AWS error as botocore decodes it. */
struct aws_error {
	char	*code;		/* "NoSuchBucket"; "404" when only a status */
	char	*message;	/* or NULL */
	char	*request_id;	/* or NULL */
	char	*type;		/* "Sender", or NULL */
};

#define AWS_DECODE_ISO8601	0x1	/* timestamps in ISO 8601, UTC */

#define AWS_XML_MAX_DEPTH	256

int	 aws_codec_serialise(const struct aws_op *, json_t *,
	    struct aws_request *, char **);
void	 aws_request_clear(struct aws_request *);
int	 aws_codec_decode(const struct aws_op *, const struct aws_answer *,
	    int, json_t **, struct aws_error *, char **);
int	 aws_codec_error(enum aws_protocol, const struct aws_answer *,
	    struct aws_error *);
void	 aws_error_clear(struct aws_error *);
const char *aws_answer_header(const struct aws_answer *, const char *);

/* aws-paginate.c: pages. */
struct aws_pages;

json_t	*aws_paginate_next(const struct aws_op *, json_t *, json_t *);
struct aws_pages *aws_pages_new(const struct aws_op *);
int	 aws_pages_add(struct aws_pages *, json_t *, char **);
int	 aws_pages_next(struct aws_pages *, json_t *, json_t *, json_t **,
	    char **);
json_t	*aws_pages_result(struct aws_pages *);
size_t	 aws_pages_count(const struct aws_pages *);
void	 aws_pages_free(struct aws_pages *);

#endif /* AWS_CODEC_H */
