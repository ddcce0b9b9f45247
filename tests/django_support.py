"""Fixtures shared by the Django test files (the project itself is ``django_project``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import require


def has_django() -> bool:
    return importlib.util.find_spec("django") is not None


@pytest.fixture
def project() -> Any:
    """The test project's module, with Django set up."""
    require(has_django(), "Django")
    from tests import django_project

    django_project.setup()
    return django_project


def using(**overrides: Any) -> Any:
    """``override_settings`` (imported late: Django may be missing)."""
    from django.test import override_settings

    return override_settings(**overrides)


def session_store(engine: str, session_key: str | None = None) -> Any:
    """A ``SessionStore`` of ``engine``, as ``SessionMiddleware`` makes one."""
    return importlib.import_module(engine).SessionStore(session_key)


@pytest.fixture(params=["django.contrib.sessions.backends.signed_cookies", "cookiesession.django"])
def engine(request: pytest.FixtureRequest, project: Any) -> Iterator[str]:
    """Each engine in turn, set as ``SESSION_ENGINE``."""
    name: str = request.param
    with using(SESSION_ENGINE=name):
        yield name
