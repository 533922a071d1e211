import Checkpoints
import Foundation
import Policy
import Testing
@testable import Adaptation

/// `OfflineAdaptation.export`, as `ttad-lab pretrain` uses it, on the real reacher2 robot-config.
@Suite struct OfflineAdaptationTests {
    @Test func anExportedStartingCheckpointReplacesTheOldOneUnderItsRobotsNameInsideAndOut() throws {
        let lab = try OfflineAdaptation(robotConfigPath: AdaptationEngineTests.repoRobots + "/reacher2.yaml")
        let folder = NSTemporaryDirectory() + "ttad-export-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = Policy(config: lab.policyConfig, seed: 1)
        let second = Policy(config: lab.policyConfig, seed: 2)

        let path = try lab.export(policy: first, to: folder, metrics: ["success_rate": 0.5])
        #expect(try lab.export(policy: second, to: folder, metrics: ["success_rate": 0.75]) == path)

        #expect(path == folder + "/reacher2.safetensors")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["reacher2.safetensors"], "no other checkpoint or temp file is left")
        // What the daemon reads at start-up: the newer policy.
        let loaded = try CheckpointStore(directory: folder).load(id: "reacher2")
        #expect(loaded.policy.namedTensors() == second.namedTensors())
        #expect(loaded.info.metadata.metrics["success_rate"] == 0.75)
        // The header's id is the file name (docs/checkpoint-format.md), not the id of a file since renamed.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try JSONSerialization.jsonObject(with: bytes[8..<(8 + length)]) as? [String: Any]
        #expect((header?["__metadata__"] as? [String: String])?["id"] == "reacher2")
    }
}
