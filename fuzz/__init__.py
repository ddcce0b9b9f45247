"""Coverage-guided fuzzing of everything that reads client input (``make fuzz``).

:mod:`fuzz.contracts` states what the library promises for arbitrary bytes; :mod:`fuzz.run`
drives those checks with atheris.  ``tests/test_fuzz_regressions.py`` replays the seed corpus and
every crash ever found (``fuzz/regressions/<target>/``) through the same checks in ``make test``.
"""
