#!/usr/bin/env bash
# Several daemons as one on a shared PostgreSQL (docs/scale-out.md), on a throwaway cluster
# of this suite's own (it stops it on purpose), with the stand-in dbt:
# - three daemons, 300 triggers over 10 projects, each trigger sent to any of them: every run
#   runs exactly once, never two of one project at once, and every daemon ran some;
# - any daemon shows any run, and `dagctl status` lists the three;
# - a run's log and progress are followed at a daemon that does not run it, live and to the
#   log's last byte;
# - kill -9 of the daemon running a run: the run ends `error` ("daemon lost") once its lease
#   expires, and the project's queue moves on at the others;
# - the store down for a while: status still answers, writes get 503 (the CLI exits 2) and
#   everything works again once it is back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

[[ -x $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1) ]] || { echo "skipped: no PostgreSQL server"; exit 77; }

PGC="$DAGCTL_SOURCE_DIR/scripts/pg-cluster"
PG=$(mktemp -d /tmp/dagctl-pg.XXXXXX)  # not under TEST_TMP (0700): the server runs as postgres when we are root
trap 'rc=$?; "$PGC" remove "$PG" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
URL=$("$PGC" start "$PG")
LEASE=3

declare -a PIDS
# member I: starts daemon I (1-based) on its own data dir and socket, sharing the store.
member() {
  local i=$1 dir="$TEST_TMP/d$1"
  mkdir -p "$dir"
  rm -f "$dir/data/dagctld.json"
  "$DAGCTL_BIN_DIR/dagctld" --data-dir "$dir/data" --socket "$dir/sock" --listen none --store "$URL" \
    --lease-seconds "$LEASE" --max-parallel 4 --sandbox-writable "$TEST_TMP" --pass-env DAGCTL_TEST_TMP \
    --pass-env FAKE_DBT_DIR --log-level debug >>"$TEST_TMP/dagctld.log" 2>&1 &
  PIDS[$i]=$!
  wait_for "daemon $i ready" 20 test -s "$dir/data/dagctld.json" || fail "daemon $i did not become ready"
}
at() { local i=$1; shift; DAGCTL_SOCKET="$TEST_TMP/d$i/sock" "$DAGCTL_BIN_DIR/dagctl" "$@"; }  # I ARGS: the CLI of daemon I
api() { curl -sS --unix-socket "$TEST_TMP/d$1/sock" "http://dagctl$2"; }  # I PATH

for i in 1 2 3; do member "$i"; done
pass "three daemons start on one PostgreSQL store"

status=$(at 1 -o json status)
assert_eq 3 "$(echo "$status" | json 'len(d["daemons"])')" "status lists the three daemons"

mkdir -p "$TEST_TMP/proj"
cp -r "$DAGCTL_SOURCE_DIR/examples/shop" "$TEST_TMP/proj/lonely"
set +e
out=$(at 1 project add "$TEST_TMP/proj/lonely" --name lonely --no-check 2>&1)
rc=$?
set -e
assert_eq 2 "$rc" "a folder project is refused while other daemons share the store"
assert_contains "$out" "--on-every-daemon" "and the refusal says how to add it anyway"
for p in $(seq 0 9); do
  cp -r "$DAGCTL_SOURCE_DIR/examples/shop" "$TEST_TMP/proj/p$p"
  at $((p % 3 + 1)) -o json project add "$TEST_TMP/proj/p$p" --name "p$p" --profiles-dir "$TEST_TMP/proj/p$p" \
    --no-check --dbt "$FAKE_DBT" --on-every-daemon >/dev/null
done
assert_eq 10 "$(at 2 -o json project list | json "len(d) if isinstance(d, list) else len(d[\"projects\"])")" "a project added at one daemon is seen at the others"

: >"$TEST_TMP/runs"
for n in $(seq 0 299); do
  at $((n % 3 + 1)) -o json trigger "p$((n % 10))/default" | json 'd["job_run_id"]' >>"$TEST_TMP/runs"
done
assert_eq 300 "$(sort -u "$TEST_TMP/runs" | wc -l)" "300 triggers at three daemons, 300 runs"

wait_for "the 300 runs to end" 240 bash -c '[ "$(grep -c "^end " "$1")" -ge 300 ]' _ "$EVENTS" ||
  fail "only $(grep -c '^end ' "$EVENTS") runs ended"
wait_for "the 300 runs to be recorded" 30 bash -c \
  '[ "$(curl -sS --unix-socket "$1" "http://dagctl/api/v1/runs?status=success&limit=500" | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"runs\"]))")" -ge 300 ]' \
  _ "$TEST_TMP/d1/sock" || fail "not every run succeeded"
pass "every run succeeded"

# Each run started and ended exactly once, and no two runs of a project overlapped.
python3 - "$EVENTS" "$TEST_TMP/runs" "$TEST_TMP/d1/sock" <<'PY' || fail "a run ran twice or two runs of a project overlapped"
import json, subprocess, sys, collections
events = [l.split() for l in open(sys.argv[1])]
runs = [l.strip() for l in open(sys.argv[2])]
starts = collections.Counter(e[1] for e in events if e[0] == "start")
ends = collections.Counter(e[1] for e in events if e[0] == "end")
bad = [r for r in runs if starts[r] != 1 or ends[r] != 1]
assert not bad, f"runs not run exactly once: {bad[:5]}"
out = subprocess.run(["curl", "-sS", "--unix-socket", sys.argv[3], "http://dagctl/api/v1/runs?limit=500"],
                     capture_output=True, check=True).stdout
by_id = {r["id"]: r for r in json.loads(out)["runs"]}
spans = collections.defaultdict(list)
first = {e[1]: int(e[2]) for e in events if e[0] == "start"}
last = {e[1]: int(e[2]) for e in events if e[0] == "end"}
for r in runs:
    spans[by_id[r]["project_id"]].append((first[r], last[r]))
for project, s in spans.items():
    s.sort()
    for (a0, a1), (b0, b1) in zip(s, s[1:]):
        assert b0 >= a1, f"project {project}: a run started before the previous one ended"
daemons = collections.Counter(by_id[r].get("daemon_id") for r in runs)
assert len(daemons) == 3 and None not in daemons, f"runs by daemon: {dict(daemons)}"
print("runs by daemon:", dict(daemons))
PY
pass "each run ran exactly once, one at a time per project, and every daemon ran some"

one=$(head -1 "$TEST_TMP/runs")
assert_eq success "$(at 3 -o json run show "$one" | json 'd["status"]')" "any daemon shows any run"

# running_at RUN: which daemon (1 to 3) runs RUN: the one whose data dir has its folder.
running_at() {
  local i
  for i in 1 2 3; do [ -d "$TEST_TMP/d$i/data/runs/$1" ] && { echo "$i"; return; }; done
  fail "no daemon holds run $1"
}

# Following a run's log at a daemon that does not run it (docs/scale-out.md#logs-and-artifacts).
live=$(at 1 -o json trigger p1/default --select hold | json 'd["job_run_id"]')
wait_started "$live"
home=$(running_at "$live")
viewer=$((home % 3 + 1))
curl -sS -N --unix-socket "$TEST_TMP/d$viewer/sock" "http://dagctl/api/v1/runs/$live/logs?follow=true" \
  >"$TEST_TMP/followed.log" 2>&1 &
follower=$!
at "$viewer" logs -f "$live" >"$TEST_TMP/followed-cli.log" 2>&1 &
follower_cli=$!
wait_for "the log at daemon $viewer while daemon $home runs it" 10 grep -q "START sql table model" "$TEST_TMP/followed.log" ||
  fail "the log of a run elsewhere did not show while it ran: $(cat "$TEST_TMP/followed.log")"
kill -0 "$follower" && kill -0 "$follower_cli" || fail "following stopped while the run runs"
pass "a run's log is followed at a daemon other than the one running it, while it runs"
phase_at() { api "$1" "/api/v1/runs/$2" | json 'd["progress"]["phase"] + " " + str(len(d["progress"]["running"]))'; }
assert_eq "running 1" "$(phase_at "$home" "$live")" "the run's own daemon shows it running one node"
wait_for "daemon $viewer to show the same progress" 10 bash -c '[ "$(curl -sS --unix-socket "$1" "http://dagctl/api/v1/runs/$2" |
  python3 -c "import json,sys; p=json.load(sys.stdin)[\"progress\"]; print(p[\"phase\"], len(p[\"running\"]))")" == "running 1" ]' \
  _ "$TEST_TMP/d$viewer/sock" "$live" || fail "daemon $viewer shows progress $(phase_at "$viewer" "$live")"
pass "and its progress there is the running daemon's"
set +e
out=$(curl -sS -w '\n%{http_code}' --unix-socket "$TEST_TMP/d$viewer/sock" "http://dagctl/api/v1/runs/$live/artifacts")
set -e
assert_eq 409 "$(echo "$out" | tail -1)" "its artifacts at that daemon answer 409"
assert_contains "$out" "$(json 'd["daemon_id"]' <"$TEST_TMP/d$home/data/dagctld.json")" "naming the daemon that has them"
release "$live"
wait_for "both followers to end with the run" 15 bash -c '! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null' \
  _ "$follower" "$follower_cli" || fail "following a run elsewhere did not end with the run"
wait "$follower" || fail "curl following the log failed"
wait "$follower_cli" || fail "dagctl logs -f at another daemon failed: $(cat "$TEST_TMP/followed-cli.log")"
cmp "$TEST_TMP/followed.log" "$TEST_TMP/d$home/data/runs/$live/output.log" ||
  fail "the log followed elsewhere differs from the run's output.log"
assert_contains "$(cat "$TEST_TMP/followed-cli.log")" "OK created sql table model main.a" "dagctl logs -f there shows it to the end"
size=$(stat -c %s "$TEST_TMP/d$home/data/runs/$live/output.log")
assert_eq "$(tail -c +21 "$TEST_TMP/d$home/data/runs/$live/output.log")" "$(api "$viewer" "/api/v1/runs/$live/logs?offset=20")" \
  "offset=N reads the rest elsewhere too ($size bytes)"
pass "the followed log is output.log byte for byte, and ends when the run ends"

# kill -9 of the daemon running a held run.
held=$(at 1 -o json trigger p0/default --select hold | json 'd["job_run_id"]')
wait_started "$held"
victim=$(running_at "$held")
survivor=$((victim % 3 + 1))
next=$(at "$survivor" -o json trigger p0/default | json 'd["job_run_id"]')
killed_at=$(date +%s%N)
kill -KILL "${PIDS[$victim]}"
wait_for "the held run to end after its lease" $((LEASE * 5)) \
  bash -c '[ "$(DAGCTL_SOCKET="$1" "$2" -o json run show "$3" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"status\"])")" == error ]' \
  _ "$TEST_TMP/d$survivor/sock" "$DAGCTL_BIN_DIR/dagctl" "$held" || fail "run $held did not end error"
ended_after=$(( ($(date +%s%N) - killed_at) / 1000000 ))
echo "# the lost run ended ${ended_after} ms after the kill (lease ${LEASE} s)"
assert_contains "$(at "$survivor" -o json run show "$held" | json 'd["error_message"]')" "daemon lost" \
  "the run of the killed daemon ends error, daemon lost"
wait_for "the queue to move on" 30 bash -c \
  '[ "$(DAGCTL_SOCKET="$1" "$2" -o json run show "$3" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"status\"])")" == success ]' \
  _ "$TEST_TMP/d$survivor/sock" "$DAGCTL_BIN_DIR/dagctl" "$next" || fail "run $next after the lost one did not run"
pass "the project's next run ran at another daemon"
pkill -KILL -f "release-$held" 2>/dev/null || true
release "$held"

# The store goes away for a while.
"$PGC" stop "$PG"
at "$survivor" status >/dev/null && pass "status still answers without the store" || fail "status failed without the store"
set +e
out=$(at "$survivor" trigger p1/default 2>&1)
rc=$?
set -e
assert_eq 2 "$rc" "a trigger without the store exits 2 (a refused request)"
assert_contains "$out" "try again" "and says to try again"
code=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$TEST_TMP/d$survivor/sock" -X POST \
  "http://dagctl/api/v1/projects/p1/jobs/default/trigger" -H 'Content-Type: application/json' -d '{}')
assert_eq 503 "$code" "the API answers a write 503 without the store"
"$PGC" start "$PG" >/dev/null
wait_for "a trigger to work again" 30 bash -c 'DAGCTL_SOCKET="$1" "$2" trigger p1/default >/dev/null 2>&1' \
  _ "$TEST_TMP/d$survivor/sock" "$DAGCTL_BIN_DIR/dagctl" || fail "triggers did not work again after the store came back"
pass "the daemon works again once the store is back"

finish
