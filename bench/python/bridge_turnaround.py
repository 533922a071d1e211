#!/usr/bin/env python3
"""Bridge step turnaround through the ttad Python SDK vs a raw pyzmq echo of the same frames.

One process plays ttad (a DEALER, as BridgeConnection): it sends `step` with a 2-float action and
waits for the reply with a 10-float observation and a 7-float state (reacher2's sizes). The
controller is its own process: either a ttad.bridge.Controller whose step returns fixed arrays
(every check the SDK does included), or a raw ROUTER that answers each request with prebuilt
frames (the least a Python controller can do). Reported: p50/p99/p99.9 of the round trip and the
SDK/raw ratio, from one run on the same machine (quote the ratio; absolute times are noisy).

    python3 bench/python/bridge_turnaround.py [--steps 20000] [--endpoint-dir /tmp]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import zmq  # noqa: E402

OBSERVATION = [0.1 * i for i in range(10)]
STATE = [0.01 * i for i in range(7)]


def serve_sdk(endpoint):
    import ttad.bridge as bridge

    class Echo(bridge.Controller):
        def hello(self):
            return bridge.Hello(robot="echo", observation_size=10, action_low=[-1, -1], action_high=[1, 1],
                                joints=["a", "b"], end_effector=True)

        def reset(self, request):
            return OBSERVATION, STATE

        def step(self, action):
            return bridge.StepResult(OBSERVATION, STATE, success=False)

    controller = Echo()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: controller.shutdown())
    controller.serve(endpoint)


def serve_raw(endpoint):
    socket = zmq.Context.instance().socket(zmq.ROUTER)
    socket.bind(endpoint)
    obs = struct.pack("<10f", *OBSERVATION)
    state = struct.pack("<7f", *STATE)
    while True:
        peer, raw, *frames = socket.recv_multipart()
        request = json.loads(raw)
        header = json.dumps({"v": 1, "type": request["type"], "seq": request["seq"], "success": False},
                            sort_keys=True).encode()
        socket.send_multipart([peer, header, obs, state])


class Driver:
    """ttad's end of one bridge connection."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.seq = 0
        self.times = []

    def request(self, kind, *frames):
        self.seq += 1
        self.socket.send_multipart([json.dumps({"v": 1, "type": kind, "seq": self.seq}, sort_keys=True).encode(), *frames])
        if not self.socket.poll(10000):
            raise SystemExit(f"no reply to {kind} seq {self.seq} from {self.endpoint} within 10 s")
        return self.socket.recv_multipart()

    def step(self, action, record):
        start = time.perf_counter_ns()
        reply = self.request("step", action)
        elapsed = time.perf_counter_ns() - start
        if len(reply) != 3:
            raise SystemExit(f"step reply of {len(reply)} frames: {reply[0][:80]!r}")
        if record:
            self.times.append(elapsed)

    def percentiles(self):
        times = sorted(self.times)
        return [times[min(len(times) - 1, int(q * len(times)))] / 1000.0 for q in (0.5, 0.99, 0.999)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--serve", choices=["sdk", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        (serve_sdk if args.serve == "sdk" else serve_raw)(args.endpoint)
        return
    folder = tempfile.mkdtemp(prefix="ttad-bench-")
    servers, drivers = [], {}
    try:
        for kind in ("raw", "sdk"):
            endpoint = f"ipc://{folder}/{kind}.sock"
            servers.append(subprocess.Popen([sys.executable, __file__, "--serve", kind, "--endpoint", endpoint]))
            drivers[kind] = Driver(endpoint)
            drivers[kind].request("hello")
            drivers[kind].request("reset")
        # Alternate the two step by step, so that both see the same machine (a noisy VM's
        # hiccups land on both alike) and the ratio compares like with like.
        action = struct.pack("<2f", 0.25, -0.5)
        for i in range(args.warmup + args.steps):
            for kind in ("raw", "sdk") if i % 2 == 0 else ("sdk", "raw"):
                drivers[kind].step(action, record=i >= args.warmup)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    results = {kind: d.percentiles() for kind, d in drivers.items()}
    print(f"bridge step turnaround over ipc://, {args.steps} steps each, alternating (10-float observation, 7-float state, 2-float action)")
    print(f"{'':22}{'p50 us':>10}{'p99 us':>10}{'p99.9 us':>10}")
    for kind, label in (("raw", "raw pyzmq echo"), ("sdk", "ttad.bridge SDK")):
        print(f"{label:22}" + "".join(f"{v:10.1f}" for v in results[kind]))
    ratios = [s / r for s, r in zip(results["sdk"], results["raw"])]
    print(f"{'SDK / raw':22}" + "".join(f"{v:10.2f}" for v in ratios))


if __name__ == "__main__":
    main()
