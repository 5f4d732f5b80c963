#!/usr/bin/env bash
# Airflow 2 (issue 6): the same example DAGs and the webhook leg against a real Airflow 2.11
# (`scripts/setup-airflow 2`), the real daemon and real dbt, wired by scripts/airflow-dev:
# - dagctl_trigger_and_wait (HttpOperator + HttpSensor) triggers the shop job through dagctl's
#   REST API with a dctl_ token and a command_override, and sees the run finish;
# - dagctl's webhook (/api/v1, webhook_auth basic) starts dagctl_downstream, whose
#   task reads dag_run.conf and succeeds; a run that ends partial makes that task fail with
#   the run's error;
# - a redelivery gets Airflow 2's 409 for the same dag_run_id and counts as delivered;
# - a wrong password is a final 401/403, logged with Airflow's answer, and creates nothing.
# Environment: as lib.sh, plus DAGCTL_AIRFLOW2 (the airflow executable of `scripts/setup-airflow 2`).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib_airflow.sh"
T0=$SECONDS

# --- Start Airflow 2 and dagctld, wired both ways ----------------------------------------
af_dev_start 2 DAGCTL_AIRFLOW2
job=$(dagctl -o json job show shop/default)
assert_eq "$AIRFLOW_URL/api/v1/dags/dagctl_downstream/dagRuns True" "$(printf '%s' "$job" | json 'd["webhook_url"] + " " + str(d["webhook_enabled"])')" \
  "the job's webhook points at dagctl_downstream's dagRuns (/api/v1)"
assert_eq '{"type": "basic", "username": "dagctl"} {}' "$(printf '%s' "$job" | json 'json.dumps(d["webhook_auth"]) + " " + json.dumps(d["webhook_headers"])')" \
  "and logs in with Basic auth as dagctl, its password never shown"
downstream_runs() { af_get "/dags/dagctl_downstream/dagRuns?limit=100" "$1"; }

# --- Success: Airflow 2 triggers dagctl, the sensor waits, the webhook starts the downstream --
t=$SECONDS
override='dbt build --select +book_revenue'
ok_dagrun=$(af_trigger dagctl_trigger_and_wait "{\"command_override\": \"$override\"}")
poll "dagctl_trigger_and_wait run $ok_dagrun to end" 300 af_dag_run_ended dagctl_trigger_and_wait "$ok_dagrun"
assert_eq success "$(af_dag_run_state dagctl_trigger_and_wait "$ok_dagrun")" "the trigger-and-wait DAG run succeeded on Airflow 2"
ok_run=$(af_xcom dagctl_trigger_and_wait "$ok_dagrun" trigger_dbt_run)
assert_eq "success manual $override" "$(run_field "$ok_run" 'd["status"] + " " + d["triggered_by"] + " " + d["command"]')" \
  "HttpOperator started a real dbt run with the DAG's command_override, and it succeeded"
assert_contains "$(af_task_log dagctl_trigger_and_wait "$ok_dagrun" wait_for_completion)" "dagctl run $ok_run succeeded" "HttpSensor saw the run finish"

poll "the webhook's DAG run dagctl__$ok_run" 180 af_dag_run_ended dagctl_downstream "dagctl__$ok_run"
echo "# the downstream DAG run ended $((SECONDS - t))s after the trigger"
assert_eq success "$(af_dag_run_state dagctl_downstream "dagctl__$ok_run")" "dagctl's webhook started dagctl_downstream on Airflow 2, which succeeded"
assert_eq "job.completed $ok_run success $override" \
  "$(af_get "/dags/dagctl_downstream/dagRuns/dagctl__$ok_run" 'd["conf"]["event"] + " " + d["conf"]["job_run"]["id"] + " " + d["conf"]["job_run"]["status"] + " " + d["conf"]["job_run"]["command_override"]')" \
  "the DAG run's conf is the webhook's result (the body's conf, with dag_run_id dagctl__<run>)"
assert_eq "$ok_run success" "$(af_xcom dagctl_downstream "dagctl__$ok_run" check_dagctl_result | json 'd["run_id"] + " " + d["status"]')" \
  "the downstream task read dag_run.conf"
ok_delivery=$(dagctl -o json webhook deliveries shop/default | json "[x for x in d['deliveries'] if x.get('run_id') == '$ok_run'][0]")
assert_eq "delivered 200" "$(printf '%s' "$ok_delivery" | json 'd["status"] + " " + str(d["attempts"][-1]["status_code"])')" "the delivery is logged as delivered (HTTP 200)"

# --- Failure: a run that ends partial fails the downstream task with the run's error ---------
partial_run=$(trigger shop/default --command "dbt build --vars '{scenario: partial}'")
wait_for "run $partial_run to end" 120 run_is_terminal "$partial_run" || fail "the partial run did not end"
assert_eq partial "$(status_of "$partial_run")" "the override made the dbt run end partial"
error=$(run_field "$partial_run" 'd["error_message"]')
poll "the partial run's downstream DAG run" 180 af_dag_run_ended dagctl_downstream "dagctl__$partial_run"
assert_eq "failed job.partial" "$(af_dag_run_state dagctl_downstream "dagctl__$partial_run") $(af_get "/dags/dagctl_downstream/dagRuns/dagctl__$partial_run" 'd["conf"]["event"]')" \
  "the webhook of a partial run (job.partial) makes dagctl_downstream fail"
assert_contains "$(af_task_log dagctl_downstream "dagctl__$partial_run" check_dagctl_result)" "ended partial: $(message_head "$error")" \
  "the downstream task failed with the run's error_message"

# --- A redelivery gets 409 and creates no second DAG run ----------------------------------------
ok_delivery_id=$(printf '%s' "$ok_delivery" | json 'd["id"]')
delivery() { dagctl -o json webhook deliveries shop/default --limit 100 | json "[x for x in d['deliveries'] if x['id'] == '$1'][0]"; }
redelivered() { [ "$(delivery "$ok_delivery_id" | json 'len(d["attempts"])')" -ge 2 ]; }
dagctl webhook redeliver "$ok_delivery_id" >/dev/null
poll "the redelivery to be logged" 60 redelivered
assert_eq "delivered 409" "$(delivery "$ok_delivery_id" | json 'd["status"] + " " + str(d["attempts"][-1]["status_code"])')" \
  "Airflow 2 answers the duplicate dag_run_id with 409, and the delivery counts as delivered"
assert_eq 1 "$(downstream_runs "len([r for r in d['dag_runs'] if r['dag_run_id'] == 'dagctl__$ok_run'])")" "the duplicate created no second DAG run"

# --- Wrong credentials: a final failure with Airflow's answer, and no DAG run ------------------
dagctl job update shop/default --webhook-auth basic --webhook-auth-username dagctl --webhook-auth-password wrong >/dev/null
bad_run=$(trigger shop/default --command 'dbt seed')
wait_for "run $bad_run to end" 120 run_is_terminal "$bad_run" || fail "the seed run did not end"
bad_delivery_done() { dagctl -o json webhook deliveries shop/default | json "[x['status'] for x in d['deliveries'] if x.get('run_id') == '$bad_run'][0]" | grep -qx failed; }
poll "the delivery with a wrong password to fail" 60 bad_delivery_done
bad=$(dagctl -o json webhook deliveries shop/default | json "[x for x in d['deliveries'] if x.get('run_id') == '$bad_run'][0]")
code=$(printf '%s' "$bad" | json 'd["attempts"][-1]["status_code"]')
case "$code" in 401 | 403) pass "a wrong Basic password is refused by Airflow 2 ($code)" ;; *) fail "expected 401 or 403 for a wrong password, got $code: $bad" ;; esac
assert_eq 1 "$(printf '%s' "$bad" | json 'len(d["attempts"])')" "a 4xx is final: no retry"
assert_eq absent "$(af_dag_run_state dagctl_downstream "dagctl__$bad_run")" "and no DAG run was created"
assert_eq 2 "$(downstream_runs 'd["total_entries"]')" "dagctl_downstream ran once per accepted webhook"

# --- Stop: nothing is left running --------------------------------------------------------------
af_dev_stop_and_check
echo "# the Airflow 2 test took $((SECONDS - T0))s"
finish
