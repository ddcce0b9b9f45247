"""docs/configuration.md names every option of every factory and adapter, each in its section.

The options are read from the code (signatures, Pyramid's known settings, the Flask config
keys the interface actually reads, Django's ``COOKIESESSION`` keys), so an option added
without its line in the reference fails here.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cookiesession import (
    BaseCookieSessionFactory,
    EncryptedCookieSessionFactory,
    SignedCookieSessionFactory,
    readers,
)
from cookiesession.redis_store import RedisRevocationStore
from cookiesession.revocation import MemoryRevocationStore
from tests.conftest import require
from tests.session_harness import SECRET

PAGE = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text of the page's ``## title`` section, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", PAGE, flags=re.MULTILINE | re.DOTALL)
    assert match is not None, f"no section {title!r}"
    return match[1]


def _parameters(function: Any, *leave_out: str) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name not in ("self", *leave_out)]


def _missing(names: list[str], text: str, spelled: str = "`{}`") -> list[str]:
    return sorted(name for name in names if spelled.format(name) not in text)


def _import(module: str, framework: str) -> Any:
    require(importlib.util.find_spec(framework) is not None, f"the {framework!r} package")
    return importlib.import_module(module)


@pytest.mark.parametrize(
    "factory", [SignedCookieSessionFactory, EncryptedCookieSessionFactory, BaseCookieSessionFactory]
)
def test_every_factory_keyword_is_in_the_factories_table(factory: Any) -> None:
    assert _missing(_parameters(factory), _section("The factories")) == []


def test_every_pyramid_setting_is_in_the_pyramid_table_and_no_other() -> None:
    pyramid = _import("cookiesession.pyramid", "pyramid")
    section = _section("Pyramid settings")
    assert _missing(sorted(pyramid._KNOWN), section, "`cookiesession.{}`") == []
    documented = set(re.findall(r"`cookiesession\.(\w+)`", section))
    assert sorted(documented - pyramid._KNOWN) == []


def _flask_config_keys_read() -> set[str]:
    """Every config key ``CookieSessionInterface()`` reads, for a session and for its response."""
    flask = _import("flask", "flask")
    interface_module = _import("cookiesession.flask", "flask")
    read: set[str] = set()

    class RecordingConfig(flask.Config):  # type: ignore[misc, name-defined]
        def __getitem__(self, key: str) -> Any:
            read.add(key)
            return super().__getitem__(key)

        def get(self, key: str, default: Any = None) -> Any:
            read.add(key)
            return super().get(key, default)

    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=1)
    app.config.__class__ = RecordingConfig
    interface = interface_module.CookieSessionInterface()
    session_class = interface.session_class(app)
    session = session_class.from_cookie_value(None)
    session.permanent = True
    session.modified = False  # so that Flask's rule reads SESSION_REFRESH_EACH_REQUEST
    interface.should_set_cookie(app, session)
    return read


def test_every_flask_config_key_read_is_in_the_flask_table_and_no_other() -> None:
    read = _flask_config_keys_read()
    section = _section("Flask")
    # The recording sees the interface's own keys, and Flask's rules too.
    assert {"COOKIESESSION_MAX_COOKIES", "SESSION_REFRESH_EACH_REQUEST"} <= read
    assert _missing(sorted(read), section) == []
    documented = set(re.findall(r"`(COOKIESESSION_\w+)`", section))
    assert sorted(documented - read) == []


def test_every_starlette_drop_in_keyword_is_in_the_starlette_table() -> None:
    starlette = _import("cookiesession.starlette", "starlette")
    section = _section("Starlette's `SessionMiddleware` drop-in")
    assert _missing(_parameters(starlette.SessionMiddleware.__init__, "app"), section) == []


def test_every_django_cookiesession_key_is_in_the_django_table() -> None:
    require(importlib.util.find_spec("django") is not None, "the 'django' package")
    from tests import django_project

    django_project.setup()
    config = importlib.import_module("cookiesession.django._config")
    assert _missing(sorted(config._OPTIONS), _section("Django")) == []


@pytest.mark.parametrize("store", [MemoryRevocationStore, RedisRevocationStore])
def test_every_revocation_store_option_is_in_the_stores_table(store: Any) -> None:
    assert _missing(_parameters(store.__init__), _section("Revocation stores")) == []


@pytest.mark.parametrize("name", readers.__all__)
def test_every_reader_and_its_parameters_are_in_the_readers_table(name: str) -> None:
    reader = getattr(readers, name)
    if inspect.isclass(reader):
        return  # the Reader protocol, not a reader
    rows = [row for row in _section("Readers (`read_also`)").splitlines() if f"`readers.{name}(" in row]
    assert len(rows) == 1
    assert sorted(p for p in _parameters(reader) if not re.search(rf"\b{p}\b", rows[0])) == []
