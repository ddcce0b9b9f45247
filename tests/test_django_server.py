"""The Django engine behind a real server: Django's ASGI app under uvicorn on 127.0.0.1."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.revocation import MemoryRevocationStore
from tests.conftest import require
from tests.django_support import project, using
from tests.served import ServedByUvicorn
from tests.session_harness import SECRET

__all__ = ["project"]  # fixture

STORE = MemoryRevocationStore()


@pytest.fixture(scope="module")
def django_url() -> Iterator[str]:
    require(importlib.util.find_spec("uvicorn") is not None, "uvicorn")
    require(importlib.util.find_spec("django") is not None, "Django")
    from tests import django_project

    django_project.setup()
    from django.core.handlers.asgi import ASGIHandler

    with using(COOKIESESSION={"secret": SECRET, "revocation": STORE}), ServedByUvicorn(ASGIHandler()) as url:
        yield url


def test_a_session_login_and_logout_over_real_http(project: Any, django_url: str) -> None:
    import httpx

    with httpx.Client(base_url=django_url, timeout=10) as client:
        assert [client.get("/count").text for _ in range(2)] == ["1", "2"]
        assert client.get("/acount").text == "3"
        assert client.get("/login", params={"user": "alice", "password": project.PASSWORD}).text == "alice"
        assert client.get("/whoami").text == "alice"
        copy = client.cookies["sessionid"]
        factory = SignedCookieSessionFactory(SECRET, cookie_name="sessionid", revocation=STORE)
        assert factory.from_cookie_value(copy).get("_auth_user_id") is not None
        bye = client.get("/logout")
        assert bye.headers["set-cookie"].startswith('sessionid=""; expires=Thu, 01 Jan 1970') is True
        assert client.get("/whoami").text == ""
    with httpx.Client(base_url=django_url, timeout=10) as thief:
        thief.cookies["sessionid"] = copy
        assert thief.get("/whoami").text == ""
        assert thief.get("/read").json() == {}
    assert dict(factory.from_cookie_value(copy)) == {}


def test_a_hostile_cookie_over_real_http(django_url: str) -> None:
    import httpx

    with httpx.Client(base_url=django_url, timeout=10) as client:
        for value in ("garbage", "x" * 5000, "%00%ff", '"a\\"b"'):
            response = client.get("/count", headers={"Cookie": f"sessionid={value}"})
            assert (response.status_code, response.text) == (200, "1")
