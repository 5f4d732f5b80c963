#!/usr/bin/env bash
# What a run is doing (docs/runs.md, Progress) with real dbt: the phases of a run, the node
# it runs with its elapsed time growing, and what queued runs wait for (the running run of
# their project, or a free slot under --max-parallel). The slow node is the example's Python
# model `calendar`, which sleeps `slow_seconds`.
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi

SLOW="dbt run --select calendar --vars '{slow_seconds: 120}'"
PHASES="$TEST_TMP/phases"

# calendar_runs RUN: notes RUN's phase in $PHASES; true once `calendar` is its one running node.
calendar_runs() {
  fields "$(dagctl -o json run show "$1")" 'd.get("progress", {}).get("phase")' \
    '[n["unique_id"] for n in d.get("progress", {}).get("running", [])]'
  echo "${F[0]}" >>"$PHASES"
  [ "${F[1]}" == '["model.shop.calendar"]' ]
}
elapsed_of() { run_field "$1" 'd["progress"]["running"][0]["elapsed_seconds"]'; }
elapsed_above() {  # RUN SECONDS
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$(elapsed_of "$1")" "$2"
}

start_daemon --dbt "$DAGCTL_TEST_DBT" --max-parallel 1 --stop-grace 2
add_project "$(copy_example shop)" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb" >/dev/null
add_project "$(copy_example shopb)" shopb --env "SHOP_DUCKDB_PATH=$TEST_TMP/shopb.duckdb" >/dev/null

# --- a running run: phases in order, then its node with a growing elapsed time --------------
run=$(trigger shop/default --command "$SLOW")
wait_for "run $run to run calendar" 180 calendar_runs "$run" || fail "calendar never ran; phases seen: $(uniq "$PHASES" | tr '\n' ' ')"
seen=$(uniq "$PHASES" | tr '\n' ' ' | sed 's/ $//')
python3 - "$seen" <<'EOF' || fail "phases out of order: $seen"
import sys
order = ["queued", "starting", "parsing", "running"]
seen = sys.argv[1].split()
assert all(p in order for p in seen), seen
assert [order.index(p) for p in seen] == sorted(order.index(p) for p in seen), seen
assert seen[-1] == "running", seen
EOF
pass "the phases seen until calendar ran are in order: $seen"

doc=$(dagctl -o json run show "$run")
fields "$doc" 'd["status"]' 'd["progress"]["phase"]' 'd["progress"]["done"]' 'd["progress"]["total"]' \
  'd["progress"]["running"][0]["name"]' 'd["progress"]["running"][0]["resource_type"]' \
  'd["progress"]["waiting_for"]' 'd["progress"]["queued_behind"]' \
  'd["progress"]["running"][0]["started_at"]' 'd["progress"]["running"][0]["elapsed_seconds"]'
assert_eq "running running 0 1" "${F[0]} ${F[1]} ${F[2]} ${F[3]}" "a running run: phase running, 0 of 1 node done"
assert_eq "calendar model" "${F[4]} ${F[5]}" "progress.running names the node and its type"
assert_eq "null null" "${F[6]} ${F[7]}" "a running run waits for nothing"
python3 - "${F[8]}" "${F[9]}" <<'EOF' || fail "started_at ${F[8]} and elapsed_seconds ${F[9]} disagree"
import sys
from datetime import datetime, timezone
started = datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
since = (datetime.now(timezone.utc) - started).total_seconds()
assert 0 <= float(sys.argv[2]) <= since + 0.5, (since, sys.argv[2])
assert since - float(sys.argv[2]) < 10, (since, sys.argv[2])
EOF
pass "elapsed_seconds (${F[9]}) is the time since started_at (${F[8]})"

first=$(elapsed_of "$run")
wait_for "calendar's elapsed_seconds to pass $first + 1" 20 elapsed_above "$run" "$(python3 -c "print($first + 1)")" ||
  fail "elapsed_seconds stays at $(elapsed_of "$run") (was $first)"
pass "elapsed_seconds grows while the node runs ($first, then $(elapsed_of "$run"))"

# --- queued runs: behind the running run of their project, or waiting for a free slot -------
behind=$(trigger shop/default --command "dbt ls")
doc=$(dagctl -o json run show "$behind")
fields "$doc" 'd["status"]' 'd["progress"]["phase"]' 'd["progress"]["queued_behind"]' 'd["progress"]["waiting_for"]' \
  'd["progress"]["running"]' 'd["progress"]["done"]'
assert_eq "queued queued" "${F[0]} ${F[1]}" "a second run of the project is queued, phase queued"
assert_eq "$run" "${F[2]}" "queued_behind is the project's running run"
assert_eq "run $run (shop/default) to finish" "${F[3]}" "waiting_for names the run it waits for"
assert_eq "[] 0" "${F[4]} ${F[5]}" "a queued run runs no node"

slot=$(trigger shopb/default)
fields "$(dagctl -o json run show "$slot")" 'd["progress"]["phase"]' 'd["progress"]["queued_behind"]' 'd["progress"]["waiting_for"]'
assert_eq "queued null" "${F[0]} ${F[1]}" "a run of another project is queued behind no run"
assert_eq "a free slot (1 of 1 running, --max-parallel 1)" "${F[2]}" "it waits for a free slot"

fields "$(dagctl -o json runs)" \
  "{r['id']: (r.get('progress') or {}).get('queued_behind', 'absent') for r in d['runs']}[\"$behind\"]" \
  "{r['id']: (r.get('progress') or {}).get('phase') for r in d['runs']}[\"$run\"]"
assert_eq "$run running" "${F[0]} ${F[1]}" "the runs list carries the same progress"

# --- ended runs have no progress --------------------------------------------------------------
dagctl cancel "$behind" >/dev/null
dagctl cancel "$slot" >/dev/null
dagctl cancel "$run" >/dev/null
wait_for "run $run to end after cancel" 60 run_is_terminal "$run" || fail "run $run did not end"
for r in "$run" "$behind" "$slot"; do
  assert_eq "cancelled false" "$(run_field "$r" 'd["status"] + " " + str("progress" in d).lower()')" "ended run $r has no progress"
done

finish
