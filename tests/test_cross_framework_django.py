"""Django in the cross-framework matrix: a user signed in through Django is signed in
on the Pyramid, WSGI, Starlette, FastAPI and Flask apps sharing the secret and salt,
and a cookie issued by each of them is read, changed and re-issued by Django."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from tests.django_support import project, using
from tests.session_harness import SECRET
from tests.test_cross_framework import FRAMEWORKS, SHARED_SALT, _client

__all__ = ["project"]  # fixture

# The other apps call their cookie "session"; Django is told the same name and salt.
DJANGO_SETTINGS: dict[str, Any] = {
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_AGE": 1200,
    "COOKIESESSION": {"secret": SECRET, "salt": SHARED_SALT},
}

Client = Callable[[str, "str | None"], tuple[list[str], str]]


@pytest.fixture
def django_app(project: Any) -> Client:
    from django.test import Client as DjangoClient

    def call(who: str, cookie: str | None) -> tuple[list[str], str]:
        with using(**DJANGO_SETTINGS):
            client = DjangoClient()
            if cookie is not None:
                client.cookies["session"] = cookie
            response = client.get(f"/touch/{who}")
        trail: list[str] = response.json()
        return trail, response.cookies["session"].value

    return call


@pytest.mark.parametrize("other", FRAMEWORKS)
def test_a_cookie_issued_by_django_is_read_changed_and_reissued_by(other: str, django_app: Client) -> None:
    read = _client(other)
    trail, cookie = django_app("django", None)
    assert trail == ["django"]
    trail, changed = read(f"/touch/{other}", cookie)
    assert trail == ["django", other]
    assert changed is not None
    trail, _ = django_app("django", changed)
    assert trail == ["django", other, "django"]


@pytest.mark.parametrize("other", FRAMEWORKS)
def test_a_cookie_issued_by_another_framework_is_read_changed_and_reissued_by_django(
    other: str, django_app: Client
) -> None:
    issue = _client(other)
    trail, issued = issue(f"/touch/{other}", None)
    assert issued is not None
    trail, cookie = django_app("django", issued)
    assert trail == [other, "django"]
    trail, _ = issue(f"/touch/{other}", cookie)
    assert trail == [other, "django", other]


def test_a_user_signed_in_through_django_is_signed_in_elsewhere(project: Any) -> None:
    from django.test import Client as DjangoClient

    with using(**DJANGO_SETTINGS):
        client = DjangoClient()
        client.get("/login", {"user": "alice", "password": project.PASSWORD})
        cookie = client.cookies["session"].value
    # Every other app reads the same state: Django's user id under Django's key.
    session = SignedCookieSessionFactory(SECRET, salt=SHARED_SALT).from_cookie_value(cookie)
    assert session.get("_auth_user_id") == "1"
    trail, reissued = _client("flask")("/touch/flask", cookie)
    assert trail == ["flask"]
    assert reissued is not None
    with using(**DJANGO_SETTINGS):
        client = DjangoClient()
        client.cookies["session"] = reissued
        assert client.get("/whoami").content == b"alice"
