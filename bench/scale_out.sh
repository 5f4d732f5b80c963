#!/usr/bin/env bash
# Several daemons on one PostgreSQL (docs/scale-out.md, docs/benchmarks.md): how fast the
# system takes triggers and runs them with DAEMONS daemons (default: 1, then 3), and how
# long failover takes (a killed daemon's run ending "daemon lost"; the scheduler lease
# moving). A throwaway cluster (scripts/pg-cluster), 10 projects, the stand-in
# bench_fake_dbt (no work: the figures are dagctl's and PostgreSQL's), TRIGGERS triggers
# (default 300) sent by 6 concurrent clients round-robin over the daemons' sockets.
#   bench/scale_out.sh [BUILD_DIR]        (default build/)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
export DAGCTL_SOURCE_DIR="$SRC"
export DAGCTL_BIN_DIR="${1:-$SRC/build}/bin"
TRIGGERS=${TRIGGERS:-300}
LEASE=${LEASE:-3}
source "$SRC/tests/integration/lib.sh"
PG=$(mktemp -d /tmp/dagctl-pg.XXXXXX)  # not under TEST_TMP (0700): the server runs as postgres when we are root
trap 'rc=$?; "$SRC/scripts/pg-cluster" remove "$PG" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
FAKE="$DAGCTL_BIN_DIR/bench_fake_dbt"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# system N: N fresh daemons on a fresh database; their pids in PIDS.
system() {
  local n=$1 url i
  url=$("$SRC/scripts/pg-cluster" createdb "$PG" "bench_${n}_$RANDOM")
  PIDS=()
  for i in $(seq 1 "$n"); do
    local dir="$TEST_TMP/s$n-d$i"
    mkdir -p "$dir"
    "$DAGCTL_BIN_DIR/dagctld" --data-dir "$dir/data" --socket "$dir/sock" --listen none --store "$url" \
      --lease-seconds "$LEASE" --max-parallel 4 --keep-runs 0 --keep-days 0 --log-level warn >>"$TEST_TMP/dagctld.log" 2>&1 &
    PIDS+=($!)
    wait_for "daemon $i" 20 test -s "$dir/data/dagctld.json"
  done
  for p in $(seq 0 9); do
    mkdir -p "$TEST_TMP/proj/p$p" && cp -r "$SRC/examples/shop/." "$TEST_TMP/proj/p$p/"
    DAGCTL_SOCKET="$TEST_TMP/s$n-d1/sock" "$DAGCTL_BIN_DIR/dagctl" project add "$TEST_TMP/proj/p$p" --name "p$p" \
      --no-check --dbt "$FAKE" --on-every-daemon >/dev/null 2>&1 || true
  done
}

throughput() {
  local n=$1 start accepted done_at
  system "$n"
  start=$(now_ms)
  python3 - "$n" "$TRIGGERS" "$TEST_TMP" <<'PY'
import concurrent.futures, subprocess, sys
n, count, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def one(i):
    sock = f"{tmp}/s{n}-d{i % n + 1}/sock"
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", sock, "-X", "POST",
                          "-H", "Content-Type: application/json", "-d", "{}",
                          f"http://dagctl/api/v1/projects/p{i % 10}/jobs/default/trigger"], capture_output=True, text=True)
    return out.stdout
with concurrent.futures.ThreadPoolExecutor(6) as pool:
    codes = list(pool.map(one, range(count)))
bad = [c for c in codes if c != "200"]
if bad: sys.exit(f"{len(bad)} triggers failed: {bad[:5]}")
PY
  accepted=$(now_ms)
  wait_for "the runs to end" 600 bash -c '[ "$(curl -sS --unix-socket "$1" "http://dagctl/api/v1/runs?status=success&limit=1000" |
    python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"runs\"]))")" -ge "$2" ]' _ "$TEST_TMP/s$n-d1/sock" "$TRIGGERS"
  done_at=$(now_ms)
  printf '%s daemon(s): %s triggers accepted in %s ms (%s/s); all ran in %s ms (%s runs/s)\n' "$n" "$TRIGGERS" \
    $((accepted - start)) $((TRIGGERS * 1000 / (accepted - start + 1))) $((done_at - start)) $((TRIGGERS * 1000 / (done_at - start + 1)))
  for p in "${PIDS[@]}"; do kill -TERM "$p"; done
  for p in "${PIDS[@]}"; do wait "$p" || true; done
}

"$SRC/scripts/pg-cluster" start "$PG" >/dev/null
for n in ${DAEMONS:-1 3}; do throughput "$n"; done

# Failover: a run held by a daemon killed with -9 ends "daemon lost" after its lease.
system 2
mkdir -p "$TEST_TMP/hold"
cat >"$TEST_TMP/hold/dbt" <<'SH'
#!/bin/sh
exec sleep 600
SH
chmod +x "$TEST_TMP/hold/dbt"
DAGCTL_SOCKET="$TEST_TMP/s2-d1/sock" "$DAGCTL_BIN_DIR/dagctl" project update p0 --dbt "$TEST_TMP/hold/dbt" --no-check >/dev/null
run=$(DAGCTL_SOCKET="$TEST_TMP/s2-d1/sock" "$DAGCTL_BIN_DIR/dagctl" -o json trigger p0/default | json 'd["job_run_id"]')
wait_for "the held run to start" 20 bash -c '[ "$(DAGCTL_SOCKET="$1" "$2" -o json run show "$3" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"status\"])")" == running ]' \
  _ "$TEST_TMP/s2-d1/sock" "$DAGCTL_BIN_DIR/dagctl" "$run"
victim=1; [ -d "$TEST_TMP/s2-d2/data/runs/$run" ] && victim=2
other=$((3 - victim))
killed=$(now_ms)
kill -KILL "${PIDS[$((victim - 1))]}"
wait_for "the lost run to end" 120 bash -c '[ "$(DAGCTL_SOCKET="$1" "$2" -o json run show "$3" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"status\"])")" == error ]' \
  _ "$TEST_TMP/s2-d$other/sock" "$DAGCTL_BIN_DIR/dagctl" "$run"
echo "failover: a killed daemon's run ended 'daemon lost' $(( $(now_ms) - killed )) ms after kill -9 (lease ${LEASE} s)"
