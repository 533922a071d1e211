import Adaptation
import History
import Synchronization

/// What `status` reports that changes while the daemon runs: the task running now (with the
/// handle that cancels it) and the totals, which start from the history so they survive restarts.
final class DaemonActivity: Sendable {
    struct Snapshot {
        var totals = HistoryTotals()
        var running: (plan: TaskPlan, cancellation: Cancellation)?
    }
    private let state: Mutex<Snapshot>

    /// Starts from `totals` (the history's, read once at start-up).
    init(totals: HistoryTotals = HistoryTotals()) {
        state = Mutex(Snapshot(totals: totals))
    }

    var snapshot: Snapshot { state.withLock { $0 } }
    func taskDone() { state.withLock { $0.totals.tasksDone += 1 } }
    func update(accepted: Bool) { state.withLock { if accepted { $0.totals.updatesAccepted += 1 } else { $0.totals.updatesRefused += 1 } } }
    func rollback() { state.withLock { $0.totals.rollbacks += 1 } }
    func setRunning(_ running: (TaskPlan, Cancellation)?) { state.withLock { $0.running = running } }
}
