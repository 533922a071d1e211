"""Any Gymnasium environment as a ttad robot: :func:`serve_gymnasium` and :class:`GymnasiumController`.

Sizes and bounds come from the environment's spaces; :func:`ttad.bridge.robot_config` writes the
matching robot-config from the same spaces, so the two cannot disagree.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .controller import DEMONSTRATION, Controller, ControllerError, Hello, ResetRequest, StepResult

__all__ = ["GymnasiumController", "Transition", "EnvSpaces", "SpaceError", "env_spaces", "flatten_observation",
           "serve_gymnasium", "Intervene", "Demonstrator", "INTERVENTION_FLAG", "INTERVENTION_ACTION_KEYS"]

#: ``intervene(observation, proposed_action, info) -> action or None``: a person who may take over
#: a step (see :class:`GymnasiumController`).
Intervene = Callable[[Any, np.ndarray, Dict[str, Any]], Optional[Any]]
#: ``demonstrator(observation, info) -> action``: a person who drives a whole demonstration attempt.
Demonstrator = Callable[[Any, Dict[str, Any]], Any]

#: The step-info flag by which an env says a person drove the step (gym-hil's
#: ``InputsControlWrapper``; LeRobot's teleoperator events use the same name).
INTERVENTION_FLAG = "is_intervention"
#: Where such an env puts the action it executed, looked up in this order (gym-hil 0.1.x writes
#: ``teleop_action``; other HIL-SERL-style envs write ``action_intervention``).
INTERVENTION_ACTION_KEYS = ("teleop_action", "action_intervention")


class SpaceError(ValueError):
    """An environment's spaces cannot be a ttad robot; the message names the space and what is wrong."""


@dataclass
class Transition:
    """What ``success`` and ``progress`` see after a reset or a step.

    ``reward``, ``terminated`` and ``truncated`` are 0/False after a reset. ``observation`` is the
    flat vector ttad gets; ``raw_observation`` what the env returned (a dict for ``Dict`` spaces).
    """

    env: Any
    observation: np.ndarray
    reward: float
    terminated: bool
    truncated: bool
    info: Dict[str, Any] = field(default_factory=dict)
    raw_observation: Any = None


@dataclass
class EnvSpaces:
    """What ttad needs to know of an environment's spaces.

    ``observation_layout``: where each part of a ``Dict``/``Tuple`` observation lands in the flat
    vector, as ``(path, start, size)`` in order (``[("", 0, n)]`` for a ``Box``).
    """

    observation_size: int
    action_low: List[float]
    action_high: List[float]
    action_shape: Tuple[int, ...]
    observation_layout: List[Tuple[str, int, int]] = field(default_factory=list)


def env_spaces(env: Any, action_low: Optional[Sequence[float]] = None,
               action_high: Optional[Sequence[float]] = None) -> EnvSpaces:
    """Reads the observation size and action bounds from ``env``'s spaces.

    The observation space is a ``Box``, or a ``Dict``/``Tuple`` (nested too) of ``Box`` es, which
    is flattened in the space's own order (:func:`flatten_observation`; gymnasium sorts a
    ``Dict``'s keys, so Fetch's is ``achieved_goal, desired_goal, observation``). Its bounds may
    be infinite: ttad has no observation bounds, and checks every observation for non-finite
    numbers where it enters.

    Raises :class:`SpaceError` naming the space and the problem: a space (or a part of a
    ``Dict``/``Tuple``) that is not a ``Box``, or an action ``Box`` with unbounded components (pass
    ``action_low``/``action_high`` to bound them: ttad clamps every action into finite bounds).
    """
    from gymnasium import spaces

    name = _env_name(env)
    obs_space, act_space = env.observation_space, env.action_space
    layout: List[Tuple[str, int, int]] = []
    _layout(name, "observation_space", "", obs_space, layout)
    if not isinstance(act_space, spaces.Box):
        raise SpaceError(f"{name}: action_space is {act_space}; ttad needs a Box of continuous actions")
    size = sum(part[2] for part in layout)
    if size < 1:
        raise SpaceError(f"{name}: observation_space {obs_space} has no numbers; ttad needs at least one")
    n = int(np.prod(act_space.shape)) if act_space.shape else 1
    low = np.broadcast_to(np.asarray(act_space.low, dtype=np.float64), act_space.shape).reshape(-1).copy()
    high = np.broadcast_to(np.asarray(act_space.high, dtype=np.float64), act_space.shape).reshape(-1).copy()
    for given, target, which in ((action_low, low, "action_low"), (action_high, high, "action_high")):
        if given is not None:
            values = np.asarray(given, dtype=np.float64).reshape(-1)
            if values.size not in (1, n):
                raise SpaceError(f"{name}: {which} has {values.size} values; the action_space has {n} components")
            target[:] = values
    unbounded = [i for i in range(n) if not (math.isfinite(low[i]) and math.isfinite(high[i]))]
    if unbounded:
        shown = ", ".join(f"[{i}] in [{low[i]}, {high[i]}]" for i in unbounded[:4])
        more = f" and {len(unbounded) - 4} more" if len(unbounded) > 4 else ""
        raise SpaceError(f"{name}: action_space {act_space} is unbounded at component(s) {shown}{more}; "
                         "ttad clamps every action into finite bounds: pass action_low=/action_high=")
    wrong = [i for i in range(n) if not low[i] < high[i]]
    if wrong:
        i = wrong[0]
        raise SpaceError(f"{name}: action bounds at component {i} are [{low[i]}, {high[i]}]; expected low < high")
    return EnvSpaces(size, [float(x) for x in low], [float(x) for x in high], tuple(act_space.shape), layout)


def flatten_observation(space: Any, observation: Any) -> np.ndarray:
    """``observation`` of ``space`` as one flat float64 vector: a ``Box`` reshaped, a ``Dict`` its
    values in the space's key order, a ``Tuple`` its items in order (the layout of
    :attr:`EnvSpaces.observation_layout`). A part the space has but the observation lacks raises
    :class:`ControllerError` naming it."""
    parts: List[np.ndarray] = []
    _flatten(space, observation, "", parts)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _layout(name: str, what: str, path: str, space: Any, out: List[Tuple[str, int, int]]) -> None:
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        start = out[-1][1] + out[-1][2] if out else 0
        out.append((path, start, int(np.prod(space.shape)) if space.shape else 1))
    elif isinstance(space, spaces.Dict):
        for key, sub in space.spaces.items():
            _layout(name, what, f"{path}.{key}" if path else str(key), sub, out)
    elif isinstance(space, spaces.Tuple):
        for i, sub in enumerate(space.spaces):
            _layout(name, what, f"{path}[{i}]", sub, out)
    else:
        raise SpaceError(f"{name}: {what}{'[' + repr(path) + ']' if path else ''} is {space}; ttad needs a Box of numbers "
                         "(or a Dict/Tuple of Boxes, flattened in order)")


def _flatten(space: Any, value: Any, path: str, out: List[np.ndarray]) -> None:
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        for key, sub in space.spaces.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(value, Mapping) or key not in value:
                have = sorted(value) if isinstance(value, Mapping) else type(value).__name__
                raise ControllerError(f"the observation has no {where!r} (it has {have}), "
                                      "but the observation_space does")
            _flatten(sub, value[key], where, out)
    elif isinstance(space, spaces.Tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(space.spaces):
            raise ControllerError(f"the observation{' ' + repr(path) if path else ''} is not a sequence of "
                                  f"{len(space.spaces)} parts, "
                                  "as the observation_space says")
        for i, sub in enumerate(space.spaces):
            _flatten(sub, value[i], f"{path}[{i}]", out)
    else:
        out.append(np.array(value, dtype=np.float64).reshape(-1))  # a copy: envs may reuse their arrays


class GymnasiumController(Controller):
    """A :class:`Controller` around a Gymnasium environment.

    - ``hello``: sizes and bounds from the spaces (:func:`env_spaces`); joints from the MuJoCo
      model when the env has one (its hinge and slide joints), else none; see ``state``.
    - ``reset``: ``env.reset(seed=task seed, options=params or None)``, so a task's N attempts face
      the same start; then ``apply_dynamics(env, factors)`` when the task asks for dynamics.
    - ``step``: ``env.step(action)``; ``success(transition)`` decides success, ``progress(transition)``
      (optional) reports progress in [0, 1]. After the env terminates or truncates without success,
      the robot holds still: later steps return the last observation (ttad ends the attempt at its
      ``max_steps``), since stepping a finished Gymnasium env is undefined.

    A person may drive (bridge protocol 1.1 interventions, 1.2 demonstrations):

    - ``intervene(observation, proposed_action, info) -> action or None``: called before every
      step with the env's last observation (as the env returned it: a dict for ``Dict`` spaces),
      ttad's action (clipped to the bounds and in the action space's shape) and the last step's
      info (the reset's before the first step). ``None`` executes ttad's action; an action is
      executed instead and reported to ttad as the executed action (``intervened``).
    - The env's own signal: when a step's info says ``info["is_intervention"]`` (gym-hil's
      ``InputsControlWrapper``), the step is reported as intervened with the action in
      ``info["teleop_action"]`` or ``info["action_intervention"]``, whatever ``intervene`` did
      (the env knows what it executed); a flag without either key is refused naming them.
      ``env_interventions=False`` ignores the signal.
    - ``demonstrator(observation, info) -> action``: the controller announces the
      ``demonstration`` feature, and in a demonstration attempt (``reset`` with
      ``demonstration: true``) ttad's action is ignored and the demonstrator's executed and
      reported on every step. After the env finished without success the person holds still:
      the held steps report the zero action clipped into the bounds.

    A person's action must have one finite number per action component, else the step is refused
    (``ControllerError`` naming the callable and what was wrong) before the env sees it; it is
    clipped to the env's own ``action_space`` (what stepping a Gymnasium env allows), not to
    narrower ``action_low``/``action_high``, so ttad counts the intervened steps past its limits.

    ``success``: required; a callable, e.g. ``lambda t: -t.info["reward_dist"] < 0.02`` for
    Reacher, or the name of the env's own success flag in ``info`` (``"is_success"`` for
    gymnasium-robotics' Fetch, ``"success"`` for its Adroit and maze tasks): a step whose info
    lacks it is refused naming the key.
    ``apply_dynamics(env, factors)``: set the env's physics for these factors (absolute: 1 is
    nominal, and every factor is passed at every reset); without it, a task asking for a factor
    other than 1 is refused. ``state(env) -> (positions, velocities, end_effector_xyz or None)``
    with ``joints`` names overrides the MuJoCo default.
    """

    def __init__(self, make_env: Callable[[], Any], *, success: Union[str, Callable[[Transition], bool]],
                 progress: Optional[Callable[[Transition], float]] = None,
                 apply_dynamics: Optional[Callable[[Any, Dict[str, float]], None]] = None,
                 robot: Optional[str] = None, action_low: Optional[Sequence[float]] = None,
                 action_high: Optional[Sequence[float]] = None, joints: Optional[Sequence[str]] = None,
                 state: Optional[Callable[[Any], Tuple[Sequence[float], Sequence[float], Optional[Sequence[float]]]]] = None,
                 end_effector: bool = False, heartbeat_interval: float = 0.25,
                 intervene: Optional[Intervene] = None, demonstrator: Optional[Demonstrator] = None,
                 env_interventions: bool = True) -> None:
        super().__init__(heartbeat_interval=heartbeat_interval)
        for name, hook in (("intervene", intervene), ("demonstrator", demonstrator)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be a callable, got {type(hook).__name__}")
        if isinstance(success, str):
            success = _info_flag(success)
        if not callable(success):
            raise TypeError("success must be a callable taking a Transition and returning a bool, "
                            "or the name of the env's success flag in info")
        if (joints is None) != (state is None):
            raise ValueError("give joints= and state= together (the names of the state frame's joints, and how to read them)")
        self.env = make_env()
        self.spaces = env_spaces(self.env, action_low, action_high)
        self._success = success
        self._progress = progress
        self._apply_dynamics = apply_dynamics
        self.robot = robot or _env_name(self.env)
        if state is not None and joints is not None:
            self._joints: List[str] = list(joints)
            self._state = state
            self._end_effector = end_effector
        else:
            self._joints, self._state = _mujoco_state(self.env)
            self._end_effector = False
        self._intervene = intervene
        self._demonstrator = demonstrator
        self._env_interventions = bool(env_interventions)
        space = self.env.action_space
        self._env_low = np.broadcast_to(np.asarray(space.low, dtype=np.float64), space.shape).reshape(-1)
        self._env_high = np.broadcast_to(np.asarray(space.high, dtype=np.float64), space.shape).reshape(-1)
        self._last: Optional[Tuple[np.ndarray, List[float]]] = None
        self._raw: Any = None                     # the env's last observation, as it returned it
        self._info: Dict[str, Any] = {}           # the last reset's or step's info
        self._demonstration = False               # the running attempt is a demonstration
        self._finished = False

    @property
    def joints(self) -> List[str]:
        """The state frame's joint names, in order."""
        return list(self._joints)

    def hello(self) -> Hello:
        period = None
        unwrapped = getattr(self.env, "unwrapped", self.env)
        dt = getattr(unwrapped, "dt", None)
        if isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0:
            period = float(dt)
        return Hello(robot=self.robot, observation_size=self.spaces.observation_size,
                     action_low=self.spaces.action_low, action_high=self.spaces.action_high,
                     joints=self._joints, end_effector=self._end_effector, control_period=period,
                     features=[DEMONSTRATION] if self._demonstrator is not None else [])

    def reset(self, request: ResetRequest) -> Tuple[np.ndarray, List[float]]:
        factors = {k: v for k, v in request.dynamics.items()}
        if self._apply_dynamics is not None:
            self._apply_dynamics(self.env, factors)
        else:
            shifted = {k: v for k, v in factors.items() if v != 1}
            if shifted:
                raise ControllerError(f"the task asks for dynamics {shifted}, but this controller applies none "
                                      "(serve_gymnasium(apply_dynamics=None))")
        if request.demonstration and self._demonstrator is None:
            raise ControllerError("reset asks for a demonstration attempt, but this controller has no demonstrator "
                                  "(serve_gymnasium(demonstrator=None))")
        observation, info = self.env.reset(seed=int(request.seed), options=dict(request.params) or None)
        obs = flatten_observation(self.env.observation_space, observation)
        self._finished = False
        self._raw, self._info = observation, dict(info)
        self._demonstration = request.demonstration
        self._last = (obs, self._state_vector())
        return self._last

    def step(self, action: np.ndarray) -> StepResult:
        assert self._last is not None
        if self._finished:
            held = StepResult(self._last[0], self._last[1], success=False)
            if self._demonstration:
                # Every reply of a demonstration is intervened; the person holds still.
                held.executed_action = np.clip(np.zeros(len(self.spaces.action_low)), self.spaces.action_low,
                                               self.spaces.action_high)
            return held
        dtype, shape = self.env.action_space.dtype, self.spaces.action_shape
        proposed = np.clip(action.astype(np.float64), self.spaces.action_low, self.spaces.action_high)
        person: Optional[np.ndarray] = None
        if self._demonstration:
            assert self._demonstrator is not None
            chosen = self._demonstrator(self._raw, dict(self._info))
            if chosen is None:
                raise ControllerError("demonstrator() returned None: in a demonstration attempt the person drives "
                                      "every step, so it must return an action")
            person = self._person_action(chosen, "demonstrator()")
        elif self._intervene is not None:
            chosen = self._intervene(self._raw, proposed.astype(dtype).reshape(shape), dict(self._info))
            if chosen is not None:
                person = self._person_action(chosen, "intervene()")
        act = person if person is not None else proposed
        observation, reward, terminated, truncated, info = self.env.step(act.astype(dtype).reshape(shape))
        obs = flatten_observation(self.env.observation_space, observation)
        transition = Transition(self.env, obs, float(reward), bool(terminated), bool(truncated), dict(info),
                                observation)
        success = bool(self._success(transition))
        progress = float(self._progress(transition)) if self._progress is not None else None
        executed = self._env_intervention(info) if self._env_interventions else None
        if executed is None:
            executed = person
        self._raw, self._info = observation, dict(info)
        self._last = (obs, self._state_vector())
        self._finished = (terminated or truncated) and not success
        return StepResult(self._last[0], self._last[1], success=success, progress=progress,
                          executed_action=executed)

    def _person_action(self, value: Any, source: str) -> np.ndarray:
        """A person's action, checked (:meth:`_checked_action`) and clipped to the env's action space."""
        return np.clip(self._checked_action(value, source), self._env_low, self._env_high)

    def _checked_action(self, value: Any, source: str) -> np.ndarray:
        """``value`` as a flat float64 action; refuses (naming ``source``) one of the wrong size
        or with a non-finite number."""
        try:
            array = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as error:
            raise ControllerError(f"{source} returned {type(value).__name__}, not an action of numbers: {error}") from error
        n = len(self.spaces.action_low)
        if array.size != n:
            raise ControllerError(f"{source} returned an action of {array.size} values; the action_space has {n} "
                                  f"components {tuple(self.spaces.action_shape)}")
        finite = np.isfinite(array)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise ControllerError(f"{source} returned an action whose [{bad}] is {array[bad]}; only finite numbers "
                                  "can be executed and reported")
        return array

    def _env_intervention(self, info: Mapping[str, Any]) -> Optional[np.ndarray]:
        """The action the env says a person executed this step (``info["is_intervention"]``), or None."""
        if not bool(np.all(info.get(INTERVENTION_FLAG, False))):
            return None
        for key in INTERVENTION_ACTION_KEYS:
            if key in info:
                # Reported as the env executed it (unclipped: it already happened).
                return self._checked_action(info[key], f"the env (step info[{key!r}])")
        raise ControllerError(f"{_env_name(self.env)}: step info says {INTERVENTION_FLAG!r} but carries no executed "
                              f"action under {' or '.join(repr(k) for k in INTERVENTION_ACTION_KEYS)} "
                              "(pass env_interventions=False to ignore the flag)")

    def stop(self, emergency: bool) -> None:
        # A simulated env has no motors to zero; the next reset starts afresh.
        self._finished = True

    def _state_vector(self) -> List[float]:
        positions, velocities, effector = self._state(self.env)
        values = [float(x) for x in positions] + [float(x) for x in velocities]
        if self._end_effector:
            if effector is None:
                raise ControllerError("state() returned no end effector, but end_effector=True")
            values += [float(x) for x in effector]
        return values


def serve_gymnasium(make_env: Callable[[], Any], endpoint: str, *, success: Union[str, Callable[[Transition], bool]],
                    progress: Optional[Callable[[Transition], float]] = None,
                    apply_dynamics: Optional[Callable[[Any, Dict[str, float]], None]] = None,
                    intervene: Optional[Intervene] = None, demonstrator: Optional[Demonstrator] = None,
                    **options: Any) -> None:
    """Serves ``make_env()`` as a ttad robot on ``endpoint`` until the controller is shut down
    (SIGINT/SIGTERM in the caller, or :meth:`Controller.shutdown`).

    ``intervene(observation, proposed_action, info) -> action or None`` lets a person take over
    single steps; ``demonstrator(observation, info) -> action`` drives demonstration attempts
    (and makes ``hello`` announce the ``demonstration`` feature); an env that reports
    ``info["is_intervention"]`` itself (gym-hil) is read without either. See
    :class:`GymnasiumController`. ``options`` go to :class:`GymnasiumController` (``robot``,
    ``action_low``, ``action_high``, ``joints`` with ``state``, ``heartbeat_interval``,
    ``env_interventions``). Write the matching robot-config with :func:`ttad.bridge.robot_config`.
    """
    controller = GymnasiumController(make_env, success=success, progress=progress,
                                     apply_dynamics=apply_dynamics, intervene=intervene,
                                     demonstrator=demonstrator, **options)
    controller.serve(endpoint)


def _info_flag(key: str) -> Callable[[Transition], bool]:
    """``success`` from the env's own flag ``info[key]``."""

    def flag(t: Transition) -> bool:
        if key not in t.info:
            raise ControllerError(f"{_env_name(t.env)}: step info has no {key!r} for success "
                                  f"(it has {sorted(t.info)}); pass the env's success key or a callable")
        return bool(np.all(t.info[key]))

    flag.__name__ = f"info[{key!r}]"
    return flag


def _env_name(env: Any) -> str:
    spec = getattr(env, "spec", None)
    if spec is not None and getattr(spec, "id", None):
        return str(spec.id)
    return type(getattr(env, "unwrapped", env)).__name__


def _mujoco_state(env: Any) -> Tuple[List[str], Callable[[Any], Tuple[Sequence[float], Sequence[float], None]]]:
    """The hinge and slide joints of a MuJoCo env (names, and a reader of their qpos/qvel)."""
    unwrapped = getattr(env, "unwrapped", env)
    model, data = getattr(unwrapped, "model", None), getattr(unwrapped, "data", None)
    try:
        import mujoco  # type: ignore[import-untyped]  # ships no type stubs
    except ImportError:
        mujoco = None
    if mujoco is None or not isinstance(model, mujoco.MjModel) or data is None:
        return [], lambda env: ((), (), None)
    names: List[str] = []
    qpos: List[int] = []
    dofs: List[int] = []
    for j in range(model.njnt):
        if int(model.jnt_type[j]) not in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)):
            continue
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"joint{j}"
        names.append(name)
        qpos.append(int(model.jnt_qposadr[j]))
        dofs.append(int(model.jnt_dofadr[j]))

    def read(env: Any) -> Tuple[Sequence[float], Sequence[float], None]:
        d = getattr(env, "unwrapped", env).data
        return d.qpos[qpos], d.qvel[dofs], None

    return names, read
