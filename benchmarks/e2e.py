"""End to end: each framework's application on its usual server, loaded by ``wrk``.

    make bench-e2e                                   # about 8 minutes
    .venv/bin/python benchmarks/e2e.py --frameworks starlette --duration 5 --rounds 5
    .venv/bin/python benchmarks/e2e.py --busy-ok     # report from a busy machine anyway

The applications of ``apps.py`` (bare, with the framework's own session, with
ours) are served on 127.0.0.1, one server process each: Pyramid, Flask and Django
under waitress, Starlette under uvicorn.  The servers are pinned to one core and
``wrk`` (Debian's package ``wrk``) to another, so the client does not take the
server's CPU.  ``wrk`` sends the same ``Cookie`` header with every request: a
cookie the application's own session wrote (holding the medium state), so every
request loads a real session.  Views: ``/rw`` (read the counter, write it back
plus one: a ``Set-Cookie`` on every response, checked before timing) and
``/read`` (read-only: each session's default decides whether it re-issues).
Each round runs every framework, view, concurrency (1 and 16 connections) and
application once, the applications in a fresh random order.

Per cell: requests per second, p50 and p99 latency (wrk's), and the session's
cost per request, ``1/rps - 1/rps(bare)`` from the same round, in µs of the
server's core; medians over the rounds with their range.  Before it starts (and
again before reporting) it checks that the machine is idle: a busy machine's
figures say little, so it refuses to report unless given ``--busy-ok``.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import apps  # noqa: E402 - after the path set-up above
from timing import accelerators  # noqa: E402

SERVERS = {"pyramid": "waitress", "flask": "waitress", "django": "waitress", "starlette": "uvicorn"}
VIEWS = {"rw": "read-write", "read": "read-only"}
CONCURRENCY = (1, 16)
SERVER_CPU = 0
CLIENT_CPU = 1


# -- the server side (a child process) -----------------------------------------------------------


def serve(framework: str, kind: str, port: int, threads: int) -> None:
    app = apps.BUILDERS[framework](kind)
    if SERVERS[framework] == "uvicorn":
        import uvicorn

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    else:
        import waitress

        waitress.serve(app, listen=f"127.0.0.1:{port}", threads=threads, _quiet=True)


# -- the machine ---------------------------------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return idle, sum(fields)


def busy_reason(seconds: float = 2.0, *, count_load: bool = True) -> str | None:
    """Why the machine is too busy to measure on (None: it is idle enough).

    ``count_load=False`` looks at the idle CPU time only: right after a run, the
    load average still counts the run's own servers and wrk of the last minute."""
    cpus = os.cpu_count() or 1
    load = os.getloadavg()[0]
    idle0, total0 = _cpu_times()
    time.sleep(seconds)
    idle1, total1 = _cpu_times()
    idle_share = (idle1 - idle0) / max(total1 - total0, 1)
    if idle_share < 0.85:
        return f"only {idle_share:.0%} of the CPU time was idle over {seconds:.0f} s"
    if count_load and load > 0.5 * cpus:
        return f"load average {load:.2f} on {cpus} CPUs"
    return None


def _pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > max(SERVER_CPU, CLIENT_CPU):
        return ["taskset", "-c", str(cpu), *command]
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, cookie: str | None = None) -> tuple[int, list[tuple[str, str]]]:
    request = urllib.request.Request(
        url, headers={"Cookie": f"{apps.COOKIE_NAME}={cookie}"} if cookie else {}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status, [(k.lower(), v) for k, v in response.headers.items()]


class Server:
    def __init__(self, framework: str, kind: str, threads: int) -> None:
        self.framework, self.kind = framework, kind
        self.port = _free_port()
        command = [sys.executable, __file__, "--serve", framework, kind, str(self.port), str(threads)]
        # The server's log goes to a file: a pipe nobody reads fills up (waitress warns
        # of its queue under load) and the server then blocks writing to it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            _pinned(SERVER_CPU, command), stdout=subprocess.DEVNULL, stderr=self.log
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    err = self.log.read().decode(errors="replace")
                    raise RuntimeError(f"{framework}/{kind} server did not start: {err[-2000:]}") from None
                time.sleep(0.1)

    def path(self, view: str) -> str:
        return self.url + apps.path_for(self.framework, self.kind, view)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def mint(server: Server, state: str) -> str:
    _status, headers = _get(f"{server.url}/fill?state={state}")
    header = apps.set_cookie_of(headers)
    if header is None:
        raise AssertionError(f"{server.framework}/{server.kind}: /fill wrote no cookie")
    return header[len(apps.COOKIE_NAME) + 1 :].split(";", 1)[0].strip('"')


def check(server: Server, cookie: str) -> None:
    """The views answer, and the read-write view writes its cookie."""
    for view in VIEWS:
        status, headers = _get(server.path(view), cookie)
        if status != 200:
            raise AssertionError(f"{server.framework}/{server.kind} /{view}: status {status}")
        if view == "rw" and server.kind != "bare" and apps.set_cookie_of(headers) is None:
            raise AssertionError(f"{server.framework}/{server.kind} /rw wrote no cookie")


# -- wrk -----------------------------------------------------------------------------------------

_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


def _micros(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"cannot read wrk's duration {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def run_wrk(url: str, cookie: str | None, connections: int, duration: float) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", url]
    if cookie is not None:
        command[1:1] = ["-H", f"Cookie: {apps.COOKIE_NAME}={cookie}"]
    out = subprocess.run(_pinned(CLIENT_CPU, command), capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    if rps is None or p50 is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    if errors is not None:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    return {"rps": float(rps[1]), "p50": _micros(p50[1]), "p99": _micros(p99[1])}


# -- the run -------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(frameworks: list[str], threads: int) -> Iterator[dict[tuple[str, str], Server]]:
    started: dict[tuple[str, str], Server] = {}
    try:
        for framework in frameworks:
            for kind in apps.KINDS:
                started[(framework, kind)] = Server(framework, kind, threads)
        yield started
    finally:
        for server in started.values():
            server.stop()


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} [{min(values):.1f}-{max(values):.1f}]"


def report(results: dict[tuple[str, str, int, str], list[dict[str, float]]], frameworks: list[str]) -> None:
    print("\n## end to end: median over the rounds [their range]")
    print("cost = 1/rps - 1/rps(bare) of the same round, µs of the server's core per request;")
    print("ratio = our cost / the peer's cost, median of the rounds' ratios")
    header = (
        f"{'framework':<9} {'view':<10} {'conn':>4} {'app':<6} | {'req/s':>22} | "
        f"{'p50 µs':>8} {'p99 µs':>8} | {'cost µs':>22} | ratio"
    )
    print(header)
    print("-" * (len(header) + 6))
    for framework in frameworks:
        for view, label in VIEWS.items():
            for connections in CONCURRENCY:
                bare = results.get((framework, view, connections, "bare"), [])
                costs: dict[str, list[float | None]] = {}
                for kind in apps.KINDS:
                    rounds = results.get((framework, view, connections, kind), [])
                    if not rounds:
                        continue
                    cost = ""
                    if kind != "bare" and bare:
                        # Round by round; a run that served nothing (rps 0) has no cost to give.
                        costs[kind] = [
                            1e6 / r["rps"] - 1e6 / b["rps"] if r["rps"] > 0 and b["rps"] > 0 else None
                            for r, b in zip(rounds, bare, strict=True)
                        ]
                        served = [c for c in costs[kind] if c is not None]
                        cost = _spread(served) if served else "none served"
                    ratio = ""
                    if kind == "ours" and "theirs" in costs:
                        per_round = [
                            o / t
                            for o, t in zip(costs["ours"], costs["theirs"], strict=True)
                            if o is not None and t is not None and t > 0
                        ]
                        if per_round:
                            ratio = f"{statistics.median(per_round):.2f}"
                    print(
                        f"{framework:<9} {label:<10} {connections:>4} {kind:<6} | "
                        f"{_spread([r['rps'] for r in rounds]):>22} | "
                        f"{statistics.median(r['p50'] for r in rounds):8.0f} "
                        f"{statistics.median(r['p99'] for r in rounds):8.0f} | {cost:>22} | {ratio}"
                    )
            print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(apps.FRAMEWORKS))
    parser.add_argument("--state", default="medium", choices=sorted(apps.STATES))
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="waitress's worker threads (its default: 4)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--busy-ok", action="store_true", help="measure and report even on a busy machine")
    parser.add_argument(
        "--serve", nargs=4, metavar=("FRAMEWORK", "KIND", "PORT", "THREADS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve:
        framework, kind, port, threads = args.serve
        serve(framework, kind, int(port), int(threads))
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk; `make bench-e2e` installs it as root)")
        return 2
    frameworks = [f for f in args.frameworks.split(",") if f]
    reason = busy_reason()
    if reason is not None and not args.busy_ok:
        print(f"refusing to measure: the machine is busy ({reason}); retry later, or pass --busy-ok")
        return 3

    import cookiesession

    print("# cookiesession end-to-end benchmark: real servers on 127.0.0.1, load from wrk")
    print(
        f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; "
        f"cookiesession {cookiesession.__version__} ({accelerators()}); servers on CPU {SERVER_CPU}, "
        f"wrk on CPU {CLIENT_CPU}; "
        f"{args.rounds} rounds of {args.duration:g} s per cell; state {args.state}; "
        f"waitress threads {args.threads}; loadavg {os.getloadavg()[0]:.2f}"
        + (f"; BUSY: {reason}" if reason else "")
    )
    print("servers: " + ", ".join(f"{f}: {SERVERS[f]}" for f in frameworks))
    print("peers: " + "; ".join(f"{f}: {apps.PEER_NAMES[f]}" for f in frameworks))
    results: dict[tuple[str, str, int, str], list[dict[str, float]]] = {}
    rnd = random.Random(args.seed)
    with servers(frameworks, args.threads) as running:
        cookies: dict[tuple[str, str], str | None] = {}
        for framework in frameworks:
            for kind in ("theirs", "ours"):
                cookies[(framework, kind)] = mint(running[(framework, kind)], args.state)
            # The bare app gets our cookie: the same request bytes, and nothing reads them.
            cookies[(framework, "bare")] = cookies[(framework, "ours")]
            for kind in apps.KINDS:
                check(running[(framework, kind)], cookies[(framework, kind)] or "")
                run_wrk(running[(framework, kind)].path("read"), cookies[(framework, kind)], 4, 1)  # warm up
        time.sleep(1.1)  # Pyramid compares whole seconds: the cookies re-issue from now on
        for r in range(args.rounds):
            for framework in frameworks:
                for view in VIEWS:
                    for connections in CONCURRENCY:
                        kinds = list(apps.KINDS)
                        rnd.shuffle(kinds)
                        for kind in kinds:
                            server = running[(framework, kind)]
                            measured = run_wrk(
                                server.path(view), cookies[(framework, kind)], connections, args.duration
                            )
                            results.setdefault((framework, view, connections, kind), []).append(measured)
                            print(
                                f"  {framework} {view} c{connections} {kind}: {measured['rps']:.1f} req/s",
                                file=sys.stderr,
                                flush=True,
                            )
            print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    after = busy_reason(2.0, count_load=False)
    if after is not None and not args.busy_ok:
        print(f"refusing to report: the machine became busy ({after}); retry later, or pass --busy-ok")
        return 3
    report(results, frameworks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
