/// Why a robot could not be made, or an attempt could not start or go on.
///
/// Faults during an attempt's steps are not errors: they end the attempt with an `AbortReason`.
public enum RobotError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The task request does not fit the robot-config (names the family, parameter or factor).
    case invalidTask(String)
    /// The model and the robot-config disagree (a named joint, site or actuator is missing, sizes differ).
    case modelMismatch(String)
    /// The e-stop is latched; `clearEmergencyStop()` first.
    case emergencyStopped
    /// `step` after the attempt ended, or before `reset`.
    case notRunning(String)
    /// The bridge could not reach the controller or got an answer it cannot use (hello/reset).
    case bridge(String)
    /// The simulation could not be set up.
    case simulation(String)

    public var description: String {
        switch self {
        case .invalidTask(let m): "invalid task: \(m)"
        case .modelMismatch(let m): "model does not match the robot-config: \(m)"
        case .emergencyStopped: "emergency stop is latched; clear it before starting attempts"
        case .notRunning(let m): "attempt not running: \(m)"
        case .bridge(let m): "bridge: \(m)"
        case .simulation(let m): "simulation: \(m)"
        }
    }
}
