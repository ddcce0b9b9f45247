"""The session's cost inside real views: each framework, its own session against ours.

    .venv/bin/python benchmarks/views.py                 # part of `make bench`
    .venv/bin/python benchmarks/views.py --quick --frameworks starlette --states medium

Each framework's application (``apps.py``) is called in this process, through the
framework's whole request handling (routing, request and response objects,
middleware), three ways: bare (no session), with the framework's own default
session, and with cookiesession's adapter, each with its defaults (Pyramid's also
a fourth, with the floor of ``floor_session.py``).  A request carries the cookie
its session wrote (the bare application gets the same one; the floor reads the
peer's).
For every state (tiny; medium, ~600 bytes of JSON with lists before the counter;
large, ~2.9 KB) and view (``apps.VIEWS``), a round times the peer's request, its
bare twin, ours and its bare twin back to back (in alternating order from round
to round); a cell is the session's cost, the request minus its bare twin, and
the ratio ours / theirs is taken round by round, so both sides of a ratio met the
same moment of the machine.  The report gives medians, the middle half of the
rounds' ratios, and the bounds on the medium state's read and read-write views.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import apps  # noqa: E402 - after the path set-up above
import calling  # noqa: E402
from timing import accelerators, loop, loops_for  # noqa: E402

#: The most our session may cost, as a fraction of the peer's, on the medium state:
#: (read-write, read-only).  Django has no bound of its own: ours must be ahead.
BOUNDS: dict[str, tuple[float, float]] = {
    "pyramid": (1 / 3, 1 / 4),
    "flask": (1 / 2.5, 1 / 2),
    "starlette": (1 / 1.3, 1 / 1.2),
    "django": (1.0, 1.0),
}

Request = Callable[[], Any]


class Cell:
    """One framework, state and view: the peer's and our request, each with its bare twin."""

    def __init__(self, framework: str, state: str, view: str, pairs: dict[str, tuple[Request, Request]]):
        self.framework, self.state, self.view = framework, state, view
        self.pairs = pairs  # kind -> (request, bare request)
        self.loops = dict.fromkeys(pairs, 1)
        self.net: dict[str, list[float]] = {kind: [] for kind in pairs}


def _check(framework: str, kind: str, view: str, request: Request, state: str) -> None:
    """The view does what it claims: reads the right value, writes when it should."""
    apps.SINK.clear()
    status, headers = request()
    if not str(status).startswith("200"):
        raise AssertionError(f"{framework}/{kind} /{view}: status {status}")
    expected = apps.STATES[state][apps.COUNTER]
    if view in ("read", "rw") and apps.SINK.get("value") != expected:
        raise AssertionError(f"{framework}/{kind} /{view} read {apps.SINK.get('value')!r}")
    if view in ("rw", "new") and apps.set_cookie_of(headers) is None:
        raise AssertionError(f"{framework}/{kind} /{view} wrote no cookie")


def build_cells(
    frameworks: list[str], states: list[str], views: list[str], log: Callable[[str], None]
) -> list[Cell]:
    cells = []
    for framework in frameworks:
        timed = ("theirs", "ours", "floor") if framework in apps.FLOOR_FRAMEWORKS else ("theirs", "ours")
        try:
            callers = {kind: calling.Caller(framework, kind) for kind in ("bare", *timed)}
        except ImportError as exc:
            log(f"!! {framework} unavailable: {exc}")
            continue
        bare = callers["bare"]
        for state in states:
            cookies = {kind: callers[kind].mint(state) for kind in ("theirs", "ours")}
            log(
                f"{framework:<9} {state:<6} cookie: theirs {len(cookies['theirs']):4d}, "
                f"ours {len(cookies['ours']):4d} characters"
            )
            for view in views:
                pairs = {}
                for kind in timed:
                    cookie = cookies.get(kind, cookies["theirs"])  # the floor reads the peer's cookie
                    path = apps.path_for(framework, kind, view)
                    request = callers[kind].request(path, cookie=cookie)
                    twin = bare.request(apps.path_for(framework, "bare", view), cookie=cookie)
                    pairs[kind] = (request, twin)
                cells.append(Cell(framework, state, view, pairs))
    return cells


def measure(cells: list[Cell], rounds: int, min_time: float, timer: Callable[[], float], seed: int) -> None:
    for cell in cells:
        for kind, (request, _twin) in cell.pairs.items():
            cell.loops[kind] = loops_for(request, min_time, timer)
    rnd = random.Random(seed)
    order = list(cells)
    gc.collect()
    gc.freeze()  # the set-up's objects are not the requests' garbage
    try:
        for r in range(rounds):
            rnd.shuffle(order)
            for cell in order:
                kinds = list(cell.pairs) if r % 2 == 0 else list(reversed(cell.pairs))
                for kind in kinds:
                    request, twin = cell.pairs[kind]
                    n = cell.loops[kind]
                    if r % 2 == 0:
                        t = loop(request, n, timer) - loop(twin, n, timer)
                    else:
                        t = -loop(twin, n, timer) + loop(request, n, timer)
                    cell.net[kind].append(t / n * 1e6)
            print(f"  round {r + 1}/{rounds}", file=sys.stderr, flush=True)
    finally:
        gc.unfreeze()


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def summarize(cell: Cell) -> dict[str, Any]:
    theirs, ours = cell.net["theirs"], cell.net["ours"]
    ratios = [o / t for o, t in zip(ours, theirs, strict=True) if t > 0]
    low, high = _quartiles(ratios) if ratios else (float("nan"), float("nan"))
    bound = None
    if cell.state == "medium" and cell.view in ("rw", "read"):
        bound = BOUNDS[cell.framework][0 if cell.view == "rw" else 1]
    ratio = statistics.median(ratios) if ratios else float("nan")
    floor = cell.net.get("floor")
    floor_ratios = [f / t for f, t in zip(floor, theirs, strict=True) if t > 0] if floor else []
    return {
        "framework": cell.framework,
        "state": cell.state,
        "view": cell.view,
        "theirs_us": statistics.median(theirs),
        "ours_us": statistics.median(ours),
        "theirs_spread": _quartiles(theirs),
        "ours_spread": _quartiles(ours),
        "ratio": ratio,
        "ratio_q1": low,
        "ratio_q3": high,
        "bound": bound,
        "met": None if bound is None else ratio <= bound,
        "floor_us": statistics.median(floor) if floor else None,
        "floor_ratio": statistics.median(floor_ratios) if floor_ratios else None,
    }


def report(rows: list[dict[str, Any]], log: Callable[[str], None]) -> None:
    log("\n## the session's cost in a view, µs per request net of the bare app (median of the rounds)")
    log("ratio = ours / theirs, median of the rounds' ratios [middle half]; bound: see docs/performance.md")
    log("floor = the raw primitives in the same view (benchmarks/floor_session.py), and floor / theirs")
    columns = f"{'theirs':>8} {'ours':>8} {'floor':>13}"
    header = f"{'framework':<9} {'state':<6} {'view':<5} | {columns} | ratio [middle half]"
    log(header)
    log("-" * (len(header) + 16))
    for row in rows:
        verdict = ""
        if row["bound"] is not None:
            verdict = f"  {'met' if row['met'] else 'MISSED'} (bound {row['bound']:.2f})"
        elif row["ratio"] >= 1:
            verdict = "  behind"
        floor = "" if row["floor_us"] is None else f"{row['floor_us']:.1f} ({row['floor_ratio']:.2f})"
        log(
            f"{row['framework']:<9} {row['state']:<6} {row['view']:<5} | {row['theirs_us']:8.1f} "
            f"{row['ours_us']:8.1f} {floor:>13} | {row['ratio']:.2f} "
            f"[{row['ratio_q1']:.2f}-{row['ratio_q3']:.2f}]{verdict}"
        )
    bounded = [row for row in rows if row["bound"] is not None]
    if bounded:
        met = sum(1 for row in bounded if row["met"])
        log(f"\nbounds met: {met} of {len(bounded)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter samples")
    parser.add_argument("--frameworks", default=",".join(apps.FRAMEWORKS))
    parser.add_argument("--states", default=",".join(apps.STATES))
    parser.add_argument("--views", default=",".join(apps.VIEWS))
    parser.add_argument("--rounds", type=int, default=None, help="default 9, --quick 3")
    parser.add_argument("--min-time", type=float, default=None, help="seconds per sample (default 0.02)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 9)
    min_time = args.min_time or (0.01 if args.quick else 0.02)

    def log(line: str) -> None:
        print(line, flush=True)

    import cookiesession

    log("# cookiesession benchmark: the session's cost inside each framework's views (no server)")
    log(
        f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; "
        f"cookiesession {cookiesession.__version__} ({accelerators()}); process CPU time; rounds={rounds}; "
        f"min_time={min_time}s; loadavg at start {os.getloadavg()[0]:.2f}"
    )
    log("peers: " + "; ".join(f"{fw}: {name}" for fw, name in apps.PEER_NAMES.items()))
    for state in apps.STATES:
        log(f"state {state:<6} {apps.state_json_length(state):5d} bytes of JSON")
    split = [s.split(",") for s in (args.frameworks, args.states, args.views)]
    cells = build_cells(*split, log)
    time.sleep(1.1)  # Pyramid compares whole seconds: let the cookies age into a re-issue
    for cell in cells:
        for kind, (request, _twin) in cell.pairs.items():
            _check(cell.framework, kind, cell.view, request, cell.state)
    started = time.perf_counter()
    measure(cells, rounds, min_time, time.process_time, args.seed)
    rows = [summarize(cell) for cell in cells]
    report(rows, log)
    log(f"\ntiming took {time.perf_counter() - started:.0f} s; loadavg at end {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"python": sys.version, "platform": platform.platform(), "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
