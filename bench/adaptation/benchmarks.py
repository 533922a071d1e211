"""The suite's benchmarks, in one table: robot/env, success, progress, shift, head, max steps.

Each benchmark is a third-party Gymnasium env served to ttad through ``ttad.bridge.serve_gymnasium``
and rolled out in plain PyTorch by the other arms with the same ``success`` and ``apply_dynamics``,
so every arm faces exactly the same tasks: a task is a gymnasium seed (``env.reset(seed=...)``)
under the benchmark's shifted dynamics.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

Transition = Any  # ttad.bridge.Transition (env, observation, reward, terminated, truncated, info, raw_observation)


@dataclass(frozen=True)
class Benchmark:
    """One robot/shift pair of the suite.

    ``shift`` are the dynamics factors of the shifted env (absolute, 1 = nominal), declared to ttad
    with the range ``dynamics_range``; ``apply_dynamics(env, factors)`` sets them on the env (as
    ``serve_gymnasium`` calls it, before each reset). ``policy`` is the robot-config's ``policy:``
    (the architecture the starting policy must have). ``start_policy`` is the file under
    bench/adaptation/policies/ that pretrain.py wrote.
    """

    name: str
    make_env: Callable[[], Any]
    success: Callable[[Transition], bool]
    progress: Optional[Callable[[Transition], float]]
    apply_dynamics: Callable[[Any, Dict[str, float]], None]
    shift: Mapping[str, float]
    dynamics_range: Mapping[str, Tuple[float, float]]
    policy: Mapping[str, Any]
    max_steps: int
    task: str = "reach"
    start_policy: str = ""
    notes: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)


# -- reacher-damping ----------------------------------------------------------------------------

REACHER_TOLERANCE = 0.05
"""Reacher-v5 success: fingertip within 5 cm of the target (the arm is 0.21 m long; the target is
drawn within 0.2 m of the base). ttad's docs use 0.02 for a demonstration; 0.05 keeps the
pretrained start useful (neither 0 nor 100%) on this 2-core machine's training budget."""


def make_reacher() -> Any:
    """gymnasium's Reacher-v5 (MuJoCo), 50 steps an episode."""
    import gymnasium

    return gymnasium.make("Reacher-v5")


def reacher_distance(t: Transition) -> float:
    """Fingertip-target distance: Reacher-v5's ``info["reward_dist"]`` is minus it; after a reset
    (no info yet) it is read from the observation's last three values (fingertip - target)."""
    if "reward_dist" in t.info:
        return float(-t.info["reward_dist"])
    return float(np.linalg.norm(np.asarray(t.observation)[-3:]))


def reacher_success(t: Transition) -> bool:
    """Success: the fingertip within :data:`REACHER_TOLERANCE` of the target."""
    return reacher_distance(t) < REACHER_TOLERANCE


def reacher_progress(t: Transition) -> float:
    """Progress in [0, 1]: 1 at the tolerance, 0 at 0.4 m (the farthest start), linear between."""
    return float(np.clip((0.4 - reacher_distance(t)) / (0.4 - REACHER_TOLERANCE), 0.0, 1.0))


def mujoco_dynamics(env: Any, factors: Dict[str, float]) -> None:
    """Sets ``damping_scale`` and ``gear_scale`` on the MuJoCo model from its nominal values
    (kept on the unwrapped env the first time, so repeated calls never compound)."""
    model = env.unwrapped.model
    base = env.unwrapped
    if not hasattr(base, "_suite_nominal"):
        base._suite_nominal = (model.dof_damping.copy(), model.actuator_gear.copy())
    damping, gear = base._suite_nominal
    model.dof_damping[:] = damping * factors.get("damping_scale", 1.0)
    model.actuator_gear[:] = gear * factors.get("gear_scale", 1.0)


BENCHMARKS: Dict[str, Benchmark] = {
    b.name: b
    for b in [
        Benchmark(
            name="reacher-damping",
            make_env=make_reacher,
            success=reacher_success,
            progress=reacher_progress,
            apply_dynamics=mujoco_dynamics,
            shift={"damping_scale": 20.0, "gear_scale": 0.5},  # start 0.71 -> 0.41 greedy on seeds 0-99
            dynamics_range={"damping_scale": (0.25, 32.0), "gear_scale": (0.25, 4.0)},
            policy={"hidden_sizes": [64, 64], "activation": "tanh", "head": "binned", "bins": 21},
            max_steps=50,
            start_policy="reacher.safetensors",
            notes="Reacher-v5, fingertip within 5 cm; binned head (2 x 21 bins); joint damping and gear shifted",
        ),
    ]
}
