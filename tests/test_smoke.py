from __future__ import annotations

import subprocess
import sys


def test_package_imports_no_framework() -> None:
    # In a fresh interpreter: other tests import the frameworks into this one.
    code = (
        "import sys, cookiesession; "
        "print(sorted(m for m in ('pyramid', 'flask', 'starlette', 'webob', 'cryptography', 'redis') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
