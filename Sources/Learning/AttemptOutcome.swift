/// How one attempt at a task ended: what a reward function scores.
public struct AttemptOutcome: Sendable, Equatable {
    /// Whether the task was achieved.
    public var success: Bool
    /// Control steps the attempt took (up to success, or until it stopped).
    public var steps: Int
    /// The episode's step limit.
    public var maxSteps: Int
    /// Mean squared change of the action between consecutive steps, each dimension divided by its
    /// range (0: constant commands, 1: full-range jumps every step). For the smoothness term.
    public var actionChange: Double
    /// The smallest normalised distance to any safety limit during the attempt (1: far from every
    /// limit, 0: at one). For the safety-margin term.
    public var safetyMargin: Double
    /// How far toward the success condition the attempt got (0 to 1; nil: not measurable on this
    /// robot). For the progress term.
    public var progress: Double?

    /// An outcome.
    public init(success: Bool, steps: Int, maxSteps: Int, actionChange: Double = 0, safetyMargin: Double = 1,
                progress: Double? = nil) {
        self.success = success
        self.steps = steps
        self.maxSteps = maxSteps
        self.actionChange = actionChange
        self.safetyMargin = safetyMargin
        self.progress = progress
    }
}
