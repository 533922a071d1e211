import Foundation
import Testing
@testable import History

/// A database written before tasks had a kind opens, reads its old tasks as training, keeps new
/// evaluations as evaluations, and leaves evaluations out of the `tasks_done` total.
struct TaskKindMigrationTests {
    @Test func anOlderDatabaseWithoutTaskKindsReadsItsTasksAsTrainingAndKeepsEvaluationsApart() throws {
        let path = NSTemporaryDirectory() + "history-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try HistoryStore(path: path)
            try store.insert(UpdateColumnsMigrationTests.task("old", at: 1))
        }
        // Take the kind column and its migration record back out, as a v5 daemon left them.
        try OlderDatabase.downgrade(path, table: "tasks", dropping: ["kind"], migration: "v6-task-kind")

        let store = try HistoryStore(path: path)
        #expect(try store.task(id: "old")?.kind == TaskRow.training)
        var evaluation = UpdateColumnsMigrationTests.task("eval", at: 2)
        evaluation.kind = TaskRow.evaluation
        try store.insert(evaluation)
        #expect(try store.task(id: "eval")?.kind == TaskRow.evaluation)
        for id in ["old", "eval"] {
            try store.markRunning(taskId: id, checkpoint: "ck-0", at: 3)
            try store.finish(taskId: id, state: .done, detail: nil, candidate: nil, successRate: 0.5, meanReward: 0.4, at: 4)
        }
        #expect(try store.totals().tasksDone == 1, "an evaluation is not a task done")
        #expect(try store.integrityCheck())
    }
}
