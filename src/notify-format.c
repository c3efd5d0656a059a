/*
 * notify-format.c: what every channel says about a notification, whatever
 * its markup: titles, the asset in one line, evidence, what caused it, a
 * link to the cloud console, the whole of it as plain text; and the small
 * encodings the backends share (HTML escaping, base64, HMAC-SHA256).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "notify.h"

static const char *const severity_names[] = {
	[NOTIFY_SEV_INFO] = "info",
	[NOTIFY_SEV_LOW] = "low",
	[NOTIFY_SEV_MEDIUM] = "medium",
	[NOTIFY_SEV_HIGH] = "high",
	[NOTIFY_SEV_CRITICAL] = "critical",
};

static const char *const transition_names[] = {
	[NOTIFY_OPEN] = "open",
	[NOTIFY_RESOLVE] = "resolve",
	[NOTIFY_EXCEPTED] = "excepted",
	[NOTIFY_EXCEPTION_EXPIRED] = "exception_expired",
	[NOTIFY_TEST] = "test",
	[NOTIFY_DIGEST] = "digest",
	[NOTIFY_SUMMARY] = "summary",
};

/*
 * Where a person looks at an asset: the console page of its type, with
 * %R the region, %I the resource id, %N the name and %A the ARN.
 */
static const struct {
	const char	*type;
	const char	*url;
} notify_consoles[] = {
	{ "AWS::EC2::SecurityGroup", "https://%R.console.aws.amazon.com/ec2/"
	  "home?region=%R#SecurityGroup:groupId=%I" },
	{ "AWS::EC2::Instance", "https://%R.console.aws.amazon.com/ec2/home?"
	  "region=%R#InstanceDetails:instanceId=%I" },
	{ "AWS::EC2::Volume", "https://%R.console.aws.amazon.com/ec2/home?"
	  "region=%R#VolumeDetails:volumeId=%I" },
	{ "AWS::EC2::Snapshot", "https://%R.console.aws.amazon.com/ec2/home?"
	  "region=%R#SnapshotDetails:snapshotId=%I" },
	{ "AWS::EC2::VPC", "https://%R.console.aws.amazon.com/vpcconsole/"
	  "home?region=%R#VpcDetails:VpcId=%I" },
	{ "AWS::EC2::Subnet", "https://%R.console.aws.amazon.com/vpcconsole/"
	  "home?region=%R#SubnetDetails:subnetId=%I" },
	{ "AWS::S3::Bucket", "https://s3.console.aws.amazon.com/s3/buckets/"
	  "%I" },
	{ "AWS::IAM::User", "https://console.aws.amazon.com/iam/home#/users/"
	  "details/%N" },
	{ "AWS::IAM::Role", "https://console.aws.amazon.com/iam/home#/roles/"
	  "details/%N" },
	{ "AWS::IAM::Policy", "https://console.aws.amazon.com/iam/home#/"
	  "policies/details/%A" },
	{ "AWS::RDS::DBInstance", "https://%R.console.aws.amazon.com/rds/"
	  "home?region=%R#database:id=%I" },
	{ "AWS::KMS::Key", "https://%R.console.aws.amazon.com/kms/home?"
	  "region=%R#/kms/keys/%I" },
	{ "AWS::Lambda::Function", "https://%R.console.aws.amazon.com/lambda/"
	  "home?region=%R#/functions/%N" },
	{ "AWS::CloudTrail::Trail", "https://%R.console.aws.amazon.com/"
	  "cloudtrail/home?region=%R#/trails/%A" },
};

int
notify_severity_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < nitems(severity_names); i++) {
		if (strcmp(severity_names[i], s) == 0)
			return (int)i;
	}
	return -1;
}

const char *
notify_severity_name(int sev)
{
	if (sev < 0 || (size_t)sev >= nitems(severity_names))
		return "info";
	return severity_names[sev];
}

int
notify_transition_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < nitems(transition_names); i++) {
		if (strcmp(transition_names[i], s) == 0)
			return (int)i;
	}
	return -1;
}

const char *
notify_transition_name(int t)
{
	if (t < 0 || (size_t)t >= nitems(transition_names))
		return "?";
	return transition_names[t];
}

/* A string member by dotted path ("asset.account"), or NULL. */
const char *
notify_str(const json_t *doc, const char *path)
{
	const json_t	*v = doc;
	const char	*dot;
	char		 key[64];
	size_t		 len;

	while (v != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof key)
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		v = json_object_get(v, key);
		path += len + (dot != NULL);
	}
	return json_string_value(v);
}

/* The notification's transition, or digest, summary or test. */
int
notify_kind(const json_t *doc)
{
	const char	*t = notify_str(doc, "transition");

	return t != NULL ? notify_transition_parse(t) : -1;
}

/* Cut text to at most max bytes, on a UTF-8 boundary, marked with "…". */
char *
notify_truncate(const char *s, size_t max)
{
	size_t	 len = strlen(s);
	char	*out;

	if (len <= max)
		return xstrdup(s);
	if (max < 4)
		return xstrdup("");
	len = max - 3;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	out = xmalloc(len + 4);
	memcpy(out, s, len);
	memcpy(out + len, "\xe2\x80\xa6", 4);
	return out;
}

/* A value from a document, as text: strings as they are, the rest JSON. */
char *
notify_value_text(const json_t *v, size_t max)
{
	char	*s, *t;

	if (json_is_string(v))
		return notify_truncate(json_string_value(v), max);
	if (v == NULL)
		return xstrdup("(absent)");
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		fatalx("json_dumps: out of memory");
	t = notify_truncate(s, max);
	free(s);
	return t;
}

static const char *
notify_verb(int kind)
{
	switch (kind) {
	case NOTIFY_OPEN:
		return "Violation opened";
	case NOTIFY_RESOLVE:
		return "Violation resolved";
	case NOTIFY_EXCEPTED:
		return "Violation excepted";
	case NOTIFY_EXCEPTION_EXPIRED:
		return "Exception expired";
	case NOTIFY_TEST:
		return "Test";
	}
	return "Notification";
}

/* The channel's subject line: severity, what happened, rule, asset. */
char *
notify_title(const json_t *doc)
{
	const json_t	*g;
	const char	*sev, *title, *id, *name;
	char		*up, *w, *out;
	int		 kind = notify_kind(doc);
	size_t		 i;

	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
		    "summary");
		if (kind == NOTIFY_SUMMARY)
			return xprintf("Initial sweep: %lld violation%s found",
			    (long long)json_integer_value(json_object_get(g,
			    "count")), json_integer_value(json_object_get(g,
			    "count")) == 1 ? "" : "s");
		w = notify_str(g, "window_start") != NULL ?
		    xstrdup(notify_str(g, "window_start")) : xstrdup("?");
		out = xprintf("Storm: %lld violations opened (from %s)",
		    (long long)json_integer_value(json_object_get(g, "count")),
		    w);
		free(w);
		return out;
	}
	sev = (sev = notify_str(doc, "rule.severity")) != NULL ? sev : "info";
	up = xstrdup(sev);
	for (i = 0; up[i] != '\0'; i++) {
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	}
	title = (title = notify_str(doc, "rule.title")) != NULL ? title :
	    notify_str(doc, "rule.id");
	id = (id = notify_str(doc, "asset.id")) != NULL ? id : "?";
	name = notify_str(doc, "asset.name");
	if (name != NULL && *name != '\0' && strcmp(name, id) != 0)
		out = xprintf("[%s] %s: %s (%s \"%s\")", up, notify_verb(kind),
		    title != NULL ? title : "?", id, name);
	else
		out = xprintf("[%s] %s: %s (%s)", up, notify_verb(kind),
		    title != NULL ? title : "?", id);
	free(up);
	return out;
}

/* "AWS::EC2::SecurityGroup sg-1 (web) in 123456789012 eu-west-1" */
char *
notify_asset_line(const json_t *doc)
{
	const char	*type = notify_str(doc, "asset.type");
	const char	*id = notify_str(doc, "asset.id");
	const char	*name = notify_str(doc, "asset.name");
	const char	*acct = notify_str(doc, "asset.account");
	const char	*region = notify_str(doc, "asset.region");
	bool		 named = name != NULL && *name != '\0' &&
			    (id == NULL || strcmp(name, id) != 0);

	return xprintf("%s %s%s%s%s in %s%s%s", type != NULL ? type : "?",
	    id != NULL ? id : "?", named ? " (" : "", named ? name : "",
	    named ? ")" : "", acct != NULL ? acct : "?",
	    region != NULL && *region != '\0' ? " " : "",
	    region != NULL ? region : "");
}

/* "env=prod, team=web", or NULL when the asset has no tags. */
char *
notify_tags_text(const json_t *doc)
{
	json_t		*tags;
	const json_t	*v;
	const char	*k;
	char		*s = NULL, *t, *val;

	tags = json_object_get(json_object_get(doc, "asset"), "tags");
	json_object_foreach(tags, k, v) {
		val = notify_value_text(v, 256);
		t = xprintf("%s%s%s=%s", s != NULL ? s : "", s != NULL ? ", " :
		    "", k, val);
		free(val);
		free(s);
		s = t;
	}
	return s;
}

/* Who did what, from where, when: NULL when nothing is known. */
char *
notify_cause_text(const json_t *doc)
{
	const json_t	*c = json_object_get(doc, "cause");
	const char	*name, *actor, *ip, *time;

	if (!json_is_object(c))
		return NULL;
	name = notify_str(c, "event_name");
	actor = notify_str(c, "actor");
	ip = notify_str(c, "source_ip");
	time = notify_str(c, "time");
	return xprintf("%s%s%s%s%s%s%s", name != NULL ? name : "a change",
	    actor != NULL ? " by " : "", actor != NULL ? actor : "",
	    ip != NULL ? " from " : "", ip != NULL ? ip : "",
	    time != NULL ? " at " : "", time != NULL ? time : "");
}

static char *
notify_console_fill(const char *fmt, const json_t *doc)
{
	const char	*v, *p;
	char		*out = xstrdup(""), *t, *e;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			t = xprintf("%s%c", out, *p);
			free(out);
			out = t;
			continue;
		}
		p++;
		switch (*p) {
		case 'R':
			v = notify_str(doc, "asset.region");
			break;
		case 'I':
			v = notify_str(doc, "asset.id");
			break;
		case 'N':
			v = notify_str(doc, "asset.name");
			if (v == NULL)
				v = notify_str(doc, "asset.id");
			break;
		case 'A':
			v = notify_str(doc, "asset.arn");
			break;
		default:
			v = NULL;
			break;
		}
		if (v == NULL || *v == '\0') {
			free(out);
			return NULL;
		}
		e = url_encode(v, strlen(v), false);
		t = xprintf("%s%s", out, e);
		free(e);
		free(out);
		out = t;
	}
	return out;
}

/*
 * A link to the asset in its cloud's console: the page of its type, else
 * AWS's resolver for any ARN, else the Azure portal's resource page; NULL
 * when there is none.
 */
char *
notify_console_url(const json_t *doc)
{
	const char	*type = notify_str(doc, "asset.type");
	const char	*provider = notify_str(doc, "asset.provider");
	const char	*id = notify_str(doc, "asset.id");
	char		*url;
	size_t		 i;

	if (type == NULL)
		return NULL;
	for (i = 0; i < nitems(notify_consoles); i++) {
		if (strcmp(notify_consoles[i].type, type) == 0 &&
		    (url = notify_console_fill(notify_consoles[i].url, doc)) !=
		    NULL)
			return url;
	}
	if (provider != NULL && strcmp(provider, "azure") == 0 && id != NULL &&
	    *id == '/')
		return xprintf("https://portal.azure.com/#@/resource%s", id);
	return notify_console_fill("https://console.aws.amazon.com/go/view?"
	    "arn=%A", doc);
}

/* One line of a digest or summary. */
char *
notify_item_line(const json_t *item)
{
	const char	*sev = notify_str(item, "rule.severity");
	const char	*rule = notify_str(item, "rule.id");
	char		*asset, *out;

	asset = notify_asset_line(item);
	out = xprintf("%s %s: %s", sev != NULL ? sev : "info",
	    rule != NULL ? rule : "?", asset);
	free(asset);
	return out;
}

static void
notify_text_group(char **s, const json_t *doc, const json_t *g)
{
	const json_t	*items, *it, *v;
	json_t		*by;
	const char	*k;
	char		*line;
	size_t		 i;

	by = json_object_get(g, "by_severity");
	if (json_object_size(by) > 0) {
		xappendf(s, "By severity:");
		json_object_foreach(by, k, v)
			xappendf(s, " %s %lld", k,
			    (long long)json_integer_value(v));
		xappendf(s, "\n");
	}
	items = json_object_get(g, "items");
	if (json_array_size(items) > 0)
		xappendf(s, "\n");
	json_array_foreach(items, i, it) {
		line = notify_item_line(it);
		xappendf(s, "  - %s\n", line);
		free(line);
	}
	if (json_integer_value(json_object_get(g, "more")) > 0)
		xappendf(s, "  ... and %lld more\n",
		    (long long)json_integer_value(json_object_get(g, "more")));
}

/* The whole notification as plain text, for people. */
char *
notify_text(const json_t *doc)
{
	const json_t	*ev, *e, *v, *refs, *exc;
	json_t		*fw;
	const char	*k, *s;
	char		*out, *t, *val;
	int		 kind = notify_kind(doc);
	size_t		 i, j;

	out = notify_title(doc);
	xappendf(&out, "\n\n");
	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		const json_t *g = json_object_get(doc, kind == NOTIFY_DIGEST ?
		    "digest" : "summary");

		if (kind == NOTIFY_DIGEST)
			xappendf(&out, "More violations opened within "
			    "the storm window than the channel's "
			    "storm_threshold: one message instead of %lld.\n",
			    (long long)json_integer_value(json_object_get(g,
			    "count")));
		else
			xappendf(&out, "What vigil's first full sweep "
			    "found (no alert was sent for each).\n");
		notify_text_group(&out, doc, g);
		xappendf(&out, "\nKey: %s\n", notify_str(doc, "key"));
		return out;
	}
	xappendf(&out, "Rule:         %s", notify_str(doc, "rule.id") !=
	    NULL ? notify_str(doc, "rule.id") : "?");
	if ((s = notify_str(doc, "rule.title")) != NULL)
		xappendf(&out, " - %s", s);
	xappendf(&out, "\nSeverity:     %s\n", notify_str(doc,
	    "rule.severity") != NULL ? notify_str(doc, "rule.severity") :
	    "info");
	t = notify_asset_line(doc);
	xappendf(&out, "Asset:        %s\n", t);
	free(t);
	if ((s = notify_str(doc, "asset.arn")) != NULL)
		xappendf(&out, "ARN:          %s\n", s);
	if ((t = notify_tags_text(doc)) != NULL) {
		xappendf(&out, "Tags:         %s\n", t);
		free(t);
	}
	if ((s = notify_str(doc, "violation.state")) != NULL)
		xappendf(&out, "State:        %s (violation %lld, "
		    "occurrence %lld)\n", s, (long long)json_integer_value(
		    json_object_get(json_object_get(doc, "violation"), "id")),
		    (long long)json_integer_value(json_object_get(
		    json_object_get(doc, "violation"), "occurrence")));
	if ((s = notify_str(doc, "violation.opened_at")) != NULL)
		xappendf(&out, "Opened:       %s\n", s);
	if ((s = notify_str(doc, "violation.resolved_at")) != NULL)
		xappendf(&out, "Resolved:     %s\n", s);
	if ((t = notify_cause_text(doc)) != NULL) {
		xappendf(&out, "%s %s\n", kind == NOTIFY_RESOLVE ?
		    "Resolved by: " : "Caused by:   ", t);
		free(t);
	}
	exc = json_object_get(doc, "exception");
	if (json_is_object(exc))
		xappendf(&out, "Exception:    #%lld by %s until %s: %s\n",
		    (long long)json_integer_value(json_object_get(exc, "id")),
		    notify_str(exc, "owner") != NULL ? notify_str(exc,
		    "owner") : "?", notify_str(exc, "expires_at") != NULL ?
		    notify_str(exc, "expires_at") : "never",
		    notify_str(exc, "reason") != NULL ? notify_str(exc,
		    "reason") : "");
	ev = json_object_get(json_object_get(doc, "violation"), "evidence");
	if (json_array_size(ev) > 0) {
		xappendf(&out, "\nEvidence:\n");
		json_array_foreach(ev, i, e) {
			if (i >= NOTIFY_DIGEST_ITEMS) {
				xappendf(&out, "  ... and %zu more\n",
				    json_array_size(ev) - i);
				break;
			}
			val = notify_value_text(json_object_get(e, "value"),
			    200);
			xappendf(&out, "  %s = %s\n", notify_str(e,
			    "path") != NULL ? notify_str(e, "path") : "?", val);
			free(val);
		}
	}
	if ((s = notify_str(doc, "rule.description")) != NULL)
		xappendf(&out, "\nDescription:\n  %s\n", s);
	if ((s = notify_str(doc, "rule.remediation")) != NULL)
		xappendf(&out, "\nRemediation:\n  %s\n", s);
	fw = json_object_get(json_object_get(doc, "rule"), "frameworks");
	if (json_object_size(fw) > 0) {
		xappendf(&out, "\nFrameworks:  ");
		json_object_foreach(fw, k, v) {
			xappendf(&out, " %s", k);
			json_array_foreach(v, j, e) {
				if (json_is_string(e))
					xappendf(&out, "%s%s", j == 0 ?
					    " " : ",", json_string_value(e));
			}
			xappendf(&out, ";");
		}
		xappendf(&out, "\n");
	}
	refs = json_object_get(json_object_get(doc, "rule"), "references");
	json_array_foreach(refs, i, e) {
		if (json_is_string(e))
			xappendf(&out, "%s%s\n", i == 0 ?
			    "References:   " : "              ",
			    json_string_value(e));
	}
	if ((t = notify_console_url(doc)) != NULL) {
		xappendf(&out, "Console:      %s\n", t);
		free(t);
	}
	xappendf(&out, "\nKey: %s\n", notify_str(doc, "key"));
	return out;
}

char *
notify_html_escape(const char *s)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 6 + 1);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			o = stpcpy(o, "&lt;");
			break;
		case '>':
			o = stpcpy(o, "&gt;");
			break;
		case '&':
			o = stpcpy(o, "&amp;");
			break;
		case '"':
			o = stpcpy(o, "&quot;");
			break;
		case '\'':
			o = stpcpy(o, "&#39;");
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
	return out;
}

char *
notify_base64(const void *data, size_t len)
{
	char	*out;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* The hex HMAC-SHA256 of data under a secret key. */
char *
notify_hmac_sha256_hex(const struct secret *key, const void *data,
    size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;
	char			*out;

	if (HMAC(EVP_sha256(), key->value, (int)key->len, data, len, mac,
	    &n) == NULL)
		fatalx("HMAC-SHA256 failed");
	out = xmalloc(2 * n + 1);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}
