"""Hostile input, as properties: tampering, non-canonical encodings, random tokens, arbitrary
Cookie headers, clock skew, the 4064-character boundary and resource limits.

The library's contract for client input: the low-level decoders (``_base64.decode``,
``Signer.unsign``) raise nothing but :class:`~cookiesession.BadCookie`; a session built from
anything that is not a validly signed cookie is new and empty, and nothing at all escapes
``request.session``.
"""

from __future__ import annotations

import base64
import json
import sys
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cookiesession import BadCookie, BadSignature, SessionTooLarge, SignedCookieSessionFactory
from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from cookiesession.signing import MAX_TOKEN_LENGTH, Signer
from tests.conftest import require
from tests.session_harness import NOW, SALT, SECRET, FakeClock, cookie_value, mint, signed_state
from tests.strategies import json_states

try:
    import webob.cookies
    from pyramid.config import Configurator
    from pyramid.request import Request

    HAVE_PYRAMID = True
except ImportError:  # pragma: no cover - the test extra installs them
    HAVE_PYRAMID = False

SIGNER = Signer(SECRET, SALT)
MAX_SKEW = 300  # five minutes either way
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _factory(clock: Callable[[], float] = lambda: NOW, **options: Any) -> Any:
    return SignedCookieSessionFactory(SECRET, clock=clock, **options)


def _payload(state: dict[str, Any], accessed: float = NOW, created: float = NOW) -> bytes:
    return json.dumps([accessed, created, state]).encode("utf-8")


def _token(state: dict[str, Any], accessed: float = NOW, created: float = NOW) -> str:
    return signed_state(state, accessed, created)


def _rejected(token: str) -> bool:
    try:
        SIGNER.unsign(token)
    except BadSignature:
        return True
    return False


def _undecodable(token: str) -> bool:
    """Whether ``token`` is refused as base64; Signer.unsign, which decodes it before
    checking anything else, must refuse it as malformed exactly then."""
    try:
        b64decode(token)
    except BadCookie:
        refused = True
    else:
        refused = False
    if len(token) <= MAX_TOKEN_LENGTH:
        try:
            SIGNER.unsign(token)
        except BadSignature as exc:
            refused_by_signer = str(exc) == "malformed token"
        else:
            refused_by_signer = False
        assert refused_by_signer == refused, token
    return refused


def _typed(value: Any) -> Any:
    """``value`` with every type spelled out, so ``1 == 1.0 == True`` cannot pass for equal."""
    if isinstance(value, dict):
        return ("dict", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, value)


# -- tampering with a valid token ---------------------------------------------------------


@SLOW
@given(json_states)
def test_every_single_bit_flip_of_a_valid_token_is_rejected(state: dict[str, Any]) -> None:
    token = _token(state)
    raw = b64decode(token)
    accepted_char_flips = [
        (i, bit)
        for i in range(len(token))
        for bit in range(8)
        if not _rejected(token[:i] + chr(ord(token[i]) ^ (1 << bit)) + token[i + 1 :])
    ]
    accepted_byte_flips = [
        (i, bit)
        for i in range(len(raw))
        for bit in range(8)
        if not _rejected(b64encode(raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1 :]))
    ]
    assert (accepted_char_flips, accepted_byte_flips) == ([], [])
    assert _rejected(token) is False


@FAST
@given(json_states, st.text(min_size=1, max_size=8))
def test_every_truncation_and_extension_of_a_valid_token_is_rejected(
    state: dict[str, Any], extra: str
) -> None:
    token = _token(state)
    accepted_truncations = [i for i in range(len(token)) if not _rejected(token[:i])]
    extensions = [token + extra, extra + token, token[:5] + extra + token[5:]]
    accepted_extensions = [t for t in extensions if not _rejected(t)]
    assert (accepted_truncations, accepted_extensions) == ([], [])


def _non_canonical_variants(token: str) -> dict[str, str]:
    variants = {
        "standard alphabet": token.replace("-", "+").replace("_", "/"),
        "padded": token + "=" * (-len(token) % 4),
        # Stray characters four at a time, so WebOb's own padding arithmetic still works out.
        "spaces inside": token[:7] + "    " + token[7:],
        "newlines inside": token[:7] + "\n\n\r\n" + token[7:],
        "dots inside": token[:7] + "...." + token[7:],
        "trailing tabs": token + "\t\t\t\t",
    }
    rem = len(token) % 4
    if rem:
        # The last character's unused low bits (4 when rem == 2, 2 when rem == 3): set one.
        last = URLSAFE.index(token[-1])
        variants["non-zero trailing bits"] = token[:-1] + URLSAFE[last | 1]
    return {name: variant for name, variant in variants.items() if variant != token}


@FAST
@given(json_states)
def test_non_canonical_encodings_that_webob_accepts_are_rejected(state: dict[str, Any]) -> None:
    require(HAVE_PYRAMID, "webob (Pyramid's signed-cookie decoder)")

    class _Raw:
        def dumps(self, value: bytes) -> bytes:
            return value

        def loads(self, value: bytes) -> bytes:
            return value

    webob_signer = webob.cookies.SignedSerializer(SECRET, SALT, "sha512", serializer=_Raw())
    token = _token(state)
    variants = _non_canonical_variants(token)
    assume("standard alphabet" in variants and "non-zero trailing bits" in variants)
    payload = _payload(state)
    # WebOb (Pyramid) reads every one of these as the original cookie...
    read_by_webob = {name: webob_signer.loads(v.encode("latin-1")) for name, v in variants.items()}
    assert read_by_webob == dict.fromkeys(variants, payload)
    # ...we read none of them: one cookie has exactly one spelling, neither as a
    # signed token nor as base64 (which the encrypted tokens use too).
    rejected_by_us = {name: (_rejected(v), _undecodable(v)) for name, v in variants.items()}
    assert rejected_by_us == dict.fromkeys(variants, (True, True))


@pytest.mark.parametrize("length", range(1, 13))
def test_b64decode_accepts_a_last_character_only_where_it_is_canonical(length: int) -> None:
    # Every character that could end a token of this length: exactly those that
    # base64 itself writes there (no unused bits set, no padding) are accepted.
    prefix = ("QUJDREVG" * 2)[: length - 1]

    def written_by_base64(token: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return False
        return b64encode(raw) == token

    accepted = {c for c in URLSAFE + "=+/" if not _undecodable(prefix + c)}
    assert accepted == {c for c in URLSAFE if written_by_base64(prefix + c)}
    assert len(accepted) == {1: 0, 2: 4, 3: 16, 0: 64}[length % 4]


@FAST
@given(json_states, st.integers(min_value=0, max_value=200), st.sampled_from(list(" \t\n.=+/!~%\x00é")))
def test_a_single_stray_character_anywhere_is_rejected(state: dict[str, Any], where: int, stray: str) -> None:
    token = _token(state)
    at = where % (len(token) + 1)
    assert _rejected(token[:at] + stray + token[at:]) is True


# -- arbitrary input ------------------------------------------------------------------------


@FAST
@given(st.one_of(st.text(max_size=300), st.text(alphabet=URLSAFE, min_size=86, max_size=400)))
def test_random_tokens_are_never_accepted_and_raise_only_bad_cookie(token: str) -> None:
    _undecodable(token)  # which also holds Signer.unsign to b64decode's verdict
    try:
        SIGNER.unsign(token)
    except BadCookie as exc:
        outcome = type(exc).__name__
    else:
        outcome = "accepted"
    assert outcome == "BadSignature"
    session = _factory().from_cookie_value(token)
    assert (session.new, dict(session)) == (True, {})


@FAST
@given(st.binary(max_size=300))
def test_a_verified_payload_that_is_not_a_session_gives_a_fresh_session(payload: bytes) -> None:
    # Behind a valid signature (a peer with our secret wrote it), any bytes at all.
    session = _factory().from_cookie_value(SIGNER.sign(payload))
    try:
        triple = json.loads(payload)
    except (ValueError, RecursionError):
        triple = None
    loaded = isinstance(triple, list) and len(triple) == 3 and not session.new
    assert dict(session) == (triple[2] if loaded else {})


def _pyramid_app(factory: Any) -> Any:
    config = Configurator()
    config.set_session_factory(factory)

    def read(request: Any) -> Any:
        session = request.session
        return {"new": session.new, "state": dict(session)}

    def write(request: Any) -> Any:
        request.session.clear()
        request.session.update(request.json_body)
        return {}

    config.add_route("read", "/read")
    config.add_view(read, route_name="read", renderer="json")
    config.add_route("write", "/write")
    config.add_view(write, route_name="write", renderer="json")
    return config.make_wsgi_app()


_APP: list[Any] = []


def _app() -> Any:
    require(HAVE_PYRAMID, "pyramid")
    if not _APP:
        _APP.append(_pyramid_app(_factory()))
    return _APP[0]


def _read_through_pyramid(cookie_header: str | None) -> Any:
    request = Request.blank("/read")
    if cookie_header is not None:
        request.environ["HTTP_COOKIE"] = cookie_header
    response = request.get_response(_app())
    assert response.status_int == 200
    return response.json


cookie_pairs = st.tuples(
    st.sampled_from(["session", "Session", "xsession", "a", "session ", " session", "$Version"]),
    st.one_of(st.text(max_size=40), st.text(alphabet=URLSAFE, max_size=120)),
)


@FAST
@given(
    st.lists(cookie_pairs, max_size=6),
    st.sampled_from(["; ", ";", ", ", " ; ", "\t;"]),
    st.one_of(st.none(), st.text(max_size=60)),
)
def test_request_session_never_raises_on_an_arbitrary_cookie_header(
    pairs: list[tuple[str, str]], separator: str, raw: str | None
) -> None:
    header = raw if raw is not None else separator.join(f"{n}={v}" for n, v in pairs)
    assert _read_through_pyramid(header) == {"new": True, "state": {}}


@SLOW
@given(json_states, st.lists(cookie_pairs, max_size=4), st.sampled_from(["; ", ", "]))
def test_a_valid_cookie_is_found_among_arbitrary_neighbours(
    state: dict[str, Any], neighbours: list[tuple[str, str]], separator: str
) -> None:
    token = _token(state)
    junk = [f"{n}={v}".replace(";", "").replace(",", "") for n, v in neighbours]
    header = separator.join([*junk, f"session={token}"])
    assert _read_through_pyramid(header) == {"new": False, "state": state}


@SLOW
@given(json_states)
def test_state_round_trips_exactly_through_pyramid(state: dict[str, Any]) -> None:
    request = Request.blank("/write", method="POST", content_type="application/json")
    request.body = json.dumps(state).encode("utf-8")
    response = request.get_response(_app())
    cookie = cookie_value(response.headers["Set-Cookie"])
    read = _read_through_pyramid(f"session={cookie}")
    session = _factory().from_cookie_value(cookie)
    assert (_typed(read["state"]), session.new) == (_typed(state), False)
    assert _typed(dict(session)) == _typed(state)


@FAST
@given(json_states)
def test_state_round_trips_exactly_through_set_cookie_header(state: dict[str, Any]) -> None:
    reader = _factory().from_cookie_value(mint(_factory(), state))
    assert _typed(dict(reader)) == _typed(state)


# -- the 4064-character boundary ------------------------------------------------------------


def _state_with_token_length(length: int) -> dict[str, Any] | None:
    """A state whose cookie value, written at NOW, is exactly ``length`` characters."""
    for filler in range(length):
        state = {"x": "a" * filler}
        size = len(_token(state, accessed=int(NOW)))
        if size == length:
            return state
        if size > length:
            return None
    return None


def test_a_token_of_exactly_4064_characters_is_stored_and_read_back() -> None:
    state = _state_with_token_length(MAX_TOKEN_LENGTH)
    assert state is not None
    token = mint(_factory(), state)
    assert len(token) == MAX_TOKEN_LENGTH
    assert dict(_factory().from_cookie_value(token)) == state


def test_one_more_byte_of_state_raises_session_too_large() -> None:
    state = _state_with_token_length(MAX_TOKEN_LENGTH)
    assert state is not None
    session = _factory().from_cookie_value(None)
    session.update({"x": state["x"] + "a"})
    with pytest.raises(SessionTooLarge) as info:
        session.set_cookie_header()
    # 4065 characters cannot occur (base64 grows by 4/3): the next length is 4066.
    assert "4066" in str(info.value)


@FAST
@given(st.integers(min_value=MAX_TOKEN_LENGTH + 1, max_value=MAX_TOKEN_LENGTH + 400))
def test_incoming_tokens_over_4064_characters_are_ignored(length: int) -> None:
    state = {"x": "a" * ((length * 3) // 4)}
    # Signed correctly, just too long: sign() itself does not refuse to write it.
    token = _token(state)
    assume(len(token) > MAX_TOKEN_LENGTH)
    assert _rejected(token) is True
    session = _factory().from_cookie_value(token)
    assert (session.new, dict(session)) == (True, {})


# -- clock skew -----------------------------------------------------------------------------

TIMEOUT = 1200


def _write_at(clock_time: float, state: dict[str, Any], **options: Any) -> str:
    return mint(_factory(clock=FakeClock(clock_time), **options), state)


@FAST
@given(
    skew=st.floats(min_value=-MAX_SKEW, max_value=MAX_SKEW),
    later=st.floats(min_value=0, max_value=2 * TIMEOUT),
)
def test_a_cookie_from_a_skewed_server_never_has_a_negative_age(skew: float, later: float) -> None:
    # Server A, whose clock reads NOW + skew, writes the cookie; we read it `later`.
    token = _write_at(NOW + skew, {"n": 1}, timeout=TIMEOUT)
    now = NOW + later
    session = _factory(clock=FakeClock(now), timeout=TIMEOUT).from_cookie_value(token)
    assert (session.renewed <= now, session.created <= now) == (True, True)
    written = int(NOW + skew)
    alive = now - min(written, now) <= TIMEOUT
    assert dict(session) == ({"n": 1} if alive else {})
    # The session outlives its idle timeout by at most the skew of the writer's clock.
    if later > TIMEOUT + MAX_SKEW + 1:
        assert dict(session) == {}
    if later < TIMEOUT - MAX_SKEW - 1:
        assert dict(session) == {"n": 1}


@FAST
@given(skew=st.floats(min_value=0, max_value=MAX_SKEW), later=st.floats(min_value=0, max_value=MAX_SKEW))
def test_a_rewritten_skewed_cookie_carries_our_clock(skew: float, later: float) -> None:
    token = _write_at(NOW + skew, {"n": 1}, timeout=TIMEOUT, absolute_timeout=3600)
    clock = FakeClock(NOW + later)
    session = _factory(clock=clock, timeout=TIMEOUT, absolute_timeout=3600).from_cookie_value(token)
    session["n"] = 2
    header = session.set_cookie_header()
    assert header is not None
    accessed, created, _state = json.loads(SIGNER.unsign(cookie_value(header))[0])
    # What we write is never in our future, so it times out by our clock from here on.
    assert (accessed <= clock.now, created <= clock.now) == (True, True)
    clock.advance(TIMEOUT + 1)
    expired = _factory(clock=clock, timeout=TIMEOUT).from_cookie_value(cookie_value(header))
    assert dict(expired) == {}


@FAST
@given(skew=st.floats(min_value=-MAX_SKEW, max_value=MAX_SKEW))
def test_absolute_timeout_holds_within_the_skew(skew: float) -> None:
    absolute = 3600
    token = _write_at(NOW + skew, {"n": 1}, timeout=None, absolute_timeout=absolute)
    late = _factory(clock=FakeClock(NOW + absolute + MAX_SKEW + 1), timeout=None, absolute_timeout=absolute)
    early = _factory(clock=FakeClock(NOW + absolute - MAX_SKEW - 1), timeout=None, absolute_timeout=absolute)
    assert (dict(late.from_cookie_value(token)), dict(early.from_cookie_value(token))) == ({}, {"n": 1})


# -- resource limits ------------------------------------------------------------------------

PEAK_LIMIT = 16 * 1024 * 1024


def _peak_bytes(work: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = work()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_one_megabyte_cookie_header_is_handled_in_bounded_memory() -> None:
    token = _token({"user": "ada"})
    junk = "j=" + "x" * (1024 * 1024)
    for header in (junk, f"{junk}; session={token}", f"session={'A' * 1024 * 1024}", "session=" + junk):
        result, peak = _peak_bytes(partial(_read_through_pyramid, header))
        expected = {"new": False, "state": {"user": "ada"}} if token in header else {"new": True, "state": {}}
        assert (result, peak < PEAK_LIMIT) == (expected, True)


def test_thousands_of_cookies_in_one_header_are_handled_in_bounded_memory() -> None:
    token = _token({"user": "ada"})
    many = "; ".join(f"c{i}=v{i}" for i in range(20_000))
    repeated = "; ".join(f"session=bad{i}" for i in range(20_000))
    cases = {
        f"{many}; session={token}": {"new": False, "state": {"user": "ada"}},
        f"session={token}; {many}": {"new": False, "state": {"user": "ada"}},
        f"{repeated}; session={token}": {"new": False, "state": {"user": "ada"}},
        f"session={token}; {repeated}": {"new": True, "state": {}},  # the last one wins, as in WebOb
        "xsession=1;" * 50_000: {"new": True, "state": {}},
    }
    outcomes = {}
    for header in cases:
        result, peak = _peak_bytes(partial(_read_through_pyramid, header))
        outcomes[header] = (result, peak < PEAK_LIMIT)
    assert outcomes == {header: (expected, True) for header, expected in cases.items()}


def _nested(depth: int) -> bytes:
    return b'[1700000000, 1700000000.5, {"deep": ' + b"[" * depth + b"]" * depth + b"}]"


def test_deeply_nested_signed_state_gives_a_fresh_session_in_bounded_memory() -> None:
    # As deep as a cookie can carry (the parser gives up with RecursionError on CPython 3.11)...
    depth = 1
    while len(SIGNER.sign(_nested(depth + 1))) <= MAX_TOKEN_LENGTH:
        depth += 1
    payload = _nested(depth)
    # Whether the parser follows it depends on the interpreter and on how deep the
    # caller's stack already is (CPython 3.11 gives up here, 3.12 follows it from a
    # shallow stack only): the whole state, or a fresh session, never an error.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 2 * depth)
    try:
        whole: Any = {"deep": json.loads(payload)[2]["deep"]}
    finally:
        sys.setrecursionlimit(limit)
    fits = SIGNER.sign(payload)
    # ...and 100000 levels deep, validly signed: refused by length before any parsing.
    huge = SIGNER.sign(_nested(100_000))
    results = {}
    for name, token in {"fits": fits, "huge": huge}.items():
        header = f"session={token}"
        result, peak = _peak_bytes(partial(_read_through_pyramid, header))
        results[name] = (result["state"], peak < PEAK_LIMIT)
    assert results["fits"] in ((whole, True), ({}, True))
    assert results["huge"] == ({}, True)
    assert len(fits) <= MAX_TOKEN_LENGTH < len(huge)


def test_a_signed_state_with_an_out_of_range_timestamp_gives_a_fresh_session() -> None:
    # Found while fuzzing the session constructor: float(10**400) raises OverflowError.
    for accessed in (b"1" + b"0" * 400, b"-1" + b"0" * 400, b"1e999", b"Infinity", b"NaN"):
        token = SIGNER.sign(b"[" + accessed + b', 1700000000, {"a": 1}]')
        session = _factory().from_cookie_value(token)
        assert (session.new, dict(session)) == (True, {})
        assert _read_through_pyramid(f"session={token}") == {"new": True, "state": {}}
