"""bench-sweep: a sweep of a large inventory, first and again.

vigild sweeps one account whose EC2 endpoint is tests/lib/fake_aws.py (a
fake: moto cannot hold this many resources) with N security groups and N
volumes, every rule pack of rules/aws loaded.  Measured: the first sweep
(every asset new: stored, evaluated), a second one (nothing changed), the
peak resident memory of vigild, and the database's bytes per asset.
Prints a table and writes $VIGIL_BENCH_DIR/sweep.json.

    VIGIL_BENCH_SWEEP_ASSETS=100000 (both types together)
"""

import datetime
import json
import os
import sqlite3
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from vigiltest import Daemon, FakeAWS, Moto, SRCDIR, wait_for  # noqa: E402

ASSETS = int(os.environ.get("VIGIL_BENCH_SWEEP_ASSETS", "100000"))
ACCOUNT = "123456789012"


def when(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Bench(unittest.TestCase):

    def test_bench(self):
        url = FakeAWS(self, ASSETS // 2, ASSETS - ASSETS // 2).url
        d = Daemon(self, extra_env=Moto.base_env(), config=(
            "api_rate: 1000\n"
            "reconcile_interval: 30d\n"
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
            inv = wait_for(finished, timeout=3600, interval=0.2,
                           what="the sweep")
            return inv, (when(inv["sweep_finished"]) -
                         when(inv["sweep_started"])).total_seconds()

        inv, first = sweep()
        self.assertEqual(inv["failures"], {})
        rss_first = peak_rss_kib(d.proc.pid)
        d.ctl("scan", check=0)
        inv, again = sweep(after=inv["sweep_finished"])
        rss = peak_rss_kib(d.proc.pid)

        db = sqlite3.connect(d.database)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assets = db.execute("SELECT count(*) FROM assets WHERE deleted_at "
                            "IS NULL").fetchone()[0]
        violations = db.execute("SELECT count(*) FROM violations WHERE "
                                "state = 'open'").fetchone()[0]
        db.close()
        size = os.path.getsize(d.database)
        self.assertEqual(assets, ASSETS)
        self.assertEqual(d.stop(), 0)

        rows = [
            ("first sweep (all new)", first, assets / first),
            ("second sweep (unchanged)", again, assets / again),
        ]
        print("\n  %d assets (%d security groups, %d volumes), %d open "
              "violations" % (assets, ASSETS // 2, ASSETS - ASSETS // 2,
                              violations))
        print("\n  %-26s %10s %12s" % ("sweep", "seconds", "assets/s"))
        for name, secs, rate in rows:
            print("  %-26s %10.1f %12.0f" % (name, secs, rate))
        print("\n  peak RSS after the first sweep  %8.1f MiB"
              % (rss_first / 1024))
        print("  peak RSS after the second       %8.1f MiB" % (rss / 1024))
        print("  database                        %8.1f MiB, %d bytes/asset"
              % (size / 1048576, size // assets))
        print("\n  (the fake endpoint and vigild share this machine's two "
              "cores)")
        out = os.path.join(os.environ.get("VIGIL_BENCH_DIR", "."),
                           "sweep.json")
        with open(out, "w") as f:
            json.dump({"benchmark": "sweep", "assets": assets,
                       "open_violations": violations,
                       "first_sweep_seconds": first,
                       "second_sweep_seconds": again,
                       "first_sweep_assets_per_second": assets / first,
                       "second_sweep_assets_per_second": assets / again,
                       "peak_rss_kib": rss,
                       "peak_rss_kib_first_sweep": rss_first,
                       "database_bytes": size,
                       "database_bytes_per_asset": size / assets},
                      f, indent=2)


if __name__ == "__main__":
    unittest.main(verbosity=1)
