/*
 * notify.h: alerts and tickets (notify.c, notify-format.c, notify-*.c) and
 * their outbox in the database (store-outbox.c).
 *
 * The violations layer hands a violation transition (a vigil.notification/1
 * JSON object, documented in vigild.yaml(5)) to notify_enqueue() inside its
 * own transaction: for every channel whose filters match, a row is written
 * to the outbox, rendered for the channel's backend.  After the commit,
 * notify_kick() starts delivery.  Delivery is asynchronous, over the shared
 * HTTP client; a row is marked delivered only after the receiver said so,
 * and every send carries the row's stable idempotency key.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vigild.h"

#define NOTIFY_SCHEMA		"vigil.notification/1"
#define NOTIFY_DIGEST_ITEMS	20	/* listed in a digest or summary */

struct http_request;
struct http_response;
struct notify;
struct notify_channel;
struct notify_job;

enum notify_severity {
	NOTIFY_SEV_INFO,
	NOTIFY_SEV_LOW,
	NOTIFY_SEV_MEDIUM,
	NOTIFY_SEV_HIGH,
	NOTIFY_SEV_CRITICAL,
};

/* What a channel hears: bits of notify_conf.on_mask. */
enum notify_transition {
	NOTIFY_OPEN,
	NOTIFY_RESOLVE,
	NOTIFY_EXCEPTED,
	NOTIFY_EXCEPTION_EXPIRED,
	NOTIFY_TEST,
	NOTIFY_DIGEST,
	NOTIFY_SUMMARY,
};

/* A channel as configured (an item of the notify: list). */
struct notify_conf {
	int				 refs;	/* the config's, a channel's */
	char				*name;
	char				*type;
	bool				 enabled;
	int				 min_severity;
	struct strlist			 rules;
	struct strlist			 frameworks;
	struct strlist			 accounts;
	struct strlist			 asset_types;
	struct strlist			 tags;
	struct strlist			 on;
	unsigned			 on_mask;
	int64_t				 storm_threshold;
	int64_t				 storm_window;
	bool				 alert_on_initial_sweep;
	int64_t				 concurrency;
	int64_t				 timeout;
	int64_t				 retry_min;
	int64_t				 retry_max;
	int64_t				 give_up_after;
	const struct notify_backend	*backend;
	void				*opts;		/* backend->conf_size */
	char				*file;
	int				 line;
	int				 col;
};

/* How one delivery attempt ended. */
enum notify_outcome {
	NOTIFY_DELIVERED,
	NOTIFY_RETRY,		/* transient: try again later */
	NOTIFY_FAILED,		/* permanent: stop, visible as failed */
};

/* One row being delivered. */
struct notify_job {
	struct notify		*n;
	struct notify_channel	*ch;
	const struct notify_conf *conf;
	int64_t			 id;
	char			*key;
	char			*kind;
	enum notify_transition	 transition;
	int64_t			 violation;
	int64_t			 occurrence;
	json_t			*notification;
	json_t			*payload;
	int			 attempts;	/* before this one */
	int			 step;		/* progress of a multi-request
						   delivery, kept across tries */
	char			*ref;		/* the remote reference it made */
	char			*open_ref;	/* the occurrence's, if any */
	struct http_request	*req;		/* in flight */
	void			*impl;		/* the backend's */
	int64_t			 started_mono;
};

/*
 * A kind of channel: one file each, one line in notify.c's table.  render
 * turns a notification into what send needs (stored in the outbox at
 * enqueue time); send delivers it and ends with notify_job_done(), from the
 * loop.
 */
struct notify_backend {
	const char		*type;
	const struct cfg_key	*keys;
	size_t			 nkeys;
	size_t			 conf_size;
	int			 (*check)(struct notify_conf *, struct diags *);
	void			 (*conf_free)(void *);
	json_t			*(*render)(const struct notify_conf *,
				    const json_t *, char **);
	void			 (*send)(struct notify_job *);
	void			 (*cancel)(struct notify_job *);
};

extern const struct cfg_list_ops	notify_conf_list_ops;
extern const struct cfg_key *const	notify_key_table;	/* common */
extern const size_t			notify_nkeys;

/* notify.c: channels, routing, storm control, the outbox's delivery. */
struct notify	*notify_new(struct vigil *, const struct config *, char **);
void		 notify_free(struct notify *);
void		 notify_reconfigure(struct notify *, const struct config *);
int		 notify_enqueue(struct notify *, struct store *, json_t *,
		    bool, char **);
int		 notify_sweep_end(struct notify *, struct store *, char **);
void		 notify_kick(struct notify *);
json_t		*notify_status(struct notify *);
int64_t		 notify_test(struct notify *, const char *, char **);
int		 notify_retry(struct notify *, int64_t, char **);
size_t		 notify_in_flight(struct notify *);
void		 notify_keys_print(FILE *);
const struct notify_backend *notify_backend_find(const char *);
const struct notify_backend *const *notify_backends(size_t *);
void		 notify_conf_free(struct notify_conf *);
struct notify_conf *notify_conf_ref(struct notify_conf *);
bool		 notify_conf_equal(const struct notify_conf *,
		    const struct notify_conf *);
bool		 notify_match(const struct notify_conf *, const json_t *);
json_t		*notify_test_notification(const char *, int64_t);

void		 notify_job_done(struct notify_job *, enum notify_outcome,
		    int64_t, const char *, ...) VIGIL_PRINTFLIKE(4, 5);
void		 notify_job_progress(struct notify_job *, int, const char *);
void		 notify_defer(struct notify_job *, void (*)(int, short, void *));
struct http_request *notify_http_request(struct notify_job *, const char *,
		    const char *);
void		 notify_http_payload(struct http_request *, const json_t *);
int		 notify_http_outcome(struct notify_job *,
		    const struct http_response *, const char *,
		    enum notify_outcome *, int64_t *, char **);
void		 notify_http_send(struct notify_job *, struct http_request *,
		    const char *);

/* notify-format.c: what every backend says, and how. */
int		 notify_severity_parse(const char *);
const char	*notify_severity_name(int);
int		 notify_transition_parse(const char *);
const char	*notify_transition_name(int);
const char	*notify_str(const json_t *, const char *);
int		 notify_kind(const json_t *);
char		*notify_title(const json_t *);
char		*notify_asset_line(const json_t *);
char		*notify_console_url(const json_t *);
char		*notify_value_text(const json_t *, size_t);
char		*notify_text(const json_t *);
char		*notify_tags_text(const json_t *);
char		*notify_cause_text(const json_t *);
char		*notify_item_line(const json_t *);
char		*notify_html_escape(const char *);
char		*notify_truncate(const char *, size_t);
char		*notify_base64(const void *, size_t);
char		*notify_hmac_sha256_hex(const struct secret *, const void *,
		    size_t);

extern const struct notify_backend	notify_slack_backend;
extern const struct notify_backend	notify_email_backend;
extern const struct notify_backend	notify_webhook_backend;
extern const struct notify_backend	notify_pagerduty_backend;
extern const struct notify_backend	notify_jira_backend;
extern const struct notify_backend	notify_teams_backend;
extern const struct notify_backend	notify_stdout_backend;

/* store-outbox.c: the outbox and the remote references, in SQLite. */
struct outbox_new {
	const char	*channel;
	const char	*type;
	const char	*key;
	const char	*kind;
	const char	*transition;
	int64_t		 violation;	/* 0: none */
	int64_t		 occurrence;
	const char	*severity;
	const char	*rule;
	const char	*asset;
	const char	*notification;
	const char	*payload;	/* NULL while collecting */
	const char	*state;
	int64_t		 next_attempt_at;
	int64_t		 created_at;
	int64_t		 digest;	/* 0: none */
};

struct outbox_row {
	int64_t		 id;
	char		*channel;
	char		*key;
	char		*kind;
	char		*transition;
	int64_t		 violation;
	int64_t		 occurrence;
	char		*notification;
	char		*payload;
	int		 attempts;
	int		 step;
	int64_t		 created_at;
	char		*remote_ref;
};

struct outbox_query {
	const char	*state;
	const char	*channel;
	int64_t		 limit;
};

int		 store_outbox_put(struct store *, const struct outbox_new *,
		    int64_t *, char **);
int64_t		 store_outbox_collecting(struct store *, const char *,
		    const char *, char **);
int		 store_outbox_opens_since(struct store *, const char *,
		    int64_t, int64_t *, char **);
int		 store_outbox_fold(struct store *, const char *, int64_t,
		    int64_t, char **);
int		 store_outbox_due(struct store *, const char *, int64_t,
		    size_t, struct outbox_row **, size_t *, char **);
int		 store_outbox_closing(struct store *, int64_t, int64_t **,
		    size_t *, char **);
int		 store_outbox_row(struct store *, int64_t, struct outbox_row *,
		    char **);
void		 outbox_row_clear(struct outbox_row *);
json_t		*store_outbox_digest_items(struct store *, int64_t, size_t,
		    int64_t *, char **);
int		 store_outbox_sending(struct store *, int64_t, char **);
int		 store_outbox_delivered(struct store *, int64_t, int64_t,
		    const char *, const char *, char **);
int		 store_outbox_retry(struct store *, int64_t, int64_t,
		    const char *, char **);
int		 store_outbox_failed(struct store *, int64_t, const char *,
		    char **);
int		 store_outbox_progress(struct store *, int64_t, int,
		    const char *, char **);
int		 store_outbox_render(struct store *, int64_t, const char *,
		    const char *, int64_t, char **);
int		 store_outbox_update_notification(struct store *, int64_t,
		    const char *, char **);
int		 store_outbox_reset_sending(struct store *, int64_t *, char **);
int		 store_outbox_requeue(struct store *, int64_t, int64_t,
		    char **);
int		 store_outbox_close_now(struct store *, int64_t, int64_t,
		    char **);
int		 store_outbox_ref_put(struct store *, const char *, int64_t,
		    int64_t, const char *, char **);
char		*store_outbox_ref_get(struct store *, const char *, int64_t,
		    int64_t, char **);
json_t		*store_outbox_query(struct store *, const struct outbox_query *,
		    char **);
json_t		*store_outbox_get(struct store *, int64_t, char **);
json_t		*store_outbox_counts(struct store *, char **);
int64_t		 store_outbox_next_due(struct store *, char **);
int		 store_outbox_prune(struct store *, int64_t, char **);

#endif /* NOTIFY_H */
