import Learning

/// One accepted task, with every default filled in: what the adaptation loop runs.
public struct TaskPlan: Sendable, Equatable {
    public var id: String
    public var robot: String
    /// The task family (e.g. `reach`).
    public var task: String
    public var params: [String: Double]
    public var dynamics: [String: Double]
    /// N.
    public var attempts: Int
    public var temperatureBase: Double
    public var temperatureRange: Double
    /// The task reward (`efficiency` or `binary`).
    public var rewardMode: RewardMode
    /// Whether an update may follow the attempts.
    public var adapt: Bool
    public var priority: Int
    public var seed: UInt64

    public init(id: String, robot: String, task: String, params: [String: Double], dynamics: [String: Double],
                attempts: Int, temperatureBase: Double, temperatureRange: Double, rewardMode: RewardMode,
                adapt: Bool, priority: Int, seed: UInt64) {
        self.id = id; self.robot = robot; self.task = task; self.params = params; self.dynamics = dynamics
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.rewardMode = rewardMode; self.adapt = adapt; self.priority = priority; self.seed = seed
    }
}

/// A robot's defaults for what a submit leaves out (the robot-config's `adaptation:` section).
public struct TaskDefaults: Sendable, Equatable {
    public var attempts: Int
    public var temperatureBase: Double
    public var temperatureRange: Double
    public var rewardMode: RewardMode
    public var adapt: Bool

    /// The `adaptation:` section's defaults (`AdaptationSettings`), where each is written once.
    public init() { self = AdaptationSettings().taskDefaults }

    public init(attempts: Int, temperatureBase: Double, temperatureRange: Double, rewardMode: RewardMode, adapt: Bool) {
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.rewardMode = rewardMode; self.adapt = adapt
    }

    /// The reward mode a submit's `field` asks for (parsed here, where the request's text enters
    /// the adaptation loop), or this default when it names none.
    public func rewardMode(_ submitted: String?, field: String) throws -> RewardMode {
        guard let submitted else { return rewardMode }
        do { return try RewardMode(parsing: submitted, field: field) } catch {
            throw AdaptationError(.invalid, field: error.field, error.problem)
        }
    }
}
