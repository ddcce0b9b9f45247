"""Loading a cookie: what the client sent never raises, and a stack too deep to parse is not the
client's fault."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cookiesession import BaseCookieSessionFactory, SignedCookieSessionFactory, _json
from cookiesession.loading import Limits, load
from tests.session_harness import NOW, SECRET, signed, signed_state


def _factory() -> Any:
    return SignedCookieSessionFactory(SECRET, clock=lambda: NOW)


def _parser_out_of_stack(payload: bytes) -> Any:
    raise RecursionError("maximum recursion depth exceeded")


def test_a_stack_too_deep_to_parse_a_shallow_payload_raises_instead_of_refusing_the_cookie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory = _factory()
    token = signed_state({"user": "alice"})
    # As json raises when the caller's own stack leaves no room: the cookie is fine.
    monkeypatch.setattr(factory._codec, "loads", _parser_out_of_stack)
    with pytest.raises(RecursionError):
        load(factory._codec, Limits(1200, None), token, NOW)


def test_a_payload_deeper_than_any_state_we_write_is_refused_when_it_cannot_be_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory = _factory()
    deep: Any = "x"
    for _ in range(_json.MAX_DEPTH + 1):
        deep = [deep]
    token = signed([NOW, NOW, {"deep": deep}])
    monkeypatch.setattr(factory._codec, "loads", _parser_out_of_stack)
    assert load(factory._codec, Limits(1200, None), token, NOW) is None


def test_a_payload_at_the_depth_we_write_loads() -> None:
    factory = _factory()
    deep: Any = "x"
    for _ in range(_json.MAX_DEPTH - 1):
        deep = [deep]
    session = factory.from_cookie_value(signed_state({"deep": deep}))
    assert session.new is False
    assert dict.get(session, "deep") == deep


class _Refusing:
    """A serializer that fails in its own ways on every payload."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value).encode()

    def loads(self, payload: bytes) -> Any:
        raise self.error


@pytest.mark.parametrize(
    "error", [KeyError("x"), RecursionError(), ValueError("bad"), UnicodeDecodeError("utf-8", b"", 0, 1, "x")]
)
def test_whatever_a_custom_serializer_raises_on_a_cookie_gives_a_new_session(error: BaseException) -> None:
    factory = BaseCookieSessionFactory(_Refusing(error), clock=lambda: NOW)
    session = factory.from_cookie_value("anything-the-client-sent")
    assert (session.new, dict(dict.items(session))) == (True, {})
