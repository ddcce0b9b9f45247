"""The test suite on every supported Python (``make test-all``, and CI).

``nox`` runs ``tests`` once per Python found (3.10 to 3.13), each in an environment of its
own with the library installed editable and the ``test`` dependency group, each writing its
coverage data to ``.coverage.<python>``; then ``coverage`` combines them and applies the
``fail_under`` of pyproject.toml to the combined figure, so that a branch only one Python
version takes (``_base64``'s strict decoder on 3.11 and later) is counted where it runs.
Browser tests run on one version only (``PRIMARY``, the one constraints.txt pins): they
test the demo in Chromium, not the Python version.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# constraints.txt is resolved for this one; the others take the newest versions that fit.
PRIMARY = "3.11"

nox.options.sessions = ["tests", "coverage"]
nox.options.error_on_missing_interpreters = "CI" in os.environ
nox.options.reuse_existing_virtualenvs = True


def _find_pyenv_versions() -> None:
    # pyenv's shims answer only for the versions selected; put every installed version's
    # own bin directory on PATH so that nox finds python3.10 ... python3.13.
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    found = [str(v / "bin") for v in sorted(versions.iterdir()) if (v / "bin" / "python3").exists()]
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_find_pyenv_versions()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite on one Python, with branch coverage kept for ``coverage``."""
    pyproject = nox.project.load_toml(ROOT / "pyproject.toml")
    constraints = ["-c", "constraints.txt"] if session.python == PRIMARY else []
    session.install(*constraints, "-e", ".", *nox.project.dependency_groups(pyproject, "test"))
    marks = [] if session.python == PRIMARY else ["-m", "not browser"]
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--cov",
        "--cov-report=",
        # The fail_under of pyproject.toml applies to the combined figure (see coverage).
        "--cov-fail-under=0",
        *marks,
        *session.posargs,
        env={"COVERAGE_FILE": str(ROOT / f".coverage.{session.python}")},
    )


@nox.session(python=False)
def coverage(session: nox.Session) -> None:
    """Combine the ``tests`` sessions' coverage and hold the combined figure to ``fail_under``."""
    data = sorted(str(p) for p in ROOT.glob(".coverage.*"))
    if not data:
        session.error("no coverage data: run the tests sessions first")
    # nox's own interpreter: the project's environment, which has coverage.  Not
    # ".coverage": `coverage report` would combine (and delete) its ".coverage.*" again.
    combined = {"COVERAGE_FILE": str(ROOT / ".coverage-combined")}
    session.run(sys.executable, "-m", "coverage", "combine", "--keep", *data, env=combined, external=True)
    session.run(sys.executable, "-m", "coverage", "report", env=combined, external=True)
