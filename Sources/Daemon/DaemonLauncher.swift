import Adaptation
import BLAS
import Logging
import ServiceLifecycle
import Systemd

/// Starts ttad as a process: the OpenBLAS kernel, logging to the journal (or stderr), the config,
/// the adaptation side, and the daemon's services (event publisher, control loop, request server,
/// systemd lifecycle) in one `ServiceGroup` that turns SIGTERM into a clean stop in reverse order.
/// The `ttad` executable only parses its command line and calls `run`.
public struct DaemonLauncher: Sendable {
    /// Why the daemon could not start in a way a restart cannot fix.
    public struct ConfigurationError: Error, CustomStringConvertible {
        /// What is wrong, naming the file and key.
        public let description: String
        /// The exit status for it: 78 (EX_CONFIG); ttad.service does not restart on it.
        public var exitStatus: Int32 { 78 }
    }

    /// The daemon's config file.
    public var configPath: String
    /// The lowest level logged.
    public var logLevel: Logger.Level

    /// A launcher for the config at `configPath`, logging from `logLevel` up.
    public init(configPath: String, logLevel: Logger.Level) {
        self.configPath = configPath
        self.logLevel = logLevel
    }

    /// Runs the daemon until SIGTERM or SIGINT (trapped from the start, so one that comes while the
    /// robots and checkpoints load still ends in a clean stop).
    /// - Throws: `ConfigurationError` for a bad config, or robots and checkpoints that cannot be
    ///   loaded (already logged as critical); any other error the daemon stopped with.
    public func run() async throws {
        // A 2-4x faster OpenBLAS kernel on CPUs newer than Debian's OpenBLAS 0.3.21 knows.
        // Replaces this process when it applies, so it comes before anything else starts.
        BLAS.reexecWithNativeKernelIfNeeded()
        let stops = StopSignals()
        Self.bootstrapLogging(level: logLevel)
        let logger = Logger(label: "ttad")
        logger.info("OpenBLAS kernel \(BLAS.coreName)", metadata: ["blas_core": "\(BLAS.coreName)"])
        let daemonConfig: DaemonConfig
        do { daemonConfig = try DaemonConfig.load(path: configPath) } catch {
            logger.critical("\(error)")
            throw ConfigurationError(description: "\(error)")  // a bad config is not fixed by restarting
        }
        if daemonConfig.blasThreads > 0 { BLAS.threads = daemonConfig.blasThreads }
        // Read back from OpenBLAS: what it will use, not what was asked.
        logger.info("OpenBLAS uses \(BLAS.threads) thread(s) for updates", metadata: ["blas_threads": "\(BLAS.threads)"])
        let daemon = Daemon(config: daemonConfig, logger: logger, makeAdaptation: Self.makeAdaptation)
        // Never released, so the history database stays open until the process exits. Closing it
        // would make SQLite checkpoint and delete its -wal and -shm files, and a daemon restarted
        // on a full disk could then not open its history at all (it must create them anew);
        // left in place, that start serves status and history, degraded (DaemonDiskFullTests).
        _ = Unmanaged.passRetained(daemon)
        // The parts in start order; the group stops them in reverse (see `Daemon.services()`).
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: try daemon.services(), logger: logger))
        // SIGTERM/SIGINT: the group's graceful shutdown, also for one that came during start-up
        // (the group then starts the parts and stops them at once, in order).
        stops.forward { Task { await group.triggerGracefulShutdown() } }
        try await group.run()
    }

    /// Sends every log line to journald (structured fields) when stderr is connected to the
    /// journal, as under systemd; else to stderr as text.
    static func bootstrapLogging(level: Logger.Level) {
        let toJournal = Journal.isConnected
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = toJournal ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// The adaptation side of a real robot: the robot-configs, their checkpoints and the engine.
    /// Robots or checkpoints that cannot be loaded at all are a configuration error.
    static let makeAdaptation: Daemon.AdaptationFactory = { config, logger, startup in
        do {
            return try AdaptationEngine(
                robotConfigDirectory: config.robotConfigDirectory, stateDirectory: config.stateDirectory,
                defaultRobot: config.defaultRobot, onceGoodCheckpoints: startup.onceGoodCheckpoints,
                log: { note in
                    let level: Logger.Level = switch note.severity {
                    case .info: .info
                    case .notice: .notice
                    case .warning: .warning
                    }
                    logger.log(level: level, "\(note.message)", metadata: ["event": "adaptation"])
                })
        } catch {
            logger.critical("cannot load the robots or their checkpoints: \(error)")
            throw ConfigurationError(description: "cannot load the robots or their checkpoints: \(error)")
        }
    }
}
