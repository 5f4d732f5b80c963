#!/usr/bin/env bash
# docs/runs.md: the run queue as a user sees it. Runs of one project go one at a
# time in trigger order, --max-parallel caps all projects, no trigger is lost or duplicated
# under a burst, a full job queue answers 429, and dbt's exit code maps to the run status
# and to `dagctl trigger --wait`'s exit code. Everything is observed through the CLI and the
# fake dbt's events file ("start|end RUN NS"); order is steered with release files.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

# --- local helpers (not in lib.sh or lib_fake.sh) -------------------------------------------
daemon_count() { dagctl -o json status | json "d['runs']['$1']"; }  # running|queued
# count_runs JOB STATUS: how many runs of JOB have STATUS.
count_runs() { dagctl -o json runs --job "$1" --status "$2" --limit 1000 | json 'len(d["runs"])'; }
has_count() { [ "$(count_runs "$1" "$2")" == "$3" ]; }  # JOB STATUS N
# statuses RUN...: the runs' statuses, space-separated, from one `dagctl runs`.
statuses() {
  dagctl -o json runs --limit 1000 | python3 -c '
import json, sys
s = {r["id"]: r["status"] for r in json.load(sys.stdin)["runs"]}
print(" ".join(s.get(r, "missing") for r in sys.argv[1:]))' "$@"
}

# events MODE [RUN...]: checks over the events file.
#   order RUN...   prints "ok" when the runs started in exactly this order
#   serial RUN...  prints "ok" when each run started after the previous one ended
#   max            prints the most fake dbts that ran at the same time
events() {
  python3 - "$EVENTS" "$@" <<'EOF'
import sys
path, mode, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
start, end, points = {}, {}, []
for line in open(path):
    kind, run, ns = line.split()
    (start if kind == "start" else end).setdefault(run, int(ns))
    points.append((int(ns), 0 if kind == "end" else 1))
if mode == "order":
    got = sorted((r for r in runs if r in start), key=lambda r: start[r])
    print("ok" if got == runs else "started in order %s" % [runs.index(r) + 1 for r in got])
elif mode == "serial":
    bad = [i + 1 for i in range(len(runs) - 1)
           if runs[i] not in end or runs[i + 1] not in start or start[runs[i + 1]] <= end[runs[i]]]
    print("ok" if not bad else "overlaps after runs %s" % bad)
elif mode == "max":
    now = most = 0
    for _, is_start in sorted(points):
        now += 1 if is_start else -1
        most = max(most, now)
    print(most)
EOF
}

start_daemon --dbt "$FAKE_DBT" --max-parallel 2
A=$(add_project "$(copy_example a)" A)
B=$(add_project "$(copy_example b)" B)
add_project "$(copy_example c)" C >/dev/null
D=$(add_project "$(copy_example d)" D)

# --- two projects run side by side; a project's second run waits for its first ----------
answer=$(dagctl -o json trigger A/default --select hold)
a1=$(echo "$answer" | json 'd["job_run_id"]')
assert_eq "DBT job run triggered successfully" "$(echo "$answer" | json 'd["message"]')" "the trigger answers the seed's message"
a2=$(trigger A/default --select hold)
b1=$(trigger B/default --select hold)
wait_started "$a1"
wait_started "$b1"
read -r s1 s2 s3 <<<"$(statuses "$a1" "$b1" "$a2")"
assert_eq running "$s1" "A's first run is running"
assert_eq running "$s2" "B's run is running at the same time (another project)"
assert_eq queued "$s3" "A's second run stays queued while A's first runs"
fields "$(dagctl -o json run show "$a2")" 'd["start_time"]' 'd["status"]' 'd["progress"]["phase"]' 'd["progress"]["queued_behind"]'
assert_eq null "${F[0]}" "a queued run has no start_time"
assert_eq queued "${F[1]}" "dagctl run show says queued too"
assert_eq "queued $a1" "${F[2]} ${F[3]}" "a queued run's progress says it is queued behind the project's running run"
fields "$(dagctl -o json run show "$a1")" '"progress" in d' 'd["start_time"] is not None'
assert_eq true "${F[0]}" "a running run shows progress"
assert_eq true "${F[1]}" "a running run has a start_time"
assert_eq False "$(has_event start "$a2" && echo True || echo False)" "A's second dbt was not started"
fields "$(dagctl -o json status)" 'd["runs"]["running"]' 'd["runs"]["queued"]' 'd["pid"]'
assert_eq 2 "${F[0]}" "dagctl status counts 2 running"
assert_eq 1 "${F[1]}" "dagctl status counts 1 queued"
assert_eq "$DAEMON_PID" "${F[2]}" "dagctl status shows the daemon's pid"
assert_contains "$(dagctl status)" "2 running, 1 queued" "dagctl status says it in text too"
assert_eq A "$(dagctl -o json project show "$A" | json 'd["name"]')" "projects resolve by id"

# Newest first, with --status, --job and --limit.
assert_eq "[\"$b1\", \"$a2\", \"$a1\"]" "$(dagctl -o json runs | json '[r["id"] for r in d["runs"]]')" \
  "dagctl runs lists newest first"
assert_eq "[\"$a2\"]" "$(dagctl -o json runs --status queued | json '[r["id"] for r in d["runs"]]')" \
  "dagctl runs --status queued shows only the queued run"
assert_eq "[\"$a2\", \"$a1\"]" "$(dagctl -o json runs --job A/default | json '[r["id"] for r in d["runs"]]')" \
  "dagctl runs --job shows only that job's runs"
assert_eq "[\"$b1\", \"$a2\"]" "$(dagctl -o json runs --limit 2 | json '[r["id"] for r in d["runs"]]')" \
  "dagctl runs --limit 2 shows the 2 newest"
table=$(dagctl runs)
assert_contains "$(echo "$table" | sed -n 2p)" "${b1:0:12}" "dagctl runs (text) shows the newest run first, by its short id"
assert_contains "$(echo "$table" | sed -n 2p)" "running" "and its status"

release "$a1"
wait_status "$a1" success
wait_started "$a2"
assert_eq running "$(status_of "$a2")" "releasing A's first run starts A's second"
assert_eq ok "$(events serial "$a1" "$a2")" "A's second dbt started after A's first ended"
assert_eq running "$(status_of "$b1")" "B's run kept running meanwhile"
assert_eq 2 "$(events max)" "never more than 2 dbt processes at once (--max-parallel 2)"
release "$a2"
release "$b1"
wait_status "$a2" success
wait_status "$b1" success
assert_eq 0 "$(daemon_count running)" "nothing runs once all are released"

# --- FIFO within a project; cancelling a queued run skips it --------------------------------
hold=$(trigger A/default --select hold)
q=()
for i in 1 2 3 4 5; do q+=("$(trigger A/default --select "quick$i")"); done
wait_started "$hold"
assert_eq "queued queued queued queued queued" "$(statuses "${q[@]}")" "5 quick triggers wait behind the held run"
assert_eq "[\"${q[4]}\", \"${q[3]}\", \"${q[2]}\", \"${q[1]}\", \"${q[0]}\", \"$hold\"]" \
  "$(dagctl -o json runs --job A/default --limit 6 | json '[r["id"] for r in d["runs"]]')" \
  "queued runs are listed newest first too"
out=$(dagctl cancel "${q[2]}")
assert_contains "$out" "cancelled" "dagctl cancel of a queued run says it is cancelled"
fields "$(dagctl -o json run show "${q[2]}")" 'd["status"]' 'd["error_message"]' 'd["end_time"] is not None'
assert_eq cancelled "${F[0]}" "a cancelled queued run is cancelled at once"
assert_contains "${F[1]}" "cancelled" "and its error_message says it was cancelled"
assert_eq true "${F[2]}" "and it has an end_time"
assert_eq "queued queued queued queued" "$(statuses "${q[0]}" "${q[1]}" "${q[3]}" "${q[4]}")" "the other quick runs stay queued"
release "$hold"
wait_status "${q[4]}" success
assert_eq "success success success success cancelled" "$(statuses "${q[0]}" "${q[1]}" "${q[3]}" "${q[4]}" "${q[2]}")" \
  "the other quick runs ran to success; the cancelled one stays cancelled"
assert_eq ok "$(events order "$hold" "${q[0]}" "${q[1]}" "${q[3]}" "${q[4]}")" "runs of a project start in trigger order"
assert_eq ok "$(events serial "$hold" "${q[0]}" "${q[1]}" "${q[3]}" "${q[4]}")" "runs of a project never overlap"
assert_eq 0 "$(event_count start "${q[2]}")" "the cancelled queued run never started dbt"
assert_eq null "$(run_field "${q[2]}" 'd["start_time"]')" "the cancelled queued run has no start_time"

# --- dbt's exit code → status, results and `trigger --wait` exit code (docs/runs.md, docs/cli.md) -----------
rc=0
out=$(dagctl -o json trigger B/default --select exit1-mixed --wait) || rc=$?
assert_eq 1 "$rc" "trigger --wait of a partial run exits 1"
fields "$out" 'd["status"]' 'd["results"]' 'd["exit_code"]' 'd["error_message"]' 'd["command"]' \
  'd["command_override"]' 'd["triggered_by"]' 'd["end_time"] is not None and d["duration_seconds"] >= 0'
assert_eq partial "${F[0]}" "exit 1 with a success and an error is partial"
assert_eq '{"error": 1, "success": 1}' "${F[1]}" "partial: results count each node status"
assert_eq 1 "${F[2]}" "partial: exit_code 1"
assert_contains "${F[3]}" "model.fake.m2" "partial: error_message names the failed node"
assert_eq "dbt build --select exit1-mixed" "${F[4]}" "the run's command is the one run"
assert_eq "dbt build --select exit1-mixed" "${F[5]}" "and its command_override"
assert_eq manual "${F[6]}" "CLI triggers are manual"
assert_eq true "${F[7]}" "a finished run has end_time and duration_seconds"

rc=0
out=$(dagctl -o json trigger B/default --select exit1-only --wait) || rc=$?
assert_eq 1 "$rc" "trigger --wait of a failed run exits 1"
fields "$out" 'd["status"]' 'd["results"]' 'd["exit_code"]' 'd["error_message"]'
assert_eq failed "${F[0]}" "exit 1 with no succeeded node is failed"
assert_eq '{"error": 1, "skipped": 1}' "${F[1]}" "failed: results count error and skipped"
assert_eq 1 "${F[2]}" "failed: exit_code 1"
assert_contains "${F[3]}" "model.fake.m1" "failed: error_message names the failed node"

rc=0
out=$(dagctl -o json trigger B/default --select exit2 --wait) || rc=$?
assert_eq 2 "$rc" "trigger --wait of an error run exits 2"
fields "$out" 'd["status"]' 'd["exit_code"]' 'd["error_message"]'
assert_eq error "${F[0]}" "exit 2 is error"
assert_eq 2 "${F[1]}" "error: exit_code 2"
assert_contains "${F[2]}" "code 2" "error: error_message gives the exit code"

rc=0
out=$(dagctl -o json trigger B/default --wait) || rc=$?
assert_eq 0 "$rc" "trigger --wait of a successful run exits 0"
fields "$out" 'd["status"]' 'd["results"]' 'd["exit_code"]' 'd["error_message"]' 'd["command_override"]' 'd["command"]'
assert_eq success "${F[0]}" "exit 0 is success"
assert_eq '{"success": 1}' "${F[1]}" "success: results count the node"
assert_eq 0 "${F[2]}" "success: exit_code 0"
assert_eq null "${F[3]}" "success: no error_message"
assert_eq null "${F[4]}" "a trigger without --select has no override"
assert_eq "dbt build" "${F[5]}" "and runs the job's own command"

rc=0
out=$(dagctl trigger B/default --select exit1-mixed --wait) || rc=$?
assert_eq 1 "$rc" "trigger --wait (text) of a partial run exits 1"
assert_contains "$out" "partial" "and its summary says partial"
assert_contains "$out" "model.fake.m2" "and names the failing node"
rc=0
err=$(dagctl trigger B/default --select exit2 --wait -q 2>&1 >/dev/null) || rc=$?
assert_eq 2 "$rc" "trigger --wait -q of an error run exits 2"
assert_contains "$err" "error" "and -q still reports the failure on stderr"

# --- a full job queue answers 429; a burst of 100 loses and duplicates nothing -------------
# D: one held run, then 100 queued (the documented per-job bound), then one too many.
dhold=$(trigger D/default --select hold)
wait_started "$dhold"
mkdir "$TEST_TMP/fill" "$TEST_TMP/burst"
burst() {  # JOB FOLDER: 100 triggers, 4 at a time, each answer in FOLDER/N.json
  seq 100 | xargs -P 4 -I{} bash -c '"$0" -o json trigger "$1" >"$2/{}.json"' \
    "$DAGCTL_BIN_DIR/dagctl" "$1" "$2"
}
rc=0
burst D/default "$TEST_TMP/fill" || rc=$?
assert_eq 0 "$rc" "100 queued triggers of one job are all accepted"
assert_eq 100 "$(daemon_count queued)" "100 runs are queued"
rc=0
err=$(dagctl trigger D/default 2>&1) || rc=$?
assert_eq 2 "$rc" "the 101st queued trigger of a job is refused (exit 2)"
assert_contains "$err" "dagctl: error:" "with a dagctl error line"
assert_contains "$err" "queued" "that says the job's queue is full"
assert_contains "$err" "100" "and names the bound"
code=$(curl -s --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' -X POST \
  "http://dagctl/api/v1/projects/$D/jobs/$(dagctl -o json job show D/default | json 'd["id"]')/trigger")
assert_eq 429 "$code" "the API answers 429 for a full queue"
assert_eq 101 "$(dagctl -o json runs --job D/default --limit 1000 | json 'len(d["runs"])')" "refused triggers created no run"

# C: 100 triggers while the queue drains (and D drains beside it).
release "$dhold"
rc=0
burst C/default "$TEST_TMP/burst" || rc=$?
assert_eq 0 "$rc" "a burst of 100 triggers is accepted"
wait_for "the 100 burst runs to succeed" 60 has_count C/default success 100 ||
  fail "only $(count_runs C/default success) of 100 burst runs succeeded"
wait_for "the 101 D runs to succeed" 60 has_count D/default success 101 ||
  fail "only $(count_runs D/default success) of 101 D runs succeeded"
for job in C/default D/default; do
  dagctl -o json runs --job "$job" --limit 1000 >"$TEST_TMP/runs-${job%/*}.json"
done
check=$(python3 - "$EVENTS" "$TEST_TMP/burst" "$TEST_TMP/fill" "$TEST_TMP/runs-C.json" "$TEST_TMP/runs-D.json" <<'EOF'
import glob, json, sys
events, burst, fill, runs_c, runs_d = sys.argv[1:]
lines = [l.split() for l in open(events)]
def ids(folder):
    return [json.load(open(f))["job_run_id"] for f in glob.glob(folder + "/*.json")]
problems = []
for name, answers, listing in (("C", ids(burst), runs_c), ("D", ids(fill), runs_d)):
    runs = json.load(open(listing))["runs"]
    if len(answers) != 100 or len(set(answers)) != 100:
        problems.append("%s: %d answers, %d distinct run ids" % (name, len(answers), len(set(answers))))
    listed = [r["id"] for r in runs]
    if not set(answers) <= set(listed):
        problems.append("%s: answered runs missing from dagctl runs" % name)
    if len(listed) != len(set(listed)):
        problems.append("%s: dagctl runs lists a run twice" % name)
    for r in runs:
        s = [l for l in lines if l[1] == r["id"] and l[0] == "start"]
        e = [l for l in lines if l[1] == r["id"] and l[0] == "end"]
        if len(s) != 1 or len(e) != 1:
            problems.append("%s: run %s started %d and ended %d times" % (name, r["id"], len(s), len(e)))
        if r["status"] != "success" or r["results"] != {"success": 1}:
            problems.append("%s: run %s is %s %s" % (name, r["id"], r["status"], r["results"]))
    created = [r["id"] for r in reversed(runs)]  # oldest first
    started = [l[1] for l in lines if l[0] == "start" and l[1] in set(created)]
    if started != created:
        problems.append("%s: runs did not start in the order they were queued" % name)
print("; ".join(problems) or "ok")
EOF
)
assert_eq ok "$check" "every burst/queued trigger ran exactly once, in queue order, and succeeded"
assert_eq 2 "$(events max)" "never more than 2 dbt processes at once through the bursts"

# --- --max-parallel 1 caps across projects (and history survives the restart) -------------
total=$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')
stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "the daemon stops cleanly"
: >"$EVENTS"
start_daemon --dbt "$FAKE_DBT" --max-parallel 1
assert_eq "$total" "$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')" "run history survives a restart"
x=$(trigger A/default --select hold)
y=$(trigger B/default --select hold)
wait_started "$x"
assert_eq running "$(status_of "$x")" "with --max-parallel 1, A's run runs"
assert_eq queued "$(status_of "$y")" "and B's run waits although B is idle"
assert_eq 1 "$(daemon_count running)" "status: 1 running"
assert_eq 1 "$(daemon_count queued)" "status: 1 queued"
release "$x"
wait_started "$y"
wait_status "$x" success
assert_eq ok "$(events serial "$x" "$y")" "B's run started only after A's ended"
release "$y"
wait_status "$y" success
assert_eq 1 "$(events max)" "never more than 1 dbt at once with --max-parallel 1"
assert_eq 0 "$(daemon_count queued)" "the queue is empty at the end"
finish
