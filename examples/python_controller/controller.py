#!/usr/bin/env python3
"""A tiny robot controller speaking ttad's bridge protocol (docs/bridge-protocol.md), in pure Python.

The "robot" is a point mass on a table: the action is a force in x and y (each in [-1, 1]), the
task is to bring the point to a target. It shows everything a real controller must do:
answer hello with its capabilities, reset for a task, step with an action, stop, estop, repeat
each request's sequence number, and send observation/state as little-endian float32 frames.

    python3 controller.py --endpoint ipc:///tmp/point-mass.sock

Needs pyzmq (Debian: apt-get install python3-zmq). ttad's side: point-mass.yaml next to this file.
"""
import argparse
import json
import math
import struct
import sys

import zmq

DT = 0.02          # seconds per step
MASS = 0.5         # kg
DAMPING = 1.0      # N s/m
FORCE = 2.0        # N at action 1
TOLERANCE = 0.02   # m


class PointMass:
    def __init__(self):
        self.pos = [0.0, 0.0]
        self.vel = [0.0, 0.0]
        self.target = [0.0, 0.0]
        self.running = False

    def reset(self, params):
        self.pos = [0.0, 0.0]
        self.vel = [0.0, 0.0]
        self.target = [params.get("target_x", 0.1), params.get("target_y", 0.0)]
        self.running = True

    def step(self, action):
        # Semi-implicit Euler: velocity first, then position.
        for i in range(2):
            a = max(-1.0, min(1.0, action[i]))  # never trust the client with the motors
            acc = (FORCE * a - DAMPING * self.vel[i]) / MASS
            self.vel[i] += acc * DT
            self.pos[i] += self.vel[i] * DT

    def observation(self):
        d = [self.pos[0] - self.target[0], self.pos[1] - self.target[1]]
        return self.pos + self.vel + self.target + d

    def state(self):
        # joint positions, joint velocities (the two slide "joints" x and y), end effector xyz
        return self.pos + self.vel + [self.pos[0], self.pos[1], 0.0]

    def success(self):
        return math.dist(self.pos, self.target) < TOLERANCE


def floats(values):
    return struct.pack("<%df" % len(values), *values)


def header(kind, seq, **fields):
    return json.dumps(dict(v=1, type=kind, seq=seq, **fields), sort_keys=True).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()

    context = zmq.Context()
    socket = context.socket(zmq.ROUTER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind(args.endpoint)
    robot = PointMass()
    print("controller.py: serving point-mass on %s" % args.endpoint, file=sys.stderr, flush=True)

    while True:
        # Bounded wait, so the loop stays responsive (and Ctrl-C works).
        if not socket.poll(1000):
            continue
        frames = socket.recv_multipart()
        if len(frames) < 2:
            continue
        identity, raw = frames[0], frames[1]
        try:
            request = json.loads(raw)
            kind, seq = request["type"], int(request["seq"])
        except (ValueError, KeyError):
            continue  # not a bridge request: ignore it
        if kind == "hello":
            reply = [header("hello", seq, robot="point-mass", observation_size=8, action_size=2,
                            action_low=[-1.0, -1.0], action_high=[1.0, 1.0], joints=["x", "y"],
                            end_effector=True, control_period=DT)]
        elif kind == "reset":
            robot.reset(request.get("params") or {})
            reply = [header("reset", seq), floats(robot.observation()), floats(robot.state())]
        elif kind == "step":
            if not robot.running or len(frames) != 3 or len(frames[2]) != 8:
                reply = [header("error", seq, message="no attempt running, or not one action frame of 2 float32")]
            else:
                robot.step(struct.unpack("<2f", frames[2]))
                reply = [header("step", seq, success=robot.success()),
                         floats(robot.observation()), floats(robot.state())]
        elif kind in ("stop", "estop"):
            robot.running = False
            reply = [header(kind, seq)]
        else:
            reply = [header("error", seq, message="%s is not a request" % kind)]
        socket.send_multipart([identity] + reply)


if __name__ == "__main__":
    main()
