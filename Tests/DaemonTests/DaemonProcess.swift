import Foundation
import Testing
import Wire

/// A real `ttad` process for a test: its own temp state directory, ipc sockets and config.
final class DaemonProcess {
    let directory: String
    let endpoint: String
    let eventEndpoint: String
    let stateDirectory: String
    let process = Process()

    /// The built `ttad` beside the test bundle (or `TTAD_BINARY`).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["TTAD_BINARY"] { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ttad").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/ttad"
    }

    /// The repository's robot-configs folder.
    static var robotConfigs: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("robot-configs").path
    }

    /// `stateDirectory`: reuse one across restarts (crash tests); default: a fresh one.
    /// `robotConfigDirectory`: default, the repository's.
    init(extraConfig: String = "", stateDirectory: String? = nil, environment: [String: String] = [:],
         robotConfigDirectory: String? = nil) throws {
        directory = NSTemporaryDirectory() + "ttad-test-\(UUID().uuidString.prefix(8))"
        self.stateDirectory = stateDirectory ?? directory + "/state"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        endpoint = "ipc://\(directory)/ttad.sock"
        eventEndpoint = "ipc://\(directory)/events.sock"
        let config = """
            request_endpoint: \(endpoint)
            event_endpoint: \(eventEndpoint)
            state_directory: \(stateDirectory ?? directory + "/state")
            robot_config_directory: \(robotConfigDirectory ?? Self.robotConfigs)
            \(extraConfig)
            """
        try config.write(toFile: "\(directory)/ttad.yaml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config", "\(directory)/ttad.yaml"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        FileManager.default.createFile(atPath: "\(directory)/stderr.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: "\(directory)/stderr.log")
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// The built `ttactl` beside `ttad`.
    static var ttactl: String {
        URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("ttactl").path
    }

    /// Pings until the daemon answers or `deadline` passes.
    func waitUntilServing(deadline: Duration = .seconds(20)) throws {
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
    func client(timeout: Duration = .seconds(10)) throws -> WireClient {
        try WireClient(endpoint: endpoint, timeout: timeout)
    }

    /// Polls `task` until the task leaves queued/running, or `deadline` passes.
    func waitForTask(_ id: String, deadline: Duration = .seconds(120)) throws -> TaskInfo {
        let client = try client()
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            let info = try client.call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self)
            if !["queued", "running"].contains(info.state) { return info }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonExited(log: "task \(id) did not finish within \(deadline)\n" + log)
    }

    /// Kills the daemon with SIGKILL (a crash) and waits for it to be gone.
    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate(deadline: TimeInterval = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(deadline)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); return nil }
        return process.terminationStatus
    }

    var log: String {
        (try? String(contentsOfFile: "\(directory)/stderr.log", encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct DaemonExited: Error, CustomStringConvertible {
    let log: String
    var description: String { "ttad exited or hung:\n\(log)" }
}
