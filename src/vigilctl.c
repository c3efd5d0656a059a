/*
 * vigilctl.c: the command-line client of vigild's control API.
 *
 * Commands are entries in one table; each sends requests over the control
 * socket (HTTP/1.1 + JSON, see ctl-proto.h) and prints the answer as an
 * aligned table, JSON or CSV.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl-proto.h"
#include "format.h"
#include "vigil.h"
#include "vigilctl.h"

static int	cmd_status(struct ctl *, int, char **);
static int	cmd_reload(struct ctl *, int, char **);
static int	cmd_metrics(struct ctl *, int, char **);
static int	cmd_version(struct ctl *, int, char **);
static int	cmd_events(struct ctl *, int, char **);
static int	cmd_event(struct ctl *, int, char **);
static int	cmd_assets(struct ctl *, int, char **);
static int	cmd_rules(struct ctl *, int, char **);
static int	cmd_rule(struct ctl *, int, char **);
static int	cmd_violations(struct ctl *, int, char **);
static int	cmd_violation(struct ctl *, int, char **);
static int	cmd_exceptions(struct ctl *, int, char **);
static int	cmd_exceptions_add(struct ctl *, int, char **);
static int	cmd_exceptions_remove(struct ctl *, int, char **);
static int	cmd_scan(struct ctl *, int, char **);
static int	cmd_asset(struct ctl *, int, char **);
static int	cmd_notifications(struct ctl *, int, char **);
static int	cmd_notify_test(struct ctl *, int, char **);
static int	cmd_notify_retry(struct ctl *, int, char **);
struct query_opt;
static int	list_command(struct ctl *, int, char **,
		    const struct query_opt *, size_t, const char *,
		    const char *, const struct format_column *, size_t);
static int	cmd_help(struct ctl *, int, char **);

static const struct ctl_command {
	const char	*name;
	const char	*args;
	int		 (*exec)(struct ctl *, int, char **);
	const char	*help;
} ctl_commands[] = {
	{ "status", "", cmd_status,
	  "show vigild's state, database, feeds and counters" },
	{ "reload", "", cmd_reload,
	  "reload the configuration (as SIGHUP does); show its errors" },
	{ "events", "[--since DUR] [--account A] [--name N] [--actor ARN] "
	  "[--feed F] [--writes] [--limit N]", cmd_events,
	  "list recorded change events, newest first" },
	{ "event", "ID", cmd_event,
	  "show one event, with its raw record" },
	{ "assets", "[--type T] [--account A] [--region R] [--deleted] "
	  "[--limit N]", cmd_assets,
	  "list the inventory" },
	{ "asset", "ID [--history]", cmd_asset,
	  "show an asset's document (by ARN, resource id or #row), or its "
	  "versions and what changed" },
	{ "scan", "[--account A] [--type T]", cmd_scan,
	  "sweep the inventory now (everything, an account, a type)" },
	{ "rules", "[--framework F]", cmd_rules,
	  "list the rules vigild runs" },
	{ "rule", "ID", cmd_rule,
	  "show a rule: what it checks, why, how to fix it" },
	{ "violations", "[--open|--resolved|--excepted|--all] [--severity S] "
	  "[--rule R] [--account A] [--type T] [--since DUR] [--limit N]",
	  cmd_violations,
	  "list violations (open ones by default), newest first" },
	{ "violation", "ID", cmd_violation,
	  "show a violation: its evidence and its timeline" },
	{ "exceptions", "[--all]", cmd_exceptions,
	  "list the live exceptions (accepted risks), or every one" },
	{ "exceptions add", "--rule P --asset P [--account A] [--tag K=V] "
	  "--reason TEXT --owner WHO [--expires DATE]", cmd_exceptions_add,
	  "accept a risk: matching violations are excepted, not alerted" },
	{ "exceptions remove", "ID", cmd_exceptions_remove,
	  "end an exception: its violations are open again, and alert" },
	{ "notifications", "[--pending|--failed|--delivered] [--channel C] "
	  "[--limit N]", cmd_notifications,
	  "list the notifications of the outbox, newest first" },
	{ "notify test", "CHANNEL", cmd_notify_test,
	  "send a test notification through a channel now; wait for the "
	  "outcome" },
	{ "notify retry", "ID", cmd_notify_retry,
	  "send a failed notification again, now" },
	{ "metrics", "", cmd_metrics,
	  "print the Prometheus metrics" },
	{ "version", "", cmd_version,
	  "print the versions of vigilctl and vigild" },
	{ "rules check", "FILE|DIR...", ctl_rules_check,
	  "compile rule files offline and print every error" },
	{ "rules test", "[--type T] [--now TIME] RULES ASSET.json...",
	  ctl_rules_test,
	  "evaluate rules offline over asset documents; exit 1 if any "
	  "violates" },
	{ "help", "", cmd_help,
	  "list the commands" },
};

static VIGIL_NORETURN void
usage(void)
{
	fprintf(stderr, "usage: vigilctl [-s socket] [-o table|json|csv] "
	    "command [args]\n       vigilctl help\n");
	exit(CTL_EXIT_USAGE);
}

static int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	static const struct format_column cols[] = {
		{ "name", "FEED", false },
		{ "type", "TYPE", false },
		{ "state", "STATE", false },
		{ "received", "RECEIVED", true },
		{ "committed", "COMMITTED", true },
		{ "events_stored", "EVENTS", true },
		{ "dead_lettered", "DEAD", true },
		{ "in_flight", "IN FLIGHT", true },
		{ "lag_seconds", "LAG S", true },
		{ "errors", "ERRORS", true },
		{ "last_error", "LAST ERROR", false },
	};
	json_t	*ans, *feeds;
	int	 rc;

	if (argc != 1)
		usage();
	if ((rc = ctl_call(ctl, "GET", CTL_PREFIX "/status", NULL, &ans)) !=
	    CTL_EXIT_OK)
		return rc;
	if (ctl->fmt != FORMAT_TABLE) {
		format_object(stdout, ctl->fmt, ans);
		json_decref(ans);
		return CTL_EXIT_OK;
	}
	/* For people: the feeds as a table of their own. */
	feeds = json_incref(json_object_get(ans, "feeds"));
	json_object_del(ans, "feeds");
	format_object(stdout, ctl->fmt, ans);
	if (json_array_size(feeds) > 0) {
		printf("\n");
		format_rows(stdout, ctl->fmt, feeds, cols, nitems(cols));
	}
	json_decref(feeds);
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans;
	int	 rc;

	if (argc != 1)
		usage();
	rc = ctl_call(ctl, "POST", CTL_PREFIX "/reload", NULL, &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_JSON)
		format_object(stdout, ctl->fmt, ans);
	else
		printf("configuration reloaded\n");
	json_decref(ans);
	return CTL_EXIT_OK;
}

/* Append "&name=value" (escaped) to a query string being built. */
static void
query_add(char **q, const char *name, const char *value)
{
	char	*e, *n;

	if (value == NULL)
		return;
	e = ctl_escape(value);
	n = xprintf("%s%s%s=%s", *q, **q == '\0' ? "?" : "&", name, e);
	free(e);
	free(*q);
	*q = n;
}

/*
 * Options that become query parameters of a GET: --name VALUE, or a flag
 * that becomes name=1.  Returns the query string ("" or "?a=b&c=d"), or
 * exits with a usage error.
 */
struct query_opt {
	const char	*name;		/* the option, without "--" */
	const char	*param;		/* the query parameter */
	bool		 flag;		/* takes no value */
	const char	*value;		/* a flag's value (NULL: "1") */
};

static char *
query_args(int argc, char **argv, const struct query_opt *qo, size_t n,
    int *optindp)
{
	struct option	*lo;
	char		*q = xstrdup("");
	size_t		 i;
	int		 ch;

	lo = xcalloc(n + 1, sizeof *lo);
	for (i = 0; i < n; i++) {
		lo[i].name = qo[i].name;
		lo[i].has_arg = qo[i].flag ? no_argument : required_argument;
		lo[i].val = (int)i;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch < 0 || (size_t)ch >= n) {
			free(lo);
			free(q);
			usage();
		}
		query_add(&q, qo[ch].param, !qo[ch].flag ? optarg :
		    qo[ch].value != NULL ? qo[ch].value : "1");
	}
	free(lo);
	*optindp = optind;
	return q;
}

static int
cmd_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "since", "since", false },
		{ "account", "account", false },
		{ "name", "name", false },
		{ "actor", "actor", false },
		{ "feed", "feed", false },
		{ "limit", "limit", false },
		{ "writes", "writes", true },
	};
	static const struct format_column cols[] = {
		{ "time", "TIME", false },
		{ "account", "ACCOUNT", false },
		{ "region", "REGION", false },
		{ "name", "EVENT", false },
		{ "actor_arn", "ACTOR", false },
		{ "source_ip", "SOURCE IP", false },
		{ "error_code", "ERROR", false },
		{ "event_id", "ID", false },
	};

	return list_command(ctl, argc, argv, qo, nitems(qo), "/events",
	    "events", cols, nitems(cols));
}

static int
cmd_assets(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "type", "type", false },
		{ "account", "account", false },
		{ "region", "region", false },
		{ "limit", "limit", false },
		{ "deleted", "deleted", true },
	};
	static const struct format_column cols[] = {
		{ "type", "TYPE", false },
		{ "account", "ACCOUNT", false },
		{ "region", "REGION", false },
		{ "resource_id", "ID", false },
		{ "name", "NAME", false },
		{ "version", "VERSION", true },
		{ "changed_at", "CHANGED", false },
		{ "deleted_at", "DELETED", false },
	};

	return list_command(ctl, argc, argv, qo, nitems(qo), "/assets",
	    "assets", cols, nitems(cols));
}

static int
cmd_rules(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "framework", "framework", false, NULL },
	};
	static const struct format_column cols[] = {
		{ "id", "ID", false },
		{ "severity", "SEVERITY", false },
		{ "resources", "RESOURCES", false },
		{ "frameworks", "FRAMEWORKS", false },
		{ "title", "TITLE", false },
	};

	return list_command(ctl, argc, argv, qo, nitems(qo), "/rules",
	    "rules", cols, nitems(cols));
}

/* A request about one thing: METHOD /v1/<what>/<id>[?query]. */
static int
call_one(struct ctl *ctl, const char *method, const char *what,
    const char *id, const char *query, json_t **ans)
{
	char	*e, *path;
	int	 rc;

	e = ctl_escape(id);
	path = xprintf(CTL_PREFIX "/%s/%s%s", what, e, query);
	free(e);
	rc = ctl_call(ctl, method, path, NULL, ans);
	free(path);
	return rc;
}

static int
cmd_rule(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans;
	int	 rc;

	if (argc != 2)
		usage();
	if ((rc = call_one(ctl, "GET", "rules", argv[1], "", &ans)) != CTL_EXIT_OK)
		return rc;
	format_object(stdout, ctl->fmt, ans);
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_violations(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "open", "state", true, "open" },
		{ "resolved", "state", true, "resolved" },
		{ "excepted", "state", true, "excepted" },
		{ "all", "state", true, "all" },
		{ "severity", "severity", false, NULL },
		{ "rule", "rule", false, NULL },
		{ "account", "account", false, NULL },
		{ "type", "type", false, NULL },
		{ "since", "since", false, NULL },
		{ "limit", "limit", false, NULL },
	};
	static const struct format_column cols[] = {
		{ "id", "ID", true },
		{ "state", "STATE", false },
		{ "severity", "SEVERITY", false },
		{ "rule_id", "RULE", false },
		{ "type", "TYPE", false },
		{ "resource_id", "ASSET", false },
		{ "account", "ACCOUNT", false },
		{ "region", "REGION", false },
		{ "first_seen", "SINCE", false },
		{ "opened_actor", "BY", false },
	};
	char	**args;
	int	  i, rc;
	bool	  state = false;

	/* Open violations unless a state is asked for. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--open") == 0 ||
		    strcmp(argv[i], "--resolved") == 0 ||
		    strcmp(argv[i], "--excepted") == 0 ||
		    strcmp(argv[i], "--all") == 0)
			state = true;
	}
	args = xcalloc((size_t)argc + 2, sizeof *args);
	for (i = 0; i < argc; i++)
		args[i] = argv[i];
	if (!state)
		args[argc++] = (char *)(uintptr_t)"--open";
	rc = list_command(ctl, argc, args, qo, nitems(qo), "/violations",
	    "violations", cols, nitems(cols));
	free(args);
	return rc;
}

static int
cmd_violation(struct ctl *ctl, int argc, char **argv)
{
	static const struct format_column cols[] = {
		{ "time", "TIME", false },
		{ "transition", "TRANSITION", false },
		{ "event_id", "EVENT", false },
		{ "actor", "ACTOR", false },
	};
	json_t	*ans, *tl, *ev;
	int	 rc;

	if (argc != 2)
		usage();
	if ((rc = call_one(ctl, "GET", "violations", argv[1], "",
	    &ans)) != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_JSON) {
		format_object(stdout, ctl->fmt, ans);
		json_decref(ans);
		return CTL_EXIT_OK;
	}
	tl = json_incref(json_object_get(ans, "timeline"));
	ev = json_incref(json_object_get(ans, "evidence"));
	json_object_del(ans, "timeline");
	json_object_del(ans, "evidence");
	format_object(stdout, ctl->fmt, ans);
	if (ctl->fmt == FORMAT_TABLE) {
		json_t	*e;
		size_t	 i;

		printf("\nevidence:\n");
		json_array_foreach(ev, i, e) {
			char *v = json_dumps(json_object_get(e, "value"),
			    JSON_COMPACT | JSON_ENCODE_ANY);
			printf("  %s = %s\n", json_string_value(
			    json_object_get(e, "path")), v != NULL ? v : "");
			free(v);
		}
		printf("\ntimeline:\n");
	}
	format_rows(stdout, ctl->fmt, tl, cols, nitems(cols));
	json_decref(tl);
	json_decref(ev);
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_exceptions(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "all", "all", true, NULL },
	};
	static const struct format_column cols[] = {
		{ "id", "ID", true },
		{ "rule", "RULE", false },
		{ "asset", "ASSET", false },
		{ "account", "ACCOUNT", false },
		{ "owner", "OWNER", false },
		{ "expires_at", "EXPIRES", false },
		{ "source", "SOURCE", false },
		{ "reason", "REASON", false },
	};

	return list_command(ctl, argc, argv, qo, nitems(qo), "/exceptions",
	    "exceptions", cols, nitems(cols));
}

static int
cmd_exceptions_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "asset", required_argument, NULL, 'a' },
		{ "account", required_argument, NULL, 'A' },
		{ "tag", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'R' },
		{ "owner", required_argument, NULL, 'o' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*body, *ans;
	int	 ch, rc;

	body = json_object();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char *key = NULL;

		switch (ch) {
		case 'r': key = "rule"; break;
		case 'a': key = "asset"; break;
		case 'A': key = "account"; break;
		case 't': key = "tag"; break;
		case 'R': key = "reason"; break;
		case 'o': key = "owner"; break;
		case 'e': key = "expires"; break;
		default:
			json_decref(body);
			usage();
		}
		json_object_set_new(body, key, json_string(optarg));
	}
	if (optind != argc || json_object_get(body, "rule") == NULL ||
	    json_object_get(body, "asset") == NULL ||
	    json_object_get(body, "reason") == NULL ||
	    json_object_get(body, "owner") == NULL) {
		log_warnx("exceptions add needs --rule, --asset, --reason and "
		    "--owner");
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	rc = ctl_call(ctl, "POST", CTL_PREFIX "/exceptions", body, &ans);
	json_decref(body);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_JSON)
		format_object(stdout, ctl->fmt, ans);
	else
		printf("exception %lld added\n", (long long)json_integer_value(
		    json_object_get(ans, "id")));
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_exceptions_remove(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans;
	int	 rc;

	if (argc != 2)
		usage();
	rc = call_one(ctl, "DELETE", "exceptions", argv[1], "", &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	printf("exception %s removed\n", argv[1]);
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_scan(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "account", "account", false, NULL },
		{ "type", "type", false, NULL },
	};
	json_t	*ans;
	char	*q, *path;
	int	 rc, end;

	q = query_args(argc, argv, qo, nitems(qo), &end);
	if (end != argc) {
		free(q);
		usage();
	}
	path = xprintf(CTL_PREFIX "/scan%s", q);
	free(q);
	rc = ctl_call(ctl, "POST", path, NULL, &ans);
	free(path);
	if (rc != CTL_EXIT_OK)
		return rc;
	printf("sweep started\n");
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_asset(struct ctl *ctl, int argc, char **argv)
{
	static const struct format_column cols[] = {
		{ "version", "VERSION", true },
		{ "time", "TIME", false },
		{ "cause", "CAUSE", false },
		{ "actor", "ACTOR", false },
		{ "event_id", "EVENT", false },
		{ "summary", "CHANGES", false },
	};
	json_t	*ans, *versions, *v, *doc;
	bool	 history = false;
	size_t	 i;
	int	 rc;

	if (argc == 3 && strcmp(argv[2], "--history") == 0)
		history = true;
	else if (argc != 2)
		usage();
	rc = call_one(ctl, "GET", "assets", argv[1], history ? "?history=1" :
	    "", &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_JSON) {
		format_object(stdout, ctl->fmt, ans);
		json_decref(ans);
		return CTL_EXIT_OK;
	}
	if (!history) {
		/* The document as the cloud's CLI prints it. */
		doc = json_object_get(ans, "document");
		json_dumpf(doc, stdout, JSON_INDENT(4));
		printf("\n");
		json_decref(ans);
		return CTL_EXIT_OK;
	}
	versions = json_object_get(ans, "versions");
	json_array_foreach(versions, i, v) {
		json_t *ch = json_object_get(v, "changes");

		if (json_is_true(json_object_get(v, "deleted")))
			json_object_set_new(v, "summary",
			    json_string("deleted"));
		else if (ch == NULL)
			json_object_set_new(v, "summary",
			    json_string("first seen"));
		else
			json_object_set_new(v, "summary", json_sprintf(
			    "%zu change%s", json_array_size(ch),
			    json_array_size(ch) == 1 ? "" : "s"));
	}
	format_rows(stdout, ctl->fmt, versions, cols, nitems(cols));
	if (ctl->fmt == FORMAT_TABLE) {
		json_array_foreach(versions, i, v) {
			json_t	*ch = json_object_get(v, "changes"), *op;
			size_t	 j;

			if (json_array_size(ch) == 0)
				continue;
			printf("\nversion %lld:\n", (long long)
			    json_integer_value(json_object_get(v, "version")));
			json_array_foreach(ch, j, op) {
				char *val = NULL, *old = NULL;

				if (json_object_get(op, "value") != NULL)
					val = json_dumps(json_object_get(op,
					    "value"), JSON_COMPACT |
					    JSON_ENCODE_ANY);
				if (json_object_get(op, "old") != NULL)
					old = json_dumps(json_object_get(op,
					    "old"), JSON_COMPACT |
					    JSON_ENCODE_ANY);
				printf("  %-7s %s%s%s%s%s\n",
				    json_string_value(json_object_get(op,
				    "op")),
				    json_string_value(json_object_get(op,
				    "path")),
				    old != NULL ? "  " : "",
				    old != NULL ? old : "",
				    val != NULL ? " -> " : "",
				    val != NULL ? val : "");
				free(val);
				free(old);
			}
		}
	}
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_notifications(struct ctl *ctl, int argc, char **argv)
{
	static const struct query_opt qo[] = {
		{ "pending", "pending", true },
		{ "failed", "failed", true },
		{ "delivered", "delivered", true },
		{ "channel", "channel", false },
		{ "limit", "limit", false },
	};
	static const struct format_column cols[] = {
		{ "id", "ID", true },
		{ "channel", "CHANNEL", false },
		{ "kind", "KIND", false },
		{ "key", "KEY", false },
		{ "state", "STATE", false },
		{ "attempts", "TRIES", true },
		{ "severity", "SEVERITY", false },
		{ "rule", "RULE", false },
		{ "asset", "ASSET", false },
		{ "created_at", "CREATED", false },
		{ "next_attempt_at", "NEXT", false },
		{ "last_error", "LAST ERROR", false },
	};

	return list_command(ctl, argc, argv, qo, nitems(qo), "/notifications",
	    "notifications", cols, nitems(cols));
}

#define NOTIFY_TEST_WAIT_SECONDS	300

/*
 * Send a test through a channel and follow it until it is delivered or
 * has failed: exit 0, or 1 with the receiver's error.
 */
static int
cmd_notify_test(struct ctl *ctl, int argc, char **argv)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	json_t		*ans;
	const char	*state;
	char		*path;
	int64_t		 id, deadline;
	int		 rc;

	if (argc != 2)
		usage();
	rc = call_one(ctl, "POST", "notify/test", argv[1], "", &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	id = (int64_t)json_integer_value(json_object_get(ans, "id"));
	json_decref(ans);
	path = xprintf(CTL_PREFIX "/notifications/%lld", (long long)id);
	deadline = mono_ms() + NOTIFY_TEST_WAIT_SECONDS * 1000LL;
	for (;;) {
		if ((rc = ctl_call(ctl, "GET", path, NULL, &ans)) !=
		    CTL_EXIT_OK) {
			free(path);
			return rc;
		}
		state = json_string_value(json_object_get(ans, "state"));
		if (state != NULL && (strcmp(state, "delivered") == 0 ||
		    strcmp(state, "failed") == 0))
			break;
		json_decref(ans);
		if (mono_ms() > deadline) {
			log_warnx("notification #%lld: no outcome after %ds; "
			    "vigilctl notifications shows it", (long long)id,
			    NOTIFY_TEST_WAIT_SECONDS);
			free(path);
			return CTL_EXIT_ERROR;
		}
		nanosleep(&ts, NULL);
	}
	free(path);
	json_object_del(ans, "notification");
	rc = strcmp(state, "delivered") == 0 ? CTL_EXIT_OK : CTL_EXIT_NO;
	if (ctl->fmt != FORMAT_TABLE)
		format_object(stdout, ctl->fmt, ans);
	else if (rc == CTL_EXIT_OK)
		printf("notification #%lld to %s: delivered\n", (long long)id,
		    argv[1]);
	else
		printf("notification #%lld to %s: failed: %s\n", (long long)id,
		    argv[1], json_string_value(json_object_get(ans,
		    "last_error")) != NULL ? json_string_value(
		    json_object_get(ans, "last_error")) : "(no error)");
	json_decref(ans);
	return rc;
}

static int
cmd_notify_retry(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans;
	int	 rc;

	if (argc != 2)
		usage();
	rc = call_one(ctl, "POST", "notify/retry", argv[1], "", &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_TABLE)
		printf("notification #%s: pending again\n", argv[1]);
	else
		format_object(stdout, ctl->fmt, ans);
	json_decref(ans);
	return CTL_EXIT_OK;
}

/* A listing command: options to a query, a GET, the rows as a table. */
static int
list_command(struct ctl *ctl, int argc, char **argv,
    const struct query_opt *qo, size_t nqo, const char *what,
    const char *member, const struct format_column *cols, size_t ncols)
{
	json_t	*ans;
	char	*q, *path;
	int	 rc, end;

	q = query_args(argc, argv, qo, nqo, &end);
	if (end != argc) {
		free(q);
		usage();
	}
	path = xprintf(CTL_PREFIX "%s%s", what, q);
	free(q);
	rc = ctl_call(ctl, "GET", path, NULL, &ans);
	free(path);
	if (rc != CTL_EXIT_OK)
		return rc;
	format_rows(stdout, ctl->fmt, json_object_get(ans, member), cols,
	    ncols);
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_event(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans, *raw;
	int	 rc;

	if (argc != 2)
		usage();
	rc = call_one(ctl, "GET", "events", argv[1], "", &ans);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl->fmt == FORMAT_JSON)
		format_object(stdout, ctl->fmt, ans);
	else {
		raw = json_incref(json_object_get(ans, "raw"));
		json_object_del(ans, "raw");
		format_object(stdout, ctl->fmt, ans);
		if (ctl->fmt == FORMAT_TABLE && raw != NULL) {
			printf("\nraw record:\n");
			json_dumpf(raw, stdout, JSON_INDENT(2));
			printf("\n");
		}
		json_decref(raw);
	}
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
	char	*text;
	int	 rc;

	if (argc != 1)
		usage();
	if ((rc = ctl_call_text(ctl, "/metrics", &text)) != CTL_EXIT_OK)
		return rc;
	fputs(text, stdout);
	free(text);
	return CTL_EXIT_OK;
}

static int
cmd_version(struct ctl *ctl, int argc, char **argv)
{
	json_t	*ans;
	int	 rc;

	if (argc != 1)
		usage();
	printf("vigilctl %s\n", PACKAGE_VERSION);
	if ((rc = ctl_call(ctl, "GET", CTL_PREFIX "/status", NULL, &ans)) !=
	    CTL_EXIT_OK)
		return rc;
	printf("vigild %s (protocol %lld)\n",
	    json_string_value(json_object_get(ans, "version")),
	    (long long)json_integer_value(json_object_get(ans, "protocol")));
	json_decref(ans);
	return CTL_EXIT_OK;
}

static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	size_t	 i;

	printf("usage: vigilctl [-s socket] [-o table|json|csv] command "
	    "[args]\n\ncommands:\n");
	for (i = 0; i < nitems(ctl_commands); i++)
		printf("  %s %s\n      %s\n", ctl_commands[i].name,
		    ctl_commands[i].args, ctl_commands[i].help);
	printf("\nSee vigilctl(1).\n");
	return CTL_EXIT_OK;
}

/*
 * How many words of the command line a command's name takes ("status": 1,
 * "rules check": 2); 0 when it is not that command.
 */
static int
command_words(const char *name, int argc, char **argv)
{
	const char	*sp = strchr(name, ' ');
	size_t		 len;

	if (sp == NULL)
		return strcmp(argv[0], name) == 0;
	len = (size_t)(sp - name);
	if (argc < 2 || strncmp(argv[0], name, len) != 0 ||
	    argv[0][len] != '\0' || strcmp(argv[1], sp + 1) != 0)
		return 0;
	return 2;
}

/* Is word the first of a command of two words ("rules")? */
static bool
command_group(const char *word)
{
	size_t	 i, len = strlen(word);

	for (i = 0; i < nitems(ctl_commands); i++) {
		if (strncmp(ctl_commands[i].name, word, len) == 0 &&
		    ctl_commands[i].name[len] == ' ')
			return true;
	}
	return false;
}

int
main(int argc, char **argv)
{
	const struct ctl_command	*cmd = NULL;
	struct ctl			 ctl;
	const char			*env;
	size_t				 i;
	int				 ch, rc, n, words = 0;

	log_init("vigilctl", false);
	memset(&ctl, 0, sizeof ctl);
	ctl.socket = (env = getenv("VIGIL_SOCKET")) != NULL && *env != '\0' ?
	    env : VIGIL_SOCKET;
	ctl.fmt = FORMAT_TABLE;

	while ((ch = getopt(argc, argv, "+s:o:hV")) != -1) {
		switch (ch) {
		case 's':
			ctl.socket = optarg;
			break;
		case 'o':
			if (format_parse(optarg, &ctl.fmt) != 0) {
				log_warnx("unknown output format '%s' (use "
				    "table, json or csv)", optarg);
				usage();
			}
			break;
		case 'h':
			return cmd_help(&ctl, 0, NULL);
		case 'V':
			printf("vigilctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < nitems(ctl_commands); i++) {
		if ((n = command_words(ctl_commands[i].name, argc, argv)) >
		    words) {
			cmd = &ctl_commands[i];
			words = n;
		}
	}
	/* "rules chek": a group's own command takes options, not words. */
	if (cmd != NULL && words == 1 && argc > 1 && argv[1][0] != '-' &&
	    command_group(argv[0]))
		cmd = NULL;
	if (cmd == NULL) {
		log_warnx("unknown command '%s%s%s' (vigilctl help lists them)",
		    argv[0], argc > 1 && command_group(argv[0]) ? " " : "",
		    argc > 1 && command_group(argv[0]) ? argv[1] : "");
		return CTL_EXIT_USAGE;
	}
	argc -= words - 1;
	argv += words - 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("cannot initialise libcurl");
		return CTL_EXIT_ERROR;
	}
	rc = cmd->exec(&ctl, argc, argv);
	ctl_close(&ctl);
	curl_global_cleanup();
	return rc;
}
