import Foundation
import Testing
@testable import Policy

/// A policy with a normaliser, and the same weights without one.
private func normalisedPair(_ head: ActionHeadKind, clip: Float? = nil) throws -> (normalised: Policy, plain: Policy, mean: [Float], std: [Float]) {
    var config = smallConfig(head)
    config.observationClip = clip
    let plain = Policy(config: config, seed: 11)
    let mean: [Float] = [0.5, -2, 10], std: [Float] = [0.25, 3, 40]
    let normalised = plain.copy()
    normalised.setNormalizer(try ObservationNormalizer(mean: mean, std: std))
    return (normalised, plain, mean, std)
}

private func preNormalised(_ obs: [Float], mean: [Float], std: [Float], clip: Float?) -> [Float] {
    obs.indices.map { i in
        let x = (obs[i] - mean[i % mean.count]) / std[i % std.count]
        return clip.map { min(max(x, -$0), $0) } ?? x
    }
}

/// Observations on the raw scale the normaliser expects (around the mean, a few stds out).
private func rawObservations(_ n: Int, mean: [Float], std: [Float], seed: UInt64) -> [Float] {
    randomObservations(n, size: mean.count, seed: seed).enumerated().map { i, u in mean[i % 3] + 4 * u * std[i % 3] }
}

@Suite struct ObservationNormalizerTests {
    @Test(arguments: [ActionHeadKind.binned, .gaussian], [nil, Float(1.5)])
    func normalisedForwardEqualsThePlainForwardOnPreNormalisedInputs(head: ActionHeadKind, clip: Float?) throws {
        let (normalised, plain, mean, std) = try normalisedPair(head, clip: clip)
        // Batch 1 (gemv), a small batch (feature-major) and a large one (gemm): every forward path.
        for n in [1, 4, 40] {
            let raw = rawObservations(n, mean: mean, std: std, seed: UInt64(n))
            let temperatures = (0..<n).map { Float($0 % 3) * 0.5 }   // greedy rows and sampled rows
            var a = PolicyRNG(seed: 3), b = PolicyRNG(seed: 3)
            let got = normalised.sample(observations: raw, temperatures: temperatures, rng: &a)
            let want = plain.sample(observations: preNormalised(raw, mean: mean, std: std, clip: clip), temperatures: temperatures, rng: &b)
            #expect(got == want, "batch \(n)")
        }
    }

    @Test(arguments: [ActionHeadKind.binned, .gaussian])
    func evaluateAndGradientsSeeTheNormalisedInput(head: ActionHeadKind) throws {
        let (normalised, plain, mean, std) = try normalisedPair(head, clip: 2)
        let n = 24
        let raw = rawObservations(n, mean: mean, std: std, seed: 9)
        let pre = preNormalised(raw, mean: mean, std: std, clip: 2)
        var rng = PolicyRNG(seed: 5)
        let actions = plain.sample(observations: pre, temperatures: [Float](repeating: 1, count: n), rng: &rng).flatMap(\.raw)
        let temps = [Float](repeating: 0.8, count: n)
        let dLogProb = (0..<n).map { Float($0 % 5) - 2 }, dEntropy = [Float](repeating: 0.1, count: n)
        func gradient(_ policy: Policy, _ obs: [Float]) -> (logProbs: [Float], gradient: [Float]) {
            let ws = PolicyWorkspace(config: policy.config, capacity: n)
            var g = [Float](repeating: 0, count: policy.parameterCount)
            policy.evaluate(observations: obs, raw: actions, temperatures: temps, count: n, workspace: ws)
            let logProbs = Array(UnsafeBufferPointer(start: ws.logProbs, count: n))
            policy.backward(observations: obs, raw: actions, temperatures: temps, count: n, dLogProb: dLogProb, dEntropy: dEntropy,
                            workspace: ws, gradient: &g)
            return (logProbs, g)
        }
        let got = gradient(normalised, raw), want = gradient(plain, pre)
        #expect(got.logProbs == want.logProbs)
        #expect(got.gradient == want.gradient)
        // One gradient entry per parameter: nothing for the normaliser.
        #expect(got.gradient.count == normalised.parameterCount)
    }

    @Test func copyAssignAndNamedTensorsCarryTheNormaliser() throws {
        let (normalised, _, mean, std) = try normalisedPair(.binned)
        #expect(normalised.copy().normalizer == normalised.normalizer)
        let other = Policy(config: normalised.config, seed: 99)
        other.assign(from: normalised)
        #expect(other.normalizer?.mean == mean)
        let tensors = normalised.namedTensors()
        #expect(tensors.suffix(2).map(\.name) == ["obs_norm.mean", "obs_norm.std"])
        let loaded = try Policy(config: normalised.config, tensors: tensors)
        #expect(loaded.normalizer?.std == std)
        #expect(loaded.parameterSnapshot() == normalised.parameterSnapshot())
        // The parameters, what a learner changes, do not include it.
        #expect(!normalised.tensorLayout.contains { $0.name.hasPrefix("obs_norm") })
    }

    @Test func aPolicyWithoutTheTensorsLoadsAsTheIdentity() throws {
        let plain = Policy(config: smallConfig(.gaussian), seed: 2)
        let loaded = try Policy(config: plain.config, tensors: plain.namedTensors())
        #expect(loaded.normalizer == nil)
        #expect(!plain.namedTensors().contains { $0.name.hasPrefix("obs_norm") })
    }

    @Test func eachBadNormaliserTensorIsRefusedByNameAndIndex() throws {
        let base = Policy(config: smallConfig(.binned), seed: 1).namedTensors()
        func load(mean: [Float]?, std: [Float]?) -> String {
            var tensors = base
            if let mean { tensors.append(NamedTensor(name: "obs_norm.mean", shape: [mean.count], values: mean)) }
            if let std { tensors.append(NamedTensor(name: "obs_norm.std", shape: [std.count], values: std)) }
            do { _ = try Policy(config: smallConfig(.binned), tensors: tensors); return "loaded" } catch { return "\(error)" }
        }
        #expect(load(mean: [0, 0, 0], std: [1, 0, 1]) == #"policy tensor "obs_norm.std" index 1 is 0.0; every std must be finite and > 0"#)
        #expect(load(mean: [0, 0, 0], std: [1, 1, -2]).contains(#""obs_norm.std" index 2 is -2.0"#))
        #expect(load(mean: [0, 0, 0], std: [.infinity, 1, 1]).contains(#""obs_norm.std" index 0 is inf"#))
        #expect(load(mean: [0, .nan, 0], std: [1, 1, 1]) == #"policy tensor "obs_norm.mean" index 1 is nan; every mean must be finite"#)
        #expect(load(mean: [0, 0, 0], std: nil).contains(#""obs_norm.std" is missing while obs_norm.mean is present"#))
        #expect(load(mean: nil, std: [1, 1, 1]).contains(#""obs_norm.mean" is missing while obs_norm.std is present"#))
        #expect(load(mean: [0, 0], std: [1, 1]).contains(#""obs_norm.mean" has shape [2], this architecture needs [3]"#))
        #expect(load(mean: [0, 0, 0], std: [1, 1, 1]) == "loaded")
    }

    @Test func observationClipIsOptionalInTheArchitectureJSON() throws {
        var config = smallConfig(.binned)
        let plainJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(!plainJSON.contains("observation_clip"))
        config.observationClip = 5
        let data = try JSONEncoder().encode(config)
        #expect(String(decoding: data, as: UTF8.self).contains(#""observation_clip":5"#))
        #expect(try JSONDecoder().decode(PolicyConfig.self, from: data) == config)
        config.observationClip = 0
        #expect(throws: PolicyError.invalidConfig("observation_clip must be finite and > 0, got 0.0")) { try config.validate() }
    }

    @Test func mismatchNamesTheFirstDifferingKey() {
        let robot = smallConfig(.binned)
        var file = robot
        file.initialLogStd = -2   // not compared: only seeds a fresh policy
        #expect(file.mismatch(against: robot) == nil)
        file.observationSize = 4
        #expect(file.mismatch(against: robot).map { "\($0.key) \($0.found) \($0.expected)" } == "observation_size 4 3")
        file = robot
        file.hiddenSizes = [6, 6]
        #expect(file.mismatch(against: robot)?.key == "hidden_sizes")
        file = robot
        file.bins = 7
        #expect(file.mismatch(against: robot)?.key == "bins")
        file = robot
        file.observationClip = 3
        #expect(file.mismatch(against: robot).map { "\($0.key) \($0.found) \($0.expected)" } == "observation_clip 3.0 none")
    }
}
