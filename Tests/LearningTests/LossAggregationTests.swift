import Policy
import Testing
@testable import Learning

/// `loss_aggregation` (docs/learning.md "How an attempt's steps are weighed"): under
/// `attempt_mean` every attempt's steps sum to one mean attempt's, whatever its length.
@Suite struct LossAggregationTests {
    let config = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], bins: 8)

    /// Attempts of different lengths, each rewarded by how often it took bin 3.
    func group(_ policy: Policy, lengths: [Int], rng: inout PolicyRNG) -> [Trajectory] {
        let temps = TemperatureSchedule.temperatures(count: lengths.count, base: 0.6, range: 0.3).map(Float.init)
        return zip(lengths, temps).map { steps, t in
            let obs = (0..<(steps * 4)).map { Float($0 % 7) / 7 }
            let samples = policy.sample(observations: obs, temperatures: [Float](repeating: t, count: steps), rng: &rng)
            let hits = samples.filter { Int($0.raw[0]) == 3 }.count
            return Trajectory(observations: obs, samples: samples, temperature: t, reward: Double(hits) / Double(steps))
        }
    }

    @Test func stepMeanWeighsEveryAttemptOne() {
        let trainer = PPOTrainer(policy: Policy(config: config, seed: 1), reference: nil, config: PPOConfig())
        var rng = PolicyRNG(seed: 2)
        #expect(trainer.attemptWeights(group(trainer.policy, lengths: [10, 30], rng: &rng)) == [1, 1])
    }

    /// Weights are mean length / own length over the policy's own sampled steps: a greedy attempt
    /// (T = 0, never trained on) and a person's steps do not count.
    @Test func attemptMeanWeighsByMeanLengthOverOwnLength() {
        let trainer = PPOTrainer(policy: Policy(config: config, seed: 3), reference: nil,
                                 config: PPOConfig { $0.lossAggregation = .attemptMean })
        var rng = PolicyRNG(seed: 4)
        var g = group(trainer.policy, lengths: [10, 30, 20, 40], rng: &rng)
        g[2].temperature = 0
        g[3].intervened = Array(repeating: false, count: 10) + Array(repeating: true, count: 30)
        let w = trainer.attemptWeights(g)
        let mean: Float = (10 + 30 + 10) / 3
        #expect(abs(w[0] - mean / 10) < 1e-6 && abs(w[1] - mean / 30) < 1e-6 && w[2] == 1 && abs(w[3] - mean / 10) < 1e-6, "\(w)")
    }

    /// The per-attempt mean is the step mean with each attempt's advantage scaled by its weight:
    /// the two updates land on the same parameters (the clipped term is homogeneous in A), and
    /// away from the step mean's.
    @Test func attemptMeanIsStepMeanWithLengthScaledAdvantages() throws {
        let start = Policy(config: config, seed: 5)
        var rng = PolicyRNG(seed: 6)
        let g = group(start, lengths: [5, 40, 12, 25, 8, 33, 18, 50], rng: &rng)
        let adv = try #require(GroupAdvantage.advantages(rewards: g.map(\.reward)))
        let lengths = g.map { Double($0.steps) }
        let mean = lengths.reduce(0, +) / Double(lengths.count)
        let scaled = zip(adv, lengths).map { $0 * mean / $1 }
        func train(_ aggregation: PPOConfig.LossAggregation, _ advantages: [Double]) -> [Float] {
            let policy = start.copy()
            var r = PolicyRNG(seed: 7)
            let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.targetKL = nil; $0.lossAggregation = aggregation })
            #expect(trainer.update(group: g, advantages: advantages, rng: &r).accepted)
            return policy.parameterSnapshot()
        }
        let perAttempt = train(.attemptMean, adv), byHand = train(.stepMean, scaled), perStep = train(.stepMean, adv)
        let same = zip(perAttempt, byHand).map { abs($0 - $1) }.max() ?? .infinity
        let apart = zip(perAttempt, perStep).map { abs($0 - $1) }.max() ?? 0
        #expect(same < 1e-5 && apart > 1e-4, "attempt_mean vs scaled by hand \(same), vs step_mean \(apart)")
    }
}
