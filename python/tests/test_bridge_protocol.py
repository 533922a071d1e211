"""ttad.bridge.Controller against ttad's side of the bridge protocol, spoken by a raw DEALER here
(docs/bridge-protocol.md), so that each rule can be provoked exactly: versions, garbage, stale
requests, heartbeats during a long reset, e-stop from another peer, refused values, interventions
(1.1) and demonstration attempts (1.2)."""
from __future__ import annotations

import json
import logging
import struct
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest
import zmq

from ttad.bridge import DEMONSTRATION, Controller, Hello, ResetRequest, StepResult


class Arm(Controller):
    """A two-joint toy whose behaviour a test can bend (slow reset, bad values)."""

    def __init__(self, observation: Optional[Sequence[float]] = None, reset_seconds: float = 0.0,
                 progress: Optional[float] = None, features: Sequence[str] = ()) -> None:
        super().__init__(heartbeat_interval=0.05)
        self.observation = list(observation) if observation is not None else [0.0, 0.0, 0.0]
        self.reset_seconds = reset_seconds
        self.progress = progress
        self.features = list(features)
        #: What a person executes at each step (None: ttad's action), and what the Arm reported.
        self.executed: Optional[Any] = None
        self.stops: List[bool] = []
        self.resets: List[ResetRequest] = []
        self.actions: List[np.ndarray] = []
        self.reset_started = threading.Event()

    def hello(self) -> Hello:
        return Hello(robot="arm", observation_size=3, action_low=[-1, -1], action_high=[1, 1],
                     joints=["a", "b"], end_effector=False, control_period=0.02, features=self.features)

    def reset(self, request: ResetRequest) -> Tuple[List[float], List[float]]:
        self.resets.append(request)
        self.reset_started.set()
        time.sleep(self.reset_seconds)
        return self.observation, [0.0, 0.0, 0.0, 0.0]

    def step(self, action: np.ndarray) -> StepResult:
        self.actions.append(action)
        return StepResult(self.observation, [0.1, 0.2, 0.0, 0.0], success=False, progress=self.progress,
                          executed_action=self.executed)

    def stop(self, emergency: bool) -> None:
        self.stops.append(emergency)


class Peer:
    """ttad's end: one DEALER connection to the controller."""

    def __init__(self, endpoint: str) -> None:
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.endpoint = endpoint

    def send(self, kind: str, seq: int, *frames: bytes, v: Any = 1, **fields: Any) -> None:
        self.socket.send_multipart([json.dumps(dict(fields, v=v, type=kind, seq=seq)).encode(), *frames])

    def receive(self, timeout: float = 10.0) -> Tuple[Dict[str, Any], List[bytes]]:
        assert self.socket.poll(int(timeout * 1000)), f"no message from the controller within {timeout} s"
        frames = self.socket.recv_multipart()
        return json.loads(frames[0]), frames[1:]

    def silent(self, wait: float = 0.3) -> bool:
        return not self.socket.poll(int(wait * 1000))

    def request(self, kind: str, seq: int, *frames: bytes, **fields: Any) -> Tuple[Dict[str, Any], List[bytes]]:
        """The reply to this request; heartbeats about it (a reset slowed by a loaded machine) are
        skipped, as ttad skips them."""
        self.send(kind, seq, *frames, **fields)
        while True:
            header, data = self.receive()
            if not (header.get("type") == "heartbeat" and header.get("seq") == seq):
                return header, data

    def close(self) -> None:
        self.socket.close(linger=0)


@pytest.fixture
def peer_for(serve):
    peers: List[Peer] = []

    def start(controller: Controller) -> Peer:
        served = serve(controller)
        p = Peer(served.endpoint)
        peers.append(p)
        return p

    yield start
    for p in peers:
        p.close()


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def test_hello_reports_the_declared_capabilities(peer_for):
    peer = peer_for(Arm())
    header, frames = peer.request("hello", 1)
    assert header == {"v": 1, "type": "hello", "seq": 1, "robot": "arm", "observation_size": 3, "action_size": 2,
                      "action_low": [-1.0, -1.0], "action_high": [1.0, 1.0], "joints": ["a", "b"],
                      "end_effector": False, "control_period": 0.02}
    assert frames == []


def test_an_attempt_resets_and_steps_with_float32_frames(peer_for):
    arm = Arm(observation=[0.5, -0.25, 2.0])
    peer = peer_for(arm)
    peer.request("hello", 1)
    header, frames = peer.request("reset", 2, task="reach", params={"x": 0.1}, dynamics={"damping_scale": 2},
                                  seed=77, index=3)
    assert header["type"] == "reset" and header["seq"] == 2
    assert [len(f) for f in frames] == [12, 16]
    assert struct.unpack("<3f", frames[0]) == (0.5, -0.25, 2.0)
    assert arm.resets == [ResetRequest(task="reach", params={"x": 0.1}, dynamics={"damping_scale": 2.0}, seed=77, index=3)]
    header, frames = peer.request("step", 3, f32(0.5, -1.0))
    assert header == {"v": 1, "type": "step", "seq": 3, "success": False}
    assert struct.unpack("<4f", frames[1]) == pytest.approx((0.1, 0.2, 0.0, 0.0))
    assert arm.actions[0].tolist() == [0.5, -1.0]


def test_another_protocol_version_gets_an_error_naming_it(peer_for):
    peer = peer_for(Arm())
    header, _ = peer.request("hello", 1, v=2)
    assert header["type"] == "error" and header["seq"] == 1
    assert "version 2" in header["message"]


def test_garbage_is_ignored_and_the_next_request_answered(peer_for):
    peer = peer_for(Arm())
    peer.socket.send_multipart([b"\x00not json"])
    peer.socket.send_multipart([b'{"v": 1, "type": "hello"}'])  # no seq: cannot be answered
    assert peer.silent()
    header, _ = peer.request("hello", 5)
    assert header["type"] == "hello" and header["seq"] == 5


def test_a_stale_step_after_a_newer_request_is_skipped(peer_for):
    arm = Arm()
    peer = peer_for(arm)
    peer.request("hello", 1)
    peer.request("reset", 4, task="t", seed=1, index=0)
    peer.send("step", 3, f32(1, 1))  # older than the reset: ttad gave up on it
    assert peer.silent()
    assert arm.actions == []
    header, _ = peer.request("step", 5, f32(1, 1))
    assert header["type"] == "step" and header["seq"] == 5


def test_heartbeats_carry_the_reset_seq_while_a_long_reset_runs(peer_for):
    arm = Arm(reset_seconds=0.5)
    peer = peer_for(arm)
    peer.request("hello", 1)
    peer.send("reset", 2, task="t", seed=1, index=0)
    kinds = []
    while True:
        header, frames = peer.receive()
        assert header["seq"] == 2
        kinds.append(header["type"])
        if header["type"] != "heartbeat":
            break
    assert kinds[-1] == "reset" and kinds.count("heartbeat") >= 2, kinds


def test_an_estop_from_another_peer_during_a_reset_stops_and_refuses_steps(peer_for, serve):
    arm = Arm(reset_seconds=0.5)
    peer = peer_for(arm)
    peer.request("hello", 1)
    peer.send("reset", 2, task="t", seed=1, index=0)
    assert arm.reset_started.wait(5)
    other = Peer(peer.endpoint)
    try:
        header, _ = other.request("estop", 0)
        assert header["type"] == "estop" and header["seq"] == 0
    finally:
        other.close()
    assert arm.stops == [True]
    # The reset finishes after the e-stop: it must not start the attempt. (Under load a gap between
    # heartbeats can outlast the silence wait: a step meeting the reset still running is asked again.)
    deadline = time.monotonic() + 10
    seq = 3
    while True:
        while not peer.silent(0.1):
            header, _ = peer.receive()
            assert header["type"] == "heartbeat", "a reset cancelled by an e-stop is not answered"
        peer.send("step", seq, f32(0, 0))
        header, _ = peer.receive()
        while header["type"] == "heartbeat":
            header, _ = peer.receive()
        if header.get("message") != "a reset is still running" or time.monotonic() > deadline:
            break
        seq += 1
    assert header["type"] == "error" and "no attempt running" in header["message"], header
    assert arm.actions == []


def test_a_step_after_stop_is_refused_until_the_next_reset(peer_for):
    arm = Arm()
    peer = peer_for(arm)
    peer.request("hello", 1)
    peer.request("reset", 2, task="t", seed=1, index=0)
    assert peer.request("stop", 3)[0]["type"] == "stop"
    assert arm.stops == [False]
    assert peer.request("step", 4, f32(0, 0))[0]["type"] == "error"
    peer.request("reset", 5, task="t", seed=1, index=1)
    assert peer.request("step", 6, f32(0, 0))[0]["type"] == "step"


def test_an_action_frame_of_the_wrong_size_is_refused_naming_the_sizes(peer_for):
    peer = peer_for(Arm())
    peer.request("hello", 1)
    peer.request("reset", 2, task="t", seed=1, index=0)
    header, _ = peer.request("step", 3, f32(0, 0, 0))
    assert header["type"] == "error"
    assert "one action frame of 2 float32 (8 bytes)" in header["message"] and "[12]" in header["message"]


def test_a_wrong_observation_size_is_refused_naming_the_observation(peer_for, caplog):
    arm = Arm(observation=[1.0, 2.0])  # hello says 3
    peer = peer_for(arm)
    peer.request("hello", 1)
    with caplog.at_level(logging.ERROR, logger="ttad.bridge"):
        header, frames = peer.request("reset", 2, task="t", seed=1, index=0)
    assert header["type"] == "error" and frames == []
    assert header["message"] == "reset(): observation has 2 values, hello() declared 3"
    assert "observation has 2 values" in caplog.text


def test_a_non_finite_observation_is_never_sent(peer_for, caplog):
    arm = Arm()
    peer = peer_for(arm)
    peer.request("hello", 1)
    peer.request("reset", 2, task="t", seed=1, index=0)
    arm.observation = [0.0, float("nan"), 0.0]
    with caplog.at_level(logging.ERROR, logger="ttad.bridge"):
        header, frames = peer.request("step", 3, f32(0, 0))
    assert header["type"] == "error" and frames == []
    assert header["message"] == "step(): observation[1] is nan; only finite numbers may be sent"
    assert "observation[1] is nan" in caplog.text


def test_a_non_finite_progress_is_never_sent(peer_for):
    peer = peer_for(Arm(progress=float("inf")))
    peer.request("hello", 1)
    peer.request("reset", 2, task="t", seed=1, index=0)
    header, _ = peer.request("step", 3, f32(0, 0))
    assert header["type"] == "error" and header["message"] == "step(): progress is inf; only finite numbers may be sent"


def test_an_exception_in_step_is_answered_with_its_message(peer_for):
    class Broken(Arm):
        def step(self, action: np.ndarray) -> StepResult:
            raise RuntimeError("motor 2 overheated")

    peer = peer_for(Broken())
    peer.request("hello", 1)
    peer.request("reset", 2, task="t", seed=1, index=0)
    header, _ = peer.request("step", 3, f32(0, 0))
    assert header == {"v": 1, "type": "error", "seq": 3, "message": "step() raised RuntimeError: motor 2 overheated"}
    # The controller serves on.
    assert peer.request("hello", 4)[0]["type"] == "hello"


def test_a_bad_hello_is_refused_naming_the_field(peer_for):
    class Unbounded(Arm):
        def hello(self) -> Hello:
            return Hello(robot="arm", observation_size=3, action_low=[-1, float("-inf")], action_high=[1, 1])

    peer = peer_for(Unbounded())
    header, _ = peer.request("hello", 1)
    assert header["type"] == "error" and "component 1" in header["message"]


def test_a_step_before_hello_is_refused(peer_for):
    peer = peer_for(Arm())
    header, _ = peer.request("step", 1, f32(0, 0))
    assert header["type"] == "error" and header["message"] == "step before hello"


def test_leaving_serve_stops_a_running_attempt(serve):
    arm = Arm()
    served = serve(arm)
    peer = Peer(served.endpoint)
    try:
        peer.request("hello", 1)
        peer.request("reset", 2, task="t", seed=1, index=0)
    finally:
        peer.close()
    served.close()
    assert arm.stops == [False]


# --- interventions (1.1) ----------------------------------------------------------------------

def started(arm: Arm, peer_for: Any, **reset: Any) -> Peer:
    """A peer that said hello and reset an attempt of `arm`."""
    peer = peer_for(arm)
    assert peer.request("hello", 1)[0]["type"] == "hello"
    header, _ = peer.request("reset", 2, **dict(dict(task="t", seed=1, index=0), **reset))
    assert header["type"] == "reset", header
    return peer


def test_an_intervened_step_says_so_and_carries_the_executed_action_as_a_third_frame(peer_for):
    arm = Arm()
    peer = started(arm, peer_for)
    arm.executed = np.array([0.25, -1.5])  # a person pushed past the bounds: reported as executed
    header, frames = peer.request("step", 3, f32(0.5, 0.5))
    assert header == {"v": 1, "type": "step", "seq": 3, "success": False, "intervened": True}
    assert [len(f) for f in frames] == [12, 16, 8]
    assert struct.unpack("<2f", frames[2]) == (0.25, -1.5)
    arm.executed = None
    header, frames = peer.request("step", 4, f32(0.5, 0.5))
    assert "intervened" not in header and len(frames) == 2, "a step ttad's action drove is an ordinary 1.0 reply"


@pytest.mark.parametrize("executed, message", [
    ([0.1], "step(): executed_action has 1 values, hello() declared 2 (one per action component, as hello()'s action_low)"),
    ([0.1, float("nan")], "step(): executed_action[1] is nan; only finite numbers may be sent"),
    ([float("-inf"), 0.0], "step(): executed_action[0] is -inf; only finite numbers may be sent"),
    ([1e39, 0.0], "step(): executed_action[0] is 1e+39, too large for float32"),
    (["left", "right"], "step(): executed_action is not a list of numbers"),
])
def test_a_malformed_executed_action_is_never_sent(peer_for, executed, message):
    arm = Arm()
    peer = started(arm, peer_for)
    arm.executed = executed
    header, frames = peer.request("step", 3, f32(0, 0))
    assert header["type"] == "error" and frames == [], header
    assert header["message"].startswith(message), header["message"]
    assert "intervened" not in header


# --- demonstration attempts (1.2) -------------------------------------------------------------

def test_hello_announces_features_only_when_it_has_some(peer_for):
    header, _ = peer_for(Arm(features=[DEMONSTRATION])).request("hello", 1)
    assert header["features"] == ["demonstration"]
    header, _ = peer_for(Arm()).request("hello", 1)
    assert "features" not in header, "a controller without features says what a 1.1 controller says"


@pytest.mark.parametrize("features, message", [
    ("demonstration", "hello(): features must be a list of names, got the string 'demonstration'"),
    (["demonstration", ""], "hello(): features must be non-empty names"),
    (["demonstration", "demonstration"], "hello(): features repeat: ['demonstration', 'demonstration']"),
])
def test_bad_features_in_hello_are_refused_naming_them(peer_for, features, message):
    arm = Arm()
    arm.features = features
    header, _ = peer_for(arm).request("hello", 1)
    assert header["type"] == "error" and header["message"].startswith(message), header


def test_a_demonstration_reset_reaches_the_controller_and_every_step_must_be_intervened(peer_for):
    arm = Arm(features=[DEMONSTRATION])
    peer = started(arm, peer_for, demonstration=True)
    assert arm.resets[-1].demonstration is True and arm.demonstrating
    header, _ = peer.request("step", 3, f32(0, 0))
    assert header["type"] == "error"
    assert header["message"] == ("step(): this is a demonstration attempt (its reset said demonstration: true): "
                                 "the person drives every step, so executed_action must be set")
    arm.executed = [0.5, 0.5]
    header, frames = peer.request("step", 4, f32(0, 0))
    assert header["intervened"] is True and struct.unpack("<2f", frames[2]) == (0.5, 0.5)
    # The next, ordinary attempt is ttad's again.
    arm.executed = None
    assert peer.request("reset", 5, task="t", seed=1, index=1)[0]["type"] == "reset"
    assert arm.resets[-1].demonstration is False and not arm.demonstrating
    header, frames = peer.request("step", 6, f32(0, 0))
    assert header["type"] == "step" and "intervened" not in header and len(frames) == 2


def test_a_reset_without_the_flag_is_no_demonstration(peer_for):
    arm = Arm(features=[DEMONSTRATION])
    started(arm, peer_for)
    assert arm.resets[-1].demonstration is False and not arm.demonstrating


def test_a_demonstration_reset_to_a_controller_without_the_feature_is_refused(peer_for):
    arm = Arm()
    peer = peer_for(arm)
    peer.request("hello", 1)
    header, frames = peer.request("reset", 2, task="t", seed=1, index=0, demonstration=True)
    assert header["type"] == "error" and frames == []
    assert header["message"] == ("reset asks for a demonstration attempt, but this controller's hello() does not "
                                 "announce the 'demonstration' feature")
    assert arm.resets == [], "reset() never ran"


def test_a_demonstration_flag_that_is_not_a_bool_is_refused_naming_it(peer_for):
    arm = Arm(features=[DEMONSTRATION])
    peer = peer_for(arm)
    peer.request("hello", 1)
    header, _ = peer.request("reset", 2, task="t", seed=1, index=0, demonstration="yes")
    assert header == {"v": 1, "type": "error", "seq": 2,
                      "message": 'reset request unusable: demonstration is "yes", expected true or false'}
    assert arm.resets == []
