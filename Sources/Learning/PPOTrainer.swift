#if canImport(Glibc)
import Glibc
#endif
import Policy

/// Clipped PPO with group-relative advantages: one small update from a group of N attempts.
///
/// The loop, as CleanRL's: for each epoch, shuffle the steps, and per minibatch evaluate the policy
/// at each step's own temperature, take `PPOLoss`, backprop, clip the global gradient norm, take an
/// Adam step. Guard rails around it: the parameters and Adam's state are snapshotted first, and a
/// refused update (anything non-finite, or the final approx-KL past `hardKL`) puts both back bit
/// for bit, so a refused update never reaches the robot.
///
/// Not thread safe: one update at a time, and nothing may sample from `policy` during it.
public final class PPOTrainer: @unchecked Sendable {
    /// The policy being trained (changed in place by accepted updates).
    public let policy: Policy
    /// The frozen policy the KL penalty pulls toward (usually the checkpoint adaptation started from).
    public let reference: Policy?
    /// The hyperparameters.
    public var config: PPOConfig {
        didSet {
            if config.trainable != oldValue.trainable { trainableMask = Self.mask(policy: policy, trainable: config.trainable) }
            if config.learningRate != oldValue.learningRate || config.adaptiveLearningRate != oldValue.adaptiveLearningRate {
                learningRate = config.learningRate
            }
        }
    }
    /// The step size the next update takes: `config.learningRate`, then adapted after each update
    /// when `config.adaptiveLearningRate` is on.
    public var learningRate: Double
    /// Fault injection for tests: multiplies the learning rate (default 1).
    public var debugLearningRateMultiplier: Double = 1

    private let adam: AdamOptimizer
    private var gradient: [Float]
    private var workspace: PolicyWorkspace?
    /// 1 for parameters `config.trainable` selects, 0 for frozen ones; nil when all train.
    private var trainableMask: [Float]?

    /// A trainer for `policy` (and optionally a `reference` of the same architecture).
    public init(policy: Policy, reference: Policy?, config: PPOConfig) {
        if let reference { precondition(reference.config == policy.config, "reference must share the policy's architecture") }
        self.policy = policy
        self.reference = reference
        self.config = config
        learningRate = config.learningRate
        adam = AdamOptimizer(parameterCount: policy.parameterCount)
        gradient = [Float](repeating: 0, count: policy.parameterCount)
        trainableMask = Self.mask(policy: policy, trainable: config.trainable)
    }

    /// The gradient mask for `trainable` name prefixes (nil: every parameter trains).
    static func mask(policy: Policy, trainable: [String]?) -> [Float]? {
        guard let trainable else { return nil }
        var mask = [Float](repeating: 0, count: policy.parameterCount)
        for tensor in policy.tensorLayout where trainable.contains(where: { tensor.name == $0 || tensor.name.hasPrefix($0 + ".") }) {
            let count = tensor.shape.reduce(1, *)
            for i in tensor.offset..<(tensor.offset + count) { mask[i] = 1 }
        }
        return mask
    }

    /// Adam steps taken so far.
    public var optimizerStep: Int { adam.step }

    /// One update from a group of attempts, each step weighted by its attempt's advantage
    /// (`advantages[i]` for `group[i]`, e.g. from `GroupAdvantage`). Steps sampled at T == 0 are left out.
    /// Intervened steps (a person drove) take no PPO ratio: with `config.interventionWeight > 0`
    /// they enter the behaviour-cloning term at T = 1, whatever the attempt's temperature or
    /// advantage; with 0 they are left out. Approx-KL (early stop, hard limit) is over own steps only.
    public func update(group: [Trajectory], advantages: [Double], rng: inout PolicyRNG) -> UpdateReport {
        var report = step(group: group, advantages: advantages, rng: &rng)
        report.learningRate = learningRate
        // Refused for its KL: the same attempts again at a smaller rate (`klRefusalRetries`), so
        // finding the step size costs CPU, not the robot's tasks. Each try starts from the
        // restored parameters and Adam state.
        var retries = 0
        while config.adaptiveLearningRate, !report.accepted, report.approxKL > config.hardKL, report.approxKL.isFinite,
              retries < config.klRefusalRetries, learningRate > config.learningRateMin {
            learningRate = max(config.learningRateMin, learningRate / 1.5)
            retries += 1
            report = step(group: group, advantages: advantages, rng: &rng)
            report.learningRate = learningRate
            report.klRetries = retries
        }
        if config.adaptiveLearningRate, report.samples > 0 {
            // Refused for a KL past the hard limit, or too far: smaller steps. Barely moved: larger.
            if !report.accepted || report.approxKL > 2 * config.desiredKL {
                learningRate = max(config.learningRateMin, learningRate / 1.5)
            } else if report.approxKL < config.desiredKL / 2 {
                learningRate = min(config.learningRateMax, learningRate * 1.5)
            }
        }
        return report
    }

    /// Each attempt's weight on its own steps' advantages (`loss_aggregation`): 1 under
    /// `step_mean`; under `attempt_mean` the group's mean own-step count over the attempt's own
    /// (attempts with no own step take 1, and do not count in the mean), so every attempt's steps
    /// sum to one mean attempt's. Scaling an advantage by w > 0 scales its step's clipped PPO term
    /// by w (the term is positively homogeneous in A), so this is the per-attempt mean of the loss.
    func attemptWeights(_ group: [Trajectory]) -> [Float] {
        guard config.lossAggregation == .attemptMean else { return Array(repeating: 1, count: group.count) }
        let own = group.map { $0.temperature > 0 ? $0.steps - $0.intervenedSteps : 0 }
        let counted = own.filter { $0 > 0 }
        guard !counted.isEmpty else { return Array(repeating: 1, count: group.count) }
        let mean = Float(counted.reduce(0, +)) / Float(counted.count)
        return own.map { $0 > 0 ? mean / Float($0) : 1 }
    }

    private func step(group: [Trajectory], advantages: [Double], rng: inout PolicyRNG) -> UpdateReport {
        let start = ContinuousClock.now
        let cfg = policy.config
        func seconds() -> Double {
            let d = ContinuousClock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        // Malformed input is refused, not trapped on: the daemon must outlive a caller's mistake.
        guard group.count == advantages.count else {
            return UpdateReport(accepted: false, refusal: "\(group.count) trajectories but \(advantages.count) advantages",
                                seconds: seconds())
        }
        for (i, t) in group.enumerated() {
            guard t.observations.count == t.steps * cfg.observationSize,
                  t.samples.allSatisfy({ $0.raw.count == cfg.actionSize }),
                  t.intervened.count <= t.steps else {
                return UpdateReport(accepted: false,
                                    refusal: "trajectory \(i) is malformed (observations, actions or intervened flags do not match the policy's sizes or its steps)",
                                    seconds: seconds())
            }
        }
        let obsSize = cfg.observationSize, actSize = cfg.actionSize

        // Flatten the trainable steps: the policy's own (sampled at T > 0) and, for behaviour
        // cloning, the intervened ones (at T = 1; `isBC` 1).
        var obs: [Float] = [], raw: [Float] = [], temps: [Float] = [], oldLogProb: [Float] = [], adv: [Float] = []
        var isBC: [Float] = [], isReplay: [Bool] = []
        let lengthWeights = attemptWeights(group)
        for ((t, a), w) in zip(zip(group, advantages), lengthWeights) {
            for (i, s) in t.samples.enumerated() {
                let bc = t.isIntervened(i)
                if bc, t.replayed { continue }  // a person's step of an earlier group: cloned by that update
                let weight = t.demonstration ? config.demonstrationWeight : config.interventionWeight
                guard bc ? weight > 0 : t.temperature > 0 else { continue }
                obs += t.observations[(i * obsSize)..<((i + 1) * obsSize)]
                raw += s.raw
                oldLogProb.append(bc ? 0 : s.logProb)
                temps.append(bc ? 1 : t.temperature)
                adv.append(bc ? 0 : w * (Float(a) + t.advantageOffset(i)))
                isBC.append(bc ? (t.demonstration ? PPOLoss.demonstrationMarker : 1) : 0)
                isReplay.append(t.replayed)
            }
        }
        let total = temps.count
        let bcTotal = isBC.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let replayTotal = isReplay.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard total > 0 else {
            return UpdateReport(accepted: false, refusal: "no trainable steps (empty group, or only greedy attempts)",
                                seconds: seconds())
        }
        guard obs.allSatisfy(\.isFinite), raw.allSatisfy(\.isFinite), oldLogProb.allSatisfy(\.isFinite),
              adv.allSatisfy(\.isFinite) else {
            return UpdateReport(accepted: false, refusal: "non-finite input", samples: total, seconds: seconds())
        }

        let minibatches = max(1, min(config.minibatches, total))
        let capacity = (total + minibatches - 1) / minibatches
        if workspace == nil || workspace!.capacity < capacity {
            workspace = PolicyWorkspace(config: cfg, capacity: capacity)
        }
        let ws = workspace!

        // Reused steps (an earlier policy sampled them): decoupled PPO. The ratio is taken to the
        // policy before this update, so the clip, the early stop and the hard KL limit measure this
        // update's move alone; the advantage carries the truncated importance weight
        // min(1, pi_before / pi_behaviour) (V-trace's rho-bar = 1), so steps the policy has since
        // made less likely count less, and none counts more than a fresh one.
        if replayTotal > 0 {
            let before = evaluateAll(policy, obs: obs, raw: raw, temps: temps, workspace: ws).logProb
            for i in 0..<total where isReplay[i] {
                let weight = min(1, exp(Double(before[i]) - Double(oldLogProb[i])))
                guard weight.isFinite, before[i].isFinite else {
                    return UpdateReport(accepted: false, refusal: "non-finite importance weight of a reused step", samples: total,
                                        seconds: seconds())
                }
                adv[i] *= Float(weight)
                oldLogProb[i] = before[i]
            }
        }

        // Snapshot for restore: parameters and every bit of optimizer state.
        let savedParameters = policy.parameterSnapshot()
        let savedM = adam.m, savedV = adam.v, savedStep = adam.step
        func refuse(_ why: String, _ report: UpdateReport) -> UpdateReport {
            policy.restoreParameters(savedParameters)
            adam.m = savedM; adam.v = savedV; adam.step = savedStep
            var r = report
            r.accepted = false
            r.refusal = why
            r.seconds = seconds()
            return r
        }

        // The reference's log-probs are fixed for the whole update: compute them once.
        let refLogProb: [Float]? = reference.map { evaluateAll($0, obs: obs, raw: raw, temps: temps, workspace: ws).logProb }

        var report = UpdateReport(accepted: true, samples: total - bcTotal - replayTotal)
        if replayTotal > 0 { report.replaySamples = replayTotal }
        if bcTotal > 0 { report.interventionSamples = bcTotal; report.interventionLoss = 0 }
        let demonstrationTotal = isBC.reduce(0) { $0 + ($1 == PPOLoss.demonstrationMarker ? 1 : 0) }
        if demonstrationTotal > 0 { report.demonstrationSamples = demonstrationTotal }
        let loss = PPOLoss(config: config)
        var mbObs = [Float](repeating: 0, count: capacity * obsSize)
        var mbRaw = [Float](repeating: 0, count: capacity * actSize)
        var mbTemp = [Float](repeating: 0, count: capacity), mbOld = mbTemp, mbAdv = mbTemp, mbRef = mbTemp, mbBC = mbTemp
        var dLogProb = mbTemp, dEntropy = mbTemp
        var order = Array(0..<total)
        var steps = 0
        let lr = learningRate * debugLearningRateMultiplier

        epochs: for _ in 0..<max(config.epochs, 0) {
            report.epochs += 1
            for i in stride(from: total - 1, to: 0, by: -1) {   // Fisher-Yates with the caller's generator
                order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            for b in 0..<minibatches {
                let lo = b * total / minibatches, hi = (b + 1) * total / minibatches
                let m = hi - lo
                guard m > 0 else { continue }
                for (r, idx) in order[lo..<hi].enumerated() {
                    for j in 0..<obsSize { mbObs[r * obsSize + j] = obs[idx * obsSize + j] }
                    for j in 0..<actSize { mbRaw[r * actSize + j] = raw[idx * actSize + j] }
                    mbTemp[r] = temps[idx]; mbOld[r] = oldLogProb[idx]; mbAdv[r] = adv[idx]; mbBC[r] = isBC[idx]
                    if let refLogProb { mbRef[r] = refLogProb[idx] }
                }
                let terms: PPOLoss.Terms = mbObs.withUnsafeBufferPointer { o in
                    mbRaw.withUnsafeBufferPointer { a in
                        mbTemp.withUnsafeBufferPointer { t in
                            policy.evaluate(observations: o.baseAddress!, raw: a.baseAddress!, temperatures: t.baseAddress!,
                                            count: m, workspace: ws)
                            return mbRef.withUnsafeBufferPointer { ref in
                                loss.evaluate(count: m, newLogProb: ws.logProbs, oldLogProb: mbOld, advantages: mbAdv,
                                              entropies: ws.entropies, refLogProb: refLogProb == nil ? nil : ref.baseAddress!,
                                              intervened: mbBC, dLogProb: &dLogProb, dEntropy: &dEntropy)
                            }
                        }
                    }
                }
                guard terms.loss.isFinite, terms.approxKL.isFinite else {
                    return refuse("non-finite loss", report)
                }
                // Early stop before stepping on a minibatch the policy has already moved too far on.
                if let target = config.targetKL, terms.approxKL > target {
                    report.earlyStopped = true
                    break epochs
                }
                gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                policy.backward(observations: mbObs, raw: mbRaw, temperatures: mbTemp, count: m, dLogProb: dLogProb, dEntropy: dEntropy,
                                workspace: ws, gradient: &gradient)
                guard let norm = adam.maskedClippedStep(gradient: &gradient, mask: trainableMask, maxGradNorm: config.maxGradNorm,
                                                        policy: policy, learningRate: lr, beta1: config.adamBeta1,
                                                        beta2: config.adamBeta2, eps: config.adamEps) else {
                    return refuse("non-finite gradient", report)
                }
                steps += 1
                report.policyLoss += terms.pgLoss
                report.clipFraction += terms.clipFrac
                report.gradNorm += norm
                report.entropy += terms.entropy
                report.klToReference += terms.klRef
                if bcTotal > 0 { report.interventionLoss! += terms.bcLoss }
            }
        }
        if steps > 0 {
            let s = Double(steps)
            report.policyLoss /= s; report.clipFraction /= s; report.gradNorm /= s
            report.entropy /= s; report.klToReference /= s
            if bcTotal > 0 { report.interventionLoss! /= s }
        }

        // The final check: how far did the policy move from the one that acted?
        guard policy.isFinite else { return refuse("non-finite parameters", report) }
        let final = evaluateAll(policy, obs: obs, raw: raw, temps: temps, workspace: ws)
        // Over the policy's own steps only: an intervened step has no behaviour log-prob.
        var kl = 0.0
        for i in 0..<total where isBC[i] == 0 {
            let logratio = Double(final.logProb[i]) - Double(oldLogProb[i])
            kl += (exp(logratio) - 1) - logratio
        }
        kl /= Double(max(total - bcTotal, 1))
        report.approxKL = kl
        guard kl.isFinite else { return refuse("non-finite kl", report) }
        if kl > config.hardKL {
            return refuse("kl \(Self.format(kl)) > hard limit \(Self.format(config.hardKL))", report)
        }
        if steps == 0 { report.entropy = final.entropy }
        report.seconds = seconds()
        return report
    }

    /// Log-probs (and mean entropy) of every step under `p`, in workspace-sized chunks.
    private func evaluateAll(_ p: Policy, obs: [Float], raw: [Float], temps: [Float], workspace ws: PolicyWorkspace)
        -> (logProb: [Float], entropy: Double) {
        let total = temps.count, obsSize = p.config.observationSize, actSize = p.config.actionSize
        var out = [Float](repeating: 0, count: total)
        var entropy = 0.0
        obs.withUnsafeBufferPointer { o in
            raw.withUnsafeBufferPointer { a in
                temps.withUnsafeBufferPointer { t in
                    var lo = 0
                    while lo < total {
                        let m = min(ws.capacity, total - lo)
                        p.evaluate(observations: o.baseAddress! + lo * obsSize, raw: a.baseAddress! + lo * actSize,
                                   temperatures: t.baseAddress! + lo, count: m, workspace: ws)
                        for i in 0..<m {
                            out[lo + i] = ws.logProbs[i]
                            entropy += Double(ws.entropies[i])
                        }
                        lo += m
                    }
                }
            }
        }
        return (out, entropy / Double(max(total, 1)))
    }

    private static func format(_ x: Double) -> String {
        let r = (x * 1000).rounded() / 1000
        return "\(r)"
    }

    // MARK: Optimizer state

    /// Adam's state as tensors: "adam.m.<param>" and "adam.v.<param>" per parameter tensor (the
    /// policy's shapes) and "adam.step" ([1], the step count).
    public func optimizerTensors() -> [NamedTensor] {
        var out: [NamedTensor] = []
        for t in policy.tensorLayout {
            let n = t.shape.reduce(1, *)
            out.append(NamedTensor(name: "adam.m.\(t.name)", shape: t.shape, values: Array(adam.m[t.offset..<(t.offset + n)])))
            out.append(NamedTensor(name: "adam.v.\(t.name)", shape: t.shape, values: Array(adam.v[t.offset..<(t.offset + n)])))
        }
        out.append(NamedTensor(name: "adam.step", shape: [1], values: [Float(adam.step)]))
        return out
    }

    /// Restores Adam's state from `optimizerTensors()` of the same architecture. An empty list resets it.
    /// Nothing changes unless every tensor is present and well shaped.
    public func loadOptimizer(_ tensors: [NamedTensor]) throws {
        guard !tensors.isEmpty else { resetOptimizer(); return }
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var m = adam.m, v = adam.v
        for t in policy.tensorLayout {
            let n = t.shape.reduce(1, *)
            for (prefix, isM) in [("adam.m.", true), ("adam.v.", false)] {
                let name = prefix + t.name
                guard let found = byName[name] else { throw TrainerError.badOptimizerTensor("\"\(name)\" is missing") }
                guard found.shape == t.shape, found.values.count == n else {
                    throw TrainerError.badOptimizerTensor("\"\(name)\" has shape \(found.shape), needs \(t.shape)")
                }
                if isM { m.replaceSubrange(t.offset..<(t.offset + n), with: found.values) }
                else { v.replaceSubrange(t.offset..<(t.offset + n), with: found.values) }
            }
        }
        guard let step = byName["adam.step"], step.values.count == 1, step.values[0] >= 0, step.values[0].isFinite else {
            throw TrainerError.badOptimizerTensor("\"adam.step\" is missing or malformed")
        }
        adam.m = m
        adam.v = v
        adam.step = Int(step.values[0])
    }

    /// Zeroes Adam's moments and step count.
    public func resetOptimizer() { adam.reset() }
}
