/// What the metrics endpoint starts its counters and gauges from, counted over the whole history,
/// so that `ttad_*_total` counters survive a restart (docs/metrics.md).
public struct HistoryCounts: Sendable, Equatable {
    /// Finished tasks by kind (`training`, `evaluation`) and final state (`done`, `failed`, ...).
    public var tasks: [TaskKey: Int] = [:]
    /// Attempts by outcome: `success`, `failure`, `safety_abort`, `hardware_fault`, `estop`, `cancelled`.
    public var attempts: [String: Int] = [:]
    /// Updates that ran and were kept, or refused.
    public var updatesAccepted = 0
    public var updatesRefused = 0
    /// Training tasks that started and ended without an update row: the update was skipped
    /// (no reward variance, paused, rolled back, cancelled).
    public var updatesSkipped = 0
    /// Checkpoint events by kind (`promoted`, `rollback`, `candidate`, `skipped`, `imported`).
    public var checkpointEvents: [String: Int] = [:]
    /// The latest update that ran: its approx-KL and clip fraction.
    public var lastUpdate: (approxKL: Double, clipFraction: Double)?
    /// The latest finished training tasks with a result, newest first, at most `recentLimit`.
    public var recentTasks: [RecentTask] = []

    /// A task's kind and final state.
    public struct TaskKey: Hashable, Sendable {
        public var kind: String
        public var state: String
        public init(kind: String, state: String) { self.kind = kind; self.state = state }
    }

    /// One finished training task's result.
    public struct RecentTask: Sendable, Equatable {
        public var robot: String
        public var task: String
        public var successRate: Double
        public var meanReward: Double
        public init(robot: String, task: String, successRate: Double, meanReward: Double) {
            self.robot = robot; self.task = task; self.successRate = successRate; self.meanReward = meanReward
        }
    }

    public init() {}

    public static func == (a: HistoryCounts, b: HistoryCounts) -> Bool {
        a.tasks == b.tasks && a.attempts == b.attempts && a.updatesAccepted == b.updatesAccepted
            && a.updatesRefused == b.updatesRefused && a.updatesSkipped == b.updatesSkipped
            && a.checkpointEvents == b.checkpointEvents && a.lastUpdate?.approxKL == b.lastUpdate?.approxKL
            && a.lastUpdate?.clipFraction == b.lastUpdate?.clipFraction && a.recentTasks == b.recentTasks
    }

    /// The outcome label of an attempt row: what ended it, from `success` and `abort_reason`.
    public static func outcome(success: Bool, abortReason: String?) -> String {
        if success { return "success" }
        guard let reason = abortReason else { return "failure" }
        for prefix in ["safety_abort", "hardware_fault", "estop", "cancelled"] where reason.hasPrefix(prefix) { return prefix }
        return "failure"
    }
}
