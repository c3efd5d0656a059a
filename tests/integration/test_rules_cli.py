"""vigilctl rules check and rules test: offline, no daemon, as a user runs
them: exit statuses, errors with their carets, violations with their
evidence, and the built-in rules' cases through the command line."""

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from vigiltest import DEADLINE, SRCDIR, VIGILCTL, main

PACK = os.path.join(SRCDIR, "rules", "aws", "classic.yaml")
PACKS = os.path.join(SRCDIR, "rules", "aws")


def pack_rules(path):
    """{rule id: [asset types]} of a pack, read with a regular expression
    (not with vigil's loader, whose answers these tests check)."""
    with open(path) as f:
        text = f.read()
    rules = {}
    for block in re.split(r"\n  - id: ", text)[1:]:
        rid = block.split("\n", 1)[0].strip()
        m = re.search(r"\n    resources?: *\[?([^\]\n]*)", block)
        rules[rid] = [t.strip() for t in m.group(1).split(",")]
    return rules


def evaluations(type_):
    n = sum(type_ in types for types in pack_rules(PACK).values())
    return "%d evaluation%s" % (n, "" if n == 1 else "s")
CASES = os.path.join(SRCDIR, "tests", "data", "rules")


def case(rule, name):
    return os.path.join(CASES, rule, name + ".json")


class RulesCli(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vigil-rules-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ctl(self, *args, code=None):
        # No daemon: a socket that is not there proves none is asked.
        p = subprocess.run([VIGILCTL, "-s", os.path.join(self.dir, "none")]
                           + list(args), capture_output=True, text=True,
                           timeout=DEADLINE)
        if code is not None:
            self.assertEqual(p.returncode, code,
                             "vigilctl %s\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), p.stdout, p.stderr))
        return p

    def test_check_ok(self):
        n = len(pack_rules(PACK))
        self.assertGreater(n, 5)
        p = self.ctl("rules", "check", PACK, code=0)
        self.assertEqual(p.stdout, "%d rules OK\n" % n)
        self.assertEqual(p.stderr, "")
        p = self.ctl("rules", "check", os.path.join(SRCDIR, "rules"), code=0)
        self.assertRegex(p.stdout, r"^\d+ rules OK\n$")
        p = self.ctl("-o", "json", "rules", "check", PACK, code=0)
        self.assertEqual(json.loads(p.stdout),
                         {"ok": True, "rules": n, "files": 1})

    def test_check_errors(self):
        a = self.write("a.yaml", "rules:\n"
                       "  - id: a\n"
                       "    title: t\n"
                       "    severity: hgh\n"
                       "    resource: AWS::S3::Bucket\n"
                       "    condition: |\n"
                       "      exists(Policy)\n"
                       "        and exitss(Acl)\n")
        b = self.write("b.yaml", "rules:\n"
                       "  - id: b\n"
                       "    titel: t\n")
        p = self.ctl("rules", "check", a, b, code=1)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        self.assertIn("%s:4:15: severity: 'hgh' is not one of critical, "
                      "high, medium, low, info" % a, lines)
        # The offending line and a caret under the column.
        i = lines.index("%s:8:13: unknown function or macro 'exitss' "
                        "(did you mean 'exists'?)" % a)
        self.assertEqual(lines[i + 1], "          and exitss(Acl)")
        self.assertEqual(lines[i + 2], "  " + " " * 12 + "^")
        self.assertIn("%s:3:5: unknown key 'titel' in a rule (did you "
                      "mean 'title'?)" % b, lines)
        self.assertIn("%s:2:5: rule 'b': missing required key 'severity'"
                      % b, lines)
        self.assertEqual(lines[-1], "7 errors")
        p = self.ctl("-o", "json", "rules", "check", a, b, code=1)
        out = json.loads(p.stdout)
        self.assertFalse(out["ok"])
        self.assertEqual(len(out["errors"]), 7)
        self.assertIn({"file": a, "line": 8, "col": 13,
                       "message": "unknown function or macro 'exitss' "
                       "(did you mean 'exists'?)"}, out["errors"])

    def test_check_usage(self):
        self.ctl("rules", "check", code=2)
        p = self.ctl("rules", "chek", PACK, code=2)
        self.assertIn("unknown command 'rules chek'", p.stderr)
        p = self.ctl("rules", "check", os.path.join(self.dir, "nope.yaml"),
                     code=1)
        self.assertIn("No such file or directory", p.stderr)
        p = self.ctl("help", code=0)
        self.assertIn("rules check", p.stdout)
        self.assertIn("rules test", p.stdout)

    def test_violation(self):
        sg = case("aws-ec2-sg-admin-port-open-world", "001-ssh-world")
        p = self.ctl("rules", "test", PACK, sg, code=1)
        self.assertEqual(p.stdout.splitlines(), [
            "%s: AWS::EC2::SecurityGroup sg-926a56e8 violates "
            "aws-ec2-sg-admin-port-open-world [high]" % sg,
            "    IpPermissions[0].IpRanges[0].CidrIp = \"0.0.0.0/0\"",
            "    IpPermissions[0].IpProtocol = \"tcp\"",
            "    IpPermissions[0].FromPort = 22",
            "    IpPermissions[0].ToPort = 22",
            "1 violation in %s" % evaluations("AWS::EC2::SecurityGroup")])

    def test_compliant(self):
        sg = case("aws-ec2-sg-admin-port-open-world", "005-http-world")
        p = self.ctl("rules", "test", PACK, sg, code=0)
        self.assertEqual(p.stdout, "no violations (%s)\n"
                         % evaluations("AWS::EC2::SecurityGroup"))

    def test_every_case(self):
        """The data-driven cases again, through the command line, with
        every built-in pack."""
        files = sorted(glob.glob(os.path.join(CASES, "*", "*.json")))
        self.assertGreaterEqual(len(files), 10)
        p = self.ctl("-o", "json", "rules", "test", PACKS, *files, code=1)
        out = json.loads(p.stdout)
        got = {}
        for r in out["results"]:
            got.setdefault(r["file"], {})[r["rule"]] = r
        for f in files:
            with open(f) as fh:
                expect = json.load(fh)["expect"]
            for rule in expect.get("violates", []):
                self.assertTrue(got[f][rule]["violates"], (f, rule))
            for rule in expect.get("complies", []):
                self.assertFalse(got[f][rule]["violates"], (f, rule))
                self.assertEqual(got[f][rule]["evidence"], [])
            for rule, paths in expect.get("evidence", {}).items():
                have = set()
                for e in got[f][rule]["evidence"]:
                    if "asset" in e:
                        have.add(e["asset"]["type"] + " " + e["path"])
                    else:
                        have.add(e["path"])
                for path in paths:
                    self.assertIn(path, have, (f, rule))
        self.assertEqual(out["violations"],
                         sum(1 for r in out["results"] if r["violates"]))

    def test_bare_document_and_type(self):
        with open(case("aws-ec2-sg-admin-port-open-world",
                       "002-range-covers-rdp")) as f:
            doc = json.load(f)["document"]
        bare = self.write("sg-bare.json", json.dumps(doc))
        p = self.ctl("rules", "test", PACK, bare, code=2)
        self.assertIn("give the type of a bare document with --type",
                      p.stderr)
        p = self.ctl("-o", "json", "rules", "test", "--type",
                     "AWS::EC2::SecurityGroup", PACK, bare, code=1)
        r = json.loads(p.stdout)["results"][0]
        self.assertEqual((r["id"], r["type"], r["violates"]),
                         ("sg-bare", "AWS::EC2::SecurityGroup", True))
        self.assertIn({"path": "IpPermissions[3].FromPort", "value": 1234},
                      r["evidence"])
        self.ctl("rules", "test", "--type", "AWS::EC2:Bad", PACK, bare,
                 code=2)

    def test_related_files(self):
        """A reference reads the other assets given on the command line."""
        with open(case("aws-s3-bucket-public", "001-acl-allusers")) as f:
            bucket = json.load(f)
        del bucket["expect"]
        b = self.write("bucket.json", json.dumps(bucket))
        p = self.ctl("rules", "test", PACK, b, code=1)
        self.assertIn("    AWS::S3::AccountPublicAccessBlock (account) "
                      "(absent): PublicAccessBlockConfiguration."
                      "IgnorePublicAcls = null", p.stdout.splitlines())
        pab = self.write("pab.json", json.dumps({
            "type": "AWS::S3::AccountPublicAccessBlock",
            "id": bucket["account"], "account": bucket["account"],
            "document": {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "IgnorePublicAcls": True,
                "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}}))
        p = self.ctl("-o", "json", "rules", "test", PACK, b, pab, code=None)
        public = [r for r in json.loads(p.stdout)["results"]
                  if r["rule"] == "aws-s3-bucket-public"]
        self.assertEqual([r["violates"] for r in public], [False])
        # Another account's block does not count.
        other = self.write("other.json", json.dumps({
            "type": "AWS::S3::AccountPublicAccessBlock",
            "id": "999999999999", "account": "999999999999",
            "document": {"PublicAccessBlockConfiguration": {
                "IgnorePublicAcls": True}}}))
        self.ctl("rules", "test", PACK, b, other, code=1)

    def test_now_and_csv(self):
        rules = self.write("age.yaml", "rules:\n"
                           "  - id: old-instance\n"
                           "    title: Instance launched over a year ago\n"
                           "    severity: low\n"
                           "    resource: AWS::EC2::Instance\n"
                           "    condition: age(LaunchTime) > 365d\n")
        inst = case("aws-ec2-instance-imdsv1", "001-imdsv1-running")
        self.ctl("rules", "test", "--now", "2023-06-01T00:00:00Z", rules,
                 inst, code=0)
        self.ctl("rules", "test", "--now", "2024-01-01", rules, inst, code=1)
        self.ctl("rules", "test", "--now", "yesterday", rules, inst, code=2)
        p = self.ctl("-o", "csv", "rules", "test", "--now", "2024-01-01",
                     rules, inst, code=1)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "file,type,id,rule,severity,evidence_text")
        self.assertEqual(lines[1], "%s,AWS::EC2::Instance,"
                         "i-1234567890abcdef0,old-instance,low,"
                         "\"LaunchTime = \"\"2022-11-15T10:48:59+00:00\"\"\""
                         % inst)
        # Several entries of evidence, joined.
        p = self.ctl("-o", "csv", "rules", "test", PACK, inst, code=1)
        self.assertEqual(p.stdout.splitlines()[1],
                         "%s,AWS::EC2::Instance,i-1234567890abcdef0,"
                         "aws-ec2-instance-imdsv1,medium,"
                         "\"MetadataOptions.HttpEndpoint = \"\"enabled\"\"; "
                         "MetadataOptions.HttpTokens = \"\"optional\"\"; "
                         "State.Name = \"\"running\"\"\"" % inst)

    def test_broken_inputs(self):
        bad = self.write("bad.yaml", "rules:\n  - id: x\n")
        sg = case("aws-ec2-sg-admin-port-open-world", "001-ssh-world")
        p = self.ctl("rules", "test", bad, sg, code=2)
        self.assertIn("missing required key 'title'", p.stderr)
        junk = self.write("junk.json", "{\"type\": ")
        p = self.ctl("rules", "test", PACK, junk, code=2)
        self.assertIn(junk + ":1:", p.stderr)
        self.ctl("rules", "test", PACK, code=2)


if __name__ == "__main__":
    main()
