/*
 * notify-pagerduty.c: PagerDuty Events API v2.  An open triggers an alert
 * whose dedup_key is the violation occurrence ("v42.o3"), so that its
 * resolve (or an exception taking it over) resolves that alert; severities
 * map to PagerDuty's critical, error, warning and info.  The routing key is
 * a secret, added to the event only when it is sent.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "notify.h"

#define PD_ENDPOINT	"https://events.pagerduty.com/v2/enqueue"
#define PD_SUMMARY_MAX	1024

struct pd_conf {
	struct secret	*routing_key;
	char		*endpoint;
	char		*source;
};

#define OFF(f) offsetof(struct pd_conf, f)
static const struct cfg_key pd_keys[] = {
	{ "routing_key_file", CFG_SECRET_FILE, OFF(routing_key), 0, 0, NULL,
	  NULL, 0, "The integration's routing key, from a file or a "
	  "credential." },
	{ "routing_key_env", CFG_SECRET_ENV, OFF(routing_key), 0, 0, NULL,
	  NULL, 0, "The same, from an environment variable." },
	{ "endpoint", CFG_STRING, OFF(endpoint), 0, 0, PD_ENDPOINT, NULL, 0,
	  "The Events API v2 enqueue URL." },
	{ "source", CFG_STRING, OFF(source), 0, 0, NULL, NULL, 0,
	  "The alert's source (default: the asset's ARN or id)." },
};
#undef OFF

static int
pd_check(struct notify_conf *nc, struct diags *d)
{
	const struct pd_conf	*pc = nc->opts;

	if (pc->routing_key == NULL) {
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: "
		    "routing_key_file or routing_key_env is required", nc->name);
		return -1;
	}
	return 0;
}

/* critical→critical, high→error, medium→warning, low and info→info. */
static const char *
pd_severity(const char *sev)
{
	if (sev == NULL)
		return "info";
	if (strcmp(sev, "critical") == 0)
		return "critical";
	if (strcmp(sev, "high") == 0)
		return "error";
	if (strcmp(sev, "medium") == 0)
		return "warning";
	return "info";
}

/* The most severe of a digest's or summary's items. */
static const char *
pd_group_severity(const json_t *g)
{
	const json_t	*it;
	int		 best = NOTIFY_SEV_INFO, s;
	size_t		 i;

	json_array_foreach(json_object_get(g, "items"), i, it) {
		if ((s = notify_severity_parse(notify_str(it,
		    "rule.severity") != NULL ? notify_str(it,
		    "rule.severity") : "info")) > best)
			best = s;
	}
	return notify_severity_name(best);
}

static json_t *
pd_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const struct pd_conf	*pc = nc->opts;
	const json_t		*v = json_object_get(doc, "violation");
	const json_t		*g;
	json_t			*ev, *payload, *details, *links;
	const char		*source, *ts;
	char			*dedup, *title, *summary, *url, *t;
	int			 kind = notify_kind(doc);

	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY ||
	    kind == NOTIFY_TEST)
		dedup = xprintf("vigil.%s", notify_str(doc, "key"));
	else
		dedup = xprintf("v%lld.o%lld", (long long)json_integer_value(
		    json_object_get(v, "id")), (long long)json_integer_value(
		    json_object_get(v, "occurrence")));
	if (kind == NOTIFY_RESOLVE || kind == NOTIFY_EXCEPTED) {
		ev = json_pack("{s:s, s:s}", "event_action", "resolve",
		    "dedup_key", dedup);
		goto done;
	}
	title = notify_title(doc);
	summary = notify_truncate(title, PD_SUMMARY_MAX);
	free(title);
	if ((source = pc->source) == NULL &&
	    (source = notify_str(doc, "asset.arn")) == NULL &&
	    (source = notify_str(doc, "asset.id")) == NULL)
		source = "vigil";
	if ((ts = notify_str(doc, "cause.time")) == NULL &&
	    (ts = notify_str(doc, "violation.opened_at")) == NULL)
		ts = notify_str(doc, "violation.last_seen");
	details = json_deep_copy(doc);
	json_object_del(details, "schema");
	payload = json_pack("{s:s, s:s, s:s, s:o}", "summary", summary,
	    "source", source, "severity", kind == NOTIFY_DIGEST ||
	    kind == NOTIFY_SUMMARY ? pd_severity(pd_group_severity(
	    json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
	    "summary"))) : pd_severity(notify_str(doc, "rule.severity")),
	    "custom_details", details);
	free(summary);
	if (ts != NULL)
		json_object_set_new(payload, "timestamp", json_string(ts));
	if (notify_str(doc, "asset.type") != NULL)
		json_object_set_new(payload, "component", json_string(
		    notify_str(doc, "asset.type")));
	if (notify_str(doc, "asset.account") != NULL)
		json_object_set_new(payload, "group", json_string(
		    notify_str(doc, "asset.account")));
	if (notify_str(doc, "rule.id") != NULL)
		json_object_set_new(payload, "class", json_string(
		    notify_str(doc, "rule.id")));
	ev = json_pack("{s:s, s:s, s:o, s:s}", "event_action", "trigger",
	    "dedup_key", dedup, "payload", payload, "client", "vigil");
	links = json_array();
	if ((url = notify_console_url(doc)) != NULL) {
		json_array_append_new(links, json_pack("{s:s, s:s}", "href",
		    url, "text", "Open in console"));
		free(url);
	}
	if (kind != NOTIFY_DIGEST && kind != NOTIFY_SUMMARY &&
	    (g = json_object_get(json_object_get(doc, "rule"),
	    "references")) != NULL) {
		size_t		 i;
		const json_t	*r;

		json_array_foreach(g, i, r) {
			if (json_is_string(r))
				json_array_append_new(links, json_pack(
				    "{s:O, s:s}", "href", r, "text",
				    "Reference"));
		}
	}
	json_object_set_new(ev, "links", links);
done:
	free(dedup);
	if ((t = json_dumps(ev, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	json_decref(ev);
	/* The routing key is added when sending: never stored. */
	ev = json_pack("{s:{s:s}, s:s}", "headers", "Content-Type",
	    "application/json", "event", t);
	free(t);
	return ev;
}

static void
pd_done(struct http_response *r, void *arg)
{
	struct notify_job	*job = arg;
	enum notify_outcome	 outcome;
	json_t			*ans;
	int64_t			 retry_after;
	char			*error;

	job->req = NULL;
	notify_http_outcome(job, r, "PagerDuty", &outcome, &retry_after,
	    &error);
	if (outcome == NOTIFY_DELIVERED) {
		ans = json_loadb(r->body != NULL ? r->body : "", r->len, 0,
		    NULL);
		if (notify_str(ans, "dedup_key") != NULL) {
			free(job->ref);
			job->ref = xstrdup(notify_str(ans, "dedup_key"));
		}
		json_decref(ans);
	}
	if (error != NULL) {
		notify_job_done(job, outcome, retry_after, "%s", error);
		free(error);
	} else
		notify_job_done(job, outcome, retry_after, NULL);
}

static void
pd_send(struct notify_job *job)
{
	const struct pd_conf	*pc = job->conf->opts;
	struct http_request	*req;
	json_t			*ev;
	char			*body;

	ev = json_loads(json_string_value(json_object_get(job->payload,
	    "event")), 0, NULL);
	if (ev == NULL) {
		notify_job_done(job, NOTIFY_FAILED, -1, "PagerDuty: the stored "
		    "event is not JSON");
		return;
	}
	free(job->ref);
	job->ref = xstrdup(notify_str(ev, "dedup_key"));
	json_object_set_new(ev, "routing_key",
	    json_string(pc->routing_key->value));
	if ((body = json_dumps(ev, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	json_decref(ev);
	req = notify_http_request(job, "POST", pc->endpoint);
	notify_http_payload(req, job->payload);
	http_request_body(req, body, strlen(body));
	freezero_str(body);
	job->req = req;
	http_request_start(req, pd_done, job);
}

const struct notify_backend notify_pagerduty_backend = {
	.type = "pagerduty",
	.keys = pd_keys,
	.nkeys = nitems(pd_keys),
	.conf_size = sizeof(struct pd_conf),
	.check = pd_check,
	.conf_free = NULL,
	.render = pd_render,
	.send = pd_send,
	.cancel = NULL,
};
