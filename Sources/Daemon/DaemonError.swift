/// Why the daemon could not start or carry on.
public enum DaemonError: Error, CustomStringConvertible {
    /// Start-up failed; the message says what and where.
    case startup(String)

    public var description: String {
        switch self {
        case .startup(let why): "ttad cannot start: \(why)"
        }
    }
}
