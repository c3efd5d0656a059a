/*
 * bench-normalize.c: normalised change events per second over the whole
 * CloudTrail corpus, beside jansson parsing the same bytes in the same run.
 *
 * Every file of $VIGIL_SHARED/testdata/cloudtrail is read into memory first
 * (gunzipped; each Panther rule test's "log" record as a message of its
 * own); the messages the normaliser rejects are left out of both sides.
 * Then, alternately for a few rounds so that neither side gets a warmer
 * machine: (a) json_loadb of each message and json_decref, (b)
 * envelope_parse into change events and envelope_result_free.  The figure
 * is the ratio of (b) to (a) in records per second, from the best round of
 * each.
 *
 * Prints a table; writes $VIGIL_BENCH_DIR/normalize.json.  Exit 77 when
 * there is no corpus.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"
#include "change.h"
#include "envelope.h"
#include "gz.h"
#include "jscan.h"

#define MAX_FILE	(256 << 20)
#define ROUNDS		7

struct message {
	char	*buf;
	size_t	 len;
};

struct corpus {
	struct message	*v;
	size_t		 n;
	size_t		 bytes;
	size_t		 files;
	size_t		 rejected;
	size_t		 records;	/* change events in one pass */
};

/* Keep a message if the normaliser takes it; count its events. */
static void
corpus_add(struct corpus *c, const char *buf, size_t len)
{
	struct envelope_result	 res;
	char			*cause;

	if (envelope_parse(buf, len, MAX_FILE, &res, &cause) == -1) {
		free(cause);
		c->rejected++;
		return;
	}
	c->records += res.nevents;
	envelope_result_free(&res);
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->v[c->n].buf = xmalloc(len + 1);
	memcpy(c->v[c->n].buf, buf, len);
	c->v[c->n].buf[len] = '\0';
	c->v[c->n++].len = len;
	c->bytes += len;
}

static void
corpus_file(struct corpus *c, const char *path)
{
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 doc, tests, t, log;
	char			*buf, *plain, *cause;
	size_t			 len, plen;

	if ((buf = read_file(path, MAX_FILE, &len, &cause)) == NULL) {
		fprintf(stderr, "bench-normalize: %s\n", cause);
		free(cause);
		return;
	}
	c->files++;
	if (gz_is_gzip(buf, len)) {
		if (gz_inflate(buf, len, MAX_FILE, &plain, &plen,
		    &cause) == -1) {
			fprintf(stderr, "bench-normalize: %s: %s\n", path,
			    cause);
			free(cause);
			free(buf);
			return;
		}
		free(buf);
		buf = plain;
		len = plen;
	}
	if (strstr(path, "/panther-analysis-test-logs/") != NULL) {
		/* Rule tests: the record is each test's "log". */
		jscan_init(&j, buf, len);
		if (jscan_value(&j, &doc) == 0 &&
		    jscan_member(buf, &doc, "tests", &tests) == 1) {
			jscan_init_value(&j, buf, &tests);
			if (jscan_array_begin(&j, &it) == 0) {
				while (jscan_array_next(&it) == 1 &&
				    jscan_value(&j, &t) == 0) {
					if (jscan_member(buf, &t, "log",
					    &log) == 1)
						corpus_add(c, buf + log.off,
						    log.len);
				}
			}
		}
	} else
		corpus_add(c, buf, len);
	free(buf);
}

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass of jansson over every message; the records it read. */
static size_t
pass_jansson(const struct corpus *c)
{
	json_error_t	 err;
	json_t		*doc;
	size_t		 i, ok = 0;

	for (i = 0; i < c->n; i++) {
		doc = json_loadb(c->v[i].buf, c->v[i].len, 0, &err);
		if (doc != NULL)
			ok++;
		json_decref(doc);
	}
	return ok;
}

/* One pass of the normaliser; the events it made. */
static size_t
pass_normalize(const struct corpus *c)
{
	struct envelope_result	 res;
	char			*cause;
	size_t			 i, events = 0;

	for (i = 0; i < c->n; i++) {
		if (envelope_parse(c->v[i].buf, c->v[i].len, MAX_FILE, &res,
		    &cause) == -1) {
			free(cause);
			continue;
		}
		events += res.nevents;
		envelope_result_free(&res);
	}
	return events;
}

int
main(void)
{
	const char	*shared = getenv("VIGIL_SHARED");
	const char	*outdir = getenv("VIGIL_BENCH_DIR");
	struct corpus	 c;
	char		**paths = NULL, *dir, *out;
	size_t		 n = 0, i, iters, r, got;
	double		 t0, tj, tn, best_j = 0, best_n = 0, rate_j, rate_n;
	json_t		*doc;

	log_init("bench-normalize", false);
	if (shared == NULL || *shared == '\0') {
		printf("bench-normalize: VIGIL_SHARED is not set: no corpus, "
		    "nothing to measure\n");
		return 77;
	}
	dir = xprintf("%s/testdata/cloudtrail", shared);
	paths = dir_files(dir, 16, &n);
	if (n == 0) {
		printf("bench-normalize: no corpus at %s: nothing to measure\n",
		    dir);
		free(dir);
		return 77;
	}
	memset(&c, 0, sizeof c);
	for (i = 0; i < n; i++) {
		corpus_file(&c, paths[i]);
		free(paths[i]);
	}
	free(paths);
	if (c.records == 0) {
		printf("bench-normalize: no records in %s\n", dir);
		free(dir);
		return 77;
	}

	/* Enough iterations per round for about half a second of jansson. */
	t0 = seconds();
	pass_jansson(&c);
	tj = seconds() - t0;
	iters = tj > 0 ? (size_t)(0.5 / tj) + 1 : 100;

	for (r = 0; r < ROUNDS; r++) {
		t0 = seconds();
		for (i = 0; i < iters; i++) {
			if (pass_jansson(&c) != c.n)
				fatalx("jansson refused a message");
		}
		tj = seconds() - t0;
		t0 = seconds();
		for (i = 0; i < iters; i++) {
			if ((got = pass_normalize(&c)) != c.records)
				fatalx("%zu events, not %zu", got, c.records);
		}
		tn = seconds() - t0;
		if (r == 0 || tj < best_j)
			best_j = tj;
		if (r == 0 || tn < best_n)
			best_n = tn;
	}
	rate_j = (double)(c.records * iters) / best_j;
	rate_n = (double)(c.records * iters) / best_n;

	printf("bench-normalize: %s\n", dir);
	printf("  %zu files, %zu messages (%zu rejected, left out), %.1f MB, "
	    "%zu records\n", c.files, c.n, c.rejected, (double)c.bytes / 1e6,
	    c.records);
	printf("  %d rounds of %zu passes, best round of each\n\n", ROUNDS,
	    iters);
	printf("  %-34s %10s %10s %12s %8s\n", "", "records", "seconds",
	    "records/s", "MB/s");
	printf("  %-34s %10zu %10.3f %12.0f %8.1f\n",
	    "jansson json_loadb + decref",
	    c.records * iters, best_j, rate_j,
	    (double)(c.bytes * iters) / best_j / 1e6);
	printf("  %-34s %10zu %10.3f %12.0f %8.1f\n",
	    "normalise (envelope_parse)",
	    c.records * iters, best_n, rate_n,
	    (double)(c.bytes * iters) / best_n / 1e6);
	printf("\n  ratio normalise / jansson: %.2f\n", rate_n / rate_j);

	if (outdir == NULL || *outdir == '\0')
		outdir = "bench/results";
	out = xprintf("%s/normalize.json", outdir);
	doc = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:I, "
	    "s:{s:f, s:f}, s:{s:f, s:f}, s:f}",
	    "benchmark", "normalize", "corpus", dir,
	    "files", (json_int_t)c.files, "messages", (json_int_t)c.n,
	    "rejected", (json_int_t)c.rejected, "bytes", (json_int_t)c.bytes,
	    "records", (json_int_t)c.records, "rounds", ROUNDS,
	    "passes", (json_int_t)iters,
	    "jansson", "seconds", best_j, "records_per_second", rate_j,
	    "normalize", "seconds", best_n, "records_per_second", rate_n,
	    "ratio", rate_n / rate_j);
	if (doc == NULL || json_dump_file(doc, out, JSON_INDENT(2)) == -1) {
		log_warnx("%s: cannot write", out);
		json_decref(doc);
		free(out);
		free(dir);
		return 1;
	}
	json_decref(doc);
	free(out);
	for (i = 0; i < c.n; i++)
		free(c.v[i].buf);
	free(c.v);
	free(dir);
	return 0;
}
