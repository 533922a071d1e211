import Foundation
import Testing
@testable import Learning
@testable import Policy

@Suite struct ScheduleAndRewardTests {
    @Test func rewardModeParsesTheTwoModesAndRefusesAnythingElseNamingTheField() throws {
        #expect(try RewardMode(parsing: "efficiency", field: "f") == .efficiency)
        #expect(try RewardMode(parsing: "binary", field: "f") == .binary)
        #expect(RewardMode.binary.taskReward is BinaryReward && RewardMode.efficiency.taskReward is EfficiencyReward)
        #expect(throws: InvalidRewardMode(field: "args.reward", value: "Binary")) { try RewardMode(parsing: "Binary", field: "args.reward") }
        #expect(InvalidRewardMode(field: "args.reward", value: "speed").description == #"args.reward: expected one of efficiency, binary, got "speed""#)
    }

    @Test func temperatureScheduleMatchesTheSeedMethod() {
        let t = TemperatureSchedule.temperatures(count: 4, base: 0.6, range: 0.3)
        #expect(t.count == 4)
        for (a, b) in zip(t, [0.6, 0.7, 0.8, 0.9]) { #expect(abs(a - b) < 1e-12) }
        #expect(TemperatureSchedule.temperatures(count: 1, base: 0.6, range: 0.3) == [0.6])
        #expect(TemperatureSchedule.temperatures(count: 0, base: 0.6, range: 0.3) == [])
        let eight = TemperatureSchedule.temperatures(count: 8, base: 0.6, range: 0.3)
        #expect(abs(eight.last! - 0.9) < 1e-12)
    }

    @Test func efficiencyRewardValues() {
        let r = EfficiencyReward()
        #expect(abs(r.reward(AttemptOutcome(success: true, steps: 100, maxSteps: 500)) - 0.8333) < 1e-4)
        #expect(abs(r.reward(AttemptOutcome(success: true, steps: 250, maxSteps: 500)) - 0.6667) < 1e-4)
        #expect(r.reward(AttemptOutcome(success: true, steps: 500, maxSteps: 500)) == 0.5)
        #expect(r.reward(AttemptOutcome(success: false, steps: 100, maxSteps: 500)) == 0)
    }

    @Test func binaryRewardValues() {
        let r: any RewardFunction = BinaryReward()
        #expect(r.reward(AttemptOutcome(success: true, steps: 400, maxSteps: 500)) == 1)
        #expect(r.reward(AttemptOutcome(success: false, steps: 500, maxSteps: 500)) == 0)
    }

    @Test func multiObjectiveRewardAddsItsWeightedTerms() {
        let near = AttemptOutcome(success: false, steps: 50, maxSteps: 50, actionChange: 0.2, safetyMargin: 0.5, progress: 0.8)
        let far = AttemptOutcome(success: false, steps: 50, maxSteps: 50, actionChange: 0.2, safetyMargin: 0.5, progress: 0.1)
        let success = AttemptOutcome(success: true, steps: 25, maxSteps: 50, actionChange: 0.2, safetyMargin: 0.5, progress: 0.9)
        // All weights 0: exactly the task reward, and the plain type.
        let plain = MultiObjectiveReward.make(mode: .efficiency, weights: RewardWeights())
        #expect(plain is EfficiencyReward && MultiObjectiveReward.make(mode: .binary, weights: RewardWeights()) is BinaryReward)
        #expect(MultiObjectiveReward(task: EfficiencyReward(), weights: RewardWeights()).reward(success) == EfficiencyReward().reward(success))
        // r = r_task + w_p P - w_s C + w_m M; a success counts P = 1 whatever it measured.
        let r = MultiObjectiveReward.make(mode: .efficiency, weights: RewardWeights(progress: 0.3, smoothness: 0.5, safetyMargin: 0.1))
        #expect(abs(r.reward(near) - (0.3 * 0.8 - 0.5 * 0.2 + 0.1 * 0.5)) < 1e-12)
        #expect(abs(r.reward(success) - (1 / 1.5 + 0.3 - 0.5 * 0.2 + 0.1 * 0.5)) < 1e-12)
        #expect(r.reward(near) > r.reward(far), "a near miss outscores a wild miss")
        #expect(r.reward(success) > r.reward(near), "no failure outscores a success")
        // Without a progress measurement a failure gets no progress credit.
        var unmeasured = near
        unmeasured.progress = nil
        #expect(abs(r.reward(unmeasured) - (-0.5 * 0.2 + 0.1 * 0.5)) < 1e-12)
        // Smoother and safer attempts score higher, all else equal.
        var jerky = near, close = near
        jerky.actionChange = 0.6
        close.safetyMargin = 0.1
        #expect(r.reward(jerky) < r.reward(near) && r.reward(close) < r.reward(near))
    }


    @Test func advantagesAreNilWithoutVariance() {
        #expect(GroupAdvantage.advantages(rewards: [0, 0, 0, 0]) == nil)
        #expect(GroupAdvantage.advantages(rewards: [0.8, 0.8, 0.8]) == nil)
        #expect(GroupAdvantage.advantages(rewards: [1]) == nil)
        #expect(GroupAdvantage.advantages(rewards: [1, .nan]) == nil)
    }

    @Test func advantagesAreGroupNormalised() throws {
        let a = try #require(GroupAdvantage.advantages(rewards: [1, 0, 0, 1]))
        // mean 0.5, unbiased std sqrt(1/3)
        let expected = 0.5 / ((1.0 / 3).squareRoot() + 1e-6)
        for (x, sign) in zip(a, [1.0, -1, -1, 1]) { #expect(abs(x - sign * expected) < 1e-9) }
        #expect(abs(a.reduce(0, +)) < 1e-12)
    }

    @Test func meanNormalisedAdvantagesKeepTheRewardScale() throws {
        // Dr. GRPO: R - mean, no division. Two groups with the same ranking but a 10x smaller
        // spread get 10x smaller advantages; std normalisation would make them identical.
        let wide = try #require(GroupAdvantage.advantages(rewards: [0.9, 0.5, 0.7, 0.5], normalization: .mean))
        let narrow = try #require(GroupAdvantage.advantages(rewards: [0.9, 0.86, 0.88, 0.86], normalization: .mean))
        for (x, e) in zip(wide, [0.25, -0.15, 0.05, -0.15]) { #expect(abs(x - e) < 1e-12) }
        for (w, n) in zip(wide, narrow) { #expect(abs(w - 10 * n) < 1e-9) }
        let wideStd = try #require(GroupAdvantage.advantages(rewards: [0.9, 0.5, 0.7, 0.5]))
        let narrowStd = try #require(GroupAdvantage.advantages(rewards: [0.9, 0.86, 0.88, 0.86]))
        for (w, n) in zip(wideStd, narrowStd) { #expect(abs(w - n) < 1e-4) }
        #expect(GroupAdvantage.advantages(rewards: [0.7, 0.7], normalization: .mean) == nil)
    }

    @Test func theStdFloorBoundsHowHardASmallRewardSpreadPushes() throws {
        // Successes a few hundredths apart (speed only): with the floor the push is their spread
        // over the floor; a group split between success and failure is untouched by it.
        let speed = try #require(GroupAdvantage.advantages(rewards: [0.83, 0.80, 0.77, 0.80], stdFloor: 0.1))
        for (x, e) in zip(speed, [0.3, 0, -0.3, 0]) { #expect(abs(x - e) < 1e-4) }
        let split = [0.8, 0, 0, 0.7]
        let floored = try #require(GroupAdvantage.advantages(rewards: split, stdFloor: 0.1))
        let plain = try #require(GroupAdvantage.advantages(rewards: split))
        for (f, p) in zip(floored, plain) { #expect(abs(f - p) < 1e-12) }
    }

    @Test func theSpeedTermNormalisesTheSuccessesAmongThemselvesAndLeavesFailuresAtZero() throws {
        // Three successes (efficiency rewards 0.62, 0.59, 0.56: 10 steps apart of 100) and two failures.
        let rewards = [0.62, 0, 0.59, 0, 0.56], success = [true, false, true, false, true]
        let term = try #require(GroupAdvantage.successSpeedTerm(rewards: rewards, success: success, weight: 0.5, stdFloor: 0.1))
        // The successes alone: (R - 0.59) / max(std 0.03, floor 0.1), times the weight.
        for (x, e) in zip(term, [0.15, 0, 0, 0, -0.15]) { #expect(abs(x - e) < 1e-4) }
        // Against the group's own advantages, where the split sets the std (~0.33), the term
        // is what separates the successes: there they differ by only 0.18.
        let group = try #require(GroupAdvantage.advantages(rewards: rewards, stdFloor: 0.1))
        #expect(group[0] - group[4] < 0.2 && term[0] - term[4] > 0.29)
        // Nothing to rank: the binary reward, a single success, weight 0.
        #expect(GroupAdvantage.successSpeedTerm(rewards: [1, 0, 1, 1], success: [true, false, true, true], weight: 1) == nil)
        #expect(GroupAdvantage.successSpeedTerm(rewards: [0.7, 0, 0, 0], success: [true, false, false, false], weight: 1) == nil)
        #expect(GroupAdvantage.successSpeedTerm(rewards: rewards, success: success, weight: 0) == nil)
    }

    @Test func theNearMissTermRanksTheFailuresByProgressAndLeavesSuccessesAtZero() throws {
        let success = [true, false, false, true, false]
        let progress: [Double?] = [1, 0.9, 0.3, 1, 0.6]
        let term = try #require(GroupAdvantage.failureProgressTerm(progress: progress, success: success, weight: 0.5, minSpread: 0.05))
        // The failures alone: (P - 0.6) / std 0.3, times the weight.
        for (x, e) in zip(term, [0, 0.5, -0.5, 0, 0]) { #expect(abs(x - e) < 1e-4) }
        // Nothing to rank: a failure without progress, a spread under minSpread, one failure, weight 0.
        #expect(GroupAdvantage.failureProgressTerm(progress: [1, 0.9, nil, 1, 0.6], success: success, weight: 0.5, minSpread: 0.05) == nil)
        #expect(GroupAdvantage.failureProgressTerm(progress: [1, 0.50, 0.52, 1, 0.51], success: success, weight: 0.5, minSpread: 0.05) == nil)
        #expect(GroupAdvantage.failureProgressTerm(progress: [1, 0.9, 1], success: [true, false, true], weight: 0.5, minSpread: 0.05) == nil)
        #expect(GroupAdvantage.failureProgressTerm(progress: progress, success: success, weight: 0, minSpread: 0.05) == nil)
    }

}

// MARK: - Gradient checks

/// A minibatch fixture with everything the loss needs.
struct LossFixture {
    let policy: Policy
    let obs: [Float], raw: [Float], temps: [Float], old: [Float], adv: [Float], ref: [Float]
    /// 1 where the step is intervened (behaviour cloning), else 0.
    var intervened: [Float]
    let n: Int

    /// `shift` sets old_logprob = new_logprob - shift per step (so ratio = exp(shift)).
    init(head: ActionHeadKind, activation: Activation = .tanh, shifts: [Float], advantages: [Float], seed: UInt64) {
        let config = PolicyConfig(observationSize: 3, actionSize: 2, actionLow: [-1, -1], actionHigh: [1, 1],
                                  hiddenSizes: [5, 4], activation: activation, head: head, bins: 4, initialLogStd: -0.2)
        policy = Policy(config: config, seed: seed)
        // Bigger weights than the init so the head is not near-uniform and every term has gradient.
        policy.withParameters { w in for i in 0..<w.count { w[i] = w[i] * 3 + 0.05 * Float(i % 7 - 3) } }
        n = shifts.count
        var rng = PolicyRNG(seed: seed + 1)
        obs = (0..<(n * 3)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        temps = (0..<n).map { Float([0.6, 0.7, 0.8, 0.9, 1.0][$0 % 5]) }
        let s = policy.sample(observations: obs, temperatures: temps, rng: &rng)
        raw = s.flatMap(\.raw)
        old = zip(s, shifts).map { $0.logProb - $1 }
        adv = advantages
        ref = s.map { $0.logProb + rng.nextUnitFloat() * 0.6 - 0.3 }
        intervened = [Float](repeating: 0, count: n)
    }

    func loss(_ ppo: PPOConfig, useRef: Bool, gradient: inout [Float]?) -> PPOLoss.Terms {
        let ws = PolicyWorkspace(config: policy.config, capacity: n)
        policy.evaluate(observations: obs, raw: raw, temperatures: temps, count: n, workspace: ws)
        var dLog = [Float](repeating: 0, count: n), dEnt = dLog
        let terms = ref.withUnsafeBufferPointer { r in
            PPOLoss(config: ppo).evaluate(count: n, newLogProb: ws.logProbs, oldLogProb: old, advantages: adv,
                                          entropies: ws.entropies, refLogProb: useRef ? r.baseAddress! : nil,
                                          intervened: intervened, dLogProb: &dLog, dEntropy: &dEnt)
        }
        if gradient != nil {
            var g = [Float](repeating: 0, count: policy.parameterCount)
            policy.backward(observations: obs, raw: raw, temperatures: temps, count: n, dLogProb: dLog, dEntropy: dEnt,
                            workspace: ws, gradient: &g)
            gradient = g
        }
        return terms
    }

    /// Max relative error between the analytic gradient and central differences over every parameter.
    func check(_ ppo: PPOConfig, useRef: Bool) -> (maxError: Double, gradNorm: Double) {
        var g: [Float]? = []
        _ = loss(ppo, useRef: useRef, gradient: &g)
        var none: [Float]? = nil
        var worst = 0.0, norm = 0.0
        let h: Float = 2e-3
        for i in 0..<policy.parameterCount {
            let saved = policy.withParameters { $0[i] }
            policy.withParameters { $0[i] = saved + h }
            let up = loss(ppo, useRef: useRef, gradient: &none).loss
            policy.withParameters { $0[i] = saved - h }
            let down = loss(ppo, useRef: useRef, gradient: &none).loss
            policy.withParameters { $0[i] = saved }
            let numeric = (up - down) / Double(2 * h)
            let analytic = Double(g![i])
            norm += analytic * analytic
            // Float32 forward: absolute noise floor ~1e-4 on these O(1) losses.
            worst = max(worst, abs(numeric - analytic) / max(1e-2, abs(numeric) + abs(analytic)))
        }
        return (worst, norm.squareRoot())
    }
}

@Suite struct GradientCheckTests {
    static let heads: [ActionHeadKind] = [.binned, .gaussian]

    @Test(arguments: heads)
    func policyGradientTermWithClippingInactive(head: ActionHeadKind) {
        // ratios exp(+-0.05): inside [0.8, 1.28], so every step's unclipped branch is live.
        let f = LossFixture(head: head, shifts: [0.05, -0.05, 0.02, -0.1, 0.1, 0], advantages: [1, -1, 0.5, -0.7, 1.2, -0.3], seed: 1)
        let terms = { var none: [Float]? = nil; return f.loss(PPOConfig(), useRef: false, gradient: &none) }()
        #expect(terms.clipFrac == 0)
        let (err, norm) = f.check(PPOConfig(), useRef: false)
        #expect(norm > 1e-3)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test(arguments: heads)
    func policyGradientTermWithClippingActive(head: ActionHeadKind) {
        // ratio e^0.5 = 1.65 > 1.28 and e^-0.5 = 0.61 < 0.8: with A > 0 above (and A < 0 below) the
        // clipped branch wins and contributes no gradient; the other signs keep the unclipped branch.
        let f = LossFixture(head: head, shifts: [0.5, 0.5, -0.5, -0.5, 0.01, 0.6], advantages: [1, -1, -1, 1, 0.4, 2], seed: 2)
        let terms = { var none: [Float]? = nil; return f.loss(PPOConfig(), useRef: false, gradient: &none) }()
        #expect(terms.clipFrac > 0.6)
        let (err, norm) = f.check(PPOConfig(), useRef: false)
        #expect(norm > 1e-3)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test func clippedStepsContributeNoGradient() {
        // Only steps on the clipped branch: the analytic gradient must vanish.
        let f = LossFixture(head: .binned, shifts: [0.5, -0.5], advantages: [1, -1], seed: 3)
        var g: [Float]? = []
        _ = f.loss(PPOConfig(), useRef: false, gradient: &g)
        #expect(g!.allSatisfy { $0 == 0 })
    }

    @Test(arguments: heads)
    func klTermToTheReference(head: ActionHeadKind) {
        let f = LossFixture(head: head, shifts: [0, 0, 0, 0, 0], advantages: [0, 0, 0, 0, 0], seed: 4)
        let cfg = PPOConfig { $0.klCoef = 1 }
        let terms = { var none: [Float]? = nil; return f.loss(cfg, useRef: true, gradient: &none) }()
        #expect(terms.klRef > 0)
        let (err, norm) = f.check(cfg, useRef: true)
        #expect(norm > 1e-3)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test(arguments: heads)
    func entropyTerm(head: ActionHeadKind) {
        let f = LossFixture(head: head, activation: .relu, shifts: [0, 0, 0, 0], advantages: [0, 0, 0, 0], seed: 5)
        let cfg = PPOConfig { $0.entropyCoef = 1 }
        let (err, norm) = f.check(cfg, useRef: false)
        #expect(norm > 1e-3)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test(arguments: heads)
    func everyTermTogether(head: ActionHeadKind) {
        let f = LossFixture(head: head, shifts: [0.4, -0.3, 0.05, 0, -0.6], advantages: [0.9, 0.8, -1, 0.2, -0.5], seed: 6)
        let cfg = PPOConfig { $0.klCoef = 0.5; $0.entropyCoef = 0.1 }
        let (err, _) = f.check(cfg, useRef: true)
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test func lossTermsMatchTheirDefinitions() {
        let loss = PPOLoss(config: PPOConfig())
        let newLog: [Float] = [0, 0, 0], oldLog: [Float] = [0, -0.5, 0.5], adv: [Float] = [1, 1, -1], ent: [Float] = [1, 2, 3]
        var d = [Float](repeating: 0, count: 3), e = d
        let t = loss.evaluate(count: 3, newLogProb: newLog, oldLogProb: oldLog, advantages: adv, entropies: ent,
                              refLogProb: nil, intervened: [0, 0, 0], dLogProb: &d, dEntropy: &e)
        let r = [1.0, exp(0.5), exp(-0.5)]
        // step 0: -1; step 1 (A=1, r=1.65 clipped to 1.28): -1.28; step 2 (A=-1, r=0.61 clipped to 0.8): max(0.61, 0.8) = 0.8
        #expect(abs(t.pgLoss - (-1 - 1.28 + 0.8) / 3) < 1e-9)
        #expect(abs(t.approxKL - r.map { ($0 - 1) - log($0) }.reduce(0, +) / 3) < 1e-9)
        #expect(abs(t.clipFrac - 2.0 / 3) < 1e-12)
        #expect(abs(t.entropy - 2) < 1e-9)
        #expect(d[1] == 0 && d[2] == 0 && abs(d[0] - (-1.0 / 3)) < 1e-7)
    }
}

// MARK: - The update loop

/// A bandit: observation fixed, the best bin is known. Rewards 1 for the best bin in dimension 0.
func banditGroup(policy: Policy, rng: inout PolicyRNG, best: Int, attempts: Int = 8, steps: Int = 10) -> ([Trajectory], [Double])? {
    let temps = TemperatureSchedule.temperatures(count: attempts, base: 0.6, range: 0.3).map(Float.init)
    var group: [Trajectory] = []
    for t in temps {
        let obs = [Float](repeating: 0.5, count: steps * policy.config.observationSize)
        let samples = policy.sample(observations: obs, temperatures: [Float](repeating: t, count: steps), rng: &rng)
        let hits = samples.filter { Int($0.raw[0]) == best }.count
        group.append(Trajectory(observations: obs, samples: samples, temperature: t, reward: Double(hits) / Double(steps)))
    }
    guard let adv = GroupAdvantage.advantages(rewards: group.map(\.reward)) else { return nil }
    return (group, adv)
}

@Suite struct PPOTrainerTests {
    let config = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], bins: 8)

    @Test func repeatedUpdatesRaiseTheBestActionsProbability() {
        let policy = Policy(config: config, seed: 1)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.learningRate = 3e-3 })
        let obs = [Float](repeating: 0.5, count: 4)
        let before = policy.binProbabilities(observation: obs, temperature: 1)[3]
        var rng = PolicyRNG(seed: 2)
        var accepted = 0
        for _ in 0..<40 {
            guard let (group, adv) = banditGroup(policy: policy, rng: &rng, best: 3) else { continue }
            let report = trainer.update(group: group, advantages: adv, rng: &rng)
            if report.accepted { accepted += 1 }
        }
        let after = policy.binProbabilities(observation: obs, temperature: 1)[3]
        #expect(accepted > 10)
        #expect(after > 0.6, "p(best) went from \(before) to \(after)")
        #expect(after > before + 0.3)
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func aRefusedUpdateLeavesParametersAndOptimizerBitIdentical(head: ActionHeadKind) {
        var c = config
        c.head = head
        let policy = Policy(config: c, seed: 3)
        let trainer = PPOTrainer(policy: policy, reference: policy.copy(), config: PPOConfig { $0.targetKL = nil })
        var rng = PolicyRNG(seed: 4)
        // One ordinary update first, so the optimizer state is non-trivial.
        var group: [Trajectory] = [], adv: [Double] = []
        repeat {
            if let g = banditGroup(policy: policy, rng: &rng, best: 2) { (group, adv) = g }
        } while group.isEmpty
        #expect(trainer.update(group: group, advantages: adv, rng: &rng).accepted)
        let params = policy.parameterSnapshot().map(\.bitPattern)
        let optimizer = trainer.optimizerTensors()

        trainer.debugLearningRateMultiplier = 1e4
        let blown = trainer.update(group: group, advantages: adv, rng: &rng)
        #expect(!blown.accepted)
        #expect(blown.refusal != nil)
        #expect(policy.parameterSnapshot().map(\.bitPattern) == params)
        #expect(trainer.optimizerTensors() == optimizer)

        trainer.debugLearningRateMultiplier = .nan
        let nan = trainer.update(group: group, advantages: adv, rng: &rng)
        #expect(!nan.accepted)
        #expect(nan.refusal?.contains("non-finite") == true)
        #expect(policy.parameterSnapshot().map(\.bitPattern) == params)
        #expect(trainer.optimizerTensors() == optimizer)
    }

    @Test func onlyTheTrainableTensorsMove() {
        let policy = Policy(config: config, seed: 11)
        var learning = PPOConfig { $0.learningRate = 1e-2; $0.targetKL = nil; $0.hardKL = 100 }
        learning.trainable = ["head.bias"]
        let trainer = PPOTrainer(policy: policy, reference: nil, config: learning)
        let before = policy.namedTensors()
        var rng = PolicyRNG(seed: 12)
        var accepted = 0
        while accepted < 3 {
            if let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1), trainer.update(group: g, advantages: a, rng: &rng).accepted { accepted += 1 }
        }
        for (b, a) in zip(before, policy.namedTensors()) {
            if b.name == "head.bias" { #expect(a.values != b.values, "the trainable tensor moved") } else { #expect(a.values == b.values, "\(b.name) is frozen") }
        }
        // A prefix names every tensor under it.
        #expect(PPOTrainer.mask(policy: policy, trainable: ["head"])!.reduce(0, +) == Float(16 * 16 + 16))
        #expect(PPOTrainer.mask(policy: policy, trainable: nil) == nil)
    }

    @Test func theAdaptiveLearningRateShrinksAfterARefusalAndGrowsWhenStepsAreTiny() {
        let policy = Policy(config: config, seed: 13)
        var rng = PolicyRNG(seed: 14)
        // Every update refused (hard limit ~0), without retries: the rate falls by 1.5x each time,
        // down to its floor.
        var strict = PPOConfig { $0.learningRate = 1e-3; $0.targetKL = nil; $0.hardKL = 1e-12; $0.klRefusalRetries = 0 }
        strict.learningRateMin = 4e-4
        let refusing = PPOTrainer(policy: policy, reference: nil, config: strict)
        var rates: [Double] = []
        while rates.count < 3 {
            guard let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) else { continue }
            let report = refusing.update(group: g, advantages: a, rng: &rng)
            #expect(!report.accepted)
            rates.append(refusing.learningRate)
        }
        #expect(abs(rates[0] - 1e-3 / 1.5) < 1e-12 && abs(rates[1] - 1e-3 / 2.25) < 1e-12 && rates[2] == 4e-4)
        // Tiny steps (KL far under desired_kl / 2): the rate grows by 1.5x, up to its ceiling.
        var loose = PPOConfig { $0.learningRate = 1e-7; $0.epochs = 1; $0.minibatches = 1; $0.targetKL = nil; $0.hardKL = 100 }
        loose.learningRateMax = 2e-7
        let growing = PPOTrainer(policy: policy, reference: nil, config: loose)
        var grown: [Double] = []
        while grown.count < 2 {
            guard let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) else { continue }
            #expect(growing.update(group: g, advantages: a, rng: &rng).accepted)
            grown.append(growing.learningRate)
        }
        #expect(abs(grown[0] - 1.5e-7) < 1e-15 && grown[1] == 2e-7)
        // Off: the rate stays what the config says.
        var fixed = loose
        fixed.adaptiveLearningRate = false
        let steady = PPOTrainer(policy: policy, reference: nil, config: fixed)
        while true {
            guard let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) else { continue }
            _ = steady.update(group: g, advantages: a, rng: &rng)
            break
        }
        #expect(steady.learningRate == 1e-7)
    }

    @Test("an update refused for its KL is tried again on the same attempts at the rate / 1.5, up to kl_refusal_retries times")
    func aKLRefusalIsRetriedAtASmallerRate() throws {
        let start = Policy(config: config, seed: 21)
        var draw = PolicyRNG(seed: 22)
        var found: ([Trajectory], [Double])?
        while found == nil { found = banditGroup(policy: start, rng: &draw, best: 2) }
        let (group, advantages) = found!
        func trainer(_ change: (inout PPOConfig) -> Void) -> PPOTrainer {
            var learning = PPOConfig { $0.learningRate = 1e-2; $0.targetKL = nil; $0.hardKL = 100 }
            change(&learning)
            return PPOTrainer(policy: start.copy(), reference: nil, config: learning)
        }
        // The first try's KL from a fresh Adam state; the limit is set under it.
        var rng = PolicyRNG(seed: 23)
        let free = trainer { _ in }.update(group: group, advantages: advantages, rng: &rng)
        try #require(free.accepted && free.approxKL > 0)
        let limit = free.approxKL * 0.6

        rng = PolicyRNG(seed: 23)
        let once = trainer { $0.hardKL = limit; $0.klRefusalRetries = 0 }
        let refused = once.update(group: group, advantages: advantages, rng: &rng)
        #expect(!refused.accepted && refused.klRetries == nil, "no retries: given up, \(refused)")
        #expect(once.policy.parameterSnapshot() == start.parameterSnapshot(), "and nothing moved")

        rng = PolicyRNG(seed: 23)
        let retrying = trainer { $0.hardKL = limit }
        let report = retrying.update(group: group, advantages: advantages, rng: &rng)
        let retries = try #require(report.klRetries, "\(report)")
        #expect(report.accepted && report.approxKL <= limit && (1...4).contains(retries), "\(report)")
        #expect(abs(report.learningRate! - 1e-2 / pow(1.5, Double(retries))) < 1e-12, "each retry divides the rate by 1.5")
        #expect(retrying.policy.parameterSnapshot() != start.parameterSnapshot(), "the accepted try moved the policy")

        // With the rate fixed, a retry would be the same update: none is made.
        rng = PolicyRNG(seed: 23)
        let fixed = trainer { $0.hardKL = limit; $0.adaptiveLearningRate = false }
        let fixedReport = fixed.update(group: group, advantages: advantages, rng: &rng)
        #expect(!fixedReport.accepted && fixedReport.klRetries == nil && fixed.learningRate == 1e-2)
    }

    @Test func hardKLRefusalSaysWhy() {
        let policy = Policy(config: config, seed: 5)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.targetKL = nil; $0.hardKL = 1e-9 })
        var rng = PolicyRNG(seed: 6)
        var report: UpdateReport?
        while report == nil {
            if let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) { report = trainer.update(group: g, advantages: a, rng: &rng) }
        }
        #expect(report!.accepted == false)
        #expect(report!.refusal!.hasPrefix("kl "))
        #expect(report!.refusal!.contains("> hard limit"))
    }

    @Test func earlyStopAtTargetKL() {
        let policy = Policy(config: config, seed: 7)
        let trainer = PPOTrainer(policy: policy, reference: nil,
                                 config: PPOConfig { $0.learningRate = 0.05; $0.epochs = 20; $0.targetKL = 1e-4; $0.hardKL = 100 })
        var rng = PolicyRNG(seed: 8)
        var report: UpdateReport?
        while report == nil {
            if let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) { report = trainer.update(group: g, advantages: a, rng: &rng) }
        }
        #expect(report!.accepted)
        #expect(report!.earlyStopped)
        #expect(report!.epochs < 20)
    }

    @Test func greedyAttemptsAreLeftOut() {
        let policy = Policy(config: config, seed: 9)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig())
        var rng = PolicyRNG(seed: 10)
        let obs = [Float](repeating: 0.1, count: 4)
        let s = policy.sample(observations: obs, temperatures: [0], rng: &rng)
        let report = trainer.update(group: [Trajectory(observations: obs, samples: s, temperature: 0, reward: 1),
                                            Trajectory(observations: obs, samples: s, temperature: 0, reward: 0)],
                                    advantages: [1, -1], rng: &rng)
        #expect(!report.accepted)
        #expect(report.samples == 0)
    }

    @Test func optimizerStateRoundTrips() throws {
        let policy = Policy(config: config, seed: 11)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig())
        var rng = PolicyRNG(seed: 12)
        var updated = false
        while !updated {
            if let (g, a) = banditGroup(policy: policy, rng: &rng, best: 1) { updated = trainer.update(group: g, advantages: a, rng: &rng).accepted }
        }
        let saved = trainer.optimizerTensors()
        #expect(saved.contains { $0.name == "adam.m.layers.0.weight" })
        #expect(saved.first { $0.name == "adam.step" }!.values[0] > 0)
        let other = PPOTrainer(policy: policy.copy(), reference: nil, config: PPOConfig())
        try other.loadOptimizer(saved)
        #expect(other.optimizerTensors() == saved)
        other.resetOptimizer()
        #expect(other.optimizerStep == 0)
        #expect(throws: TrainerError.self) { try other.loadOptimizer(Array(saved.dropFirst())) }
    }

    @Test func reportEncodesWithSnakeCase() throws {
        let text = String(decoding: try JSONEncoder().encode(UpdateReport(accepted: true)), as: UTF8.self)
        #expect(text.contains("approx_kl") && text.contains("clip_fraction") && text.contains("kl_to_reference"))
    }
}

@Suite struct PPOTrainerInputTests {
    @Test func malformedGroupsAreRefusedNotTrappedOn() {
        let policy = Policy(config: PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [8], bins: 4), seed: 1)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig())
        var rng = PolicyRNG(seed: 2)
        let obs = [Float](repeating: 0, count: 8)
        let samples = policy.sample(observations: obs, temperatures: [1, 1], rng: &rng)
        let good = Trajectory(observations: obs, samples: samples, temperature: 1, reward: 1)
        let short = Trajectory(observations: Array(obs.prefix(5)), samples: samples, temperature: 1, reward: 0)
        #expect(trainer.update(group: [good, short], advantages: [1, -1], rng: &rng).refusal?.contains("malformed") == true)
        #expect(trainer.update(group: [good], advantages: [1, -1], rng: &rng).accepted == false)
        var nanObs = good
        nanObs.observations[0] = .nan
        #expect(trainer.update(group: [good, nanObs], advantages: [1, -1], rng: &rng).refusal == "non-finite input")
    }
}

@Suite struct GaussianLearningTests {
    @Test func repeatedUpdatesMoveTheGaussianMeanTowardTheRewardedAction() {
        let config = PolicyConfig(observationSize: 3, actionSize: 1, actionLow: [-2], actionHigh: [2],
                                  hiddenSizes: [16], head: .gaussian, initialLogStd: -0.5)
        let policy = Policy(config: config, seed: 5)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.learningRate = 3e-3 })
        let obs = [Float](repeating: 0.2, count: 3)
        var rng = PolicyRNG(seed: 6)
        let meanBefore = policy.sample(observation: obs, temperature: 0, rng: &rng).action[0]
        let target: Float = 1
        for _ in 0..<60 {
            let steps = 8
            let temps = TemperatureSchedule.temperatures(count: 8, base: 0.6, range: 0.3).map(Float.init)
            let group = temps.map { t in
                let o = [Float]((0..<steps).flatMap { _ in obs })
                let s = policy.sample(observations: o, temperatures: [Float](repeating: t, count: steps), rng: &rng)
                // Reward: closeness of the attempt's actions to the target.
                let r = s.map { -Double(abs($0.action[0] - target)) }.reduce(0, +) / Double(steps)
                return Trajectory(observations: o, samples: s, temperature: t, reward: r)
            }
            guard let adv = GroupAdvantage.advantages(rewards: group.map(\.reward)) else { continue }
            _ = trainer.update(group: group, advantages: adv, rng: &rng)
        }
        let meanAfter = policy.sample(observation: obs, temperature: 0, rng: &rng).action[0]
        #expect(abs(meanAfter - target) < abs(meanBefore - target) - 0.4, "mean went from \(meanBefore) to \(meanAfter)")
    }

    @Test func klToTheReferenceIsReportedWhenPenalised() {
        let config = PolicyConfig(observationSize: 4, actionSize: 2, hiddenSizes: [16], bins: 8)
        let policy = Policy(config: config, seed: 7)
        let reference = policy.copy()
        let trainer = PPOTrainer(policy: policy, reference: reference, config: PPOConfig { $0.learningRate = 1e-2; $0.klCoef = 0.1; $0.targetKL = nil; $0.hardKL = 10 })
        var rng = PolicyRNG(seed: 8)
        var reports: [UpdateReport] = []
        while reports.count < 3 {
            if let (g, a) = banditGroup(policy: policy, rng: &rng, best: 5) { reports.append(trainer.update(group: g, advantages: a, rng: &rng)) }
        }
        #expect(reports.allSatisfy { $0.accepted })
        #expect(reports.last!.klToReference > 0)
    }
}
