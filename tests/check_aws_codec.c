/*
 * check_aws_codec.c: the model-driven AWS codec (aws-model.c, aws-codec.c,
 * aws-protocol-*.c, aws-paginate.c) and the model calls of aws.c.
 *
 * - The trimmed models load, hold every operation vigil calls, and merge
 *   traits as botocore does.
 * - botocore's own response-parsing cases (an XML answer and the JSON
 *   botocore parses from it) match exactly: the copies bundled in
 *   tests/data/aws-codec/response-parsing always, the whole folder of the
 *   shared corpus when it is there.
 * - Bundled cases checked against what botocore answered when they were
 *   written (decode/, serialise/, paginate/: NAME.case and NAME.expected,
 *   from tests/lib/botocore-oracle.py expect).
 * - botocore itself as the oracle, run with $MOTO_PYTHON: over every raw
 *   answer of the shared corpus (testdata/aws-api, mapped to services and
 *   operations by tests/data/aws-codec/corpus-map.tsv), timestamps as the
 *   CLI prints them by default and in ISO 8601; and over the bundled
 *   cases, so that stale expectations show.
 * - Pagination across pages against a loopback fake server (a fake, not
 *   AWS: it serves recorded-style pages), errors through aws_op_call, and
 *   hostile XML refused.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <dirent.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "check_vigil.h"
#include "aws-codec.h"
#include "aws-model.h"
#include "aws-protocol.h"
#include "aws.h"
#include "http.h"

#define CODEC_DIR	TEST_SRCDIR "/tests/data/aws-codec"
#define PROD_MODELS	TEST_SRCDIR "/data/aws"
#define TEST_MODELS	CODEC_DIR "/models"
#define ORACLE		TEST_SRCDIR "/tests/lib/botocore-oracle.py"
#define MAX_BODY	(64 << 20)

static struct aws_models	*models;	/* the test models */

static void
setup(void)
{
	models = aws_models_new(TEST_MODELS);
}

static void
teardown(void)
{
	aws_models_free(models);
}

static const struct aws_op *
op_get(struct aws_models *ms, const char *service, const char *name)
{
	const struct aws_op	*op;
	char			*cause = NULL;

	op = aws_models_op(ms, service, name, &cause);
	if (op == NULL)
		ck_abort_msg("%s %s: %s", service, name, cause);
	return op;
}

static char *
slurp(const char *path, size_t *len)
{
	char	*buf, *cause = NULL;

	if ((buf = read_file(path, MAX_BODY, len, &cause)) == NULL)
		ck_abort_msg("%s", cause);
	return buf;
}

static json_t *
load_json(const char *path)
{
	json_error_t	 jerr;
	json_t		*v;

	if ((v = json_load_file(path, JSON_DECODE_ANY, &jerr)) == NULL)
		ck_abort_msg("%s:%d: %s", path, jerr.line, jerr.text);
	return v;
}

static const char *
corpus_dir(void)
{
	static char	 dir[4096];
	const char	*shared = getenv("VIGIL_SHARED");
	struct stat	 sb;

	if (shared == NULL || *shared == '\0')
		return NULL;
	snprintf(dir, sizeof dir, "%s/testdata/aws-api", shared);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return dir;
}

/* The Python with botocore and the AWS CLI, or NULL. */
static const char *
oracle_python(void)
{
	const char	*p = getenv("MOTO_PYTHON");

	return p != NULL && *p != '\0' ? p : NULL;
}

/*
 * Are two documents the same, members in the same order?  Numbers must be
 * of the same kind (an integer is not a real); where is the first
 * difference.
 */
static bool
same(json_t *a, json_t *b, char *where, size_t size, const char *path)
{
	const char	*ka, *kb;
	json_t		*va, *vb;
	void		*ia, *ib;
	char		 sub[512];
	size_t		 i;

	if (json_typeof(a) != json_typeof(b)) {
		snprintf(where, size, "%s: types differ", path);
		return false;
	}
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		ia = json_object_iter(a);
		ib = json_object_iter(b);
		while (ia != NULL && ib != NULL) {
			ka = json_object_iter_key(ia);
			kb = json_object_iter_key(ib);
			if (strcmp(ka, kb) != 0) {
				snprintf(where, size, "%s: member %s where "
				    "%s expected", path, ka, kb);
				return false;
			}
			snprintf(sub, sizeof sub, "%s.%s", path, ka);
			va = json_object_iter_value(ia);
			vb = json_object_iter_value(ib);
			if (!same(va, vb, where, size, sub))
				return false;
			ia = json_object_iter_next(a, ia);
			ib = json_object_iter_next(b, ib);
		}
		if (ia != NULL || ib != NULL) {
			snprintf(where, size, "%s: member %s %s", path,
			    json_object_iter_key(ia != NULL ? ia : ib),
			    ia != NULL ? "extra" : "missing");
			return false;
		}
		return true;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b)) {
			snprintf(where, size, "%s: %zu items, %zu expected",
			    path, json_array_size(a), json_array_size(b));
			return false;
		}
		for (i = 0; i < json_array_size(a); i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			if (!same(json_array_get(a, i), json_array_get(b, i),
			    where, size, sub))
				return false;
		}
		return true;
	default:
		if (!json_equal(a, b)) {
			char	*sa = json_dumps(a, JSON_ENCODE_ANY);
			char	*sb = json_dumps(b, JSON_ENCODE_ANY);

			snprintf(where, size, "%s: %.200s, %.200s expected",
			    path, sa, sb);
			free(sa);
			free(sb);
			return false;
		}
		return true;
	}
}

/* Headers of a case ({"name": "value"}), for an answer. */
static struct http_header *
case_headers(json_t *obj, size_t *n)
{
	struct http_header	*h;
	const char		*k;
	json_t			*v;

	*n = 0;
	h = xcalloc(json_object_size(obj) + 1, sizeof *h);
	json_object_foreach(obj, k, v) {
		h[*n].name = xstrdup(k);
		h[*n].value = xstrdup(json_string_value(v));
		(*n)++;
	}
	return h;
}

static void
headers_free(struct http_header *h, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

/*
 * Decode bytes, the result in the oracle's form: {"doc"}, {"error",
 * "request_id"} or {"exception"}.
 */
static json_t *
decode_result(const char *service, const char *operation, long status,
    json_t *headers, const char *body, size_t len, int flags)
{
	const struct aws_op	*op;
	struct aws_answer	 a;
	struct aws_error	 e;
	struct http_header	*h;
	json_t			*doc, *out, *err;
	char			*cause = NULL;
	size_t			 nh;
	int			 rc;

	op = op_get(models, service, operation);
	h = case_headers(headers, &nh);
	a.status = status;
	a.headers = h;
	a.nheaders = nh;
	a.body = body;
	a.len = len;
	rc = aws_codec_decode(op, &a, flags, &doc, &e, &cause);
	headers_free(h, nh);
	if (rc == 0)
		return json_pack("{so}", "doc", doc);
	if (rc == -1) {
		out = json_pack("{ss}", "exception", cause);
		free(cause);
		return out;
	}
	err = json_object();
	json_object_set_new(err, "Code", json_string(e.code));
	if (e.message != NULL)
		json_object_set_new(err, "Message", json_string(e.message));
	if (e.type != NULL)
		json_object_set_new(err, "Type", json_string(e.type));
	out = json_pack("{so}", "error", err);
	if (e.request_id != NULL)
		json_object_set_new(out, "request_id",
		    json_string(e.request_id));
	aws_error_clear(&e);
	return out;
}

/*
 * Does our result match botocore's?  Documents must be the same; errors
 * must have the same code and message (where botocore finds no code, ours
 * is the HTTP status) and request id; where botocore raises, we must
 * refuse too.
 */
static bool
result_matches(json_t *mine, json_t *want, long status, char *why,
    size_t size)
{
	json_t		*me, *we;
	const char	*mc, *wc, *mm, *wm, *mr, *wr;
	char		 st[32];

	if ((we = json_object_get(want, "doc")) != NULL) {
		if ((me = json_object_get(mine, "doc")) == NULL) {
			snprintf(why, size, "botocore decodes it, we do not: "
			    "%s", json_string_value(json_object_get(mine,
			    "exception")) != NULL ? json_string_value(
			    json_object_get(mine, "exception")) : "an error");
			return false;
		}
		return same(me, we, why, size, "");
	}
	if ((we = json_object_get(want, "error")) != NULL) {
		if ((me = json_object_get(mine, "error")) == NULL) {
			snprintf(why, size, "botocore sees an AWS error, we "
			    "do not");
			return false;
		}
		mc = json_string_value(json_object_get(me, "Code"));
		wc = json_string_value(json_object_get(we, "Code"));
		snprintf(st, sizeof st, "%ld", status);
		if (wc == NULL || *wc == '\0')
			wc = st;
		if (mc == NULL || strcmp(mc, wc) != 0) {
			snprintf(why, size, "code %s, %s expected", mc, wc);
			return false;
		}
		mm = json_string_value(json_object_get(me, "Message"));
		wm = json_string_value(json_object_get(we, "Message"));
		if (strcmp(mm != NULL ? mm : "", wm != NULL ? wm : "") != 0) {
			snprintf(why, size, "message \"%s\", \"%s\" expected",
			    mm, wm);
			return false;
		}
		mr = json_string_value(json_object_get(mine, "request_id"));
		wr = json_string_value(json_object_get(want, "request_id"));
		if (wr != NULL && (mr == NULL || strcmp(mr, wr) != 0)) {
			snprintf(why, size, "request id %s, %s expected", mr,
			    wr);
			return false;
		}
		return true;
	}
	if (json_object_get(mine, "exception") != NULL)
		return true;
	/*
	 * An error answer botocore cannot parse (it raises) is for us an
	 * error with the status as its code: the caller learns it failed.
	 */
	snprintf(st, sizeof st, "%ld", status);
	mc = json_string_value(json_object_get(json_object_get(mine, "error"),
	    "Code"));
	if (status >= 300 && mc != NULL && strcmp(mc, st) == 0)
		return true;
	snprintf(why, size, "botocore refuses it (%s), we do not",
	    json_string_value(json_object_get(want, "exception")));
	return false;
}

/*
 * Run the oracle over cases (JSON objects with "id"); the answers by id.
 * NULL if there is no oracle.
 */
static json_t *
oracle_run(const char *cmd, json_t *cases)
{
	const char	*py = oracle_python();
	char		*dir, *in, *out, *sh, *line, *buf;
	json_t		*c, *answers, *a;
	FILE		*f;
	size_t		 i, len;
	int		 rc;

	if (py == NULL)
		return NULL;
	dir = test_tmpdir();
	in = xprintf("%s/cases.jsonl", dir);
	out = xprintf("%s/answers.jsonl", dir);
	f = fopen(in, "w");
	ck_assert_ptr_nonnull(f);
	json_array_foreach(cases, i, c) {
		line = json_dumps(c, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(f, "%s\n", line);
		free(line);
	}
	ck_assert_int_eq(fclose(f), 0);
	sh = xprintf("'%s' '%s' %s < '%s' > '%s'", py, ORACLE, cmd, in, out);
	rc = system(sh);
	if (rc != 0)
		ck_abort_msg("the oracle failed (%d): %s", rc, sh);
	free(sh);
	buf = slurp(out, &len);
	answers = json_object();
	for (line = strtok(buf, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		json_error_t	 jerr;
		char		 id[32];

		if ((a = json_loads(line, 0, &jerr)) == NULL)
			ck_abort_msg("oracle output: %s: %.200s", jerr.text,
			    line);
		snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(a, "id")));
		json_object_del(a, "id");
		json_object_set_new(answers, id, a);
	}
	free(buf);
	test_rmrf(dir);
	free(dir);
	free(in);
	free(out);
	return answers;
}

/*
 * Models.
 */
/* The operations of every model file in a directory. */
static size_t
model_ops_total(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	json_t		*m;
	char		*path;
	size_t		 n = 0, len;

	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		path = xprintf("%s/%s", dir, e->d_name);
		m = json_load_file(path, 0, NULL);
		ck_assert_msg(m != NULL, "%s: not JSON", path);
		n += json_object_size(json_object_get(m, "operations"));
		json_decref(m);
		free(path);
	}
	closedir(d);
	return n;
}

START_TEST(test_models_production)
{
	struct aws_models	*prod;
	const struct aws_op	*op;
	FILE			*f;
	char			 line[4096], *w, *service = NULL, *save;
	size_t			 nops = 0;

	prod = aws_models_new(PROD_MODELS);
	f = fopen(PROD_MODELS "/operations.txt", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strchr(line, '#') != NULL)
			*strchr(line, '#') = '\0';
		w = strtok_r(line, " \t\n", &save);
		if (w == NULL)
			continue;
		if (line[0] != ' ' && line[0] != '\t') {
			free(service);
			service = xstrdup(w);
			w = strtok_r(NULL, " \t\n", &save);
		}
		for (; w != NULL; w = strtok_r(NULL, " \t\n", &save)) {
			op = op_get(prod, service, w);
			ck_assert_str_eq(op->name, w);
			nops++;
		}
	}
	fclose(f);
	free(service);
	printf("production models: %zu operations\n", nops);
	/* And the models hold nothing more: data/aws is trimmed to the list. */
	ck_assert_uint_eq(nops, model_ops_total(PROD_MODELS));
	ck_assert_uint_gt(nops, 0);
	aws_models_free(prod);
}
END_TEST

START_TEST(test_models_traits)
{
	const struct aws_model	*m;
	const struct aws_op	*op;
	const struct aws_member	*mb;
	const struct aws_shape	*s;
	char			*cause = NULL;

	op = op_get(models, "ec2", "DescribeInstances");
	ck_assert_int_eq(op->model->protocol, AWS_PROTO_EC2);
	mb = aws_shape_member(op->output.shape, "Reservations");
	ck_assert_str_eq(mb->ref.name, "reservationSet");
	ck_assert_str_eq(mb->ref.shape->member.name, "item");
	ck_assert_ptr_nonnull(op->paginator);
	ck_assert_str_eq(op->paginator->input_token[0], "NextToken");

	op = op_get(models, "s3", "GetBucketAcl");
	ck_assert_str_eq(op->method, "GET");
	ck_assert_str_eq(op->request_uri, "/{Bucket}?acl");
	mb = aws_shape_member(op->output.shape, "Grants");
	ck_assert_str_eq(mb->ref.name, "AccessControlList");
	s = mb->ref.shape->member.shape;
	mb = aws_shape_member(aws_shape_member(s, "Grantee")->ref.shape,
	    "Type");
	ck_assert(mb->ref.xml_attribute);
	ck_assert_str_eq(mb->ref.name, "xsi:type");
	op = op_get(models, "s3", "GetBucketPolicy");
	ck_assert_str_eq(op->output.shape->payload->name, "Policy");
	op = op_get(models, "s3", "ListBuckets");
	ck_assert_uint_eq(op->paginator->nnon_aggregate_keys, 2);

	op = op_get(models, "iam", "ListUsers");
	ck_assert_str_eq(op->output.result_wrapper, "ListUsersResult");
	ck_assert_str_eq(aws_expr_text(op->paginator->more_results),
	    "IsTruncated");
	ck_assert(op->model->svc.global);
	ck_assert_str_eq(op->model->svc.prefix, "iam");

	op = op_get(models, "s3control", "GetPublicAccessBlock");
	ck_assert_str_eq(op->host_prefix, "{AccountId}.");
	ck_assert_str_eq(op->model->svc.signing_name, "s3");
	ck_assert(aws_shape_member(op->input.shape, "AccountId")->ref.
	    host_label);

	m = aws_models_get(models, "sqs", &cause);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->query_compatible);
	ck_assert_int_eq(m->protocol, AWS_PROTO_JSON);
	ck_assert_str_eq(m->target_prefix, "AmazonSQS");
	ck_assert_str_eq(m->svc.id, "SQS");
	ck_assert_ptr_null(aws_model_op(m, "NoSuchOperation"));
	ck_assert_ptr_nonnull(aws_model_shape(m, "QueueAttributeMap"));
}
END_TEST

START_TEST(test_models_errors)
{
	struct aws_models	*ms;
	char			*dir, *path, *cause = NULL;
	static const char *const bad[] = {
		"{",
		"{\"metadata\": {}, \"operations\": {}, \"shapes\": {}}",
		"{\"metadata\": {\"protocol\": \"smithy-rpc-v2-cbor\"}, "
		"\"operations\": {}, \"shapes\": {}}",
		"{\"metadata\": {\"protocol\": \"query\", \"apiVersion\": "
		"\"1\", \"serviceId\": \"X\", \"endpointPrefix\": \"x\"}, "
		"\"operations\": {\"Op\": {\"input\": {\"shape\": \"Nope\"}}}, "
		"\"shapes\": {}}",
		"{\"metadata\": {\"protocol\": \"query\", \"apiVersion\": "
		"\"1\", \"serviceId\": \"X\", \"endpointPrefix\": \"x\"}, "
		"\"operations\": {}, \"shapes\": {\"S\": {\"type\": "
		"\"bigdecimal\"}}}",
	};
	size_t			 i;

	ms = aws_models_new(TEST_SRCDIR "/nowhere");
	ck_assert_ptr_null(aws_models_get(ms, "ec2", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "nowhere/ec2.json"));
	free(cause);
	cause = NULL;
	ck_assert_ptr_null(aws_models_get(ms, "../etc/passwd", &cause));
	free(cause);
	aws_models_free(ms);

	dir = test_tmpdir();
	path = xprintf("%s/x.json", dir);
	for (i = 0; i < nitems(bad); i++) {
		test_write(path, bad[i]);
		ms = aws_models_new(dir);
		cause = NULL;
		ck_assert_ptr_null(aws_models_get(ms, "x", &cause));
		ck_assert_ptr_nonnull(cause);
		free(cause);
		aws_models_free(ms);
	}
	free(path);
	test_rmrf(dir);
	free(dir);
	ms = aws_models_new(NULL);
	ck_assert_str_eq(aws_models_dir(ms), VIGIL_AWSMODELDIR);
	aws_models_free(ms);
}
END_TEST

/*
 * botocore's response-parsing cases: X.xml and the JSON botocore parses
 * from it, X.json (with ResponseMetadata, left out here).  Its harness
 * skips three whose expected JSON predates a handler the CLI applies (IAM
 * policy documents, GetBucketLocation): the oracle checks those.
 */
static const struct {
	const char	*name;
	const char	*why;
} rp_special[] = {
	{ "iam-get-user-policy.xml", "IAM policy documents: the CLI "
	  "decodes them (botocore's handler)" },
	{ "iam-list-roles.xml", "IAM policy documents: the CLI decodes them "
	  "(botocore's handler)" },
	{ "s3-get-bucket-location.xml", "botocore's handler reads it, not "
	  "its parser" },
	{ "iam-create-virtual-mfa-device.xml", "blobs: the harness decodes "
	  "them, the CLI prints them base64" },
};

static json_t	*corpus_map;

static json_t *
map_load(void)
{
	json_t	*map = json_object(), *row;
	char	*buf, *line, *save, *f[6];
	size_t	 len, i;

	buf = slurp(CODEC_DIR "/corpus-map.tsv", &len);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		f[0] = line;
		for (i = 1; i < 6; i++) {
			f[i] = strchr(f[i - 1], '\t');
			ck_assert_ptr_nonnull(f[i]);
			*f[i]++ = '\0';
		}
		row = json_pack("{ss ss ss si ss}", "kind", f[1], "service",
		    f[2], "operation", f[3], "status", atoi(f[4]), "note",
		    f[5]);
		json_object_set_new(map, f[0], row);
	}
	free(buf);
	return map;
}

static void
run_response_parsing(const char *dir, const char *label)
{
	json_t		*want, *mine, *row;
	char		**files, *body, *jpath, *key, why[1024];
	size_t		 n, i, j, len, ok = 0, special = 0, failed = 0;
	const char	*name;

	if (corpus_map == NULL)
		corpus_map = map_load();
	files = dir_files(dir, 0, &n);
	for (i = 0; i < n; i++) {
		name = strrchr(files[i], '/') + 1;
		len = strlen(files[i]);
		if (len < 4 || strcmp(files[i] + len - 4, ".xml") != 0)
			continue;
		for (j = 0; j < nitems(rp_special); j++) {
			if (strcmp(name, rp_special[j].name) == 0)
				break;
		}
		if (j < nitems(rp_special)) {
			printf("%s: %s: left to the oracle: %s\n", label, name,
			    rp_special[j].why);
			special++;
			continue;
		}
		key = xprintf("botocore-response-parsing/%s", name);
		row = json_object_get(corpus_map, key);
		free(key);
		ck_assert_msg(row != NULL, "%s: not in corpus-map.tsv", name);
		jpath = xprintf("%.*s.json", (int)(len - 4), files[i]);
		want = load_json(jpath);
		free(jpath);
		json_object_del(want, "ResponseMetadata");
		body = slurp(files[i], &len);
		mine = decode_result(json_string_value(json_object_get(row,
		    "service")), json_string_value(json_object_get(row,
		    "operation")), 200, NULL, body, len, 0);
		free(body);
		if (json_object_get(mine, "doc") != NULL &&
		    same(json_object_get(mine, "doc"), want, why, sizeof why,
		    "")) {
			/* botocore's expected files are unordered dicts */
			ok++;
		} else if (json_object_get(mine, "doc") != NULL &&
		    json_equal(json_object_get(mine, "doc"), want))
			ok++;
		else {
			failed++;
			printf("%s: %s: %s\n", label, name,
			    json_object_get(mine, "doc") != NULL ? why :
			    "not decoded");
		}
		json_decref(want);
		json_decref(mine);
	}
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	printf("%s: %zu cases matched exactly, %zu failed, %zu left to the "
	    "oracle\n", label, ok, failed, special);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_gt(ok, 0);
}

START_TEST(test_response_parsing_bundled)
{
	run_response_parsing(CODEC_DIR "/response-parsing",
	    "response-parsing (bundled)");
}
END_TEST

START_TEST(test_response_parsing_corpus)
{
	const char	*corpus = corpus_dir();
	char		*dir;

	if (corpus == NULL) {
		printf("response-parsing (corpus): the shared corpus is "
		    "absent ($VIGIL_SHARED/testdata/aws-api): not run\n");
		return;
	}
	dir = xprintf("%s/botocore-response-parsing", corpus);
	run_response_parsing(dir, "response-parsing (corpus)");
	free(dir);
}
END_TEST

/*
 * Bundled decode cases: NAME.case ({"service", "operation", "status",
 * "headers", "body": file}), NAME.expected and NAME.iso8601.expected.
 */
static json_t *
cases_load(const char *dir)
{
	json_t	*cases = json_array(), *c;
	char	**files;
	size_t	 n, i, len;

	files = dir_files(dir, 0, &n);
	for (i = 0; i < n; i++) {
		len = strlen(files[i]);
		if (len > 5 && strcmp(files[i] + len - 5, ".case") == 0) {
			c = load_json(files[i]);
			json_object_set_new(c, "path", json_stringn(files[i],
			    len - 5));
			json_array_append_new(cases, c);
		}
		free(files[i]);
	}
	free(files);
	return cases;
}

static json_t *
decode_case(json_t *c, int flags)
{
	json_t	*r;
	char	*path, *body, *dir;
	size_t	 len;

	dir = xstrdup(json_string_value(json_object_get(c, "path")));
	*strrchr(dir, '/') = '\0';
	path = xprintf("%s/%s", dir, json_string_value(json_object_get(c,
	    "body")));
	body = slurp(path, &len);
	r = decode_result(json_string_value(json_object_get(c, "service")),
	    json_string_value(json_object_get(c, "operation")),
	    (long)json_integer_value(json_object_get(c, "status")),
	    json_object_get(c, "headers"), body, len, flags);
	free(body);
	free(path);
	free(dir);
	return r;
}

START_TEST(test_decode_bundled)
{
	json_t		*cases, *c, *want, *mine;
	const char	*base;
	char		*path, why[1024];
	size_t		 i, ok = 0, failed = 0;
	int		 mode;

	cases = cases_load(CODEC_DIR "/decode");
	json_array_foreach(cases, i, c) {
		base = json_string_value(json_object_get(c, "path"));
		for (mode = 0; mode < 2; mode++) {
			path = xprintf("%s%s", base, mode ?
			    ".iso8601.expected" : ".expected");
			want = load_json(path);
			mine = decode_case(c, mode ? AWS_DECODE_ISO8601 : 0);
			if (result_matches(mine, want, (long)json_integer_value(
			    json_object_get(c, "status")), why, sizeof why))
				ok++;
			else {
				failed++;
				printf("%s: %s\n", path, why);
			}
			free(path);
			json_decref(want);
			json_decref(mine);
		}
	}
	printf("decode (bundled): %zu of %zu matched\n", ok, ok + failed);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_gt(ok, 100);
	json_decref(cases);
}
END_TEST

/* The bundled decode cases against botocore as it is now. */
START_TEST(test_decode_oracle_bundled)
{
	json_t		*cases, *c, *q, *answers[2], *want, *mine, *h;
	char		*path, id[32], why[1024];
	size_t		 i, ok = 0, failed = 0;
	int		 mode;

	if (oracle_python() == NULL) {
		printf("decode oracle (bundled): no $MOTO_PYTHON: not run\n");
		return;
	}
	cases = cases_load(CODEC_DIR "/decode");
	q = json_array();
	json_array_foreach(cases, i, c) {
		path = xprintf("%s/decode/%s", CODEC_DIR, json_string_value(
		    json_object_get(c, "body")));
		h = json_object_get(c, "headers");
		json_array_append_new(q, json_pack("{si sO sO sO so ss}", "id",
		    (int)i, "service", json_object_get(c, "service"),
		    "operation", json_object_get(c, "operation"), "status",
		    json_object_get(c, "status"), "headers", h != NULL ?
		    json_incref(h) : json_object(), "body_file", path));
		free(path);
	}
	answers[0] = oracle_run("decode", q);
	answers[1] = oracle_run("decode --iso8601", q);
	json_array_foreach(cases, i, c) {
		snprintf(id, sizeof id, "%zu", i);
		for (mode = 0; mode < 2; mode++) {
			want = json_object_get(answers[mode], id);
			mine = decode_case(c, mode ? AWS_DECODE_ISO8601 : 0);
			ck_assert_ptr_nonnull(want);
			if (result_matches(mine, want, (long)json_integer_value(
			    json_object_get(c, "status")), why, sizeof why))
				ok++;
			else {
				failed++;
				printf("%s (%s): %s\n", json_string_value(
				    json_object_get(c, "path")), mode ?
				    "iso8601" : "wire", why);
			}
			json_decref(mine);
		}
	}
	printf("decode oracle (bundled): %zu of %zu matched botocore\n", ok,
	    ok + failed);
	ck_assert_uint_eq(failed, 0);
	json_decref(answers[0]);
	json_decref(answers[1]);
	json_decref(q);
	json_decref(cases);
}
END_TEST

/* The placebo files hold {"status_code", "data"}: data is the answer. */
static char *
placebo_body(const char *buf, size_t len, size_t *outlen)
{
	json_t	*v;
	char	*s;

	v = json_loadb(buf, len, 0, NULL);
	ck_assert_ptr_nonnull(v);
	s = json_dumps(json_object_get(v, "data"), JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	json_decref(v);
	*outlen = strlen(s);
	return s;
}

struct tally {
	char	 folder[128];
	size_t	 docs;		/* documents the same */
	size_t	 errors;	/* AWS errors the same */
	size_t	 refused;	/* refused by both */
	size_t	 failed;
};
#define MAX_FOLDERS	32

/*
 * botocore as the oracle over every raw answer of the shared corpus.
 */
START_TEST(test_oracle_corpus)
{
	const char	*corpus = corpus_dir(), *rel, *kind, *folder_end;
	const char	*file;
	json_t		*q, *row, *answers[2], *want, *mine, *counts;
	json_t		*skips;
	json_t		*reasons;
	struct tally	 folders[MAX_FOLDERS], *t, total;
	char		*path, *buf, *body, id[32], why[1024];
	size_t		 len, blen, n = 0, nfolders = 0, i, j;
	int		 mode;

	if (corpus == NULL) {
		printf("oracle (corpus): the shared corpus is absent "
		    "($VIGIL_SHARED/testdata/aws-api): not run\n");
		return;
	}
	if (oracle_python() == NULL)
		ck_abort_msg("the corpus is here but $MOTO_PYTHON is not set: "
		    "configure with a Python that has botocore and the AWS "
		    "CLI (pip install awscli)");
	if (corpus_map == NULL)
		corpus_map = map_load();

	/* Every corpus file is in the table. */
	{
		char	**files;
		size_t	  nf;

		files = dir_files(corpus, 8, &nf);
		for (i = 0; i < nf; i++) {
			rel = files[i] + strlen(corpus) + 1;
			ck_assert_msg(json_object_get(corpus_map, rel) != NULL,
			    "%s is not in corpus-map.tsv (botocore-oracle.py "
			    "map)", rel);
			free(files[i]);
		}
		free(files);
		printf("oracle (corpus): %zu files, all mapped\n", nf);
	}

	q = json_array();
	skips = json_object();
	json_object_foreach(corpus_map, rel, row) {
		kind = json_string_value(json_object_get(row, "kind"));
		if (strcmp(kind, "skip") == 0) {
			reasons = json_object_get(skips, json_string_value(
			    json_object_get(row, "note")));
			json_object_set_new(skips, json_string_value(
			    json_object_get(row, "note")), json_integer(
			    json_integer_value(reasons) + 1));
			continue;
		}
		path = xprintf("%s/%s", corpus, rel);
		json_array_append_new(q, json_pack("{sI sO sO sO s{} ss sb}",
		    "id", (json_int_t)n++, "service", json_object_get(row,
		    "service"), "operation", json_object_get(row, "operation"),
		    "status", json_object_get(row, "status"), "headers",
		    "body_file", path, "placebo", strcmp(kind, "placebo") ==
		    0));
		free(path);
	}
	answers[0] = oracle_run("decode", q);
	answers[1] = oracle_run("decode --iso8601", q);

	memset(folders, 0, sizeof folders);
	memset(&total, 0, sizeof total);
	json_array_foreach(q, i, row) {
		file = json_string_value(json_object_get(row, "body_file"));
		rel = file + strlen(corpus) + 1;
		folder_end = strchr(rel, '/');
		for (j = 0; j < nfolders; j++) {
			if (strlen(folders[j].folder) == (size_t)(folder_end -
			    rel) && strncmp(folders[j].folder, rel,
			    (size_t)(folder_end - rel)) == 0)
				break;
		}
		if (j == nfolders) {
			ck_assert_uint_lt(nfolders, MAX_FOLDERS);
			snprintf(folders[nfolders++].folder,
			    sizeof folders[0].folder, "%.*s",
			    (int)(folder_end - rel), rel);
		}
		t = &folders[j];
		buf = slurp(file, &len);
		body = buf;
		blen = len;
		if (json_is_true(json_object_get(row, "placebo")))
			body = placebo_body(buf, len, &blen);
		snprintf(id, sizeof id, "%zu", i);
		for (mode = 0; mode < 2; mode++) {
			want = json_object_get(answers[mode], id);
			ck_assert_ptr_nonnull(want);
			mine = decode_result(json_string_value(json_object_get(
			    row, "service")), json_string_value(
			    json_object_get(row, "operation")),
			    (long)json_integer_value(json_object_get(row,
			    "status")), NULL, body, blen, mode ?
			    AWS_DECODE_ISO8601 : 0);
			if (!result_matches(mine, want,
			    (long)json_integer_value(json_object_get(row,
			    "status")), why, sizeof why)) {
				t->failed++;
				printf("MISMATCH %s (%s): %s\n", rel, mode ?
				    "iso8601" : "wire", why);
			} else if (json_object_get(want, "doc") != NULL)
				t->docs++;
			else if (json_object_get(want, "error") != NULL)
				t->errors++;
			else
				t->refused++;
			json_decref(mine);
		}
		if (body != buf)
			free(body);
		free(buf);
	}
	printf("oracle (corpus), per folder (each answer twice: timestamps "
	    "as on the wire, and in ISO 8601):\n");
	for (j = 0; j < nfolders; j++) {
		t = &folders[j];
		printf("  %-30s %4zu documents identical, %zu errors "
		    "identical, %zu refused by both, %zu mismatches\n",
		    t->folder, t->docs, t->errors, t->refused, t->failed);
		total.docs += t->docs;
		total.errors += t->errors;
		total.refused += t->refused;
		total.failed += t->failed;
	}
	printf("  %-30s %4zu documents identical, %zu errors identical, "
	    "%zu refused by both, %zu mismatches\n", "total", total.docs,
	    total.errors, total.refused, total.failed);
	printf("oracle (corpus): skipped files, by reason:\n");
	json_object_foreach(skips, rel, counts)
		printf("  %4" JSON_INTEGER_FORMAT "  %s\n",
		    json_integer_value(counts), rel);
	ck_assert_uint_eq(total.failed, 0);
	ck_assert_uint_gt(total.docs, 400);
	json_decref(skips);
	json_decref(answers[0]);
	json_decref(answers[1]);
	json_decref(q);
}
END_TEST

/*
 * Serialiser cases: NAME.case ({"service", "operation", "params"}) and
 * botocore's request, NAME.expected.
 */
static json_t *
serialise_result(json_t *c)
{
	const struct aws_op	*op;
	struct aws_request	 req;
	json_t			*out, *h;
	char			*cause = NULL;
	size_t			 i;

	op = op_get(models, json_string_value(json_object_get(c, "service")),
	    json_string_value(json_object_get(c, "operation")));
	if (aws_codec_serialise(op, json_object_get(c, "params"), &req,
	    &cause) != 0) {
		out = json_pack("{ss}", "invalid", cause);
		free(cause);
		return out;
	}
	h = json_object();
	for (i = 0; i < req.nheaders; i++)
		json_object_set_new(h, req.headers[i].name,
		    json_string(req.headers[i].value));
	out = json_pack("{ss ss so so}", "method", req.method, "path",
	    req.path, "headers", h, "body", json_stringn(req.body != NULL ?
	    req.body : "", req.body != NULL ? req.body_len : 0));
	json_object_set_new(out, "host_prefix", req.host_prefix != NULL ?
	    json_string(req.host_prefix) : json_null());
	aws_request_clear(&req);
	return out;
}

static bool
serialise_matches(const struct aws_op *op, json_t *mine, json_t *want,
    char *why, size_t size)
{
	json_t		*mb, *wb, *mh, *wh, *v;
	const char	*k, *mv;
	json_error_t	 jerr;
	bool		 ok;

	if (json_object_get(want, "invalid") != NULL) {
		if (json_object_get(mine, "invalid") != NULL)
			return true;
		snprintf(why, size, "botocore refuses the parameters (%s), we "
		    "do not", json_string_value(json_object_get(want,
		    "invalid")));
		return false;
	}
	if (json_object_get(mine, "invalid") != NULL) {
		snprintf(why, size, "we refuse the parameters: %s",
		    json_string_value(json_object_get(mine, "invalid")));
		return false;
	}
	if (!json_equal(json_object_get(mine, "method"),
	    json_object_get(want, "method")) ||
	    !json_equal(json_object_get(mine, "path"),
	    json_object_get(want, "path")) ||
	    !json_equal(json_object_get(mine, "host_prefix"),
	    json_object_get(want, "host_prefix"))) {
		snprintf(why, size, "%s %s (%s), %s %s (%s) expected",
		    json_string_value(json_object_get(mine, "method")),
		    json_string_value(json_object_get(mine, "path")),
		    json_string_value(json_object_get(mine, "host_prefix")),
		    json_string_value(json_object_get(want, "method")),
		    json_string_value(json_object_get(want, "path")),
		    json_string_value(json_object_get(want, "host_prefix")));
		return false;
	}
	mh = json_object_get(mine, "headers");
	wh = json_object_get(want, "headers");
	if (json_object_size(mh) != json_object_size(wh)) {
		snprintf(why, size, "%zu headers, %zu expected",
		    json_object_size(mh), json_object_size(wh));
		return false;
	}
	json_object_foreach(wh, k, v) {
		mv = json_string_value(json_object_get(mh, k));
		if (mv == NULL || strcmp(mv, json_string_value(v)) != 0) {
			snprintf(why, size, "header %s: %s, %s expected", k, mv,
			    json_string_value(v));
			return false;
		}
	}
	if (op->model->protocol == AWS_PROTO_JSON ||
	    (op->model->protocol == AWS_PROTO_REST_JSON &&
	    json_string_length(json_object_get(want, "body")) > 0 &&
	    json_string_value(json_object_get(want, "body"))[0] == '{')) {
		/* JSON: the same document, members in the same order. */
		mb = json_loads(json_string_value(json_object_get(mine,
		    "body")), 0, &jerr);
		wb = json_loads(json_string_value(json_object_get(want,
		    "body")), 0, &jerr);
		ok = mb != NULL && wb != NULL && same(mb, wb, why, size,
		    "body");
		json_decref(mb);
		json_decref(wb);
		return ok;
	}
	if (!json_equal(json_object_get(mine, "body"),
	    json_object_get(want, "body"))) {
		snprintf(why, size, "body \"%.300s\", \"%.300s\" expected",
		    json_string_value(json_object_get(mine, "body")),
		    json_string_value(json_object_get(want, "body")));
		return false;
	}
	return true;
}

static void
run_serialise(json_t *cases, json_t *answers, const char *label)
{
	const struct aws_op	*op;
	json_t			*c, *want, *mine;
	char			*path, why[1024], id[32];
	size_t			 i, ok = 0, failed = 0;

	json_array_foreach(cases, i, c) {
		if (answers != NULL) {
			snprintf(id, sizeof id, "%zu", i);
			want = json_incref(json_object_get(answers, id));
		} else {
			path = xprintf("%s.expected", json_string_value(
			    json_object_get(c, "path")));
			want = load_json(path);
			free(path);
		}
		op = op_get(models, json_string_value(json_object_get(c,
		    "service")), json_string_value(json_object_get(c,
		    "operation")));
		mine = serialise_result(c);
		if (serialise_matches(op, mine, want, why, sizeof why))
			ok++;
		else {
			failed++;
			printf("%s: %s: %s\n", label, json_string_value(
			    json_object_get(c, "path")), why);
		}
		json_decref(want);
		json_decref(mine);
	}
	printf("%s: %zu of %zu requests as botocore makes them\n", label, ok,
	    ok + failed);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_gt(ok, 20);
}

START_TEST(test_serialise_bundled)
{
	json_t	*cases;

	cases = cases_load(CODEC_DIR "/serialise");
	run_serialise(cases, NULL, "serialise (bundled)");
	json_decref(cases);
}
END_TEST

START_TEST(test_serialise_oracle)
{
	json_t	*cases, *q, *c, *p, *answers;
	size_t	 i;

	if (oracle_python() == NULL) {
		printf("serialise oracle: no $MOTO_PYTHON: not run\n");
		return;
	}
	cases = cases_load(CODEC_DIR "/serialise");
	q = json_array();
	json_array_foreach(cases, i, c) {
		p = json_object_get(c, "params");
		json_array_append_new(q, json_pack("{sI sO sO so}", "id",
		    (json_int_t)i, "service", json_object_get(c, "service"),
		    "operation", json_object_get(c, "operation"), "params",
		    p != NULL ? json_incref(p) : json_object()));
	}
	answers = oracle_run("serialise", q);
	run_serialise(cases, answers, "serialise (botocore now)");
	json_decref(answers);
	json_decref(q);
	json_decref(cases);
}
END_TEST

/*
 * Pagination cases: NAME.case ({"service", "operation", "params",
 * "pages"}): the requests botocore's paginator makes for those pages and
 * its build_full_result.
 */
static void
run_paginate(json_t *c, json_t *want, const char *label)
{
	const struct aws_op	*op;
	struct aws_pages	*pg;
	json_t			*params, *next, *page, *result, *reqs;
	char			*cause = NULL, why[1024];
	size_t			 i;
	int			 rc = 0;

	op = op_get(models, json_string_value(json_object_get(c, "service")),
	    json_string_value(json_object_get(c, "operation")));
	reqs = json_object_get(want, "requests");
	pg = aws_pages_new(op);
	params = json_object_get(c, "params");
	params = params != NULL ? json_incref(params) : json_object();
	json_array_foreach(json_object_get(c, "pages"), i, page) {
		if (!same(params, json_array_get(reqs, i), why, sizeof why,
		    "request"))
			ck_abort_msg("%s: request %zu: %s", label, i, why);
		ck_assert_int_eq(aws_pages_add(pg, page, &cause), 0);
		/* the pure function agrees with the pages' */
		next = aws_paginate_next(op, params, page);
		json_decref(next);
		rc = aws_pages_next(pg, params, page, &next, &cause);
		json_decref(params);
		params = next;
		if (rc != 0 || next == NULL)
			break;
	}
	if (json_object_get(want, "exception") != NULL) {
		ck_assert_msg(rc == -1, "%s: botocore says %s", label,
		    json_string_value(json_object_get(want, "exception")));
		free(cause);
	} else {
		ck_assert_msg(rc == 0 && params == NULL, "%s: %s", label,
		    cause != NULL ? cause : "more pages than botocore asks");
		ck_assert_uint_eq(aws_pages_count(pg), json_array_size(reqs));
		result = aws_pages_result(pg);
		if (!same(result, json_object_get(want, "result"), why,
		    sizeof why, "result"))
			ck_abort_msg("%s: %s", label, why);
		json_decref(result);
	}
	json_decref(params);
	aws_pages_free(pg);
}

START_TEST(test_paginate_bundled)
{
	json_t	*cases, *c, *want, *q, *answers;
	char	*path, id[32];
	size_t	 i;

	cases = cases_load(CODEC_DIR "/paginate");
	json_array_foreach(cases, i, c) {
		path = xprintf("%s.expected", json_string_value(
		    json_object_get(c, "path")));
		want = load_json(path);
		run_paginate(c, want, path);
		free(path);
		json_decref(want);
	}
	printf("paginate (bundled): %zu cases as botocore pages them\n",
	    json_array_size(cases));
	if (oracle_python() != NULL) {
		q = json_array();
		json_array_foreach(cases, i, c) {
			json_t	*qc = json_deep_copy(c);

			json_object_set_new(qc, "id",
			    json_integer((json_int_t)i));
			json_object_del(qc, "path");
			json_array_append_new(q, qc);
		}
		answers = oracle_run("paginate", q);
		json_array_foreach(cases, i, c) {
			snprintf(id, sizeof id, "%zu", i);
			run_paginate(c, json_object_get(answers, id),
			    json_string_value(json_object_get(c, "path")));
		}
		printf("paginate (botocore now): %zu cases\n",
		    json_array_size(cases));
		json_decref(answers);
		json_decref(q);
	}
	ck_assert_uint_gt(json_array_size(cases), 4);
	json_decref(cases);
}
END_TEST

/*
 * A loopback fake of AWS (not AWS: it serves pages written here, in the
 * recorded answers' form) for the calls of aws.c.
 */
struct fake {
	struct event_base	*base;
	struct evhttp		*http;
	int			 port;
	int			 requests;
	char			 last_body[4096];
	char			 last_uri[1024];
	char			 last_target[256];
	char			 last_host[256];
};

static struct fake	 fk;

static const char *const iam_pages[] = {
	"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/"
	"2010-05-08/\"><ListUsersResult><Users><member><UserName>a</UserName>"
	"<UserId>AIDA1</UserId><Arn>arn:aws:iam::123456789012:user/a</Arn>"
	"<Path>/</Path><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
	"</member></Users><IsTruncated>true</IsTruncated><Marker>m1</Marker>"
	"</ListUsersResult></ListUsersResponse>",
	"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/"
	"2010-05-08/\"><ListUsersResult><Users><member><UserName>b</UserName>"
	"<UserId>AIDA2</UserId><Arn>arn:aws:iam::123456789012:user/b</Arn>"
	"<Path>/</Path><CreateDate>2020-01-02T00:00:00Z</CreateDate>"
	"</member><member><UserName>c</UserName><UserId>AIDA3</UserId>"
	"<Arn>arn:aws:iam::123456789012:user/c</Arn><Path>/</Path>"
	"<CreateDate>2020-01-03T00:00:00Z</CreateDate></member></Users>"
	"<IsTruncated>true</IsTruncated><Marker>m2</Marker></ListUsersResult>"
	"</ListUsersResponse>",
	"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/"
	"2010-05-08/\"><ListUsersResult><Users><member><UserName>d</UserName>"
	"<UserId>AIDA4</UserId><Arn>arn:aws:iam::123456789012:user/d</Arn>"
	"<Path>/</Path><CreateDate>2020-01-04T00:00:00Z</CreateDate>"
	"</member></Users><IsTruncated>false</IsTruncated></ListUsersResult>"
	"</ListUsersResponse>",
};

static const char *const kms_pages[] = {
	"{\"Keys\":[{\"KeyId\":\"1\",\"KeyArn\":\"arn:1\"}],"
	"\"NextMarker\":\"k1\",\"Truncated\":true}",
	"{\"Keys\":[{\"KeyId\":\"2\",\"KeyArn\":\"arn:2\"}],"
	"\"NextMarker\":\"k2\",\"Truncated\":true}",
	"{\"Keys\":[{\"KeyId\":\"3\",\"KeyArn\":\"arn:3\"}],"
	"\"Truncated\":false}",
};

static void
fake_reply(struct evhttp_request *req, int status, const char *ctype,
    const char *body)
{
	struct evbuffer	*out = evbuffer_new();

	evbuffer_add(out, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "x-amzn-RequestId", "fake-request");
	evhttp_send_reply(req, status, NULL, out);
	evbuffer_free(out);
}

static void
fake_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char	*target, *host;
	size_t		 len;
	int		 page;

	fk.requests++;
	len = evbuffer_get_length(in);
	if (len >= sizeof fk.last_body)
		len = sizeof fk.last_body - 1;
	evbuffer_copyout(in, fk.last_body, len);
	fk.last_body[len] = '\0';
	snprintf(fk.last_uri, sizeof fk.last_uri, "%s",
	    evhttp_request_get_uri(req));
	target = evhttp_find_header(h, "X-Amz-Target");
	snprintf(fk.last_target, sizeof fk.last_target, "%s",
	    target != NULL ? target : "");
	host = evhttp_find_header(h, "Host");
	snprintf(fk.last_host, sizeof fk.last_host, "%s",
	    host != NULL ? host : "");

	if (strstr(fk.last_body, "Action=ListUsers") != NULL) {
		page = strstr(fk.last_body, "Marker=m2") != NULL ? 2 :
		    strstr(fk.last_body, "Marker=m1") != NULL ? 1 : 0;
		fake_reply(req, 200, "text/xml", iam_pages[page]);
	} else if (strcmp(fk.last_target, "TrentService.ListKeys") == 0) {
		page = strstr(fk.last_body, "\"Marker\":\"k2\"") != NULL ? 2 :
		    strstr(fk.last_body, "\"Marker\":\"k1\"") != NULL ? 1 : 0;
		fake_reply(req, 200, "application/x-amz-json-1.1",
		    kms_pages[page]);
	} else if (strcmp(fk.last_target, "TrentService.ListAliases") == 0) {
		/* a broken service: the same marker forever */
		fake_reply(req, 200, "application/x-amz-json-1.1",
		    "{\"Aliases\":[],\"NextMarker\":\"same\","
		    "\"Truncated\":true}");
	} else if (strcmp(fk.last_target, "TrentService.DescribeKey") == 0)
		fake_reply(req, 400, "application/x-amz-json-1.1",
		    "{\"__type\":\"NotFoundException\",\"message\":\"Key "
		    "'x' does not exist\"}");
	else if (strstr(fk.last_uri, "?acl") != NULL)
		fake_reply(req, 404, "application/xml", "<Error><Code>"
		    "NoSuchBucket</Code><Message>The specified bucket does not "
		    "exist</Message></Error>");
	else
		fake_reply(req, 400, "text/plain", "unexpected");
}

static void
fake_setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct sockaddr_storage		 ss;
	ev_socklen_t			 sl = sizeof ss;
	char				*cause = NULL;

	setup();
	memset(&fk, 0, sizeof fk);
	ck_assert_int_eq(http_global_init(&cause), 0);
	fk.base = event_base_new();
	fk.http = evhttp_new(fk.base);
	evhttp_set_gencb(fk.http, fake_cb, NULL);
	evhttp_set_allowed_methods(fk.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	bs = evhttp_bind_socket_with_handle(fk.http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl);
	fk.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
fake_teardown(void)
{
	evhttp_free(fk.http);
	event_base_free(fk.base);
	teardown();
}

struct outcome {
	bool	 done;
	long	 status;
	json_t	*body;
	char	*code;
	char	*error;
	size_t	 pages;
};

static void
outcome_cb(struct aws_response *ar, void *arg)
{
	struct outcome	*o = arg;

	o->done = true;
	o->status = ar->status;
	o->body = json_incref(ar->body);
	o->code = ar->error_code != NULL ? xstrdup(ar->error_code) : NULL;
	o->error = ar->error != NULL ? xstrdup(ar->error) : NULL;
	o->pages = ar->pages;
}

static void
outcome_clear(struct outcome *o)
{
	json_decref(o->body);
	free(o->code);
	free(o->error);
	memset(o, 0, sizeof *o);
}

/* Run the loop until the call is done, with a deadline. */
static void
wait_done(struct outcome *o)
{
	int64_t	 deadline = mono_ms() + 20000;

	while (!o->done && mono_ms() < deadline)
		event_base_loop(fk.base, EVLOOP_ONCE);
	ck_assert_msg(o->done, "the call did not finish");
}

static struct aws_client *
fake_client(struct http *http, const char *service)
{
	const struct aws_model	*m;
	struct aws_creds	*creds;
	char			*cause = NULL, *url;
	struct aws_client	*c;

	m = aws_models_get(models, service, &cause);
	ck_assert_ptr_nonnull(m);
	creds = aws_creds_static_new(fk.base, http, "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL);
	url = xprintf("http://127.0.0.1:%d", fk.port);
	c = aws_client_new(http, &m->svc, "us-east-1", url, creds);
	free(url);
	return c;
}

/* aws_op_call_pages: each page, appended to the array in o->body. */
static void
page_cb(struct aws_response *ar, void *arg)
{
	struct outcome	*o = arg;

	ck_assert(!o->done);
	json_array_append(o->body, ar->body);
}

START_TEST(test_call_pages_fake)
{
	struct http		*http;
	struct aws_client	*iam, *kms;
	struct aws_creds	*creds;
	struct outcome		 o;
	json_t			*users, *pages;

	http = http_new(fk.base);
	iam = fake_client(http, "iam");

	memset(&o, 0, sizeof o);
	aws_op_call_all(iam, op_get(models, "iam", "ListUsers"), NULL,
	    outcome_cb, &o);
	wait_done(&o);
	ck_assert_msg(o.error == NULL, "%s", o.error);
	ck_assert_int_eq(fk.requests, 3);
	ck_assert_uint_eq(o.pages, 3);
	users = json_object_get(o.body, "Users");
	ck_assert_uint_eq(json_array_size(users), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    users, 3), "UserName")), "d");
	/* build_full_result: the result key only */
	ck_assert_uint_eq(json_object_size(o.body), 1);
	ck_assert_ptr_nonnull(strstr(fk.last_body, "Marker=m2"));
	outcome_clear(&o);

	/* Page by page: each as it comes, then an empty end. */
	fk.requests = 0;
	pages = json_array();
	aws_op_call_pages(iam, op_get(models, "iam", "ListUsers"), NULL,
	    page_cb, outcome_cb, &o);
	o.body = pages;
	wait_done(&o);
	ck_assert_msg(o.error == NULL, "%s", o.error);
	ck_assert_int_eq(fk.requests, 3);
	ck_assert_uint_eq(o.pages, 3);
	ck_assert_uint_eq(json_array_size(pages), 3);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(
	    pages, 0), "Users")) + json_array_size(json_object_get(
	    json_array_get(pages, 1), "Users")) + json_array_size(
	    json_object_get(json_array_get(pages, 2), "Users")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_array_get(pages, 2), "Users"), 0),
	    "UserName")), "d");
	ck_assert(json_is_true(json_object_get(json_array_get(pages, 0),
	    "IsTruncated")));
	json_decref(pages);
	ck_assert(json_is_object(o.body) && json_object_size(o.body) == 0);
	json_decref(o.body);	/* the end: an empty document */
	o.body = NULL;
	outcome_clear(&o);

	/* One page only. */
	fk.requests = 0;
	aws_op_call(iam, op_get(models, "iam", "ListUsers"), NULL,
	    outcome_cb, &o);
	wait_done(&o);
	ck_assert_int_eq(fk.requests, 1);
	ck_assert(json_is_true(json_object_get(o.body, "IsTruncated")));
	ck_assert_str_eq(json_string_value(json_object_get(o.body, "Marker")),
	    "m1");
	outcome_clear(&o);

	/* JSON protocol: Truncated and NextMarker. */
	kms = fake_client(http, "kms");
	fk.requests = 0;
	aws_op_call_all(kms, op_get(models, "kms", "ListKeys"),
	    json_pack("{si}", "Limit", 1), outcome_cb, &o);
	wait_done(&o);
	ck_assert_msg(o.error == NULL, "%s", o.error);
	ck_assert_int_eq(fk.requests, 3);
	ck_assert_str_eq(fk.last_target, "TrentService.ListKeys");
	ck_assert_ptr_nonnull(strstr(fk.last_body, "\"Limit\":1"));
	ck_assert_uint_eq(json_array_size(json_object_get(o.body, "Keys")),
	    3);
	outcome_clear(&o);

	/* The same token twice is an error, not a loop. */
	fk.requests = 0;
	aws_op_call_all(kms, op_get(models, "kms", "ListAliases"), NULL,
	    outcome_cb, &o);
	wait_done(&o);
	ck_assert_int_eq(fk.requests, 2);
	ck_assert_ptr_nonnull(o.error);
	ck_assert_ptr_nonnull(strstr(o.error, "same next token"));
	outcome_clear(&o);

	creds = iam->creds;
	aws_client_free(iam);
	aws_creds_free(creds);
	creds = kms->creds;
	aws_client_free(kms);
	aws_creds_free(creds);
	http_free(http);
}
END_TEST

START_TEST(test_call_errors_fake)
{
	struct http		*http;
	struct aws_client	*kms, *s3;
	struct aws_creds	*creds;
	struct outcome		 o;

	http = http_new(fk.base);
	kms = fake_client(http, "kms");
	memset(&o, 0, sizeof o);
	aws_op_call(kms, op_get(models, "kms", "DescribeKey"),
	    json_pack("{ss}", "KeyId", "x"), outcome_cb, &o);
	wait_done(&o);
	ck_assert_int_eq(o.status, 400);
	ck_assert_str_eq(o.code, "NotFoundException");
	ck_assert_ptr_nonnull(strstr(o.error, "does not exist"));
	ck_assert_ptr_nonnull(strstr(o.error, "fake-request"));
	ck_assert_ptr_null(o.body);
	outcome_clear(&o);

	/* Parameters the model refuses: no request, the cause from the loop. */
	fk.requests = 0;
	aws_op_call(kms, op_get(models, "kms", "DescribeKey"),
	    json_pack("{si}", "KeyId", 5), outcome_cb, &o);
	ck_assert(!o.done);
	wait_done(&o);
	ck_assert_int_eq(fk.requests, 0);
	ck_assert_ptr_nonnull(strstr(o.error, "KeyId"));
	outcome_clear(&o);

	/* rest-xml, path style on an endpoint that is not AWS's own. */
	s3 = fake_client(http, "s3");
	aws_op_call(s3, op_get(models, "s3", "GetBucketAcl"),
	    json_pack("{ss}", "Bucket", "my-bucket"), outcome_cb, &o);
	wait_done(&o);
	ck_assert_str_eq(fk.last_uri, "/my-bucket?acl");
	ck_assert_int_eq(o.status, 404);
	ck_assert_str_eq(o.code, "NoSuchBucket");
	outcome_clear(&o);

	creds = kms->creds;
	aws_client_free(kms);
	aws_creds_free(creds);
	creds = s3->creds;
	aws_client_free(s3);
	aws_creds_free(creds);
	http_free(http);
}
END_TEST

/*
 * Hostile XML: refused, quickly, whatever the protocol.
 */
START_TEST(test_hostile_xml)
{
	static const char *const hostile[] = {
		/* billion laughs */
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		"<DescribeRegionsResponse><regionInfo><item><regionName>&lol3;"
		"</regionName></item></regionInfo></DescribeRegionsResponse>",
		/* an external entity */
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]><DescribeRegionsResponse>"
		"<regionInfo><item><regionName>&x;</regionName></item>"
		"</regionInfo></DescribeRegionsResponse>",
		/* an external DTD */
		"<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"http://127.0.0.1:"
		"9/evil.dtd\"><DescribeRegionsResponse/>",
		/* a parameter entity */
		"<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/\"> "
		"%p;]><r/>",
		/* an undefined entity */
		"<DescribeRegionsResponse><regionInfo><item><regionName>&x;"
		"</regionName></item></regionInfo></DescribeRegionsResponse>",
		/* an unbound prefix */
		"<DescribeRegionsResponse><a:b/></DescribeRegionsResponse>",
		/* not UTF-8 */
		"<DescribeRegionsResponse><regionInfo><item><regionName>\xff"
		"</regionName></item></regionInfo></DescribeRegionsResponse>",
		/* truncated */
		"<DescribeRegionsResponse><regionInfo><item>",
		"",
	};
	const struct aws_op	*op;
	struct aws_answer	 a;
	struct aws_error	 e;
	struct aws_buf		 b;
	json_t			*doc;
	char			*cause;
	size_t			 i;
	int64_t			 t0;

	op = op_get(models, "ec2", "DescribeRegions");
	memset(&a, 0, sizeof a);
	a.status = 200;
	for (i = 0; i < nitems(hostile); i++) {
		cause = NULL;
		a.body = hostile[i];
		a.len = strlen(hostile[i]);
		ck_assert_int_eq(aws_codec_decode(op, &a, 0, &doc, &e, &cause),
		    -1);
		ck_assert_ptr_nonnull(cause);
		free(cause);
		/* the error decoders refuse it too, and say what they can */
		a.status = 400;
		aws_codec_error(AWS_PROTO_EC2, &a, &e);
		ck_assert_str_eq(e.code, "400");
		aws_error_clear(&e);
		aws_codec_error(AWS_PROTO_REST_XML, &a, &e);
		aws_error_clear(&e);
		a.status = 200;
	}

	/* Deep nesting: refused at AWS_XML_MAX_DEPTH, without recursion. */
	memset(&b, 0, sizeof b);
	for (i = 0; i < 100000; i++)
		aws_buf_str(&b, "<a>");
	t0 = mono_ms();
	a.body = b.p;
	a.len = b.len;
	cause = NULL;
	ck_assert_int_eq(aws_codec_decode(op, &a, 0, &doc, &e, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "nested too deeply"));
	free(cause);
	ck_assert_int_lt(mono_ms() - t0, 5000);
	free(b.p);

	/* Just within the bound is fine. */
	memset(&b, 0, sizeof b);
	aws_buf_str(&b, "<DescribeRegionsResponse><regionInfo><item>");
	for (i = 0; i < AWS_XML_MAX_DEPTH - 4; i++)
		aws_buf_str(&b, "<x>");
	for (i = 0; i < AWS_XML_MAX_DEPTH - 4; i++)
		aws_buf_str(&b, "</x>");
	aws_buf_str(&b, "<regionName>r</regionName></item></regionInfo>"
	    "</DescribeRegionsResponse>");
	a.body = b.p;
	a.len = b.len;
	cause = NULL;
	ck_assert_int_eq(aws_codec_decode(op, &a, 0, &doc, &e, &cause), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "Regions"), 0), "RegionName")), "r");
	json_decref(doc);
	free(b.p);
}
END_TEST

/*
 * Scalars as Python has them.
 */
START_TEST(test_scalars)
{
	static const struct {
		const char	*text;
		int		 rc;
		json_int_t	 v;
	} ints[] = {
		{ "0", 0, 0 }, { " 42\n", 0, 42 }, { "+7", 0, 7 },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "9223372036854775808", -1, 0 }, { "1_000", 0, 1000 },
		{ "1__0", -1, 0 }, { "_1", -1, 0 }, { "1_", -1, 0 },
		{ "", -1, 0 }, { " ", -1, 0 }, { "1.0", -1, 0 },
		{ "0x10", -1, 0 }, { "007", 0, 7 }, { "\x1c" "5", -1, 0 },
	};
	static const struct {
		double		 v;
		const char	*repr;
	} reprs[] = {
		{ 1.0, "1.0" }, { 0.1, "0.1" }, { -0.0, "-0.0" },
		{ 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
		{ 0.0001, "0.0001" }, { 0.00001, "1e-05" },
		{ 123456789.125, "123456789.125" }, { 1.5e300, "1.5e+300" },
		{ 2.5e-7, "2.5e-07" }, { 1478910384.0, "1478910384.0" },
	};
	static const struct {
		const char	*in;
		const char	*iso;	/* as the CLI prints it */
	} times[] = {
		{ "2011-12-27T17:20:21.000Z", "2011-12-27T17:20:21+00:00" },
		{ "2011-12-27T17:20:21.5Z", "2011-12-27T17:20:21.500000+00:00" },
		{ "2021-12-01T12:00:00.000+0000", "2021-12-01T12:00:00+00:00" },
		{ "2021-12-01T12:00:00+01:30", "2021-12-01T12:00:00+01:30" },
		{ "2021-12-01T12:00:00", "2021-12-01T12:00:00" },
		{ "Tue, 20 Aug 2013 18:33:25 GMT", "2013-08-20T18:33:25+00:00" },
		{ "1478910384", "2016-11-12T00:26:24+00:00" },
		{ "1478910384.5", "2016-11-12T00:26:24.500000+00:00" },
		{ "YYYY-MM-DDTHH:MM:SS.000Z", NULL },
		{ "2024-02-30T00:00:00Z", NULL },
		{ "2024-02-29T23:59:59.9999999Z",
		  "2024-02-29T23:59:59.999999+00:00" },
	};
	struct aws_time	 t;
	json_t		*out;
	json_int_t	 v;
	double		 d;
	char		 buf[64], *cause, *s;
	size_t		 i;

	for (i = 0; i < nitems(ints); i++) {
		v = 0;
		ck_assert_msg(aws_py_int(ints[i].text, strlen(ints[i].text),
		    &v) == ints[i].rc, "int(\"%s\")", ints[i].text);
		if (ints[i].rc == 0)
			ck_assert_int_eq(v, ints[i].v);
	}
	ck_assert_int_eq(aws_py_float(" 1_0.5e1_0 ", 11, &d), 0);
	ck_assert(d == 105000000000.0);
	ck_assert_int_eq(aws_py_float("nan", 3, &d), -1);
	ck_assert_int_eq(aws_py_float(".5", 2, &d), 0);
	ck_assert_int_eq(aws_py_float("5.", 2, &d), 0);
	ck_assert_int_eq(aws_py_float(".", 1, &d), -1);
	ck_assert_int_eq(aws_py_float("1e", 2, &d), -1);
	ck_assert_int_eq(aws_py_float("0x1p3", 5, &d), -1);
	for (i = 0; i < nitems(reprs); i++) {
		aws_py_float_repr(reprs[i].v, buf, sizeof buf);
		ck_assert_str_eq(buf, reprs[i].repr);
	}
	for (i = 0; i < nitems(times); i++) {
		cause = NULL;
		if (times[i].iso == NULL) {
			ck_assert_int_eq(aws_time_render(NULL, times[i].in,
			    strlen(times[i].in), AWS_DECODE_ISO8601, &out,
			    &cause), -1);
			free(cause);
			continue;
		}
		ck_assert_int_eq(aws_time_render(NULL, times[i].in,
		    strlen(times[i].in), AWS_DECODE_ISO8601, &out, &cause), 0);
		ck_assert_str_eq(json_string_value(out), times[i].iso);
		json_decref(out);
	}
	ck_assert_int_eq(aws_time_parse("2013-08-20T18:33:25.25Z", 23, &t),
	    0);
	s = aws_time_format(&t, AWS_TSF_RFC822);
	ck_assert_str_eq(s, "Tue, 20 Aug 2013 18:33:25 GMT");
	free(s);
	s = aws_time_format(&t, AWS_TSF_ISO8601);
	ck_assert_str_eq(s, "2013-08-20T18:33:25.250000Z");
	free(s);
	s = aws_time_format(&t, AWS_TSF_UNIX);
	ck_assert_str_eq(s, "1377023605");
	free(s);
}
END_TEST

static Suite *
aws_codec_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("aws_codec");
	tc = tcase_create("models");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_models_production);
	tcase_add_test(tc, test_models_traits);
	tcase_add_test(tc, test_models_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_response_parsing_bundled);
	tcase_add_test(tc, test_response_parsing_corpus);
	tcase_add_test(tc, test_decode_bundled);
	tcase_add_test(tc, test_decode_oracle_bundled);
	tcase_add_test(tc, test_oracle_corpus);
	tcase_add_test(tc, test_hostile_xml);
	tcase_add_test(tc, test_scalars);
	suite_add_tcase(s, tc);

	tc = tcase_create("serialise");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_serialise_bundled);
	tcase_add_test(tc, test_serialise_oracle);
	tcase_add_test(tc, test_paginate_bundled);
	suite_add_tcase(s, tc);

	tc = tcase_create("calls");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_add_test(tc, test_call_pages_fake);
	tcase_add_test(tc, test_call_errors_fake);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_run(aws_codec_suite());
}
