/*
 * notify-slack.c: Slack incoming webhooks, with a Block Kit message: the
 * severity, the rule, the asset (type, id, name, account, region, tags),
 * the evidence, who caused it (or resolved it) and how, the remediation and
 * a button to the asset in its cloud's console.  The webhook URL is a
 * secret: it is read from a file or the environment, never logged.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "notify.h"

/* Block Kit's limits (characters). */
#define SLACK_HEADER_MAX	150
#define SLACK_TEXT_MAX		3000
#define SLACK_FIELD_MAX		2000

struct slack_conf {
	struct secret	*url;
};

#define OFF(f) offsetof(struct slack_conf, f)
static const struct cfg_key slack_keys[] = {
	{ "url_file", CFG_SECRET_FILE, OFF(url), 0, 0, NULL, NULL, 0,
	  "The incoming webhook's URL, from a file or a credential." },
	{ "url_env", CFG_SECRET_ENV, OFF(url), 0, 0, NULL, NULL, 0,
	  "The same, from an environment variable." },
};
#undef OFF

static int
slack_check(struct notify_conf *nc, struct diags *d)
{
	const struct slack_conf	*sc = nc->opts;

	if (sc->url == NULL) {
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: url_file "
		    "or url_env is required", nc->name);
		return -1;
	}
	return 0;
}

/* Slack's mrkdwn: &, < and > are control characters. */
static char *
slack_escape(const char *s)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 5 + 1);
	for (; *s != '\0'; s++) {
		if (*s == '&')
			o = stpcpy(o, "&amp;");
		else if (*s == '<')
			o = stpcpy(o, "&lt;");
		else if (*s == '>')
			o = stpcpy(o, "&gt;");
		else if (*s == '`')
			*o++ = '\'';	/* would end a code span */
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

static const char *
slack_emoji(const char *sev)
{
	static const struct {
		const char	*sev;
		const char	*emoji;
	} map[] = {
		{ "critical", ":red_circle:" },
		{ "high", ":large_orange_circle:" },
		{ "medium", ":large_yellow_circle:" },
		{ "low", ":large_blue_circle:" },
		{ "info", ":white_circle:" },
	};
	size_t	 i;

	for (i = 0; sev != NULL && i < nitems(map); i++) {
		if (strcmp(map[i].sev, sev) == 0)
			return map[i].emoji;
	}
	return ":white_circle:";
}

static json_t *
slack_mrkdwn(const char *text, size_t max)
{
	char	*t;
	json_t	*o;

	t = notify_truncate(text, max);
	o = json_pack("{s:s, s:s}", "type", "mrkdwn", "text", t);
	free(t);
	return o;
}

static json_t *
slack_section(const char *text)
{
	return json_pack("{s:s, s:o}", "type", "section", "text",
	    slack_mrkdwn(text, SLACK_TEXT_MAX));
}

static json_t *
slack_header(const char *title)
{
	char	*t;
	json_t	*o;

	t = notify_truncate(title, SLACK_HEADER_MAX);
	o = json_pack("{s:s, s:{s:s, s:s, s:b}}", "type", "header", "text",
	    "type", "plain_text", "text", t, "emoji", 1);
	free(t);
	return o;
}

static json_t *
slack_context(const json_t *doc)
{
	char	*t;
	json_t	*o;

	t = xprintf("vigil \xc2\xb7 %s \xc2\xb7 key `%s`",
	    notify_str(doc, "transition"), notify_str(doc, "key"));
	o = json_pack("{s:s, s:[o]}", "type", "context", "elements",
	    slack_mrkdwn(t, SLACK_FIELD_MAX));
	free(t);
	return o;
}

/* "*Name*\nvalue", escaped, as a section field. */
static void
slack_field(json_t *fields, const char *name, const char *value)
{
	char	*e, *t;

	e = slack_escape(value);
	t = xprintf("*%s*\n%s", name, e);
	json_array_append_new(fields, slack_mrkdwn(t, SLACK_FIELD_MAX));
	free(t);
	free(e);
}

static void
slack_group(json_t *blocks, const json_t *doc, int kind)
{
	const json_t	*g, *it;
	char		*text, *line, *e, *t;
	size_t		 i;

	g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" : "summary");
	text = xstrdup(kind == NOTIFY_DIGEST ? "More violations opened in "
	    "the storm window than the channel's threshold: one message "
	    "instead of many.\n" : "What the first full sweep found (no "
	    "alert was sent for each):\n");
	json_array_foreach(json_object_get(g, "items"), i, it) {
		line = notify_item_line(it);
		e = slack_escape(line);
		t = xprintf("%s\n%s %s", text, slack_emoji(notify_str(it,
		    "rule.severity")), e);
		free(e);
		free(line);
		free(text);
		text = t;
	}
	if (json_integer_value(json_object_get(g, "more")) > 0) {
		t = xprintf("%s\n_... and %lld more_", text,
		    (long long)json_integer_value(json_object_get(g, "more")));
		free(text);
		text = t;
	}
	json_array_append_new(blocks, slack_section(text));
	free(text);
}

static json_t *
slack_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const json_t	*ev, *e, *exc;
	json_t		*blocks, *fields, *body;
	const char	*s, *sev;
	char		*title, *text, *t, *path, *val, *url;
	int		 kind = notify_kind(doc);
	size_t		 i;

	title = notify_title(doc);
	blocks = json_array();
	json_array_append_new(blocks, slack_header(title));
	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY)
		slack_group(blocks, doc, kind);
	else {
		sev = (sev = notify_str(doc, "rule.severity")) != NULL ? sev :
		    "info";
		fields = json_array();
		t = xprintf("%s %s", slack_emoji(sev), sev);
		slack_field(fields, "Severity", t);
		free(t);
		t = xprintf("%s\n%s", notify_str(doc, "rule.id") != NULL ?
		    notify_str(doc, "rule.id") : "?", notify_str(doc,
		    "rule.title") != NULL ? notify_str(doc, "rule.title") : "");
		slack_field(fields, "Rule", t);
		free(t);
		t = xprintf("%s\n%s%s%s%s", notify_str(doc, "asset.type") !=
		    NULL ? notify_str(doc, "asset.type") : "?",
		    notify_str(doc, "asset.id") != NULL ? notify_str(doc,
		    "asset.id") : "?", notify_str(doc, "asset.name") != NULL ?
		    " (" : "", notify_str(doc, "asset.name") != NULL ?
		    notify_str(doc, "asset.name") : "", notify_str(doc,
		    "asset.name") != NULL ? ")" : "");
		slack_field(fields, "Asset", t);
		free(t);
		t = xprintf("%s / %s", notify_str(doc, "asset.account") !=
		    NULL ? notify_str(doc, "asset.account") : "?",
		    notify_str(doc, "asset.region") != NULL &&
		    *notify_str(doc, "asset.region") != '\0' ?
		    notify_str(doc, "asset.region") : "global");
		slack_field(fields, "Account / region", t);
		free(t);
		if ((t = notify_tags_text(doc)) != NULL) {
			slack_field(fields, "Tags", t);
			free(t);
		}
		if ((s = notify_str(doc, "violation.state")) != NULL) {
			t = xprintf("%s (violation %lld, occurrence %lld)", s,
			    (long long)json_integer_value(json_object_get(
			    json_object_get(doc, "violation"), "id")),
			    (long long)json_integer_value(json_object_get(
			    json_object_get(doc, "violation"), "occurrence")));
			slack_field(fields, "State", t);
			free(t);
		}
		json_array_append_new(blocks, json_pack("{s:s, s:o}", "type",
		    "section", "fields", fields));

		ev = json_object_get(json_object_get(doc, "violation"),
		    "evidence");
		if (json_array_size(ev) > 0) {
			text = xstrdup("*Evidence*");
			json_array_foreach(ev, i, e) {
				if (i >= NOTIFY_DIGEST_ITEMS)
					break;
				path = slack_escape(notify_str(e, "path") !=
				    NULL ? notify_str(e, "path") : "?");
				t = notify_value_text(json_object_get(e,
				    "value"), 200);
				val = slack_escape(t);
				free(t);
				t = xprintf("%s\n\xe2\x80\xa2 `%s` = `%s`", text,
				    path, val);
				free(path);
				free(val);
				free(text);
				text = t;
			}
			json_array_append_new(blocks, slack_section(text));
			free(text);
		}
		if ((t = notify_cause_text(doc)) != NULL) {
			val = slack_escape(t);
			text = xprintf("*%s*\n%s", kind == NOTIFY_RESOLVE ?
			    "Resolved by" : "Caused by", val);
			json_array_append_new(blocks, slack_section(text));
			free(text);
			free(val);
			free(t);
		}
		exc = json_object_get(doc, "exception");
		if (json_is_object(exc)) {
			t = xprintf("#%lld, owner %s, until %s: %s",
			    (long long)json_integer_value(json_object_get(exc,
			    "id")), notify_str(exc, "owner") != NULL ?
			    notify_str(exc, "owner") : "?",
			    notify_str(exc, "expires_at") != NULL ?
			    notify_str(exc, "expires_at") : "never",
			    notify_str(exc, "reason") != NULL ?
			    notify_str(exc, "reason") : "");
			val = slack_escape(t);
			text = xprintf("*Exception*\n%s", val);
			json_array_append_new(blocks, slack_section(text));
			free(text);
			free(val);
			free(t);
		}
		if ((s = notify_str(doc, "rule.remediation")) != NULL &&
		    *s != '\0') {
			val = slack_escape(s);
			text = xprintf("*Remediation*\n%s", val);
			json_array_append_new(blocks, slack_section(text));
			free(text);
			free(val);
		}
		if ((url = notify_console_url(doc)) != NULL) {
			if (strlen(url) <= SLACK_TEXT_MAX)
				json_array_append_new(blocks, json_pack(
				    "{s:s, s:[{s:s, s:s, s:{s:s, s:s}, s:s}]}",
				    "type", "actions", "elements", "type",
				    "button", "action_id", "console", "text",
				    "type", "plain_text", "text",
				    "Open in console", "url", url));
			free(url);
		}
	}
	json_array_append_new(blocks, slack_context(doc));
	t = notify_truncate(title, SLACK_TEXT_MAX);
	body = json_pack("{s:s, s:o}", "text", t, "blocks", blocks);
	free(t);
	free(title);
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	json_decref(body);
	body = json_pack("{s:{s:s}, s:s}", "headers", "Content-Type",
	    "application/json", "body", text);
	free(text);
	return body;
}

static void
slack_send(struct notify_job *job)
{
	const struct slack_conf	*sc = job->conf->opts;
	struct http_request	*req;

	req = notify_http_request(job, "POST", sc->url->value);
	notify_http_payload(req, job->payload);
	notify_http_send(job, req, sc->url->value);
}

const struct notify_backend notify_slack_backend = {
	.type = "slack",
	.keys = slack_keys,
	.nkeys = nitems(slack_keys),
	.conf_size = sizeof(struct slack_conf),
	.check = slack_check,
	.conf_free = NULL,
	.render = slack_render,
	.send = slack_send,
	.cancel = NULL,
};
