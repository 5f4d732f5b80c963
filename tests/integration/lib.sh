# Shared helpers for the shell integration suites. Each suite sources this file, starts
# real daemons on a private temp dir and drives them through the real CLI and socket.
# Suites that run tests/integration/fake-dbt source lib_fake.sh after it.
#
# Environment (set by CTest, see CMakeLists.txt here):
#   DAGCTL_BIN_DIR     folder with dagctl and dagctld
#   DAGCTL_SOURCE_DIR  the repository (examples/, tests/)
#   DAGCTL_TEST_DBT    the real dbt executable (from scripts/setup-dbt)
#   DAGCTL_TEST_SQLMESH the real sqlmesh executable (from scripts/setup-sqlmesh)
set -euo pipefail

: "${DAGCTL_BIN_DIR:?set DAGCTL_BIN_DIR to the folder holding dagctl and dagctld}"
: "${DAGCTL_SOURCE_DIR:?set DAGCTL_SOURCE_DIR to the repository}"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dagctl-test.XXXXXX")
DATA="$TEST_TMP/data"
SOCK="$TEST_TMP/run/dagctl.sock"
FAKE_DBT="$DAGCTL_SOURCE_DIR/tests/integration/fake-dbt"
DAEMON_PID=""
CHECKS=0
# Every process a test starts inherits this, so cleanup can find even orphaned dbt.
export DAGCTL_TEST_TMP="$TEST_TMP"
# Isolate from the user's own daemon and dbt settings.
export DAGCTL_SOCKET="$SOCK"
unset DAGCTL_DATA_DIR DAGCTL_LISTEN DAGCTL_DBT DAGCTL_CONFIG DBT_PROFILES_DIR DBT_TARGET_PATH DBT_LOG_PATH || true
export XDG_CONFIG_HOME="$TEST_TMP/config"  # no dagctld.conf there (docs/daemon.md)

cleanup() {
  local rc=$?
  set +e  # a process that exits between the sweep and its kill must not abort the cleanup
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait_for "daemon exit at cleanup" 30 bash -c "! kill -0 $DAEMON_PID 2>/dev/null" || kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  # No process of a test may outlive it, orphans of a kill -9 included.
  local p
  for p in $(pids_with_env "DAGCTL_TEST_TMP=$TEST_TMP"); do
    [ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null
  done
  pkill -KILL -f "$TEST_TMP" 2>/dev/null || true
  if [ $rc -ne 0 ] && [ -f "$TEST_TMP/dagctld.log" ]; then
    echo "--- dagctld log (last 40 lines) ---" >&2
    tail -n 40 "$TEST_TMP/dagctld.log" >&2
  fi
  rm -rf "$TEST_TMP"
  exit $rc
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# check DESCRIPTION: counts one passed assertion (call after the assertion).
pass() {
  CHECKS=$((CHECKS + 1))
  echo "ok $CHECKS - $*"
}

assert_eq() {  # EXPECTED ACTUAL WHAT
  [ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"
  pass "$3"
}

assert_contains() {  # HAYSTACK NEEDLE WHAT
  case "$1" in
    *"$2"*) pass "$3" ;;
    *) fail "$3: '$2' not found in: $1" ;;
  esac
}

assert_not_contains() {  # HAYSTACK NEEDLE WHAT
  case "$1" in
    *"$2"*) fail "$3: '$2' unexpectedly found in: $1" ;;
    *) pass "$3" ;;
  esac
}

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds, fails the test at the deadline.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$(($(date +%s%N) + seconds * 1000000000))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s%N)" -gt "$deadline" ]; then
      echo "FAIL: timed out after ${seconds}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

dagctl() { "$DAGCTL_BIN_DIR/dagctl" "$@"; }

# json EXPR: evaluates a Python expression over the JSON document on stdin, bound to d.
json() {
  python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1"
}

# start_daemon [ARGS...]: starts dagctld on this test's data dir and socket, in the
# background, and waits for its readiness file. No TCP listener unless ARGS has --listen.
# Runs may write under $TEST_TMP (DuckDB files, the fake's events; the data dir stays
# hidden) and get this test's marker and FAKE_DBT_DIR (docs/sandbox.md).
start_daemon() {
  rm -f "$DATA/dagctld.json"
  local listen=(--listen none)
  case " $* " in *" --listen "*) listen=() ;; esac
  local store=()
  case " $* " in *" --store "*) ;; *) [[ -n "${DAGCTL_TEST_PG:-}" ]] && store=(--store "$(test_store_url "$DATA")") ;; esac
  "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" "${listen[@]}" "${store[@]}" \
    --sandbox-writable "$TEST_TMP" --pass-env DAGCTL_TEST_TMP --pass-env FAKE_DBT_DIR \
    --log-level debug "$@" >>"$TEST_TMP/dagctld.log" 2>&1 &
  DAEMON_PID=$!
  wait_for "dagctld.json from pid $DAEMON_PID" 20 test -s "$DATA/dagctld.json" ||
    fail "dagctld did not become ready"
}

# test_store_url DATA_DIR: with DAGCTL_TEST_PG (a cluster of scripts/pg-cluster), the store
# URL of a database of this data dir's own, made on first use: the suites run unchanged
# against PostgreSQL (docs/scale-out.md). Prints nothing without DAGCTL_TEST_PG.
test_store_url() {
  [[ -n "${DAGCTL_TEST_PG:-}" ]] || return 0
  local key; key=$(echo -n "$1" | sha1sum | cut -c1-16)
  local file="$TEST_TMP/pg-$key"
  [[ -s "$file" ]] || "$DAGCTL_SOURCE_DIR/scripts/pg-cluster" createdb "$DAGCTL_TEST_PG" "t_$key" >"$file"
  cat "$file"
}

# stop_daemon [SIGNAL]: signals the daemon and waits until it exited; sets DAEMON_RC.
stop_daemon() {
  local sig=${1:-TERM}
  kill "-$sig" "$DAEMON_PID"
  DAEMON_RC=0
  wait "$DAEMON_PID" || DAEMON_RC=$?
  DAEMON_PID=""
}

# copy_example NAME: a private copy of the example dbt project; prints its path.
copy_example() {
  local dest="$TEST_TMP/$1"
  cp -r "$DAGCTL_SOURCE_DIR/examples/shop" "$dest"
  echo "$dest"
}

# copy_sqlmesh_example NAME: a private copy of the example SQLMesh project (examples/sqlmesh)
# without any state a run in the source tree left (its DuckDB file, SQLMesh's cache); prints its path.
copy_sqlmesh_example() {
  local dest="$TEST_TMP/$1"
  cp -r "$DAGCTL_SOURCE_DIR/examples/sqlmesh" "$dest"
  rm -rf "$dest/data/"*.duckdb "$dest/.cache" "$dest/logs"
  echo "$dest"
}

# add_project PATH NAME [ARGS...]: registers a project; prints its id. Without the project
# checks (test_project_checks.sh tests those): suites register stand-in dbts on purpose, and
# each check spawns `dbt --version`.
add_project() {
  local path=$1 name=$2
  shift 2
  # --on-every-daemon: the suites with several daemons run them on this one machine.
  dagctl -o json project add "$path" --name "$name" --profiles-dir "$path" --no-check --on-every-daemon "$@" | json 'd["id"]'
}

# trigger JOB [ARGS...]: triggers without waiting; prints the run id.
trigger() {
  dagctl -o json trigger "$@" | json 'd["job_run_id"]'
}

run_field() {  # RUN EXPR
  dagctl -o json run show "$1" | json "$2"
}

run_is_terminal() {
  case "$(run_field "$1" 'd["status"]')" in
    success | partial | failed | error | cancelled) return 0 ;;
    *) return 1 ;;
  esac
}

run_has_status() {  # RUN STATUS
  [ "$(run_field "$1" 'd["status"]')" == "$2" ]
}

# pids_with_env NEEDLE: processes whose environment holds NEEDLE (e.g. DAGCTL_RUN_ID=...).
pids_with_env() {
  local needle=$1 p
  for p in /proc/[0-9]*; do
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "$needle" && echo "${p#/proc/}"
  done
  return 0
}

run_processes() { pids_with_env "DAGCTL_RUN_ID=$1"; }  # RUN: pids of the run's processes (dbt and its children)
has_run_process() { [ -n "$(run_processes "$1")" ]; }  # RUN: some process of the run is alive
no_process_of_run() { [ -z "$(run_processes "$1")" ]; }  # RUN: no process of the run is left

status_of() { run_field "$1" 'd["status"]'; }  # RUN: its status (queued, running, success, ...)

# wait_status RUN STATUS [SECONDS]: waits until RUN has STATUS (default 20s), else fails the test.
wait_status() {
  wait_for "run $1 to be $2" "${3:-20}" run_has_status "$1" "$2" ||
    fail "run $1 is $(status_of "$1"), expected $2"
}

# gone PID: the process has exited (a zombie nobody reaped yet counts: it runs nothing).
gone() { [ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" == Z ]; }

# fields DOC EXPR...: each EXPR over the JSON document DOC (bound to d), in one python, into F.
fields() {
  local doc=$1
  shift
  mapfile -t F < <(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for e in sys.argv[1:]:
    v = eval(e)
    print(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list, bool)) or v is None else v)' "$@" <<<"$doc")
}

# start_receiver SCRIPT NAME [ARGS...]: starts a recording HTTP receiver (webhook_receiver.py,
# lineage_receiver.py) that writes $TEST_TMP/NAME/requests.jsonl; prints its port. Started
# again with the same NAME (and --port), it waits for the new one's port file.
start_receiver() {
  local script=$1 dir="$TEST_TMP/$2"
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/port"
  python3 "$script" --dir "$dir" "$@" >>"$dir/log" 2>&1 &
  wait_for "receiver $dir" 10 test -s "$dir/port" || fail "receiver did not start"
  cat "$dir/port"
}
# requests NAME: how many requests receiver NAME recorded; has_requests NAME N: at least N.
requests() { [ -f "$TEST_TMP/$1/requests.jsonl" ] && wc -l <"$TEST_TMP/$1/requests.jsonl" || echo 0; }
has_requests() { [ "$(requests "$1")" -ge "$2" ]; }

# http_address: the daemon's TCP address from dagctld.json, e.g. 127.0.0.1:41234.
http_address() {
  json 'd["http"]' <"$DATA/dagctld.json"
}

finish() {
  echo "$CHECKS passed, 0 failed"
}
