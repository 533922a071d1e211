#if canImport(Glibc)
import Glibc
#endif
import Policy

/// A learned state value V(s) ≈ E[R | s], the attempt's reward expected from a step's observation
/// under the recent policy, fitted online by regression on the rewards of recent attempts.
///
/// What it is for (`adaptation.value_baseline_weight`): GRPO gives every step of an attempt the
/// attempt's advantage, so in a 100-step attempt the step that lost the task and the 99 that did
/// not are pushed alike. With V, step t of attempt i takes the per-step baseline of REINFORCE with
/// a state-dependent baseline (Williams 1992; Sutton & Barto §13.4), re-anchored at the group's
/// mean reward: b_{i,t} = mean_j R_j + (V(s_{i,t}) - V(s_0)), since every attempt of a task starts
/// from the same state s_0 and the group's mean is a better estimate of its value than V(s_0). The
/// baseline depends on the state only, never on the step's action, so the gradient stays unbiased;
/// a step taken where the attempt already looked won (V high) earns less credit, a step that
/// recovered from a poor state more, and a failure's blame lands where its value fell.
///
/// The network is a small MLP regressor built from the policy's own layers: a gaussian head with one
/// output whose log-std is frozen at 0, so -log N(R; V(s), 1) is the squared error / 2 plus a
/// constant, and `Policy.backward` gives its gradient. It takes the policy's observation
/// normaliser (the observations' scales are the policy's). Its prediction is clamped to [0, 1], the
/// range of ttad's rewards. Not thread safe; not written to checkpoints (it is refitted within a few
/// tasks after a restart, while `warmupGroups` keeps it out of the advantages).
public final class StateValueBaseline: @unchecked Sendable {
    /// Hyperparameters, with their defaults (fixed before any measurement; docs/learning.md).
    public struct Config: Sendable, Equatable {
        /// Hidden layer widths. Default [64, 64] (tanh).
        public var hiddenSizes = [64, 64]
        /// Adam's step size. Default 1e-3.
        public var learningRate = 1e-3
        /// Passes over the buffer after each task. Default 2.
        public var epochs = 2
        /// Steps per minibatch. Default 256.
        public var minibatchSize = 256
        /// How many recent groups the buffer keeps (V tracks the recent policy). Default 8.
        public var bufferGroups = 8
        /// Groups V must have been fitted on before it shapes an advantage. Default 4.
        public var warmupGroups = 4
        /// Gradient-norm clip of each Adam step. Default 0.5 (as the PPO update's).
        public var maxGradNorm = 0.5

        /// The defaults.
        public init() {}
    }

    /// The hyperparameters.
    public let config: Config
    /// The regressor (gaussian head, one output, log-std frozen at 0).
    let network: Policy
    private let adam: AdamOptimizer
    private let mask: [Float]
    private var buffer: [(observations: [Float], rewards: [Float])] = []
    private var rng: PolicyRNG
    /// Groups fitted on so far.
    public private(set) var groupsSeen = 0

    /// A fresh V for `policy`'s observations, scaled as the policy scales them (its normaliser and
    /// observation clip, as they are now).
    public init(for policy: Policy, config: Config = Config(), seed: UInt64 = 0x5EED_0F0A) {
        self.config = config
        let shape = PolicyConfig(observationSize: policy.config.observationSize, actionSize: 1, actionLow: [0], actionHigh: [1],
                                 hiddenSizes: config.hiddenSizes, head: .gaussian, initialLogStd: 0,
                                 observationClip: policy.config.observationClip)
        network = Policy(config: shape, seed: seed)
        if let normalizer = policy.normalizer { network.setNormalizer(normalizer) }
        adam = AdamOptimizer(parameterCount: network.parameterCount)
        var mask = [Float](repeating: 1, count: network.parameterCount)
        for t in network.tensorLayout where t.name == "head.log_std" { mask[t.offset] = 0 }
        self.mask = mask
        rng = PolicyRNG(seed: seed &+ 1)
    }

    /// Whether V has seen enough groups to shape advantages (`Config.warmupGroups`).
    public var isWarm: Bool { groupsSeen >= config.warmupGroups }

    /// V at each of `count` observations (row-major), each in [0, 1].
    public func values(observations: [Float], count: Int) -> [Float] {
        guard count > 0 else { return [] }
        var greedy = PolicyRNG(seed: 0)
        return network.sample(observations: observations, temperatures: [Float](repeating: 0, count: count), rng: &greedy)
            .map { $0.action[0] }
    }

    /// Adds a task's attempts (their own steps: a person's or a demonstration's are left out) to
    /// the buffer, drops the oldest group past `bufferGroups`, and fits V for `epochs` passes.
    /// Returns the mean squared error of the last pass, or nil when nothing was fitted.
    @discardableResult
    public func fit(group: [Trajectory]) -> Double? {
        let size = network.config.observationSize
        var observations: [Float] = [], rewards: [Float] = []
        for t in group where !t.demonstration && t.reward.isFinite {
            for i in 0..<t.steps where !t.isIntervened(i) {
                observations += t.observations[(i * size)..<((i + 1) * size)]
                rewards.append(Float(min(max(t.reward, 0), 1)))
            }
        }
        guard !rewards.isEmpty, observations.allSatisfy(\.isFinite) else { return nil }
        buffer.append((observations, rewards))
        if buffer.count > config.bufferGroups { buffer.removeFirst(buffer.count - config.bufferGroups) }
        groupsSeen += 1

        let allObservations = buffer.flatMap(\.observations), allRewards = buffer.flatMap(\.rewards)
        let total = allRewards.count
        let batch = min(config.minibatchSize, total)
        let ws = PolicyWorkspace(config: network.config, capacity: batch)
        var mbObs = [Float](repeating: 0, count: batch * size), mbTarget = [Float](repeating: 0, count: batch)
        let ones = [Float](repeating: 1, count: batch), zeros = [Float](repeating: 0, count: batch)
        var dLogProb = [Float](repeating: 0, count: batch)
        var gradient = [Float](repeating: 0, count: network.parameterCount)
        var order = Array(0..<total)
        var lastError: Double?
        // Anything non-finite puts V and Adam back as they were before this fit.
        let saved = network.parameterSnapshot()
        let savedM = adam.m, savedV = adam.v, savedStep = adam.step
        for _ in 0..<config.epochs {
            for i in stride(from: total - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var squared = 0.0
            var lo = 0
            while lo < total {
                let m = min(batch, total - lo)
                for r in 0..<m {
                    let idx = order[lo + r]
                    for j in 0..<size { mbObs[r * size + j] = allObservations[idx * size + j] }
                    mbTarget[r] = allRewards[idx]
                }
                network.evaluate(observations: mbObs, raw: mbTarget, temperatures: ones, count: m, workspace: ws)
                // log N(R; V, 1) = -(R - V)^2 / 2 - const: maximising its mean is least squares.
                for r in 0..<m {
                    let logProb = Double(ws.logProbs[r]) + 0.5 * log(2 * Double.pi)
                    squared += -2 * logProb
                    dLogProb[r] = -1 / Float(m)
                }
                gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                network.backward(observations: mbObs, raw: mbTarget, temperatures: ones, count: m, dLogProb: dLogProb, dEntropy: zeros,
                                 workspace: ws, gradient: &gradient)
                guard adam.maskedClippedStep(gradient: &gradient, mask: mask, maxGradNorm: config.maxGradNorm, policy: network,
                                             learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8) != nil,
                      network.isFinite else {
                    network.restoreParameters(saved)
                    adam.m = savedM; adam.v = savedV; adam.step = savedStep
                    return nil
                }
                lo += m
            }
            lastError = squared / Double(total)
        }
        return lastError
    }
}
