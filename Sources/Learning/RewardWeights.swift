/// Weights of the multi-objective reward's extra terms (`MultiObjectiveReward`), from the
/// robot-config's `adaptation.reward_weights`. All default to 0: the plain task reward.
public struct RewardWeights: Sendable, Equatable {
    /// w_progress: credit for how close a failed attempt came (a success counts as 1). Default 0.
    public var progress: Double = 0
    /// w_smoothness: penalty on the mean squared normalised action change. Default 0.
    public var smoothness: Double = 0
    /// w_safety_margin: credit for the smallest normalised distance to a safety limit. Default 0.
    public var safetyMargin: Double = 0

    /// Weights; unspecified ones are 0.
    public init(progress: Double = 0, smoothness: Double = 0, safetyMargin: Double = 0) {
        self.progress = progress
        self.smoothness = smoothness
        self.safetyMargin = safetyMargin
    }

    /// True when every weight is 0 (the reward is the task reward alone).
    public var isZero: Bool { progress == 0 && smoothness == 0 && safetyMargin == 0 }
}
