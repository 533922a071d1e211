import Foundation
import Testing
@testable import History

/// A database written before updates kept their reference KL, early stop and sample count
/// still opens, gains the columns, reads its old rows as unknown, and keeps new rows whole.
struct UpdateColumnsMigrationTests {
    static func update(_ taskId: String, at: Double, klToReference: Double? = nil, earlyStopped: Bool? = nil, samples: Int? = nil) -> UpdateRow {
        UpdateRow(taskId: taskId, parent: "ck-0", candidate: "ck-1", accepted: true, refusal: nil, policyLoss: 0, approxKL: 0.01,
                  clipFraction: 0, gradNorm: 0.1, entropy: 1, epochs: 4, seconds: 0.01, createdAt: at, learningRate: 3e-4,
                  klToReference: klToReference, earlyStopped: earlyStopped, samples: samples)
    }

    static func task(_ id: String, at: Double) -> TaskRow {
        TaskRow(id: id, robot: "reacher2", task: "reach", paramsJSON: "{}", dynamicsJSON: "{}", attempts: 4, temperatureBase: 0.6,
                temperatureRange: 0.3, rewardMode: "efficiency", adapt: true, priority: 0, seed: 7, state: .queued, submittedAt: at)
    }

    @Test func anOlderDatabaseWithoutTheNewUpdateColumnsOpensAndGainsThem() throws {
        let path = NSTemporaryDirectory() + "history-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try HistoryStore(path: path)
            try store.insert(Self.task("old", at: 1))
            try store.record(Self.update("old", at: 2))
        }
        // Take the v5 columns and their migration record back out, as a v4 daemon left them.
        try OlderDatabase.downgrade(path, table: "updates", dropping: ["kl_to_reference", "early_stopped", "samples"],
                                         migration: "v5-update-reference-kl-early-stop-samples")

        let store = try HistoryStore(path: path)
        let old = try #require(try store.updates(taskId: "old").first)
        #expect(old.klToReference == nil && old.earlyStopped == nil && old.samples == nil, "rows from before the columns say unknown")
        #expect(old.approxKL == 0.01 && old.learningRate == 3e-4)
        try store.insert(Self.task("new", at: 3))
        try store.record(Self.update("new", at: 4, klToReference: 0.002, earlyStopped: true, samples: 240))
        let new = try #require(try store.updates(taskId: "new").first)
        #expect(new.klToReference == 0.002 && new.earlyStopped == true && new.samples == 240)
        #expect(try store.integrityCheck())
    }
}
