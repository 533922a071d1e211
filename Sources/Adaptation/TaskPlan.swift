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
    /// The task's seed; for an evaluation, the evaluation set's seed (see `evaluationTaskSeed`).
    public var seed: UInt64
    /// An evaluation: `attempts` is K, attempt k is one greedy (T=0) attempt on evaluation task k
    /// (seed `evaluationTaskSeed(seed, k)`), and nothing is learned or judged from it.
    public var evaluation: Bool
    /// A demonstration (`demo`): `attempts` demonstration attempts, a person driving every step
    /// (bridge protocol 1.2); their episodes are stored as one set, and nothing is learned or
    /// judged from them at this task.
    public var demonstration: Bool

    public init(id: String, robot: String, task: String, params: [String: Double], dynamics: [String: Double],
                attempts: Int, temperatureBase: Double, temperatureRange: Double, rewardMode: RewardMode,
                adapt: Bool, priority: Int, seed: UInt64, evaluation: Bool = false, demonstration: Bool = false) {
        self.evaluation = evaluation
        self.demonstration = demonstration
        self.id = id; self.robot = robot; self.task = task; self.params = params; self.dynamics = dynamics
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.rewardMode = rewardMode; self.adapt = adapt; self.priority = priority; self.seed = seed
    }
}

extension TaskPlan {
    /// The seed of evaluation task `k` of the set `seed`: a SplitMix64 mix of both, with the top
    /// bit set. A submit's random seed never has it set (they are drawn from 0...Int64.max), so an
    /// evaluation task is never a task training drew at random; the same (seed, k), the same task.
    public static func evaluationTaskSeed(_ seed: UInt64, _ k: Int) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(k) &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z | (1 << 63)
    }

    /// The seed each attempt's task runs on: an evaluation's tasks, or a demonstration's episodes
    /// (K demonstrations of one simulated task would be K copies of one episode), each its own
    /// task from (`seed`, k); nil for a training task, whose N attempts all face `seed`.
    var attemptSeeds: [UInt64]? {
        evaluation || demonstration ? (0..<attempts).map { Self.evaluationTaskSeed(seed, $0) } : nil
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
