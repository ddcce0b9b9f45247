"""``python -m build`` makes a wheel and an sdist, without a warning; the wheel ships
``py.typed``, the license and its metadata, and installs into a fresh virtual environment
where ``import cookiesession`` and ``cookiesession --version`` work with nothing else.  The
version is written once (``cookiesession.__version__``)."""

from __future__ import annotations

import email
import importlib.metadata
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import cookiesession
from tests.conftest import require

ROOT = Path(__file__).parents[1]


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    return _run_both(*args, cwd=cwd)[0]


def _run_both(*args: str | Path, cwd: Path | None = None) -> tuple[str, str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert (result.returncode, result.stderr[-2000:]) == (0, result.stderr[-2000:])
    return result.stdout, result.stderr


def _warnings(build_output: str) -> list[str]:
    # setuptools frames its deprecation notices in "!!" lines and names them *Warning.
    return [line for line in build_output.splitlines() if "Warning" in line or line.strip() == "!!"]


def test_build_and_install_into_a_fresh_venv(tmp_path: Path) -> None:
    require(importlib.util.find_spec("build") is not None, "the 'build' package")
    # Build from a copy, so nothing (build/, *.egg-info) lands in the shared work tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    out, err = _run_both(sys.executable, "-m", "build", "--outdir", dist, source)
    assert _warnings(out + err) == []

    (wheel,) = dist.glob("cookiesession-*.whl")
    (sdist,) = dist.glob("cookiesession-*.tar.gz")
    wheel_files = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "cookiesession/__init__.py",
        "cookiesession/py.typed",
        "cookiesession/session.py",
        "cookiesession/django/__init__.py",
        "cookiesession/django/apps.py",
    } <= wheel_files
    assert [f for f in wheel_files if f.startswith("tests/")] == []
    with tarfile.open(sdist) as archive:
        sdist_files = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {
        "pyproject.toml",
        "LICENSE",
        "src/cookiesession/py.typed",
        "src/cookiesession/__init__.py",
    } <= sdist_files

    version = cookiesession.__version__
    assert f"cookiesession-{version}.dist-info/licenses/LICENSE" in wheel_files
    metadata = email.message_from_bytes(
        zipfile.ZipFile(wheel).read(f"cookiesession-{version}.dist-info/METADATA")
    )
    assert (metadata["Version"], metadata["License-Expression"], metadata.get_all("License-File")) == (
        version,
        "MIT",
        ["LICENSE"],
    )
    classifiers = metadata.get_all("Classifier") or []
    assert [c for c in classifiers if c.startswith("Programming Language :: Python :: 3.")] == [
        f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)
    ]
    assert [c for c in classifiers if c.startswith("Development Status ::")] != []
    # With an SPDX expression, the license is stated there, not by a classifier.
    assert [c for c in classifiers if c.startswith("License ::")] == []
    assert sorted(url.split(",")[0] for url in metadata.get_all("Project-URL") or []) == [
        "Changelog",
        "Documentation",
        "Homepage",
        "Source",
    ]
    # Test, docs, demo and fuzz tooling are dependency groups, never published extras.
    assert sorted(metadata.get_all("Provides-Extra") or []) == [
        "crypto",
        "django",
        "fast",
        "fast-base64",
        "nacl",
        "redis",
    ]

    env = tmp_path / "venv"
    venv.create(env, with_pip=False, clear=True)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # The test environment's pip installs into the new environment: no pip, no index there.
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    probe = (
        "import importlib.metadata, json, sys, cookiesession; "
        "print(json.dumps([cookiesession.__file__, cookiesession.__version__, "
        "sorted(d.metadata['Name'] for d in importlib.metadata.distributions()), "
        "sorted(m for m in ('pyramid', 'webob', 'flask', 'starlette', 'django') if m in sys.modules)]))"
    )
    out = _run(python, "-I", "-c", probe, cwd=tmp_path)
    module_file, version, installed, frameworks = json.loads(out)
    assert Path(module_file).is_relative_to(env) is True
    assert (version, installed, frameworks) == (cookiesession.__version__, ["cookiesession"], [])
    smoke = (
        "from cookiesession import SignedCookieSessionFactory as F; "
        "s = F('a-secret-long-enough-for-sha512-' * 2, clock=lambda: 1.5).from_cookie_value(None); "
        "s['a'] = 1; print(s.set_cookie_header())"
    )
    assert _run(python, "-I", "-c", smoke, cwd=tmp_path).startswith("session=")
    script = env / ("Scripts/cookiesession.exe" if sys.platform == "win32" else "bin/cookiesession")
    assert _run(script, "--version", cwd=tmp_path) == f"cookiesession {version}\n"


def test_the_version_is_written_once() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
    assert ('dynamic = ["version"]' in project, "\nversion =" in project) == (True, False)
    assert 'version = { attr = "cookiesession.__version__" }' in pyproject
    # The installed distribution (this environment's editable install) agrees.
    assert importlib.metadata.version("cookiesession") == cookiesession.__version__


def test_version_option_prints_the_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cookiesession", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"cookiesession {cookiesession.__version__}\n",
        "",
    )


def test_license_file_is_mit_by_the_cookiesession_authors() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["MIT License", "", text.splitlines()[2]]
    assert text.splitlines()[2].endswith("the cookiesession authors") is True
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
