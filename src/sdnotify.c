/*
 * sdnotify.c: tell the service manager how vigild is doing (READY=1,
 * STATUS=..., WATCHDOG=1, STOPPING=1, RELOADING=1).  libsystemd's sd_notify
 * when vigild is built with it, otherwise the same datagram protocol spoken
 * directly to $NOTIFY_SOCKET.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "vigild.h"

static bool	 sdnotify_on;

/* Returns 1 when a service manager listens, 0 otherwise. */
int
sdnotify_init(void)
{
	const char	*s = getenv("NOTIFY_SOCKET");

	sdnotify_on = s != NULL && (*s == '/' || *s == '@');
	return sdnotify_on ? 1 : 0;
}

bool
sdnotify_enabled(void)
{
	return sdnotify_on;
}

#ifndef HAVE_LIBSYSTEMD
static void
sdnotify_send(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	size_t			 plen;
	int			 fd;

	if (path == NULL)
		return;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	plen = strlen(path);
	if (plen >= sizeof sun.sun_path)
		return;
	memcpy(sun.sun_path, path, plen);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_debug("sdnotify: %s", strerror(errno));
	close(fd);
}
#endif

void
sdnotify(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (!sdnotify_on)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
#ifdef HAVE_LIBSYSTEMD
	if (sd_notify(0, msg) < 0)
		log_debug("sd_notify failed");
#else
	sdnotify_send(msg);
#endif
	free(msg);
}

/*
 * The watchdog interval in microseconds, or 0 when no watchdog is asked
 * for (or it is meant for another process).
 */
int64_t
sdnotify_watchdog_usec(void)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t	 usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return (int64_t)usec;
#else
	const char	*s, *why;
	int64_t		 usec, pid;

	if ((s = getenv("WATCHDOG_USEC")) == NULL ||
	    parse_int(s, &usec, &why) != 0 || usec <= 0)
		return 0;
	if ((s = getenv("WATCHDOG_PID")) != NULL &&
	    (parse_int(s, &pid, &why) != 0 || pid != (int64_t)getpid()))
		return 0;
	return usec;
#endif
}
