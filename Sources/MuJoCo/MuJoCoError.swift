/// An error from MuJoCo, carrying MuJoCo's own message.
public struct MuJoCoError: Error, CustomStringConvertible, Sendable {
    /// What failed, e.g. `load(robot-configs/models/reacher2.xml)`.
    public let operation: String
    /// MuJoCo's explanation (the parser's error buffer, or a warning).
    public let message: String

    public var description: String { "mujoco \(operation): \(message)" }

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }
}
