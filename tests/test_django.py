"""``cookiesession.django``: its cookie, its settings, and each deliberate difference
from Django's ``signed_cookies`` engine (the behaviour both share is in
``test_django_sessions.py``)."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import (
    EncryptedCookieSessionFactory,
    SessionTooLarge,
    SignedCookieSessionFactory,
)
from cookiesession.revocation import MemoryRevocationStore
from tests.django_support import engine, project, session_store, using
from tests.session_harness import NOW, OTHER_SECRET, SECRET, FakeClock, mint, payload_of, signed_state

__all__ = ["engine", "project"]  # fixtures

OURS = "cookiesession.django"
DJANGOS = "django.contrib.sessions.backends.signed_cookies"


def _client(**kwargs: Any) -> Any:
    from django.test import Client

    return Client(**kwargs)


def _options(**extra: Any) -> dict[str, Any]:
    return {"secret": SECRET, **extra}


# -- the cookie ----------------------------------------------------------------------------------


def test_the_cookie_is_a_pyramid_session_cookie(project: Any) -> None:
    with using(COOKIESESSION=_options(clock=FakeClock())):
        value = _client().get("/count").cookies["sessionid"].value
    assert payload_of(value) == [int(NOW), NOW, {"n": 1}]
    assert dict(SignedCookieSessionFactory(SECRET, clock=FakeClock()).from_cookie_value(value)) == {"n": 1}


def test_a_cookie_a_pyramid_factory_wrote_is_read_and_changed(project: Any) -> None:
    client = _client()
    client.cookies["sessionid"] = mint(SignedCookieSessionFactory(SECRET), {"n": 41})
    assert client.get("/count").content == b"42"


def test_django_decides_when_to_save_so_values_read_are_not_watched(
    project: Any, snapshots_taken: list[Any]
) -> None:
    # Django writes the cookie when `modified` says so (a change inside a value needs
    # `request.session.modified = True`, as Django documents), so the session takes no
    # snapshots of the values it hands out.
    store = session_store(OURS, mint(SignedCookieSessionFactory(SECRET), {"cart": [1], "n": 2}))
    store["cart"].append(3)
    assert list(store.items()) == [("cart", [1, 3]), ("n", 2)]
    assert (snapshots_taken, store.modified) == ([], False)


def test_the_created_time_is_kept_across_saves(project: Any) -> None:
    clock = FakeClock()
    with using(COOKIESESSION=_options(clock=clock)):
        client = _client()
        client.get("/count")
        clock.advance(30)
        value = client.get("/count").cookies["sessionid"].value
    assert payload_of(value) == [int(NOW + 30), NOW, {"n": 2}]


def test_salt_fallback_secrets_and_encryption_come_from_cookiesession(project: Any) -> None:
    client = _client()
    client.cookies["sessionid"] = signed_state({"n": 1}, secret=OTHER_SECRET)
    with using(COOKIESESSION=_options(fallback_secrets=[OTHER_SECRET], clock=FakeClock())):
        assert client.get("/count").content == b"2"
    resigned = client.cookies["sessionid"].value
    assert dict(SignedCookieSessionFactory(SECRET, clock=FakeClock()).from_cookie_value(resigned)) == {"n": 2}
    with using(COOKIESESSION=_options(encrypt=True, salt="another.salt")):
        value = _client().get("/count").cookies["sessionid"].value
    factory = EncryptedCookieSessionFactory(SECRET, cookie_name="sessionid", salt="another.salt")
    assert dict(factory.from_cookie_value(value)) == {"n": 1}


def test_session_cookie_age_is_the_idle_timeout_and_absolute_timeout_holds(project: Any) -> None:
    clock = FakeClock()
    with using(SESSION_COOKIE_AGE=600, COOKIESESSION=_options(clock=clock, absolute_timeout=1000)):
        client = _client()
        client.get("/count")
        clock.advance(601)
        assert client.get("/count").content == b"1"  # idle for longer than the cookie age
        clock.advance(590)
        assert client.get("/count").content == b"2"
        clock.advance(590)
        assert client.get("/count").content == b"1"  # active, but 1180 s old


# -- deliberate differences from signed_cookies ----------------------------------------------------


@pytest.mark.parametrize(("name", "deleted"), [(OURS, True), (DJANGOS, False)])
def test_a_refused_cookie_is_deleted_not_reissued_empty(project: Any, name: str, deleted: bool) -> None:
    with using(SESSION_ENGINE=name):
        client = _client()
        client.cookies["sessionid"] = "not-a-valid-session-cookie"
        morsel = client.get("/read").cookies["sessionid"]
    assert (morsel.value == "", morsel["max-age"] == 0) == (deleted, deleted)


@pytest.mark.parametrize(("name", "refused"), [(OURS, True), (DJANGOS, False)])
def test_with_revocation_a_copy_of_a_logged_out_cookie_is_refused(
    project: Any, name: str, refused: bool
) -> None:
    with using(SESSION_ENGINE=name, COOKIESESSION=_options(revocation="memory")):
        client = _client()
        client.get("/login", {"user": "alice", "password": project.PASSWORD})
        stolen = client.cookies["sessionid"].value
        client.get("/logout")
        thief = _client()
        thief.cookies["sessionid"] = stolen
        assert thief.get("/whoami").content == (b"" if refused else b"alice")


def test_a_logout_in_django_is_refused_by_every_app_sharing_the_store(project: Any) -> None:
    store = MemoryRevocationStore()
    pyramid_factory = SignedCookieSessionFactory(
        SECRET, cookie_name="sessionid", timeout=1209600, revocation=store
    )
    with using(COOKIESESSION=_options(revocation=store)):
        client = _client()
        client.get("/login", {"user": "alice", "password": project.PASSWORD})
        copy = client.cookies["sessionid"].value
        assert "_auth_user_id" in pyramid_factory.from_cookie_value(copy)
        client.get("/logout")
    assert dict(pyramid_factory.from_cookie_value(copy)) == {}


@pytest.mark.parametrize(("name", "refused"), [(OURS, True), (DJANGOS, False)])
def test_login_ends_the_anonymous_session(project: Any, name: str, refused: bool) -> None:
    with using(SESSION_ENGINE=name, COOKIESESSION=_options(revocation="memory")):
        client = _client()
        client.get("/count")
        anonymous = client.cookies["sessionid"].value
        client.get("/login", {"user": "alice", "password": project.PASSWORD})
        replay = _client()
        replay.cookies["sessionid"] = anonymous
        assert replay.get("/count").content == (b"1" if refused else b"2")
        assert client.get("/count").content == b"2"  # the data came along


def test_cycle_key_gives_a_new_key_at_once(project: Any) -> None:
    session = session_store(OURS)
    session["user"] = "alice"
    session.save()
    before = session.session_key
    session.cycle_key()
    session.save()
    assert (session.session_key != before, dict(session.items())) == (True, {"user": "alice"})


@pytest.mark.parametrize("name", [OURS, DJANGOS])
def test_a_session_too_large_for_a_cookie_raises(project: Any, name: str) -> None:
    big = {"big": json.dumps(secrets.token_urlsafe(4000))}  # random: Django compresses its cookie
    with using(SESSION_ENGINE=name):
        if name == OURS:
            with pytest.raises(SessionTooLarge):
                _client().get("/put", big)
        else:  # a cookie the browser would drop
            response = _client().get("/put", big)
            assert len(response.cookies["sessionid"].value) > 4096


# -- revocation from async and from other keys ----------------------------------------------------


def test_flush_after_an_async_load_records_the_revocation(project: Any) -> None:
    store = MemoryRevocationStore()
    with using(COOKIESESSION=_options(revocation=store)):
        first = session_store(OURS)
        first["user"] = "alice"
        first.save()
        key = first.session_key
        again = session_store(OURS, key)
        assert asyncio.run(again.aget("user")) == "alice"
        again.flush()
        assert (again.session_key, dict(session_store(OURS, key).items())) == (None, {})


def test_deleting_another_key_revokes_that_session(project: Any) -> None:
    with using(COOKIESESSION=_options(revocation="memory")):
        keys = []
        for _ in range(3):
            other = session_store(OURS)
            other["user"] = "alice"
            other.save()
            keys.append(other.session_key)
        admin = session_store(OURS)
        admin.delete(keys[0])
        asyncio.run(admin.adelete(keys[1]))
        assert [session_store(OURS, key).get("user") for key in keys] == [None, None, "alice"]


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "settings.COOKIESESSION is required"),
        ("secret", "settings.COOKIESESSION must be a dict, not str"),
        ({}, "settings.COOKIESESSION['secret'] is required"),
        ({"secret": SECRET, "secrett": 1}, "settings.COOKIESESSION has an unknown key 'secrett'"),
        (
            {"secret": SECRET, "timeout": 60},
            "settings.COOKIESESSION['timeout']: set Django's SESSION_COOKIE_AGE",
        ),
        (
            {"secret": SECRET, "encrypt": True, "hashalg": "sha256"},
            "settings.COOKIESESSION['hashalg'] cannot",
        ),
        ({"secret": SECRET, "revocation": "mongodb://x"}, "settings.COOKIESESSION (with Django's"),
        ({"secret": SECRET, "absolute_timeout": -1}, "settings.COOKIESESSION (with Django's"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(project: Any, options: Any, message: str) -> None:
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    with using(COOKIESESSION=options), pytest.raises(ImproperlyConfigured) as raised:
        apps.get_app_config("cookiesession").ready()
    assert str(raised.value).startswith(message) is True


def test_a_bad_cookie_name_prefix_is_refused_at_start_up(project: Any) -> None:
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    with using(SESSION_COOKIE_NAME="__Host-sid"), pytest.raises(ImproperlyConfigured) as raised:
        apps.get_app_config("cookiesession").ready()
    assert "__Host- prefix needs secure=True" in str(raised.value)


def test_the_factory_is_built_once_per_settings_value(project: Any) -> None:
    from cookiesession.django._config import session_factory

    first = session_factory()
    assert session_factory() is first
    with using(COOKIESESSION=_options(salt="other")):
        other = session_factory()
        assert (other is first, session_factory() is other) == (False, True)


def test_importing_cookiesession_does_not_import_django() -> None:
    probe = (
        "import sys; sys.modules['django'] = None; "
        "import cookiesession, cookiesession.wsgi, cookiesession.asgi; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "ok")


# -- bad input -----------------------------------------------------------------------------------

_HOSTILE = [
    "",
    "x",
    "a" * 5000,
    "é" * 40,
    signed_state({"n": 1})[:-3],
    signed_state({"n": 1}, secret=OTHER_SECRET),
    signed_state(["not", "a", "dict"]),
    '"quoted\\"value"',
]


@pytest.mark.parametrize("value", _HOSTILE)
def test_a_hostile_cookie_never_makes_django_answer_500(project: Any, value: str) -> None:
    client = _client(raise_request_exception=False)
    for url in ("/count", "/whoami", "/shown", "/logout"):
        response = client.get(url, HTTP_COOKIE=f"sessionid={value}")
        assert response.status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(codec="latin-1", exclude_characters=";\r\n"), max_size=300))
def test_any_cookie_text_gives_a_working_session(project: Any, value: str) -> None:
    response = _client(raise_request_exception=False).get("/count", HTTP_COOKIE=f"sessionid={value}")
    assert (response.status_code, response.content) == (200, b"1")


def test_the_engine_stores_nothing_on_the_server(project: Any) -> None:
    from cookiesession.django import SessionStore

    session = SessionStore()
    session.create()
    asyncio.run(session.acreate())
    SessionStore.clear_expired()
    asyncio.run(SessionStore.aclear_expired())
    assert (session.exists("any"), asyncio.run(session.aexists("any")), session.modified) == (
        False,
        False,
        True,
    )
