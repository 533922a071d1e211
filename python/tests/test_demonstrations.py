"""Client.add_demonstrations / demos / remove_demonstrations against a real daemon
(docs/demonstration-format.md): .npz files in, stored sets out, bad arrays refused by name."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from typing import Iterator

import numpy as np
import pytest

import ttad
from conftest import REPO, Daemon, point_mass_config
from ttad import demonstrations

CONTROLLER = os.path.join(REPO, "examples", "python_controller", "controller.py")


@pytest.fixture
def daemon(daemon_factory, workdir: str) -> Iterator[Daemon]:
    endpoint = f"ipc://{workdir}/point-mass.sock"
    process = subprocess.Popen([sys.executable, CONTROLLER, "--endpoint", endpoint], stderr=subprocess.DEVNULL)
    try:
        yield daemon_factory({"point-mass": point_mass_config(endpoint)}, "point-mass")
    finally:
        process.terminate()
        process.wait(10)


def episodes(workdir: str, name: str, obs_size: int = 8, **arrays) -> str:
    rng = np.random.default_rng(3)
    steps = 12
    data = {"observations": rng.normal(size=(steps, obs_size)).astype(np.float32),
            "actions": rng.uniform(-1, 1, size=(steps, 2)).astype(np.float32)}
    data.update(arrays)
    path = os.path.join(workdir, name)
    np.savez(path, **data)
    return path


@pytest.fixture
def client(daemon: Daemon) -> Iterator[ttad.Client]:
    # Closed at the end: a socket left open (an exception's traceback can keep its client alive)
    # makes the zmq context's exit wait forever.
    c = daemon.client()
    yield c
    c.close()


def test_an_npz_set_is_stored_listed_and_removed(client: ttad.Client, workdir: str):
    path = episodes(workdir, "teleop.npz", episode_lengths=np.array([5, 7]), success=np.array([True, False]))
    entry = client.add_demonstrations("point-mass", "reach", path)
    assert entry["robot"] == "point-mass" and entry["task"] == "reach" and entry["source"] == "teleop.npz"
    assert entry["episodes"] == 2 and entry["steps"] == 12 and entry["successes"] == 1
    # episode_starts, or nothing (one episode), say the same thing another way.
    starts = client.add_demonstrations("point-mass", "reach", episodes(workdir, "starts.npz", episode_starts=np.array([0, 4, 9])))
    assert starts["episodes"] == 3 and "successes" not in starts
    single = client.add_demonstrations("point-mass", "reach", episodes(workdir, "one.npz"))
    assert single["episodes"] == 1
    listed = client.demos(robot="point-mass")
    assert [s["id"] for s in listed["sets"]] == [entry["id"], starts["id"], single["id"]]
    assert listed["damaged"] == []
    client.remove_demonstrations(entry["id"])
    assert [s["id"] for s in client.demos()["sets"]] == [starts["id"], single["id"]]
    with pytest.raises(ttad.errors.NotFound):
        client.remove_demonstrations(entry["id"])


def test_a_set_that_does_not_fit_the_robot_is_refused_naming_the_field(client: ttad.Client, workdir: str):
    with pytest.raises(ttad.errors.InvalidField) as refused:
        client.add_demonstrations("point-mass", "reach", episodes(workdir, "wide.npz", obs_size=9))
    assert refused.value.field == "file: observations" and "observes 8" in str(refused.value)
    with pytest.raises(ttad.errors.InvalidField) as unknown:
        client.add_demonstrations("point-mass", "fly", episodes(workdir, "ok.npz"))
    assert unknown.value.field == "args.task"
    # Caught before sending: lengths that do not sum to the steps, a NaN.
    with pytest.raises(ValueError, match="episode_lengths"):
        client.add_demonstrations("point-mass", "reach", episodes(workdir, "short.npz", episode_lengths=np.array([5, 5])))
    bad = np.zeros((12, 2), dtype=np.float32)
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="actions has a non-finite number at step 4"):
        client.add_demonstrations("point-mass", "reach", episodes(workdir, "nan.npz", actions=bad))
    assert client.demos()["sets"] == []


def test_parquet_without_pyarrow_says_which_extra_to_install(workdir: str, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"pip install 'ttad\[parquet\]'"):
        demonstrations.read(os.path.join(workdir, "episodes.parquet"))


def test_a_lerobot_parquet_file_is_read_episode_by_episode(workdir: str):
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip("pyarrow is not installed (the parquet extra)")
    # In a process of its own: importing pyarrow into one whose zmq sockets and daemon children
    # came and went has hung on this machine.
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {os.path.join(REPO, "python")!r})
        import pyarrow as pa, pyarrow.parquet as pq
        from ttad import demonstrations
        rows = [(e, f) for e in (1, 0) for f in range(3 + e)]  # episode 1 first on disk, 4 frames; episode 0, 3 frames
        table = pa.table({{"episode_index": [e for e, _ in rows], "frame_index": [f for _, f in rows],
                          "observation.state": [[float(e), float(f)] for e, f in rows],
                          "action": [[float(f)] for _, f in rows]}})
        path = {os.path.join(workdir, "episodes.parquet")!r}
        pq.write_table(table, path)
        obs, act, lengths, success = demonstrations.read(path)
        print(json.dumps([lengths.tolist(), success is None, obs[:, 0].tolist(), act[:, 0].tolist()]))
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lengths, no_success, first_obs, first_act = json.loads(out.stdout)
    assert lengths == [3, 4] and no_success
    assert first_obs == [0, 0, 0, 1, 1, 1, 1] and first_act == [0, 1, 2, 0, 1, 2, 3]
