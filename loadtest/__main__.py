"""Run the load test: ``python -m loadtest [--clients N] [--requests M] [--servers ...]``.

For each server (waitress, uvicorn) and each mode (with sessions: ``/count``; without:
``/plain``), a fresh server process is started on 127.0.0.1 and ``--clients`` threads each make
``--requests`` sequential keep-alive requests with their own cookie jar.  Violations:

* any error: a failed connection, a status other than 200, an unreadable body;
* with sessions: a response whose count is not exactly the client's own next number, or whose
  echoed client id is another client's (a session seen by someone else); the last count must
  equal ``--requests``;
* without sessions: any ``Set-Cookie`` (a request that never used its session sends none);
* the server's RSS after the last request more than ``--rss-tolerance-mib`` above its RSS after
  the first thousand requests (half the total when the run is smaller than two thousand).

Prints requests per second and latency percentiles per run; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.apps import SECRET_ENV
from loadtest.serve import HOST

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("waitress", "uvicorn")


@dataclass
class Run:
    server: str
    path: str
    clients: int
    requests: int
    latencies: list[float] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    completed: int = 0
    rss_first_kib: int | None = None
    rss_last_kib: int | None = None
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return self.clients * self.requests

    @property
    def first_mark(self) -> int:
        return min(1000, self.total // 2)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def _start_server(server: str, port: int, secret: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{SECRET_ENV: secret})
    proc = subprocess.Popen([sys.executable, "-m", "loadtest.serve", server, str(port)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server} exited with status {proc.returncode} before serving")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{server} did not listen on {HOST}:{port} within 30 s")


def _set_cookie_value(response: http.client.HTTPResponse) -> str | None:
    header = response.getheader("Set-Cookie")
    if header is None:
        return None
    name_value = header.split(";", 1)[0]
    name, _, value = name_value.partition("=")
    return value if name.strip() == "session" else None


def _client(run: Run, port: int, index: int, server_pid: int) -> None:
    client_id = f"client-{index}-{secrets.token_hex(4)}"
    jar: str | None = None  # this client's cookie jar: its one session cookie
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies = []
    problems: list[str] = []
    last_n = 0
    try:
        for i in range(run.requests):
            headers = {"Cookie": f"session={jar}"} if jar else {}
            started = time.perf_counter()
            try:
                conn.request("GET", f"{run.path}?client={client_id}", headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                problems.append(f"{client_id} request {i + 1}: {type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            latencies.append(time.perf_counter() - started)
            cookie = _set_cookie_value(response)
            if response.status != 200:
                problems.append(f"{client_id} request {i + 1}: status {response.status}")
                continue
            try:
                data = json.loads(body)
            except ValueError:
                problems.append(f"{client_id} request {i + 1}: unreadable body")
                continue
            if run.path == "/count":
                if data.get("client") != client_id:
                    problems.append(f"{client_id} request {i + 1}: saw the session of {data.get('client')!r}")
                if data.get("n") != i + 1:
                    problems.append(f"{client_id} request {i + 1}: count {data.get('n')!r}, expected {i + 1}")
                last_n = data.get("n", last_n)
                if cookie is None:
                    problems.append(f"{client_id} request {i + 1}: no Set-Cookie after a change")
                else:
                    jar = cookie
            elif cookie is not None:
                problems.append(f"{client_id} request {i + 1}: Set-Cookie on a request without session use")
            with run.lock:
                run.completed += 1
                if run.completed == run.first_mark:
                    run.rss_first_kib = _rss_kib(server_pid)
    finally:
        conn.close()
    if run.path == "/count" and last_n != run.requests:
        problems.append(f"{client_id}: final count {last_n}, expected {run.requests}")
    with run.lock:
        run.latencies.extend(latencies)
        run.violations.extend(problems)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def _execute(server: str, path: str, clients: int, requests: int, rss_tolerance_kib: int) -> Run:
    run = Run(server, path, clients, requests)
    port = _free_port()
    proc = _start_server(server, port, secrets.token_hex(64))
    try:
        threads = [
            threading.Thread(target=_client, args=(run, port, i, proc.pid), name=f"client-{i}")
            for i in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run.seconds = time.perf_counter() - started
        run.rss_last_kib = _rss_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if len(run.latencies) != run.total:
        run.violations.append(f"{run.total - len(run.latencies)} of {run.total} requests failed")
    if run.rss_first_kib is None or run.rss_last_kib is None:
        run.violations.append("server memory was not sampled")
    elif run.rss_last_kib - run.rss_first_kib > rss_tolerance_kib:
        run.violations.append(
            f"server RSS grew from {run.rss_first_kib} KiB to {run.rss_last_kib} KiB "
            f"(tolerance {rss_tolerance_kib} KiB)"
        )
    return run


def _report(run: Run) -> None:
    ordered = sorted(run.latencies)
    ms = [1000 * _percentile(ordered, q) for q in (0.50, 0.90, 0.99)]
    rps = len(run.latencies) / run.seconds if run.seconds else 0.0
    mode = "sessions" if run.path == "/count" else "no session"
    print(
        f"{run.server:9} {mode:10} {run.clients:4}x{run.requests:<5} {rps:8.0f} req/s  "
        f"p50 {ms[0]:6.2f} ms  p90 {ms[1]:6.2f} ms  p99 {ms[2]:6.2f} ms  "
        f"RSS {run.rss_first_kib} -> {run.rss_last_kib} KiB  "
        f"{'ok' if not run.violations else f'{len(run.violations)} VIOLATION(S)'}",
        flush=True,
    )
    for violation in run.violations[:20]:
        print(f"    {violation}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=int(os.environ.get("LOAD_CLIENTS", "50")))
    parser.add_argument("--requests", type=int, default=int(os.environ.get("LOAD_REQUESTS", "200")))
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--rss-tolerance-mib", type=float, default=4.0)
    options = parser.parse_args(argv)
    if options.clients < 1 or options.requests < 1:
        parser.error("--clients and --requests must be at least 1")
    tolerance_kib = int(options.rss_tolerance_mib * 1024)
    first_mark = Run("", "", options.clients, options.requests).first_mark
    print(
        f"load: {options.clients} clients x {options.requests} sequential requests on {HOST}; "
        f"RSS tolerance {options.rss_tolerance_mib} MiB "
        f"(after the first {first_mark} requests vs after the last)",
        flush=True,
    )
    failed = 0
    for server in options.servers:
        for path in ("/count", "/plain"):
            run = _execute(server, path, options.clients, options.requests, tolerance_kib)
            _report(run)
            failed += bool(run.violations)
    print("load: " + ("no violations" if not failed else f"violations in {failed} run(s)"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
