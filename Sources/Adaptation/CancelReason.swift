/// Why a running task was asked to stop. It decides how the attempts cut short are recorded
/// (`estop`, or `cancelled`) and how the task ends (`cancelled`, or `interrupted`).
public enum CancelReason: Sendable, Equatable, CustomStringConvertible {
    /// The e-stop: the attempts cut short are recorded as `estop`.
    case estop
    /// A person's `cancel`.
    case request
    /// The daemon is stopping (SIGTERM): the task is `interrupted`, not the person's doing.
    case shutdown

    public var description: String {
        switch self {
        case .estop: "e-stop"
        case .request: "cancelled by request"
        case .shutdown: "daemon stopping"
        }
    }
}
