"""max_cookies, compress and the rich serializer in each adapter's own settings, and what
each adapter does with the pieces (the round trips themselves are in
``test_large_sessions_frameworks``)."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from typing import Any

import pytest

from cookiesession import ConfigurationError, RichJSONSerializer, SessionTooLarge, SignedCookieSessionFactory
from tests import large_apps
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_header, names, noise, stored_state, written


def _has(*modules: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in modules)


def _emptied(client: Any) -> tuple[int, list[tuple[str, bool]]]:
    """Through one of ``large_apps``' clients: how many cookies a session too large for one
    is written in, then each cookie the answer to emptying it sets, and whether it deletes it."""
    pieces = len(client.put({"big": noise(8000)}))
    answered = client.put({})
    return pieces, [
        (name, "max-age=0" in each.lower()) for name, each in zip(names(answered), answered, strict=True)
    ]


# -- Pyramid ------------------------------------------------------------------------------------


def test_pyramid_settings_take_max_cookies_and_compress() -> None:
    require(_has("pyramid"), "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.max_cookies": " 3 ", "cookiesession.compress": "true"}
    )
    session = factory.from_cookie_header(None)
    session["big"] = noise(10000)
    assert names(session.set_cookie_headers()) == ["session", "session.1"]


@pytest.mark.parametrize("word", ["rich", " Rich "])
def test_pyramid_settings_take_the_rich_serializer(word: str) -> None:
    require(_has("pyramid"), "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.serializer": word}
    )
    session = factory.from_cookie_header(None)
    session["at"] = datetime(2024, 5, 1, 12, 0, 0, 7)
    header = session.set_cookie_headers()[0].split(";", 1)[0]
    assert stored_state(factory.from_cookie_header(header)) == {"at": datetime(2024, 5, 1, 12, 0, 0, 7)}


def test_an_unknown_pyramid_serializer_setting_is_refused() -> None:
    require(_has("pyramid"), "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    with pytest.raises(ConfigurationError) as caught:
        session_factory_from_settings({"cookiesession.secret": SECRET, "cookiesession.serializer": "pickle"})
    assert str(caught.value) == (
        "cookiesession.serializer='pickle': use json (the default), rich, or a serializer object"
    )


@pytest.mark.parametrize("value", ["three", "-1", "2.5", ""])
def test_a_pyramid_max_cookies_setting_that_is_no_count_names_the_setting(value: str) -> None:
    require(_has("pyramid"), "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    with pytest.raises(ConfigurationError) as caught:
        session_factory_from_settings({"cookiesession.secret": SECRET, "cookiesession.max_cookies": value})
    assert str(caught.value) == f"cookiesession.max_cookies={value!r} is not a whole number"


def test_a_pyramid_max_cookies_setting_out_of_range_names_the_setting() -> None:
    require(_has("pyramid"), "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    with pytest.raises(ConfigurationError) as caught:
        session_factory_from_settings({"cookiesession.secret": SECRET, "cookiesession.max_cookies": "11"})
    assert str(caught.value).startswith("cookiesession.max_cookies=11 is out of range")


def test_real_pyramid_reads_a_session_in_pieces_as_a_fresh_session() -> None:
    require(_has("pyramid", "webob"), "Pyramid")
    from pyramid.session import SignedCookieSessionFactory as PyramidFactory
    from pyramid.testing import DummyRequest

    ours = SignedCookieSessionFactory(SECRET, max_cookies=3)
    request = DummyRequest()
    request.cookies.update(
        dict(each.split(";", 1)[0].split("=", 1) for each in written(ours, {"big": noise(8000)}))
    )
    session = PyramidFactory(SECRET)(request)
    assert (session.new, dict(session)) == (True, {})


def test_the_encrypted_factory_in_pieces_through_wsgi() -> None:
    require(_has("webtest", "cryptography"), "WebTest and cryptography")
    client = large_apps.WSGIClient(large_apps.factory("rich", False, 3, encrypt=True))
    state = {"big": noise(8000), "when": datetime(2024, 5, 1, 12, 0, 0, 7, tzinfo=timezone.utc)}
    set_cookies = client.put(state)
    assert (len(set_cookies), client.read()) == (3, state)


# -- Starlette ----------------------------------------------------------------------------------


def test_the_starlette_dropin_names_a_bad_max_cookies_in_its_terms() -> None:
    require(_has("starlette"), "Starlette")
    from cookiesession.starlette import SessionMiddleware

    with pytest.raises(ConfigurationError, match=r"^max_cookies=0 is out of range"):
        SessionMiddleware(lambda scope, receive, send: None, secret_key=SECRET, max_cookies=0)  # type: ignore[arg-type,return-value]


def test_the_starlette_dropin_deletes_every_piece_when_the_session_is_cleared() -> None:
    require(_has("starlette", "httpx"), "Starlette and httpx")
    client = large_apps.StarletteClient(
        {"serializer": "json", "compress": False, "max_cookies": 3}, dropin=True
    )
    assert _emptied(client) == (3, [("session", True), ("session.1", True), ("session.2", True)])


# -- Flask --------------------------------------------------------------------------------------


def test_flask_config_keys_pick_the_rich_serializer_compression_and_pieces() -> None:
    require(_has("flask"), "Flask")
    client = large_apps.FlaskClient({"serializer": "rich", "compress": True, "max_cookies": 2})
    state = {"when": datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc), "pad": noise(8000)}
    assert (len(client.put(state)), client.read()) == (2, state)


def test_a_flask_session_emptied_deletes_every_piece() -> None:
    require(_has("flask"), "Flask")
    client = large_apps.FlaskClient({"serializer": "flask", "compress": False, "max_cookies": 3})
    assert _emptied(client) == (3, [("session", True), ("session.1", True), ("session.2", True)])


def test_an_unknown_flask_serializer_name_is_refused() -> None:
    require(_has("flask"), "Flask")
    from flask import Flask

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, COOKIESESSION_SERIALIZER="pickle")
    with pytest.raises(ConfigurationError) as caught:
        CookieSessionInterface().session_class(app)
    assert str(caught.value) == (
        "COOKIESESSION_SERIALIZER='pickle': use 'flask' (the default), 'rich', or a serializer object"
    )


def test_a_flask_serializer_object_is_used_as_it_is() -> None:
    require(_has("flask"), "Flask")
    from flask import Flask

    from cookiesession.flask import CookieSessionInterface

    serializer = RichJSONSerializer()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, COOKIESESSION_SERIALIZER=serializer)
    session_class = CookieSessionInterface().session_class(app)
    assert session_class is not None
    session = session_class.from_cookie_value(None)
    session["when"] = datetime(2024, 5, 1, 12, 0, 0, 7)
    token = session.token()
    assert stored_state(session_class.from_cookie_value(token)) == {"when": datetime(2024, 5, 1, 12, 0, 0, 7)}


# -- Django -------------------------------------------------------------------------------------


@pytest.fixture
def django_project() -> Any:
    require(_has("django"), "Django")
    from tests import django_project

    django_project.setup()
    return django_project


def test_django_max_cookies_needs_the_middleware_that_writes_pieces(django_project: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from cookiesession.django._config import session_factory

    with (
        override_settings(COOKIESESSION={"secret": SECRET, "max_cookies": 2}),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        session_factory()
    assert str(caught.value) == (
        "settings.COOKIESESSION['max_cookies'] needs 'cookiesession.django.middleware.SessionMiddleware' "
        "in MIDDLEWARE, in place of Django's SessionMiddleware (which reads and writes one cookie)"
    )


def test_django_with_one_cookie_is_answered_as_by_djangos_middleware(django_project: Any) -> None:
    client = large_apps.DjangoClient({"serializer": "json", "compress": False, "max_cookies": 1})
    set_cookies = client.put({"n": 1})
    assert (names(set_cookies), client.read()) == (["sessionid"], {"n": 1})


def test_django_deletes_the_pieces_a_smaller_session_no_longer_needs(django_project: Any) -> None:
    client = large_apps.DjangoClient({"serializer": "json", "compress": False, "max_cookies": 3})
    # Emptied with clear() (not flush()), Django stores the empty session, in one cookie.
    assert _emptied(client) == (3, [("sessionid", False), ("sessionid.1", True), ("sessionid.2", True)])
    assert client.read() == {}


def test_django_too_large_for_its_cookies_raises(django_project: Any) -> None:
    client = large_apps.DjangoClient({"serializer": "json", "compress": False, "max_cookies": 2})
    client.client.raise_request_exception = True
    with pytest.raises(SessionTooLarge) as caught:
        client.put({"big": noise(8000)})
    assert str(caught.value).startswith("Cookie value is too long to store (")


def test_a_session_read_back_after_pieces_is_whole() -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(), max_cookies=3)
    assert stored_state(factory.from_cookie_header(cookie_header(written(factory, {"b": noise(5000)})))) == {
        "b": noise(5000)
    }


def test_django_logout_deletes_every_piece(django_project: Any) -> None:
    from django.test import Client, override_settings

    middleware = [
        "cookiesession.django.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    options = {"secret": SECRET, "max_cookies": 3}
    with override_settings(MIDDLEWARE=middleware, COOKIESESSION=options):
        factory = SignedCookieSessionFactory(SECRET, cookie_name="sessionid", max_cookies=3)
        client = Client()
        for each in written(factory, {"big": noise(8000)}):
            name, value = each.split(";", 1)[0].split("=", 1)
            client.cookies[name] = value
        assert len(client.get("/read").json()["big"]) == 8000
        deleted = client.get("/logout").cookies
    assert {name: morsel["max-age"] for name, morsel in deleted.items()} == {
        "sessionid": 0,
        "sessionid.1": 0,
        "sessionid.2": 0,
    }


def test_django_middleware_leaves_another_engine_to_djangos_own(django_project: Any) -> None:
    from django.test import Client, override_settings

    middleware = [
        "cookiesession.django.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    signed_cookies = "django.contrib.sessions.backends.signed_cookies"
    with override_settings(MIDDLEWARE=middleware, SESSION_ENGINE=signed_cookies, COOKIESESSION=None):
        client = Client()
        written = client.get("/put", {"n": "5"}).cookies
        assert list(written) == ["sessionid"]
        assert client.get("/read").json() == {"n": 5}
