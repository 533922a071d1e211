import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` over HTTP/1.1 on one SwiftNIO event-loop thread (`docs/metrics.md`).
///
/// It listens on the socket systemd handed over (`ttad-metrics.socket`, so the endpoint works under
/// `PrivateNetwork=yes`), or outside systemd on `metrics.listen`. Limits: at most
/// `maxConnections` connections at once (one more is answered 503 and closed), each closed after
/// `requestTimeout` whether or not its request came, and one request per connection. Anything but
/// `GET` is 405 and any other path 404. A reply is rendered from snapshots (`render`), so a scrape
/// never waits on the robot, an update, the history or an e-stop, nor they on it.
final class MetricsServer: Service, CustomStringConvertible, Sendable {
    let description = "MetricsServer"
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let logger: Logger

    /// Where it listens.
    enum Socket {
        /// A listening socket made by systemd (socket activation).
        case activated(Int32)
        /// Bind `host:port` here.
        case address(host: String, port: Int)
    }

    /// Starts listening (before the service group runs: a failure here throws and nothing is served).
    init(socket: Socket, maxConnections: Int, requestTimeout: Double, logger: Logger,
         render: @escaping @Sendable () -> [UInt8]) throws {
        self.logger = logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = ConnectionCount(limit: maxConnections)
        let deadline = TimeAmount.nanoseconds(Int64(requestTimeout * 1e9))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard open.enter() else {
                    // Over the limit: a 503 naming the limit, and closed within a second whatever the client does.
                    let refusal = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                    channel.closeFuture.whenComplete { _ in refusal.cancel() }
                    return channel.eventLoop.makeCompletedFuture {
                        // It half-closes after its 503 and waits for the client's end (MetricsOverLimitHandler).
                        try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
                        try channel.pipeline.syncOperations.addHandler(MetricsOverLimitHandler(maxConnections: maxConnections))
                    }
                }
                // The request deadline: counted from accept, so a slow sender cannot keep its slot.
                let timeout = channel.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in
                    timeout.cancel()
                    open.leave()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
        do {
            switch socket {
            case .activated(let fd): channel = try bootstrap.withBoundSocket(fd).wait()
            case .address(let host, let port): channel = try bootstrap.bind(host: host, port: port).wait()
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.group = group
    }

    /// The address it listens on (`127.0.0.1:9464`).
    var localAddress: String {
        guard let address = channel.localAddress else { return "?" }
        return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }

    /// Serves until graceful shutdown (or cancellation), then stops listening and ends its thread.
    func run() async throws {
        try? await gracefulShutdown()
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// How many metrics connections are open, against the limit.
private final class ConnectionCount: Sendable {
    private let open = Mutex(0)
    let limit: Int
    init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all `limit` are taken.
    func enter() -> Bool {
        open.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    /// Gives a slot back.
    func leave() { open.withLock { $0 -= 1 } }
}
