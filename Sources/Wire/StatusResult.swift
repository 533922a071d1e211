/// `status`'s result: what `ttactl status` shows.
public struct StatusResult: Codable, Sendable, Equatable {
    /// `ok`, `degraded` (repeated robot faults: adaptation paused), or `estopped`.
    public var health: String
    /// Why health is not `ok`, for people.
    public var healthReason: String?
    /// The daemon's version.
    public var version: String
    public var pid: Int32
    /// Seconds since the daemon started.
    public var uptimeSeconds: Double
    /// The default robot's name and backend (`mujoco` or `bridge`).
    public var robot: String
    public var backend: String
    /// The robots this daemon can run.
    public var robots: [String]
    /// The checkpoint the policy runs now, and the last good one.
    public var checkpoint: String?
    public var lastGoodCheckpoint: String?
    /// Whether updates are being made (`false` after `pause` or a fault).
    public var adapting: Bool
    /// The task running now, if any.
    public var runningTask: String?
    /// Tasks waiting, and the queue's capacity.
    public var queued: Int
    public var queueCapacity: Int
    /// Counters since start.
    public var tasksDone: Int
    public var updatesAccepted: Int
    public var updatesRefused: Int
    public var rollbacks: Int
    /// While a task's update waits for operator labels: the task and the attempts still
    /// unlabelled (absent otherwise).
    public var awaitingLabels: AwaitingLabels?

    /// What an update waits for (`success_judged_by: operator`).
    public struct AwaitingLabels: Codable, Sendable, Equatable {
        public var task: String
        /// Attempt indices still without a label.
        public var missing: [Int]
        /// When the wait ends at the latest (seconds since 1970).
        public var deadline: Double
        public init(task: String, missing: [Int], deadline: Double) { self.task = task; self.missing = missing; self.deadline = deadline }
    }

    public init(health: String, healthReason: String? = nil, version: String, pid: Int32, uptimeSeconds: Double,
                robot: String, backend: String, robots: [String], checkpoint: String?, lastGoodCheckpoint: String?,
                adapting: Bool, runningTask: String?, queued: Int, queueCapacity: Int,
                tasksDone: Int, updatesAccepted: Int, updatesRefused: Int, rollbacks: Int) {
        self.health = health; self.healthReason = healthReason; self.version = version; self.pid = pid
        self.uptimeSeconds = uptimeSeconds; self.robot = robot; self.backend = backend; self.robots = robots
        self.checkpoint = checkpoint; self.lastGoodCheckpoint = lastGoodCheckpoint; self.adapting = adapting
        self.runningTask = runningTask; self.queued = queued; self.queueCapacity = queueCapacity
        self.tasksDone = tasksDone; self.updatesAccepted = updatesAccepted; self.updatesRefused = updatesRefused
        self.rollbacks = rollbacks
    }
}
