"""The foundation, end to end: vigild under a test service manager, driven
with vigilctl over its control socket."""

import glob
import json
import os
import signal
import sqlite3
import subprocess
import urllib.request

from vigiltest import (Daemon, free_port, main, need_root, wait_for,
                       SRCDIR)
import unittest

NOBODY = "65534"
SCHEMA = len(glob.glob(os.path.join(SRCDIR, "sql", "[0-9]*.sql")))


class StartStop(unittest.TestCase):

    def test_ready_status_and_clean_stop(self):
        d = Daemon(self)
        d.start()
        msgs = d.notify.wait_line("READY=1")
        self.assertIn("MAINPID=%d" % d.proc.pid, msgs)
        self.assertTrue(any(m.startswith("STATUS=Opening the database")
                            for m in msgs), msgs)
        # READY=1 comes only after the database and the socket are up.
        ready = msgs.index("READY=1")
        self.assertTrue(any(m.startswith("STATUS=Opening the control socket")
                            for m in msgs[:ready]), msgs)
        self.assertTrue(os.path.exists(d.socket))

        st = d.status()
        self.assertEqual(st["state"], "ready")
        self.assertEqual(st["pid"], d.proc.pid)
        self.assertEqual(st["protocol"], 1)
        self.assertEqual(st["database"]["path"], d.database)
        self.assertEqual(st["database"]["schema_version"], SCHEMA)
        self.assertEqual(st["config"]["path"], d.config_path)
        self.assertEqual(st["feeds"], [])
        self.assertIn("events_received", st["counts"])

        table = d.ctl("status", check=0).stdout
        self.assertRegex(table, r"(?m)^state\s+ready$")
        self.assertRegex(table, r"(?m)^database\.schema_version\s+%d$"
                         % SCHEMA)
        csv = d.ctl("-o", "csv", "status", check=0).stdout.splitlines()
        self.assertEqual(csv[0], "key,value")
        self.assertIn("state,ready", csv)

        self.assertEqual(d.stop(signal.SIGTERM), 0, d.read_log())
        d.notify.wait_line("STOPPING=1")
        self.assertFalse(os.path.exists(d.socket))
        db = sqlite3.connect(d.database)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0],
                         "ok")
        runs = db.execute("SELECT pid, stopped_at FROM runs").fetchall()
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0][0], d.proc.pid)
        self.assertIsNotNone(runs[0][1])
        self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0],
                         "wal")
        db.close()

    def test_restart_after_kill_reports_unclean_run(self):
        d = Daemon(self)
        d.start()
        d.proc.kill()
        d.proc.wait()
        # The socket file is left behind; a new vigild takes it over.
        self.assertTrue(os.path.exists(d.socket))
        d.start()
        st = d.status()
        self.assertFalse(st["database"]["previous_run_clean"])
        self.assertIn("did not stop cleanly", d.read_log())
        self.assertEqual(d.stop(), 0)

    def test_watchdog(self):
        d = Daemon(self, extra_env={"WATCHDOG_USEC": "200000"})
        d.start()
        d.notify.wait_line("WATCHDOG=1", count=3)
        self.assertEqual(d.status()["watchdog_usec"], 200000)
        self.assertEqual(d.stop(), 0)

    def test_second_daemon_refused(self):
        d = Daemon(self)
        d.start()
        p = d.run(["-c", d.config_path])
        self.assertEqual(p.returncode, 1)
        self.assertIn("in use by another vigild", p.stderr)
        # Another database, same socket: the socket is the one refused.
        other = os.path.join(d.dir, "other.yaml")
        with open(other, "w") as f:
            f.write("database: %s/other.db\nsocket: %s\nrules: []\n"
                    % (d.dir, d.socket))
        p = d.run(["-c", other])
        self.assertEqual(p.returncode, 1)
        self.assertIn("another vigild is already running", p.stderr)
        self.assertEqual(d.status()["state"], "ready")
        self.assertEqual(d.stop(), 0)

    def test_version(self):
        d = Daemon(self)
        p = d.run(["-V"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^vigild \d+\.\d+\.\d+\n$")


class Configuration(unittest.TestCase):

    def test_check_ok(self):
        d = Daemon(self)
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual((p.returncode, p.stdout), (0, "configuration OK\n"),
                         p.stderr)

    def test_check_reports_every_error_with_position(self):
        d = Daemon(self)
        d.write_config("control_timeout: soon\n"
                       "log_levle: debug\n"
                       "control_max_connections: 0\n")
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        path = d.config_path
        first = d.base_config().count("\n") + 1    # the first added line
        self.assertIn("%s:%d:18: control_timeout: not a duration"
                      % (path, first), p.stderr)
        self.assertIn("%s:%d:1: unknown key 'log_levle' (did you mean "
                      "'log_level'?)" % (path, first + 1), p.stderr)
        self.assertIn("%s:%d:26: control_max_connections: 0 is out of "
                      "range" % (path, first + 2), p.stderr)
        # The offending line, with a caret under the column.
        self.assertIn("  control_timeout: soon\n"
                      "                   ^\n", p.stderr)

    def test_example_configuration(self):
        """etc/vigild.yaml, with every commented example turned on, is a
        valid configuration (only machine paths and secrets changed)."""
        d = Daemon(self)
        with open(os.path.join(SRCDIR, "etc", "vigild.yaml")) as f:
            lines = f.read().splitlines()
        out = []
        for line in lines:
            # "#key: value" and "#  - item": a commented setting.
            if line.startswith("#") and len(line) > 1 and \
                    (line[1].isalpha() or line[1:3] == "  "):
                line = line[1:]
            out.append(line)
        text = "\n".join(out) + "\n"
        secrets = os.path.join(d.dir, "secrets")
        os.mkdir(secrets)
        for name in ("external-id", "slack-webhook", "pagerduty-key",
                     "jira-token", "webhook-hmac"):
            with open(os.path.join(secrets, name), "w") as f:
                f.write("https://hooks.example.com/x\n"
                        if name == "slack-webhook" else "s3cret\n")
        text = (text.replace("/etc/vigil/secrets", secrets)
                .replace("/var/lib/vigil/vigil.db", d.database)
                .replace("/run/vigil/vigild.sock", d.socket)
                .replace("socket_group: vigil\n", "")
                .replace("admin_group: secops\n", "")
                .replace("/usr/share/vigil/rules",
                         os.path.join(SRCDIR, "rules")))
        self.assertIn("notify:\n  - name: secops-slack", text)
        self.assertIn("accounts:\n  - provider: aws", text)
        d.write_config(replace=text + "aws_models: %s\nevent_map: %s\n" % (
            os.path.join(SRCDIR, "data", "aws"),
            os.path.join(SRCDIR, "rules", "aws", "events.yaml")))
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual((p.returncode, p.stdout), (0, "configuration OK\n"),
                         p.stderr)

    def test_account_types_checked(self):
        """types and exclude_types name asset types vigild -T lists."""
        d = Daemon(self)
        types = d.run(["-T"]).stdout.splitlines()
        self.assertIn("AWS::S3::Bucket", [t.split("\t")[0] for t in types])
        d.write_config("accounts:\n"
                       "  - provider: aws\n"
                       "    id: \"123456789012\"\n"
                       "    types: [AWS::S3::Buckets, AWS::EC2::Volume]\n"
                       "    exclude_types: [Snapshots]\n")
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual(p.returncode, 1)
        at = "%s:%d:5" % (d.config_path, d.base_config().count("\n") + 2)
        self.assertIn("%s: types: unknown asset type 'AWS::S3::Buckets' "
                      "(did you mean 'AWS::S3::Bucket'?)" % at, p.stderr)
        self.assertIn("%s: exclude_types: unknown asset type 'Snapshots' "
                      "(vigild -T lists them)" % at, p.stderr)
        d.write_config("accounts:\n"
                       "  - provider: aws\n"
                       "    id: \"123456789012\"\n"
                       "    exclude_types: [AWS::EC2::Snapshot]\n")
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_check_names_existing_groups(self):
        d = Daemon(self)
        d.write_config("socket_group: no-such-group-here\n")
        p = d.run(["-n", "-c", d.config_path])
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s: socket_group: unknown group 'no-such-group-here'"
                      % d.config_path, p.stderr)

    def test_startup_with_bad_config_fails(self):
        d = Daemon(self)
        d.write_config("socket_mode: 999\n")
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("socket_mode: '999' is not an octal mode",
                      d.read_log())
        self.assertFalse(os.path.exists(d.database))

    def test_reload(self):
        d = Daemon(self)
        d.start()
        self.assertEqual(d.status()["config"]["log_level"], "info")

        # A bad configuration: the running one stays.
        d.write_config("log_level: loud\n")
        d.send(signal.SIGHUP)
        wait_for(lambda: d.status()["config"]["reload_failures"] == 1,
                 what="the failed reload")
        st = d.status()
        self.assertEqual(st["config"]["log_level"], "info")
        self.assertFalse(st["config"]["last_reload"]["ok"])
        self.assertEqual(st["state"], "ready")
        self.assertIn("log_level: 'loud' is not one of", d.read_log())
        self.assertIn("keeping the running configuration", d.read_log())

        # vigilctl reload shows the errors and exits 1.
        p = d.ctl("reload")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:%d:12: log_level: 'loud'"
                      % (d.config_path, d.base_config().count("\n") + 1),
                      p.stderr)

        # A good one is swapped in.
        d.write_config("log_level: debug\n")
        d.send(signal.SIGHUP)
        wait_for(lambda: d.status()["config"]["reloads"] == 1,
                 what="the reload")
        self.assertEqual(d.status()["config"]["log_level"], "debug")
        d.notify.wait(lambda m: any("reloaded" in x for x in m),
                      what="STATUS after reload")
        self.assertIn("RELOADING=1", d.notify.messages)

        # A key that needs a restart keeps its running value.
        d.write_config(replace="database: %s/moved.db\nsocket: %s\n"
                       "rules: []\n" % (d.dir, d.socket))
        self.assertEqual(d.ctl("reload").returncode, 0)
        self.assertEqual(d.status()["database"]["path"], d.database)
        self.assertIn("database changed; the change takes effect when "
                      "vigild restarts", d.read_log())
        self.assertEqual(d.stop(), 0)


class Database(unittest.TestCase):

    def test_newer_schema_refused(self):
        d = Daemon(self)
        db = sqlite3.connect(d.database)
        db.execute("PRAGMA user_version = 999")
        db.close()
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 1)
        log = d.read_log()
        self.assertIn("has schema version 999, newer than this vigild", log)
        self.assertIn("written by a newer vigil", log)
        db = sqlite3.connect(d.database)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0],
                         999)
        db.close()

    def test_corrupt_database_refused(self):
        d = Daemon(self)
        with open(d.database, "wb") as f:
            f.write(b"this is not an SQLite database, " * 200)
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("file is not a database", d.read_log())

    def test_missing_directory(self):
        d = Daemon(self)
        d.write_config(replace="database: %s/no/such/dir/vigil.db\n"
                       "socket: %s\nrules: []\n" % (d.dir, d.socket))
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("no/such/dir", d.read_log())
        self.assertIn("No such file or directory", d.read_log())

    def test_unwritable_database(self):
        need_root(self)
        d = Daemon(self)
        os.chmod(d.dir, 0o777)
        sqlite3.connect(d.database).close()     # root's, mode 0644
        os.chmod(d.database, 0o644)
        d.start(wait_ready=False, user=NOBODY)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("is read-only: vigild needs to write it", d.read_log())


class Access(unittest.TestCase):

    def test_not_running(self):
        d = Daemon(self)
        p = d.ctl("status")
        self.assertEqual(p.returncode, 3)
        self.assertIn("vigild is not running", p.stderr)

    def test_outsider_refused_by_socket_permissions(self):
        need_root(self)
        d = Daemon(self)
        d.start()
        self.assertEqual(os.stat(d.socket).st_mode & 0o777, 0o660)
        p = d.ctl("status", user=NOBODY)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("access denied", p.stderr)
        self.assertEqual(d.stop(), 0)

    def test_peer_credentials_checked(self):
        need_root(self)
        # A world-writable socket: only the credential check stands.
        d = Daemon(self, config="socket_mode: '0666'\n")
        d.start()
        p = d.ctl("status", user=NOBODY)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("reading needs the control socket's group", p.stderr)
        self.assertEqual(d.ctl("status").returncode, 0)
        self.assertEqual(d.stop(), 0)

    def test_group_reads_admin_changes(self):
        need_root(self)
        # nobody's group may read; changes need the admin group.
        d = Daemon(self, config="socket_group: '%s'\n" % NOBODY)
        d.start()
        self.assertEqual(os.stat(d.socket).st_gid, int(NOBODY))
        self.assertEqual(d.ctl("status", user=NOBODY).returncode, 0)
        p = d.ctl("reload", user=NOBODY)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("changes need root or the admin group", p.stderr)
        d.write_config("socket_group: '%s'\nadmin_group: '%s'\n"
                       % (NOBODY, NOBODY))
        self.assertEqual(d.ctl("reload").returncode, 0)
        p = d.ctl("reload", user=NOBODY)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("vigil_control_requests_total{code=\"403\"} 1",
                      d.ctl("metrics", check=0).stdout)
        self.assertEqual(d.stop(), 0)

    def test_unknown_path_and_method(self):
        d = Daemon(self)
        d.start()
        out = subprocess.run(
            ["curl", "-s", "--unix-socket", d.socket, "-w", "\n%{http_code}",
             "http://localhost/v1/nothing"], capture_output=True, text=True)
        body, code = out.stdout.rsplit("\n", 1)
        self.assertEqual(code, "404")
        self.assertEqual(json.loads(body)["error"]["code"], "not_found")
        out = subprocess.run(
            ["curl", "-s", "-X", "DELETE", "--unix-socket", d.socket, "-w",
             "\n%{http_code}", "http://localhost/v1/status"],
            capture_output=True, text=True)
        self.assertEqual(out.stdout.rsplit("\n", 1)[1], "405")
        self.assertEqual(d.stop(), 0)

    def test_connection_limit(self):
        d = Daemon(self, config="control_max_connections: 1\n")
        d.start()
        import socket as s
        first = s.socket(s.AF_UNIX, s.SOCK_STREAM)
        first.connect(d.socket)
        first.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200 OK", first.recv(65536))
        # The first connection stays open: a second one is turned away.
        p = d.ctl("status")
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("too many control connections", p.stderr)
        first.close()
        wait_for(lambda: d.ctl("status").returncode == 0,
                 what="a free connection slot")
        self.assertEqual(d.stop(), 0)

    def test_body_limit(self):
        d = Daemon(self, config="control_max_body: 1KiB\n")
        d.start()
        out = subprocess.run(
            ["curl", "-s", "--unix-socket", d.socket, "-o", "/dev/null",
             "-w", "%{http_code}", "-H", "Content-Type: application/json",
             "--data-binary", "@-", "http://localhost/v1/reload"],
            input="x" * 4096, capture_output=True, text=True)
        self.assertEqual(out.stdout, "413")
        self.assertEqual(d.status()["config"]["reloads"], 0)
        self.assertEqual(d.stop(), 0)


class Metrics(unittest.TestCase):

    def test_metrics_on_socket_and_tcp(self):
        port = free_port()
        d = Daemon(self, config="metrics_listen: 127.0.0.1:%d\n" % port)
        d.start()
        text = d.ctl("metrics", check=0).stdout
        self.assertIn("# TYPE vigil_events_received_total counter", text)
        self.assertIn('vigil_violations_open{severity="critical"} 0', text)
        self.assertIn("# TYPE vigil_event_processing_seconds histogram",
                      text)
        self.assertIn('vigil_event_processing_seconds_bucket{le="+Inf"} 0',
                      text)
        self.assertRegex(text, r"(?m)^process_resident_memory_bytes \d+$")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                    timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith(
                "text/plain; version=0.0.4"))
            self.assertIn("vigil_start_time_seconds", r.read().decode())
        # The TCP listener serves nothing but /metrics.
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen("http://127.0.0.1:%d/v1/status" % port,
                                   timeout=10)
        self.assertEqual(e.exception.code, 404)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
