/// Every operation a client can ask of the daemon (the `op` field of a request).
public enum Operation: String, Codable, Sendable, CaseIterable {
    /// Liveness: answers `{"pong": true}` with the daemon's version.
    case ping
    /// Health and state: robot, checkpoint, queue, adaptation state.
    case status
    /// Queue a task: N attempts, then an update (see `SubmitArgs`).
    case submit
    /// Queue an evaluation: K greedy (T=0) single attempts on fixed task seeds, no update
    /// (see `EvaluateArgs`); recorded as a task of kind `evaluation`.
    case evaluate
    /// One task's state and attempts.
    case task
    /// Cancel a queued or running task.
    case cancel
    /// Past tasks, filtered by task name, robot, time.
    case history
    /// Checkpoints known to the daemon.
    case checkpoints
    /// Load a checkpoint (default: the last good one) as the live policy.
    case rollback
    /// Stop making updates (attempts still run).
    case pause
    /// Make updates again.
    case resume
    /// Re-read the config and robot-configs (as SIGHUP does).
    case reload
    /// Put a checkpoint file on a robot (verified against its robot-config), live and good at once.
    /// A two-frame request (as `add_demonstrations`): the JSON, then the file (`Request.attachment`).
    case `import`
    /// Hand out a robot's live or last good checkpoint file with its model card
    /// (see `ExportCheckpointArgs`); the file rides base64 in the one reply frame.
    case exportCheckpoint = "export_checkpoint"
    /// Queue demonstrations: `count` attempts a person drives over the bridge (protocol 1.2), stored
    /// as one set (see `DemoArgs`); recorded as a task of kind `demonstration`.
    case demo
    /// The stored demonstration sets (see `DemosQuery`).
    case demos
    /// Delete a stored demonstration set (see `DemonstrationRef`).
    case removeDemonstrations = "remove_demonstrations"
    /// Store a demonstration set file (see `AddDemonstrationsArgs`); the file is the request's
    /// second frame, as for `import`.
    case addDemonstrations = "add_demonstrations"
    /// A person's success label on an operator-judged attempt (see `LabelArgs`).
    case label
    /// Abort the running attempt at once, stop the robot, and refuse tasks until `resume`.
    case estop
}
