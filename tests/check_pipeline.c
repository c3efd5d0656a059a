/*
 * check_pipeline.c: messages through the pipeline into the database, with a
 * test feed (its acknowledgements are recorded): events stored once,
 * committed messages recognised when they come again, dead letters,
 * read-only events, fetched objects, failed commits, the poison count.
 */
#include "config.h"

#include <event2/event.h>
#include <sqlite3.h>

#include "change.h"
#include "check_vigil.h"
#include "envelope.h"
#include "feed.h"
#include "gz.h"
#include "vigild.h"

#define RECORD(id, name, ro) \
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\"," \
	"\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111111111111:" \
	"user/alice\",\"accountId\":\"111111111111\",\"userName\":\"alice\"}," \
	"\"eventTime\":\"2026-11-29T10:00:00Z\",\"eventSource\":" \
	"\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":" \
	"\"eu-west-1\",\"sourceIPAddress\":\"192.0.2.1\",\"userAgent\":\"aws-" \
	"cli/2\",\"requestParameters\":{\"groupId\":\"sg-1\"}," \
	"\"responseElements\":null,\"requestID\":\"r-" id "\",\"eventID\":\"" \
	id "\",\"readOnly\":" ro ",\"eventType\":\"AwsApiCall\"," \
	"\"recipientAccountId\":\"111111111111\"}"

#define EVENTBRIDGE(id, name, ro) \
	"{\"version\":\"0\",\"id\":\"eb-" id "\",\"detail-type\":\"AWS API " \
	"Call via CloudTrail\",\"source\":\"aws.ec2\",\"account\":" \
	"\"111111111111\",\"time\":\"2026-11-29T10:00:01Z\",\"region\":" \
	"\"eu-west-1\",\"resources\":[],\"detail\":" RECORD(id, name, ro) "}"

static struct event_base	*base;
static struct vigil		 V;
static struct feed		 F;
static struct feed_conf		 FC;
static char			*dir, *dbpath;
static int			 acks, nacks;
static const char		*fetch_body;	/* what the test feed fetches */
static size_t			 fetch_len;
static const char		*fetch_error;

static void
test_ack(struct feed *f, struct msg *m)
{
	acks++;
	msg_free(m);
	if (pipeline_in_flight(V.pipeline) == 0)
		event_base_loopbreak(base);
}

static void
test_nack(struct feed *f, struct msg *m)
{
	nacks++;
	msg_free(m);
	if (pipeline_in_flight(V.pipeline) == 0)
		event_base_loopbreak(base);
}

static void
test_fetch_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct msg	*m = arg;

	pipeline_fetched(V.pipeline, m, "s3://logs/key", fetch_body, fetch_len,
	    fetch_error);
}

/* Answer a fetch from the loop, as a real feed would. */
static void
test_fetch(struct feed *f, struct msg *m, const struct envelope_ref *ref,
    const char *what)
{
	ck_assert_str_eq(ref->bucket, "logs");
	event_base_once(base, -1, EV_TIMEOUT, test_fetch_cb, m, NULL);
}

static const struct feed_backend test_backend = {
	.type = "test",
	.ack = test_ack,
	.nack = test_nack,
	.fetch = test_fetch,
};

static void
setup(void)
{
	struct diags	 d = { NULL, 0 };
	char		*cause = NULL, *yaml;

	dir = test_tmpdir();
	dbpath = xprintf("%s/vigil.db", dir);
	base = event_base_new();
	memset(&V, 0, sizeof V);
	V.base = base;
	yaml = xprintf("database: %s\nsocket: %s/s\nrules: []\n", dbpath, dir);
	V.conf = config_parse("/t/vigild.yaml", yaml, strlen(yaml), &d);
	free(yaml);
	ck_assert_ptr_nonnull(V.conf);
	V.store = store_open(dbpath, CONFIG_SYNC_NORMAL, &cause);
	ck_assert_msg(V.store != NULL, "%s", cause);
	V.pipeline = pipeline_new(&V);
	memset(&FC, 0, sizeof FC);
	FC.name = (char *)(uintptr_t)"test";
	FC.type = (char *)(uintptr_t)"test";
	FC.backend = &test_backend;
	memset(&F, 0, sizeof F);
	F.v = &V;
	F.conf = &FC;
	F.name = "test";
	acks = nacks = 0;
	fetch_body = NULL;
	fetch_len = 0;
	fetch_error = NULL;
}

static void
teardown(void)
{
	pipeline_free(V.pipeline);
	store_close(V.store);
	config_free(V.conf);
	event_base_free(base);
	test_rmrf(dir);
	free(dir);
	free(dbpath);
}

static void
submit(const char *id, const char *body, int receive_count)
{
	struct msg	*m;

	m = msg_new(&F, id, body, strlen(body));
	m->receive_count = receive_count;
	pipeline_submit(V.pipeline, m);
}

static void
run(void)
{
	ck_assert_int_eq(event_base_dispatch(base), 0);
	ck_assert_int_eq(pipeline_in_flight(V.pipeline), 0);
}

static int64_t
count(const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

START_TEST(test_store_once)
{
	submit("m1", EVENTBRIDGE("e-1", "AuthorizeSecurityGroupIngress",
	    "false"), 1);
	run();
	ck_assert_int_eq(acks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events WHERE event_id = "
	    "'e-1' AND name = 'AuthorizeSecurityGroupIngress' AND account = "
	    "'111111111111' AND region = 'eu-west-1' AND actor_arn = "
	    "'arn:aws:iam::111111111111:user/alice' AND feed = 'test' AND "
	    "json_extract(raw, '$.requestParameters.groupId') = 'sg-1'"), 1);
	ck_assert_int_eq(F.events, 1);

	/* The same message again (its delete was lost): recognised. */
	submit("m1", EVENTBRIDGE("e-1", "AuthorizeSecurityGroupIngress",
	    "false"), 2);
	run();
	ck_assert_int_eq(acks, 2);
	ck_assert_int_eq(F.duplicates, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 1);

	/* Another message with the same event: stored once. */
	submit("m2", RECORD("e-1", "AuthorizeSecurityGroupIngress", "false"),
	    1);
	run();
	ck_assert_int_eq(acks, 3);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM feed_messages"), 2);
}
END_TEST

START_TEST(test_read_only_skipped)
{
	submit("m1", "[" RECORD("e-1", "DescribeInstances", "true") ","
	    RECORD("e-2", "RunInstances", "false") "]", 1);
	run();
	ck_assert_int_eq(acks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events WHERE event_id = "
	    "'e-2'"), 1);
	ck_assert_int_eq(count("SELECT events FROM feed_messages WHERE "
	    "message_id = 'm1'"), 1);
}
END_TEST

START_TEST(test_dead_letter)
{
	submit("bad", "this is not JSON", 1);
	submit("odd", "{\"hello\": \"world\"}", 1);
	run();
	ck_assert_int_eq(acks, 2);
	ck_assert_int_eq(F.dead, 2);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters WHERE "
	    "message_id = 'bad' AND body = CAST('this is not JSON' AS BLOB) "
	    "AND reason <> ''"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters WHERE "
	    "message_id = 'odd' AND reason LIKE '%hello%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 0);
}
END_TEST

START_TEST(test_leave_dead_to_queue)
{
	F.leave_dead = true;
	submit("bad", "not JSON", 1);
	run();
	/* Kept for inspection, but handed back to the queue's redrive. */
	ck_assert_int_eq(nacks, 1);
	ck_assert_int_eq(acks, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM feed_messages"), 0);
	submit("bad", "not JSON", 2);
	run();
	ck_assert_int_eq(nacks, 2);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters"), 1);
}
END_TEST

#define S3_NOTIFICATION \
	"{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\"," \
	"\"awsRegion\":\"eu-west-1\",\"eventTime\":\"2026-11-29T10:00:00Z\"," \
	"\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"s3SchemaVersion\":" \
	"\"1.0\",\"bucket\":{\"name\":\"logs\",\"arn\":\"arn:aws:s3:::logs\"}" \
	",\"object\":{\"key\":\"AWSLogs/111111111111/x.json.gz\",\"size\":" \
	"10}}}]}"

START_TEST(test_fetch_log_file)
{
	static const char log[] = "{\"Records\":[" RECORD("e-1", "CreateBucket",
	    "false") "," RECORD("e-2", "PutBucketPolicy", "false") "]}";

	fetch_body = log;
	fetch_len = strlen(log);
	submit("n1", S3_NOTIFICATION, 1);
	run();
	ck_assert_int_eq(acks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 2);
}
END_TEST

START_TEST(test_fetch_fails_then_poison)
{
	fetch_error = "HTTP 403 AccessDenied";
	submit("n1", S3_NOTIFICATION, 1);
	run();
	/* Not now: handed back to come again, nothing written. */
	ck_assert_int_eq(nacks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM feed_messages"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters"), 0);

	/* At the fifth delivery it is kept as a dead letter, and acked. */
	submit("n1", S3_NOTIFICATION, 5);
	run();
	ck_assert_int_eq(acks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM dead_letters WHERE "
	    "receive_count = 5 AND reason LIKE '%AccessDenied%'"), 1);
}
END_TEST

START_TEST(test_commit_fails)
{
	sqlite3	*db;

	/* Another writer holds the database: the commit fails. */
	store_busy_timeout(V.store, 50);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	submit("m1", RECORD("e-1", "RunInstances", "false"), 1);
	run();
	ck_assert_int_eq(nacks, 1);
	ck_assert_int_eq(acks, 0);
	ck_assert_int_eq(F.committed, 0);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 0);

	/* It comes again, and commits. */
	submit("m1", RECORD("e-1", "RunInstances", "false"), 2);
	run();
	ck_assert_int_eq(acks, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM events"), 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("pipeline");
	TCase	*tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_once);
	tcase_add_test(tc, test_read_only_skipped);
	tcase_add_test(tc, test_dead_letter);
	tcase_add_test(tc, test_leave_dead_to_queue);
	tcase_add_test(tc, test_fetch_log_file);
	tcase_add_test(tc, test_fetch_fails_then_poison);
	tcase_add_test(tc, test_commit_fails);
	suite_add_tcase(s, tc);
	return test_run(s);
}
