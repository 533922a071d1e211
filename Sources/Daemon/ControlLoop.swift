import Adaptation
import Foundation
import History
import Logging
import Systemd
import Wire

/// The one thread that drives the robot: takes tasks off the queue and runs them through the
/// adaptation service, recording each step of the way. Its heartbeats gate systemd's watchdog.
final class ControlLoop: @unchecked Sendable {
    private let queue: TaskQueue
    private let adaptation: any AdaptationService
    private let history: HistoryStore
    private let recorder: TaskRecorder
    private let events: EventPublisher
    private let counters: DaemonCounters
    private let watchdog: ProgressWatchdog
    private let notifier: SystemdNotifier
    private let storage: StorageGuard
    private let logger: Logger
    private let stopFlag = StopFlag()
    private let done = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(queue: TaskQueue, adaptation: any AdaptationService, history: HistoryStore, recorder: TaskRecorder,
         events: EventPublisher, counters: DaemonCounters, watchdog: ProgressWatchdog, notifier: SystemdNotifier,
         storage: StorageGuard, logger: Logger) {
        self.queue = queue; self.adaptation = adaptation; self.history = history; self.recorder = recorder
        self.events = events; self.counters = counters; self.watchdog = watchdog; self.notifier = notifier
        self.storage = storage; self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            loop()
            done.signal()
        }
        thread.name = "ttad-control"
        thread.start()
        self.thread = thread
    }

    /// Ends the running attempt safely (the robot is sent stop) and waits for the loop to finish.
    func stop(reason: String, timeout: TimeInterval = 30) {
        stopFlag.set()
        counters.snapshot.running?.cancellation.cancel(reason)
        guard thread != nil else { return }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            logger.error("control loop did not stop within \(Int(timeout)) s")
        }
    }

    private func loop() {
        while !stopFlag.isSet {
            watchdog.beat("control")
            watchdog.tick()
            // Task results held while the disk was full are written as soon as it takes them.
            storage.retry()
            guard let plan = queue.pop(timeout: 0.2) else { continue }
            run(plan)
        }
        storage.retry(force: true)
        watchdog.retire("control")
    }

    private func run(_ plan: TaskPlan) {
        let cancellation = Cancellation()
        counters.setRunning((plan, cancellation))
        defer { counters.setRunning(nil) }
        if stopFlag.isSet { cancellation.cancel("daemon stopping") }
        let started = Date().timeIntervalSince1970
        do { try history.markRunning(taskId: plan.id, checkpoint: adaptation.liveCheckpoint, at: started) } catch {
            if storage.noteFailure(error, writing: "task \(plan.id)'s start") {
                // Not run: its attempts, update and checkpoints could not be recorded either.
                endUnrun(plan, detail: "not run: the history could not be written when it was due to start (\(error))")
                return
            }
            logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
        }
        logger.info("task \(plan.id) started: \(plan.task) on \(plan.robot), \(plan.attempts) attempts", metadata: [
            "event": "task_started", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "checkpoint": "\(adaptation.liveCheckpoint ?? "")",
        ])
        var startedEvent = Event(kind: .taskStarted, taskId: plan.id)
        startedEvent.attempts = plan.attempts
        startedEvent.checkpoint = adaptation.liveCheckpoint
        events.publish(startedEvent)
        notifier.status("running task \(plan.id) (\(plan.task) on \(plan.robot)); \(queue.count) queued")

        var finished = Event(kind: .taskFinished, taskId: plan.id)
        let state: String
        var detail: String?
        var outcome: TaskOutcome?
        do {
            let result = try adaptation.run(plan, observer: recorder, cancellation: cancellation)
            outcome = result
            if result.cancelled {
                // A task cut short by shutdown is `interrupted`; one a person cancelled is `cancelled`.
                let reason = cancellation.reason ?? "cancelled"
                state = reason == "daemon stopping" ? "interrupted" : "cancelled"
                detail = reason
            } else {
                state = "done"
            }
        } catch {
            state = "failed"
            detail = "\(error)"
            logger.error("task \(plan.id) failed: \(error)", metadata: ["event": "task_failed", "task_id": "\(plan.id)"])
        }
        do {
            try history.finish(taskId: plan.id, state: state, detail: detail, candidate: outcome?.update.candidate,
                               successRate: outcome?.successRate, meanReward: outcome?.meanReward, at: Date().timeIntervalSince1970)
        } catch {
            if storage.noteFailure(error, writing: "task \(plan.id)'s result") {
                // Never left `running`: recorded as ended (without the result it lost) once space returns.
                storage.hold(.init(taskId: plan.id, state: state == "interrupted" ? "interrupted" : "failed",
                                   detail: "ended \(state)\(detail.map { " (\($0))" } ?? ""), but the history could not take its result "
                                       + "(\(error)); its attempts, update or checkpoint events may be missing",
                                   at: Date().timeIntervalSince1970))
            } else {
                logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
            }
        }
        counters.taskDone()
        finished.state = state
        finished.message = detail
        finished.successRate = outcome?.successRate
        finished.meanReward = outcome?.meanReward
        finished.checkpoint = adaptation.liveCheckpoint
        events.publish(finished)
        let summary = outcome.map {
            "\(Int(($0.successRate * 100).rounded()))% success, mean reward \(TaskRecorder.format($0.meanReward))"
        } ?? (detail ?? "")
        logger.info("task \(plan.id) \(state): \(summary)", metadata: [
            "event": "task_finished", "task_id": "\(plan.id)", "state": "\(state)",
            "success_rate": "\(outcome.map { TaskRecorder.format($0.successRate) } ?? "")",
            "mean_reward": "\(outcome.map { TaskRecorder.format($0.meanReward) } ?? "")",
            "checkpoint": "\(adaptation.liveCheckpoint ?? "")",
        ])
        notifier.status("idle; last task \(plan.id) \(state): \(summary); checkpoint \(adaptation.liveCheckpoint ?? "-"); \(queue.count) queued")
    }

    /// Ends a task that was not run because storage failed: held as `failed` until it can be written.
    private func endUnrun(_ plan: TaskPlan, detail: String) {
        storage.hold(.init(taskId: plan.id, state: "failed", detail: detail, at: Date().timeIntervalSince1970))
        counters.taskDone()
        var finished = Event(kind: .taskFinished, taskId: plan.id)
        finished.state = "failed"
        finished.message = detail
        events.publish(finished)
        logger.error("task \(plan.id) failed: \(detail)", metadata: ["event": "task_failed", "task_id": "\(plan.id)"])
    }
}
