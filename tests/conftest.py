"""Shared fixtures (the plain helpers they build on are in ``session_harness``).

`require()` is how a test that needs a real component (Pyramid, a browser, redis-server, ...)
says so: outside CI a missing component skips the test; under CI=true it fails it, so a green
CI run can never hide a component that was not installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory, _snapshots
from cookiesession.factory import SessionFactory
from tests.session_harness import SECRET, FakeClock

IN_CI = os.environ.get("CI") == "true"


def require(available: bool, what: str) -> None:
    """Skip (locally) or fail (under CI=true) unless ``available``."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but missing")
    pytest.skip(f"{what} is not available")


def require_executable(name: str) -> str:
    """The path of executable ``name``, or skip/fail as :func:`require` does."""
    path = shutil.which(name)
    require(path is not None, f"the executable {name!r}")
    assert path is not None
    return path


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at ``session_harness.NOW``, moved with ``clock.advance(seconds)``."""
    return FakeClock()


@pytest.fixture
def factory(clock: FakeClock) -> SessionFactory:
    """A signed factory with every default, keyed with ``SECRET``, on the fake clock."""
    return SignedCookieSessionFactory(SECRET, clock=clock)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item (``item.rep_call``), so a fixture can act on a
    failure after the test, e.g. the browser tests' screenshot."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def snapshots_taken(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The values sessions snapshot (to see changes inside them) while the test runs."""
    values: list[Any] = []
    snapshot = _snapshots.snapshot

    def counted(value: Any) -> bytes | None:
        values.append(value)
        return snapshot(value)

    monkeypatch.setattr(_snapshots, "snapshot", counted)
    return values
