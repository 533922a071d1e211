import Foundation
import Synchronization

/// Where a person's success labels meet the update that waits for them (robot-configs with
/// `success_judged_by: operator`, docs/learning.md "Operator labels").
///
/// The control loop opens a task (`begin`), posts each finished attempt that needs a label
/// (`open`), waits for the labels (`wait`, which always ends: all labelled, every attempt's
/// deadline passed, or cut short), and the task's slots are gone once the wait ends (a label
/// after that is the history's business: recorded, flagged late, not used). Labels come from the
/// request server's `label` op, or from a simulated person in ttad-lab, through `post`.
///
/// Locks: one `NSCondition` guards the tasks; it is held only for in-memory work, never while a
/// robot moves or a file is written. `awaiting` (what `status` reads) is a separate small Mutex,
/// so `status` never waits on the condition. The e-stop path takes neither: the wait notices a
/// cancellation by polling it (every `pollInterval`), not by being signalled.
public final class LabelBoard: @unchecked Sendable {
    /// One finished attempt whose outcome a person judges.
    public struct Slot: Sendable, Equatable {
        /// When its label stops counting (seconds since 1970).
        public var deadline: Double
        /// What the robot's own success flag said: never used to learn; a simulated person
        /// (ttad-lab) reads it as the truth it labels from.
        public var robotSuccess: Bool
        /// The attempt's reward if labelled a success, and if labelled a failure.
        public var rewardIfSuccess: Double
        public var rewardIfFailure: Double
        /// The label once given (true: success), who gave it and when.
        public var label: Bool?
        public var labelledBy: String?
        public var labelledAt: Double?

        public init(deadline: Double, robotSuccess: Bool, rewardIfSuccess: Double, rewardIfFailure: Double) {
            self.deadline = deadline; self.robotSuccess = robotSuccess
            self.rewardIfSuccess = rewardIfSuccess; self.rewardIfFailure = rewardIfFailure
        }

        /// The reward the label gives (nil while unlabelled).
        public var reward: Double? { label.map { $0 ? rewardIfSuccess : rewardIfFailure } }
    }

    /// What `status` shows while an update waits: the task and the attempts still unlabelled.
    public struct Awaiting: Sendable, Equatable {
        public var task: String
        public var missing: [Int]
        /// When the wait ends at the latest (seconds since 1970).
        public var deadline: Double
    }

    /// How a posted label was taken.
    public enum Posted: Sendable, Equatable {
        /// On time: the update will use it; `reward` is the attempt's reward under it.
        case accepted(reward: Double)
        /// The attempt's deadline had passed: not used (the caller records it, flagged late).
        case late(deadline: Double)
        /// The board holds no such task (finished, or never operator-judged): ask the history.
        case notOnBoard
    }

    /// Why a label was refused, naming what was wrong.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable { case outOfRange, notFinished, notAwaiting, alreadyLabelled }
        public var kind: Kind
        public var description: String
    }

    /// How a wait ended.
    public enum WaitEnd: Sendable, Equatable {
        /// Every attempt that needed a label has one.
        case complete
        /// The last deadline passed first.
        case deadline
        /// Cut short (cancel, e-stop, shutdown, pause), for this reason.
        case interrupted(String)
    }

    private struct Entry {
        var attempts: Int
        var slots: [Int: Slot] = [:]
        /// Finished attempts that need no label, and why (a safety abort, a hardware fault, ...).
        var settled: [Int: String] = [:]
    }

    private let condition = NSCondition()
    private var tasks: [String: Entry] = [:]
    private let awaitingNow = Mutex<Awaiting?>(nil)
    /// How often a wait wakes to feed the watchdog and look for a cancellation.
    let pollInterval: TimeInterval
    private let now: @Sendable () -> Double

    /// `now`: seconds since 1970 (a test's own clock may stand in).
    public init(pollInterval: TimeInterval = 0.2, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.pollInterval = pollInterval
        self.now = now
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// A task of `attempts` operator-judged attempts starts.
    public func begin(task: String, attempts: Int) {
        locked { tasks[task] = Entry(attempts: attempts) }
    }

    /// Attempt `attempt` of `task` finished and awaits a label.
    public func open(task: String, attempt: Int, slot: Slot) {
        locked { tasks[task]?.slots[attempt] = slot }
    }

    /// Attempt `attempt` finished with an outcome that needs no label (`why`: how it ended).
    public func settle(task: String, attempt: Int, why: String) {
        locked { tasks[task]?.settled[attempt] = why }
    }

    /// The slot of a finished attempt still on the board (a simulated person reads `robotSuccess`).
    public func slot(task: String, attempt: Int) -> Slot? {
        locked { tasks[task]?.slots[attempt] }
    }

    /// What the update is waiting for right now, or nil (never waits on the board's lock).
    public var awaiting: Awaiting? { awaitingNow.withLock { $0 } }

    /// A person's label for attempt `attempt` of `task`: `success` or not, by `by`.
    /// - Throws: `Refusal` when the board knows the task but the attempt cannot take a label.
    public func post(task: String, attempt: Int, success: Bool, by: String?) throws(Refusal) -> Posted {
        let at = now()
        condition.lock()
        defer { condition.unlock() }
        do {
            guard var entry = tasks[task] else { return .notOnBoard }
            guard (0..<entry.attempts).contains(attempt) else {
                throw Refusal(kind: .outOfRange, description: "attempt \(attempt) is out of range: task \(task) has \(entry.attempts) attempts (0 to \(entry.attempts - 1))")
            }
            if let why = entry.settled[attempt] {
                throw Refusal(kind: .notAwaiting, description: "attempt \(attempt) of task \(task) is not awaiting a label: it ended by \(why), a failure that needs none")
            }
            guard var slot = entry.slots[attempt] else {
                throw Refusal(kind: .notFinished, description: "attempt \(attempt) of task \(task) has not finished yet")
            }
            if let label = slot.label {
                throw Refusal(kind: .alreadyLabelled, description: "attempt \(attempt) of task \(task) is already labelled \(label ? "success" : "failure")"
                              + (slot.labelledBy.map { " by \($0)" } ?? ""))
            }
            if at > slot.deadline { return .late(deadline: slot.deadline) }
            slot.label = success
            slot.labelledBy = by
            slot.labelledAt = at
            entry.slots[attempt] = slot
            tasks[task] = entry
            condition.broadcast()
            return .accepted(reward: slot.reward!)
        }
    }

    /// Waits until every attempt of `task` that awaits a label has one, or the latest of their
    /// deadlines passes, or `interrupted` names a reason (checked every `pollInterval`, when
    /// `heartbeat` is also called, outside the lock). Then the task leaves the board: the slots
    /// are returned (labelled or not) and a later `post` answers `notOnBoard`.
    public func wait(task: String, heartbeat: () -> Void, interrupted: () -> String?) -> (end: WaitEnd, slots: [Int: Slot]) {
        condition.lock()
        var end = WaitEnd.complete
        while let entry = tasks[task] {
            let missing = entry.slots.filter { $0.value.label == nil }
            if missing.isEmpty { end = .complete; break }
            let deadline = missing.values.map(\.deadline).max()!
            awaitingNow.withLock { $0 = Awaiting(task: task, missing: missing.keys.sorted(), deadline: deadline) }
            let at = now()
            if at >= deadline { end = .deadline; break }
            condition.unlock()
            heartbeat()
            let why = interrupted()
            condition.lock()
            if let why { end = .interrupted(why); break }
            _ = condition.wait(until: Date(timeIntervalSince1970: min(at + pollInterval, deadline)))
        }
        let slots = tasks.removeValue(forKey: task)?.slots ?? [:]
        awaitingNow.withLock { $0 = nil }
        condition.unlock()
        return (end, slots)
    }

    /// Takes `task` off the board without waiting (its attempts were cut short).
    public func end(task: String) {
        locked { _ = tasks.removeValue(forKey: task) }
        awaitingNow.withLock { if $0?.task == task { $0 = nil } }
    }
}
