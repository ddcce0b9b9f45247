"""Key rotation: ``fallback_secrets=`` verify, ``secret`` signs, and a cookie verified only by a
fallback is re-issued under ``secret`` on the same response.

The session-level tests drive the session through a stand-in request; the fleet tests run the
rolling rotation procedure that docs/key-rotation.md describes across two real Pyramid apps (and from
cookies written by real ``pyramid.session``), with users whose browsers move between them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import EncryptedCookieSessionFactory, SignedCookieSessionFactory
from cookiesession.encryption import Encryptor
from cookiesession.signing import Signer
from tests.conftest import require
from tests.pyramid_fleet import ACCOUNT_VIEWS, HAVE_PYRAMID, User, pyramid_app
from tests.session_harness import (
    NOW,
    OTHER_SECRET,
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    signed_state,
    stored_state,
)

# The secret rotated to, the one rotated away from, and a third, unrelated one.
NEW = SECRET
OLD = OTHER_SECRET
OTHER = "rotation-other-secret-" + "c9d0e1f2" * 8
CREATED = 1_699_990_000.25


def _signed(secret: str, state: dict[str, Any], accessed: int = int(NOW) - 10) -> str:
    return signed_state(state, accessed, CREATED, secret)


def _opened(secrets: list[str], token: str) -> tuple[list[Any], int]:
    """The payload of ``token`` and the index of the secret (of ``secrets``) that verifies it."""
    payload, index = Signer(secrets[0], fallback_secrets=secrets[1:]).unsign(token)
    return json.loads(payload), index


# -- session level ------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_by", [NEW, OLD, OTHER])
def test_cookies_verify_under_the_secret_or_any_fallback(clock: FakeClock, signed_by: str) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OLD, OTHER], clock=clock)
    session = factory(FakeRequest("session=" + _signed(signed_by, {"user": "ann"})))
    assert (session.new, stored_state(session), session.created) == (False, {"user": "ann"}, CREATED)


def test_new_cookies_are_signed_with_the_secret(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OLD], clock=clock)
    request = FakeRequest()
    factory(request)["user"] = "ann"
    (header,) = request.respond().set_cookies()
    # Verified by the primary secret (index 0), and by nothing but it.
    assert _opened([NEW], cookie_value(header))[1] == 0
    with pytest.raises(ValueError, match="signature does not verify"):
        Signer(OLD).unsign(cookie_value(header))


@pytest.mark.parametrize("reissue_time", [None, 0, 3600])
@pytest.mark.parametrize("fallback", [OLD, OTHER])
def test_a_read_only_request_reissues_a_fallback_cookie_under_the_secret(
    clock: FakeClock, reissue_time: int | None, fallback: str
) -> None:
    factory = SignedCookieSessionFactory(
        NEW, fallback_secrets=[OLD, OTHER], reissue_time=reissue_time, clock=clock
    )
    request = FakeRequest("session=" + _signed(fallback, {"user": "ann", "cart": [1, 2]}))
    session = factory(request)
    assert session.get("user") == "ann"  # a read, nothing more
    (header,) = request.respond().set_cookies()
    payload, index = _opened([NEW], cookie_value(header))
    # Same state and `created`; `accessed` is the read's time, as for any write.
    assert (index, payload) == (0, [int(NOW), CREATED, {"user": "ann", "cart": [1, 2]}])


def test_a_fallback_cookie_is_reissued_even_if_the_session_is_not_looked_at(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OLD], reissue_time=None, clock=clock)
    request = FakeRequest("session=" + _signed(OLD, {"user": "ann"}, accessed=int(NOW) - 10))
    factory(request)
    (header,) = request.respond().set_cookies()
    # Nothing was accessed, so the cookie's own `accessed` is kept: the idle timer is not reset.
    assert _opened([NEW], cookie_value(header)) == ([int(NOW) - 10, CREATED, {"user": "ann"}], 0)


def test_a_cookie_under_the_secret_is_not_rewritten_by_a_read(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OLD], reissue_time=None, clock=clock)
    request = FakeRequest("session=" + _signed(NEW, {"user": "ann"}))
    assert factory(request).get("user") == "ann"
    assert request.respond().set_cookies() == []


def test_through_the_adapter_api_a_fallback_cookie_is_reissued_once_the_session_is_used(
    clock: FakeClock,
) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OLD], reissue_time=None, clock=clock)
    # A request whose application never touches the session sends no cookie at all.
    untouched = factory.from_cookie_value(_signed(OLD, {"user": "ann"}))
    assert (untouched.used, untouched.set_cookie_header()) == (False, None)
    session = factory.from_cookie_value(_signed(OLD, {"user": "ann"}))
    assert session.get("user") == "ann"
    header = session.set_cookie_header()
    assert header is not None
    assert _opened([NEW], cookie_value(header)) == ([int(NOW), CREATED, {"user": "ann"}], 0)


def test_a_fallback_cookie_is_not_reissued_on_an_exception_with_set_on_exception_false(
    clock: FakeClock,
) -> None:
    factory = SignedCookieSessionFactory(
        NEW, fallback_secrets=[OLD], set_on_exception=False, reissue_time=None, clock=clock
    )
    request = FakeRequest("session=" + _signed(OLD, {"user": "ann"}))
    factory(request)
    request.exception = RuntimeError("the view failed")
    assert request.respond().set_cookies() == []


def test_a_cookie_signed_only_by_a_removed_secret_gives_a_fresh_session(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(NEW, fallback_secrets=[OTHER], reissue_time=None, clock=clock)
    request = FakeRequest("session=" + _signed(OLD, {"user": "ann"}))
    session = factory(request)
    assert (session.new, stored_state(session), session.created) == (True, {}, NOW)
    assert session.get("user") is None
    assert request.respond().set_cookies() == []  # a fresh session is not written by a read
    request = FakeRequest("session=" + _signed(OLD, {"user": "ann"}))
    factory(request)["user"] = "bob"
    (header,) = request.respond().set_cookies()
    assert _opened([NEW], cookie_value(header)) == ([int(NOW), NOW, {"user": "bob"}], 0)


def test_the_encrypted_factory_rotates_the_same_way(clock: FakeClock) -> None:
    old = EncryptedCookieSessionFactory(OLD, clock=clock)
    rotated = EncryptedCookieSessionFactory(NEW, fallback_secrets=[OLD], reissue_time=None, clock=clock)
    request = FakeRequest()
    old(request)["user"] = "ann"
    old_cookie = request.respond().set_cookies()[0].split(";")[0]
    created = old.from_cookie_value(cookie_value(old_cookie)).created
    clock.advance(30)
    request = FakeRequest(old_cookie)
    assert rotated(request).get("user") == "ann"
    (header,) = request.respond().set_cookies()
    payload, index = Encryptor(NEW).unseal(cookie_value(header))
    assert (index, json.loads(payload)) == (0, [int(NOW + 30), created, {"user": "ann"}])


@settings(max_examples=60, deadline=None)
@given(
    state=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=4,
    ),
    position=st.integers(0, 2),
)
def test_whichever_secret_verifies_the_reissued_cookie_carries_the_same_session(
    state: dict[str, Any], position: int
) -> None:
    secrets = [NEW, OLD, OTHER]
    factory = SignedCookieSessionFactory(
        NEW, fallback_secrets=[OLD, OTHER], reissue_time=None, clock=FakeClock(NOW)
    )
    request = FakeRequest("session=" + _signed(secrets[position], state))
    session = factory(request)
    written = request.respond().set_cookies()
    if position == 0:
        assert written == []
    else:
        (header,) = written
        assert _opened([NEW], cookie_value(header)) == ([int(NOW) - 10, CREATED, state], 0)
    assert (session.new, session.created) == (False, CREATED)


# -- the rolling rotation across a fleet of real Pyramid apps -----------------------------------

# Each step: (what the operator did, secrets of instance A, secrets of instance B); the first
# secret of a list is `secret`, the others are `fallback_secrets`.
Step = tuple[str, list[str], list[str]]

ROLLING_ROTATION: list[Step] = [
    ("old secret only", [OLD], [OLD]),
    ("new added as a fallback on A", [OLD, NEW], [OLD]),
    ("new added as a fallback everywhere", [OLD, NEW], [OLD, NEW]),
    ("new promoted on A", [NEW, OLD], [OLD, NEW]),
    ("new promoted everywhere", [NEW, OLD], [NEW, OLD]),
    ("old removed from A", [NEW], [NEW, OLD]),
    ("old removed everywhere", [NEW], [NEW]),
]


@pytest.fixture
def _pyramid() -> None:
    require(HAVE_PYRAMID, "Pyramid, WebOb and WebTest")


def _ours(secrets: list[str]) -> Any:
    # reissue_time=None: only the fallback re-issue rewrites a cookie on a read, so the
    # procedure is shown to work by that alone.
    return SignedCookieSessionFactory(secrets[0], fallback_secrets=secrets[1:], reissue_time=None)


def _run_fleet(steps: list[Step], users: list[User], first_step_factory: Any = None) -> dict[str, Any]:
    """Run ``steps``; at each, every user reads the session twice on each instance, in turns.

    Returns, per step, who each read saw, and per user the ``created`` times seen.
    """
    seen: dict[str, list[str]] = {}
    created: dict[str, set[float]] = {user.name: set() for user in users}
    signed_by: dict[str, list[int | None]] = {}
    for number, (label, a_secrets, b_secrets) in enumerate(steps):
        if number == 0 and first_step_factory is not None:
            a = b = pyramid_app(first_step_factory, ACCOUNT_VIEWS)
        else:
            a = pyramid_app(_ours(a_secrets), ACCOUNT_VIEWS)
            b = pyramid_app(_ours(b_secrets), ACCOUNT_VIEWS)
        if number == 0:
            for user in users:
                user.get(a, "/login", params={"user": user.name})
        seen[label] = []
        for user in users:
            for app in (a, b, a, b):
                answer = user.whoami(app)
                seen[label].append(answer["user"])
                created[user.name].add(answer["created"])
        signed_by[label] = [_index_of(user.cookie(), [NEW, OLD]) for user in users]
    return {"seen": seen, "created": created, "signed_by": signed_by}


def _index_of(token: str | None, secrets: list[str]) -> int | None:
    if token is None:
        return None
    try:
        return Signer(secrets[0], fallback_secrets=secrets[1:]).unsign(token)[1]
    except ValueError:
        return None


@pytest.mark.usefixtures("_pyramid")
def test_rolling_rotation_across_two_instances_signs_nobody_out() -> None:
    users = [User("ann"), User("bob"), User("cho")]
    result = _run_fleet(ROLLING_ROTATION, users)
    names = [user.name for user in users]
    expected = {label: [name for name in names for _ in range(4)] for label, _, _ in ROLLING_ROTATION}
    assert result["seen"] == expected
    # Each user's session is the one they signed in to: `created` never changed.
    assert [len(times) for times in result["created"].values()] == [1, 1, 1]
    # Which secret signs each user's cookie at the end of each step (0: new, 1: old).
    assert result["signed_by"] == {
        "old secret only": [1, 1, 1],
        "new added as a fallback on A": [1, 1, 1],
        "new added as a fallback everywhere": [1, 1, 1],
        # B (old primary) re-issued A's new cookie under old: the last read was on B.
        "new promoted on A": [1, 1, 1],
        "new promoted everywhere": [0, 0, 0],
        "old removed from A": [0, 0, 0],
        "old removed everywhere": [0, 0, 0],
    }


@pytest.mark.usefixtures("_pyramid")
def test_promoting_before_every_instance_knows_the_new_secret_signs_users_out() -> None:
    # The procedure matters: promote on A while B has never heard of the new secret.
    users = [User("ann")]
    steps: list[Step] = [("old secret only", [OLD], [OLD]), ("new promoted on A only", [NEW, OLD], [OLD])]
    result = _run_fleet(steps, users)
    # A re-issues ann's cookie under new; B cannot verify it: signed out whenever B answers.
    assert result["seen"]["new promoted on A only"] == ["ann", "", "ann", ""]


@pytest.mark.usefixtures("_pyramid")
def test_rolling_rotation_from_cookies_written_by_real_pyramid() -> None:
    import pyramid.session

    users = [User("ann"), User("bob")]
    # Users sign in while the fleet still runs pyramid.session with the old secret; then the
    # fleet moves to cookiesession and rotates.
    steps: list[Step] = [
        ("pyramid.session, old secret", [OLD], [OLD]),
        ("cookiesession on A, new as a fallback", [OLD, NEW], [OLD]),
        *ROLLING_ROTATION[2:],
    ]
    result = _run_fleet(steps, users, first_step_factory=pyramid.session.SignedCookieSessionFactory(OLD))
    expected = {label: [u.name for u in users for _ in range(4)] for label, _, _ in steps}
    assert result["seen"] == expected
    assert [len(times) for times in result["created"].values()] == [1, 1]
    assert result["signed_by"]["pyramid.session, old secret"] == [1, 1]
    assert result["signed_by"]["old removed everywhere"] == [0, 0]


@pytest.mark.usefixtures("_pyramid")
def test_a_mixed_fleet_of_pyramid_and_cookiesession_during_the_first_step() -> None:
    import pyramid.session

    # While new is only a fallback, cookiesession still signs with old: real Pyramid reads
    # and re-issues what it writes, so the two can serve side by side during the change.
    user = User("ann")
    theirs = pyramid_app(pyramid.session.SignedCookieSessionFactory(OLD), ACCOUNT_VIEWS)
    ours = pyramid_app(_ours([OLD, NEW]), ACCOUNT_VIEWS)
    user.get(theirs, "/login", params={"user": "ann"})
    seen = [user.whoami(app)["user"] for app in (ours, theirs, ours, theirs)]
    assert (seen, _index_of(user.cookie(), [OLD])) == (["ann"] * 4, 0)
