#!/usr/bin/env python3
"""A fake Airflow 3 for tests/integration/test_airflow_assets.sh: the part of its REST API
that dagctl's asset events use (docs/airflow.md#per-model-assets).

    fake_airflow.py --dir DIR --assets URI[,URI...] [--answers 500,200]

Writes DIR/port once listening. Serves
  POST /auth/token                     {"username": "admin", "password": "admin"} -> a JWT
  GET  /api/v2/assets?uri_pattern=P    the known assets whose URI contains P (any case, as
                                       Airflow's ILIKE '%P%'), with limit/offset
  POST /api/v2/assets/events           {"asset_id": int, "extra": {...}} only (extra="forbid")
The asset API wants the JWT (401 without it). Each event request is appended to
DIR/events.jsonl as {"asset_id", "uri", "extra", "authorization", "status"}; the Nth gets the
Nth code of --answers (the last repeats; default 200).
"""
import argparse
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--assets", default="")
parser.add_argument("--answers", default="200")
args = parser.parse_args()
assets = {i + 1: uri for i, uri in enumerate(u for u in args.assets.split(",") if u)}
answers = args.answers.split(",")
lock = threading.Lock()
events = 0


def part(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


TOKEN = f"{part({'alg': 'none'})}.{part({'sub': 'admin', 'exp': int(time.time()) + 3600})}.sig"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self.reply(401, {"detail": "Not authenticated"})
        return False

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/api/v2/assets":
            return self.reply(404, {"detail": "Not Found"})
        if not self.authorized():
            return
        q = parse_qs(url.query)
        pattern = q.get("uri_pattern", [""])[0].lower()
        limit, offset = int(q.get("limit", ["50"])[0]), int(q.get("offset", ["0"])[0])
        found = [{"id": i, "uri": u, "name": u, "group": "asset", "extra": {}} for i, u in sorted(assets.items())
                 if pattern in u.lower()]
        self.reply(200, {"assets": found[offset:offset + limit], "total_entries": len(found)})

    def do_POST(self):
        global events
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/auth/token":
            if body.get("username") == "admin" and body.get("password") == "admin":
                return self.reply(201, {"access_token": TOKEN})
            return self.reply(401, {"detail": "Invalid credentials"})
        if self.path != "/api/v2/assets/events":
            return self.reply(404, {"detail": "Not Found"})
        if not self.authorized():
            return
        if set(body) - {"asset_id", "extra", "partition_key"} or not isinstance(body.get("asset_id"), int):
            return self.reply(422, {"detail": "Extra inputs are not permitted"})
        if body["asset_id"] not in assets:
            return self.reply(404, {"detail": f"Asset with ID: `{body['asset_id']}` was not found"})
        with lock:
            code = int(answers[min(events, len(answers) - 1)])
            events += 1
            record = {"asset_id": body["asset_id"], "uri": assets[body["asset_id"]], "extra": body.get("extra"),
                      "authorization": self.headers.get("Authorization"), "status": code}
            with open(os.path.join(args.dir, "events.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
        self.reply(code, {"id": events, "asset_id": body["asset_id"]} if code < 300 else {"detail": "try again"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(args.dir, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.replace(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
server.serve_forever()
