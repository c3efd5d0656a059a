/*
 * vigild.h: the daemon's internal interfaces, in sections named after the
 * files that implement them.
 */
#ifndef VIGILD_H
#define VIGILD_H

#include "vigil.h"
#include "yamldoc.h"

struct event_base;
struct sqlite3;
struct json_t;

/* config.c: vigild.yaml, read through tables of keys. */
enum cfg_type {
	CFG_STRING,	/* char * */
	CFG_PATH,	/* char *, made absolute against the config's directory */
	CFG_INT,	/* int64_t in [min, max] */
	CFG_BOOL,	/* bool */
	CFG_DURATION,	/* int64_t milliseconds in [min, max] (in seconds) */
	CFG_SIZE,	/* int64_t bytes in [min, max] */
	CFG_ENUM,	/* int: index into the '|'-separated values */
	CFG_MODE,	/* int: an octal file mode */
	CFG_STRLIST,	/* struct strlist */
	CFG_PATHLIST,	/* struct strlist of absolute paths */
	CFG_SECRET_FILE, /* struct secret *: a file's contents */
	CFG_SECRET_ENV,	/* struct secret *: an environment variable's value */
	CFG_LIST,	/* a list of mappings, parsed by the key's list ops */
};

#define CFG_REQUIRED	0x1	/* no default: must be given */
#define CFG_RESTART	0x2	/* a change takes effect only on restart */

struct strlist {
	char	**v;
	size_t	  n;
};

struct secret {
	char	*value;		/* never logged, never sent over the API */
	size_t	 len;
	char	*origin;	/* "file /path" or "environment NAME" */
};

struct cfg_list_ops;

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	size_t		 offset;
	int64_t		 min;
	int64_t		 max;
	const char	*def;		/* default, as the YAML text; NULL: none */
	const char	*values;	/* CFG_ENUM: "a|b|c" */
	int		 flags;
	const char	*doc;
	const struct cfg_list_ops *list; /* CFG_LIST */
};

/* A CFG_LIST key's slot is parsed and freed by its owner's functions. */
struct cfg_list_ops {
	int	(*parse)(void *, struct yamldoc *, yaml_node_t *, const char *,
		    struct diags *);
	void	(*free)(void *);
};

/* One object and its key table, for mappings that fill several objects. */
struct cfg_layer {
	void			*obj;
	const struct cfg_key	*keys;
	size_t			 nkeys;
};

struct feed_conf_list {
	struct feed_conf	**v;
	size_t			  n;
};

struct account_conf_list {
	struct account_conf	**v;
	size_t			  n;
};

struct notify_conf_list {
	struct notify_conf	**v;
	size_t			  n;
};

struct config {
	char		*path;
	char		*dir;		/* for relative paths */

	char		*database;
	int		 database_sync;
	char		*socket;
	int		 socket_mode;
	char		*socket_group;
	char		*admin_group;
	int64_t		 control_max_connections;
	int64_t		 control_max_body;
	int64_t		 control_timeout;
	char		*metrics_listen;
	int		 log_level;
	struct strlist	 rules;
	bool		 events_read_only;
	bool		 events_failed;
	int64_t		 events_retention;
	int64_t		 poison_receive_count;
	int64_t		 shutdown_timeout;
	struct feed_conf_list feeds;
	struct account_conf_list accounts;
	char		*event_map;
	char		*aws_models;
	int64_t		 refresh_delay;
	int64_t		 reconcile_interval;
	int64_t		 api_rate;
	bool		 sweep_at_start;
	char		*exceptions_dir;
	struct notify_conf_list notify;
};

enum {
	CONFIG_SYNC_NORMAL,
	CONFIG_SYNC_FULL,
};

extern const struct cfg_key	config_keys[];
extern const size_t		config_nkeys;

struct config	*config_load(const char *, struct diags *);
struct config	*config_parse(const char *, const char *, size_t,
		    struct diags *);
void		 config_free(struct config *);
enum log_level	 config_log_level(const struct config *);
int		 config_keep_restart_keys(struct config *, struct config *);
int		 cfg_section_parse(void *, const struct cfg_key *, size_t,
		    struct yamldoc *, yaml_node_t *, const char *,
		    struct diags *);
int		 cfg_layers_parse(const struct cfg_layer *, size_t,
		    struct yamldoc *, yaml_node_t *, const char *,
		    struct diags *);
void		 cfg_section_free(void *, const struct cfg_key *, size_t);
const char	*cfg_type_name(enum cfg_type);
void		 config_keys_print(FILE *);
void		 cfg_keys_print(FILE *, const char *, const struct cfg_key *,
		    size_t);
bool		 cfg_section_equal(const void *, const void *,
		    const struct cfg_key *, size_t);
void		 secret_free(struct secret *);
struct secret	*cfg_secret_file(const char *, char **);
bool		 cfg_name_ok(const char *);
void		 strlist_add(struct strlist *, const char *);
void		 strlist_clear(struct strlist *);
bool		 strlist_has(const struct strlist *, const char *);

/* sdnotify.c: the service manager's notification protocol. */
int		 sdnotify_init(void);
void		 sdnotify(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
int64_t		 sdnotify_watchdog_usec(void);
bool		 sdnotify_enabled(void);

/* store.c: the only place that touches SQLite. */
struct store;
struct store_migration {
	int		 version;
	const char	*name;
	const char	*sql;
};
extern const struct store_migration	store_migrations[];
extern const size_t			store_nmigrations;

struct store	*store_open(const char *, int, char **);
struct store	*store_open_migrations(const char *, int,
		    const struct store_migration *, size_t, char **);
void		 store_close(struct store *);
int		 store_schema_version(struct store *);
#define STORE_LOOP_BUSY_MS	250	/* lock waits once running */
void		 store_busy_timeout(struct store *, int);
int		 store_run_begin(struct store *, const char *, char **);
int		 store_run_end(struct store *, char **);
int		 store_begin(struct store *, char **);
int		 store_commit(struct store *, char **);
void		 store_rollback(struct store *);
struct json_t	*store_status(struct store *);
struct sqlite3	*store_db(struct store *);
int		 store_latest_version(void);

/* store-events.c: change events, feed messages, dead letters, cursors. */
struct change_event;
struct event_query {
	int64_t		 since_ms;	/* 0: any time */
	const char	*account;
	const char	*name;
	const char	*actor;		/* ARN or principal id */
	const char	*feed;
	bool		 writes_only;
	int64_t		 limit;
};
int		 store_event_put(struct store *, const struct change_event *,
		    const char *, int64_t, bool *, char **);
int		 store_message_seen(struct store *, const char *, const char *,
		    bool *, char **);
int		 store_message_done(struct store *, const char *, const char *,
		    int64_t, int, char **);
int		 store_dead_letter_put(struct store *, const char *,
		    const char *, int64_t, int, const char *, const char *,
		    size_t, char **);
char		*store_cursor_get(struct store *, const char *, const char *,
		    char **);
int		 store_cursor_put(struct store *, const char *, const char *,
		    const char *, char **);
int		 store_messages_prune(struct store *, int64_t, char **);
int		 store_events_prune(struct store *, int64_t, char **);
struct json_t	*store_events_query(struct store *, const struct event_query *,
		    char **);
struct json_t	*store_event_get(struct store *, const char *, char **);
struct json_t	*store_event_counts(struct store *);

/* store-assets.c: the inventory and its history. */
struct asset_key {
	const char	*provider;	/* "aws" */
	const char	*account;
	const char	*region;	/* "" for global resources */
	const char	*type;		/* AWS::EC2::SecurityGroup */
	const char	*resource_id;
};

/* What made a change, for the asset's history. */
struct asset_change {
	int64_t		 time;		/* ms */
	int64_t		 sweep;		/* the sweep generation, 0: none */
	const char	*cause;		/* "sweep", "event", "config-item" */
	const char	*event_id;
	const char	*actor;
};

enum asset_result {
	ASSET_SAME,
	ASSET_NEW,
	ASSET_CHANGED,
};

struct asset_query {
	const char	*type;
	const char	*account;
	const char	*region;
	bool		 deleted;
	int64_t		 limit;
};

int		 store_asset_put(struct store *, const struct asset_key *,
		    const char *, const char *, struct json_t *,
		    const struct asset_change *, enum asset_result *,
		    int64_t *, char **);
int		 store_asset_delete(struct store *, const struct asset_key *,
		    const struct asset_change *, bool *, int64_t *, char **);
int		 store_assets_sweep_end(struct store *,
		    const struct asset_key *, const struct asset_change *,
		    int64_t **, size_t *, char **);
struct json_t	*store_assets_query(struct store *, const struct asset_query *,
		    char **);
int64_t		 store_asset_resolve(struct store *, const char *, char **);
struct json_t	*store_asset_get(struct store *, int64_t, char **);
struct json_t	*store_asset_history(struct store *, int64_t, char **);
struct json_t	*store_asset_counts(struct store *);
int		 store_asset_ids(struct store *, int64_t, size_t, int64_t **,
		    size_t *, char **);
char		*store_meta_get(struct store *, const char *);
int		 store_meta_put(struct store *, const char *, const char *,
		    char **);

struct refresh_row {
	char		*account;
	char		*region;
	char		*type;
	char		*resource_id;
	char		*action;	/* "refresh" or "delete" */
	char		*event_id;
	char		*event_name;
	char		*actor;
	int64_t		 queued_at;
	int64_t		 due_at;
	int		 attempts;
};
int		 store_refresh_enqueue(struct store *,
		    const struct refresh_row *, char **);
int		 store_refreshes_due(struct store *, int64_t, size_t,
		    struct refresh_row **, size_t *, char **);
int64_t		 store_refresh_next(struct store *);
int		 store_refresh_done(struct store *, const struct refresh_row *,
		    char **);
int		 store_refresh_retry(struct store *, const struct refresh_row *,
		    int64_t, const char *, char **);
int64_t		 store_refresh_count(struct store *);
void		 refresh_row_clear(struct refresh_row *);
int		 store_sweep_done(struct store *, const struct asset_key *,
		    int64_t, int64_t, char **);
bool		 store_sweep_known(struct store *, const struct asset_key *);

/* store-violations.c: violations, exceptions, dependencies. */
struct violation_row {
	int64_t		 id;
	int64_t		 occurrence;
	char		*rule_id;	/* store_violations_of_asset */
	bool		 excepted;
	struct json_t	*evidence;
	int64_t		 exception;
	int64_t		 first_seen;
};

struct violation_open {
	const char	*rule_id;
	int64_t		 asset;
	const char	*severity;
	const struct json_t *evidence;
	int64_t		 time;
	const char	*event_id;
	const char	*actor;
	int64_t		 exception;	/* 0: none, the violation is open */
};

/* A related asset an evaluation read. */
struct dep {
	const char	*type;
	const char	*account;
	const char	*region;
	const char	*id;		/* NULL: the singleton */
};

struct exception_row {
	int64_t		 id;
	char		*rule_pattern;
	char		*asset_pattern;
	char		*account;
	char		*tag_key;
	char		*tag_value;
	char		*reason;
	char		*owner;
	int64_t		 expires_at;	/* 0: never */
	int64_t		 created_at;
	char		*created_by;
	char		*source;
	int64_t		 removed_at;
	bool		 expired;
};

int		 store_violation_live(struct store *, const char *, int64_t,
		    struct violation_row *, bool *, char **);
int		 store_violations_of_asset(struct store *, int64_t,
		    struct violation_row **, size_t *, char **);
void		 violation_row_clear(struct violation_row *);
int		 store_violation_open(struct store *,
		    const struct violation_open *, int64_t *, int64_t *,
		    char **);
int		 store_violation_seen(struct store *, int64_t,
		    const struct json_t *, int64_t, char **);
int		 store_violation_resolve(struct store *, int64_t, int64_t,
		    const char *, const char *, const char *, char **);
int		 store_violation_except(struct store *, int64_t, int64_t,
		    int64_t, const char *, char **);
int		 store_deps_replace(struct store *, int64_t, const struct dep *,
		    size_t, char **);
int		 store_dependents(struct store *, const struct asset_key *,
		    int64_t **, size_t *, char **);
struct json_t	*store_asset_lookup(struct store *, const char *, const char *,
		    const char *, const char *, char **);
int		 store_exception_add(struct store *,
		    const struct exception_row *, int64_t *, char **);
int		 store_exception_remove(struct store *, int64_t, const char *,
		    int64_t, bool *, char **);
int		 store_exceptions(struct store *, bool, int64_t,
		    struct exception_row **, size_t *, char **);
void		 exception_row_clear(struct exception_row *);
int		 store_violations_orphaned(struct store *, int64_t, int64_t **,
		    size_t *, char **);

struct violation_query {
	const char	*state;		/* open, resolved, excepted; NULL: all */
	const char	*severity;
	const char	*rule;		/* a glob */
	const char	*account;
	const char	*type;
	int64_t		 since_ms;
	int64_t		 limit;
};

struct violation_live {
	int64_t		 id;
	char		*rule_id;
	int64_t		 asset;
	int64_t		 occurrence;
	bool		 excepted;
	int64_t		 exception;
};

struct json_t	*store_violations_query(struct store *,
		    const struct violation_query *, char **);
struct json_t	*store_violation_get(struct store *, int64_t, char **);
struct json_t	*store_violation_state(struct store *, int64_t, char **);
int		 store_violations_live(struct store *, struct violation_live **,
		    size_t *, char **);
struct json_t	*store_violation_counts(struct store *);

/* metrics.c: counters, gauges and histograms, Prometheus text format. */
enum metric_id {
	M_EVENTS_RECEIVED,
	M_EVENTS_PROCESSED,
	M_EVALUATIONS,
	M_VIOLATIONS_OPEN,
	M_FEED_LAG,
	M_OUTBOX_DEPTH,
	M_ERRORS,
	M_PROCESSING_SECONDS,
	M_CONTROL_REQUESTS,
	M_RELOADS,
	M_UP_SINCE,
	M__COUNT
};
void		 metrics_init(void);
void		 metrics_free(void);
void		 metrics_add(enum metric_id, const char *, double);
void		 metrics_set(enum metric_id, const char *, double);
void		 metrics_observe(enum metric_id, const char *, double);
double		 metrics_get(enum metric_id, const char *);
double		 metrics_sum(enum metric_id);
char		*metrics_render(void);

/* control.c: the HTTP/1.1 + JSON control API on the UNIX socket. */
struct control;
struct vigil;
struct control	*control_start(struct vigil *, const struct config *,
		    char **);
void		 control_stop(struct control *);
int		 control_check(const struct config *, struct diags *);
void		 control_reconfigure(struct control *, const struct config *);
int		 control_metrics_listen(struct control *, const char *,
		    char **);

/* vigild.c: the daemon, as its parts see it. */
struct vigil {
	struct event_base	*base;
	struct config		*conf;
	struct store		*store;
	struct http		*http;
	struct aws_creds	*aws;		/* the standard chain */
	struct pipeline		*pipeline;
	struct feed		**feeds;
	size_t			  nfeeds;
	struct account		**accounts;
	size_t			  naccounts;
	struct eval		 *eval;		/* rules meet assets */
	struct evmap		 *evmap;	/* events to assets */
	struct collect		 *collect;	/* the inventory */
	struct notify		 *notify;	/* alerts and their outbox */
	bool			  stopping;
};

struct json_t	*vigild_status(void);
int		 vigild_reload(struct diags *);
void		 vigild_exceptions_changed(void);

#endif /* VIGILD_H */
