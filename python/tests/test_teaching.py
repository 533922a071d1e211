"""bench/adaptation/teach.py (issue 17) on a tiny run, and its scripted person.

The person's takeover rule must be ttad-lab's (Sources/Demonstrators/StallTakeover.swift) step for
step; a tiny run with a real daemon must record the demonstrations through the bridge, let the
person drive steps the daemon counts as intervened, start every arm from ttad's own fresh
initialisation, and clone the same demonstrations offline. Skips without torch or gymnasium's MuJoCo.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import REPO, ttad_binary

pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
pytest.importorskip("gymnasium", reason="gymnasium is not installed (pip install 'gymnasium[mujoco]')")
pytest.importorskip("mujoco", reason="mujoco is not installed (pip install 'gymnasium[mujoco]')")

sys.path.insert(0, os.path.join(REPO, "bench", "adaptation"))
import teach  # noqa: E402
from person import StallTakeover  # noqa: E402


def test_the_stall_rule_takes_over_after_stall_steps_without_progress_and_hands_back_after_hold():
    rule = StallTakeover(stall_steps=3, hold_steps=2)
    driven = []
    # Progress rises for 2 steps, then stalls: 3 stalled steps, then the person drives 2 steps,
    # then the robot gets 3 steps of its own again.
    progress = [0.1, 0.2, 0.2, 0.2, 0.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    for p in progress:
        driven.append(rule.person_drives_next_step())
        rule.observe(p)
    assert driven == [False, False, False, False, False, True, True, False, False, False, True, True]
    # A rise below minimum_gain is no progress; reset() forgets everything.
    rule = StallTakeover(stall_steps=1, hold_steps=1, minimum_gain=0.05)
    rule.observe(0.5)
    rule.observe(0.52)
    assert rule.person_drives_next_step()
    rule.reset()
    assert not rule.person_drives_next_step()
    with pytest.raises(ValueError):
        StallTakeover(stall_steps=0, hold_steps=1)


def test_teach_records_demonstrations_takeovers_and_every_arm_from_a_fresh_start(tmp_path):
    ttad_binary()  # fails with the build hint when there is no daemon
    out = str(tmp_path / "teach.json")
    teach.main(["--benchmark", "reacher2-damping", "--seeds", "1", "--tasks", "3", "--demos", "2", "--eval-tasks", "5",
                "--stall", "3", "--hold", "3", "--bc-epochs", "2", "--out", out])
    with open(out) as f:
        result = json.load(f)
    run = result["runs"][0]
    assert set(run["arms"]) == {"start", "offline-bc", "demos", "takeovers"}
    assert len(set(run["demonstration_seeds"])) == 2, "each demonstration its own task"
    for name in ("demos", "takeovers"):
        arm = run["arms"][name]
        assert arm["demonstration_sets"] == 1 and arm["demonstration_steps"] > 0, name
        assert len(arm["tasks"]) == 3 and all(len(t["steps"]) == 8 for t in arm["tasks"])
        assert 0 <= arm["eval"]["success"] <= 1
    # Only the takeovers arm has a person in its attempts, and the daemon counted what they drove.
    assert not any("intervened_steps" in t for t in run["arms"]["demos"]["tasks"])
    driven = [sum(t.get("intervened_steps", [])) for t in run["arms"]["takeovers"]["tasks"]]
    assert sum(driven) > 0
    assert 0 < run["arms"]["takeovers"]["person_share_first10"] <= 1
    # The offline reference cloned the very episodes the daemon stored (the daemon's episode seeds, ported).
    assert run["arms"]["offline-bc"]["steps"] == run["arms"]["demos"]["demonstration_steps"]
    assert result["summary"]["takeovers"]["seeds"] == 1
