/*
 * check_aws_sigv4.c: AWS Signature Version 4, stage by stage, against the
 * published vectors (the AWS suite, botocore's and mhart's copies of it,
 * aws-c-auth's suite), and the canonical forms one at a time.
 *
 * The vectors bundled in tests/data/sigv4 always run; the whole corpus runs
 * too when $VIGIL_SHARED/testdata/sigv4 exists (make check sets
 * VIGIL_SHARED).  Both have the corpus layout.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <time.h>

#include <jansson.h>

#include "check_vigil.h"
#include "aws-sigv4.h"

#define SUITE_AKID	"AKIDEXAMPLE"
#define SUITE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION	"us-east-1"
#define SUITE_SERVICE	"service"
#define SUITE_TIME	1440938160	/* 2015-08-30T12:36:00Z */

/* The token of post-sts-token/readme.txt in the AWS suite. */
#define SUITE_TOKEN \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWL" \
	"WsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQr" \
	"mGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9H" \
	"FvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+sc" \
	"qKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
/* The token botocore's harness signs get-vanilla-with-session-token with. */
#define BOTOCORE_TOKEN \
	"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

enum group_kind {
	KIND_SUITE,		/* .req .creq .sts .authz .sreq */
	KIND_CRT,		/* aws-c-auth: context.json, request.txt, ... */
	KIND_V4A,		/* aws-c-auth's ECDSA variant: not SigV4 */
};

static const struct group {
	const char	*dir;		/* under the corpus root */
	enum group_kind	 kind;
} groups[] = {
	{ "aws-sig-v4-test-suite-original", KIND_SUITE },
	{ "mhart-aws4-corrected", KIND_SUITE },
	{ "botocore-aws4_testsuite", KIND_SUITE },
	{ "aws-c-auth/tests/aws-signing-test-suite/v4", KIND_CRT },
	{ "aws-c-auth/tests/aws-signing-test-suite/v4a", KIND_V4A },
};

/*
 * What a suite case needs beyond its files.  The AWS suite has no context
 * file: the credentials, region, service and time are its documented
 * constants, and the few cases below say the rest in prose (a readme) or
 * are known errata.
 */
static const struct quirk {
	const char	*group;		/* NULL for every suite group */
	const char	*name;		/* the case directory */
	const char	*token;
	int		 flags;
	bool		 fold_repeat;	/* continuation lines are new fields */
	bool		 skip;
	bool		 skip_sreq;
	const char	*why;
} quirks[] = {
	{ NULL, "post-sts-header-after", SUITE_TOKEN, SIGV4_UNSIGNED_TOKEN,
	  false, false, false, NULL },
	{ "botocore-aws4_testsuite", "get-vanilla-with-session-token",
	  BOTOCORE_TOKEN, 0, false, false, true,
	  "upstream erratum: its .sreq signature is not the one in its "
	  ".authz; .sreq not compared" },
	/*
	 * The original suite reads the continuation lines of a multi-line
	 * value as fields of their own ("value1,value2,value3"); botocore and
	 * aws-c-auth corrected the vector to RFC 7230 unfolding.
	 */
	{ "aws-sig-v4-test-suite-original", "get-header-value-multiline",
	  NULL, 0, true, false, false, NULL },
	{ "aws-sig-v4-test-suite-original", "post-x-www-form-urlencoded",
	  NULL, 0, false, true, false,
	  "upstream erratum (content-length in .creq, not in .sts): checked "
	  "as mhart-aws4-corrected instead" },
	{ "aws-sig-v4-test-suite-original",
	  "post-x-www-form-urlencoded-parameters",
	  NULL, 0, false, true, false,
	  "upstream erratum (content-length in .creq, not in .sts): checked "
	  "as mhart-aws4-corrected instead" },
};

struct tally {
	int	 cases;		/* vectors checked */
	int	 checks;	/* comparisons made */
	int	 failed;
	int	 skipped;
};

/* An HTTP request as the vector files write it. */
struct vreq {
	char			*method;
	char			*path;
	char			*query;		/* NULL: no '?' */
	char			*version;
	char			**names;
	char			**values;
	struct sigv4_header	*h;
	size_t			 nh;
	char			**lines;	/* header lines as written */
	size_t			 nlines;
	char			*body;
	size_t			 bodylen;
};

static void
vreq_free(struct vreq *r)
{
	size_t	 i;

	free(r->method);
	free(r->path);
	free(r->query);
	free(r->version);
	for (i = 0; i < r->nh; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
	free(r->h);
	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void
vreq_add(struct vreq *r, char *name, char *value)
{
	r->names = xreallocarray(r->names, r->nh + 1, sizeof *r->names);
	r->values = xreallocarray(r->values, r->nh + 1, sizeof *r->values);
	r->names[r->nh] = name;
	r->values[r->nh] = value;
	r->nh++;
}

/*
 * Parse a request file: the request line, header lines (a line starting
 * with a space or tab continues the one before), a blank line and the
 * body.  A continuation is kept in the value with its line break, for the
 * signer to fold; with fold_repeat it is a field of its own instead.
 */
static int
vreq_parse(const char *text, size_t len, bool fold_repeat, struct vreq *r,
    char **cause)
{
	const char	*end, *p, *nl, *sp;
	char		*line, *colon, *v;
	size_t		 n, i;

	memset(r, 0, sizeof *r);
	end = text + len;
	for (p = text; p < end; p++) {
		if (p[0] == '\n' && p + 1 < end && p[1] == '\n')
			break;
		if (p[0] == '\n' && p + 2 < end && p[1] == '\r' &&
		    p[2] == '\n')
			break;
	}
	if (p < end) {
		nl = p[1] == '\r' ? p + 3 : p + 2;
		r->bodylen = (size_t)(end - nl);
		r->body = xstrndup(nl, r->bodylen);
		end = p;
	} else
		r->body = xstrdup("");

	for (p = text, n = 0; p < end; p = nl + 1, n++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		line = xstrndup(p, (size_t)(nl - p));
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (n == 0) {
			/* Method, target (may hold spaces), version. */
			if ((sp = strchr(line, ' ')) == NULL ||
			    strrchr(line, ' ') == sp) {
				*cause = xprintf("bad request line '%s'", line);
				free(line);
				return -1;
			}
			r->method = xstrndup(line, (size_t)(sp - line));
			r->version = xstrdup(strrchr(line, ' ') + 1);
			v = xstrndup(sp + 1,
			    (size_t)(strrchr(line, ' ') - sp - 1));
			if ((colon = strchr(v, '?')) != NULL) {
				r->query = xstrdup(colon + 1);
				*colon = '\0';
			}
			r->path = v;
			free(line);
			continue;
		}
		if (*line == '\0') {
			free(line);
			continue;
		}
		r->lines = xreallocarray(r->lines, r->nlines + 1,
		    sizeof *r->lines);
		r->lines[r->nlines++] = line;
		if (*line == ' ' || *line == '\t') {
			if (r->nh == 0) {
				*cause = xstrdup("continuation line first");
				return -1;
			}
			if (fold_repeat)
				vreq_add(r, xstrdup(r->names[r->nh - 1]),
				    xstrdup(line));
			else {
				v = xprintf("%s\n%s", r->values[r->nh - 1],
				    line);
				free(r->values[r->nh - 1]);
				r->values[r->nh - 1] = v;
			}
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL) {
			*cause = xprintf("bad header line '%s'", line);
			return -1;
		}
		vreq_add(r, xstrndup(line, (size_t)(colon - line)),
		    xstrdup(colon + 1));
	}
	if (r->method == NULL) {
		*cause = xstrdup("no request line");
		return -1;
	}
	r->h = xcalloc(r->nh + 1, sizeof *r->h);
	for (i = 0; i < r->nh; i++) {
		r->h[i].name = r->names[i];
		r->h[i].value = r->values[i];
	}
	return 0;
}

static void
vreq_request(const struct vreq *r, struct sigv4_request *req)
{
	memset(req, 0, sizeof *req);
	req->method = r->method;
	req->path = r->path;
	req->query = r->query;
	req->headers = r->h;
	req->nheaders = r->nh;
	req->payload = r->body;
	req->payload_len = r->bodylen;
}

/*
 * The signed request as the vector files write it: the AWS suite joins
 * lines with '\n' and writes "Authorization: " with a space; aws-c-auth ends
 * every line with '\n' and writes no space.
 */
static char *
vreq_signed(const struct vreq *r, enum group_kind kind, const char *query,
    const struct sigv4_out_header *add, size_t nadd)
{
	char	*s, *t;
	size_t	 i;

	s = xprintf("%s %s%s%s %s", r->method, r->path, query != NULL ? "?" :
	    "", query != NULL ? query : "", r->version);
	for (i = 0; i < r->nlines; i++) {
		t = xprintf("%s\n%s", s, r->lines[i]);
		free(s);
		s = t;
	}
	for (i = 0; i < nadd; i++) {
		t = xprintf("%s\n%s:%s%s", s, add[i].name,
		    kind == KIND_SUITE &&
		    strcmp(add[i].name, "Authorization") == 0 ? " " : "",
		    add[i].value);
		free(s);
		s = t;
	}
	if (kind == KIND_CRT)
		t = xprintf("%s\n\n%s", s, r->body);
	else if (r->bodylen != 0)
		t = xprintf("%s\n\n%s", s, r->body);
	else
		t = xstrdup(s);
	free(s);
	return t;
}

static char *
slurp(const char *path, size_t *len)
{
	char	*cause = NULL, *s;
	size_t	 n;

	s = read_file(path, 1024 * 1024, len != NULL ? len : &n, &cause);
	if (s == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
	}
	return s;
}

static bool
exists(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0;
}

static bool
is_dir(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Compare one stage with its expected file, byte for byte. */
static void
expect_file(struct tally *t, const char *where, const char *file,
    const char *got)
{
	char	*want, *path;
	size_t	 len;

	path = xprintf("%s/%s", where, file);
	want = slurp(path, &len);
	t->checks++;
	if (want == NULL || got == NULL || strlen(got) != len ||
	    memcmp(want, got, len) != 0) {
		t->failed++;
		fprintf(stderr, "sigv4: FAIL %s\n--- expected\n%s\n--- got\n"
		    "%s\n---\n", path, want != NULL ? want : "(unreadable)",
		    got != NULL ? got : "(nothing)");
	}
	free(want);
	free(path);
}

static void
vector_fail(struct tally *t, const char *where, const char *what, char *cause)
{
	t->failed++;
	fprintf(stderr, "sigv4: FAIL %s: %s: %s\n", where, what,
	    cause != NULL ? cause : "?");
	free(cause);
}

static const char *
out_value(const struct sigv4_out_header *h, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	}
	return NULL;
}

static void
check_signature(struct tally *t, const char *where, const char *authz,
    const char *sig)
{
	const char	*p;

	t->checks++;
	if (authz == NULL || (p = strstr(authz, "Signature=")) == NULL ||
	    strcmp(p + strlen("Signature="), sig) != 0) {
		t->failed++;
		fprintf(stderr, "sigv4: FAIL %s: Authorization '%s' does not "
		    "end in the stage signature %s\n", where,
		    authz != NULL ? authz : "(none)", sig);
	}
}

/* One stage after the other, then the whole thing, in one mode. */
static void
run_mode(struct tally *t, const char *where, enum sigv4_mode mode,
    const struct vreq *r, const struct sigv4_credentials *creds,
    const struct sigv4_params *params, enum group_kind kind,
    const char *const files[5])
{
	struct sigv4_request	 req;
	struct sigv4_out_header	*add = NULL;
	size_t			 nadd = 0;
	uint8_t			 key[SIGV4_KEY_LEN];
	char			 time[SIGV4_TIME_LEN + 1];
	char			*creq, *sts, *sig, *date, *query, *sreq;
	char			*cause = NULL;

	vreq_request(r, &req);
	creq = sigv4_canonical_request(mode, &req, creds, params, &cause);
	if (creq == NULL) {
		vector_fail(t, where, "canonical request", cause);
		return;
	}
	expect_file(t, where, files[0], creq);
	if ((sts = sigv4_string_to_sign(params, creq, &cause)) == NULL) {
		vector_fail(t, where, "string to sign", cause);
		free(creq);
		return;
	}
	expect_file(t, where, files[1], sts);
	ck_assert_int_eq(sigv4_format_time(params->now, time), 0);
	date = xstrndup(time, 8);
	sigv4_signing_key(creds->secret_access_key, date, params->region,
	    params->service, key);
	sig = sigv4_signature(key, sts);
	if (files[2] != NULL)
		expect_file(t, where, files[2], sig);

	if (mode == SIGV4_HEADER) {
		if (sigv4_sign_headers(&req, creds, params, &add, &nadd,
		    &cause) != 0)
			vector_fail(t, where, "sign headers", cause);
		else {
			check_signature(t, where,
			    out_value(add, nadd, "Authorization"), sig);
			if (files[3] != NULL)
				expect_file(t, where, files[3],
				    out_value(add, nadd, "Authorization"));
			if (files[4] != NULL) {
				sreq = vreq_signed(r, kind, r->query, add,
				    nadd);
				expect_file(t, where, files[4], sreq);
				free(sreq);
			}
			sigv4_headers_free(add, nadd);
		}
	} else {
		query = sigv4_presign_query(&req, creds, params, &cause);
		if (query == NULL)
			vector_fail(t, where, "presign", cause);
		else {
			t->checks++;
			if (strstr(query, sig) == NULL) {
				t->failed++;
				fprintf(stderr, "sigv4: FAIL %s: query '%s' "
				    "lacks %s\n", where, query, sig);
			}
			sreq = vreq_signed(r, kind, query, NULL, 0);
			expect_file(t, where, files[4], sreq);
			free(sreq);
			free(query);
		}
	}
	free(date);
	free(sig);
	free(sts);
	free(creq);
}

static const struct quirk *
find_quirk(const struct group *g, const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(quirks); i++) {
		if ((quirks[i].group == NULL ||
		    strcmp(quirks[i].group, g->dir) == 0) &&
		    strcmp(quirks[i].name, name) == 0)
			return &quirks[i];
	}
	return NULL;
}

static void
run_suite_case(const struct group *g, const char *dir, const char *name,
    struct tally *t, bool quiet)
{
	static const struct quirk	 none;
	const struct quirk		*q;
	struct sigv4_credentials	 creds;
	struct sigv4_params		 params;
	struct vreq			 r;
	char				*path, *text, *cause = NULL;
	char				*f[5];
	size_t				 len, i;

	if ((q = find_quirk(g, name)) == NULL)
		q = &none;
	if (q->skip) {
		t->skipped++;
		if (!quiet)
			printf("sigv4: %s/%s: skipped: %s\n", g->dir, name,
			    q->why);
		return;
	}
	path = xprintf("%s/%s.req", dir, name);
	text = slurp(path, &len);
	free(path);
	if (text == NULL) {
		vector_fail(t, dir, "request", NULL);
		return;
	}
	if (vreq_parse(text, len, q->fold_repeat, &r, &cause) != 0) {
		vector_fail(t, dir, "request", cause);
		vreq_free(&r);
		free(text);
		return;
	}
	free(text);
	memset(&creds, 0, sizeof creds);
	creds.access_key_id = SUITE_AKID;
	creds.secret_access_key = SUITE_SECRET;
	creds.session_token = q->token;
	memset(&params, 0, sizeof params);
	params.region = SUITE_REGION;
	params.service = SUITE_SERVICE;
	params.now = SUITE_TIME;
	params.flags = q->flags;

	f[0] = xprintf("%s.creq", name);
	f[1] = xprintf("%s.sts", name);
	f[2] = NULL;
	f[3] = xprintf("%s.authz", name);
	f[4] = xprintf("%s/%s.sreq", dir, name);
	if (q->skip_sreq || !exists(f[4])) {
		if (!quiet && q->why != NULL)
			printf("sigv4: %s/%s: %s\n", g->dir, name, q->why);
		free(f[4]);
		f[4] = NULL;
	} else {
		free(f[4]);
		f[4] = xprintf("%s.sreq", name);
	}
	run_mode(t, dir, SIGV4_HEADER, &r, &creds, &params, KIND_SUITE,
	    (const char *const *)f);
	for (i = 0; i < nitems(f); i++)
		free(f[i]);
	vreq_free(&r);
	t->cases++;
}

/* Fill in credentials and parameters from an aws-c-auth context.json. */
static int
crt_context(const char *path, json_t **root, struct sigv4_credentials *creds,
    struct sigv4_params *params, char **cause)
{
	static const char *const known[] = {
		"credentials", "expiration_in_seconds", "normalize", "region",
		"service", "sign_body", "timestamp", "omit_session_token",
	};
	json_error_t	 error;
	json_t		*c, *v;
	const char	*key, *ts;
	struct tm	 tm;
	size_t		 i;

	memset(creds, 0, sizeof *creds);
	memset(params, 0, sizeof *params);
	if ((*root = json_load_file(path, 0, &error)) == NULL) {
		*cause = xprintf("%s:%d: %s", path, error.line, error.text);
		return -1;
	}
	/* A flag this test does not know would be silently ignored. */
	json_object_foreach(*root, key, v) {
		for (i = 0; i < nitems(known); i++) {
			if (strcmp(key, known[i]) == 0)
				break;
		}
		if (i == nitems(known)) {
			*cause = xprintf("%s: unknown key %s", path, key);
			return -1;
		}
	}
	c = json_object_get(*root, "credentials");
	creds->access_key_id = json_string_value(json_object_get(c,
	    "access_key_id"));
	creds->secret_access_key = json_string_value(json_object_get(c,
	    "secret_access_key"));
	creds->session_token = json_string_value(json_object_get(c, "token"));
	params->region = json_string_value(json_object_get(*root, "region"));
	params->service = json_string_value(json_object_get(*root,
	    "service"));
	params->expires = (int)json_integer_value(json_object_get(*root,
	    "expiration_in_seconds"));
	if (json_is_false(json_object_get(*root, "normalize")))
		params->flags |= SIGV4_NO_NORMALIZE;
	if (json_is_true(json_object_get(*root, "sign_body")))
		params->flags |= SIGV4_CONTENT_SHA256;
	if (json_is_true(json_object_get(*root, "omit_session_token")))
		params->flags |= SIGV4_UNSIGNED_TOKEN;
	ts = json_string_value(json_object_get(*root, "timestamp"));
	memset(&tm, 0, sizeof tm);
	if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
		*cause = xprintf("%s: bad timestamp", path);
		return -1;
	}
	params->now = timegm(&tm);
	return 0;
}

static void
run_crt_case(const struct group *g, const char *dir, struct tally *t)
{
	static const char *const hfiles[5] = {
		"header-canonical-request.txt", "header-string-to-sign.txt",
		"header-signature.txt", NULL, "header-signed-request.txt",
	};
	static const char *const qfiles[5] = {
		"query-canonical-request.txt", "query-string-to-sign.txt",
		"query-signature.txt", NULL, "query-signed-request.txt",
	};
	struct sigv4_credentials	 creds;
	struct sigv4_params		 params;
	struct vreq			 r;
	json_t				*root = NULL;
	char				*path, *text, *cause = NULL;
	size_t				 len;

	path = xprintf("%s/context.json", dir);
	if (crt_context(path, &root, &creds, &params, &cause) != 0) {
		vector_fail(t, dir, "context", cause);
		json_decref(root);
		free(path);
		return;
	}
	free(path);
	path = xprintf("%s/request.txt", dir);
	text = slurp(path, &len);
	free(path);
	if (text == NULL || vreq_parse(text, len, false, &r, &cause) != 0) {
		vector_fail(t, dir, "request", cause);
		if (text != NULL)
			vreq_free(&r);
		free(text);
		json_decref(root);
		return;
	}
	free(text);
	run_mode(t, dir, SIGV4_HEADER, &r, &creds, &params, g->kind, hfiles);
	run_mode(t, dir, SIGV4_QUERY, &r, &creds, &params, g->kind, qfiles);
	vreq_free(&r);
	json_decref(root);
	t->cases++;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The case directories under dir, sorted, found by what they hold. */
static void
find_cases(const char *dir, enum group_kind kind, char ***v, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		*sub, *probe;
	bool		 is_case;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		sub = xprintf("%s/%s", dir, de->d_name);
		if (!is_dir(sub)) {
			free(sub);
			continue;
		}
		if (kind == KIND_SUITE)
			probe = xprintf("%s/%s.req", sub, de->d_name);
		else if (kind == KIND_CRT)
			probe = xprintf("%s/context.json", sub);
		else
			probe = xprintf("%s/request.txt", sub);
		is_case = exists(probe);
		free(probe);
		if (is_case) {
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			(*v)[(*n)++] = sub;
		} else {
			find_cases(sub, kind, v, n);
			free(sub);
		}
	}
	closedir(d);
}

/* Run every group under root; the number of vectors checked. */
static int
run_root(const char *root, bool quiet)
{
	const struct group	*g;
	struct tally		 t;
	char			*dir, **v, *name;
	size_t			 i, j, n;
	int			 total = 0, failed = 0;

	for (i = 0; i < nitems(groups); i++) {
		g = &groups[i];
		memset(&t, 0, sizeof t);
		dir = xprintf("%s/%s", root, g->dir);
		v = NULL;
		n = 0;
		find_cases(dir, g->kind, &v, &n);
		if (n > 1)
			qsort(v, n, sizeof *v, strp_cmp);
		for (j = 0; j < n; j++) {
			name = strrchr(v[j], '/') + 1;
			if (g->kind == KIND_SUITE)
				run_suite_case(g, v[j], name, &t, quiet);
			else if (g->kind == KIND_CRT)
				run_crt_case(g, v[j], &t);
			else
				t.skipped++;
			free(v[j]);
		}
		free(v);
		if (!quiet && g->kind == KIND_V4A)
			printf("sigv4: %s: skipped %d v4a cases (SigV4a is "
			    "ECDSA P-256, a different algorithm)\n", dir,
			    t.skipped);
		else if (!quiet)
			printf("sigv4: %s: %d vectors checked (%d "
			    "comparisons), %d failed, %d skipped\n", dir,
			    t.cases, t.checks, t.failed, t.skipped);
		if (n == 0) {
			fprintf(stderr, "sigv4: FAIL %s: no vectors found\n",
			    dir);
			failed++;
		}
		failed += t.failed;
		total += t.cases;
		free(dir);
	}
	/* Every group ran and said what failed; now fail the test. */
	ck_assert_msg(failed == 0, "%s: %d comparisons failed", root, failed);
	return total;
}

START_TEST(test_bundled)
{
	run_root(TEST_SRCDIR "/tests/data/sigv4", false);
}
END_TEST

START_TEST(test_corpus)
{
	const char	*shared = getenv("VIGIL_SHARED");
	char		*root;
	int		 n;

	if (shared == NULL || *shared == '\0') {
		n = run_root(TEST_SRCDIR "/tests/data/sigv4", true);
		printf("sigv4: VIGIL_SHARED not set: ran the %d bundled "
		    "vectors only\n", n);
		return;
	}
	root = xprintf("%s/testdata/sigv4", shared);
	if (!exists(root)) {
		n = run_root(TEST_SRCDIR "/tests/data/sigv4", true);
		printf("sigv4: corpus %s absent: ran the %d bundled vectors "
		    "only\n", root, n);
	} else {
		n = run_root(root, false);
		printf("sigv4: corpus %s: %d vectors checked\n", root, n);
	}
	free(root);
}
END_TEST

START_TEST(test_uri_encode)
{
	static const struct {
		const char	*in;
		bool		 slash;
		const char	*out;
	} cases[] = {
		{ "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		  "qrstuvwxyz", false, "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVW"
		  "XYZabcdefghijklmnopqrstuvwxyz" },
		{ "", false, "" },
		{ "a b", false, "a%20b" },
		{ "a+b=c&d", false, "a%2Bb%3Dc%26d" },
		{ "/a/b", true, "/a/b" },
		{ "/a/b", false, "%2Fa%2Fb" },
		{ "100%", false, "100%25" },
		{ "\xe1\x88\xb4", false, "%E1%88%B4" },
		{ "$delete", true, "%24delete" },
		{ "!*'();:@,?#[]", false, "%21%2A%27%28%29%3B%3A%40%2C%3F%23"
		  "%5B%5D" },
		{ "\x7f\xff", false, "%7F%FF" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = sigv4_uri_encode(cases[i].in, strlen(cases[i].in),
		    cases[i].slash);
		ck_assert_str_eq(s, cases[i].out);
		free(s);
	}
	s = sigv4_uri_encode("a\0b", 3, false);
	ck_assert_str_eq(s, "a%00b");
	free(s);
}
END_TEST

START_TEST(test_normalize_path)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "", "/" }, { "/", "/" }, { "//", "/" }, { "/./", "/" },
		{ "/.", "/" }, { "/..", "/" }, { "/../a", "/a" },
		{ "/example/..", "/" }, { "/example1/example2/../..", "/" },
		{ "//example//", "/example/" }, { "/./example", "/example" },
		{ "/a/b/../c", "/a/c" }, { "/a/./b/", "/a/b/" },
		{ "/a//b", "/a/b" }, { "/a/b/..", "/a" }, { "/a/b/../", "/a/" },
		{ "/a/.", "/a" }, { "/a/..b", "/a/..b" },
		{ "/a/.b/", "/a/.b/" },
		{ "/a/.../b", "/a/.../b" }, { "/example space/",
		"/example space/" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = sigv4_normalize_path(cases[i].in);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "'%s' -> '%s', "
		    "want '%s'", cases[i].in, s, cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_canonical_uri)
{
	static const struct {
		const char	*in;
		int		 flags;
		const char	*out;
	} cases[] = {
		{ "/", 0, "/" },
		{ "/example space/", 0, "/example%20space/" },
		/* What was sent is encoded once more: "double encoding". */
		{ "/a%20b", 0, "/a%2520b" },
		{ "/\xe1\x88\xb4", 0, "/%E1%88%B4" },
		{ "//a/./b/../c/", 0, "/a/c/" },
		{ "//a/./b/../c/", SIGV4_NO_NORMALIZE, "//a/./b/../c/" },
		{ "/example space/", SIGV4_NO_NORMALIZE, "/example%20space/" },
		/* S3: a key is a key, encoded once however it was sent. */
		{ "/bucket/my%20photo%2B1/%E1%88%B4.jpg", SIGV4_S3,
		  "/bucket/my%20photo%2B1/%E1%88%B4.jpg" },
		{ "/bucket/my photo+1/\xe1\x88\xb4.jpg", SIGV4_S3,
		  "/bucket/my%20photo%2B1/%E1%88%B4.jpg" },
		{ "/bucket/a%e1%88%b4%7e", SIGV4_S3, "/bucket/a%E1%88%B4~" },
		{ "/bucket/a//b/../c", SIGV4_S3, "/bucket/a//b/../c" },
		{ "/bucket/x%2Fy", SIGV4_S3, "/bucket/x%2Fy" },
		{ "/bucket/100%", SIGV4_S3, "/bucket/100%25" },
		{ "/bucket/%zz%4", SIGV4_S3, "/bucket/%25zz%254" },
		{ "/bucket/", SIGV4_S3, "/bucket/" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = sigv4_canonical_uri(cases[i].in, cases[i].flags);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "'%s' (%#x) -> "
		    "'%s', want '%s'", cases[i].in, cases[i].flags, s,
		    cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_canonical_query)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ NULL, "" }, { "", "" }, { "&&", "" },
		{ "b=2&a=1", "a=1&b=2" },
		{ "Param1=value2&Param1=Value1",
		  "Param1=Value1&Param1=value2" },
		/* By name first: '=' would sort after '-'. */
		{ "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
		  "%E1%88%B4=Value1&Param=Value2&Param-3=Value3" },
		{ "\xe1\x88\xb4=bar", "%E1%88%B4=bar" },
		{ "Param1", "Param1=" }, { "a=&b", "a=&b=" },
		{ "&a=1&", "a=1" },
		{ "x=a b", "x=a%20b" }, { "x=a%20b", "x=a%20b" },
		{ "x=a+b", "x=a%2Bb" }, { "x=%7e%7E~", "x=~~~" },
		{ "x=%3d", "x=%3D" }, { "x==", "x=%3D" },
		{ "x=a=b", "x=a%3Db" },
		{ "x=%zz", "x=%25zz" }, { "x=%4", "x=%254" },
		{ "Action=ListUsers&Version=2010-05-08",
		  "Action=ListUsers&Version=2010-05-08" },
		{ "prefix=a/b&list-type=2", "list-type=2&prefix=a%2Fb" },
		{ "acl", "acl=" },
		{ "B=1&a=1&_=1&~=1&-=1", "-=1&B=1&_=1&a=1&~=1" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		s = sigv4_canonical_query(cases[i].in);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "'%s' -> '%s', "
		    "want '%s'", cases[i].in != NULL ? cases[i].in : "(null)",
		    s, cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_canonical_headers)
{
	static const struct sigv4_header h[] = {
		{ "Host", "example.amazonaws.com" },
		{ "My-Header1", "  a   b  " },
		{ "ZZ", "multi\r\n  line\n\tvalue" },
		{ "my-header1", "c" },
		{ "X-Amz-Date", "20150830T123600Z" },
		{ "User-Agent", "vigil/1" },
		{ "Expect", "100-continue" },
		{ "Empty", "" },
		{ "My-Header1", "\t" },
		{ "Quoted", "\"a   b   c\"" },
	};
	static const struct sigv4_header bad1[] = { { "Bad Name", "x" } };
	static const struct sigv4_header bad2[] = { { "", "x" } };
	static const struct sigv4_header bad3[] = { { "Name:", "x" } };
	static const struct sigv4_header bad4[] = { { "x", NULL } };
	char	*c, *sh, *cause = NULL;

	ck_assert_int_eq(sigv4_canonical_headers(h, nitems(h), &c, &sh,
	    &cause), 0);
	ck_assert_str_eq(c, "empty:\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:a b,c,\n"
	    "quoted:\"a b c\"\n"
	    "x-amz-date:20150830T123600Z\n"
	    "zz:multi line value\n");
	ck_assert_str_eq(sh, "empty;host;my-header1;quoted;x-amz-date;zz");
	free(c);
	free(sh);

	ck_assert_int_eq(sigv4_canonical_headers(NULL, 0, &c, &sh, &cause),
	    0);
	ck_assert_str_eq(c, "");
	ck_assert_str_eq(sh, "");
	free(c);
	free(sh);

	ck_assert_int_eq(sigv4_canonical_headers(bad1, 1, &c, &sh, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "not a token"));
	free(cause);
	ck_assert_int_eq(sigv4_canonical_headers(bad2, 1, &c, &sh, &cause),
	    -1);
	free(cause);
	ck_assert_int_eq(sigv4_canonical_headers(bad3, 1, &c, &sh, &cause),
	    -1);
	free(cause);
	ck_assert_int_eq(sigv4_canonical_headers(bad4, 1, &c, &sh, &cause),
	    -1);
	ck_assert_str_eq(cause, "header x has no value");
	free(cause);
}
END_TEST

START_TEST(test_signing_key)
{
	uint8_t	 key[SIGV4_KEY_LEN];
	char	 hex[SIGV4_HEX_LEN + 1], time[SIGV4_TIME_LEN + 1];
	size_t	 i;

	/* The AWS General Reference's example ("Derive a signing key"). */
	sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	    "20150830", "us-east-1", "iam", key);
	for (i = 0; i < sizeof key; i++)
		snprintf(hex + i * 2, 3, "%02x", key[i]);
	ck_assert_str_eq(hex,
	    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

	ck_assert_int_eq(sigv4_format_time(SUITE_TIME, time), 0);
	ck_assert_str_eq(time, "20150830T123600Z");
	ck_assert_int_eq(sigv4_format_time(0, time), 0);
	ck_assert_str_eq(time, "19700101T000000Z");
	ck_assert_int_eq(sigv4_format_time((time_t)253402300800LL, time), -1);
}
END_TEST

/*
 * The AWS General Reference's complete example: IAM ListUsers, a query API
 * GET.  Checked with botocore 1.43 too.
 */
START_TEST(test_iam_example)
{
	static const struct sigv4_header h[] = {
		{ "Host", "iam.amazonaws.com" },
		{ "Content-Type", "application/x-www-form-urlencoded; "
		  "charset=utf-8" },
	};
	struct sigv4_request		 req = {
		.method = "GET", .path = "/",
		.query = "Action=ListUsers&Version=2010-05-08",
		.headers = h, .nheaders = nitems(h),
	};
	struct sigv4_credentials	 creds = {
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	};
	struct sigv4_params		 params = {
		.region = "us-east-1", .service = "iam", .now = SUITE_TIME,
	};
	struct sigv4_out_header		*add;
	size_t				 nadd;
	char				*creq, *sts, *cause = NULL;

	creq = sigv4_canonical_request(SIGV4_HEADER, &req, &creds, &params,
	    &cause);
	ck_assert_ptr_nonnull(creq);
	ck_assert_str_eq(creq, "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
	    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	    "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	    "content-type;host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sts = sigv4_string_to_sign(&params, creq, &cause);
	ck_assert_str_eq(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
	    "20150830/us-east-1/iam/aws4_request\n"
	    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	free(sts);
	free(creq);

	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_int_eq(nadd, 2);
	ck_assert_str_eq(add[0].name, "X-Amz-Date");
	ck_assert_str_eq(add[0].value, "20150830T123600Z");
	ck_assert_str_eq(add[1].name, "Authorization");
	ck_assert_str_eq(add[1].value, "AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, "
	    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5"
	    "924a6f2b5d7");
	sigv4_headers_free(add, nadd);
}
END_TEST

/*
 * The Amazon S3 API Reference's examples: GET Object with a Range header
 * (virtual-host style), and the same object presigned for a day.  A
 * path-style GET of an awkward key; all three checked with botocore 1.43.
 */
START_TEST(test_s3)
{
	static const struct sigv4_header h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
	};
	static const struct sigv4_header hp[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
	};
	static const struct sigv4_header ho[] = {
		{ "Host", "s3.amazonaws.com" },
	};
	struct sigv4_request		 req = {
		.method = "GET", .path = "/test.txt",
		.headers = h, .nheaders = nitems(h),
	};
	struct sigv4_credentials	 creds = {
		.access_key_id = "AKIAIOSFODNN7EXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	};
	struct sigv4_params		 params = {
		.region = "us-east-1", .service = "s3",
		.now = 1369353600,	/* 2013-05-24T00:00:00Z */
		.flags = SIGV4_S3,
	};
	struct sigv4_out_header		*add;
	size_t				 nadd;
	char				*q, *cause = NULL;

	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_int_eq(nadd, 3);
	ck_assert_str_eq(add[0].name, "X-Amz-Date");
	ck_assert_str_eq(add[0].value, "20130524T000000Z");
	ck_assert_str_eq(add[1].name, "x-amz-content-sha256");
	ck_assert_str_eq(add[1].value,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(add[2].value, "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
	    "aws4_request, "
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c"
	    "6036bdb41");
	sigv4_headers_free(add, nadd);

	req.headers = hp;
	req.nheaders = nitems(hp);
	req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	params.expires = 86400;
	q = sigv4_presign_query(&req, &creds, &params, &cause);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
	    "%2Faws4_request&X-Amz-Date=20130524T000000Z&"
	    "X-Amz-SignedHeaders=host&X-Amz-Expires=86400&"
	    "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c26595"
	    "7d157751f604d404");
	free(q);

	req.headers = ho;
	req.nheaders = nitems(ho);
	req.payload_hash = NULL;
	req.path = "/examplebucket/my%20photo%2B1/%E1%88%B4.jpg";
	req.query = "versionId=abc%2Bd";
	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_str_eq(add[2].value, "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
	    "aws4_request, "
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	    "Signature=5390c78b7d50166c2181185ad3d081de66f68f73ce4606a1b1fec26"
	    "6c6ed4738");
	sigv4_headers_free(add, nadd);
}
END_TEST

/*
 * An SQS JSON 1.0 ReceiveMessage with temporary credentials: the body is
 * hashed, the token signed.  Checked with botocore 1.43.
 */
START_TEST(test_sqs_json_token)
{
	static const char body[] = "{\"QueueUrl\":\"https://sqs.eu-west-1."
	    "amazonaws.com/123456789012/q\",\"MaxNumberOfMessages\":10}";
	static const struct sigv4_header h[] = {
		{ "Host", "sqs.eu-west-1.amazonaws.com" },
		{ "Content-Type", "application/x-amz-json-1.0" },
		{ "X-Amz-Target", "AmazonSQS.ReceiveMessage" },
		{ "User-Agent", "vigil" },
	};
	struct sigv4_request		 req = {
		.method = "POST", .path = "/", .headers = h,
		.nheaders = nitems(h), .payload = body,
		.payload_len = sizeof body - 1,
	};
	struct sigv4_credentials	 creds = {
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.session_token = "FwoGZXIvYXdzEXAMPLETOKEN/+=",
	};
	struct sigv4_params		 params = {
		.region = "eu-west-1", .service = "sqs", .now = 1369353600,
	};
	struct sigv4_out_header		*add;
	size_t				 nadd;
	char				*cause = NULL;

	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_int_eq(nadd, 3);
	ck_assert_str_eq(add[0].name, "X-Amz-Security-Token");
	ck_assert_str_eq(add[0].value, "FwoGZXIvYXdzEXAMPLETOKEN/+=");
	ck_assert_str_eq(add[1].name, "X-Amz-Date");
	ck_assert_str_eq(add[2].value, "AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20130524/eu-west-1/sqs/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;"
	    "x-amz-target, Signature=c8bfd5d76f776eb4c2023b4db20f21a13d0d7527"
	    "1135c49f4df8a2035bf31675");
	sigv4_headers_free(add, nadd);

	/* Unsigned, the token is still sent, but not in SignedHeaders. */
	params.flags = SIGV4_UNSIGNED_TOKEN;
	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_int_eq(nadd, 3);
	ck_assert_str_eq(add[0].name, "X-Amz-Security-Token");
	ck_assert_ptr_nonnull(strstr(add[2].value,
	    "SignedHeaders=content-type;host;x-amz-date;x-amz-target,"));
	sigv4_headers_free(add, nadd);
}
END_TEST

START_TEST(test_errors)
{
	static const struct sigv4_header ok[] = {
		{ "Host", "example.amazonaws.com" },
	};
	static const struct sigv4_header nohost[] = {
		{ "X-Amz-Target", "x" },
	};
	static const struct sigv4_header authz[] = {
		{ "Host", "example.amazonaws.com" },
		{ "authorization", "AWS4-HMAC-SHA256 ..." },
	};
	static const struct sigv4_header olddate[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123559Z" },
	};
	static const struct sigv4_header samedate[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", " 20150830T123600Z " },
	};
	static const struct sigv4_header token[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Security-Token", "other" },
	};
	static const struct sigv4_header sha[] = {
		{ "Host", "example.amazonaws.com" },
		{ "x-amz-content-sha256", "UNSIGNED-PAYLOAD" },
	};
	struct sigv4_request		 req = {
		.method = "GET", .path = "/", .headers = ok, .nheaders = 1,
	};
	struct sigv4_credentials	 creds = {
		.access_key_id = SUITE_AKID,
		.secret_access_key = SUITE_SECRET,
	};
	struct sigv4_params		 params = {
		.region = SUITE_REGION, .service = SUITE_SERVICE,
		.now = SUITE_TIME,
	};
	struct sigv4_out_header		*add;
	size_t				 nadd;
	char				*s, *cause = NULL;

#define SIGN_FAILS(what) do {						\
	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,\
	    &nadd, &cause), -1);					\
	ck_assert_msg(strstr(cause, what) != NULL, "cause '%s'", cause);\
	ck_assert_ptr_null(add);					\
	free(cause);							\
	cause = NULL;							\
} while (0)

	req.headers = nohost;
	SIGN_FAILS("no Host header");
	req.headers = authz;
	req.nheaders = 2;
	SIGN_FAILS("already has an Authorization");
	req.headers = olddate;
	SIGN_FAILS("does not match the signing time");
	req.headers = token;
	creds.session_token = "mine";
	SIGN_FAILS("does not match the signing session token");
	creds.session_token = NULL;
	req.headers = sha;
	req.payload_hash =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	SIGN_FAILS("does not match the signing payload hash");
	req.payload_hash = "not a hash";
	SIGN_FAILS("bad payload hash");
	req.payload_hash = NULL;
	req.headers = ok;
	req.nheaders = 1;
	req.path = "example";
	SIGN_FAILS("does not start with '/'");
	req.path = "/";
	req.method = "GE T";
	SIGN_FAILS("request method");
	req.method = "GET";
	params.region = "us-east-1/x";
	SIGN_FAILS("bad region");
	params.region = SUITE_REGION;
	params.service = NULL;
	SIGN_FAILS("bad service");
	params.service = SUITE_SERVICE;
	creds.access_key_id = "AKID EXAMPLE";
	SIGN_FAILS("access key id");
	creds.access_key_id = SUITE_AKID;
	creds.secret_access_key = "";
	SIGN_FAILS("secret");
	creds.secret_access_key = SUITE_SECRET;
	req.payload_len = 3;
	SIGN_FAILS("payload length");
	req.payload_len = 0;
	params.now = (time_t)253402300800LL;	/* year 10000 */
	SIGN_FAILS("out of range");
	params.now = SUITE_TIME;
#undef SIGN_FAILS

	/* A date the caller set already is kept, and not added again. */
	req.headers = samedate;
	req.nheaders = 2;
	ck_assert_int_eq(sigv4_sign_headers(&req, &creds, &params, &add,
	    &nadd, &cause), 0);
	ck_assert_int_eq(nadd, 1);
	ck_assert_str_eq(add[0].name, "Authorization");
	sigv4_headers_free(add, nadd);
	/* So is a payload hash in x-amz-content-sha256, for S3. */
	req.headers = sha;
	params.flags = SIGV4_S3;
	s = sigv4_canonical_request(SIGV4_HEADER, &req, &creds, &params,
	    &cause);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\nx-amz-content-sha256:"
	    "UNSIGNED-PAYLOAD\n"));
	ck_assert_str_eq(strrchr(s, '\n'), "\nUNSIGNED-PAYLOAD");
	free(s);
	params.flags = 0;

	/* Presigning. */
	req.headers = ok;
	req.nheaders = 1;
	params.expires = 0;
	ck_assert_ptr_null(sigv4_presign_query(&req, &creds, &params, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "expiry 0 seconds"));
	free(cause);
	params.expires = SIGV4_EXPIRES_MAX + 1;
	ck_assert_ptr_null(sigv4_presign_query(&req, &creds, &params, &cause));
	free(cause);
	params.expires = 60;
	req.query = "a=1&x-amz-signature=abc";
	ck_assert_ptr_null(sigv4_presign_query(&req, &creds, &params, &cause));
	ck_assert_str_eq(cause, "query already has X-Amz-Signature");
	free(cause);
	req.query = "";
	s = sigv4_presign_query(&req, &creds, &params, &cause);
	ck_assert_ptr_nonnull(s);
	ck_assert(strncmp(s, "X-Amz-Algorithm=", 16) == 0);
	free(s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("aws_sigv4");
	TCase	*tc = tcase_create("aws_sigv4");

	/* Output from the forked tests goes to the log in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcase_add_test(tc, test_uri_encode);
	tcase_add_test(tc, test_normalize_path);
	tcase_add_test(tc, test_canonical_uri);
	tcase_add_test(tc, test_canonical_query);
	tcase_add_test(tc, test_canonical_headers);
	tcase_add_test(tc, test_signing_key);
	tcase_add_test(tc, test_iam_example);
	tcase_add_test(tc, test_s3);
	tcase_add_test(tc, test_sqs_json_token);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_bundled);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return test_run(s);
}
