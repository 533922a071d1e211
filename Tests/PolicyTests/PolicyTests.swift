import Foundation
import Testing
@testable import Policy

/// Small architectures so finite differences and debug builds stay quick.
func smallConfig(_ head: ActionHeadKind, activation: Activation = .tanh, bins: Int = 5) -> PolicyConfig {
    PolicyConfig(observationSize: 3, actionSize: 2, actionLow: [-1, 0], actionHigh: [1, 2],
                 hiddenSizes: [6, 5], activation: activation, head: head, bins: bins, initialLogStd: -0.3)
}

func randomObservations(_ n: Int, size: Int, seed: UInt64) -> [Float] {
    var rng = PolicyRNG(seed: seed)
    return (0..<(n * size)).map { _ in rng.nextUnitFloat() * 2 - 1 }
}

@Suite struct PolicyConfigTests {
    @Test func decodingFillsEveryOptionalKeyWithItsDefault() throws {
        let json = #"{"observation_size": 32, "action_size": 7}"#
        let c = try JSONDecoder().decode(PolicyConfig.self, from: Data(json.utf8))
        #expect(c.hiddenSizes == [256, 256])
        #expect(c.activation == .tanh)
        #expect(c.head == .binned)
        #expect(c.bins == 256)
        #expect(c.actionLow == [Float](repeating: -1, count: 7))
        #expect(c.actionHigh == [Float](repeating: 1, count: 7))
        #expect(c.initialLogStd == -0.5)
    }

    @Test func encodingUsesSnakeCaseAndRoundTrips() throws {
        let c = smallConfig(.gaussian, activation: .relu)
        let data = try JSONEncoder().encode(c)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["observation_size", "action_size", "hidden_sizes", "action_low", "action_high", "initial_log_std"] {
            #expect(text.contains("\"\(key)\""))
        }
        #expect(try JSONDecoder().decode(PolicyConfig.self, from: data) == c)
    }

    @Test func validationNamesTheBadField() {
        var c = smallConfig(.binned)
        c.actionLow = [0]
        #expect(throws: PolicyError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("action_low")) }
    }
}

@Suite struct PolicyTests {
    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func parameterCountMatchesTheLayout(head: ActionHeadKind) {
        let p = Policy(config: smallConfig(head), seed: 1)
        let expected = (3 * 6 + 6) + (6 * 5 + 5) + (head == .binned ? 5 * 10 + 10 : 5 * 2 + 2 + 2)
        #expect(p.parameterCount == expected)
        #expect(p.namedTensors().reduce(0) { $0 + $1.values.count } == expected)
        #expect(p.isFinite)
    }

    @Test func defaultSizeHasStableTensorNames() {
        let p = Policy(config: PolicyConfig(observationSize: 32, actionSize: 7, hiddenSizes: [16, 16], head: .gaussian), seed: 2)
        #expect(p.namedTensors().map(\.name) == [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
            "head.weight", "head.bias", "head.log_std",
        ])
        #expect(p.namedTensors()[0].shape == [16, 32])
    }

    @Test func hiddenWeightsAreOrthogonalWithGainSqrt2() {
        let p = Policy(config: PolicyConfig(observationSize: 8, actionSize: 1, hiddenSizes: [8]), seed: 3)
        let w = p.namedTensors()[0].values
        for i in 0..<8 {
            for j in 0..<8 {
                var dot: Float = 0
                for k in 0..<8 { dot += w[i * 8 + k] * w[j * 8 + k] }
                #expect(abs(dot - (i == j ? 2 : 0)) < 1e-4)
            }
        }
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func sameSeedGivesSameWeightsAndActions(head: ActionHeadKind) {
        let a = Policy(config: smallConfig(head), seed: 7), b = Policy(config: smallConfig(head), seed: 7)
        #expect(a.namedTensors() == b.namedTensors())
        let obs = randomObservations(4, size: 3, seed: 9)
        var r1 = PolicyRNG(seed: 42), r2 = PolicyRNG(seed: 42)
        let s1 = a.sample(observations: obs, temperatures: [0.6, 0.7, 0.8, 0.9], rng: &r1)
        let s2 = b.sample(observations: obs, temperatures: [0.6, 0.7, 0.8, 0.9], rng: &r2)
        #expect(s1 == s2)
        var r3 = PolicyRNG(seed: 43)
        let s3 = a.sample(observations: obs + obs + obs, temperatures: [Float](repeating: 1, count: 12), rng: &r3)
        #expect(s3.map(\.raw) != (s1 + s1 + s1).map(\.raw))
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func actionsAlwaysStayWithinBounds(head: ActionHeadKind) {
        let p = Policy(config: smallConfig(head), seed: 11)
        // Large observations and temperatures push the gaussian far outside the bounds.
        let obs = randomObservations(64, size: 3, seed: 12).map { $0 * 50 }
        var rng = PolicyRNG(seed: 13)
        for t: Float in [0, 0.5, 1, 5, 50] {
            for s in p.sample(observations: obs, temperatures: [Float](repeating: t, count: 64), rng: &rng) {
                #expect(s.action[0] >= -1 && s.action[0] <= 1)
                #expect(s.action[1] >= 0 && s.action[1] <= 2)
                #expect(s.logProb.isFinite)
            }
        }
    }

    @Test func binCentresSpanTheBounds() {
        let p = Policy(config: smallConfig(.binned), seed: 1)
        #expect(p.binCentres(dimension: 0) == [-1, -0.5, 0, 0.5, 1])
        #expect(p.binCentres(dimension: 1) == [0, 0.5, 1, 1.5, 2])
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func temperatureZeroIsGreedy(head: ActionHeadKind) {
        let p = Policy(config: smallConfig(head), seed: 5)
        let obs = randomObservations(3, size: 3, seed: 6)
        var r1 = PolicyRNG(seed: 1), r2 = PolicyRNG(seed: 2)
        let a = p.sample(observations: obs, temperatures: [0, 0, 0], rng: &r1)
        let b = p.sample(observations: obs, temperatures: [0, 0, 0], rng: &r2)
        #expect(a == b)
        #expect(a.allSatisfy { $0.logProb == 0 })
        if head == .binned {
            for i in 0..<3 {
                let probs = p.binProbabilities(observation: Array(obs[(i * 3)..<(i * 3 + 3)]), temperature: 1)
                for d in 0..<2 {
                    let slice = Array(probs[(d * 5)..<(d * 5 + 5)])
                    #expect(Int(a[i].raw[d]) == slice.firstIndex(of: slice.max()!)!)
                }
            }
        }
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func batchedAndSingleRowPathsAgree(head: ActionHeadKind) {
        let p = Policy(config: smallConfig(head, activation: .relu), seed: 21)
        let obs = randomObservations(5, size: 3, seed: 22)
        var r = PolicyRNG(seed: 0)
        let batch = p.sample(observations: obs, temperatures: [Float](repeating: 0, count: 5), rng: &r)
        for i in 0..<5 {
            let one = p.sample(observation: Array(obs[(i * 3)..<(i * 3 + 3)]), temperature: 0, rng: &r)
            for d in 0..<2 { #expect(abs(one.raw[d] - batch[i].raw[d]) < 1e-5) }
        }
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func sampledLogProbMatchesEvaluate(head: ActionHeadKind) {
        let p = Policy(config: smallConfig(head), seed: 31)
        let obs = randomObservations(6, size: 3, seed: 32)
        let temps: [Float] = [0.3, 0.6, 0.9, 1.0, 1.5, 2.0]
        var rng = PolicyRNG(seed: 33)
        let samples = p.sample(observations: obs, temperatures: temps, rng: &rng)
        let ws = PolicyWorkspace(config: p.config, capacity: 6)
        let raw = samples.flatMap(\.raw)
        p.evaluate(observations: obs, raw: raw, temperatures: temps, count: 6, workspace: ws)
        for i in 0..<6 { #expect(abs(ws.logProbs[i] - samples[i].logProb) < 1e-4) }
    }

    @Test func binnedSamplingFollowsTheTemperedSoftmax() {
        let c = PolicyConfig(observationSize: 2, actionSize: 1, hiddenSizes: [4], bins: 3)
        let p = Policy(config: c, seed: 41)
        // Make the head's logits large enough that temperature visibly matters.
        p.withParameters { w in for i in 0..<w.count { w[i] *= 1 } }
        let head = p.tensorLayout.first { $0.name == "head.bias" }!
        p.withParameters { w in w[head.offset] = 1; w[head.offset + 1] = 0; w[head.offset + 2] = -1 }
        let obs: [Float] = [0.1, -0.2]
        for t: Float in [0.5, 2] {
            let probs = p.binProbabilities(observation: obs, temperature: t)
            var rng = PolicyRNG(seed: 99)
            var counts = [0, 0, 0]
            let n = 20_000
            let batch = p.sample(observations: [Float]((0..<n).flatMap { _ in obs }),
                                 temperatures: [Float](repeating: t, count: n), rng: &rng)
            for s in batch { counts[Int(s.raw[0])] += 1 }
            for j in 0..<3 { #expect(abs(Float(counts[j]) / Float(n) - probs[j]) < 0.015) }
        }
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func copyAndLoadRoundTrip(head: ActionHeadKind) throws {
        let p = Policy(config: smallConfig(head), seed: 51)
        let q = p.copy()
        #expect(q.namedTensors() == p.namedTensors())
        q.withParameters { $0[0] += 1 }
        #expect(q.namedTensors() != p.namedTensors())
        try q.load(p.namedTensors())
        #expect(q.namedTensors() == p.namedTensors())
        let r = try Policy(config: p.config, tensors: p.namedTensors())
        #expect(r.parameterSnapshot() == p.parameterSnapshot())
    }

    @Test func loadNamesAMissingOrMisshapedTensorAndChangesNothing() {
        let p = Policy(config: smallConfig(.gaussian), seed: 61)
        let before = p.parameterSnapshot()
        var tensors = Policy(config: smallConfig(.gaussian), seed: 62).namedTensors()
        tensors.removeAll { $0.name == "head.log_std" }
        #expect(throws: PolicyError.missingTensor(name: "head.log_std")) { try p.load(tensors) }
        tensors = Policy(config: smallConfig(.gaussian), seed: 62).namedTensors()
        tensors[0].shape = [3, 6]
        #expect(throws: PolicyError.shapeMismatch(name: "layers.0.weight", expected: [6, 3], found: [3, 6])) { try p.load(tensors) }
        #expect(p.parameterSnapshot() == before)
    }

    @Test func isFiniteSpotsANaN() {
        let p = Policy(config: smallConfig(.binned), seed: 71)
        p.withParameters { $0[3] = .nan }
        #expect(!p.isFinite)
    }
}

@Suite struct VectorMathTests {
    @Test func vectorisedExpMatchesLibmToAboutOneUlp() {
        var xs: [Float] = stride(from: -90, through: 89, by: 0.0137).map { Float($0) } + [0, -0, 1, -1]
        let expected = xs.map { Foundation.exp(Double($0)) }
        xs.withUnsafeMutableBufferPointer { VectorMath.expInPlace($0.baseAddress!, count: $0.count) }
        for (got, want) in zip(xs, expected) where want > 1e-37 && want < 1e38 {
            #expect(abs(Double(got) - want) <= 4e-7 * want, "exp: \(got) vs \(want)")
        }
        var nan: [Float] = [Float](repeating: 0, count: 15) + [.nan]
        nan.withUnsafeMutableBufferPointer { VectorMath.expInPlace($0.baseAddress!, count: 16) }
        #expect(nan[15].isNaN && nan[0] == 1)
    }
}
