"""bench-sqs: messages a second through moto's SQS, end to end.

N real EventBridge messages (recorded CloudTrail events, each given its own
event id) are put in a moto queue with boto3; then vigild starts with an
aws-sqs feed on it, and the clock runs until every message is committed
and deleted.  Run by `make bench` with the Python that has moto and boto3.
Prints a table and writes $VIGIL_BENCH_DIR/sqs.json.
"""

import glob
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
from vigiltest import Daemon, Moto, SRCDIR, wait_for  # noqa: E402

import boto3  # noqa: E402

MESSAGES = int(os.environ.get("VIGIL_BENCH_SQS_MESSAGES", "5000"))


def bodies(n):
    samples = []
    for path in sorted(glob.glob(os.path.join(SRCDIR, "tests", "data",
                                              "integration",
                                              "event-cloud-trail-*.json"))):
        with open(path) as f:
            d = json.load(f)
        if d.get("detail-type") == "AWS API Call via CloudTrail":
            samples.append(d)
    for i in range(n):
        d = samples[i % len(samples)]
        d["id"] = str(uuid.uuid4())
        d["detail"]["eventID"] = str(uuid.uuid4())
        yield json.dumps(d)


class Bench(unittest.TestCase):
    results = {}

    def fill(self):
        moto = Moto(self)
        sqs = boto3.client("sqs", endpoint_url=moto.url,
                           region_name=Moto.REGION,
                           aws_access_key_id=Moto.KEY,
                           aws_secret_access_key=Moto.KEY)
        queue = sqs.create_queue(QueueName="bench")["QueueUrl"]
        batch = []
        for i, b in enumerate(bodies(MESSAGES)):
            batch.append({"Id": str(i % 10), "MessageBody": b})
            if len(batch) == 10:
                sqs.send_message_batch(QueueUrl=queue, Entries=batch)
                batch = []
        if batch:
            sqs.send_message_batch(QueueUrl=queue, Entries=batch)
        return moto, sqs, queue

    def run_boto3(self):
        """The peer's own ceiling: boto3 receiving and deleting, serially,
        doing nothing with the messages."""
        moto, sqs, queue = self.fill()
        t0 = time.monotonic()
        n = 0
        while n < MESSAGES:
            msgs = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1,
                                       MaxNumberOfMessages=10).get(
                                           "Messages", [])
            if msgs:
                sqs.delete_message_batch(QueueUrl=queue, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(msgs)])
            n += len(msgs)
        secs = time.monotonic() - t0
        moto.stop()
        return secs

    def run_one(self, protocol, concurrency):
        moto, sqs, queue = self.fill()
        d = Daemon(self, extra_env=moto.env(), config=(
            "feeds:\n  - name: bench\n    type: aws-sqs\n"
            "    queue_url: %s\n    region: eu-west-1\n    endpoint: %s\n"
            "    protocol: %s\n    concurrency: %d\n    wait_time: 1s\n"
            % (queue, moto.url, protocol, concurrency)))
        t0 = time.monotonic()
        d.start()

        def done():
            f = d.status()["feeds"][0]
            return f["committed"] >= MESSAGES and f["deleted"] >= MESSAGES
        wait_for(done, timeout=1800, interval=0.05,
                 what="%d messages committed and deleted" % MESSAGES)
        secs = time.monotonic() - t0
        f = d.status()["feeds"][0]
        self.assertEqual(f["events_stored"], MESSAGES)
        d.stop()
        moto.stop()
        return secs

    def test_bench(self):
        rows = []
        secs = self.run_boto3()
        rows.append({"protocol": "boto3 loop (ceiling)", "concurrency": 1,
                     "messages": MESSAGES, "seconds": round(secs, 3),
                     "messages_per_second": round(MESSAGES / secs, 1)})
        for protocol, conc in (("json", 2), ("json", 8), ("query", 8)):
            secs = self.run_one(protocol, conc)
            rows.append({"protocol": "vigild " + protocol,
                         "concurrency": conc,
                         "messages": MESSAGES, "seconds": round(secs, 3),
                         "messages_per_second":
                         round(MESSAGES / secs, 1)})
        print("\n  %-22s %11s %9s %9s %12s" % (
            "client", "concurrency", "messages", "seconds", "msgs/s"))
        for r in rows:
            print("  %-22s %11d %9d %9.2f %12.1f" % (
                r["protocol"], r["concurrency"], r["messages"],
                r["seconds"], r["messages_per_second"]))
        print("\n  (vigild and moto share this machine's two cores; vigild "
              "counts from its start to the last delete)")
        out = os.path.join(os.environ.get("VIGIL_BENCH_DIR", "."),
                           "sqs.json")
        with open(out, "w") as f:
            json.dump({"benchmark": "sqs", "results": rows}, f, indent=2)


if __name__ == "__main__":
    unittest.main(verbosity=1)
