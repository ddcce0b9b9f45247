"""The factories: Pyramid's signatures and eager coercions, and every configuration
mistake refused when the factory is created, with a message that says what to change."""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import cookiesession
from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    JSONSerializer,
    SecretTooShortWarning,
    SignedCookieSessionFactory,
)
from tests.conftest import require
from tests.session_harness import NOW, SECRET, FakeClock, FakeRequest


def _positional(func: Callable[..., Any]) -> list[tuple[str, object, inspect._ParameterKind]]:
    return [
        (p.name, p.default, p.kind)
        for p in inspect.signature(func).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


@pytest.mark.parametrize(
    "name", ["SignedCookieSessionFactory", "BaseCookieSessionFactory", "JSONSerializer", "PickleSerializer"]
)
def test_signature_is_pyramids(name: str) -> None:
    require(importlib.util.find_spec("pyramid") is not None, "Pyramid")
    import pyramid.session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyramid.session.PickleSerializer
        theirs = getattr(pyramid.session, name)
    ours = getattr(cookiesession, name)
    assert _positional(ours) == _positional(theirs)


def test_extras_are_keyword_only() -> None:
    extras = {
        name: p.kind
        for name, p in inspect.signature(SignedCookieSessionFactory).parameters.items()
        if p.kind is not p.POSITIONAL_OR_KEYWORD
    }
    assert set(extras.values()) == {inspect.Parameter.KEYWORD_ONLY}
    assert {"fallback_secrets", "absolute_timeout", "partitioned", "vary", "clock"} <= set(extras)


def test_positional_order_of_set_on_exception(clock: FakeClock) -> None:
    # Signed: set_on_exception is the 9th positional; Base: the 11th (after timeout, reissue_time).
    signed = SignedCookieSessionFactory(SECRET, "s", None, "/", None, False, False, "Lax", False, clock=clock)
    base = BaseCookieSessionFactory(
        JSONSerializer(), "s", None, "/", None, False, False, "Lax", 7, 3, False, clock=clock
    )
    for factory in (signed, base):
        request = FakeRequest()
        session = factory(request)
        session["a"] = 1
        request.exception = ValueError("boom")
        assert request.respond().set_cookies() == []
    # Base's 9th and 10th: timeout 7 (a cookie idle 8 seconds is emptied) and reissue_time 3.
    request = FakeRequest()
    base(request)["a"] = 1
    (header,) = request.respond().set_cookies()
    cookie = header.split(";")[0]
    seen = []
    for clock.now in (NOW + 3, NOW + 4, NOW + 8):
        request = FakeRequest(cookie)
        seen.append((base(request).get("a"), len(request.respond().set_cookies())))
    assert seen == [(1, 0), (1, 1), (None, 1)]


@pytest.mark.parametrize(
    ("given", "expected_header_part"),
    [
        ("10", "Max-Age=10;"),
        (10.0, "Max-Age=10;"),
        (timedelta(minutes=2), "Max-Age=120;"),
        (0, "Max-Age=0;"),
        (10**11, "Max-Age=100000000000;"),  # the longest taken: its expiry date is still written
    ],
)
def test_max_age_coercion(clock: FakeClock, given: Any, expected_header_part: str) -> None:
    request = FakeRequest()
    session = SignedCookieSessionFactory(SECRET, clock=clock, max_age=given)(request)
    session["a"] = 1
    (header,) = request.respond().set_cookies()
    assert expected_header_part in header


@pytest.mark.parametrize("given", ["10", 10, 10.0, b"10"])
def test_timeout_coercion(clock: FakeClock, given: object) -> None:
    clock.now = 1_700_000_000.0
    factory = SignedCookieSessionFactory(SECRET, timeout=given, clock=clock)  # type: ignore[arg-type]
    request = FakeRequest()
    factory(request)["a"] = 1
    (header,) = request.respond().set_cookies()
    cookie = header.split(";")[0]
    clock.advance(10)
    assert factory(FakeRequest(cookie)).get("a") == 1
    clock.advance(1)
    assert factory(FakeRequest(cookie)).get("a") is None


@pytest.mark.parametrize("given", ["10", 10.0])
def test_reissue_time_coercion(clock: FakeClock, given: object) -> None:
    clock.now = 1_700_000_000.0
    factory = SignedCookieSessionFactory(SECRET, reissue_time=given, clock=clock)  # type: ignore[arg-type]
    request = FakeRequest()
    factory(request)["a"] = 1
    cookie = request.respond().set_cookies()[0].split(";")[0]
    clock.advance(10.5)
    request = FakeRequest(cookie)
    factory(request).get("a")
    assert request.respond().set_cookies() == []
    clock.advance(1)
    request = FakeRequest(cookie)
    factory(request).get("a")
    assert len(request.respond().set_cookies()) == 1


def test_hashalg_is_case_insensitive(clock: FakeClock) -> None:
    upper = SignedCookieSessionFactory(SECRET, hashalg="SHA256", clock=clock)
    lower = SignedCookieSessionFactory(SECRET, hashalg="sha256", clock=clock)
    request = FakeRequest()
    upper(request)["a"] = 1
    cookie = request.respond().set_cookies()[0].split(";")[0]
    assert lower(FakeRequest(cookie)).get("a") == 1


def test_short_secret_warns() -> None:
    with pytest.warns(SecretTooShortWarning, match="shorter than the 64-byte digest of sha512"):
        SignedCookieSessionFactory("short")


# (factory arguments, the built-in base Pyramid raised or would raise, a word the message must hold)
CONFIGURATION_ERRORS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("unknown hashalg", {"hashalg": "sha999"}, ValueError, "sha999"),
    ("variable-length hashalg shake_128", {"hashalg": "shake_128"}, ValueError, "fixed digest length"),
    ("variable-length hashalg shake_256", {"hashalg": "shake_256"}, ValueError, "fixed digest length"),
    ("hashalg None", {"hashalg": None}, TypeError, "hashalg"),
    ("bad samesite", {"samesite": "sometimes"}, ValueError, "samesite"),
    ("samesite bytes garbage", {"samesite": b"\xff"}, ValueError, "samesite"),
    ("samesite none without secure", {"samesite": "none"}, ValueError, "secure=True"),
    ("samesite None (capital) without secure", {"samesite": "None"}, ValueError, "secure=True"),
    ("cookie name with a space", {"cookie_name": "my session"}, ValueError, "cookie_name"),
    ("cookie name with ;", {"cookie_name": "a;b"}, ValueError, "cookie_name"),
    ("cookie name non-ASCII", {"cookie_name": "s\u00e9ssion"}, ValueError, "cookie_name"),
    ("cookie name empty", {"cookie_name": ""}, TypeError, "cookie_name"),
    ("cookie name not a str", {"cookie_name": b"session"}, TypeError, "cookie_name"),
    ("cookie name an attribute", {"cookie_name": "Path"}, ValueError, "attribute"),
    ("cookie name starting with $", {"cookie_name": "$session"}, ValueError, "attribute"),
    ("__Secure- prefix without secure", {"cookie_name": "__Secure-s"}, ValueError, "__Secure-"),
    (
        "__Host- prefix with a path",
        {"cookie_name": "__Host-s", "secure": True, "path": "/a"},
        ValueError,
        "__Host-",
    ),
    ("partitioned without secure", {"partitioned": True}, ValueError, "partitioned"),
    ("path with ;", {"path": "/a;b"}, ValueError, "path"),
    ("path not a str", {"path": 5}, TypeError, "path"),
    ("domain with ;", {"domain": "example.com;x"}, ValueError, "domain"),
    ("domain non-ASCII", {"domain": "b\u00fccher.de"}, ValueError, "domain"),
    ("domain not a str", {"domain": 5}, TypeError, "domain"),
    ("max_age not a number", {"max_age": "x"}, ValueError, "max_age"),
    ("max_age fractional", {"max_age": 10.9}, ValueError, "max_age"),
    ("max_age fractional text", {"max_age": "1.5"}, ValueError, "max_age"),
    ("max_age negative", {"max_age": -1}, ValueError, "negative"),
    ("max_age a bool", {"max_age": True}, TypeError, "max_age"),
    ("max_age a list", {"max_age": [10]}, TypeError, "max_age"),
    # No response could date its cookie's expiry (time.gmtime overflows).
    ("max_age beyond any date", {"max_age": 10**17}, ValueError, "max_age"),
    ("max_age one past the longest", {"max_age": 10**11 + 1}, ValueError, "max_age"),
    ("timeout not a number", {"timeout": "twenty minutes"}, ValueError, "timeout"),
    ("timeout negative", {"timeout": -5}, ValueError, "timeout"),
    ("reissue_time fractional", {"reissue_time": 0.5}, ValueError, "reissue_time"),
    ("reissue_time an object", {"reissue_time": object()}, TypeError, "reissue_time"),
    ("absolute_timeout not a number", {"absolute_timeout": "x"}, ValueError, "absolute_timeout"),
    ("secret None", {"secret": None}, TypeError, "secret"),
    ("secret an int", {"secret": 12345}, TypeError, "secret"),
    ("secret empty", {"secret": ""}, ValueError, "secret"),
    ("fallback secret empty", {"fallback_secrets": [""]}, ValueError, "fallback_secrets[0]"),
    ("fallback secrets a str", {"fallback_secrets": "old-secret"}, TypeError, "fallback_secrets"),
    ("salt an int", {"salt": 5}, TypeError, "salt"),
    ("serializer without loads", {"serializer": object()}, TypeError, "serializer"),
    ("clock not callable", {"clock": 1700000000}, TypeError, "clock"),
]


@pytest.mark.parametrize(
    ("arguments", "builtin", "word"),
    [pytest.param(a, b, w, id=name) for name, a, b, w in CONFIGURATION_ERRORS],
)
def test_configuration_error_at_creation(
    arguments: dict[str, Any], builtin: type[Exception], word: str
) -> None:
    arguments = {"secret": SECRET, **arguments}
    with pytest.raises(ConfigurationError) as caught:
        SignedCookieSessionFactory(**arguments)
    assert isinstance(caught.value, builtin) is True
    assert word in str(caught.value)
    # The message never shows the secret it was given.
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "builtin", "word"),
    [
        ({"samesite": "bogus"}, ValueError, "samesite"),
        ({"timeout": "x"}, ValueError, "timeout"),
        ({"cookie_name": "a b"}, ValueError, "cookie_name"),
        ({"serializer": "json"}, TypeError, "serializer"),
    ],
)
def test_base_factory_configuration_errors(
    arguments: dict[str, Any], builtin: type[Exception], word: str
) -> None:
    arguments = {"serializer": JSONSerializer(), **arguments}
    with pytest.raises(ConfigurationError) as caught:
        BaseCookieSessionFactory(**arguments)
    assert (isinstance(caught.value, builtin), word in str(caught.value)) == (True, True)


@pytest.mark.parametrize("samesite", ["Strict", "lax", "None", None])
def test_valid_samesite_values_are_kept_as_given(clock: FakeClock, samesite: str | None) -> None:
    request = FakeRequest()
    session = SignedCookieSessionFactory(SECRET, samesite=samesite, secure=True, clock=clock)(request)
    session["a"] = 1
    (header,) = request.respond().set_cookies()
    assert header.endswith("; secure" if samesite is None else f"; secure; SameSite={samesite}")


def test_valid_special_names_are_accepted(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(
        SECRET, cookie_name="__Host-s", secure=True, partitioned=True, clock=clock
    )
    request = FakeRequest()
    factory(request)["a"] = 1
    assert request.respond().set_cookies()[0].endswith("; Path=/; secure; SameSite=Lax; Partitioned")
