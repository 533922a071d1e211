import Foundation
import Wire

/// The setup most daemon tests share: a daemon that already answers, its events, a submit.
extension DaemonProcess {
    /// Starts `ttad` (see `init`) and waits until it answers a ping (`waitUntilServing`).
    public static func serving(extraConfig: String = "", stateDirectory: String? = nil, environment: [String: String] = [:],
                               robotConfigDirectory: String? = nil) throws -> DaemonProcess {
        let daemon = try DaemonProcess(extraConfig: extraConfig, stateDirectory: stateDirectory, environment: environment,
                                       robotConfigDirectory: robotConfigDirectory)
        try daemon.waitUntilServing()
        return daemon
    }

    /// A subscriber to every event this daemon publishes from now on: connected, its handshake
    /// with the daemon's publisher done. Throws `DaemonExited` when no publisher answers by
    /// `deadline`.
    public func subscribe(deadline: Duration = .seconds(10)) throws -> EventSubscriber {
        let events = try EventSubscriber(endpoint: eventEndpoint)
        guard try events.waitForPublisher(deadline: deadline) else {
            throw DaemonExited(log: "no event publisher at \(eventEndpoint) within \(deadline)\n" + log)
        }
        // The subscription goes out right after the handshake; let it reach the publisher before
        // the test causes the events it wants to see (a PUB socket drops what no one subscribed to).
        Thread.sleep(forTimeInterval: 0.1)
        return events
    }

    /// Submits a task on a client of its own; throws the daemon's refusal as a `WireError`.
    @discardableResult
    public func submit(_ args: SubmitArgs) throws -> SubmitResult {
        try client().call(Request(operation: .submit, args: .submit(args)), as: SubmitResult.self)
    }
}

extension EventSubscriber {
    /// Events until one satisfies `last` (included) or `deadline` passes, in the order they came.
    public func events(until last: (Event) -> Bool, deadline: Duration = .seconds(30)) throws -> [Event] {
        var seen: [Event] = []
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            guard let event = try receive(deadline: min(end - clock.now, .milliseconds(200))) else { continue }
            seen.append(event)
            if last(event) { break }
        }
        return seen
    }
}
