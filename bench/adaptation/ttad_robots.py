"""ttad's own MuJoCo robots (robot-configs/reacher2.yaml, robot-configs/pusher.yaml) as Gymnasium envs.

The suite serves every benchmark to the ttad arm through the bridge (``ttad.bridge``) and rolls
the same env out in PyTorch for the plain arm, so that every arm faces exactly the same env. For
ttad's own robots that env is this port of ttad's MuJoCo backend (Sources/Robots/MuJoCo/*.swift,
Sources/Robots/Config/): it reads the same robot-config and loads the same XML with MuJoCo's
Python bindings, and does what the backend does:

- **reset** (``MuJoCoSimulation.reset``): ``mj_resetData``; each robot joint's qpos plus
  uniform(-joint_noise, joint_noise) drawn with ttad's SplitMix64 ``SeededRandom(seed, stream 1)``
  (``noise_per_attempt`` is off in both configs, so every attempt of a task starts alike); the
  task's parameters resolved as ``RobotConfig.resolve`` does (sorted names; default, else uniform
  from ``SeededRandom(seed)``; redrawn until the ``norm`` constraint holds) and written into the
  mocap bodies or joints in sorted order; ``mj_forward``. The task seed is ``reset(seed=)``.
- **step** (``MuJoCoAttempt.step``): the safety envelope's filter (clamp to the action bounds,
  then to ``action_rate_limit`` of the previous action, which is 0 at reset) into the actuators'
  ctrl, ``frame_skip`` physics steps, then the envelope's checks (joint position limits, joint
  velocity limit, workspace of the end effector) and divergence: a break ends the attempt as a
  failure (``terminated``, ``info["aborted"]`` says why), as ttad aborts it.
- **observation**: the robot-config's ``observation:`` blocks in order, as float32.
- **success**: the task's distance condition, ``distance < below`` (``info["success"]``,
  ``info["distance"]``; the episode terminates on it).
- **progress** (``MuJoCoAttempt.progress``): ``(initial - distance) / (initial - tolerance)``
  clipped to [0, 1], the initial distance measured at reset (``info["progress"]``); ttad keeps
  the best an attempt reported, which is its closest approach, as the backend computes it.
- **dynamics**: :func:`apply_ttad_dynamics` scales joint damping, actuator gear, body mass and
  inertia, and geom friction as ``MuJoCoRobot.apply``.
- **max_steps**: the robot-config's, unless the benchmark gives another.
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Optional, Tuple

import gymnasium
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ROBOT_CONFIGS = os.path.join(REPO, "robot-configs")

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class SeededRandom:
    """ttad's SplitMix64 (Sources/Robots/SeededRandom.swift): the same seed draws the same numbers."""

    def __init__(self, seed: int, stream: Optional[int] = None) -> None:
        if stream is None:
            self.state = seed & _MASK
        else:
            mixer = SeededRandom((seed ^ ((stream * _GOLDEN) & _MASK)) & _MASK)
            self.state = mixer.next()

    def next(self) -> int:
        """The next 64 random bits."""
        self.state = (self.state + _GOLDEN) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def uniform(self, low: float, high: float) -> float:
        """Uniform in [low, high] from 53 random bits, as ttad draws it."""
        unit = (self.next() >> 11) * 2.0 ** -53
        return low + (high - low) * unit


def _point(model: Any, ref: str) -> Tuple[str, int]:
    """``site:name`` or ``body:name`` -> (kind, id)."""
    import mujoco

    kind, _, name = ref.partition(":")
    obj = {"site": mujoco.mjtObj.mjOBJ_SITE, "body": mujoco.mjtObj.mjOBJ_BODY}.get(kind)
    if obj is None:
        raise ValueError(f"point {ref!r}: expected site:NAME or body:NAME")
    ident = mujoco.mj_name2id(model, obj, name)
    if ident < 0:
        raise ValueError(f"point {ref!r}: the model has no {kind} named {name!r}")
    return kind, ident


_AXES = {"x": 0, "y": 1, "z": 2}


class TtadRobotEnv(gymnasium.Env):  # type: ignore[type-arg]
    """A ttad MuJoCo robot-config as a Gymnasium env (see the module docstring).

    ``robot`` is a robot-config's stem under robot-configs/ (``reacher2``, ``pusher``); ``task`` its
    task family (default: the only one); ``max_steps`` overrides the config's.
    """

    metadata: Dict[str, Any] = {"render_modes": []}

    def __init__(self, robot: str, task: Optional[str] = None, max_steps: Optional[int] = None) -> None:
        import mujoco
        import yaml

        path = os.path.join(ROBOT_CONFIGS, f"{robot}.yaml")
        with open(path) as f:
            config = yaml.safe_load(f)
        self.config = config
        self.robot = robot
        backend = config["backend"]
        if backend.get("type") != "mujoco":
            raise ValueError(f"{path}: backend.type is {backend.get('type')!r}; the port needs a mujoco robot")
        self.model = mujoco.MjModel.from_xml_path(os.path.join(ROBOT_CONFIGS, backend["model"]))
        if backend.get("timestep"):
            self.model.opt.timestep = float(backend["timestep"])
        self.data = mujoco.MjData(self.model)
        self.frame_skip = int(backend.get("frame_skip", 1))
        self.dt = self.model.opt.timestep * self.frame_skip
        self.max_steps = int(max_steps or config["max_steps"])

        def joint(name: str) -> Tuple[int, int]:
            j = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_JOINT, name)
            if j < 0:
                raise ValueError(f"{path}: the model has no joint {name!r}")
            return int(self.model.jnt_qposadr[j]), int(self.model.jnt_dofadr[j])

        self.joints = list(config["joints"])
        self.joint_addr = [joint(n) for n in self.joints]
        self.actuators = []
        for name in config["action"]["actuators"]:
            a = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_ACTUATOR, name)
            if a < 0:
                raise ValueError(f"{path}: the model has no actuator {name!r}")
            self.actuators.append(a)
        n = len(self.actuators)
        self.action_low = np.broadcast_to(np.asarray(config["action"]["low"], dtype=np.float32), (n,)).copy()
        self.action_high = np.broadcast_to(np.asarray(config["action"]["high"], dtype=np.float32), (n,)).copy()

        self.ops: List[Tuple[Any, ...]] = []
        for item in config["observation"]:
            kind = item["type"]
            if kind in ("joint_position", "joint_cos", "joint_sin", "joint_velocity"):
                for name in item["joints"]:
                    qpos, dof = joint(name)
                    self.ops.append((kind, dof if kind == "joint_velocity" else qpos))
            elif kind == "position":
                p = _point(self.model, item["point"])
                self.ops += [("position", p, _AXES[a]) for a in item["axes"]]
            elif kind == "vector":
                a, b = _point(self.model, item["from"]), _point(self.model, item["to"])
                self.ops += [("vector", a, b, _AXES[ax]) for ax in item["axes"]]
            else:
                raise ValueError(f"{path}: observation type {kind!r} is not ported")

        reset = config.get("reset") or {}
        self.joint_noise = float(reset.get("joint_noise", 0.0))
        self.noise_per_attempt = bool(reset.get("noise_per_attempt", False))

        tasks = config["tasks"]
        self.task_name = task or next(iter(tasks))
        spec = tasks[self.task_name]
        self.params: Dict[str, Dict[str, Any]] = dict(spec.get("params") or {})
        self.norm = spec.get("norm")
        self.bindings: List[Tuple[str, str, int, int]] = []
        for name in sorted(self.params):
            sets = self.params[name]["sets"]
            if "mocap" in sets:
                body = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, sets["mocap"])
                mocap = int(self.model.body_mocapid[body])
                if body < 0 or mocap < 0:
                    raise ValueError(f"{path}: task parameter {name} sets {sets['mocap']!r}, not a mocap body")
                self.bindings.append((name, "mocap", mocap, _AXES[sets["axis"]]))
            else:
                qpos, dof = joint(sets["joint"])
                self.bindings.append((name, "joint", qpos, dof))
        success = spec["success"]
        self.success_points = (_point(self.model, success["between"][0]), _point(self.model, success["between"][1]))
        self.tolerance = float(success["below"])

        safety = config.get("safety") or {}
        rate = safety.get("action_rate_limit")
        self.rate_limit = None if rate is None else np.broadcast_to(np.asarray(rate, dtype=np.float32), (n,)).copy()
        self.position_limits = [(self.joints.index(j), float(lo), float(hi))
                                for j, (lo, hi) in sorted((safety.get("joint_position_limits") or {}).items())]
        limit = safety.get("joint_velocity_limit")
        per_joint = safety.get("joint_velocity_limits") or {}
        self.velocity_limits: List[Tuple[int, float]] = []
        for i, j in enumerate(self.joints):
            joint_limit = per_joint.get(j, limit)
            if joint_limit is not None:
                self.velocity_limits.append((i, float(joint_limit)))
        workspace = safety.get("workspace")
        self.workspace = None
        if workspace:
            self.workspace = (_point(self.model, workspace["point"]), np.asarray(workspace["low"], dtype=np.float64),
                              np.asarray(workspace["high"], dtype=np.float64))

        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (len(self.ops),), np.float32)
        self.action_space = gymnasium.spaces.Box(self.action_low, self.action_high, dtype=np.float32)
        self.task_params: Dict[str, float] = {}
        self.previous_action = np.zeros(n, dtype=np.float32)
        self.initial_distance = 0.0
        self.steps = 0

    # -- the parts of gymnasium.Env the suite and the bridge use ---------------------------------

    def close(self) -> None:
        """Nothing to release."""

    def resolve(self, seed: int) -> Dict[str, float]:
        """The task's parameters for ``seed``, as ``RobotConfig.resolve`` draws them."""
        rng = SeededRandom(seed)
        names = sorted(self.params)
        for _ in range(10_000):
            params = {}
            for name in names:
                p = self.params[name]
                params[name] = float(p["default"]) if "default" in p else rng.uniform(float(p["low"]), float(p["high"]))
            if self.norm is None:
                return params
            length = math.sqrt(sum(params[k] ** 2 for k in self.norm["params"]))
            if float(self.norm.get("min", 0)) <= length <= float(self.norm["max"]):
                return params
        raise ValueError(f"{self.robot}: could not draw parameters satisfying the norm constraint for seed {seed}")

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        """The task ``seed``'s initial state (``options`` may give parameters, as a task's ``params``)."""
        import mujoco

        super().reset(seed=seed)
        if seed is None:
            seed = int(self.np_random.integers(0, 2**63 - 1))
        params = self.resolve(int(seed))
        params.update({k: float(v) for k, v in (options or {}).items() if k in self.params})
        self.task_params = params
        mujoco.mj_resetData(self.model, self.data)
        if self.joint_noise > 0:
            # noise_per_attempt draws with the attempt index; off in both configs: stream 1.
            rng = SeededRandom(int(seed), 1)
            for qpos, _ in self.joint_addr:
                self.data.qpos[qpos] += rng.uniform(-self.joint_noise, self.joint_noise)
        for name, kind, a, b in self.bindings:
            value = params[name]
            if kind == "mocap":
                self.data.mocap_pos[a, b] = value
            else:
                self.data.qpos[a] = value
                self.data.qvel[b] = 0.0
        mujoco.mj_forward(self.model, self.data)
        self.previous_action = np.zeros(len(self.actuators), dtype=np.float32)
        self.steps = 0
        self.initial_distance = self.distance()
        return self.observation(), {"success": False, "distance": self.initial_distance, "progress": 0.0}

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        """One robot step: the envelope's filter, ``frame_skip`` physics steps, the envelope's checks."""
        import mujoco

        a = np.asarray(action, dtype=np.float32).reshape(-1)
        if a.shape[0] != len(self.actuators) or not np.all(np.isfinite(a)):
            raise ValueError(f"{self.robot}: action {a} is not {len(self.actuators)} finite numbers")
        a = np.minimum(np.maximum(a, self.action_low), self.action_high)
        if self.rate_limit is not None:
            a = np.minimum(np.maximum(a, self.previous_action - self.rate_limit), self.previous_action + self.rate_limit)
        self.previous_action = a
        self.data.ctrl[self.actuators] = a.astype(np.float64)
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        self.steps += 1
        obs = self.observation()
        aborted = self._aborted(obs)
        distance = self.distance()
        success = aborted is None and distance < self.tolerance
        info: Dict[str, Any] = {"success": success, "distance": distance, "progress": self.progress(distance)}
        if aborted is not None:
            info["aborted"] = aborted
        truncated = self.steps >= self.max_steps and not success and aborted is None
        return obs, -distance, bool(success or aborted is not None), truncated, info

    # -- the backend's pieces ------------------------------------------------------------------

    def _position(self, point: Tuple[str, int]) -> np.ndarray:
        kind, ident = point
        return self.data.site_xpos[ident] if kind == "site" else self.data.xpos[ident]

    def observation(self) -> np.ndarray:
        """The robot-config's observation blocks, in order (float32, as ttad's ``[Float]``)."""
        out = np.empty(len(self.ops), dtype=np.float32)
        for i, op in enumerate(self.ops):
            kind = op[0]
            if kind == "joint_position":
                out[i] = self.data.qpos[op[1]]
            elif kind == "joint_cos":
                out[i] = math.cos(self.data.qpos[op[1]])
            elif kind == "joint_sin":
                out[i] = math.sin(self.data.qpos[op[1]])
            elif kind == "joint_velocity":
                out[i] = self.data.qvel[op[1]]
            elif kind == "position":
                out[i] = self._position(op[1])[op[2]]
            else:
                out[i] = self._position(op[2])[op[3]] - self._position(op[1])[op[3]]
        return out

    def distance(self) -> float:
        """The task's success distance now."""
        a, b = self.success_points
        return float(np.linalg.norm(self._position(a) - self._position(b)))

    def progress(self, distance: float) -> float:
        """``MuJoCoAttempt.progress`` for a distance: the share of the way from the start to the tolerance."""
        if self.initial_distance <= self.tolerance:
            return 1.0
        return float(min(1.0, max(0.0, (self.initial_distance - distance) / (self.initial_distance - self.tolerance))))

    def _aborted(self, obs: np.ndarray) -> Optional[str]:
        """Why the attempt must end (divergence or a broken safety limit), else None."""
        import mujoco

        warnings = sum(int(self.data.warning[w].number) for w in
                       (mujoco.mjtWarning.mjWARN_BADQACC, mujoco.mjtWarning.mjWARN_BADQPOS, mujoco.mjtWarning.mjWARN_BADQVEL))
        if warnings or not (np.all(np.isfinite(self.data.qpos)) and np.all(np.isfinite(self.data.qvel))
                            and np.all(np.isfinite(obs))):
            return f"simulation diverged at step {self.steps}"
        for index, low, high in self.position_limits:
            q = self.data.qpos[self.joint_addr[index][0]]
            if not low <= q <= high:
                return f"joint {self.joints[index]} position {q:.3f} outside [{low}, {high}]"
        for index, limit in self.velocity_limits:
            v = self.data.qvel[self.joint_addr[index][1]]
            if not abs(v) <= limit:
                return f"joint {self.joints[index]} velocity {v:.3f} exceeds {limit}"
        if self.workspace is not None:
            point, box_low, box_high = self.workspace
            p = self._position(point)
            if not (np.all(p >= box_low) and np.all(p <= box_high)):
                return f"end effector {np.round(p, 3).tolist()} outside the workspace"
        return None


def apply_ttad_dynamics(env: Any, factors: Dict[str, float]) -> None:
    """``MuJoCoRobot.apply`` from the nominal model (kept the first time, so calls never compound):
    ``damping_scale`` joint damping, ``gear_scale`` actuator gear, ``mass_scale`` body mass and
    inertia, ``friction_scale`` geom friction."""
    base = env.unwrapped
    model = base.model
    if not hasattr(base, "_suite_nominal"):
        base._suite_nominal = {"dof_damping": model.dof_damping.copy(), "actuator_gear": model.actuator_gear.copy(),
                               "body_mass": model.body_mass.copy(), "body_inertia": model.body_inertia.copy(),
                               "geom_friction": model.geom_friction.copy()}
    nominal = base._suite_nominal
    model.dof_damping[:] = nominal["dof_damping"] * factors.get("damping_scale", 1.0)
    model.actuator_gear[:] = nominal["actuator_gear"] * factors.get("gear_scale", 1.0)
    model.body_mass[:] = nominal["body_mass"] * factors.get("mass_scale", 1.0)
    model.body_inertia[:] = nominal["body_inertia"] * factors.get("mass_scale", 1.0)
    model.geom_friction[:] = nominal["geom_friction"] * factors.get("friction_scale", 1.0)
