/*
 * vigild.c: the vigil daemon.  main() brings the subsystems up in dependency
 * order (configuration, database, control socket) and takes them down in
 * reverse; one libevent loop runs everything in between.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "ctl-proto.h"
#include "vigild.h"

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

static struct {
	struct event_base	*base;
	struct config		*conf;
	const char		*conf_path;
	bool			 debug;
	struct store		*store;
	struct control		*ctl;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_watchdog;
	int64_t			 watchdog_usec;
	enum vigild_state	 state;
	int64_t			 started_ms;
	int64_t			 started_mono;
	unsigned		 reloads;
	unsigned		 reload_failures;
	int64_t			 last_reload_ms;
	bool			 last_reload_ok;
} vd;

static VIGIL_NORETURN void
usage(void)
{
	fprintf(stderr, "usage: vigild [-dKnV] [-c file]\n");
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
	json_t	*o, *counts;
	char	*started;

	started = time_iso8601(vd.started_ms);
	counts = json_pack("{s:I, s:I, s:I, s:I}",
	    "events_received",
	    (json_int_t)metrics_get(M_EVENTS_RECEIVED, NULL),
	    "events_processed",
	    (json_int_t)metrics_get(M_EVENTS_PROCESSED, NULL),
	    "evaluations", (json_int_t)metrics_get(M_EVALUATIONS, NULL),
	    "reloads", (json_int_t)vd.reloads);
	o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:I, s:{s:s, s:s, s:I, s:I},"
	    " s:o, s:s, s:[], s:o}",
	    "version", PACKAGE_VERSION,
	    "protocol", CTL_PROTO_VERSION,
	    "pid", (json_int_t)getpid(),
	    "state", state_names[vd.state],
	    "started_at", started,
	    "uptime_seconds", (json_int_t)((mono_ms() - vd.started_mono) / 1000),
	    "config",
	      "path", vd.conf->path,
	      "log_level", log_level_name(log_get_level()),
	      "reloads", (json_int_t)vd.reloads,
	      "reload_failures", (json_int_t)vd.reload_failures,
	    "database", store_status(vd.store),
	    "socket", vd.conf->socket,
	    "feeds",
	    "counts", counts);
	free(started);
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

/*
 * Parse and check the configuration file again, into new objects; swap them
 * in only if all is well.  On error the running configuration stays and
 * every problem is returned in d.
 */
int
vigild_reload(struct diags *d)
{
	struct config	*next;
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL, vd.conf_path);
	vd.state = STATE_RELOADING;
	vd.last_reload_ms = now_ms();

	next = config_load(vd.conf_path, d);
	if (next == NULL) {
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

	config_keep_restart_keys(next, vd.conf);
	if (!vd.debug)
		log_set_level(config_log_level(next));
	control_reconfigure(vd.ctl, next);
	config_free(vd.conf);
	vd.conf = next;

	vd.reloads++;
	vd.last_reload_ok = true;
	metrics_add(M_RELOADS, "ok", 1);
	log_info("reloaded %s", vd.conf_path);
	vd.state = STATE_READY;
	sdnotify("READY=1\nSTATUS=Ready (configuration reloaded)");
	return 0;
}

static void
vigild_signal(evutil_socket_t sig, short events, void *arg)
{
	struct diags	 d = { NULL, 0 };

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", vd.conf_path);
		vigild_reload(&d);
		diag_clear(&d);
		break;
	case SIGTERM:
	case SIGINT:
		if (vd.state == STATE_STOPPING) {
			log_warnx("%s again: stopping at once",
			    strsignal((int)sig));
			event_base_loopbreak(vd.base);
			break;
		}
		log_info("%s: stopping", strsignal((int)sig));
		sdnotify("STOPPING=1");
		vigild_set_state(STATE_STOPPING, "Stopping");
		/*
		 * Nothing is in flight yet that needs draining; when feeds
		 * exist they stop taking messages here and the loop ends when
		 * the last one has committed or been abandoned.
		 */
		event_base_loopexit(vd.base, NULL);
		break;
	}
}

static void
vigild_watchdog(evutil_socket_t fd, short events, void *arg)
{
	sdnotify("WATCHDOG=1");
}

static struct event *
vigild_signal_new(int sig)
{
	struct event	*ev;

	if ((ev = evsignal_new(vd.base, sig, vigild_signal, NULL)) == NULL ||
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
	config_free(conf);
	printf("configuration OK\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct diags	 d = { NULL, 0 };
	struct timeval	 tv;
	char		*cause;
	int		 ch, check = 0;

	log_init("vigild", true);
	vd.conf_path = VIGIL_CONFIG;
	while ((ch = getopt(argc, argv, "c:dKnV")) != -1) {
		switch (ch) {
		case 'c':
			vd.conf_path = optarg;
			break;
		case 'd':
			vd.debug = true;
			break;
		case 'K':
			config_keys_print(stdout);
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
	sdnotify_init();
	metrics_init();
	metrics_set(M_UP_SINCE, NULL, (double)vd.started_ms / 1000.0);
	vigild_set_state(STATE_STARTING, "Reading configuration");

	/* Configuration: every error, then stop. */
	if ((vd.conf = config_load(vd.conf_path, &d)) == NULL) {
		if (log_to_journal())
			vigild_log_diags(&d);
		else
			diag_print(stderr, &d, false);
		fatalx("%s: %zu error%s; not starting", vd.conf_path, d.n,
		    d.n == 1 ? "" : "s");
	}
	if (!vd.debug)
		log_set_level(config_log_level(vd.conf));
	log_info("vigild %s starting (configuration %s)", PACKAGE_VERSION,
	    vd.conf_path);

	/* The loop, and the signals it handles. */
	signal(SIGPIPE, SIG_IGN);
	if ((vd.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	vd.ev_term = vigild_signal_new(SIGTERM);
	vd.ev_int = vigild_signal_new(SIGINT);
	vd.ev_hup = vigild_signal_new(SIGHUP);

	/* The database. */
	vigild_set_state(STATE_STARTING, "Opening the database");
	if ((vd.store = store_open(vd.conf->database,
	    vd.conf->database_sync, &cause)) == NULL)
		fatalx("%s", cause);
	if (store_run_begin(vd.store, PACKAGE_VERSION, &cause) != 0)
		fatalx("%s", cause);

	/* The control socket. */
	vigild_set_state(STATE_STARTING, "Opening the control socket");
	if ((vd.ctl = control_start(vd.base, vd.conf, &cause)) == NULL)
		fatalx("%s", cause);

	/* The watchdog, pinged from the loop at half its interval. */
	if ((vd.watchdog_usec = sdnotify_watchdog_usec()) > 0) {
		vd.ev_watchdog = event_new(vd.base, -1, EV_PERSIST,
		    vigild_watchdog, NULL);
		tv.tv_sec = (time_t)(vd.watchdog_usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(vd.watchdog_usec / 2 % 1000000);
		if (vd.ev_watchdog == NULL || event_add(vd.ev_watchdog, &tv) != 0)
			fatalx("cannot arm the watchdog timer");
		log_debug("watchdog: every %lld us",
		    (long long)vd.watchdog_usec / 2);
	}

	vd.state = STATE_READY;
	sdnotify("READY=1\nMAINPID=%ld\nSTATUS=Ready: database %s (schema %d), "
	    "socket %s", (long)getpid(), vd.conf->database,
	    store_schema_version(vd.store), vd.conf->socket);
	log_info("ready: database %s, socket %s", vd.conf->database,
	    vd.conf->socket);

	if (event_base_dispatch(vd.base) == -1)
		fatalx("event_base_dispatch failed");

	/* Down in reverse order. */
	control_stop(vd.ctl);
	if (store_run_end(vd.store, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	store_close(vd.store);
	if (vd.ev_watchdog != NULL)
		event_free(vd.ev_watchdog);
	event_free(vd.ev_hup);
	event_free(vd.ev_int);
	event_free(vd.ev_term);
	event_base_free(vd.base);
	log_info("stopped");
	config_free(vd.conf);
	metrics_free();
	libevent_global_shutdown();
	return 0;
}
