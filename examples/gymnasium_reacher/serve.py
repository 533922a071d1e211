#!/usr/bin/env python3
"""gymnasium's Reacher-v5 (MuJoCo) as a ttad robot, through ttad.bridge.serve_gymnasium.

    python3 examples/gymnasium_reacher/serve.py --endpoint ipc:///tmp/reacher.sock \
        --write-config /etc/ttad/robot-configs/gym-reacher.yaml

Writes the matching bridge robot-config (sizes and bounds from the env's spaces; the file stem is
the robot's name for ttad), then serves until SIGTERM/Ctrl-C. After `ttactl reload`:

    ttactl submit --task reach --robot gym-reacher --attempts 8 --dynamics damping_scale=1.5

Needs: pip install './python[gymnasium]' (gymnasium with MuJoCo from PyPI, pyzmq, numpy).
"""
import argparse
import logging
import os
import signal
import sys

try:
    import ttad.bridge as bridge
except ImportError:  # running from a checkout without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    import ttad.bridge as bridge

import gymnasium

TOLERANCE = 0.02  # m, as ttad's own reacher2 task


def make_env():
    return gymnasium.make("Reacher-v5")


def success(t):
    # Reacher-v5 reports minus the fingertip-target distance as info["reward_dist"].
    return -t.info["reward_dist"] < TOLERANCE


def progress(t):
    # 0 at 0.4 m (the arm's span) or beyond, 1 at the target: the multi-objective reward's term.
    return max(0.0, 1.0 - (-t.info["reward_dist"]) / 0.4)


class Dynamics:
    """Scales the model's joint damping and motor gear; absolute (1 = nominal) at every reset."""

    def __init__(self):
        self.nominal = None

    def __call__(self, env, factors):
        model = env.unwrapped.model
        if self.nominal is None:
            self.nominal = (model.dof_damping.copy(), model.actuator_gear.copy())
        damping, gear = self.nominal
        model.dof_damping[:] = damping * factors.get("damping_scale", 1.0)
        model.actuator_gear[:] = gear * factors.get("gear_scale", 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="where ttad connects, e.g. ipc:///tmp/reacher.sock")
    parser.add_argument("--write-config", metavar="PATH", help="write the matching robot-config here first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="serve.py: %(message)s")
    if args.write_config:
        bridge.robot_config(
            make_env(), endpoint=args.endpoint, path=args.write_config,
            tasks={"reach": {}}, dynamics={"damping_scale": (0.5, 2.0), "gear_scale": (0.5, 1.5)},
            safety={"action_rate_limit": 1.0, "joint_velocity_limit": 100},
            description="gymnasium Reacher-v5 served by examples/gymnasium_reacher/serve.py")
        print("serve.py: wrote %s" % args.write_config, file=sys.stderr)
    controller = bridge.GymnasiumController(make_env, success=success, progress=progress, apply_dynamics=Dynamics(),
                                            robot="gym-reacher")
    signal.signal(signal.SIGTERM, lambda *_: controller.shutdown())
    signal.signal(signal.SIGINT, lambda *_: controller.shutdown())
    controller.serve(args.endpoint)


if __name__ == "__main__":
    main()
