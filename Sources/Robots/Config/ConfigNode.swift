import Yams

/// A typed view of one YAML node that knows where it is (file and key path), so that every
/// parse error says exactly which key was wrong, what was expected and what was found.
///
/// The one way robot-configs are read: the Robots module reads its keys with it, and the
/// Adaptation module reads the `policy:`, `learning:` and `adaptation:` sections with it
/// (`init(section:file:key:)`), so every section is strict and every error reads alike.
public struct ConfigNode {
    let node: Node
    /// The YAML file, as given to `RobotConfig.load`.
    public let file: String
    /// The key path of this node, e.g. `safety.joint_position_limits.elbow` or `observation[2]`.
    public let path: String

    init(node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    /// An error at this node: the file, its key path and `message`.
    public func error(_ message: String) -> RobotConfigError {
        RobotConfigError(file: file, keyPath: path, message: message)
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// How a node reads in an error message: its scalar text, or its kind.
    public var shown: String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Mappings

    /// The mapping's entries in file order (keys must be strings).
    public func entries() throws(RobotConfigError) -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(shown)") }
        var out: [(String, ConfigNode)] = []
        for (key, value) in mapping {
            guard case .scalar(let k) = key else { throw error("expected string keys, found \(ConfigNode(node: key, file: file, path: path).shown)") }
            out.append((k.string, ConfigNode(node: value, file: file, path: child(k.string))))
        }
        return out
    }

    /// Fails naming the first key that is not in `allowed` (typos must not pass silently).
    public func onlyKeys(_ allowed: Set<String>) throws(RobotConfigError) {
        for (key, value) in try entries() where !allowed.contains(key) {
            throw value.error("unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// The value at `key`, or nil when it is absent or null.
    public func optional(_ key: String) throws(RobotConfigError) -> ConfigNode? {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(shown)") }
        guard let value = mapping[key] else { return nil }
        let found = ConfigNode(node: value, file: file, path: child(key))
        return found.isNull ? nil : found
    }

    /// The value at `key`; absent or null is an error naming the key.
    public func required(_ key: String) throws(RobotConfigError) -> ConfigNode {
        guard let value = try optional(key) else {
            throw RobotConfigError(file: file, keyPath: child(key), message: "missing; this key is required")
        }
        return value
    }

    // MARK: Scalars

    /// A non-empty string.
    public func string() throws(RobotConfigError) -> String {
        guard case .scalar(let s) = node, !s.string.isEmpty else { throw error("expected a string, found \(shown)") }
        return s.string
    }

    /// A finite number, or `.inf` / `-.inf`.
    public func double() throws(RobotConfigError) -> Double {
        // Accept YAML's .inf spellings so unlimited joints can be written plainly.
        guard case .scalar(let s) = node else { throw error("expected a number, found \(shown)") }
        switch s.string.lowercased() {
        case ".inf", "+.inf", "inf": return .infinity
        case "-.inf", "-inf": return -.infinity
        default: break
        }
        guard let value = Double(s.string), value.isFinite else { throw error("expected a number, found \(shown)") }
        return value
    }

    /// A finite number > 0.
    public func positiveDouble() throws(RobotConfigError) -> Double {
        guard let value = try? double(), value > 0 else { throw error("expected a positive number, found \(shown)") }
        return value
    }

    /// An integer >= `min`.
    public func int(min: Int = Int.min) throws(RobotConfigError) -> Int {
        guard case .scalar(let s) = node, let value = Int(s.string) else { throw error("expected an integer, found \(shown)") }
        guard value >= min else { throw error("expected an integer >= \(min), found \(shown)") }
        return value
    }

    /// true/false (also yes/no, on/off).
    public func bool() throws(RobotConfigError) -> Bool {
        guard case .scalar(let s) = node else { throw error("expected true or false, found \(shown)") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found \(shown)")
        }
    }

    /// A duration given in milliseconds (keys end in `_ms`).
    public func milliseconds() throws(RobotConfigError) -> Duration {
        let value = try positiveDouble()
        return .microseconds(Int64(value * 1000))
    }

    // MARK: Lists

    /// The list's items, each with its index in the key path (`observation[2]`).
    public func list() throws(RobotConfigError) -> [ConfigNode] {
        guard case .sequence(let seq) = node else { throw error("expected a list, found \(shown)") }
        return seq.enumerated().map { ConfigNode(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    /// A list of non-empty strings.
    public func strings() throws(RobotConfigError) -> [String] {
        var out: [String] = []
        for item in try list() { out.append(try item.string()) }
        return out
    }

    /// A list of numbers, of exactly `count` when given.
    public func doubles(count: Int? = nil) throws(RobotConfigError) -> [Double] {
        var out: [Double] = []
        for item in try list() { out.append(try item.double()) }
        if let count, out.count != count { throw error("expected a list of \(count) numbers, found \(out.count)") }
        return out
    }

    /// A number for every entry (a scalar repeated `count` times) or a list of exactly `count` numbers.
    public func doublesOrScalar(count: Int) throws(RobotConfigError) -> [Double] {
        if case .scalar = node { return Array(repeating: try double(), count: count) }
        return try doubles(count: count)
    }

    /// `[low, high]` with low <= high.
    public func range() throws(RobotConfigError) -> ClosedRange<Double> {
        let pair = try doubles(count: 2)
        guard pair[0] <= pair[1] else { throw error("expected [low, high] with low <= high, found [\(pair[0]), \(pair[1])]") }
        return pair[0]...pair[1]
    }

    /// The node as YAML text (for sections other modules interpret).
    func yamlText() throws(RobotConfigError) -> String {
        do { return try Yams.serialize(node: node) } catch { throw self.error("could not re-serialise: \(error)") }
    }
}
