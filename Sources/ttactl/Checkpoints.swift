import ArgumentParser
import Foundation
import Wire

/// `ttactl checkpoints`.
struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List checkpoints: live, last good, candidates, reference.")
    @OptionGroup var connection: Connection

    func run() throws {
        let result = try TTACtl.run { try connection.client().call(Request(operation: .checkpoints), as: CheckpointsResult.self) }
        if connection.json { printJSON(result); return }
        print("live: \(result.live ?? "-")   last good: \(result.lastGood ?? "-")")
        for c in result.checkpoints {
            let metrics = c.metrics.keys.sorted().map { "\($0)=\(String(format: "%.3g", c.metrics[$0]!))" }.joined(separator: " ")
            print("\(c.live ? "*" : " ") \(c.id)  \(c.robot)  \(c.state.padding(toLength: 9, withPad: " ", startingAt: 0)) parent \(c.parent ?? "-")  \(metrics)")
        }
    }
}

/// `ttactl rollback`.
struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the last good checkpoint (or --to ID) as the live policy.")
    @OptionGroup var connection: Connection
    @Option(help: "The checkpoint to load; default: the last good one.") var to: String?
    @Option(help: "Why, for the history.") var reason: String?

    func run() throws {
        let ack = try TTACtl.run {
            try connection.client().call(Request(operation: .rollback, args: .rollback(RollbackArgs(checkpoint: to, reason: reason))), as: AckResult.self)
        }
        if connection.json { printJSON(ack) } else { print(ack.message) }
    }
}
