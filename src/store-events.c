/*
 * store-events.c: change events, the feeds' committed messages, dead
 * letters and cursors.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "change.h"
#include "store-int.h"

static const char sql_event_put[] =
    "INSERT OR IGNORE INTO events (event_id, provider, kind, time, "
    "received_at, feed, account, region, service, source, name, read_only, "
    "error_code, actor_arn, actor_type, actor_principal, source_ip, "
    "user_agent, resource_type, resource_id, raw) VALUES (?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/*
 * Store an event; one already stored (the same provider id) is left as it
 * is.  *inserted says which happened.
 */
int
store_event_put(struct store *st, const struct change_event *ev,
    const char *feed, int64_t received_ms, bool *inserted, char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_event_put, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ev->id);
	store_bind_text(s, 2, change_provider_name(ev->provider));
	store_bind_text(s, 3, change_kind_name(ev->kind));
	if (ev->time != 0)
		sqlite3_bind_int64(s, 4, ev->time);
	sqlite3_bind_int64(s, 5, received_ms);
	store_bind_text(s, 6, feed);
	store_bind_text(s, 7, ev->account);
	store_bind_text(s, 8, ev->region);
	store_bind_text(s, 9, ev->service);
	store_bind_text(s, 10, ev->source);
	store_bind_text(s, 11, ev->name);
	sqlite3_bind_int(s, 12, ev->read_only ? 1 : 0);
	store_bind_text(s, 13, ev->error_code);
	store_bind_text(s, 14, ev->actor.arn != NULL ? ev->actor.arn :
	    ev->actor.invoked_by);
	store_bind_text(s, 15, ev->actor.type);
	store_bind_text(s, 16, ev->actor.principal_id);
	store_bind_text(s, 17, ev->source_ip);
	store_bind_text(s, 18, ev->user_agent);
	store_bind_text(s, 19, ev->resource_type);
	store_bind_text(s, 20, ev->resource_id);
	sqlite3_bind_text(s, 21, ev->raw, (int)ev->raw_len, SQLITE_STATIC);
	if (store_step_done(st, s, "store event", cause) != 0)
		return -1;
	*inserted = sqlite3_changes(st->db) > 0;
	return 0;
}

static const char sql_message_seen[] =
    "SELECT 1 FROM feed_messages WHERE feed = ? AND message_id = ?";

/* Was this feed message committed before? */
int
store_message_seen(struct store *st, const char *feed, const char *id,
    bool *seen, char **cause)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, sql_message_seen, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "feed message");
		return -1;
	}
	*seen = rc == SQLITE_ROW;
	return 0;
}

static const char sql_message_done[] =
    "INSERT OR REPLACE INTO feed_messages (feed, message_id, committed_at, "
    "events) VALUES (?, ?, ?, ?)";

int
store_message_done(struct store *st, const char *feed, const char *id,
    int64_t now, int events, char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_message_done, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, id);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int(s, 4, events);
	return store_step_done(st, s, "feed message", cause);
}

static const char sql_dead_letter_put[] =
    "INSERT OR IGNORE INTO dead_letters (feed, message_id, received_at, "
    "receive_count, reason, body) VALUES (?, ?, ?, ?, ?, ?)";

int
store_dead_letter_put(struct store *st, const char *feed, const char *id,
    int64_t received_ms, int receive_count, const char *reason,
    const char *body, size_t len, char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_dead_letter_put, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, id);
	sqlite3_bind_int64(s, 3, received_ms);
	sqlite3_bind_int(s, 4, receive_count);
	store_bind_text(s, 5, reason);
	sqlite3_bind_blob(s, 6, body != NULL ? body : "", (int)len,
	    SQLITE_STATIC);
	return store_step_done(st, s, "dead letter", cause);
}

static const char sql_cursor_get[] =
    "SELECT value FROM feed_cursors WHERE feed = ? AND key = ?";
static const char sql_cursor_put[] =
    "INSERT OR REPLACE INTO feed_cursors (feed, key, value, updated_at) "
    "VALUES (?, ?, ?, ?)";

/* A feed's cursor value (the caller frees it), or NULL if there is none. */
char *
store_cursor_get(struct store *st, const char *feed, const char *key,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*v = NULL;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql_cursor_get, cause)) == NULL)
		return NULL;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "feed cursor");
	sqlite3_reset(s);
	return v;
}

int
store_cursor_put(struct store *st, const char *feed, const char *key,
    const char *value, char **cause)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql_cursor_put, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, feed);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, now_ms());
	return store_step_done(st, s, "feed cursor", cause);
}

/* Forget feed messages older than the cutoff (they cannot come back). */
int
store_messages_prune(struct store *st, int64_t before, char **cause)
{
	static const char sql[] =
	    "DELETE FROM feed_messages WHERE committed_at < ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return store_step_done(st, s, "prune feed messages", cause);
}

/* Delete events older than the cutoff (events_retention). */
int
store_events_prune(struct store *st, int64_t before, char **cause)
{
	static const char sql[] = "DELETE FROM events WHERE time < ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	return store_step_done(st, s, "prune events", cause);
}

static json_t *
store_event_row(sqlite3_stmt *s, bool with_raw)
{
	json_t	*o;
	char	*t;
	int	 i, n = sqlite3_column_count(s);

	o = json_object();
	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);

		switch (sqlite3_column_type(s, i)) {
		case SQLITE_NULL:
			json_object_set_new(o, name, json_null());
			break;
		case SQLITE_INTEGER:
			if (strcmp(name, "time") == 0 ||
			    strcmp(name, "received_at") == 0) {
				t = time_iso8601(sqlite3_column_int64(s, i));
				json_object_set_new(o, name, json_string(t));
				free(t);
			} else if (strcmp(name, "read_only") == 0)
				json_object_set_new(o, name, json_boolean(
				    sqlite3_column_int(s, i)));
			else
				json_object_set_new(o, name, json_integer(
				    sqlite3_column_int64(s, i)));
			break;
		default:
			if (strcmp(name, "raw") == 0) {
				json_t *raw;

				if (!with_raw)
					break;
				raw = json_loadb((const char *)
				    sqlite3_column_text(s, i),
				    (size_t)sqlite3_column_bytes(s, i), 0,
				    NULL);
				json_object_set_new(o, name, raw != NULL ? raw :
				    json_string((const char *)
				    sqlite3_column_text(s, i)));
			} else
				json_object_set_new(o, name, json_string(
				    (const char *)sqlite3_column_text(s, i)));
			break;
		}
	}
	return o;
}

/* A row of a list, without the raw record. */
static json_t *
store_event_row_brief(sqlite3_stmt *s)
{
	return store_event_row(s, false);
}

#define EVENT_COLUMNS \
    "event_id, time, received_at, feed, provider, kind, account, region, " \
    "service, source, name, read_only, error_code, actor_arn, actor_type, " \
    "actor_principal, source_ip, user_agent, resource_type, resource_id"

/* Events, newest first, filtered as the query says. */
json_t *
store_events_query(struct store *st, const struct event_query *q,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 i = 1;

	sql = xprintf("SELECT " EVENT_COLUMNS " FROM events WHERE 1 = 1%s%s%s"
	    "%s%s%s ORDER BY time DESC, id DESC LIMIT ?",
	    q->since_ms != 0 ? " AND time >= ?" : "",
	    q->account != NULL ? " AND account = ?" : "",
	    q->name != NULL ? " AND name = ?" : "",
	    q->actor != NULL ? " AND (actor_arn = ? OR actor_principal = ?)" :
	    "",
	    q->feed != NULL ? " AND feed = ?" : "",
	    q->writes_only ? " AND read_only = 0" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "events");
		free(sql);
		return NULL;
	}
	free(sql);
	if (q->since_ms != 0)
		sqlite3_bind_int64(s, i++, q->since_ms);
	if (q->account != NULL)
		store_bind_text(s, i++, q->account);
	if (q->name != NULL)
		store_bind_text(s, i++, q->name);
	if (q->actor != NULL) {
		store_bind_text(s, i++, q->actor);
		store_bind_text(s, i++, q->actor);
	}
	if (q->feed != NULL)
		store_bind_text(s, i++, q->feed);
	sqlite3_bind_int64(s, i, q->limit);

	return store_rows(st, s, store_event_row_brief, "events", cause);
}

/* One event with its raw record, by provider id; NULL if there is none. */
json_t *
store_event_get(struct store *st, const char *event_id, char **cause)
{
	static const char sql[] = "SELECT " EVENT_COLUMNS ", raw FROM events "
	    "WHERE event_id = ?";
	sqlite3_stmt	*s;
	json_t		*o = NULL;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	store_bind_text(s, 1, event_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		o = store_event_row(s, true);
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "event");
	sqlite3_reset(s);
	return o;
}

/* Counts for status. */
json_t *
store_event_counts(struct store *st)
{
	static const char sql_events[] = "SELECT count(*), max(time) FROM events";
	static const char sql_dead[] = "SELECT count(*) FROM dead_letters";
	sqlite3_stmt	*s;
	json_t		*o;
	char		*cause = NULL, *t;

	o = json_object();
	if ((s = store_stmt(st, sql_events, &cause)) != NULL &&
	    sqlite3_step(s) == SQLITE_ROW) {
		json_object_set_new(o, "events",
		    json_integer(sqlite3_column_int64(s, 0)));
		if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
			t = time_iso8601(sqlite3_column_int64(s, 1));
			json_object_set_new(o, "newest_event", json_string(t));
			free(t);
		}
	}
	if (s != NULL)
		sqlite3_reset(s);
	if ((s = store_stmt(st, sql_dead, &cause)) != NULL &&
	    sqlite3_step(s) == SQLITE_ROW)
		json_object_set_new(o, "dead_letters",
		    json_integer(sqlite3_column_int64(s, 0)));
	if (s != NULL)
		sqlite3_reset(s);
	if (cause != NULL) {
		log_warnx("%s", cause);
		free(cause);
	}
	return o;
}
