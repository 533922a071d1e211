"""The PyTorch side of `ttad-bench policy`: the same MLP policy and PPO update, on the CPU.

Called by the Swift benchmark with the sizes to run; prints one JSON object on stdout.
Written the way a user would write it (nn.Linear, torch.distributions-free sampling,
torch.optim.Adam), under torch.no_grad() for acting, so the comparison is with plain PyTorch.

    python torch_bench.py --obs 32 --hidden 256 256 --actions 7 --bins 256 --threads 1
"""
import argparse
import json
import time

import torch
from torch import nn


class BinnedPolicy(nn.Module):
    def __init__(self, obs, hidden, actions, bins):
        super().__init__()
        layers, width = [], obs
        for h in hidden:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, actions * bins)
        self.actions, self.bins = actions, bins

    def logits(self, obs):
        return self.head(self.body(obs)).view(-1, self.actions, self.bins)


def sample(policy, obs, temps, low, high):
    """Tempered softmax per action dimension, a bin per dimension, bin centre -> env units."""
    with torch.no_grad():
        logits = policy.logits(obs) / temps.view(-1, 1, 1)
        logp_all = torch.log_softmax(logits, dim=-1)
        bins = torch.multinomial(logp_all.exp().view(-1, policy.bins), 1).view(-1, policy.actions)
        logp = logp_all.gather(-1, bins.unsqueeze(-1)).squeeze(-1).sum(-1)
        action = low + (high - low) * bins.float() / (policy.bins - 1)
        return action.numpy(), bins, logp


def evaluate(policy, obs, bins, temps):
    logits = policy.logits(obs) / temps.view(-1, 1, 1)
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, bins.unsqueeze(-1)).squeeze(-1).sum(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1).sum(-1)
    return logp, entropy


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def latency(policy, batch, iters, low, high):
    obs = torch.randn(batch, policy.body[0].in_features)
    temps = torch.full((batch,), 0.8)
    for _ in range(50):
        sample(policy, obs, temps, low, high)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter_ns()
        sample(policy, obs, temps, low, high)
        times.append((time.perf_counter_ns() - t0) / 1000.0)
    return {"p50_us": percentile(times, 0.5), "p99_us": percentile(times, 0.99)}


def update(policy, attempts, steps, epochs, minibatches, low, high, reps):
    obs_size = policy.body[0].in_features
    obs = torch.randn(attempts * steps, obs_size)
    temps = torch.tensor([0.6 + 0.3 * i / (attempts - 1) for i in range(attempts)]).repeat_interleave(steps)
    _, bins, old_logp = sample(policy, obs, temps, low, high)
    adv = torch.tensor([(-1.0) ** i for i in range(attempts)]).repeat_interleave(steps)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3, eps=1e-5)
    total = attempts * steps
    times = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        for _ in range(epochs):
            perm = torch.randperm(total)
            for mb in range(minibatches):
                idx = perm[mb * total // minibatches:(mb + 1) * total // minibatches]
                logp, entropy = evaluate(policy, obs[idx], bins[idx], temps[idx])
                logratio = logp - old_logp[idx]
                ratio = logratio.exp()
                pg_loss = torch.max(-adv[idx] * ratio, -adv[idx] * ratio.clamp(0.8, 1.28)).mean()
                approx_kl = ((ratio - 1) - logratio).mean()
                opt.zero_grad()
                pg_loss.backward()
                nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                opt.step()
        with torch.no_grad():  # the final KL check the Swift trainer does too
            logp, _ = evaluate(policy, obs, bins, temps)
            float(((logp - old_logp).exp() - 1 - (logp - old_logp)).mean())
        if rep > 0:  # the first is warm-up
            times.append(time.perf_counter() - t0)
    times.sort()
    return {"median_s": times[len(times) // 2], "min_s": times[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--obs", type=int, default=32)
    ap.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    ap.add_argument("--actions", type=int, default=7)
    ap.add_argument("--bins", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--attempts", type=int, default=8)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--minibatches", type=int, default=4)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    policy = BinnedPolicy(a.obs, a.hidden, a.actions, a.bins)
    low, high = -1.0, 1.0
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch1": latency(policy, 1, a.iters, low, high),
        "batch8": latency(policy, 8, a.iters, low, high),
        "update": update(policy, a.attempts, a.steps, a.epochs, a.minibatches, low, high, a.reps),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
