"""A bounded load test against real servers on 127.0.0.1: ``make load`` / ``python -m loadtest``.

A counter app (:mod:`loadtest.apps`) runs under waitress (Pyramid, WSGI) and under uvicorn
(Starlette with :class:`cookiesession.asgi.SessionMiddleware`, ASGI), each in its own process
(:mod:`loadtest.serve`).  Concurrent clients (:mod:`loadtest.__main__`), each with its own cookie
jar, count up their own session; the run fails on any error, any wrong count, any response that
shows another client's session, or server memory that grows between the first and the last
thousand requests.
"""
