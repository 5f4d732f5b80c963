#!/usr/bin/env bash
# docs/runs.md, Several daemons: two dagctld on separate data dirs sharing one SQLite store
# (--store) act as one system. Triggers at either daemon run exactly once, one run per
# project at a time across both; a cancel at one daemon stops a run the other runs; a
# `kill -9` of the daemon running a run ends that run `error` ("daemon lost") once its lease
# passed, and the project's queue moves on at the other daemon. A store that cannot be
# opened stops dagctld at start with exit 2, naming the file and why.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

STORE="sqlite://$TEST_TMP/shared.db"
[[ -n "${DAGCTL_TEST_PG:-}" ]] && STORE=$(test_store_url "$TEST_TMP/shared")  # the integration_pg leg
DATA_B="$TEST_TMP/data-b"
SOCK_B="$TEST_TMP/run-b/dagctl.sock"
LOG_B="$TEST_TMP/dagctld-b.log"

# at a|b ARGS...: dagctl talking to daemon A or B.
at() {
  local which=$1
  shift
  if [ "$which" == a ]; then DAGCTL_SOCKET="$SOCK" dagctl "$@"; else DAGCTL_SOCKET="$SOCK_B" dagctl "$@"; fi
}
start_b() {
  rm -f "$DATA_B/dagctld.json"
  "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA_B" --socket "$SOCK_B" --listen none \
    --sandbox-writable "$TEST_TMP" --pass-env DAGCTL_TEST_TMP --pass-env FAKE_DBT_DIR \
    --log-level debug "$@" >>"$LOG_B" 2>&1 &
  PID_B=$!
  wait_for "dagctld B ready" 20 test -s "$DATA_B/dagctld.json" || fail "dagctld B did not become ready"
}
# runs_of PROJECT...: every run of the projects, oldest first, as "id status".
all_done() {  # N: N runs exist and none is queued or running
  at a -o json runs --limit 1000 | python3 -c '
import json, sys
runs = json.load(sys.stdin)["runs"]
sys.exit(0 if len(runs) == int(sys.argv[1]) and all(r["status"] not in ("queued", "running") for r in runs) else 1)' "$1"
}
# owner RUN: a or b, the daemon whose log says it started RUN.
owner() {
  if grep -q "run $1 started" "$TEST_TMP/dagctld.log"; then echo a; elif grep -q "run $1 started" "$LOG_B"; then echo b; fi
}
has_owner() { [ -n "$(owner "$1")" ]; }

# --- a store that cannot be opened stops the start: exit 2, naming the file and why ---------
rc=0
err=$("$DAGCTL_BIN_DIR/dagctld" --data-dir "$TEST_TMP/unopenable" --socket "$TEST_TMP/unopenable.sock" --listen none \
  --store "sqlite://$TEST_TMP/no-such-dir/x.db" 2>&1) || rc=$?
assert_eq 2 "$rc" "dagctld with a SQLite store in a missing folder exits 2"
assert_contains "$err" "$TEST_TMP/no-such-dir/x.db: its folder $TEST_TMP/no-such-dir does not exist" "and names the file and why"

common=(--dbt "$FAKE_DBT" --store "$STORE" --lease-seconds 3 --max-parallel 2 --warm off)
start_daemon "${common[@]}"
start_b "${common[@]}"

# --- both daemons see each other ----------------------------------------------------------
fields "$(at a -o json status)" 'len(d["daemons"])' 'sum(x["this"] for x in d["daemons"])' 'd["lease_seconds"]' \
  'any(x["lost"] for x in d["daemons"])' 'd["settings"]["lease-seconds"]' '[x["lease_seconds"] for x in d["daemons"]]'
assert_eq 2 "${F[0]}" "dagctl status lists both daemons"
assert_eq 1 "${F[1]}" "one of them is marked as this daemon"
assert_eq 3 "${F[2]}" "the status carries --lease-seconds"
assert_eq false "${F[3]}" "neither is lost"
assert_eq "[3.0, 3.0]" "${F[5]}" "each daemon's own lease is listed, by which the others judge it lost"
assert_contains "$(at b status)" "(this daemon)" "dagctl status at B marks B"
id_a=$(cat "$DATA/daemon-id")
id_b=$(cat "$DATA_B/daemon-id")
assert_contains "$id_a" "dmn_" "daemon A keeps its id in its data dir"
[ "$id_a" != "$id_b" ] || fail "the two daemons have one id"

# --- 40 triggers over 4 projects at both daemons: each runs once, one per project at a time --
for p in P1 P2 P3 P4; do add_project "$(copy_example "$p")" "$p" >/dev/null; done
declare -A by_project
for i in $(seq 1 10); do
  for p in P1 P2 P3 P4; do
    side=$([ $((i % 2)) -eq 0 ] && echo a || echo b)
    run=$(at "$side" -o json trigger "$p/default" | json 'd["job_run_id"]')
    by_project[$p]+="$run "
  done
done
wait_for "the 40 runs to end" 120 all_done 40 || fail "the 40 runs did not all end"
ok=$(at b -o json runs --limit 1000 --status success | json 'len(d["runs"])')
assert_eq 40 "$ok" "all 40 runs succeeded"
once=$(python3 - "$EVENTS" <<'PY'
import collections, sys
starts = collections.Counter(l.split()[1] for l in open(sys.argv[1]) if l.startswith("start "))
print(len(starts), max(starts.values()))
PY
)
assert_eq "40 1" "$once" "40 runs started, each exactly once"
for p in P1 P2 P3 P4; do
  # shellcheck disable=SC2086
  serial=$(python3 - "$EVENTS" ${by_project[$p]} <<'PY'
import sys
start, end = {}, {}
for line in open(sys.argv[1]):
    kind, run, ns = line.split()
    (start if kind == "start" else end).setdefault(run, int(ns))
runs = sys.argv[2:]
bad = [i + 1 for i in range(len(runs) - 1) if start[runs[i + 1]] <= end[runs[i]]]
print("ok" if not bad else "overlaps after runs %s" % bad)
PY
)
  assert_eq ok "$serial" "project $p's runs ran one at a time across both daemons, in trigger order"
done
ran_a=$(grep -c "started: " "$TEST_TMP/dagctld.log" || true)
ran_b=$(grep -c "started: " "$LOG_B" || true)
assert_eq 40 "$((ran_a + ran_b))" "the daemons' logs count 40 starts between them"
[ "$ran_a" -gt 0 ] && [ "$ran_b" -gt 0 ] || fail "one daemon ran every run (A $ran_a, B $ran_b)"
pass "both daemons ran runs (A $ran_a, B $ran_b)"

# --- a cancel at the daemon that does not run the run ------------------------------------
held=$(at a -o json trigger P2/default --select hold | json 'd["job_run_id"]')
wait_started "$held"
wait_for "the log naming the daemon of $held" 10 has_owner "$held" || fail "no daemon logged $held's start"
runner=$(owner "$held")
other=$([ "$runner" == a ] && echo b || echo a)
at "$other" cancel "$held" >/dev/null
wait_status "$held" cancelled 20
assert_contains "$(run_field "$held" 'd["error_message"]')" "cancel" "the run cancelled at the other daemon says so"
wait_for "the held fake dbt to exit" 20 no_process_of_run "$held" || fail "run $held's dbt still runs"

# --- kill -9 of the daemon running a run: it ends error after the lease, the queue moves on --
lost=$(at a -o json trigger P3/default --select hold | json 'd["job_run_id"]')
wait_started "$lost"
wait_for "the log naming the daemon of $lost" 10 has_owner "$lost" || fail "no daemon logged $lost's start"
victim=$(owner "$lost")
survivor=$([ "$victim" == a ] && echo b || echo a)
next=$(at "$survivor" -o json trigger P3/default | json 'd["job_run_id"]')
assert_eq queued "$(at "$survivor" -o json run show "$next" | json 'd["status"]')" "P3's next run waits behind the held one"
if [ "$victim" == a ]; then victim_pid=$DAEMON_PID; else victim_pid=$PID_B; fi
kill -KILL "$victim_pid"
wait_for "dagctld $victim to die" 10 gone "$victim_pid" || fail "dagctld $victim survived kill -9"
[ "$victim" == a ] && DAEMON_PID=""
lost_status() { [ "$(at "$survivor" -o json run show "$lost" | json 'd["status"]')" == error ]; }
wait_for "run $lost to end error" 30 lost_status || fail "run $lost never ended after its daemon died"
victim_id=$([ "$victim" == a ] && echo "$id_a" || echo "$id_b")
assert_contains "$(at "$survivor" -o json run show "$lost" | json 'd["error_message"]')" \
  "daemon lost: $victim_id on $(hostname)" "the lost run's error names the lost daemon and its host"
next_ok() { [ "$(at "$survivor" -o json run show "$next" | json 'd["status"]')" == success ]; }
wait_for "run $next to run at the survivor" 30 next_ok || fail "P3's queue did not move on"
fields "$(at "$survivor" -o json status)" '[x["lost"] for x in d["daemons"] if not x["this"]]'
assert_eq "[true]" "${F[0]}" "the survivor's status shows the killed daemon as lost"
assert_contains "$(at "$survivor" status)" "LOST" "dagctl status says LOST"

# --- a graceful stop marks the daemon stopped; a killed one stays as it was -----------------
if [ "$survivor" == a ]; then stop_daemon; else kill -TERM "$PID_B" && wait "$PID_B"; fi
survivor_id=$([ "$survivor" == a ] && echo "$id_a" || echo "$id_b")
stopped_of() {  # DAEMON_ID: 1 when the store marks it stopped, else 0
  local q="SELECT CASE WHEN stopped_at IS NULL THEN 0 ELSE 1 END FROM daemons WHERE id = '$1'"
  if [[ "$STORE" == postgresql://* ]]; then psql -X -q -t -A -d "$STORE" -c "$q"; else
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$TEST_TMP/shared.db" "$q"; fi
}
stopped="$(stopped_of "$survivor_id") $(stopped_of "$victim_id")"
assert_eq "1 0" "$stopped" "the stopped daemon is marked stopped in the store, the killed one is not"

finish
