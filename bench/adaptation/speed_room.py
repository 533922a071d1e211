"""How much faster a group's fastest success is than its mean success: the speed signal the
efficiency reward has to work with (issue 16's goal 4).

The efficiency reward 1/(1 + steps/max_steps) can only rank the attempts it sees: a group whose
successes all take about the same number of steps gives it nothing to push on, whatever its
weight. This reads the training groups of suite runs (``suite.py --out`` JSON) and reports, per
benchmark, over the tasks with at least two successes among their attempts:

- ``room``: the mean of (mean success steps - fastest success steps) / mean success steps, the
  saving a policy would make by always acting like its group's fastest success;
- ``cv``: the mean coefficient of variation of the successes' steps.

    python3 bench/adaptation/speed_room.py bench/adaptation/results/mixed-groups/seeds10-19/def-*.json

A task's successes are taken from ``attempt_success`` when the run recorded it; older runs record
only the count, so there an attempt counts as a success when it ended before ``max_steps`` and
the task is used only when that count matches the recorded one.
"""
from __future__ import annotations

import argparse
import glob
import json
import statistics
from typing import Any, Dict, Iterable, List, Optional, Sequence


def success_steps(task: Dict[str, Any], max_steps: int) -> Optional[List[int]]:
    """The steps of ``task``'s successful attempts, or None when they cannot be told apart."""
    steps = task["steps"]
    if "attempt_success" in task:
        return [s for s, ok in zip(steps, task["attempt_success"]) if ok]
    guessed = [s for s in steps if s is not None and s < max_steps]
    return guessed if len(guessed) == task["successes"] else None


def group_room(steps: Sequence[int]) -> Optional[Dict[str, float]]:
    """``room`` and ``cv`` of one group's success steps (None below two successes)."""
    if len(steps) < 2:
        return None
    mean = statistics.fmean(steps)
    return {"room": (mean - min(steps)) / mean, "cv": statistics.pstdev(steps) / mean}


def benchmark_room(runs: Iterable[Dict[str, Any]], max_steps: int, arm: str = "ttad") -> Dict[str, Any]:
    """Room for speed over every training task of ``arm`` in ``runs`` (one benchmark's)."""
    rooms: List[Dict[str, float]] = []
    tasks = unknown = 0
    for run in runs:
        for task in run["arms"].get(arm, {}).get("tasks", []):
            tasks += 1
            steps = success_steps(task, max_steps)
            if steps is None:
                unknown += 1
                continue
            room = group_room(steps)
            if room is not None:
                rooms.append(room)
    return {"tasks": tasks, "unknown": unknown, "groups": len(rooms),
            "room": statistics.fmean(r["room"] for r in rooms) if rooms else None,
            "cv": statistics.fmean(r["cv"] for r in rooms) if rooms else None}


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="suite.py --out JSON files (globs are expanded)")
    parser.add_argument("--arm", default="ttad", help="the arm whose training groups to read (default ttad)")
    args = parser.parse_args(argv)
    by_benchmark: Dict[str, Dict[str, Any]] = {}
    for pattern in args.files:
        for path in sorted(glob.glob(pattern)) or [pattern]:
            with open(path) as f:
                result = json.load(f)
            for name, bench in result["benchmarks"].items():
                entry = by_benchmark.setdefault(name, {"max_steps": bench["max_steps"], "runs": {}})
                for run in bench["runs"]:
                    entry["runs"][run["seed"]] = run  # a seed in two files counts once
    print(f"{'benchmark':22} {'seeds':>5} {'tasks':>6} {'groups':>6} {'room':>6} {'cv':>6}")
    for name, entry in by_benchmark.items():
        r = benchmark_room(entry["runs"].values(), entry["max_steps"], args.arm)
        room = "-" if r["room"] is None else f"{100 * r['room']:.1f}%"
        cv = "-" if r["cv"] is None else f"{100 * r['cv']:.1f}%"
        print(f"{name:22} {len(entry['runs']):>5} {r['tasks']:>6} {r['groups']:>6} {room:>6} {cv:>6}"
              + (f"  ({r['unknown']} tasks' successes not recorded)" if r["unknown"] else ""))


if __name__ == "__main__":
    main()
