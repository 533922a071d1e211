import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Systemd
import Wire
import ZeroMQ

/// The ttad daemon as a swift-service-lifecycle `Service`: binds its sockets, serves requests,
/// tells systemd when it is ready, and shuts down cleanly when the group asks (SIGTERM).
public final class Daemon: Service, @unchecked Sendable {
    /// The version reported by `ping` and `status`.
    public static let version = "0.1.0"

    private let config: DaemonConfig
    private let logger: Logger
    private let notifier = SystemdNotifier()
    private let watchdog = ProgressWatchdog()
    private let started = ContinuousClock.now

    public init(config: DaemonConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        let context = try ZMQContext()
        let server = try RequestServer(context: context, config: config, watchdog: watchdog, logger: logger) { [self] request in
            handle(request)
        }
        server.start()
        notifier.ready(status: "serving on \(config.requestEndpoint)")
        logger.notice("ready", metadata: ["event": "ready", "endpoint": "\(config.requestEndpoint)"])

        try? await gracefulShutdown()

        notifier.stopping()
        logger.notice("stopping", metadata: ["event": "stopping"])
        server.stop()
        context.shutdown()
        if let path = RequestServer.ipcPath(config.requestEndpoint) { unlink(path) }
    }

    /// Answers one request. Runs on the request thread; never throws, never blocks for long.
    func handle(_ request: Request) -> [UInt8] {
        switch request.operation {
        case .ping:
            return Reply.success(Pong(version: Self.version, pid: getpid()), id: request.id).encoded()
        case .status:
            return Reply.success(status(), id: request.id).encoded()
        default:
            return Reply<Empty>.failure(
                WireError(.unavailable, field: "op", "operation \"\(request.operation.rawValue)\" is not available in this build"),
                id: request.id
            ).encoded()
        }
    }

    private func status() -> StatusResult {
        StatusResult(
            health: "ok", version: Self.version, pid: getpid(),
            uptimeSeconds: Double((ContinuousClock.now - started).components.seconds),
            robot: config.defaultRobot, backend: "mujoco", robots: [config.defaultRobot],
            checkpoint: nil, lastGoodCheckpoint: nil, adapting: false, runningTask: nil,
            queued: 0, queueCapacity: config.queueCapacity,
            tasksDone: 0, updatesAccepted: 0, updatesRefused: 0, rollbacks: 0)
    }
}
