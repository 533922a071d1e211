import Testing
@testable import Learning
import Policy

/// Intervened steps (a person drove, over the bridge) are behaviour cloning, never PPO samples.
@Suite struct InterventionLearningTests {
    static let heads: [ActionHeadKind] = [.binned, .gaussian]
    static let executed: [Float] = [0.5, -0.5]

    static func policyConfig(_ head: ActionHeadKind) -> PolicyConfig {
        PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], head: head, bins: 8)
    }

    /// Two attempts of 4 steps, every step driven by a person who executed `executed`; ttad's own
    /// samples (what it sent) are recorded first, then replaced, as the attempt runner does.
    static func intervenedGroup(_ policy: Policy, rng: inout PolicyRNG) -> [Trajectory] {
        (0..<2).map { _ in
            var t = Trajectory(observations: [], samples: [], temperature: 1, reward: 0)
            for _ in 0..<4 {
                let obs = (0..<4).map { _ in rng.nextUnitFloat() * 2 - 1 }
                t.observations += obs
                t.samples.append(policy.sample(observation: obs, temperature: 1, rng: &rng))
                t.recordIntervention(executed: executed, policy: policy.config)
            }
            return t
        }
    }

    /// Mean log pi(executed | obs) at T = 1 over the group's steps.
    static func meanLogProb(_ policy: Policy, _ group: [Trajectory]) -> Double {
        let obs = group.flatMap(\.observations), raw = group.flatMap { $0.samples.flatMap(\.raw) }
        let n = group.reduce(0) { $0 + $1.steps }
        let ws = PolicyWorkspace(config: policy.config, capacity: n)
        policy.evaluate(observations: obs, raw: raw, temperatures: [Float](repeating: 1, count: n), count: n, workspace: ws)
        return (0..<n).reduce(0.0) { $0 + Double(ws.logProbs[$1]) } / Double(n)
    }

    @Test(arguments: heads)
    func anAllIntervenedGroupMovesThePolicyOnlyTowardTheExecutedAction(head: ActionHeadKind) {
        let start = Policy(config: Self.policyConfig(head), seed: 5)
        var rng = PolicyRNG(seed: 6)
        let group = Self.intervenedGroup(start, rng: &rng)
        #expect(group.allSatisfy { $0.intervenedSteps == 4 && $0.samples.allSatisfy { $0.logProb == 0 } })
        let before = Self.meanLogProb(start, group)

        let a = start.copy(), b = start.copy()
        var rngA = PolicyRNG(seed: 7), rngB = PolicyRNG(seed: 7)
        let ra = PPOTrainer(policy: a, reference: nil, config: PPOConfig()).update(group: group, advantages: [1, -1], rng: &rngA)
        let rb = PPOTrainer(policy: b, reference: nil, config: PPOConfig()).update(group: group, advantages: [-1, 1], rng: &rngB)
        #expect(ra.accepted && ra.samples == 0 && ra.interventionSamples == 8, "\(ra)")
        #expect(rb.accepted && rb.interventionSamples == 8, "\(rb)")
        #expect(ra.approxKL == 0, "no own steps: no ratio, so no approx-KL")
        // No PPO ratio: the advantages (the only thing the two updates differ in) changed nothing.
        #expect(a.parameterSnapshot().map(\.bitPattern) == b.parameterSnapshot().map(\.bitPattern))
        #expect(a.parameterSnapshot() != start.parameterSnapshot(), "the supervised term moved it")
        let after = Self.meanLogProb(a, group)
        #expect(after > before, "log pi(executed) went from \(before) to \(after)")
        #expect((ra.interventionLoss ?? 0) > 0)
    }

    @Test func withWeightZeroAnAllIntervenedGroupChangesNothing() {
        let policy = Policy(config: Self.policyConfig(.binned), seed: 5)
        var rng = PolicyRNG(seed: 6)
        let group = Self.intervenedGroup(policy, rng: &rng)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.interventionWeight = 0 })
        let params = policy.parameterSnapshot().map(\.bitPattern)
        let report = trainer.update(group: group, advantages: [1, -1], rng: &rng)
        #expect(!report.accepted && report.refusal?.contains("no trainable steps") == true, "\(report)")
        #expect(policy.parameterSnapshot().map(\.bitPattern) == params)
    }

    @Test func theExecutedActionIsScoredAsTheNearestBinOrItself() {
        var binned = Self.policyConfig(.binned)
        binned.actionLow = [-1, -1]; binned.actionHigh = [1, 1]
        // 8 bins over [-1, 1]: centres every 2/7; 0.5 is nearest bin 5 (0.43), -0.5 bin 2 (-0.43), 3 clamps to bin 7.
        #expect(Trajectory.raw([0.5, -0.5], policy: binned) == [5, 2])
        #expect(Trajectory.raw([3, -1], policy: binned) == [7, 0])
        #expect(Trajectory.raw([0.5, -0.5], policy: Self.policyConfig(.gaussian)) == [0.5, -0.5])
    }

    @Test(arguments: heads)
    func theBehaviourCloningGradientMatchesFiniteDifferences(head: ActionHeadKind) {
        var f = LossFixture(head: head, shifts: [0.05, -0.05, 0.02, -0.1, 0.1, 0], advantages: [1, -1, 0.5, -0.7, 1.2, -0.3], seed: 3)
        f.intervened = [0, 1, 0, 1, 1, 0]
        let ppo = PPOConfig { $0.interventionWeight = 0.7 }
        let terms = { var none: [Float]? = nil; return f.loss(ppo, useRef: true, gradient: &none) }()
        #expect(terms.intervenedSteps == 3 && terms.ownSteps == 3 && terms.bcLoss != 0)
        let (err, norm) = f.check(ppo, useRef: true)
        #expect(norm > 1e-3)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test func ownStepsOfAnAttemptWithInterventionsTrainAsIfTheIntervenedOnesWereNotThere() {
        let start = Policy(config: Self.policyConfig(.binned), seed: 11)
        var rng = PolicyRNG(seed: 12)
        // Two attempts of 6 steps; a person drove steps 2 and 3 of each.
        var mixed: [Trajectory] = [], ownOnly: [Trajectory] = []
        for _ in 0..<2 {
            var t = Trajectory(observations: [], samples: [], temperature: 0.8, reward: 0)
            var own = t
            for step in 0..<6 {
                let obs = (0..<4).map { _ in rng.nextUnitFloat() * 2 - 1 }
                let sample = start.sample(observation: obs, temperature: 0.8, rng: &rng)
                t.observations += obs
                t.samples.append(sample)
                if step == 2 || step == 3 {
                    t.recordIntervention(executed: Self.executed, policy: start.config)
                } else {
                    own.observations += obs
                    own.samples.append(sample)
                }
            }
            mixed.append(t)
            ownOnly.append(own)
        }
        #expect(mixed.allSatisfy { $0.intervenedSteps == 2 && $0.intervened.count == 4 })
        let a = start.copy(), b = start.copy()
        var rngA = PolicyRNG(seed: 13), rngB = PolicyRNG(seed: 13)
        let noBC = PPOConfig { $0.interventionWeight = 0; $0.targetKL = nil }
        let ra = PPOTrainer(policy: a, reference: nil, config: noBC).update(group: mixed, advantages: [1, -1], rng: &rngA)
        let rb = PPOTrainer(policy: b, reference: nil, config: noBC).update(group: ownOnly, advantages: [1, -1], rng: &rngB)
        #expect(ra.accepted && ra.samples == 8 && ra.interventionSamples == nil, "\(ra)")
        #expect(ra.approxKL == rb.approxKL && ra.policyLoss == rb.policyLoss)
        #expect(a.parameterSnapshot().map(\.bitPattern) == b.parameterSnapshot().map(\.bitPattern),
                "with weight 0 the intervened steps add nothing, and the own steps train as PPO samples")

        var rngC = PolicyRNG(seed: 13)
        let rc = PPOTrainer(policy: start.copy(), reference: nil, config: PPOConfig { $0.targetKL = nil })
            .update(group: mixed, advantages: [1, -1], rng: &rngC)
        #expect(rc.accepted && rc.samples == 8 && rc.interventionSamples == 4, "\(rc)")
    }
}
