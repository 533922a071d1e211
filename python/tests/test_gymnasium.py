"""serve_gymnasium and robot_config: a real daemon drives gymnasium's Reacher-v5 (MuJoCo from PyPI);
spaces ttad cannot use are refused naming what is wrong. Skipped, visibly, without gymnasium or
mujoco (pip install ./python[test])."""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="gymnasium is not installed (pip install 'gymnasium[mujoco]')")
pytest.importorskip("mujoco", reason="mujoco is not installed (pip install 'gymnasium[mujoco]')")

from gymnasium import spaces  # noqa: E402

from ttad.bridge import GymnasiumController, ResetRequest, SpaceError, Transition, env_spaces, robot_config  # noqa: E402


def reacher() -> Any:
    try:
        return gymnasium.make("Reacher-v5")
    except Exception as error:  # gymnasium without its MuJoCo extras (imageio)
        pytest.skip(f"Reacher-v5 cannot be made here: {error}")


def reached(t: Transition) -> bool:
    # Reacher-v5's info["reward_dist"] is minus the fingertip-target distance.
    return -t.info["reward_dist"] < 0.02


class Toy(gymnasium.Env):
    """An env with whatever spaces a test gives it."""

    def __init__(self, observation_space: Any, action_space: Any) -> None:
        self.observation_space = observation_space
        self.action_space = action_space


def test_an_unbounded_action_space_is_refused_naming_the_components():
    env = Toy(spaces.Box(-1, 1, (3,)), spaces.Box(np.array([-1.0, -np.inf], np.float32), np.array([1.0, np.inf], np.float32)))
    with pytest.raises(SpaceError) as refused:
        env_spaces(env)
    message = str(refused.value)
    assert "action_space" in message and "unbounded at component(s) [1] in [-inf, inf]" in message
    assert "action_low=/action_high=" in message
    bounded = env_spaces(env, action_low=[-1, -2], action_high=[1, 2])
    assert bounded.action_low == [-1.0, -2.0] and bounded.action_high == [1.0, 2.0]


def test_an_unbounded_observation_space_is_fine_but_a_discrete_one_is_named():
    assert env_spaces(Toy(spaces.Box(-np.inf, np.inf, (2, 3)), spaces.Box(-1, 1, (1,)))).observation_size == 6
    with pytest.raises(SpaceError, match=r"observation_space is Discrete\(4\)"):
        env_spaces(Toy(spaces.Discrete(4), spaces.Box(-1, 1, (1,))))
    with pytest.raises(SpaceError, match=r"action_space is Discrete\(2\); ttad needs a Box"):
        env_spaces(Toy(spaces.Box(-1, 1, (2,)), spaces.Discrete(2)))


def test_serve_gymnasium_refuses_an_unbounded_env_before_serving():
    with pytest.raises(SpaceError, match="unbounded"):
        GymnasiumController(lambda: Toy(spaces.Box(-1, 1, (2,)), spaces.Box(-np.inf, np.inf, (2,))),
                            success=lambda t: False)


def test_robot_config_takes_sizes_and_bounds_from_the_spaces():
    env = reacher()
    text = robot_config(env, endpoint="ipc:///tmp/r.sock", tasks={"reach": {}},
                        dynamics={"damping_scale": (0.5, 2)}, safety={"joint_velocity_limit": 100})
    assert "observation_size: 10\n" in text and "  size: 2\n" in text
    assert "  low: [-1, -1]\n" in text and "max_steps: 50\n" in text
    assert 'dynamics: {"damping_scale": {"low": 0.5, "high": 2}}' in text
    # A factor of the controller's own is declared with its default; without one it is refused.
    own = robot_config(env, endpoint="ipc:///tmp/r.sock", dynamics={"payload_kg": (0, 2.5, 0.5)})
    assert 'dynamics: {"payload_kg": {"low": 0, "high": 2.5, "default": 0.5}}' in own
    with pytest.raises(ValueError, match=r"dynamics\.wind: a factor of the controller's own needs \(low, high, default\)"):
        robot_config(env, endpoint="ipc:///tmp/r.sock", dynamics={"wind": (0.5, 2)})
    with pytest.raises(ValueError, match=r"dynamics\.damping_scale: a built-in scale factor needs"):
        robot_config(env, endpoint="ipc:///tmp/r.sock", dynamics={"damping_scale": (2, 3)})


def test_the_mujoco_joints_make_the_state_frame():
    controller = GymnasiumController(reacher, success=reached)
    assert controller.joints == ["joint0", "joint1", "target_x", "target_y"]
    observation, state = controller.reset(ResetRequest("reach", seed=5))
    assert len(observation) == 10 and len(state) == 8


class Recording(GymnasiumController):
    """Remembers each reset's first observation and the dynamics it was given."""

    def __init__(self, **options: Any) -> None:
        self.starts: List[np.ndarray] = []
        self.seeds: List[int] = []
        self.dynamics: List[Dict[str, float]] = []
        super().__init__(reacher, success=reached, progress=self.progress_of,
                         apply_dynamics=self.apply, **options)
        self.nominal_damping = self.env.unwrapped.model.dof_damping.copy()

    def progress_of(self, t: Transition) -> float:
        return max(0.0, 1.0 - (-t.info["reward_dist"]) / 0.4)

    def apply(self, env: Any, factors: Dict[str, float]) -> None:
        self.dynamics.append(dict(factors))
        env.unwrapped.model.dof_damping[:] = self.nominal_damping * factors.get("damping_scale", 1.0)

    def reset(self, request: ResetRequest):
        observation, state = super().reset(request)
        self.starts.append(np.array(observation))
        self.seeds.append(request.seed)
        return observation, state


def test_a_real_daemon_drives_reacher_through_serve_gymnasium(daemon_factory, serve, workdir):
    controller = Recording()
    endpoint = f"ipc://{workdir}/reacher.sock"
    config = robot_config(controller.env, endpoint=endpoint, tasks={"reach": {}},
                          dynamics={"damping_scale": (0.5, 2)}, safety={"joint_velocity_limit": 200})
    served = serve(controller, name="reacher")
    assert served.endpoint == endpoint
    d = daemon_factory({"reacher": config}, "reacher")
    with d.client() as client:
        assert client.status()["backend"] == "bridge"
        task_id = client.submit("reach", attempts=4, seed=11, dynamics={"damping_scale": 2})["task_id"]
        info = client.wait_task(task_id, deadline=300)
    assert info["state"] == "done", info
    assert len(info["attempts"]) == 4
    for attempt in info["attempts"]:
        assert attempt.get("abort_reason") is None, attempt
        assert 0 < attempt["steps"] <= 50
    # The N attempts of a task face the same start (the task seed), under the asked dynamics.
    assert len(set(controller.seeds)) == 1 and len(controller.starts) == 4
    for start in controller.starts[1:]:
        np.testing.assert_array_equal(start, controller.starts[0])
    assert controller.dynamics == [{"damping_scale": 2.0}] * 4


def test_robot_config_writes_the_file_atomically_when_given_a_path(workdir):
    path = f"{workdir}/gym-reacher.yaml"
    text = robot_config(reacher(), endpoint="ipc:///tmp/r.sock", path=path)
    with open(path) as f:
        assert f.read() == text
    import os
    assert sorted(os.listdir(workdir)) == ["gym-reacher.yaml"], "no temporary file left behind"


def test_dynamics_without_apply_dynamics_are_refused_naming_the_factor():
    from ttad.bridge import ControllerError

    controller = GymnasiumController(reacher, success=reached)
    controller.reset(ResetRequest("reach", dynamics={"damping_scale": 1.0}))  # nominal: fine
    with pytest.raises(ControllerError, match="damping_scale': 2.0"):
        controller.reset(ResetRequest("reach", dynamics={"damping_scale": 2.0}))


def test_the_gymnasium_example_serves_reacher_with_the_config_it_writes(daemon_factory, workdir):
    import os
    import subprocess
    import sys
    import time

    from conftest import REPO

    endpoint = f"ipc://{workdir}/gym-reacher.sock"
    config = f"{workdir}/gym-reacher.yaml"
    script = os.path.join(REPO, "examples", "gymnasium_reacher", "serve.py")
    process = subprocess.Popen([sys.executable, script, "--endpoint", endpoint, "--write-config", config])
    try:
        end = time.monotonic() + 60
        while not os.path.exists(config):
            assert process.poll() is None, f"serve.py exited with {process.returncode}"
            assert time.monotonic() < end, "serve.py wrote no robot-config within 60 s"
            time.sleep(0.05)
        with open(config) as f:
            d = daemon_factory({"gym-reacher": f.read()}, "gym-reacher")
        with d.client() as client:
            task = client.submit("reach", attempts=2, adapt=False, dynamics={"damping_scale": 1.5, "gear_scale": 0.8})
            info = client.wait_task(task["task_id"], deadline=300)
    finally:
        process.terminate()
        process.wait(10)
    assert info["state"] == "done", info
    assert [a.get("abort_reason") for a in info["attempts"]] == [None, None], info["attempts"]
