import Demonstrators

/// Who besides ttad may drive the robot, step by step (bridge protocol 1.1 interventions, 1.2
/// demonstrations): the scripted person of `--person scripted` and `--intervene-steps`.
///
/// One decision per step, in one place: a later kind of person (taking over when the robot
/// stalls, say) is another case of `action(step:observation:demonstration:)`.
struct Person {
    /// `--person scripted`: the robot's scripted demonstrator drives every step of a
    /// demonstration attempt (and the hello announces the `demonstration` feature).
    var demonstrator: (any Demonstrator)?
    /// `--intervene-steps A-B`: the steps of every attempt the person takes over, and their action.
    var takeover: (steps: ClosedRange<Int>, action: [Float])?

    /// Whether the hello says a person can drive whole attempts.
    var announcesDemonstration: Bool { demonstrator != nil }

    /// The person's action at step `step` (1-based) of the attempt, taken from `observation` (the
    /// one ttad acted on), or nil when ttad's action is executed.
    func action(step: Int, observation: [Float], demonstration: Bool) -> [Float]? {
        if demonstration, let demonstrator { return demonstrator.action(observation) }
        if let takeover, takeover.steps.contains(step) { return takeover.action }
        return nil
    }
}
