"""Bring your own robot: the bridge protocol's controller side (docs/bridge-protocol.md).

- :class:`Controller`: subclass it, write ``hello``, ``reset``, ``step``, ``stop``; ``serve(endpoint)``.
- :func:`serve_gymnasium`: any Gymnasium environment as a ttad robot, optionally with a person
  who takes over (``intervene=``, or the env's own ``info["is_intervention"]``) or demonstrates
  (``demonstrator=``).
- :func:`robot_config`: the matching bridge robot-config for ttad.

The Gymnasium parts import ``gymnasium`` only when used (``pip install ttad[gymnasium]``).
"""
from __future__ import annotations

from typing import Any

from .controller import BRIDGE_VERSION, DEMONSTRATION, Controller, ControllerError, Hello, ResetRequest, StepResult

__all__ = [
    "BRIDGE_VERSION", "DEMONSTRATION", "Controller", "ControllerError", "Hello", "ResetRequest", "StepResult",
    "GymnasiumController", "Transition", "SpaceError", "env_spaces", "serve_gymnasium", "robot_config",
]

_LAZY = {
    "GymnasiumController": "gymnasium_env", "Transition": "gymnasium_env", "SpaceError": "gymnasium_env",
    "env_spaces": "gymnasium_env", "serve_gymnasium": "gymnasium_env", "robot_config": "config",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that a plain controller needs neither gymnasium nor its import time.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ttad.bridge' has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(f".{module}", __name__), name)
