"""Our factory in a real Pyramid app, unchanged: ``set_session_factory``, Pyramid's
``request.session`` (made when first asked for), ``ISession``, Pyramid's CSRF storage policies and
``SessionAuthenticationHelper``."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.signing import Signer
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, mint

HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webtest", "zope.interface"))
if HAVE_PYRAMID:
    import pyramid.csrf
    import webtest
    from pyramid.authentication import SessionAuthenticationHelper
    from pyramid.config import Configurator
    from pyramid.csrf import LegacySessionCSRFStoragePolicy, SessionCSRFStoragePolicy
    from pyramid.interfaces import ISession
    from pyramid.request import Request
    from pyramid.response import Response
    from zope.interface.verify import verifyObject

View = Callable[["Request"], "Response"]


@pytest.fixture(autouse=True)
def _pyramid_installed() -> None:
    require(HAVE_PYRAMID, "Pyramid, WebTest and zope.interface")


def _app(factory: Any, views: dict[str, View], *, via_constructor: bool = False, **config_kw: Any) -> Any:
    config = Configurator(session_factory=factory) if via_constructor else Configurator()
    if not via_constructor:
        config.set_session_factory(factory)
    for setting, value in config_kw.items():
        getattr(config, setting)(value)
    for name, view in views.items():
        config.add_route(name, f"/{name}")
        config.add_view(view, route_name=name)
    return webtest.TestApp(config.make_wsgi_app())


def _count(request: Request) -> Response:
    request.session["n"] = request.session.get("n", 0) + 1
    return Response(str(request.session["n"]))


def _untouched(request: Request) -> Response:
    return Response("no session here")


@pytest.mark.parametrize("via_constructor", [False, True])
def test_session_factory_is_used(clock: FakeClock, via_constructor: bool) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    app = _app(factory, {"count": _count}, via_constructor=via_constructor)
    assert [app.get("/count").text for _ in range(3)] == ["1", "2", "3"]


def test_a_request_that_never_asks_for_the_session_gets_no_cookie_and_no_vary(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    app = _app(factory, {"count": _count, "untouched": _untouched})
    app.get("/count")
    clock.advance(60)  # a read now would reissue the cookie
    response = app.get("/untouched")
    assert (response.headers.getall("Set-Cookie"), response.headers.getall("Vary")) == ([], [])
    reissued = app.get("/count")
    assert (len(reissued.headers.getall("Set-Cookie")), reissued.headers.getall("Vary")) == (1, ["Cookie"])


def test_session_is_created_once_per_request(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def twice(request: Request) -> Response:
        return Response(str(request.session is request.session))

    assert _app(factory, {"twice": twice}).get("/twice").text == "True"


def test_verify_object_isession(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    seen: list[Any] = []

    def keep(request: Request) -> Response:
        seen.append(request.session)
        return Response("ok")

    _app(factory, {"keep": keep}).get("/keep")
    (session,) = seen
    assert verifyObject(ISession, session) is True
    assert ISession.providedBy(session) is True


def test_legacy_session_csrf_policy(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def form(request: Request) -> Response:
        return Response(pyramid.csrf.get_csrf_token(request))

    def post(request: Request) -> Response:
        return Response(str(pyramid.csrf.check_csrf_token(request, raises=False)))

    app = _app(
        factory, {"form": form, "post": post}, set_csrf_storage_policy=LegacySessionCSRFStoragePolicy()
    )
    token = app.get("/form").text
    assert re.fullmatch(r"[0-9a-f]{40}", token) is not None
    assert app.get("/form").text == token
    assert app.post("/post", {"csrf_token": token}).text == "True"
    assert app.post("/post", headers={"X-CSRF-Token": token}).text == "True"
    assert app.post("/post", {"csrf_token": token[:-1] + "0" if token[-1] != "0" else "1"}).text == "False"
    assert app.post("/post", {"csrf_token": "\u2603"}).text == "False"


def test_default_policy_is_the_session_and_require_csrf_works(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def form(request: Request) -> Response:
        return Response(request.session.get_csrf_token())

    def post(request: Request) -> Response:
        return Response("accepted")

    config = Configurator()
    config.set_session_factory(factory)
    config.set_default_csrf_options(require_csrf=True)
    config.add_route("form", "/form")
    config.add_view(form, route_name="form")
    config.add_route("post", "/post")
    config.add_view(post, route_name="post", request_method="POST")
    app = webtest.TestApp(config.make_wsgi_app())
    token = app.get("/form").text
    assert app.post("/post", {"csrf_token": token}).text == "accepted"
    assert app.post("/post", {"csrf_token": "forged"}, expect_errors=True).status_int == 400


def test_session_csrf_storage_policy(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def form(request: Request) -> Response:
        return Response(pyramid.csrf.get_csrf_token(request))

    def renew(request: Request) -> Response:
        return Response(pyramid.csrf.new_csrf_token(request))

    def post(request: Request) -> Response:
        return Response(str(pyramid.csrf.check_csrf_token(request, raises=False)))

    def stored(request: Request) -> Response:
        return Response(str(request.session.get("_csrft_")))

    app = _app(
        factory,
        {"form": form, "renew": renew, "post": post, "stored": stored},
        set_csrf_storage_policy=SessionCSRFStoragePolicy(),
    )
    token = app.get("/form").text
    assert re.fullmatch(r"[0-9a-f]{32}", token) is not None  # uuid4().hex, the policy's own
    assert (app.get("/form").text, app.get("/stored").text) == (token, token)
    assert app.post("/post", {"csrf_token": token}).text == "True"
    renewed = app.get("/renew").text
    assert (renewed != token, app.post("/post", {"csrf_token": token}).text) == (True, "False")
    assert app.post("/post", {"csrf_token": renewed}).text == "True"


def test_session_authentication_helper(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    helper = SessionAuthenticationHelper()

    def login(request: Request) -> Response:
        return Response(str(helper.remember(request, "alice")))

    def whoami(request: Request) -> Response:
        return Response(str(helper.authenticated_userid(request)))

    def logout(request: Request) -> Response:
        return Response(str(helper.forget(request)))

    app = _app(factory, {"login": login, "whoami": whoami, "logout": logout})
    assert app.get("/whoami").text == "None"
    assert app.get("/login").text == "[]"
    assert app.get("/whoami").text == "alice"
    cookie = app.cookies["session"]
    assert Signer(SECRET).unsign(cookie)[0].endswith(b'{"auth.userid": "alice"}]')
    assert app.get("/logout").text == "[]"
    assert app.get("/whoami").text == "None"


def test_logout_by_invalidate_deletes_the_cookie(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def logout(request: Request) -> Response:
        request.session.invalidate()
        return Response("bye")

    app = _app(factory, {"count": _count, "logout": logout})
    app.get("/count")
    assert list(app.cookies) == ["session"]
    app.get("/logout")
    assert list(app.cookies) == []
    assert app.get("/count").text == "1"


@pytest.mark.parametrize(
    ("apps_vary", "sent"),
    [
        (None, ["Cookie"]),
        ("Accept-Encoding", ["Accept-Encoding, Cookie"]),
        ("accept-encoding, cookie", ["accept-encoding, cookie"]),
        ("*", ["*"]),
        ("", ["Cookie"]),
    ],
)
def test_vary_is_merged_with_the_apps_own(clock: FakeClock, apps_vary: str | None, sent: list[str]) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)

    def view(request: Request) -> Response:
        request.session["a"] = 1
        response = Response("ok")
        if apps_vary is not None:
            response.headerlist.append(("Vary", apps_vary))
        return response

    response = _app(factory, {"view": view}).get("/view")
    assert response.headers.getall("Vary") == sent


def test_a_dummy_request_s_cookies_are_read_as_pyramid_reads_them() -> None:
    # pyramid.testing.DummyRequest has an environ without a Cookie header and keeps its
    # cookies in request.cookies, where pyramid.session reads them: app tests build
    # sessions this way.
    import pyramid.session
    from pyramid import testing

    ours = SignedCookieSessionFactory(SECRET)  # the real clock, as Pyramid's
    theirs = pyramid.session.SignedCookieSessionFactory(SECRET)
    cookie = mint(ours, {"user": "bob"})
    read = {}
    # As text, and as bytes (as Pyramid's own tests give them).
    for value in (cookie, cookie.encode("latin-1")):
        for name, factory in (("ours", ours), ("pyramid", theirs)):
            session = factory(testing.DummyRequest(cookies={"session": value}))
            read[name, type(value).__name__] = (session.new, dict(session))
    assert read == {
        ("ours", "str"): (False, {"user": "bob"}),
        ("pyramid", "str"): (False, {"user": "bob"}),
        ("ours", "bytes"): (False, {"user": "bob"}),
        ("pyramid", "bytes"): (False, {"user": "bob"}),
    }
    assert ours(testing.DummyRequest()).new is True  # no cookies at all


def test_a_first_visit_does_not_parse_the_missing_cookie_header() -> None:
    # WebOb's request.cookies parses the header on use (5 µs here): only a test
    # double's own cookies attribute is read when there is no Cookie header.
    class Counting(Request):  # type: ignore[misc]
        parsed = 0

        @property
        def cookies(self) -> Any:
            type(self).parsed += 1
            return super().cookies

    session = SignedCookieSessionFactory(SECRET)(Counting.blank("/"))
    assert (session.new, Counting.parsed) == (True, 0)
