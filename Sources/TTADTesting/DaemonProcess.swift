import Foundation
import Wire

/// A real `ttad` for a test: the built binary in its own process, with its own temporary folder
/// for the config, the ipc sockets, the state and its standard error.
///
/// The process is killed and the folder removed when the value goes away.
public final class DaemonProcess {
    /// The temporary folder holding `ttad.yaml`, the sockets, `stderr.log` and (by default) the state.
    public let directory: String
    /// The request endpoint (`ipc://...`).
    public let endpoint: String
    /// The event endpoint (`ipc://...`).
    public let eventEndpoint: String
    /// The state folder (history, checkpoints).
    public let stateDirectory: String
    /// The running process.
    public let process = Process()

    /// The built `ttad`: `TTAD_BINARY`, else beside the test bundle, else `.build/debug/ttad`.
    public static var binary: String {
        Repository.builtProduct("ttad", environmentVariable: "TTAD_BINARY") ?? ".build/debug/ttad"
    }

    /// The built `ttactl` beside `ttad`.
    public static var ttactl: String {
        URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("ttactl").path
    }

    /// The repository's robot-configs folder (what a daemon serves unless told otherwise).
    public static var robotConfigs: String { Repository.robotConfigs }

    /// Starts `ttad` (it is not serving yet: see `waitUntilServing`).
    /// - Parameters:
    ///   - extraConfig: lines appended to the generated `ttad.yaml`.
    ///   - stateDirectory: reuse one across restarts (crash tests); default, a fresh one.
    ///   - environment: added to the test's environment (`NOTIFY_SOCKET` and `JOURNAL_STREAM` are removed).
    ///   - robotConfigDirectory: default, the repository's.
    ///   - launcher: a command that runs `ttad` itself (e.g. `systemd-socket-activate --listen=...`);
    ///     it must exec ttad, so that the process is ttad.
    public init(extraConfig: String = "", stateDirectory: String? = nil, environment: [String: String] = [:],
                robotConfigDirectory: String? = nil, launcher: [String] = []) throws {
        directory = NSTemporaryDirectory() + "ttad-test-\(UUID().uuidString.prefix(8))"
        self.stateDirectory = stateDirectory ?? directory + "/state"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        endpoint = "ipc://\(directory)/ttad.sock"
        eventEndpoint = "ipc://\(directory)/events.sock"
        let config = """
            request_endpoint: \(endpoint)
            event_endpoint: \(eventEndpoint)
            state_directory: \(self.stateDirectory)
            robot_config_directory: \(robotConfigDirectory ?? Self.robotConfigs)
            \(extraConfig)
            """
        try config.write(toFile: "\(directory)/ttad.yaml", atomically: true, encoding: .utf8)
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(launcher.dropFirst()) + [Self.binary, "--config", "\(directory)/ttad.yaml"]
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["--config", "\(directory)/ttad.yaml"]
        }
        var env = ProcessInfo.processInfo.environment
        // The test may itself run under systemd: this daemon must not talk to the test's systemd.
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        FileManager.default.createFile(atPath: "\(directory)/stderr.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: "\(directory)/stderr.log")
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Pings until the daemon answers; throws `DaemonExited` if it exits first or `deadline` passes.
    public func waitUntilServing(deadline: Duration = .seconds(20)) throws {
        let client = try WireClient(endpoint: endpoint, timeout: .milliseconds(200))
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if !process.isRunning { throw DaemonExited(log: log) }
            if (try? client.call(Request(operation: .ping), as: Pong.self)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonExited(log: "did not answer within \(deadline)\n" + log)
    }

    /// A client of this daemon.
    public func client(timeout: Duration = .seconds(10)) throws -> WireClient {
        try WireClient(endpoint: endpoint, timeout: timeout)
    }

    /// Polls `task` until the task leaves queued/running; throws `DaemonExited` if `deadline` passes first.
    public func waitForTask(_ id: String, deadline: Duration = .seconds(120)) throws -> TaskInfo {
        let client = try client()
        var info: TaskInfo?
        let ended = try Poll.until(deadline, every: .milliseconds(50)) {
            info = try client.call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self)
            return !["queued", "running"].contains(info!.state)
        }
        guard ended, let info else { throw DaemonExited(log: "task \(id) did not finish within \(deadline)\n" + log) }
        return info
    }

    /// Kills the daemon with SIGKILL (a crash) and waits for it to be gone.
    public func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and returns the exit status; nil if it had to be killed after `deadline` seconds.
    public func terminate(deadline: TimeInterval = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(deadline)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); return nil }
        return process.terminationStatus
    }

    /// What the daemon wrote to standard error so far.
    public var log: String {
        (try? String(contentsOfFile: "\(directory)/stderr.log", encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
