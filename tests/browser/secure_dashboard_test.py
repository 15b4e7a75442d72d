#!/usr/bin/env python3
"""The pages of `agora dev --secure` in headless Chromium: with tokens on, they ask for one or take
it from ?token=, and then work as without."""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agora_browser import (Checks, DevCluster, Screenshots, default_build_dir, http, make_driver,  # noqa: E402
                           severe_logs, wait_until)

from selenium.webdriver.common.by import By  # noqa: E402

# The first read without a token is refused; Chromium logs it as a console error.
EXPECTED = ("the server responded with a status of 401",)


def live_with_one_agent(driver):
    wait_until(lambda: driver.execute_script(
        "const p = document.getElementById('ag-live'); return p && p.dataset.state === 'live'"), 10,
        "the event stream to be live (it carries the token as ?access_token=)")
    wait_until(lambda: driver.execute_script("return window.dashboard && dashboard.agents.size") == 1, 10,
               "the dashboard to load the agent")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=default_build_dir())
    args = parser.parse_args()
    checks = Checks()
    shots = Screenshots(args.build_dir)
    cluster = DevCluster(args.build_dir, agents=1, secure=True)
    driver = None
    try:
        checks.run("agora dev --secure starts a cluster", cluster.start, fatal=True)

        def api_needs_token():
            assert http("GET", cluster.url + "/api/v1/agents")[0] == 401
            assert http("GET", cluster.url + "/api/v1/agents", token=cluster.read_token)[0] == 200
            assert http("POST", cluster.url + "/api/v1/roles/x/weight", {"weight": 2}, token=cluster.read_token)[0] == 403
        checks.run("the API refuses calls without a token, and changes with a read-only one", api_needs_token)

        driver = make_driver()

        def asks_for_token():
            driver.get(cluster.url + "/")
            alert = wait_until(lambda: _alert(driver), 10, "the page to ask for a token")
            alert.send_keys(cluster.read_token)
            alert.accept()
            live_with_one_agent(driver)
            errors = severe_logs(driver, allowed=EXPECTED)
            assert not errors, "console errors: %s" % errors
        checks.run("the dashboard asks for a token on 401, then loads and follows events", asks_for_token)
        shots.take(driver, "secure-dashboard")

        def token_from_link():
            driver.execute_script("localStorage.clear()")
            driver.get(cluster.url + "/?token=" + cluster.operator_token)
            live_with_one_agent(driver)
            assert "token=" not in driver.current_url, "the token stays in the address bar: " + driver.current_url
            assert driver.execute_script("return localStorage.getItem('agora.token')") == cluster.operator_token
            errors = severe_logs(driver)
            assert not errors, "console errors: %s" % errors
        checks.run("a ?token= link signs the page in and leaves the address bar", token_from_link)

        def marathon_page():
            # Another origin, another localStorage: the page takes its own ?token= link.
            driver.get("http://127.0.0.1:%d/?token=%s" % (cluster.marathon_port, cluster.operator_token))
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#ag-live")
                       and driver.find_elements(By.CSS_SELECTOR, "#ag-live")[0].get_attribute("data-state") == "live",
                       10, "agora-marathon's page to follow its events")
            errors = severe_logs(driver, allowed=EXPECTED)
            assert not errors, "console errors: %s" % errors
        checks.run("agora-marathon's page works with a token", marathon_page)
    except Exception as e:  # a fatal check failed: already reported
        if not checks.failed:
            print("FAIL  %s" % e)
            checks.failed.append(str(e))
    finally:
        if driver:
            driver.quit()
        cluster.stop()
        if checks.failed:
            print("agora dev's output and logs: %s" % cluster.work_dir)
        else:
            shutil.rmtree(cluster.work_dir, ignore_errors=True)
    return checks.summary()


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main())
