"""Exports of a daemon's history for other tools (docs/python.md, docs/fleet.md).

:func:`tensorboard` writes TensorBoard event files: per robot, per task family, the success rate
and mean reward of each training task and the approx-KL and clip fraction of each update, read
from a running daemon (a :class:`~ttad.Client`) or from a JSON Lines export file
(``ttactl export --format jsonl``). It needs the ``tensorboard`` package
(``pip install 'ttad[tensorboard]'``), imported only when it is called.
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .client import Client

__all__ = ["tensorboard", "read_history_jsonl"]

#: What :func:`tensorboard` takes: a client, or one or more JSONL export files.
Source = Union[Client, str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


class _Task:
    """One task as the export needs it, gathered from a task object or from flat rows."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.robot: Optional[str] = None
        self.task: Optional[str] = None
        self.kind = "training"
        self.submitted_at: Optional[float] = None
        self.finished_at: Optional[float] = None
        self.success_rate: Optional[float] = None
        self.mean_reward: Optional[float] = None
        self.attempts: List[Tuple[bool, float]] = []   # (success, reward), from attempt rows
        self.updates: List[Tuple[float, float]] = []   # (approx_kl, clip_fraction) of each update that ran

    def success(self) -> Optional[float]:
        if self.success_rate is not None:
            return self.success_rate
        return sum(s for s, _ in self.attempts) / len(self.attempts) if self.attempts else None

    def reward(self) -> Optional[float]:
        if self.mean_reward is not None:
            return self.mean_reward
        return sum(r for _, r in self.attempts) / len(self.attempts) if self.attempts else None


def _number(value: Any) -> Optional[float]:
    """A finite float, or None (null, absent, or a non-finite number the daemon wrote as a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


class _Gatherer:
    """Tasks in first-seen order, merged from whatever records name them."""

    def __init__(self) -> None:
        self.tasks: Dict[str, _Task] = {}

    def get(self, record: Dict[str, Any], where: str) -> _Task:
        task_id = record.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise ValueError(f"{where}: the record has no task_id")
        task = self.tasks.get(task_id)
        if task is None:
            task = self.tasks[task_id] = _Task(task_id)
        for key in ("robot", "task"):
            if isinstance(record.get(key), str):
                setattr(task, key, record[key])
        return task

    def add(self, record: Dict[str, Any], where: str) -> None:
        """Reads one record: a task object (``task``/``history`` replies), or a row of
        ``ttactl export`` of kind tasks, attempts, updates or checkpoint-events."""
        if isinstance(record.get("attempts"), list):            # a whole task, as `history` gives it
            task = self._task_row(record, where)
            for attempt in record["attempts"]:
                if isinstance(attempt, dict):
                    task.attempts.append((attempt.get("success") is True, _number(attempt.get("reward")) or 0.0))
            for update in record.get("updates") or []:
                if isinstance(update, dict):
                    self._update(task, update)
        elif "success_rate" in record and "submitted_at" in record:   # a tasks row
            self._task_row(record, where)
        elif "approx_kl" in record and "clip_fraction" in record:     # an updates row
            self._update(self.get(record, where), record)
        elif {"index", "success", "reward"} <= record.keys():         # an attempts row
            self.get(record, where).attempts.append((record["success"] is True, _number(record["reward"]) or 0.0))
        elif {"at", "reason"} <= record.keys():                       # a checkpoint-events row: not plotted
            pass
        else:
            raise ValueError(f"{where}: not a ttad history record (a task, attempt, update or checkpoint event); "
                             f"keys: {', '.join(sorted(record)[:12])}")

    def _task_row(self, record: Dict[str, Any], where: str) -> _Task:
        task = self.get(record, where)
        if record.get("kind") in ("training", "evaluation"):
            task.kind = record["kind"]
        task.submitted_at = _number(record.get("submitted_at"))
        task.finished_at = _number(record.get("finished_at"))
        task.success_rate = _number(record.get("success_rate"))
        task.mean_reward = _number(record.get("mean_reward"))
        return task

    @staticmethod
    def _update(task: _Task, update: Dict[str, Any]) -> None:
        if update.get("skipped"):
            return  # no update ran: nothing to plot
        kl, clip = _number(update.get("approx_kl")), _number(update.get("clip_fraction"))
        if kl is not None and clip is not None:
            task.updates.append((kl, clip))

    def oldest_first(self) -> List[_Task]:
        """Tasks in the order they were submitted. Exports and ``history`` list the newest first,
        so tasks without a submission time (update or attempt rows alone) keep that order reversed."""
        tasks = list(self.tasks.values())[::-1]
        if all(t.submitted_at is not None for t in tasks):
            tasks.sort(key=lambda t: (t.submitted_at, t.task_id))
        return tasks


def read_history_jsonl(path: Union[str, "os.PathLike[str]"]) -> Iterator[Dict[str, Any]]:
    """The records of a JSON Lines file, one object per line (blank lines skipped).

    Raises :class:`ValueError` naming the file and line of the first line that is not a JSON object.
    """
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{os.fspath(path)}:{number}: not JSON ({error.msg} at column {error.colno})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{os.fspath(path)}:{number}: expected a JSON object, got {type(record).__name__}")
            yield record


def _gather(source: Source, robot: Optional[str], since: Optional[float]) -> List[_Task]:
    gatherer = _Gatherer()
    if isinstance(source, Client):
        for number, record in enumerate(source.iter_history(robot=robot, since=since), 1):
            gatherer.add(record, f"history task {number}")
    else:
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        if not paths:
            raise ValueError("no JSONL file given")
        for path in paths:
            for number, record in enumerate(read_history_jsonl(path), 1):
                gatherer.add(record, f"{os.fspath(path)}:{number}")
    tasks = gatherer.oldest_first()
    if robot is not None:
        tasks = [t for t in tasks if t.robot == robot]
    if since is not None:
        tasks = [t for t in tasks if t.submitted_at is None or t.submitted_at >= since]
    return tasks


def _run_name(robot: str) -> str:
    """A robot's run folder: its name, with anything that would leave the logdir replaced."""
    name = robot.replace(os.sep, "_").replace("\0", "_")
    return "_" + name if name in ("", ".", "..") else name


def tensorboard(source: Source, logdir: Union[str, "os.PathLike[str]"], *, robot: Optional[str] = None,
                since: Optional[float] = None) -> Dict[str, int]:
    """Writes the history as TensorBoard event files under ``logdir``, one run (folder) per robot.

    ``source``: a :class:`~ttad.Client` (the history is read a page at a time), or the path of a
    JSON Lines file (or several): ``ttactl export --format jsonl`` of kind tasks, attempts and
    updates (one file per kind, or all in one), or whole task objects as ``history`` gives them,
    one per line. ``robot`` and ``since`` (unix seconds) narrow it.

    Scalars, tagged ``<task family>/<name>``:

    - ``success_rate``, ``mean_reward``: each finished training task, at step = the robot's
      training-task count (1, 2, ...), wall time its finish (else submission) time;
    - ``evaluation_success_rate``: each evaluation, at the step of the training tasks before it;
    - ``approx_kl``, ``clip_fraction``: each update that ran (accepted or refused), at step = the
      robot's update count.

    Returns the number of scalars written per run. Raises :class:`FileExistsError` when a run
    folder already holds event files (TensorBoard would draw both: export into a fresh logdir),
    :class:`ValueError` naming the file and line of a record that is not ttad's, and
    :class:`ImportError` when ``tensorboard`` is not installed.
    """
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError("ttad.export.tensorboard needs the tensorboard package: pip install 'ttad[tensorboard]'") from error

    tasks = _gather(source, robot, since)
    by_robot: Dict[str, List[_Task]] = {}
    for task in tasks:
        by_robot.setdefault(task.robot or "unknown", []).append(task)
    root = os.fspath(logdir)
    for name in by_robot:
        folder = os.path.join(root, _run_name(name))
        if os.path.isdir(folder) and any(f.startswith("events.out.tfevents.") for f in os.listdir(folder)):
            raise FileExistsError(f"{folder} already holds TensorBoard event files; export into a fresh logdir")

    written: Dict[str, int] = {}
    for name, robot_tasks in by_robot.items():
        writer = EventFileWriter(os.path.join(root, _run_name(name)))
        count = 0

        def scalar(tag: str, value: Optional[float], step: int, wall: float) -> None:
            nonlocal count
            if value is None:
                return
            writer.add_event(Event(wall_time=wall, step=step,
                                   summary=Summary(value=[Summary.Value(tag=tag, simple_value=value)])))
            count += 1

        training_step = update_step = 0
        try:
            for task in robot_tasks:
                family = task.task or "unknown"
                wall = task.finished_at or task.submitted_at or time.time()
                if task.kind == "evaluation":
                    scalar(f"{family}/evaluation_success_rate", task.success(), training_step, wall)
                    continue
                training_step += 1
                scalar(f"{family}/success_rate", task.success(), training_step, wall)
                scalar(f"{family}/mean_reward", task.reward(), training_step, wall)
                for kl, clip in task.updates:
                    update_step += 1
                    scalar(f"{family}/approx_kl", kl, update_step, wall)
                    scalar(f"{family}/clip_fraction", clip, update_step, wall)
        finally:
            writer.close()
        written[name] = count
    return written
