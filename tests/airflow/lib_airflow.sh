# shellcheck shell=bash
# Helpers for the Airflow tier: talk to a real Airflow 3 started by scripts/airflow-dev.
# Sourced after tests/integration/lib.sh (fail, pass, json) and after `source DIR/env`
# of the airflow-dev setup (AIRFLOW_URL).

AF_ADMIN_PASSWORD=${AF_ADMIN_PASSWORD:-admin}
AF_TOKEN=""

# af_login: a JWT for the admin user (Airflow 3 accepts nothing else on /api/v2).
af_login() {
  AF_TOKEN=$(curl -fsS --max-time 10 -X POST "$AIRFLOW_URL/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$AF_ADMIN_PASSWORD\"}" | json 'd["access_token"]') ||
    fail "could not log in to Airflow at $AIRFLOW_URL/auth/token"
}

# af_api METHOD PATH [BODY]: calls /api/v2 PATH; sets AF_CODE (the HTTP status) and
# AF_BODY (the answer). Call it directly, not in $(...), or both are lost.
AF_CODE=""
AF_BODY=""
af_api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --max-time 30 -X "$method" -o "$TEST_TMP/af_body" -w '%{http_code}'
    -H "Authorization: Bearer $AF_TOKEN" -H 'Accept: application/json')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  AF_CODE=$(curl "${args[@]}" "$AIRFLOW_URL/api/v2$path") || AF_CODE=000
  AF_BODY=$(cat "$TEST_TMP/af_body" 2>/dev/null || true)
}

# af_get PATH EXPR: GET /api/v2 PATH, which must answer 200; prints EXPR over the JSON (d).
af_get() {
  af_api GET "$1"
  [ "$AF_CODE" = 200 ] || fail "GET $1: HTTP $AF_CODE: $AF_BODY"
  printf '%s' "$AF_BODY" | json "$2"
}

# af_trigger DAG CONF_JSON: starts a DAG run through the REST API; prints its dag_run_id.
af_trigger() {
  af_api POST "/dags/$1/dagRuns" "{\"logical_date\": null, \"conf\": $2}"
  [ "$AF_CODE" = 200 ] || fail "triggering $1: HTTP $AF_CODE: $AF_BODY"
  printf '%s' "$AF_BODY" | json 'd["dag_run_id"]'
}

# af_dag_run_state DAG RUN_ID: the DAG run's state, or "absent".
af_dag_run_state() {
  af_api GET "/dags/$1/dagRuns/$2"
  case "$AF_CODE" in
    200) printf '%s' "$AF_BODY" | json 'd["state"]' ;;
    404) echo absent ;;
    *) fail "GET dagRun $1/$2: HTTP $AF_CODE: $AF_BODY" ;;
  esac
}

af_dag_run_ended() {  # DAG RUN_ID
  case "$(af_dag_run_state "$1" "$2")" in success | failed) return 0 ;; *) return 1 ;; esac
}

# af_ti DAG RUN_ID TASK EXPR: EXPR over the task instance (d).
af_ti() {
  af_get "/dags/$1/dagRuns/$2/taskInstances/$3" "$4"
}

# af_xcom DAG RUN_ID TASK: the task's return_value (JSON for dicts).
af_xcom() {
  af_get "/dags/$1/dagRuns/$2/taskInstances/$3/xcomEntries/return_value" 'd["value"]'
}

# af_task_log DAG RUN_ID TASK: the text of the task's first try's log (its events).
af_task_log() {
  af_api GET "/dags/$1/dagRuns/$2/taskInstances/$3/logs/1?full_content=true"
  [ "$AF_CODE" = 200 ] || fail "task log of $1/$2/$3: HTTP $AF_CODE: $AF_BODY"
  printf '%s' "$AF_BODY" | python3 -c '
import json, sys
d = json.load(sys.stdin)
content = d.get("content")
if isinstance(content, str):
    print(content)
else:
    for e in content or []:
        print(e.get("event", "") if isinstance(e, dict) else e)
        if isinstance(e, dict) and e.get("error_detail"):
            print(json.dumps(e["error_detail"]))
'
}

# poll WHAT SECONDS CMD...: runs CMD once a second until it succeeds; fails the test at the
# deadline. (Each try costs a few processes, so not lib.sh's 50 ms wait_for.)
poll() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${seconds}s waiting for: $what"
    sleep 1
  done
}
