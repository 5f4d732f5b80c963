#!/usr/bin/env bash
# The CLI and the socket API without real dbt: errors a user meets first, job management,
# JSON output, and ugly input. dbt is the stand-in; no run here needs the real one.
source "$(dirname "$0")/lib.sh"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"

# --- No daemon: one actionable line, exit 2 -------------------------------------------
rc=0
err=$(dagctl status 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "status without a daemon exits 2"
assert_contains "$err" "dagctl: error: cannot reach dagctld at $SOCK" "the error names the socket"
assert_contains "$err" "dagctl daemon start" "the error says how to start the daemon"
assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "the error is one line"

start_daemon --dbt "$FAKE_DBT"
ready=$(cat "$DATA/dagctld.json")
assert_eq "$DAEMON_PID" "$(echo "$ready" | json 'd["pid"]')" "dagctld.json names the daemon's pid"
assert_eq "$SOCK" "$(echo "$ready" | json 'd["socket"]')" "dagctld.json names the socket"
assert_eq 600 "$(stat -c %a "$SOCK")" "the socket is 0600"
assert_eq 700 "$(stat -c %a "$(dirname "$SOCK")")" "the socket's folder is 0700"

status=$(dagctl -o json status)
assert_eq 0 "$(echo "$status" | json 'd["runs"]["running"]')" "status -o json counts running runs"
org=$(dagctl -o json org show | json 'd["id"]')
case "$org" in org-*) pass "the default organization id looks like org-..." ;; *) fail "org id $org" ;; esac

# --- project add: what is wrong and what to do --------------------------------------
rc=0
err=$(dagctl project add "$TEST_TMP/nowhere" 2>&1) || rc=$?
assert_eq 2 "$rc" "project add of a missing folder exits 2"
assert_contains "$err" "no folder at" "and says the folder is missing"
mkdir "$TEST_TMP/not-dbt"
err=$(dagctl project add "$TEST_TMP/not-dbt" 2>&1) || true
assert_contains "$err" "has no dbt_project.yml" "a folder without dbt_project.yml is refused"

shop=$(copy_example shop)
project=$(dagctl -o json project add "$shop" --profiles-dir "$shop" --env 'SHOP_SECRET=s3cr3t')
assert_eq "shop" "$(echo "$project" | json 'd["name"]')" "the project is named after its folder"
assert_eq '[{"id": "'"$(echo "$project" | json 'd["jobs"][0]["id"]')"'", "name": "default"}]' \
  "$(echo "$project" | json 'd["jobs"]')" "project add -o json shows the project with its default job"
assert_not_contains "$project" "s3cr3t" "env values are never returned"
err=$(dagctl project add "$shop" 2>&1) || true
assert_contains "$err" "exists already" "a second project with the same name is refused"

# --- warm workers: the project field and what status says (docs/runs.md#warm-workers) ----
assert_eq true "$(dagctl -o json project show shop | json 'd["warm"]')" "a project may use a warm worker by default"
dagctl project add "$(copy_example coldshop)" --no-warm --no-check >/dev/null
assert_eq false "$(dagctl -o json project show coldshop | json 'd["warm"]')" "project add --no-warm stores warm false"
assert_contains "$(dagctl project show coldshop)" "warm:         off" "project show says warm off"
dagctl project update coldshop --warm on --no-check >/dev/null
assert_eq true "$(dagctl -o json project show coldshop | json 'd["warm"]')" "project update --warm on turns it back on"
rc=0
err=$(dagctl project update coldshop --warm maybe 2>&1) || rc=$?
assert_eq 2 "$rc" "project update --warm maybe is bad usage"
assert_contains "$err" "--warm" "and names the flag"
assert_contains "$(dagctl status)" "warm:     on (idle exit after 5m)" "status says warm workers are on, and their idle exit"
warm=$(dagctl -o json status | json '[d["warm"]["mode"], d["warm"]["idle_seconds"], d["settings"]["warm-idle"]]')
assert_eq '["on", 300, 300]' "$warm" "GET /api/v1/daemon shows --warm and --warm-idle"
rc=0
err=$("$DAGCTL_BIN_DIR/dagctld" --warm-idle=-5s --data-dir "$TEST_TMP/unused" 2>&1) || rc=$?
assert_eq 2 "$rc" "dagctld --warm-idle -5s is bad usage"
assert_contains "$err" "--warm-idle" "and names the flag"
dagctl project remove coldshop --yes >/dev/null

# --- jobs ----------------------------------------------------------------------------
job=$(dagctl -o json job show shop/default)
assert_eq "dbt build" "$(echo "$job" | json 'd["command"]')" "the default job runs dbt build"
for key in id project_id name command schedule timezone timeout_seconds enabled catchup \
  webhook_enabled webhook_url webhook_headers webhook_events webhook_auth created_at updated_at; do
  echo "$job" | json "d['$key']" >/dev/null || fail "job field $key missing"
done
pass "a job has every field of docs/api.md"

dagctl job create shop --name nightly --command 'dbt run --select tag:nightly' >/dev/null
assert_eq "dbt run --select tag:nightly" "$(dagctl -o json job show shop/nightly | json 'd["command"]')" \
  "job create stores the command"
err=$(dagctl job create shop --name bad --command 'dbt run; rm -rf /' 2>&1) || true
assert_contains "$err" "';'" "a job command with ';' is refused, naming the character"
dagctl job update shop/nightly --timeout 60 --webhook-url http://127.0.0.1:9/hook \
  --webhook-header 'Authorization: Basic dXNlcjpwYXNz' --webhook-events completed,failed >/dev/null
updated=$(dagctl -o json job show nightly)
assert_eq 60 "$(echo "$updated" | json 'd["timeout_seconds"]')" "job update sets the timeout"
assert_eq '["completed", "failed"]' "$(echo "$updated" | json 'd["webhook_events"]')" "job update sets webhook events"
assert_eq "http://127.0.0.1:9/hook" "$(echo "$updated" | json 'd["webhook_url"]')" "a bare job name resolves when unique"
err=$(dagctl job update shop/nightly --webhook-events completed,finished 2>&1) || true
assert_contains "$err" "finished" "an unknown webhook event word is refused, naming it"
dagctl job delete shop/nightly >/dev/null
rc=0
dagctl job show shop/nightly >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "a deleted job is gone"

# --- triggers: override validation creates no run ----------------------------------------
before=$(dagctl -o json runs | json 'len(d["runs"])')
rc=0
err=$(dagctl trigger shop/default --command 'dbt build --select a && rm -rf ~' 2>&1) || rc=$?
assert_eq 2 "$rc" "an override with && is refused with exit 2"
assert_contains "$err" "'&'" "the error names the offending character"
err=$(dagctl trigger shop/default --command 'dbt rm x' 2>&1) || true
assert_contains "$err" "dbt rm" "an unknown subcommand is refused, naming it"
err=$(dagctl trigger shop/default --command 'dbt build --profiles-dir /etc' 2>&1) || true
assert_contains "$err" "--profiles-dir" "a folder-moving flag is refused, naming it"
assert_eq "$before" "$(dagctl -o json runs | json 'len(d["runs"])')" "refused triggers created no run"

# Without JOB: the default job of the project holding the current directory.
run=$(cd "$shop/models" && dagctl -o json trigger --select 'stg_books+' | json 'd["job_run_id"]')
wait_for "run $run to finish" 20 run_is_terminal "$run"
shown=$(dagctl -o json run show "$run")
assert_eq "success" "$(echo "$shown" | json 'd["status"]')" "a trigger from inside the project runs its default job"
assert_eq "dbt build --select stg_books+" "$(echo "$shown" | json 'd["command_override"]')" \
  "--select is appended to the job's command"
assert_eq "manual" "$(echo "$shown" | json 'd["triggered_by"]')" "CLI triggers are manual"
case "$(echo "$shown" | json 'd["job_name"]')" in
  default-manual-2[0-9][0-9][0-9][01][0-9][0-3][0-9]-[0-2][0-9][0-5][0-9][0-5][0-9]) pass "job_name is <job>-manual-<YYYYMMDD-HHMMSS>" ;;
  *) fail "job_name $(echo "$shown" | json 'd["job_name"]')" ;;
esac
logs=$(dagctl logs "$run")
assert_contains "$logs" "fake dbt: build --select stg_books+" "dagctl logs shows dbt's output with the argv it got"

# --- the socket API with ugly input --------------------------------------------------
api() { curl -s --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }
pid=$(echo "$project" | json 'd["id"]')
trig="http://dagctl/api/v1/projects/$pid/jobs/default/trigger"
assert_eq 200 "$(api -X POST "$trig")" "a trigger with no body and no Content-Length works (the seed's curl)"
assert_eq 400 "$(api -X POST "$trig" -H 'Content-Type: application/json' -d '{"command_override": ')" "malformed JSON is 400"
assert_contains "$(cat "$TEST_TMP/body")" '"code":"invalid_request"' "errors carry a snake_case code"
assert_eq 400 "$(api -X POST "$trig" -H 'Content-Type: application/json' -d '{"command_overide": "dbt run"}')" "an unknown field is 400"
assert_contains "$(cat "$TEST_TMP/body")" "command_overide" "and the message names the field"
assert_eq 400 "$(api -X POST "$trig" -H 'Content-Type: application/json' -d '{"command_override": 5}')" "a wrong type is 400"
assert_eq 415 "$(api -X POST "$trig" -d 'command_override=dbt+run')" "a form-encoded body is 415"
assert_contains "$(cat "$TEST_TMP/body")" "json.dumps" "and the message says to json.dumps it"
head -c 2097152 /dev/zero | tr '\0' 'a' >"$TEST_TMP/big"
assert_eq 413 "$(api -X POST "$trig" -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/big")" "a 2 MiB body is 413"
printf '{"command_override": "dbt run --select \xff\xfe"}' >"$TEST_TMP/bad-utf8"
assert_eq 400 "$(api -X POST "$trig" -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/bad-utf8")" "non-UTF-8 bytes are 400"
assert_eq 200 "$(api -X POST "$trig" -H 'Content-Type: application/json' -d '{"command_override": "dbt run --select '"'"'modèle_数据'"'"'"}')" "unicode selectors are accepted"
assert_eq 404 "$(api "http://dagctl/api/v1/runs/does-not-exist")" "an unknown run is 404"
assert_eq 405 "$(api -X DELETE "http://dagctl/api/v1/runs/does-not-exist")" "a known path with another method is 405"
for evil in "../../../dagctl.db" "..%2F..%2F..%2Fdagctl.db" "%2Fetc%2Fpasswd"; do
  code=$(api --path-as-is "http://dagctl/api/v1/runs/$run/artifacts/$evil")
  case "$code" in 400 | 404) pass "artifacts refuse $evil ($code)" ;; *) fail "artifacts/$evil answered $code" ;; esac
  assert_not_contains "$(cat "$TEST_TMP/body")" "SQLite" "artifacts/$evil leaks nothing"
done
ln -s "$DATA/dagctl.db" "$DATA/runs/$run/target/escape.json"
assert_eq 404 "$(api "http://dagctl/api/v1/runs/$run/artifacts/escape.json")" "artifacts refuse a symlink out of the run folder"
assert_eq 200 "$(api "http://dagctl/api/v1/runs/$run/artifacts/run_results.json")" "artifacts serve run_results.json"

wait_for "every run to end" 30 bash -c "[ \"\$('$DAGCTL_BIN_DIR/dagctl' -o json status | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"runs\"]; print(d[\"running\"]+d[\"queued\"])')\" == 0 ]"
finish
