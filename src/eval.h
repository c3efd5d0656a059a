/*
 * eval.h: rules meet assets: evaluation and the violation lifecycle
 * (eval.c).
 */
#ifndef EVAL_H
#define EVAL_H

#include <jansson.h>

#include "vigild.h"

struct ruleset;
struct eval;

/* The asset being evaluated, as stored. */
struct eval_asset {
	int64_t		 id;		/* the assets row */
	const char	*type;
	const char	*resource_id;
	const char	*arn;
	const char	*name;
	const char	*account;
	const char	*region;
	const json_t	*doc;		/* borrowed */
};

void		 eval_asset_of(struct eval_asset *, int64_t, const json_t *);

/* What caused the evaluation: an event (and who), a sweep, a reload. */
struct eval_cause {
	int64_t		 time;		/* ms */
	const char	*event_id;
	const char	*event_name;
	const char	*actor;
	bool		 initial_sweep;
};

/*
 * Hand a transition (the vigil.notification/1 object, borrowed) on, within
 * the caller's transaction: the notifier's outbox.
 */
typedef int (*eval_emit_cb)(void *, const json_t *, bool, char **);

struct eval	*eval_new(struct vigil *, eval_emit_cb, void (*)(void *),
		    void *);
void		 eval_all(struct eval *);
void		 eval_committed(struct eval *);
bool		 eval_busy(struct eval *);
void		 eval_free(struct eval *);
void		 eval_set_rules(struct eval *, struct ruleset *);
struct ruleset	*eval_rules(struct eval *);
int		 eval_asset(struct eval *, const struct eval_asset *,
		    const struct eval_cause *, char **);
int		 eval_asset_deleted(struct eval *, const struct eval_asset *,
		    const struct eval_cause *, char **);
int		 eval_exceptions(struct eval *, int64_t, int64_t *, char **);
json_t		*eval_status(struct eval *);

#endif /* EVAL_H */
