import Adaptation
import ArgumentParser
import BLAS
import Daemon
import Logging
import ServiceLifecycle
import Systemd

/// `ttad`: the test-time adaptation daemon. Runs in the foreground (systemd supervises it).
@main
struct TTAD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttad",
        abstract: "On-robot test-time adaptation daemon.",
        version: Daemon.version)

    @Option(name: .long, help: "The daemon's config file.")
    var config: String = "/etc/ttad/ttad.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // A 2-4x faster OpenBLAS kernel on CPUs newer than Debian's OpenBLAS 0.3.21 knows.
        BLAS.reexecWithNativeKernelIfNeeded()
        let level = logLevel
        let toJournal = Journal.isConnected
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = toJournal ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ttad")
        logger.info("OpenBLAS kernel \(BLAS.coreName)", metadata: ["blas_core": "\(BLAS.coreName)"])
        let daemonConfig: DaemonConfig
        do { daemonConfig = try DaemonConfig.load(path: config) } catch {
            logger.critical("\(error)")
            throw ExitCode(78)  // EX_CONFIG: a bad config is not fixed by restarting
        }
        let daemon = Daemon(config: daemonConfig, logger: logger) { config, logger, startup in
            do {
                return try AdaptationEngine(
                    robotConfigDirectory: config.robotConfigDirectory, stateDirectory: config.stateDirectory,
                    defaultRobot: config.defaultRobot, onceGoodCheckpoints: startup.onceGoodCheckpoints,
                    log: { logger.warning("\($0)", metadata: ["event": "adaptation"]) })
            } catch {
                logger.critical("cannot load the robots or their checkpoints: \(error)")
                throw ExitCode(78)
            }
        }
        let group = ServiceGroup(services: [daemon], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
