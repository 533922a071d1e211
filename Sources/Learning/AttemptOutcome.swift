/// How one attempt at a task ended: what a reward function scores.
public struct AttemptOutcome: Sendable, Equatable {
    /// Whether the task was achieved.
    public var success: Bool
    /// Control steps the attempt took (up to success, or until it stopped).
    public var steps: Int
    /// The episode's step limit.
    public var maxSteps: Int

    /// An outcome.
    public init(success: Bool, steps: Int, maxSteps: Int) {
        self.success = success
        self.steps = steps
        self.maxSteps = maxSteps
    }
}
