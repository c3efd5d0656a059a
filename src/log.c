/*
 * log.c: logging to the journal (with structured fields) when stderr is
 * connected to it, to stderr otherwise.
 *
 * Nothing that reaches these functions may contain a secret: callers redact
 * credentials, tokens and webhook URLs before they format a message.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "vigil.h"

static const char	*log_ident = "vigil";
static bool		 log_daemon;	/* timestamps and levels on stderr */
static bool		 log_journal;	/* stderr is the journal */
static enum log_level	 log_level = LOG_LEVEL_INFO;

static const struct {
	enum log_level	 level;
	const char	*name;
} log_levels[] = {
	{ LOG_LEVEL_ERROR, "error" },
	{ LOG_LEVEL_WARNING, "warning" },
	{ LOG_LEVEL_INFO, "info" },
	{ LOG_LEVEL_DEBUG, "debug" },
};

/*
 * Is stderr the journal?  systemd sets JOURNAL_STREAM to the device and inode
 * of the stream it connected; a redirected stderr no longer matches.
 */
static bool
log_stderr_is_journal(void)
{
	const char		*js;
	unsigned long long	 dev, ino;
	struct stat		 sb;

	if ((js = getenv("JOURNAL_STREAM")) == NULL)
		return false;
	if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &sb) == -1)
		return false;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

/*
 * Set up logging.  A daemon logs with timestamps and levels (or to the
 * journal when stderr is the journal); a client logs "ident: message".
 */
void
log_init(const char *ident, bool daemon)
{
	log_ident = ident;
	log_daemon = daemon;
	log_journal = daemon && log_stderr_is_journal();
}

/* Log to stderr even under systemd (vigild -d). */
void
log_use_stderr(void)
{
	log_journal = false;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

bool
log_to_journal(void)
{
	return log_journal;
}

int
log_level_parse(const char *s, enum log_level *level)
{
	size_t	 i;

	for (i = 0; i < nitems(log_levels); i++) {
		if (strcmp(s, log_levels[i].name) == 0) {
			*level = log_levels[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	size_t	 i;

	for (i = 0; i < nitems(log_levels); i++) {
		if (log_levels[i].level == level)
			return log_levels[i].name;
	}
	return "unknown";
}

#ifdef HAVE_LIBSYSTEMD
static void
log_send_journal(enum log_level level, const char *const *kv, const char *msg,
    int errnum)
{
	struct iovec	 iov[32];
	char		*prio, *message, *ident, *err = NULL;
	size_t		 n = 0;

	prio = xprintf("PRIORITY=%d", (int)level);
	message = xprintf("MESSAGE=%s", msg);
	ident = xprintf("SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n].iov_base = message;
	iov[n++].iov_len = strlen(message);
	iov[n].iov_base = prio;
	iov[n++].iov_len = strlen(prio);
	iov[n].iov_base = ident;
	iov[n++].iov_len = strlen(ident);
	if (errnum != 0) {
		err = xprintf("ERRNO=%d", errnum);
		iov[n].iov_base = err;
		iov[n++].iov_len = strlen(err);
	}
	for (; kv != NULL && *kv != NULL && n < nitems(iov); kv++) {
		iov[n].iov_base = (void *)(uintptr_t)*kv;
		iov[n++].iov_len = strlen(*kv);
	}
	if (sd_journal_sendv(iov, (int)n) < 0)
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
	free(prio);
	free(message);
	free(ident);
	free(err);
}
#endif

static void
log_write(enum log_level level, const char *const *kv, int errnum,
    const char *fmt, va_list ap)
{
	char		*msg, *full, ts[32];
	struct timespec	 tv;
	struct tm	 tm;
	int		 saved_errno = errno;

	if (level > log_level)
		return;

	/* No x*() here: out-of-memory reports come through this path. */
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	if (msg != NULL && errnum != 0) {
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) == -1)
			full = NULL;
		free(msg);
	} else
		full = msg;
	if (full == NULL) {
		fprintf(stderr, "%s: %s\n", log_ident, fmt);
		errno = saved_errno;
		return;
	}

	if (log_journal) {
#ifdef HAVE_LIBSYSTEMD
		log_send_journal(level, kv, full, errnum);
#else
		/* systemd reads the <N> prefix as the priority. */
		fprintf(stderr, "<%d>%s\n", (int)level, full);
#endif
	} else if (log_daemon) {
		clock_gettime(CLOCK_REALTIME, &tv);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s[%ld]: %s: %s", ts,
		    tv.tv_nsec / 1000000, log_ident, (long)getpid(),
		    log_level_name(level), full);
		for (; kv != NULL && *kv != NULL; kv++)
			fprintf(stderr, " %s", *kv);
		fputc('\n', stderr);
	} else
		fprintf(stderr, "%s: %s\n", log_ident, full);
	fflush(stderr);
	free(full);
	errno = saved_errno;
}

void
log_fields(enum log_level level, const char *const *kv, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(level, kv, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 errnum = errno;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_WARNING, NULL, errnum, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_WARNING, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_INFO, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_DEBUG, NULL, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 errnum = errno;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_ERROR, NULL, errnum, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_ERROR, NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
