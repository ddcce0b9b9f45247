"""The golden vectors, reproduced byte for byte from the repository's own copies.

``tests/data/pyramid-vectors.json``: five cookies made with real Pyramid 2.1 / WebOb 1.8.11;
the signed factory reads each and writes each again, ``Set-Cookie`` header and all.

``tests/data/encryption-vectors.json``: the encrypted format (``docs/encryption.md``); the
encrypted factory opens and writes each valid token byte for byte, an independent
re-implementation of the format (the standard library's HKDF, HMAC and base64, and
``cryptography``'s AES-GCM only for the cipher) agrees, and the invalid tokens are refused.

Past the vectors, the same formats hold as properties: a signature is the standard library's
``hmac.new(salt + secret, payload, hashalg)`` for every fixed-length algorithm and any key
length, and an encrypted cookie's key is ``HMAC-SHA256(HKDF(secret), header)`` for any secret.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import (
    BadSignature,
    EncryptedCookieSessionFactory,
    SecretTooShortWarning,
    SignedCookieSessionFactory,
)
from cookiesession.encryption import Encryptor
from cookiesession.factory import SessionFactory, make_session_factory
from cookiesession.serializers import JSONSerializer
from cookiesession.signing import Signer, derive_hmac_key
from tests.session_harness import FakeClock, FakeRequest, cookie_value, mint, stored_state

DATA = Path(__file__).parent / "data"
VECTORS: list[dict[str, Any]] = json.loads((DATA / "pyramid-vectors.json").read_text("utf-8"))["vectors"]
IDS = [f"v{i}-{v['hashalg']}" for i, v in enumerate(VECTORS, 1)]
ENCRYPTION = json.loads((DATA / "encryption-vectors.json").read_text("utf-8"))
VALID: list[dict[str, Any]] = ENCRYPTION["valid"]
INVALID: list[dict[str, Any]] = ENCRYPTION["invalid"]

# Vector 5's `expires` came from WebOb's datetime.utcnow(), which the generator froze
# separately from time.time(); the session dates `expires` at response time, so the
# clock is moved to that instant just before the response is made.
WEBOB_UTCNOW_OF_VECTOR_5 = calendar.timegm((2030, 1, 2, 3, 4, 5, 0, 0, 0))

# Every fixed-length algorithm hashlib guarantees (the SHAKEs have no fixed length).
ALGORITHMS = sorted(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake"))
LABEL = b"cookiesession/encrypted-cookie/v1\x00"


def _signed_factory(vector: dict[str, Any], clock: FakeClock) -> Any:
    with warnings.catch_warnings():
        # The vectors' secrets are short, in the style of Pyramid's docs; the warning is
        # tested in test_secrets.py.
        warnings.simplefilter("ignore", SecretTooShortWarning)
        return SignedCookieSessionFactory(
            vector["secret"],
            cookie_name=vector["cookie_name"],
            hashalg=vector["hashalg"],
            salt=vector["salt"],
            vary=False,
            clock=clock,
            **vector["factory_kwargs"],
        )


# -- Pyramid's signed cookies ------------------------------------------------------------------


def test_there_are_five_pyramid_vectors() -> None:
    assert [v["hashalg"] for v in VECTORS] == ["sha512", "sha256", "sha1", "md5", "sha384"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_hmac_key(vector: dict[str, Any]) -> None:
    assert derive_hmac_key(vector["secret"], vector["salt"]).hex() == vector["hmac_key_hex"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_signature_and_token(vector: dict[str, Any]) -> None:
    signer = Signer(vector["secret"], vector["salt"], vector["hashalg"], warn_short=False)
    payload = vector["payload_json"].encode()
    assert (signer.digest_size, signer.signature(payload).hex()) == (
        vector["digest_size"],
        vector["signature_hex"],
    )
    assert signer.sign(payload) == vector["cookie_value"]
    assert signer.unsign(vector["cookie_value"]) == (payload, 0)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_byte_for_byte(vector: dict[str, Any]) -> None:
    clock = FakeClock(vector["time_time_returned"])
    factory = _signed_factory(vector, clock)
    incoming = vector["incoming_cookie_value"]
    request = FakeRequest(None if incoming is None else f"{vector['cookie_name']}={incoming}")
    session = factory(request)

    decoded = vector["incoming_decoded"]
    if decoded is None:
        assert (session.new, dict(session)) == (True, {})
    else:
        assert (session.new, session.renewed, session.created, dict(session)) == (
            False,
            decoded["accessed"],
            decoded["created"],
            decoded["state"],
        )

    for key, value in vector["writes"]:
        session[key] = value
    assert (session.accessed, session.created, dict(session)) == (
        vector["accessed"],
        vector["created"],
        vector["state"],
    )

    if vector["factory_kwargs"].get("max_age") is not None:
        clock.now = WEBOB_UTCNOW_OF_VECTOR_5
    response = request.respond()
    assert response.headerlist == [("Set-Cookie", vector["set_cookie_header"])]
    assert cookie_value(response.headerlist[0][1]) == vector["cookie_value"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_issued_cookie_decodes_to_the_vector_state(vector: dict[str, Any]) -> None:
    clock = FakeClock(vector["time_time_returned"] + 5)
    factory = _signed_factory(vector, clock)
    session = factory(FakeRequest(f"{vector['cookie_name']}={vector['cookie_value']}"))
    assert (session.new, session.renewed, session.created, dict(session)) == (
        False,
        vector["accessed"],
        vector["created"],
        vector["state"],
    )


def test_vector_5_with_vary_keeps_the_same_set_cookie() -> None:
    vector = VECTORS[4]
    clock = FakeClock(vector["time_time_returned"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecretTooShortWarning)
        factory = SignedCookieSessionFactory(
            vector["secret"], hashalg=vector["hashalg"], clock=clock, **vector["factory_kwargs"]
        )
    request = FakeRequest()
    session = factory(request)
    for key, value in vector["writes"]:
        session[key] = value
    clock.now = WEBOB_UTCNOW_OF_VECTOR_5
    response = request.respond()
    assert response.headerlist == [("Vary", "Cookie"), ("Set-Cookie", vector["set_cookie_header"])]


# -- the signature, as a property --------------------------------------------------------------


def _token_of(signature: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(signature + payload).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("hashalg", ALGORITHMS)
@settings(max_examples=40, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=300),
    salt=st.binary(max_size=40),
    payload=st.binary(max_size=300),
)
def test_a_signature_is_the_standard_librarys_hmac_of_salt_and_secret(
    hashalg: str, secret: bytes, salt: bytes, payload: bytes
) -> None:
    expected = hmac.new(salt + secret, payload, hashalg).digest()
    signer = Signer(secret, salt, hashalg, warn_short=False)
    token = signer.sign(payload)
    assert (signer.signature(payload), token) == (expected, _token_of(expected, payload))
    assert signer.unsign(token) == (payload, 0)
    # Under a fallback secret, the same HMAC with that secret's key.
    rotating = Signer(b"another-" + secret, salt, hashalg, [secret], warn_short=False)
    assert (rotating.signature(payload, 1), rotating.unsign(token)) == (expected, (payload, 1))


@pytest.mark.parametrize("hashalg", ALGORITHMS)
def test_keys_around_the_block_size_sign_as_the_standard_library(hashalg: str) -> None:
    # Up to the block size an HMAC key is padded; past it, it is hashed first (RFC 2104).
    block = hashlib.new(hashalg).block_size
    salt = b"pyramid.session."
    payload = b'[1700000000, 1700000000.5, {"user": "alice"}]'
    sizes = [len(salt) + 1, block - 1, block, block + 1, 4 * block]
    secrets = [(bytes(range(256)) * 4)[: size - len(salt)] for size in sizes]
    signatures = [Signer(secret, salt, hashalg, warn_short=False).signature(payload) for secret in secrets]
    keys = [salt + secret for secret in secrets]
    assert [len(key) for key in keys] == sizes
    assert signatures == [hmac.new(key, payload, hashalg).digest() for key in keys]


@settings(max_examples=80, deadline=None)
@given(secret=st.text(min_size=1, max_size=80), salt=st.text(max_size=20), payload=st.binary(max_size=100))
def test_text_secrets_and_salts_are_latin_1_unless_one_cannot_be(
    secret: str, salt: str, payload: bytes
) -> None:
    # WebOb's rule: both as latin-1 when both can be, otherwise both as UTF-8.
    try:
        key = (salt + secret).encode("latin-1")
    except UnicodeEncodeError:
        key = (salt + secret).encode("utf-8")
    signer = Signer(secret, salt, "sha256", warn_short=False)
    assert signer.signature(payload) == hmac.new(key, payload, "sha256").digest()


# -- the encrypted format ----------------------------------------------------------------------


def _fixed_random(hex_bytes: str) -> Callable[[int], bytes]:
    data = bytes.fromhex(hex_bytes)

    def random(n: int) -> bytes:
        assert n == len(data)
        return data

    return random


def _vector_secret(vector: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(vector["secret_hex"]) if "secret_hex" in vector else str(vector["secret"])


def _writer_secret(vector: dict[str, Any]) -> str | bytes:
    # The secret that wrote the token: the fallback in the rotation vector.
    return str(vector["fallback_secrets"][0]) if vector["key_index"] else _vector_secret(vector)


def _encrypted_factory(vector: dict[str, Any]) -> SessionFactory:
    return EncryptedCookieSessionFactory(
        _vector_secret(vector),
        cookie_name=vector["cookie_name"],
        salt=vector["salt"],
        fallback_secrets=vector.get("fallback_secrets", ()),
        secure=True,  # __Host- names need it; it changes no byte of the token
        clock=lambda: vector["now"],
    )


def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 with the standard library alone (no salt: HashLen zero bytes)."""
    prk = hmac.new(bytes(32), ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def test_the_encryption_vectors_are_four_valid_and_three_invalid() -> None:
    assert ([v["key_index"] for v in VALID], len(INVALID)) == ([0, 0, 0, 1], 3)


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["description"])
def test_valid_encryption_vectors_open_to_their_state(vector: dict[str, Any]) -> None:
    factory = _encrypted_factory(vector)
    payload = vector["payload"].encode("utf-8")
    assert factory._codec.protector.unseal(vector["token"]) == (payload, vector["key_index"])
    session = factory.from_cookie_value(vector["token"])
    assert (session.new, stored_state(session)) == (False, vector["state"])


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["description"])
def test_valid_encryption_vectors_are_written_byte_for_byte(vector: dict[str, Any]) -> None:
    encryptor = Encryptor(
        _writer_secret(vector), vector["cookie_name"], vector["salt"], _random=_fixed_random(vector["random"])
    )
    assert encryptor.seal(vector["payload"].encode("utf-8")) == vector["token"]
    factory = make_session_factory(
        encryptor,
        JSONSerializer(),
        cookie_name=vector["cookie_name"],
        secure=True,
        clock=lambda: vector["now"],
    )
    assert mint(factory, vector["state"]) == vector["token"]


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["description"])
def test_encryption_vectors_follow_the_documented_format(vector: dict[str, Any]) -> None:
    token = vector["token"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == token
    version, salt, sealed = raw[0], raw[1:25], raw[25:]
    assert (version, salt.hex(), len(sealed)) == (1, vector["random"], len(vector["payload"].encode()) + 16)
    writer = _writer_secret(vector)
    ikm = writer if isinstance(writer, bytes) else writer.encode("utf-8")
    key = hkdf_sha256(ikm, LABEL + (vector["salt"] or "").encode("utf-8"))
    subkey = hmac.new(key, raw[:25], hashlib.sha256).digest()
    assert (key.hex(), subkey.hex()) == (vector["key"], vector["subkey"])
    payload = AESGCM(subkey).decrypt(bytes(12), sealed, vector["cookie_name"].encode("utf-8"))
    assert payload.decode("utf-8") == vector["payload"]


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v["description"])
def test_invalid_encryption_vectors_are_refused(vector: dict[str, Any]) -> None:
    factory = _encrypted_factory(vector)
    with pytest.raises(BadSignature) as caught:
        factory._codec.protector.unseal(vector["token"])
    assert str(caught.value) == "invalid encrypted session token"
    session = factory.from_cookie_value(vector["token"])
    assert (session.new, stored_state(session)) == (True, {})


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=200) | st.text(min_size=1, max_size=100),
    salt=st.none() | st.text(max_size=30) | st.binary(max_size=30),
    cookie_name=st.sampled_from(["session", "sid", "__Host-sid"]),
    payload=st.binary(max_size=200),
    random=st.binary(min_size=24, max_size=24),
)
def test_an_encrypted_cookie_is_sealed_under_the_documented_subkey(
    secret: str | bytes, salt: str | bytes | None, cookie_name: str, payload: bytes, random: bytes
) -> None:
    encryptor = Encryptor(secret, cookie_name, salt, warn_short=False, _random=lambda n: random)
    token = encryptor.seal(payload)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    ikm = secret if isinstance(secret, bytes) else secret.encode("utf-8")
    label = b"" if salt is None else salt if isinstance(salt, bytes) else salt.encode("utf-8")
    subkey = hmac.new(hkdf_sha256(ikm, LABEL + label), b"\x01" + random, hashlib.sha256).digest()
    sealed = AESGCM(subkey).encrypt(bytes(12), payload, cookie_name.encode("utf-8"))
    assert raw == b"\x01" + random + sealed
    rotating = Encryptor(b"another-secret", cookie_name, salt, [secret], warn_short=False)
    assert rotating.unseal(token) == (payload, 1)
