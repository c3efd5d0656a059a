/*
 * vigilctl.c: the command-line client of vigild's control API.
 *
 * Commands are entries in one table; each sends requests over the control
 * socket (HTTP/1.1 + JSON, see ctl-proto.h) and prints the answer as an
 * aligned table, JSON or CSV.
 */
#include "config.h"

#include <errno.h>
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
	json_t	*ans;
	int	 rc;

	if (argc != 1)
		usage();
	if ((rc = ctl_call(ctl, "GET", CTL_PREFIX "/status", NULL, &ans)) !=
	    CTL_EXIT_OK)
		return rc;
	format_object(stdout, ctl->fmt, ans);
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
		printf("  %-10s %-20s %s\n", ctl_commands[i].name,
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
