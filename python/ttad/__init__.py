"""ttad from Python: a client of the daemon (:class:`Client`), the bridge that makes any
robot or Gymnasium environment a ttad robot (:mod:`ttad.bridge`), and checkpoints to and from
PyTorch (:mod:`ttad.policy`; PyTorch itself only when its functions are called).

See docs/python.md in the ttad repository.
"""
from __future__ import annotations

from . import policy
from .client import DEFAULT_ENDPOINT, DEFAULT_EVENT_ENDPOINT, PROTOCOL_VERSION, Client, EventStream, HistoryPage
from .errors import (BadFrames, BadReply, Conflict, DaemonError, InternalError, InvalidField, Malformed, NoAnswer,
                     NotFound, QueueFull, StorageError, TooLarge, TtadError, Unavailable, UnknownOperation,
                     UnsupportedVersion)

__version__ = "0.1.0"

__all__ = [
    "Client", "EventStream", "HistoryPage", "PROTOCOL_VERSION", "DEFAULT_ENDPOINT", "DEFAULT_EVENT_ENDPOINT",
    "TtadError", "NoAnswer", "BadReply", "DaemonError", "Malformed", "UnsupportedVersion", "UnknownOperation",
    "InvalidField", "TooLarge", "BadFrames", "QueueFull", "NotFound", "Conflict", "Unavailable", "StorageError",
    "InternalError", "policy",
]
