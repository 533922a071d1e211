"""Exceptions raised by the ttad client.

Every failure of a call is a :class:`TtadError`. A refusal by the daemon is a :class:`DaemonError`
that carries the daemon's stable ``code`` and, when one field is at fault, its JSON path
(``field``, e.g. ``args.attempts``); each known code has a subclass (``except ttad.NotFound``). A
daemon that does not answer within the call's deadline gives :class:`NoAnswer`, never a hang.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "TtadError", "NoAnswer", "BadReply", "DaemonError", "Malformed", "UnsupportedVersion", "UnknownOperation", "InvalidField", "TooLarge", "BadFrames", "QueueFull", "NotFound", "Conflict", "Unavailable", "StorageError", "InternalError"
]


class TtadError(Exception):
    """Base class of every error this package raises."""


class NoAnswer(TtadError, TimeoutError):
    """The daemon did not answer within the deadline (is it running? ``systemctl status ttad``)."""

    def __init__(self, endpoint: str, after: float, op: str = "") -> None:
        self.endpoint = endpoint
        self.after = after
        self.op = op
        what = f"{op}: " if op else ""
        super().__init__(f"{what}no answer from ttad at {endpoint} within {after:g} s "
                         "(is the daemon running? `systemctl status ttad`)")


class BadReply(TtadError):
    """The daemon's reply could not be read (not the wire protocol this client speaks)."""


class DaemonError(TtadError):
    """The daemon refused a request: ``code`` is stable (branch on it), ``message`` is for people.

    ``field`` is the JSON path of the offending field (``args.params.target_x``) when one is at
    fault, else ``None``. ``op`` is the operation that was refused. A code this client does not
    know yet (a newer daemon) arrives as a plain ``DaemonError`` with that ``code``.
    """

    #: The wire code a subclass stands for (``None`` on the base class).
    wire_code: Optional[str] = None

    def __init__(self, code: str, message: str, field: Optional[str] = None, op: str = "") -> None:
        self.code = code
        self.message = message
        self.field = field
        self.op = op
        where = f" ({field})" if field else ""
        what = f"{op}: " if op else ""
        super().__init__(f"{what}{code}{where}: {message}")

    @staticmethod
    def from_reply(error: object, op: str = "") -> "DaemonError":
        """Builds the most specific subclass for the ``error`` object of a reply."""
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise BadReply(f"{op}: error reply without a code: {error!r}")
        code = error["code"]
        cls = _BY_CODE.get(code, DaemonError)
        field = error.get("field")
        return cls(code, str(error.get("message", "")), field if isinstance(field, str) else None, op)


class Malformed(DaemonError):
    """The request was not JSON, or not a JSON object."""

    wire_code = "malformed"


class UnsupportedVersion(DaemonError):
    """The daemon speaks another protocol version."""

    wire_code = "unsupported_version"


class UnknownOperation(DaemonError):
    """The daemon does not know the operation."""

    wire_code = "unknown_operation"


class InvalidField(DaemonError):
    """A field is missing, of the wrong type or out of range; ``field`` names it."""

    wire_code = "invalid_field"


class TooLarge(DaemonError):
    """The request was over 64 KiB."""

    wire_code = "too_large"


class BadFrames(DaemonError):
    """The request had the wrong number of frames."""

    wire_code = "bad_frames"


class QueueFull(DaemonError):
    """The daemon's bounded task queue is full; nothing was queued."""

    wire_code = "queue_full"


class NotFound(DaemonError):
    """No such task or checkpoint."""

    wire_code = "not_found"


class Conflict(DaemonError):
    """The request conflicts with the state (e.g. cancelling a finished task)."""

    wire_code = "conflict"


class Unavailable(DaemonError):
    """Not now (e.g. the e-stop is latched: ``resume`` clears it)."""

    wire_code = "unavailable"


class StorageError(DaemonError):
    """The daemon could not read or write its storage (disk full, I/O error)."""

    wire_code = "storage"


class InternalError(DaemonError):
    """A bug in the daemon: the message says what; please report it."""

    wire_code = "internal"


_BY_CODE: Dict[str, Type[DaemonError]] = {
    "malformed": Malformed,
    "unsupported_version": UnsupportedVersion,
    "unknown_operation": UnknownOperation,
    "invalid_field": InvalidField,
    "too_large": TooLarge,
    "bad_frames": BadFrames,
    "queue_full": QueueFull,
    "not_found": NotFound,
    "conflict": Conflict,
    "unavailable": Unavailable,
    "storage": StorageError,
    "internal": InternalError,
}
