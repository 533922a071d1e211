import Yams

/// The `metrics:` section of the daemon config: the Prometheus `/metrics` endpoint, off by default.
/// docs/metrics.md describes the endpoint; docs/configuration.md lists the keys.
public struct MetricsConfig: Sendable, Equatable {
    /// Whether to serve `/metrics`. Default false.
    public var enabled = false
    /// Where to listen when systemd hands over no `metrics` socket (outside systemd):
    /// `HOST:PORT`, a loopback address. Default `127.0.0.1:9464`.
    public var listen = "127.0.0.1:9464"
    /// Connections served at once; one more is answered 503 and closed. Default 8.
    public var maxConnections = 8
    /// Seconds a connection has to send its request and take the reply before it is closed. Default 5.
    public var requestTimeoutSeconds = 5.0
    /// How many of the latest finished tasks per robot and task the success-rate and mean-reward
    /// gauges average over. Default 20.
    public var windowTasks = 20

    public init() {}

    enum Key: String, CaseIterable {
        case enabled, listen, maxConnections = "max_connections", requestTimeout = "request_timeout_seconds"
        case windowTasks = "window_tasks"
    }

    /// The host and port of `listen`.
    public var listenAddress: (host: String, port: Int) {
        let colon = listen.lastIndex(of: ":")!
        return (String(listen[..<colon]).trimmingCharacters(in: ["[", "]"]), Int(listen[listen.index(after: colon)...])!)
    }

    /// Parses the `metrics:` mapping; errors name `metrics.KEY`.
    static func parse(_ node: Node, file: String) throws -> MetricsConfig {
        guard let mapping = node.mapping else {
            throw DaemonConfig.Invalid(file: file, key: "metrics", message: "expected a mapping (enabled, listen, max_connections, request_timeout_seconds, window_tasks)")
        }
        var config = MetricsConfig()
        for (keyNode, value) in mapping {
            let name = "metrics.\(keyNode.string ?? "?")"
            guard let key = Key(rawValue: keyNode.string ?? "") else {
                throw DaemonConfig.Invalid(file: file, key: name, message: "unknown key; known keys: \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            switch key {
            case .enabled:
                guard let flag = value.bool else { throw DaemonConfig.Invalid(file: file, key: name, message: "expected true or false") }
                config.enabled = flag
            case .listen:
                guard let text = value.string, let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                      (0...65535).contains(port) else {
                    throw DaemonConfig.Invalid(file: file, key: name, message: "expected HOST:PORT such as 127.0.0.1:9464 (port 0: any free port, as tests use)")
                }
                let host = String(text[..<colon])
                // Loopback only: a remote scraper goes through a proxy or federation, never straight to the robot.
                guard host.hasPrefix("127.") || host == "[::1]" || host == "localhost" else {
                    throw DaemonConfig.Invalid(file: file, key: name, message: "expected a loopback address (127.x.x.x or [::1]); \(host) is not")
                }
                config.listen = text
            case .maxConnections:
                guard let n = value.int, (1...1024).contains(n) else {
                    throw DaemonConfig.Invalid(file: file, key: name, message: "expected an integer from 1 to 1024")
                }
                config.maxConnections = n
            case .requestTimeout:
                guard let seconds = value.float, seconds.isFinite, seconds > 0, seconds <= 300 else {
                    throw DaemonConfig.Invalid(file: file, key: name, message: "expected seconds, more than 0 and at most 300")
                }
                config.requestTimeoutSeconds = seconds
            case .windowTasks:
                guard let n = value.int, (1...10_000).contains(n) else {
                    throw DaemonConfig.Invalid(file: file, key: name, message: "expected an integer from 1 to 10000")
                }
                config.windowTasks = n
            }
        }
        return config
    }
}
