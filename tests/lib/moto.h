/*
 * moto.h: moto server, the AWS test peer, run by a test on 127.0.0.1
 * (tests/lib/moto.c).
 *
 *	struct moto *m;
 *	char *cause;
 *
 *	if ((m = moto_start(NULL, &cause)) == NULL)
 *		ck_abort_msg("%s", cause);
 *	... aws_client_new(http, &aws_service_sqs, "us-east-1",
 *	    moto_url(m), creds) ...
 *	moto_stop(m);
 *
 * The Python comes from $MOTO_PYTHON (exported by make check); without it,
 * or when it cannot run moto.server, moto_start fails with a cause that
 * says what to install: tests fail, they never skip.  The server gets a
 * free port, its own process group and a log file in a temporary
 * directory; moto_start returns once it answers, moto_stop kills it and
 * removes the directory.
 */
#ifndef MOTO_H
#define MOTO_H

#include <stddef.h>

struct moto;

/* env: extra "NAME=VALUE" settings (NULL-terminated), or NULL. */
struct moto	*moto_start(const char *const *, char **);
void		 moto_stop(struct moto *);
const char	*moto_url(const struct moto *);	/* "http://127.0.0.1:PORT" */
int		 moto_port(const struct moto *);
const char	*moto_log_path(const struct moto *);
char		*moto_log_tail(const struct moto *, size_t);

#endif /* MOTO_H */
