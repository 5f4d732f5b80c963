#!/usr/bin/env bash
# Schema fuzzing (docs/security.md): schemathesis generates requests from docs/openapi.yaml,
# valid and invalid, for every route a token holder can reach over TCP, and checks each
# answer: no 5xx, a documented status code and content type, a body that matches the
# documented schema. Bounded by examples per route and by time (--max-time; the fuzzing
# phase repeats until it is spent). Afterwards the daemon is alive and still answers.
# DAGCTL_SCHEMA_SEED and DAGCTL_SCHEMA_EXAMPLES change the seed and the examples per route.
# One worker: schemathesis's generator calls ast.parse, which CPython 3.11 cannot run in
# two threads at once ("AST constructor recursion depth mismatch").
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"
[ -x "${DAGCTL_TEST_SCHEMATHESIS:-}" ] ||
  fail "DAGCTL_TEST_SCHEMATHESIS is not set: run scripts/test, or configure with -DDAGCTL_TEST_SCHEMATHESIS=\$(scripts/setup-schemathesis)"

start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0
BASE="http://$(http_address)"
# admin: every TCP route, job changes and webhook tests included, is in scope.
TOKEN=$(dagctl -o json token create --name schemathesis --scope admin | json 'd["token"]')
PROJECT_ID=$(add_project "$(copy_example shop)" shop)
dagctl job create shop --name nightly --command 'dbt build' >/dev/null
dagctl job create shop --name doomed --command 'dbt build' >/dev/null
JOB_ID=$(dagctl -o json job show shop/nightly | json 'd["id"]')
DOOMED_ID=$(dagctl -o json job show shop/doomed | json 'd["id"]')
RUN_ID=$(trigger shop/nightly)
wait_for "run $RUN_ID to finish" 20 run_is_terminal "$RUN_ID" || fail "run $RUN_ID did not finish"
ORG_ID=$(dagctl -o json org show | json 'd["id"]')

# Real ids, so that requests reach the handlers instead of stopping at 404 (random ids
# still come from the negative cases), and the token's organization, so that they do not
# stop at 403. DELETE gets a job of its own: the others keep theirs.
cat >"$TEST_TMP/schemathesis.toml" <<EOF
[parameters]
"path.id" = "$PROJECT_ID"
"path.job_id" = "$JOB_ID"
"path.run_id" = "$RUN_ID"
"header.X-Organization-ID" = "$ORG_ID"

[[operations]]
include-name = "DELETE /api/v1/projects/{id}/jobs/{job_id}"
parameters = { "path.id" = "$PROJECT_ID", "path.job_id" = "$DOOMED_ID", "header.X-Organization-ID" = "$ORG_ID" }
EOF

# The routes of the TCP listener: local-only ones do not exist there (docs/api.md).
python3 - "$DAGCTL_SOURCE_DIR/docs/openapi.yaml" "$TEST_TMP/tcp-openapi.yaml" <<'EOF'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
for path in list(spec["paths"]):
    ops = spec["paths"][path]
    for method in list(ops):
        if isinstance(ops[method], dict) and ops[method].get("x-dagctl-local-only"):
            del ops[method]
    if not any(m in ops for m in ("get", "post", "put", "patch", "delete")):
        del spec["paths"][path]
yaml.safe_dump(spec, open(sys.argv[2], "w"), sort_keys=False)
EOF

rc=0
"$DAGCTL_TEST_SCHEMATHESIS" --config-file "$TEST_TMP/schemathesis.toml" run "$TEST_TMP/tcp-openapi.yaml" --url "$BASE" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-examples "${DAGCTL_SCHEMA_EXAMPLES:-40}" --max-time 150 \
  --workers 1 --seed "${DAGCTL_SCHEMA_SEED:-11}" --generation-database none --request-timeout 10 --no-color \
  --report junit --report-junit-path "$TEST_TMP/junit.xml" >"$TEST_TMP/schemathesis.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  # The failures with their curl reproductions, the errors and the summary; on a crash
  # before any of those, the whole (bounded) log.
  log="$TEST_TMP/schemathesis.log"
  if grep -qE '^=+ (FAILURES|ERRORS) =+$' "$log"; then
    sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p' "$log" | cut -c1-400 | head -n 400 >&2
  else
    tail -n 200 "$log" | cut -c1-400 >&2
  fi
  fail "schemathesis found failures (exit $rc); its log is above"
fi
tail -n 25 "$TEST_TMP/schemathesis.log"
pass "schemathesis: no 5xx and every answer matches docs/openapi.yaml"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/health")" "the daemon is alive afterwards"
kill -0 "$DAEMON_PID" || fail "dagctld died"
pass "dagctld is still running"
echo "$CHECKS checks passed"
