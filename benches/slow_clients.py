#!/usr/bin/env python3
"""Slow and idle clients against `serve` (issue 23, item 1), with real sockets.

Starts the release binary's `serve` on a fresh policy ledger, opens ATTACKERS
connections from ten loopback addresses (127.0.0.2-11): a quarter idle, a
quarter with half a request line, a quarter with headers that never end, a
quarter with a body that never comes. While they are open, an honest client
on 127.0.0.1 times `GET /checkpoint` and `POST /entries` (a fresh signed
registration each time) ROUNDS times each, then the service's peak RSS is
read from /proc. Prints min/median/max. Needs `cargo build --release` first.

    python3 benches/slow_clients.py [ATTACKERS] [ROUNDS]
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "triage-ledger")
KEYS = os.path.join(ROOT, "keys")


def run(*args):
    out = subprocess.run([BIN, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)}: {out.stderr}")
    return out.stdout


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    attackers = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="slow-clients-")
    try:
        ledger = os.path.join(work, "ledger")
        run("init", ledger, "--origin", "bench.example/slow",
            "--trust-root", os.path.join(KEYS, "demo-root.pem"))
        key = os.path.join(work, "op.key")
        shutil.copy(os.path.join(KEYS, "demo-operator.key"), key)
        os.chmod(key, 0o600)
        cert = os.path.join(KEYS, "demo-operator.pem")
        statements = []
        for i in range(rounds):
            out = os.path.join(work, f"reg-{i}.cose")
            run("register", "--key", key, "--cert", cert, "--out", out,
                "--facility", f"TF-{i:04}", "--name", "N", "--site", "S")
            with open(out, "rb") as f:
                statements.append(f.read())
        server = subprocess.Popen(
            [BIN, "serve", ledger, "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = server.stdout.readline().strip()
        url = line.removeprefix("listening on ")
        host, port = url.removeprefix("http://").split(":")
        port = int(port)
        rss_idle = rss_kib(server.pid, "VmRSS")
        kinds = [
            b"",
            b"GET /check",
            b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\n",
            b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\n"
            b"Content-Length: 60000\r\n\r\nA",
        ]
        held = []
        for i in range(attackers):
            s = socket.socket()
            s.bind((f"127.0.0.{2 + i * 10 // attackers}", 0))
            s.connect((host, port))
            s.sendall(kinds[i % 4])
            held.append(s)
        opened = time.monotonic()
        reads, writes = [], []
        for i in range(rounds):
            t = time.monotonic()
            with urllib.request.urlopen(f"{url}/checkpoint", timeout=60) as r:
                r.read()
            reads.append(time.monotonic() - t)
            req = urllib.request.Request(
                f"{url}/entries", data=statements[i],
                headers={"Content-Type": "application/cose"})
            t = time.monotonic()
            with urllib.request.urlopen(req, timeout=60) as r:
                assert r.status == 201, r.status
            writes.append(time.monotonic() - t)
        elapsed = time.monotonic() - opened
        rss = rss_kib(server.pid, "VmRSS")
        hwm = rss_kib(server.pid, "VmHWM")
        server.terminate()
        server.wait(timeout=60)
        for s in held:
            s.close()

        def ms(v):
            return (f"min {min(v) * 1000:.1f} ms, median {statistics.median(v) * 1000:.1f} ms,"
                    f" max {max(v) * 1000:.1f} ms")
        print(f"{attackers} attacker connections open (idle, half a request line,"
              f" endless headers, a body that never comes); {rounds} rounds in {elapsed:.1f} s")
        print(f"GET /checkpoint:  {ms(reads)}")
        print(f"POST /entries:    {ms(writes)}")
        print(f"service RSS: {rss / 1024:.1f} MiB with them (peak {hwm / 1024:.1f} MiB;"
              f" {rss_idle / 1024:.1f} MiB idle before)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
