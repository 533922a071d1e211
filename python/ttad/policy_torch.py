"""The PyTorch side of :mod:`ttad.policy`: ttad's policy as an ``nn.Module`` (:class:`TtadPolicy`)
and the conversion of a user's module or state dict into checkpoint tensors.

Imported only by :func:`ttad.policy.from_torch`, :func:`~ttad.policy.to_torch` and
:func:`~ttad.policy.to_onnx`: it imports torch at once, which the rest of the package never does.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from .policy import (OBS_MEAN, OBS_STD, Array, Bounds, Checkpoint, UnsupportedModule, architecture)

__all__ = ["TtadPolicy", "ObservationNormalizer", "GaussianHead", "convert"]

#: What ttad's policy is, for the refusals.
_SHAPE = ("ttad's policy is [observation normaliser] -> Linear -> Tanh|ReLU -> ... -> Linear head "
          "(logits of a binned head, or the means of a gaussian head with a state-independent log_std)")
_LOG_STD_NAMES = ("log_std", "logstd", "actor_logstd", "log_stds")
_SKIPPED = (nn.Identity, nn.Flatten, nn.Dropout)


class ObservationNormalizer(nn.Module):
    """``clip((obs - mean) / std, -clip, clip)`` with fixed ``mean`` and ``std`` buffers (never
    trained, as in ttad); ``clip`` None means no clipping."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, clip: Optional[float] = None) -> None:
        super().__init__()
        self.register_buffer("mean", mean.detach().clone().float())
        self.register_buffer("std", std.detach().clone().float())
        self.clip = clip

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The normalised observations."""
        x = (obs - self.mean) / self.std
        return x if self.clip is None else x.clamp(-self.clip, self.clip)


class GaussianHead(nn.Linear):
    """The gaussian head: a ``Linear`` giving the means, and ``log_std`` (one per action dimension,
    state-independent) as in CleanRL; so its state dict keys are ``head.log_std`` as in the file."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(in_features, out_features)
        self.log_std = nn.Parameter(torch.zeros(out_features))


class TtadPolicy(nn.Module):
    """ttad's policy network (docs/learning.md): the optional observation normaliser, hidden
    ``Linear`` layers with the architecture's activation, and the head. ``forward(obs)`` returns
    what ttad computes from raw observations ``[batch, observation_size]``: the logits
    ``[batch, action_size * bins]`` (binned; dimension d's bins are columns d*bins ..< (d+1)*bins)
    or the means ``[batch, action_size]`` (gaussian). ``architecture`` is the checkpoint's."""

    action_low: torch.Tensor
    action_high: torch.Tensor

    def __init__(self, arch: Mapping[str, Any]) -> None:
        super().__init__()
        self.architecture: Dict[str, Any] = dict(arch)
        self.obs_norm: Optional[ObservationNormalizer] = None
        width = int(arch["observation_size"])
        self.layers = nn.ModuleList()
        for h in arch["hidden_sizes"]:
            self.layers.append(nn.Linear(width, int(h)))
            width = int(h)
        actions = int(arch["action_size"])
        self.head: nn.Linear
        if arch["head"] == "binned":
            self.head = nn.Linear(width, actions * int(arch["bins"]))
        else:
            self.head = GaussianHead(width, actions)
        self.register_buffer("action_low", torch.tensor(arch["action_low"], dtype=torch.float32), persistent=False)
        self.register_buffer("action_high", torch.tensor(arch["action_high"], dtype=torch.float32), persistent=False)

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint) -> "TtadPolicy":
        """The module holding ``checkpoint``'s tensors (already verified by :func:`ttad.policy.load`)."""
        policy = cls(checkpoint.architecture)
        tensors = checkpoint.policy_tensors
        if OBS_MEAN in tensors:
            policy.obs_norm = ObservationNormalizer(torch.from_numpy(tensors[OBS_MEAN].copy()),
                                                    torch.from_numpy(tensors[OBS_STD].copy()),
                                                    checkpoint.architecture.get("observation_clip"))
        state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items() if k not in (OBS_MEAN, OBS_STD)}
        if policy.obs_norm is not None:
            state[OBS_MEAN] = torch.from_numpy(tensors[OBS_MEAN].copy())
            state[OBS_STD] = torch.from_numpy(tensors[OBS_STD].copy())
        missing, unexpected = policy.load_state_dict(state, strict=False)
        if missing:
            raise UnsupportedModule(f"checkpoint {checkpoint.path}: no tensor for {', '.join(missing)}")
        return policy.eval()

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Logits (binned) or means (gaussian) for raw observations."""
        x = obs.float()
        if self.obs_norm is not None:
            x = self.obs_norm.forward(x)
        act = torch.tanh if self.architecture["activation"] == "tanh" else torch.relu
        for layer in self.layers:
            x = act(layer(x))
        out: torch.Tensor = self.head(x)
        return out

    def logits(self, obs: torch.Tensor) -> torch.Tensor:
        """Binned head: the logits as ``[batch, action_size, bins]``."""
        if self.architecture["head"] != "binned":
            raise ValueError("logits: this policy has a gaussian head (forward gives the means)")
        out = self.forward(obs)
        return out.reshape(out.shape[0], int(self.architecture["action_size"]), int(self.architecture["bins"]))

    def bin_centres(self) -> torch.Tensor:
        """Binned head: ``[action_size, bins]``, ``low + (high - low) * k / (bins - 1)`` in float32 as ttad."""
        k = int(self.architecture["bins"])
        steps = torch.arange(k, dtype=torch.float32) / float(k - 1)
        low, high = self.action_low.unsqueeze(1), self.action_high.unsqueeze(1)
        return (low + (high - low) * steps).clamp(low, high)

    def greedy_action(self, obs: torch.Tensor) -> torch.Tensor:
        """What ttad acts at temperature 0: each dimension's argmax bin centre (binned), or the
        mean (gaussian), clamped to the action bounds. ``[batch, action_size]``."""
        with torch.no_grad():
            if self.architecture["head"] == "binned":
                bins = self.logits(obs).argmax(dim=2)  # the first of equal maxima, as ttad
                return torch.gather(self.bin_centres().expand(bins.shape[0], -1, -1), 2,
                                    bins.unsqueeze(2)).squeeze(2)
            return self.forward(obs).clamp(self.action_low, self.action_high)


# -- conversion -----------------------------------------------------------------------------------


def _numpy(t: Union[torch.Tensor, npt.ArrayLike]) -> Array:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().to(torch.float32).numpy().copy()
    return np.asarray(t, dtype=np.float32)


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features} -> {module.out_features})"
    return type(module).__name__


def _normaliser_of(name: str, module: nn.Module) -> Optional[Tuple[Array, Array, Optional[float]]]:
    """``(mean, std, clip)`` when ``module`` is an observation normaliser we can read, else None."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        if module.running_mean is None or module.running_var is None:
            raise UnsupportedModule(f"layer '{name}' ({_describe(module)}) keeps no running statistics; {_SHAPE}")
        if module.affine and not (torch.all(module.weight == 1) and torch.all(module.bias == 0)):
            raise UnsupportedModule(f"layer '{name}' ({_describe(module)}) has a learned affine transform; ttad's "
                                    "normaliser is (obs - mean) / std only (use BatchNorm1d(affine=False))")
        running_var = _numpy(module.running_var).astype(np.float64)
        return _numpy(module.running_mean), np.sqrt(running_var + float(module.eps)).astype(np.float32), None
    values: Dict[str, Any] = dict(module.named_buffers(recurse=False))
    values.update(dict(module.named_parameters(recurse=False)))
    for attr in ("mean", "running_mean", "obs_mean", "var", "running_var", "obs_var", "std", "obs_std"):
        if attr not in values and isinstance(getattr(module, attr, None), (torch.Tensor, np.ndarray)):
            values[attr] = getattr(module, attr)
    mean: Any = next((values[k] for k in ("mean", "running_mean", "obs_mean") if k in values), None)
    std: Any = next((values[k] for k in ("std", "obs_std") if k in values), None)
    var: Any = next((values[k] for k in ("var", "running_var", "obs_var") if k in values), None)
    if mean is None or (std is None and var is None):
        return None
    if std is not None:
        std_array = _numpy(std)
    else:
        eps = next((getattr(module, k) for k in ("eps", "epsilon") if isinstance(getattr(module, k, None), (int, float))), 0.0)
        std_array = np.sqrt(_numpy(var).astype(np.float64) + float(eps)).astype(np.float32)
    clip = next((float(getattr(module, k)) for k in ("clip", "clip_obs", "obs_clip")
                 if isinstance(getattr(module, k, None), (int, float)) and not isinstance(getattr(module, k), bool)), None)
    return _numpy(mean).reshape(-1), std_array.reshape(-1), clip


def _leaves(module: nn.Module, prefix: str = "") -> Iterator[Tuple[str, nn.Module]]:
    """The modules that compute, in registration order; a recognised normaliser counts as one."""
    children = list(module.named_children())
    if not children or isinstance(module, nn.modules.batchnorm._BatchNorm):
        yield prefix or type(module).__name__, module
        return
    for child_name, child in children:
        yield from _leaves(child, f"{prefix}.{child_name}" if prefix else child_name)


class _Chain:
    """The pieces found in a module or state dict, checked as they come in order."""

    def __init__(self) -> None:
        self.linears: List[Tuple[str, Array, Array]] = []
        self.activation: Optional[str] = None
        self.activation_pending = False  # an activation has followed the last Linear
        self.normaliser: Optional[Tuple[Array, Array, Optional[float]]] = None
        self.normaliser_name = ""
        self.log_std: Optional[Array] = None

    def add_linear(self, name: str, weight: Array, bias: Optional[Array]) -> None:
        if weight.ndim != 2:
            raise UnsupportedModule(f"layer '{name}': a weight of shape {list(weight.shape)}; {_SHAPE}")
        if self.linears:
            previous = self.linears[-1]
            if not self.activation_pending:
                raise UnsupportedModule(f"layer '{name}' follows Linear layer '{previous[0]}' with no activation "
                                        f"between them; {_SHAPE}")
            if weight.shape[1] != previous[1].shape[0]:
                raise UnsupportedModule(f"layer '{name}' takes {weight.shape[1]} inputs but layer '{previous[0]}' "
                                        f"gives {previous[1].shape[0]}; {_SHAPE}")
        elif self.normaliser is not None and weight.shape[1] != self.normaliser[0].shape[0]:
            raise UnsupportedModule(f"layer '{name}' takes {weight.shape[1]} inputs but the normaliser "
                                    f"'{self.normaliser_name}' has {self.normaliser[0].shape[0]} values")
        if bias is None:
            bias = np.zeros(weight.shape[0], dtype=np.float32)
        if bias.shape != (weight.shape[0],):
            raise UnsupportedModule(f"layer '{name}': bias of shape {list(bias.shape)} for {weight.shape[0]} outputs")
        self.linears.append((name, weight, bias))
        self.activation_pending = False

    def add_activation(self, name: str, kind: str) -> None:
        if not self.linears:
            raise UnsupportedModule(f"layer '{name}' ({kind}) comes before any Linear layer; {_SHAPE}")
        if self.activation_pending:
            raise UnsupportedModule(f"layer '{name}' ({kind}) is a second activation after layer "
                                    f"'{self.linears[-1][0]}'; {_SHAPE}")
        if self.activation is not None and self.activation != kind:
            raise UnsupportedModule(f"layer '{name}' is {kind} but earlier layers use {self.activation}; "
                                    "ttad's hidden layers share one activation")
        self.activation = kind
        self.activation_pending = True

    def add_normaliser(self, name: str, found: Tuple[Array, Array, Optional[float]]) -> None:
        if self.linears:
            raise UnsupportedModule(f"layer '{name}' normalises after layer '{self.linears[-1][0]}'; ttad "
                                    "normalises only the observation, before the first layer")
        if self.normaliser is not None:
            raise UnsupportedModule(f"layer '{name}' is a second normaliser (after '{self.normaliser_name}')")
        self.normaliser, self.normaliser_name = found, name

    def finish(self, where: str) -> None:
        if self.activation_pending:
            raise UnsupportedModule(f"{where}: the last layer '{self.linears[-1][0]}' is followed by an activation "
                                    f"({self.activation}); ttad's head gives raw logits/means, so the output layer "
                                    "must be a Linear (a squashed gaussian mean cannot be represented)")
        if len(self.linears) < 2:
            raise UnsupportedModule(f"{where}: {len(self.linears)} Linear layer(s); ttad's policy needs at least "
                                    f"one hidden layer and the head. {_SHAPE}")


def _chain_from_module(module: nn.Module) -> _Chain:
    chain = _Chain()
    for name, leaf in _leaves(module):
        if isinstance(leaf, nn.Linear):
            chain.add_linear(name, _numpy(leaf.weight), None if leaf.bias is None else _numpy(leaf.bias))
        elif isinstance(leaf, nn.Tanh):
            chain.add_activation(name, "tanh")
        elif isinstance(leaf, nn.ReLU):
            chain.add_activation(name, "relu")
        elif isinstance(leaf, _SKIPPED):
            continue
        else:
            found = _normaliser_of(name, leaf)
            if found is None:
                raise UnsupportedModule(f"layer '{name}' ({_describe(leaf)}) has no counterpart in ttad; {_SHAPE}")
            chain.add_normaliser(name, found)
    # Parameters held by containers (not by a layer): a gaussian head's log-std, or something unknown.
    for owner_name, owner in module.named_modules():
        if isinstance(owner, (nn.Linear, nn.modules.batchnorm._BatchNorm)) or _normaliser_of(owner_name, owner) is not None:
            continue
        for pname, param in owner.named_parameters(recurse=False):
            full = f"{owner_name}.{pname}" if owner_name else pname
            if pname in _LOG_STD_NAMES:
                if chain.log_std is not None:
                    raise UnsupportedModule(f"parameter '{full}' is a second log-std")
                chain.log_std = _numpy(param).reshape(-1)
            else:
                raise UnsupportedModule(f"parameter '{full}' belongs to no layer ttad knows; {_SHAPE}")
    chain.finish(type(module).__name__)
    return chain


def _chain_from_state_dict(state: Mapping[str, Any], activation: str) -> _Chain:
    chain = _Chain()
    layers: Dict[str, Dict[str, Array]] = {}
    order: List[str] = []
    norm: Dict[str, Array] = {}
    for key, value in state.items():
        owner, _, leaf = key.rpartition(".")
        array = _numpy(value)
        if leaf in _LOG_STD_NAMES:
            chain.log_std = array.reshape(-1)
        elif leaf in ("weight", "bias"):
            if owner not in layers:
                layers[owner] = {}
                order.append(owner)
            layers[owner][leaf] = array
        elif leaf in ("mean", "running_mean", "obs_mean", "std", "obs_std", "var", "running_var", "obs_var"):
            if order:
                raise UnsupportedModule(f"state dict key '{key}': a normaliser after layer '{order[-1]}'; ttad "
                                        "normalises only the observation, before the first layer")
            norm[leaf] = array
        elif leaf in ("num_batches_tracked", "count"):
            continue
        else:
            raise UnsupportedModule(f"state dict key '{key}' has no counterpart in ttad; {_SHAPE}")
    if norm:
        mean: Optional[Array] = next((norm[k] for k in ("mean", "running_mean", "obs_mean") if k in norm), None)
        std: Optional[Array] = next((norm[k] for k in ("std", "obs_std") if k in norm), None)
        var: Optional[Array] = next((norm[k] for k in ("var", "running_var", "obs_var") if k in norm), None)
        if mean is None or (std is None and var is None):
            raise UnsupportedModule(f"state dict normaliser keys {sorted(norm)}: need a mean and a std (or var); "
                                    "or pass obs_mean=/obs_std=")
        if std is None and var is not None:
            # A state dict has no eps: std = sqrt(var); pass obs_std= for sqrt(var + eps).
            std = np.sqrt(var.astype(np.float64)).astype(np.float32)
        assert std is not None
        chain.add_normaliser("state dict", (mean.reshape(-1), std.reshape(-1), None))
    for i, owner in enumerate(order):
        if "weight" not in layers[owner]:
            raise UnsupportedModule(f"state dict key '{owner}.bias' has no '{owner}.weight'")
        if i > 0:
            chain.add_activation(f"after {order[i - 1]}", activation)
        chain.add_linear(owner, layers[owner]["weight"], layers[owner].get("bias"))
    chain.activation = chain.activation or activation
    chain.finish("state dict")
    return chain


def convert(source: Union[nn.Module, Mapping[str, Any]], *, head: Optional[str], bins: Optional[int],
            action_low: Bounds, action_high: Bounds, activation: Optional[str], log_std: Optional[Any],
            initial_log_std: float, obs_mean: Optional[npt.ArrayLike], obs_std: Optional[npt.ArrayLike],
            obs_clip: Optional[float]) -> Tuple[Dict[str, Array], Dict[str, Any]]:
    """Checkpoint tensors and architecture for ``source`` (see :func:`ttad.policy.from_torch`)."""
    if activation is not None and activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be tanh or relu, got {activation!r}")
    if head is not None and head not in ("binned", "gaussian"):
        raise ValueError(f"head must be binned or gaussian, got {head!r}")
    if isinstance(source, TtadPolicy):
        return _convert_ttad(source)
    if isinstance(source, nn.Module):
        chain = _chain_from_module(source)
        if activation is not None and chain.activation != activation:
            raise UnsupportedModule(f"the module uses {chain.activation}, but activation={activation!r} was given")
    elif isinstance(source, Mapping):
        chain = _chain_from_state_dict(source, activation or "tanh")
    else:
        raise TypeError(f"from_torch takes an nn.Module or a state dict, got {type(source).__name__}")
    assert chain.activation is not None

    if log_std is not None:
        if chain.log_std is not None:
            raise ValueError("log_std is given twice: as an argument and as a parameter of the module")
        chain.log_std = _numpy(log_std).reshape(-1)
    head_kind = head or ("gaussian" if chain.log_std is not None else "binned")
    if head_kind == "binned" and chain.log_std is not None:
        raise UnsupportedModule("the module has a log-std parameter, which a binned head does not use; "
                                "pass head='gaussian', or drop the log-std")
    head_name, head_weight, head_bias = chain.linears[-1]
    outputs = head_weight.shape[0]
    action_size = _action_size(head_kind, outputs, bins, action_low, action_high, head_name)
    bins_value = outputs // action_size if head_kind == "binned" else (bins or 256)

    if (obs_mean is None) != (obs_std is None):
        raise ValueError("give obs_mean and obs_std together, or neither")
    normaliser = chain.normaliser
    if obs_mean is not None and obs_std is not None:
        if normaliser is not None:
            raise ValueError(f"the module normalises observations already (layer '{chain.normaliser_name}'); "
                             "do not pass obs_mean/obs_std as well")
        normaliser = (_numpy(obs_mean).reshape(-1), _numpy(obs_std).reshape(-1), None)
    clip = obs_clip
    if normaliser is not None and normaliser[2] is not None:
        if obs_clip is not None and not math.isclose(obs_clip, normaliser[2]):
            raise ValueError(f"obs_clip={obs_clip} but the normaliser '{chain.normaliser_name}' clips at {normaliser[2]}")
        clip = normaliser[2]
    if clip is not None and normaliser is None:
        raise ValueError("obs_clip needs an observation normaliser (obs_mean and obs_std)")

    observation_size = chain.linears[0][1].shape[1]
    arch = architecture(
        observation_size=observation_size, action_size=action_size,
        hidden_sizes=[w.shape[0] for _, w, _ in chain.linears[:-1]], activation=chain.activation, head=head_kind,
        bins=bins_value, action_low=action_low, action_high=action_high, initial_log_std=initial_log_std,
        observation_clip=clip)
    tensors: Dict[str, Array] = {}
    for i, (_, weight, bias) in enumerate(chain.linears[:-1]):
        tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"] = weight, bias
    tensors["head.weight"], tensors["head.bias"] = head_weight, head_bias
    if head_kind == "gaussian":
        values = chain.log_std if chain.log_std is not None else np.full(action_size, initial_log_std, np.float32)
        if values.shape != (action_size,):
            raise UnsupportedModule(f"the log-std has {values.size} values for {action_size} action dimensions")
        tensors["head.log_std"] = values.astype(np.float32)
    if normaliser is not None:
        mean, std, _ = normaliser
        if mean.shape != (observation_size,) or std.shape != (observation_size,):
            raise ValueError(f"the normaliser's mean and std need {observation_size} values each (the first layer's "
                             f"inputs), got {mean.size} and {std.size}")
        if not np.all(np.isfinite(std) & (std > 0)):
            bad = int(np.argmin(np.isfinite(std) & (std > 0)))
            raise ValueError(f"the normaliser's std[{bad}] is {std[bad]}; every std must be a positive number "
                             "(add an epsilon: std = sqrt(var + eps))")
        tensors[OBS_MEAN], tensors[OBS_STD] = mean, std
    for name, values in tensors.items():
        if not np.all(np.isfinite(values)):
            raise ValueError(f"tensor {name} holds a non-finite value (NaN or infinity)")
    if isinstance(source, nn.Module):
        _check_forward(source, tensors, arch, normalised_outside=obs_mean is not None)
    return tensors, arch


def _action_size(head: str, outputs: int, bins: Optional[int], low: Bounds, high: Bounds, head_name: str) -> int:
    given = [np.asarray(b).size for b in (low, high) if np.asarray(b).size > 1]
    if head == "gaussian":
        if given and given[0] != outputs:
            raise UnsupportedModule(f"head layer '{head_name}' gives {outputs} means but the action bounds have "
                                    f"{given[0]} values")
        return outputs
    if given:
        size = given[0]
    elif bins:
        size = outputs // bins
    else:
        raise ValueError("a binned head with one action bound for all dimensions: give bins= (or per-dimension "
                         "action_low/action_high) so the head's outputs can be split into dimensions")
    if size < 1 or outputs % size != 0 or outputs // size < 2 or (bins is not None and outputs != size * bins):
        raise UnsupportedModule(f"head layer '{head_name}' gives {outputs} outputs, which is not action_size ({size}) "
                                f"x bins{f' ({bins})' if bins else ''}: a binned head has action_size * bins logits")
    return size


def _check_forward(module: nn.Module, tensors: Mapping[str, Array], arch: Mapping[str, Any], *,
                   normalised_outside: bool) -> None:
    """When ``module(obs)`` gives a tensor of the head's shape, it must equal what ttad computes:
    a module whose ``forward`` does not run its layers in registration order is refused.
    ``normalised_outside``: the normaliser came as ``obs_mean``/``obs_std``, so the module itself
    takes normalised observations."""
    policy = TtadPolicy(arch)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items() if k not in (OBS_MEAN, OBS_STD)}
    if OBS_MEAN in tensors:
        policy.obs_norm = ObservationNormalizer(torch.from_numpy(tensors[OBS_MEAN]), torch.from_numpy(tensors[OBS_STD]),
                                                arch.get("observation_clip"))
    policy.load_state_dict(state, strict=False)
    generator = torch.Generator().manual_seed(0)
    mean = torch.from_numpy(tensors[OBS_MEAN]) if OBS_MEAN in tensors else torch.zeros(int(arch["observation_size"]))
    scale = torch.from_numpy(tensors[OBS_STD]) if OBS_STD in tensors else torch.ones(int(arch["observation_size"]))
    obs = mean + scale * torch.randn(16, int(arch["observation_size"]), generator=generator)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            ours = policy(obs)
            theirs = module(policy.obs_norm.forward(obs) if normalised_outside and policy.obs_norm is not None else obs)
    except Exception:  # noqa: BLE001 - a forward that wants other inputs cannot be compared; the layers were checked
        return
    finally:
        module.train(was_training)
    if not isinstance(theirs, torch.Tensor) or theirs.shape != ours.shape:
        return
    if not torch.allclose(theirs.float(), ours, rtol=1e-4, atol=1e-5):
        worst = float((theirs.float() - ours).abs().max())
        raise UnsupportedModule(f"{type(module).__name__}.forward does not compute its layers in order as "
                                f"ttad will (largest difference {worst:.3g}): {_SHAPE}")


def _convert_ttad(policy: TtadPolicy) -> Tuple[Dict[str, Array], Dict[str, Any]]:
    tensors = {k: _numpy(v) for k, v in policy.state_dict().items()}
    return tensors, dict(policy.architecture)
