import Foundation

/// Runs the built `ttactl` as a real process (optionally as another user, through setpriv) and
/// collects its exit status, standard output and standard error.
public enum TTACtlRunner {
    /// What one run of `ttactl` did.
    public struct Result: Sendable {
        /// The exit status; -1 if it was killed for running past its deadline.
        public let status: Int32
        /// Its standard output.
        public let output: String
        /// Its standard error.
        public let errors: String
    }

    /// Runs `ttactl arguments`; `user`: run as this user (tests run as root) with no extra groups.
    /// The `TTAD_*` endpoint and key variables of the test's environment are removed, `environment`
    /// added. Killed, and reported as status -1, if it has not finished after `deadline` seconds.
    public static func run(_ arguments: [String], user: String? = nil, environment: [String: String] = [:],
                           deadline: TimeInterval = 60) throws -> Result {
        let scratch = NSTemporaryDirectory() + "ttactl-run-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=\(user == "nobody" ? "nogroup" : user)", "--clear-groups", "--",
                                 DaemonProcess.ttactl] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: DaemonProcess.ttactl)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        for key in ["TTAD_ENDPOINT", "TTAD_EVENTS", "TTAD_CURVE_SERVER_KEY", "TTAD_CURVE_KEY_FILE"] { env.removeValue(forKey: key) }
        if let user { env["USER"] = user }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: scratch + "/out")
        process.standardError = FileHandle(forWritingAtPath: scratch + "/err")
        try process.run()
        let end = Date().addingTimeInterval(deadline)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return Result(status: -1, output: read(scratch + "/out"), errors: read(scratch + "/err"))
        }
        return Result(status: process.terminationStatus, output: read(scratch + "/out"), errors: read(scratch + "/err"))
    }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
