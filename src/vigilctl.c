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
static int	cmd_asset(struct ctl *, int, char **);
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
	{ "metrics", "", cmd_metrics,
	  "print the Prometheus metrics" },
	{ "version", "", cmd_version,
	  "print the versions of vigilctl and vigild" },
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
		query_add(&q, qo[ch].param, qo[ch].flag ? "1" : optarg);
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
	char	*e, *path;
	bool	 history = false;
	size_t	 i;
	int	 rc;

	if (argc == 3 && strcmp(argv[2], "--history") == 0)
		history = true;
	else if (argc != 2)
		usage();
	e = ctl_escape(argv[1]);
	path = xprintf(CTL_PREFIX "/assets/%s%s", e, history ?
	    "?history=1" : "");
	free(e);
	rc = ctl_call(ctl, "GET", path, NULL, &ans);
	free(path);
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
	char	*e, *path;
	int	 rc;

	if (argc != 2)
		usage();
	e = ctl_escape(argv[1]);
	path = xprintf(CTL_PREFIX "/events/%s", e);
	free(e);
	rc = ctl_call(ctl, "GET", path, NULL, &ans);
	free(path);
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

int
main(int argc, char **argv)
{
	const struct ctl_command	*cmd = NULL;
	struct ctl			 ctl;
	const char			*env;
	size_t				 i;
	int				 ch, rc;

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
		if (strcmp(argv[0], ctl_commands[i].name) == 0) {
			cmd = &ctl_commands[i];
			break;
		}
	}
	if (cmd == NULL) {
		log_warnx("unknown command '%s' (vigilctl help lists them)",
		    argv[0]);
		return CTL_EXIT_USAGE;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("cannot initialise libcurl");
		return CTL_EXIT_ERROR;
	}
	rc = cmd->exec(&ctl, argc, argv);
	ctl_close(&ctl);
	curl_global_cleanup();
	return rc;
}
