/*
 * bench-notify: notifications a second through the outbox to a loopback
 * webhook receiver, and the latency from the commit of a transition to the
 * receiver getting its request (p50, p99).
 *
 * The receiver is libevent's HTTP server in a child process; it reports
 * each request's idempotency key and arrival time (CLOCK_MONOTONIC, the
 * same clock as ours) through a pipe.  Transitions are enqueued as the
 * violations layer would, in transactions of BATCH, one every TICK_MS,
 * each followed by notify_kick().  Prints a table and writes
 * $VIGIL_BENCH_DIR/notify.json.
 */
#include "config.h"

#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "http.h"
#include "notify.h"
#include "vigild.h"

#define TICK_MS		2

static int64_t	 total = 5000, batch = 10;
static int64_t	*commit_us, *arrive_us;
static int64_t	 enqueued, received;
static struct vigil V;
static int	 report_fd;
static char	 line[256];
static size_t	 linelen;

static int64_t
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
receiver_cb(struct evhttp_request *req, void *arg)
{
	const char	*key;
	char		 buf[128];
	int		 n;

	key = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Vigil-Idempotency-Key");
	n = snprintf(buf, sizeof buf, "%s %lld\n", key != NULL ? key : "-",
	    (long long)mono_us());
	if (write(report_fd, buf, (size_t)n) != n)
		_exit(1);
	evhttp_send_reply(req, 200, "OK", NULL);
}

/* The child: a receiver; its port goes up the pipe first. */
static void
receiver(int fd)
{
	struct event_base		*base = event_base_new();
	struct evhttp			*http = evhttp_new(base);
	struct evhttp_bound_socket	*bs;
	struct sockaddr_storage		 ss;
	ev_socklen_t			 sl = sizeof ss;
	char				 buf[32];
	int				 n;

	report_fd = fd;
	evhttp_set_gencb(http, receiver_cb, NULL);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl);
	n = snprintf(buf, sizeof buf, "%d\n",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (write(fd, buf, (size_t)n) != n)
		_exit(1);
	event_base_dispatch(base);
	_exit(0);
}

static void
report_cb(evutil_socket_t fd, short events, void *arg)
{
	char	 buf[4096];
	ssize_t	 n, i;
	long long id, us;

	if ((n = read(fd, buf, sizeof buf)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (linelen < sizeof line - 1)
				line[linelen++] = buf[i];
			continue;
		}
		line[linelen] = '\0';
		linelen = 0;
		if (sscanf(line, "v%lld.o1.open %lld", &id, &us) == 2 &&
		    id >= 0 && id < total && arrive_us[id] == 0) {
			arrive_us[id] = us;
			if (++received == total)
				event_base_loopbreak(V.base);
		}
	}
}

static void
enqueue_cb(evutil_socket_t fd, short events, void *arg)
{
	json_t	*doc = arg, *o;
	char	*cause = NULL, *key;
	int64_t	 i, t;

	if (enqueued >= total)
		return;
	if (store_begin(V.store, &cause) != 0)
		fatalx("%s", cause);
	for (i = 0; i < batch && enqueued + i < total; i++) {
		o = json_deep_copy(doc);
		key = xprintf("v%lld.o1.open", (long long)(enqueued + i));
		json_object_set_new(o, "key", json_string(key));
		json_object_set_new(json_object_get(o, "violation"), "id",
		    json_integer(enqueued + i));
		free(key);
		if (notify_enqueue(V.notify, V.store, o, false, &cause) != 0)
			fatalx("%s", cause);
		json_decref(o);
	}
	if (store_commit(V.store, &cause) != 0)
		fatalx("%s", cause);
	t = mono_us();
	for (i = 0; i < batch && enqueued < total; i++)
		commit_us[enqueued++] = t;
	notify_kick(V.notify);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct diags	 d = { NULL, 0 };
	struct timeval	 tv = { 0, TICK_MS * 1000 };
	struct event	*tick, *rep;
	json_error_t	 jerr;
	json_t		*doc, *out;
	const char	*srcdir, *outdir, *env;
	char		 tmpl[] = "/tmp/vigil-bench-notify-XXXXXX", buf[32];
	char		*dir, *yaml, *cause = NULL, *path;
	int64_t		*lat, first = 0, last = 0, i;
	double		 secs, rate;
	pid_t		 pid;
	int		 fds[2], port;
	ssize_t		 n;
	FILE		*f;

	log_init("bench-notify", false);
	log_set_level(LOG_LEVEL_WARNING);
	if ((env = getenv("VIGIL_BENCH_NOTIFY_N")) != NULL)
		total = strtoll(env, NULL, 10);
	if (argc > 1)
		batch = strtoll(argv[1], NULL, 10);
	srcdir = (env = getenv("VIGIL_SRCDIR")) != NULL ? env : BENCH_SRCDIR;
	commit_us = xcalloc((size_t)total, sizeof *commit_us);
	arrive_us = xcalloc((size_t)total, sizeof *arrive_us);

	if (pipe(fds) != 0 || (pid = fork()) == -1)
		fatal("pipe/fork");
	if (pid == 0) {
		close(fds[0]);
		receiver(fds[1]);
	}
	close(fds[1]);
	if ((n = read(fds[0], buf, sizeof buf - 1)) <= 0)
		fatalx("receiver did not start");
	buf[n] = '\0';
	port = atoi(buf);

	dir = xstrdup(mkdtemp(tmpl));
	yaml = xprintf("database: %s/vigil.db\nsocket: %s/s\nrules: []\n"
	    "notify:\n  - {name: hook, type: webhook, url: "
	    "'http://127.0.0.1:%d/hook', concurrency: 16, storm_threshold: "
	    "0}\n", dir, dir, port);
	if ((V.conf = config_parse("bench.yaml", yaml, strlen(yaml), &d)) ==
	    NULL)
		fatalx("config");
	free(yaml);
	V.base = event_base_new();
	if ((V.store = store_open(V.conf->database, CONFIG_SYNC_NORMAL,
	    &cause)) == NULL)
		fatalx("%s", cause);
	http_global_init(&cause);
	V.http = http_new(V.base);
	if ((V.notify = notify_new(&V, V.conf, &cause)) == NULL)
		fatalx("%s", cause);
	path = xprintf("%s/tests/data/notify/open.json", srcdir);
	if ((doc = json_load_file(path, 0, &jerr)) == NULL)
		fatalx("%s: %s", path, jerr.text);
	free(path);

	rep = event_new(V.base, fds[0], EV_READ | EV_PERSIST, report_cb, NULL);
	event_add(rep, NULL);
	tick = event_new(V.base, -1, EV_PERSIST, enqueue_cb, doc);
	event_add(tick, &tv);
	event_base_dispatch(V.base);

	lat = xcalloc((size_t)total, sizeof *lat);
	for (i = 0; i < total; i++) {
		lat[i] = arrive_us[i] - commit_us[i];
		if (first == 0 || commit_us[i] < first)
			first = commit_us[i];
		if (arrive_us[i] > last)
			last = arrive_us[i];
	}
	qsort(lat, (size_t)total, sizeof *lat, cmp64);
	secs = (double)(last - first) / 1e6;
	rate = (double)total / secs;
	printf("%-34s %12s\n", "notifications", "value");
	printf("%-34s %12lld\n", "delivered (webhook, loopback)",
	    (long long)total);
	printf("%-34s %12lld\n", "transitions per transaction",
	    (long long)batch);
	printf("%-34s %12.0f\n", "offered rate (per second)",
	    (double)batch * 1000.0 / TICK_MS);
	printf("%-34s %12.0f\n", "delivered per second", rate);
	printf("%-34s %12.2f\n", "commit to receiver p50 (ms)",
	    (double)lat[total / 2] / 1000.0);
	printf("%-34s %12.2f\n", "commit to receiver p99 (ms)",
	    (double)lat[total * 99 / 100] / 1000.0);
	printf("%-34s %12.2f\n", "commit to receiver max (ms)",
	    (double)lat[total - 1] / 1000.0);

	outdir = (env = getenv("VIGIL_BENCH_DIR")) != NULL ? env : ".";
	path = xprintf("%s/notify.json", outdir);
	out = json_pack("{s:I, s:I, s:f, s:f, s:f, s:f}", "notifications",
	    (json_int_t)total, "batch", (json_int_t)batch, "per_second", rate,
	    "latency_p50_ms", (double)lat[total / 2] / 1000.0,
	    "latency_p99_ms", (double)lat[total * 99 / 100] / 1000.0,
	    "latency_max_ms", (double)lat[total - 1] / 1000.0);
	if ((f = fopen(path, "w")) != NULL) {
		json_dumpf(out, f, JSON_INDENT(2));
		fputc('\n', f);
		fclose(f);
	}
	json_decref(out);
	free(path);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	event_free(tick);
	event_free(rep);
	json_decref(doc);
	notify_free(V.notify);
	http_free(V.http);
	store_close(V.store);
	event_base_free(V.base);
	config_free(V.conf);
	http_global_cleanup();
	path = xprintf("rm -rf '%s'", dir);
	if (system(path) != 0)
		log_warnx("cannot remove %s", dir);
	free(path);
	free(dir);
	free(lat);
	free(commit_us);
	free(arrive_us);
	return 0;
}
