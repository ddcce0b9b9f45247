"""One cookie for every framework: a cookie issued by each of Pyramid, bare WSGI,
Starlette, FastAPI, Flask and the Starlette drop-in (``cookiesession.starlette``) is
read, changed and re-issued by each of the others, and the first one then reads the
change; the values Flask tags (tuples, bytes, ...) are plain JSON to the others."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import pytest

from cookiesession import SignedCookieSessionFactory
from tests.conftest import require
from tests.session_harness import SECRET, cookie_value

# Not the default salt: every framework must be told the same one.
SHARED_SALT = "cross.framework."
FRAMEWORKS = ("pyramid", "wsgi", "starlette", "fastapi", "flask", "starlette-dropin")

# A client takes (path, incoming cookie value or None) and returns (the JSON answer, the
# outgoing cookie value or None).  Each app answers /touch/<who> (add `who` to the
# session's trail) and /read (the whole session).
Client = Callable[[str, "str | None"], tuple[Any, "str | None"]]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _headers(cookie: str | None) -> dict[str, str]:
    return {"Cookie": f"session={cookie}"} if cookie is not None else {}


def _pyramid() -> Client:
    require(_has("pyramid") and _has("webtest"), "Pyramid and WebTest")
    import webtest
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

    def touch(request: Request) -> Response:
        trail = [*request.session.get("trail", []), request.matchdict["who"]]
        request.session["trail"] = trail
        return Response(json=trail)

    def read(request: Request) -> Response:
        return Response(json=dict(request.session))

    settings = {"cookiesession.secret": SECRET, "cookiesession.salt": SHARED_SALT}
    with Configurator(settings=settings) as config:
        config.include("cookiesession.pyramid")
        config.add_route("touch", "/touch/{who}")
        config.add_view(touch, route_name="touch")
        config.add_route("read", "/read")
        config.add_view(read, route_name="read")
        client = webtest.TestApp(config.make_wsgi_app())
    return _webtest_client(client)


def _webtest_client(client: Any) -> Client:
    def call(path: str, cookie: str | None) -> tuple[Any, str | None]:
        client.reset()
        response = client.get(path, headers=_headers(cookie))
        return response.json, _sent_cookie(response.headers.get("Set-Cookie"))

    return call


def _sent_cookie(header: str | None) -> str | None:
    return cookie_value(header) if header is not None else None


def _wsgi() -> Client:
    require(_has("webtest"), "WebTest")
    import webtest

    from cookiesession.wsgi import SessionMiddleware, get_session

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        session = get_session(environ)
        if environ["PATH_INFO"] == "/read":
            answer: Any = dict(session)
        else:
            answer = session["trail"] = [*session.get("trail", []), environ["PATH_INFO"].rsplit("/", 1)[1]]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    factory = SignedCookieSessionFactory(SECRET, salt=SHARED_SALT)
    return _webtest_client(webtest.TestApp(SessionMiddleware(app, factory)))


def _asgi_client(app: Any) -> Client:
    from starlette.testclient import TestClient

    client = TestClient(app)

    def call(path: str, cookie: str | None) -> tuple[Any, str | None]:
        client.cookies.clear()
        response = client.get(path, headers=_headers(cookie))
        return response.json(), _sent_cookie(response.headers.get("set-cookie"))

    return call


def _starlette_app(middleware: Any) -> Client:
    """The Starlette app every cross-framework test drives, with ``middleware``."""
    require(_has("starlette") and _has("httpx"), "Starlette and httpx")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def touch(request: Request) -> JSONResponse:
        trail = [*request.session.get("trail", []), request.path_params["who"]]
        request.session["trail"] = trail
        return JSONResponse(trail)

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.session))

    app = Starlette(routes=[Route("/touch/{who}", touch), Route("/read", read)], middleware=[middleware])
    return _asgi_client(app)


def _starlette() -> Client:
    require(_has("starlette"), "Starlette")
    from starlette.middleware import Middleware

    from cookiesession.asgi import SessionMiddleware

    factory = SignedCookieSessionFactory(SECRET, salt=SHARED_SALT)
    return _starlette_app(Middleware(SessionMiddleware, session_factory=factory))


def _starlette_dropin() -> Client:
    require(_has("starlette"), "Starlette")
    from starlette.middleware import Middleware

    from cookiesession.starlette import SessionMiddleware

    # Starlette's own parameters, and the salt the other apps are given.
    return _starlette_app(Middleware(SessionMiddleware, secret_key=SECRET, salt=SHARED_SALT))


def _fastapi() -> Client:
    require(_has("fastapi") and _has("httpx"), "FastAPI and httpx")
    from tests.fastapi_app import make_app

    return _asgi_client(make_app(SignedCookieSessionFactory(SECRET, salt=SHARED_SALT)))


def _flask() -> Client:
    require(_has("flask"), "Flask")
    from flask import Flask, jsonify, session
    from markupsafe import Markup

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    # The factory is built from Flask's own config, as a Flask user would do it.
    app.config.update(SECRET_KEY=SECRET, COOKIESESSION_SALT=SHARED_SALT)
    app.session_interface = CookieSessionInterface()

    @app.get("/touch/<who>")
    def touch(who: str) -> Any:
        trail = [*session.get("trail", []), who]
        session["trail"] = trail
        return jsonify(trail)

    @app.get("/read")
    def read() -> Any:
        return jsonify({key: repr(value) for key, value in session.items()})

    @app.get("/tagged")
    def tagged() -> Any:
        session.update(FLASK_TAGGED)
        session["markup"] = Markup("<b>x</b>")
        return jsonify("stored")

    client = app.test_client(use_cookies=False)

    def call(path: str, cookie: str | None) -> tuple[Any, str | None]:
        response = client.get(path, headers=_headers(cookie))
        return response.get_json(), _sent_cookie(response.headers.get("Set-Cookie"))

    return call


_MAKERS: dict[str, Callable[[], Client]] = {
    "pyramid": _pyramid,
    "wsgi": _wsgi,
    "starlette": _starlette,
    "fastapi": _fastapi,
    "flask": _flask,
    "starlette-dropin": _starlette_dropin,
}
_CLIENTS: dict[str, Client] = {}


def _client(framework: str) -> Client:
    if framework not in _CLIENTS:
        _CLIENTS[framework] = _MAKERS[framework]()
    return _CLIENTS[framework]


@pytest.mark.parametrize(
    ("issuer", "reader"),
    [pytest.param(a, b, id=f"{a}-to-{b}") for a in FRAMEWORKS for b in FRAMEWORKS if a != b],
)
def test_a_cookie_issued_by_one_framework_is_read_changed_and_reissued_by_another(
    issuer: str, reader: str
) -> None:
    issue, read = _client(issuer), _client(reader)
    trail, cookie = issue(f"/touch/{issuer}", None)
    assert trail == [issuer]
    trail, cookie = read(f"/touch/{reader}", cookie)
    assert trail == [issuer, reader]
    trail, _ = issue(f"/touch/{issuer}", cookie)
    assert trail == [issuer, reader, issuer]


# Values Flask's session keeps with their types, and how they are spelled in the
# cookie's state (Flask's tagged JSON), which is what the other frameworks read.
FLASK_TAGGED: dict[str, Any] = {
    "pair": ("a", 1),
    "raw": b"\x00\xff",
    "when": datetime(2024, 2, 29, 12, 30, 5, tzinfo=timezone.utc),
    "id": UUID("12345678-1234-5678-1234-567812345678"),
    "lookalike": {" t": "text"},
    "flashes": [("info", "saved")],
}
AS_PLAIN_JSON = {
    "pair": {" t": ["a", 1]},
    "raw": {" b": "AP8="},
    "when": {" d": "Thu, 29 Feb 2024 12:30:05 GMT"},
    "id": {" u": "12345678123456781234567812345678"},
    "lookalike": {" di": {" t__": "text"}},
    "flashes": [{" t": ["info", "saved"]}],
    "markup": {" m": "<b>x</b>"},
}


@pytest.mark.parametrize("reader", [f for f in FRAMEWORKS if f != "flask"])
def test_flask_s_tagged_values_are_plain_json_to_the_other_frameworks(reader: str) -> None:
    require(_has("markupsafe"), "MarkupSafe")
    from markupsafe import Markup

    flask, other = _client("flask"), _client(reader)
    _, cookie = flask("/tagged", None)
    state, _ = other("/read", cookie)
    assert state == AS_PLAIN_JSON
    # A value the other framework writes next to them leaves them as Flask wrote them.
    _, changed = other(f"/touch/{reader}", cookie)
    expected = {**FLASK_TAGGED, "markup": Markup("<b>x</b>"), "trail": [reader]}
    assert flask("/read", changed)[0] == {key: repr(value) for key, value in expected.items()}


def test_with_default_salts_the_starlette_dropin_shares_the_factories_cookie() -> None:
    # The drop-in's default salt is the factories' ('pyramid.session.', Pyramid's), so
    # an app given only the secret shares its users with one that uses the defaults.
    require(_has("starlette") and _has("httpx"), "Starlette and httpx")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from cookiesession.starlette import SessionMiddleware

    async def sign_in(request: Request) -> JSONResponse:
        request.session["user"] = "ann"
        return JSONResponse(request.session)

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(request.session)

    app = Starlette(routes=[Route("/sign-in", sign_in), Route("/read", read)])
    client = TestClient(SessionMiddleware(app, secret_key=SECRET))
    factory = SignedCookieSessionFactory(SECRET)
    theirs = cookie_value(client.get("/sign-in").headers["set-cookie"])
    ours = factory.from_cookie_value(None)
    ours["user"] = "bob"
    header = ours.set_cookie_header()
    assert header is not None
    client.cookies.clear()
    read_back = client.get("/read", headers={"Cookie": f"session={cookie_value(header)}"}).json()
    assert (dict(factory.from_cookie_value(theirs)), read_back) == ({"user": "ann"}, {"user": "bob"})
