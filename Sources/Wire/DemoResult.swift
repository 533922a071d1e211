/// `demo`'s result: the demonstration is queued as a task of kind `demonstration`; follow it with
/// `task` (or the events of `task_id`) like a submitted task.
public struct DemoResult: Codable, Sendable, Equatable {
    /// The demonstration task's id.
    public var taskId: String
    /// Tasks ahead of it in the queue.
    public var position: Int
    /// Demonstration attempts.
    public var count: Int

    public init(taskId: String, position: Int, count: Int) {
        self.taskId = taskId; self.position = position; self.count = count
    }
}
