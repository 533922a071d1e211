"""The bridge protocol's controller side (docs/bridge-protocol.md) as a base class.

Subclass :class:`Controller`, write ``hello``, ``reset``, ``step`` and ``stop``, and call
:meth:`Controller.serve`. The base class owns everything else: the ROUTER socket, answering on
the connection a request came from, sequence numbers, stale and garbage requests, the version
check, heartbeats while a long ``reset`` runs, ``stop``/``estop`` from any peer (also in the middle
of a reset), refusing ``step`` when no attempt runs, and checking every frame before it is sent
(sizes as declared in ``hello``, only finite numbers).

Protocol 1.1 interventions: a ``step`` whose :class:`StepResult` carries ``executed_action`` is
reported as ``intervened`` with that action as a third frame. Protocol 1.2 demonstrations: a
``hello`` announcing :data:`DEMONSTRATION` may get ``reset`` requests with ``demonstration: true``,
whose every step must carry ``executed_action`` (the person drives).
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import zmq

__all__ = ["Controller", "Hello", "ResetRequest", "StepResult", "ControllerError", "BRIDGE_VERSION",
           "DEMONSTRATION"]

#: The bridge protocol version (``v`` in every header). Minor versions add optional fields only:
#: 1.1 the step reply's ``intervened``, 1.2 ``hello.features`` and ``reset.demonstration``.
BRIDGE_VERSION = 1

#: The ``hello`` feature (1.2) saying the controller can run demonstration attempts: a person
#: drives every step and each reply carries the executed action.
DEMONSTRATION = "demonstration"

log = logging.getLogger("ttad.bridge")

Floats = Union[Sequence[float], np.ndarray]


class ControllerError(Exception):
    """A controller broke the bridge contract (wrong size, non-finite value, bad ``hello``).

    The base class reports it to ttad as an ``error`` reply (the attempt records
    ``hardware_fault: controller refused step: <message>``) and logs it; nothing is sent to ttad
    that it would have to reject.
    """


@dataclass
class Hello:
    """The controller's capabilities, answered to ttad's ``hello``.

    ``observation_size`` and the action bounds must match the robot-config. ``joints`` names the
    state frame's joints in order; ``end_effector`` says whether the state frame ends with the
    end effector's world x, y, z. ``features`` (protocol 1.2) names optional abilities, e.g.
    :data:`DEMONSTRATION`; sent only when not empty, so a controller without any says what a 1.1
    one says.
    """

    robot: str
    observation_size: int
    action_low: Sequence[float]
    action_high: Sequence[float]
    joints: Sequence[str] = ()
    end_effector: bool = False
    control_period: Optional[float] = None
    features: Sequence[str] = ()

    @property
    def action_size(self) -> int:
        """Length of every action (``len(action_low)``)."""
        return len(self.action_low)

    @property
    def state_size(self) -> int:
        """Floats in the state frame: positions and velocities of each joint, then x, y, z if any."""
        return 2 * len(self.joints) + (3 if self.end_effector else 0)

    def validate(self) -> None:
        """Raises :class:`ControllerError` naming the first bad field."""
        if not isinstance(self.robot, str) or not self.robot:
            raise ControllerError("hello(): robot must be a non-empty name")
        if int(self.observation_size) < 1:
            raise ControllerError(f"hello(): observation_size must be >= 1, got {self.observation_size}")
        if len(self.action_low) != len(self.action_high) or len(self.action_low) < 1:
            raise ControllerError(f"hello(): action_low has {len(self.action_low)} values and action_high "
                                  f"{len(self.action_high)}; both need one per action component (at least one)")
        for i, (lo, hi) in enumerate(zip(self.action_low, self.action_high)):
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ControllerError(f"hello(): action bounds [{lo}, {hi}] at component {i} must be finite with low < high")
        if len(set(self.joints)) != len(self.joints):
            raise ControllerError(f"hello(): joint names repeat: {list(self.joints)}")
        if self.control_period is not None and not (math.isfinite(self.control_period) and self.control_period > 0):
            raise ControllerError(f"hello(): control_period must be a positive number of seconds, got {self.control_period}")
        if isinstance(self.features, str):
            raise ControllerError(f"hello(): features must be a list of names, got the string {self.features!r}")
        for feature in self.features:
            if not isinstance(feature, str) or not feature:
                raise ControllerError(f"hello(): features must be non-empty names, got {list(self.features)!r}")
        if len(set(self.features)) != len(self.features):
            raise ControllerError(f"hello(): features repeat: {list(self.features)}")

    def header_fields(self) -> Dict[str, Any]:
        """The ``hello`` reply's header fields."""
        fields: Dict[str, Any] = {
            "robot": self.robot, "observation_size": int(self.observation_size), "action_size": self.action_size,
            "action_low": [float(x) for x in self.action_low], "action_high": [float(x) for x in self.action_high],
            "joints": list(self.joints), "end_effector": bool(self.end_effector),
        }
        if self.control_period is not None:
            fields["control_period"] = float(self.control_period)
        if self.features:
            fields["features"] = list(self.features)
        return fields


@dataclass
class ResetRequest:
    """ttad's ``reset``: start attempt ``index`` of a task.

    ``params`` holds every task parameter (ttad fills in defaults and draws missing ones);
    ``dynamics`` every declared dynamics factor (1 = nominal). ``seed`` is the task's seed: the
    same for all of a task's attempts, so they can face the same start. ``demonstration``
    (protocol 1.2): a person drives this attempt, every step; only sent to a controller whose
    ``hello`` announces :data:`DEMONSTRATION`, and every :class:`StepResult` of the attempt must
    then carry ``executed_action``.
    """

    task: str
    params: Dict[str, float] = field(default_factory=dict)
    dynamics: Dict[str, float] = field(default_factory=dict)
    seed: int = 0
    index: int = 0
    demonstration: bool = False


@dataclass
class StepResult:
    """What ``step`` returns: the new observation and state, whether the goal is reached, and
    optionally how far toward it the robot is (0 at the start to 1 at the goal).

    ``executed_action`` (protocol 1.1 interventions): ``None`` when ttad's action was executed;
    otherwise a person drove this step and this is the action actually executed, one value per
    action component in ttad's units and order. The reply then says ``intervened: true`` and
    carries it as a third frame; ttad never trains on its own action of that step as a sample of
    its own. Report what was executed, not clamped to the ``hello`` bounds: ttad counts the
    intervened steps its safety envelope would have clamped. A wrong size or a non-finite value
    is refused (:class:`ControllerError`), never sent.
    """

    observation: Floats
    state: Floats = ()
    success: bool = False
    progress: Optional[float] = None
    executed_action: Optional[Floats] = None


class Controller:
    """Base class of a bridge controller. Override :meth:`hello`, :meth:`reset`, :meth:`step`,
    :meth:`stop`; then ``serve(endpoint)``.

    Threads: ``reset`` runs in a worker thread so that heartbeats keep flowing and an ``estop``
    (or ``stop``) is handled while it runs: ``stop(emergency=True)`` may then be called on the
    serving thread *during* ``reset``. ``step`` runs on the serving thread (a step must answer
    within the robot-config's ``step_deadline_ms`` anyway), so a stop waits at most one step.

    ``heartbeat_interval``: seconds between heartbeats during a reset; keep it well below the
    robot-config's ``heartbeat_timeout_ms`` (default 2 s).
    """

    def __init__(self, *, heartbeat_interval: float = 0.25) -> None:
        if not heartbeat_interval > 0:
            raise ValueError(f"heartbeat_interval must be positive, got {heartbeat_interval}")
        self.heartbeat_interval = float(heartbeat_interval)
        self._shutdown = threading.Event()
        self._hello: Optional[Hello] = None
        self._running = False           # an attempt is running: step is allowed
        self._demonstration = False     # the running attempt is a demonstration: every step is intervened
        self._seq_floor = 0             # the newest request handled: older ones are stale
        self._epoch = 0                 # bumped by stop/estop: a reset finishing after one does not start the attempt
        self._reset: Optional[_PendingReset] = None
        self._socket: Optional[zmq.Socket] = None  # type: ignore[type-arg]
        #: The endpoint being served (after :meth:`serve` bound it).
        self.endpoint: Optional[str] = None
        #: Set once the socket is bound: tests and launchers wait on it.
        self.ready = threading.Event()

    # -- what a user writes ----------------------------------------------------------------

    def hello(self) -> Hello:
        """The controller's capabilities. Called for every ``hello`` (ttad says hello after each
        reconnect), so it may change between attempts; keep it cheap."""
        raise NotImplementedError("a Controller must implement hello()")

    def reset(self, request: ResetRequest) -> Tuple[Floats, Floats]:
        """Prepares attempt ``request.index`` of ``request.task``; returns ``(observation, state)``.

        May take long (a person setting the scene): heartbeats are sent meanwhile. Raise to refuse
        (ttad records the reset as failed with your message).
        """
        raise NotImplementedError("a Controller must implement reset()")

    def step(self, action: np.ndarray) -> StepResult:
        """Applies ``action`` (float32, already clamped and rate limited by ttad; clamp it to
        your own limits too) for one control period; returns the :class:`StepResult`.

        When a person drives this step, execute their action instead and return it as
        ``StepResult.executed_action``; in a demonstration attempt (:attr:`demonstrating`) that is
        required on every step."""
        raise NotImplementedError("a Controller must implement step()")

    def stop(self, emergency: bool) -> None:
        """Zero the robot's commands now. ``emergency`` is true for an e-stop. Idempotent. May be
        called while ``reset`` runs on the worker thread."""

    # -- serving ---------------------------------------------------------------------------

    def serve(self, endpoint: str, *, context: Optional[zmq.Context] = None) -> None:  # type: ignore[type-arg]
        """Binds a ROUTER at ``endpoint`` and answers requests until :meth:`shutdown`.

        On the way out it stops the robot (``stop(False)``) if an attempt was running.
        """
        ctx = context or zmq.Context.instance()
        socket = ctx.socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.bind(endpoint)
        self._socket = socket
        self.endpoint = endpoint
        self.ready.set()
        log.info("serving on %s", endpoint)
        try:
            while not self._shutdown.is_set():
                # Short slices while a reset runs, so its reply leaves soon after it finishes.
                wait = 0.05 if self._reset is None else 0.005
                if socket.poll(max(1, int(wait * 1000)), zmq.POLLIN):
                    self._handle(socket.recv_multipart(zmq.NOBLOCK))
                self._tend_reset()
        finally:
            if self._running or self._reset is not None:
                self._call_stop(False)
            socket.close(linger=0)
            self._socket = None
            self.ready.clear()

    def shutdown(self) -> None:
        """Makes :meth:`serve` return (from any thread or a signal handler)."""
        self._shutdown.set()

    @property
    def running(self) -> bool:
        """Whether an attempt is running (a reset succeeded and no stop came since)."""
        return self._running

    @property
    def demonstrating(self) -> bool:
        """Whether the running attempt is a demonstration (its reset said ``demonstration: true``)."""
        return self._running and self._demonstration

    # -- the protocol ----------------------------------------------------------------------

    def _handle(self, frames: List[bytes]) -> None:
        if len(frames) < 2:
            log.warning("ignored a message of %d frame(s): not a bridge request", len(frames))
            return
        peer, raw, data = frames[0], frames[1], frames[2:]
        try:
            header = json.loads(raw)
            kind, seq = header["type"], header["seq"]
            if not isinstance(kind, str) or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise ValueError("type must be a string and seq an unsigned integer")
        except (ValueError, KeyError, TypeError) as error:
            # Without a seq there is no way to answer: ignore it, ttad never sends such a thing.
            log.warning("ignored garbage (%d bytes: %r...): %s", len(raw), raw[:40], error)
            return
        version = header.get("v")
        if version != BRIDGE_VERSION:
            self._send(peer, "error", seq, message=f"protocol version {version!r} is not supported; this controller speaks {BRIDGE_VERSION}")
            return
        if kind in ("stop", "estop"):
            # Any peer, any time, never stale: the robot stops first, questions later.
            self._seq_floor = max(self._seq_floor, seq)
            self._epoch += 1
            self._running = False
            if self._reset is not None:
                self._reset.cancelled = True
            self._call_stop(kind == "estop")
            self._send(peer, kind, seq)
            return
        if kind == "hello":
            # A hello opens a connection (a reconnect, or a restarted daemon whose seq starts at 1).
            self._seq_floor = seq
            try:
                hello = self.hello()
                hello.validate()
            except Exception as error:  # noqa: BLE001 - reported to ttad and logged
                self._refuse(peer, "hello", seq, error)
                return
            self._hello = hello
            self._send(peer, "hello", seq, **hello.header_fields())
            return
        if kind not in ("reset", "step"):
            self._send(peer, "error", seq, message=f"{kind!r} is not a request this controller knows")
            return
        if seq <= self._seq_floor:
            # Stale: ttad gave up on this one and moved on (a newer request, or a stop, came first).
            log.info("ignored stale %s seq %d (newest handled: %d)", kind, seq, self._seq_floor)
            return
        self._seq_floor = seq
        if self._hello is None:
            self._send(peer, "error", seq, message=f"{kind} before hello")
            return
        if kind == "reset":
            self._start_reset(peer, seq, header)
        else:
            self._step(peer, seq, data)

    def _start_reset(self, peer: bytes, seq: int, header: Dict[str, Any]) -> None:
        if self._reset is not None:
            self._send(peer, "error", seq, message=f"busy: reset seq {self._reset.seq} is still running")
            return
        try:
            demonstration = header.get("demonstration", False)
            if not isinstance(demonstration, bool):
                raise ValueError(f"demonstration is {json.dumps(demonstration)}, expected true or false")
            request = ResetRequest(
                task=str(header.get("task", "")), params=_numbers(header.get("params"), "params"),
                dynamics=_numbers(header.get("dynamics"), "dynamics"), seed=int(header.get("seed") or 0),
                index=int(header.get("index") or 0), demonstration=demonstration)
        except (ValueError, TypeError) as error:
            self._send(peer, "error", seq, message=f"reset request unusable: {error}")
            return
        assert self._hello is not None
        if request.demonstration and DEMONSTRATION not in self._hello.features:
            # ttad refuses such a task before sending anything; answer a stray one by name anyway.
            self._send(peer, "error", seq, message="reset asks for a demonstration attempt, but this controller's "
                                                   f"hello() does not announce the {DEMONSTRATION!r} feature")
            return
        self._running = False
        pending = _PendingReset(peer, seq, self._epoch, time.monotonic() + self.heartbeat_interval,
                                request.demonstration)
        self._reset = pending

        def work() -> None:
            try:
                pending.result = self.reset(request)
            except BaseException as error:  # noqa: BLE001 - handed to the serving thread
                pending.error = error
            finally:
                pending.done.set()

        pending.thread = threading.Thread(target=work, name=f"ttad-reset-{seq}", daemon=True)
        pending.thread.start()

    def _tend_reset(self) -> None:
        pending = self._reset
        if pending is None:
            return
        if not pending.done.is_set():
            if time.monotonic() >= pending.next_heartbeat:
                self._send(pending.peer, "heartbeat", pending.seq)
                pending.next_heartbeat = time.monotonic() + self.heartbeat_interval
            return
        self._reset = None
        if pending.cancelled or pending.epoch != self._epoch:
            log.info("reset seq %d finished after a stop: the attempt does not start", pending.seq)
            return
        if pending.error is not None:
            self._refuse(pending.peer, "reset", pending.seq, pending.error)
            return
        try:
            result = pending.result
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise ControllerError(f"reset() must return (observation, state), got {type(result).__name__}")
            observation, state = result
            assert self._hello is not None
            frames = [_frame(observation, self._hello.observation_size, "reset()", "observation"),
                      _frame(state, self._hello.state_size, "reset()", "state", self._state_layout())]
        except Exception as error:  # noqa: BLE001
            self._refuse(pending.peer, "reset", pending.seq, error)
            return
        self._running = True
        self._demonstration = pending.demonstration
        self._send(pending.peer, "reset", pending.seq, frames=frames)

    def _step(self, peer: bytes, seq: int, data: List[bytes]) -> None:
        hello = self._hello
        assert hello is not None
        if not self._running:
            reason = "a reset is still running" if self._reset is not None else "no attempt running (step after stop/estop, or before reset)"
            self._send(peer, "error", seq, message=reason)
            return
        if len(data) != 1 or len(data[0]) != 4 * hello.action_size:
            sizes = [len(d) for d in data]
            self._send(peer, "error", seq, message=f"step needs one action frame of {hello.action_size} float32 "
                                                   f"({4 * hello.action_size} bytes), got frames of {sizes} bytes")
            return
        action = np.frombuffer(data[0], dtype="<f4").astype(np.float32)
        if not np.all(np.isfinite(action)):
            bad = int(np.flatnonzero(~np.isfinite(action))[0])
            self._send(peer, "error", seq, message=f"action[{bad}] is {action[bad]}")
            return
        try:
            result = self.step(action)
            if not isinstance(result, StepResult):
                raise ControllerError(f"step() must return a StepResult, got {type(result).__name__}")
            frames = [_frame(result.observation, hello.observation_size, "step()", "observation"),
                      _frame(result.state, hello.state_size, "step()", "state", self._state_layout())]
            fields: Dict[str, Any] = {"success": bool(result.success)}
            if result.progress is not None:
                progress = float(result.progress)
                if not math.isfinite(progress):
                    raise ControllerError(f"step(): progress is {progress}; only finite numbers may be sent")
                fields["progress"] = progress
            if result.executed_action is not None:
                frames.append(_frame(result.executed_action, hello.action_size, "step()", "executed_action",
                                     "one per action component, as hello()'s action_low"))
                fields["intervened"] = True
            elif self._demonstration:
                raise ControllerError("step(): this is a demonstration attempt (its reset said demonstration: true): "
                                      "the person drives every step, so executed_action must be set")
        except Exception as error:  # noqa: BLE001
            self._refuse(peer, "step", seq, error)
            return
        self._send(peer, "step", seq, frames=frames, **fields)

    def _state_layout(self) -> str:
        hello = self._hello
        assert hello is not None
        layout = f"positions and velocities of {len(hello.joints)} joint(s)"
        return layout + (" then end effector x, y, z" if hello.end_effector else "")

    def _call_stop(self, emergency: bool) -> None:
        try:
            self.stop(emergency)
        except Exception:  # noqa: BLE001 - a failing stop must not kill the server; say so loudly
            log.exception("stop(emergency=%s) raised", emergency)

    def _refuse(self, peer: bytes, kind: str, seq: int, error: BaseException) -> None:
        if isinstance(error, ControllerError):
            message = str(error)
            log.error("%s seq %d refused: %s", kind, seq, message)
        else:
            message = f"{kind}() raised {type(error).__name__}: {error}"
            log.error("%s seq %d refused", kind, seq, exc_info=error)
        self._send(peer, "error", seq, message=message)

    def _send(self, peer: bytes, kind: str, seq: int, *, frames: Sequence[bytes] = (), **fields: Any) -> None:
        header = dict(fields, v=BRIDGE_VERSION, type=kind, seq=seq)
        payload = json.dumps(header, sort_keys=True, allow_nan=False).encode()
        assert self._socket is not None
        try:
            self._socket.send_multipart([peer, payload, *frames], zmq.NOBLOCK)
        except zmq.Again:
            log.warning("could not send %s seq %d: the peer's queue is full", kind, seq)


class _PendingReset:
    """A reset running on the worker thread."""

    def __init__(self, peer: bytes, seq: int, epoch: int, next_heartbeat: float, demonstration: bool) -> None:
        self.peer = peer
        self.seq = seq
        self.epoch = epoch
        self.demonstration = demonstration
        self.next_heartbeat = next_heartbeat
        self.cancelled = False
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.thread: Optional[threading.Thread] = None


def _numbers(value: Any, what: str) -> Dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object of numbers")
    return {str(k): float(v) for k, v in value.items()}


def _frame(values: Floats, size: int, source: str, what: str, layout: str = "") -> bytes:
    """Packs ``values`` as little-endian float32, refusing a wrong size or a non-finite value."""
    try:
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise ControllerError(f"{source}: {what} is not a list of numbers: {error}") from error
    if array.size != size:
        detail = f" ({layout})" if layout else ""
        raise ControllerError(f"{source}: {what} has {array.size} values, hello() declared {size}{detail}")
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ControllerError(f"{source}: {what}[{bad}] is {array[bad]}; only finite numbers may be sent")
    with np.errstate(over="ignore"):  # an overflow is refused just below, by name
        as32 = array.astype("<f4")
    if not np.isfinite(as32).all():
        bad = int(np.flatnonzero(~np.isfinite(as32))[0])
        raise ControllerError(f"{source}: {what}[{bad}] is {array[bad]}, too large for float32")
    return as32.tobytes()
