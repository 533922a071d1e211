/// A robot-config file that could not be used: names the file, the key path and what was expected.
public struct RobotConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The YAML file (as given to `RobotConfig.load`).
    public var file: String
    /// The key path inside the file, e.g. `safety.joint_velocity_limit` or `observation[2].joints`.
    public var keyPath: String
    /// What was wrong or expected there, e.g. `expected a positive number, found "fast"`.
    public var message: String

    public init(file: String, keyPath: String, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
    }
}
