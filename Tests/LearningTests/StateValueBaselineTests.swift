import Learning
import Policy
import Testing

/// The state-value baseline (`value_baseline_weight`, docs/learning.md "A per-step baseline from a
/// learned state value"): V(s) regressed on the attempts' rewards, and the per-step part of the
/// advantage it gives.
@Suite struct StateValueBaselineTests {
    let config = PolicyConfig(observationSize: 3, actionSize: 2, hiddenSizes: [16], bins: 8)

    /// An attempt of `steps` steps whose observations sit around `x` in their first value, with
    /// `reward`.
    static func attempt(x: Float, reward: Double, steps: Int = 20, policy: Policy, rng: inout PolicyRNG) -> Trajectory {
        var obs: [Float] = []
        for _ in 0..<steps { obs += [x + 0.1 * (rng.nextUnitFloat() - 0.5), rng.nextUnitFloat() - 0.5, 0.2] }
        let samples = policy.sample(observations: obs, temperatures: [Float](repeating: 1, count: steps), rng: &rng)
        return Trajectory(observations: obs, samples: samples, temperature: 1, reward: reward)
    }

    /// Attempts through states near x = +0.7 succeed (reward 0.9), those near -0.7 fail (0): after
    /// a few groups V tells the two apart, each within 0.15 of its reward, and it is warm only
    /// after `warmupGroups`.
    @Test func theValueLearnsWhichStatesLeadToSuccess() throws {
        let policy = Policy(config: config, seed: 1)
        let value = StateValueBaseline(for: policy)
        var rng = PolicyRNG(seed: 2)
        var lastError: Double?
        for g in 0..<12 {
            #expect(value.isWarm == (g >= value.config.warmupGroups))
            let group = (0..<8).map { i in
                i % 2 == 0 ? Self.attempt(x: 0.7, reward: 0.9, policy: policy, rng: &rng)
                    : Self.attempt(x: -0.7, reward: 0, policy: policy, rng: &rng)
            }
            lastError = value.fit(group: group)
        }
        let good = value.values(observations: [0.7, 0, 0.2], count: 1)[0]
        let bad = value.values(observations: [-0.7, 0, 0.2], count: 1)[0]
        #expect(abs(good - 0.9) < 0.15 && abs(bad) < 0.15, "V(+0.7) \(good), V(-0.7) \(bad)")
        let error = try #require(lastError)
        #expect(error < 0.02, "mean squared error of the last pass \(error)")
    }

    /// V's prediction stays in [0, 1], the rewards' range, however far an observation lies.
    @Test func theValueStaysInTheRewardsRange() {
        let policy = Policy(config: config, seed: 3)
        let value = StateValueBaseline(for: policy)
        var rng = PolicyRNG(seed: 4)
        for _ in 0..<6 {
            value.fit(group: (0..<4).map { _ in Self.attempt(x: 1, reward: 1, policy: policy, rng: &rng) })
        }
        let far = value.values(observations: [50, -50, 50, -50, 50, -50], count: 2)
        #expect(far.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(far)")
    }

    /// A person's steps and stored demonstrations say nothing about the policy's values: they are
    /// left out of the fit; a group of them alone fits nothing.
    @Test func demonstrationsAndAPersonsStepsAreNotFitted() {
        let policy = Policy(config: config, seed: 5)
        let value = StateValueBaseline(for: policy)
        let demonstration = Trajectory.demonstration(observations: [Float](repeating: 0.1, count: 9), actions: [0, 0, 0, 0, 0, 0],
                                                     policy: config)
        #expect(value.fit(group: [demonstration]) == nil)
        #expect(value.groupsSeen == 0)
    }

    /// The offsets move the group's baseline with V: -weight x (V_t - V_0) / divisor.
    @Test func theOffsetsMoveTheBaselineWithTheStateValue() {
        let offsets = GroupAdvantage.valueBaselineOffsets(values: [0.5, 0.7, 0.3], divisor: 0.5, weight: 1)
        #expect(zip(offsets, [0, -0.4, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(offsets)")
        let half = GroupAdvantage.valueBaselineOffsets(values: [0.5, 0.7, 0.3], divisor: 0.5, weight: 0.5)
        #expect(zip(half, [0, -0.2, 0.2]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(half)")
        #expect(GroupAdvantage.valueBaselineOffsets(values: [0.5, 0.7], divisor: 0.5, weight: 0) == [0, 0])
        // The divisor is `advantages`' own.
        let rewards = [1.0, 0, 0, 0.8]
        let d = GroupAdvantage.divisor(rewards: rewards, normalization: .std, stdFloor: 0.1)
        let adv = GroupAdvantage.advantages(rewards: rewards, normalization: .std, stdFloor: 0.1)!
        #expect(abs(adv[0] - (1 - 0.45) / d) < 1e-12)
        #expect(GroupAdvantage.divisor(rewards: rewards, normalization: .mean) == 1)
    }

    /// A step's offset is part of its advantage: a group trained at advantage A per attempt and one
    /// trained at 0 with every step offset by A end on the same parameters.
    @Test func aStepsOffsetIsPartOfItsAdvantage() throws {
        let start = Policy(config: config, seed: 6)
        var rng = PolicyRNG(seed: 7)
        let group = (0..<4).map { i in Self.attempt(x: Float(i) * 0.2, reward: Double(i % 2), steps: 5, policy: start, rng: &rng) }
        let advantages = [0.8, -0.6, 0.4, -0.6]
        let offset = zip(group, advantages).map { t, a in
            var t = t
            t.advantageOffsets = [Float](repeating: Float(a), count: t.steps)
            return t
        }
        let a = start.copy(), b = start.copy()
        var rngA = PolicyRNG(seed: 8), rngB = PolicyRNG(seed: 8)
        let ppo = PPOConfig { $0.targetKL = nil }
        let ra = PPOTrainer(policy: a, reference: nil, config: ppo).update(group: group, advantages: advantages, rng: &rngA)
        let rb = PPOTrainer(policy: b, reference: nil, config: ppo).update(group: offset, advantages: [0, 0, 0, 0], rng: &rngB)
        #expect(ra.accepted && rb.accepted)
        let moved = zip(start.parameterSnapshot(), a.parameterSnapshot()).map { abs($0 - $1) }.max()!
        let gap = zip(a.parameterSnapshot(), b.parameterSnapshot()).map { abs($0 - $1) }.max()!
        #expect(moved > 1e-4 && gap < 1e-6, "moved \(moved), gap \(gap)")
        // And a subset keeps each step's own offset.
        var ramp = group[0]
        ramp.advantageOffsets = [0, 1, 2, 3, 4]
        let sub = ramp.subset([4, 1])
        #expect(sub.advantageOffsets == [4, 1] && sub.advantageOffset(7) == 0)
    }
}
