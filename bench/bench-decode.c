/*
 * bench-decode.c: AWS answers decoded per second by the model-driven codec
 * (aws_codec_decode: bytes to the document the AWS CLI prints), per
 * protocol, beside the bare parse of the same bytes (libexpat into the
 * codec's tree for XML, jansson for JSON) in the same run.
 *
 * The answers are the successful ones of the shared corpus
 * ($VIGIL_SHARED/testdata/aws-api, mapped by
 * tests/data/aws-codec/corpus-map.tsv) and the codec's bundled decode
 * cases (tests/data/aws-codec/decode, under $VIGIL_SRCDIR), read into
 * memory first; the test models decode them.  Then, alternately for a few
 * rounds: the bare parse of every answer of a protocol, and its decode.
 * The figures are from the best round of each.
 *
 * Prints a table; writes $VIGIL_BENCH_DIR/decode.json.  Exit 77 when there
 * is nothing to measure (no $VIGIL_SRCDIR).
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil.h"
#include "aws-codec.h"
#include "aws-protocol.h"

#define MAX_FILE	(64 << 20)
#define ROUNDS		7

struct answer {
	const struct aws_op	*op;
	char			*body;
	size_t			 len;
};

struct proto {
	enum aws_protocol	 protocol;
	const char		*name;
	struct answer		*v;
	size_t			 n;
	size_t			 bytes;
	double			 parse_s;	/* best round */
	double			 decode_s;
};

static struct proto	 protos[] = {
	{ AWS_PROTO_EC2, "ec2", NULL, 0, 0, 0, 0 },
	{ AWS_PROTO_QUERY, "query", NULL, 0, 0, 0, 0 },
	{ AWS_PROTO_REST_XML, "rest-xml", NULL, 0, 0, 0, 0 },
	{ AWS_PROTO_JSON, "json", NULL, 0, 0, 0, 0 },
	{ AWS_PROTO_REST_JSON, "rest-json", NULL, 0, 0, 0, 0 },
};

static struct aws_models	*models;

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
decode_one(const struct answer *an)
{
	struct aws_answer	 a;
	struct aws_error	 e;
	json_t			*doc;
	char			*cause = NULL;
	int			 rc;

	memset(&a, 0, sizeof a);
	a.status = 200;
	a.body = an->body;
	a.len = an->len;
	rc = aws_codec_decode(an->op, &a, 0, &doc, &e, &cause);
	if (rc == 0)
		json_decref(doc);
	else if (rc == 1)
		aws_error_clear(&e);
	free(cause);
	return rc;
}

/* Keep an answer that decodes. */
static void
add(const char *service, const char *operation, char *body, size_t len)
{
	struct answer	 an;
	char		*cause = NULL;
	size_t		 i;

	if ((an.op = aws_models_op(models, service, operation, &cause)) ==
	    NULL) {
		free(cause);
		free(body);
		return;
	}
	an.body = body;
	an.len = len;
	if (decode_one(&an) != 0) {
		free(body);
		return;
	}
	for (i = 0; i < nitems(protos); i++) {
		if (protos[i].protocol != an.op->model->protocol)
			continue;
		protos[i].v = xreallocarray(protos[i].v, protos[i].n + 1,
		    sizeof an);
		protos[i].v[protos[i].n++] = an;
		protos[i].bytes += len;
		return;
	}
	free(body);
}

static void
load_corpus(const char *srcdir, const char *corpus)
{
	char	*map, *line, *save, *f[6], *path, *buf, *cause = NULL;
	size_t	 len, i;
	json_t	*v;

	path = xprintf("%s/tests/data/aws-codec/corpus-map.tsv", srcdir);
	map = read_file(path, MAX_FILE, &len, &cause);
	free(path);
	if (map == NULL) {
		fprintf(stderr, "bench-decode: %s\n", cause);
		free(cause);
		return;
	}
	for (line = strtok_r(map, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		f[0] = line;
		for (i = 1; i < 6 && f[i - 1] != NULL; i++) {
			if ((f[i] = strchr(f[i - 1], '\t')) != NULL)
				*f[i]++ = '\0';
		}
		if (i < 6 || f[5] == NULL || strcmp(f[1], "skip") == 0 ||
		    strcmp(f[4], "200") != 0)
			continue;
		path = xprintf("%s/%s", corpus, f[0]);
		buf = read_file(path, MAX_FILE, &len, &cause);
		free(path);
		if (buf == NULL) {
			free(cause);
			cause = NULL;
			continue;
		}
		if (strcmp(f[1], "placebo") == 0) {
			v = json_loadb(buf, len, 0, NULL);
			free(buf);
			buf = json_dumps(json_object_get(v, "data"),
			    JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(v);
			if (buf == NULL)
				continue;
			len = strlen(buf);
		}
		add(f[2], f[3], buf, len);
	}
	free(map);
}

static void
load_cases(const char *srcdir)
{
	char	**files, *dir, *path, *buf, *cause = NULL;
	size_t	 n, i, len;
	json_t	*c, *st;

	dir = xprintf("%s/tests/data/aws-codec/decode", srcdir);
	files = dir_files(dir, 0, &n);
	for (i = 0; i < n; i++) {
		len = strlen(files[i]);
		if (len < 5 || strcmp(files[i] + len - 5, ".case") != 0 ||
		    (c = json_load_file(files[i], 0, NULL)) == NULL) {
			free(files[i]);
			continue;
		}
		st = json_object_get(c, "status");
		if (json_integer_value(st) == 200 &&
		    json_object_get(c, "headers") == NULL) {
			path = xprintf("%s/%s", dir, json_string_value(
			    json_object_get(c, "body")));
			if ((buf = read_file(path, MAX_FILE, &len, &cause)) !=
			    NULL)
				add(json_string_value(json_object_get(c,
				    "service")), json_string_value(
				    json_object_get(c, "operation")), buf, len);
			free(cause);
			cause = NULL;
			free(path);
		}
		json_decref(c);
		free(files[i]);
	}
	free(files);
	free(dir);
}

/* The bare parse of each answer: expat into the tree, or jansson. */
static void
pass_parse(const struct proto *p)
{
	struct aws_xml	*x;
	json_t		*v;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < p->n; i++) {
		if (p->protocol == AWS_PROTO_JSON ||
		    p->protocol == AWS_PROTO_REST_JSON) {
			v = json_loadb(p->v[i].body, p->v[i].len,
			    JSON_DECODE_ANY, NULL);
			json_decref(v);
			continue;
		}
		if (p->v[i].len == 0)
			continue;
		if ((x = aws_xml_parse(p->v[i].body, p->v[i].len, &cause)) ==
		    NULL) {
			free(cause);
			cause = NULL;
		}
		aws_xml_free(x);
	}
}

static void
pass_decode(const struct proto *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		if (decode_one(&p->v[i]) != 0)
			fatalx("an answer that decoded once does not");
	}
}

int
main(void)
{
	const char	*shared = getenv("VIGIL_SHARED");
	const char	*srcdir = getenv("VIGIL_SRCDIR");
	const char	*outdir = getenv("VIGIL_BENCH_DIR");
	char		*corpus = NULL, *mdir, *out;
	struct proto	*p;
	size_t		 i, j, r, iters, ndocs = 0;
	double		 t0, t, docs_s, parse_docs_s;
	json_t		*doc, *rows;

	log_init("bench-decode", false);
	if (srcdir == NULL || *srcdir == '\0') {
		printf("bench-decode: VIGIL_SRCDIR is not set: no models, "
		    "nothing to measure\n");
		return 77;
	}
	mdir = xprintf("%s/tests/data/aws-codec/models", srcdir);
	models = aws_models_new(mdir);
	if (shared != NULL && *shared != '\0') {
		corpus = xprintf("%s/testdata/aws-api", shared);
		load_corpus(srcdir, corpus);
	}
	load_cases(srcdir);
	for (i = 0; i < nitems(protos); i++)
		ndocs += protos[i].n;
	if (ndocs == 0) {
		printf("bench-decode: no answers to decode\n");
		return 77;
	}

	for (i = 0; i < nitems(protos); i++) {
		p = &protos[i];
		if (p->n == 0)
			continue;
		/* Enough passes per round for about a quarter second. */
		t0 = seconds();
		pass_decode(p);
		t = seconds() - t0;
		iters = t > 0 ? (size_t)(0.25 / t) + 1 : 100;
		for (r = 0; r < ROUNDS; r++) {
			t0 = seconds();
			for (j = 0; j < iters; j++)
				pass_parse(p);
			t = (seconds() - t0) / (double)iters;
			if (r == 0 || t < p->parse_s)
				p->parse_s = t;
			t0 = seconds();
			for (j = 0; j < iters; j++)
				pass_decode(p);
			t = (seconds() - t0) / (double)iters;
			if (r == 0 || t < p->decode_s)
				p->decode_s = t;
		}
	}

	printf("bench-decode: %s%s%s/tests/data/aws-codec/decode\n",
	    corpus != NULL ? corpus : "", corpus != NULL ? " and " : "",
	    srcdir);
	printf("  %d rounds, best round of each; documents in memory\n\n",
	    ROUNDS);
	printf("  %-10s %6s %9s %12s %9s %12s %9s %7s\n", "protocol", "docs",
	    "KB", "decoded/s", "MB/s", "parsed/s", "MB/s", "ratio");
	rows = json_array();
	for (i = 0; i < nitems(protos); i++) {
		p = &protos[i];
		if (p->n == 0)
			continue;
		docs_s = (double)p->n / p->decode_s;
		parse_docs_s = (double)p->n / p->parse_s;
		printf("  %-10s %6zu %9.1f %12.0f %9.1f %12.0f %9.1f %7.2f\n",
		    p->name, p->n, (double)p->bytes / 1e3, docs_s,
		    (double)p->bytes / p->decode_s / 1e6, parse_docs_s,
		    (double)p->bytes / p->parse_s / 1e6,
		    docs_s / parse_docs_s);
		json_array_append_new(rows, json_pack("{s:s, s:I, s:I, "
		    "s:f, s:f, s:f, s:f}", "protocol", p->name,
		    "documents", (json_int_t)p->n, "bytes",
		    (json_int_t)p->bytes, "decoded_per_second", docs_s,
		    "decode_mb_per_second", (double)p->bytes / p->decode_s /
		    1e6, "parsed_per_second", parse_docs_s,
		    "parse_mb_per_second", (double)p->bytes / p->parse_s /
		    1e6));
	}
	printf("\n  decoded/s: aws_codec_decode (bytes to the CLI's document);"
	    "\n  parsed/s: the bare parse (expat into the codec's tree, or "
	    "jansson)\n");

	if (outdir == NULL || *outdir == '\0')
		outdir = "bench/results";
	out = xprintf("%s/decode.json", outdir);
	doc = json_pack("{s:s, s:s?, s:i, s:o}", "benchmark", "decode",
	    "corpus", corpus, "rounds", ROUNDS, "protocols", rows);
	if (doc == NULL || json_dump_file(doc, out, JSON_INDENT(2)) == -1) {
		log_warnx("%s: cannot write", out);
		json_decref(doc);
		return 1;
	}
	json_decref(doc);
	free(out);
	for (i = 0; i < nitems(protos); i++) {
		for (j = 0; j < protos[i].n; j++)
			free(protos[i].v[j].body);
		free(protos[i].v);
	}
	aws_models_free(models);
	free(mdir);
	free(corpus);
	return 0;
}
