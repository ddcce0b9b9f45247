"""The shortcuts on a view's path give exactly what the long way gives.

Flask's tagging (plain values passed as they are, untagged payloads not walked),
the Flask adapter's reading of a lone session cookie, and the one-second cache of
the cookie's ``expires`` date.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession.cookies import cookie_date
from tests.conftest import require
from tests.session_harness import SECRET
from tests.strategies import json_scalars

if TYPE_CHECKING:
    from flask import Flask

VALUES: list[Any] = [
    "text",
    "",
    " starts with a space",
    42,
    -1.5,
    True,
    None,
    [1, 2, "three", None],
    [],
    {"a": 1, "b": "two"},
    {},
    {"one": 1},  # one key, not a tag
    {" t": [1, 2]},  # one key that is a tag's: Flask tags the dict itself
    (1, 2),
    b"\x00bytes",
    [1, (2, 3)],
    {"a": b"x", "b": 1},
    datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
    uuid.UUID(int=7),
    [[1, 2], {"x": [3]}],
    [{"sku": "a1", "qty": 2}, {"sku": "b2", "qty": 1}],  # a cart: dicts in a list
    {"outer": {"inner": [1, {"deep": ["x", None]}]}},
    [{"deep": [1, (2, 3)]}],  # a tuple deep inside plain containers
    {"a": [{" t": [1]}], "b": 2},  # a dict that reads as a tag, one level down
    [[[[[[b"deep bytes"]]]]]],
]


def _flask() -> Any:
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask.json.tag import TaggedJSONSerializer

    from cookiesession.flask import TaggedStateSerializer

    return TaggedJSONSerializer, TaggedStateSerializer


def _long_way(tagger: Any, state: dict[str, Any]) -> bytes:
    return json.dumps([1, 2.5, {key: tagger.tag(value) for key, value in state.items()}]).encode()


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_each_value_is_tagged_as_flask_tags_it(value: Any) -> None:
    tagged_json, tagged_state = _flask()
    tagger = tagged_json()
    serializer = tagged_state(tagger)
    state = {"k": value}
    payload = serializer.dumps((1, 2.5, state))
    assert payload == _long_way(tagger, state)
    assert serializer.loads(payload) == [1, 2.5, state]


_FLASK_TAG_KEYS = [" t", " b", " m", " u", " d", " di"]
flask_values = st.recursive(
    json_scalars | st.binary(max_size=4) | st.uuids(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4) | st.sampled_from(_FLASK_TAG_KEYS), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=4), flask_values, max_size=4))
def test_any_state_is_tagged_as_flask_tags_it(state: dict[str, Any]) -> None:
    tagged_json, tagged_state = _flask()
    tagger = tagged_json()
    assert tagged_state(tagger).dumps((1, 2.5, state)) == _long_way(tagger, state)


def test_a_value_that_contains_itself_is_refused_as_flask_refuses_it() -> None:
    tagged_json, tagged_state = _flask()
    loop: list[Any] = [{"a": 1}]
    loop.append(loop)
    serializer = tagged_state(tagged_json())
    with pytest.raises(RecursionError):
        serializer.dumps((1, 2.5, {"k": loop}))
    deep: Any = "leaf"
    for _ in range(150):  # deeper than any state is stored, not a cycle: Flask's tagger decides
        deep = [deep]
    assert json.loads(serializer.dumps((1, 2.5, {"k": deep}))) == [1, 2.5, {"k": deep}]


def test_a_tag_the_app_registers_is_used_even_for_plain_values() -> None:
    tagged_json, tagged_state = _flask()
    from flask.json.tag import JSONTag

    class Shout(JSONTag):
        key = " shout"

        def check(self, value: Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: Any) -> Any:
            return value.lower()

        def to_python(self, value: Any) -> Any:
            return value.upper()

    tagger = tagged_json()
    serializer = tagged_state(tagger)
    assert serializer.dumps((1, 2.5, {"k": "LOUD"})) == b'[1, 2.5, {"k": "LOUD"}]'  # before: no such tag
    tagger.register(Shout, index=0)
    payload = serializer.dumps((1, 2.5, {"k": "LOUD", "l": ["A", "b"]}))
    assert payload == b'[1, 2.5, {"k": {" shout": "loud"}, "l": [{" shout": "a"}, "b"]}]'
    assert serializer.loads(payload) == [1, 2.5, {"k": "LOUD", "l": ["A", "b"]}]


def test_a_tag_key_spelled_with_an_escape_is_still_read() -> None:
    tagged_json, tagged_state = _flask()
    serializer = tagged_state(tagged_json())
    payload = b'[1, 2.5, {"k": {"\\u0020t": [1, 2]}, "p": "plain"}]'
    assert serializer.may_hold_tags(payload) is True
    assert serializer.loads(payload) == [1, 2.5, {"k": (1, 2), "p": "plain"}]


def test_a_payload_with_no_string_starting_with_a_space_holds_no_tag() -> None:
    tagged_json, tagged_state = _flask()
    serializer = tagged_state(tagged_json())
    payload = b'[1, 2.5, {"k": {"t": [1, 2]}, "l": [1, "x y"]}]'
    assert serializer.may_hold_tags(payload) is False
    assert serializer.loads(payload) == [1, 2.5, {"k": {"t": [1, 2]}, "l": [1, "x y"]}]
    assert serializer.may_hold_tags(b'[1, 2.5, {"k": {" t": [1, 2]}}]') is True


def _flask_app() -> Flask:
    """A Flask app on this library's session interface, keyed with ``SECRET``; no views yet."""
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask import Flask

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    app.session_interface = CookieSessionInterface()
    return app


def _get(app: Any, cookie_header: str) -> str:
    """The body of GET / with exactly this Cookie header (the test client keeps a
    cookie jar of its own instead)."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/").get_environ()
    environ["HTTP_COOKIE"] = cookie_header
    body = app(environ, lambda status, headers, exc_info=None: None)
    return b"".join(body).decode()


@pytest.mark.parametrize(
    "header",
    [
        "session={value}",
        'session="{value}"',
        "other=1; session={value}",
        "session={value}; other=1",
        "session= {value}",
    ],
)
def test_the_flask_adapter_reads_the_cookie_werkzeug_reads(header: str) -> None:
    app = _flask_app()
    from flask import session

    from cookiesession import SignedCookieSessionFactory

    @app.get("/")
    def view() -> str:
        return str(session.get("user"))

    factory = SignedCookieSessionFactory(SECRET)
    writer = factory.from_cookie_value(None)
    writer["user"] = "alice"
    value = writer.token()
    assert _get(app, header.format(value=value)) == "alice"


def test_the_flask_adapter_refuses_a_lone_cookie_that_does_not_verify() -> None:
    app = _flask_app()
    from flask import session

    @app.get("/")
    def view() -> str:
        return str(dict(session))

    assert _get(app, "session=not-a-token") == "{}"


@pytest.mark.parametrize("epoch", [0, 0.999, 1.5, -1.5, -86400.25, 1_700_000_000.75, 253_402_300_799])
def test_cookie_dates_are_those_gmtime_gives_whether_or_not_cached(epoch: float) -> None:
    t = time.gmtime(epoch)
    expected = time.strftime("%a, %d-%b-%Y %H:%M:%S GMT", t)
    assert cookie_date(epoch) == expected
    assert cookie_date(epoch) == expected  # the same second again: from the cache
    assert cookie_date(epoch + 1) == time.strftime("%a, %d-%b-%Y %H:%M:%S GMT", time.gmtime(epoch + 1))


def test_the_flask_adapter_adds_cookie_to_the_vary_header_the_view_set() -> None:
    app = _flask_app()
    from flask import make_response, session

    @app.get("/own-vary")
    def own_vary() -> Any:
        session.get("user")
        response = make_response("ok")
        response.headers["Vary"] = "Accept-Encoding"
        return response

    @app.get("/plain")
    def plain() -> str:
        return str(session.get("user"))

    client = app.test_client()
    assert client.get("/own-vary").headers.get_all("Vary") == ["Accept-Encoding, Cookie"]
    assert client.get("/plain").headers.get_all("Vary") == ["Cookie"]
