/// Arguments of `evaluate`: K evaluation tasks of one task family, each run as one greedy (T=0)
/// attempt on the live checkpoint, with no update.
///
/// The K tasks' seeds come from (`seed`, k) only (the daemon's `TaskPlan.evaluationTaskSeed`), so every evaluation
/// with the same seed runs the same tasks: one before and one after adaptation compare like with like.
public struct EvaluateArgs: Codable, Sendable, Equatable {
    /// The robot (a robot-config name); default: the daemon's default robot.
    public var robot: String?
    /// The task family, as the robot-config names it (e.g. `reach`).
    public var task: String
    /// Task parameters, as for `submit`.
    public var params: [String: Double]?
    /// Dynamics factors, as for `submit`.
    public var dynamics: [String: Double]?
    /// K, the number of evaluation tasks (1...500, default 20).
    public var tasks: Int?
    /// The evaluation set's seed (default 0): the same seed, the same K tasks.
    public var seed: UInt64?
    /// 0 (lowest) to 9 (highest), as for `submit`.
    public var priority: Int?

    /// K when `tasks` is left out.
    public static let defaultTasks = 20

    public init(robot: String? = nil, task: String, params: [String: Double]? = nil, dynamics: [String: Double]? = nil,
                tasks: Int? = nil, seed: UInt64? = nil, priority: Int? = nil) {
        self.robot = robot; self.task = task; self.params = params; self.dynamics = dynamics
        self.tasks = tasks; self.seed = seed; self.priority = priority
    }

    /// Ranges every daemon enforces regardless of robot. Throws naming the first bad field.
    public func validate() throws(WireError) {
        if let tasks, !(1...500).contains(tasks) {
            throw WireError(.invalidField, field: "args.tasks", "must be between 1 and 500, got \(tasks)")
        }
        // The fields it shares with submit obey submit's rules (and name the same fields).
        try SubmitArgs(robot: robot, task: task, params: params, dynamics: dynamics, priority: priority).validate()
    }

}
