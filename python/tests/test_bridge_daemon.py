"""ttad.bridge.Controller driven by a real daemon: what a controller gets wrong is reported by
name in the task, heartbeats keep a long reset alive, an e-stop reaches a controller mid-reset."""
from __future__ import annotations

import threading
import time
from typing import List, Tuple

import numpy as np

from conftest import point_mass_config
from ttad.bridge import Controller, Hello, ResetRequest, StepResult


class Slab(Controller):
    """The point-mass's capabilities (so point-mass.yaml fits) with scripted faults."""

    def __init__(self, short_observation_at_step: int = 0, reset_seconds: float = 0.0) -> None:
        super().__init__(heartbeat_interval=0.1)
        self.short_observation_at_step = short_observation_at_step
        self.reset_seconds = reset_seconds
        self.steps = 0
        self.stops: List[bool] = []
        self.reset_started = threading.Event()
        self.reset_done = threading.Event()

    def hello(self) -> Hello:
        return Hello(robot="slab", observation_size=8, action_low=[-1, -1], action_high=[1, 1],
                     joints=["x", "y"], end_effector=True, control_period=0.02)

    def reset(self, request: ResetRequest) -> Tuple[List[float], List[float]]:
        self.reset_started.set()
        end = time.monotonic() + self.reset_seconds
        while time.monotonic() < end and not self.stops:
            time.sleep(0.01)
        self.reset_done.set()
        self.steps = 0
        return [0.0] * 8, [0.0] * 7

    def step(self, action: np.ndarray) -> StepResult:
        self.steps += 1
        size = 7 if self.steps == self.short_observation_at_step else 8
        return StepResult([0.0] * size, [0.0] * 7, success=False)

    def stop(self, emergency: bool) -> None:
        self.stops.append(emergency)


def test_a_wrong_observation_size_in_a_step_is_reported_by_name(daemon_factory, serve):
    controller = Slab(short_observation_at_step=3)
    served = serve(controller)
    d = daemon_factory({"point-mass": point_mass_config(served.endpoint)}, "point-mass")
    with d.client() as client:
        info = client.wait_task(client.submit("reach", attempts=1, adapt=False)["task_id"], deadline=120)
    attempt = info["attempts"][0]
    assert attempt["steps"] <= 3
    assert attempt.get("abort_reason") == ("hardware_fault: controller refused step: "
                                       "step(): observation has 7 values, hello() declared 8"), attempt
    assert controller.stops, "ttad stopped the robot after the fault"


def test_heartbeats_keep_a_reset_longer_than_the_heartbeat_timeout_alive(daemon_factory, serve):
    # point-mass.yaml's heartbeat_timeout_ms is the default 2 s; this reset takes 3 s.
    controller = Slab(reset_seconds=3.0)
    served = serve(controller)
    d = daemon_factory({"point-mass": point_mass_config(served.endpoint)}, "point-mass")
    with d.client() as client:
        info = client.wait_task(client.submit("reach", attempts=1, adapt=False)["task_id"], deadline=120)
    attempt = info["attempts"][0]
    assert attempt.get("abort_reason") is None and attempt["steps"] > 0, attempt


def test_an_estop_reaches_a_controller_in_the_middle_of_a_reset(daemon_factory, serve):
    controller = Slab(reset_seconds=60.0)
    served = serve(controller)
    d = daemon_factory({"point-mass": point_mass_config(served.endpoint)}, "point-mass")
    with d.client() as client:
        task_id = client.submit("reach", attempts=1, adapt=False)["task_id"]
        assert controller.reset_started.wait(60)
        client.estop()
        assert controller.reset_done.wait(30), "the reset saw the e-stop (stop(True) ran during it)"
        info = client.wait_task(task_id, deadline=120)
        client.resume()
    assert True in controller.stops
    assert all(a["steps"] == 0 for a in info["attempts"]), info
