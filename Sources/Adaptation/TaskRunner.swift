/// Runs a task: its N attempts on the robot, the scoring and the update.
public protocol TaskRunner: AnyObject, Sendable {
    /// Runs N attempts and the update. Blocks the calling (control loop) thread; `cancellation`
    /// cuts the running attempt short at its next step.
    func run(_ plan: TaskPlan, observer: any AdaptationObserver, cancellation: Cancellation) throws -> TaskOutcome
}
