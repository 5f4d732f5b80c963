#!/usr/bin/env bash
# docs/runs.md (and docs/daemon.md's stale socket): after `kill -9` of dagctld and a restart, every run
# reaches a terminal status, the dbt processes it left behind are stopped (even one that
# ignores SIGTERM), queued runs still run, and projects and history are intact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

# --- local helpers (not in lib.sh or lib_fake.sh) -------------------------------------------
# dbt_pid RUN: the pid of the fake dbt's process group leader (bwrap in a sandbox) of RUN,
# if alive.
dbt_pid() {
  local p
  for p in $(run_processes "$1"); do
    grep -qF fake-dbt "/proc/$p/cmdline" 2>/dev/null && [ "$(ps -o pgid= -p "$p" | tr -d ' ')" == "$p" ] && echo "$p"
  done
  return 0
}
has_dbt_process() { [ -n "$(dbt_pid "$1")" ]; }

start_daemon --dbt "$FAKE_DBT" --max-parallel 2
P=$(add_project "$(copy_example p)" P)
H=$(add_project "$(copy_example h)" H)
hist=$(trigger H/default --select exit1-mixed)
wait_status "$hist" partial

# --- kill -9 with two runs in flight and one queued ---------------------------------------
r1=$(trigger P/default --select hold)
r2=$(trigger P/default --select hold)
h1=$(trigger H/default --select hold)
wait_started "$r1"
wait_started "$h1"
wait_for "a dbt process of run $r1" 10 has_dbt_process "$r1" || fail "no process for $r1"
wait_for "a dbt process of run $h1" 10 has_dbt_process "$h1" || fail "no process for $h1"
pid1=$(dbt_pid "$r1")
pidh=$(dbt_pid "$h1")
assert_eq queued "$(status_of "$r2")" "P's second run is queued behind its first"
sock_mtime=$(stat -c %.9Y "$SOCK")
old_pid=$DAEMON_PID

stop_daemon KILL
assert_eq 137 "$DAEMON_RC" "dagctld died of SIGKILL"
gone "$old_pid" && pass "the daemon process is gone" || fail "dagctld $old_pid still runs after kill -9"
[ -S "$SOCK" ] && pass "kill -9 leaves the socket file behind" || fail "no socket file at $SOCK after kill -9"
kill -0 "$pid1" 2>/dev/null && ! gone "$pid1" && pass "run $r1's dbt outlives the killed daemon (orphaned)" ||
  fail "the fake dbt of $r1 died with the daemon; this test cannot show recovery stops it"
kill -0 "$pidh" 2>/dev/null && ! gone "$pidh" && pass "run $h1's dbt is orphaned too" || fail "the fake dbt of $h1 died"
rc=0
err=$(dagctl status 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "dagctl status exits 2 while the daemon is dead"
assert_contains "$err" "dagctl: error:" "with a dagctl error line"
assert_contains "$err" "dagctl daemon start" "that says how to start the daemon"

start_daemon --dbt "$FAKE_DBT" --max-parallel 2
status=$(dagctl -o json status) || fail "dagctl status fails after the restart"
fields "$status" 'd["pid"]' 'd["runs"]["running"]'
assert_eq "$DAEMON_PID" "${F[0]}" "the restarted daemon answers on the socket"
assert_eq 600 "$(stat -c %a "$SOCK")" "the new socket is 0600"
[ "$(stat -c %.9Y "$SOCK")" != "$sock_mtime" ] && pass "the stale socket file was replaced by a new one" ||
  fail "the socket file is the one left by the dead daemon"
no_process_of_run "$r1" && pass "run $r1's left-over dbt was stopped at start-up" ||
  fail "processes of $r1 still run: $(run_processes "$r1")"
no_process_of_run "$h1" && pass "run $h1's left-over dbt was stopped at start-up" ||
  fail "processes of $h1 still run: $(run_processes "$h1")"
gone "$pid1" && pass "the orphaned dbt leader $pid1 exited" || fail "dbt $pid1 of $r1 still runs"

for run in "$r1" "$h1"; do
  fields "$(dagctl -o json run show "$run")" 'd["status"]' 'd["error_message"]' 'd["end_time"] is not None' \
    'd["start_time"] is not None'
  assert_eq error "${F[0]}" "run $run, interrupted by the crash, ended error"
  assert_contains "${F[1]}" "daemon stopped unexpectedly" "its error_message says the daemon stopped unexpectedly"
  assert_eq true "${F[2]}" "it has an end_time"
  assert_eq true "${F[3]}" "it keeps its start_time"
  assert_eq 0 "$(event_count end "$run")" "its dbt never finished on its own"
done

wait_started "$r2"
assert_eq running "$(status_of "$r2")" "the run queued before the crash runs after the restart"
assert_eq 1 "$(event_count start "$r2")" "it was started once"
touch "$FAKE_DBT_DIR/release-all"
wait_status "$r2" success
fields "$(dagctl -o json run show "$r2")" 'd["results"]' 'd["error_message"]'
assert_eq '{"success": 1}' "${F[0]}" "it ran to success with its results"
assert_eq null "${F[1]}" "and no error_message"

# The data survived: projects, jobs and history.
assert_eq '["H", "P"]' "$(dagctl -o json project list | json 'sorted(p["name"] for p in d["projects"])')" \
  "both projects survive the crash"
assert_eq "$P" "$(dagctl -o json project show P | json 'd["id"]')" "with their ids"
fields "$(dagctl -o json run show "$hist")" 'd["status"]' 'd["results"]' 'd["exit_code"]'
assert_eq partial "${F[0]}" "a finished run keeps its status"
assert_eq '{"error": 1, "success": 1}' "${F[1]}" "and its results"
assert_eq 1 "${F[2]}" "and its exit code"
assert_eq "[\"$h1\", \"$r2\", \"$r1\", \"$hist\"]" "$(dagctl -o json runs | json '[r["id"] for r in d["runs"]]')" \
  "the whole history is listed, newest first"
fields "$(dagctl -o json status)" 'd["runs"]["running"]' 'd["runs"]["queued"]'
assert_eq "0 0" "${F[0]} ${F[1]}" "every run reached a terminal status"
assert_contains "$(dagctl logs "$r2")" "fake dbt: build --select hold" "logs of a run after the restart are served"

# --- a left-over dbt that ignores SIGTERM is still stopped (SIGKILL) ------------------------
rm "$FAKE_DBT_DIR/release-all"
touch "$FAKE_DBT_DIR/stubborn"
s1=$(trigger P/default --select hold)
s2=$(trigger P/default)
wait_started "$s1"
wait_for "a dbt process of run $s1" 10 has_dbt_process "$s1" || fail "no process for $s1"
pids=$(dbt_pid "$s1")
stop_daemon KILL
kill -0 "$pids" 2>/dev/null && ! gone "$pids" && pass "the stubborn dbt outlives the killed daemon" ||
  fail "the stubborn dbt died with the daemon"
start_daemon --dbt "$FAKE_DBT" --max-parallel 2
no_process_of_run "$s1" && pass "a left-over dbt that ignores SIGTERM is killed at start-up" ||
  fail "processes of $s1 still run: $(run_processes "$s1")"
fields "$(dagctl -o json run show "$s1")" 'd["status"]' 'd["error_message"]'
assert_eq error "${F[0]}" "its run ended error"
assert_contains "${F[1]}" "daemon stopped unexpectedly" "saying the daemon stopped unexpectedly"
wait_status "$s2" success
assert_eq 0 "$(event_count end "$s1")" "the stubborn dbt never finished"
rm "$FAKE_DBT_DIR/stubborn"

# --- a second crash: the queue survives, each run runs once to its own outcome --------------
q0=$(trigger H/default --select hold)
wait_started "$q0"
q1=$(trigger H/default)
q2=$(trigger H/default --select exit2)
stop_daemon KILL
start_daemon --dbt "$FAKE_DBT" --max-parallel 2
wait_status "$q1" success
wait_status "$q2" error
assert_eq error "$(status_of "$q0")" "the held run killed with the daemon ended error"
assert_eq 1 "$(event_count start "$q1")" "a queued run runs once after a crash"
fields "$(dagctl -o json status)" 'd["runs"]["running"]' 'd["runs"]["queued"]'
assert_eq "0 0" "${F[0]} ${F[1]}" "nothing is left running or queued"

# --- kill -9 in the middle of a burst: no answered trigger is lost (docs/runs.md) ------------------
mkdir "$TEST_TMP/burst"
seq 60 | xargs -P 4 -I{} bash -c '"$0" -o json trigger "$1" >"$2/{}.json" 2>/dev/null || rm -f "$2/{}.json"' \
  "$DAGCTL_BIN_DIR/dagctl" P/default "$TEST_TMP/burst" &
burster=$!
answered() { [ "$(grep -l job_run_id "$TEST_TMP"/burst/*.json 2>/dev/null | wc -l)" -ge "$1" ]; }
wait_for "10 triggers of the burst to be answered" 20 answered 10 || fail "the burst got no answers"
stop_daemon KILL
wait "$burster" || true  # triggers after the kill fail: that is expected
start_daemon --dbt "$FAKE_DBT" --max-parallel 2
cat "$TEST_TMP"/burst/*.json | python3 -c '
import json, sys
text = sys.stdin.read()
ids, dec, i = [], json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    doc, i = dec.raw_decode(text, i)
    ids.append(doc["job_run_id"])
print("\n".join(ids))' >"$TEST_TMP/answered"
n=$(wc -l <"$TEST_TMP/answered")
[ "$n" -ge 10 ] && pass "$n triggers were answered before the kill" || fail "only $n answered"
all_terminal() {
  dagctl -o json runs --job P/default --limit 1000 | python3 -c '
import json, sys
runs = {r["id"]: r["status"] for r in json.load(sys.stdin)["runs"]}
ids = open(sys.argv[1]).read().split()
sys.exit(0 if all(runs.get(i) in ("success", "error") for i in ids) else 1)' "$TEST_TMP/answered"
}
wait_for "every answered trigger to end" 30 all_terminal || fail "some answered triggers never ended"
check=$(dagctl -o json runs --job P/default --limit 1000 | python3 -c '
import json, sys
runs = {r["id"]: r for r in json.load(sys.stdin)["runs"]}
ids = open(sys.argv[1]).read().split()
lost = [i for i in ids if i not in runs]
errors = [i for i in ids if i in runs and runs[i]["status"] == "error"]
bad = [i for i in errors if "daemon stopped unexpectedly" not in (runs[i]["error_message"] or "")]
print("ok" if not lost and len(errors) <= 1 and not bad and len(set(ids)) == len(ids)
      else "lost %s, errors %s" % (lost, [(i, runs[i]["error_message"]) for i in errors]))' "$TEST_TMP/answered")
assert_eq ok "$check" "every answered trigger survived the kill and ran (only the one in flight ended error)"
dups=$(awk '$1 == "start" { n[$2]++ } END { for (r in n) if (n[r] > 1) print r }' "$EVENTS")
assert_eq "" "$dups" "no run was started twice"
finish
