#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR OUT_JSON: turns bench/run's raw results into the targets' table.

Prints the table (Markdown, the same one docs/benchmarks.md shows) and the micro-benchmarks,
and writes OUT_JSON: {"machine", "rows", "micro", "raw"}.
"""
import json
import os
import statistics
import sys

results_dir, out_path = sys.argv[1], sys.argv[2]


def load(name):
    path = os.path.join(results_dir, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


raw = {}
for name in sorted(os.listdir(results_dir)):
    if name.endswith(".json"):
        raw[name[:-5]] = load(name)

machine = dict(raw.get("machine") or {})
machine.update(raw.get("machine_end") or {})

rows = []


def row(key, what, result, target="", floor="", verdict="", value=None):
    rows.append({"key": key, "what": what, "result": result, "target": target, "floor": floor,
                 "verdict": verdict, "value": value})


def ms(x, digits=2):
    return "?" if x is None else f"{x:.{digits}f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def met(ok):
    return "met" if ok else "MISSED"


true_floor = raw.get("floor_true")
fake_floor = raw.get("floor_fake")
commit = raw.get("sqlite_floor")
commit_median = commit["commit"]["median"] if commit else None
spawn_start = fake_floor["spawn_to_start"]["median"] if fake_floor else None

def trigger_floor(probe):
    """1 durable commit (the trigger's INSERT, before 200) + posix_spawn → stand-in start."""
    if not (fake_floor and true_floor):
        return ""
    c = probe["median"] if probe else commit_median
    where = "measured between the triggers" if probe else "measured before"
    return (f"{ms(c + spawn_start)} = 1 durable commit {ms(c)} ({where}) + posix_spawn → stand-in start "
            f"{ms(spawn_start)} (/bin/true spawn+wait {ms(true_floor['spawn_wait']['median'])})")


def wake_note(result):
    w = (result or {}).get("wake_probe")
    return f"; a thread wake-up meanwhile: median {ms(w['median'], 3)}, p99 {ms(w['p99'], 3)}" if w else ""


trigger = raw.get("trigger") or {}
for label, what in (("unix", "Unix socket"), ("tcp", "TCP + token"),
                    ("tmpfs", "Unix socket — what if: data dir on tmpfs, interleaved with the two above")):
    t = trigger.get(label)
    if not t:
        continue
    s = t["trigger_to_start"]
    a = t["trigger_to_200"]
    row(f"trigger_{label}", f"trigger → dbt process started, {what} (n={s['n']})",
        f"median {ms(s['median'])}, p99 {ms(s['p99'])} (200 answered: median {ms(a['median'])})",
        "median < 5 ms", trigger_floor(t.get("commit_probe")) + wake_note(trigger),
        met(s["median"] < 5) if label != "tmpfs" else "(diagnostic)", s["median"])

pairs_path = os.path.join(results_dir, "dbt_pairs.txt")
times_path = os.path.join(results_dir, "dbt_times.txt")
if os.path.exists(pairs_path) and os.path.exists(times_path):
    # dbt's own start and end in each run, noted by the wrapper around it.
    life = {}
    with open(times_path) as f:
        for line in f:
            what, run, ns = line.split()
            life.setdefault(run, {})[what] = int(ns)
    pairs = []
    with open(pairs_path) as f:
        for line in f:
            a0, a1, a_id, b0, b1, b_id = line.split()
            a0, a1, b0, b1 = int(a0), int(a1), int(b0), int(b1)
            la, lb = life[a_id], life[b_id]
            run = raw.pop(f"dbt_run_{a_id}", None) or {}
            recorded = None
            if run.get("end_time"):
                from datetime import datetime
                end = datetime.fromisoformat(run["end_time"].replace("Z", "+00:00")).timestamp()
                recorded = end - la["end"] / 1e9  # dbt exited → the daemon recorded the end
            pairs.append({
                "dbt_exit_to_end_recorded_s": recorded,
                "via_daemon_s": (a1 - a0) / 1e9, "direct_s": (b1 - b0) / 1e9,
                "dbt_under_daemon_s": (la["end"] - la["start"]) / 1e9,
                "dbt_direct_s": (lb["end"] - lb["start"]) / 1e9,
                # CLI start → dbt started (CLI, trigger, queue, run folder, spawn) and
                # dbt ended → CLI exit (outcome, commit, log stream end, summary).
                "before_dbt_s": (la["start"] - a0) / 1e9, "after_dbt_s": (a1 - la["end"]) / 1e9,
                "direct_wrapper_s": ((lb["start"] - b0) + (b1 - lb["end"])) / 1e9,
            })
    if pairs:
        med = lambda k: statistics.median(p[k] for p in pairs)
        ma, mb = med("via_daemon_s"), med("direct_s")
        overhead = ma / mb - 1
        diff = statistics.median(p["via_daemon_s"] - p["direct_s"] for p in pairs)
        outside = statistics.median(p["before_dbt_s"] + p["after_dbt_s"] for p in pairs)
        dbt_own = med("dbt_under_daemon_s")
        direct_own = med("dbt_direct_s")
        direct_outside = med("direct_wrapper_s")
        recorded = [p["dbt_exit_to_end_recorded_s"] for p in pairs if p["dbt_exit_to_end_recorded_s"] is not None]
        recorded_note = (f"; of the time after, the daemon had recorded the end after "
                         f"{statistics.median(recorded) * 1000:.0f} ms" if recorded else "")
        raw["dbt_pairs"] = {"pairs": pairs, "median_via_daemon_s": ma, "median_direct_s": mb,
                            "ratio_of_medians": ma / mb, "median_paired_difference_s": diff,
                            "median_outside_dbt_s": outside, "median_before_dbt_s": med("before_dbt_s"),
                            "median_after_dbt_s": med("after_dbt_s"), "median_dbt_under_daemon_s": dbt_own,
                            "median_dbt_direct_s": direct_own, "median_direct_outside_dbt_s": direct_outside}
        # The A/B ratio carries dbt's own run-to-run spread (often more than the 2% asked);
        # the time outside dbt's lifetime does not. The verdict goes by the latter, with the
        # A/B as the check that dbt itself does not run slower under the daemon.
        direct_measure = (outside - direct_outside) / dbt_own
        raw["dbt_pairs"]["overhead_outside_dbt"] = direct_measure
        if direct_measure >= 0.02:
            verdict = f"MISSED ({direct_measure * 100:.1f}% outside dbt)"
        elif overhead < 0.02:
            verdict = "met"
        elif diff / mb < 0.02:
            verdict = "met outside dbt; A/B ratio within dbt's noise"
        else:
            verdict = "MISSED (A/B)"
        row("dbt_overhead", f"`dagctl trigger --wait` vs direct `dbt build`, examples/shop ({len(pairs)} ABBA pairs)",
            f"A/B ratio of medians {overhead * 100:+.1f}% ({ma:.2f} s vs {mb:.2f} s; median paired diff "
            f"{diff * 1000:+.0f} ms); time outside dbt's own lifetime: {outside * 1000:.0f} ms "
            f"({med('before_dbt_s') * 1000:.0f} before + {med('after_dbt_s') * 1000:.0f} after{recorded_note}) = "
            f"{outside / dbt_own * 100:.1f}% of dbt's {dbt_own:.2f} s (direct: {direct_outside * 1000:.0f} ms); "
            f"dbt itself {dbt_own:.2f} s under the daemon vs {direct_own:.2f} s direct",
            "< 2% of dbt's wall time", "0 (same command, same environment, same wrapper)", verdict, overhead)

w = (raw.get("webhook") or {}).get("unix")
if w:
    s = w["exit_to_webhook"]
    probe = w.get("commit_probe") or (commit or {}).get("commit")
    row("webhook", f"dbt exited → webhook received by a local receiver (n={s['n']})",
        f"median {ms(s['median'])}, p99 {ms(s['p99'])}", "median < 10 ms (from terminal status)",
        (f"{ms(probe['median'])} (the run's end and its delivery: 1 durable commit, measured between the runs) "
         f"+ a loopback HTTP POST{wake_note(raw.get('webhook'))}") if probe else "",
        met(s["median"] < 10), s["median"])


# ---- warm dbt workers (issue 15) -------------------------------------------------------------
def read_rows(name):
    path = os.path.join(results_dir, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def spread(values):
    return f"{min(values):.2f}–{max(values):.2f}"


run_pairs = [(float(d), float(w)) for d, w, *_ in read_rows("warm_run_pairs.txt")]
if run_pairs:
    ratios = [w / d for d, w in run_pairs]
    r = statistics.median(ratios)
    raw["warm_run_pairs"] = {"pairs": run_pairs, "ratios": ratios, "median_ratio": r}
    row("warm_run", f"warm `dagctl trigger shop/default --command 'dbt run' --select stg_books --wait` vs direct "
        f"`dbt run --select stg_books` in the project folder ({len(run_pairs)} pairs, direct/warm/warm/direct)",
        f"median of the pair ratios **{r:.2f}×** (ratios {spread(ratios)}); warm {statistics.median(w for _, w in run_pairs):.2f} s, "
        f"direct {statistics.median(d for d, _ in run_pairs):.2f} s (medians)",
        "≤ 0.25×", "", met(r <= 0.25), r)

fn = raw.get("warm_first_node")
if fn and fn.get("median_ms") is not None:
    row("warm_first_node", f"trigger answered → first node started, warm (n={len(fn['samples'])}; "
        "the client's clock when the 200 was read → the node's started_at from GET /runs/{id}/nodes)",
        f"median **{fn['median_ms']:.0f} ms** (min {fn['min_ms']:.0f}, max {fn['max_ms']:.0f})",
        "median ≤ 300 ms", "", met(fn["median_ms"] <= 300), fn["median_ms"])

build_rounds = [tuple(map(float, x)) for x in read_rows("warm_build_rounds.txt")]
if build_rounds:
    warm_r = [w / d for d, w, _ in build_rounds]
    cold_r = [c / d for d, _, c in build_rounds]
    raw["warm_build_rounds"] = {"rounds": build_rounds, "warm_ratios": warm_r, "cold_ratios": cold_r}
    med = statistics.median
    row("warm_build", f"warm `dagctl trigger --command 'dbt build' --wait` vs direct `dbt build` ({len(build_rounds)} rounds, order rotated)",
        f"median of the ratios **{med(warm_r):.2f}×** (ratios {spread(warm_r)}); warm {med(w for _, w, _ in build_rounds):.2f} s, "
        f"direct {med(d for d, _, _ in build_rounds):.2f} s", "≤ 0.7×", "", met(med(warm_r) <= 0.7), med(warm_r))
    row("cold_build", "cold path (dbt a bash wrapper) `dagctl trigger --command 'dbt build' --wait` vs direct `dbt build`, "
        "the direct side in the user's environment (same rounds)",
        f"median of the ratios **{med(cold_r):.3f}×** ({(med(cold_r) - 1) * 100:+.1f}%; ratios {spread(cold_r)}); "
        f"cold path {med(c for _, _, c in build_rounds):.2f} s", "reported (issue: +1.5–6% before)", "", "—", med(cold_r))

first_runs = [tuple(map(float, x)) for x in read_rows("warm_first_runs.txt")]
if first_runs:
    ratios = [w / c for w, c in first_runs]
    r = statistics.median(ratios)
    colds = [c for _, c in first_runs]
    noise = (max(colds) - min(colds)) / statistics.median(colds) if len(colds) > 1 else 0.0
    raw["warm_first_runs"] = {"pairs": first_runs, "ratios": ratios, "median_ratio": r, "cold_spread": noise}
    row("warm_first_run", f"first run of a fresh daemon, warm on vs the cold path (`dbt run --select stg_books`, {len(first_runs)} ABBA pairs)",
        f"median ratio **{r:.2f}×** (ratios {spread(ratios)}); warm on {statistics.median(w for w, _ in first_runs):.2f} s, "
        f"cold path {statistics.median(colds):.2f} s (spread of the cold path {noise * 100:.0f}%)",
        "no slower than today within noise", "", met(r <= 1 + max(noise, 0.05)), r)

wr = raw.get("warm_worker_rss")
if wr:
    row("warm_worker_rss", "idle RSS of shop's warm worker (VmRSS; PSS beside it: pages shared with nothing else)",
        f"**{mib(wr['worker_rss_kib'])}** (PSS {mib(wr['worker_pss_kib'])}), pid {wr['worker_pid']}", "reported", "", "—",
        wr["worker_rss_kib"])
dr = raw.get("warm_daemon_rss")
if dr:
    row("warm_daemon_rss", "daemon idle RSS after the warm runs (the worker not counted)",
        f"**{mib(dr['rss_kib'])}**", "< 16 MiB", "", met(dr["rss_kib"] < 16 * 1024), dr["rss_kib"])
wp = raw.get("warm_paths")
if wp:
    row("warm_paths", "runs forked by a warm worker (dagctld.log)",
        f"shop {wp['shop']['forked_warm']} of {wp['shop']['runs']}, shopcold {wp['shopcold']['forked_warm']} of {wp['shopcold']['runs']}",
        "shop all, shopcold none", "", met(wp["shopcold"]["forked_warm"] == 0 and wp["shop"]["forked_warm"] == wp["shop"]["runs"]), None)

g = raw.get("wrk_get")
micro = raw.get("micro")
micro_rows = []
if micro:
    for b in micro.get("benchmarks", []):
        unit = b.get("time_unit", "ns")
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
        micro_rows.append({"name": b["name"], "real_ns": b["real_time"] * scale, "cpu_ns": b["cpu_time"] * scale,
                           "iterations": b["iterations"]})
render_ns = next((m["cpu_ns"] for m in micro_rows if m["name"] == "BM_RunJsonDump"), None)
for key, lat_key, label in (("wrk_get", "get_run_latency", ""),
                             ("wrk_get_nodelay", "get_run_latency_nodelay",
                              " — what if: TCP_NODELAY on accepted sockets (LD_PRELOAD shim)")):
    g = raw.get(key)
    if not g:
        continue
    lat = raw.get(lat_key)
    extra = f"; one connection, sequential: median {ms(lat['latency']['median'], 3)}" if lat else ""
    cpus = machine.get("cpus", 2)
    floor = (f"JSON rendering alone (micro) {render_ns / 1000:.1f} µs → ≤ {cpus * 1e9 / render_ns:,.0f}/s on {cpus} cores"
             if render_ns else "")
    row(key, f"`GET /api/v1/runs/:id` over TCP, keep-alive (wrk -t2 -c8){label}",
        f"{g['requests_per_second']:,.0f} req/s (p50 {ms(g['latency_p50_ms'])}, p99 {ms(g['latency_p99_ms'])}, "
        f"non-2xx {g['non_2xx']}{extra})",
        "> 10,000 req/s", floor, met(g["requests_per_second"] > 10000) if not label else "(diagnostic)",
        g["requests_per_second"])

for key, label in (("trigger", ""), ("trigger_nodelay", " — what if: TCP_NODELAY (LD_PRELOAD shim)")):
    t = raw.get("wrk_" + key)
    if not t:
        continue
    stored = raw.get(key + "_stored") or {}
    near = raw.get(key + "_commit_floor") or commit
    cps = near["commits_per_second"] if near else None
    row("wrk_" + key, f"`POST .../trigger` accepted over TCP (wrk -t2 -c8, 200 jobs, stand-in dbt running them){label}",
        f"{t['ok_per_second']:,.0f} accepted/s (p50 {ms(t['latency_p50_ms'])}, p99 {ms(t['latency_p99_ms'])}; "
        f"non-2xx {t['non_2xx']}; runs stored {stored.get('runs_stored')}, of which run meanwhile "
        f"{stored.get('runs_finished')})",
        "— (a durable commit per trigger)",
        f"{cps:,.0f} commits/s (WAL, synchronous=FULL, 1 row per transaction; measured just before)" if cps else "",
        "(diagnostic)" if label else "", t["ok_per_second"])

floor_rtt = f"posix_spawn+wait /bin/true {ms(true_floor['spawn_wait']['median'])}" if true_floor else ""
for key, label in (("runs_rtt", ""), ("runs_rtt_100k", " at 100,000 runs")):
    h = raw.get(key)
    if not h:
        continue
    r = h["results"][0]
    times = sorted(r["times"])
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    row(key, f"`dagctl runs` round trip{label} (hyperfine, {len(times)} runs)",
        f"median {ms(r['median'] * 1000)}, p99 {ms(p99 * 1000)}", "< 10 ms", floor_rtt,
        met(r["median"] * 1000 < 10), r["median"] * 1000)

for key, label in (("rss_fresh", "daemon idle RSS, fresh"),
                   ("rss_after_runs", "daemon idle RSS after the latency runs"),
                   ("rss_after_wrk", "daemon RSS after the wrk GET load"),
                   ("rss_100k", "daemon idle RSS, 100,000 stored runs (fresh start)"),
                   ("rss_100k_after", "daemon RSS at 100,000 runs after the list queries")):
    v = raw.get(key)
    if not v:
        continue
    kib = v["rss_kib"]
    note = f" ({v['runs']} runs done)" if "runs" in v else ""
    split = (f"{mib(kib)} = files {mib(v['file_kib'])} + thread stacks {mib(v['thread_stacks_kib'])} "
             f"({v['thread_stacks_touched']} of {v['thread_stacks']} touched) + malloc arenas and other "
             f"{mib(v['other_anon_kib'])} + heap {mib(v['heap_kib'])}")
    idle = key in ("rss_fresh", "rss_after_runs", "rss_100k")
    row(key, label + note, split, "< 16 MiB" if idle else "—", "", met(kib < 16384) if idle else "", kib)

for key, label in (("list_100k", "`GET /api/v1/runs?limit=20` at 100,000 runs (Unix socket)"),
                   ("list_100k_filtered", "`GET /api/v1/runs?job_id=&status=failed&limit=20` at 100,000 runs"),
                   ("get_run_100k", "`GET /api/v1/runs/:id` at 100,000 runs (Unix socket)")):
    v = raw.get(key)
    if not v:
        continue
    s = v["latency"]
    row(key, label, f"median {ms(s['median'], 3)}, p99 {ms(s['p99'], 3)}", "—", "", "", s["median"])

f = raw.get("follow_log")
if f:
    growth = f["rss_max_kib"] - f["rss_before_kib"]
    row("follow_log", f"following a {f['bytes'] / 2**30:.2f} GiB log (`GET .../logs?follow=true`)",
        f"RSS {mib(f['rss_before_kib'])} before, {mib(f['rss_max_kib'])} max, {mib(f['rss_after_kib'])} after "
        f"({f['samples']} samples); {f['mib_per_second']:,.0f} MiB/s",
        "memory flat", "RSS growth 0", met(growth < 4096), growth)

# ---- print ------------------------------------------------------------------------------------
print()
print(f"dagctl benchmarks — {machine.get('date', '?')}, {machine.get('cpus', '?')} CPUs ({machine.get('cpu', '?')}), "
      f"load average {machine.get('loadavg_start', '?')} at start, {machine.get('loadavg_end', '?')} at end")
print()
print("| measure | result | target | floor on this machine | |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {r['what']} | {r['result']} | {r['target']} | {r['floor']} | {r['verdict']} |")
if micro_rows:
    print()
    print("| micro-benchmark | time | CPU |")
    print("|---|---|---|")
    for m in micro_rows:
        print(f"| {m['name']} | {m['real_ns'] / 1000:.2f} µs | {m['cpu_ns'] / 1000:.2f} µs |")
print()

for k in [k for k in raw if k.startswith("dbt_run_")]:  # warm-up runs; the pairs' are folded in above
    raw.pop(k)
os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
raw.pop("micro", None)
with open(out_path, "w") as fh:
    json.dump({"machine": machine, "rows": rows, "micro": micro_rows, "raw": raw}, fh, indent=1)
print(f"written: {out_path}")
