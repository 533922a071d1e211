import Foundation
import Testing
@testable import History

/// A database written before updates kept how many of a person's steps they cloned still opens,
/// gains the two columns, reads its old rows as unknown, and keeps new rows whole.
struct InterventionSamplesMigrationTests {
    @Test func anOlderDatabaseWithoutTheInterventionSampleColumnsOpensAndGainsThem() throws {
        let path = NSTemporaryDirectory() + "history-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try HistoryStore(path: path)
            try store.insert(UpdateColumnsMigrationTests.task("old", at: 1))
            try store.record(UpdateColumnsMigrationTests.update("old", at: 2, samples: 96))
        }
        // Take the v9 columns and their migration record back out, as a v8 daemon left them.
        try OlderDatabase.downgrade(path, table: "updates", dropping: ["intervention_samples", "demonstration_samples"],
                                         migration: "v9-update-intervention-samples")

        let store = try HistoryStore(path: path)
        let old = try #require(try store.updates(taskId: "old").first)
        #expect(old.interventionSamples == nil && old.demonstrationSamples == nil, "rows from before the columns say unknown")
        #expect(old.samples == 96)
        try store.insert(UpdateColumnsMigrationTests.task("new", at: 3))
        var row = UpdateColumnsMigrationTests.update("new", at: 4, samples: 240)
        row.interventionSamples = 70
        row.demonstrationSamples = 64
        try store.record(row)
        let new = try #require(try store.updates(taskId: "new").first)
        #expect(new.interventionSamples == 70 && new.demonstrationSamples == 64 && new.samples == 240)
        #expect(try store.integrityCheck())
    }
}
