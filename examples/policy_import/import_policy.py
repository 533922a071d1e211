#!/usr/bin/env python3
"""Bring a PyTorch policy to ttad: train one, write it as a ttad checkpoint, put it on a robot.

The robot is the point mass of examples/python_controller/ (point-mass.yaml: 8 observations,
2 forces in [-1, 1], a 64x64 tanh MLP with a 256-bin head). The policy is trained for a few
seconds by behaviour cloning a PD controller, with an observation normaliser in front (positions
and velocities have different scales), then:

    python3 examples/policy_import/import_policy.py --out point-mass.safetensors
    # either: a starting checkpoint, for a robot that has no checkpoints yet
    cp point-mass.safetensors /etc/ttad/robot-configs/checkpoints/point-mass.safetensors
    # or: onto a running robot (the daemon verifies it against the robot-config)
    python3 examples/policy_import/import_policy.py --out point-mass.safetensors --import --by alice

Needs torch (pip install './python[torch]'). docs/python.md, "Bring your PyTorch policy".
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

try:
    import ttad
    from ttad import policy
except ImportError:  # running from a checkout without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    import ttad
    from ttad import policy

BINS = 256
LOW, HIGH = -1.0, 1.0


class RunningNorm(nn.Module):
    """An observation normaliser as training code keeps one: running mean and variance, epsilon.
    from_torch recognises it (running_mean, running_var, eps) and ttad applies it before the MLP."""

    def __init__(self, size: int, eps: float = 1e-8):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(size))
        self.register_buffer("running_var", torch.ones(size))
        self.eps = eps

    def forward(self, obs):
        return (obs - self.running_mean) / torch.sqrt(self.running_var + self.eps)


def expert(obs: torch.Tensor) -> torch.Tensor:
    """A PD controller toward the target: obs = x, y, vx, vy, tx, ty, x - tx, y - ty."""
    return (-9.0 * obs[:, 6:8] - 2.5 * obs[:, 2:4]).clamp(LOW, HIGH)


def sample_observations(n: int, g: torch.Generator) -> torch.Tensor:
    pos = (torch.rand(n, 2, generator=g) - 0.5) * 0.8
    vel = (torch.rand(n, 2, generator=g) - 0.5) * 2.0
    target = (torch.rand(n, 2, generator=g) - 0.5) * 0.4
    return torch.cat([pos, vel, target, pos - target], dim=1)


def train(seconds: float) -> nn.Module:
    torch.set_num_threads(1)  # a small model: threads only contend (and the robot's machine has other work)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    norm = RunningNorm(8)
    model = nn.Sequential(norm, nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2 * BINS))
    fit = sample_observations(20000, g)
    norm.running_mean.copy_(fit.mean(0))
    norm.running_var.copy_(fit.var(0))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    end, steps = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        obs = sample_observations(512, g)
        # The bin whose centre is nearest the expert's action (bin k's centre: low + (high - low) k / (BINS - 1)).
        target_bins = ((expert(obs) - LOW) / (HIGH - LOW) * (BINS - 1)).round().long()
        logits = model(obs).reshape(-1, 2, BINS)
        loss = nn.functional.cross_entropy(logits.reshape(-1, BINS), target_bins.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        steps += 1
    print(f"trained {steps} steps in {seconds:g} s, loss {loss.item():.3f}")
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="point-mass.safetensors", help="the checkpoint file to write")
    parser.add_argument("--robot", default="point-mass", help="the robot-config it is for")
    parser.add_argument("--seconds", type=float, default=10.0, help="training time, seconds")
    parser.add_argument("--import", dest="do_import", action="store_true", help="put it on the running robot")
    parser.add_argument("--by", default=os.environ.get("USER"), help="who imports it (recorded in the history)")
    parser.add_argument("--endpoint", default=None, help="the daemon (default $TTAD_ENDPOINT or the system one)")
    args = parser.parse_args()

    model = train(args.seconds)
    # from_torch reads the normaliser, the layers and the head, checks the module computes what
    # ttad will, and writes the file with both checksums. The architecture must equal
    # point-mass.yaml's: 8 observations, 2 actions in [-1, 1], hidden [64, 64], tanh, 256 bins.
    checkpoint = policy.from_torch(model, args.out, robot=args.robot, bins=BINS, action_low=LOW, action_high=HIGH,
                                   notes={"trained": "behaviour cloning of a PD controller"})
    print(f"wrote {args.out}: {checkpoint.architecture}")

    # What ttad will do at temperature 0, from the file: the argmax bin's centre per dimension.
    held_out = sample_observations(1000, torch.Generator().manual_seed(1))
    greedy = policy.to_torch(args.out).greedy_action(held_out)
    print(f"greedy actions vs the PD controller: mean |difference| {float((greedy - expert(held_out)).abs().mean()):.3f}")

    if args.do_import:
        with ttad.Client(args.endpoint, timeout=30) as client:
            result = client.import_checkpoint(args.robot, args.out, by=args.by)
        print(f"{result['robot']} now runs {result['checkpoint']}: {result.get('message', '')}")


if __name__ == "__main__":
    main()
