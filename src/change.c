/*
 * change.c: the normalised change event, and the knowledge about events that
 * is data: which calls are read-only, which service an event source is, what
 * the Config item statuses are called.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vigil.h"
#include "change.h"

/*
 * Calls that read and change nothing, by the first word of their name, for
 * records without a readOnly field.  CloudTrail's own readOnly is the
 * reference: the prefixes are the verbs it marks read-only across services
 * (Get, List, Describe ...), and the KMS and STS calls it also marks so,
 * because they create no resource (Decrypt, GenerateDataKey, AssumeRole).
 * A prefix matches a whole word: "Get" matches GetObject, not Getaway.
 */
static const char *const change_read_only_prefixes[] = {
	"AssumeRole",
	"BatchGet",
	"Decrypt",
	"Describe",
	"Download",
	"Encrypt",
	"Estimate",
	"GenerateDataKey",
	"GenerateRandom",
	"Get",
	"Head",
	"List",
	"Lookup",
	"Preview",
	"Query",
	"ReEncrypt",
	"Scan",
	"Search",
	"Select",
	"Simulate",
	"Validate",
};

static const struct {
	enum change_config_status	 status;
	const char			*name;
} change_config_statuses[] = {
	{ CHANGE_CONFIG_NONE, "" },
	{ CHANGE_CONFIG_OK, "OK" },
	{ CHANGE_CONFIG_DISCOVERED, "ResourceDiscovered" },
	{ CHANGE_CONFIG_DELETED, "ResourceDeleted" },
	{ CHANGE_CONFIG_NOT_RECORDED, "ResourceNotRecorded" },
	{ CHANGE_CONFIG_DELETED_NOT_RECORDED, "ResourceDeletedNotRecorded" },
	{ CHANGE_CONFIG_UNKNOWN, "unknown" },
};

static const char *const change_kinds[] = {
	[CHANGE_API_CALL] = "api_call",
	[CHANGE_CONSOLE_SIGNIN] = "console_signin",
	[CHANGE_CONFIG_ITEM] = "config_item",
	[CHANGE_OTHER] = "other",
};

struct change_event *
change_new(enum change_provider provider, enum change_kind kind)
{
	struct change_event	*ev;

	ev = xcalloc(1, sizeof *ev);
	ev->provider = provider;
	ev->kind = kind;
	return ev;
}

void
change_free(struct change_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->id);
	free(ev->account);
	free(ev->region);
	free(ev->service);
	free(ev->source);
	free(ev->name);
	free(ev->type);
	free(ev->detail_type);
	free(ev->error_code);
	free(ev->error_message);
	free(ev->actor.arn);
	free(ev->actor.type);
	free(ev->actor.principal_id);
	free(ev->actor.account);
	free(ev->actor.user_name);
	free(ev->actor.invoked_by);
	free(ev->actor.issuer_arn);
	free(ev->source_ip);
	free(ev->user_agent);
	free(ev->request_id);
	free(ev->resource_type);
	free(ev->resource_id);
	free(ev->resource_arn);
	free(ev->resource_name);
	free(ev->config_state);
	free(ev->change_type);
	free(ev->raw);
	free(ev);
}

/* Copy the raw record (NUL-terminated: it is text). */
void
change_set_raw(struct change_event *ev, const char *raw, size_t len)
{
	free(ev->raw);
	ev->raw = xmalloc(len + 1);
	memcpy(ev->raw, raw, len);
	ev->raw[len] = '\0';
	ev->raw_len = len;
}

/* The first byte of a span, or NULL if the span is absent or invalid. */
const char *
change_span_ptr(const struct change_event *ev, const struct change_span *sp)
{
	if (sp->len == 0 || ev->raw == NULL || sp->off > ev->raw_len ||
	    sp->len > ev->raw_len - sp->off)
		return NULL;
	return ev->raw + sp->off;
}

/*
 * Can this event have changed an asset?  A configuration item always says
 * what a resource is now; an API call only if it was not read-only and did
 * not fail.  Sign-ins and other events change no asset by themselves.
 */
bool
change_affects_assets(const struct change_event *ev)
{
	switch (ev->kind) {
	case CHANGE_CONFIG_ITEM:
		return true;
	case CHANGE_API_CALL:
		return !ev->read_only && ev->error_code == NULL;
	default:
		return false;
	}
}

const char *
change_provider_name(enum change_provider provider)
{
	return provider == CHANGE_AZURE ? "azure" : "aws";
}

const char *
change_kind_name(enum change_kind kind)
{
	if ((size_t)kind >= nitems(change_kinds))
		return "unknown";
	return change_kinds[kind];
}

int
change_kind_parse(const char *s, enum change_kind *kind)
{
	size_t	 i;

	for (i = 0; i < nitems(change_kinds); i++) {
		if (strcmp(s, change_kinds[i]) == 0) {
			*kind = (enum change_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *
change_config_status_name(enum change_config_status status)
{
	size_t	 i;

	for (i = 0; i < nitems(change_config_statuses); i++) {
		if (change_config_statuses[i].status == status)
			return change_config_statuses[i].name;
	}
	return "unknown";
}

/* A configurationItemStatus; CHANGE_CONFIG_UNKNOWN for one not known. */
enum change_config_status
change_config_status_parse(const char *s)
{
	size_t	 i;

	for (i = 1; i < nitems(change_config_statuses) - 1; i++) {
		if (strcmp(s, change_config_statuses[i].name) == 0)
			return change_config_statuses[i].status;
	}
	return CHANGE_CONFIG_UNKNOWN;
}

/* Is a call of this name read-only?  See change_read_only_prefixes. */
bool
change_name_read_only(const char *name)
{
	size_t	 i, len;
	char	 next;

	for (i = 0; i < nitems(change_read_only_prefixes); i++) {
		len = strlen(change_read_only_prefixes[i]);
		if (strncmp(name, change_read_only_prefixes[i], len) != 0)
			continue;
		next = name[len];
		if (next == '\0' || (next >= 'A' && next <= 'Z') ||
		    (next >= '0' && next <= '9'))
			return true;
	}
	return false;
}

/*
 * The service of an event source: "ec2" for CloudTrail's
 * "ec2.amazonaws.com" (and ".amazonaws.com.cn"), "guardduty" for
 * EventBridge's "aws.guardduty"; anything else is its own service.
 */
char *
change_service(const char *source)
{
	const char	*dot;

	if (strncmp(source, "aws.", 4) == 0 && source[4] != '\0')
		return xstrdup(source + 4);
	if ((dot = strchr(source, '.')) != NULL && dot != source &&
	    (strcmp(dot, ".amazonaws.com") == 0 ||
	    strcmp(dot, ".amazonaws.com.cn") == 0))
		return xstrndup(source, (size_t)(dot - source));
	return xstrdup(source);
}

static int
change_digits(const char *s, size_t len, size_t *i, size_t n, int *v)
{
	size_t	 k;

	if (*i + n > len)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++) {
		if (s[*i + k] < '0' || s[*i + k] > '9')
			return -1;
		*v = *v * 10 + (s[*i + k] - '0');
	}
	*i += n;
	return 0;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant). */
static int64_t
change_days(int64_t y, int m, int d)
{
	int64_t		 era;
	unsigned int	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (unsigned int)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Parse an RFC 3339 time into ms since the epoch: YYYY-MM-DDThh:mm:ss with
 * an optional fraction (to the ms, truncated) and zone (Z or +hh:mm; none
 * means UTC).  A space for the T is accepted: some exports write one.
 */
int
change_time_parse(const char *s, size_t len, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	size_t		 i = 0;
	int		 y, mo, d, h, mi, sec, frac = 0, scale = 100, oh, om;
	int64_t		 t, off = 0;
	bool		 leap;

	if (change_digits(s, len, &i, 4, &y) == -1 || i >= len ||
	    s[i++] != '-' || change_digits(s, len, &i, 2, &mo) == -1 ||
	    i >= len || s[i++] != '-' ||
	    change_digits(s, len, &i, 2, &d) == -1 || i >= len ||
	    (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	if (change_digits(s, len, &i, 2, &h) == -1 || i >= len ||
	    s[i++] != ':' || change_digits(s, len, &i, 2, &mi) == -1 ||
	    i >= len || s[i++] != ':' ||
	    change_digits(s, len, &i, 2, &sec) == -1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (sec == 60)
		sec = 59;	/* a leap second: the ms do not matter */
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		off = s[i++] == '-' ? -1 : 1;
		if (change_digits(s, len, &i, 2, &oh) == -1)
			return -1;
		if (i < len && s[i] == ':')
			i++;
		if (change_digits(s, len, &i, 2, &om) == -1 || oh > 23 ||
		    om > 59)
			return -1;
		off *= (int64_t)oh * 3600 + om * 60;
	}
	if (i != len)
		return -1;
	t = change_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	*ms = t * 1000 + frac;
	return 0;
}

/* "sha256:" and the first 128 bits of the SHA-256 of data, in hex. */
char *
change_digest_id(const char *data, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 out[7 + 32 + 1];
	size_t			 i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 16)
		fatalx("%s: EVP_Digest failed", __func__);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 16; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0xf];
	}
	out[sizeof out - 1] = '\0';
	return xstrdup(out);
}
