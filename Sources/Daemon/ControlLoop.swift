import Adaptation
import Foundation
import History
import Logging
import ServiceLifecycle
import Systemd
import Wire

/// The one thread that drives the robot: takes tasks off the queue and runs them through the
/// adaptation side, recording each step of the way. Its heartbeats gate systemd's watchdog.
///
/// As a `Service`, `run` starts the thread (`ttad-control`) and, on graceful shutdown or
/// cancellation, ends the running attempt safely (`stop(reason: .shutdown)`) and returns once the
/// thread has.
final class ControlLoop: Service, CustomStringConvertible, @unchecked Sendable {
    /// What the loop needs from the adaptation side: running tasks, the checkpoint a task starts
    /// on, and whether the e-stop is latched.
    typealias AdaptationSide = TaskRunner & PolicyLineageControl & AdaptationStatusSource

    let description = "ControlLoop"
    private let queue: TaskQueue
    private let adaptation: any AdaptationSide
    private let history: HistoryStore
    private let recorder: TaskRecorder
    private let events: EventPublisher
    private let activity: DaemonActivity
    private let watchdog: ProgressWatchdog
    private let notifier: SystemdNotifier
    private let storage: StorageGuard
    private let logger: Logger
    private let stopFlag = StopFlag()
    private var thread: LoopThread?

    init(queue: TaskQueue, adaptation: any AdaptationSide, history: HistoryStore, recorder: TaskRecorder,
         events: EventPublisher, activity: DaemonActivity, watchdog: ProgressWatchdog, notifier: SystemdNotifier,
         storage: StorageGuard, logger: Logger) {
        self.queue = queue; self.adaptation = adaptation; self.history = history; self.recorder = recorder
        self.events = events; self.activity = activity; self.watchdog = watchdog; self.notifier = notifier
        self.storage = storage; self.logger = logger
    }

    /// Runs the loop until graceful shutdown (or cancellation), then stops it safely.
    func run() async throws {
        start()
        try? await gracefulShutdown()
        await onBlockingThread { [self] in stop(reason: .shutdown) }
    }

    func start() {
        thread = LoopThread(name: "ttad-control") { [self] in loop() }
    }

    /// Ends the running attempt safely (the robot is sent stop) and waits for the loop to finish.
    func stop(reason: CancelReason = .shutdown, timeout: TimeInterval = 30) {
        beginStop(reason: reason)
        guard let thread else { return }
        if !thread.wait(until: .now() + timeout) {
            logger.error("control loop did not stop within \(Int(timeout)) s")
        }
    }

    /// Ends the running attempt safely and keeps the next task from starting, without waiting.
    func beginStop(reason: CancelReason = .shutdown) {
        stopFlag.set()
        activity.snapshot.running?.cancellation.cancel(reason)
    }

    private func loop() {
        while !stopFlag.isSet {
            watchdog.beat("control")
            watchdog.tick()
            // Task results held while the disk was full are written as soon as it takes them.
            storage.retry()
            // While the e-stop is latched, queued tasks wait for `resume`: starting one would only
            // fail its resets against the latch.
            if adaptation.status.estopped {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            guard let plan = queue.pop(timeout: 0.2) else { continue }
            run(plan)
        }
        storage.retry(force: true)
        watchdog.retire("control")
    }

    private func run(_ plan: TaskPlan) {
        let cancellation = Cancellation()
        activity.setRunning((plan, cancellation))
        defer { activity.setRunning(nil) }
        if stopFlag.isSet { cancellation.cancel(.shutdown) }
        let started = Date().timeIntervalSince1970
        // The task's own robot's checkpoint (not the default robot's).
        let checkpoint = adaptation.liveCheckpoint(robot: plan.robot)
        do { try history.markRunning(taskId: plan.id, checkpoint: checkpoint, at: started) } catch {
            if storage.noteFailure(error, writing: "task \(plan.id)'s start") {
                // Not run: its attempts, update and checkpoints could not be recorded either.
                endUnrun(plan, detail: "not run: the history could not be written when it was due to start (\(error))")
                return
            }
            logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
        }
        logger.info("task \(plan.id) started: \(plan.task) on \(plan.robot), \(plan.attempts) attempts", metadata: [
            "event": "task_started", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "checkpoint": "\(checkpoint ?? "")",
        ])
        var startedEvent = Event(kind: .taskStarted, taskId: plan.id)
        startedEvent.attempts = plan.attempts
        startedEvent.checkpoint = checkpoint
        events.publish(startedEvent)
        notifier.status("running task \(plan.id) (\(plan.task) on \(plan.robot)); \(queue.count) queued")

        let state: TaskState
        let detail: String?
        var outcome: TaskOutcome?
        do {
            let result = try adaptation.run(plan, observer: recorder, cancellation: cancellation)
            outcome = result
            (state, detail) = Self.end(of: result, cancelled: cancellation.reason)
        } catch {
            (state, detail) = (.failed, "\(error)")
        }
        if state == .failed {
            logger.error("task \(plan.id) failed: \(detail ?? "")", metadata: [
                "event": "task_failed", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            ])
        }
        do {
            try history.finish(taskId: plan.id, state: state, detail: detail, candidate: outcome?.update.candidate,
                               successRate: outcome?.successRate, meanReward: outcome?.meanReward, at: Date().timeIntervalSince1970)
        } catch {
            if storage.noteFailure(error, writing: "task \(plan.id)'s result") {
                // Never left `running`: recorded as ended (without the result it lost) once space returns.
                storage.hold(.init(taskId: plan.id, state: state == .interrupted ? .interrupted : .failed,
                                   detail: "ended \(state.rawValue)\(detail.map { " (\($0))" } ?? ""), but the history could not take its result "
                                       + "(\(error)); its attempts, update or checkpoint events may be missing",
                                   at: Date().timeIntervalSince1970))
            } else {
                logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
            }
        }
        // An evaluation is not training: `status`'s tasks_done counts submitted tasks only.
        if !plan.evaluation { activity.taskDone() }
        recorder.taskEnded(plan, state: state, outcome: outcome)
        // The checkpoint the attempts ran on; the task's robot's live one now may be a new candidate.
        let ranOn = outcome?.checkpoint ?? checkpoint
        let liveNow = adaptation.liveCheckpoint(robot: plan.robot)
        var finished = Event(kind: .taskFinished, taskId: plan.id)
        finished.state = state.rawValue
        finished.message = detail
        finished.successRate = outcome?.successRate
        finished.meanReward = outcome?.meanReward
        finished.checkpoint = liveNow
        events.publish(finished)
        let summary = outcome.map {
            "\(Int(($0.successRate * 100).rounded()))% success, mean reward \(TaskRecorder.format($0.meanReward))"
                + (state == .failed ? " (\(detail ?? ""))" : "")
        } ?? (detail ?? "")
        logger.info("task \(plan.id) \(state.rawValue): \(summary)", metadata: [
            "event": "task_finished", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "state": "\(state.rawValue)",
            "success_rate": "\(outcome.map { TaskRecorder.format($0.successRate) } ?? "")",
            "mean_reward": "\(outcome.map { TaskRecorder.format($0.meanReward) } ?? "")",
            "checkpoint": "\(ranOn ?? "")", "live_checkpoint": "\(liveNow ?? "")",
        ])
        if plan.evaluation, let outcome { evaluationFinished(plan, outcome: outcome, state: state) }
        notifier.status("idle; last task \(plan.id) \(state.rawValue): \(summary); \(plan.robot) on \(liveNow ?? "-"); \(queue.count) queued")
    }

    /// How a task whose attempts ran ends. A cut-short task is `interrupted` when the daemon was
    /// stopping and `cancelled` otherwise (a person, the e-stop); one whose every attempt ended in
    /// a hardware fault `failed`, since the robot never let the policy try; any other `done`.
    static func end(of outcome: TaskOutcome, cancelled reason: CancelReason?) -> (TaskState, String?) {
        if outcome.cancelled {
            let reason = reason ?? .request
            return (reason == .shutdown ? .interrupted : .cancelled, reason.description)
        }
        if !outcome.attempts.isEmpty, outcome.attempts.allSatisfy(\.isHardwareFault) {
            let first = outcome.attempts[0].abortReason ?? "hardware_fault"
            return (.failed, "every attempt (\(outcome.attempts.count)) ended in a hardware fault; the first: \(first)")
        }
        return (.done, nil)
    }

    /// An evaluation's own journal entry (`evaluation_finished`) and event, after its
    /// `task_finished`: K, successes, mean steps to success, the checkpoint it ran on.
    private func evaluationFinished(_ plan: TaskPlan, outcome: TaskOutcome, state: TaskState) {
        let successes = outcome.attempts.filter(\.success)
        let meanSteps = successes.isEmpty ? nil : Double(successes.map(\.steps).reduce(0, +)) / Double(successes.count)
        var metadata: Logger.Metadata = [
            "event": "evaluation_finished", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "state": "\(state.rawValue)", "kind": "evaluation", "evaluation_seed": "\(plan.seed)", "tasks": "\(plan.attempts)",
            "attempts": "\(outcome.attempts.count)", "successes": "\(successes.count)",
            "success_rate": "\(TaskRecorder.format(outcome.successRate))", "checkpoint": "\(outcome.checkpoint ?? "")",
        ]
        if let meanSteps { metadata["mean_steps"] = "\(TaskRecorder.format(meanSteps))" }
        if !plan.dynamics.isEmpty {
            metadata["dynamics"] = "\(plan.dynamics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
        }
        let line = "evaluation \(plan.id) \(state.rawValue): \(successes.count)/\(outcome.attempts.count) greedy successes on \(plan.task) "
            + "(\(plan.robot), seed \(plan.seed)), mean steps to success \(meanSteps.map { TaskRecorder.format($0) } ?? "-"), "
            + "checkpoint \(outcome.checkpoint ?? "-")"
        logger.info("\(line)", metadata: metadata)
        var event = Event(kind: .evaluationFinished, taskId: plan.id)
        event.state = state.rawValue
        event.attempts = outcome.attempts.count
        event.successRate = outcome.successRate
        event.steps = meanSteps.map { Int($0.rounded()) }
        event.checkpoint = outcome.checkpoint
        events.publish(event)
    }

    /// Ends a task that was not run because storage failed: held as `failed` until it can be written.
    private func endUnrun(_ plan: TaskPlan, detail: String) {
        storage.hold(.init(taskId: plan.id, state: .failed, detail: detail, at: Date().timeIntervalSince1970))
        activity.taskDone()
        recorder.taskEnded(plan, state: .failed, outcome: nil)
        var finished = Event(kind: .taskFinished, taskId: plan.id)
        finished.state = "failed"
        finished.message = detail
        events.publish(finished)
        logger.error("task \(plan.id) failed: \(detail)", metadata: [
            "event": "task_failed", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
        ])
    }
}
