"""``read_also=``: session cookies written by Flask, Starlette, Django and
pyramid_nacl_session are read
by every adapter and re-issued in cookiesession's format; a tampered, wrongly
keyed or expired one gives a fresh session."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import pytest

from cookiesession import ConfigurationTypeError, SignedCookieSessionFactory, readers
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.django_support import project  # noqa: F401 - a fixture
from tests.session_harness import (
    DJANGO_SECRET,
    FLASK_SECRET,
    NACL_SECRET,
    OTHER_SECRET,
    SECRET,
    STARLETTE_SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    django_cookie,
    flask_cookie,
    http_scope,
    mint,
    nacl_key,
    pyramid_nacl_cookie,
    starlette_cookie,
)

MONTH = 32 * 24 * 3600  # past every library's default lifetime
STATE = {"user": "alice", "cart": [1, 2]}


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class OldLibrary(NamedTuple):
    cookie_name: str
    make: Callable[..., str]  # (state, secret=...) -> cookie value, by the real library
    reader: Callable[..., Any]  # (secret) -> reader
    # The library accepts a cookie dated ahead of the reader's clock (only its age is checked).
    accepts_future: bool = False
    # A cookie of the format made without the secret (default: the value cut before its signature).
    unsigned: Callable[[str], str] | None = None


def _nacl_plaintext(value: str) -> str:
    """A pyramid_nacl_session cookie's content put in the cookie unencrypted: what a forger
    without the key can make."""
    import base64
    import pickle

    from nacl.secret import SecretBox

    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    plain = SecretBox(nacl_key(NACL_SECRET)).decrypt(raw)
    assert pickle.loads(plain)[2] == STATE  # the content is what the app stored
    return base64.urlsafe_b64encode(bytes(24) + plain).decode("ascii").rstrip("=")


@pytest.fixture(params=["flask", "starlette", "django", "pyramid_nacl"])
def old(request: pytest.FixtureRequest) -> OldLibrary:
    if request.param == "flask":
        require(_has("flask"), "Flask")
        return OldLibrary("session", flask_cookie, lambda secret: readers.flask(secret))
    if request.param == "starlette":
        require(
            _has("starlette") and _has("itsdangerous") and _has("httpx"), "Starlette, itsdangerous, httpx"
        )
        return OldLibrary("session", starlette_cookie, lambda secret: readers.starlette(secret))
    if request.param == "pyramid_nacl":
        require(_has("pyramid_nacl_session") and _has("nacl") and _has("webtest"), "pyramid_nacl_session")
        return OldLibrary(
            "session", pyramid_nacl_cookie, lambda secret: readers.pyramid_nacl(secret), True, _nacl_plaintext
        )
    request.getfixturevalue("project")  # Django set up
    return OldLibrary("sessionid", django_cookie, lambda secret: readers.django(secret), True)


def _secret_of(old: OldLibrary) -> str:
    secrets = {
        flask_cookie: FLASK_SECRET,
        starlette_cookie: STARLETTE_SECRET,
        django_cookie: DJANGO_SECRET,
        pyramid_nacl_cookie: NACL_SECRET,
    }
    return secrets[old.make]


class Outcome(NamedTuple):
    seen: dict[str, Any]  # the session as the application read it
    set_cookies: list[str]
    factory: type[CookieSession]  # the factory that wrote our cookie


Adapter = Callable[[list[Any], str, FakeClock], Outcome]


def _pyramid(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, read_also=read_also)
    request = FakeRequest(header)
    session = factory(request)
    seen = session.copy()
    return Outcome(seen, request.respond().set_cookies(), factory)


def _real_pyramid(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    require(all(_has(module) for module in ("pyramid", "webtest")), "Pyramid and WebTest")
    from tests.pyramid_fleet import pyramid_app

    factory = SignedCookieSessionFactory(SECRET, clock=clock, read_also=read_also)

    def read(request: Any) -> Any:
        from pyramid.response import Response

        return Response(json.dumps(request.session.copy()))

    response = pyramid_app(factory, {"read": read}).get("/read", headers={"Cookie": header})
    return Outcome(json.loads(response.text), response.headers.getall("Set-Cookie"), factory)


def _wsgi(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    from cookiesession.wsgi import SessionMiddleware, get_session

    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.update(get_session(environ).copy())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    factory = SignedCookieSessionFactory(SECRET, clock=clock, read_also=read_also)
    sent: list[tuple[str, str]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        sent.extend(headers)
        return lambda data: None

    b"".join(
        SessionMiddleware(app, factory)({"HTTP_COOKIE": header, "REQUEST_METHOD": "GET"}, start_response)
    )
    return Outcome(seen, [value for name, value in sent if name == "Set-Cookie"], factory)


def _call_asgi(middleware: Any, header: str) -> list[str]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = http_scope("/", header.encode("latin-1"))
    asyncio.run(middleware(scope, receive, send))
    start = messages[0]
    return [value.decode("latin-1") for name, value in start["headers"] if name == b"set-cookie"]


def _asgi(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    from cookiesession.asgi import Receive, Scope, Send, SessionMiddleware

    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["session"].copy())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    factory = SignedCookieSessionFactory(SECRET, clock=clock, read_also=read_also)
    return Outcome(seen, _call_asgi(SessionMiddleware(app, factory), header), factory)


def _starlette_dropin(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    require(_has("starlette"), "Starlette")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from cookiesession.starlette import SessionMiddleware

    seen: dict[str, Any] = {}

    async def read(request: Request) -> JSONResponse:
        seen.update(request.session)
        return JSONResponse(seen)

    middleware = SessionMiddleware(
        Starlette(routes=[Route("/", read)]), SECRET, clock=clock, read_also=read_also
    )
    return Outcome(seen, _call_asgi(middleware, header), middleware.session_factory)


def _flask(read_also: list[Any], header: str, clock: FakeClock) -> Outcome:
    require(_has("flask"), "Flask")
    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    app = Flask("new_flask_app")
    app.config["SECRET_KEY"] = SECRET
    factory = SignedCookieSessionFactory(SECRET, clock=clock, read_also=read_also)
    app.session_interface = CookieSessionInterface(factory)

    @app.get("/")
    def read() -> str:
        return json.dumps(dict(session))

    client = app.test_client()
    for pair in header.split("; "):
        name, value = pair.split("=", 1)
        client.set_cookie(name, value)
    response = client.get("/")
    return Outcome(
        json.loads(response.get_data(as_text=True)), response.headers.getlist("Set-Cookie"), factory
    )


ADAPTERS: dict[str, Adapter] = {
    "pyramid": _pyramid,
    "pyramid-real": _real_pyramid,
    "wsgi": _wsgi,
    "asgi": _asgi,
    "starlette-dropin": _starlette_dropin,
    "flask": _flask,
}


@pytest.fixture(params=sorted(ADAPTERS))
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


def _ours(outcome: Outcome) -> dict[str, Any]:
    """The state of the cookie of ours that the response set."""
    values = [
        cookie_value(c) for c in outcome.set_cookies if c.startswith("session=") and "Max-Age=0" not in c
    ]
    assert len(values) == 1
    session = outcome.factory.from_cookie_value(values[0])
    return session.copy()


def test_an_old_cookie_is_read_and_reissued_in_our_format(old: OldLibrary, adapter: Adapter) -> None:
    value = old.make(STATE)
    outcome = adapter([old.reader(_secret_of(old))], f"{old.cookie_name}={value}", FakeClock(time.time()))
    assert {key: outcome.seen.get(key) for key in STATE} == STATE
    assert {key: _ours(outcome).get(key) for key in STATE} == STATE
    deletions = [c for c in outcome.set_cookies if "Max-Age=0" in c]
    if old.cookie_name == "session":
        assert deletions == []  # ours, under the same name, replaces it
    else:
        assert [c.split(";")[0] for c in deletions] == [f"{old.cookie_name}="]


def test_a_reissued_cookie_is_ours_on_the_next_request(old: OldLibrary) -> None:
    value = old.make(STATE)
    clock = FakeClock(time.time())  # after the stamp: Flask and Starlette refuse one dated ahead
    first = _pyramid([old.reader(_secret_of(old))], f"{old.cookie_name}={value}", clock)
    ours = next(c for c in first.set_cookies if c.startswith("session="))
    second = _pyramid([old.reader(_secret_of(old))], f"session={cookie_value(ours)}", clock)
    assert (second.seen, second.set_cookies) == (STATE, [])


@pytest.mark.parametrize("damage", ["tampered", "wrongly keyed", "expired", "dated ahead", "unsigned"])
def test_a_bad_old_cookie_gives_a_fresh_session(old: OldLibrary, adapter: Adapter, damage: str) -> None:
    now = time.time()
    secret = OTHER_SECRET if damage == "wrongly keyed" else _secret_of(old)
    value = old.make(STATE, secret)
    if damage == "tampered":
        value = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    elif damage == "unsigned" and old.unsigned is not None:
        value = old.unsigned(value)
    elif damage == "unsigned":
        value = value.rsplit(":" if old.cookie_name == "sessionid" else ".", 1)[0]
    clock = FakeClock({"expired": now + MONTH, "dated ahead": now - 120}.get(damage, now))
    outcome = adapter([old.reader(_secret_of(old))], f"{old.cookie_name}={value}", clock)
    if damage == "dated ahead" and old.accepts_future:
        # Django and Pyramid check only that the cookie is not too old, and so do their readers.
        assert {key: outcome.seen.get(key) for key in STATE} == STATE
        return
    assert (outcome.seen, outcome.set_cookies) == ({}, [])


def test_a_valid_cookie_of_ours_wins_over_an_old_one(old: OldLibrary) -> None:
    clock = FakeClock(time.time())
    ours = mint(SignedCookieSessionFactory(SECRET, clock=clock), {"mine": True})
    header = f"{old.cookie_name}={old.make(STATE)}; session={ours}"
    if old.cookie_name == "session":
        header = f"session={ours}"
    outcome = _pyramid([old.reader(_secret_of(old))], header, clock)
    assert (outcome.seen, outcome.set_cookies) == ({"mine": True}, [])


@pytest.mark.usefixtures("project")
def test_readers_are_tried_in_order_and_the_first_that_accepts_wins() -> None:
    require(_has("flask"), "Flask")
    header = f"session={flask_cookie({'from': 'flask'})}; sessionid={django_cookie({'from': 'django'})}"
    read_also = [readers.django(DJANGO_SECRET), readers.flask(FLASK_SECRET)]
    outcome = _pyramid(read_also, header, FakeClock(time.time()))
    assert outcome.seen == {"from": "django"}
    assert [c.split(";")[0] for c in outcome.set_cookies if "Max-Age=0" in c] == ["sessionid="]


@pytest.mark.usefixtures("project")
def test_fallback_secrets_verify_old_cookies() -> None:
    require(_has("flask"), "Flask")
    flask_value = flask_cookie(STATE, OTHER_SECRET)
    django_value = django_cookie(STATE, OTHER_SECRET)
    clock = FakeClock(time.time())  # after the stamps, as above
    with_fallback = [
        readers.flask(FLASK_SECRET, [OTHER_SECRET]),
        readers.django(DJANGO_SECRET, [OTHER_SECRET]),
    ]
    without = [readers.flask(FLASK_SECRET), readers.django(DJANGO_SECRET)]
    for value, name in ((flask_value, "session"), (django_value, "sessionid")):
        assert _pyramid(with_fallback, f"{name}={value}", clock).seen == STATE
        assert _pyramid(without, f"{name}={value}", clock).seen == {}


@pytest.mark.usefixtures("project")
def test_an_old_state_never_brings_a_session_id_of_ours() -> None:
    factory = SignedCookieSessionFactory(
        SECRET, revocation="memory", read_also=[readers.django(DJANGO_SECRET)]
    )
    session = factory.from_cookie_header(f"sessionid={django_cookie({'_sid_': 'chosen', 'user': 'x'})}")
    assert (session.get("user"), session.session_id != "chosen") == ("x", True)


class _RaisingReader:
    cookie_name = "legacy"
    path = "/"
    domain = None

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        raise ValueError("a reader that fails")


def test_a_reader_that_raises_gives_a_fresh_session() -> None:
    factory = SignedCookieSessionFactory(SECRET, read_also=[_RaisingReader()])
    session = factory.from_cookie_header("legacy=anything")
    assert (session.copy(), session.set_cookie_header()) == ({}, None)


@pytest.mark.parametrize("read_also", ["not a list", [object()], [readers.flask(SECRET)][0]])
def test_read_also_is_checked_at_start_up(read_also: Any) -> None:
    with pytest.raises(ConfigurationTypeError) as raised:
        SignedCookieSessionFactory(SECRET, read_also=read_also)
    assert "read_also" in str(raised.value)


def test_the_flask_adapter_keeps_flasks_value_types_with_a_rich_reader() -> None:
    require(_has("flask"), "Flask")
    import datetime
    import uuid

    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    state = {"pair": (1, 2), "raw": b"\x00\xff", "id": uuid.UUID(int=7), "when": moment}
    app = Flask("new_flask_app")
    app.config.update(SECRET_KEY=SECRET, COOKIESESSION_READ_ALSO=[readers.flask(FLASK_SECRET, rich=True)])
    app.session_interface = CookieSessionInterface()

    @app.get("/")
    def read() -> str:
        return repr({key: session[key] for key in state})

    client = app.test_client()
    old_value = flask_cookie(state)
    client.set_cookie("session", old_value)
    migrated = client.get("/")
    (ours,) = [cookie_value(c) for c in migrated.headers.getlist("Set-Cookie")]
    again = client.get("/")  # with the cookie of ours that the first response set
    assert [migrated.get_data(as_text=True), again.get_data(as_text=True)] == [repr(state)] * 2
    assert readers.flask(FLASK_SECRET).read(ours, time.time()) is None  # ours is not Flask's format


@pytest.mark.usefixtures("project")
def test_the_django_engine_reissues_a_signed_cookies_session() -> None:
    from django.test import Client, override_settings

    old_value = django_cookie(STATE)
    options = {"secret": SECRET, "read_also": [readers.django(DJANGO_SECRET)]}
    with override_settings(SESSION_ENGINE="cookiesession.django", COOKIESESSION=options):
        client = Client()
        client.cookies["sessionid"] = old_value
        migrated = client.get("/read")
        ours = migrated.cookies["sessionid"].value
        again = client.get("/read")
    assert (migrated.json(), again.json(), "sessionid" in again.cookies) == (STATE, STATE, False)
    assert SignedCookieSessionFactory(SECRET).from_cookie_value(ours).copy() == STATE


@pytest.mark.usefixtures("project")
def test_the_django_engine_refuses_a_tampered_signed_cookies_session() -> None:
    from django.test import Client, override_settings

    old_value = django_cookie(STATE)
    options = {"secret": SECRET, "read_also": [readers.django(DJANGO_SECRET)]}
    with override_settings(SESSION_ENGINE="cookiesession.django", COOKIESESSION=options):
        client = Client()
        client.cookies["sessionid"] = old_value[:-2] + ("AA" if old_value[-2:] != "AA" else "BB")
        response = client.get("/read")
    assert response.json() == {}
