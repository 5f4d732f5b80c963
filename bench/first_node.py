#!/usr/bin/env python3
"""bench/first_node.py SOCKET PROJECT_ID JOB_ID COMMAND N: trigger → first node started.

Triggers the job N times, one after the other, over the daemon's Unix socket with COMMAND as
the command_override. For each: the time the trigger's 200 was read (CLOCK_REALTIME, taken
as the answer's last byte arrives), then waits for the run to end (polling GET /runs/{id}
every 20 ms: the poll only decides when to read the nodes, it is not timed), and reads
GET /runs/{id}/nodes: the first node's started_at (dbt's own NodeStart time, ms resolution).
Prints JSON: {"samples": [{"run", "answered", "first_node_started", "ms", "status"}], ...}.
"""
import datetime
import http.client
import json
import socket
import statistics
import sys
import time

sock_path, project, job, command, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=600)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def request(method, path, body=None):
    conn = UnixConnection(sock_path)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    at = time.time()
    conn.close()
    if answer.status != 200:
        raise SystemExit(f"first_node.py: {method} {path}: {answer.status} {data[:300]!r}")
    return json.loads(data), at


def rfc3339(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


samples = []
for _ in range(n):
    body = json.dumps({"command_override": command})
    answer, answered = request("POST", f"/api/v1/projects/{project}/jobs/{job}/trigger", body)
    run = answer["job_run_id"]
    deadline = time.monotonic() + 600
    while True:
        state, _ = request("GET", f"/api/v1/runs/{run}")
        if state["status"] not in ("queued", "running"):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"first_node.py: run {run} did not end in 600 s")
        time.sleep(0.02)
    nodes, _ = request("GET", f"/api/v1/runs/{run}/nodes")
    nodes = nodes.get("nodes", nodes) if isinstance(nodes, dict) else nodes
    starts = [rfc3339(x["started_at"]) for x in nodes if x.get("started_at")]
    first = min(starts) if starts else None
    samples.append({"run": run, "status": state["status"], "answered": answered, "first_node_started": first,
                    "ms": None if first is None else (first - answered) * 1000})

values = [s["ms"] for s in samples if s["ms"] is not None]
print(json.dumps({"command": command, "samples": samples,
                  "median_ms": statistics.median(values) if values else None,
                  "min_ms": min(values) if values else None, "max_ms": max(values) if values else None}))
