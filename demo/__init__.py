"""The cookiesession demo: ``make demo`` (or ``python -m demo``).

A Pyramid app served by waitress, and a Starlette app served by uvicorn, that
share one signed session cookie.  Not part of the installed library.
"""
