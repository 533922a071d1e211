import ArgumentParser
import Foundation
import Wire

/// `ttactl`: talk to a running ttad.
@main
struct TTACtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttactl",
        abstract: "Send tasks to ttad and watch it adapt.",
        subcommands: [Ping.self, Status.self])
}

/// Options every subcommand takes.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's request endpoint (env TTAD_ENDPOINT).")
    var endpoint: String = ProcessInfo.processInfo.environment["TTAD_ENDPOINT"] ?? "ipc:///run/ttad/ttad.sock"

    @Option(name: .long, help: "Seconds to wait for the daemon's reply.")
    var timeout: Double = 5

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
    /// Bad command-line usage (ArgumentParser's own).
    static let usage = ExitCode(64)
    /// No daemon answered within the deadline.
    static let unreachable = ExitCode(69)
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

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the daemon answers.")
    @OptionGroup var connection: Connection

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let pong = try TTACtl.run { try connection.client().call(Request(operation: .ping), as: Pong.self) }
        let elapsed = clock.now - start
        if connection.json { printJSON(pong) } else {
            print("pong from ttad \(pong.version) (pid \(pong.pid)) in \(elapsed.formatted(.units(allowed: [.milliseconds, .microseconds], width: .narrow)))")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's health, robot, checkpoint and queue.")
    @OptionGroup var connection: Connection

    func run() throws {
        let status = try TTACtl.run { try connection.client().call(Request(operation: .status), as: StatusResult.self) }
        if connection.json { printJSON(status); return }
        print("health:      \(status.health)\(status.healthReason.map { " (\($0))" } ?? "")")
        print("version:     \(status.version), pid \(status.pid), up \(Int(status.uptimeSeconds)) s")
        print("robot:       \(status.robot) (\(status.backend)); robots: \(status.robots.joined(separator: ", "))")
        print("checkpoint:  \(status.checkpoint ?? "-") (last good: \(status.lastGoodCheckpoint ?? "-"))")
        print("adapting:    \(status.adapting ? "yes" : "no")")
        print("task:        \(status.runningTask ?? "idle"); queued \(status.queued)/\(status.queueCapacity)")
        print("counters:    \(status.tasksDone) tasks, \(status.updatesAccepted) updates accepted, \(status.updatesRefused) refused, \(status.rollbacks) rollbacks")
    }
}

extension TTACtl {
    static func run<T>(_ body: () throws -> T) throws -> T { try ttactl.run(body) }
}
