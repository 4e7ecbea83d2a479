#!/usr/bin/python3
"""make run, as a newcomer runs it on a terminal: it serves everything it
prints, Ctrl-C ends it with status 0 and leaves no process behind, a dying
campaignd stops nginx too, and DEMO=1 runs a campaign that is sent,
delivered, read and answered by the stand-in provider.

Run by `make test-run` (port 8080 and ./var/ must be free)."""

import datetime
import json
import os
import pty
import select
import shutil
import subprocess
import time
import unittest
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BASE = "http://127.0.0.1:8080"


class MakeRun:
    """`make run` on a pseudo-terminal, as if typed at one."""

    def __init__(self, *args):
        self.output = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(TOP)
            os.execvp("make", ["make", "-s", "run", *args])

    def read(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    return

    def wait_output(self, text, seconds):
        deadline = time.time() + seconds
        while text.encode() not in self.output and time.time() < deadline:
            self.read(0.2)
        return text.encode() in self.output

    def ctrl_c(self):
        os.write(self.fd, b"\x03")

    def status(self, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.read(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        raise AssertionError("make run did not end: %r" % self.output[-500:])


def get(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def api(method, path, body=None):
    request = urllib.request.Request(
        BASE + "/api/" + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def ours(pids=False):
    """nginx, campaignd and the stand-in, as run for this clone"""
    out = subprocess.run(["ps", "-eo", "pid=,user=,args="],
                         capture_output=True, text=True).stdout
    lines = [line.split(None, 1) for line in out.splitlines()
             if TOP + "/var" in line or TOP + "/conf/demo-" in line]
    return [int(p) for p, _ in lines] if pids else [rest for _, rest in lines]


def wait_for(check, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class MakeRunTest(unittest.TestCase):

    def setUp(self):
        self.assertEqual(ours(), [], "a make run is already running")
        shutil.rmtree(os.path.join(TOP, "var"), ignore_errors=True)

    def tearDown(self):
        # a failed test leaves nothing running for the next one
        for pid in ours(pids=True):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def test_serves_what_it_prints_and_ctrl_c_is_clean(self):
        run = MakeRun()
        self.assertTrue(run.wait_output("Ctrl-C stops", 120), run.output)

        for path in ("/console/", "/api/health", "/metrics"):
            self.assertEqual(get(path)[0], 200, path)
            self.assertIn(("%s%s" % (BASE, path)).encode(), run.output)

        # a webhook location answers as a webhook: unsigned is refused
        request = urllib.request.Request(BASE + "/webhooks/whatsapp",
                                         data=b"{}", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(request, timeout=5)
        self.assertEqual(e.exception.code, 401)

        health = json.loads(get("/api/health")[1])
        self.assertTrue(wait_for(
            lambda: json.loads(get("/api/health")[1])["scheduler"]["alive"],
            15), health)

        # workers and campaignd are one user, so both can write the store
        users = {line.split()[0] for line in ours()
                 if "worker process" in line or "campaignd" in line}
        self.assertEqual(len(users), 1, ours())

        run.ctrl_c()
        self.assertEqual(run.status(), 0, run.output[-500:])
        self.assertNotIn(b"Error", run.output)
        wait_for(lambda: ours() == [], 10)
        self.assertEqual(ours(), [])

    def test_a_dying_campaignd_stops_nginx_and_says_so(self):
        run = MakeRun()
        self.assertTrue(run.wait_output("Ctrl-C stops", 120), run.output)
        subprocess.run(["pkill", "-KILL", "-f",
                        "campaignd --store " + TOP + "/var/store"])

        self.assertNotEqual(run.status(), 0)
        self.assertIn(b"error: campaignd exited", run.output)
        wait_for(lambda: ours() == [], 10)
        self.assertEqual(ours(), [])

    def test_demo_campaign_is_sent_delivered_read_and_answered(self):
        run = MakeRun("DEMO=1")
        self.assertTrue(run.wait_output("demo:     loaded", 120), run.output)

        status, flow = api("GET", "flows/demo-whatsapp")
        self.assertEqual((status, flow["status"]), (200, "published"))
        self.assertEqual(api("GET", "groups/demo")[1]["contact_count"], 5)

        now = datetime.datetime.now(datetime.timezone.utc)
        status, body = api("POST", "campaigns", {
            "id": "demo-test", "name": "Demo test",
            "flow_id": "demo-whatsapp", "group_id": "demo",
            "start_time": rfc3339(now + datetime.timedelta(seconds=3)),
            "end_time": rfc3339(now + datetime.timedelta(hours=1)),
            "execution_plan": {"unit": "day", "every": 1}})
        self.assertEqual(status, 201, body)

        # each contact: the question, a YES from the stand-in, the coupon
        def answered():
            items = api("GET", "campaigns/demo-test/messages?limit=100")[1]
            read = [m for m in items["items"] if m["status"] == "read"]
            return len(read) == 10 and items

        items = wait_for(answered, 60)
        self.assertTrue(items, api("GET", "campaigns/demo-test/messages"))
        self.assertEqual(
            {m["node_id"] for m in items["items"]}, {"ask", "coupon"})
        self.assertEqual(
            len({m["contact_id"] for m in items["items"]}), 5)
        self.assertEqual(api("GET", "campaigns/demo-test/stats")[1]
                         ["replied"], 5)

        run.ctrl_c()
        self.assertEqual(run.status(), 0, run.output[-500:])
        wait_for(lambda: ours() == [], 10)
        self.assertEqual(ours(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
