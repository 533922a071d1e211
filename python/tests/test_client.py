"""ttad.Client against a real daemon driving the point-mass example controller (on the SDK) over
the bridge: every wire operation, errors with the daemon's code and field, deadlines, events,
CURVE over TCP."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Dict, Iterator, List

import pytest
import zmq

import ttad
from conftest import REPO, Daemon, point_mass_config

CONTROLLER = os.path.join(REPO, "examples", "python_controller", "controller.py")


@pytest.fixture
def point_mass(workdir: str) -> Iterator[str]:
    """examples/python_controller/controller.py as its own process; yields its endpoint."""
    endpoint = f"ipc://{workdir}/point-mass.sock"
    process = subprocess.Popen([sys.executable, CONTROLLER, "--endpoint", endpoint], stderr=subprocess.PIPE)
    yield endpoint
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@pytest.fixture
def daemon(daemon_factory, point_mass: str) -> Daemon:
    return daemon_factory({"point-mass": point_mass_config(point_mass)}, "point-mass")


def hardware_faults(info: Dict[str, Any]) -> List[str]:
    return [a["abort_reason"] for a in info["attempts"] if (a.get("abort_reason") or "").startswith("hardware_fault")]


def test_ping_and_status_describe_the_daemon(daemon: Daemon):
    with daemon.client() as client:
        pong = client.ping()
        assert pong["pong"] is True and pong["pid"] == daemon.process.pid
        status = client.status()
    assert status["robot"] == "point-mass" and status["backend"] == "bridge"
    assert status["health"] == "ok"


def test_a_task_runs_through_the_point_mass_example_controller(daemon: Daemon):
    with daemon.client() as client:
        submitted = client.submit("reach", params={"target_x": 0.1, "target_y": -0.05}, attempts=2, adapt=False, seed=3)
        assert submitted["attempts"] == 2 and len(submitted["temperatures"]) == 2
        info = client.wait_task(submitted["task_id"], deadline=120)
    assert info["state"] == "done", info
    assert [a["index"] for a in info["attempts"]] == [0, 1]
    assert all(a["steps"] > 0 for a in info["attempts"]), info["attempts"]
    assert hardware_faults(info) == []


def test_an_evaluation_runs_greedy_attempts_on_the_same_tasks_each_time_without_updating(daemon: Daemon):
    with daemon.client() as client:
        first = client.evaluate("reach", tasks=3, seed=4)
        assert first["tasks"] == 3 and first["seed"] == 4
        one = client.wait_task(first["task_id"], deadline=120)
        two = client.wait_task(client.evaluate("reach", tasks=3, seed=4)["task_id"], deadline=120)
        status = client.status()
    for info in (one, two):
        assert info["state"] == "done" and info["kind"] == "evaluation", info
        assert [a["temperature"] for a in info["attempts"]] == [0, 0, 0]
        assert info["updates"] == [], info["updates"]
    # The same evaluation set, the same policy, greedy: the same outcomes.
    assert [(a["success"], a["steps"]) for a in one["attempts"]] == [(a["success"], a["steps"]) for a in two["attempts"]]
    assert status["tasks_done"] == 0 and status["updates_accepted"] == 0


def test_a_refused_field_raises_invalid_field_with_the_daemons_code_and_field(daemon: Daemon):
    with daemon.client() as client:
        with pytest.raises(ttad.InvalidField) as refused:
            client.submit("reach", attempts=0)
        assert refused.value.code == "invalid_field" and refused.value.field == "args.attempts"
        assert refused.value.op == "submit" and "between 1 and 64" in refused.value.message
        with pytest.raises(ttad.InvalidField) as unknown:
            client.submit("reach", params={"target_z": 0.1})
        assert unknown.value.field is not None and unknown.value.field.startswith("args")
        assert 'unknown parameter "target_z"' in unknown.value.message


def test_an_unknown_task_raises_not_found(daemon: Daemon):
    with daemon.client() as client:
        with pytest.raises(ttad.NotFound) as missing:
            client.task("no-such-task")
        assert missing.value.code == "not_found"
        with pytest.raises(ttad.NotFound):
            client.cancel("no-such-task")


def test_a_daemon_that_does_not_answer_gives_no_answer_not_a_hang(workdir: str):
    with ttad.Client(f"ipc://{workdir}/nobody.sock", timeout=0.2) as client:
        with pytest.raises(ttad.NoAnswer) as silent:
            client.ping()
        assert silent.value.op == "ping" and "nobody.sock" in str(silent.value)
        with pytest.raises(ttad.NoAnswer):
            client.status(timeout=0.1)


def test_the_client_answers_again_after_a_timed_out_call(daemon: Daemon):
    with daemon.client(timeout=30) as client:
        daemon.process.send_signal(19)  # SIGSTOP: the daemon cannot answer
        try:
            wait_for_state(daemon.process.pid, "T")
            with pytest.raises(ttad.NoAnswer):
                client.ping(timeout=0.3)
        finally:
            daemon.process.send_signal(18)  # SIGCONT
        # The late reply to the abandoned ping must not be taken for this one's.
        assert client.status()["robot"] == "point-mass"


def wait_for_state(pid: int, state: str, deadline: float = 10.0) -> None:
    """Waits until /proc says the process is in `state` (T: stopped): kill() only queues a signal."""
    end = time.monotonic() + deadline
    while True:
        with open(f"/proc/{pid}/stat") as f:
            current = f.read().rsplit(")", 1)[1].split()[0]
        if current == state:
            return
        assert time.monotonic() < end, f"process {pid} is in state {current}, not {state}, after {deadline} s"
        time.sleep(0.01)


def test_estop_refuses_submit_until_resume(daemon: Daemon):
    with daemon.client() as client:
        client.estop()
        assert client.status()["health"] == "estopped"
        with pytest.raises(ttad.Unavailable) as refused:
            client.submit("reach", attempts=1, adapt=False)
        assert refused.value.code == "unavailable"
        client.resume()
        assert client.status()["health"] == "ok"
        client.submit("reach", attempts=1, adapt=False)


def test_pause_and_resume_say_whether_the_daemon_adapts(daemon: Daemon):
    with daemon.client() as client:
        assert client.pause()["adapting"] is False
        assert client.status()["adapting"] is False
        assert client.resume()["adapting"] is True


def test_checkpoints_list_and_a_rollback_to_an_unknown_checkpoint_is_not_found(daemon: Daemon):
    with daemon.client() as client:
        listing = client.checkpoints()
        assert isinstance(listing["checkpoints"], list)
        with pytest.raises(ttad.NotFound):
            client.rollback("no-such-checkpoint", reason="test")


def test_reload_reads_a_robot_config_added_since_start(daemon: Daemon, point_mass: str):
    with daemon.client() as client:
        assert "second" not in client.status()["robots"]
        with open(os.path.join(daemon.robot_config_directory, "second.yaml"), "w") as f:
            f.write(point_mass_config(point_mass))
        client.reload()
        assert "second" in client.status()["robots"]


def test_history_pages_follow_next_cursor_when_the_daemon_sends_one(daemon: Daemon):
    with daemon.client() as client:
        ids = [client.submit("reach", attempts=1, adapt=False, seed=i)["task_id"] for i in range(3)]
        page = client.history(limit=2)
        assert len(page.tasks) == 2
        assert [t["task_id"] for t in page.tasks] == ids[::-1][:2], "newest first"
        everything = [t["task_id"] for t in client.iter_history(page_size=2)]
    if page.next_cursor is None:
        # A daemon without pagination: one page, and the iteration ends there.
        assert everything == ids[::-1][:2]
    else:
        assert everything == ids[::-1]


def test_iter_history_sends_each_next_cursor_back(workdir: str):
    # The real daemon may predate cursors, so this one rule is checked against a stand-in that
    # pages three tasks and records what the client asked for.
    endpoint = f"ipc://{workdir}/fake.sock"
    ctx = zmq.Context.instance()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(endpoint)
    asked: List[Dict[str, Any]] = []
    pages = {None: (["t3", "t2"], "c1"), "c1": (["t1"], None)}

    def answer() -> None:
        for _ in range(2):
            assert router.poll(10000)
            peer, empty, raw = router.recv_multipart()
            request = json.loads(raw)
            asked.append(request.get("args", {}))
            tasks, cursor = pages[request.get("args", {}).get("cursor")]
            result: Dict[str, Any] = {"tasks": [{"task_id": t} for t in tasks]}
            if cursor:
                result["next_cursor"] = cursor
            router.send_multipart([peer, b"", json.dumps({"v": 1, "id": request["id"], "ok": True, "result": result}).encode()])

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        with ttad.Client(endpoint, timeout=10) as client:
            got = [t["task_id"] for t in client.iter_history(task="reach", page_size=2)]
    finally:
        thread.join(15)
        router.close(linger=0)
    assert got == ["t3", "t2", "t1"]
    assert asked == [{"task": "reach", "limit": 2}, {"task": "reach", "limit": 2, "cursor": "c1"}]


def test_events_stream_a_task_in_order(daemon: Daemon):
    with daemon.client() as client, client.events(idle_timeout=60) as events:
        time.sleep(0.3)  # let the subscription reach the daemon (PUB/SUB drops earlier events)
        task_id = client.submit("reach", attempts=2, adapt=False, seed=1)["task_id"]
        kinds = []
        for event in events:
            if event.get("task_id") != task_id:
                continue
            assert event["v"] == 1 and isinstance(event["at"], (int, float))
            kinds.append(event["kind"])
            if event["kind"] == "task_finished":
                break
    assert kinds[-1] == "task_finished"
    assert kinds.index("task_started") < kinds.index("attempt_started") < kinds.index("attempt_finished")
    assert kinds.count("attempt_finished") == 2


def test_events_filter_by_kind_and_time_out_when_quiet(daemon: Daemon):
    with daemon.client() as client, client.events(["task_finished"], idle_timeout=0.3) as events:
        with pytest.raises(ttad.NoAnswer):
            events.next()
        time.sleep(0.3)
        task_id = client.submit("reach", attempts=1, adapt=False)["task_id"]
        event = events.next(timeout=120)
    assert event["kind"] == "task_finished" and event["task_id"] == task_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_curve_keys_reach_the_daemons_tcp_endpoint(daemon_factory, point_mass: str, workdir: str):
    server_public, server_secret = zmq.curve_keypair()
    key_file = os.path.join(workdir, "server.key")
    with open(key_file, "wb") as f:
        f.write(server_secret)
    os.chmod(key_file, 0o600)
    # The TCP endpoint serves only client keys listed in its allow-list folder (NAME.pub files).
    client_public, client_secret = zmq.curve_keypair()
    clients = os.path.join(workdir, "clients.d")
    os.makedirs(clients)
    with open(os.path.join(clients, "python-test.pub"), "wb") as f:
        f.write(client_public + b"\n")
    port = free_port()
    d = daemon_factory({"point-mass": point_mass_config(point_mass)}, "point-mass",
                       extra_config=f"tcp_endpoint: tcp://127.0.0.1:{port}\ncurve_secret_key_file: {key_file}\n"
                                    f"curve_client_keys_directory: {clients}")
    with ttad.Client(f"tcp://127.0.0.1:{port}", server_key=server_public.decode(), public_key=client_public,
                     secret_key=client_secret, timeout=10) as client:
        assert client.ping()["pid"] == d.process.pid, "the TCP endpoint is this daemon's"
        assert client.status()["robot"] == "point-mass"
    with ttad.Client(f"tcp://127.0.0.1:{port}", server_key=server_public, timeout=1) as client:
        with pytest.raises(ttad.NoAnswer):
            client.ping()  # a fresh key pair the daemon does not list
    wrong_public, _ = zmq.curve_keypair()
    with ttad.Client(f"tcp://127.0.0.1:{port}", server_key=wrong_public, public_key=client_public,
                     secret_key=client_secret, timeout=0.5) as client:
        with pytest.raises(ttad.NoAnswer):
            client.ping()


def test_a_client_refuses_a_malformed_curve_key():
    with pytest.raises(ValueError, match="server_key must be 40 Z85 characters"):
        ttad.Client("tcp://127.0.0.1:1", server_key="short")


def test_a_controller_whose_hello_disagrees_with_the_config_is_reported_by_name(daemon_factory, point_mass: str):
    # The config says 9 observation floats; the point-mass controller says 8.
    d = daemon_factory({"point-mass": point_mass_config(point_mass, observation_size=9)}, "point-mass")
    with d.client() as client:
        info = client.wait_task(client.submit("reach", attempts=1, adapt=False)["task_id"], deadline=120)
    [fault] = hardware_faults(info)
    assert "sends observations of 8 floats, the config says 9" in fault, fault


def test_the_default_endpoints_come_from_the_environment_as_for_ttactl(daemon: Daemon, monkeypatch):
    monkeypatch.setenv("TTAD_ENDPOINT", daemon.endpoint)
    monkeypatch.setenv("TTAD_EVENTS", daemon.event_endpoint)
    with ttad.Client(timeout=10) as client:
        assert client.endpoint == daemon.endpoint and client.event_endpoint == daemon.event_endpoint
        assert client.ping()["pong"] is True


def test_import_checkpoint_sends_the_file_as_a_third_frame_with_its_sha256(workdir: str):
    # The daemon's `import` is newer than the built daemon this suite may run against, so the
    # frames are checked against a ROUTER playing the daemon: two refusals, then an acceptance.
    endpoint = f"ipc://{workdir}/fake.sock"
    path = os.path.join(workdir, "policy.safetensors")
    content = bytes(range(256)) * 300  # binary, with NULs and every byte value
    with open(path, "wb") as f:
        f.write(content)
    ctx = zmq.Context.instance()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(endpoint)
    received: List[List[bytes]] = []
    replies = [
        {"ok": False, "error": {"code": "not_found", "message": "no robot named ghost"}},
        {"ok": False, "error": {"code": "invalid_field", "field": "args.file",
                                "message": "architecture hidden_sizes [32, 32] differs from the robot-config's [64, 64]"}},
        {"ok": True, "result": {"checkpoint": "ckpt-1-s0-abcd", "robot": "arm", "message": "imported"}},
    ]

    def answer() -> None:
        for reply in replies:
            assert router.poll(10000)
            frames = router.recv_multipart()
            received.append(frames[1:])
            request = json.loads(frames[2])
            router.send_multipart([frames[0], b"", json.dumps({"v": 1, "id": request["id"], **reply}).encode()])

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        with ttad.Client(endpoint, timeout=10) as client:
            with pytest.raises(ttad.NotFound):
                client.import_checkpoint("ghost", path)
            with pytest.raises(ttad.InvalidField) as refused:
                client.import_checkpoint("arm", path)
            result = client.import_checkpoint("arm", path, by="alice")
    finally:
        thread.join(15)
        router.close(linger=0)
    assert refused.value.field == "args.file" and "hidden_sizes" in refused.value.message
    assert result == {"checkpoint": "ckpt-1-s0-abcd", "robot": "arm", "message": "imported"}
    assert [len(frames) for frames in received] == [3, 3, 3], "empty delimiter, JSON, file bytes"
    for frames in received:
        assert frames[0] == b"" and frames[2] == content
    first, last = json.loads(received[0][1]), json.loads(received[2][1])
    assert first["v"] == 1 and first["op"] == "import"
    assert first["args"] == {"robot": "ghost", "file_name": "policy.safetensors",
                             "sha256": hashlib.sha256(content).hexdigest()}, "no `by` key when none is given"
    assert last["args"] == {"robot": "arm", "file_name": "policy.safetensors",
                            "sha256": hashlib.sha256(content).hexdigest(), "by": "alice"}
