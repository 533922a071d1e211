import Adaptation
import Checkpoints
import Foundation
import History
import Logging
import Synchronization

/// What the daemon does when its state directory cannot be written (disk full, I/O error,
/// read-only): marks health `degraded` (`HealthIssues.Cause.storage`), refuses submits, holds the
/// task results the history could not take, and writes them once space returns.
///
/// `noteFailure` may be called from any thread; `hold` and `retry` only from the control loop.
final class StorageGuard: Sendable {
    /// A task's end that the history could not record yet.
    struct PendingFinish: Sendable {
        var taskId: String
        var state: TaskState
        var detail: String
        var at: Double
    }

    private struct State {
        var failure: String?
        var pending: [PendingFinish] = []
        var lastTry: ContinuousClock.Instant?
    }

    /// How much free space counts as "space is back" when no held write proves it.
    static let probeBytes: Int64 = 1 << 20
    /// How often `retry` tries again while storage is failing.
    static let retryInterval: Duration = .seconds(1)

    private let state = Mutex(State())
    private let history: HistoryStore
    private let adaptation: any AdaptationStatusSource
    private let logger: Logger
    private let directory: String

    init(history: HistoryStore, adaptation: any AdaptationStatusSource, logger: Logger, directory: String) {
        self.history = history
        self.adaptation = adaptation
        self.logger = logger
        self.directory = directory
    }

    /// Why writes fail now, or nil when storage is fine.
    var failure: String? { state.withLock { $0.failure } }

    /// Task results waiting for space, oldest first.
    var pending: [PendingFinish] { state.withLock { $0.pending } }

    /// Whether `error` is the file system failing (not a bug); if so, records it as degraded
    /// health, naming `what` could not be written.
    @discardableResult
    func noteFailure(_ error: any Error, writing what: String) -> Bool {
        guard Self.isStorageFailure(error) else { return false }
        record("storage: \(what) could not be written under \(directory) (\(error)); submits are refused until space returns", error: error)
        return true
    }

    /// At start-up: degraded from the first moment when the state directory has no room, rather
    /// than at the first write that fails.
    func checkAtStartup() {
        guard !probe() else { return }
        record("storage: \(directory) has less than \(Self.probeBytes / 1024) KiB free (or cannot be written); "
               + "status and history are served, submits are refused until space returns", error: nil)
    }

    private func record(_ reason: String, error: (any Error)?) {
        let first = state.withLock { s in
            defer { s.failure = reason }
            return s.failure == nil
        }
        adaptation.setHealthIssue(.storage, reason)
        if first { logger.error("\(reason)", metadata: ["event": "storage_failed", "error": "\(error.map { "\($0)" } ?? "no room")"]) }
    }

    static func isStorageFailure(_ error: any Error) -> Bool {
        HistoryStore.isStorageFailure(error) || (error as? CheckpointError)?.isStorageFailure == true
    }

    /// Keeps a task's end to write when space returns.
    func hold(_ finish: PendingFinish) {
        state.withLock { $0.pending.append(finish) }
        logger.warning("task \(finish.taskId) \(finish.state): held until the history can be written", metadata: [
            "event": "task_result_held", "task_id": "\(finish.taskId)", "state": "\(finish.state)",
        ])
    }

    /// While storage is failing, at most once per `retryInterval` (always when `force`): writes the
    /// held results, then, with nothing held, checks that `probeBytes` can be reserved. Clears the
    /// failure when both succeed.
    func retry(force: Bool = false) {
        let now = ContinuousClock.now
        let held: [PendingFinish]? = state.withLock { s in
            guard s.failure != nil || !s.pending.isEmpty else { return nil }
            if !force, let last = s.lastTry, now - last < Self.retryInterval { return nil }
            s.lastTry = now
            return s.pending
        }
        guard let held else { return }
        var written = 0
        for finish in held {
            do {
                try history.finish(taskId: finish.taskId, state: finish.state, detail: finish.detail, candidate: nil,
                                   successRate: nil, meanReward: nil, at: finish.at)
                written += 1
                logger.notice("task \(finish.taskId) \(finish.state): written now that the history takes writes again", metadata: [
                    "event": "task_result_written", "task_id": "\(finish.taskId)", "state": "\(finish.state)",
                ])
            } catch {
                if !noteFailure(error, writing: "task \(finish.taskId)'s result") {
                    logger.error("history write failed", metadata: ["task_id": "\(finish.taskId)", "error": "\(error)"])
                    written += 1  // not a storage failure: retrying will not help
                }
                break
            }
        }
        state.withLock { $0.pending.removeFirst(written) }
        guard written == held.count, probe() else { return }
        let was = state.withLock { s in
            defer { s.failure = nil }
            return s.failure
        }
        adaptation.setHealthIssue(.storage, nil)
        if was != nil {
            logger.notice("storage writable again under \(directory); submits are accepted", metadata: ["event": "storage_recovered"])
        }
    }

    /// Reserves `probeBytes` in a temp file in the state directory and deletes it: true when there
    /// is room for more than the next small write. The name is a temp file's, so a crash mid-probe
    /// leaves nothing start-up would not remove.
    private func probe() -> Bool {
        let path = "\(directory)/.storage-probe.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd); unlink(path) }
        return posix_fallocate(fd, 0, off_t(Self.probeBytes)) == 0
    }

    /// Removes the probe files a crash left in the state directory (start-up).
    static func removeStaleProbes(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(".storage-probe.tmp-") && unlink("\(directory)/\($0)") == 0 }
    }
}
