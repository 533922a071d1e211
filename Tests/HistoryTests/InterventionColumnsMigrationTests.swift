import Foundation
import Testing
@testable import History

/// The attempts' intervention counts (v7): recorded and read back; a database from before the
/// columns gains them, its older rows reading nil.
@Suite struct InterventionColumnsMigrationTests {
    @Test func interventionCountsRoundTripAndAnOlderDatabaseGainsTheColumns() throws {
        let path = HistoryStoreTests.tempPath()
        do {
            let store = try HistoryStore(path: path)
            try store.insert(HistoryStoreTests.task("old", at: 1))
            try store.record(AttemptRow(taskId: "old", attemptIndex: 0, temperature: 0.6, steps: 20, success: true, reward: 0.7,
                                        abortReason: nil, checkpoint: "ck-0", finishedAt: 2))
        }
        try OlderDatabase.downgrade(path, table: "attempts", dropping: ["intervened_steps", "interventions_past_limits"],
                                         migration: "v7-attempt-interventions")

        let store = try HistoryStore(path: path)
        let old = try #require(try store.attempts(taskId: "old").first)
        #expect(old.intervenedSteps == nil && old.interventionsPastLimits == nil, "rows from before the columns have no counts")
        try store.insert(HistoryStoreTests.task("new", at: 3))
        try store.record(AttemptRow(taskId: "new", attemptIndex: 0, temperature: 0.6, steps: 20, success: true, reward: 0.7,
                                    abortReason: nil, checkpoint: "ck-0", finishedAt: 4, intervenedSteps: 3, interventionsPastLimits: 1))
        let new = try #require(try store.attempts(taskId: "new").first)
        #expect(new.intervenedSteps == 3 && new.interventionsPastLimits == 1)
        #expect(try store.integrityCheck())
    }
}
