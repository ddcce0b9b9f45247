from __future__ import annotations

import cookiesession


def test_package_imports_without_frameworks() -> None:
    import sys

    assert cookiesession.__version__ == "0.1.0"
    assert [m for m in ("pyramid", "flask", "starlette", "webob") if m in sys.modules] == []
