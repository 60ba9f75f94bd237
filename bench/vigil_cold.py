#!/usr/bin/env python3
"""vigil's cold start: the release `bootstrap` (from bootstrap.zip) started
fresh for each run, served by `cargo lambda watch` (the Lambda runtime API),
asked for the same DynamoDB GetItem assertion as the anchor's cold run.

Timed from just before the process is spawned to the moment the invocation's
answer (the verdict) arrives, the same clock and span as bench/coldstart.py
uses for the anchor's Node process. Peak RSS is the kernel's high-water mark
of the bootstrap's address space (VmHWM in /proc/<pid>/status), read after
the verdict, before the process is stopped. Not wait4's ru_maxrss: that
also counts the forked launcher's pages from before exec (about 20 MB of
Python here), which would hide the binary's own figure.

    python3 bench/vigil_cold.py --runs 10 --zip PATH --aws http://127.0.0.1:PORT

cargo lambda watch is started once here (it plays the Lambda service, not the
function) and stopped at the end. Prints one JSON object like coldstart.py.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STEP = {
    "id": "get-task",
    "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
             "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "t-1"}}}},
    "select": "$.Item",
    "expect": {"objectLike": {"status": {"objectLike": {"S": {"exact": "COMPLETED"}}}}},
}

# The provider protocol of the vigil under test (vigil_protocol::PROTOCOL_VERSION;
# a provider refuses a request of another one before reading its step).
PROTOCOL = 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def one_run(binary, watch_port, aws):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{watch_port}/.rt",
        "AWS_LAMBDA_FUNCTION_NAME": "_",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws,
    }
    body = json.dumps({"protocol": PROTOCOL, "step": json.dumps(STEP), "params": {}, "captures": {}}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{watch_port}/2015-03-31/functions/_/invocations",
        data=body, headers={"content-type": "application/json"})
    t0 = time.perf_counter_ns()
    p = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with urllib.request.urlopen(req, timeout=30) as r:
        answer = json.load(r)
    t_verdict = time.perf_counter_ns()
    hwm = next(int(line.split()[1]) for line in Path(f"/proc/{p.pid}/status").read_text().splitlines()
               if line.startswith("VmHWM:"))
    p.send_signal(signal.SIGTERM)
    p.wait()
    return {
        "ms_to_verdict": round((t_verdict - t0) / 1e6, 3),
        "peak_rss_kb": hwm,
        "verdict": answer.get("verdict"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--zip", required=True)
    ap.add_argument("--aws", required=True, help="DynamoDB endpoint (moto)")
    ap.add_argument("--cargo-lambda", default="cargo-lambda")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vigil-cold-"))
    with zipfile.ZipFile(a.zip) as z:
        z.extract("bootstrap", tmp)
    binary = tmp / "bootstrap"
    binary.chmod(0o755)
    port = free_port()
    watch = subprocess.Popen(
        [a.cargo_lambda, "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
        cwd=ROOT / "assertion-provider", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_port(port)
        for _ in range(a.warmup):
            one_run(binary, port, a.aws)
        runs = [one_run(binary, port, a.aws) for _ in range(a.runs)]
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait()
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    print(json.dumps({
        "runs": len(runs),
        "verdicts": sorted({str(r["verdict"]) for r in runs}),
        "ms_to_verdict_median": statistics.median(r["ms_to_verdict"] for r in runs),
        "peak_rss_kb_median": statistics.median(r["peak_rss_kb"] for r in runs),
        "per_run": runs,
    }))


if __name__ == "__main__":
    main()
