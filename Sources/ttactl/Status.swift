import ArgumentParser
import Foundation
import Wire

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's health, robot, checkpoint and queue.")
    @OptionGroup var connection: Connection

    func run() throws {
        let status = try TTACtl.run { try connection.client().call(Request(operation: .status), as: StatusResult.self) }
        if connection.json { printJSON(status); return }
        print("health:      \(status.health)\(status.healthReason.map { " (\($0))" } ?? "")")
        print("version:     \(status.version), pid \(status.pid), up \(Int(status.uptimeSeconds)) s")
        print("robot:       \(status.robot) (\(status.backend)); robots: \(status.robots.joined(separator: ", "))")
        print("checkpoint:  \(status.checkpoint ?? "-") (last good: \(status.lastGoodCheckpoint ?? "-"))")
        print("adapting:    \(status.adapting ? "yes" : "no")")
        print("task:        \(status.runningTask ?? "idle"); queued \(status.queued)/\(status.queueCapacity)")
        if let waiting = status.awaitingLabels {
            let left = max(0, Int((waiting.deadline - Date().timeIntervalSince1970).rounded()))
            print("labels:      task \(waiting.task) waits for attempt(s) \(waiting.missing.map(String.init).joined(separator: ", ")) (\(left) s left): `ttactl label`")
        }
        print("counters:    \(status.tasksDone) tasks, \(status.updatesAccepted) updates accepted, \(status.updatesRefused) refused, \(status.rollbacks) rollbacks")
    }
}
