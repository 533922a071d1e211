"""Teaching a robot that has no policy (issue 17): a random policy, K demonstrations and a person
who takes over stalled attempts, on a Gymnasium env served through the Python SDK.

    TTAD_BINARY=.build/debug/ttad python3 bench/adaptation/teach.py --benchmark reacher-damping --seeds 5 --tasks 100

For each seed, from ttad's own fresh initialisation (no checkpoint imported; ``adaptation.init_seed``
= seed + 1), on the benchmark's env without its shift (nothing to recover: there is no policy):

- ``start``: the random policy, not adapted;
- ``offline-bc``: the plain alternative: behaviour cloning of the same K demonstration episodes
  into the same random network in PyTorch (cross-entropy on the bins for a binned head, mean
  squared error on the mean for a gaussian one; Adam 1e-3, ``--bc-epochs``, minibatches of 256);
- ``demos``: a real daemon, K demonstrations recorded through the controller's ``demonstrator``
  (one ``Client.demo`` of K episodes with seed ``9_000_000 + seed``, each episode its own task, the
  same episodes the offline arm clones), then ``--tasks`` tasks x 8 attempts with ttad's defaults; nobody takes over;
- ``takeovers``: the same, with the person taking over an attempt whose progress stalls for
  ``--stall`` steps, for ``--hold`` steps (person.py).

``--set learning.KEY=VALUE`` (repeatable) changes the ttad arms' robot-config, for screening.
The person is the benchmark's scripted expert (expert.py). Each arm's final policy acts greedily
(T = 0, no person) on ``--eval-tasks`` held-out tasks (seeds ``5_000_000 + i``). Prints, per arm,
greedy success (mean and 95% t-interval over seeds), success during the run, and the share of
steps the person drove, first and last ten tasks; writes ``--out`` JSON after every seed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from benchmarks import BENCHMARKS, Benchmark  # noqa: E402
from person import ScriptedPerson  # noqa: E402
from rollout import greedy_success  # noqa: E402
from suite import (TtadArm, evaluation_seeds, package_versions, parse_overrides, t_interval, training_seeds,  # noqa: E402
                   write_json)
from ttad import policy as ttad_policy  # noqa: E402
from ttad.bridge.gymnasium_env import flatten_observation  # noqa: E402
from ttad.policy_torch import TtadPolicy  # noqa: E402

ARMS = ("start", "offline-bc", "demos", "takeovers")
DEMO_SEED_BASE = 9_000_000


MASK64 = (1 << 64) - 1


def episode_seed(seed: int, k: int) -> int:
    """The task seed of episode ``k`` of a ``demo`` task with ``seed`` (ttad's
    ``TaskPlan.evaluationTaskSeed``, ported: a SplitMix64 mix of both, top bit set)."""
    z = (seed + 0x9E3779B97F4A7C15 * (k + 1)) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    return z | (1 << 63)


def demonstration_seeds(seed: int, count: int) -> List[int]:
    """The task seeds of seed ``seed``'s demonstrations, as the daemon runs one ``demo`` task of
    ``count`` episodes with seed ``9_000_000 + seed``: disjoint from training and evaluation."""
    return [episode_seed(DEMO_SEED_BASE + seed, k) for k in range(count)]


def expert_episodes(bench: Benchmark, seeds: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """(observations, actions) of the expert's clean episodes on ``seeds``, unshifted, each ending at
    success or ``max_steps`` as a demonstration attempt through the bridge does."""
    from ttad.bridge import Transition

    assert bench.expert is not None
    env = bench.make_env()
    observations, actions = [], []
    for s in seeds:
        bench.apply_dynamics(env, {})
        raw, info = env.reset(seed=int(s))
        obs = flatten_observation(env.observation_space, raw)
        for _ in range(bench.max_steps):
            a = np.asarray(bench.expert(obs), dtype=np.float32)
            observations.append(obs)
            actions.append(a)
            raw, reward, terminated, truncated, info = env.step(a)
            obs = flatten_observation(env.observation_space, raw)
            if bench.success(Transition(env, obs, float(reward), bool(terminated), bool(truncated), dict(info), raw)):
                break
            if terminated or truncated:
                break
    env.close()
    return np.asarray(observations, dtype=np.float32), np.asarray(actions, dtype=np.float32)


def offline_clone(policy: TtadPolicy, observations: np.ndarray, actions: np.ndarray, epochs: int, seed: int) -> TtadPolicy:
    """Behaviour cloning of (observations, actions) into ``policy`` in place (the plain alternative)."""
    torch.manual_seed(seed)
    arch = policy.architecture
    low = np.asarray(policy.action_low, dtype=np.float32)
    high = np.asarray(policy.action_high, dtype=np.float32)
    x = torch.from_numpy(observations)
    binned = arch["head"] == "binned"
    if binned:
        bins = int(arch["bins"])
        y = torch.from_numpy(np.rint((np.clip(actions, low, high) - low) / (high - low) * (bins - 1)).astype(np.int64))
    else:
        y = torch.from_numpy(np.clip(actions, low, high))
    parameters = [p for name, p in policy.named_parameters() if "log_std" not in name]
    opt = torch.optim.Adam(parameters, lr=1e-3)
    policy.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 256):
            idx = perm[i:i + 256]
            if binned:
                logits = policy.logits(x[idx])
                loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[idx].reshape(-1))
            else:
                loss = nn.functional.mse_loss(policy(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return policy.eval()


def run_ttad(bench: Benchmark, seed: int, tasks: int, demos: int, takeovers: bool, stall: int, hold: int,
             keep_start: Optional[str], overrides: Optional[Dict[str, Dict[str, Any]]] = None) -> Dict[str, Any]:
    """One ttad arm of one seed: demonstrations, then the tasks, with or without takeovers."""
    person = ScriptedPerson(bench, stall_steps=stall, hold_steps=hold, takeovers=takeovers)
    overrides = overrides or {}
    arm = TtadArm(bench, None, learning=overrides.get("learning"),
                  adaptation={**overrides.get("adaptation", {}), "init_seed": seed + 1}, make_env=person.wrap(bench.make_env),
                  intervene=person.intervene, demonstrator=person.demonstrate)
    try:
        if keep_start is not None:
            shutil.copyfile(arm.live_checkpoint(), keep_start)
        if demos > 0:
            task_id = arm.client.demo(bench.task, robot=bench.name, count=demos, seed=DEMO_SEED_BASE + seed)["task_id"]
            info = arm.client.wait_task(task_id, deadline=60 + 10 * demos)
            if info.get("state") != "done":
                raise RuntimeError(f"the demonstrations of seed {seed} ended {info.get('state')}: {info}")
        stored = arm.client.demos(robot=bench.name)["sets"]
        began = time.monotonic()
        log = [arm.task(s, {}) for s in training_seeds(seed, tasks)]
        elapsed = time.monotonic() - began
        adapted = ttad_policy.to_torch(arm.live_checkpoint())
    finally:
        arm.close()
    return {"tasks": log, "ms_per_task": 1000 * elapsed / max(1, tasks),
            "demonstration_sets": len(stored), "demonstration_steps": sum(int(s["steps"]) for s in stored),
            "policy": adapted}


def person_share(tasks: List[Dict[str, Any]], first: int, last: int) -> Optional[float]:
    """The share of the attempts' steps the person drove in tasks [first, last)."""
    chosen = tasks[first:last]
    steps = sum(sum(int(s or 0) for s in t["steps"]) for t in chosen)
    driven = sum(sum(t.get("intervened_steps", [])) for t in chosen)
    return driven / steps if steps else None


def run_seed(bench: Benchmark, seed: int, args: argparse.Namespace, eval_seeds: List[int]) -> Dict[str, Any]:
    """Every arm of one seed; their greedy evaluations."""
    result: Dict[str, Any] = {"seed": seed, "demonstration_seeds": demonstration_seeds(seed, args.demos), "arms": {}}
    scratch = tempfile.mkdtemp(prefix="ttad-teach-")
    start_file = os.path.join(scratch, "start.safetensors")
    try:
        for name in [a for a in args.arms if a in ("demos", "takeovers")]:
            run = run_ttad(bench, seed, args.tasks, args.demos, name == "takeovers", args.stall, args.hold,
                           keep_start=None if os.path.exists(start_file) else start_file, overrides=parse_overrides(args.set))
            policy = run.pop("policy")
            run["eval"] = greedy_success(policy, bench, eval_seeds, {})
            run["success_during_run"] = sum(t["successes"] for t in run["tasks"]) / (8 * max(1, len(run["tasks"])))
            run["person_share_first10"] = person_share(run["tasks"], 0, 10)
            run["person_share_last10"] = person_share(run["tasks"], len(run["tasks"]) - 10, len(run["tasks"]))
            result["arms"][name] = run
        if not os.path.exists(start_file):
            raise SystemExit("start and offline-bc need a ttad arm (demos or takeovers) to make the random start")
        if "start" in args.arms:
            result["arms"]["start"] = {"eval": greedy_success(ttad_policy.to_torch(start_file), bench, eval_seeds, {})}
        if "offline-bc" in args.arms:
            obs, act = expert_episodes(bench, demonstration_seeds(seed, args.demos))
            cloned = offline_clone(ttad_policy.to_torch(start_file), obs, act, args.bc_epochs, seed)
            result["arms"]["offline-bc"] = {"eval": greedy_success(cloned, bench, eval_seeds, {}), "steps": len(obs)}
        for arm in result["arms"].values():  # the per-task lists are the evaluation's bulk; the summary keeps its means
            arm["eval"].pop("per_task", None)
            arm["eval"].pop("steps_per_task", None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def summarise(runs: List[Dict[str, Any]], arms: Sequence[str]) -> Dict[str, Any]:
    """Per arm: greedy success (mean, 95% t-interval over seeds), success during the run, person's share."""
    out: Dict[str, Any] = {}
    for name in arms:
        chosen = [r["arms"][name] for r in runs if name in r["arms"]]
        if not chosen:
            continue
        summary: Dict[str, Any] = {"seeds": len(chosen), "greedy": t_interval([100 * a["eval"]["success"] for a in chosen]),
                                   "per_seed": [round(100 * a["eval"]["success"], 1) for a in chosen]}
        if "tasks" in chosen[0]:
            summary["success_during_run"] = float(np.mean([100 * a["success_during_run"] for a in chosen]))
            for key in ("person_share_first10", "person_share_last10"):
                values = [a[key] for a in chosen if a.get(key) is not None]
                summary[key] = 100 * float(np.mean(values)) if values else 0.0
            summary["ms_per_task"] = float(np.mean([a["ms_per_task"] for a in chosen]))
        out[name] = summary
    return out


def print_summary(bench: str, summary: Dict[str, Any]) -> None:
    """The table."""
    print(f"\n{bench}: greedy success after (no person), % over seeds")
    print(f"{'arm':<12} {'greedy':>20} {'per seed':<40} {'during run':>10} {'person 1-10':>11} {'last 10':>8}")
    for name, s in summary.items():
        g = s["greedy"]
        interval = f"{g['mean']:.1f} ({g['low']:.1f}..{g['high']:.1f})" if g.get("low") is not None else f"{g['mean']:.1f}"
        during = f"{s['success_during_run']:.1f}" if "success_during_run" in s else "-"
        first = f"{s['person_share_first10']:.1f}" if "person_share_first10" in s else "-"
        last = f"{s['person_share_last10']:.1f}" if "person_share_last10" in s else "-"
        print(f"{name:<12} {interval:>20} {str(s['per_seed']):<40} {during:>10} {first:>11} {last:>8}")


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default="reacher-damping", choices=sorted(BENCHMARKS))
    parser.add_argument("--seeds", type=int, default=5, help="seeds first-seed .. seeds-1")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--demos", type=int, default=20)
    parser.add_argument("--stall", type=int, default=10, help="steps without progress before the person takes over")
    parser.add_argument("--hold", type=int, default=10, help="steps the person drives once they take over")
    parser.add_argument("--eval-tasks", type=int, default=500)
    parser.add_argument("--bc-epochs", type=int, default=100)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a robot-config change for the ttad arms, e.g. learning.clone_steps=100 (repeatable)")
    parser.add_argument("--out", default="teach.json")
    args = parser.parse_args(argv)
    args.arms = [a for a in args.arms.split(",") if a]
    unknown = [a for a in args.arms if a not in ARMS]
    if unknown:
        parser.error(f"--arms: unknown {unknown}; expected some of {', '.join(ARMS)}")
    torch.set_num_threads(1)
    bench = BENCHMARKS[args.benchmark]
    eval_seeds = evaluation_seeds(args.eval_tasks)
    data: Dict[str, Any] = {"benchmark": bench.name, "config": {k: v for k, v in vars(args).items()},
                            "packages": package_versions(), "runs": []}
    for seed in range(args.first_seed, args.seeds):
        began = time.monotonic()
        data["runs"].append(run_seed(bench, seed, args, eval_seeds))
        data["summary"] = summarise(data["runs"], args.arms)
        write_json(args.out, data)
        print(f"seed {seed}: " + ", ".join(f"{k} {100 * v['eval']['success']:.1f}%" for k, v in data["runs"][-1]["arms"].items())
              + f" ({time.monotonic() - began:.0f} s)", flush=True)
    print_summary(bench.name, data["summary"])
    return data


if __name__ == "__main__":
    main()
