"""Flask's session and flash() on cookiesession, through Flask's test client."""

from __future__ import annotations

import base64
import importlib.util
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import ConfigurationError, SignedCookieSessionFactory
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.session_harness import OTHER_SECRET, SECRET, FakeClock, cookie_value, mint, payload_of


def make_app(session_factory: type[CookieSession] | None = None, **config: Any) -> Any:
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask import Flask, flash, get_flashed_messages, jsonify, session

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config.update({"SECRET_KEY": SECRET, **config})
    app.session_interface = CookieSessionInterface(session_factory)

    @app.get("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/nothing")
    def nothing() -> str:
        return "untouched"

    @app.get("/read")
    def read() -> Any:
        return jsonify(dict(session.items()))

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "ok"

    @app.get("/flash")
    def do_flash() -> str:
        flash("saved", "info")
        flash("careful", "warning")
        return "flashed"

    @app.get("/messages")
    def messages() -> Any:
        return jsonify(get_flashed_messages(with_categories=True))

    @app.get("/pyramid-api")
    def pyramid_api() -> Any:
        # flask.session is a CookieSession: Pyramid's API is there too.
        session.flash("pyramid-style")  # type: ignore[attr-defined]
        token = session.get_csrf_token()  # type: ignore[attr-defined]
        return jsonify({"new": session.new, "token_length": len(token), "modified": session.modified})

    @app.get("/peek")
    def peek() -> str:
        return str([session.get("user") for _ in range(5)])

    @app.get("/pop-missing")
    def pop_missing() -> str:
        return str(session.pop("user", None))

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/pop")
    def pop() -> str:
        session.pop("n", None)
        return "popped"

    @app.get("/logout")
    def logout() -> str:
        session.invalidate()  # type: ignore[attr-defined]
        return "bye"

    @app.get("/boom")
    def boom() -> str:
        session["x"] = 1
        raise RuntimeError("boom")

    return app


def test_the_session_persists_through_the_cookie() -> None:
    client = make_app().test_client(use_cookies=False)
    first = client.get("/count")
    assert first.text == "1"
    assert first.headers.get_all("Vary") == ["Cookie"]
    cookie = cookie_value(first.headers["Set-Cookie"])
    second = client.get("/count", headers={"Cookie": f"session={cookie}"})
    assert second.text == "2"


def test_a_request_that_does_not_use_the_session_gets_no_cookie_and_no_vary() -> None:
    client = make_app().test_client(use_cookies=False)
    cookie = cookie_value(client.get("/count").headers["Set-Cookie"])
    response = client.get("/nothing", headers={"Cookie": f"session={cookie}"})
    assert response.headers.get_all("Set-Cookie") == []
    assert response.headers.get_all("Vary") == []


def test_flash_and_get_flashed_messages_work() -> None:
    client = make_app().test_client()  # Flask's cookie jar carries the cookie
    assert client.get("/flash").text == "flashed"
    assert client.get("/messages").json == [["info", "saved"], ["warning", "careful"]]
    assert client.get("/messages").json == []


def test_flask_session_is_a_cookie_session_with_pyramid_api() -> None:
    client = make_app().test_client()
    assert client.get("/pyramid-api").json == {"new": True, "token_length": 40, "modified": True}
    assert client.get("/pyramid-api").json == {"new": False, "token_length": 40, "modified": True}


def test_session_transaction_in_tests_works() -> None:
    client = make_app().test_client()
    with client.session_transaction() as session:
        session["n"] = 41
    assert client.get("/count").text == "42"


def test_the_config_builds_the_cookie() -> None:
    client = make_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    ).test_client(use_cookies=False)
    header = client.get("/count").headers["Set-Cookie"]
    assert (
        header.split("; ", 1)[1]
        == "Domain=example.com; Path=/app; secure; HttpOnly; SameSite=Strict; Partitioned"
    )
    assert header.startswith("sid=") is True


def test_a_permanent_session_gets_max_age_from_the_lifetime() -> None:
    client = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=2)).test_client(use_cookies=False)
    attributes = client.get("/permanent").headers["Set-Cookie"].split("; ")
    assert attributes[1] == "Max-Age=7200"
    assert attributes[3].startswith("expires=") is True
    browser_session = client.get("/count").headers["Set-Cookie"].split("; ")
    assert browser_session[1:] == ["Path=/", "HttpOnly"]  # Flask's defaults: HttpOnly, no SameSite


def test_the_lifetime_is_the_idle_timeout() -> None:
    clock = FakeClock()
    app = make_app(PERMANENT_SESSION_LIFETIME=60)
    interface = app.session_interface
    cls = interface.session_class(app)
    assert cls is not None
    # Reads never re-issue: Flask's own rules decide when the cookie is re-sent.
    assert (cls._limits.timeout, cls._reissue_after) == (60, float("inf"))
    factory = SignedCookieSessionFactory(SECRET, timeout=60, clock=clock)
    cookie = {"Cookie": f"session={mint(factory, {'n': 5})}"}
    client = make_app(factory).test_client(use_cookies=False)
    assert client.get("/count", headers=cookie).text == "6"
    clock.advance(61)
    assert client.get("/count", headers=cookie).text == "1"


def test_secret_key_fallbacks_verify_old_cookies_and_reissue_under_the_new_key() -> None:
    old = SignedCookieSessionFactory(OTHER_SECRET)
    cookie = f"session={mint(old, {'n': 9})}"
    client = make_app(SECRET_KEY_FALLBACKS=[OTHER_SECRET]).test_client(use_cookies=False)
    response = client.get("/read", headers={"Cookie": cookie})
    assert response.json == {"n": 9}
    reissued = cookie_value(response.headers["Set-Cookie"])
    new_only = make_app().test_client(use_cookies=False)
    assert new_only.get("/read", headers={"Cookie": f"session={reissued}"}).json == {"n": 9}
    assert new_only.get("/read", headers={"Cookie": cookie}).json == {}


def test_the_salt_can_be_set_for_sharing_with_other_apps() -> None:
    other = SignedCookieSessionFactory(SECRET, salt="shared.")
    cookie = f"session={mint(other, {'n': 3})}"
    client = make_app(COOKIESESSION_SALT="shared.").test_client(use_cookies=False)
    assert client.get("/read", headers={"Cookie": cookie}).json == {"n": 3}


def test_absolute_timeout_ends_a_session_however_active() -> None:
    made_long_ago = SignedCookieSessionFactory(SECRET, clock=lambda: time.time() - 7200)
    cookie = f"session={mint(made_long_ago, {'n': 3})}"
    configs: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {"n": 3}),
        ({"COOKIESESSION_ABSOLUTE_TIMEOUT": timedelta(hours=1)}, {}),
    ]
    for config, expected in configs:
        client = make_app(None, **config).test_client(use_cookies=False)
        assert client.get("/read", headers={"Cookie": cookie}).json == expected


def test_clock_skew_is_how_far_ahead_a_cookie_may_be_dated() -> None:
    ahead = f"session={mint(SignedCookieSessionFactory(SECRET, clock=lambda: time.time() + 1000), {'n': 3})}"
    configs: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"COOKIESESSION_CLOCK_SKEW": 2000}, {"n": 3}),
    ]
    for config, expected in configs:
        client = make_app(None, **config).test_client(use_cookies=False)
        assert client.get("/read", headers={"Cookie": ahead}).json == expected


def test_encrypt_writes_an_encrypted_cookie_with_the_encrypted_factorys_salt() -> None:
    require(importlib.util.find_spec("cryptography") is not None, "cryptography")
    from cookiesession import EncryptedCookieSessionFactory

    client = make_app(COOKIESESSION_ENCRYPT=True).test_client(use_cookies=False)
    cookie = cookie_value(client.get("/count").headers["Set-Cookie"])
    assert b'"n"' not in base64.urlsafe_b64decode(cookie + "==")
    assert dict(EncryptedCookieSessionFactory(SECRET).from_cookie_value(cookie)) == {"n": 1}
    assert client.get("/read", headers={"Cookie": f"session={cookie}"}).json == {"n": 1}
    salted = make_app(COOKIESESSION_ENCRYPT=True, COOKIESESSION_SALT="shared.").test_client(use_cookies=False)
    cookie = cookie_value(salted.get("/count").headers["Set-Cookie"])
    assert dict(EncryptedCookieSessionFactory(SECRET, salt="shared.").from_cookie_value(cookie)) == {"n": 1}


def test_without_a_secret_key_flask_null_session_explains() -> None:
    app = make_app(SECRET_KEY=None)
    app.testing = True
    client = app.test_client(use_cookies=False)
    assert client.get("/nothing").text == "untouched"
    with pytest.raises(RuntimeError, match="secret key"):
        client.get("/count")


def test_a_bad_config_value_raises_when_the_class_is_built() -> None:
    app = make_app(SESSION_COOKIE_SAMESITE="sometimes")
    with pytest.raises(ConfigurationError, match="samesite='sometimes'"):
        app.session_interface.session_class(app)


def test_logout_deletes_the_cookie() -> None:
    client = make_app().test_client(use_cookies=False)
    cookie = cookie_value(client.get("/count").headers["Set-Cookie"])
    response = client.get("/logout", headers={"Cookie": f"session={cookie}"})
    assert response.headers["Set-Cookie"].startswith("session=; Max-Age=0; Path=/;") is True


def test_a_session_read_and_assigned_by_key_keeps_the_rest_of_its_state() -> None:
    from flask import jsonify, session

    app = make_app()

    def read_and_assign() -> Any:
        user = session.get("user")
        session["seen"] = 1
        return jsonify({"user": user})

    app.add_url_rule("/read-and-assign", view_func=read_and_assign)
    state = {"user": "ann", "filler": "x" * 500}
    cookie = f"session={mint(app.session_interface.session_class(app), state)}"
    client = app.test_client(use_cookies=False)
    response = client.get("/read-and-assign", headers={"Cookie": cookie})
    assert response.json == {"user": "ann"}
    stored = f"session={cookie_value(response.headers['Set-Cookie'])}"
    assert client.get("/read", headers={"Cookie": stored}).json == {**state, "seen": 1}


@pytest.mark.parametrize("path", ["/clear", "/pop", "/messages"])
def test_a_session_emptied_deletes_its_cookie_as_flask_does(path: str) -> None:
    from flask.sessions import SecureCookieSessionInterface

    first = "/flash" if path == "/messages" else "/count"
    outcomes = {}
    for name, interface in (("flask", SecureCookieSessionInterface()), ("ours", None)):
        app = make_app()
        if interface is not None:
            app.session_interface = interface
        client = app.test_client()
        client.get(first)
        emptied = client.get(path)
        deleted = [h for h in emptied.headers.get_all("Set-Cookie") if "Max-Age=0" in h]
        outcomes[name] = (len(deleted), client.get_cookie("session") is None)
    assert outcomes == {"flask": (1, True), "ours": (1, True)}


@pytest.mark.parametrize("first", [None, "/count"])
def test_popping_a_missing_key_changes_nothing_as_in_flask(first: str | None) -> None:
    from flask.sessions import SecureCookieSessionInterface

    sent = {}
    for name, interface in (("flask", SecureCookieSessionInterface()), ("ours", None)):
        app = make_app(SignedCookieSessionFactory(SECRET, reissue_time=None))
        if interface is not None:
            app.session_interface = interface
        client = app.test_client()
        if first is not None:
            client.get(first)
        sent[name] = client.get("/pop-missing").headers.get_all("Set-Cookie")
    assert sent == {"flask": [], "ours": []}


def test_an_empty_session_only_read_sends_no_cookie_as_flask() -> None:
    # Reads re-issue with reissue_time=0 once a second has passed (the clock here moves
    # 0.7 s a call), but an empty session that no one changed gets nothing, as in Flask:
    # neither "{}" nor a deletion.
    from flask.sessions import SecureCookieSessionInterface

    clock = FakeClock()

    def ticking() -> float:
        clock.advance(0.7)
        return clock()

    sent = {}
    for name, interface in (("flask", SecureCookieSessionInterface()), ("ours", None)):
        app = make_app(SignedCookieSessionFactory(SECRET, clock=ticking))
        if interface is not None:
            app.session_interface = interface
        sent[name] = app.test_client(use_cookies=False).get("/peek").headers.get_all("Set-Cookie")
    assert sent == {"flask": [], "ours": []}


@pytest.mark.parametrize(("set_on_exception", "expected"), [(True, 1), (False, 0)])
def test_an_unhandled_exception_is_a_failed_response(set_on_exception: bool, expected: int) -> None:
    app = make_app(SignedCookieSessionFactory(SECRET, set_on_exception=set_on_exception))
    response = app.test_client(use_cookies=False).get("/boom")
    assert response.status_code == 500
    assert len(response.headers.get_all("Set-Cookie")) == expected


def test_accessed_is_flask_s_flag_and_the_cookie_keeps_pyramid_s_timestamp() -> None:
    from cookiesession.flask import CookieSessionInterface

    clock = FakeClock(1_700_000_000)
    interface = CookieSessionInterface(SignedCookieSessionFactory(SECRET, clock=clock))
    cls = interface.session_class(make_app())
    assert cls is not None
    session = cast(Any, cls.from_cookie_value(None))
    assert (session.modified, session.accessed) == (False, False)
    clock.advance(30)
    session["n"] = 1
    assert (session.modified, session.accessed) == (True, True)
    header = session.set_cookie_header()
    assert payload_of(cookie_value(header))[0] == 1_700_000_030  # Pyramid's accessed, in the cookie
    session.modified = False
    assert (session.modified, session.set_cookie_header()) == (False, None)


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s["n"],
        lambda s: s.get("n"),
        lambda s: "n" in s,
        lambda s: len(s),
        lambda s: list(s.items()),
        lambda s: s.setdefault("m", 1),
        lambda s: s.__setitem__("m", 1),
        lambda s: s.pop("n"),
    ],
    ids=["getitem", "get", "contains", "len", "items", "setdefault", "setitem", "pop"],
)
def test_every_read_counts_as_flask_access(read: Callable[[Any], object]) -> None:
    # For Flask versions that do not assign `accessed` themselves (Vary: Cookie).
    from cookiesession.flask import CookieSessionInterface

    interface = CookieSessionInterface(SignedCookieSessionFactory(SECRET, clock=FakeClock(1_700_000_000)))
    cls = interface.session_class(make_app())
    assert cls is not None
    session = cls.from_cookie_value(None)
    dict.__setitem__(session, "n", 1)
    assert session.accessed is False
    read(session)
    assert session.accessed is True


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=255), max_size=300),
        st.builds(lambda v: f"session={v}", st.text(alphabet=st.characters(max_codepoint=255), max_size=300)),
    )
)
def test_no_cookie_header_makes_flask_fail(header: str) -> None:
    client = _HYPOTHESIS_APP.setdefault("client", make_app().test_client(use_cookies=False))
    response = client.get("/count", environ_overrides={"HTTP_COOKIE": header})
    assert (response.status_code, response.text) == (200, "1")


_HYPOTHESIS_APP: dict[str, Any] = {}


def test_a_session_of_another_interface_is_left_alone() -> None:
    from flask.sessions import SecureCookieSession

    app = make_app()
    response = app.response_class("body")
    app.session_interface.save_session(app, SecureCookieSession({"a": 1}), response)
    assert response.headers.get_all("Set-Cookie") == []


def test_session_classes_are_kept_per_config_and_built_again_when_it_changes() -> None:
    app = make_app()
    interface = app.session_interface
    first = interface.session_class(app)
    assert interface.session_class(app) is first
    app.config["SESSION_COOKIE_NAME"] = "renamed"
    renamed = interface.session_class(app)
    assert (renamed is first, renamed.cookie_name) == (False, "renamed")
    app.config["SESSION_COOKIE_NAME"] = "session"
    assert interface.session_class(app) is first
    for n in range(16):  # so many other configs that the first one is dropped
        app.config["SESSION_COOKIE_NAME"] = f"name{n}"
        interface.session_class(app)
    app.config["SESSION_COOKIE_NAME"] = "session"
    rebuilt = interface.session_class(app)
    assert (rebuilt is first, rebuilt.cookie_name) == (False, "session")


def test_tagged_values_are_plain_json_in_the_state_of_a_pyramid_style_cookie() -> None:
    from flask import session

    app = make_app()

    def store() -> str:
        session["pair"] = (1, b"\xff")
        session[" t"] = ["a key that looks like a tag"]
        session["text"] = "é"
        return "ok"

    app.add_url_rule("/store", view_func=store)
    app.add_url_rule("/load", view_func=lambda: repr(dict(session)))
    header = app.test_client(use_cookies=False).get("/store").headers["Set-Cookie"]
    token = cookie_value(header)
    accessed, created, state = payload = payload_of(token)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))[64:]
    assert (type(accessed), type(created), state) == (
        int,
        float,
        {"pair": {" t": [1, {" b": "/w=="}]}, " t": ["a key that looks like a tag"], "text": "é"},
    )
    assert raw == json.dumps(payload).encode("ascii")  # as json.dumps writes it
    client = app.test_client(use_cookies=False)
    response = client.get("/load", headers={"Cookie": f"session={token}"})
    assert response.text == repr({"pair": (1, b"\xff"), " t": ["a key that looks like a tag"], "text": "é"})


def test_an_explicit_factory_gets_flask_s_values_with_the_tagged_serializer() -> None:
    from flask import session

    from cookiesession.flask import TaggedStateSerializer

    seen: list[object] = []
    app = make_app(SignedCookieSessionFactory(SECRET, serializer=TaggedStateSerializer()))

    def store() -> str:
        session["pair"] = ("a", 1)
        return "ok"

    def load() -> str:
        seen.append(session["pair"])
        return "ok"

    app.add_url_rule("/store", view_func=store)
    app.add_url_rule("/load", view_func=load)
    client = app.test_client()
    client.get("/store")
    client.get("/load")
    assert seen == [("a", 1)]


def test_a_config_value_that_cannot_be_a_key_builds_its_class_each_time() -> None:
    from cookiesession.revocation import MemoryRevocationStore

    class UnhashableStore(MemoryRevocationStore):
        __hash__ = None  # type: ignore[assignment]

    app = make_app(COOKIESESSION_REVOCATION=UnhashableStore())
    interface = app.session_interface
    assert (interface.session_class(app) is interface.session_class(app)) is False
    client = app.test_client()
    assert [client.get("/count").text, client.get("/count").text] == ["1", "2"]


def test_the_tagged_serializer_leaves_a_payload_that_is_not_a_session_to_the_loader() -> None:
    from cookiesession.flask import TaggedStateSerializer

    serializer = TaggedStateSerializer()
    assert (serializer.loads(b'{" t": [1]}'), serializer.loads(b"[1, 2]"), repr(serializer)) == (
        {" t": [1]},
        [1, 2],
        "TaggedStateSerializer()",
    )
