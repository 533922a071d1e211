/// The robots the adaptation side serves and what a task on each may ask for: what `submit`
/// checks a request against before it queues a task.
public protocol RobotCatalog: AnyObject, Sendable {
    /// Robots this daemon can run, and each one's backend (`mujoco` or `bridge`).
    var robots: [String: String] { get }
    /// The robot-config's defaults for a submit that leaves fields out.
    func defaults(robot: String) -> TaskDefaults?
    /// Checks a plan against its robot (task family, params, dynamics); throws naming the field.
    func validate(_ plan: TaskPlan) throws
    /// The temperatures `plan`'s attempts run at if it started now (the adaptive shift included):
    /// the same schedule `TaskRunner.run` uses.
    func temperatures(for plan: TaskPlan) -> [Double]
}
