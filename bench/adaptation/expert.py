"""A scripted Reacher-v5 expert (inverse kinematics + PD on the joint angles), for behaviour cloning."""
from __future__ import annotations

import numpy as np

L1, L2 = 0.1, 0.11  # Reacher-v5's link lengths (reacher.xml: body1 at 0.1, fingertip at 0.11)


def wrap(a: np.ndarray) -> np.ndarray:
    """Angles into (-pi, pi]."""
    return (a + np.pi) % (2 * np.pi) - np.pi


def reacher_expert(obs: np.ndarray, kp: float = 3.0, kd: float = 0.15) -> np.ndarray:
    """Torques in [-1, 1] driving the joints to the inverse-kinematics solution nearest the current pose."""
    q = np.arctan2(obs[2:4], obs[0:2])
    qvel = obs[6:8]
    tx, ty = obs[4], obs[5]
    d2 = min(tx * tx + ty * ty, (L1 + L2) ** 2 * 0.999)
    c = np.clip((d2 - L1 * L1 - L2 * L2) / (2 * L1 * L2), -1.0, 1.0)
    best = None
    for q1 in (np.arccos(c), -np.arccos(c)):
        q0 = np.arctan2(ty, tx) - np.arctan2(L2 * np.sin(q1), L1 + L2 * np.cos(q1))
        err = wrap(np.array([q0, q1]) - q)
        if best is None or np.abs(err).sum() < np.abs(best).sum():
            best = err
    assert best is not None
    return np.clip(kp * best - kd * qvel, -1.0, 1.0)
