import Foundation

/// A scripted demonstrator for reacher2 (docs/experiment.md): Jacobian-transpose control of the
/// fingertip toward the target with joint damping. It reads reacher2's observation layout
/// [cos q (2), sin q (2), q' (2), target xy (2), fingertip - target xy (2)] and link lengths.
public struct ReacherDemonstrator: Demonstrator {
    /// Proportional gain on the fingertip error (m), and damping on joint velocity (rad/s).
    public var kp: Float = 60
    public var kd: Float = 0.08
    public let l1: Float = 0.1, l2: Float = 0.11

    /// The demonstrator with its default gains.
    public init() {}

    public func action(_ o: [Float]) -> [Float] {
        let (c1, c2, s1, s2) = (o[0], o[1], o[2], o[3])
        let c12 = c1 * c2 - s1 * s2, s12 = s1 * c2 + c1 * s2
        let ex = -o[8], ey = -o[9]  // target - fingertip
        // J^T e for the planar 2-link arm.
        let t1 = (-l1 * s1 - l2 * s12) * ex + (l1 * c1 + l2 * c12) * ey
        let t2 = (-l2 * s12) * ex + (l2 * c12) * ey
        return [kp * t1 - kd * o[4], kp * t2 - kd * o[5]].map { max(-1, min(1, $0)) }
    }
}
