"""Writing a loaded session back reuses the incoming cookie's text, byte for byte.

A session loaded from a cookie keeps the payload it came in.  Written back with
no change (a read-only request that re-issues, or a re-issue under a new
secret), the payload is signed again under a new head of times; after plain
assignments, the assigned values are spliced into the incoming state's JSON.
These tests pin down that both give exactly the token of a full encode
(``SessionCodec.encode`` without ``incoming``), that the reuse really happens,
that on any other layout of the payload the data stored is still right, and that
a nested value that left the session by any way and was changed in place turns
reuse off, so no nested change is lost (one that left unchanged does not).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import EncryptedCookieSessionFactory, SessionNotSerializable, SignedCookieSessionFactory
from cookiesession._json import MAX_DEPTH
from cookiesession._reuse import state_json, times_json
from cookiesession.codec import SessionCodec
from cookiesession.loading import Loaded, load
from cookiesession.session import CookieSession
from cookiesession.signing import Signer
from tests.session_harness import (
    NOW,
    OTHER_SECRET,
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    mint,
    payload_of,
    signed,
    stored_state,
)

# Broader than tests.strategies: infinities and integers of any size, whose JSON text
# a reused payload must carry exactly as json.dumps writes it.
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
states = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def _factory(clock: FakeClock, **options: Any) -> type[CookieSession]:
    return SignedCookieSessionFactory(SECRET, clock=clock, **options)


def _token(header: str | None) -> str:
    assert header is not None
    return cookie_value(header)


def _state(factory: type[CookieSession], header: str | None) -> dict[str, Any]:
    """The state that the cookie of ``header`` holds, as ``factory`` reads it."""
    return stored_state(factory.from_cookie_value(_token(header)))


def _reloaded(
    state: dict[str, Any], start: float = NOW, later: int = 5, **options: Any
) -> tuple[type[CookieSession], CookieSession]:
    """A factory, and its session for a cookie storing ``state``, ``later`` seconds on."""
    clock = FakeClock(start)
    factory = _factory(clock, **options)
    token = mint(factory, state)
    clock.advance(later)
    return factory, factory.from_cookie_value(token)


def _full_encode(factory: type[CookieSession], session: CookieSession) -> str:
    """The token of the session's state encoded in full, reusing nothing."""
    return factory._codec.encode(session.accessed, session.created, stored_state(session))


@contextmanager
def _full_encodes() -> Iterator[list[int]]:
    """Count the states serialized in full (reuse serializes none) while it is open."""
    calls: list[int] = []
    original = SessionCodec._payload

    def counting(self: SessionCodec, accessed: float, created: float, state: dict[str, Any]) -> bytes:
        calls.append(1)
        return original(self, accessed, created, state)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SessionCodec, "_payload", counting)
        yield calls


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


# -- the session writes what a full encode writes ------------------------------------------


READS: dict[str, Callable[[CookieSession], object]] = {
    "contains": lambda s: "x" in s,
    "len": len,
    "keys": lambda s: list(s.keys()),
    "iter": list,
    "missing": lambda s: s.get("missing-key"),
    # These hand out the state's lists and dicts, which stay as they were.
    "every value": lambda s: [s[key] for key in s],
    "items": lambda s: list(s.items()),
    "values": lambda s: list(s.values()),
    "copy": lambda s: s.copy(),
}


@settings(max_examples=150, deadline=None)
@given(state=states, reads=st.lists(st.sampled_from(sorted(READS)), min_size=1, max_size=3))
def test_a_reissued_unchanged_session_has_the_bytes_a_full_encode_gives(
    state: dict[str, Any], reads: list[str]
) -> None:
    factory, session = _reloaded(state)
    for read in reads:
        READS[read](session)
    with _full_encodes() as calls:
        header = session.set_cookie_header()
    assert calls == []  # the incoming payload signed again, whatever the state holds
    assert _token(header) == _full_encode(factory, session)
    assert _state(factory, header) == json.loads(json.dumps(state))


ASSIGNED_KEYS = st.sampled_from(["a", "b", "user_id", "é", 'q"', "x\\y", "", "new", "_f_"]) | st.text(
    max_size=4
)


@settings(max_examples=300, deadline=None)
@given(
    state=states,
    assignments=st.lists(st.tuples(ASSIGNED_KEYS | st.integers(0, 3), json_values), min_size=1, max_size=5),
)
def test_assignments_spliced_into_the_incoming_text_give_the_bytes_a_full_encode_gives(
    state: dict[str, Any], assignments: list[tuple[Any, Any]]
) -> None:
    factory, session = _reloaded(state)
    expected = json.loads(json.dumps(state))
    for key, value in assignments:
        session[key] = value
        expected[key] = value
    header = session.set_cookie_header()
    assert _token(header) == _full_encode(factory, session)
    assert _state(factory, header) == json.loads(json.dumps(expected))


@settings(max_examples=300, deadline=None)
@given(
    state=states,
    steps=st.lists(
        st.tuples(st.sampled_from(["take", "change", "assign"]), st.integers(0, 7), json_values),
        min_size=1,
        max_size=6,
    ),
)
def test_values_taken_out_and_changed_or_not_give_the_bytes_a_full_encode_gives(
    state: dict[str, Any], steps: list[tuple[str, int, Any]]
) -> None:
    factory, session = _reloaded(state)
    assert len(session) == len(state)  # a use: the response re-issues the cookie
    taken: list[Any] = []
    changed = False
    for step, pick, value in steps:
        keys = list(dict.keys(session))
        if step == "take" and keys:
            got = session[keys[pick % len(keys)]]
            if isinstance(got, (list, dict)):
                taken.append(got)
        elif step == "change" and taken:
            target = taken[pick % len(taken)]
            if isinstance(target, list):
                target.append(value)
            else:
                target[str(pick)] = value
            changed = True
        elif step == "assign":
            session[keys[pick % len(keys)] if keys and pick < 4 else f"new{pick}"] = value
            changed = True
    with _full_encodes() as calls:
        header = session.set_cookie_header()
    assert _token(header) == _full_encode(factory, session)
    assert _state(factory, header) == json.loads(json.dumps(stored_state(session)))
    if not changed:
        assert calls == []  # the values taken out are as they came: the incoming text is signed again


# -- the codec's reuse paths, against its own full encode ----------------------------------


def _load(factory: type[CookieSession], token: str, now: float) -> Loaded:
    loaded = load(factory._codec, factory._limits, token, now)
    assert loaded is not None
    assert loaded.expired is False
    return loaded


@settings(max_examples=300, deadline=None)
@given(
    state=states,
    assignments=st.lists(st.tuples(ASSIGNED_KEYS, json_values), max_size=4),
    start=st.sampled_from([999_999_990.25, NOW]),
    later=st.integers(0, 20),
    float_accessed=st.booleans(),
)
def test_the_codec_reuses_the_incoming_payload_only_for_the_bytes_of_a_full_encode(
    state: dict[str, Any],
    assignments: list[tuple[str, Any]],
    start: float,
    later: int,
    float_accessed: bool,
) -> None:
    # Re-signing (no assignment) and splicing (assignments), with `accessed` an int (a
    # read) or the incoming float (nothing read), across a change in the number of digits.
    clock = FakeClock(start)
    factory = _factory(clock, timeout=None)
    token = mint(factory, state)
    clock.advance(later)
    loaded = _load(factory, token, clock.now)
    codec: SessionCodec = factory._codec
    accessed = loaded.renewed if float_accessed else int(clock.now)
    current = dict(loaded.state)
    for key, value in assignments:
        current[key] = value
    assigned = [key for key, _ in assignments] or None
    reused = codec.encode(accessed, loaded.created, current, loaded, assigned)
    assert reused == codec.encode(accessed, loaded.created, current)


def test_the_incoming_text_is_really_reused_on_a_read_only_request_and_after_assignments(
    clock: FakeClock,
) -> None:
    factory = _factory(clock)
    state = {"user_id": 42, "cart": [1, 2], "prefs": {"a": None}}
    token = mint(factory, state)
    clock.advance(5)
    session = factory.from_cookie_value(token)
    with _full_encodes() as calls:
        assert session["user_id"] == 42  # an int: nothing mutable leaves the session
        header = session.set_cookie_header()
    assert (calls, _token(header), _state(factory, header)) == ([], _full_encode(factory, session), state)

    session = factory.from_cookie_value(token)
    with _full_encodes() as calls:
        session["user_id"] = 7  # assignments: spliced into the incoming text
        session["last_seen"] = [1]
        header = session.set_cookie_header()
    assert (calls, _token(header), _state(factory, header)) == (
        [],
        _full_encode(factory, session),
        {"user_id": 7, "cart": [1, 2], "prefs": {"a": None}, "last_seen": [1]},
    )

    session = factory.from_cookie_value(token)
    with _full_encodes() as calls:
        del session["cart"]  # any other change: encoded in full
        header = session.set_cookie_header()
    assert (calls, _state(factory, header)) == ([1], {"user_id": 42, "prefs": {"a": None}})


def test_an_encrypted_reissue_seals_the_full_encodes_payload_without_serializing_the_state(
    clock: FakeClock,
) -> None:
    # An encrypted token changes as a whole (a fresh nonce), but its payload is still
    # the incoming one under a new head: exactly the payload a full encode seals.
    factory = EncryptedCookieSessionFactory(SECRET, clock=clock)
    token = mint(factory, {"user_id": 42, "cart": [1, 2]})
    clock.advance(5)
    session = factory.from_cookie_value(token)
    with _full_encodes() as calls:
        assert session["user_id"] == 42
        header = session.set_cookie_header()
    codec: SessionCodec = factory._codec
    payload, _ = codec.protector.unseal(_token(header))
    assert (calls, payload) == ([], codec.dumps(int(clock.now), session.created, stored_state(session)))


# -- any layout of a signed payload: the right data ----------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # A foreign writer holding the secret need not write as json.dumps does.
        ('[1, 2.5, {"a":1, "n": {"a": 2}}]', {"a": 9, "n": {"a": 2}}),  # the top-level key without ": "
        ('[1, 2.5, {"n": {"a": 2}, "a":1}]', {"a": 9, "n": {"a": 2}}),
        (
            '[1, 2.5, {"\\u0061": 1, "n": {"a": 2}}]',
            {"a": 9, "n": {"a": 2}},
        ),  # the key spelled with an escape
        ('[1, 2.5, {"a": 1, "\\u0061": 2}]', {"a": 9}),  # a repeated key, spelled two ways
        ('[1, 2.5, {"a": 1, "a": 2}]', {"a": 9}),  # a repeated key, spelled one way
        ('[1, 2.5, {"a": 1, "s": "\\"a\\": 3"}]', {"a": 9, "s": '"a": 3'}),  # the marker inside a string
        ('[1, 2.5, {"b": [1, {"a": 0}], "a": 1}]', {"a": 9, "b": [1, {"a": 0}]}),
        ('[1, 2.5, {"a" : 1}]', {"a": 9}),
        # A key with space before its colon, while "a": is also a nested key or a repeat.
        ('[1, 2.5, {"b": {"a": 5}, "a" : 1}]', {"a": 9, "b": {"a": 5}}),
        ('[1, 2.5, {"a" :1, "b": {"a": 5}}]', {"a": 9, "b": {"a": 5}}),
        ('[1, 2.5, {"b": {"a": 5}, "a"\n:1}]', {"a": 9, "b": {"a": 5}}),
        ('[1, 2.5, {"b": {"a": 5}, "a"\t :1}]', {"a": 9, "b": {"a": 5}}),
        ('[1, 2.5, {"a": 1, "a" :2}]', {"a": 9}),
        # ... and a string that starts with a colon, so that '":' and '": ' count the same.
        ('[1, 2.5, {"b": ": x", "c": {"a": 5}, "a" :1}]', {"a": 9, "b": ": x", "c": {"a": 5}}),
        # An empty state with whitespace inside its braces.
        ("[1, 2.5, { }]", {"a": 9}),
        ("[1, 2.5, {\n}]", {"a": 9}),
        ('[1, 2.5, {"a": 1,"b": 2}]', {"a": 9, "b": 2}),
        ("[1, 2.5, {}]", {"a": 9}),
        ('[1, 2.5, {"a": 1}] ', {"a": 9}),  # whitespace after the array
        ('[1, 2.5, {"a": 1} ]', {"a": 9}),  # whitespace after the state
        ('[1, 2.5, {"a": 1}\n]', {"a": 9}),
        ('[1,2.5,{"a": 1}]', {"a": 9}),
        ('  [ 1 ,\t2.5 , {"a": 1}]', {"a": 9}),
    ],
)
def test_assignments_into_any_signed_layout_store_the_right_data(
    clock: FakeClock, payload: str, expected: dict[str, Any]
) -> None:
    factory = _factory(clock, timeout=None)
    session = factory.from_cookie_value(signed(payload))
    session["a"] = 9
    session["z"] = [True]  # a new key too
    assert _state(factory, session.set_cookie_header()) == {**expected, "z": [True]}


# Few key names, so that a top-level key also turns up nested and in strings.
_keys = st.sampled_from(["a", "b", ": a"])
_nested = st.recursive(
    json_scalars | _keys,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)
# JSON whitespace, mostly as json.dumps writes it (so that the text can be reused)
# and sometimes not: before a key's colon, after it, and everywhere else.
_before_colon = st.lists(st.sampled_from(["", "", "", " ", "\n", "\t "]), min_size=1, max_size=20)
_after_colon = st.lists(st.sampled_from([" ", " ", " ", "", "  ", "\r\n"]), min_size=1, max_size=20)
_elsewhere = st.lists(st.sampled_from(["", "", " ", "\n"]), min_size=1, max_size=20)


def _spaced(value: Any, space: Callable[[str], str]) -> str:
    """``value`` as JSON with ``space(where)`` around its tokens, as a writer other
    than json.dumps may lay it out (``where``: before or after a colon, or else)."""
    if isinstance(value, dict):
        entries = [
            f"{space('')}{json.dumps(key)}{space('before')}:{space('after')}{_spaced(item, space)}{space('')}"
            for key, item in value.items()
        ]
        return "{" + (",".join(entries) or space("")) + "}"
    if isinstance(value, list):
        items = [f"{space('')}{_spaced(item, space)}{space('')}" for item in value]
        return "[" + (",".join(items) or space("")) + "]"
    return json.dumps(value)


@settings(max_examples=500, deadline=None)
@given(
    state=st.dictionaries(_keys, _nested, max_size=4),
    assigned=st.lists(st.tuples(_keys, _nested), min_size=1, max_size=3),
    before=_before_colon,
    after=_after_colon,
    elsewhere=_elsewhere,
)
def test_assignments_into_any_whitespace_layout_store_the_right_data(
    state: dict[str, Any],
    assigned: list[tuple[str, Any]],
    before: list[str],
    after: list[str],
    elsewhere: list[str],
) -> None:
    cycles = {"before": iter(before * 500), "after": iter(after * 500), "": iter(elsewhere * 500)}

    def space(where: str) -> str:
        return next(cycles[where])

    payload = f"[1, 2.5, {_spaced(state, space)}]"
    factory = _factory(FakeClock(), timeout=None)
    session = factory.from_cookie_value(signed(payload))
    assert session.new is False
    expected = dict(state)
    for key, value in assigned:
        session[key] = value
        expected[key] = value
    assert _state(factory, session.set_cookie_header()) == json.loads(json.dumps(expected))


@pytest.mark.parametrize(
    "payload",
    [
        '[1700000000, 1700000000.5,  {"a": 1}]',  # two spaces
        '[1700000000,1700000000.5,{"a": 1}]',  # no spaces
        '[1700000000, 1700000000.5, {"a": 1} ]',  # space before the bracket
        ' [1700000000, 1700000000.5, {"a": 1}]',  # leading space
        '[1700000000, 1700000000.5, {"a" : 1}]',  # inside the state: copied, same data
    ],
)
def test_other_layouts_of_a_signed_payload_reissue_the_same_data(clock: FakeClock, payload: str) -> None:
    factory = _factory(clock)
    clock.advance(5)
    session = factory.from_cookie_value(signed(payload))
    assert session["a"] == 1
    stored_payload, _ = Signer(SECRET).unsign(_token(session.set_cookie_header()))
    assert json.loads(stored_payload) == [int(clock.now), 1700000000.5, {"a": 1}]
    assert stored_payload.startswith(f"[{int(clock.now)}, 1700000000.5, {{".encode())


# -- what cannot be stored -------------------------------------------------------------------


def test_an_unstorable_assignment_is_reported_naming_its_key(clock: FakeClock) -> None:
    factory = _factory(clock)
    session = factory.from_cookie_value(mint(factory, {"a": 1}))
    session["bad"] = [object()]  # inside a list: found when the cookie is written
    with pytest.raises(SessionNotSerializable, match=r"^session\['bad'\] cannot be stored in a cookie: "):
        session.set_cookie_header()


def test_an_assignment_nested_deeper_than_the_limit_is_refused_as_a_full_encode_refuses_it(
    clock: FakeClock,
) -> None:
    # The state's dict is the first level: an assigned value may add MAX_DEPTH - 1 more.
    factory = _factory(clock)
    token = mint(factory, {"a": 1})
    session = factory.from_cookie_value(token)
    session["k"] = _nested_list(MAX_DEPTH - 2)
    header = session.set_cookie_header()
    assert (_token(header), _state(factory, header)) == (
        _full_encode(factory, session),
        {"a": 1, "k": _nested_list(MAX_DEPTH - 2)},
    )
    session = factory.from_cookie_value(token)
    session["k"] = _nested_list(MAX_DEPTH - 1)
    with pytest.raises(SessionNotSerializable, match=rf"^session\['k'\] .* more than {MAX_DEPTH} levels"):
        session.set_cookie_header()


# -- a nested change is never lost -----------------------------------------------------------

# Every way a mutable value can leave the session, each followed by a change to it.
HANDOUTS: dict[str, Callable[[CookieSession], None]] = {
    "getitem": lambda s: s["cart"].append(3),
    "get": lambda s: s.get("cart").append(3),
    "values": lambda s: next(v for v in s.values() if isinstance(v, list)).append(3),
    "items": lambda s: dict(s.items())["cart"].append(3),
    "copy": lambda s: s.copy()["cart"].append(3),
    "dict": lambda s: dict(s)["cart"].append(3),
    "or": lambda s: (s | {})["cart"].append(3),
    "unpack": lambda s: {**s}["cart"].append(3),
    "peek_flash": lambda s: s.peek_flash().append("new"),
    "setdefault": lambda s: s.setdefault("cart", []).append(3),
    "pop_and_put_back": lambda s: s.__setitem__("cart", [*s.pop("cart"), 3]),
}


@pytest.mark.parametrize("route", sorted(HANDOUTS))
@pytest.mark.parametrize("detect", [True, False])
def test_a_nested_change_is_never_lost_on_reissue(clock: FakeClock, route: str, detect: bool) -> None:
    factory = _factory(clock, detect_nested_changes=detect)
    token = mint(factory, {"cart": [1, 2], "_f_": ["hello"], "n": 1})
    clock.advance(5)
    session = factory.from_cookie_value(token)
    HANDOUTS[route](session)
    expected = stored_state(session)
    stored = _state(factory, session.set_cookie_header())
    assert stored == expected
    assert stored != {"cart": [1, 2], "_f_": ["hello"], "n": 1}


def test_json_dumps_of_the_session_sees_the_whole_state_and_counts_as_a_read(clock: FakeClock) -> None:
    factory = _factory(clock)
    token = mint(factory, {"cart": [1, 2], "n": 1})
    clock.advance(5)
    session = factory.from_cookie_value(token)
    assert json.dumps(session) == '{"cart": [1, 2], "n": 1}'
    # A read a later second: re-issued (reissue_time=0), with the same data.
    header = session.set_cookie_header()
    assert (session.used, payload_of(_token(header))) == (
        True,
        [int(clock.now), NOW, {"cart": [1, 2], "n": 1}],
    )


# -- re-signing keeps the old token's text ---------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(state=states, start=st.sampled_from([999_999_990.25, NOW]), later=st.integers(1, 20))
def test_a_reissue_across_a_change_in_the_number_of_digits_gives_the_bytes_a_full_encode_gives(
    state: dict[str, Any], start: float, later: int
) -> None:
    # Across 999_999_999 -> 1_000_000_000 the head grows a digit: the state's bytes
    # move, and the payload is signed whole instead of in place.
    factory, session = _reloaded(state, start, later, timeout=None)
    _ = len(session)
    with _full_encodes() as calls:
        header = session.set_cookie_header()
    assert (calls, _token(header)) == ([], _full_encode(factory, session))
    assert _state(factory, header) == json.loads(json.dumps(state))


def test_a_reissue_under_a_new_secret_without_a_read_gives_the_bytes_a_full_encode_gives(
    clock: FakeClock,
) -> None:
    # Verified under a fallback secret, the session is re-issued under the primary
    # one even if nothing reads it; `accessed` is then still the incoming float
    # time, which the head is written from as json.dumps writes it.
    old_token = mint(_factory(clock), {"user_id": 42, "cart": [1, 2]})
    clock.advance(5)
    factory = SignedCookieSessionFactory(OTHER_SECRET, clock=clock, fallback_secrets=[SECRET])
    request = FakeRequest("session=" + old_token)
    session = factory(request)  # Pyramid's way: made when the application asks, so used
    assert type(session.accessed) is float
    with _full_encodes() as calls:
        (header,) = request.respond().set_cookies()
    assert (calls, _token(header)) == ([], _full_encode(factory, session))
    assert _token(header) == signed([float(int(NOW)), NOW, {"user_id": 42, "cart": [1, 2]}], OTHER_SECRET)


# -- the times before the state ---------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    state=states,
    accessed=st.integers(0, 2**53),
    created=st.floats(allow_nan=False, allow_infinity=False),
    later=st.integers(0, 2**53),
)
def test_the_times_keep_the_incoming_created_text_as_json_dumps_writes_it(
    state: dict[str, Any], accessed: int, created: float, later: int
) -> None:
    text = json.dumps([accessed, created, state])
    parsed_created = json.loads(text)[1]
    payload = text.encode()
    head = times_json(payload, payload.find(b"{"), later, parsed_created, True)
    assert head == (json.dumps([later, created])[:-1] + ", ").encode()


@pytest.mark.parametrize(
    "text",
    [
        '[1700000000, 1700000000.5, {"a": 1}]',
        '[1700000000,  1700000000.5, {"a": 1}]',  # two spaces: kept, the same number
        '[1700000000 , 1700000000.5 , {"a": 1}]',
        '[1700000000, 17000000005e-1, {"a": 1}]',  # another spelling of the number: kept
        '[1700000000,\t1700000000.5, {"a": 1}]',
        '[1700000000,\t1700000000.5,\n{"a": 1}]',
        '[1700000000, 1700000000.5,{"a": 1}]',
        '[1700000000,1700000000.5,{"a": 1}]',
        ' [1700000000, 1700000000.5, {"a": 1}]',
    ],
)
def test_the_times_before_any_signed_layout_store_the_same_numbers(text: str) -> None:
    created = json.loads(text)[1]
    payload = text.encode()
    head = times_json(payload, payload.find(b"{"), 1700000042, created, True)
    assert json.loads(head + b'{"a": 1}]') == [1700000042, 1700000000.5, {"a": 1}]


def test_a_created_time_from_the_future_is_stored_as_now_not_as_it_came(clock: FakeClock) -> None:
    # A server whose clock ran ahead wrote `created`: it reads as now here, and the
    # re-issued cookie must store that, not the incoming text.
    token = signed([int(clock.now), clock.now + 100, {"a": 1}])
    clock.advance(5)
    factory = _factory(clock)
    session = factory.from_cookie_value(token)
    assert (session["a"], session.created) == (1, clock.now)
    header = session.set_cookie_header()
    assert _token(header) == signed([int(clock.now), clock.now, {"a": 1}])


@pytest.mark.parametrize("text", ['[1, 2, {"a": 1}] ', '[1, 2, {"a": 1}, 3]', "[1, 2, []]"])
def test_a_payload_that_does_not_end_with_its_state_is_not_spliced(text: str) -> None:
    assert state_json(text, {"a": 2}, ["a"], {"a"}) is None
