#!/usr/bin/env python3
"""Cold runs of several commands interleaved round by round (bench/peers uses it for aws-okta
and segmentio/aws-okta side by side).

    interleave.py SPEC.json OUT.json

SPEC: {"rounds": N, "variants": [{"name", "argv", "prepare" (argv or null), "env" (a whole
environment, or null for this process's)}]}. Every round runs each variant once (its prepare
first, untimed), in an order rotated by one each round, and times the command's wall clock
from spawn to exit (posix_spawn, output to /dev/null: the same small overhead for every
variant, /bin/true included, so differences within a round are the commands' own).
OUT: {"rounds": N, "median_ms": {name: ms}, "times_ms": {name: [ms per round]}}.
bench/run also uses it for the warm runs against /bin/true.

Why: on a shared VM the machine's speed drifts by tens of percent over minutes, so two tools
measured one after the other can differ by the drift alone. Runs a few hundred milliseconds
apart see the same machine, and a ratio taken per round cancels most of the drift.
"""
import json
import os
import statistics
import subprocess
import sys
import time


def timed(argv, env, devnull):
    """Wall-clock milliseconds of one run of argv, and its exit status."""
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, env if env is not None else os.environ,
                          file_actions=actions)
    _, status = os.waitpid(pid, 0)
    return (time.perf_counter() - start) * 1000, os.waitstatus_to_exitcode(status)


def main():
    spec = json.load(open(sys.argv[1]))
    variants = spec["variants"]
    rounds = int(spec["rounds"])
    times = {v["name"]: [] for v in variants}
    devnull = os.open(os.devnull, os.O_WRONLY)
    for r in range(rounds):
        shift = r % len(variants)
        for v in variants[shift:] + variants[:shift]:
            env = v.get("env")
            if v.get("prepare"):
                subprocess.run(v["prepare"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
            elapsed, code = timed(v["argv"], env, devnull)
            if code != 0:
                sys.exit(f"interleave: {v['name']} exited {code} in round {r + 1}")
            times[v["name"]].append(elapsed)
    json.dump({"rounds": rounds,
               "median_ms": {k: statistics.median(t) for k, t in times.items()},
               "times_ms": times}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
