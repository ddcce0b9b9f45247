"""The cookiesession demo: ``make demo`` (or ``python -m demo``).

Pyramid, Starlette, Flask and Django apps, in one process, that share one
session cookie, one signed-in user, and the controls that change its key and
format live.  Not part of the installed library.
"""
