import Demonstrators

/// Who besides ttad may drive the robot, step by step (bridge protocol 1.1 interventions, 1.2
/// demonstrations): the scripted person of `--person scripted` and `--intervene-steps`.
///
/// One decision per step, in one place (`action(step:observation:demonstration:)`).
struct Person {
    /// `--person scripted`: the robot's scripted demonstrator drives every step of a
    /// demonstration attempt (and the hello announces the `demonstration` feature).
    var demonstrator: (any Demonstrator)?
    /// `--intervene-steps A-B`: the steps of every attempt the person takes over, and their action.
    var takeover: (steps: ClosedRange<Int>, action: [Float])?

    /// `--takeover-stall K`: the scripted demonstrator takes over an ordinary attempt that has made
    /// no progress for K steps, for `--takeover-hold` steps (the issue 17 experiments' person).
    var stall: StallTakeover?

    /// Whether the hello says a person can drive whole attempts.
    var announcesDemonstration: Bool { demonstrator != nil }

    /// The person's action at step `step` (1-based) of the attempt, taken from `observation` (the
    /// one ttad acted on), or nil when ttad's action is executed.
    mutating func action(step: Int, observation: [Float], demonstration: Bool) -> [Float]? {
        if demonstration, let demonstrator { return demonstrator.action(observation) }
        if let takeover, takeover.steps.contains(step) { return takeover.action }
        if stall?.personDrivesNextStep() == true, let demonstrator { return demonstrator.action(observation) }
        return nil
    }

    /// The progress the step reached (the bridge reply's `progress`), for the stall rule.
    mutating func observe(progress: Double) { stall?.observe(progress: progress) }

    /// A new attempt: the stall count starts again.
    mutating func reset() { stall?.reset() }
}
