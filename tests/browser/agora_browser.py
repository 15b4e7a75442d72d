"""Helpers of the browser tests: a real `agora dev` cluster on free loopback ports, headless
Chromium through selenium, waits with deadlines, screenshots.

Run with Debian's /usr/bin/python3 (it has python3-selenium; ./scripts/install-deps installs it
with chromium and chromium-driver).
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PORT_RANGE = (17000, 17999)  # kept clear of the C++ tests' ports


def free_ports(count):
    """`count` distinct ports in PORT_RANGE that nothing listens on right now."""
    ports = []
    candidates = list(range(PORT_RANGE[0], PORT_RANGE[1] + 1))
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError("no %d free ports in %s" % (count, PORT_RANGE))


def wait_until(check, timeout, what, interval=0.05):
    """Calls check() until it returns something truthy, which is returned; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # the page or the server is not there yet
            last_error = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s%s" % (
                timeout, what, " (last error: %s)" % last_error if last_error else ""))
        time.sleep(interval)


def http(method, url, body=None, timeout=5, token=None):
    """(status, parsed JSON or text) of one call; HTTP errors are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class DevCluster:
    """`agora dev` with a master, N agents and both frameworks, stopped by its pid (SIGTERM, then
    SIGKILL after 30 s) in every case; agora dev stops its own children."""

    def __init__(self, build_dir, agents=2, secure=False):
        self.build_dir = os.path.abspath(build_dir)
        self.agora = os.path.join(self.build_dir, "cli", "agora")
        self.agents = agents
        self.work_dir = tempfile.mkdtemp(prefix="agora-browser-")
        self.port, self.http_port, self.marathon_port, self.batch_port = free_ports(4)
        self.proc = None
        self.log_path = os.path.join(self.work_dir, "agora-dev.out")
        self.others = []  # processes started for the test (agora run), stopped first
        self.secure = secure

    @property
    def master(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.http_port

    def start(self, timeout=90):
        if not os.access(self.agora, os.X_OK):
            raise AssertionError("%s is not built" % self.agora)
        argv = [self.agora, "dev", "--work_dir=" + self.work_dir, "--port=%d" % self.port,
                "--http_port=%d" % self.http_port, "--marathon_port=%d" % self.marathon_port,
                "--batch_port=%d" % self.batch_port, "--agents=%d" % self.agents] + (["--secure"] if self.secure else [])
        print("starting:", " ".join(argv), flush=True)
        self.log = open(self.log_path, "w")
        # The CLI's credentials of a secure cluster go in the work dir, not the user's home.
        env = dict(os.environ, AGORA_CREDENTIALS=os.path.join(self.work_dir, "credentials.json"))
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("agora dev exited with %s:\n%s" % (self.proc.returncode, self.output()))
            with open(self.log_path) as f:
                return "cluster is up" in f.read()
        try:
            wait_until(up, timeout, "agora dev to say the cluster is up", interval=0.2)
        except AssertionError as e:
            raise AssertionError("%s\n--- agora dev output ---\n%s" % (e, self.output()))
        wait_until(lambda: http("GET", self.url + "/health")[0] == 200, 20, "the master's /health")
        if self.secure:
            import re
            found = re.search(r"operator ([0-9a-f]+), read-only ([0-9a-f]+)", self.output())
            assert found, "agora dev --secure printed no tokens:\n" + self.output()
            self.operator_token, self.read_token = found.group(1), found.group(2)
        print("cluster up: master %s, HTTP %s, work dir %s" % (self.master, self.url, self.work_dir), flush=True)

    def output(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def run_task(self, name, command):
        """Starts `agora run` in the background; returns its Popen (stopped by stop())."""
        argv = [self.agora, "run", "--master=" + self.master, "--name=" + name, "--timeout=60", "--", command]
        log = open(os.path.join(self.work_dir, "run-%s.out" % name), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.others.append(p)
        return p

    def stop(self):
        for p in self.others + ([self.proc] if self.proc else []):
            if p.poll() is not None:
                continue
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        self.others = []


def make_driver(width=1440, height=900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=%d,%d" % (width, height), "--force-color-profile=srgb", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def severe_logs(driver, allowed=()):
    """The browser console's SEVERE entries since the last call, except those holding any of
    the `allowed` substrings."""
    return [e for e in driver.get_log("browser")
            if e.get("level") == "SEVERE" and not any(a in e.get("message", "") for a in allowed)]


class Screenshots:
    def __init__(self, build_dir):
        self.dir = os.path.join(os.path.abspath(build_dir), "test-artifacts", "screenshots")
        os.makedirs(self.dir, exist_ok=True)
        self.paths = []

    def take(self, driver, name):
        path = os.path.join(self.dir, name + ".png")
        driver.save_screenshot(path)
        self.paths.append(path)
        print("screenshot:", path, flush=True)
        return path


class Checks:
    """Named checks: each runs, prints PASS or FAIL with the reason, and the script's exit code
    says whether all passed. A check that fails does not stop the ones after it unless they
    need what it made (then the caller lets the exception through with `fatal=True`)."""

    def __init__(self):
        self.failed = []
        self.passed = []

    def run(self, name, fn, fatal=False):
        start = time.monotonic()
        try:
            result = fn()
        except Exception as e:
            self.failed.append(name)
            print("FAIL  %s (%.1f s): %s" % (name, time.monotonic() - start, e), flush=True)
            if fatal:
                raise
            return None
        self.passed.append(name)
        print("PASS  %s (%.1f s)" % (name, time.monotonic() - start), flush=True)
        return result

    def summary(self):
        print("\n%d passed, %d failed%s" % (len(self.passed), len(self.failed),
                                          (": " + ", ".join(self.failed)) if self.failed else ""), flush=True)
        return 1 if self.failed else 0


def default_build_dir():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")


if __name__ == "__main__":
    sys.exit("a module of the browser tests; run dashboard_test.py")
