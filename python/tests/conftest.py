"""Shared fixtures: a real ``ttad`` process with its own state, sockets and robot-configs, and
bridge controllers served on ipc endpoints.

The daemon binary is ``$TTAD_BINARY``, else ``<repo>/.build/debug/ttad`` (build it with
``swift build --product ttad``). A missing binary fails the daemon tests with that hint.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "python"))  # the package under test, installed or not

import ttad  # noqa: E402
from ttad.bridge import Controller  # noqa: E402


def ttad_binary() -> str:
    """The ``ttad`` under test: ``$TTAD_BINARY``, else the checkout's debug build."""
    path = os.environ.get("TTAD_BINARY") or os.path.join(REPO, ".build", "debug", "ttad")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no ttad binary at {path}: build it (swift build --product ttad) or set TTAD_BINARY", pytrace=False)
    return path


def short_tempdir(prefix: str = "ttad-py-") -> str:
    """A fresh folder with a short path (ipc:// socket paths are limited to ~107 bytes)."""
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


class Daemon:
    """A real ``ttad`` for one test: its own temp state directory, ipc sockets and robot-configs."""

    def __init__(self, robot_configs: Dict[str, str], default_robot: str, extra_config: str = "",
                 before_start: Optional[Callable[[str], None]] = None) -> None:
        self.directory = short_tempdir()
        self.endpoint = f"ipc://{self.directory}/ttad.sock"
        self.event_endpoint = f"ipc://{self.directory}/events.sock"
        self.robot_config_directory = os.path.join(self.directory, "robots")
        os.makedirs(self.robot_config_directory)
        for name, text in robot_configs.items():
            with open(os.path.join(self.robot_config_directory, f"{name}.yaml"), "w") as f:
                f.write(text)
        if before_start is not None:
            before_start(self.robot_config_directory)  # e.g. a starting checkpoint in checkpoints/
        config = "\n".join([
            f"request_endpoint: {self.endpoint}",
            f"event_endpoint: {self.event_endpoint}",
            f"state_directory: {self.directory}/state",
            f"robot_config_directory: {self.robot_config_directory}",
            f"default_robot: {default_robot}",
            extra_config,
        ]) + "\n"
        self.config_path = os.path.join(self.directory, "ttad.yaml")
        with open(self.config_path, "w") as f:
            f.write(config)
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        self.log_path = os.path.join(self.directory, "stderr.log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([ttad_binary(), "--config", self.config_path], stdout=subprocess.DEVNULL,
                                        stderr=self._log, env=env)

    @property
    def log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def client(self, timeout: float = 10.0) -> ttad.Client:
        return ttad.Client(self.endpoint, event_endpoint=self.event_endpoint, timeout=timeout)

    def wait_until_serving(self, deadline: float = 30.0) -> None:
        """Pings until the daemon answers; fails with its log if it exits or `deadline` passes."""
        end = time.monotonic() + deadline
        with ttad.Client(self.endpoint, timeout=0.3) as client:
            while time.monotonic() < end:
                if self.process.poll() is not None:
                    pytest.fail(f"ttad exited with {self.process.returncode}:\n{self.log}", pytrace=False)
                try:
                    client.ping()
                    return
                except ttad.NoAnswer:
                    time.sleep(0.05)
        pytest.fail(f"ttad did not answer within {deadline} s:\n{self.log}", pytrace=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class ServedController:
    """A :class:`Controller` serving on its own thread (stopped by ``close``)."""

    def __init__(self, controller: Controller, endpoint: str) -> None:
        self.controller = controller
        self.endpoint = endpoint
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, name="test-controller", daemon=True)
        self.thread.start()
        if not controller.ready.wait(10):
            raise RuntimeError(f"controller did not bind {endpoint} within 10 s: {self.error}")

    def _run(self) -> None:
        try:
            self.controller.serve(self.endpoint)
        except BaseException as error:  # noqa: BLE001 - reported by close()
            self.error = error
            self.controller.ready.set()

    def close(self) -> None:
        self.controller.shutdown()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the controller did not leave serve() within 10 s"
        if self.error is not None:
            raise self.error


@pytest.fixture
def workdir() -> Iterator[str]:
    """A short temp folder for ipc endpoints, removed afterwards."""
    path = short_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def serve(workdir: str) -> Iterator[Callable[..., ServedController]]:
    """``serve(controller, name="ctl")``: serves it on ``ipc://<workdir>/<name>.sock``."""
    served: List[ServedController] = []

    def start(controller: Controller, name: str = "ctl") -> ServedController:
        s = ServedController(controller, f"ipc://{workdir}/{name}.sock")
        served.append(s)
        return s

    yield start
    for s in served:
        s.close()


@pytest.fixture
def daemon_factory() -> Iterator[Callable[..., Daemon]]:
    """``daemon_factory(robot_configs={name: yaml}, default_robot=name)``: a serving daemon.
    ``before_start(robot_config_directory)`` runs after the robot-configs are written, before ttad starts."""
    daemons: List[Daemon] = []

    def start(robot_configs: Dict[str, str], default_robot: str, extra_config: str = "",
              before_start: Optional[Callable[[str], None]] = None) -> Daemon:
        d = Daemon(robot_configs, default_robot, extra_config, before_start)
        daemons.append(d)
        d.wait_until_serving()
        return d

    yield start
    for d in daemons:
        d.stop()


def point_mass_config(endpoint: str, observation_size: int = 8) -> str:
    """examples/python_controller/point-mass.yaml pointed at ``endpoint``."""
    with open(os.path.join(REPO, "examples", "python_controller", "point-mass.yaml")) as f:
        text = f.read()
    text = text.replace("endpoint: ipc:///tmp/point-mass.sock", f"endpoint: {endpoint}\n  hello_deadline_ms: 10000")
    assert endpoint in text, "point-mass.yaml's endpoint line moved; update point_mass_config"
    if observation_size != 8:
        text = text.replace("observation_size: 8 ", f"observation_size: {observation_size} ")
        assert f"observation_size: {observation_size} " in text
    return text

