"""bench/adaptation/suite.py end to end on a tiny run: a real daemon (the ``ttad`` arm), the plain
PyTorch reference and the start, on 1 seed x 2 tasks x 10 evaluation tasks of reacher-damping.

Checks the structure of the JSON it writes: every arm present, the adapting arms trained on the
same task seeds in the same order, and the evaluation seeds disjoint from every training seed.
Then the benchmarks themselves, cheaply: each builds its env and its start fits it, each expert
solves its unshifted tasks, and the ports of ttad's reacher2/pusher against ttad's own MuJoCo
backend (the real ``ttad-controller`` next to the ttad binary, over the bridge protocol).
Skips (with the reason) without torch, gymnasium's MuJoCo envs or gymnasium-robotics.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import sys

import numpy as np
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
    assert set(run["arms"]) == {"start", "plain", "ttad", "ttad-binary"}
    assert len(run["training_seeds"]) == 2
    assert not evaluation & set(run["training_seeds"])
    for arm in ("plain", "ttad", "ttad-binary"):
        assert run["arms"][arm]["training_seeds"] == run["training_seeds"], arm
        assert len(run["arms"][arm]["tasks"]) == 2
        assert all(len(t["steps"]) == result["attempts"] == 8 for t in run["arms"][arm]["tasks"])
        assert all(len(t["attempt_success"]) == 8 and sum(t["attempt_success"]) == t["successes"]
                   for t in run["arms"][arm]["tasks"]), f"{arm}: each attempt's success is recorded"
        assert 0 <= run["arms"][arm]["eval_shifted"]["success"] <= 1
    assert run["arms"]["ttad"]["imported_checkpoint"].startswith("ckpt-")  # the start went on through `import`
    assert run["arms"]["ttad"]["final_checkpoint"].endswith(".safetensors")
    assert 0 <= run["arms"]["start"]["eval_unshifted"]["success"] <= 1
    # Binary reward scores a success 1, efficiency 1 / (1 + steps / max_steps) < 1: the arms differ.
    assert run["arms"]["ttad-binary"]["imported_checkpoint"].startswith("ckpt-")
    steps = run["arms"]["ttad"]["eval_shifted"]["steps_per_task"]
    assert len(steps) == 10 and all(s is None or 1 <= s <= 50 for s in steps)
    summary = bench["summary"]
    assert set(summary["arms"]) == {"plain", "ttad", "ttad-binary"}
    assert summary["ttad_minus_plain"]["n"] == 1 and summary["ttad_minus_binary"]["n"] == 1
    assert result["suite"]["benchmarks"] == ["reacher-damping"]
    assert result["packages"]["gymnasium"] and result["packages"]["mujoco"], "the simulators' versions are recorded"
    assert bench["seeds_done"] == 1


def test_steps_are_compared_only_on_the_evaluation_tasks_both_arms_solve():
    def run(ttad, binary):
        return {"arms": {"ttad": {"eval_shifted": {"steps_per_task": ttad}},
                         "ttad-binary": {"eval_shifted": {"steps_per_task": binary}}}}
    # Task 1 only ttad solves (in 40 steps), task 2 only binary: neither counts.
    runs = [run([10, 40, None, 20], [20, None, 30, 20]), run([9, None], [11, None])]
    e = suite.steps_on_shared_successes(runs, "ttad", "ttad-binary")
    assert e is not None
    assert e["steps"] == pytest.approx((15 + 9) / 2) and e["other_steps"] == pytest.approx((20 + 11) / 2)
    assert e["saving"] == pytest.approx((15.5 - 12) / 15.5)
    assert e["shared_tasks"] == pytest.approx(1.5)
    assert suite.steps_on_shared_successes([run([None], [5])], "ttad", "ttad-binary") is None


def test_speed_room_is_the_fastest_success_against_the_groups_mean_success():
    import speed_room
    tasks = [
        # recorded successes: 40 and 60 steps succeed (mean 50, fastest 40: 20% room), 45 failed
        {"steps": [40, 60, 45], "successes": 2, "attempt_success": [True, True, False]},
        # older runs: the attempts that ended before max_steps (100) succeeded: 80 and 90
        {"steps": [80, 90, 100], "successes": 2},
        # the count disagrees with the guess (a failure ended early): not used
        {"steps": [30, 50, 100], "successes": 1},
        # one success: no room to measure
        {"steps": [70, 100, 100], "successes": 1, "attempt_success": [True, False, False]},
    ]
    r = speed_room.benchmark_room([{"arms": {"ttad": {"tasks": tasks}}}], max_steps=100)
    assert r["tasks"] == 4 and r["unknown"] == 1 and r["groups"] == 2
    assert r["room"] == pytest.approx((0.2 + 5 / 85) / 2)
    assert r["cv"] == pytest.approx((10 / 50 + 5 / 85) / 2)


def test_paired_compares_the_same_seeds_and_pools_the_share_of_each_drop(tmp_path):
    import paired

    def run(seed, success, successes, steps=(None, 50, 40)):
        tasks = [{"steps": [10, 20], "successes": k} for k in successes]
        return {"seed": seed, "arms": {"ttad": {"eval_shifted": {"success": success, "steps_per_task": list(steps)}, "tasks": tasks}}}

    def write(name, runs):
        summary = {"start_unshifted": 0.6, "start_shifted": 0.4}
        (tmp_path / name).write_text(json.dumps({"benchmarks": {"b": {"summary": summary, "runs": runs}}}))

    write("base-b-1.json", [run(1, 0.40, [1, 1]), run(2, 0.38, [0, 0]), run(3, 0.5, [2, 2])])
    # seed 3 has no candidate run: left out of every pair
    write("cand-b-1.json", [run(1, 0.46, [2, 1], steps=(30, 40, None)), run(2, 0.42, [1, 1], steps=(30, 45, 30))])
    r = paired.compare(paired.load(str(tmp_path / "base-*.json"), "ttad"), paired.load(str(tmp_path / "cand-*.json"), "ttad"))
    b = r["benchmarks"]["b"]
    assert b["seeds"] == 2 and r["pairs"] == 2
    half = suite.t_quantile_975(1) * statistics.stdev([6.0, 4.0]) / math.sqrt(2)
    assert b["diff"]["mean"] == pytest.approx(5.0) and b["diff"]["high"] == pytest.approx(5.0 + half)
    assert b["training_diff"]["mean"] == pytest.approx((25.0 + 50.0) / 2)   # 2/4 -> 3/4 and 0/4 -> 2/4
    # steps on the tasks both solved: seed 1 task 1 (50 -> 40), seed 2 tasks 1-2 (45 -> 37.5)
    assert b["steps_saved"] == pytest.approx(100 * (47.5 - 38.75) / 47.5)
    assert b["below_start"] == (1, 0)                                # seed 2 of the base ended at 0.38 < 0.40
    assert r["pooled_share"]["mean"] == pytest.approx((0.06 / 0.2 + 0.04 / 0.2) / 2 * 100)


def test_ceiling_counts_the_tasks_the_start_lost_and_the_expert_still_solves(tmp_path):
    import ceiling
    # start: task 0 solved both ways, 1 and 2 lost to the shift, 3 gained under it, 4 never solved
    start = {"eval_unshifted": {"steps_per_task": [10, 20, 30, None, None]},
             "eval_shifted": {"steps_per_task": [12, None, None, 40, None]}}
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"benchmarks": {"reacher-damping": {"runs": [{"arms": {"start": start}}]}}}))
    lost = ceiling.lost_to_the_shift(str(path), "reacher-damping", [True, True, False, True, True])
    assert lost == {"tasks": 5, "lost": 2, "gained": 1, "lost_expert_solves_shifted": 1}


def test_ceiling_speed_reference_compares_steps_on_the_tasks_both_solve(tmp_path):
    import ceiling
    start = {"eval_shifted": {"steps_per_task": [20, 40, None, 30]}}
    runs = [{"arms": {"start": start, "ttad": {"eval_shifted": {"steps_per_task": [18, 36, 10, None]}}}},
            {"arms": {"start": start, "ttad": {"eval_shifted": {"steps_per_task": [20, 40, None, 24]}}}}]
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"benchmarks": {"reacher-damping": {"runs": runs}}}))
    by_gain = {1.0: {"steps_per_task": [16, None, 5, 27]}, 2.0: {"steps_per_task": [18, 30, 5, 21]}}
    speed = ceiling.speed_reference(str(path), "reacher-damping", by_gain)
    # gain 1 shares tasks 0 and 3 with the start: (25 - 21.5) / 25; gain 2 tasks 0, 1 and 3
    assert speed["by_gain"]["1.0"]["saving"] == pytest.approx((25 - 21.5) / 25)
    assert speed["by_gain"]["2.0"]["shared_tasks"] == 3
    assert speed["by_gain"]["2.0"]["saving"] == pytest.approx((30 - 23) / 30)
    # each task's fastest gain: 16, 30, 5, 21 -> on tasks 0, 1, 3: (30 - 67 / 3) / 30
    assert speed["fastest_gain_per_task"]["saving"] == pytest.approx((30 - 67 / 3) / 30)
    # ttad, as suite.steps_on_shared_successes: per seed the means on the tasks shared with the
    # start (seed 1: 27 against 30 on tasks 0-1; seed 2: 28 against 30 on tasks 0, 1, 3), then
    # the saving of their mean
    assert speed["adapted_arms"]["ttad"] == pytest.approx((30 - (27 + 28) / 2) / 30)
    assert "plain" not in speed["adapted_arms"]


def test_ceiling_runs_the_expert_with_its_gain_under_the_shift():
    import ceiling
    bench = BENCHMARKS["reacher-damping"]
    seeds = [ceiling.EVAL_SEED_BASE + i for i in range(3)]
    solved = ceiling.expert_success(bench, seeds, {}, 1.0)
    assert solved["success"] == 1.0 and solved["per_task"] == [True, True, True]
    # A gain of 0 sends no action: the fingertip never reaches a target 5 cm away.
    still = ceiling.expert_success(bench, seeds, bench.shift, 0.0)
    assert still["success"] == 0.0 and still["mean_steps_to_success"] is None and len(still["per_task"]) == 3


# -- the benchmarks themselves (cheap: no daemon, a few episodes each) ---------------------------

from ttad.bridge import Transition  # noqa: E402
from ttad.bridge.gymnasium_env import flatten_observation  # noqa: E402



def _needs(name: str) -> None:
    """Skips a PointMaze benchmark's test without gymnasium-robotics."""
    if name.startswith("pointmaze"):
        pytest.importorskip("gymnasium_robotics", reason="gymnasium-robotics is not installed (pip install gymnasium-robotics)")


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_every_benchmark_builds_its_env_and_its_start_has_the_env_s_sizes_and_the_declared_head(name):
    _needs(name)
    bench = BENCHMARKS[name]
    env = bench.make_env()
    bench.apply_dynamics(env, dict(bench.shift))
    raw, _ = env.reset(seed=5_000_000)
    obs = flatten_observation(env.observation_space, raw)
    start = policy.load(os.path.join(REPO, "bench", "adaptation", "policies", bench.start_policy))
    arch = start.architecture
    assert arch["observation_size"] == obs.size
    assert arch["action_size"] == env.action_space.shape[0]
    assert arch["head"] == bench.policy["head"]
    assert arch["hidden_sizes"] == bench.policy["hidden_sizes"]
    assert set(bench.shift) <= set(bench.dynamics_range)
    assert all(lo <= bench.shift[k] <= hi for k, (lo, hi) in bench.dynamics_range.items() if k in bench.shift)
    env.close()


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_every_benchmark_s_expert_solves_most_of_8_unshifted_tasks_and_progress_stays_in_0_1(name):
    _needs(name)
    bench = BENCHMARKS[name]
    assert bench.expert is not None
    env = bench.make_env()
    solved = 0
    for seed in range(10_000_000, 10_000_008):  # pretrain.py's task seeds
        bench.apply_dynamics(env, {})
        raw, _ = env.reset(seed=seed)
        obs = flatten_observation(env.observation_space, raw)
        for _ in range(bench.max_steps):
            raw, reward, terminated, truncated, info = env.step(np.asarray(bench.expert(obs), dtype=np.float32))
            obs = flatten_observation(env.observation_space, raw)
            t = Transition(env, obs, float(reward), bool(terminated), bool(truncated), dict(info), raw)
            if bench.progress is not None:
                assert 0.0 <= bench.progress(t) <= 1.0
            if bench.success(t):
                solved += 1
                break
            if terminated or truncated:
                break
    env.close()
    assert solved >= 6, f"{name}: the expert solved {solved} of 8 unshifted tasks"


def _controller(robot: str, endpoint: str):
    """ttad's reference controller (ttad-controller, next to the ttad binary) serving ``robot``'s
    MuJoCo backend over the bridge, and a DEALER talking to it; skips without the binary."""
    import subprocess

    binary = os.path.join(os.path.dirname(ttad_binary()), "ttad-controller")
    if not os.access(binary, os.X_OK):
        pytest.skip(f"no ttad-controller next to {ttad_binary()}")
    process = subprocess.Popen([binary, "--config", os.path.join(REPO, "robot-configs", f"{robot}.yaml"),
                                "--endpoint", endpoint], stderr=subprocess.DEVNULL)
    return process


def _bridge_client(endpoint: str):
    zmq = pytest.importorskip("zmq")
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.RCVTIMEO, 10_000)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    seq = [0]

    def request(header, frames=()):
        seq[0] += 1
        socket.send_multipart([json.dumps(dict(header, v=1, seq=seq[0])).encode()]
                              + [np.asarray(f, dtype="<f4").tobytes() for f in frames])
        while True:
            parts = socket.recv_multipart()  # raises zmq.Again after 10 s
            reply = json.loads(parts[0])
            if reply["type"] != "heartbeat":
                assert reply["type"] != "error", reply
                return reply, [np.frombuffer(p, dtype="<f4") for p in parts[1:]]

    return socket, request


@pytest.mark.parametrize("robot", ["reacher2", "pusher"])
def test_the_ported_robot_has_ttad_s_sizes_and_resets_to_ttad_s_first_observation(robot, tmp_path):
    from ttad_robots import TtadRobotEnv

    endpoint = f"ipc://{tmp_path}/controller.sock"
    process = _controller(robot, endpoint)
    socket, request = _bridge_client(endpoint)
    try:
        hello, _ = request({"type": "hello"})
        env = TtadRobotEnv(robot)
        assert env.observation_space.shape == (hello["observation_size"],)
        assert env.action_space.shape == (hello["action_size"],)
        for seed in (5_000_000, 5_000_001, 123):
            obs, _ = env.reset(seed=seed)
            # ttad-controller takes the parameters as ttad resolved them; the port drew them itself.
            _, frames = request({"type": "reset", "task": env.task_name, "seed": seed, "index": 0,
                                 "params": env.task_params, "dynamics": {}})
            np.testing.assert_array_equal(frames[0], obs)
    finally:
        socket.close()
        process.terminate()
        process.wait(10)


def test_the_ported_reacher2_steps_as_ttad_s_mujoco_backend_under_a_shift(tmp_path):
    """No contacts in reacher2: the port (MuJoCo 4) and ttad's backend agree step for step."""
    from ttad_robots import TtadRobotEnv, apply_ttad_dynamics
    from expert import reacher2_expert

    endpoint = f"ipc://{tmp_path}/controller.sock"
    process = _controller("reacher2", endpoint)
    socket, request = _bridge_client(endpoint)
    shift = dict(BENCHMARKS["reacher2-damping"].shift)
    try:
        env = TtadRobotEnv("reacher2")
        rng = np.random.default_rng(0)
        for seed in (5_000_000, 5_000_001):
            apply_ttad_dynamics(env, shift)
            obs, _ = env.reset(seed=seed)
            request({"type": "reset", "task": "reach", "seed": seed, "index": 0, "params": env.task_params,
                     "dynamics": shift})
            for _ in range(env.max_steps):
                obs, _, terminated, truncated, info = env.step(reacher2_expert(obs) + rng.normal(0, 0.5, 2))
                # ttad sends the action after its envelope (clamp, rate limit): the port applied the same.
                reply, frames = request({"type": "step"}, [env.previous_action])
                np.testing.assert_allclose(frames[0], obs, atol=1e-6)
                assert reply["success"] == info["success"]
                if terminated or truncated:
                    break
    finally:
        socket.close()
        process.terminate()
        process.wait(10)
