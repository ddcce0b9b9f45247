"""Cookie attributes and caching: ``Partitioned`` (a cookie kept per top-level site), the
``__Host-`` / ``__Secure-`` name prefixes, and ``Vary: Cookie`` on responses that depend on
the session."""

from __future__ import annotations

from typing import Any

import pytest

from cookiesession import ConfigurationError, SignedCookieSessionFactory
from cookiesession.cookies import CookieSpec, merge_vary
from tests.conftest import require
from tests.pyramid_fleet import HAVE_PYRAMID, User, pyramid_app
from tests.session_harness import (
    NOW,
    SECRET,
    FakeClock,
    FakeRequest,
    FakeResponse,
    cookie_value,
    signed_state,
    stored_state,
)

if HAVE_PYRAMID:
    from pyramid.request import Request
    from pyramid.response import Response


def _cookie(state: dict[str, Any]) -> str:
    """The Cookie header Pyramid sends for ``state``, written 5 seconds ago."""
    return "session=" + signed_state(state, int(NOW) - 5, NOW - 5)


def _written(clock: FakeClock, **options: Any) -> str:
    request = FakeRequest()
    SignedCookieSessionFactory(SECRET, clock=clock, **options)(request)["a"] = 1
    (header,) = request.respond().set_cookies()
    return header


# -- Partitioned ---------------------------------------------------------------------------------


def test_partitioned_is_emitted_last_on_set_and_on_delete(clock: FakeClock) -> None:
    header = _written(clock, secure=True, partitioned=True, samesite="None", httponly=True)
    assert header.split("; ", 1)[1] == "Path=/; secure; HttpOnly; SameSite=None; Partitioned"
    request = FakeRequest(_cookie({"a": 1}))
    session = SignedCookieSessionFactory(SECRET, clock=clock, secure=True, partitioned=True)(request)
    session.invalidate()
    # A partitioned cookie is only deleted by a header that is itself partitioned.
    (deletion,) = request.respond().set_cookies()
    assert deletion.endswith(
        "; Max-Age=0; Path=/; expires=Wed, 31-Dec-97 23:59:59 GMT; secure; SameSite=Lax; Partitioned"
    )


def test_partitioned_is_off_by_default(clock: FakeClock) -> None:
    assert _written(clock, secure=True).split("; ", 1)[1] == "Path=/; secure; SameSite=Lax"


def test_partitioned_requires_secure() -> None:
    with pytest.raises(ConfigurationError, match=r"partitioned=True needs secure=True"):
        SignedCookieSessionFactory(SECRET, partitioned=True)


# -- prefixes ------------------------------------------------------------------------------------

BAD_PREFIXES: list[tuple[str, dict[str, Any], str]] = [
    ("__Secure-sid", {}, "__Secure- prefix needs secure=True"),
    ("__secure-sid", {}, "__Secure- prefix needs secure=True"),  # browsers match case-insensitively
    ("__Host-sid", {}, "__Host- prefix needs secure=True"),
    ("__Host-sid", {"secure": True, "path": "/app"}, "path='/'"),
    ("__Host-sid", {"secure": True, "path": None}, "path='/'"),
    ("__Host-sid", {"secure": True, "domain": "example.com"}, "no domain"),
    ("__HOST-sid", {"secure": True, "domain": "example.com"}, "no domain"),
    ("__host-sid", {"path": "/"}, "__Host- prefix"),
]


@pytest.mark.parametrize(("name", "options", "message"), BAD_PREFIXES)
def test_prefix_rules_are_checked_when_the_factory_is_created(
    name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SignedCookieSessionFactory(SECRET, cookie_name=name, **options)
    assert (message in str(caught.value), repr(name) in str(caught.value)) == (True, True)


@pytest.mark.parametrize(
    ("name", "options", "attributes"),
    [
        ("__Host-sid", {"secure": True}, "Path=/; secure; SameSite=Lax"),
        ("__Secure-sid", {"secure": True, "path": "/app", "domain": "example.com"}, ""),
        ("__Secure-sid", {"secure": True, "path": None}, "secure; SameSite=Lax"),
        ("_Host-sid", {}, "Path=/; SameSite=Lax"),  # not a prefix
        ("x__Host-sid", {}, "Path=/; SameSite=Lax"),
    ],
)
def test_names_that_follow_the_prefix_rules_are_accepted(
    clock: FakeClock, name: str, options: dict[str, Any], attributes: str
) -> None:
    header = _written(clock, cookie_name=name, **options)
    expected = attributes or "Domain=example.com; Path=/app; secure; SameSite=Lax"
    assert (header.split("=", 1)[0], header.split("; ", 1)[1]) == (name, expected)


# -- Vary: Cookie --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([], [("Vary", "Cookie")]),
        ([("Vary", "Accept-Encoding")], [("Vary", "Accept-Encoding, Cookie")]),
        ([("vary", "Accept-Encoding, Origin")], [("vary", "Accept-Encoding, Origin, Cookie")]),
        ([("Vary", "cookie")], [("Vary", "cookie")]),
        ([("Vary", "Accept,COOKIE")], [("Vary", "Accept,COOKIE")]),
        ([("Vary", "*")], [("Vary", "*")]),
        ([("Vary", "Accept, *")], [("Vary", "Accept, *")]),
        ([("Vary", "")], [("Vary", "Cookie")]),
        ([("Vary", "Cookies")], [("Vary", "Cookies, Cookie")]),  # a different field
        # Several Vary headers form one list: Cookie in any one is enough.
        ([("Vary", "Accept"), ("Vary", "Cookie")], [("Vary", "Accept"), ("Vary", "Cookie")]),
        ([("Vary", "Accept"), ("Vary", "Origin")], [("Vary", "Accept, Cookie"), ("Vary", "Origin")]),
    ],
)
def test_vary_is_merged_never_duplicated(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> None:
    headers = [("Content-Type", "text/html"), *before]
    merge_vary(headers)
    assert headers == [("Content-Type", "text/html"), *after]


def _vary_headers(clock: FakeClock, existing: list[tuple[str, str]], **options: Any) -> list[str]:
    request = FakeRequest(_cookie({"a": 1}))
    session = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, **options)(request)
    assert session.get("a") == 1
    response = FakeResponse()
    response.headerlist.extend(existing)  # what the view had set
    for callback in request.callbacks:
        callback(request, response)
    return [value for name, value in response.headerlist if name.lower() == "vary"]


@pytest.mark.parametrize(
    ("existing", "vary", "expected"),
    [
        ([], True, ["Cookie"]),
        ([("Vary", "Accept-Encoding")], True, ["Accept-Encoding, Cookie"]),
        ([("Vary", "cookie")], True, ["cookie"]),
        ([("Vary", "*")], True, ["*"]),
        ([], False, []),
        ([("Vary", "Accept-Encoding")], False, ["Accept-Encoding"]),
    ],
)
def test_a_response_to_a_request_that_read_the_session_varies_on_cookie(
    clock: FakeClock, existing: list[tuple[str, str]], vary: bool, expected: list[str]
) -> None:
    assert _vary_headers(clock, existing, vary=vary) == expected


@pytest.mark.parametrize("binary", [False, True])
def test_a_session_from_the_adapter_api_adds_nothing_until_the_application_uses_it(
    clock: FakeClock, binary: bool
) -> None:
    # The cookie is due for a re-issue (read a later second, reissue_time=0), yet a
    # request whose application never uses the session gets no Set-Cookie and no Vary.
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    header = "theme=dark; " + _cookie({"a": 1})
    unused = factory.from_cookie_header(header)
    headers: list[Any] = []
    unused.add_response_headers(headers, binary=binary)
    assert (unused.used, unused.varies, unused.set_cookie_header(), headers) == (False, False, None, [])

    used = factory.from_cookie_header(header)
    assert used.get("a") == 1
    used.add_response_headers(headers, binary=binary)
    assert (used.used, used.varies, len(headers)) == (True, True, 2)
    if binary:
        assert ((headers[0][0].lower(), headers[0][1]), headers[1][0]) == (
            (b"vary", b"Cookie"),
            b"set-cookie",
        )
        set_cookie = headers[1][1].decode("latin-1")
    else:
        assert (headers[0], headers[1][0]) == (("Vary", "Cookie"), "Set-Cookie")
        set_cookie = headers[1][1]
    assert stored_state(factory.from_cookie_value(cookie_value(set_cookie))) == {"a": 1}


def test_vary_false_makes_a_used_session_add_no_vary(clock: FakeClock) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=clock, vary=False).from_cookie_header(
        _cookie({"a": 1})
    )
    session["a"] = 2
    headers: list[tuple[str, str]] = [("Vary", "Accept")]
    session.add_response_headers(headers)
    assert (session.used, session.varies, [pair[0] for pair in headers]) == (
        True,
        False,
        ["Vary", "Set-Cookie"],
    )
    assert headers[0] == ("Vary", "Accept")


def test_a_failed_response_gets_vary_but_no_cookie_with_set_on_exception_false(clock: FakeClock) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=clock, set_on_exception=False).from_cookie_value(None)
    session["a"] = 1
    headers: list[tuple[str, str]] = []
    session.add_response_headers(headers, failed=True)
    assert headers == [("Vary", "Cookie")]


# -- end to end through Pyramid ------------------------------------------------------------------


@pytest.fixture
def _pyramid() -> None:
    require(HAVE_PYRAMID, "Pyramid, WebOb and WebTest")


def _views() -> dict[str, Any]:
    def read(request: Request) -> Response:
        return Response(str(request.session.get("n", 0)))

    def write(request: Request) -> Response:
        request.session["n"] = request.session.get("n", 0) + 1
        return Response(str(request.session["n"]))

    def read_with_vary(request: Request) -> Response:
        response = Response(str(request.session.get("n", 0)))
        response.vary = request.params.getall("vary")
        return response

    def untouched(request: Request) -> Response:
        return Response("no session")

    def logout(request: Request) -> Response:
        request.session.invalidate()
        return Response("bye")

    return {
        "read": read,
        "write": write,
        "read_with_vary": read_with_vary,
        "untouched": untouched,
        "logout": logout,
    }


@pytest.mark.usefixtures("_pyramid")
def test_vary_through_a_pyramid_app(clock: FakeClock) -> None:
    app = pyramid_app(SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None), _views())
    app.get("/write")

    def vary(path: str, **params: Any) -> list[str]:
        return app.get(path, params=params).headers.getall("Vary")  # type: ignore[no-any-return]

    assert vary("/read") == ["Cookie"]
    assert vary("/write") == ["Cookie"]
    assert vary("/untouched") == []
    assert vary("/read_with_vary", vary="Accept-Encoding") == ["Accept-Encoding, Cookie"]
    assert vary("/read_with_vary", vary=["Accept-Encoding", "Cookie"]) == ["Accept-Encoding, Cookie"]
    assert vary("/read_with_vary", vary="cookie") == ["cookie"]
    assert vary("/read_with_vary", vary="*") == ["*"]


@pytest.mark.usefixtures("_pyramid")
def test_vary_false_through_a_pyramid_app(clock: FakeClock) -> None:
    app = pyramid_app(SignedCookieSessionFactory(SECRET, clock=clock, vary=False), _views())
    responses = [app.get("/write"), app.get("/read"), app.get("/read_with_vary", params={"vary": "Accept"})]
    assert [r.headers.getall("Vary") for r in responses] == [[], [], ["Accept"]]


@pytest.mark.usefixtures("_pyramid")
def test_a_host_prefixed_partitioned_cookie_through_a_pyramid_app_over_https(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(
        SECRET, cookie_name="__Host-sid", secure=True, partitioned=True, samesite="None", clock=clock
    )
    app = pyramid_app(factory, _views(), https=True)
    user = User("ann")
    first = user.get(app, "/write")
    (header,) = first.headers.getall("Set-Cookie")
    assert header.split("; ", 1)[1] == "Path=/; secure; SameSite=None; Partitioned"
    clock.advance(1)
    # The browser (WebTest's jar, over https) sends it back; the session continues.
    assert [user.get(app, "/write").text, user.get(app, "/read").text] == ["2", "2"]
    (deletion,) = user.get(app, "/logout").headers.getall("Set-Cookie")
    assert (deletion.startswith("__Host-sid=; Max-Age=0; Path=/;"), deletion.endswith("; Partitioned")) == (
        True,
        True,
    )
    assert (user.cookie("__Host-sid"), user.get(app, "/read").text) == (None, "0")


def test_cookie_spec_repr_names_only_the_cookie() -> None:
    spec = CookieSpec(
        "__Host-sid", max_age=None, path="/", domain=None, secure=True, httponly=True, samesite="Strict"
    )
    assert repr(spec) == "<CookieSpec '__Host-sid'>"
