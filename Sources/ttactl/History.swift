import ArgumentParser
import Foundation
import Wire

/// `ttactl history`: past tasks, newest first.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List past tasks, newest first.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this task family.") var task: String?
    @Option(help: "Only this robot.") var robot: String?
    @Option(help: "Only tasks submitted in the last N seconds.") var since: Double?
    @Option(help: "At most this many (1-10000).") var limit: Int = 20

    func run() throws {
        let query = HistoryQuery(task: task, robot: robot, since: since.map { Date().timeIntervalSince1970 - $0 }, limit: limit)
        let result = try TTACtl.run { try connection.client().call(Request(operation: .history, args: .history(query)), as: HistoryResult.self) }
        if connection.json { printJSON(result); return }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        print("task          submitted            robot      task      state        success  reward  checkpoint")
        for t in result.tasks {
            let success = t.successRate.map { String(format: "%5.0f%%", $0 * 100) } ?? "     -"
            let reward = t.meanReward.map { String(format: "%6.3f", $0) } ?? "     -"
            print("\(t.taskId.padding(toLength: 13, withPad: " ", startingAt: 0)) \(formatter.string(from: Date(timeIntervalSince1970: t.submittedAt)))  \(t.robot.padding(toLength: 10, withPad: " ", startingAt: 0)) \(t.task.padding(toLength: 9, withPad: " ", startingAt: 0)) \(t.state.padding(toLength: 12, withPad: " ", startingAt: 0)) \(success)  \(reward)  \(t.checkpoint ?? "-")")
        }
    }
}
