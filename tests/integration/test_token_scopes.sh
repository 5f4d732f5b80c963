#!/usr/bin/env bash
# Token scopes over real TCP with real tokens (docs/api.md, "Token scopes"): every route
# declares its scope; a read, trigger and admin token can each do exactly their routes and
# get a 403 naming both scopes otherwise; the default scope runs the product page's
# trigger + poll; the receivers' answers in the delivery log are for admin tokens and the
# socket only. Also the logs route's input checks (offset, follow) and its cap on
# followers: 40 clients following a run over TCP do not stop a trigger and a status poll
# from answering within a second. dbt is the stand-in.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"

start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0
BASE="http://$(http_address)"
ORG_ID=$(dagctl -o json org show | json 'd["id"]')
P=$(add_project "$(copy_example shop)" shop)
J=$(dagctl -o json job show shop/default | json 'd["id"]')

a() { if [ "$1" == admin ]; then echo "an $1"; else echo "a $1"; fi; }  # SCOPE: "a read", "an admin"

# --- tokens of each scope ------------------------------------------------------------------
declare -A TOKEN
for s in read trigger admin; do
  created=$(dagctl -o json token create --name "scope-$s" --scope "$s")
  assert_eq "$s" "$(echo "$created" | json 'd["scope"]')" "token create --scope $s makes $(a "$s") token"
  TOKEN[$s]=$(echo "$created" | json 'd["token"]')
done
created=$(dagctl -o json token create --name airflow)
assert_eq trigger "$(echo "$created" | json 'd["scope"]')" "a token made without --scope is a trigger token"
DEFAULT_TOKEN=$(echo "$created" | json 'd["token"]')
listing=$(dagctl token list)
assert_contains "$(echo "$listing" | head -1)" "SCOPE" "token list has a SCOPE column"
assert_eq "read trigger admin trigger" "$(echo "$listing" | awk 'NR > 1 { printf "%s%s", sep, $3; sep = " " }')" \
  "token list shows each token's scope"
err=$(dagctl token create --name bad --scope owner 2>&1) && fail "--scope owner was accepted"
assert_contains "$err" "read" "token create refuses an unknown scope, listing the valid ones"
code=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST http://dagctl/api/v1/tokens \
  -H "Content-Type: application/json" -d '{"name": "x", "scope": "root"}')
assert_eq 400 "$code" "POST /api/v1/tokens with an unknown scope is 400"
assert_contains "$(cat "$TEST_TMP/body")" "field 'scope' must be" "naming the field"
assert_eq '["admin", "read", "trigger"]' \
  "$(dagctl -o json token list | json 'sorted({t["scope"] for t in d["tokens"]})')" "GET /api/v1/tokens shows scopes"

# --- every route declares its scope: the server's table is the one documented ----------
expected_routes="DELETE /api/v1/projects/{id}/jobs/{job_id} admin
GET /api/v1/health read
GET /api/v1/org read
GET /api/v1/projects read
GET /api/v1/projects/{id} read
GET /api/v1/projects/{id}/jobs read
GET /api/v1/projects/{id}/jobs/{job_id} read
GET /api/v1/projects/{id}/jobs/{job_id}/deliveries read
GET /api/v1/projects/{id}/nodes/{unique_id}/history read
GET /api/v1/runs read
GET /api/v1/runs/{run_id} read
GET /api/v1/runs/{run_id}/artifacts read
GET /api/v1/runs/{run_id}/artifacts/{path} read
GET /api/v1/runs/{run_id}/logs read
GET /api/v1/runs/{run_id}/nodes read
GET /api/v1/ui/session read
GET /metrics read
PATCH /api/v1/projects/{id}/jobs/{job_id} admin
POST /api/v1/deliveries/{delivery_id}/redeliver admin
POST /api/v1/projects/{id}/jobs admin
POST /api/v1/projects/{id}/jobs/{job_id}/trigger trigger
POST /api/v1/projects/{id}/jobs/{job_id}/webhook/test admin
POST /api/v1/runs/{run_id}/cancel trigger
POST /api/v1/runs/{run_id}/retry trigger"
server_routes=$(curl -sS --fail-with-body --unix-socket "$SOCK" http://dagctl/api/v1/routes | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["routes"], key=lambda r: (r["method"], r["path"])):
    # pages and /login take no token; /metrics does (docs/metrics.md)
    if not r["local_only"] and (r["path"].startswith("/api/") or r["path"] == "/metrics"):
        print(r["method"], r["path"], r["scope"])')
assert_eq "$expected_routes" "$server_routes" "GET /api/v1/routes names each TCP route's scope, as this test expects"

# --- fixtures: finished runs, a failed one, held ones, jobs to delete, a webhook --------
call() {  # SCOPE METHOD PATH [BODY]: prints the status code; the answer is in $TEST_TMP/body
  local args=(-sS -o "$TEST_TMP/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer ${TOKEN[$1]}")
  [ -z "${4-}" ] || args+=(-H "Content-Type: application/json" -d "$4")
  curl "${args[@]}" "$BASE$3"
}
body() { cat "$TEST_TMP/body"; }
can() {  # SCOPE CODE METHOD PATH [BODY]
  local code
  code=$(call "$1" "$3" "$4" "${5-}")
  [ "$code" == "$2" ] || fail "$(a "$1") token: $3 $4 answered $code, expected $2: $(body)"
  pass "$(a "$1") token may $3 ${4#/api/v1} ($2)"
}
cannot() {  # SCOPE NEEDED METHOD PATH [BODY]
  local code
  code=$(call "$1" "$3" "$4" "${5-}")
  [ "$code" == 403 ] || fail "$(a "$1") token: $3 $4 answered $code, expected 403: $(body)"
  assert_contains "$(body)" "needs a token with scope '$2'; this token's scope is '$1'" \
    "$(a "$1") token may not $3 ${4#/api/v1} (403 naming '$2' and '$1')"
}

runs_settled() { [ "$(dagctl -o json status | json 'd["runs"]["running"] + d["runs"]["queued"]')" == 0 ]; }
RUN=$(trigger shop/default)
FAILED=$(trigger shop/default --command 'dbt build --select exit1-only')
wait_for "the fixture runs to end" 20 runs_settled || fail "the fixture runs did not end"
assert_eq "success failed" "$(status_of "$RUN") $(status_of "$FAILED")" "a finished and a failed run to read and retry"
declare -A HELD
for s in trigger admin; do
  HELD[$s]=$(trigger shop/default --command 'dbt build --select hold')
  dagctl job create shop --name "doomed-$s" --command 'dbt build' >/dev/null
done
mkdir -p "$TEST_TMP/hook"
python3 "$RECEIVER" --dir "$TEST_TMP/hook" >>"$TEST_TMP/hook/log" 2>&1 &
wait_for "the webhook receiver" 10 test -s "$TEST_TMP/hook/port" || fail "the webhook receiver did not start"
port=$(cat "$TEST_TMP/hook/port")
dagctl job update shop/default --webhook-enabled true --webhook-url "http://127.0.0.1:$port/hook" >/dev/null
dagctl webhook test shop/default >/dev/null
delivered() {  # every delivery of the job is delivered (none pending or failed)
  [ "$(curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" |
    json 'all(x["status"] == "delivered" for x in d["deliveries"])')" == true ]
}
wait_for "the test webhook to be delivered" 20 delivered || fail "the test webhook was not delivered"
DELIVERY=$(curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/projects/$P/jobs/$J/deliveries?limit=1" |
  json 'd["deliveries"][0]["id"]')

# --- read: every GET, nothing else -------------------------------------------------------
for s in read trigger admin; do
  can "$s" 200 GET /api/v1/org
  can "$s" 200 GET /api/v1/projects
  can "$s" 200 GET "/api/v1/projects/$P"
  can "$s" 200 GET "/api/v1/projects/$P/jobs"
  can "$s" 200 GET "/api/v1/projects/$P/jobs/$J"
  can "$s" 200 GET /api/v1/runs
  can "$s" 200 GET "/api/v1/runs/$RUN"
  can "$s" 200 GET "/api/v1/runs/$RUN/logs"
  can "$s" 200 GET "/api/v1/runs/$RUN/artifacts"
  can "$s" 200 GET "/api/v1/runs/$RUN/artifacts/run_results.json"
  can "$s" 200 GET "/api/v1/projects/$P/jobs/$J/deliveries"
  can "$s" 200 GET /metrics
done

# --- trigger: also trigger, cancel and retry ---------------------------------------------
cannot read trigger POST "/api/v1/projects/$P/jobs/$J/trigger"
cannot read trigger POST "/api/v1/projects/$P/jobs/$J/trigger" '{"command_override": "dbt build --select exit2"}'
cannot read trigger POST "/api/v1/runs/${HELD[trigger]}/cancel"
cannot read trigger POST "/api/v1/runs/$FAILED/retry"
case "$(status_of "${HELD[trigger]}")" in queued | running) pass "the refused cancel left the run alone" ;; *) fail "run ${HELD[trigger]} is $(status_of "${HELD[trigger]}")" ;; esac
runs_before=$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')
for s in trigger admin; do
  can "$s" 200 POST "/api/v1/projects/$P/jobs/$J/trigger" '{"command_override": "dbt build --select stg_books+"}'
  can "$s" 200 POST "/api/v1/runs/${HELD[$s]}/cancel"
  can "$s" 200 POST "/api/v1/runs/$FAILED/retry"
done
assert_eq $((runs_before + 4)) "$(dagctl -o json runs --limit 1000 | json 'len(d["runs"])')" \
  "the allowed triggers and retries queued 4 runs; the refused ones none"

# --- admin: also jobs and webhooks -------------------------------------------------------
for s in read trigger; do
  cannot "$s" admin POST "/api/v1/projects/$P/jobs" "{\"name\": \"made-by-$s\", \"command\": \"dbt build\"}"
  cannot "$s" admin PATCH "/api/v1/projects/$P/jobs/$J" '{"webhook_url": "http://127.0.0.1:9/elsewhere"}'
  cannot "$s" admin DELETE "/api/v1/projects/$P/jobs/doomed-$s"
  cannot "$s" admin POST "/api/v1/projects/$P/jobs/$J/webhook/test"
  cannot "$s" admin POST "/api/v1/deliveries/$DELIVERY/redeliver"
done
assert_eq "http://127.0.0.1:$port/hook" "$(dagctl -o json job show shop/default | json 'd["webhook_url"]')" \
  "the refused PATCHes changed nothing"
assert_eq "[]" "$(curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/projects/$P/jobs" |
  json '[j["name"] for j in d["jobs"] if j["name"].startswith("made-by")]')" "the refused creates made no job"
dagctl job show shop/doomed-trigger >/dev/null || fail "a refused DELETE deleted the job"
pass "the refused DELETEs deleted nothing"
can admin 201 POST "/api/v1/projects/$P/jobs" '{"name": "made-by-admin", "command": "dbt build"}'
can admin 200 PATCH "/api/v1/projects/$P/jobs/made-by-admin" '{"timeout_seconds": 600}'
can admin 204 DELETE "/api/v1/projects/$P/jobs/doomed-admin"
can admin 202 POST "/api/v1/projects/$P/jobs/$J/webhook/test"
can admin 202 POST "/api/v1/deliveries/$DELIVERY/redeliver"
wait_for "the runs to end" 20 runs_settled || fail "the runs did not end"
wait_for "every webhook to be delivered" 20 delivered || fail "a webhook was not delivered"
# Local-only routes are no scope's: 404 over TCP even for admin.
for s in read trigger admin; do
  code=$(call "$s" GET /api/v1/tokens)
  assert_eq 404 "$code" "local-only routes do not exist over TCP for $(a "$s") token either"
done

# --- the receivers' answers are for admin tokens and the socket ----------------------------
responses() {  # SCOPE: the response of every attempt of the job's deliveries, as JSON
  call "$1" GET "/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" >/dev/null
  body | json '[a["response"] for x in d["deliveries"] for a in x["attempts"]]'
}
assert_contains "$(responses admin)" '{\"answer\": 200}' "an admin token reads the receiver's answer in the delivery log"
call admin GET "/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" >/dev/null
assert_contains "$(body | json 'd["deliveries"][0]["request_body"]')" '"event"' "and the request body each attempt sent"
for s in read trigger; do
  assert_eq "[]" "$(responses "$s" | json '[r for r in d if r is not None]')" "$(a "$s") token gets null for every answer"
  call "$s" GET "/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" >/dev/null
  assert_eq "[]" "$(body | json '[x["request_body"] for x in d["deliveries"] if x["request_body"] is not None]')" "$(a "$s") token gets null for every request body"
  mine=$(body | json '[{k: v for k, v in x.items() if k not in ("attempts", "request_body")} for x in d["deliveries"]]')
  call admin GET "/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" >/dev/null
  admins=$(body | json '[{k: v for k, v in x.items() if k not in ("attempts", "request_body")} for x in d["deliveries"]]')
  assert_eq "$admins" "$mine" "and everything else of the deliveries is as an admin token sees it ($s)"
done
socket_answers=$(curl -sS --unix-socket "$SOCK" "http://dagctl/api/v1/projects/$P/jobs/$J/deliveries?limit=1000" |
  json '[a["response"] for x in d["deliveries"] for a in x["attempts"] if a["response"]]')
assert_contains "$socket_answers" "answer" "the socket (dagctl webhook deliveries) reads the answers too"

# --- the product page with the default scope: trigger, then poll the run ------------------
code=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -X POST "$BASE/api/v1/projects/${P}/jobs/${J}/trigger" \
  -H "Authorization: Bearer ${DEFAULT_TOKEN}" \
  -H "X-Organization-ID: ${ORG_ID}" \
  -H "Content-Type: application/json" \
  -d '{"command_override": "dbt build --select +book_revenue"}')
assert_eq 200 "$code" "the product page's trigger works with a default-scope token"
PAGE_RUN=$(body | json 'd["job_run_id"]')
sensor_done() {
  local s
  s=$(curl -sS "$BASE/api/v1/runs/$PAGE_RUN" -H "Authorization: Bearer $DEFAULT_TOKEN" -H "X-Organization-ID: $ORG_ID" |
    json 'd["status"]')
  case "$s" in success | partial | failed | error | cancelled) return 0 ;; *) return 1 ;; esac
}
wait_for "the page's sensor to see run $PAGE_RUN end" 20 sensor_done || fail "the sensor never saw the run end"
assert_eq success "$(status_of "$PAGE_RUN")" "and its poll sees the run succeed"

# --- logs: offset and follow are checked ---------------------------------------------------
call read GET "/api/v1/runs/$RUN/logs" >/dev/null
log_size=$(wc -c <"$TEST_TMP/body")
for bad in -5 +5 18446744073709551616 9223372036854775808 1e3 "" 0x10 "%205"; do
  code=$(call read GET "/api/v1/runs/$RUN/logs?offset=$bad")
  [ "$code" == 400 ] || fail "offset=$bad answered $code: $(body | head -c 300)"
  assert_contains "$(body)" "'offset' must be a whole number of bytes from 0 to 9223372036854775807" "offset=$bad is 400"
done
code=$(call read GET "/api/v1/runs/$RUN/logs?offset=9223372036854775807")
assert_eq "200 0" "$code $(wc -c <"$TEST_TMP/body")" "offset=2^63-1 (past the end) answers nothing"
code=$(call read GET "/api/v1/runs/$RUN/logs?offset=$((log_size + 5))")
assert_eq "200 0" "$code $(wc -c <"$TEST_TMP/body")" "an offset past the end answers nothing"
code=$(call read GET "/api/v1/runs/$RUN/logs?offset=5")
assert_eq "200 $((log_size - 5))" "$code $(wc -c <"$TEST_TMP/body")" "offset=5 skips 5 bytes"
code=$(call read GET "/api/v1/runs/$RUN/logs?offset=9223372036854775807&follow=true")
assert_eq "200 0" "$code $(wc -c <"$TEST_TMP/body")" "following a finished run from past its end ends at once, empty"
for bad in yes 1 TRUE ""; do
  code=$(call read GET "/api/v1/runs/$RUN/logs?follow=$bad")
  assert_eq 400 "$code" "follow=$bad is 400"
  assert_contains "$(body)" "'follow' must be true or false" "naming the parameter"
done
code=$(call read GET "/api/v1/runs/$RUN/logs?follow=false")
assert_eq "200 $log_size" "$code $(wc -c <"$TEST_TMP/body")" "follow=false reads the whole log"

# --- followers cannot starve triggers and status polls -------------------------------------
HOLD=$(trigger shop/default --command 'dbt build --select hold')
wait_started "$HOLD"
follow_log_many 40 "$BASE/api/v1/runs/$HOLD/logs?follow=true" -H "Authorization: Bearer ${TOKEN[read]}"
streaming=$(followers_answered 200)
refused=$(followers_answered 503)
assert_eq "32 8" "$streaming $refused" "32 followers stream over TCP; the rest get 503"
refused_head=$(cat "$(grep -l '^HTTP/1.1 503' "$TEST_TMP"/followers/*.head | head -1)")
assert_contains "$refused_head" "Retry-After: 5" "the 503 says when to retry"
refused_body=$(cat "$(grep -l '^HTTP/1.1 503' "$TEST_TMP"/followers/*.head | head -1 | sed 's/head$/out/')")
assert_contains "$refused_body" "too_many_followers" "and why, as JSON"
# One bounded attempt each, while 32 followers hold their threads.
read -r code secs <<<"$(curl -sS -o "$TEST_TMP/body" -w '%{http_code} %{time_total}' --max-time 10 -X POST \
  -H "Authorization: Bearer $DEFAULT_TOKEN" "$BASE/api/v1/projects/$P/jobs/$J/trigger")"
assert_eq 200 "$code" "a trigger answers while 40 clients follow a log"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$secs" || fail "the trigger took ${secs}s"
pass "within 1 s (${secs}s)"
read -r code secs <<<"$(curl -sS -o "$TEST_TMP/body" -w '%{http_code} %{time_total}' --max-time 10 \
  -H "Authorization: Bearer $DEFAULT_TOKEN" "$BASE/api/v1/runs/$HOLD")"
assert_eq "200 running" "$code $(body | json 'd["status"]')" "a status poll answers while 40 clients follow a log"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$secs" || fail "the poll took ${secs}s"
pass "within 1 s (${secs}s)"
assert_eq running "$(status_of "$HOLD")" "the Unix socket answers too"
# The run ends: every stream ends with it, and the places are free again.
release "$HOLD"
followers_done() {
  local pid
  for pid in "${FOLLOWERS[@]}"; do gone "$pid" || return 1; done
}
wait_for "every follower's stream to end" 20 followers_done || fail "a follower's stream did not end with the run"
pass "every follower's stream ended with the run"
assert_contains "$(cat "$(grep -l '^HTTP/1.1 200' "$TEST_TMP"/followers/*.head | head -1 | sed 's/head$/out/')")" \
  "fake dbt" "the streaming followers got the run's log"
code=$(call read GET "/api/v1/runs/$HOLD/logs?follow=true")
assert_eq 200 "$code" "after the run, following works again (the places were given back)"

kill -0 "$DAEMON_PID" || fail "dagctld died"
pass "dagctld is alive"
finish
