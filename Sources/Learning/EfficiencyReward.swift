/// The seed method's efficiency reward: 1 / (1 + steps / max_steps) on success, 0 on failure.
///
/// A success in 100 of 500 steps scores 0.833, in 250 scores 0.667, in 500 scores 0.5, so among
/// successes the shorter attempt gets the positive advantage.
public struct EfficiencyReward: RewardFunction {
    /// The reward function.
    public init() {}

    public func reward(_ outcome: AttemptOutcome) -> Double {
        guard outcome.success else { return 0 }
        // A zero or negative limit would divide by zero; treat such a success as immediate.
        let fraction = outcome.maxSteps > 0 ? Double(max(outcome.steps, 0)) / Double(outcome.maxSteps) : 0
        return 1 / (1 + fraction)
    }
}
