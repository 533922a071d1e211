"""Scripted experts for behaviour cloning: Reacher-v5 (inverse kinematics + PD), ttad-lab's
reacher2 and pusher demonstrators (ported from Sources/ttad-lab/), and a PointMaze waypoint controller."""
from __future__ import annotations

import math

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


def reacher2_expert(o: np.ndarray, kp: float = 60.0, kd: float = 0.08) -> np.ndarray:
    """ttad-lab's ReacherDemonstrator (Sources/ttad-lab/ReacherDemonstrator.swift), ported:
    Jacobian-transpose control of the fingertip toward the target with joint damping, on
    reacher2's observation [cos q (2), sin q (2), q' (2), target xy (2), fingertip - target xy (2)]."""
    c1, c2, s1, s2 = o[0], o[1], o[2], o[3]
    c12, s12 = c1 * c2 - s1 * s2, s1 * c2 + c1 * s2
    ex, ey = -o[8], -o[9]
    t1 = (-L1 * s1 - L2 * s12) * ex + (L1 * c1 + L2 * c12) * ey
    t2 = (-L2 * s12) * ex + (L2 * c12) * ey
    return np.clip(np.array([kp * t1 - kd * o[4], kp * t2 - kd * o[5]]), -1.0, 1.0)


class PusherExpert:
    """ttad-lab's PusherDemonstrator (Sources/ttad-lab/PusherDemonstrator.swift), ported with the
    same constants: damped-least-squares control of the fingertip toward a waypoint behind the
    block on the block-goal line, and a fold-and-swing for goals that need the elbow up. Reads
    pusher's observation [cos q (2), sin q (2), q' (2), fingertip xy, block xy, goal xy]."""

    kp, kd, lam, max_error = 5.0, 0.1, 0.03, 0.07
    approach, clearance, lead, steer = 0.065, 0.065, 0.05, 1.5
    fold, swing_from, swing_to, swing_gain = 2.3, 0.6, 2.0, 3.0
    l1 = l2 = 0.15

    def __call__(self, o: np.ndarray) -> np.ndarray:
        c1, c2, s1, s2 = (float(x) for x in o[0:4])
        c12, s12 = c1 * c2 - s1 * s2, s1 * c2 + c1 * s2
        fx, fy, bx, by, gx, gy = (float(x) for x in o[6:12])
        tx, ty = self.waypoint((fx, fy), (bx, by), (gx, gy))
        ex, ey = tx - fx, ty - fy
        norm = math.hypot(ex, ey)
        if norm > self.max_error:
            ex, ey = ex * self.max_error / norm, ey * self.max_error / norm
        l1, l2, lam = self.l1, self.l2, self.lam
        j11, j12, j21, j22 = -l1 * s1 - l2 * s12, -l2 * s12, l1 * c1 + l2 * c12, l2 * c12
        m11, m12, m22 = j11 * j11 + j12 * j12 + lam * lam, j11 * j21 + j12 * j22, j21 * j21 + j22 * j22 + lam * lam
        det = m11 * m22 - m12 * m12
        wx, wy = (m22 * ex - m12 * ey) / det, (m11 * ey - m12 * ex) / det
        t1, t2 = j11 * wx + j21 * wy, j12 * wx + j22 * wy
        a = [self.kp * t1 - self.kd * float(o[4]), self.kp * t2 - self.kd * float(o[5])]
        q1, q2 = math.atan2(s1, c1), math.atan2(s2, c2)
        prefer = self.elbow_side((bx, by), (gx, gy))
        past = math.remainder(q1 - math.atan2(by, bx), 2 * math.pi)
        if prefer < 0 and (past < self.swing_from or past > self.swing_to):
            a[1] = self.swing_gain * (-self.fold - q2) - self.kd * float(o[5])
            a[0] = -1.0
        elif c2 > 0.9 and s2 * prefer < 0.3:
            a[1] = 3 * (prefer * 0.5 - q2) - self.kd * float(o[5])
        return np.clip(np.array(a), -1.0, 1.0)

    @staticmethod
    def elbow_side(b: tuple[float, float], g: tuple[float, float]) -> float:
        """+1 elbow down (goal counter-clockwise of the block from the shoulder), -1 elbow up."""
        return 1.0 if (-b[1] * (g[0] - b[0]) + b[0] * (g[1] - b[1])) >= 0 else -1.0

    def waypoint(self, f: tuple[float, float], b: tuple[float, float], g: tuple[float, float]) -> tuple[float, float]:
        """The fingertip's waypoint for this observation (the Swift's, line for line)."""
        ux, uy = g[0] - b[0], g[1] - b[1]
        distance = max(math.hypot(ux, uy), 1e-6)
        ux, uy = ux / distance, uy / distance
        nx, ny = -uy, ux
        rx, ry = f[0] - b[0], f[1] - b[1]
        along, lateral = rx * ux + ry * uy, rx * nx + ry * ny
        side = 1.0 if lateral >= 0 else -1.0

        def point(a: float, lat: float) -> tuple[float, float]:
            return (b[0] + a * ux + lat * nx, b[1] + a * uy + lat * ny)

        if along < -0.02 and abs(lateral) < 0.012 + 0.2 * max(0.0, -along - 0.035):
            return point(min(self.lead, distance), -self.steer * lateral)
        if along < -0.02 and abs(lateral) < 0.03:
            return point(-self.approach, 0.0)
        if along > -self.approach + 0.015:
            return (point(max(along, -self.approach), side * self.clearance) if abs(lateral) < self.clearance - 0.01
                    else point(-self.approach - 0.02, side * self.clearance))
        return point(-self.approach, 0.0)


pusher_expert = PusherExpert()


class MazeExpert:
    """A waypoint controller through a gymnasium-robotics PointMaze: breadth-first search over the
    maze's free cells from the ball's cell to the goal's, then PD on the ball toward the farthest
    point of that path (cell centres, then the goal) in a straight line of sight. Reads the
    flattened observation [achieved_goal (2), desired_goal (2), observation: x, y, vx, vy] (the
    Dict's keys in gymnasium's sorted order, as ``ttad.bridge`` flattens it)."""

    def __init__(self, maze_map: list[list[int]], scaling: float = 1.0, kp: float = 10.0, kd: float = 1.0) -> None:
        self.map = np.asarray(maze_map)
        self.scaling = scaling
        self.kp, self.kd = kp, kd
        rows, cols = self.map.shape
        self.x_centre, self.y_centre = cols / 2 * scaling, rows / 2 * scaling

    def cell(self, xy: np.ndarray) -> tuple[int, int]:
        """The (row, column) holding the point ``xy`` (the maze's own convention)."""
        return (int(math.floor((self.y_centre - xy[1]) / self.scaling)),
                int(math.floor((xy[0] + self.x_centre) / self.scaling)))

    def centre(self, rc: tuple[int, int]) -> np.ndarray:
        """The xy centre of cell (row, column)."""
        return np.array([(rc[1] + 0.5) * self.scaling - self.x_centre, self.y_centre - (rc[0] + 0.5) * self.scaling])

    def path(self, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]]:
        """The shortest path of free cells from ``start`` to ``goal`` (both included)."""
        previous: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
        queue = [start]
        for c in queue:
            if c == goal:
                break
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                n = (c[0] + dr, c[1] + dc)
                if 0 <= n[0] < self.map.shape[0] and 0 <= n[1] < self.map.shape[1] and self.map[n] != 1 \
                        and n not in previous:
                    previous[n] = c
                    queue.append(n)
        if goal not in previous:
            return [start]
        out = [goal]
        while previous[out[-1]] is not None:
            out.append(previous[out[-1]])  # type: ignore[arg-type]
        return out[::-1]

    def clear(self, a: np.ndarray, b: np.ndarray, margin: float = 0.15) -> bool:
        """Whether the ball (kept ``margin`` off the walls) can go straight from ``a`` to ``b``."""
        d = b - a
        length = float(np.linalg.norm(d))
        n = np.array([-d[1], d[0]]) / max(length, 1e-9)
        for k in range(int(length / 0.05) + 2):
            p = a + d * min(1.0, k * 0.05 / max(length, 1e-9))
            for off in (-margin, 0.0, margin):
                r, c = self.cell(p + off * n)
                if not (0 <= r < self.map.shape[0] and 0 <= c < self.map.shape[1]) or self.map[r, c] == 1:
                    return False
        return True

    def waypoint(self, o: np.ndarray) -> np.ndarray:
        """The ball's next waypoint: the farthest point along the shortest path of cells (their
        centres, then the goal) that the ball can reach in a straight line."""
        pos, goal = np.asarray(o[4:6], dtype=np.float64), np.asarray(o[2:4], dtype=np.float64)
        path = self.path(self.cell(pos), self.cell(goal))
        points = [self.centre(c) for c in path[1:-1]] + [goal]
        for p in reversed(points):
            if self.clear(pos, p):
                return p
        return points[0]

    def geodesic(self, pos: np.ndarray, goal: np.ndarray) -> float:
        """Length of the path ball -> cell centres on the way -> goal (the distance through the maze)."""
        path = self.path(self.cell(pos), self.cell(goal))
        points = [np.asarray(pos, dtype=np.float64)] + [self.centre(c) for c in path[1:-1]] + [np.asarray(goal, dtype=np.float64)]
        return float(sum(np.linalg.norm(b - a) for a, b in zip(points[:-1], points[1:])))

    def __call__(self, o: np.ndarray) -> np.ndarray:
        return np.clip(self.kp * (self.waypoint(o) - o[4:6]) - self.kd * o[6:8], -1.0, 1.0)
