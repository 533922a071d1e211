"""The suite's benchmarks, in one table: robot/env, success, progress, shift, head, max steps.

Each benchmark is a Gymnasium env served to ttad through ``ttad.bridge`` (what ``serve_gymnasium``
serves) and rolled out in plain PyTorch by the other arms with the same ``success`` and
``apply_dynamics``, so every arm faces exactly the same tasks: a task is a gymnasium seed
(``env.reset(seed=...)``) under the benchmark's shifted dynamics. Third-party envs (gymnasium,
gymnasium-robotics) and ttad's own robots (reacher2, pusher: ttad_robots.py ports ttad's MuJoCo
backend to a Gymnasium env, so that they too reach every arm as the same env).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

from expert import MazeExpert, pusher_expert, reacher2_expert, reacher_expert

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
    expert: Optional[Callable[[np.ndarray], np.ndarray]] = None
    """The scripted expert pretrain.py clones (flat observation -> action)."""
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


def env_success(t: Transition) -> bool:
    """The env's own success flag, ``info["success"]`` (PointMaze's, and the ttad robot ports')."""
    return bool(t.info["success"])


# -- maze (gymnasium-robotics PointMaze) -------------------------------------------------------

UMAZE = [[1, 1, 1, 1, 1], [1, 0, 0, 0, 1], [1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
"""gymnasium-robotics' U_MAZE (PointMaze_UMaze-v3's map; 1 wall, 0 free)."""

OPEN = [[1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1]]
"""gymnasium-robotics' OPEN (PointMaze_Open-v3's map: an arena without inner walls)."""

MAZE_EXPERT = MazeExpert(UMAZE)
OPEN_EXPERT = MazeExpert(OPEN)
MAZE_SUCCESS_RADIUS = 0.45  # PointMaze's own: info["success"] is distance(ball, goal) <= 0.45
MAZE_FARTHEST = 6.5  # the longest path through the U (end to end, with the reset noise), for progress


def make_maze(env_id: str, max_steps: int) -> Callable[[], Any]:
    """A factory of the PointMaze ``env_id`` as an episodic task (it ends at the goal), ``max_steps`` an episode."""

    def make() -> Any:
        import gymnasium
        import gymnasium_robotics

        gymnasium.register_envs(gymnasium_robotics)
        return gymnasium.make(env_id, continuing_task=False, max_episode_steps=max_steps)

    return make


def open_progress(t: Transition) -> float:
    """Progress in [0, 1] in the open arena: 1 at the success radius, 0 at 5 m (about its diagonal), linear."""
    o = np.asarray(t.observation)
    d = float(np.linalg.norm(o[0:2] - o[2:4]))
    return float(np.clip((5.0 - d) / (5.0 - MAZE_SUCCESS_RADIUS), 0.0, 1.0))


def maze_progress(t: Transition) -> float:
    """Progress in [0, 1] through the maze: 1 at the success radius, 0 at the U's full length,
    linear in the distance along the maze's shortest path (not the straight line, which crosses walls)."""
    o = np.asarray(t.observation)
    d = MAZE_EXPERT.geodesic(o[0:2], o[2:4])
    return float(np.clip((MAZE_FARTHEST - d) / (MAZE_FARTHEST - MAZE_SUCCESS_RADIUS), 0.0, 1.0))


# -- ttad's own robots, ported (ttad_robots.py) ----------------------------------------------

def make_ttad_robot(robot: str, max_steps: Optional[int] = None) -> Callable[[], Any]:
    """A factory of ttad's robot-config ``robot`` as a Gymnasium env (ttad_robots.TtadRobotEnv)."""

    def make() -> Any:
        from ttad_robots import TtadRobotEnv

        return TtadRobotEnv(robot, max_steps=max_steps)

    return make


def ttad_robot_progress(t: Transition) -> float:
    """The backend's progress (``MuJoCoAttempt.progress``), which the port reports in ``info``."""
    return float(t.info.get("progress", 0.0))


def ttad_dynamics(env: Any, factors: Dict[str, float]) -> None:
    """ttad's built-in scale factors, as ``MuJoCoRobot.apply`` (ttad_robots.apply_ttad_dynamics)."""
    from ttad_robots import apply_ttad_dynamics

    apply_ttad_dynamics(env, factors)


GAUSSIAN_64 = {"hidden_sizes": [64, 64], "activation": "tanh", "head": "gaussian", "initial_log_std": -1.6}
"""reacher2's and pusher's ``policy:`` (robot-configs/*.yaml): 64x64 tanh, gaussian head; the
log-std ln 0.2, the exploration docs/experiment.md gives a cloned start (``ttad-lab pretrain --std
0.2``): at ttad's default -0.5 (std 0.6 x T) the attempts are so far from the greedy action that
the plain reference lost greedy success on reacher2 (-3 points over 2 seeds x 50 tasks)."""


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
            expert=reacher_expert,
            notes="Reacher-v5, fingertip within 5 cm; binned head (2 x 21 bins); joint damping and gear shifted",
        ),
        Benchmark(
            name="pointmaze-gear",
            make_env=make_maze("PointMaze_UMaze-v3", 100),
            success=env_success,
            progress=maze_progress,
            apply_dynamics=mujoco_dynamics,
            shift={"gear_scale": 0.3},
            dynamics_range={"damping_scale": (0.25, 32.0), "gear_scale": (0.25, 4.0)},
            policy=GAUSSIAN_64,
            max_steps=100,
            task="navigate",
            start_policy="pointmaze.safetensors",
            expert=MAZE_EXPERT,
            notes="PointMaze_UMaze-v3, its info['success']; gaussian head",
        ),
        Benchmark(
            name="pointmaze-open-gear",
            make_env=make_maze("PointMaze_Open-v3", 100),
            success=env_success,
            progress=open_progress,
            apply_dynamics=mujoco_dynamics,
            shift={"gear_scale": 0.3},
            dynamics_range={"damping_scale": (0.25, 32.0), "gear_scale": (0.25, 4.0)},
            policy={"hidden_sizes": [64, 64], "activation": "tanh", "head": "binned", "bins": 21},
            max_steps=100,
            task="navigate",
            start_policy="pointmaze-open.safetensors",
            expert=OPEN_EXPERT,
            notes="PointMaze_Open-v3, its info['success']; binned head",
        ),
        Benchmark(
            name="reacher2-damping",
            make_env=make_ttad_robot("reacher2"),
            success=env_success,
            progress=ttad_robot_progress,
            apply_dynamics=ttad_dynamics,
            shift={"damping_scale": 10.0, "gear_scale": 0.5},
            dynamics_range={"damping_scale": (0.1, 10.0), "gear_scale": (0.1, 2.0), "mass_scale": (0.1, 10.0),
                            "friction_scale": (0.1, 10.0)},
            policy=GAUSSIAN_64,
            max_steps=50,
            start_policy="reacher2.safetensors",
            expert=reacher2_expert,
            notes="ttad's reacher2 (ported), fingertip within 2 cm; gaussian head",
        ),
        Benchmark(
            name="pusher-damping",
            make_env=make_ttad_robot("pusher", 100),
            success=env_success,
            progress=ttad_robot_progress,
            apply_dynamics=ttad_dynamics,
            shift={"damping_scale": 1.25},
            dynamics_range={"damping_scale": (0.1, 10.0), "gear_scale": (0.1, 4.0), "mass_scale": (0.1, 10.0),
                            "friction_scale": (0.1, 5.0)},
            policy=GAUSSIAN_64,
            max_steps=100,
            task="push",
            start_policy="pusher.safetensors",
            expert=pusher_expert,
            notes="ttad's pusher (ported), block within 3 cm of the goal; gaussian head",
        ),
    ]
}
