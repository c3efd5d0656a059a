"""receiver: a loopback HTTP server standing in for Slack, Microsoft Teams,
PagerDuty, Jira and a generic webhook receiver in vigil's tests (no real
peer is reachable from here).  It records every request, validates each
JSON body against the service's documented format (notify_schemas.py),
answers as the service does (Jira's issue, comment and transitions
resources included), and can be scripted to fail: a list of answers per
path, used up in order, before the normal one.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import jsonschema
except ImportError:  # the test says what to install
    jsonschema = None

import notify_schemas


def schema_for(method, path):
    """The documented schema of a request, by the path it is sent to."""
    if path.startswith("/slack"):
        return notify_schemas.SLACK
    if path.startswith("/teams"):
        return notify_schemas.TEAMS
    if path.startswith("/pagerduty"):
        return notify_schemas.PAGERDUTY
    if path.startswith("/hook") or path.startswith("/flaky") or \
            path.startswith("/bad"):
        return notify_schemas.VIGIL
    for api in (2, 3):
        base = "/jira%d/rest/api/%d/issue" % (api, api)
        if path == base:
            return notify_schemas.jira_create(api)
        if path.startswith(base) and path.endswith("/comment"):
            return notify_schemas.jira_comment(api)
        if path.startswith(base) and path.endswith("/transitions") and \
                method == "POST":
            return notify_schemas.JIRA_TRANSITION
    return None


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.time = time.monotonic()
        self.json = None
        self.error = None       # what did not validate

    def key(self):
        return self.headers.get("X-Vigil-Idempotency-Key")


class Receiver:
    def __init__(self, testcase, port=0):
        if jsonschema is None:
            testcase.fail("python3-jsonschema is missing (apt-get install "
                          "python3-jsonschema)")
        self.requests = []
        self.script = {}        # path prefix -> [(status, headers), ...]
        self.lock = threading.Lock()
        self.issues = 0
        self.port = port
        self.server = None
        self.start()
        testcase.addCleanup(self.stop)

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def handle_any(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                status, headers, answer = receiver.answer(
                    method, self.path, dict(self.headers), body)
                data = json.dumps(answer).encode() if answer is not None \
                    else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def fail_next(self, prefix, status, times=1, headers=None):
        with self.lock:
            self.script.setdefault(prefix, []).extend(
                [(status, headers or {})] * times)

    def answer(self, method, path, headers, body):
        req = Request(method, path, headers, body)
        if body:
            try:
                req.json = json.loads(body)
            except ValueError as e:
                req.error = "not JSON: %s" % e
        schema = schema_for(method, path)
        if schema is not None and req.error is None:
            try:
                jsonschema.validate(req.json, schema)
            except jsonschema.ValidationError as e:
                req.error = "%s: %s at %s" % (path, e.message,
                                              list(e.absolute_path))
        with self.lock:
            self.requests.append(req)
            for prefix, answers in self.script.items():
                if path.startswith(prefix) and answers:
                    status, hdrs = answers.pop(0)
                    return status, hdrs, {"error": "scripted %d" % status}
            if req.error is not None:
                return 400, {}, {"error": req.error}
            if path.startswith("/pagerduty"):
                return 202, {}, {"status": "success",
                                 "message": "Event processed",
                                 "dedup_key": (req.json or {}).get(
                                     "dedup_key")}
            if "/rest/api/" in path:
                if path.endswith("/issue"):
                    self.issues += 1
                    return 201, {}, {"id": str(10000 + self.issues),
                                     "key": "SEC-%d" % self.issues,
                                     "self": self.url + path}
                if path.endswith("/comment"):
                    return 201, {}, {"id": "1"}
                if path.endswith("/transitions") and method == "GET":
                    return 200, {}, {"transitions": [
                        {"id": "11", "name": "To Do"},
                        {"id": "31", "name": "Done",
                         "to": {"name": "Done"}}]}
                if path.endswith("/transitions"):
                    return 204, {}, None
            return 200, {}, {"ok": True}

    def got(self, prefix=""):
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def invalid(self):
        return [r.error for r in self.got() if r.error is not None]


def signature(secret, body):
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
