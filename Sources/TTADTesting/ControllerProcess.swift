import Foundation

/// A robot controller in its own process for a test: the real built `ttad-controller`, or any
/// other controller (the Python example), speaking the bridge protocol on `endpoint`.
///
/// Spawned with posix_spawn and reaped with waitpid (Foundation's `Process.waitUntilExit` can
/// hang on Linux when called off the thread that launched it); standard error goes to a file that
/// `terminate()` returns. Stopped, and its files removed, when the value goes away.
public final class ControllerProcess {
    /// The process id.
    public let pid: pid_t
    /// The endpoint the controller binds.
    public let endpoint: String
    /// The file the controller's standard error goes to (read it from another thread by its path).
    public let logPath: String
    private var exitStatus: Int32?

    /// A controller that could not be started.
    public struct LaunchError: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// The built `ttad-controller`: `TTAD_CONTROLLER_BINARY`, else beside the test bundle; nil if not built.
    public static let controllerBinary: String? = Repository.builtProduct("ttad-controller", environmentVariable: "TTAD_CONTROLLER_BINARY")

    /// A Python 3 with pyzmq (`TTAD_PYTHON`, /usr/bin/python3, or python3 on PATH), for the example controller.
    public static let pythonWithZMQ: String? = {
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

    /// A fresh `ipc://` endpoint in the temporary folder.
    public static func freshEndpoint() -> String {
        "ipc://" + NSTemporaryDirectory() + "ttad-ctl-\(UUID().uuidString.prefix(8)).sock"
    }

    /// Starts `ttad-controller` serving the robot-config `config` (default: the repository's
    /// reacher2) on `endpoint`, with `extra` arguments (e.g. `["--fault", "late:300"]`).
    public static func reference(endpoint: String = freshEndpoint(), config: String = Repository.robotConfig("reacher2"),
                                 _ extra: [String] = []) throws -> ControllerProcess {
        guard let binary = controllerBinary else { throw LaunchError(description: "ttad-controller binary not found") }
        return try ControllerProcess(
            executable: binary, arguments: ["--config", config, "--endpoint", endpoint] + extra, endpoint: endpoint)
    }

    /// Starts `executable arguments` (searched on PATH if not a path), which is to bind `endpoint`.
    public init(executable: String, arguments: [String], endpoint: String) throws {
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
        guard rc == 0 else { throw LaunchError(description: "cannot start \(executable): errno \(rc)") }
        self.pid = pid
    }

    /// Whether the process is still running (reaps it once it has exited).
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            return false
        }
        return true
    }

    /// The exit code (negative: killed by that signal), once exited.
    public var terminationStatus: Int32? { _ = isRunning; return exitStatus }

    /// What the controller has written to standard error so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Stops the process (SIGTERM, then SIGKILL after 2 s), removes its log and ipc socket file,
    /// and returns what it wrote to standard error.
    @discardableResult
    public func terminate() -> String {
        if isRunning {
            kill(pid, SIGTERM)
            if !waitForExit(within: 2) {
                kill(pid, SIGKILL)
                _ = waitForExit(within: 2)
            }
        }
        let log = self.log
        // Leave no files behind in /tmp: the log, and the ipc socket file if the controller left one.
        try? FileManager.default.removeItem(atPath: logPath)
        if endpoint.hasPrefix("ipc://") { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst(6))) }
        return log
    }

    /// Waits (bounded by `seconds`) for the process to exit on its own; whether it did.
    public func waitForExit(within seconds: Double) -> Bool {
        Poll.until(.milliseconds(Int64(seconds * 1000)), every: .milliseconds(10)) { !isRunning }
    }

    deinit { terminate() }
}
