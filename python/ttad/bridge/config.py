"""Writes the bridge robot-config (docs/robot-config.md) that matches a Gymnasium environment."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from .._files import write_atomically
from .gymnasium_env import env_spaces

__all__ = ["robot_config", "write_atomically"]

#: ttad's built-in dynamics scale factors: neutral at 1, so a range must contain 1 and the default
#: is 1. A bridge robot-config may also declare factors of its controller's own (any other
#: lower-case name), each with a ``default`` (docs/robot-config.md, "Dynamics").
KNOWN_DYNAMICS = ("damping_scale", "gear_scale", "mass_scale", "friction_scale")


def robot_config(env: Any, *, endpoint: str, tasks: Optional[Mapping[str, Any]] = None,
                 dynamics: Optional[Mapping[str, Sequence[float]]] = None, max_steps: Optional[int] = None,
                 step_deadline_ms: float = 250, safety: Optional[Mapping[str, Any]] = None,
                 action_low: Optional[Sequence[float]] = None, action_high: Optional[Sequence[float]] = None,
                 hello_deadline_ms: float = 10000, reset_deadline_ms: float = 30000,
                 policy: Optional[Mapping[str, Any]] = None, learning: Optional[Mapping[str, Any]] = None,
                 adaptation: Optional[Mapping[str, Any]] = None, description: Optional[str] = None,
                 path: Optional[str] = None) -> str:
    """The YAML text of a bridge robot-config for ``env`` served at ``endpoint``; with ``path``,
    also written there atomically (the file stem is the robot's name for ttad).

    Sizes and action bounds come from the env's spaces exactly as :class:`GymnasiumController`
    reports them in ``hello`` (pass the same ``action_low``/``action_high``); a ``Dict``/``Tuple``
    observation is flattened, and a comment says where each part lands. An action space with an
    unbounded component is refused naming it (:class:`SpaceError`) unless bounded here. ``max_steps``
    defaults to the env's ``max_episode_steps``. ``tasks``: name -> ``{"params": {name: {"low",
    "high", "default"?}}}`` (default: one task ``episode`` without parameters). ``dynamics``:
    factor -> ``(low, high)`` for a built-in scale factor (:data:`KNOWN_DYNAMICS`, default 1), or
    ``(low, high, default)`` for a factor of the controller's own; only if the controller has
    ``apply_dynamics``. ``safety``: the
    envelope (default none beyond ttad's clamping and non-finite checks; joint limits may name
    the controller's ``joints``). ``policy``/``learning``/``adaptation``: those sections as is.
    """
    spaces = env_spaces(env, action_low, action_high)
    if max_steps is None:
        spec = getattr(env, "spec", None)
        max_steps = getattr(spec, "max_episode_steps", None)
        if not max_steps:
            raise ValueError(f"{getattr(spec, 'id', type(env).__name__)} has no max_episode_steps: pass max_steps=")
    if int(max_steps) < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    declared: Dict[str, Dict[str, Any]] = {}
    for factor, bounds in (dynamics or {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", factor):
            raise ValueError(f"dynamics: factor name {factor!r} must be lower-case letters, digits and _")
        if factor in KNOWN_DYNAMICS:
            if len(bounds) != 2 or not 0 < bounds[0] <= 1 <= bounds[1]:
                raise ValueError(f"dynamics.{factor}: a built-in scale factor needs (low, high) with "
                                 f"0 < low <= 1 <= high, got {tuple(bounds)}")
            declared[factor] = {"low": bounds[0], "high": bounds[1]}
        else:
            if len(bounds) != 3 or not bounds[0] <= bounds[2] <= bounds[1]:
                raise ValueError(f"dynamics.{factor}: a factor of the controller's own needs (low, high, default) "
                                 f"with low <= default <= high, got {tuple(bounds)} (ttad knows no neutral value "
                                 f"for it; the built-in ones are {', '.join(KNOWN_DYNAMICS)})")
            declared[factor] = {"low": bounds[0], "high": bounds[1], "default": bounds[2]}
    spec = getattr(env, "spec", None)
    lines = [
        f"# Written by ttad.bridge.robot_config for {getattr(spec, 'id', None) or type(env).__name__}.",
        f"description: {_scalar(description or 'a Gymnasium environment served by ttad.bridge.serve_gymnasium')}",
        "backend:",
        "  type: bridge",
        f"  endpoint: {_scalar(endpoint)}",
        f"  hello_deadline_ms: {_scalar(hello_deadline_ms)}",
        f"  reset_deadline_ms: {_scalar(reset_deadline_ms)}",
        *_layout_comment(spaces.observation_layout),
        f"observation_size: {spaces.observation_size}",
        "action:",
        f"  size: {len(spaces.action_low)}",
        f"  low: {_scalar(spaces.action_low)}",
        f"  high: {_scalar(spaces.action_high)}",
        f"max_steps: {int(max_steps)}",
        f"step_deadline_ms: {_scalar(step_deadline_ms)}",
        f"tasks: {_scalar(dict(tasks) if tasks else {'episode': {}})}",
    ]
    if dynamics:
        lines.append(f"dynamics: {_scalar(declared)}")
    lines.append(f"safety: {_scalar(dict(safety or {}))}")
    for key, section in (("policy", policy), ("learning", learning), ("adaptation", adaptation)):
        if section:
            lines.append(f"{key}: {_scalar(dict(section))}")
    text = "\n".join(lines) + "\n"
    if path is not None:
        write_atomically(path, text)
    return text


def _layout_comment(layout: Sequence[Any]) -> List[str]:
    """Comment lines saying where each part of a Dict/Tuple observation lands (none for a Box)."""
    if len(layout) <= 1 and (not layout or layout[0][0] == ""):
        return []
    parts = ", ".join(f"{path or '[]'} {start}:{start + size}" for path, start, size in layout)
    return [f"# observation (flattened, space order): {parts}"]


def _scalar(value: Any) -> str:
    """YAML flow text for ``value``: JSON (valid YAML) with numbers always in positional notation,
    since YAML 1.1 readers take ``1e-05`` for a string."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"a robot-config cannot hold the non-finite number {x}")
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        return np.format_float_positional(x, trim="-")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} into a robot-config")
