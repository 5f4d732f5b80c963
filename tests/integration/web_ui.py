"""The web UI's browser steps, run by test_web_ui.sh with the pinned Selenium of
scripts/setup-browser and Debian's headless chromium + chromium-driver (docs/ui.md).

Reads WEB_* from the environment (set by test_web_ui.sh). Every step waits on a condition
with a deadline; nothing sleeps to synchronise. After each page it reads the browser's
console log: any error fails the step, but for the few failed requests a step causes on
purpose (a refused override answers 400, ...). Timings measured in the page
(performance.now() around rendering, window.dagctlTimings) go to WEB_TIMINGS.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

E = os.environ
BASE = E["WEB_BASE"]
SHOTS = E["WEB_SCREENS"]
checks = 0
timings = {}


def ok(what):
    global checks
    checks += 1
    print(f"ok browser {checks} - {what}", flush=True)


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr, flush=True)
    try:
        driver.save_screenshot(os.path.join(SHOTS, "failure.png"))
        print(f"page at failure: {driver.current_url}\n{driver.find_element(By.TAG_NAME, 'body').text[:3000]}", file=sys.stderr)
    except Exception:  # the browser may be what failed
        pass
    sys.exit(1)


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


driver = make_driver()
driver.set_page_load_timeout(30)
driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": BASE, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})


def wait(cond, what, seconds=20):
    try:
        # Pages redraw while they poll: an element found a moment ago may be gone; look again.
        return WebDriverWait(driver, seconds, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: cond())
    except TimeoutException:
        fail(f"timed out after {seconds}s waiting for {what}")


def q(selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def one(selector, what=None, seconds=20):
    return wait(lambda: (q(selector) or [None])[0], what or selector, seconds)


def test(name):
    return f'[data-test="{name}"]'


def console_errors(allowed=()):
    """Fails on any console error of the page but those whose message holds one of `allowed`."""
    bad = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)]
    if bad:
        fail("console errors: " + "; ".join(e["message"][:300] for e in bad))


def shot(name, width=None):
    """The whole page (up to 2400 px tall) at the window's width, or at `width` CSS pixels."""
    driver.execute_script("window.scrollTo(0, 0)")
    w = width or driver.execute_script("return window.innerWidth")
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), 2400)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": w, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    finally:
        if not width:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def open_page(hash_route, ready):
    driver.get(f"{BASE}/#{hash_route}")
    return one(ready, f"{ready} on #{hash_route}")


def timings_of(page):
    return driver.execute_script("return (window.dagctlTimings || []).filter(t => t.page === arguments[0])", page)


def http(method, path, token=None, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as res:
            return res.status, dict(res.headers), res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def fetch_status(path):
    """The status of a same-origin GET from inside the page (with its cookie, if any)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => done(r.status), e => done(String(e)))", path)


# --- logged out: nothing ---------------------------------------------------------------
for path in ("/", "/ui/app.js", f"/#/projects/{E['WEB_SHOP_ID']}"):
    status, headers, body = http("GET", path)
    if status not in (303, 401) or E["WEB_SHOP_ID"] in body:
        fail(f"GET {path} without a session answered {status}: {body[:200]}")
status, _, body = http("GET", "/api/v1/projects")
if status != 401 or E["WEB_SHOP_ID"] in body:
    fail(f"GET /api/v1/projects without a session answered {status}")
ok("without a session: pages redirect to /login and the API answers 401")

# --- log in with dagctl ui --print-url ---------------------------------------------------
url = subprocess.run([E["WEB_DAGCTL"], "ui", "--print-url"], check=True, capture_output=True, text=True).stdout.strip()
if not url.startswith("http://127.0.0.1:"):
    fail(f"dagctl ui --print-url printed {url!r}")
driver.get(url)
one(test("project"), "the overview after the login link")
if "local" not in one(test("session")).text:
    fail("the session from dagctl ui is not local: " + one(test("session")).text)
ok("dagctl ui --print-url logs the browser in with a local session")
nav = driver.execute_script(
    "const n = performance.getEntriesByType('navigation')[0];"
    "const r = performance.getEntriesByType('resource');"
    "return {bytes: n.transferSize + r.reduce((s, e) => s + e.transferSize, 0), files: r.length + 1,"
    " body: n.decodedBodySize + r.reduce((s, e) => s + e.decodedBodySize, 0)}")
timings["first_load"] = nav
if nav["bytes"] > 150 * 1024:
    fail(f"the first load transferred {nav['bytes']} bytes")
ok(f"the first load is {nav['bytes']} bytes over the wire in {nav['files']} files")

# --- overview: copy ids ----------------------------------------------------------------
shop = one(f'{test("project")}[data-project-id="{E["WEB_SHOP_ID"]}"]')


def check_copy(button, expected, what):
    button.click()
    wait(lambda: button.get_attribute("data-copied") == "true", f"{what} to be copied")
    text = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, e => done('unreadable: ' + e))")
    if text.startswith("unreadable"):
        if button.get_attribute("data-value") != expected:
            fail(f"the copy button of {what} holds {button.get_attribute('data-value')}")
        ok(f"{what} copied (clipboard not readable here: {text}; the button's value checked)")
    elif text != expected:
        fail(f"the clipboard holds {text!r}, not the {what} {expected}")
    else:
        ok(f"{what} copied to the clipboard")


check_copy(shop.find_element(By.CSS_SELECTOR, test("copy-project-id")), E["WEB_SHOP_ID"], "project id")
row = shop.find_element(By.CSS_SELECTOR, f'{test("job-row")}[data-job-id="{E["WEB_JOB_ID"]}"]')
check_copy(row.find_element(By.CSS_SELECTOR, test("copy-job-id")), E["WEB_JOB_ID"], "job id")
if row.find_element(By.CSS_SELECTOR, test("last-status")).text not in ("success", "partial"):
    fail("the default job's last status is missing")
ok("each job shows its last status")
shot("overview")
console_errors()

# --- trigger with an override: the API's refusal verbatim, then a run to success -------
row.find_element(By.CSS_SELECTOR, test("trigger-open")).click()
override = row.find_element(By.CSS_SELECTOR, test("trigger-override"))
bad = "dbt build --select stg_books+ ; rm -rf /"
override.send_keys(bad)
row.find_element(By.CSS_SELECTOR, test("trigger-submit")).click()
shown = wait(lambda: (lambda e: e.text if e.is_displayed() and e.text else None)(row.find_element(By.CSS_SELECTOR, test("trigger-error"))), "the refusal")
status, _, body = http("POST", f"/api/v1/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}/trigger", E["WEB_TOKEN"], {"command_override": bad})
expected = json.loads(body)["error"]["message"]
if status != 400 or shown != expected:
    fail(f"the refusal shown is {shown!r}; the API says ({status}) {expected!r}")
ok("a refused override shows the API's message verbatim")
override.clear()
override.send_keys("dbt build --select stg_books+")
row.find_element(By.CSS_SELECTOR, test("trigger-submit")).click()
wait(lambda: "#/runs/" in driver.current_url, "the run page after the trigger")
run_id = driver.current_url.rsplit("/", 1)[1]
wait(lambda: one(test("run-status")).text == "success", "the triggered run to succeed", 240)
wait(lambda: q(test("node-row")) and all(r.get_attribute("data-status") in ("success", "pass") for r in q(test("node-row"))),
     "every node of the run to succeed")
rows = len(q(test("node-row")))
command = one(test("run-command")).text
if "--select stg_books+" not in command:
    fail(f"the run's command is {command!r}")
ok(f"the triggered run with the override reached success live; its node table has {rows} rows, all success/pass")
wait(lambda: "Completed successfully" in one(test("log")).text, "the log to show dbt's last line", 30)
ok("the live log shows dbt's output to its end")
one(test("artifact-link"), "the artifacts")
names = [a.text for a in q(test("artifact-link"))]
if "run_results.json" not in names or "manifest.json" not in names:
    fail(f"artifacts listed: {names}")
href = [a.get_attribute("href") for a in q(test("artifact-link")) if a.text == "run_results.json"][0]
if fetch_status(href) != 200:
    fail("run_results.json does not download")
ok("the artifacts are listed and run_results.json downloads")
shot("run-success")
console_errors(allowed=("/trigger - Failed to load resource: the server responded with a status of 400",))

# --- overview: the next scheduled time names its zone ----------------------------------
# The browser is put in New York, the job's schedule is in UTC: the time is shown in the
# job's zone with its name, and in the browser's with that zone's name beside it.
driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
try:
    job_row = f'{test("job-row")}[data-job-id="{E["WEB_JOB_ID"]}"]'
    open_page("/", f'{job_row} {test("next-run")}')
    shown = one(f'{job_row} {test("next-run")}').text
    _, _, body = http("GET", f"/api/v1/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}", E["WEB_TOKEN"])
    fire = json.loads(body)["schedule_info"]["next_fire_times"][0]
    if not re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 06:00 UTC", shown) or not shown.endswith(fire["job_zone"]):
        fail(f"the overview's next run reads {shown!r}; the job's next fire time is {fire['job_zone']!r} (cron 0 6 * * 1-5, UTC)")
    here = one(f'{job_row} {test("next-run-here")}').text
    if not re.search(r"\b0[12]:00 (EST|EDT|GMT-[45]) here$", here):
        fail(f"the next run in the browser's zone (New York) reads {here!r}")
    ok(f"the overview's next scheduled time names its zone: {shown!r}, {here.strip(' ·')!r} in the browser's")
    console_errors()
finally:
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})

# --- a failed run: the root error ------------------------------------------------------
open_page(f"/runs/{E['WEB_FAILED_RUN']}", test("root-error"))
root = one(test("root-node")).text
message = one(test("root-error")).text
if root != "fct_sales" or "book_ref" not in message:
    fail(f"the root error names {root!r}: {message[:300]}")
ok("the failed run's page names the root error: fct_sales and dbt's message")
if not q(test("gantt-critical")):
    fail("the timeline marks no critical path")
ok(f"the timeline has {len(q(test('gantt-bar'))) + len(q(test('gantt-critical')))} bars, {len(q(test('gantt-critical')))} on the critical path")
before = len(q(test("node-row")))
one(test("node-filter")).send_keys("fct")
wait(lambda: 0 < len(q(test("node-row"))) < before, "the node filter")
one(test("node-filter")).send_keys(Keys.CONTROL, "a")
one(test("node-filter")).send_keys(Keys.DELETE)
wait(lambda: len(q(test("node-row"))) == before, "the node filter cleared")
one(test("sort-execution_time")).click()
if one(test("sort-execution_time")).find_element(By.XPATH, "..").get_attribute("aria-sort") != "ascending":
    fail("sorting by duration does not mark the column")
ok("the node table filters and sorts")
shot("run-failed")
console_errors()

# --- retry a failed run, cancel a running one ------------------------------------------


def api_run(run_id):
    status, _, body = http("GET", f"/api/v1/runs/{run_id}", E["WEB_TOKEN"])
    if status != 200:
        fail(f"GET /api/v1/runs/{run_id} answered {status}: {body[:300]}")
    return json.loads(body)


def hook_requests(after=0):
    with open(E["WEB_HOOKS"]) as f:
        return [json.loads(line) for line in f.readlines()[after:]]


one(test("retry")).click()
wait(lambda: "#/runs/" in driver.current_url and not driver.current_url.endswith(E["WEB_FAILED_RUN"]), "the retry's run page")
retry_id = driver.current_url.rsplit("/", 1)[1]
retried = api_run(retry_id)
if retried.get("retry_of") != E["WEB_FAILED_RUN"] or retried.get("triggered_by") != "retry":
    fail(f"the retry's run {retry_id} has retry_of {retried.get('retry_of')!r}, triggered_by {retried.get('triggered_by')!r}")
link = one(test("retry-of"), "the retry's page to name the run it retries")
if not link.get_attribute("href").endswith(f"#/runs/{E['WEB_FAILED_RUN']}"):
    fail(f"the retry's page links {link.get_attribute('href')}")
ok(f"Retry failed nodes queues run {retry_id[:8]} (retry_of the failed run) and opens its page")
# Its end sends a webhook: let it arrive now, so the job page's checks below see only theirs.
wait(lambda: one(test("run-status")).text in ("success", "partial", "failed", "error", "cancelled"), "the retry to end", 240)
wait(lambda: any(retry_id in r["body"] for r in hook_requests()), "the retry's webhook at the receiver", 30)
ok(f"the retry ran to {one(test('run-status')).text} on its page")
console_errors()

status, _, body = http("GET", f"/api/v1/projects/{E['WEB_BIG_ID']}/jobs", E["WEB_TOKEN"])
big_job = [j for j in json.loads(body)["jobs"] if j["name"] == "default"][0]["id"]
status, _, body = http("POST", f"/api/v1/projects/{E['WEB_BIG_ID']}/jobs/{big_job}/trigger", E["WEB_TOKEN"],
                       {"command_override": "dbt build --select hold"})
if status != 200:
    fail(f"triggering a held run answered {status}: {body[:300]}")
held = json.loads(body)["job_run_id"]  # fake-dbt holds `--select hold` until released or interrupted
open_page(f"/runs/{held}", test("run-status"))
wait(lambda: one(test("run-status")).text == "running", "the held run to be running", 30)
one(test("cancel")).click()
wait(lambda: one(test("run-status")).text == "cancelled", "the run page to show the run cancelled", 60)
if q(test("cancel")) or q(test("retry")):
    fail("a cancelled run still offers Cancel or Retry")
if api_run(held)["status"] != "cancelled":
    fail("the API does not say the run was cancelled")
ok("Cancel run stops a running run: its page shows it cancelled and drops the button")
shot("run-cancelled")
console_errors()

# --- runs: 100,000 stored, filters, paging, timing -------------------------------------
renders = []
fetches = []
for _ in range(3):
    driver.get(f"{BASE}/#/")
    one(test("project"))
    driver.execute_script("location.hash = '#/runs'")
    one(test("run-row"))
    entry = wait(lambda: (timings_of("runs") or [None])[-1], "the runs page's timing")
    renders.append(entry["render_ms"])
    fetches.append(entry["fetch_ms"])
timings["runs_page"] = {"stored_runs": int(E["WEB_RUNS"]), "rows": entry["rows"], "render_ms": statistics.median(renders),
                        "fetch_ms": statistics.median(fetches)}
ok(f"runs page with {E['WEB_RUNS']} stored runs: render {timings['runs_page']['render_ms']:.1f} ms, API {timings['runs_page']['fetch_ms']:.1f} ms (median of 3)")
if timings["runs_page"]["render_ms"] > 2000:
    fail("the runs page took over 2 s to render")
first = q(test("run-row"))[0].get_attribute("data-run-id")
one(test("page-older")).click()
wait(lambda: q(test("run-row")) and q(test("run-row"))[0].get_attribute("data-run-id") != first, "the older page")
one(test("page-newer")).click()
wait(lambda: q(test("run-row")) and q(test("run-row"))[0].get_attribute("data-run-id") == first, "back to the newest page")
ok("paging older and back")
shot("runs")
driver.find_element(By.CSS_SELECTOR, f'{test("filter-status")} option[value="failed"]').click()
driver.find_element(By.CSS_SELECTOR, f'{test("filter-trigger")} option[value="schedule"]').click()
one(test("filter-apply")).click()
wait(lambda: "status=failed" in driver.current_url and q(test("run-row")), "the filtered runs")
statuses = {r.get_attribute("data-status") for r in q(test("run-row"))}
if statuses != {"failed"}:
    fail(f"status=failed shows {statuses}")
entry = timings_of("runs")[-1]
timings["runs_page_filtered"] = {"filter": "status=failed&triggered_by=schedule", "rows": entry["rows"], "render_ms": entry["render_ms"], "fetch_ms": entry["fetch_ms"]}
ok(f"filtered by status and trigger: {entry['rows']} rows, render {entry['render_ms']:.1f} ms, API {entry['fetch_ms']:.1f} ms")
console_errors()

# --- job page: schedule, deliveries, redeliver, secret ---------------------------------
open_page(f"/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}", test("delivery"))
if "Monday" not in one(test("schedule-words")).text and "weekday" not in one(test("schedule-words")).text.lower():
    print("note: schedule in words:", one(test("schedule-words")).text)
if len(q(f'{test("next-fire-times")} li')) < 1:
    fail("no next fire times")
ok("the job page shows the schedule in words and its next fire times")


def hooks():
    with open(E["WEB_HOOKS"]) as f:
        return sum(1 for _ in f)


sent = hooks()
first = q(test("delivery"))[0]
attempts = first.find_element(By.TAG_NAME, "summary").text
first.find_element(By.CSS_SELECTOR, test("redeliver")).click()
wait(lambda: hooks() > sent, "the receiver to get the redelivery")
wait(lambda: q(test("delivery")) and q(test("delivery"))[0].find_element(By.TAG_NAME, "summary").text != attempts
     and q(test("delivery"))[0].get_attribute("data-status") == "delivered", "the delivery log to show the new attempt", 30)
ok("redeliver sends the webhook again and the delivery log shows the new attempt")
with open(E["WEB_HOOKS"]) as f:
    last_sent = json.loads(f.readlines()[-1])["body"]
shown = q(test("delivery"))[0].find_element(By.CSS_SELECTOR, test("request-body")).get_attribute("textContent")
if json.loads(shown) != json.loads(last_sent):
    fail("the delivery's request body is not what the receiver got")
ok("the delivery log shows the request body the receiver got")
one(test("reveal-secret")).click()
if wait(lambda: one(test("secret")).text, "the secret") != E["WEB_SECRET"]:
    fail("the revealed secret is not the job's")
ok("a local session reveals the signing secret")

one(test("rotate-secret")).click()
one(test("rotate-secret-confirm")).click()
new_secret = wait(lambda: (lambda t: t if t and t != E["WEB_SECRET"] else None)(one(test("secret")).text), "the rotated secret")
stored = subprocess.run([E["WEB_DAGCTL"], "webhook", "secret", "shop/default"], check=True, capture_output=True, text=True).stdout.strip()
if not new_secret.startswith("whsec_") or stored != new_secret:
    fail(f"the page shows {new_secret[:12]}… after rotating; dagctl webhook secret says {stored[:12]}…")
ok("Rotate shows a new signing secret, the one the daemon now holds")

sent = hooks()
one(test("webhook-test")).click()


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


got = wait(lambda: next((r for r in hook_requests(sent) if lower(r["headers"]).get("x-dagctl-event") == "job.test"), None),
           "the test event at the receiver", 30)
head = lower(got["headers"])
raw = got["body"].encode()


def dagctl_signature(secret):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def standard_signature(secret):
    signed = f"{head.get('webhook-id', '')}.{head.get('webhook-timestamp', '')}.".encode() + raw
    return "v1," + base64.b64encode(hmac.new(base64.b64decode(secret.removeprefix("whsec_")), signed, hashlib.sha256).digest()).decode()


if head.get("x-dagctl-signature") != dagctl_signature(new_secret) or standard_signature(new_secret) not in head.get("webhook-signature", "").split():
    fail(f"the test event is not signed with the rotated secret: {head}")
if head["x-dagctl-signature"] == dagctl_signature(E["WEB_SECRET"]) or standard_signature(E["WEB_SECRET"]) in head["webhook-signature"].split():
    fail("the test event still verifies with the old secret")
ok("Send a test event: the receiver gets job.test signed with the new secret (both signatures), not the old one")
test_item = f'{test("delivery")}[data-delivery-id="{head["x-dagctl-delivery"]}"]'
wait(lambda: q(test_item) and q(test_item)[0].get_attribute("data-status") == "delivered"
     and q(test_item)[0].find_element(By.CSS_SELECTOR, ".event").text == "job.test", "the test event in the delivery log", 30)
ok("the delivery log shows the job.test delivery, delivered")
driver.execute_script("document.querySelector('[data-test=secret-box]').textContent = 'whsec_… (revealed; left out of the screenshot)'")
shot("job")
console_errors()

# --- model page, tokens ----------------------------------------------------------------
open_page(f"/projects/{E['WEB_SHOP_ID']}/nodes/model.shop.fct_sales", test("duration-chart"))
if not q(f"{test('failures')} pre"):
    fail("the model page shows no failure of fct_sales")
ok("the model page draws the duration chart and the last failures")
shot("model")
console_errors()
open_page("/tokens", test("token-row"))
if "browser" not in one(test("tokens-table")).text:
    fail("the token list misses the test's token")
ok("the tokens page lists the tokens")
shot("tokens")
console_errors()

one(test("token-name")).send_keys("made-in-the-ui")
one(f'{test("token-scope")} option[value="read"]').click()
one(test("token-create")).click()
made = one(f'{test("token-created")} {test("copy-token")}', "the new token, shown once").get_attribute("data-value")
status, _, body = http("GET", "/api/v1/projects", made)
if not made.startswith("dctl_") or status != 200 or E["WEB_SHOP_ID"] not in body:
    fail(f"the token the page showed ({made[:10]}…) answered {status} on GET /api/v1/projects: {body[:200]}")
status, _, _ = http("POST", f"/api/v1/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}/trigger", made)
if status != 403:
    fail(f"a read token created in the UI triggered a run ({status})")
ok("a read token created on the page reads the API over TCP and may not trigger (403)")


def row_of(name):
    return next((r for r in q(test("token-row")) if r.find_element(By.TAG_NAME, "th").text == name), None)


wait(lambda: row_of("made-in-the-ui"), "the new token in the list").find_element(By.CSS_SELECTOR, test("revoke")).click()
row_of("made-in-the-ui").find_element(By.CSS_SELECTOR, test("revoke-confirm")).click()
wait(lambda: "revoked" in (row_of("made-in-the-ui").get_attribute("class") or ""), "the token to show revoked")
status, _, body = http("GET", "/api/v1/projects", made)
if status != 401:
    fail(f"the revoked token still answers {status}")
driver.refresh()  # the same URL: a get() would stay on the page
one(test("token-row"), "the tokens page after a reload")
if q(test("token-created")) or made in driver.page_source:
    fail("the token's secret is on the page again after a reload")
ok("Revoke on the page: the same request gets 401, and the secret is not shown again")
console_errors()

# --- 500 nodes ------------------------------------------------------------------------
if E.get("WEB_NODES500_RUN"):
    renders = []
    for _ in range(3):
        driver.get(f"{BASE}/#/")
        one(test("project"))
        driver.execute_script(f"location.hash = '#/runs/{E['WEB_NODES500_RUN']}'")
        entry = wait(lambda: ([t for t in timings_of("run") if t["rows"] >= 500] or [None])[-1], "the 500-node run page's timing", 30)
        renders.append(entry["render_ms"])
    timings["run_page_500_nodes"] = {"rows": entry["rows"], "render_ms": statistics.median(renders)}
    ok(f"run page with {entry['rows']} nodes: table + timeline render {statistics.median(renders):.1f} ms (median of 3)")
    shot("run-500-nodes")
    console_errors()
else:
    print("note: fake-dbt has no --select nodes500; the 500-node page is not measured")

# --- keyboard and a narrow window ------------------------------------------------------
driver.get(f"{BASE}/#/")
one(test("project"))
body = driver.find_element(By.TAG_NAME, "body")
body.send_keys(Keys.TAB)
seen = []
for _ in range(8):
    el = driver.switch_to.active_element
    style = driver.execute_script("const s = getComputedStyle(arguments[0]); return s.outlineStyle + ' ' + s.outlineWidth", el)
    seen.append((el.tag_name, style))
    if style.startswith("none") or style.endswith(" 0px"):
        fail(f"the focused {el.tag_name} {el.text[:40]!r} has no visible focus ({style})")
    el.send_keys(Keys.TAB)
ok(f"Tab moves through the page with a visible focus ring ({', '.join(t for t, _ in seen)})")
# Chromium's window is at least 500 px wide: a 400 px viewport is emulated.
driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False})
# dbt names are long single words (a test's name here is 66 characters): the page of one
# is checked too, whichever nodes the run page happens to list as slowest.
_, _, body = http("GET", f"/api/v1/runs/{E['WEB_FAILED_RUN']}/nodes", E["WEB_TOKEN"])
longest = max(json.loads(body)["nodes"], key=lambda n: len(n["name"]))
narrow_pages = (("overview-narrow", "/", test("project")),
                ("run-narrow", f"/runs/{E['WEB_FAILED_RUN']}", test("root-error")),
                ("node-narrow", f"/projects/{E['WEB_SHOP_ID']}/nodes/{longest['unique_id']}", test("duration-chart")))
for name, route, ready in narrow_pages:
    open_page(route, ready)
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1] + 1:
        widest = driver.execute_script("""
            const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement)
              if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
            let w = null;
            for (const e of document.querySelectorAll('main *'))
              if (e.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls(e)) w = e;
            return w ? w.tagName + ' ' + (w.className || '') + ' ' + w.textContent.slice(0, 80) : '?'""")
        fail(f"at 400 px the {name} page is {width[0]} px wide; past the edge: {widest}")
    shot(name, 400)
driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
ok("at 400 px the pages fit the window")
console_errors()

# --- a token session: no secret, no tokens ---------------------------------------------
driver.delete_all_cookies()
driver.get(f"{BASE}/login")
one(test("login-token")).send_keys(E["WEB_TOKEN"])
one(test("login-submit")).click()
one(test("project"), "the overview after logging in with a token")
if "token" not in one(test("session")).text or one("#nav-tokens").is_displayed():
    fail("a token session looks like a local one")
open_page(f"/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}", test("secret-local-only"))
if q(test("reveal-secret")):
    fail("a token session offers to reveal the secret")
status = fetch_status(f"/api/v1/projects/{E['WEB_SHOP_ID']}/jobs/{E['WEB_JOB_ID']}/webhook/secret")
if status == 200:
    fail("a token session can read the secret through the API")
ok(f"a token session sees no secret (the API answers {status})")
shot("job-token-session")
console_errors(allowed=("/webhook/secret - Failed to load resource",))

# --- log out ---------------------------------------------------------------------------
one(test("logout")).click()
wait(lambda: "/login" in driver.current_url, "the login page after logging out")
status = fetch_status("/api/v1/projects")
if status != 401:
    fail(f"after logging out the API answers {status}")
driver.get(f"{BASE}/#/runs")
wait(lambda: "/login" in driver.current_url, "a page to send a logged-out browser to /login")
ok("after logging out the API answers 401 and pages go to /login")
console_errors(allowed=("/api/v1/projects - Failed to load resource: the server responded with a status of 401",))

with open(E["WEB_TIMINGS"], "w") as f:
    json.dump(timings, f, indent=1)
driver.quit()
print(f"{checks} browser checks passed")
