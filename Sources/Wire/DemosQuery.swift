/// Arguments of `demos`: which stored demonstration sets to list (all when empty).
public struct DemosQuery: Codable, Sendable, Equatable {
    public var robot: String?
    /// The task family.
    public var task: String?

    public init(robot: String? = nil, task: String? = nil) {
        self.robot = robot; self.task = task
    }
}
