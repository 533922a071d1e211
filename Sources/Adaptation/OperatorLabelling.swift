/// Where the daemon's `label` op posts a person's success labels (robot-configs with
/// `success_judged_by: operator`), and what the update is waiting for.
public protocol OperatorLabelling: AnyObject, Sendable {
    /// The board the running task's update waits on.
    var labels: LabelBoard { get }
}
