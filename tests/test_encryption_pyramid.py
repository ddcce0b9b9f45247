"""Encrypted sessions end to end, in a real Pyramid app driven by WebTest."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import EncryptedCookieSessionFactory, SignedCookieSessionFactory
from cookiesession._base64 import decode as b64decode
from tests.conftest import require
from tests.session_harness import OTHER_SECRET, SECRET, FakeClock

HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webtest"))
HAVE_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None
if HAVE_PYRAMID:
    import pyramid.csrf
    import pyramid.session
    import webtest
    from pyramid.config import Configurator
    from pyramid.csrf import SessionCSRFStoragePolicy
    from pyramid.request import Request
    from pyramid.response import Response

OLD_SECRET = OTHER_SECRET  # the secret rotated away from

View = Callable[["Request"], "Response"]


@pytest.fixture(autouse=True)
def _components_installed() -> None:
    require(HAVE_PYRAMID, "Pyramid and WebTest")
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")


def _count(request: Request) -> Response:
    request.session["n"] = request.session.get("n", 0) + 1
    return Response(str(request.session["n"]))


def _whoami(request: Request) -> Response:
    return Response(str(request.session.get("user")))


def _login(request: Request) -> Response:
    request.session["user"] = "alice-the-distinctive-user"
    return Response("ok")


def _logout(request: Request) -> Response:
    request.session.invalidate()
    return Response("bye")


VIEWS: dict[str, View] = {"count": _count, "whoami": _whoami, "login": _login, "logout": _logout}


def _app(factory: Any, **config_kw: Any) -> Any:
    config = Configurator()
    config.set_session_factory(factory)
    for setting, value in config_kw.items():
        getattr(config, setting)(value)
    for name, view in VIEWS.items():
        config.add_route(name, f"/{name}")
        config.add_view(view, route_name=name)
    return webtest.TestApp(config.make_wsgi_app())


def test_a_session_lives_across_requests_in_an_unreadable_cookie(clock: FakeClock) -> None:
    app = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    assert [app.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    response = app.get("/login")
    (set_cookie,) = response.headers.getall("Set-Cookie")
    assert (set_cookie.split(";", 1)[1], response.headers.getall("Vary")) == (
        " Path=/; SameSite=Lax",
        ["Cookie"],
    )
    token = app.cookies["session"]
    assert (b"distinctive" in b64decode(token), "distinctive" in token) == (False, False)
    assert app.get("/whoami").text == "alice-the-distinctive-user"


def test_a_tampered_cookie_gives_a_fresh_session(clock: FakeClock) -> None:
    app = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    app.get("/login")
    token = app.cookies["session"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    app.set_cookie("session", tampered)
    assert (app.get("/whoami").text, app.get("/count").text) == ("None", "1")


def test_a_cookie_moved_to_another_name_is_refused(clock: FakeClock) -> None:
    writer = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    writer.get("/login")
    token = writer.cookies["session"]
    reader = _app(EncryptedCookieSessionFactory(SECRET, cookie_name="sid", clock=clock))
    reader.set_cookie("sid", token)
    assert reader.get("/whoami").text == "None"
    same_name = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    same_name.set_cookie("session", token)
    assert same_name.get("/whoami").text == "alice-the-distinctive-user"


def test_signed_factories_with_the_same_secret_read_nothing(clock: FakeClock) -> None:
    writer = _app(EncryptedCookieSessionFactory(SECRET, salt="pyramid.session.", clock=clock))
    writer.get("/login")
    token = writer.cookies["session"]
    for factory in (
        SignedCookieSessionFactory(SECRET, clock=clock),
        pyramid.session.SignedCookieSessionFactory(SECRET),  # the real Pyramid
    ):
        reader = _app(factory)
        reader.set_cookie("session", token)
        assert reader.get("/whoami").text == "None"


def test_rotation_through_the_app(clock: FakeClock) -> None:
    old_app = _app(EncryptedCookieSessionFactory(OLD_SECRET, clock=clock))
    old_app.get("/login")
    old_token = old_app.cookies["session"]
    rotated = _app(EncryptedCookieSessionFactory(SECRET, fallback_secrets=[OLD_SECRET], clock=clock))
    rotated.set_cookie("session", old_token)
    response = rotated.get("/whoami")  # reads only, yet the cookie is re-issued under SECRET
    assert (response.text, len(response.headers.getall("Set-Cookie"))) == ("alice-the-distinctive-user", 1)
    new_token = rotated.cookies["session"]
    new_only = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    new_only.set_cookie("session", new_token)
    assert (new_token != old_token, new_only.get("/whoami").text) == (True, "alice-the-distinctive-user")
    new_only.set_cookie("session", old_token)
    assert new_only.get("/whoami").text == "None"


def test_timeouts_through_the_app(clock: FakeClock) -> None:
    factory = EncryptedCookieSessionFactory(SECRET, timeout=600, absolute_timeout=3600, clock=clock)
    idle = _app(factory)
    idle.get("/login")
    clock.advance(601)
    assert idle.get("/whoami").text == "None"
    app = _app(factory)  # a new visitor: an idle-timed-out session keeps its `created` (Pyramid)
    app.get("/login")
    for _ in range(7):  # active every 500 s: only the absolute timeout can end it
        clock.advance(500)
        assert app.get("/count").status_int == 200
    assert app.get("/whoami").text == "alice-the-distinctive-user"
    clock.advance(500)
    assert app.get("/whoami").text == "None"


def test_logout_deletes_the_cookie(clock: FakeClock) -> None:
    app = _app(EncryptedCookieSessionFactory(SECRET, clock=clock))
    app.get("/login")
    response = app.get("/logout")
    (set_cookie,) = response.headers.getall("Set-Cookie")
    assert (set_cookie.startswith("session=; Max-Age=0;"), app.get("/whoami").text) == (True, "None")


def test_pyramid_csrf_policy_on_an_encrypted_session(clock: FakeClock) -> None:
    factory = EncryptedCookieSessionFactory(SECRET, clock=clock)
    config = Configurator()
    config.set_session_factory(factory)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())

    def form(request: Request) -> Response:
        return Response(pyramid.csrf.get_csrf_token(request))

    def post(request: Request) -> Response:
        return Response(str(pyramid.csrf.check_csrf_token(request, raises=False)))

    config.add_route("form", "/form")
    config.add_view(form, route_name="form")
    config.add_route("post", "/post")
    config.add_view(post, route_name="post")
    app = webtest.TestApp(config.make_wsgi_app())
    token = app.get("/form").text
    assert (app.post("/post", {"csrf_token": token}).text, app.post("/post", {"csrf_token": "x"}).text) == (
        "True",
        "False",
    )
