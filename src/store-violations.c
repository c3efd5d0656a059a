/*
 * store-violations.c: violations and their timelines, exceptions, and the
 * dependencies between assets that evaluation records.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store-int.h"

static char *
store_json_text(const json_t *v)
{
	char	*s;

	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		fatalx("json_dumps: out of memory");
	return s;
}

/* A column of milliseconds as an RFC 3339 time, or null. */
static json_t *
store_column_time(sqlite3_stmt *s, int i)
{
	json_t	*o;
	char	*t;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	t = time_iso8601(sqlite3_column_int64(s, i));
	o = json_string(t);
	free(t);
	return o;
}

static json_t *
store_column_json(sqlite3_stmt *s, int i)
{
	json_t	*v;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	v = json_loadb((const char *)sqlite3_column_text(s, i),
	    (size_t)sqlite3_column_bytes(s, i), JSON_DECODE_ANY, NULL);
	return v != NULL ? v : json_null();
}

/* The live (open or excepted) violation of a rule on an asset, if any. */
int
store_violation_live(struct store *st, const char *rule_id, int64_t asset,
    struct violation_row *row, bool *found, char **cause)
{
	static const char sql[] = "SELECT id, occurrence, state, evidence, "
	    "exception, first_seen FROM violations WHERE rule_id = ? AND "
	    "asset = ? AND state <> 'resolved'";
	sqlite3_stmt	*s;
	int		 rc;

	*found = false;
	memset(row, 0, sizeof *row);
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, rule_id);
	sqlite3_bind_int64(s, 2, asset);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*found = true;
		row->id = sqlite3_column_int64(s, 0);
		row->occurrence = sqlite3_column_int64(s, 1);
		row->excepted = strcmp((const char *)sqlite3_column_text(s, 2),
		    "excepted") == 0;
		row->evidence = store_column_json(s, 3);
		row->exception = sqlite3_column_int64(s, 4);
		row->first_seen = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "violation");
		return -1;
	}
	return 0;
}

/* Live violations of an asset: their ids and rule ids (for deletions). */
int
store_violations_of_asset(struct store *st, int64_t asset,
    struct violation_row **rows, size_t *n, char **cause)
{
	static const char sql[] = "SELECT id, rule_id, occurrence, state "
	    "FROM violations WHERE asset = ? AND state <> 'resolved'";
	sqlite3_stmt	*s;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, asset);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		memset(&(*rows)[*n], 0, sizeof **rows);
		(*rows)[*n].id = sqlite3_column_int64(s, 0);
		(*rows)[*n].rule_id = xstrdup((const char *)
		    sqlite3_column_text(s, 1));
		(*rows)[*n].occurrence = sqlite3_column_int64(s, 2);
		(*rows)[*n].excepted = strcmp((const char *)
		    sqlite3_column_text(s, 3), "excepted") == 0;
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "violations");
		return -1;
	}
	return 0;
}

void
violation_row_clear(struct violation_row *row)
{
	json_decref(row->evidence);
	free(row->rule_id);
	memset(row, 0, sizeof *row);
}

static int
store_history_add(struct store *st, int64_t violation, int64_t now,
    const char *transition, const char *event_id, const char *actor,
    const json_t *detail, char **cause)
{
	static const char sql[] = "INSERT INTO violation_history (violation, "
	    "seq, time, transition, event_id, actor, detail) VALUES (?1, "
	    "(SELECT coalesce(max(seq), 0) + 1 FROM violation_history WHERE "
	    "violation = ?1), ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt	*s;
	char		*d = NULL;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, violation);
	sqlite3_bind_int64(s, 2, now);
	store_bind_text(s, 3, transition);
	store_bind_text(s, 4, event_id);
	store_bind_text(s, 5, actor);
	if (detail != NULL) {
		d = store_json_text(detail);
		sqlite3_bind_text(s, 6, d, -1, SQLITE_STATIC);
	}
	rc = store_step_done(st, s, "violation history", cause);
	free(d);
	return rc;
}

/*
 * Open a violation: a new occurrence, open or (under an exception)
 * excepted.  Sets *id and *occurrence.
 */
int
store_violation_open(struct store *st, const struct violation_open *vo,
    int64_t *id, int64_t *occurrence, char **cause)
{
	static const char sql[] = "INSERT INTO violations (rule_id, asset, "
	    "occurrence, state, severity, evidence, first_seen, last_seen, "
	    "opened_event, opened_actor, exception) VALUES (?1, ?2, (SELECT "
	    "coalesce(max(occurrence), 0) + 1 FROM violations WHERE rule_id = "
	    "?1 AND asset = ?2), ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9) RETURNING id, "
	    "occurrence";
	sqlite3_stmt	*s;
	char		*ev;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	ev = store_json_text(vo->evidence);
	store_bind_text(s, 1, vo->rule_id);
	sqlite3_bind_int64(s, 2, vo->asset);
	store_bind_text(s, 3, vo->exception != 0 ? "excepted" : "open");
	store_bind_text(s, 4, vo->severity);
	sqlite3_bind_text(s, 5, ev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, vo->time);
	store_bind_text(s, 7, vo->event_id);
	store_bind_text(s, 8, vo->actor);
	if (vo->exception != 0)
		sqlite3_bind_int64(s, 9, vo->exception);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*occurrence = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	free(ev);
	if (rc != SQLITE_ROW) {
		*cause = store_errmsg(st, "violation open");
		return -1;
	}
	return store_history_add(st, *id, vo->time, vo->exception != 0 ?
	    "excepted" : "open", vo->event_id, vo->actor, vo->evidence, cause);
}

/* Still violating: the time it was last seen, the latest evidence. */
int
store_violation_seen(struct store *st, int64_t id, const json_t *evidence,
    int64_t now, char **cause)
{
	static const char sql[] = "UPDATE violations SET last_seen = ?, "
	    "evidence = ? WHERE id = ?";
	sqlite3_stmt	*s;
	char		*ev;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	ev = store_json_text(evidence);
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, ev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, id);
	rc = store_step_done(st, s, "violation seen", cause);
	free(ev);
	return rc;
}

int
store_violation_resolve(struct store *st, int64_t id, int64_t now,
    const char *event_id, const char *actor, const char *why, char **cause)
{
	static const char sql[] = "UPDATE violations SET state = 'resolved', "
	    "resolved_at = ?, resolved_event = ?, resolved_actor = ?, "
	    "resolved_why = ? WHERE id = ?";
	sqlite3_stmt	*s;
	json_t		*detail;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	store_bind_text(s, 2, event_id);
	store_bind_text(s, 3, actor);
	store_bind_text(s, 4, why);
	sqlite3_bind_int64(s, 5, id);
	if (store_step_done(st, s, "violation resolve", cause) != 0)
		return -1;
	detail = json_pack("{s:s}", "why", why);
	rc = store_history_add(st, id, now, "resolve", event_id, actor, detail,
	    cause);
	json_decref(detail);
	return rc;
}

/*
 * An exception now covers a live violation (exception != 0: excepted), or
 * no longer does (0: open again).  transition names it in the timeline.
 */
int
store_violation_except(struct store *st, int64_t id, int64_t exception,
    int64_t now, const char *transition, char **cause)
{
	static const char sql[] = "UPDATE violations SET state = ?, "
	    "exception = ? WHERE id = ?";
	sqlite3_stmt	*s;
	json_t		*detail;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, exception != 0 ? "excepted" : "open");
	if (exception != 0)
		sqlite3_bind_int64(s, 2, exception);
	sqlite3_bind_int64(s, 3, id);
	if (store_step_done(st, s, "violation exception", cause) != 0)
		return -1;
	detail = json_pack("{s:I}", "exception", (json_int_t)exception);
	rc = store_history_add(st, id, now, transition, NULL, NULL, detail,
	    cause);
	json_decref(detail);
	return rc;
}

/* Replace what an asset's evaluation read. */
int
store_deps_replace(struct store *st, int64_t asset, const struct dep *deps,
    size_t n, char **cause)
{
	static const char del[] = "DELETE FROM asset_deps WHERE asset = ?";
	static const char ins[] = "INSERT OR IGNORE INTO asset_deps (asset, "
	    "ref_type, ref_account, ref_region, ref_id) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt	*s;
	size_t		 i;

	if ((s = store_stmt(st, del, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, asset);
	if (store_step_done(st, s, "asset deps", cause) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s = store_stmt(st, ins, cause)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, asset);
		store_bind_text(s, 2, deps[i].type);
		store_bind_text(s, 3, deps[i].account);
		store_bind_text(s, 4, deps[i].region);
		store_bind_text(s, 5, deps[i].id != NULL ? deps[i].id : "");
		if (store_step_done(st, s, "asset deps", cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * The assets whose evaluation read this one (by id, or as the singleton of
 * its type in its account and region).
 */
int
store_dependents(struct store *st, const struct asset_key *k,
    int64_t **ids, size_t *n, char **cause)
{
	static const char sql[] = "SELECT DISTINCT asset FROM asset_deps WHERE "
	    "ref_type = ?1 AND ref_account = ?2 AND (ref_region = ?3 OR "
	    "ref_region = '') AND (ref_id = ?4 OR ref_id = '')";
	sqlite3_stmt	*s;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, k->type);
	store_bind_text(s, 2, k->account);
	store_bind_text(s, 3, k->region);
	store_bind_text(s, 4, k->resource_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "dependents");
		return -1;
	}
	return 0;
}

/*
 * A related asset's current document, for rule references: by id, or
 * (id NULL) the one asset of the type in the account and region (a
 * singleton: the account's public access block, password policy ...).
 * Looks in the given region and among global assets.  NULL: none alive.
 */
json_t *
store_asset_lookup(struct store *st, const char *type, const char *id,
    const char *account, const char *region, char **cause)
{
	static const char by_id[] = "SELECT document FROM assets WHERE type = ? "
	    "AND account = ? AND (region = ? OR region = '') AND (resource_id = "
	    "?4 OR arn = ?4) AND deleted_at IS NULL ORDER BY region DESC "
	    "LIMIT 1";
	static const char single[] = "SELECT document FROM assets WHERE type = "
	    "? AND account = ? AND (region = ? OR region = '') AND deleted_at "
	    "IS NULL ORDER BY region DESC LIMIT 1";
	sqlite3_stmt	*s;
	json_t		*doc = NULL;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, id != NULL ? by_id : single, cause)) == NULL)
		return NULL;
	store_bind_text(s, 1, type);
	store_bind_text(s, 2, account != NULL ? account : "");
	store_bind_text(s, 3, region != NULL ? region : "");
	if (id != NULL)
		store_bind_text(s, 4, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		doc = json_loadb((const char *)sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), 0, NULL);
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "asset lookup");
	sqlite3_reset(s);
	return doc;
}

/* Exceptions. */
int
store_exception_add(struct store *st, const struct exception_row *e,
    int64_t *id, char **cause)
{
	static const char sql[] = "INSERT INTO exceptions (rule_pattern, "
	    "asset_pattern, account, tag_key, tag_value, reason, owner, "
	    "expires_at, created_at, created_by, source) VALUES (?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, e->rule_pattern);
	store_bind_text(s, 2, e->asset_pattern);
	store_bind_text(s, 3, e->account);
	store_bind_text(s, 4, e->tag_key);
	store_bind_text(s, 5, e->tag_value);
	store_bind_text(s, 6, e->reason);
	store_bind_text(s, 7, e->owner);
	if (e->expires_at != 0)
		sqlite3_bind_int64(s, 8, e->expires_at);
	sqlite3_bind_int64(s, 9, e->created_at);
	store_bind_text(s, 10, e->created_by);
	store_bind_text(s, 11, e->source);
	if (store_step_done(st, s, "exception", cause) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/*
 * Mark an exception removed, one from source ("api", "file:<path>") or
 * from anywhere (NULL); *found says whether there was such a live one.
 */
int
store_exception_remove(struct store *st, int64_t id, const char *source,
    int64_t now, bool *found, char **cause)
{
	static const char sql[] = "UPDATE exceptions SET removed_at = ?1 WHERE "
	    "id = ?2 AND removed_at IS NULL AND (?3 IS NULL OR source = ?3)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	store_bind_text(s, 3, source);
	if (store_step_done(st, s, "exception remove", cause) != 0)
		return -1;
	*found = sqlite3_changes(st->db) > 0;
	return 0;
}

static void
exception_from_row(sqlite3_stmt *s, struct exception_row *e)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, 0);
#define COL(i) (sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : \
	xstrdup((const char *)sqlite3_column_text(s, i)))
	e->rule_pattern = COL(1);
	e->asset_pattern = COL(2);
	e->account = COL(3);
	e->tag_key = COL(4);
	e->tag_value = COL(5);
	e->reason = COL(6);
	e->owner = COL(7);
	e->expires_at = sqlite3_column_int64(s, 8);
	e->created_at = sqlite3_column_int64(s, 9);
	e->created_by = COL(10);
	e->source = COL(11);
#undef COL
	e->removed_at = sqlite3_column_int64(s, 12);
	e->expired = sqlite3_column_int(s, 13) != 0;
}

void
exception_row_clear(struct exception_row *e)
{
	free(e->rule_pattern);
	free(e->asset_pattern);
	free(e->account);
	free(e->tag_key);
	free(e->tag_value);
	free(e->reason);
	free(e->owner);
	free(e->created_by);
	free(e->source);
	memset(e, 0, sizeof *e);
}

/*
 * Exceptions: live ones (not removed, not expired at now), or all.  The
 * caller frees each row and the array.
 */
int
store_exceptions(struct store *st, bool all, int64_t now,
    struct exception_row **rows, size_t *n, char **cause)
{
	static const char sql_live[] = "SELECT id, rule_pattern, asset_pattern, "
	    "account, tag_key, tag_value, reason, owner, expires_at, "
	    "created_at, created_by, source, removed_at, expired FROM "
	    "exceptions WHERE removed_at IS NULL AND (expires_at IS NULL OR "
	    "expires_at > ?) ORDER BY id";
	static const char sql_all[] = "SELECT id, rule_pattern, asset_pattern, "
	    "account, tag_key, tag_value, reason, owner, expires_at, "
	    "created_at, created_by, source, removed_at, expired FROM "
	    "exceptions WHERE ? IS NOT NULL ORDER BY id";
	sqlite3_stmt	*s;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((s = store_stmt(st, all ? sql_all : sql_live, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		exception_from_row(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "exceptions");
		return -1;
	}
	return 0;
}

/*
 * Live violations held by an exception that is no longer live (removed or
 * expired by now): they are to be opened again.
 */
int
store_violations_orphaned(struct store *st, int64_t now, int64_t **ids,
    size_t *n, char **cause)
{
	static const char sql[] = "SELECT v.id FROM violations v JOIN "
	    "exceptions e ON e.id = v.exception WHERE v.state = 'excepted' AND "
	    "(e.removed_at IS NOT NULL OR (e.expires_at IS NOT NULL AND "
	    "e.expires_at <= ?))";
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
		*cause = store_errmsg(st, "violations");
		return -1;
	}
	return 0;
}

#define VIOLATION_COLUMNS \
    "v.id, v.rule_id, v.occurrence, v.state, v.severity, v.first_seen, " \
    "v.last_seen, v.opened_event, v.opened_actor, v.resolved_at, " \
    "v.resolved_event, v.resolved_actor, v.resolved_why, v.exception, " \
    "a.type, a.resource_id, a.arn, a.name, a.account, a.region"

static json_t *
store_violation_json(sqlite3_stmt *s)
{
	static const char *const times[] = { "first_seen", "last_seen",
	    "resolved_at" };
	json_t	*o;
	size_t	 j;
	int	 i, n = sqlite3_column_count(s);

	o = json_object();
	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);

		if (sqlite3_column_type(s, i) == SQLITE_NULL) {
			json_object_set_new(o, name, json_null());
			continue;
		}
		if (strcmp(name, "evidence") == 0) {
			json_object_set_new(o, name, store_column_json(s, i));
			continue;
		}
		for (j = 0; j < nitems(times); j++) {
			if (strcmp(name, times[j]) == 0)
				break;
		}
		if (j < nitems(times))
			json_object_set_new(o, name, store_column_time(s, i));
		else if (sqlite3_column_type(s, i) == SQLITE_INTEGER)
			json_object_set_new(o, name,
			    json_integer(sqlite3_column_int64(s, i)));
		else
			json_object_set_new(o, name, json_string(
			    (const char *)sqlite3_column_text(s, i)));
	}
	return o;
}

/* Violations, newest first, filtered as the query says. */
json_t *
store_violations_query(struct store *st, const struct violation_query *q,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 i = 1;

	sql = xprintf("SELECT " VIOLATION_COLUMNS " FROM violations v JOIN "
	    "assets a ON a.id = v.asset WHERE 1 = 1%s%s%s%s%s%s ORDER BY "
	    "v.first_seen DESC, v.id DESC LIMIT ?",
	    q->state != NULL ? " AND v.state = ?" : "",
	    q->severity != NULL ? " AND v.severity = ?" : "",
	    q->rule != NULL ? " AND v.rule_id GLOB ?" : "",
	    q->account != NULL ? " AND a.account = ?" : "",
	    q->type != NULL ? " AND a.type = ?" : "",
	    q->since_ms != 0 ? " AND (v.first_seen >= ? OR v.resolved_at >= "
	    "?)" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "violations");
		free(sql);
		return NULL;
	}
	free(sql);
	if (q->state != NULL)
		store_bind_text(s, i++, q->state);
	if (q->severity != NULL)
		store_bind_text(s, i++, q->severity);
	if (q->rule != NULL)
		store_bind_text(s, i++, q->rule);
	if (q->account != NULL)
		store_bind_text(s, i++, q->account);
	if (q->type != NULL)
		store_bind_text(s, i++, q->type);
	if (q->since_ms != 0) {
		sqlite3_bind_int64(s, i++, q->since_ms);
		sqlite3_bind_int64(s, i++, q->since_ms);
	}
	sqlite3_bind_int64(s, i, q->limit);
	return store_rows(st, s, store_violation_json, "violations", cause);
}

/* One violation with its evidence and its timeline; NULL if none. */
json_t *
store_violation_get(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "SELECT " VIOLATION_COLUMNS ", v.evidence "
	    "FROM violations v JOIN assets a ON a.id = v.asset WHERE v.id = ?";
	static const char hist[] = "SELECT seq, time, transition, event_id, "
	    "actor, detail FROM violation_history WHERE violation = ? ORDER BY "
	    "seq";
	sqlite3_stmt	*s;
	json_t		*o = NULL, *tl;
	char		*t;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		o = store_violation_json(s);
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "violation");
	sqlite3_reset(s);
	if (o == NULL)
		return NULL;
	if ((s = store_stmt(st, hist, cause)) == NULL) {
		json_decref(o);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, id);
	tl = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t = time_iso8601(sqlite3_column_int64(s, 1));
		json_array_append_new(tl, json_pack("{s:I, s:s, s:s, s:s?, "
		    "s:s?, s:o}",
		    "seq", (json_int_t)sqlite3_column_int64(s, 0),
		    "time", t,
		    "transition", (const char *)sqlite3_column_text(s, 2),
		    "event_id", (const char *)sqlite3_column_text(s, 3),
		    "actor", (const char *)sqlite3_column_text(s, 4),
		    "detail", store_column_json(s, 5)));
		free(t);
	}
	sqlite3_reset(s);
	json_object_set_new(o, "timeline", tl);
	return o;
}

/*
 * A violation's state as its notification tells it: {state, opened_at,
 * resolved_at, first_seen, last_seen, exception: {id, reason, owner,
 * expires_at} or null}.  NULL with *cause set on error, without when there
 * is no such violation.
 */
json_t *
store_violation_state(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "SELECT v.state, v.first_seen, v.last_seen, "
	    "v.resolved_at, e.id, e.reason, e.owner, e.expires_at FROM "
	    "violations v LEFT JOIN exceptions e ON e.id = v.exception WHERE "
	    "v.id = ?";
	sqlite3_stmt	*s;
	json_t		*o = NULL, *exc;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		exc = json_null();
		if (sqlite3_column_type(s, 4) != SQLITE_NULL)
			exc = json_pack("{s:I, s:s, s:s, s:o}",
			    "id", (json_int_t)sqlite3_column_int64(s, 4),
			    "reason", (const char *)sqlite3_column_text(s, 5),
			    "owner", (const char *)sqlite3_column_text(s, 6),
			    "expires_at", store_column_time(s, 7));
		o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}",
		    "state", (const char *)sqlite3_column_text(s, 0),
		    "opened_at", store_column_time(s, 1),
		    "resolved_at", store_column_time(s, 3),
		    "first_seen", store_column_time(s, 1),
		    "last_seen", store_column_time(s, 2),
		    "exception", exc);
	} else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "violation");
	sqlite3_reset(s);
	return o;
}

/* Live violations (id, rule, asset, state, exception), for exceptions. */
int
store_violations_live(struct store *st, struct violation_live **rows,
    size_t *n, char **cause)
{
	static const char sql[] = "SELECT v.id, v.rule_id, v.asset, "
	    "v.occurrence, v.state = 'excepted', v.exception FROM violations v "
	    "WHERE v.state <> 'resolved'";
	sqlite3_stmt		*s;
	struct violation_live	*r;
	int			 rc;

	*rows = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->id = sqlite3_column_int64(s, 0);
		r->rule_id = xstrdup((const char *)sqlite3_column_text(s, 1));
		r->asset = sqlite3_column_int64(s, 2);
		r->occurrence = sqlite3_column_int64(s, 3);
		r->excepted = sqlite3_column_int(s, 4) != 0;
		r->exception = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "violations");
		return -1;
	}
	return 0;
}

/* Counts of open violations by severity, for metrics at start. */
json_t *
store_violation_counts(struct store *st)
{
	static const char sql[] = "SELECT state, severity, count(*) FROM "
	    "violations WHERE state <> 'resolved' GROUP BY state, severity";
	sqlite3_stmt	*s;
	json_t		*o = json_object(), *open = json_object();
	char		*cause = NULL;
	json_int_t	 excepted = 0, total = 0;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		free(cause);
		json_object_set_new(o, "open", open);
		return o;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(s, 0), "open") ==
		    0) {
			json_object_set_new(open, (const char *)
			    sqlite3_column_text(s, 1),
			    json_integer(sqlite3_column_int64(s, 2)));
			total += sqlite3_column_int64(s, 2);
		} else
			excepted += sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	json_object_set_new(open, "total", json_integer(total));
	json_object_set_new(o, "open", open);
	json_object_set_new(o, "excepted", json_integer(excepted));
	return o;
}
