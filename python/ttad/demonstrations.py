"""Demonstration set files (docs/demonstration-format.md) from what people record with.

:func:`read` turns a ``.npz`` (arrays ``observations``, ``actions``, and ``episode_lengths`` or
``episode_starts`` or neither for one episode, optionally ``success``) or a LeRobot-style parquet
file (columns ``observation.state``, ``action``, ``episode_index``; needs the ``parquet`` extra,
pyarrow) into arrays; :func:`encode` writes the safetensors bytes the daemon's
``add_demonstrations`` takes. :meth:`ttad.Client.add_demonstrations` does both.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["read", "encode", "DemonstrationArrays"]

#: ``(observations [steps, obs] float32, actions [steps, act] float32, episode_lengths [episodes] int32,
#: success [episodes] bool or None)``
DemonstrationArrays = Tuple[np.ndarray, np.ndarray, np.ndarray, Optional[np.ndarray]]


def _lengths(steps: int, lengths: Any, starts: Any, where: str) -> np.ndarray:
    if lengths is not None and starts is not None:
        raise ValueError(f"{where}: give episode_lengths or episode_starts, not both")
    if lengths is not None:
        out = np.asarray(lengths).reshape(-1)
        if out.dtype.kind not in "iu":
            raise ValueError(f"{where}: episode_lengths must be integers, got {out.dtype}")
        return out.astype(np.int64)
    if starts is not None:
        s = np.asarray(starts).reshape(-1)
        if s.dtype.kind not in "iu":
            raise ValueError(f"{where}: episode_starts must be integers, got {s.dtype}")
        if len(s) == 0 or s[0] != 0 or np.any(np.diff(s) <= 0) or s[-1] >= steps:
            raise ValueError(f"{where}: episode_starts must begin at 0 and increase strictly below {steps}, got {s.tolist()[:8]}")
        return np.diff(np.append(s, steps)).astype(np.int64)
    return np.array([steps], dtype=np.int64)


def _read_npz(path: str) -> DemonstrationArrays:
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in ("observations", "actions") if k not in data.files]
        if missing:
            raise ValueError(f"{path}: no array {', '.join(missing)} (has {', '.join(sorted(data.files)) or 'none'})")
        observations = np.asarray(data["observations"])
        actions = np.asarray(data["actions"])
        steps = observations.shape[0] if observations.ndim >= 1 else 0
        lengths = _lengths(steps, data["episode_lengths"] if "episode_lengths" in data.files else None,
                           data["episode_starts"] if "episode_starts" in data.files else None, path)
        success = np.asarray(data["success"]).reshape(-1).astype(bool) if "success" in data.files else None
    return observations, actions, lengths, success


def _read_parquet(path: str) -> DemonstrationArrays:
    try:
        import pyarrow.parquet as pq  # optional: pip install 'ttad[parquet]'
    except ImportError:
        raise ImportError("reading parquet demonstrations needs pyarrow: pip install 'ttad[parquet]'") from None
    table = pq.read_table(path)
    missing = [c for c in ("observation.state", "action", "episode_index") if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} (LeRobot layout: observation.state, action, episode_index)")
    episodes = np.asarray(table.column("episode_index").to_numpy(zero_copy_only=False)).astype(np.int64)
    frames = (np.asarray(table.column("frame_index").to_numpy(zero_copy_only=False)).astype(np.int64)
              if "frame_index" in table.column_names else np.arange(len(episodes)))
    order = np.lexsort((frames, episodes))
    observations = np.asarray(table.column("observation.state").to_pylist(), dtype=np.float64)[order]
    actions = np.asarray(table.column("action").to_pylist(), dtype=np.float64)[order]
    _, lengths = np.unique(episodes[order], return_counts=True)
    return observations, actions, lengths.astype(np.int64), None


def read(path: Union[str, "os.PathLike[str]"]) -> DemonstrationArrays:
    """The arrays of a ``.npz`` or ``.parquet`` demonstration file (checked by :func:`encode`)."""
    path = os.fspath(path)
    if path.endswith(".parquet"):
        return _read_parquet(path)
    if path.endswith(".npz"):
        return _read_npz(path)
    raise ValueError(f"{path}: expected a .npz or .parquet file")


def encode(observations: Any, actions: Any, episode_lengths: Sequence[int], success: Optional[Sequence[bool]] = None,
           *, where: str = "demonstrations") -> bytes:
    """The safetensors bytes of a set (docs/demonstration-format.md), with its data checksum.
    Raises ``ValueError`` naming the array at fault (shapes, lengths, non-finite numbers)."""
    obs = np.asarray(observations)
    act = np.asarray(actions)
    if obs.ndim != 2:
        raise ValueError(f"{where}: observations must be [steps, observation_size], got shape {obs.shape}")
    if act.ndim != 2:
        raise ValueError(f"{where}: actions must be [steps, action_size], got shape {act.shape}")
    if obs.shape[0] != act.shape[0]:
        raise ValueError(f"{where}: observations has {obs.shape[0]} steps, actions {act.shape[0]}")
    lengths = np.asarray(episode_lengths, dtype=np.int64).reshape(-1)
    if len(lengths) == 0 or np.any(lengths <= 0) or int(lengths.sum()) != obs.shape[0]:
        raise ValueError(f"{where}: episode_lengths {lengths.tolist()[:8]} must be >= 1 each and sum to the {obs.shape[0]} steps")
    for name, a in (("observations", obs), ("actions", act)):
        if not np.all(np.isfinite(a)):
            step = int(np.argwhere(~np.isfinite(a))[0][0])
            raise ValueError(f"{where}: {name} has a non-finite number at step {step}")
    meta: Dict[str, str] = {}
    if success is not None:
        flags = [bool(s) for s in success]
        if len(flags) != len(lengths):
            raise ValueError(f"{where}: success has {len(flags)} entries for {len(lengths)} episodes")
        meta["success"] = ",".join("1" if s else "0" for s in flags)
    blobs = [("observations", "F32", list(obs.shape), obs.astype("<f4").tobytes()),
             ("actions", "F32", list(act.shape), act.astype("<f4").tobytes()),
             ("episode_lengths", "I32", [len(lengths)], lengths.astype("<i4").tobytes())]
    header: Dict[str, Any] = {}
    data = b""
    for name, dtype, shape, blob in blobs:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    meta["checksum"] = "sha256:" + hashlib.sha256(data).hexdigest()
    header["__metadata__"] = meta
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data
