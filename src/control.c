/*
 * control.c: the control API, HTTP/1.1 + JSON over a UNIX socket (libevent's
 * evhttp), and optionally /metrics on a loopback TCP listener.
 *
 * Who may do what is decided by the caller's credentials (SO_PEERCRED and
 * SO_PEERGROUPS): reading for root, vigild's own user and members of the
 * socket's group; changes for root, vigild's own user and members of the
 * admin group.  The socket's own permissions are the first fence.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "change.h"
#include "collect.h"
#include "ctl-proto.h"
#include "eval.h"
#include "exceptions.h"
#include "notify.h"
#include "rule.h"
#include "vigild.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define CTL_BACKLOG		64
#define CTL_MAX_HEADERS		(16 * 1024)
#define CTL_MAX_GROUPS		1024

enum ctl_access {
	CTL_PUBLIC,	/* the metrics listener: no credentials to check */
	CTL_READ,
	CTL_ADMIN,
};

struct ctl_peer {
	pid_t	 pid;
	uid_t	 uid;
	gid_t	 gid;
	gid_t	*groups;
	int	 ngroups;
};

struct ctl_conn {
	struct evhttp_connection *evcon;
	struct control		*ctl;
};

struct control {
	struct vigil		*v;
	struct event_base	*base;
	struct evhttp		*http;
	struct evhttp		*metrics_http;
	char			*metrics_addr;
	char			*path;
	dev_t			 dev;	/* the socket file we made */
	ino_t			 ino;
	gid_t			 read_gid;
	gid_t			 admin_gid;
	bool			 have_admin_gid;
	int64_t			 max_conns;

	struct ctl_conn		**conns;
	size_t			 nconns;
};

struct ctl_request {
	struct control		*ctl;
	struct evhttp_request	*req;
	struct ctl_peer		*peer;	/* NULL on the metrics listener */
	const char		*path;
	char			*arg;	/* the rest of a prefix route's path */
	struct evkeyvalq	 query;
};

typedef void (*ctl_handler)(struct ctl_request *);

static void	ctl_get_status(struct ctl_request *);
static void	ctl_get_metrics(struct ctl_request *);
static void	ctl_post_reload(struct ctl_request *);
static void	ctl_get_events(struct ctl_request *);
static void	ctl_get_event(struct ctl_request *);
static void	ctl_get_assets(struct ctl_request *);
static void	ctl_get_rules(struct ctl_request *);
static void	ctl_get_rule(struct ctl_request *);
static void	ctl_get_violations(struct ctl_request *);
static void	ctl_get_violation(struct ctl_request *);
static void	ctl_get_exceptions(struct ctl_request *);
static void	ctl_post_exception(struct ctl_request *);
static void	ctl_delete_exception(struct ctl_request *);
static void	ctl_post_scan(struct ctl_request *);
static int	ctl_param_limit(struct ctl_request *, int64_t *);
static void	ctl_get_asset(struct ctl_request *);
static void	ctl_get_notifications(struct ctl_request *);
static void	ctl_get_notification(struct ctl_request *);
static void	ctl_post_notify_test(struct ctl_request *);
static void	ctl_post_notify_retry(struct ctl_request *);

/*
 * The routes: one line each.  A path ending in '/' takes the rest of the
 * request's path as an argument (r->arg).
 */
static const struct ctl_route {
	enum evhttp_cmd_type	 method;
	const char		*path;
	enum ctl_access		 access;
	ctl_handler		 handler;
} ctl_routes[] = {
	{ EVHTTP_REQ_GET, CTL_PREFIX "/status", CTL_READ, ctl_get_status },
	{ EVHTTP_REQ_POST, CTL_PREFIX "/reload", CTL_ADMIN, ctl_post_reload },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/events", CTL_READ, ctl_get_events },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/events/", CTL_READ, ctl_get_event },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/assets", CTL_READ, ctl_get_assets },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/assets/", CTL_READ, ctl_get_asset },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/rules", CTL_READ, ctl_get_rules },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/rules/", CTL_READ, ctl_get_rule },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/violations", CTL_READ,
	  ctl_get_violations },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/violations/", CTL_READ,
	  ctl_get_violation },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/exceptions", CTL_READ,
	  ctl_get_exceptions },
	{ EVHTTP_REQ_POST, CTL_PREFIX "/exceptions", CTL_ADMIN,
	  ctl_post_exception },
	{ EVHTTP_REQ_DELETE, CTL_PREFIX "/exceptions/", CTL_ADMIN,
	  ctl_delete_exception },
	{ EVHTTP_REQ_POST, CTL_PREFIX "/scan", CTL_ADMIN, ctl_post_scan },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/notifications", CTL_READ,
	  ctl_get_notifications },
	{ EVHTTP_REQ_GET, CTL_PREFIX "/notifications/", CTL_READ,
	  ctl_get_notification },
	{ EVHTTP_REQ_POST, CTL_PREFIX "/notify/test/", CTL_ADMIN,
	  ctl_post_notify_test },
	{ EVHTTP_REQ_POST, CTL_PREFIX "/notify/retry/", CTL_ADMIN,
	  ctl_post_notify_retry },
	{ EVHTTP_REQ_GET, "/metrics", CTL_READ, ctl_get_metrics },
};

static void
ctl_send(struct ctl_request *r, int code, const char *reason,
    const char *type, const char *body, size_t len)
{
	struct evbuffer	*buf;
	char		 label[16];

	buf = evbuffer_new();
	if (buf == NULL)
		fatalx("evbuffer_new: out of memory");
	evbuffer_add(buf, body, len);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", type);
	evhttp_send_reply(r->req, code, reason, buf);
	evbuffer_free(buf);
	snprintf(label, sizeof label, "%d", code);
	metrics_add(M_CONTROL_REQUESTS, label, 1);
}

/* Answer with a JSON value (stolen). */
static void
ctl_reply_json(struct ctl_request *r, int code, json_t *v)
{
	char	*s;

	s = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	ctl_send(r, code, code == 200 ? "OK" : NULL, "application/json", s,
	    strlen(s));
	free(s);
}

static void
ctl_reply_error(struct ctl_request *r, int code, const char *ecode,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	ctl_reply_json(r, code, json_pack("{s:{s:s, s:s}}", "error", "code",
	    ecode, "message", msg));
	free(msg);
}

static int
ctl_peer_get(int fd, struct ctl_peer *peer)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof uc;

	memset(peer, 0, sizeof *peer);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return -1;
	peer->pid = uc.pid;
	peer->uid = uc.uid;
	peer->gid = uc.gid;

	/* Supplementary groups (Linux 4.13+); without them, primary only. */
	peer->groups = xcalloc(CTL_MAX_GROUPS, sizeof *peer->groups);
	len = CTL_MAX_GROUPS * sizeof *peer->groups;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &len) == 0)
		peer->ngroups = (int)(len / sizeof *peer->groups);
	return 0;
}

static bool
ctl_peer_in_group(const struct ctl_peer *peer, gid_t gid)
{
	int	 i;

	if (peer->gid == gid)
		return true;
	for (i = 0; i < peer->ngroups; i++) {
		if (peer->groups[i] == gid)
			return true;
	}
	return false;
}

static bool
ctl_allowed(struct control *ctl, const struct ctl_peer *peer,
    enum ctl_access access)
{
	if (peer->uid == 0 || peer->uid == geteuid())
		return true;
	switch (access) {
	case CTL_PUBLIC:
		return true;
	case CTL_READ:
		return ctl_peer_in_group(peer, ctl->read_gid) ||
		    (ctl->have_admin_gid &&
		    ctl_peer_in_group(peer, ctl->admin_gid));
	case CTL_ADMIN:
		return ctl->have_admin_gid &&
		    ctl_peer_in_group(peer, ctl->admin_gid);
	}
	return false;
}

static void
ctl_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct ctl_conn	*cc = arg;
	struct control	*ctl = cc->ctl;
	size_t		 i;

	for (i = 0; i < ctl->nconns; i++) {
		if (ctl->conns[i] == cc) {
			ctl->conns[i] = ctl->conns[--ctl->nconns];
			break;
		}
	}
	free(cc);
}

/*
 * Count the connection the first time it makes a request.  Returns false
 * when there are already as many as allowed.
 */
static bool
ctl_conn_track(struct control *ctl, struct evhttp_connection *evcon)
{
	struct ctl_conn	*cc;
	size_t		 i;

	for (i = 0; i < ctl->nconns; i++) {
		if (ctl->conns[i]->evcon == evcon)
			return true;
	}
	if ((int64_t)ctl->nconns >= ctl->max_conns)
		return false;
	cc = xcalloc(1, sizeof *cc);
	cc->evcon = evcon;
	cc->ctl = ctl;
	ctl->conns = xreallocarray(ctl->conns, ctl->nconns + 1,
	    sizeof *ctl->conns);
	ctl->conns[ctl->nconns++] = cc;
	evhttp_connection_set_closecb(evcon, ctl_conn_closed, cc);
	return true;
}

static void
ctl_dispatch(struct evhttp_request *req, struct control *ctl, bool local)
{
	const struct ctl_route	*rt;
	const struct evhttp_uri	*uri;
	struct evhttp_connection *evcon;
	struct ctl_request	 r;
	struct ctl_peer		 peer;
	const char		*path, *query;
	enum evhttp_cmd_type	 method;
	bool			 path_known = false;
	size_t			 i;
	int			 fd;

	memset(&r, 0, sizeof r);
	r.ctl = ctl;
	r.req = req;
	TAILQ_INIT(&r.query);
	memset(&peer, 0, sizeof peer);

	evcon = evhttp_request_get_connection(req);
	if (local) {
		if (!ctl_conn_track(ctl, evcon)) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Connection", "close");
			ctl_reply_error(&r, 503, CTL_ERR_BUSY,
			    "too many control connections (at most %lld)",
			    (long long)ctl->max_conns);
			return;
		}
		fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
		if (ctl_peer_get(fd, &peer) != 0) {
			log_warn("control: cannot read peer credentials");
			ctl_reply_error(&r, 403, CTL_ERR_DENIED,
			    "cannot read peer credentials");
			return;
		}
		r.peer = &peer;
	}

	uri = evhttp_request_get_evhttp_uri(req);
	path = evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	r.path = path;
	if ((query = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(query, &r.query) != 0) {
		ctl_reply_error(&r, 400, CTL_ERR_BAD_REQUEST,
		    "malformed query string");
		goto out;
	}
	method = evhttp_request_get_command(req);

	for (i = 0; i < nitems(ctl_routes); i++) {
		size_t plen;

		rt = &ctl_routes[i];
		plen = strlen(rt->path);
		if (rt->path[plen - 1] == '/') {
			if (strncmp(rt->path, path, plen) != 0 ||
			    path[plen] == '\0')
				continue;
		} else if (strcmp(rt->path, path) != 0)
			continue;
		if (!local && rt->handler != ctl_get_metrics)
			continue;
		path_known = true;
		if (rt->method != method)
			continue;
		if (local && !ctl_allowed(ctl, &peer, rt->access)) {
			log_info("control: %s %s refused to uid %ld (pid %ld)",
			    method == EVHTTP_REQ_GET ? "GET" : "POST", path,
			    (long)peer.uid, (long)peer.pid);
			ctl_reply_error(&r, 403, CTL_ERR_DENIED,
			    "access denied: %s", rt->access == CTL_ADMIN ?
			    "changes need root or the admin group" :
			    "reading needs the control socket's group");
			goto out;
		}
		if (rt->path[plen - 1] == '/' &&
		    (r.arg = evhttp_uridecode(path + plen, 0, NULL)) == NULL) {
			ctl_reply_error(&r, 400, CTL_ERR_BAD_REQUEST,
			    "malformed path");
			goto out;
		}
		rt->handler(&r);
		goto out;
	}
	if (path_known)
		ctl_reply_error(&r, 405, CTL_ERR_METHOD,
		    "method not allowed on %s", path);
	else
		ctl_reply_error(&r, 404, CTL_ERR_NOT_FOUND, "no such path: %s",
		    path);
out:
	evhttp_clear_headers(&r.query);
	free(r.arg);
	free(peer.groups);
}

static void
ctl_request_cb(struct evhttp_request *req, void *arg)
{
	ctl_dispatch(req, arg, true);
}

static void
ctl_metrics_request_cb(struct evhttp_request *req, void *arg)
{
	ctl_dispatch(req, arg, false);
}

static void
ctl_get_status(struct ctl_request *r)
{
	ctl_reply_json(r, 200, vigild_status());
}

/* A query parameter, or NULL. */
static const char *
ctl_param(struct ctl_request *r, const char *name)
{
	const char	*v = evhttp_find_header(&r->query, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A time in a query: a duration ago ("24h") or an RFC 3339 time. */
static int
ctl_param_since(struct ctl_request *r, const char *name, int64_t *ms)
{
	const char	*v = ctl_param(r, name), *why;
	int64_t		 d;

	*ms = 0;
	if (v == NULL)
		return 0;
	if (parse_duration(v, &d, &why) == 0) {
		*ms = now_ms() - d;
		return 0;
	}
	if (change_time_parse(v, strlen(v), ms) == 0)
		return 0;
	ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "%s: '%s' is neither a "
	    "duration (24h, 7d) nor an RFC 3339 time", name, v);
	return -1;
}

static void
ctl_get_events(struct ctl_request *r)
{
	struct event_query	 q;
	const char		*v;
	char			*cause = NULL;
	json_t			*rows;

	memset(&q, 0, sizeof q);
	if (ctl_param_since(r, "since", &q.since_ms) != 0)
		return;
	q.account = ctl_param(r, "account");
	q.name = ctl_param(r, "name");
	q.actor = ctl_param(r, "actor");
	q.feed = ctl_param(r, "feed");
	q.writes_only = (v = ctl_param(r, "writes")) != NULL &&
	    strcmp(v, "1") == 0;
	if (ctl_param_limit(r, &q.limit) != 0)
		return;
	if ((rows = store_events_query(r->ctl->v->store, &q, &cause)) ==
	    NULL) {
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(rows), "events", rows));
}

static void
ctl_get_event(struct ctl_request *r)
{
	char	*cause = NULL;
	json_t	*ev;

	if ((ev = store_event_get(r->ctl->v->store, r->arg, &cause)) == NULL) {
		if (cause != NULL) {
			ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
			free(cause);
		} else
			ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND,
			    "no event with id %s", r->arg);
		return;
	}
	ctl_reply_json(r, 200, ev);
}

/* The limit query parameter: 1 to 100000, default 100. */
static int
ctl_param_limit(struct ctl_request *r, int64_t *limit)
{
	const char	*v, *why;

	*limit = 100;
	if ((v = ctl_param(r, "limit")) != NULL &&
	    (parse_int(v, limit, &why) != 0 || *limit < 1 ||
	    *limit > 100000)) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "limit: '%s' is "
		    "not a number from 1 to 100000", v);
		return -1;
	}
	return 0;
}

static void
ctl_get_assets(struct ctl_request *r)
{
	struct asset_query	 q;
	const char		*v;
	char			*cause = NULL;
	json_t			*rows;

	memset(&q, 0, sizeof q);
	q.type = ctl_param(r, "type");
	q.account = ctl_param(r, "account");
	q.region = ctl_param(r, "region");
	q.deleted = (v = ctl_param(r, "deleted")) != NULL &&
	    strcmp(v, "1") == 0;
	if (ctl_param_limit(r, &q.limit) != 0)
		return;
	if ((rows = store_assets_query(r->ctl->v->store, &q, &cause)) ==
	    NULL) {
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(rows), "assets", rows));
}

/* One asset (by ARN, resource id or #row), or its history (?history=1). */
static void
ctl_get_asset(struct ctl_request *r)
{
	struct store	*st = r->ctl->v->store;
	const char	*v;
	char		*cause = NULL;
	json_t		*o;
	int64_t		 id;

	if ((id = store_asset_resolve(st, r->arg, &cause)) <= 0) {
		if (id == 0)
			ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND,
			    "no asset %s", r->arg);
		else
			ctl_reply_error(r, 409, CTL_ERR_BAD_REQUEST, "%s",
			    cause);
		free(cause);
		return;
	}
	o = store_asset_get(st, id, &cause);
	if (o != NULL && (v = ctl_param(r, "history")) != NULL &&
	    strcmp(v, "1") == 0) {
		json_object_del(o, "document");
		json_object_set_new(o, "versions",
		    store_asset_history(st, id, &cause));
	}
	if (o == NULL || cause != NULL) {
		json_decref(o);
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s",
		    cause != NULL ? cause : "asset vanished");
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, o);
}

/* The outbox: ?pending=1|failed=1|delivered=1, channel, limit. */
static void
ctl_get_notifications(struct ctl_request *r)
{
	static const char *const states[] = { "pending", "sending",
	    "delivered", "failed", "collecting", "digested" };
	struct outbox_query	 q;
	const char		*v;
	char			*cause = NULL;
	json_t			*rows;
	size_t			 i;

	memset(&q, 0, sizeof q);
	for (i = 0; i < nitems(states); i++) {
		if ((v = ctl_param(r, states[i])) != NULL &&
		    strcmp(v, "1") == 0) {
			if (q.state != NULL) {
				ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST,
				    "one state at a time (%s or %s)", q.state,
				    states[i]);
				return;
			}
			q.state = states[i];
		}
	}
	q.channel = ctl_param(r, "channel");
	if (ctl_param_limit(r, &q.limit) != 0)
		return;
	if ((rows = store_outbox_query(r->ctl->v->store, &q, &cause)) ==
	    NULL) {
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(rows), "notifications", rows));
}

/* A notification id from the path: a positive integer, or a 400. */
static int
ctl_arg_id(struct ctl_request *r, int64_t *id)
{
	const char	*why;

	if (parse_int(r->arg, id, &why) != 0 || *id < 1) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST,
		    "'%s' is not a notification id", r->arg);
		return -1;
	}
	return 0;
}

static void
ctl_get_notification(struct ctl_request *r)
{
	char	*cause = NULL;
	json_t	*o;
	int64_t	 id;

	if (ctl_arg_id(r, &id) != 0)
		return;
	if ((o = store_outbox_get(r->ctl->v->store, id, &cause)) == NULL) {
		if (cause != NULL) {
			ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
			free(cause);
		} else
			ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND,
			    "no notification #%lld", (long long)id);
		return;
	}
	ctl_reply_json(r, 200, o);
}

/* Send a test to a channel now; the client follows the returned id. */
static void
ctl_post_notify_test(struct ctl_request *r)
{
	char	*cause = NULL;
	int64_t	 id;

	log_info("control: notify test %s requested by uid %ld", r->arg,
	    (long)r->peer->uid);
	if ((id = notify_test(r->ctl->v->notify, r->arg, &cause)) < 0) {
		ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 202, json_pack("{s:I, s:s}", "id", (json_int_t)id,
	    "channel", r->arg));
}

static void
ctl_post_notify_retry(struct ctl_request *r)
{
	char	*cause = NULL;
	int64_t	 id;

	if (ctl_arg_id(r, &id) != 0)
		return;
	log_info("control: notify retry %lld requested by uid %ld",
	    (long long)id, (long)r->peer->uid);
	if (notify_retry(r->ctl->v->notify, id, &cause) != 0) {
		ctl_reply_error(r, 409, CTL_ERR_FAILED, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id,
	    "state", "pending"));
}

static json_t *
ctl_rule_json(const struct rule *ru, bool full)
{
	json_t	*o, *types, *fw, *ctl, *refs;
	size_t	 i, j;

	types = json_array();
	for (i = 0; i < ru->ntypes; i++)
		json_array_append_new(types, json_string(ru->types[i]));
	fw = json_object();
	for (i = 0; i < ru->nframeworks; i++) {
		ctl = json_array();
		for (j = 0; j < ru->frameworks[i].ncontrols; j++)
			json_array_append_new(ctl,
			    json_string(ru->frameworks[i].controls[j]));
		json_object_set_new(fw, ru->frameworks[i].name, ctl);
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "id", ru->id,
	    "title", ru->title, "severity", rule_severity_name(ru->severity),
	    "resources", types, "frameworks", fw, "enabled", ru->enabled);
	if (!full)
		return o;
	json_object_set_new(o, "description", ru->description != NULL ?
	    json_string(ru->description) : json_null());
	json_object_set_new(o, "remediation", ru->remediation != NULL ?
	    json_string(ru->remediation) : json_null());
	refs = json_array();
	for (i = 0; i < ru->nreferences; i++)
		json_array_append_new(refs, json_string(ru->references[i]));
	json_object_set_new(o, "references", refs);
	json_object_set_new(o, "file", json_sprintf("%s:%d", ru->file,
	    ru->line));
	return o;
}

/* The rules, or those mapped to a framework (?framework=cis-aws-6.0.0). */
static void
ctl_get_rules(struct ctl_request *r)
{
	struct ruleset		*rs = eval_rules(r->ctl->v->eval);
	const struct rule	*ru;
	const char		*fw = ctl_param(r, "framework");
	json_t			*rows = json_array();
	size_t			 i, j;

	for (i = 0; rs != NULL && i < ruleset_count(rs); i++) {
		ru = ruleset_rule(rs, i);
		if (fw != NULL) {
			for (j = 0; j < ru->nframeworks; j++) {
				if (strcmp(ru->frameworks[j].name, fw) == 0)
					break;
			}
			if (j == ru->nframeworks)
				continue;
		}
		json_array_append_new(rows, ctl_rule_json(ru, false));
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(rows), "rules", rows));
}

static void
ctl_get_rule(struct ctl_request *r)
{
	struct ruleset		*rs = eval_rules(r->ctl->v->eval);
	const struct rule	*ru;

	if (rs == NULL || (ru = ruleset_find(rs, r->arg)) == NULL) {
		ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND, "no rule %s",
		    r->arg);
		return;
	}
	ctl_reply_json(r, 200, ctl_rule_json(ru, true));
}

static void
ctl_get_violations(struct ctl_request *r)
{
	struct violation_query	 q;
	const char		*v;
	char			*cause = NULL;
	json_t			*rows;

	memset(&q, 0, sizeof q);
	if ((v = ctl_param(r, "state")) != NULL && strcmp(v, "all") != 0) {
		if (strcmp(v, "open") != 0 && strcmp(v, "resolved") != 0 &&
		    strcmp(v, "excepted") != 0) {
			ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "state: "
			    "'%s' is not open, resolved, excepted or all", v);
			return;
		}
		q.state = v;
	}
	q.severity = ctl_param(r, "severity");
	q.rule = ctl_param(r, "rule");
	q.account = ctl_param(r, "account");
	q.type = ctl_param(r, "type");
	if (ctl_param_since(r, "since", &q.since_ms) != 0 ||
	    ctl_param_limit(r, &q.limit) != 0)
		return;
	if ((rows = store_violations_query(r->ctl->v->store, &q, &cause)) ==
	    NULL) {
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(rows), "violations", rows));
}

static void
ctl_get_violation(struct ctl_request *r)
{
	const char	*why;
	char		*cause = NULL;
	int64_t		 id;
	json_t		*o;

	if (parse_int(r->arg, &id, &why) != 0) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "'%s' is not a "
		    "violation id", r->arg);
		return;
	}
	if ((o = store_violation_get(r->ctl->v->store, id, &cause)) == NULL) {
		if (cause != NULL)
			ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		else
			ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND,
			    "no violation %lld", (long long)id);
		free(cause);
		return;
	}
	ctl_reply_json(r, 200, o);
}

static json_t *
ctl_exception_json(const struct exception_row *e)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s}",
	    "id", (json_int_t)e->id, "rule", e->rule_pattern,
	    "asset", e->asset_pattern, "account", e->account,
	    "tag_key", e->tag_key, "tag_value", e->tag_value,
	    "reason", e->reason, "owner", e->owner,
	    "created_by", e->created_by, "source", e->source);
	t = e->expires_at != 0 ? time_iso8601(e->expires_at) : NULL;
	json_object_set_new(o, "expires_at", t != NULL ? json_string(t) :
	    json_null());
	free(t);
	t = time_iso8601(e->created_at);
	json_object_set_new(o, "created_at", json_string(t));
	free(t);
	if (e->removed_at != 0) {
		t = time_iso8601(e->removed_at);
		json_object_set_new(o, "removed_at", json_string(t));
		free(t);
	}
	return o;
}

static void
ctl_get_exceptions(struct ctl_request *r)
{
	struct exception_row	*rows = NULL;
	const char		*v;
	char			*cause = NULL;
	json_t			*out;
	size_t			 n = 0, i;

	if (store_exceptions(r->ctl->v->store, (v = ctl_param(r, "all")) !=
	    NULL && strcmp(v, "1") == 0, now_ms(), &rows, &n, &cause) != 0) {
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	out = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(out, ctl_exception_json(&rows[i]));
		exception_row_clear(&rows[i]);
	}
	free(rows);
	ctl_reply_json(r, 200, json_pack("{s:I, s:o}", "count",
	    (json_int_t)json_array_size(out), "exceptions", out));
}

/* The request's body as a JSON object, or an error answer and NULL. */
static json_t *
ctl_body(struct ctl_request *r)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(r->req);
	json_error_t	 jerr;
	json_t		*v;
	size_t		 len = evbuffer_get_length(in);

	v = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	if (!json_is_object(v)) {
		json_decref(v);
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "the body is not "
		    "a JSON object: %s", jerr.text);
		return NULL;
	}
	return v;
}

static const char *
ctl_body_str(json_t *b, const char *k)
{
	const char	*s = json_string_value(json_object_get(b, k));

	return s != NULL && *s != '\0' ? s : NULL;
}

static void
ctl_post_exception(struct ctl_request *r)
{
	struct store		*st = r->ctl->v->store;
	struct exception_row	 e;
	const char		*expires;
	char			*cause = NULL;
	json_t			*b;
	int64_t			 id;

	if ((b = ctl_body(r)) == NULL)
		return;
	memset(&e, 0, sizeof e);
	e.rule_pattern = (char *)(uintptr_t)ctl_body_str(b, "rule");
	e.asset_pattern = (char *)(uintptr_t)ctl_body_str(b, "asset");
	e.account = (char *)(uintptr_t)ctl_body_str(b, "account");
	e.reason = (char *)(uintptr_t)ctl_body_str(b, "reason");
	e.owner = (char *)(uintptr_t)ctl_body_str(b, "owner");
	if (e.rule_pattern == NULL || e.asset_pattern == NULL ||
	    e.reason == NULL || e.owner == NULL) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "an exception "
		    "needs rule, asset, reason and owner");
		json_decref(b);
		return;
	}
	if ((expires = ctl_body_str(b, "expires")) != NULL &&
	    exception_time_parse(expires, &e.expires_at) != 0) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "expires: '%s' is "
		    "neither a date (2027-03-01) nor an RFC 3339 time", expires);
		json_decref(b);
		return;
	}
	exception_tag(&e, ctl_body_str(b, "tag"));
	e.created_at = now_ms();
	e.created_by = xprintf("uid %ld", (long)r->peer->uid);
	e.source = xstrdup("api");
	if (store_begin(st, &cause) != 0 ||
	    store_exception_add(st, &e, &id, &cause) != 0 ||
	    store_commit(st, &cause) != 0) {
		store_rollback(st);
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
	} else {
		e.id = id;
		log_info("control: exception %lld added by uid %ld: %s on %s",
		    (long long)id, (long)r->peer->uid, e.rule_pattern,
		    e.asset_pattern);
		vigild_exceptions_changed();
		ctl_reply_json(r, 201, ctl_exception_json(&e));
	}
	free(e.tag_key);
	free(e.tag_value);
	free(e.created_by);
	free(e.source);
	json_decref(b);
}

static void
ctl_delete_exception(struct ctl_request *r)
{
	struct store	*st = r->ctl->v->store;
	const char	*why;
	char		*cause = NULL;
	int64_t		 id;
	bool		 found = false;

	if (parse_int(r->arg, &id, &why) != 0) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "'%s' is not an "
		    "exception id", r->arg);
		return;
	}
	if (store_begin(st, &cause) != 0 ||
	    store_exception_remove(st, id, "api", now_ms(), &found,
	    &cause) != 0 ||
	    store_commit(st, &cause) != 0) {
		store_rollback(st);
		ctl_reply_error(r, 500, CTL_ERR_INTERNAL, "%s", cause);
		free(cause);
		return;
	}
	if (!found) {
		ctl_reply_error(r, 404, CTL_ERR_NOT_FOUND, "no live exception "
		    "%lld added through the API (one of a file goes when the "
		    "file says so)", (long long)id);
		return;
	}
	log_info("control: exception %lld removed by uid %ld", (long long)id,
	    (long)r->peer->uid);
	vigild_exceptions_changed();
	ctl_reply_json(r, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id,
	    "removed", 1));
}

/* Sweep now: everything, or an account, or a type. */
static void
ctl_post_scan(struct ctl_request *r)
{
	const char	*account = ctl_param(r, "account"), *type =
	    ctl_param(r, "type");

	if (type != NULL && collect_type_find(type) == NULL) {
		ctl_reply_error(r, 400, CTL_ERR_BAD_REQUEST, "'%s' is not a "
		    "collected asset type", type);
		return;
	}
	log_info("control: scan requested by uid %ld (%s %s)",
	    (long)r->peer->uid, account != NULL ? account : "every account",
	    type != NULL ? type : "every type");
	collect_sweep(r->ctl->v->collect, account, type);
	ctl_reply_json(r, 202, json_pack("{s:b, s:s?, s:s?}", "started", 1,
	    "account", account, "type", type));
}

static void
ctl_get_metrics(struct ctl_request *r)
{
	char	*text;

	text = metrics_render();
	ctl_send(r, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
	    text, strlen(text));
	free(text);
}

static void
ctl_post_reload(struct ctl_request *r)
{
	struct diags	 d = { NULL, 0 };
	json_t		*errs;
	size_t		 i;
	char		*s;

	log_info("control: reload requested by uid %ld",
	    (long)r->peer->uid);
	if (vigild_reload(&d) == 0) {
		ctl_reply_json(r, 200, json_pack("{s:b}", "reloaded", 1));
		return;
	}
	errs = json_array();
	for (i = 0; i < d.n; i++) {
		s = diag_string(&d.v[i]);
		json_array_append_new(errs, json_string(s));
		free(s);
	}
	diag_clear(&d);
	ctl_reply_json(r, 422, json_pack("{s:{s:s, s:s, s:o}}", "error",
	    "code", CTL_ERR_FAILED, "message",
	    "the new configuration has errors; the old one stays in use",
	    "details", errs));
}

/* Is something already answering on the socket?  Remove it if stale. */
static int
ctl_socket_check(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd, rc;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		*cause = xprintf("control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		*cause = xprintf("control socket %s exists and is not a socket",
		    path);
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xprintf("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0) {
		*cause = xprintf("another vigild is already running on %s",
		    path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		*cause = xprintf("control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	log_info("control: removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xprintf("control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
ctl_resolve_group(const char *name, gid_t *gid, char **cause)
{
	struct group	*gr;
	const char	*why;
	int64_t		 n;

	errno = 0;
	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (parse_int(name, &n, &why) == 0 && n >= 0) {
		*gid = (gid_t)n;
		return 0;
	}
	*cause = xprintf("unknown group '%s'", name);
	return -1;
}

/* For vigild -n: do the groups the configuration names exist? */
int
control_check(const struct config *conf, struct diags *d)
{
	const char	*names[] = { "socket_group", "admin_group" };
	const char	*values[] = { conf->socket_group, conf->admin_group };
	char		*cause;
	gid_t		 gid;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < nitems(names); i++) {
		if (values[i] == NULL)
			continue;
		if (ctl_resolve_group(values[i], &gid, &cause) != 0) {
			diag_add(d, conf->path, 0, 0, "%s: %s", names[i], cause);
			free(cause);
			rc = -1;
		}
	}
	return rc;
}

static int
ctl_listen(struct control *ctl, const struct config *conf, char **cause)
{
	struct sockaddr_un	 sun;
	struct evconnlistener	*lev;
	struct stat		 sb;
	mode_t			 old;
	int			 fd;

	if (strlen(conf->socket) >= sizeof sun.sun_path) {
		*cause = xprintf("control socket path too long: %s",
		    conf->socket);
		return -1;
	}
	if (ctl_socket_check(conf->socket, cause) != 0)
		return -1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", conf->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		*cause = xprintf("socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);	/* nobody else until the mode is set */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		*cause = xprintf("control socket %s: %s", conf->socket,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (stat(conf->socket, &sb) == 0) {
		ctl->dev = sb.st_dev;
		ctl->ino = sb.st_ino;
	}
	ctl->path = xstrdup(conf->socket);
	if (chown(conf->socket, (uid_t)-1, ctl->read_gid) == -1 &&
	    ctl->read_gid != getegid()) {
		*cause = xprintf("control socket %s: chown to group %ld: %s",
		    conf->socket, (long)ctl->read_gid, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(conf->socket, (mode_t)conf->socket_mode) == -1) {
		*cause = xprintf("control socket %s: chmod: %s", conf->socket,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, CTL_BACKLOG) == -1) {
		*cause = xprintf("control socket %s: listen: %s", conf->socket,
		    strerror(errno));
		close(fd);
		return -1;
	}
	lev = evconnlistener_new(ctl->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (lev == NULL) {
		*cause = xprintf("control socket %s: cannot listen",
		    conf->socket);
		close(fd);
		return -1;
	}
	if (evhttp_bind_listener(ctl->http, lev) == NULL) {
		*cause = xprintf("control socket %s: cannot serve",
		    conf->socket);
		evconnlistener_free(lev);
		return -1;
	}
	return 0;
}

static void
ctl_apply(struct control *ctl, struct evhttp *http, const struct config *conf)
{
	evhttp_set_timeout(http, (int)((conf->control_timeout + 999) / 1000));
	evhttp_set_max_body_size(http, conf->control_max_body);
	evhttp_set_max_headers_size(http, CTL_MAX_HEADERS);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	ctl->max_conns = conf->control_max_connections;
}

/* Apply what may change on reload: limits, groups, the metrics listener. */
void
control_reconfigure(struct control *ctl, const struct config *conf)
{
	char	*cause;
	gid_t	 gid;

	ctl_apply(ctl, ctl->http, conf);
	ctl->have_admin_gid = false;
	if (conf->admin_group != NULL) {
		if (ctl_resolve_group(conf->admin_group, &gid, &cause) == 0) {
			ctl->admin_gid = gid;
			ctl->have_admin_gid = true;
		} else {
			log_warnx("control: admin_group: %s", cause);
			free(cause);
		}
	}
	if (ctl->metrics_addr != NULL && conf->metrics_listen != NULL &&
	    strcmp(ctl->metrics_addr, conf->metrics_listen) == 0)
		return;
	if (ctl->metrics_http != NULL) {
		evhttp_free(ctl->metrics_http);
		ctl->metrics_http = NULL;
	}
	free(ctl->metrics_addr);
	ctl->metrics_addr = NULL;
	if (conf->metrics_listen != NULL &&
	    control_metrics_listen(ctl, conf->metrics_listen, &cause) != 0) {
		log_warnx("control: %s", cause);
		free(cause);
	}
}

/* Serve /metrics on a TCP address: "127.0.0.1:9464" or "[::1]:9464". */
int
control_metrics_listen(struct control *ctl, const char *addr, char **cause)
{
	char		*host, *colon;
	const char	*why;
	int64_t		 port;

	if (addr[0] == '[') {
		host = xstrdup(addr + 1);
		if ((colon = strstr(host, "]:")) == NULL) {
			*cause = xprintf("metrics_listen: '%s' is not "
			    "[address]:port", addr);
			free(host);
			return -1;
		}
		*colon = '\0';
		colon++;
	} else {
		host = xstrdup(addr);
		if ((colon = strrchr(host, ':')) == NULL) {
			*cause = xprintf("metrics_listen: '%s' is not "
			    "address:port", addr);
			free(host);
			return -1;
		}
		*colon = '\0';
	}
	if (parse_int(colon + 1, &port, &why) != 0 || port < 1 ||
	    port > 65535) {
		*cause = xprintf("metrics_listen: bad port in '%s'", addr);
		free(host);
		return -1;
	}
	ctl->metrics_http = evhttp_new(ctl->base);
	if (ctl->metrics_http == NULL)
		fatalx("evhttp_new: out of memory");
	evhttp_set_gencb(ctl->metrics_http, ctl_metrics_request_cb, ctl);
	evhttp_set_timeout(ctl->metrics_http, 30);
	evhttp_set_max_body_size(ctl->metrics_http, 4096);
	evhttp_set_allowed_methods(ctl->metrics_http, EVHTTP_REQ_GET);
	if (evhttp_bind_socket(ctl->metrics_http, host, (ev_uint16_t)port) !=
	    0) {
		*cause = xprintf("metrics_listen: cannot listen on %s: %s",
		    addr, strerror(errno));
		evhttp_free(ctl->metrics_http);
		ctl->metrics_http = NULL;
		free(host);
		return -1;
	}
	log_info("control: serving /metrics on %s", addr);
	ctl->metrics_addr = xstrdup(addr);
	free(host);
	return 0;
}

struct control *
control_start(struct vigil *v, const struct config *conf, char **cause)
{
	struct control	*ctl;

	ctl = xcalloc(1, sizeof *ctl);
	ctl->v = v;
	ctl->base = v->base;
	ctl->read_gid = getegid();
	if (conf->socket_group != NULL &&
	    ctl_resolve_group(conf->socket_group, &ctl->read_gid, cause) != 0) {
		free(ctl);
		return NULL;
	}
	if ((ctl->http = evhttp_new(ctl->base)) == NULL)
		fatalx("evhttp_new: out of memory");
	evhttp_set_gencb(ctl->http, ctl_request_cb, ctl);
	if (ctl_listen(ctl, conf, cause) != 0) {
		control_stop(ctl);
		return NULL;
	}
	control_reconfigure(ctl, conf);
	if (conf->metrics_listen != NULL && ctl->metrics_http == NULL) {
		*cause = xprintf("cannot serve metrics on %s",
		    conf->metrics_listen);
		control_stop(ctl);
		return NULL;
	}
	return ctl;
}

void
control_stop(struct control *ctl)
{
	struct stat	 sb;

	if (ctl == NULL)
		return;
	if (ctl->metrics_http != NULL)
		evhttp_free(ctl->metrics_http);
	if (ctl->http != NULL)
		evhttp_free(ctl->http);	/* closes every connection */
	/* Remove the socket only if it is still the one we made. */
	if (ctl->path != NULL && stat(ctl->path, &sb) == 0 &&
	    sb.st_dev == ctl->dev && sb.st_ino == ctl->ino)
		unlink(ctl->path);
	while (ctl->nconns > 0)
		ctl_conn_closed(NULL, ctl->conns[0]);
	free(ctl->conns);
	free(ctl->metrics_addr);
	free(ctl->path);
	free(ctl);
}
