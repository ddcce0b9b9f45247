"""``readers.pyramid_nacl``: pyramid_nacl_session's encrypted cookies, made by the real
library, read as it reads them; its pickles loaded without ever building anything but
plain values; no input makes it raise."""

from __future__ import annotations

import base64
import datetime
import importlib.util
import os
import pickle
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import RichJSONSerializer, SignedCookieSessionFactory, readers
from cookiesession.exceptions import ConfigurationError, ConfigurationTypeError, MissingDependency
from tests.conftest import require
from tests.session_harness import NACL_SECRET, SECRET, FakeClock, nacl_key, pyramid_nacl_cookie

MOMENT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc)
RICH_STATE: dict[str, Any] = {
    "when": MOMENT,
    "day": MOMENT.date(),
    "pair": (1, "two"),
    "tags": {"b", "a"},
    "raw": b"\x00\xff",
    "id": uuid.UUID(int=7),
    "price": Decimal("1.10"),
    "wait": datetime.timedelta(seconds=90),
}


@pytest.fixture(autouse=True)
def _real_library() -> None:
    require(
        all(importlib.util.find_spec(m) is not None for m in ("nacl", "pyramid_nacl_session", "webtest")),
        "PyNaCl and pyramid_nacl_session",
    )


def _seal(plain: bytes, secret: str = NACL_SECRET) -> str:
    """``plain`` encrypted as pyramid_nacl_session encrypts a payload (for payloads the
    real library would never write, such as a hostile pickle made with the key)."""
    from nacl.secret import SecretBox

    sealed = SecretBox(nacl_key(secret)).encrypt(plain)
    return base64.urlsafe_b64encode(bytes(sealed)).decode("ascii").rstrip("=")


def test_values_json_cannot_hold_become_plain_ones() -> None:
    value = pyramid_nacl_cookie(RICH_STATE)
    state = readers.pyramid_nacl(NACL_SECRET).read(value, time.time())
    assert state == {
        "when": "2024-05-06T07:08:09.123456+00:00",
        "day": "2024-05-06",
        "pair": [1, "two"],
        "tags": ["a", "b"],
        "raw": "AP8=",
        "id": "00000000-0000-0000-0000-000000000007",
        "price": "1.10",
        "wait": 90.0,
    }


def test_rich_keeps_the_types_for_the_rich_serializer() -> None:
    clock = FakeClock(time.time())
    reader = readers.pyramid_nacl(bytes.fromhex(NACL_SECRET), rich=True)
    factory = SignedCookieSessionFactory(
        SECRET, serializer=RichJSONSerializer(), clock=clock, read_also=[reader]
    )
    session = factory.from_cookie_header(f"session={pyramid_nacl_cookie(RICH_STATE)}")
    header = session.set_cookie_header()
    assert header is not None
    reissued = factory.from_cookie_header(header.split(";")[0])
    assert (session.copy(), reissued.copy()) == (RICH_STATE, RICH_STATE)


def test_the_json_serializer_and_the_settings_hex_secret() -> None:
    from pyramid.session import JSONSerializer

    value = pyramid_nacl_cookie({"user": "alice"}, serializer=JSONSerializer())
    json_reader = readers.pyramid_nacl(NACL_SECRET, serializer="json")
    pickle_reader = readers.pyramid_nacl(NACL_SECRET)
    assert (json_reader.read(value, time.time()), pickle_reader.read(value, time.time())) == (
        {"user": "alice"},
        None,
    )


@pytest.mark.parametrize(
    ("timeout", "idle", "accepted"),
    [(1200, 1199, True), (1200, 1201, False), (60, 61, False), (None, 10**8, True)],
)
def test_the_idle_timeout_is_pyramids(timeout: int | None, idle: float, accepted: bool) -> None:
    value = pyramid_nacl_cookie({"n": 1}, timeout=timeout)
    state = readers.pyramid_nacl(NACL_SECRET, timeout=timeout).read(value, time.time() + idle)
    assert state == ({"n": 1} if accepted else None)


class _Boom:
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (os.system, ("echo pwned",))


class _HugeBytearray:
    """Pickles as ``bytearray(2**40)``: a few bytes asking for a terabyte."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (bytearray, (2**40,))


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps((1.0, 1.0, {"x": _Boom()})),
        pickle.dumps((1.0, 1.0, {"x": sys.exit})),
        pickle.dumps((1.0, 1.0, {"x": Exception("no")})),
        pickle.dumps([1.0, 1.0]),
        pickle.dumps((True, 1.0, {})),
        pickle.dumps((1.0, 1.0, ["not", "a", "dict"])),
        pickle.dumps((1.0, 1.0, {"x": _HugeBytearray()}), protocol=2),
        pickle.dumps((1.0, 1.0, {"x": {(1, 2): "tuple key"}})),
        pickle.dumps((1.0, 1.0, {"x": [{frozenset(): "frozenset key"}]})),
        pickle.dumps((1.0, 1.0, {1: "int key"})),
        b"not a pickle",
    ],
    ids=[
        "reduce-to-a-function",
        "a-function",
        "a-class-instance",
        "two-items",
        "bool-time",
        "list-state",
        "bytearray-of-a-count",
        "tuple-key",
        "frozenset-key-in-a-list",
        "int-key",
        "junk",
    ],
)
def test_a_payload_with_anything_but_plain_values_is_no_session(payload: bytes) -> None:
    for rich in (False, True):
        reader = readers.pyramid_nacl(NACL_SECRET, timeout=None, rich=rich)
        assert reader.read(_seal(payload), time.time()) is None


def test_a_bytearray_pickled_by_its_contents_is_read() -> None:
    payload = pickle.dumps((1.0, 1.0, {"raw": bytearray(b"ab")}), protocol=3)
    assert readers.pyramid_nacl(NACL_SECRET, timeout=None).read(_seal(payload), 0.0) == {"raw": "YWI="}


def test_a_sealed_pickle_of_plain_values_is_read() -> None:
    reader = readers.pyramid_nacl(NACL_SECRET, timeout=None)
    assert reader.read(_seal(pickle.dumps((1.0, 1.0, {"a": [1, None]}), protocol=2)), 0.0) == {"a": [1, None]}


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_no_text_makes_it_raise(value: str) -> None:
    assert readers.pyramid_nacl(NACL_SECRET).read(value, time.time()) is None


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_no_sealed_bytes_make_it_raise(payload: bytes) -> None:
    state = readers.pyramid_nacl(NACL_SECRET, timeout=None).read(_seal(payload), 0.0)
    assert state is None or isinstance(state, dict)


@pytest.mark.parametrize(
    ("secret", "options", "error"),
    [
        ("ab" * 31, {}, ConfigurationError),
        ("zz" * 32, {}, ConfigurationError),
        (b"short", {}, ConfigurationError),
        (42, {}, ConfigurationTypeError),
        (NACL_SECRET, {"serializer": "yaml"}, ConfigurationError),
        (NACL_SECRET, {"cookie_name": ""}, ConfigurationTypeError),
    ],
)
def test_options_are_checked_when_the_reader_is_made(
    secret: Any, options: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        readers.pyramid_nacl(secret, **options)


def test_without_pynacl_making_the_reader_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nacl.secret", None)
    with pytest.raises(MissingDependency, match=r"cookiesession\[nacl\]"):
        readers.pyramid_nacl(NACL_SECRET)
