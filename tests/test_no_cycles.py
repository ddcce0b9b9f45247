"""A request and its session are freed by reference counting alone.

Pyramid's own session holds its request strongly and breaks the cycle only in
the response callback, so a request whose callbacks never run (a read that does
not re-issue, an exception that escapes the view) leaves its whole decoded state
for the cyclic garbage collector.  Ours holds the request weakly.  Each test runs
with the collector disabled and checks, with weak references, that the request
and the session are gone the moment the last reference is dropped, and that a
collection afterwards finds no garbage of ours to free.
"""

from __future__ import annotations

import gc
import importlib.util
import weakref
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.session import CookieSession

from .conftest import require
from .session_harness import SECRET, cookie_value, mint


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _ours_in_garbage() -> list[str]:
    """Names of our objects (and requests) that only the cyclic collector would free."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = [type(o).__name__ for o in gc.garbage if isinstance(o, CookieSession) or _is_request(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return found


def _is_request(obj: object) -> bool:
    return type(obj).__name__ == "Request"


# -- Pyramid ---------------------------------------------------------------------------------


def _pyramid() -> tuple[Any, Any, Any]:
    require(_available("pyramid"), "pyramid")
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

    config = Configurator(session_factory=SignedCookieSessionFactory(SECRET))
    config.commit()
    return config.registry, Request, Response


def _cookie(registry: Any, request_class: Any, response_class: Any) -> str:
    request = request_class.blank("/")
    request.registry = registry
    request.session.update({"user_id": 42, "cart": [1, 2, 3], "prefs": {"theme": "dark"}})
    response = response_class()
    request._process_response_callbacks(response)
    return cookie_value(dict(response.headerlist)["Set-Cookie"])


def _run_pyramid(body: Callable[[Any, Any], None]) -> tuple[weakref.ref[Any], weakref.ref[Any]]:
    """Build a request, let ``body`` use it; return weak references to the request and session."""
    registry, request_class, response_class = _pyramid()
    cookie = _cookie(registry, request_class, response_class)
    request = request_class.blank("/", headers={"Cookie": f"session={cookie}"})
    request.registry = registry
    session = request.session
    refs = (weakref.ref(request), weakref.ref(session))
    try:
        body(request, response_class)
    finally:
        del request, session
    return refs


def test_pyramid_load_frees_request_and_session_without_the_collector(no_gc: None) -> None:
    def load(request: Any, response_class: Any) -> None:
        assert request.session["user_id"] == 42
        assert request.session["cart"] == [1, 2, 3]  # a mutable value handed out, too

    request_ref, session_ref = _run_pyramid(load)
    assert (request_ref(), session_ref()) == (None, None)
    assert _ours_in_garbage() == []


def test_pyramid_save_frees_request_and_session_without_the_collector(no_gc: None) -> None:
    headers: list[str] = []

    def save(request: Any, response_class: Any) -> None:
        request.session["last_seen"] = 1
        response = response_class()
        request._process_response_callbacks(response)
        headers.extend(v for k, v in response.headerlist if k == "Set-Cookie")

    request_ref, session_ref = _run_pyramid(save)
    assert len(headers) == 1
    assert (request_ref(), session_ref()) == (None, None)
    assert _ours_in_garbage() == []


def test_pyramid_exception_view_and_escaping_exception_free_everything(no_gc: None) -> None:
    def exception_view(request: Any, response_class: Any) -> None:
        # The excview tween sets request.exception, then the callbacks run.
        request.session["x"] = 1
        request.exception = RuntimeError("in the view")
        request._process_response_callbacks(response_class(status=500))
        del request.exception

    def escaping(request: Any, response_class: Any) -> None:
        # Nothing handles the error: the router never runs the callbacks.
        request.session["x"] = 1
        with pytest.raises(RuntimeError):
            raise RuntimeError("escapes")

    for body in (exception_view, escaping):
        request_ref, session_ref = _run_pyramid(body)
        assert (request_ref(), session_ref()) == (None, None)
    assert _ours_in_garbage() == []


# -- WSGI and ASGI -----------------------------------------------------------------------------


def _factory_cookie() -> tuple[type[CookieSession], str]:
    factory = SignedCookieSessionFactory(SECRET)
    return factory, mint(factory, {"user_id": 42, "cart": [1, 2, 3]})


@pytest.mark.parametrize("operation", ["load", "save", "error"])
def test_wsgi_request_frees_its_session_without_the_collector(no_gc: None, operation: str) -> None:
    require(_available("cookiesession.wsgi"), "cookiesession.wsgi")
    from cookiesession.wsgi import SessionMiddleware, get_session

    factory, cookie = _factory_cookie()
    refs: list[weakref.ref[Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        session = get_session(environ)
        refs.append(weakref.ref(session))
        assert session["cart"] == [1, 2, 3]
        if operation == "save":
            session["x"] = 1
        if operation == "error":
            raise RuntimeError("the application failed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    sent: list[list[tuple[str, str]]] = []
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_COOKIE": f"session={cookie}",
    }

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        sent.append(headers)
        return None

    middleware = SessionMiddleware(app, factory)
    if operation == "error":
        with pytest.raises(RuntimeError):
            middleware(environ, start_response)
    else:
        middleware(environ, start_response)
    del environ
    assert [ref() for ref in refs] == [None]
    assert len(sent) == (0 if operation == "error" else 1)
    assert _ours_in_garbage() == []


@pytest.mark.parametrize("operation", ["load", "save", "error"])
def test_asgi_request_frees_its_session_without_the_collector(no_gc: None, operation: str) -> None:
    require(_available("cookiesession.asgi"), "cookiesession.asgi")
    from cookiesession.asgi import SessionMiddleware

    factory, cookie = _factory_cookie()
    refs: list[weakref.ref[Any]] = []
    messages: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        session = scope["session"]
        refs.append(weakref.ref(session))
        assert session["cart"] == [1, 2, 3]
        if operation == "save":
            session["x"] = 1
        if operation == "error":
            raise RuntimeError("the application failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def one_request() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"cookie", f"session={cookie}".encode())],
        }
        await SessionMiddleware(cast(Any, app), factory)(scope, receive, cast(Any, send))

    # Driven without an event loop (nothing here suspends), so that no task or
    # loop object keeps the traceback, and with it the frames, alive.
    outcome = ""
    coroutine = one_request()
    try:
        coroutine.send(None)
    except StopIteration:
        outcome = "done"
    except RuntimeError:
        outcome = "raised"
    del coroutine
    assert outcome == ("raised" if operation == "error" else "done")
    assert [ref() for ref in refs] == [None]
    assert len(messages) == (0 if operation == "error" else 2)
    assert _ours_in_garbage() == []
