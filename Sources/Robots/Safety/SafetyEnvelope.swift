/// The safety envelope of one attempt: sits between the policy's action and the robot.
///
/// Every backend's `step` runs `filter` on the action before sending it and `check` on the state
/// after; there is no other path to the robot. Clamping (action limits, rate limit) keeps an
/// attempt going; breaking a state limit (joint position, joint velocity, workspace box) or a
/// non-finite action ends it. See docs/safety.md.
public struct SafetyEnvelope: Sendable {
    /// The joints whose state `check` receives, in order.
    public let joints: [String]
    private let low: [Float], high: [Float]
    private let rateLimit: [Float]?
    /// (index into joints, limits) for each position-limited joint, precomputed so a step does no lookups.
    private let positionLimits: [(index: Int, range: ClosedRange<Double>)]
    private let velocityLimits: [(index: Int, limit: Double)]
    private let workspace: SafetyConfig.Workspace?
    private var previous: [Float]
    /// The smallest normalised distance to any limit seen since `reset` (1: far away, 0: at or past a limit).
    public private(set) var smallestMargin: Double = 1

    /// Binds `config` to a robot whose state lists `joints`; fails if a limited joint is not among them.
    public init(config: SafetyConfig, joints: [String], actionLow: [Float], actionHigh: [Float]) throws {
        self.joints = joints
        low = actionLow
        high = actionHigh
        rateLimit = config.actionRateLimit
        var positions: [(Int, ClosedRange<Double>)] = []
        for (joint, range) in config.jointPositionLimits.sorted(by: { $0.key < $1.key }) {
            guard let index = joints.firstIndex(of: joint) else {
                throw RobotError.modelMismatch("safety.joint_position_limits names joint \"\(joint)\", which is not one of the robot's joints (\(joints.joined(separator: ", ")))")
            }
            positions.append((index, range))
        }
        for joint in config.jointVelocityLimits.keys where !joints.contains(joint) {
            throw RobotError.modelMismatch("safety.joint_velocity_limits names joint \"\(joint)\", which is not one of the robot's joints (\(joints.joined(separator: ", ")))")
        }
        positionLimits = positions
        velocityLimits = joints.enumerated().compactMap { i, name in config.velocityLimit(for: name).map { (i, $0) } }
        workspace = config.workspace
        previous = Array(repeating: 0, count: actionLow.count)
    }

    /// Starts a new attempt: the robot is at rest, so the rate limit counts from a zero action.
    public mutating func reset() {
        for i in previous.indices { previous[i] = 0 }
        smallestMargin = 1
    }

    /// Clamps `action` to the action limits and the per-step rate limit; returns the action to
    /// send, or the violation for an action that cannot be made safe (wrong size, NaN/Inf).
    public mutating func filter(_ action: [Float]) -> Result<[Float], SafetyViolation> {
        guard action.count == low.count else {
            return .failure(SafetyViolation("action has \(action.count) components, expected \(low.count)"))
        }
        var out = action
        for i in out.indices {
            guard out[i].isFinite else { return .failure(SafetyViolation("action[\(i)] is \(out[i])")) }
            var value = min(max(out[i], low[i]), high[i])
            if let rateLimit {
                value = min(max(value, previous[i] - rateLimit[i]), previous[i] + rateLimit[i])
            }
            out[i] = value
        }
        previous = out
        return .success(out)
    }

    /// Takes note of an action a person executed (an intervention over the bridge): ttad cannot
    /// clamp what was already done, so this only says whether `filter` would have changed it
    /// (past an action limit or the rate limit), and makes it the previous action, so the rate
    /// limit after the person hands back counts from what the robot last did. The action must
    /// have `actionSize` finite components (the bridge refuses anything else as garbage).
    public mutating func noteExecuted(_ action: [Float]) -> Bool {
        var wouldClamp = false
        for i in action.indices where i < low.count {
            var value = min(max(action[i], low[i]), high[i])
            if let rateLimit { value = min(max(value, previous[i] - rateLimit[i]), previous[i] + rateLimit[i]) }
            if value != action[i] { wouldClamp = true }
        }
        previous = action
        return wouldClamp
    }

    /// Checks the state after a step (or at reset); returns the first limit broken, if any.
    /// Updates `smallestMargin` either way.
    public mutating func check(_ state: SafetyState) -> SafetyViolation? {
        var margin = smallestMargin
        var violation: SafetyViolation?
        for (index, range) in positionLimits {
            let q = state.jointPositions[index]
            guard q.isFinite, range.contains(q) else {
                violation = violation ?? SafetyViolation("joint \(joints[index]) position \(Self.format(q)) outside [\(range.lowerBound), \(range.upperBound)]")
                margin = 0
                continue
            }
            let half = (range.upperBound - range.lowerBound) / 2
            if half.isFinite && half > 0 { margin = min(margin, min(q - range.lowerBound, range.upperBound - q) / half) }
        }
        for (index, limit) in velocityLimits {
            let v = state.jointVelocities[index]
            guard v.isFinite, abs(v) <= limit else {
                violation = violation ?? SafetyViolation("joint \(joints[index]) velocity \(Self.format(v)) exceeds \(limit)")
                margin = 0
                continue
            }
            margin = min(margin, 1 - abs(v) / limit)
        }
        if let workspace {
            if let p = state.endEffector {
                for axis in 0..<3 {
                    let lo = workspace.low[axis], hi = workspace.high[axis], x = p[axis]
                    guard x.isFinite, x >= lo, x <= hi else {
                        let name = ["x", "y", "z"][axis]
                        violation = violation ?? SafetyViolation("end effector \(name) = \(Self.format(x)) outside workspace [\(lo), \(hi)]")
                        margin = 0
                        continue
                    }
                    margin = min(margin, min(x - lo, hi - x) / ((hi - lo) / 2))
                }
            } else {
                // A workspace is configured but the robot did not say where its end effector is: never assume safe.
                violation = violation ?? SafetyViolation("end effector position unknown, but a workspace box is configured")
                margin = 0
            }
        }
        smallestMargin = max(0, margin)
        return violation
    }

    private static func format(_ x: Double) -> String {
        x.isFinite ? String(Double(Int((x * 1000).rounded())) / 1000) : String(x)
    }
}

/// A broken safety limit, in words (becomes `safety_abort: <reason>`).
public struct SafetyViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
