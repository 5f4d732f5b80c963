#!/usr/bin/env bash
# Warm dbt workers (docs/runs.md#warm-workers) with the real dbt on the example project:
# every outcome through the warm path and the cold path, compared (status, exit codes,
# node counts, run_results.json, output.log); cancel and timeout; a model edited between
# warm runs; no DuckDB lock held by an idle worker; what a forked run inherits; status,
# doctor and GET /api/v1/daemon; a dbt installation change; kill -9 of the worker, of its
# bwrap and of dagctld; --warm-idle; --warm off. One daemon up to the kill -9 of dagctld;
# both projects build their DuckDB once, in the first scenario.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi
VENV_PYTHON=$(dirname "$DAGCTL_TEST_DBT")/python
SLOW="dbt run --select calendar --vars '{slow_seconds: 120}'"

# A bash script in front of the same dbt: dagctld cannot run it warm, and says why.
WRAPPED_DBT="$TEST_TMP/dbt-wrapped"
printf '#!/usr/bin/env bash\nexec %q "$@"\n' "$DAGCTL_TEST_DBT" >"$WRAPPED_DBT"
chmod +x "$WRAPPED_DBT"

start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2
DATA_REAL=$(cd "$DATA" && pwd -P)
warm_dir=$(copy_example warm)
cold_dir=$(copy_example cold)
add_project "$warm_dir" warm --env "SHOP_DUCKDB_PATH=$TEST_TMP/warm.duckdb" >/dev/null
# The cold side of every comparison: the same dbt with warm workers off for the project.
add_project "$cold_dir" cold --no-warm --env "SHOP_DUCKDB_PATH=$TEST_TMP/cold.duckdb" >/dev/null
wrapped_dir=$(copy_example wrapped)
add_project "$wrapped_dir" wrapped --dbt "$WRAPPED_DBT" --env "SHOP_DUCKDB_PATH=$TEST_TMP/wrapped.duckdb" >/dev/null

# (pids_with_env reports processes that vanish mid-scan on stderr: silenced here.)
quiet_pids_with_env() { pids_with_env "$1" 2>/dev/null; }
worker_processes() { quiet_pids_with_env "DAGCTL_WARM_WORKER=$DATA_REAL"; }  # every worker, bwrap and forked runs included
was_warm() { grep -qF "run $1: dbt forked by the project's warm worker (pid " "$TEST_TMP/dagctld.log"; }
forked_pid() { sed -n "s/.*run $1: dbt forked by the project's warm worker (pid \([0-9]*\)).*/\1/p" "$TEST_TMP/dagctld.log" | tail -n 1; }
worker_pid() { sed -n "s/.*project warm: warm dbt worker started (pid \([0-9]*\)).*/\1/p" "$TEST_TMP/dagctld.log" | tail -n 1; }
# The Python worker's pid (the one above is bwrap's in a sandbox): what status and the API show.
python_pid() { sed -n "s/.*project warm: warm dbt worker ready (pid \([0-9]*\), dbt .*/\1/p" "$TEST_TMP/dagctld.log" | tail -n 1; }
status_warm_line() { dagctl status | grep -E "^  $1 "; }
workers_started() { grep -c "project warm: warm dbt worker started (pid " "$TEST_TMP/dagctld.log" || true; }
progress_total_is() { [ "$(run_field "$1" 'd.get("progress", {}).get("total")')" == "$2" ]; }
all_gone() { local p; for p in "$@"; do gone "$p" || return 1; done; }
newest_run() { dagctl -o json runs --project "$1" --limit 1 | json 'd["runs"][0]["id"] if d["runs"] else ""'; }
newest_run_is_not() { local n; n=$(newest_run "$1"); [ -n "$n" ] && [ "$n" != "$2" ]; }

# outcome PROJECT COMMAND: runs COMMAND with trigger --wait; prints one line of JSON with
# what the two paths must agree on (and the run id, the trigger's exit code).
outcome() {
  local project=$1 command=$2 rc=0 before run
  before=$(newest_run "$project")
  dagctl trigger "$project/default" --wait --quiet --command "$command" >/dev/null 2>&1 || rc=$?
  run=$(newest_run "$project")
  [ -n "$run" ] && [ "$run" != "$before" ] || fail "no run of $project for: $command"
  local rr=false
  [ -s "$DATA/runs/$run/target/run_results.json" ] && rr=true
  dagctl -o json run show "$run" | RC=$rc RR=$rr RUN=$run LOG="$DATA/runs/$run/output.log" python3 -c '
import json, os, re, sys
d = json.load(sys.stdin)
log = open(os.environ["LOG"]).read() if os.path.exists(os.environ["LOG"]) else ""
done = re.findall(r"^.*(Done\. PASS=.*)$", log, re.M)
print(json.dumps({"run": os.environ["RUN"], "rc": int(os.environ["RC"]), "status": d["status"],
                  "exit_code": d["exit_code"], "results": d["results"], "run_results": os.environ["RR"] == "true",
                  "done": done[-1] if done else None, "completed": "Completed" in log or "Finished running" in log},
                 sort_keys=True))'
}

# same_outcome WHAT COMMAND EXPECTED_STATUS EXPECTED_RC: the scenario on both projects at
# once (one run each), then compared.
same_outcome() {
  local what=$1 command=$2 status=$3 rc=$4
  outcome warm "$command" >"$TEST_TMP/o.warm" &
  local w=$!
  outcome cold "$command" >"$TEST_TMP/o.cold" &
  local c=$!
  wait "$w" || fail "$what: the warm side failed"
  wait "$c" || fail "$what: the cold side failed"
  local warm cold wrun crun
  warm=$(cat "$TEST_TMP/o.warm")
  cold=$(cat "$TEST_TMP/o.cold")
  wrun=$(json 'd["run"]' <<<"$warm")
  crun=$(json 'd["run"]' <<<"$cold")
  was_warm "$wrun" || fail "$what: run $wrun of project warm was not forked by a warm worker"
  ! was_warm "$crun" || fail "$what: run $crun of project cold ran warm"
  pass "$what: the warm project's run was forked by its worker, the cold one's was not"
  assert_eq "$status" "$(json 'd["status"]' <<<"$warm")" "$what: warm status"
  assert_eq "$rc" "$(json 'd["rc"]' <<<"$warm")" "$what: warm trigger --wait exit code"
  assert_eq "$(json '{k: v for k, v in d.items() if k != "run"}' <<<"$cold")" \
    "$(json '{k: v for k, v in d.items() if k != "run"}' <<<"$warm")" \
    "$what: warm and cold agree (status, exit codes, node counts, run_results.json, Done line)"
  LAST_WARM=$wrun
  LAST_COLD=$crun
}

# --- outcomes through both paths ------------------------------------------------------------
same_outcome success "dbt build" success 0
assert_eq '{"pass": 20, "success": 10}' "$(run_field "$LAST_WARM" 'd["results"]')" "success: 10 success and 20 pass"
assert_eq true "$(run_field "$LAST_WARM" 'd["exit_code"] == 0')" "success: exit_code 0"
assert_contains "$(grep 'Done. PASS=' "$DATA/runs/$LAST_WARM/output.log")" "Done. PASS=30 WARN=0 ERROR=0 SKIP=0" \
  "success: the warm output.log has dbt's Done line"
assert_eq 30 "$(json 'len(d["results"])' <"$DATA/runs/$LAST_WARM/target/run_results.json")" \
  "success: the warm run's run_results.json has the 30 nodes"
assert_contains "$(cat "$DATA/runs/$LAST_WARM/logs/dbt.log")" "Running with dbt=" "success: the warm run's dbt.log is in its folder"
assert_eq "" "$(find "$DATA/warm" -mindepth 3 -maxdepth 3 -path '*/runs/*')" "the warm run's folder in the worker's folder is gone after the run"

same_outcome partial "dbt build --vars '{scenario: partial}'" partial 1
assert_eq 8 "$(run_field "$LAST_WARM" 'd["results"].get("skipped")')" "partial: fct_sales' 8 children skipped"
same_outcome failed "dbt run --select calendar --vars '{scenario: failed}'" failed 1
assert_eq '{"error": 1}' "$(run_field "$LAST_WARM" 'd["results"]')" "failed: one error"
same_outcome error "dbt build --target does_not_exist" error 2
assert_eq false "$(json 'd["run_results"]' <"$TEST_TMP/o.warm")" "error: no run_results.json"
assert_contains "$(run_field "$LAST_WARM" 'd["error_message"]')" "does_not_exist" "error: error_message says what dbt refused"
assert_eq "$(run_field "$LAST_COLD" 'd["error_message"]')" "$(run_field "$LAST_WARM" 'd["error_message"]')" \
  "error: warm and cold error_message agree"

# --- status, doctor and GET /api/v1/daemon show the worker ---------------------------------
pypid=$(python_pid)
[ -n "$pypid" ] && ! gone "$pypid" || fail "no live Python worker after the warm runs (pid '$pypid')"
daemon_doc() { curl -sS --fail-with-body --unix-socket "$SOCK" http://dagctl/api/v1/daemon; }
worker_is_ready() { status_warm_line warm | grep -qE "^  warm +ready "; }
wait_for "the worker to be ready in dagctl status" 30 worker_is_ready || fail "status: $(dagctl status)"
fields "$(daemon_doc)" 'd["warm"]["mode"]' '[w for w in d["warm"]["workers"] if w["project"] == "warm"][0]["pid"]' \
  '[w for w in d["warm"]["workers"] if w["project"] == "warm"][0]["rss_bytes"] > 0' \
  '[w for w in d["warm"]["workers"] if w["project"] == "warm"][0]["runs"]' \
  '[w["project"] for w in d["warm"]["workers"]]'
assert_eq on "${F[0]}" "GET /api/v1/daemon: warm.mode is on"
assert_eq "$pypid" "${F[1]}" "GET /api/v1/daemon: the worker's pid is the Python worker's (from the 'ready' log line)"
assert_eq true "${F[2]}" "GET /api/v1/daemon: the worker's rss_bytes > 0"
assert_eq 4 "${F[3]}" "GET /api/v1/daemon: the worker forked the 4 warm runs"
assert_not_contains "${F[4]}" '"cold"' "GET /api/v1/daemon: no worker for the --no-warm project"
line=$(status_warm_line warm)
assert_contains "$line" "  pid $pypid  " "dagctl status: the worker's line has its pid ($line)"
assert_contains "$line" "  4 runs" "dagctl status: the worker's line counts its runs"
assert_contains "$(dagctl status)" "warm:     on (idle exit after 5m)" "dagctl status: warm on, idle exit after 5m"
doctor=$(dagctl doctor 2>&1 || true)
assert_contains "$doctor" "warm: warm worker: warm: ready, pid $pypid, " "dagctl doctor: the project's warm worker line"
assert_contains "$doctor" "cold: off for this project" "dagctl doctor: the --no-warm project is cold and says why"

# --- no DuckDB lock in the idle worker ------------------------------------------------------
wpid=$(worker_pid)
[ -n "$wpid" ] && ! gone "$wpid" || fail "no live warm worker after the warm runs (pid '$wpid')"
pass "the warm worker outlives its runs"
"$VENV_PYTHON" -c 'import duckdb, sys; duckdb.connect(sys.argv[1]).execute("create or replace table lock_probe as select 1 as x")' \
  "$TEST_TMP/warm.duckdb" || fail "the project's DuckDB file cannot be opened for writing while its worker idles"
pass "the idle worker holds no DuckDB lock: the file opens for writing"
! gone "$wpid" || fail "the worker died"

# --- cancel and timeout through both paths ---------------------------------------------------
wrun=$(trigger warm/default --command "$SLOW")
crun=$(trigger cold/default --command "$SLOW")
for r in "$wrun" "$crun"; do
  wait_for "run $r to start calendar" 60 progress_total_is "$r" 1 || fail "run $r never started calendar"
done
was_warm "$wrun" || fail "the slow warm run was not forked by the worker"
child=$(forked_pid "$wrun")
! gone "$child" || fail "the warm run's dbt process ($child) is not running"
pass "the warm run's forked dbt process runs"
# What the forked dbt inherited: its stdin and output, the resource tracker's pipe at most,
# and what dbt opened itself; nothing of the worker's (its socket to dagctld, its script,
# the parse's log) or of dagctld's (the API sockets, the database).
run_warm_dir=$(ls -d "$DATA_REAL"/warm/*/runs/"$wrun")
fd_targets() { local f; for f in /proc/"$1"/fd/*; do echo "${f##*/} $(readlink "$f" 2>/dev/null)"; done; }
fds=$(fd_targets "$child")
theirs=$( (fd_targets "$(awk '/^PPid:/ {print $2}' "/proc/$child/status")"; fd_targets "$DAEMON_PID") | cut -d' ' -f2- | sort -u)
echo "$fds" | sed 's/^/   fd /'
unexpected=$(echo "$fds" | while read -r n target; do
  case "$n:$target" in
    0:/dev/null | [12]:"$DATA_REAL/runs/$wrun/output.log") ;;
    [012]:*) echo "$n -> $target" ;;
    *:"$run_warm_dir"/*) ;;  # dbt's own log
    *:*memfd:* | *:*/parse/logs/*) echo "$n -> $target" ;;
    *:pipe:*) ;;  # counted below
    *) ! grep -qxF "$target" <<<"$theirs" || echo "$n -> $target (the worker's or dagctld's)" ;;
  esac
done)
assert_eq "" "$unexpected" "the forked dbt inherits no descriptor of the worker or of dagctld"
shared_pipes=$(echo "$fds" | cut -d' ' -f2- | grep '^pipe:' | sort -u | grep -cxFf <(echo "$theirs") || true)
assert_eq true "$([ "$shared_pipes" -le 1 ] && echo true || echo false)" \
  "the forked dbt shares one pipe at most with the worker (multiprocessing's resource tracker)"
dagctl cancel "$wrun" >/dev/null
dagctl cancel "$crun" >/dev/null
for r in "$wrun" "$crun"; do
  wait_for "run $r to end after cancel" 30 run_is_terminal "$r" || fail "run $r did not end after cancel"
done
assert_eq cancelled "$(status_of "$wrun")" "cancel: the warm run is cancelled"
assert_eq cancelled "$(status_of "$crun")" "cancel: the cold run is cancelled"
wait_for "the warm run's dbt process $child to go" 10 gone "$child" || fail "the cancelled warm run's dbt ($child) is still there"
pass "cancel: the warm run's forked dbt is gone"
wait_for "no process of run $wrun" 10 no_process_of_run "$wrun" || fail "processes of $wrun remain: $(run_processes "$wrun")"
pass "cancel: no process of the warm run remains (resource_tracker included)"
assert_eq "$(dagctl logs "$crun" | sed -n 's/^dagctl: sent SIG\([A-Z]*\) .*/\1/p' | tr '\n' ' ')" \
  "$(dagctl logs "$wrun" | sed -n 's/^dagctl: sent SIG\([A-Z]*\) .*/\1/p' | tr '\n' ' ')" "cancel: the same signals went to warm and cold dbt"
assert_contains "$(dagctl logs "$wrun")" "CANCEL" "cancel: the warm dbt saw SIGINT"
! gone "$wpid" || fail "cancelling a run killed the worker"
pass "cancel: the worker survives a cancelled run"

for p in warm cold; do dagctl job create "$p" --name quick --command "$SLOW" --timeout 3 >/dev/null; done
rcw=0
rcc=0
dagctl trigger warm/quick --wait --quiet >/dev/null 2>&1 &
tw=$!
dagctl trigger cold/quick --wait --quiet >/dev/null 2>&1 || rcc=$?
wait "$tw" || rcw=$?
assert_eq 2 "$rcw" "timeout: the warm trigger --wait exits 2"
assert_eq "$rcc" "$rcw" "timeout: warm and cold exit codes agree"
wrun=$(newest_run warm)
crun=$(newest_run cold)
was_warm "$wrun" || fail "the timed-out run was not warm"
assert_eq error "$(status_of "$wrun")" "timeout: the warm run is error"
assert_eq "$(status_of "$crun")" "$(status_of "$wrun")" "timeout: warm and cold status agree"
assert_contains "$(run_field "$wrun" 'd["error_message"]')" "timed out" "timeout: the warm error_message says timed out"
wait_for "no process of run $wrun" 10 no_process_of_run "$wrun" || fail "processes of $wrun remain"
wait_for "the timed-out warm dbt to go" 10 gone "$(forked_pid "$wrun")" || fail "the timed-out warm dbt remains"
pass "timeout: no process of the warm run remains"

# --- a model edited between warm runs: never a stale manifest --------------------------------
# (Meanwhile, in the other slot of --max-parallel: a dbt behind a bash script, checked below.)
wrapped_run=$(trigger wrapped/default --command "dbt parse")
compiled() { cat "$DATA/runs/$1/target/compiled/shop/models/staging/stg_books.sql" 2>/dev/null; }
for i in 1 2 3; do
  sed -i "s/^    list_price.*/    list_price, 'marker_$i' as warm_marker/" "$warm_dir/models/staging/stg_books.sql"
  rc=0
  dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || rc=$?
  r=$(newest_run warm)
  assert_eq 0 "$rc" "edit $i: the run after the edit succeeds"
  was_warm "$r" || fail "edit $i: run $r was not warm"
  assert_contains "$(compiled "$r")" "'marker_$i' as warm_marker" "edit $i: the warm run compiled the edited model"
done
# Twice in a row with no edit: the kept manifest is used and still right.
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || fail "the run after the edits failed"
r=$(newest_run warm)
assert_contains "$(compiled "$r")" "'marker_3' as warm_marker" "no edit: the next warm run still has the last edit"
assert_not_contains "$(cat "$DATA/runs/$r/logs/dbt.log")" "Starting full parse" "no edit: the warm run did not parse again"
# An edit while the worker is parsing (it re-parses when a run ends after an edit): the
# run after it must still see the newest text.
sed -i "s/'marker_3'/'marker_4'/" "$warm_dir/models/staging/stg_books.sql"
parse_log=$(ls "$DATA"/warm/*/parse/logs/dbt.log | head -n 1)
size0=$(stat -c %s "$parse_log")
r4=$(trigger warm/default --select stg_books)
# Once dbt has read the project's files (it says how it parses), the edit lands mid-parse.
parse_read_files() { tail -c +$((size0 + 1)) "$parse_log" | grep -qE "Partial parsing enabled|Starting full parse"; }
wait_for "the worker to parse the edit" 30 parse_read_files || fail "the worker did not re-parse after the edit"
sed -i "s/'marker_4'/'marker_5'/" "$warm_dir/models/staging/stg_books.sql"
wait_for "run $r4 to end" 60 run_is_terminal "$r4" || fail "run $r4 did not end"
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || fail "the run after the mid-parse edit failed"
r5=$(newest_run warm)
assert_contains "$(compiled "$r5")" "'marker_5' as warm_marker" "an edit made while the worker parsed reaches the next run"

# A dbt behind a bash script: cold, with the reason in status; it ran as a fresh dbt.
wait_for "run $wrapped_run to end" 60 run_is_terminal "$wrapped_run" || fail "run $wrapped_run did not end"
! was_warm "$wrapped_run" || fail "the bash-wrapped dbt's run was forked by a warm worker"
assert_eq success "$(status_of "$wrapped_run")" "the bash-wrapped dbt's run succeeds, cold"
assert_contains "$(status_warm_line wrapped)" "cold" "dagctl status: the bash-wrapped dbt's project is cold"
assert_contains "$(status_warm_line wrapped)" "is not run by Python" "dagctl status: and says why"

# --- dbt's installation changed: the worker is restarted before the next run ----------------
old_python=$(python_pid)
version_py=$("$VENV_PYTHON" -c 'import dbt.version; print(dbt.version.__file__)')
touch "$version_py"  # only its mtime changes (the cached venv is shared: nothing else)
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || fail "the run after the installation change failed"
r=$(newest_run warm)
grep -qF "project warm: dbt's installation changed: restarting its warm worker" "$TEST_TMP/dagctld.log" ||
  fail "the daemon did not notice dbt/version.py changed"
pass "installation change: the daemon restarts the worker"
was_warm "$r" || fail "installation change: run $r was not warm"
[ "$(python_pid)" != "$old_python" ] && [ "$(forked_pid "$r")" != "" ] || fail "installation change: the run was not forked by a new worker"
pass "installation change: the run is warm, on a new worker (pid $(python_pid), was $old_python)"
wait_for "the old worker $old_python to go" 10 gone "$old_python" || fail "the old worker ($old_python) is still there"
pass "installation change: the old worker is gone"

# slow_warm_run: a warm run inside its slow node; sets run, old (the worker's processes) and
# child (the forked dbt).
slow_warm_run() {
  run=$(trigger warm/default --command "$SLOW")
  wait_for "run $run to start calendar" 60 progress_total_is "$run" 1 || fail "run $run never started calendar"
  was_warm "$run" || fail "the slow run was not warm"
  mapfile -t old < <(worker_processes)
  child=$(forked_pid "$run")
}

# --- kill -9 of the worker during a run: the run ends error; the next run has a new worker -----
wpid=$(worker_pid)
started_before=$(workers_started)
slow_warm_run
# The Python worker is the forked dbt's parent (the logged pid is bwrap's in a sandbox).
python_worker=$(awk '/^PPid:/ {print $2}' "/proc/$child/status")
t0=$(date +%s)
kill -KILL "$python_worker"
wait_for "run $run to end after its worker died" 20 run_is_terminal "$run" || fail "run $run did not end after kill -9 of its worker"
assert_eq error "$(status_of "$run")" "kill -9 of the worker: the run is error"
echo "   (error_message: $(run_field "$run" 'd["error_message"]'); ended $(($(date +%s) - t0)) s after the kill)"
wait_for "the dead worker's processes to go" 10 all_gone "$child" "${old[@]}" || fail "processes of the killed worker remain: $(for p in "${old[@]}" "$child"; do gone "$p" || echo "$p"; done)"
pass "kill -9 of the worker: its forked dbt and every process of it are gone"
wait_for "no process of run $run" 10 no_process_of_run "$run" || fail "processes of run $run remain"
pass "kill -9 of the worker: no process of the run remains"
rc=0
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || rc=$?
r=$(newest_run warm)
assert_eq 0 "$rc" "after the worker's death the next run succeeds"
was_warm "$r" || fail "the run after the worker's death was not warm"
pass "and it runs warm again"
[ "$(workers_started)" -gt "$started_before" ] && [ "$(worker_pid)" != "$wpid" ] || fail "no new worker was started"
pass "a new worker (pid $(worker_pid)) replaced the killed one ($wpid)"

# --- kill -9 of the worker's bwrap during a run: the same, for the sandbox's leader ----------
if dagctl status | grep -q '^sandbox:  on'; then
  leader=$(worker_pid)
  slow_warm_run
  old_python=$(python_pid)
  t0=$(date +%s)
  kill -KILL "$leader"
  wait_for "run $run to end after its bwrap died" 10 run_is_terminal "$run" || fail "run $run did not end within 10 s of kill -9 of bwrap"
  assert_eq error "$(status_of "$run")" "kill -9 of bwrap: the run is error (ended $(($(date +%s) - t0)) s after the kill)"
  wait_for "the dead worker's processes to go" 10 all_gone "$child" "$old_python" "${old[@]}" ||
    fail "processes of the killed worker remain: $(for p in "${old[@]}" "$child" "$old_python"; do gone "$p" || ps -o pid=,args= -p "$p"; done)"
  pass "kill -9 of bwrap: no process of that worker remains (Python worker and forked dbt included)"
  wait_for "no process of run $run" 10 no_process_of_run "$run" || fail "processes of run $run remain"
  rc=0
  dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || rc=$?
  r=$(newest_run warm)
  assert_eq 0 "$rc" "kill -9 of bwrap: the next run succeeds"
  was_warm "$r" || fail "the run after bwrap's death was not warm"
  [ "$(python_pid)" != "$old_python" ] || fail "no new worker after bwrap's death"
  pass "kill -9 of bwrap: the next run is warm, on a new worker"
else
  echo "ok # skip kill -9 of the worker's bwrap: the sandbox is off"
fi

# --- kill -9 of dagctld during a warm run: recovery ends it; nothing of the old daemon remains --
run=$(trigger warm/default --command "$SLOW")
wait_for "run $run to start calendar" 60 progress_total_is "$run" 1 || fail "run $run never started calendar"
was_warm "$run" || fail "the slow run was not warm"
mapfile -t old < <(worker_processes)
[ "${#old[@]}" -gt 0 ] || fail "no worker process found by DAGCTL_WARM_WORKER in its environment"
stop_daemon KILL
start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2 --warm-idle 3s
wait_for "run $run to be recovered" 20 run_is_terminal "$run" || fail "run $run is $(status_of "$run") after the restart"
assert_eq error "$(status_of "$run")" "kill -9 of dagctld: the warm run is error after the restart"
assert_contains "$(run_field "$run" 'd["error_message"]')" "daemon stopped unexpectedly" "kill -9 of dagctld: error_message says so"
wait_for "the old daemon's warm processes to go" 15 all_gone "${old[@]}" ||
  fail "processes of the old daemon's worker remain after recovery: $(for p in "${old[@]}"; do gone "$p" || ps -o pid=,args= -p "$p"; done)"
pass "kill -9 of dagctld: no worker or forked dbt of the old daemon remains"
wait_for "no process of run $run" 10 no_process_of_run "$run" || fail "processes of run $run remain: $(run_processes "$run")"
pass "kill -9 of dagctld: no process of the run remains"
rc=0
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "the restarted daemon runs the project again"
was_warm "$(newest_run warm)" || fail "the first run after the restart was not warm"
pass "and warm"

# --- --warm-idle (the restarted daemon has 3s): the idle worker exits; the next run starts one --
idle_python=$(python_pid)
worker_is_cold() { status_warm_line warm | grep -qE "^  warm +cold "; }
wait_for "the idle worker to stop after --warm-idle 3s" 20 worker_is_cold || fail "status after --warm-idle: $(dagctl status)"
pass "--warm-idle: dagctl status says cold ($(status_warm_line warm | sed 's/  */ /g'))"
wait_for "the idle worker $idle_python to exit" 10 gone "$idle_python" || fail "the idle worker ($idle_python) is still running"
pass "--warm-idle: the idle worker exited"
grep -qF "project warm: warm dbt worker idle for 3 s: stopped" "$TEST_TMP/dagctld.log" || fail "no 'idle for 3 s: stopped' log line"
pass "--warm-idle: the log says so"
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || fail "the run after the idle exit failed"
r=$(newest_run warm)
was_warm "$r" || fail "the run after the idle exit was not warm"
[ "$(python_pid)" != "$idle_python" ] || fail "the run after the idle exit used no new worker"
pass "--warm-idle: the next run is warm again, on a new worker"

# --- dagctld --warm off: runs are cold --------------------------------------------------------
stop_daemon TERM
start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2 --warm off
assert_contains "$(dagctl status)" "warm:     off (--warm off)" "--warm off: dagctl status says warm off"
dagctl trigger warm/default --select stg_books --wait --quiet >/dev/null 2>&1 || fail "the run with --warm off failed"
r=$(newest_run warm)
! was_warm "$r" || fail "--warm off: run $r was forked by a warm worker"
pass "--warm off: the run is a fresh dbt, not forked"
assert_eq "" "$(worker_processes)" "--warm off: no warm worker process"
assert_contains "$(dagctl doctor 2>&1 || true)" "cold: dagctld --warm off" "--warm off: dagctl doctor says so"
finish
