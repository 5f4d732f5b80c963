#!/usr/bin/env bash
# The web UI in a real browser (docs/ui.md): Debian's headless Chromium driven by the
# pinned Selenium of scripts/setup-browser, against a real dagctld running the real dbt
# on a copy of examples/shop, with a webhook receiver. web_ui.py does the clicking: log in
# with `dagctl ui --print-url`, copy ids, trigger with an override, read the next scheduled
# time with its zone, read a failed run's root error and retry it, cancel a held fake-dbt
# run, redeliver a webhook, reveal and rotate the secret in a local session only, send a
# test event signed with the new secret, create a token, use it over TCP and revoke it,
# log out.
# It also records how long the runs page takes with 100,000 stored runs and a run page
# with 500 nodes (docs/benchmarks.md: recorded, with generous bounds only) and writes a
# screenshot of each page to $TEST_TMP/screens (DAGCTL_UI_SCREENS=DIR keeps a copy there).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
[ -x "${DAGCTL_TEST_BROWSER:-}" ] ||
  fail "DAGCTL_TEST_BROWSER is not set: run scripts/test, or configure with -DDAGCTL_TEST_BROWSER=\$(scripts/setup-browser)"
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
  fail "chromium and chromium-driver are not installed: run scripts/install-deps"

RUNS=${DAGCTL_UI_RUNS:-100000}
# Runs are never pruned here: the 100,000 stored runs are the point.
DAEMON_ARGS=(--dbt "$DAGCTL_TEST_DBT" --listen 127.0.0.1:0 --keep-runs 0 --keep-days 0 --webhook-retry-delay 0.3)

mkdir -p "$TEST_TMP/hooks"
python3 "$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py" --dir "$TEST_TMP/hooks" >>"$TEST_TMP/hooks/log" 2>&1 &
wait_for "the webhook receiver" 10 test -s "$TEST_TMP/hooks/port" || fail "the webhook receiver did not start"
HOOK_URL="http://127.0.0.1:$(cat "$TEST_TMP/hooks/port")/hook"

# --- the store: two projects, their jobs, then 100,000 runs written straight into SQLite
start_daemon "${DAEMON_ARGS[@]}"
shop=$(copy_example shop)
SHOP_ID=$(add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")
dagctl job update shop/default --webhook-enabled true --webhook-url "$HOOK_URL" >/dev/null
dagctl job update shop/default --schedule '0 6 * * 1-5' --timezone UTC >/dev/null
dagctl job create shop --name history --command 'dbt build' >/dev/null
JOB_ID=$(dagctl -o json job show shop/default | json 'd["id"]')
HISTORY_ID=$(dagctl -o json job show shop/history | json 'd["id"]')
big=$(copy_example big)
BIG_ID=$(add_project "$big" big --dbt "$FAKE_DBT")
stop_daemon

python3 - "$DATA/dagctl.db" "$SHOP_ID" "$HISTORY_ID" "$RUNS" <<'PY'
import json, random, sqlite3, sys, time, uuid
db, project, job, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
con = sqlite3.connect(db)
now = int(time.time() * 1000)
statuses = ["success"] * 8 + ["failed", "partial", "error", "cancelled"]
sources = ["schedule"] * 3 + ["manual", "retry"]
rng = random.Random(14)
rows = []
for i in range(count):  # oldest first, one every 90 s back from an hour ago
    created = now - 3_600_000 - (count - i) * 90_000
    status = rng.choice(statuses)
    source = rng.choice(sources)
    took = rng.randint(20_000, 400_000)
    results = {"success": 10, "pass": 20} if status == "success" else {"success": 6, "error": 1, "skipped": 23}
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(created / 1000))
    rows.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), job, project, f"history-{source}-{stamp}", status,
                 source, "dbt build", created, created + 100, created + 100 + took, 0 if status == "success" else 1,
                 None if status == "success" else "a stored run of the browser test", json.dumps(results)))
con.executemany("INSERT INTO runs (id, job_id, project_id, job_name, status, triggered_by, command, created_at, "
                "start_time, end_time, exit_code, error_message, results_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
con.commit()
print(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0], "runs stored")
PY
pass "$RUNS runs written into the store"

start_daemon "${DAEMON_ARGS[@]}"
BASE="http://$(http_address)"

# --- runs the browser looks at: one that failed (the root error), one that succeeded
# (the webhook to redeliver), and 500 nodes when fake-dbt can make them.
FAILED=$(trigger shop/default --vars '{scenario: partial}')
wait_for "the failed run to end" 240 run_is_terminal "$FAILED" || fail "run $FAILED did not end"
assert_eq partial "$(status_of "$FAILED")" "the scenario run ended partial"
OK_RUN=$(trigger shop/default --select stg_books)
wait_for "the small run to end" 240 run_is_terminal "$OK_RUN" || fail "run $OK_RUN did not end"
wait_for "a delivered webhook" 30 bash -c "[ -s '$TEST_TMP/hooks/requests.jsonl' ]" || fail "no webhook arrived"
NODES500=""
if grep -q nodes500 "$FAKE_DBT"; then
  NODES500=$(trigger big/default --select nodes500)
  wait_for "the 500-node run to end" 120 run_is_terminal "$NODES500" || fail "run $NODES500 did not end"
fi
SECRET=$(dagctl webhook secret shop/default)
TOKEN=$(dagctl -o json token create --name browser --scope admin | json 'd["token"]')

mkdir -p "$TEST_TMP/screens"
export WEB_BASE="$BASE" WEB_SHOP_ID="$SHOP_ID" WEB_JOB_ID="$JOB_ID" WEB_FAILED_RUN="$FAILED" WEB_OK_RUN="$OK_RUN"
export WEB_NODES500_RUN="$NODES500" WEB_BIG_ID="$BIG_ID" WEB_SECRET="$SECRET" WEB_TOKEN="$TOKEN" WEB_RUNS="$RUNS"
export WEB_HOOKS="$TEST_TMP/hooks/requests.jsonl" WEB_SCREENS="$TEST_TMP/screens" WEB_TIMINGS="$TEST_TMP/timings.json"
export WEB_DAGCTL="$DAGCTL_BIN_DIR/dagctl"
"$DAGCTL_TEST_BROWSER" "$DAGCTL_SOURCE_DIR/tests/integration/web_ui.py" || fail "the browser steps failed (above)"
pass "the browser steps passed"

if [ -n "${DAGCTL_UI_SCREENS:-}" ]; then
  mkdir -p "$DAGCTL_UI_SCREENS" && cp "$TEST_TMP"/screens/*.png "$DAGCTL_UI_SCREENS"/
fi
echo "timings (ms, in the browser): $(cat "$TEST_TMP/timings.json")"
echo "$CHECKS checks passed"
