"""Shared test helpers: secrets, cookie minting, and a stand-in for Pyramid's request.

Import what you need from here (``from session_harness import SECRET, mint, ...``);
the fixtures in ``conftest.py`` build on the same pieces.

The session core needs only ``environ['HTTP_COOKIE']``, ``add_response_callback`` and
``exception`` from a request; :class:`FakeRequest` has exactly those, and
:meth:`FakeRequest.respond` runs the callbacks the way Pyramid's router does (first in,
first out) on a bare response.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Any

from cookiesession.signing import Signer

#: The secret every test signs with unless it tests secrets themselves (64 bytes, as
#: long as SHA-512's digest, so no SecretTooShortWarning).
SECRET = "test-secret-" + "0123456789abcdef" * 4 + "abcd"
#: A second, unrelated secret: rotation, fallbacks, wrong keys.
OTHER_SECRET = "other-secret-" + "fedcba9876543210" * 4 + "abc"
#: Pyramid's default salt, which the signed factory uses too.
SALT = "pyramid.session."
#: A fixed clock's "now": FakeClock's default.
NOW = 1_700_000_000.5


class FakeClock:
    """A ``time.time`` stand-in that moves only when told to."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeResponse:
    def __init__(self) -> None:
        self.headerlist: list[tuple[str, str]] = []

    def set_cookies(self) -> list[str]:
        return [value for name, value in self.headerlist if name == "Set-Cookie"]


class FakeRequest:
    def __init__(self, cookie_header: str | None = None) -> None:
        self.environ: dict[str, str] = {}
        if cookie_header is not None:
            self.environ["HTTP_COOKIE"] = cookie_header
        self.exception: BaseException | None = None
        self.callbacks: list[Callable[[Any, Any], None]] = []

    def add_response_callback(self, callback: Callable[[Any, Any], None]) -> None:
        self.callbacks.append(callback)

    def respond(self) -> FakeResponse:
        response = FakeResponse()
        for callback in self.callbacks:
            callback(self, response)
        return response


def cookie_value(set_cookie: str) -> str:
    """The value of a ``Set-Cookie`` header (the part between ``=`` and the first ``;``)."""
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def signed(
    payload: bytes | str | Any,
    secret: str | bytes = SECRET,
    *,
    salt: str | bytes = SALT,
    hashalg: str = "sha512",
) -> str:
    """A token signed as Pyramid signs it: ``payload`` as bytes, text (UTF-8), or
    any other value as its ``json.dumps``."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    elif not isinstance(payload, bytes):
        payload = json.dumps(payload).encode("utf-8")
    return Signer(secret, salt, hashalg, warn_short=False).sign(payload)


def signed_state(
    state: Any, accessed: float = NOW, created: float | None = None, secret: str | bytes = SECRET
) -> str:
    """A signed cookie value holding ``[accessed, created, state]`` (``created``
    defaults to ``accessed``), as Pyramid writes it."""
    return signed([accessed, accessed if created is None else created, state], secret)


def mint(factory: Any, state: dict[str, Any]) -> str:
    """The cookie value ``factory`` writes for a new session holding ``state``."""
    session = factory.from_cookie_value(None)
    session.update(state)
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def payload_of(token: str, digest_size: int = 64) -> Any:
    """The JSON payload of a signed token, without checking the signature (for assertions)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return json.loads(raw[digest_size:])


def stored_state(session: Any) -> dict[str, Any]:
    """The session's state as a plain dict, read without counting as an access."""
    return dict(dict.items(session))


# -- session cookies as other libraries write them (for read_also=) -----------------
# Each is made by the real library, imported here only when called: the caller
# checks that it is installed (tests.conftest.require).

FLASK_SECRET = "flask-" + SECRET
STARLETTE_SECRET = "starlette-" + SECRET
DJANGO_SECRET = "django-" + SECRET
DJANGO_SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


def flask_cookie(state: dict[str, Any], secret: str = FLASK_SECRET, **config: Any) -> str:
    """The session cookie value that a Flask app keyed ``secret`` sets for ``state``."""
    from flask import Flask, session

    app = Flask("old_flask_app")
    app.config.update({"SECRET_KEY": secret, **config})

    @app.get("/")
    def store() -> str:
        session.update(state)
        return "stored"

    response = app.test_client().get("/")
    return cookie_value(response.headers["Set-Cookie"])


def starlette_cookie(state: dict[str, Any], secret: str = STARLETTE_SECRET) -> str:
    """The session cookie value that Starlette's own SessionMiddleware sets for ``state``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def store(request: Request) -> PlainTextResponse:
        request.session.update(state)
        return PlainTextResponse("stored")

    app = Starlette(routes=[Route("/", store)], middleware=[Middleware(SessionMiddleware, secret_key=secret)])
    response = TestClient(app).get("/")
    return cookie_value(response.headers["set-cookie"])


def django_cookie(state: dict[str, Any], secret: str = DJANGO_SECRET) -> str:
    """The ``sessionid`` value that Django's signed_cookies engine sets for ``state``
    (Django must be set up: the ``project`` fixture of tests.django_support)."""
    import importlib

    from django.test import override_settings

    with override_settings(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=[], SESSION_ENGINE=DJANGO_SIGNED_COOKIES):
        store = importlib.import_module(DJANGO_SIGNED_COOKIES).SessionStore()
        store.update(state)
        store.save()
        return str(store.session_key)


#: pyramid_nacl_session's secret: 32 bytes, as the 64 hex digits of its settings.
NACL_SECRET = "5a" * 16 + "c3" * 16


def nacl_key(secret: str) -> bytes:
    """The 32-byte key of ``secret``: its hex digits, or (another test secret) a digest of it."""
    import hashlib

    try:
        key = bytes.fromhex(secret)
    except ValueError:
        key = b""
    return key if len(key) == 32 else hashlib.sha256(secret.encode("utf-8")).digest()


def pyramid_nacl_cookie(state: dict[str, Any], secret: str = NACL_SECRET, **options: Any) -> str:
    """The ``session`` value that a real Pyramid app with pyramid_nacl_session's
    ``EncryptedCookieSessionFactory`` keyed ``secret`` sets for ``state``."""
    from pyramid.response import Response
    from pyramid_nacl_session import EncryptedCookieSessionFactory

    from tests.pyramid_fleet import pyramid_app

    def store(request: Any) -> Any:
        request.session.update(state)
        return Response("stored")

    factory = EncryptedCookieSessionFactory(nacl_key(secret), **options)
    response = pyramid_app(factory, {"store": store}).get("/store")
    return cookie_value(response.headers["Set-Cookie"])


def http_scope(path: str = "/", *cookie_lines: bytes) -> dict[str, Any]:
    """The ASGI scope of a GET of ``path``, carrying each of ``cookie_lines`` as a
    ``Cookie`` header of its own."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *((b"cookie", line) for line in cookie_lines)],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }


# -- sessions in several cookies (max_cookies) ----------------------------------------


def noise(size: int, seed: int = 1) -> str:
    """``size`` characters that compress to about half at best (hex of random bytes)."""
    return random.Random(seed).randbytes(size // 2 + 1).hex()[:size]


def written(factory: Any, state: dict[str, Any], header: str | None = None) -> list[str]:
    """The Set-Cookie values a request bringing ``header`` answers with after the
    session became ``state``."""
    session = factory.from_cookie_header(header)
    session.clear()
    session.update(state)
    return list(session.set_cookie_headers())


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back after ``set_cookies`` (none deleted)."""
    return "; ".join(each.split(";", 1)[0] for each in set_cookies if "Max-Age=0" not in each)


def names(set_cookies: list[str]) -> list[str]:
    return [each.split("=", 1)[0] for each in set_cookies]
