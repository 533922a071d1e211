import ArgumentParser
import Foundation
import Wire

/// `ttactl watch`: every event the daemon publishes, as it happens.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's events live (one JSON object per line with --json).",
        discussion: "Exit status: 0 after --count events or --duration seconds; 69 no event publisher answered within --timeout; 77 the socket refused this user.")
    @OptionGroup var connection: Connection
    @Option(help: "Stop after this many events.") var count: Int?
    @Option(help: "Stop after this many seconds.") var duration: Double?

    func run() throws {
        try connection.checkAccess(connection.events)
        // A subscriber pointed at nothing just stays quiet: wait for a publisher to shake hands.
        let subscriber = try EventSubscriber(endpoint: connection.events)
        guard try subscriber.waitForPublisher(deadline: connection.replyTimeout) else {
            warn("no event publisher answered at \(connection.events) within \(connection.replyTimeout)"
                 + (SocketAccess.missingSocket(endpoint: connection.events, key: "event_endpoint").map { ": \($0)" }
                    ?? " (is the daemon running, and is this its event_endpoint? `systemctl status ttad`)"))
            throw Exit.unreachable
        }
        let clock = ContinuousClock()
        let end = duration.map { clock.now + .milliseconds(Int($0 * 1000)) }
        var seen = 0
        while count.map({ seen < $0 }) ?? true {
            if let end, clock.now >= end { break }
            guard let frames = try subscriber.receiveFrames(deadline: .milliseconds(500)) else { continue }
            seen += 1
            if connection.json {
                print(String(decoding: frames.last ?? [], as: UTF8.self))
            } else if let event = try? Event.decode(frames) {
                let fields: [String?] = [
                    event.taskId, event.attempt.map { "attempt \($0 + 1)" }, event.temperature.map { String(format: "T=%.2f", $0) },
                    event.steps.map { "\($0) steps" }, event.success.map { $0 ? "success" : "failure" },
                    event.reward.map { String(format: "reward %.3f", $0) }, event.abortReason, event.state, event.checkpoint, event.message,
                ]
                print("\(event.kind.rawValue): " + fields.compactMap { $0 }.joined(separator: " "))
            }
            fflush(nil)  // flush stdout even when it is a pipe
        }
    }
}
