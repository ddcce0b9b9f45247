"""``python -m build`` makes a wheel and an sdist; the wheel ships ``py.typed`` and installs
into a fresh virtual environment where ``import cookiesession`` works with nothing else."""

from __future__ import annotations

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
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert (result.returncode, result.stderr[-2000:]) == (0, result.stderr[-2000:])
    return result.stdout


def test_build_and_install_into_a_fresh_venv(tmp_path: Path) -> None:
    require(importlib.util.find_spec("build") is not None, "the 'build' package")
    # Build from a copy, so nothing (build/, *.egg-info) lands in the shared work tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--outdir", dist, source)

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
    assert {"pyproject.toml", "src/cookiesession/py.typed", "src/cookiesession/__init__.py"} <= sdist_files

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
