"""Alerts through the real vigild to real receivers on loopback: mail to
an SMTP server (Debian's aiosmtpd), read back as a mail client reads it;
Slack, Teams, PagerDuty, Jira and the generic webhook to a loopback HTTP
receiver (tests/lib/receiver.py) that validates each body against the
service's documented format; and the failure scripts: 500 then success,
429 with Retry-After, 400 then vigilctl notify retry, the receiver down
across a kill -9 of vigild, and a storm of 500 opens.

Transitions come from tests/notify-enqueue, which stands in for the
violations layer: it calls notify_enqueue() on vigild's database, in one
transaction, while vigild is stopped; vigild delivers them when it starts.
vigilctl notify test drives the channels of a running vigild.
"""

import email
import email.policy
import email.utils
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from receiver import Receiver, signature
from vigiltest import Daemon, SRCDIR, free_port, main, wait_for

BUILDDIR = os.environ.get("VIGIL_BUILDDIR", ".")
ENQUEUE = os.path.join(BUILDDIR, "tests", "notify-enqueue")
OPEN = os.path.join(SRCDIR, "tests", "data", "notify", "open.json")
SYSTEM_PYTHON = "/usr/bin/python3"


def transition(path, **changes):
    """A copy of the sample open as another transition, in a file."""
    with open(OPEN) as f:
        doc = json.load(f)
    for k, v in changes.items():
        doc[k] = v
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class Smtp:
    """Debian's aiosmtpd on a free port, into a Maildir."""

    def __init__(self, testcase, args=()):
        self.dir = tempfile.mkdtemp(prefix="vigil-smtp-")
        self.maildir = os.path.join(self.dir, "mail")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "smtp.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                [SYSTEM_PYTHON, "-m", "aiosmtpd", "-n", "-l",
                 "127.0.0.1:%d" % self.port, "-c",
                 "aiosmtpd.handlers.Mailbox"] + list(args) +
                [self.maildir], stdout=self.log, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            testcase.fail("no %s: apt-get install python3-aiosmtpd"
                          % SYSTEM_PYTHON)
        testcase.addCleanup(self.stop)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError("aiosmtpd exited (apt-get install "
                                     "python3-aiosmtpd): %s"
                                     % open(self.log.name).read())
            import socket
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for(listening, what="aiosmtpd")

    def messages(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "new",
                                                  "*"))):
            with open(path, "rb") as f:
                out.append(email.message_from_binary_file(
                    f, policy=email.policy.default))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_ca(d):
    """A throwaway CA and a certificate for 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d,
                       capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=vigil test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
        "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2",
        "-extfile", "ext")
    return [os.path.join(d, n) for n in ("ca.pem", "srv.pem", "srv.key")]


class NotifyTest(unittest.TestCase):

    def daemon(self, channels):
        return Daemon(self, config="notify:\n" + channels)

    def enqueue(self, d, *files, args=()):
        p = subprocess.run([ENQUEUE, "-c", d.config_path] + list(args) +
                           list(files), capture_output=True, text=True,
                           env=d.env())
        self.assertEqual(p.returncode, 0, p.stderr)

    def rows(self, d, *args):
        return json.loads(d.ctl("-o", "json", "notifications", "--limit",
                                "1000", *args, check=0).stdout)

    def settled(self, d):
        return not [r for r in self.rows(d)
                    if r["state"] in ("pending", "sending", "collecting")]


class Email(NotifyTest):

    def channel(self, smtp, extra="", scheme="smtp"):
        return ("  - name: mail\n    type: email\n"
                "    url: %s://127.0.0.1:%d\n"
                "    from: vigil <vigil@example.com>\n"
                "    to: [secops@example.com, 'Ops <ops@example.com>']\n"
                % (scheme, smtp.port) + extra)

    def test_delivered_as_a_mail_client_reads_it(self):
        smtp = Smtp(self)
        d = self.daemon(self.channel(smtp, "    require_tls: false\n"))
        self.enqueue(d, OPEN)
        d.start()
        wait_for(lambda: smtp.messages(), what="the mail")
        m = smtp.messages()[0]
        # Headers, decoded as a client decodes them (RFC 2047).
        self.assertEqual(m["Subject"],
                         "[vigil] [CRITICAL] Violation opened: Security "
                         "group allows SSH from the whole Internet \u2014 "
                         "ouvert \u00e0 tous (sg-0abc \"web\")")
        self.assertIn("=?UTF-8?B?", m.as_string(policy=email.policy.SMTP)
                      if False else open(glob.glob(os.path.join(
                          smtp.maildir, "new", "*"))[0]).read())
        self.assertEqual(m["Message-ID"], "<v42.o3.open.mail@example.com>")
        self.assertEqual(m["X-Vigil-Idempotency-Key"], "v42.o3.open")
        self.assertEqual(m["From"], "vigil <vigil@example.com>")
        self.assertIn("ops@example.com", m["To"])
        date = email.utils.parsedate_to_datetime(m["Date"])
        self.assertLess(abs(time.time() - date.timestamp()), 600)
        # multipart/alternative: plain text and HTML, both UTF-8.
        self.assertEqual(m.get_content_type(), "multipart/alternative")
        parts = {p.get_content_type(): p for p in m.iter_parts()}
        self.assertEqual(set(parts), {"text/plain", "text/html"})
        text = parts["text/plain"].get_content()
        html = parts["text/html"].get_content()
        self.assertIn("ouvert \u00e0 tous", text)
        self.assertIn("IpPermissions[0].IpRanges[0].CidrIp = 0.0.0.0/0",
                      text)
        self.assertIn("AuthorizeSecurityGroupIngress by arn:aws:iam::"
                      "123456789012:user/alice", text)
        self.assertIn("SecurityGroup:groupId=sg-0abc", text)
        self.assertIn("<code>0.0.0.0/0</code>", html)
        raw = open(glob.glob(os.path.join(smtp.maildir, "new",
                                          "*"))[0], "rb").read()
        self.assertTrue(all(len(l) <= 998 for l in raw.split(b"\n")))
        wait_for(lambda: self.settled(d), what="the outbox to settle")
        self.assertEqual(self.rows(d, "--delivered")[0]["remote_ref"],
                         "<v42.o3.open.mail@example.com>")
        self.assertEqual(d.stop(), 0)

    def test_starttls_required_by_default(self):
        smtp = Smtp(self)       # plain aiosmtpd: no STARTTLS
        d = self.daemon(self.channel(smtp))
        d.start()
        p = d.ctl("notify", "test", "mail")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("no STARTTLS and require_tls is true", p.stdout)
        self.assertEqual(smtp.messages(), [])
        self.assertEqual(len(self.rows(d, "--failed")), 1)
        self.assertEqual(d.stop(), 0)

    def test_starttls_and_smtps_with_a_private_ca(self):
        d0 = tempfile.mkdtemp(prefix="vigil-ca-")
        self.addCleanup(shutil.rmtree, d0, True)
        ca, cert, key = make_ca(d0)
        starttls = Smtp(self, ["--tlscert", cert, "--tlskey", key])
        smtps = Smtp(self, ["--smtpscert", cert, "--smtpskey", key])
        d = self.daemon(
            self.channel(starttls, "    tls_ca_file: %s\n" % ca) +
            self.channel(smtps, "    tls_ca_file: %s\n" % ca,
                         scheme="smtps").replace("name: mail",
                                                 "name: mails") +
            self.channel(smtps, "", scheme="smtps").replace(
                "name: mail", "name: untrusted"))
        d.start()
        p = d.ctl("notify", "test", "mail")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = d.ctl("notify", "test", "mails")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(starttls.messages()), 1)
        self.assertEqual(len(smtps.messages()), 1)
        # Verification stays on: the private CA is needed.
        p = d.ctl("notify", "test", "untrusted")
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate", p.stdout)
        self.assertEqual(d.stop(), 0)


HTTP_CHANNELS = """\
  - {name: slack, type: slack, url_file: %(dir)s/slack-url}
  - {name: teams, type: teams, url_env: VIGIL_TEST_TEAMS_URL}
  - name: hook
    type: webhook
    url: %(url)s/hook
    secret_file: %(dir)s/hmac
    headers: ['X-Team: secops']
    header_files: ['Authorization: %(dir)s/auth']
  - {name: pd, type: pagerduty, endpoint: '%(url)s/pagerduty',
     routing_key_file: %(dir)s/rk}
  - {name: jira, type: jira, url: '%(url)s/jira3', project: SEC,
     email: vigil@example.com, token_file: %(dir)s/tok}
  - {name: jira2, type: jira, api: server, url: '%(url)s/jira2',
     project: SEC, token_file: %(dir)s/tok}
"""


class Http(NotifyTest):

    def setup_http(self, extra=""):
        rcv = Receiver(self)
        d = Daemon(self, extra_env={"VIGIL_TEST_TEAMS_URL":
                                    rcv.url + "/teams/secret-path"})
        for name, value in (("slack-url", rcv.url + "/slack/T0/B0/x"),
                            ("hmac", "hmac-key"), ("auth", "Bearer s3"),
                            ("rk", "R0UTING"), ("tok", "t0ken")):
            with open(os.path.join(d.dir, name), "w") as f:
                f.write(value + "\n")
        d.write_config("notify:\n" + (HTTP_CHANNELS + extra) % {
            "dir": d.dir, "url": rcv.url})
        return rcv, d

    def test_each_service_gets_its_documented_format(self):
        rcv, d = self.setup_http()
        res = transition(os.path.join(d.dir, "resolve.json"),
                         transition="resolve", key="v42.o3.resolve")
        self.enqueue(d, OPEN, res)
        d.start()
        wait_for(lambda: self.settled(d), what="every delivery")
        self.assertEqual(rcv.invalid(), [])
        for prefix in ("/slack/T0/B0/x", "/teams/secret-path", "/hook",
                       "/pagerduty"):
            got = rcv.got(prefix)
            self.assertEqual([r.key() for r in got],
                             ["v42.o3.open", "v42.o3.resolve"], prefix)
        # The webhook: the notification itself, signed.
        for r in rcv.got("/hook"):
            self.assertEqual(r.headers["X-Vigil-Signature"],
                             signature(b"hmac-key", r.body))
            self.assertEqual(r.headers["X-Team"], "secops")
            self.assertEqual(r.headers["Authorization"], "Bearer s3")
        self.assertEqual(rcv.got("/hook")[0].json["asset"]["id"], "sg-0abc")
        # PagerDuty: one dedup_key for the occurrence, severity mapped.
        pd = [r.json for r in rcv.got("/pagerduty")]
        self.assertEqual([p["event_action"] for p in pd],
                         ["trigger", "resolve"])
        self.assertEqual({p["dedup_key"] for p in pd}, {"v42.o3"})
        self.assertEqual(pd[0]["payload"]["severity"], "critical")
        # Jira: created, then comment, transitions, transition, on the
        # issue the open made (its key remembered).
        for api, chan in ((3, "jira"), (2, "jira2")):
            j = rcv.got("/jira%d" % api)
            refs = {r["key"]: r["remote_ref"]
                    for r in self.rows(d, "--channel", chan)}
            key = refs["v42.o3.open"]
            self.assertRegex(key, "^SEC-[0-9]+$")
            self.assertEqual(refs["v42.o3.resolve"], key)
            self.assertEqual([(r.method, r.path.split("/rest/api/")[1])
                              for r in j],
                             [("POST", "%d/issue" % api),
                              ("POST", "%d/issue/%s/comment" % (api, key)),
                              ("GET", "%d/issue/%s/transitions" % (api, key)),
                              ("POST", "%d/issue/%s/transitions"
                               % (api, key))])
            self.assertEqual(j[3].json, {"transition": {"id": "31"}})
        self.assertTrue(rcv.got("/jira3")[0].headers["Authorization"]
                        .startswith("Basic "))
        self.assertEqual(rcv.got("/jira2")[0].headers["Authorization"],
                         "Bearer t0ken")
        # Slack: the console link-out and the evidence.
        slack = json.dumps(rcv.got("/slack")[0].json)
        self.assertIn("SecurityGroup:groupId=sg-0abc", slack)
        self.assertIn("0.0.0.0/0", slack)
        # Secrets in neither the status, the list, nor the log.
        status = d.ctl("-o", "json", "status", check=0).stdout
        listing = d.ctl("-o", "json", "notifications", check=0).stdout
        for text in (status, listing, d.read_log()):
            for secret in ("secret-path", "T0/B0", "R0UTING", "t0ken",
                           "hmac-key"):
                self.assertNotIn(secret, text)
        chans = {c["name"]: c for c in json.loads(status)["notify"]}
        self.assertEqual(chans["slack"]["delivered"], 2)
        metrics = d.ctl("metrics", check=0).stdout
        self.assertIn('vigil_outbox_pending{channel="slack"} 0', metrics)
        self.assertEqual(d.stop(), 0)

    def test_failure_scripts(self):
        rcv, d = self.setup_http(
            "  - {name: flaky, type: webhook, url: '%(url)s/flaky'}\n"
            "  - {name: slow, type: webhook, url: '%(url)s/slow'}\n"
            "  - {name: bad, type: webhook, url: '%(url)s/bad'}\n")
        rcv.fail_next("/flaky", 500)
        rcv.fail_next("/slow", 429, headers={"Retry-After": "2"})
        rcv.fail_next("/bad", 400)
        d.start()
        # 500 then success: delivered, once.
        self.assertEqual(d.ctl("notify", "test", "flaky").returncode, 0)
        self.assertEqual(len(rcv.got("/flaky")), 2)
        # 429 with Retry-After: waited at least that long.
        self.assertEqual(d.ctl("notify", "test", "slow").returncode, 0)
        slow = rcv.got("/slow")
        self.assertGreaterEqual(slow[1].time - slow[0].time, 2.0)
        # 400: given up at once, visible as failed; retried on demand.
        p = d.ctl("notify", "test", "bad")
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 400", p.stdout)
        failed = self.rows(d, "--failed", "--channel", "bad")
        self.assertEqual(len(failed), 1)
        table = d.ctl("notifications", "--failed", check=0).stdout
        self.assertIn("HTTP 400", table)
        self.assertEqual(d.ctl("notify", "retry", str(failed[0]["id"]))
                         .returncode, 0)
        wait_for(lambda: self.rows(d, "--delivered", "--channel", "bad"),
                 what="the retried notification")
        self.assertEqual(d.ctl("notify", "retry", "99999").returncode, 5)
        self.assertEqual(d.stop(), 0)

    def test_receiver_down_across_kill(self):
        port = free_port()
        d = self.daemon("  - {name: hook, type: webhook, url: "
                        "'http://127.0.0.1:%d/hook', retry_min: 1s, "
                        "retry_max: 1s}\n" % port)
        self.enqueue(d, OPEN, args=["-n", "5"])
        d.start()
        wait_for(lambda: all(r["attempts"] >= 1 and r["last_error"]
                             for r in self.rows(d)),
                 what="failed attempts while the receiver is down")
        d.proc.send_signal(signal.SIGKILL)
        d.wait_exit()
        rcv = Receiver(self, port=port)
        d.start()
        wait_for(lambda: self.settled(d), what="delivery after the restart")
        keys = [r.key() for r in rcv.got("/hook")]
        self.assertEqual(set(keys), {"v%d.o1.open" % i
                                     for i in range(1000, 1005)})
        self.assertEqual(len(self.rows(d, "--delivered")), 5)
        self.assertEqual(rcv.invalid(), [])
        self.assertEqual(d.stop(), 0)

    def test_storm_becomes_one_digest(self):
        rcv = Receiver(self)
        d = self.daemon("  - {name: hook, type: webhook, url: "
                        "'%s/hook', storm_window: 1s}\n" % rcv.url)
        self.enqueue(d, OPEN, args=["-n", "500"])
        d.start()
        wait_for(lambda: self.settled(d), what="the digest")
        got = rcv.got("/hook")
        self.assertEqual(len(got), 1)
        dg = got[0].json
        self.assertEqual(dg["transition"], "digest")
        self.assertEqual(dg["digest"]["count"], 500)
        self.assertEqual(len(dg["digest"]["items"]), 20)
        self.assertEqual(dg["digest"]["more"], 480)
        self.assertEqual(rcv.invalid(), [])
        self.assertEqual(d.stop(), 0)

    def test_initial_sweep_summary(self):
        rcv = Receiver(self)
        d = self.daemon("  - {name: hook, type: webhook, url: "
                        "'%s/hook'}\n  - {name: loud, type: webhook, url: "
                        "'%s/loud', alert_on_initial_sweep: true}\n"
                        % (rcv.url, rcv.url))
        self.enqueue(d, OPEN, args=["-n", "3", "-i", "-e"])
        d.start()
        wait_for(lambda: self.settled(d), what="the summary")
        got = rcv.got("/hook")
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].json["transition"], "summary")
        self.assertEqual(got[0].json["summary"]["count"], 3)
        self.assertEqual(len(rcv.got("/loud")), 3)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
