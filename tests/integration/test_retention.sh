#!/usr/bin/env bash
# docs/runs.md retention, as a user sees it: dagctld --keep-runs N keeps the newest N runs
# of each job and prunes older finished ones with their folders (logs, artifacts) and
# delivery logs, at start-up and when jobs change; a queued or running run never goes, nor a
# run whose webhook is still owed; a deleted job's runs stay (docs/api.md), a deleted project's
# run folders go; bad values are refused.
# (The age bound, --keep-days, is pruned by the same pass: tests/unit/test_daemon_retention.cpp
# covers it on a fixed clock.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

run_dir() { echo "$DATA/runs/$1"; }
listed_runs() { dagctl -o json runs --job shop/default --limit 1000 | json '" ".join(r["id"] for r in d["runs"])'; }
is_gone() { ! dagctl run show "$1" >/dev/null 2>&1; }  # RUN: the daemon no longer knows it
finished() { wait_for "run $1 to end" 20 run_is_terminal "$1" || fail "run $1 did not end"; }

# --- bad values are usage errors ------------------------------------------------------------
rc=0
err=$("$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" --keep-runs -1 2>&1) || rc=$?
assert_eq 2 "$rc" "dagctld --keep-runs -1 is a usage error (exit 2)"
assert_contains "$err" "--keep-runs" "and the message names the flag"
rc=0
DAGCTL_KEEP_DAYS=forever "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "DAGCTL_KEEP_DAYS=forever is refused too"

# --- history to prune: five finished runs, the second one owing its webhook ------------------
# A webhook to a closed port stays pending (first attempt refused, the retry an hour away).
webhook_flags=(--webhook-retries 5 --webhook-retry-delay 3600)
start_daemon --dbt "$FAKE_DBT" "${webhook_flags[@]}"
add_project "$(copy_example shop)" shop >/dev/null
r1=$(trigger shop/default)
finished "$r1"
dagctl job update shop/default --webhook-url "http://127.0.0.1:9/hook" --webhook-enabled true >/dev/null
r2=$(trigger shop/default)
finished "$r2"
dagctl job update shop/default --webhook-enabled false >/dev/null
owed() { [ "$(dagctl -o json webhook deliveries shop/default | json "[x['status'] + str(x['attempt_count']) for x in d['deliveries'] if x.get('run_id') == '$r2'][0]")" == pending1 ]; }
wait_for "run $r2's webhook to be owed after its first attempt" 20 owed || fail "run $r2's webhook is not pending"
r3=$(trigger shop/default)
finished "$r3"
r4=$(trigger shop/default)
finished "$r4"
r5=$(trigger shop/default)
finished "$r5"
# A deleted job's runs stay in the history (docs/api.md); its folder is checked after the
# retention pass at the restart below.
dagctl job create shop --name scratch --command 'dbt run' >/dev/null
s1=$(trigger shop/scratch)
finished "$s1"
dagctl job delete shop/scratch >/dev/null
assert_eq success "$(status_of "$s1")" "a deleted job's run stays in the history"
assert_contains "$(dagctl -o json runs --limit 1000 | json '[r["id"] for r in d["runs"]]')" "$s1" "dagctl runs still lists it"
assert_eq "$r5 $r4 $r3 $r2 $r1" "$(listed_runs)" "the default settings (30 days, 1000 runs per job) keep all five runs"
assert_contains "$(dagctl status)" "keeps:    30 days, the newest 1000 runs per job" "dagctl status shows the retention in effect"
stop_daemon

# --- restart with --keep-runs 2: pruned at start-up ----------------------------------------
start_daemon --dbt "$FAKE_DBT" "${webhook_flags[@]}" --keep-runs 2
assert_eq "30 2" "$(dagctl -o json status | json 'str(d["retention"]["keep_days"]) + " " + str(d["retention"]["keep_runs"])')" \
  "dagctl -o json status has the retention settings"
wait_for "runs $r1 and $r3 to be pruned" 20 is_gone "$r3" || fail "run $r3 was not pruned at start-up"
is_gone "$r1" || fail "run $r1 was not pruned at start-up"
assert_eq "$r5 $r4 $r2" "$(listed_runs)" "--keep-runs 2 keeps the newest two and the run whose webhook is still owed"
for r in "$r1" "$r3"; do
  [ -e "$(run_dir "$r")" ] && fail "run $r's folder (log, target) is still on disk"
done
for r in "$r2" "$r4" "$r5"; do
  [ -f "$(run_dir "$r")/output.log" ] || fail "run $r's log was removed but the run was kept"
done
pass "pruned runs' folders are gone; kept runs keep theirs"
err=$(dagctl run show "$r1" 2>&1) && fail "dagctl run show of a pruned run succeeded"
assert_contains "$err" "dagctl: error:" "dagctl run show of a pruned run is a clear error"
assert_contains "$(dagctl logs "$r4")" "fake dbt:" "a kept run's log is still readable"
assert_contains "$(cat "$TEST_TMP/dagctld.log")" "retention: pruned 2 run(s)" "the daemon logs what it pruned"
[ -f "$(run_dir "$s1")/output.log" ] || fail "retention removed the folder of run $s1 (its job was deleted)"
assert_contains "$(dagctl logs "$s1")" "fake dbt:" "a deleted job's run keeps its folder through a retention pass: its log reads"
assert_eq 1 "$(dagctl -o json webhook deliveries shop/default | json 'len(d["deliveries"])')" \
  "the finished deliveries went with their runs; the owed one stays"

# --- a running and a queued run are never pruned -------------------------------------------
held=$(trigger shop/default --select hold)
wait_started "$held"
queued=$(trigger shop/default)
dagctl job update shop/default --timeout 3600 >/dev/null  # a job change wakes retention
wait_for "runs $r4 and $r5 to be pruned" 20 is_gone "$r4" || fail "run $r4 was not pruned when the job changed"
is_gone "$r5" || fail "run $r5 was not pruned"
assert_eq "$queued $held $r2" "$(listed_runs)" "the newest two are running and queued: finished ones beyond them go, they stay"
assert_eq "running queued" "$(status_of "$held") $(status_of "$queued")" "pruning left the running and the queued run alone"
release "$held"
finished "$queued"
assert_eq "success success" "$(status_of "$held") $(status_of "$queued")" "both end as usual"

# --- --keep-runs 0 and --keep-days 0 keep everything -----------------------------------------
stop_daemon
start_daemon --dbt "$FAKE_DBT" "${webhook_flags[@]}" --keep-runs 0 --keep-days 0
assert_contains "$(dagctl status)" "keeps:    runs of any age, any number of runs per job" "dagctl status says when nothing is pruned"
r6=$(trigger shop/default)
finished "$r6"
assert_eq "$r6 $queued $held $r2" "$(listed_runs)" "with both bounds off nothing is pruned"

# --- a run deleted while someone follows its log ------------------------------------------------
# A slow reader keeps the stream going while the run's project is removed (and retention
# removes the run's folder): the stream ends, and the daemon carries on.
add_project "$(copy_example doomed)" doomed >/dev/null
d1=$(trigger doomed/default)
finished "$d1"
head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 99 >>"$(run_dir "$d1")/output.log"  # a 3 MB log
curl -sS --max-time 60 --unix-socket "$SOCK" --limit-rate 500k -o "$TEST_TMP/followed.log" \
  "http://localhost/api/v1/runs/$d1/logs?follow=true" 2>"$TEST_TMP/follow.err" &
follower=$!
streaming() { [ "$(stat -c %s "$TEST_TMP/followed.log" 2>/dev/null || echo 0)" -gt 0 ]; }
wait_for "the log stream to start" 20 streaming || fail "the followed log never started"
dagctl project remove doomed --yes >/dev/null
wait_for "the deleted run's folder to go" 20 test ! -e "$(run_dir "$d1")" || fail "run $d1's folder is still there"
rc=0
wait "$follower" || rc=$?
assert_eq 0 "$rc" "the stream of a run deleted meanwhile ends cleanly: $(cat "$TEST_TMP/follow.err")"
assert_eq true "$(python3 -c "import os; print(str(os.path.getsize('$TEST_TMP/followed.log') > 3000000).lower())")" \
  "and it delivered the whole log it had started"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "dagctld died when a followed run was deleted"
assert_contains "$(dagctl status)" "running (pid $DAEMON_PID)" "dagctld keeps answering"
stop_daemon
assert_eq 0 "$DAEMON_RC" "dagctld stops cleanly"
finish
