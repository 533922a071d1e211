/// The safety envelope of one robot (the `safety:` section). See docs/safety.md.
public struct SafetyConfig: Sendable, Equatable {
    /// Largest change of each action component from one step to the next (clamped, not aborted); nil: no rate limit.
    public var actionRateLimit: [Float]?
    /// Allowed position range per joint name (radians or metres); leaving it aborts the attempt.
    public var jointPositionLimits: [String: ClosedRange<Double>]
    /// Largest allowed |velocity| for every robot joint (nil: none); per-joint entries override it.
    public var jointVelocityLimit: Double?
    /// Per-joint velocity limits, overriding `jointVelocityLimit`.
    public var jointVelocityLimits: [String: Double]
    /// The box the end effector must stay in.
    public var workspace: Workspace?

    /// An axis-aligned box in world coordinates for one point of the robot.
    public struct Workspace: Sendable, Equatable {
        /// The end-effector point (MuJoCo backends; a bridged controller reports its own end effector).
        public var point: PointRef?
        public var low: SIMD3<Double>
        public var high: SIMD3<Double>

        public init(point: PointRef?, low: SIMD3<Double>, high: SIMD3<Double>) {
            self.point = point
            self.low = low
            self.high = high
        }
    }

    public init(
        actionRateLimit: [Float]? = nil, jointPositionLimits: [String: ClosedRange<Double>] = [:],
        jointVelocityLimit: Double? = nil, jointVelocityLimits: [String: Double] = [:], workspace: Workspace? = nil
    ) {
        self.actionRateLimit = actionRateLimit
        self.jointPositionLimits = jointPositionLimits
        self.jointVelocityLimit = jointVelocityLimit
        self.jointVelocityLimits = jointVelocityLimits
        self.workspace = workspace
    }

    /// The velocity limit for `joint`, if any.
    public func velocityLimit(for joint: String) -> Double? { jointVelocityLimits[joint] ?? jointVelocityLimit }

    static func parse(_ node: ConfigNode, actionSize: Int, mujoco: Bool) throws(RobotConfigError) -> SafetyConfig {
        try node.onlyKeys(["action_rate_limit", "joint_position_limits", "joint_velocity_limit", "joint_velocity_limits", "workspace"])
        var config = SafetyConfig()
        if let rate = try node.optional("action_rate_limit") {
            let values = try rate.doublesOrScalar(count: actionSize)
            guard values.allSatisfy({ $0 > 0 }) else { throw rate.error("expected positive numbers") }
            config.actionRateLimit = values.map(Float.init)
        }
        if let limits = try node.optional("joint_position_limits") {
            for (joint, value) in try limits.entries() { config.jointPositionLimits[joint] = try value.range() }
        }
        if let v = try node.optional("joint_velocity_limit") { config.jointVelocityLimit = try v.positiveDouble() }
        if let limits = try node.optional("joint_velocity_limits") {
            for (joint, value) in try limits.entries() { config.jointVelocityLimits[joint] = try value.positiveDouble() }
        }
        if let w = try node.optional("workspace") {
            try w.onlyKeys(["point", "low", "high"])
            let low = try w.required("low").doubles(count: 3), high = try w.required("high").doubles(count: 3)
            guard (0..<3).allSatisfy({ low[$0] < high[$0] }) else { throw w.error("expected low < high on every axis") }
            let point = try w.optional("point")?.point()
            if mujoco && point == nil {
                throw RobotConfigError(file: w.file, keyPath: w.path + ".point", message: "missing; name the end effector, e.g. site:fingertip")
            }
            config.workspace = Workspace(point: point, low: SIMD3(low[0], low[1], low[2]), high: SIMD3(high[0], high[1], high[2]))
        }
        return config
    }
}
