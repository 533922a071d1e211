import ArgumentParser
import Foundation
import Wire

/// `ttactl task ID`: one task with its attempts and update.
struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Show one task, its attempts and its update.")
    @OptionGroup var connection: Connection
    @Argument(help: "The task id submit printed.") var taskId: String

    func run() throws {
        let info = try TTACtl.run { try connection.client().call(Request(operation: .task, args: .task(TaskRef(taskId: taskId))), as: TaskInfo.self) }
        if connection.json { printJSON(info); return }
        print("task \(info.taskId): \(info.task) on \(info.robot), \(info.state)\(info.detail.map { " (\($0))" } ?? "")")
        print("  checkpoint \(info.checkpoint ?? "-")\(info.candidate.map { " -> candidate \($0)" } ?? ""); reward \(info.rewardMode); adapt \(info.adapt ? "on" : "off")")
        for a in info.attempts {
            // An operator-judged attempt: its outcome, and the index `ttactl label` takes (from 0).
            let judged = a.outcome.map { outcome in
                "  [\(outcome)\(a.labelLate == true ? ", late label \(a.label ?? "")" : ""); label index \(a.index)]"
            } ?? ""
            print(String(format: "  attempt %2d  T=%.2f  %@ %4d steps  reward %.3f", a.index + 1, a.temperature,
                         a.success ? "success" : (a.abortReason.map { "aborted: \($0)" } ?? "failed "), a.steps, a.reward) + judged)
        }
        for u in info.updates { print("  " + Submit.describe(u)) }
        for e in info.checkpointEvents ?? [] {
            print("  checkpoint \(e.kind): \(e.checkpoint ?? "-")\(e.fromCheckpoint.map { " (from \($0))" } ?? ""): \(e.reason)")
        }
    }
}

/// `ttactl cancel ID`.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a queued or running task (a running attempt stops at its next step).")
    @OptionGroup var connection: Connection
    @Argument(help: "The task id.") var taskId: String

    func run() throws {
        let ack = try TTACtl.run { try connection.client().call(Request(operation: .cancel, args: .task(TaskRef(taskId: taskId))), as: AckResult.self) }
        if connection.json { printJSON(ack) } else { print(ack.message) }
    }
}
