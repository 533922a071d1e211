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

    init(history: HistoryStore, events: EventPublisher, logger: Logger, watchdog: ProgressWatchdog, activity: DaemonActivity) {
        self.history = history
        self.events = events
        self.logger = logger
        self.watchdog = watchdog
        self.activity = activity
    }

    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {
        var event = Event(kind: .attemptStarted, taskId: plan.id)
        event.attempt = index
        event.attempts = plan.attempts
        event.temperature = temperature
        events.publish(event)
    }

    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {
        let now = Date().timeIntervalSince1970
        do {
            try history.record(AttemptRow(taskId: plan.id, attemptIndex: report.index, temperature: report.temperature,
                                          steps: report.steps, success: report.success, reward: report.reward,
                                          abortReason: report.abortReason, checkpoint: report.checkpoint, finishedAt: now))
        } catch {
            logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
        }
        var metadata: Logger.Metadata = [
            "event": "attempt_finished", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "attempt": "\(report.index)", "temperature": "\(Self.format(report.temperature))", "steps": "\(report.steps)",
            "success": "\(report.success)", "reward": "\(Self.format(report.reward))",
            "checkpoint": "\(report.checkpoint ?? "")",
        ]
        if let abort = report.abortReason { metadata["abort_reason"] = "\(abort)" }
        let line = "task \(plan.id) attempt \(report.index + 1)/\(plan.attempts) T=\(Self.format(report.temperature)): "
            + (report.success ? "success in \(report.steps) steps" : "failed after \(report.steps) steps")
            + ", reward \(Self.format(report.reward))" + (report.abortReason.map { " (\($0))" } ?? "")
        if report.abortReason != nil { logger.warning("\(line)", metadata: metadata) } else { logger.info("\(line)", metadata: metadata) }

        var event = Event(kind: .attemptFinished, taskId: plan.id)
        event.attempt = report.index
        event.attempts = plan.attempts
        event.temperature = report.temperature
        event.steps = report.steps
        event.success = report.success
        event.reward = report.reward
        event.abortReason = report.abortReason
        event.checkpoint = report.checkpoint
        events.publish(event)
    }

    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {
        let now = Date().timeIntervalSince1970
        if update.attempted {
            do {
                try history.record(UpdateRow(taskId: plan.id, parent: update.parent, candidate: update.candidate,
                                             accepted: update.accepted, refusal: update.refusal, policyLoss: update.policyLoss,
                                             approxKL: update.approxKL, clipFraction: update.clipFraction, gradNorm: update.gradNorm,
                                             entropy: update.entropy, epochs: update.epochs, seconds: update.seconds, createdAt: now,
                                             learningRate: update.learningRate))
            } catch {
                logger.error("history write failed", metadata: ["task_id": "\(plan.id)", "error": "\(error)"])
            }
            activity.update(accepted: update.accepted)
        }
        var metadata: Logger.Metadata = [
            "event": "update_finished", "task_id": "\(plan.id)", "accepted": "\(update.accepted)",
            "approx_kl": "\(Self.format(update.approxKL))", "clip_fraction": "\(Self.format(update.clipFraction))",
            "grad_norm": "\(Self.format(update.gradNorm))", "policy_loss": "\(Self.format(update.policyLoss))",
            "checkpoint": "\(update.candidate ?? update.parent ?? "")",
        ]
        if let learningRate = update.learningRate { metadata["learning_rate"] = "\(Self.format(learningRate))" }
        let line: String
        if let skipped = update.skipped {
            line = "task \(plan.id): no update (\(skipped))"
        } else if update.accepted {
            line = "task \(plan.id): update accepted, approx KL \(Self.format(update.approxKL)), clip fraction \(Self.format(update.clipFraction)), learning rate \(update.learningRate.map(Self.format) ?? "-") -> candidate \(update.candidate ?? "-")"
        } else {
            line = "task \(plan.id): update refused: \(update.refusal ?? "?")"
        }
        if update.attempted && !update.accepted { logger.warning("\(line)", metadata: metadata) } else { logger.info("\(line)", metadata: metadata) }
        var event = Event(kind: .updateFinished, taskId: plan.id)
        event.update = Self.info(update)
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
        watchdog.beat("control")
        watchdog.tick()
    }

    static func info(_ update: UpdateSummary) -> UpdateInfo {
        UpdateInfo(accepted: update.accepted, refusal: update.refusal, skipped: update.skipped, policyLoss: update.policyLoss,
                   approxKl: update.approxKL, clipFraction: update.clipFraction, gradNorm: update.gradNorm, entropy: update.entropy,
                   epochs: update.epochs, seconds: update.seconds, parent: update.parent, candidate: update.candidate,
                   learningRate: update.learningRate)
    }

    static func format(_ x: Double) -> String { String(format: "%.4g", x) }
}
