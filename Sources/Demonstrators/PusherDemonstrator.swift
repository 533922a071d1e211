import Foundation

/// A scripted demonstrator for pusher (robot-configs/pusher.yaml): resolved-rate control of the
/// fingertip toward a waypoint (damped least squares, with joint damping; the reacher's plain
/// Jacobian transpose barely moves this longer, nearly straight arm inward). It reads pusher's
/// observation layout [cos q (2), sin q (2), q' (2), fingertip xy (2), block xy (2), goal xy (2)].
///
/// The arm lies in the block's plane, so its links push the block too. Goals the block must be
/// pushed toward from beyond its bearing (seen from the shoulder) need the elbow up and the
/// shoulder past the block, which the upper arm cannot sweep through without knocking the block
/// away: for those the arm folds and turns the long way round first.
///
/// The waypoint depends only on the observation (behaviour cloning needs a function of it):
/// in the frame of u = unit(goal - block) and its normal n, the fingertip first goes to an
/// approach point a little behind the block, stepping around it if it is on the goal's side
/// (pushing it the wrong way otherwise), then pushes through along u, steering sideways to keep
/// the contact on the block-goal line (an off-centre push turns the block away from the goal).
public struct PusherDemonstrator: Demonstrator {
    /// Gain on the joint step toward the waypoint (rad), and damping on joint velocity (rad/s).
    public var kp: Float = 5
    public var kd: Float = 0.1
    /// Damping of the least-squares inverse (m): keeps the joint step bounded near the
    /// straight-arm singularity.
    public var lambda: Float = 0.03
    /// The error is clipped to this length (m): far waypoints pull at a bounded force, so the
    /// fingertip moves at a bounded speed and arrives without a large overshoot.
    public var maxError: Float = 0.07
    /// How far behind the block's centre the approach point lies (m); contact is at 0.035
    /// (half the block's 0.04 m side plus the fingertip's 0.015 m radius).
    public var approach: Float = 0.065
    /// Sideways clearance (m) from the block's centre when stepping around it.
    public var clearance: Float = 0.065
    /// Lead of the push waypoint past the block's centre (m), at most the distance left to the goal.
    public var lead: Float = 0.05
    /// Gain of the sideways correction while pushing (per metre of lateral offset).
    public var steer: Float = 1.5
    /// Over the top: the elbow angle to fold to (rad, the model's limit is 2.6), the window of
    /// shoulder angles past the block's bearing (rad) where the swing hands over to the
    /// waypoint control, and the joint gain of the fold.
    public var fold: Float = 2.3
    public var swingFrom: Float = 0.6
    public var swingTo: Float = 2.0
    public var swingGain: Float = 3
    public let l1: Float = 0.15, l2: Float = 0.15

    /// The demonstrator with its default gains.
    public init() {}

    public func action(_ o: [Float]) -> [Float] {
        let (c1, c2, s1, s2) = (o[0], o[1], o[2], o[3])
        let c12 = c1 * c2 - s1 * s2, s12 = s1 * c2 + c1 * s2
        let (fx, fy, bx, by, gx, gy) = (o[6], o[7], o[8], o[9], o[10], o[11])
        let target = waypoint(fingertip: (fx, fy), block: (bx, by), goal: (gx, gy))
        var ex = target.0 - fx, ey = target.1 - fy
        let norm = (ex * ex + ey * ey).squareRoot()
        if norm > maxError { ex *= maxError / norm; ey *= maxError / norm }
        // Joint step toward the waypoint by damped least squares, dq = J^T (J J^T + lambda^2)^-1 e:
        // J^T alone barely moves a nearly straight arm radially.
        let j11 = -l1 * s1 - l2 * s12, j12 = -l2 * s12, j21 = l1 * c1 + l2 * c12, j22 = l2 * c12
        let m11 = j11 * j11 + j12 * j12 + lambda * lambda, m12 = j11 * j21 + j12 * j22
        let m22 = j21 * j21 + j22 * j22 + lambda * lambda
        let det = m11 * m22 - m12 * m12
        let wx = (m22 * ex - m12 * ey) / det, wy = (m11 * ey - m12 * ex) / det
        let t1 = j11 * wx + j21 * wy, t2 = j12 * wx + j22 * wy
        var a = [kp * t1 - kd * o[4], kp * t2 - kd * o[5]]
        let q1 = atan2(s1, c1), q2 = atan2(s2, c2)
        let prefer = elbowSide(block: (bx, by), goal: (gx, gy))
        // Over the top: with the elbow up the shoulder must end up past the block's bearing, but
        // its upper arm (0.15 m, as far out as the block) cannot sweep past the block without
        // knocking it. So fold the arm and turn the shoulder the long way round (clockwise)
        // until it is well past the bearing on the other side.
        let past = remainder(q1 - atan2(by, bx), 2 * Float.pi)
        if prefer < 0 && (past < swingFrom || past > swingTo) {
            a[1] = swingGain * (-fold - q2) - kd * o[5]
            a[0] = -1
        } else if c2 > 0.9 && s2 * prefer < 0.3 {
            // The arm starts straight, where the fingertip cannot be pulled inward and the
            // elbow may bend either way: bend it to the side chosen.
            a[1] = 3 * (prefer * 0.5 - q2) - kd * o[5]
        }
        return a.map { max(-1, min(1, $0)) }
    }

    /// The sign of the elbow angle that keeps the forearm behind the push: q2 > 0 puts the elbow
    /// clockwise of the fingertip's direction, which is behind it when the goal lies
    /// counter-clockwise of the block as seen from the shoulder; q2 < 0 (elbow up) pushes from
    /// the far side of the block's bearing.
    public func elbowSide(block b: (Float, Float), goal g: (Float, Float)) -> Float {
        (-b.1 * (g.0 - b.0) + b.0 * (g.1 - b.1)) >= 0 ? 1 : -1
    }

    /// The fingertip's waypoint for this observation.
    public func waypoint(fingertip f: (Float, Float), block b: (Float, Float), goal g: (Float, Float)) -> (Float, Float) {
        var ux = g.0 - b.0, uy = g.1 - b.1
        let distance = max((ux * ux + uy * uy).squareRoot(), 1e-6)
        ux /= distance; uy /= distance
        let nx = -uy, ny = ux
        // The fingertip in the block-goal frame.
        let rx = f.0 - b.0, ry = f.1 - b.1
        let along = rx * ux + ry * uy, lateral = rx * nx + ry * ny
        let side: Float = lateral >= 0 ? 1 : -1
        func point(_ a: Float, _ l: Float) -> (Float, Float) { (b.0 + a * ux + l * nx, b.1 + a * uy + l * ny) }

        // Behind the block and on its line: push through toward the goal.
        if along < -0.02 && abs(lateral) < 0.012 + 0.2 * max(0, -along - 0.035) {
            return point(min(lead, distance), -steer * lateral)
        }
        // Behind it but off the line: back off to the approach point and line up again.
        if along < -0.02 && abs(lateral) < 0.03 { return point(-approach, 0) }
        // Not yet behind it: step out sideways, then go back along its side (straight to the
        // approach point would clip a corner and push the block sideways).
        if along > -approach + 0.015 {
            return abs(lateral) < clearance - 0.01 ? point(max(along, -approach), side * clearance)
                                                   : point(-approach - 0.02, side * clearance)
        }
        return point(-approach, 0)
    }
}
