/// The multi-objective reward (beyond the seed, which listed it as future work): the task reward
/// (efficiency or binary) plus weighted terms a robotics engineer cares about besides success,
///
///     r = r_task + w_progress * P - w_smoothness * C + w_safety_margin * M
///
/// - P, progress: 1 on success, else how much of the way to the goal the attempt covered at its
///   closest (0 when the robot cannot measure it). It separates near misses from wild misses, so
///   groups where every attempt failed still carry a learning signal.
/// - C, action change: mean squared step-to-step change of the action, per dimension over its
///   range; penalising it asks for smooth commands, kinder to gearboxes and to people nearby.
/// - M, safety margin: the smallest normalised distance to any safety limit over the attempt;
///   rewarding it keeps attempts away from the limits that would abort them.
///
/// With every weight 0 this is the task reward exactly. Keep w_progress below the smallest
/// success reward (0.5 for efficiency) so that no failure outscores a success.
public struct MultiObjectiveReward: RewardFunction {
    /// r_task: `EfficiencyReward` or `BinaryReward`.
    public let task: any RewardFunction
    /// The weights of the extra terms.
    public let weights: RewardWeights

    /// The task reward plus the terms `weights` switch on.
    public init(task: any RewardFunction, weights: RewardWeights) {
        self.task = task
        self.weights = weights
    }

    public func reward(_ outcome: AttemptOutcome) -> Double {
        let progress = outcome.success ? 1 : (outcome.progress ?? 0)
        return task.reward(outcome)
            + weights.progress * progress
            - weights.smoothness * outcome.actionChange
            + weights.safetyMargin * outcome.safetyMargin
    }

    /// The reward a task asks for: `mode`'s task reward, plus the extra terms only when a weight is set.
    public static func make(mode: RewardMode, weights: RewardWeights) -> any RewardFunction {
        let task = mode.taskReward
        return weights.isZero ? task : MultiObjectiveReward(task: task, weights: weights)
    }
}
