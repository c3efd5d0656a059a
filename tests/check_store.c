/*
 * check_store.c: opening, locking and migrating the database; runs.
 */
#include "config.h"

#include <sqlite3.h>
#include <jansson.h>

#include "check_vigil.h"
#include "vigild.h"

static char	*dir, *dbpath;

static void
setup(void)
{
	dir = test_tmpdir();
	dbpath = xprintf("%s/vigil.db", dir);
}

static void
teardown(void)
{
	test_rmrf(dir);
	free(dir);
	free(dbpath);
}

static int64_t
query_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	int64_t		 v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static void
exec_sql(const char *path, const char *sql)
{
	sqlite3	*db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(test_fresh)
{
	struct store	*st;
	char		*cause = NULL;
	json_t		*o;

	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_msg(st != NULL, "%s", cause);
	ck_assert_int_eq(store_schema_version(st), store_latest_version());
	o = store_status(st);
	ck_assert_str_eq(json_string_value(json_object_get(o, "path")), dbpath);
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "schema_version")), store_latest_version());
	json_decref(o);
	store_close(st);

	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM "
	    "schema_history"), (int64_t)store_nmigrations);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM "
	    "pragma_journal_mode WHERE journal_mode = 'wal'"), 1);

	/* Reopening applies nothing more. */
	st = store_open(dbpath, CONFIG_SYNC_NORMAL, &cause);
	ck_assert_ptr_nonnull(st);
	store_close(st);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM "
	    "schema_history"), (int64_t)store_nmigrations);
}
END_TEST

static const struct store_migration test_migrations[] = {
	{ 1, "001-foundation", NULL },	/* filled from the real one */
	{ 2, "002-things", "CREATE TABLE things (id INTEGER PRIMARY KEY, "
	  "name TEXT NOT NULL) STRICT;\nINSERT INTO things (name) VALUES "
	  "('first');" },
	{ 3, "003-more", "ALTER TABLE things ADD COLUMN colour TEXT;\n"
	  "UPDATE things SET colour = 'red';" },
	{ 4, "004-broken", "CREATE TABLE half (x);\nTHIS IS NOT SQL;" },
};

START_TEST(test_upgrade)
{
	struct store_migration	 m[4];
	struct store		*st;
	char			*cause = NULL;

	memcpy(m, test_migrations, sizeof m);
	m[0].sql = store_migrations[0].sql;

	st = store_open_migrations(dbpath, CONFIG_SYNC_FULL, m, 2, &cause);
	ck_assert_msg(st != NULL, "%s", cause);
	ck_assert_int_eq(store_schema_version(st), 2);
	store_close(st);

	/* A newer binary: only 003 is applied, and the data survives. */
	st = store_open_migrations(dbpath, CONFIG_SYNC_FULL, m, 3, &cause);
	ck_assert_msg(st != NULL, "%s", cause);
	ck_assert_int_eq(store_schema_version(st), 3);
	store_close(st);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM things WHERE "
	    "name = 'first' AND colour = 'red'"), 1);
	ck_assert_int_eq(query_int(dbpath, "SELECT group_concat(version) = "
	    "'1,2,3' FROM schema_history"), 1);

	/* A broken migration rolls back whole and the database stays at 3. */
	st = store_open_migrations(dbpath, CONFIG_SYNC_FULL, m, 4, &cause);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(cause, "syntax error"));
	free(cause);
	ck_assert_int_eq(query_int(dbpath, "PRAGMA user_version"), 3);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'half'"), 0);

	/* The older binary (knows 2) refuses the database of a newer one. */
	st = store_open_migrations(dbpath, CONFIG_SYNC_FULL, m, 2, &cause);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(cause, "schema version 3, newer than "
	    "this vigild"));
	free(cause);
}
END_TEST

START_TEST(test_newer_refused)
{
	struct store	*st;
	char		*cause = NULL;

	exec_sql(dbpath, "PRAGMA user_version = 1000");
	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(cause, "has schema version 1000, newer"));
	ck_assert_ptr_nonnull(strstr(cause, "restore a backup"));
	free(cause);
	ck_assert_int_eq(query_int(dbpath, "PRAGMA user_version"), 1000);
}
END_TEST

START_TEST(test_corrupt)
{
	struct store	*st;
	char		*cause = NULL;

	test_write(dbpath, "SQLite format 2\nnot really a database at all; "
	    "just text that is long enough to have a header.............\n");
	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(cause, "file is not a database") != NULL, "%s",
	    cause);
	free(cause);
}
END_TEST

START_TEST(test_locked)
{
	struct store	*a, *b;
	char		*cause = NULL;

	a = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_nonnull(a);
	b = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(cause, "in use by another vigild"));
	free(cause);
	store_close(a);
	b = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_nonnull(b);
	store_close(b);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct store	*st;
	char		*cause = NULL, *path;

	path = xprintf("%s/nope/vigil.db", dir);
	st = store_open(path, CONFIG_SYNC_FULL, &cause);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(cause, "No such file or directory"));
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_runs)
{
	struct store	*st;
	char		*cause = NULL;
	json_t		*o;

	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_int_eq(store_run_begin(st, "1.0", &cause), 0);
	store_close(st);	/* no store_run_end: as if killed */

	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_int_eq(store_run_begin(st, "1.0", &cause), 0);
	o = store_status(st);
	ck_assert(json_is_false(json_object_get(o, "previous_run_clean")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "run")), 2);
	json_decref(o);
	ck_assert_int_eq(store_run_end(st, &cause), 0);
	store_close(st);

	st = store_open(dbpath, CONFIG_SYNC_FULL, &cause);
	ck_assert_int_eq(store_run_begin(st, "1.0", &cause), 0);
	o = store_status(st);
	ck_assert(json_is_true(json_object_get(o, "previous_run_clean")));
	json_decref(o);
	store_close(st);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM runs WHERE "
	    "stopped_at IS NOT NULL"), 1);
}
END_TEST

static void
put(struct store *st, const char *region, const char *id, const char *doc,
    const char *cause_name, int64_t sweep, enum asset_result want)
{
	struct asset_key	 k = { "aws", "111111111111", region,
	    "AWS::EC2::SecurityGroup", id };
	struct asset_change	 ch = { 1000 + sweep, sweep, cause_name, "ev-1",
	    "arn:aws:iam::111111111111:user/alice" };
	enum asset_result	 r;
	json_t			*j;
	char			*cause = NULL;

	j = json_loads(doc, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(store_asset_put(st, &k, NULL, id, j, &ch, &r, NULL,
	    &cause) == 0, "%s", cause);
	ck_assert_int_eq(r, want);
	json_decref(j);
}

START_TEST(test_assets)
{
	struct store		*st;
	struct asset_key	 k = { "aws", "111111111111", "eu-west-1",
	    "AWS::EC2::SecurityGroup", "sg-1" };
	struct asset_change	 ch = { 5000, 0, "event", "ev-9", "bob" };
	struct asset_query	 q = { NULL, NULL, NULL, false, 100 };
	char			*cause = NULL;
	json_t			*h, *a, *rows;
	int64_t			 id, *gone = NULL;
	size_t			 ngone = 0;
	bool			 deleted;

	st = store_open(dbpath, CONFIG_SYNC_NORMAL, &cause);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_begin(st, &cause), 0);
	put(st, "eu-west-1", "sg-1", "{\"GroupId\": \"sg-1\", \"Ports\": [22]}",
	    "sweep", 1, ASSET_NEW);
	/* Same document, keys in another order: nothing new. */
	put(st, "eu-west-1", "sg-1", "{\"Ports\": [22], \"GroupId\": \"sg-1\"}",
	    "sweep", 2, ASSET_SAME);
	put(st, "eu-west-1", "sg-1", "{\"GroupId\": \"sg-1\", \"Ports\": [22, "
	    "3389], \"Tags\": {}}", "event", 0, ASSET_CHANGED);
	put(st, "us-east-1", "sg-1", "{\"GroupId\": \"sg-1\"}", "sweep", 2,
	    ASSET_NEW);
	put(st, "eu-west-1", "sg-2", "{\"GroupId\": \"sg-2\"}", "sweep", 1,
	    ASSET_NEW);
	ck_assert_int_eq(store_commit(st, &cause), 0);
	ck_assert_int_eq(query_int(dbpath, "SELECT count(*) FROM "
	    "asset_versions"), 4);

	/* The same resource id in two regions: ambiguous. */
	ck_assert_int_eq(store_asset_resolve(st, "sg-1", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "names several assets"));
	free(cause);
	id = store_asset_resolve(st, "sg-2", &cause);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(store_asset_resolve(st, "sg-404", &cause), 0);

	/* History: the first document, then what changed, by whom. */
	h = store_asset_history(st, 1, &cause);
	ck_assert_int_eq(json_array_size(h), 2);
	a = json_array_get(h, 1);
	ck_assert_str_eq(json_string_value(json_object_get(a, "cause")),
	    "event");
	ck_assert_str_eq(json_string_value(json_object_get(a, "actor")),
	    "arn:aws:iam::111111111111:user/alice");
	ck_assert_int_eq(json_array_size(json_object_get(a, "changes")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(a, "changes"), 0), "path")), "/Ports/1");
	json_decref(h);

	/* A sweep (generation 2) of eu-west-1 that did not find sg-2. */
	ck_assert_int_eq(store_begin(st, &cause), 0);
	ch.sweep = 2;
	ch.cause = "sweep";
	ck_assert_int_eq(store_assets_sweep_end(st, &k, &ch, &gone, &ngone,
	    &cause), 1);
	ck_assert_int_eq(ngone, 1);
	ck_assert_int_eq(gone[0], id);
	free(gone);
	/* An event deletes sg-1 in eu-west-1. */
	ch.sweep = 0;
	ch.cause = "event";
	ck_assert_int_eq(store_asset_delete(st, &k, &ch, &deleted, NULL,
	    &cause), 0);
	ck_assert(deleted);
	ck_assert_int_eq(store_asset_delete(st, &k, &ch, &deleted, NULL,
	    &cause), 0);
	ck_assert(!deleted);
	ck_assert_int_eq(store_commit(st, &cause), 0);
	rows = store_assets_query(st, &q, &cause);
	ck_assert_int_eq(json_array_size(rows), 1);
	json_decref(rows);
	q.deleted = true;
	rows = store_assets_query(st, &q, &cause);
	ck_assert_int_eq(json_array_size(rows), 2);
	json_decref(rows);
	h = store_asset_history(st, 1, &cause);
	ck_assert_int_eq(json_array_size(h), 3);
	ck_assert(json_is_true(json_object_get(json_array_get(h, 2),
	    "deleted")));
	json_decref(h);

	/* Back again: a new version, alive. */
	ck_assert_int_eq(store_begin(st, &cause), 0);
	put(st, "eu-west-1", "sg-1", "{\"GroupId\": \"sg-1\"}", "event", 0,
	    ASSET_CHANGED);
	ck_assert_int_eq(store_commit(st, &cause), 0);
	a = store_asset_get(st, 1, &cause);
	ck_assert(json_is_null(json_object_get(a, "deleted_at")));
	ck_assert_int_eq(json_integer_value(json_object_get(a, "version")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(a,
	    "document"), "GroupId")), "sg-1");
	json_decref(a);
	store_close(st);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fresh);
	tcase_add_test(tc, test_upgrade);
	tcase_add_test(tc, test_newer_refused);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_missing_dir);
	tcase_add_test(tc, test_runs);
	tcase_add_test(tc, test_assets);
	suite_add_tcase(s, tc);
	return test_run(s);
}
