/// Counts over the whole history, as `status` reports them.
public struct HistoryTotals: Sendable, Equatable {
    /// Tasks that ran and ended (done, failed, cancelled or interrupted after they started).
    public var tasksDone = 0
    /// Updates accepted, and refused (non-finite, past `hard_kl`).
    public var updatesAccepted = 0
    public var updatesRefused = 0
    /// Rollbacks of every kind: the gate's, a refused update's, a person's, a start-up fallback.
    public var rollbacks = 0

    public init(tasksDone: Int = 0, updatesAccepted: Int = 0, updatesRefused: Int = 0, rollbacks: Int = 0) {
        self.tasksDone = tasksDone; self.updatesAccepted = updatesAccepted
        self.updatesRefused = updatesRefused; self.rollbacks = rollbacks
    }
}
