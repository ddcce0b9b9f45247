"""Run the fuzz targets for a bounded time: ``python -m fuzz.run [--seconds N] [TARGET ...]``.

Each target runs in its own process (libFuzzer exits the process when it stops), starting from
the committed seed corpus ``fuzz/corpus/<target>/`` plus what earlier runs grew in
``fuzz/artifacts/<target>/`` (ignored by git).  A crash, hang or memory blow-up is written to
``fuzz/regressions/<target>/``, where ``tests/test_fuzz_regressions.py`` replays it on every
``make test`` until it is fixed: commit the file with the fix.

Exit status: 0 when every target ran clean, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# libFuzzer's closing line: "Done 123456 runs in 60 second(s)".
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_COVERAGE = re.compile(r"#\d+\s+\w+\s+cov: (\d+) ft: (\d+)")


def _libfuzzer_args(target: str, seconds: int) -> list[str]:
    work = HERE / "artifacts" / target
    seeds = HERE / "corpus" / target
    crashes = HERE / "regressions" / target
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    return [
        str(work),  # new inputs go to the first directory: keep the committed seeds untouched
        str(seeds),
        f"-max_total_time={seconds}",
        f"-artifact_prefix={crashes}/",
        "-max_len=9000",  # room beyond the 4064-character token limit
        "-timeout=10",  # one input taking 10 s is a hang: written out like a crash
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]


def _child(target: str, args: list[str]) -> None:
    import atheris

    # Instrument only the library (and the checks), so coverage guides towards its branches.
    with atheris.instrument_imports(include=["cookiesession", "fuzz"]):
        from fuzz import contracts

    check = contracts.TARGETS[target]
    atheris.Setup([sys.argv[0], *args], check)
    atheris.Fuzz()


def _parent(targets: list[str], seconds: int) -> int:
    failed: list[str] = []
    for target in targets:
        print(f"== fuzz target {target}: {seconds} s", flush=True)
        cmd = [sys.executable, "-m", "fuzz.run", "--child", target, *_libfuzzer_args(target, seconds)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        done = _DONE.search(proc.stderr)
        coverage = _COVERAGE.findall(proc.stderr)
        runs = done.group(1) if done else "?"
        cov = f"cov {coverage[-1][0]} ft {coverage[-1][1]}" if coverage else "cov ?"
        if proc.returncode == 0 and done:
            print(f"   ok: {runs} executions, {cov}", flush=True)
        else:
            failed.append(target)
            print(proc.stderr[-6000:], file=sys.stderr)
            print(f"   FAILED (exit {proc.returncode}): see fuzz/regressions/{target}/", flush=True)
    if failed:
        print(f"fuzz: findings in {', '.join(failed)}", flush=True)
        return 1
    print("fuzz: no findings", flush=True)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--child":
        _child(argv[1], argv[2:])
        return 0  # not reached: libFuzzer exits the process
    sys.path.insert(0, str(ROOT))
    from fuzz.contracts import TARGETS

    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"default: all of {', '.join(TARGETS)}")
    parser.add_argument(
        "--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")), help="per target"
    )
    options = parser.parse_args(argv)
    unknown = sorted(set(options.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    return _parent(options.targets or list(TARGETS), options.seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
