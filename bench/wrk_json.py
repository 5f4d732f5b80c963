#!/usr/bin/env python3
"""bench/wrk_json.py FILE: wrk's text summary (run with --latency) as one JSON document:
requests/s, requests, seconds, non-2xx count, 2xx per second, latency avg/p50/p99/max in ms,
socket errors, and the text itself."""
import json
import re
import sys

text = open(sys.argv[1]).read()


def num(pattern, conv=float, default=None):
    m = re.search(pattern, text)
    return conv(m.group(1)) if m else default


def ms(s):
    """'44.00ms', '108.00us', '1.20s', '1.01m' -> milliseconds; None if absent."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s or "")
    if not m:
        return None
    v, u = float(m.group(1)), m.group(2)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[u]


lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
total = num(r"(\d+) requests in", int, 0)
dur = re.search(r"\d+ requests in ([\d.]+)(\w+)", text)
seconds = float(dur.group(1)) * {"ms": 0.001, "s": 1, "m": 60}.get(dur.group(2), 1) if dur else None
non2xx = num(r"Non-2xx or 3xx responses: (\d+)", int, 0)
errors = re.search(r"Socket errors: (.*)", text)
print(json.dumps({
    "requests_per_second": num(r"Requests/sec:\s+([\d.]+)"),
    "requests": total,
    "seconds": seconds,
    "non_2xx": non2xx,
    "ok_per_second": (total - non2xx) / seconds if seconds else None,
    "latency_avg_ms": ms(lat.group(1)) if lat else None,
    "latency_max_ms": ms(lat.group(3)) if lat else None,
    # Line starts only: "77.50%" in the Req/Sec line must not pass for the 50% row.
    "latency_p50_ms": ms(num(r"(?m)^\s+50%\s+(\S+)", str)),
    "latency_p99_ms": ms(num(r"(?m)^\s+99%\s+(\S+)", str)),
    "socket_errors": errors.group(1) if errors else None,
    "output": text,
}))
