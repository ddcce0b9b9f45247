"""Re-issuing an unchanged session copies the incoming state's JSON (issue 7).

A read-only request re-issues the cookie (``reissue_time=0``, Pyramid's default)
with a fresh ``accessed`` time.  When nothing was written and no mutable value
left the session, the state is still the one parsed from the incoming payload,
so its JSON text is copied instead of encoded again.  These tests pin down that
this never changes a cookie's bytes, that it really happens, and that every way
a nested value can leave the session turns it off, so no nested change is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession._reuse import times_json
from cookiesession.codec import SessionCodec
from cookiesession.session import CookieSession
from cookiesession.signing import Signer

from .conftest import FakeClock
from .session_harness import stored_state

SECRET = "k" * 64

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
    return header.split(";", 1)[0].split("=", 1)[1]


def _state(factory: type[CookieSession], header: str | None) -> dict[str, Any]:
    return stored_state(factory.from_cookie_value(_token(header)))


def _issue(factory: type[CookieSession], state: dict[str, Any]) -> str:
    session = factory.from_cookie_value(None)
    session.update(state)
    return _token(session.set_cookie_header())


def _reloaded(
    state: dict[str, Any], start: float = 1_700_000_000.5, later: int = 5, **options: Any
) -> tuple[type[CookieSession], CookieSession]:
    """A factory, and its session for a cookie storing ``state``, ``later`` seconds on."""
    clock = FakeClock(start)
    factory = _factory(clock, **options)
    token = _issue(factory, state)
    clock.advance(later)
    return factory, factory.from_cookie_value(token)


@settings(max_examples=150, deadline=None)
@given(
    state=states,
    reads=st.lists(st.sampled_from(["contains", "len", "keys", "iter", "scalar"]), min_size=1, max_size=3),
)
def test_a_reissued_unchanged_session_has_the_bytes_a_full_encode_gives(
    state: dict[str, Any], reads: list[str]
) -> None:
    factory, session = _reloaded(state)
    for read in reads:  # accessors that hand out nothing mutable
        if read == "contains":
            _ = "x" in session
        elif read == "len":
            _ = len(session)
        elif read == "keys":
            _ = list(session.keys())
        elif read == "iter":
            _ = list(session)
        else:
            _ = session.get("missing-key")
    header = session.set_cookie_header()
    codec: SessionCodec = factory._codec
    expected = codec.encode(session.accessed, session.created, session)
    assert _token(header) == expected
    assert _state(factory, header) == json.loads(json.dumps(state))


def test_the_incoming_text_is_really_reused_on_a_read_only_request_and_after_assignments(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = _factory(clock)
    token = _issue(factory, {"user_id": 42, "cart": [1, 2], "prefs": {"a": None}})
    clock.advance(5)
    full_encodes: list[int] = []
    original = SessionCodec.encode

    def counting(self: SessionCodec, accessed: float, created: float, state: dict[str, Any]) -> str:
        full_encodes.append(1)
        return original(self, accessed, created, state)

    monkeypatch.setattr(SessionCodec, "encode", counting)
    session = factory.from_cookie_value(token)
    assert session["user_id"] == 42  # an int: nothing mutable leaves the session
    header = session.set_cookie_header()
    assert full_encodes == []
    assert _state(factory, header) == {"user_id": 42, "cart": [1, 2], "prefs": {"a": None}}

    session = factory.from_cookie_value(token)
    session["user_id"] = 7  # assignments: spliced into the incoming text
    session["last_seen"] = [1]
    header = session.set_cookie_header()
    assert full_encodes == []
    assert _state(factory, header) == {"user_id": 7, "cart": [1, 2], "prefs": {"a": None}, "last_seen": [1]}

    session = factory.from_cookie_value(token)
    del session["cart"]  # any other change: encoded in full
    session.set_cookie_header()
    assert full_encodes == [1]


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
    codec: SessionCodec = factory._codec
    assert _token(header) == codec.encode(session.accessed, session.created, session)
    assert _state(factory, header) == json.loads(json.dumps(expected))


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
    token = Signer(SECRET).sign(payload.encode())
    session = factory.from_cookie_value(token)
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
    factory = _factory(FakeClock(1_700_000_000.5), timeout=None)
    session = factory.from_cookie_value(Signer(SECRET).sign(payload.encode()))
    assert not session.new
    expected = dict(state)
    for key, value in assigned:
        session[key] = value
        expected[key] = value
    assert _state(factory, session.set_cookie_header()) == json.loads(json.dumps(expected))


def test_an_unstorable_assignment_is_reported_as_without_reuse(clock: FakeClock) -> None:
    from cookiesession.exceptions import SessionNotSerializable

    factory = _factory(clock)
    token = _issue(factory, {"a": 1})
    session = factory.from_cookie_value(token)
    session["bad"] = object()
    with pytest.raises(SessionNotSerializable, match=r"session\['bad'\]"):
        session.set_cookie_header()


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
    token = _issue(factory, {"cart": [1, 2], "_f_": ["hello"], "n": 1})
    clock.advance(5)
    session = factory.from_cookie_value(token)
    HANDOUTS[route](session)
    expected = stored_state(session)
    stored = _state(factory, session.set_cookie_header())
    assert stored == expected
    assert stored != {"cart": [1, 2], "_f_": ["hello"], "n": 1}


def test_json_dumps_of_the_session_counts_as_handing_values_out(clock: FakeClock) -> None:
    factory = _factory(clock)
    token = _issue(factory, {"cart": [1, 2]})
    clock.advance(5)
    session = factory.from_cookie_value(token)
    assert json.dumps(session) == '{"cart": [1, 2]}'
    assert session._exposed is True


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
    token = Signer(SECRET).sign(payload.encode())
    clock.advance(5)
    session = factory.from_cookie_value(token)
    assert session["a"] == 1
    header = session.set_cookie_header()
    stored_payload, _ = Signer(SECRET).unsign(_token(header))
    accessed, created, state = json.loads(stored_payload)
    assert (accessed, created, state) == (int(clock.now), 1700000000.5, {"a": 1})
    assert stored_payload.startswith(f"[{int(clock.now)}, 1700000000.5, {{".encode())


@settings(max_examples=200, deadline=None)
@given(state=states, start=st.sampled_from([999_999_990.25, 1_700_000_000.5]), later=st.integers(1, 20))
def test_a_reissue_signs_again_keeping_the_old_token_text(
    state: dict[str, Any], start: float, later: int
) -> None:
    # Across 999_999_999 -> 1_000_000_000 the head grows a digit: the state's bytes
    # move, and the token is encoded in full instead.
    factory, session = _reloaded(state, start, later, timeout=None)
    _ = len(session)
    header = session.set_cookie_header()
    codec: SessionCodec = factory._codec
    assert _token(header) == codec.encode(session.accessed, session.created, session)
    assert _state(factory, header) == json.loads(json.dumps(state))


def test_a_reissue_under_a_new_secret_without_a_read_gives_the_bytes_a_full_encode_gives(
    clock: FakeClock,
) -> None:
    # Verified under a fallback secret, the session is re-issued under the primary
    # one even if nothing reads it; `accessed` is then still the incoming float
    # time, which the head is written from as json.dumps writes it.
    old_token = _issue(_factory(clock), {"user_id": 42, "cart": [1, 2]})
    clock.advance(5)
    factory = SignedCookieSessionFactory("n" * 64, clock=clock, fallback_secrets=[SECRET])
    session = factory.from_cookie_value(old_token)
    assert type(session.accessed) is float
    header = session.set_cookie_header()
    assert _token(header) == factory._codec.encode(session.accessed, session.created, session)
    assert Signer("n" * 64).unsign(_token(header))[0].startswith(b"[1700000000.0, ")
    assert _state(factory, header) == {"user_id": 42, "cart": [1, 2]}


def test_a_reissue_encodes_only_the_start_of_the_token(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cookiesession import signing

    factory = _factory(clock)
    token = _issue(factory, {"user_id": 42, "history": ["/a/b/c"] * 40})
    clock.advance(5)
    encoded: list[int] = []
    original = signing.b64encode

    def measuring(raw: bytes) -> str:
        encoded.append(len(raw))
        return original(raw)

    monkeypatch.setattr(signing, "b64encode", measuring)
    session = factory.from_cookie_value(token)
    assert session["user_id"] == 42  # a read re-issues (reissue_time=0)
    header = session.set_cookie_header()
    assert len(encoded) == 1
    assert encoded[0] < 64 + 40  # the signature and the times, not the state
    assert len(_token(header)) == len(token)
    assert _state(factory, header) == {"user_id": 42, "history": ["/a/b/c"] * 40}


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
    head = times_json(text, text.find("{"), later, parsed_created, True)
    assert head == json.dumps([later, created])[:-1] + ", "


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
    head = times_json(text, text.find("{"), 1700000042, created, True)
    assert json.loads(head + '{"a": 1}]') == [1700000042, 1700000000.5, {"a": 1}]


def test_a_created_time_from_the_future_is_stored_as_now_not_as_it_came(clock: FakeClock) -> None:
    # A server whose clock ran ahead wrote `created`: it reads as now here, and the
    # re-issued cookie must store that, not the incoming text.
    future = clock.now + 100
    token = Signer(SECRET).sign(json.dumps([int(clock.now), future, {"a": 1}]).encode())
    clock.advance(5)
    factory = _factory(clock)
    session = factory.from_cookie_value(token)
    assert (session["a"], session.created) == (1, clock.now)
    accessed, created, state = json.loads(Signer(SECRET).unsign(_token(session.set_cookie_header()))[0])
    assert (accessed, created, state) == (int(clock.now), clock.now, {"a": 1})
