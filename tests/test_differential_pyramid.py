"""Differential tests: the same Pyramid app, once with ``pyramid.session``'s factory and once
with ours, driven through the same scripted request sequences by WebTest.

Each scenario runs three times: all requests served by Pyramid's sessions, all by ours, and
alternating between the two (a mixed fleet, so every cookie one writes is read by the other).
The three runs must give the same status, body and headers, byte for byte.

The clock is frozen for both: Pyramid reads ``time.time()`` when called, so it is
monkeypatched; ours gets the same fake clock through ``clock=``.  WebOb dates ``expires``
with its own ``datetime.utcnow()``, so ``webob.cookies.datetime`` is replaced by one that
reads the same clock.  CSRF tokens come from ``os.urandom`` in both, which is replaced by
a deterministic byte stream so that the tokens (and so the cookies) can be compared.

Ours runs with ``vary=False`` (Pyramid sends no ``Vary: Cookie``); the deliberate
differences each have an explicit test at the end of this module.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession import (
    BaseCookieSessionFactory,
    JSONSerializer,
    SecretTooShortWarning,
    SignedCookieSessionFactory,
)
from cookiesession.cookies import find_cookie, quote_cookie_value
from cookiesession.signing import Signer
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, mint

HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webob", "webtest"))
if HAVE_PYRAMID:
    import pyramid.session
    import webob.cookies
    import webtest
    from pyramid.config import Configurator
    from pyramid.httpexceptions import HTTPFound
    from pyramid.request import Request
    from pyramid.response import Response

T0 = 1_700_000_000.25
# Every hash hashlib can make with a fixed digest length (what it has depends on OpenSSL).
FIXED_LENGTH_HASHES = sorted(
    name for name in hashlib.algorithms_available if hashlib.new(name).digest_size and "shake" not in name
)

Step = tuple[float, str, dict[str, str]]  # (seconds after T0, action, query parameters)


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    status: str
    body: str
    headers: list[tuple[str, str]]


def _value(obj: object) -> dict[str, str]:
    return {"value": json.dumps(obj)}


# -- the app -----------------------------------------------------------------------------


class _HandledError(Exception):
    """Raised by a view and turned into a response by an exception view."""


def _report(session: Any, result: object) -> str:
    accessed = session.accessed  # before dict(), which is itself an access
    return json.dumps(
        {
            "result": result,
            "new": session.new,
            "created": session.created,
            "renewed": session.renewed,
            "accessed": accessed,
            "state": dict(session),
        }
    )


def _invalidate(session: Any, key: str, value: Any) -> None:
    session.invalidate()
    if value is not None:
        session[key] = value


# Each action: (session, key, value, queue, params) -> what the view reports.
_ACTIONS: dict[str, Callable[[Any, str, Any, str, Any], object]] = {
    "get": lambda session, key, value, queue, params: session.get(key),
    "set": lambda session, key, value, queue, params: session.__setitem__(key, value),
    "delete": lambda session, key, value, queue, params: session.__delitem__(key),
    "update": lambda session, key, value, queue, params: session.update(value),
    "setdefault": lambda session, key, value, queue, params: session.setdefault(key, value),
    "pop": lambda session, key, value, queue, params: session.pop(key, None),
    "contains": lambda session, key, value, queue, params: key in session,
    "len": lambda session, key, value, queue, params: len(session),
    "clear": lambda session, key, value, queue, params: session.clear(),
    "flash": lambda session, key, value, queue, params: session.flash(
        value, queue=queue, allow_duplicate=params.get("dup", "1") == "1"
    ),
    "peek_flash": lambda session, key, value, queue, params: session.peek_flash(queue),
    "pop_flash": lambda session, key, value, queue, params: session.pop_flash(queue),
    "csrf_get": lambda session, key, value, queue, params: session.get_csrf_token(),
    "csrf_new": lambda session, key, value, queue, params: session.new_csrf_token(),
    "changed": lambda session, key, value, queue, params: session.changed(),
    "invalidate": lambda session, key, value, queue, params: _invalidate(session, key, value),
}


def _act(session: Any, action: str, params: Any) -> object:
    key = params.get("key", "k")
    value = json.loads(params["value"]) if "value" in params else None
    if action not in _ACTIONS:
        raise AssertionError(f"unknown action {action}")
    return _ACTIONS[action](session, key, value, params.get("queue", ""), params)


def _view(request: Request) -> Response:
    action = request.matchdict["action"]
    if action == "untouched":
        return Response("untouched")
    session = request.session
    params = request.GET
    if action == "raise_redirect":
        session[params["key"]] = json.loads(params["value"])
        raise HTTPFound(location="/elsewhere")
    if action == "return_redirect":
        session[params["key"]] = json.loads(params["value"])
        return HTTPFound(location="/elsewhere")
    if action == "raise_handled":
        session[params["key"]] = json.loads(params["value"])
        raise _HandledError
    if action == "ior":
        session |= json.loads(params["value"])
        return Response("ior")
    return Response(
        _report(session, _act(session, action, params)), content_type="application/json", charset="utf-8"
    )


def _handled_view(exc: _HandledError, request: Request) -> Response:
    return Response("handled", status=500)


def _app(factory: Any) -> Any:
    config = Configurator()
    config.set_session_factory(factory)
    config.add_route("action", "/{action}")
    config.add_view(_view, route_name="action")
    config.add_view(_handled_view, context=_HandledError)
    return webtest.TestApp(config.make_wsgi_app())


# -- frozen time and randomness ---------------------------------------------------------------


class _Urandom:
    """A deterministic stand-in for os.urandom, restarted for each run."""

    def __init__(self) -> None:
        self.counter = 0

    def __call__(self, n: int) -> bytes:
        self.counter += 1
        return hashlib.shake_256(str(self.counter).encode()).digest(n)


@dataclass
class Frozen:
    clock: FakeClock
    urandom: _Urandom


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Frozen:
    require(HAVE_PYRAMID, "Pyramid, WebOb and WebTest")
    clock = FakeClock(T0)

    class _FrozenDatetime(datetime):
        @classmethod
        def utcnow(cls) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(clock(), timezone.utc).replace(tzinfo=None)

    urandom = _Urandom()
    monkeypatch.setattr(time, "time", clock)
    monkeypatch.setattr(webob.cookies, "datetime", _FrozenDatetime)
    monkeypatch.setattr(os, "urandom", urandom)
    return Frozen(clock, urandom)


def _factories(frozen: Frozen, options: dict[str, Any], **ours_extra: Any) -> tuple[Any, Any]:
    options = {"secret": SECRET, **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecretTooShortWarning)
        ours = SignedCookieSessionFactory(**{"vary": False, "clock": frozen.clock, **options, **ours_extra})
    return pyramid.session.SignedCookieSessionFactory(**options), ours


def _cookie_after(headers: list[tuple[str, str]], name: str, cookie: str | None) -> str | None:
    """What a browser holds after these headers (manually: Domain, Path and secure are
    options under test here, and a cookie jar would filter on them)."""
    for header_name, value in headers:
        if header_name == "Set-Cookie" and value.startswith(name + "="):
            cookie = cookie_value(value)
            if "; Max-Age=0;" in value:
                cookie = None
    return cookie


def _run(
    frozen: Frozen, apps: list[Any], steps: list[Step], name: str, cookie: str | None = None
) -> list[Record]:
    frozen.urandom.counter = 0
    records = []
    for i, (at, action, params) in enumerate(steps):
        frozen.clock.now = T0 + at
        app = apps[i % len(apps)]
        app.reset()
        headers = {"Cookie": f"{name}={cookie}"} if cookie is not None else {}
        response = app.get(f"/{action}", params=params, headers=headers, status="*")
        records.append(Record(response.status, response.text, list(response.headerlist)))
        cookie = _cookie_after(response.headerlist, name, cookie)
    return records


def _three_runs(frozen: Frozen, scenario: Scenario) -> tuple[list[Record], list[Record], list[Record]]:
    theirs, ours = _factories(frozen, scenario.options)
    name = scenario.options.get("cookie_name", "session")
    pyramid_app, our_app = _app(theirs), _app(ours)
    return (
        _run(frozen, [pyramid_app], scenario.steps, name),
        _run(frozen, [our_app], scenario.steps, name),
        _run(frozen, [our_app, pyramid_app], scenario.steps, name),
    )


# -- the scenarios ---------------------------------------------------------------------------

WRITE_READ: list[Step] = [
    (0, "set", {"key": "user", **_value("Zo\u00eb \u2603 \U0001f600")}),
    (0.5, "get", {"key": "user"}),  # the same second: no reissue
    (2, "get", {"key": "user"}),  # a later second: reissued
    (2.5, "untouched", {}),
    (3, "set", {"key": "n", **_value(1.5)}),
]

SCENARIOS: list[Scenario] = [
    Scenario(
        "new-session-read-only", [(0, "get", {}), (0.4, "len", {}), (1, "contains", {}), (2, "untouched", {})]
    ),
    Scenario("read-only-crossing-a-second", [(0, "get", {}), (0.8, "get", {}), (1.1, "get", {})]),
    Scenario("writes-and-reads", WRITE_READ),
    Scenario(
        "every-modification",
        [
            (0, "set", {"key": "a", **_value([1, {"b": None}])}),
            (1, "update", _value({"c": True, "d": "x"})),
            (1, "setdefault", {"key": "e", **_value(5)}),
            (2, "setdefault", {"key": "e", **_value(6)}),
            (2, "pop", {"key": "a"}),
            (3, "pop", {"key": "missing"}),
            (3, "update", _value({})),
            (4, "delete", {"key": "c"}),
            (5, "clear", {}),
            (6, "len", {}),
        ],
    ),
    Scenario(
        "flash-queues",
        [
            (0, "flash", _value("saved")),
            (0, "flash", _value("saved")),
            (1, "flash", {"dup": "0", **_value("once")}),
            (1, "flash", {"dup": "0", **_value("once")}),
            (2, "flash", {"queue": "error", **_value({"code": 3})}),
            (2, "peek_flash", {}),
            (3, "peek_flash", {"queue": "error"}),
            (3, "pop_flash", {}),
            (4, "pop_flash", {}),
            (4, "pop_flash", {"queue": "error"}),
            (5, "pop_flash", {"queue": "never-used"}),
        ],
    ),
    Scenario(
        "csrf-tokens",
        [
            (0, "csrf_get", {}),
            (1, "csrf_get", {}),
            (1, "csrf_new", {}),
            (2, "csrf_get", {}),
            (3, "get", {"key": "_csrft_"}),
        ],
    ),
    Scenario(
        "csrf-stored-empty-token",
        [
            (0, "set", {"key": "_csrft_", **_value("")}),
            (1, "csrf_get", {}),
            (2, "set", {"key": "_csrft_", **_value(None)}),
            (3, "csrf_get", {}),
        ],
    ),
    Scenario(
        "changed-alone", [(0, "set", {"key": "a", **_value(1)}), (5, "changed", {}), (9, "changed", {})]
    ),
    Scenario("changed-on-a-new-session", [(0, "changed", {})]),
]
for timeout, last in [(1200, 1200.75), (1200, 1201), (10, 10.75), (10, 11), (None, 10**7)]:
    SCENARIOS.append(
        Scenario(
            f"idle-timeout-{timeout}-after-{last}",
            [
                (0, "set", {"key": "a", **_value(1)}),
                (last, "get", {"key": "a"}),
                (last + 1, "set", {"key": "b", **_value(2)}),
            ],
            {"timeout": timeout},
        )
    )
for reissue in [0, 1, 10, None]:
    SCENARIOS.append(
        Scenario(
            f"reissue-{reissue}",
            [
                (0, "set", {"key": "a", **_value(1)}),
                (0.7, "get", {"key": "a"}),
                (1.0, "get", {"key": "a"}),
                (1.5, "get", {"key": "a"}),
                (9.9, "get", {"key": "a"}),
                (11.0, "get", {"key": "a"}),
                (11.5, "get", {"key": "a"}),
                (30, "peek_flash", {}),
                (60, "csrf_get", {}),
            ],
            {"reissue_time": reissue},
        )
    )
for set_on_exception in [True, False]:
    for action in ["raise_redirect", "return_redirect", "raise_handled"]:
        SCENARIOS.append(
            Scenario(
                f"set_on_exception-{set_on_exception}-{action}",
                [
                    (0, "set", {"key": "a", **_value(1)}),
                    (2, action, {"key": "b", **_value(2)}),
                    (3, "get", {"key": "b"}),
                ],
                {"set_on_exception": set_on_exception},
            )
        )
COOKIE_OPTIONS: list[dict[str, Any]] = [
    {"max_age": None},
    {"max_age": 0},
    {"max_age": 3600},
    {"max_age": 86400 * 400},
    {"max_age": "600"},
    {"domain": "example.com"},
    {"domain": ".example.com"},
    {"domain": ""},
    {"path": "/app"},
    {"path": "/a b"},
    {"path": None},
    {"path": ""},
    {"secure": True},
    {"httponly": True},
    {"samesite": "Strict"},
    {"samesite": "strict"},
    {"samesite": "Lax"},
    {"samesite": "lax"},
    {"samesite": None},
    {"samesite": "None", "secure": True},
    {"samesite": "none", "secure": True},
    {"cookie_name": "my_app.sess-1"},
    {
        "max_age": 60,
        "domain": "example.com",
        "path": "/app",
        "secure": True,
        "httponly": True,
        "samesite": "Strict",
    },
]
for options in COOKIE_OPTIONS:
    SCENARIOS.append(Scenario("cookie-" + json.dumps(options, sort_keys=True), WRITE_READ, options))
for hashalg in [*FIXED_LENGTH_HASHES, "SHA256", "MD5"]:
    SCENARIOS.append(Scenario(f"hashalg-{hashalg}", WRITE_READ, {"hashalg": hashalg}))
SECRETS_AND_SALTS: list[dict[str, Any]] = [
    {"secret": "s\u00e9cret-latin-1", "salt": "pyramid.session."},
    {"secret": "k\u20acy-needs-utf-8", "salt": "pyramid.session."},
    {"secret": "plain", "salt": "s\u00e9lt."},
    {"secret": "k\u20acy", "salt": "s\u00e9lt."},
    {"secret": "\u96ea" * 70, "salt": "\u96ea."},
    {"secret": b"\xff\x00raw-bytes", "salt": b"\x80bytes-salt"},
    {"secret": "x" * 1024, "salt": ""},
    {"secret": SECRET, "salt": None},
]
for options in SECRETS_AND_SALTS:
    SCENARIOS.append(Scenario("keys-" + repr(options)[:60], WRITE_READ, options))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_same_responses_as_pyramid(frozen: Frozen, scenario: Scenario) -> None:
    theirs, ours, mixed = _three_runs(frozen, scenario)
    assert ours == theirs
    assert mixed == theirs


def test_scenarios_really_set_cookies(frozen: Frozen) -> None:
    # Guard against a vacuous comparison: the write/read script sets, reissues and skips cookies.
    theirs, _, _ = _three_runs(frozen, SCENARIOS[2])
    sets = [sum(name == "Set-Cookie" for name, _ in r.headers) for r in theirs]
    assert sets == [1, 0, 1, 0, 1]


# -- cross-acceptance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"hashalg": h} for h in FIXED_LENGTH_HASHES] + SECRETS_AND_SALTS,
    ids=[f"hashalg-{h}" for h in FIXED_LENGTH_HASHES] + [f"keys-{i}" for i in range(len(SECRETS_AND_SALTS))],
)
def test_each_accepts_the_others_cookie(frozen: Frozen, options: dict[str, Any]) -> None:
    theirs, ours = _factories(frozen, options)
    state = {"user": "Zo\u00eb", "cart": [1, 2.5, None], "_f_": ["hi"]}
    for writer, reader in [(theirs, ours), (ours, theirs)]:
        write_steps: list[Step] = [(0, "update", _value(state))]
        read_steps: list[Step] = [(0, "update", _value(state)), (1, "get", {})]
        _run(frozen, [_app(writer)], write_steps, "session")
        read = _run(frozen, [_app(writer), _app(reader)], read_steps, "session")[1]
        report = json.loads(read.body)
        assert (report["new"], report["state"], report["created"]) == (False, state, T0)


# -- the deliberate differences, each asserted ----------------------------------------------------


def test_vary_cookie_is_the_only_difference_by_default(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {}, vary=True)
    steps = [*WRITE_READ, (10, "untouched", {})]
    pyramid_records = _run(frozen, [_app(theirs)], steps, "session")
    our_records = _run(frozen, [_app(ours)], steps, "session")
    for p, o, (_, action, _) in zip(pyramid_records, our_records, steps, strict=True):
        expected = p.headers if action == "untouched" else [*p.headers, ("Vary", "Cookie")]
        # Set-Cookie comes from the same callback as Vary, so compare as sets of headers.
        assert (o.status, o.body, sorted(o.headers)) == (p.status, p.body, sorted(expected))


INVALIDATE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"domain": "example.com", "path": "/app", "secure": True, "httponly": True, "samesite": "Strict"},
    {"samesite": None, "max_age": 3600},
    {"path": None, "cookie_name": "other"},
]


@pytest.mark.parametrize("options", INVALIDATE_OPTIONS)
def test_invalidate_deletes_the_cookie_where_pyramid_resets_it(
    frozen: Frozen, options: dict[str, Any]
) -> None:
    theirs, ours = _factories(frozen, options)
    name = options.get("cookie_name", "session")
    steps: list[Step] = [(0, "set", {"key": "user", **_value("alice")}), (5, "invalidate", {})]
    (_, p), (_, o) = (_run(frozen, [_app(f)], steps, name) for f in (theirs, ours))
    pyramid_report, our_report = json.loads(p.body), json.loads(o.body)
    # The same empty session during the request, except that ours has started anew.
    assert (pyramid_report["state"], pyramid_report["created"]) == ({}, T0)
    assert (our_report["state"], our_report["created"]) == ({}, T0 + 5)
    (pyramid_header,) = [v for k, v in p.headers if k == "Set-Cookie"]
    (our_header,) = [v for k, v in o.headers if k == "Set-Cookie"]
    # Pyramid writes an empty session that keeps the old `created`: a cookie that still works.
    payload = Signer(SECRET).unsign(cookie_value(pyramid_header))[0]
    assert json.loads(payload) == [int(T0 + 5), T0, {}]
    # Ours deletes the cookie exactly as WebOb's Response.delete_cookie would.
    expected = webob.cookies.make_cookie(
        name,
        None,
        path=options.get("path", "/"),
        domain=options.get("domain"),
        secure=options.get("secure", False),
        httponly=options.get("httponly", False),
        samesite=options.get("samesite", "Lax"),
    )
    assert our_header == expected


def test_write_after_invalidate_gets_a_new_created(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {})
    steps: list[Step] = [
        (0, "set", {"key": "user", **_value("alice")}),
        (5, "invalidate", {"key": "user", **_value("bob")}),
    ]
    pyramid_report, our_report = (
        json.loads(_run(frozen, [_app(f)], steps, "session")[1].body) for f in (theirs, ours)
    )
    assert (pyramid_report["state"], our_report["state"]) == ({"user": "bob"}, {"user": "bob"})
    assert (pyramid_report["created"], our_report["created"]) == (T0, T0 + 5)


def test_ior_is_saved_where_pyramid_loses_it(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {"reissue_time": None})
    steps: list[Step] = [(0, "set", {"key": "a", **_value(1)}), (1, "ior", _value({"b": 2})), (2, "get", {})]
    pyramid_records, our_records = (_run(frozen, [_app(f)], steps, "session") for f in (theirs, ours))
    assert (json.loads(pyramid_records[2].body)["state"], json.loads(our_records[2].body)["state"]) == (
        {"a": 1},
        {"a": 1, "b": 2},
    )


def test_non_canonical_base64_is_refused(frozen: Frozen) -> None:
    # Pyramid decodes with Python's lenient base64, which skips junk characters; ours reads
    # only the canonical encoding Pyramid writes.
    theirs, ours = _factories(frozen, {})
    cookie = _run(frozen, [_app(theirs)], [(0, "set", {"key": "a", **_value(1)})], "session")[0]
    value = _cookie_after(cookie.headers, "session", None)
    assert value is not None
    # Junk in fours, so that WebOb's padding (counted on the raw text) still comes out right.
    variants = [value + "....", "!!!!" + value, value + "====", value[:8] + "!.!." + value[8:]]
    if "-" in value or "_" in value:
        variants.append(value.replace("-", "+").replace("_", "/"))
    for junk in variants:
        reports = []
        for factory in (theirs, ours):
            app = _app(factory)
            reports.append(json.loads(app.get("/get", headers={"Cookie": f"session={junk}"}).text))
        assert ((reports[0]["new"], reports[0]["state"]), (reports[1]["new"], reports[1]["state"])) == (
            (False, {"a": 1}),
            (True, {}),
        )


def _signed_cookie(payload: str) -> str:
    return "session=" + Signer(SECRET).sign(payload.encode())


# Validly signed payloads of the wrong shape: (payload, what Pyramid does with it)
ODD_PAYLOADS: list[tuple[str, object]] = [
    (f'[{int(T0)}, {T0}, [["k", "v"]]]', {"k": "v"}),  # a list of pairs becomes a dict in Pyramid
    (f'["{int(T0)}", {T0}, {{"k": "v"}}]', {"k": "v"}),  # a string timestamp passes float()
    (f'[true, {T0}, {{"k": "v"}}]', "expired"),  # True is 1.0: an ancient renewed, timed out
    (f'[{int(T0)}, {T0}, "ab"]', ValueError),  # the dict constructor fails: HTTP 500 in Pyramid
    (f"[{int(T0)}, {T0}, 5]", TypeError),
    (f"[{int(T0)}, {T0}, null]", TypeError),
]


@pytest.mark.parametrize(("payload", "pyramid_outcome"), ODD_PAYLOADS)
def test_signed_but_odd_payloads_give_a_fresh_session(
    frozen: Frozen, payload: str, pyramid_outcome: object
) -> None:
    theirs, ours = _factories(frozen, {"timeout": 1200})
    cookie = _signed_cookie(payload)
    pyramid_app = _app(theirs)
    if isinstance(pyramid_outcome, type):
        with pytest.raises(pyramid_outcome):
            pyramid_app.get("/get", headers={"Cookie": cookie})
    else:
        report = json.loads(pyramid_app.get("/get", headers={"Cookie": cookie}).text)
        assert report["state"] == ({} if pyramid_outcome == "expired" else pyramid_outcome)
    report = json.loads(_app(ours).get("/get", headers={"Cookie": cookie}).text)
    assert (report["new"], report["state"], report["created"]) == (True, {}, T0)


def test_non_utf8_neighbour_cookie_does_not_break_the_session(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {})
    record = _run(frozen, [_app(ours)], [(0, "set", {"key": "a", **_value(1)})], "session")[0]
    header = f'x="\\377"; session={_cookie_after(record.headers, "session", None)}'
    with pytest.raises(UnicodeDecodeError):
        _app(theirs).get("/get", headers={"Cookie": header})
    assert json.loads(_app(ours).get("/get", headers={"Cookie": header}).text)["state"] == {"a": 1}


def _filler_at(token_length: int) -> int:
    # sha512: 64 signature bytes; unpadded base64 of n bytes is ceil(4n / 3) characters.
    for filler in range(4000):
        payload = json.dumps([int(T0), T0, {"k": "x" * filler}])
        if -(-4 * (64 + len(payload)) // 3) == token_length:
            return filler
    raise AssertionError("unreachable length")


def test_size_limit_is_the_same_with_a_more_specific_error(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {})
    filler = _filler_at(4064)
    fits: list[Step] = [(0, "set", {"key": "k", **_value("x" * filler)})]
    assert _run(frozen, [_app(ours)], fits, "session") == _run(frozen, [_app(theirs)], fits, "session")
    too_big: list[Step] = [(0, "set", {"key": "k", **_value("x" * (filler + 1))})]
    messages = []
    for factory in (theirs, ours):
        with pytest.raises(ValueError, match=r"^Cookie value is too long to store \(4066 bytes\)") as caught:
            _run(frozen, [_app(factory)], too_big, "session")
        messages.append(str(caught.value))
    assert messages[0] == "Cookie value is too long to store (4066 bytes)"
    assert "4064" in messages[1]


def test_unserializable_value_is_a_type_error_in_both(frozen: Frozen) -> None:
    theirs, ours = _factories(frozen, {})

    def view(request: Request) -> Response:
        request.session["when"] = {1, 2}
        return Response("ok")

    messages = []
    for factory in (theirs, ours):
        config = Configurator()
        config.set_session_factory(factory)
        config.add_route("r", "/")
        config.add_view(view, route_name="r")
        with pytest.raises(TypeError) as caught:
            webtest.TestApp(config.make_wsgi_app()).get("/")
        messages.append(str(caught.value))
    assert messages[0] == "Object of type set is not JSON serializable"
    assert (
        messages[1]
        == "session['when'] cannot be stored in a cookie: Object of type set is not JSON serializable"
    )


# -- cookie values WebOb quotes, and Cookie headers it splits at commas ----------------------------


BASE_STATES = [
    {"a": 1},  # JSON has spaces, quotes and commas: quoted, even so
    {"name": "x; Domain=example.com; Max-Age=9"},  # cannot add attributes to the cookie
    {"q": 'he said "hi" \\ ok, fine'},
    {"u": "caf\u00e9 \u2603"},
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # WebOb warns when it quotes a value
@pytest.mark.parametrize("state", BASE_STATES, ids=[json.dumps(s) for s in BASE_STATES])
def test_base_factory_writes_and_reads_the_cookie_as_pyramid_does(
    frozen: Frozen, state: dict[str, str]
) -> None:
    # The serializer's bytes are the cookie: quoted and escaped as WebOb does it, so
    # a value can neither add attributes nor break the header, and it reads back.
    theirs = pyramid.session.BaseCookieSessionFactory(pyramid.session.JSONSerializer())
    ours = BaseCookieSessionFactory(JSONSerializer(), vary=False, clock=frozen.clock)
    steps: list[Step] = [(0, "update", _value(state)), (1, "get", {})]
    runs = {
        label: _run(frozen, apps, steps, "session")
        for label, apps in {
            "theirs": [_app(theirs)],
            "ours": [_app(ours)],
            "ours then theirs": [_app(ours), _app(theirs)],
            "theirs then ours": [_app(theirs), _app(ours)],
        }.items()
    }
    assert {label: records == runs["theirs"] for label, records in runs.items()} == dict.fromkeys(runs, True)
    written = [value for name, value in runs["ours"][0].headers if name == "Set-Cookie"]
    assert [
        value.startswith('session="[') and value.endswith('"; Path=/; SameSite=Lax') for value in written
    ] == [True]
    report = json.loads(runs["ours then theirs"][1].body)
    assert (report["new"], report["state"]) == (False, state)


def test_values_are_quoted_and_read_back_as_webob_does() -> None:
    require(HAVE_PYRAMID, "WebOb")
    samples = [chr(code) for code in range(256)] + ["", "plain", "a b", 'q"', "x;y,z", "\\n", "caf\u00e9"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = [webob.cookies._value_quote(s.encode("latin-1")).decode("latin-1") for s in samples]
    assert [quote_cookie_value(s) for s in samples] == theirs
    assert [find_cookie(f"session={quoted}; x=1", "session") for quoted in theirs] == samples


_A_TOKEN = Signer(SECRET).sign(b'[1700000000, 1700000000.25, {"a": 1}]')
_B_TOKEN = Signer(SECRET).sign(b'[1700000000, 1700000000.25, {"b": 2}]')
_pairs = st.sampled_from(
    [
        f"session={_A_TOKEN}",
        f"session={_B_TOKEN}",
        f'session="{_A_TOKEN}"',
        "session=bad",
        "x=1",
        'y="a\\054b"',
        "z=",
    ]
)


@given(
    pairs=st.lists(_pairs, min_size=1, max_size=5),
    separators=st.lists(st.sampled_from(["; ", ";", ", ", ","])),
)
def test_our_cookie_is_found_as_webob_finds_it_between_semicolons_and_commas(
    pairs: list[str], separators: list[str]
) -> None:
    require(HAVE_PYRAMID, "WebOb")
    cycle = iter(separators * len(pairs) or ["; "] * len(pairs))
    header = pairs[0] + "".join(next(cycle) + pair for pair in pairs[1:])
    expected = webob.cookies.RequestCookies({"HTTP_COOKIE": header}).get("session")
    assert find_cookie(header, "session") == expected
    # And the session, made from a request and from the header, is the one that value gives.
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(T0))
    from_value = factory.from_cookie_value(expected)
    for session in (
        factory.from_cookie_header(header),
        factory(Request.blank("/", headers={"Cookie": header})),
    ):
        assert (session.new, dict(session)) == (from_value.new, dict(from_value))


# -- changes made by response callbacks --------------------------------------------------------------


def _respond_with_callbacks(factory: Any, cookie: str | None, view: Any) -> tuple[dict[str, Any], list[str]]:
    request = Request.blank("/", headers={"Cookie": f"session={cookie}"} if cookie else {})
    session = factory(request)
    view(request, session)
    response = Response()
    request._process_response_callbacks(response)
    cookies = [value for name, value in response.headerlist if name == "Set-Cookie"]
    return dict(session), cookies


def _late_write(request: Any, session: Any) -> None:
    session.get("a")  # read only: reissue_time=None, so nothing to write yet

    def write(request: Any, response: Any) -> None:
        response.set_cookie("other", "v")
        session["late"] = 2

    request.add_response_callback(write)


def _late_flash(request: Any, session: Any) -> None:
    request.add_response_callback(lambda request, response: session.flash("m"))


@pytest.mark.parametrize("view", [_late_write, _late_flash], ids=["write", "flash"])
def test_a_change_made_by_a_later_response_callback_is_saved_as_in_pyramid(frozen: Frozen, view: Any) -> None:
    theirs, ours = _factories(frozen, {"reissue_time": None})
    writer = _respond_with_callbacks(theirs, None, lambda request, session: session.update({"a": 1}))
    cookie = cookie_value(writer[1][0])
    frozen.clock.now = T0 + 10
    results = {
        name: _respond_with_callbacks(f, cookie, view) for name, f in (("theirs", theirs), ("ours", ours))
    }
    assert results["ours"] == results["theirs"]  # the same state and the same Set-Cookie headers, in order
    assert [value.split("=", 1)[0] for value in results["ours"][1]].count("session") == 1


def test_the_response_callback_called_directly_answers_at_once(frozen: Frozen) -> None:
    # As an app's test may do with pyramid.testing.DummyRequest: call the queued
    # callbacks itself, without the router taking each off the queue first.
    from pyramid import testing

    _, ours = _factories(frozen, {})
    cookie = f"session={mint(ours, {'cart': [1]})}"
    sent = []
    for call in ("first", "each"):
        request = testing.DummyRequest(environ={"HTTP_COOKIE": cookie})
        request.add_response_callback(lambda request, response: None)  # another callback, queued
        session = ours(request)
        session["cart"].append(2)  # a nested change only: found when the response is made
        response = Response()
        if call == "first":
            request.response_callbacks[-1](request, response)
        else:
            for callback in request.response_callbacks:  # the deque itself, not a copy
                callback(request, response)
        sent.append([value.split("=", 1)[0] for name, value in response.headerlist if name == "Set-Cookie"])
    assert sent == [["session"], ["session"]]


def _response_after(request: Any) -> Any:
    response = Response()
    request._process_response_callbacks(response)
    return response


def test_callbacks_that_wait_for_the_rest_do_not_wait_for_each_other(frozen: Frozen) -> None:
    # Another callback that also waits until the queue is empty, or two sessions whose
    # callbacks are wrapped (so neither is seen to be a session's): each waits once.
    _, ours = _factories(frozen, {})
    request = Request.blank("/")
    session = ours(request)
    session.get("a")
    waited: list[int] = []

    def last(request: Any, response: Any) -> None:
        if request.response_callbacks and len(waited) < 50:
            waited.append(1)
            request.add_response_callback(last)
            return
        response.headers["X-Last"] = "1"

    request.add_response_callback(last)
    response = _response_after(request)
    assert (response.headers.get("X-Last"), len(waited) < 50) == ("1", True)

    wrapped = Request.blank("/")
    original = wrapped.add_response_callback

    registered: list[int] = []

    def add_wrapped(callback: Any) -> None:
        registered.append(1)
        assert len(registered) < 50, "callbacks kept registering themselves"
        original(lambda request, response: callback(request, response))

    wrapped.add_response_callback = add_wrapped
    for factory in (ours, ours):
        factory(wrapped)["k"] = 1
    cookies = [v for n, v in _response_after(wrapped).headerlist if n == "Set-Cookie"]
    assert len(cookies) == 2


def test_a_later_callback_can_remove_the_cookie_of_a_session_changed_before(frozen: Frozen) -> None:
    # As with pyramid.session: a session changed in the view answers in its place, so a
    # callback registered after (no cookies on a cacheable response, say) sees its cookie.
    theirs, ours = _factories(frozen, {})
    sent = {}
    for name, factory in (("theirs", theirs), ("ours", ours)):
        request = Request.blank("/")
        factory(request)["k"] = 1
        request.add_response_callback(lambda request, response: response.headers.pop("Set-Cookie", None))
        sent[name] = [n for n, _ in _response_after(request).headerlist if n == "Set-Cookie"]
    assert sent == {"theirs": [], "ours": []}
