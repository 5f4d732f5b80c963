#!/usr/bin/env bash
# OpenLineage (docs/openlineage.md) with real dbt on examples/shop against a local receiver:
# off by default; START then COMPLETE/FAIL/ABORT for each run and model, models parented to
# their run, datasets named as OpenLineage names them, every event valid against the
# vendored spec and the pinned client's models (openlineage_check.py); retries keep the
# delivery id and runId; kill -9 mid-run ends in one FAIL and nothing doubled; a project's
# own URL, or off; with DAGCTL_TEST_SQLMESH, a SQLMesh plan's run and models.
source "$(dirname "$0")/lib.sh"

[ -x "${DAGCTL_TEST_DBT:-}" ] || { echo "SKIP: DAGCTL_TEST_DBT is not set (scripts/setup-dbt)"; exit 77; }
[ -x "${DAGCTL_TEST_OPENLINEAGE:-}" ] || { echo "SKIP: DAGCTL_TEST_OPENLINEAGE is not set (scripts/setup-openlineage)"; exit 77; }
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/lineage_receiver.py"
CHECK="$DAGCTL_SOURCE_DIR/tests/integration/openlineage_check.py"

receiver() { start_receiver "$RECEIVER" "$@"; }  # NAME [ARGS...]: prints its port
# calendar_runs RUN: the run's model calendar is running (its node record says so).
calendar_runs() {
  [ "$(curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/runs/$1/nodes" |
    json "next((n['status'] for n in d['nodes'] if n['unique_id'] == 'model.shop.calendar'), 'none')")" == running ]
}
# summary NAME: every recorded event validated, as openlineage_check.py summarises them.
summary() { "$DAGCTL_TEST_OPENLINEAGE" "$CHECK" "$TEST_TMP/$1/requests.jsonl"; }
# events_of NAME RUN: the summaries of the events of dagctl run RUN (its own and its models'),
# once per delivery (a retry is the same event again).
events_of() {
  summary "$1" | python3 -c '
import json, sys
events = list({e["delivery"]: e for e in json.load(sys.stdin)}.values())
run = [e for e in events if e["dagctl_run"] == sys.argv[1]]
ids = {e["runId"] for e in run}
print(json.dumps([e for e in events if e["runId"] in ids or e["parent"] in ids]))' "$2"
}
# has_event NAME RUN TYPE: the run's own event of TYPE arrived.
has_event() {
  [ "$(events_of "$1" "$2" | json "len([e for e in d if e[\"parent\"] is None and e[\"eventType\"] == \"$3\"])")" -ge 1 ]
}
# check_run NAME RUN END [MODEL_END...]: the run's events are one START and one END for the
# run and for each model, models parented to it, and each (runId, type) sent with one
# delivery id; MODEL_END "model:TYPE" expects that model's end.
check_run() {
  local name=$1 run=$2 end=$3
  shift 3
  local out
  out=$(events_of "$name" "$run" | python3 -c '
import json, sys
events, end, want = json.load(sys.stdin), sys.argv[1], sys.argv[2:]
problems = []
own = [e for e in events if e["parent"] is None]
types = sorted(e["eventType"] for e in own)
if types != sorted(["START", end]): problems.append(f"the run sent {types}")
run_id = own[0]["runId"] if own else None
deliveries = {}
for e in events:
    deliveries.setdefault((e["runId"], e["eventType"]), set()).add(e["delivery"])
problems += [f"{k} sent as {len(v)} deliveries" for k, v in deliveries.items() if len(v) != 1]
models = {}
for e in events:
    if e["parent"] is None: continue
    job, parent = e["job"], e["parent"]
    if parent != run_id: problems.append(f"{job}: parent {parent}, not {run_id}")
    models.setdefault(e["job"], []).append(e)
for job, es in models.items():
    kinds = sorted({e["eventType"] for e in es})
    if len(kinds) != 2 or "START" not in kinds: problems.append(f"{job}: {kinds}")
    if len({e["runId"] for e in es}) != 1: problems.append(f"{job}: several runIds")
for w in want:
    model, kind = w.split(":")
    got = [e["eventType"] for es in models.values() for e in es if e["job"].endswith("." + model) and e["eventType"] != "START"]
    if got != [kind]: problems.append(f"{model} ended {got}, expected {kind}")
print("; ".join(problems) if problems else "ok", len(models))' "$end" "$@")
  [ "${out% *}" == ok ] || fail "run $run: ${out% *}"
  MODELS=${out##* }
}

shop=$(copy_example shop)
export SHOP_DUCKDB_PATH="$TEST_TMP/shop.duckdb"

# --- a key that would inject headers is refused at start, without being shown -----------------
rc=0
out=$(DAGCTL_OPENLINEAGE_API_KEY=$'key\r\nX-Injected: yes' "$DAGCTL_BIN_DIR/dagctld" --data-dir "$TEST_TMP/badkey" \
  --socket "$TEST_TMP/badkey.sock" --listen none --openlineage-url http://127.0.0.1:9 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "dagctld started with a line break in DAGCTL_OPENLINEAGE_API_KEY"
assert_contains "$out" "DAGCTL_OPENLINEAGE_API_KEY holds a space, line break or control character" \
  "a key with a line break is refused at start"
assert_not_contains "$out" "X-Injected" "the refusal does not show the key"

export DAGCTL_OPENLINEAGE_API_KEY=ol-secret-key-1234

# --- off by default: no URL, no events ------------------------------------------------------
start_daemon --dbt "$DAGCTL_TEST_DBT" --webhook-retry-delay 0.3 --stop-grace 2
add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$SHOP_DUCKDB_PATH" >/dev/null
run=$(trigger shop/default --select calendar)
wait_status "$run" success 120
assert_eq 0 "$(dagctl -o json webhook deliveries shop/default | json 'len(d["deliveries"])')" \
  "without --openlineage-url a run owes no OpenLineage event"
stop_daemon TERM

# --- a successful dbt build: every model and the run, START then COMPLETE, valid -----------
port=$(receiver main)
start_daemon --dbt "$DAGCTL_TEST_DBT" --webhook-retry-delay 0.3 --stop-grace 2 --openlineage-url "http://127.0.0.1:$port"
run=$(trigger shop/default)
wait_status "$run" success 240
# 3 seeds and 7 models: 2 events each, and the run's START and COMPLETE.
wait_for "the run's 22 events" 30 has_requests main 22 || fail "$(requests main) events arrived, expected 22"
summary main >"$TEST_TMP/main.json" || fail "an event is not valid OpenLineage (above)"
pass "every event validates against the OpenLineage 2-0-2 schema, its facets' and the pinned client's models"
check_run main "$run" COMPLETE fct_sales:COMPLETE stg_books:COMPLETE books:COMPLETE
assert_eq 10 "$MODELS" "each seed and model has its own START and COMPLETE, parented to the run"
fields "$(cat "$TEST_TMP/main.json")" \
  '[e for e in d if e["job"].endswith(".fct_sales")][0]["outputs"]' \
  'sorted([e for e in d if e["job"].endswith(".fct_sales")][0]["inputs"])' \
  '[e for e in d if e["parent"] is None][0]["job"]' \
  'sorted({e["path"] for e in d})' \
  'sorted({e["authorization"] for e in d})' \
  '[e for e in d if e["job"].endswith(".fct_sales")][0]["facets"]'
assert_eq '["duckdb://shop/shop.main.fct_sales"]' "${F[0]}" "a model's output dataset: its relation, named as OpenLineage names DuckDB tables"
assert_eq '["duckdb://shop/shop.main.stg_books", "duckdb://shop/shop.main.stg_sales", "duckdb://shop/shop.main.stg_stores"]' "${F[1]}" \
  "its inputs: the relations it depends on"
assert_eq 'dagctl/shop.default' "${F[2]}" "the run's job: the namespace dagctl and PROJECT.JOB"
assert_eq '["/api/v1/lineage"]' "${F[3]}" "a base URL posts to /api/v1/lineage (Marquez)"
assert_eq '["Bearer ol-secret-key-1234"]' "${F[4]}" "DAGCTL_OPENLINEAGE_API_KEY is sent as a bearer token"
assert_eq '["dbt_version", "parent", "processing_engine", "dbt_node", "jobType", "sql"]' "${F[5]}" "a model's facets"
assert_not_contains "$(cat "$TEST_TMP/dagctld.log")" "ol-secret-key-1234" "the API key is never logged"

# --- a failing model: FAIL for it and the run, ABORT for the skipped -----------------------
before=$(requests main)
run=$(trigger shop/default --vars '{scenario: partial}')
wait_status "$run" partial 240
wait_for "the failed run's end" 30 has_event main "$run" FAIL || fail "no FAIL for run $run"
check_run main "$run" FAIL fct_sales:FAIL book_revenue:ABORT stg_books:COMPLETE
pass "a partial run: FAIL for the run and the failed model, ABORT for the skipped ones"
events_of main "$run" | json '[e for e in d if e["eventType"] == "FAIL"]' | grep errorMessage >/dev/null ||
  fail "FAIL events carry no errorMessage facet"

# --- a cancelled run: its START went out when it started; ABORT at the end -----------------
run=$(trigger shop/default --select calendar --vars '{slow_seconds: 60}')
wait_for "the run's START" 60 has_event main "$run" START || fail "no START while run $run runs"
pass "the run's START is sent when it starts"
wait_for "calendar to run" 120 calendar_runs "$run" || fail "calendar never ran in run $run"
dagctl cancel "$run" >/dev/null
wait_status "$run" cancelled 30
wait_for "the cancelled run's end" 30 has_event main "$run" ABORT || fail "no ABORT for run $run"
check_run main "$run" ABORT calendar:ABORT
pass "a cancelled run and its interrupted model end ABORT"

# --- a project's own URL (with a path: used as it is) and retries --------------------------
port2=$(receiver retry --answers 500,201)
dagctl project update shop --no-check --openlineage-url "http://127.0.0.1:$port2/custom/lineage" >/dev/null
before=$(requests main)
run=$(trigger shop/default --select calendar)
wait_status "$run" success 120
wait_for "the run's 4 events and one retry" 30 has_requests retry 5 || fail "$(requests retry) requests, expected 5"
fields "$(summary retry)" 'd[0]["delivery"]' '[e["delivery"] for e in d[1:]].count(d[0]["delivery"])' \
  'd[0]["runId"] == [e for e in d[1:] if e["delivery"] == d[0]["delivery"]][0]["runId"]' 'sorted({e["path"] for e in d})'
assert_eq 1 "${F[1]}" "the refused event (500) is sent again with the same delivery id"
assert_eq true "${F[2]}" "and the same runId"
assert_eq '["/custom/lineage"]' "${F[3]}" "a URL with a path is used as it is"
assert_eq "$before" "$(requests main)" "the project's URL replaces the daemon's"
check_run retry "$run" COMPLETE calendar:COMPLETE

# --- off for one project -----------------------------------------------------------------
dagctl project update shop --no-check --openlineage-url off >/dev/null
assert_eq "''" "$(dagctl -o json project show shop | json 'repr(d["openlineage_url"])')" "off is stored as an empty URL"
run=$(trigger shop/default --select calendar)
wait_status "$run" success 120
assert_eq 0 "$(dagctl -o json webhook deliveries shop/default | json "len([x for x in d['deliveries'] if x.get('run_id') == '$run'])")" \
  "a project with openlineage_url off owes no event"
dagctl project update shop --no-check --openlineage-url '' >/dev/null
assert_eq null "$(dagctl -o json project show shop | json 'd["openlineage_url"]')" "'' goes back to the daemon's URL"
out=$(dagctl project update shop --no-check --openlineage-url "ftp://x" 2>&1) && fail "ftp URL accepted"
assert_contains "$out" "openlineage_url" "a URL that is not http(s) is refused naming the field"

# --- kill -9 mid-run: after the restart the run's FAIL arrives, nothing doubled ------------
run=$(trigger shop/default --select calendar --vars '{slow_seconds: 60}')
wait_for "the run's START" 60 has_event main "$run" START || fail "no START for run $run"
wait_for "calendar to run" 120 calendar_runs "$run" || fail "calendar never ran in run $run"
stop_daemon KILL
start_daemon --dbt "$DAGCTL_TEST_DBT" --webhook-retry-delay 0.3 --stop-grace 2 --openlineage-url "http://127.0.0.1:$port"
wait_status "$run" error 30
wait_for "the interrupted run's FAIL" 30 has_event main "$run" FAIL || fail "no FAIL for run $run after the restart"
check_run main "$run" FAIL calendar:ABORT
pass "after kill -9 and a restart the run's FAIL arrives once, with the runId of its START"
summary main >/dev/null || fail "an event is not valid OpenLineage"
pass "all $(requests main) events received are valid"

# --- a SQLMesh project: the run and each model it built, as SQLMesh's integration ----------
if [ -x "${DAGCTL_TEST_SQLMESH:-}" ]; then
  stop_daemon TERM
  start_daemon --dbt "$DAGCTL_TEST_DBT" --sqlmesh "$DAGCTL_TEST_SQLMESH" --webhook-retry-delay 0.3 --stop-grace 2 \
    --openlineage-url "http://127.0.0.1:$port"
  bakery=$(copy_sqlmesh_example bakery)
  dagctl project add "$bakery" --name bakery --no-check >/dev/null
  dagctl job create bakery --name plan \
    --command "sqlmesh plan --auto-apply --no-prompts --execution-time '3 days ago'" >/dev/null
  run=$(trigger bakery/plan)
  wait_status "$run" success 300
  wait_for "the SQLMesh run's COMPLETE" 30 has_event main "$run" COMPLETE || fail "no COMPLETE for SQLMesh run $run"
  check_run main "$run" COMPLETE daily_sales:COMPLETE
  fields "$(events_of main "$run")" 'sorted({e["integration"] for e in d})' \
    'len({e["job"] for e in d if e["parent"] is not None})'
  assert_eq '["SQLMESH"]' "${F[0]}" "a SQLMesh run's events name the SQLMESH integration"
  [ "${F[1]}" -ge 5 ] && pass "a SQLMesh plan's models each have their own START and COMPLETE (${F[1]} models)" ||
    fail "only ${F[1]} SQLMesh models had events"
  summary main >/dev/null || fail "a SQLMesh event is not valid OpenLineage"
  pass "the SQLMesh run's events are valid OpenLineage"
else
  echo "# DAGCTL_TEST_SQLMESH is not set: the SQLMesh leg is skipped (scripts/setup-sqlmesh)"
fi

finish
