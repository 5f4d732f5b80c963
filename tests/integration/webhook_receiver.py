#!/usr/bin/env python3
"""A webhook receiver for the integration tests: records every request and answers as told.

    webhook_receiver.py --dir DIR [--answers 500,200] [--hang-seconds S] [--tls CERT KEY] [--port N]

Writes DIR/port once listening. Each request is appended to DIR/requests.jsonl as
{"path", "headers", "body"}; the Nth request gets the Nth code of --answers (the last one
repeats; default 200). An answer "hang" waits --hang-seconds before answering 200, to
trip the sender's timeout. An answer "429" carries Retry-After: 1.
It also serves POST /auth/token like Airflow 3 (access_token for user "admin"/"admin"),
counting those in DIR/token-requests.
"""
import argparse
import base64
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--answers", default="200")
parser.add_argument("--hang-seconds", type=float, default=15)
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--port", type=int, default=0)  # a fixed port, to come back on after a stop
args = parser.parse_args()
answers = args.answers.split(",")
lock = threading.Lock()
count = 0


def jwt(exp):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part({'sub': 'admin', 'exp': exp})}.sig"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def reply(self, code, body=b"{}", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/auth/token":
            creds = json.loads(body)
            with lock, open(os.path.join(args.dir, "token-requests"), "a") as f:
                f.write("x\n")
            if creds != {"username": "admin", "password": "admin"}:
                return self.reply(401, b'{"detail": "Invalid credentials"}')
            token = jwt(int(time.time()) + 3600)
            return self.reply(201, json.dumps({"access_token": token, "token_type": "bearer"}).encode())
        with lock:
            answer = answers[min(count, len(answers) - 1)]
            count += 1
            with open(os.path.join(args.dir, "requests.jsonl"), "a") as f:
                f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                    "body": body.decode("utf-8", "replace")}) + "\n")
        if answer == "hang":
            time.sleep(args.hang_seconds)
            answer = "200"
        code = int(answer)
        self.reply(code, json.dumps({"answer": code}).encode(), {"Retry-After": "1"} if code == 429 else None)


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
if args.tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*args.tls)
    server.socket = context.wrap_socket(server.socket, server_side=True)
tmp = os.path.join(args.dir, "port.tmp")
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, os.path.join(args.dir, "port"))
server.serve_forever()
