"""Bring your PyTorch policy to ttad, and take an adapted one back (docs/python.md).

A ttad checkpoint is one safetensors file with ttad's metadata and two checksums
(docs/checkpoint-format.md). This module reads and writes it:

- :func:`from_torch` turns a PyTorch MLP (``nn.Sequential`` of ``Linear`` and ``Tanh``/``ReLU``,
  optionally behind an observation normaliser, or its ``state_dict``) into a verified checkpoint,
  and refuses, naming the layer, what ttad's policy cannot compute.
- :func:`to_torch` returns an ``nn.Module`` (:class:`~ttad.policy_torch.TtadPolicy`) that computes
  exactly ttad's action logits (binned head) or means (gaussian head), after checking both checksums.
- :func:`load` reads a checkpoint with numpy alone: tensors and metadata, both checksums checked.
- :func:`save` writes one from numpy tensors (what :func:`from_torch` uses).
- :func:`to_onnx` exports a checkpoint for deployment elsewhere (needs ``onnx``).

Only :func:`from_torch`, :func:`to_torch` and :func:`to_onnx` need PyTorch (``pip install
'ttad[torch]'``); it is imported when they are called, never by ``ttad.client`` or ``ttad.bridge``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import struct
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._files import write_atomically
from .errors import TtadError

if TYPE_CHECKING:  # pragma: no cover - typing only; torch stays optional at run time
    import torch

    from .policy_torch import TtadPolicy

__all__ = [
    "Checkpoint", "CheckpointError", "UnsupportedModule", "FORMAT_VERSION", "OBS_MEAN", "OBS_STD",
    "load", "save", "from_torch", "to_torch", "to_onnx", "architecture",
]

#: The checkpoint format version this module reads and writes (``format_version``).
FORMAT_VERSION = 1
#: Tensor names of the observation normaliser: the policy's input is ``(obs - mean) / std``.
OBS_MEAN = "obs_norm.mean"
OBS_STD = "obs_norm.std"

#: A float32 array.
Array = npt.NDArray[np.float32]
#: Per-dimension values, or one value for every dimension.
Bounds = Union[float, Sequence[float], npt.NDArray[Any]]

_DATA_CHECKSUM = "checksum"
_HEADER_CHECKSUM = "header_checksum"
_MAX_HEADER = 100_000_000


class CheckpointError(TtadError, ValueError):
    """A checkpoint file that cannot be used: damaged (a checksum, a size or the header is wrong),
    of a newer format, or missing a tensor its architecture needs. The message names the file and
    what is wrong, as the daemon's ``checkpoint <path> is damaged: <reason>`` does."""


class UnsupportedModule(TtadError, ValueError):
    """A PyTorch module (or state dict) that ttad's policy cannot represent; the message names the
    layer (or key) and says what ttad's policy is."""


@dataclass
class Checkpoint:
    """One checkpoint file, read and verified: its ``tensors`` (float32 numpy arrays by name,
    checkpoint-format names such as ``layers.0.weight``), its ``metadata`` (the string map) and
    ``architecture`` (the decoded ``PolicyConfig``, snake_case keys)."""

    path: str
    tensors: Dict[str, Array]
    metadata: Dict[str, str]
    architecture: Dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The checkpoint id (metadata ``id``)."""
        return self.metadata.get("id", "")

    @property
    def robot(self) -> str:
        """The robot (configuration name) the policy was made for."""
        return self.metadata.get("robot", "")

    @property
    def head(self) -> str:
        """``binned`` or ``gaussian``."""
        return str(self.architecture["head"])

    @property
    def observation_normalization(self) -> Optional[Tuple[Array, Array]]:
        """``(mean, std)`` when the checkpoint normalises observations, else ``None``."""
        if OBS_MEAN in self.tensors:
            return self.tensors[OBS_MEAN], self.tensors[OBS_STD]
        return None

    @property
    def policy_tensors(self) -> Dict[str, Array]:
        """The policy's tensors (without the optimizer's ``adam.*``)."""
        return {k: v for k, v in self.tensors.items() if not k.startswith("adam.")}


# -- architecture ---------------------------------------------------------------------------------


def architecture(*, observation_size: int, action_size: int, hidden_sizes: Sequence[int], activation: str = "tanh",
                 head: str = "binned", bins: int = 256, action_low: Bounds = -1.0, action_high: Bounds = 1.0,
                 initial_log_std: float = -0.5, observation_clip: Optional[float] = None) -> Dict[str, Any]:
    """The ``architecture`` metadata (ttad's ``PolicyConfig``) for these values, checked as ttad
    checks it. For a robot's starting checkpoint every key must equal what its robot-config gives
    (docs/learning.md): sizes and action bounds from the robot, the rest from ``policy:``."""
    low = _per_dimension(action_low, action_size, "action_low")
    high = _per_dimension(action_high, action_size, "action_high")
    arch: Dict[str, Any] = {
        "observation_size": int(observation_size), "action_size": int(action_size),
        "hidden_sizes": [int(h) for h in hidden_sizes], "activation": activation, "head": head, "bins": int(bins),
        "action_low": low, "action_high": high, "initial_log_std": float(np.float32(initial_log_std)),
    }
    if observation_clip is not None:
        arch["observation_clip"] = float(np.float32(observation_clip))
    _validate_architecture(arch, "architecture")
    return arch


def _per_dimension(value: Bounds, size: int, name: str) -> List[float]:
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.size == 1:
        array = np.full(size, array[0])
    if array.size != size:
        raise ValueError(f"{name} has {array.size} values for {size} action dimensions")
    # Stored as float32, as ttad reads them: write the float32 value, so 0.1 round-trips exactly.
    return [float(np.float32(v)) for v in array]


def _validate_architecture(arch: Mapping[str, Any], where: str) -> None:
    def fail(why: str) -> ValueError:
        return ValueError(f"{where}: {why}")
    for key in ("observation_size", "action_size"):
        if not isinstance(arch.get(key), int) or arch[key] <= 0:
            raise fail(f"{key} must be a positive integer, got {arch.get(key)!r}")
    hidden = arch.get("hidden_sizes")
    if not isinstance(hidden, list) or not hidden or not all(isinstance(h, int) and h > 0 for h in hidden):
        raise fail(f"hidden_sizes must be one or more positive widths, got {hidden!r} "
                   "(ttad's policy has at least one hidden layer)")
    if arch.get("activation") not in ("tanh", "relu"):
        raise fail(f"activation must be tanh or relu, got {arch.get('activation')!r}")
    if arch.get("head") not in ("binned", "gaussian"):
        raise fail(f"head must be binned or gaussian, got {arch.get('head')!r}")
    if arch["head"] == "binned" and not (isinstance(arch.get("bins"), int) and arch["bins"] >= 2):
        raise fail(f"bins must be at least 2, got {arch.get('bins')!r}")
    size = arch["action_size"]
    low, high = arch.get("action_low"), arch.get("action_high")
    if not isinstance(low, list) or len(low) != size or not isinstance(high, list) or len(high) != size:
        raise fail(f"action_low and action_high need {size} values each")
    for d, (lo, hi) in enumerate(zip(low, high)):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise fail(f"action dimension {d}: need finite low < high, got [{lo}, {hi}]")
    if not math.isfinite(float(arch.get("initial_log_std", -0.5))):
        raise fail("initial_log_std must be finite")
    clip = arch.get("observation_clip")
    if clip is not None and not (isinstance(clip, (int, float)) and math.isfinite(clip) and clip > 0):
        raise fail(f"observation_clip must be a positive number, got {clip!r}")


def _expected_shapes(arch: Mapping[str, Any]) -> Dict[str, Tuple[int, ...]]:
    shapes: Dict[str, Tuple[int, ...]] = {}
    width = int(arch["observation_size"])
    for i, h in enumerate(arch["hidden_sizes"]):
        shapes[f"layers.{i}.weight"] = (int(h), width)
        shapes[f"layers.{i}.bias"] = (int(h),)
        width = int(h)
    actions = int(arch["action_size"])
    outputs = actions * int(arch["bins"]) if arch["head"] == "binned" else actions
    shapes["head.weight"] = (outputs, width)
    shapes["head.bias"] = (outputs,)
    if arch["head"] == "gaussian":
        shapes["head.log_std"] = (actions,)
    return shapes


def _check_policy_tensors(tensors: Mapping[str, Array], arch: Mapping[str, Any], where: str) -> None:
    """Every tensor the architecture needs, with its shape; the normaliser both or neither, shaped
    ``[observation_size]``, std positive; only finite values."""
    for name, shape in _expected_shapes(arch).items():
        if name not in tensors:
            raise CheckpointError(f"{where}: tensor {name} is missing (the architecture needs it, shape {list(shape)})")
        if tuple(tensors[name].shape) != shape:
            raise CheckpointError(f"{where}: tensor {name} has shape {list(tensors[name].shape)}, "
                                  f"the architecture needs {list(shape)}")
    if (OBS_MEAN in tensors) != (OBS_STD in tensors):
        raise CheckpointError(f"{where}: {OBS_MEAN} and {OBS_STD} come together; only "
                              f"{OBS_MEAN if OBS_MEAN in tensors else OBS_STD} is present")
    if OBS_MEAN in tensors:
        size = (int(arch["observation_size"]),)
        for name in (OBS_MEAN, OBS_STD):
            if tuple(tensors[name].shape) != size:
                raise CheckpointError(f"{where}: tensor {name} has shape {list(tensors[name].shape)}, "
                                      f"expected {list(size)} (observation_size)")
        std = tensors[OBS_STD]
        if not np.all(std > 0):
            bad = int(np.argmin(std > 0))
            raise CheckpointError(f"{where}: {OBS_STD}[{bad}] is {std[bad]}; every std must be positive")
    for name, values in tensors.items():
        if not name.startswith("adam.") and not np.all(np.isfinite(values)):
            bad = int(np.argmin(np.isfinite(values).reshape(-1)))
            raise CheckpointError(f"{where}: tensor {name} holds a non-finite value at flat index {bad}")


# -- the file -------------------------------------------------------------------------------------


def _canonical(table: Sequence[Tuple[str, Sequence[int], int, int]], metadata: Mapping[str, str]) -> bytes:
    # docs/checkpoint-format.md: tensor lines sorted by name, then metadata lines sorted by key
    # (without header_checksum), fields separated by NUL.
    text = ""
    for name, shape, begin, end in sorted(table, key=lambda t: t[0]):
        text += f"tensor\0{name}\0F32\0{','.join(str(s) for s in shape)}\0{begin}\0{end}\n"
    for key in sorted(metadata):
        if key != _HEADER_CHECKSUM:
            text += f"meta\0{key}\0{metadata[key]}\n"
    return text.encode("utf-8")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def encode(tensors: Mapping[str, npt.ArrayLike], metadata: Mapping[str, str]) -> bytes:
    """The file's bytes: ``tensors`` (in the given order, stored as little-endian float32) and
    ``metadata`` plus the two checksums, laid out as docs/checkpoint-format.md specifies."""
    data = bytearray()
    table: List[Tuple[str, Sequence[int], int, int]] = []
    for name, value in tensors.items():
        array = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
        begin = len(data)
        data += array.tobytes()
        table.append((name, [int(s) for s in array.shape], begin, len(data)))
    meta = {str(k): str(v) for k, v in metadata.items() if k != _HEADER_CHECKSUM}
    meta[_DATA_CHECKSUM] = _sha256(bytes(data))
    meta[_HEADER_CHECKSUM] = _sha256(_canonical(table, meta))
    header: Dict[str, Any] = {"__metadata__": meta}
    for name, shape, begin, end in table:
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [begin, end]}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)  # the data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + bytes(data)


def decode(raw: bytes, path: str = "<bytes>") -> Checkpoint:
    """Reads a checkpoint's bytes with every check ttad makes (``CheckpointStore.load``): the
    header's consistency and checksum, the data's size and checksum, the metadata, and that every
    tensor the architecture needs is there with its shape. Raises :class:`CheckpointError`."""
    def damaged(why: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {path} is damaged: {why}")
    if len(raw) < 8:
        raise damaged(f"file is {len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8 or n > _MAX_HEADER:
        raise damaged(f"header length {n} runs past the end of the file ({len(raw)} bytes): truncated")
    start = 8 + n
    try:
        header = json.loads(raw[8:start].decode("utf-8"))
    except ValueError:
        raise damaged("header is not valid JSON") from None
    if not isinstance(header, dict):
        raise damaged("header is not a JSON object")
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise damaged("header has no string __metadata__ map")
    size = len(raw) - start
    table: List[Tuple[str, Sequence[int], int, int]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str) and isinstance(entry.get("shape"), list)
                and all(type(s) is int for s in entry["shape"]) and isinstance(entry.get("data_offsets"), list)
                and len(entry["data_offsets"]) == 2 and all(type(o) is int for o in entry["data_offsets"])):
            raise damaged(f'tensor "{name}" has a malformed header entry')
        if entry["dtype"] != "F32":
            raise damaged(f'tensor "{name}" has dtype {entry["dtype"]}, expected F32')
        shape, (begin, end) = entry["shape"], entry["data_offsets"]
        if not (all(s >= 0 for s in shape) and 0 <= begin <= end and end - begin == 4 * math.prod(shape)):
            raise damaged(f'tensor "{name}" offsets {entry["data_offsets"]} do not match its shape {shape}')
        if end > size:
            raise damaged(f'tensor "{name}" ends at byte {end} of the data, which has {size}: truncated')
        table.append((name, shape, begin, end))
    stored = meta.get(_HEADER_CHECKSUM)
    if stored is None:
        raise damaged(f"header has no {_HEADER_CHECKSUM}")
    if stored != _sha256(_canonical(table, meta)):
        raise damaged("header checksum mismatch (header bytes changed)")
    if _DATA_CHECKSUM not in meta:
        raise damaged("header has no checksum")
    described = max((t[3] for t in table), default=0)
    if size != described:
        raise damaged(f"data is {size} bytes, the header describes {described}")
    computed = _sha256(raw[start:])
    if computed != meta[_DATA_CHECKSUM]:
        raise damaged(f"tensor data checksum mismatch ({computed} != stored {meta[_DATA_CHECKSUM]})")
    if meta.get("format") != "ttad-checkpoint":
        raise damaged('not a ttad checkpoint (metadata "format" missing)')
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise damaged("format_version missing") from None
    if version > FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version}; this ttad package reads up to "
                              f"{FORMAT_VERSION} (upgrade it)")
    try:
        arch = json.loads(meta["architecture"])
        _complete_architecture(arch)
        _validate_architecture(arch, "architecture")
    except (KeyError, ValueError, TypeError):
        raise damaged("architecture missing or unreadable") from None
    tensors: Dict[str, Array] = {}
    for name, shape, begin, end in sorted(table, key=lambda t: t[2]):
        tensors[name] = np.frombuffer(raw, dtype="<f4", count=(end - begin) // 4,
                                      offset=start + begin).astype(np.float32).reshape(shape)
    _check_policy_tensors({k: v for k, v in tensors.items() if not k.startswith("adam.")}, arch,
                          f"checkpoint {path} does not fit its architecture")
    return Checkpoint(path=path, tensors=tensors, metadata=dict(meta), architecture=arch)


def _complete_architecture(arch: Dict[str, Any]) -> None:
    # PolicyConfig's decoding defaults (docs/learning.md): only the two sizes are required.
    size = int(arch["action_size"])
    arch.setdefault("hidden_sizes", [256, 256])
    arch.setdefault("activation", "tanh")
    arch.setdefault("head", "binned")
    arch.setdefault("bins", 256)
    arch.setdefault("action_low", [-1.0] * size)
    arch.setdefault("action_high", [1.0] * size)
    arch.setdefault("initial_log_std", -0.5)


def load(path: Union[str, "os.PathLike[str]"]) -> Checkpoint:
    """Reads and verifies a checkpoint file with numpy alone (both checksums, sizes, architecture).

    Raises :class:`CheckpointError` naming the file and what is wrong, ``OSError`` when it cannot
    be read.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    return decode(raw, path)


def save(path: Union[str, "os.PathLike[str]"], tensors: Mapping[str, npt.ArrayLike], architecture: Mapping[str, Any],
         *, robot: str, metrics: Optional[Mapping[str, float]] = None, notes: Optional[Mapping[str, str]] = None,
         parent: Optional[str] = None, step: int = 0) -> Checkpoint:
    """Writes a checkpoint of ``tensors`` (checkpoint-format names, numpy arrays) for
    ``architecture`` (see :func:`architecture`) atomically and durably (temp file, fsync, rename,
    fsync of the folder), reads it back and verifies it. The id is the file name without
    ``.safetensors``. Returns the verified :class:`Checkpoint`.

    Raises ``ValueError`` for a bad architecture and :class:`CheckpointError` for a tensor it
    lacks or shapes wrongly.
    """
    path = os.fspath(path)
    if not robot:
        raise ValueError("robot must name the robot-config the policy is for")
    arch = dict(architecture)
    _validate_architecture(arch, "architecture")
    arrays = {name: np.asarray(value, dtype=np.float32) for name, value in tensors.items()}
    _check_policy_tensors(arrays, arch, "tensors")
    unknown = sorted(set(arrays) - set(_expected_shapes(arch)) - {OBS_MEAN, OBS_STD})
    if unknown:
        raise CheckpointError(f"tensors: {', '.join(unknown)} not part of this architecture's policy "
                              f"(it has {', '.join(_expected_shapes(arch))}, and optionally {OBS_MEAN}, {OBS_STD})")
    if "observation_clip" in arch and OBS_MEAN not in arrays:
        raise ValueError("architecture: observation_clip needs the observation normaliser (obs_mean and obs_std)")
    name = os.path.basename(path)
    stem = name[: -len(".safetensors")] if name.endswith(".safetensors") else name
    # The writer's order: ttad's own (layers, head), then the normaliser.
    ordered = {k: arrays[k] for k in _expected_shapes(arch)}
    for k in (OBS_MEAN, OBS_STD):
        if k in arrays:
            ordered[k] = arrays[k]
    metadata = {
        "format": "ttad-checkpoint", "format_version": str(FORMAT_VERSION), "id": stem,
        "architecture": json.dumps(arch, sort_keys=True, separators=(",", ":")), "robot": robot,
        "created_at": repr(time.time()), "step": str(int(step)),
        "metrics": json.dumps({k: float(v) for k, v in (metrics or {}).items()}, sort_keys=True, allow_nan=False),
    }
    _check_mapping("notes", notes)
    _check_mapping("metrics", metrics)
    if parent:
        metadata["parent"] = parent
    if notes:
        metadata["notes"] = json.dumps({str(k): str(v) for k, v in notes.items()}, sort_keys=True)
    raw = encode(ordered, metadata)
    write_atomically(path, raw)
    return decode(raw, path)


# -- PyTorch --------------------------------------------------------------------------------------


def _torch_side() -> Any:
    try:
        from . import policy_torch
    except ImportError as error:
        raise ImportError(f"ttad.policy needs PyTorch for this ({error}): pip install 'ttad[torch]'") from error
    return policy_torch


def from_torch(module_or_state_dict: Union["torch.nn.Module", Mapping[str, "torch.Tensor"]],
               path: Union[str, "os.PathLike[str]"], *, robot: str,
               obs_mean: Optional[npt.ArrayLike] = None, obs_std: Optional[npt.ArrayLike] = None,
               obs_clip: Optional[float] = None, head: Optional[str] = None, bins: Optional[int] = None,
               action_low: Bounds = -1.0, action_high: Bounds = 1.0, activation: Optional[str] = None,
               log_std: Optional[Any] = None, initial_log_std: float = -0.5,
               metrics: Optional[Mapping[str, float]] = None, notes: Optional[Mapping[str, str]] = None) -> Checkpoint:
    """Writes a PyTorch policy as a verified ttad checkpoint at ``path``; returns it.

    ``module_or_state_dict``: an ``nn.Module`` whose layers, in order, are an optional observation
    normaliser, then ``Linear``, ``Tanh``/``ReLU``, ..., ``Linear`` (the head; ``Identity``,
    ``Flatten`` and ``Dropout`` are skipped), or the ``state_dict`` of one (give ``activation``,
    default tanh), or a :class:`~ttad.policy_torch.TtadPolicy`. Anything else is refused with
    :class:`UnsupportedModule` naming the layer. A module whose ``forward`` returns a tensor is
    run once on random observations and must agree with what ttad will compute.

    ``head``: ``binned`` (the head's outputs are ``action_size * bins`` logits, dimension d's
    ``bins`` rows after each other) or ``gaussian`` (the outputs are the action means; ``log_std``
    is a parameter named ``log_std``/``logstd``/``actor_logstd`` in the module, or the ``log_std``
    argument, else ``initial_log_std`` everywhere). Default: gaussian when a log-std is found.
    ``action_low``/``action_high``: the robot's action bounds (one value or one per dimension);
    a binned action is ``low + (high - low) * k / (bins - 1)`` for bin k.

    Observation normalisation: ``obs_mean``/``obs_std`` (both or neither), or a normaliser module
    first in the module (``running_mean``/``running_var`` with ``eps``, std = sqrt(var + eps), or
    ``mean``/``std``; ``BatchNorm1d`` without affine), and ``obs_clip``: the policy's input is
    ``clip((obs - mean) / std, -obs_clip, obs_clip)``.

    For a robot's starting checkpoint or an import, the architecture must equal the
    robot-config's (docs/learning.md): observation and action sizes, ``action.low/high``, and
    ``policy:``'s ``hidden_sizes``, ``activation``, ``head``, ``bins``, ``initial_log_std``.
    """
    converted = _torch_side().convert(
        module_or_state_dict, head=head, bins=bins, action_low=action_low, action_high=action_high,
        activation=activation, log_std=log_std, initial_log_std=initial_log_std, obs_mean=obs_mean,
        obs_std=obs_std, obs_clip=obs_clip)
    tensors: Dict[str, Array] = converted[0]
    arch: Dict[str, Any] = converted[1]
    _check_mapping("notes", notes)
    _check_mapping("metrics", metrics)
    merged_notes = {"source": "ttad.policy.from_torch"}
    merged_notes.update(notes or {})
    return save(path, tensors, arch, robot=robot, metrics=metrics, notes=merged_notes)


def to_torch(path: Union[str, "os.PathLike[str]"]) -> "TtadPolicy":
    """The checkpoint at ``path`` (both checksums verified first) as an ``nn.Module`` computing
    ttad's action logits (binned) or means (gaussian) from raw observations, normaliser included.
    Its ``state_dict`` names are the checkpoint's tensor names."""
    checkpoint = load(path)
    policy: "TtadPolicy" = _torch_side().TtadPolicy.from_checkpoint(checkpoint)
    return policy


def to_onnx(path: Union[str, "os.PathLike[str]"], out: Union[str, "os.PathLike[str]"], *, opset: int = 17) -> str:
    """Exports the checkpoint at ``path`` as an ONNX model at ``out``: input ``observation``
    ``[batch, observation_size]`` (raw; the normaliser is inside), output ``logits``
    ``[batch, action_size * bins]`` or ``mean`` ``[batch, action_size]``. Needs ``onnx``
    (``pip install onnx``). Returns ``out``."""
    import torch

    if importlib.util.find_spec("onnx") is None:  # torch's exporter needs it; say so plainly
        raise ImportError("to_onnx needs the onnx package: pip install onnx")
    out = os.fspath(out)
    policy = to_torch(path).eval()
    example = torch.zeros(1, int(policy.architecture["observation_size"]))
    output = "logits" if policy.architecture["head"] == "binned" else "mean"
    temp = os.path.join(os.path.dirname(os.path.abspath(out)), f".{os.path.basename(out)}.tmp-{os.getpid()}")
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter needs only `onnx` (the torch.export one also needs onnxscript);
            # recent torch calls it legacy, which says nothing about this model.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(policy, (example,), temp, input_names=["observation"], output_names=[output],
                              dynamic_axes={"observation": {0: "batch"}, output: {0: "batch"}}, opset_version=opset,
                              dynamo=False)
        os.replace(temp, out)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return out


def _check_mapping(name: str, value: object) -> None:
    """Refuses, naming the argument, a ``notes``/``metrics`` that is not a mapping (a string would
    otherwise fail deep inside ``dict`` with a message about sequence elements)."""
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a mapping of name to value (e.g. {{\"source\": \"lab\"}}), "
                        f"got {type(value).__name__} {value!r:.60}")
