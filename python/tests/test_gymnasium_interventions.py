"""A person in the loop of serve_gymnasium: an ``intervene`` hook or the env's own
``info["is_intervention"]`` takes over steps (bridge protocol 1.1), a ``demonstrator`` drives
demonstration attempts (1.2). Spoken to over real ZeroMQ by a raw DEALER (test_bridge_protocol's
Peer) where a rule must be provoked exactly, and by a real daemon where ttad must record what the
person did. Skipped, visibly, without gymnasium or mujoco."""
from __future__ import annotations

import struct
from typing import Any, Dict, List, Optional

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="gymnasium is not installed (pip install 'gymnasium[mujoco]')")
pytest.importorskip("mujoco", reason="mujoco is not installed (pip install 'gymnasium[mujoco]')")

from gymnasium import spaces  # noqa: E402
from test_bridge_protocol import Peer, f32  # noqa: E402

from ttad.bridge import DEMONSTRATION, GymnasiumController, Transition, robot_config  # noqa: E402


class Slide(gymnasium.Env):
    """A 2-D slide whose observation is the action it last executed, so a reply shows what ran.

    ``person`` (optional) plays an env with its own teleoperation (gym-hil's InputsControlWrapper):
    at the steps it names it replaces the action and flags ``info["is_intervention"]``.
    """

    def __init__(self, person: Optional[Dict[int, Any]] = None, info_key: str = "teleop_action",
                 finish_after: int = 0) -> None:
        self.observation_space = spaces.Box(-10, 10, (2,), dtype=np.float64)
        self.action_space = spaces.Box(-2, 2, (2,), dtype=np.float32)
        self.person = person or {}
        self.info_key = info_key
        self.finish_after = finish_after
        self.executed: List[List[float]] = []
        self.steps = 0

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        super().reset(seed=seed)
        self.steps = 0
        return np.zeros(2), {"step": 0}

    def step(self, action: Any) -> Any:
        self.steps += 1
        info: Dict[str, Any] = {"step": self.steps}
        if self.steps in self.person:
            action = self.person[self.steps]
            info["is_intervention"] = True
            if self.info_key:
                info[self.info_key] = action
        else:
            info["is_intervention"] = False
            info[self.info_key or "teleop_action"] = action
        self.executed.append([float(x) for x in np.asarray(action).reshape(-1)])
        done = bool(self.finish_after) and self.steps >= self.finish_after
        return np.array(self.executed[-1], dtype=np.float64), 0.0, done, False, info


def never(t: Transition) -> bool:
    return False


@pytest.fixture
def slide_peer(serve):
    """``slide_peer(controller)``: serves it, says hello and resets an attempt (``demonstration``)."""
    peers: List[Peer] = []

    def start(controller: GymnasiumController, demonstration: Optional[bool] = None) -> Peer:
        peer = Peer(serve(controller).endpoint)
        peers.append(peer)
        assert peer.request("hello", 1)[0]["type"] == "hello"
        fields = {} if demonstration is None else {"demonstration": demonstration}
        header, _ = peer.request("reset", 2, task="episode", seed=3, index=0, **fields)
        assert header["type"] == "reset", header
        return peer

    yield start
    for p in peers:
        p.close()


def executed_frame(frames: List[bytes]) -> List[float]:
    assert len(frames) == 3, f"an intervened reply has 3 data frames, got {len(frames)}"
    return list(struct.unpack("<2f", frames[2]))


# --- the intervene hook -----------------------------------------------------------------------

def test_an_intervene_hook_takes_over_a_step_and_the_reply_carries_what_ran(slide_peer):
    seen: List[Any] = []

    def person(observation: Any, proposed: np.ndarray, info: Dict[str, Any]) -> Optional[List[float]]:
        seen.append((np.array(observation), np.array(proposed), dict(info)))
        return [-0.5, 1.5] if info["step"] == 1 else None  # drives the second step only

    controller = GymnasiumController(Slide, success=never, intervene=person)
    peer = slide_peer(controller)
    header, frames = peer.request("step", 3, f32(0.25, 0.75))
    assert "intervened" not in header and len(frames) == 2
    header, frames = peer.request("step", 4, f32(0.25, 0.75))
    assert header["intervened"] is True and executed_frame(frames) == [-0.5, 1.5]
    assert controller.env.executed == [[0.25, 0.75], [-0.5, 1.5]], "the env ran the person's action, not ttad's"
    # The hook saw the env's last observation and info, and ttad's action in the action space's shape.
    assert [s[2]["step"] for s in seen] == [0, 1]
    np.testing.assert_array_equal(seen[1][0], [0.25, 0.75])
    np.testing.assert_allclose(seen[1][1], [0.25, 0.75])
    assert seen[1][1].shape == (2,)


def test_a_persons_action_is_clipped_to_the_env_space_only(slide_peer):
    # hello's bounds are narrower than the env's: a person's 1.5 is executed and reported as 1.5
    # (ttad counts it past its limits); 9 is past what the env takes and is clipped to 2.
    controller = GymnasiumController(Slide, success=never, action_low=[-1, -1], action_high=[1, 1],
                                     intervene=lambda o, a, i: [1.5, 9.0])
    header, frames = slide_peer(controller).request("step", 3, f32(0, 0))
    assert header["intervened"] is True and executed_frame(frames) == [1.5, 2.0]
    assert controller.env.executed == [[1.5, 2.0]]


@pytest.mark.parametrize("returned, message", [
    ([0.5], "step(): intervene() returned an action of 1 values; the action_space has 2 components (2,)"),
    ([0.5, float("nan")], "step(): intervene() returned an action whose [1] is nan; only finite numbers"),
    ("left", "step(): intervene() returned str, not an action of numbers"),
])
def test_a_malformed_person_action_is_refused_before_the_env_runs_it(slide_peer, returned, message):
    controller = GymnasiumController(Slide, success=never, intervene=lambda o, a, i: returned)
    header, frames = slide_peer(controller).request("step", 3, f32(0, 0))
    assert header["type"] == "error" and frames == [], header
    assert header["message"].startswith(message.replace("step(): ", "")), header["message"]
    assert controller.env.executed == [], "the env never ran it"


# --- the env's own intervention signal (gym-hil style) ------------------------------------------

@pytest.mark.parametrize("key", ["teleop_action", "action_intervention"])
def test_an_env_that_flags_is_intervention_is_reported_with_the_action_it_executed(slide_peer, key):
    controller = GymnasiumController(lambda: Slide(person={2: np.array([1.0, -1.0], np.float32)}, info_key=key),
                                     success=never)
    peer = slide_peer(controller)
    header, frames = peer.request("step", 3, f32(0.5, 0.5))
    assert "intervened" not in header and len(frames) == 2, "a flag that is false is an ordinary step"
    header, frames = peer.request("step", 4, f32(0.5, 0.5))
    assert header["intervened"] is True and executed_frame(frames) == [1.0, -1.0]


def test_the_env_signal_wins_over_the_hook_since_the_env_knows_what_ran(slide_peer):
    controller = GymnasiumController(lambda: Slide(person={1: np.array([1.0, 1.0])}), success=never,
                                     intervene=lambda o, a, i: [-1.0, -1.0])
    header, frames = slide_peer(controller).request("step", 3, f32(0, 0))
    assert header["intervened"] is True and executed_frame(frames) == [1.0, 1.0]


def test_an_env_flag_without_an_executed_action_is_refused_naming_the_keys(slide_peer):
    controller = GymnasiumController(lambda: Slide(person={1: [1.0, 1.0]}, info_key=""), success=never)
    header, frames = slide_peer(controller).request("step", 3, f32(0, 0))
    assert header["type"] == "error" and frames == []
    assert "step info says 'is_intervention' but carries no executed action under 'teleop_action' or " \
           "'action_intervention'" in header["message"], header["message"]
    # An env whose flag means something else can be served with the signal ignored.
    quiet = GymnasiumController(lambda: Slide(person={1: [1.0, 1.0]}, info_key=""), success=never,
                                env_interventions=False)
    header, frames = slide_peer(quiet).request("step", 3, f32(0, 0))
    assert header["type"] == "step" and "intervened" not in header


# --- demonstration attempts (1.2) -----------------------------------------------------------------

def test_a_demonstrator_announces_the_feature_and_drives_every_step_of_a_demonstration(slide_peer):
    calls: List[Dict[str, Any]] = []

    def demonstrator(observation: Any, info: Dict[str, Any]) -> List[float]:
        calls.append(dict(info))
        return [0.1 * (info["step"] + 1), -0.5]

    controller = GymnasiumController(lambda: Slide(finish_after=2), success=never, demonstrator=demonstrator)
    assert controller.hello().features == [DEMONSTRATION]
    peer = slide_peer(controller, demonstration=True)
    replies = [peer.request("step", seq, f32(0.9, 0.9)) for seq in (3, 4, 5)]
    assert all(h["intervened"] is True for h, _ in replies), replies
    assert executed_frame(replies[0][1]) == pytest.approx([0.1, -0.5])
    assert executed_frame(replies[1][1]) == pytest.approx([0.2, -0.5])
    # The env finished after 2 steps (no success): the person holds still, and says so.
    assert executed_frame(replies[2][1]) == [0.0, 0.0]
    assert controller.env.executed == [pytest.approx([0.1, -0.5]), pytest.approx([0.2, -0.5])]
    assert [c["step"] for c in calls] == [0, 1]


def test_an_ordinary_attempt_of_a_demonstrating_controller_is_ttads(slide_peer):
    controller = GymnasiumController(Slide, success=never, demonstrator=lambda o, i: [1.0, 1.0])
    header, frames = slide_peer(controller, demonstration=False).request("step", 3, f32(0.5, 0.5))
    assert "intervened" not in header and controller.env.executed == [[0.5, 0.5]]


def test_a_demonstrator_returning_nothing_is_refused_by_name(slide_peer):
    controller = GymnasiumController(Slide, success=never, demonstrator=lambda o, i: None)
    header, _ = slide_peer(controller, demonstration=True).request("step", 3, f32(0, 0))
    assert header["type"] == "error" and header["message"].startswith("demonstrator() returned None")
    assert controller.env.executed == []


def test_without_a_demonstrator_there_is_no_feature_and_a_demonstration_reset_is_refused(serve):
    controller = GymnasiumController(Slide, success=never)
    assert controller.hello().features == []
    peer = Peer(serve(controller).endpoint)
    try:
        assert "features" not in peer.request("hello", 1)[0]
        header, _ = peer.request("reset", 2, task="episode", seed=3, index=0, demonstration=True)
    finally:
        peer.close()
    assert header["type"] == "error" and "does not announce the 'demonstration' feature" in header["message"]


# --- a real daemon ------------------------------------------------------------------------------

class Counting(gymnasium.Wrapper):
    """Puts the attempt's step count into info (0 after reset), so a person can pick steps."""

    def reset(self, **kwargs: Any) -> Any:
        self.count = 0
        observation, info = self.env.reset(**kwargs)
        return observation, dict(info, step=0)

    def step(self, action: Any) -> Any:
        self.count += 1
        observation, reward, terminated, truncated, info = self.env.step(action)
        return observation, reward, terminated, truncated, dict(info, step=self.count)


def reacher() -> Any:
    try:
        return Counting(gymnasium.make("Reacher-v5"))
    except Exception as error:  # gymnasium without its MuJoCo extras (imageio)
        pytest.skip(f"Reacher-v5 cannot be made here: {error}")


def reacher_progress(t: Transition) -> float:
    return max(0.0, 1.0 - (-t.info["reward_dist"]) / 0.4)


def takes_over_steps_3_to_5(observation: Any, proposed: np.ndarray, info: Dict[str, Any]) -> Optional[List[float]]:
    # info is the previous step's: before step k it says k - 1.
    return [0.5, -0.5] if 2 <= info["step"] <= 4 else None


def reacher_daemon(daemon_factory: Any, serve: Any, workdir: str, controller: GymnasiumController) -> Any:
    endpoint = f"ipc://{workdir}/reacher.sock"
    config = robot_config(controller.env, endpoint=endpoint, tasks={"reach": {}}, step_deadline_ms=2000,
                          safety={"joint_velocity_limit": 200})
    served = serve(controller, name="reacher")
    assert served.endpoint == endpoint
    return daemon_factory({"reacher": config}, "reacher")


def test_a_real_daemon_records_the_steps_an_intervene_hook_drove(daemon_factory, serve, workdir):
    controller = GymnasiumController(reacher, success=lambda t: -t.info["reward_dist"] < 0.02,
                                     progress=reacher_progress, intervene=takes_over_steps_3_to_5)
    d = reacher_daemon(daemon_factory, serve, workdir, controller)
    with d.client() as client:
        # Every attempt samples (T > 0), so every step of every attempt is a trainable one.
        task_id = client.submit("reach", attempts=4, seed=5, temperature_base=1.0, temperature_range=0.5)["task_id"]
        info = client.wait_task(task_id, deadline=300)
        history = client.history(task="reach").tasks
    assert info["state"] == "done", info
    attempts = info["attempts"]
    for attempt in attempts:
        assert attempt.get("abort_reason") is None, attempt
        assert attempt["steps"] >= 5 and attempt["temperature"] > 0, attempt
        assert attempt.get("intervened_steps") == 3, attempt
        assert "interventions_past_limits" not in attempt, "[0.5, -0.5] is inside the bounds"
    listed = [t for t in history if t["task_id"] == task_id]
    assert [a.get("intervened_steps") for a in listed[0]["attempts"]] == [3] * 4, listed
    # The update learnt from the person's steps apart: its own samples are the policy's steps only
    # (intervened steps feed the behaviour-cloning term, never a PPO ratio; docs/learning.md).
    updates = info["updates"]
    assert len(updates) == 1 and updates[0].get("skipped") is None, updates
    own = sum(a["steps"] - a["intervened_steps"] for a in attempts)
    assert updates[0]["samples"] == own, (updates[0], [a["steps"] for a in attempts])
    assert updates[0]["intervention_samples"] == 3 * len(attempts), updates[0]
    assert "demonstration_samples" not in updates[0], "nothing stored was cloned"


def test_a_malformed_person_action_never_reaches_the_daemon(daemon_factory, serve, workdir):
    def person(observation: Any, proposed: np.ndarray, info: Dict[str, Any]) -> Optional[List[float]]:
        if info["step"] == 2:
            return [0.5, -0.5]                 # step 3: a well-formed takeover
        if info["step"] == 3:
            return [0.5, float("nan")]         # step 4: garbage
        return None

    controller = GymnasiumController(reacher, success=lambda t: False, intervene=person)
    d = reacher_daemon(daemon_factory, serve, workdir, controller)
    with d.client() as client:
        info = client.wait_task(client.submit("reach", attempts=1, adapt=False)["task_id"], deadline=300)
    attempt = info["attempts"][0]
    assert attempt.get("abort_reason") == ("hardware_fault: controller refused step: intervene() returned an action "
                                           "whose [1] is nan; only finite numbers can be executed and reported"), attempt
    # Step 3's takeover arrived; step 4 (counted or not as a step: the daemon's business) did not.
    assert 3 <= attempt["steps"] <= 4 and attempt.get("intervened_steps") == 1, attempt
