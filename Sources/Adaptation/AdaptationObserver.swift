/// Receives progress from a running task. Called on the control loop's thread; keep it quick.
public protocol AdaptationObserver: AnyObject {
    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double)
    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport)
    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary)
    func checkpointEvent(_ event: CheckpointEvent, taskId: String?)
    /// The loop is alive (called at least every robot step): feeds the watchdog.
    func heartbeat()
    /// An operator-judged attempt finished (after `attemptFinished`) and its outcome awaits a
    /// person's label until `report.labelDeadline`.
    func attemptNeedsLabel(_ plan: TaskPlan, _ report: AttemptReport)
}

extension AdaptationObserver {
    /// Observers that do not announce labels ignore it.
    public func attemptNeedsLabel(_ plan: TaskPlan, _ report: AttemptReport) {}
}
