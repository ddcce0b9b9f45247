"""The WSGI middleware, with WebTest in-process and waitress on a loopback port."""

from __future__ import annotations

import http.client
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import ConfigurationTypeError, SignedCookieSessionFactory
from cookiesession.session import CookieSession
from cookiesession.wsgi import ENVIRON_KEY, SessionMiddleware, get_session
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, mint

StartResponse = Callable[..., Any]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class _Body:
    """A response body that records being closed (servers must call close())."""

    def __init__(self, chunks: list[bytes], closed: list[bool]) -> None:
        self._chunks = chunks
        self._closed = closed

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        self._closed.append(True)


class App:
    """A bare WSGI app; each path exercises one use of the session."""

    def __init__(self) -> None:
        self.closed: list[bool] = []
        self.used: list[bool] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        session = environ[ENVIRON_KEY]
        headers = [("Content-Type", "text/plain")]
        if path == "/nothing":
            start_response("200 OK", headers)
            self.used.append(session.used)
            return [b"untouched"]
        if path == "/count":
            session["n"] = session.get("n", 0) + 1
            start_response("200 OK", [*headers, ("Vary", "Accept-Encoding")])
            return [str(session["n"]).encode()]
        if path == "/read":
            text = repr(sorted(dict(session.items()).items()))
            start_response("200 OK", headers)
            return [text.encode()]
        if path == "/logout":
            session.invalidate()
            start_response("200 OK", headers)
            return [b"bye"]
        if path == "/stream":
            session["streamed"] = True

            def chunks() -> Iterator[bytes]:
                start_response("200 OK", headers)
                yield b"one,"
                yield b"two"

            return chunks()
        if path == "/closing":
            session["closing"] = True
            start_response("200 OK", headers)
            return _Body([b"a", b"b"], self.closed)
        if path == "/error":
            session["failed"] = True
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                start_response("500 Internal Server Error", headers, sys.exc_info())
            return [b"error page"]
        start_response("404 Not Found", headers)
        return [b"not found"]


def _factory(**options: Any) -> type[CookieSession]:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock(), **options)


def _call(
    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], path: str, cookie: str | None = None
) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
    """Call a WSGI app directly; returns status, headers and the body object itself."""
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": None}
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"] = status
        seen["headers"] = headers
        return lambda data: None

    body = app(environ, start_response)
    list(body)  # start_response may run during iteration (generators)
    return seen["status"], seen["headers"], body


def _testapp(app: Any) -> Any:
    require(_has("webtest"), "WebTest")
    import webtest

    return webtest.TestApp(app)


# -- in-process, through WebTest --------------------------------------------------------------


def test_a_request_that_does_not_use_the_session_gets_no_cookie_and_no_vary() -> None:
    inner = App()
    client = _testapp(SessionMiddleware(inner, _factory()))
    response = client.get("/nothing", headers={"Cookie": "session=garbage"})
    assert response.text == "untouched"
    assert response.headers.getall("Set-Cookie") == []
    assert response.headers.getall("Vary") == []
    assert inner.used == [False]


def test_the_session_persists_across_requests_and_vary_is_merged() -> None:
    client = _testapp(SessionMiddleware(App(), _factory()))
    first = client.get("/count")
    assert first.text == "1"
    assert first.headers.getall("Vary") == ["Accept-Encoding, Cookie"]
    cookie = cookie_value(first.headers["Set-Cookie"])
    second = client.get("/count", headers={"Cookie": f"other=1; session={cookie}"})
    assert second.text == "2"


def test_reading_only_sends_vary_but_no_cookie() -> None:
    client = _testapp(SessionMiddleware(App(), _factory(reissue_time=None)))
    response = client.get("/read")
    assert response.text == "[]"
    assert response.headers.getall("Set-Cookie") == []
    assert response.headers.getall("Vary") == ["Cookie"]


def test_logout_deletes_the_cookie() -> None:
    client = _testapp(SessionMiddleware(App(), _factory()))
    cookie = cookie_value(client.get("/count").headers["Set-Cookie"])
    response = client.get("/logout", headers={"Cookie": f"session={cookie}"})
    assert response.headers["Set-Cookie"].startswith("session=; Max-Age=0; Path=/; expires=")


def test_a_streamed_body_is_passed_through_and_the_cookie_set() -> None:
    client = _testapp(SessionMiddleware(App(), _factory()))
    response = client.get("/stream")
    assert response.text == "one,two"
    cookie = cookie_value(response.headers["Set-Cookie"])
    assert client.get("/read", headers={"Cookie": f"session={cookie}"}).text == "[('streamed', True)]"


def test_the_body_object_is_returned_untouched_and_closed_by_the_server() -> None:
    inner = App()
    app = SessionMiddleware(inner, _factory())
    status, headers, body = _call(app, "/closing")
    assert type(body) is _Body
    assert status == "200 OK"
    assert [name for name, _ in headers] == ["Content-Type", "Vary", "Set-Cookie"]
    client = _testapp(app)  # a real server-side caller: WebTest closes the body as servers must
    client.get("/closing")
    assert inner.closed == [True]


@pytest.mark.parametrize(("set_on_exception", "expected"), [(True, 1), (False, 0)])
def test_start_response_with_exc_info_is_a_failed_response(set_on_exception: bool, expected: int) -> None:
    app = SessionMiddleware(App(), _factory(set_on_exception=set_on_exception))
    status, headers, _ = _call(app, "/error")
    assert status == "500 Internal Server Error"
    assert [name for name, _ in headers].count("Set-Cookie") == expected


def test_get_session_returns_the_real_session_and_needs_the_middleware() -> None:
    environ: dict[str, Any] = {}
    with pytest.raises(LookupError, match="SessionMiddleware"):
        get_session(environ)
    seen: list[object] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        session = get_session(environ)
        seen.append(type(session).__mro__[1])
        session.flash("hello")
        start_response("200 OK", [])
        return [b""]

    _, headers, _ = _call(SessionMiddleware(app, _factory()), "/")
    assert seen == [CookieSession]
    assert [name for name, _ in headers] == ["Vary", "Set-Cookie"]


def test_the_session_is_a_real_dict_that_serializers_see_whole() -> None:
    # Serializers that read a dict's entries directly (pydantic-core, orjson), and
    # dict's own methods, see the whole state of the session the middleware hands out.
    require(_has("pydantic_core") and _has("orjson"), "pydantic-core and orjson")
    import orjson
    import pydantic_core

    factory = _factory()
    state = {"user": "ann", "filler": "x" * 1000}
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        session = get_session(environ)
        seen.append(json.loads(json.dumps(session)))
        seen.append(orjson.loads(orjson.dumps(session)))
        seen.append(pydantic_core.from_json(pydantic_core.to_json(session)))
        seen.append((dict.get(session, "user"), dict.__len__(session)))
        start_response("200 OK", [])
        return [b""]

    _call(SessionMiddleware(app, factory), "/", f"session={mint(factory, state)}")
    assert seen == [state, state, state, ("ann", 2)]


def test_a_non_factory_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationTypeError, match="session_factory"):
        SessionMiddleware(App(), object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationTypeError, match="base class"):
        SessionMiddleware(App(), CookieSession)


# Cookie headers as a server could pass them: any text, plus near-miss session cookies.
_cookie_headers = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=300),
    st.builds(lambda v: f"session={v}", st.text(max_size=300)),
    st.builds(lambda v: f'a=1; session="{v}"; b', st.from_regex(r"[A-Za-z0-9_\-]{0,200}", fullmatch=True)),
)


@settings(max_examples=150, deadline=None)
@given(_cookie_headers)
def test_no_cookie_header_makes_the_middleware_fail(header: str) -> None:
    status, _, body = _call(SessionMiddleware(App(), _factory()), "/count", cookie=header)
    assert status == "200 OK"
    assert b"".join(body) == b"1"


# -- served by waitress on loopback ---------------------------------------------------------------


@pytest.fixture(scope="module")
def waitress_url() -> Iterator[str]:
    require(_has("waitress"), "waitress")
    import waitress.server

    server = waitress.server.create_server(
        SessionMiddleware(App(), SignedCookieSessionFactory(SECRET)), host="127.0.0.1", port=0, threads=2
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def _get(hostport: str, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(hostport, timeout=10)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie is not None else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_waitress_serves_the_session_over_real_http(waitress_url: str) -> None:
    first = _get(waitress_url, "/count")
    assert first.status == 200
    assert first.getheader("Vary") == "Accept-Encoding, Cookie"
    cookie = cookie_value(first.getheader("Set-Cookie") or "")
    second = _get(waitress_url, "/count", f"session={cookie}")
    assert second.status == 200
    connection = http.client.HTTPConnection(waitress_url, timeout=10)
    connection.request(
        "GET", "/read", headers={"Cookie": f"session={cookie_value(second.getheader('Set-Cookie') or '')}"}
    )
    third = connection.getresponse()
    assert third.read() == b"[('n', 2)]"
    connection.close()


def test_waitress_streams_and_leaves_untouched_requests_alone(waitress_url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(f"http://{waitress_url}/stream", timeout=10) as response:
        assert response.read() == b"one,two"
        assert response.headers.get("Set-Cookie", "").startswith("session=") is True
    untouched = _get(waitress_url, "/nothing", "session=not-a-valid-token")
    assert untouched.status == 200
    assert untouched.getheader("Set-Cookie") is None
    assert untouched.getheader("Vary") is None
