/*
 * store-int.h: what the store's files (store.c, store-*.c) share, and no
 * other file sees: SQLite itself.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <sqlite3.h>

#include "vigild.h"

struct store_stmt {
	const char	*sql;		/* a static string: the cache key */
	sqlite3_stmt	*stmt;
};

struct store {
	sqlite3			*db;
	char			*path;
	int			 lockfd;
	int64_t			 run_id;
	int64_t			 prev_run_id;	/* the run before this one */
	bool			 prev_clean;	/* did it stop cleanly? */
	int			 in_tx;		/* transaction depth */
	struct store_stmt	*stmts;
	size_t			 nstmts;
};

sqlite3_stmt	*store_stmt(struct store *, const char *, char **);
char		*store_errmsg(struct store *, const char *);
struct json_t	*store_rows(struct store *, sqlite3_stmt *,
		    struct json_t *(*)(sqlite3_stmt *), const char *, char **);
int		 store_step_done(struct store *, sqlite3_stmt *, const char *,
		    char **);
void		 store_bind_text(sqlite3_stmt *, int, const char *);

#endif /* STORE_INT_H */
