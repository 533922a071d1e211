"""The plain reference: the seed's method (N attempts at scheduled temperatures, efficiency
reward, group-relative advantages, clipped PPO) done plainly in PyTorch on a ``TtadPolicy``.

Per task: N = 8 attempts at ``T_i = 0.6 + 0.3 * i / (N - 1)`` (the logits divided by T for a binned
head, the std multiplied by T for a gaussian head, as ttad); reward ``1 / (1 + steps / max_steps)``
on success else 0 (``--reward binary``: 1/0); advantages ``(R - mean) / (std + 1e-6)`` (unbiased std)
on every group with variance; PPO with the ratio clipped to [1 - 0.2, 1 + 0.28], Adam lr 1e-3 (kept
across tasks), 4 epochs x 4 minibatches, global gradient norm clipped to 1.0 (ttad's
``max_grad_norm``), the whole network trainable, no gate, no KL early stop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence

import numpy as np
import torch

from ttad.policy_torch import TtadPolicy

from benchmarks import Benchmark
from rollout import Attempt, log_std_of, run_attempt


@dataclass(frozen=True)
class PlainConfig:
    """The reference's hyperparameters (the seed's, as the brief of issue 16 states them)."""

    attempts: int = 8
    temperature_base: float = 0.6
    temperature_range: float = 0.3
    reward: str = "efficiency"
    clip_low: float = 0.2
    clip_high: float = 0.28
    learning_rate: float = 1e-3
    epochs: int = 4
    minibatches: int = 4
    max_grad_norm: float = 1.0


def temperatures(config: PlainConfig) -> List[float]:
    """``T_i = base + range * i / (N - 1)``; N = 1 gives ``[base]``."""
    n = config.attempts
    if n == 1:
        return [config.temperature_base]
    return [config.temperature_base + config.temperature_range * i / (n - 1) for i in range(n)]


def reward(attempt: Attempt, max_steps: int, mode: str) -> float:
    """Efficiency ``1 / (1 + steps / max_steps)`` (or binary 1) on success, else 0."""
    if not attempt.success:
        return 0.0
    return 1.0 if mode == "binary" else 1.0 / (1.0 + attempt.steps / max_steps)


def group_advantages(rewards: Sequence[float]) -> np.ndarray | None:
    """``(R - mean) / (std + 1e-6)`` with the unbiased std; None when the group has no variance."""
    r = np.asarray(rewards, dtype=np.float64)
    if len(r) < 2 or np.all(r == r[0]):
        return None
    return (r - r.mean()) / (r.std(ddof=1) + 1e-6)


class PlainGRPO:
    """Adapts ``policy`` (a ``TtadPolicy``, trained in place) task after task."""

    def __init__(self, policy: TtadPolicy, bench: Benchmark, config: PlainConfig = PlainConfig(),
                 seed: int = 0) -> None:
        self.policy = policy
        self.bench = bench
        self.config = config
        self.env = bench.make_env()
        self.generator = torch.Generator().manual_seed(seed)
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate)
        self.updates = 0

    def task(self, task_seed: int, factors: Mapping[str, float]) -> Dict[str, Any]:
        """N attempts on ``task_seed`` under ``factors``, then one update if the group has variance."""
        self.policy.eval()
        attempts = [run_attempt(self.policy, self.env, self.bench, task_seed, factors, t, self.generator, record=True)
                    for t in temperatures(self.config)]
        rewards = [reward(a, self.bench.max_steps, self.config.reward) for a in attempts]
        advantages = group_advantages(rewards)
        began = time.perf_counter()
        if advantages is not None:
            self._update(attempts, advantages)
            self.updates += 1
        return {"seed": task_seed, "successes": sum(a.success for a in attempts), "rewards": rewards,
                "steps": [a.steps for a in attempts], "attempt_success": [bool(a.success) for a in attempts],
                "updated": advantages is not None,
                "update_seconds": time.perf_counter() - began if advantages is not None else 0.0}

    def _update(self, attempts: List[Attempt], advantages: np.ndarray) -> None:
        obs = torch.as_tensor(np.concatenate([np.asarray(a.observations) for a in attempts]), dtype=torch.float32)
        samples = torch.as_tensor(np.concatenate([np.asarray(a.samples) for a in attempts]))
        old = torch.as_tensor(np.concatenate([a.log_probs for a in attempts]), dtype=torch.float32)
        temps = torch.as_tensor(np.concatenate([[a.temperature] * len(a.log_probs) for a in attempts]), dtype=torch.float32)
        adv = torch.as_tensor(np.concatenate([[advantages[i]] * len(a.log_probs) for i, a in enumerate(attempts)]),
                              dtype=torch.float32)
        n = len(obs)
        size = max(1, n // self.config.minibatches)
        for _ in range(self.config.epochs):
            perm = torch.randperm(n, generator=self.generator)
            for m in range(self.config.minibatches):
                idx = perm[m * size:(m + 1) * size] if m < self.config.minibatches - 1 else perm[m * size:]
                if len(idx) == 0:
                    continue
                logp = self._log_prob(obs[idx], samples[idx], temps[idx])
                ratio = torch.exp(logp - old[idx])
                clipped = ratio.clamp(1 - self.config.clip_low, 1 + self.config.clip_high)
                loss = torch.max(-adv[idx] * ratio, -adv[idx] * clipped).mean()
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.config.max_grad_norm)
                self.optimizer.step()

    def _log_prob(self, obs: torch.Tensor, samples: torch.Tensor, temps: torch.Tensor) -> torch.Tensor:
        """Each step's log-prob under the temperature it was sampled at."""
        arch = self.policy.architecture
        if arch["head"] == "binned":
            logits = self.policy.logits(obs) / temps[:, None, None]
            logp = torch.log_softmax(logits, dim=-1).gather(2, samples.long().unsqueeze(2)).squeeze(2)
            return logp.sum(1)
        mean = self.policy(obs)
        std = torch.exp(log_std_of(self.policy))[None, :] * temps[:, None]
        return torch.distributions.Normal(mean, std).log_prob(samples.float()).sum(1)

    def close(self) -> None:
        """Closes the env."""
        self.env.close()
