#!/usr/bin/env python3
"""An OpenLineage receiver for tests/integration/test_openlineage.sh, like Marquez's
POST /api/v1/lineage: records every request and answers as told.

    lineage_receiver.py --dir DIR [--answers 500,200]

Writes DIR/port once listening. Each request is appended to DIR/requests.jsonl as
{"path", "headers", "body"}; the Nth request gets the Nth code of --answers (the last one
repeats; default 201, Marquez's answer).
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--answers", default="201")
args = parser.parse_args()
answers = args.answers.split(",")
lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            code = int(answers[min(count, len(answers) - 1)])
            count += 1
            with open(os.path.join(args.dir, "requests.jsonl"), "a") as f:
                f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                    "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(os.path.join(args.dir, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
server.serve_forever()
