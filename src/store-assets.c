/*
 * store-assets.c: the inventory and its history.
 *
 * An asset's document is stored as canonical JSON (sorted keys, compact)
 * with its SHA-256: a refresh that brings the same document writes nothing
 * but the time it was seen, and causes no evaluation.  A changed document
 * becomes a new version, kept (compressed) with what caused it: a sweep,
 * an event and its actor, an AWS Config item.  A deleted asset keeps its
 * row, with deleted_at set, and a version without a document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "gz.h"
#include "jsondiff.h"
#include "store-int.h"

#define ASSET_MAX_DOCUMENT	(64 * 1024 * 1024)
#define ASSET_HASH_LEN		32

/* Canonical JSON of a document, and its SHA-256. */
static char *
store_canonical(json_t *doc, unsigned char hash[ASSET_HASH_LEN])
{
	unsigned int	 n = 0;
	char		*s;

	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	if (!EVP_Digest(s, strlen(s), hash, &n, EVP_sha256(), NULL) ||
	    n != ASSET_HASH_LEN)
		fatalx("EVP_Digest(SHA-256) failed");
	return s;
}

static const char sql_asset_find[] =
    "SELECT id, version, hash, deleted_at FROM assets WHERE account = ? AND "
    "region = ? AND type = ? AND resource_id = ?";
static const char sql_asset_seen[] =
    "UPDATE assets SET seen_at = ?, sweep = max(sweep, ?) WHERE id = ?";
static const char sql_asset_insert[] =
    "INSERT INTO assets (provider, account, region, type, resource_id, arn, "
    "name, document, hash, version, first_seen, changed_at, seen_at, sweep) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)";
static const char sql_asset_update[] =
    "UPDATE assets SET arn = ?, name = ?, document = ?, hash = ?, "
    "version = ?, changed_at = ?, seen_at = ?, sweep = max(sweep, ?), "
    "deleted_at = NULL WHERE id = ?";
static const char sql_version_insert[] =
    "INSERT INTO asset_versions (asset, version, time, document, hash, cause, "
    "event_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

static int
store_version_put(struct store *st, int64_t asset, int64_t version,
    int64_t now, const char *canon, const unsigned char *hash,
    const struct asset_change *ch, char **cause)
{
	sqlite3_stmt	*s;
	char		*z = NULL;
	size_t		 zlen = 0;
	int		 rc;

	if ((s = store_stmt(st, sql_version_insert, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, asset);
	sqlite3_bind_int64(s, 2, version);
	sqlite3_bind_int64(s, 3, now);
	if (canon != NULL) {
		z = zlib_deflate(canon, strlen(canon), &zlen);
		sqlite3_bind_blob(s, 4, z, (int)zlen, SQLITE_STATIC);
		sqlite3_bind_blob(s, 5, hash, ASSET_HASH_LEN, SQLITE_STATIC);
	}
	store_bind_text(s, 6, ch->cause);
	store_bind_text(s, 7, ch->event_id);
	store_bind_text(s, 8, ch->actor);
	rc = store_step_done(st, s, "asset version", cause);
	free(z);
	return rc;
}

/*
 * Put an asset's current document.  *result says what happened: a new
 * asset, a changed one (a new version), or the same document as before
 * (only the time it was seen is written).  Within the caller's
 * transaction.
 */
int
store_asset_put(struct store *st, const struct asset_key *k,
    const char *arn, const char *name, json_t *doc,
    const struct asset_change *ch, enum asset_result *result,
    int64_t *asset_id, char **cause)
{
	unsigned char	 hash[ASSET_HASH_LEN];
	sqlite3_stmt	*s;
	char		*canon;
	int64_t		 id = 0, version = 0;
	bool		 found = false, same = false, deleted = false;
	int		 rc;

	canon = store_canonical(doc, hash);
	if ((s = store_stmt(st, sql_asset_find, cause)) == NULL)
		goto fail;
	store_bind_text(s, 1, k->account);
	store_bind_text(s, 2, k->region);
	store_bind_text(s, 3, k->type);
	store_bind_text(s, 4, k->resource_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = true;
		id = sqlite3_column_int64(s, 0);
		version = sqlite3_column_int64(s, 1);
		same = sqlite3_column_bytes(s, 2) == ASSET_HASH_LEN &&
		    memcmp(sqlite3_column_blob(s, 2), hash, ASSET_HASH_LEN) == 0;
		deleted = sqlite3_column_type(s, 3) != SQLITE_NULL;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "asset");
		goto fail;
	}

	if (found && same && !deleted) {
		*result = ASSET_SAME;
		if ((s = store_stmt(st, sql_asset_seen, cause)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, ch->time);
		sqlite3_bind_int64(s, 2, ch->sweep);
		sqlite3_bind_int64(s, 3, id);
		if (store_step_done(st, s, "asset seen", cause) != 0)
			goto fail;
		goto done;
	}
	if (!found) {
		*result = ASSET_NEW;
		if ((s = store_stmt(st, sql_asset_insert, cause)) == NULL)
			goto fail;
		store_bind_text(s, 1, k->provider);
		store_bind_text(s, 2, k->account);
		store_bind_text(s, 3, k->region);
		store_bind_text(s, 4, k->type);
		store_bind_text(s, 5, k->resource_id);
		store_bind_text(s, 6, arn);
		store_bind_text(s, 7, name);
		sqlite3_bind_text(s, 8, canon, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 9, hash, ASSET_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 10, ch->time);
		sqlite3_bind_int64(s, 11, ch->time);
		sqlite3_bind_int64(s, 12, ch->time);
		sqlite3_bind_int64(s, 13, ch->sweep);
		if (store_step_done(st, s, "asset insert", cause) != 0)
			goto fail;
		id = sqlite3_last_insert_rowid(st->db);
		version = 1;
	} else {
		*result = ASSET_CHANGED;
		version++;
		if ((s = store_stmt(st, sql_asset_update, cause)) == NULL)
			goto fail;
		store_bind_text(s, 1, arn);
		store_bind_text(s, 2, name);
		sqlite3_bind_text(s, 3, canon, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, hash, ASSET_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, version);
		sqlite3_bind_int64(s, 6, ch->time);
		sqlite3_bind_int64(s, 7, ch->time);
		sqlite3_bind_int64(s, 8, ch->sweep);
		sqlite3_bind_int64(s, 9, id);
		if (store_step_done(st, s, "asset update", cause) != 0)
			goto fail;
	}
	if (store_version_put(st, id, version, ch->time, canon, hash, ch,
	    cause) != 0)
		goto fail;
done:
	if (asset_id != NULL)
		*asset_id = id;
	free(canon);
	return 0;
fail:
	free(canon);
	return -1;
}

static const char sql_asset_tombstone[] =
    "UPDATE assets SET deleted_at = ?, version = version + 1, "
    "changed_at = ? WHERE id = ? RETURNING version";

static int
store_tombstone(struct store *st, int64_t id, const struct asset_change *ch,
    char **cause)
{
	sqlite3_stmt	*s;
	int64_t		 version;
	int		 rc;

	if ((s = store_stmt(st, sql_asset_tombstone, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ch->time);
	sqlite3_bind_int64(s, 2, ch->time);
	sqlite3_bind_int64(s, 3, id);
	rc = sqlite3_step(s);
	version = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		*cause = store_errmsg(st, "asset delete");
		return -1;
	}
	return store_version_put(st, id, version, ch->time, NULL, NULL, ch,
	    cause);
}

/* An asset is gone: a tombstone and a history entry.  *deleted: it was
 * there and alive. */
int
store_asset_delete(struct store *st, const struct asset_key *k,
    const struct asset_change *ch, bool *deleted, int64_t *asset_id,
    char **cause)
{
	sqlite3_stmt	*s;
	int64_t		 id = 0;
	bool		 alive = false;
	int		 rc;

	*deleted = false;
	if ((s = store_stmt(st, sql_asset_find, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, k->account);
	store_bind_text(s, 2, k->region);
	store_bind_text(s, 3, k->type);
	store_bind_text(s, 4, k->resource_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		alive = sqlite3_column_type(s, 3) == SQLITE_NULL;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "asset");
		return -1;
	}
	if (!alive)
		return 0;
	if (store_tombstone(st, id, ch, cause) != 0)
		return -1;
	*deleted = true;
	if (asset_id != NULL)
		*asset_id = id;
	return 0;
}

/*
 * After a sweep of (account, region, type) has listed everything: assets
 * it did not find are gone.  A NULL region: in any region (a global
 * listing of regional assets, S3's).  Their ids are appended to *gone (for the
 * caller's evaluation); returns the number tombstoned, or -1.
 */
int
store_assets_sweep_end(struct store *st, const struct asset_key *k,
    const struct asset_change *ch, int64_t **gone, size_t *ngone,
    char **cause)
{
	static const char sql[] = "SELECT id FROM assets WHERE account = ?1 "
	    "AND (?2 IS NULL OR region = ?2) AND type = ?3 AND sweep < ?4 AND "
	    "deleted_at IS NULL";
	sqlite3_stmt	*s;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, k->account);
	store_bind_text(s, 2, k->region);
	store_bind_text(s, 3, k->type);
	sqlite3_bind_int64(s, 4, ch->sweep);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "sweep");
		free(ids);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (store_tombstone(st, ids[i], ch, cause) != 0) {
			free(ids);
			return -1;
		}
	}
	if (gone != NULL) {
		*gone = ids;
		*ngone = n;
	} else
		free(ids);
	return (int)n;
}

#define ASSET_COLUMNS \
    "id, provider, account, region, type, resource_id, arn, name, version, " \
    "first_seen, changed_at, seen_at, deleted_at"

static json_t *
store_asset_row(sqlite3_stmt *s, bool with_doc)
{
	static const char *const times[] = { "first_seen", "changed_at",
	    "seen_at", "deleted_at" };
	json_t	*o, *doc;
	char	*t;
	int	 i, n = sqlite3_column_count(s);
	size_t	 j;

	o = json_object();
	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);

		if (strcmp(name, "document") == 0) {
			if (!with_doc)
				continue;
			doc = json_loadb((const char *)sqlite3_column_text(s, i),
			    (size_t)sqlite3_column_bytes(s, i), 0, NULL);
			json_object_set_new(o, name, doc != NULL ? doc :
			    json_null());
			continue;
		}
		if (sqlite3_column_type(s, i) == SQLITE_NULL) {
			json_object_set_new(o, name, json_null());
			continue;
		}
		for (j = 0; j < nitems(times); j++) {
			if (strcmp(name, times[j]) == 0)
				break;
		}
		if (j < nitems(times)) {
			t = time_iso8601(sqlite3_column_int64(s, i));
			json_object_set_new(o, name, json_string(t));
			free(t);
		} else if (sqlite3_column_type(s, i) == SQLITE_INTEGER)
			json_object_set_new(o, name,
			    json_integer(sqlite3_column_int64(s, i)));
		else
			json_object_set_new(o, name, json_string(
			    (const char *)sqlite3_column_text(s, i)));
	}
	return o;
}

/* A row of a list, without the document. */
static json_t *
store_asset_row_brief(sqlite3_stmt *s)
{
	return store_asset_row(s, false);
}

/* Assets, filtered, in type/account/region/id order. */
json_t *
store_assets_query(struct store *st, const struct asset_query *q,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 i = 1;

	sql = xprintf("SELECT " ASSET_COLUMNS " FROM assets WHERE 1 = 1%s%s%s%s"
	    " ORDER BY type, account, region, resource_id LIMIT ?",
	    q->type != NULL ? " AND type = ?" : "",
	    q->account != NULL ? " AND account = ?" : "",
	    q->region != NULL ? " AND region = ?" : "",
	    q->deleted ? " AND deleted_at IS NOT NULL" :
	    " AND deleted_at IS NULL");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "assets");
		free(sql);
		return NULL;
	}
	free(sql);
	if (q->type != NULL)
		store_bind_text(s, i++, q->type);
	if (q->account != NULL)
		store_bind_text(s, i++, q->account);
	if (q->region != NULL)
		store_bind_text(s, i++, q->region);
	sqlite3_bind_int64(s, i, q->limit);
	return store_rows(st, s, store_asset_row_brief, "assets", cause);
}

/*
 * Find one asset by reference: its row id ("#42"), ARN, or resource id.
 * Returns its id, 0 when there is none, -1 on error; an ambiguous resource
 * id (the same in several accounts or regions) is an error naming them.
 */
int64_t
store_asset_resolve(struct store *st, const char *ref, char **cause)
{
	static const char sql[] = "SELECT id, account, region, type FROM "
	    "assets WHERE arn = ?1 OR resource_id = ?1 ORDER BY arn = ?1 DESC "
	    "LIMIT 5";
	sqlite3_stmt	*s;
	int64_t		 id = 0, n = 0;
	char		*list = NULL, *t;
	const char	*why;
	int		 rc;

	*cause = NULL;
	if (ref[0] == '#' && parse_int(ref + 1, &id, &why) == 0)
		return id;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ref);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == 0)
			id = sqlite3_column_int64(s, 0);
		t = xprintf("%s#%lld (%s %s %s)", list != NULL ? list : "",
		    (long long)sqlite3_column_int64(s, 0),
		    sqlite3_column_text(s, 3), sqlite3_column_text(s, 1),
		    sqlite3_column_text(s, 2));
		free(list);
		list = t;
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "asset");
		free(list);
		return -1;
	}
	if (n > 1) {
		*cause = xprintf("%s names several assets; give one of: %s",
		    ref, list);
		free(list);
		return -1;
	}
	free(list);
	return id;
}

/* One asset with its current document; NULL if there is none. */
json_t *
store_asset_get(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "SELECT " ASSET_COLUMNS ", document FROM "
	    "assets WHERE id = ?";
	sqlite3_stmt	*s;
	json_t		*o = NULL;
	int		 rc;

	*cause = NULL;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		o = store_asset_row(s, true);
	else if (rc != SQLITE_DONE)
		*cause = store_errmsg(st, "asset");
	sqlite3_reset(s);
	return o;
}

/*
 * An asset's versions, oldest first: time, cause, event, actor, and what
 * changed from the version before (a list of JSON Patch operations).
 */
json_t *
store_asset_history(struct store *st, int64_t id, char **cause)
{
	static const char sql[] = "SELECT version, time, document, cause, "
	    "event_id, actor FROM asset_versions WHERE asset = ? ORDER BY "
	    "version";
	sqlite3_stmt	*s;
	json_t		*rows, *prev = NULL, *doc, *row;
	char		*text, *t, *why = NULL;
	size_t		 len;
	int		 rc;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	rows = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t = time_iso8601(sqlite3_column_int64(s, 1));
		row = json_pack("{s:I, s:s, s:s, s:s?, s:s?}",
		    "version", (json_int_t)sqlite3_column_int64(s, 0),
		    "time", t,
		    "cause", (const char *)sqlite3_column_text(s, 3),
		    "event_id", (const char *)sqlite3_column_text(s, 4),
		    "actor", (const char *)sqlite3_column_text(s, 5));
		free(t);
		doc = NULL;
		if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
			text = zlib_inflate(sqlite3_column_blob(s, 2),
			    (size_t)sqlite3_column_bytes(s, 2),
			    ASSET_MAX_DOCUMENT, &len, &why);
			if (text == NULL) {
				json_object_set_new(row, "error",
				    json_string(why));
				free(why);
				why = NULL;
			} else {
				doc = json_loadb(text, len, 0, NULL);
				free(text);
			}
		}
		if (doc == NULL)
			json_object_set_new(row, "deleted", json_true());
		if (prev != NULL && doc != NULL)
			json_object_set_new(row, "changes",
			    json_diff(prev, doc));
		else if (doc != NULL)
			json_object_set(row, "document", doc);
		json_decref(prev);
		prev = doc;
		json_array_append_new(rows, row);
	}
	sqlite3_reset(s);
	json_decref(prev);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "asset history");
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* Counts for status: assets alive by type. */
json_t *
store_asset_counts(struct store *st)
{
	static const char sql[] = "SELECT type, count(*) FROM assets WHERE "
	    "deleted_at IS NULL GROUP BY type ORDER BY type";
	sqlite3_stmt	*s;
	json_t		*o = json_object();
	char		*cause = NULL;
	json_int_t	 total = 0;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		return o;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
		    json_integer(sqlite3_column_int64(s, 1)));
		total += sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	json_object_set_new(o, "total", json_integer(total));
	return o;
}

/*
 * Refreshes: an asset to describe again, queued in the transaction of the
 * event that asked for it.  A second request for the same asset before the
 * first was served keeps one row, with the latest cause.
 */
int
store_refresh_enqueue(struct store *st, const struct refresh_row *r,
    char **cause)
{
	static const char sql[] = "INSERT INTO refreshes (account, region, "
	    "type, resource_id, action, event_id, event_name, actor, queued_at, "
	    "due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO "
	    "UPDATE SET action = excluded.action, event_id = excluded.event_id, "
	    "event_name = excluded.event_name, actor = excluded.actor, "
	    "attempts = 0, due_at = min(due_at, excluded.due_at)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, r->account);
	store_bind_text(s, 2, r->region);
	store_bind_text(s, 3, r->type);
	store_bind_text(s, 4, r->resource_id);
	store_bind_text(s, 5, r->action);
	store_bind_text(s, 6, r->event_id);
	store_bind_text(s, 7, r->event_name);
	store_bind_text(s, 8, r->actor);
	sqlite3_bind_int64(s, 9, r->queued_at);
	sqlite3_bind_int64(s, 10, r->due_at);
	return store_step_done(st, s, "refresh", cause);
}

void
refresh_row_clear(struct refresh_row *r)
{
	free(r->account);
	free(r->region);
	free(r->type);
	free(r->resource_id);
	free(r->action);
	free(r->event_id);
	free(r->event_name);
	free(r->actor);
	memset(r, 0, sizeof *r);
}

/* Refreshes due by now, oldest first, at most max. */
int
store_refreshes_due(struct store *st, int64_t now, size_t max,
    struct refresh_row **rows, size_t *n, char **cause)
{
	static const char sql[] = "SELECT account, region, type, resource_id, "
	    "action, event_id, event_name, actor, queued_at, due_at, attempts "
	    "FROM refreshes WHERE due_at <= ? ORDER BY due_at LIMIT ?";
	sqlite3_stmt	*s;
	struct refresh_row *r;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof *r);
		for (i = 0; i < 8; i++) {
			char **f[] = { &r->account, &r->region, &r->type,
			    &r->resource_id, &r->action, &r->event_id,
			    &r->event_name, &r->actor };
			if (sqlite3_column_type(s, i) != SQLITE_NULL)
				*f[i] = xstrdup((const char *)
				    sqlite3_column_text(s, i));
		}
		r->queued_at = sqlite3_column_int64(s, 8);
		r->due_at = sqlite3_column_int64(s, 9);
		r->attempts = sqlite3_column_int(s, 10);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "refreshes");
		return -1;
	}
	return 0;
}

/* The next time a refresh is due, or 0 when none is queued. */
int64_t
store_refresh_next(struct store *st)
{
	static const char sql[] = "SELECT min(due_at) FROM refreshes";
	sqlite3_stmt	*s;
	char		*cause = NULL;
	int64_t		 t = 0;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		free(cause);
		return 0;
	}
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

/* Served: forget it (only if no newer request came meanwhile). */
int
store_refresh_done(struct store *st, const struct refresh_row *r,
    char **cause)
{
	static const char sql[] = "DELETE FROM refreshes WHERE account = ? AND "
	    "region = ? AND type = ? AND resource_id = ? AND queued_at <= ?";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, r->account);
	store_bind_text(s, 2, r->region);
	store_bind_text(s, 3, r->type);
	store_bind_text(s, 4, r->resource_id);
	sqlite3_bind_int64(s, 5, r->queued_at);
	return store_step_done(st, s, "refresh done", cause);
}

/* Not served: try again at due, or give up (delete) when due is 0. */
int
store_refresh_retry(struct store *st, const struct refresh_row *r,
    int64_t due, const char *error, char **cause)
{
	static const char upd[] = "UPDATE refreshes SET attempts = attempts + "
	    "1, due_at = ?, last_error = ? WHERE account = ? AND region = ? "
	    "AND type = ? AND resource_id = ?";
	sqlite3_stmt	*s;

	if (due == 0)
		return store_refresh_done(st, r, cause);
	if ((s = store_stmt(st, upd, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, due);
	store_bind_text(s, 2, error);
	store_bind_text(s, 3, r->account);
	store_bind_text(s, 4, r->region);
	store_bind_text(s, 5, r->type);
	store_bind_text(s, 6, r->resource_id);
	return store_step_done(st, s, "refresh retry", cause);
}

int64_t
store_refresh_count(struct store *st)
{
	static const char sql[] = "SELECT count(*) FROM refreshes";
	sqlite3_stmt	*s;
	char		*cause = NULL;
	int64_t		 n = 0;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		free(cause);
		return 0;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

/* A sweep of one account, region and type completed. */
int
store_sweep_done(struct store *st, const struct asset_key *k, int64_t now,
    int64_t assets, char **cause)
{
	static const char sql[] = "INSERT OR REPLACE INTO sweeps (account, "
	    "region, type, completed_at, assets) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, k->account);
	store_bind_text(s, 2, k->region);
	store_bind_text(s, 3, k->type);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, assets);
	return store_step_done(st, s, "sweep", cause);
}

/* Has this account, region and type ever been swept to the end? */
bool
store_sweep_known(struct store *st, const struct asset_key *k)
{
	static const char sql[] = "SELECT 1 FROM sweeps WHERE account = ? AND "
	    "region = ? AND type = ?";
	sqlite3_stmt	*s;
	char		*cause = NULL;
	bool		 known = false;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		free(cause);
		return false;
	}
	store_bind_text(s, 1, k->account);
	store_bind_text(s, 2, k->region);
	store_bind_text(s, 3, k->type);
	known = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return known;
}

/* Ids of alive assets after a cursor, in order, at most max. */
int
store_asset_ids(struct store *st, int64_t after, size_t max, int64_t **ids,
    size_t *n, char **cause)
{
	static const char sql[] = "SELECT id FROM assets WHERE id > ? AND "
	    "deleted_at IS NULL ORDER BY id LIMIT ?";
	sqlite3_stmt	*s;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, "assets");
		return -1;
	}
	return 0;
}

/* A fact in the meta table, or NULL. */
char *
store_meta_get(struct store *st, const char *key)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt	*s;
	char		*cause = NULL, *v = NULL;

	if ((s = store_stmt(st, sql, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	store_bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return v;
}

int
store_meta_put(struct store *st, const char *key, const char *value,
    char **cause)
{
	static const char sql[] = "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES (?, ?)";
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_step_done(st, s, "meta", cause);
}
