/*
 * feed.h: where changes come from (feeds: feed.c, feed-sqs.c, feed-file.c)
 * and what happens to them (the pipeline: pipeline.c).
 *
 * A feed hands messages to the pipeline; the pipeline unwraps them into
 * change events, fetches what they point to, commits their effects in one
 * transaction, and only then gives each message back to its feed to be
 * acknowledged (deleted from the queue).  A message that cannot be
 * processed now is given back unacknowledged, to come again; one that can
 * never be processed is kept in dead_letters, then acknowledged.
 */
#ifndef FEED_H
#define FEED_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vigild.h"

struct vigil;
struct feed;
struct feed_conf;
struct pipeline;
struct change_event;
struct envelope_ref;

/* One message from a feed. */
struct msg {
	TAILQ_ENTRY(msg)	 entry;		/* the pipeline's queues */
	struct feed		*feed;
	char			*id;		/* the feed's message id */
	char			*body;		/* as received; may be NULL when
						   events are already parsed */
	size_t			 len;
	int64_t			 received_ms;	/* wall clock */
	int64_t			 received_mono;
	int64_t			 sent_ms;	/* when it was sent; 0 unknown */
	int			 receive_count;	/* deliveries so far, 1 first */
	void			*feed_data;	/* the feed's (receipt handle) */

	/* The pipeline's. */
	struct change_event	**events;
	size_t			  nevents;
	char			*dead_reason;	/* never processable: keep it */
	char			*retry_reason;	/* not now: give it back */
	int			 pending;	/* fetches in flight */
	bool			 duplicate;	/* committed before */
	bool			 done;
};

struct msg	*msg_new(struct feed *, const char *, const char *, size_t);
void		 msg_free(struct msg *);

/* A kind of feed: one file each, one line in feed.c's table. */
struct feed_backend {
	const char		*type;		/* "aws-sqs" */
	const struct cfg_key	*keys;		/* its own configuration keys */
	size_t			 nkeys;
	size_t			 conf_size;	/* the struct they fill */
	int			 (*check)(struct feed_conf *, struct diags *);
	void			 (*conf_free)(void *);
	int			 (*start)(struct feed *, char **);
	void			 (*stop)(struct feed *);
	void			 (*ack)(struct feed *, struct msg *);
	void			 (*nack)(struct feed *, struct msg *);
	/* Fetch an object a message announced; NULL: cannot.  The answer
	   goes to pipeline_fetched(), from the loop. */
	void			 (*fetch)(struct feed *, struct msg *,
				    const struct envelope_ref *, const char *);
	void			 (*status)(struct feed *, json_t *);
	void			 (*free)(struct feed *);
};

/* A feed as configured. */
struct feed_conf {
	int				 refs;	/* the config's, a running feed's */
	char				*name;
	char				*type;
	bool				 enabled;
	const struct feed_backend	*backend;
	void				*opts;		/* backend->conf_size */
	char				*file;		/* where it was defined */
	int				 line;
	int				 col;
};

extern const struct cfg_list_ops	feed_conf_list_ops;

enum feed_state {
	FEED_STARTING,
	FEED_RUNNING,
	FEED_BACKOFF,		/* the endpoint failed: waiting to try again */
	FEED_IDLE,		/* nothing more to do (a replayed file) */
	FEED_STOPPING,
	FEED_STOPPED,
};

/* A running feed. */
struct feed {
	struct vigil		*v;
	struct feed_conf	*conf;		/* owned (a copy of the config's) */
	const char		*name;
	enum feed_state		 state;
	void			*impl;		/* the backend's */

	uint64_t		 received;	/* messages */
	uint64_t		 committed;
	uint64_t		 acked;
	uint64_t		 retried;	/* given back to come again */
	uint64_t		 dead;
	uint64_t		 duplicates;
	uint64_t		 events;	/* change events stored */
	uint64_t		 errors;
	int64_t			 last_message_ms;
	int64_t			 lag_ms;	/* receipt - sent, of the last */
	char			*last_error;
	int64_t			 last_error_ms;
	size_t			 in_flight;	/* messages in the pipeline */
	size_t			 pending_io;	/* the backend's own work
						   (acknowledgements) */
	bool			 leave_dead;	/* dead messages are kept, but
						   left to the queue's redrive
						   policy, not acknowledged */
};

const struct feed_backend *feed_backend_find(const char *);
struct feed	*feed_start(struct vigil *, struct feed_conf *, char **);
void		 feed_stop(struct feed *);
void		 feed_free(struct feed *);
bool		 feed_idle(struct feed *);
json_t		*feed_status(struct feed *);
void		 feed_error(struct feed *, const char *, ...)
		    VIGIL_PRINTFLIKE(2, 3);
void		 feed_set_state(struct feed *, enum feed_state);
const char	*feed_state_name(enum feed_state);
void		 feed_conf_free(struct feed_conf *);
struct feed_conf *feed_conf_ref(struct feed_conf *);
void		 feed_keys_print(FILE *);
bool		 feed_conf_equal(const struct feed_conf *,
		    const struct feed_conf *);

extern const struct feed_backend	feed_sqs_backend;
extern const struct feed_backend	feed_file_backend;

/* pipeline.c: messages to committed change events. */
struct pipeline	*pipeline_new(struct vigil *);
void		 pipeline_free(struct pipeline *);
void		 pipeline_submit(struct pipeline *, struct msg *);
void		 pipeline_fetched(struct pipeline *, struct msg *, const char *,
		    const char *, size_t, const char *);
size_t		 pipeline_in_flight(struct pipeline *);
json_t		*pipeline_status(struct pipeline *);

#endif /* FEED_H */
