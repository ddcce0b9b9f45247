"""Two peers timed against each other round by round, in several processes.

    .venv/bin/python benchmarks/paired.py             # ours/pyramid against the floor, medium LOAD
    .venv/bin/python benchmarks/paired.py --payload large --op ro --peer ours/asgi --reference starlette

A closer look at one comparison of ``run.py``'s table, for when the two are within
a few per cent.  One run of ``run.py`` moves a cell by about that much: the state
of the machine drifts between the moments two cells are timed, and each process
lays out its memory differently (hash seed, allocation order).  Here each process
prepares both cases, then times them in alternating order for ``--rounds`` rounds
(A then B, then B then A), each as ``op - null`` like ``run.py``, and keeps each
round's difference; the processes run one after another, each with its own hash
seed.  The report gives every process's medians and the median over processes.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402 - after the path set-up above (run.py adds src/ to the path)
from peers import OPS  # noqa: E402
from timing import loop, loops_for  # noqa: E402


def _child(
    peer_name: str, reference: str, payload: str, op: str, rounds: int, min_time: float
) -> dict[str, Any]:
    import peers as peers_mod

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    built = {p.name: p for p in peers_mod.build({peer_name, reference}, log)}
    pairs = []
    for name in (peer_name, reference):
        if name not in built:
            raise SystemExit(f"peer {name!r} is not available here")
        case = built[name].prepare(payload, run.PAYLOADS[payload])
        run.check(built[name], case, run.PAYLOADS[payload])  # both do what they claim
        pairs.append((case.ops[op], case.nulls[op]))
    time.sleep(1.1)  # Pyramid compares whole seconds: let the cookies age into a re-issue
    timer = time.process_time
    loops = []
    for fn, _ in pairs:
        loops.append(loops_for(fn, min_time, timer))
    times: list[list[float]] = [[], []]
    gc.collect()
    gc.freeze()  # the set-up's objects are not the requests' garbage
    for r in range(rounds):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            fn, null = pairs[i]
            n = loops[i]
            t = loop(fn, n, timer) / n
            if null is not None:
                t -= loop(null, n, timer) / n
            times[i].append(t * 1e6)
    return {"peer": times[0], "reference": times[1]}


def _quartiles(values: list[float]) -> tuple[float, float]:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", default="ours/pyramid")
    parser.add_argument("--reference", default="floor")
    parser.add_argument("--payload", default="medium", choices=sorted(run.PAYLOADS))
    parser.add_argument("--op", default="load", choices=OPS)
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--min-time", type=float, default=0.02, help="seconds per sample")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 2 or args.processes < 1:
        parser.error("--rounds must be at least 2 and --processes at least 1")

    if args.child:
        result = _child(args.peer, args.reference, args.payload, args.op, args.rounds, args.min_time)
        print(json.dumps(result))
        return 0

    title = f"{args.peer} against {args.reference}, {args.payload} {args.op.upper()}"
    print(f"# {title}: {args.processes} processes x {args.rounds} alternating rounds, µs net of the null")
    print(f"{'process':>7} {args.peer:>14} {args.reference:>14} {'difference [middle half]':>28} ratio")
    arguments = argv if argv is not None else sys.argv[1:]
    command = [sys.executable, os.path.abspath(__file__), "--child", *arguments]
    differences, ratios = [], []
    for index in range(1, args.processes + 1):
        env = dict(os.environ, PYTHONHASHSEED=str(index))
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            return done.returncode
        result = json.loads(done.stdout.splitlines()[-1])
        ours, theirs = result["peer"], result["reference"]
        per_round = [a - b for a, b in zip(ours, theirs, strict=True)]
        difference = statistics.median(per_round)
        low, high = _quartiles(per_round)
        ratio = statistics.median(ours) / statistics.median(theirs)
        differences.append(difference)
        ratios.append(ratio)
        print(
            f"{index:>7} {statistics.median(ours):14.2f} {statistics.median(theirs):14.2f} "
            f"{difference:+12.2f} [{low:+6.2f}, {high:+6.2f}] {ratio:6.3f}",
            flush=True,
        )
    print(
        f"median over processes: {args.peer} - {args.reference} = {statistics.median(differences):+.2f} µs"
        f" (processes {min(differences):+.2f} to {max(differences):+.2f}),"
        f" ratio {statistics.median(ratios):.3f} ({min(ratios):.3f} to {max(ratios):.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
