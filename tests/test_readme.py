"""Every Python block of README.md runs as pasted, each quickstart driven by its framework's
own test client: sign in (which sets a value), read it back, sign out.

Each block runs in a subprocess of its own, as a module named ``app`` (Django's settings
are configured once per process, and each app reads ``SESSION_SECRET`` at import).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require
from tests.session_harness import SECRET

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)

# Each driver imports the block as `app`, signs alice in, reads the session back, signs
# her out and reads it again, over HTTPS (the cookie is Secure), and prints what it saw.
_PREAMBLE = "import json\nimport app\n"
# Pyramid's and the WSGI middleware's quickstarts are both WSGI apps: WebTest drives either.
_BY_WEBTEST = (
    _PREAMBLE
    + """
import webtest
client = webtest.TestApp(app.app, extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "localhost"})
signed_in = client.post("/sign-in?user=alice")
cookie = signed_in.headers["Set-Cookie"]
home = client.get("/").text
client.post("/sign-out")
print(json.dumps([cookie, home, client.get("/").text]))
"""
)
DRIVERS = {
    "pyramid": _BY_WEBTEST,
    "wsgi": _BY_WEBTEST,
    "flask": _PREAMBLE
    + """
client = app.app.test_client()
https = {"base_url": "https://localhost"}
cookie = client.post("/sign-in?user=alice", **https).headers["Set-Cookie"]
home = client.get("/", **https).text
client.post("/sign-out", **https)
print(json.dumps([cookie, home, client.get("/", **https).text]))
""",
    "starlette": _PREAMBLE
    + """
from fastapi.testclient import TestClient
client = TestClient(app.app, base_url="https://testserver")
cookie = client.post("/sign-in?user=alice").headers["set-cookie"]
home = client.get("/").text
client.post("/sign-out")
print(json.dumps([cookie, home, client.get("/").text]))
""",
    "django": _PREAMBLE
    + """
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # lets the test client's host, "testserver", in
client = Client()
cookie = client.post("/sign-in?user=alice", secure=True).cookies["sessionid"].OutputString()
home = client.get("/", secure=True).text
client.post("/sign-out", secure=True)
print(json.dumps([cookie, home, client.get("/", secure=True).text]))
""",
}

# The package each framework's block (or its driver) needs.
NEEDS = {
    "pyramid": "pyramid",
    "wsgi": "webtest",
    "flask": "flask",
    "starlette": "fastapi",
    "django": "django",
}


def framework_of(block: str) -> str:
    """Which quickstart a block is, by what it imports."""
    if "from pyramid" in block:
        return "pyramid"
    if "from flask" in block:
        return "flask"
    if "from fastapi" in block or "from starlette" in block:
        return "starlette"
    if "import django" in block:
        return "django"
    if "cookiesession.wsgi" in block:
        return "wsgi"
    return "unknown"


def test_every_python_block_is_a_quickstart_and_every_framework_has_one() -> None:
    assert sorted(framework_of(block) for block in BLOCKS) == sorted(DRIVERS)


# The documentation site's page for each framework starts with the same quickstart.
PAGES = {
    "pyramid": "pyramid.md",
    "flask": "flask.md",
    "starlette": "starlette.md",
    "wsgi": "wsgi.md",
    "django": "django.md",
}


@pytest.mark.parametrize("block", BLOCKS, ids=[framework_of(b) for b in BLOCKS])
def test_the_getting_started_page_shows_the_same_quickstart(block: str) -> None:
    page = ROOT / "docs" / "getting-started" / PAGES[framework_of(block)]
    assert f"```python\n{block}```" in page.read_text(encoding="utf-8")


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert len(targets) >= 10
    assert [target for target in targets if not (ROOT / target).is_file()] == []


def test_the_readme_stays_short() -> None:
    # A short start; everything else belongs on the documentation site.
    assert len(README.splitlines()) <= 215


@pytest.mark.parametrize("block", BLOCKS, ids=[framework_of(b) for b in BLOCKS])
def test_quickstart_runs_as_pasted(block: str, tmp_path: Path) -> None:
    framework = framework_of(block)
    require(importlib.util.find_spec(NEEDS[framework]) is not None, f"the {NEEDS[framework]!r} package")
    (tmp_path / "app.py").write_text(block, encoding="utf-8")
    env = {**os.environ, "SESSION_SECRET": SECRET, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", DRIVERS[framework]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # stderr is not asserted empty: a framework's own deprecation warnings land there.
    assert (result.returncode, result.stderr[-3000:]) == (0, result.stderr[-3000:])
    cookie, home, after_sign_out = json.loads(result.stdout.splitlines()[-1])
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower().replace(" ", "")
    assert ("alice" in home, "stranger" in home) == (True, False)
    assert ("alice" in after_sign_out, "stranger" in after_sign_out) == (False, True)


def test_the_keygen_command_the_readme_gives_prints_one_secret() -> None:
    assert 'export SESSION_SECRET="$(cookiesession keygen)"' in README
    result = subprocess.run(
        [sys.executable, "-m", "cookiesession", "keygen"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert (result.returncode, len(lines)) == (0, 1)
    assert len(lines[0]) >= 64
