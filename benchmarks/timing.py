"""Timing a callable in a loop, shared by the benchmarks (``run.py``, ``views.py``, ``paired.py``),
and what the timed code runs with, for their reports."""

from __future__ import annotations

from collections.abc import Callable

Timer = Callable[[], float]


def loop(fn: Callable[[], object], n: int, timer: Timer) -> float:
    """The time ``n`` calls of ``fn`` take, by ``timer``."""
    start = timer()
    for _ in range(n):
        fn()
    return timer() - start


def loops_for(fn: Callable[[], object], min_time: float, timer: Timer) -> int:
    """How many calls of ``fn`` take at least ``min_time`` (aiming a fifth above it)."""
    n = 1
    while (t := loop(fn, n, timer)) < min_time:
        n = max(n * 2, int(n * min_time * 1.2 / t)) if t > 0 else n * 10
    return n


def accelerators() -> str:
    """Which optional extras cookiesession uses here (each report says so in its header)."""
    from cookiesession import _base64, _json

    def used(yes: bool) -> str:
        return "used" if yes else "not installed"

    return f"orjson {used(_json.using_orjson())}, pybase64 {used(_base64.using_pybase64())}"
