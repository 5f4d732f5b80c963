#!/usr/bin/env python3
"""Load and abuse clients for test_abuse.sh: loopback only, bounded in count and time.

  abuse.py burst URL TOKEN N        N concurrent POSTs to URL, each on its own connection,
                                    released together; prints {"codes": {...}, "errors": [...],
                                    "run_ids": [...]} (errors: connection resets and the like)
  abuse.py slowloris HOST PORT N S  N connections that send a request's headers one byte a
                                    second and never finish; holds them S seconds, prints how
                                    many the server closed meanwhile, then exits
"""
import http.client
import json
import socket
import sys
import threading
import time


def burst(url, token, n):
    host_port, path = url.split("://", 1)[1].split("/", 1)
    host, port = host_port.rsplit(":", 1)
    gate = threading.Barrier(n)
    lock = threading.Lock()
    codes, errors, run_ids = {}, [], []

    def one():
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.connect()
            gate.wait(timeout=60)
            conn.request("POST", "/" + path, body=b"", headers={"Authorization": "Bearer " + token})
            resp = conn.getresponse()
            body = resp.read()
            with lock:
                codes[resp.status] = codes.get(resp.status, 0) + 1
                if resp.status == 200:
                    run_ids.append(json.loads(body)["job_run_id"])
            conn.close()
        except Exception as e:  # a reset or a timeout is what the test counts
            with lock:
                errors.append(type(e).__name__ + ": " + str(e))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    print(json.dumps({"codes": {str(k): v for k, v in codes.items()}, "errors": errors, "run_ids": run_ids}))


def slowloris(host, port, n, seconds):
    request = b"GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=5)
        s.setblocking(False)
        socks.append(s)
    open_ = set(range(n))
    end = time.monotonic() + seconds
    i = 0
    while open_ and time.monotonic() < end:
        for k in list(open_):
            try:
                socks[k].send(request[i : i + 1] if i < len(request) else b"a")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                open_.discard(k)
        i += 1
        time.sleep(1)  # the stimulus: one byte a second per connection
    print(json.dumps({"closed_by_server": n - len(open_), "held": len(open_)}))
    for s in socks:
        s.close()


if __name__ == "__main__":
    if sys.argv[1] == "burst":
        burst(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "slowloris":
        slowloris(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)
