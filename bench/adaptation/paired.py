"""Paired comparison of two sets of suite runs on the same seeds: a candidate against a base.

Each ``suite.py --out`` JSON holds, per benchmark and seed, an arm's greedy success on the
shifted evaluation set and its training tasks. Run on the same machine, two runs of one seed
share their tasks exactly, so the difference per seed is a paired one. Per benchmark this prints
the mean difference in greedy success (points, with a 95% t-interval over seeds), the difference
in training success (the share of the run's training attempts that succeeded), the greedy steps
the candidate saves on the evaluation tasks both solved (``--base-arm ttad-binary`` against
``ttad``: issue 16's efficiency goal), and the seeds that ended below the benchmark's shifted start; then the pooled difference in share of the drop
recovered ((adapted - shifted) / (unshifted - shifted)) over every pair.

    python3 bench/adaptation/paired.py \\
        'bench/adaptation/results/progress-floor/seeds10-19/pf-*.json' \\
        'bench/adaptation/results/colored-noise/seeds10-19/pk1-*.json'

``--base-arm`` / ``--arm`` pick the arms (``ttad`` by default; ``plain`` for the reference).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import sys
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import steps_on_shared_successes, t_interval  # noqa: E402

Run = Dict[str, Any]


def load(pattern: str, arm: str) -> Dict[str, Dict[int, Tuple[Run, Dict[str, Any]]]]:
    """benchmark -> seed -> (the arm's run, the benchmark's summary), from every file matching ``pattern``."""
    out: Dict[str, Dict[int, Tuple[Run, Dict[str, Any]]]] = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            data = json.load(f)
        for name, bench in data["benchmarks"].items():
            for run in bench["runs"]:
                if arm in run["arms"]:
                    out.setdefault(name, {})[run["seed"]] = (run["arms"][arm], bench["summary"])
    return out


def training_success(run: Run) -> Optional[float]:
    """Successful training attempts over all of them (None when the arm trained on nothing)."""
    tasks = run.get("tasks") or []
    attempts = sum(len(t["steps"]) for t in tasks)
    return sum(t["successes"] for t in tasks) / attempts if attempts else None


def compare(base: Dict[str, Dict[int, Tuple[Run, Dict[str, Any]]]],
            cand: Dict[str, Dict[int, Tuple[Run, Dict[str, Any]]]]) -> Dict[str, Any]:
    """Per benchmark the paired differences, and the pooled share difference over every pair."""
    rows: Dict[str, Any] = {}
    pooled: List[float] = []
    for name in base:
        seeds = sorted(set(base[name]) & set(cand.get(name, {})))
        if not seeds:
            continue
        summary = base[name][seeds[0]][1]
        start, shifted = summary["start_unshifted"], summary["start_shifted"]
        b = [base[name][s][0]["eval_shifted"]["success"] for s in seeds]
        c = [cand[name][s][0]["eval_shifted"]["success"] for s in seeds]
        pooled += [(y - x) / (start - shifted) for x, y in zip(b, c)]
        trained = [(training_success(base[name][s][0]), training_success(cand[name][s][0])) for s in seeds]
        train_diff = [100 * (y - x) for x, y in trained if x is not None and y is not None]
        # Issue 16's goal 4: how many fewer greedy steps the candidate takes on the tasks both solve.
        steps = steps_on_shared_successes([{"arms": {"cand": cand[name][s][0], "base": base[name][s][0]}} for s in seeds],
                                          "cand", "base")
        rows[name] = {
            "seeds": len(seeds),
            "base": 100 * statistics.fmean(b), "cand": 100 * statistics.fmean(c),
            "diff": t_interval([100 * (y - x) for x, y in zip(b, c)]),
            "training_diff": t_interval(train_diff) if train_diff else None,
            "below_start": (sum(x < shifted for x in b), sum(y < shifted for y in c)),
            "steps_saved": 100 * steps["saving"] if steps and steps["saving"] is not None else None,
            "share": ((statistics.fmean(b) - shifted) / (start - shifted), (statistics.fmean(c) - shifted) / (start - shifted)),
        }
    return {"benchmarks": rows, "pooled_share": t_interval([100 * p for p in pooled]) if pooled else None, "pairs": len(pooled)}


def interval(c: Dict[str, Any]) -> str:
    """``+m (low..high)`` of a ``suite.t_interval`` (without bounds for one pair)."""
    if c["low"] is None:
        return f"{c['mean']:+.1f}"
    return f"{c['mean']:+.1f} ({c['low']:+.1f}..{c['high']:+.1f})"


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="glob of the base runs' JSON")
    parser.add_argument("cand", help="glob of the candidate runs' JSON")
    parser.add_argument("--base-arm", default="ttad")
    parser.add_argument("--arm", default="ttad")
    args = parser.parse_args(argv)
    result = compare(load(args.base, args.base_arm), load(args.cand, args.arm))
    for name, r in result["benchmarks"].items():
        line = (f"{name:22s} n={r['seeds']:2d}  greedy {r['base']:5.1f} -> {r['cand']:5.1f}  diff {interval(r['diff'])}"
                f"  share {100 * r['share'][0]:3.0f}% -> {100 * r['share'][1]:3.0f}%  below start {r['below_start'][0]} -> {r['below_start'][1]}")
        if r["steps_saved"] is not None:
            line += f"  steps saved {r['steps_saved']:.1f}%"
        if r["training_diff"]:
            line += f"  training success {interval(r['training_diff'])}"
        print(line)
    if result["pooled_share"]:
        print(f"pooled share of the drop: {interval(result['pooled_share'])} points over {result['pairs']} pairs")


if __name__ == "__main__":
    main()
