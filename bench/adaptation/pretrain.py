"""Makes a benchmark's starting policy outside ttad's adaptation code: behaviour cloning of a
scripted expert (the benchmark's ``expert``, expert.py) on the unshifted env (faster to a useful
success rate on a 2-core machine than PPO from scratch), with an observation normaliser, written
with ``ttad.policy.from_torch``.

    python3 bench/adaptation/pretrain.py --benchmark reacher-damping --episodes 60 --seed 0

The data: episodes on task seeds from 10_000_000 up (disjoint from every suite seed), acting with
the expert's action plus N(0, ``--noise``) (so the data covers recoveries), labelled with the
expert's clean action. A binned head learns the action binned to the policy's bins by
cross-entropy; a gaussian head learns the action as its mean by mean squared error, its log-std
the benchmark's ``policy["initial_log_std"]`` (ttad's default -0.5 without one).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from benchmarks import BENCHMARKS  # noqa: E402
from ttad import policy as ttad_policy  # noqa: E402
from ttad.bridge.gymnasium_env import flatten_observation  # noqa: E402

PRETRAIN_SEED_BASE = 10_000_000


class Normaliser(nn.Module):
    """A fixed observation normaliser (``mean``/``std`` buffers, read by ``from_torch``)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / std``."""
        return (x - self.mean) / self.std


def collect(bench_name: str, episodes: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(observations, expert actions) from noisy-expert episodes on the unshifted env."""
    bench = BENCHMARKS[bench_name]
    expert_of = bench.expert
    if expert_of is None:
        raise SystemExit(f"{bench_name} has no expert to clone")
    env = bench.make_env()
    observations, actions = [], []
    for e in range(episodes):
        bench.apply_dynamics(env, {})
        raw, _ = env.reset(seed=PRETRAIN_SEED_BASE + e)
        obs = flatten_observation(env.observation_space, raw)
        for _ in range(bench.max_steps):
            expert = np.asarray(expert_of(obs), dtype=np.float64)
            observations.append(obs)
            actions.append(expert)
            act = np.clip(expert + rng.normal(0, noise, size=expert.shape), -1, 1).astype(np.float32)
            raw, _, terminated, truncated, _ = env.step(act)
            obs = flatten_observation(env.observation_space, raw)
            if terminated or truncated:
                break
    env.close()
    return np.asarray(observations, dtype=np.float32), np.asarray(actions, dtype=np.float32)


def train(bench_name: str, episodes: int, epochs: int, seed: int, out: str, noise: float = 0.5) -> None:
    """Clones the expert into the benchmark's architecture and writes ``out``."""
    bench = BENCHMARKS[bench_name]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    obs, act = collect(bench_name, episodes, noise=noise, rng=rng)
    arch = bench.policy
    binned = arch["head"] == "binned"
    bins = int(arch["bins"]) if binned else 1
    env = bench.make_env()
    low, high = env.action_space.low.astype(np.float32), env.action_space.high.astype(np.float32)
    env.close()
    mean, std = obs.mean(0), obs.std(0) + 1e-3
    sizes = [obs.shape[1], *arch["hidden_sizes"]]
    layers: list[nn.Module] = [Normaliser(mean, std)]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.Tanh()]
    layers.append(nn.Linear(sizes[-1], act.shape[1] * bins))
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.from_numpy(obs)
    if binned:
        y = torch.from_numpy(np.rint((act - low) / (high - low) * (bins - 1)).astype(np.int64))
    else:
        y = torch.from_numpy(np.clip(act, low, high))
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), 256):
            idx = perm[i:i + 256]
            out_ = model(x[idx])
            if binned:
                logits = out_.reshape(len(idx), act.shape[1], bins)
                loss = nn.functional.cross_entropy(logits.reshape(-1, bins), y[idx].reshape(-1))
            else:
                loss = nn.functional.mse_loss(out_, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        print(f"epoch {epoch}: {'cross-entropy' if binned else 'mse'} {total / len(x):.4f}", flush=True)
    made_by = (f"bench/adaptation/pretrain.py: behaviour cloning of expert.py, {episodes} episodes, {epochs} epochs, "
               f"noise {noise}, seed {seed}")
    if binned:
        ttad_policy.from_torch(model, out, robot=bench_name, head="binned", bins=bins,
                               action_low=low.tolist(), action_high=high.tolist(), notes={"made_by": made_by})
    else:
        ttad_policy.from_torch(model, out, robot=bench_name, head="gaussian",
                               initial_log_std=float(arch.get("initial_log_std", -0.5)),
                               action_low=low.tolist(), action_high=high.tolist(), notes={"made_by": made_by})
    print(f"wrote {out} ({len(x)} samples)")


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default="reacher-damping", choices=sorted(BENCHMARKS))
    parser.add_argument("--episodes", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=0.5, help="std of the noise added to the expert's actions while collecting")
    parser.add_argument("--out", default=None, help="default: policies/<benchmark's start_policy>")
    args = parser.parse_args()
    out = args.out or os.path.join(HERE, "policies", BENCHMARKS[args.benchmark].start_policy)
    torch.set_num_threads(1)
    started = time.monotonic()
    train(args.benchmark, args.episodes, args.epochs, args.seed, out, args.noise)
    print(f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
