"""Flask's documented session behaviour, stated once and checked against Flask's own
``SecureCookieSessionInterface`` and against ours, both driven by Flask's test client.

Every test here passes with both interfaces; what differs on purpose is in
``test_flask_differences.py``, and the apps are in ``flask_app.py``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import pytest

from tests.flask_app import KINDS, attributes, make_app, sent, varies
from tests.session_harness import OTHER_SECRET, cookie_value


@pytest.mark.parametrize("kind", KINDS)
def test_a_modified_session_is_written_as_a_browser_session_cookie(kind: str) -> None:
    response = make_app(kind).test_client(use_cookies=False).get("/write")
    (header,) = sent(response)
    assert (header.split("=", 1)[0], attributes(header), varies(response)) == (
        "session",
        {"httponly": "", "path": "/", "lifetime": "browser-session"},
        ["Cookie"],
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_session_round_trips_through_the_cookie(kind: str) -> None:
    client = make_app(kind).test_client()
    assert [client.get("/write").text, client.get("/write").text, client.get("/read").text] == ["1", "2", "2"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_that_never_uses_the_session_gets_no_cookie_and_no_vary(kind: str) -> None:
    client = make_app(kind).test_client()
    client.get("/write")
    response = client.get("/nothing")
    assert (sent(response), varies(response)) == ([], [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("refresh", [True, False])
def test_a_session_only_read_varies_and_is_not_re_sent_unless_permanent_and_refreshed(
    kind: str, refresh: bool
) -> None:
    client = make_app(kind, SESSION_REFRESH_EACH_REQUEST=refresh).test_client()
    client.get("/write")
    read = client.get("/read")
    assert (read.text, sent(read), varies(read)) == ("1", [], ["Cookie"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", ["/read", "/nothing"])
def test_a_permanent_session_is_refreshed_on_every_request_with_refresh_on(kind: str, path: str) -> None:
    client = make_app(kind).test_client()
    first = client.get("/permanent/1")
    assert attributes(sent(first)[0])["lifetime"] == "persistent"
    response = client.get(path)
    (header,) = sent(response)
    assert (attributes(header)["lifetime"], varies(response)) == ("persistent", ["Cookie"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_permanent_session_is_written_only_when_modified_with_refresh_off(kind: str) -> None:
    client = make_app(kind, SESSION_REFRESH_EACH_REQUEST=False).test_client()
    client.get("/permanent/1")
    untouched, read, written = client.get("/nothing"), client.get("/read"), client.get("/write")
    assert [sent(untouched), sent(read), varies(untouched), varies(read)] == [[], [], [], ["Cookie"]]
    assert (written.text, attributes(sent(written)[0])["lifetime"]) == ("2", "persistent")


@pytest.mark.parametrize("kind", KINDS)
def test_a_session_made_permanent_then_not_again_gets_a_browser_session_cookie(kind: str) -> None:
    client = make_app(kind).test_client()
    client.get("/permanent/1")
    response = client.get("/permanent/0")
    assert (response.text, attributes(sent(response)[0])["lifetime"]) == ("2", "browser-session")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("op", "modified", "cookie_sent"),
    [
        ("nothing", False, False),
        ("read", False, False),
        ("write", True, True),
        ("pop-missing", False, False),
        ("pop", True, True),
        ("permanent", True, True),
        ("mark", True, True),
    ],
)
def test_modified_and_accessed_flags(kind: str, op: str, modified: bool, cookie_sent: bool) -> None:
    client = make_app(kind).test_client()
    client.get("/write")
    client.get("/write")  # a session holding n=2, so that popping it leaves "n" out but not empty
    client.get("/flash")
    response = client.get(f"/flags/{op}")
    assert (response.json, bool(sent(response)), varies(response)) == (
        {"modified": modified, "accessed": True},
        cookie_sent,
        ["Cookie"],
    )


COOKIE_CONFIGS: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {
    "everything": (
        {
            "SESSION_COOKIE_NAME": "sid",
            "SESSION_COOKIE_DOMAIN": "example.com",
            "SESSION_COOKIE_PATH": "/app",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_PARTITIONED": True,
        },
        "sid",
        {
            "domain": "example.com",
            "path": "/app",
            "secure": "",
            "httponly": "",
            "samesite": "strict",
            "partitioned": "",
            "lifetime": "browser-session",
        },
    ),
    "not httponly, lax": (
        {"SESSION_COOKIE_HTTPONLY": False, "SESSION_COOKIE_SAMESITE": "Lax"},
        "session",
        {"path": "/", "samesite": "lax", "lifetime": "browser-session"},
    ),
    "partitioned implies secure": (
        {"SESSION_COOKIE_PARTITIONED": True},
        "session",
        {"path": "/", "secure": "", "httponly": "", "partitioned": "", "lifetime": "browser-session"},
    ),
    "path from the application root": (
        {"APPLICATION_ROOT": "/root"},
        "session",
        {"path": "/root", "httponly": "", "lifetime": "browser-session"},
    ),
    "samesite none with secure": (
        {"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True},
        "session",
        {"path": "/", "secure": "", "httponly": "", "samesite": "none", "lifetime": "browser-session"},
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", COOKIE_CONFIGS)
def test_the_cookie_attributes_come_from_the_config(kind: str, case: str) -> None:
    config, name, expected = COOKIE_CONFIGS[case]
    header = sent(make_app(kind, **config).test_client(use_cookies=False).get("/write"))[0]
    assert (header.split("=", 1)[0], attributes(header)) == (name, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_config_changed_after_the_first_request_is_honoured(kind: str) -> None:
    app = make_app(kind)
    client = app.test_client(use_cookies=False)
    first = sent(client.get("/write"))[0]
    cookie = {"Cookie": f"session={cookie_value(first)}"}
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=True)
    second = client.get("/write", headers=cookie)
    assert (second.text, attributes(sent(second)[0])) == (
        "2",
        {"path": "/", "secure": "", "httponly": "", "samesite": "lax", "lifetime": "browser-session"},
    )
    app.config.update(SESSION_COOKIE_NAME="renamed")
    renamed = client.get("/write", headers=cookie)  # the old name is not read any more
    assert (renamed.text, sent(renamed)[0].split("=", 1)[0]) == ("1", "renamed")
    app.config.update(SECRET_KEY=OTHER_SECRET, SESSION_COOKIE_NAME="session")
    assert client.get("/write", headers=cookie).text == "1"  # signed with the old key


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_each_request_changed_after_the_first_request_is_honoured(kind: str) -> None:
    app = make_app(kind)
    client = app.test_client()
    client.get("/permanent/1")
    refreshed = client.get("/nothing")
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert (len(sent(refreshed)), sent(client.get("/nothing"))) == (1, [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("first", ["/write", "/flash", None])
def test_a_session_emptied_deletes_the_cookie(kind: str, first: str | None) -> None:
    client = make_app(kind).test_client()
    if first is not None:
        client.get(first)
    emptied = client.get("/clear" if first != "/flash" else "/messages")
    (header,) = sent(emptied)
    assert (attributes(header), varies(emptied), client.get_cookie("session")) == (
        {"httponly": "", "path": "/", "lifetime": "deleted"},
        ["Cookie"],
        None,
    )


TAGGED = {
    "tuple": (1, "two", (3.5, None)),
    "bytes": b"\x00\xffraw",
    "datetime": datetime(2024, 2, 29, 12, 30, 5, tzinfo=timezone.utc),
    "uuid": UUID("12345678-1234-5678-1234-567812345678"),
    "looks like a tag": {" t": ["not", "a", "tuple"]},
    "nested": [("a", 1), {"k": (b"z", {" di": 1})}],
    "plain": {"list": [1, 2], "text": "é"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_flask_tagged_values_round_trip(kind: str) -> None:
    from flask import session
    from markupsafe import Markup

    app = make_app(kind)
    seen: list[dict[str, Any]] = []

    def store() -> str:
        session.update(TAGGED)
        session["markup"] = Markup("<b>bold</b>")
        return "stored"

    def load() -> str:
        seen.append(dict(session))
        return "loaded"

    app.add_url_rule("/store", view_func=store)
    app.add_url_rule("/load", view_func=load)

    client = app.test_client()
    client.get("/store")
    client.get("/load")
    (loaded,) = seen
    markup = loaded.pop("markup")
    assert (loaded, type(markup), markup) == (TAGGED, Markup, "<b>bold</b>")


@pytest.mark.parametrize("kind", KINDS)
def test_flash_with_categories_gives_back_tuples(kind: str) -> None:
    client = make_app(kind).test_client()
    client.get("/flash")
    assert [client.get("/messages").text, client.get("/messages").text] == [
        "[('info', 'saved'), ('warning', 'careful')]",
        "[]",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_secret_key_fallbacks_read_cookies_of_an_older_key(kind: str) -> None:
    old = make_app(kind, SECRET_KEY=OTHER_SECRET).test_client(use_cookies=False)
    cookie = {"Cookie": f"session={cookie_value(sent(old.get('/write'))[0])}"}
    rotated = make_app(kind, SECRET_KEY_FALLBACKS=[OTHER_SECRET]).test_client(use_cookies=False)
    without = make_app(kind).test_client(use_cookies=False)
    assert [rotated.get("/read", headers=cookie).text, without.get("/read", headers=cookie).text] == [
        "1",
        "None",
    ]
    assert rotated.get("/write", headers=cookie).text == "2"


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_secret_key_the_null_session_explains(kind: str) -> None:
    app = make_app(kind, SECRET_KEY=None)
    app.testing = True
    client = app.test_client()
    assert client.get("/read").text == "None"
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/write")


@pytest.mark.parametrize("kind", KINDS)
def test_vary_cookie_is_merged_into_the_view_s_vary(kind: str) -> None:
    client = make_app(kind).test_client()
    client.get("/write")
    assert varies(client.get("/vary-merged")) == ["Accept-Encoding, Cookie"]


@pytest.mark.parametrize("kind", KINDS)
def test_setting_modified_saves_an_in_place_change(kind: str) -> None:
    client = make_app(kind).test_client()
    client.get("/cart?item=apple")
    client.get("/cart?item=pear&mark=1")
    assert client.get("/cart?item=fig&mark=1").text == "['apple', 'pear', 'fig']"


@pytest.mark.parametrize("kind", KINDS)
def test_session_transaction_in_tests(kind: str) -> None:
    client = make_app(kind).test_client()
    with client.session_transaction() as session:
        session["n"] = 41
    assert client.get("/write").text == "42"
    with client.session_transaction() as session:
        assert session["n"] == 42


@pytest.mark.parametrize("kind", KINDS)
def test_an_unhandled_exception_still_saves_the_session(kind: str) -> None:
    client = make_app(kind).test_client()
    response = client.get("/boom")
    assert (response.status_code, len(sent(response)), client.get("/read").text) == (500, 1, "99")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cookie", ["garbage", "", "a.b.c", "session=\x00", '"quoted"'])
def test_a_bad_cookie_is_a_fresh_session(kind: str, cookie: str) -> None:
    client = make_app(kind).test_client(use_cookies=False)
    response = client.get("/write", headers={"Cookie": f"session={cookie}"})
    assert (response.status_code, response.text) == (200, "1")


class _OwnCookieAttributes:
    """A subclass hook Flask documents: the cookie's attributes from methods."""

    def get_cookie_name(self, app: Any) -> str:
        return "chosen"

    def get_cookie_domain(self, app: Any) -> str:
        return "example.org"

    def get_cookie_samesite(self, app: Any) -> str:
        return "Strict"


@pytest.mark.parametrize("kind", KINDS)
def test_a_subclass_s_get_cookie_methods_are_honoured(kind: str) -> None:
    from flask.sessions import SecureCookieSessionInterface

    from cookiesession.flask import CookieSessionInterface

    base = CookieSessionInterface if kind == "ours" else SecureCookieSessionInterface
    interface = type("Chosen", (_OwnCookieAttributes, base), {})()
    client = make_app(kind, interface).test_client(use_cookies=False)
    header = sent(client.get("/write"))[0]
    again = client.get("/write", headers={"Cookie": f"chosen={cookie_value(header)}"})
    assert (header.split("=", 1)[0], attributes(header), again.text) == (
        "chosen",
        {
            "domain": "example.org",
            "path": "/",
            "httponly": "",
            "samesite": "strict",
            "lifetime": "browser-session",
        },
        "2",
    )
