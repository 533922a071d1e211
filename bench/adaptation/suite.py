"""The adaptation suite's harness: ttad's learner against the plain PyTorch reference of the same
method, on benchmarks ttad was not tuned on (issue 16).

    python3 bench/adaptation/suite.py --benchmarks reacher-damping --seeds 2 --tasks 10 --eval-tasks 50

For each benchmark and seed: a training task sequence (task seeds ``100_000 * (seed + 1) + k``) and
a fixed held-out evaluation set (task seeds ``5_000_000 + i``, the same for every seed, never
trained on), and three arms from the same starting file on the same sequence:

- ``ttad``: a real daemon (``$TTAD_BINARY``), the env served by ``ttad.bridge`` with the shift,
  the start put on with ``Client.import_checkpoint``, each task submitted with its seed and
  ``attempts=8`` (ttad's defaults otherwise); the final live checkpoint read from the state directory;
- ``plain``: plain_grpo.py on the same env, shift, tasks and start;
- ``start``: no adaptation.

Each arm's final policy is evaluated greedily (T = 0) in PyTorch (``ttad.policy.to_torch``) on the
evaluation set under the shift; the start also without it. Prints a table and writes ``--out`` JSON.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "python"))

import ttad  # noqa: E402
from benchmarks import BENCHMARKS, Benchmark  # noqa: E402
from plain_grpo import PlainConfig, PlainGRPO  # noqa: E402
from rollout import greedy_success  # noqa: E402
from ttad import policy as ttad_policy  # noqa: E402
from ttad.bridge import GymnasiumController, robot_config  # noqa: E402
from ttad.bridge.gymnasium_env import Demonstrator, Intervene  # noqa: E402

EVAL_SEED_BASE = 5_000_000
ATTEMPTS = 8
TTAD_ARMS: Dict[str, Dict[str, Dict[str, Any]]] = {
    "ttad": {},  # ttad's defaults
    "ttad-binary": {"adaptation": {"reward": "binary"}},  # the same with 1/0 reward: what efficiency buys
}
"""The ttad arms: robot-config changes from ttad's defaults (``--ttad-set`` applies to every one)."""


def training_seeds(seed: int, tasks: int) -> List[int]:
    """The task seeds of run ``seed``: ``100_000 * (seed + 1) + k``, below the evaluation range."""
    if tasks > 100_000:
        raise ValueError(f"--tasks {tasks}: at most 100000 tasks a seed")
    return [100_000 * (seed + 1) + k for k in range(tasks)]


def evaluation_seeds(count: int) -> List[int]:
    """The fixed held-out evaluation set: ``5_000_000 + i``."""
    return [EVAL_SEED_BASE + i for i in range(count)]


def package_versions() -> Dict[str, Optional[str]]:
    """The versions of the Python packages a run's numbers depend on (the simulators' and the
    learners'): two machines with other versions step the same seed differently, so exact pairs
    need both arms run under the same ones."""
    from importlib import metadata

    versions: Dict[str, Optional[str]] = {"python": sys.version.split()[0]}
    for name in ("mujoco", "gymnasium", "gymnasium-robotics", "numpy", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def ttad_binary() -> str:
    """``$TTAD_BINARY``, else the checkout's debug build."""
    path = os.environ.get("TTAD_BINARY") or os.path.join(REPO, ".build", "debug", "ttad")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise SystemExit(f"no ttad binary at {path}: build it (swift build --product ttad) or set TTAD_BINARY")
    return path


class TtadArm:
    """A real daemon adapting the benchmark's robot, served by ``ttad.bridge`` on a thread."""

    def __init__(self, bench: Benchmark, start: Optional[str], deadline: float = 60.0,
                 learning: Optional[Dict[str, Any]] = None, adaptation: Optional[Dict[str, Any]] = None,
                 make_env: Optional[Callable[[], Any]] = None, intervene: Optional[Intervene] = None,
                 demonstrator: Optional[Demonstrator] = None) -> None:
        """``start`` None: no import, ttad initialises the policy itself (``adaptation.init_seed``).
        ``make_env`` (default the benchmark's), ``intervene`` and ``demonstrator``: a person at the
        robot, as ``serve_gymnasium`` takes them (teach.py)."""
        self.bench = bench
        self.directory = tempfile.mkdtemp(prefix="ttad-suite-", dir="/tmp")
        endpoint = f"ipc://{self.directory}/robot.sock"
        self.controller = GymnasiumController(make_env or bench.make_env, success=bench.success, progress=bench.progress,
                                              apply_dynamics=bench.apply_dynamics, intervene=intervene,
                                              demonstrator=demonstrator)
        robots = os.path.join(self.directory, "robots")
        os.makedirs(robots)
        robot_config(self.controller.env, endpoint=endpoint, tasks={bench.task: {}},
                     dynamics={k: tuple(v) for k, v in bench.dynamics_range.items()}, max_steps=bench.max_steps,
                     policy=dict(bench.policy), safety={"joint_velocity_limit": 200},
                     learning=learning or None, adaptation=adaptation or None,
                     path=os.path.join(robots, f"{bench.name}.yaml"))
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._serve, args=(endpoint,), name="suite-controller", daemon=True)
        self.thread.start()
        if not self.controller.ready.wait(deadline):
            raise RuntimeError(f"the controller did not bind {endpoint} within {deadline} s: {self.error}")
        self.endpoint = f"ipc://{self.directory}/ttad.sock"
        self.state = os.path.join(self.directory, "state")
        config = os.path.join(self.directory, "ttad.yaml")
        with open(config, "w") as f:
            f.write(f"request_endpoint: {self.endpoint}\nevent_endpoint: ipc://{self.directory}/events.sock\n"
                    f"state_directory: {self.state}\nrobot_config_directory: {robots}\ndefault_robot: {bench.name}\n")
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        self.log_path = os.path.join(self.directory, "stderr.log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([ttad_binary(), "--config", config], stdout=subprocess.DEVNULL,
                                        stderr=self._log, env=env)
        self.client = ttad.Client(self.endpoint, timeout=30)
        self._wait_until_serving(deadline)
        self.imported: Optional[str] = None
        if start is not None:
            self.imported = self.client.import_checkpoint(bench.name, start, by="adaptation-suite")["checkpoint"]

    def _serve(self, endpoint: str) -> None:
        try:
            self.controller.serve(endpoint)
        except BaseException as error:  # noqa: BLE001 - reported by the constructor or close()
            self.error = error
            self.controller.ready.set()

    def _wait_until_serving(self, deadline: float) -> None:
        end = time.monotonic() + deadline
        with ttad.Client(self.endpoint, timeout=0.3) as probe:
            while time.monotonic() < end:
                if self.process.poll() is not None:
                    raise RuntimeError(f"ttad exited with {self.process.returncode}:\n{self._read_log()}")
                try:
                    probe.ping()
                    return
                except ttad.NoAnswer:
                    time.sleep(0.05)
        raise RuntimeError(f"ttad did not answer within {deadline} s:\n{self._read_log()}")

    def _read_log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def task(self, task_seed: int, factors: Dict[str, float], deadline: float = 600.0) -> Dict[str, Any]:
        """Submits one task with its seed and the shift, waits for it; its outcome."""
        task_id = self.client.submit(self.bench.task, robot=self.bench.name, attempts=ATTEMPTS, seed=task_seed,
                                     dynamics=dict(factors))["task_id"]
        info = self.client.wait_task(task_id, deadline=deadline)
        if info.get("state") != "done":
            raise RuntimeError(f"task {task_id} (seed {task_seed}) ended {info.get('state')}: {info}")
        attempts = info.get("attempts", [])
        keep = ("accepted", "refusal", "policy_loss", "approx_kl", "clip_fraction", "epochs", "early_stopped", "kl_retries", "seconds",
                "intervention_samples", "demonstration_samples")
        record = {"seed": task_seed, "successes": sum(bool(a.get("success")) for a in attempts),
                  "steps": [a.get("steps") for a in attempts],
                  "attempt_success": [bool(a.get("success")) for a in attempts],
                  "updates": [{k: u.get(k) for k in keep if k in u} for u in info.get("updates") or []],
                  "checkpoint_events": [{k: e.get(k) for k in ("kind", "checkpoint", "reason") if k in e}
                                        for e in info.get("checkpoint_events") or []]}
        if any(a.get("intervened_steps") for a in attempts):
            record["intervened_steps"] = [a.get("intervened_steps") or 0 for a in attempts]
        return record

    def live_checkpoint(self) -> str:
        """The path of the robot's live checkpoint in the state directory."""
        info = self.client.checkpoints()
        live = info.get("live")
        if isinstance(live, dict):
            live = live.get(self.bench.name) or live.get("id")
        if not isinstance(live, str):
            raise RuntimeError(f"checkpoints: no live checkpoint id for {self.bench.name}: {info}")
        path = os.path.join(self.state, "checkpoints", self.bench.name, f"{live}.safetensors")
        if not os.path.isfile(path):
            raise RuntimeError(f"live checkpoint {live} not at {path}")
        return path

    def close(self) -> None:
        """Stops the daemon (SIGTERM, then kill after 10 s) and the controller; removes the folder."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        self.controller.shutdown()
        self.thread.join(10)
        shutil.rmtree(self.directory, ignore_errors=True)


_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
         25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t_quantile_975(df: int) -> float:
    """Student's t 97.5% quantile (scipy's when installed, else a table, conservative between rows)."""
    try:
        from scipy import stats  # type: ignore[import-untyped]
        return float(stats.t.ppf(0.975, df))
    except ImportError:
        rows = [k for k in sorted(_T975) if k <= df]
        return _T975[rows[-1]] if rows else _T975[1]


def t_interval(diffs: Sequence[float]) -> Dict[str, Any]:
    """Mean and 95% t-interval of paired differences over seeds (None bounds with one seed)."""
    d = np.asarray(diffs, dtype=np.float64)
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return {"mean": mean, "low": None, "high": None, "n": n}
    half = float(t_quantile_975(n - 1) * d.std(ddof=1) / math.sqrt(n))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def evaluate_start(bench: Benchmark, start: str, eval_seeds: List[int]) -> Dict[str, Any]:
    """The start's greedy evaluation, shifted and unshifted (deterministic: the same for every seed)."""
    start_policy = ttad_policy.to_torch(start)
    return {"training_seeds": [], "eval_shifted": greedy_success(start_policy, bench, eval_seeds, dict(bench.shift)),
            "eval_unshifted": greedy_success(start_policy, bench, eval_seeds, {})}


def run_seed(bench: Benchmark, seed: int, tasks: int, eval_seeds: List[int], start: str, arms: Sequence[str],
             start_result: Dict[str, Any], overrides: Optional[Dict[str, Dict[str, Any]]] = None) -> Dict[str, Any]:
    """Every arm of one seed on the same task sequence and start; their greedy evaluations."""
    shift = dict(bench.shift)
    seeds = training_seeds(seed, tasks)
    result: Dict[str, Any] = {"seed": seed, "training_seeds": seeds, "arms": {}}
    result["arms"]["start"] = {k: dict(v) if isinstance(v, dict) else v for k, v in start_result.items()}
    if "plain" in arms:
        torch.manual_seed(seed)
        policy = ttad_policy.to_torch(start)
        learner = PlainGRPO(policy, bench, PlainConfig(), seed=seed)
        began = time.monotonic()
        log = [learner.task(s, shift) for s in seeds]
        elapsed = time.monotonic() - began
        learner.close()
        result["arms"]["plain"] = {"training_seeds": [t["seed"] for t in log], "tasks": log, "updates": learner.updates,
                                   "ms_per_task": 1000 * elapsed / max(1, len(seeds)),
                                   "eval_shifted": greedy_success(policy.eval(), bench, eval_seeds, shift)}
    for name in [a for a in arms if a in TTAD_ARMS]:
        arm_overrides = {section: {**(overrides or {}).get(section, {}), **TTAD_ARMS[name].get(section, {})}
                         for section in ("learning", "adaptation")}
        arm = TtadArm(bench, start, **arm_overrides)
        try:
            began = time.monotonic()
            log = [arm.task(s, shift) for s in seeds]
            elapsed = time.monotonic() - began
            final = arm.live_checkpoint()
            imported = arm.imported
            adapted = ttad_policy.to_torch(final)
        finally:
            arm.close()
        result["arms"][name] = {"training_seeds": [t["seed"] for t in log], "tasks": log,
                                  "imported_checkpoint": imported, "final_checkpoint": os.path.basename(final),
                                  "ms_per_task": 1000 * elapsed / max(1, len(seeds)),
                                  "eval_shifted": greedy_success(adapted, bench, eval_seeds, shift)}
    for arm_result in result["arms"].values():
        for key in ("eval_shifted", "eval_unshifted"):
            if key in arm_result:
                arm_result[key].pop("per_task", None)
    return result


def steps_on_shared_successes(runs: List[Dict[str, Any]], arm: str, other: str) -> Optional[Dict[str, Any]]:
    """Mean greedy steps to success of ``arm`` and ``other`` on the evaluation tasks both solve
    (per seed, then averaged over seeds), and ``arm``'s relative saving: (other - arm) / other."""
    pairs = []
    for r in runs:
        a = r["arms"].get(arm, {}).get("eval_shifted", {}).get("steps_per_task")
        b = r["arms"].get(other, {}).get("eval_shifted", {}).get("steps_per_task")
        if not a or not b:
            return None
        both = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
        if both:
            pairs.append((float(np.mean([x for x, _ in both])), float(np.mean([y for _, y in both])), len(both)))
    if not pairs:
        return None
    mine, theirs = float(np.mean([p[0] for p in pairs])), float(np.mean([p[1] for p in pairs]))
    return {"steps": mine, "other_steps": theirs, "saving": (theirs - mine) / theirs if theirs else None,
            "shared_tasks": float(np.mean([p[2] for p in pairs]))}


def update_ms_per_task(runs: List[Dict[str, Any]], arm: str) -> Optional[float]:
    """Wall time of the arm's updates per training task (ms; the rest of ``ms_per_task`` is its
    attempts), mean over seeds; None when the runs predate the timing."""
    per_run = []
    for r in runs:
        tasks = r["arms"][arm]["tasks"]
        if arm == "plain":
            times = [t.get("update_seconds") for t in tasks]
        else:
            times = [u.get("seconds") for t in tasks for u in t["updates"]]
        if not tasks or any(x is None for x in times):
            return None
        per_run.append(1000 * sum(times) / len(tasks))
    return float(np.mean(per_run)) if per_run else None


def summarise(bench: Benchmark, runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Per-benchmark means, share of the drop recovered, seeds below start, paired CIs."""
    def succ(run: Dict[str, Any], arm: str, key: str = "eval_shifted") -> float:
        return float(run["arms"][arm][key]["success"])

    unshifted = float(np.mean([succ(r, "start", "eval_unshifted") for r in runs]))
    shifted = float(np.mean([succ(r, "start") for r in runs]))
    summary: Dict[str, Any] = {"benchmark": bench.name, "start_unshifted": unshifted, "start_shifted": shifted,
                               "drop": unshifted - shifted, "arms": {}}
    for arm in ("plain", *TTAD_ARMS):
        if not all(arm in r["arms"] for r in runs):
            continue
        values = [succ(r, arm) for r in runs]
        mean = float(np.mean(values))
        steps = [r["arms"][arm]["eval_shifted"]["mean_steps_to_success"] for r in runs]
        steps = [s for s in steps if s is not None]
        summary["arms"][arm] = {
            "success": mean,
            "recovered": (mean - shifted) / (unshifted - shifted) if unshifted > shifted else None,
            "seeds_below_start": sum(v < succ(r, "start") for v, r in zip(values, runs)),
            "mean_steps_to_success": float(np.mean(steps)) if steps else None,
            "ms_per_task": float(np.mean([r["arms"][arm]["ms_per_task"] for r in runs])),
            "update_ms_per_task": update_ms_per_task(runs, arm),
            "minus_start": t_interval([v - succ(r, "start") for v, r in zip(values, runs)]),
        }
    if "plain" in summary["arms"] and "ttad" in summary["arms"]:
        summary["ttad_minus_plain"] = t_interval([succ(r, "ttad") - succ(r, "plain") for r in runs])
    if "ttad-binary" in summary["arms"] and "ttad" in summary["arms"]:
        summary["ttad_minus_binary"] = t_interval([succ(r, "ttad") - succ(r, "ttad-binary") for r in runs])
        summary["efficiency_vs_binary_steps"] = steps_on_shared_successes(runs, "ttad", "ttad-binary")
    return summary


def fmt(x: Optional[float], pct: bool = True) -> str:
    """A share as a percentage (or a plain number); '-' for None."""
    if x is None:
        return "-"
    return f"{100 * x:.1f}" if pct else f"{x:.1f}"


def ci(c: Dict[str, Any]) -> str:
    """'mean [low, high]' in points."""
    if c["low"] is None:
        return f"{100 * c['mean']:+.1f} [n={c['n']}]"
    return f"{100 * c['mean']:+.1f} [{100 * c['low']:+.1f}, {100 * c['high']:+.1f}]"


def print_table(summaries: List[Dict[str, Any]]) -> None:
    """The per-benchmark table."""
    for s in summaries:
        print(f"\n{s['benchmark']}: start unshifted {fmt(s['start_unshifted'])}%, start shifted {fmt(s['start_shifted'])}%"
              f" (drop {fmt(s['drop'])} points)")
        print(f"  {'arm':11} {'success %':>9} {'recovered %':>11} {'seeds<start':>11} {'steps':>6} {'ms/task':>8} "
              f"{'of it update':>12}  vs start (95% CI)")
        for arm, a in s["arms"].items():
            update = a.get("update_ms_per_task")
            print(f"  {arm:11} {fmt(a['success']):>9} {fmt(a['recovered']):>11} {a['seeds_below_start']:>11} "
                  f"{fmt(a['mean_steps_to_success'], False):>6} {a['ms_per_task']:>8.0f} "
                  f"{'-' if update is None else f'{update:.1f}':>12}  {ci(a['minus_start'])}")
        if "ttad_minus_plain" in s:
            print(f"  ttad - plain (paired, 95% CI): {ci(s['ttad_minus_plain'])} points")
        if "ttad_minus_binary" in s:
            e = s.get("efficiency_vs_binary_steps") or {}
            saving = f"{100 * e['saving']:.1f}% fewer steps ({e['steps']:.1f} vs {e['other_steps']:.1f}) on the " \
                     f"{e['shared_tasks']:.0f} evaluation tasks both solve" if e.get("saving") is not None else "no shared successes"
            print(f"  efficiency (ttad) - binary reward (ttad-binary), paired: {ci(s['ttad_minus_binary'])} points; {saving}")


def parse_overrides(items: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """``["learning.target_kl=null", ...]`` -> ``{"learning": {"target_kl": None}, ...}`` (values are YAML)."""
    out: Dict[str, Dict[str, Any]] = {"learning": {}, "adaptation": {}}
    if items:
        import yaml  # PyYAML, only for screening runs
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in out or not name:
            raise SystemExit(f"--ttad-set {item!r}: expected learning.KEY=VALUE or adaptation.KEY=VALUE")
        out[section][name] = yaml.safe_load(value)
    return out


def suite_summary(summaries: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The issue's goals over the suite: median share of the drop recovered per arm, median
    ttad - plain, benchmarks where ttad falls below plain beyond the paired 95% CI, seeds below
    start, and the median step saving of the efficiency reward over binary."""
    out: Dict[str, Any] = {"benchmarks": [s["benchmark"] for s in summaries], "arms": {}}
    for arm in ("plain", *TTAD_ARMS):
        rows = [s["arms"][arm] for s in summaries if arm in s["arms"]]
        if not rows:
            continue
        recovered = [r["recovered"] for r in rows if r["recovered"] is not None]
        out["arms"][arm] = {"median_recovered": float(np.median(recovered)) if recovered else None,
                            "median_success": float(np.median([r["success"] for r in rows])),
                            "seeds_below_start": int(sum(r["seeds_below_start"] for r in rows))}
    diffs = [s["ttad_minus_plain"] for s in summaries if "ttad_minus_plain" in s]
    if diffs:
        out["median_ttad_minus_plain"] = float(np.median([d["mean"] for d in diffs]))
        out["benchmarks_ttad_below_plain"] = [s["benchmark"] for s in summaries
                                              if "ttad_minus_plain" in s and s["ttad_minus_plain"]["high"] is not None
                                              and s["ttad_minus_plain"]["high"] < 0]
    savings = [s["efficiency_vs_binary_steps"]["saving"] for s in summaries
               if (s.get("efficiency_vs_binary_steps") or {}).get("saving") is not None]
    if savings:
        out["median_efficiency_step_saving"] = float(np.median(savings))
        out["median_efficiency_minus_binary"] = float(np.median([s["ttad_minus_binary"]["mean"] for s in summaries
                                                                 if "ttad_minus_binary" in s]))
    return out


def print_suite_summary(total: Dict[str, Any]) -> None:
    """The suite-level lines under the per-benchmark tables."""
    print(f"\nsuite ({len(total['benchmarks'])} benchmarks: {', '.join(total['benchmarks'])}):")
    for arm, a in total["arms"].items():
        print(f"  {arm:11} median success {fmt(a['median_success'])}%, median share of the drop recovered "
              f"{fmt(a['median_recovered'])}%, seeds below start {a['seeds_below_start']}")
    if "median_ttad_minus_plain" in total:
        below = ", ".join(total["benchmarks_ttad_below_plain"]) or "none"
        print(f"  ttad - plain: median {100 * total['median_ttad_minus_plain']:+.1f} points; below plain beyond the CI: {below}")
    if "median_efficiency_step_saving" in total:
        print(f"  efficiency vs binary: median {100 * total['median_efficiency_step_saving']:.1f}% fewer steps on tasks both "
              f"solve, median success difference {100 * total['median_efficiency_minus_binary']:+.1f} points")


def summarise_files(paths: Sequence[str], out: Optional[str]) -> Dict[str, Any]:
    """Tables and the suite summary from JSON files of earlier runs (e.g. one per benchmark, run
    side by side); with ``out``, the merged JSON."""
    merged: Dict[str, Any] = {"merged_from": list(paths), "benchmarks": {}}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for name, bench in data["benchmarks"].items():
            if name in merged["benchmarks"]:
                # Another file's seeds of the same benchmark (a run continued with --first-seed).
                known = {r["seed"] for r in merged["benchmarks"][name]["runs"]}
                merged["benchmarks"][name]["runs"] += [r for r in bench["runs"] if r["seed"] not in known]
                merged["benchmarks"][name]["runs"].sort(key=lambda r: r["seed"])
                continue
            merged["benchmarks"][name] = {**bench, "command": data.get("command"), "ttad_overrides": data.get("ttad_overrides"),
                                          "wall_seconds": data.get("wall_seconds")}
    for name, bench in merged["benchmarks"].items():
        bench["seeds_done"] = len(bench["runs"])
        bench["summary"] = summarise(BENCHMARKS[name], bench["runs"])
    summaries = [b["summary"] for b in merged["benchmarks"].values()]
    print_table(summaries)
    merged["suite"] = suite_summary(summaries)
    print_suite_summary(merged["suite"])
    if out:
        write_json(out, merged)
    return merged


def write_json(path: str, data: Dict[str, Any]) -> None:
    """``data`` as JSON at ``path``, atomically (write, fsync, rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Command line: see the module docstring. Returns what it writes as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="start at this seed (continue a stopped run; --summarise merges the files)")
    parser.add_argument("--tasks", type=int, default=50, help="training tasks a seed (8 attempts each)")
    parser.add_argument("--eval-tasks", type=int, default=500)
    parser.add_argument("--arms", default="plain,ttad,ttad-binary",
                        help="adapting arms to run (start always runs): plain, " + ", ".join(TTAD_ARMS))
    parser.add_argument("--start", default=None, help="starting policy file (default: the benchmark's in policies/)")
    parser.add_argument("--out", default=None, help="the results JSON (default adaptation-suite.json; with --summarise, "
                                                      "the merged JSON, none by default)")
    parser.add_argument("--ttad-set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a robot-config key for the ttad arm instead of its default, e.g. learning.target_kl=null "
                             "or adaptation.informative_groups_only=false (YAML value; repeatable): for screening "
                             "learner changes before they become defaults")
    parser.add_argument("--summarise", nargs="+", metavar="JSON",
                        help="run nothing: print the tables and the suite summary of these results files "
                             "(and write them merged to --out)")
    args = parser.parse_args(argv)
    if args.summarise:
        return summarise_files(args.summarise, args.out)
    args.out = args.out or "adaptation-suite.json"
    torch.set_num_threads(1)  # single-observation forwards: 7x faster than two threads on this 2-core machine
    arms = [a for a in args.arms.split(",") if a]
    for a in arms:
        if a != "plain" and a not in TTAD_ARMS:
            raise SystemExit(f"--arms: unknown arm {a!r} (plain, {', '.join(TTAD_ARMS)})")
    overrides = parse_overrides(args.ttad_set)
    eval_seeds = evaluation_seeds(args.eval_tasks)
    began = time.monotonic()
    output: Dict[str, Any] = {"command": " ".join(["suite.py", *(argv if argv is not None else sys.argv[1:])]), "seeds": args.seeds, "tasks": args.tasks,
                              "attempts": ATTEMPTS, "ttad_overrides": overrides, "evaluation_seeds": eval_seeds,
                              "packages": package_versions(), "benchmarks": {}}
    summaries = []
    for name in [b for b in args.benchmarks.split(",") if b]:
        if name not in BENCHMARKS:
            raise SystemExit(f"--benchmarks: unknown benchmark {name!r} (known: {', '.join(BENCHMARKS)})")
        bench = BENCHMARKS[name]
        start = args.start or os.path.join(HERE, "policies", bench.start_policy)
        runs = []
        start_result = evaluate_start(bench, start, eval_seeds)
        for seed in range(args.first_seed, args.seeds):
            run = run_seed(bench, seed, args.tasks, eval_seeds, start, arms, start_result, overrides)
            print(f"{name} seed {seed}: " + ", ".join(f"{arm} {100 * r['eval_shifted']['success']:.1f}%"
                                                     for arm, r in run["arms"].items()), flush=True)
            runs.append(run)
            # After every seed, so a run stopped early keeps the seeds it finished.
            output["benchmarks"][name] = {"shift": dict(bench.shift), "max_steps": bench.max_steps,
                                          "head": bench.policy["head"], "start_policy": start, "runs": runs,
                                          "seeds_done": len(runs), "summary": summarise(bench, runs)}
            output["wall_seconds"] = time.monotonic() - began
            write_json(args.out, output)
        summaries.append(output["benchmarks"][name]["summary"])
    output["wall_seconds"] = time.monotonic() - began
    print_table(summaries)
    output["suite"] = suite_summary(summaries)
    print_suite_summary(output["suite"])
    print(f"\n{output['wall_seconds']:.0f} s; JSON in {args.out}")
    write_json(args.out, output)
    return output


if __name__ == "__main__":
    # A SIGTERM (`kill`, `pkill`) unwinds like Ctrl-C, so each arm's `finally` stops its daemon
    # instead of leaving it running.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    main()
