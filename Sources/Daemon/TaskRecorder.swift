import Adaptation
import Foundation
import History
import Logging
import Wire

/// Turns adaptation progress into the three records a user reads: the history (SQLite), the
/// journal (structured fields, docs/journald-fields.md) and the event socket.
final class TaskRecorder: AdaptationObserver, @unchecked Sendable {
    private let history: HistoryStore
    private let events: EventPublisher
    private let logger: Logger
    private let watchdog: ProgressWatchdog
    private let activity: DaemonActivity
    private let metrics: DaemonMetrics?

    init(history: HistoryStore, events: EventPublisher, logger: Logger, watchdog: ProgressWatchdog, activity: DaemonActivity,
         metrics: DaemonMetrics? = nil) {
        self.history = history
        self.events = events
        self.logger = logger
        self.watchdog = watchdog
        self.activity = activity
        self.metrics = metrics
    }

    /// A task ended in `state` (the control loop recorded it): counted in the metrics.
    func taskEnded(_ plan: TaskPlan, state: TaskState, outcome: TaskOutcome?) {
        metrics?.taskFinished(plan, state: state, outcome: outcome)
    }

    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {
        var event = Event(kind: .attemptStarted, taskId: plan.id)
        event.attempt = index
        event.attempts = plan.attempts
        event.temperature = temperature
        events.publish(event)
        metrics?.attemptStarted()
    }

    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {
        let row = AttemptRow(report: report, taskId: plan.id, at: Date().timeIntervalSince1970)
        metrics?.attemptFinished(report)
        do {
            try history.record(row)
        } catch {
            logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
        }
        // The journal and the event read the wire copy of the row, as `task` replies do.
        let attempt = AttemptInfo(row)
        var metadata: Logger.Metadata = [
            "event": "attempt_finished", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "attempt": "\(attempt.index)", "temperature": "\(Self.format(attempt.temperature))", "steps": "\(attempt.steps)",
            "success": "\(attempt.success)", "reward": "\(Self.format(attempt.reward))",
            "checkpoint": "\(attempt.checkpoint ?? "")",
        ]
        if let abort = attempt.abortReason { metadata["abort_reason"] = "\(abort)" }
        if let n = attempt.intervenedSteps { metadata["intervened_steps"] = "\(n)" }
        if let n = attempt.interventionsPastLimits { metadata["interventions_past_limits"] = "\(n)" }
        // A demonstration's attempt is the person's, not the policy's: say so (TTAD_KIND).
        if plan.demonstration { metadata["kind"] = "\(TaskRow.demonstration)" }
        let line = "task \(plan.id) attempt \(attempt.index + 1)/\(plan.attempts) T=\(Self.format(attempt.temperature)): "
            + (attempt.success ? "success in \(attempt.steps) steps" : "failed after \(attempt.steps) steps")
            + ", reward \(Self.format(attempt.reward))" + (attempt.abortReason.map { " (\($0))" } ?? "")
        if attempt.abortReason != nil { logger.warning("\(line)", metadata: metadata) } else { logger.info("\(line)", metadata: metadata) }

        var event = Event(kind: .attemptFinished, taskId: plan.id)
        event.attempt = attempt.index
        event.attempts = plan.attempts
        event.temperature = attempt.temperature
        event.steps = attempt.steps
        event.success = attempt.success
        event.reward = attempt.reward
        event.abortReason = attempt.abortReason
        event.checkpoint = attempt.checkpoint
        event.intervenedSteps = attempt.intervenedSteps
        event.interventionsPastLimits = attempt.interventionsPastLimits
        events.publish(event)
    }

    /// An operator-judged attempt awaits a label: a journal entry (`attempt_needs_label`, with
    /// TTAD_TASK, TTAD_ATTEMPT, TTAD_STEPS, TTAD_LABEL_DEADLINE) and the event of that name.
    func attemptNeedsLabel(_ plan: TaskPlan, _ report: AttemptReport) {
        let deadline = report.labelDeadline ?? 0
        let metadata: Logger.Metadata = [
            "event": "attempt_needs_label", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "attempt": "\(report.index)", "steps": "\(report.steps)", "label_deadline": "\(Self.format(deadline))",
        ]
        let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: deadline))
        let line = "task \(plan.id) attempt \(report.index) ended after \(report.steps) steps and awaits a label until \(when): "
            + "`ttactl label \(plan.id) \(report.index) success|failure`"
        logger.notice("\(line)", metadata: metadata)
        var event = Event(kind: .attemptNeedsLabel, taskId: plan.id)
        event.attempt = report.index
        event.attempts = plan.attempts
        event.steps = report.steps
        event.labelDeadline = deadline
        event.checkpoint = report.checkpoint
        events.publish(event)
    }

    func updateFinished(_ plan: TaskPlan, _ summary: UpdateSummary) {
        metrics?.updateFinished(summary)
        // One row, one wire copy: the `update_finished` event carries what `task` will reply.
        var update: UpdateInfo
        if let row = UpdateRow(summary: summary, taskId: plan.id, at: Date().timeIntervalSince1970) {
            do {
                try history.record(row)
            } catch {
                logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
            }
            activity.update(accepted: row.accepted)
            update = UpdateInfo(row)
        } else {
            update = .skipped(summary.skipReason ?? "")
        }
        var metadata: Logger.Metadata = [
            "event": "update_finished", "task_id": "\(plan.id)", "accepted": "\(update.accepted)",
            "approx_kl": "\(Self.format(update.approxKL))", "clip_fraction": "\(Self.format(update.clipFraction))",
            "grad_norm": "\(Self.format(update.gradNorm))", "policy_loss": "\(Self.format(update.policyLoss))",
            "entropy": "\(Self.format(update.entropy))", "epochs": "\(update.epochs)",
            "checkpoint": "\(update.candidate ?? update.parent ?? "")",
        ]
        if let learningRate = update.learningRate { metadata["learning_rate"] = "\(Self.format(learningRate))" }
        if let kl = update.klToReference { metadata["kl_to_reference"] = "\(Self.format(kl))" }
        if let earlyStopped = update.earlyStopped { metadata["early_stopped"] = "\(earlyStopped)" }
        if let samples = update.samples { metadata["samples"] = "\(samples)" }
        if let samples = update.interventionSamples { metadata["intervention_samples"] = "\(samples)" }
        if let samples = update.demonstrationSamples { metadata["demonstration_samples"] = "\(samples)" }
        if let retries = update.klRetries { metadata["kl_retries"] = "\(retries)" }
        if let steps = update.cloneSteps { metadata["clone_steps"] = "\(steps)" }
        if let samples = update.cloneSamples { metadata["clone_samples"] = "\(samples)" }
        if let loss = update.cloneLoss { metadata["clone_loss"] = "\(Self.format(loss))" }
        if let refusal = update.cloneRefusal { metadata["clone_refusal"] = "\(refusal)" }
        if let reused = update.replaySamples { metadata["replay_samples"] = "\(reused)" }
        let line: String
        if let skipped = update.skipped {
            line = "task \(plan.id): no update (\(skipped))"
        } else if update.accepted {
            line = "task \(plan.id): update accepted, approx KL \(Self.format(update.approxKL)), clip fraction \(Self.format(update.clipFraction)), learning rate \(update.learningRate.map(Self.format) ?? "-") -> candidate \(update.candidate ?? "-")"
        } else {
            line = "task \(plan.id): update refused: \(update.refusal ?? "?")"
        }
        if summary.attempted && !update.accepted { logger.warning("\(line)", metadata: metadata) } else { logger.info("\(line)", metadata: metadata) }
        var event = Event(kind: .updateFinished, taskId: plan.id)
        event.update = update
        event.checkpoint = update.candidate
        events.publish(event)
    }

    func checkpointEvent(_ event: CheckpointEvent, taskId: String?) {
        do {
            try history.record(CheckpointEventRow(kind: event.kind.rawValue, robot: event.robot, checkpoint: event.checkpoint, fromCheckpoint: event.from,
                                                  reason: event.reason, taskId: taskId, at: Date().timeIntervalSince1970))
        } catch {
            logger.error("history write failed", metadata: ["error": "\(error)"])
        }
        if event.kind == .rollback { activity.rollback() }
        metrics?.checkpointEvent(event.kind)
        let metadata: Logger.Metadata = [
            "event": "checkpoint_\(event.kind.rawValue)", "robot": "\(event.robot)", "checkpoint": "\(event.checkpoint ?? "")",
            "from_checkpoint": "\(event.from ?? "")", "reason": "\(event.reason)", "task_id": "\(taskId ?? "")",
        ]
        let line = "\(event.robot): checkpoint \(event.kind.rawValue): \(event.checkpoint ?? "-")" + (event.from.map { " (from \($0))" } ?? "") + ": \(event.reason)"
        if event.kind == .rollback || event.kind == .skipped { logger.warning("\(line)", metadata: metadata) } else { logger.notice("\(line)", metadata: metadata) }
        var published = Event(kind: .checkpoint, taskId: taskId)
        published.checkpoint = event.checkpoint
        published.state = event.kind.rawValue
        published.message = event.reason
        events.publish(published)
    }

    func heartbeat() {
        metrics?.step()
        watchdog.beat("control")
        watchdog.tick()
    }

    static func format(_ x: Double) -> String { String(format: "%.4g", x) }
}
