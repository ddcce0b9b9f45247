"""Write the seed corpus ``fuzz/corpus/<target>/``: ``python -m fuzz.seeds``.

A handful of small valid and invalid inputs per target, so the fuzzer starts from the shapes
that matter (a real signed token, a real ``Cookie`` header) instead of rediscovering them.  The
files are committed; this script documents where they come from and re-creates them.
"""

from __future__ import annotations

import json
from pathlib import Path

from cookiesession.signing import Signer
from fuzz.contracts import FALLBACK_SECRET, NOW, SECRET, encrypted_factory

CORPUS = Path(__file__).resolve().parent / "corpus"


def _triple(state: object, accessed: object = NOW, created: object = NOW) -> bytes:
    return json.dumps([accessed, created, state]).encode("utf-8")


def _deeper_than_the_parser(depth: int = 1400) -> bytes:
    # A well-formed state nested deeper than json.loads follows under the default
    # recursion limit (and orjson's 1024 levels), still short enough for a cookie.
    return f'[{NOW}, {NOW}, {{"a": {"[" * depth}{"]" * depth}}}]'.encode()


def _pieces_seeds(signer: Signer) -> dict[str, str]:
    # A state in three pieces (values separated by NUL), and the same with one changed.
    token = signer.sign(_triple({"cart": [f"item {i}" for i in range(600)]}))
    third = len(token) // 3 + 1
    values = ["~3~" + token[:third], token[third : 2 * third], token[2 * third :]]
    return {
        "three-pieces": "\x00".join(values),
        "reordered": "\x00".join([values[0], values[2], values[1]]),
        "one-dropped": "\x00".join(values[:2]),
        "head-says-two": "\x00".join(["~2~" + values[0][3:], *values[1:]]),
        "head-only": "~4~",
    }


def seeds() -> dict[str, dict[str, bytes]]:
    signer = Signer(SECRET)
    old = Signer(FALLBACK_SECRET)
    valid = signer.sign(_triple({"user": "ada", "n": 1}))
    by_fallback = old.sign(_triple({"user": "bob"}))
    flipped = valid[:10] + ("A" if valid[10] != "A" else "B") + valid[11:]
    standard_alphabet = valid.replace("-", "+").replace("_", "/") + "=" * (-len(valid) % 4)
    corpus = {
        "signed_token": {
            "valid": valid,
            "valid-fallback": by_fallback,
            "one-char-changed": flipped,
            "standard-alphabet-padded": standard_alphabet,
            "too-long": "A" * 4068,
            "short": "abc",
            "non-ascii": "séssion",
        },
        "cookie_header": {
            "single": "\x00session=abc",
            "quoted-among-others": '\x00a=1; session="xyz"; b=2',
            "repeated": "\x00session=1, session=2",
            "suffix-name": "\x00xsession=1",
            "host-prefix": "\x02__Host-id=zz; $Version=1",
            "dotted": "\x03a.b=\t v ; c",
        },
        "session": {
            "valid-value": "\x00" + valid,
            "garbage-value": "\x00!!not a token!!",
            "signed-state": "\x01" + _triple({"cart": [1, 2, {"k": None}]}).decode(),
            "signed-list-state": "\x01" + _triple([1, 2]).decode(),
            "signed-future-times": "\x01" + _triple({}, NOW + 300, NOW + 300).decode(),
            "fallback-signed-state": "\x02" + _triple({"user": "bob"}).decode(),
            "header-with-valid-cookie": f"\x03junk=\xff; session={valid}; other=1",
            "header-with-forged-cookie": f"\x03session={flipped}",
            "signed-deeper-than-the-parser": "\x01" + _deeper_than_the_parser().decode(),
        },
    }
    corpus["pieces"] = _pieces_seeds(signer)
    out = {
        target: {name: text.encode("utf-8") for name, text in files.items()}
        for target, files in corpus.items()
    }
    out["cookie_header"]["not-utf8"] = b"\x00a=\xff\xfe; session=abc"
    encrypted = encrypted_factory()
    if encrypted is not None:
        protector = encrypted._codec.protector
        sealed = protector.seal(_triple({"user": "ada", "n": 1}))
        changed = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
        out["encrypted_token"] = {
            "valid": sealed.encode("ascii"),
            "one-char-changed": changed.encode("ascii"),
            "truncated": sealed[: len(sealed) // 2].encode("ascii"),
            "signed-not-encrypted": valid.encode("ascii"),
            "short": b"abc",
            "too-long": b"A" * 4068,
        }
    return out


def main() -> None:
    for target, files in seeds().items():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
        print(f"{directory}: {len(files)} seeds")


if __name__ == "__main__":
    main()
