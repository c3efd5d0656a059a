"""vigiltest: helpers for vigil's integration tests.

The tests drive the real vigild and vigilctl binaries (paths from the
VIGILD and VIGILCTL environment variables that `make check` sets) in a
temporary directory, on a private control socket and database, with a
test NOTIFY_SOCKET standing in for systemd.  Nothing here sleeps to
synchronise: every wait is for a condition, with a deadline.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

VIGILD = os.environ.get("VIGILD", "vigild")
VIGILCTL = os.environ.get("VIGILCTL", "vigilctl")
SRCDIR = os.environ.get("VIGIL_SRCDIR", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
SHARED = os.environ.get("VIGIL_SHARED", os.path.join(SRCDIR, "..", "shared"))

DEADLINE = float(os.environ.get("VIGIL_TEST_DEADLINE", "30"))


def wait_for(predicate, timeout=DEADLINE, what="condition", interval=0.01):
    """Poll predicate() until it returns a true value; return that value.

    Fails with a message naming what was awaited when the deadline passes.
    """
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifyReceiver:
    """A NOTIFY_SOCKET: collects the datagrams vigild sends systemd."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.messages = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            with self.cond:
                for line in data.decode("utf-8", "replace").split("\n"):
                    if line:
                        self.messages.append(line)
                self.cond.notify_all()

    def wait(self, predicate, timeout=DEADLINE, what="notification"):
        """Wait until predicate(messages) is true; return the messages."""
        end = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.messages):
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out waiting for %s; got %r"
                        % (what, self.messages))
                self.cond.wait(left)
            return list(self.messages)

    def wait_line(self, line, count=1, timeout=DEADLINE):
        return self.wait(lambda m: m.count(line) >= count, timeout,
                         "%dx %r" % (count, line))

    def close(self):
        self.stopped = True
        self.sock.close()
        self.thread.join()


class Daemon:
    """One vigild in its own directory, with its own socket and database."""

    def __init__(self, testcase, config=None, extra_env=None, name="vigild"):
        self.tc = testcase
        self.dir = tempfile.mkdtemp(prefix="vigil-test-")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "vigild.sock")
        self.database = os.path.join(self.dir, "vigil.db")
        self.config_path = os.path.join(self.dir, "vigild.yaml")
        self.log_path = os.path.join(self.dir, name + ".log")
        self.notify = NotifyReceiver(os.path.join(self.dir, "notify.sock"))
        self.extra_env = extra_env or {}
        self.proc = None
        self.write_config(config)
        testcase.addCleanup(self.cleanup)

    def base_config(self):
        return ("database: %s\nsocket: %s\nrules: []\n"
                "aws_models: %s\nevent_map: %s\n"
                % (self.database, self.socket,
                   os.path.join(SRCDIR, "data", "aws"),
                   os.path.join(SRCDIR, "rules", "aws", "events.yaml")))

    def write_config(self, extra=None, replace=None):
        text = replace if replace is not None else (self.base_config()
                                                    + (extra or ""))
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.config_path)

    def env(self):
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = self.notify.path
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        env.pop("JOURNAL_STREAM", None)
        # Tests talk to loopback only: never to instance metadata.
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env.update(self.extra_env)
        return env

    def start(self, wait_ready=True, args=(), preexec=None, user=None):
        cmd = [VIGILD, "-c", self.config_path] + list(args)
        if user is not None:
            cmd = as_user(user) + cmd
        if getattr(self, "log", None) is not None:
            self.log.close()
        self.log = open(self.log_path, "ab")
        with self.notify.lock:
            readies = self.notify.messages.count("READY=1")
        self.proc = subprocess.Popen(cmd, env=self.env(), stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=preexec)
        if wait_ready:
            self.wait_ready(readies + 1)
        return self.proc

    def wait_ready(self, count=1):
        def ready(msgs):
            if self.proc.poll() is not None:
                raise AssertionError(
                    "vigild exited with %d before READY=1:\n%s"
                    % (self.proc.returncode, self.read_log()))
            return msgs.count("READY=1") >= count
        self.notify.wait(ready, what="READY=1")

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, timeout=DEADLINE):
        return wait_for(lambda: text in self.read_log(), timeout,
                        "log line %r" % text)

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=DEADLINE):
        self.proc.send_signal(sig)
        return self.wait_exit(timeout)

    def wait_exit(self, timeout=DEADLINE):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("vigild did not exit within %.0fs:\n%s"
                                 % (timeout, self.read_log()))

    def run(self, args=(), user=None, timeout=DEADLINE):
        """Run vigild to completion (for -n, -V, startup failures)."""
        cmd = [VIGILD] + list(args)
        if user is not None:
            cmd = as_user(user) + cmd
        return subprocess.run(cmd, env=self.env(), capture_output=True,
                              text=True, timeout=timeout)

    def ctl(self, *args, user=None, check=None, timeout=DEADLINE):
        """Run vigilctl against this daemon; returns CompletedProcess."""
        cmd = [VIGILCTL, "-s", self.socket] + list(args)
        if user is not None:
            cmd = as_user(user) + cmd
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        if check is not None and p.returncode != check:
            raise AssertionError(
                "vigilctl %s: exit %d (expected %d)\nstdout:\n%s\n"
                "stderr:\n%s" % (" ".join(args), p.returncode, check,
                                 p.stdout, p.stderr))
        return p

    def status(self):
        return json.loads(self.ctl("-o", "json", "status", check=0).stdout)

    def swept(self):
        """Has the inventory's sweep finished, every job of it done?"""
        c = self.status()["inventory"]
        return (c.get("sweep_finished") is not None
                and c["sweep_jobs"] > 0
                and c["sweep_jobs_done"] == c["sweep_jobs"])

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()
            # The test's own log keeps the end of vigild's: make check
            # shows it when the test fails.
            lines = self.read_log().splitlines()[-80:]
            sys.stderr.write("---- end of %s ----\n%s\n----\n"
                             % (self.log_path, "\n".join(lines)))
        self.notify.close()
        if os.environ.get("VIGIL_TEST_KEEP"):
            sys.stderr.write("kept %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Moto:
    """moto server, the AWS test peer, on a free 127.0.0.1 port.

    auth_after: start verifying signatures (and IAM permissions) after this
    many actions (moto's INITIAL_NO_AUTH_ACTION_COUNT); None: never.
    default_amis: False leaves out moto's default AMIs and the 1,166
    snapshots it makes for them.
    """

    KEY = "testing"
    REGION = "eu-west-1"

    def __init__(self, testcase, auth_after=None, port=None,
                 default_amis=True):
        self.python = os.environ.get("MOTO_PYTHON")
        if not self.python:
            testcase.fail("MOTO_PYTHON is not set: configure found no "
                          "Python with moto (pip install 'moto[server]')")
        self.port = port if port is not None else free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.dir = tempfile.mkdtemp(prefix="vigil-moto-")
        env = self.base_env()
        if auth_after is not None:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_after)
        if not default_amis:
            # Without them, no AMIs and snapshots of moto's own (1,166).
            env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        self.log = open(os.path.join(self.dir, "moto.log"), "wb")
        self.proc = subprocess.Popen(
            [self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
             str(self.port)], stdout=self.log, stderr=subprocess.STDOUT,
            env=env)
        testcase.addCleanup(self.stop)
        wait_for(self.answers, what="moto server on %s" % self.url)
        self.access_key = self.secret_key = self.KEY

    @classmethod
    def base_env(cls):
        """Test credentials, a region, and no instance metadata lookups."""
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": cls.KEY,
                    "AWS_SECRET_ACCESS_KEY": cls.KEY,
                    "AWS_DEFAULT_REGION": cls.REGION,
                    "AWS_EC2_METADATA_DISABLED": "true"})
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return env

    def answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("moto exited: %s" % self.read_log())
        try:
            with urllib.request.urlopen(self.url + "/moto-api/",
                                        timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def read_log(self):
        with open(os.path.join(self.dir, "moto.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def env(self):
        """Environment for vigild and the AWS CLI to use this moto."""
        env = self.base_env()
        env["AWS_ACCESS_KEY_ID"] = self.access_key
        env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        return env

    def aws(self, *args, check=True, credentials=None):
        """Run the AWS CLI against moto; the parsed JSON answer.
        credentials: STS's Credentials to act with (another account)."""
        env = self.env()
        if credentials is not None:
            env.update({"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                        "AWS_SECRET_ACCESS_KEY":
                            credentials["SecretAccessKey"],
                        "AWS_SESSION_TOKEN": credentials["SessionToken"]})
        p = subprocess.run([self.python, "-m", "awscli", "--endpoint-url",
                            self.url, "--output", "json"] + list(args),
                           capture_output=True, text=True, env=env,
                           timeout=DEADLINE)
        if check and p.returncode != 0:
            raise AssertionError("aws %s: %s" % (" ".join(args), p.stderr))
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class FakeAWS:
    """tests/lib/fake_aws.py, a FAKE EC2 endpoint (for what moto cannot
    do: hold 100,000 resources, throttle, deny a region), on a free port."""

    def __init__(self, testcase, sgs, volumes, throttle=0, deny_region=None):
        port = free_port()
        cmd = [sys.executable, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "fake_aws.py"), str(port),
            str(sgs), str(volumes)]
        if throttle:
            cmd[2:2] = ["--throttle", str(throttle)]
        if deny_region:
            cmd[2:2] = ["--deny-region", deny_region]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        testcase.addCleanup(self.stop)
        self.proc.stdout.readline()     # listening
        self.url = "http://127.0.0.1:%d" % port

    def counts(self):
        with urllib.request.urlopen(self.url + "/counts", timeout=5) as r:
            return json.loads(r.read())

    def set(self, **counts):
        """How many resources of each kind there are now (sgs, volumes)."""
        q = "&".join("%s=%d" % kv for kv in counts.items())
        with urllib.request.urlopen(self.url + "/set?" + q, timeout=5) as r:
            r.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


class ClassScope:
    """A test class standing for a test case, for resources that
    setUpClass makes once for all its tests (cleaned up after the last)."""

    def __init__(self, cls):
        self.cls = cls

    def addCleanup(self, fn, *args, **kwargs):
        self.cls.addClassCleanup(fn, *args, **kwargs)

    def fail(self, msg):
        raise AssertionError(msg)


def as_user(user):
    """A command prefix that runs a program as another user (needs root)."""
    return ["setpriv", "--reuid=%s" % user, "--regid=%s" % user,
            "--clear-groups", "--inh-caps=-all"]


def need_root(testcase):
    if os.geteuid() != 0:
        testcase.skipTest("needs root to run programs as another user "
                          "(CI runs the suite as root)")


def main():
    unittest.main(verbosity=2)
