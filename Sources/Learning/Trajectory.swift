import Policy

/// One attempt as the learner sees it: the observations, the sampled actions with their
/// behaviour log-probs, the temperature they were sampled at, and the attempt's reward.
public struct Trajectory: Sendable {
    /// `steps * observationSize`: the observation each action was taken from, row-major.
    public var observations: [Float]
    /// One per step; `logProb` is the behaviour policy's, at `temperature`. At an intervened step
    /// (see `intervened`) the sample is the person's executed action instead, with logProb 0.
    public var samples: [ActionSample]
    /// The attempt's temperature (every step used it). Steps of a greedy (T == 0) attempt have no
    /// stochastic behaviour policy and are left out of the update.
    public var temperature: Float
    /// The attempt's reward (see `RewardFunction`).
    public var reward: Double
    /// One per step up to the last intervened one (steps past its end were not intervened; empty
    /// when none was): true where a person drove the step
    /// (a bridge intervention). Such a step's sample is the executed action, which ttad did not
    /// choose: it never takes a PPO ratio, only the behaviour-cloning term (`PPOLoss`).
    public var intervened: [Bool]
    /// Steps of stored demonstrations, not of an attempt of this task: every intervened step here
    /// is cloned with `demonstration_weight` (not `intervention_weight`).
    public var demonstration: Bool
    /// An attempt of an earlier update's group, reused (`PPOConfig.replayGroups`): an earlier
    /// policy sampled it, so its steps take the truncated importance weight and the ratio to the
    /// policy before this update (`PPOTrainer`), and its intervened steps are not cloned again.
    public var replayed: Bool
    /// Per step, a part of the advantage added to the attempt's own (the state-value baseline's,
    /// `GroupAdvantage.valueBaselineOffsets`); empty when none (every step takes the attempt's).
    public var advantageOffsets: [Float]

    /// A trajectory.
    public init(observations: [Float], samples: [ActionSample], temperature: Float, reward: Double, intervened: [Bool] = [],
                demonstration: Bool = false, replayed: Bool = false, advantageOffsets: [Float] = []) {
        self.observations = observations
        self.samples = samples
        self.temperature = temperature
        self.reward = reward
        self.intervened = intervened
        self.demonstration = demonstration
        self.replayed = replayed
        self.advantageOffsets = advantageOffsets
    }

    /// Stored demonstration steps as one trajectory to clone: `observations` (`steps *
    /// observationSize`, raw) and the `actions` executed (`steps * actionSize`, environment units),
    /// every step intervened, reward 0.
    public static func demonstration(observations: [Float], actions: [Float], policy: PolicyConfig) -> Trajectory {
        let size = policy.actionSize
        let steps = size > 0 ? actions.count / size : 0
        let samples = (0..<steps).map { i -> ActionSample in
            let action = Array(actions[(i * size)..<((i + 1) * size)])
            return ActionSample(action: action, raw: raw(action, policy: policy), logProb: 0)
        }
        return Trajectory(observations: observations, samples: samples, temperature: 1, reward: 0,
                          intervened: Array(repeating: true, count: steps), demonstration: true)
    }

    /// Number of steps.
    public var steps: Int { samples.count }

    /// The steps at `indices` (each in 0..<steps), in that order, as one trajectory with the same
    /// temperature, reward and kind.
    public func subset(_ indices: [Int]) -> Trajectory {
        let size = steps > 0 ? observations.count / steps : 0
        return Trajectory(observations: indices.flatMap { observations[($0 * size)..<(($0 + 1) * size)] },
                          samples: indices.map { samples[$0] }, temperature: temperature, reward: reward,
                          intervened: intervened.isEmpty ? [] : indices.map { isIntervened($0) }, demonstration: demonstration,
                          replayed: replayed, advantageOffsets: advantageOffsets.isEmpty ? [] : indices.map { advantageOffset($0) })
    }

    /// The per-step part of step `i`'s advantage (0 when none was set).
    public func advantageOffset(_ i: Int) -> Float { i < advantageOffsets.count ? advantageOffsets[i] : 0 }

    /// Whether step `i` was intervened.
    public func isIntervened(_ i: Int) -> Bool { i < intervened.count && intervened[i] }

    /// Steps a person drove.
    public var intervenedSteps: Int { intervened.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Replaces the last step's sample by `executed`, the action a person executed instead of the
    /// one ttad sent, and marks the step intervened. `raw` is the executed action as the policy's
    /// head scores it: the nearest bin (binned) or the action itself (gaussian).
    public mutating func recordIntervention(executed: [Float], policy: PolicyConfig) {
        guard !samples.isEmpty else { return }
        let last = samples.count - 1
        if intervened.count < samples.count { intervened += Array(repeating: false, count: samples.count - intervened.count) }
        intervened[last] = true
        samples[last] = ActionSample(action: executed, raw: Self.raw(executed, policy: policy), logProb: 0)
    }

    /// `action` (environment units) as the policy head's raw value: for a binned head the index of
    /// the nearest bin centre per dimension (clamped into the range first), for a gaussian the
    /// action itself.
    public static func raw(_ action: [Float], policy: PolicyConfig) -> [Float] {
        guard policy.head == .binned, policy.bins > 1 else { return action }
        return action.enumerated().map { d, a in
            let low = policy.actionLow[d], high = policy.actionHigh[d]
            guard high > low else { return 0 }
            let position = (min(max(a, low), high) - low) / (high - low) * Float(policy.bins - 1)
            return position.rounded()
        }
    }
}
