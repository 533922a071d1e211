import ArgumentParser
import Daemon
import Logging

/// `ttad`: the test-time adaptation daemon. Runs in the foreground (systemd supervises it).
/// Everything but the command line is `DaemonLauncher`'s.
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
        do { try await DaemonLauncher(configPath: config, logLevel: logLevel).run() } catch let error as DaemonLauncher.ConfigurationError {
            // Already logged; the status tells systemd not to restart (RestartPreventExitStatus=78).
            throw ExitCode(error.exitStatus)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
