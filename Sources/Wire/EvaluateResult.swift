/// `evaluate`'s result: the evaluation is queued as a task of kind `evaluation`; follow it with
/// `task` (or the events of `task_id`) like a submitted task.
public struct EvaluateResult: Codable, Sendable, Equatable {
    /// The evaluation's id (a task id: `task`, `cancel` and `history` take it).
    public var taskId: String
    /// Tasks ahead of it in the queue.
    public var position: Int
    /// K, the number of evaluation tasks (one greedy attempt each).
    public var tasks: Int
    /// The evaluation set's seed.
    public var seed: UInt64
    /// The robot's live checkpoint when it was queued (the one it runs on, unless an update or a
    /// rollback comes first: `task` then tells which it ran on).
    public var checkpoint: String?

    public init(taskId: String, position: Int, tasks: Int, seed: UInt64, checkpoint: String?) {
        self.taskId = taskId; self.position = position; self.tasks = tasks; self.seed = seed; self.checkpoint = checkpoint
    }
}
