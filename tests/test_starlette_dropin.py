"""``cookiesession.starlette.SessionMiddleware`` as a drop-in for Starlette's own.

The first tests run every documented behaviour of Starlette's session against both
middlewares, Starlette's ``starlette.middleware.sessions.SessionMiddleware`` and ours,
in a Starlette app and a FastAPI app, through Starlette's TestClient: each passes with
both.  The tests after them state, one by one, where ours differs on purpose.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import time
import warnings
from typing import Any

import pytest

from cookiesession import ConfigurationError, SecretTooShortWarning, SignedCookieSessionFactory
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, mint, payload_of

MIDDLEWARES = ("starlette", "cookiesession")
FRAMEWORKS = ("starlette", "fastapi")
TWO_WEEKS = 14 * 24 * 3600


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _middleware(name: str) -> Any:
    require(_has("starlette") and _has("httpx"), "Starlette and httpx (its TestClient)")
    if name == "starlette":
        require(_has("itsdangerous"), "itsdangerous (Starlette's SessionMiddleware)")
        from starlette.middleware import sessions

        return sessions.SessionMiddleware
    from cookiesession import starlette

    return starlette.SessionMiddleware


def _starlette_app(middleware: Any, **options: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    async def login(request: Request) -> JSONResponse:
        request.session["user"] = request.path_params["user"]
        return JSONResponse(request.session)

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(request.session)

    async def touch(request: Request) -> PlainTextResponse:
        request.session  # noqa: B018 - asking for the session is what is tested
        return PlainTextResponse("touched")

    async def nothing(request: Request) -> PlainTextResponse:
        return PlainTextResponse("untouched")

    async def logout(request: Request) -> PlainTextResponse:
        request.session.clear()
        return PlainTextResponse("bye")

    async def forget(request: Request) -> PlainTextResponse:
        request.session.pop("user", None)
        return PlainTextResponse("forgotten")

    async def cart(request: Request) -> JSONResponse:
        items = request.session.get("cart")
        if items is None:
            request.session["cart"] = [request.path_params["item"]]
        else:
            items.append(request.path_params["item"])  # a change inside a value, with no assignment
        return JSONResponse(request.session)

    async def big(request: Request) -> PlainTextResponse:
        request.session["big"] = "x" * 5000
        return PlainTextResponse("stored")

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(websocket.session)
        await websocket.close()

    routes = [
        Route("/login/{user}", login),
        Route("/read", read),
        Route("/touch", touch),
        Route("/nothing", nothing),
        Route("/logout", logout),
        Route("/forget", forget),
        Route("/cart/{item}", cart),
        Route("/big", big),
        WebSocketRoute("/ws", socket),
    ]
    return Starlette(routes=routes, middleware=[Middleware(middleware, **options)])


def _client(framework: str, middleware: str, **options: Any) -> Any:
    """A TestClient on ``framework``'s app behind ``middleware`` (secret_key=SECRET)."""
    cls = _middleware(middleware)
    options.setdefault("secret_key", SECRET)
    if framework == "fastapi":
        require(_has("fastapi"), "FastAPI")
        from tests.fastapi_app import make_dropin_app

        app = make_dropin_app(cls, **options)
    else:
        app = _starlette_app(cls, **options)
    from starlette.testclient import TestClient

    return TestClient(app)


def _attributes(set_cookie: str) -> dict[str, str | bool]:
    """A Set-Cookie header's attributes, names lower-cased (the value left out)."""
    attributes: dict[str, str | bool] = {}
    for part in set_cookie.split(";")[1:]:
        name, sep, value = part.strip().partition("=")
        attributes[name.lower()] = value if sep else True
    return attributes


def _cookie_written_ago(middleware: str, state: dict[str, Any], seconds: int) -> str:
    """A cookie value holding ``state``, as ``middleware`` wrote it ``seconds`` ago."""
    written_at = time.time() - seconds
    if middleware == "starlette":
        import itsdangerous

        class Then(itsdangerous.TimestampSigner):
            def get_timestamp(self) -> int:
                return int(written_at)

        return Then(SECRET).sign(base64.b64encode(json.dumps(state).encode())).decode()
    return mint(SignedCookieSessionFactory(SECRET, clock=FakeClock(written_at)), state)


both = pytest.mark.parametrize("middleware", MIDDLEWARES)
everywhere = pytest.mark.parametrize(
    ("framework", "middleware"), [(f, m) for f in FRAMEWORKS for m in MIDDLEWARES]
)


# -- Starlette's documented behaviour, passed by both --------------------------------------------


@everywhere
def test_set_read_clear_round_trip(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    assert client.get("/login/ann").json() == {"user": "ann"}
    assert client.get("/read").json() == {"user": "ann"}
    assert client.get("/logout").text in ("bye", '"bye"')
    assert client.get("/read").json() == {}
    assert client.cookies.get("session") is None


@everywhere
def test_json_response_of_the_session_itself(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    client.get("/login/ann")
    client.get("/cart/tea")
    assert client.get("/read").json() == {"user": "ann", "cart": ["tea"]}


@everywhere
def test_a_read_sends_no_cookie_and_varies_on_it(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    client.get("/login/ann")
    response = client.get("/read")
    assert (response.headers.get_list("set-cookie"), response.headers.get("vary")) == ([], "Cookie")


@everywhere
def test_asking_for_the_session_varies_on_the_cookie(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    response = client.get("/touch")
    assert (response.headers.get_list("set-cookie"), response.headers.get("vary")) == ([], "Cookie")


@everywhere
def test_an_endpoint_that_ignores_the_session_gets_no_session_headers(
    framework: str, middleware: str
) -> None:
    client = _client(framework, middleware)
    client.get("/login/ann")
    response = client.get("/nothing")
    assert (response.headers.get_list("set-cookie"), response.headers.get("vary")) == ([], None)


@everywhere
def test_a_cleared_session_expires_the_cookie(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    client.get("/login/ann")
    (header,) = client.get("/logout").headers.get_list("set-cookie")
    attributes = _attributes(header)
    # Max-Age=0 (ours) or an expiry date in the past (Starlette's 1970): gone at once.
    expired = attributes.get("max-age") == "0" or "1970" in str(attributes.get("expires"))
    assert (header.startswith("session="), expired, client.cookies.get("session")) == (True, True, None)


@everywhere
def test_clearing_an_absent_session_sends_nothing(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    assert client.get("/logout").headers.get_list("set-cookie") == []
    assert client.get("/forget").headers.get_list("set-cookie") == []


@both
def test_popping_the_last_key_expires_the_cookie(middleware: str) -> None:
    client = _client("starlette", middleware)
    client.get("/login/ann")
    (header,) = client.get("/forget").headers.get_list("set-cookie")
    assert (header.startswith("session="), client.cookies.get("session")) == (True, None)


@both
def test_popping_a_missing_key_writes_nothing(middleware: str) -> None:
    client = _client("starlette", middleware)
    client.get("/cart/tea")
    assert client.get("/forget").headers.get_list("set-cookie") == []
    assert client.get("/read").json() == {"cart": ["tea"]}


@everywhere
def test_default_cookie_attributes(framework: str, middleware: str) -> None:
    (header,) = _client(framework, middleware).get("/login/ann").headers.get_list("set-cookie")
    attributes = _attributes(header)
    attributes.pop("expires", None)  # ours also dates the expiry: see the differences below
    assert attributes == {"path": "/", "max-age": str(TWO_WEEKS), "httponly": True, "samesite": "lax"}


@both
def test_configured_cookie_attributes(middleware: str) -> None:
    client = _client(
        "starlette",
        middleware,
        session_cookie="sid",
        max_age=600,
        path="/app",
        same_site="strict",
        https_only=True,
        domain="example.com",
        partitioned=True,
    )
    (header,) = client.get("/login/ann").headers.get_list("set-cookie")
    attributes = _attributes(header)
    attributes.pop("expires", None)
    assert (header.split("=", 1)[0], attributes) == (
        "sid",
        {
            "path": "/app",
            "max-age": "600",
            "httponly": True,
            "samesite": "strict",
            "secure": True,
            "domain": "example.com",
            "partitioned": True,
        },
    )


@both
def test_max_age_none_is_a_browser_session_cookie_with_no_expiry(middleware: str) -> None:
    client = _client("starlette", middleware, max_age=None)
    (header,) = client.get("/login/ann").headers.get_list("set-cookie")
    assert ("max-age" in _attributes(header), "expires" in _attributes(header)) == (False, False)
    ten_years_old = _cookie_written_ago(middleware, {"user": "ann"}, 10 * 365 * 24 * 3600)
    client.cookies.set("session", ten_years_old)
    assert client.get("/read").json() == {"user": "ann"}


@both
@pytest.mark.parametrize(("age", "state"), [(550, {"user": "ann"}), (650, {})])
def test_max_age_is_the_time_since_the_cookie_was_written(
    middleware: str, age: int, state: dict[str, str]
) -> None:
    client = _client("starlette", middleware, max_age=600)
    client.cookies.set("session", _cookie_written_ago(middleware, {"user": "ann"}, age))
    assert client.get("/read").json() == state


@both
def test_a_read_does_not_extend_max_age(middleware: str) -> None:
    client = _client("starlette", middleware, max_age=600)
    client.cookies.set("session", _cookie_written_ago(middleware, {"user": "ann"}, 550))
    response = client.get("/read")
    assert (response.json(), response.headers.get_list("set-cookie")) == ({"user": "ann"}, [])


@both
def test_negative_max_age_keeps_no_session(middleware: str) -> None:
    client = _client("starlette", middleware, max_age=-10)
    response = client.get("/login/ann")
    (header,) = response.headers.get_list("set-cookie")
    # The browser drops a cookie whose Max-Age is not positive (RFC 6265 section 5.2.2) ...
    assert (int(str(_attributes(header)["max-age"])) <= 0, client.cookies.get("session")) == (True, None)
    # ... and the middleware refuses it even when a client sends it anyway.
    client.cookies.set("session", cookie_value(header))
    assert client.get("/read").json() == {}


@both
@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_websocket_session(framework: str, middleware: str) -> None:
    client = _client(framework, middleware)
    client.get("/login/ann")
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"user": "ann"}


@everywhere
@pytest.mark.parametrize("position", [0.3, 0.6, 0.95])
def test_a_tampered_cookie_gives_an_empty_session(framework: str, middleware: str, position: float) -> None:
    client = _client(framework, middleware)
    cookie = cookie_value(client.get("/login/ann").headers["set-cookie"])
    i = int(len(cookie) * position)
    tampered = cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1 :]
    # Replace, not add: some TestClient versions keep the login's cookie beside a set one.
    client.cookies.clear()
    client.cookies.set("session", tampered)
    response = client.get("/read")
    assert (response.status_code, response.json()) == (200, {})


@everywhere
def test_a_cookie_signed_with_another_secret_gives_an_empty_session(framework: str, middleware: str) -> None:
    theirs = _client(framework, middleware, secret_key="another-" + SECRET)
    cookie = cookie_value(theirs.get("/login/ann").headers["set-cookie"])
    client = _client(framework, middleware)
    client.cookies.set("session", cookie)
    assert client.get("/read").json() == {}


# -- where ours differs on purpose ----------------------------------------------------------------


def test_difference_the_cookie_is_cookiesessions_shared_with_the_factories() -> None:
    # Ours writes the Pyramid-compatible signed cookie (default salt 'pyramid.session.'),
    # which every cookiesession adapter with the same secret and salt reads; Starlette's
    # itsdangerous cookies are not read (a user signed in through it signs in again).
    client = _client("starlette", "cookiesession")
    (header,) = client.get("/login/ann").headers.get_list("set-cookie")
    assert payload_of(cookie_value(header))[2] == {"user": "ann"}
    factory = SignedCookieSessionFactory(SECRET)
    assert dict(factory.from_cookie_value(cookie_value(header))) == {"user": "ann"}
    starlettes = _client("starlette", "starlette")
    theirs = cookie_value(starlettes.get("/login/ann").headers["set-cookie"])
    client.cookies.clear()  # replace the login's cookie, as above
    client.cookies.set("session", theirs)
    assert client.get("/read").json() == {}


def test_difference_set_cookie_is_written_as_pyramid_writes_it() -> None:
    # Attribute names capitalized, an Expires date beside Max-Age (older browsers), and
    # deletion as Max-Age=0 with WebOb's past date, the value left empty.
    client = _client("starlette", "cookiesession")
    (written,) = client.get("/login/ann").headers.get_list("set-cookie")
    (deleted,) = client.get("/logout").headers.get_list("set-cookie")
    value = cookie_value(written)
    assert written.startswith(f"session={value}; Max-Age={TWO_WEEKS}; Path=/; expires=") is True
    assert written.endswith("GMT; HttpOnly; SameSite=lax") is True
    assert (
        deleted == "session=; Max-Age=0; Path=/; expires=Wed, 31-Dec-97 23:59:59 GMT; HttpOnly; SameSite=lax"
    )


def test_difference_negative_max_age_is_written_as_zero() -> None:
    # Starlette writes Max-Age=-10; browsers treat every Max-Age <= 0 alike.  Every
    # cookie is refused, even one sent back within the second it was written.
    client = _client("starlette", "cookiesession", max_age=-10, clock=FakeClock(1_700_000_000.0))
    (header,) = client.get("/login/ann").headers.get_list("set-cookie")
    client.cookies.set("session", cookie_value(header))
    assert (_attributes(header)["max-age"], client.get("/read").json()) == ("0", {})


@pytest.mark.parametrize(
    ("middleware", "saved"), [("starlette", ["tea"]), ("cookiesession", ["tea", "milk"])]
)
def test_difference_changes_inside_values_are_saved(middleware: str, saved: list[str]) -> None:
    # Starlette sees only assignments to the session's own keys; ours also saves
    # session["cart"].append(x) (detect_nested_changes=False turns it off).
    client = _client("starlette", middleware)
    client.get("/cart/tea")
    client.get("/cart/milk")
    assert client.get("/read").json() == {"cart": saved}


def test_difference_changes_in_a_websocket_are_sent_with_the_handshake() -> None:
    # Starlette saves nothing a websocket changes; ours adds the cookie to the
    # accept message (websocket.accept's headers) when the session changed before it.
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocket

    from cookiesession.starlette import SessionMiddleware

    async def socket(websocket: WebSocket) -> None:
        websocket.session["seen"] = True
        await websocket.accept()
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/ws", socket)])
    client = TestClient(SessionMiddleware(app, secret_key=SECRET))
    with client.websocket_connect("/ws") as websocket:
        headers = dict(websocket.extra_headers or [])
    factory = SignedCookieSessionFactory(SECRET)
    session = factory.from_cookie_value(cookie_value(headers[b"set-cookie"].decode("latin-1")))
    assert dict(session) == {"seen": True}


@pytest.mark.parametrize("middleware", MIDDLEWARES)
def test_difference_a_session_too_large_for_a_cookie_is_an_error(middleware: str) -> None:
    # Browsers drop a cookie over 4096 bytes, so Starlette's user is silently signed
    # out; ours raises SessionTooLarge (a ValueError) and the request fails instead.
    from starlette.testclient import TestClient

    client = _client("starlette", middleware)
    client = TestClient(client.app, raise_server_exceptions=False)
    response = client.get("/big")
    too_large = len(response.headers.get("set-cookie", "")) > 4096
    assert (response.status_code, too_large) == ((200, True) if middleware == "starlette" else (500, False))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"same_site": "none"}, "same_site='none' needs https_only=True"),
        ({"same_site": "relaxed"}, "same_site='relaxed'"),
        ({"partitioned": True}, "partitioned=True needs https_only=True"),
        ({"session_cookie": "my session"}, "session_cookie='my session' contains characters"),
        ({"session_cookie": "__Host-s", "https_only": True, "path": "/app"}, "session_cookie='__Host-s'"),
        ({"path": "/a;b"}, "path='/a;b' contains characters"),
        ({"domain": "a;b.com"}, "domain='a;b.com' contains characters"),
        ({"max_age": 1.5}, "max_age=1.5 is not a whole number"),
        ({"max_age": -1.5}, "max_age=-1.5 is not a whole number"),
        ({"secret_key": ""}, "secret_key is empty"),
        ({"absolute_timeout": -5}, "absolute_timeout=-5 is negative"),
        ({"fallback_secrets": "old"}, "fallback_secrets must be a list"),
        ({"revocation": "memcached://x"}, "revocation"),
        ({"encrypt": True, "hashalg": "sha256"}, "hashalg applies to signed cookies"),
        ({"hashalg": "shake_128"}, "hashalg 'shake_128' has no fixed digest length"),
    ],
)
def test_difference_configuration_mistakes_raise_naming_the_option(
    options: dict[str, Any], message: str
) -> None:
    # Starlette takes each of these and writes a cookie browsers drop or mangle (or
    # fails later); ours raises ConfigurationError (a ValueError) when it is built.
    from cookiesession.starlette import SessionMiddleware

    options.setdefault("secret_key", SECRET)
    with pytest.raises(ConfigurationError) as raised:
        SessionMiddleware(None, **options)  # type: ignore[arg-type]
    assert (message in str(raised.value), str(raised.value)) == (True, str(raised.value))


@pytest.mark.parametrize("name", ["timeout", "cookie_name", "secure", "httponly", "fallback_secret"])
def test_an_option_it_does_not_have_raises_naming_it(name: str) -> None:
    # Pyramid's names for Starlette's parameters (timeout, cookie_name, secure) are
    # not aliases: one meaning, one name.
    from cookiesession.starlette import SessionMiddleware

    with pytest.raises(TypeError) as raised:
        SessionMiddleware(None, SECRET, **{name: 1})  # type: ignore[arg-type]
    assert repr(name) in str(raised.value)


def test_difference_a_short_secret_warns() -> None:
    from cookiesession.starlette import SessionMiddleware

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SessionMiddleware(None, "short")  # type: ignore[arg-type]
    assert [w.category for w in caught] == [SecretTooShortWarning]


# -- cookiesession's options on the drop-in -------------------------------------------------------


def test_clear_records_the_revocation() -> None:
    # Starlette's logout idiom is clear(): with revocation=, a copy of the old cookie
    # is refused afterwards, as after invalidate().
    client = _client("starlette", "cookiesession", revocation="memory")
    cookie = cookie_value(client.get("/login/ann").headers["set-cookie"])
    client.get("/logout")
    client.cookies.set("session", cookie)
    assert client.get("/read").json() == {}


def test_fallback_secrets_read_old_cookies_and_reissue_them() -> None:
    old = _client("starlette", "cookiesession", secret_key="old-" + SECRET)
    cookie = cookie_value(old.get("/login/ann").headers["set-cookie"])
    client = _client("starlette", "cookiesession", fallback_secrets=["old-" + SECRET])
    client.cookies.set("session", cookie)
    response = client.get("/read")
    reissued = cookie_value(response.headers["set-cookie"])
    factory = SignedCookieSessionFactory(SECRET)
    assert (response.json(), dict(factory.from_cookie_value(reissued))) == ({"user": "ann"}, {"user": "ann"})


def test_encrypt_writes_an_encrypted_cookie() -> None:
    require(_has("cryptography"), "cryptography")
    from cookiesession import EncryptedCookieSessionFactory

    client = _client("starlette", "cookiesession", encrypt=True)
    cookie = cookie_value(client.get("/login/ann").headers["set-cookie"])
    assert ("ann" in base64.urlsafe_b64decode(cookie + "==").decode("latin-1"), cookie.count(".")) == (
        False,
        0,
    )
    assert dict(EncryptedCookieSessionFactory(SECRET).from_cookie_value(cookie)) == {"user": "ann"}
    assert client.get("/read").json() == {"user": "ann"}


def test_absolute_timeout_ends_an_active_session() -> None:
    clock = FakeClock()
    client = _client("starlette", "cookiesession", absolute_timeout=3600, clock=clock)
    client.get("/login/ann")
    for _ in range(3):
        clock.advance(1000)
        client.get("/login/ann")  # written again, so max_age never runs out
    clock.advance(1000)
    assert client.get("/read").json() == {}


def test_clock_skew_is_how_far_ahead_a_cookie_may_be_dated() -> None:
    ahead = mint(SignedCookieSessionFactory(SECRET, clock=lambda: time.time() + 1000), {"user": "ann"})
    for options, expected in (({}, {}), ({"clock_skew": 2000}, {"user": "ann"})):
        client = _client("starlette", "cookiesession", **options)
        client.cookies.set("session", ahead)
        assert client.get("/read").json() == expected


def test_salt_must_match_to_share_the_cookie() -> None:
    client = _client("starlette", "cookiesession", salt="shared.")
    cookie = cookie_value(client.get("/login/ann").headers["set-cookie"])
    shared = SignedCookieSessionFactory(SECRET, salt="shared.").from_cookie_value(cookie)
    default = SignedCookieSessionFactory(SECRET).from_cookie_value(cookie)
    assert (dict(shared), dict(default)) == ({"user": "ann"}, {})


def test_secret_key_may_be_starlettes_secret() -> None:
    # Starlette's Config gives secrets wrapped in its Secret, which hides them from repr.
    require(_has("starlette"), "Starlette")
    from starlette.datastructures import Secret

    client = _client("starlette", "cookiesession", secret_key=Secret(SECRET))
    cookie = cookie_value(client.get("/login/ann").headers["set-cookie"])
    assert dict(SignedCookieSessionFactory(SECRET).from_cookie_value(cookie)) == {"user": "ann"}


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.setdefault("user", "bob"),
        lambda s: s.setdefault("theme", "dark"),
        lambda s: s.pop("theme", None),
        lambda s: s.pop("user"),
        lambda s: s.popitem(),
        lambda s: s.get("user"),
        lambda s: s.mark_accessed(),
        lambda s: s.mark_modified(),
        lambda s: s.update(theme="dark"),
    ],
)
def test_what_counts_as_a_change_is_starlettes(operation: Any) -> None:
    # Starlette's Session.modified, and whether ours writes (or deletes) the cookie.
    require(_has("starlette"), "Starlette")
    from starlette.middleware.sessions import Session

    from cookiesession.starlette import SessionMiddleware

    theirs = Session({"user": "ann"})
    operation(theirs)
    factory = SessionMiddleware(None, SECRET).session_factory  # type: ignore[arg-type]
    ours = factory.from_cookie_value(mint(factory, {"user": "ann"}))
    operation(ours)
    assert (ours.set_cookie_header() is not None, dict(ours)) == (theirs.modified, dict(theirs))


def test_popitem_of_an_empty_session_raises_and_changes_nothing() -> None:
    require(_has("starlette"), "Starlette")
    from cookiesession.starlette import SessionMiddleware

    factory = SessionMiddleware(None, SECRET).session_factory  # type: ignore[arg-type]
    session = factory.from_cookie_value(None)
    with pytest.raises(KeyError):
        session.popitem()
    assert (session.used, session.set_cookie_header()) == (True, None)
