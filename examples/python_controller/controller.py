#!/usr/bin/env python3
"""A robot controller for ttad in Python, on the ttad SDK's bridge (python/, docs/python.md).

The "robot" is a point mass on a table: the action is a force in x and y (each in [-1, 1]), the
task is to bring the point to a target. A controller only says what the robot is (hello), starts
an attempt (reset), applies one action (step) and stops; ttad.bridge.Controller does the protocol
(docs/bridge-protocol.md): sockets, sequence numbers, stale and garbage requests, heartbeats,
stop/estop from any peer, and checks every observation before it is sent.

    python3 controller.py --endpoint ipc:///tmp/point-mass.sock

Needs pyzmq and numpy (Debian: apt-get install python3-zmq python3-numpy) and the ttad package
(pip install ./python; from a checkout it is found without installing). ttad's side:
point-mass.yaml next to this file.
"""
import argparse
import logging
import math
import os
import signal
import sys

try:
    import ttad.bridge as bridge
except ImportError:  # running from a checkout without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    import ttad.bridge as bridge

DT = 0.02          # seconds per step
MASS = 0.5         # kg
DAMPING = 1.0      # N s/m
FORCE = 2.0        # N at action 1
TOLERANCE = 0.02   # m


class PointMass(bridge.Controller):
    """A point mass on a table, pushed by a force in x and y."""

    def __init__(self):
        super().__init__()
        self.pos = [0.0, 0.0]
        self.vel = [0.0, 0.0]
        self.target = [0.0, 0.0]

    def hello(self):
        return bridge.Hello(robot="point-mass", observation_size=8, action_low=[-1.0, -1.0],
                            action_high=[1.0, 1.0], joints=["x", "y"], end_effector=True, control_period=DT)

    def reset(self, request):
        self.pos = [0.0, 0.0]
        self.vel = [0.0, 0.0]
        self.target = [request.params.get("target_x", 0.1), request.params.get("target_y", 0.0)]
        return self.observation(), self.state()

    def step(self, action):
        # Semi-implicit Euler: velocity first, then position.
        for i in range(2):
            a = max(-1.0, min(1.0, float(action[i])))  # never trust the client with the motors
            acc = (FORCE * a - DAMPING * self.vel[i]) / MASS
            self.vel[i] += acc * DT
            self.pos[i] += self.vel[i] * DT
        success = math.dist(self.pos, self.target) < TOLERANCE
        return bridge.StepResult(self.observation(), self.state(), success=success)

    def stop(self, emergency):
        # A real robot zeroes its motor commands here; the point mass just stops.
        self.vel = [0.0, 0.0]
        print("controller.py: %s" % ("estop" if emergency else "stop"), file=sys.stderr, flush=True)

    def observation(self):
        d = [self.pos[0] - self.target[0], self.pos[1] - self.target[1]]
        return self.pos + self.vel + self.target + d

    def state(self):
        # joint positions, joint velocities (the two slide "joints" x and y), end effector xyz
        return self.pos + self.vel + [self.pos[0], self.pos[1], 0.0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="controller.py: %(message)s")
    controller = PointMass()
    signal.signal(signal.SIGTERM, lambda *_: controller.shutdown())
    signal.signal(signal.SIGINT, lambda *_: controller.shutdown())
    print("controller.py: serving point-mass on %s" % args.endpoint, file=sys.stderr, flush=True)
    controller.serve(args.endpoint)


if __name__ == "__main__":
    main()
