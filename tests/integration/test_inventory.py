"""The inventory and the rules, end to end against moto server: a sweep
finds the resources the AWS CLI made, each document exactly as the CLI
prints it (plus enrichment); the classic rules open violations; real
CloudTrail records (their ids pointed at the moto resources), sent through
SQS, make vigild describe the assets again, keep their history, and open
and resolve violations; a sweep tombstones what is gone."""

import copy
import json
import os
import sqlite3
import unittest
import uuid

from receiver import Receiver
from vigiltest import Daemon, Moto, SRCDIR, main, wait_for

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TEMPLATES = os.path.join(SRCDIR, "tests", "data", "integration", "templates")
RULES = os.path.join(SRCDIR, "rules", "aws", "classic.yaml")
EVENTS = os.path.join(SRCDIR, "rules", "aws", "events.yaml")
VOL_RULE = "aws-ec2-ebs-volume-unencrypted"
BUCKET_RULE = "aws-s3-bucket-public"
SNAP_RULE = "aws-ec2-ebs-snapshot-public"


def template(name, **params):
    """A real CloudTrail record, aimed at moto's resources."""
    with open(os.path.join(TEMPLATES, name + ".json")) as f:
        rec = json.load(f)
    rec = copy.deepcopy(rec)
    rec.pop("errorCode", None)
    rec.pop("errorMessage", None)
    rec["eventID"] = str(uuid.uuid4())
    rec["recipientAccountId"] = ACCOUNT
    rec["awsRegion"] = REGION
    rec["readOnly"] = False
    rec["userIdentity"]["arn"] = "arn:aws:iam::%s:user/alice" % ACCOUNT
    rec["requestParameters"].update(params)
    return rec


def eventbridge(rec):
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + rec["eventSource"].split(".")[0],
        "account": ACCOUNT, "time": rec["eventTime"], "region": REGION,
        "resources": [], "detail": rec})


class Inventory(unittest.TestCase):

    def setUp(self):
        # moto's own 1,166 AMI snapshots would be swept, described and
        # judged in every test (test_collectors sweeps them once).
        self.moto = m = Moto(self, default_amis=False)
        self.queue = m.aws("sqs", "create-queue", "--queue-name",
                           "events")["QueueUrl"]
        vpc = m.aws("ec2", "create-vpc", "--cidr-block",
                    "10.0.0.0/16")["Vpc"]["VpcId"]
        self.sg = m.aws("ec2", "create-security-group", "--group-name",
                        "web", "--description", "web servers",
                        "--vpc-id", vpc)["GroupId"]
        m.aws("ec2", "authorize-security-group-ingress", "--group-id",
              self.sg, "--protocol", "tcp", "--port", "22", "--cidr",
              "0.0.0.0/0")
        self.vol = m.aws("ec2", "create-volume", "--size", "8",
                         "--availability-zone", REGION + "a")["VolumeId"]
        enc = m.aws("ec2", "create-volume", "--size", "8", "--encrypted",
                    "--availability-zone", REGION + "a")["VolumeId"]
        self.enc = enc
        self.snap = m.aws("ec2", "create-snapshot", "--volume-id",
                          enc)["SnapshotId"]
        m.aws("ec2", "modify-snapshot-attribute", "--snapshot-id",
              self.snap, "--attribute", "createVolumePermission",
              "--operation-type", "add", "--group-names", "all")
        m.aws("s3api", "create-bucket", "--bucket", "public-bucket",
              "--create-bucket-configuration",
              "LocationConstraint=" + REGION)
        m.aws("s3api", "put-bucket-acl", "--bucket", "public-bucket",
              "--acl", "public-read")
        m.aws("iam", "create-user", "--user-name", "bob")
        self.rcv = Receiver(self)

        self.d = Daemon(self, extra_env=m.env(), config=(
            "rules: [%s]\n"
            "refresh_delay: 0s\n"
            "api_rate: 500\n"
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    regions: [%s]\n"
            "    endpoint: %s\n"
            # moto has no Access Analyzer (test_collectors checks how
            # a failing service is reported): not worth the retries here.
            "    exclude_types: [AWS::AccessAnalyzer::Analyzer]\n"
            "feeds:\n"
            "  - name: events\n"
            "    type: aws-sqs\n"
            "    queue_url: %s\n"
            "    region: %s\n"
            "    endpoint: %s\n"
            "    wait_time: 1s\n"
            "notify:\n"
            "  - {name: hook, type: webhook, url: '%s/hook'}\n"
            % (RULES, ACCOUNT, REGION, m.url, self.queue, REGION, m.url,
               self.rcv.url)))
        # Replace the base config's "rules: []" with the classic pack.
        with open(self.d.config_path) as f:
            text = f.read().replace("rules: []\n", "", 1)
        self.exceptions_dir = os.path.join(self.d.dir, "exceptions.d")
        text += "exceptions_dir: %s\n" % self.exceptions_dir
        self.d.write_config(replace=text)
        self.d.start()
        wait_for(self.d.swept, timeout=120, what="the initial sweep")

    def asset(self, ref):
        p = self.d.ctl("-o", "json", "asset", ref)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def violations(self, *args):
        # Every one, whatever the listing's default limit.
        return json.loads(self.d.ctl("-o", "json", "violations", "--limit",
                                     "100000", *args, check=0).stdout)

    def send(self, rec):
        self.moto.aws("sqs", "send-message", "--queue-url", self.queue,
                      "--message-body", eventbridge(rec))

    def test_sweep_documents_match_the_cli(self):
        sg = self.asset(self.sg)
        cli = self.moto.aws("ec2", "describe-security-groups",
                            "--group-ids", self.sg)["SecurityGroups"][0]
        self.assertEqual(sg["document"], cli)
        self.assertEqual(sg["type"], "AWS::EC2::SecurityGroup")
        self.assertEqual(sg["account"], ACCOUNT)
        self.assertEqual(sg["region"], REGION)
        vol = self.asset(self.vol)
        self.assertEqual(vol["document"], self.moto.aws(
            "ec2", "describe-volumes", "--volume-ids",
            self.vol)["Volumes"][0])
        snap = self.asset(self.snap)["document"]
        self.assertEqual(snap["CreateVolumePermissions"], [{"Group": "all"}])
        bucket = self.asset("public-bucket")
        self.assertEqual(bucket["region"], REGION)
        self.assertEqual(bucket["document"]["Region"], REGION)
        self.assertIn("Grants", bucket["document"]["Acl"])
        user = self.asset("bob")
        self.assertEqual(user["document"]["UserName"], "bob")
        self.assertEqual(user["region"], "")

    def test_violations_from_the_sweep(self):
        by_rule = {}
        for v in self.violations("--open"):
            by_rule.setdefault(v["rule_id"], set()).add(v["resource_id"])
        self.assertEqual(by_rule.get("aws-ec2-sg-admin-port-open-world"),
                         {self.sg})
        self.assertIn(self.vol, by_rule.get("aws-ec2-ebs-volume-unencrypted",
                                            set()))
        self.assertNotIn(self.enc, by_rule.get(
            "aws-ec2-ebs-volume-unencrypted", set()))
        self.assertEqual(by_rule.get("aws-ec2-ebs-snapshot-public"),
                         {self.snap})
        self.assertEqual(by_rule.get("aws-s3-bucket-public"),
                         {"public-bucket"})

    def test_event_refresh_history_and_resolve(self):
        # Close SSH, then tell vigild the way CloudTrail would.
        self.moto.aws("ec2", "revoke-security-group-ingress", "--group-id",
                      self.sg, "--protocol", "tcp", "--port", "22",
                      "--cidr", "0.0.0.0/0")
        rec = template("RevokeSecurityGroupIngress", groupId=self.sg)
        self.send(rec)
        wait_for(lambda: not [v for v in self.violations("--open")
                              if v["resource_id"] == self.sg],
                 what="the violation to resolve")
        sg = self.asset(self.sg)
        self.assertEqual(sg["document"]["IpPermissions"], [])
        hist = json.loads(self.d.ctl("-o", "json", "asset", self.sg,
                                     "--history", check=0).stdout)
        last = hist["versions"][-1]
        self.assertEqual(last["cause"], "event")
        self.assertEqual(last["event_id"], rec["eventID"])
        self.assertEqual(last["actor"], rec["userIdentity"]["arn"])
        self.assertTrue(any(c["path"].startswith("/IpPermissions")
                            for c in last["changes"]))
        res = [v for v in self.violations("--resolved")
               if v["resource_id"] == self.sg]
        self.assertEqual(len(res), 1)
        tl = json.loads(self.d.ctl("-o", "json", "violation",
                                   str(res[0]["id"]), check=0).stdout)
        self.assertEqual([t["transition"] for t in tl["timeline"]],
                         ["open", "resolve"])
        self.assertEqual(tl["timeline"][1]["event_id"], rec["eventID"])

        # Open it again: a new occurrence, caused by the event.
        self.moto.aws("ec2", "authorize-security-group-ingress",
                      "--group-id", self.sg, "--protocol", "tcp", "--port",
                      "3389", "--cidr", "0.0.0.0/0")
        rec = template("AuthorizeSecurityGroupIngress", groupId=self.sg)
        self.send(rec)
        wait_for(lambda: [v for v in self.violations("--open")
                          if v["resource_id"] == self.sg],
                 what="the violation to open again")
        v = [v for v in self.violations("--open")
             if v["resource_id"] == self.sg][0]
        self.assertEqual(v["occurrence"], 2)
        self.assertEqual(v["opened_event"], rec["eventID"])
        self.assertEqual(v["opened_actor"], rec["userIdentity"]["arn"])

    def test_alerts(self):
        # What the first sweep finds was there before vigil: one summary,
        # not an alert each.
        wait_for(lambda: self.rcv.got("/hook"), what="the summary")
        opened = self.violations("--open")
        got = [r.json for r in self.rcv.got("/hook")]
        self.assertEqual([g["transition"] for g in got], ["summary"])
        summary = got[0]["summary"]
        self.assertEqual(summary["count"], len(opened))
        # The summary lists the first twenty and counts the rest.
        items = {(i["rule"]["id"], i["asset"]["id"])
                 for i in summary["items"]}
        self.assertEqual(len(items), min(len(opened), 20))
        self.assertLessEqual(items, {(v["rule_id"], v["resource_id"])
                                     for v in opened})
        self.assertEqual(summary.get("more", 0), len(opened) - len(items))
        self.assertEqual(sum(summary["by_severity"].values()), len(opened))

        # A change after it alerts at once, naming who and which event.
        self.moto.aws("ec2", "revoke-security-group-ingress", "--group-id",
                      self.sg, "--protocol", "tcp", "--port", "22",
                      "--cidr", "0.0.0.0/0")
        rec = template("RevokeSecurityGroupIngress", groupId=self.sg)
        self.send(rec)
        wait_for(lambda: len(self.rcv.got("/hook")) == 2,
                 what="the resolve alert")
        r = self.rcv.got("/hook")[1].json
        self.assertEqual(r["transition"], "resolve")
        self.assertEqual(r["rule"]["id"], "aws-ec2-sg-admin-port-open-world")
        self.assertEqual(r["asset"]["id"], self.sg)
        self.assertEqual(r["cause"]["event_id"], rec["eventID"])
        self.assertEqual(r["cause"]["actor"], rec["userIdentity"]["arn"])
        self.assertEqual(self.rcv.invalid(), [])

    def hooks(self, transition):
        return [r.json for r in self.rcv.got("/hook")
                if r.json["transition"] == transition]

    def state_of(self, resource_id, rule):
        return {v["state"] for v in self.violations("--all", "--rule", rule)
                if v["resource_id"] == resource_id
                and v["state"] != "resolved"}

    def test_exceptions(self):
        wait_for(lambda: self.hooks("summary"), what="the summary")
        # Through the API: the volume's violation is excepted, and says so.
        p = self.d.ctl("-o", "json", "exceptions", "add", "--rule",
                       "aws-ec2-ebs-*", "--asset", self.vol, "--reason",
                       "scratch volume", "--owner", "ops@example.com",
                       check=0)
        exc = json.loads(p.stdout)
        wait_for(lambda: self.state_of(self.vol, VOL_RULE) == {"excepted"},
                 what="the volume's violation to be excepted")
        wait_for(lambda: self.hooks("excepted"), what="the excepted alert")
        got = self.hooks("excepted")[0]
        self.assertEqual(got["asset"]["id"], self.vol)
        self.assertEqual(got["exception"]["id"], exc["id"])
        self.assertEqual(got["exception"]["reason"], "scratch volume")
        self.assertEqual(got["violation"]["state"], "excepted")
        self.assertEqual(self.violations("--open", "--rule",
                                         "aws-ec2-ebs-volume-unencrypted"),
                         [])
        # Removed: open again, and it alerts.
        self.d.ctl("exceptions", "remove", str(exc["id"]), check=0)
        wait_for(lambda: self.state_of(self.vol, VOL_RULE) == {"open"},
                 what="the volume's violation to open again")
        wait_for(lambda: self.hooks("exception_expired"),
                 what="the exception_expired alert")
        self.assertIsNone(self.hooks("exception_expired")[0]["exception"])
        # vigild answers 404: exit 5.
        self.assertEqual(self.d.ctl("exceptions", "remove",
                                    str(exc["id"])).returncode, 5)

        # From a file, read on reload; an expired one covers nothing.
        os.makedirs(self.exceptions_dir, exist_ok=True)
        with open(os.path.join(self.exceptions_dir, "web.yaml"), "w") as f:
            f.write("exceptions:\n"
                    "  - rule: aws-s3-bucket-public\n"
                    "    asset: public-*\n"
                    "    reason: the public website\n"
                    "    owner: web@example.com\n"
                    "  - rule: aws-ec2-ebs-snapshot-public\n"
                    "    asset: '*'\n"
                    "    reason: long ago\n"
                    "    owner: nobody@example.com\n"
                    "    expires: 2020-01-01\n")
        self.d.ctl("reload", check=0)
        wait_for(lambda: self.state_of("public-bucket", BUCKET_RULE) ==
                 {"excepted"},
                 what="the bucket's violation to be excepted")
        self.assertEqual(self.state_of(self.snap, SNAP_RULE), {"open"})
        live = json.loads(self.d.ctl("-o", "json", "exceptions",
                                     check=0).stdout)
        self.assertEqual([e["rule"] for e in live],
                         ["aws-s3-bucket-public"])
        self.assertTrue(live[0]["source"].startswith("file:"))
        fid = live[0]["id"]
        p = self.d.ctl("exceptions", "remove", str(fid))
        self.assertEqual(p.returncode, 5)
        self.assertIn("file", p.stderr)
        # The file emptied, the exception goes on the next reload.
        os.unlink(os.path.join(self.exceptions_dir, "web.yaml"))
        self.d.ctl("reload", check=0)
        wait_for(lambda: self.state_of("public-bucket", BUCKET_RULE) ==
                 {"open"},
                 what="the bucket's violation to open again")

    def test_delete_by_event_and_by_sweep(self):
        self.moto.aws("ec2", "delete-volume", "--volume-id", self.vol)
        self.send(template("DeleteVolume", volumeId=self.vol))
        wait_for(lambda: self.asset(self.vol)["deleted_at"] is not None,
                 what="the volume's tombstone")
        self.assertFalse([v for v in self.violations("--open")
                          if v["resource_id"] == self.vol])
        # No event for this one: the next sweep finds it gone.
        self.moto.aws("iam", "delete-user", "--user-name", "bob")
        self.assertEqual(self.d.ctl("scan", "--type",
                                    "AWS::IAM::User").returncode, 0)
        wait_for(lambda: self.asset("bob")["deleted_at"] is not None,
                 what="the user's tombstone after a scan")
        deleted = json.loads(self.d.ctl("-o", "json", "assets", "--deleted",
                                        check=0).stdout)
        self.assertEqual({a["resource_id"] for a in deleted},
                         {self.vol, "bob"})


if __name__ == "__main__":
    main()
