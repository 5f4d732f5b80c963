#!/usr/bin/env bash
# Every run outcome with the real dbt on the example project (examples/shop/README.md has
# the scenario commands): exit codes, summaries, the run object, artifacts, logs, partial
# parsing, retry, JSON and quiet output, following a running log, an unstartable dbt;
# failures that name their cause, nothing selected, dbt's flags, --defer-to-last-success,
# dbt debug and dagctl ls.
# A real dbt build costs seconds: each run below is asserted on from several sides.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

# A listing of a folder's entries with sizes and times: equal listings = untouched folder.
tree_state() {
  find "$1" -printf '%P %y %s %T@\n' | sort
}

# is_rfc3339_z VALUE: a UTC time as the contract prints it (2025-03-01T12:00:00Z or .123Z).
is_rfc3339_z() {
  [[ "$1" =~ ^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\.[0-9]+)?Z$ ]]
}

# exit_for STATUS: the CLI's exit code for a run that ended so (docs/cli.md).
exit_for() {
  case "$1" in
    success) echo 0 ;;
    failed | partial) echo 1 ;;
    *) echo 2 ;;
  esac
}

# progress_total_is RUN N: the running run's progress object says N nodes in all.
progress_total_is() {
  [ "$(run_field "$1" 'd.get("progress", {}).get("total")')" == "$2" ]
}

newest_run_is_not() {  # RUN: the newest run is another one
  local newest
  newest=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
  [ -n "$newest" ] && [ "$newest" != "$1" ]
}

# The cold path's outcomes, partial parse state included: test_warm_workers.sh runs every
# outcome through a warm worker too and compares (docs/runs.md#warm-workers).
start_daemon --dbt "$DAGCTL_TEST_DBT" --warm off
shop=$(copy_example shop)
before=$(tree_state "$shop")
# The warehouse lives outside the project, so the project folder must stay exactly as it was.
add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb" >/dev/null

# --- success: progress lines, summary, the run object, artifacts, logs -------------------
rc=0
out=$(dagctl trigger shop/default --wait) || rc=$?
assert_eq 0 "$rc" "a successful dbt build exits 0"
assert_contains "$out" "[1/30] " "trigger --wait prints per-node progress lines (first node)"
assert_contains "$out" "[30/30] " "trigger --wait prints per-node progress lines (last node)"
assert_contains "$out" "OK created python table model main.calendar" "a progress line names dbt's node result"
assert_not_contains "$out" $'\033[' "no terminal escapes when stdout is not a TTY"
summary=$(printf '%s\n' "$out" | grep -E '^default-manual-[0-9]{8}-[0-9]{6} success in ') ||
  fail "no summary line '<job_name> success in ...' in: $out"
assert_contains "$summary" "10 success" "the summary counts the successful nodes"
assert_contains "$summary" "20 pass" "the summary counts the passing tests"
run1=$(printf '%s\n' "$out" | sed -n 's/^triggered shop\/default: run \(.*\)$/\1/p')
[ -n "$run1" ] || fail "trigger --wait did not name its run: $out"
pass "trigger --wait names its run"
assert_contains "$out" "run $run1; output: dagctl logs ${run1:0:12}" "the summary names the run and how to see its output (by its short id)"

shown=$(dagctl -o json run show "$run1")
assert_eq success "$(echo "$shown" | json 'd["status"]')" "the run's status is success"
assert_eq true "$(echo "$shown" | json 'd["results"] == {"success": 10, "pass": 20}')" \
  "results count 10 success and 20 pass (got $(echo "$shown" | json 'd["results"]'))"
assert_eq 0 "$(echo "$shown" | json 'd["exit_code"]')" "exit_code is 0"
assert_eq null "$(echo "$shown" | json 'd["error_message"]')" "error_message is null on success"
for key in created_at start_time end_time; do
  value=$(echo "$shown" | json "d['$key']")
  is_rfc3339_z "$value" || fail "$key '$value' is not RFC 3339 UTC with Z"
  pass "$key is RFC 3339 with Z"
done
assert_eq true "$(echo "$shown" | json 'd["start_time"] <= d["end_time"]')" "start_time is not after end_time"
assert_eq true "$(echo "$shown" | json 'isinstance(d["duration_seconds"], (int, float)) and d["duration_seconds"] > 0')" \
  "duration_seconds is a positive number"
assert_eq "dbt build" "$(echo "$shown" | json 'd["command"]')" "command is the job's dbt build"
assert_eq null "$(echo "$shown" | json 'd["command_override"]')" "command_override is null without override"
assert_eq manual "$(echo "$shown" | json 'd["triggered_by"]')" "triggered_by is manual"
assert_eq false "$(echo "$shown" | json '"progress" in d')" "a finished run has no progress object"

assert_eq "" "$(ls -d "$shop/target" "$shop/logs" 2>/dev/null)" "the project's own folder has no target/ and no logs/ (docs/runs.md)"
code=$(curl -s --unix-socket "$SOCK" -o "$TEST_TMP/rr.json" -w '%{http_code}' "http://x/api/v1/runs/$run1/artifacts/run_results.json")
assert_eq 200 "$code" "the run's artifacts route serves run_results.json"
assert_eq 30 "$(json 'len(d["results"])' <"$TEST_TMP/rr.json")" "its run_results.json has the 30 nodes"
assert_eq build "$(json 'd["args"]["which"]' <"$TEST_TMP/rr.json")" "and it is the build's"
logs1=$(dagctl logs "$run1")
assert_contains "$logs1" "Completed successfully" "dagctl logs shows dbt's final lines"
assert_contains "$logs1" "Running with dbt=" "dagctl logs shows dbt's output from the start"
dbtlog1="$DATA/runs/$run1/logs/dbt.log"
[ -s "$dbtlog1" ] || fail "no dbt.log at $dbtlog1"
pass "dbt's own log is in the run's folder"
assert_contains "$(cat "$dbtlog1")" "Starting full parse" "the first run of a project is a full parse"
assert_not_contains "$(cat "$dbtlog1")" "Partial parsing enabled" "the first run does not partially parse"

# --- a second success, --quiet: nothing printed; it reuses the parse state ----------------
rc=0
dagctl trigger shop/default --wait --quiet >"$TEST_TMP/q.out" 2>"$TEST_TMP/q.err" || rc=$?
assert_eq 0 "$rc" "trigger --wait --quiet exits 0 on success"
assert_eq "" "$(cat "$TEST_TMP/q.out")" "--quiet prints nothing on stdout on success"
assert_eq "" "$(cat "$TEST_TMP/q.err")" "--quiet prints nothing on stderr on success"
run2=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
[ "$run2" != "$run1" ] || fail "the quiet run is not the newest run"
assert_eq success "$(run_field "$run2" 'd["status"]')" "the second run succeeded"
dbtlog2=$(cat "$DATA/runs/$run2/logs/dbt.log")
assert_contains "$dbtlog2" "Partial parsing enabled" "the second run starts from the first run's partial-parse state (docs/runs.md)"
assert_not_contains "$dbtlog2" "Starting full parse" "the second run does not parse from scratch"
[ "$(stat -c %i "$DATA/runs/$run1/target/run_results.json")" != "$(stat -c %i "$DATA/runs/$run2/target/run_results.json")" ] ||
  fail "two runs share one run_results.json"
assert_eq 30 "$(json 'len(d["results"])' <"$DATA/runs/$run1/target/run_results.json")" \
  "the first run's run_results.json is untouched by the second run"

# --- partial: exit 1, the failing node in the summary ------------------------------------
rc=0
out=$(dagctl trigger shop/default --wait --command "dbt build --vars '{scenario: partial}'") || rc=$?
assert_eq 1 "$rc" "a partial run exits 1"
runp=$(printf '%s\n' "$out" | sed -n 's/^triggered shop\/default: run \(.*\)$/\1/p')
shown=$(dagctl -o json run show "$runp")
assert_eq partial "$(echo "$shown" | json 'd["status"]')" "fct_sales failing among successes is partial"
assert_eq 1 "$(echo "$shown" | json 'd["results"].get("error")')" "results count the one error"
assert_eq 8 "$(echo "$shown" | json 'd["results"].get("skipped")')" "results count fct_sales' 8 skipped children"
assert_eq 21 "$(echo "$shown" | json 'd["results"].get("success", 0) + d["results"].get("pass", 0)')" \
  "results count 21 successful nodes"
assert_eq 1 "$(echo "$shown" | json 'd["exit_code"]')" "exit_code is dbt's 1"
assert_eq "dbt build --vars '{scenario: partial}'" "$(echo "$shown" | json 'd["command_override"]')" \
  "command_override is the --command given"
assert_eq "dbt build --vars '{scenario: partial}'" "$(echo "$shown" | json 'd["command"]')" "command is the command run"
assert_contains "$(echo "$shown" | json 'd["error_message"]')" "model.shop.fct_sales" "error_message names the failing node"
summary=$(printf '%s\n' "$out" | grep -A3 -E '^default-manual-[0-9]{8}-[0-9]{6} partial in ') ||
  fail "no summary line '<job_name> partial in ...' in: $out"
assert_contains "$summary" "error model.shop.fct_sales: Runtime Error in model fct_sales" \
  "the summary lists the failing node with its message"
assert_eq "dbt build" "$(dagctl -o json job show shop/default | json 'd["command"]')" "an override leaves the job's command alone"

# --- retry: dbt retry on the partial run's artifacts, only the 9 failed/skipped nodes -----
# dbt retry replays the failed invocation's vars, so fct_sales fails again here: what is
# tested is that only the failed node and its skipped children are re-run.
rc=0
out=$(dagctl retry "$runp" --wait) || rc=$?
runr=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
[ "$runr" != "$runp" ] || fail "retry created no run"
shown=$(dagctl -o json run show "$runr")
status=$(echo "$shown" | json 'd["status"]')
assert_eq retry "$(echo "$shown" | json 'd["triggered_by"]')" "a retry run is triggered_by retry"
assert_eq "dbt retry" "$(echo "$shown" | json 'd["command"]')" "a retry runs dbt retry"
assert_eq 9 "$(echo "$shown" | json 'sum(d["results"].values())')" \
  "the retry re-runs only the 9 failed/skipped nodes (got $(echo "$shown" | json 'd["results"]'))"
assert_eq failed "$status" "the replayed vars fail fct_sales again, with nothing else re-run: failed"
assert_eq "$(exit_for "$status")" "$rc" "retry --wait exits per its run's status ($status)"
assert_contains "$out" "default-retry-" "retry --wait ends with the retry run's summary"
assert_eq 9 "$(curl -s --unix-socket "$SOCK" "http://x/api/v1/runs/$runr/artifacts/run_results.json" | json 'len(d["results"])')" \
  "the retry's own run_results.json holds the 9 nodes"
assert_eq 30 "$(json 'len(d["results"])' <"$DATA/runs/$runp/target/run_results.json")" \
  "the retried run's run_results.json is untouched"

# --- failed, with --quiet: exit 1, nothing on stdout, the summary on stderr --------------
rc=0
dagctl trigger shop/default --wait --quiet --command "dbt build --vars '{scenario: failed}'" \
  >"$TEST_TMP/f.out" 2>"$TEST_TMP/f.err" || rc=$?
assert_eq 1 "$rc" "a failed run exits 1"
assert_eq "" "$(cat "$TEST_TMP/f.out")" "--quiet prints nothing on stdout on failure"
err=$(cat "$TEST_TMP/f.err")
assert_contains "$err" " failed in " "--quiet prints the summary on stderr on failure"
assert_contains "$err" "error seed.shop.sales: Runtime Error in seed sales" "the stderr summary lists each failing node with its message"
runf=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
shown=$(dagctl -o json run show "$runf")
assert_eq failed "$(echo "$shown" | json 'd["status"]')" "errors with no success are failed"
assert_eq false "$(echo "$shown" | json '"success" in d["results"] or "pass" in d["results"]')" "a failed run has no success in results"
assert_eq 4 "$(echo "$shown" | json 'd["results"].get("error")')" "the 3 seeds and calendar are errors"
assert_eq 1 "$(echo "$shown" | json 'd["exit_code"]')" "exit_code is dbt's 1"

# --- logs -f on a running run; an error run queued behind it, waited for with -o json -----
runs=$(trigger shop/default --command "dbt run --select calendar --vars '{slow_seconds: 5}'")
wait_for "run $runs running" 20 run_has_status "$runs" running
# The error scenario queues behind the slow run (one run per project at a time).
"$DAGCTL_BIN_DIR/dagctl" -o json trigger shop/default --wait --command "dbt build --target does_not_exist" \
  >"$TEST_TMP/e.out" 2>"$TEST_TMP/e.err" &
errwait_pid=$!
wait_for "a second run of the project" 20 newest_run_is_not "$runs"
rune=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
assert_eq queued "$(run_field "$rune" 'd["status"]')" "a second run of the project queues behind the running one"
timeout 60 "$DAGCTL_BIN_DIR/dagctl" logs -f "$rune" >"$TEST_TMP/followq.out" 2>&1 &
followq_pid=$!

wait_for "run $runs progress total 1" 20 progress_total_is "$runs" 1
shown=$(dagctl -o json run show "$runs")
assert_eq running "$(echo "$shown" | json 'd["status"]')" "the slow run is running"
assert_eq 0 "$(echo "$shown" | json 'd["progress"]["done"]')" "while calendar sleeps, progress.done is 0"
assert_eq 1 "$(echo "$shown" | json 'd["progress"]["total"]')" "progress.total counts the selected nodes"
assert_contains "$(dagctl run show "$runs")" "0/1 nodes" "run show prints the progress"
rc=0
timeout 60 "$DAGCTL_BIN_DIR/dagctl" logs -f "$runs" >"$TEST_TMP/follow.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "logs -f returns by itself when the run ends"
run_is_terminal "$runs" || fail "logs -f returned while run $runs is $(run_field "$runs" 'd["status"]')"
pass "logs -f returned only once the run had ended"
follow=$(cat "$TEST_TMP/follow.out")
assert_contains "$follow" "Running with dbt=" "logs -f shows the output from the start"
assert_contains "$follow" "Completed successfully" "logs -f shows dbt's final lines"
assert_contains "$follow" "Done." "logs -f shows dbt's Done line"
assert_eq "$(dagctl logs "$runs")" "$follow" "logs -f printed exactly the run's log"
assert_eq success "$(run_field "$runs" 'd["status"]')" "the slow run succeeded"

# error: dbt exits 2; -o json trigger --wait prints the final run object and nothing else.
rc=0
wait "$errwait_pid" || rc=$?
assert_eq 2 "$rc" "a dbt that exits 2 makes trigger --wait exit 2"
doc=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict); print(json.dumps(d))' "$TEST_TMP/e.out") ||
  fail "-o json trigger --wait did not print exactly one JSON document: $(cat "$TEST_TMP/e.out")"
pass "-o json trigger --wait prints exactly one JSON document on stdout"
assert_eq "$rune" "$(echo "$doc" | json 'd["id"]')" "the document is the triggered run"
assert_eq error "$(echo "$doc" | json 'd["status"]')" "the document is the final run object (status error)"
assert_eq 2 "$(echo "$doc" | json 'd["exit_code"]')" "exit_code is dbt's 2"
assert_contains "$(echo "$doc" | json 'd["error_message"]')" "does_not_exist" "error_message says what dbt refused"
assert_eq "$(dagctl -o json run show "$rune" | json 'd')" "$(echo "$doc" | json 'd')" "the document equals run show -o json"
assert_eq 404 "$(curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' "http://x/api/v1/runs/$rune/artifacts/run_results.json")" \
  "a run dbt refused has no run_results.json"
rc=0
wait "$followq_pid" || rc=$?
assert_eq 0 "$rc" "logs -f of a queued run returns by itself when that run ends"
followq=$(cat "$TEST_TMP/followq.out")
assert_contains "$followq" "does_not_exist" "logs -f started while the run was queued shows its output"
assert_eq "$(dagctl logs "$rune")" "$followq" "logs -f started while queued printed exactly the run's log"

# --- issue 13: failures name their cause; nothing selected; dbt's flags; defer; dagctl ls -
# On a copy of shop with a broken model and a selector, so that shop's folder stays as it was.
broken=$(copy_example broken)
echo "select * from raw_orders_missing" >"$broken/models/broken_model.sql"
cat >"$broken/selectors.yml" <<'YAML'
selectors:
  - name: staging_only
    definition:
      method: path
      value: models/staging
YAML
add_project "$broken" broken --env "SHOP_DUCKDB_PATH=$TEST_TMP/broken.duckdb" >/dev/null
mkdir -p "$TEST_TMP/hooks"
python3 "$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py" --dir "$TEST_TMP/hooks" >>"$TEST_TMP/hooks/log" 2>&1 &
wait_for "the webhook receiver" 10 test -s "$TEST_TMP/hooks/port" || fail "the webhook receiver did not start"
dagctl job update broken/default --webhook-enabled true \
  --webhook-url "http://127.0.0.1:$(cat "$TEST_TMP/hooks/port")/hook" >/dev/null
hooks_received() { [ -f "$TEST_TMP/hooks/requests.jsonl" ] && [ "$(wc -l <"$TEST_TMP/hooks/requests.jsonl")" -ge "$1" ]; }
hook() {  # N EXPR: EXPR over the job_run of webhook N (1-based), bound to r
  sed -n "${1}p" "$TEST_TMP/hooks/requests.jsonl" |
    python3 -c 'import json,sys; r=json.loads(json.load(sys.stdin)["body"])["conf"]["job_run"]; v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$2"
}

# A model reading a missing table: error_message names the node and dbt's cause.
runb=$(trigger broken/default --select broken_model)
wait_for "run $runb to end" 120 run_is_terminal "$runb"
assert_eq failed "$(status_of "$runb")" "a model reading a missing table fails"
msg=$(run_field "$runb" 'd["error_message"]')
assert_contains "$msg" "model.shop.broken_model (Runtime Error in model broken_model (models/broken_model.sql): " \
  "error_message names the node and where it failed"
assert_contains "$msg" "Catalog Error: Table with name raw_orders_missing does not exist!" "error_message has dbt's cause"
assert_not_contains "$msg" "LINE " "error_message leaves dbt's SQL excerpt out"
assert_contains "$(dagctl run show "$runb")" "raw_orders_missing does not exist" "run show prints the cause"
assert_eq false "$(run_field "$runb" 'd["nothing_selected"]')" "a failed run selected something"
wait_for "the failed run's webhook" 30 hooks_received 1 || fail "no webhook for run $runb"
assert_eq "$msg" "$(hook 1 'r["error_message"]')" "the webhook's error_message is the run's, cause included"

# Nothing selected: success, and nothing_selected says so (run JSON and webhook).
runn=$(trigger broken/default --select does_not_exist)
wait_for "run $runn to end" 120 run_is_terminal "$runn"
assert_eq success "$(status_of "$runn")" "a build that selects nothing succeeds (dbt exits 0)"
assert_eq true "$(run_field "$runn" 'd["nothing_selected"]')" "and its nothing_selected is true"
wait_for "the empty run's webhook" 30 hooks_received 2 || fail "no webhook for run $runn"
assert_eq true "$(hook 2 'r["nothing_selected"]')" "the webhook says nothing_selected too"
# --wait: a run that selected nothing is a failure for cron unless --allow-empty says not.
rc=0
out=$(dagctl trigger shop/default --select does_not_exist --wait 2>&1) || rc=$?
assert_eq 1 "$rc" "trigger --wait exits 1 when the selection matched nothing"
assert_contains "$out" "nothing selected" "and the summary says nothing was selected"
rc=0
dagctl trigger shop/default --select does_not_exist --wait --allow-empty --quiet >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "--allow-empty accepts an empty selection"
runs_seed=$(trigger broken/default --select books)
wait_for "run $runs_seed to end" 120 run_is_terminal "$runs_seed"
assert_eq success "$(status_of "$runs_seed")" "a build of the books seed succeeds"
assert_eq false "$(run_field "$runs_seed" 'd["nothing_selected"]')" "a run that selected nodes has nothing_selected false"
wait_for "the seed run's webhook" 30 hooks_received 3 || fail "no webhook for run $runs_seed"
assert_eq false "$(hook 3 'r["nothing_selected"]')" "its webhook says nothing_selected false"

# dbt's flags on job create/update: appended to the job's command.
dagctl job create broken --name deferjob --command "dbt run" --select stg_books --threads 2 >/dev/null
assert_eq "dbt run --select stg_books --threads 2" "$(dagctl -o json job show broken/deferjob | json 'd["command"]')" \
  "job create appends --select and --threads to --command"
dagctl job update broken/deferjob --target dev >/dev/null
assert_eq "dbt run --select stg_books --threads 2 --target dev" \
  "$(dagctl -o json job show broken/deferjob | json 'd["command"]')" "job update appends --target to the stored command"
rc=0
err=$(dagctl job update broken/deferjob --command "dbt ls" --full-refresh 2>&1) || rc=$?
assert_eq 2 "$rc" "a job command dbt refuses exits 2"
assert_contains "$err" "--command/--full-refresh: 'dbt ls' does not take '--full-refresh'" \
  "the refusal names the flags typed, not the API's field"

# --defer-to-last-success: 409 without a successful run, --defer --state DIR with one.
before_runs=$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')
rc=0
err=$(dagctl trigger broken/deferjob --defer-to-last-success 2>&1) || rc=$?
assert_eq 2 "$rc" "--defer-to-last-success without a successful run exits 2"
assert_contains "$err" "--defer-to-last-success: job 'deferjob' has no successful run" "and says the job has no successful run"
assert_eq "$before_runs" "$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')" "and queues nothing"
rund1=$(trigger broken/deferjob)
wait_for "run $rund1 to end" 120 run_is_terminal "$rund1"
assert_eq success "$(status_of "$rund1")" "the job's first run succeeds"
rund2=$(trigger broken/deferjob --defer-to-last-success --vars '{scenario: ok}' --full-refresh)
wait_for "run $rund2 to end" 120 run_is_terminal "$rund2"
assert_eq success "$(status_of "$rund2")" "the deferred run succeeds"
assert_eq "dbt run --select stg_books --threads 2 --target dev --vars '{scenario: ok}' --full-refresh --defer" \
  "$(run_field "$rund2" 'd["command_override"]')" "trigger appends --vars and --full-refresh, and --defer for --defer-to-last-success"
assert_contains "$(cat "$DATA/runs/$rund2/logs/dbt.log")" "runs/$rund1/target" \
  "dbt got the first run's target folder as its state"
rc=0
err=$(dagctl trigger broken/deferjob --select stg_books --threads 0 2>&1) || rc=$?
assert_eq 2 "$rc" "--threads 0 is refused"
rc=0
err=$(dagctl trigger broken/default --command "dbt ls" --threads 3 2>&1) || rc=$?
assert_eq 2 "$rc" "an override dbt refuses exits 2"
assert_contains "$err" "--command/--threads: 'dbt ls' does not take '--threads'" "the trigger's refusal names the flags typed"

# dbt debug is the project's own check: allowed as a command.
rundbg=$(trigger broken/default --command "dbt debug")
wait_for "run $rundbg to end" 120 run_is_terminal "$rundbg"
assert_contains "$(dagctl logs "$rundbg")" "Connection test: [OK" "dbt debug runs and tests the connection"

# dagctl ls: what a trigger would run, listed by the daemon.
deliveries() { dagctl -o json webhook deliveries broken/default | json 'len(d["deliveries"])'; }
owed_before=$(deliveries)
assert_eq "shop.staging.stg_books" "$(dagctl ls broken/deferjob)" "ls lists the job's selection (dbt run: models only)"
listed=$(dagctl ls broken/default --selector staging_only --resource-type model)
assert_eq "shop.staging.stg_books shop.staging.stg_sales shop.staging.stg_stores" "$(echo $listed | tr '\n' ' ' | sed 's/ $//')" \
  "ls --selector --resource-type lists the selector's models"
doc=$(dagctl -o json ls broken/default --select stg_books --exclude stg_books)
assert_eq "[]" "$(echo "$doc" | json 'd["nodes"]')" "-o json ls: an empty selection is an empty list"
assert_eq success "$(echo "$doc" | json 'd["run"]["status"]')" "-o json ls carries the listing run"
# Deliveries are stored with the run's end, so a preview's would be there already.
assert_eq "$owed_before" "$(deliveries)" "previews (dbt ls overrides) owe no webhook"
rc=0
err=$(dagctl ls broken/default --select '' 2>&1) || rc=$?
assert_eq 2 "$rc" "ls --select '' is refused"

# --- a dbt that cannot be started: error, says so ------------------------------------------
add_project "$(copy_example nodbt)" nodbt --dbt /nonexistent/dbt \
  --env "SHOP_DUCKDB_PATH=$TEST_TMP/nodbt.duckdb" >/dev/null
rc=0
out=$(dagctl trigger nodbt/default --wait 2>&1) || rc=$?
assert_eq 2 "$rc" "a run whose dbt cannot start exits 2"
runx=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
shown=$(dagctl -o json run show "$runx")
assert_eq error "$(echo "$shown" | json 'd["status"]')" "a dbt that cannot start ends the run error"
assert_contains "$(echo "$shown" | json 'd["error_message"]')" "could not start" "error_message says dbt could not start"
assert_contains "$(echo "$shown" | json 'd["error_message"]')" "/nonexistent/dbt" "error_message names the executable"
assert_contains "$out" "could not start" "the summary says dbt could not start"

assert_eq "$before" "$(tree_state "$shop")" "after all runs the project folder is exactly as it was"
finish
