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
    /// `efficiency` or `binary`.
    public var rewardMode: String
    /// Whether an update may follow the attempts.
    public var adapt: Bool
    public var priority: Int
    public var seed: UInt64

    public init(id: String, robot: String, task: String, params: [String: Double], dynamics: [String: Double],
                attempts: Int, temperatureBase: Double, temperatureRange: Double, rewardMode: String,
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
    public var rewardMode: String
    public var adapt: Bool

    /// The `adaptation:` section's defaults (`AdaptationSettings`), where each is written once.
    public init() { self = AdaptationSettings().taskDefaults }

    public init(attempts: Int, temperatureBase: Double, temperatureRange: Double, rewardMode: String, adapt: Bool) {
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.rewardMode = rewardMode; self.adapt = adapt
    }
}
