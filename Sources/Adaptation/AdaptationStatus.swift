/// The adaptation side's state as `status` reports it: a snapshot published whenever it changes.
public struct AdaptationStatus: Sendable, Equatable {
    /// The default robot's live and last good checkpoints.
    public var live: String?
    public var lastGood: String?
    /// Every robot's live checkpoint, by robot name.
    public var liveByRobot: [String: String] = [:]
    /// Every robot's live checkpoint's adaptation step (updates since the base policy), by robot name.
    public var liveStepByRobot: [String: Int] = [:]
    /// Robot name to backend (`mujoco` or `bridge`).
    public var robots: [String: String]
    /// Whether updates are made (pause/resume, a fault).
    public var adapting: Bool
    /// Why adaptation is degraded, or nil.
    public var degraded: String?
    /// Whether the e-stop is latched.
    public var estopped: Bool

    public init(live: String?, lastGood: String?, robots: [String: String], adapting: Bool, degraded: String?, estopped: Bool) {
        self.live = live; self.lastGood = lastGood; self.robots = robots; self.adapting = adapting
        self.degraded = degraded; self.estopped = estopped
    }
}
