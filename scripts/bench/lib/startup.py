#!/usr/bin/env python3
"""Cold start of Lambda function binaries, against a fake Runtime API.

    startup.py RUNS BINARY...

For each binary, RUNS times: start it with AWS_LAMBDA_RUNTIME_API pointing
at a small Runtime API server on loopback (and the environment a function
gets in AWS: region, credentials, table name, ...), and time

- ready: from just before the process is spawned until its first
  `GET /2018-06-01/runtime/invocation/next` arrives (start-up: the AWS SDK
  config and clients built once, logging set up, the runtime loop started);
- first answer: until it posts the response to a first invocation (an HTTP
  API event for `GET /api/groups/x` without an access code: a 401 that
  needs no DynamoDB call).

Prints one row per binary: median and max of each over the runs.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/api/groups/x",
    "rawQueryString": "",
    "headers": {"accept": "application/json", "host": "qi.example.org"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "bench",
        "domainName": "qi.example.org",
        "domainPrefix": "qi",
        "http": {"method": "GET", "path": "/api/groups/x", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
        "requestId": "bench-1",
        "routeKey": "$default",
        "stage": "$default",
        "time": "24/Nov/2026:12:00:00 +0000",
        "timeEpoch": 1795000000000,
    },
    "isBase64Encoded": False,
}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.t0 = None
        self.ready = None
        self.answered = None
        self.status = None
        self.nexts = 0
        self.done = threading.Event()


STATE = State()


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        now = time.perf_counter()
        if not self.path.startswith("/2018-06-01/runtime/invocation/next"):
            self.send_error(404)
            return
        with STATE.lock:
            STATE.nexts += 1
            first = STATE.nexts == 1
            if first:
                STATE.ready = now
        if not first:
            # The function is waiting for its second event: the run is over.
            STATE.done.set()
            time.sleep(5)
            return
        body = json.dumps(EVENT).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-request-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:ca-central-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        now = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        if "/response" in self.path:
            with STATE.lock:
                STATE.answered = now
                try:
                    STATE.status = json.loads(payload).get("statusCode")
                except ValueError:
                    STATE.status = "?"
        elif "/error" in self.path:
            with STATE.lock:
                STATE.answered = now
                STATE.status = "error: " + payload.decode("utf-8", "replace")[:200]
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    binaries = sys.argv[2:]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "ca-central-1",
        "AWS_DEFAULT_REGION": "ca-central-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHONLY",
        "AWS_SECRET_ACCESS_KEY": "bench-only-secret",
        "AWS_SESSION_TOKEN": "bench-only-token",
        "QI_TABLE_NAME": "qi-bench",
        "QI_MAIL_FROM": "QI Groups <no-reply@qi.example.org>",
        "QI_PUBLIC_BASE_URL": "https://qi.example.org",
        "RUST_LOG": "info",
    }
    print(f"Start-up against a fake Lambda Runtime API on loopback, {runs} cold starts per function (x86_64 build of the `lambda` profile)")
    print("| function | ready for the first request (median) | (max) | first answer (median) | (max) | first answer status |")
    print("|---|---:|---:|---:|---:|---|")
    worst = 0.0
    for binary in binaries:
        ready, answered, status = [], [], None
        for _ in range(runs):
            STATE.reset()
            log = open(os.devnull, "w")
            t0 = time.perf_counter()
            proc = subprocess.Popen([binary], env=env, stdout=log, stderr=log)
            finished = STATE.done.wait(20)
            proc.kill()
            proc.wait()
            if not finished or STATE.ready is None or STATE.answered is None:
                sys.exit(f"{binary}: no complete first invocation within 20 s (exit {proc.returncode})")
            ready.append((STATE.ready - t0) * 1000)
            answered.append((STATE.answered - t0) * 1000)
            status = STATE.status
        worst = max(worst, statistics.median(ready))
        name = os.path.basename(binary)
        print(f"| {name} | {statistics.median(ready):.1f} ms | {max(ready):.1f} ms | {statistics.median(answered):.1f} ms | {max(answered):.1f} ms | {status} |")
    print(f"target: start-up < 20 ms — {'met' if worst < 20 else 'MISSED'} (slowest median {worst:.1f} ms)")
    server.shutdown()


if __name__ == "__main__":
    main()
