import ArgumentParser
import Foundation
import Wire

/// `ttactl`: talk to a running ttad.
@main
struct TTACtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttactl",
        abstract: "Send tasks to ttad and watch it adapt.",
        discussion: """
            Exit status: 0 done; 1 the daemon refused (the message names the field); 2 a task ended \
            but not done; 64 bad usage; 69 no daemon answered within --timeout; 73 keygen would \
            overwrite a key file, or export-checkpoint could not write; 75 gave up waiting for a task; 77 the daemon's socket refused this \
            user (not in its group). Every subcommand, flag and example: docs/ttactl.md \
            (/usr/share/doc/ttad/ttactl.md when installed).
            """,
        subcommands: [Ping.self, Status.self, Submit.self, Evaluate.self, TaskCommand.self, Cancel.self, History.self, Checkpoints.self,
                      Rollback.self, Import.self, ExportCheckpoint.self, Label.self, Pause.self, Resume.self, EStop.self, Reload.self, Watch.self,
                      Report.self, Export.self, Keygen.self, Demo.self, Demos.self])
}

/// Options every subcommand that talks to the daemon takes.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's request endpoint, ipc://PATH or tcp://HOST:PORT (env TTAD_ENDPOINT).")
    var endpoint: String = ProcessInfo.processInfo.environment["TTAD_ENDPOINT"] ?? "ipc:///run/ttad/ttad.sock"

    @Option(name: .long, help: "Seconds to wait for the daemon's reply.")
    var timeout: Double = 5

    @Option(name: .long, help: "The daemon's event endpoint, for live progress (env TTAD_EVENTS).")
    var events: String = ProcessInfo.processInfo.environment["TTAD_EVENTS"] ?? "ipc:///run/ttad/events.sock"

    @Option(name: .long, help: "tcp:// only: the daemon's CURVE public key, Z85 or a file holding it (env TTAD_CURVE_SERVER_KEY).")
    var curveServerKey: String?

    @Option(name: .long, help: "tcp:// only: your CURVE secret key file, as `ttactl keygen` writes it (env TTAD_CURVE_KEY_FILE).")
    var curveKeyFile: String?

    @Flag(name: .long, help: "Print the daemon's reply as JSON.")
    var json = false

    func validate() throws {
        try Endpoint.validate(endpoint, option: "--endpoint")
        try Endpoint.validate(events, option: "--events")
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout \(timeout): expected a positive number of seconds") }
        _ = try curveKeys()
    }

    /// The reply deadline.
    var replyTimeout: Duration { .milliseconds(Int((timeout * 1000).rounded(.up))) }

    /// A client of the request endpoint. Exits 77 when the socket's permissions shut this user out.
    func client() throws -> WireClient {
        try checkAccess(endpoint)
        return try WireClient(endpoint: endpoint, timeout: replyTimeout, curve: try curveKeys())
    }

    /// Exits 77, with what to do, when this user may not connect to the ipc socket of `endpoint`.
    func checkAccess(_ endpoint: String) throws {
        if let denied = SocketAccess.denial(endpoint: endpoint) {
            warn("\(denied)")
            throw Exit.noPermission
        }
    }

    /// The CURVE keys for a tcp:// endpoint (nil for ipc://, or when none are given: plain TCP,
    /// which only a test daemon on tcp://127.x serves). Both keys or neither.
    func curveKeys() throws -> CurveKeys.Client? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let server = curveServerKey ?? environment["TTAD_CURVE_SERVER_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let keyFile = curveKeyFile ?? environment["TTAD_CURVE_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (server, keyFile) {
        case (nil, nil): return nil
        case (nil, _): throw ValidationError("--curve-key-file needs --curve-server-key too (the daemon's public key)")
        case (_, nil): throw ValidationError("--curve-server-key needs --curve-key-file too (your secret key; `ttactl keygen` makes one)")
        case (let server?, let keyFile?):
            let serverKey = try CurveKeyText.read(server, option: "--curve-server-key", allowInline: true)
            let secret = try CurveKeyText.read(keyFile, option: "--curve-key-file", allowInline: false)
            guard let publicKey = try? CurveKeys.publicKey(forSecretKey: secret) else {
                throw ValidationError("--curve-key-file \(keyFile): not a CURVE secret key")
            }
            return (try CurveKeys.decode(serverKey), try CurveKeys.decode(publicKey), try CurveKeys.decode(secret))
        }
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
    /// `keygen` could not write its files (one exists already, or the folder is not writable), or
    /// `export-checkpoint` could not write one.
    static let cannotCreate = ExitCode(73)
    /// The daemon's socket refused this user (not in the socket's group).
    static let noPermission = ExitCode(77)
}

/// Writes a line to stderr.
func warn(_ line: String) {
    FileHandle.standardError.write(Data("ttactl: \(line)\n".utf8))
}

/// Runs `body`, turning failures into a clear message and a stable exit code.
func run<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let failure as WireClient.Failure {
        if case .noAnswer(let endpoint, _) = failure {
            // Why no answer came, when the socket file can tell: it is shut to us, or it is not there.
            if let denied = SocketAccess.denial(endpoint: endpoint) {
                warn("\(denied)")
                throw Exit.noPermission
            }
            if let missing = SocketAccess.missingSocket(endpoint: endpoint) {
                warn("no answer from ttad at \(endpoint): \(missing)")
                throw Exit.unreachable
            }
            if endpoint.hasPrefix("tcp://") {
                // Over TCP a refused CURVE key looks like silence too; the daemon's journal tells.
                warn("\(failure); over tcp:// the daemon answers only CURVE clients whose public key is in its "
                     + "curve_client_keys_directory (its journal names refused keys: TTAD_EVENT=curve_client_refused)")
                throw Exit.unreachable
            }
        }
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
