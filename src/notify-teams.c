/*
 * notify-teams.c: Microsoft Teams incoming webhooks (and Workflows), with a
 * message carrying one Adaptive Card (version 1.4): the title in the
 * severity's colour, the facts, the evidence, the remediation and a link to
 * the console.  The webhook URL is a secret.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "notify.h"

#define TEAMS_CARD_SCHEMA	"http://adaptivecards.io/schemas/adaptive-card.json"
#define TEAMS_CARD_VERSION	"1.4"

struct teams_conf {
	struct secret	*url;
};

#define OFF(f) offsetof(struct teams_conf, f)
static const struct cfg_key teams_keys[] = {
	{ "url_file", CFG_SECRET_FILE, OFF(url), 0, 0, NULL, NULL, 0,
	  "The incoming webhook's URL, from a file or a credential." },
	{ "url_env", CFG_SECRET_ENV, OFF(url), 0, 0, NULL, NULL, 0,
	  "The same, from an environment variable." },
};
#undef OFF

static int
teams_check(struct notify_conf *nc, struct diags *d)
{
	const struct teams_conf	*tc = nc->opts;

	if (tc->url == NULL) {
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: url_file "
		    "or url_env is required", nc->name);
		return -1;
	}
	return 0;
}

static const char *
teams_color(const char *sev, int kind)
{
	if (kind == NOTIFY_RESOLVE)
		return "good";
	if (sev == NULL)
		return "default";
	if (strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0)
		return "attention";
	if (strcmp(sev, "medium") == 0)
		return "warning";
	return "default";
}

static json_t *
teams_text(const char *text, const char *weight, const char *size)
{
	json_t	*o;

	o = json_pack("{s:s, s:s, s:b}", "type", "TextBlock", "text", text,
	    "wrap", 1);
	if (weight != NULL)
		json_object_set_new(o, "weight", json_string(weight));
	if (size != NULL)
		json_object_set_new(o, "size", json_string(size));
	return o;
}

static void
teams_fact(json_t *facts, const char *title, const char *value)
{
	if (value != NULL && *value != '\0')
		json_array_append_new(facts, json_pack("{s:s, s:s}", "title",
		    title, "value", value));
}

static json_t *
teams_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const json_t	*ev, *e, *g, *it;
	json_t		*body, *facts, *card, *msg, *actions;
	const char	*sev;
	char		*title, *t, *val, *url;
	int		 kind = notify_kind(doc);
	size_t		 i;

	title = notify_title(doc);
	sev = notify_str(doc, "rule.severity");
	body = json_array();
	json_array_append_new(body, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s}",
	    "type", "TextBlock", "text", title, "wrap", 1, "weight", "Bolder",
	    "size", "Medium", "color", teams_color(sev, kind)));
	actions = json_array();
	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
		    "summary");
		json_array_foreach(json_object_get(g, "items"), i, it) {
			t = notify_item_line(it);
			val = xprintf("- %s", t);
			json_array_append_new(body, teams_text(val, NULL,
			    NULL));
			free(val);
			free(t);
		}
		if (json_integer_value(json_object_get(g, "more")) > 0) {
			t = xprintf("... and %lld more", (long long)
			    json_integer_value(json_object_get(g, "more")));
			json_array_append_new(body, teams_text(t, NULL, NULL));
			free(t);
		}
	} else {
		facts = json_array();
		teams_fact(facts, "Severity", sev != NULL ? sev : "info");
		teams_fact(facts, "Rule", notify_str(doc, "rule.id"));
		teams_fact(facts, "Asset type", notify_str(doc, "asset.type"));
		teams_fact(facts, "Asset", notify_str(doc, "asset.id"));
		teams_fact(facts, "Name", notify_str(doc, "asset.name"));
		teams_fact(facts, "Account", notify_str(doc, "asset.account"));
		teams_fact(facts, "Region", notify_str(doc, "asset.region"));
		if ((t = notify_tags_text(doc)) != NULL) {
			teams_fact(facts, "Tags", t);
			free(t);
		}
		if ((t = notify_cause_text(doc)) != NULL) {
			teams_fact(facts, kind == NOTIFY_RESOLVE ?
			    "Resolved by" : "Caused by", t);
			free(t);
		}
		teams_fact(facts, "Key", notify_str(doc, "key"));
		json_array_append_new(body, json_pack("{s:s, s:o}", "type",
		    "FactSet", "facts", facts));
		ev = json_object_get(json_object_get(doc, "violation"),
		    "evidence");
		if (json_array_size(ev) > 0) {
			json_array_append_new(body, teams_text("Evidence",
			    "Bolder", NULL));
			facts = json_array();
			json_array_foreach(ev, i, e) {
				if (i >= NOTIFY_DIGEST_ITEMS)
					break;
				val = notify_value_text(json_object_get(e,
				    "value"), 200);
				teams_fact(facts, notify_str(e, "path") !=
				    NULL ? notify_str(e, "path") : "?", val);
				free(val);
			}
			json_array_append_new(body, json_pack("{s:s, s:o}",
			    "type", "FactSet", "facts", facts));
		}
		if (notify_str(doc, "rule.remediation") != NULL) {
			json_array_append_new(body, teams_text("Remediation",
			    "Bolder", NULL));
			json_array_append_new(body, teams_text(notify_str(doc,
			    "rule.remediation"), NULL, NULL));
		}
		if ((url = notify_console_url(doc)) != NULL) {
			json_array_append_new(actions, json_pack("{s:s, s:s, "
			    "s:s}", "type", "Action.OpenUrl", "title",
			    "Open in console", "url", url));
			free(url);
		}
	}
	card = json_pack("{s:s, s:s, s:s, s:o, s:o}", "$schema",
	    TEAMS_CARD_SCHEMA, "type", "AdaptiveCard", "version",
	    TEAMS_CARD_VERSION, "body", body, "actions", actions);
	msg = json_pack("{s:s, s:s, s:[{s:s, s:n, s:o}]}", "type", "message",
	    "summary", title, "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl", "content",
	    card);
	free(title);
	if ((t = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	json_decref(msg);
	msg = json_pack("{s:{s:s}, s:s}", "headers", "Content-Type",
	    "application/json", "body", t);
	free(t);
	return msg;
}

static void
teams_send(struct notify_job *job)
{
	const struct teams_conf	*tc = job->conf->opts;
	struct http_request	*req;

	req = notify_http_request(job, "POST", tc->url->value);
	notify_http_payload(req, job->payload);
	notify_http_send(job, req, tc->url->value);
}

const struct notify_backend notify_teams_backend = {
	.type = "teams",
	.keys = teams_keys,
	.nkeys = nitems(teams_keys),
	.conf_size = sizeof(struct teams_conf),
	.check = teams_check,
	.conf_free = NULL,
	.render = teams_render,
	.send = teams_send,
	.cancel = NULL,
};
