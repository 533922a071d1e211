import Policy

/// One attempt as the learner sees it: the observations, the sampled actions with their
/// behaviour log-probs, the temperature they were sampled at, and the attempt's reward.
public struct Trajectory: Sendable {
    /// `steps * observationSize`: the observation each action was taken from, row-major.
    public var observations: [Float]
    /// One per step; `logProb` is the behaviour policy's, at `temperature`.
    public var samples: [ActionSample]
    /// The attempt's temperature (every step used it). Steps of a greedy (T == 0) attempt have no
    /// stochastic behaviour policy and are left out of the update.
    public var temperature: Float
    /// The attempt's reward (see `RewardFunction`).
    public var reward: Double

    /// A trajectory.
    public init(observations: [Float], samples: [ActionSample], temperature: Float, reward: Double) {
        self.observations = observations
        self.samples = samples
        self.temperature = temperature
        self.reward = reward
    }

    /// Number of steps.
    public var steps: Int { samples.count }
}
