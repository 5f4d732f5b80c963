#!/usr/bin/env bash
# docs/daemon.md (where things are, the config file, remembered settings) and README.md's
# crontab line: a daemon started from a login shell (HOME, XDG_RUNTIME_DIR) is found by
# the documented line under cron's bare environment (HOME, PATH=/usr/bin:/bin, nothing
# else); `dagctl daemon stop` says how to start it again and a plain `dagctl daemon start`
# comes back with the same settings; asking a running daemon for other settings exits 2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

# --- local helpers (not in lib.sh or lib_fake.sh) -------------------------------------------
HOME_DIR=$TEST_TMP/home
mkdir -p "$HOME_DIR" "$TEST_TMP/runtime"
chmod 700 "$TEST_TMP/runtime"
STATE=$HOME_DIR/.local/state/dagctl  # the default data dir under this HOME
CRON_PATH=/usr/bin:/bin
# login CMD...: CMD as from a login shell: this HOME and an XDG_RUNTIME_DIR, and none of
# the variables lib.sh sets to isolate the other suites (socket, config folder).
login() {
  env -u DAGCTL_SOCKET -u DAGCTL_DATA_DIR -u DAGCTL_CONFIG -u XDG_CONFIG_HOME -u XDG_STATE_HOME \
    HOME="$HOME_DIR" XDG_RUNTIME_DIR="$TEST_TMP/runtime" "$@"
}
ldagctl() { login "$DAGCTL_BIN_DIR/dagctl" "$@"; }
# cron LINE: LINE as cron runs it (its command part, through sh), with cron's environment.
cron() { env -i PATH="$CRON_PATH" HOME="$HOME_DIR" SHELL=/bin/sh sh -c "$1"; }
settings_field() { ldagctl -o json status | json "$1"; }  # EXPR over GET /api/v1/daemon

# --- the documented crontab line ---------------------------------------------------------------
line=$(grep -m1 -E '^0 3 \* \* \* /usr/bin/dagctl ' "$DAGCTL_SOURCE_DIR/README.md") ||
  fail "README.md shows no crontab line '0 3 * * * /usr/bin/dagctl ...'"
grep -qF -- "$line" "$DAGCTL_SOURCE_DIR/docs/cli.md" && pass "docs/cli.md shows README.md's crontab line" ||
  fail "docs/cli.md lacks the crontab line: $line"
command=$(awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' <<<"$line")
command=${command/\/usr\/bin\/dagctl/$DAGCTL_BIN_DIR/dagctl}  # the build instead of the package
assert_contains "$command" "--wait --quiet" "the documented command waits quietly: $command"

# --- a daemon started from a login shell ---------------------------------------------------
rc=0
out=$(ldagctl daemon start --dbt "$FAKE_DBT" --listen none) || rc=$?
assert_eq 0 "$rc" "dagctl daemon start --dbt from a login shell starts the daemon: $out"
DAEMON_PID=$(settings_field 'd["pid"]')
assert_eq "$STATE/dagctl.sock" "$(settings_field 'd["socket"]')" "its socket is in the data dir under HOME, not XDG_RUNTIME_DIR"
assert_eq "$STATE" "$(settings_field 'd["data_dir"]')" "its data dir is ~/.local/state/dagctl"
assert_eq 600 "$(stat -c %a "$STATE/settings.json")" "settings.json is mode 0600"
assert_eq "$FAKE_DBT" "$(json 'd["settings"]["dbt"]' <"$STATE/settings.json")" "settings.json remembers --dbt"

project=$(copy_example my_dbt_project)
ldagctl project add "$project" --name my_dbt_project --profiles-dir "$project" >/dev/null
ldagctl job create my_dbt_project --name nightly --command 'dbt build --select tag:nightly' >/dev/null
pass "project my_dbt_project and its job nightly are registered"

# --- the crontab line, under cron's environment -----------------------------------------------
rc=0
out=$(cron "$command" 2>&1) || rc=$?
assert_eq 0 "$rc" "the crontab line triggers and waits under env -i (HOME, PATH=$CRON_PATH)"
assert_eq "" "$out" "and prints nothing for a run that succeeds (--quiet)"
fields "$(ldagctl -o json runs)" 'len(d["runs"])' 'd["runs"][0]["status"]'
assert_eq "1 success" "${F[0]} ${F[1]}" "one run was recorded, a success"
rc=0
out=$(cron "${command/--quiet/}" 2>&1) || rc=$?
assert_eq 0 "$rc" "without --quiet too"
assert_contains "$out" "success" "and then it prints the summary"

# --- stop, and a plain start comes back the same ------------------------------------------------
rc=0
out=$(ldagctl daemon stop 2>"$TEST_TMP/stop.err") || rc=$?
assert_eq 0 "$rc" "dagctl daemon stop exits 0"
assert_contains "$(cat "$TEST_TMP/stop.err")" "stopping dagctld (pid $DAEMON_PID)..." "it says it is stopping, before waiting"
assert_contains "$out" "start it again with the same settings: dagctl daemon start" "and how to start it again"
assert_eq "dagctl daemon start" "${out##*: }" "which is the plain command (the settings are remembered)"
gone "$DAEMON_PID" && pass "the daemon is gone" || fail "dagctld $DAEMON_PID still runs"
DAEMON_PID=""

rc=0
out=$(cron "$DAGCTL_BIN_DIR/dagctl trigger my_dbt_project/nightly" 2>&1) || rc=$?
assert_eq 2 "$rc" "with the daemon stopped, a cron trigger exits 2"
assert_contains "$out" "dagctl daemon start" "saying how to start it"

rc=0
out=$(ldagctl daemon start) || rc=$?
assert_eq 0 "$rc" "a plain dagctl daemon start starts it again"
assert_contains "$out" "with the settings it last ran with" "saying it reuses the remembered settings: $out"
DAEMON_PID=$(settings_field 'd["pid"]')
fields "$(ldagctl -o json status)" 'd["settings"]["dbt"]' 'd["settings_from"]["dbt"]' 'd["settings"]["listen"]' 'd["http"]'
assert_eq "$FAKE_DBT" "${F[0]}" "GET /api/v1/daemon shows the same --dbt"
assert_eq flag "${F[1]}" "passed on as a flag"
assert_eq none "${F[2]}" "and the same --listen"
assert_eq null "${F[3]}" "so no TCP listener"
rc=0
out=$(cron "$command" 2>&1) || rc=$?
assert_eq 0 "$rc" "the crontab line works against the restarted daemon"

# --- start against a running daemon -------------------------------------------------------------
rc=0
out=$(ldagctl daemon start 2>&1) || rc=$?
assert_eq 0 "$rc" "dagctl daemon start against the running daemon exits 0"
assert_contains "$out" "already running (pid $DAEMON_PID)" "saying it is already running"
rc=0
out=$(ldagctl daemon start --dbt "$FAKE_DBT") || rc=$?
assert_eq 0 "$rc" "with the same --dbt too"
rc=0
out=$(ldagctl -o json daemon start) || rc=$?
assert_eq 0 "$rc" "-o json daemon start exits 0"
fields "$out" 'd["already_running"]' 'd["pid"]'
assert_eq "true $DAEMON_PID" "${F[0]} ${F[1]}" "and prints one JSON document saying so"
rc=0
err=$(ldagctl daemon start --dbt /other/dbt 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "dagctl daemon start --dbt other against it exits 2"
assert_contains "$err" "--dbt: running with $FAKE_DBT, asked for /other/dbt; stop it first: dagctl daemon stop" \
  "naming --dbt, both values and what to do"
assert_eq "$DAEMON_PID" "$(settings_field 'd["pid"]')" "the running daemon is untouched"

# --- the config file ---------------------------------------------------------------------------
ldagctl daemon stop >/dev/null 2>&1
DAEMON_PID=""
mkdir -p "$HOME_DIR/.config/dagctl"
printf '# dagctld.conf\nkeep-days = 7\n' >"$HOME_DIR/.config/dagctl/dagctld.conf"
ldagctl daemon start >/dev/null
DAEMON_PID=$(settings_field 'd["pid"]')
fields "$(ldagctl -o json status)" 'd["settings"]["keep-days"]' 'd["settings_from"]["keep-days"]' \
  'd["config_file"]' 'd["settings"]["dbt"]'
assert_eq "7 config" "${F[0]} ${F[1]}" "a key of ~/.config/dagctl/dagctld.conf is a setting"
assert_eq "$HOME_DIR/.config/dagctl/dagctld.conf" "${F[2]}" "GET /api/v1/daemon names the file"
assert_eq "$FAKE_DBT" "${F[3]}" "beside the remembered --dbt"
out=$(ldagctl daemon stop 2>/dev/null)
assert_eq "dagctl daemon start" "${out##*: }" "the command to start it again is still the plain one"
DAEMON_PID=""

printf 'keep-days = 7\nkeep-dayz = 8\n' >"$HOME_DIR/.config/dagctl/dagctld.conf"
rc=0
err=$(login timeout 20 "$DAGCTL_BIN_DIR/dagctld" --listen none 2>&1) || rc=$?
assert_eq 2 "$rc" "dagctld refuses an unknown key with exit 2"
assert_contains "$err" "$HOME_DIR/.config/dagctl/dagctld.conf:2: unknown key 'keep-dayz'" "naming the file and line"
printf 'socket /x\n' >"$HOME_DIR/.config/dagctl/dagctld.conf"
rc=0
err=$(ldagctl status 2>&1) || rc=$?
assert_eq 2 "$rc" "dagctl refuses a config file it cannot parse with exit 2"
assert_contains "$err" "dagctld.conf:1:" "naming the file and line"
printf 'socket = %s\n' "$TEST_TMP/elsewhere.sock" >"$HOME_DIR/.config/dagctl/dagctld.conf"
rc=0
err=$(ldagctl status 2>&1) || rc=$?
assert_contains "$err" "$TEST_TMP/elsewhere.sock" "dagctl looks for the socket the config file names"
finish
