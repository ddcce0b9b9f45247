"""What larger sessions cost: ``compress=True``, and a session in three cookies.

    .venv/bin/python benchmarks/large.py            # also the last section of `make bench`

* compression: LOAD (make the session from its cookie, read one key) and SAVE
  (write one key, render the ``Set-Cookie`` headers) of the signed factory with and
  without ``compress=True``, on the medium and large states of ``run.py``; and the
  cookie bytes compression saves.
* pieces: the same state, about 8.5 KB of JSON, read and written as one cookie
  value (``from_cookie_value`` of the whole token, ``token()``: what the pieces
  cost is the only difference) and as the three cookies ``max_cookies=3`` writes
  (``from_cookie_header`` joining them, ``set_cookie_headers()`` cutting them).

Each pair is timed in the same process, in alternating order, round after round
(CPU time of this process); the ratio of the medians is what to read, the µs
depend on the machine and its load.  Never part of ``make test``.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from cookiesession import SignedCookieSessionFactory  # noqa: E402 - after the path set-up above

SECRET = "large-session-bench-" + "0123456789abcdef" * 4
READ_KEY = "user_id"
WRITE_KEY = "last_seen"

Op = Callable[[], object]


def _per_call(fn: Op, loops: int, timer: Callable[[], float]) -> float:
    start = timer()
    for _ in range(loops):
        fn()
    return (timer() - start) / loops


def paired(a: Op, b: Op, rounds: int, min_time: float) -> tuple[float, float]:
    """Median µs per call of ``a`` and of ``b``, timed in alternating order."""
    timer = time.process_time
    loops = []
    for fn in (a, b):
        n = 1
        while _per_call(fn, n, timer) * n < min_time:
            n *= 2
        loops.append(n)
    times: list[list[float]] = [[], []]
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for index in order:
            times[index].append(_per_call((a, b)[index], loops[index], timer))
    return statistics.median(times[0]) * 1e6, statistics.median(times[1]) * 1e6


def _cookie_pairs(set_cookies: list[str]) -> str:
    return "; ".join(each.split(";", 1)[0] for each in set_cookies)


def _ops(factory: Any, header: str) -> tuple[Op, Op]:
    def load() -> object:
        return factory.from_cookie_header(header)[READ_KEY]

    def save() -> object:
        session = factory.from_cookie_header(header)
        session[WRITE_KEY] = 1700000123
        return session.set_cookie_headers()

    return load, save


def compression(states: dict[str, dict[str, Any]], rounds: int, min_time: float) -> list[str]:
    lines = ["## compress=True: µs per request (signed factory) and the cookie bytes it saves"]
    lines.append(f"{'state':<7} {'op':<5} {'plain µs':>9} {'compressed µs':>14} {'x':>6}")
    saved = []
    for name, state in states.items():
        headers = {}
        ops = {}
        for compress in (False, True):
            factory = SignedCookieSessionFactory(SECRET, compress=compress)
            session = factory.from_cookie_header(None)
            session.update(state)
            headers[compress] = _cookie_pairs(session.set_cookie_headers())
            ops[compress] = _ops(factory, headers[compress])
        for index, op in enumerate(("LOAD", "SAVE")):
            plain, packed = paired(ops[False][index], ops[True][index], rounds, min_time)
            lines.append(f"{name:<7} {op:<5} {plain:9.2f} {packed:14.2f} {packed / plain:6.2f}")
        before, after = len(headers[False]), len(headers[True])
        saved.append(
            f"  {name}: cookie {before} -> {after} bytes, {before - after} saved ({1 - after / before:.0%})"
        )
    return [*lines, "cookie bytes saved by compression:", *saved]


def pieces(state: dict[str, Any], rounds: int, min_time: float) -> list[str]:
    factory = SignedCookieSessionFactory(SECRET, max_cookies=3)
    session = factory.from_cookie_header(None)
    session.update(state)
    set_cookies = session.set_cookie_headers()
    header = _cookie_pairs(set_cookies)
    whole, _ = factory.whole_token(dict(pair.split("=", 1) for pair in header.split("; ")))

    def load_one() -> object:
        return factory.from_cookie_value(whole)[READ_KEY]

    def save_one() -> object:
        one = factory.from_cookie_value(whole)
        one[WRITE_KEY] = 1700000123
        return f"session={one.token()}; Path=/; SameSite=Lax"

    load_three, save_three = _ops(factory, header)
    lines = [
        f"## one session of {len(whole)} token characters: as one cookie value, and in "
        f"{len(set_cookies)} cookies (max_cookies=3)",
        f"{'op':<5} {'1 cookie µs':>12} {'3 cookies µs':>13} {'x':>6}",
    ]
    for op, one_op, three_op in (("LOAD", load_one, load_three), ("SAVE", save_one, save_three)):
        one, three = paired(one_op, three_op, rounds, min_time)
        lines.append(f"{op:<5} {one:12.2f} {three:13.2f} {three / one:6.2f}")
    return lines


def report(states: dict[str, dict[str, Any]], big: dict[str, Any], rounds: int, min_time: float) -> list[str]:
    return [*compression(states, rounds, min_time), "", *pieces(big, rounds, min_time)]


def main() -> int:
    import run  # the states of the main benchmark

    big = run._grow(run.PAYLOADS["medium"], 8500, 7)
    states = {name: run.PAYLOADS[name] for name in ("medium", "large")}
    random.seed(1)
    for line in report(states, big, rounds=9, min_time=0.05):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())
