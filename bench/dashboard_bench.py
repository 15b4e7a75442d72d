#!/usr/bin/env python3
"""The dashboard against the scale simulator: a real agora-master with --agents simulated
agents (agora_sim, tasks trickling in and ending so that the event stream is busy), and
headless Chromium. Prints
  - the first load: from navigation to the agents list showing every agent, each of --loads
    fresh loads, and their median;
  - the master's cpu with no dashboard, and with --dashboards open (tabs on the overview,
    following the event stream), each over --seconds.

Run with Debian's /usr/bin/python3 (python3-selenium), after a build:
    ./scripts/bench dashboard [--agents=10000] [--dashboards=10]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
from agora_browser import free_ports, http, make_driver, wait_until  # noqa: E402

# Resolves once the agents panel counts `want` rows; answers ms since navigation started.
WAIT_FOR_AGENTS = """
const want = arguments[0], done = arguments[arguments.length - 1];
const text = want.toLocaleString('en-US') + ' rows';
(function look() {
  const panel = document.querySelector('[data-panel=agents]');
  if (panel && !panel.hidden && panel.textContent.includes(text)) return done(performance.now());
  requestAnimationFrame(look);
})();
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def master_cpu(pid, seconds):
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default="build")
    p.add_argument("--agents", type=int, default=10000)
    p.add_argument("--dashboards", type=int, default=10)
    p.add_argument("--loads", type=int, default=3)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--launch-rate", type=float, default=20, help="tasks per second the simulator launches (each runs 5 s)")
    args = p.parse_args()
    build = os.path.abspath(args.build_dir)
    work = tempfile.mkdtemp(prefix="agora-dashboard-bench-")
    zmq_port, http_port = free_ports(2)
    url = "http://127.0.0.1:%d" % http_port
    procs, drivers = [], []
    try:
        master = subprocess.Popen([build + "/master/agora-master", "--work_dir=" + work + "/master", "--ip=127.0.0.1",
                                   "--port=%d" % zmq_port, "--http_port=%d" % http_port],
                                  stdout=subprocess.DEVNULL, stderr=open(work + "/master.log", "w"))
        procs.append(master)
        wait_until(lambda: http("GET", url + "/health")[0] == 200, 30, "the master")
        procs.append(subprocess.Popen([build + "/bench/agora_sim", "--master=127.0.0.1:%d" % zmq_port,
                                       "--agents=%d" % args.agents, "--launch_rate=%g" % args.launch_rate,
                                       "--task_seconds=5", "--duration=100000", "--register_timeout=300"],
                                      stdout=open(work + "/sim.log", "w"), stderr=subprocess.STDOUT))
        wait_until(lambda: http("GET", url + "/api/v1/metrics")[1]["agents"]["active"] == args.agents, 300,
                   "%d agents to register" % args.agents, interval=1)
        time.sleep(5)  # past the registrations' burst, into the steady trickle of tasks
        idle = master_cpu(master.pid, args.seconds)

        driver = make_driver()
        drivers.append(driver)
        driver.set_script_timeout(120)
        loads = []
        for _ in range(args.loads):
            driver.get("about:blank")
            driver.get(url + "/#agents")
            loads.append(driver.execute_async_script(WAIT_FOR_AGENTS, args.agents))
        print("dashboard first load with %d agents, navigation -> the agents list showing all of them: "
              "median %.0f ms (%s)" % (args.agents, statistics.median(loads), ", ".join("%.0f" % l for l in loads)))

        # Each dashboard a browser of its own, as ten people would have: tabs of one headless
        # browser are throttled in the background.
        driver.get(url + "/#overview")
        for _ in range(args.dashboards - 1):
            drivers.append(make_driver())
            drivers[-1].get(url + "/#overview")
        wait_until(lambda: http("GET", url + "/api/v1/metrics")[1]["event_stream_subscribers"] >= args.dashboards, 60,
                   "%d dashboards to follow the stream" % args.dashboards)
        busy = master_cpu(master.pid, args.seconds)
        print("the master's cpu with %d agents and %g tasks/s: %.1f %% with no dashboard, %.1f %% with %d dashboards open"
              % (args.agents, args.launch_rate, idle, busy, args.dashboards))
    finally:
        for driver in drivers:
            driver.quit()
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
