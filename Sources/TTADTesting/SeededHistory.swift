import Foundation
import History

/// A history database that already holds many finished tasks, for what must stay fast next to a
/// long history (the e-stop path tests, `ttad-bench estop`). Written with `HistoryStore` in one
/// transaction, as an import would, so the rows are exactly what the daemon itself reads.
public enum SeededHistory {
    /// Writes `count` finished `reach` tasks on reacher2, 8 attempts each (alternately a success
    /// rewarded 0.8 and a failure), into a new history at `path` (its folder is created). The newest
    /// was submitted `count` seconds ago, one per second before it; task ids are `t-seed000000`...
    public static func write(to path: String, tasks count: Int) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let store = try HistoryStore(path: path)
        let start = Date().timeIntervalSince1970 - Double(count)
        var tasks: [TaskRow] = [], attempts: [AttemptRow] = []
        for i in 0..<count {
            let id = String(format: "t-seed%06d", i)
            var row = TaskRow(id: id, robot: "reacher2", task: "reach", paramsJSON: #"{"target_x":0.1,"target_y":0.12}"#,
                              dynamicsJSON: #"{"damping_scale":3}"#, attempts: 8, temperatureBase: 0.6, temperatureRange: 0.3,
                              rewardMode: "efficiency", adapt: true, priority: 0, seed: Int64(i), state: .done, submittedAt: start + Double(i))
            row.startedAt = row.submittedAt + 0.01
            row.finishedAt = row.submittedAt + 0.05
            row.checkpoint = "c-seeded"
            row.successRate = 0.5
            row.meanReward = 0.4
            tasks.append(row)
            for a in 0..<8 {
                attempts.append(AttemptRow(taskId: id, attemptIndex: a, temperature: 0.6 + 0.3 * Double(a) / 7, steps: 20 + a,
                                           success: a % 2 == 0, reward: a % 2 == 0 ? 0.8 : 0, abortReason: nil,
                                           checkpoint: "c-seeded", finishedAt: row.submittedAt + 0.04))
            }
        }
        try store.insert(tasks, attempts: attempts)
    }

    /// A new temporary state folder whose `history.sqlite` holds `count` seeded tasks (`write`).
    /// The caller removes it.
    public static func stateDirectory(tasks count: Int) throws -> String {
        let state = NSTemporaryDirectory() + "ttad-history-\(UUID().uuidString.prefix(8))"
        try write(to: state + "/history.sqlite", tasks: count)
        return state
    }
}
