#if canImport(Glibc)
import Glibc
#endif
import Policy

/// Behaviour cloning of a person's steps, after a task's PPO update: the stored demonstrations of
/// the task family and the steps a person drove in this task's attempts (HG-DAgger's data:
/// Kelly et al. 2019; HIL-SERL's demonstrations and corrections, Luo et al. 2024).
///
///     clone_loss = mean over a minibatch of -log pi(a_person | s)   at T = 1
///
/// `clone_steps` Adam steps on minibatches of `clone_batch_size` steps drawn with replacement, at
/// `clone_learning_rate`, the global gradient norm clipped at `max_grad_norm`. Why a phase of its
/// own and not only the PPO loss's cloning term: that term shares the PPO update's few small
/// steps, whose rate the KL on the policy's own steps sets, and from a random or cold start it
/// learns from the person too slowly to matter (docs/experiment.md, "Teaching it").
///
/// A gaussian head's `log_std` is not cloned: how widely the policy explores is the PPO update's
/// business, and cloning a consistent person would shrink it. Tensors outside `clone_trainable`
/// (default: all; `trainable` is the PPO update's) stay frozen. Its Adam moments are its own (another objective than PPO's) and start afresh with
/// the cloner. Anything non-finite puts the parameters back bit for bit and reports the refusal.
///
/// Not thread safe: nothing may sample from `policy` during `fit`.
public final class BehaviourCloner: @unchecked Sendable {
    /// The policy being cloned into (changed in place).
    public let policy: Policy
    /// The hyperparameters (`clone_*`, `max_grad_norm`, Adam's betas and epsilon).
    public let config: PPOConfig

    /// What one `fit` did.
    public struct Report: Equatable, Sendable {
        /// Adam steps taken (0 when refused or when there was nothing to clone).
        public var steps = 0
        /// The person's steps available to draw from.
        public var samples = 0
        /// Mean clone_loss over the first and the last minibatch.
        public var firstLoss = 0.0, lastLoss = 0.0
        /// Why the parameters were put back, when they were.
        public var refusal: String?
    }

    private let adam: AdamOptimizer
    private var gradient: [Float]
    private var workspace: PolicyWorkspace?
    /// 1 where cloning may move a parameter: `clone_trainable`'s tensors, never `head.log_std`.
    private let mask: [Float]

    /// A cloner for `policy` with `config`'s `clone_*` settings.
    public init(policy: Policy, config: PPOConfig) {
        self.policy = policy
        self.config = config
        adam = AdamOptimizer(parameterCount: policy.parameterCount)
        gradient = [Float](repeating: 0, count: policy.parameterCount)
        var mask = PPOTrainer.mask(policy: policy, trainable: config.cloneTrainable)
            ?? [Float](repeating: 1, count: policy.parameterCount)
        for tensor in policy.tensorLayout where tensor.name == "head.log_std" {
            for i in tensor.offset..<(tensor.offset + tensor.shape.reduce(1, *)) { mask[i] = 0 }
        }
        self.mask = mask
    }

    /// `config.cloneSteps` Adam steps on the person's steps in `trajectories`: every intervened
    /// step (a stored demonstration's when `demonstration_weight` > 0, an attempt's when
    /// `intervention_weight` > 0; their weights otherwise only scale the PPO loss's term).
    /// Minibatches are drawn from `rng`, so the same seed clones alike.
    public func fit(_ trajectories: [Trajectory], rng: inout PolicyRNG) -> Report {
        let obsSize = policy.config.observationSize, actSize = policy.config.actionSize
        var observations: [Float] = [], raw: [Float] = []
        for t in trajectories where (t.demonstration ? config.demonstrationWeight : config.interventionWeight) > 0 {
            guard t.observations.count == t.steps * obsSize, t.samples.allSatisfy({ $0.raw.count == actSize }) else {
                return Report(refusal: "a trajectory is malformed (its observations or actions do not match the policy's sizes)")
            }
            for i in 0..<t.steps where t.isIntervened(i) {
                observations += t.observations[(i * obsSize)..<((i + 1) * obsSize)]
                raw += t.samples[i].raw
            }
        }
        let count = raw.count / max(actSize, 1)
        var report = Report(samples: count)
        guard config.cloneSteps > 0, count > 0 else { return report }
        guard observations.allSatisfy(\.isFinite), raw.allSatisfy(\.isFinite) else {
            report.refusal = "non-finite input"
            return report
        }
        let batch = min(config.cloneBatchSize, count)
        if workspace == nil || workspace!.capacity < batch { workspace = PolicyWorkspace(config: policy.config, capacity: batch) }
        let ws = workspace!
        let saved = policy.parameterSnapshot()
        let savedM = adam.m, savedV = adam.v, savedStep = adam.step
        func refuse(_ why: String) -> Report {
            policy.restoreParameters(saved)
            adam.m = savedM; adam.v = savedV; adam.step = savedStep
            var r = report
            r.steps = 0
            r.refusal = why
            return r
        }
        var mbObs = [Float](repeating: 0, count: batch * obsSize), mbRaw = [Float](repeating: 0, count: batch * actSize)
        let temperatures = [Float](repeating: 1, count: batch)
        // d(mean -log pi)/d log pi, and no entropy term.
        let dLogProb = [Float](repeating: -1 / Float(batch), count: batch), dEntropy = [Float](repeating: 0, count: batch)
        for step in 0..<config.cloneSteps {
            for r in 0..<batch {
                let i = Int(rng.next() % UInt64(count))
                for j in 0..<obsSize { mbObs[r * obsSize + j] = observations[i * obsSize + j] }
                for j in 0..<actSize { mbRaw[r * actSize + j] = raw[i * actSize + j] }
            }
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            var loss = 0.0
            policy.evaluate(observations: mbObs, raw: mbRaw, temperatures: temperatures, count: batch, workspace: ws)
            for i in 0..<batch { loss -= Double(ws.logProbs[i]) }
            policy.backward(observations: mbObs, raw: mbRaw, temperatures: temperatures, count: batch, dLogProb: dLogProb,
                            dEntropy: dEntropy, workspace: ws, gradient: &gradient)
            loss /= Double(batch)
            guard loss.isFinite else { return refuse("non-finite clone loss") }
            if step == 0 { report.firstLoss = loss }
            report.lastLoss = loss
            guard adam.maskedClippedStep(gradient: &gradient, mask: mask, maxGradNorm: config.maxGradNorm, policy: policy,
                                         learningRate: config.cloneLearningRate, beta1: config.adamBeta1,
                                         beta2: config.adamBeta2, eps: config.adamEps) != nil else {
                return refuse("non-finite clone gradient")
            }
            report.steps += 1
        }
        guard policy.isFinite else { return refuse("non-finite parameters after cloning") }
        return report
    }
}
