#!/usr/bin/env bash
# Warm dbt workers under attack (docs/runs.md#warm-workers), with the real dbt:
# - a token holder's flags must give what a cold run gives (--warn-error turns the parse's
#   warnings into errors: a kept manifest would skip them);
# - a parse input outside the model folders (.dbtignore) must not leave a stale manifest;
# - the project's own code runs in the worker while it parses: when it never ends, a
#   cancel and the job's timeout still end the run, and the worker is replaced; when it
#   writes junk on the worker's socket, the daemon answers, runs go cold, and the worker
#   is replaced;
# - at most --max-parallel workers live at once.
# The project's code is played by a sitecustomize.py on the project's PYTHONPATH that acts
# inside the worker's parse (not in runs), once per file it finds in $HOSTILE_DIR.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

mkdir -p "$TEST_TMP/site" "$TEST_TMP/hostile"
cat >"$TEST_TMP/site/sitecustomize.py" <<'EOF'
import os, sys

def _act():
    if getattr(sys.modules.get("__main__"), "WORKER_PID", None) != os.getpid():
        return  # only the warm worker itself, not a run's dbt
    path = os.path.join(os.environ["HOSTILE_DIR"], "action")
    try:
        action = open(path).read().strip()
    except OSError:
        return
    os.unlink(path)
    if action == "junk":
        os.write(3, b"\xff\xfe not the worker's protocol")
    elif action == "hang":
        import time
        time.sleep(100000)

class _Hook:
    def find_spec(self, name, path, target=None):
        if name != "dbt.parser.manifest":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module
        def exec_module(module):
            run_module(module)
            load = module.ManifestLoader.load
            def hooked(self, *a, **k):
                _act()
                return load(self, *a, **k)
            module.ManifestLoader.load = hooked
        spec.loader.exec_module = exec_module
        return spec

if os.environ.get("HOSTILE_DIR"):
    sys.meta_path.insert(0, _Hook())
EOF

start_daemon --dbt "$DAGCTL_TEST_DBT" --stop-grace 2
warm_dir=$(copy_example warm)
cold_dir=$(copy_example cold)
# A config path that applies to nothing: dbt warns about it when it parses.
for p in "$warm_dir" "$cold_dir"; do printf '\n  no_such_folder:\n    +materialized: table\n' >>"$p/dbt_project.yml"; done
add_project "$warm_dir" warm --env "SHOP_DUCKDB_PATH=$TEST_TMP/warm.duckdb" \
  --env "PYTHONPATH=$TEST_TMP/site" --env "HOSTILE_DIR=$TEST_TMP/hostile" >/dev/null
add_project "$cold_dir" cold --no-warm --env "SHOP_DUCKDB_PATH=$TEST_TMP/cold.duckdb" >/dev/null

newest_run() { dagctl -o json runs --project "$1" --limit 1 | json 'd["runs"][0]["id"] if d["runs"] else ""'; }
was_warm() { grep -qF "run $1: dbt forked by the project's warm worker (pid " "$TEST_TMP/dagctld.log"; }
# run_wait PROJECT COMMAND: triggers and waits; prints the run id.
run_wait() {
  dagctl trigger "$1/default" --wait --quiet --command "$2" >/dev/null 2>&1 || true
  newest_run "$1"
}

# --- a token holder's flags -------------------------------------------------------------
run_wait warm "dbt seed" >/dev/null
run_wait cold "dbt seed" >/dev/null
w=$(run_wait warm "dbt run --select stg_books --warn-error")
c=$(run_wait cold "dbt run --select stg_books --warn-error")
was_warm "$w" || fail "the --warn-error run of the warm project did not go through its worker"
assert_eq "$(status_of "$c")" "$(status_of "$w")" "--warn-error with a parse warning: the warm run ends as the cold one"
assert_eq error "$(status_of "$w")" "--warn-error with an unused config path: error, as a plain dbt gives"
w=$(run_wait warm "dbt run --select stg_books --warn-error-options '{\"error\": [\"UnusedResourceConfigPath\"]}'")
assert_eq error "$(status_of "$w")" "--warn-error-options naming the parse's warning: error, as a plain dbt gives"

# --- .dbtignore is read by the parse ----------------------------------------------------
listed() { grep -c '^shop\.' "$DATA/runs/$1/output.log" || true; }
w=$(run_wait warm "dbt ls --resource-type model")
before=$(listed "$w")
for p in "$warm_dir" "$cold_dir"; do echo "models/marts" >"$p/.dbtignore"; done
w=$(run_wait warm "dbt ls --resource-type model")
c=$(run_wait cold "dbt ls --resource-type model")
was_warm "$w" || fail "the ls after .dbtignore did not go through the worker"
[ "$(listed "$c")" -lt "$before" ] || fail "the cold ls still lists $(listed "$c") models after .dbtignore"
assert_eq "$(listed "$c")" "$(listed "$w")" "a .dbtignore written between two warm runs: the next one lists what a cold one does"
rm -f "$warm_dir/.dbtignore"

# --- the project's code never ends while the worker parses ------------------------------
hung_parse() {  # makes the worker's next parse hang: a model changed, the hook armed
  echo hang >"$TEST_TMP/hostile/action"
  echo "-- $1" >>"$warm_dir/models/staging/stg_books.sql"
}
hung_parse 1
run=$(trigger warm/default --command "dbt run --select stg_books")
wait_for "the worker to parse for run $run" 30 bash -c "[ ! -e '$TEST_TMP/hostile/action' ]" ||
  fail "the worker never parsed for run $run"
dagctl cancel "$run" >/dev/null
wait_for "run $run to end after its cancel" 15 run_is_terminal "$run" || fail "run $run is still $(status_of "$run") 15 s after its cancel"
assert_eq cancelled "$(status_of "$run")" "a cancel ends a run whose worker hangs in its parse"
dagctl status >/dev/null || fail "dagctl status does not answer after the hung worker"
w=$(run_wait warm "dbt run --select stg_books")
assert_eq success "$(status_of "$w")" "the next run succeeds"
was_warm "$w" || fail "the run after a hung worker did not go through a new worker"
pass "the hung worker was replaced: the next run is warm"

dagctl -o json job create warm --name short --timeout 5 --command "dbt run --select stg_books" >/dev/null
hung_parse 2
started=$(date +%s)
dagctl trigger warm/short --wait --quiet >/dev/null 2>&1 || true
run=$(newest_run warm)
fields "$(dagctl -o json run show "$run")" 'd["status"]' 'd.get("error_message") or ""'
assert_eq error "${F[0]}" "a timeout ends a run whose worker hangs in its parse"
assert_contains "${F[1]}" "timed out after 5 s" "its error names the job's timeout"
[ $(($(date +%s) - started)) -lt 40 ] || fail "the timed-out run took $(($(date +%s) - started)) s"

# --- the project's code writes junk on the worker's socket ------------------------------
echo junk >"$TEST_TMP/hostile/action"
echo "-- 3" >>"$warm_dir/models/staging/stg_books.sql"
w=$(run_wait warm "dbt run --select stg_books")
assert_eq success "$(status_of "$w")" "a worker that broke the protocol: its run still succeeds (cold)"
dagctl status >/dev/null || fail "dagctl status does not answer after junk on the socket"
w=$(run_wait warm "dbt run --select stg_books")
assert_eq success "$(status_of "$w")" "the run after junk on the socket succeeds"
# Junk during a worker's first parse makes the project cold, saying why; junk during a
# later parse replaces the worker.
if ! was_warm "$w"; then
  assert_contains "$(dagctl status)" "broke the protocol" "dagctl status says why the project went cold"
fi
pass "after junk on the socket the worker was replaced, or the project is cold with the reason"

# --- at most --max-parallel workers: a third project's run stops the least recently used --
stop_daemon TERM
start_daemon --dbt "$DAGCTL_TEST_DBT" --max-parallel 1
DATA_REAL=$(cd "$DATA" && pwd -P)
# The Python workers themselves (not their bwrap, not multiprocessing's resource tracker).
python_workers() { pids_with_env "DAGCTL_WARM_WORKER=$DATA_REAL" 2>/dev/null | while read -r p; do
  grep -q '^python' "/proc/$p/comm" 2>/dev/null &&
    tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | tail -1 | grep -qx /proc/self/fd/4 && echo "$p"; done | wc -l; }
for p in one two; do
  add_project "$(copy_example "$p")" "$p" --env "SHOP_DUCKDB_PATH=$TEST_TMP/$p.duckdb" >/dev/null
done
r=$(run_wait one "dbt seed")
assert_eq success "$(status_of "$r")" "--max-parallel 1: project one's run succeeds"
r=$(run_wait two "dbt seed")
assert_eq success "$(status_of "$r")" "and then project two's"
was_warm "$r" || fail "project two's run was not warm"
grep -q "project one: warm dbt worker stopped to make room for another" "$TEST_TMP/dagctld.log" ||
  fail "project one's worker was not stopped for project two's: $(grep -i 'warm dbt worker' "$TEST_TMP/dagctld.log" | tail -4)"
pass "--max-parallel 1: project two's worker stopped project one's"
wait_for "one Python worker at most" 10 test "$(python_workers)" -le 1 || fail "$(python_workers) workers live with --max-parallel 1"
pass "no more workers than --max-parallel"

stop_daemon TERM
assert_eq 0 "$DAEMON_RC" "dagctld stops cleanly"
DATA_REAL=$(cd "$DATA" && pwd -P)
no_worker_left() { [ -z "$(pids_with_env "DAGCTL_WARM_WORKER=$DATA_REAL" 2>/dev/null)" ]; }
wait_for "no warm worker left" 10 no_worker_left || fail "warm workers outlived dagctld"
pass "no warm worker outlives dagctld"
finish
