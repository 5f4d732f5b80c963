#!/usr/bin/env bash
# A PostgreSQL store that stops answering (docs/scale-out.md, When something fails), on a
# throwaway cluster of this suite's own, with the stand-in dbt:
# - another session holding the store's write lock: a trigger waits out lock_timeout and
#   answers 503 naming the lock (in PostgreSQL's terms, not SQLite's): a lock wait is never
#   taken for a frozen server;
# - the server frozen (SIGSTOP of the postmaster and its backends: the socket stays up, no
#   answer comes): a trigger answers 503 (the CLI exits 2) within the watchdog's bound plus
#   a reconnect, `dagctl status` still answers, and once the server runs again
#   (SIGCONT) the daemon reconnects and a run succeeds.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

[[ -x $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1) ]] || { echo "skipped: no PostgreSQL server"; exit 77; }
command -v psql >/dev/null || { echo "skipped: no psql"; exit 77; }

PGC="$DAGCTL_SOURCE_DIR/scripts/pg-cluster"
PG=$(mktemp -d /tmp/dagctl-pg.XXXXXX)  # not under TEST_TMP (0700): the server runs as postgres when we are root
FROZEN=()
thaw() {  # SIGCONT to every process frozen, the postmaster last (as they were stopped, reversed)
  local p
  for p in "${FROZEN[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
  FROZEN=()
}
trap 'rc=$?; thaw; "$PGC" remove "$PG" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
URL=$("$PGC" start "$PG")

start_daemon --dbt "$FAKE_DBT" --store "$URL"
add_project "$(copy_example shop)" shop >/dev/null
run=$(trigger shop/default)
wait_status "$run" success 30
pass "a run succeeds on the PostgreSQL store"

# elapsed_ms START_NS: milliseconds since START_NS (date +%s%N).
elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- a lock wait ends by lock_timeout, worded for PostgreSQL ------------------------------
write_lock=110369509176321  # kWriteLock of daemon/store/postgres_engine.cpp
psql -qAt "$URL" -c "SELECT pg_advisory_lock($write_lock)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
wait_for "another session to hold the write lock" 10 bash -c \
  '[ "$(psql -qAt "$1" -c "SELECT count(*) FROM pg_locks WHERE locktype = '"'advisory'"' AND granted")" -ge 1 ]' _ "$URL" ||
  fail "psql did not take the lock"
rc=0
out=$(dagctl trigger shop/default 2>&1) || rc=$?
assert_eq 2 "$rc" "a trigger kept out by another session's write lock exits 2"
# Not "did not answer": a lock wait ends by lock_timeout, never by the frozen-server watchdog.
assert_contains "$out" "held the store's write lock" "and says the store's write lock was held"
assert_not_contains "$out" "sqlite3" "in PostgreSQL's terms, not SQLite's"
psql -qAt "$URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'psql' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" || true

# --- the server frozen ----------------------------------------------------------------------
postmaster=$(head -1 "$PG/data/postmaster.pid")
kill -STOP "$postmaster"
FROZEN=("$postmaster")
for p in $(pgrep -P "$postmaster"); do
  kill -STOP "$p" && FROZEN=("$p" "${FROZEN[@]}")
done
[ "${#FROZEN[@]}" -ge 2 ] || fail "no backend of the postmaster to freeze"
started=$(date +%s%N)
rc=0
out=$(dagctl trigger shop/default 2>&1) || rc=$?
took=$(elapsed_ms "$started")
echo "# the trigger answered after ${took} ms with the server frozen"
assert_eq 2 "$rc" "a trigger with the server frozen exits 2 (503)"
assert_contains "$out" "try again" "and says to try again"
[ "$took" -lt 40000 ] && pass "within 40 s (${took} ms): the watchdog's 15 s and a 5 s reconnect, not forever" ||
  fail "the trigger took ${took} ms"
started=$(date +%s%N)
dagctl status >/dev/null || fail "status failed with the server frozen"
took=$(elapsed_ms "$started")
[ "$took" -lt 40000 ] && pass "status still answers with the server frozen (${took} ms)" || fail "status took ${took} ms"
assert_contains "$out $(cat "$TEST_TMP/dagctld.log")" "did not answer within 15 s" "the answer or the daemon's log says the store did not answer"

thaw
wait_for "a trigger to work again" 30 bash -c 'DAGCTL_SOCKET="$1" "$2" trigger shop/default >/dev/null 2>&1' \
  _ "$SOCK" "$DAGCTL_BIN_DIR/dagctl" || fail "triggers did not work again after the server ran again"
run=$(trigger shop/default)
wait_status "$run" success 30
pass "once the server runs again, the daemon reconnects and a run succeeds"
assert_not_contains "$(cat "$TEST_TMP/dagctld.log")" "sqlite3 session" "no message of the PostgreSQL store speaks of SQLite's lock"

finish
