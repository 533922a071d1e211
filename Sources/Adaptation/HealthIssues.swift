/// The reasons the daemon is `degraded`, each under its own cause so each clears on its own terms:
/// the repeated-hardware-fault pause and a start-up fallback when a person acknowledges them
/// (`resume`; a fallback also at that robot's next promotion); a skipped robot-config when a reload
/// loads that robot; a storage failure when writes succeed again. `status.health_reason` is
/// `summary`: this is the one place the adaptation side's degraded reasons are kept.
public struct HealthIssues: Sendable, Equatable {
    /// What made the daemon degraded.
    public enum Cause: Hashable, Sendable {
        /// `hardware_fault_limit` consecutive hardware faults on a robot paused adaptation (for
        /// every robot, as `pause` does) until a person's `resume`.
        case hardwareFaultPause
        /// The robot started on an older checkpoint than `LAST_GOOD` named (or the pointer was damaged).
        case startupFallback(robot: String)
        /// The robot's config (or its checkpoints) could not be loaded; the other robots are served.
        case robotSkipped(robot: String)
        /// The state directory cannot be written (disk full, I/O error, read-only).
        case storage

        /// The hardware-fault pause first (it stops adaptation; it led the line before it was a
        /// cause), then storage (it stops submits), then skipped robots, then fallbacks; by robot name.
        fileprivate var order: (Int, String) {
            switch self {
            case .hardwareFaultPause: (0, "")
            case .storage: (1, "")
            case .robotSkipped(let robot): (2, robot)
            case .startupFallback(let robot): (3, robot)
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

    /// A person acknowledged (`resume`): the hardware-fault pause and start-up fallbacks clear; the
    /// others need their own fix.
    public mutating func acknowledge() {
        reasons = reasons.filter {
            switch $0.key {
            case .hardwareFaultPause, .startupFallback: false
            case .storage, .robotSkipped: true
            }
        }
    }

    /// Clears every issue that names `robot` (it was reloaded or removed).
    public mutating func clear(robot: String) {
        reasons[.robotSkipped(robot: robot)] = nil
        reasons[.startupFallback(robot: robot)] = nil
    }

    /// Every recorded cause.
    public var causes: [Cause] { reasons.keys.sorted { $0.order < $1.order } }

    /// All reasons in one line (in `causes` order), or nil when there are none.
    public var summary: String? {
        reasons.isEmpty ? nil : causes.map { reasons[$0]! }.joined(separator: "; ")
    }
}
