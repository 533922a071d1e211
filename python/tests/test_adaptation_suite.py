"""bench/adaptation/suite.py end to end on a tiny run: a real daemon (the ``ttad`` arm), the plain
PyTorch reference and the start, on 1 seed x 2 tasks x 10 evaluation tasks of reacher-damping.

Checks the structure of the JSON it writes: every arm present, the adapting arms trained on the
same task seeds in the same order, and the evaluation seeds disjoint from every training seed.
Skips (with the reason) without torch or gymnasium's MuJoCo envs.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import REPO, ttad_binary

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
pytest.importorskip("gymnasium", reason="gymnasium is not installed (pip install 'gymnasium[mujoco]')")
pytest.importorskip("mujoco", reason="mujoco is not installed (pip install 'gymnasium[mujoco]')")

sys.path.insert(0, os.path.join(REPO, "bench", "adaptation"))
import suite  # noqa: E402
from benchmarks import BENCHMARKS  # noqa: E402
from ttad import policy  # noqa: E402


def tiny_start(path: str) -> None:
    """A freshly initialised policy of reacher-damping's architecture (no training), via from_torch."""
    bench = BENCHMARKS["reacher-damping"]
    torch.manual_seed(0)
    sizes = [10, *bench.policy["hidden_sizes"]]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    layers.append(torch.nn.Linear(sizes[-1], 2 * bench.policy["bins"]))
    policy.from_torch(torch.nn.Sequential(*layers), path, robot=bench.name, bins=bench.policy["bins"],
                      action_low=-1, action_high=1)


def test_the_suite_pairs_every_arm_on_the_same_tasks_and_evaluates_on_held_out_seeds(tmp_path):
    ttad_binary()  # fails with the build hint when there is no daemon
    start = str(tmp_path / "start.safetensors")
    tiny_start(start)
    out = str(tmp_path / "suite.json")
    suite.main(["--benchmarks", "reacher-damping", "--seeds", "1", "--tasks", "2", "--eval-tasks", "10",
                "--start", start, "--out", out])
    with open(out) as f:
        result = json.load(f)

    bench = result["benchmarks"]["reacher-damping"]
    evaluation = set(result["evaluation_seeds"])
    assert len(evaluation) == 10
    assert len(bench["runs"]) == 1
    run = bench["runs"][0]
    assert set(run["arms"]) == {"start", "plain", "ttad"}
    assert len(run["training_seeds"]) == 2
    assert not evaluation & set(run["training_seeds"])
    for arm in ("plain", "ttad"):
        assert run["arms"][arm]["training_seeds"] == run["training_seeds"], arm
        assert len(run["arms"][arm]["tasks"]) == 2
        assert all(len(t["steps"]) == result["attempts"] == 8 for t in run["arms"][arm]["tasks"])
        assert 0 <= run["arms"][arm]["eval_shifted"]["success"] <= 1
    assert run["arms"]["ttad"]["imported_checkpoint"].startswith("ckpt-")  # the start went on through `import`
    assert run["arms"]["ttad"]["final_checkpoint"].endswith(".safetensors")
    assert 0 <= run["arms"]["start"]["eval_unshifted"]["success"] <= 1
    summary = bench["summary"]
    assert set(summary["arms"]) == {"plain", "ttad"}
    assert summary["ttad_minus_plain"]["n"] == 1
