import Foundation
import Testing
@testable import Checkpoints
import Policy

/// `CheckpointStore.save(policy:optimizer:metadata:as:)`: a checkpoint under a name the caller
/// picks (a starting checkpoint shipped as `<robot>.safetensors`).
@Suite struct NamedCheckpointTests {
    @Test func savingUnderANameReplacesThatCheckpointAndRefusesANameThatIsNotAPlainFileName() throws {
        let store = try temporaryStore()
        try store.save(policy: Policy(config: testConfig, seed: 1), optimizer: [], metadata: metadata(step: 1), as: "reacher-sim")
        let newer = Policy(config: testConfig, seed: 2)
        let info = try store.save(policy: newer, optimizer: [], metadata: metadata(step: 2), as: "reacher-sim")
        #expect(info.path == store.directory + "/reacher-sim.safetensors")
        #expect(store.list().map(\.id) == ["reacher-sim"])
        #expect(try store.load(id: "reacher-sim").policy.namedTensors() == newer.namedTensors())

        for bad in ["../outside", ".hidden", ""] {
            #expect(throws: CheckpointError.self) {
                try store.save(policy: newer, optimizer: [], metadata: metadata(step: 3), as: bad)
            }
        }
        #expect(store.list().map(\.id) == ["reacher-sim"])
    }
}
