import Foundation
@testable import Robots

/// A controller process started by a test (the real built `ttad-controller`, or the Python example).
///
/// Spawned with posix_spawn and reaped with waitpid (Foundation's Process.waitUntilExit can hang
/// on Linux when called off the thread that launched it); stderr goes to a file the test reads.
final class ControllerProcess {
    let pid: pid_t
    let endpoint: String
    private let logPath: String
    private var exitStatus: Int32?

    /// The built `ttad-controller`: `TTAD_CONTROLLER_BINARY`, else searched upward from the test bundle's folder.
    static let controllerBinary: String? = {
        if let path = ProcessInfo.processInfo.environment["TTAD_CONTROLLER_BINARY"] { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("ttad-controller").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }()

    /// A Python 3 with pyzmq (`TTAD_PYTHON`, /usr/bin/python3, or python3 on PATH), for the example controller.
    static let pythonWithZMQ: String? = {
        var candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
        if let p = ProcessInfo.processInfo.environment["TTAD_PYTHON"] { candidates.insert(p, at: 0) }
        candidates.append("python3")
        for python in candidates {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, "-c", "import zmq"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return python }
        }
        return nil
    }()

    static func freshEndpoint() -> String {
        "ipc://" + NSTemporaryDirectory() + "ttad-ctl-\(UUID().uuidString.prefix(8)).sock"
    }

    /// Starts `ttad-controller` serving reacher2 with the given extra arguments.
    static func reference(endpoint: String = freshEndpoint(), _ extra: [String] = []) throws -> ControllerProcess {
        guard let binary = controllerBinary else { throw RobotError.bridge("ttad-controller binary not found") }
        return try ControllerProcess(
            executable: binary, arguments: ["--config", TestSupport.configPath("reacher2"), "--endpoint", endpoint] + extra,
            endpoint: endpoint)
    }

    init(executable: String, arguments: [String], endpoint: String) throws {
        self.endpoint = endpoint
        logPath = NSTemporaryDirectory() + "ttad-ctl-\(UUID().uuidString.prefix(8)).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw RobotError.bridge("cannot start \(executable): errno \(rc)") }
        self.pid = pid
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            return false
        }
        return true
    }

    /// The exit code (negative: killed by that signal), once exited.
    var terminationStatus: Int32? { _ = isRunning; return exitStatus }

    /// Stops the process (SIGTERM, then SIGKILL after 2 s) and returns what it wrote to stderr.
    @discardableResult
    func terminate() -> String {
        if isRunning {
            kill(pid, SIGTERM)
            if !waitForExit(within: 2) {
                kill(pid, SIGKILL)
                _ = waitForExit(within: 2)
            }
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        // Leave no files behind in /tmp: the log, and the ipc socket file if the controller left one.
        try? FileManager.default.removeItem(atPath: logPath)
        if endpoint.hasPrefix("ipc://") { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst(6))) }
        return log
    }

    /// Waits (bounded) for the process to exit on its own.
    func waitForExit(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        return !isRunning
    }

    deinit { terminate() }
}

extension TestSupport {
    /// bridge-example pointed at `endpoint`, with optional tweaks.
    static func bridgeConfig(endpoint: String, stepDeadline: Duration = .milliseconds(500)) throws -> RobotConfig {
        var config = try load("bridge-example")
        guard case .bridge(var settings) = config.backend else { fatalError("bridge-example must be a bridge config") }
        settings.endpoint = endpoint
        settings.helloDeadline = .seconds(5)  // the first connect waits for the process to bind
        config.backend = .bridge(settings)
        config.stepDeadline = stepDeadline
        return config
    }
}
