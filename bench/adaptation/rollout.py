"""Attempts in plain PyTorch on a benchmark's env, acting as ttad acts (docs/learning.md):
binned head ``softmax(logits / T)``, gaussian head ``sigma = exp(log_std) * T``, T = 0 greedy.

An attempt resets the env with the task seed after applying the dynamics (as
``serve_gymnasium`` does), steps until ``success`` or ``max_steps``, and after the env itself
ends holds the last observation, as the bridge does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence

import numpy as np
import torch

from ttad.policy_torch import TtadPolicy

from benchmarks import Benchmark
from ttad.bridge import Transition
from ttad.bridge.gymnasium_env import flatten_observation


@dataclass
class Attempt:
    """One attempt: its outcome, and what the learner needs (observations, raw samples, log-probs)."""

    success: bool
    steps: int
    temperature: float
    observations: List[np.ndarray] = field(default_factory=list)
    samples: List[np.ndarray] = field(default_factory=list)  # bin indices (binned) or unclamped x (gaussian)
    log_probs: List[float] = field(default_factory=list)




def log_std_of(policy: TtadPolicy) -> torch.Tensor:
    """A gaussian head's ``log_std`` (one per action dimension)."""
    log_std = policy.head.log_std
    assert isinstance(log_std, torch.Tensor), "log_std_of: the policy's head is not gaussian"
    return log_std


def act(policy: TtadPolicy, observation: np.ndarray, temperature: float,
        generator: torch.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """(action for the env, raw sample, log-prob at ``temperature``); T = 0 is greedy, log-prob 0."""
    obs = torch.as_tensor(observation, dtype=torch.float32).unsqueeze(0)
    arch = policy.architecture
    with torch.no_grad():
        if temperature <= 0:
            action = policy.greedy_action(obs)[0].numpy()
            return action, action, 0.0
        if arch["head"] == "binned":
            logits = policy.logits(obs)[0] / temperature
            probs = torch.softmax(logits, dim=-1)
            bins = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            logp = float(torch.log(probs.gather(1, bins.unsqueeze(1))).sum())
            centres = policy.bin_centres()
            action = centres.gather(1, bins.unsqueeze(1)).squeeze(1).numpy()
            return action, bins.numpy(), logp
        mean = policy(obs)[0]
        std = torch.exp(log_std_of(policy)) * temperature
        x = mean + std * torch.randn(mean.shape, generator=generator)
        logp = float(torch.distributions.Normal(mean, std).log_prob(x).sum())
        action = x.clamp(policy.action_low, policy.action_high).numpy()
        return action, x.numpy(), logp


def run_attempt(policy: TtadPolicy, env: Any, bench: Benchmark, seed: int, factors: Mapping[str, float],
                temperature: float, generator: torch.Generator, record: bool = False) -> Attempt:
    """One attempt on task ``seed`` under ``factors`` at ``temperature``."""
    bench.apply_dynamics(env, dict(factors))
    raw, info = env.reset(seed=int(seed))
    obs = flatten_observation(env.observation_space, raw)
    attempt = Attempt(success=False, steps=0, temperature=temperature)
    ended = False
    for step in range(1, bench.max_steps + 1):
        action, sample, logp = act(policy, obs, temperature, generator)
        if record:
            attempt.observations.append(obs)
            attempt.samples.append(sample)
            attempt.log_probs.append(logp)
        if not ended:
            raw, reward, terminated, truncated, info = env.step(action.astype(np.float32))
            obs = flatten_observation(env.observation_space, raw)
            ended = bool(terminated or truncated)
            t = Transition(env, obs, float(reward), bool(terminated), bool(truncated), dict(info), raw)
            if bench.success(t):
                attempt.success, attempt.steps = True, step
                return attempt
        attempt.steps = step
    return attempt


def greedy_success(policy: TtadPolicy, bench: Benchmark, seeds: Sequence[int],
                   factors: Mapping[str, float]) -> Dict[str, Any]:
    """Greedy (T = 0) success rate and mean steps to success over ``seeds``."""
    env = bench.make_env()
    generator = torch.Generator().manual_seed(0)
    results = [run_attempt(policy, env, bench, s, factors, 0.0, generator) for s in seeds]
    env.close()
    wins = [a.steps for a in results if a.success]
    return {"success": len(wins) / max(1, len(results)), "mean_steps_to_success": float(np.mean(wins)) if wins else None,
            "per_task": [bool(a.success) for a in results],
            "steps_per_task": [int(a.steps) if a.success else None for a in results]}
