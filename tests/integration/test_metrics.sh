#!/usr/bin/env bash
# GET /metrics (docs/metrics.md) against a real Prometheus: the daemon with --metrics-listen
# on a free loopback port runs a few runs (success and failed), `promtool check metrics`
# finds nothing wrong in the scrape, a real `prometheus` (Debian's package) scrapes the
# daemon every second through both ways (the metrics listener without a token, the TCP API
# with a read token) and answers a PromQL query with the runs made. Also: /metrics on TCP
# needs a read token, the metrics listener answers nothing but /metrics and refuses a
# non-loopback address, and the Grafana dashboard of examples/grafana uses only metrics
# the daemon exposes. dbt is the stand-in.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
DASHBOARD="$DAGCTL_SOURCE_DIR/examples/grafana/dagctl-dashboard.json"
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps installs Debian's)"
command -v promtool >/dev/null || fail "promtool is not installed (Debian's prometheus package has it)"

# --- the metrics listener is loopback only -----------------------------------------------
rc=0
err=$("$DAGCTL_BIN_DIR/dagctld" --data-dir "$TEST_TMP/other" --socket "$TEST_TMP/other.sock" --listen none \
  --metrics-listen 0.0.0.0:0 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "--metrics-listen 0.0.0.0:0 was accepted"
assert_contains "$err" "--metrics-listen 0.0.0.0:0 is not a loopback address" "a non-loopback --metrics-listen is refused, saying why"
[ ! -e "$TEST_TMP/other.sock" ] && pass "and nothing started" || fail "a refused daemon made its socket"

start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0
API="http://$(http_address)"
METRICS="http://$(json 'd["metrics"]' <"$DATA/dagctld.json")"
case "$METRICS" in http://127.0.0.1:[1-9]*) pass "dagctld.json names the metrics listener ($METRICS)" ;; *) fail "metrics address '$METRICS'" ;; esac

# --- a few runs --------------------------------------------------------------------------
add_project "$(copy_example shop)" shop >/dev/null
runs_settled() { [ "$(dagctl -o json status | json 'd["runs"]["running"] + d["runs"]["queued"]')" == 0 ]; }
ok1=$(trigger shop/default)
ok2=$(trigger shop/default)
bad=$(trigger shop/default --command 'dbt build --select exit1-only')
wait_for "the runs to end" 30 runs_settled || fail "the runs did not end"
assert_eq "success success failed" "$(status_of "$ok1") $(status_of "$ok2") $(status_of "$bad")" "two runs succeeded, one failed"

# --- the scrape ---------------------------------------------------------------------------
curl -sS --fail-with-body -D "$TEST_TMP/head" -o "$TEST_TMP/scrape" "$METRICS/metrics" || fail "GET /metrics on the metrics listener failed"
assert_contains "$(tr -d '\r' <"$TEST_TMP/head")" "Content-Type: text/plain; version=0.0.4" "it answers Prometheus' text format"
scrape=$(cat "$TEST_TMP/scrape")
lint_rc=0
lint=$(promtool check metrics <"$TEST_TMP/scrape" 2>&1) || lint_rc=$?
[ "$lint_rc" -eq 0 ] && [ -z "$lint" ] || { echo "$lint" >&2; fail "promtool check metrics found problems"; }
pass "promtool check metrics finds nothing to say about the scrape"
assert_contains "$scrape" 'dagctl_runs_started_total{project="shop",job_name="default"} 3' "3 runs started"
assert_contains "$scrape" 'dagctl_runs_finished_total{project="shop",job_name="default",status="success"} 2' "2 ended success"
assert_contains "$scrape" 'dagctl_runs_finished_total{project="shop",job_name="default",status="failed"} 1' "1 ended failed"
assert_contains "$scrape" 'dagctl_run_duration_seconds_count{project="shop",job_name="default"} 3' "each run's duration is in the histogram"
assert_contains "$scrape" 'dagctl_run_duration_seconds_bucket{project="shop",job_name="default",le="7200"} 3' "with buckets up to 2 h"
assert_contains "$scrape" 'dagctl_runs_queued{project="shop"} 0' "nothing is queued"
assert_contains "$scrape" 'dagctl_runs_running{project="shop"} 0' "nothing runs"
assert_contains "$scrape" 'dagctl_model_last_success_timestamp_seconds{project="shop",model="m1",unique_id="model.fake.m1"}' \
  "the model the fake built has its last success"
assert_contains "$scrape" 'dagctl_outbox_pending_deliveries{kind="webhook"} 0' "nothing is owed"
assert_contains "$scrape" "dagctl_build_info{version=\"$(dagctl -o json status | json 'd["version"]')\"} 1" "the version"
for name in dagctl_schedule_lag_seconds dagctl_queue_oldest_age_seconds dagctl_outbox_oldest_pending_age_seconds \
  dagctl_delivery_attempts_total dagctl_model_last_success_duration_seconds dagctl_model_series_dropped \
  dagctl_http_connections dagctl_start_time_seconds process_resident_memory_bytes process_start_time_seconds; do
  assert_contains "$scrape" "# TYPE $name " "$name is documented with HELP and TYPE"
done
rss=$(awk '$1 == "process_resident_memory_bytes" { print $2 }' <<<"$scrape")
[ "${rss:-0}" -gt 1000000 ] && pass "resident memory is read from /proc ($rss bytes)" || fail "process_resident_memory_bytes '$rss'"

# --- who may read it ----------------------------------------------------------------------
READ_TOKEN=$(dagctl -o json token create --name prometheus --scope read | json 'd["token"]')
code=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' "$API/metrics")
assert_eq 401 "$code" "GET /metrics on the TCP API without a token is 401"
code=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -H "Authorization: Bearer dctl_not_a_token" "$API/metrics")
assert_eq 401 "$code" "and with a wrong token"
code=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $READ_TOKEN" "$API/metrics")
assert_eq 200 "$code" "with a read token it is 200"
assert_contains "$(cat "$TEST_TMP/body")" "# TYPE dagctl_runs_finished_total counter" "the same metrics"
assert_contains "$(curl -sS --fail-with-body --unix-socket "$SOCK" http://dagctl/metrics)" \
  "# TYPE dagctl_runs_started_total counter" "the socket serves /metrics too"
for path in / /api/v1/health /api/v1/runs /metrics/ /ui/; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$METRICS$path")
  assert_eq 404 "$code" "the metrics listener answers $path with 404"
done
for method in POST PUT DELETE PATCH; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X "$method" "$METRICS/metrics")
  assert_eq 404 "$code" "and $method /metrics with 404"
done

# --- the Grafana dashboard ----------------------------------------------------------------
exposed=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' <<<"$scrape" | sort -u)
python3 - "$DASHBOARD" "$exposed" <<'EOF' || fail "examples/grafana/dagctl-dashboard.json is not right"
import json, re, sys
board = json.load(open(sys.argv[1], encoding="utf-8"))
exposed = set(sys.argv[2].split())
variables = [v for v in board.get("templating", {}).get("list", []) if v.get("type") == "datasource"]
assert variables and variables[0].get("query") == "prometheus", "no Prometheus datasource variable"
exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", []) if "expr" in t]
assert len(exprs) >= 5, f"only {len(exprs)} queries"
used = set()
for e in exprs:
    for name in re.findall(r"\b((?:dagctl|process)_[a-z_]+)", e):
        base = re.sub(r"_(bucket|sum|count)$", "", name)  # a histogram's series
    used.add(name if name in exposed else base)
missing = sorted(used - exposed)
assert not missing, f"metrics the daemon does not expose: {missing}"
print(f"{len(exprs)} queries over {len(used)} metrics")
EOF
pass "the Grafana dashboard is valid JSON with a datasource variable, and uses only exposed metrics"

# --- a real Prometheus scrapes it ----------------------------------------------------------
PROM="$TEST_TMP/prometheus"
mkdir -p "$PROM/data"
echo -n "$READ_TOKEN" >"$PROM/token"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat >"$PROM/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dagctl
    static_configs:
      - targets: ["${METRICS#http://}"]
  - job_name: dagctl-api
    authorization:
      type: Bearer
      credentials_file: $PROM/token
    static_configs:
      - targets: ["${API#http://}"]
EOF
promtool check config "$PROM/prometheus.yml" >/dev/null || fail "promtool refuses the test's config"
PROM_PORT=$(free_port)
prometheus --config.file "$PROM/prometheus.yml" --storage.tsdb.path "$PROM/data" \
  --web.listen-address "127.0.0.1:$PROM_PORT" >"$PROM/log" 2>&1 &
PROM_PID=$!
PROM_URL="http://127.0.0.1:$PROM_PORT"
targets_up() {
  [ "$(curl -sS "$PROM_URL/api/v1/targets" | json '[t["health"] for t in d["data"]["activeTargets"]] == ["up", "up"]')" == true ]
}
wait_for "prometheus to see both targets up" 60 targets_up || {
  curl -sS "$PROM_URL/api/v1/targets" >&2
  tail -20 "$PROM/log" >&2
  fail "the targets are not up"
}
pass "prometheus scrapes the metrics listener and the TCP API with a read token"
query() {  # PROMQL: the value of a one-sample answer
  curl -sS --fail-with-body -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" |
    json 'd["data"]["result"][0]["value"][1] if d["data"]["result"] else None'
}
answers() { [ "$(query "$1")" == "$2" ]; }
wait_for "prometheus to answer 2 successful runs" 30 answers 'sum(dagctl_runs_finished_total{job="dagctl", status="success"})' 2 ||
  fail "sum of successful runs: $(query 'sum(dagctl_runs_finished_total{job="dagctl", status="success"})')"
pass "PromQL: sum(dagctl_runs_finished_total{status=\"success\"}) is the 2 runs made"
assert_eq 1 "$(query 'sum(dagctl_runs_finished_total{job="dagctl-api", status="failed"})')" "and the failed one, through the API's scrape"
assert_eq 3 "$(query 'sum(dagctl_run_duration_seconds_count{job="dagctl"})')" "the duration histogram has the 3 runs"
age=$(query 'time() - max(dagctl_model_last_success_timestamp_seconds{job="dagctl", model="m1"})')
python3 -c "import sys; a = float(sys.argv[1]); sys.exit(0 if 0 <= a < 300 else 1)" "$age" &&
  pass "seconds since the model's last success: $age" || fail "seconds since the last success: $age"
kill "$PROM_PID"
wait "$PROM_PID" || true
pass "prometheus stopped"
finish
