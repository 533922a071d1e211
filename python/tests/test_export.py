"""ttad.export.tensorboard against a real daemon (reacher2, MuJoCo): the event files it writes are
read back with TensorBoard's own reader and hold the history's numbers, from the client and from
JSON Lines export files alike."""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict, List

import pytest

from conftest import REPO, Daemon, ttad_binary

pytest.importorskip("tensorboard", reason="tensorboard is not installed (pip install 'ttad[tensorboard]')")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402

from ttad import export  # noqa: E402

ROBOTS = os.path.join(REPO, "robot-configs")

# The columns `ttactl export --format jsonl` writes per kind (docs/ttactl.md).
TASK_COLUMNS = ["task_id", "kind", "robot", "task", "state", "detail", "submitted_at", "started_at", "finished_at",
                "attempts", "temperature_base", "temperature_range", "reward_mode", "adapt", "priority", "checkpoint",
                "candidate", "success_rate", "mean_reward", "params", "dynamics"]
UPDATE_COLUMNS = ["task_id", "robot", "task", "accepted", "refusal", "policy_loss", "approx_kl", "clip_fraction",
                  "grad_norm", "entropy", "kl_to_reference", "epochs", "samples", "early_stopped", "seconds",
                  "learning_rate", "parent", "candidate", "intervention_samples", "demonstration_samples", "kl_retries"]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Dict[str, Any]:
    """Three adapting tasks and one evaluation on a real reacher2 daemon: its history (newest
    first) and what ``export.tensorboard(client, logdir)`` wrote from it while it ran."""
    def link(directory: str) -> None:
        for name in ("models", "checkpoints"):
            os.symlink(os.path.join(ROBOTS, name), os.path.join(directory, name))

    with open(os.path.join(ROBOTS, "reacher2.yaml")) as f:
        yaml = f.read()
    daemon = Daemon({"reacher2": yaml}, "reacher2", before_start=link)
    try:
        daemon.wait_until_serving()
        with daemon.client(timeout=30) as client:
            ids = [client.submit("reach", attempts=4, seed=seed, adapt=True)["task_id"] for seed in (1, 2, 3)]
            ids.append(client.evaluate("reach", tasks=3, seed=9)["task_id"])
            for task_id in ids:
                assert client.wait_task(task_id, deadline=300)["state"] == "done", daemon.log
            logdir = tmp_path_factory.mktemp("client-logs")
            written = export.tensorboard(client, logdir)
            # The real `ttactl export --format jsonl` of the same history, for the file path.
            ttactl = os.path.join(os.path.dirname(ttad_binary()), "ttactl")
            exported = tmp_path_factory.mktemp("ttactl-export")
            for kind in ("tasks", "updates"):
                with open(exported / f"{kind}.jsonl", "w") as out:
                    subprocess.run([ttactl, "export", "--endpoint", daemon.endpoint, "--format", "jsonl", "--kind", kind],
                                   stdout=out, stderr=subprocess.PIPE, check=True, timeout=60)
            return {"history": list(client.iter_history()), "logdir": logdir, "written": written, "exported": exported}
    finally:
        daemon.stop()


def scalars(run: str) -> Dict[str, List[Any]]:
    """Every scalar of one run, by tag, read with TensorBoard's own reader."""
    reader = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0})
    reader.Reload()
    return {tag: reader.Scalars(tag) for tag in reader.Tags()["scalars"]}


def expected(history: List[Dict[str, Any]]) -> Dict[str, List[float]]:
    training = sorted((t for t in history if t.get("kind", "training") == "training"), key=lambda t: t["submitted_at"])
    updates = [u for t in training for u in t["updates"] if not u.get("skipped")]
    return {
        "reach/success_rate": [t["success_rate"] for t in training],
        "reach/mean_reward": [t["mean_reward"] for t in training],
        "reach/approx_kl": [u["approx_kl"] for u in updates],
        "reach/clip_fraction": [u["clip_fraction"] for u in updates],
        "reach/evaluation_success_rate": [t["success_rate"] for t in history if t.get("kind") == "evaluation"],
    }


def check_run(run: str, history: List[Dict[str, Any]]) -> None:
    got = scalars(run)
    want = expected(history)
    assert sorted(got) == sorted(want)
    for tag, values in want.items():
        assert [e.value for e in got[tag]] == pytest.approx(values, rel=1e-6), tag
    assert [e.step for e in got["reach/success_rate"]] == [1, 2, 3]
    assert [e.step for e in got["reach/approx_kl"]] == list(range(1, len(want["reach/approx_kl"]) + 1))
    assert [e.step for e in got["reach/evaluation_success_rate"]] == [3]


@pytest.fixture(scope="module")
def history(live: Dict[str, Any]) -> List[Dict[str, Any]]:
    return live["history"]


def test_tensorboard_reads_the_history_through_the_client(live: Dict[str, Any], history: List[Dict[str, Any]]):
    assert len(expected(history)["reach/approx_kl"]) >= 1, "the tasks made no update to plot"
    assert live["written"] == {"reacher2": 3 * 2 + 2 * len(expected(history)["reach/approx_kl"]) + 1}
    check_run(str(live["logdir"] / "reacher2"), history)


def test_tensorboard_reads_jsonl_export_files_of_tasks_and_updates(history: List[Dict[str, Any]], tmp_path):
    # What `ttactl export --format jsonl --kind tasks` and `--kind updates` write, newest task first.
    tasks, updates = tmp_path / "tasks.jsonl", tmp_path / "updates.jsonl"
    with open(tasks, "w") as f:
        for t in history:
            row = {c: t.get(c) for c in TASK_COLUMNS}
            row["kind"] = t.get("kind", "training")
            row["attempts"] = len(t["attempts"])
            f.write(json.dumps(row) + "\n")
    with open(updates, "w") as f:
        for t in history:
            for u in t["updates"]:
                f.write(json.dumps({c: {"task_id": t["task_id"], "robot": t["robot"], "task": t["task"]}.get(c, u.get(c))
                                    for c in UPDATE_COLUMNS}) + "\n")
    export.tensorboard([tasks, updates], tmp_path / "logs")
    check_run(str(tmp_path / "logs" / "reacher2"), history)

    # Whole task objects, one per line, read the same.
    whole = tmp_path / "history.jsonl"
    whole.write_text("".join(json.dumps(t) + "\n" for t in history))
    export.tensorboard(whole, tmp_path / "whole")
    check_run(str(tmp_path / "whole" / "reacher2"), history)


def test_tensorboard_reads_what_ttactl_export_writes(live: Dict[str, Any], history: List[Dict[str, Any]], tmp_path):
    exported = live["exported"]
    rows = [json.loads(line) for line in (exported / "tasks.jsonl").read_text().splitlines()]
    assert {r["task_id"] for r in rows} == {t["task_id"] for t in history}, "every task exported"
    export.tensorboard([exported / "tasks.jsonl", exported / "updates.jsonl"], tmp_path / "logs")
    check_run(str(tmp_path / "logs" / "reacher2"), history)


def test_a_line_that_is_not_a_history_record_is_refused_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "t-1", "robot": "r", "task": "reach", "approx_kl": 0.01, "clip_fraction": 0.1}\n{"x": 1\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: not JSON"):
        export.tensorboard(bad, tmp_path / "logs")
    bad.write_text('{"colour": "blue"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: not a ttad history record.*keys: colour"):
        export.tensorboard(bad, tmp_path / "logs")


def test_an_export_into_a_run_folder_that_holds_event_files_is_refused(history: List[Dict[str, Any]], tmp_path):
    whole = tmp_path / "history.jsonl"
    whole.write_text("".join(json.dumps(t) + "\n" for t in history))
    export.tensorboard(whole, tmp_path / "logs")
    with pytest.raises(FileExistsError, match="already holds TensorBoard event files"):
        export.tensorboard(whole, tmp_path / "logs")
