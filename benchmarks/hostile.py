"""Cost of hostile ``Cookie`` headers: the bounded handling against the unbounded one it replaced.

    .venv/bin/python benchmarks/hostile.py         # also run by `make bench`

Each line is the best of several runs, in milliseconds of wall time, of building a session
from one hostile header:

* escapes: a 1 MiB header whose session cookie is nothing but backslash escapes.
  "unbounded" unescapes the whole value first (as ``find_cookie`` did, emulated by lifting
  its limit); "bounded" leaves any value longer than ``LONGEST_ESCAPED_VALUE`` as it is.
* N lines: an ASGI request with N ``Cookie`` header lines. "unbounded" joins them by
  repeated concatenation (quadratic, as the ASGI adapter did); "bounded" joins at most
  ``MAX_COOKIE_LINES`` of them in one ``join``.

Never part of ``make test``: the test suite checks the same bounds in counts of
characters and bytes (``tests/test_hostile_headers.py``), not in time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from cookiesession import SignedCookieSessionFactory, cookies
from cookiesession.asgi import cookie_header

SECRET = "benchmark-secret-" + "z" * 48
MEGABYTE = 1024 * 1024
ROUNDS = 5


def _best_ms(work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _concatenated(scope: dict[str, Any]) -> str:
    # The join this library used before: a new bytes object per line.
    cookie = None
    for name, value in scope.get("headers", ()):
        if name.lower() == b"cookie":
            cookie = value if cookie is None else cookie + b"; " + value
    return "" if cookie is None else cookie.decode("latin-1")


def _escapes_row() -> tuple[str, float, float]:
    factory = SignedCookieSessionFactory(SECRET)
    header = 'session="' + "\\001" * (MEGABYTE // 4) + '"'
    bounded = _best_ms(lambda: factory.from_cookie_header(header))
    limit = cookies.LONGEST_ESCAPED_VALUE
    cookies.LONGEST_ESCAPED_VALUE = sys.maxsize  # find_cookie reads it at each call
    try:
        unbounded = _best_ms(lambda: factory.from_cookie_header(header))
    finally:
        cookies.LONGEST_ESCAPED_VALUE = limit
    return "1 MiB of escapes", unbounded, bounded


def _lines_row(count: int) -> tuple[str, float, float]:
    factory = SignedCookieSessionFactory(SECRET)
    scope = {"headers": [(b"cookie", b"c%d=v%d" % (i, i)) for i in range(count)]}
    bounded = _best_ms(lambda: factory.from_cookie_header(cookie_header(scope)))
    unbounded = _best_ms(lambda: factory.from_cookie_header(_concatenated(scope)))
    return f"{count:,} Cookie lines (ASGI)", unbounded, bounded


def main() -> None:
    rows = [_escapes_row(), *(_lines_row(count) for count in (1_000, 5_000, 10_000))]
    print(f"{'hostile header':<28} {'unbounded ms':>13} {'bounded ms':>11}")
    for name, unbounded, bounded in rows:
        print(f"{name:<28} {unbounded:>13.2f} {bounded:>11.2f}")


if __name__ == "__main__":
    main()
