/*
 * aws-model.h: AWS service models (botocore's service-2.json and
 * paginators-1.json, trimmed by tools/trim-models.py) loaded for fast
 * lookups (aws-model.c).  A pure core: no loop, no socket.
 *
 * A shape is referenced with serialisation traits (locationName,
 * flattened, location, timestampFormat, ...) that botocore merges from the
 * shape itself and from the reference, the reference winning: struct
 * aws_ref holds the merged traits, so the codec never merges.
 */
#ifndef AWS_MODEL_H
#define AWS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aws.h"

enum aws_type {
	AWS_TYPE_STRUCTURE,
	AWS_TYPE_LIST,
	AWS_TYPE_MAP,
	AWS_TYPE_STRING,	/* also botocore's "character" */
	AWS_TYPE_INTEGER,
	AWS_TYPE_LONG,
	AWS_TYPE_FLOAT,
	AWS_TYPE_DOUBLE,
	AWS_TYPE_BOOLEAN,
	AWS_TYPE_TIMESTAMP,
	AWS_TYPE_BLOB,
};

/* Where a member travels (the "location" trait). */
enum aws_location {
	AWS_LOC_BODY = 0,
	AWS_LOC_URI,
	AWS_LOC_QUERYSTRING,
	AWS_LOC_HEADER,
	AWS_LOC_HEADERS,	/* a map: every header with a prefix */
	AWS_LOC_STATUSCODE,
};

enum aws_tsformat {
	AWS_TSF_DEFAULT = 0,	/* the protocol's */
	AWS_TSF_ISO8601,
	AWS_TSF_UNIX,
	AWS_TSF_RFC822,
};

struct aws_shape;

/* A reference to a shape, with its merged serialisation traits. */
struct aws_ref {
	const struct aws_shape	*shape;
	const char		*name;		/* locationName, or NULL */
	const char		*query_name;	/* queryName (ec2), or NULL */
	const char		*xmlns_uri;	/* xmlNamespace, or NULL */
	const char		*xmlns_prefix;	/* its prefix, or NULL */
	const char		*result_wrapper; /* query output, or NULL */
	enum aws_location	 location;
	enum aws_tsformat	 ts_format;
	bool			 flattened;
	bool			 xml_attribute;
	bool			 jsonvalue;
	bool			 host_label;
	bool			 streaming;
};

struct aws_member {
	const char	*name;
	struct aws_ref	 ref;
	bool		 required;
	const char	*xml_name;	/* its element's name in XML */
};

/* A structure's members by the name of their XML element. */
struct aws_xml_name {
	const char	*name;
	size_t		 member;	/* index in members */
};

struct aws_shape {
	const char		*name;
	enum aws_type		 type;
	struct aws_member	*members;	/* structure: in model order */
	size_t			 nmembers;
	struct aws_xml_name	*xml_names;	/* sorted by name */
	const struct aws_member	*payload;	/* structure: or NULL */
	struct aws_ref		 member;	/* list */
	struct aws_ref		 key;		/* map */
	struct aws_ref		 value;		/* map */
	bool			 exception;
	bool			 document;	/* any JSON, verbatim */
	bool			 is_union;	/* tagged union */
	bool			 has_min;
	int64_t			 min;		/* length, or value */
};

/*
 * A JMESPath expression of the subset paginators use: identifiers joined
 * with '.', indexes ([0], [-1]) and alternatives ('||').
 */
struct aws_expr;

struct aws_paginator {
	const char		**input_token;
	struct aws_expr		**output_token;	/* one per input token */
	size_t			  ntokens;
	struct aws_expr		 *more_results;	/* or NULL */
	const char		 *limit_key;	/* or NULL */
	struct aws_expr		**result_key;
	size_t			  nresult_keys;
	struct aws_expr		**non_aggregate_key;
	size_t			  nnon_aggregate_keys;
};

struct aws_model;

struct aws_op {
	const char		*name;
	const struct aws_model	*model;
	const char		*method;
	const char		*request_uri;
	const char		*host_prefix;	/* "{AccountId}.", or NULL */
	struct aws_ref		 input;		/* .shape NULL: no input */
	struct aws_ref		 output;	/* .shape NULL: no output */
	struct aws_paginator	*paginator;	/* or NULL */
};

struct aws_model {
	char			*service;	/* the file's name: "ec2" */
	enum aws_protocol	 protocol;
	struct aws_service	 svc;		/* for aws_client_new */
	const char		*api_version;
	const char		*target_prefix;	/* json */
	const char		*json_version;	/* json */
	bool			 query_compatible; /* awsQueryCompatible */
	struct aws_op		*ops;		/* sorted by name */
	size_t			 nops;
	struct aws_shape	*shapes;	/* sorted by name */
	size_t			 nshapes;
	json_t			*json;		/* holds the strings */
};

/* A directory of models, loaded when first asked for. */
struct aws_models;

struct aws_model *aws_model_load(const char *, const char *, char **);
struct aws_model *aws_model_parse(const char *, json_t *, char **);
void		 aws_model_free(struct aws_model *);
const struct aws_op *aws_model_op(const struct aws_model *, const char *);
const struct aws_shape *aws_model_shape(const struct aws_model *,
		    const char *);
const struct aws_member *aws_shape_member(const struct aws_shape *,
		    const char *);
const char	*aws_type_name(enum aws_type);
const char	*aws_protocol_name(enum aws_protocol);

struct aws_models *aws_models_new(const char *);
void		 aws_models_free(struct aws_models *);
const char	*aws_models_dir(const struct aws_models *);
const struct aws_model *aws_models_get(struct aws_models *, const char *,
		    char **);
const struct aws_op *aws_models_op(struct aws_models *, const char *,
		    const char *, char **);

/* Expressions (aws-model.c): parsed at load, searched in aws-paginate.c. */
struct aws_expr	*aws_expr_parse(const char *, char **);
void		 aws_expr_free(struct aws_expr *);
const char	*aws_expr_text(const struct aws_expr *);
json_t		*aws_expr_search(const struct aws_expr *, json_t *);
int		 aws_expr_set(const struct aws_expr *, json_t *, json_t *);

#endif /* AWS_MODEL_H */
