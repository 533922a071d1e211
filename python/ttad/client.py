"""A client of the ttad daemon: every operation of the wire protocol (docs/wire-protocol.md).

Each call sends one request over a DEALER socket and waits at most its deadline for the reply;
the result comes back as the reply's ``result`` object (a ``dict``, keys as on the wire). A
refusal raises a :class:`~ttad.errors.DaemonError` carrying the daemon's code and field.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import zmq
import zmq.utils.z85

from ._files import write_atomically
from .errors import BadReply, DaemonError, NoAnswer, TtadError

__all__ = ["Client", "EventStream", "HistoryPage", "PROTOCOL_VERSION", "DEFAULT_ENDPOINT", "DEFAULT_EVENT_ENDPOINT"]

#: The wire protocol version this client speaks (``v`` in every request).
PROTOCOL_VERSION = 1
#: Where a system daemon listens for requests.
DEFAULT_ENDPOINT = "ipc:///run/ttad/ttad.sock"
#: Where a system daemon publishes events.
DEFAULT_EVENT_ENDPOINT = "ipc:///run/ttad/events.sock"

#: A JSON object as decoded from a reply.
JSON = Dict[str, Any]
#: A CURVE key: 40 Z85 characters (``str`` or ``bytes``) or its 32 raw bytes.
Key = Union[str, bytes]


class HistoryPage:
    """One page of ``history``: ``tasks`` (newest first) and ``next_cursor``.

    ``next_cursor`` is what to pass as ``cursor`` for the next page; ``None`` when the daemon says
    there is no more, or when the daemon predates pagination (it then never sends one).
    """

    def __init__(self, tasks: List[JSON], next_cursor: Any = None) -> None:
        self.tasks = tasks
        self.next_cursor = next_cursor

    def __repr__(self) -> str:
        return f"HistoryPage({len(self.tasks)} tasks, next_cursor={self.next_cursor!r})"


class Client:
    """Talks to one daemon. Not thread-safe: use one ``Client`` per thread.

    ``endpoint``: the request socket (default ``$TTAD_ENDPOINT``, else ``ipc:///run/ttad/ttad.sock``;
    ``event_endpoint`` likewise ``$TTAD_EVENTS``; ``ipc://...`` locally; ``tcp://host:port`` for a daemon's
    ``tcp_endpoint``, which needs CURVE). ``timeout``: the default deadline of every call, in
    seconds; each method also takes ``timeout=`` for that call alone.

    CURVE (TCP): ``server_key`` is the daemon's public key (Z85, 40 characters; derive it from the
    secret key file with ``zmq.curve_public``). ``public_key``/``secret_key`` are this client's
    pair; without them a fresh pair is made (the daemon authenticates itself, not its clients).
    """

    def __init__(self, endpoint: Optional[str] = None, *, timeout: float = 5.0,
                 event_endpoint: Optional[str] = None, server_key: Optional[Key] = None,
                 public_key: Optional[Key] = None, secret_key: Optional[Key] = None,
                 context: Optional[zmq.Context] = None) -> None:  # type: ignore[type-arg]
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if (public_key is None) != (secret_key is None):
            raise ValueError("give both public_key and secret_key, or neither")
        if public_key is not None and server_key is None:
            raise ValueError("public_key/secret_key need server_key, the daemon's CURVE public key")
        # As ttactl: the environment's TTAD_ENDPOINT / TTAD_EVENTS, else the system daemon's.
        endpoint = endpoint or os.environ.get("TTAD_ENDPOINT") or DEFAULT_ENDPOINT
        self.endpoint = endpoint
        self.event_endpoint = event_endpoint or os.environ.get("TTAD_EVENTS") or _sibling_event_endpoint(endpoint)
        self.timeout = float(timeout)
        self._curve: Optional[Tuple[bytes, bytes, bytes]] = None
        if server_key is not None:
            if not zmq.has("curve"):
                raise TtadError("this libzmq was built without CURVE; it cannot talk to a TCP endpoint")
            if public_key is None or secret_key is None:
                public_key, secret_key = zmq.curve_keypair()
            self._curve = (_key(server_key, "server_key"), _key(public_key, "public_key"), _key(secret_key, "secret_key"))
        self._owns_context = context is None
        self._context = context or zmq.Context()
        self._socket: Optional[zmq.Socket] = None  # type: ignore[type-arg]
        self._counter = 0

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the socket, and the context if this client made it (which also closes the
        client's event streams: a context cannot end while sockets are open)."""
        self._drop()
        if self._owns_context:
            self._context.destroy(linger=0)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the raw call ----------------------------------------------------------------------

    def call(self, op: str, args: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> JSON:
        """Sends ``op`` with ``args`` and returns the reply's ``result``.

        Raises :class:`NoAnswer` when no reply came within ``timeout`` (default: the client's),
        :class:`DaemonError` (a subclass per code) when the daemon refused, :class:`BadReply`
        when the reply is not the wire protocol.
        """
        return self._call(op, args, timeout=timeout)

    def _call(self, op: str, args: Optional[Mapping[str, Any]], *, timeout: Optional[float],
              attachment: Optional[bytes] = None) -> JSON:
        # `attachment`: a third frame after the JSON (the file of `import`).
        deadline = self.timeout if timeout is None else float(timeout)
        if not deadline > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._counter += 1
        request_id = f"py{self._counter}"
        request: JSON = {"v": PROTOCOL_VERSION, "id": request_id, "op": op}
        if args:
            request["args"] = {k: v for k, v in args.items() if v is not None}
        payload = json.dumps(request, allow_nan=False).encode()
        end = time.monotonic() + deadline
        socket = self._connected()
        try:
            if not socket.poll(int(deadline * 1000), zmq.POLLOUT):
                raise NoAnswer(self.endpoint, deadline, op)
            frames = [b"", payload] if attachment is None else [b"", payload, attachment]
            socket.send_multipart(frames, zmq.NOBLOCK)
            while True:
                left = end - time.monotonic()
                if left <= 0 or not socket.poll(max(1, int(left * 1000)), zmq.POLLIN):
                    raise NoAnswer(self.endpoint, deadline, op)
                frames = socket.recv_multipart(zmq.NOBLOCK)
                reply = _decode_reply(frames, op)
                # A reply to an earlier, abandoned call cannot arrive here (the socket is dropped
                # after a timeout), but match ids anyway: the protocol echoes them for this.
                if reply.get("id") not in (None, request_id):
                    continue
                break
        except (NoAnswer, BadReply):
            self._drop()  # a late reply must never be taken for the answer to the next call
            raise
        except zmq.ZMQError as error:
            self._drop()
            raise TtadError(f"{op}: {self.endpoint}: {error}") from error
        if reply.get("ok") is True:
            result = reply.get("result", {})
            if not isinstance(result, dict):
                raise BadReply(f"{op}: result is not a JSON object: {result!r}")
            return result
        raise DaemonError.from_reply(reply.get("error"), op)

    # -- operations ------------------------------------------------------------------------

    def ping(self, *, timeout: Optional[float] = None) -> JSON:
        """Liveness: ``{"pong": true, "version", "pid"}``."""
        return self.call("ping", timeout=timeout)

    def status(self, *, timeout: Optional[float] = None) -> JSON:
        """Health (``ok``/``degraded``/``estopped``), robot, checkpoint, queue, counters."""
        return self.call("status", timeout=timeout)

    def submit(self, task: str, *, robot: Optional[str] = None, params: Optional[Mapping[str, float]] = None,
               dynamics: Optional[Mapping[str, float]] = None, attempts: Optional[int] = None,
               temperature_base: Optional[float] = None, temperature_range: Optional[float] = None,
               reward: Optional[str] = None, adapt: Optional[bool] = None, priority: Optional[int] = None,
               seed: Optional[int] = None, timeout: Optional[float] = None) -> JSON:
        """Queues a task: ``attempts`` attempts, then (if ``adapt``) an update.

        Left-out fields take the robot-config's ``adaptation:`` defaults. Returns ``task_id``,
        ``position``, ``attempts``, ``temperatures``, ``reward_mode``, ``adapt``.
        """
        args = {"task": task, "robot": robot, "params": dict(params) if params is not None else None,
                "dynamics": dict(dynamics) if dynamics is not None else None, "attempts": attempts,
                "temperature_base": temperature_base, "temperature_range": temperature_range,
                "reward": reward, "adapt": adapt, "priority": priority, "seed": seed}
        return self.call("submit", args, timeout=timeout)

    def evaluate(self, task: str, *, robot: Optional[str] = None, params: Optional[Mapping[str, float]] = None,
                 dynamics: Optional[Mapping[str, float]] = None, tasks: Optional[int] = None,
                 seed: Optional[int] = None, priority: Optional[int] = None, timeout: Optional[float] = None) -> JSON:
        """Queues an evaluation: ``tasks`` (K, 1-500, the daemon's default 20) greedy (T = 0) attempts
        of the live policy, one per task of a fixed evaluation set chosen by ``seed`` (default 0), so
        evaluations before and after adapting face the same tasks. Nothing is updated and the
        gate's record is untouched; the history keeps it as a task of ``kind`` ``evaluation``.
        Returns ``task_id`` (follow it with :meth:`wait_task`), ``position``, ``tasks``, ``seed``,
        ``checkpoint``.
        """
        args = {"task": task, "robot": robot, "params": dict(params) if params is not None else None,
                "dynamics": dict(dynamics) if dynamics is not None else None, "tasks": tasks, "seed": seed,
                "priority": priority}
        return self.call("evaluate", args, timeout=timeout)

    def task(self, task_id: str, *, timeout: Optional[float] = None) -> JSON:
        """One task: state, params, attempts, updates, checkpoint events."""
        return self.call("task", {"task_id": task_id}, timeout=timeout)

    def cancel(self, task_id: str, *, timeout: Optional[float] = None) -> JSON:
        """Cancels a queued or running task (a running attempt stops at its next step)."""
        return self.call("cancel", {"task_id": task_id}, timeout=timeout)

    def history(self, *, task: Optional[str] = None, robot: Optional[str] = None, since: Optional[float] = None,
                until: Optional[float] = None, limit: Optional[int] = None, cursor: Any = None,
                timeout: Optional[float] = None) -> HistoryPage:
        """One page of past tasks, newest first (``limit`` 1-10000, the daemon's default 100).

        ``cursor``: a previous page's ``next_cursor``, to read on from there. :meth:`iter_history`
        follows the cursors for you.
        """
        result = self.call("history", {"task": task, "robot": robot, "since": since, "until": until,
                                       "limit": limit, "cursor": cursor}, timeout=timeout)
        tasks = result.get("tasks")
        if not isinstance(tasks, list):
            raise BadReply(f"history: reply has no tasks list: {result!r}")
        return HistoryPage(tasks, result.get("next_cursor"))

    def iter_history(self, *, task: Optional[str] = None, robot: Optional[str] = None,
                     since: Optional[float] = None, until: Optional[float] = None, page_size: int = 100,
                     timeout: Optional[float] = None) -> Iterator[JSON]:
        """Every matching task, newest first, fetched ``page_size`` at a time by following
        ``next_cursor``. Each page is one call with its own deadline. A daemon without pagination
        answers one page (its newest ``page_size`` tasks) and no cursor: the iteration ends there.
        """
        cursor: Any = None
        while True:
            page = self.history(task=task, robot=robot, since=since, until=until, limit=page_size,
                                cursor=cursor, timeout=timeout)
            yield from page.tasks
            if page.next_cursor is None or not page.tasks:
                return
            cursor = page.next_cursor

    def label(self, task_id: str, attempt: int, outcome: str, *, by: Optional[str] = None,
              timeout: Optional[float] = None) -> JSON:
        """A person's label on an operator-judged attempt (``success_judged_by: operator``):
        ``outcome`` is ``"success"`` or ``"failure"``, ``attempt`` the index from 0. The reply's
        ``used`` is false (and ``late`` true) when the label came after the attempt's deadline:
        it is kept in the history but the update went on without it. The daemon refuses an unknown
        task (:class:`NotFound`), an attempt out of range or a bad outcome word
        (:class:`InvalidField`), and an attempt not awaiting a label (:class:`Conflict`).
        """
        return self.call("label", {"task": task_id, "attempt": attempt, "outcome": outcome, "by": by}, timeout=timeout)

    def checkpoints(self, *, timeout: Optional[float] = None) -> JSON:
        """``live``, ``last_good`` and every checkpoint (id, robot, parent, state, metrics)."""
        return self.call("checkpoints", timeout=timeout)

    def rollback(self, checkpoint: Optional[str] = None, *, reason: Optional[str] = None,
                 timeout: Optional[float] = None) -> JSON:
        """Loads ``checkpoint`` (default: the last good one) as the live policy."""
        return self.call("rollback", {"checkpoint": checkpoint, "reason": reason}, timeout=timeout)

    def pause(self, *, timeout: Optional[float] = None) -> JSON:
        """Stops making updates (attempts still run)."""
        return self.call("pause", timeout=timeout)

    def resume(self, *, timeout: Optional[float] = None) -> JSON:
        """Makes updates again; also clears a latched e-stop and a degraded state."""
        return self.call("resume", timeout=timeout)

    def estop(self, *, timeout: Optional[float] = None) -> JSON:
        """Aborts the running attempt at once, stops the robot, refuses ``submit`` until ``resume``."""
        return self.call("estop", timeout=timeout)

    def reload(self, *, timeout: Optional[float] = None) -> JSON:
        """Re-reads the robot-configs; a bad file leaves the old ones in force."""
        return self.call("reload", timeout=timeout)

    def import_checkpoint(self, robot: str, path: Union[str, "os.PathLike[str]"], *, by: Optional[str] = None,
                          card: Union[None, bool, str, "os.PathLike[str]", Mapping[str, Any]] = None,
                          timeout: Optional[float] = None) -> JSON:
        """Puts the checkpoint file at ``path`` on ``robot``: the daemon verifies it (checksums, and
        its architecture against the robot-config), stores it, records where it came from
        (the file name, its SHA-256 and ``by``) and makes it the live, good policy.

        ``card``: the model card to send with it (:meth:`export_checkpoint` writes one): a path, the
        card itself, ``False`` for none, or ``None`` (the default) for ``<name>.card.json`` beside
        the file when there is one. The daemon checks the card describes the file and records its
        source robot (docs/checkpoint-format.md, "Model card").

        Sends the file's bytes as a third frame with its SHA-256, so a transfer error is caught.
        Returns ``checkpoint`` (the new id), ``robot`` and ``message``. A refused file raises
        :class:`~ttad.errors.InvalidField` naming the key or tensor that does not fit (or both
        robot-configs, for a file made for another one), :class:`~ttad.errors.TooLarge`, or
        :class:`~ttad.errors.NotFound` for an unknown robot.
        Write such a file with :func:`ttad.policy.from_torch`.
        """
        path = os.fspath(path)
        with open(path, "rb") as f:
            data = f.read()
        args: Dict[str, Any] = {"robot": robot, "file_name": os.path.basename(path),
                                "sha256": hashlib.sha256(data).hexdigest(), "by": by}
        if card is None:
            beside = (path[:-len(".safetensors")] if path.endswith(".safetensors") else path) + ".card.json"
            card = beside if os.path.exists(beside) else False
        if isinstance(card, (str, os.PathLike)):
            with open(card, encoding="utf-8") as f:
                try:
                    card = json.load(f)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{os.fspath(card)}: not a model card (not JSON: {error.msg})") from None
        if card is not False and card is not True:
            args["card"] = dict(card)
        return self._call("import", args, timeout=timeout, attachment=data)

    def demo(self, task: str, *, robot: Optional[str] = None, count: int = 1, params: Optional[Mapping[str, float]] = None,
             dynamics: Optional[Mapping[str, float]] = None, seed: Optional[int] = None, priority: Optional[int] = None,
             timeout: Optional[float] = None) -> JSON:
        """Queues ``count`` demonstration attempts a person drives over the bridge (protocol 1.2);
        their whole episodes are stored as one set. Returns ``task_id``, ``position``, ``count``."""
        args = {"task": task, "robot": robot, "count": count, "params": dict(params) if params else None,
                "dynamics": dict(dynamics) if dynamics else None, "seed": seed, "priority": priority}
        return self.call("demo", {k: v for k, v in args.items() if v is not None}, timeout=timeout)

    def demos(self, *, robot: Optional[str] = None, task: Optional[str] = None, timeout: Optional[float] = None) -> JSON:
        """The stored demonstration sets (``sets``: id, robot, task, episodes, steps, successes,
        source, created_at) and any ``damaged`` file (path, reason; never trained on)."""
        args = {k: v for k, v in (("robot", robot), ("task", task)) if v is not None}
        return self.call("demos", args, timeout=timeout)

    def remove_demonstrations(self, set_id: str, *, timeout: Optional[float] = None) -> JSON:
        """Deletes stored demonstration set ``set_id``."""
        return self.call("remove_demonstrations", {"id": set_id}, timeout=timeout)

    def add_demonstrations(self, robot: str, task: str, path: Union[str, "os.PathLike[str]"], *,
                           timeout: Optional[float] = None) -> JSON:
        """Stores the demonstrations in ``path`` for ``robot`` and task family ``task``: a ``.npz``
        (arrays ``observations``, ``actions``, and ``episode_lengths`` or ``episode_starts`` or
        neither for one episode; optional ``success``) or a LeRobot-style ``.parquet``
        (``observation.state``, ``action``, ``episode_index``; needs ``pip install 'ttad[parquet]'``).
        Observations are raw, as the robot sends them; actions the executed ones.

        Builds the set file (docs/demonstration-format.md) and sends it with its SHA-256; the daemon
        checks it against the robot-config and stores it; every later update of the robot on the
        task family clones it (docs/learning.md). Returns the stored set's entry (``id``, ...).
        Bad arrays raise ``ValueError`` here, or :class:`~ttad.errors.InvalidField` from the
        daemon (e.g. ``file: observations`` for the wrong width).
        """
        from . import demonstrations
        path = os.fspath(path)
        observations, actions, lengths, success = demonstrations.read(path)
        data = demonstrations.encode(observations, actions, lengths, success, where=path)
        args = {"robot": robot, "task": task, "file_name": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest()}
        return self._call("add_demonstrations", args, timeout=timeout, attachment=data)

    def export_checkpoint(self, robot: str, out: Union[str, "os.PathLike[str]"], *, which: str = "live",
                          timeout: Optional[float] = None) -> JSON:
        """Writes ``robot``'s ``live`` (or last ``good``) checkpoint file to the folder ``out``
        (created if missing) as ``<id>.safetensors``, with its model card beside it as
        ``<id>.card.json``, each atomically; returns the card. :meth:`import_checkpoint` on a robot
        of the same robot-config reads the card and records the policy's provenance."""
        result = self.call("export_checkpoint", {"robot": robot, "which": which}, timeout=timeout)
        card, encoded = result.get("card"), result.get("file_base64")
        if not isinstance(card, dict) or not isinstance(encoded, str) or not isinstance(card.get("checkpoint"), str):
            raise BadReply(f"export_checkpoint: reply has no card or file_base64: {sorted(result)}")
        data = base64.b64decode(encoded, validate=True)
        if hashlib.sha256(data).hexdigest() != card.get("sha256"):
            raise BadReply("export_checkpoint: the file's SHA-256 differs from its card's")
        os.makedirs(out, exist_ok=True)
        stem = os.path.join(os.fspath(out), os.path.basename(card["checkpoint"]))
        write_atomically(stem + ".safetensors", data)   # the file first: a card never names a missing file
        write_atomically(stem + ".card.json", json.dumps(card, indent=2, sort_keys=True) + "\n")
        return card

    def wait_task(self, task_id: str, *, deadline: float = 300.0, poll: float = 0.1) -> JSON:
        """Polls ``task`` until the task leaves ``queued``/``running``; raises :class:`NoAnswer`
        (naming the task) when ``deadline`` seconds pass first."""
        end = time.monotonic() + deadline
        while True:
            info = self.task(task_id)
            if info.get("state") not in ("queued", "running"):
                return info
            if time.monotonic() >= end:
                raise NoAnswer(self.endpoint, deadline, f"wait_task {task_id} (still {info.get('state')})")
            time.sleep(poll)

    def events(self, kinds: Iterable[str] = (), *, idle_timeout: float = 30.0) -> "EventStream":
        """Subscribes to the daemon's events (all, or those whose kind starts with one of ``kinds``).

        Open the stream *before* submitting: a subscription takes a moment to reach the daemon,
        and events published before that are not delivered (ZeroMQ PUB/SUB).
        """
        return EventStream(self._context, self.event_endpoint, kinds, idle_timeout=idle_timeout)

    # -- internals -------------------------------------------------------------------------

    def _connected(self) -> zmq.Socket:  # type: ignore[type-arg]
        if self._socket is None:
            # DEALER, not REQ: a lost reply must not wedge REQ's send/receive state machine.
            socket = self._context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            if self._curve is not None:
                server, public, secret = self._curve
                socket.curve_serverkey = server
                socket.curve_publickey = public
                socket.curve_secretkey = secret
            socket.connect(self.endpoint)
            self._socket = socket
        return self._socket

    def _drop(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None


class EventStream:
    """An iterator over the daemon's events (``dict``: ``v``, ``kind``, ``at`` and the kind's fields).

    Each ``next()`` waits at most ``idle_timeout`` seconds and raises :class:`NoAnswer` when no
    event came (a quiet daemon, or a wrong endpoint); :meth:`next` takes its own timeout.
    Close it (or use ``with``) when done.
    """

    def __init__(self, context: zmq.Context, endpoint: str, kinds: Iterable[str] = (),  # type: ignore[type-arg]
                 *, idle_timeout: float = 30.0) -> None:
        if not idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a positive number of seconds, got {idle_timeout!r}")
        self.endpoint = endpoint
        self.idle_timeout = float(idle_timeout)
        self._socket = context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        prefixes = list(kinds) or [""]
        for prefix in prefixes:
            self._socket.setsockopt(zmq.SUBSCRIBE, prefix.encode())
        self._socket.connect(endpoint)

    def next(self, timeout: Optional[float] = None) -> JSON:
        """The next event, waiting at most ``timeout`` (default ``idle_timeout``) seconds."""
        wait = self.idle_timeout if timeout is None else float(timeout)
        if not self._socket.poll(max(1, int(wait * 1000)), zmq.POLLIN):
            raise NoAnswer(self.endpoint, wait, "events")
        frames = self._socket.recv_multipart(zmq.NOBLOCK)
        if len(frames) != 2:
            raise BadReply(f"event of {len(frames)} frames, expected 2 (topic, JSON)")
        try:
            event = json.loads(frames[1])
        except ValueError as error:
            raise BadReply(f"event is not JSON: {error}") from error
        if not isinstance(event, dict):
            raise BadReply(f"event is not a JSON object: {event!r}")
        return event

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> JSON:
        return self.next()

    def close(self) -> None:
        """Unsubscribes and closes the socket."""
        self._socket.close(linger=0)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode_reply(frames: List[bytes], op: str) -> JSON:
    # DEALER receives [empty delimiter, JSON].
    if len(frames) != 2 or frames[0] != b"":
        raise BadReply(f"{op}: reply of {len(frames)} frames, expected 2 (empty delimiter, JSON)")
    try:
        reply = json.loads(frames[1])
    except ValueError as error:
        raise BadReply(f"{op}: reply is not JSON: {error}") from error
    if not isinstance(reply, dict):
        raise BadReply(f"{op}: reply is not a JSON object")
    if reply.get("v") != PROTOCOL_VERSION:
        raise BadReply(f"{op}: reply of protocol version {reply.get('v')!r}; this client speaks {PROTOCOL_VERSION}")
    return reply


def _key(key: Key, name: str) -> bytes:
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) == 32:
        return zmq.utils.z85.encode(raw)
    if len(raw) != 40:
        raise ValueError(f"{name} must be 40 Z85 characters (or 32 raw bytes), got {len(raw)}")
    return raw


def _sibling_event_endpoint(endpoint: str) -> str:
    # The daemon's defaults put both ipc sockets in one folder: ttad.sock and events.sock.
    if endpoint.startswith("ipc://") and endpoint.endswith("/ttad.sock"):
        return endpoint[: -len("ttad.sock")] + "events.sock"
    return DEFAULT_EVENT_ENDPOINT
