import ArgumentParser
import Foundation
import Wire

/// `ttactl label TASK ATTEMPT success|failure`: a person's word on an operator-judged attempt.
struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label an operator-judged attempt a success or a failure (robot-configs with success_judged_by: operator).",
        discussion: "ATTEMPT is the attempt's index from 0, as the attempt_needs_label event and `ttactl task`'s label index show it. "
            + "A label after the attempt's deadline is recorded in the history, flagged late, and not used.")
    @OptionGroup var connection: Connection
    @Argument(help: "The task id (submit's task_id).") var task: String
    @Argument(help: "The attempt's index, from 0.") var attempt: Int
    @Argument(help: "success or failure.") var outcome: String
    @Option(help: "Who labels (kept in the history); default: $USER.") var by: String?

    func validate() throws {
        guard LabelArgs.Outcome(rawValue: outcome) != nil else {
            throw ValidationError("OUTCOME must be success or failure, got \"\(outcome.prefix(32))\"")
        }
    }

    func run() throws {
        let who = by ?? ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
        let args = LabelArgs(task: task, attempt: attempt, outcome: LabelArgs.Outcome(rawValue: outcome)!, by: who)
        let result = try TTACtl.run { try connection.client().call(Request(operation: .label, args: .label(args)), as: LabelResult.self) }
        if connection.json { printJSON(result) } else { print(result.message) }
    }
}
