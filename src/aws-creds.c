/*
 * aws-creds.c: AWS credentials.  The standard provider chain (environment,
 * web identity, the shared config and credentials files, container
 * credentials, EC2 instance metadata), STS AssumeRole per account, and
 * fixed keys.
 *
 * Every provider caches what it fetched: aws_creds_current() answers at
 * once while the credentials are good for more than the refresh margin, a
 * timer refreshes them before that, and aws_creds_wait() hands them over
 * from the loop (never from inside the call) once a fetch is over.  A fetch
 * that fails is retried with backoff, never in a tight loop, and its error
 * is kept for status.
 *
 * The chain is walked afresh at every fetch, in the SDKs' order; a source
 * that is not configured is skipped, a source that is configured but fails
 * ends the walk with its error, except the instance metadata service being
 * out of reach, which means that there are no credentials at all.
 *
 * Secrets (secret keys, session tokens, web identity, container and
 * metadata tokens, the files holding them) are wiped when freed, and never
 * logged or shown: status shows a masked access key id at most.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <jansson.h>

#include "aws.h"
#include "http.h"
#include "vigil.h"
#include "xml.h"

#define CREDS_REFRESH_MARGIN_MS	(5 * 60 * 1000)	/* current() says NULL */
#define CREDS_MIN_REFRESH_MS	1000
#define CREDS_RETRY_BASE_MS	1000		/* after a failed fetch */
#define CREDS_RETRY_MAX_MS	(5 * 60 * 1000)
#define CREDS_DURATION		3600		/* AssumeRole DurationSeconds */
#define CREDS_SESSION_NAME	"vigil"
#define CREDS_DEFAULT_REGION	"us-east-1"
#define CREDS_MAX_HOPS		16		/* source_profile chain */
#define CREDS_MAX_FILE		(1024 * 1024)	/* config, credentials */
#define CREDS_MAX_TOKEN		(64 * 1024)	/* token files */
#define CREDS_MAX_BODY		(64 * 1024)	/* IMDS and container answers */

#define CONTAINER_HOST		"http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS	5000
#define CONTAINER_CONNECT_MS	2000
#define CONTAINER_ATTEMPTS	3

#define IMDS_ENDPOINT		"http://169.254.169.254"
#define IMDS_ENDPOINT_IPV6	"http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL		21600		/* seconds, the maximum */
#define IMDS_TOKEN_PATH		"/latest/api/token"
#define IMDS_CREDS_PATH		"/latest/meta-data/iam/security-credentials/"

enum creds_kind {
	CREDS_CHAIN,
	CREDS_ASSUME_ROLE,
	CREDS_STATIC,
};

/* One AssumeRole (or AssumeRoleWithWebIdentity). */
struct creds_role {
	char	*role_arn;
	char	*external_id;		/* not shown in status */
	char	*session_name;
	int	 duration;		/* seconds */
};

/* Where a fetch starts from. */
enum creds_base {
	BASE_KEYS,		/* keys in hand: environment, a profile */
	BASE_WEB_IDENTITY,	/* a token file, for a role */
	BASE_CONTAINER,		/* the ECS / EKS credentials endpoint */
	BASE_IMDS,		/* the EC2 instance metadata service */
	BASE_NONE,		/* nothing configured */
};

/* What one fetch of the chain does: a base, then roles, in order. */
struct creds_plan {
	enum creds_base		 base;
	struct aws_credentials	*keys;		/* BASE_KEYS */
	struct creds_role	 web;		/* BASE_WEB_IDENTITY */
	char			*token_file;
	char			*container_url;	/* BASE_CONTAINER */
	bool			 imds_optional;	/* unreachable: none found */
	struct creds_role	*roles;
	size_t			 nroles;
	char			*region;	/* for STS */
	char			*desc;		/* the source, for status */
	char			*tried;		/* what was looked at */
};

enum imds_step {
	IMDS_TOKEN,
	IMDS_ROLE,
	IMDS_CREDENTIALS,
};

/* A fetch in flight: at most one request or call at a time. */
struct creds_op {
	struct aws_creds	*c;
	struct creds_plan	*plan;		/* CREDS_CHAIN */
	char			*desc;
	size_t			 next_role;
	struct aws_credentials	*have;		/* from the last step */
	char			*error;		/* the fetch failed */

	struct http_request	*req;
	struct aws_call		*call;
	const char		*action;	/* the STS action of call */
	const char		*role_arn;
	struct aws_client	*client;	/* for call, or NULL */
	struct aws_creds	*signer;	/* for client, or NULL */
	struct event		*step;		/* the next step, in the loop */

	char			*imds_endpoint;
	enum imds_step		 imds_step;
	bool			 imds_retried;	/* a 401 fetched a new token */
	char			*imds_role;
};

struct creds_waiter {
	TAILQ_ENTRY(creds_waiter) entry;
	aws_creds_cb		 cb;
	void			*arg;
	uint64_t		 seq;
};

struct aws_creds {
	enum creds_kind		 kind;
	struct event_base	*base;
	struct http		*http;

	/* CREDS_CHAIN */
	char			*profile;
	char			*region;
	char			*sts_endpoint;
	char			*container_endpoint;
	char			*imds_token;		/* secret */
	int64_t			 imds_token_until;	/* mono ms */

	/* CREDS_ASSUME_ROLE */
	struct aws_creds	*source;		/* borrowed */
	struct creds_role	 role;
	struct aws_client	*sts;

	/* The cache. */
	struct aws_credentials	*cur;
	bool			 invalid;
	int64_t			 refreshed_ms;
	int64_t			 stale_ms;	/* current() NULL from here */
	int64_t			 next_refresh_ms;

	/* Fetching. */
	struct creds_op		*op;
	char			*last_error;
	int64_t			 last_error_ms;
	int			 failures;	/* in a row */
	int64_t			 retry_mono;	/* no new fetch before */
	struct event		*timer;		/* refresh, or retry */

	/* Waiters, called from the notify event. */
	TAILQ_HEAD(, creds_waiter) waiters;
	uint64_t		 seq;
	struct event		*notify;
	int			 busy;		/* inside callbacks */
	bool			 dying;		/* freed from a callback */
};

static int64_t	(*creds_clock)(void);

static void	creds_start_fetch(struct aws_creds *);
static void	creds_fetch_done(struct aws_creds *, struct aws_credentials *,
		    char *);
static void	creds_schedule_notify(struct aws_creds *);
static void	op_continue(struct creds_op *);
static void	op_imds_request(struct creds_op *);
static struct aws_creds *creds_new(struct event_base *, struct http *,
		    enum creds_kind);
static void	creds_destroy(struct aws_creds *);

/* Tests set the wall clock; the loop's timers keep their own. */
void
aws_creds_set_clock(int64_t (*fn)(void))
{
	creds_clock = fn;
}

static int64_t
creds_now(void)
{
	return creds_clock != NULL ? creds_clock() : now_ms();
}

static void
creds_wipe(void *p, size_t len)
{
	if (p == NULL || len == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	{
		volatile unsigned char *v = p;
		while (len-- > 0)
			*v++ = 0;
	}
#endif
}

static uint32_t
creds_random(uint32_t upper)
{
	if (upper == 0)
		return 0;
#ifdef HAVE_ARC4RANDOM_UNIFORM
	return arc4random_uniform(upper);
#else
	return (uint32_t)random() % upper;
#endif
}

static const char *
creds_getenv(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Strip whitespace at both ends, in place. */
static char *
creds_trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "AKIA…ABCD": enough to tell keys apart, not enough to use one. */
char *
aws_creds_mask(const char *id)
{
	size_t	 len;

	if (id == NULL)
		return NULL;
	len = strlen(id);
	if (len < 12)
		return xstrdup("\xe2\x80\xa6");
	return xprintf("%.4s\xe2\x80\xa6%s", id, id + len - 4);
}

void
aws_credentials_free(struct aws_credentials *cr)
{
	if (cr == NULL)
		return;
	freezero_str(cr->access_key_id);
	freezero_str(cr->secret_access_key);
	freezero_str(cr->session_token);
	free(cr->source);
	free(cr);
}

static struct aws_credentials *
creds_dup(const struct aws_credentials *cr)
{
	struct aws_credentials	*n;

	n = xcalloc(1, sizeof *n);
	n->access_key_id = xstrdup(cr->access_key_id);
	n->secret_access_key = xstrdup(cr->secret_access_key);
	if (cr->session_token != NULL)
		n->session_token = xstrdup(cr->session_token);
	n->expires_ms = cr->expires_ms;
	if (cr->source != NULL)
		n->source = xstrdup(cr->source);
	return n;
}

static int
creds_digits(const char **pp, int n, int *out)
{
	const char	*p = *pp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

/*
 * An RFC 3339 time ("2026-01-02T03:04:05Z", with an optional fraction and
 * an offset) as ms since the epoch.
 */
static int
creds_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char	*p = s;
	int		 y, mo, d, h, mi, sec, oh, om, frac = 0, scale = 100;
	int64_t		 days, off = 0, yy, era, yoe, doy, doe;

	if (creds_digits(&p, 4, &y) != 0 || *p++ != '-' ||
	    creds_digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    creds_digits(&p, 2, &d) != 0 || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (creds_digits(&p, 2, &h) != 0 || *p++ != ':' ||
	    creds_digits(&p, 2, &mi) != 0 || *p++ != ':' ||
	    creds_digits(&p, 2, &sec) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		off = *p++ == '-' ? -1 : 1;
		if (creds_digits(&p, 2, &oh) != 0 || *p++ != ':' ||
		    creds_digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
			return -1;
		off *= (int64_t)oh * 3600 + om * 60;
	} else
		return -1;
	if (*p != '\0')
		return -1;

	/* Days from the civil date (H. Hinnant's algorithm). */
	yy = mo <= 2 ? y - 1 : y;
	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	*ms = ((days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec)) -
	    off) * 1000 + frac;
	return 0;
}

/* Credentials from their parts, checked; the strings are copied. */
static struct aws_credentials *
creds_make(const char *akid, const char *secret, const char *token,
    const char *expiration, char **cause)
{
	struct aws_credentials	*cr;
	int64_t			 exp = 0;

	if (akid == NULL || *akid == '\0') {
		*cause = xstrdup("no AccessKeyId");
		return NULL;
	}
	if (secret == NULL || *secret == '\0') {
		*cause = xstrdup("no SecretAccessKey");
		return NULL;
	}
	if (expiration != NULL && creds_parse_time(expiration, &exp) != 0) {
		*cause = xstrdup("Expiration is not an RFC 3339 time");
		return NULL;
	}
	cr = xcalloc(1, sizeof *cr);
	cr->access_key_id = xstrdup(akid);
	cr->secret_access_key = xstrdup(secret);
	if (token != NULL && *token != '\0')
		cr->session_token = xstrdup(token);
	cr->expires_ms = exp;
	return cr;
}

static void
creds_role_clear(struct creds_role *r)
{
	free(r->role_arn);
	freezero_str(r->external_id);
	free(r->session_name);
	memset(r, 0, sizeof *r);
}

static void
creds_plan_free(struct creds_plan *plan)
{
	size_t	 i;

	if (plan == NULL)
		return;
	aws_credentials_free(plan->keys);
	creds_role_clear(&plan->web);
	free(plan->token_file);
	free(plan->container_url);
	for (i = 0; i < plan->nroles; i++)
		creds_role_clear(&plan->roles[i]);
	free(plan->roles);
	free(plan->region);
	free(plan->desc);
	free(plan->tried);
	free(plan);
}

/* Append to the list of what the chain looked at. */
static void
creds_tried(struct creds_plan *plan, const char *fmt, ...)
{
	va_list	 ap;
	char	*item, *s;

	va_start(ap, fmt);
	xvasprintf(&item, fmt, ap);
	va_end(ap);
	if (plan->tried == NULL)
		plan->tried = item;
	else {
		s = xprintf("%s; %s", plan->tried, item);
		free(plan->tried);
		free(item);
		plan->tried = s;
	}
}

/* Read a token file: trimmed, not empty; the caller wipes it. */
static char *
creds_read_token(const char *what, const char *path, char **cause)
{
	char	*buf, *why = NULL, *t, *out;
	size_t	 len;

	if ((buf = read_file(path, CREDS_MAX_TOKEN, &len, &why)) == NULL) {
		*cause = xprintf("%s: %s", what, why);
		free(why);
		return NULL;
	}
	t = creds_trim(buf);
	if (*t == '\0') {
		*cause = xprintf("%s: %s is empty", what, path);
		out = NULL;
	} else if (strchr(t, '\n') != NULL || strchr(t, '\r') != NULL) {
		*cause = xprintf("%s: %s holds more than one line", what, path);
		out = NULL;
	} else
		out = xstrdup(t);
	creds_wipe(buf, len);
	free(buf);
	return out;
}

/* "~/x" as $HOME/x. */
static char *
creds_expand(const char *path)
{
	const char	*home;

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') &&
	    (home = creds_getenv("HOME")) != NULL)
		return xprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

/*
 * The shared config and credentials files: a small, strict INI parser.
 * Comments start with ; or #, keys are case-insensitive, a value runs to
 * the end of the line.  The config file's nested settings ("s3 =" then
 * indented lines) are accepted and ignored; anything else that is not a
 * section header, a setting, a comment or a blank line is an error with
 * file:line.  Values may be secrets: they are wiped when freed, and errors
 * never quote them.
 */
struct ini_kv {
	char	*key;
	char	*value;
	int	 line;
};

struct ini_section {
	char		*name;
	int		 line;
	struct ini_kv	*kv;
	size_t		 nkv;
};

struct ini {
	char			*path;
	struct ini_section	*sec;
	size_t			 nsec;
};

static void
ini_clear(struct ini *ini)
{
	size_t	 i, j;

	for (i = 0; i < ini->nsec; i++) {
		for (j = 0; j < ini->sec[i].nkv; j++) {
			free(ini->sec[i].kv[j].key);
			freezero_str(ini->sec[i].kv[j].value);
		}
		free(ini->sec[i].kv);
		free(ini->sec[i].name);
	}
	free(ini->sec);
	free(ini->path);
	memset(ini, 0, sizeof *ini);
}

static int
ini_parse(struct ini *ini, char *buf, size_t len, char **cause)
{
	struct ini_section	*cur = NULL;
	char			*line = buf, *next, *p, *q, *eq, *key, *value;
	char			*end = buf + len;
	const char		*nul;
	int			 lineno = 0, n;
	bool			 nested = false;
	size_t			 i;

	if ((nul = memchr(buf, '\0', len)) != NULL) {
		for (n = 1, p = buf; p < nul; p++)
			n += *p == '\n';
		*cause = xprintf("%s:%d: NUL byte: not a text file", ini->path,
		    n);
		return -1;
	}
	while (line < end) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = end;
		q = line + strlen(line);
		if (q > line && q[-1] == '\r')
			*--q = '\0';
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == ';') {
			line = next;
			continue;
		}
		if (p != line) {
			/* Indented: a nested setting, or an error. */
			if (!nested) {
				*cause = xprintf("%s:%d: unexpected indented "
				    "line (continuation lines are not "
				    "supported)", ini->path, lineno);
				return -1;
			}
			if ((eq = strchr(p, '=')) == NULL || eq == p) {
				*cause = xprintf("%s:%d: expected 'key = "
				    "value' in a nested setting", ini->path,
				    lineno);
				return -1;
			}
			line = next;
			continue;
		}
		nested = false;
		if (*p == '[') {
			if ((q = strchr(p, ']')) == NULL) {
				*cause = xprintf("%s:%d: missing ']' in the "
				    "section header", ini->path, lineno);
				return -1;
			}
			*q++ = '\0';
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '\0' && *q != '#' && *q != ';') {
				*cause = xprintf("%s:%d: unexpected text after "
				    "the section header", ini->path, lineno);
				return -1;
			}
			p = creds_trim(p + 1);
			if (*p == '\0') {
				*cause = xprintf("%s:%d: empty section name",
				    ini->path, lineno);
				return -1;
			}
			for (i = 0; i < ini->nsec; i++) {
				if (strcmp(ini->sec[i].name, p) == 0) {
					*cause = xprintf("%s:%d: section [%s] "
					    "repeated (first at line %d)",
					    ini->path, lineno, p,
					    ini->sec[i].line);
					return -1;
				}
			}
			ini->sec = xreallocarray(ini->sec, ini->nsec + 1,
			    sizeof *ini->sec);
			cur = &ini->sec[ini->nsec++];
			memset(cur, 0, sizeof *cur);
			cur->name = xstrdup(p);
			cur->line = lineno;
			line = next;
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL) {
			*cause = xprintf("%s:%d: expected '[section]' or "
			    "'key = value'", ini->path, lineno);
			return -1;
		}
		if (cur == NULL) {
			*cause = xprintf("%s:%d: setting outside a section (a "
			    "[section] header must come first)", ini->path,
			    lineno);
			return -1;
		}
		*eq = '\0';
		key = creds_trim(p);
		value = creds_trim(eq + 1);
		if (*key == '\0') {
			*cause = xprintf("%s:%d: missing key before '='",
			    ini->path, lineno);
			return -1;
		}
		for (q = key; *q != '\0'; q++) {
			if (!isalnum((unsigned char)*q) && *q != '_' &&
			    *q != '-' && *q != '.') {
				*cause = xprintf("%s:%d: invalid key (letters, "
				    "digits, '_', '-' and '.' only)",
				    ini->path, lineno);
				return -1;
			}
			*q = (char)tolower((unsigned char)*q);
		}
		for (i = 0; i < cur->nkv; i++) {
			if (strcmp(cur->kv[i].key, key) == 0) {
				*cause = xprintf("%s:%d: %s repeated in [%s] "
				    "(first at line %d)", ini->path, lineno,
				    key, cur->name, cur->kv[i].line);
				return -1;
			}
		}
		cur->kv = xreallocarray(cur->kv, cur->nkv + 1, sizeof *cur->kv);
		cur->kv[cur->nkv].key = xstrdup(key);
		cur->kv[cur->nkv].value = xstrdup(value);
		cur->kv[cur->nkv].line = lineno;
		cur->nkv++;
		nested = *value == '\0';
		line = next;
	}
	return 0;
}

/* Load a file; a missing one is empty.  Returns -1 on errors. */
static int
ini_load(struct ini *ini, const char *path, char **cause)
{
	struct stat	 sb;
	char		*buf, *why = NULL;
	size_t		 len;
	int		 rc;

	memset(ini, 0, sizeof *ini);
	ini->path = xstrdup(path);
	if (stat(path, &sb) == -1 && errno == ENOENT)
		return 0;
	if ((buf = read_file(path, CREDS_MAX_FILE, &len, &why)) == NULL) {
		*cause = why;
		return -1;
	}
	rc = ini_parse(ini, buf, len, cause);
	creds_wipe(buf, len);
	free(buf);
	return rc;
}

struct creds_files {
	struct ini	 config;	/* [profile NAME], [default] */
	struct ini	 creds;		/* [NAME] */
};

/* The section of a profile in the config file, or NULL. */
static const struct ini_section *
files_config_section(const struct creds_files *f, const char *profile)
{
	const struct ini_section	*s;
	const char			*p;
	size_t				 i;

	for (i = 0; i < f->config.nsec; i++) {
		s = &f->config.sec[i];
		if (strcmp(profile, "default") == 0 &&
		    strcmp(s->name, "default") == 0)
			return s;
		if (strncmp(s->name, "profile", 7) != 0 ||
		    (s->name[7] != ' ' && s->name[7] != '\t'))
			continue;
		for (p = s->name + 7; *p == ' ' || *p == '\t'; p++)
			;
		if (strcmp(p, profile) == 0)
			return s;
	}
	return NULL;
}

static const struct ini_section *
files_creds_section(const struct creds_files *f, const char *profile)
{
	size_t	 i;

	for (i = 0; i < f->creds.nsec; i++) {
		if (strcmp(f->creds.sec[i].name, profile) == 0)
			return &f->creds.sec[i];
	}
	return NULL;
}

static bool
files_has_profile(const struct creds_files *f, const char *profile)
{
	return files_config_section(f, profile) != NULL ||
	    files_creds_section(f, profile) != NULL;
}

/*
 * A profile's setting: the credentials file first, then the config file,
 * as the SDKs merge them.  *where is "file:line", for messages.
 */
static const char *
files_get(const struct creds_files *f, const char *profile, const char *key,
    char **where)
{
	const struct ini_section	*s;
	const struct ini		*ini[2] = { &f->creds, &f->config };
	size_t				 i, j;

	for (i = 0; i < 2; i++) {
		s = i == 0 ? files_creds_section(f, profile) :
		    files_config_section(f, profile);
		if (s == NULL)
			continue;
		for (j = 0; j < s->nkv; j++) {
			if (strcmp(s->kv[j].key, key) != 0)
				continue;
			if (where != NULL) {
				free(*where);
				*where = xprintf("%s:%d", ini[i]->path,
				    s->kv[j].line);
			}
			return s->kv[j].value;
		}
	}
	return NULL;
}

/* The environment's keys: 0 found, 1 not set, -1 incomplete. */
static int
creds_from_env(struct aws_credentials **out, char **cause)
{
	const char	*akid, *secret, *token, *exp;

	*out = NULL;
	akid = creds_getenv("AWS_ACCESS_KEY_ID");
	secret = creds_getenv("AWS_SECRET_ACCESS_KEY");
	if (akid == NULL && secret == NULL)
		return 1;
	if (akid == NULL || secret == NULL) {
		*cause = xprintf("%s is set but %s is not", akid != NULL ?
		    "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    akid != NULL ? "AWS_SECRET_ACCESS_KEY" :
		    "AWS_ACCESS_KEY_ID");
		return -1;
	}
	if ((token = creds_getenv("AWS_SESSION_TOKEN")) == NULL)
		token = creds_getenv("AWS_SECURITY_TOKEN");
	exp = creds_getenv("AWS_CREDENTIAL_EXPIRATION");
	if ((*out = creds_make(akid, secret, token, exp, cause)) == NULL) {
		char *why = *cause;
		*cause = xprintf("AWS_CREDENTIAL_EXPIRATION: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * May a full container credentials URI be used?  HTTPS anywhere; plain HTTP
 * only to a loopback address or the ECS and EKS Pod Identity agents, as
 * the SDKs enforce.
 */
static bool
creds_container_host_ok(const char *url, char **cause)
{
	struct in_addr	 a4;
	struct in6_addr	 a6, eks6;
	char		*host, *p;
	bool		 ok = false;

	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	if (strncasecmp(url, "http://", 7) != 0) {
		*cause = xstrdup("AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
		    "an http or https URL");
		return false;
	}
	host = aws_url_host(url);
	if (strchr(host, '@') != NULL)
		goto out;
	if (host[0] == '[') {
		if ((p = strchr(host, ']')) == NULL)
			goto out;
		*p = '\0';
		inet_pton(AF_INET6, "fd00:ec2::23", &eks6);
		if (inet_pton(AF_INET6, host + 1, &a6) == 1 &&
		    (IN6_IS_ADDR_LOOPBACK(&a6) ||
		    memcmp(&a6, &eks6, sizeof a6) == 0))
			ok = true;
		goto out;
	}
	if ((p = strchr(host, ':')) != NULL)
		*p = '\0';
	if (strcasecmp(host, "localhost") == 0 ||
	    strcmp(host, "169.254.170.2") == 0 ||
	    strcmp(host, "169.254.170.23") == 0)
		ok = true;
	else if (inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127)
		ok = true;
out:
	free(host);
	if (!ok)
		*cause = xstrdup("AWS_CONTAINER_CREDENTIALS_FULL_URI: plain "
		    "HTTP is allowed only to a loopback address or the ECS "
		    "or EKS credentials agent; use https");
	return ok;
}

/* The container endpoint: 0 found, 1 not configured, -1 refused. */
static int
creds_container_url(const struct aws_creds *c, char **url, char **cause)
{
	const char	*rel, *full;

	rel = creds_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	full = creds_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (rel != NULL) {
		*url = xprintf("%s%s%s", c->container_endpoint != NULL ?
		    c->container_endpoint : CONTAINER_HOST,
		    *rel == '/' ? "" : "/", rel);
		return 0;
	}
	if (full == NULL)
		return 1;
	if (!creds_container_host_ok(full, cause))
		return -1;
	*url = xstrdup(full);
	return 0;
}

static int
creds_duration(const char *v, const char *where, int *out, char **cause)
{
	const char	*why;
	int64_t		 n;

	if (v == NULL) {
		*out = CREDS_DURATION;
		return 0;
	}
	if (parse_int(v, &n, &why) != 0 || n < 900 || n > 43200) {
		*cause = xprintf("%s: duration_seconds must be a number of "
		    "seconds from 900 to 43200", where);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static void
creds_plan_role(struct creds_plan *plan, const struct creds_role *r)
{
	plan->roles = xreallocarray(plan->roles, plan->nroles + 1,
	    sizeof *plan->roles);
	plan->roles[plan->nroles++] = *r;
}

/*
 * Resolve a profile into a plan: its static keys, or a role assumed with
 * the credentials of a source profile (recursively), of a credential
 * source or of a web identity token.  path[] holds the profiles on the way
 * here, to catch cycles.  Returns 0, 1 when the (top) profile has no
 * credentials at all, or -1.
 */
static int
creds_profile_resolve(struct aws_creds *c, const struct creds_files *f,
    const char *name, const char **path, size_t depth,
    struct creds_plan *plan, char **cause)
{
	static const char *const unsupported[] = { "credential_process",
	    "sso_session", "sso_start_url" };
	struct creds_role	 role;
	const char		*arn, *src, *cs, *wit, *akid, *secret, *v;
	char			*where = NULL, *dwhere = NULL, *chain, *s;
	char			*url = NULL;
	size_t			 i;
	int			 rc = -1;

	memset(&role, 0, sizeof role);
	path[depth] = name;
	if (!files_has_profile(f, name)) {
		*cause = xprintf("profile %s (source_profile of %s) not found "
		    "in %s or %s", name, path[depth - 1], f->creds.path,
		    f->config.path);
		return -1;
	}

	if ((arn = files_get(f, name, "role_arn", &where)) != NULL) {
		src = files_get(f, name, "source_profile", NULL);
		cs = files_get(f, name, "credential_source", NULL);
		wit = files_get(f, name, "web_identity_token_file", NULL);
		if (src != NULL && cs != NULL) {
			*cause = xprintf("%s: profile %s: source_profile and "
			    "credential_source are both set; use one",
			    where, name);
			goto out;
		}
		if (files_get(f, name, "mfa_serial", NULL) != NULL) {
			*cause = xprintf("%s: profile %s: mfa_serial needs an "
			    "interactive prompt, which vigild cannot give",
			    where, name);
			goto out;
		}
		role.role_arn = xstrdup(arn);
		if ((v = files_get(f, name, "external_id", NULL)) != NULL)
			role.external_id = xstrdup(v);
		role.session_name = xstrdup((v = files_get(f, name,
		    "role_session_name", NULL)) != NULL ? v :
		    CREDS_SESSION_NAME);
		v = files_get(f, name, "duration_seconds", &dwhere);
		if (creds_duration(v, dwhere, &role.duration, cause) != 0)
			goto out;

		if (src != NULL && strcmp(src, name) == 0) {
			/* Its own static keys are the source. */
			akid = files_get(f, name, "aws_access_key_id", NULL);
			secret = files_get(f, name, "aws_secret_access_key",
			    NULL);
			if (akid == NULL || secret == NULL) {
				*cause = xprintf("%s: profile %s is its own "
				    "source_profile but has no static keys",
				    where, name);
				goto out;
			}
			plan->base = BASE_KEYS;
			plan->keys = creds_make(akid, secret, files_get(f, name,
			    "aws_session_token", NULL), NULL, cause);
		} else if (src != NULL) {
			for (i = 0; i <= depth; i++) {
				if (strcmp(path[i], src) != 0)
					continue;
				chain = xstrdup(path[0]);
				for (i = 1; i <= depth; i++) {
					s = xprintf("%s -> %s", chain, path[i]);
					free(chain);
					chain = s;
				}
				*cause = xprintf("profile %s: source_profile "
				    "cycle: %s -> %s", path[0], chain, src);
				free(chain);
				goto out;
			}
			if (depth + 1 >= CREDS_MAX_HOPS) {
				*cause = xprintf("profile %s: more than %d "
				    "source_profile hops", path[0],
				    CREDS_MAX_HOPS);
				goto out;
			}
			if (creds_profile_resolve(c, f, src, path, depth + 1,
			    plan, cause) != 0)
				goto out;
		} else if (cs != NULL) {
			if (strcmp(cs, "Environment") == 0) {
				switch (creds_from_env(&plan->keys, cause)) {
				case 1:
					*cause = xprintf("%s: profile %s: "
					    "credential_source Environment, "
					    "but AWS_ACCESS_KEY_ID is not "
					    "set", where, name);
					/* FALLTHROUGH */
				case -1:
					goto out;
				}
				plan->base = BASE_KEYS;
			} else if (strcmp(cs, "Ec2InstanceMetadata") == 0) {
				plan->base = BASE_IMDS;
				plan->imds_optional = false;
			} else if (strcmp(cs, "EcsContainer") == 0) {
				switch (creds_container_url(c, &url, cause)) {
				case 1:
					*cause = xprintf("%s: profile %s: "
					    "credential_source EcsContainer, "
					    "but AWS_CONTAINER_CREDENTIALS_"
					    "RELATIVE_URI and _FULL_URI are "
					    "not set", where, name);
					/* FALLTHROUGH */
				case -1:
					goto out;
				}
				plan->base = BASE_CONTAINER;
				plan->container_url = url;
			} else {
				*cause = xprintf("%s: profile %s: unknown "
				    "credential_source %s (use Environment, "
				    "Ec2InstanceMetadata or EcsContainer)",
				    where, name, cs);
				goto out;
			}
		} else if (wit != NULL) {
			plan->base = BASE_WEB_IDENTITY;
			plan->token_file = creds_expand(wit);
			plan->web = role;
			memset(&role, 0, sizeof role);
			rc = 0;
			goto out;
		} else {
			*cause = xprintf("%s: profile %s: role_arn needs "
			    "source_profile, credential_source or "
			    "web_identity_token_file", where, name);
			goto out;
		}
		if (plan->base == BASE_KEYS && plan->keys == NULL)
			goto out;
		creds_plan_role(plan, &role);
		memset(&role, 0, sizeof role);
		rc = 0;
		goto out;
	}

	akid = files_get(f, name, "aws_access_key_id", &where);
	secret = files_get(f, name, "aws_secret_access_key", &where);
	if (akid != NULL && secret != NULL) {
		plan->base = BASE_KEYS;
		if ((plan->keys = creds_make(akid, secret, files_get(f, name,
		    "aws_session_token", NULL), NULL, cause)) != NULL)
			rc = 0;
		goto out;
	}
	if (akid != NULL || secret != NULL) {
		*cause = xprintf("%s: profile %s: %s without %s", where, name,
		    akid != NULL ? "aws_access_key_id" :
		    "aws_secret_access_key", akid != NULL ?
		    "aws_secret_access_key" : "aws_access_key_id");
		goto out;
	}
	for (i = 0; i < nitems(unsupported); i++) {
		if (files_get(f, name, unsupported[i], &where) != NULL) {
			*cause = xprintf("%s: profile %s: %s is not supported; "
			    "give vigild keys, a role or a web identity",
			    where, name, unsupported[i]);
			goto out;
		}
	}
	if (depth == 0)
		rc = 1;
	else
		*cause = xprintf("profile %s (source_profile of %s) has no "
		    "credentials", name, path[depth - 1]);
out:
	creds_role_clear(&role);
	free(where);
	free(dwhere);
	return rc;
}

/* The shared files' step of the chain: 0 planned, 1 nothing, -1 error. */
static int
creds_chain_files(struct aws_creds *c, struct creds_plan *plan,
    char **cause)
{
	struct creds_files	 f;
	const char		*name, *v, *path[CREDS_MAX_HOPS];
	char			*cfg, *crd;
	bool			 named;
	int			 rc;

	named = true;
	if ((name = c->profile) == NULL &&
	    (name = creds_getenv("AWS_PROFILE")) == NULL &&
	    (name = creds_getenv("AWS_DEFAULT_PROFILE")) == NULL) {
		name = "default";
		named = false;
	}
	cfg = creds_expand((v = creds_getenv("AWS_CONFIG_FILE")) != NULL ? v :
	    "~/.aws/config");
	crd = creds_expand((v = creds_getenv("AWS_SHARED_CREDENTIALS_FILE")) !=
	    NULL ? v : "~/.aws/credentials");
	memset(&f, 0, sizeof f);
	rc = -1;
	if (ini_load(&f.config, cfg, cause) != 0 ||
	    ini_load(&f.creds, crd, cause) != 0)
		goto out;

	if (plan->region == NULL &&
	    (v = files_get(&f, name, "region", NULL)) != NULL)
		plan->region = xstrdup(v);
	if (!files_has_profile(&f, name)) {
		if (named) {
			*cause = xprintf("profile %s not found in %s or %s",
			    name, crd, cfg);
			goto out;
		}
		creds_tried(plan, "shared files (no profile %s in %s or %s)",
		    name, crd, cfg);
		rc = 1;
		goto out;
	}
	rc = creds_profile_resolve(c, &f, name, path, 0, plan, cause);
	if (rc == 1)
		creds_tried(plan, "shared files (profile %s has no "
		    "credentials)", name);
	else if (rc == 0) {
		if (plan->base == BASE_WEB_IDENTITY)
			plan->desc = xprintf("profile %s (web identity, role "
			    "%s)", name, plan->web.role_arn);
		else if (plan->nroles > 0)
			plan->desc = xprintf("profile %s (role %s)", name,
			    plan->roles[plan->nroles - 1].role_arn);
		else
			plan->desc = xprintf("profile %s", name);
	}
out:
	ini_clear(&f.config);
	ini_clear(&f.creds);
	free(cfg);
	free(crd);
	return rc;
}

/*
 * Walk the chain to the first configured source.  Returns -1 when a
 * configured source is broken; else the plan says what to fetch (BASE_NONE
 * when nothing is configured).
 */
static int
creds_chain_plan(struct aws_creds *c, struct creds_plan *plan, char **cause)
{
	const char	*v, *tf, *arn;
	char		*url = NULL;
	int		 rc;

	if ((v = c->region) != NULL || (v = creds_getenv("AWS_REGION")) !=
	    NULL || (v = creds_getenv("AWS_DEFAULT_REGION")) != NULL)
		plan->region = xstrdup(v);

	/*
	 * 1. The environment, unless a profile was named by the caller: as
	 * in the SDKs, that profile then decides (AWS_PROFILE does not).
	 */
	if (c->profile != NULL)
		creds_tried(plan, "environment (skipped: profile %s named)",
		    c->profile);
	else if ((rc = creds_from_env(&plan->keys, cause)) == -1)
		return -1;
	else if (rc == 0) {
		plan->base = BASE_KEYS;
		plan->desc = xstrdup("environment");
		goto done;
	} else
		creds_tried(plan, "environment (AWS_ACCESS_KEY_ID not set)");

	/* 2. A web identity token, for a role. */
	if ((tf = creds_getenv("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL) {
		if ((arn = creds_getenv("AWS_ROLE_ARN")) == NULL) {
			*cause = xstrdup("AWS_WEB_IDENTITY_TOKEN_FILE is set "
			    "but AWS_ROLE_ARN is not");
			return -1;
		}
		plan->base = BASE_WEB_IDENTITY;
		plan->token_file = xstrdup(tf);
		plan->web.role_arn = xstrdup(arn);
		plan->web.session_name = xstrdup((v = creds_getenv(
		    "AWS_ROLE_SESSION_NAME")) != NULL ? v : CREDS_SESSION_NAME);
		plan->web.duration = CREDS_DURATION;
		plan->desc = xprintf("web identity (role %s)", arn);
		goto done;
	}
	creds_tried(plan, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not "
	    "set)");

	/* 3. The shared config and credentials files. */
	if ((rc = creds_chain_files(c, plan, cause)) == -1)
		return -1;
	if (rc == 0)
		goto done;

	/* 4. Container credentials. */
	if ((rc = creds_container_url(c, &url, cause)) == -1)
		return -1;
	if (rc == 0) {
		plan->base = BASE_CONTAINER;
		plan->container_url = url;
		url = http_redact_url(plan->container_url);
		plan->desc = xprintf("container credentials (%s)", url);
		free(url);
		goto done;
	}
	creds_tried(plan, "container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
	    "and _FULL_URI not set)");

	/* 5. The EC2 instance metadata service. */
	v = getenv("AWS_EC2_METADATA_DISABLED");
	if (v != NULL && strcasecmp(v, "true") == 0) {
		creds_tried(plan, "EC2 instance metadata (disabled by "
		    "AWS_EC2_METADATA_DISABLED)");
		plan->base = BASE_NONE;
		goto done;
	}
	plan->base = BASE_IMDS;
	plan->imds_optional = true;
	plan->desc = xstrdup("EC2 instance metadata");

done:
	if (plan->region == NULL)
		plan->region = xstrdup(CREDS_DEFAULT_REGION);
	if (plan->desc == NULL)
		plan->desc = xstrdup("none");
	return 0;
}

/* Free an operation, cancelling what it has in flight. */
static void
op_free(struct creds_op *op)
{
	if (op == NULL)
		return;
	if (op->call != NULL)
		aws_call_cancel(op->call);
	if (op->req != NULL)
		http_request_cancel(op->req);
	if (op->step != NULL)
		event_free(op->step);
	aws_client_free(op->client);
	aws_creds_free(op->signer);
	creds_plan_free(op->plan);
	aws_credentials_free(op->have);
	free(op->desc);
	free(op->error);
	free(op->imds_endpoint);
	free(op->imds_role);
	free(op);
}

/* The fetch failed: say so from the loop. */
static void
op_fail(struct creds_op *op, char *error)
{
	free(op->error);
	op->error = error;
	op_continue(op);
}

/* Results of an STS call: the Credentials of <Action>Result. */
static void
op_sts_done(struct aws_response *ar, void *arg)
{
	struct creds_op		*op = arg;
	struct aws_credentials	*cr;
	json_t			*cj;
	char			*path, *cause = NULL;

	op->call = NULL;
	if (ar->error != NULL) {
		op_fail(op, xprintf("assuming role %s: %s", op->role_arn,
		    ar->error));
		return;
	}
	path = xprintf("%sResponse/%sResult/Credentials", op->action,
	    op->action);
	cj = xml_path(ar->body, path);
	free(path);
	if (cj == NULL) {
		op_fail(op, xprintf("assuming role %s: STS %s answer has no "
		    "Credentials", op->role_arn, op->action));
		return;
	}
	cr = creds_make(json_string_value(json_object_get(cj, "AccessKeyId")),
	    json_string_value(json_object_get(cj, "SecretAccessKey")),
	    json_string_value(json_object_get(cj, "SessionToken")),
	    json_string_value(json_object_get(cj, "Expiration")), &cause);
	if (cr == NULL) {
		op_fail(op, xprintf("assuming role %s: STS %s answer: %s",
		    op->role_arn, op->action, cause));
		free(cause);
		return;
	}
	aws_credentials_free(op->have);
	op->have = cr;
	op_continue(op);
}

/* AssumeRole for one role, signed by client's credentials. */
static void
op_assume(struct creds_op *op, struct aws_client *client,
    const struct creds_role *role)
{
	struct aws_param	 p[4];
	char			*dur;
	size_t			 n = 0;

	dur = xprintf("%d", role->duration > 0 ? role->duration :
	    CREDS_DURATION);
	p[n].name = "RoleArn";
	p[n++].value = role->role_arn;
	p[n].name = "RoleSessionName";
	p[n++].value = role->session_name != NULL ? role->session_name :
	    CREDS_SESSION_NAME;
	p[n].name = "DurationSeconds";
	p[n++].value = dur;
	if (role->external_id != NULL) {
		p[n].name = "ExternalId";
		p[n++].value = role->external_id;
	}
	op->action = "AssumeRole";
	op->role_arn = role->role_arn;
	op->call = aws_query_call(client, "AssumeRole", p, n, op_sts_done, op);
	free(dur);
}

/* The next role of the plan, signed with what the last step gave. */
static void
op_assume_next(struct creds_op *op)
{
	struct aws_creds	*c = op->c;
	struct creds_plan	*plan = op->plan;
	struct aws_creds	*signer;

	signer = creds_new(c->base, c->http, CREDS_STATIC);
	signer->cur = op->have;
	op->have = NULL;
	op->signer = signer;
	op->client = aws_client_new(c->http, &aws_service_sts, plan->region,
	    c->sts_endpoint, signer);
	op_assume(op, op->client, &plan->roles[op->next_role++]);
}

/* AssumeRoleWithWebIdentity: unsigned, with the token read afresh. */
static void
op_web_identity(struct creds_op *op)
{
	struct aws_creds	*c = op->c;
	struct creds_plan	*plan = op->plan;
	struct aws_param	 p[4];
	char			*token, *dur, *cause = NULL;

	if ((token = creds_read_token("web identity token",
	    plan->token_file, &cause)) == NULL) {
		op_fail(op, cause);
		return;
	}
	dur = xprintf("%d", plan->web.duration > 0 ? plan->web.duration :
	    CREDS_DURATION);
	p[0].name = "RoleArn";
	p[0].value = plan->web.role_arn;
	p[1].name = "RoleSessionName";
	p[1].value = plan->web.session_name != NULL ?
	    plan->web.session_name : CREDS_SESSION_NAME;
	p[2].name = "WebIdentityToken";
	p[2].value = token;
	p[3].name = "DurationSeconds";
	p[3].value = dur;
	op->client = aws_client_new(c->http, &aws_service_sts, plan->region,
	    c->sts_endpoint, NULL);
	op->action = "AssumeRoleWithWebIdentity";
	op->role_arn = plan->web.role_arn;
	op->call = aws_query_call(op->client, op->action, p, nitems(p),
	    op_sts_done, op);
	freezero_str(token);
	free(dur);
}

/* Credentials from a JSON answer (container, IMDS). */
static struct aws_credentials *
creds_from_json(const struct http_response *r, char **cause)
{
	struct aws_credentials	*cr;
	json_error_t		 jerr;
	json_t			*j;
	const char		*code;

	if ((j = json_loadb(r->body != NULL ? r->body : "", r->len, 0,
	    &jerr)) == NULL || !json_is_object(j)) {
		*cause = xstrdup("the answer is not a JSON object");
		json_decref(j);
		return NULL;
	}
	code = json_string_value(json_object_get(j, "Code"));
	if (code != NULL && strcmp(code, "Success") != 0) {
		*cause = xprintf("Code is %s", code);
		json_decref(j);
		return NULL;
	}
	cr = creds_make(json_string_value(json_object_get(j, "AccessKeyId")),
	    json_string_value(json_object_get(j, "SecretAccessKey")),
	    json_string_value(json_object_get(j, "Token")),
	    json_string_value(json_object_get(j, "Expiration")), cause);
	json_decref(j);
	return cr;
}

/* The body of an answer held secrets: wipe it before the client frees it. */
static void
creds_wipe_response(struct http_response *r)
{
	creds_wipe(r->body, r->len);
}

static void
op_container_done(struct http_response *r, void *arg)
{
	struct creds_op		*op = arg;
	struct aws_credentials	*cr;
	json_t			*j;
	const char		*code, *msg;
	char			*url, *cause = NULL;

	op->req = NULL;
	url = http_redact_url(op->plan->container_url);
	if (r->status == 0) {
		op_fail(op, xprintf("container credentials at %s: %s", url,
		    r->error != NULL ? r->error : "no answer"));
	} else if (r->status != 200) {
		code = msg = NULL;
		j = json_loadb(r->body != NULL ? r->body : "", r->len, 0, NULL);
		if (json_is_object(j)) {
			if ((code = json_string_value(json_object_get(j,
			    "code"))) == NULL)
				code = json_string_value(json_object_get(j,
				    "Code"));
			if ((msg = json_string_value(json_object_get(j,
			    "message"))) == NULL)
				msg = json_string_value(json_object_get(j,
				    "Message"));
		}
		op_fail(op, xprintf("container credentials at %s: HTTP %ld%s%s"
		    "%s%s", url, r->status, code != NULL ? " " : "",
		    code != NULL ? code : "", msg != NULL ? ": " : "",
		    msg != NULL ? msg : ""));
		json_decref(j);
	} else if ((cr = creds_from_json(r, &cause)) == NULL) {
		op_fail(op, xprintf("container credentials at %s: %s", url,
		    cause));
		free(cause);
	} else {
		op->have = cr;
		op_continue(op);
	}
	creds_wipe_response(r);
	free(url);
}

/* The container credentials endpoint, with its authorization token. */
static void
op_container(struct creds_op *op)
{
	struct aws_creds		*c = op->c;
	struct http_request		*req;
	struct http_retry_policy	 policy = http_retry_standard;
	const char			*file, *v;
	char				*auth = NULL, *cause = NULL;

	if ((file = creds_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) !=
	    NULL) {
		if ((auth = creds_read_token("container authorization token",
		    file, &cause)) == NULL) {
			op_fail(op, cause);
			return;
		}
	} else if ((v = creds_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")) !=
	    NULL) {
		if (strchr(v, '\r') != NULL || strchr(v, '\n') != NULL) {
			op_fail(op, xstrdup("AWS_CONTAINER_AUTHORIZATION_TOKEN "
			    "holds a line break"));
			return;
		}
		auth = xstrdup(v);
	}
	req = http_request_new(c->http, "GET", op->plan->container_url);
	http_request_header(req, "Accept", "application/json");
	if (auth != NULL)
		http_request_header(req, "Authorization", auth);
	freezero_str(auth);
	http_request_timeout(req, CONTAINER_TIMEOUT_MS, CONTAINER_CONNECT_MS);
	http_request_max_response(req, CREDS_MAX_BODY);
	policy.max_attempts = CONTAINER_ATTEMPTS;
	policy.base_ms = 200;
	policy.max_backoff_ms = 1000;
	http_request_retry(req, &policy);
	op->req = req;
	http_request_start(req, op_container_done, op);
}

static int64_t
creds_env_int(const char *name, int64_t def, int64_t min, int64_t max)
{
	const char	*v, *why;
	int64_t		 n;

	if ((v = creds_getenv(name)) == NULL || parse_int(v, &n, &why) != 0 ||
	    n < min || n > max)
		return def;
	return n;
}

/* An IMDS failure: not found (unreachable, no role) or an error. */
static void
op_imds_fail(struct creds_op *op, bool absent, char *what)
{
	if (absent && op->plan->imds_optional) {
		op_fail(op, xprintf("no AWS credentials found; tried: %s; "
		    "EC2 instance metadata (%s)", op->plan->tried != NULL ?
		    op->plan->tried : "nothing else", what));
	} else
		op_fail(op, xprintf("EC2 instance metadata at %s: %s",
		    op->imds_endpoint, what));
	free(what);
}

/* A role name is a path segment: IAM's characters only. */
static bool
creds_role_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) &&
		    strchr("+=,.@_-", *s) == NULL)
			return false;
	}
	return true;
}

static void
op_imds_done(struct http_response *r, void *arg)
{
	struct creds_op		*op = arg;
	struct aws_creds	*c = op->c;
	struct aws_credentials	*cr;
	char			*body, *line, *cause = NULL;

	op->req = NULL;
	if (r->status == 0) {
		op_imds_fail(op, op->imds_step == IMDS_TOKEN, xprintf("%s",
		    r->error != NULL ? r->error : "no answer"));
		goto out;
	}
	if (r->status == 401 && op->imds_step != IMDS_TOKEN &&
	    !op->imds_retried) {
		/* The token expired or was refused: one new one. */
		op->imds_retried = true;
		freezero_str(c->imds_token);
		c->imds_token = NULL;
		op->imds_step = IMDS_TOKEN;
		op_imds_request(op);
		goto out;
	}
	if (r->status == 404 && op->imds_step == IMDS_ROLE) {
		op_imds_fail(op, true, xstrdup("no IAM role is attached to "
		    "this instance"));
		goto out;
	}
	if (r->status != 200) {
		op_imds_fail(op, false, xprintf("%s: HTTP %ld",
		    op->imds_step == IMDS_TOKEN ? "token request" :
		    op->imds_step == IMDS_ROLE ? "role listing" :
		    "credentials request", r->status));
		goto out;
	}

	switch (op->imds_step) {
	case IMDS_TOKEN:
		body = xstrndup(r->body != NULL ? r->body : "", r->len);
		line = creds_trim(body);
		if (*line == '\0' || strpbrk(line, "\r\n") != NULL) {
			op_imds_fail(op, false, xstrdup("token request: not "
			    "a token"));
			freezero_str(body);
			goto out;
		}
		freezero_str(c->imds_token);
		c->imds_token = xstrdup(line);
		c->imds_token_until = mono_ms() +
		    (IMDS_TOKEN_TTL - 60) * 1000LL;
		freezero_str(body);
		op->imds_step = IMDS_ROLE;
		op_imds_request(op);
		break;
	case IMDS_ROLE:
		body = xstrndup(r->body != NULL ? r->body : "", r->len);
		line = creds_trim(body);
		line[strcspn(line, "\r\n")] = '\0';
		line = creds_trim(line);
		if (*line == '\0') {
			op_imds_fail(op, true, xstrdup("no IAM role is "
			    "attached to this instance"));
		} else if (!creds_role_name_ok(line)) {
			op_imds_fail(op, false, xstrdup("role listing: not a "
			    "role name"));
		} else {
			free(op->imds_role);
			op->imds_role = xstrdup(line);
			if (op->plan->nroles == 0) {
				free(op->desc);
				op->desc = xprintf("EC2 instance metadata "
				    "(role %s)", line);
			}
			op->imds_step = IMDS_CREDENTIALS;
			op_imds_request(op);
		}
		free(body);
		break;
	case IMDS_CREDENTIALS:
		if ((cr = creds_from_json(r, &cause)) == NULL) {
			op_imds_fail(op, false, xprintf("credentials of role "
			    "%s: %s", op->imds_role, cause));
			free(cause);
			break;
		}
		op->have = cr;
		op_continue(op);
		break;
	}
out:
	creds_wipe_response(r);
}

/* The request of the current IMDS step. */
static void
op_imds_request(struct creds_op *op)
{
	struct aws_creds		*c = op->c;
	struct http_request		*req;
	struct http_retry_policy	 policy = http_retry_standard;
	char				*url, *ttl;
	int64_t				 timeout;

	if (op->imds_step != IMDS_TOKEN && (c->imds_token == NULL ||
	    mono_ms() >= c->imds_token_until))
		op->imds_step = IMDS_TOKEN;
	switch (op->imds_step) {
	case IMDS_TOKEN:
		url = xprintf("%s%s", op->imds_endpoint, IMDS_TOKEN_PATH);
		req = http_request_new(c->http, "PUT", url);
		ttl = xprintf("%d", IMDS_TOKEN_TTL);
		http_request_header(req, "X-aws-ec2-metadata-token-ttl-seconds",
		    ttl);
		free(ttl);
		break;
	case IMDS_ROLE:
		url = xprintf("%s%s", op->imds_endpoint, IMDS_CREDS_PATH);
		req = http_request_new(c->http, "GET", url);
		http_request_header(req, "X-aws-ec2-metadata-token",
		    c->imds_token);
		break;
	default:
		url = xprintf("%s%s%s", op->imds_endpoint, IMDS_CREDS_PATH,
		    op->imds_role);
		req = http_request_new(c->http, "GET", url);
		http_request_header(req, "X-aws-ec2-metadata-token",
		    c->imds_token);
		break;
	}
	free(url);
	/* Short: off EC2, nobody answers, and the chain must not hang. */
	timeout = creds_env_int("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60) *
	    1000;
	http_request_timeout(req, timeout * 2, timeout);
	http_request_max_response(req, CREDS_MAX_BODY);
	policy.max_attempts = (int)creds_env_int(
	    "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 2, 1, 10);
	policy.base_ms = 100;
	policy.max_backoff_ms = 500;
	policy.max_retry_after_ms = 1000;
	http_request_retry(req, &policy);
	op->req = req;
	http_request_start(req, op_imds_done, op);
}

static void
op_imds(struct creds_op *op)
{
	const char	*v;
	size_t		 len;

	if ((v = creds_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")) == NULL) {
		v = creds_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		v = v != NULL && strcasecmp(v, "IPv6") == 0 ?
		    IMDS_ENDPOINT_IPV6 : IMDS_ENDPOINT;
	}
	len = strlen(v);
	while (len > 0 && v[len - 1] == '/')
		len--;
	op->imds_endpoint = xstrndup(v, len);
	op->imds_step = IMDS_ROLE;	/* IMDS_TOKEN unless one is cached */
	op_imds_request(op);
}

/* The next step of an operation, from the loop. */
static void
op_step_cb(evutil_socket_t fd, short events, void *arg)
{
	struct creds_op		*op = arg;
	struct aws_creds	*c = op->c;
	struct aws_credentials	*cr;
	char			*err;

	/* What signed the last step is no longer needed. */
	aws_client_free(op->client);
	op->client = NULL;
	aws_creds_free(op->signer);
	op->signer = NULL;

	if (op->error == NULL && op->have != NULL && op->plan != NULL &&
	    op->next_role < op->plan->nroles) {
		op_assume_next(op);
		return;
	}
	cr = op->have;
	op->have = NULL;
	err = op->error;
	op->error = NULL;
	if (cr != NULL) {
		free(cr->source);
		cr->source = xstrdup(op->desc);
	} else if (err == NULL)
		err = xstrdup("no credentials");
	c->op = NULL;
	op_free(op);
	creds_fetch_done(c, cr, err);
}

/* Go on with the next step (or finish), from the loop. */
static void
op_continue(struct creds_op *op)
{
	static const struct timeval	 zero = { 0, 0 };

	if (op->step == NULL &&
	    (op->step = evtimer_new(op->c->base, op_step_cb, op)) == NULL)
		fatalx("evtimer_new: out of memory");
	evtimer_add(op->step, &zero);
}

/* Start a fetch now. */
static void
creds_start_fetch(struct aws_creds *c)
{
	struct creds_op		*op;
	struct creds_plan	*plan;
	char			*cause = NULL;

	op = xcalloc(1, sizeof *op);
	op->c = c;
	c->op = op;
	switch (c->kind) {
	case CREDS_STATIC:
		op->desc = xstrdup("static");
		op_fail(op, xstrdup(c->cur == NULL && c->last_error != NULL ?
		    c->last_error : "the static credentials were refused as "
		    "expired"));
		return;
	case CREDS_ASSUME_ROLE:
		op->desc = xprintf("role %s", c->role.role_arn);
		op_assume(op, c->sts, &c->role);
		return;
	case CREDS_CHAIN:
		break;
	}

	plan = op->plan = xcalloc(1, sizeof *plan);
	if (creds_chain_plan(c, plan, &cause) != 0) {
		op->desc = xstrdup("none");
		op_fail(op, cause);
		return;
	}
	op->desc = xstrdup(plan->desc);
	switch (plan->base) {
	case BASE_KEYS:
		op->have = creds_dup(plan->keys);
		op_continue(op);
		break;
	case BASE_WEB_IDENTITY:
		op_web_identity(op);
		break;
	case BASE_CONTAINER:
		op_container(op);
		break;
	case BASE_IMDS:
		op_imds(op);
		break;
	case BASE_NONE:
		op_fail(op, xprintf("no AWS credentials found; tried: %s",
		    plan->tried));
		break;
	}
}

/* Start a fetch unless one runs, or a failed one is backing off. */
static void
creds_kick(struct aws_creds *c)
{
	if (c->op != NULL || c->dying)
		return;
	if (c->failures > 0 && mono_ms() < c->retry_mono)
		return;
	creds_start_fetch(c);
}

static bool
creds_usable(const struct aws_creds *c)
{
	if (c->cur == NULL || c->invalid)
		return false;
	if (c->kind == CREDS_STATIC || c->cur->expires_ms == 0)
		return true;
	return creds_now() < c->stale_ms;
}

static const char *
creds_name(const struct aws_creds *c)
{
	switch (c->kind) {
	case CREDS_ASSUME_ROLE:
		return c->role.role_arn;
	case CREDS_STATIC:
		return "static";
	default:
		return "chain";
	}
}

static void
creds_arm(struct aws_creds *c, int64_t ms)
{
	struct timeval	 tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* A fetch is over: keep what it gave, or its error; tell the waiters. */
static void
creds_fetch_done(struct aws_creds *c, struct aws_credentials *cr, char *err)
{
	int64_t	 now = creds_now(), life, margin, delay, backoff;
	char	*t, *mask;
	bool	 news;

	if (cr != NULL && cr->expires_ms != 0 &&
	    cr->expires_ms <= now + CREDS_MIN_REFRESH_MS) {
		t = time_iso8601(cr->expires_ms);
		err = xprintf("credentials from %s expired at %s", cr->source,
		    t);
		free(t);
		aws_credentials_free(cr);
		cr = NULL;
	}

	if (cr == NULL) {
		c->failures++;
		if (c->last_error == NULL || strcmp(c->last_error, err) != 0)
			log_warnx("AWS credentials (%s): %s", creds_name(c),
			    err);
		else
			log_debug("AWS credentials (%s): %s (again, %d in a "
			    "row)", creds_name(c), err, c->failures);
		free(c->last_error);
		c->last_error = err;
		c->last_error_ms = now;
		/* Exponential backoff, jittered: half of it, then random. */
		backoff = CREDS_RETRY_MAX_MS;
		if (c->failures < 20)
			backoff = CREDS_RETRY_BASE_MS << (c->failures - 1);
		if (backoff > CREDS_RETRY_MAX_MS)
			backoff = CREDS_RETRY_MAX_MS;
		delay = backoff / 2 + creds_random((uint32_t)(backoff / 2) + 1);
		c->retry_mono = mono_ms() + delay;
		if (c->kind != CREDS_STATIC) {
			/* The retry, even if nobody asks meanwhile. */
			c->next_refresh_ms = now + delay;
			creds_arm(c, delay);
		}
		goto notify;
	}

	news = c->cur == NULL || c->cur->source == NULL ||
	    strcmp(c->cur->source, cr->source) != 0 ||
	    strcmp(c->cur->access_key_id, cr->access_key_id) != 0;
	aws_credentials_free(c->cur);
	c->cur = cr;
	c->invalid = false;
	c->failures = 0;
	c->retry_mono = 0;
	c->refreshed_ms = now;
	evtimer_del(c->timer);
	if (cr->expires_ms == 0) {
		c->stale_ms = INT64_MAX;
		c->next_refresh_ms = 0;
	} else {
		/*
		 * Good until the margin before expiry (half the life left,
		 * when that is shorter); refreshed at 80% of the life, or
		 * at the margin, whichever comes first.
		 */
		life = cr->expires_ms - now;
		margin = life / 2 < CREDS_REFRESH_MARGIN_MS ? life / 2 :
		    CREDS_REFRESH_MARGIN_MS;
		c->stale_ms = cr->expires_ms - margin;
		delay = life * 4 / 5 < life - margin ? life * 4 / 5 :
		    life - margin;
		if (delay < CREDS_MIN_REFRESH_MS)
			delay = CREDS_MIN_REFRESH_MS;
		c->next_refresh_ms = now + delay;
		if (c->kind != CREDS_STATIC)
			creds_arm(c, delay);
	}
	mask = aws_creds_mask(cr->access_key_id);
	t = cr->expires_ms != 0 ? time_iso8601(cr->expires_ms) : NULL;
	if (news)
		log_info("AWS credentials (%s): from %s, access key %s, %s%s",
		    creds_name(c), cr->source, mask, t != NULL ?
		    "valid until " : "long-term", t != NULL ? t : "");
	else
		log_debug("AWS credentials (%s): refreshed, valid until %s",
		    creds_name(c), t != NULL ? t : "-");
	free(mask);
	free(t);

notify:
	if (!TAILQ_EMPTY(&c->waiters))
		creds_schedule_notify(c);
}

/* The timer: refresh before expiry, or retry after a failure. */
static void
creds_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct aws_creds	*c = arg;

	if (c->op == NULL && !c->dying)
		creds_start_fetch(c);
}

/* Hand the credentials, or the error, to the waiters. */
static void
creds_notify_cb(evutil_socket_t fd, short events, void *arg)
{
	struct aws_creds		*c = arg;
	struct creds_waiter		*w;
	const struct aws_credentials	*cr;
	const char			*err;
	aws_creds_cb			 cb;
	void				*cbarg;
	uint64_t			 limit = c->seq;

	c->busy++;
	while (!c->dying && (w = TAILQ_FIRST(&c->waiters)) != NULL &&
	    w->seq < limit) {
		cr = NULL;
		err = NULL;
		if (creds_usable(c))
			cr = c->cur;
		else {
			creds_kick(c);
			if (c->op != NULL)
				break;	/* the fetch will tell them */
			err = c->last_error != NULL ? c->last_error :
			    "no AWS credentials";
		}
		TAILQ_REMOVE(&c->waiters, w, entry);
		cb = w->cb;
		cbarg = w->arg;
		free(w);
		cb(cr, err, cbarg);
	}
	c->busy--;
	if (c->dying) {
		if (c->busy == 0)
			creds_destroy(c);
		return;
	}
	/* Waiters added by the callbacks: another round, from the loop. */
	if ((w = TAILQ_FIRST(&c->waiters)) != NULL && c->op == NULL)
		creds_schedule_notify(c);
}

static void
creds_schedule_notify(struct aws_creds *c)
{
	static const struct timeval	 zero = { 0, 0 };

	evtimer_add(c->notify, &zero);
}

static struct aws_creds *
creds_new(struct event_base *base, struct http *http, enum creds_kind kind)
{
	struct aws_creds	*c;

	c = xcalloc(1, sizeof *c);
	c->kind = kind;
	c->base = base;
	c->http = http;
	TAILQ_INIT(&c->waiters);
	if ((c->timer = evtimer_new(base, creds_timer_cb, c)) == NULL ||
	    (c->notify = evtimer_new(base, creds_notify_cb, c)) == NULL)
		fatalx("evtimer_new: out of memory");
	return c;
}

/*
 * The standard chain.  Nothing is fetched until credentials are asked for
 * (aws_creds_current or aws_creds_wait).
 */
struct aws_creds *
aws_creds_chain_new(struct event_base *base, struct http *http,
    const struct aws_creds_options *opts)
{
	struct aws_creds	*c;
	size_t			 len;

	c = creds_new(base, http, CREDS_CHAIN);
	if (opts != NULL) {
		if (opts->profile != NULL && *opts->profile != '\0')
			c->profile = xstrdup(opts->profile);
		if (opts->region != NULL && *opts->region != '\0')
			c->region = xstrdup(opts->region);
		if (opts->sts_endpoint != NULL && *opts->sts_endpoint != '\0')
			c->sts_endpoint = xstrdup(opts->sts_endpoint);
		if (opts->container_endpoint != NULL) {
			len = strlen(opts->container_endpoint);
			while (len > 0 &&
			    opts->container_endpoint[len - 1] == '/')
				len--;
			c->container_endpoint = xstrndup(
			    opts->container_endpoint, len);
		}
	}
	return c;
}

/*
 * A role assumed with another provider's credentials (borrowed: it must
 * outlive this one), for one account.  external_id, session_name, region
 * and sts_endpoint may be NULL.
 */
struct aws_creds *
aws_creds_assume_role_new(struct aws_creds *source, const char *role_arn,
    const char *external_id, const char *session_name, const char *region,
    const char *sts_endpoint)
{
	struct aws_creds	*c;
	const char		*r;

	c = creds_new(source->base, source->http, CREDS_ASSUME_ROLE);
	c->source = source;
	c->role.role_arn = xstrdup(role_arn);
	if (external_id != NULL && *external_id != '\0')
		c->role.external_id = xstrdup(external_id);
	c->role.session_name = xstrdup(session_name != NULL &&
	    *session_name != '\0' ? session_name : CREDS_SESSION_NAME);
	c->role.duration = CREDS_DURATION;
	if ((r = region) == NULL || *r == '\0') {
		if ((r = creds_getenv("AWS_REGION")) == NULL &&
		    (r = creds_getenv("AWS_DEFAULT_REGION")) == NULL)
			r = CREDS_DEFAULT_REGION;
	}
	c->region = xstrdup(r);
	c->sts = aws_client_new(source->http, &aws_service_sts, c->region,
	    sts_endpoint, source);
	return c;
}

/* Fixed keys (copied); they never expire. */
struct aws_creds *
aws_creds_static_new(struct event_base *base, struct http *http,
    const char *akid, const char *secret, const char *token)
{
	struct aws_creds	*c;
	char			*cause = NULL;

	c = creds_new(base, http, CREDS_STATIC);
	if ((c->cur = creds_make(akid, secret, token, NULL, &cause)) == NULL) {
		c->last_error = xprintf("static credentials: %s", cause);
		free(cause);
	} else {
		c->cur->source = xstrdup("static");
		c->refreshed_ms = creds_now();
	}
	return c;
}

/*
 * The credentials, if they are good for more than the refresh margin;
 * else NULL, and a fetch starts (unless one runs or a failed one is
 * backing off).
 */
const struct aws_credentials *
aws_creds_current(struct aws_creds *c)
{
	if (creds_usable(c))
		return c->cur;
	creds_kick(c);
	return NULL;
}

/*
 * Call cb from the loop (never from here) with the credentials, as soon
 * as there are some, or with the error of the fetch that failed.
 */
void
aws_creds_wait(struct aws_creds *c, aws_creds_cb cb, void *arg)
{
	struct creds_waiter	*w;

	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	w->seq = c->seq++;
	TAILQ_INSERT_TAIL(&c->waiters, w, entry);
	if (creds_usable(c)) {
		creds_schedule_notify(c);
		return;
	}
	creds_kick(c);
	if (c->op == NULL)
		creds_schedule_notify(c);	/* backing off: the error */
}

void
aws_creds_cancel_wait(struct aws_creds *c, aws_creds_cb cb, void *arg)
{
	struct creds_waiter	*w;

	TAILQ_FOREACH(w, &c->waiters, entry) {
		if (w->cb == cb && w->arg == arg) {
			TAILQ_REMOVE(&c->waiters, w, entry);
			free(w);
			return;
		}
	}
}

/*
 * The credentials were refused as expired: the next current() says NULL
 * and fetches new ones (now, even if a failed fetch is backing off).
 */
void
aws_creds_invalidate(struct aws_creds *c)
{
	c->retry_mono = 0;
	if (c->cur == NULL || c->invalid)
		return;
	log_debug("AWS credentials (%s): invalidated", creds_name(c));
	c->invalid = true;
}

/* What status shows: never a secret. */
json_t *
aws_creds_status(struct aws_creds *c)
{
	static const char *const kinds[] = { "chain", "assume-role",
	    "static" };
	json_t		*o;
	const char	*state, *v;
	char		*s;

	o = json_object();
	json_object_set_new(o, "provider", json_string(kinds[c->kind]));
	if (c->kind == CREDS_ASSUME_ROLE) {
		json_object_set_new(o, "role_arn",
		    json_string(c->role.role_arn));
		json_object_set_new(o, "session_name",
		    json_string(c->role.session_name));
		json_object_set_new(o, "region", json_string(c->region));
	} else if (c->kind == CREDS_CHAIN) {
		if ((v = c->profile) == NULL &&
		    (v = creds_getenv("AWS_PROFILE")) == NULL &&
		    (v = creds_getenv("AWS_DEFAULT_PROFILE")) == NULL)
			v = "default";
		json_object_set_new(o, "profile", json_string(v));
	}

	if (creds_usable(c))
		state = "valid";
	else if (c->op != NULL)
		state = "refreshing";
	else if (c->cur != NULL && c->invalid)
		state = "invalidated";
	else if (c->cur != NULL && c->failures == 0)
		state = "stale";
	else if (c->failures > 0)
		state = "error";
	else
		state = "none";
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "refreshing", json_boolean(c->op != NULL));

	if (c->cur != NULL) {
		json_object_set_new(o, "source", json_string(c->cur->source));
		s = aws_creds_mask(c->cur->access_key_id);
		json_object_set_new(o, "access_key_id", json_string(s));
		free(s);
		json_object_set_new(o, "temporary",
		    json_boolean(c->cur->session_token != NULL));
		if (c->cur->expires_ms != 0) {
			s = time_iso8601(c->cur->expires_ms);
			json_object_set_new(o, "expires_at", json_string(s));
			free(s);
		} else
			json_object_set_new(o, "expires_at", json_null());
		s = time_iso8601(c->refreshed_ms);
		json_object_set_new(o, "refreshed_at", json_string(s));
		free(s);
	} else {
		json_object_set_new(o, "source", json_null());
		json_object_set_new(o, "expires_at", json_null());
		json_object_set_new(o, "refreshed_at", json_null());
	}
	if (c->next_refresh_ms != 0 && c->kind != CREDS_STATIC) {
		s = time_iso8601(c->next_refresh_ms);
		json_object_set_new(o, "next_refresh_at", json_string(s));
		free(s);
	}
	json_object_set_new(o, "failures", json_integer(c->failures));
	if (c->last_error != NULL) {
		json_object_set_new(o, "last_error",
		    json_string(c->last_error));
		s = time_iso8601(c->last_error_ms);
		json_object_set_new(o, "last_error_at", json_string(s));
		free(s);
	} else
		json_object_set_new(o, "last_error", json_null());
	return o;
}

static void
creds_destroy(struct aws_creds *c)
{
	struct creds_waiter	*w;

	op_free(c->op);
	c->op = NULL;
	while ((w = TAILQ_FIRST(&c->waiters)) != NULL) {
		TAILQ_REMOVE(&c->waiters, w, entry);
		free(w);
	}
	event_free(c->timer);
	event_free(c->notify);
	aws_client_free(c->sts);
	creds_role_clear(&c->role);
	aws_credentials_free(c->cur);
	freezero_str(c->imds_token);
	free(c->profile);
	free(c->region);
	free(c->sts_endpoint);
	free(c->container_endpoint);
	free(c->last_error);
	free(c);
}

/*
 * Cancel everything in flight (no callbacks) and free the provider.  Free
 * assumed-role providers before the provider they borrow, and all of them
 * before the HTTP client.
 */
void
aws_creds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	if (c->busy > 0) {
		/* Inside one of our callbacks: finish from there. */
		c->dying = true;
		op_free(c->op);
		c->op = NULL;
		evtimer_del(c->timer);
		return;
	}
	creds_destroy(c);
}
