"""A scripted person at a Gymnasium robot, for teach.py: the benchmark's expert (expert.py)
demonstrates whole episodes and takes over an attempt that stalls, through
``ttad.bridge.GymnasiumController``'s ``demonstrator`` and ``intervene`` hooks (bridge protocol
1.1/1.2), the path a real teleoperation rig takes.

The takeover rule is ttad-lab's (Sources/Demonstrators/StallTakeover.swift), ported: after
``stall_steps`` of the policy's steps in which the benchmark's ``progress`` has not risen by
``minimum_gain``, the person drives ``hold_steps`` steps, then hands back and the count starts again.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import gymnasium
import numpy as np

from benchmarks import Benchmark
from ttad.bridge import Transition
from ttad.bridge.gymnasium_env import flatten_observation


class StallTakeover:
    """When the person takes over (a port of ttad-lab's ``StallTakeover``)."""

    def __init__(self, stall_steps: int, hold_steps: int, minimum_gain: float = 0.01) -> None:
        if stall_steps < 1 or hold_steps < 1 or minimum_gain < 0:
            raise ValueError("stall_steps and hold_steps must be >= 1 and minimum_gain >= 0")
        self.stall_steps, self.hold_steps, self.minimum_gain = stall_steps, hold_steps, minimum_gain
        self.reset()

    def reset(self) -> None:
        """A new attempt: no progress yet, nobody driving."""
        self.best = 0.0
        self.without_progress = 0
        self.driving = 0
        self.drove_last_step = False

    def person_drives_next_step(self) -> bool:
        """Whether the person drives the next step (once per step, before it)."""
        if self.driving == 0 and self.without_progress >= self.stall_steps:
            self.driving = self.hold_steps
            self.without_progress = 0
        if self.driving == 0:
            self.drove_last_step = False
            return False
        self.driving -= 1
        self.drove_last_step = True
        return True

    def observe(self, progress: float) -> None:
        """The progress after a step. A step the person drove raises the bar but is no stall of
        the robot's: after handing back, the robot gets ``stall_steps`` steps of its own."""
        if self.drove_last_step:
            self.best = max(self.best, progress)
            return
        if progress >= self.best + self.minimum_gain:
            self.best = progress
            self.without_progress = 0
        else:
            self.without_progress += 1


class ScriptedPerson:
    """The benchmark's expert as the person: ``demonstrate`` and ``intervene`` are the controller's
    hooks; ``wrap(make_env)`` lets the person see each reset (a new attempt). Counts what it drove."""

    def __init__(self, bench: Benchmark, stall_steps: int = 10, hold_steps: int = 10,
                 takeovers: bool = True) -> None:
        if bench.expert is None or bench.progress is None:
            raise ValueError(f"{bench.name} has no scripted expert or no progress: nobody to play the person")
        self.bench = bench
        self.expert: Callable[[np.ndarray], np.ndarray] = bench.expert
        self.rule = StallTakeover(stall_steps, hold_steps)
        self.takeovers = takeovers
        self.env: Any = None
        self.first_step = True
        self.driven_steps = 0

    def wrap(self, make_env: Callable[[], Any]) -> Callable[[], Any]:
        """A factory of ``make_env``'s env whose resets start a new attempt for the person."""
        person = self

        class Watched(gymnasium.Wrapper):  # type: ignore[misc]
            def reset(self, **kwargs: Any) -> Any:
                person.rule.reset()
                person.first_step = True
                return self.env.reset(**kwargs)

        def make() -> Any:
            person.env = Watched(make_env())
            return person.env

        return make

    def _flat(self, raw: Any) -> np.ndarray:
        return flatten_observation(self.env.observation_space, raw)

    def demonstrate(self, raw: Any, info: Dict[str, Any]) -> np.ndarray:
        """A demonstration step: the expert's action."""
        self.driven_steps += 1
        return np.asarray(self.expert(self._flat(raw)), dtype=np.float64)

    def intervene(self, raw: Any, proposed: np.ndarray, info: Dict[str, Any]) -> Optional[np.ndarray]:
        """Before each step of an attempt: the expert's action when the person takes over, else None."""
        if not self.takeovers:
            return None
        obs = self._flat(raw)
        if not self.first_step:
            self.rule.observe(float(self.bench.progress(Transition(self.env, obs, 0.0, False, False, dict(info), raw))))
        self.first_step = False
        if not self.rule.person_drives_next_step():
            return None
        self.driven_steps += 1
        return np.asarray(self.expert(obs), dtype=np.float64)
