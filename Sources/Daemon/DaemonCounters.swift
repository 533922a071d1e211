import Adaptation
import Synchronization

/// What `status` reports that changes while the daemon runs.
final class DaemonCounters: Sendable {
    struct Snapshot {
        var tasksDone = 0
        var updatesAccepted = 0
        var updatesRefused = 0
        var rollbacks = 0
        var running: (plan: TaskPlan, cancellation: Cancellation)?
    }
    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }
    func taskDone() { state.withLock { $0.tasksDone += 1 } }
    func update(accepted: Bool) { state.withLock { if accepted { $0.updatesAccepted += 1 } else { $0.updatesRefused += 1 } } }
    func rollback() { state.withLock { $0.rollbacks += 1 } }
    func setRunning(_ running: (TaskPlan, Cancellation)?) { state.withLock { $0.running = running } }
}
