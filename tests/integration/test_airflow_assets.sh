#!/usr/bin/env bash
# Per-model Airflow 3 asset events (docs/airflow.md#per-model-assets) from real dbt runs of
# the example project to a fake Airflow 3 (fake_airflow.py): off by default; a run that
# built fct_sales posts its asset event with the JWT and the run in the extra, after a 500
# (retried); a run that selected another model posts none for fct_sales, and its model,
# which no DAG is scheduled on, fails its delivery for good with the reason.
source "$(dirname "$0")/lib.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"

FCT=dbt://shop/model.shop.fct_sales
mkdir -p "$TEST_TMP/airflow"
# fct_sales_v2 contains fct_sales: the lookup must pick the exact URI among the matches.
python3 "$DAGCTL_SOURCE_DIR/tests/integration/fake_airflow.py" --dir "$TEST_TMP/airflow" \
  --assets "${FCT}_v2,$FCT" --answers 500,200 >>"$TEST_TMP/airflow/log" 2>&1 &
wait_for "fake Airflow" 10 test -s "$TEST_TMP/airflow/port" || fail "the fake Airflow did not start"
AIRFLOW="http://127.0.0.1:$(cat "$TEST_TMP/airflow/port")"
events() { [ -f "$TEST_TMP/airflow/events.jsonl" ] && wc -l <"$TEST_TMP/airflow/events.jsonl" || echo 0; }
event() {  # N EXPR over event N (1-based) bound to e
  sed -n "${1}p" "$TEST_TMP/airflow/events.jsonl" | python3 -c 'import json,sys; e=json.load(sys.stdin); v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$2"
}
# asset_deliveries RUN EXPR: EXPR over the list of the run's airflow_asset deliveries (ds).
asset_deliveries() {
  dagctl -o json webhook deliveries shop/default --limit 100 |
    python3 -c 'import json,sys; ds=[d for d in json.load(sys.stdin)["deliveries"] if d["kind"]=="airflow_asset" and d["run_id"]==sys.argv[1]]; v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}
deliveries_settled() {  # RUN: every asset delivery of the run is delivered or failed
  [ "$(asset_deliveries "$1" 'all(d["status"] != "pending" for d in ds)')" == true ]
}

start_daemon --webhook-retry-delay 0.3 --webhook-timeout 2 --webhook-retries 2
shop=$(copy_example shop)
pid=$(add_project "$shop" shop --dbt "$DAGCTL_TEST_DBT" --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")

# --- The field: checked like webhook_url, off by default ------------------------------
api() { curl -sS --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
jobpath="http://x/api/v1/projects/$pid/jobs/default"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"airflow_assets_url": "ftp://example.com"}')" "a non-http airflow_assets_url is refused"
assert_eq 400 "$(api -X PATCH "$jobpath" -d "{\"airflow_assets_url\": \"$AIRFLOW/api/v2\"}")" "an /api/v2 URL is refused"
assert_contains "$(cat "$TEST_TMP/body")" "base URL" "and the message says to give the base URL"
assert_eq 400 "$(api -X PATCH "$jobpath" -d '{"airflow_assets_url": 8080}')" "a number is refused"
assert_eq null "$(dagctl -o json job show shop/default | json 'd["airflow_assets_url"]')" "asset events are off by default"

first=$(trigger shop/default)
wait_status "$first" success 180
assert_eq 0 "$(asset_deliveries "$first" 'len(ds)')" "a run of a job without airflow_assets_url owes no asset event"

# --- On, with the webhook's JWT --------------------------------------------------------
DAGCTL_WEBHOOK_AUTH_PASSWORD=admin dagctl job update shop/default --airflow-assets "$AIRFLOW" \
  --webhook-auth airflow_jwt --webhook-auth-token-url "$AIRFLOW/auth/token" --webhook-auth-username admin >/dev/null
assert_eq "$AIRFLOW" "$(dagctl -o json job show shop/default | json 'd["airflow_assets_url"]')" "--airflow-assets sets airflow_assets_url"

# A run that builds another model: no event for fct_sales; stg_books has no DAG on it.
other=$(trigger shop/default --select stg_books)
wait_status "$other" success 120
wait_for "the stg_books delivery to settle" 20 deliveries_settled "$other" || fail "asset deliveries of $other still pending"
assert_eq 1 "$(asset_deliveries "$other" 'len(ds)')" "a run that built one model owes one asset event"
assert_eq failed "$(asset_deliveries "$other" 'ds[0]["status"]')" "an asset no DAG is scheduled on fails its delivery"
assert_eq "no asset dbt://shop/model.shop.stg_books in Airflow: no DAG is scheduled on it" \
  "$(asset_deliveries "$other" 'ds[0]["last_error"]')" "and the delivery log says why"
assert_eq 1 "$(asset_deliveries "$other" 'ds[0]["attempt_count"]')" "without retries"
assert_eq "asset.updated" "$(asset_deliveries "$other" 'ds[0]["event"]')" "its event is asset.updated"
assert_eq 0 "$(events)" "no asset event reached Airflow"

# A run that builds fct_sales: its event, after one 500.
built=$(trigger shop/default --select fct_sales)
wait_status "$built" success 120
wait_for "the fct_sales delivery to settle" 20 deliveries_settled "$built" || fail "asset deliveries of $built still pending"
assert_eq delivered "$(asset_deliveries "$built" 'ds[0]["status"]')" "the fct_sales asset event is delivered"
assert_eq "[500, 200]" "$(asset_deliveries "$built" '[a["status_code"] for a in ds[0]["attempts"]]')" "after a 500, retried"
assert_eq 2 "$(events)" "Airflow got the event twice (the 500, then the 200)"
assert_eq "$FCT" "$(event 2 'e["uri"]')" "the event is fct_sales' asset, not the one whose URI contains it"
assert_eq true "$(event 2 'e["authorization"].startswith("Bearer ")')" "with the webhook's JWT"
assert_eq "$built" "$(event 2 'e["extra"]["dagctl_run_id"]')" "the extra names the dagctl run"
assert_eq '"shop"."main"."fct_sales"' "$(event 2 'e["extra"]["relation_name"]')" "and the relation dbt built"
assert_eq "default shop model.shop.fct_sales success" \
  "$(event 2 '" ".join([e["extra"]["job"], e["extra"]["project"], e["extra"]["unique_id"], e["extra"]["status"]])')" \
  "and the job, project, node and status"
assert_eq true "$(event 2 'e["extra"]["execution_time"] > 0')" "and how long the model took"

# Off again: no more deliveries.
dagctl job update shop/default --airflow-assets off >/dev/null
assert_eq null "$(dagctl -o json job show shop/default | json 'd["airflow_assets_url"]')" "--airflow-assets off clears it"
again=$(trigger shop/default --select fct_sales)
wait_status "$again" success 120
assert_eq 0 "$(asset_deliveries "$again" 'len(ds)')" "a run after --airflow-assets off owes none"
finish
