"""More Gymnasium environments driven by a real daemon through serve_gymnasium: gymnasium's
Pusher-v5, and gymnasium-robotics' manipulation and goal tasks whose environments report success
themselves (Adroit's door, info["success"]; PointMaze and Fetch with Dict observations). Dict
observations are flattened in the space's order; a controller whose observation size disagrees
with the robot-config is reported with both sizes. Each package that is missing skips its tests,
visibly (pytest -rs shows why)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="gymnasium is not installed (pip install 'gymnasium[mujoco]')")
pytest.importorskip("mujoco", reason="mujoco is not installed (pip install 'gymnasium[mujoco]')")

from gymnasium import spaces  # noqa: E402

from ttad.bridge import (  # noqa: E402
    ControllerError, GymnasiumController, ResetRequest, SpaceError, Transition, env_spaces, robot_config,
)
from ttad.bridge.gymnasium_env import flatten_observation  # noqa: E402


def robotics() -> Any:
    """gymnasium_robotics with its environments registered (skips when it is not installed)."""
    module = pytest.importorskip("gymnasium_robotics",
                                 reason="gymnasium-robotics is not installed (pip install gymnasium-robotics)")
    gymnasium.register_envs(module)
    return module


def make(env_id: str, **kwargs: Any) -> Any:
    try:
        return gymnasium.make(env_id, **kwargs)
    except Exception as error:  # an env whose package does not work with this mujoco
        import mujoco
        pytest.skip(f"{env_id} cannot be made with mujoco {mujoco.__version__}: {type(error).__name__} {error}".strip())


class Toy(gymnasium.Env):
    """An env with whatever spaces a test gives it, returning `observation` from reset and step."""

    def __init__(self, observation_space: Any, action_space: Any, observation: Any = None) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.observation = observation

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        super().reset(seed=seed)
        return self.observation, {}

    def step(self, action: Any) -> Any:
        return self.observation, 0.0, False, False, {"is_success": 1.0}


def goal_space() -> Any:
    return spaces.Dict({
        "observation": spaces.Box(-np.inf, np.inf, (3,)),
        "desired_goal": spaces.Box(-1, 1, (2,)),
        "achieved_goal": spaces.Box(-1, 1, (2,)),
    })


# --- Dict observations ------------------------------------------------------------------------

def test_a_dict_observation_is_flattened_in_the_space_order_with_its_layout():
    space = goal_space()
    layout = env_spaces(Toy(space, spaces.Box(-1, 1, (2,)))).observation_layout
    # gymnasium sorts a Dict's keys: the flat vector follows that order, not the dict's.
    assert layout == [("achieved_goal", 0, 2), ("desired_goal", 2, 2), ("observation", 4, 3)]
    observation = {"observation": [7, 8, 9], "desired_goal": [3, 4], "achieved_goal": [1, 2]}
    np.testing.assert_array_equal(flatten_observation(space, observation), [1, 2, 3, 4, 7, 8, 9])


def test_a_nested_dict_and_tuple_observation_is_flattened():
    space = spaces.Dict({"arm": spaces.Tuple((spaces.Box(-1, 1, (2,)), spaces.Box(-1, 1, (1,)))),
                         "cube": spaces.Box(-1, 1, (2, 2))})
    spaces_ = env_spaces(Toy(space, spaces.Box(-1, 1, (1,))))
    assert spaces_.observation_size == 7
    assert [part[0] for part in spaces_.observation_layout] == ["arm[0]", "arm[1]", "cube"]
    flat = flatten_observation(space, {"arm": ([1, 2], [3]), "cube": [[4, 5], [6, 7]]})
    np.testing.assert_array_equal(flat, [1, 2, 3, 4, 5, 6, 7])


def test_a_dict_part_that_is_not_a_box_is_refused_naming_its_key():
    space = spaces.Dict({"pose": spaces.Box(-1, 1, (3,)), "gripper": spaces.Discrete(2)})
    with pytest.raises(SpaceError, match=r"observation_space\['gripper'\] is Discrete\(2\); ttad needs a Box"):
        env_spaces(Toy(space, spaces.Box(-1, 1, (1,))))


def test_an_observation_missing_a_dict_key_is_refused_naming_it():
    controller = GymnasiumController(lambda: Toy(goal_space(), spaces.Box(-1, 1, (2,)),
                                                 {"observation": [0, 0, 0], "desired_goal": [0, 0]}),
                                     success="is_success")
    with pytest.raises(ControllerError, match=r"no 'achieved_goal' \(it has \['desired_goal', 'observation'\]\)"):
        controller.reset(ResetRequest("t", seed=1))


def test_robot_config_of_a_dict_env_has_the_flat_size_and_says_where_each_part_lands():
    text = robot_config(Toy(goal_space(), spaces.Box(-1, 1, (2,))), endpoint="ipc:///tmp/g.sock", max_steps=10)
    assert "observation_size: 7\n" in text
    assert "# observation (flattened, space order): achieved_goal 0:2, desired_goal 2:4, observation 4:7\n" in text


# --- Unbounded spaces and success flags ---------------------------------------------------------

def test_robot_config_refuses_an_unbounded_action_space_naming_the_component_and_bound():
    env = Toy(spaces.Box(-1, 1, (2,)), spaces.Box(np.array([-1.0, -1.0], np.float32), np.array([1.0, np.inf], np.float32)))
    with pytest.raises(SpaceError) as refused:
        robot_config(env, endpoint="ipc:///tmp/u.sock", max_steps=10)
    assert "action_space" in str(refused.value) and "[1] in [-1.0, inf]" in str(refused.value)
    text = robot_config(env, endpoint="ipc:///tmp/u.sock", max_steps=10, action_low=[-1, -1], action_high=[1, 3])
    assert "  high: [1, 3]\n" in text


def test_an_unbounded_observation_space_is_accepted_since_ttad_checks_each_observation():
    # ttad's robot-config has no observation bounds; every observation is checked finite instead.
    assert env_spaces(Toy(spaces.Box(-np.inf, np.inf, (4,)), spaces.Box(-1, 1, (1,)))).observation_size == 4


def test_a_success_flag_missing_from_info_is_refused_naming_the_key():
    controller = GymnasiumController(lambda: Toy(spaces.Box(-1, 1, (2,)), spaces.Box(-1, 1, (1,)), np.zeros(2)),
                                     success="success")
    controller.reset(ResetRequest("t", seed=1))
    with pytest.raises(ControllerError, match=r"step info has no 'success' for success \(it has \['is_success'\]\)"):
        controller.step(np.zeros(1, np.float32))
    flagged = GymnasiumController(lambda: Toy(spaces.Box(-1, 1, (2,)), spaces.Box(-1, 1, (1,)), np.zeros(2)),
                                  success="is_success")
    flagged.reset(ResetRequest("t", seed=1))
    assert flagged.step(np.zeros(1, np.float32)).success is True


# --- Real daemon ------------------------------------------------------------------------------

#: A small policy: a debug daemon takes tens of seconds to set up the default binned head for
#: a 28-action hand, and these tests are about the environments, not the policy.
SMALL = {"hidden_sizes": [32, 32], "head": "gaussian"}


def run_task(daemon_factory: Any, name: str, config: str, task: str, **submit: Any) -> Dict[str, Any]:
    d = daemon_factory({name: config}, name)
    with d.client() as client:
        assert client.status()["backend"] == "bridge"
        task_id = client.submit(task, **submit)["task_id"]
        info = client.wait_task(task_id, deadline=300)
    assert info["state"] == "done", info
    return info


def test_a_real_daemon_drives_pusher_through_serve_gymnasium(daemon_factory, serve, workdir):
    # Pusher-v5's info["reward_dist"] is minus the object-goal distance.
    controller = GymnasiumController(lambda: make("Pusher-v5"), success=lambda t: -t.info["reward_dist"] < 0.05)
    assert controller.spaces.observation_size == 23 and len(controller.spaces.action_low) == 7
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/pusher.sock", tasks={"push": {}}, max_steps=20)
    serve(controller, name="pusher")
    info = run_task(daemon_factory, "gym-pusher", config, "push", attempts=3, seed=5)
    assert len(info["attempts"]) == 3
    for attempt in info["attempts"]:
        assert attempt.get("abort_reason") is None, attempt
        assert 0 < attempt["steps"] <= 20


class DoorFlags(GymnasiumController):
    """Adroit's door, success from the env's own info["success"]; remembers each step's flag."""

    def __init__(self) -> None:
        self.flags: List[bool] = []
        super().__init__(lambda: StartOpen(make("AdroitHandDoor-v1")), success=self.flag)

    def flag(self, t: Transition) -> bool:
        self.flags.append(bool(t.info["success"]))
        return self.flags[-1]


class StartOpen(gymnasium.Wrapper):
    """Starts the door open (hinge at 1.5 rad; the env calls >= 1.35 success) when the task's
    params say start_open > 0.5: a gymnasium wrapper, so success stays the env's own verdict."""

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        observation, info = self.env.reset(seed=seed)
        if options and options.get("start_open", 0) > 0.5:
            door = self.env.unwrapped
            state = door.get_env_state()
            state["qpos"][door.door_hinge_addrs] = 1.5
            door.set_env_state(state)
            observation = door._get_obs()
        return observation, info


def test_a_real_daemon_drives_adroit_door_with_the_envs_own_success(daemon_factory, serve, workdir):
    robotics()
    controller = DoorFlags()
    assert controller.spaces.observation_size == 39 and len(controller.spaces.action_low) == 28
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/door.sock", max_steps=6,
                          tasks={"open": {"params": {"start_open": {"low": 0, "high": 1}}}})
    serve(controller, name="door")
    d = daemon_factory({"gym-door": config}, "gym-door")
    with d.client() as client:
        shut = client.wait_task(client.submit("open", attempts=2, adapt=False, params={"start_open": 0}, seed=3)["task_id"],
                                deadline=300)
        flags_shut, controller.flags = controller.flags, []
        opened = client.wait_task(client.submit("open", attempts=2, adapt=False, params={"start_open": 1}, seed=3)["task_id"],
                                  deadline=300)
    # A shut door: the env says no at every step, ttad runs each attempt to max_steps, no success.
    assert shut["state"] == "done", shut
    assert [(a["success"], a["steps"], a.get("abort_reason")) for a in shut["attempts"]] == [(False, 6, None)] * 2
    assert flags_shut == [False] * 12
    # An open door: the env says success at the first step, and ttad ends each attempt there as a success.
    assert opened["state"] == "done", opened
    assert [(a["success"], a["steps"], a.get("abort_reason")) for a in opened["attempts"]] == [(True, 1, None)] * 2
    assert controller.flags == [True, True]


def test_a_real_daemon_drives_a_dict_observation_env_flattened(daemon_factory, serve, workdir):
    robotics()
    controller = GymnasiumController(lambda: make("PointMaze_UMaze-v3"), success="success")
    assert controller.spaces.observation_layout == [("achieved_goal", 0, 2), ("desired_goal", 2, 2), ("observation", 4, 4)]
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/maze.sock", tasks={"reach": {}}, max_steps=8)
    assert "observation_size: 8\n" in config
    serve(controller, name="maze")
    info = run_task(daemon_factory, "gym-maze", config, "reach", attempts=2, seed=2)
    for attempt in info["attempts"]:
        assert attempt.get("abort_reason") is None, attempt
        assert 0 < attempt["steps"] <= 8


def test_a_real_daemon_drives_fetch_reach_with_its_is_success_flag(daemon_factory, serve, workdir):
    robotics()
    controller = GymnasiumController(lambda: make("FetchReach-v4"), success="is_success")
    assert [part[0] for part in controller.spaces.observation_layout] == ["achieved_goal", "desired_goal", "observation"]
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/fetch.sock", tasks={"reach": {}}, max_steps=5)
    serve(controller, name="fetch")
    info = run_task(daemon_factory, "gym-fetch", config, "reach", attempts=2, seed=2)
    for attempt in info["attempts"]:
        assert attempt.get("abort_reason") is None, attempt


# --- Wrong observation sizes, as the daemon reports them ------------------------------------------

def test_a_controller_whose_observation_size_differs_from_the_config_is_named_with_both_sizes(daemon_factory, serve, workdir):
    controller = GymnasiumController(lambda: make("Pusher-v5"), success=lambda t: False)
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/pusher.sock", tasks={"push": {}}, max_steps=5)
    config = config.replace("observation_size: 23\n", "observation_size: 20\n")  # written for another env
    serve(controller, name="pusher")
    d = daemon_factory({"gym-pusher": config}, "gym-pusher")
    with d.client() as client:
        info = client.wait_task(client.submit("push", attempts=1, adapt=False)["task_id"], deadline=120)
    reason = info["attempts"][0].get("abort_reason")
    assert reason is not None and reason.startswith("hardware_fault: reset failed"), info
    assert "(Pusher-v5) sends observations of 23 floats, the config says 20" in reason, reason


def test_an_observation_frame_of_the_wrong_size_is_reported_with_expected_and_actual(daemon_factory, serve, workdir, monkeypatch):
    # The SDK never sends a frame of the wrong size, so its check is bypassed here to see what
    # the daemon itself says of one (a controller in another language could send it).
    import ttad.bridge.controller as sdk

    def unchecked(values: Any, size: int, source: str, what: str, layout: str = "") -> bytes:
        values = np.asarray(values, dtype="<f4").reshape(-1)
        return (values[:-1] if what == "observation" and source == "step()" else values).tobytes()

    monkeypatch.setattr(sdk, "_frame", unchecked)
    controller = GymnasiumController(lambda: make("Pusher-v5"), success=lambda t: False)
    config = robot_config(controller.env, policy=SMALL, endpoint=f"ipc://{workdir}/pusher.sock", tasks={"push": {}}, max_steps=5)
    serve(controller, name="pusher")
    d = daemon_factory({"gym-pusher": config}, "gym-pusher")
    with d.client() as client:
        info = client.wait_task(client.submit("push", attempts=1, adapt=False)["task_id"], deadline=120)
    reason = info["attempts"][0].get("abort_reason")
    assert reason is not None and reason.startswith("hardware_fault"), info
    assert "observation frame has 22 float32 values (88 bytes), expected 23 (92 bytes)" in reason, reason
