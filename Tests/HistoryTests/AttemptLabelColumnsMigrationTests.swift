import Foundation
import Testing
@testable import History

/// The attempts' operator-label columns (v8): a label recorded on time becomes the attempt's
/// success and reward, a late one is kept beside them; a database from before the columns gains
/// them, its older rows reading nil.
@Suite struct AttemptLabelColumnsMigrationTests {
    @Test func labelsRoundTripAndAnOlderDatabaseGainsTheColumns() throws {
        let path = HistoryStoreTests.tempPath()
        do {
            let store = try HistoryStore(path: path)
            try store.insert(HistoryStoreTests.task("old", at: 1))
            try store.record(AttemptRow(taskId: "old", attemptIndex: 0, temperature: 0.6, steps: 20, success: true, reward: 0.7,
                                        abortReason: nil, checkpoint: "ck-0", finishedAt: 2))
        }
        try OlderDatabase.downgrade(path, table: "attempts", dropping: ["judged_by", "label_deadline", "label", "labelled_at", "labelled_by", "label_late"],
                                         migration: "v8-attempt-labels")

        let store = try HistoryStore(path: path)
        let old = try #require(try store.attempts(taskId: "old").first)
        #expect(old.judgedBy == nil && old.label == nil && old.labelLate == nil, "rows from before the columns have no labels")

        try store.insert(HistoryStoreTests.task("new", at: 3))
        for index in 0..<2 {
            var row = AttemptRow(taskId: "new", attemptIndex: index, temperature: 0.6, steps: 25, success: false, reward: 0,
                                 abortReason: nil, checkpoint: "ck-0", finishedAt: 4)
            row.judgedBy = "operator"
            row.labelDeadline = 100
            try store.record(row)
        }
        #expect(try store.recordLabel(taskId: "new", attemptIndex: 0, label: "success", by: "alice", at: 5, late: false, reward: 0.6667))
        #expect(try store.recordLabel(taskId: "new", attemptIndex: 1, label: "success", by: nil, at: 200, late: true, reward: nil))
        #expect(try !store.recordLabel(taskId: "new", attemptIndex: 7, label: "failure", by: nil, at: 6, late: false, reward: 0))
        let rows = try store.attempts(taskId: "new")
        #expect(rows[0].label == "success" && rows[0].labelledBy == "alice" && rows[0].labelledAt == 5 && rows[0].labelLate == false)
        #expect(rows[0].success && abs(rows[0].reward - 0.6667) < 1e-12, "an on-time label is the attempt's outcome")
        #expect(rows[1].label == "success" && rows[1].labelLate == true && rows[1].labelledBy == nil)
        #expect(!rows[1].success && rows[1].reward == 0, "a late label changes nothing it is kept beside")
        #expect(rows.allSatisfy { $0.judgedBy == "operator" && $0.labelDeadline == 100 })
        #expect(try store.integrityCheck())
    }
}
