#!/usr/bin/env bash
# Airflow end to end (issue 6): a real Airflow 3 (scripts/setup-airflow), the real daemon and
# real dbt, wired both ways by scripts/airflow-dev on free loopback ports:
# - Airflow's example DAG dagctl_trigger_and_wait triggers the shop job through dagctl's REST
#   API with a dctl_ token and a command_override, and its HttpSensor sees the run finish;
# - dagctl's webhook (JWT mode, /api/v2) starts dagctl_downstream, whose task reads
#   dag_run.conf and succeeds;
# - a run that ends partial (dagctl_full_loop, and dagctl_trigger_and_wait) makes the
#   sensor and the downstream task fail with the run's error;
# - `dagctl webhook redeliver` of a delivered run gets Airflow's 409 and creates no second
#   DAG run; a `dagctl webhook test` event is skipped by the downstream DAG;
# - a DAG scheduled on Asset("dbt://shop/model.shop.fct_sales") runs after a run that built
#   fct_sales (its per-model asset event), and not after one that did not;
# - with DAGCTL_TEST_SQLMESH (real sqlmesh), a SQLMesh project's plan run fires the same
#   webhook (project.type "sqlmesh") and starts dagctl_downstream;
# - `scripts/airflow-dev stop` leaves no process behind.
# Environment: as lib.sh, plus DAGCTL_AIRFLOW (the airflow executable of scripts/setup-airflow)
# and, for the SQLMesh leg, DAGCTL_TEST_SQLMESH (scripts/setup-sqlmesh).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib_airflow.sh"
T0=$SECONDS

# --- Start Airflow 3 and dagctld, wired both ways ----------------------------------------
af_dev_start 3 DAGCTL_AIRFLOW
job=$(dagctl -o json job show shop/default)
assert_eq "$AIRFLOW_URL/api/v2/dags/dagctl_downstream/dagRuns" "$(printf '%s' "$job" | json 'd["webhook_url"]')" "the job's webhook points at dagctl_downstream's dagRuns (/api/v2)"
assert_eq "airflow_jwt $AIRFLOW_URL/auth/token dagctl True" \
  "$(printf '%s' "$job" | json 'd["webhook_auth"]["type"] + " " + d["webhook_auth"]["token_url"] + " " + d["webhook_auth"]["username"] + " " + str(d["webhook_enabled"])')" \
  "the webhook logs in to Airflow 3 with JWT as user dagctl"

# --- Success: Airflow triggers dagctl, the sensor waits, the webhook starts the downstream --
t=$SECONDS
override='dbt build --select +book_revenue'
ok_dagrun=$(af_trigger dagctl_trigger_and_wait "{\"command_override\": \"$override\"}")
poll "dagctl_trigger_and_wait run $ok_dagrun to end" 300 af_dag_run_ended dagctl_trigger_and_wait "$ok_dagrun"
echo "# trigger-and-wait DAG run took $((SECONDS - t))s"
assert_eq success "$(af_dag_run_state dagctl_trigger_and_wait "$ok_dagrun")" "the trigger-and-wait DAG run succeeded"
ok_run=$(af_xcom dagctl_trigger_and_wait "$ok_dagrun" trigger_dbt_run)
assert_eq "success manual" "$(run_field "$ok_run" 'd["status"] + " " + d["triggered_by"]')" "HttpOperator started a real dbt run through the REST API, and it succeeded"
assert_eq "$override" "$(run_field "$ok_run" 'd["command_override"]')" "the DAG's command_override reached dagctl"
assert_eq "$override" "$(run_field "$ok_run" 'd["command"]')" "and was the command dbt ran"
assert_eq success "$(af_ti dagctl_trigger_and_wait "$ok_dagrun" wait_for_completion 'd["state"]')" "HttpSensor saw the run finish"
assert_contains "$(af_task_log dagctl_trigger_and_wait "$ok_dagrun" wait_for_completion)" "dagctl run $ok_run succeeded" "the sensor's log names the run"

poll "the webhook's DAG run dagctl__$ok_run" 180 af_dag_run_ended dagctl_downstream "dagctl__$ok_run"
echo "# the downstream DAG run ended $((SECONDS - t))s after the trigger"
assert_eq success "$(af_dag_run_state dagctl_downstream "dagctl__$ok_run")" "dagctl's webhook started dagctl_downstream, which succeeded"
down=$(af_get "/dags/dagctl_downstream/dagRuns/dagctl__$ok_run" 'd')
assert_eq "job.completed $ok_run success $override" \
  "$(printf '%s' "$down" | json 'd["conf"]["event"] + " " + d["conf"]["job_run"]["id"] + " " + d["conf"]["job_run"]["status"] + " " + d["conf"]["job_run"]["command_override"]')" \
  "the DAG run's conf is the webhook's result"
assert_eq dagctl "$(printf '%s' "$down" | json 'd["triggering_user_name"]')" "the webhook authenticated as the Airflow user dagctl (JWT)"
assert_eq "$ok_run success" "$(af_xcom dagctl_downstream "dagctl__$ok_run" check_dagctl_result | json 'd["run_id"] + " " + d["status"]')" \
  "the downstream task read dag_run.conf"
deliveries=$(dagctl -o json webhook deliveries shop/default)
ok_delivery=$(printf '%s' "$deliveries" | json "[x for x in d['deliveries'] if x.get('run_id') == '$ok_run'][0]")
assert_eq "delivered 200" "$(printf '%s' "$ok_delivery" | json 'd["status"] + " " + str(d["attempts"][-1]["status_code"])')" "the delivery is logged as delivered (HTTP 200)"

# --- Failure: runs that end partial fail the sensor and the downstream task -------------------
t=$SECONDS
partial='dbt build --vars '"'"'{scenario: partial}'"'"
conf=$(python3 -c 'import json, sys; print(json.dumps({"command_override": sys.argv[1]}))' "$partial")
loop_dagrun=$(af_trigger dagctl_full_loop "$conf")
wait_dagrun=$(af_trigger dagctl_trigger_and_wait "$conf")
dagctl webhook test shop/default >/dev/null
poll "dagctl_full_loop run $loop_dagrun to end" 300 af_dag_run_ended dagctl_full_loop "$loop_dagrun"
assert_eq success "$(af_dag_run_state dagctl_full_loop "$loop_dagrun")" "dagctl_full_loop only triggers, and succeeds"
loop_run=$(af_xcom dagctl_full_loop "$loop_dagrun" trigger_dbt_run)
poll "the partial run's downstream DAG run" 300 af_dag_run_ended dagctl_downstream "dagctl__$loop_run"
assert_eq partial "$(run_field "$loop_run" 'd["status"]')" "the override made the dbt run end partial"
error=$(run_field "$loop_run" 'd["error_message"]')
[ -n "$error" ] && [ "$error" != None ] || fail "the partial run has no error_message"
assert_eq failed "$(af_dag_run_state dagctl_downstream "dagctl__$loop_run")" "the webhook of a partial run makes dagctl_downstream fail"
assert_eq "job.partial partial" "$(af_get "/dags/dagctl_downstream/dagRuns/dagctl__$loop_run" 'd["conf"]["event"] + " " + d["conf"]["job_run"]["status"]')" "its conf says job.partial"
assert_eq failed "$(af_ti dagctl_downstream "dagctl__$loop_run" check_dagctl_result 'd["state"]')" "the downstream task failed"
assert_contains "$(af_task_log dagctl_downstream "dagctl__$loop_run" check_dagctl_result)" "ended partial: $(message_head "$error")" \
  "the downstream task failed with the run's error_message"

poll "dagctl_trigger_and_wait run $wait_dagrun to end" 300 af_dag_run_ended dagctl_trigger_and_wait "$wait_dagrun"
wait_run=$(af_xcom dagctl_trigger_and_wait "$wait_dagrun" trigger_dbt_run)
assert_eq partial "$(run_field "$wait_run" 'd["status"]')" "the second partial run ended partial"
assert_eq "failed failed" "$(af_dag_run_state dagctl_trigger_and_wait "$wait_dagrun") $(af_ti dagctl_trigger_and_wait "$wait_dagrun" wait_for_completion 'd["state"]')" \
  "HttpSensor fails the trigger-and-wait DAG run on a partial run"
assert_contains "$(af_task_log dagctl_trigger_and_wait "$wait_dagrun" wait_for_completion)" "dagctl run $wait_run ended partial" "and says why"
poll "the second partial run's downstream DAG run" 300 af_dag_run_ended dagctl_downstream "dagctl__$wait_run"
assert_eq failed "$(af_dag_run_state dagctl_downstream "dagctl__$wait_run")" "its webhook's downstream DAG run failed too"

test_dagrun=$(af_get "/dags/dagctl_downstream/dagRuns?limit=100" '[r["dag_run_id"] for r in d["dag_runs"] if r["dag_run_id"].startswith("dagctl__test-")][0]')
poll "the test event's DAG run" 120 af_dag_run_ended dagctl_downstream "$test_dagrun"
assert_eq skipped "$(af_ti dagctl_downstream "$test_dagrun" check_dagctl_result 'd["state"]')" "a webhook test event reaches Airflow and is skipped"
echo "# the failure path took $((SECONDS - t))s"

# --- A duplicate delivery creates no second DAG run --------------------------------------------
ok_delivery_id=$(printf '%s' "$ok_delivery" | json 'd["id"]')
dagctl webhook redeliver "$ok_delivery_id" >/dev/null
delivery_attempts() {
  dagctl -o json webhook deliveries shop/default --limit 100 | json "[x for x in d['deliveries'] if x['id'] == '$ok_delivery_id'][0]['attempts']" | json 'len(d)'
}
redelivered() { [ "$(delivery_attempts)" -ge 2 ]; }
poll "the redelivery to be logged" 60 redelivered
again=$(dagctl -o json webhook deliveries shop/default --limit 100 | json "[x for x in d['deliveries'] if x['id'] == '$ok_delivery_id'][0]")
assert_eq "delivered 409" "$(printf '%s' "$again" | json 'd["status"] + " " + str(d["attempts"][-1]["status_code"])')" \
  "Airflow answers the duplicate with 409, and the delivery counts as delivered"
assert_eq 1 "$(af_get "/dags/dagctl_downstream/dagRuns?limit=100" "len([r for r in d['dag_runs'] if r['dag_run_id'] == 'dagctl__$ok_run'])")" \
  "the duplicate created no second DAG run"
assert_eq 4 "$(af_get "/dags/dagctl_downstream/dagRuns?limit=100" 'd["total_entries"]')" "dagctl_downstream ran once per webhook (3 runs, 1 test event)"

# --- Per-model assets: a DAG scheduled on fct_sales runs after the run that built it only -----
# A job of its own, logging in as admin: posting asset events wants role op or admin with
# the simple auth manager (airflow-dev's webhook user has op too; admin keeps the leg apart).
t=$SECONDS
FCT=dbt://shop/model.shop.fct_sales
af_has() { af_api GET "$1"; [ "$AF_CODE" = 200 ]; }
asset_known() { [ "$(af_get "/assets?uri_pattern=$FCT" "[a['id'] for a in d['assets'] if a['uri'] == '$FCT']")" != "[]" ]; }
poll "the asset-scheduled DAG to be parsed" 120 af_has /dags/dagctl_fct_sales_updated
poll "Airflow to know the asset $FCT" 60 asset_known
asset_id=$(af_get "/assets?uri_pattern=$FCT" "[a['id'] for a in d['assets'] if a['uri'] == '$FCT'][0]")
dagctl job create shop --name assets --command 'dbt build' --airflow-assets "$AIRFLOW_URL" >/dev/null
DAGCTL_WEBHOOK_AUTH_PASSWORD=$AF_ADMIN_PASSWORD dagctl job update shop/assets --webhook-auth airflow_jwt \
  --webhook-auth-token-url "$AIRFLOW_URL/auth/token" --webhook-auth-username admin >/dev/null
asset_deliveries() {  # RUN EXPR over the run's asset deliveries (ds)
  dagctl -o json webhook deliveries shop/assets --limit 100 | json "[x for x in d['deliveries'] if x['run_id'] == '$1']" | json "$2"
}
settled() { [ "$(asset_deliveries "$1" 'len(d) > 0 and all(x["status"] != "pending" for x in d)')" = true ]; }
# First a run that does not build fct_sales, then one that does: once both runs' deliveries
# are settled, the DAG has exactly one run, triggered by the second run's event.
other=$(trigger shop/assets --select stg_books)
wait_status "$other" success 180
poll "the stg_books run's asset delivery to settle" 60 settled "$other"
assert_eq "failed no asset dbt://shop/model.shop.stg_books in Airflow: no DAG is scheduled on it" \
  "$(asset_deliveries "$other" 'd[0]["status"] + " " + d[0]["last_error"] if len(d) == 1 else d')" \
  "a run that built stg_books posts no event for fct_sales; stg_books, which no DAG is scheduled on, fails its delivery"
built=$(trigger shop/assets --select fct_sales)
wait_status "$built" success 180
poll "the fct_sales run's asset delivery to settle" 60 settled "$built"
assert_eq delivered "$(asset_deliveries "$built" 'd[0]["status"] if len(d) == 1 else d')" "a run that built fct_sales delivered its asset event"
asset_dag_run() { [ "$(af_get "/dags/dagctl_fct_sales_updated/dagRuns" 'd["total_entries"]')" -ge 1 ]; }
poll "the asset-triggered DAG run" 180 asset_dag_run
asset_run=$(af_get "/dags/dagctl_fct_sales_updated/dagRuns" 'd["dag_runs"][0]["dag_run_id"]')
poll "the asset-triggered DAG run to end" 180 af_dag_run_ended dagctl_fct_sales_updated "$asset_run"
assert_eq success "$(af_dag_run_state dagctl_fct_sales_updated "$asset_run")" "the DAG scheduled on fct_sales ran"
assert_eq "[\"$built\"]" "$(af_get "/dags/dagctl_fct_sales_updated/dagRuns/$asset_run/upstreamAssetEvents" '[e["extra"]["dagctl_run_id"] for e in d["asset_events"]]')" \
  "triggered by the event of the run that built fct_sales, and of no other run"
assert_eq 1 "$(af_get "/dags/dagctl_fct_sales_updated/dagRuns" 'd["total_entries"]')" "exactly one asset-triggered DAG run"
assert_eq "1 model.shop.fct_sales" "$(af_get "/assets/events?asset_id=$asset_id" 'str(d["total_entries"]) + " " + d["asset_events"][0]["extra"]["unique_id"]')" \
  "Airflow holds one event of the asset, from dagctl"
echo "# the per-model assets leg took $((SECONDS - t))s"

# --- SQLMesh: a plan run's webhook starts the same downstream DAG ------------------------------
if [ -x "${DAGCTL_TEST_SQLMESH:-}" ]; then
  t=$SECONDS
  bakery="$AF_DIR/bakery"  # inside airflow-dev's --sandbox-writable folder, like shop
  cp -r "$DAGCTL_SOURCE_DIR/examples/sqlmesh" "$bakery"
  rm -rf "$bakery/.cache" "$bakery/logs" "$bakery"/data/*.duckdb*  # a fresh warehouse: the plan has work
  dagctl project add "$bakery" --name bakery --sqlmesh "$DAGCTL_TEST_SQLMESH" >/dev/null
  dagctl job create bakery --name plan --command 'sqlmesh plan --auto-apply --no-prompts' >/dev/null
  DAGCTL_WEBHOOK_AUTH_PASSWORD=$(json 'd["dagctl"]' <"$AF_DIR/airflow/passwords.json") dagctl job update bakery/plan \
    --webhook-enabled true --webhook-url "$AIRFLOW_API/dags/dagctl_downstream/dagRuns" --webhook-header '' \
    --webhook-auth airflow_jwt --webhook-auth-token-url "$AIRFLOW_URL/auth/token" --webhook-auth-username dagctl >/dev/null
  sm_run=$(trigger bakery/plan)
  poll "the SQLMesh run's DAG run dagctl__$sm_run" 300 af_dag_run_ended dagctl_downstream "dagctl__$sm_run"
  echo "# the SQLMesh plan and its downstream DAG run took $((SECONDS - t))s"
  assert_eq "success true" "$(run_field "$sm_run" 'd["status"] + " " + str(d["plan"]["applied"]).lower()')" "the SQLMesh plan run succeeded and applied its plan"
  assert_eq success "$(af_dag_run_state dagctl_downstream "dagctl__$sm_run")" "the SQLMesh run's webhook started dagctl_downstream, which succeeded"
  down=$(af_get "/dags/dagctl_downstream/dagRuns/dagctl__$sm_run" 'd')
  assert_eq "job.completed $sm_run success sqlmesh bakery plan" \
    "$(printf '%s' "$down" | json 'd["conf"]["event"] + " " + d["conf"]["job_run"]["id"] + " " + d["conf"]["job_run"]["status"] + " " + d["conf"]["project"]["type"] + " " + d["conf"]["project"]["name"] + " " + d["conf"]["job"]["name"]')" \
    "the DAG run's conf is the SQLMesh run's result, project.type sqlmesh"
  assert_eq dagctl "$(printf '%s' "$down" | json 'd["triggering_user_name"]')" "the SQLMesh job's webhook authenticated as the Airflow user dagctl (JWT)"
  assert_eq "$sm_run success sqlmesh" "$(af_xcom dagctl_downstream "dagctl__$sm_run" check_dagctl_result | json 'd["run_id"] + " " + d["status"] + " " + d["project_type"]')" \
    "the downstream task read the SQLMesh run from dag_run.conf"
  assert_eq delivered "$(dagctl -o json webhook deliveries bakery/plan | json "[x for x in d['deliveries'] if x.get('run_id') == '$sm_run'][0]['status']")" \
    "the SQLMesh job's delivery is logged as delivered"
else
  echo "# SKIP the SQLMesh leg: DAGCTL_TEST_SQLMESH is not set (configure with -DDAGCTL_TEST_SQLMESH=\$(scripts/setup-sqlmesh))"
fi

# --- Stop: nothing is left running --------------------------------------------------------------
af_dev_stop_and_check
echo "# the Airflow tier took $((SECONDS - T0))s"
finish
