import Learning
import Policy
import Testing

/// Reusing earlier groups (`replay_groups`, docs/learning.md "Reusing earlier groups"): a reused
/// attempt's steps take the ratio to the policy before the update and the truncated importance
/// weight min(1, pi_before / pi_behaviour).
@Suite struct ReplayLearningTests {
    let config = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], bins: 8)

    static func reused(_ group: [Trajectory], behaviourShift: Float = 0) -> [Trajectory] {
        group.map { t in
            var r = t
            r.replayed = true
            r.samples = t.samples.map { ActionSample(action: $0.action, raw: $0.raw, logProb: $0.logProb + behaviourShift) }
            return r
        }
    }

    static func largestChange(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A group sampled by the current policy, reused, trains as the fresh group does: its weight
    /// is 1 and the policy before the update is its behaviour policy.
    @Test func aGroupTheLivePolicySampledTrainsReusedAsItDoesFresh() throws {
        let start = Policy(config: config, seed: 5)
        var rng = PolicyRNG(seed: 6)
        let (group, adv) = try #require(banditGroup(policy: start, rng: &rng, best: 3))
        let fresh = start.copy(), reused = start.copy()
        var rngA = PolicyRNG(seed: 7), rngB = PolicyRNG(seed: 7)
        let ppo = PPOConfig { $0.targetKL = nil }
        let a = PPOTrainer(policy: fresh, reference: nil, config: ppo).update(group: group, advantages: adv, rng: &rngA)
        let b = PPOTrainer(policy: reused, reference: nil, config: ppo).update(group: Self.reused(group), advantages: adv, rng: &rngB)
        #expect(a.accepted && b.accepted)
        #expect(a.samples == 80 && a.replaySamples == nil)
        #expect(b.samples == 0 && b.replaySamples == 80, "reused steps are counted apart: \(b)")
        let moved = Self.largestChange(start.parameterSnapshot(), fresh.parameterSnapshot())
        let gap = Self.largestChange(fresh.parameterSnapshot(), reused.parameterSnapshot())
        #expect(moved > 1e-3 && gap < moved / 100, "moved \(moved), fresh vs reused \(gap)")
    }

    /// The same steps twice, fresh at advantage A and reused at -A: at weight 1 they cancel; when
    /// the behaviour policy made the reused steps e^3 times likelier than the policy now does, the
    /// weight e^-3 discounts them and the fresh group's push wins.
    @Test func theWeightDiscountsStepsThePolicyHasSinceMadeLessLikely() throws {
        let start = Policy(config: config, seed: 8)
        var rng = PolicyRNG(seed: 9)
        let (group, adv) = try #require(banditGroup(policy: start, rng: &rng, best: 3))
        let negated = adv.map { -$0 }
        let obs = [Float](repeating: 0.5, count: 4)
        let before = start.binProbabilities(observation: obs, temperature: 1)[3]
        func train(_ reused: [Trajectory], _ reusedAdvantages: [Double]? = nil) -> (report: UpdateReport, policy: Policy) {
            let policy = start.copy()
            var r = PolicyRNG(seed: 10)
            let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.targetKL = nil })
            var report = UpdateReport(accepted: true)
            for _ in 0..<5 { report = trainer.update(group: group + reused, advantages: adv + (reusedAdvantages ?? negated), rng: &r) }
            return (report, policy)
        }
        let freshOnly = train([], [])
        let cancelled = train(Self.reused(group))
        let discounted = train(Self.reused(group, behaviourShift: 3))
        // A behaviour policy *less* likely than the current one: the weight stays at 1.
        let truncated = train(Self.reused(group, behaviourShift: -3))
        #expect(cancelled.report.accepted && discounted.report.accepted && truncated.report.accepted)
        let p = { (policy: Policy) in policy.binProbabilities(observation: obs, temperature: 1)[3] }
        #expect(abs(p(cancelled.policy) - before) < 0.01, "weight 1: the two pushes cancel (\(before) -> \(p(cancelled.policy)))")
        #expect(abs(p(truncated.policy) - before) < 0.01, "a weight over 1 is truncated to 1 (\(before) -> \(p(truncated.policy)))")
        let gain = p(freshOnly.policy) - before
        #expect(gain > 0.02, "the fresh group alone raises the best bin (\(before) -> \(p(freshOnly.policy)))")
        #expect(p(discounted.policy) - before > gain / 2,
                "weight e^-3: the fresh push wins (\(before) -> \(p(discounted.policy)); alone -> \(p(freshOnly.policy)))")
    }

    /// A person's steps in a reused attempt were cloned by the update that first trained on them.
    @Test func aReusedAttemptsInterventionsAreNotClonedAgain() {
        let policy = Policy(config: config, seed: 11)
        var rng = PolicyRNG(seed: 12)
        var t = Trajectory(observations: [], samples: [], temperature: 0.8, reward: 1)
        for _ in 0..<6 {
            let obs = (0..<4).map { _ in rng.nextUnitFloat() * 2 - 1 }
            t.observations += obs
            t.samples.append(policy.sample(observation: obs, temperature: 0.8, rng: &rng))
        }
        t.recordIntervention(executed: [0.5, -0.5], policy: policy.config)
        var reused = t
        reused.replayed = true
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.targetKL = nil })
        let report = trainer.update(group: [t, reused], advantages: [1, -1], rng: &rng)
        #expect(report.accepted && report.samples == 5 && report.replaySamples == 5 && report.interventionSamples == 1, "\(report)")
    }

    @Test func theKeyIsReadAndRangeChecked() {
        #expect(PPOConfig().replayGroups == 0, "off by default")
        #expect(PPOConfig { $0.replayGroups = 16 }.rangeProblem == nil)
        #expect(PPOConfig { $0.replayGroups = 17 }.rangeProblem?.key == "replay_groups")
        #expect(PPOConfig { $0.replayGroups = -1 }.rangeProblem?.key == "replay_groups")
    }
}
