# Helpers for suites that run tests/integration/fake-dbt ($FAKE_DBT) instead of the real
# dbt. Source it after lib.sh. The fake writes "start|end RUN NS" lines to $EVENTS and holds
# `--select hold` runs until released (see fake-dbt). Held fakes left behind by a failing
# assertion, orphans of a kill -9 included, are killed by lib.sh's cleanup: they carry
# this test's DAGCTL_TEST_TMP marker like every process the test starts.
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"
EVENTS="$FAKE_DBT_DIR/events"
touch "$EVENTS"

has_event() { grep -q "^$1 $2 " "$EVENTS"; }  # KIND RUN: the fake of RUN logged KIND (start|end)
# event_count KIND RUN: how many KIND events the fake logged for RUN.
event_count() { awk -v k="$1" -v r="$2" '$1 == k && $2 == r { n++ } END { print n + 0 }' "$EVENTS"; }
release() { touch "$FAKE_DBT_DIR/release-$1"; }  # RUN: lets RUN's held fake finish with success
# wait_started RUN [SECONDS]: waits until RUN's fake started (default 20s), else fails the test.
wait_started() { wait_for "fake dbt of run $1 to start" "${2:-20}" has_event start "$1" || fail "run $1 never started"; }

# follow_log_many N URL CURL_ARGS...: N clients follow URL (a run's logs?follow=true) over
# TCP, each with its status line in $TEST_TMP/followers/<i>.head and body in <i>.out; their
# pids in FOLLOWERS. Returns once every one has its answer (streaming 200 or refused 503).
follow_log_many() {
  local n=$1 url=$2 i
  shift 2
  rm -rf "$TEST_TMP/followers"
  mkdir -p "$TEST_TMP/followers"
  FOLLOWERS=()
  for i in $(seq 1 "$n"); do
    curl -sS -N -o "$TEST_TMP/followers/$i.out" -D "$TEST_TMP/followers/$i.head" "$@" "$url" 2>/dev/null &
    FOLLOWERS+=($!)
  done
  # shellcheck disable=SC2016
  wait_for "the $n followers to get their answers" 30 bash -c \
    '[ "$(cat "$1"/*.head 2>/dev/null | grep -c "^HTTP/")" -ge "$2" ]' _ "$TEST_TMP/followers" "$n" ||
    fail "not every follower was answered"
}
# followers_answered CODE: how many of follow_log_many's clients got HTTP CODE.
followers_answered() { grep -l "^HTTP/1.1 $1" "$TEST_TMP"/followers/*.head | wc -l; }
