/*
 * notify-jira.c: Jira issues.  Cloud (REST API v3, descriptions in the
 * Atlassian Document Format, basic auth with an account's email and API
 * token) or Server and Data Center (REST API v2, wiki markup descriptions,
 * a personal access token as bearer).
 *
 * An open creates an issue (project, issue type, priority by severity,
 * labels, the evidence in the description) and its key is remembered for
 * the violation occurrence; the resolve (or an exception) comments on that
 * issue, finds the transition to the configured status by name (GET
 * transitions) and makes it.  Each step is recorded, so that a delivery
 * tried again goes on where it stopped.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "http.h"
#include "notify.h"

#define JIRA_SUMMARY_MAX	250

enum {
	JIRA_CLOUD,
	JIRA_SERVER,
};

struct jira_conf {
	char		*url;
	int		 api;
	char		*project;
	char		*issue_type;
	struct strlist	 priorities;
	struct strlist	 labels;
	char		*email;
	struct secret	*token;
	char		*resolve_transition;
};

#define OFF(f) offsetof(struct jira_conf, f)
static const struct cfg_key jira_keys[] = {
	{ "url", CFG_STRING, OFF(url), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The site's base URL (https://example.atlassian.net)." },
	{ "api", CFG_ENUM, OFF(api), 0, 0, "cloud", "cloud|server", 0,
	  "cloud: REST API v3 and ADF; server: Server or Data Center, REST "
	  "API v2 and wiki markup." },
	{ "project", CFG_STRING, OFF(project), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The project key issues are created in." },
	{ "issue_type", CFG_STRING, OFF(issue_type), 0, 0, "Task", NULL, 0,
	  "The issue type's name." },
	{ "priorities", CFG_STRLIST, OFF(priorities), 0, 0,
	  "[critical=Highest, high=High, medium=Medium, low=Low, "
	  "info=Lowest]", NULL, 0,
	  "Priority names by severity, each severity=name; a severity not "
	  "listed sets no priority." },
	{ "labels", CFG_STRLIST, OFF(labels), 0, 0, "[vigil]", NULL, 0,
	  "Labels for every issue (the rule id is added)." },
	{ "email", CFG_STRING, OFF(email), 0, 0, NULL, NULL, 0,
	  "Cloud: the account whose API token is used." },
	{ "token_file", CFG_SECRET_FILE, OFF(token), 0, 0, NULL, NULL, 0,
	  "Cloud: the API token; server: a personal access token." },
	{ "token_env", CFG_SECRET_ENV, OFF(token), 0, 0, NULL, NULL, 0,
	  "The same, from an environment variable." },
	{ "resolve_transition", CFG_STRING, OFF(resolve_transition), 0, 0,
	  "Done", NULL, 0,
	  "On resolve, the transition (or the status it leads to) to make, "
	  "by name." },
};
#undef OFF

/* One delivery's state between its requests. */
struct jira_run {
	char	*key;		/* the issue */
	char	*what;
};

static int
jira_check(struct notify_conf *nc, struct diags *d)
{
	const struct jira_conf	*jc = nc->opts;
	const char		*eq;
	char			*sev;
	size_t			 i, before = d->n;

	if (jc->token == NULL)
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: "
		    "token_file or token_env is required", nc->name);
	if (jc->api == JIRA_CLOUD && jc->email == NULL)
		diag_add(d, nc->file, nc->line, nc->col, "channel %s: email "
		    "is required with api: cloud", nc->name);
	for (i = 0; i < jc->priorities.n; i++) {
		eq = strchr(jc->priorities.v[i], '=');
		sev = eq != NULL ? xstrndup(jc->priorities.v[i],
		    (size_t)(eq - jc->priorities.v[i])) : NULL;
		if (eq == NULL || eq[1] == '\0' ||
		    notify_severity_parse(sev) < 0)
			diag_add(d, nc->file, nc->line, nc->col, "priorities: "
			    "'%s' is not severity=name", jc->priorities.v[i]);
		free(sev);
	}
	for (i = 0; i < jc->labels.n; i++) {
		if (strpbrk(jc->labels.v[i], " \t") != NULL)
			diag_add(d, nc->file, nc->line, nc->col, "labels: "
			    "'%s': a label has no spaces", jc->labels.v[i]);
	}
	return d->n == before ? 0 : -1;
}

/* The priority name configured for a severity, or NULL. */
static const char *
jira_priority(const struct jira_conf *jc, const char *sev)
{
	size_t	 i, len;

	if (sev == NULL)
		return NULL;
	len = strlen(sev);
	for (i = 0; i < jc->priorities.n; i++) {
		if (strncmp(jc->priorities.v[i], sev, len) == 0 &&
		    jc->priorities.v[i][len] == '=')
			return jc->priorities.v[i] + len + 1;
	}
	return NULL;
}

/* The Atlassian Document Format, as much of it as a description needs. */
static json_t *
adf_text(const char *s)
{
	return json_pack("{s:s, s:s}", "type", "text", "text",
	    *s != '\0' ? s : " ");
}

static json_t *
adf_para(const char *s)
{
	return json_pack("{s:s, s:[o]}", "type", "paragraph", "content",
	    adf_text(s));
}

static json_t *
adf_heading(const char *s)
{
	return json_pack("{s:s, s:{s:i}, s:[o]}", "type", "heading", "attrs",
	    "level", 3, "content", adf_text(s));
}

static json_t *
adf_link(const char *label, const char *url)
{
	return json_pack("{s:s, s:[{s:s, s:s, s:[{s:s, s:{s:s}}]}]}", "type",
	    "paragraph", "content", "type", "text", "text", label, "marks",
	    "type", "link", "attrs", "href", url);
}

static void
adf_bullet(json_t *list, const char *s)
{
	json_array_append_new(json_object_get(list, "content"), json_pack(
	    "{s:s, s:[o]}", "type", "listItem", "content", adf_para(s)));
}

static json_t *
adf_bullets(void)
{
	return json_pack("{s:s, s:[]}", "type", "bulletList", "content");
}

/* Wiki markup: text that cannot start markup, in monospace. */
static char *
wiki_mono(const char *s)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 2 + 5);
	o = stpcpy(o, "{{");
	for (; *s != '\0'; s++) {
		if (*s == '{' || *s == '}' || *s == '[' || *s == ']' ||
		    *s == '|' || *s == '\\')
			*o++ = '\\';
		*o++ = *s == '\n' || *s == '\r' ? ' ' : *s;
	}
	o = stpcpy(o, "}}");
	*o = '\0';
	return out;
}

static void
wiki_add(char **w, const char *fmt, ...) VIGIL_PRINTFLIKE(2, 3);

static void
wiki_add(char **w, const char *fmt, ...)
{
	va_list	 ap;
	char	*add, *t;

	va_start(ap, fmt);
	xvasprintf(&add, fmt, ap);
	va_end(ap);
	t = xprintf("%s%s", *w, add);
	free(add);
	free(*w);
	*w = t;
}

/*
 * The description: what, where, the evidence, the cause, the remediation,
 * the console link and the key; ADF (cloud) or wiki markup (server).
 */
static json_t *
jira_description(const struct jira_conf *jc, const json_t *doc)
{
	const json_t	*ev, *e, *g, *it;
	json_t		*adf = NULL, *list;
	char		*wiki = NULL, *t, *val, *line, *url, *p, *m;
	const char	*s;
	int		 kind = notify_kind(doc);
	size_t		 i;

	if (jc->api == JIRA_CLOUD)
		adf = json_pack("{s:s, s:i, s:[]}", "type", "doc", "version",
		    1, "content");
	else
		wiki = xstrdup("");
#define ADD(node) json_array_append_new(json_object_get(adf, "content"), node)

	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
		    "summary");
		t = xstrdup(kind == NOTIFY_DIGEST ? "More violations opened "
		    "in the storm window than the channel's threshold: one "
		    "issue instead of many." : "What vigil's first full sweep "
		    "found.");
		list = adf_bullets();
		if (adf != NULL)
			ADD(adf_para(t));
		else
			wiki_add(&wiki, "%s\n\n", t);
		free(t);
		json_array_foreach(json_object_get(g, "items"), i, it) {
			line = notify_item_line(it);
			if (adf != NULL)
				adf_bullet(list, line);
			else {
				m = wiki_mono(line);
				wiki_add(&wiki, "* %s\n", m);
				free(m);
			}
			free(line);
		}
		if (json_integer_value(json_object_get(g, "more")) > 0) {
			t = xprintf("... and %lld more", (long long)
			    json_integer_value(json_object_get(g, "more")));
			if (adf != NULL)
				adf_bullet(list, t);
			else
				wiki_add(&wiki, "* %s\n", t);
			free(t);
		}
		if (adf != NULL && json_array_size(json_object_get(list,
		    "content")) > 0)
			ADD(list);
		else
			json_decref(list);
		goto key;
	}

	t = notify_asset_line(doc);
	line = xprintf("Rule %s (%s): %s", notify_str(doc, "rule.id") !=
	    NULL ? notify_str(doc, "rule.id") : "?", notify_str(doc,
	    "rule.severity") != NULL ? notify_str(doc, "rule.severity") :
	    "info", t);
	free(t);
	if (adf != NULL)
		ADD(adf_para(line));
	else {
		m = wiki_mono(line);
		wiki_add(&wiki, "%s\n\n", m);
		free(m);
	}
	free(line);
	if ((s = notify_str(doc, "rule.description")) != NULL && *s != '\0') {
		if (adf != NULL)
			ADD(adf_para(s));
		else
			wiki_add(&wiki, "%s\n\n", s);
	}
	ev = json_object_get(json_object_get(doc, "violation"), "evidence");
	if (json_array_size(ev) > 0) {
		list = adf_bullets();
		if (adf != NULL)
			ADD(adf_heading("Evidence"));
		else
			wiki_add(&wiki, "h3. Evidence\n");
		json_array_foreach(ev, i, e) {
			if (i >= NOTIFY_DIGEST_ITEMS)
				break;
			val = notify_value_text(json_object_get(e, "value"),
			    200);
			p = xstrdup(notify_str(e, "path") != NULL ?
			    notify_str(e, "path") : "?");
			if (adf != NULL) {
				t = xprintf("%s = %s", p, val);
				adf_bullet(list, t);
				free(t);
			} else {
				m = wiki_mono(p);
				t = wiki_mono(val);
				wiki_add(&wiki, "* %s = %s\n", m, t);
				free(m);
				free(t);
			}
			free(p);
			free(val);
		}
		if (adf != NULL)
			ADD(list);
		else {
			json_decref(list);
			wiki_add(&wiki, "\n");
		}
	}
	if ((t = notify_cause_text(doc)) != NULL) {
		s = kind == NOTIFY_RESOLVE ? "Resolved by" : "Caused by";
		if (adf != NULL) {
			ADD(adf_heading(s));
			ADD(adf_para(t));
		} else {
			m = wiki_mono(t);
			wiki_add(&wiki, "h3. %s\n%s\n\n", s, m);
			free(m);
		}
		free(t);
	}
	if ((s = notify_str(doc, "rule.remediation")) != NULL && *s != '\0') {
		if (adf != NULL) {
			ADD(adf_heading("Remediation"));
			ADD(adf_para(s));
		} else
			wiki_add(&wiki, "h3. Remediation\n%s\n\n", s);
	}
	if ((url = notify_console_url(doc)) != NULL) {
		if (adf != NULL)
			ADD(adf_link("Open in the console", url));
		else
			wiki_add(&wiki, "[Open in the console|%s]\n\n", url);
		free(url);
	}
key:
	t = xprintf("vigil idempotency key: %s", notify_str(doc, "key"));
	if (adf != NULL)
		ADD(adf_para(t));
	else
		wiki_add(&wiki, "%s\n", t);
	free(t);
#undef ADD
	if (adf != NULL)
		return adf;
	adf = json_string(wiki);
	free(wiki);
	return adf;
}

/* A label from a rule id or key: no spaces. */
static char *
jira_label(const char *prefix, const char *s)
{
	char	*l, *p;

	l = xprintf("%s%s", prefix, s);
	for (p = l; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t')
			*p = '_';
	}
	return l;
}

static json_t *
jira_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const struct jira_conf	*jc = nc->opts;
	json_t			*fields, *labels, *body, *out;
	const char		*prio;
	char			*title, *summary, *text, *t, *l;
	int			 kind = notify_kind(doc);
	size_t			 i;

	if (kind == NOTIFY_RESOLVE || kind == NOTIFY_EXCEPTED) {
		/* A comment on the occurrence's issue, then the transition. */
		title = notify_title(doc);
		t = notify_cause_text(doc);
		text = xprintf("%s%s%s (vigil idempotency key: %s)", title,
		    t != NULL ? (kind == NOTIFY_RESOLVE ? "; resolved by " :
		    "; excepted after ") : "", t != NULL ? t : "",
		    notify_str(doc, "key"));
		free(t);
		free(title);
		if (jc->api == JIRA_CLOUD)
			body = json_pack("{s:{s:s, s:i, s:[o]}}", "body",
			    "type", "doc", "version", 1, "content",
			    adf_para(text));
		else
			body = json_pack("{s:s}", "body", text);
		free(text);
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
			fatalx("json_dumps: out of memory");
		json_decref(body);
		out = json_pack("{s:s, s:s, s:s}", "op", "resolve", "comment",
		    text, "transition", jc->resolve_transition);
		free(text);
		return out;
	}

	title = notify_title(doc);
	for (t = title; *t != '\0'; t++) {
		if (*t == '\n' || *t == '\r')
			*t = ' ';
	}
	summary = notify_truncate(title, JIRA_SUMMARY_MAX);
	free(title);
	labels = json_array();
	for (i = 0; i < jc->labels.n; i++)
		json_array_append_new(labels, json_string(jc->labels.v[i]));
	if (notify_str(doc, "rule.id") != NULL) {
		l = jira_label("", notify_str(doc, "rule.id"));
		json_array_append_new(labels, json_string(l));
		free(l);
	}
	l = jira_label("vigil-key-", notify_str(doc, "key"));
	json_array_append_new(labels, json_string(l));
	free(l);
	fields = json_pack("{s:{s:s}, s:{s:s}, s:s, s:o, s:o}", "project",
	    "key", jc->project, "issuetype", "name", jc->issue_type,
	    "summary", summary, "description", jira_description(jc, doc),
	    "labels", labels);
	free(summary);
	prio = jira_priority(jc, kind == NOTIFY_DIGEST ? "high" :
	    notify_str(doc, "rule.severity"));
	if (prio != NULL)
		json_object_set_new(fields, "priority", json_pack("{s:s}",
		    "name", prio));
	body = json_pack("{s:o}", "fields", fields);
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	json_decref(body);
	out = json_pack("{s:s, s:s}", "op", "create", "body", text);
	free(text);
	return out;
}

static char *
jira_api_url(const struct jira_conf *jc, const char *fmt, ...)
    VIGIL_PRINTFLIKE(2, 3);

/* {url}/rest/api/{3|2}/... */
static char *
jira_api_url(const struct jira_conf *jc, const char *fmt, ...)
{
	va_list	 ap;
	char	*rest, *url;
	size_t	 len = strlen(jc->url);

	va_start(ap, fmt);
	xvasprintf(&rest, fmt, ap);
	va_end(ap);
	url = xprintf("%.*s/rest/api/%d/%s", (int)(len > 0 &&
	    jc->url[len - 1] == '/' ? len - 1 : len), jc->url,
	    jc->api == JIRA_CLOUD ? 3 : 2, rest);
	free(rest);
	return url;
}

static struct http_request *
jira_request(struct notify_job *job, const char *method, const char *url)
{
	const struct jira_conf	*jc = job->conf->opts;
	struct http_request	*req;
	char			*cred, *b64, *auth;

	req = notify_http_request(job, method, url);
	http_request_header(req, "Accept", "application/json");
	if (strcmp(method, "GET") != 0)
		http_request_header(req, "Content-Type", "application/json");
	if (jc->api == JIRA_CLOUD) {
		cred = xprintf("%s:%s", jc->email, jc->token->value);
		b64 = notify_base64(cred, strlen(cred));
		auth = xprintf("Basic %s", b64);
		freezero_str(cred);
		freezero_str(b64);
	} else
		auth = xprintf("Bearer %s", jc->token->value);
	http_request_header(req, "Authorization", auth);
	freezero_str(auth);
	return req;
}

static void
jira_run_free(struct notify_job *job)
{
	struct jira_run	*run = job->impl;

	if (run == NULL)
		return;
	free(run->key);
	free(run->what);
	free(run);
	job->impl = NULL;
}

static void	jira_step(struct notify_job *);

/* An answer: go on to the next step, or end the delivery. */
static void
jira_done(struct http_response *r, void *arg)
{
	struct notify_job	*job = arg;
	struct jira_run		*run = job->impl;
	const struct jira_conf	*jc = job->conf->opts;
	const json_t		*tr, *t;
	enum notify_outcome	 outcome;
	json_t			*ans;
	const char		*want = jc->resolve_transition, *key;
	char			*error, *names = NULL, *x;
	int64_t			 retry_after;
	size_t			 i;

	job->req = NULL;
	notify_http_outcome(job, r, run->what, &outcome, &retry_after, &error);
	if (outcome != NOTIFY_DELIVERED) {
		jira_run_free(job);
		notify_job_done(job, outcome, retry_after, "%s", error);
		free(error);
		return;
	}
	ans = json_loadb(r->body != NULL ? r->body : "", r->len, 0, NULL);
	switch (job->step) {
	case 0:
		if (strcmp(json_string_value(json_object_get(job->payload,
		    "op")), "create") == 0) {
			/* Created: remember its key for the resolve. */
			if ((key = notify_str(ans, "key")) == NULL) {
				json_decref(ans);
				jira_run_free(job);
				notify_job_done(job, NOTIFY_FAILED, -1, "%s: "
				    "the created issue has no key", "Jira");
				return;
			}
			free(job->ref);
			job->ref = xstrdup(key);
			json_decref(ans);
			jira_run_free(job);
			notify_job_done(job, NOTIFY_DELIVERED, -1, NULL);
			return;
		}
		notify_job_progress(job, 1, run->key);	/* commented */
		break;
	case 1:
		/* The transitions available: the one named, or to it. */
		tr = json_object_get(ans, "transitions");
		x = NULL;
		json_array_foreach(tr, i, t) {
			if ((notify_str(t, "name") != NULL &&
			    strcasecmp(notify_str(t, "name"), want) == 0) ||
			    (notify_str(t, "to.name") != NULL &&
			    strcasecmp(notify_str(t, "to.name"), want) == 0)) {
				x = xstrdup(notify_str(t, "id"));
				break;
			}
			error = xprintf("%s%s%s", names != NULL ? names : "",
			    names != NULL ? ", " : "", notify_str(t, "name") !=
			    NULL ? notify_str(t, "name") : "?");
			free(names);
			names = error;
		}
		json_decref(ans);
		if (x == NULL) {
			/* Commented; nothing to move it with: say so. */
			job->step = 3;
			jira_run_free(job);
			notify_job_done(job, NOTIFY_DELIVERED, -1, "commented; "
			    "no transition '%s' from the issue's status "
			    "(available: %s)", want, names != NULL ? names :
			    "none");
			free(names);
			return;
		}
		free(names);
		json_object_set_new(job->payload, "transition_id",
		    json_string(x));
		free(x);
		job->step = 2;
		jira_step(job);
		return;
	case 2:
		json_decref(ans);
		jira_run_free(job);
		notify_job_done(job, NOTIFY_DELIVERED, -1, NULL);
		return;
	}
	json_decref(ans);
	jira_step(job);
}

/* Send the request of the job's current step. */
static void
jira_step(struct notify_job *job)
{
	const struct jira_conf	*jc = job->conf->opts;
	struct jira_run		*run = job->impl;
	struct http_request	*req;
	const char		*body;
	char			*url, *k;
	json_t			*o;

	k = url_encode(run->key != NULL ? run->key : "", run->key != NULL ?
	    strlen(run->key) : 0, false);
	switch (job->step) {
	case 0:
		if (run->key == NULL) {
			url = jira_api_url(jc, "issue");
			body = json_string_value(json_object_get(job->payload,
			    "body"));
		} else {
			url = jira_api_url(jc, "issue/%s/comment", k);
			body = json_string_value(json_object_get(job->payload,
			    "comment"));
		}
		req = jira_request(job, "POST", url);
		if (body != NULL)
			http_request_body(req, body, strlen(body));
		break;
	case 1:
		url = jira_api_url(jc, "issue/%s/transitions", k);
		req = jira_request(job, "GET", url);
		break;
	default:
		url = jira_api_url(jc, "issue/%s/transitions", k);
		req = jira_request(job, "POST", url);
		o = json_pack("{s:{s:O}}", "transition", "id",
		    json_object_get(job->payload, "transition_id"));
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (body == NULL)
			fatalx("json_dumps: out of memory");
		http_request_body(req, body, strlen(body));
		free((char *)(uintptr_t)body);
		break;
	}
	free(k);
	free(run->what);
	run->what = http_redact_url(url);
	free(url);
	job->req = req;
	http_request_start(req, jira_done, job);
}

static void
jira_send(struct notify_job *job)
{
	struct jira_run	*run;
	const char	*op;

	op = json_string_value(json_object_get(job->payload, "op"));
	run = job->impl = xcalloc(1, sizeof *run);
	if (op != NULL && strcmp(op, "resolve") == 0) {
		if (job->open_ref == NULL) {
			jira_run_free(job);
			notify_job_done(job, NOTIFY_DELIVERED, -1, "no Jira "
			    "issue was made for this occurrence; nothing to "
			    "resolve");
			return;
		}
		run->key = xstrdup(job->open_ref);
		free(job->ref);
		job->ref = xstrdup(job->open_ref);
		if (job->step > 1)
			job->step = 1;	/* the transition's id is looked up */
	} else
		job->step = 0;	/* a create is one request */
	jira_step(job);
}

static void
jira_cancel(struct notify_job *job)
{
	jira_run_free(job);
}

const struct notify_backend notify_jira_backend = {
	.type = "jira",
	.keys = jira_keys,
	.nkeys = nitems(jira_keys),
	.conf_size = sizeof(struct jira_conf),
	.check = jira_check,
	.conf_free = NULL,
	.render = jira_render,
	.send = jira_send,
	.cancel = jira_cancel,
};
