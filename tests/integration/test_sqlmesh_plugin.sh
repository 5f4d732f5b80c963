#!/usr/bin/env bash
# Checks daemon/runner/sqlmesh/dagctl_sqlmesh.py against real SQLMesh on copies of
# examples/sqlmesh: the JSON lines, run_results.json and plan.json it writes (the shapes
# dagctl reads from dbt, docs/runs.md) and that its exit code is SQLMesh's own.
# The sqlmesh is $DAGCTL_TEST_SQLMESH (scripts/setup-sqlmesh prints it; CTest passes it); the
# suite is skipped (exit 77) without one. test_sqlmesh.sh covers what dagctl makes of it.
set -euo pipefail

sqlmesh=${DAGCTL_TEST_SQLMESH:-}
if [[ ! -x $sqlmesh ]]; then
  echo "SKIP: DAGCTL_TEST_SQLMESH ('$sqlmesh') is not an executable sqlmesh: run scripts/test, or configure with -DDAGCTL_TEST_SQLMESH=\$(scripts/setup-sqlmesh)"
  exit 77
fi
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
plugin=$root/daemon/runner/sqlmesh/dagctl_sqlmesh.py
example=$root/examples/sqlmesh
python=$(sed -n '1s/^#!//p' "$sqlmesh")  # as dagctld: the interpreter of sqlmesh's #! line
[[ -x $python ]] || { echo "no interpreter in $sqlmesh's #! line" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sqlmesh-check.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
export NO_COLOR=1 TERM=dumb
unset DAGCTL_EXAMPLE_FAIL_MODEL DAGCTL_EXAMPLE_FAIL_AUDIT DAGCTL_EXAMPLE_WARN_AUDIT \
  DAGCTL_EXAMPLE_SLOW_SECONDS SQLMESH_GATEWAY 2>/dev/null || true
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# copy_project NAME [FROM]: a copy of the example (or of another copy, state included).
copy_project() {
  local from=${2:-$example}
  cp -r -- "$from" "$work/$1"
  [[ -n ${2:-} ]] || rm -rf -- "$work/$1/data/"*.duckdb "$work/$1/.cache" "$work/$1/logs"
}

# with_plugin PROJECT OUT [VAR=VALUE...] -- ARGS: the plugin as dagctld runs it; exit code in OUT/rc.
with_plugin() {
  local project=$1 out=$2; shift 2
  local vars=(); while [[ $1 != -- ]]; do vars+=("$1"); shift; done; shift
  mkdir -p "$out/target"
  (cd "$work/$project" && env "${vars[@]}" DAGCTL_SQLMESH_LOG="$out/log.jsonl" \
    DAGCTL_SQLMESH_TARGET="$out/target" DAGCTL_RUN_ID=check \
    "$python" /proc/self/fd/3 "$@" 3<"$plugin" </dev/null >"$out/output.log" 2>&1) && rc=0 || rc=$?
  echo "$rc" >"$out/rc"
}

# plain PROJECT [VAR=VALUE...] -- ARGS: plain sqlmesh; prints its exit code.
plain() {
  local project=$1; shift
  local vars=(); while [[ $1 != -- ]]; do vars+=("$1"); shift; done; shift
  (cd "$work/$project" && env "${vars[@]}" "$sqlmesh" "$@" </dev/null >/dev/null 2>&1) && echo 0 || echo $?
}

cat >"$work/expect.py" <<'EOF'
# expect.py OUT KEY=VALUE...: asserts what the plugin wrote to OUT.
#   rc=N which=W success=true|false count=N main_error=yes|no applied=true|false unfinished=UID
#   node:<unique_id>=<status>  message:<unique_id>=<text it contains>  nodes=N
import json, os, sys

out, checks = sys.argv[1], sys.argv[2:]
problems = []
lines = [json.loads(l) for l in open(os.path.join(out, "log.jsonl"))]
names = [l["info"]["name"] for l in lines]
ids = {l["info"]["invocation_id"] for l in lines}
rr = json.load(open(os.path.join(out, "target", "run_results.json")))
finished, started = {}, []
for l in lines:
    info = l["info"]
    for key in ("name", "ts", "thread", "invocation_id"):
        if key not in info:
            problems.append(f"line without info.{key}: {l}")
    if info["name"] == "NodeStart":
        node = l["data"]["node_info"]
        if node["unique_id"] in started:
            problems.append(f"two NodeStart for {node['unique_id']}")
        started.append(node["unique_id"])
    elif info["name"] == "NodeFinished":
        node, result = l["data"]["node_info"], l["data"]["run_result"]
        uid = node["unique_id"]
        if uid not in started:
            problems.append(f"NodeFinished before NodeStart: {uid}")
        if uid in finished:
            problems.append(f"two NodeFinished for {uid}")
        if node.get("node_status") != result["status"] or not node.get("node_finished_at"):
            problems.append(f"node_info of {uid} lacks its status/finish: {node}")
        prefix = {"model": "model.", "audit": "audit.", "unit_test": "unit_test."}[node["resource_type"]]
        if not uid.startswith(prefix) or uid[len(prefix):] != node["node_name"]:
            problems.append(f"unique_id/node_name mismatch: {node}")
        for key in ("execution_time", "message", "thread", "adapter_response"):
            if key not in result:
                problems.append(f"run_result of {uid} lacks {key}")
        finished[uid] = result
if names[:1] != ["MainReportVersion"] or names[-1:] != ["CommandCompleted"]:
    problems.append(f"first/last lines: {names[:1]} / {names[-1:]}")
if len(ids) != 1 or rr["metadata"]["invocation_id"] not in ids:
    problems.append("invocation ids differ")
# A model a SIGINT cut short stays unfinished (dagctl records it `interrupted`): unfinished=UID.
unfinished = {c.partition("=")[2] for c in checks if c.startswith("unfinished=")}
if set(started) - set(finished) != unfinished:
    problems.append(f"started but not finished: {set(started) - set(finished)}, expected {unfinished or '{}'}")
checks = [c for c in checks if not c.startswith("unfinished=")]
by_id = {r["unique_id"]: r for r in rr["results"]}
for uid, result in finished.items():
    r = by_id.get(uid)
    if r is None or r["status"] != result["status"]:
        problems.append(f"run_results.json disagrees on {uid}: {r}")
    elif not r["timing"] or r["timing"][0]["name"] != "execute" or not r["timing"][0]["completed_at"]:
        problems.append(f"run_results.json timing of {uid}: {r['timing']}")
if len(by_id) != len(finished):
    problems.append("run_results.json has other nodes than the log")
counts = [l["data"]["node_count"] for l in lines if l["info"]["name"] == "ConcurrencyLine"]

for check in checks:
    key, _, want = check.partition("=")
    if key == "rc":
        got = open(os.path.join(out, "rc")).read().strip()
    elif key == "which":
        got = rr["args"]["which"]
    elif key == "success":
        got = str(lines[-1]["data"].get("success")).lower()
    elif key == "count":
        got = str(counts[-1] if counts else None)
    elif key == "nodes":
        got = str(len(finished))
    elif key == "main_error":
        got = "yes" if "MainEncounteredError" in names else "no"
    elif key == "applied":
        plan_path = os.path.join(out, "target", "plan.json")
        got = str(json.load(open(plan_path))["applied"]).lower() if os.path.exists(plan_path) else "no plan.json"
    elif key.startswith("node:"):
        got = finished.get(key[5:], {}).get("status", "absent")
    elif key.startswith("message:"):
        message = finished.get(key[8:], {}).get("message") or ""
        got = want if want in message else message
    elif key.startswith("failures:"):
        got = str(finished.get(key[9:], {}).get("num_failures"))
    else:
        problems.append(f"unknown check {key}")
        continue
    if got != want:
        problems.append(f"{key}: want {want!r}, got {got!r}")
print("\n".join(problems))
sys.exit(1 if problems else 0)
EOF

# expect NAME OUT CHECKS...
expect() {
  local name=$1 out=$2; shift 2
  local problems
  if problems=$("$python" "$work/expect.py" "$out" "$@" 2>&1); then
    pass "$name"
  else
    fail "$name: $problems (output: $out/output.log)"
    sed 's/^/    /' "$out/output.log" | tail -20 >&2
  fi
}

# same_rc NAME OUT PLAIN_RC
same_rc() {
  local got; got=$(cat "$2/rc")
  [[ $got == "$3" ]] && pass "$1: exit code $got as plain sqlmesh" || fail "$1: plugin exited $got, plain sqlmesh $3"
}

models=(daily_orders daily_sales flour_deliveries flour_stock orders oven_readings product_totals products top_products)
run_models=(daily_orders daily_sales flour_deliveries flour_stock oven_readings product_totals top_products)
all_success() { local m; for m in "$@"; do printf 'node:model.bakery.%s=success ' "$m"; done; }

# --- plan on a fresh copy: success, plan.json -------------------------------------------------
copy_project fresh
with_plugin fresh "$work/o-plan" -- plan --auto-apply --no-prompts
expect "plan: success" "$work/o-plan" rc=0 which=plan success=true count=9 nodes=9 main_error=no \
  applied=true $(all_success "${models[@]}")
"$python" - "$work/o-plan/target/plan.json" <<'EOF' && pass "plan.json" || fail "plan.json"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["environment"] == "prod" and p["applied"] is True, p
assert len(p["added"]) == 9 and "bakery.daily_sales" in p["added"], p["added"]
assert p["removed"] == [] and p["indirectly_modified"] == [] and p["metadata_updated"] == [], p
backfill = {b["model"]: b["intervals"] for b in p["backfill"]}
assert backfill["bakery.product_totals"] == "full refresh", backfill
assert backfill["bakery.top_products"] == "recreate view", backfill
assert " - " in backfill["bakery.daily_orders"], backfill
EOF

# --- a base with three days left for `run` (README.md: plan --execution-time) ------------------
copy_project base
(cd "$work/base" && "$sqlmesh" plan --auto-apply --no-prompts --execution-time '3 days ago' \
  </dev/null >"$work/base-plan.log" 2>&1) || { fail "base plan"; cat "$work/base-plan.log" >&2; exit 1; }
# (test_sqlmesh.sh runs the other outcomes through dagctld: failed, warn, nothing to do.)
for twin in run-ok run-partial run-partial-plain run-audit run-cancel run-cancel-plain audit audit-fail \
    audit-fail-plain test test-fail test-fail-plain janitor; do
  copy_project "$twin" "$work/base"
done

with_plugin run-ok "$work/o-run" -- run
expect "run: success" "$work/o-run" rc=0 which=run success=true count=7 nodes=7 main_error=no \
  $(all_success "${run_models[@]}")

with_plugin run-partial "$work/o-partial" DAGCTL_EXAMPLE_FAIL_MODEL=1 -- run
expect "run: partial" "$work/o-partial" rc=1 success=false nodes=7 main_error=no \
  node:model.bakery.flour_deliveries=error node:model.bakery.flour_stock=skipped \
  "message:model.bakery.flour_deliveries=delivery feed is down" \
  $(all_success daily_orders daily_sales oven_readings product_totals top_products)
same_rc "run: partial" "$work/o-partial" "$(plain run-partial-plain DAGCTL_EXAMPLE_FAIL_MODEL=1 -- run)"

with_plugin run-audit "$work/o-audit-blocking" DAGCTL_EXAMPLE_FAIL_AUDIT=1 -- run --select-model bakery.daily_sales
expect "run: blocking audit fails" "$work/o-audit-blocking" rc=1 success=false nodes=2 \
  node:model.bakery.daily_orders=success node:model.bakery.daily_sales=error \
  "message:model.bakery.daily_sales=audit fail_on_demand failed"

# cancel: SIGINT (default disposition, as dagctld leaves it) once the first slow batch ended
cancel() {
  local project=$1 out=$2; shift 2
  mkdir -p "$out/target"
  (cd "$work/$project" && exec env DAGCTL_EXAMPLE_SLOW_SECONDS=3 DAGCTL_SQLMESH_LOG="$out/log.jsonl" \
    DAGCTL_SQLMESH_TARGET="$out/target" "$python" -c \
    'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$@" </dev/null >"$out/output.log" 2>&1) &
  local pid=$! deadline=$((SECONDS + 60))
  until grep -q '1/3\] bakery.oven_readings' "$out/output.log" 2>/dev/null; do
    ((SECONDS < deadline)) || { fail "cancel: the slow model never ran ($out)"; break; }
    sleep 0.1
  done
  kill -INT "$pid"
  wait "$pid" && echo 0 >"$out/rc" || echo $? >"$out/rc"
}
cancel run-cancel "$work/o-cancel" "$python" /proc/self/fd/3 run 3<"$plugin"
expect "run: cancelled" "$work/o-cancel" rc=1 success=false main_error=no \
  unfinished=model.bakery.oven_readings node:model.bakery.oven_readings=absent
cancel run-cancel-plain "$work/o-cancel-plain" "$sqlmesh" run
same_rc "run: cancelled" "$work/o-cancel" "$(cat "$work/o-cancel-plain/rc")"

# --- audit, test, janitor --------------------------------------------------------------------
with_plugin audit "$work/o-audit" -- audit --start '1 week ago' --end now
expect "audit: pass" "$work/o-audit" rc=0 which=audit success=true count=7 nodes=7 \
  node:audit.bakery.daily_sales.fail_on_demand=pass failures:audit.bakery.daily_sales.fail_on_demand=0
with_plugin audit-fail "$work/o-audit-fail" DAGCTL_EXAMPLE_FAIL_AUDIT=1 -- audit --start '1 week ago' --end now
expect "audit: fail" "$work/o-audit-fail" rc=1 which=audit success=false nodes=7 main_error=no \
  node:audit.bakery.daily_sales.fail_on_demand=fail node:audit.bakery.products.unique_values=pass
same_rc "audit: fail" "$work/o-audit-fail" \
  "$(plain audit-fail-plain DAGCTL_EXAMPLE_FAIL_AUDIT=1 -- audit --start '1 week ago' --end now)"

with_plugin test "$work/o-test" -- test
expect "test: pass" "$work/o-test" rc=0 which=test count=2 nodes=2 \
  node:unit_test.test_daily_sales_sums_revenue=pass
broken_test='test_top_products_wrong_on_purpose:
  model: bakery.top_products
  inputs:
    bakery.product_totals:
      rows:
        - {product_id: 1, name: Sourdough loaf, category: bread, items: 3, revenue: 16.50}
  outputs:
    query:
      rows:
        - {name: Rye loaf, category: bread, revenue: 1.00}'
printf '%s\n' "$broken_test" >"$work/test-fail/tests/test_broken.yaml"
printf '%s\n' "$broken_test" >"$work/test-fail-plain/tests/test_broken.yaml"
with_plugin test-fail "$work/o-test-fail" -- test
expect "test: fail" "$work/o-test-fail" rc=1 success=false nodes=3 \
  node:unit_test.test_top_products_wrong_on_purpose=fail failures:unit_test.test_top_products_wrong_on_purpose=1 \
  "message:unit_test.test_top_products_wrong_on_purpose=Data mismatch"
same_rc "test: fail" "$work/o-test-fail" "$(plain test-fail-plain -- test)"

with_plugin janitor "$work/o-janitor" -- janitor
expect "janitor" "$work/o-janitor" rc=0 which=janitor success=true nodes=0

# --- plan: partial on a fresh copy, failed on a restatement ----------------------------------
copy_project plan-partial
with_plugin plan-partial "$work/o-plan-partial" DAGCTL_EXAMPLE_FAIL_MODEL=1 -- plan --auto-apply --no-prompts
expect "plan: partial" "$work/o-plan-partial" rc=1 which=plan success=false nodes=9 applied=false main_error=no \
  node:model.bakery.flour_deliveries=error node:model.bakery.flour_stock=skipped node:model.bakery.products=success
with_plugin fresh "$work/o-plan-failed" DAGCTL_EXAMPLE_FAIL_MODEL=1 -- \
  plan --auto-apply --no-prompts --restate-model bakery.flour_deliveries
expect "plan: failed" "$work/o-plan-failed" rc=1 success=false nodes=2 \
  node:model.bakery.flour_deliveries=error node:model.bakery.flour_stock=skipped

# --- errors outside nodes ------------------------------------------------------------------------
with_plugin fresh "$work/o-usage" -- run --no-such-option
expect "usage error" "$work/o-usage" rc=2 which=run success=false nodes=0 main_error=yes
copy_project broken; printf 'bogus: [\n' >>"$work/broken/config.yaml"
with_plugin broken "$work/o-broken" -- plan --auto-apply --no-prompts
expect "broken config" "$work/o-broken" rc=1 which=plan success=false nodes=0 main_error=yes
same_rc "broken config" "$work/o-broken" "$(plain broken -- plan --auto-apply --no-prompts)"

# --- run directly (not as /proc/self/fd/3), without dagctl's environment ------------------------
(cd "$work/fresh" && "$python" "$plugin" --version </dev/null >"$work/version.txt" 2>&1) &&
  grep -qx '0.236.4\|[0-9][0-9.]*' "$work/version.txt" && pass "direct run, no DAGCTL_SQLMESH_*" ||
  fail "direct run: $(cat "$work/version.txt")"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all SQLMesh plugin checks passed"
