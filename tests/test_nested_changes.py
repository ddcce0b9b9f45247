"""Changes inside nested values (``session['cart'].append(x)``) are saved without ``changed()``,
where Pyramid and Flask lose them: a session that handed out a mutable value compares it, at
response time, with its snapshot from when it was handed out (or, for a value without one,
the state it would write with the state that came in)."""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cookiesession import (
    JSONSerializer,
    RichJSONSerializer,
    SessionNotSerializable,
    SignedCookieSessionFactory,
    _snapshots,
)
from tests.conftest import require
from tests.pyramid_fleet import HAVE_PYRAMID, User, pyramid_app
from tests.session_harness import NOW, SECRET, FakeClock, FakeRequest, cookie_value, payload_of, signed_state

if HAVE_PYRAMID:
    from pyramid.request import Request
    from pyramid.response import Response

ACCESSED = int(NOW) - 30
CREATED = NOW - 600
STATE: dict[str, Any] = {
    "cart": [1, 2],
    "prefs": {"theme": "light", "tags": ["a"]},
    "_f_": ["welcome"],
    "user": "ann",
    "n": 3,
}


def _cookie(state: dict[str, Any]) -> str:
    return "session=" + signed_state(state, ACCESSED, CREATED)


def _session(clock: FakeClock, **options: Any) -> tuple[Any, FakeRequest]:
    options.setdefault("reissue_time", None)  # no reissue: only a detected change writes
    request = FakeRequest(_cookie(STATE))
    return SignedCookieSessionFactory(SECRET, clock=clock, **options)(request), request


def _stored(request: FakeRequest) -> Any:
    """The payload written by the response, or None if no cookie was written."""
    written = request.respond().set_cookies()
    assert len(written) <= 1
    return payload_of(cookie_value(written[0])) if written else None


MUTATIONS = {
    "append via []": lambda s: s["cart"].append(3),
    "append via get": lambda s: s.get("cart").append(3),
    "dict value via []": lambda s: s["prefs"].__setitem__("theme", "dark"),
    "two levels deep": lambda s: s["prefs"]["tags"].append("b"),
    "peek_flash list": lambda s: s.peek_flash().append("again"),
    "through values()": lambda s: next(v for v in s.values() if isinstance(v, list)).append(3),
    "through items()": lambda s: dict(s.items())["cart"].append(3),
    "through dict(session)": lambda s: dict(s)["cart"].append(3),
    "through copy()": lambda s: s.copy()["cart"].append(3),
}


@pytest.mark.parametrize("reissue_time", [None, 3600])
@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_change_inside_a_value_is_saved_without_changed(
    clock: FakeClock, mutation: Any, reissue_time: int | None
) -> None:
    twin, _ = _session(clock)  # the same change on another session, to know the state it gives
    mutation(twin)
    expected = json.loads(json.dumps(twin.copy()))
    session, request = _session(clock, reissue_time=reissue_time)
    clock.advance(5)
    mutation(session)
    stored = _stored(request)
    # Written with the read's time as `accessed`, and the session's own `created`.
    assert stored == [int(NOW) + 5, CREATED, expected]
    assert stored[2] != STATE


READS = {
    "a list via []": lambda s: s["cart"],
    "a list via get": lambda s: s.get("cart"),
    "a dict, walked": lambda s: sorted(s["prefs"].items()),
    "peek_flash": lambda s: s.peek_flash(),
    "values()": lambda s: list(s.values()),
    "items()": lambda s: list(s.items()),
    "a scalar": lambda s: s["user"],
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_reading_a_value_without_changing_it_writes_nothing(clock: FakeClock, read: Any) -> None:
    session, request = _session(clock)
    clock.advance(5)
    read(session)
    assert _stored(request) is None


def test_a_change_undone_in_the_same_request_writes_nothing(clock: FakeClock) -> None:
    session, request = _session(clock)
    session["cart"].append(3)
    session["cart"].pop()
    assert _stored(request) is None


def test_detect_nested_changes_false_is_pyramids_behaviour(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, detect_nested_changes=False)
    request = FakeRequest(_cookie({"cart": [1]}))
    factory(request)["cart"].append(2)
    assert request.respond().set_cookies() == []  # the change is lost, as with Pyramid
    request = FakeRequest(_cookie({"cart": [1]}))
    session = factory(request)
    session["cart"].append(2)
    session.changed()  # what Pyramid's documentation asks for
    assert payload_of(cookie_value(request.respond().set_cookies()[0]))[2] == {"cart": [1, 2]}


class _NonceSerializer:
    """Writes the same data differently each time, as one that encrypts with a fresh
    nonce does (the nonce here is a counter, so the test is deterministic)."""

    def __init__(self) -> None:
        self.count = 0

    def dumps(self, appstruct: Any) -> bytes:
        self.count += 1
        return b"%04d" % self.count + json.dumps(appstruct).encode()

    def loads(self, bstruct: bytes) -> Any:
        return json.loads(bstruct[4:])


def test_a_serializer_that_writes_differently_each_time_is_compared_by_data(clock: FakeClock) -> None:
    from cookiesession import BaseCookieSessionFactory

    factory = BaseCookieSessionFactory(_NonceSerializer(), clock=clock, reissue_time=None)
    writer = FakeRequest()
    factory(writer)["cart"] = [1]
    cookie = cookie_value(writer.respond().set_cookies()[0])
    clock.advance(10)
    read_only = FakeRequest(f"session={cookie}")
    assert factory(read_only)["cart"] == [1]  # a list handed out, not changed
    changed = FakeRequest(f"session={cookie}")
    factory(changed)["cart"].append(2)
    assert read_only.respond().set_cookies() == []  # reissue_time=None: nothing to write
    (header,) = changed.respond().set_cookies()
    assert factory(FakeRequest(f"session={cookie_value(header)}"))["cart"] == [1, 2]


def test_a_plain_dict_read_bypasses_detection(clock: FakeClock) -> None:
    # The documented caveat: dict's own methods are not the session's, so nothing is seen.
    session, request = _session(clock)
    dict.__getitem__(session, "cart").append(3)
    dict.get(session, "_f_", []).append("again")
    dict.__getitem__(session, "prefs")["theme"] = "dark"
    assert dict.get(session, "cart") == [1, 2, 3]
    assert _stored(request) is None


def test_the_comparison_is_made_only_when_a_mutable_value_was_handed_out(
    clock: FakeClock, snapshots_taken: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    watchers: list[Any] = []

    class CountedWatched(_snapshots.Watched):
        __slots__ = ()

        def __init__(self) -> None:
            watchers.append(self)
            super().__init__()

    monkeypatch.setattr(_snapshots, "Watched", CountedWatched)

    class CountingJSON(JSONSerializer):
        __slots__ = ("dumps_calls",)

        def __init__(self) -> None:
            self.dumps_calls = 0

        def dumps(self, appstruct: Any) -> bytes:
            self.dumps_calls += 1
            return super().dumps(appstruct)

    calls = []
    reads = (
        lambda s: s["user"],
        lambda s: "cart" in s,
        lambda s: s["cart"],
        lambda s: (s["cart"], s.get("cart")),  # the same list twice: one snapshot
    )
    for read in reads:
        serializer = CountingJSON()
        factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, serializer=serializer)
        request = FakeRequest(_cookie(STATE))
        read(factory(request))
        assert request.respond().set_cookies() == []
        calls.append((len(watchers), len(snapshots_taken), serializer.dumps_calls))
        watchers.clear()
        snapshots_taken.clear()
    # The list's snapshot when it is first handed out and at the response, kept by the
    # one watcher made then (none for a session that hands out no list or dict); the
    # state is never encoded.
    assert calls == [(0, 0, 0), (0, 0, 0), (1, 2, 0), (1, 2, 0)]


def test_a_change_found_inside_a_value_is_looked_for_once(
    clock: FakeClock, snapshots_taken: list[Any]
) -> None:
    session, request = _session(clock)
    session["cart"].append(3)
    # Handed out, then compared at the response: the write that follows does not compare again.
    assert _stored(request)[2]["cart"] == [1, 2, 3]
    assert len(snapshots_taken) == 2


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([1], [1.0]),
        ([1], [True]),
        ([0.0], [-0.0]),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"cart": [{"n": 2}]}, {"cart": [{"n": 2.0}]}),
    ],
    ids=["int-float", "int-bool", "zero-signs", "key-order", "nested"],
)
def test_snapshots_tell_apart_values_that_compare_equal_but_are_stored_differently(
    before: Any, after: Any
) -> None:
    assert before == after
    assert json.dumps(before) != json.dumps(after)
    assert _snapshots.snapshot(before) != _snapshots.snapshot(after)


class _Colour(str, enum.Enum):
    RED = "red"


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [[uuid.UUID(int=1)], [datetime(2026, 1, 1)], [_Colour.RED], {"deep": _nested(3000)}],
    ids=["uuid", "datetime", "str-enum", "too-deep"],
)
def test_a_value_marshal_cannot_write_has_no_snapshot_and_is_not_watched(value: Any) -> None:
    watched = _snapshots.Watched()
    assert _snapshots.snapshot(value) is None
    assert watched.add(value) is False
    assert watched.add_all([1, "two", value]) is False
    assert watched.changed() is False  # nothing watched


@pytest.mark.parametrize(
    "take", [lambda s: s["seen"], lambda s: dict(s.items())["seen"]], ids=["seen", "items()"]
)
def test_a_value_without_a_snapshot_is_compared_through_the_serializer(clock: FakeClock, take: Any) -> None:
    # A datetime is no type marshal writes: the whole state is then compared as before.
    rich = RichJSONSerializer()
    factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, serializer=rich)
    writer = FakeRequest()
    factory(writer).update(seen=[datetime(2026, 1, 2, 3, 4, 5)], cart=[1])
    cookie = "session=" + cookie_value(writer.respond().set_cookies()[0])
    read_only = FakeRequest(cookie)
    assert take(factory(read_only)) == [datetime(2026, 1, 2, 3, 4, 5)]
    assert read_only.respond().set_cookies() == []
    changed = FakeRequest(cookie)
    session = factory(changed)
    take(session).append(datetime(2026, 2, 3, 4, 5, 6))
    session["cart"].append(2)
    (header,) = changed.respond().set_cookies()
    assert dict(factory(FakeRequest("session=" + cookie_value(header)))) == {
        "seen": [datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 2, 3, 4, 5, 6)],
        "cart": [1, 2],
    }


def test_an_unstorable_value_put_inside_is_refused_at_the_response(clock: FakeClock) -> None:
    session, request = _session(clock)
    session["cart"].append(uuid.UUID(int=7))  # no snapshot for it now: the encode says what is wrong
    with pytest.raises(SessionNotSerializable, match="cart"):
        request.respond()


def _flip_a_number(container: Any) -> bool:
    """Change the first number or boolean in ``container`` (at any depth) into an equal
    value of another type: ``1`` into ``1.0``, ``True`` into ``1``; False if none."""
    items = list(container.items()) if isinstance(container, dict) else list(enumerate(container))
    for key, value in items:
        if type(value) in (bool, int, float) and math.isfinite(value):
            container[key] = int(value) if type(value) is not int else float(value)
            return True
        if isinstance(value, (list, dict)) and _flip_a_number(value):
            return True
    return False


def _refill(container: Any, items: Any) -> None:
    if isinstance(container, list):
        container[:] = items
    else:
        container.clear()
        container.update(items)


def _copy_of_itself(container: Any) -> bool:
    _refill(container, list(container.items() if isinstance(container, dict) else container))
    return True


def _keys_reordered(container: Any) -> bool:
    if not isinstance(container, dict) or len(container) < 2:
        return False
    _refill(container, reversed(list(container.items())))
    return True


def _appended(container: Any) -> bool:
    if not isinstance(container, list):
        return False
    container.append(None)
    return True


# Changes made in place to a container taken out of the session; False: not applicable.
IN_PLACE: dict[str, Callable[[Any], bool]] = {
    "nothing": lambda container: True,
    "copy of itself": _copy_of_itself,
    "equal number of another type": _flip_a_number,
    "keys reordered": _keys_reordered,
    "appended": _appended,
}


@settings(max_examples=150, deadline=None)
@given(
    state=st.dictionaries(
        st.text(max_size=4),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        min_size=1,
        max_size=4,
    ),
    pick=st.integers(min_value=0),
    change=st.sampled_from(sorted(IN_PLACE)),
)
def test_a_cookie_is_written_exactly_when_an_in_place_change_changes_the_stored_json(
    state: dict[str, Any], pick: int, change: str
) -> None:
    # Equal as Python values is not enough: 1 == 1.0 == True, and dicts compare without
    # their order, while the cookie stores each differently.
    containers = [key for key, value in state.items() if isinstance(value, (list, dict))]
    assume(containers)
    key = containers[pick % len(containers)]
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(), reissue_time=None)
    request = FakeRequest(_cookie(state))
    session = factory(request)
    before = json.dumps(dict(dict.items(session)))  # read without handing anything out
    assume(IN_PLACE[change](session[key]))
    after = json.dumps(dict(dict.items(session)))
    stored = _stored(request)
    assert (stored is not None) == (after != before)
    if stored is not None:
        assert json.dumps(stored[2]) == after


def test_a_new_session_is_not_compared(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None)
    request = FakeRequest()
    assert factory(request).get("cart", []) == []
    assert request.respond().set_cookies() == []


def test_the_written_accessed_is_the_last_access_not_the_response_time(clock: FakeClock) -> None:
    # The comparison reads the state without counting as an access at response time.
    session, request = _session(clock)
    clock.advance(5)
    session["cart"].append(3)
    clock.advance(100)  # a slow view
    assert _stored(request)[:2] == [int(NOW) + 5, CREATED]


@settings(max_examples=80, deadline=None)
@given(
    state=st.dictionaries(
        st.text(max_size=6),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=6),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=10,
        ),
        max_size=5,
    )
)
def test_any_state_read_in_full_without_change_writes_nothing(state: dict[str, Any]) -> None:
    # Re-serializing what came in gives the same bytes, whatever the JSON holds, so a read
    # never costs a Set-Cookie.
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(), reissue_time=None)
    request = FakeRequest(_cookie(state))
    session = factory(request)
    assert [session[key] for key in session] == list(state.values())
    assert request.respond().set_cookies() == []


# -- end to end through Pyramid ------------------------------------------------------------------


@pytest.fixture
def _pyramid() -> None:
    require(HAVE_PYRAMID, "Pyramid, WebOb and WebTest")


def _views() -> dict[str, Any]:
    def add(request: Request) -> Response:
        if "cart" not in request.session:
            request.session["cart"] = []
        request.session["cart"].append(request.params["item"])  # no changed()
        return Response("added")

    def cart(request: Request) -> Response:
        return Response(",".join(request.session.get("cart", [])))

    return {"add": add, "cart": cart}


@pytest.mark.usefixtures("_pyramid")
@pytest.mark.parametrize(("detect", "cart"), [(True, "apple,pear,fig"), (False, "apple")])
def test_a_cart_through_a_pyramid_app(clock: FakeClock, detect: bool, cart: str) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, detect_nested_changes=detect)
    app = pyramid_app(factory, _views())
    user = User("ann")
    written = [
        len(user.get(app, "/add", params={"item": item}).headers.getall("Set-Cookie"))
        for item in ("apple", "pear", "fig")
    ]
    reading = user.get(app, "/cart")
    # The first request stores the new list; later appends are stored only when detected.
    assert (written, reading.text, reading.headers.getall("Set-Cookie")) == (
        [1, 1, 1] if detect else [1, 0, 0],
        cart,
        [],
    )


@pytest.mark.usefixtures("_pyramid")
def test_a_cart_in_a_cookie_written_by_real_pyramid(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import pyramid.session

    monkeypatch.setattr(time, "time", clock)  # real Pyramid reads the same fake clock

    theirs = pyramid_app(pyramid.session.SignedCookieSessionFactory(SECRET), _views())
    ours = pyramid_app(SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None), _views())
    user = User("ann")
    user.get(theirs, "/add", params={"item": "\u00e9clair"})  # Pyramid's JSON: \\u escapes
    # Reading Pyramid's cookie re-serializes it to the same bytes: nothing to write.
    reading = user.get(ours, "/cart")
    assert (reading.text, reading.headers.getall("Set-Cookie")) == ("\u00e9clair", [])
    assert len(user.get(ours, "/add", params={"item": "fig"}).headers.getall("Set-Cookie")) == 1
    assert user.get(theirs, "/cart").text == "\u00e9clair,fig"
