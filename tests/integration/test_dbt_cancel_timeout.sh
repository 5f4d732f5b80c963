#!/usr/bin/env bash
# Stopping real dbt (docs/runs.md): cancel of a running and of a queued run, a job
# timeout, and two projects running side by side. The slow node is the example's Python
# model `calendar`, whose sleep SIGINT cannot interrupt: only the escalation to SIGTERM
# (after --stop-grace) ends it, and dbt leaves a resource_tracker child that must go too.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

SLOW="dbt run --select calendar --vars '{slow_seconds: 120}'"

# (lib.sh's pids_with_env reports processes that vanish mid-scan on stderr: silenced here.)
has_process_of_run() {  # RUN
  [ -n "$(pids_with_env "DAGCTL_RUN_ID=$1" 2>/dev/null)" ]
}

has_resource_tracker() {  # RUN: dbt's multiprocessing resource_tracker child runs for RUN
  local p
  for p in $(pids_with_env "DAGCTL_RUN_ID=$1" 2>/dev/null); do
    tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q resource_tracker && return 0
  done
  return 1
}

no_process_left() {  # RUN: no process of RUN, else the test fails listing them
  local pids
  pids=$(pids_with_env "DAGCTL_RUN_ID=$1" 2>/dev/null)
  [ -z "$pids" ] || fail "processes of run $1 outlive it: $(echo "$pids" | xargs ps -o pid,pgid,args -p 2>&1)"
}

# progress_total_is RUN N: dbt has started the selected node(s) (its progress knows the total).
progress_total_is() {
  [ "$(run_field "$1" 'd.get("progress", {}).get("total")')" == "$2" ]
}

all_have_status() {  # STATUS RUN...: every RUN has STATUS (checked in one pass)
  local status=$1 r
  shift
  for r in "$@"; do run_has_status "$r" "$status" || return 1; done
}

all_have_processes() {  # RUN...: each RUN has a live process
  local r
  for r in "$@"; do has_process_of_run "$r" || return 1; done
}

newest_run_exists() {
  [ "$(dagctl -o json runs --limit 1 | json 'len(d["runs"])')" == 1 ]
}

all_terminal() {  # RUN...
  local r
  for r in "$@"; do run_is_terminal "$r" || return 1; done
}

# Cold dbt, whose resource_tracker child is its own (a warm worker's runs share their
# worker's): test_warm_workers.sh cancels and times out warm runs (docs/runs.md#warm-workers).
start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2 --warm off
add_project "$(copy_example shop)" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb" >/dev/null

# --- cancel: a running run (with a waiting trigger) and a queued one behind it -------------
"$DAGCTL_BIN_DIR/dagctl" trigger shop/default --wait --command "$SLOW" >"$TEST_TMP/wait.out" 2>&1 &
waiter=$!
# (Its "triggered ... run ID" line is not flushed before it blocks: take the id from the API.)
wait_for "the triggered run to exist" 20 newest_run_exists
run=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
wait_for "run $run running" 20 run_has_status "$run" running
wait_for "a dbt process of run $run" 20 has_process_of_run "$run"
pass "the running run has a dbt process"
# Cancel once dbt is inside the node, where SIGINT alone does not stop it.
wait_for "run $run to start calendar" 60 progress_total_is "$run" 1
wait_for "run $run's resource_tracker child" 20 has_resource_tracker "$run"
pass "dbt has its resource_tracker child (it ignores SIGINT and SIGTERM)"
queued=$(trigger shop/default)
assert_eq queued "$(run_field "$queued" 'd["status"]')" "a second run of the project queues behind the running one"

rc=0
out=$(dagctl cancel "$queued") || rc=$?
assert_eq 0 "$rc" "cancel of a queued run exits 0"
assert_contains "$out" "run $queued is cancelled" "cancel of a queued run says it is cancelled"
shown=$(dagctl -o json run show "$queued")
assert_eq cancelled "$(echo "$shown" | json 'd["status"]')" "a cancelled queued run is cancelled at once"
assert_eq null "$(echo "$shown" | json 'd["start_time"]')" "a cancelled queued run never started"
assert_eq running "$(run_field "$run" 'd["status"]')" "cancelling the queued run leaves the running one alone"

rc=0
out=$(dagctl cancel "$run") || rc=$?
assert_eq 0 "$rc" "cancel of a running run exits 0"
assert_contains "$out" "stopping run $run" "cancel of a running run says it is stopping dbt"
wait_for "run $run to end after cancel" 30 run_is_terminal "$run"
no_process_left "$run"
pass "no process of the cancelled run remains (dbt and its resource_tracker)"
shown=$(dagctl -o json run show "$run")
assert_eq cancelled "$(echo "$shown" | json 'd["status"]')" "a cancelled running run ends cancelled"
assert_eq false "$(echo "$shown" | json 'd["end_time"] is None or d["start_time"] is None')" "it has start and end times"
assert_eq false "$(echo "$shown" | json '"progress" in d')" "a cancelled run has no progress object"
rc=0
wait "$waiter" || rc=$?
assert_eq 2 "$rc" "trigger --wait of a run that gets cancelled exits 2"
assert_contains "$(cat "$TEST_TMP/wait.out")" " cancelled in " "trigger --wait ends with a cancelled summary"
logs=$(dagctl logs "$run")
assert_contains "$logs" "CANCEL" "dbt saw the SIGINT and cancelled its node"
printf '%s\n' "$logs" | grep -q '^dagctl: sent SIGINT' || fail "the run's log does not say SIGINT was sent: $logs"
pass "the run's log says SIGINT was sent"
printf '%s\n' "$logs" | grep -q '^dagctl: sent SIGTERM' || fail "the run's log does not say SIGTERM was sent: $logs"
pass "the run's log says SIGTERM followed when the sleeping node ignored SIGINT"
assert_eq "INT TERM" "$(printf '%s\n' "$logs" | sed -n 's/^dagctl: sent SIG\([A-Z]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')" \
  "SIGINT came first, then SIGTERM (dbt died before SIGKILL was due)"

rc=0
out=$(dagctl cancel "$run") || rc=$?
assert_eq 0 "$rc" "cancel of a terminal run exits 0"
assert_contains "$out" "run $run is cancelled" "cancel of a terminal run prints its status"
assert_eq cancelled "$(dagctl -o json cancel "$queued" | json 'd["status"]')" "cancel -o json of a cancelled run returns it unchanged"
shown=$(dagctl -o json run show "$queued")
assert_eq cancelled "$(echo "$shown" | json 'd["status"]')" "the cancelled queued run stays cancelled"
assert_eq null "$(echo "$shown" | json 'd["start_time"]')" "the cancelled queued run never starts, even after its project is free"

# --- timeout: the job's timeout_seconds stops dbt; the run ends error ---------------------
dagctl job create shop --name quick --command "$SLOW" --timeout 3 >/dev/null
assert_eq 3 "$(dagctl -o json job show shop/quick | json 'd["timeout_seconds"]')" "job create --timeout sets timeout_seconds"
rc=0
out=$(dagctl trigger shop/quick --wait 2>&1) || rc=$?
assert_eq 2 "$rc" "a run that times out exits 2"
trun=$(printf '%s\n' "$out" | sed -n 's/^triggered shop\/quick: run \(.*\)$/\1/p')
[ -n "$trun" ] || fail "trigger --wait did not name its run: $out"
no_process_left "$trun"
pass "no process of the timed-out run remains"
shown=$(dagctl -o json run show "$trun")
assert_eq error "$(echo "$shown" | json 'd["status"]')" "a timed-out run ends error"
assert_contains "$(echo "$shown" | json 'd["error_message"]')" "timed out" "error_message says it timed out"
assert_contains "$out" "timed out" "the summary says it timed out"
assert_eq true "$(echo "$shown" | json 'd["duration_seconds"] >= 3')" "it ran for at least its timeout"
tlog=$(dagctl logs "$trun")
printf '%s\n' "$tlog" | grep -q '^dagctl: sent SIGINT' || fail "the timed-out run's log does not say SIGINT was sent: $tlog"
pass "the timed-out run's log says SIGINT was sent"

# --- two projects in parallel (docs/runs.md): one run per project at once, the rest queue --------
add_project "$(copy_example shopb)" shopb --env "SHOP_DUCKDB_PATH=$TEST_TMP/shopb.duckdb" >/dev/null
a1=$(trigger shop/default --command "$SLOW")
b1=$(trigger shopb/default --command "$SLOW")
a2=$(trigger shop/default --command "$SLOW")
wait_for "runs of both projects running at once" 30 all_have_status running "$a1" "$b1"
pass "a run of each project is running at the same time (default --max-parallel on $(nproc) CPUs)"
wait_for "dbt processes of both runs at once" 20 all_have_processes "$a1" "$b1"
pass "both runs have their own dbt process at once"
assert_eq queued "$(run_field "$a2" 'd["status"]')" "a second run of the busy project stays queued"
status=$(dagctl -o json status)
assert_eq 2 "$(echo "$status" | json 'd["runs"]["running"]')" "status counts 2 running runs"
assert_eq 1 "$(echo "$status" | json 'd["runs"]["queued"]')" "status counts 1 queued run"
all_have_status running "$a1" "$b1" || fail "a run stopped running while the other ran"
pass "both stay running side by side"

for r in "$a2" "$a1" "$b1"; do dagctl cancel "$r" >/dev/null; done
wait_for "every parallel run to end" 30 all_terminal "$a1" "$b1" "$a2"
for r in "$a1" "$b1" "$a2"; do
  assert_eq cancelled "$(run_field "$r" 'd["status"]')" "run $r ends cancelled"
  no_process_left "$r"
  pass "no process of run $r remains"
done
assert_eq null "$(run_field "$a2" 'd["start_time"]')" "the queued run cancelled before its turn never started"
status=$(dagctl -o json status)
assert_eq 0 "$(echo "$status" | json 'd["runs"]["running"] + d["runs"]["queued"]')" "nothing is left running or queued"
finish
