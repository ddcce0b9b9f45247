"""A loaded session is a dict holding the whole state: every way of reading it sees all of it.

Code that reads a dict's entries directly, without its methods (``dict.get(session, k)``,
``{**session}``, serializers written in C or Rust), must see exactly what the session's own
methods see, from the moment the application can reach the session.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import CookieSession
from cookiesession.factory import SessionFactory
from tests.conftest import require
from tests.session_harness import FakeRequest, mint

# A state whose keys are not in the order anyone would guess, with nested values.
STATE: dict[str, Any] = {
    "cart": [{"sku": "a1", "qty": 2}, {"sku": "b2", "qty": 1}],
    "user": "alice",
    "mfa_pending": True,
    "prefs": {"theme": "dark", "tags": ["x", "y"]},
    "n": 7,
}

Loader = Callable[[SessionFactory, str], CookieSession]


def _from_request(factory: SessionFactory, token: str) -> CookieSession:
    return factory(FakeRequest(f"other=1; session={token}"))


def _from_value(factory: SessionFactory, token: str) -> CookieSession:
    return factory.from_cookie_value(token)


def _from_header(factory: SessionFactory, token: str) -> CookieSession:
    return factory.from_cookie_header(f"session={token}")


@pytest.fixture(params=[_from_request, _from_value, _from_header], ids=["request", "value", "header"])
def loaded(request: pytest.FixtureRequest, factory: SessionFactory) -> CookieSession:
    load: Loader = request.param
    session = load(factory, mint(factory, STATE))
    assert session.new is False
    return session


def test_dicts_own_methods_see_the_whole_state(loaded: CookieSession) -> None:
    assert dict.get(loaded, "mfa_pending", False) is True
    assert dict.__contains__(loaded, "prefs") is True
    assert list(dict.keys(loaded)) == list(STATE)
    assert dict.__len__(loaded) == len(STATE)
    assert dict(dict.items(loaded)) == STATE
    assert {**loaded} == STATE
    assert dict(loaded) == STATE
    assert OrderedDict(STATE) == loaded
    assert loaded == OrderedDict(STATE)
    assert (loaded | {}) == STATE


def test_dict_setdefault_finds_the_stored_value(loaded: CookieSession) -> None:
    assert dict.setdefault(loaded, "user", "mallory") == "alice"
    assert loaded["user"] == "alice"


def test_dict_pop_takes_the_stored_value(loaded: CookieSession) -> None:
    assert dict.pop(loaded, "n") == 7
    assert "n" not in loaded


def test_copies_hold_the_whole_state(loaded: CookieSession) -> None:
    assert copy.deepcopy(loaded) == STATE
    assert copy.copy(loaded) == STATE
    assert loaded.copy() == STATE
    assert type(loaded.copy()) is dict
    assert pickle.loads(pickle.dumps(dict(loaded))) == STATE


def test_json_dumps_writes_the_whole_state(loaded: CookieSession) -> None:
    assert json.loads(json.dumps(loaded)) == STATE


def test_orjson_writes_the_whole_state(loaded: CookieSession) -> None:
    require(_importable("orjson"), "orjson")
    import orjson

    assert orjson.loads(orjson.dumps(loaded)) == STATE


def test_msgspec_writes_the_whole_state(loaded: CookieSession) -> None:
    require(_importable("msgspec"), "msgspec")
    import msgspec

    assert msgspec.json.decode(msgspec.json.encode(loaded)) == STATE


def test_pydantic_dumps_the_whole_state(loaded: CookieSession) -> None:
    require(_importable("pydantic"), "pydantic")
    from pydantic import TypeAdapter

    assert json.loads(TypeAdapter(dict[str, Any]).dump_json(loaded)) == STATE


def test_a_session_reads_the_same_before_and_after_any_other_read(factory: SessionFactory) -> None:
    token = mint(factory, STATE)
    # Whatever is asked first, each answer is the stored one.
    for first in STATE:
        session = factory.from_cookie_value(token)
        assert session[first] == STATE[first]
        assert dict(dict.items(session)) == STATE


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True
