/*
 * feed-file.c: the file feed.  Replays CloudTrail data from a file or a
 * directory (log files {"Records": [...]}, .json.gz, JSON arrays, JSON
 * Lines, EventBridge envelopes: whatever envelope.c reads), every event in
 * time order, at a given rate or as fast as the pipeline takes them.  Used
 * for backfills, the demo and the benchmarks.
 *
 * Files replayed to the end are remembered (path, size and modification
 * time, in feed_cursors) and not replayed again; a changed file is.  All
 * the events of one replay are read before the first is sent, to put them
 * in time order.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "change.h"
#include "envelope.h"
#include "feed.h"
#include "vigild.h"

#define FILE_MAX_BYTES		(1024LL * 1024 * 1024)	/* after gunzip */
#define FILE_CHUNK		256	/* events in one pipeline message */
#define FILE_TICK_MS		10
#define FILE_MAX_DEPTH		16
#define FILE_DEAD_BODY_MAX	(1024 * 1024)

struct file_conf {
	char	*path;
	int64_t	 rate;
	int64_t	 max_in_flight;
	bool	 replay_again;
};

#define OFF(f) offsetof(struct file_conf, f)
static const struct cfg_key file_keys[] = {
	{ "path", CFG_PATH, OFF(path), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "A file, or a directory read recursively (*.json, *.json.gz, "
	  "*.jsonl, *.cloudtrail)." },
	{ "rate", CFG_INT, OFF(rate), 0, 10000000, "0", NULL, 0,
	  "Events a second (0: as fast as they are taken)." },
	{ "max_in_flight", CFG_INT, OFF(max_in_flight), 1, 1000, "8", NULL, 0,
	  "Messages of up to 256 events in the pipeline at once." },
	{ "replay_again", CFG_BOOL, OFF(replay_again), 0, 0, "false", NULL, 0,
	  "Replay files even if they were replayed before." },
};
#undef OFF

struct file_item {
	char	*path;
	char	*stamp;		/* "size:mtime" */
	bool	 done;		/* replayed before */
};

struct file_feed {
	struct feed		 *f;
	struct file_conf	 *c;
	struct file_item	 *files;
	size_t			  nfiles;
	struct change_event	**events;	/* sorted by time */
	size_t			  nevents;
	size_t			  next;		/* the next to send */
	size_t			  acked;	/* events acknowledged */
	double			  credit;	/* rate: events we may send */
	int64_t			  last_tick;
	struct event		 *tick_ev;
	bool			  finished;
	uint64_t		  bad_files;
	uint64_t		  skipped_records;
};

static int
file_check(struct feed_conf *fc, struct diags *d)
{
	struct file_conf	*c = fc->opts;
	struct stat		 sb;

	if (stat(c->path, &sb) == -1) {
		diag_add(d, fc->file, fc->line, fc->col, "feed %s: path %s: %s",
		    fc->name, c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool
file_wanted(const char *name)
{
	static const char *const exts[] = {
		".json", ".json.gz", ".jsonl", ".jsonl.gz", ".cloudtrail",
		".ndjson",
	};
	size_t	 i, n = strlen(name), e;

	if (name[0] == '.')
		return false;
	for (i = 0; i < nitems(exts); i++) {
		e = strlen(exts[i]);
		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static void
file_add(struct file_feed *ff, const char *path, const struct stat *sb)
{
	struct file_item	*it;

	ff->files = xreallocarray(ff->files, ff->nfiles + 1,
	    sizeof *ff->files);
	it = &ff->files[ff->nfiles++];
	it->path = xstrdup(path);
	it->stamp = xprintf("%lld:%lld", (long long)sb->st_size,
	    (long long)sb->st_mtime);
	it->done = false;
}

/* The file, or the wanted files under the directory, in name order. */
static void
file_scan(struct file_feed *ff, const char *path)
{
	struct stat	 sb;
	const char	*base;
	char		**paths;
	size_t		 i, n;

	if (stat(path, &sb) == -1) {
		feed_error(ff->f, "%s: %s", path, strerror(errno));
		return;
	}
	if (S_ISREG(sb.st_mode)) {
		file_add(ff, path, &sb);
		return;
	}
	paths = dir_files(path, FILE_MAX_DEPTH, &n);
	for (i = 0; i < n; i++) {
		base = strrchr(paths[i], '/') != NULL ?
		    strrchr(paths[i], '/') + 1 : paths[i];
		if (file_wanted(base) && stat(paths[i], &sb) == 0)
			file_add(ff, paths[i], &sb);
		free(paths[i]);
	}
	free(paths);
}

/* Oldest first; events without a time keep their place at the start. */
static int
file_cmp_time(const void *a, const void *b)
{
	const struct change_event *ea = *(struct change_event *const *)a;
	const struct change_event *eb = *(struct change_event *const *)b;

	if (ea->time != eb->time)
		return ea->time < eb->time ? -1 : 1;
	return 0;
}

/* A file that cannot be read goes to dead_letters, like a bad message. */
static void
file_dead(struct file_feed *ff, const char *path, const char *buf,
    size_t len, const char *why)
{
	struct msg	*m;

	ff->bad_files++;
	m = msg_new(ff->f, path, buf != NULL ? buf : "", buf != NULL ?
	    (len > FILE_DEAD_BODY_MAX ? FILE_DEAD_BODY_MAX : len) : 0);
	m->dead_reason = xstrdup(why);
	pipeline_submit(ff->f->v->pipeline, m);
}

static void
file_load(struct file_feed *ff, struct file_item *it)
{
	struct envelope_result	 res;
	char			*buf, *cause = NULL;
	size_t			 len, i;

	if ((buf = read_file(it->path, FILE_MAX_BYTES, &len, &cause)) == NULL) {
		feed_error(ff->f, "%s", cause);
		file_dead(ff, it->path, NULL, 0, cause);
		free(cause);
		return;
	}
	if (envelope_parse(buf, len, FILE_MAX_BYTES, &res, &cause) != 0) {
		feed_error(ff->f, "%s: %s", it->path, cause);
		file_dead(ff, it->path, buf, len, cause);
		free(cause);
		free(buf);
		return;
	}
	free(buf);
	if (res.nrefs > 0)
		log_warnx("feed %s: %s: %zu S3 object reference%s ignored "
		    "(a file feed does not fetch)", ff->f->name, it->path,
		    res.nrefs, res.nrefs == 1 ? "" : "s");
	for (i = 0; i < res.nskipped; i++)
		log_warnx("feed %s: %s: %s", ff->f->name, it->path,
		    res.skipped[i]);
	ff->skipped_records += res.nskipped;
	ff->events = xreallocarray(ff->events, ff->nevents + res.nevents + 1,
	    sizeof *ff->events);
	for (i = 0; i < res.nevents; i++)
		ff->events[ff->nevents++] = res.events[i];
	free(res.events);
	res.events = NULL;
	res.nevents = 0;
	envelope_result_free(&res);
}

/* Send up to n events, in messages of up to FILE_CHUNK. */
static size_t
file_send(struct file_feed *ff, size_t n)
{
	struct change_event	**chunk;
	struct msg		 *m;
	size_t			  k, i, sent = 0;
	char			 *id;

	while (n > 0 && ff->next < ff->nevents &&
	    (int64_t)ff->f->in_flight < ff->c->max_in_flight) {
		k = n < FILE_CHUNK ? n : FILE_CHUNK;
		if (k > ff->nevents - ff->next)
			k = ff->nevents - ff->next;
		chunk = xcalloc(k, sizeof *chunk);
		for (i = 0; i < k; i++) {
			chunk[i] = ff->events[ff->next + i];
			ff->events[ff->next + i] = NULL;
		}
		id = xprintf("replay:%s+%zu", chunk[0]->id, k);
		m = msg_new(ff->f, id, NULL, 0);
		free(id);
		m->events = chunk;
		m->nevents = k;
		metrics_add(M_EVENTS_RECEIVED, ff->f->name, (double)k);
		ff->next += k;
		n -= k;
		sent += k;
		pipeline_submit(ff->f->v->pipeline, m);
	}
	return sent;
}

static void
file_finish(struct file_feed *ff)
{
	struct vigil	*v = ff->f->v;
	char		*cause = NULL;
	size_t		 i;

	if (ff->finished || ff->acked < ff->nevents || ff->f->in_flight > 0)
		return;
	ff->finished = true;
	if (store_begin(v->store, &cause) == 0) {
		for (i = 0; i < ff->nfiles; i++) {
			if (!ff->files[i].done && store_cursor_put(v->store,
			    ff->f->name, ff->files[i].path,
			    ff->files[i].stamp, &cause) != 0)
				break;
		}
		if (i == ff->nfiles)
			store_commit(v->store, &cause);
		else
			store_rollback(v->store);
	}
	if (cause != NULL) {
		feed_error(ff->f, "cannot remember the replayed files: %s",
		    cause);
		free(cause);
	}
	feed_set_state(ff->f, FEED_IDLE);
	log_info("feed %s: replayed %zu event%s from %zu file%s", ff->f->name,
	    ff->nevents, ff->nevents == 1 ? "" : "s", ff->nfiles,
	    ff->nfiles == 1 ? "" : "s");
}

static void
file_tick(evutil_socket_t fd, short events, void *arg)
{
	struct file_feed	*ff = arg;
	struct timeval		 tv = { 0, FILE_TICK_MS * 1000 };
	int64_t			 now = mono_ms();
	size_t			 n;

	if (ff->f->state == FEED_STOPPING || ff->f->state == FEED_STOPPED)
		return;
	if (ff->c->rate == 0)
		n = SIZE_MAX;
	else {
		ff->credit += (double)ff->c->rate * (double)(now -
		    ff->last_tick) / 1000.0;
		if (ff->credit > (double)ff->c->rate)
			ff->credit = (double)ff->c->rate;	/* 1 s burst */
		n = (size_t)ff->credit;
	}
	ff->last_tick = now;
	n = file_send(ff, n);
	if (ff->c->rate != 0)
		ff->credit -= (double)n;
	if (ff->next < ff->nevents && ff->c->rate != 0)
		evtimer_add(ff->tick_ev, &tv);
	file_finish(ff);
}

static int
file_start(struct feed *f, char **cause)
{
	struct file_feed	*ff;
	struct file_conf	*c = f->conf->opts;
	char			*stamp, *why = NULL;
	size_t			 i;

	ff = xcalloc(1, sizeof *ff);
	ff->f = f;
	ff->c = c;
	f->impl = ff;
	ff->tick_ev = evtimer_new(f->v->base, file_tick, ff);
	if (ff->tick_ev == NULL)
		fatalx("evtimer_new: out of memory");

	file_scan(ff, c->path);
	for (i = 0; i < ff->nfiles; i++) {
		if (!c->replay_again) {
			stamp = store_cursor_get(f->v->store, f->name,
			    ff->files[i].path, &why);
			if (why != NULL) {
				feed_error(f, "%s", why);
				free(why);
				why = NULL;
			}
			ff->files[i].done = stamp != NULL &&
			    strcmp(stamp, ff->files[i].stamp) == 0;
			free(stamp);
			if (ff->files[i].done)
				continue;
		}
		file_load(ff, &ff->files[i]);
	}
	if (ff->nevents > 1)
		qsort(ff->events, ff->nevents, sizeof *ff->events,
		    file_cmp_time);
	log_info("feed %s: %zu event%s to replay from %zu file%s under %s",
	    f->name, ff->nevents, ff->nevents == 1 ? "" : "s", ff->nfiles,
	    ff->nfiles == 1 ? "" : "s", c->path);
	feed_set_state(f, FEED_RUNNING);
	ff->last_tick = mono_ms();
	event_active(ff->tick_ev, EV_TIMEOUT, 0);
	return 0;
}

static void
file_stop(struct feed *f)
{
	struct file_feed	*ff = f->impl;

	evtimer_del(ff->tick_ev);
}

static void
file_ack(struct feed *f, struct msg *m)
{
	struct file_feed	*ff = f->impl;

	ff->acked += m->nevents;
	msg_free(m);
	if (f->state == FEED_RUNNING && ff->c->rate == 0 &&
	    ff->next < ff->nevents)
		file_send(ff, SIZE_MAX);
	file_finish(ff);
}

/* Not committed: put its events back at the front, and try again later. */
static void
file_nack(struct feed *f, struct msg *m)
{
	struct file_feed	*ff = f->impl;
	struct timeval		 tv = { 1, 0 };
	size_t			 i;

	if (m->events != NULL && ff->next >= m->nevents) {
		ff->next -= m->nevents;
		for (i = 0; i < m->nevents; i++) {
			change_free(ff->events[ff->next + i]);
			ff->events[ff->next + i] = m->events[i];
			m->events[i] = NULL;
		}
		m->nevents = 0;
	}
	msg_free(m);
	if (f->state == FEED_RUNNING)
		evtimer_add(ff->tick_ev, &tv);
}

static void
file_status(struct feed *f, json_t *o)
{
	struct file_feed	*ff = f->impl;
	size_t			 i, done = 0;

	for (i = 0; i < ff->nfiles; i++)
		done += ff->files[i].done;
	json_object_set_new(o, "path", json_string(ff->c->path));
	json_object_set_new(o, "files", json_integer((json_int_t)ff->nfiles));
	json_object_set_new(o, "files_replayed_before",
	    json_integer((json_int_t)done));
	json_object_set_new(o, "bad_files", json_integer((json_int_t)
	    ff->bad_files));
	json_object_set_new(o, "skipped_records", json_integer((json_int_t)
	    ff->skipped_records));
	json_object_set_new(o, "events_total", json_integer((json_int_t)
	    ff->nevents));
	json_object_set_new(o, "events_sent", json_integer((json_int_t)
	    ff->next));
	json_object_set_new(o, "events_acknowledged", json_integer(
	    (json_int_t)ff->acked));
	json_object_set_new(o, "rate", json_integer((json_int_t)ff->c->rate));
}

static void
file_free(struct feed *f)
{
	struct file_feed	*ff = f->impl;
	size_t			 i;

	if (ff == NULL)
		return;
	for (i = 0; i < ff->nfiles; i++) {
		free(ff->files[i].path);
		free(ff->files[i].stamp);
	}
	free(ff->files);
	for (i = 0; i < ff->nevents; i++)
		change_free(ff->events[i]);
	free(ff->events);
	event_free(ff->tick_ev);
	free(ff);
	f->impl = NULL;
}

const struct feed_backend feed_file_backend = {
	.type = "file",
	.keys = file_keys,
	.nkeys = nitems(file_keys),
	.conf_size = sizeof(struct file_conf),
	.check = file_check,
	.start = file_start,
	.stop = file_stop,
	.ack = file_ack,
	.nack = file_nack,
	.status = file_status,
	.free = file_free,
};
