import Testing
@testable import Learning
import Policy

/// Stored demonstrations join an update as behaviour-cloning steps with their own weight
/// (`demonstration_weight`), never a PPO ratio; without them an update is what it was.
@Suite struct DemonstrationLearningTests {
    static let config = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], head: .binned, bins: 8)
    static let demonstrated: [Float] = [0.75, -0.25]

    /// Two attempts of the policy's own (T = 1) with a person's intervention on one step each.
    static func ownGroup(_ policy: Policy) -> [Trajectory] {
        var rng = PolicyRNG(seed: 21)
        return (0..<2).map { k in
            var t = Trajectory(observations: [], samples: [], temperature: 1, reward: Double(k))
            for step in 0..<6 {
                let obs = (0..<4).map { _ in rng.nextUnitFloat() * 2 - 1 }
                t.observations += obs
                t.samples.append(policy.sample(observation: obs, temperature: 1, rng: &rng))
                if step == 2 { t.recordIntervention(executed: [0.1, 0.2], policy: policy.config) }
            }
            return t
        }
    }

    /// Ten stored steps, each executing `demonstrated`.
    static func demonstrations() -> Trajectory {
        var rng = PolicyRNG(seed: 33)
        let observations = (0..<40).map { _ in rng.nextUnitFloat() * 2 - 1 }
        return Trajectory.demonstration(observations: observations, actions: Array((0..<10).map { _ in demonstrated }.joined()), policy: config)
    }

    static func update(_ group: [Trajectory], advantages: [Double], config change: (inout PPOConfig) -> Void = { _ in }) -> (Policy, UpdateReport) {
        let policy = Policy(config: Self.config, seed: 4)
        var rng = PolicyRNG(seed: 8)
        let report = PPOTrainer(policy: policy, reference: nil, config: PPOConfig(change)).update(group: group, advantages: advantages, rng: &rng)
        return (policy, report)
    }

    @Test func withDemonstrationWeightZeroAnUpdateIsBitIdenticalToOneWithoutDemonstrations() {
        let group = Self.ownGroup(Policy(config: Self.config, seed: 4))
        let (without, r1) = Self.update(group, advantages: [1, -1])
        let (zero, r2) = Self.update(group + [Self.demonstrations()], advantages: [1, -1, 0]) { $0.demonstrationWeight = 0 }
        #expect(r1.accepted && r2.accepted)
        #expect(without.parameterSnapshot().map(\.bitPattern) == zero.parameterSnapshot().map(\.bitPattern))
        #expect(r1.interventionSamples == 2 && r2.interventionSamples == 2 && r2.demonstrationSamples == nil, "\(r2)")
    }

    @Test func demonstrationStepsAreClonedWithTheirOwnWeightAndNoRatio() {
        let demos = Self.demonstrations()
        #expect(demos.steps == 10 && demos.intervenedSteps == 10 && demos.demonstration)
        let start = Policy(config: Self.config, seed: 4)
        let ws = PolicyWorkspace(config: Self.config, capacity: 10)
        func meanLogProb(_ p: Policy) -> Double {
            p.evaluate(observations: demos.observations, raw: demos.samples.flatMap(\.raw), temperatures: [Float](repeating: 1, count: 10), count: 10, workspace: ws)
            return (0..<10).reduce(0.0) { $0 + Double(ws.logProbs[$1]) } / 10
        }
        let before = meanLogProb(start)
        // intervention_weight 0 does not turn demonstrations off: they have their own weight.
        let (cloned, report) = Self.update([demos], advantages: [0]) { $0.interventionWeight = 0 }
        #expect(report.accepted && report.samples == 0 && report.demonstrationSamples == 10 && report.interventionSamples == 10, "\(report)")
        #expect(report.approxKL == 0, "no own steps: no ratio")
        #expect(meanLogProb(cloned) > before)
        // The weight is relative to the rest of the loss (Adam and the gradient clip take out its
        // overall scale): beside a person's interventions toward another action, a heavier
        // demonstration weight pulls further toward the demonstrated one.
        let group = Self.ownGroup(start) + [demos]
        let (heavier, _) = Self.update(group, advantages: [0, 0, 0]) { $0.demonstrationWeight = 5 }
        let (lighter, _) = Self.update(group, advantages: [0, 0, 0]) { $0.demonstrationWeight = 0.2 }
        #expect(meanLogProb(heavier) > meanLogProb(lighter))
    }

    @Test func demonstrationKeysAreCheckedForRange() {
        #expect(PPOConfig { $0.demonstrationWeight = -1 }.rangeProblem?.key == "demonstration_weight")
        #expect(PPOConfig { $0.demonstrationSteps = 0 }.rangeProblem?.key == "demonstration_steps")
        #expect(PPOConfig().demonstrationSteps == 512 && PPOConfig().demonstrationWeight == 1)
    }
}
