"""Where ``CookieSessionInterface()`` differs from Flask's ``SecureCookieSessionInterface``
on purpose: one test per difference listed in docs/migrating/flask.md, each showing
what Flask does and what we do, through Flask's test client."""

from __future__ import annotations

import hashlib
import warnings
from decimal import Decimal
from typing import Any

import pytest

from cookiesession import ConfigurationError, SessionNotSerializable, SignedCookieSessionFactory
from cookiesession.signing import SecretTooShortWarning
from tests.flask_app import KINDS, attributes, make_app, sent
from tests.session_harness import OTHER_SECRET, SECRET, cookie_value, signed_state


def _outcomes(check: Any) -> dict[str, Any]:
    return {kind: check(kind) for kind in KINDS}


def test_new_tells_a_session_that_came_without_a_valid_cookie() -> None:
    from flask import jsonify, session

    def news(kind: str) -> list[bool]:
        app = make_app(kind)
        app.add_url_rule("/new", "new", lambda: jsonify(session.new))
        client = app.test_client()
        first = client.get("/new").json
        client.get("/write")
        return [first, client.get("/new").json]

    # Flask's signed-cookie session leaves `new` False: it cannot tell.
    assert _outcomes(news) == {"flask": [False, False], "ours": [True, False]}


def test_an_in_place_change_is_saved_without_setting_modified() -> None:
    def carts(kind: str) -> str:
        client = make_app(kind).test_client()
        client.get("/cart?item=apple")
        client.get("/append?item=pear")
        return str(client.get("/cart?item=fig&mark=1").text)

    assert _outcomes(carts) == {"flask": "['apple', 'fig']", "ours": "['apple', 'pear', 'fig']"}


def test_setdefault_of_a_key_already_there_counts_as_a_change() -> None:
    def flags(kind: str) -> tuple[Any, int]:
        client = make_app(kind).test_client()
        client.get("/write")
        response = client.get("/flags/setdefault")
        return response.json, len(sent(response))

    assert _outcomes(flags) == {
        "flask": ({"modified": False, "accessed": True}, 0),
        "ours": ({"modified": True, "accessed": True}, 1),
    }


def test_a_cookie_only_a_fallback_key_verifies_is_re_signed_with_the_secret_key() -> None:
    def reissues(kind: str) -> tuple[int, str]:
        old = make_app(kind, SECRET_KEY=OTHER_SECRET).test_client(use_cookies=False)
        cookie = cookie_value(sent(old.get("/write"))[0])
        rotated = make_app(kind, SECRET_KEY_FALLBACKS=[OTHER_SECRET]).test_client(use_cookies=False)
        reissued = sent(rotated.get("/read", headers={"Cookie": f"session={cookie}"}))
        if not reissued:
            return 0, "nothing re-sent"
        latest = make_app(kind).test_client(use_cookies=False)  # the old key dropped
        return len(reissued), str(latest.get("/read", headers={"Cookie": reissued[0].split(";")[0]}).text)

    assert _outcomes(reissues) == {"flask": (0, "nothing re-sent"), "ours": (1, "1")}


def test_the_cookie_is_cookiesession_s_format_not_flask_s() -> None:
    def written_by(kind: str) -> str:
        return cookie_value(sent(make_app(kind).test_client(use_cookies=False).get("/write"))[0])

    flask_cookie, our_cookie = written_by("flask"), written_by("ours")
    ours, flask = make_app("ours").test_client(), make_app("flask").test_client()
    ours.set_cookie("session", flask_cookie)
    flask.set_cookie("session", our_cookie)
    # Each reads the other's cookie as no session; cookiesession's adapters read ours.
    assert [ours.get("/read").text, flask.get("/read").text] == ["None", "None"]
    pyramid_style = SignedCookieSessionFactory(SECRET).from_cookie_value(our_cookie)
    assert dict(pyramid_style) == {"n": 1}


def test_the_set_cookie_header_is_written_as_pyramid_writes_it() -> None:
    def spelled(kind: str) -> list[list[str]]:
        client = make_app(kind).test_client()
        permanent = sent(client.get("/permanent/1"))[0]
        deleted = sent(client.get("/clear"))[0]
        return [[part.split("=")[0] for part in header.split("; ")[1:]] for header in (permanent, deleted)]

    assert _outcomes(spelled) == {
        "flask": [["Expires", "HttpOnly", "Path"], ["Expires", "Max-Age", "HttpOnly", "Path"]],
        "ours": [["Max-Age", "Path", "expires", "HttpOnly"], ["Max-Age", "Path", "expires", "HttpOnly"]],
    }


def test_a_cookie_browsers_would_drop_is_a_configuration_error() -> None:
    config = {"SESSION_COOKIE_SAMESITE": "None"}  # without SESSION_COOKIE_SECURE
    flask_app = make_app("flask", **config)
    assert attributes(sent(flask_app.test_client().get("/write"))[0])["samesite"] == "none"
    app = make_app("ours", **config)
    with pytest.raises(ConfigurationError, match="samesite='none' needs secure=True"):
        app.session_interface.session_class(app)


def test_a_secret_key_shorter_than_the_digest_warns() -> None:
    def warned(kind: str) -> list[type[Warning]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make_app(kind, SECRET_KEY="short").test_client().get("/write")
        return [w.category for w in caught]

    assert _outcomes(warned) == {"flask": [], "ours": [SecretTooShortWarning]}


def test_a_value_that_tagged_json_cannot_carry_is_refused() -> None:
    from flask import session

    def stored(kind: str) -> str:
        app = make_app(kind)
        app.testing = True
        app.add_url_rule("/decimal", "decimal", lambda: session.__setitem__("price", Decimal("1.50")) or "ok")
        app.add_url_rule("/price", "price", lambda: repr(session.get("price")))
        client = app.test_client()
        try:
            client.get("/decimal")
        except SessionNotSerializable as exc:
            return str(exc)
        return str(client.get("/price").text)

    assert _outcomes(stored) == {
        "flask": "'1.50'",  # Flask's JSON provider wrote it as a string
        "ours": (
            "session['price'] cannot be stored in a cookie: Object of type Decimal is not JSON serializable"
        ),
    }


def test_a_signed_cookie_whose_tagged_value_does_not_parse_is_a_fresh_session() -> None:
    from itsdangerous import BadPayload, URLSafeTimedSerializer

    # Signed with the app's own key, by some other program: a tuple tag around a number.
    state = {"n": {" t": 5}}
    flask_signer = URLSafeTimedSerializer(
        SECRET, salt="cookie-session", signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1}
    )
    cookies = {"flask": flask_signer.dumps(state), "ours": signed_state(state)}

    def read(kind: str) -> str:
        app = make_app(kind)
        app.testing = True
        client = app.test_client(use_cookies=False)
        try:
            return str(client.get("/read", headers={"Cookie": f"session={cookies[kind]}"}).text)
        except BadPayload:  # Flask's 500
            return "error"

    assert _outcomes(read) == {"flask": "error", "ours": "None"}


def test_get_expiration_time_is_not_consulted() -> None:
    from flask.sessions import SecureCookieSessionInterface

    from cookiesession.flask import CookieSessionInterface

    class BrowserSessionsOnly:
        def get_expiration_time(self, app: Any, session: Any) -> None:
            return None

    def lifetime(kind: str) -> str:
        base = CookieSessionInterface if kind == "ours" else SecureCookieSessionInterface
        interface = type("Short", (BrowserSessionsOnly, base), {})()
        header = sent(make_app(kind, interface).test_client().get("/permanent/1"))[0]
        return attributes(header)["lifetime"]

    # Ours dates a permanent cookie from PERMANENT_SESSION_LIFETIME, the idle timeout too.
    assert _outcomes(lifetime) == {"flask": "browser-session", "ours": "persistent"}
