#!/usr/bin/env bash
# Another process holding dagctl.db locked (`sqlite3 dagctl.db` in BEGIN IMMEDIATE) for
# longer than the store's 5 s busy wait, while a run ends, a trigger arrives and the
# scheduler fires (docs/architecture.md, "Store errors"): dagctld stays alive; reads answer;
# writes answer 503 "locked by another process" within seconds; and once the lock is gone
# the run ends with its real status, the queue goes on and the scheduled run starts: nothing
# is lost or doubled, and the log says so once, not per retry. If dagctld stops while a
# run's end is still owed, the next start's recovery ends that run `error`.
# The lock is held from python3's sqlite3 module (nothing to install).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

LOG="$TEST_TMP/dagctld.log"
LOCK="$TEST_TMP/lock"

# hold_lock: another process takes the database's write lock and keeps it until
# release_lock (at most 120 s, so a failing test cannot leave it behind).
hold_lock() {
  rm -f "$LOCK".*
  python3 - "$DATA/dagctl.db" "$LOCK" <<'EOF' &
import os, sqlite3, sys, time
db, lock = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, isolation_level=None, timeout=30)
con.execute("BEGIN IMMEDIATE")
open(lock + ".held", "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(lock + ".release") and time.monotonic() < deadline:
    time.sleep(0.05)
con.execute("ROLLBACK")
con.close()
open(lock + ".released", "w").close()
EOF
  LOCK_PID=$!
  wait_for "the outside process to hold the lock" 30 test -e "$LOCK.held" || fail "could not take the lock"
}
release_lock() {
  touch "$LOCK.release"
  wait "$LOCK_PID"
}

logged() { grep -qF -- "$1" "$LOG"; }  # TEXT: the daemon's log has it
log_count() { grep -cF -- "$1" "$LOG" || true; }  # TEXT: how many log lines have it
alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }  # START_NS: milliseconds since
# A second of the minute early enough that the coming minute boundary (the scheduled job's
# fire time) falls while the lock is held, late enough not to wait long for it.
fire_time_ahead() {
  local s
  s=$(date -u +%S)
  s=$((10#$s))
  [ "$s" -ge 38 ] && [ "$s" -le 52 ]
}
scheduled_runs() { dagctl -o json runs --job sched/tick --limit 100 | json '" ".join(r["id"] for r in d["runs"] if r["triggered_by"] == "schedule")'; }
has_scheduled_run() { [ -n "$(scheduled_runs)" ]; }
count_runs() { dagctl -o json runs --job "$1" --limit 1000 | json 'len(d["runs"])'; }  # JOB

start_daemon --dbt "$FAKE_DBT" --max-parallel 3
add_project "$(copy_example shop)" shop >/dev/null
add_project "$(copy_example sched)" sched >/dev/null
dagctl job update shop/default --command 'dbt run --select hold' >/dev/null

# --- a run ends, a trigger arrives and the scheduler fires, all while locked ---------------
r1=$(trigger shop/default)
wait_started "$r1"
r2=$(trigger shop/default)  # queued behind r1 (one run per project at a time)
release "$r2"               # it finishes as soon as it starts
wait_for "a second of the minute that leaves the next fire time inside the lock" 70 fire_time_ahead ||
  fail "the clock never reached the window"
dagctl job create sched --name tick --command 'dbt run' --schedule '* * * * *' --timezone UTC >/dev/null
hold_lock
release "$r1"
wait_for "the fake dbt of run $r1 to end" 20 has_event end "$r1" || fail "run $r1's dbt did not end"

t0=$(date +%s%N)
assert_eq running "$(status_of "$r1")" "while locked, reads answer: run $r1's end is still owed (running)"
[ "$(ms_since "$t0")" -lt 3000 ] || fail "a read took $(ms_since "$t0") ms while locked"
pass "and they answer at once ($(ms_since "$t0") ms)"

t0=$(date +%s%N)
code=$(curl -sS -o "$TEST_TMP/busy.json" -w '%{http_code}' --max-time 30 --unix-socket "$SOCK" \
  -X POST "http://localhost/api/v1/projects/shop/jobs/default/trigger")
took=$(ms_since "$t0")
assert_eq 503 "$code" "a trigger while locked answers 503 (not 500): $(cat "$TEST_TMP/busy.json")"
assert_eq database_locked "$(json 'd["error"]["code"]' <"$TEST_TMP/busy.json")" "with the code database_locked"
assert_contains "$(cat "$TEST_TMP/busy.json")" "locked by another process" "and a message that says why"
[ "$took" -lt 10000 ] || fail "the 503 took $took ms"
pass "after the store's busy wait, not a hang ($took ms)"
rc=0
err=$(dagctl trigger shop/default 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "dagctl trigger succeeded while locked"
assert_contains "$err" "locked by another process" "dagctl trigger says the database is locked"

wait_for "the scheduler to fail at the fire time" 40 logged "scheduler: handling due fire times failed" ||
  fail "the scheduler never tried to fire while locked"
wait_for "run $r1's end to fail to be written" 20 logged "run $r1: recording its end (success) failed" ||
  fail "run $r1's end was never tried"
alive || fail "dagctld died while the database was locked"
pass "dagctld is alive after writes failed in the dispatcher, a run thread, the scheduler and the API"
release_lock

# --- the lock is gone: nothing was lost or doubled ------------------------------------------
wait_status "$r1" success
pass "run $r1 ended with its real status once its end could be written"
wait_status "$r2" success
pass "the queued run $r2 ran after it"
wait_for "the scheduled run to be queued" 30 has_scheduled_run || fail "the fire time inside the lock was lost"
dagctl job update sched/tick --enabled false >/dev/null  # one fire time is enough
scheduled=$(scheduled_runs)
assert_eq 1 "$(wc -w <<<"$scheduled")" "the fire time inside the lock started exactly one run"
wait_status "$scheduled" success
assert_eq 2 "$(count_runs shop/default)" "the triggers answered 503 queued nothing"
assert_contains "$(dagctl -o json job show sched/tick | json 'd["last_fire_outcome"]')" "run $scheduled" \
  "the scheduler recorded the run it started"
assert_eq 1 "$(log_count "run $r1: recording its end (success) failed")" "the run's failing end is logged once, not per retry"
assert_eq 1 "$(log_count "scheduler: handling due fire times failed")" "the scheduler's failure is logged once"
logged "run $r1: recording its end (success) worked after" || fail "the log does not say the end was written"
pass "and the log says when it worked again"
logged "terminate called" && fail "dagctld logged 'terminate called'"
alive || fail "dagctld died"
pass "no thread died"

# --- dagctld stops while a run's end is owed: the next start ends it 'error' ----------------
r3=$(trigger shop/default)
wait_started "$r3"
hold_lock
release "$r3"
wait_for "run $r3's end to fail to be written" 30 logged "run $r3: recording its end (success) failed" ||
  fail "run $r3's end was never tried"
t0=$(date +%s%N)
stop_daemon
assert_eq 0 "$DAEMON_RC" "dagctld stops cleanly while a run's end is owed ($(ms_since "$t0") ms)"
logged "run $r3 ended success but that is not recorded; the next start ends it 'error'" ||
  fail "the log does not say run $r3's end was given up"
rc=0
out=$(timeout 60 "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" --listen none 2>&1) || rc=$?
assert_eq 1 "$rc" "dagctld refuses to start while another process holds the database"
assert_contains "$out" "locked by another process" "and says why"
release_lock
start_daemon --dbt "$FAKE_DBT"
assert_eq error "$(status_of "$r3")" "the next start's recovery ends the run 'error'"
assert_contains "$(run_field "$r3" 'd["error_message"]')" "stopped unexpectedly" "saying the daemon stopped during it"
stop_daemon
assert_eq 0 "$DAEMON_RC" "dagctld stops cleanly"
finish
