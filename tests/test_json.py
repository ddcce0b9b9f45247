"""The JSON layer: ``loads`` gives exactly what ``json.loads`` gives, with or without orjson,
``dumps`` exactly what ``json.dumps`` writes, and nesting depth is told without recursion."""

from __future__ import annotations

import enum
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import _json
from tests.conftest import require
from tests.strategies import json_values

Loads = Callable[[bytes], Any]


@pytest.fixture(params=["installed", "stdlib"])
def loads(request: pytest.FixtureRequest) -> Loads:
    """The parser sessions use (through orjson: it is installed with the test
    dependencies) and the standard library's alone."""
    if request.param == "installed":
        require(_json.using_orjson(), "orjson (the 'fast' extra)")
        return _json.loads
    return _json.loads_stdlib


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 and 1.0 differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _outcome(parse: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "value", parse(data)
    except ValueError:
        return "refused", None


def _stdlib(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


# What orjson reads differently from json.loads, each of which must come out as json.loads says.
_EDGE_TEXTS = [
    "18446744073709551616",  # beyond 64 bits: orjson gives a float
    "-9223372036854775809",
    "9223372036854775807",
    "[12345678901234567890123, 1]",
    '{"n": 1e400}',  # beyond a float's range: orjson refuses, json.loads gives inf
    "[NaN, Infinity, -Infinity]",
    '"\\ud800"',  # a lone surrogate: orjson refuses
    '["\\udfff\\ud800", "\\ud83d\\ude00"]',
    '{"a": 1, "a": 2}',  # a repeated key: the last one wins
    "-0",
    "-0.0",
    "[1.7976931348623157e308, 5e-324, 0.1e-400]",
    '"1234567890123456789012 in a string"',
    " [1] ",
    "\ufeff[1]",
    "[1,]",
    '"tab\there"',
    "[01]",
    "",
]


@pytest.mark.parametrize("text", _EDGE_TEXTS)
def test_edge_texts_read_as_json_loads_reads_them(loads: Loads, text: str) -> None:
    data = text.encode("utf-8")
    got, expected = _outcome(loads, data), _outcome(_stdlib, data)
    assert got[0] == expected[0]
    assert _same(got[1], expected[1])


_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
)


@given(st.lists(_NUMBERS, max_size=6))
def test_numbers_read_as_json_loads_reads_them(numbers: list[Any]) -> None:
    require(_json.using_orjson(), "orjson (the 'fast' extra)")
    # Every number orjson and the standard library might read apart: big integers,
    # long mantissas, exponents at and past float's range, NaN and the infinities.
    text = "[" + ", ".join(n if isinstance(n, str) else json.dumps(n) for n in numbers) + "]"
    expected = _outcome(_stdlib, text.encode())
    for loads in (_json.loads, _json.loads_stdlib):
        got = _outcome(loads, text.encode())
        assert got[0] == expected[0]
        assert _same(got[1], expected[1])


_SURROGATE_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
    max_size=8,
)
_VALUES = st.recursive(
    st.none() | st.booleans() | _NUMBERS.filter(lambda n: not isinstance(n, str)) | _SURROGATE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_SURROGATE_TEXT, inner, max_size=4),
    max_leaves=20,
)


# The `loads` fixture chooses the parser for the whole test, every example alike.
_ONE_PARSER_PER_TEST = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@_ONE_PARSER_PER_TEST
@given(value=_VALUES)
def test_any_value_written_by_json_dumps_reads_back_as_json_loads_reads_it(loads: Loads, value: Any) -> None:
    data = json.dumps(value).encode("utf-8")
    assert _same(loads(data), _stdlib(data))


@_ONE_PARSER_PER_TEST
@given(value=json_values, cut=st.integers(min_value=0, max_value=200), junk=st.binary(max_size=3))
def test_damaged_text_is_refused_or_read_exactly_as_json_loads_does(
    loads: Loads, value: Any, cut: int, junk: bytes
) -> None:
    data = json.dumps(value).encode("utf-8")
    damaged = data[:cut] + junk + data[cut:]
    got, expected = _outcome(loads, damaged), _outcome(_stdlib, damaged)
    assert got[0] == expected[0]
    assert _same(got[1], expected[1])


@given(value=_VALUES)
def test_dumps_writes_exactly_what_json_dumps_writes(value: Any) -> None:
    assert _json.dumps(value) == json.dumps(value)


class _Level(enum.IntEnum):
    HIGH = 3


class _Mode(str, enum.Enum):
    DARK = "dark"


@pytest.mark.parametrize(
    "value",
    [
        0,
        -7,
        2**64,
        True,
        False,
        None,
        "",
        "é\u2603\U0001f600",
        "\ud800",
        '"\\\n\x00',
        _Level.HIGH,
        _Mode.DARK,
    ],
    ids=repr,
)
def test_dumps_of_one_value_is_json_dumps(value: Any) -> None:
    # A str or an int alone takes a shorter way than the encoder: the same text;
    # their subclasses (enums here) still go through the encoder, as json.dumps takes them.
    assert _json.dumps(value) == json.dumps(value)


def test_dumps_of_an_integer_too_long_for_text_fails_as_json_dumps_does() -> None:
    # Python (3.10.7 on) refuses to write an int of more digits than its limit (4300 unless set).
    huge = 10 ** (getattr(sys, "get_int_max_str_digits", lambda: 4300)() + 1)

    def outcome(dumps: Callable[[Any], str]) -> str:
        try:
            return dumps(huge)
        except ValueError as exc:
            return f"ValueError: {exc}"

    assert outcome(_json.dumps) == outcome(json.dumps)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ('{"a": 12, "b": [1, {"c": "}"}]}', 6, 8),
        ('{"a": 12, "b": [1, {"c": "}"}]}', 15, 30),
        ("[true]", 1, 5),
    ],
)
def test_value_end_is_where_the_value_at_start_ends(text: str, start: int, end: int) -> None:
    assert _json.value_end(text, start) == end


@pytest.mark.parametrize(("text", "start"), [('{"a": }', 6), ("[1, ", 4), ("[1]", 3)])
def test_value_end_refuses_a_place_where_no_value_starts(text: str, start: int) -> None:
    with pytest.raises(ValueError, match="no JSON value"):
        _json.value_end(text, start)


def test_dumps_raises_what_json_dumps_raises() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        _json.dumps({"a": {1}})
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises((RecursionError, ValueError)):
        _json.dumps(cycle)


def _nested(depth: int) -> Any:
    value: Any = 0
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("depth", [0, 1, 2, 5, 99, 100, 101, 5000])
def test_deeper_than_counts_levels_of_lists_and_dicts(depth: int) -> None:
    value = _nested(depth)
    assert _json.deeper_than(value, depth) is False
    assert _json.deeper_than(value, depth - 1) is (depth > 0)


def test_deeper_than_ends_on_a_value_that_contains_itself() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    assert _json.deeper_than(cycle, 50) is True


def test_deeper_than_counts_tuples_and_empty_containers() -> None:
    assert _json.deeper_than((1, [[]]), 2) is True
    assert _json.deeper_than((1, [[]]), 3) is False


@pytest.mark.parametrize("depth", [1, 10, 100, 2000])
def test_text_deeper_than_reads_the_nesting_of_json_text(depth: int) -> None:
    # Written by hand: json.dumps itself cannot go 2000 levels deep.
    opening = "".join('{"k": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    text = f"{opening}0{closing}"
    assert _json.text_deeper_than(text, depth) is False
    assert _json.text_deeper_than(text, depth - 1) is True


def test_text_deeper_than_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": "[[[{{{", "b": ['"\\[', "]]]}}}"]})
    assert _json.text_deeper_than(text, 2) is False
    assert _json.text_deeper_than(text, 1) is True


def test_without_orjson_the_standard_library_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # what an import then raises: ImportError
    assert _json._load_orjson() is None
