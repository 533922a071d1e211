"""ttad.policy: PyTorch policies to ttad checkpoints and back, the file checked as ttad checks it,
and a real daemon acting with an imported policy exactly as PyTorch does.

The PyTorch tests skip (with the reason) when torch is not installed: ``pip install torch``.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest

from conftest import REPO, point_mass_config
from ttad import policy
from ttad.bridge import Controller, Hello, ResetRequest, StepResult
from ttad.errors import InvalidField

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - the skip says so
    torch = None  # type: ignore[assignment]

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (pip install torch, or ttad[torch])")

OBS = 6
LOW = [-2.0, -0.5]
HIGH = [1.0, 0.5]


# -- numpy only -----------------------------------------------------------------------------------


def random_tensors(rng: np.random.Generator, arch: Dict[str, Any], normalised: bool) -> Dict[str, np.ndarray]:
    tensors: Dict[str, np.ndarray] = {}
    width = arch["observation_size"]
    for i, h in enumerate(arch["hidden_sizes"]):
        tensors[f"layers.{i}.weight"] = rng.normal(size=(h, width)).astype(np.float32)
        tensors[f"layers.{i}.bias"] = rng.normal(size=h).astype(np.float32)
        width = h
    outputs = arch["action_size"] * (arch["bins"] if arch["head"] == "binned" else 1)
    tensors["head.weight"] = rng.normal(size=(outputs, width)).astype(np.float32)
    tensors["head.bias"] = rng.normal(size=outputs).astype(np.float32)
    if arch["head"] == "gaussian":
        tensors["head.log_std"] = np.full(arch["action_size"], -0.5, np.float32)
    if normalised:
        tensors[policy.OBS_MEAN] = rng.normal(size=arch["observation_size"]).astype(np.float32)
        tensors[policy.OBS_STD] = rng.uniform(0.5, 2, size=arch["observation_size"]).astype(np.float32)
    return tensors


def small_arch(head: str = "binned", clip: Optional[float] = None) -> Dict[str, Any]:
    return policy.architecture(observation_size=OBS, action_size=2, hidden_sizes=[16, 8], head=head, bins=9,
                               action_low=LOW, action_high=HIGH, observation_clip=clip)


def test_save_writes_the_safetensors_layout_and_both_checksums_as_documented(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="safetensors is not installed")
    from safetensors import safe_open
    tensors = random_tensors(np.random.default_rng(1), small_arch(clip=4.0), normalised=True)
    path = str(tmp_path / "arm.safetensors")
    written = policy.save(path, tensors, small_arch(clip=4.0), robot="arm", metrics={"success_rate": 0.5})
    # The reference reader sees every tensor, bit for bit, and the metadata.
    read = safetensors_numpy.load_file(path)
    assert sorted(read) == sorted(tensors)
    for name, value in tensors.items():
        assert read[name].dtype == np.float32 and np.array_equal(read[name], value), name
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    assert meta["format"] == "ttad-checkpoint" and meta["format_version"] == "1" and meta["id"] == "arm"
    assert meta["robot"] == "arm" and json.loads(meta["metrics"]) == {"success_rate": 0.5}
    assert json.loads(meta["architecture"])["observation_clip"] == 4.0
    # docs/checkpoint-format.md, by hand: the data checksum, the 8-byte alignment, the canonical header text.
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0
    assert "sha256:" + hashlib.sha256(raw[8 + n:]).hexdigest() == meta["checksum"]
    header = json.loads(raw[8:8 + n])
    lines = "".join(f"tensor\0{k}\0F32\0{','.join(map(str, header[k]['shape']))}\0{header[k]['data_offsets'][0]}"
                    f"\0{header[k]['data_offsets'][1]}\n" for k in sorted(header) if k != "__metadata__")
    lines += "".join(f"meta\0{k}\0{meta[k]}\n" for k in sorted(meta) if k != "header_checksum")
    assert "sha256:" + hashlib.sha256(lines.encode()).hexdigest() == meta["header_checksum"]
    # load() gives back the same, and the architecture decoded.
    loaded = policy.load(path)
    assert loaded.metadata == written.metadata and loaded.architecture == small_arch(clip=4.0)
    assert loaded.observation_normalization is not None
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")], "no temp file left behind"


def test_a_flipped_byte_is_refused_naming_the_checksum(tmp_path):
    arch = small_arch()
    path = str(tmp_path / "arm.safetensors")
    policy.save(path, random_tensors(np.random.default_rng(2), arch, normalised=False), arch, robot="arm")
    raw = bytearray(open(path, "rb").read())
    (n,) = struct.unpack("<Q", raw[:8])

    data_flipped = bytearray(raw)
    data_flipped[8 + n + 100] ^= 0x01
    open(path, "wb").write(data_flipped)
    with pytest.raises(policy.CheckpointError, match=r"is damaged: tensor data checksum mismatch"):
        policy.load(path)

    # A changed metadata value that leaves the JSON valid: only the header checksum can see it.
    header_flipped = bytes(raw).replace(b'"robot":"arm"', b'"robot":"arn"')
    assert header_flipped != bytes(raw)
    open(path, "wb").write(header_flipped)
    with pytest.raises(policy.CheckpointError, match=r"is damaged: header checksum mismatch"):
        policy.load(path)

    open(path, "wb").write(bytes(raw[:-4]))
    with pytest.raises(policy.CheckpointError, match=r"truncated|data is"):
        policy.load(path)


def test_save_refuses_a_tensor_the_architecture_does_not_have_or_shapes_otherwise(tmp_path):
    arch = small_arch()
    tensors = random_tensors(np.random.default_rng(3), arch, normalised=False)
    bad = dict(tensors, **{"layers.1.weight": np.zeros((8, 15), np.float32)})
    with pytest.raises(policy.CheckpointError, match=r"layers\.1\.weight has shape \[8, 15\], the architecture needs \[8, 16\]"):
        policy.save(str(tmp_path / "a.safetensors"), bad, arch, robot="arm")
    half = dict(tensors, **{policy.OBS_MEAN: np.zeros(OBS, np.float32)})
    with pytest.raises(policy.CheckpointError, match=r"obs_norm\.mean and obs_norm\.std come together"):
        policy.save(str(tmp_path / "a.safetensors"), half, arch, robot="arm")
    assert not os.listdir(tmp_path), "nothing is written for a refused policy"


def test_importing_ttad_never_imports_torch():
    code = ("import sys; import ttad, ttad.client, ttad.bridge, ttad.policy; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# -- PyTorch --------------------------------------------------------------------------------------


if torch is not None:
    class RunningNorm(nn.Module):
        """An observation normaliser as users write them (gymnasium's NormalizeObservation, SB3's
        VecNormalize): running mean and variance, epsilon, clip."""

        def __init__(self, size: int, eps: float = 1e-8, clip: Optional[float] = None) -> None:
            super().__init__()
            self.register_buffer("running_mean", torch.zeros(size))
            self.register_buffer("running_var", torch.ones(size))
            self.eps = eps
            self.clip = clip

        def fit(self, observations: "torch.Tensor") -> None:
            self.running_mean.copy_(observations.mean(0))
            self.running_var.copy_(observations.var(0))

        def forward(self, obs: "torch.Tensor") -> "torch.Tensor":
            x = (obs - self.running_mean) / torch.sqrt(self.running_var + self.eps)
            return x if self.clip is None else x.clamp(-self.clip, self.clip)

    class GaussianActor(nn.Module):
        """CleanRL's actor: actor_mean MLP and a state-independent actor_logstd."""

        def __init__(self, obs: int, actions: int, norm: Optional[nn.Module] = None) -> None:
            super().__init__()
            self.norm = norm if norm is not None else nn.Identity()
            self.actor_mean = nn.Sequential(nn.Linear(obs, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                                            nn.Linear(32, actions))
            self.actor_logstd = nn.Parameter(torch.full((1, actions), -0.7))

        def forward(self, obs: "torch.Tensor") -> "torch.Tensor":
            out: torch.Tensor = self.actor_mean(self.norm(obs))
            return out


def binned_mlp(seed: int, norm: Optional[nn.Module] = None, bins: int = 9, scale: float = 1.0) -> "nn.Module":
    torch.manual_seed(seed)
    layers: List[nn.Module] = [norm] if norm is not None else []
    layers += [nn.Linear(OBS, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2 * bins)]
    module = nn.Sequential(*layers)
    with torch.no_grad():
        module[-1].weight.mul_(scale)  # well-separated logits: a float32 round-off cannot change an argmax
    return module


def observations(seed: int, n: int, offset: float = 0.0, spread: float = 1.0) -> "torch.Tensor":
    g = torch.Generator().manual_seed(seed)
    centre = offset * torch.linspace(-1, 1, OBS)
    return centre + spread * torch.linspace(0.5, 2, OBS) * torch.randn(n, OBS, generator=g)


@needs_torch
def test_from_torch_then_to_torch_reproduces_the_binned_logits_with_the_normaliser(tmp_path):
    norm = RunningNorm(OBS, eps=1e-8, clip=5.0)
    norm.fit(observations(1, 500, offset=3.0, spread=4.0))
    module = binned_mlp(0, norm).eval()
    path = str(tmp_path / "arm.safetensors")
    checkpoint = policy.from_torch(module, path, robot="arm", bins=9, action_low=LOW, action_high=HIGH)
    assert checkpoint.architecture["hidden_sizes"] == [32, 32] and checkpoint.architecture["bins"] == 9
    assert checkpoint.architecture["observation_clip"] == 5.0
    mean, std = checkpoint.observation_normalization or (None, None)
    assert np.allclose(std, np.sqrt(norm.running_var.numpy() + 1e-8))
    back = policy.to_torch(path)
    obs = observations(2, 200, offset=3.0, spread=6.0)  # some beyond the clip
    with torch.no_grad():
        assert torch.allclose(back(obs), module(obs), rtol=0, atol=1e-6)
        expected_bins = module(obs).reshape(-1, 2, 9).argmax(2)
    centres = torch.tensor(np.array([np.linspace(lo, hi, 9) for lo, hi in zip(LOW, HIGH)]), dtype=torch.float32)
    assert torch.allclose(back.greedy_action(obs), torch.stack([centres[d][expected_bins[:, d]] for d in range(2)], 1),
                          atol=1e-6)
    assert sorted(back.state_dict()) == sorted(checkpoint.tensors), "the module's names are the file's"


@needs_torch
def test_from_torch_then_to_torch_reproduces_the_gaussian_means_and_log_std(tmp_path):
    module = GaussianActor(OBS, 2).eval()
    sample = observations(3, 500, offset=2.0)
    mean, std = sample.mean(0).numpy(), sample.std(0).numpy()
    path = str(tmp_path / "arm.safetensors")
    # The normaliser given as arrays; the module then sees normalised observations.
    checkpoint = policy.from_torch(module.actor_mean, path, robot="arm", obs_mean=mean, obs_std=std,
                                   log_std=module.actor_logstd, action_low=LOW, action_high=HIGH)
    assert checkpoint.head == "gaussian" and np.allclose(checkpoint.tensors["head.log_std"], -0.7)
    back = policy.to_torch(path)
    obs = observations(4, 100, offset=2.0)
    with torch.no_grad():
        assert torch.allclose(back(obs), module((obs - torch.from_numpy(mean)) / torch.from_numpy(std)), atol=1e-6)
    # The whole actor converts too: log_std found by its name.
    whole = policy.from_torch(module, str(tmp_path / "whole.safetensors"), robot="arm", action_low=LOW, action_high=HIGH)
    assert whole.head == "gaussian" and policy.OBS_MEAN not in whole.tensors


@needs_torch
def test_a_batchnorm_without_affine_is_read_as_the_normaliser_and_one_with_affine_is_refused(tmp_path):
    norm = nn.BatchNorm1d(OBS, affine=False)
    norm.train()
    with torch.no_grad():
        for _ in range(50):
            norm(observations(14, 256, offset=2.0, spread=3.0))  # running statistics, as training leaves them
    module = binned_mlp(15, norm).eval()
    path = str(tmp_path / "arm.safetensors")
    policy.from_torch(module, path, robot="arm", bins=9, action_low=LOW, action_high=HIGH)
    obs = observations(16, 100, offset=2.0, spread=3.0)
    with torch.no_grad():
        assert torch.allclose(policy.to_torch(path)(obs), module(obs), rtol=0, atol=1e-6)
    with pytest.raises(policy.UnsupportedModule, match=r"layer '0' \(BatchNorm1d\) has a learned affine transform"):
        affine = nn.BatchNorm1d(OBS)
        with torch.no_grad():
            affine.weight.fill_(2.0)
        policy.from_torch(binned_mlp(15, affine), str(tmp_path / "b.safetensors"), robot="arm", bins=9)


@needs_torch
def test_a_state_dict_and_a_ttad_policy_convert_as_the_module_does(tmp_path):
    module = binned_mlp(5, bins=9)
    a = policy.from_torch(module, str(tmp_path / "a.safetensors"), robot="arm", bins=9, action_low=LOW, action_high=HIGH)
    b = policy.from_torch(module.state_dict(), str(tmp_path / "b.safetensors"), robot="arm", bins=9,
                          action_low=LOW, action_high=HIGH, activation="tanh")
    c = policy.from_torch(policy.to_torch(str(tmp_path / "a.safetensors")), str(tmp_path / "c.safetensors"), robot="arm")
    for other in (b, c):
        assert other.architecture == a.architecture
        assert all(np.array_equal(other.tensors[k], a.tensors[k]) for k in a.tensors)


@needs_torch
def test_a_module_ttad_cannot_represent_is_refused_naming_the_layer(tmp_path):
    path = str(tmp_path / "x.safetensors")
    layer_norm = nn.Sequential(nn.Linear(OBS, 16), nn.LayerNorm(16), nn.Tanh(), nn.Linear(16, 4))
    with pytest.raises(policy.UnsupportedModule, match=r"layer '1' \(LayerNorm\) has no counterpart in ttad"):
        policy.from_torch(layer_norm, path, robot="arm", bins=2)
    squashed = nn.Sequential(nn.Linear(OBS, 16), nn.Tanh(), nn.Linear(16, 2), nn.Tanh())
    with pytest.raises(policy.UnsupportedModule, match=r"last layer '2' is followed by an activation"):
        policy.from_torch(squashed, path, robot="arm", head="gaussian")
    mixed = nn.Sequential(nn.Linear(OBS, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    with pytest.raises(policy.UnsupportedModule, match=r"layer '3' is relu but earlier layers use tanh"):
        policy.from_torch(mixed, path, robot="arm", bins=2)
    with pytest.raises(policy.UnsupportedModule, match=r"head layer '2' gives 5 outputs, which is not action_size \(2\)"):
        policy.from_torch(nn.Sequential(nn.Linear(OBS, 16), nn.Tanh(), nn.Linear(16, 5)), path, robot="arm",
                          action_low=LOW, action_high=HIGH)

    class Skip(nn.Module):  # registration order is not what forward does
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(OBS, OBS), nn.Tanh())
            self.out = nn.Linear(OBS, 4)

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            out: torch.Tensor = self.out(self.body(x) + x)
            return out

    with pytest.raises(policy.UnsupportedModule, match=r"Skip\.forward does not compute its layers in order"):
        policy.from_torch(Skip(), path, robot="arm", bins=2)
    assert not os.path.exists(path), "nothing is written for a refused module"


@needs_torch
def test_to_torch_refuses_a_damaged_file_naming_the_checksum(tmp_path):
    path = str(tmp_path / "arm.safetensors")
    policy.from_torch(binned_mlp(6), path, robot="arm", bins=9, action_low=LOW, action_high=HIGH)
    raw = bytearray(open(path, "rb").read())
    raw[-1] ^= 0x80
    open(path, "wb").write(raw)
    with pytest.raises(policy.CheckpointError, match="tensor data checksum mismatch"):
        policy.to_torch(path)


@needs_torch
def test_to_onnx_computes_what_torch_computes(tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnx onnxruntime)")
    pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
    norm = RunningNorm(OBS, clip=5.0)
    norm.fit(observations(7, 200, offset=1.0, spread=2.0))
    path = str(tmp_path / "arm.safetensors")
    policy.from_torch(binned_mlp(7, norm), path, robot="arm", bins=9, action_low=LOW, action_high=HIGH)
    out = policy.to_onnx(path, str(tmp_path / "arm.onnx"))
    obs = observations(8, 50, offset=1.0, spread=3.0)
    (logits,) = ort.InferenceSession(out).run(None, {"observation": obs.numpy()})
    with torch.no_grad():
        assert np.allclose(logits, policy.to_torch(path)(obs).numpy(), atol=1e-5)


# -- end to end: a real daemon acts with the imported policy ---------------------------------------


class Recorder(Controller):
    """A bridge robot whose observations are seeded noise around ``offset``: records every
    observation it sends (as the float32 ttad receives) and every action it gets."""

    def __init__(self, offset: float, spread: float) -> None:
        super().__init__()
        self.offset, self.spread = offset, spread
        self.sent: List[np.ndarray] = []
        self.actions: List[np.ndarray] = []
        self.rng = np.random.default_rng(0)

    def hello(self) -> Hello:
        return Hello(robot="probe", observation_size=OBS, action_low=LOW, action_high=HIGH)

    def _observation(self) -> np.ndarray:
        obs = (self.offset * np.linspace(-1, 1, OBS) + self.spread * np.linspace(0.5, 2, OBS)
               * self.rng.normal(size=OBS)).astype(np.float32)
        self.sent.append(obs)
        return obs

    def reset(self, request: ResetRequest) -> Tuple[np.ndarray, List[float]]:
        self.rng = np.random.default_rng(request.seed)
        return self._observation(), []

    def step(self, action: np.ndarray) -> StepResult:
        self.actions.append(np.array(action, dtype=np.float32))
        return StepResult(self._observation(), [], success=False)

    def stop(self, emergency: bool) -> None:
        pass


def probe_config(endpoint: str, head: str) -> str:
    policy_section = ("{hidden_sizes: [32, 32], activation: tanh, head: binned, bins: 9}" if head == "binned"
                      else "{hidden_sizes: [32, 32], activation: tanh, head: gaussian, initial_log_std: -0.5}")
    return f"""description: records what ttad sends, for tests/test_policy.py
backend: {{type: bridge, endpoint: {endpoint}, hello_deadline_ms: 10000}}
observation_size: {OBS}
action: {{size: 2, low: {LOW}, high: {HIGH}}}
max_steps: 40
step_deadline_ms: 2000
tasks:
  probe: {{}}
safety: {{}}
policy: {policy_section}
adaptation: {{attempts: 1, temperature_base: 0, temperature_range: 0}}
"""


def torch_policy(head: str, normalised: bool, offset: float, spread: float) -> Tuple["nn.Module", Dict[str, Any]]:
    """The user's module and the from_torch arguments for it."""
    if head == "binned":
        norm = RunningNorm(OBS) if normalised else None
        if norm is not None:
            norm.fit(observations(11, 1000, offset=offset, spread=spread))
        return binned_mlp(10, norm, bins=9, scale=8.0).eval(), {"bins": 9}
    torch.manual_seed(12)
    module = GaussianActor(OBS, 2, RunningNorm(OBS) if normalised else None)
    with torch.no_grad():
        module.actor_mean[-1].weight.mul_(4.0)  # means beyond the bounds too: ttad clamps them
        module.actor_logstd.fill_(-0.5)  # the robot-config's initial_log_std, so the shapes are equal
        if normalised:
            module.norm.fit(observations(13, 1000, offset=offset, spread=spread))
    return module.eval(), {}


@needs_torch
@pytest.mark.parametrize("head", ["binned", "gaussian"])
@pytest.mark.parametrize("normalised", [False, True])
@pytest.mark.parametrize("arrival", ["shipped", "imported"])
def test_ttads_greedy_actions_equal_pytorchs_on_the_same_observations(daemon_factory, serve, tmp_path, head,
                                                                      normalised, arrival):
    # Normalised: observations far from zero with a wide spread, which only the normaliser tames.
    offset, spread = (4.0, 5.0) if normalised else (0.0, 1.0)
    module, extra = torch_policy(head, normalised, offset, spread)
    controller = Recorder(offset, spread)
    served = serve(controller)
    configs = {"probe": probe_config(served.endpoint, head)}
    if arrival == "shipped":
        daemon = make_daemon_with_checkpoint(daemon_factory, configs, module, extra)
    else:
        # Started from a fresh policy, then given the user's file over the wire (`import`).
        daemon = daemon_factory(configs, "probe")
        path = str(tmp_path / "users-policy.safetensors")
        policy.from_torch(module, path, robot="probe", action_low=LOW, action_high=HIGH, **extra)
        with daemon.client() as client:
            before = client.status()["checkpoint"]
            imported = client.import_checkpoint("probe", path, by="test@host")
            assert imported["robot"] == "probe" and imported["checkpoint"] != before
            status = client.status()
            assert status["checkpoint"] == imported["checkpoint"] == status["last_good_checkpoint"]
    with daemon.client() as client:
        submitted = client.submit("probe", attempts=1, temperature_base=0, temperature_range=0, adapt=False, seed=5)
        assert submitted["temperatures"] == [0]
        info = client.wait_task(submitted["task_id"], deadline=120)
    attempt = info["attempts"][0]
    assert attempt.get("abort_reason") is None and attempt["steps"] == 40, attempt
    assert len(controller.actions) == 40
    obs = torch.from_numpy(np.stack(controller.sent[:len(controller.actions)]))
    with torch.no_grad():
        raw = module(obs)
    if head == "binned":
        logits = raw.reshape(-1, 2, 9)
        top2 = logits.topk(2, dim=2).values
        assert float((top2[..., 0] - top2[..., 1]).min()) > 1e-4, "the test's argmaxes are not float32 ties"
        centres = torch.tensor([[lo + (hi - lo) * k / 8 for k in range(9)] for lo, hi in zip(LOW, HIGH)])
        bins = logits.argmax(2)
        expected = torch.stack([centres[dim][bins[:, dim]] for dim in range(2)], 1)
        assert len(set(bins[:, 0].tolist())) > 1, "the observations reach more than one bin"
    else:
        expected = raw.clamp(torch.tensor(LOW), torch.tensor(HIGH))
        assert bool(((raw < torch.tensor(LOW)) | (raw > torch.tensor(HIGH))).any()), "some means are clamped"
    got = torch.from_numpy(np.stack(controller.actions))
    worst = float((got - expected).abs().max())
    assert torch.allclose(got, expected.float(), rtol=0, atol=1e-5), f"ttad's actions differ from PyTorch's by up to {worst}"

    if arrival == "imported":
        return
    # The checkpoint ttad seeded the robot with, as ttad wrote it, reads back here with our tensors.
    written = glob.glob(os.path.join(daemon.directory, "state", "checkpoints", "probe", "*.safetensors"))
    assert len(written) == 1, written
    ours = policy.load(os.path.join(daemon.robot_config_directory, "checkpoints", "probe.safetensors"))
    theirs = policy.load(written[0])
    for name in ours.tensors:
        assert name in theirs.tensors, f"ttad dropped {name}"
        assert np.array_equal(theirs.tensors[name], ours.tensors[name]), name


def make_daemon_with_checkpoint(daemon_factory, configs: Dict[str, str], module: "nn.Module", extra: Dict[str, Any]):
    """A daemon whose robot `probe` starts from ``module``: the file is written by from_torch where
    ttad seeds a robot that has no checkpoints yet (docs/robot-config.md)."""
    def before_start(robot_config_directory: str) -> None:
        os.makedirs(os.path.join(robot_config_directory, "checkpoints"))
        policy.from_torch(
            module, os.path.join(robot_config_directory, "checkpoints", "probe.safetensors"), robot="probe",
            action_low=LOW, action_high=HIGH, **extra)

    return daemon_factory(configs, "probe", before_start=before_start)


@needs_torch
def test_the_policy_import_example_writes_a_starting_checkpoint_that_ttad_takes_for_the_point_mass(
        daemon_factory, workdir, tmp_path):
    out = str(tmp_path / "point-mass.safetensors")
    script = os.path.join(REPO, "examples", "policy_import", "import_policy.py")
    subprocess.run([sys.executable, script, "--out", out, "--seconds", "0.5"], check=True, timeout=300,
                   env=dict(os.environ, PYTHONPATH=os.path.join(REPO, "python")), stdout=subprocess.DEVNULL)
    written = policy.load(out)
    assert written.architecture["hidden_sizes"] == [64, 64] and written.architecture["bins"] == 256
    assert written.observation_normalization is not None

    def before_start(robot_config_directory: str) -> None:
        os.makedirs(os.path.join(robot_config_directory, "checkpoints"))
        shutil.copy(out, os.path.join(robot_config_directory, "checkpoints", "point-mass.safetensors"))

    d = daemon_factory({"point-mass": point_mass_config(f"ipc://{workdir}/absent.sock")}, "point-mass",
                       before_start=before_start)
    with d.client() as client:
        listed = client.checkpoints()
    assert [c["robot"] for c in listed["checkpoints"]] == ["point-mass"], listed
    seeded = glob.glob(os.path.join(d.directory, "state", "checkpoints", "point-mass", "*.safetensors"))
    theirs = policy.load(seeded[0])
    assert all(np.array_equal(theirs.tensors[k], v) for k, v in written.policy_tensors.items()
               if not k.startswith("obs_norm.")), "ttad seeded the robot with the example's layers"


@needs_torch
def test_import_refuses_a_policy_for_another_observation_size_naming_the_key_and_keeps_the_live_one(
        daemon_factory, serve, tmp_path):
    served = serve(Recorder(0.0, 1.0))
    daemon = daemon_factory({"probe": probe_config(served.endpoint, "binned")}, "probe")
    module = nn.Sequential(nn.Linear(OBS + 1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2 * 9))
    path = str(tmp_path / "wrong-size.safetensors")
    policy.from_torch(module, path, robot="probe", bins=9, action_low=LOW, action_high=HIGH)
    with daemon.client() as client:
        live = client.status()["checkpoint"]
        with pytest.raises(InvalidField) as refused:
            client.import_checkpoint("probe", path)
        assert refused.value.field == "file"
        assert "observation_size" in str(refused.value) and str(OBS + 1) in str(refused.value), refused.value
        assert client.status()["checkpoint"] == live


@needs_torch
def test_from_torch_refuses_notes_that_are_not_a_mapping_naming_the_argument(tmp_path):
    with pytest.raises(TypeError, match=r"^notes: expected a mapping"):
        policy.from_torch(binned_mlp(6), str(tmp_path / "arm.safetensors"), robot="arm", bins=9,
                          action_low=LOW, action_high=HIGH, notes="trained on the lab arm")  # type: ignore[arg-type]
    assert not os.path.exists(tmp_path / "arm.safetensors")
