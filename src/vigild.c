/*
 * vigild.c: the vigil daemon.  main() brings the parts up in dependency
 * order (configuration, database, HTTP client and credentials, pipeline,
 * feeds, control socket) and takes them down in reverse; one libevent loop
 * runs everything in between.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "account.h"
#include "aws.h"
#include "collect.h"
#include "eval.h"
#include "evmap.h"
#include "exceptions.h"
#include "rule.h"
#include "ctl-proto.h"
#include "feed.h"
#include "http.h"
#include "notify.h"
#include "vigild.h"

#define VIGILD_TICK_MS			100
#define VIGILD_HOUSEKEEPING_MS		(60 * 60 * 1000)
#define VIGILD_FEED_MESSAGES_KEEP_MS	(15LL * 86400 * 1000)

enum vigild_state {
	STATE_STARTING,
	STATE_READY,
	STATE_RELOADING,
	STATE_STOPPING,
};

static const char *const state_names[] = {
	[STATE_STARTING] = "starting",
	[STATE_READY] = "ready",
	[STATE_RELOADING] = "reloading",
	[STATE_STOPPING] = "stopping",
};

static struct vigil	 V;	/* what the parts share */

static struct {
	const char		*conf_path;
	bool			 debug;
	struct control		*ctl;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_watchdog;
	struct event		*ev_tick;	/* drains, retiring feeds */
	struct event		*ev_housekeeping;
	struct event		*ev_reconcile;
	struct event		*ev_exceptions;
	char			*rules_digest;
	int64_t			 watchdog_usec;
	enum vigild_state	 state;
	int64_t			 started_ms;
	int64_t			 started_mono;
	int64_t			 stop_deadline;	/* mono ms */
	unsigned		 reloads;
	unsigned		 reload_failures;
	int64_t			 last_reload_ms;
	bool			 last_reload_ok;
	struct feed		**retiring;	/* stopped on reload, draining */
	size_t			  nretiring;
} vd;

static VIGIL_NORETURN void
usage(void)
{
	fprintf(stderr, "usage: vigild [-dKnTV] [-c file]\n"
	    "       vigild -E [-c file] cloudtrail-log ...\n");
	exit(2);
}

static void
vigild_set_state(enum vigild_state state, const char *status)
{
	vd.state = state;
	sdnotify("STATUS=%s", status);
}

json_t *
vigild_status(void)
{
	json_t	*o, *counts, *feeds, *accounts;
	char	*started;
	size_t	 i;

	started = time_iso8601(vd.started_ms);
	counts = store_event_counts(V.store);
	json_object_set_new(counts, "events_received",
	    json_integer((json_int_t)metrics_sum(M_EVENTS_RECEIVED)));
	json_object_set_new(counts, "events_processed",
	    json_integer((json_int_t)metrics_sum(M_EVENTS_PROCESSED)));
	json_object_set_new(counts, "evaluations",
	    json_integer((json_int_t)metrics_sum(M_EVALUATIONS)));
	json_object_set_new(counts, "errors",
	    json_integer((json_int_t)metrics_sum(M_ERRORS)));
	feeds = json_array();
	for (i = 0; i < V.nfeeds; i++)
		json_array_append_new(feeds, feed_status(V.feeds[i]));
	accounts = json_array();
	for (i = 0; i < V.naccounts; i++)
		json_array_append_new(accounts, account_status(V.accounts[i]));
	o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:I, s:{s:s, s:s, s:I, s:I},"
	    " s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "version", PACKAGE_VERSION,
	    "protocol", CTL_PROTO_VERSION,
	    "pid", (json_int_t)getpid(),
	    "state", state_names[vd.state],
	    "started_at", started,
	    "uptime_seconds", (json_int_t)((mono_ms() - vd.started_mono) / 1000),
	    "config",
	      "path", V.conf->path,
	      "log_level", log_level_name(log_get_level()),
	      "reloads", (json_int_t)vd.reloads,
	      "reload_failures", (json_int_t)vd.reload_failures,
	    "database", store_status(V.store),
	    "socket", V.conf->socket,
	    "accounts", accounts,
	    "feeds", feeds,
	    "pipeline", pipeline_status(V.pipeline),
	    "aws_credentials", aws_creds_status(V.aws),
	    "counts", counts);
	free(started);
	json_object_set_new(o, "notify", notify_status(V.notify));
	json_object_set_new(o, "inventory", collect_status(V.collect));
	json_object_set_new(o, "rules", eval_status(V.eval));
	json_object_set_new(o, "violations", store_violation_counts(V.store));
	json_object_set_new(o, "assets", store_asset_counts(V.store));
	if (vd.last_reload_ms != 0) {
		char *t = time_iso8601(vd.last_reload_ms);
		json_object_set_new(json_object_get(o, "config"),
		    "last_reload", json_pack("{s:s, s:b}", "at", t, "ok",
		    vd.last_reload_ok));
		free(t);
	}
	if (vd.watchdog_usec > 0)
		json_object_set_new(o, "watchdog_usec",
		    json_integer((json_int_t)vd.watchdog_usec));
	return o;
}

static void
vigild_log_diags(const struct diags *d)
{
	size_t	 i;
	char	*s;

	for (i = 0; i < d->n; i++) {
		s = diag_string(&d->v[i]);
		log_warnx("%s", s);
		free(s);
	}
}

static void
vigild_add_feed(struct feed *f)
{
	V.feeds = xreallocarray(V.feeds, V.nfeeds + 1, sizeof *V.feeds);
	V.feeds[V.nfeeds++] = f;
}

static struct account *
vigild_account_in(struct account **v, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(account_id(v[i]), id) == 0)
			return v[i];
	}
	return NULL;
}

/*
 * The accounts of conf: unchanged ones go on (with the new config's
 * entry), and so do the members an unchanged management account listed;
 * changed and new ones get fresh credentials and are checked, and their
 * ids are added to fresh (to be swept).  The collectors hold accounts:
 * when one goes, they are freed first (the caller makes new ones).
 */
static void
vigild_accounts(struct config *conf, struct strlist *fresh)
{
	struct account		**next, *a, *m;
	struct account_conf	*ac;
	size_t			  i, j, n = 0, nkept;
	bool			  gone = false;

	next = xcalloc(conf->accounts.n + V.naccounts + 1, sizeof *next);
	for (i = 0; i < conf->accounts.n; i++) {
		ac = conf->accounts.v[i];
		for (j = 0; j < V.naccounts; j++) {
			a = V.accounts[j];
			if (a != NULL && account_org(a) == NULL &&
			    account_conf_equal(account_conf(a), ac)) {
				account_set_conf(a, ac);
				next[n++] = a;
				V.accounts[j] = NULL;
				break;
			}
		}
		if (j == V.naccounts) {
			next[n++] = account_new(&V, ac);
			account_check(next[n - 1]);
			strlist_add(fresh, ac->id);
		}
	}
	/* Members stay with their manager, unless configured themselves. */
	nkept = n;
	for (j = 0; j < V.naccounts; j++) {
		if ((a = V.accounts[j]) == NULL || account_org(a) == NULL ||
		    vigild_account_in(next, nkept, account_id(a)) != NULL)
			continue;
		m = vigild_account_in(next, nkept, account_org(a));
		if (m == NULL || !account_conf(m)->organization ||
		    strlist_has(fresh, account_id(m)))
			continue;
		next[n++] = a;
		V.accounts[j] = NULL;
	}
	for (j = 0; j < V.naccounts; j++)
		gone |= V.accounts[j] != NULL;
	if (gone && V.collect != NULL) {
		log_info("accounts changed: the inventory's work starts again");
		collect_free(V.collect);
		V.collect = NULL;
	}
	for (j = 0; j < V.naccounts; j++)
		account_free(V.accounts[j]);
	free(V.accounts);
	V.accounts = next;
	V.naccounts = n;
}

/* Start the enabled feeds of conf that are not running yet. */
static int
vigild_start_feeds(struct config *conf, char **cause)
{
	struct feed_conf	*fc;
	struct feed		*f;
	size_t			 i, j;

	for (i = 0; i < conf->feeds.n; i++) {
		fc = conf->feeds.v[i];
		if (!fc->enabled)
			continue;
		for (j = 0; j < V.nfeeds; j++) {
			if (strcmp(V.feeds[j]->name, fc->name) == 0)
				break;
		}
		if (j < V.nfeeds)
			continue;
		if ((f = feed_start(&V, fc, cause)) == NULL)
			return -1;
		vigild_add_feed(f);
	}
	return 0;
}

/*
 * On reload: feeds whose configuration is unchanged go on; the others stop
 * (and drain) and the new ones start.
 */
static void
vigild_reload_feeds(struct config *next)
{
	struct feed_conf	*fc;
	struct feed		*f;
	char			*cause = NULL;
	size_t			 i, j, kept = 0;

	for (i = 0; i < V.nfeeds; i++) {
		f = V.feeds[i];
		fc = NULL;
		for (j = 0; j < next->feeds.n; j++) {
			if (strcmp(next->feeds.v[j]->name, f->name) == 0)
				fc = next->feeds.v[j];
		}
		if (fc != NULL && fc->enabled && feed_conf_equal(fc, f->conf)) {
			V.feeds[kept++] = f;
			continue;
		}
		log_info("feed %s: %s; stopping it", f->name, fc == NULL ?
		    "no longer configured" : !fc->enabled ? "disabled" :
		    "configuration changed");
		feed_stop(f);
		vd.retiring = xreallocarray(vd.retiring, vd.nretiring + 1,
		    sizeof *vd.retiring);
		vd.retiring[vd.nretiring++] = f;
	}
	V.nfeeds = kept;
	if (vigild_start_feeds(next, &cause) != 0) {
		log_warnx("reload: %s", cause);
		free(cause);
	}
}

/* A transition, to the notifier's outbox, in the caller's transaction. */
static int
vigild_emit(void *arg, const json_t *tr, bool initial, char **cause)
{
	return notify_enqueue(V.notify, V.store, (json_t *)(uintptr_t)tr,
	    initial, cause);
}

static void
vigild_committed(void *arg)
{
	notify_kick(V.notify);
}

/*
 * The rules the configuration names: every file and directory that
 * exists (a missing one is only worth a warning: /etc/vigil/rules.d may
 * well not be there).  The digest of their contents tells whether the
 * rules changed since the last run.
 */
static struct ruleset *
vigild_rules(const struct config *conf, char **digest, struct diags *d)
{
	struct strlist	 paths = { NULL, 0 };
	struct ruleset	*rs;
	EVP_MD_CTX	*md;
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 hl = 0, k;
	struct stat	 sb;
	char		**files, *buf, *cause, hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t		 i, j, n, len;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		fatalx("EVP_DigestInit failed");
	for (i = 0; i < conf->rules.n; i++) {
		if (stat(conf->rules.v[i], &sb) == -1) {
			log_warnx("rules: %s: %s; skipped", conf->rules.v[i],
			    strerror(errno));
			continue;
		}
		strlist_add(&paths, conf->rules.v[i]);
		files = S_ISDIR(sb.st_mode) ? dir_files(conf->rules.v[i], 8,
		    &n) : NULL;
		for (j = 0; j < (files != NULL ? n : 1); j++) {
			const char *f = files != NULL ? files[j] :
			    conf->rules.v[i];

			if ((buf = read_file(f, 64 << 20, &len, &cause)) !=
			    NULL) {
				EVP_DigestUpdate(md, f, strlen(f) + 1);
				EVP_DigestUpdate(md, buf, len);
				free(buf);
			} else
				free(cause);
			if (files != NULL)
				free(files[j]);
		}
		free(files);
	}
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	for (k = 0; k < hl; k++)
		snprintf(hex + 2 * k, 3, "%02x", h[k]);
	rs = ruleset_load(paths.v, paths.n, d);
	strlist_clear(&paths);
	if (digest != NULL)
		*digest = xstrdup(hex);
	return rs;
}

/* Apply the exceptions to the live violations; arm the expiry timer. */
static void
vigild_exceptions(void)
{
	struct timeval	 tv;
	char		*cause = NULL;
	int64_t		 next = 0, now = now_ms();

	if (store_begin(V.store, &cause) != 0 ||
	    eval_exceptions(V.eval, now, &next, &cause) != 0 ||
	    store_commit(V.store, &cause) != 0) {
		store_rollback(V.store);
		log_warnx("exceptions: %s", cause);
		free(cause);
		next = now + 60 * 1000;
	}
	notify_kick(V.notify);
	if (next == 0)
		return;
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000 + 1);
	tv.tv_usec = 0;
	evtimer_add(vd.ev_exceptions, &tv);
}

static void
vigild_exceptions_cb(evutil_socket_t fd, short events, void *arg)
{
	vigild_exceptions();
}

/* The control API added or removed one. */
void
vigild_exceptions_changed(void)
{
	vigild_exceptions();
}

/* The exception files, into the database. */
static int
vigild_exception_files(const struct config *conf, struct diags *d)
{
	struct exception_row	*rows = NULL;
	size_t			 n = 0, i;
	char			*cause = NULL;
	int			 rc = 0;

	if (exceptions_load(conf->exceptions_dir, &rows, &n, d) != 0)
		rc = -1;
	else if (store_begin(V.store, &cause) != 0 ||
	    exceptions_sync(V.store, rows, n, now_ms(), &cause) != 0 ||
	    store_commit(V.store, &cause) != 0) {
		store_rollback(V.store);
		diag_add(d, conf->exceptions_dir, 0, 0, "%s", cause);
		free(cause);
		rc = -1;
	}
	for (i = 0; i < n; i++)
		exception_row_clear(&rows[i]);
	free(rows);
	return rc;
}

/* New rules: evaluate every asset again, if they changed since last time. */
static void
vigild_set_rules(struct ruleset *rs, char *digest)
{
	char	*old, *cause = NULL;

	eval_set_rules(V.eval, rs);
	old = store_meta_get(V.store, "rules_digest");
	if (old == NULL || strcmp(old, digest) != 0) {
		log_info("rules: %zu rule%s%s; evaluating every asset again",
		    ruleset_count(rs), ruleset_count(rs) == 1 ? "" : "s",
		    old == NULL ? "" : " changed");
		if (store_meta_put(V.store, "rules_digest", digest,
		    &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
		}
		eval_all(V.eval);
	}
	free(old);
	free(vd.rules_digest);
	vd.rules_digest = digest;
}

/* The reconcile sweep, every reconcile_interval. */
static void
vigild_reconcile(evutil_socket_t fd, short events, void *arg)
{
	if (V.naccounts > 0) {
		log_info("reconcile: sweeping the inventory");
		collect_sweep(V.collect, NULL, NULL);
	}
}

/*
 * Parse and check the configuration file again, into new objects; swap them
 * in only if all is well.  On error the running configuration stays and
 * every problem is returned in d.
 */
int
vigild_reload(struct diags *d)
{
	struct config	*next;
	struct ruleset	*rs = NULL;
	struct evmap	*em = NULL;
	struct strlist	 fresh = { NULL, 0 };
	struct timespec	 ts;
	char		*digest = NULL;
	size_t		 i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL, vd.conf_path);
	vd.state = STATE_RELOADING;
	vd.last_reload_ms = now_ms();

	next = config_load(vd.conf_path, d);
	if (next != NULL) {
		control_check(next, d);
		rs = vigild_rules(next, &digest, d);
		em = evmap_load(next->event_map, d);
	}
	if (next == NULL || d->n > 0) {
		ruleset_free(rs);
		evmap_free(em);
		free(digest);
		config_free(next);
		log_warnx("reload: %s has errors; keeping the running "
		    "configuration", vd.conf_path);
		vigild_log_diags(d);
		vd.reload_failures++;
		vd.last_reload_ok = false;
		metrics_add(M_RELOADS, "failed", 1);
		vd.state = STATE_READY;
		sdnotify("READY=1\nSTATUS=Ready (reload failed: %zu error%s; "
		    "running configuration kept)", d->n, d->n == 1 ? "" : "s");
		return -1;
	}

	config_keep_restart_keys(next, V.conf);
	if (!vd.debug)
		log_set_level(config_log_level(next));
	control_reconfigure(vd.ctl, next);
	evmap_free(V.evmap);
	V.evmap = em;
	vigild_set_rules(rs, digest);
	if (vigild_exception_files(next, d) != 0) {
		vigild_log_diags(d);
		diag_clear(d);
	}
	vigild_accounts(next, &fresh);
	vigild_reload_feeds(next);
	notify_reconfigure(V.notify, next);
	config_free(V.conf);
	V.conf = next;
	if (V.collect == NULL)
		V.collect = collect_new(&V);
	for (i = 0; i < fresh.n; i++)
		collect_sweep(V.collect, fresh.v[i], NULL);
	strlist_clear(&fresh);
	vigild_exceptions();
	vd.reloads++;
	vd.last_reload_ok = true;
	metrics_add(M_RELOADS, "ok", 1);
	log_info("reloaded %s", vd.conf_path);
	vd.state = STATE_READY;
	sdnotify("READY=1\nSTATUS=Ready (configuration reloaded; %zu feed%s)",
	    V.nfeeds, V.nfeeds == 1 ? "" : "s");
	return 0;
}

static size_t
vigild_busy_feeds(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < V.nfeeds; i++)
		n += !feed_idle(V.feeds[i]);
	for (i = 0; i < vd.nretiring; i++)
		n += !feed_idle(vd.retiring[i]);
	return n;
}

/* Every tick: free retired feeds that drained; end a drain on SIGTERM. */
static void
vigild_tick(evutil_socket_t fd, short events, void *arg)
{
	static unsigned	 ticks;
	size_t		 i, kept = 0, left;

	if (++ticks % (1000 / VIGILD_TICK_MS) == 0)
		collect_watch(V.collect);
	for (i = 0; i < vd.nretiring; i++) {
		if (feed_idle(vd.retiring[i]) && vd.state != STATE_STOPPING)
			feed_free(vd.retiring[i]);
		else
			vd.retiring[kept++] = vd.retiring[i];
	}
	vd.nretiring = kept;
	if (vd.state != STATE_STOPPING)
		return;
	left = pipeline_in_flight(V.pipeline);
	if (left == 0 && vigild_busy_feeds() == 0) {
		log_info("drained: every message committed and acknowledged");
		event_base_loopexit(V.base, NULL);
	} else if (mono_ms() > vd.stop_deadline) {
		log_warnx("shutdown_timeout: %zu message%s in flight not "
		    "acknowledged; they will come again", left,
		    left == 1 ? "" : "s");
		event_base_loopexit(V.base, NULL);
	}
}

static void
vigild_stop(void)
{
	size_t	 i;

	sdnotify("STOPPING=1");
	vigild_set_state(STATE_STOPPING, "Stopping: draining feeds");
	V.stopping = true;
	vd.stop_deadline = mono_ms() + V.conf->shutdown_timeout;
	for (i = 0; i < V.nfeeds; i++)
		feed_stop(V.feeds[i]);
	vigild_tick(-1, 0, NULL);
}

static void
vigild_signal(evutil_socket_t sig, short events, void *arg)
{
	struct diags	 d = { NULL, 0 };

	switch (sig) {
	case SIGHUP:
		if (vd.state == STATE_STOPPING)
			break;
		log_info("SIGHUP: reloading %s", vd.conf_path);
		vigild_reload(&d);
		diag_clear(&d);
		break;
	case SIGTERM:
	case SIGINT:
		if (vd.state == STATE_STOPPING) {
			log_warnx("%s again: stopping at once",
			    strsignal((int)sig));
			event_base_loopbreak(V.base);
			break;
		}
		log_info("%s: stopping", strsignal((int)sig));
		vigild_stop();
		break;
	}
}

static void
vigild_watchdog(evutil_socket_t fd, short events, void *arg)
{
	sdnotify("WATCHDOG=1");
}

/* Hourly: forget what can be forgotten. */
static void
vigild_housekeeping(evutil_socket_t fd, short events, void *arg)
{
	char	*cause = NULL;
	int64_t	 now = now_ms();

	if (store_messages_prune(V.store, now - VIGILD_FEED_MESSAGES_KEEP_MS,
	    &cause) != 0 || store_events_prune(V.store,
	    now - V.conf->events_retention, &cause) != 0) {
		metrics_add(M_ERRORS, "database", 1);
		log_warnx("housekeeping: %s", cause);
		free(cause);
	}
}

static struct event *
vigild_timer(void (*cb)(evutil_socket_t, short, void *), int64_t ms)
{
	struct event	*ev;
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if ((ev = event_new(V.base, -1, EV_PERSIST, cb, NULL)) == NULL ||
	    event_add(ev, &tv) != 0)
		fatalx("cannot arm a timer");
	return ev;
}

static struct event *
vigild_signal_new(int sig)
{
	struct event	*ev;

	if ((ev = evsignal_new(V.base, sig, vigild_signal, NULL)) == NULL ||
	    evsignal_add(ev, NULL) != 0)
		fatalx("cannot handle signal %d", sig);
	return ev;
}

/* vigild -n: check the configuration (and everything it names). */
static int
vigild_check(const char *path)
{
	struct diags	 d = { NULL, 0 };
	struct config	*conf;

	if ((conf = config_load(path, &d)) == NULL) {
		diag_print(stderr, &d, true);
		diag_clear(&d);
		return 1;
	}
	control_check(conf, &d);
	ruleset_free(vigild_rules(conf, NULL, &d));
	evmap_free(evmap_load(conf->event_map, &d));
	{
		struct exception_row	*rows = NULL;
		size_t			 n = 0, i;

		exceptions_load(conf->exceptions_dir, &rows, &n, &d);
		for (i = 0; i < n; i++)
			exception_row_clear(&rows[i]);
		free(rows);
	}
	config_free(conf);
	if (d.n > 0) {
		diag_print(stderr, &d, true);
		diag_clear(&d);
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}

/*
 * vigild -E: how much of a corpus of CloudTrail logs the event map (the
 * configuration's) turns into refreshes.  Exit 0 when every successful
 * write of a service the map knows is mapped, 1 when some are not, 2 on
 * error.
 */
static int
vigild_coverage(const char *path, char **files, size_t nfiles)
{
	struct diags	 d = { NULL, 0 };
	struct config	*conf;
	struct evmap	*m;
	long		 unmapped;

	if (nfiles == 0)
		usage();
	if ((conf = config_load(path, &d)) == NULL) {
		diag_print(stderr, &d, true);
		diag_clear(&d);
		return 2;
	}
	m = evmap_load(conf->event_map, &d);
	if (m == NULL || d.n > 0) {
		diag_print(stderr, &d, true);
		diag_clear(&d);
		evmap_free(m);
		config_free(conf);
		return 2;
	}
	printf("event map: %s\n", conf->event_map);
	unmapped = evmap_coverage(m, files, nfiles, stdout);
	evmap_free(m);
	config_free(conf);
	return unmapped < 0 ? 2 : unmapped > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct aws_creds_options	 copts;
	struct ruleset			*rs;
	struct diags			 d = { NULL, 0 };
	struct strlist			 fresh = { NULL, 0 };
	char				*digest = NULL;
	char				*cause;
	size_t				 i;
	int				 ch, check = 0, coverage = 0;

	log_init("vigild", true);
	vd.conf_path = VIGIL_CONFIG;
	while ((ch = getopt(argc, argv, "c:dEKnTV")) != -1) {
		switch (ch) {
		case 'c':
			vd.conf_path = optarg;
			break;
		case 'd':
			vd.debug = true;
			break;
		case 'E':
			coverage = 1;
			break;
		case 'K':
			config_keys_print(stdout);
			return 0;
		case 'T':
			collect_types_print(stdout);
			return 0;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("vigild %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (coverage)
		return vigild_coverage(vd.conf_path, argv + optind,
		    (size_t)(argc - optind));
	if (optind != argc)
		usage();
	if (check)
		return vigild_check(vd.conf_path);
	if (vd.debug) {
		log_use_stderr();
		log_set_level(LOG_LEVEL_DEBUG);
	}

	vd.started_ms = now_ms();
	vd.started_mono = mono_ms();
	srandom((unsigned)(vd.started_ms ^ getpid()));
	sdnotify_init();
	metrics_init();
	metrics_set(M_UP_SINCE, NULL, (double)vd.started_ms / 1000.0);
	vigild_set_state(STATE_STARTING, "Reading configuration");

	/* Configuration: every error, then stop. */
	if ((V.conf = config_load(vd.conf_path, &d)) == NULL) {
		if (log_to_journal())
			vigild_log_diags(&d);
		else
			diag_print(stderr, &d, false);
		fatalx("%s: %zu error%s; not starting", vd.conf_path, d.n,
		    d.n == 1 ? "" : "s");
	}
	if (!vd.debug)
		log_set_level(config_log_level(V.conf));
	log_info("vigild %s starting (configuration %s)", PACKAGE_VERSION,
	    vd.conf_path);

	/* The loop, and the signals it handles. */
	signal(SIGPIPE, SIG_IGN);
	if ((V.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	vd.ev_term = vigild_signal_new(SIGTERM);
	vd.ev_int = vigild_signal_new(SIGINT);
	vd.ev_hup = vigild_signal_new(SIGHUP);

	/* The database. */
	vigild_set_state(STATE_STARTING, "Opening the database");
	if ((V.store = store_open(V.conf->database, V.conf->database_sync,
	    &cause)) == NULL)
		fatalx("%s", cause);
	if (store_run_begin(V.store, PACKAGE_VERSION, &cause) != 0)
		fatalx("%s", cause);
	/*
	 * From now on the event loop must not wait long for a lock another
	 * process (sqlite3 in an admin's shell) holds: a write that cannot
	 * have it fails soon, and its work is done again later (a message
	 * not acknowledged comes again; a refresh or a delivery is retried).
	 */
	store_busy_timeout(V.store, STORE_LOOP_BUSY_MS);

	/* HTTP, credentials, the pipeline, the feeds. */
	if (http_global_init(&cause) != 0)
		fatalx("%s", cause);
	V.http = http_new(V.base);
	memset(&copts, 0, sizeof copts);
	V.aws = aws_creds_chain_new(V.base, V.http, &copts);
	V.pipeline = pipeline_new(&V);
	if ((V.notify = notify_new(&V, V.conf, &cause)) == NULL)
		fatalx("%s", cause);
	vigild_set_state(STATE_STARTING, "Compiling the rules");
	V.eval = eval_new(&V, vigild_emit, vigild_committed, NULL);
	if ((rs = vigild_rules(V.conf, &digest, &d)) == NULL ||
	    (V.evmap = evmap_load(V.conf->event_map, &d)) == NULL) {
		if (log_to_journal())
			vigild_log_diags(&d);
		else
			diag_print(stderr, &d, false);
		fatalx("rules: %zu error%s; not starting", d.n,
		    d.n == 1 ? "" : "s");
	}
	vigild_set_rules(rs, digest);
	vd.ev_exceptions = evtimer_new(V.base, vigild_exceptions_cb, NULL);
	if (vigild_exception_files(V.conf, &d) != 0) {
		if (log_to_journal())
			vigild_log_diags(&d);
		else
			diag_print(stderr, &d, false);
		fatalx("exceptions: %zu error%s; not starting", d.n,
		    d.n == 1 ? "" : "s");
	}
	vigild_exceptions();
	vigild_accounts(V.conf, &fresh);
	strlist_clear(&fresh);		/* all swept at start */
	V.collect = collect_new(&V);
	collect_kick(V.collect);
	vigild_set_state(STATE_STARTING, "Starting the feeds");
	if (vigild_start_feeds(V.conf, &cause) != 0)
		fatalx("%s", cause);

	/* The control socket. */
	vigild_set_state(STATE_STARTING, "Opening the control socket");
	if ((vd.ctl = control_start(&V, V.conf, &cause)) == NULL)
		fatalx("%s", cause);

	/* Timers: the watchdog at half its interval, ticks, housekeeping. */
	if ((vd.watchdog_usec = sdnotify_watchdog_usec()) > 0) {
		vd.ev_watchdog = vigild_timer(vigild_watchdog,
		    vd.watchdog_usec / 2 / 1000 > 0 ?
		    vd.watchdog_usec / 2 / 1000 : 1);
		log_debug("watchdog: every %lld us",
		    (long long)vd.watchdog_usec / 2);
	}
	vd.ev_tick = vigild_timer(vigild_tick, VIGILD_TICK_MS);
	vd.ev_housekeeping = vigild_timer(vigild_housekeeping,
	    VIGILD_HOUSEKEEPING_MS);
	vd.ev_reconcile = vigild_timer(vigild_reconcile,
	    V.conf->reconcile_interval);
	if (V.conf->sweep_at_start)
		vigild_reconcile(-1, 0, NULL);

	vd.state = STATE_READY;
	sdnotify("READY=1\nMAINPID=%ld\nSTATUS=Ready: %zu feed%s, database %s "
	    "(schema %d)", (long)getpid(), V.nfeeds, V.nfeeds == 1 ? "" : "s",
	    V.conf->database, store_schema_version(V.store));
	log_info("ready: %zu feed%s, database %s, socket %s", V.nfeeds,
	    V.nfeeds == 1 ? "" : "s", V.conf->database, V.conf->socket);

	if (event_base_dispatch(V.base) == -1)
		fatalx("event_base_dispatch failed");

	/* Down in reverse order. */
	control_stop(vd.ctl);
	for (i = 0; i < V.nfeeds; i++)
		feed_free(V.feeds[i]);
	for (i = 0; i < vd.nretiring; i++)
		feed_free(vd.retiring[i]);
	free(V.feeds);
	free(vd.retiring);
	collect_free(V.collect);
	eval_free(V.eval);
	evmap_free(V.evmap);
	notify_free(V.notify);
	pipeline_free(V.pipeline);
	for (i = 0; i < V.naccounts; i++)
		account_free(V.accounts[i]);
	free(V.accounts);
	aws_creds_free(V.aws);
	http_free(V.http);
	http_global_cleanup();
	if (store_run_end(V.store, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	store_close(V.store);
	if (vd.ev_watchdog != NULL)
		event_free(vd.ev_watchdog);
	event_free(vd.ev_tick);
	event_free(vd.ev_housekeeping);
	event_free(vd.ev_reconcile);
	event_free(vd.ev_exceptions);
	free(vd.rules_digest);
	event_free(vd.ev_hup);
	event_free(vd.ev_int);
	event_free(vd.ev_term);
	event_base_free(V.base);
	log_info("stopped");
	config_free(V.conf);
	metrics_free();
	libevent_global_shutdown();
	return 0;
}
