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
