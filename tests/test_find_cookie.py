"""The fast path of find_cookie (our cookie alone in the header) agrees with the general scan."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cookiesession.cookies import _last_pair_value, find_cookie


def _general(header: str, name: str) -> str | None:
    value = _last_pair_value(header, name + "=")
    if value is not None and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value


_pieces = st.sampled_from(["session=", "session", "=", ";", ",", " ", "\t", '"', "a", "-_", "x=1"])


@given(st.lists(_pieces, max_size=12).map("".join))
def test_fast_path_agrees_with_the_general_scan(header: str) -> None:
    assert find_cookie(header, "session") == _general(header, "session")


def test_named_cases() -> None:
    assert find_cookie("session=abc", "session") == "abc"
    assert find_cookie('session="abc"', "session") == "abc"
    assert find_cookie("session=a=b", "session") == "a=b"
    assert find_cookie("session=abc; session=def", "session") == "def"
    assert find_cookie("session=abc,session=def", "session") == "def"
    assert find_cookie("xsession=abc", "session") is None
    assert find_cookie("a=1; session= abc ", "session") == "abc"
