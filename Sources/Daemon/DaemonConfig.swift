import Foundation
import Yams
import ZeroMQ

/// The daemon's own settings (`/etc/ttad/ttad.yaml`). Robots are described in robot-configs;
/// docs/configuration.md lists every key with its default.
public struct DaemonConfig: Sendable, Equatable {
    /// Where requests arrive. Default `ipc:///run/ttad/ttad.sock`.
    public var requestEndpoint = "ipc:///run/ttad/ttad.sock"
    /// Where progress events are published. Default `ipc:///run/ttad/events.sock`.
    public var eventEndpoint = "ipc:///run/ttad/events.sock"
    /// History database and checkpoints live here. Default `/var/lib/ttad`.
    public var stateDirectory = "/var/lib/ttad"
    /// Folder of robot-config YAML files. Default `/etc/ttad/robots`.
    public var robotConfigDirectory = "/etc/ttad/robots"
    /// The robot a task runs on when it names none. Default `reacher2`.
    public var defaultRobot = "reacher2"
    /// How many tasks may wait; a submit beyond that gets `queue_full`. Default 64.
    public var queueCapacity = 64
    /// Unix permissions given to an ipc:// request socket file. Default 0660 (owner and group).
    public var socketMode: UInt16 = 0o660
    /// Optional TCP request endpoint; when set it requires CURVE (both key files must be given).
    public var tcpEndpoint: String?
    /// File holding the server's Z85 CURVE secret key (40 characters).
    public var curveSecretKeyFile: String?
    /// The CURVE clients `tcp_endpoint` admits: one `NAME.pub` file per client public key.
    /// Default `/etc/ttad/clients.d`. With `tcp_endpoint` set it must hold at least one key.
    public var curveClientKeysDirectory = "/etc/ttad/clients.d"
    /// The Prometheus `/metrics` endpoint (`metrics:`), off by default.
    public var metrics = MetricsConfig()
    /// Threads OpenBLAS may use for the PPO update. Default 1: the daemon shares the robot PC's
    /// cores with the robot's controller, and an idle OpenBLAS worker spins on `sched_yield` for
    /// a while after every call it took part in. On the adaptation suite (release build, 2
    /// cores) a second thread took 2 to 2.6 times the daemon's CPU time for the same ms per task
    /// (docs/experiment.md, the timing table). 0 leaves OpenBLAS its own choice (one per core,
    /// or `OPENBLAS_NUM_THREADS`). At most 256.
    public var blasThreads = 1

    public init() {}

    enum Key: String, CaseIterable {
        case requestEndpoint = "request_endpoint", eventEndpoint = "event_endpoint"
        case stateDirectory = "state_directory", robotConfigDirectory = "robot_config_directory"
        case defaultRobot = "default_robot", queueCapacity = "queue_capacity", socketMode = "socket_mode"
        case tcpEndpoint = "tcp_endpoint", curveSecretKeyFile = "curve_secret_key_file"
        case curveClientKeysDirectory = "curve_client_keys_directory"
        case metrics, blasThreads = "blas_threads"
    }

    /// An error in the config file: names the file, the key and what was expected.
    public struct Invalid: Error, CustomStringConvertible {
        public let file: String
        public let key: String?
        public let message: String
        public var description: String { "\(file): \(key.map { "\($0): " } ?? "")\(message)" }
    }

    /// Reads and checks a config file, and the CURVE key files it names (`checkCurveFiles`).
    public static func load(path: String) throws -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(file: path, key: nil, message: "cannot read the file")
        }
        let config = try parse(String(decoding: data, as: UTF8.self), file: path)
        try config.checkCurveFiles(file: path)
        return config
    }

    /// With a TCP endpoint: the server's secret key must decode, and the client allow-list must
    /// read cleanly and hold at least one key. An empty list would refuse every client, which is
    /// a configuration mistake better reported at start-up (exit 78) than found by a user.
    public func checkCurveFiles(file: String) throws {
        guard tcpEndpoint != nil, let keyFile = curveSecretKeyFile else { return }
        guard let data = FileManager.default.contents(atPath: keyFile) else {
            throw Invalid(file: file, key: Key.curveSecretKeyFile.rawValue, message: "cannot read \(keyFile) (the ttad user must be able to: root:ttad, mode 0640)")
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (try? ZMQCurveKeyPair.decode(key)) != nil else {
            throw Invalid(file: file, key: Key.curveSecretKeyFile.rawValue,
                          message: "\(keyFile) does not hold a Z85 CURVE secret key (40 characters; `ttactl keygen` makes one)")
        }
        let clients = CurveClientAllowList.read(directory: curveClientKeysDirectory)
        if let problem = clients.problems.first {
            throw Invalid(file: file, key: Key.curveClientKeysDirectory.rawValue, message: problem)
        }
        guard !clients.isEmpty else {
            throw Invalid(file: file, key: Key.curveClientKeysDirectory.rawValue, message:
                "\(curveClientKeysDirectory) holds no client public key (NAME.pub files), so tcp_endpoint would refuse "
                + "every client: add one (`ttactl keygen` makes a key pair) or remove tcp_endpoint")
        }
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> DaemonConfig {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw Invalid(file: file, key: nil, message: "not valid YAML: \(error)")
        }
        var config = DaemonConfig()
        guard let node else { return config }
        guard let mapping = node.mapping else { throw Invalid(file: file, key: nil, message: "expected a mapping of key: value") }
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? "?"
            guard let key = Key(rawValue: name) else {
                throw Invalid(file: file, key: name, message: "unknown key; known keys: \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            func string() throws -> String {
                guard let s = value.string, !s.isEmpty else { throw Invalid(file: file, key: name, message: "expected a non-empty string") }
                return s
            }
            switch key {
            case .requestEndpoint: config.requestEndpoint = try string()
            case .eventEndpoint: config.eventEndpoint = try string()
            case .stateDirectory: config.stateDirectory = try string()
            case .robotConfigDirectory: config.robotConfigDirectory = try string()
            case .defaultRobot: config.defaultRobot = try string()
            case .tcpEndpoint: config.tcpEndpoint = try string()
            case .curveSecretKeyFile: config.curveSecretKeyFile = try string()
            case .curveClientKeysDirectory: config.curveClientKeysDirectory = try string()
            case .metrics: config.metrics = try MetricsConfig.parse(value, file: file)
            case .queueCapacity:
                guard let n = value.int, (1...100_000).contains(n) else {
                    throw Invalid(file: file, key: name, message: "expected an integer from 1 to 100000")
                }
                config.queueCapacity = n
            case .blasThreads:
                guard let n = value.int, (0...256).contains(n) else {
                    throw Invalid(file: file, key: name, message: "expected an integer from 0 to 256 (0: OpenBLAS's own choice)")
                }
                config.blasThreads = n
            case .socketMode:
                guard let s = value.string, let mode = UInt16(s, radix: 8), mode <= 0o777 else {
                    throw Invalid(file: file, key: name, message: "expected an octal mode such as 0660")
                }
                config.socketMode = mode
            }
        }
        for (key, endpoint) in [(Key.requestEndpoint, config.requestEndpoint), (.eventEndpoint, config.eventEndpoint)] {
            guard endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("tcp://127.") || endpoint.hasPrefix("inproc://") else {
                throw Invalid(file: file, key: key.rawValue, message: "expected an ipc:// endpoint (or tcp://127.x for tests); remote access goes through tcp_endpoint with CURVE")
            }
        }
        if config.tcpEndpoint != nil, config.curveSecretKeyFile == nil {
            throw Invalid(file: file, key: Key.tcpEndpoint.rawValue, message: "a TCP endpoint requires CURVE: set curve_secret_key_file")
        }
        return config
    }
}
