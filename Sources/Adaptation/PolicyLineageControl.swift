/// Each robot's line of checkpoints: which one runs now, which exist, and going back to one.
public protocol PolicyLineageControl: AnyObject, Sendable {
    /// The checkpoint `robot`'s policy runs now (from the status snapshot; the default robot's is
    /// also `status.live`).
    func liveCheckpoint(robot: String) -> String?
    /// Every robot's checkpoints, newest first.
    func checkpoints() -> [CheckpointSummary]
    /// Loads `checkpoint` (nil: the last good one) as the live policy.
    /// Returns the rollback, naming the robot and the checkpoint that was live before; `observer`
    /// is told it too.
    @discardableResult
    func rollback(to checkpoint: String?, reason: String, observer: (any AdaptationObserver)?) throws -> CheckpointEvent
    /// What start-up did that the history should show (a robot started on an older good checkpoint
    /// than `LAST_GOOD` named); each event is returned once.
    func takeStartupEvents() -> [CheckpointEvent]
}
