#!/usr/bin/env bash
# Webhooks (docs/webhooks.md) against real local receivers: signatures on a real dbt run's
# webhook, events, retries, Airflow shapes and JWT, durability across kill -9, HTTPS.
source "$(dirname "$0")/lib.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"
DAEMON_ARGS=(--dbt "$FAKE_DBT" --listen 127.0.0.1:0 --webhook-retry-delay 0.3 --webhook-timeout 2)

# receiver NAME [ARGS...]: starts a receiver recording into $TEST_TMP/NAME; prints its port.
receiver() { start_receiver "$RECEIVER" "$@"; }
request() {  # NAME N EXPR: evaluates EXPR over request N (1-based) bound to r
  sed -n "${2}p" "$TEST_TMP/$1/requests.jsonl" | python3 -c 'import json,sys; r=json.load(sys.stdin); b=json.loads(r["body"]); h={k.lower(): v for k, v in r["headers"].items()}; v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$3"
}
delivery_status() {  # JOB EXPR over the newest delivery d
  dagctl -o json webhook deliveries "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"][0]; v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$2"
}
# signatures_verify NAME N SECRET: "True True" when request N's X-Dagctl-Signature and
# webhook-signature both verify with SECRET.
signatures_verify() {
  sed -n "${2}p" "$TEST_TMP/$1/requests.jsonl" | python3 -c '
import base64, hashlib, hmac, json, sys
secret = sys.argv[1]
r = json.load(sys.stdin)
h = {k.lower(): v for k, v in r["headers"].items()}
body = r["body"].encode()
github = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
key = base64.b64decode(secret[len("whsec_"):])
signed = (h["webhook-id"] + "." + h["webhook-timestamp"] + ".").encode() + body
standard = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
print(hmac.compare_digest(github, h["x-dagctl-signature"]), hmac.compare_digest(standard, h["webhook-signature"]))
' "$3"
}
newest_delivery_is() { [ "$(delivery_status "$1" 'd["status"]')" == "$2" ]; }
set_hook() {  # JOB URL [EVENTS]
  dagctl job update "$1" --webhook-enabled true --webhook-url "$2" --webhook-events "${3:-}" >/dev/null
}

start_daemon "${DAEMON_ARGS[@]}"
real=$(copy_example real)
add_project "$real" real --dbt "$DAGCTL_TEST_DBT" --env "SHOP_DUCKDB_PATH=$TEST_TMP/real.duckdb" >/dev/null
fake=$(copy_example fake-project)
add_project "$fake" fake >/dev/null

# --- PATCH validation ------------------------------------------------------------------
api() { curl -sS --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
pid=$(dagctl -o json project show fake | json 'd["id"]')
jobpath="http://x/api/v1/projects/$pid/jobs/default"
for header in '{"Content-Type": "text/plain"}' '{"X-Dagctl-Event": "x"}' '{"webhook-id": "x"}' '{"Host": "evil"}' \
  '{"bad name": "x"}' '{"X-Ok": "a\r\nInjected: yes"}' '{"X-Ok": "line\nbreak"}'; do
  assert_eq 400 "$(api -X PATCH "$jobpath" -d "{\"webhook_headers\": $header}")" "PATCH refuses webhook_headers $header"
done
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_url": "ftp://example.com/x"}')" "a non-http URL is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_events": ["done"]}')" "an unknown event word is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_auth": {"type": "airflow_jwt", "token_url": "http://x/auth/token", "username": "a"}}')" "airflow_jwt without a password is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_auth": {"type": "basic", "username": "a:b", "password": "c"}}')" "a basic username with ':' is refused"
assert_contains "$(cat "$TEST_TMP/body")" "must not contain ':'" "and the message says why"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_auth": {"type": "basic", "username": "a", "password": "c", "token_url": "http://x"}}')" "basic takes no token_url"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"webhook_auth": {"type": "digest", "username": "a", "password": "c"}}')" "an unknown auth type is refused"

# --- A real dbt run's webhook: every header and field, both signatures ------------------
port=$(receiver main)
set_hook real/default "http://127.0.0.1:$port/hooks/dbt?source=dagctl"
dagctl job update real/default --webhook-header 'Authorization: Basic dXNlcjpwYXNzd29yZA==' --webhook-header 'X-Team: data' >/dev/null
secret=$(dagctl webhook secret real/default)
case "$secret" in whsec_????????????????????????????????????????????) pass "the secret is whsec_ + base64 of 32 bytes" ;; *) fail "secret $secret" ;; esac
job_json=$(dagctl -o json job show real/default)
assert_not_contains "$job_json" "$secret" "the job never shows its secret"
tcp_token=$(dagctl -o json token create --name hooks | json 'd["token"]')
assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tcp_token" \
  "http://$(http_address)/api/v1/projects/$(dagctl -o json project show real | json 'd["id"]')/jobs/default/webhook/secret")" \
  "the secret route does not exist over TCP"
assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(dagctl -o json token create --name rotate --scope admin | json 'd["token"]')" \
  "http://$(http_address)/api/v1/projects/$(dagctl -o json project show real | json 'd["id"]')/jobs/default/webhook/secret/rotate")" \
  "nor does rotating it, even for an admin token"
assert_eq "$secret" "$(dagctl webhook secret real/default)" "and the secret is unchanged"
run=$(trigger real/default --command 'dbt build --select +book_revenue')
wait_for "the real run's webhook" 180 has_requests main 1
assert_eq success "$(run_field "$run" 'd["status"]')" "the real dbt run succeeded"
assert_eq "/hooks/dbt?source=dagctl" "$(request main 1 'r["path"]')" "the webhook goes to the configured path and query"
assert_eq "application/json" "$(request main 1 'h["content-type"]')" "Content-Type is JSON"
assert_eq "dagctl/0.1.0" "$(request main 1 'h["user-agent"]')" "User-Agent is dagctl/<version>"
assert_eq "job.completed" "$(request main 1 'h["x-dagctl-event"]')" "X-Dagctl-Event is job.completed"
assert_eq "Basic dXNlcjpwYXNzd29yZA==" "$(request main 1 'h["authorization"]')" "custom headers are merged"
assert_eq "data" "$(request main 1 'h["x-team"]')" "every custom header is sent"
delivery=$(request main 1 'h["x-dagctl-delivery"]')
assert_eq "$delivery" "$(request main 1 'h["webhook-id"]')" "webhook-id is the delivery id"
assert_eq "True True" "$(signatures_verify main 1 "$secret")" "X-Dagctl-Signature and webhook-signature both verify with the secret"
assert_eq "$run" "$(request main 1 'b["conf"]["job_run"]["id"]')" "the body names the run"
assert_eq "success job.completed manual" "$(request main 1 'b["conf"]["job_run"]["status"] + " " + b["conf"]["event"] + " " + b["conf"]["job_run"]["triggered_by"]')" "status, event and trigger are in the body"
assert_eq '["conf"]' "$(request main 1 'sorted(b)')" "a non-Airflow URL gets exactly the seed's shape"
assert_eq '["event", "job", "job_run", "organization", "project", "timestamp"]' "$(request main 1 'sorted(b["conf"])')" "conf has the seed's keys"
assert_eq '["command_override", "duration_seconds", "end_time", "error_message", "id", "nothing_selected", "results", "start_time", "status", "triggered_by"]' \
  "$(request main 1 'sorted(b["conf"]["job_run"])')" "job_run has the seed's keys plus results and nothing_selected"
assert_eq false "$(request main 1 'b["conf"]["job_run"]["nothing_selected"]')" "a run that built nodes has nothing_selected false"
assert_eq "dbt build --select +book_revenue" "$(request main 1 'b["conf"]["job_run"]["command_override"]')" "the override is in the body"
assert_eq "real dbt dbt build" "$(request main 1 'b["conf"]["project"]["name"] + " " + b["conf"]["project"]["type"] + " " + b["conf"]["job"]["command"]')" "project and job are in the body"
assert_eq "$(dagctl -o json org show | json 'd["id"]')" "$(request main 1 'b["conf"]["organization"]["id"]')" "the organization is in the body"
assert_eq true "$(request main 1 'b["conf"]["job_run"]["results"]["success"] >= 7 and b["conf"]["job_run"]["error_message"] is None')" "results and a null error_message"
wait_for "the delivery to be recorded" 10 newest_delivery_is real/default delivered
assert_eq "$delivery 1 200" "$(delivery_status real/default 'd["id"] + " " + str(d["attempt_count"]) + " " + str(d["attempts"][0]["status_code"])')" "the delivery log has the attempt"
old_secret=$secret
set_hook real/default "http://127.0.0.1:$port/other"
assert_not_contains "$(dagctl webhook secret real/default)" "$old_secret" "a new URL gets a new secret"

# --- Events and their names (stand-in dbt) -----------------------------------------------
port=$(receiver events)
set_hook fake/default "http://127.0.0.1:$port/" failed,partial,cancelled
ok_run=$(trigger fake/default)
wait_for "the success run" 20 run_is_terminal "$ok_run"
partial_run=$(trigger fake/default --select exit1-mixed)
failed_run=$(trigger fake/default --select exit1-only)
error_run=$(trigger fake/default --select exit2)
wait_for "three webhooks" 20 has_requests events 3
held=$(trigger fake/default --select hold)
wait_for "the held run to start" 20 run_has_status "$held" running
dagctl cancel "$held" >/dev/null
wait_for "four webhooks" 20 has_requests events 4
assert_eq "$partial_run job.partial" "$(request events 1 'b["conf"]["job_run"]["id"] + " " + h["x-dagctl-event"]')" "partial sends job.partial"
assert_eq "$failed_run job.failed" "$(request events 2 'b["conf"]["job_run"]["id"] + " " + h["x-dagctl-event"]')" "failed sends job.failed"
assert_eq "$error_run job.failed error" "$(request events 3 'b["conf"]["job_run"]["id"] + " " + h["x-dagctl-event"] + " " + b["conf"]["job_run"]["status"]')" "error sends job.failed"
assert_eq "$held job.cancelled" "$(request events 4 'b["conf"]["job_run"]["id"] + " " + h["x-dagctl-event"]')" "cancelled sends job.cancelled"
assert_eq 4 "$(dagctl -o json webhook deliveries fake/default | json 'len(d["deliveries"])')" "a success with events [failed,partial,cancelled] owed nothing"
assert_eq 4 "$(requests events)" "and nothing was sent for it"

# --- Retries: 500 then 200; 400 is final; a hang times out and is retried; 429 ----------
retry_case() {  # NAME ANSWERS EXPECTED_REQUESTS EXPECTED_STATUS WHAT
  local port run
  port=$(receiver "$1" --answers "$2" --hang-seconds 5)
  set_hook fake/default "http://127.0.0.1:$port/"
  run=$(trigger fake/default --select exit2)
  wait_for "$5" 30 newest_delivery_is fake/default "$4"
  assert_eq "$3" "$(requests "$1")" "$5: $3 request(s)"
  assert_eq "$3" "$(delivery_status fake/default 'd["attempt_count"]')" "$5: $3 attempt(s) logged"
  if [ "$3" -gt 1 ]; then
    assert_eq "$(request "$1" 1 'h["x-dagctl-delivery"]')" "$(request "$1" 2 'h["x-dagctl-delivery"]')" "$5: the same delivery id on every attempt"
  fi
}
retry_case r500 500,200 2 delivered "500 then 200"
assert_eq 500 "$(delivery_status fake/default 'd["attempts"][0]["status_code"]')" "the failed attempt's status is logged"
assert_contains "$(delivery_status fake/default 'd["attempts"][0]["response"]')" '"answer": 500' "and the start of its response"
retry_case r400 400 1 failed "400 is final"
retry_case r500x 500,500,500 2 failed "two 500s end it (one retry)"
retry_case hang hang,200 2 delivered "a hang times out and is retried"
assert_contains "$(delivery_status fake/default 'd["attempts"][0]["error"]')" "no answer" "the timeout is logged"
retry_case r429 429,200 2 delivered "429 is retried after Retry-After"

# --- Manual resend and test event --------------------------------------------------------
port=$(receiver manual)
set_hook fake/default "http://127.0.0.1:$port/"
dagctl webhook test fake/default >/dev/null
wait_for "the test event" 10 has_requests manual 1
assert_eq "job.test" "$(request manual 1 'h["x-dagctl-event"]')" "webhook test sends job.test"
test_id=$(request manual 1 'h["x-dagctl-delivery"]')
dagctl webhook redeliver "$test_id" >/dev/null
wait_for "the resend" 10 has_requests manual 2
assert_eq "$test_id" "$(request manual 2 'h["x-dagctl-delivery"]')" "a resend keeps the delivery id"

# --- A fixed URL: a failed delivery resent goes to the new URL, as the job signs now ------
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
set_hook fake/default "http://127.0.0.1:$closed_port/api/v1/dags/typo/dagRuns"
run=$(trigger fake/default)
wait_for "the delivery to the wrong port to fail" 20 newest_delivery_is fake/default failed
typo_id=$(delivery_status fake/default 'd["id"]')
port=$(receiver fixed)
set_hook fake/default "http://127.0.0.1:$port/hooks/dbt"
dagctl webhook redeliver "$typo_id" >/dev/null
wait_for "the resend to the fixed URL" 10 has_requests fixed 1
assert_eq "$typo_id /hooks/dbt" "$(request fixed 1 'h["x-dagctl-delivery"] + " " + r["path"]')" "a resend after the URL was fixed goes to the new URL, same delivery id"
assert_eq "True True" "$(signatures_verify fixed 1 "$(dagctl webhook secret fake/default)")" "signed with the new URL's secret"
assert_eq "[\"conf\"] $run" "$(request fixed 1 'json.dumps(sorted(b)) + " " + b["conf"]["job_run"]["id"]')" "the Airflow dag_run_id of the old URL is dropped for the plain new one"
wait_for "the resend to count as delivered" 10 newest_delivery_is fake/default delivered
assert_eq "http://127.0.0.1:$port/hooks/dbt" "$(delivery_status fake/default 'd["url"]')" "the delivery log shows the URL it went to"

# --- Basic auth: sent on every attempt, replacing a custom header; the password never shown --
port=$(receiver basic)
set_hook fake/default "http://127.0.0.1:$port/hooks"
rc=0
err=$(dagctl job update fake/default --webhook-auth basic --webhook-auth-username dagctl 2>&1) || rc=$?
assert_eq 2 "$rc" "--webhook-auth basic without a password is a usage error"
assert_contains "$err" "DAGCTL_WEBHOOK_AUTH_PASSWORD" "and says where the password goes"
DAGCTL_WEBHOOK_AUTH_PASSWORD='s3cret:with colon' dagctl job update fake/default --webhook-header 'Authorization: Bearer stale' \
  --webhook-auth basic --webhook-auth-username dagctl >/dev/null
shown=$(dagctl -o json job show fake/default)
assert_eq '{"type": "basic", "username": "dagctl"}' "$(printf '%s' "$shown" | json 'json.dumps(d["webhook_auth"])')" "webhook_auth basic shows its type and user"
assert_not_contains "$shown" "s3cret" "and never its password"
run=$(trigger fake/default)
wait_for "the basic-auth webhook" 20 has_requests basic 1
assert_eq "Basic $(printf '%s' 'dagctl:s3cret:with colon' | base64 -w0)" "$(request basic 1 'h["authorization"]')" \
  "each attempt carries Authorization: Basic base64(user:password), in place of the custom header"
dagctl job update fake/default --webhook-auth none --webhook-header '' >/dev/null

# --- Airflow: v1 and v2 shapes, 409 = delivered, JWT --------------------------------------
port=$(receiver airflow2 --answers 200,409)
set_hook fake/default "http://127.0.0.1:$port/api/v1/dags/downstream/dagRuns"
run=$(trigger fake/default)
wait_for "the v1 webhook" 20 has_requests airflow2 1
assert_eq "dagctl__$run" "$(request airflow2 1 'b["dag_run_id"]')" "Airflow 2 (/api/v1): dag_run_id is dagctl__<run id>"
assert_eq '["conf", "dag_run_id"]' "$(request airflow2 1 'sorted(b)')" "Airflow 2: no logical_date"
dagctl webhook redeliver "$(request airflow2 1 'h["x-dagctl-delivery"]')" >/dev/null
wait_for "the redelivery" 10 has_requests airflow2 2
wait_for "409 to count as delivered" 10 newest_delivery_is fake/default delivered
assert_eq 409 "$(delivery_status fake/default 'd["attempts"][-1]["status_code"]')" "Airflow's 409 (already triggered) counts as delivered"

port=$(receiver airflow3 --answers 401,200,200)
set_hook fake/default "http://127.0.0.1:$port/api/v2/dags/downstream/dagRuns"
dagctl job update fake/default --webhook-auth airflow_jwt --webhook-auth-token-url "http://127.0.0.1:$port/auth/token" \
  --webhook-auth-username admin --webhook-auth-password admin >/dev/null
assert_not_contains "$(dagctl -o json job show fake/default)" '"password"' "the Airflow password is never shown"
assert_eq airflow_jwt "$(dagctl -o json job show fake/default | json 'd["webhook_auth"]["type"]')" "webhook_auth shows its type"
run=$(trigger fake/default)
wait_for "the v2 webhook" 20 has_requests airflow3 2
assert_eq "dagctl__$run" "$(request airflow3 2 'b["dag_run_id"]')" "Airflow 3 (/api/v2): dag_run_id"
assert_eq '["conf", "dag_run_id", "logical_date"]' "$(request airflow3 2 'sorted(b) if b["logical_date"] is None else b')" "Airflow 3: logical_date is null and nothing else is added"
assert_contains "$(request airflow3 2 'h["authorization"]')" "Bearer " "the JWT is sent as a bearer token"
assert_eq 2 "$(wc -l <"$TEST_TMP/airflow3/token-requests")" "a 401 made the daemon fetch a new token once"
run=$(trigger fake/default)
wait_for "a second v2 webhook" 20 has_requests airflow3 3
assert_eq 2 "$(wc -l <"$TEST_TMP/airflow3/token-requests")" "the token is cached until it expires"
dagctl job update fake/default --webhook-auth none >/dev/null

# --- kill -9 with a webhook in flight: delivered after restart, same id ------------------
port=$(receiver crash --answers hang,200 --hang-seconds 60)
set_hook fake/default "http://127.0.0.1:$port/"
run=$(trigger fake/default)
wait_for "the first attempt to arrive" 20 has_requests crash 1
stop_daemon KILL
start_daemon "${DAEMON_ARGS[@]}"
wait_for "the delivery after restart" 20 has_requests crash 2
assert_eq "$(request crash 1 'h["x-dagctl-delivery"]')" "$(request crash 2 'h["x-dagctl-delivery"]')" "the restarted daemon resends with the same delivery id"
assert_eq "$run" "$(request crash 2 'b["conf"]["job_run"]["id"]')" "for the same run"
wait_for "delivered" 10 newest_delivery_is fake/default delivered
assert_eq 1 "$(delivery_status fake/default 'd["attempt_count"]')" "one attempt completed: the one after the restart"

# --- SIGTERM keeps a pending webhook pending -----------------------------------------------
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
set_hook fake/default "http://127.0.0.1:$closed_port/"
stop_daemon TERM
start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0 --webhook-retry-delay 60
run=$(trigger fake/default)
wait_for "the first failed attempt" 20 bash -c "[ \"\$('$DAGCTL_BIN_DIR/dagctl' -o json webhook deliveries fake/default | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"deliveries\"][0][\"attempt_count\"])')\" == 1 ]"
assert_eq pending "$(delivery_status fake/default 'd["status"]')" "a refused connection leaves the delivery pending for its retry"
stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "the daemon stops with a webhook pending"
start_daemon "${DAEMON_ARGS[@]}"
assert_eq pending "$(delivery_status fake/default 'd["status"]')" "and it is still pending after the restart"

# --- HTTPS: trusted only with the extra CA -------------------------------------------------
tls="$TEST_TMP/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dagctl test CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
  -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
port=$(receiver https --tls "$tls/server.pem" "$tls/server.key")
set_hook fake/default "https://127.0.0.1:$port/"
run=$(trigger fake/default)
wait_for "the untrusted HTTPS delivery to fail" 20 newest_delivery_is fake/default failed
assert_contains "$(delivery_status fake/default 'd["last_error"]')" "certificate" "an unknown CA is a logged, final error"
assert_eq 1 "$(delivery_status fake/default 'd["attempt_count"]')" "and is not retried"
assert_eq 0 "$(requests https)" "nothing reached the receiver"
stop_daemon TERM
start_daemon "${DAEMON_ARGS[@]}" --webhook-ca-file "$tls/ca.pem"
run=$(trigger fake/default)
wait_for "the trusted HTTPS delivery" 20 has_requests https 1
assert_eq "$run" "$(request https 1 'b["conf"]["job_run"]["id"]')" "with --webhook-ca-file the HTTPS receiver gets the webhook"
finish
