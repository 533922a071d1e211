import Foundation
import Wire

/// The rows `ttactl export` writes for each kind, and their columns in order (docs/ttactl.md lists
/// them): one row per task, attempt, update or checkpoint event, flattened from `history` pages.
enum ExportTable {
    /// A cell: written as is in CSV (empty for null), as the JSON value in JSONL.
    enum Value {
        case text(String), number(Double), integer(Int), flag(Bool), null
    }

    static let taskColumns = ["task_id", "kind", "robot", "task", "state", "detail", "submitted_at", "started_at", "finished_at",
                              "attempts", "temperature_base", "temperature_range", "reward_mode", "adapt", "priority", "checkpoint",
                              "candidate", "success_rate", "mean_reward", "params", "dynamics"]
    static let attemptColumns = ["task_id", "robot", "task", "index", "temperature", "steps", "success", "reward", "abort_reason", "checkpoint",
                                 "outcome", "label", "labelled_at", "labelled_by", "label_late", "intervened_steps", "interventions_past_limits"]
    static let updateColumns = ["task_id", "robot", "task", "accepted", "refusal", "policy_loss", "approx_kl", "clip_fraction", "grad_norm",
                                "entropy", "kl_to_reference", "epochs", "samples", "early_stopped", "seconds", "learning_rate", "parent",
                                "candidate", "intervention_samples", "demonstration_samples", "kl_retries",
                                "clone_steps", "clone_samples", "clone_loss", "clone_refusal", "replay_samples"]
    static let eventColumns = ["at", "kind", "robot", "checkpoint", "from_checkpoint", "reason", "task_id"]

    /// The columns of `kind`.
    static func columns(_ kind: ExportKind) -> [String] {
        switch kind {
        case .tasks: taskColumns
        case .attempts: attemptColumns
        case .updates: updateColumns
        case .checkpointEvents: eventColumns
        }
    }

    /// The rows of `kind` one task gives, in `columns(kind)` order.
    static func rows(_ kind: ExportKind, of t: TaskInfo) -> [[Value]] {
        switch kind {
        case .tasks:
            return [[.text(t.taskId), .text(t.kind ?? "training"), .text(t.robot), .text(t.task), .text(t.state), text(t.detail),
                     .number(t.submittedAt), number(t.startedAt), number(t.finishedAt), .integer(t.attempts.count),
                     .number(t.temperatureBase), .number(t.temperatureRange), .text(t.rewardMode), .flag(t.adapt), .integer(t.priority),
                     text(t.checkpoint), text(t.candidate), number(t.successRate), number(t.meanReward),
                     .text(json(t.params)), .text(json(t.dynamics))]]
        case .attempts:
            return t.attempts.map { a in
                [.text(t.taskId), .text(t.robot), .text(t.task), .integer(a.index), .number(a.temperature), .integer(a.steps), .flag(a.success),
                 .number(a.reward), text(a.abortReason), text(a.checkpoint),
                 text(a.outcome), text(a.label), number(a.labelledAt), text(a.labelledBy), a.labelLate.map { .flag($0) } ?? .null,
                 integer(a.intervenedSteps), integer(a.interventionsPastLimits)]
            }
        case .updates:
            return t.updates.map { u in
                [.text(t.taskId), .text(t.robot), .text(t.task), .flag(u.accepted), text(u.refusal), .number(u.policyLoss), .number(u.approxKL),
                 .number(u.clipFraction), .number(u.gradNorm), .number(u.entropy), number(u.klToReference), .integer(u.epochs),
                 integer(u.samples), u.earlyStopped.map { .flag($0) } ?? .null, .number(u.seconds),
                 number(u.learningRate), text(u.parent), text(u.candidate), integer(u.interventionSamples), integer(u.demonstrationSamples),
                 integer(u.klRetries), integer(u.cloneSteps), integer(u.cloneSamples), number(u.cloneLoss), text(u.cloneRefusal),
                 integer(u.replaySamples)]
            }
        case .checkpointEvents:
            return (t.checkpointEvents ?? []).map { event(t.taskId, $0) }
        }
    }

    /// A checkpoint event's row (`task_id` empty for one no task caused).
    static func event(_ taskId: String?, _ e: CheckpointEventInfo) -> [Value] {
        [.number(e.at), .text(e.kind), text(e.robot), text(e.checkpoint), text(e.fromCheckpoint), .text(e.reason), text(taskId)]
    }

    private static func text(_ s: String?) -> Value { s.map { .text($0) } ?? .null }
    private static func number(_ x: Double?) -> Value { x.map { .number($0) } ?? .null }
    private static func integer(_ n: Int?) -> Value { n.map { .integer($0) } ?? .null }

    /// `{"name":value,...}`, keys sorted, as the task's params and dynamics column.
    private static func json(_ values: [String: Double]) -> String {
        "{" + values.sorted { $0.key < $1.key }.map { "\(ExportWriter.jsonString($0.key)):\(ExportWriter.number($0.value))" }.joined(separator: ",") + "}"
    }
}

/// What `ttactl export --kind` exports.
enum ExportKind: String, CaseIterable {
    case tasks, attempts, updates
    case checkpointEvents = "checkpoint-events"
}
