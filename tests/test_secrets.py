"""Secrets: a short one warns (and says how to make a proper one), an empty one is an error, and
no secret or key derived from one ever shows in a repr, str, exception message or log line.

The leak test walks the library's public objects (factory classes and what they hold, sessions,
signers, encryptors, cookie specs, codecs, serializers, revocation stores) and the errors and
warnings that bad configuration and bad cookies produce, and looks for every rendering of the
secrets and keys: the text, its bytes, the HMAC key bytes and the AES key bytes, in hex and in
both base64 alphabets, and any 16-character window of the secret text.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    CookieSessionError,
    JSONSerializer,
    PickleSerializer,
    SecretTooShortWarning,
    SignedCookieSessionFactory,
)
from cookiesession.codec import SessionCodec
from cookiesession.cookies import CookieSpec
from cookiesession.signing import Signer, derive_hmac_key
from tests.conftest import require
from tests.session_harness import SALT, FakeClock, FakeRequest, cookie_value

HAVE_ENCRYPTION = importlib.util.find_spec("cryptography") is not None
HAVE_REDIS_CLIENT = importlib.util.find_spec("redis") is not None
HAVE_PYRAMID = importlib.util.find_spec("pyramid") is not None

PRIMARY = "leak-walk-primary-Qz7Vn2Lm8Rt4Kx9Wb3Hc6Jd1Fg5Sp0Ya7Ue2Io8Mn4Bv6Cx3Zl9Tr5Wq1Ek7Dy2Hu0Gj"
FALLBACK_TEXT = "leak-walk-fallback-Ns4Pq8Lx2Vz6Rk0Mt3Wy7Jb1Hd5Cf9Ga2Ue6Io4Sx8Bn0Tl3Zq7Dm1Ky5Er9Hv2Cw6"
FALLBACK_BYTES = bytes(range(256))[::-3] + b"\x00\xffleak-walk-bytes-secret\x80\x81"
REDIS_PASSWORD = "leak-walk-redis-password-Vb8Nm2Qw6Er0Ty4Ui"


# -- the warning and the error -------------------------------------------------------------------


@pytest.mark.parametrize(("hashalg", "digest"), [("sha512", 64), ("sha256", 32), ("sha1", 20)])
def test_a_short_secret_warns_and_says_how_to_generate_one(hashalg: str, digest: int) -> None:
    with pytest.warns(SecretTooShortWarning) as caught:
        SignedCookieSessionFactory("s" * (digest - 1), hashalg=hashalg)
    (warning,) = caught.list
    assert str(warning.message) == (
        f"the secret is shorter than the {digest}-byte digest of {hashalg}; generate a strong one "
        f"with `python -m cookiesession keygen --hashalg {hashalg}`"
    )
    # Reported at the line that created the factory, not inside the library.
    assert warning.filename == __file__


def test_a_secret_of_the_digest_size_does_not_warn() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        SignedCookieSessionFactory("s" * 64)
        SignedCookieSessionFactory("s" * 32, hashalg="sha256")
        SignedCookieSessionFactory(b"\xff" * 64)
    assert seen == []


def _short_secret_warnings(make: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        make()
    assert {(w.category, w.filename) for w in seen} <= {(SecretTooShortWarning, __file__)}
    return [str(w.message) for w in seen]


@pytest.mark.parametrize(
    ("secret", "salt", "encoding", "counted"),
    [
        # The HMAC key holds the secret in latin-1 (WebOb's rule): one byte per character.
        ("\u00e9" * 40, SALT, "latin-1", 40),
        ("\u00e9" * 63 + "s", SALT, "latin-1", 64),
        # A character latin-1 cannot hold: UTF-8 for the secret (three bytes per euro sign)...
        ("\u20ac" * 21, SALT, "utf-8", 63),
        ("\u20ac" * 22, SALT, "utf-8", 66),
        # ... or for the salt, which then makes the secret UTF-8 too.
        ("\u00e9" * 32, "s\u20acl.", "utf-8", 64),
        ("\u00e9" * 31, "s\u20acl.", "utf-8", 62),
        (b"\xc3\xa9" * 31, SALT, "latin-1", 62),  # bytes are counted as they are
    ],
)
def test_the_length_is_counted_in_the_bytes_of_the_hmac_key(
    secret: str | bytes, salt: str, encoding: str, counted: int
) -> None:
    in_key = secret if isinstance(secret, bytes) else secret.encode(encoding)
    warned = _short_secret_warnings(lambda: SignedCookieSessionFactory(secret, salt=salt))
    assert (derive_hmac_key(secret, salt), len(in_key), len(warned)) == (
        salt.encode(encoding) + in_key,
        counted,
        1 if counted < 64 else 0,
    )


def test_a_short_fallback_secret_warns_and_names_it() -> None:
    # Old secrets still verify cookies: a short one lets forged cookies in as surely.
    warned = _short_secret_warnings(
        lambda: SignedCookieSessionFactory(PRIMARY, fallback_secrets=[FALLBACK_TEXT, "old", "\u00e9" * 40])
    )
    assert warned == [
        f"fallback_secrets[{i}] is shorter than the 64-byte digest of sha512, and it verifies cookies "
        "as the secret does: remove it once its sessions have moved to the secret (a strong one: "
        "`python -m cookiesession keygen --hashalg sha512`)"
        for i in (1, 2)
    ]


def test_the_encrypted_factory_counts_every_secret_in_utf8() -> None:
    require(HAVE_ENCRYPTION, "cookiesession.encryption and the cryptography package")
    from cookiesession import EncryptedCookieSessionFactory

    # HKDF takes the secret's UTF-8 bytes: 16 two-byte characters are the 32 bytes of the key.
    assert _short_secret_warnings(lambda: EncryptedCookieSessionFactory("\u00e9" * 16)) == []
    warned = _short_secret_warnings(
        lambda: EncryptedCookieSessionFactory(PRIMARY, fallback_secrets=["\u00e9" * 15 + "s"])
    )
    assert warned == [
        "fallback_secrets[0] is shorter than the 32-byte AES-256 key it is stretched into, and it "
        "verifies cookies as the secret does: remove it once its sessions have moved to the secret "
        "(a strong one: `python -m cookiesession keygen`)"
    ]


@pytest.mark.parametrize("secret", ["", b""])
def test_an_empty_secret_is_an_error(secret: str | bytes) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SignedCookieSessionFactory(secret)
    assert str(caught.value) == "secret is empty; generate one with `python -m cookiesession keygen`"


def test_an_empty_fallback_secret_is_an_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SignedCookieSessionFactory(PRIMARY, fallback_secrets=[FALLBACK_TEXT, ""])
    assert str(caught.value) == (
        "fallback_secrets[1] is empty; generate one with `python -m cookiesession keygen`"
    )


def test_the_encrypted_factory_checks_its_secret_too() -> None:
    require(HAVE_ENCRYPTION, "cookiesession.encryption and the cryptography package")
    from cookiesession import EncryptedCookieSessionFactory

    with pytest.warns(SecretTooShortWarning, match="python -m cookiesession keygen"):
        EncryptedCookieSessionFactory("s" * 31)
    with pytest.raises(ConfigurationError, match="secret is empty"):
        EncryptedCookieSessionFactory("")


# -- what a leak looks like ---------------------------------------------------------------------


def _renderings(name: str, raw: bytes) -> dict[str, str]:
    """The forms in which ``raw`` could show up in text."""
    b64 = base64.b64encode(raw).decode().rstrip("=")
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {
        f"{name} hex": raw.hex(),
        f"{name} HEX": raw.hex().upper(),
        f"{name} base64": b64[:-2],  # the last characters depend on what follows
        f"{name} urlsafe base64": urlsafe[:-2],
        f"{name} bytes repr": repr(raw)[2:-1],
    }


def _needles() -> dict[str, str]:
    needles: dict[str, str] = {}
    for name, text in (("primary", PRIMARY), ("fallback", FALLBACK_TEXT), ("redis password", REDIS_PASSWORD)):
        # Any 16 characters of the random part, so a truncated secret is caught too.
        random_part = text[text.index("-", 12) + 1 :]
        for i in range(0, len(random_part) - 15, 4):
            needles[f"{name} text [{i}:{i + 16}]"] = random_part[i : i + 16]
        needles.update(_renderings(name, text.encode()))
    needles.update(_renderings("fallback bytes", FALLBACK_BYTES))
    needles["fallback bytes latin-1"] = FALLBACK_BYTES[-27:].decode("latin-1")
    for name, secret in (
        ("primary", PRIMARY),
        ("fallback", FALLBACK_TEXT),
        ("fallback bytes", FALLBACK_BYTES),
    ):
        needles.update(_renderings(f"{name} HMAC key", derive_hmac_key(secret, SALT)))
        if HAVE_ENCRYPTION:
            needles.update(_renderings(f"{name} AES key", _encryption_key(secret)))
    return needles


def _encryption_key(secret: str | bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from cookiesession import encryption

    ikm = secret.encode() if isinstance(secret, str) else secret
    info = encryption._LABEL + encryption.DEFAULT_SALT.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)


NEEDLES = _needles()


def _leaks(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(where, name) for where, text in texts for name, needle in NEEDLES.items() if needle in text]


# -- walking the objects ---------------------------------------------------------------------------


def _walk(root: object, where: str) -> list[tuple[str, str]]:
    """``(path, text)`` for the repr and str of ``root`` and everything reachable from it.

    Plain strings and bytes held in *private* attributes are internal storage, not a rendering,
    so only their containers are rendered; everything else reachable is rendered itself.
    """
    out: list[tuple[str, str]] = []
    seen: set[int] = set()

    def render(obj: object, path: str) -> None:
        for how, fn in (("repr", repr), ("str", str)):
            try:
                out.append((f"{how}({path})", fn(obj)))
            except Exception as exc:  # noqa: BLE001 - a failing repr is reported as its error
                out.append((f"{how}({path}) raised", f"{type(exc).__name__}: {exc}"))

    def visit(obj: object, path: str, depth: int, private: bool) -> None:
        if id(obj) in seen or depth > 6:
            return
        seen.add(id(obj))
        if isinstance(obj, (str, bytes, bytearray)):
            if not private:
                render(obj, path)
            return
        render(obj, path)
        for child, child_path, child_private in _children(obj, path, private):
            visit(child, child_path, depth + 1, child_private)

    visit(root, where, 0, False)
    return out


def _children(obj: object, path: str, private: bool) -> Iterator[tuple[object, str, bool]]:
    """What ``_walk`` visits inside ``obj``: ``(value, path, private)``."""
    if isinstance(obj, (int, float, type(None))):
        return
    if isinstance(obj, BaseException):
        for i, arg in enumerate(obj.args):
            yield arg, f"{path}.args[{i}]", False
        return
    if isinstance(obj, dict):
        for key, value in dict.items(obj):
            yield value, f"{path}[{key!r}]", private
    if isinstance(obj, (list, tuple, set, frozenset)):
        for i, item in enumerate(obj):
            yield item, f"{path}[{i}]", private
    for name, value in _attributes(obj):
        yield value, f"{path}.{name}", private or name.startswith("_")


def _attributes(obj: object) -> Iterator[tuple[str, Any]]:
    """The attributes the library put on ``obj`` (its own classes' slots, dicts and class
    attributes), without the inherited machinery of ``dict`` or ``object``."""
    if isinstance(obj, type):
        for klass in obj.__mro__:
            if klass.__module__.startswith("cookiesession"):
                for name, value in vars(klass).items():
                    if not (name.startswith("__") and name.endswith("__")):
                        yield name, value
        return
    module = type(obj).__module__
    if not (module.startswith(("cookiesession", "tests.")) or "HMAC" in type(obj).__name__):
        return
    for klass in type(obj).__mro__:
        for name in vars(klass).get("__slots__", ()):
            if name in ("__dict__", "__weakref__"):
                continue
            try:
                yield name, getattr(obj, name)
            except AttributeError:
                continue
    yield from getattr(obj, "__dict__", {}).items()


def _factories(clock: FakeClock) -> dict[str, Any]:
    factories: dict[str, Any] = {
        "signed": SignedCookieSessionFactory(
            PRIMARY, fallback_secrets=[FALLBACK_TEXT, FALLBACK_BYTES], clock=clock
        ),
        "signed bytes primary": SignedCookieSessionFactory(
            FALLBACK_BYTES, fallback_secrets=[PRIMARY], hashalg="sha256", clock=clock
        ),
        "signed with memory revocation": SignedCookieSessionFactory(
            PRIMARY, fallback_secrets=[FALLBACK_TEXT], revocation="memory", clock=clock
        ),
        "base": BaseCookieSessionFactory(JSONSerializer(), clock=clock),
    }
    if HAVE_ENCRYPTION:
        from cookiesession import EncryptedCookieSessionFactory

        factories["encrypted"] = EncryptedCookieSessionFactory(
            PRIMARY, fallback_secrets=[FALLBACK_TEXT, FALLBACK_BYTES], clock=clock
        )
    if HAVE_REDIS_CLIENT:
        from cookiesession.revocation import RedisRevocationStore

        # Port 1 on loopback: nothing listens, so every call fails (and logs) at once.
        # on_error="open": its sessions load, so every later step runs too.
        store = RedisRevocationStore(
            f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0", timeout=0.05, on_error="open"
        )
        factories["signed with unreachable redis"] = SignedCookieSessionFactory(
            PRIMARY, fallback_secrets=[FALLBACK_TEXT], revocation=store, clock=clock
        )
    return factories


def _sessions(factory: Any, clock: FakeClock) -> Iterator[tuple[str, Any]]:
    """Sessions in every state a request can leave them in, and the errors along the way."""
    request = FakeRequest()
    fresh = factory(request)
    fresh["user"] = "ann"
    fresh["cart"] = [1, 2]
    yield "a new session", fresh
    (header,) = request.respond().set_cookies()
    yield "its Set-Cookie", header
    clock.advance(1)
    request = FakeRequest(header.split(";")[0])
    loaded = factory(request)
    loaded["cart"].append(3)
    loaded.flash("hello")
    loaded.get_csrf_token()
    yield "a loaded session", loaded
    yield "its request", loaded.request
    request.respond()
    loaded.invalidate()
    if loaded.revocation_error is not None:  # an unreachable revocation store
        yield "invalidate()'s error", loaded.revocation_error
    yield "an invalidated session", loaded
    yield "a session from a forged cookie", factory(FakeRequest("session=" + "A" * 200))
    too_big = factory.from_cookie_value(None)
    too_big["blob"] = "x" * 5000
    try:
        too_big.set_cookie_header()
    except CookieSessionError as exc:
        yield "SessionTooLarge", exc
    unserializable = factory.from_cookie_value(None)
    try:
        unserializable["when"] = object()  # refused here, naming the key
        unserializable.set_cookie_header()
    except CookieSessionError as exc:
        yield "SessionNotSerializable", exc


# For the mistakes a type checker would also catch.
_unchecked: Any = SignedCookieSessionFactory


def _configuration_errors() -> Iterator[tuple[str, BaseException]]:
    bad: dict[str, Callable[[], object]] = {
        "hashalg": lambda: SignedCookieSessionFactory(PRIMARY, hashalg="sha999"),
        "samesite": lambda: SignedCookieSessionFactory(PRIMARY, samesite="bogus"),
        "prefix": lambda: SignedCookieSessionFactory(PRIMARY, cookie_name="__Host-s"),
        "partitioned": lambda: SignedCookieSessionFactory(PRIMARY, partitioned=True),
        "timeout": lambda: _unchecked(PRIMARY, timeout="soon"),
        "secret of a wrong type": lambda: _unchecked(bytearray(PRIMARY.encode())),
        "fallback of a wrong type": lambda: _unchecked(PRIMARY, fallback_secrets=[7]),
        "fallback_secrets a single str": lambda: SignedCookieSessionFactory(
            PRIMARY, fallback_secrets=FALLBACK_TEXT
        ),
        "fallback_secrets a single bytes": lambda: _unchecked(PRIMARY, fallback_secrets=FALLBACK_BYTES),
        "empty fallback": lambda: SignedCookieSessionFactory(PRIMARY, fallback_secrets=[FALLBACK_TEXT, b""]),
        "salt": lambda: _unchecked(PRIMARY, salt=5),
        "Signer hashalg": lambda: Signer(PRIMARY, hashalg="shake_128"),
    }
    if HAVE_ENCRYPTION:
        from cookiesession import EncryptedCookieSessionFactory

        bad["encrypted fallback str"] = lambda: EncryptedCookieSessionFactory(
            PRIMARY, fallback_secrets=FALLBACK_TEXT
        )
        bad["encrypted samesite"] = lambda: EncryptedCookieSessionFactory(PRIMARY, samesite="x")
    if HAVE_PYRAMID:
        from cookiesession.pyramid import session_factory_from_settings

        base = {"cookiesession.secret": PRIMARY, "cookiesession.fallback_secrets": FALLBACK_TEXT}
        for name, value in (("timeout", "soon"), ("secure", "perhaps"), ("samesite", "x"), ("nosuch", "1")):
            settings = {**base, f"cookiesession.{name}": value}
            bad[f"pyramid setting {name}"] = lambda s=settings: session_factory_from_settings(s)  # type: ignore[misc]
    for name, make in bad.items():
        try:
            make()
        except (ConfigurationError, TypeError, ValueError) as exc:
            yield name, exc
        else:  # pragma: no cover - each of these is a mistake
            pytest.fail(f"{name}: no error")


def _bad_cookie_errors() -> Iterator[tuple[str, BaseException]]:
    signer = Signer(PRIMARY, fallback_secrets=[FALLBACK_TEXT])
    forged = Signer("someone-else-" + PRIMARY[::-1]).sign(b'[1, 2.0, {"a": 1}]')
    for token in (forged, forged[:-4], "!" * 40, "A" * 5000):
        try:
            signer.unsign(token)
        except ValueError as exc:
            yield f"Signer.unsign({token[:8]}...)", exc
    if HAVE_ENCRYPTION:
        from cookiesession.encryption import Encryptor

        encryptor = Encryptor(PRIMARY, fallback_secrets=[FALLBACK_TEXT])
        for token in (forged, "A" * 80):
            try:
                encryptor.unseal(token)
            except ValueError as exc:
                yield f"Encryptor.unseal({token[:8]}...)", exc


def _everything(clock: FakeClock) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pickle_serializer = PickleSerializer()
    loose: dict[str, object] = {
        "Signer": Signer(PRIMARY, fallback_secrets=[FALLBACK_TEXT, FALLBACK_BYTES]),
        "CookieSpec": CookieSpec(
            "sid", max_age=60, path="/", domain=None, secure=True, httponly=True, samesite="Lax"
        ),
        "SessionCodec": SessionCodec(JSONSerializer(), Signer(PRIMARY)),
        "JSONSerializer": JSONSerializer(),
        "PickleSerializer": pickle_serializer,
    }
    if HAVE_ENCRYPTION:
        from cookiesession.encryption import Encryptor

        loose["Encryptor"] = Encryptor(PRIMARY, fallback_secrets=[FALLBACK_TEXT])
    for name, obj in loose.items():
        texts += _walk(obj, name)
    for name, factory in _factories(clock).items():
        texts += _walk(factory, f"factory {name}")
        for what, obj in _sessions(factory, clock):
            texts += _walk(obj, f"{name}: {what}")
    for name, exc in [*_configuration_errors(), *_bad_cookie_errors()]:
        texts += _walk(exc, f"error {name}")
    with pytest.warns(SecretTooShortWarning) as caught:
        SignedCookieSessionFactory(PRIMARY[:40])
    texts += [("warning for a short secret", str(w.message)) for w in caught.list]
    return texts


def test_no_secret_or_key_appears_in_any_repr_str_or_error(clock: FakeClock) -> None:
    texts = _everything(clock)
    assert _leaks(texts) == []
    # The walk did reach what holds the keys (so the empty list above means something).
    reached = {
        marker: sum(marker in text for _, text in texts) > 0
        for marker in (
            "<Signer ",
            "<CookieSpec ",
            "fallback_secrets[1] is empty",
            "signature does not verify",
        )
    }
    assert reached == dict.fromkeys(reached, True)
    assert len(texts) > 300


def test_no_secret_or_key_appears_in_the_librarys_log_records(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _everything(clock)
    records = [r for r in caplog.records if r.name.startswith("cookiesession")]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [(f"log {r.name}", formatter.format(r)) for r in records]
    lines += [(f"log args {r.name}", repr(r.args)) for r in records]
    assert _leaks(lines) == []
    if HAVE_REDIS_CLIENT:
        # The unreachable Redis store did log: the check above saw real records.
        assert sorted({r.name for r in records}) == ["cookiesession.revocation"]


def test_the_leak_check_finds_a_leak() -> None:
    # The needles and the walk catch each kind of rendering (a check that cannot fail is no check).
    key = derive_hmac_key(PRIMARY, SALT)

    class Leaky:
        def __init__(self, text: str) -> None:
            self.shown = text

    cases = {
        "text": f"secret={PRIMARY[30:50]}",
        "hex key": key.hex(),
        "base64 key": base64.b64encode(key).decode(),
        "urlsafe bytes": base64.urlsafe_b64encode(FALLBACK_BYTES).decode(),
        "bytes repr": repr(FALLBACK_BYTES),
        "hexlify": binascii.hexlify(FALLBACK_TEXT.encode()).decode(),
    }
    found = {name: len(_leaks(_walk(Leaky(text), "leaky"))) > 0 for name, text in cases.items()}
    assert found == dict.fromkeys(cases, True)
    assert _leaks(_walk(json.dumps({"a": 1}), "clean")) == []


def test_the_cookie_itself_is_not_a_leak(clock: FakeClock) -> None:
    # A signed cookie carries the HMAC, not the key: none of the needles appears in it.
    request = FakeRequest()
    SignedCookieSessionFactory(PRIMARY, clock=clock)(request)["a"] = 1
    token = cookie_value(request.respond().set_cookies()[0])
    assert _leaks([("cookie", token)]) == []
