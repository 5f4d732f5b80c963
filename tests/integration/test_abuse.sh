#!/usr/bin/env bash
# The TCP listener under load and abuse (docs/security.md, "Listeners"): a burst of 500
# concurrent triggers gets only 200s and 429s, none reset, none lost or doubled; slow and
# half-open clients cannot stop an authenticated poll or the Unix socket from answering,
# and are cut off at the request deadline; beyond the connection cap clients get a 503
# instead of hanging; a kill -9 during a burst loses no accepted trigger; a second daemon
# cannot share the port. All traffic goes to 127.0.0.1, bounded in count and time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
ABUSE="$DAGCTL_SOURCE_DIR/tests/integration/abuse.py"

start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0 --max-parallel 4
ADDR=$(http_address)
HOST=${ADDR%:*}
PORT=${ADDR##*:}
BASE="http://$ADDR"
TOKEN=$(dagctl -o json token create --name abuse | json 'd["token"]')
PROJECT=$(add_project "$(copy_example shop)" shop)
JOB=$(dagctl -o json job show shop/default | json 'd["id"]')
TRIGGER="$BASE/api/v1/projects/$PROJECT/jobs/$JOB/trigger"

# --- the listen socket ---------------------------------------------------------------------
backlog=$(ss -Hltn "sport = :$PORT" | awk '{print $3}' | head -1)
[ "${backlog:-0}" -ge 128 ] || fail "the TCP listen backlog is ${backlog:-?}, expected at least 128"
pass "the TCP listen backlog is $backlog (at least 128)"

rc=0
"$DAGCTL_BIN_DIR/dagctld" --data-dir "$TEST_TMP/data2" --socket "$TEST_TMP/run2/dagctl.sock" \
  --listen "$ADDR" >"$TEST_TMP/second.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second dagctld started on the taken port $ADDR"
assert_contains "$(cat "$TEST_TMP/second.log")" "port $PORT" "a second daemon on the same port refuses, naming the port"
assert_contains "$(cat "$TEST_TMP/second.log")" "--listen" "and saying which flag picks another"
for _ in 1 2 3 4 5 6; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/runs?limit=1")
  [ "$code" == 200 ] || fail "a request with this daemon's token answered $code: another daemon shares the port"
done
pass "every request on the port reaches the daemon that owns it"

# --- 500 concurrent triggers -----------------------------------------------------------------
python3 "$ABUSE" burst "$TRIGGER" "$TOKEN" 500 >"$TEST_TMP/burst.json"
fields "$(cat "$TEST_TMP/burst.json")" 'd["errors"][:3]' 'sorted(d["codes"])' 'd["codes"].get("200", 0)' \
  'len(set(d["run_ids"]))'
assert_eq "[]" "${F[0]}" "500 concurrent triggers: no connection reset or timed out"
case "${F[1]}" in '["200"]' | '["200", "429"]') pass "every answer is 200 or 429 (${F[1]})" ;; *) fail "answers ${F[1]}" ;; esac
accepted=${F[2]}
assert_eq "$accepted" "${F[3]}" "every accepted trigger has its own run id"
all_runs() { dagctl -o json runs --job shop/default --limit 1000 | json 'len(d["runs"])'; }
assert_eq "$accepted" "$(all_runs)" "the job has exactly as many runs as triggers were accepted ($accepted)"

# --- slow clients ----------------------------------------------------------------------------
established_at_least() { [ "$(ss -Htn state established "dport = :$PORT" | wc -l)" -ge "$1" ]; }
python3 "$ABUSE" slowloris "$HOST" "$PORT" 100 25 >"$TEST_TMP/slow.json" &
slow_pid=$!
wait_for "100 slow connections" 20 established_at_least 100 ||
  fail "the slow clients did not connect"
poll() {  # prints "CODE SECONDS" for an authenticated status poll
  curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/runs?limit=1"
}
read -r code secs <<<"$(poll)"
assert_eq 200 "$code" "with 100 slow clients connected, an authenticated poll answers"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$secs" ||
  fail "the poll took ${secs}s with 100 slow clients (expected under 1 s)"
pass "in under a second (${secs}s)"
start=$(date +%s%N)
dagctl status >/dev/null
assert_eq 1 "$(( ($(date +%s%N) - start) < 2000000000 ))" "the Unix socket answers meanwhile"

# Over the cap (128 served at once), a client waits at most a few seconds for a 503.
python3 "$ABUSE" slowloris "$HOST" "$PORT" 150 20 >"$TEST_TMP/slow2.json" &
slow2_pid=$!
wait_for "250 slow connections" 20 established_at_least 250 ||
  fail "the second wave of slow clients did not connect"
out=$(curl -s -D - -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
  -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/runs?limit=1")
last=$(tail -n1 <<<"$out")
read -r code secs <<<"$last"
case "$code" in
  503) assert_contains "$out" "Retry-After" "over the connection cap the answer is a 503 with Retry-After" ;;
  200) pass "over the connection cap the poll still got a thread (200)" ;;
  *) fail "over the connection cap the poll got '$code'" ;;
esac
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 5.0 else 1)" "$secs" ||
  fail "over the connection cap the answer took ${secs}s (expected a quick 503)"
pass "and it came in ${secs}s, not a hang"

wait "$slow_pid"
wait "$slow2_pid"
assert_eq 100 "$(json 'd["closed_by_server"]' <"$TEST_TMP/slow.json")" \
  "slow clients are disconnected once their request misses its deadline"
read -r code _ <<<"$(poll)"
assert_eq 200 "$code" "after the slow clients, polls answer as before"

# --- kill -9 during a burst ------------------------------------------------------------------
dagctl job create shop --name burst --command 'dbt build' >/dev/null
BURST_JOB=$(dagctl -o json job show shop/burst | json 'd["id"]')
python3 "$ABUSE" burst "$BASE/api/v1/projects/$PROJECT/jobs/$BURST_JOB/trigger" "$TOKEN" 300 \
  >"$TEST_TMP/burst2.json" &
burst_pid=$!
burst_runs_at_least() { [ "$(dagctl -o json runs --job shop/burst --limit 1000 | json 'len(d["runs"])')" -ge "$1" ]; }
wait_for "some burst triggers stored" 30 burst_runs_at_least 20 ||
  fail "the burst did not start"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
wait "$burst_pid" || true
start_daemon --dbt "$FAKE_DBT" --listen "$ADDR"
missing=$(python3 - "$TEST_TMP/burst2.json" "$DAGCTL_BIN_DIR/dagctl" <<'EOF'
import json, subprocess, sys
accepted = json.load(open(sys.argv[1]))["run_ids"]
out = subprocess.run([sys.argv[2], "-o", "json", "runs", "--job", "shop/burst", "--limit", "1000"],
                     capture_output=True, text=True, check=True).stdout
stored = {r["id"] for r in json.loads(out)["runs"]}
print(len([r for r in accepted if r not in stored]), len(accepted))
EOF
)
read -r lost accepted <<<"$missing"
assert_eq 0 "$lost" "kill -9 during a burst: none of the $accepted triggers answered 200 is lost"

echo "$CHECKS checks passed"
