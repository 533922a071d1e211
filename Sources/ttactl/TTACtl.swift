import ArgumentParser
import Foundation
import Wire

/// `ttactl`: talk to a running ttad.
@main
struct TTACtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttactl",
        abstract: "Send tasks to ttad and watch it adapt.",
        subcommands: [Ping.self, Status.self, Submit.self, TaskCommand.self, Cancel.self, History.self, Checkpoints.self,
                      Rollback.self, Pause.self, Resume.self, EStop.self, Reload.self, Watch.self, Report.self])
}

/// Options every subcommand takes.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's request endpoint (env TTAD_ENDPOINT).")
    var endpoint: String = ProcessInfo.processInfo.environment["TTAD_ENDPOINT"] ?? "ipc:///run/ttad/ttad.sock"

    @Option(name: .long, help: "Seconds to wait for the daemon's reply.")
    var timeout: Double = 5

    @Option(name: .long, help: "The daemon's event endpoint, for live progress (env TTAD_EVENTS).")
    var events: String = ProcessInfo.processInfo.environment["TTAD_EVENTS"] ?? "ipc:///run/ttad/events.sock"

    @Flag(name: .long, help: "Print the daemon's reply as JSON.")
    var json = false

    func client() throws -> WireClient {
        try WireClient(endpoint: endpoint, timeout: .milliseconds(Int(timeout * 1000)))
    }
}

/// Exit codes scripts can rely on (docs/ttactl.md).
enum Exit {
    /// The daemon answered with an error.
    static let daemonError = ExitCode(1)
    /// The task ended but not `done` (failed, cancelled, interrupted).
    static let taskNotDone = ExitCode(2)
    /// Gave up waiting for a task to finish (it goes on in the daemon).
    static let waitTimedOut = ExitCode(75)
    /// Bad command-line usage (ArgumentParser's own).
    static let usage = ExitCode(64)
    /// No daemon answered within the deadline.
    static let unreachable = ExitCode(69)
}

/// Writes a line to stderr.
func warn(_ line: String) {
    FileHandle.standardError.write(Data("ttactl: \(line)\n".utf8))
}

/// Runs `body`, turning failures into a clear message and a stable exit code.
func run<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let failure as WireClient.Failure {
        FileHandle.standardError.write(Data("ttactl: \(failure)\n".utf8))
        throw Exit.unreachable
    } catch let error as WireError {
        FileHandle.standardError.write(Data("ttactl: daemon refused: \(error)\n".utf8))
        throw Exit.daemonError
    }
}

/// Prints a result as JSON (snake_case, as on the wire).
func printJSON<T: Encodable>(_ value: T) {
    let encoder = WireCoding.encoder
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
}

extension TTACtl {
    static func run<T>(_ body: () throws -> T) throws -> T { try ttactl.run(body) }
}
