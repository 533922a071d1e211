import Adaptation
import Foundation
import History
import Logging
import Wire

/// `label`: a person's word on whether an operator-judged attempt succeeded
/// (`success_judged_by: operator`, docs/learning.md "Operator labels").
extension Daemon {
    /// Runs on the changes worker. A label the running task's update still waits for goes to the
    /// board (and the history); one for an attempt whose wait has ended is recorded in the
    /// history, flagged late, and not used. Every refusal names what was wrong.
    func label(_ args: LabelArgs, adaptation: any AdaptationService, logger: Logger) throws -> LabelResult {
        let at = Date().timeIntervalSince1970
        let posted: LabelBoard.Posted
        do { posted = try adaptation.labels.post(task: args.task, attempt: args.attempt, success: args.success, by: args.by) } catch {
            let field = error.kind == .outOfRange ? "args.attempt" : "args.task"
            throw WireError(error.kind == .outOfRange ? .invalidField : .conflict, field: field, error.description)
        }
        let used: Bool
        var message: String
        switch posted {
        case .accepted(let reward):
            try history.recordLabel(taskId: args.task, attemptIndex: args.attempt, label: args.outcome, by: args.by, at: at, late: false, reward: reward)
            used = true
            message = "attempt \(args.attempt) of task \(args.task) labelled \(args.outcome); the task's update will use it"
        case .late(let deadline):
            try history.recordLabel(taskId: args.task, attemptIndex: args.attempt, label: args.outcome, by: args.by, at: at, late: true, reward: nil)
            used = false
            message = "late: the label deadline of attempt \(args.attempt) of task \(args.task) passed \(Self.ago(at - deadline)) ago; "
                + "recorded in the history (flagged late), not used"
        case .notOnBoard:
            try checkLateLabel(args)
            try history.recordLabel(taskId: args.task, attemptIndex: args.attempt, label: args.outcome, by: args.by, at: at, late: true, reward: nil)
            used = false
            message = "late: the update of task \(args.task) already went on without attempt \(args.attempt)'s label; "
                + "recorded in the history (flagged late), not used"
        }
        let metadata: Logger.Metadata = [
            "event": "attempt_labelled", "task_id": "\(args.task)", "attempt": "\(args.attempt)", "label": "\(args.outcome)",
            "labelled_by": "\(args.by ?? "")", "label_late": "\(!used)",
        ]
        logger.info("task \(args.task) attempt \(args.attempt) labelled \(args.outcome)\(args.by.map { " by \($0)" } ?? "")\(used ? "" : " (late, not used)")",
                    metadata: metadata)
        return LabelResult(task: args.task, attempt: args.attempt, outcome: args.outcome, used: used, late: !used, message: message)
    }

    /// A label for an attempt the board no longer holds: allowed (as late) only for an
    /// operator-judged attempt that ran to its end and has no label yet.
    private func checkLateLabel(_ args: LabelArgs) throws {
        guard let task = try history.task(id: args.task) else {
            throw WireError(.notFound, field: "args.task", "no task \"\(args.task.prefix(64))\"")
        }
        guard (0..<task.attempts).contains(args.attempt) else {
            throw WireError(.invalidField, field: "args.attempt",
                            "attempt \(args.attempt) is out of range: task \(args.task) has \(task.attempts) attempts (0 to \(task.attempts - 1))")
        }
        guard let row = try history.attempts(taskId: args.task).first(where: { $0.attemptIndex == args.attempt }) else {
            throw WireError(.conflict, field: "args.attempt", "attempt \(args.attempt) of task \(args.task) has not run (task \(task.state.rawValue))")
        }
        guard row.judgedBy == "operator" else {
            throw WireError(.conflict, field: "args.task",
                            "attempt \(args.attempt) of task \(args.task) is not awaiting a label: its robot judges success (success_judged_by: robot)")
        }
        if let abort = row.abortReason {
            throw WireError(.conflict, field: "args.attempt",
                            "attempt \(args.attempt) of task \(args.task) is not awaiting a label: it ended by \(abort), a failure that needs none")
        }
        if let label = row.label {
            throw WireError(.conflict, field: "args.attempt",
                            "attempt \(args.attempt) of task \(args.task) is already labelled \(label)\(row.labelledBy.map { " by \($0)" } ?? "")"
                                + (row.labelLate == true ? " (late)" : ""))
        }
    }

    private static func ago(_ seconds: Double) -> String { String(format: "%.0f s", max(0, seconds)) }
}
