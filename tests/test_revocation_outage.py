"""Logout that holds while the revocation store is paused or stopped (a real redis-server).

- By default a store fails closed: while Redis cannot answer, a signed-out cookie is not
  accepted again (every session with an id is refused).
- Each outage is logged once, with the store's address and never its password, and counted.
- A sign-out during an outage still deletes the browser's cookie under every adapter; the
  failure is raised once the response is out (``on_error='closed'``) or logged (``'open'``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.exceptions import RevocationUnavailable
from cookiesession.factory import SessionFactory
from cookiesession.redis_store import RedisRevocationStore
from cookiesession.revocation import store_from_setting
from tests.conftest import require
from tests.django_support import project
from tests.redis_harness import RedisServer, server
from tests.session_harness import SECRET, cookie_value, http_scope

pytestmark = pytest.mark.redis

__all__ = ["project", "server"]  # fixtures

#: Short enough that a paused server fails the call quickly, long enough for a busy CI box.
TIMEOUT = 0.2


def _store(server: RedisServer, **options: Any) -> RedisRevocationStore:
    return RedisRevocationStore(server.url, timeout=TIMEOUT, **options)


def _signed_in(factory: SessionFactory) -> str:
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def _deletes_the_cookie(headers: list[tuple[str, str]]) -> bool:
    cookies = [value for name, value in headers if name.lower() == "set-cookie"]
    return len(cookies) == 1 and cookies[0].startswith("session=;") and "Max-Age=0" in cookies[0]


# -- finding: the default ---------------------------------------------------------------------


def test_every_way_to_configure_a_redis_store_fails_closed_by_default() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    url = "redis://127.0.0.1:1/0"
    defaults = [RedisRevocationStore(url).on_error, store_from_setting(url).on_error]  # type: ignore[attr-defined]
    factory = SignedCookieSessionFactory(SECRET, revocation=url)
    defaults.append(factory._revocation.on_error)  # type: ignore[union-attr]
    if importlib.util.find_spec("pyramid") is not None:
        from cookiesession.pyramid import session_factory_from_settings

        settings = {"cookiesession.secret": SECRET, "cookiesession.revocation": url}
        defaults.append(session_factory_from_settings(settings)._revocation.on_error)  # type: ignore[union-attr]
    assert set(defaults) == {"closed"}


def test_a_paused_redis_does_not_bring_a_signed_out_session_back(server: RedisServer) -> None:
    store = _store(server)
    factory = SignedCookieSessionFactory(SECRET, revocation=store)
    token = _signed_in(factory)
    factory.from_cookie_value(token).invalidate()
    server.pause()
    try:
        during = factory.from_cookie_value(token)
        seen = (during.new, dict(during), store.available)
    finally:
        server.resume()
    after = factory.from_cookie_value(token)
    assert (seen, after.new, store.available) == ((True, {}, False), True, True)
    store.close()


def test_a_stopped_redis_does_not_bring_a_signed_out_session_back(server: RedisServer) -> None:
    store = _store(server)
    factory = SignedCookieSessionFactory(SECRET, revocation=store)
    token = _signed_in(factory)
    factory.from_cookie_value(token).invalidate()
    server.stop()
    refused = factory.from_cookie_value(token)
    assert (refused.new, dict(refused), store.error_count) == (True, {}, 1)


def test_an_outage_is_logged_once_with_the_address_and_counted(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = "hunter2-very-secret"
    url = f"redis://:{password}@127.0.0.1:{server.port}/3"
    store = RedisRevocationStore(url, timeout=TIMEOUT, on_error="open")
    server.stop()
    with caplog.at_level(logging.WARNING, logger="cookiesession.revocation"):
        for _ in range(5):
            store.is_revoked("someone")
        first = (store.error_count, store.outage_count, store.available)
    messages = [record.getMessage() for record in caplog.records]
    assert (first, len(messages)) == ((5, 1, False), 1)
    assert messages[0].startswith(f"revocation store 127.0.0.1:{server.port}/3 unavailable (ConnectionError)")
    assert [m for m in messages if password in m] == []
    assert password not in repr(store)


def test_each_outage_is_a_new_episode(server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(server)
    with caplog.at_level(logging.WARNING, logger="cookiesession.revocation"):
        for _ in range(2):
            server.pause()
            try:
                store.is_revoked("someone")
                store.is_revoked("someone")
            finally:
                server.resume()
            assert store.is_revoked("someone") is False
    levels = [(record.levelname, record.getMessage().split(" (")[0]) for record in caplog.records]
    address = f"127.0.0.1:{server.port}/0"
    episode = [
        ("ERROR", f"revocation store {address} unavailable"),
        ("WARNING", f"revocation store {address} answers again, after 2 failed calls"),
    ]
    assert (levels, store.error_count, store.outage_count) == (episode * 2, 4, 2)
    store.close()


# -- finding: sign-out when the store dies mid-request ----------------------------------------


def _call_wsgi(app: Callable[..., Any], cookie: str) -> tuple[list[tuple[str, str]], BaseException | None]:
    """Call a WSGI app as a server does: the headers it sent, then what closing the body raised."""
    sent: list[tuple[str, str]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        sent.extend(headers)
        return lambda data: None

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/logout",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "HTTP_COOKIE": f"session={cookie}",
        "wsgi.url_scheme": "http",
        "wsgi.input": __import__("io").BytesIO(b""),
        "wsgi.errors": __import__("io").StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    body = app(environ, start_response)
    raised: BaseException | None = None
    try:
        b"".join(body)
    finally:
        try:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        except RevocationUnavailable as exc:
            raised = exc
    return sent, raised


def _pyramid_app(factory: SessionFactory, server: RedisServer) -> Callable[..., Any]:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    from pyramid.config import Configurator
    from pyramid.response import Response

    def logout(request: Any) -> Response:
        assert request.session["user"] == "alice"  # checked while Redis was up
        server.stop()
        request.session.invalidate()
        return Response("bye")

    with Configurator() as config:
        config.set_session_factory(factory)
        config.add_route("logout", "/logout")
        config.add_view(logout, route_name="logout")
        wsgi_app: Callable[..., Any] = config.make_wsgi_app()
    return wsgi_app


def _wsgi_app(factory: SessionFactory, server: RedisServer) -> Callable[..., Any]:
    from cookiesession.wsgi import SessionMiddleware, get_session

    def logout(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        session = get_session(environ)
        assert session["user"] == "alice"
        server.stop()
        session.invalidate()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"bye"]

    return SessionMiddleware(logout, factory)


def _flask_app(factory: SessionFactory, server: RedisServer) -> Callable[..., Any]:
    require(importlib.util.find_spec("flask") is not None, "flask")
    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.secret_key = SECRET
    app.session_interface = CookieSessionInterface(factory)

    @app.route("/logout")
    def logout() -> str:
        assert session["user"] == "alice"
        server.stop()
        session.invalidate()  # type: ignore[attr-defined]
        return "bye"

    wsgi_app: Callable[..., Any] = app
    return wsgi_app


@pytest.mark.parametrize("on_error", ["closed", "open"])
@pytest.mark.parametrize("make_app", [_pyramid_app, _wsgi_app, _flask_app], ids=["pyramid", "wsgi", "flask"])
def test_a_sign_out_with_redis_stopped_mid_request_still_deletes_the_cookie(
    server: RedisServer,
    make_app: Callable[[SessionFactory, RedisServer], Callable[..., Any]],
    on_error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory = SignedCookieSessionFactory(SECRET, revocation=_store(server, on_error=on_error))
    app = make_app(factory, server)
    cookie = _signed_in(factory)
    with caplog.at_level(logging.ERROR, logger="cookiesession.revocation"):
        headers, raised = _call_wsgi(app, cookie)
    logged = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("a logout could not be recorded")
    ]
    expected_raise = RevocationUnavailable if on_error == "closed" else None
    assert (_deletes_the_cookie(headers), type(raised) if raised else None, len(logged)) == (
        True,
        expected_raise,
        1,
    )


def _asgi_app(factory: SessionFactory, server: RedisServer, drop_in: bool) -> Any:
    require(importlib.util.find_spec("starlette") is not None, "starlette")
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def logout(request: Request) -> PlainTextResponse:
        assert request.session["user"] == "alice"
        server.stop()
        if drop_in:
            request.session.clear()  # Starlette's logout idiom ends the session here
        else:
            request.session.invalidate()  # type: ignore[attr-defined]
        return PlainTextResponse("bye")

    if drop_in:
        from cookiesession.starlette import SessionMiddleware as DropIn

        store = factory._revocation
        middleware = Middleware(DropIn, secret_key=SECRET, max_age=1200, revocation=store)
    else:
        from cookiesession.asgi import SessionMiddleware

        middleware = Middleware(SessionMiddleware, session_factory=factory)
    return Starlette(routes=[Route("/logout", logout)], middleware=[middleware])


async def _call_asgi(app: Any, cookie: str) -> tuple[list[tuple[str, str]], BaseException | None]:
    sent: list[dict[str, Any]] = []
    scope = http_scope("/logout", f"session={cookie}".encode())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raised: BaseException | None = None
    try:
        await app(scope, receive, send)
    except RevocationUnavailable as exc:
        raised = exc
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]]
    return headers, raised


@pytest.mark.parametrize("on_error", ["closed", "open"])
@pytest.mark.parametrize("drop_in", [False, True], ids=["asgi", "starlette-drop-in"])
def test_a_sign_out_under_asgi_with_redis_stopped_mid_request_still_deletes_the_cookie(
    server: RedisServer, drop_in: bool, on_error: str
) -> None:
    store = _store(server, on_error=on_error)
    factory = SignedCookieSessionFactory(
        SECRET, revocation=store, httponly=drop_in, timeout=1200, reissue_time=None
    )
    app = _asgi_app(factory, server, drop_in)
    cookie = _signed_in(factory)
    headers, raised = asyncio.run(_call_asgi(app, cookie))
    expected_raise = RevocationUnavailable if on_error == "closed" else None
    assert (_deletes_the_cookie(headers), type(raised) if raised else None) == (True, expected_raise)


def test_a_django_logout_whose_revocation_fails_still_deletes_the_cookie(
    project: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Django's SessionStore never sees the response: the failure is logged, and the
    # session middleware deletes the cookie of the ended session.
    from django.test import Client

    from cookiesession.revocation import MemoryRevocationStore
    from tests.django_support import using

    class RevokeFails(MemoryRevocationStore):
        def revoke(self, session_id: str, ttl: float | None = None) -> None:
            raise RevocationUnavailable("down")

    with using(COOKIESESSION={"secret": SECRET, "revocation": RevokeFails()}):
        client = Client()
        client.get("/login", {"user": "alice", "password": project.PASSWORD})
        with caplog.at_level(logging.ERROR, logger="cookiesession.revocation"):
            morsel = client.get("/logout").cookies["sessionid"]
    logged = [r.getMessage().split(" (")[0] for r in caplog.records]
    assert (morsel.value, morsel["max-age"], logged) == ("", 0, ["a logout could not be recorded"])
