/*
 * ctl-client.c: requests to vigild's control API over its UNIX socket, with
 * libcurl.  Turns every way a request can fail into a clear message and one
 * of vigilctl's exit statuses.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil.h"
#include "vigilctl.h"

#define CTL_MAX_ANSWER		(256 * 1024 * 1024)
#define CTL_TIMEOUT_SECONDS	120

struct ctl_buf {
	char	*data;
	size_t	 len;
	bool	 too_big;
};

static size_t
ctl_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ctl_buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n > CTL_MAX_ANSWER) {
		b->too_big = true;
		return 0;
	}
	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Why could we not connect?  Look at the socket file itself. */
static int
ctl_unreachable(struct ctl *ctl, const char *curl_error)
{
	struct stat	 sb;

	if (stat(ctl->socket, &sb) == -1) {
		log_warnx("vigild is not running (no control socket at %s)",
		    ctl->socket);
		return CTL_EXIT_UNREACHABLE;
	}
	if (access(ctl->socket, W_OK) == -1 && errno == EACCES) {
		log_warnx("access denied to %s: you need to be root or in "
		    "the socket's group", ctl->socket);
		return CTL_EXIT_DENIED;
	}
	log_warnx("cannot reach vigild on %s: %s (is it running?)",
	    ctl->socket, curl_error);
	return CTL_EXIT_UNREACHABLE;
}

/* Print an error answer and map its status to an exit status. */
static int
ctl_error_answer(long code, const char *body)
{
	json_t		*ans, *err, *details, *d;
	json_error_t	 jerr;
	const char	*msg = NULL;
	size_t		 i;
	int		 rc;

	ans = json_loads(body, 0, &jerr);
	err = json_object_get(ans, "error");
	msg = json_string_value(json_object_get(err, "message"));
	log_warnx("vigild: %s", msg != NULL ? msg : "error");
	details = json_object_get(err, "details");
	json_array_foreach(details, i, d) {
		if (json_is_string(d))
			fprintf(stderr, "  %s\n", json_string_value(d));
	}
	if (code == 401 || code == 403)
		rc = CTL_EXIT_DENIED;
	else if (code == 422)
		rc = CTL_EXIT_NO;
	else
		rc = CTL_EXIT_ERROR;
	json_decref(ans);
	return rc;
}

static int
ctl_perform(struct ctl *ctl, const char *method, const char *path,
    const char *body, struct ctl_buf *buf, long *code)
{
	struct curl_slist	*hdrs = NULL;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*url;
	CURLcode		 cc;

	if (ctl->curl == NULL && (ctl->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	curl_easy_reset(ctl->curl);
	url = xprintf("http://localhost%s", path);
	curl_easy_setopt(ctl->curl, CURLOPT_URL, url);
	curl_easy_setopt(ctl->curl, CURLOPT_UNIX_SOCKET_PATH, ctl->socket);
	curl_easy_setopt(ctl->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(ctl->curl, CURLOPT_WRITEFUNCTION, ctl_write);
	curl_easy_setopt(ctl->curl, CURLOPT_WRITEDATA, buf);
	curl_easy_setopt(ctl->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(ctl->curl, CURLOPT_TIMEOUT, (long)CTL_TIMEOUT_SECONDS);
	curl_easy_setopt(ctl->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ctl->curl, CURLOPT_USERAGENT, "vigilctl/"
	    PACKAGE_VERSION);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/json");
		curl_easy_setopt(ctl->curl, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(ctl->curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(ctl->curl, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(ctl->curl);
	curl_slist_free_all(hdrs);
	free(url);
	if (cc == CURLE_COULDNT_CONNECT)
		return ctl_unreachable(ctl, errbuf);
	if (cc == CURLE_WRITE_ERROR && buf->too_big) {
		log_warnx("answer from vigild larger than %d bytes",
		    CTL_MAX_ANSWER);
		return CTL_EXIT_ERROR;
	}
	if (cc != CURLE_OK) {
		log_warnx("request to vigild failed: %s", *errbuf != '\0' ?
		    errbuf : curl_easy_strerror(cc));
		return CTL_EXIT_UNREACHABLE;
	}
	curl_easy_getinfo(ctl->curl, CURLINFO_RESPONSE_CODE, code);
	if (buf->data == NULL)
		buf->data = xstrdup("");
	if (*code < 200 || *code > 299)
		return ctl_error_answer(*code, buf->data);
	return CTL_EXIT_OK;
}

/*
 * Send a request with an optional JSON body; on success *answer is the JSON
 * answer (the caller owns it).  Returns a vigilctl exit status, having told
 * the user what went wrong.
 */
int
ctl_call(struct ctl *ctl, const char *method, const char *path, json_t *body,
    json_t **answer)
{
	struct ctl_buf	 buf = { NULL, 0, false };
	json_error_t	 jerr;
	char		*text = NULL;
	long		 code = 0;
	int		 rc;

	*answer = NULL;
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	rc = ctl_perform(ctl, method, path, text, &buf, &code);
	free(text);
	if (rc != CTL_EXIT_OK) {
		free(buf.data);
		return rc;
	}
	if ((*answer = json_loads(buf.data, 0, &jerr)) == NULL) {
		log_warnx("vigild's answer to %s %s is not JSON: %s (line %d)",
		    method, path, jerr.text, jerr.line);
		free(buf.data);
		return CTL_EXIT_ERROR;
	}
	free(buf.data);
	return CTL_EXIT_OK;
}

/* GET a text resource (/metrics). */
int
ctl_call_text(struct ctl *ctl, const char *path, char **text)
{
	struct ctl_buf	 buf = { NULL, 0, false };
	long		 code = 0;
	int		 rc;

	*text = NULL;
	rc = ctl_perform(ctl, "GET", path, NULL, &buf, &code);
	if (rc != CTL_EXIT_OK) {
		free(buf.data);
		return rc;
	}
	*text = buf.data;
	return CTL_EXIT_OK;
}

/* Percent-encode a value for a URL path segment or query. */
char *
ctl_escape(const char *s)
{
	return url_encode(s, strlen(s), false);
}

void
ctl_close(struct ctl *ctl)
{
	if (ctl->curl != NULL)
		curl_easy_cleanup(ctl->curl);
	ctl->curl = NULL;
}
