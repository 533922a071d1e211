import ZeroMQ

/// A subscriber to the daemon's event socket (`event_endpoint`): every event the daemon
/// publishes, each wait with a deadline, so a client that follows progress never hangs on a
/// daemon that went quiet. Clients need no ZeroMQ of their own (docs/wire-protocol.md: Events).
///
/// Use it from one thread (a ZeroMQ socket has one owner).
public final class EventSubscriber {
    /// The event endpoint this subscriber is connected to.
    public let endpoint: String
    private let context: ZMQContext
    private let socket: ZMQSocket
    // Watches the connection until `waitForPublisher` has seen the handshake; then dropped.
    private var monitor: ZMQMonitor?

    /// Subscribes to every event and connects to `endpoint` (in the background: a publisher that
    /// is not there yet is retried quietly). Publishers send only to subscribers whose
    /// subscription has reached them, so subscribe before causing the events you want to see.
    public init(endpoint: String) throws {
        self.endpoint = endpoint
        context = try ZMQContext()
        socket = try ZMQSocket(context, .sub)
        try socket.subscribe()
        // The monitor must watch before connecting, or it could miss the handshake.
        monitor = try ZMQMonitor(socket, context: context)
        try socket.connect(endpoint)
    }

    deinit {
        monitor = nil  // stops monitoring while the watched socket is still open
        socket.close()
    }

    /// Waits until a publisher at `endpoint` has shaken hands; false when `deadline` passes
    /// first. A subscriber pointed at nothing only stays quiet; this tells that apart.
    public func waitForPublisher(deadline: Duration) throws -> Bool {
        guard let monitor else { return true }
        guard try monitor.waitForHandshake(deadline: deadline) else { return false }
        self.monitor = nil
        return true
    }

    /// The next event as published (`[topic, json]`), or nil when none arrives within `deadline`.
    public func receiveFrames(deadline: Duration) throws -> [[UInt8]]? {
        do { return try socket.receive(deadline: deadline) } catch let error as ZMQError where error.isTimeout { return nil }
    }

    /// The next event that reads as one, or nil when none arrives within `deadline`. Messages
    /// that do not decode (a newer daemon's event kind) are skipped.
    public func receive(deadline: Duration) throws -> Event? {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let left = end - clock.now
            guard left > .zero, let frames = try receiveFrames(deadline: left) else { return nil }
            if let event = try? Event.decode(frames) { return event }
        }
    }
}
