"""LeRobot's gym-hil (PyPI ``gym-hil``), the Gymnasium environments built for human-in-the-loop RL,
served through serve_gymnasium to a real daemon with a scripted person at gym-hil's own input
wrapper (``InputsControlWrapper``): its ``info["is_intervention"]`` and ``info["teleop_action"]``
reach ttad as bridge interventions (protocol 1.1).

Headless: gym-hil's envs always build a MuJoCo renderer, so this sets ``MUJOCO_GL=egl`` unless
set; its keyboard and gamepad need a display and a device, so the person is an
``InputController`` of gym-hil's that a script drives. gym-hil 0.1.14 pins ``mujoco<3.9``: give
it its own virtualenv when the main one has MuJoCo 4 (docs/python.md, "gym-hil"). Skipped,
visibly, when gym-hil is not installed (``pip install ./python[hil]``)."""
from __future__ import annotations

import importlib.util
import os
from typing import Any, List

import pytest

if importlib.util.find_spec("gym_hil") is None:
    pytest.skip("gym-hil is not installed (pip install './python[hil]', in a virtualenv of its own when "
                "mujoco 4 is installed: gym-hil 0.1.14 pins mujoco<3.9)", allow_module_level=True)
os.environ.setdefault("MUJOCO_GL", "egl")  # before MuJoCo picks its GL: gym-hil renders even without image_obs

import gym_hil  # noqa: E402
from gym_hil.wrappers import intervention_utils  # noqa: E402

from ttad.bridge import GymnasiumController, robot_config  # noqa: E402

#: The steps (1-based, of every attempt) the scripted person drives.
TAKEOVER = (3, 4, 5)


class ScriptedPerson(intervention_utils.InputController):
    """The person at gym-hil's keyboard, scripted: holds the intervention key during the
    ``TAKEOVER`` steps of each episode, pushing the arm down with the gripper closing."""

    def __init__(self, x_step_size: float = 1.0, y_step_size: float = 1.0, z_step_size: float = 1.0) -> None:
        super().__init__(x_step_size, y_step_size, z_step_size)
        self.step = 0
        self.takeovers = 0

    def reset(self) -> None:  # InputsControlWrapper.reset calls it before the env's reset
        self.step = 0

    def update(self) -> None:  # once at the start of every step
        self.step += 1
        self.intervention_flag = self.step in TAKEOVER
        self.close_gripper_command = self.intervention_flag
        self.takeovers += int(self.intervention_flag)

    def get_deltas(self) -> Any:
        return (0.0, 0.0, -1.0) if self.intervention_flag else (0.0, 0.0, 0.0)


def pick_cube_with_a_person(monkeypatch: pytest.MonkeyPatch) -> Any:
    """gym-hil's PandaPickCube wrapped by its own factory, as ``gym_hil/PandaPickCubeKeyboard-v0``
    is (without the viewer and the reset delay), with the scripted person as its keyboard."""
    from gym_hil.envs import PandaPickCubeGymEnv

    monkeypatch.setattr(intervention_utils, "KeyboardController", ScriptedPerson)
    try:
        base = PandaPickCubeGymEnv()
    except Exception as error:  # no EGL here
        pytest.skip(f"gym-hil's PandaPickCube cannot be made here (MUJOCO_GL={os.environ.get('MUJOCO_GL')}): "
                    f"{type(error).__name__}: {error}")
    return gym_hil.wrap_env(base, use_inputs_control=True, use_gamepad=False, reset_delay_seconds=0.0)


def test_gym_hil_interventions_reach_a_real_daemon_as_intervened_steps(daemon_factory, serve, workdir, monkeypatch):
    controller = GymnasiumController(lambda: pick_cube_with_a_person(monkeypatch), success="succeed",
                                     robot="gym-hil-pick-cube")
    person = controller.env.env.controller  # ResetDelayWrapper(InputsControlWrapper(...))
    assert isinstance(person, ScriptedPerson), "gym-hil's InputsControlWrapper took the scripted keyboard"
    endpoint = f"ipc://{workdir}/pick.sock"
    # gym-hil steps 50 physics steps per control step: give a loaded machine room.
    config = robot_config(controller.env, endpoint=endpoint, tasks={"pick": {}}, max_steps=12,
                          step_deadline_ms=5000)
    serve(controller, name="pick")
    d = daemon_factory({"gym-hil-pick-cube": config}, "gym-hil-pick-cube")
    task_ids: List[str] = []
    with d.client() as client:
        for seed in (1, 2):
            task_ids.append(client.submit("pick", attempts=2, seed=seed)["task_id"])
        infos = [client.wait_task(task_id, deadline=600) for task_id in task_ids]
    for info in infos:
        assert info["state"] == "done", info
        for attempt in info["attempts"]:
            assert attempt.get("abort_reason") is None, attempt
            assert attempt["steps"] == 12, attempt
            assert attempt.get("intervened_steps") == len(TAKEOVER), attempt
            # The person's [0, 0, -1, 0] is inside gym-hil's action bounds.
            assert "interventions_past_limits" not in attempt, attempt
    assert person.takeovers == len(TAKEOVER) * 4
