"""The collectors beyond EC2, S3 and RDS, against moto server: for each
asset type, resources made with the AWS CLI are swept and each document is
what the CLI prints for the same calls, plus the documented enrichment keys
(resource policies parsed, listeners, tags, access keys' last use, the
credential report's rows).  A service that fails is reported, and the
sweep goes on."""

import base64
import csv
import io
import json
import os
import unittest
import zipfile

from vigiltest import ClassScope, Daemon, Moto, main, wait_for

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TYPES = [
    "AWS::IAM::User", "AWS::IAM::ManagedPolicy", "AWS::IAM::CredentialReport",
    "AWS::Lambda::Function", "AWS::ECR::Repository",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain",
    "AWS::EKS::Cluster", "AWS::SNS::Topic", "AWS::SQS::Queue",
    "AWS::Config::ConfigurationRecorder", "AWS::SecurityHub::Hub",
    "AWS::GuardDuty::Detector", "AWS::AccessAnalyzer::Analyzer",
]
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def public_policy(action, resource):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "anyone", "Effect": "Allow", "Principal": "*",
        "Action": action, "Resource": resource}]})


def without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


class Collectors(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # One moto and one sweep for every test: the resources only are
        # read.
        cls.moto = m = Moto(ClassScope(cls))
        cls.make_resources(m)
        cls.d = d = Daemon(ClassScope(cls), extra_env=m.env(), config=(
            "api_rate: 500\n"
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    regions: [%s]\n"
            "    endpoint: %s\n"
            "    types: [%s]\n"
            % (ACCOUNT, REGION, m.url, ", ".join(TYPES))))
        d.start()
        wait_for(d.swept, timeout=120, what="the sweep")

    @classmethod
    def tearDownClass(cls):
        # A clean stop (and, under the sanitizers, no leak).
        rc = cls.d.stop()
        if rc != 0:
            raise AssertionError("vigild exited %d:\n%s"
                                 % (rc, cls.d.read_log()))

    @classmethod
    def make_resources(cls, m):
        cls.policy_arn = m.aws(
            "iam", "create-policy", "--policy-name", "admin-ish",
            "--policy-document", json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "*", "Resource": "*"}]})
        )["Policy"]["Arn"]
        m.aws("iam", "create-user", "--user-name", "carol")
        cls.key_id = m.aws("iam", "create-access-key", "--user-name",
                           "carol")["AccessKey"]["AccessKeyId"]
        role = m.aws("iam", "create-role", "--role-name", "fn-role",
                     "--assume-role-policy-document", TRUST)["Role"]["Arn"]

        zpath = os.path.join(m.dir, "fn.zip")
        with zipfile.ZipFile(zpath, "w") as z:
            z.writestr("h.py", "def handler(event, context):\n    return 1\n")
        m.aws("lambda", "create-function", "--function-name", "public-fn",
              "--runtime", "python3.11", "--role", role, "--handler",
              "h.handler", "--zip-file", "fileb://" + zpath)
        m.aws("lambda", "add-permission", "--function-name", "public-fn",
              "--statement-id", "anyone", "--action",
              "lambda:InvokeFunction", "--principal", "*")
        m.aws("lambda", "create-function-url-config", "--function-name",
              "public-fn", "--auth-type", "NONE")

        m.aws("ecr", "create-repository", "--repository-name", "images")
        m.aws("ecr", "set-repository-policy", "--repository-name", "images",
              "--policy-text", json.dumps({
                  "Version": "2012-10-17", "Statement": [{
                      "Sid": "pull", "Effect": "Allow", "Principal": "*",
                      "Action": ["ecr:BatchGetImage"]}]}))

        vpc = m.aws("ec2", "create-vpc", "--cidr-block",
                    "10.1.0.0/16")["Vpc"]["VpcId"]
        subnets = [m.aws("ec2", "create-subnet", "--vpc-id", vpc,
                         "--cidr-block", "10.1.%d.0/24" % i,
                         "--availability-zone", REGION + az)
                   ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
        cls.lb_arn = m.aws("elbv2", "create-load-balancer", "--name", "web",
                           "--subnets", *subnets, "--tags",
                           "Key=team,Value=web")["LoadBalancers"][0][
                               "LoadBalancerArn"]
        tg = m.aws("elbv2", "create-target-group", "--name", "web",
                   "--protocol", "HTTP", "--port", "80", "--vpc-id",
                   vpc)["TargetGroups"][0]["TargetGroupArn"]
        m.aws("elbv2", "create-listener", "--load-balancer-arn", cls.lb_arn,
              "--protocol", "HTTP", "--port", "80", "--default-actions",
              "Type=forward,TargetGroupArn=" + tg)

        m.aws("opensearch", "create-domain", "--domain-name", "search")
        m.aws("es", "create-elasticsearch-domain", "--domain-name", "legacy")
        m.aws("eks", "create-cluster", "--name", "k8s", "--role-arn", role,
              "--resources-vpc-config", "subnetIds=" + ",".join(subnets))

        cls.topic = m.aws("sns", "create-topic", "--name",
                          "alerts")["TopicArn"]
        m.aws("sns", "set-topic-attributes", "--topic-arn", cls.topic,
              "--attribute-name", "Policy", "--attribute-value",
              public_policy("SNS:Publish", cls.topic))
        cls.queue = m.aws("sqs", "create-queue", "--queue-name",
                          "jobs")["QueueUrl"]
        m.aws("sqs", "set-queue-attributes", "--queue-url", cls.queue,
              "--attributes", json.dumps({"Policy": public_policy(
                  "SQS:SendMessage",
                  "arn:aws:sqs:%s:%s:jobs" % (REGION, ACCOUNT))}))

        m.aws("configservice", "put-configuration-recorder",
              "--configuration-recorder", "name=default,roleARN=" + role)
        m.aws("securityhub", "enable-security-hub")
        cls.detector = m.aws("guardduty", "create-detector",
                             "--enable")["DetectorId"]

    def asset(self, ref):
        p = self.d.ctl("-o", "json", "asset", ref)
        self.assertEqual(p.returncode, 0, "%s: %s" % (ref, p.stderr))
        return json.loads(p.stdout)

    def doc(self, ref, type_):
        a = self.asset(ref)
        self.assertEqual(a["type"], type_)
        return a["document"]

    def aws(self, *args):
        return self.moto.aws(*args)

    def test_only_the_configured_types(self):
        out = json.loads(self.d.ctl("-o", "json", "assets", "--limit",
                                    "10000", check=0).stdout)
        self.assertTrue(out)
        self.assertLessEqual({a["type"] for a in out}, set(TYPES))

    def test_managed_policy(self):
        d = self.doc(self.policy_arn, "AWS::IAM::ManagedPolicy")
        listed = [p for p in self.aws("iam", "list-policies", "--scope",
                                      "Local")["Policies"]
                  if p["Arn"] == self.policy_arn][0]
        self.assertEqual(without(d, "Document"), listed)
        self.assertEqual(d["Document"], self.aws(
            "iam", "get-policy-version", "--policy-arn", self.policy_arn,
            "--version-id", listed["DefaultVersionId"])
            ["PolicyVersion"]["Document"])

    def test_user_access_key_last_used(self):
        d = self.doc("carol", "AWS::IAM::User")
        self.assertEqual([k["AccessKeyId"] for k in d["AccessKeys"]],
                         [self.key_id])
        self.assertEqual(d["AccessKeys"][0]["AccessKeyLastUsed"], self.aws(
            "iam", "get-access-key-last-used", "--access-key-id",
            self.key_id)["AccessKeyLastUsed"])

    def test_credential_report(self):
        d = self.doc(ACCOUNT, "AWS::IAM::CredentialReport")
        self.assertIn(d["State"], ("STARTED", "INPROGRESS", "COMPLETE"))
        cli = self.aws("iam", "get-credential-report")
        want = list(csv.DictReader(io.StringIO(
            base64.b64decode(cli["Content"]).decode())))
        self.assertEqual(d["Report"]["Rows"], want)
        self.assertIn("carol", [r["user"] for r in d["Report"]["Rows"]])
        self.assertEqual(d["Report"]["ReportFormat"], cli["ReportFormat"])
        self.assertNotIn("Content", d["Report"])

    def test_lambda_function(self):
        d = self.doc("public-fn", "AWS::Lambda::Function")
        listed = [f for f in self.aws("lambda", "list-functions")
                  ["Functions"] if f["FunctionName"] == "public-fn"][0]
        self.assertEqual(without(d, "Policy", "UrlConfig"), listed)
        self.assertEqual(d["Policy"], json.loads(self.aws(
            "lambda", "get-policy", "--function-name", "public-fn")
            ["Policy"]))
        self.assertEqual(d["Policy"]["Statement"][0]["Principal"], "*")
        self.assertEqual(d["UrlConfig"], without(self.aws(
            "lambda", "get-function-url-config", "--function-name",
            "public-fn"), "ResponseMetadata"))
        self.assertEqual(d["UrlConfig"]["AuthType"], "NONE")

    def test_ecr_repository(self):
        d = self.doc("images", "AWS::ECR::Repository")
        self.assertEqual(without(d, "Policy"), self.aws(
            "ecr", "describe-repositories", "--repository-names",
            "images")["repositories"][0])
        self.assertEqual(d["Policy"], json.loads(self.aws(
            "ecr", "get-repository-policy", "--repository-name",
            "images")["policyText"]))

    def test_load_balancer(self):
        d = self.doc(self.lb_arn, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        self.assertEqual(without(d, "Listeners", "Attributes", "Tags"),
                         self.aws("elbv2", "describe-load-balancers",
                                  "--load-balancer-arns", self.lb_arn)
                         ["LoadBalancers"][0])
        self.assertEqual(d["Listeners"], self.aws(
            "elbv2", "describe-listeners", "--load-balancer-arn",
            self.lb_arn)["Listeners"])
        self.assertEqual(d["Listeners"][0]["Protocol"], "HTTP")
        self.assertEqual(d["Attributes"], self.aws(
            "elbv2", "describe-load-balancer-attributes",
            "--load-balancer-arn", self.lb_arn)["Attributes"])
        self.assertEqual(d["Tags"], [{"Key": "team", "Value": "web"}])

    def test_search_domains(self):
        for name, type_, cli in (
                ("search", "AWS::OpenSearchService::Domain",
                 ("opensearch", "describe-domains")),
                ("legacy", "AWS::Elasticsearch::Domain",
                 ("es", "describe-elasticsearch-domains"))):
            d = self.doc(name, type_)
            want = self.aws(*cli, "--domain-names", name)[
                "DomainStatusList"][0]
            self.assertEqual(without(d, "Policy"), want)
            if want.get("AccessPolicies"):
                self.assertEqual(d["Policy"],
                                 json.loads(want["AccessPolicies"]))

    def test_eks_cluster(self):
        d = self.doc("k8s", "AWS::EKS::Cluster")
        self.assertEqual(d, self.aws("eks", "describe-cluster", "--name",
                                     "k8s")["cluster"])

    def test_topic_and_queue_policies(self):
        d = self.doc(self.topic, "AWS::SNS::Topic")
        attrs = self.aws("sns", "get-topic-attributes", "--topic-arn",
                         self.topic)["Attributes"]
        self.assertEqual(d["Attributes"], attrs)
        self.assertEqual(d["Policy"], json.loads(attrs["Policy"]))
        self.assertEqual(d["Policy"]["Statement"][0]["Principal"], "*")

        arn = "arn:aws:sqs:%s:%s:jobs" % (REGION, ACCOUNT)
        a = self.asset(arn)
        self.assertEqual(a["type"], "AWS::SQS::Queue")
        self.assertEqual(a["resource_id"], self.queue)
        attrs = self.aws("sqs", "get-queue-attributes", "--queue-url",
                         self.queue, "--attribute-names", "All")["Attributes"]
        self.assertEqual(a["document"]["Attributes"], attrs)
        self.assertEqual(a["document"]["Policy"], json.loads(attrs["Policy"]))

    def test_config_recorder(self):
        d = self.doc("default", "AWS::Config::ConfigurationRecorder")
        self.assertEqual(without(d, "Status"), self.aws(
            "configservice", "describe-configuration-recorders")
            ["ConfigurationRecorders"][0])
        self.assertEqual(d["Status"], self.aws(
            "configservice", "describe-configuration-recorder-status")
            ["ConfigurationRecordersStatus"][0])

    def test_security_hub_and_guardduty(self):
        hub = self.aws("securityhub", "describe-hub")
        d = self.doc(hub["HubArn"], "AWS::SecurityHub::Hub")
        self.assertEqual(d, without(hub, "ResponseMetadata"))
        d = self.doc(self.detector, "AWS::GuardDuty::Detector")
        self.assertEqual(without(d, "DetectorId"), without(self.aws(
            "guardduty", "get-detector", "--detector-id", self.detector),
            "ResponseMetadata"))
        self.assertEqual(d["DetectorId"], self.detector)
        self.assertEqual(d["Status"], "ENABLED")

    def test_failing_service_is_reported(self):
        """moto has no IAM Access Analyzer: the call fails, the failure is
        in status, and every other type was swept all the same."""
        inv = self.d.status()["inventory"]
        keys = [k for k in inv["failures"]
                if k.endswith("/AWS::AccessAnalyzer::Analyzer")]
        self.assertEqual(keys, ["%s/%s/AWS::AccessAnalyzer::Analyzer"
                                % (ACCOUNT, REGION)])
        self.assertIn("ListAnalyzers", inv["failures"][keys[0]])
        self.assertEqual(len(inv["failures"]), 1, inv["failures"])


class Organization(unittest.TestCase):
    """organization: true: the management account lists the members;
    each active one is watched through the member role, and one that
    leaves is no longer swept."""

    def setUp(self):
        self.moto = m = Moto(self)
        m.aws("organizations", "create-organization", "--feature-set", "ALL")
        self.dev = m.aws("organizations", "create-account", "--email",
                         "dev@example.com", "--account-name", "dev")[
                             "CreateAccountStatus"]["AccountId"]
        self.member_aws(self.dev, "s3api", "create-bucket", "--bucket",
                        "dev-bucket", "--create-bucket-configuration",
                        "LocationConstraint=" + REGION)
        m.aws("s3api", "create-bucket", "--bucket", "mgmt-bucket",
              "--create-bucket-configuration", "LocationConstraint=" + REGION)
        self.d = Daemon(self, extra_env=m.env(), config=(
            "accounts:\n"
            "  - provider: aws\n"
            "    id: \"%s\"\n"
            "    organization: true\n"
            "    member_role: VigilAudit\n"
            "    regions: [%s]\n"
            "    endpoint: %s\n"
            "    types: [AWS::S3::Bucket]\n" % (ACCOUNT, REGION, m.url)))

    def member_aws(self, account, *args):
        """The AWS CLI in a member account, through its role."""
        c = self.moto.aws("sts", "assume-role", "--role-arn",
                          "arn:aws:iam::%s:role/VigilAudit" % account,
                          "--role-session-name", "test")["Credentials"]
        return self.moto.aws(*args, credentials=c)

    def buckets(self):
        out = json.loads(self.d.ctl("-o", "json", "assets", "--type",
                                    "AWS::S3::Bucket", check=0).stdout)
        return {(a["account"], a["resource_id"]) for a in out}

    def test_members_watched_and_leaving(self):
        self.d.start()
        wait_for(self.d.swept, timeout=60, what="the sweep")
        self.assertEqual(self.buckets(), {(ACCOUNT, "mgmt-bucket"),
                                          (self.dev, "dev-bucket")})
        accounts = {a["id"]: a for a in self.d.status()["accounts"]}
        self.assertEqual(set(accounts), {ACCOUNT, self.dev})
        member = accounts[self.dev]
        self.assertEqual(member["organization"], ACCOUNT)
        self.assertEqual(member["name"], "dev")
        self.assertEqual(member["role_arn"],
                         "arn:aws:iam::%s:role/VigilAudit" % self.dev)
        wait_for(lambda: {a["id"]: a for a in self.d.status()["accounts"]}
                 [self.dev]["state"] != "checking", what="the member check")
        member = {a["id"]: a for a in self.d.status()["accounts"]}[self.dev]
        self.assertEqual(member["state"], "ok", member)
        self.assertEqual(member["caller_arn"],
                         "arn:aws:sts::%s:assumed-role/VigilAudit/vigil"
                         % self.dev)

        # The account leaves: the next sweep no longer watches it.
        self.moto.aws("organizations", "remove-account-from-organization",
                      "--account-id", self.dev)
        self.d.ctl("scan", check=0)
        wait_for(lambda: {a["id"]: a for a in self.d.status()["accounts"]}
                 [self.dev].get("left"), what="the member to leave")
        self.assertIn("no longer an active member of the organization",
                      self.d.read_log())
        self.assertEqual(self.d.stop(), 0)


    def test_reload_changing_the_accounts(self):
        """A reload that changes the management account: the collectors
        start again, the members are listed again, and the new types are
        swept in every account."""
        self.moto.aws("iam", "create-user", "--user-name", "mgmt-user")
        self.member_aws(self.dev, "iam", "create-user", "--user-name",
                        "dev-user")
        self.d.start()
        wait_for(self.d.swept, timeout=60, what="the sweep")
        with open(self.d.config_path) as f:
            text = f.read()
        self.d.write_config(replace=text.replace(
            "types: [AWS::S3::Bucket]",
            "types: [AWS::S3::Bucket, AWS::IAM::User]"))
        self.assertEqual(self.d.ctl("reload").returncode, 0)

        def users():
            out = json.loads(self.d.ctl("-o", "json", "assets", "--type",
                                        "AWS::IAM::User", check=0).stdout)
            return {(a["account"], a["resource_id"]) for a in out}
        wait_for(lambda: users() == {(ACCOUNT, "mgmt-user"),
                                     (self.dev, "dev-user")},
                 what="both accounts' users")
        self.assertEqual({a["id"] for a in self.d.status()["accounts"]},
                         {ACCOUNT, self.dev})
        self.assertEqual(self.buckets(), {(ACCOUNT, "mgmt-bucket"),
                                          (self.dev, "dev-bucket")})
        self.assertIn("accounts changed: the inventory's work starts again",
                      self.d.read_log())
        self.assertEqual(self.d.stop(), 0)


if __name__ == "__main__":
    main()
