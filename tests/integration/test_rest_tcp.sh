#!/usr/bin/env bash
# The REST API over real TCP, as the product page uses it: its curl examples with only the
# host changed, the HttpSensor's status check on a real dbt run, auth, bad input, and a
# burst of concurrent triggers where nothing is lost or duplicated.
source "$(dirname "$0")/lib.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"

start_daemon --dbt "$DAGCTL_TEST_DBT" --listen 127.0.0.1:0
BASE="http://$(http_address)"
case "$BASE" in http://127.0.0.1:[0-9]*) pass "dagctld.json names the real TCP port ($BASE)" ;; *) fail "http is $BASE" ;; esac
assert_eq "$(http_address)" "$(dagctl -o json status | json 'd["http"]')" "dagctl status shows the http address"

# admin: the page's Step 2 changes the job's webhook (docs/api.md, Token scopes).
DAGCTL_TOKEN=$(dagctl -o json token create --name airflow --scope admin | json 'd["token"]')
case "$DAGCTL_TOKEN" in dctl_????????????????????????????????????????*) pass "tokens are dctl_ + 40 characters" ;; *) fail "token $DAGCTL_TOKEN" ;; esac
ORG_ID=$(dagctl -o json org show | json 'd["id"]')
shop=$(copy_example shop)
PROJECT_ID=$(add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")
JOB_ID=$(dagctl -o json job show shop/default | json 'd["id"]')

http() {  # prints the status code; the body goes to $TEST_TMP/body
  curl -sS -o "$TEST_TMP/body" -w '%{http_code}' "$@"
}
body() { cat "$TEST_TMP/body"; }

# --- The product page, Step 1, verbatim but for the host -------------------------------
code=$(http -X POST "$BASE/api/v1/projects/${PROJECT_ID}/jobs/${JOB_ID}/trigger" \
  -H "Authorization: Bearer ${DAGCTL_TOKEN}" \
  -H "X-Organization-ID: ${ORG_ID}" \
  -H "Content-Type: application/json" \
  -d '{"command_override": "dbt build --select +book_revenue"}')
assert_eq 200 "$code" "the page's trigger with a model selector answers 200"
assert_eq "DBT job run triggered successfully" "$(body | json 'd["message"]')" "with the page's message"
assert_eq "$JOB_ID" "$(body | json 'd["job_id"]')" "and the job id"
RUN_ID=$(body | json 'd["job_run_id"]')
case "$(body | json 'd["job_name"]')" in default-manual-????????-??????) pass "job_name is <job>-manual-<stamp>" ;; *) fail "job_name $(body)" ;; esac

# The page's HttpSensor: poke GET /api/v1/runs/<id> until status is terminal.
sensor_done() {
  local s
  s=$(curl -sS "$BASE/api/v1/runs/$RUN_ID" -H "Authorization: Bearer $DAGCTL_TOKEN" | json 'd["status"]')
  case "$s" in success | partial | failed | error) return 0 ;; *) return 1 ;; esac
}
wait_for "the sensor to see run $RUN_ID finish" 120 sensor_done
run=$(curl -sS "$BASE/api/v1/runs/$RUN_ID" -H "Authorization: Bearer $DAGCTL_TOKEN")
assert_eq success "$(echo "$run" | json 'd["status"]')" "the real dbt run succeeded"
assert_eq "dbt build --select +book_revenue" "$(echo "$run" | json 'd["command_override"]')" "the run carries the override"
assert_eq "dbt build --select +book_revenue" "$(echo "$run" | json 'd["command"]')" "and ran it"
assert_eq true "$(echo "$run" | json 'd["results"].get("success", 0) >= 3 and "pass" in d["results"]')" "results count dbt's node statuses"
for key in id job_id project_id job_name status triggered_by command command_override created_at \
  start_time end_time duration_seconds exit_code error_message results; do
  echo "$run" | json "d['$key']" >/dev/null || fail "run field $key missing"
done
pass "the run object has every field of docs/api.md"
case "$(echo "$run" | json 'd["end_time"]')" in 20??-??-??T??:??:??*Z) pass "times are RFC 3339 UTC with Z" ;; *) fail "end_time" ;; esac
assert_eq "dbt build" "$(dagctl -o json job show shop/default | json 'd["command"]')" "an override never changes the job's command"

# Basic trigger: no body at all (curl sends no Content-Length).
code=$(http -X POST "$BASE/api/v1/projects/${PROJECT_ID}/jobs/${JOB_ID}/trigger" \
  -H "Authorization: Bearer ${DAGCTL_TOKEN}" -H "X-Organization-ID: ${ORG_ID}" -H "Content-Type: application/json")
assert_eq 200 "$code" "the page's basic trigger (no body) answers 200"
BASIC_RUN=$(body | json 'd["job_run_id"]')
dagctl cancel "$BASIC_RUN" >/dev/null

# Step 2: PATCH the webhook fields exactly as the page does.
code=$(http -X PATCH "$BASE/api/v1/projects/${PROJECT_ID}/jobs/${JOB_ID}" \
  -H "Authorization: Bearer ${DAGCTL_TOKEN}" -H "X-Organization-ID: ${ORG_ID}" -H "Content-Type: application/json" \
  -d '{
    "webhook_enabled": true,
    "webhook_url": "https://your-airflow.example.com/api/v1/dags/downstream_pipeline/dagRuns",
    "webhook_headers": {
      "Authorization": "Basic dXNlcjpwYXNzd29yZA=="
    },
    "webhook_events": ["completed", "failed"]
  }')
assert_eq 200 "$code" "the page's webhook PATCH answers 200"
assert_eq true "$(body | json 'd["webhook_enabled"]')" "webhook_enabled is set"
assert_eq '["completed", "failed"]' "$(body | json 'd["webhook_events"]')" "webhook_events are set"
assert_not_contains "$(body)" "secret" "no webhook secret in the answer"

code=$(http "$BASE/api/v1/projects" -H "Authorization: Bearer ${DAGCTL_TOKEN}")
assert_eq 200 "$code" "GET /api/v1/projects answers 200"
assert_eq "$PROJECT_ID default" "$(body | json 'd["projects"][0]["id"] + " " + d["projects"][0]["jobs"][0]["name"]')" "projects list their jobs"

# --- Auth ------------------------------------------------------------------------------
runs="$BASE/api/v1/runs/$RUN_ID"
assert_eq 200 "$(http "$BASE/api/v1/health")" "health needs no token"
assert_eq 401 "$(http "$runs")" "no Authorization header: 401"
assert_contains "$(body)" "dagctl token create" "and the message says how to get a token"
assert_eq 401 "$(http "$runs" -H "Authorization: Token $DAGCTL_TOKEN")" "a malformed header: 401"
assert_eq 401 "$(http "$runs" -H "Authorization: Bearer dctl_not_a_real_token_at_all_00000000000")" "an unknown token: 401"
assert_eq 403 "$(http "$runs" -H "Authorization: Bearer $DAGCTL_TOKEN" -H "X-Organization-ID: org-someoneelse")" "another organization: 403"
revoked=$(dagctl -o json token create --name revoked)
dagctl token revoke "$(echo "$revoked" | json 'd["id"]')" >/dev/null
assert_eq 401 "$(http "$runs" -H "Authorization: Bearer $(echo "$revoked" | json 'd["token"]')")" "a revoked token: 401"
assert_contains "$(body)" "revoked" "and the message says it was revoked"
# An expired token: made with a day's life, then its expiry is moved into the past in the
# database (the only way to test expiry without waiting a day).
expiring=$(dagctl -o json token create --name expiring --expires-in 1)
python3 - "$DATA/dagctl.db" "$(echo "$expiring" | json 'd["id"]')" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE tokens SET expires_at = 1000 WHERE id = ?", (sys.argv[2],))
db.commit()
PY
assert_eq 401 "$(http "$runs" -H "Authorization: Bearer $(echo "$expiring" | json 'd["token"]')")" "an expired token: 401"
assert_contains "$(body)" "expired" "and the message says it expired"
assert_eq 404 "$(http "$BASE/api/v1/tokens" -H "Authorization: Bearer $DAGCTL_TOKEN")" "token routes do not exist over TCP"
assert_eq 404 "$(http -X POST "$BASE/api/v1/projects" -H "Authorization: Bearer $DAGCTL_TOKEN" -H 'Content-Type: application/json' -d '{"path": "/tmp"}')" "registering a project is socket-only"
list=$(dagctl -o json token list)
assert_not_contains "$list" "dctl_" "token list never shows secrets"
assert_eq true "$(echo "$list" | json '[t for t in d["tokens"] if t["name"] == "airflow"][0]["last_used_at"] is not None')" "last_used_at is recorded"
if grep -rq "$DAGCTL_TOKEN" "$DATA" "$TEST_TMP/dagctld.log"; then fail "a token secret was stored or logged"; fi
pass "token secrets are neither stored nor logged"

# --- Bad input over TCP ---------------------------------------------------------------
auth=(-H "Authorization: Bearer $DAGCTL_TOKEN")
trig="$BASE/api/v1/projects/$PROJECT_ID/jobs/$JOB_ID/trigger"
assert_eq 400 "$(http -X POST "$trig" "${auth[@]}" -H 'Content-Type: application/json' -d '{nope')" "malformed JSON: 400"
assert_eq 400 "$(http -X POST "$trig" "${auth[@]}" -H 'Content-Type: application/json' -d '[]')" "a JSON array body: 400"
assert_eq 400 "$(http -X POST "$trig" "${auth[@]}" -H 'Content-Type: application/json' -d '{"command_override": "dbt run | tee x"}')" "a pipe in the override: 400"
assert_contains "$(body)" "'|'" "naming the character"
assert_eq 400 "$(http -X PATCH "$BASE/api/v1/projects/$PROJECT_ID/jobs/$JOB_ID" "${auth[@]}" -H 'Content-Type: application/json' -d '{"webhook_event": ["failed"]}')" "a PATCH typo (webhook_event): 400"
assert_contains "$(body)" "webhook_event" "naming the unknown field"
assert_eq 400 "$(http -X PATCH "$BASE/api/v1/projects/$PROJECT_ID/jobs/$JOB_ID" "${auth[@]}" -H 'Content-Type: application/json' -d '{"timeout_seconds": "10"}')" "a wrong type: 400"
assert_eq 400 "$(http -X PATCH "$BASE/api/v1/projects/$PROJECT_ID/jobs/$JOB_ID" "${auth[@]}" -H 'Content-Type: application/json')" "PATCH with an empty body: 400"
assert_eq 415 "$(http -X POST "$trig" "${auth[@]}" --data-urlencode 'command_override=dbt run')" "Airflow's form-encoded data: 415"
head -c 2097152 /dev/zero | tr '\0' '{' >"$TEST_TMP/big"
assert_eq 413 "$(http -X POST "$trig" "${auth[@]}" -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/big")" "a 2 MiB body: 413"
assert_eq 404 "$(http "$BASE/api/v1/projects/nope/jobs/nope" "${auth[@]}")" "unknown ids: 404"
assert_eq 405 "$(http -X PUT "$BASE/api/v1/runs/$RUN_ID" "${auth[@]}")" "a wrong method: 405"
assert_eq 1 "$(curl -sS -D - -o /dev/null -X PUT "$BASE/api/v1/runs/$RUN_ID" "${auth[@]}" | grep -ci '^Allow: GET')" "405 says Allow: GET"

# --- A burst of 500 concurrent triggers: every one answered, none lost or duplicated ----
fast=$(copy_example fast)
fast_id=$(add_project "$fast" fast --dbt "$FAKE_DBT")
fast_job=$(dagctl -o json job show fast/default | json 'd["id"]')
python3 - "$BASE" "$DAGCTL_TOKEN" "$fast_id" "$fast_job" >"$TEST_TMP/burst.json" <<'PY'
import json, sys, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
base, token, project, job = sys.argv[1:5]
url = f"{base}/api/v1/projects/{project}/jobs/{job}/trigger"
def trigger(_):
    req = urllib.request.Request(url, method="POST", data=b"", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)["job_run_id"]
    except urllib.error.HTTPError as e:
        return e.code, None
with ThreadPoolExecutor(max_workers=50) as pool:
    answers = list(pool.map(trigger, range(500)))
print(json.dumps(answers))
PY
burst=$(cat "$TEST_TMP/burst.json")
assert_eq 500 "$(echo "$burst" | json 'len([a for a in d if a[0] in (200, 429)])')" "all 500 triggers answered 200 or 429"
accepted=$(echo "$burst" | json 'len([a for a in d if a[0] == 200])')
assert_eq "$accepted" "$(echo "$burst" | json 'len(set(a[1] for a in d if a[0] == 200))')" "every accepted trigger has its own run id"
[ "$accepted" -ge 100 ] || fail "only $accepted triggers accepted"
pass "at least a full queue ($accepted) was accepted"
all_done() {
  [ "$(dagctl -o json runs --job fast/default --limit 1000 --status success | json 'len(d["runs"])')" == "$accepted" ]
}
wait_for "all $accepted accepted runs to succeed" 180 all_done
ids_db=$(dagctl -o json runs --job fast/default --limit 1000 | json 'sorted(r["id"] for r in d["runs"])')
ids_ok=$(echo "$burst" | json 'sorted(a[1] for a in d if a[0] == 200)')
assert_eq "$ids_ok" "$ids_db" "the stored runs are exactly the accepted ones"
assert_eq "$accepted" "$(grep -c '^start ' "$FAKE_DBT_DIR/events")" "dbt started once per accepted run"
finish
