"""``cookiesession.readers`` on their own: the formats as the real Flask, Starlette and
Django write them (compression, Flask's tagged values, lifetimes), and hostile input,
which never raises and is no session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import ConfigurationTypeError, readers
from tests.conftest import require
from tests.django_support import project  # noqa: F401 - a fixture
from tests.session_harness import (
    DJANGO_SECRET,
    FLASK_SECRET,
    NOW,
    SECRET,
    STARLETTE_SECRET,
    django_cookie,
    flask_cookie,
    starlette_cookie,
)

MONTH = 32 * 24 * 3600  # past every library's default lifetime
STATE = {"user": "alice", "cart": [1, 2]}


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


READERS: list[readers.Reader] = [
    readers.flask(SECRET),
    readers.starlette(SECRET, max_age=None),
    readers.django(SECRET, max_age=None),
]
# Cookie-ish text: the separators and base64 alphabets the formats use, and anything else.
COOKIE_TEXT = st.text(alphabet=st.sampled_from("AZaz09-_+/=.:!é\x00")) | st.text()


@settings(max_examples=300, deadline=None)
@given(value=COOKIE_TEXT)
def test_no_reader_raises_or_accepts_an_unsigned_value(value: str) -> None:
    assert [reader.read(value, NOW) for reader in READERS] == [None, None, None]


def _starlette_signed(state_json: bytes) -> str:
    # Starlette's format built by hand: base64 JSON, a timestamp of 1, an HMAC-SHA1 keyed
    # as itsdangerous's default key derivation keys it.
    key = hashlib.sha1(b"itsdangerous.Signersigner" + SECRET.encode()).digest()  # noqa: S324 - the format's
    payload = base64.b64encode(state_json) + b"." + base64.urlsafe_b64encode(b"\x01").rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha1).digest()).rstrip(b"=")
    return (payload + b"." + signature).decode()


def test_a_signed_value_that_is_not_a_json_object_is_no_session() -> None:
    reader = readers.starlette(SECRET, max_age=None)
    assert [reader.read(_starlette_signed(text), NOW) for text in (b'{"a": 1}', b"[1, 2]", b"{")] == [
        {"a": 1},
        None,
        None,
    ]


def _django_signed(payload: str) -> str:
    # Django's signed_cookies format built by hand (a timestamp of NOW in base 62).
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number, stamp = int(NOW), ""
    while number:
        number, digit = divmod(number, 62)
        stamp = digits[digit] + stamp
    value = f"{payload}:{stamp}"
    key = hashlib.sha256(b"django.contrib.sessions.backends.signed_cookiessigner" + SECRET.encode()).digest()
    signature = base64.urlsafe_b64encode(hmac.new(key, value.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{value}:{signature.decode()}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_signed_payloads_that_do_not_inflate_or_parse_are_no_session() -> None:
    import zlib

    reader = readers.django(SECRET)
    bomb = zlib.compress(b'{"a": "' + b"x" * (2 << 20) + b'"}')
    payloads = {
        "plain": _b64(b'{"a":1}'),
        "compressed": "." + _b64(zlib.compress(b'{"a":1}')),
        "not zlib": "." + _b64(b"not zlib at all"),
        "inflates past a megabyte": "." + _b64(bomb),
        "not base64": "*@",
        "not ascii": "é",
    }
    assert {name: reader.read(_django_signed(payload), NOW) for name, payload in payloads.items()} == {
        "plain": {"a": 1},
        "compressed": {"a": 1},
        "not zlib": None,
        "inflates past a megabyte": None,
        "not base64": None,
        "not ascii": None,
    }


def test_reader_options_are_checked_when_made() -> None:
    from cookiesession import ConfigurationError, ConfigurationTypeError

    attempts: dict[str, Callable[[], object]] = {
        "empty secret": lambda: readers.django(""),
        "secret of another type": lambda: readers.starlette(42),  # type: ignore[arg-type]
        "max_age text": lambda: readers.flask(SECRET, max_age="31 days"),  # type: ignore[arg-type]
        "empty cookie name": lambda: readers.django(SECRET, cookie_name=""),
    }
    raised: dict[str, str] = {}
    for name, attempt in attempts.items():
        try:
            attempt()
        except (ConfigurationError, ConfigurationTypeError) as exc:
            raised[name] = type(exc).__name__
    assert raised == {
        "empty secret": "ConfigurationError",
        "secret of another type": "ConfigurationTypeError",
        "max_age text": "ConfigurationTypeError",
        "empty cookie name": "ConfigurationTypeError",
    }


@pytest.mark.usefixtures("project")
def test_large_states_compressed_by_flask_and_django_are_read() -> None:
    require(_has("flask"), "Flask")
    state = {"notes": ["the same words again"] * 40}
    flask_value = flask_cookie(state)
    django_value = django_cookie(state)
    now = time.time()  # after the stamps: Flask refuses a cookie dated ahead of its clock
    assert (flask_value[:1], django_value[:1]) == (".", ".")  # compressed
    assert readers.flask(FLASK_SECRET).read(flask_value, now) == state
    assert readers.django(DJANGO_SECRET).read(django_value, now) == state


def test_flasks_tagged_values_come_through_as_plain_json() -> None:
    require(_has("flask"), "Flask")
    import datetime
    import uuid

    from markupsafe import Markup

    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    state = {
        "pair": (1, 2),
        "raw": b"\x00\xff",
        "id": uuid.UUID(int=7),
        "when": moment,
        "html": Markup("<b>hi</b>"),
        "nested": {" t": "a dict that looks tagged"},
    }
    read = readers.flask(FLASK_SECRET).read(flask_cookie(state), time.time())
    assert read == {
        "pair": [1, 2],
        "raw": "AP8=",
        "id": "00000000-0000-0000-0000-000000000007",
        "when": "2024-05-06T07:08:09+00:00",
        "html": "<b>hi</b>",
        "nested": {" t": "a dict that looks tagged"},
    }


def test_flasks_lifetime_setting_is_the_readers_max_age() -> None:
    require(_has("flask"), "Flask")
    value = flask_cookie(STATE, PERMANENT_SESSION_LIFETIME=60)
    now = time.time()
    assert readers.flask(FLASK_SECRET, max_age=60).read(value, now + 59) == STATE
    assert readers.flask(FLASK_SECRET, max_age=60).read(value, now + 120) is None


def test_starlettes_max_age_none_checks_no_age() -> None:
    require(_has("starlette") and _has("httpx"), "Starlette and httpx")
    value = starlette_cookie(STATE)
    assert readers.starlette(STARLETTE_SECRET, max_age=None).read(value, time.time() + 10 * MONTH) == STATE
    assert readers.starlette(STARLETTE_SECRET).read(value, time.time() + 10 * MONTH) is None


def test_readers_take_library_secrets_only() -> None:
    with pytest.raises(ConfigurationTypeError) as raised:
        readers.flask(SECRET, fallbacks=SECRET)
    assert str(raised.value) == "fallbacks must be a list of secrets, not one secret"
