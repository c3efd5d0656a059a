/*
 * store-outbox.c: the notification outbox and the remote references of
 * stateful receivers (a Jira issue per violation occurrence).
 *
 * Rows are written inside the caller's transaction (the one that changes
 * the violation they report); delivery updates them one statement at a
 * time afterwards.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify.h"
#include "store-int.h"

static const char sql_put[] =
    "INSERT OR IGNORE INTO outbox (channel, type, key, kind, transition, "
    "violation, occurrence, severity, rule, asset, notification, payload, "
    "state, next_attempt_at, created_at, digest) VALUES (?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/*
 * Write a row; *id is its id, or 0 when the channel already has a row with
 * this key (the same transition enqueued again).
 */
int
store_outbox_put(struct store *st, const struct outbox_new *o, int64_t *id,
    char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_put, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, o->channel);
	store_bind_text(s, 2, o->type);
	store_bind_text(s, 3, o->key);
	store_bind_text(s, 4, o->kind);
	store_bind_text(s, 5, o->transition);
	if (o->violation != 0) {
		sqlite3_bind_int64(s, 6, o->violation);
		sqlite3_bind_int64(s, 7, o->occurrence);
	}
	store_bind_text(s, 8, o->severity);
	store_bind_text(s, 9, o->rule);
	store_bind_text(s, 10, o->asset);
	store_bind_text(s, 11, o->notification);
	store_bind_text(s, 12, o->payload);
	store_bind_text(s, 13, o->state);
	sqlite3_bind_int64(s, 14, o->next_attempt_at);
	sqlite3_bind_int64(s, 15, o->created_at);
	if (o->digest != 0)
		sqlite3_bind_int64(s, 16, o->digest);
	if (store_step_done(st, s, "outbox", cause) != 0)
		return -1;
	*id = sqlite3_changes(st->db) > 0 ? sqlite3_last_insert_rowid(st->db) :
	    0;
	return 0;
}

/* The channel's digest or summary row still collecting: its id, or 0. */
int64_t
store_outbox_collecting(struct store *st, const char *channel,
    const char *kind, char **cause)
{
	static const char sql[] = "SELECT id FROM outbox WHERE channel = ? AND "
	    "state = 'collecting' AND kind = ? ORDER BY id DESC LIMIT 1";
	sqlite3_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, channel);
	store_bind_text(s, 2, kind);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox");
		id = -1;
	}
	sqlite3_reset(s);
	return id;
}

/* How many violations opened for a channel since a time (digested too). */
int
store_outbox_opens_since(struct store *st, const char *channel,
    int64_t since, int64_t *n, char **cause)
{
	static const char sql[] = "SELECT count(*) FROM outbox WHERE "
	    "channel = ? AND transition = 'open' AND created_at >= ? AND "
	    "kind = 'transition'";
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, since);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		*cause = store_errmsg(st, "outbox");
		return -1;
	}
	return 0;
}

/* A storm began: the window's opens not yet sent go into the digest. */
int
store_outbox_fold(struct store *st, const char *channel, int64_t digest,
    int64_t since, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'digested', "
	    "digest = ?, payload = NULL WHERE channel = ? AND kind = "
	    "'transition' AND transition = 'open' AND state = 'pending' AND "
	    "attempts = 0 AND created_at >= ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, digest);
	store_bind_text(s, 2, channel);
	sqlite3_bind_int64(s, 3, since);
	return store_step_done(st, s, "outbox fold", cause);
}

#define ROW_COLUMNS \
    "id, channel, key, kind, transition, violation, occurrence, " \
    "notification, payload, attempts, step, created_at, remote_ref"

static void
store_outbox_read(sqlite3_stmt *s, struct outbox_row *r)
{
	const char	*t;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->channel = xstrdup((const char *)sqlite3_column_text(s, 1));
	r->key = xstrdup((const char *)sqlite3_column_text(s, 2));
	r->kind = xstrdup((const char *)sqlite3_column_text(s, 3));
	if ((t = (const char *)sqlite3_column_text(s, 4)) != NULL)
		r->transition = xstrdup(t);
	r->violation = sqlite3_column_int64(s, 5);
	r->occurrence = sqlite3_column_int64(s, 6);
	r->notification = xstrdup((const char *)sqlite3_column_text(s, 7));
	if ((t = (const char *)sqlite3_column_text(s, 8)) != NULL)
		r->payload = xstrdup(t);
	r->attempts = sqlite3_column_int(s, 9);
	r->step = sqlite3_column_int(s, 10);
	r->created_at = sqlite3_column_int64(s, 11);
	if ((t = (const char *)sqlite3_column_text(s, 12)) != NULL)
		r->remote_ref = xstrdup(t);
}

void
outbox_row_clear(struct outbox_row *r)
{
	free(r->channel);
	free(r->key);
	free(r->kind);
	free(r->transition);
	free(r->notification);
	free(r->payload);
	free(r->remote_ref);
	memset(r, 0, sizeof *r);
}

/*
 * A channel's rows due now, oldest first.  A row waits while an earlier
 * row about the same violation occurrence is undelivered: a resolve is
 * never sent before its open.
 */
int
store_outbox_due(struct store *st, const char *channel, int64_t now,
    size_t limit, struct outbox_row **rows, size_t *n, char **cause)
{
	static const char sql[] = "SELECT " ROW_COLUMNS " FROM outbox o WHERE "
	    "channel = ? AND state = 'pending' AND next_attempt_at <= ? AND "
	    "(violation IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE "
	    "p.channel = o.channel AND p.violation = o.violation AND "
	    "p.occurrence = o.occurrence AND p.id < o.id AND p.state IN "
	    "('pending', 'sending'))) ORDER BY id LIMIT ?";
	sqlite3_stmt	*s;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		store_outbox_read(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox");
		return -1;
	}
	return 0;
}

/* Digests and summaries whose window has closed. */
int
store_outbox_closing(struct store *st, int64_t now, int64_t **ids, size_t *n,
    char **cause)
{
	static const char sql[] = "SELECT id FROM outbox WHERE state = "
	    "'collecting' AND next_attempt_at <= ? ORDER BY id";
	sqlite3_stmt	*s;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox");
		return -1;
	}
	return 0;
}

/* One row by id; 1 if found, 0 if not, -1 on error. */
int
store_outbox_row(struct store *st, int64_t id, struct outbox_row *r,
    char **cause)
{
	static const char sql[] = "SELECT " ROW_COLUMNS " FROM outbox WHERE "
	    "id = ?";
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_outbox_read(s, r);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox");
		return -1;
	}
	return rc == SQLITE_ROW;
}

/* The notifications a digest holds: the first few, and how many in all. */
json_t *
store_outbox_digest_items(struct store *st, int64_t digest, size_t max,
    int64_t *total, char **cause)
{
	static const char sql[] = "SELECT notification FROM outbox WHERE "
	    "digest = ? ORDER BY id LIMIT ?";
	static const char sql_count[] = "SELECT count(*) FROM outbox WHERE "
	    "digest = ?";
	sqlite3_stmt	*s;
	json_t		*items, *o;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, digest);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	items = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		o = json_loads((const char *)sqlite3_column_text(s, 0), 0,
		    NULL);
		if (o != NULL)
			json_array_append_new(items, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox digest");
		json_decref(items);
		return NULL;
	}
	if ((s = store_stmt(st, sql_count, cause)) == NULL) {
		json_decref(items);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, digest);
	rc = sqlite3_step(s);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return items;
}

static int
store_outbox_exec(struct store *st, const char *sql, int64_t id,
    const char *what, char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s, what, cause);
}

int
store_outbox_sending(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'sending' WHERE "
	    "id = ?";

	return store_outbox_exec(st, sql, id, "outbox sending", cause);
}

/* Delivered: with the remote reference it made, and a note if any. */
int
store_outbox_delivered(struct store *st, int64_t id, int64_t now,
    const char *ref, const char *note, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'delivered', "
	    "attempts = attempts + 1, delivered_at = ?, remote_ref = "
	    "coalesce(?, remote_ref), last_error = ? WHERE id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	store_bind_text(s, 2, ref);
	store_bind_text(s, 3, note);
	sqlite3_bind_int64(s, 4, id);
	return store_step_done(st, s, "outbox delivered", cause);
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next,
    const char *error, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'pending', "
	    "attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
	    "WHERE id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, next);
	store_bind_text(s, 2, error);
	sqlite3_bind_int64(s, 3, id);
	return store_step_done(st, s, "outbox retry", cause);
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error,
    char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'failed', "
	    "attempts = attempts + 1, last_error = ? WHERE id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, error);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(st, s, "outbox failed", cause);
}

/* A multi-request delivery got this far (and made this reference). */
int
store_outbox_progress(struct store *st, int64_t id, int step,
    const char *ref, char **cause)
{
	static const char sql[] = "UPDATE outbox SET step = ?, remote_ref = "
	    "coalesce(?, remote_ref) WHERE id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, step);
	store_bind_text(s, 2, ref);
	sqlite3_bind_int64(s, 3, id);
	return store_step_done(st, s, "outbox progress", cause);
}

/* A digest or summary is complete: rendered, and due at a time. */
int
store_outbox_render(struct store *st, int64_t id, const char *notification,
    const char *payload, int64_t due, char **cause)
{
	static const char sql[] = "UPDATE outbox SET notification = ?, "
	    "payload = ?, state = 'pending', next_attempt_at = ? WHERE id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, notification);
	store_bind_text(s, 2, payload);
	sqlite3_bind_int64(s, 3, due);
	sqlite3_bind_int64(s, 4, id);
	return store_step_done(st, s, "outbox render", cause);
}

int
store_outbox_update_notification(struct store *st, int64_t id,
    const char *notification, char **cause)
{
	static const char sql[] = "UPDATE outbox SET notification = ? WHERE "
	    "id = ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, notification);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(st, s, "outbox", cause);
}

/* At start: rows a crash left in flight are due again, now. */
int
store_outbox_reset_sending(struct store *st, int64_t *n, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'pending', "
	    "next_attempt_at = ? WHERE state = 'sending'";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms());
	if (store_step_done(st, s, "outbox reset", cause) != 0)
		return -1;
	*n = sqlite3_changes(st->db);
	return 0;
}

/*
 * A failed row back to pending, due at once: 1 done, 0 no such failed
 * row, -1 error.
 */
int
store_outbox_requeue(struct store *st, int64_t id, int64_t now, char **cause)
{
	static const char sql[] = "UPDATE outbox SET state = 'pending', "
	    "next_attempt_at = ?, created_at = ? WHERE id = ? AND state = "
	    "'failed'";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	if (store_step_done(st, s, "outbox retry", cause) != 0)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

/* A digest or summary is complete before its time: due now. */
int
store_outbox_close_now(struct store *st, int64_t id, int64_t now,
    char **cause)
{
	static const char sql[] = "UPDATE outbox SET next_attempt_at = ? "
	    "WHERE id = ? AND state = 'collecting'";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(st, s, "outbox", cause);
}

int
store_outbox_ref_put(struct store *st, const char *channel, int64_t violation,
    int64_t occurrence, const char *ref, char **cause)
{
	static const char sql[] = "INSERT OR REPLACE INTO notify_refs "
	    "(channel, violation, occurrence, ref, created_at) VALUES (?, ?, "
	    "?, ?, ?)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, violation);
	sqlite3_bind_int64(s, 3, occurrence);
	store_bind_text(s, 4, ref);
	sqlite3_bind_int64(s, 5, now_ms());
	return store_step_done(st, s, "notify reference", cause);
}

/* The reference a channel made for an occurrence (caller frees), or NULL. */
char *
store_outbox_ref_get(struct store *st, const char *channel, int64_t violation,
    int64_t occurrence, char **cause)
{
	static const char sql[] = "SELECT ref FROM notify_refs WHERE channel = "
	    "? AND violation = ? AND occurrence = ?";
	sqlite3_stmt	*s;
	char		*ref = NULL;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	store_bind_text(s, 1, channel);
	sqlite3_bind_int64(s, 2, violation);
	sqlite3_bind_int64(s, 3, occurrence);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ref = xstrdup((const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "notify reference");
	sqlite3_reset(s);
	return ref;
}

#define LIST_COLUMNS \
    "id, channel, type, key, kind, transition, violation, occurrence, " \
    "severity, rule, asset, state, attempts, next_attempt_at, last_error, " \
    "created_at, delivered_at, remote_ref, digest"

static json_t *
store_outbox_json(sqlite3_stmt *s)
{
	const char	*name;
	json_t		*o;
	char		*t;
	int		 i, n = sqlite3_column_count(s);

	o = json_object();
	for (i = 0; i < n; i++) {
		name = sqlite3_column_name(s, i);
		switch (sqlite3_column_type(s, i)) {
		case SQLITE_NULL:
			json_object_set_new(o, name, json_null());
			break;
		case SQLITE_INTEGER:
			if (strcmp(name + strlen(name) - 3, "_at") == 0) {
				t = time_iso8601(sqlite3_column_int64(s, i));
				json_object_set_new(o, name, json_string(t));
				free(t);
			} else
				json_object_set_new(o, name, json_integer(
				    sqlite3_column_int64(s, i)));
			break;
		default:
			json_object_set_new(o, name, json_string((const char *)
			    sqlite3_column_text(s, i)));
			break;
		}
	}
	return o;
}

/* Notifications, newest first, filtered by state and channel. */
json_t *
store_outbox_query(struct store *st, const struct outbox_query *q,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 i = 1;

	sql = xprintf("SELECT " LIST_COLUMNS " FROM outbox WHERE 1 = 1%s%s "
	    "ORDER BY id DESC LIMIT ?",
	    q->state != NULL ? " AND state = ?" : "",
	    q->channel != NULL ? " AND channel = ?" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "outbox");
		free(sql);
		return NULL;
	}
	free(sql);
	if (q->state != NULL)
		store_bind_text(s, i++, q->state);
	if (q->channel != NULL)
		store_bind_text(s, i++, q->channel);
	sqlite3_bind_int64(s, i, q->limit);
	return store_rows(st, s, store_outbox_json, "outbox", cause);
}

/* One notification, with what it says; NULL with *cause NULL: none. */
json_t *
store_outbox_get(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "SELECT " LIST_COLUMNS ", notification FROM "
	    "outbox WHERE id = ?";
	sqlite3_stmt	*s;
	json_t		*o = NULL, *doc;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		o = store_outbox_json(s);
		doc = json_loads(json_string_value(json_object_get(o,
		    "notification")), 0, NULL);
		json_object_set_new(o, "notification", doc != NULL ? doc :
		    json_null());
	} else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "outbox");
	sqlite3_reset(s);
	return o;
}

/* {"channel": {"pending": n, "failed": n, ...}, ...} */
json_t *
store_outbox_counts(struct store *st, char **cause)
{
	static const char sql[] = "SELECT channel, state, count(*) FROM outbox "
	    "GROUP BY channel, state";
	sqlite3_stmt	*s;
	json_t		*o, *ch;
	const char	*name;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	o = json_object();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(s, 0);
		if ((ch = json_object_get(o, name)) == NULL) {
			ch = json_object();
			json_object_set_new(o, name, ch);
		}
		json_object_set_new(ch, (const char *)sqlite3_column_text(s, 1),
		    json_integer(sqlite3_column_int64(s, 2)));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "outbox");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* When the next row falls due (ms), 0 if none, -1 on error. */
int64_t
store_outbox_next_due(struct store *st, char **cause)
{
	static const char sql[] = "SELECT min(next_attempt_at) FROM outbox "
	    "WHERE state IN ('pending', 'collecting')";
	sqlite3_stmt	*s;
	int64_t		 t = 0;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		*cause = store_errmsg(st, "outbox");
		return -1;
	}
	return t;
}

/* Forget delivered notifications (and what they folded) older than this. */
int
store_outbox_prune(struct store *st, int64_t before, char **cause)
{
	static const char sql_digested[] = "DELETE FROM outbox WHERE digest IN "
	    "(SELECT id FROM outbox WHERE state = 'delivered' AND "
	    "delivered_at < ?)";
	static const char sql[] = "DELETE FROM outbox WHERE state = "
	    "'delivered' AND delivered_at < ? AND id NOT IN (SELECT digest "
	    "FROM outbox WHERE digest IS NOT NULL)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_digested, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	if (store_step_done(st, s, "prune outbox", cause) != 0)
		return -1;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return store_step_done(st, s, "prune outbox", cause);
}
