/// `demos`'s result: the stored sets, oldest first, and the files that failed their checks
/// (never trained on).
public struct DemonstrationsResult: Codable, Sendable, Equatable {
    public var sets: [DemonstrationEntry]
    public var damaged: [DamagedDemonstration]

    public init(sets: [DemonstrationEntry], damaged: [DamagedDemonstration]) {
        self.sets = sets; self.damaged = damaged
    }
}

/// One stored demonstration set (also `add_demonstrations`' result).
public struct DemonstrationEntry: Codable, Sendable, Equatable {
    public var id: String
    public var robot: String
    public var task: String
    public var episodes: Int
    public var steps: Int
    /// Episodes that reached the success condition (nil: the file did not say).
    public var successes: Int?
    /// `operator` (recorded with `demo`) or the file name it was added from.
    public var source: String
    /// Unix seconds.
    public var createdAt: Double

    public init(id: String, robot: String, task: String, episodes: Int, steps: Int, successes: Int?, source: String, createdAt: Double) {
        self.id = id; self.robot = robot; self.task = task; self.episodes = episodes; self.steps = steps
        self.successes = successes; self.source = source; self.createdAt = createdAt
    }
}

/// A stored demonstration file that failed its checks.
public struct DamagedDemonstration: Codable, Sendable, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}
