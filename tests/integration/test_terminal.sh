#!/usr/bin/env bash
# The watch mode in a real terminal (docs/cli.md#watch-mode, #ctrl-c): `dagctl trigger
# --wait` runs in detached tmux panes of 80 and 60 columns against a daemon with the real
# dbt, on a copy of examples/shop plus a Python model that sleeps 6 s (added to the copy
# only). While it runs, the pane shows the running node with its elapsed time and no row
# is a stray status line; at the end every line fits the width. Then Ctrl-C: once cancels
# the run (exit 2), twice stops waiting (exit 130, the run still ends cancelled), and with
# --detach the run goes on. Needs tmux (scripts/install-deps).
source "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed (scripts/install-deps installs it): the terminal suite did not run"
  finish
  exit 0
fi
if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

shop=$(copy_example shop)
mkdir -p "$shop/models/slow"
cat >"$shop/models/slow/slow_model.py" <<'PY'
"""Sleeps long enough for the terminal suite to look at the status line."""
import time


def model(dbt, session):
    dbt.config(materialized="table")
    time.sleep(6)
    return session.sql("select 1 as id")
PY
start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 1
add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb" >/dev/null

# A private tmux server (its socket in TEST_TMP: lib.sh's cleanup ends it with the rest).
TMUX_SOCKET=$TEST_TMP/tmux.sock
tmx() { tmux -S "$TMUX_SOCKET" -f /dev/null "$@"; }

# The pane runs this: dagctl with the given arguments, then its exit code, then it stays
# open so its screen can be read.
cat >"$TEST_TMP/in-pane.sh" <<EOF2
#!/usr/bin/env bash
unset NO_COLOR
export DAGCTL_SOCKET='$SOCK' TERM=tmux-256color LANG=C.UTF-8
'$DAGCTL_BIN_DIR/dagctl' "\$@"
echo "EXIT=\$?"
exec sleep 600
EOF2
chmod +x "$TEST_TMP/in-pane.sh"

SESSION=""
# pane COLUMNS ARGS...: a new detached session of COLUMNS x 40 running dagctl ARGS.
pane() {
  local columns=$1
  shift
  SESSION="s$((++PANES))"
  tmx new-session -d -s "$SESSION" -x "$columns" -y 40 "$TEST_TMP/in-pane.sh $(printf '%q ' "$@")"
}
PANES=0
screen() { tmx capture-pane -p -t "$SESSION"; }          # the rows as shown
screen_joined() { tmx capture-pane -p -J -t "$SESSION"; }  # wrapped rows joined: the lines printed
screen_text() { screen_joined | tr '\n' ' ' | tr -s ' '; }  # as one line: messages wrapped at spaces read whole
screen_has() { screen_text | grep -qE -- "$1"; }           # REGEX
wait_screen() {  # REGEX WHAT [SECONDS]
  wait_for "$2" "${3:-60}" screen_has "$1" || fail "$2; the pane shows:
$(screen)"
}
pane_exit() { screen | sed -n 's/^EXIT=\([0-9]*\)$/\1/p'; }
# The run a pane triggered: the newest (the pane's line names it too, wrapped at 60 columns).
pane_run() { dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]'; }

# A status line looks like "running 3/12 · slow_model 2s · 9s"; only the bottom row may be one.
STATUS_ROW='^(queued|starting (dbt|sqlmesh)|(dbt|sqlmesh) is (parsing|loading)|running|finishing)( [0-9]+/[0-9]+)?( · |$)'
check_rows() {  # COLUMNS SNAPSHOT WHAT: no stray status rows, no line wider than the pane
  local columns=$1 snapshot=$2 what=$3 strays long
  # ($(...) dropped the empty rows below the last one.)
  strays=$(head -n -1 <<<"$snapshot" | grep -cE "$STATUS_ROW" || true)
  [ "$strays" == 0 ] || fail "$what: $strays status rows above the bottom one:
$snapshot"
  long=$(PYTHONIOENCODING=utf-8 python3 -c 'import sys; w = int(sys.argv[1]); [print(l) for l in sys.stdin.read().splitlines() if len(l) > w]' \
    "$columns" <<<"$snapshot")
  [ -z "$long" ] || fail "$what: lines wider than $columns columns (they wrapped):
$long"
  pass "$what: one status line at most, at the bottom ('$(tail -n 1 <<<"$snapshot")'), nothing wider than $columns columns"
}

no_stray_rows() {  # SNAPSHOT WHAT: no status row above the bottom one
  local strays
  strays=$(head -n -1 <<<"$1" | grep -cE "$STATUS_ROW" || true)
  [ "$strays" == 0 ] || fail "$2: $strays status rows above the bottom one:
$1"
  pass "$2: no stray status rows"
}

status_fits() {  # COLUMNS: the bottom row is a status line narrower than COLUMNS
  local last
  last=$(tail -n 1 <<<"$(screen)")  # ($(...) drops the empty rows below it)
  grep -qE "$STATUS_ROW" <<<"$last" && [ "$(PYTHONIOENCODING=utf-8 python3 -c 'import sys; print(len(sys.argv[1]))' "$last")" -lt "$1" ]
}

watch_build() {  # COLUMNS: a whole build with the slow model, watched in a pane that wide
  local columns=$1 during after run
  pane "$columns" trigger shop/default --wait --command "dbt build"
  wait_screen 'slow_model [2-9]s' "the $columns-column pane to show the running slow_model with its time"
  during=$(screen_joined)
  assert_contains "$(screen)" "slow_model" "$columns columns: the running node is on the status line"
  grep -qE "$STATUS_ROW" <<<"$(screen)" || fail "$columns columns: no status line while the slow model runs:
$(screen)"
  pass "$columns columns: the status line shows the phase while the slow model runs"
  [ -z "${DAGCTL_TEST_SCREENS:-}" ] || printf '%s\n' "--- $columns columns, during:" "$during" >>"$DAGCTL_TEST_SCREENS"
  check_rows "$columns" "$during" "$columns columns, while the slow model runs"
  wait_screen 'EXIT=[0-9]' "the $columns-column run to end" 120
  after=$(screen_joined)
  [ -z "${DAGCTL_TEST_SCREENS:-}" ] || printf '%s\n' "--- $columns columns, after:" "$after" >>"$DAGCTL_TEST_SCREENS"
  assert_eq 0 "$(pane_exit)" "$columns columns: trigger --wait exits 0"
  assert_contains "$after" " success in " "$columns columns: the summary is shown"
  grep -qE '[0-9]+ of [0-9]+ (OK|PASS) ' <<<"$after" || fail "$columns columns: no node lines as dbt prints them:
$after"
  pass "$columns columns: finished nodes are printed as dbt prints them"
  check_rows "$columns" "$after" "$columns columns, after the end"
  assert_not_contains "$after" "·" "$columns columns: the status line is gone after the end"
  assert_contains "$(tmx capture-pane -p -e -t "$SESSION")" $'\033[32mOK' "$columns columns: OK is green on a terminal"
  run=$(pane_run)
  wait_status "$run" success
}

watch_build 80
watch_build 60

# --- Ctrl-C once: the run is cancelled, the wait follows it to its end, exit 2 --------------
SLOW_ONLY="dbt run --select slow_model"
pane 80 trigger shop/default --wait --command "$SLOW_ONLY"
wait_screen 'slow_model [1-9]s' "the slow model to run"
run=$(pane_run)
[ -n "$run" ] || fail "the pane does not name its run: $(screen)"
# A terminal narrower (SIGWINCH) than the status line: tmux reflows the line onto two rows;
# it is cleared from its first row and drawn again within the new width.
tmx resize-window -t "$SESSION" -x 25
wait_for "the status line to fit 25 columns" 10 status_fits 25 || fail "after a resize to 25 columns:
$(screen)"
no_stray_rows "$(screen)" "resized to 25 columns while the slow model runs"
tmx resize-window -t "$SESSION" -x 80
tmx send-keys -t "$SESSION" C-c
# The message may still be wrapped at 25 columns (the resize back and the Ctrl-C race), and a
# run id longer than a row is cut across rows: compare without the white space.
screen_squeezed_has() { screen_joined | tr -d ' \n' | grep -qF -- "$1"; }
wait_for "the pane to say it cancels the run" 10 screen_squeezed_has "cancellingrun$run" ||
  fail "the pane does not say it cancels the run; it shows:
$(screen)"
pass "Ctrl-C says it cancels the run"
assert_contains "$(screen_joined | tr -d ' \n')" "pressCtrl-Cagaintostopwaiting" "it says what a second Ctrl-C does"
wait_screen 'EXIT=[0-9]' "the cancelled run's wait to end" 60
assert_eq 2 "$(pane_exit)" "trigger --wait exits 2 after a Ctrl-C cancelled the run"
assert_eq cancelled "$(status_of "$run")" "the run ended cancelled"
assert_contains "$(screen_joined)" " cancelled in " "the summary says cancelled"
no_stray_rows "$(screen_joined)" "after a Ctrl-C"

# --- Ctrl-C twice: stop waiting at once (130); the run still ends cancelled ----------------
pane 80 trigger shop/default --wait --command "$SLOW_ONLY"
wait_screen 'slow_model [1-9]s' "the slow model to run (second time)"
run=$(pane_run)
tmx send-keys -t "$SESSION" C-c
wait_screen "cancelling run $run" "the first Ctrl-C to cancel" 10
tmx send-keys -t "$SESSION" C-c
wait_screen 'EXIT=[0-9]' "the second Ctrl-C to stop waiting" 10
assert_eq 130 "$(pane_exit)" "a second Ctrl-C exits 130"
assert_contains "$(screen_text)" "still being cancelled" "it says the run is still being cancelled"
wait_status "$run" cancelled 60
pass "the run ends cancelled without anyone waiting"

# --- --detach: Ctrl-C only stops waiting; the run goes on ----------------------------------
pane 80 trigger shop/default --wait --detach --command "$SLOW_ONLY"
wait_screen 'slow_model [1-9]s' "the slow model to run (detach)"
run=$(pane_run)
tmx send-keys -t "$SESSION" C-c
wait_screen 'EXIT=[0-9]' "Ctrl-C to stop waiting with --detach" 10
assert_eq 130 "$(pane_exit)" "Ctrl-C with --detach exits 130"
assert_contains "$(screen_text)" "dagctl watch $run" "it says how to follow the run again"
assert_eq running "$(status_of "$run")" "the run goes on after Ctrl-C with --detach"

# --- watch and logs -f follow a run they did not start; Ctrl-C only stops following ---------
pane 80 watch "$run"
wait_screen 'slow_model [0-9]+s' "dagctl watch to show the running slow model" 20
tmx send-keys -t "$SESSION" C-c
wait_screen 'EXIT=[0-9]' "Ctrl-C to stop dagctl watch" 10
assert_eq 130 "$(pane_exit)" "Ctrl-C stops dagctl watch with 130"
assert_contains "$(screen_text)" "stopped following run $run" "dagctl watch says it stopped following"
assert_not_contains "$(status_of "$run")" cancelled "Ctrl-C in dagctl watch does not cancel the run"
pane 80 logs -f "$run"
wait_screen 'EXIT=[0-9]' "logs -f to follow the run to its end" 60
assert_eq 0 "$(pane_exit)" "logs -f exits 0 at the run's end"
assert_contains "$(screen_text)" "Completed successfully" "logs -f prints dbt's whole output"
strays=$(head -n -1 <<<"$(screen_joined)" | grep -cE "$STATUS_ROW" || true)
assert_eq 0 "$strays" "logs -f leaves no status rows behind"
wait_status "$run" success 60

# --- -o json logs, with and without -f: one document {"run_id", "log"} -----------------------
for follow in "" -f; do
  doc=$(dagctl -o json logs $follow "$run")
  assert_eq '["log", "run_id"]' "$(json 'sorted(d)' <<<"$doc")" "-o json logs $follow is one document {run_id, log}"
  assert_contains "$(json 'd["log"]' <<<"$doc")" "Completed successfully" "-o json logs $follow holds dbt's output"
done

tmx kill-server 2>/dev/null || true
finish
