#!/usr/bin/env bash
# How long GET /metrics takes with many stored runs (docs/metrics.md, docs/benchmarks.md):
# writes RUNS runs (default 100,000) with MODELS model node records each (default 10)
# straight into a fresh store, starts dagctld with --metrics-listen, then times the first
# scrape (it reads every model's last success once) and SCRAPES more (default 50; only the
# runs ended since the previous scrape are read), and the daemon's RSS before and after.
#   bench/metrics_scrape.sh [BUILD_DIR]     (default build/)
#   SECOND_PROJECT=1 bench/metrics_scrape.sh   (the first scrape's worst case)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
export DAGCTL_SOURCE_DIR="$SRC"
export DAGCTL_BIN_DIR="${1:-$SRC/build}/bin"
RUNS=${RUNS:-100000}
MODELS=${MODELS:-10}
SCRAPES=${SCRAPES:-50}
source "$SRC/tests/integration/lib.sh"

start_daemon --dbt "$FAKE_DBT" --keep-runs 0 --keep-days 0
PROJECT=$(add_project "$(copy_example shop)" shop)
JOB=$(dagctl -o json job show shop/default | json 'd["id"]')
# A second project without runs: the first scrape then reads each model's whole history
# (it cannot know the model is not that project's), the worst case.
[ "${SECOND_PROJECT:-0}" == 1 ] && add_project "$(copy_example other)" other >/dev/null
stop_daemon

python3 - "$DATA/dagctl.db" "$PROJECT" "$JOB" "$RUNS" "$MODELS" <<'PY'
import random, sqlite3, sys, time, uuid
db, project, job, count, models = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
con = sqlite3.connect(db)
now = int(time.time() * 1000)
rng = random.Random(17)
runs, nodes = [], []
for i in range(count):  # oldest first, one every 90 s back from an hour ago
    created = now - 3_600_000 - (count - i) * 90_000
    status = "success" if rng.random() < 0.8 else "failed"
    run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    runs.append((run_id, i + 1, job, project, f"default-manual-{i}", status, "manual", "dbt build", created, created + 100,
                 created + 60_000, 0 if status == "success" else 1))
    for m in range(models):
        node_status = "success" if status == "success" or m % 3 else "error"
        nodes.append((run_id, i + 1, f"model.shop.m{m:03d}", f"m{m:03d}", "model", node_status, created + 200,
                      created + 200 + 1000 * (m + 1), float(m + 1)))
con.executemany("INSERT INTO runs (id, seq, job_id, project_id, job_name, status, triggered_by, command, created_at, "
                "start_time, end_time, exit_code) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", runs)
con.executemany("INSERT INTO run_nodes (run_id, run_seq, unique_id, name, resource_type, status, started_at, finished_at, "
                "execution_time) VALUES (?,?,?,?,?,?,?,?,?)", nodes)
con.commit()
print(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0], "runs,",
      con.execute("SELECT COUNT(*) FROM run_nodes").fetchone()[0], "node records stored")
PY

start_daemon --dbt "$FAKE_DBT" --keep-runs 0 --keep-days 0 --metrics-listen 127.0.0.1:0
METRICS="http://$(json 'd["metrics"]' <"$DATA/dagctld.json")/metrics"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status"; }
echo "daemon RSS before the first scrape: $(rss) KiB"
curl -sS --fail-with-body -o "$TEST_TMP/first" -w 'first scrape: %{time_total} s, %{size_download} bytes\n' "$METRICS"
grep -c '^dagctl_model_last_success_timestamp_seconds{' "$TEST_TMP/first" | sed 's/^/model series: /'
for _ in $(seq 1 "$SCRAPES"); do
  curl -sS --fail-with-body -o /dev/null -w '%{time_total}\n' "$METRICS"
done | sort -n | awk '{ t[NR] = $1 } END { printf "next %d scrapes: median %.1f ms, max %.1f ms\n", NR, t[int((NR + 1) / 2)] * 1000, t[NR] * 1000 }'
dagctl trigger shop/default --wait >/dev/null || true
curl -sS --fail-with-body -o /dev/null -w 'a scrape after a run ended: %{time_total} s\n' "$METRICS"
echo "daemon RSS after: $(rss) KiB"
stop_daemon
