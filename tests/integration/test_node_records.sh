#!/usr/bin/env bash
# Node records (docs/runs.md, Node records) with real dbt: nodes appear while a run runs,
# their final statuses match run_results.json, a failing model keeps its real error, a
# kill -9 of dagctld keeps the finished nodes and marks the rest interrupted, and `retry`
# of that run (no run_results.json) re-runs only what did not succeed; one model's history
# across runs, the status filter, and the API's refusals.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

api() { curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/$1"; }
api_code() { curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://dagctl/api/v1/$1"; }
# node_status RUN UNIQUE_ID: the node's stored status, or "none".
node_status() {
  api "runs/$1/nodes" | json "next((n['status'] for n in d['nodes'] if n['unique_id'] == '$2'), 'none')"
}
node_has_status() { [ "$(node_status "$1" "$2")" == "$3" ]; }  # RUN UNIQUE_ID STATUS

start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2
PROJECT=$(add_project "$(copy_example shop)" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")

# --- a failing model: final statuses match run_results.json, the real error ------------------
partial=$(trigger shop/default --command "dbt build --vars '{scenario: partial}'")
wait_status "$partial" partial 180
nodes=$(api "runs/$partial/nodes")
results=$(cat "$DATA/runs/$partial/target/run_results.json")
python3 - "$nodes" "$results" <<'PY' || fail "the node records differ from run_results.json"
import json, sys
from datetime import datetime
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
nodes = {n["unique_id"]: n for n in json.loads(sys.argv[1])["nodes"]}
results = json.loads(sys.argv[2])["results"]
assert len(nodes) == len(results) == 30, (len(nodes), len(results))
for r in results:
    n = nodes[r["unique_id"]]
    assert n["status"] == r["status"], (r["unique_id"], n["status"], r["status"])
    assert abs((n["execution_time"] or 0) - r["execution_time"]) < 0.001, (r["unique_id"], n["execution_time"])
    assert n["thread"] == r["thread_id"], (n["thread"], r["thread_id"])
    if r["status"] != "skipped":
        assert n["started_at"] and n["finished_at"] and t(n["started_at"]) <= t(n["finished_at"]), n
PY
pass "every node's status, execution_time and thread match run_results.json (30 nodes)"
fields "$nodes" "[n for n in d['nodes'] if n['unique_id'] == 'model.shop.fct_sales'][0]['message'].replace(chr(10), ' ')" \
  "[n for n in d['nodes'] if n['unique_id'] == 'seed.shop.books'][0]['rows_affected']" \
  "[n for n in d['nodes'] if n['unique_id'] == 'seed.shop.books'][0]['adapter_response']['code']"
assert_contains "${F[0]}" 'Runtime Error in model fct_sales' "the failing model's message is dbt's error"
assert_contains "${F[0]}" 'book_ref' "the message holds the database's complaint"
assert_eq "8 INSERT" "${F[1]} ${F[2]}" "a seed's rows_affected and adapter_response"

errors=$(api "runs/$partial/nodes?status=error,fail" | json '[n["unique_id"] for n in d["nodes"]]')
assert_eq '["model.shop.fct_sales"]' "$errors" "?status=error,fail gives the one failing node"
skipped=$(api "runs/$partial/nodes?status=skipped" | json 'len(d["nodes"])')
assert_eq 8 "$skipped" "?status=skipped gives its 8 skipped children"
fields "$(dagctl -o json run show "$partial")" 'd["node_counts"]' 'len(d["slowest_nodes"])' \
  'd["slowest_nodes"][0]["execution_time"] >= d["slowest_nodes"][4]["execution_time"]' 'd["results"]'
assert_eq "${F[3]}" "${F[0]}" "the run's node_counts are its results per status"
assert_eq "5 true" "${F[1]} ${F[2]}" "slowest_nodes: the 5 slowest, slowest first"
listed=$(api "runs?limit=5" | json "[r['node_counts'] for r in d['runs'] if r['id'] == '$partial'][0]")
assert_eq "${F[0]}" "$listed" "the runs list shows node_counts too"

# --- live: nodes appear while the run runs; kill -9 of dagctld mid-run ----------------------
slow=$(trigger shop/default --command "dbt build --vars '{slow_seconds: 30}'")
wait_for "calendar to run in $slow" 180 node_has_status "$slow" model.shop.calendar running ||
  fail "calendar never showed as running: $(api "runs/$slow/nodes")"
wait_for "stg_books to finish in $slow" 60 node_has_status "$slow" model.shop.stg_books success ||
  fail "stg_books never finished: $(api "runs/$slow/nodes")"
live=$(api "runs/$slow/nodes")
fields "$live" "[n for n in d['nodes'] if n['unique_id'] == 'model.shop.calendar'][0]['started_at'] is not None" \
  "[n for n in d['nodes'] if n['unique_id'] == 'model.shop.calendar'][0]['finished_at']" \
  "[n for n in d['nodes'] if n['unique_id'] == 'model.shop.calendar'][0]['thread'].startswith('Thread-')"
assert_eq "true null true" "${F[0]} ${F[1]} ${F[2]}" "a running node has started_at and thread, no finished_at"
assert_eq running "$(status_of "$slow")" "the run is still running while its nodes show"
finished_before=$(api "runs/$slow/nodes?status=success,pass" | json '[n["unique_id"] for n in d["nodes"]]')

stop_daemon KILL
assert_eq 137 "$DAEMON_RC" "dagctld died of SIGKILL mid-run"
# dbt too, as an out-of-memory kill would: it writes no run_results.json (after the SIGINT
# that recovery sends, dbt would write one).
for p in $(run_processes "$slow"); do kill -KILL "$p" 2>/dev/null || true; done
wait_for "no process of run $slow" 30 no_process_of_run "$slow" || fail "dbt of $slow still runs"
start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2
assert_eq error "$(status_of "$slow")" "recovery ended the run error"
[ ! -e "$DATA/runs/$slow/target/run_results.json" ] && pass "the killed run left no run_results.json" ||
  fail "the killed run wrote run_results.json: the retry below would not test node records"
after=$(api "runs/$slow/nodes")
python3 - "$after" "$finished_before" <<'PY' || fail "the killed run's nodes: $after"
import json, sys
nodes = {n["unique_id"]: n for n in json.loads(sys.argv[1])["nodes"]}
for uid in json.loads(sys.argv[2]):
    assert nodes[uid]["status"] in ("success", "pass"), (uid, nodes[uid])
assert nodes["model.shop.calendar"]["status"] == "interrupted", nodes["model.shop.calendar"]
assert not any(n["status"] == "running" for n in nodes.values())
PY
pass "after kill -9 and recovery: the finished nodes are kept, calendar is interrupted"
assert_eq interrupted "$(run_field "$slow" 'd["node_counts"].get("interrupted") and "interrupted"')" \
  "node_counts counts the interrupted node"

# --- retry from the stored nodes: only what did not succeed runs again -----------------------
retry=$(dagctl -o json retry "$slow" | json 'd["job_run_id"]')
wait_for "retry $retry to end" 240 run_is_terminal "$retry" || fail "retry $retry did not end"
assert_eq success "$(status_of "$retry")" "the retry of the killed run succeeded"
grep -q "stored node records" "$DATA/runs/$retry/output.log" && pass "the retry says it resumed from node records" ||
  fail "the retry's log does not say it used node records: $(head -5 "$DATA/runs/$retry/output.log")"
python3 - "$(api "runs/$slow/nodes")" "$(api "runs/$retry/nodes")" <<'PY' || fail "the retry re-ran the wrong nodes"
import json, sys
before = {n["unique_id"]: n["status"] for n in json.loads(sys.argv[1])["nodes"]}
rerun = {n["unique_id"]: n["status"] for n in json.loads(sys.argv[2])["nodes"]}
succeeded = {u for u, s in before.items() if s in ("success", "pass")}
assert not (succeeded & set(rerun)), sorted(succeeded & set(rerun))
assert "model.shop.calendar" in rerun and rerun["model.shop.calendar"] == "success", rerun
assert len(rerun) == 30 - len(succeeded), (len(rerun), len(succeeded))
assert all(s in ("success", "pass") for s in rerun.values()), rerun
PY
pass "the retry re-ran exactly the nodes that had not succeeded ($(api "runs/$retry/nodes" | json 'len(d["nodes"])') of 30)"

# --- history: one model across runs, newest first -----------------------------------------------
history=$(api "projects/$PROJECT/nodes/model.shop.stg_books/history")
fields "$history" '[r["run_id"] for r in d["runs"]]' 'd["name"]' 'd["resource_type"]' \
  '[r["status"] for r in d["runs"]]' 'd["runs"][0]["job_name"] != ""' 'd["runs"][1]["run_status"]'
assert_eq "[\"$slow\", \"$partial\"]" "${F[0]}" "stg_books' history: its two runs, newest first"
assert_eq "stg_books model" "${F[1]} ${F[2]}" "the history names the node"
assert_eq '["success", "success"] true partial' "${F[3]} ${F[4]} ${F[5]}" "each entry has the node's and the run's status"
assert_eq 1 "$(api "projects/shop/nodes/model.shop.stg_books/history?limit=1" | json 'len(d["runs"])')" \
  "?limit=1, and the project by name"

# --- refusals --------------------------------------------------------------------------------------
assert_eq 404 "$(api_code "runs/nope-nope/nodes")" "nodes of an unknown run: 404"
assert_eq 404 "$(api_code "projects/$PROJECT/nodes/model.shop.nope/history")" "history of an unknown node: 404"
assert_eq 404 "$(api_code "projects/nope/nodes/model.shop.stg_books/history")" "history in an unknown project: 404"
assert_eq 400 "$(api_code "runs/$partial/nodes?status=broken")" "an unknown node status: 400"
assert_eq 400 "$(api_code "projects/$PROJECT/nodes/model.shop.stg_books/history?limit=201")" "limit above 200: 400"

echo "all $CHECKS checks passed"
