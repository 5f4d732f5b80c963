#!/usr/bin/env bash
# docs/daemon.md (readiness file, one daemon per data dir, socket permissions, SIGTERM) and
# docs/runs.md (SIGINT, then SIGTERM, then SIGKILL): a clean stop ends running runs `error`
# ("daemon stopped") with no dbt left behind and keeps queued runs queued; a dbt that
# ignores SIGINT/SIGTERM is still stopped; `dagctl daemon start|stop` wrap it all.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

# --- local helpers (not in lib.sh or lib_fake.sh) -------------------------------------------
# A dbt stand-in that records each stop signal it gets, to see which comes first; it ends
# on the first one. (fake-dbt cannot tell SIGINT from SIGTERM.)
cat >"$TEST_TMP/signal-dbt" <<'EOF'
#!/usr/bin/env bash
log="$FAKE_DBT_DIR/signals-$DAGCTL_RUN_ID"
trap 'echo INT >>"$log"; exit 130' INT
trap 'echo TERM >>"$log"; exit 143' TERM
echo started >>"$log"
while :; do sleep 0.05; done
EOF
chmod +x "$TEST_TMP/signal-dbt"
# refused_dagctld DATA_DIR SOCKET PASSED WHO: a second dagctld must exit non-zero, on its own
# within 20s; passes "PASSED (rc)" or fails "WHO exited rc". Its output is left in $err.
refused_dagctld() {
  local rc=0
  err=$(timeout 20 "$DAGCTL_BIN_DIR/dagctld" --data-dir "$1" --socket "$2" --listen none --dbt "$FAKE_DBT" 2>&1) ||
    rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && pass "$3 ($rc)" || fail "$4 exited $rc"
}

# --- readiness file, socket permissions -------------------------------------------------
start_daemon --dbt "$FAKE_DBT" --stop-grace 1 --max-parallel 2
fields "$(cat "$DATA/dagctld.json")" 'd["pid"]' 'd["version"]' 'd["socket"]' 'sorted(d)'
assert_eq "$DAEMON_PID" "${F[0]}" "dagctld.json names the daemon's pid"
assert_eq "$(dagctl -o json status | json 'd["version"]')" "${F[1]}" "and its version"
[ -n "${F[1]}" ] && pass "the version is not empty" || fail "empty version in dagctld.json"
assert_eq "$SOCK" "${F[2]}" "and its socket"
assert_eq '["http", "pid", "socket", "version"]' "${F[3]}" "dagctld.json has the keys pid, version, socket, http"
assert_eq 600 "$(stat -c %a "$SOCK")" "the socket is mode 0600"
assert_eq 700 "$(stat -c %a "$(dirname "$SOCK")")" "in a 0700 folder"
[ "$(stat -c %U "$SOCK")" == "$(id -un)" ] && pass "the socket is owned by the user" || fail "socket owner $(stat -c %U "$SOCK")"

# --- a process that left the run's group is stopped at the run's end (docs/runs.md) -----
# A stand-in whose helper starts its own session (as a daemonising model would) and waits
# until it has: the group kill cannot reach it, its DAGCTL_RUN_ID can.
cat >"$TEST_TMP/detach-dbt" <<'EOF'
#!/usr/bin/env bash
setsid bash -c 'echo $$ >"$0"; exec sleep 300' "$FAKE_DBT_DIR/detached-$DAGCTL_RUN_ID" </dev/null >/dev/null 2>&1 &
until [ -s "$FAKE_DBT_DIR/detached-$DAGCTL_RUN_ID" ]; do sleep 0.02; done
EOF
chmod +x "$TEST_TMP/detach-dbt"
add_project "$(copy_example d)" D --dbt "$TEST_TMP/detach-dbt" >/dev/null
d1=$(trigger D/default)
wait_for "the detaching run to end" 20 run_is_terminal "$d1" || fail "$d1 did not end"
assert_eq success "$(status_of "$d1")" "a run whose dbt left a process in another session ends success"
wait_for "no process of $d1 left" 10 no_process_of_run "$d1" && pass "and that process is stopped with the run" ||
  fail "a process of $d1 outlived it: $(run_processes "$d1")"
# (Sandboxed, bwrap's PID namespace ends with the run and takes the helper with it; without
# the sandbox the executor finds it by DAGCTL_RUN_ID and its log says so. Either way: gone.)

G=$(add_project "$(copy_example g)" G)
add_project "$(copy_example s)" S --dbt "$TEST_TMP/signal-dbt" >/dev/null
r1=$(trigger G/default --select hold)
r2=$(trigger G/default --select hold)
s1=$(trigger S/default)
wait_started "$r1"
wait_for "a dbt process of run $r1" 10 has_run_process "$r1" || fail "no process for $r1"
wait_for "the signal-recording dbt of $s1" 10 test -s "$FAKE_DBT_DIR/signals-$s1" || fail "$s1 did not start"
assert_eq queued "$(status_of "$r2")" "G's second run is queued"

# --- one daemon per data dir; a live socket is never taken over ----------------------------
refused_dagctld "$DATA" "$TEST_TMP/run2/other.sock" "a second dagctld on the same data dir exits non-zero" \
  "a second dagctld on the same data dir"
assert_contains "$err" "already" "with a message saying one is already running"
assert_eq 1 "$(printf '%s\n' "$err" | grep -c .)" "the message is one line"
[ ! -S "$TEST_TMP/run2/other.sock" ] && pass "the refused daemon left no socket" || fail "other.sock was left behind"
assert_eq "$DAEMON_PID" "$(json 'd["pid"]' <"$DATA/dagctld.json")" "dagctld.json still names the first daemon"
assert_eq running "$(status_of "$r1")" "the first daemon's running run is untouched"
has_run_process "$r1" && pass "and its dbt still runs" || fail "the second dagctld stopped run $r1's dbt"
assert_eq queued "$(status_of "$r2")" "and its queued run still waits"

refused_dagctld "$DATA" "$SOCK" "the same dagctld command run twice: the second exits non-zero" \
  "a second identical dagctld"
assert_contains "$err" "already" "saying one is already running"
[ -S "$SOCK" ] && pass "the first daemon's socket file is still there" || fail "the second dagctld removed $SOCK"

refused_dagctld "$TEST_TMP/data2" "$SOCK" "a second dagctld on the same socket exits non-zero" \
  "a second dagctld on a live socket"
assert_contains "$err" "$SOCK" "and names the socket"
assert_eq "$DAEMON_PID" "$(dagctl -o json status | json 'd["pid"]')" "the live socket still reaches the first daemon"

# --- SIGTERM: running runs end error "daemon stopped", queued stay queued, exit 0 ----------
dagctl logs -f "$r1" >"$TEST_TMP/follow.out" 2>&1 &
follower=$!
wait_for "the log follower to print" 10 grep -q "fake dbt" "$TEST_TMP/follow.out" || fail "logs -f printed nothing"
stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "SIGTERM: dagctld exits 0"
[ ! -e "$DATA/dagctld.json" ] && pass "dagctld.json is removed on stop" || fail "dagctld.json left after stop"
no_process_of_run "$r1" && pass "no dbt process of the running run is left" || fail "left: $(run_processes "$r1")"
no_process_of_run "$s1" && pass "no process of the other project's run is left" || fail "left: $(run_processes "$s1")"
assert_eq 0 "$(event_count start "$r2")" "the queued run was not started by the stop"
assert_eq "started INT" "$(tr '\n' ' ' <"$FAKE_DBT_DIR/signals-$s1" | sed 's/ $//')" \
  "dbt got SIGINT first (so it can cancel its queries), and it was enough"
wait_for "logs -f to end" 10 gone "$follower" || fail "dagctl logs -f still hangs after the daemon stopped"
rc=0
wait "$follower" || rc=$?
assert_contains "$(cat "$TEST_TMP/follow.out")" "fake dbt: build --select hold" "the follower got the run's output"
assert_not_contains "$(cat "$TEST_TMP/follow.out")" "dagctl: error:" "and ended without an error (exit $rc)"

chmod 755 "$(dirname "$SOCK")"
start_daemon --dbt "$FAKE_DBT" --stop-grace 1 --max-parallel 2
assert_eq 700 "$(stat -c %a "$(dirname "$SOCK")")" "a socket folder left 0755 is made 0700 again on start"
fields "$(cat "$DATA/dagctld.json")" 'd["pid"]' 'sorted(d)'
assert_eq "$DAEMON_PID" "${F[0]}" "dagctld.json is written again on start, with the new pid"
assert_eq '["http", "pid", "socket", "version"]' "${F[1]}" "with all its keys"
for run in "$r1" "$s1"; do
  fields "$(dagctl -o json run show "$run")" 'd["status"]' 'd["error_message"]' 'd["end_time"] is not None'
  assert_eq error "${F[0]}" "run $run, stopped with the daemon, ended error"
  assert_eq "daemon stopped" "${F[1]}" "with error_message 'daemon stopped'"
  assert_eq true "${F[2]}" "and an end_time"
done
wait_started "$r2"
assert_eq running "$(status_of "$r2")" "the queued run stayed queued through the stop and runs after the restart"
release "$r2"
wait_status "$r2" success
assert_eq 1 "$(event_count start "$r2")" "it ran once"

# --- a dbt that ignores SIGINT and SIGTERM is killed (--stop-grace 1) ----------------------
touch "$FAKE_DBT_DIR/stubborn"
last=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
dagctl -o json trigger G/default --select hold --wait >"$TEST_TMP/wait.out" 2>"$TEST_TMP/wait.err" &
waiter=$!
newest_run_is_not() { [ "$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')" != "$1" ]; }
wait_for "trigger --wait to create its run" 10 newest_run_is_not "$last" || fail "trigger --wait created no run"
c1=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
wait_started "$c1"
wait_for "a dbt process of run $c1" 10 has_run_process "$c1" || fail "no process for $c1"
out=$(dagctl cancel "$c1")
assert_contains "$out" "$c1" "dagctl cancel names the run"
wait_status "$c1" cancelled 15
no_process_of_run "$c1" && pass "cancel leaves no process of a stubborn dbt" || fail "left: $(run_processes "$c1")"
fields "$(dagctl -o json run show "$c1")" 'd["error_message"]' 'd["end_time"] is not None'
assert_contains "${F[0]}" "cancelled" "its error_message says it was cancelled"
assert_eq true "${F[1]}" "it has an end_time"
assert_eq 0 "$(event_count end "$c1")" "the stubborn dbt never finished on its own"
assert_contains "$(dagctl logs "$c1")" "KILL" "the run's log says dbt had to be killed"
wait_for "trigger --wait to end" 10 gone "$waiter" || fail "trigger --wait still waits for a cancelled run"
rc=0
wait "$waiter" || rc=$?
assert_eq 2 "$rc" "trigger --wait of a run cancelled meanwhile exits 2"
assert_eq cancelled "$(json 'd["status"]' <"$TEST_TMP/wait.out")" "and prints the cancelled run object"

c2=$(trigger G/default --select hold)
c3=$(trigger G/default)
wait_started "$c2"
wait_for "a dbt process of run $c2" 10 has_run_process "$c2" || fail "no process for $c2"
stop_daemon INT
assert_eq 0 "$DAEMON_RC" "SIGINT with a stubborn dbt: dagctld still exits 0"
no_process_of_run "$c2" && pass "and leaves no process of the stubborn dbt" || fail "left: $(run_processes "$c2")"
rm "$FAKE_DBT_DIR/stubborn"
start_daemon --dbt "$FAKE_DBT" --stop-grace 1 --max-parallel 2
fields "$(dagctl -o json run show "$c2")" 'd["status"]' 'd["error_message"]'
assert_eq error "${F[0]}" "the stubborn run ended error"
assert_eq "daemon stopped" "${F[1]}" "with error_message 'daemon stopped'"
wait_status "$c3" success

# --- dagctl daemon start | stop --------------------------------------------------------------
stop_daemon TERM
rc=0
out=$(dagctl daemon start --data-dir "$DATA" --dbt "$FAKE_DBT" --listen none) || rc=$?
assert_eq 0 "$rc" "dagctl daemon start exits 0"
DAEMON_PID=$(dagctl -o json status | json 'd["pid"]')
assert_contains "$out" "$DAEMON_PID" "and prints the daemon's pid"
wait_for "dagctld.json from dagctl daemon start" 10 test -s "$DATA/dagctld.json" || fail "no dagctld.json"
assert_eq "$DAEMON_PID" "$(json 'd["pid"]' <"$DATA/dagctld.json")" "the started daemon wrote dagctld.json"
[ -s "$DATA/dagctld.log" ] && pass "it logs to DATA_DIR/dagctld.log" || fail "no $DATA/dagctld.log"
rc=0
out=$(dagctl daemon start --data-dir "$DATA" --dbt "$FAKE_DBT" --listen none) || rc=$?
assert_eq 0 "$rc" "a second dagctl daemon start exits 0"
assert_contains "$out" "already" "and says the daemon is already running"
assert_eq "$DAEMON_PID" "$(dagctl -o json status | json 'd["pid"]')" "without starting another"
rc=0
out=$(dagctl -o json trigger G/default --wait) || rc=$?
assert_eq 0 "$rc" "the CLI-started daemon runs jobs with its --dbt"
assert_eq success "$(echo "$out" | json 'd["status"]')" "to success"

rc=0
out=$(timeout 10 "$DAGCTL_BIN_DIR/dagctl" daemon stop 2>&1) || rc=$?
stopped_pid=$DAEMON_PID
gone "$stopped_pid" && DAEMON_PID=""
assert_eq 0 "$rc" "dagctl daemon stop exits 0 (promptly) once dagctld stopped: $out"
assert_contains "$out" "stopped" "and says so"
gone "$stopped_pid" && pass "the daemon process is gone" || fail "dagctld $stopped_pid still runs"
[ ! -e "$DATA/dagctld.json" ] && pass "dagctld.json is removed" || fail "dagctld.json left after daemon stop"
rc=0
dagctl status >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "dagctl status exits 2 once the daemon is stopped"
finish
