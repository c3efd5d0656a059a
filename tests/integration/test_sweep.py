"""Sweeps and refreshes under faults moto cannot make, against
tests/lib/fake_aws.py (a FAKE EC2 endpoint): throttled calls are retried
and the sweep completes; a region that denies access is reported in status
while the others are swept; several events about one asset within the
refresh delay make one describe."""

import copy
import json
import os
import unittest
import uuid

from vigiltest import Daemon, FakeAWS, Moto, SRCDIR, main, wait_for

ACCOUNT = "123456789012"
TEMPLATES = os.path.join(SRCDIR, "tests", "data", "integration", "templates")


def sg_id(i):
    return "sg-%017x" % i      # as the fake names them


class Sweep(unittest.TestCase):

    def daemon(self, fake, regions, extra=""):
        d = Daemon(self, extra_env=Moto.base_env(), config=(
            "api_rate: 1000\n"
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    regions: [%s]\n"
            "    endpoint: %s\n"
            "    types: [AWS::EC2::SecurityGroup, AWS::EC2::Volume]\n%s"
            % (ACCOUNT, ", ".join(regions), fake.url, extra)))
        return d

    def assets(self, d, region):
        out = json.loads(d.ctl("-o", "json", "assets", "--region", region,
                               "--limit", "100000", check=0).stdout)
        return {a["resource_id"] for a in out}

    def test_throttled_calls_retried(self):
        """Every third call throttled (503 RequestLimitExceeded): retried
        with backoff, and the sweep finds every asset."""
        fake = FakeAWS(self, 3000, 2000, throttle=3)
        d = self.daemon(fake, ["us-east-1"])
        d.start()
        wait_for(d.swept, timeout=120, what="the sweep")
        inv = d.status()["inventory"]
        self.assertEqual(inv["failures"], {})
        counts = fake.counts()
        self.assertGreater(counts.get("throttled", 0), 0, counts)
        got = self.assets(d, "us-east-1")
        self.assertEqual(len(got), 5000)
        self.assertIn(sg_id(2999), got)
        self.assertEqual(d.stop(), 0)

    def test_denied_region_reported_others_swept(self):
        fake = FakeAWS(self, 1500, 500, deny_region="eu-west-1")
        d = self.daemon(fake, ["us-east-1", "eu-west-1"])
        d.start()
        wait_for(d.swept, timeout=120, what="the sweep")
        failures = d.status()["inventory"]["failures"]
        self.assertEqual(set(failures), {
            "%s/eu-west-1/AWS::EC2::SecurityGroup" % ACCOUNT,
            "%s/eu-west-1/AWS::EC2::Volume" % ACCOUNT})
        for error in failures.values():
            self.assertIn("UnauthorizedOperation", error)
        self.assertEqual(len(self.assets(d, "us-east-1")), 2000)
        self.assertEqual(self.assets(d, "eu-west-1"), set())
        self.assertIn("collect: %s eu-west-1 AWS::EC2::SecurityGroup: "
                      % ACCOUNT, d.read_log())
        self.assertEqual(d.stop(), 0)

    def test_refreshes_coalesce(self):
        """Three events about one security group within refresh_delay, one
        about another: two describes, not four."""
        with open(os.path.join(TEMPLATES,
                               "AuthorizeSecurityGroupIngress.json")) as f:
            template = json.load(f)
        records = []
        for gid in (sg_id(7), sg_id(7), sg_id(7), sg_id(8)):
            r = copy.deepcopy(template)
            r.pop("errorCode", None)
            r.pop("errorMessage", None)
            r["eventID"] = str(uuid.uuid4())
            r["recipientAccountId"] = ACCOUNT
            r["awsRegion"] = "us-east-1"
            r["readOnly"] = False
            r["requestParameters"]["groupId"] = gid
            records.append(r)
        fake = FakeAWS(self, 10, 0)
        d = self.daemon(fake, ["us-east-1"], extra=(
            "sweep_at_start: false\n"
            "refresh_delay: 2s\n"
            "feeds:\n"
            "  - name: trail\n"
            "    type: file\n"
            "    path: %s\n" % os.path.join(self.id() + ".json")))
        log = os.path.join(d.dir, "trail.json")
        with open(log, "w") as f:
            json.dump({"Records": records}, f)
        with open(d.config_path) as f:
            text = f.read().replace(self.id() + ".json", log)
        d.write_config(replace=text)
        d.start()
        try:
            wait_for(lambda: self.assets(d, "us-east-1") == {sg_id(7),
                                                              sg_id(8)},
                     what="both groups described")
        except AssertionError as e:
            # What the fake answered and what vigild says it is doing.
            raise AssertionError("%s\nfake: %s\ninventory: %s" % (
                e, fake.counts(), d.status()["inventory"])) from None
        wait_for(lambda: d.status()["inventory"]["refreshes_done"] == 2,
                 what="the refreshes counted")
        self.assertEqual(fake.counts().get("DescribeSecurityGroups"), 2)
        hist = json.loads(d.ctl("-o", "json", "asset", sg_id(7),
                                "--history", check=0).stdout)
        self.assertEqual(len(hist["versions"]), 1)
        self.assertIn(hist["versions"][0]["event_id"],
                      {r["eventID"] for r in records[:3]})
        self.assertEqual(d.stop(), 0)

    def test_event_relists_the_region(self):
        """${all} in the event map: an event that does not name its asset
        makes vigild list the type in the region again; what is missing
        is tombstoned, caused by that event."""
        fake = FakeAWS(self, 10, 0)
        d = self.daemon(fake, ["us-east-1"])
        evmap = os.path.join(d.dir, "events.yaml")
        with open(evmap, "w") as f:
            f.write("map:\n"
                    "  - source: ec2.amazonaws.com\n"
                    "    type: AWS::EC2::SecurityGroup\n"
                    "    refresh:\n"
                    "      DeleteSecurityGroup: [\"${all}\"]\n")
        with open(d.config_path) as f:
            text = f.read()
        text = text.replace("event_map: " + os.path.join(
            SRCDIR, "rules", "aws", "events.yaml"), "event_map: " + evmap)
        d.write_config(replace=text)
        d.start()
        wait_for(d.swept, timeout=60, what="the sweep")
        self.assertEqual(len(self.assets(d, "us-east-1")), 10)

        fake.set(sgs=8)
        rec = {"eventVersion": "1.08", "eventID": str(uuid.uuid4()),
               "eventTime": "2026-11-29T10:00:00Z",
               "eventSource": "ec2.amazonaws.com",
               "eventName": "DeleteSecurityGroup", "awsRegion": "us-east-1",
               "recipientAccountId": ACCOUNT, "readOnly": False,
               "eventType": "AwsApiCall",
               "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT,
                                "arn": "arn:aws:iam::%s:user/alice"
                                % ACCOUNT},
               "requestParameters": {"groupName": "web-9"},
               "responseElements": {"_return": True}}
        log = os.path.join(d.dir, "trail.json")
        with open(log, "w") as f:
            json.dump({"Records": [rec]}, f)
        d.write_config(replace=text + "refresh_delay: 0s\nfeeds:\n"
                       "  - name: trail\n    type: file\n    path: %s\n"
                       % log)
        self.assertEqual(d.ctl("reload").returncode, 0)
        wait_for(lambda: len(self.assets(d, "us-east-1")) == 8,
                 what="the missing groups tombstoned")
        self.assertEqual(self.assets(d, "us-east-1"),
                         {sg_id(i) for i in range(8)})
        hist = json.loads(d.ctl("-o", "json", "asset", sg_id(9),
                                "--history", check=0).stdout)
        last = hist["versions"][-1]
        self.assertEqual(last["event_id"], rec["eventID"])
        self.assertEqual(last["actor"], rec["userIdentity"]["arn"])
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
