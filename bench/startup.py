#!/usr/bin/env python3
"""Start time and idle memory of a Backend Dojo server, for bench/run.sh.

Usage: startup.py --runs N --health /healthz -- COMMAND... {port} ...

Each run picks a free loopback port, puts it where `{port}` stands in COMMAND and in the
environment variable PORT, spawns the command and polls GET HEALTH over a raw socket every 0.5 ms until it answers 200. The time
from spawn to that answer is the start time. Then, with the server up and that one request
answered, VmRSS is read from /proc/PID/status: the idle memory. The server is stopped
before the next run. Prints one line per run on stderr and, on stdout, one line:
`start_ms_median=... start_ms_min=... start_ms_max=... rss_kb_median=... runs=...`.
Exits non-zero if the server fails to answer within --timeout seconds.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_status(port: int, path: str) -> int | None:
    """Status code of GET path, or None while nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    parts = data.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return int(parts[1])


def vm_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--health", default="/healthz")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--log", default=os.devnull, help="file the server's output goes to")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    # bench/run.sh stops this script with SIGTERM on Ctrl+C; make that unwind the
    # `finally` below so the server it spawned is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    starts_ms: list[float] = []
    rss_kb: list[int] = []
    with open(args.log, "ab") as log:
        for run in range(1, args.runs + 1):
            port = free_port()
            cmd = [part.replace("{port}", str(port)) for part in args.command]
            t0 = time.perf_counter()
            env = dict(os.environ, PORT=str(port))
            proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
            try:
                deadline = t0 + args.timeout
                while True:
                    if health_status(port, args.health) == 200:
                        elapsed = (time.perf_counter() - t0) * 1000.0
                        break
                    if proc.poll() is not None:
                        print(f"server exited with {proc.returncode} before answering", file=sys.stderr)
                        return 1
                    if time.perf_counter() > deadline:
                        print(f"no 200 from {args.health} within {args.timeout}s", file=sys.stderr)
                        return 1
                    time.sleep(0.0005)
                rss = vm_rss_kb(proc.pid)
            finally:
                stop(proc)
            starts_ms.append(elapsed)
            rss_kb.append(rss)
            print(f"  run {run}: start {elapsed:.1f} ms, idle RSS {rss / 1024:.1f} MB", file=sys.stderr)

    print(
        f"start_ms_median={statistics.median(starts_ms):.1f} "
        f"start_ms_min={min(starts_ms):.1f} start_ms_max={max(starts_ms):.1f} "
        f"rss_kb_median={int(statistics.median(rss_kb))} runs={len(starts_ms)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
