"""``json.dumps`` and ``json.loads`` with their default settings, made cheaper.

* :func:`dumps` is ``json.dumps(obj)`` through one C encoder built once with
  exactly the settings ``json.dumps`` uses (``json.dumps`` builds a new one on
  every call, about a microsecond): the same bytes from the same C code.  A
  ``str`` or ``int`` alone goes straight to the functions that encoder calls for it.
* :func:`loads` is ``json.loads``, through orjson when it is installed (the
  ``cookiesession[fast]`` extra), which parses a session's payload two to three
  times faster.  orjson reads some texts differently from ``json.loads``: it
  turns integers beyond 64 bits into floats, and refuses ``NaN``, ``Infinity``,
  numbers beyond a float's range and lone surrogates.  Texts that may hold the
  first (a run of 19 or more digits) go to ``json.loads`` directly, and anything
  orjson refuses is read again by ``json.loads``, so the result, or the
  ``ValueError``, is always the one ``json.loads`` gives.

Both also bound how deeply a value may nest (:data:`MAX_DEPTH`): see
:func:`deeper_than`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "deeper_than",
    "dumps",
    "loads",
    "loads_stdlib",
    "text_deeper_than",
    "using_orjson",
    "value_end",
]

#: How deeply a session's values may nest (a list in a dict in a list ... counts
#: one level each): a state nested more deeply is refused when it is written.
#: Far more than any session needs, and far less than the interpreter's recursion
#: limit, so a state we wrote always parses, however deep the caller's stack.
MAX_DEPTH = 100

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
# The C scanner json.loads ends up in: scan_once(text, index) -> (value, end).
_scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


# What json.dumps writes for a str and an int, as its C encoder calls them.
_str_json = _encoder.encode_basestring_ascii
_int_json = int.__repr__


def dumps(obj: Any) -> str:
    """Return exactly ``json.dumps(obj)``, or raise what it raises."""
    # A key or a counter written alone (the reuse of a payload splices such values):
    # the encoder's own functions for them, without its list of chunks to join.
    # Exact types only, as a subclass (a str Enum) may have text of its own.
    kind = type(obj)
    if kind is str:
        return _str_json(obj)
    if kind is int:
        return _int_json(obj)
    if _c_encoder is not None:
        try:
            chunks = _c_encoder(obj, 0)
        except Exception:  # noqa: BLE001, S110 - re-raised with the standard message below
            pass
        else:
            return "".join(chunks)
    return _stdlib_dumps(obj)


def _load_orjson() -> Callable[[bytes | str], Any] | None:
    try:
        import orjson
    except ImportError:
        return None
    return orjson.loads


_orjson_loads = _load_orjson()
# A run of 19 digits may be an integer beyond 64 bits, which orjson reads as a float.
# Found by mapping every digit to "0" and everything else to a space, then looking
# for the run: ten times faster than a regular expression (measured, 600 bytes).
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19


def using_orjson() -> bool:
    """Whether :func:`loads` parses through orjson (the ``cookiesession[fast]`` extra)."""
    return loads is not loads_stdlib


def loads_stdlib(data: bytes) -> Any:
    """Return exactly ``json.loads(data.decode('utf-8'))``, by the standard library
    alone; raise its ``ValueError`` on bad input.

    A ``RecursionError`` (a value nested about as deeply as the interpreter's
    recursion limit allows, from where it was called) is not a ``ValueError``,
    and is raised as it is.
    """
    text = data.decode("utf-8")
    # json.loads(text) ends in this C scanner after three Python calls and two
    # whitespace matches (about a microsecond): call it directly, and leave
    # anything but one value filling the whole text to json.loads itself.
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:  # no value at the start (leading whitespace, or none at all)
        end = -1
    if end == len(text):
        return value
    return _stdlib_loads(text)


def _loads_orjson_first(data: bytes) -> Any:
    """:func:`loads_stdlib`'s result, through orjson where that gives the same."""
    if _LONG_DIGIT_RUN not in data.translate(_DIGITS_AS_ZEROS):
        try:
            return _orjson_loads(data)  # type: ignore[misc]
        except ValueError:  # orjson.JSONDecodeError: the standard library gives the answer
            pass
    return loads_stdlib(data)


#: ``json.loads(data.decode('utf-8'))``, exactly: through orjson when it is installed.
loads: Callable[[bytes], Any] = loads_stdlib if _orjson_loads is None else _loads_orjson_first


def value_end(text: str, start: int) -> int:
    """Where the JSON value that starts at ``start`` in ``text`` ends; ``ValueError`` if none does."""
    try:
        return _scan_once(text, start)[1]  # type: ignore[no-any-return]
    except StopIteration:  # the scanner's way of saying there is no value there
        raise ValueError(f"no JSON value at index {start}") from None


def deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` levels deep
    (a scalar is level 0, ``[1]`` level 1).

    Iterative, so it answers for any depth without recursion.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        kind = type(item)
        if kind is dict or isinstance(item, dict):
            children: Any = item.values()
        elif kind is list or kind is tuple or isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth == limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


# A string (with its escapes), or a bracket: enough to follow nesting in JSON text.
_NESTING_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


def text_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON ``text`` nests its brackets more than ``limit`` levels deep
    (brackets inside strings aside).  For the rare payload that ``loads`` could
    not parse for its depth: it tells that depth from the caller's stack."""
    depth = 0
    for token in _NESTING_TOKENS.finditer(text):
        first = token.group()[0]
        if first in "[{":
            depth += 1
            if depth > limit:
                return True
        elif first in "]}":
            depth -= 1
    return False
