#!/usr/bin/env bash
# The dbt command grammar of docs/commands.md, end to end: a token holder over TCP cannot use
# any exploit of issue 11 (--inline, run-operation, Jinja in --vars, file-writing flags, deps,
# path flags, invisible characters), neither in a trigger's command_override nor in a job's
# command; each answers 400 naming the part and creates no run. The socket owner may set what
# only the owner may. --vars data reaches the model as sent (one real dbt run). Empty
# --select/--exclude/--command in the CLI exit 2 instead of running the job's whole command,
# and `dagctl job list` lists jobs.
source "$(dirname "$0")/lib.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"

start_daemon --dbt "$DAGCTL_TEST_DBT" --listen 127.0.0.1:0
BASE="http://$(http_address)"
TOKEN=$(dagctl -o json token create --name grammar --scope admin | json 'd["token"]')
shop=$(copy_example shop)
# A model that logs the var `probe`, to see what dbt hands a model.
cat >"$shop/models/probe.sql" <<'SQL'
{% do log("probe=[" ~ var("probe", "") ~ "]", info=True) %}
select 1 as one
SQL
PROJECT_ID=$(add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")
JOB_ID=$(dagctl -o json job show shop/default | json 'd["id"]')
JOB_URL="$BASE/api/v1/projects/$PROJECT_ID/jobs/$JOB_ID"

http() {  # prints the status code; the body goes to $TEST_TMP/body
  curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' "$@"
}
body() { cat "$TEST_TMP/body"; }
# as_json TEXT: TEXT as a JSON string.
as_json() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
run_count() { dagctl -o json runs --limit 1000 | json 'len(d["runs"])'; }
# join_words WORD...: one command line, quoted the way join_command_words does ('...' for a
# word without a single quote, else alternating '...' and "..." parts).
join_words() {
  python3 - "$@" <<'PY'
import sys
def quote(w):
    if "'" not in w:
        return "'" + w + "'"
    out, i = "", 0
    while i < len(w):
        j, q = i, w[i] == "'"
        while j < len(w) and (w[j] == "'") == q:
            j += 1
        out += ('"' if q else "'") + w[i:j] + ('"' if q else "'")
        i = j
    return out
print(" ".join(quote(w) for w in sys.argv[1:]))
PY
}

# --- A token holder: every exploit is a 400 that names the part, and no run ---------------
before=$(run_count)
refused_override() {  # COMMAND NEEDLE WHAT
  assert_eq 400 "$(http -X POST "$JOB_URL/trigger" -d "{\"command_override\": $(as_json "$1")}")" "$3: 400"
  assert_contains "$(body)" "$2" "  and the message names $2"
}
refused_override "dbt show --inline \"select content from read_text('/etc/hostname')\"" "'--inline' is for the socket owner only" \
  "show --inline reading a file"
refused_override "dbt show --inline '{{ run_query(\"copy (select 1) to ''x.py''\") }}'" "'--inline'" \
  "show --inline with run_query"
refused_override "dbt compile --inline=\"{{ env_var('DAGCTL_TOKEN') }}\"" "'--inline'" "compile --inline printing the environment"
refused_override "dbt run-operation run_query --args '{sql: \"select 1\"}'" "'dbt run-operation' is for the socket owner only" \
  "run-operation"
refused_override "dbt source freshness --output /tmp/anywhere.json" "'--output' of 'dbt source freshness' names a path" \
  "source freshness --output PATH"
refused_override "dbt source freshness -o /tmp/anywhere.json" "'-o'" "source freshness -o PATH"
refused_override "dbt deps --add-package /tmp/evil --source local" "'--add-package' edits the project's packages.yml" \
  "deps --add-package"
refused_override "dbt deps" "'dbt deps' is for the socket owner only" "deps"
refused_override "dbt build --profiles-dir /etc" "'--profiles-dir' names a path" "--profiles-dir"
refused_override "dbt build --project-dir=/tmp" "'--project-dir' names a path" "--project-dir=PATH"
refused_override "dbt build --target-path /tmp/t" "'--target-path' names a path" "--target-path"
refused_override "dbt build --defer --state /tmp/prod" "'--state' cannot be set" "--state"
refused_override "dbt build --profile other" "'--profile' is for the socket owner only" "--profile"
refused_override "dbt build -r /tmp/timing" "'-r' names a path" "--record-timing-info as -r"
refused_override "dbt init evil" "'dbt init' is not allowed" "init"
refused_override "dbt clean" "'dbt clean' is not allowed" "clean"
refused_override "dbt debug --config-dir" "'--config-dir' is not an allowed flag" "debug --config-dir"
refused_override "dbt docs serve --port 8781" "'dbt docs serve' is not allowed" "docs serve"
refused_override "dbt build --frobnicate" "'--frobnicate' is not an allowed flag" "an unknown flag"
refused_override "dbt build --exclude a -r /tmp/x" "'-r'" "a short flag after --exclude"
refused_override "dbt build book_revenue" "'book_revenue' is not a flag or a flag's value" "a stray word"
refused_override "dbt build --select ''" "'--select' has an empty value" "an empty --select"
refused_override "" "is empty" "an empty command_override (never 'no override')"
refused_override "   " "is empty" "a blank command_override"
# Invisible and look-alike characters, sent as JSON escapes.
for cp in 2028 2029 FEFF 200B 202E 00A0 3000; do
  assert_eq 400 "$(http -X POST "$JOB_URL/trigger" -d "{\"command_override\": \"dbt build --select a\\u${cp}b\"}")" \
    "U+$cp in an override: 400"
  assert_contains "$(body)" "U+$cp (at byte offset 20)" "  and the message names U+$cp and its offset"
done
# A huge word is named, not echoed.
big=$(head -c 4000 /dev/zero | tr '\0' 'x')
assert_eq 400 "$(http -X POST "$JOB_URL/trigger" -d "{\"command_override\": \"dbt build --$big\"}")" "a 4000-byte unknown flag: 400"
[ "$(body | wc -c)" -lt 600 ] || fail "the 400 echoes the whole flag: $(body | wc -c) bytes"
pass "  and its message stays short ($(body | wc -c) bytes)"
assert_eq "$before" "$(run_count)" "no refused override created a run"

# Job commands set over TCP follow the same grammar.
assert_eq 400 "$(http -X PATCH "$JOB_URL" -d '{"command": "dbt run-operation run_query --args \"{sql: x}\""}')" \
  "PATCH a job's command to run-operation over TCP: 400"
assert_contains "$(body)" "command: 'dbt run-operation' is for the socket owner only" "  naming the field and the part"
assert_eq 400 "$(http -X POST "$BASE/api/v1/projects/$PROJECT_ID/jobs" -d "{\"name\": \"peek\", \"command\": $(as_json "dbt show --inline 'select 1'")}")" \
  "create a job with show --inline over TCP: 400"
assert_eq 400 "$(http -X PATCH "$JOB_URL" -d '{"command": "dbt source freshness --output /tmp/x"}')" \
  "PATCH a job's command to write a file: 400"
assert_eq "dbt build" "$(dagctl -o json job show shop/default | json 'd["command"]')" "the job's command is unchanged"
assert_eq 201 "$(http -X POST "$BASE/api/v1/projects/$PROJECT_ID/jobs" -d '{"name": "nightly", "command": "dbt build --select tag:nightly --exclude stg_stores --full-refresh --threads 2"}')" \
  "a job command within the grammar is accepted over TCP"

# --- The socket owner may set what only the owner may; paths stay refused -----------------
dagctl job create shop --name ops --command 'dbt run-operation shop_outage_check --args "{x: 1}"' >/dev/null
assert_eq "dbt run-operation shop_outage_check --args \"{x: 1}\"" "$(dagctl -o json job show shop/ops | json 'd["command"]')" \
  "the socket owner may create a run-operation job"
dagctl job update shop/ops --command "dbt show --inline 'select 1' --limit 1" >/dev/null
pass "the socket owner may set show --inline"
rc=0
err=$(dagctl job update shop/ops --command 'dbt deps --add-package /tmp/evil' 2>&1) || rc=$?
assert_eq 2 "$rc" "deps --add-package is refused for the owner too"
assert_contains "$err" "packages.yml" "  saying why"
rc=0
err=$(dagctl trigger shop/default --command 'dbt build --log-path /tmp/logs' 2>&1) || rc=$?
assert_eq 2 "$rc" "a path flag is refused for the owner too"
assert_contains "$err" "'--log-path' names a path" "  naming it"

# --- CLI: empty values never run the job's whole command (issue 11, item 11) --------------
before=$(run_count)
for flag in --select --exclude --command; do
  rc=0
  err=$(dagctl trigger shop/default "$flag" "" 2>&1) || rc=$?
  assert_eq 2 "$rc" "dagctl trigger $flag \"\" exits 2"
  assert_contains "$err" "$flag is empty" "  with a message naming $flag"
done
rc=0
err=$(dagctl trigger shop/default --select stg_books --select ' ' 2>&1) || rc=$?
assert_eq 2 "$rc" "a blank second --select exits 2 too"
assert_eq "$before" "$(run_count)" "no empty flag created a run"

# --- dagctl job list lists the jobs (issue 11, item 16) -----------------------------------
listed=$(dagctl job list)
for job in shop/default shop/nightly shop/ops; do assert_contains "$listed" "$job" "job list shows $job"; done
assert_eq '["default", "nightly", "ops"]' "$(dagctl -o json job list | json 'sorted(j["name"] for j in d["jobs"])')" \
  "job list -o json has every job"
assert_eq '["default", "nightly", "ops"]' "$(dagctl -o json job list --project shop | json 'sorted(j["name"] for j in d["jobs"])')" \
  "job list --project has every job of the project"

# --- One real dbt run: --vars is data, and Jinja in it never reaches dbt ------------------
# dbt renders every string var as a template when a model reads it (docs/commands.md), so a
# token holder's --vars may not hold Jinja: sent here, it would print the daemon's HOME and
# write a file through DuckDB.
pwned="$TEST_TMP/pwned.csv"
before=$(run_count)
jinja_vars="{probe: '{{ env_var(\"HOME\") }}', copy: '{{ run_query(\"copy (select 42 as x) to ''$pwned''\") }}'}"
refused_override "$(join_words dbt build --select +stg_books probe --vars "$jinja_vars")" \
  "'--vars' holds Jinja ('{{')" "Jinja in a token holder's --vars"
refused_override "dbt build --vars '{probe: \"{% do run_query(1) %}\"}'" "'--vars' holds Jinja ('{%')" "a Jinja statement in --vars"
assert_eq "$before" "$(run_count)" "and no run was created"
# Plain data, with what only looks like template syntax, reaches the model as it was sent.
data="a \"quoted\" } {x} %} #} 'text'"
yaml="{probe: 'a \"quoted\" } {x} %} #} ''text'''}"  # $data as a YAML single-quoted string
override=$(join_words dbt build --select +stg_books probe --indirect-selection cautious --vars "$yaml")
assert_eq 200 "$(http -X POST "$JOB_URL/trigger" -d "{\"command_override\": $(as_json "$override")}")" \
  "a build with data in --vars is accepted over TCP"
RUN_ID=$(body | json 'd["job_run_id"]')
wait_for "run $RUN_ID to finish" 300 run_is_terminal "$RUN_ID" || fail "run $RUN_ID did not finish"
assert_eq success "$(status_of "$RUN_ID")" "the real dbt run succeeded"
assert_contains "$(dagctl logs "$RUN_ID")" "probe=[$data]" "the model got the --vars value as it was sent"
[ ! -e "$pwned" ] || fail "a refused command wrote $pwned"
pass "nothing wrote $pwned"

finish
