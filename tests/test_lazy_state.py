"""The state is parsed when first needed: reading keys answers from the verified text.

A session reads one key of a large state on most requests; the text of a cookie
in the usual layout answers that alone (CookieSession._peek), and the whole state
is parsed only for anything else.  Every test here holds a lazily loaded session
to what ``json.loads`` of the same payload gives.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession import session as session_module
from cookiesession.session import CookieSession
from cookiesession.signing import Signer
from tests.conftest import FakeClock, require
from tests.session_harness import FakeRequest, cookie_value, payload_of, stored_state

NOW = 1_700_000_000.5
SECRET = "lazy-state-secret-" + "0123456789abcdef" * 4
SALT = "pyramid.session."
MISSING = object()

# Read lazily: no backslash, and each key asked for is a string only once.
PLAIN_STATE: dict[str, Any] = {
    "user_id": 42,
    "cart": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}],
    "prefs": {"theme": "light", "tags": ["x"]},
    "note": "brackets {[ and ]} colons : and commas , in a string",
}


@pytest.fixture(autouse=True)
def _every_payload_read_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    # Short payloads are parsed at once (cheaper); here every payload takes the lazy way.
    monkeypatch.setattr(session_module, "_LAZY_FROM", 0)


def _factory(**options: Any) -> type[CookieSession]:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), **options)


def _header(payload_text: str) -> str:
    return "session=" + Signer(SECRET, SALT).sign(payload_text.encode())


def _load(state: dict[str, Any], **options: Any) -> CookieSession:
    text = json.dumps([int(NOW) - 5, NOW - 60, state])
    return _factory(**options)(FakeRequest(_header(text)))


def _written_state(session: CookieSession) -> Any:
    """The state the session's Set-Cookie stores (it must write one)."""
    header = session.set_cookie_header()
    assert header is not None
    return payload_of(cookie_value(header))[2]


def _lazy(session: CookieSession) -> bool:
    return session._unparsed is not None


# -- reads answer from the text, exactly as the parsed state would --------------------------

# Keys and strings from a small pool, so that the same name turns up as a top-level key,
# a nested key and a string value; and strings full of JSON's own punctuation.
_names = st.sampled_from(["a", "b", "user", "a b", "x{", "[y", "k:", "n,m", "}"])
_texts = st.text(alphabet="ab {}[]:,user", max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _names | _texts
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names | _texts, inner, max_size=3),
    max_leaves=10,
)
_states = st.dictionaries(_names | _texts, _values, max_size=6)
_quoted = st.text(alphabet='ak{}[]:" \\', max_size=6)  # JSON writes these with backslashes
_probes = _names | _texts | st.sampled_from(["", " a", ",", 'a"b', "é"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _states | st.dictionaries(_names | _quoted, _values | _quoted, max_size=4), st.lists(_probes, max_size=6)
)
def test_reads_from_the_unparsed_text_give_what_the_parsed_state_gives(
    state: dict[str, Any], probes: list[str]
) -> None:
    text = json.dumps([int(NOW) - 5, NOW - 60, state])
    # Both ways in: a request (CookieSession.__init__) and an adapter's (_start).
    for session in (_factory()(FakeRequest(_header(text))), _factory().from_cookie_header(_header(text))):
        assert _lazy(session) == ("\\" not in text)
        for key in probes:
            assert (key in session) == (key in state)
            assert session.get(key, MISSING) == state.get(key, MISSING)
            if key in state:
                assert session[key] == state[key]
            else:
                with pytest.raises(KeyError):
                    session[key]
        assert stored_state(session) == state
        assert list(session) == list(state)  # the parsed order, read values included


_ops = st.lists(
    st.tuples(st.sampled_from(["get", "set", "in", "len"]), _names | _texts, st.integers(0, 3)),
    max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_states, _ops)
def test_reads_and_assignments_write_what_an_eagerly_parsed_session_writes(
    state: dict[str, Any], ops: list[tuple[str, str, int]]
) -> None:
    # The same requests on a lazily read session and on one parsed at load (and on a
    # plain dict, for the data): the same answers and byte for byte the same cookie.
    header = _header(json.dumps([int(NOW) - 5, NOW - 60, state]))
    lazy, eager = _factory()(FakeRequest(header)), _factory()(FakeRequest(header))
    eager._materialize()
    model = dict(state)
    for op, key, value in ops:
        if op == "set":
            lazy[key] = eager[key] = model[key] = value
        elif op == "len":  # parses the rest of the state
            assert len(lazy) == len(eager) == len(model)
        elif op == "get":
            assert lazy.get(key, MISSING) == eager.get(key, MISSING) == model.get(key, MISSING)
        else:
            assert (key in lazy) == (key in eager) == (key in model)
    written = lazy.set_cookie_header()
    assert written == eager.set_cookie_header()
    assert (written is None) == (not ops)  # reissue_time=0: a request that used it re-issues
    if written is not None:
        assert payload_of(cookie_value(written))[2] == model
    assert list(stored_state(lazy)) == list(model)


def test_an_assignment_leaves_the_state_unparsed_and_writes_what_a_full_encode_writes() -> None:
    for key in ("user_id", "new"):  # replaced where it stands; added at the end
        session = _load(PLAIN_STATE)
        session[key] = 7
        token = cookie_value(session.set_cookie_header() or "")
        assert _lazy(session)
        full = session._codec.encode(session.accessed, session.created, stored_state(session))
        assert token == full
        assert payload_of(token)[2] == {**PLAIN_STATE, key: 7}


@pytest.mark.parametrize("then", [len, list, lambda s: s.copy(), lambda s: s.pop("filler")])
def test_an_assigned_key_found_nested_stays_a_new_top_level_key(then: Any) -> None:
    # Parsing after the assignment must not count the assigned key as one the state
    # came with: the splice would then write the value into the nested "k".
    state = {"p": {"k": 1}, "filler": "x" * 300}
    session = _load(state)
    session["k"] = 2
    then(session)
    written = _written_state(session)
    assert written["p"] == {"k": 1}
    assert written["k"] == 2


def test_an_assignment_the_text_cannot_place_parses_the_state() -> None:
    state = {"prefs": {"user_id": 1}, "user_id": 2, "filler": "x" * 300}  # the key twice
    session = _load(state)
    session["user_id"] = 3
    assert _written_state(session) == {**state, "user_id": 3}
    assert not _lazy(session)


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        # json.loads keeps the last of repeated keys
        ('{"a": 1, "a": 2}', {"a": 2}),
        # a key nested deeper, or a string value, that reads like the key asked for
        ('{"p": {"a": 1}}', {"a": MISSING, "p": {"a": 1}}),
        ('{"p": ["a"], "q": "a"}', {"a": MISSING}),
        ('{"p": [{"a": [1]}], "a": 3}', {"a": 3}),
        # other layouts json.dumps never writes: the full parse answers
        ('{"a":1, "b" : 2}', {"a": 1, "b": 2}),
        ('{"a": 1 , "b": 2}', {"a": 1, "b": 2}),
        ('{"a": {"b": 1}, "b": 2}', {"b": 2}),
        ("{}", {"a": MISSING}),
        # brackets in strings do not open or close anything
        ('{"s": "}", "p": {"k": 1}}', {"k": MISSING}),
        ('{"s": "{[", "k": 1}', {"k": 1}),
        # a key that starts where a string may end: `": 1, "` spans two strings
        ('{"a": 1, ": 5": 2}', {": 1, ": MISSING, ": 5": 2}),
        # strings holding quotes and brackets: backslashes, so parsed in full
        ('{"s": "\\"", "p": {"k": 1}}', {"k": MISSING}),
        ('{"s": "\\"{", "k": 1}', {"k": 1}),
    ],
)
def test_layouts_json_dumps_never_writes_read_as_json_loads_reads_them(
    text: str, reads: dict[str, Any]
) -> None:
    session = _factory()(FakeRequest(_header(f"[{int(NOW) - 5}, {NOW - 60}, {text}]")))
    expected = json.loads(text)
    for key, value in reads.items():
        assert session.get(key, MISSING) == value
    assert stored_state(session) == expected


def test_only_payloads_long_enough_to_gain_are_read_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "_LAZY_FROM", 300)
    short = {"user_id": 42}
    long = {"user_id": 42, "filler": "x" * 300}
    for state, lazy in ((short, False), (long, True)):
        value = cookie_value(_header(json.dumps([int(NOW) - 5, NOW - 60, state])))
        through_request, from_value = _load(state), _factory().from_cookie_value(value)
        assert (_lazy(through_request), _lazy(from_value)) == (lazy, lazy)
        assert stored_state(through_request) == stored_state(from_value) == state


@pytest.mark.parametrize("head", ["[{a},{c},", "[ {a}, {c}, ", "[{a}, {c},", '["{a}", {c}, '])
def test_times_laid_out_otherwise_are_parsed_in_full_at_once(head: str) -> None:
    text = head.format(a=int(NOW) - 5, c=NOW - 60) + '{"a": 1}]'
    expected_new = head.startswith('["')  # a time that is a string: refused
    for session in (_factory()(FakeRequest(_header(text))), _factory().from_cookie_header(_header(text))):
        assert not _lazy(session)
        assert (session.new, stored_state(session)) == (expected_new, {} if expected_new else {"a": 1})


def test_a_read_of_a_top_level_key_leaves_the_rest_unparsed() -> None:
    # Not a timing: what the shortcut is for (one key of a large state) takes it.
    session = _load(PLAIN_STATE)
    assert session["user_id"] == 42
    assert session.get("cart") == PLAIN_STATE["cart"]
    assert "missing" not in session
    assert _lazy(session)
    assert dict.__contains__(session, "user_id")
    assert not dict.__contains__(session, "prefs")


def test_a_reissue_of_an_unparsed_state_writes_what_a_full_encode_writes() -> None:
    session = _load(PLAIN_STATE)
    assert session["user_id"] == 42  # a read: re-issued (reissue_time=0)
    header = session.set_cookie_header()
    assert _lazy(session)  # written from the text, never parsed
    assert header is not None
    full = session._codec.encode(session.accessed, session.created, stored_state(session))
    assert cookie_value(header) == full


def test_encrypted_sessions_read_lazily_too() -> None:
    require(importlib.util.find_spec("cryptography") is not None, "cryptography")
    from cookiesession.encryption import EncryptedCookieSessionFactory

    factory = EncryptedCookieSessionFactory(SECRET, clock=FakeClock(NOW))
    writer = factory.from_cookie_value(None)
    writer.update(PLAIN_STATE)
    header = writer.set_cookie_header()
    assert header is not None
    token = cookie_value(header)
    session = factory(FakeRequest(f"session={token}"))
    assert (session["user_id"], _lazy(session)) == (42, True)
    assert stored_state(session) == PLAIN_STATE


@pytest.mark.parametrize(
    ("state", "assign", "empty"),
    [({}, False, True), ({}, True, False), ({"a": 1}, False, False), (PLAIN_STATE, False, False)],
)
@pytest.mark.parametrize("spaced", [False, True])  # `{ }`: json.dumps never writes it, JSON allows it
def test_whether_the_state_is_empty_is_told_without_parsing_it(
    state: dict[str, Any], assign: bool, empty: bool, spaced: bool
) -> None:
    text = json.dumps([int(NOW) - 5, NOW - 60, state])
    if spaced and not state:
        text = text.replace("{}", "{ }")
    session = _factory()(FakeRequest(_header(text)))
    if assign:
        session["b"] = 2
    assert session._holds_nothing() is empty
    assert _lazy(session)
    assert (len(session) == 0) is empty


# -- values handed out stay the session's ---------------------------------------------


def test_a_value_read_before_the_parse_is_the_one_kept() -> None:
    session = _load(PLAIN_STATE, reissue_time=None)
    cart = session["cart"]
    assert session["cart"] is cart  # read twice: the same object
    cart.append({"sku": "c", "qty": 3})
    assert len(session) == len(PLAIN_STATE)  # parses the rest
    assert session["cart"] is cart
    # the change inside the list is found and stored
    assert _written_state(session)["cart"][-1] == {"sku": "c", "qty": 3}


def test_a_change_inside_a_value_read_lazily_is_stored() -> None:
    session = _load(PLAIN_STATE, reissue_time=None)
    session["prefs"]["theme"] = "dark"
    assert _lazy(session)
    prefs = {**PLAIN_STATE["prefs"], "theme": "dark"}
    assert _written_state(session) == {**PLAIN_STATE, "prefs": prefs}


def test_a_write_after_lazy_reads_keeps_the_order_and_the_reads() -> None:
    session = _load(PLAIN_STATE)
    session.get("note")
    session["new"] = 1
    session["user_id"] = 43
    assert list(stored_state(session)) == [*PLAIN_STATE, "new"]
    stored = _written_state(session)
    assert stored == {**PLAIN_STATE, "user_id": 43, "new": 1}


_WITHOUT_NOTE = {k: v for k, v in PLAIN_STATE.items() if k != "note"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.pop("note"), _WITHOUT_NOTE),
        (lambda s: s.popitem(), _WITHOUT_NOTE),  # the last key
        (lambda s: s.__delitem__("note"), _WITHOUT_NOTE),
        (lambda s: s.setdefault("z", 1), {**PLAIN_STATE, "z": 1}),
        (lambda s: s.update(z=1), {**PLAIN_STATE, "z": 1}),
        (lambda s: s.__ior__({"z": 1}), {**PLAIN_STATE, "z": 1}),
        (lambda s: s.flash("hi"), {**PLAIN_STATE, "_f_": ["hi"]}),
        (lambda s: s.pop_flash(), PLAIN_STATE),
    ],
)
def test_every_other_change_parses_the_state_first(change: Any, expected: dict[str, Any]) -> None:
    session = _load(PLAIN_STATE)
    change(session)
    assert not _lazy(session)
    assert stored_state(session) == expected
    assert _written_state(session) == expected


def test_clear_and_invalidate_need_no_parse() -> None:
    session = _load(PLAIN_STATE)
    session.invalidate()
    assert (stored_state(session), session._incoming) == ({}, None)
    assert session.set_cookie_header() is not None  # the deletion


# -- everything that reads a dict without the session's methods ----------------------------


def _spread(**kwargs: Any) -> dict[str, Any]:
    return kwargs


READERS = {
    "json.dumps": lambda s: json.loads(json.dumps(s)),
    "dict()": dict,
    "{**}": lambda s: {**s},
    "f(**)": lambda s: _spread(**s),
    "copy()": lambda s: s.copy(),
    "copy.copy": lambda s: dict(copy.copy(s).items()),
    "copy.deepcopy": lambda s: dict(copy.deepcopy(s).items()),
    "|": lambda s: s | {},
    "ror |": lambda s: {} | s,
    "list": lambda s: dict.fromkeys(s),
    "reversed": lambda s: dict.fromkeys(reversed(list(reversed(s)))),
    "items": lambda s: dict(s.items()),
    "repr": lambda s: eval(repr(s)),  # noqa: S307 - our own repr of JSON-like data
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("read_first", [False, True])
def test_readers_of_the_whole_dict_see_the_whole_state(reader: Any, read_first: bool) -> None:
    session = _load(PLAIN_STATE)
    if read_first:
        session.get("user_id")
    got = reader(session)
    expected = dict.fromkeys(PLAIN_STATE) if reader in (READERS["list"], READERS["reversed"]) else PLAIN_STATE
    assert got == expected


@pytest.mark.parametrize("read_first", [False, True])
def test_comparisons_see_the_whole_state(read_first: bool) -> None:
    session = _load(PLAIN_STATE)
    if read_first:
        session.get("user_id")
    assert session == PLAIN_STATE
    assert PLAIN_STATE == session  # noqa: SIM300 - the reflected comparison is the one under test
    assert not (session != PLAIN_STATE)  # noqa: SIM202 - __ne__ is under test
    assert session != {}
    assert session == _load(PLAIN_STATE)
    assert not (session != _load(PLAIN_STATE))  # noqa: SIM202 - __ne__ between two sessions
    assert "not parsed yet" in repr(next(iter(dict.keys(_load(PLAIN_STATE)))))
    assert not _load({})
    assert _load(PLAIN_STATE)


def test_a_serializer_that_reads_dict_entries_directly_fails_rather_than_store_part() -> None:
    require(importlib.util.find_spec("pydantic_core") is not None, "pydantic-core")
    import pydantic_core

    session = _load(PLAIN_STATE)
    session.get("user_id")
    with pytest.raises(pydantic_core.PydanticSerializationError, match="SessionStateNotParsedYet"):
        pydantic_core.to_json(session)
    assert pydantic_core.from_json(pydantic_core.to_json(session.copy())) == PLAIN_STATE


def test_dict_s_own_methods_meet_a_key_that_is_not_a_string_before_the_parse() -> None:
    # C code that reads a dict's entries directly (dict.items(session), orjson, pydantic-core)
    # finds a stand-in key, which no serializer stores silently, not a partial state.
    session = _load(PLAIN_STATE)
    session.get("user_id")
    keys = list(dict.keys(session))
    assert "user_id" in keys
    assert any(not isinstance(k, str) for k in keys)
    with pytest.raises(TypeError):
        json.dumps(dict(dict.items(session)))
    len(session)
    assert list(dict.keys(session)) == list(PLAIN_STATE)


# -- a payload that verifies but is not what Pyramid or this library writes ----------------


@pytest.mark.parametrize(
    "state_text",
    ['{"a": 1, "b": }', '{"a": 1, "b": [}', '{"a": 1}, 2', '{"a": 1} {}'],
)
def test_a_signed_payload_that_is_not_json_never_raises(state_text: str) -> None:
    # Only a holder of the secret can sign it.  A read of the first key may answer
    # from its text (see README: deliberate differences); any use of the whole
    # state finds it refused, as a load that parses it in full does: a new session.
    text = f"[{int(NOW) - 5}, {NOW - 60}, {state_text}]"
    session = _factory()(FakeRequest(_header(text)))
    assert session.get("a") in (1, None)
    assert session.get("b") is None  # a value the text alone cannot read: parsed, and refused
    assert (len(session), session.new, session.created) == (0, True, NOW)
    assert session.set_cookie_header() is None
    # Assigned, then parsed: refused, and a new session holds what was assigned.
    assigned = _factory()(FakeRequest(_header(text)))
    assigned["c"] = 3
    assigned["d"] = 4
    assigned["c"] = 5
    assert (len(assigned), assigned.new) == (2, True)
    assert _written_state(assigned) == {"c": 5, "d": 4}
    after_changed = _factory()(FakeRequest(_header(text)))
    after_changed.changed()  # the incoming text is no longer reused: assignments still count
    after_changed["c"] = 3
    assert (len(after_changed), _written_state(after_changed)) == (1, {"c": 3})
    # An assignment alone does not parse the state: it is written into the text as it
    # stands, so the next request finds the same malformed payload, refused the same way.
    with_write = _factory()(FakeRequest(_header(text)))
    with_write["c"] = 3
    header = with_write.set_cookie_header()
    assert header is not None
    reloaded = _factory()(FakeRequest(header.split(";")[0]))
    assert reloaded.get("c") in (3, None)
    assert stored_state(reloaded) in ({}, {"c": 3})


@pytest.mark.parametrize(
    "state_text",
    [
        '{"a": 1}, {"b": 2}',  # JSON, but an array of four items
        '{"a": 1, "b": }',  # not JSON
    ],
)
def test_a_payload_the_parse_refuses_is_never_reissued_under_a_new_secret(state_text: str) -> None:
    # Verified under a fallback secret, a payload is parsed at once (it is re-issued
    # under the primary secret at once): one the full parse refuses is a new session
    # and never moves to the primary secret.
    text = f"[{int(NOW) - 5}, {NOW - 60}, {state_text.replace('1', '1' * 300, 1)}]"
    old = Signer("an-older-secret-" + "0123456789abcdef" * 4, SALT).sign(text.encode())
    factory = SignedCookieSessionFactory(
        SECRET, clock=FakeClock(NOW), fallback_secrets=["an-older-secret-" + "0123456789abcdef" * 4]
    )
    for session in (factory(FakeRequest(f"session={old}")), factory.from_cookie_value(old)):
        assert not _lazy(session)
        assert (session.new, stored_state(session), session.set_cookie_header()) == (True, {}, None)


def test_an_array_of_four_items_counts_as_refused_once_parsed() -> None:
    # Not what Pyramid or this library writes: a read before the parse may answer
    # from its text (README: deliberate differences), the parse refuses it.
    text = json.dumps([int(NOW) - 5, NOW - 60, {"pad": "x" * 300}, {"role": "admin"}])
    session = _factory()(FakeRequest(_header(text)))
    assert session.get("pad") == "x" * 300
    assert (len(session), session.new) == (0, True)
