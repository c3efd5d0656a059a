"""The aws-sqs feed against moto server: real EventBridge, CloudTrail,
AWS Config and SNS messages sent with the AWS CLI, in both SQS protocols,
received, stored once, deleted after commit; poison messages kept in
dead_letters; signatures verified; kill -9 before a commit loses nothing;
S3 notifications make vigild fetch the log file and store its records."""

import glob
import gzip
import json
import os
import signal
import sqlite3
import unittest

from vigiltest import (Daemon, Moto, SHARED, SRCDIR, free_port, main,
                       wait_for)

DATA = os.path.join(SRCDIR, "tests", "data", "integration")
ACCOUNT = "123456789012"
CLOUDTRAIL_TYPES = ("AWS API Call via CloudTrail",
                    "AWS Console Sign In via CloudTrail",
                    "AWS Service Event via CloudTrail")


def sample_messages():
    """Message bodies built from real recorded events (tests/data)."""
    bodies = []
    for path in sorted(glob.glob(os.path.join(DATA, "*.json"))):
        with open(path) as f:
            bodies.append(f.read())
    return bodies


def sns_wrap(body):
    return json.dumps({
        "Type": "Notification",
        "MessageId": "5a0c1e7a-0000-4000-8000-000000000001",
        "TopicArn": "arn:aws:sns:eu-west-1:%s:vigil" % ACCOUNT,
        "Message": body,
        "Timestamp": "2026-11-29T10:00:00.000Z",
        "SignatureVersion": "1",
    })


def expected_ids(body):
    """The ids of the events a message holds, worked out independently of
    vigild: CloudTrail eventID, AWS Config's account, type, resource and
    state, an EventBridge event's own id."""
    d = json.loads(body)
    if d.get("Type") == "Notification":
        d = json.loads(d["Message"])
    if "detail-type" in d:
        if d["detail-type"] in CLOUDTRAIL_TYPES:
            rec = d["detail"]
        elif d["detail-type"] == "Config Configuration Item Change":
            ci = d["detail"]["configurationItem"]
            return {"config:%s:%s:%s:%s" % (
                ci["awsAccountId"], ci["resourceType"], ci["resourceId"],
                ci["configurationStateId"])}
        else:
            return {d["id"]}
    else:
        rec = d
    if rec.get("readOnly") is True:
        return set()
    return {rec["eventID"]}


class Feed(unittest.TestCase):

    def setUp(self):
        self.moto = Moto(self)

    def make_queue(self, visibility=30, max_receives=5):
        dlq = self.moto.aws("sqs", "create-queue", "--queue-name",
                            "vigil-events-dlq")["QueueUrl"]
        dlq_arn = self.moto.aws("sqs", "get-queue-attributes", "--queue-url",
                                dlq, "--attribute-names", "QueueArn")
        redrive = json.dumps({"deadLetterTargetArn":
                              dlq_arn["Attributes"]["QueueArn"],
                              "maxReceiveCount": str(max_receives)})
        return self.moto.aws(
            "sqs", "create-queue", "--queue-name", "vigil-events",
            "--attributes", json.dumps({
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": redrive}))["QueueUrl"]

    def send(self, queue, body):
        return self.moto.aws("sqs", "send-message", "--queue-url", queue,
                             "--message-body", body)["MessageId"]

    def queue_counts(self, queue):
        a = self.moto.aws("sqs", "get-queue-attributes", "--queue-url",
                          queue, "--attribute-names", "All")["Attributes"]
        return (int(a["ApproximateNumberOfMessages"]),
                int(a["ApproximateNumberOfMessagesNotVisible"]))

    def daemon(self, queue, protocol="json", extra=""):
        d = Daemon(self, extra_env=self.moto.env(), config=(
            "feeds:\n"
            "  - name: org-events\n"
            "    type: aws-sqs\n"
            "    queue_url: %s\n"
            "    region: eu-west-1\n"
            "    endpoint: %s\n"
            "    protocol: %s\n"
            "    wait_time: 1s\n%s" % (queue, self.moto.url, protocol,
                                      extra)))
        return d

    def feed(self, d):
        return d.status()["feeds"][0]

    def stored_ids(self, d):
        db = sqlite3.connect(d.database)
        ids = {r[0] for r in db.execute("SELECT event_id FROM events")}
        db.close()
        return ids

    def run_protocol(self, protocol):
        queue = self.make_queue()
        bodies = sample_messages()
        self.assertGreater(len(bodies), 10)
        bodies.append(sns_wrap(bodies[0]))
        want = set()
        for b in bodies:
            want |= expected_ids(b)
            self.send(queue, b)
        poison = self.send(queue, "this is not an event")
        d = self.daemon(queue, protocol)
        d.start()
        wait_for(lambda: self.feed(d)["committed"] >= len(bodies) + 1,
                 what="every message committed")
        wait_for(lambda: self.queue_counts(queue) == (0, 0),
                 what="the queue to be empty")
        self.assertEqual(self.stored_ids(d), want)
        db = sqlite3.connect(d.database)
        self.assertEqual(db.execute("SELECT count(*) FROM events")
                         .fetchone()[0], len(want))
        db.close()
        f = self.feed(d)
        self.assertEqual(f["errors"], 0, f)
        self.assertEqual(f["committed"], len(bodies) + 1, f)
        self.assertEqual(f["state"], "running")
        self.assertEqual(f["protocol"], protocol)
        self.assertEqual(f["dead_lettered"], 1)
        # SQS delivers at least once (moto too, to concurrent polls): a
        # message that comes twice is known, stored once, deleted again.
        self.assertEqual(f["received"], f["committed"] + f["duplicates"], f)
        self.assertEqual(f["deleted"], f["received"], f)
        db = sqlite3.connect(d.database)
        rows = db.execute("SELECT message_id, reason, body FROM "
                          "dead_letters").fetchall()
        db.close()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], poison)
        self.assertIn("JSON", rows[0][1])
        self.assertEqual(rows[0][2], b"this is not an event")
        # The client sees the same events.
        out = json.loads(d.ctl("-o", "json", "events", "--limit", "1000",
                               check=0).stdout)
        self.assertEqual({e["event_id"] for e in out}, want)
        self.assertEqual(d.stop(), 0, d.read_log())

    def test_json_protocol(self):
        self.run_protocol("json")

    def test_query_protocol(self):
        self.run_protocol("query")

    def test_reload_changes_feed(self):
        queue = self.make_queue()
        d = Daemon(self, extra_env=self.moto.env(), config=(
            "feeds:\n  - name: q\n    type: aws-sqs\n    queue_url: %s\n"
            "    region: eu-west-1\n    endpoint: http://127.0.0.1:1\n"
            "    wait_time: 1s\n" % queue))
        d.start()
        wait_for(lambda: self.feed(d)["state"] == "backoff",
                 what="the feed to back off")
        f = self.feed(d)
        self.assertGreater(f["errors"], 0)
        self.assertIn("127.0.0.1", f["last_error"])
        # Point it at moto: a reload restarts the changed feed.
        body = sample_messages()[0]
        self.send(queue, body)
        d.write_config(
            "feeds:\n  - name: q\n    type: aws-sqs\n    queue_url: %s\n"
            "    region: eu-west-1\n    endpoint: %s\n    wait_time: 1s\n"
            % (queue, self.moto.url))
        self.assertEqual(d.ctl("reload").returncode, 0)
        wait_for(lambda: self.feed(d)["committed"] == 1,
                 what="the message, after the reload")
        self.assertEqual(self.stored_ids(d), expected_ids(body))
        self.assertEqual(d.stop(), 0)

    def test_kill_before_commit(self):
        """Received, not committed, vigild killed: the messages come again
        and each event is stored once."""
        # However slow the machine, the messages are not redriven, nor
        # taken for poison, while the database is held.
        queue = self.make_queue(visibility=2, max_receives=1000)
        bodies = sample_messages()[:5]
        want = set()
        for b in bodies:
            want |= expected_ids(b)
            self.send(queue, b)
        d = self.daemon(queue)
        with open(d.config_path, "a") as f:
            f.write("poison_receive_count: 1000\n")
        # Another writer holds the database: commits wait, then fail.
        sqlite_dir = d.database
        sqlite3.connect(sqlite_dir).close()
        d.start()
        blocker = sqlite3.connect(d.database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        self.send(queue, sample_messages()[5])
        want |= expected_ids(sample_messages()[5])
        wait_for(lambda: self.queue_counts(queue)[1] >= 1,
                 what="vigild to receive the message")
        d.proc.kill()
        d.wait_exit()
        blocker.execute("ROLLBACK")
        blocker.close()
        d.start()
        wait_for(lambda: self.queue_counts(queue) == (0, 0),
                 what="the queue to be empty after the restart")
        wait_for(lambda: self.stored_ids(d) == want,
                 what="every event stored")
        db = sqlite3.connect(d.database)
        self.assertEqual(db.execute("SELECT count(*) FROM events").fetchone()
                         [0], len(want))
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0],
                         "ok")
        db.close()
        self.assertEqual(d.stop(), 0)

    def test_s3_notification_fetches_log_file(self):
        log = os.path.join(SRCDIR, "tests", "data", "integration", "logs",
                           "cloudtrail-log.json")
        with open(log, "rb") as f:
            raw = f.read()
        records = json.loads(raw)["Records"]
        want = {r["eventID"] for r in records if r.get("readOnly") is not True}
        self.assertGreater(len(want), 0)
        self.moto.aws("s3api", "create-bucket", "--bucket", "org-trail-logs",
                      "--create-bucket-configuration",
                      "LocationConstraint=eu-west-1")
        key = "AWSLogs/o-abc/%s/CloudTrail/eu-west-1/2026/11/29/log+1.json.gz" \
            % ACCOUNT
        gz = os.path.join(self.moto.dir, "log.json.gz")
        with gzip.open(gz, "wb") as f:
            f.write(raw)
        self.moto.aws("s3api", "put-object", "--bucket", "org-trail-logs",
                      "--key", key, "--body", gz)
        queue = self.make_queue()
        # An S3 event notification encodes the key (' ' as '+', '+' as %2B).
        note = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3",
            "awsRegion": "eu-west-1", "eventTime": "2026-11-29T10:00:00Z",
            "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0",
                   "bucket": {"name": "org-trail-logs",
                              "arn": "arn:aws:s3:::org-trail-logs"},
                   "object": {"key": key.replace("+", "%2B"),
                              "size": os.path.getsize(gz)}}}]}
        self.send(queue, sns_wrap(json.dumps(note)))
        d = self.daemon(queue, extra="    s3_endpoint: %s\n" % self.moto.url)
        d.start()
        wait_for(lambda: self.feed(d)["committed"] == 1,
                 what="the notification committed")
        f = self.feed(d)
        self.assertEqual(f["s3_objects_fetched"], 1, f.get("last_error"))
        self.assertEqual(self.stored_ids(d), want)
        self.assertEqual(d.stop(), 0)


class Outage(unittest.TestCase):

    def test_endpoint_down_then_back(self):
        """SQS unreachable at start: the feed backs off, and recovers by
        itself once the endpoint answers."""
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        queue = "%s/%s/vigil-events" % (url, ACCOUNT)
        d = Daemon(self, extra_env=Moto.base_env(), config=(
            "feeds:\n  - name: q\n    type: aws-sqs\n    queue_url: %s\n"
            "    region: eu-west-1\n    endpoint: %s\n    wait_time: 1s\n"
            % (queue, url)))
        d.start()
        wait_for(lambda: d.status()["feeds"][0]["errors"] >= 2,
                 what="the feed to fail twice")
        f = d.status()["feeds"][0]
        self.assertEqual(f["state"], "backoff")
        self.assertIn("127.0.0.1", f["last_error"])
        moto = Moto(self, port=port)
        self.assertEqual(moto.aws("sqs", "create-queue", "--queue-name",
                                  "vigil-events")["QueueUrl"], queue)
        body = sample_messages()[0]
        moto.aws("sqs", "send-message", "--queue-url", queue,
                 "--message-body", body)
        wait_for(lambda: d.status()["feeds"][0]["committed"] == 1,
                 timeout=90, what="the feed to recover and commit")
        self.assertEqual(d.status()["feeds"][0]["state"], "running")
        self.assertEqual(d.stop(), 0)


class Accounts(unittest.TestCase):

    def test_assume_role_per_account(self):
        moto = Moto(self)
        moto.aws("iam", "create-role", "--role-name", "VigilAudit",
                 "--assume-role-policy-document", json.dumps({
                     "Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow",
                         "Principal": {"AWS": ACCOUNT},
                         "Action": "sts:AssumeRole"}]}))
        d = Daemon(self, extra_env=moto.env())
        secret = "ext-id-0123456789abcdef"
        with open(os.path.join(d.dir, "external-id"), "w") as f:
            f.write(secret + "\n")
        d.write_config(
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    name: audit\n"
            "    role_arn: arn:aws:iam::%s:role/VigilAudit\n"
            "    external_id_file: %s/external-id\n"
            "    endpoint: %s\n"
            "  - provider: aws\n"
            "    id: \"111111111111\"\n"
            "    endpoint: %s\n"
            % (ACCOUNT, ACCOUNT, d.dir, moto.url, moto.url))
        d.start()
        wait_for(lambda: all(a["state"] != "checking"
                             for a in d.status()["accounts"]),
                 what="both accounts checked")
        audit, other = d.status()["accounts"]
        self.assertEqual(audit["state"], "ok", audit.get("error"))
        self.assertEqual(audit["name"], "audit")
        self.assertRegex(audit["caller_arn"],
                         r"^arn:aws:sts::%s:assumed-role/VigilAudit/vigil$"
                         % ACCOUNT)
        self.assertTrue(audit["credentials"]["temporary"])
        self.assertIsNotNone(audit["credentials"]["expires_at"])
        # The base credentials belong to moto's account, not this one.
        self.assertEqual(other["state"], "error")
        self.assertIn("not 111111111111", other["error"])
        # No secret anywhere a user can see.
        text = d.ctl("-o", "json", "status", check=0).stdout
        for s in (secret, Moto.KEY + "\"", "SecretAccessKey"):
            self.assertNotIn(s, text)
        self.assertNotIn(secret, d.read_log())
        self.assertEqual(d.stop(), 0)


class Signatures(unittest.TestCase):

    def test_moto_verifies_signatures(self):
        # The first three actions create a user and its keys; from then on
        # moto checks every request's SigV4 signature and IAM permissions.
        moto = Moto(self, auth_after=3)
        moto.aws("iam", "create-user", "--user-name", "vigil")
        moto.aws("iam", "put-user-policy", "--user-name", "vigil",
                 "--policy-name", "all", "--policy-document", json.dumps({
                     "Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow", "Action": "*",
                         "Resource": "*"}]}))
        key = moto.aws("iam", "create-access-key", "--user-name",
                       "vigil")["AccessKey"]
        moto.access_key = key["AccessKeyId"]
        moto.secret_key = key["SecretAccessKey"]
        queue = moto.aws("sqs", "create-queue", "--queue-name",
                         "q")["QueueUrl"]
        body = sample_messages()[0]
        moto.aws("sqs", "send-message", "--queue-url", queue,
                 "--message-body", body)

        for protocol in ("json", "query"):
            # A wrong secret is refused: verification is on.
            env = moto.env()
            env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
            bad = Daemon(self, extra_env=env, config=(
                "feeds:\n  - name: q\n    type: aws-sqs\n    queue_url: %s\n"
                "    region: eu-west-1\n    endpoint: %s\n    protocol: %s\n"
                "    wait_time: 1s\n" % (queue, moto.url, protocol)))
            bad.start()
            wait_for(lambda: bad.status()["feeds"][0]["errors"] > 0,
                     what="the refusal")
            self.assertRegex(bad.status()["feeds"][0]["last_error"],
                             "403|Signature|InvalidClientTokenId")
            self.assertEqual(bad.stop(), 0)

        good = Daemon(self, extra_env=moto.env(), config=(
            "feeds:\n  - name: q\n    type: aws-sqs\n    queue_url: %s\n"
            "    region: eu-west-1\n    endpoint: %s\n    wait_time: 1s\n"
            % (queue, moto.url)))
        good.start()
        wait_for(lambda: good.status()["feeds"][0]["committed"] == 1,
                 what="the message, signed")
        f = good.status()["feeds"][0]
        self.assertEqual(f["errors"], 0, f.get("last_error"))
        self.assertEqual(good.stop(), 0)


if __name__ == "__main__":
    main()
