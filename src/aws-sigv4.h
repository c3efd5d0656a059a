/*
 * aws-sigv4.h: AWS Signature Version 4 (aws-sigv4.c), as pure functions.
 *
 * The caller describes a request as it will go on the wire; the signer
 * returns the headers to add (or, for a presigned URL, the query string to
 * send).  Nothing here knows libcurl, the loop or the clock: the time of the
 * request is an argument.
 */
#ifndef AWS_SIGV4_H
#define AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
#define SIGV4_KEY_LEN		32	/* a signing key: one HMAC-SHA256 */
#define SIGV4_HEX_LEN		64	/* a hex SHA-256 or signature */
#define SIGV4_TIME_LEN		16	/* "20150830T123600Z" */
#define SIGV4_EXPIRES_MAX	604800	/* presigned URLs: seven days */

/*
 * How to sign.  Zero is right for the query, JSON and REST-JSON services
 * (SQS, STS, EC2, IAM, RDS, ...); S3 wants SIGV4_S3.
 */
#define SIGV4_NO_NORMALIZE	0x01	/* keep ".", ".." and "//" in a path */
#define SIGV4_SINGLE_ENCODE	0x02	/* encode the path once, not twice */
#define SIGV4_CONTENT_SHA256	0x04	/* add and sign x-amz-content-sha256 */
#define SIGV4_UNSIGNED_TOKEN	0x08	/* add the session token unsigned */
#define SIGV4_S3 \
	(SIGV4_NO_NORMALIZE | SIGV4_SINGLE_ENCODE | SIGV4_CONTENT_SHA256)

/* Where the signature goes. */
enum sigv4_mode {
	SIGV4_HEADER,		/* an Authorization header */
	SIGV4_QUERY,		/* X-Amz-* query parameters: a presigned URL */
};

/* A header of the request: borrowed. */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

/* A header the signer adds: the name is static, the value is owned. */
struct sigv4_out_header {
	const char	*name;
	char		*value;
};

struct sigv4_request {
	const char			*method;	/* "GET", "POST" */
	/*
	 * The path and query exactly as they will be sent: "/", "/a%20b",
	 * "Action=ListUsers&Version=2010-05-08"; query NULL when there is
	 * none.  Raw bytes that a client would escape (a space, UTF-8) are
	 * accepted and encoded as the wire form would be.
	 */
	const char			*path;
	const char			*query;
	const struct sigv4_header	*headers;	/* including Host */
	size_t				 nheaders;
	const void			*payload;
	size_t				 payload_len;
	/*
	 * NULL to hash the payload (or to take an x-amz-content-sha256
	 * header of the request); else a hex SHA-256 computed elsewhere, or
	 * SIGV4_UNSIGNED_PAYLOAD (what an S3 presigned URL signs).
	 */
	const char			*payload_hash;
};

struct sigv4_credentials {
	const char	*access_key_id;
	const char	*secret_access_key;
	const char	*session_token;		/* NULL for long-term keys */
};

struct sigv4_params {
	const char	*region;		/* "eu-west-1" */
	const char	*service;		/* "sqs", "s3", "sts" */
	time_t		 now;			/* the request time */
	int		 flags;			/* SIGV4_* above */
	int		 expires;		/* SIGV4_QUERY: X-Amz-Expires */
};

/*
 * The whole thing.  sigv4_sign_headers gives the headers to add to the
 * request (X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256 as
 * needed, then Authorization); sigv4_presign_query gives the query string
 * to send instead of req->query.
 */
int	 sigv4_sign_headers(const struct sigv4_request *,
	    const struct sigv4_credentials *, const struct sigv4_params *,
	    struct sigv4_out_header **, size_t *, char **);
char	*sigv4_presign_query(const struct sigv4_request *,
	    const struct sigv4_credentials *, const struct sigv4_params *,
	    char **);
void	 sigv4_headers_free(struct sigv4_out_header *, size_t);

/* Stage by stage, for tests and for logging a signature mismatch. */
char	*sigv4_canonical_request(enum sigv4_mode,
	    const struct sigv4_request *, const struct sigv4_credentials *,
	    const struct sigv4_params *, char **);
char	*sigv4_string_to_sign(const struct sigv4_params *, const char *,
	    char **);
void	 sigv4_signing_key(const char *, const char *, const char *,
	    const char *, uint8_t [SIGV4_KEY_LEN]);
char	*sigv4_signature(const uint8_t [SIGV4_KEY_LEN], const char *);

/* The canonical forms, one part at a time. */
int	 sigv4_format_time(time_t, char [SIGV4_TIME_LEN + 1]);
char	*sigv4_uri_encode(const void *, size_t, bool);
char	*sigv4_normalize_path(const char *);
char	*sigv4_canonical_uri(const char *, int);
char	*sigv4_canonical_query(const char *);
int	 sigv4_canonical_headers(const struct sigv4_header *, size_t,
	    char **, char **, char **);

#endif /* AWS_SIGV4_H */
