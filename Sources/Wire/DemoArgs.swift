/// Arguments of `demo`: record demonstrations of one task family on a robot whose bridge
/// controller has a person (protocol 1.2). Queued like `evaluate`: a task of kind
/// `demonstration` whose `count` attempts a person drives; no update, no gate record; the whole
/// episodes are stored as one set (`demos` lists it).
public struct DemoArgs: Codable, Sendable, Equatable {
    /// The robot (a robot-config name); default: the daemon's default robot.
    public var robot: String?
    /// The task family, as the robot-config names it (e.g. `reach`).
    public var task: String
    /// Demonstration attempts (1...100, default 1).
    public var count: Int?
    /// Task parameters, as for `submit`.
    public var params: [String: Double]?
    /// Dynamics factors, as for `submit`.
    public var dynamics: [String: Double]?
    /// The task's seed, as for `submit` (default: random).
    public var seed: UInt64?
    /// 0 (lowest) to 9 (highest), as for `submit`.
    public var priority: Int?

    public init(robot: String? = nil, task: String, count: Int? = nil, params: [String: Double]? = nil,
                dynamics: [String: Double]? = nil, seed: UInt64? = nil, priority: Int? = nil) {
        self.robot = robot; self.task = task; self.count = count; self.params = params; self.dynamics = dynamics
        self.seed = seed; self.priority = priority
    }

    /// Ranges every daemon enforces regardless of robot. Throws naming the first bad field.
    public func validate() throws(WireError) {
        if let count, !(1...100).contains(count) {
            throw WireError(.invalidField, field: "args.count", "must be between 1 and 100, got \(count)")
        }
        try SubmitArgs(robot: robot, task: task, params: params, dynamics: dynamics, priority: priority).validate()
    }
}
