"""Side-by-side CPU cost of a session per request: this library against its peers.

    make bench                       # the full run (about 3 minutes)
    .venv/bin/python benchmarks/run.py --quick
    .venv/bin/python benchmarks/run.py --payloads medium,large --peers pyramid,ours --json out.json

Operations, for each payload (tiny, medium ~600 B of JSON, large ~2.9 KB, close to
the 4 KB cookie limit), then the cost of ``compress=True`` and of a session in
three cookies (``large.py``):

* LOAD: build the session from a request carrying the peer's own cookie; read one key.
* SAVE: load, write one key, and produce the ``Set-Cookie`` header.
* RO:   a whole read-only request with the peer's default settings (Pyramid's
        ``reissue_time=0`` re-issues the cookie on every such request).

Each number is the median over ``--rounds`` rounds of ``op - null`` (the null
builds the same request and response objects without the session), in µs of CPU
time of this process (``--timer wall`` for wall-clock time); every round visits
all cases in a fresh random order, so a noisy moment spreads over all peers.
Compare numbers from one run only.  Never part of ``make test``.
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
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

import large  # noqa: E402 - after the path set-up above
import peers as peers_mod  # noqa: E402
from peers import OPS, READ_KEY, READ_VALUE, WRITE_KEY, WRITE_VALUE, Case  # noqa: E402
from timing import accelerators, loop, loops_for  # noqa: E402

LIMIT = 4064  # the longest cookie value Pyramid (and this library) writes


# -- payloads ---------------------------------------------------------------------------------


def _grow(base: dict[str, Any], json_bytes: int, seed: int) -> dict[str, Any]:
    """``base`` plus a cart and a history, until its JSON is about ``json_bytes`` long."""
    rnd = random.Random(seed)
    words = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
    state = dict(base, cart=[], history=[])
    i = 0
    while len(json.dumps(state)) < json_bytes:
        i += 1
        if i % 3:
            state["cart"].append(
                {
                    "sku": f"{rnd.getrandbits(48):012x}",
                    "qty": rnd.randrange(1, 5),
                    "price_cents": rnd.randrange(100, 99999),
                    "name": f"{rnd.choice(words)} {rnd.choice(words)}",
                }
            )
        else:
            state["history"].append(f"/{rnd.choice(words)}/{rnd.choice(words)}/{rnd.randrange(10000)}")
    return state


def make_payloads() -> dict[str, dict[str, Any]]:
    rnd = random.Random(20240601)
    medium = {
        "user_id": READ_VALUE,
        "username": "alice.example",
        "email": "alice@example.com",
        "display_name": "Alice Example",
        "roles": ["editor", "viewer", "billing"],
        "login_count": 1234,
        "last_login": 1699999000,
        "recent_ids": [rnd.randrange(100000, 999999) for _ in range(20)],
        "prefs": {
            "theme": "dark",
            "lang": "en-US",
            "tz": "Europe/Berlin",
            "page_size": 50,
            "beta": True,
            "notifications": None,
        },
        "_csrft_": f"{rnd.getrandbits(160):040x}",
        "_f_": ["Your changes have been saved."],
    }
    # 2860 bytes of JSON is about the most that still fits 4064 characters once the
    # timestamps, the SHA-512 signature, base64 and SAVE's extra key are added.
    return {"tiny": {"user_id": READ_VALUE}, "medium": medium, "large": _grow(medium, 2860, 7)}


PAYLOADS = make_payloads()


# -- timing -----------------------------------------------------------------------------------


class Sample:
    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn
        self.loops = 1
        self.times: list[float] = []


def measure(
    samples: list[Sample],
    rounds: int,
    min_time: float,
    timer: Callable[[], float],
    seed: int,
    progress: Callable[[str], None],
) -> None:
    for s in samples:
        s.fn()
        s.loops = loops_for(s.fn, min_time, timer)
    order = list(samples)
    rnd = random.Random(seed)
    gc.collect()
    gc.freeze()  # the set-up's objects are not the requests' garbage
    try:
        for r in range(rounds):
            rnd.shuffle(order)
            for s in order:
                s.times.append(loop(s.fn, s.loops, timer) / s.loops)
            progress(f"  round {r + 1}/{rounds}")
    finally:
        gc.unfreeze()


# -- correctness gate ---------------------------------------------------------------------------


def check(peer: Any, case: Case, payload: dict[str, Any]) -> None:
    """Each op does what it claims; SAVE's cookie reads back as payload + the write."""
    read_key = getattr(peer, "read_key", READ_KEY)
    loaded = case.ops["load"]()
    if loaded != payload[read_key]:
        raise AssertionError(f"LOAD returned {loaded!r}")
    header = case.ops["save"]()
    back = peer.reload(header)
    if back != dict(payload, **{WRITE_KEY: WRITE_VALUE}):
        raise AssertionError("SAVE's cookie does not read back as the payload plus the write")
    value = case.ops["ro"]()
    value = value[0] if isinstance(value, tuple) else value
    if value != payload[read_key]:
        raise AssertionError(f"RO returned {value!r}")
    for null in case.nulls.values():
        if null is not None:
            null()


def wire_check(peers: list[Any], log: Callable[[str], None]) -> None:
    by_name = {p.name: p for p in peers}
    pyramid = by_name.get("pyramid")
    if pyramid is None:
        return
    for name in ("ours/pyramid", "floor", "floor/lean"):
        ours = by_name.get(name)
        if ours is None:
            continue
        payload = PAYLOADS["medium"]
        results = []
        for label, producer, consumer in (
            (f"pyramid->{name}", pyramid, ours),
            (f"{name}->pyramid", ours, pyramid),
        ):
            header = producer.prepare("medium", payload).set_cookie
            got = consumer.reload(header)
            results.append(
                f"{label} {'ok' if got == dict(payload, **{WRITE_KEY: WRITE_VALUE}) else 'MISMATCH'}"
            )
        log("wire: " + "; ".join(results))


# -- the report -----------------------------------------------------------------------------------


def _fmt_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _options(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the defaults that depend on ``--quick`` filled in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter samples, fewer sizes")
    parser.add_argument("--payloads", default="tiny,medium,large")
    parser.add_argument("--peers", default="", help="comma list of peer names or prefixes (default: all)")
    parser.add_argument("--rounds", type=int, default=None, help="samples per case (default 7, --quick 3)")
    parser.add_argument("--min-time", type=float, default=None, help="seconds per sample (default 0.05)")
    parser.add_argument(
        "--sizes", type=int, default=None, help="points in the size table (default 8; 0: none)"
    )
    parser.add_argument(
        "--timer",
        choices=("process", "wall"),
        default="process",
        help="CPU time of this process (default; robust on a shared machine) or wall clock",
    )
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.min_time = args.min_time or (0.02 if args.quick else 0.05)
    args.sizes = args.sizes if args.sizes is not None else (4 if args.quick else 8)
    args.payload_names = [p for p in args.payloads.split(",") if p]
    args.wanted = {p.strip() for p in args.peers.split(",") if p.strip()} or None
    return args


def _prepare_cases(
    peers: list[Any], payload_names: list[str], log: Callable[[str], None]
) -> dict[tuple[str, str], Case]:
    """Each peer's case for each payload, checked before it is timed."""
    cases: dict[tuple[str, str], Case] = {}
    for peer in peers:
        for name in payload_names:
            payload = PAYLOADS[name]
            if getattr(peer, "read_key", READ_KEY) not in payload:
                continue  # the nested-change rows read a list, which tiny has not
            try:
                case = peer.prepare(name, payload)
                check(peer, case, payload)
            except Exception as exc:
                log(f"!! {peer.name}/{name} failed its check, not timed: {type(exc).__name__}: {exc}")
                continue
            cases[(peer.name, name)] = case
    return cases


def _main_table(
    peers: list[Any],
    cases: dict[tuple[str, str], Case],
    payload_names: list[str],
    net: Callable[[str, str, str], float | None],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Print the table of µs per request; return its rows."""
    results: list[dict[str, Any]] = []
    log("\n## µs per request, net of building the request and response (median of the rounds)")
    log("x floor / x pyr = this row divided by the floor / by pyramid.session (same payload and op);")
    log("cookie = length of the cookie value.  LOAD reads one key; SAVE writes one and renders Set-Cookie;")
    log("RO is a read-only request with default settings (Pyramid's re-issue).")
    header = f"{'peer':<19} {'payload':<7} {'cookie':>6} | " + " | ".join(
        f"{op.upper():>4} µs {'x floor':>7} {'x pyr':>6}" for op in OPS
    )
    log(header)
    log("-" * len(header))
    for name in payload_names:
        for peer in peers:
            case = cases.get((peer.name, name))
            if case is None:
                continue
            row: dict[str, Any] = {"peer": peer.name, "payload": name, "cookie_len": len(case.cookie)}
            cells = []
            for op in OPS:
                value = net(peer.name, name, op)
                floor = net("floor", name, op)
                pyr = net("pyramid", name, op)
                x_floor = value / floor if value is not None and floor else None
                x_pyr = value / pyr if value is not None and pyr else None
                row[op] = {"us": value, "x_floor": x_floor, "x_pyramid": x_pyr}
                cells.append(f"{value:7.2f} {_fmt_ratio(x_floor):>7} {_fmt_ratio(x_pyr):>6}")
            results.append(row)
            log(f"{peer.name:<19} {name:<7} {len(case.cookie):6d} | " + " | ".join(cells))
        log("")
    return results


def main(argv: list[str] | None = None) -> int:
    args = _options(argv)
    rounds, min_time, sizes, payload_names = args.rounds, args.min_time, args.sizes, args.payload_names
    timer = time.process_time if args.timer == "process" else time.perf_counter

    def log(line: str) -> None:
        print(line, flush=True)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    import cookiesession

    log("# cookiesession benchmark: session machinery per request (no HTTP server)")
    log(
        f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; "
        f"cookiesession {cookiesession.__version__} ({accelerators()}); timer={args.timer}; rounds={rounds}; "
        f"min_time={min_time}s; loadavg at start {os.getloadavg()[0]:.2f}"
    )
    for name in payload_names:
        log(f"payload {name:<6} {len(json.dumps(PAYLOADS[name])):5d} bytes of JSON")

    peers = peers_mod.build(args.wanted, log)
    wire_check(peers, log)
    cases = _prepare_cases(peers, payload_names, log)

    # Pyramid compares whole seconds: a cookie made in this second is not re-issued.
    time.sleep(1.1)

    samples: dict[tuple[str, str, str, str], Sample] = {}
    shared: dict[int, Sample] = {}
    for (peer_name, name), case in cases.items():
        for op in OPS:
            samples[(peer_name, name, op, "op")] = Sample(case.ops[op])
            null = case.nulls[op]
            if null is not None:
                samples[(peer_name, name, op, "null")] = shared.setdefault(id(null), Sample(null))
    size_rows = size_samples(sizes, log) if sizes else {}
    for key, sample in size_rows.items():
        samples[key] = sample
    unique = list({id(s): s for s in samples.values()}.values())
    progress(f"timing {len(unique)} samples x {rounds} rounds")
    started = time.perf_counter()
    measure(unique, rounds, min_time, timer, args.seed, progress)
    elapsed = time.perf_counter() - started

    def net(peer_name: str, name: str, op: str) -> float | None:
        sample = samples.get((peer_name, name, op, "op"))
        if sample is None:
            return None
        null = samples.get((peer_name, name, op, "null"))
        null_median = statistics.median(null.times) if null is not None else 0.0
        return (statistics.median(sample.times) - null_median) * 1e6

    def net_rounds(peer_name: str, name: str, op: str) -> list[float] | None:
        # Per round: every case is timed once a round, so two cases' times from the
        # same round met the same machine state, and their ratio varies less.
        sample = samples.get((peer_name, name, op, "op"))
        if sample is None:
            return None
        null = samples.get((peer_name, name, op, "null"))
        nulls = null.times if null is not None else [0.0] * len(sample.times)
        return [(t - n) * 1e6 for t, n in zip(sample.times, nulls, strict=True)]

    results = _main_table(peers, cases, payload_names, net, log)
    speedups(cases, payload_names, net, log)
    bounds = check_bounds(payload_names, net, net_rounds, log)
    size_table = report_sizes(size_rows, log)
    log(f"\ntiming took {elapsed:.0f} s; loadavg at end {os.getloadavg()[0]:.2f}")
    # Compression and sessions in several cookies: pairs timed round by round (large.py).
    log("")
    big = _grow(PAYLOADS["medium"], 8500, 7)
    states = {name: PAYLOADS[name] for name in ("medium", "large") if name in payload_names}
    for line in large.report(states, big, rounds=rounds, min_time=min_time):
        log(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "python": sys.version,
                    "platform": platform.platform(),
                    "timer": args.timer,
                    "rounds": rounds,
                    "results": results,
                    "sizes": size_table,
                    "bounds": bounds,
                },
                fh,
                indent=1,
            )
    return 0


def speedups(
    cases: dict[tuple[str, str], Case],
    payload_names: list[str],
    net: Callable[[str, str, str], float | None],
    log: Callable[[str], None],
) -> None:
    log("## speed-up of this library (pyramid.session time / our time; >1 is faster)")
    for peer_name, rival in (
        ("ours/pyramid", "pyramid"),
        ("ours/wsgi", "flask"),
        ("ours/asgi", "starlette"),
        ("ours/asgi-noreissue", "starlette"),
        ("ours/pyramid-enc", "ours/pyramid"),
    ):
        for name in payload_names:
            if (peer_name, name) not in cases or (rival, name) not in cases:
                continue
            cells = []
            for op in OPS:
                ours, theirs = net(peer_name, name, op), net(rival, name, op)
                ratio = theirs / ours if ours and theirs else float("nan")
                cells.append(f"{op.upper()} {ratio:5.2f}x")
            log(f"  {peer_name:<19} vs {rival:<13} {name:<7} " + "  ".join(cells))


_Cell = tuple[str, str, str]  # peer, payload, op


def check_bounds(
    payload_names: list[str],
    net: Callable[[str, str, str], float | None],
    net_rounds: Callable[[str, str, str], list[float] | None],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The bounds this project holds itself to, on the medium and large payloads, from
    this run's numbers.

    The verdict compares the medians.  Next to it, the middle half (first to third
    quartile) of the ratios taken round by round, both cells timed in the same
    round: where that range holds the bound, the verdict is within this run's
    noise, and another run may well give the other one.
    """
    checks: list[tuple[str, _Cell, _Cell, float]] = []  # label, ours, reference, bound
    for name in ("medium", "large"):
        if name not in payload_names:
            continue
        for op in ("load", "save"):
            checks.append(
                (f"{name} {op.upper()} <= 1.0x floor", ("ours/pyramid", name, op), ("floor", name, op), 1.0)
            )
            checks.append(
                (
                    f"{name} {op.upper()} stdlib json <= 1.1x floor",
                    ("ours/stdlib-json", name, op),
                    ("floor", name, op),
                    1.1,
                )
            )
        checks.append(
            (
                f"{name} LOAD >= 3x faster than pyramid",
                ("ours/pyramid", name, "load"),
                ("pyramid", name, "load"),
                1 / 3,
            )
        )
        checks.append(
            (
                f"{name} SAVE >= 3x faster than pyramid",
                ("ours/pyramid", name, "save"),
                ("pyramid", name, "save"),
                1 / 3,
            )
        )
        checks.append(
            (f"{name} RO <= SAVE", ("ours/pyramid", name, "ro"), ("ours/pyramid", name, "save"), 1.0)
        )
        for op in OPS:
            checks.append(
                (
                    f"{name} {op.upper()} asgi < starlette",
                    ("ours/asgi", name, op),
                    ("starlette", name, op),
                    1.0,
                )
            )
            checks.append(
                (f"{name} {op.upper()} wsgi < flask", ("ours/wsgi", name, op), ("flask", name, op), 1.0)
            )
            checks.append(
                (
                    f"{name} {op.upper()} encrypted <= 1.5x signed",
                    ("ours/pyramid-enc", name, op),
                    ("ours/pyramid", name, op),
                    1.5,
                )
            )
    log("\n## bounds (this run): ratio of the medians [middle half of the rounds' ratios]")
    out = []
    for label, ours, reference, bound in checks:
        value, ref = net(*ours), net(*reference)
        if value is None or not ref:
            continue
        ratio = value / ref
        met = ratio <= bound
        per_round = [
            v / r for v, r in zip(net_rounds(*ours) or (), net_rounds(*reference) or (), strict=True) if r > 0
        ]
        low, _, high = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else (ratio, ratio, ratio)
        noise = "  within noise" if low <= bound < high else ""
        out.append(
            {
                "check": label,
                "ratio": ratio,
                "bound": bound,
                "met": met,
                "round_q1": low,
                "round_q3": high,
            }
        )
        log(
            f"  {'met   ' if met else 'MISSED'} {label:<42} ratio {ratio:.2f} [{low:.2f}-{high:.2f}]"
            f" (bound {bound:.2f}){noise}"
        )
    # The bounds' floor calls the primitives plainly, as the reference harness does;
    # against the hand-tuned one, for the reader:
    for name in ("medium", "large"):
        for op in ("load", "save"):
            ours, lean = net("ours/pyramid", name, op), net("floor/lean", name, op)
            if ours is not None and lean:
                label = f"{name} {op.upper()} against floor/lean (primitives called directly)"
                log(f"  (context) {label}: ratio {ours / lean:.2f}")
    # The RO rows against Starlette compare unequal work: Starlette 1.x writes no
    # cookie on a read-only request, while Pyramid's default reissue_time=0 re-signs
    # and re-sends it.  The row that does Starlette's work, for the reader.
    for name in ("medium", "large"):
        same, theirs = net("ours/asgi-noreissue", name, "ro"), net("starlette", name, "ro")
        if same is not None and theirs:
            log(
                f"  (context) {name} RO asgi < starlette with the same work (reissue_time=None,"
                f" no cookie written): ratio {same / theirs:.2f}"
            )
    return out


# -- cost against state size -----------------------------------------------------------------------


COOKIE_LENGTHS: dict[str, int] = {}


def size_samples(points: int, log: Callable[[str], None]) -> dict[tuple[str, str, str, str], Sample]:
    """LOAD and SAVE of ours (through Pyramid, with orjson when installed and with the
    standard library alone) and of the floor, at states up to the limit."""
    base = {"user_id": READ_VALUE}
    out: dict[tuple[str, str, str, str], Sample] = {}
    names = ("floor", "ours/pyramid", "ours/stdlib-json")
    peers = [p for p in peers_mod.build(set(names), log) if p.name in names]
    largest = 2860
    for i in range(points):
        target = 40 + (largest - 40) * i // max(points - 1, 1)
        state = _grow(base, target, 11)
        label = f"size:{len(json.dumps(state))}"
        for peer in peers:
            case = peer.prepare(label, state)
            for op in ("load", "save"):
                out[(peer.name, label, op, "op")] = Sample(case.ops[op])
                null = case.nulls[op]
                if null is not None:
                    out[(peer.name, label, op, "null")] = Sample(null)
            COOKIE_LENGTHS[label] = len(case.cookie)
    return out


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float, float, float]:
    """Least-squares line: slope, intercept, R², largest residual relative to the value."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    residuals = [y - (slope * x + intercept) for x, y in zip(xs, ys, strict=True)]
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum(r * r for r in residuals) / ss_tot if ss_tot else 1.0
    worst = max(abs(r) / y for r, y in zip(residuals, ys, strict=True))
    return slope, intercept, r2, worst


def report_sizes(
    samples: dict[tuple[str, str, str, str], Sample], log: Callable[[str], None]
) -> dict[str, Any]:
    if not samples:
        return {}
    labels = sorted({k[1] for k in samples}, key=lambda label: int(label.split(":")[1]))
    peer_names = sorted({k[0] for k in samples}, reverse=True)

    def net(peer: str, label: str, op: str) -> float:
        op_times = samples[(peer, label, op, "op")].times
        null = samples.get((peer, label, op, "null"))
        return (statistics.median(op_times) - (statistics.median(null.times) if null else 0.0)) * 1e6

    log("\n## cost against state size (µs, net), up to the 4 KB cookie limit")
    header = f"{'JSON bytes':>10} {'cookie':>6} | " + " | ".join(
        f"{p + ' ' + op.upper():>18}" for p in peer_names for op in ("load", "save")
    )
    log(header)
    table: dict[str, Any] = {"rows": [], "fits": {}}
    for label in labels:
        size = int(label.split(":")[1])
        cookie = COOKIE_LENGTHS[label]
        values = {f"{p} {op}": net(p, label, op) for p in peer_names for op in ("load", "save")}
        table["rows"].append({"json_bytes": size, "cookie_len": cookie, **values})
        log(f"{size:10d} {cookie:6d} | " + " | ".join(f"{v:18.2f}" for v in values.values()))
    log("linear fit, cost = intercept + slope x JSON bytes (R² near 1 and small residuals: linear)")
    xs = [float(int(label.split(":")[1])) for label in labels]
    for p in peer_names:
        for op in ("load", "save"):
            ys = [net(p, label, op) for label in labels]
            slope, intercept, r2, worst = _fit(xs, ys)
            table["fits"][f"{p} {op}"] = {
                "slope_us_per_kb": slope * 1000,
                "intercept_us": intercept,
                "r2": r2,
                "max_rel_residual": worst,
            }
            log(
                f"  {p + ' ' + op.upper():<20} slope {slope * 1000:6.2f} µs/KB  "
                f"intercept {intercept:6.2f} µs  "
                f"R² {r2:.4f}  largest residual {worst * 100:4.1f}%"
            )
    return table


if __name__ == "__main__":
    sys.exit(main())
