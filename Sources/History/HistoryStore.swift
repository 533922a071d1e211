import Foundation
import GRDB

/// The daemon's durable record of tasks, attempts, updates and checkpoint events, in SQLite
/// (WAL mode, synchronous=FULL so an acknowledged write survives a power cut).
///
/// Only this type writes the database. Every write is one transaction.
public final class HistoryStore: Sendable {
    private let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "tasks") { t in
                t.primaryKey("id", .text)
                t.column("robot", .text).notNull()
                t.column("task", .text).notNull()
                t.column("params_json", .text).notNull()
                t.column("dynamics_json", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("temperature_base", .double).notNull()
                t.column("temperature_range", .double).notNull()
                t.column("reward_mode", .text).notNull()
                t.column("adapt", .boolean).notNull()
                t.column("priority", .integer).notNull()
                t.column("seed", .integer).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("submitted_at", .double).notNull().indexed()
                t.column("started_at", .double)
                t.column("finished_at", .double)
                t.column("detail", .text)
                t.column("checkpoint", .text)
                t.column("candidate", .text)
                t.column("success_rate", .double)
                t.column("mean_reward", .double)
            }
            try db.create(table: "attempts") { t in
                t.column("task_id", .text).notNull().references("tasks", onDelete: .cascade)
                t.column("attempt_index", .integer).notNull()
                t.column("temperature", .double).notNull()
                t.column("steps", .integer).notNull()
                t.column("success", .boolean).notNull()
                t.column("reward", .double).notNull()
                t.column("abort_reason", .text)
                t.column("checkpoint", .text)
                t.column("finished_at", .double).notNull()
                t.primaryKey(["task_id", "attempt_index"])
            }
            try db.create(table: "updates") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("task_id", .text).notNull().references("tasks", onDelete: .cascade).indexed()
                t.column("parent", .text)
                t.column("candidate", .text)
                t.column("accepted", .boolean).notNull()
                t.column("refusal", .text)
                t.column("policy_loss", .double).notNull()
                t.column("approx_kl", .double).notNull()
                t.column("clip_fraction", .double).notNull()
                t.column("grad_norm", .double).notNull()
                t.column("entropy", .double).notNull()
                t.column("epochs", .integer).notNull()
                t.column("seconds", .double).notNull()
                t.column("created_at", .double).notNull()
            }
            try db.create(table: "checkpoint_events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("checkpoint", .text)
                t.column("from_checkpoint", .text)
                t.column("reason", .text).notNull()
                t.column("task_id", .text)
                t.column("at", .double).notNull()
            }
        }
        // The adaptive learning rate each update used (nil for updates recorded before it existed).
        migrator.registerMigration("v2-update-learning-rate") { db in
            try db.alter(table: "updates") { t in t.add(column: "learning_rate", .double) }
        }
        // A page's checkpoint events are looked up by task.
        migrator.registerMigration("v3-checkpoint-events-task-index") { db in
            try db.create(index: "checkpoint_events_on_task_id", on: "checkpoint_events", columns: ["task_id"], ifNotExists: true)
        }
        // Which robot's lineage an event is about (a person's rollback has no task to tell).
        migrator.registerMigration("v4-checkpoint-event-robot") { db in
            try db.alter(table: "checkpoint_events") { t in t.add(column: "robot", .text) }
        }
        // The rest of an update's numbers (KL to the reference, early stop, samples): nil in rows
        // recorded before they were kept.
        migrator.registerMigration("v5-update-reference-kl-early-stop-samples") { db in
            try db.alter(table: "updates") { t in
                t.add(column: "kl_to_reference", .double)
                t.add(column: "early_stopped", .boolean)
                t.add(column: "samples", .integer)
            }
        }
        // Evaluations (`evaluate`) are tasks of their own kind; every earlier row is training.
        migrator.registerMigration("v6-task-kind") { db in
            try db.alter(table: "tasks") { t in t.add(column: "kind", .text).notNull().defaults(to: "training") }
        }
        // Interventions over the bridge (steps a person drove, and those past the envelope's
        // limits): nil in rows recorded before they were kept.
        migrator.registerMigration("v7-attempt-interventions") { db in
            try db.alter(table: "attempts") { t in
                t.add(column: "intervened_steps", .integer)
                t.add(column: "interventions_past_limits", .integer)
            }
        }
        // Operator labels (`success_judged_by: operator`): who judges the attempt, when its label
        // stops counting, and the label with who gave it, when, and whether it came too late to be
        // used. Nil in robot-judged rows and in rows recorded before they were kept.
        migrator.registerMigration("v8-attempt-labels") { db in
            try db.alter(table: "attempts") { t in
                t.add(column: "judged_by", .text)
                t.add(column: "label_deadline", .double)
                t.add(column: "label", .text)
                t.add(column: "labelled_at", .double)
                t.add(column: "labelled_by", .text)
                t.add(column: "label_late", .boolean)
            }
        }
        // How much of an update cloned a person's steps (interventions and stored
        // demonstrations): nil in updates without any and in rows recorded before they were kept.
        migrator.registerMigration("v9-update-intervention-samples") { db in
            try db.alter(table: "updates") { t in
                t.add(column: "intervention_samples", .integer)
                t.add(column: "demonstration_samples", .integer)
            }
        }
        // Tries refused for their KL before the update that counts (`kl_refusal_retries`): nil when
        // the first try counted and in rows recorded before it was kept.
        migrator.registerMigration("v10-update-kl-retries") { db in
            try db.alter(table: "updates") { t in t.add(column: "kl_retries", .integer) }
        }
        // The cloning phase after an update (`BehaviourCloner`): its Adam steps, the person's steps it
        // drew from, its last loss and why it put its changes back; nil in updates without one and
        // in rows recorded before they were kept.
        let cloneColumns: [(String, Database.ColumnType)] = [
            ("clone_steps", .integer), ("clone_samples", .integer), ("clone_loss", .double), ("clone_refusal", .text),
        ]
        migrator.registerMigration("v11-update-clone") { db in
            try db.alter(table: "updates") { t in for (name, type) in cloneColumns { t.add(column: name, type) } }
        }
        // Steps of earlier groups an update reused (`replay_groups`): nil when none and in rows
        // recorded before it was kept.
        migrator.registerMigration("v12-update-replay-samples") { db in
            try db.alter(table: "updates") { t in t.add(column: "replay_samples", .integer) }
        }
        return migrator
    }

    /// True when `error` is the file system failing the database (disk full, I/O error, read-only),
    /// not a bug or a bad query: the daemon answers `storage` and retries once space returns.
    public static func isStorageFailure(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode)
    }

    // MARK: Writes

    /// Records a newly accepted task. Called before the client is told it was accepted.
    public func insert(_ task: TaskRow) throws {
        try pool.write { db in try task.insert(db) }
    }

    /// Records many finished tasks and their attempts in one transaction (an import, or seeding
    /// a long history for a benchmark or a test).
    public func insert(_ tasks: [TaskRow], attempts: [AttemptRow]) throws {
        try pool.write { db in
            for task in tasks { try task.insert(db) }
            for attempt in attempts { try attempt.insert(db) }
        }
    }

    /// Marks a task running on `checkpoint`.
    public func markRunning(taskId: String, checkpoint: String?, at: Double) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE tasks SET state = 'running', started_at = ?, checkpoint = ? WHERE id = ?",
                           arguments: [at, checkpoint, taskId])
        }
    }

    /// Records one finished attempt.
    public func record(_ attempt: AttemptRow) throws {
        try pool.write { db in try attempt.upsert(db) }
    }

    /// Records a person's label (`success` or `failure`) on an attempt. An on-time label (`late`
    /// false) also becomes the attempt's success and `reward`; a late one is kept beside them.
    /// Returns false when there is no such attempt row.
    @discardableResult
    public func recordLabel(taskId: String, attemptIndex: Int, label: String, by: String?, at: Double, late: Bool,
                            reward: Double?) throws -> Bool {
        try pool.write { db in
            if late {
                try db.execute(sql: "UPDATE attempts SET label = ?, labelled_at = ?, labelled_by = ?, label_late = 1 WHERE task_id = ? AND attempt_index = ?",
                               arguments: [label, at, by, taskId, attemptIndex])
            } else {
                try db.execute(sql: "UPDATE attempts SET label = ?, labelled_at = ?, labelled_by = ?, label_late = 0, success = ?, reward = COALESCE(?, reward) "
                               + "WHERE task_id = ? AND attempt_index = ?",
                               arguments: [label, at, by, label == "success", reward, taskId, attemptIndex])
            }
            return db.changesCount > 0
        }
    }

    /// Records one update; returns it with its row id.
    @discardableResult
    public func record(_ update: UpdateRow) throws -> UpdateRow {
        try pool.write { db in
            var row = update
            try row.insert(db)
            return row
        }
    }

    /// Records a checkpoint event (promotion, rollback, refusal).
    public func record(_ event: CheckpointEventRow) throws {
        try pool.write { db in
            var row = event
            try row.insert(db)
        }
    }

    /// Ends a task: `done`, `failed` or `cancelled`, with its summary.
    public func finish(taskId: String, state: TaskState, detail: String?, candidate: String?,
                       successRate: Double?, meanReward: Double?, at: Double) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET state = ?, detail = ?, candidate = ?, success_rate = ?, mean_reward = ?, finished_at = ?
                WHERE id = ?
                """, arguments: [state.rawValue, detail, candidate, successRate, meanReward, at, taskId])
        }
    }

    /// After a crash: every task accepted but not finished becomes `interrupted`. Returns their ids.
    public func markUnfinishedInterrupted(at: Double) throws -> [String] {
        try pool.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM tasks WHERE state IN ('queued', 'running') ORDER BY submitted_at")
            try db.execute(sql: """
                UPDATE tasks SET state = 'interrupted', finished_at = ?, detail = 'the daemon stopped before this task finished'
                WHERE state IN ('queued', 'running')
                """, arguments: [at])
            return ids
        }
    }

    // MARK: Reads

    /// Ids of tasks accepted but not finished (`queued` or `running`), oldest first.
    public func unfinishedTaskIDs() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM tasks WHERE state IN ('queued', 'running') ORDER BY submitted_at")
        }
    }

    /// Checkpoints that were once the last good one (promoted, a rollback's target, or imported),
    /// most recently good first: where start-up looks when a robot's `LAST_GOOD` pointer is damaged.
    public func checkpointsOnceGood() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT checkpoint FROM checkpoint_events
                WHERE kind IN ('promoted', 'rollback', 'imported') AND checkpoint IS NOT NULL
                GROUP BY checkpoint ORDER BY MAX(id) DESC
                """)
        }
    }

    /// One task, or nil.
    public func task(id: String) throws -> TaskRow? {
        try pool.read { db in try TaskRow.fetchOne(db, key: id) }
    }

    /// A task's attempts in order.
    public func attempts(taskId: String) throws -> [AttemptRow] {
        try pool.read { db in
            try AttemptRow.fetchAll(db, sql: "SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt_index", arguments: [taskId])
        }
    }

    /// A task's updates.
    public func updates(taskId: String) throws -> [UpdateRow] {
        try pool.read { db in
            try UpdateRow.fetchAll(db, sql: "SELECT * FROM updates WHERE task_id = ? ORDER BY id", arguments: [taskId])
        }
    }

    /// The checkpoint events a task caused (candidate, promotion, rollback, skip), in order.
    public func checkpointEvents(taskId: String) throws -> [CheckpointEventRow] {
        try pool.read { db in
            try CheckpointEventRow.fetchAll(db, sql: "SELECT * FROM checkpoint_events WHERE task_id = ? ORDER BY id", arguments: [taskId])
        }
    }

    /// One page of tasks, newest first, after `cursor` (nil: from the newest), at most `limit`,
    /// each with its attempts, updates and checkpoint events: one read transaction, and a
    /// constant number of queries per page (not per task). Keyset paging on (submitted_at, rowid)
    /// walks the `submitted_at` index, so a page deep into a long history costs what the first does.
    public func page(task: String? = nil, robot: String? = nil, since: Double? = nil, until: Double? = nil,
                     after cursor: HistoryCursor? = nil, limit: Int) throws -> HistoryPage {
        try pool.read { db in
            let (sql, arguments) = Self.pageQuery(task: task, robot: robot, since: since, until: until, after: cursor, limit: limit)
            var rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let more = rows.count > limit
            if more { rows.removeLast() }
            let tasks = try rows.map { (task: try TaskRow(row: $0), rowid: $0["page_rowid"] as Int64) }
            var attempts: [String: [AttemptRow]] = [:], updates: [String: [UpdateRow]] = [:], events: [String: [CheckpointEventRow]] = [:]
            // In chunks well under SQLite's bound-variable limit.
            for chunk in stride(from: 0, to: tasks.count, by: 500).map({ Array(tasks[$0..<min($0 + 500, tasks.count)]) }) {
                let ids = StatementArguments(chunk.map(\.task.id))
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try AttemptRow.fetchAll(db, sql: "SELECT * FROM attempts WHERE task_id IN (\(marks)) ORDER BY task_id, attempt_index", arguments: ids) {
                    attempts[row.taskId, default: []].append(row)
                }
                for row in try UpdateRow.fetchAll(db, sql: "SELECT * FROM updates WHERE task_id IN (\(marks)) ORDER BY id", arguments: ids) {
                    updates[row.taskId, default: []].append(row)
                }
                for row in try CheckpointEventRow.fetchAll(db, sql: "SELECT * FROM checkpoint_events WHERE task_id IN (\(marks)) ORDER BY id", arguments: ids) {
                    if let id = row.taskId { events[id, default: []].append(row) }
                }
            }
            return HistoryPage(entries: tasks.map { task, rowid in
                HistoryPage.Entry(task: task, attempts: attempts[task.id] ?? [], updates: updates[task.id] ?? [],
                                  checkpointEvents: events[task.id] ?? [], cursor: HistoryCursor(submittedAt: task.submittedAt, rowid: rowid))
            }, more: more)
        }
    }

    /// The SQL of `page`'s task query (one row more than `limit`, to tell whether more follow).
    static func pageQuery(task: String?, robot: String?, since: Double?, until: Double?, after cursor: HistoryCursor?,
                          limit: Int) -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let task { clauses.append("task = ?"); _ = arguments.append(contentsOf: [task]) }
        if let robot { clauses.append("robot = ?"); _ = arguments.append(contentsOf: [robot]) }
        if let since { clauses.append("submitted_at >= ?"); _ = arguments.append(contentsOf: [since]) }
        if let until { clauses.append("submitted_at < ?"); _ = arguments.append(contentsOf: [until]) }
        if let cursor {
            // The first term is a range the index can seek to; the second breaks ties at its edge.
            clauses.append("submitted_at <= ? AND (submitted_at < ? OR rowid < ?)")
            _ = arguments.append(contentsOf: [cursor.submittedAt, cursor.submittedAt, cursor.rowid])
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        _ = arguments.append(contentsOf: [limit + 1])
        return ("SELECT rowid AS page_rowid, * FROM tasks \(filter) ORDER BY submitted_at DESC, rowid DESC LIMIT ?", arguments)
    }

    /// SQLite's plan for `page`'s task query (`EXPLAIN QUERY PLAN` details), to check it walks an index.
    public func pageQueryPlan(after cursor: HistoryCursor?) throws -> [String] {
        let (sql, arguments) = Self.pageQuery(task: nil, robot: nil, since: nil, until: nil, after: cursor, limit: 10)
        return try pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    /// Tasks, newest first, filtered: the first `page`'s tasks (one query shape for both).
    public func tasks(task: String? = nil, robot: String? = nil, since: Double? = nil, until: Double? = nil, limit: Int = 100) throws -> [TaskRow] {
        try page(task: task, robot: robot, since: since, until: until, after: nil, limit: limit).entries.map(\.task)
    }

    /// Every checkpoint event of one kind (`rollback`, `promoted`, ...), oldest first, with or
    /// without a task (a person's rollback and a start-up fallback have none).
    public func checkpointEvents(kind: String) throws -> [CheckpointEventRow] {
        try pool.read { db in
            try CheckpointEventRow.fetchAll(db, sql: "SELECT * FROM checkpoint_events WHERE kind = ? ORDER BY id", arguments: [kind])
        }
    }

    /// Checkpoint events no task caused (a person's rollback, a start-up fallback), newest first.
    public func untaskedCheckpointEvents(robot: String? = nil, since: Double? = nil, until: Double? = nil, limit: Int) throws -> [CheckpointEventRow] {
        try pool.read { db in
            var sql = "SELECT * FROM checkpoint_events WHERE task_id IS NULL"
            var arguments: StatementArguments = []
            if let robot { sql += " AND robot = ?"; _ = arguments.append(contentsOf: [robot]) }
            if let since { sql += " AND at >= ?"; _ = arguments.append(contentsOf: [since]) }
            if let until { sql += " AND at < ?"; _ = arguments.append(contentsOf: [until]) }
            _ = arguments.append(contentsOf: [limit])
            return try CheckpointEventRow.fetchAll(db, sql: sql + " ORDER BY id DESC LIMIT ?", arguments: arguments)
        }
    }

    /// The totals `status` reports, counted over the whole history.
    public func totals() throws -> HistoryTotals {
        try pool.read { db in
            HistoryTotals(
                tasksDone: try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM tasks WHERE started_at IS NOT NULL AND state NOT IN ('queued', 'running') AND kind = 'training'
                    """) ?? 0,
                updatesAccepted: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM updates WHERE accepted") ?? 0,
                updatesRefused: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM updates WHERE NOT accepted") ?? 0,
                rollbacks: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoint_events WHERE kind = 'rollback'") ?? 0)
        }
    }

    /// The counts the metrics endpoint starts from (`HistoryCounts`), in one read transaction;
    /// `recentLimit` bounds the latest training results read for the windowed gauges.
    public func counts(recentLimit: Int) throws -> HistoryCounts {
        try pool.read { db in
            var counts = HistoryCounts()
            for row in try Row.fetchAll(db, sql: """
                SELECT kind, state, COUNT(*) AS n FROM tasks WHERE state NOT IN ('queued', 'running') GROUP BY kind, state
                """) {
                counts.tasks[.init(kind: row["kind"], state: row["state"])] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT success, abort_reason, COUNT(*) AS n FROM attempts GROUP BY success, abort_reason") {
                counts.attempts[HistoryCounts.outcome(success: row["success"], abortReason: row["abort_reason"]), default: 0] += row["n"] as Int
            }
            counts.updatesAccepted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM updates WHERE accepted") ?? 0
            counts.updatesRefused = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM updates WHERE NOT accepted") ?? 0
            counts.updatesSkipped = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM tasks WHERE kind = 'training' AND started_at IS NOT NULL AND state NOT IN ('queued', 'running')
                AND NOT EXISTS (SELECT 1 FROM updates WHERE updates.task_id = tasks.id)
                """) ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM checkpoint_events GROUP BY kind") {
                counts.checkpointEvents[row["kind"]] = row["n"]
            }
            if let row = try Row.fetchOne(db, sql: "SELECT approx_kl, clip_fraction FROM updates ORDER BY id DESC LIMIT 1") {
                counts.lastUpdate = (row["approx_kl"], row["clip_fraction"])
            }
            counts.recentTasks = try Row.fetchAll(db, sql: """
                SELECT robot, task, success_rate, mean_reward FROM tasks
                WHERE kind = 'training' AND state = 'done' AND success_rate IS NOT NULL AND mean_reward IS NOT NULL
                ORDER BY finished_at DESC LIMIT ?
                """, arguments: [recentLimit]).map {
                HistoryCounts.RecentTask(robot: $0["robot"], task: $0["task"], successRate: $0["success_rate"], meanReward: $0["mean_reward"])
            }
            return counts
        }
    }

    /// Counts of tasks by state.
    public func countsByState() throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM tasks GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    /// SQLite's own `PRAGMA integrity_check`: true when it answers "ok".
    public func integrityCheck() throws -> Bool {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" }
    }
}
