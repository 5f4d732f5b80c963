#!/usr/bin/env bash
# docs/cli.md: the run history as people and scripts read it. Two projects with runs of
# every ending (the fake dbt): `dagctl runs`'s columns, filters and pages, the terminal
# fitting, run ids by prefix, did-you-mean, job errors said in flags, and exactly one
# JSON document from every command with -o json.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

# rows ARGS...: `dagctl runs ARGS` without its header line.
rows() { dagctl runs "$@" | tail -n +2; }
count() { dagctl -o json runs --limit 1000 "$@" | json 'len(d["runs"])'; }  # ARGS...: how many runs match

start_daemon --dbt "$FAKE_DBT"
add_project "$(copy_example shop)" shop >/dev/null
add_project "$(copy_example books)" books >/dev/null
dagctl job create books --name nightly-full-refresh --command 'dbt build' >/dev/null

# An empty history says so, and how to start a run.
out=$(dagctl runs 2>"$TEST_TMP/err")
assert_eq "" "$out" "no runs: no table"
assert_contains "$(cat "$TEST_TMP/err")" "no runs yet; start one with: dagctl trigger" "no runs: it says how to start one"

ok=$(trigger shop/default)
failed=$(trigger shop/default --select exit1-only)
partial=$(trigger books/default --select exit1-mixed)
errored=$(trigger books/nightly-full-refresh --select exit2)
for r in "$ok" "$failed" "$partial" "$errored"; do wait_for "run $r to end" 20 run_is_terminal "$r"; done
held=$(trigger shop/default --select hold)
wait_started "$held"

# --- the table ------------------------------------------------------------------------
table=$(dagctl runs)
header=$(head -1 <<<"$table")
assert_eq "RUN PROJECT JOB STATUS BY CREATED DURATION" "$(echo $header)" "the columns"
assert_eq 5 "$(tail -n +2 <<<"$table" | wc -l)" "one line per run"
first=$(sed -n 2p <<<"$table")
assert_eq "${held:0:12}" "$(awk '{print $1}' <<<"$first")" "newest first, by its 12-character id"
assert_contains "$first" "shop" "the project's name"
assert_contains "$first" "running" "the status"
assert_contains "$first" "manual" "what triggered it"
assert_contains "$first" " ago" "when, relative"
assert_contains "$table" "nightly-full-refresh" "the job's name, whole when piped"
assert_not_contains "$table" "$held" "ids are shortened"

# Fitted to a narrow terminal (a pty from script(1)): the name columns are cut, nothing wraps.
narrow=$(script -qec "stty cols 70 2>/dev/null; $DAGCTL_BIN_DIR/dagctl --socket $SOCK runs" /dev/null | tr -d '\r')
widest=$(python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))' <<<"$narrow")
[ "$widest" -le 70 ] || fail "a line of $widest characters on a 70-column terminal: $narrow"
pass "on a 70-column terminal every line fits ($widest)"
assert_contains "$narrow" "…" "a cut name ends in …"

# --- filters -----------------------------------------------------------------------------
assert_eq 2 "$(rows --project books | wc -l)" "--project"
assert_eq 1 "$(rows --job books/nightly-full-refresh | wc -l)" "--job PROJECT/JOB"
assert_eq 1 "$(rows --project books --job nightly-full-refresh | wc -l)" "--project with a bare --job"
assert_eq 2 "$(count --status failed,error)" "--status takes a comma list"
assert_eq 3 "$(count --status failed,error --status partial)" "--status repeated"
assert_eq "$errored" "$(dagctl -o json runs --project books --status error | json 'd["runs"][0]["id"]')" \
  "filters combine"
assert_eq 5 "$(count --since 1h)" "--since an age"
assert_eq 5 "$(count --since 2000-01-01)" "--since a local date"
assert_eq 0 "$(count --since 2999-01-01T00:00:00Z)" "--since an RFC 3339 time"
rc=0
err=$(dagctl runs --since 2999-01-01T00:00:00Z 2>&1 >/dev/null) || rc=$?
assert_eq 0 "$rc" "an empty result is not an error"
assert_contains "$err" "no runs match" "it says nothing matched"
rc=0
err=$(dagctl runs --since yesterday 2>&1) || rc=$?
assert_eq 2 "$rc" "a --since that is no time exits 2"
assert_contains "$err" "--since takes an age" "and says what --since takes"
err=$(dagctl runs --status broken 2>&1) || true
assert_contains "$err" "--status" "an unknown status names the flag"

# --- pages ---------------------------------------------------------------------------------
seen=""
command="dagctl runs --limit 2"
for _ in 1 2 3 4; do
  page=$(eval "$command" 2>"$TEST_TMP/more" | tail -n +2 | awk '{print $1}')
  seen+="$page"$'\n'
  command=$(sed -n 's/^more: //p' "$TEST_TMP/more")
  [ -n "$command" ] || break
  case $command in "dagctl runs --limit 2 --before "*) ;; *) fail "the next page's command: $command" ;; esac
done
assert_eq 5 "$(grep -c . <<<"$seen")" "following the 'more:' hints lists every run"
assert_eq 5 "$(sort -u <<<"$seen" | grep -c .)" "each once"

# --- runs by prefix ------------------------------------------------------------------------
assert_eq "$failed" "$(run_field "${failed:0:8}" 'd["id"]')" "run show takes 8 characters of an id"
assert_eq "$failed" "$(run_field "${failed:0:12}" 'd["id"]')" "and the 12 that runs shows"
shown=$(dagctl run show "${failed:0:12}")
assert_contains "$shown" "project:      shop" "run show names the project"
assert_contains "$shown" "job:          default" "and the job"
rc=0
err=$(dagctl run show "${failed:0:5}" 2>&1) || rc=$?
assert_eq 2 "$rc" "5 characters are too few"
assert_contains "$err" "at least 6 characters" "and it says so"
err=$(dagctl run show zzzzzzzz 2>&1) || true
assert_contains "$err" "no run 'zzzzzzzz'" "an unknown prefix is no run"
assert_contains "$(dagctl logs "${ok:0:10}")" "fake dbt: build" "logs takes a prefix"
dagctl cancel "${held:0:9}" >/dev/null
wait_status "$held" cancelled
pass "cancel takes a prefix"
retried=$(dagctl -o json retry "${failed:0:10}" | json 'd["job_run_id"]')  # after the held run: one run per project
wait_for "the retry to end" 20 run_is_terminal "$retried"
assert_eq "$failed" "$(run_field "$retried" 'd["retry_of"]')" "retry takes a prefix"
api=$(curl -sS --fail-with-body --unix-socket "$SOCK" "http://dagctl/api/v1/runs?id_prefix=${ok:0:6}")
assert_eq "$ok" "$(echo "$api" | json 'd["runs"][0]["id"]')" "the API's id_prefix finds the run"
code=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://dagctl/api/v1/runs?id_prefix=${ok:0:5}")
assert_eq 400 "$code" "an id_prefix under 6 characters is 400"

# A deleted job's runs stay, named by the name they were given.
dagctl job delete books/nightly-full-refresh >/dev/null
assert_contains "$(rows --project books)" "nightly-full-refresh (deleted)" "a deleted job's run is marked"
assert_eq null "$(run_field "$errored" 'd["job_current_name"]')" "its job_current_name is null"
assert_eq books "$(run_field "$errored" 'd["project_name"]')" "its project_name stays"

# --- mistakes --------------------------------------------------------------------------------
rc=0
err=$(dagctl trgger 2>&1) || rc=$?
assert_eq 2 "$rc" "a mistyped command exits 2"
assert_eq "dagctl: error: unknown command 'trgger'; did you mean 'trigger'?" "$err" "and names the command meant"
err=$(dagctl run shwo "$ok" 2>&1) || true
assert_eq "dagctl: error: unknown command 'shwo' for 'dagctl run'; did you mean 'show'?" "$err" "in a group too"
err=$(dagctl runs --limt 3 2>&1) || true
assert_eq "dagctl: error: unknown flag '--limt' for 'dagctl runs'; did you mean '--limit'?" "$err" "a mistyped flag"
rc=0
out=$(dagctl 2>/dev/null) || rc=$?
assert_eq 2 "$rc" "bare dagctl exits 2"
assert_contains "$out" "Subcommands:" "and prints its help on stdout"
err=$(dagctl job create shop --name 'bad name' --command 'dbt build' 2>&1) || true
assert_contains "$err" "--name 'bad name' is not valid" "a refused job name is said as --name"
err=$(dagctl job update shop/default --command 'dbt build; rm -rf /' 2>&1) || true
assert_contains "$err" "dagctl: error: --command" "a refused command is said as --command"
err=$(dagctl job update shop/default --schedule '61 * * * *' 2>&1) || true
assert_contains "$err" "--schedule" "a refused schedule is said as --schedule"

# --- -o json: one document from every command ------------------------------------------------
token=$(dagctl -o json token create --name ci | json 'd["id"]')
add_project "$(copy_example extra)" extra >/dev/null
dagctl job update shop/default --webhook-url http://127.0.0.1:9/hook >/dev/null  # nothing listens: fine here
json_commands=(
  "status" "org show" "project list" "project show shop" "job list" "job show shop/default"
  "job create shop --name weekly --command 'dbt build'" "job update shop/weekly --enabled false"
  "job delete shop/weekly" "trigger shop/default" "retry ${partial:0:8}" "runs" "runs --status failed,error"
  "runs --since 2999-01-01T00:00:00Z" "run show ${ok:0:8}" "cancel ${ok:0:8}" "token list" "token revoke $token"
  "webhook secret shop/default" "webhook test shop/default" "webhook deliveries shop/default"
  "project remove extra --yes"
)
for c in "${json_commands[@]}"; do
  rc=0
  eval "dagctl -o json $c" >"$TEST_TMP/doc" 2>"$TEST_TMP/doc.err" || rc=$?
  assert_eq 0 "$rc" "dagctl -o json $c exits 0 ($(cat "$TEST_TMP/doc.err"))"
  python3 -m json.tool "$TEST_TMP/doc" >/dev/null || fail "dagctl -o json $c printed no single JSON document: $(cat "$TEST_TMP/doc")"
  assert_eq "" "$(cat "$TEST_TMP/doc.err")" "dagctl -o json $c prints nothing on stderr"
done
pass "every command's -o json is one JSON document"
release "$held"

finish
