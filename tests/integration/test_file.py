"""The file feed: CloudTrail logs replayed in time order, stored once,
remembered; and the events as vigilctl shows them."""

import glob
import gzip
import json
import os
import shutil
import sqlite3
import unittest

from vigiltest import Daemon, SHARED, SRCDIR, main, wait_for

LOG = os.path.join(SRCDIR, "tests", "data", "integration", "logs",
                   "cloudtrail-log.json")
CORPUS = os.path.join(SHARED, "testdata", "cloudtrail",
                      "invictus-ir-aws_dataset")


def writes(records):
    """Records that are not read-only: what vigild keeps by default."""
    return [r for r in records if r.get("readOnly") is not True]


class Replay(unittest.TestCase):

    def daemon(self, path, extra=""):
        return Daemon(self, config=(
            "feeds:\n  - name: replay\n    type: file\n    path: %s\n%s"
            % (path, extra)))

    def feed(self, d):
        return d.status()["feeds"][0]

    def test_log_file_gzip_and_lines(self):
        d = self.daemon("logs")
        logs = os.path.join(d.dir, "logs")
        os.makedirs(os.path.join(logs, "2023", "07"))
        with open(LOG) as f:
            records = json.load(f)["Records"]
        half = len(records) // 2
        # The same records, as a gzip'd log file and as JSON Lines.
        with gzip.open(os.path.join(logs, "2023", "07", "a.json.gz"),
                       "wt") as f:
            json.dump({"Records": records[:half]}, f)
        with open(os.path.join(logs, "2023", "b.jsonl"), "w") as f:
            for r in records[half:]:
                f.write(json.dumps(r) + "\n")
        with open(os.path.join(logs, "notes.txt"), "w") as f:
            f.write("not a log\n")
        d.start()
        wait_for(lambda: self.feed(d)["state"] == "idle",
                 what="the replay to finish")
        f = self.feed(d)
        self.assertEqual(f["files"], 2)
        self.assertEqual(f["events_total"], len(records))
        want = {r["eventID"] for r in writes(records)}
        db = sqlite3.connect(d.database)
        got = {r[0] for r in db.execute("SELECT event_id FROM events")}
        times = [r[0] for r in db.execute("SELECT time FROM events ORDER "
                                          "BY id")]
        db.close()
        self.assertEqual(got, want)
        # Replayed in time order: stored in time order.
        self.assertEqual(times, sorted(times))

        # vigilctl events, filtered, newest first.
        out = json.loads(d.ctl("-o", "json", "events", "--limit", "1000",
                               check=0).stdout)
        self.assertEqual(len(out), len(want))
        self.assertEqual([e["time"] for e in out],
                         sorted((e["time"] for e in out), reverse=True))
        one = writes(records)[0]
        named = json.loads(d.ctl("-o", "json", "events", "--name",
                                 one["eventName"], check=0).stdout)
        self.assertTrue(named)
        self.assertTrue(all(e["name"] == one["eventName"] for e in named))
        self.assertEqual(json.loads(d.ctl(
            "-o", "json", "events", "--account", "000000000000",
            check=0).stdout), [])
        self.assertEqual(json.loads(d.ctl(
            "-o", "json", "events", "--since", "1h", check=0).stdout), [])
        ev = json.loads(d.ctl("-o", "json", "event", one["eventID"],
                              check=0).stdout)
        self.assertEqual(ev["raw"], one)
        self.assertEqual(ev["actor_arn"], one["userIdentity"].get("arn"))
        table = d.ctl("event", one["eventID"], check=0).stdout
        self.assertIn("raw record:", table)
        p = d.ctl("event", "no-such-event")
        self.assertEqual(p.returncode, 5)
        self.assertIn("no event with id no-such-event", p.stderr)

        # Restarted, it does not replay the same files again.
        self.assertEqual(d.stop(), 0)
        d.start()
        wait_for(lambda: self.feed(d)["state"] == "idle",
                 what="the second start to settle")
        f = self.feed(d)
        self.assertEqual(f["files_replayed_before"], 2)
        self.assertEqual(f["events_total"], 0)
        self.assertEqual(d.stop(), 0)

    def test_bad_file_kept_as_dead_letter(self):
        d = self.daemon("logs")
        logs = os.path.join(d.dir, "logs")
        os.makedirs(logs)
        shutil.copy(LOG, os.path.join(logs, "good.json"))
        with open(os.path.join(logs, "bad.json"), "w") as f:
            f.write('{"Records": [ {"eventID": ')
        d.start()
        wait_for(lambda: self.feed(d)["state"] == "idle",
                 what="the replay to finish")
        f = self.feed(d)
        self.assertEqual(f["bad_files"], 1)
        self.assertEqual(f["dead_lettered"], 1)
        db = sqlite3.connect(d.database)
        rows = db.execute("SELECT message_id, reason FROM "
                          "dead_letters").fetchall()
        db.close()
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0][0].endswith("bad.json"))
        self.assertIn("malformed JSON", rows[0][1])
        self.assertEqual(d.stop(), 0)

    def test_corpus(self):
        """The whole invictus-ir dataset: every write, once."""
        if not os.path.isdir(CORPUS):
            self.skipTest("shared corpus absent: %s" % CORPUS)
        records = []
        for path in glob.glob(os.path.join(CORPUS, "**", "*.json"),
                              recursive=True):
            with open(path) as f:
                records += json.load(f)["Records"]
        d = self.daemon(CORPUS)
        d.start()
        wait_for(lambda: self.feed(d)["state"] == "idle",
                 what="the corpus replay")
        want = {r["eventID"] for r in writes(records)}
        db = sqlite3.connect(d.database)
        got = {r[0] for r in db.execute("SELECT event_id FROM events")}
        db.close()
        self.assertEqual(got, want)
        st = d.status()
        self.assertEqual(st["counts"]["events_received"], len(records))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
