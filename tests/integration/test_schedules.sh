#!/usr/bin/env bash
# Schedules inside the daemon (docs/schedules.md), end to end: a real dbt run started by the
# scheduler within its minute, validation, job show, overlap skip and one catch-up run
# after downtime.
source "$(dirname "$0")/lib.sh"
[ -x "${DAGCTL_TEST_DBT:-}" ] || fail "DAGCTL_TEST_DBT is not set: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
export FAKE_DBT_DIR="$TEST_TMP/fake"
mkdir -p "$FAKE_DBT_DIR"

# Two slots: the held blocker below must not keep the scheduled dbt run waiting.
start_daemon --dbt "$DAGCTL_TEST_DBT" --max-parallel 2
shop=$(copy_example shop)
add_project "$shop" shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb" >/dev/null
held=$(copy_example held-project)
add_project "$held" held --dbt "$FAKE_DBT" >/dev/null

# --- Validation that explains ----------------------------------------------------------
err=$(dagctl job create shop --name bad --command 'dbt build' --schedule '0 25 * * *' 2>&1) || true
assert_contains "$err" "field 2 (hour)" "a bad hour is refused, naming the field"
err=$(dagctl job create shop --name bad --command 'dbt build' --schedule '0 3 * *' 2>&1) || true
assert_contains "$err" "needs 5" "a wrong field count is refused"
err=$(dagctl job create shop --name bad --command 'dbt build' --schedule '0 0 30 2 *' 2>&1) || true
assert_contains "$err" "never fires" "a schedule that can never fire is refused"
err=$(dagctl job create shop --name bad --command 'dbt build' --schedule '@daily' --timezone 'Mars/Olympus' 2>&1) || true
assert_contains "$err" "Mars/Olympus" "an unknown time zone is refused, naming it"
rc=0
dagctl job show shop/bad >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "refused jobs were not created"

# --- job show: words and the next five fire times ---------------------------------------
dagctl job create shop --name nightly --command 'dbt build' --schedule '30 2 * * *' --timezone Europe/Berlin >/dev/null
shown=$(dagctl job show shop/nightly)
assert_contains "$shown" "every day at 02:30" "job show says the schedule in words"
assert_contains "$shown" "Europe/Berlin" "and its zone"
assert_eq 5 "$(dagctl -o json job show shop/nightly | json 'len(d["schedule_info"]["next_fire_times"])')" "and lists the next five fire times"
case "$(dagctl -o json job show shop/nightly | json 'd["schedule_info"]["next_fire_times"][0]["job_zone"]')" in
  ????-??-??\ 02:30\ CE*) pass "fire times are shown in the job's zone" ;;
  *) fail "job_zone $(dagctl -o json job show shop/nightly | json 'd["schedule_info"]["next_fire_times"][0]')" ;;
esac
dagctl job delete shop/nightly >/dev/null

# --- One minute boundary, two checks: a real scheduled dbt run within its minute (shop), ---
# --- and a fire time skipped while a run of its job is still running (held) ---------------
# busy gets its every-minute schedule only once its manual run holds, so no fire time can
# come before the blocker runs.
dagctl job create held --name busy --command 'dbt run --select hold' --schedule '0 0 1 1 *' --timezone UTC >/dev/null
blocker=$(trigger held/busy)
wait_for "the manual run to hold" 20 run_has_status "$blocker" running
dagctl job update held/busy --schedule '* * * * *' >/dev/null
dagctl job create shop --name every-minute --command 'dbt build --select +book_revenue' --schedule '* * * * *' --timezone UTC >/dev/null
first_fire=$(dagctl -o json job show shop/every-minute | json 'd["schedule_info"]["next_fire_times"][0]["at"]')
scheduled_run() { dagctl -o json runs --job shop/every-minute | json 'd["runs"][-1]["id"] if d["runs"] else ""'; }
has_scheduled_run() { [ -n "$(scheduled_run)" ]; }
wait_for "the scheduler to start a run at $first_fire" 90 has_scheduled_run
run=$(scheduled_run)
dagctl job update shop/every-minute --enabled false >/dev/null   # one is enough
wait_for "the scheduled run to end" 120 run_is_terminal "$run"
shown=$(dagctl -o json run show "$run")
assert_eq success "$(echo "$shown" | json 'd["status"]')" "the scheduled real dbt run succeeded"
assert_eq schedule "$(echo "$shown" | json 'd["triggered_by"]')" "triggered_by is schedule"
case "$(echo "$shown" | json 'd["job_name"]')" in every-minute-schedule-????????-??????) pass "its name is <job>-schedule-<stamp>" ;; *) fail "job_name" ;; esac
lag=$(python3 -c 'import sys, datetime as t; p=lambda s: t.datetime.fromisoformat(s.replace("Z","+00:00")); print((p(sys.argv[2]) - p(sys.argv[1])).total_seconds())' \
  "$first_fire" "$(echo "$shown" | json 'd["created_at"]')")
assert_eq true "$(python3 -c "print(str(0 <= $lag < 60).lower())")" "it was queued within its minute ($lag s after $first_fire)"
assert_contains "$(dagctl -o json job show shop/every-minute | json 'd["last_fire_outcome"]')" "$run" "job show names the run the last fire started"

skipped() { dagctl -o json job show held/busy | json 'd["last_fire_outcome"] or ""' | grep -q skipped; }
wait_for "busy's fire time to be skipped" 90 skipped
assert_eq 1 "$(dagctl -o json runs --job held/busy | json 'len(d["runs"])')" "no second run was queued behind the running one"
touch "$FAKE_DBT_DIR/release-all"
wait_for "the held run to end" 20 run_is_terminal "$blocker"
dagctl job update held/busy --enabled false >/dev/null

# --- Downtime: one catch-up run however many fire times were missed ------------------------
dagctl job update held/busy --enabled true >/dev/null
stop_daemon TERM
minute=$(date -u +%M)
minute_passed() { [ "$(date -u +%M)" != "$minute" ]; }
wait_for "a fire time to pass while the daemon is down" 70 minute_passed
start_daemon --dbt "$DAGCTL_TEST_DBT" --max-parallel 2
catch_up() { [ "$(dagctl -o json runs --job held/busy | json 'len([r for r in d["runs"] if r["triggered_by"] == "schedule"])')" -ge 1 ]; }
wait_for "the catch-up run" 20 catch_up
assert_eq 1 "$(dagctl -o json runs --job held/busy | json 'len([r for r in d["runs"] if r["triggered_by"] == "schedule"])')" "exactly one catch-up run"
assert_contains "$(dagctl -o json job show held/busy | json 'd["last_fire_outcome"]')" "catch-up" "job show says it was a catch-up"
dagctl job update held/busy --enabled false >/dev/null
finish
