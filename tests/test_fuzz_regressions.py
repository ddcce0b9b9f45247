"""Replay the fuzz seed corpus and every input the fuzzer ever failed on.

``make fuzz`` writes each crash, hang or out-of-memory input to ``fuzz/regressions/<target>/``;
this test runs those files (and the seeds in ``fuzz/corpus/<target>/``) through the very checks
the fuzz targets apply (:mod:`fuzz.contracts`), so a finding stays a failing test until fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fuzz.contracts import TARGETS

from tests.conftest import require

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
