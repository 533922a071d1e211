import Testing
@testable import Learning
import Policy

/// The cloning phase (`BehaviourCloner`): it fits the policy to the person's steps (stored
/// demonstrations and takeovers) and to nothing else, leaves a gaussian head's exploration and
/// frozen tensors alone, and refuses bad input without moving a parameter.
@Suite struct BehaviourClonerTests {
    static let binned = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], head: .binned, bins: 8)
    static let gaussian = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], head: .gaussian)
    /// The person's action: a function of the observation, so cloning has something to fit.
    static func person(_ o: [Float]) -> [Float] { [max(-1, min(1, o[0] + o[1])), max(-1, min(1, o[2] - o[3]))] }

    /// Stored demonstration steps: `steps` random observations, each with the person's action.
    static func demonstrations(_ config: PolicyConfig, steps: Int = 64, seed: UInt64 = 3) -> Trajectory {
        var rng = PolicyRNG(seed: seed)
        let observations = (0..<(steps * 4)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let actions = (0..<steps).flatMap { person(Array(observations[($0 * 4)..<($0 * 4 + 4)])) }
        return Trajectory.demonstration(observations: observations, actions: actions, policy: config)
    }

    /// An attempt of the policy's own at T = 1, a person driving the steps in `driven`.
    static func attempt(_ policy: Policy, steps: Int = 12, driven: Set<Int>) -> Trajectory {
        var rng = PolicyRNG(seed: 5)
        var t = Trajectory(observations: [], samples: [], temperature: 1, reward: 1)
        for step in 0..<steps {
            let obs = (0..<4).map { _ in rng.nextUnitFloat() * 2 - 1 }
            t.observations += obs
            t.samples.append(policy.sample(observation: obs, temperature: 1, rng: &rng))
            if driven.contains(step) { t.recordIntervention(executed: person(obs), policy: policy.config) }
        }
        return t
    }

    /// Mean log-likelihood of the person's steps of `t` under `policy` at T = 1.
    static func personLogLikelihood(_ policy: Policy, _ t: Trajectory) -> Double {
        let steps = (0..<t.steps).filter { t.isIntervened($0) }
        let ws = PolicyWorkspace(config: policy.config, capacity: steps.count)
        let observations = steps.flatMap { t.observations[($0 * 4)..<($0 * 4 + 4)] }
        policy.evaluate(observations: observations, raw: steps.flatMap { t.samples[$0].raw },
                        temperatures: [Float](repeating: 1, count: steps.count), count: steps.count, workspace: ws)
        return (0..<steps.count).reduce(0.0) { $0 + Double(ws.logProbs[$1]) } / Double(steps.count)
    }

    @Test(arguments: [binned, gaussian])
    func cloningRaisesTheLikelihoodOfThePersonsStepsOnEveryHead(_ config: PolicyConfig) {
        let policy = Policy(config: config, seed: 4)
        let demos = Self.demonstrations(config)
        let before = Self.personLogLikelihood(policy, demos)
        var rng = PolicyRNG(seed: 9)
        let report = BehaviourCloner(policy: policy, config: PPOConfig { $0.cloneSteps = 40; $0.cloneBatchSize = 32 }).fit([demos], rng: &rng)
        #expect(report.steps == 40 && report.samples == 64 && report.refusal == nil, "\(report)")
        #expect(report.lastLoss < report.firstLoss, "\(report)")
        #expect(Self.personLogLikelihood(policy, demos) > before + 0.1)
    }

    @Test func onlyThePersonsStepsAreClonedAndEachKindFollowsItsWeight() {
        let policy = Policy(config: Self.binned, seed: 4)
        let own = Self.attempt(policy, driven: [3, 4, 5])
        let demos = Self.demonstrations(Self.binned, steps: 10)
        func samples(_ change: @escaping (inout PPOConfig) -> Void) -> Int {
            var rng = PolicyRNG(seed: 1)
            return BehaviourCloner(policy: Policy(config: Self.binned, seed: 4), config: PPOConfig(change)).fit([own, demos], rng: &rng).samples
        }
        #expect(samples { _ in } == 13, "3 driven steps of 12, and 10 stored ones; the policy's own 9 are not cloned")
        #expect(samples { $0.interventionWeight = 0 } == 10)
        #expect(samples { $0.demonstrationWeight = 0 } == 3)
        // A group without a person's step: nothing to clone, nothing moves.
        let bits = policy.parameterSnapshot().map(\.bitPattern)
        var rng = PolicyRNG(seed: 1)
        let report = BehaviourCloner(policy: policy, config: PPOConfig()).fit([Self.attempt(policy, driven: [])], rng: &rng)
        #expect(report.samples == 0 && report.steps == 0)
        #expect(policy.parameterSnapshot().map(\.bitPattern) == bits)
    }

    @Test func aGaussianHeadsLogStdAndFrozenTensorsAreNotCloned() {
        let policy = Policy(config: Self.gaussian, seed: 4)
        let layout = policy.tensorLayout
        func values(_ name: String) -> [Float] {
            let t = layout.first { $0.name == name }!
            return Array(policy.parameterSnapshot()[t.offset..<(t.offset + t.shape.reduce(1, *))])
        }
        let logStd = values("head.log_std"), hidden = values("layers.0.weight"), head = values("head.weight")
        var rng = PolicyRNG(seed: 2)
        let report = BehaviourCloner(policy: policy, config: PPOConfig { $0.cloneSteps = 20; $0.cloneTrainable = ["head"]; $0.trainable = ["layers.0"] })
            .fit([Self.demonstrations(Self.gaussian)], rng: &rng)
        #expect(report.steps == 20)
        #expect(values("head.log_std") == logStd, "exploration is PPO's business")
        #expect(values("layers.0.weight") == hidden, "outside `clone_trainable` (`trainable` is the PPO update's)")
        #expect(values("head.weight") != head)
    }

    @Test func nonFiniteInputIsRefusedAndCloneStepsZeroDoesNothing() {
        let policy = Policy(config: Self.binned, seed: 4)
        let bits = policy.parameterSnapshot().map(\.bitPattern)
        var bad = Self.demonstrations(Self.binned, steps: 4)
        bad.observations[5] = .nan
        var rng = PolicyRNG(seed: 1)
        let refused = BehaviourCloner(policy: policy, config: PPOConfig()).fit([bad], rng: &rng)
        #expect(refused.refusal == "non-finite input" && refused.steps == 0)
        let off = BehaviourCloner(policy: policy, config: PPOConfig { $0.cloneSteps = 0 }).fit([Self.demonstrations(Self.binned)], rng: &rng)
        #expect(off.steps == 0 && off.samples == 64 && off.refusal == nil)
        #expect(policy.parameterSnapshot().map(\.bitPattern) == bits)
    }

    @Test func theSameSeedClonesAlike() {
        func cloned() -> [UInt32] {
            let policy = Policy(config: Self.binned, seed: 4)
            var rng = PolicyRNG(seed: 77)
            _ = BehaviourCloner(policy: policy, config: PPOConfig { $0.cloneSteps = 5 }).fit([Self.demonstrations(Self.binned)], rng: &rng)
            return policy.parameterSnapshot().map(\.bitPattern)
        }
        #expect(cloned() == cloned())
    }

    @Test func cloneKeysAreCheckedForRange() {
        #expect(PPOConfig { $0.cloneSteps = -1 }.rangeProblem?.key == "clone_steps")
        #expect(PPOConfig { $0.cloneBatchSize = 0 }.rangeProblem?.key == "clone_batch_size")
        #expect(PPOConfig { $0.cloneLearningRate = 0 }.rangeProblem?.key == "clone_learning_rate")
        #expect(PPOConfig().cloneSteps == 50 && PPOConfig().cloneBatchSize == 256 && PPOConfig().cloneLearningRate == 1e-3)
    }
}
