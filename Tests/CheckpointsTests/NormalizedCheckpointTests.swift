import Foundation
import Testing
@testable import Checkpoints
import Learning
import Policy

/// A policy of `testConfig` (5 observations) with an observation normaliser.
private func normalisedPolicy(seed: UInt64, clip: Float? = nil) throws -> Policy {
    var config = testConfig
    config.observationClip = clip
    let policy = Policy(config: config, seed: seed)
    policy.setNormalizer(try ObservationNormalizer(mean: [0.1, -0.2, 3, 0, 7], std: [0.5, 2, 10, 1, 0.01]))
    return policy
}

/// Writes `tensors` as a checkpoint file with valid checksums, as another writer (PyTorch's
/// `ttad.policy.from_torch`) would: the store's own saver never writes a bad normaliser.
private func writeFile(_ tensors: [NamedTensor], config: PolicyConfig = testConfig, in store: CheckpointStore, id: String) throws -> String {
    let architecture = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
    let bytes = try SafeTensorsFile.encode(tensors: tensors, metadata: [
        "format": "ttad-checkpoint", "format_version": "1", "id": id, "architecture": architecture,
        "robot": "reacher-sim", "created_at": "1700000000", "step": "0", "metrics": "{}",
    ])
    let path = store.directory + "/" + id + ".safetensors"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct NormalizedCheckpointTests {
    @Test func aNormaliserAndClipSurviveSaveAndLoad() throws {
        let store = try temporaryStore()
        let policy = try normalisedPolicy(seed: 4, clip: 5)
        let info = try store.save(policy: policy, optimizer: [], metadata: metadata(step: 0))
        let loaded = try store.load(id: info.id)
        #expect(loaded.policy.normalizer == policy.normalizer)
        #expect(loaded.policy.config.observationClip == 5)
        #expect(loaded.policy.parameterSnapshot() == policy.parameterSnapshot())
        #expect(loaded.info.metadata.architecture.observationClip == 5)
        var a = PolicyRNG(seed: 1), b = PolicyRNG(seed: 1)
        let obs: [Float] = [0.3, 1, 20, -1, 7.05]
        #expect(loaded.policy.sample(observation: obs, temperature: 0, rng: &a) == policy.sample(observation: obs, temperature: 0, rng: &b))
    }

    @Test func aCheckpointWithoutTheTensorsLoadsAsBefore() throws {
        let store = try temporaryStore()
        let plain = Policy(config: testConfig, seed: 8)
        let path = try writeFile(plain.namedTensors(), in: store, id: "old-format")
        #expect(!(try String(contentsOfFile: path, encoding: .isoLatin1)).contains("obs_norm"))
        let loaded = try store.load(id: "old-format")
        #expect(loaded.policy.normalizer == nil)
        #expect(loaded.policy.config == testConfig)
        #expect(loaded.policy.parameterSnapshot() == plain.parameterSnapshot())
    }

    @Test func theTrainerLeavesTheNormaliserUnchangedThroughUpdatesAndCandidates() throws {
        let store = try temporaryStore()
        let policy = try normalisedPolicy(seed: 6)
        let before = policy.normalizer
        let trainer = PPOTrainer(policy: policy, reference: policy.copy(), config: PPOConfig { $0.targetKL = nil; $0.hardKL = 100 })
        var rng = PolicyRNG(seed: 2)
        let obs = (0..<20).map { Float($0 % 5) * 0.7 - 1 }
        let parameters = policy.parameterSnapshot()
        for round in 0..<3 {
            let group = (0..<2).map { i in
                Trajectory(observations: obs, samples: policy.sample(observations: obs, temperatures: [1, 1, 1, 1], rng: &rng),
                           temperature: 1, reward: Double(i))
            }
            let report = trainer.update(group: group, advantages: [-1, 1], rng: &rng)
            #expect(report.accepted, "round \(round): \(report.refusal ?? "")")
        }
        #expect(policy.parameterSnapshot() != parameters, "the updates moved the weights")
        #expect(policy.normalizer == before)
        #expect(!trainer.optimizerTensors().contains { $0.name.contains("obs_norm") }, "Adam keeps no state for it")
        // The candidate carries it unchanged.
        let info = try store.save(policy: policy, optimizer: trainer.optimizerTensors(), metadata: metadata(step: 3))
        #expect(try store.load(id: info.id).policy.normalizer == before)
    }

    @Test func eachBadNormaliserTensorIsRefusedNamingTheTensorAndIndex() throws {
        let store = try temporaryStore()
        let weights = Policy(config: testConfig, seed: 3).namedTensors()
        func mean(_ v: [Float]) -> NamedTensor { NamedTensor(name: "obs_norm.mean", shape: [v.count], values: v) }
        func std(_ v: [Float]) -> NamedTensor { NamedTensor(name: "obs_norm.std", shape: [v.count], values: v) }
        let cases: [(String, [NamedTensor], String)] = [
            ("zero-std", [mean([0, 0, 0, 0, 0]), std([1, 1, 1, 0, 1])], #""obs_norm.std" index 3 is 0.0; every std must be finite and > 0"#),
            ("negative-std", [mean([0, 0, 0, 0, 0]), std([-1, 1, 1, 1, 1])], #""obs_norm.std" index 0 is -1.0"#),
            ("nan-std", [mean([0, 0, 0, 0, 0]), std([1, 1, .nan, 1, 1])], #""obs_norm.std" index 2 is nan"#),
            ("inf-mean", [mean([0, 0, 0, 0, -.infinity]), std([1, 1, 1, 1, 1])], #""obs_norm.mean" index 4 is -inf; every mean must be finite"#),
            ("mean-only", [mean([0, 0, 0, 0, 0])], #""obs_norm.std" is missing while obs_norm.mean is present"#),
            ("std-only", [std([1, 1, 1, 1, 1])], #""obs_norm.mean" is missing while obs_norm.std is present"#),
            ("short-std", [mean([0, 0, 0, 0, 0]), std([1, 1, 1])], #""obs_norm.std" has shape [3], this architecture needs [5]"#),
        ]
        for (id, extra, message) in cases {
            _ = try writeFile(weights + extra, in: store, id: id)
            do {
                _ = try store.load(id: id)
                Issue.record("\(id) loaded")
            } catch let error as CheckpointError {
                guard case .incompatible = error else { Issue.record("\(id): \(error)"); continue }
                #expect("\(error)".contains(message), "\(id): \(error)")
            }
        }
    }

    @Test func verifyReadsBytesFromOutsideTheStoreAndRefusesAFlippedByte() throws {
        let store = try temporaryStore()
        let policy = try normalisedPolicy(seed: 1)
        let info = try store.save(policy: policy, optimizer: [], metadata: metadata(step: 0))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: info.path)))
        let verified = try CheckpointStore.verify(bytes: bytes, source: "upload.safetensors")
        #expect(verified.policy.normalizer == policy.normalizer)
        #expect(CheckpointStore.storedID(bytes: bytes) == info.id)
        #expect(CheckpointStore.sha256Hex(bytes).count == 64)
        bytes[bytes.count - 3] ^= 0x01
        #expect {
            _ = try CheckpointStore.verify(bytes: bytes, source: "upload.safetensors")
        } throws: { "\($0)".contains("checkpoint upload.safetensors is damaged: tensor data checksum mismatch") }
    }
}
