"""``json.dumps`` / ``json.loads`` with their default settings, minus the per-call setup.

``json.dumps(obj)`` builds a new C encoder on every call; ``json.loads`` walks
three Python frames before reaching the C scanner.  Both cost about a microsecond
per call, which is a large share of a session's budget.  Here the C encoder is
built once with exactly the settings ``json.dumps`` uses, so the output is the
same bytes from the same C code.  Any failure is retried through the standard
functions, so callers see the standard exceptions and messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import decoder as _decoder
from json import encoder as _encoder
from typing import Any

_stdlib_dumps = json.dumps
_stdlib_loads = json.loads


def _make_c_encoder() -> Callable[[Any, int], Any] | None:
    make = getattr(_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return None

    # Arguments in the order of json.encoder.JSONEncoder.iterencode, with the
    # defaults of json.dumps: no circular check (markers=None, so one encoder can
    # be shared by threads; a cycle ends in RecursionError and is retried below),
    # ensure_ascii, no indent, separators ', ' and ': ', no sort, allow NaN.
    def default(o: Any) -> Any:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    encoder: Callable[[Any, int], Any] = make(
        None,
        default,
        _encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )
    probe = [1, 2.5, "é\u2603\U0001f600", {"a": [None, True, float("nan")]}]
    if "".join(encoder(probe, 0)) != _stdlib_dumps(probe):  # pragma: no cover
        return None
    return encoder


_c_encoder = _make_c_encoder()
#: The C scanner ``json.loads`` ends up in: ``scan_once(text, index) -> (value, end)``.
scan_once = _decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]


def dumps(obj: Any) -> str:
    """Return exactly ``json.dumps(obj)``."""
    if _c_encoder is not None:
        try:
            chunks = _c_encoder(obj, 0)
        except Exception:  # noqa: BLE001, S110 - re-raised with the standard message below
            pass
        else:
            return "".join(chunks)
    return _stdlib_dumps(obj)


def loads(text: str) -> Any:
    """Return exactly ``json.loads(text)``; raise its ``ValueError`` on bad input."""
    try:
        obj, end = scan_once(text, 0)
    except Exception:  # noqa: BLE001, S110 - StopIteration, RecursionError, ...: take the slow path
        pass
    else:
        if end == len(text):
            return obj
    return _stdlib_loads(text)
