#!/usr/bin/env python3
"""bench/smaps.py PID [KEY=NUMBER]...: where a process's resident memory is, from /proc/PID/smaps, as JSON (KiB):
rss, file-backed (program and shared libraries), anonymous split into thread stacks (the
8 MiB anonymous mappings glibc gives each thread; "touched" = those with more than 8 KiB
resident), [heap] (the main arena) and the rest (mostly glibc's per-thread malloc arenas)."""
import json
import re
import sys

pid = sys.argv[1]
regions = []
current = None
with open(f"/proc/{pid}/smaps") as f:
    for line in f:
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
        if m:
            current = {"size": (int(m.group(2), 16) - int(m.group(1), 16)) // 1024, "perms": m.group(3),
                       "name": m.group(4), "rss": 0, "anon": 0}
            regions.append(current)
        elif line.startswith("Rss:"):
            current["rss"] = int(line.split()[1])
        elif line.startswith("Anonymous:"):
            current["anon"] = int(line.split()[1])

with open(f"/proc/{pid}/status") as f:
    status = dict(line.split(":", 1) for line in f if ":" in line)


def kib(key):
    return int(status[key].split()[0])


anon_regions = [r for r in regions if r["name"] == ""]
stacks = [r for r in anon_regions if 8000 <= r["size"] <= 8200]
heap = [r for r in regions if r["name"] == "[heap]"]
other = [r for r in anon_regions if r not in stacks]
extra = {k: int(v) for k, v in (a.split("=", 1) for a in sys.argv[2:])}
print(json.dumps({**extra,
    "rss_kib": kib("VmRSS"),
    "file_kib": kib("RssFile"),
    "anon_kib": kib("RssAnon"),
    "threads": int(status["Threads"]),
    "thread_stacks_kib": sum(r["rss"] for r in stacks),
    "thread_stacks": len(stacks),
    "thread_stacks_touched": sum(1 for r in stacks if r["rss"] > 8),
    "heap_kib": sum(r["rss"] for r in heap),
    "other_anon_kib": sum(r["rss"] for r in other),
}))
