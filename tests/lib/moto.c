/*
 * moto.c: start moto server on a free 127.0.0.1 port, wait until it
 * answers, stop it.  Shared by the tests that talk to AWS services.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "moto.h"
#include "vigil.h"

#define MOTO_START_MS		60000	/* a cold Python import can be slow */
#define MOTO_STOP_MS		5000
#define MOTO_POLL_MS		50
#define MOTO_PORT_TRIES		3
#define MOTO_INSTALL \
	"install moto server (python3 -m pip install 'moto[server]') and " \
	"re-run configure, or set MOTO_PYTHON to a Python that has it"

struct moto {
	pid_t	 pid;
	int	 port;
	char	*dir;
	char	*log;
	char	*url;
};

/* A port nobody listens on now (the kernel's choice). */
static int
moto_free_port(char **cause)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		*cause = xprintf("socket: %s", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		*cause = xprintf("bind 127.0.0.1:0: %s", strerror(errno));
		close(fd);
		return -1;
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Does moto answer on its own API (not routed to any AWS service)? */
static bool
moto_answers(int port)
{
	static const char	 req[] = "GET /moto-api/config HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n\r\n";
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	char			 buf[64];
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd;
	bool			 ok = false;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return false;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof buf - 1 && poll(&pfd, 1, 2000) == 1) {
		if ((n = read(fd, buf + got, sizeof buf - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		if (got >= 12)
			break;
	}
	buf[got] = '\0';
	/* "HTTP/1.1 201 ..." */
	ok = got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && buf[9] == '2';
out:
	close(fd);
	return ok;
}

char *
moto_log_tail(const struct moto *m, size_t max)
{
	char	*buf, *cause = NULL, *out;
	size_t	 len;

	if ((buf = read_file(m->log, 16 * 1024 * 1024, &len, &cause)) ==
	    NULL) {
		free(cause);
		return xstrdup("(no log)");
	}
	out = xstrdup(len > max ? buf + len - max : buf);
	free(buf);
	return out;
}

static void
moto_kill(struct moto *m)
{
	int64_t	 deadline;
	int	 status;

	if (m->pid <= 0)
		return;
	kill(-m->pid, SIGTERM);
	deadline = mono_ms() + MOTO_STOP_MS;
	for (;;) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid)
			break;
		if (mono_ms() >= deadline) {
			kill(-m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
			break;
		}
		poll(NULL, 0, 20);
	}
	m->pid = -1;
}

static pid_t
moto_spawn(struct moto *m, const char *python, const char *const *env)
{
	char	 port[16], *kv, *eq;
	pid_t	 pid;
	int	 fd;

	snprintf(port, sizeof port, "%d", m->port);
	if ((pid = fork()) != 0)
		return pid;

	/* The child: its own group, so that stopping it stops it all. */
	setpgid(0, 0);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if ((fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		_exit(126);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	for (; env != NULL && *env != NULL; env++) {
		kv = xstrdup(*env);
		if ((eq = strchr(kv, '=')) != NULL) {
			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
		free(kv);
	}
	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	execl(python, python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
	    port, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", python, strerror(errno));
	_exit(127);
}

/* Wait until the server answers: 0, or -1 if it died (*retry: port). */
static int
moto_wait(struct moto *m, const char *python, bool *retry, char **cause)
{
	int64_t	 deadline = mono_ms() + MOTO_START_MS;
	int	 status;
	char	*tail;

	*retry = false;
	for (;;) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			m->pid = -1;
			tail = moto_log_tail(m, 2000);
			if (strstr(tail, "Address already in use") != NULL)
				*retry = true;
			else if (strstr(tail, "No module named") != NULL ||
			    strstr(tail, "ModuleNotFoundError") != NULL ||
			    strstr(tail, "exec ") != NULL)
				*cause = xprintf("MOTO_PYTHON=%s cannot run "
				    "moto.server: %s.\n%s", python,
				    MOTO_INSTALL, tail);
			else
				*cause = xprintf("moto server exited (status "
				    "%d) before answering; its log:\n%s",
				    status, tail);
			free(tail);
			return -1;
		}
		if (moto_answers(m->port))
			return 0;
		if (mono_ms() >= deadline) {
			tail = moto_log_tail(m, 2000);
			*cause = xprintf("moto server did not answer on port "
			    "%d within %d s; its log:\n%s", m->port,
			    MOTO_START_MS / 1000, tail);
			free(tail);
			moto_kill(m);
			return -1;
		}
		poll(NULL, 0, MOTO_POLL_MS);
	}
}

struct moto *
moto_start(const char *const *env, char **cause)
{
	struct moto	*m;
	const char	*python;
	char		 tmpl[] = "/tmp/vigil-moto-XXXXXX";
	bool		 retry;
	int		 attempt;

	python = getenv("MOTO_PYTHON");
	if (python == NULL || *python == '\0') {
		*cause = xstrdup("MOTO_PYTHON is not set: the AWS tests need "
		    "moto server; " MOTO_INSTALL " (make check exports it)");
		return NULL;
	}
	if (access(python, X_OK) != 0) {
		*cause = xprintf("MOTO_PYTHON=%s: %s; " MOTO_INSTALL, python,
		    strerror(errno));
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->pid = -1;
	if (mkdtemp(tmpl) == NULL) {
		*cause = xprintf("mkdtemp: %s", strerror(errno));
		free(m);
		return NULL;
	}
	m->dir = xstrdup(tmpl);
	m->log = xprintf("%s/moto.log", m->dir);

	for (attempt = 0; attempt < MOTO_PORT_TRIES; attempt++) {
		if ((m->port = moto_free_port(cause)) == -1)
			break;
		if ((m->pid = moto_spawn(m, python, env)) == -1) {
			*cause = xprintf("fork: %s", strerror(errno));
			break;
		}
		setpgid(m->pid, m->pid);
		if (moto_wait(m, python, &retry, cause) == 0) {
			m->url = xprintf("http://127.0.0.1:%d", m->port);
			return m;
		}
		if (!retry)
			break;
	}
	if (*cause == NULL)
		*cause = xprintf("moto server: no free port after %d tries",
		    MOTO_PORT_TRIES);
	moto_stop(m);
	return NULL;
}

void
moto_stop(struct moto *m)
{
	if (m == NULL)
		return;
	moto_kill(m);
	unlink(m->log);
	rmdir(m->dir);
	free(m->dir);
	free(m->log);
	free(m->url);
	free(m);
}

const char *
moto_url(const struct moto *m)
{
	return m->url;
}

int
moto_port(const struct moto *m)
{
	return m->port;
}

const char *
moto_log_path(const struct moto *m)
{
	return m->log;
}
