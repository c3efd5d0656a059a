"""bench-sweep: sweeps of large inventories, and events followed in them.

vigild sweeps one account whose EC2 endpoint is tests/lib/fake_aws.py (a
fake: moto cannot hold this many resources) with N/2 security groups and
N/2 volumes, every rule pack of rules/aws loaded.  Measured, for each N:
the first sweep (every asset new: stored, evaluated), a second one
(nothing changed), then the cost of one CloudTrail event followed (the
group described again, stored, evaluated), the peak resident memory of
vigild, and the database's bytes per asset.  Prints a table and writes
$VIGIL_BENCH_DIR/sweep.json.

    VIGIL_BENCH_SWEEP_SIZES=10000,100000   (1000000 takes some minutes)
    VIGIL_BENCH_SWEEP_EVENTS=200
"""

import datetime
import json
import os
import sqlite3
import sys
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from vigiltest import Daemon, FakeAWS, Moto, SRCDIR, wait_for  # noqa: E402

SIZES = [int(n) for n in os.environ.get("VIGIL_BENCH_SWEEP_SIZES",
                                         "10000,100000").split(",")]
EVENTS = int(os.environ.get("VIGIL_BENCH_SWEEP_EVENTS", "200"))
ACCOUNT = "123456789012"


def when(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def record(i):
    """An AuthorizeSecurityGroupIngress record about the fake's group i."""
    return {"eventVersion": "1.08", "eventID": str(uuid.uuid4()),
            "eventTime": "2026-11-29T10:00:00Z",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "AuthorizeSecurityGroupIngress",
            "awsRegion": "us-east-1", "recipientAccountId": ACCOUNT,
            "readOnly": False, "eventType": "AwsApiCall",
            "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT,
                             "arn": "arn:aws:iam::%s:user/bench" % ACCOUNT},
            "requestParameters": {"groupId": "sg-%017x" % i},
            "responseElements": {"_return": True}}


class Bench(unittest.TestCase):

    def inventory(self, assets):
        """Sweep `assets` assets twice, then follow EVENTS events."""
        url = FakeAWS(self, assets // 2, assets - assets // 2).url
        d = Daemon(self, extra_env=Moto.base_env(), config=(
            "api_rate: 1000\n"
            "reconcile_interval: 30d\n"
            "refresh_delay: 0s\n"
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    regions: [us-east-1]\n"
            "    endpoint: %s\n"
            "    types: [AWS::EC2::SecurityGroup, AWS::EC2::Volume]\n"
            % (ACCOUNT, url)))
        with open(d.config_path) as f:
            text = f.read().replace("rules: []", "rules: [%s]" % os.path.join(
                SRCDIR, "rules", "aws"))
        d.write_config(replace=text)
        d.start()

        def sweep(after=None):
            def finished():
                inv = d.status()["inventory"]
                f = inv.get("sweep_finished")
                if f is None or (after is not None and f <= after):
                    return None
                if inv["sweep_jobs_done"] != inv["sweep_jobs"]:
                    return None
                return inv
            inv = wait_for(finished, timeout=7200, interval=0.2,
                           what="the sweep")
            return inv, (when(inv["sweep_finished"]) -
                         when(inv["sweep_started"])).total_seconds()

        inv, first = sweep()
        self.assertEqual(inv["failures"], {})
        rss_first = peak_rss_kib(d.proc.pid)
        d.ctl("scan", check=0)
        inv, again = sweep(after=inv["sweep_finished"])
        rss = peak_rss_kib(d.proc.pid)

        # Events: each about another group, through a file feed.
        log = os.path.join(d.dir, "trail.json")
        with open(log, "w") as f:
            json.dump({"Records": [record(i * 97 % (assets // 2))
                                   for i in range(EVENTS)]}, f)
        before = inv["refreshes_done"]
        d.write_config(replace=text + "feeds:\n  - name: trail\n"
                       "    type: file\n    path: %s\n" % log)
        t0 = time.monotonic()
        self.assertEqual(d.ctl("reload", timeout=600).returncode, 0)
        reload_s = time.monotonic() - t0
        wait_for(lambda: d.status()["inventory"]["refreshes_done"] >=
                 before + EVENTS, timeout=600, interval=0.01,
                 what="the events' refreshes")
        per_event = (time.monotonic() - t0) / EVENTS

        db = sqlite3.connect(d.database)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = db.execute("SELECT count(*) FROM assets WHERE deleted_at "
                            "IS NULL").fetchone()[0]
        violations = db.execute("SELECT count(*) FROM violations WHERE "
                                "state = 'open'").fetchone()[0]
        db.close()
        size = os.path.getsize(d.database)
        self.assertEqual(stored, assets)
        self.assertEqual(d.stop(), 0)
        return {"assets": assets, "open_violations": violations,
                "first_sweep_seconds": first,
                "second_sweep_seconds": again,
                "first_sweep_assets_per_second": assets / first,
                "second_sweep_assets_per_second": assets / again,
                "event_ms": per_event * 1000, "reload_seconds": reload_s,
                "peak_rss_kib": rss, "peak_rss_kib_first_sweep": rss_first,
                "database_bytes": size,
                "database_bytes_per_asset": size / assets}

    def test_bench(self):
        rows = [self.inventory(n) for n in SIZES]
        print("\n  %10s %12s %12s %12s %10s %10s %11s" % (
            "assets", "1st sweep s", "2nd sweep s", "1st assets/s",
            "event ms", "peak MiB", "bytes/asset"))
        for r in rows:
            print("  %10d %12.1f %12.1f %12.0f %10.2f %10.1f %11.0f" % (
                r["assets"], r["first_sweep_seconds"],
                r["second_sweep_seconds"],
                r["first_sweep_assets_per_second"], r["event_ms"],
                r["peak_rss_kib"] / 1024, r["database_bytes_per_asset"]))
        print("\n  event ms: one CloudTrail event followed (%d, through a "
              "file feed): describe, store, evaluate; its growth with the "
              "inventory's size is the ratio of the rows.\n  (the fake "
              "endpoint and vigild share this machine's two cores)"
              % EVENTS)
        out = os.path.join(os.environ.get("VIGIL_BENCH_DIR", "."),
                           "sweep.json")
        with open(out, "w") as f:
            json.dump({"benchmark": "sweep", "events": EVENTS,
                       "inventories": rows}, f, indent=2)


if __name__ == "__main__":
    unittest.main(verbosity=1)
