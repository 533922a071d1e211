import Foundation
import Testing
@testable import History

/// A database written before updates kept how many of a person's steps they cloned (v9), how
/// many tries were refused for their KL (v10), what their cloning phase did (v11), or how many
/// steps of earlier groups they reused (v12), still opens, gains the columns, reads its old rows
/// as unknown, and keeps new rows whole.
struct InterventionSamplesMigrationTests {
    /// An old row written, the columns and their migration taken back out (as the older daemon
    /// left them), the store opened again, and a new row with `fill` recorded: (old row, new row).
    static func migrate(dropping columns: [String], migration: String, fill: (inout UpdateRow) -> Void) throws -> (UpdateRow, UpdateRow) {
        let path = NSTemporaryDirectory() + "history-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try HistoryStore(path: path)
            try store.insert(UpdateColumnsMigrationTests.task("old", at: 1))
            try store.record(UpdateColumnsMigrationTests.update("old", at: 2, samples: 96))
        }
        try OlderDatabase.downgrade(path, table: "updates", dropping: columns, migration: migration)

        let store = try HistoryStore(path: path)
        let old = try #require(try store.updates(taskId: "old").first)
        try store.insert(UpdateColumnsMigrationTests.task("new", at: 3))
        var row = UpdateColumnsMigrationTests.update("new", at: 4, samples: 240)
        fill(&row)
        try store.record(row)
        let new = try #require(try store.updates(taskId: "new").first)
        #expect(try store.integrityCheck())
        return (old, new)
    }

    @Test func anOlderDatabaseWithoutTheInterventionSampleColumnsOpensAndGainsThem() throws {
        let (old, new) = try Self.migrate(dropping: ["intervention_samples", "demonstration_samples"],
                                          migration: "v9-update-intervention-samples") {
            $0.interventionSamples = 70
            $0.demonstrationSamples = 64
        }
        #expect(old.interventionSamples == nil && old.demonstrationSamples == nil, "rows from before the columns say unknown")
        #expect(old.samples == 96)
        #expect(new.interventionSamples == 70 && new.demonstrationSamples == 64 && new.samples == 240)
    }

    @Test func anOlderDatabaseWithoutTheKLRetriesColumnOpensAndGainsIt() throws {
        let (old, new) = try Self.migrate(dropping: ["kl_retries"], migration: "v10-update-kl-retries") { $0.klRetries = 3 }
        #expect(old.klRetries == nil && old.samples == 96, "rows from before the column say unknown")
        #expect(new.klRetries == 3 && new.samples == 240)
    }

    @Test func anOlderDatabaseWithoutTheCloneColumnsOpensAndGainsThem() throws {
        let (old, new) = try Self.migrate(dropping: ["clone_steps", "clone_samples", "clone_loss", "clone_refusal"],
                                          migration: "v11-update-clone") {
            $0.cloneSteps = 50
            $0.cloneSamples = 1234
            $0.cloneLoss = 0.75
        }
        #expect(old.cloneSteps == nil && old.cloneSamples == nil && old.cloneLoss == nil && old.cloneRefusal == nil && old.samples == 96)
        #expect(new.cloneSteps == 50 && new.cloneSamples == 1234 && new.cloneLoss == 0.75 && new.cloneRefusal == nil && new.samples == 240)
    }

    @Test func anOlderDatabaseWithoutTheReplaySamplesColumnOpensAndGainsIt() throws {
        let (old, new) = try Self.migrate(dropping: ["replay_samples"], migration: "v12-update-replay-samples") { $0.replaySamples = 720 }
        #expect(old.replaySamples == nil && old.samples == 96, "rows from before the column say unknown")
        #expect(new.replaySamples == 720 && new.samples == 240)
    }
}
