/*
 * rule.h: vigil's rules: rule files, the compiler and the evaluator.  A
 * pure core: no loop, no socket, no database.  The language is documented
 * in vigil-rules(7).
 *
 *	ruleset.c	rule files (YAML) into a ruleset, indexed by asset type
 *	rule-parse.c	expressions into syntax trees, with file positions
 *	rule-check.c	names, scopes and types; the related assets a rule reads
 *	rule-func.c	the built-in functions, one table
 *	rule-eval.c	evaluation over a document in place, with evidence
 */
#ifndef RULE_H
#define RULE_H

#include <jansson.h>

#include "vigil.h"

enum rule_severity {
	RULE_INFO,
	RULE_LOW,
	RULE_MEDIUM,
	RULE_HIGH,
	RULE_CRITICAL,
};

struct rule_framework {
	char		 *name;		/* "cis-aws-6.0.0" */
	char		**controls;	/* "5.2", ... */
	size_t		  ncontrols;
};

/*
 * A related asset type that a rule reads, for dependency tracking: when an
 * asset of that type changes, the assets whose rules read it must be
 * evaluated again.  path is where the related assets' ids are in the
 * evaluated asset's document, as a path of the rule language with every
 * filter as [*] ("SecurityGroups[*].GroupId"); NULL when they do not come
 * from the document.  account is set for account_ref(): the one asset of
 * that type in the evaluated asset's account (and region, for regional
 * types).
 */
struct rule_ref {
	char		*type;
	char		*path;
	bool		 account;
};

/* A compiled rule.  Read-only for everyone but ruleset.c. */
struct rule {
	char			 *id;
	char			 *title;
	char			 *description;
	enum rule_severity	  severity;
	char			**types;	/* asset types it applies to */
	size_t			  ntypes;
	struct rule_framework	 *frameworks;
	size_t			  nframeworks;
	char			 *remediation;
	char			**references;
	size_t			  nreferences;
	char			**tags;
	size_t			  ntags;
	bool			  enabled;
	char			 *file;		/* where it is defined */
	int			  line;
	int			  col;
	struct rule_ref		 *refs;
	size_t			  nrefs;
	struct rule_prog	 *prog;		/* the compiled condition */
};

/* The asset being evaluated; doc is read in place, never copied. */
struct rule_asset {
	const char	*type;
	const char	*id;
	const char	*account;	/* NULL when unknown */
	const char	*region;	/* NULL when unknown or global */
	const json_t	*doc;
};

/*
 * How the evaluator reaches related assets: the caller's.  get returns the
 * document of the asset of that type and id as a new reference, which the
 * evaluator releases before rule_eval returns, or NULL when there is none.
 * id is NULL for account_ref(): the one asset of that type in the account
 * (and region, for a regional type).  account and region are the
 * evaluated asset's.  Every asset read goes through get, once per
 * evaluation, so a caller can record the dependencies there too.
 */
struct rule_lookup {
	json_t		*(*get)(void *, const char *, const char *,
			    const char *, const char *);
	void		*ctx;
};

/* A related asset that an evaluation read (or looked for). */
struct rule_dep {
	char		*type;
	char		*id;		/* NULL for an account's singleton */
	bool		 found;
};

struct rule_result {
	bool		 violates;
	json_t		*evidence;	/* array of {path, value[, asset]} */
	bool		 truncated;	/* evidence was left out */
	struct rule_dep	*deps;
	size_t		  ndeps;
};

#define RULE_EVIDENCE_MAX	32	/* entries */
#define RULE_EVIDENCE_VALUE_MAX	256	/* bytes of one value */

/* ruleset.c */
struct ruleset	*ruleset_load(char *const *, size_t, struct diags *);
struct ruleset	*ruleset_parse(const char *, const char *, size_t,
		    struct diags *);
void		 ruleset_free(struct ruleset *);
size_t		 ruleset_count(const struct ruleset *);
size_t		 ruleset_nfiles(const struct ruleset *);
const struct rule *ruleset_rule(const struct ruleset *, size_t);
const struct rule *ruleset_find(const struct ruleset *, const char *);
const struct rule *const *ruleset_for_type(const struct ruleset *,
		    const char *, size_t *);
const struct rule *const *ruleset_readers(const struct ruleset *,
		    const char *, size_t *);
const char	*rule_severity_name(enum rule_severity);
int		 rule_severity_parse(const char *, enum rule_severity *);

/* rule-func.c */
int		 rule_timestamp(const char *, size_t, int64_t *);
bool		 rule_asset_type_ok(const char *);

/* rule-check.c */
const struct rule_ref *rule_refs(const struct rule *, size_t *);

/* rule-eval.c */
bool		 rule_eval(const struct rule *, const struct rule_asset *,
		    const struct rule_lookup *, int64_t, struct rule_result *);
void		 rule_result_free(struct rule_result *);

#endif /* RULE_H */
