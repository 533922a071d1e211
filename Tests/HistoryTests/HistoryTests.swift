import Foundation
import Testing
@testable import History

@Suite struct HistoryStoreTests {
    static func tempPath() -> String { NSTemporaryDirectory() + "history-\(UUID().uuidString.prefix(8)).sqlite" }

    static func task(_ id: String, robot: String = "reacher2", name: String = "reach", at: Double) -> TaskRow {
        TaskRow(id: id, robot: robot, task: name, paramsJSON: "{}", dynamicsJSON: "{}", attempts: 4, temperatureBase: 0.6,
                temperatureRange: 0.3, rewardMode: "efficiency", adapt: true, priority: 0, seed: 7, state: .queued, submittedAt: at)
    }

    @Test func aTaskItsAttemptsAndUpdateRoundTrip() throws {
        let store = try HistoryStore(path: Self.tempPath())
        try store.insert(Self.task("t1", at: 100))
        try store.markRunning(taskId: "t1", checkpoint: "ck-0", at: 101)
        for i in 0..<4 {
            try store.record(AttemptRow(taskId: "t1", attemptIndex: i, temperature: 0.6 + 0.1 * Double(i), steps: 20 + i,
                                        success: i != 2, reward: i != 2 ? 0.7 : 0, abortReason: i == 2 ? "safety_abort: joint 1 velocity" : nil,
                                        checkpoint: "ck-0", finishedAt: 102))
        }
        let update = try store.record(UpdateRow(taskId: "t1", parent: "ck-0", candidate: "ck-1", accepted: true, refusal: nil, policyLoss: -0.01,
                                                approxKL: 0.004, clipFraction: 0.1, gradNorm: 0.5, entropy: 1.2, epochs: 4, seconds: 0.01, createdAt: 103))
        #expect(update.id != nil)
        try store.finish(taskId: "t1", state: .done, detail: nil, candidate: "ck-1", successRate: 0.75, meanReward: 0.525, at: 104)

        let row = try #require(try store.task(id: "t1"))
        #expect(row.state == .done && row.checkpoint == "ck-0" && row.candidate == "ck-1" && row.successRate == 0.75)
        let attempts = try store.attempts(taskId: "t1")
        #expect(attempts.map(\.attemptIndex) == [0, 1, 2, 3])
        #expect(attempts[2].abortReason == "safety_abort: joint 1 velocity" && !attempts[2].success)
        #expect(try store.updates(taskId: "t1").first?.candidate == "ck-1")
        #expect(try store.integrityCheck())
    }

    @Test func theLearningRateRoundTripsAndAnOlderDatabaseGainsItsColumn() throws {
        // A database as the first release wrote it: make one, then take the v2 column and its
        // migration record back out with Python's sqlite3 (SQLite >= 3.35 drops columns).
        let path = Self.tempPath()
        do {
            let store = try HistoryStore(path: path)
            try store.insert(Self.task("old", at: 1))
            try store.record(UpdateRow(taskId: "old", parent: "ck-0", candidate: "ck-1", accepted: true, refusal: nil, policyLoss: 0,
                                       approxKL: 0.01, clipFraction: 0, gradNorm: 0.1, entropy: 1, epochs: 4, seconds: 0.01, createdAt: 2))
        }
        try OlderDatabase.downgrade(path, table: "updates", dropping: ["learning_rate"], migration: "v2-update-learning-rate")

        let store = try HistoryStore(path: path)
        #expect(try store.updates(taskId: "old").first?.learningRate == nil, "rows from before the column have no rate")
        try store.insert(Self.task("new", at: 3))
        try store.record(UpdateRow(taskId: "new", parent: "ck-1", candidate: "ck-2", accepted: true, refusal: nil, policyLoss: 0,
                                   approxKL: 0.01, clipFraction: 0, gradNorm: 0.1, entropy: 1, epochs: 4, seconds: 0.01, createdAt: 4,
                                   learningRate: 4.5e-4))
        #expect(try store.updates(taskId: "new").first?.learningRate == 4.5e-4)
        #expect(try store.integrityCheck())
    }

    @Test func unfinishedTasksBecomeInterruptedAfterARestart() throws {
        let path = Self.tempPath()
        do {
            let store = try HistoryStore(path: path)
            try store.insert(Self.task("queued", at: 1))
            try store.insert(Self.task("running", at: 2))
            try store.markRunning(taskId: "running", checkpoint: nil, at: 3)
            try store.insert(Self.task("done", at: 4))
            try store.finish(taskId: "done", state: .done, detail: nil, candidate: nil, successRate: 1, meanReward: 1, at: 5)
        }
        let reopened = try HistoryStore(path: path)
        #expect(try reopened.markUnfinishedInterrupted(at: 10) == ["queued", "running"])
        #expect(try reopened.task(id: "running")?.state == .interrupted)
        #expect(try reopened.task(id: "done")?.state == .done)
        #expect(try reopened.countsByState() == ["interrupted": 2, "done": 1])
    }

    @Test func historyFiltersByTaskRobotAndTime() throws {
        let store = try HistoryStore(path: Self.tempPath())
        try store.insert(Self.task("a", name: "reach", at: 10))
        try store.insert(Self.task("b", robot: "pusher", name: "push", at: 20))
        try store.insert(Self.task("c", name: "reach", at: 30))
        #expect(try store.tasks().map(\.id) == ["c", "b", "a"])
        #expect(try store.tasks(task: "reach").map(\.id) == ["c", "a"])
        #expect(try store.tasks(robot: "pusher").map(\.id) == ["b"])
        #expect(try store.tasks(since: 15, until: 30).map(\.id) == ["b"])
        #expect(try store.tasks(limit: 1).map(\.id) == ["c"])
    }

    @Test func theDatabaseIsInWALMode() throws {
        let path = Self.tempPath()
        _ = try HistoryStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path + "-wal") || FileManager.default.fileExists(atPath: path))
        let header = try #require(FileManager.default.contents(atPath: path))
        // SQLite header bytes 18/19 are the write/read format versions: 2 means WAL.
        #expect(header[18] == 2 && header[19] == 2)
    }
}

@Suite struct HistoryPagingTests {
    /// `count` tasks, some sharing a submission time, each with two attempts and every third with
    /// a checkpoint event.
    static func store(tasks count: Int) throws -> HistoryStore {
        let store = try HistoryStore(path: HistoryStoreTests.tempPath())
        var tasks: [TaskRow] = [], attempts: [AttemptRow] = []
        for i in 0..<count {
            // Pairs share a time: the rowid breaks the tie.
            var row = HistoryStoreTests.task("t\(i)", name: i % 2 == 0 ? "reach" : "push", at: 1000 + Double(i / 2))
            row.state = .done
            tasks.append(row)
            for a in 0..<2 {
                attempts.append(AttemptRow(taskId: row.id, attemptIndex: a, temperature: 0.6, steps: 10, success: true,
                                           reward: 0.9, abortReason: nil, checkpoint: nil, finishedAt: row.submittedAt))
            }
        }
        try store.insert(tasks, attempts: attempts)
        for i in stride(from: 0, to: count, by: 3) {
            try store.record(CheckpointEventRow(kind: "candidate", robot: "r", checkpoint: "c\(i)", fromCheckpoint: nil, reason: "test", taskId: "t\(i)", at: 0))
        }
        return store
    }

    @Test("pages after each other's cursors cover every task once, newest first, with its attempts and events")
    func pagesCoverEveryTaskOnce() throws {
        let store = try Self.store(tasks: 101)
        let everything = try store.tasks(limit: 1000).map(\.id)
        var seen: [String] = []
        var cursor: HistoryCursor?
        var pages = 0
        while true {
            let page = try store.page(after: cursor, limit: 10)
            pages += 1
            for entry in page.entries {
                seen.append(entry.task.id)
                #expect(entry.attempts.map(\.attemptIndex) == [0, 1])
                let number = Int(entry.task.id.dropFirst())!
                #expect(entry.checkpointEvents.map(\.checkpoint) == (number % 3 == 0 ? ["c\(number)"] : []))
            }
            guard page.more else { break }
            cursor = page.entries.last?.cursor
        }
        #expect(pages == 11)
        #expect(seen == everything, "the same order as the unpaged query")
        // Filters page too.
        let pushes = try store.page(task: "push", limit: 1000).entries.map(\.task.id)
        #expect(pushes.count == 50 && pushes.allSatisfy { Int($0.dropFirst())! % 2 == 1 })
    }

    @Test("a cursor reads back from its text, and text that is not one is refused")
    func cursorsRoundTripThroughText() {
        let cursor = HistoryCursor(submittedAt: 1_764_460_800.123456, rowid: 9_400)
        #expect(HistoryCursor(string: cursor.string) == cursor)
        for bad in ["", "h1", "h1.zz.1", "h2.0.1", "h1.7ff0000000000000.1", "not-a-cursor"] {
            #expect(HistoryCursor(string: bad) == nil, "\(bad)")
        }
    }

    @Test("a page deep into the history walks the submitted_at index instead of scanning and sorting")
    func aDeepPageUsesTheIndex() throws {
        let store = try Self.store(tasks: 10)
        let plan = try store.pageQueryPlan(after: HistoryCursor(submittedAt: 1003, rowid: 4)).joined(separator: "; ")
        #expect(plan.contains("SEARCH") && plan.contains("USING INDEX") && plan.contains("submitted_at<"), "seeks to the cursor: \(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "no sort of the whole table: \(plan)")
    }
}
