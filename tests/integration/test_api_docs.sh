#!/usr/bin/env bash
# The API documentation against the real daemon: docs/openapi.yaml describes exactly the
# routes the server has (local-only ones marked), and every ```sh example of docs/api.md
# runs, in order, against a daemon with the example project, its job and a finished run.
# dbt is the stand-in.
source "$(dirname "$0")/lib.sh"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"
OPENAPI="$DAGCTL_SOURCE_DIR/docs/openapi.yaml"
API_MD="$DAGCTL_SOURCE_DIR/docs/api.md"
[ -f "$OPENAPI" ] || fail "missing $OPENAPI"
[ -f "$API_MD" ] || fail "missing $API_MD"

# A TCP listener on a free port besides the socket (start_daemon adds --listen none only
# when ARGS has no --listen).
start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0
address=$(http_address)
case "$address" in 127.0.0.1:[1-9]*) pass "dagctld.json names the TCP address ($address)" ;; *) fail "http address '$address'" ;; esac

# The variables docs/api.md's examples use.
export DAGCTL_URL="http://$address"
DAGCTL_TOKEN=$(dagctl -o json token create --name docs --scope admin | json 'd["token"]')  # some examples change jobs
export DAGCTL_TOKEN
ORG_ID=$(dagctl -o json org show | json 'd["id"]')
export ORG_ID
PROJECT_ID=$(add_project "$(copy_example shop)" shop)
export PROJECT_ID
JOB_ID=$(dagctl -o json job show shop/default | json 'd["id"]')
export JOB_ID
RUN_ID=$(trigger shop/default)
export RUN_ID
export DAGCTL_SOCKET="$SOCK"
wait_for "run $RUN_ID to finish" 20 run_is_terminal "$RUN_ID"
assert_eq success "$(run_field "$RUN_ID" 'd["status"]')" "the example run succeeded"

# --- a. docs/openapi.yaml has exactly the server's routes ------------------------------
# Line-based reading (no YAML library): path keys are "  /api/...:" under "paths:", methods
# "    get:" etc. below them, and "      x-dagctl-local-only: true" marks an operation.
# Output: "METHOD PATH LOCAL_ONLY" per operation, sorted.
doc_routes() {
  python3 - "$OPENAPI" <<'EOF'
import re, sys
ops, in_paths, path, current = {}, False, None, None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if re.match(r"^\S", line):
        in_paths = line.startswith("paths:")
        path = current = None
        continue
    if not in_paths:
        continue
    m = re.match(r"^  (/\S*):\s*$", line)
    if m:
        path, current = m.group(1), None
        continue
    m = re.match(r"^    (get|put|post|delete|patch|head|options|trace):\s*$", line)
    if m and path:
        current = (m.group(1).upper(), path)
        if current in ops:
            sys.exit(f"{current[0]} {current[1]} is in the yaml twice")
        ops[current] = False
        continue
    if re.match(r"^    \S", line):
        current = None  # a path-level key such as parameters:
        continue
    if current and re.match(r"^      x-dagctl-local-only:\s*true\s*$", line):
        ops[current] = True
for (method, p), local in sorted(ops.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(method, p, str(local).lower())
EOF
}
server_routes() {
  curl -sS --fail-with-body --unix-socket "$SOCK" http://dagctl/api/v1/routes |
    python3 -c '
import json, sys
routes = json.load(sys.stdin)["routes"]
for r in sorted(routes, key=lambda r: (r["path"], r["method"])):
    print(r["method"], r["path"], str(r["local_only"]).lower())'
}
doc=$(doc_routes) || fail "cannot read $OPENAPI"
server=$(server_routes) || fail "GET /api/v1/routes on the socket failed"
[ "$(echo "$server" | wc -l)" -ge 20 ] || fail "the server listed only: $server"
pass "the server lists its routes ($(echo "$server" | wc -l))"

only_server=$(comm -23 <(echo "$server" | cut -d' ' -f1,2 | sort) <(echo "$doc" | cut -d' ' -f1,2 | sort))
only_doc=$(comm -13 <(echo "$server" | cut -d' ' -f1,2 | sort) <(echo "$doc" | cut -d' ' -f1,2 | sort))
if [ -n "$only_server" ] || [ -n "$only_doc" ]; then
  echo "routes of the server missing from docs/openapi.yaml:" >&2
  echo "${only_server:-  (none)}" | sed 's/^/  /' >&2
  echo "routes of docs/openapi.yaml the server does not have:" >&2
  echo "${only_doc:-  (none)}" | sed 's/^/  /' >&2
  fail "docs/openapi.yaml and the server's routes differ"
fi
pass "docs/openapi.yaml has every route of the server and no other, method by method"

unmarked=$(comm -23 <(echo "$server" | grep ' true$' | sort) <(echo "$doc" | grep ' true$' | sort))
marked=$(comm -13 <(echo "$server" | grep ' true$' | sort) <(echo "$doc" | grep ' true$' | sort))
if [ -n "$unmarked" ] || [ -n "$marked" ]; then
  echo "local-only routes of the server not marked x-dagctl-local-only in docs/openapi.yaml:" >&2
  echo "${unmarked:-(none)}" | sed 's/ true$//; s/^/  /' >&2
  echo "routes marked x-dagctl-local-only that the server serves over TCP too:" >&2
  echo "${marked:-(none)}" | sed 's/ true$//; s/^/  /' >&2
  fail "x-dagctl-local-only in docs/openapi.yaml does not match the server's local-only routes"
fi
pass "every local-only route, and only those, is marked x-dagctl-local-only"

grep -q '^openapi: 3\.0\.3$' "$OPENAPI" || fail "docs/openapi.yaml does not say openapi: 3.0.3"
# Client generators and schema fuzzers load it as YAML first: a parse error stops them all.
yaml_error=$(python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$OPENAPI" 2>&1) ||
  fail "docs/openapi.yaml is not valid YAML: $yaml_error"
pass "docs/openapi.yaml is valid YAML"
health_security=$(awk '/^  \/api\/v1\/health:/ {h=1; next} /^  [^ ]/ {h=0} h && /^      security: \[\]/ {print "yes"}' "$OPENAPI")
assert_eq yes "$health_security" "GET /api/v1/health needs no token in the yaml (security: [])"
for schema in Project Job Run TriggerResponse Error Token; do
  grep -q "^    $schema:$" "$OPENAPI" || fail "docs/openapi.yaml has no schema $schema"
done
pass "docs/openapi.yaml has the schemas Project, Job, Run, TriggerResponse, Error, Token"

# --- b. every ```sh example of docs/api.md runs --------------------------------------------
BLOCKS="$TEST_TMP/blocks"
mkdir -p "$BLOCKS"
python3 - "$API_MD" "$BLOCKS" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
block, start, n = None, 0, 0
for i, line in enumerate(lines, 1):
    if block is None:
        if line.strip() == "```sh":
            block, start = [], i + 1
        continue
    if line.strip() == "```":
        n += 1
        with open(f"{sys.argv[2]}/{n:03d}-line{start}.sh", "w", encoding="utf-8") as f:
            f.write("\n".join(block) + "\n")
        block = None
        continue
    block.append(line)
if block is not None:
    sys.exit(f"a ```sh block starting at line {start} is not closed")
EOF
mapfile -t blocks < <(find "$BLOCKS" -name '*.sh' | sort)
[ "${#blocks[@]}" -ge 15 ] || fail "docs/api.md has only ${#blocks[@]} sh blocks"
pass "docs/api.md has ${#blocks[@]} sh examples"

# The examples use only the documented variables, and curl fails on an HTTP error.
allowed=" DAGCTL_URL DAGCTL_TOKEN ORG_ID PROJECT_ID JOB_ID RUN_ID DAGCTL_SOCKET "
for f in "${blocks[@]}"; do
  for v in $(grep -oE '\$\{?[A-Za-z_][A-Za-z0-9_]*' "$f" | tr -d '${' | sort -u); do
    case "$allowed" in *" $v "*) ;; *) fail "$(basename "$f") of docs/api.md uses \$$v; use only$allowed" ;; esac
  done
  curls=$(grep -cE '(^|[^-A-Za-z])curl ' "$f" || true)
  fails=$(grep -cE '(^|[^-A-Za-z])curl .*--fail-with-body' "$f" || true)
  [ "$curls" -ge 1 ] || fail "$(basename "$f") of docs/api.md runs no curl"
  [ "$curls" == "$fails" ] || fail "$(basename "$f") of docs/api.md has a curl without --fail-with-body"
done
pass "the sh examples use only the documented variables and curl -sS --fail-with-body"

runs_settled() {
  local counts
  counts=$(dagctl -o json status | json 'd["runs"]["running"] + d["runs"]["queued"]') || return 1
  [ "$counts" == 0 ]
}

for f in "${blocks[@]}"; do
  name=$(basename "$f" .sh)
  rc=0
  timeout -k 2 15 bash -e -o pipefail "$f" >"$f.out" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    echo "--- docs/api.md example ${name#*-} (exit $rc) ---" >&2
    cat "$f" >&2
    echo "--- its output ---" >&2
    cat "$f.out" >&2
    fail "the docs/api.md example at ${name#*-} failed"
  fi
  # Runs an example triggered end before the next example (e.g. the webhook one) runs.
  wait_for "the runs of example ${name#*-} to end" 20 runs_settled || fail "runs did not settle"
done
pass "all ${#blocks[@]} sh examples of docs/api.md exit 0, in order"

# The examples did what they say.
assert_contains "$(cat "$BLOCKS"/*.out)" '"status":"ok"' "the health example answered"
assert_contains "$(cat "$BLOCKS"/*.out)" '"message":"DBT job run triggered successfully"' "the trigger examples answered"
assert_eq "dbt build --select stg_books+" \
  "$(dagctl -o json runs --job shop/default --limit 1 | json 'd["runs"][0]["command_override"]')" \
  "the command_override example ran its override"
job=$(dagctl -o json job show shop/default)
assert_eq "https://your-airflow.example.com/api/v1/dags/downstream_pipeline/dagRuns" \
  "$(echo "$job" | json 'd["webhook_url"]')" "the webhook example set the URL"
assert_eq false "$(echo "$job" | json 'd["webhook_enabled"]')" "and the last webhook example turned deliveries off"
finish
