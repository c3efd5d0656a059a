/*
 * collect.h: the inventory's collectors (collect.c, the engine;
 * collect-aws.c, the table of AWS asset types).
 *
 * An asset type is an entry in a table: which call lists its assets, where
 * the items are in the answer, which member is the id, the ARN and the
 * name, which call describes one asset again, and which further calls
 * enrich the document (a bucket's policy, an instance's ...), each under a
 * documented key.  Adding a type is adding an entry.
 */
#ifndef COLLECT_H
#define COLLECT_H

#include <stdio.h>

#include <jansson.h>

#include "vigild.h"

struct account;
struct collect;

enum collect_scope {
	COLLECT_REGIONAL,	/* listed in every region of the account */
	COLLECT_GLOBAL,		/* listed once per account (IAM, S3) */
};

#define ENRICH_JSON_STRING	0x01	/* the value is JSON in a string */
#define ENRICH_REGION		0x02	/* the value is the asset's region
					   (S3 GetBucketLocation) */
#define ENRICH_PER_ITEM		0x04	/* one call per element of a list
					   an earlier enrichment made */
#define ENRICH_CSV		0x08	/* the answer's Content is base64 CSV:
					   its rows, as objects keyed by the
					   header, replace it as "Rows" */
#define ENRICH_LATER		0x10	/* the absent codes mean "not yet":
					   the key is null, and the asset is
					   refreshed again in a moment */

/* A further call whose answer goes into the document under key. */
struct collect_enrich {
	const char	*key;
	const char	*op;
	const char	*params;	/* JSON; ${id}, ${name}, ${arn},
					   ${region}, ${account} and
					   ${doc:Path} in strings */
	const char	*result;	/* path in the answer; NULL: all of it */
	const char	*absent;	/* error codes meaning "there is none":
					   the key is null ("A,B") */
	int		 flags;
	const char	*each;		/* ENRICH_PER_ITEM: the list, a path
					   in the document ("AccessKeys[*]");
					   one call per element, ${doc:...}
					   in it, the value set in it */
};

struct collect_type {
	const char			*type;		/* AWS::EC2::Volume */
	const char			*service;	/* model: "ec2" */
	enum collect_scope		 scope;
	const char			*list_op;
	const char			*list_params;	/* JSON, or NULL */
	const char			*items;		/* path: "Volumes",
						   "Reservations[*].Instances";
						   NULL: the answer is the one
						   document (a singleton).
						   Items that are strings are
						   ids: each is described with
						   get_op */
	const char			*id;		/* path in an item; NULL
						   for a singleton: the
						   account (global) or the
						   region */
	const char			*arn;		/* path, or an arn:
						   template */
	const char			*name;		/* path, or "tag:Name" */
	const char			*get_op;	/* describe one; NULL:
						   list and pick */
	const char			*get_params;	/* JSON template */
	const char			*get_result;	/* path to the document in
						   the answer: "Volumes[0]",
						   "cluster" */
	const char			*not_found;	/* codes: it is gone */
	const char			*absent;	/* codes of the list call
						   meaning none (a singleton
						   that is not set: {}) */
	const struct collect_enrich	*enrich;
	size_t				 nenrich;
	const char			*policy;	/* path to a policy in a
						   JSON string: parsed, it
						   is the document's
						   "Policy" */
};

extern const struct collect_type	collect_aws_types[];
extern const size_t			collect_aws_ntypes;

const struct collect_type *collect_type_find(const char *);
void		 collect_watch(struct collect *);
void		 collect_types_print(FILE *);

/* Paths into JSON: "A.B[*].C", [*] iterating a list. */
size_t		 collect_path(json_t *, const char *, json_t ***);
json_t		*collect_path_one(json_t *, const char *);
json_t		*collect_template(const char *, const json_t *, const char *,
		    const char *, const char *, const char *, const char *,
		    char **);

struct collect	*collect_new(struct vigil *);
void		 collect_free(struct collect *);
void		 collect_sweep(struct collect *, const char *, const char *);
void		 collect_kick(struct collect *);
bool		 collect_idle(struct collect *);
json_t		*collect_status(struct collect *);

#endif /* COLLECT_H */
