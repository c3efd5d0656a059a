/*
 * store.c: the SQLite database.  Only this file (and the store-*.c files
 * that later parts add) talks to SQLite.
 *
 * The database is in WAL mode; its schema is the numbered migrations in sql/,
 * embedded at build time and applied at start, each in its own transaction,
 * with PRAGMA user_version as the schema version.  A database written by a
 * newer vigil is refused rather than guessed at.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "store-int.h"

static int	store_exec(struct store *, const char *, char **);

int
store_latest_version(void)
{
	return store_migrations[store_nmigrations - 1].version;
}

struct sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

char *
store_errmsg(struct store *st, const char *what)
{
	return xprintf("database %s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
}

/*
 * A prepared statement for a static SQL string, prepared once and kept;
 * reset and unbound, ready to bind.
 */
sqlite3_stmt *
store_stmt(struct store *st, const char *sql, char **cause)
{
	sqlite3_stmt	*stmt;
	size_t		 i;

	for (i = 0; i < st->nstmts; i++) {
		if (st->stmts[i].sql == sql) {
			stmt = st->stmts[i].stmt;
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return stmt;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "prepare");
		return NULL;
	}
	st->stmts = xreallocarray(st->stmts, st->nstmts + 1,
	    sizeof *st->stmts);
	st->stmts[st->nstmts].sql = sql;
	st->stmts[st->nstmts].stmt = stmt;
	st->nstmts++;
	return stmt;
}

/* Step a statement that returns no rows; reset it either way. */
int
store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what,
    char **cause)
{
	int	 rc;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*cause = store_errmsg(st, what);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

/* Bind text, or NULL. */
void
store_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, i);
}

/*
 * Transactions.  BEGIN IMMEDIATE takes the write lock at once, so a commit
 * never fails for a lock another connection took first.
 */
int
store_begin(struct store *st, char **cause)
{
	if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	st->in_tx = 1;
	return 0;
}

int
store_commit(struct store *st, char **cause)
{
	if (store_exec(st, "COMMIT", cause) != 0) {
		store_rollback(st);
		return -1;
	}
	st->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = 0;
}

/* Run SQL that returns no rows.  On error return -1 and set *cause. */
static int
store_exec(struct store *st, const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xprintf("database %s: %s", st->path,
		    err != NULL ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Run a query whose answer is one integer. */
static int
store_int(struct store *st, const char *sql, int64_t *v, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, sql);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(stmt, 0);
	else if (rc == SQLITE_DONE)
		*v = 0;
	else {
		*cause = store_errmsg(st, sql);
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

/* Run a query whose answer is one string (the caller frees it). */
static char *
store_text(struct store *st, const char *sql, char **cause)
{
	sqlite3_stmt		*stmt;
	const unsigned char	*t;
	char			*v = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, sql);
		return NULL;
	}
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    (t = sqlite3_column_text(stmt, 0)) != NULL)
		v = xstrdup((const char *)t);
	else
		*cause = store_errmsg(st, sql);
	sqlite3_finalize(stmt);
	return v;
}

void
store_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

int
store_schema_version(struct store *st)
{
	int64_t	 v;
	char	*cause;

	if (store_int(st, "PRAGMA user_version", &v, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return -1;
	}
	return (int)v;
}

static int
store_migrate(struct store *st, const struct store_migration *migrations,
    size_t n, char **cause)
{
	const struct store_migration	*m;
	sqlite3_stmt			*stmt;
	int64_t				 current;
	int				 latest = migrations[n - 1].version;
	size_t				 i;
	char				*sql;

	if (store_int(st, "PRAGMA user_version", &current, cause) != 0)
		return -1;
	if (current > latest) {
		*cause = xprintf("database %s has schema version %lld, newer "
		    "than this vigild (%s) knows (%d): it was written by a "
		    "newer vigil; run that version, or restore a backup",
		    st->path, (long long)current, PACKAGE_VERSION, latest);
		return -1;
	}
	for (i = 0; i < n; i++) {
		m = &migrations[i];
		if (m->version <= current)
			continue;
		log_info("database %s: applying migration %s", st->path,
		    m->name);
		if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0)
			return -1;
		if (store_exec(st, m->sql, cause) != 0)
			goto rollback;
		if (sqlite3_prepare_v2(st->db,
		    "INSERT INTO schema_history VALUES (?, ?, ?, ?)", -1, &stmt,
		    NULL) != SQLITE_OK) {
			*cause = store_errmsg(st, "schema_history");
			goto rollback;
		}
		sqlite3_bind_int(stmt, 1, m->version);
		sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, now_ms());
		sqlite3_bind_text(stmt, 4, PACKAGE_VERSION, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			*cause = store_errmsg(st, "schema_history");
			sqlite3_finalize(stmt);
			goto rollback;
		}
		sqlite3_finalize(stmt);
		sql = xprintf("PRAGMA user_version = %d", m->version);
		if (store_exec(st, sql, cause) != 0) {
			free(sql);
			goto rollback;
		}
		free(sql);
		if (store_exec(st, "COMMIT", cause) != 0)
			goto rollback;
	}
	return 0;

rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Only one vigild may use a database: hold an exclusive flock on a lock file
 * beside it for as long as it is open.  (A separate file, because closing any
 * descriptor of the database file itself would drop SQLite's POSIX locks.)
 */
static int
store_lock(struct store *st, char **cause)
{
	char	*lockpath;

	lockpath = xprintf("%s-lock", st->path);
	st->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd == -1) {
		*cause = xprintf("database %s: cannot open lock file %s: %s",
		    st->path, lockpath, strerror(errno));
		free(lockpath);
		return -1;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) == -1) {
		*cause = errno == EWOULDBLOCK ?
		    xprintf("database %s is in use by another vigild",
		    st->path) :
		    xprintf("database %s: cannot lock %s: %s", st->path,
		    lockpath, strerror(errno));
		free(lockpath);
		return -1;
	}
	free(lockpath);
	return 0;
}

/*
 * Open (creating if needed) and migrate the database.  Returns NULL with a
 * cause that says what is wrong and what to do.
 */
struct store *
store_open(const char *path, int sync, char **cause)
{
	return store_open_migrations(path, sync, store_migrations,
	    store_nmigrations, cause);
}

/* The same, with a given list of migrations (tests use their own). */
struct store *
store_open_migrations(const char *path, int sync,
    const struct store_migration *migrations, size_t nmigrations,
    char **cause)
{
	struct store	*st;
	char		*mode, *why = NULL;

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->lockfd = -1;

	if (store_lock(st, cause) != 0)
		goto fail;

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*cause = xprintf("cannot open database %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		*cause = xprintf("database %s is read-only: vigild needs to "
		    "write it (check its owner and permissions)", path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);

	/*
	 * The first statements that read the file: this is where a file that
	 * is not a database, or an unwritable one, shows.
	 */
	if ((mode = store_text(st, "PRAGMA journal_mode = WAL", &why)) ==
	    NULL) {
		*cause = xprintf("%s (is it a vigil database, and writable?)",
		    why);
		free(why);
		goto fail;
	}
	if (strcmp(mode, "wal") != 0) {
		*cause = xprintf("database %s: cannot switch to WAL mode "
		    "(journal mode is %s)", path, mode);
		free(mode);
		goto fail;
	}
	free(mode);
	if (store_exec(st, sync == CONFIG_SYNC_FULL ?
	    "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	    cause) != 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", cause) != 0)
		goto fail;

	if (store_migrate(st, migrations, nmigrations, cause) != 0)
		goto fail;
	return st;

fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	free(st->stmts);
	if (st->db != NULL) {
		if (sqlite3_close(st->db) != SQLITE_OK)
			log_warnx("database %s: close: %s", st->path,
			    sqlite3_errmsg(st->db));
	}
	if (st->lockfd != -1)
		close(st->lockfd);
	free(st->path);
	free(st);
}

/* Record the start of a run, and learn how the previous one ended. */
int
store_run_begin(struct store *st, const char *version, char **cause)
{
	sqlite3_stmt	*stmt;

	if (sqlite3_prepare_v2(st->db, "SELECT id, stopped_at IS NOT NULL "
	    "FROM runs ORDER BY id DESC LIMIT 1", -1, &stmt, NULL) !=
	    SQLITE_OK) {
		*cause = store_errmsg(st, "runs");
		return -1;
	}
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		st->prev_run_id = sqlite3_column_int64(stmt, 0);
		st->prev_clean = sqlite3_column_int(stmt, 1) != 0;
	} else {
		st->prev_run_id = 0;
		st->prev_clean = true;
	}
	sqlite3_finalize(stmt);

	if (sqlite3_prepare_v2(st->db, "INSERT INTO runs (version, pid, "
	    "started_at) VALUES (?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "runs");
		return -1;
	}
	sqlite3_bind_text(stmt, 1, version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (int64_t)getpid());
	sqlite3_bind_int64(stmt, 3, now_ms());
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*cause = store_errmsg(st, "runs");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	st->run_id = sqlite3_last_insert_rowid(st->db);
	if (st->prev_run_id != 0 && !st->prev_clean)
		log_warnx("database %s: the previous run of vigild (run %lld) "
		    "did not stop cleanly; nothing it had not committed was "
		    "acknowledged", st->path, (long long)st->prev_run_id);
	return 0;
}

/* Record a clean stop, and checkpoint the WAL into the database. */
int
store_run_end(struct store *st, char **cause)
{
	sqlite3_stmt	*stmt;

	if (sqlite3_prepare_v2(st->db, "UPDATE runs SET stopped_at = ? "
	    "WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK) {
		*cause = store_errmsg(st, "runs");
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, now_ms());
	sqlite3_bind_int64(stmt, 2, st->run_id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*cause = store_errmsg(st, "runs");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", cause);
}

json_t *
store_status(struct store *st)
{
	int64_t		 pages = 0, page_size = 0;
	char		*cause;
	struct stat	 sb;
	char		*wal;
	json_t		*o;

	if (store_int(st, "PRAGMA page_count", &pages, &cause) != 0 ||
	    store_int(st, "PRAGMA page_size", &page_size, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	o = json_pack("{s:s, s:i, s:I, s:I, s:b}",
	    "path", st->path,
	    "schema_version", store_schema_version(st),
	    "bytes", (json_int_t)(pages * page_size),
	    "run", (json_int_t)st->run_id,
	    "previous_run_clean", st->prev_clean);
	wal = xprintf("%s-wal", st->path);
	if (stat(wal, &sb) == 0)
		json_object_set_new(o, "wal_bytes",
		    json_integer((json_int_t)sb.st_size));
	free(wal);
	return o;
}

/*
 * Step a prepared, bound query to its end: a JSON array of what row()
 * makes of each row.  The statement is finalized.  NULL on error, with
 * *cause saying where (what).
 */
json_t *
store_rows(struct store *st, sqlite3_stmt *s, json_t *(*row)(sqlite3_stmt *),
    const char *what, char **cause)
{
	json_t	*rows = json_array();
	int	 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(rows, row(s));
	if (rc != SQLITE_DONE) {
		*cause = store_errmsg(st, what);
		json_decref(rows);
		rows = NULL;
	}
	sqlite3_finalize(s);
	return rows;
}
