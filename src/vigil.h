/*
 * vigil.h: the umbrella header, in sections named after the files that
 * implement them.
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define VIGIL_PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define VIGIL_NORETURN __attribute__((noreturn))
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* xmalloc.c: allocation that never fails (fatal on out-of-memory). */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) VIGIL_PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list) VIGIL_PRINTFLIKE(2, 0);
char	*xprintf(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
void	 xappendf(char **, const char *, ...) VIGIL_PRINTFLIKE(2, 3);
void	 freezero_str(char *);

/* log.c: stderr or the journal, never a secret. */
enum log_level {
	LOG_LEVEL_ERROR = 3,	/* the syslog priorities */
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};
void	 log_init(const char *, bool);
void	 log_use_stderr(void);
void	 log_set_level(enum log_level);
enum log_level log_get_level(void);
bool	 log_to_journal(void);
int	 log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);
void	 log_fields(enum log_level, const char *const *, const char *, ...)
	    VIGIL_PRINTFLIKE(3, 4);
void	 log_warn(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
void	 log_warnx(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
void	 log_debug(const char *, ...) VIGIL_PRINTFLIKE(1, 2);
void	 fatal(const char *, ...) VIGIL_PRINTFLIKE(1, 2) VIGIL_NORETURN;
void	 fatalx(const char *, ...) VIGIL_PRINTFLIKE(1, 2) VIGIL_NORETURN;

/* util.c: small parsers and helpers shared by the daemon and the client. */
int	 parse_duration(const char *, int64_t *, const char **);
int	 parse_size(const char *, int64_t *, const char **);
int	 parse_int(const char *, int64_t *, const char **);
size_t	 str_distance(const char *, const char *);
size_t	 utf8_put(char *, unsigned long);
int	 parse_bool(const char *, bool *);
char	*format_duration(int64_t);
int64_t	 now_ms(void);
int64_t	 mono_ms(void);
char	*time_iso8601(int64_t);
char	*read_file(const char *, size_t, size_t *, char **);
char	*url_encode(const void *, size_t, bool);
char	**dir_files(const char *, int, size_t *);

/* diag.c: diagnostics with positions (file:line:col: message). */
struct diag {
	char	*file;
	int	 line;		/* 1-based; 0 when unknown */
	int	 col;		/* 1-based; 0 when unknown */
	char	*msg;
};
struct diags {
	struct diag	*v;
	size_t		 n;
};
void	 diag_add(struct diags *, const char *, int, int, const char *, ...)
	    VIGIL_PRINTFLIKE(5, 6);
void	 diag_addv(struct diags *, const char *, int, int, const char *,
	    va_list) VIGIL_PRINTFLIKE(5, 0);
void	 diag_move(struct diags *, struct diags *);
void	 diag_print(FILE *, const struct diags *, bool);
char	*diag_string(const struct diag *);
void	 diag_clear(struct diags *);

#endif /* VIGIL_H */
