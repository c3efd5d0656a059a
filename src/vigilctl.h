/*
 * vigilctl.h: vigilctl's client of the control API (ctl-client.c).
 */
#ifndef VIGILCTL_H
#define VIGILCTL_H

#include <curl/curl.h>
#include <jansson.h>

#include "format.h"

/* vigilctl's exit statuses, documented in vigilctl(1). */
#define CTL_EXIT_OK		0	/* done; or the answer is "yes" */
#define CTL_EXIT_NO		1	/* the answer is "no" (see each command) */
#define CTL_EXIT_USAGE		2	/* bad command line */
#define CTL_EXIT_UNREACHABLE	3	/* vigild is not running or unreachable */
#define CTL_EXIT_DENIED		4	/* vigild refused: access denied */
#define CTL_EXIT_ERROR		5	/* vigild answered with an error */

struct ctl {
	const char	*socket;
	enum format	 fmt;
	CURL		*curl;
};

int	 ctl_call(struct ctl *, const char *, const char *, json_t *,
	    json_t **);
int	 ctl_call_text(struct ctl *, const char *, char **);
void	 ctl_close(struct ctl *);
char	*ctl_escape(const char *);

/* ctl-rules.c: offline rule commands (no daemon). */
int	 ctl_rules_check(struct ctl *, int, char **);
int	 ctl_rules_test(struct ctl *, int, char **);

#endif /* VIGILCTL_H */
