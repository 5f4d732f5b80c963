#!/usr/bin/env bash
# Runs are isolated from the daemon (docs/sandbox.md), with the real dbt: a daemon started
# with secrets in its environment runs a Python model that looks for them, for the
# database, another run's folder, the socket and the daemon's /proc, and a SQL model that
# reads dagctl.db as the issue's attacker did. In the sandbox none of it is there; the
# shop build still succeeds; --defer gets the job's last good state. The probes run in a run
# forked by the project's warm worker (in its sandbox) and in a cold one. With --sandbox off
# the environment allowlist still holds. Also: --sandbox on without bwrap, --pass-env
# refusing dagctl's secrets, and `dagctl daemon start` not passing the shell's secrets.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi
command -v bwrap >/dev/null || fail "bwrap is not installed (Debian: apt install bubblewrap; scripts/install-deps)"

WAREHOUSE="$TEST_TMP/warehouse"  # the only folder besides the project that runs may write
mkdir -p "$WAREHOUSE"
# Readable, not writable, in a sandbox (not under /tmp, which a sandboxed run gets empty).
OUTSIDE=$(dirname "$DAGCTL_TEST_DBT")

# start_isolated [ARGS...]: dagctld with dagctl's secrets, a fake credential and a DBT_
# variable in its environment (unlike lib.sh's start_daemon, $TEST_TMP is not writable),
# and PATH=$DAEMON_PATH when that is set.
start_isolated() {
  rm -f "$DATA/dagctld.json"
  DAGCTL_TOKEN=dctl_x DAGCTL_WEBHOOK_AUTH_PASSWORD=hunter2 SHOP_FAKE_SECRET=s3cret-value \
    DBT_PROFILES_DIR=/nonexistent PATH=${DAEMON_PATH:-$PATH} "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" \
    --listen none --dbt "$DAGCTL_TEST_DBT" --sandbox-writable "$WAREHOUSE" --pass-env DAGCTL_TEST_TMP \
    --log-level debug "$@" >>"$TEST_TMP/dagctld.log" 2>&1 &
  DAEMON_PID=$!
  wait_for "dagctld.json from pid $DAEMON_PID" 30 test -s "$DATA/dagctld.json" || fail "dagctld did not become ready"
}

# write_probe: the models that look around, knowing the daemon's pid and paths.
write_probe() {
  mkdir -p "$shop/models/isolation"
  cat >"$shop/models/isolation/probe.py" <<EOF
import json, os, socket


def model(dbt, session):
    dbt.config(materialized="table")

    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            return type(e).__name__

    def writes(path):
        try:
            with open(path, "w") as f:
                f.write("x")
            os.remove(path)
            return True
        except OSError:
            return False

    def listing(path):
        try:
            return sorted(os.listdir(path))
        except OSError as e:
            return type(e).__name__

    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect("$SOCK")
        reached = "connected"
    except OSError as e:
        reached = type(e).__name__
    environ = read("/proc/$DAEMON_PID/environ")
    db = read("$DATA/dagctl.db")
    found = {
        "env": dict(os.environ),
        "db": db if isinstance(db, str) else "bytes",  # the error's name, or "bytes"
        "runs": listing("$DATA/runs"),
        "warm": listing("$DATA/warm"),
        "socket": reached,
        "daemon_environ_has_token": isinstance(environ, bytes) and b"DAGCTL_TOKEN" in environ,
        "outside_readable": isinstance(read("$OUTSIDE/dbt"), bytes),
        "writes_outside": writes("$OUTSIDE/dagctl-probe"),
        "writes_warehouse": writes("$WAREHOUSE/probe"),
        "writes_tmp": writes("/tmp/probe"),
    }
    with open(os.environ["DAGCTL_RUN_ID"] + ".probe.json", "w") as f:
        json.dump(found, f)
    return session.sql("select 1 as ok")
EOF
  # The issue's route: DuckDB reads the daemon's database (a missing file reads as no rows).
  # A table, not a view: reading a view from here would run read_blob outside the sandbox.
  echo "{{ config(materialized='table') }}
select count(*) as files, coalesce(sum(octet_length(content)), 0) as bytes
from read_blob('$DATA/dagctl.db')" >"$shop/models/isolation/leak.sql"
}

# leaked: "FILES BYTES" of dagctl.db that the leak model read, from the warehouse.
leaked() {
  "$(dirname "$DAGCTL_TEST_DBT")/python" -c 'import duckdb, sys
print(*duckdb.connect(sys.argv[1], read_only=True).sql("select files, bytes from main.leak").fetchall()[0])' \
    "$WAREHOUSE/shop.duckdb"
}

# finished JOB [ARGS...]: triggers, waits until the run ended (real dbt: up to 3 minutes on a
# busy machine) and prints its id.
finished() {
  local run
  run=$(trigger "$@")
  wait_for "run $run to end" 180 run_is_terminal "$run" || fail "run $run did not end"
  echo "$run"
}

log_of() { cat "$DATA/runs/$1/output.log"; }  # RUN: its output.log (what dagctl logs prints)

# probe RUN EXPR: EXPR over what RUN's probe model found (bound to d).
probe() { json "$2" <"$shop/$1.probe.json"; }

shop=$(copy_example shop)
start_isolated
project_id=$(add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$WAREHOUSE/shop.duckdb" --env "PROJECT_VAR=mine")
# The same folder, never warm: what a cold run sees (docs/runs.md#warm-workers).
add_project "$shop" shopcold --env "SHOP_DUCKDB_PATH=$WAREHOUSE/shop.duckdb" --env "PROJECT_VAR=mine" --no-warm >/dev/null
write_probe

# --- the sandbox is on, and says so ------------------------------------------------------------
fields "$(dagctl -o json status)" 'd["sandbox"]["mode"]' 'd["sandbox"]["active"]' 'd["sandbox"]["detail"]'
assert_eq "auto true" "${F[0]} ${F[1]}" "GET /api/v1/daemon: sandbox mode auto, active"
assert_contains "${F[2]}" "bwrap " "its detail names bwrap and its version"
assert_contains "$(dagctl status)" "sandbox:  on, bwrap " "dagctl status says runs are sandboxed"
grep -q "runs are sandboxed: bwrap" "$TEST_TMP/dagctld.log" && pass "the start-up log says so too" ||
  fail "no 'runs are sandboxed' in the log"

# --- the shop builds as ever, with the probes among its models ----------------------------------
run=$(finished shop/default)
fields "$(dagctl -o json run show "$run")" 'd["status"]' 'd["results"]'
[ "${F[0]}" == success ] || fail "the shop's build ended ${F[0]}: $(log_of "$run" | tail -5)"
pass "the shop's build succeeds in the sandbox"
assert_eq '{"pass": 20, "success": 12}' "${F[1]}" "every node ran (seeds, models, Python models, tests)"
[ -s "$WAREHOUSE/shop.duckdb" ] && pass "dbt wrote the DuckDB file in the --sandbox-writable folder" ||
  fail "no $WAREHOUSE/shop.duckdb"
[ -s "$DATA/runs/$run/target/manifest.json" ] && pass "and its artifacts in the run's folder" || fail "no manifest"

# --- what a run sees ------------------------------------------------------------------------------
# check_probe RUN HOW: the probe's findings for a run forked by the project's warm worker
# (HOW=warm: the sandbox is the worker's, docs/runs.md#warm-workers) or started cold.
check_probe() {
  local run=$1 how=$2
  [ -s "$shop/$run.probe.json" ] || fail "$how: the probe wrote nothing to the project folder"
  pass "$how: the run writes in the project folder"
  assert_eq "null null null" "$(probe "$run" 'd["env"].get("DAGCTL_TOKEN")') $(probe "$run" 'd["env"].get("DAGCTL_WEBHOOK_AUTH_PASSWORD")') $(probe "$run" 'd["env"].get("SHOP_FAKE_SECRET")')" \
    "$how: dbt gets neither DAGCTL_TOKEN, DAGCTL_WEBHOOK_AUTH_PASSWORD nor the daemon's other variables"
  assert_eq "$shop" "$(probe "$run" 'd["env"].get("DBT_PROFILES_DIR")')" "$how: the daemon's DBT_ variables do not reach dbt either"
  assert_eq "mine $run /tmp $TEST_TMP" \
    "$(probe "$run" '" ".join(d["env"].get(k, "-") for k in ("PROJECT_VAR", "DAGCTL_RUN_ID", "TMPDIR", "DAGCTL_TEST_TMP"))')" \
    "$how: it gets the project's --env, DAGCTL_RUN_ID, a private TMPDIR and --pass-env's variable"
  extra=$(probe "$run" '" ".join(sorted(k for k in d["env"] if k not in ("PATH","HOME","USER","LOGNAME","LANG","TZ","TMPDIR","SSL_CERT_FILE","SSL_CERT_DIR","REQUESTS_CA_BUNDLE","PROJECT_VAR","SHOP_DUCKDB_PATH","DAGCTL_TEST_TMP","DAGCTL_RUN_ID","DO_NOT_TRACK","PWD") and not k.startswith(("LC_","DBT_"))))')
  assert_eq "" "$extra" "$how: nothing else of the daemon's environment"
  assert_eq FileNotFoundError "$(probe "$run" 'd["db"]')" "$how: dagctl.db does not exist for the run"
  if [ "$how" == cold ]; then
    assert_eq "[\"$run\"]" "$(probe "$run" 'd["runs"]')" "cold: the data dir's runs/ holds only the run's own folder"
    assert_eq FileNotFoundError "$(probe "$run" 'd["warm"]')" "cold: no warm worker's folder"
  else
    assert_eq FileNotFoundError "$(probe "$run" 'd["runs"]')" "warm: the data dir's runs/ does not exist for the run"
    assert_eq "[\"$project_id\"]" "$(probe "$run" 'd["warm"]')" "warm: of warm/ it sees only its own project's folder"
  fi
  assert_eq FileNotFoundError "$(probe "$run" 'd["socket"]')" "$how: the daemon's socket does not exist for the run"
  assert_eq false "$(probe "$run" 'd["daemon_environ_has_token"]')" "$how: the daemon's /proc/PID/environ is out of reach"
  assert_eq "true false true true" \
    "$(probe "$run" '" ".join(str(d[k]).lower() for k in ("outside_readable","writes_outside","writes_warehouse","writes_tmp"))')" \
    "$how: other folders are read-only; the --sandbox-writable folder and /tmp are writable"
}
grep -q "run $run: dbt forked by the project's warm worker" "$TEST_TMP/dagctld.log" && pass "the build was forked by the warm worker" ||
  fail "the build did not run warm: $(grep -i warm "$TEST_TMP/dagctld.log" | tail -3)"
check_probe "$run" warm
cold=$(finished shopcold/default --command "dbt run --select isolation")
assert_eq success "$(status_of "$cold")" "the probe models run cold too (project warm: false)"
grep -q "run $cold: dbt forked" "$TEST_TMP/dagctld.log" && fail "the warm: false project ran warm"
check_probe "$cold" cold

assert_eq "0 0" "$(leaked)" "a SQL model reading dagctl.db with DuckDB finds no such file"

# --- --defer: the state of the job's newest successful run -------------------------------------
deferred=$(finished shop/default --command "dbt run --select stg_books --defer")
[ "$(status_of "$deferred")" == success ] || fail "the --defer run failed: $(log_of "$deferred" | tail -5)"
pass "a --defer run succeeds"
assert_not_contains "$(log_of "$deferred")" "without --defer" "with --defer kept"
# A warm run reads a copy of that state in its worker's folder (docs/sandbox.md).
assert_eq "true $DATA/warm/$project_id/runs/$deferred/state" \
  "$(json '"%s %s" % (str(d["args"].get("defer")).lower(), d["args"].get("state"))' <"$DATA/runs/$deferred/target/run_results.json")" \
  "dbt deferred to a copy of the job's newest successful run's target/"
deferred_cold=$(finished shopcold/default --command "dbt run --select stg_books --defer")
assert_eq success "$(status_of "$deferred_cold")" "a cold --defer run succeeds"
assert_eq "true $DATA/runs/$cold/target" \
  "$(json '"%s %s" % (str(d["args"].get("defer")).lower(), d["args"].get("state"))' <"$DATA/runs/$deferred_cold/target/run_results.json")" \
  "a cold run defers to the job's newest successful run's target/ itself (read-only in the sandbox)"
dagctl job create shop --name deferred --command "dbt run --select stg_books --defer" >/dev/null
first=$(finished shop/deferred)
assert_eq success "$(status_of "$first")" "--defer in a job without a successful run yet still runs"
assert_contains "$(log_of "$first")" "dagctl: this job has no successful run to defer to yet: running without --defer" \
  "and its log says --defer was left out"

# --- --sandbox off: only the environment is filtered --------------------------------------------
stop_daemon TERM
start_isolated --sandbox off
assert_contains "$(dagctl status)" "sandbox:  off (--sandbox off)" "dagctl status says runs are not sandboxed"
off=$(finished shop/default --command "dbt run --select isolation")
assert_eq success "$(status_of "$off")" "the probe models run without the sandbox"
assert_eq "null null null" "$(probe "$off" 'd["env"].get("DAGCTL_TOKEN")') $(probe "$off" 'd["env"].get("DAGCTL_WEBHOOK_AUTH_PASSWORD")') $(probe "$off" 'd["env"].get("SHOP_FAKE_SECRET")')" \
  "without the sandbox dbt still gets none of the daemon's secrets"
assert_eq "$TEST_TMP" "$(probe "$off" 'd["env"].get("DAGCTL_TEST_TMP")')" "and --pass-env still applies"
assert_eq bytes "$(probe "$off" 'd["db"]')" "(without the sandbox dagctl.db is readable: the sandbox is what hides it)"
[ "$(leaked)" != "0 0" ] && pass "(and DuckDB reads it: files and bytes $(leaked))" || fail "the leak model read nothing without the sandbox"
stop_daemon TERM

# --- start-up: --sandbox on without bwrap, --pass-env of a secret ---------------------------------
rc=0
err=$(PATH=/nonexistent "$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" --listen none --sandbox on 2>&1) || rc=$?
assert_eq 1 "$rc" "--sandbox on without bwrap in PATH refuses to start"
assert_contains "$err" "bwrap" "naming bwrap"
assert_contains "$err" "--sandbox auto" "and what to do instead"
rc=0
err=$("$DAGCTL_BIN_DIR/dagctld" --data-dir "$DATA" --socket "$SOCK" --listen none --pass-env DAGCTL_TOKEN 2>&1) || rc=$?
assert_eq 1 "$rc" "--pass-env DAGCTL_TOKEN refuses to start"
assert_contains "$err" "secrets never reach dbt" "saying why"
DAEMON_PATH=/nonexistent start_isolated
fields "$(dagctl -o json status)" 'd["sandbox"]["active"]' 'd["sandbox"]["detail"]'
assert_eq false "${F[0]}" "--sandbox auto without bwrap starts unsandboxed"
assert_contains "$(dagctl status)" "sandbox:  off: bwrap (bubblewrap) is not installed or not in PATH (--sandbox auto)" \
  "and dagctl status says why"
stop_daemon TERM

# --- dagctl daemon start leaves the shell's secrets behind ----------------------------------------
rc=0
DAGCTL_TOKEN=dctl_x DAGCTL_WEBHOOK_AUTH_PASSWORD=hunter2 SHOP_FAKE_SECRET=kept \
  dagctl daemon start --data-dir "$DATA" --dbt "$DAGCTL_TEST_DBT" --listen none >/dev/null || rc=$?
assert_eq 0 "$rc" "dagctl daemon start starts the daemon"
DAEMON_PID=$(dagctl -o json status | json 'd["pid"]')
environ=$(tr '\0' '\n' <"/proc/$DAEMON_PID/environ")
assert_not_contains "$environ" "DAGCTL_TOKEN=" "the daemon it starts has no DAGCTL_TOKEN"
assert_not_contains "$environ" "DAGCTL_WEBHOOK_AUTH_PASSWORD=" "nor DAGCTL_WEBHOOK_AUTH_PASSWORD"
assert_contains "$environ" "SHOP_FAKE_SECRET=kept" "(the rest of the shell's environment is passed)"
dagctl daemon stop >/dev/null
DAEMON_PID=""
finish
