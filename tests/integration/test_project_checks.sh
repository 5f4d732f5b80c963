#!/usr/bin/env bash
# Project checks with the real dbt on copies of examples/shop (docs/api.md, Project checks):
# `project add` refuses a missing dbt, a missing profile and a wrong target with the reason,
# and registers them with --no-check; `project update` changes the target and checks it
# again, and the next run uses it; `project remove` wants --yes without a terminal;
# `dagctl doctor` exits 0 when all is well, 1 with a broken project, 2 without a daemon.
# Each check spawns `dbt --version`: seconds each.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

start_daemon --dbt "$DAGCTL_TEST_DBT"

# --- add: the checks pass on the example -----------------------------------------------
shop=$(copy_example shop)
# A second target whose warehouse is a file of its own: the run below shows which was used.
cat >>"$shop/profiles.yml" <<EOF
    ci:
      type: duckdb
      path: "$TEST_TMP/ci.duckdb"
EOF
out=$(dagctl project add "$shop" --profiles-dir "$shop" --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")
assert_contains "$out" "registered project shop" "project add runs the checks and registers a good project"

# --- add: each failure is refused with its reason, and --no-check registers it anyway -----
refused() {  # WHAT NEEDLE ARGS...: project add ARGS exits 2 naming NEEDLE and --no-check
  local what=$1 needle=$2 rc=0 err
  shift 2
  err=$(dagctl project add "$@" 2>&1) || rc=$?
  assert_eq 2 "$rc" "project add with $what exits 2"
  assert_contains "$err" "$needle" "and says why ($what)"
  assert_contains "$err" "--no-check" "and suggests --no-check ($what)"
  dagctl project add "$@" --no-check >/dev/null || fail "project add --no-check with $what failed"
  pass "project add --no-check registers it anyway ($what)"
}
nodbt=$(copy_example nodbt)
refused "a missing dbt executable" "dbt: no executable at $TEST_TMP/missing/dbt" \
  "$nodbt" --profiles-dir "$nodbt" --dbt "$TEST_TMP/missing/dbt"
noprofile=$(copy_example noprofile)
mkdir "$TEST_TMP/other-profiles"
printf 'other:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: other.duckdb}\n' >"$TEST_TMP/other-profiles/profiles.yml"
refused "a missing profile" "has no profile 'shop' (it has: other)" "$noprofile" --profiles-dir "$TEST_TMP/other-profiles"
wrongtarget=$(copy_example wrongtarget)
refused "a wrong target" "has no target 'staging'" "$wrongtarget" --profiles-dir "$wrongtarget" --target staging

# --- doctor: a broken project fails it ------------------------------------------------------
rc=0
out=$(dagctl doctor) || rc=$?
assert_eq 1 "$rc" "doctor exits 1 while a project's check fails"
assert_contains "$out" "ok    daemon" "doctor says the daemon answers"
assert_contains "$out" "FAIL  nodbt: dbt" "doctor names the failed check of the broken project"
assert_contains "$out" "ok    shop: target" "doctor shows the good project's checks as ok"
rc=0
doc=$(dagctl -o json doctor) || rc=$?
assert_eq 1 "$rc" "doctor -o json exits 1 too"
assert_eq False "$(echo "$doc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')" "doctor -o json is one document with ok: false"

# --- remove: --yes is needed when nobody can be asked ----------------------------------------
rc=0
err=$(dagctl project remove nodbt </dev/null 2>&1) || rc=$?
assert_eq 2 "$rc" "project remove without --yes and without a terminal exits 2"
assert_contains "$err" "--yes" "and says to pass --yes"
dagctl project show nodbt >/dev/null || fail "project remove without --yes removed the project"
pass "and removes nothing"
for p in nodbt noprofile wrongtarget; do dagctl project remove "$p" --yes >/dev/null; done
assert_eq "shop" "$(dagctl -o json project list | json '",".join(p["name"] for p in d["projects"])')" \
  "project remove --yes removes the projects"

# --- update: a new target is checked, stored, and used by the next run ----------------------
rc=0
err=$(dagctl project update shop --target staging 2>&1) || rc=$?
assert_eq 2 "$rc" "project update to a wrong target exits 2"
assert_contains "$err" "no target 'staging'" "and says why"
assert_eq null "$(dagctl -o json project show shop | json 'd["target"]')" "a refused update changes nothing"
out=$(dagctl project update shop --target ci --env EXTRA=1)
assert_contains "$out" "updated project shop" "project update to an existing target succeeds"
assert_eq "ci" "$(dagctl -o json project show shop | json 'd["target"]')" "the new target is stored"
assert_contains "$(dagctl -o json project show shop | json 'd["env"]')" "EXTRA" "--env adds a variable"
dagctl project update shop --unset-env EXTRA --no-check >/dev/null
assert_not_contains "$(dagctl -o json project show shop | json 'd["env"]')" "EXTRA" "--unset-env removes it"
rc=0
dagctl trigger shop/default --command "dbt seed --select stores" --wait >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "a run after project update succeeds"
[ -e "$TEST_TMP/ci.duckdb" ] || fail "the run after project update --target ci did not use the ci target"
pass "the next run uses the new target (it wrote the ci target's warehouse)"
[ ! -e "$TEST_TMP/shop.duckdb" ] || fail "the run after project update --target ci wrote the dev warehouse"
pass "and not the old one"

# --- doctor: all well, then no daemon ----------------------------------------------------------
rc=0
out=$(dagctl doctor) || rc=$?
assert_eq 0 "$rc" "doctor exits 0 when every check passes: $out"
assert_not_contains "$out" "FAIL" "and shows no failure"
assert_contains "$out" "shop: profiles.yml" "and one line per project check"
stop_daemon
rc=0
out=$(dagctl doctor 2>&1) || rc=$?
assert_eq 2 "$rc" "doctor exits 2 when the daemon is unreachable"
assert_contains "$out" "dagctl daemon start" "and says how to start it"

echo "test_project_checks: $CHECKS checks passed"
