/*
 * ctl-proto.h: the control protocol between vigild and its clients.
 *
 * HTTP/1.1 with JSON bodies over vigild's UNIX socket; every path is under
 * /v<CTL_PROTO_VERSION>/ except /metrics (Prometheus).  An error is answered
 * with a 4xx/5xx status and {"error": {"code": "...", "message": "..."}}.
 * Documented in vigilctl(1).
 */
#ifndef CTL_PROTO_H
#define CTL_PROTO_H

#define CTL_PROTO_VERSION	1
#define CTL_PREFIX		"/v1"

/* Error codes in the "code" member of an error answer. */
#define CTL_ERR_NOT_FOUND	"not_found"
#define CTL_ERR_METHOD		"method_not_allowed"
#define CTL_ERR_DENIED		"access_denied"
#define CTL_ERR_BAD_REQUEST	"bad_request"
#define CTL_ERR_BUSY		"too_many_connections"
#define CTL_ERR_FAILED		"failed"
#define CTL_ERR_INTERNAL	"internal"

#endif /* CTL_PROTO_H */
