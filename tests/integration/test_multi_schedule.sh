#!/usr/bin/env bash
# Several daemons on one store (docs/schedules.md and docs/webhooks.md, "Several daemons"):
# two dagctld, each with its own data dir, on one SQLite file (--store), or on one PostgreSQL
# database when DAGCTL_TEST_PG names a cluster (the integration_pg leg). A schedule fires once
# per fire time with both up; after kill -9 of the leader the other fires the next time, once;
# a webhook whose sender is killed mid-attempt is delivered by the other daemon, same id.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"
SHARED="$TEST_TMP/shared.db"
STORE="sqlite://$SHARED"
[[ -n "${DAGCTL_TEST_PG:-}" ]] && STORE=$(test_store_url "$TEST_TMP/shared")
DAEMON_ARGS=(--dbt "$FAKE_DBT" --store "$STORE" --webhook-timeout 1 --webhook-retry-delay 0.3)
DATA_B="$TEST_TMP/data-b"
SOCK_B="$TEST_TMP/run-b/dagctl.sock"
B_PID=""

# start_b: the second daemon, on its own data dir and socket (lib.sh's cleanup kills it:
# it carries this test's marker).
start_b() {
  mkdir -p "$TEST_TMP/run-b"
  rm -f "$DATA_B/dagctld.json"
  "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA_B" --socket "$SOCK_B" --listen none \
    --sandbox-writable "$TEST_TMP" --pass-env DAGCTL_TEST_TMP --pass-env FAKE_DBT_DIR \
    --log-level debug "${DAEMON_ARGS[@]}" >>"$TEST_TMP/dagctld-b.log" 2>&1 &
  B_PID=$!
  wait_for "the second dagctld to be ready" 20 test -s "$DATA_B/dagctld.json" || fail "the second dagctld did not start"
}
# sql QUERY: the first column of the first row, from the shared database.
sql() {
  if [[ "$STORE" == postgresql://* ]]; then
    psql -X -q -t -A -d "$STORE" -c "$1"
    return
  fi
  python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1], timeout=10).execute(sys.argv[2]).fetchone(); print("" if r is None or r[0] is None else r[0])' "$SHARED" "$1"
}
leader() { sql "SELECT holder FROM leases WHERE name = 'scheduler'"; }
scheduled() { sql "SELECT COUNT(*) FROM runs WHERE triggered_by = 'schedule'"; }
has_scheduled() { [ "$(scheduled)" -ge "$1" ]; }
id_of() { cat "$1/daemon-id"; }  # DATA_DIR: the daemon's id

start_daemon "${DAEMON_ARGS[@]}"
start_b
A_ID=$(id_of "$DATA")
B_ID=$(id_of "$DATA_B")
[ -n "$A_ID" ] && [ -n "$B_ID" ] && [ "$A_ID" != "$B_ID" ] || fail "daemon ids: '$A_ID' '$B_ID'"
pass "each daemon has its own id ($A_ID, $B_ID)"
shop=$(copy_example shop)
add_project "$shop" shop >/dev/null

# --- Both up: one run per fire time, fired by the leader ---------------------------------
dagctl job create shop --name tick --command 'dbt build' --schedule '* * * * *' --timezone UTC >/dev/null
wait_for "the first scheduled run" 75 has_scheduled 1 || fail "no scheduled run"
first=$(sql "SELECT scheduled_for FROM runs WHERE triggered_by = 'schedule' ORDER BY scheduled_for LIMIT 1")
LEADER=$(leader)
assert_eq 1 "$(sql "SELECT COUNT(*) FROM runs WHERE triggered_by = 'schedule' AND scheduled_for = $first")" \
  "the fire time has one run"
case "$LEADER" in "$A_ID" | "$B_ID") pass "one daemon leads: $LEADER" ;; *) fail "leader '$LEADER'" ;; esac
if [ "$LEADER" == "$A_ID" ]; then LEADER_LOG=dagctld.log OTHER_LOG=dagctld-b.log; else LEADER_LOG=dagctld-b.log OTHER_LOG=dagctld.log; fi
assert_eq 0 "$(grep -c 'scheduled run' "$TEST_TMP/$OTHER_LOG" || true)" "the other daemon fired nothing"

# --- kill -9 of the leader before the next fire time: the other fires it, once ------------
if [ "$LEADER" == "$A_ID" ]; then stop_daemon KILL; else kill -KILL "$B_PID"; wait "$B_PID" || true; fi
next=$((first + 60000))
fired_next() { [ "$(sql "SELECT COUNT(*) FROM runs WHERE triggered_by = 'schedule' AND scheduled_for = $next")" -ge 1 ]; }
# At most the lease (30 s) after the kill, long before or after the fire time: fired late at worst.
wait_for "the survivor to fire $next" 100 fired_next || fail "the next fire time was not fired"
assert_eq 1 "$(sql "SELECT COUNT(*) FROM runs WHERE triggered_by = 'schedule' AND scheduled_for = $next")" \
  "the next fire time has one run"
assert_eq 1 "$(sql "SELECT COUNT(*) FROM runs WHERE triggered_by = 'schedule' AND scheduled_for = $first")" \
  "the past one was not fired again"
assert_contains "$(grep 'scheduled run' "$TEST_TMP/$OTHER_LOG")" "$(sql "SELECT id FROM runs WHERE scheduled_for = $next")" \
  "by the surviving daemon"
dagctl_any() {  # the CLI against whichever daemon is up
  if [ "$LEADER" == "$A_ID" ]; then DAGCTL_SOCKET="$SOCK_B" dagctl "$@"; else dagctl "$@"; fi
}
dagctl_any job update shop/tick --enabled false >/dev/null
# The killed one comes back.
if [ "$LEADER" == "$A_ID" ]; then start_daemon "${DAEMON_ARGS[@]}"; else start_b; fi

# --- kill -9 during a webhook attempt: the other daemon delivers it, same id ---------------
port=$(start_receiver "$RECEIVER" slow --answers hang,200 --hang-seconds 60)
dagctl job update shop/default --webhook-enabled true --webhook-url "http://127.0.0.1:$port/" >/dev/null
run=$(trigger shop/default)
wait_for "the first attempt to arrive" 30 has_requests slow 1 || fail "no attempt"
sender=$(sql "SELECT claimed_by FROM deliveries WHERE run_id = '$run'")
case "$sender" in
  "$A_ID") stop_daemon KILL ;;
  "$B_ID") kill -KILL "$B_PID"; wait "$B_PID" || true ;;
  *) fail "the delivery is claimed by '$sender'" ;;
esac
# Its claim lasts 6 x --webhook-timeout + 10 s = 16 s.
wait_for "the other daemon's attempt" 40 has_requests slow 2 || fail "the other daemon did not send it"
first_id=$(sed -n 1p "$TEST_TMP/slow/requests.jsonl" | json 'd["headers"].get("X-Dagctl-Delivery") or d["headers"].get("x-dagctl-delivery")')
second_id=$(sed -n 2p "$TEST_TMP/slow/requests.jsonl" | json 'd["headers"].get("X-Dagctl-Delivery") or d["headers"].get("x-dagctl-delivery")')
assert_eq "$first_id" "$second_id" "the other daemon sends it with the same delivery id"
delivered() { [ "$(sql "SELECT status FROM deliveries WHERE run_id = '$run'")" == delivered ]; }
wait_for "delivered" 10 delivered || fail "not delivered"
pass "delivered"
assert_eq 1 "$(sql "SELECT COUNT(*) FROM delivery_attempts a JOIN deliveries d ON a.delivery_id = d.id WHERE d.run_id = '$run'")" \
  "one attempt recorded: the other daemon's"
assert_eq "" "$(sql "SELECT claimed_by FROM deliveries WHERE run_id = '$run'")" "and its claim ended"
finish
