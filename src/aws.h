/*
 * aws.h: talking to AWS: services and their endpoints, signed requests in
 * the JSON, query and REST protocols with errors decoded and retried, and
 * model-driven calls through the codec of aws-codec.h (aws.c), and
 * credentials (aws-creds.c).
 */
#ifndef AWS_H
#define AWS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"

struct event_base;

/* aws-creds.c: credentials, from the standard chain or an assumed role. */
struct aws_credentials {
	char	*access_key_id;
	char	*secret_access_key;	/* secret: never logged or shown */
	char	*session_token;		/* secret; NULL for long-term keys */
	int64_t	 expires_ms;		/* ms since the epoch; 0: never */
	char	*source;		/* where they came from, for status */
};

struct aws_creds;

struct aws_creds_options {
	const char	*profile;	/* NULL: $AWS_PROFILE, else "default" */
	const char	*region;	/* for STS; NULL: $AWS_REGION etc. */
	const char	*sts_endpoint;	/* NULL: $AWS_ENDPOINT_URL_STS etc. */
	const char	*container_endpoint; /* NULL: http://169.254.170.2 */
};

typedef void (*aws_creds_cb)(const struct aws_credentials *, const char *,
		    void *);

struct aws_creds *aws_creds_chain_new(struct event_base *, struct http *,
		    const struct aws_creds_options *);
struct aws_creds *aws_creds_assume_role_new(struct aws_creds *, const char *,
		    const char *, const char *, const char *, const char *);
const struct aws_credentials *aws_creds_current(struct aws_creds *);
void		 aws_creds_wait(struct aws_creds *, aws_creds_cb, void *);
void		 aws_creds_cancel_wait(struct aws_creds *, aws_creds_cb,
		    void *);
void		 aws_creds_invalidate(struct aws_creds *);
json_t		*aws_creds_status(struct aws_creds *);
void		 aws_creds_free(struct aws_creds *);
void		 aws_credentials_free(struct aws_credentials *);
struct aws_creds *aws_creds_static_new(struct event_base *, struct http *,
		    const char *, const char *, const char *);
char		*aws_creds_mask(const char *);
void		 aws_creds_set_clock(int64_t (*)(void));

/* aws.c: services, endpoints and calls. */
enum aws_protocol {
	AWS_PROTO_JSON,		/* AWS JSON 1.0 / 1.1: POST, X-Amz-Target */
	AWS_PROTO_QUERY,	/* Action=...&Version=..., XML answers */
	AWS_PROTO_EC2,		/* the query protocol, EC2's flavour */
	AWS_PROTO_REST_XML,	/* S3 */
	AWS_PROTO_REST_JSON,
};

struct aws_service {
	const char		*id;		/* "SQS": AWS_ENDPOINT_URL_SQS */
	const char		*prefix;	/* endpoint prefix: "sqs" */
	const char		*signing_name;	/* SigV4 service: "sqs" */
	const char		*api_version;	/* query: Version= */
	const char		*target_prefix;	/* JSON: X-Amz-Target prefix */
	const char		*json_version;	/* JSON: "1.0" or "1.1" */
	bool			 global;	/* one endpoint per partition */
};

extern const struct aws_service	aws_service_sqs;
extern const struct aws_service	aws_service_sts;
extern const struct aws_service	aws_service_s3;

/* One service in one region, with one account's credentials. */
struct aws_client {
	struct http			*http;
	const struct aws_service	*svc;
	char				*region;	/* signing region */
	char				*endpoint;	/* base URL, no slash */
	struct aws_creds		*creds;		/* NULL: unsigned */
	struct http_retry_quota		 quota;
	struct http_retry_policy	 policy;
	int64_t				 timeout_ms;
	size_t				 max_response;	/* 0: the default */
	int				 decode_flags;	/* AWS_DECODE_* */
	size_t				 max_pages;	/* 0: the default */
};

struct aws_response {
	long			 status;	/* HTTP status; 0: none */
	json_t			*body;		/* decoded answer (JSON/query) */
	const char		*raw;		/* the raw body */
	size_t			 raw_len;
	char			*error_code;	/* AWS error code, or NULL */
	char			*error_message;
	char			*request_id;
	char			*error;		/* one line for logs, or NULL */
	int			 attempts;
	int64_t			 elapsed_ms;
	const struct http_response *http;
	size_t			 pages;		/* model calls: answers merged */
};

typedef void (*aws_done_cb)(struct aws_response *, void *);

struct aws_param {
	const char	*name;
	const char	*value;
};

struct aws_call;
struct aws_op;

char		*aws_endpoint(const struct aws_service *, const char *,
		    const char *);
const char	*aws_partition_suffix(const char *);
struct aws_client *aws_client_new(struct http *, const struct aws_service *,
		    const char *, const char *, struct aws_creds *);
void		 aws_client_free(struct aws_client *);
struct aws_call	*aws_json_call(struct aws_client *, const char *, json_t *,
		    aws_done_cb, void *);
struct aws_call	*aws_query_call(struct aws_client *, const char *,
		    const struct aws_param *, size_t, aws_done_cb, void *);
struct aws_call	*aws_rest_call(struct aws_client *, const char *,
		    const char *, const char *, aws_done_cb, void *);
struct aws_call	*aws_rest_call_url(struct aws_client *, const char *,
		    const char *, aws_done_cb, void *);
char		*aws_s3_object_url(struct aws_client *, const char *,
		    const char *);
struct aws_call	*aws_op_call(struct aws_client *, const struct aws_op *,
		    json_t *, aws_done_cb, void *);
struct aws_call	*aws_op_call_all(struct aws_client *, const struct aws_op *,
		    json_t *, aws_done_cb, void *);
struct aws_call	*aws_op_call_pages(struct aws_client *, const struct aws_op *,
		    json_t *, aws_done_cb, aws_done_cb, void *);
void		 aws_call_cancel(struct aws_call *);
bool		 aws_error_is_throttle(const char *);
bool		 aws_error_is_expired(const char *);
char		*aws_url_host(const char *);

#endif /* AWS_H */
