/*
 * http.h: the asynchronous HTTP client every feed, collector and notifier
 * shares (http.c): one libcurl multi handle on the libevent loop.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http;
struct http_request;

struct http_header {
	char	*name;		/* lower case in responses */
	char	*value;
};

/* What a retry decision sees, and what a request ends with. */
struct http_response {
	long			 status;	/* 0 when no response came */
	char			*body;		/* NUL-terminated */
	size_t			 len;
	struct http_header	*headers;
	size_t			 nheaders;
	int			 curl_code;	/* CURLE_OK, or the transport error */
	char			*error;		/* transport error text, or NULL */
	int			 attempts;
	int			 connects;	/* new connections (0: reused) */
	int64_t			 elapsed_ms;	/* all attempts and waits */
	int64_t			 retry_after_ms; /* from Retry-After; -1 if none */
};

/*
 * How a failed attempt is classified.  The HTTP layer knows transport
 * errors, 429, 5xx and Retry-After; a protocol layer (AWS, Azure) adds its
 * own error codes through a classifier.
 */
enum http_retry_class {
	HTTP_FINAL,		/* a final answer: success or a permanent error */
	HTTP_RETRY_TRANSIENT,	/* 5xx, connection reset, timeout */
	HTTP_RETRY_THROTTLE,	/* 429, throttling error codes */
};

typedef enum http_retry_class (*http_classify_cb)(const struct http_response *,
		    void *);

/*
 * A retry budget shared by the requests of one client, as in the AWS SDKs'
 * "standard" mode: each retry spends tokens (more for timeouts), each
 * success without a retry earns one back; when the bucket is empty, failures
 * are final.
 */
struct http_retry_quota {
	int	 tokens;
	int	 max;
};
#define HTTP_RETRY_QUOTA_INITIAL	500
#define HTTP_RETRY_COST			5
#define HTTP_RETRY_TIMEOUT_COST		10

struct http_retry_policy {
	int			 max_attempts;	/* including the first (3) */
	int64_t			 base_ms;	/* backoff base (1000) */
	int64_t			 max_backoff_ms; /* cap (20000) */
	int64_t			 max_retry_after_ms; /* cap on Retry-After */
	struct http_retry_quota	*quota;		/* NULL: unlimited */
	http_classify_cb	 classify;	/* NULL: HTTP-level rules only */
	void			*classify_arg;
};
extern const struct http_retry_policy http_retry_standard;

typedef void (*http_done_cb)(struct http_response *, void *);
/* Called before every attempt (sign here); nonzero ends the request. */
typedef int (*http_prepare_cb)(struct http_request *, void *, char **);

int		 http_global_init(char **);
void		 http_global_cleanup(void);
struct http	*http_new(struct event_base *);
void		 http_free(struct http *);
size_t		 http_in_flight(struct http *);
void		 http_set_ca_file(struct http *, const char *);

struct http_request *http_request_new(struct http *, const char *,
		    const char *);
void		 http_request_set_url(struct http_request *, const char *);
const char	*http_request_url(const struct http_request *);
const char	*http_request_method(const struct http_request *);
void		 http_request_header(struct http_request *, const char *,
		    const char *);
void		 http_request_remove_header(struct http_request *, const char *);
void		 http_request_clear_headers(struct http_request *);
const struct http_header *http_request_headers(const struct http_request *,
		    size_t *);
void		 http_request_body(struct http_request *, const void *, size_t);
const void	*http_request_get_body(const struct http_request *, size_t *);
void		 http_request_timeout(struct http_request *, int64_t, int64_t);
void		 http_request_max_response(struct http_request *, size_t);
void		 http_request_retry(struct http_request *,
		    const struct http_retry_policy *);
void		 http_request_on_prepare(struct http_request *,
		    http_prepare_cb, void *);
void		 http_request_unix_socket(struct http_request *, const char *);
void		 http_request_mail(struct http_request *, const char *,
		    const char *const *, size_t, bool);
void		 http_request_login(struct http_request *, const char *,
		    const char *);
void		 http_request_ca_file(struct http_request *, const char *);
int		 http_request_attempt(const struct http_request *);
void		 http_request_start(struct http_request *, http_done_cb,
		    void *);
void		 http_request_cancel(struct http_request *);

const char	*http_response_header(const struct http_response *,
		    const char *);
int64_t		 http_parse_retry_after(const char *, int64_t);
char		*http_redact_url(const char *);

#endif /* HTTP_H */
