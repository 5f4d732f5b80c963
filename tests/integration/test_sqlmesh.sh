#!/usr/bin/env bash
# SQLMesh projects (docs/sqlmesh.md) with the real sqlmesh on copies of examples/sqlmesh:
# registration and its refusals, a plan job (its plan, nodes, artifacts, webhook), sqlmesh
# run's outcomes (partial, failed, warn, error, nothing due), retry, --select, the TCP
# override grammar, cancel and timeout (SIGINT first), a sqlmesh that is a shell wrapper,
# and the sandbox. One project's state carries from step to step: the plan leaves three
# daily intervals for `sqlmesh run`, which the steps below use up (examples/sqlmesh/README.md).
source "$(dirname "$0")/lib.sh"
if [ ! -x "${DAGCTL_TEST_SQLMESH:-}" ]; then
  echo "SKIP: DAGCTL_TEST_SQLMESH ('${DAGCTL_TEST_SQLMESH:-}') is not an executable sqlmesh: run scripts/test, or configure with -DDAGCTL_TEST_SQLMESH=\$(scripts/setup-sqlmesh)"
  exit 77
fi
unset DAGCTL_EXAMPLE_FAIL_MODEL DAGCTL_EXAMPLE_FAIL_AUDIT DAGCTL_EXAMPLE_WARN_AUDIT \
  DAGCTL_EXAMPLE_SLOW_SECONDS SQLMESH_GATEWAY DAGCTL_SQLMESH || true
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"

start_daemon --sqlmesh "$DAGCTL_TEST_SQLMESH" --listen 127.0.0.1:0 --stop-grace 2 \
  --webhook-retry-delay 0.3 --webhook-timeout 2
BASE="http://$(http_address)"
api() { curl -sS --unix-socket "$SOCK" "http://x/api/v1/$1"; }

# wtrigger ARGS...: dagctl -o json ARGS --wait (trigger or retry); sets RC, RUN_JSON and RUN.
wtrigger() {
  RC=0
  RUN_JSON=$(dagctl -o json "$@" --wait) || RC=$?
  RUN=$(echo "$RUN_JSON" | json 'd["id"]')
}
# nodes RUN: the run's node records as {name: status}, sorted.
nodes() {
  dagctl -o json run show "$1" --nodes | json '{n["name"]: n["status"] for n in d["nodes"]}'
}
set_env() { dagctl project update bakery --env "$1" --no-check >/dev/null; }
unset_env() { dagctl project update bakery --unset-env "$1" --no-check >/dev/null; }

# --- the sandbox: when bwrap works here, every run below is sandboxed (docs/sandbox.md) -------
if command -v bwrap >/dev/null && bwrap --ro-bind / / true 2>/dev/null; then
  assert_eq true "$(dagctl -o json status | json 'd["sandbox"]["active"]')" "bwrap works: the runs below are sandboxed"
  SANDBOXED=" (in the sandbox)"
else
  echo "# bwrap does not work here: the runs below are not sandboxed"
  SANDBOXED=""
fi

# --- registration -------------------------------------------------------------------------------
bakery=$(copy_sqlmesh_example bakery)
rc=0
out=$(dagctl project add "$bakery" --name bakery 2>&1) || rc=$?
[ "$rc" == 0 ] && pass "project add of the SQLMesh folder passes its checks (sqlmesh --version, config)" ||
  fail "project add exited $rc: $out"
grep -qE '^type: +sqlmesh$' <<<"$out" && pass "project add says type: sqlmesh" || fail "no type line: $out"
assert_not_contains "$out" "profiles_dir" "and shows no dbt settings"
grep -qE '^type: +sqlmesh$' <<<"$(dagctl project show bakery)" && pass "project show says type: sqlmesh" ||
  fail "project show: $(dagctl project show bakery)"
PID=$(dagctl -o json project show bakery | json 'd["id"]')
fields "$(api "projects/$PID")" 'd["type"]' '"sqlmesh" in d' 'd["sqlmesh"]' 'd["warm"]'
assert_eq "sqlmesh true null false" "${F[0]} ${F[1]} ${F[2]} ${F[3]}" \
  "API: type sqlmesh, sqlmesh null (the daemon's --sqlmesh), warm false"
assert_eq "sqlmesh run" "$(dagctl -o json job show bakery/default | json 'd["command"]')" "its job default runs sqlmesh run"

other=$TEST_TMP/other
cp -r "$bakery" "$other"
rc=0
out=$(dagctl project add "$other" --name other --type dbt 2>&1) || rc=$?
assert_eq 2 "$rc" "--type dbt on a SQLMesh folder is refused"
assert_contains "$out" "--type sqlmesh" "and the message names --type sqlmesh"
rc=0
out=$(dagctl project add "$other" --name other --sqlmesh /nowhere/sqlmesh 2>&1) || rc=$?
assert_eq 2 "$rc" "--sqlmesh to a missing executable is refused by the checks"
assert_contains "$out" "--sqlmesh" "and the message names --sqlmesh"
rc=0
out=$(dagctl project update bakery --dbt "$DAGCTL_TEST_SQLMESH" --no-check 2>&1) || rc=$?
[ "$rc" -ne 0 ] && pass "--dbt on a SQLMesh project is refused (exit $rc)" || fail "--dbt accepted: $out"
assert_contains "$out" "this is a SQLMesh project" "and the message says why"
assert_contains "$out" "--sqlmesh" "and names the flag to use instead"
rc=0
out=$(dagctl project update bakery --warm on --no-check 2>&1) || rc=$?
[ "$rc" -ne 0 ] && pass "--warm on for a SQLMesh project is refused (exit $rc)" || fail "--warm on accepted: $out"
assert_eq 0 "$(api projects | json 'len([p for p in d["projects"] if p["name"] == "other"])')" \
  "no project was added by the refused commands"

# --- error: SQLMesh fails outside any model (a broken config.yaml); another project, so it
# --- runs alongside bakery's runs below and is checked at the end
broken=$(copy_sqlmesh_example broken)
printf 'bogus: [\n' >>"$broken/config.yaml"
dagctl project add "$broken" --name broken --no-check >/dev/null
broken_run=$(trigger broken/default)

# --- a plan job: its plan, nodes, artifacts and webhook -------------------------------------------
mkdir -p "$TEST_TMP/hook"
python3 "$RECEIVER" --dir "$TEST_TMP/hook" >>"$TEST_TMP/hook/log" 2>&1 &
wait_for "the webhook receiver" 10 test -s "$TEST_TMP/hook/port" || fail "receiver did not start"
dagctl job create bakery --name plan \
  --command "sqlmesh plan --auto-apply --no-prompts --execution-time '3 days ago'" >/dev/null
dagctl job update bakery/plan --webhook-enabled true --webhook-url "http://127.0.0.1:$(cat "$TEST_TMP/hook/port")/hook" >/dev/null
wtrigger trigger bakery/plan
assert_eq "0 success" "$RC $(echo "$RUN_JSON" | json 'd["status"]')" "the plan job's trigger --wait exits 0: success$SANDBOXED"
PLAN_RUN=$RUN
fields "$RUN_JSON" 'd["plan"]["environment"]' 'd["plan"]["applied"]' 'len(d["plan"]["added"])' \
  '"bakery.daily_sales" in d["plan"]["added"]' 'd["results"]' 'd["nothing_selected"]'
assert_eq "prod true 9 true" "${F[0]} ${F[1]} ${F[2]} ${F[3]}" "its run's plan: prod, applied, the 9 models added"
assert_eq '{"success": 9} false' "${F[4]} ${F[5]}" "results count 9 successful models"
shown=$(dagctl run show "$RUN")
for line in '^ *plan: +prod, applied' '^ *added: +.*bakery\.' '^ *backfill: +.*bakery\..* - '; do
  grep -qE "$line" <<<"$shown" || fail "run show lacks /$line/: $shown"
done
pass "run show prints plan:, added: and backfill: lines"
shown=$(dagctl run show "$RUN" --nodes)
grep -E 'bakery\.daily_sales' <<<"$shown" | grep -q success && pass "run show --nodes lists bakery.daily_sales, success" ||
  fail "run show --nodes: $shown"
fields "$(api "runs/$RUN/nodes")" 'len(d["nodes"])' 'sorted({n["status"] for n in d["nodes"]})' \
  '[n["resource_type"] for n in d["nodes"] if n["unique_id"] == "model.bakery.daily_sales"]'
assert_eq '9 ["success"] ["model"]' "${F[0]} ${F[1]} ${F[2]}" "API runs/ID/nodes: 9 models, all success, model.bakery.daily_sales a model"
assert_eq '["plan.json", "run_results.json"]' \
  "$(dagctl -o json run artifacts "$RUN" | json 'sorted(a["name"] for a in d["artifacts"] if a["name"] in ("plan.json", "run_results.json"))')" \
  "its artifacts have plan.json and run_results.json"
wait_for "the plan run's webhook" 30 test -s "$TEST_TMP/hook/requests.jsonl" || fail "no webhook arrived"
python3 - "$TEST_TMP/hook/requests.jsonl" "$(dagctl webhook secret bakery/plan)" "$RUN" <<'EOF' && pass "its webhook: project.type sqlmesh, success, results, signed" || fail "webhook body or signature"
import hashlib, hmac, json, sys
r = json.loads(open(sys.argv[1]).readline())
h = {k.lower(): v for k, v in r["headers"].items()}
b = json.loads(r["body"])["conf"]
assert b["project"]["type"] == "sqlmesh", b["project"]
assert b["job_run"]["id"] == sys.argv[3] and b["job_run"]["status"] == "success", b["job_run"]
assert b["job_run"]["results"] == {"success": 9}, b["job_run"]["results"]
want = "sha256=" + hmac.new(sys.argv[2].encode(), r["body"].encode(), hashlib.sha256).hexdigest()
assert hmac.compare_digest(want, h["x-dagctl-signature"]), "signature"
EOF

# --- partial, failed, retry (README: FAIL_MODEL fails flour_deliveries, skips flour_stock) --------
set_env DAGCTL_EXAMPLE_FAIL_MODEL=1
wtrigger trigger bakery/default --command "sqlmesh run --end '2 days ago'"
PARTIAL=$RUN
fields "$RUN_JSON" 'd["status"]' 'd["error_message"] or ""' 'd["nothing_selected"]'
assert_eq "1 partial" "$RC ${F[0]}" "a run where flour_deliveries fails exits 1: partial"
assert_contains "${F[1]}" "model.bakery.flour_deliveries" "its error_message names the failed model"
fields "$(nodes "$RUN")" 'd["bakery.flour_deliveries"]' 'd["bakery.flour_stock"]' 'd["bakery.daily_sales"]' 'len(d)'
assert_eq "error skipped success 7" "${F[*]}" "nodes: flour_deliveries error, flour_stock skipped, the rest success"

wtrigger trigger bakery/default --select bakery.flour_deliveries
fields "$RUN_JSON" 'd["status"]' 'd["command"]'
assert_eq "1 failed" "$RC ${F[0]}" "only the failing model selected: exit 1, failed"
assert_eq "sqlmesh run --select-model bakery.flour_deliveries" "${F[1]}" "--select became --select-model"
assert_eq '{"bakery.flour_deliveries": "error"}' "$(nodes "$RUN")" "its one node is the failed model"

unset_env DAGCTL_EXAMPLE_FAIL_MODEL
wtrigger retry "$PARTIAL"
fields "$RUN_JSON" 'd["status"]' 'd["command"]' 'd["triggered_by"]'
assert_eq "0 success retry" "$RC ${F[0]} ${F[2]}" "dagctl retry of the partial run, the failure gone: success"
assert_eq "sqlmesh run --end '2 days ago'" "${F[1]}" "the retry runs the same command"
fields "$(nodes "$RUN")" 'd.get("bakery.flour_deliveries")' 'd.get("bakery.flour_stock")'
assert_eq "success success" "${F[*]}" "it evaluates the models that failed or were skipped"

# --- warn, --select, dbt-only flags -------------------------------------------------------------
set_env DAGCTL_EXAMPLE_WARN_AUDIT=1
wtrigger trigger bakery/default --select bakery.daily_sales
unset_env DAGCTL_EXAMPLE_WARN_AUDIT
fields "$RUN_JSON" 'd["status"]' 'd["command"]' 'd["results"].get("warn")'
assert_eq "0 success 1" "$RC ${F[0]} ${F[2]}" "a failing non-blocking audit: exit 0, success with one warn node"
assert_eq "sqlmesh run --select-model bakery.daily_sales" "${F[1]}" "trigger --select bakery.daily_sales runs --select-model"
fields "$(nodes "$RUN")" 'd.get("bakery.daily_sales")' \
  'sorted(set(d) - {"bakery.daily_sales", "bakery.daily_orders", "bakery.orders", "bakery.products"})'
assert_eq "warn []" "${F[*]}" "its nodes: bakery.daily_sales (warn) and its upstream only"
assert_contains "$(api "runs/$RUN/nodes" | json '[n["message"] for n in d["nodes"] if n["name"] == "bakery.daily_sales"][0]')" \
  "warn_on_demand" "the warn node's message names the failing audit"
rc=0
out=$(dagctl trigger bakery/default --vars '{a: 1}' 2>&1) || rc=$?
assert_eq 2 "$rc" "--vars on a SQLMesh job exits 2"
assert_contains "$out" "--vars" "naming --vars"

# --- cancel and timeout: SIGINT to sqlmesh's process group ---------------------------------------
set_env DAGCTL_EXAMPLE_SLOW_SECONDS=20
slow_running() {  # RUN: the progress shows bakery.oven_readings running
  [ "$(run_field "$1" '[n["name"] for n in (d.get("progress") or {}).get("running") or []]')" == '["bakery.oven_readings"]' ]
}
run=$(trigger bakery/default --command 'sqlmesh run --select-model bakery.oven_readings')
wait_for "run $run to evaluate bakery.oven_readings" 60 slow_running "$run" || fail "the slow model never ran"
pass "progress shows the slow model running"
t0=$(date +%s)
dagctl cancel "$run" >/dev/null
wait_for "run $run to end after cancel" 20 run_is_terminal "$run" || fail "the cancel did not stop sqlmesh"
assert_eq cancelled "$(status_of "$run")" "cancel stops it: cancelled in $(($(date +%s) - t0)) s"
log=$(dagctl logs "$run")
assert_contains "$log" "sent SIGINT to sqlmesh's process group" "its log says SIGINT went to sqlmesh's process group"
grep '^dagctl: sent' <<<"$log" | sed 's/^/# /' || true
assert_eq '{"bakery.oven_readings": "interrupted"}' "$(nodes "$run")" "the model in flight is interrupted"
wait_for "run $run's processes to exit" 10 no_process_of_run "$run" || fail "processes of $run are left: $(run_processes "$run")"
pass "no process of the cancelled run is left"

dagctl job create bakery --name slow --command 'sqlmesh run --select-model bakery.oven_readings' --timeout 3 >/dev/null
wtrigger trigger bakery/slow
fields "$RUN_JSON" 'd["status"]' 'd["error_message"] or ""'
assert_eq "2 error" "$RC ${F[0]}" "a run over its job's --timeout 3: exit 2, error"
assert_contains "${F[1]}" "timed out" "its error_message says it timed out"
wait_for "run $RUN's processes to exit" 10 no_process_of_run "$RUN" || fail "processes of $RUN are left"
unset_env DAGCTL_EXAMPLE_SLOW_SECONDS

# --- a sqlmesh that is a shell wrapper: runs as it is, without the plugin -------------------------
mkdir -p "$TEST_TMP/wrapper"
printf '#!/bin/sh\nexec %s "$@"\n' "$DAGCTL_TEST_SQLMESH" >"$TEST_TMP/wrapper/sqlmesh"
chmod +x "$TEST_TMP/wrapper/sqlmesh"
dagctl project update bakery --sqlmesh "$TEST_TMP/wrapper/sqlmesh" --no-check >/dev/null
assert_eq "$TEST_TMP/wrapper/sqlmesh" "$(api "projects/$PID" | json 'd["sqlmesh"]')" "project update --sqlmesh sets the project's sqlmesh"
wtrigger trigger bakery/default --command "sqlmesh run --end '1 day ago'"
assert_eq "0 success" "$RC $(echo "$RUN_JSON" | json 'd["status"]')" "a run through a shell wrapper succeeds"
log=$(dagctl logs "$RUN")
assert_contains "$log" "runs without dagctl's plugin" "its log says it runs without dagctl's plugin"
grep "without dagctl's plugin" <<<"$log" | sed 's/^/# /' || true
assert_contains "$log" "Run finished for environment 'prod'" "and holds SQLMesh's own output"
assert_eq '{}' "$(nodes "$RUN")" "it has no node records"
dagctl project update bakery --sqlmesh '' --no-check >/dev/null

# --- sqlmesh run does the work left; then nothing is due ------------------------------------------
wtrigger trigger bakery/default
fields "$RUN_JSON" 'd["status"]' 'd["command"]' 'sum(d["results"].values())' 'sorted(d["results"])'
assert_eq "0 success sqlmesh run" "$RC ${F[0]} ${F[1]}" "the default job's sqlmesh run succeeds"
[ "${F[2]}" -gt 0 ] && [ "${F[3]}" == '["success"]' ] && pass "it evaluated ${F[2]} models, all success" ||
  fail "results ${F[2]} ${F[3]}"
wtrigger trigger bakery/default
fields "$RUN_JSON" 'd["status"]' 'd["nothing_selected"]' 'd["results"]'
assert_eq "0 success false {}" "$RC ${F[*]}" "a second run right after: nothing due, success, exit 0, nothing_selected false"

# --- the override grammar over TCP (a trigger token) -----------------------------------------------
token=$(dagctl -o json token create --name airflow --scope trigger | json 'd["token"]')
JOB_ID=$(dagctl -o json job show bakery/default | json 'd["id"]')
post_override() {  # COMMAND: POST a trigger with it; prints the HTTP code, body in $TEST_TMP/body
  curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -X POST "$BASE/api/v1/projects/$PID/jobs/$JOB_ID/trigger" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "$(python3 -c 'import json,sys; print(json.dumps({"command_override": sys.argv[1]}))' "$1")"
}
assert_eq 400 "$(post_override 'sqlmesh ui')" "a token's command_override 'sqlmesh ui' is refused: 400"
assert_eq 200 "$(post_override 'sqlmesh run --select-model bakery.daily_sales')" "'sqlmesh run --select-model bakery.daily_sales' is accepted: 200"
tcp_run=$(json 'd["job_run_id"]' <"$TEST_TMP/body")
wait_for "run $tcp_run to end" 60 run_is_terminal "$tcp_run"
assert_eq success "$(status_of "$tcp_run")" "and runs: success"

wait_for "run $broken_run to end" 60 run_is_terminal "$broken_run"
fields "$(dagctl -o json run show "$broken_run")" 'd["status"]' 'd["error_message"] or ""' 'd["exit_code"]'
assert_eq "error 1" "${F[0]} ${F[2]}" "a broken config.yaml: sqlmesh exits 1, the run is an error"
case "${F[1]}" in "sqlmesh exited with code 1"*) pass "its message starts 'sqlmesh exited with code 1'" ;;
  *) fail "error_message: ${F[1]}" ;; esac
rc=0
dagctl watch "$broken_run" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "dagctl watch of it exits 2"

finish
