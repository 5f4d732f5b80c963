#!/usr/bin/env bash
# Slack alerts (docs/notifications.md) against a local receiver standing in for Slack's
# incoming webhook: what a failed run posts, default events, retries with the same delivery
# id, the URL kept secret over TCP, durability across kill -9, and refused URLs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"
DAEMON_ARGS=(--dbt "$FAKE_DBT" --listen 127.0.0.1:0 --webhook-retry-delay 1 --webhook-retries 20 --webhook-timeout 2)

# receiver NAME [ARGS...]: starts a receiver recording into $TEST_TMP/NAME; prints its port.
receiver() { start_receiver "$RECEIVER" "$@"; }
request() {  # NAME N EXPR: evaluates EXPR over request N (1-based) bound to r (b: body, h: headers)
  sed -n "${2}p" "$TEST_TMP/$1/requests.jsonl" | python3 -c 'import json,sys; r=json.load(sys.stdin); b=json.loads(r["body"]); h={k.lower(): v for k, v in r["headers"].items()}; v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$3"
}
deliveries() { dagctl -o json webhook deliveries "$1"; }
newest() {  # JOB EXPR over the newest delivery d
  deliveries "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"][0]; v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$2"
}
newest_is() { [ "$(newest "$1" 'd["status"]')" == "$2" ]; }
newest_attempted() { [ "$(newest "$1" 'd["attempt_count"]')" -ge 1 ]; }
api() { curl -sS --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
tcp() {  # TOKEN PATH: GET over TCP
  curl -sS -H "Authorization: Bearer $1" "http://$(http_address)$2"
}

start_daemon "${DAEMON_ARGS[@]}"
fake=$(copy_example fake-project)
pid=$(add_project "$fake" fake)

# --- Refused at configuration: every bad shape is a 400 naming the field ----------------------
jobpath="http://x/api/v1/projects/$pid/jobs/default"
slack_body() { echo "{\"notifications\": [{\"kind\": \"slack\", \"url\": \"$1\"}]}"; }
assert_eq 400 "$(api -X PATCH "$jobpath" -d "$(slack_body http://169.254.169.254/latest/meta-data/)")" "a cloud metadata URL is refused"
assert_contains "$(cat "$TEST_TMP/body")" "notifications[0].url" "the refusal names the field"
assert_eq 400 "$(api -X PATCH "$jobpath" -d "$(slack_body "http://$(http_address)/api/v1/runs")")" "the daemon's own API is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"notifications": [{"kind": "teams", "url": "https://h/x"}]}')" "an unknown kind is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"notifications": [{"kind": "slack", "url": "https://h/x", "events": ["done"]}]}')" "an unknown event is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"notifications": [{"kind": "slack", "url": "https://h/x", "channel": "#a"}]}')" "an extra key is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"notifications": "https://h/x"}')" "a string for the list is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"notifications": [{"kind": "slack", "url": "https://h/x\u0000"}]}')" "a NUL in the URL is refused"
python3 -c 'import json; print(json.dumps({"notifications": [{"kind": "slack", "url": "https://h/" + "a" * 200000}]}))' >"$TEST_TMP/big.json"
assert_eq 400 "$(api -X PATCH "$jobpath" -d @"$TEST_TMP/big.json")" "a 200 KB URL is refused"
six=$(python3 -c 'import json; print(json.dumps({"notifications": [{"kind": "slack", "url": "https://h/%d" % i} for i in range(6)]}))')
assert_eq 400 "$(api -X PATCH "$jobpath" -d "$six")" "more than 5 notifications are refused"
out=$(dagctl job update fake/default --slack http://169.254.169.254/x 2>&1) && fail "the CLI accepted a metadata URL"
assert_contains "$out" "--slack" "the CLI says which flag was refused"
assert_eq '[]' "$(dagctl -o json job show fake/default | json 'd["notifications"]')" "nothing was stored"

# --- A failed run posts one message naming the failed node; 500 then 200 is retried ---------
port=$(receiver slack --answers 500,200)
secret_part="SECRETxyz123"
url="http://127.0.0.1:$port/services/T0001/B0001/$secret_part"
dagctl job create fake --name bad --command 'dbt build --select exit1-only' --slack "$url" >/dev/null
shown=$(dagctl job show fake/bad)
assert_contains "$shown" "slack http://127.0.0.1:$port/services/T0001/B0001/… on failed,partial" "job show prints the URL redacted, with the default events"
assert_not_contains "$shown" "$secret_part" "job show never prints the URL's secret part"
run=$(trigger fake/bad)
wait_status "$run" failed
wait_for "the retried Slack message" 20 has_requests slack 2 || fail "the message was not retried"
assert_eq "/services/T0001/B0001/$secret_part" "$(request slack 2 'r["path"]')" "the message goes to the whole URL"
assert_eq "$(request slack 1 'h["x-dagctl-delivery"]')" "$(request slack 2 'h["x-dagctl-delivery"]')" "the retry has the same delivery id"
assert_eq "application/json" "$(request slack 2 'h["content-type"]')" "the message is JSON"
assert_eq false "$(request slack 2 '"x-dagctl-signature" in h')" "a Slack message is not signed (Slack does not verify)"
assert_contains "$(request slack 2 'b["text"]')" "fake/bad failed: 1 failed node (run $run" "the fallback text says project, job, status and run"
blocks=$(request slack 2 'json.dumps(b["blocks"])')
assert_contains "$blocks" "model.fake.m1" "the message names the failed node"
assert_contains "$blocks" "fake error" "and its first error line"
assert_eq manual "$(request slack 2 '[f["text"].split("\n")[1] for f in b["blocks"][1]["fields"] if f["text"].startswith("*Trigger*")][0]')" "and the trigger"
assert_contains "$blocks" "/#/runs/$run|" "and links the run's page in the web UI"
wait_for "the delivery to be recorded" 10 newest_is fake/bad delivered || fail "the Slack delivery is $(newest fake/bad 'd["status"]')"
assert_eq "slack job.failed 2" "$(newest fake/bad 'd["kind"] + " " + d["event"] + " " + str(d["attempt_count"])')" "the delivery log has it: kind slack, two attempts"
assert_eq 1 "$(deliveries fake/bad | json 'len(d["deliveries"])')" "one delivery for the run"
assert_eq 2 "$(requests slack)" "delivered once (checked again at the end)"
assert_contains "$(dagctl webhook deliveries fake/bad)" "job.failed [slack]" "dagctl webhook deliveries says the kind"

# --- A success run posts nothing with the default events ----------------------------------------
port_quiet=$(receiver quiet)
dagctl job update fake/default --slack "http://127.0.0.1:$port_quiet/services/T/B/quiet" >/dev/null
ok=$(trigger fake/default)
wait_status "$ok" success
assert_eq 0 "$(deliveries fake/default | json 'len(d["deliveries"])')" "a success run owes no Slack message by default"
assert_eq 0 "$(requests quiet)" "and posts nothing"
dagctl job update fake/default --no-slack >/dev/null
assert_eq '[]' "$(dagctl -o json job show fake/default | json 'd["notifications"]')" "--no-slack removes it"

# --- The URL is a secret over TCP ------------------------------------------------------------
read_token=$(dagctl -o json token create --name reader --scope read | json 'd["token"]')
admin_token=$(dagctl -o json token create --name admin --scope admin | json 'd["token"]')
bad_id=$(dagctl -o json job show fake/bad | json 'd["id"]')
for t in "$read_token" "$admin_token"; do
  job=$(tcp "$t" "/api/v1/projects/$pid/jobs/$bad_id")
  assert_contains "$job" "/services/T0001/B0001/…" "a token sees the URL redacted"
  assert_not_contains "$job" "$secret_part" "and never its secret part"
  log=$(tcp "$t" "/api/v1/projects/$pid/jobs/$bad_id/deliveries")
  assert_contains "$log" '"kind":"slack"' "the delivery log over TCP lists the Slack delivery"
  assert_not_contains "$log" "$secret_part" "with its URL redacted"
done
assert_not_contains "$(dagctl -o json webhook deliveries fake/bad)" "$secret_part" "the socket shows it redacted too"
assert_not_contains "$(cat "$TEST_TMP/dagctld.log")" "$secret_part" "the daemon never logs it"
dagctl job update fake/bad --slack "$url/" >/dev/null
assert_not_contains "$(tcp "$read_token" "/api/v1/projects/$pid/jobs/$bad_id")" "$secret_part" "a URL ending in '/' is redacted too"
dagctl job update fake/bad --slack "$url" >/dev/null

# --- Events changed alone keep the URL; a test message reaches it ------------------------------
dagctl job update fake/bad --slack-events failed,completed >/dev/null
assert_eq '["failed", "completed"]' "$(dagctl -o json job show fake/bad | json 'd["notifications"][0]["events"]')" "--slack-events alone changes the events"
test_id=$(dagctl -o json webhook test fake/bad --slack | json 'd["id"]')
wait_for "the test message" 20 has_requests slack 3 || fail "no test message"
assert_eq "$test_id" "$(request slack 3 'h["x-dagctl-delivery"]')" "the test message is the delivery the CLI named"
assert_eq "/services/T0001/B0001/$secret_part" "$(request slack 3 'r["path"]')" "and went to the stored URL, kept through the redacted round trip"
assert_contains "$(request slack 3 'b["text"]')" "test message for fake/bad" "it says it is a test"
assert_eq 409 "$(api -X POST "http://x/api/v1/projects/$pid/jobs/default/webhook/test?kind=slack")" "a job without Slack has nothing to test"

# --- kill -9 with a message owed while Slack is down: delivered once after the restart --------
down_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dagctl job update fake/bad --slack "http://127.0.0.1:$down_port/services/T2/B2/$secret_part" --slack-events failed >/dev/null
run=$(trigger fake/bad)
wait_status "$run" failed
wait_for "a refused attempt" 20 newest_attempted fake/bad || fail "no attempt was made"
assert_eq pending "$(newest fake/bad 'd["status"]')" "a refused connection leaves the message owed"
owed=$(newest fake/bad 'd["id"]')
stop_daemon KILL
receiver back --port "$down_port" >/dev/null
start_daemon "${DAEMON_ARGS[@]}"
wait_for "the owed message after the restart" 20 has_requests back 1 || fail "the owed message was lost"
assert_eq "$owed" "$(request back 1 'h["x-dagctl-delivery"]')" "it is the same delivery"
assert_contains "$(request back 1 'b["text"]')" "$run" "for the run that failed before the crash"
wait_for "delivered" 10 newest_is fake/bad delivered || fail "not recorded as delivered"
assert_eq 1 "$(requests back)" "delivered once"
assert_eq 3 "$(requests slack)" "the earlier messages were not sent again"

finish
