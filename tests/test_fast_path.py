"""``CookieSession.__init__`` takes a fast way through the usual request: a cookie
that holds a current JSON session.  Anything else goes to ``_start``, the
general way, which ``from_cookie_header`` always takes.  The two must load the same
session from every header, whatever its cookie holds: these tests compare them."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession.factory import finite_limit, make_session_factory, reissue_limit
from cookiesession.serializers import JSONSerializer
from cookiesession.session import CookieSession
from cookiesession.signing import MAX_TOKEN_LENGTH, Signer
from tests.conftest import FakeClock
from tests.session_harness import FakeRequest, stored_state
from tests.strategies import json_states

NOW = 1_700_000_000.5
SECRET = "fast-path-secret-" + "0123456789abcdef" * 4
OLD_SECRET = "fast-path-old-secret-" + "0123456789abcdef" * 4
SALT = "pyramid.session."

# A current cookie's two times, and what else they may be: idle for long (beyond the
# fast way's finite limits too), from the future, not finite, not numbers, or too
# large for a float.
_ACCESSED, _CREATED = int(NOW) - 10, NOW - 10.25
_other_times = st.sampled_from(
    [
        int(NOW) - 5000,
        NOW - 100_000.0,
        -(2**60),
        -1.5e308,
        int(NOW) + 100,
        NOW + 0.25,
        NOW,
        0,
        math.nan,
        math.inf,
        -math.inf,
        "1700000000",
        True,
        None,
        10**400,
    ]
)
_DEFECTS = [
    "none",
    "accessed",
    "created",
    "both times",
    "state",
    "pair",
    "object",
    "trailing space",
    "garbage",
]


@st.composite
def _payloads(draw: st.DrawFn) -> bytes:
    """A current cookie's payload with at most one defect, so that each defect
    is tried on an otherwise good cookie."""
    accessed: Any = _ACCESSED
    created: Any = _CREATED
    state = draw(json_states)
    defect = draw(st.sampled_from(_DEFECTS))
    if defect in ("accessed", "both times"):
        accessed = draw(_other_times)
    if defect in ("created", "both times"):
        created = draw(_other_times)
    if defect == "state":
        return json.dumps([accessed, created, draw(st.sampled_from([[], "state", 1, None]))]).encode()
    if defect == "pair":
        return json.dumps([accessed, created]).encode()
    if defect == "object":
        return json.dumps({"a": accessed, "c": created, "s": state}).encode()
    text = json.dumps([accessed, created, state])
    return (text + {"trailing space": " ", "garbage": "]"}.get(defect, "")).encode("utf-8")


@st.composite
def _headers(draw: st.DrawFn) -> str:
    payload = draw(_payloads())
    secret = draw(st.sampled_from([SECRET, SECRET, OLD_SECRET, "a-secret-we-do-not-have" * 3]))
    token = Signer(secret, SALT, warn_short=False).sign(payload)
    variants = [
        token[:-1],  # truncated
        token + "A",
        f'"{token}"',  # quoted: only the general lookup finds it
        token + " ",
        token + ", x=1",
        "",
        token.replace("-", "+").replace("_", "/"),
        "A" * (MAX_TOKEN_LENGTH + 1),
    ]
    cookie = "session=" + draw(st.one_of(st.just(token), st.sampled_from(variants)))
    # Alone, as most tests send it, or among others, as browsers do.
    around = draw(
        st.sampled_from([("", ""), ("", "; csrftoken=abc"), ("x=1; ", ""), ("session=A; ", ""), ("", ";")])
    )
    return around[0] + cookie + around[1]


_factories = st.builds(
    lambda timeout, absolute, reissue: SignedCookieSessionFactory(
        SECRET,
        fallback_secrets=[OLD_SECRET],
        timeout=timeout,
        absolute_timeout=absolute,
        reissue_time=reissue,
        clock=FakeClock(NOW),
    ),
    st.sampled_from([None, 1200, 2**60]),
    st.sampled_from([None, 3600, 2**60]),
    st.sampled_from([None, 0, 60]),
)


def _typed(value: Any) -> Any:
    """``value`` with every type spelled out, so ``1 == 1.0 == True`` cannot pass for equal."""
    if isinstance(value, dict):
        return ("dict", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _observed(session: CookieSession) -> Any:
    """Everything a load sets, then what the session writes once a key is read and one assigned."""
    loaded = (
        session.new,
        _typed(stored_state(session)),
        _typed(session.created),
        _typed(session.renewed),
        _typed(session.accessed),
        session._dirty,
        session._exposed,
        session._invalidated,
        session._written,
        session._incoming,
        session._incoming_token,
        _typed(session._incoming_triple),
        session._reusable,
    )
    session.get("a")
    read = session.set_cookie_header()
    session["b"] = 2
    return loaded, read, session.set_cookie_header()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_factories, _headers())
def test_the_fast_way_loads_what_the_general_way_loads(factory: Any, header: str) -> None:
    fast = factory(FakeRequest(header))
    general = factory.from_cookie_header(header)
    assert _observed(fast) == _observed(general)


@pytest.mark.parametrize("timeout", [None, 1200])
@pytest.mark.parametrize("absolute_timeout", [None, 3600])
@pytest.mark.parametrize(
    ("times", "expected_new"),
    [
        pytest.param([int(NOW) - 10, NOW - 10.25], False, id="current"),
        pytest.param([int(NOW) + 100, NOW + 0.25], False, id="from-the-future"),
        pytest.param([int(NOW) - 2000, NOW - 3000.5], False, id="idle-expired"),
        pytest.param([math.nan, NOW], True, id="accessed-nan"),
        pytest.param([-math.inf, NOW], True, id="accessed-minus-infinity"),
        pytest.param([math.inf, NOW], True, id="accessed-infinity"),
        pytest.param([int(NOW), math.nan], True, id="created-nan"),
        pytest.param([int(NOW), -math.inf], True, id="created-minus-infinity"),
        pytest.param([int(NOW), math.inf], True, id="created-infinity"),
        pytest.param([int(NOW), "1700000000"], True, id="created-a-string"),
        pytest.param([True, NOW], True, id="accessed-a-boolean"),
    ],
)
def test_named_cookies_load_the_same_both_ways(
    times: list[float], expected_new: bool, timeout: int | None, absolute_timeout: int | None
) -> None:
    # The cases where the fast way must step aside (all but the first): each gives
    # exactly what the general way gives.
    factory = SignedCookieSessionFactory(
        SECRET, timeout=timeout, absolute_timeout=absolute_timeout, clock=FakeClock(NOW)
    )
    header = "session=" + Signer(SECRET, SALT).sign(json.dumps([*times, {"a": 1}]).encode())
    fast = factory(FakeRequest(header))
    assert fast.new is expected_new
    assert _observed(fast) == _observed(factory.from_cookie_header(header))


def test_the_fast_way_is_taken_for_the_usual_request() -> None:
    # Not a timing: the general way is not called at all for the usual request,
    # and is for one it does not handle (here, from a server whose clock runs ahead).
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW))
    started: list[tuple[str | None, str | None]] = []

    class Watched(factory):  # type: ignore[misc,valid-type]
        __slots__ = ()

        def _start(self, now: float, value: str | None = None, header: str | None = None) -> None:
            started.append((value, header))
            super()._start(now, value, header)

    usual = "session=" + Signer(SECRET, SALT).sign(json.dumps([int(NOW), NOW, {"a": 1}]).encode())
    assert dict(Watched(FakeRequest(usual))) == {"a": 1}
    assert started == []
    ahead = "session=" + Signer(SECRET, SALT).sign(json.dumps([int(NOW) + 60, NOW, {"a": 1}]).encode())
    assert dict(Watched(FakeRequest(ahead))) == {"a": 1}
    assert started == [(ahead[len("session=") :], None)]  # handed the verified value


class _TrustingProtector:
    """A protector that promises urlsafe tokens but sets no length limit of its own."""

    urlsafe_tokens = True

    def __init__(self) -> None:
        self.opened: list[int] = []

    def seal(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    def unseal(self, token: str) -> tuple[bytes, int]:
        self.opened.append(len(token))
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), 0


def test_no_way_hands_a_protector_a_token_longer_than_any_cookie_we_write() -> None:
    protector = _TrustingProtector()
    factory = make_session_factory(protector, JSONSerializer(), clock=FakeClock(NOW))
    payload = json.dumps([int(NOW), NOW, {"pad": "x" * MAX_TOKEN_LENGTH}]).encode()
    header = "session=" + protector.seal(payload)
    assert len(header) > len("session=") + MAX_TOKEN_LENGTH
    for session in (factory(FakeRequest(header)), factory.from_cookie_header(header)):
        assert (session.new, stored_state(session)) == (True, {})
    assert protector.opened == []
    usual = "session=" + protector.seal(json.dumps([int(NOW), NOW, {"a": 1}]).encode())
    assert dict(factory(FakeRequest(usual))) == {"a": 1}  # the protector is used at all


@pytest.mark.parametrize(
    ("seconds", "limit"),
    [(None, 2.0**53), (0, 0.0), (1200, 1200.0), (2**53, 2.0**53), (2**53 + 1, 2.0**53), (10**400, 2.0**53)],
    ids=["none", "0", "1200", "2**53", "2**53+1", "10**400"],
)
def test_the_fast_ways_limits_are_finite_and_never_above_the_timeout(
    seconds: int | None, limit: float
) -> None:
    assert finite_limit(seconds) == limit
    assert type(finite_limit(seconds)) is float
    assert seconds is None or finite_limit(seconds) <= seconds


@pytest.mark.parametrize(
    ("seconds", "limit"),
    [(None, math.inf), (0, 0.0), (60, 60.0), (2**53, 2.0**53), (2**53 + 1, 2**53 + 1)],
    ids=["none", "0", "60", "2**53", "2**53+1"],
)
def test_reissue_time_is_compared_as_a_float_only_where_exact(seconds: int | None, limit: float) -> None:
    compared = reissue_limit(seconds)
    assert compared == limit
    assert type(compared) is type(limit)
