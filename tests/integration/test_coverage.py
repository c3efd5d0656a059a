"""vigild -E: the event map's coverage of CloudTrail logs.  The counts are
checked against an independent reading of the same files in Python, and
the unmapped names against a map the test writes itself."""

import collections
import glob
import gzip
import json
import os
import re
import shutil
import unittest

from vigiltest import Daemon, SHARED, SRCDIR, main

DATA = os.path.join(SRCDIR, "tests", "data", "integration")
CORPUS = os.path.join(SHARED, "testdata", "cloudtrail")
READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup")


def records(path):
    """The CloudTrail records of a log file, an EventBridge event or a
    bare record."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt") as f:
            d = json.load(f)
    except ValueError:
        return []
    if isinstance(d, dict) and isinstance(d.get("Records"), list):
        return d["Records"]
    if isinstance(d, list):
        return d        # an array of records, as some tools save them
    if isinstance(d, dict) and "eventName" in d.get("detail", {}):
        return [d["detail"]]
    if isinstance(d, dict) and "eventName" in d and "eventSource" in d:
        return [d]      # one record, as CloudTrail Lake exports them
    return []


def successful_writes(paths):
    """(source, name) of every successful, mutating API call."""
    out = collections.Counter()
    for p in paths:
        for r in records(p):
            if not isinstance(r, dict) or "eventName" not in r or \
                    "eventSource" not in r:
                continue
            if r.get("eventType") == "AwsConsoleSignIn":
                continue
            if r.get("errorCode"):
                continue
            ro = r.get("readOnly")
            if isinstance(ro, str):
                ro = ro.lower() == "true"
            if ro is None:
                ro = r["eventName"].startswith(READ_PREFIXES)
            if not ro:
                out[(r["eventSource"], r["eventName"])] += 1
    return out


def parse(stdout):
    """The counts vigild -E prints, and its unmapped names."""
    m = re.search(r"files read: (\d+) \((\d+) skipped\); events: (\d+); "
                  r"successful writes: (\d+)", stdout)
    counts = {"files": int(m.group(1)), "skipped": int(m.group(2)),
              "events": int(m.group(3)), "writes": int(m.group(4))}
    m = re.search(r"of services the map knows: (\d+) mapped .* (\d+) "
                  r"unmapped", stdout)
    counts["mapped"], counts["unmapped"] = int(m.group(1)), int(m.group(2))
    unmapped = {}
    section = None
    for line in stdout.splitlines():
        if line.startswith("unmapped, of services the map knows"):
            section = unmapped
        elif line.startswith("of other services:"):
            section = None
        elif section is not None and line.startswith("  "):
            n, key = line.split(None, 1)
            section[tuple(key.split(" ", 1))] = int(n)
    return counts, unmapped


class Coverage(unittest.TestCase):

    def setUp(self):
        self.d = Daemon(self)
        self.inputs = sorted(glob.glob(os.path.join(DATA, "*.json")) +
                             glob.glob(os.path.join(DATA, "logs", "*.json")))
        self.want = successful_writes(self.inputs)
        self.assertGreater(sum(self.want.values()), 10)

    def run_coverage(self, *paths, config=None):
        return self.d.run(["-E", "-c", config or self.d.config_path] +
                          list(paths))

    def test_bundled_events_all_mapped(self):
        """The shipped map covers every write of the bundled events of
        the services it knows."""
        data = os.path.join(self.d.dir, "data")
        os.makedirs(os.path.join(data, "logs"))
        for p in self.inputs:
            dest = os.path.join(data, os.path.relpath(p, DATA))
            with open(p, "rb") as f, gzip.open(dest + ".gz", "wb") as g:
                g.write(f.read())
        # Not a log: skipped quietly when found in a directory.
        with open(os.path.join(data, "README"), "w") as f:
            f.write("not JSON\n")
        p = self.run_coverage(data)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        counts, unmapped = parse(p.stdout)
        self.assertEqual(counts["writes"], sum(self.want.values()))
        self.assertEqual(counts["files"] + counts["skipped"],
                         len(self.inputs))
        self.assertEqual(unmapped, {})
        self.assertNotIn("README", p.stderr)

    def test_unmapped_names_listed(self):
        """With a map of one EC2 event, every other EC2 or S3 write is
        listed as unmapped with its count, and the exit status is 1."""
        ec2 = [k for k in self.want if k[0] == "ec2.amazonaws.com"]
        s3 = [k for k in self.want if k[0] == "s3.amazonaws.com"]
        self.assertTrue(ec2 and s3)
        mapped = ec2[0]
        evmap = os.path.join(self.d.dir, "events.yaml")
        with open(evmap, "w") as f:
            f.write("map:\n"
                    "  - source: ec2.amazonaws.com\n"
                    "    type: AWS::EC2::Volume\n"
                    "    refresh:\n"
                    "      %s: [\"requestParameters.volumeId\"]\n"
                    "  - source: s3.amazonaws.com\n"
                    "    type: AWS::S3::Bucket\n"
                    "    refresh:\n"
                    "      PutBucketAcl: [\"requestParameters.bucketName\"]\n"
                    % mapped[1])
        cfg = os.path.join(self.d.dir, "coverage.yaml")
        with open(self.d.config_path) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(re.sub(r"event_map: .*", "event_map: " + evmap, text))
        p = self.run_coverage(*self.inputs, config=cfg)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        counts, unmapped = parse(p.stdout)
        want = {k: n for k, n in self.want.items()
                if k[0] in ("ec2.amazonaws.com", "s3.amazonaws.com")
                and k != mapped}
        self.assertEqual(unmapped, want)
        self.assertEqual(counts["mapped"], self.want[mapped])
        self.assertEqual(counts["unmapped"], sum(want.values()))

    def test_errors(self):
        p = self.run_coverage(os.path.join(self.d.dir, "missing.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.json: No such file or directory", p.stderr)
        p = self.run_coverage()
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage:", p.stderr)

    def test_corpus(self):
        """Every CloudTrail log of the shared corpus, read in place."""
        if not os.path.isdir(CORPUS):
            self.skipTest("%s is absent: the corpus-wide check needs the "
                          "shared test data" % CORPUS)
        paths = [p for p in glob.glob(os.path.join(CORPUS, "**", "*"),
                                      recursive=True)
                 if ".json" in os.path.basename(p)]
        want = successful_writes(paths)
        p = self.run_coverage(CORPUS)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        counts, unmapped = parse(p.stdout)
        self.assertEqual(counts["files"] + counts["skipped"], len(paths))
        self.assertEqual(counts["writes"], sum(want.values()))
        for key, n in unmapped.items():
            self.assertEqual(n, want[key], key)
        print("corpus: %d files, %d events, %d writes; %d mapped, %d "
              "unmapped" % (counts["files"], counts["events"],
                            counts["writes"], counts["mapped"],
                            counts["unmapped"]))


if __name__ == "__main__":
    main()
