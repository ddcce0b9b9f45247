"""RichJSONSerializer: exact round trips of the values JSON has no type for, Flask's tags read,
and plain JSON written as JSONSerializer writes it."""

from __future__ import annotations

import base64
import importlib.util
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings

from cookiesession import (
    JSONSerializer,
    RichJSONSerializer,
    SessionNotSerializable,
    SignedCookieSessionFactory,
)
from cookiesession.factory import SessionFactory
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, mint, signed
from tests.strategies import exactly, json_states, rich_states

RICH = RichJSONSerializer()
NOW = 1_700_000_000


def rich_factory(clock: FakeClock, **options: Any) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, clock=clock, serializer=RichJSONSerializer(), **options)


def read_back(factory: SessionFactory, state: dict[str, Any]) -> dict[str, Any]:
    return dict(factory.from_cookie_value(mint(factory, state)))


def test_every_supported_type_round_trips_through_a_factory(clock: FakeClock) -> None:
    state = {
        "aware": datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        "naive": datetime(1999, 12, 31, 23, 59, 59, 999999),
        "zoned": datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
        "day": date(2000, 2, 29),
        "clock": time(4, 5, 6, 7, tzinfo=timezone.utc),
        "span": timedelta(days=-2, seconds=5, microseconds=6),
        "id": uuid.UUID(int=12345),
        "money": Decimal("-0.10"),
        "raw": b"\x00\xff binary",
        "pair": (1, ("nested",), []),
        "tags": {"a", 1, (2, 3)},
        "frozen": frozenset({b"x", date(2020, 1, 1)}),
        "tag_lookalike": {" t": [1, 2]},
        "di_lookalike": {" di": {" b": "not bytes"}},
        "json": {"list": [1, 2.5, None, True, "é"]},
    }
    assert exactly(read_back(rich_factory(clock), state)) == exactly(state)


@pytest.mark.parametrize("compress", [False, True])
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(state=rich_states)
def test_any_state_of_supported_values_round_trips_exactly(compress: bool, state: dict[str, Any]) -> None:
    factory = rich_factory(FakeClock(), compress=compress)
    assert exactly(read_back(factory, state)) == exactly(state)


@settings(max_examples=100)
@given(state=json_states)
def test_a_plain_json_state_is_written_as_json_serializer_writes_it(state: dict[str, Any]) -> None:
    triple = (NOW, NOW, state)
    plain = JSONSerializer().dumps(triple)
    assume(b'{" ' not in plain)  # no object whose key might be a tag (those are wrapped)
    assert RICH.dumps(triple) == plain


def test_pyramid_json_reads_a_rich_cookie_as_plain_json(clock: FakeClock) -> None:
    rich = rich_factory(clock)
    plain = SignedCookieSessionFactory(SECRET, clock=clock)
    token = mint(rich, {"when": date(2020, 5, 17), "n": 1})
    assert dict(plain.from_cookie_value(token)) == {"when": {" da": "2020-05-17"}, "n": 1}


def test_an_unstorable_value_names_its_key(clock: FakeClock) -> None:
    session = rich_factory(clock).from_cookie_value(None)
    session["fine"] = (1, 2)
    session["bad"] = [object()]
    with pytest.raises(SessionNotSerializable) as caught:
        session.set_cookie_header()
    assert (
        str(caught.value)
        == "session['bad'] cannot be stored in a cookie: Object of type object is not JSON serializable"
    )


class _OtherZone(tzinfo):
    # A tzinfo of neither kind it stores exactly (as pytz's and dateutil's are).
    def utcoffset(self, value: object) -> timedelta:
        return timedelta(hours=1)

    def dst(self, value: object) -> timedelta:
        return timedelta(0)

    def tzname(self, value: object) -> str:
        return "OTHER"


@pytest.mark.parametrize(
    ("value", "kind"),
    [(datetime(2020, 1, 1, tzinfo=_OtherZone()), "datetime"), (time(1, tzinfo=_OtherZone()), "time")],
)
def test_a_time_zone_that_cannot_be_stored_exactly_is_refused(
    clock: FakeClock, value: object, kind: str
) -> None:
    session = rich_factory(clock).from_cookie_value(None)
    session["v"] = value
    with pytest.raises(SessionNotSerializable) as caught:
        session.set_cookie_header()
    assert str(caught.value) == (
        f"session['v'] cannot be stored in a cookie: a {kind} with tzinfo _OtherZone cannot be stored "
        "exactly: use datetime.timezone or zoneinfo.ZoneInfo"
    )


def test_a_state_nested_too_deep_is_refused_naming_the_key(clock: FakeClock) -> None:
    deep: Any = "leaf"
    for _ in range(150):
        deep = (deep,)
    session = rich_factory(clock).from_cookie_value(None)
    session["deep"] = deep
    with pytest.raises(SessionNotSerializable) as caught:
        session.set_cookie_header()
    assert str(caught.value) == "session['deep'] cannot be stored in a cookie: it nests more than 100 levels"


@pytest.mark.parametrize(
    "tagged",
    [
        {" t": 5},
        {" b": "not base64!"},
        {" u": "xyz"},
        {" dt": "yesterday"},
        {" dz": ["2020-01-01T00:00:00", "../../etc/passwd", 0]},
        {" dz": ["2020-01-01T00:00:00", "UTC", 2]},
        {" td": [1, 2]},
        {" de": 1.5},
        {" s": [[1]]},
        {" di": {"a": 1, "b": 2}},
        {" di": {"x": 1}},
        {" d": "not a date"},
        {" m": 3},
    ],
)
def test_a_tag_whose_json_is_wrong_gives_a_fresh_session(clock: FakeClock, tagged: dict[str, Any]) -> None:
    token = signed([NOW, NOW, {"v": tagged, "other": 1}])
    session = rich_factory(FakeClock(NOW)).from_cookie_value(token)
    assert (dict(session), session.new) == ({}, True)


# -- Flask's tags --------------------------------------------------------------------------

HAVE_FLASK = importlib.util.find_spec("flask") is not None


def test_the_tags_flask_writes_are_read() -> None:
    require(HAVE_FLASK, "Flask")
    from flask.json.tag import TaggedJSONSerializer
    from markupsafe import Markup

    tagger = TaggedJSONSerializer()
    state = {
        "pair": (1, 2),
        "raw": b"\x01\x02",
        "id": uuid.UUID(int=7),
        "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "html": Markup("<b>hi</b>"),
        "lookalike": {" t": "text"},
        "nested": [{"inner": (b"x",)}],
    }
    payload = json.dumps([NOW, NOW, {key: tagger.tag(value) for key, value in state.items()}])
    session = rich_factory(FakeClock(NOW)).from_cookie_value(signed(payload))
    expected = dict(state, html="<b>hi</b>")
    assert exactly(dict(session)) == exactly(expected)


def test_flask_reads_the_tuples_bytes_and_uuids_rich_writes() -> None:
    require(HAVE_FLASK, "Flask")
    from flask.json.tag import TaggedJSONSerializer

    state = {"pair": (1, (2,)), "raw": b"\xfe", "id": uuid.UUID(int=9), "lookalike": {" t": [1]}}
    payload = json.loads(RICH.dumps((NOW, NOW, state)))
    tagger = TaggedJSONSerializer()
    assert {key: tagger.loads(json.dumps(value)) for key, value in payload[2].items()} == state


def test_the_flask_adapter_with_a_rich_factory_keeps_microseconds_and_zones(clock: FakeClock) -> None:
    require(HAVE_FLASK, "Flask")
    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    moment = datetime(2024, 6, 1, 8, 0, 0, 654321, tzinfo=ZoneInfo("Europe/Paris"))
    seen: list[Any] = []
    app = Flask(__name__)
    app.session_interface = CookieSessionInterface(rich_factory(clock))

    @app.route("/set")
    def set_value() -> str:
        session["moment"] = moment
        session["amount"] = Decimal("12.30")
        return "set"

    @app.route("/get")
    def get_value() -> str:
        seen.append(dict(session))
        return "got"

    client = app.test_client()
    client.get("/set")
    client.get("/get")
    assert exactly(seen) == exactly([{"moment": moment, "amount": Decimal("12.30")}])


# -- a real Pyramid request ----------------------------------------------------------------

HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webtest"))


def _pyramid_app(factory: SessionFactory, to_store: list[dict[str, Any]], seen: list[dict[str, Any]]) -> Any:
    import webtest
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

    def store(request: Request) -> Response:
        request.session.update(to_store[-1])
        return Response("stored")

    def show(request: Request) -> Response:
        seen.append(dict(request.session))
        return Response("shown")

    config = Configurator()
    config.set_session_factory(factory)
    for name, view in (("store", store), ("show", show)):
        config.add_route(name, f"/{name}")
        config.add_view(view, route_name=name)
    return webtest.TestApp(config.make_wsgi_app())


@pytest.mark.parametrize("compress", [False, True])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=rich_states)
def test_any_state_round_trips_through_a_real_pyramid_request(compress: bool, state: dict[str, Any]) -> None:
    require(HAVE_PYRAMID, "Pyramid and WebTest")
    to_store = [state]
    seen: list[dict[str, Any]] = []
    app = _pyramid_app(rich_factory(FakeClock(), compress=compress), to_store, seen)
    cookie = app.get("/store").headers["Set-Cookie"]
    app.get("/show", headers={"Cookie": "session=" + cookie_value(cookie)})
    assert exactly(seen) == exactly([state])


def test_base64_of_bytes_is_flask_s_standard_alphabet() -> None:
    payload = json.loads(RICH.dumps((NOW, NOW, {"raw": b"\xfb\xff"})))
    assert payload[2] == {"raw": {" b": base64.b64encode(b"\xfb\xff").decode()}}


def test_an_assignment_to_a_loaded_session_is_written_tagged(clock: FakeClock) -> None:
    # The JSON serializer's writes splice json.dumps text into the incoming payload;
    # rich values must never go that way (a tuple would come back a list).
    factory = rich_factory(clock, reissue_time=0)
    session = factory.from_cookie_value(mint(factory, {"kept": (1,), "n": 1}))
    session["n"] = (2, b"x")
    clock.advance(5)
    header = session.set_cookie_header()
    assert header is not None
    again = factory.from_cookie_value(cookie_value(header))
    assert (exactly(dict(again)), factory._codec.json_payload) == (
        exactly({"kept": (1,), "n": (2, b"x")}),
        False,
    )


@pytest.mark.parametrize("offset", [timedelta(microseconds=1), timedelta(microseconds=-999_999)])
def test_a_utc_offset_of_under_a_second_comes_back_exactly(clock: FakeClock, offset: timedelta) -> None:
    # isoformat() writes it as "+00:00:00.000001", which Python 3.11 alone reads as UTC.
    zone = timezone(offset)
    state = {"at": datetime(2000, 1, 1, tzinfo=zone), "t": time(1, 2, tzinfo=zone)}
    assert exactly(read_back(rich_factory(clock), state)) == exactly(state)
