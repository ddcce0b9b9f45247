"""Django's documented session behaviour, the same with Django's ``signed_cookies``
engine and with ``cookiesession.django``: every test here runs with both."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.django_support import engine, project, session_store, using

__all__ = ["engine", "project"]  # fixtures


def _client(**kwargs: Any) -> Any:
    from django.test import Client

    return Client(**kwargs)


def _saved(session: Any) -> Any:
    """``session`` saved, then loaded again from its key, as the next request would."""
    session.save()
    return session_store(type(session).__module__, session.session_key)


# -- the dict API ----------------------------------------------------------------------------


def test_items_get_pop_setdefault_and_update_survive_a_save(engine: str) -> None:
    session = session_store(engine)
    session["user"] = "alice"
    session.update({"cart": [1, 2], "gone": True})
    assert session.setdefault("theme", "dark") == "dark"
    assert session.setdefault("theme", "light") == "dark"
    assert session.pop("gone") is True
    assert session.pop("gone", "default") == "default"
    del session["cart"]
    again = _saved(session)
    assert dict(again.items()) == {"user": "alice", "theme": "dark"}
    assert again.get("user") == "alice"
    assert again.get("missing", 7) == 7
    assert ("theme" in again, "cart" in again) == (True, False)
    assert sorted(again.keys()) == ["theme", "user"]
    assert sorted(again.values()) == ["alice", "dark"]
    assert again.has_key("user") is True


def test_pop_of_a_missing_key_raises_key_error(engine: str) -> None:
    with pytest.raises(KeyError):
        session_store(engine).pop("missing")


def test_is_empty_until_something_is_stored(engine: str) -> None:
    session = session_store(engine)
    assert session.is_empty() is True
    session["k"] = 1
    assert session.is_empty() is False


def test_modified_and_accessed_flags(engine: str) -> None:
    session = session_store(engine)
    assert (session.accessed, session.modified) == (False, False)
    session.get("k")
    assert (session.accessed, session.modified) == (True, False)
    session["k"] = 1
    assert session.modified is True


def test_flush_empties_the_session_and_drops_its_key(engine: str) -> None:
    session = _saved(_with(engine, user="alice"))
    session.flush()
    assert (dict(session.items()), session.session_key, session.is_empty()) == ({}, None, True)


def test_cycle_key_keeps_the_data(engine: str) -> None:
    # (Django's signed_cookies gives the same key back within the same second; that
    # the old key stops working is ours, see test_django.py.)
    session = _saved(_with(engine, user="alice"))
    session.cycle_key()
    assert session.modified is True
    assert dict(_saved(session).items()) == {"user": "alice"}


def test_the_test_cookie(engine: str) -> None:
    session = session_store(engine)
    session.set_test_cookie()
    again = _saved(session)
    assert again.test_cookie_worked() is True
    again.delete_test_cookie()
    assert again.test_cookie_worked() is False


def _with(engine: str, **state: Any) -> Any:
    session = session_store(engine)
    session.update(state)
    return session


# -- expiry ------------------------------------------------------------------------------------


def test_set_expiry_in_seconds(engine: str) -> None:
    session = session_store(engine)
    session.set_expiry(300)
    again = _saved(session)
    assert (again.get_expiry_age(), again.get_expire_at_browser_close()) == (300, False)


def test_set_expiry_zero_expires_at_browser_close(engine: str) -> None:
    session = session_store(engine)
    session.set_expiry(0)
    again = _saved(session)
    assert again.get_expire_at_browser_close() is True


def test_set_expiry_none_returns_to_the_settings(engine: str) -> None:
    from django.conf import settings

    session = session_store(engine)
    session.set_expiry(300)
    session.set_expiry(None)
    again = _saved(session)
    assert again.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert again.get_expire_at_browser_close() is False
    with using(SESSION_EXPIRE_AT_BROWSER_CLOSE=True):
        assert again.get_expire_at_browser_close() is True


def test_set_expiry_to_a_datetime_and_a_timedelta(engine: str) -> None:
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    session = session_store(engine)
    session.set_expiry(when)
    again = _saved(session)
    assert again.get_expiry_date() == when
    assert again.get_expiry_age(modification=when - timedelta(seconds=90)) == 90
    session.set_expiry(timedelta(hours=1))
    expiry = _saved(session).get_expiry_date()
    assert timedelta(minutes=59) < expiry - datetime.now(timezone.utc) <= timedelta(hours=1)


# -- the async API -------------------------------------------------------------------------------


def test_the_async_methods(engine: str) -> None:
    async def scenario() -> list[Any]:
        session = session_store(engine)
        await session.aset("user", "alice")
        await session.aupdate({"n": 1, "gone": 2})
        assert await session.asetdefault("n", 5) == 1
        assert await session.apop("gone") == 2
        await session.aset_expiry(600)
        await session.asave()
        again = session_store(engine, session.session_key)
        seen: list[Any] = [
            await again.aget("user"),
            await again.ahas_key("n"),
            sorted(await again.akeys()),
            await again.aget_expiry_age(),
            await again.aget_expire_at_browser_close(),
        ]
        await again.acycle_key()
        await again.asave()
        seen.append(await session_store(engine, again.session_key).aget("user"))
        await again.aset_test_cookie()
        seen.append(await again.atest_cookie_worked())
        await again.aflush()
        seen.append((again.session_key, sorted(await again.aitems()), again.is_empty()))
        return seen

    assert asyncio.run(scenario()) == [
        "alice",
        True,
        ["_session_expiry", "n", "user"],
        600,
        False,
        "alice",
        True,
        (None, [], True),
    ]


# -- through Django's SessionMiddleware ---------------------------------------------------------


def test_a_view_that_never_touches_the_session_sends_no_cookie_and_no_vary(engine: str) -> None:
    response = _client().get("/nothing")
    assert (response.cookies.get("sessionid"), response.get("Vary")) == (None, None)


def test_a_view_that_reads_varies_on_cookie_but_writes_nothing(engine: str) -> None:
    response = _client().get("/read")
    assert (response.cookies.get("sessionid"), response["Vary"]) == (None, "Cookie")


def test_the_cookie_carries_djangos_session_cookie_settings(engine: str) -> None:
    response = _client().get("/count")
    morsel = response.cookies["sessionid"]
    attributes = {name: morsel[name] for name in ("max-age", "path", "httponly", "samesite", "secure")}
    assert attributes == {"max-age": 1209600, "path": "/", "httponly": True, "samesite": "Lax", "secure": ""}


def test_other_cookie_settings(engine: str) -> None:
    settings = {
        "SESSION_COOKIE_NAME": "sid",
        "SESSION_COOKIE_AGE": 600,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": "example.com",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SAMESITE": "Strict",
    }
    with using(**settings):
        client = _client()
        first = client.get("/count")
        second = client.get("/count")
    morsel = first.cookies["sid"]
    attributes = {name: morsel[name] for name in ("max-age", "domain", "httponly", "samesite", "secure")}
    assert attributes == {
        "max-age": 600,
        "domain": "example.com",
        "httponly": "",
        "samesite": "Strict",
        "secure": True,
    }
    assert second.content == b"2"


def test_expire_at_browser_close_sends_a_session_cookie(engine: str) -> None:
    with using(SESSION_EXPIRE_AT_BROWSER_CLOSE=True):
        morsel = _client().get("/count").cookies["sessionid"]
    assert (morsel["max-age"], morsel["expires"]) == ("", "")


def test_set_expiry_sets_the_cookie_max_age(engine: str) -> None:
    client = _client()
    client.get("/count")
    session = client.session
    session.set_expiry(90)
    session.save()
    client.cookies["sessionid"] = session.session_key
    assert client.get("/count").cookies["sessionid"]["max-age"] == 90


def test_save_every_request_rewrites_the_cookie_when_only_read(engine: str) -> None:
    client = _client()
    client.get("/count")
    assert client.get("/read").cookies.get("sessionid") is None
    with using(SESSION_SAVE_EVERY_REQUEST=True):
        rewritten = client.get("/read")
    assert (rewritten.cookies["sessionid"].value != "", rewritten.json()) == (True, {"n": 1})


def test_a_failing_view_does_not_save_the_session(engine: str) -> None:
    response = _client(raise_request_exception=False).get("/boom")
    assert (response.status_code, response.cookies.get("sessionid")) == (500, None)


def test_the_session_counts_across_requests(engine: str) -> None:
    client = _client()
    assert [client.get("/count").content for _ in range(3)] == [b"1", b"2", b"3"]
    assert client.get("/acount").content == b"4"


def test_a_tampered_cookie_gives_a_fresh_session(engine: str) -> None:
    client = _client()
    client.get("/count")
    value = client.cookies["sessionid"].value
    client.cookies["sessionid"] = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert client.get("/count").content == b"1"


# -- django.contrib.auth and django.contrib.messages ----------------------------------------


def test_login_and_logout(engine: str, project: Any) -> None:
    client = _client()
    client.get("/count")
    anonymous = client.cookies["sessionid"].value
    assert client.get("/login", {"user": "alice", "password": project.PASSWORD}).content == b"alice"
    assert client.cookies["sessionid"].value != anonymous
    assert client.get("/whoami").content == b"alice"
    bye = client.get("/logout")
    assert (bye.cookies["sessionid"].value, bye.cookies["sessionid"]["max-age"]) == ("", 0)
    assert client.get("/whoami").content == b""


def test_async_login_and_logout(engine: str, project: Any) -> None:
    client = _client()
    assert client.get("/alogin", {"user": "alice", "password": project.PASSWORD}).content == b"alice"
    assert client.get("/whoami").content == b"alice"
    assert client.get("/alogout").cookies["sessionid"].value == ""
    assert client.get("/whoami").content == b""


def test_the_test_clients_login_and_force_login(engine: str, project: Any) -> None:
    from django.contrib.auth.models import User

    client = _client()
    assert client.login(username="alice", password=project.PASSWORD) is True
    assert client.get("/whoami").content == b"alice"
    client.logout()
    client.force_login(User.objects.get(username="alice"))
    assert client.get("/whoami").content == b"alice"


def test_messages_in_the_session(engine: str) -> None:
    client = _client()
    client.get("/flash", {"text": "one"})
    client.get("/flash", {"text": "two"})
    assert client.get("/shown").json() == ["one", "two"]
    assert client.get("/shown").json() == []
