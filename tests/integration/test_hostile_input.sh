#!/usr/bin/env bash
# Hostile input over TCP (with a token) and over the socket: huge and strange request
# fields answer a small 400 naming the field and its cap (docs/limits.md), webhook targets
# and headers are checked (docs/webhooks.md), stored rows that cannot be used fail their
# delivery instead of the daemon, and after each case the daemon still answers.
source "$(dirname "$0")/lib.sh"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"
DAEMON_ARGS=(--dbt "$FAKE_DBT" --listen 127.0.0.1:0 --webhook-retry-delay 0.3 --webhook-timeout 2)

start_daemon "${DAEMON_ARGS[@]}"
BASE="http://$(http_address)"
TOKEN=$(dagctl -o json token create --name hostile --scope admin | json 'd["token"]')
fake=$(copy_example fake-project)
PID=$(add_project "$fake" fake)
JOB=$(dagctl -o json job show fake/default | json 'd["id"]')
JOBPATH="/api/v1/projects/$PID/jobs/$JOB"

# tcp|sock METHOD PATH [BODYFILE]: prints the status code; the answer goes to $TEST_TMP/body.
tcp() {
  curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' ${3:+--data-binary "@$3"} "$BASE$2"
}
sock() {
  curl -sS --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -X "$1" \
    -H 'Content-Type: application/json' ${3:+--data-binary "@$3"} "http://localhost$2"
}
# body_file PYTHON_EXPR: writes json.dumps(EXPR) to a new file and prints its path.
N=0
body_file() {
  N=$((N + 1))
  python3 -c 'import json, sys; print(json.dumps(eval(sys.argv[1])))' "$1" >"$TEST_TMP/req$N.json"
  echo "$TEST_TMP/req$N.json"
}
alive() {
  kill -0 "$DAEMON_PID" 2>/dev/null && [ "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/api/v1/health")" == 200 ]
}
# refused WHAT VIA METHOD PATH EXPR NEEDLE: a 400 whose message holds NEEDLE, under 2 KiB
# (nothing echoed whole), and the daemon answers afterwards.
refused() {
  local what=$1 via=$2 method=$3 path=$4 expr=$5 needle=$6
  assert_eq 400 "$($via "$method" "$path" "$(body_file "$expr")")" "$what: 400"
  assert_contains "$(json 'd["error"]["message"]' <"$TEST_TMP/body")" "$needle" "$what: the message says '$needle'"
  [ "$(wc -c <"$TEST_TMP/body")" -lt 2048 ] || fail "$what: the answer is $(wc -c <"$TEST_TMP/body") bytes"
  pass "$what: the answer is small ($(wc -c <"$TEST_TMP/body") bytes)"
  alive || fail "$what: the daemon no longer answers"
  pass "$what: the daemon is alive"
}

# --- Item 2: a PATCH with a huge webhook_url or header name used to kill the daemon -----
for n in 30000 100000 200000; do
  refused "webhook_url of $n characters" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://h/' + 'a' * $n}" "the limit is 2048"
done
refused "a 200 k host" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://' + 'a' * 200000}" "webhook_url"
refused "a 60 k header name" tcp PATCH "$JOBPATH" "{'webhook_headers': {'X' * 60000: 'v'}}" "the limit is 128"
refused "a 200 k header value" tcp PATCH "$JOBPATH" "{'webhook_headers': {'X-Big': 'v' * 200000}}" "the limit is 4096"
refused "33 headers" tcp PATCH "$JOBPATH" "{'webhook_headers': {'X-H%d' % i: 'v' for i in range(33)}}" "the limit is 32"
refused "the same over the socket" sock PATCH "$JOBPATH" "{'webhook_url': 'http://h/' + 'a' * 200000}" "the limit is 2048"

# --- Item 3's first half: a 200 k token_url is refused at the API -----------------------
refused "a 200 k token_url" tcp PATCH "$JOBPATH" \
  "{'webhook_auth': {'type': 'airflow_jwt', 'token_url': 'http://h/' + 'a' * 200000, 'username': 'a', 'password': 'b'}}" \
  "webhook_auth.token_url"
refused "a 2 KiB username" tcp PATCH "$JOBPATH" "{'webhook_auth': {'type': 'basic', 'username': 'u' * 2048, 'password': 'p'}}" "the limit is 256"

# --- Item 12: reserved and framing headers ------------------------------------------------
for h in Transfer-Encoding Content-Length Host Connection Keep-Alive TE Trailer Upgrade Expect \
  Proxy-Authorization Content-Type X-Dagctl-Event webhook-id; do
  refused "header $h" tcp PATCH "$JOBPATH" "{'webhook_headers': {'$h': 'x'}}" "reserved"
done
refused "CR LF in a header value" tcp PATCH "$JOBPATH" "{'webhook_headers': {'X-Ok': 'a\\r\\nInjected: yes'}}" "line break"
assert_eq 200 "$(tcp PATCH "$JOBPATH" "$(body_file "{'webhook_headers': {'Authorization': 'Basic dXNlcjpwYXNz'}}")")" \
  "Authorization stays allowed (the hosted guide uses it)"

# --- Item 13: where a webhook may point -----------------------------------------------------
refused "cloud metadata" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://169.254.169.254/latest/meta-data/'}" "--allow-webhook-link-local"
refused "link-local IPv6" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://[fe80::1]:8080/'}" "--allow-webhook-link-local"
refused "GCP metadata name" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://metadata.google.internal/computeMetadata/v1/'}" "cloud metadata"
refused "0x7f000001" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://0x7f000001:8080/'}" "dotted decimal"
refused "2130706433" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://2130706433:8080/'}" "it means 127.0.0.1"
refused "127.1" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://127.1:8080/'}" "dotted decimal"
refused "0.0.0.0" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://0.0.0.0:8080/'}" "cannot go there"
refused "the daemon itself" tcp PATCH "$JOBPATH" "{'webhook_url': '$BASE/api/v1/runs'}" "own API"
refused "the daemon as localhost" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://localhost:${BASE##*:}/api/v1/runs'}" "own API"
refused "user:password@" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://u:p@127.0.0.1:8080/'}" "user:password@"
refused "a metadata token_url" tcp PATCH "$JOBPATH" \
  "{'webhook_auth': {'type': 'airflow_jwt', 'token_url': 'http://169.254.169.254/auth/token', 'username': 'a', 'password': 'b'}}" \
  "webhook_auth.token_url"
assert_eq 200 "$(tcp PATCH "$JOBPATH" "$(body_file "{'webhook_url': 'http://127.0.0.1:8080/api/v2/dags/d/dagRuns'}")")" \
  "a receiver on localhost stays allowed"
assert_eq 200 "$(tcp PATCH "$JOBPATH" "$(body_file "{'webhook_url': 'http://192.168.10.20:8080/api/v2/dags/d/dagRuns'}")")" \
  "and one on the LAN"

# --- Item 15: a 200 KB name is not echoed; nor are huge ids, keys or paths --------------------
refused "a 200 KB job name (PATCH)" tcp PATCH "$JOBPATH" "{'name': 'a' * 200000}" "job name"
refused "a 200 KB job name (create)" tcp POST "/api/v1/projects/$PID/jobs" "{'name': 'a' * 200000, 'command': 'dbt build'}" "job name"
refused "a NUL in a name" tcp PATCH "$JOBPATH" "{'name': 'a\\x00b'}" "job name"
refused "U+2028 in a name" tcp PATCH "$JOBPATH" "{'name': 'a\\u2028b'}" "job name"
refused "a 200 KB field name" tcp PATCH "$JOBPATH" "{'a' * 200000: 1}" "unknown field"
refused "a 200 KB schedule" tcp PATCH "$JOBPATH" "{'schedule': '0 3 * * * ' + 'a' * 200000}" "the limit is 256"
refused "a 200 KB time zone" tcp PATCH "$JOBPATH" "{'timezone': 'a' * 200000}" "the limit is 64"
refused "a 200 KB event word" tcp PATCH "$JOBPATH" "{'webhook_events': ['a' * 200000]}" "webhook_events"
refused "2^64-1 seconds" tcp PATCH "$JOBPATH" "{'timeout_seconds': 2**64 - 1}" "between 1 and 604800"
refused "a 200 KB project name" sock POST /api/v1/projects "{'path': '$fake', 'name': 'a' * 200000}" "project name"
refused "a 200 KB project path" sock POST /api/v1/projects "{'path': '/' + 'a' * 200000}" "the limit is 4096"
refused "a 200 KB env value" sock POST /api/v1/projects "{'path': '$fake', 'name': 'envy', 'env': {'X': 'v' * 200000}}" "the limit is 16384"
refused "a 200 KB env name" sock POST /api/v1/projects "{'path': '$fake', 'name': 'envy', 'env': {'X' * 200000: 'v'}}" "env name"
python3 -c 'print("{\"name\": \"" + "a" * 200000)' >"$TEST_TMP/malformed.json"
assert_eq 400 "$(tcp PATCH "$JOBPATH" "$TEST_TMP/malformed.json")" "a 200 KB unterminated string: 400"
assert_contains "$(json 'd["error"]["message"]' <"$TEST_TMP/body")" "malformed JSON" "the message says the JSON is malformed"
[ "$(wc -c <"$TEST_TMP/body")" -lt 1024 ] || fail "the malformed-JSON 400 echoes the body: $(wc -c <"$TEST_TMP/body") bytes"
pass "and does not echo it"
long_id=$(python3 -c 'print("a" * 7000)')
assert_eq 404 "$(tcp GET "/api/v1/runs/$long_id")" "a 7 KB run id: 404"
[ "$(wc -c <"$TEST_TMP/body")" -lt 1024 ] || fail "the 404 echoes the id: $(wc -c <"$TEST_TMP/body") bytes"
pass "and the 404 is small"
assert_eq 404 "$(tcp GET "/api/v1/no/$long_id")" "a 7 KB unknown route: 404"
[ "$(wc -c <"$TEST_TMP/body")" -lt 1024 ] || fail "the route 404 echoes the path: $(wc -c <"$TEST_TMP/body") bytes"
pass "and that 404 is small"
alive || fail "the daemon no longer answers"

# --- Response bodies: at most 1 KiB read and kept ------------------------------------------
big="$TEST_TMP/big"
mkdir -p "$big"
cat >"$big/server.py" <<'EOF'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(8 * 1024 * 1024))
        self.end_headers()
        try:
            for _ in range(8 * 1024):
                self.wfile.write(b"x" * 1024)
        except OSError:
            pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(os.path.join(sys.argv[1], "port"), "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
(python3 "$big/server.py" "$big" >>"$big/log" 2>&1 &)
wait_for "the big receiver" 10 test -s "$big/port" || fail "the big receiver did not start"
dagctl job update fake/default --webhook-url "http://127.0.0.1:$(cat "$big/port")/" --webhook-header '' >/dev/null
dagctl webhook test fake/default >/dev/null
newest() { dagctl -o json webhook deliveries fake/default | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"][0]; print(eval(sys.argv[1]))' "$1"; }
newest_delivered() { [ "$(newest 'd["status"]')" == delivered ]; }
wait_for "the 8 MB answer's delivery" 20 newest_delivered || fail "the delivery to the 8 MB receiver is $(newest 'd["status"]')"
assert_eq 1024 "$(newest 'len(d["attempts"][0]["response"])')" "of an 8 MB answer the delivery log keeps 1 KiB"

# --- A receiver that dribbles its headers: the attempt ends at the deadline ------------------
# The read timeout is per read; a header line every 0.3 s once held an attempt for minutes
# and dagctld's stop with it. Now the request ends at twice --webhook-timeout.
mkdir -p "$TEST_TMP/dribbler"
python3 - "$TEST_TMP/dribbler" <<'EOF' &
import os, socket, sys, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(os.path.join(sys.argv[1], "port.tmp"), "w").write(str(s.getsockname()[1]))
os.rename(os.path.join(sys.argv[1], "port.tmp"), os.path.join(sys.argv[1], "port"))
def serve(c):
    try:
        c.recv(65536); c.sendall(b"HTTP/1.1 200 OK\r\n")
        for i in range(100000): c.sendall(b"X-Drip-%d: y\r\n" % i); time.sleep(0.3)
    except OSError: pass
while True: threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOF
wait_for "the dribbling receiver" 10 test -s "$TEST_TMP/dribbler/port" || fail "the dribbler did not start"
dagctl job create fake --name dribble --command 'dbt build --select exit1-only' \
  --slack "http://127.0.0.1:$(cat "$TEST_TMP/dribbler/port")/services/T/B/drip" >/dev/null
dribble_run=$(trigger fake/dribble)
wait_status "$dribble_run" failed
dribble_attempted() { dagctl -o json webhook deliveries fake/dribble | json 'd["deliveries"][0]["attempt_count"] >= 1' | grep -q true; }
wait_for "the dribbled attempt to end" 15 dribble_attempted || fail "an attempt to a dribbling receiver did not end at the deadline"
assert_contains "$(dagctl -o json webhook deliveries fake/dribble | json 'd["deliveries"][0]["last_error"]')" "no answer in time" \
  "a receiver dribbling its headers ends the attempt at the deadline"
stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "and dagctld stops cleanly after it"
start_daemon "${DAEMON_ARGS[@]}"
BASE="http://$(http_address)"

# --- Item 3: rows an older version or a hand edit left unusable --------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for name in badauth badurl badheaders reserved metadata badbody badjson; do
  dagctl job create fake --name "$name" --command "dbt build" >/dev/null
  dagctl job update fake/$name --webhook-url "http://127.0.0.1:$port/" >/dev/null
done
stop_daemon TERM
python3 - "$DATA/dagctl.db" <<'EOF'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1000)
long = "http://h/" + "a" * 200000
def job(name):
    return db.execute("SELECT id, webhook_url FROM jobs WHERE name = ?", (name,)).fetchone()
def owe(name, url=None, body='{"conf": {"job_run": {"id": "x"}}}'):
    job_id, job_url = job(name)
    db.execute("INSERT INTO deliveries (id, job_id, event, url, body, status, attempts, next_attempt_at, created_at) "
               "VALUES (?, ?, 'job.test', ?, ?, 'pending', 0, ?, ?)", ("dlv_hostile_" + name, job_id, url or job_url, body, now, now))
set_job = lambda name, column, value: db.execute(f"UPDATE jobs SET {column} = ? WHERE name = ?", (value, name))
set_job("badauth", "webhook_auth_json", json.dumps({"type": "airflow_jwt", "token_url": long, "username": "a", "password": "b"}))
owe("badauth")
set_job("badurl", "webhook_url", "http://" + "a" * 200000)
owe("badurl", "http://" + "a" * 200000)
set_job("badheaders", "webhook_headers_json", "[1, 2]")
owe("badheaders")
set_job("reserved", "webhook_headers_json", json.dumps({"Transfer-Encoding": "chunked", "Content-Length": "5"}))
owe("reserved")
set_job("metadata", "webhook_url", "http://169.254.169.254/latest/meta-data/")
owe("metadata", "http://169.254.169.254/latest/meta-data/")
owe("badbody", "http://127.0.0.1:1/moved", body="{not json")
set_job("badjson", "webhook_headers_json", "{not json")
owe("badjson")
db.commit()
EOF
start_daemon "${DAEMON_ARGS[@]}"
BASE="http://$(http_address)"
# Straight from the database: a job row that is not JSON cannot be shown by the API either.
delivery() {  # NAME COLUMN
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT " + sys.argv[3] + " FROM deliveries WHERE id = ?", ("dlv_hostile_" + sys.argv[2],)).fetchone()[0])' \
    "$DATA/dagctl.db" "$1" "$2"
}
delivery_failed() { [ "$(delivery "$1" status)" == failed ]; }
expect_failed() {  # NAME NEEDLE
  wait_for "delivery $1 to fail" 20 delivery_failed "$1" || fail "delivery $1 is $(delivery "$1" status): $(delivery "$1" last_error)"
  assert_contains "$(delivery "$1" last_error)" "$2" "a stored $1 row fails its delivery with a message"
  assert_eq 1 "$(delivery "$1" attempts)" "and it is not retried"
}
expect_failed badauth "webhook_auth.token_url' is 200009 bytes; the limit is 2048"
expect_failed badurl "webhook_url is "
expect_failed badheaders "webhook_headers must be an object"
expect_failed reserved "reserved"
expect_failed metadata "--allow-webhook-link-local"
expect_failed badbody "cannot be sent"
expect_failed badjson "cannot be sent"
[ "$(delivery badauth last_error | wc -c)" -lt 1024 ] || fail "the error echoes the token_url"
pass "the error does not echo the 200 KB token_url"
alive || fail "the daemon died on the stored rows"
pass "the daemon is alive after sending every unusable row"
stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "and stops cleanly"
start_daemon "${DAEMON_ARGS[@]}"
BASE="http://$(http_address)"
alive || fail "the restarted daemon does not answer"
pass "a restart with those rows stored is clean (no crash loop)"

# --- The opt-in: link-local targets with --allow-webhook-link-local ------------------------
stop_daemon TERM
start_daemon "${DAEMON_ARGS[@]}" --allow-webhook-link-local
BASE="http://$(http_address)"
assert_eq 200 "$(tcp PATCH "$JOBPATH" "$(body_file "{'webhook_url': 'http://169.254.169.254:9/hook', 'webhook_enabled': False}")")" \
  "with --allow-webhook-link-local a link-local URL is accepted"
refused "0.0.0.0 even with the opt-in" tcp PATCH "$JOBPATH" "{'webhook_url': 'http://0.0.0.0:8080/'}" "cannot go there"
finish
