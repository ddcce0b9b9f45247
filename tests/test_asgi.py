"""The ASGI middleware with real Starlette and FastAPI apps: test clients, and uvicorn on loopback."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory, check_csrf_token
from cookiesession.asgi import SessionMiddleware
from cookiesession.cookies import merge_vary
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.served import ServedByUvicorn
from tests.session_harness import SECRET, FakeClock, cookie_value, http_scope, mint


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _factory(**options: Any) -> type[CookieSession]:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock(), **options)


def starlette_app(factory: type[CookieSession]) -> Any:
    require(_has("starlette"), "Starlette")
    require(_has("httpx"), "httpx (Starlette's TestClient)")
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    async def count(request: Request) -> PlainTextResponse:
        request.session["n"] = request.session.get("n", 0) + 1
        return PlainTextResponse(str(request.session["n"]), headers={"Vary": "Accept-Encoding"})

    async def nothing(request: Request) -> PlainTextResponse:
        return PlainTextResponse("untouched")

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.session))

    async def dumps(request: Request) -> JSONResponse:
        # The session itself, read the ways serializers and plain dict code read it.
        import orjson

        session = request.session
        return JSONResponse(
            {
                "json": json.loads(json.dumps(session)),
                "orjson": orjson.loads(orjson.dumps(session)),
                "dict.get": dict.get(session, "user"),
                "dict.len": dict.__len__(session),
            }
        )

    async def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.session.get_csrf_token())  # type: ignore[attr-defined]

    async def post(request: Request) -> PlainTextResponse:
        ok = check_csrf_token(request.session, request.headers.get("x-csrf-token"))
        return PlainTextResponse("ok" if ok else "forbidden", status_code=200 if ok else 403)

    async def logout(request: Request) -> PlainTextResponse:
        request.session.clear()
        request.session.invalidate()  # type: ignore[attr-defined]
        return PlainTextResponse("bye")

    async def slow(request: Request) -> PlainTextResponse:
        # Two of these run at once: each must see only its own session.
        mine = request.session.get("who", "nobody")
        await asyncio.sleep(0.01)
        request.session["seen"] = mine
        return PlainTextResponse(str(request.session.get("who", "nobody")))

    async def boom(request: Request) -> PlainTextResponse:
        request.session["x"] = 1
        raise RuntimeError("boom")

    async def socket(websocket: WebSocket) -> None:
        visits = websocket.session.get("n", 0)
        websocket.session["ws"] = True
        await websocket.accept()
        await websocket.send_json({"n": visits})
        await websocket.close()

    routes = [
        Route("/count", count),
        Route("/nothing", nothing),
        Route("/read", read),
        Route("/dumps", dumps),
        Route("/form", form),
        Route("/post", post, methods=["POST"]),
        Route("/logout", logout),
        Route("/slow", slow),
        Route("/boom", boom),
        WebSocketRoute("/ws", socket),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, session_factory=factory)])


def fastapi_app(factory: type[CookieSession]) -> Any:
    require(_has("fastapi"), "FastAPI")
    from tests.fastapi_app import make_app

    return make_app(factory)


def _client(app: Any) -> Any:
    from starlette.testclient import TestClient

    return TestClient(app)


# -- Starlette and FastAPI through their test client ----------------------------------------------


@pytest.mark.parametrize("make", [starlette_app, fastapi_app])
def test_request_session_works_unchanged(make: Any) -> None:
    client = _client(make(_factory()))
    first = client.get("/count")
    assert first.text == "1"
    cookie = cookie_value(first.headers["set-cookie"])
    second = client.get("/count", headers={"Cookie": f"session={cookie}"})
    assert second.text == "2"
    assert client.get("/read", headers={"Cookie": f"session={cookie}"}).json() == {"n": 1}


def test_fastapi_serializes_the_session_object_itself() -> None:
    client = _client(fastapi_app(_factory()))
    cookie = cookie_value(client.get("/fill/1000").headers["set-cookie"])
    response = client.get("/object", headers={"Cookie": f"session={cookie}"})
    assert (response.status_code, response.json()) == (200, {"user": "ann", "filler": "x" * 1000})


def test_the_session_in_the_scope_is_a_real_dict_that_serializers_see_whole() -> None:
    require(_has("orjson"), "orjson")
    factory = _factory()
    state = {"user": "ann", "filler": "x" * 1000}
    cookie = mint(factory, state)
    response = _client(starlette_app(factory)).get("/dumps", headers={"Cookie": f"session={cookie}"})
    assert response.json() == {"json": state, "orjson": state, "dict.get": "ann", "dict.len": 2}


@pytest.mark.parametrize("make", [starlette_app, fastapi_app])
def test_an_untouched_session_sends_nothing(make: Any) -> None:
    client = _client(make(_factory()))
    response = client.get("/nothing", headers={"Cookie": "session=whatever"})
    assert response.status_code == 200
    assert response.headers.get_list("set-cookie") == []
    assert response.headers.get_list("vary") == []


def test_vary_is_merged_into_the_endpoint_vary() -> None:
    response = _client(starlette_app(_factory())).get("/count")
    assert response.headers.get_list("vary") == ["Accept-Encoding, Cookie"]
    assert len(response.headers.get_list("set-cookie")) == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([(b"Vary", b"Accept")], [(b"Vary", b"Accept, Cookie")]),
        ([(b"Vary", b"Accept"), (b"vary", b"cookie")], [(b"Vary", b"Accept"), (b"vary", b"cookie")]),
        ([(b"Vary", b"Accept"), (b"Vary", b"*")], [(b"Vary", b"Accept"), (b"Vary", b"*")]),
        ([(b"Vary", b"")], [(b"Vary", b"Cookie")]),
    ],
)
def test_vary_merge_looks_at_every_vary_header(
    before: list[tuple[bytes, bytes]], after: list[tuple[bytes, bytes]]
) -> None:
    headers = list(before)
    merge_vary(headers, binary=True)
    assert headers == after


def test_the_headers_the_middleware_adds_have_lowercase_names() -> None:
    # ASGI asks for lowercase header names in http.response.start.
    status, headers, _ = asyncio.run(_asgi_get(starlette_app(_factory()), "/form"))
    added = [name for name, _ in headers if name.lower() in (b"vary", b"set-cookie")]
    assert (status, added) == (200, [b"vary", b"set-cookie"])


def test_csrf_token_round_trip() -> None:
    client = _client(starlette_app(_factory()))
    form = client.get("/form")
    cookie = {"Cookie": f"session={cookie_value(form.headers['set-cookie'])}"}
    assert client.post("/post", headers={**cookie, "X-CSRF-Token": form.text}).status_code == 200
    assert client.post("/post", headers={**cookie, "X-CSRF-Token": "forged"}).status_code == 403
    client.cookies.clear()  # no session cookie at all
    assert client.post("/post", headers={"X-CSRF-Token": form.text}).status_code == 403


def test_logout_deletes_the_cookie() -> None:
    client = _client(starlette_app(_factory()))
    cookie = cookie_value(client.get("/count").headers["set-cookie"])
    response = client.get("/logout", headers={"Cookie": f"session={cookie}"})
    assert response.headers["set-cookie"].startswith("session=; Max-Age=0; Path=/;")


def test_an_exception_propagates_and_no_cookie_is_invented() -> None:
    app = starlette_app(_factory())  # requires Starlette first
    from starlette.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers.get_list("set-cookie") == []


def test_websocket_sees_the_session_and_the_handshake_carries_the_cookie() -> None:
    client = _client(starlette_app(_factory()))
    cookie = cookie_value(client.get("/count").headers["set-cookie"])
    with client.websocket_connect("/ws", headers={"Cookie": f"session={cookie}"}) as websocket:
        assert websocket.receive_json() == {"n": 1}
        accept_headers = {name.lower(): value for name, value in websocket.extra_headers or []}
    assert accept_headers[b"vary"] == b"Cookie"
    reissued = cookie_value(accept_headers[b"set-cookie"].decode("latin-1"))
    assert client.get("/read", headers={"Cookie": f"session={reissued}"}).json() == {"n": 1, "ws": True}


def test_lifespan_passes_through() -> None:
    with _client(starlette_app(_factory())) as client:  # runs the lifespan protocol
        assert client.get("/nothing").text == "untouched"


async def _asgi_get(app: Any, path: str, *cookies: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One HTTP request straight into an ASGI app, with raw Cookie header lines."""
    scope = http_scope(path, *cookies)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], list(start["headers"]), body


def test_concurrent_requests_share_nothing() -> None:
    factory = _factory()
    # Two signed sessions, then both requests interleaved on one event loop.
    cookies = [mint(factory, {"who": who}) for who in ("alice", "bob")]
    app = starlette_app(factory)

    async def both() -> list[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        return list(
            await asyncio.gather(*(_asgi_get(app, "/slow", f"session={c}".encode()) for c in cookies))
        )

    results = asyncio.run(both())
    assert [body for _, _, body in results] == [b"alice", b"bob"]


def test_split_cookie_headers_are_joined() -> None:
    # HTTP/2 may deliver the cookies in several header lines.
    token = mint(_factory(), {"n": 41})
    app = starlette_app(_factory())
    status, _, body = asyncio.run(_asgi_get(app, "/count", b"a=1", f"session={token}".encode()))
    assert (status, body) == (200, b"42")


def test_cookie_header_lines_are_found_in_any_case_and_joined_in_order() -> None:
    from cookiesession.asgi import cookie_header

    headers = [(b"Cookie", b"a=1"), (b"host", b"x"), (b"cookie", b"b=2"), (b"COOKIE", b"c=\xe9")]
    assert cookie_header({"headers": headers}) == "a=1; b=2; c=\xe9"
    assert cookie_header({"headers": [(b"host", b"x")]}) == ""
    assert cookie_header({}) == ""


_raw_cookie_headers = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda v: b"session=" + v, st.binary(max_size=300)),
    st.builds(lambda v: f"session={v}".encode(), st.from_regex(r"[A-Za-z0-9_\-]{0,300}", fullmatch=True)),
)


@settings(max_examples=100, deadline=None)
@given(_raw_cookie_headers)
def test_no_cookie_header_makes_the_middleware_fail(raw: bytes) -> None:
    app = _NO_FAIL_APP.setdefault("app", starlette_app(_factory()))
    status, _, body = asyncio.run(_asgi_get(app, "/count", raw))
    assert (status, body) == (200, b"1")


_NO_FAIL_APP: dict[str, Any] = {}


# -- served by uvicorn on loopback ---------------------------------------------------------------


@pytest.fixture(scope="module")
def uvicorn_urls() -> Iterator[dict[str, str]]:
    require(_has("uvicorn"), "uvicorn")
    factory = SignedCookieSessionFactory(SECRET)
    with (
        ServedByUvicorn(starlette_app(factory)) as starlette_url,
        ServedByUvicorn(fastapi_app(factory)) as fastapi_url,
    ):
        yield {"starlette": starlette_url, "fastapi": fastapi_url}


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_uvicorn_serves_the_session_over_real_http(uvicorn_urls: dict[str, str], framework: str) -> None:
    import httpx

    with httpx.Client(base_url=uvicorn_urls[framework], timeout=10) as client:
        first = client.get("/count")
        assert first.text == "1"
        assert first.headers.get_list("vary")[-1].endswith("Cookie") is True
        cookie = cookie_value(first.headers["set-cookie"])
        client.cookies.clear()
        second = client.get("/count", headers={"Cookie": f"session={cookie}"})
        assert second.text == "2"
        client.cookies.clear()
        untouched = client.get("/nothing", headers={"Cookie": "session=garbage"})
        assert untouched.headers.get_list("set-cookie") == []


def test_vary_false_adds_no_vary_header() -> None:
    response = _client(starlette_app(_factory(vary=False))).get("/count")
    assert response.headers.get_list("vary") == ["Accept-Encoding"]
    assert len(response.headers.get_list("set-cookie")) == 1


def test_a_logout_after_the_response_started_or_before_an_error_is_recorded() -> None:
    # With revocation=, an endpoint's plain invalidate() is recorded by the middleware
    # (no I/O on the event loop): also when the headers are gone by then, and when the
    # endpoint raises after it.
    require(_has("starlette") and _has("httpx"), "Starlette and httpx")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, StreamingResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocket

    factory = _factory(revocation="memory")

    async def login(request: Request) -> PlainTextResponse:
        request.session["user"] = "alice"
        return PlainTextResponse("in")

    async def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(request.session.get("user")))

    async def while_streaming(request: Request) -> StreamingResponse:
        async def body() -> Any:
            yield b"bye "
            request.session.invalidate()  # type: ignore[attr-defined]
            yield b"for now"

        return StreamingResponse(body())

    async def then_fail(request: Request) -> PlainTextResponse:
        request.session.invalidate()  # type: ignore[attr-defined]
        raise RuntimeError("the audit log could not be written")

    async def after_accept(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        websocket.session.invalidate()  # type: ignore[attr-defined]
        await websocket.send_text("bye")
        await websocket.close()

    app = Starlette(
        routes=[
            Route("/login", login),
            Route("/whoami", whoami),
            Route("/while_streaming", while_streaming),
            Route("/then_fail", then_fail),
            WebSocketRoute("/after_accept", after_accept),
        ]
    )
    app.add_middleware(SessionMiddleware, session_factory=factory)

    def logout(how: str) -> str:
        client = TestClient(app, raise_server_exceptions=False)
        client.get("/login")
        cookie = client.cookies["session"]
        if how == "after_accept":
            with client.websocket_connect("/after_accept") as websocket:
                websocket.send_text("log me out")
                assert websocket.receive_text() == "bye"
        else:
            client.get(f"/{how}")
        user: str = TestClient(app, cookies={"session": cookie}).get("/whoami").text
        return user

    assert {how: logout(how) for how in ("while_streaming", "then_fail", "after_accept")} == {
        "while_streaming": "None",
        "then_fail": "None",
        "after_accept": "None",
    }
