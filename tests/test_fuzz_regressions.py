"""Replay the fuzz seed corpus and every input the fuzzer ever failed on.

``make fuzz`` writes each crash, hang or out-of-memory input to ``fuzz/regressions/<target>/``;
this test runs those files (and the seeds in ``fuzz/corpus/<target>/``) through the very checks
the fuzz targets apply (:mod:`fuzz.contracts`), so a finding stays a failing test until fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fuzz.contracts import TARGETS

from cookiesession import _json
from cookiesession.factory import SessionFactory
from tests.conftest import require
from tests.session_harness import NOW, signed, stored_state

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
REQUIRED_TARGETS = {"signed_token", "cookie_header", "session"}


def _cases() -> list[Any]:
    cases = []
    for kind in ("corpus", "regressions"):
        root = FUZZ / kind
        if not root.is_dir():
            continue
        for target_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for path in sorted(target_dir.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    cases.append(
                        pytest.param(target_dir.name, path, id=f"{kind}/{target_dir.name}/{path.name}")
                    )
    return cases


CASES = _cases()


def test_every_target_has_inputs_to_replay() -> None:
    replayed = {target for target, _ in (case.values for case in CASES)}
    assert replayed & REQUIRED_TARGETS == REQUIRED_TARGETS


@pytest.mark.parametrize(("target", "path"), CASES)
def test_replay_keeps_the_contract(target: str, path: Path) -> None:
    if target == "encrypted_token":
        require(target in TARGETS, "cookiesession.encryption (the encrypted-token fuzz target)")
    check = TARGETS[target]
    # The check raises ContractViolation (or the library's unexpected exception) on a break.
    assert check(path.read_bytes()) is None


@pytest.mark.parametrize("depth", [1400, _json.MAX_DEPTH - 1])
def test_a_signed_state_loads_unless_nested_deeper_than_the_parser_follows(
    factory: SessionFactory, depth: int
) -> None:
    # 1400 levels: more than orjson's 1024 and, before Python 3.12, more than json.loads
    # follows under the default recursion limit, yet short enough for a cookie.
    # MAX_DEPTH - 1 levels in a value: as deep as a state we write, which always loads.
    nested = "[" * depth + "]" * depth
    payload = f'[{NOW}, {NOW}, {{"a": {nested}}}]'
    session = factory.from_cookie_value(signed(payload))  # never raises
    try:
        json.loads(payload)
    except RecursionError:
        expected_new = True  # this interpreter's parser cannot follow it: a fresh session
    else:
        expected_new = False
    assert depth > _json.MAX_DEPTH or expected_new is False
    assert (session.new, len(stored_state(session))) == (expected_new, 0 if expected_new else 1)
