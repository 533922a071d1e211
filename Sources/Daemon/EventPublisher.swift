import Logging
import ServiceLifecycle
import Synchronization
import Wire
import ZeroMQ

/// Publishes progress events on the event socket (PUB). A PUB socket never blocks on slow
/// subscribers (libzmq drops at the high-water mark), so publishing cannot stall the control loop.
///
/// As a `Service` it owns the socket's lifetime: bound at init, closed when the group shuts it
/// down, which it does after the control loop and the request server stopped (they publish).
final class EventPublisher: Service, CustomStringConvertible, Sendable {
    let description = "EventPublisher"
    private let socket: Mutex<ZMQSocket?>
    private let logger: Logger

    init(context: ZMQContext, endpoint: String, mode: UInt16, logger: Logger) throws {
        let socket = try ZMQSocket(context, .pub)
        try socket.setHighWaterMark(10_000)
        try RequestServer.prepareIPC(endpoint)
        try socket.bind(endpoint)
        try RequestServer.setMode(mode, endpoint: endpoint)
        self.socket = Mutex(socket)
        self.logger = logger
    }

    func publish(_ event: Event) {
        socket.withLock { socket in
            do { try socket?.send(event.frames()) } catch {
                logger.debug("event not published", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Serves until graceful shutdown (or cancellation), then closes the socket.
    func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    func close() {
        socket.withLock { $0?.close(); $0 = nil }
    }
}
