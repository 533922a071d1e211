/// Where non-finite numbers are caught: every observation, state and progress value a robot hands
/// to ttad passes through one of these checks before the policy, the reward or an update sees it.
public enum NonFinite {
    /// Names the first NaN or infinity in `values` as `"<name>[<index>] is nan"` (or `inf`, `-inf`);
    /// nil when every value is finite.
    public static func describe<T: BinaryFloatingPoint>(_ values: [T], name: String) -> String? {
        for (i, value) in values.enumerated() where !value.isFinite {
            return "\(name)[\(i)] is \(value)"
        }
        return nil
    }

    /// `"<name> is nan"` (or `inf`, `-inf`) when `value` is not finite; nil otherwise.
    public static func describe<T: BinaryFloatingPoint>(_ value: T?, name: String) -> String? {
        guard let value, !value.isFinite else { return nil }
        return "\(name) is \(value)"
    }

    /// The first non-finite component of a safety state, named by what it measures
    /// (`"state[3] (joint elbow velocity) is nan"`).
    public static func describe(_ state: SafetyState, joints: [String]) -> String? {
        let name = { (i: Int) in i < joints.count ? joints[i] : "#\(i)" }
        for (i, q) in state.jointPositions.enumerated() where !q.isFinite {
            return "state[\(i)] (joint \(name(i)) position) is \(q)"
        }
        let n = state.jointPositions.count
        for (i, v) in state.jointVelocities.enumerated() where !v.isFinite {
            return "state[\(n + i)] (joint \(name(i)) velocity) is \(v)"
        }
        if let p = state.endEffector {
            for axis in 0..<3 where !p[axis].isFinite {
                return "state[\(2 * n + axis)] (end effector \(["x", "y", "z"][axis])) is \(p[axis])"
            }
        }
        return nil
    }
}
