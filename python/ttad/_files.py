"""Durable file writes shared by the package (checkpoints, robot-configs)."""
from __future__ import annotations

import os
from typing import Union


def write_atomically(path: str, data: Union[bytes, str]) -> None:
    """Writes ``data`` (text as UTF-8) to ``path`` so that a crash leaves the old file or the new,
    never half of one: a temporary file in the same folder, fsync, rename, fsync the folder.

    The temporary file is named ``.<name>.tmp-<pid>-<random>``, as ttad's own checkpoint store
    names them, so the daemon recognises one a crash left behind.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    directory = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename survives a power cut
    finally:
        os.close(dir_fd)
