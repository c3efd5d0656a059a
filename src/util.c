/*
 * util.c: small parsers and helpers shared by the daemon and the client.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil.h"

/* Parse a signed decimal integer that fills the whole string. */
int
parse_int(const char *s, int64_t *v, const char **cause)
{
	char		*end;
	long long	 n;

	if (*s == '\0' || isspace((unsigned char)*s)) {
		*cause = "not an integer";
		return -1;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0') {
		*cause = "not an integer";
		return -1;
	}
	if (errno == ERANGE) {
		*cause = "integer out of range";
		return -1;
	}
	*v = n;
	return 0;
}

/*
 * Parse a duration into milliseconds: a plain number is seconds; otherwise a
 * sequence of numbers with units ms, s, m, h, d, w ("90d", "1h30m", "500ms").
 */
int
parse_duration(const char *s, int64_t *ms, const char **cause)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60 * 1000 },
		{ "h", 3600 * 1000 },
		{ "d", 86400 * 1000 },
		{ "w", 7 * 86400 * 1000 },
	};
	const char	*p = s;
	int64_t		 total = 0, n;
	size_t		 i, len;

	if (*p == '\0') {
		*cause = "empty duration";
		return -1;
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p)) {
			*cause = "not a duration (examples: 30s, 5m, 24h, 90d)";
			return -1;
		}
		n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n > (INT64_MAX - 9) / 10) {
				*cause = "duration out of range";
				return -1;
			}
			n = n * 10 + (*p++ - '0');
		}
		if (*p == '\0' && p - s > 0 && total == 0 &&
		    strspn(s, "0123456789") == strlen(s)) {
			n *= 1000;	/* a plain number: seconds */
		} else {
			for (i = 0; i < nitems(units); i++) {
				len = strlen(units[i].unit);
				if (strncmp(p, units[i].unit, len) == 0 &&
				    !isalpha((unsigned char)p[len]))
					break;
			}
			if (i == nitems(units)) {
				*cause = "unknown duration unit (use ms, s, m, h, d or w)";
				return -1;
			}
			p += len;
			if (n > INT64_MAX / units[i].ms) {
				*cause = "duration out of range";
				return -1;
			}
			n *= units[i].ms;
		}
		if (total > INT64_MAX - n) {
			*cause = "duration out of range";
			return -1;
		}
		total += n;
	}
	*ms = total;
	return 0;
}

/* Format milliseconds as a short duration ("1h30m", "250ms", "0s"). */
char *
format_duration(int64_t ms)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "d", 86400 * 1000 },
		{ "h", 3600 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
		{ "ms", 1 },
	};
	char	 buf[128];
	size_t	 i, off = 0;

	if (ms <= 0)
		return xstrdup("0s");
	for (i = 0; i < nitems(units) && off < sizeof buf; i++) {
		if (ms >= units[i].ms) {
			off += (size_t)snprintf(buf + off, sizeof buf - off,
			    "%lld%s", (long long)(ms / units[i].ms),
			    units[i].unit);
			ms %= units[i].ms;
		}
	}
	return xstrdup(buf);
}

/*
 * Parse a size in bytes: a plain number, or a number with k/K/KiB, M/MiB,
 * G/GiB (powers of 1024) or KB, MB, GB (powers of 1000).
 */
int
parse_size(const char *s, int64_t *bytes, const char **cause)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "k", 1024 }, { "K", 1024 }, { "KiB", 1024 }, { "KB", 1000 },
		{ "M", 1024 * 1024 }, { "MiB", 1024 * 1024 },
		{ "MB", 1000 * 1000 },
		{ "G", 1024 * 1024 * 1024 }, { "GiB", 1024 * 1024 * 1024 },
		{ "GB", 1000 * 1000 * 1000 },
	};
	const char	*p = s;
	int64_t		 n = 0;
	size_t		 i;

	if (!isdigit((unsigned char)*p)) {
		*cause = "not a size (examples: 4096, 64KiB, 1MiB)";
		return -1;
	}
	while (isdigit((unsigned char)*p)) {
		if (n > (INT64_MAX - 9) / 10) {
			*cause = "size out of range";
			return -1;
		}
		n = n * 10 + (*p++ - '0');
	}
	for (i = 0; i < nitems(units); i++) {
		if (strcmp(p, units[i].unit) == 0)
			break;
	}
	if (i == nitems(units)) {
		*cause = "unknown size unit (use KiB, MiB, GiB, KB, MB or GB)";
		return -1;
	}
	if (n > INT64_MAX / units[i].mult) {
		*cause = "size out of range";
		return -1;
	}
	*bytes = n * units[i].mult;
	return 0;
}

/* YAML 1.2 core schema booleans, plus yes/no and on/off from YAML 1.1. */
int
parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no",
	    "No", "NO", "off", "Off", "OFF" };
	size_t	 i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -1;
}

/*
 * Percent-encode bytes as RFC 3986 wants for a path segment or a query
 * value: unreserved characters stay, everything else is %XX; '/' stays
 * when keep_slash.
 */
char *
url_encode(const void *data, size_t len, bool keep_slash)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;

	out = o = xmalloc(len * 3 + 1);
	for (i = 0; i < len; i++) {
		if (isalnum(p[i]) || p[i] == '-' || p[i] == '_' ||
		    p[i] == '.' || p[i] == '~' || (keep_slash && p[i] == '/'))
			*o++ = (char)p[i];
		else {
			*o++ = '%';
			*o++ = hex[p[i] >> 4];
			*o++ = hex[p[i] & 15];
		}
	}
	*o = '\0';
	return out;
}

static int
dir_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
dir_walk(const char *dir, int depth, char ***paths, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*p;

	if (depth < 0 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xprintf("%s/%s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			dir_walk(p, depth - 1, paths, n);
			free(p);
		} else if (S_ISREG(sb.st_mode)) {
			*paths = xreallocarray(*paths, *n + 1, sizeof **paths);
			(*paths)[(*n)++] = p;
		} else
			free(p);
	}
	closedir(d);
}

/*
 * Every regular file under dir, down to depth levels of directories,
 * sorted by path; hidden files and directories are left out.  The caller
 * frees each path and the array.
 */
char **
dir_files(const char *dir, int depth, size_t *n)
{
	char	**paths = NULL;

	*n = 0;
	dir_walk(dir, depth, &paths, n);
	if (*n > 1)
		qsort(paths, *n, sizeof *paths, dir_cmp);
	return paths;
}

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since the epoch as RFC 3339 UTC with milliseconds. */
char *
time_iso8601(int64_t ms)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;
	char		 buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	return xprintf("%s.%03dZ", buf, (int)(ms % 1000));
}

/*
 * Read a whole file of at most max bytes into a NUL-terminated buffer.  On
 * failure return NULL and a cause the caller frees.
 */
char *
read_file(const char *path, size_t max, size_t *lenp, char **cause)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 len = 0, size;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		*cause = xprintf("%s: is a directory", path);
		goto fail;
	}
	/* Room for one byte past the limit, to tell "too large" from "full". */
	size = S_ISREG(sb.st_mode) && sb.st_size > 0 ?
	    (size_t)sb.st_size + 2 : 4096;
	if (size > max + 2)
		size = max + 2;
	buf = xmalloc(size);
	for (;;) {
		if (len + 1 >= size) {
			size = size * 2 > max + 2 ? max + 2 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*cause = xprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			*cause = xprintf("%s: larger than %zu bytes", path, max);
			goto fail;
		}
	}
	buf[len] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = len;
	return buf;

fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Levenshtein distance, for "did you mean". */
size_t
str_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* Code point cp as UTF-8 into out (4 bytes); its length, 0 if too large. */
size_t
utf8_put(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}
