"""A session in several cookies in headless Chromium: the browser keeps every piece (each
``Set-Cookie`` at most 4096 bytes with its attributes), sends them all back, and drops
those a smaller session deletes."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.wsgi import SessionMiddleware, get_session
from tests.browser_harness import browser, page
from tests.session_harness import SECRET, noise

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["browser", "page"]  # fixtures

pytestmark = pytest.mark.browser


def _digest(text: str) -> str:
    return f"{len(text)}:{hashlib.sha256(text.encode()).hexdigest()}"


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] not in ("/put", "/read"):
        # Chromium asks for /favicon.ico after each page, concurrently with the next
        # navigation: a session read there would re-issue the cookies that request
        # carried, possibly after a newer response had deleted some of them.
        start_response("404 Not Found", [("Content-Length", "0")])
        return []
    session = get_session(environ)
    if environ["PATH_INFO"] == "/put":
        query = parse_qs(environ["QUERY_STRING"])
        session["big"] = noise(int(query["size"][0]), int(query["seed"][0]))
    body = _digest(session.get("big", "")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    factory = SignedCookieSessionFactory(
        SECRET, max_cookies=4, max_age=3600, httponly=True, domain=None, samesite="Lax"
    )
    httpd: WSGIServer = make_server("127.0.0.1", 0, SessionMiddleware(_app, factory), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _cookie_names(page: Page) -> list[str]:
    return sorted(str(cookie.get("name")) for cookie in page.context.cookies())


def test_chromium_keeps_every_piece_and_sends_them_back(page: Page, server: str) -> None:
    page.goto(f"{server}/put?size=10000&seed=3")
    assert _cookie_names(page) == ["session", "session.1", "session.2", "session.3"]
    page.goto(f"{server}/read")
    assert page.inner_text("body") == _digest(noise(10000, 3))


def test_chromium_drops_the_pieces_a_smaller_session_deletes(page: Page, server: str) -> None:
    page.goto(f"{server}/put?size=10000&seed=4")
    page.goto(f"{server}/put?size=5000&seed=5")
    assert _cookie_names(page) == ["session", "session.1"]
    page.goto(f"{server}/put?size=100&seed=6")
    assert _cookie_names(page) == ["session"]
    page.goto(f"{server}/read")
    assert page.inner_text("body") == _digest(noise(100, 6))
