#!/usr/bin/env python3
"""Cold-start launcher: run a one-shot command N times, time each from just
before spawn to the moment its verdict line arrives, and take its peak RSS.

    python3 bench/coldstart.py --runs 10 -- node bench/anchor_cold.js

The child prints one line starting with MARKER (default "@@RESULT ") followed
by a JSON object with at least "verdict"; everything else it prints (the
anchor's own logging) is read and dropped.

Why measured from outside: the wall time then includes everything the child
pays (exec, runtime boot, module loading), whatever the language, and the same
clock serves both sides. Peak RSS comes from os.wait4()'s rusage.ru_maxrss
(kilobytes on Linux): the kernel's high-water mark of the whole process life,
read when it is reaped, so no polling race and no extra /usr/bin/time process.
One unmeasured warm-up run first (--warmup) so both sides start from a hot
page cache rather than whichever ran first paying the disk.

Prints one JSON object: per-run values and medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def one_run(cmd, marker):
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    t_verdict, result = None, None
    for raw in p.stdout:
        if t_verdict is None and raw.startswith(marker):
            t_verdict = time.perf_counter_ns()
            result = json.loads(raw[len(marker):])
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    t_exit = time.perf_counter_ns()
    return {
        "ms_to_verdict": None if t_verdict is None else round((t_verdict - t0) / 1e6, 3),
        "ms_to_exit": round((t_exit - t0) / 1e6, 3),
        "peak_rss_kb": ru.ru_maxrss,
        "exit": os.waitstatus_to_exitcode(status),
        "verdict": result and result.get("verdict"),
        "child": result,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--marker", default="@@RESULT ")
    ap.add_argument("--keep-child", action="store_true", help="keep each child's JSON in the output")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command")
    marker = a.marker.encode()
    for _ in range(a.warmup):
        one_run(cmd, marker)
    runs = [one_run(cmd, marker) for _ in range(a.runs)]
    if not a.keep_child:
        for r in runs:
            r.pop("child")
    timed = [r["ms_to_verdict"] for r in runs if r["ms_to_verdict"] is not None]
    print(json.dumps({
        "cmd": cmd,
        "runs": len(runs),
        "verdicts": sorted({str(r["verdict"]) for r in runs}),
        "ms_to_verdict_median": statistics.median(timed) if timed else None,
        "peak_rss_kb_median": statistics.median(r["peak_rss_kb"] for r in runs),
        "per_run": runs,
    }))
    return 0 if len(timed) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
