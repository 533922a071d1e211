/// The reasons the daemon is `degraded`, each under its own cause so each clears on its own terms:
/// a start-up fallback when a person acknowledges it (`resume`) or that robot's next promotion; a
/// skipped robot-config when a reload loads that robot; a storage failure when writes succeed again.
public struct HealthIssues: Sendable, Equatable {
    /// What made the daemon degraded.
    public enum Cause: Hashable, Sendable {
        /// The robot started on an older checkpoint than `LAST_GOOD` named (or the pointer was damaged).
        case startupFallback(robot: String)
        /// The robot's config (or its checkpoints) could not be loaded; the other robots are served.
        case robotSkipped(robot: String)
        /// The state directory cannot be written (disk full, I/O error, read-only).
        case storage

        /// Storage first (it stops everything), then skipped robots, then fallbacks; by robot name.
        fileprivate var order: (Int, String) {
            switch self {
            case .storage: (0, "")
            case .robotSkipped(let robot): (1, robot)
            case .startupFallback(let robot): (2, robot)
            }
        }
    }

    private var reasons: [Cause: String] = [:]

    /// No issues.
    public init() {}

    /// The reason recorded for `cause`; nil clears it.
    public subscript(cause: Cause) -> String? {
        get { reasons[cause] }
        set { reasons[cause] = newValue }
    }

    /// A person acknowledged (`resume`): start-up fallbacks clear; the others need their own fix.
    public mutating func acknowledge() {
        reasons = reasons.filter { if case .startupFallback = $0.key { false } else { true } }
    }

    /// Clears every issue that names `robot` (it was reloaded or removed).
    public mutating func clear(robot: String) {
        reasons[.robotSkipped(robot: robot)] = nil
        reasons[.startupFallback(robot: robot)] = nil
    }

    /// Every recorded cause.
    public var causes: [Cause] { reasons.keys.sorted { $0.order < $1.order } }

    /// All reasons in one line (storage first), or nil when there are none.
    public var summary: String? {
        reasons.isEmpty ? nil : causes.map { reasons[$0]! }.joined(separator: "; ")
    }
}
