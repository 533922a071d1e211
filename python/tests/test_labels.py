"""Operator labels through ttad.Client against a real daemon on the in-process MuJoCo reacher2
judged by a person (``success_judged_by: operator``): attempts end pending and are announced,
``Client.label`` records them, the update uses them, and bad labels are refused by the daemon."""
from __future__ import annotations

import os
import time

import pytest

import ttad
from conftest import REPO, Daemon

ROBOTS = os.path.join(REPO, "robot-configs")


def operator_judged_reacher(deadline: int) -> str:
    with open(os.path.join(ROBOTS, "reacher2.yaml")) as f:
        text = f.read()
    marked = text.replace("\nadaptation:\n", f"\nadaptation:\n  success_judged_by: operator\n  label_deadline_seconds: {deadline}\n")
    assert marked != text, "reacher2.yaml has no adaptation: section to extend"
    return marked


def link_models(robots: str) -> None:
    os.symlink(os.path.join(ROBOTS, "models"), os.path.join(robots, "models"))
    os.symlink(os.path.join(ROBOTS, "checkpoints"), os.path.join(robots, "checkpoints"))


@pytest.fixture
def daemon(daemon_factory) -> Daemon:
    return daemon_factory({"reacher2": operator_judged_reacher(120)}, "reacher2", before_start=link_models)


def test_client_labels_pending_attempts_and_the_update_uses_them(daemon: Daemon):
    with daemon.client() as client, client.events(["attempt_needs_label"]) as events:
        time.sleep(0.2)  # the subscription reaches the daemon before the task's events
        task_id = client.submit("reach", attempts=3, seed=21)["task_id"]
        announced = [events.next(timeout=60) for _ in range(3)]
        assert [(e["task_id"], e["attempt"]) for e in announced] == [(task_id, 0), (task_id, 1), (task_id, 2)]
        assert all(e["label_deadline"] > time.time() for e in announced)
        assert [a["outcome"] for a in client.task(task_id)["attempts"]] == ["pending"] * 3
        assert client.status()["awaiting_labels"]["missing"] == [0, 1, 2]

        replies = [client.label(task_id, i, word, by="pytest") for i, word in enumerate(["success", "failure", "success"])]
        assert all(r["used"] and not r["late"] for r in replies), replies
        info = client.wait_task(task_id, deadline=120)
    assert info["state"] == "done", info
    assert [a["outcome"] for a in info["attempts"]] == ["success", "failure", "success"]
    assert [a["labelled_by"] for a in info["attempts"]] == ["pytest"] * 3
    assert len(info["updates"]) == 1, info


def test_bad_labels_name_what_was_wrong(daemon: Daemon):
    with daemon.client() as client:
        task_id = client.submit("reach", attempts=2, seed=22)["task_id"]
        with pytest.raises(ttad.InvalidField) as bad_word:
            client.label(task_id, 0, "maybe")
        assert bad_word.value.field == "args.outcome" and "maybe" in str(bad_word.value)
        with pytest.raises(ttad.NotFound):
            client.label("t-nosuchtask", 0, "success")
        with pytest.raises(ttad.InvalidField) as out_of_range:
            client.label(task_id, 5, "success")
        assert out_of_range.value.field == "args.attempt" and "2 attempts" in str(out_of_range.value)
        client.cancel(task_id)
