/// Arguments of `submit`: one task for the robot, run as N attempts at scheduled temperatures.
///
/// Every field but `task` is optional; a missing one takes the robot-config's default.
public struct SubmitArgs: Codable, Sendable, Equatable {
    /// The robot (a robot-config name); default: the daemon's default robot.
    public var robot: String?
    /// The task family, as the robot-config names it (e.g. `reach`).
    public var task: String
    /// Task parameters (e.g. `target_x`, `target_y`); unknown names are refused.
    public var params: [String: Double]?
    /// Dynamics factors: the built-in scales of a simulated robot (e.g. `damping_scale`), or the
    /// factors a bridge robot-config declares for its controller; unknown names are refused.
    public var dynamics: [String: Double]?
    /// N, the number of attempts (1...64).
    public var attempts: Int?
    /// Temperature of the first attempt (T_0), >= 0.
    public var temperatureBase: Double?
    /// Spread of temperatures: T_i = base + range * i/(N-1), >= 0.
    public var temperatureRange: Double?
    /// `efficiency` (1/(1+steps/max_steps) on success) or `binary` (1/0).
    public var reward: String?
    /// Whether to make a PPO update from the attempts.
    public var adapt: Bool?
    /// 0 (lowest) to 9 (highest); higher runs first, ties in arrival order.
    public var priority: Int?
    /// Seeds sampling and the task's randomness; default: random.
    public var seed: UInt64?

    public init(robot: String? = nil, task: String, params: [String: Double]? = nil, dynamics: [String: Double]? = nil,
                attempts: Int? = nil, temperatureBase: Double? = nil, temperatureRange: Double? = nil,
                reward: String? = nil, adapt: Bool? = nil, priority: Int? = nil, seed: UInt64? = nil) {
        self.robot = robot; self.task = task; self.params = params; self.dynamics = dynamics
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.reward = reward; self.adapt = adapt; self.priority = priority; self.seed = seed
    }

    /// Ranges every daemon enforces regardless of robot. Throws naming the first bad field.
    public func validate() throws(WireError) {
        func bad(_ field: String, _ message: String) -> WireError { WireError(.invalidField, field: "args.\(field)", message) }
        if task.isEmpty || task.utf8.count > 64 { throw bad("task", "must be 1 to 64 characters") }
        if let robot, robot.isEmpty || robot.utf8.count > 64 { throw bad("robot", "must be 1 to 64 characters") }
        if let attempts, !(1...64).contains(attempts) { throw bad("attempts", "must be between 1 and 64, got \(attempts)") }
        if let t = temperatureBase, !(t.isFinite && t >= 0 && t <= 10) { throw bad("temperature_base", "must be a number in [0, 10], got \(t)") }
        if let r = temperatureRange, !(r.isFinite && r >= 0 && r <= 10) { throw bad("temperature_range", "must be a number in [0, 10], got \(r)") }
        if let reward, !["efficiency", "binary"].contains(reward) { throw bad("reward", "must be \"efficiency\" or \"binary\", got \"\(reward)\"") }
        if let priority, !(0...9).contains(priority) { throw bad("priority", "must be between 0 and 9, got \(priority)") }
        for (name, map) in [("params", params), ("dynamics", dynamics)] {
            guard let map else { continue }
            if map.count > 32 { throw bad(name, "at most 32 entries") }
            for (key, value) in map where !value.isFinite {
                throw bad("\(name).\(key)", "must be a finite number, got \(value)")
            }
        }
    }
}

/// Arguments naming one task (`task`, `cancel`).
public struct TaskRef: Codable, Sendable, Equatable {
    /// The id `submit` returned.
    public var taskId: String
    public init(taskId: String) { self.taskId = taskId }
}

/// Arguments of `history`: every filter is optional.
public struct HistoryQuery: Codable, Sendable, Equatable {
    public var task: String?
    public var robot: String?
    /// Only tasks submitted at or after this time (seconds since 1970).
    public var since: Double?
    /// Only tasks submitted before this time (seconds since 1970).
    public var until: Double?
    /// At most this many, newest first (1...10000, default 100). A reply also stops short of
    /// `HistoryResult.maxReplyBytes`; `next_cursor` then says where to go on.
    public var limit: Int?
    /// Start after this point: a previous reply's `next_cursor` (opaque; absent: the newest).
    public var cursor: String?
    public init(task: String? = nil, robot: String? = nil, since: Double? = nil, until: Double? = nil, limit: Int? = nil,
                cursor: String? = nil) {
        self.task = task; self.robot = robot; self.since = since; self.until = until; self.limit = limit; self.cursor = cursor
    }
}

/// Arguments of `rollback`.
public struct RollbackArgs: Codable, Sendable, Equatable {
    /// The checkpoint to load; default: the last good one.
    public var checkpoint: String?
    /// Why, recorded in the history.
    public var reason: String?
    public init(checkpoint: String? = nil, reason: String? = nil) { self.checkpoint = checkpoint; self.reason = reason }
}
