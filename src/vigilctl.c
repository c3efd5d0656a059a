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

static int
cmd_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "account", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "actor", required_argument, NULL, 'A' },
		{ "feed", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' },
		{ "writes", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
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
	json_t	*ans;
	char	*q = xstrdup(""), *path;
	int	 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			query_add(&q, "since", optarg);
			break;
		case 'a':
			query_add(&q, "account", optarg);
			break;
		case 'n':
			query_add(&q, "name", optarg);
			break;
		case 'A':
			query_add(&q, "actor", optarg);
			break;
		case 'f':
			query_add(&q, "feed", optarg);
			break;
		case 'l':
			query_add(&q, "limit", optarg);
			break;
		case 'w':
			query_add(&q, "writes", "1");
			break;
		default:
			free(q);
			usage();
		}
	}
	if (optind != argc) {
		free(q);
		usage();
	}
	path = xprintf(CTL_PREFIX "/events%s", q);
	free(q);
	rc = ctl_call(ctl, "GET", path, NULL, &ans);
	free(path);
	if (rc != CTL_EXIT_OK)
		return rc;
	format_rows(stdout, ctl->fmt, json_object_get(ans, "events"), cols,
	    nitems(cols));
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
