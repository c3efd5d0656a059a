"""What gets installed: the systemd unit passes systemd-analyze verify and
rates 2.0 or better in its security review, and the man pages are clean
mdoc."""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from vigiltest import main

BUILDDIR = os.environ.get("VIGIL_BUILDDIR", ".")


def need(testcase, program, package):
    if shutil.which(program) is None:
        testcase.fail("%s is missing: apt-get install %s" % (program, package))


class Unit(unittest.TestCase):

    def unit_with_build_paths(self):
        """The built unit, pointing at the binaries of this build."""
        with open(os.path.join(BUILDDIR, "systemd", "vigild.service")) as f:
            text = f.read()
        text = re.sub(r"=\S*/sbin/vigild",
                      "=" + os.path.join(BUILDDIR, "vigild"), text)
        d = tempfile.mkdtemp(prefix="vigil-unit-")
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "vigild.service")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_verify(self):
        need(self, "systemd-analyze", "systemd")
        p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            self.unit_with_build_paths()],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")

    def test_security(self):
        need(self, "systemd-analyze", "systemd")
        p = subprocess.run(["systemd-analyze", "security", "--offline=true",
                            "--threshold=20", self.unit_with_build_paths()],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"Overall exposure level for vigild.service: "
                      r"(\d+\.\d+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout)

    def test_type_notify_and_watchdog(self):
        with open(self.unit_with_build_paths()) as f:
            text = f.read()
        for line in ("Type=notify", "User=vigil", "StateDirectory=vigil",
                     "RuntimeDirectory=vigil", "ConfigurationDirectory=vigil",
                     "#LoadCredential=", "ExecReload=/bin/kill -HUP $MAINPID"):
            self.assertIn(line, text)
        self.assertRegex(text, r"(?m)^WatchdogSec=\d+")


class ManPages(unittest.TestCase):

    def test_mandoc_lint(self):
        need(self, "mandoc", "mandoc")
        pages = sorted(glob.glob(os.path.join(BUILDDIR, "man", "*.[1-8]")))
        self.assertEqual([os.path.basename(p) for p in pages],
                         ["vigil-rules.7", "vigilctl.1", "vigild.8",
                          "vigild.yaml.5"])
        for page in pages:
            p = subprocess.run(["mandoc", "-Tlint", "-Wwarning", page],
                               capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""),
                             page)
            with open(page) as f:
                self.assertNotIn("@", re.sub(r"@\w+\.\w+", "", f.read()),
                                 "%s: unsubstituted @variable@" % page)


if __name__ == "__main__":
    main()
