"""Encrypted sessions (``cookiesession.encryption``): what the format promises.

A token opens only under the factory's secrets, its salt and its cookie name; any change to
it gives a new, empty session; nothing of the state shows in it; it is never longer than the
sha512-signed cookie of the same state; and without ``cryptography`` the factory says what
to install while ``import cookiesession`` keeps working.  (The format itself, byte by byte,
is pinned by the vectors in ``test_vectors.py``.)
"""

from __future__ import annotations

import hmac
import importlib.util
import inspect
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import (
    BadCookie,
    BadSignature,
    ConfigurationError,
    ConfigurationTypeError,
    EncryptedCookieSessionFactory,
    MissingDependency,
    PickleSerializer,
    SecretTooShortWarning,
    SignedCookieSessionFactory,
    _base64,
    _reuse,
)
from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from cookiesession.encryption import DEFAULT_SALT, Encryptor
from cookiesession.factory import SessionFactory
from cookiesession.signing import MAX_TOKEN_LENGTH, Signer, derive_hmac_key
from tests.conftest import require
from tests.session_harness import NOW, OTHER_SECRET, SECRET, FakeClock, cookie_value, mint, stored_state
from tests.strategies import json_states

HAVE_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
REJECTED: tuple[bool, dict[str, Any]] = (True, {})  # (session.new, state) of a cookie that did not open

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _factory(secret: str | bytes = SECRET, **options: Any) -> SessionFactory:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    options.setdefault("clock", lambda: NOW)
    return EncryptedCookieSessionFactory(secret, **options)


def _opened(factory: SessionFactory, token: str) -> tuple[bool, dict[str, Any]]:
    session = factory.from_cookie_value(token)
    return session.new, stored_state(session)


# -- round trips -----------------------------------------------------------------------------


@FAST
@given(state=json_states)
def test_any_json_state_round_trips(state: dict[str, Any]) -> None:
    factory = _factory()
    assert _opened(factory, mint(factory, state)) == (False, state)


@FAST
@given(payload=st.binary(max_size=600))
def test_any_payload_round_trips_through_the_protector(payload: bytes) -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    encryptor = Encryptor(SECRET)
    token = encryptor.seal(payload)
    assert (encryptor.unseal(token), b64encode(b64decode(token))) == ((payload, 0), token)


def test_each_cookie_gets_a_fresh_salt_from_the_random_source() -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    asked: list[int] = []

    def random(n: int) -> bytes:
        asked.append(n)
        return bytes([len(asked)]) * n

    encryptor = Encryptor(SECRET, _random=random)
    first, second = encryptor.seal(b"same"), encryptor.seal(b"same")
    assert (asked, first != second) == ([24, 24], True)
    assert (b64decode(first)[1:25], b64decode(second)[1:25]) == (b"\x01" * 24, b"\x02" * 24)
    real = Encryptor(SECRET)
    assert len({real.seal(b"same") for _ in range(50)}) == 50


def test_session_features_work_as_with_signed_sessions(clock: FakeClock) -> None:
    factory = _factory(clock=clock)
    session = factory.from_cookie_value(None)
    session.flash("hello")
    csrf = session.get_csrf_token()
    token = cookie_value(session.set_cookie_header() or "")
    again = factory.from_cookie_value(token)
    assert (again.pop_flash(), again.get_csrf_token()) == (["hello"], csrf)


def test_a_pickle_serializer_is_encrypted_too() -> None:
    with pytest.warns(DeprecationWarning, match="PickleSerializer is deprecated"):
        serializer = PickleSerializer()
    factory = _factory(serializer=serializer)
    state = {"when": (1, 2), "tags": {"a", "b"}}
    session = factory.from_cookie_value(mint(factory, state))
    assert stored_state(session) == state


# -- tampering -------------------------------------------------------------------------------


@SLOW
@given(state=json_states)
def test_every_single_bit_flip_gives_a_fresh_empty_session(state: dict[str, Any]) -> None:
    factory = _factory()
    token = mint(factory, state)
    raw = b64decode(token)
    outcomes = []
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        outcomes.append(_opened(factory, b64encode(bytes(flipped))))
    # and every bit of every character of the token text (mostly leaving the alphabet)
    for pos in range(len(token)):
        for bit in range(7):
            changed = token[:pos] + chr(ord(token[pos]) ^ (1 << bit)) + token[pos + 1 :]
            outcomes.append(_opened(factory, changed))
    assert outcomes == [REJECTED] * (len(raw) * 8 + len(token) * 7)


@SLOW
@given(state=json_states, suffix=st.text(alphabet=URLSAFE, min_size=1, max_size=40))
def test_every_truncation_and_extension_gives_a_fresh_empty_session(
    state: dict[str, Any], suffix: str
) -> None:
    factory = _factory()
    token = mint(factory, state)
    raw = b64decode(token)
    variants = [token[:n] for n in range(len(token))]
    variants += [token + c for c in URLSAFE] + [token + suffix, suffix + token]
    variants += [b64encode(raw[:n]) for n in range(len(raw))]
    variants += [b64encode(raw + bytes([b])) for b in range(256)]
    assert [_opened(factory, v) for v in variants] == [REJECTED] * len(variants)


@FAST
@given(text=st.text(max_size=300) | st.text(alphabet=URLSAFE, max_size=300))
def test_arbitrary_text_raises_only_the_one_opaque_error(text: str) -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    with pytest.raises(BadSignature) as caught:
        Encryptor(SECRET).unseal(text)
    assert str(caught.value) == "invalid encrypted session token"


def test_a_token_longer_than_any_cookie_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    encryptor = Encryptor(SECRET)
    decoded: list[str] = []

    def spy(token: str) -> bytes:
        decoded.append(token)
        return b64decode(token)

    monkeypatch.setattr(_base64, "decode", spy)
    with pytest.raises(BadSignature):
        encryptor.unseal("A" * (MAX_TOKEN_LENGTH + 1))
    assert decoded == []
    with pytest.raises(BadSignature):
        encryptor.unseal("A" * MAX_TOKEN_LENGTH)  # at the limit it is decoded, then refused
    assert len(decoded) == 1


# -- keys, names and rotation ----------------------------------------------------------------


def test_another_secret_or_salt_cannot_open_the_cookie() -> None:
    token = mint(_factory(), {"user": "alice"})
    assert _opened(_factory(OTHER_SECRET), token) == REJECTED
    assert _opened(_factory(salt="another.salt."), token) == REJECTED
    assert _opened(_factory(SECRET.encode("utf-8")), token) == (False, {"user": "alice"})


def test_a_token_copied_into_a_cookie_of_another_name_is_refused() -> None:
    token = mint(_factory(cookie_name="session"), {"user": "alice"})
    other = _factory(cookie_name="admin_session")
    assert _opened(other, token) == REJECTED

    class Request:
        def __init__(self) -> None:
            self.environ = {"HTTP_COOKIE": f"admin_session={token}; session={token}"}

    session = other(Request())
    assert (session.new, stored_state(session)) == REJECTED
    same_name = _factory(cookie_name="session")(Request())
    assert (same_name.new, stored_state(same_name)) == (False, {"user": "alice"})


def test_signed_and_encrypted_factories_with_one_secret_have_unrelated_keys() -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    salt = "shared.salt."
    encrypted = _factory(salt=salt)
    signed = SignedCookieSessionFactory(SECRET, salt=salt, clock=lambda: NOW)
    enc_token, signed_token = mint(encrypted, {"a": 1}), mint(signed, {"a": 1})
    assert (_opened(signed, enc_token), _opened(encrypted, signed_token)) == (REJECTED, REJECTED)
    # The keys themselves: HKDF with the purpose label against WebOb's salt + secret.
    info = b"cookiesession/encrypted-cookie/v1\x00" + salt.encode()
    enc_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(SECRET.encode())
    hmac_key = derive_hmac_key(SECRET, salt)
    assert (enc_key in hmac_key, hmac_key[:32] == enc_key) == (False, False)
    assert hmac.new(hmac_key, b"", "sha512").digest()[:32] != enc_key
    # and a signature of the encrypted token's bytes is not its tag
    raw = b64decode(enc_token)
    assert Signer(SECRET, salt).signature(raw[:-16])[:16] != raw[-16:]


def test_rotation_opens_old_cookies_and_reissues_them_under_the_primary(clock: FakeClock) -> None:
    old = _factory(OTHER_SECRET, clock=clock)
    rotated = _factory(SECRET, fallback_secrets=[OTHER_SECRET], clock=clock)
    new_only = _factory(SECRET, clock=clock)
    old_token = mint(old, {"user": "alice"})
    assert rotated._codec.protector.unseal(old_token)[1] == 1
    # A session the application never looks at writes nothing, not even the re-issue.
    assert rotated.from_cookie_value(old_token).set_cookie_header() is None
    session = rotated.from_cookie_value(old_token)
    assert (session.new, session.get("user")) == (False, "alice")
    header = session.set_cookie_header()  # read only, yet it is re-issued
    assert header is not None
    reissued = cookie_value(header)
    assert rotated._codec.protector.unseal(reissued)[1] == 0
    assert (_opened(new_only, reissued), _opened(old, reissued)) == ((False, {"user": "alice"}), REJECTED)
    assert _opened(new_only, old_token) == REJECTED
    # A token no secret of the rotation opens: every key is tried, none takes it.
    stranger = mint(_factory("a-third-secret-" + "0123456789abcdef" * 4, clock=clock), {"user": "eve"})
    assert _opened(rotated, stranger) == REJECTED


def test_a_cookie_under_the_primary_is_not_reissued(clock: FakeClock) -> None:
    factory = _factory(SECRET, fallback_secrets=[OTHER_SECRET], clock=clock)
    session = factory.from_cookie_value(mint(factory, {"user": "alice"}))
    assert (session.get("user"), session.set_cookie_header()) == ("alice", None)


def test_a_read_only_reissue_writes_the_times_once(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # The payload's head is written once, for the payload that is encrypted again.
    factory = _factory(clock=clock)
    token = mint(factory, {"user": "alice", "n": 1})
    clock.advance(5)
    heads: list[bytes] = []
    real = _reuse.times_json

    def counting(*args: Any) -> bytes:
        heads.append(real(*args))
        return heads[-1]

    monkeypatch.setattr(_reuse, "times_json", counting)
    session = factory.from_cookie_value(token)
    assert session["user"] == "alice"
    header = session.set_cookie_header()
    assert len(heads) == 1
    assert header is not None
    assert _opened(factory, cookie_value(header)) == (False, {"user": "alice", "n": 1})


# -- timeouts --------------------------------------------------------------------------------


def test_idle_timeout(clock: FakeClock) -> None:
    factory = _factory(timeout=600, clock=clock)
    token = mint(factory, {"user": "alice"})
    clock.advance(599)
    assert _opened(factory, token) == (False, {"user": "alice"})
    clock.advance(2)
    assert _opened(factory, token) == (False, {})  # timed out: empty, not new (as Pyramid)


def test_absolute_timeout_even_when_active(clock: FakeClock) -> None:
    factory = _factory(timeout=600, absolute_timeout=1000, clock=clock)
    token = mint(factory, {"user": "alice"})
    for _ in range(3):  # active every 300 s, so the idle timeout never fires
        clock.advance(300)
        session = factory.from_cookie_value(token)
        session["seen"] = True
        token = cookie_value(session.set_cookie_header() or "")
    assert _opened(factory, token) == (False, {"user": "alice", "seen": True})
    clock.advance(300)
    assert _opened(factory, token) == REJECTED


# -- what the cookie shows -------------------------------------------------------------------


def _base64_spellings(text: bytes) -> list[str]:
    # The text's base64 at each of the three byte alignments, edges trimmed.
    return [b64encode(b"\0" * shift + text)[4:-4] for shift in range(3)]


def test_nothing_of_the_state_shows_in_the_token() -> None:
    state = {"distinctive_key_QXZ": "distinctive_value_JKW", "n": 12345678901234}
    encrypted = mint(_factory(), state)
    signed = mint(SignedCookieSessionFactory(SECRET, clock=lambda: NOW), state)
    needles = [b"distinctive_key_QXZ", b"distinctive_value_JKW", b"12345678901234"]

    def shows(token: str) -> list[bool]:
        raw = b64decode(token)
        return [
            needle in raw or any(s in token for s in _base64_spellings(needle)) or needle.decode() in token
            for needle in needles
        ]

    # The check can fail: signing is not encryption, and it finds every needle there.
    assert (shows(signed), shows(encrypted)) == ([True, True, True], [False, False, False])


@FAST
@given(state=json_states)
def test_the_cookie_is_never_longer_than_the_sha512_signed_one(state: dict[str, Any]) -> None:
    encrypted = mint(_factory(), state)
    signed = mint(SignedCookieSessionFactory(SECRET, hashalg="sha512", clock=lambda: NOW), state)
    # 25 header + 16 tag bytes against a 64-byte signature: 23 bytes (about 31 characters) shorter
    assert len(b64decode(signed)) - len(b64decode(encrypted)) == 23
    assert (len(encrypted) <= len(signed), len(signed) - len(encrypted) in (30, 31)) == (True, True)


@pytest.mark.parametrize(
    "state",
    [{}, {"user": "alice"}, {"_csrft_": "ab" * 20, "cart": list(range(50))}, {"x": "y" * 2500}],
    ids=["empty", "user", "cart", "large"],
)
def test_cookie_lengths_of_typical_states(state: dict[str, Any]) -> None:
    encrypted = mint(_factory(), state)
    signed = mint(SignedCookieSessionFactory(SECRET, clock=lambda: NOW), state)
    assert len(encrypted) < len(signed)


def test_repr_shows_no_secret() -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    encryptor = Encryptor(SECRET, fallback_secrets=[OTHER_SECRET])
    assert repr(encryptor) == "<Encryptor AES-256-GCM v1 with 1 fallback secret(s)>"


# -- configuration ---------------------------------------------------------------------------


def test_the_signature_is_the_signed_factorys_without_hashalg() -> None:
    signed = inspect.signature(SignedCookieSessionFactory).parameters
    encrypted = inspect.signature(EncryptedCookieSessionFactory).parameters
    expected = [(n, p.kind) for n, p in signed.items() if n != "hashalg"]
    assert [(n, p.kind) for n, p in encrypted.items()] == expected
    defaults = {n: p.default for n, p in encrypted.items()}
    assert {n: p.default for n, p in signed.items() if n not in ("hashalg", "salt")} == {
        n: d for n, d in defaults.items() if n != "salt"
    }
    assert defaults["salt"] == DEFAULT_SALT


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"secret": 12}, ConfigurationTypeError, "secret must be a str or bytes, not int"),
        ({"secret": ""}, ConfigurationError, "secret is empty"),
        ({"fallback_secrets": "old"}, ConfigurationTypeError, "fallback_secrets must be a list"),
        ({"fallback_secrets": [""]}, ConfigurationError, "fallback_secrets[0] is empty"),
        ({"salt": 5}, ConfigurationTypeError, "salt must be a str or bytes, not int"),
        ({"cookie_name": 5}, ConfigurationTypeError, "cookie_name must be a non-empty str"),
        ({"cookie_name": "a b"}, ConfigurationError, "cookie_name"),
    ],
)
def test_configuration_mistakes_fail_at_creation(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    options = {"secret": SECRET, **kwargs}
    with pytest.raises(error) as caught:
        _factory(**options)
    assert str(caught.value).startswith(message)


def test_a_short_secret_warns_and_is_not_shown() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _factory("short-secret")
        _factory("x" * 32)
    assert [(w.category, "short-secret" in str(w.message), w.filename) for w in seen] == [
        (SecretTooShortWarning, False, __file__)
    ]


# -- without cryptography --------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, timeout=60
    )


def test_import_cookiesession_does_not_import_cryptography() -> None:
    result = _python(
        """
        import sys
        import cookiesession
        print(sorted(m for m in sys.modules if m.split(".")[0] == "cryptography"))
        """
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


def test_without_cryptography_the_factory_says_what_to_install() -> None:
    # Honest simulation: a None entry in sys.modules makes `import cryptography...` raise
    # ModuleNotFoundError, as when the package is not installed (it is installed here).
    result = _python(
        """
        import sys
        sys.modules["cryptography"] = None
        import cookiesession
        try:
            cookiesession.EncryptedCookieSessionFactory("x" * 40)
        except ImportError as exc:
            print(type(exc).__name__, isinstance(exc, cookiesession.MissingDependency))
            print(exc)
        signed = cookiesession.SignedCookieSessionFactory("x" * 64)
        print(signed.from_cookie_value(None).new)
        """
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "MissingDependency True",
        "encrypted sessions need the 'cryptography' package: pip install 'cookiesession[crypto]'",
        "True",
    ]


def test_without_cryptography_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(MissingDependency) as caught:
        EncryptedCookieSessionFactory(SECRET)
    assert (isinstance(caught.value, ImportError), str(caught.value)) == (
        True,
        "encrypted sessions need the 'cryptography' package: pip install 'cookiesession[crypto]'",
    )


def test_bad_cookie_is_the_base_of_the_error() -> None:
    require(HAVE_CRYPTOGRAPHY, "cryptography (the crypto extra)")
    with pytest.raises(BadCookie):
        Encryptor(SECRET).unseal("")
