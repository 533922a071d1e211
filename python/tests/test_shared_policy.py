"""Shared policies from Python against two real reacher2 daemons: Client.export_checkpoint writes
the file and its card, Client.import_checkpoint on the other daemon sends both, and the import is
recorded with its source; a file of another robot-config is refused naming both."""
from __future__ import annotations

import json
import os
import socket

import pytest

import ttad
from conftest import REPO, Daemon

ROBOTS = os.path.join(REPO, "robot-configs")


def reacher2_daemon(*names: str) -> Daemon:
    """A daemon serving reacher2's robot-config under each of ``names``."""
    def link(directory: str) -> None:
        for name in ("models", "checkpoints"):
            os.symlink(os.path.join(ROBOTS, name), os.path.join(directory, name))

    with open(os.path.join(ROBOTS, "reacher2.yaml")) as f:
        yaml = f.read()
    daemon = Daemon({name: yaml for name in names}, names[0], before_start=link)
    daemon.wait_until_serving()
    return daemon


def test_a_checkpoint_exported_from_one_daemon_imports_on_another_with_its_provenance(tmp_path):
    source = reacher2_daemon("reacher2")
    try:
        with source.client() as client:
            card = client.export_checkpoint("reacher2", tmp_path, which="good")
            last_good = client.status()["last_good_checkpoint"]
    finally:
        source.stop()
    assert card["checkpoint"] == last_good and card["robot_config"] == "reacher2" and card["which"] == "good"
    assert sorted(os.listdir(tmp_path)) == [f"{last_good}.card.json", f"{last_good}.safetensors"]
    assert json.loads((tmp_path / f"{last_good}.card.json").read_text()) == card

    target = reacher2_daemon("reacher2", "arm-b")
    try:
        with target.client() as client:
            with pytest.raises(ttad.InvalidField) as refused:
                client.import_checkpoint("arm-b", tmp_path / f"{last_good}.safetensors")
            assert refused.value.field == "file"
            assert 'made for robot-config "reacher2", not "arm-b"' in refused.value.message
            result = client.import_checkpoint("reacher2", tmp_path / f"{last_good}.safetensors", by="alice@test")
            assert client.status()["checkpoint"] == result["checkpoint"]
            reply = client.call("history", {})  # the first page carries the events no task caused
    finally:
        target.stop()
    imported = [e for e in reply["untasked_events"] if e["kind"] == "imported"]
    assert len(imported) == 1
    reason = imported[0]["reason"]
    for part in (f"the file was checkpoint {last_good} of robot reacher2", f"on host {card['source_host']}",
                 f"checksum {card['checksum']}", "by alice@test"):
        assert part in reason, reason
    assert card["source_host"] == socket.gethostname()
