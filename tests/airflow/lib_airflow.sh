# shellcheck shell=bash
# Helpers for the Airflow tier: start a real Airflow (3, or 2) and dagctld with
# scripts/airflow-dev, talk to Airflow's REST API, stop it all and check nothing is left.
# Sourced after tests/integration/lib.sh (fail, pass, json, cleanup). After af_dev_start,
# the airflow-dev setup's DIR/env is sourced (AIRFLOW_URL, AIRFLOW_API, DAGCTL_SOCKET, ...).

AF_ADMIN_PASSWORD=${AF_ADMIN_PASSWORD:-admin}
AF_DEV="$DAGCTL_SOURCE_DIR/scripts/airflow-dev"
AF_DIR="$TEST_TMP/airflow-dev"
AF_MAJOR=""
AF_AUTH=()

# af_cleanup: the EXIT trap. Stops what airflow-dev started (its processes rename themselves,
# so lib.sh's cleanup cannot find them), showing its logs if the test failed; then cleanup.
af_cleanup() {
  local rc=$?
  if [ -f "$AF_DIR/pids" ]; then
    if [ $rc -ne 0 ]; then
      local f
      for f in "$AF_DIR"/logs/*.log; do
        echo "--- $f (last 25 lines) ---" >&2
        tail -n 25 "$f" >&2
      done
    fi
    "$AF_DEV" stop --dir "$AF_DIR" --stop-timeout 20 >&2 || true
  fi
  set +e  # (exit $rc) must not end the trap under errexit: it only hands rc to cleanup's $?
  (exit $rc)
  cleanup
}

# af_dev_start MAJOR VARIABLE: scripts/airflow-dev start with the Airflow MAJOR (2 or 3) whose
# airflow executable is in the environment variable VARIABLE, the test's dagctl and dbt;
# sources its env. Sets AF_MAJOR and DATA (dagctld's data dir).
af_dev_start() {
  local major=$1 airflow=${!2:-} setup="scripts/setup-airflow" version t=$SECONDS
  [ "$major" = 3 ] || setup="$setup $major"
  [ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
  [ -x "$airflow" ] || fail "$2 is not set: run scripts/test, or set it to \$($setup)"
  version=$("$(dirname -- "$airflow")/python" -c 'import importlib.metadata as m; print(m.version("apache-airflow"))')
  AF_MAJOR=${version%%.*}
  assert_eq "$major" "$AF_MAJOR" "$2 is an Airflow $major ($version)"
  trap af_cleanup EXIT
  "$AF_DEV" start --exit-with $$ --dir "$AF_DIR" --bin-dir "$DAGCTL_BIN_DIR" --dbt "$DAGCTL_TEST_DBT" --airflow "$airflow" \
    --poke-interval 2 --timeout 300 --stop-timeout 20 >"$TEST_TMP/airflow-dev.out" 2>"$TEST_TMP/airflow-dev.err" ||
    fail "scripts/airflow-dev start failed: $(tail -n 40 "$TEST_TMP/airflow-dev.err")"
  echo "# airflow-dev start took $((SECONDS - t))s"
  assert_contains "$(cat "$TEST_TMP/airflow-dev.out")" "scripts/airflow-dev stop --dir $AF_DIR" "airflow-dev says how to stop it"
  # shellcheck disable=SC1091
  source "$AF_DIR/env"
  # shellcheck disable=SC2034  # read by lib.sh's helpers (http_address)
  DATA="$AF_DIR/dagctl"
  [ -S "$DAGCTL_SOCKET" ] || fail "no dagctl socket at $DAGCTL_SOCKET"
  assert_eq "$DAGCTL_URL" "http://$(http_address)" "dagctld listens where Airflow's connection points"
  assert_contains "$AIRFLOW_CONN_DAGCTL_API" '"Authorization": "Bearer dctl_' "Airflow's dagctl_api connection carries a dctl_ token"
  assert_eq "$AIRFLOW_URL/api/v$((AF_MAJOR - 1))" "$AIRFLOW_API" "Airflow $AF_MAJOR's REST API is /api/v$((AF_MAJOR - 1))"
  af_login
  local dag
  for dag in dagctl_trigger_and_wait dagctl_downstream dagctl_full_loop; do
    assert_eq false "$(af_get "/dags/$dag" 'd["is_paused"]')" "$dag is loaded and unpaused"
  done
  assert_eq 0 "$(af_get /importErrors 'd["total_entries"]')" "the example DAGs import without errors"
}

# af_dev_stop_and_check: scripts/airflow-dev stop, then checks that no process of Airflow,
# dagctld or dbt is left and nothing answers on their ports.
af_dev_stop_and_check() {
  local sessions t=$SECONDS left="" s p
  sessions=$(awk '{print $2}' "$AF_DIR/pids")
  "$AF_DEV" stop --dir "$AF_DIR" --stop-timeout 20 2>>"$TEST_TMP/airflow-dev.err"
  echo "# airflow-dev stop took $((SECONDS - t))s"
  # Every component ran in its own session (Airflow's task runners take process groups of
  # their own, but stay in the session): none of their processes may be left.
  for s in $sessions; do left="$left$(ps -eo pid=,sid=,stat=,args= | awk -v s="$s" '$2 == s && $3 !~ /^Z/')"; done
  assert_eq "" "$left" "airflow-dev stop leaves no process of Airflow or dagctld behind"
  left=""
  for p in $(pids_with_env "DAGCTL_TEST_TMP=$TEST_TMP"); do  # dbt's, say (the listing's own shell is gone)
    [ "$p" != "$$" ] && kill -0 "$p" 2>/dev/null && left="$left $(ps -o pid=,args= -p "$p")"
  done
  assert_eq "" "$left" "no other process of this test is left"
  curl -s --max-time 2 -o /dev/null "$AIRFLOW_URL/health" && fail "Airflow still answers after stop"
  curl -s --max-time 2 -o /dev/null "$DAGCTL_URL/api/v1/health" && fail "dagctld still answers after stop"
  pass "nothing answers on Airflow's and dagctld's ports"
}

# af_login: Airflow 3 accepts only a JWT on /api/v2 (fetched for the admin user); Airflow 2
# takes Basic auth on /api/v1.
af_login() {
  if [ "$AF_MAJOR" = 2 ]; then
    AF_AUTH=(-u "admin:$AF_ADMIN_PASSWORD")
    return 0
  fi
  local token
  token=$(curl -fsS --max-time 10 -X POST "$AIRFLOW_URL/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$AF_ADMIN_PASSWORD\"}" | json 'd["access_token"]') ||
    fail "could not log in to Airflow at $AIRFLOW_URL/auth/token"
  AF_AUTH=(-H "Authorization: Bearer $token")
}

# af_api METHOD PATH [BODY]: calls the REST API's PATH ($AIRFLOW_API: /api/v2 or /api/v1);
# sets AF_CODE (the HTTP status) and AF_BODY (the answer). Call it directly, not in $(...),
# or both are lost.
AF_CODE=""
AF_BODY=""
af_api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --max-time 30 -X "$method" -o "$TEST_TMP/af_body" -w '%{http_code}'
    "${AF_AUTH[@]}" -H 'Accept: application/json')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  AF_CODE=$(curl "${args[@]}" "$AIRFLOW_API$path") || AF_CODE=000
  AF_BODY=$(cat "$TEST_TMP/af_body" 2>/dev/null || true)
}

# af_get PATH EXPR: GET /api/v2 PATH, which must answer 200; prints EXPR over the JSON (d).
af_get() {
  af_api GET "$1"
  [ "$AF_CODE" = 200 ] || fail "GET $1: HTTP $AF_CODE: $AF_BODY"
  printf '%s' "$AF_BODY" | json "$2"
}

# af_trigger DAG CONF_JSON: starts a DAG run through the REST API; prints its dag_run_id.
# (Airflow 3 requires the logical_date key; Airflow 2 chooses one itself.)
af_trigger() {
  local logical='"logical_date": null, '
  [ "$AF_MAJOR" = 2 ] && logical=""
  af_api POST "/dags/$1/dagRuns" "{$logical\"conf\": $2}"
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

# af_xcom DAG RUN_ID TASK: the task's return_value (JSON for dicts). Airflow 2 answers the
# value's Python repr.
af_xcom() {
  af_get "/dags/$1/dagRuns/$2/taskInstances/$3/xcomEntries/return_value" 'd["value"]' | python3 -c '
import ast, json, sys
v = sys.stdin.read().rstrip("\n")
try:
    parsed = ast.literal_eval(v)
    print(json.dumps(parsed) if isinstance(parsed, (dict, list)) else v)
except (ValueError, SyntaxError):
    print(v)
'
}

# message_head TEXT: TEXT's first line up to its first '"': Airflow 3's task log holds an
# exception as JSON, where a quote in dbt's message reads \", so only this much compares.
message_head() {
  local head=${1%%$'\n'*}
  printf '%s' "${head%%\"*}"
}

# af_task_log DAG RUN_ID TASK: the text of the task's first try's log (its events).
af_task_log() {
  af_api GET "/dags/$1/dagRuns/$2/taskInstances/$3/logs/1?full_content=true"
  [ "$AF_CODE" = 200 ] || fail "task log of $1/$2/$3: HTTP $AF_CODE: $AF_BODY"
  printf '%s' "$AF_BODY" | python3 -c '
import ast, json, sys
d = json.load(sys.stdin)
content = d.get("content")
if isinstance(content, str):  # Airflow 2: the repr of [(host, text), ...]
    try:
        print("\n".join(part[1] for part in ast.literal_eval(content)))
    except (ValueError, SyntaxError, TypeError, IndexError):
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
