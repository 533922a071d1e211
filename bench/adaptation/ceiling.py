"""How much of a benchmark's drop any policy could win back: its scripted expert under the shift.

The share of the drop recovered, (adapted - shifted) / (unshifted - shifted), assumes that the
unshifted success is still reachable under the shift. Where the shift takes force away (a gear
cut to 0.3 with actions already at their limits), it may not be. This runs the benchmark's
scripted expert (the controller its starting policy was cloned from, ``expert.py``) greedily on
the suite's evaluation tasks, unshifted and shifted, and under the shift with its actions scaled
by a gain g before the action limits clip them (g = 1/gear undoes a gear cut wherever the
actuator is not saturated). The best g under the shift is a reference for what a good controller
still does under the shift (not a bound: a policy may find another strategy than the expert's).

With ``--suite`` (a suite JSON of the benchmark, for its starting policy's greedy evaluation per
task) it also counts the tasks the start lost to the shift (solved unshifted, failed shifted) and
how many of those the expert still solves under the shift at its best gain: the part of the drop
that is there to win back, and how many fewer steps than the start the expert takes on the
tasks both solve under the shift (per gain and at each task's fastest gain), next to what the
suite's adapted arms saved against the start: the speed there is to win (issue 16's goal 4).

    python3 bench/adaptation/ceiling.py --benchmarks pointmaze-gear --eval-tasks 500 --out ceiling.json \
        --suite bench/adaptation/results/mixed-groups/seeds10-19/def-pointmaze-gear-10.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from benchmarks import BENCHMARKS, Benchmark  # noqa: E402
from suite import steps_on_shared_successes  # noqa: E402
from ttad.bridge import Transition  # noqa: E402
from ttad.bridge.gymnasium_env import flatten_observation  # noqa: E402

EVAL_SEED_BASE = 5_000_000  # the suite's evaluation tasks (suite.py)
GAINS = (1.0, 1.5, 2.0, 3.0, 5.0)


def expert_success(bench: Benchmark, seeds: Sequence[int], factors: Mapping[str, float], gain: float) -> Dict[str, Any]:
    """The expert's success rate and mean steps to success on ``seeds`` under ``factors``, its
    actions multiplied by ``gain`` and clipped to [-1, 1]."""
    env = bench.make_env()
    wins: list[int] = []
    per_task: list[bool] = []
    steps_per_task: list[int | None] = []
    for seed in seeds:
        bench.apply_dynamics(env, dict(factors))
        raw, _ = env.reset(seed=int(seed))
        obs = flatten_observation(env.observation_space, raw)
        solved = False
        steps: int | None = None
        for step in range(1, bench.max_steps + 1):
            action = np.clip(gain * np.asarray(bench.expert(obs), dtype=np.float64), -1.0, 1.0).astype(np.float32)
            raw, reward, terminated, truncated, info = env.step(action)
            obs = flatten_observation(env.observation_space, raw)
            if bench.success(Transition(env, obs, float(reward), bool(terminated), bool(truncated), dict(info), raw)):
                wins.append(step)
                solved = True
                steps = step
                break
            if terminated or truncated:
                break
        per_task.append(solved)
        steps_per_task.append(steps)
    env.close()
    return {"success": len(wins) / max(1, len(seeds)), "mean_steps_to_success": float(np.mean(wins)) if wins else None,
            "per_task": per_task, "steps_per_task": steps_per_task}


def fmt_saving(x: Any) -> str:
    """A relative saving as a signed percentage ('-' when there were no shared tasks)."""
    return "-" if x is None else f"{100 * x:+.1f}%"


def lost_to_the_shift(suite_json: str, name: str, expert_shifted: Sequence[bool]) -> Dict[str, int]:
    """From a suite run's starting-policy evaluation: the tasks it solved unshifted and failed
    shifted, and how many of those the expert solves under the shift."""
    with open(suite_json) as f:
        start = json.load(f)["benchmarks"][name]["runs"][0]["arms"]["start"]
    unshifted = [s is not None for s in start["eval_unshifted"]["steps_per_task"]]
    shifted = [s is not None for s in start["eval_shifted"]["steps_per_task"]]
    n = min(len(unshifted), len(expert_shifted))
    lost = [i for i in range(n) if unshifted[i] and not shifted[i]]
    gained = [i for i in range(n) if shifted[i] and not unshifted[i]]
    return {"tasks": n, "lost": len(lost), "gained": len(gained), "lost_expert_solves_shifted": sum(expert_shifted[i] for i in lost)}


def speed_reference(suite_json: str, name: str, shifted_by_gain: Mapping[float, Mapping[str, Any]]) -> Dict[str, Any]:
    """How much faster than the start the expert is under the shift, on the tasks both solve:
    per gain, and with each task's fastest gain (an optimistic reference for issue 16's goal of
    10% fewer steps). Also what the suite's adapted arms saved against the start on the tasks
    they share with it (``suite.steps_on_shared_successes`` over the run's seeds)."""
    with open(suite_json) as f:
        runs = json.load(f)["benchmarks"][name]["runs"]
    start = runs[0]["arms"]["start"]

    def saving(fast: Sequence[Any]) -> Optional[Dict[str, Any]]:
        return steps_on_shared_successes([{"arms": {"fast": {"eval_shifted": {"steps_per_task": list(fast)}}, "start": start}}],
                                         "fast", "start")

    by_gain = {str(g): saving(r["steps_per_task"]) for g, r in shifted_by_gain.items()}
    fastest = [min((s for s in steps if s is not None), default=None)
               for steps in zip(*(r["steps_per_task"] for r in shifted_by_gain.values()))]
    arms: Dict[str, Any] = {}
    for arm in ("ttad", "ttad-binary", "plain"):
        adapted = steps_on_shared_successes([{"arms": {arm: run["arms"][arm], "start": start}} for run in runs if arm in run["arms"]],
                                            arm, "start")
        if adapted and adapted["saving"] is not None:
            arms[arm] = adapted["saving"]
    return {"by_gain": by_gain, "fastest_gain_per_task": saving(fastest), "adapted_arms": arms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS), help="comma-separated names (default: all)")
    parser.add_argument("--eval-tasks", type=int, default=500, help="evaluation tasks (the suite's, default 500)")
    parser.add_argument("--out", help="JSON with every number")
    parser.add_argument("--suite", action="append", default=[],
                        help="a suite JSON of one of the benchmarks (repeatable): count the tasks its start lost to the shift")
    args = parser.parse_args()
    seeds = [EVAL_SEED_BASE + i for i in range(args.eval_tasks)]
    out: Dict[str, Any] = {}
    print(f"{'benchmark':22s} {'shift':28s} {'expert unshifted':>17s} {'shifted':>8s}  best gain under the shift")
    for name in args.benchmarks.split(","):
        bench = BENCHMARKS[name]
        if bench.expert is None:
            print(f"{name}: no expert")
            continue
        unshifted = expert_success(bench, seeds, {}, 1.0)
        shifted = {g: expert_success(bench, seeds, bench.shift, g) for g in GAINS}
        best = max(GAINS, key=lambda g: shifted[g]["success"])
        out[name] = {"shift": dict(bench.shift), "eval_tasks": len(seeds), "unshifted": unshifted,
                     "shifted_by_gain": {str(g): r for g, r in shifted.items()}, "best_gain": best}
        by_gain = ", ".join(f"{g:g}: {100 * r['success']:.1f}" for g, r in shifted.items())
        print(f"{name:22s} {json.dumps(bench.shift):28s} {100 * unshifted['success']:16.1f}% {100 * shifted[1.0]['success']:7.1f}%"
              f"  {100 * shifted[best]['success']:.1f}% at g = {best:g}  (by gain: {by_gain})", flush=True)
        for path in args.suite:
            with open(path) as f:
                if name not in json.load(f)["benchmarks"]:
                    continue
            lost = lost_to_the_shift(path, name, shifted[best]["per_task"])
            out[name]["lost_to_the_shift"] = lost
            print(f"{'':22s} the start lost {lost['lost']} of {lost['tasks']} tasks to the shift (gained {lost['gained']}); "
                  f"the expert solves {lost['lost_expert_solves_shifted']} of those under it "
                  f"({100 * lost['lost_expert_solves_shifted'] / max(1, lost['lost']):.0f}%)", flush=True)
            speed = speed_reference(path, name, shifted)
            out[name].setdefault("speed_against_the_start", {})[os.path.basename(path)] = speed
            gains = ", ".join(f"{g}: {fmt_saving(r and r['saving'])}" for g, r in speed["by_gain"].items())
            arms = ", ".join(f"{a} {fmt_saving(x)}" for a, x in speed["adapted_arms"].items())
            print(f"{'':22s} steps the expert saves against the start on tasks both solve: "
                  f"{fmt_saving(speed['fastest_gain_per_task'] and speed['fastest_gain_per_task']['saving'])} at each task's fastest gain (by gain: {gains}); "
                  f"the adapted arms saved {arms}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
