#!/usr/bin/env bash
# A run's artifacts, nodes and history filters with the real dbt on the example project
# (docs/cli.md, Artifacts and Run details; docs/api.md): listing and downloading artifacts
# byte for byte (stdout, -O, --force, a missing one, a symlink out, a removed folder),
# `runs --trigger/--until`, a job's last_run, rotating the webhook secret as a receiver
# sees it, and `run show --nodes` for a failing model at 80 columns.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi
RECEIVER="$DAGCTL_SOURCE_DIR/tests/integration/webhook_receiver.py"
api() { curl -sS --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }

start_daemon
shop=$(copy_example shop)
PID=$(add_project "$shop" shop --dbt "$DAGCTL_TEST_DBT" --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")

# A job with no runs has last_run null.
assert_eq null "$(dagctl -o json job show shop/default | json 'd["last_run"]')" "a job without runs has last_run null"

# --- one partial run (fct_sales fails), then its retry ------------------------------------
rc=0
dagctl trigger shop/default --wait -q --command "dbt build --vars '{scenario: partial}'" >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "the partial run ends partial (exit 1)"
RUN=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
assert_eq partial "$(status_of "$RUN")" "the first run is partial"
TARGET="$DATA/runs/$RUN/target"

# --- artifacts: the list ------------------------------------------------------------------
listing=$(dagctl -o json run artifacts "$RUN")
assert_eq "$RUN" "$(echo "$listing" | json 'd["run_id"]')" "the list names its run"
names=$(echo "$listing" | json '" ".join(a["name"] for a in d["artifacts"])')
assert_contains " $names " " manifest.json " "the list has manifest.json"
assert_contains " $names " " run_results.json " "and run_results.json"
assert_not_contains " $names " " compiled " "folders are not listed"
expected=$(find "$TARGET" -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ')
assert_eq "${expected% }" "$names" "the list is exactly the regular files at the top, by name"
assert_eq "$(stat -c %s "$TARGET/manifest.json")" \
  "$(echo "$listing" | json '[a["size"] for a in d["artifacts"] if a["name"] == "manifest.json"][0]')" \
  "manifest.json's size is the file's"
modified=$(echo "$listing" | json '[a["modified_at"] for a in d["artifacts"] if a["name"] == "run_results.json"][0]')
[[ "$modified" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] || fail "modified_at '$modified' is not RFC 3339 UTC"
pass "modified_at is an RFC 3339 time"
table=$(dagctl run artifacts "$RUN")
assert_contains "$(echo "$table" | head -1)" "NAME" "the text list has a header"
assert_contains "$(echo "$table" | head -1)" "MODIFIED" "with MODIFIED"
assert_contains "$table" "manifest.json" "and a row per artifact"
[[ "$(echo "$table" | grep manifest.json)" =~ [0-9.]+\ (B|KiB|MiB) ]] || fail "no size in '$table'"
pass "the text list shows sizes"

# --- artifacts: downloads -----------------------------------------------------------------
dagctl run artifacts "$RUN" manifest.json >"$TEST_TMP/manifest.stdout"
cmp -s "$TARGET/manifest.json" "$TEST_TMP/manifest.stdout" || fail "manifest.json on stdout differs from the file"
pass "manifest.json on stdout is byte-identical to the run's file"
dagctl run artifacts "${RUN:0:8}" run_results.json -O - >"$TEST_TMP/results.stdout"
cmp -s "$TARGET/run_results.json" "$TEST_TMP/results.stdout" || fail "-O - differs"
pass "-O - writes to stdout (and a short run id works)"
out="$TEST_TMP/dl/manifest.json"
mkdir -p "$TEST_TMP/dl"
msg=$(dagctl run artifacts "$RUN" manifest.json -O "$out" 2>&1 >/dev/null)
cmp -s "$TARGET/manifest.json" "$out" || fail "-O FILE differs"
assert_contains "$msg" "wrote manifest.json" "-O says what it wrote, on stderr"
pass "-O FILE is byte-identical to the run's file"
echo keep >"$TEST_TMP/dl/existing"
rc=0
err=$(dagctl run artifacts "$RUN" manifest.json -O "$TEST_TMP/dl/existing" 2>&1) || rc=$?
assert_eq 2 "$rc" "an existing -O file is refused (exit 2)"
assert_contains "$err" "--force" "the refusal names --force"
assert_eq keep "$(cat "$TEST_TMP/dl/existing")" "and the file is untouched"
dagctl run artifacts "$RUN" manifest.json -O "$TEST_TMP/dl/existing" --force 2>/dev/null
cmp -s "$TARGET/manifest.json" "$TEST_TMP/dl/existing" || fail "--force did not replace the file"
pass "--force replaces it"
compiled=$(cd "$TARGET" && find compiled -type f -name '*.sql' | LC_ALL=C sort | head -1)
[ -n "$compiled" ] || fail "the run compiled no SQL"
dagctl run artifacts "$RUN" "$compiled" >"$TEST_TMP/compiled.sql"
cmp -s "$TARGET/$compiled" "$TEST_TMP/compiled.sql" || fail "$compiled differs"
pass "a path under the folder ($compiled) downloads too"

# A missing artifact: exit 1, one line naming what the run has; -O leaves nothing behind.
rc=0
err=$(dagctl run artifacts "$RUN" catalog.json -O "$TEST_TMP/dl/catalog.json" 2>&1) || rc=$?
assert_eq 1 "$rc" "a missing artifact exits 1"
assert_contains "$err" "has no artifact catalog.json" "the line names the missing artifact"
assert_contains "$err" "manifest.json" "and the artifacts the run has"
assert_eq 1 "$(echo "$err" | wc -l)" "in one line"
[ ! -e "$TEST_TMP/dl/catalog.json" ] || fail "a failed download left $TEST_TMP/dl/catalog.json"
[ -z "$(find "$TEST_TMP/dl" -name '*.dagctl-*')" ] || fail "a failed download left its temporary file"
pass "a failed -O download leaves no file behind"

# A symlink out of the folder is neither listed nor served.
echo secret >"$TEST_TMP/outside.txt"
ln -s "$TEST_TMP/outside.txt" "$TARGET/outside.json"
assert_not_contains "$(dagctl run artifacts "$RUN")" "outside.json" "a symlink is not listed"
rc=0
dagctl run artifacts "$RUN" outside.json >"$TEST_TMP/outside.out" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "a symlink out is not served (exit 1)"
assert_not_contains "$(cat "$TEST_TMP/outside.out")" "secret" "and nothing of its target is printed"
rm "$TARGET/outside.json"

# The API: an unknown run is 404.
assert_eq 404 "$(api "http://x/api/v1/runs/no-such-run/artifacts")" "artifacts of an unknown run: 404"

# --- runs --trigger / --until, and last_run ----------------------------------------------
# dbt retry replays the partial run's vars, so it fails fct_sales again (test_dbt_outcomes.sh).
dagctl retry "$RUN" --wait -q >/dev/null 2>&1 || true
RETRY=$(dagctl -o json runs --limit 1 | json 'd["runs"][0]["id"]')
[ "$RETRY" != "$RUN" ] || fail "no retry run"
ids() { dagctl -o json runs "$@" | json '" ".join(r["id"] for r in d["runs"])'; }
assert_eq "$RETRY" "$(ids --trigger retry)" "--trigger retry lists the retry only"
assert_eq "$RUN" "$(ids --trigger manual)" "--trigger manual lists the manual run only"
assert_eq "$RETRY $RUN" "$(ids --trigger manual,retry)" "a comma list lists both, newest first"
assert_eq "" "$(ids --trigger schedule)" "no scheduled runs"
retry_created=$(run_field "$RETRY" 'd["created_at"]')
assert_eq "$RUN" "$(ids --until "$retry_created")" "--until the retry's creation time lists the runs before it"
assert_eq "$RETRY $RUN" "$(ids --until 1s --since 1h)" "--until 1s --since 1h: both (they are older than a second)"
assert_eq "" "$(ids --until 1h)" "--until 1h: none"
err=$(dagctl runs --until 1h 2>&1 >/dev/null)
assert_contains "$err" "--until" "an empty filtered list names --until among the filters to leave out"
rc=0
err=$(dagctl runs --until yesterday 2>&1) || rc=$?
assert_eq 2 "$rc" "an unreadable --until is refused"
assert_contains "$err" "--until takes" "naming --until"
assert_eq 400 "$(api "http://x/api/v1/runs?triggered_by=cron")" "the API refuses an unknown triggered_by"
assert_contains "$(cat "$TEST_TMP/body")" "manual, schedule or retry" "naming the allowed words"
assert_eq 400 "$(api "http://x/api/v1/runs?until=soon")" "and an unreadable until"

job=$(dagctl -o json job show shop/default)
assert_eq "$RETRY" "$(echo "$job" | json 'd["last_run"]["id"]')" "the job's last_run is its newest run"
assert_eq "$(status_of "$RETRY")" "$(echo "$job" | json 'd["last_run"]["status"]')" "with its status"
assert_eq "$(run_field "$RETRY" 'd["end_time"]')" "$(echo "$job" | json 'd["last_run"]["finished_at"]')" \
  "and when it finished"
dagctl job create shop --name idle --command "dbt build" >/dev/null
assert_eq 200 "$(api "http://x/api/v1/projects/$PID/jobs")" "the jobs list answers"
assert_eq "$RETRY" "$(json '[j["last_run"]["id"] for j in d["jobs"] if j["name"] == "default"][0]' <"$TEST_TMP/body")" \
  "the jobs list has each job's last_run"
assert_eq null "$(json '[j["last_run"] for j in d["jobs"] if j["name"] == "idle"][0]' <"$TEST_TMP/body")" \
  "null for a job without runs"

# --- the removed folder: an empty list ------------------------------------------------------
rm -rf "$DATA/runs/$RETRY/target"
assert_eq "[]" "$(dagctl -o json run artifacts "$RETRY" | json 'd["artifacts"]')" "a removed folder lists no artifacts"
assert_contains "$(dagctl run artifacts "$RETRY" 2>&1)" "has no artifacts" "and the text says so"

# --- rotating the webhook secret, as a receiver sees it -------------------------------------
mkdir -p "$TEST_TMP/hook"
python3 "$RECEIVER" --dir "$TEST_TMP/hook" >>"$TEST_TMP/hook/log" 2>&1 &
wait_for "the receiver" 10 test -s "$TEST_TMP/hook/port" || fail "the receiver did not start"
rc=0
err=$(dagctl webhook secret shop/idle --rotate 2>&1) || rc=$?
assert_eq 2 "$rc" "rotating without a URL is refused"
assert_contains "$err" "no webhook" "saying the job has no webhook"
dagctl job update shop/idle --webhook-enabled true --webhook-url "http://127.0.0.1:$(cat "$TEST_TMP/hook/port")/hook" >/dev/null
requests() { [ -f "$TEST_TMP/hook/requests.jsonl" ] && wc -l <"$TEST_TMP/hook/requests.jsonl" || echo 0; }
has_requests() { [ "$(requests)" -ge "$1" ]; }
# verifies N SECRET: "True" when request N's X-Dagctl-Signature verifies with SECRET.
verifies() {
  sed -n "${1}p" "$TEST_TMP/hook/requests.jsonl" | python3 -c '
import hashlib, hmac, json, sys
r = json.load(sys.stdin)
h = {k.lower(): v for k, v in r["headers"].items()}
print(hmac.compare_digest("sha256=" + hmac.new(sys.argv[1].encode(), r["body"].encode(), hashlib.sha256).hexdigest(), h["x-dagctl-signature"]))
' "$2"
}
old=$(dagctl webhook secret shop/idle)
dagctl webhook test shop/idle >/dev/null
wait_for "the first test event" 20 has_requests 1 || fail "the receiver got nothing"
assert_eq True "$(verifies 1 "$old")" "the first event verifies with the secret"
new=$(dagctl webhook secret shop/idle --rotate 2>/dev/null)
[[ "$new" == whsec_* ]] || fail "rotate printed '$new'"
[ "$new" != "$old" ] || fail "rotate gave the same secret"
assert_eq "$new" "$(dagctl webhook secret shop/idle)" "the new secret is the job's secret now"
dagctl webhook test shop/idle >/dev/null
wait_for "the second test event" 20 has_requests 2 || fail "the receiver got no second request"
assert_eq True "$(verifies 2 "$new")" "after the rotation the receiver's request verifies with the new secret"
assert_eq False "$(verifies 2 "$old")" "and no longer with the old one"
rotated_json=$(dagctl -o json webhook secret shop/idle --rotate 2>/dev/null)
[[ "$(echo "$rotated_json" | json 'd["secret"]')" == whsec_* ]] || fail "-o json --rotate: $rotated_json"
pass "-o json --rotate prints {\"secret\"}"

# --- run show --nodes (with a daemon that records nodes) ------------------------------------
if [ "$(api "http://x/api/v1/runs/$RUN/nodes")" == 200 ]; then
  nodes=$(dagctl run show "$RUN" --nodes)
  assert_contains "$(echo "$nodes" | head -1)" "STATUS" "the node table has a header"
  first=$(dagctl -o json run show "$RUN" --nodes --status error |
    json '[n["message"].strip().splitlines()[1].strip() for n in d["nodes"] if n["name"] == "fct_sales"][0]')
  assert_contains "$first" "Binder Error" "fct_sales's message names the cause on its second line"
  assert_contains "$(echo "$nodes" | grep -E '^error +fct_sales ')" "$first" \
    "piped, fct_sales's row shows the cause, not dbt's heading"
  assert_eq error "$(dagctl -o json run show "$RUN" --nodes --status error | json '",".join(sorted({n["status"] for n in d["nodes"]}))')" \
    "--status error lists only errors"
  # At 80 columns on a terminal: every line fits, and the row shows the start of the cause.
  script -qec "stty cols 80 rows 50; '$DAGCTL_BIN_DIR/dagctl' --socket '$SOCK' run show '$RUN' --nodes" /dev/null |
    tr -d '\r' >"$TEST_TMP/nodes80"
  too_wide=$(python3 -c 'import sys; print(sum(1 for l in open(sys.argv[1], encoding="utf-8") if len(l.rstrip("\n")) > 80))' "$TEST_TMP/nodes80")
  assert_eq 0 "$too_wide" "at 80 columns no line is wider"
  row=$(grep -E '^error +fct_sales ' "$TEST_TMP/nodes80")
  assert_contains "$row" "${first:0:20}" "the failing model's row shows the cause at 80 columns"
  summary=$(dagctl run show "$RUN")
  assert_contains "$summary" "nodes:" "run show counts the nodes"
  assert_contains "$summary" "error" "with the error"
  assert_contains "$summary" "slowest:" "and names the slowest nodes"
else
  echo "SKIP: this daemon has no GET /runs/{id}/nodes: run show --nodes was not checked" >&2
fi

finish
