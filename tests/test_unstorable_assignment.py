"""A value of a type the serializer never stores is refused when it is assigned, naming the key."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest

from cookiesession import (
    JSONSerializer,
    RichJSONSerializer,
    SessionNotSerializable,
    SignedCookieSessionFactory,
)
from tests.session_harness import SECRET, FakeClock, stored_state


def _session(serializer: Any = None) -> Any:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock(), serializer=serializer).from_cookie_header(
        None
    )


class Opaque:
    pass


@pytest.mark.parametrize("value", [Opaque(), {1, 2}, b"bytes", datetime.date(2024, 1, 2), uuid.UUID(int=7)])
def test_json_refuses_at_assignment_what_it_cannot_store(value: Any) -> None:
    session = _session()
    session["kept"] = 1
    with pytest.raises(SessionNotSerializable) as caught:
        session["bad"] = value
    assert str(caught.value) == (
        "session['bad'] cannot be stored in a cookie: "
        f"Object of type {type(value).__name__} is not JSON serializable"
    )
    assert (stored_state(session), isinstance(caught.value, TypeError)) == ({"kept": 1}, True)


def test_the_message_is_the_one_the_write_gives() -> None:
    session = _session()
    dict.__setitem__(session, "bad", Opaque())  # past the check, as a value inside a list would be
    session.changed()
    with pytest.raises(SessionNotSerializable) as at_write:
        session.set_cookie_header()
    with pytest.raises(SessionNotSerializable) as at_assignment:
        _session()["bad"] = Opaque()
    assert str(at_assignment.value) == str(at_write.value)


@pytest.mark.parametrize(
    "value",
    [
        "text",
        1,
        1.5,
        True,
        None,
        [1],
        {"a": 1},
        (1, 2),
        json.JSONDecodeError("m", "d", 0).args,  # a tuple subclass is a tuple
    ],
)
def test_json_accepts_what_it_stores(value: Any) -> None:
    session = _session()
    session["ok"] = value
    assert stored_state(session) == {"ok": value}


@pytest.mark.parametrize(
    "value",
    [
        {1, 2},
        frozenset({3}),
        b"bytes",
        datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
        datetime.time(1, 2),
        datetime.timedelta(3),
        decimal.Decimal("1.10"),
        uuid.UUID(int=7),
    ],
)
def test_the_rich_serializer_accepts_its_values(value: Any) -> None:
    session = _session(RichJSONSerializer())
    session["ok"] = value
    assert stored_state(session) == {"ok": value}


def test_the_rich_serializer_refuses_other_objects() -> None:
    with pytest.raises(SessionNotSerializable, match=r"^session\['bad'\] cannot be stored"):
        _session(RichJSONSerializer())["bad"] = Opaque()


def test_a_value_inside_a_list_is_checked_when_the_cookie_is_written() -> None:
    session = _session()
    session["later"] = [Opaque()]  # not looked into at assignment: that would cost
    with pytest.raises(SessionNotSerializable, match=r"^session\['later'\] cannot be stored"):
        session.set_cookie_header()


class WithDefault(JSONSerializer):
    """A subclass that stores more than its base: nothing is refused at assignment."""

    def dumps(self, appstruct: Any) -> bytes:
        return json.dumps(appstruct, default=str).encode("utf-8")


@pytest.mark.parametrize("serializer", [WithDefault()])
def test_a_serializer_that_does_not_say_its_types_is_not_second_guessed(serializer: Any) -> None:
    session = _session(serializer)
    session["date"] = datetime.date(2024, 1, 2)
    header = session.set_cookie_header()
    assert (stored_state(session), header is not None) == ({"date": datetime.date(2024, 1, 2)}, True)
