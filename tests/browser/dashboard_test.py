#!/usr/bin/python3
"""The master's dashboard in headless Chromium, against a real `agora dev` cluster.

  /usr/bin/python3 tests/browser/dashboard_test.py --build-dir build

Checks that the page loads without console errors, lists both agents, shows a task started from
the CLI within 2 s of the master knowing it without a reload, follows the task's stdout from
its agent, shows failed API calls with their status and message, and that Drain and Undrain from
the page reach the master. Screenshots go to BUILD/test-artifacts/screenshots/.
"""

import argparse
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agora_browser import (Checks, DevCluster, Screenshots, default_build_dir, http, make_driver,  # noqa: E402
                           severe_logs, wait_until)

from selenium.webdriver.common.by import By  # noqa: E402

TASK_NAME = "browser-test-sleep"
TASK_OUTPUT = "hello-from-the-browser-test"
# Calls the test makes fail on purpose; Chromium logs each failed fetch as a console error.
EXPECTED_FAILURES = ("the server responded with a status of 400", "the server responded with a status of 404",
                     "the server responded with a status of 409")


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def show_tab(driver, tab):
    css(driver, 'a[data-tab="%s"]' % tab)[0].click()
    wait_until(lambda: css(driver, '[data-panel="%s"]' % tab)[0].is_displayed(), 5, "tab " + tab + " shown")


def row_keys(driver, table):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' .vt-spacer .vt-row')].map(r => r.dataset.key)",
        "#" + table)


def error_toasts(driver):
    return [e.text for e in css(driver, "#ag-toasts .toast.error")]


def dismiss_toasts(driver):
    driver.execute_script("document.querySelectorAll('#ag-toasts .toast-close').forEach(b => b.click())")


def wait_for_toast(driver, *needles):
    return wait_until(lambda: next((t for t in error_toasts(driver) if all(n in t for n in needles)), None), 5,
                      "an error toast with %s (toasts: %s)" % (needles, error_toasts(driver)))


def master_agents(cluster):
    status, body = http("GET", cluster.url + "/api/v1/agents")
    assert status == 200, "GET /api/v1/agents: %s %s" % (status, body)
    return body["agents"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--build-dir", default=default_build_dir())
    args = parser.parse_args()

    checks = Checks()
    shots = Screenshots(args.build_dir)
    cluster = DevCluster(args.build_dir, agents=2)
    driver = None
    try:
        checks.run("agora dev starts a cluster", cluster.start, fatal=True)
        driver = make_driver()
        driver.set_script_timeout(15)

        def loads():
            driver.get(cluster.url + "/")
            wait_until(lambda: css(driver, "#ag-live") and css(driver, "#ag-live")[0].get_attribute("data-state") == "live",
                       10, "the event stream to be live (header pill)")
            wait_until(lambda: driver.execute_script("return window.dashboard && dashboard.agents.size") == 2, 10,
                       "the dashboard to load both agents")
            errors = severe_logs(driver)
            assert not errors, "console errors on load: %s" % errors
        checks.run("the page loads, follows events, no console errors", loads, fatal=True)

        def agents_listed():
            show_tab(driver, "agents")
            want = sorted(a["id"] for a in master_agents(cluster))
            wait_until(lambda: sorted(row_keys(driver, "agents")) == want, 5,
                       "the agents table to show %s (shows %s)" % (want, row_keys(driver, "agents")))
            for a in master_agents(cluster):
                row = css(driver, '#agents .vt-row[data-key="%s"]' % a["id"])[0]
                assert a["hostname"] in row.text, "row of %s lacks its hostname: %r" % (a["id"], row.text)
        checks.run("the agents list shows both agents", agents_listed)
        shots.take(driver, "dashboard-agents")

        def task_appears():
            show_tab(driver, "tasks")
            # A reload would lose this mark; re-reading the lists would add resource entries.
            driver.execute_script("window.__sameDocument = true")
            reads = "return performance.getEntriesByType('resource').filter(e => /\\/api\\/v1\\/(agents|frameworks)$|\\/api\\/v1\\/tasks\\?offset/.test(e.name)).length"
            reads_before = driver.execute_script(reads)
            cluster.run_task(TASK_NAME, "echo %s; sleep 600" % TASK_OUTPUT)
            seen = {}

            def both():
                now = time.monotonic()
                if "master" not in seen:
                    status, body = http("GET", cluster.url + "/api/v1/tasks?limit=1000")
                    if status == 200 and any(t.get("name") == TASK_NAME for t in body["tasks"]):
                        seen["master"] = now
                if "page" not in seen:
                    names = driver.execute_script(
                        "return [...document.querySelectorAll('#tasks .vt-row [data-col=name]')].map(c => c.textContent)")
                    if TASK_NAME in names:
                        seen["page"] = now
                return "master" in seen and "page" in seen
            wait_until(both, 60, "the task in the master's API and on the page (seen: %s)" % seen, interval=0.02)
            lag = seen["page"] - seen["master"]
            print("      the page showed the task %.2f s after the master's API did" % lag)
            assert lag <= 2.0, "the page showed the task %.2f s after the master knew it (at most 2 s)" % lag
            assert driver.execute_script("return window.__sameDocument === true"), "the page was reloaded"
            assert driver.execute_script(reads) == reads_before, "the page read the whole lists again"
        checks.run("a task started with `agora run` appears within 2 s, without a reload", task_appears)

        def task_logs():
            # A row is rebuilt when its task changes (STARTING, then RUNNING): find it again on a stale one.
            def click_row():
                row = next((r for r in css(driver, "#tasks .vt-spacer .vt-row") if TASK_NAME in r.text), None)
                if row:
                    row.find_element(By.CSS_SELECTOR, '[data-col="name"]').click()
                return row is not None
            wait_until(click_row, 5, "the task's row to click")
            wait_until(lambda: css(driver, "#task-drawer"), 5, "the task drawer")
            wait_until(lambda: TASK_OUTPUT in driver.execute_script(
                "const p = document.querySelector('#task-drawer pre[data-file=stdout]'); return p ? p.textContent : ''"),
                15, "the task's stdout (read from its agent) in the drawer (toasts: %s)" % error_toasts(driver))
        checks.run("clicking a task follows its stdout from the agent", task_logs)
        shots.take(driver, "dashboard-task-logs")
        driver.execute_script("dashboard.closeTask()")

        agents = master_agents(cluster)
        target = sorted(agents, key=lambda a: a["id"])[-1]

        def errors_shown():
            dismiss_toasts(driver)
            show_tab(driver, "agents")
            # Through the Drain button and its dialog: a negative deadline is the master's to refuse.
            row = css(driver, '#agents .vt-row[data-key="%s"]' % target["id"])[0]
            row.find_element(By.CSS_SELECTOR, 'button[data-action="drain"]').click()
            field = wait_until(lambda: css(driver, "dialog[open] input[name=deadline]"), 5, "the drain dialog")[0]
            field.clear()
            field.send_keys("-5")
            css(driver, "dialog[open] button[type=submit]")[0].click()
            wait_for_toast(driver, "400", "deadline_seconds")
            # The same calls the buttons make, where the buttons would not offer them.
            driver.execute_script("return dashboard.undrainAgent(arguments[0])", target["id"])
            wait_for_toast(driver, "409", "not draining")
            driver.execute_script("return dashboard.drainAgent('no-such-agent', 60)")
            wait_for_toast(driver, "404", "no-such-agent")
            assert not any(a["draining"] for a in master_agents(cluster)), "an agent drains after calls that failed"
        checks.run("failed API calls are shown with status and message", errors_shown)
        shots.take(driver, "dashboard-errors")

        def drain_reaches_master():
            dismiss_toasts(driver)
            row = css(driver, '#agents .vt-row[data-key="%s"]' % target["id"])[0]
            row.find_element(By.CSS_SELECTOR, 'button[data-action="drain"]').click()
            field = wait_until(lambda: css(driver, "dialog[open] input[name=deadline]"), 5, "the drain dialog")[0]
            field.clear()
            field.send_keys("900")  # long: the test's task is not killed meanwhile
            css(driver, "dialog[open] button[type=submit]")[0].click()
            wait_until(lambda: any(a["id"] == target["id"] and a["draining"] for a in master_agents(cluster)), 5,
                       "the master to report the agent draining")
            wait_until(lambda: css(driver, '#agents .vt-row[data-key="%s"] button[data-action="undrain"]' % target["id"]), 5,
                       "the page to offer Undrain")
            assert not error_toasts(driver), "errors shown: %s" % error_toasts(driver)
        checks.run("Drain from the page reaches the master", drain_reaches_master)
        shots.take(driver, "dashboard-draining")

        def undrain_reaches_master():
            css(driver, '#agents .vt-row[data-key="%s"] button[data-action="undrain"]' % target["id"])[0].click()
            wait_until(lambda: not any(a["draining"] for a in master_agents(cluster)), 5, "the master to undrain the agent")
            wait_until(lambda: css(driver, '#agents .vt-row[data-key="%s"] button[data-action="drain"]' % target["id"]), 5,
                       "the page to offer Drain again")
        checks.run("Undrain from the page reaches the master", undrain_reaches_master)

        def overview():
            dismiss_toasts(driver)
            show_tab(driver, "overview")
            wait_until(lambda: driver.execute_script("return dashboard.samples.length") >= 2, 10,
                       "two UTILIZATION samples")
            paths = driver.execute_script("return document.querySelectorAll('#util-charts svg path').length")
            assert paths >= 3, "the utilisation charts draw no lines (%d paths)" % paths
            wait_until(lambda: css(driver, "#pending li"), 10, "the pending panel")
        checks.run("the overview charts utilisation and lists pending reasons", overview)
        shots.take(driver, "dashboard-overview")

        def other_tabs():
            show_tab(driver, "frameworks")
            wait_until(lambda: len(row_keys(driver, "frameworks")) >= 2, 5, "agora-marathon and agora-batch listed")
            shots.take(driver, "dashboard-frameworks")
            show_tab(driver, "roles")
            wait_until(lambda: css(driver, "#roles .vt-spacer .vt-row"), 10, "roles listed")
            wait_until(lambda: css(driver, "#shares svg rect"), 5, "the share chart")
            shots.take(driver, "dashboard-roles")
            show_tab(driver, "tasks")
            shots.take(driver, "dashboard-tasks")
        checks.run("frameworks, roles and tasks tabs render", other_tabs)

        def no_unexpected_console_errors():
            errors = severe_logs(driver, allowed=EXPECTED_FAILURES)
            assert not errors, "console errors: %s" % errors
        checks.run("no console errors besides the calls failed on purpose", no_unexpected_console_errors)

        # The frameworks' own pages, reached through the links of the dashboard's Frameworks tab.
        show_tab(driver, "frameworks")
        links = {a.text.strip(" ↗"): a.get_attribute("href") for a in css(driver, "#frameworks .vt-row a[href]")}
        print("      framework pages linked from the dashboard: %s" % links)

        def submit_json(button, text):
            css(driver, button)[0].click()
            area = wait_until(lambda: css(driver, "dialog[open] textarea"), 5, "the JSON dialog")[0]
            driver.execute_script("arguments[0].value = arguments[1]", area, text)
            css(driver, "dialog[open] button[type=submit]")[0].click()

        def marathon_page():
            href = next((u for n, u in links.items() if "marathon" in n), None)
            assert href, "no link to agora-marathon's page on the Frameworks tab (webui_url): %s" % links
            driver.get(href)
            wait_until(lambda: css(driver, "header h1") and css(driver, "header h1")[0].text == "agora-marathon", 10, "agora-marathon's page")
            wait_until(lambda: css(driver, "#ag-live")[0].get_attribute("data-state") == "live", 10, "its event stream")
            submit_json("#new-app", '{"id": "/browser/web", "cmd": "sleep 600", "cpus": 0.1, "mem": 32, "instances": 2}')
            wait_until(lambda: any("/browser/web" in r.text and "2 / 2" in r.text for r in css(driver, "#apps .vt-spacer .vt-row")),
                       30, "the new app running 2 of 2 on the page (toasts: %s)" % error_toasts(driver))
            shots.take(driver, "marathon-apps")
            errors = severe_logs(driver)
            assert not errors, "console errors: %s" % errors
        checks.run("agora-marathon's page deploys an app and follows it", marathon_page)

        def batch_page():
            href = next((u for n, u in links.items() if "batch" in n), None)
            assert href, "no link to agora-batch's page on the Frameworks tab (webui_url): %s" % links
            driver.get(href)
            wait_until(lambda: css(driver, "header h1") and css(driver, "header h1")[0].text == "agora-batch", 10, "agora-batch's page")
            submit_json("#new-job", '{"id": "browser-job", "run": {"cmd": "echo batch-says-hi", "cpus": 0.1, "mem": 32}}')
            row = '#jobs .vt-row[data-key="browser-job"]'
            wait_until(lambda: css(driver, row), 10, "the new job on the page (toasts: %s)" % error_toasts(driver))
            css(driver, row + ' button[data-action="run"]')[0].click()
            wait_until(lambda: "succeeded" in css(driver, row)[0].text, 30, "the run to succeed on the page")
            css(driver, row + ' [data-col="id"]')[0].click()
            wait_until(lambda: [b for b in css(driver, "#job-drawer button") if b.text == "stdout"], 10, "the run's log button")[0].click()
            wait_until(lambda: "batch-says-hi" in css(driver, "#job-drawer .job-log")[0].text, 10, "the run's stdout, read from its agent")
            shots.take(driver, "batch-job")
            errors = severe_logs(driver)
            assert not errors, "console errors: %s" % errors
        checks.run("agora-batch's page adds a job, runs it and shows its log", batch_page)
    except Exception as e:  # a fatal check failed: already reported
        if not checks.failed:
            print("FAIL  %s" % e)
            checks.failed.append(str(e))
        if driver:
            try:
                shots.take(driver, "dashboard-failure")
            except Exception:
                pass
    finally:
        if driver:
            driver.quit()
        cluster.stop()
        if checks.failed:
            print("agora dev's output and logs: %s" % cluster.work_dir)
        else:
            shutil.rmtree(cluster.work_dir, ignore_errors=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
