/*
 * notify-stdout.c: one line per notification on vigild's standard output,
 * or appended to a file: for demos, and for a log shipper to pick up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "notify.h"

struct stdout_conf {
	char	*path;
};

#define OFF(f) offsetof(struct stdout_conf, f)
static const struct cfg_key stdout_keys[] = {
	{ "path", CFG_PATH, OFF(path), 0, 0, NULL, NULL, 0,
	  "Append the lines to this file instead of standard output." },
};
#undef OFF

/* "vigil: [HIGH] Violation opened: ... | asset | by ... | key=..." */
static json_t *
stdout_render(const struct notify_conf *nc, const json_t *doc, char **cause)
{
	const json_t	*g, *it;
	json_t		*out;
	char		*title, *asset, *by, *line, *t, *l;
	int		 kind = notify_kind(doc);
	size_t		 i;

	title = notify_title(doc);
	if (kind == NOTIFY_DIGEST || kind == NOTIFY_SUMMARY) {
		g = json_object_get(doc, kind == NOTIFY_DIGEST ? "digest" :
		    "summary");
		line = xprintf("vigil: %s | key=%s", title,
		    notify_str(doc, "key"));
		json_array_foreach(json_object_get(g, "items"), i, it) {
			l = notify_item_line(it);
			t = xprintf("%s\nvigil:   %s", line, l);
			free(l);
			free(line);
			line = t;
		}
		if (json_integer_value(json_object_get(g, "more")) > 0) {
			t = xprintf("%s\nvigil:   ... and %lld more", line,
			    (long long)json_integer_value(json_object_get(g,
			    "more")));
			free(line);
			line = t;
		}
	} else {
		asset = notify_asset_line(doc);
		by = notify_cause_text(doc);
		line = xprintf("vigil: %s | %s%s%s | key=%s", title, asset,
		    by != NULL ? (kind == NOTIFY_RESOLVE ? " | resolved by " :
		    " | by ") : "", by != NULL ? by : "",
		    notify_str(doc, "key"));
		free(asset);
		free(by);
	}
	free(title);
	/* One line a notification: no newline inside a field. */
	for (t = line; *t != '\0'; t++) {
		if (*t == '\r')
			*t = ' ';
	}
	out = json_pack("{s:s}", "line", line);
	free(line);
	return out;
}

static void
stdout_done_cb(int fd, short events, void *arg)
{
	struct notify_job	*job = arg;
	const struct stdout_conf *sc = job->conf->opts;
	const char		*line;
	char			*text;
	ssize_t			 w;
	size_t			 off = 0, len;
	int			 out;

	line = json_string_value(json_object_get(job->payload, "line"));
	text = xprintf("%s\n", line != NULL ? line : "");
	len = strlen(text);
	if (sc->path != NULL) {
		out = open(sc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (out == -1) {
			notify_job_done(job, NOTIFY_RETRY, -1, "%s: %s",
			    sc->path, strerror(errno));
			free(text);
			return;
		}
	} else {
		fflush(stdout);
		out = STDOUT_FILENO;
	}
	while (off < len) {
		if ((w = write(out, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (out != STDOUT_FILENO)
		close(out);
	free(text);
	if (off < len)
		notify_job_done(job, NOTIFY_RETRY, -1, "%s: %s",
		    sc->path != NULL ? sc->path : "standard output",
		    strerror(errno));
	else
		notify_job_done(job, NOTIFY_DELIVERED, -1, NULL);
}

/* Written from the loop, as every delivery ends. */
static void
stdout_send(struct notify_job *job)
{
	notify_defer(job, stdout_done_cb);
}

const struct notify_backend notify_stdout_backend = {
	.type = "stdout",
	.keys = stdout_keys,
	.nkeys = nitems(stdout_keys),
	.conf_size = sizeof(struct stdout_conf),
	.check = NULL,
	.conf_free = NULL,
	.render = stdout_render,
	.send = stdout_send,
	.cancel = NULL,
};
