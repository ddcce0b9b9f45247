"""The contestants: each turns a payload into a cookie, then times LOAD, SAVE and RO.

Every peer is driven through its real request and response objects (no server);
each has a "null" callable that builds the same objects without touching the
session, so that ``op - null`` is the session machinery alone.

* ``floor``: the least work any Pyramid-wire-compatible implementation must do in
  CPython: ``json.dumps``/``json.loads``, HMAC-SHA512, urlsafe base64 and
  ``compare_digest``; no cookie header, no request or response objects.  The bounds
  ``make bench`` checks, like the reference harness, call these primitives plainly
  (``hmac.new`` per message, the ``base64`` module); ``floor/lean`` calls them as
  directly as the standard library allows, for context.
* ``pyramid``: ``pyramid.session`` through a real ``pyramid.request.Request``,
  ``request.session``, a real ``Response`` and the response callbacks, as
  Pyramid's router runs them.
* ``ours/pyramid`` (and ``ours/pyramid-enc``, encrypted): this library the same way.
* ``ours/wsgi`` and ``ours/asgi``: this library's WSGI and ASGI middleware.
* ``starlette``: Starlette's ``SessionMiddleware``; ``flask``: Flask's default
  cookie session (``SecureCookieSessionInterface``) with a real Flask request.
* Feature rows: ``ours/nested-*`` (reading a list out of the session and
  answering with ``reissue_time=None``, so only the nested-change check runs),
  ``ours/revocation`` (``revocation='memory'``), when available,
  ``ours/stdlib-json`` (``ours/pyramid`` parsing with the standard library alone, as
  without the ``fast`` extra; ``ours/pyramid`` uses orjson when it is installed), and
  ``ours/asgi-noreissue`` (``reissue_time=None``: like Starlette 1.x, a read-only
  request writes no cookie, so its RO row does the same work as Starlette's).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib.util
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import calling
from apps import COOKIE_NAME  # the name calling.environ and calling.scope send

SECRET = hashlib.sha256(b"cookiesession-bench-secret").hexdigest()  # 64 characters
READ_KEY = "user_id"
READ_VALUE = 42
WRITE_KEY = "last_seen"
WRITE_VALUE = 1700000123
OPS = ("load", "save", "ro")

Op = Callable[[], object]


@dataclass
class Case:
    """One peer on one payload: a callable per operation, and its null."""

    peer: str
    payload: str
    cookie: str
    ops: dict[str, Op]
    nulls: dict[str, Op | None]
    set_cookie: str | None = None
    notes: list[str] = field(default_factory=list)


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def cookie_value(set_cookie: str | None) -> str:
    if set_cookie is None:
        raise ValueError("no Set-Cookie header")
    name, _, rest = set_cookie.partition("=")
    if name != COOKIE_NAME:
        raise ValueError(f"unexpected cookie {set_cookie[:40]!r}")
    return rest.split(";", 1)[0]


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never suspends, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("the coroutine suspended; it cannot be driven synchronously")


# -- floor -------------------------------------------------------------------------


class Floor:
    """Pyramid's wire format from the raw primitives only."""

    name = "floor"
    key = b"pyramid.session." + SECRET.encode("ascii")

    def _encode(self, accessed: float, created: float, state: dict[str, Any]) -> str:
        data = json.dumps([accessed, created, state]).encode("utf-8")
        sig = hmac.new(self.key, data, hashlib.sha512).digest()
        return base64.urlsafe_b64encode(sig + data).rstrip(b"=").decode("ascii")

    def _decode(self, value: str) -> tuple[float, dict[str, Any]]:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = raw[64:]
        if not hmac.compare_digest(hmac.new(self.key, data, hashlib.sha512).digest(), raw[:64]):
            raise ValueError("bad signature")
        accessed, created, state = json.loads(data)
        if time.time() - accessed > 1200:
            state = {}
        return created, state

    def prepare(self, payload_name: str, payload: dict[str, Any]) -> Case:
        now = time.time()
        cookie = self._encode(int(now), now, dict(payload))
        decode, encode = self._decode, self._encode

        def header(value: str) -> str:
            return f"{COOKIE_NAME}={value}; Path=/; SameSite=Lax"

        def load() -> object:
            return decode(cookie)[1][READ_KEY]

        def save() -> object:
            created, state = decode(cookie)
            state[WRITE_KEY] = WRITE_VALUE
            return header(encode(int(time.time()), created, state))

        def ro() -> object:  # Pyramid's semantics: a read re-issues (reissue_time=0)
            created, state = decode(cookie)
            return state[READ_KEY], header(encode(int(time.time()), created, state))

        return Case(
            self.name,
            payload_name,
            cookie,
            {"load": load, "save": save, "ro": ro},
            {"load": None, "save": None, "ro": None},
            save(),
        )  # type: ignore[arg-type]

    def reload(self, set_cookie: str) -> dict[str, Any]:
        return self._decode(cookie_value(set_cookie))[1]


class LeanFloor(Floor):
    """The floor's primitives called as directly as the standard library allows.

    The HMAC key is set up once and its state copied per message (``hmac.new`` sets
    it up again on every call, which OpenSSL 3 makes cost a few µs), base64 is
    ``binascii``'s without the ``base64`` module's wrappers, and JSON is read from
    text.  What a hand-tuned implementation does; the floor (``Floor``, as in the
    reference harness) calls the primitives plainly, and the bounds use that one.
    """

    name = "floor/lean"

    def __init__(self) -> None:
        self._mac = hmac.new(self.key, digestmod=hashlib.sha512)

    def _encode(self, accessed: float, created: float, state: dict[str, Any]) -> str:
        data = json.dumps([accessed, created, state]).encode("utf-8")
        mac = self._mac.copy()
        mac.update(data)
        token = binascii.b2a_base64(mac.digest() + data, newline=False).rstrip(b"=")
        return token.replace(b"+", b"-").replace(b"/", b"_").decode("ascii")

    def _decode(self, value: str) -> tuple[float, dict[str, Any]]:
        raw = binascii.a2b_base64(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4))
        data = raw[64:]
        mac = self._mac.copy()
        mac.update(data)
        if not hmac.compare_digest(mac.digest(), raw[:64]):
            raise ValueError("bad signature")
        accessed, created, state = json.loads(data.decode("utf-8"))
        if time.time() - accessed > 1200:
            state = {}
        return created, state


# -- Pyramid (pyramid.session and ours) ------------------------------------------------


class PyramidDriven:
    """A Pyramid session factory, driven as Pyramid's router drives it."""

    def __init__(self, name: str, factory: Any, *, read_key: str = READ_KEY, ignore: str = "") -> None:
        from pyramid.config import Configurator
        from pyramid.request import Request
        from pyramid.response import Response

        self.name = name
        self.factory = factory
        self.read_key = read_key
        self.ignore = ignore  # a key the library adds by itself (revocation's session id)
        self.Request = Request
        self.Response = Response
        config = Configurator(session_factory=factory)
        config.commit()
        self.registry = config.registry

    @staticmethod
    def _set_cookie(response: Any) -> str | None:
        for name, value in response.headerlist:
            if name == "Set-Cookie":
                return value  # type: ignore[no-any-return]
        return None

    def _request(self, cookie: str | None) -> Any:
        request = self.Request(calling.environ("/", cookie=cookie))
        request.registry = self.registry
        return request

    def make_cookie(self, payload: dict[str, Any]) -> str:
        request = self._request(None)
        request.session.update(payload)
        response = self.Response()
        request._process_response_callbacks(response)
        return cookie_value(self._set_cookie(response))

    def prepare(self, payload_name: str, payload: dict[str, Any]) -> Case:
        cookie = self.make_cookie(payload)
        environ = calling.environ("/", cookie=cookie)
        request_class, response_class, registry = self.Request, self.Response, self.registry
        set_cookie, read_key = self._set_cookie, self.read_key

        def load() -> object:
            request = request_class(environ.copy())
            request.registry = registry
            return request.session[read_key]

        def save() -> object:
            request = request_class(environ.copy())
            request.registry = registry
            request.session[WRITE_KEY] = WRITE_VALUE
            response = response_class()
            if request.response_callbacks:
                request._process_response_callbacks(response)
            return set_cookie(response)

        def ro() -> object:
            request = request_class(environ.copy())
            request.registry = registry
            value = request.session[read_key]
            response = response_class()
            if request.response_callbacks:
                request._process_response_callbacks(response)
            return value, set_cookie(response)

        def null_load() -> object:
            request = request_class(environ.copy())
            request.registry = registry
            return request

        def null_response() -> object:
            request = request_class(environ.copy())
            request.registry = registry
            response = response_class()
            if request.response_callbacks:
                request._process_response_callbacks(response)
            return set_cookie(response)

        return Case(
            self.name,
            payload_name,
            cookie,
            {"load": load, "save": save, "ro": ro},
            {"load": null_load, "save": null_response, "ro": null_response},
            save(),
        )  # type: ignore[arg-type]

    def reload(self, set_cookie: str) -> dict[str, Any]:
        state = dict(self._request(cookie_value(set_cookie)).session)
        state.pop(self.ignore, None)
        return state


# -- our WSGI and ASGI middleware ----------------------------------------------------------


class OursWSGI:
    name = "ours/wsgi"

    def __init__(self, factory: Any) -> None:
        from cookiesession.wsgi import ENVIRON_KEY, SessionMiddleware

        self.factory = factory
        self.middleware = SessionMiddleware
        self.environ_key = ENVIRON_KEY

    def _app(
        self,
        body: Callable[[Any], object] | None,
        box: dict[str, Any],
        respond: bool = True,
        wrap: bool = True,
    ) -> Any:
        key = self.environ_key

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            # The session's mapping at environ[key], as the ASGI rows use scope["session"].
            box["value"] = None if body is None else body(environ[key])
            if respond:
                start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return []

        return self.middleware(app, self.factory) if wrap else app

    @staticmethod
    def _start_response(box: dict[str, Any]) -> Callable[..., object]:
        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            box["headers"] = headers
            return box.__setitem__

        return start_response

    @staticmethod
    def _set_cookie(box: dict[str, Any]) -> str | None:
        for name, value in box["headers"]:
            if name == "Set-Cookie":
                return value  # type: ignore[no-any-return]
        return None

    def _run(self, cookie: str | None, body: Callable[[Any], object]) -> tuple[object, str | None]:
        box: dict[str, Any] = {}
        self._app(body, box)(calling.environ("/", cookie=cookie), self._start_response(box))
        return box["value"], self._set_cookie(box)

    def prepare(self, payload_name: str, payload: dict[str, Any]) -> Case:
        _, header = self._run(None, lambda session: session.update(payload))
        cookie = cookie_value(header)
        environ = calling.environ("/", cookie=cookie)
        box: dict[str, Any] = {}
        start_response = self._start_response(box)
        get_set_cookie = self._set_cookie

        def write(session: Any) -> None:
            session[WRITE_KEY] = WRITE_VALUE

        app_read = self._app(lambda session: session[READ_KEY], box, respond=False)
        app_load = self._app(lambda session: session[READ_KEY], box)
        app_save = self._app(write, box)
        # The nulls are the bare application, as in the ASGI rows: the middleware's own
        # cost counts, and each null starts a response exactly when its op does.
        bare_read = self._app(None, box, respond=False, wrap=False)
        bare_respond = self._app(None, box, wrap=False)

        # LOAD: the application reads one key and never starts its response, so
        # (as in the ASGI rows) nothing is written: the read alone.
        def load() -> object:
            app_read(environ.copy(), start_response)
            return box["value"]

        def save() -> object:
            app_save(environ.copy(), start_response)
            return get_set_cookie(box)

        def ro() -> object:
            app_load(environ.copy(), start_response)
            return box["value"], get_set_cookie(box)

        def null_load() -> object:
            bare_read(environ.copy(), start_response)
            return box["value"]

        def null_response() -> object:
            bare_respond(environ.copy(), start_response)
            return get_set_cookie(box)

        return Case(
            self.name,
            payload_name,
            cookie,
            {"load": load, "save": save, "ro": ro},
            {"load": null_load, "save": null_response, "ro": null_response},
            save(),
        )  # type: ignore[arg-type]

    def reload(self, set_cookie: str) -> dict[str, Any]:
        value, _ = self._run(cookie_value(set_cookie), dict)
        return value  # type: ignore[return-value]


class _ASGIDriven:
    """Shared driving of an ASGI session middleware (``scope['session']``)."""

    name = "?"

    def _wrap(self, app: Any) -> Any:
        raise NotImplementedError

    def _apps(self, box: dict[str, Any]) -> dict[str, Any]:
        async def receive() -> dict[str, Any]:  # never called
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            box[message["type"]] = message

        async def respond(send_: Any) -> None:
            await send_({"type": "http.response.start", "status": 200, "headers": []})
            await send_({"type": "http.response.body", "body": b""})

        async def app_read(scope: Any, receive_: Any, send_: Any) -> None:
            box["value"] = scope["session"][READ_KEY]

        async def app_read_respond(scope: Any, receive_: Any, send_: Any) -> None:
            box["value"] = scope["session"][READ_KEY]
            await respond(send_)

        async def app_write(scope: Any, receive_: Any, send_: Any) -> None:
            scope["session"][WRITE_KEY] = WRITE_VALUE
            await respond(send_)

        async def app_fill(scope: Any, receive_: Any, send_: Any) -> None:
            scope["session"].update(box["payload"])
            await respond(send_)

        async def app_copy(scope: Any, receive_: Any, send_: Any) -> None:
            box["value"] = dict(scope["session"])

        async def null_read(scope: Any, receive_: Any, send_: Any) -> None:
            box["value"] = None

        async def null_respond(scope: Any, receive_: Any, send_: Any) -> None:
            await respond(send_)

        return {
            "receive": receive,
            "send": send,
            "read": app_read,
            "ro": app_read_respond,
            "write": app_write,
            "fill": app_fill,
            "copy": app_copy,
            "null_read": null_read,
            "null_respond": null_respond,
        }

    @staticmethod
    def _set_cookie(box: dict[str, Any]) -> str | None:
        for name, value in box["http.response.start"]["headers"]:
            if name == b"set-cookie":
                return value.decode("latin-1")  # type: ignore[no-any-return]
        return None

    def prepare(self, payload_name: str, payload: dict[str, Any]) -> Case:
        box: dict[str, Any] = {"payload": payload}
        apps = self._apps(box)
        receive, send = apps["receive"], apps["send"]
        _drive(self._wrap(apps["fill"])(calling.scope("/"), receive, send))
        cookie = cookie_value(self._set_cookie(box))
        template = calling.scope("/", cookie=cookie)
        mw_read, mw_write, mw_ro = self._wrap(apps["read"]), self._wrap(apps["write"]), self._wrap(apps["ro"])
        null_read, null_respond = apps["null_read"], apps["null_respond"]
        set_cookie = self._set_cookie
        self._box, self._apps_cache = box, apps

        def load() -> object:
            _drive(mw_read(dict(template), receive, send))
            return box["value"]

        def save() -> object:
            _drive(mw_write(dict(template), receive, send))
            return set_cookie(box)

        def ro() -> object:
            _drive(mw_ro(dict(template), receive, send))
            return box["value"], set_cookie(box)

        def null_load() -> object:
            _drive(null_read(dict(template), receive, send))
            return box["value"]

        def null_response() -> object:
            _drive(null_respond(dict(template), receive, send))
            return set_cookie(box)

        return Case(
            self.name,
            payload_name,
            cookie,
            {"load": load, "save": save, "ro": ro},
            {"load": null_load, "save": null_response, "ro": null_response},
            save(),
        )  # type: ignore[arg-type]

    def reload(self, set_cookie: str) -> dict[str, Any]:
        apps = self._apps_cache
        _drive(
            self._wrap(apps["copy"])(
                calling.scope("/", cookie=cookie_value(set_cookie)), apps["receive"], apps["send"]
            )
        )
        return self._box["value"]  # type: ignore[no-any-return]


class OursASGI(_ASGIDriven):
    def __init__(self, factory: Any, name: str = "ours/asgi") -> None:
        from cookiesession.asgi import SessionMiddleware

        self.name = name
        self.factory = factory
        self.middleware = SessionMiddleware

    def _wrap(self, app: Any) -> Any:
        return self.middleware(app, self.factory)


class Starlette(_ASGIDriven):
    name = "starlette"

    def __init__(self) -> None:
        from starlette.middleware.sessions import SessionMiddleware

        self.middleware = SessionMiddleware

    def _wrap(self, app: Any) -> Any:
        return self.middleware(app, secret_key=SECRET)


# -- Flask -------------------------------------------------------------------------------


class Flask:
    name = "flask"

    def __init__(self) -> None:
        import flask

        self.app = flask.Flask("cookiesession_bench")
        self.app.secret_key = SECRET
        self.interface = self.app.session_interface
        self.context = self.app.test_request_context("/")
        self.context.push()  # one request context for the whole run, as the harness does

    @staticmethod
    def _set_cookie(response: Any) -> str | None:
        values = response.headers.getlist("Set-Cookie")
        return values[0] if values else None  # type: ignore[no-any-return]

    def prepare(self, payload_name: str, payload: dict[str, Any]) -> Case:
        app, interface = self.app, self.interface
        request_class, response_class = app.request_class, app.response_class
        open_session, save_session = interface.open_session, interface.save_session
        session = open_session(app, request_class(calling.environ("/")))
        session.update(payload)
        response = response_class()
        save_session(app, session, response)
        cookie = cookie_value(self._set_cookie(response))
        environ = calling.environ("/", cookie=cookie)
        set_cookie = self._set_cookie

        def load() -> object:
            return open_session(app, request_class(environ.copy()))[READ_KEY]

        def save() -> object:
            session = open_session(app, request_class(environ.copy()))
            session[WRITE_KEY] = WRITE_VALUE
            response = response_class()
            save_session(app, session, response)
            return set_cookie(response)

        def ro() -> object:
            session = open_session(app, request_class(environ.copy()))
            value = session[READ_KEY]
            response = response_class()
            save_session(app, session, response)
            return value, set_cookie(response)

        def null_load() -> object:
            return request_class(environ.copy())

        def null_response() -> object:
            request = request_class(environ.copy())
            return request, set_cookie(response_class())

        return Case(
            self.name,
            payload_name,
            cookie,
            {"load": load, "save": save, "ro": ro},
            {"load": null_load, "save": null_response, "ro": null_response},
            save(),
        )  # type: ignore[arg-type]

    def reload(self, set_cookie: str) -> dict[str, Any]:
        request = self.app.request_class(calling.environ("/", cookie=cookie_value(set_cookie)))
        return dict(self.interface.open_session(self.app, request))


# -- building the list -------------------------------------------------------------------------


def build(wanted: set[str] | None, log: Callable[[str], None]) -> list[Any]:
    """The peers that are installed (and wanted), in the order the report shows them."""
    peers: list[Any] = [Floor()]

    def want(name: str) -> bool:
        return wanted is None or name in wanted or name.split("/")[0] in wanted

    def add(name: str, make: Callable[[], Any]) -> None:
        if not want(name):
            return
        try:
            peers.append(make())
        except Exception as exc:
            log(f"!! {name} unavailable: {type(exc).__name__}: {exc}")

    add("floor/lean", LeanFloor)

    import cookiesession
    from cookiesession import _json

    signed = cookiesession.SignedCookieSessionFactory(SECRET)
    if available("pyramid"):
        import pyramid.session

        add("pyramid", lambda: PyramidDriven("pyramid", pyramid.session.SignedCookieSessionFactory(SECRET)))
        add("ours/pyramid", lambda: PyramidDriven("ours/pyramid", signed))
        if available("cookiesession.encryption") and available("cryptography"):
            from cookiesession import EncryptedCookieSessionFactory

            add(
                "ours/pyramid-enc",
                lambda: PyramidDriven("ours/pyramid-enc", EncryptedCookieSessionFactory(SECRET)),
            )
        # The same, parsing with the standard library alone (as without orjson).
        stdlib_json = cookiesession.SignedCookieSessionFactory(SECRET)
        stdlib_json._codec.loads = _json.loads_stdlib
        add("ours/stdlib-json", lambda: PyramidDriven("ours/stdlib-json", stdlib_json))
        # A read of a list, and no reissue, so that only the nested-change check runs.
        add(
            "ours/nested-on",
            lambda: PyramidDriven(
                "ours/nested-on",
                cookiesession.SignedCookieSessionFactory(SECRET, reissue_time=None),
                read_key="roles",
            ),
        )
        add(
            "ours/nested-off",
            lambda: PyramidDriven(
                "ours/nested-off",
                cookiesession.SignedCookieSessionFactory(
                    SECRET, reissue_time=None, detect_nested_changes=False
                ),
                read_key="roles",
            ),
        )
        try:
            revocable = cookiesession.SignedCookieSessionFactory(SECRET, revocation="memory")  # type: ignore[call-arg]
        except TypeError:
            revocable = None
        if revocable is not None:
            add("ours/revocation", lambda: PyramidDriven("ours/revocation", revocable, ignore="_sid_"))
    if available("cookiesession.wsgi"):
        add("ours/wsgi", lambda: OursWSGI(signed))
    if available("cookiesession.asgi"):
        add("ours/asgi", lambda: OursASGI(signed))
        add(
            "ours/asgi-noreissue",
            lambda: OursASGI(
                cookiesession.SignedCookieSessionFactory(SECRET, reissue_time=None), "ours/asgi-noreissue"
            ),
        )
    if available("starlette"):
        add("starlette", Starlette)
    if available("flask"):
        add("flask", Flask)
    return peers
