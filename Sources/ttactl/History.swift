import ArgumentParser
import Foundation
import Wire

/// `ttactl history`: past tasks, newest first, a page at a time (or `--all` of them).
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List past tasks, newest first.",
        discussion: """
            The daemon answers a page at a time: at most --limit tasks and at most 1 MiB of them. When more \
            follow, ttactl says how to get the next page (--cursor); --all follows the pages to the end.
            """)
    @OptionGroup var connection: Connection
    @Option(help: "Only this task family.") var task: String?
    @Option(help: "Only this robot.") var robot: String?
    @Option(help: "Only tasks submitted in the last N seconds.") var since: Double?
    @Option(help: "At most this many (1-10000); with --all, per page.") var limit: Int = 20
    @Option(help: "Start after this point: the cursor a previous page printed.") var cursor: String?
    @Flag(help: "Follow the pages to the last task.") var all = false

    func run() throws {
        let query = HistoryQuery(task: task, robot: robot, since: since.map { Date().timeIntervalSince1970 - $0 }, limit: limit, cursor: cursor)
        let result = try TTACtl.run { try HistoryPages.fetch(connection.client(), query, upTo: all ? nil : limit) }
        if connection.json { printJSON(result); return }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        print("task          submitted            robot      task      state        success  reward  checkpoint")
        for t in result.tasks {
            let success = t.successRate.map { String(format: "%5.0f%%", $0 * 100) } ?? "     -"
            let reward = t.meanReward.map { String(format: "%6.3f", $0) } ?? "     -"
            print("\(t.taskId.padding(toLength: 13, withPad: " ", startingAt: 0)) \(formatter.string(from: Date(timeIntervalSince1970: t.submittedAt)))  \(t.robot.padding(toLength: 10, withPad: " ", startingAt: 0)) \(t.task.padding(toLength: 9, withPad: " ", startingAt: 0)) \(t.state.padding(toLength: 12, withPad: " ", startingAt: 0)) \(success)  \(reward)  \(t.checkpoint ?? "-")")
        }
        if let next = result.nextCursor {
            warn("more tasks follow: `ttactl history --cursor \(next)` (same filters) for the next page, or --all")
        }
    }
}

/// Fetching `history` across pages.
enum HistoryPages {
    /// Follows `next_cursor` from `query` until `upTo` tasks (nil: the last one). The result's
    /// `next_cursor` says where a later call would go on (nil: nothing more).
    static func fetch(_ client: WireClient, _ query: HistoryQuery, upTo: Int?) throws -> HistoryResult {
        var query = query
        var all = HistoryResult(tasks: [], nextCursor: nil)
        while true {
            if let upTo { query.limit = min(query.limit ?? 100, upTo - all.tasks.count) }
            let page = try client.call(Request(operation: .history, args: .history(query)), as: HistoryResult.self)
            all.tasks += page.tasks
            all.nextCursor = page.nextCursor
            all.untaskedEvents = all.untaskedEvents ?? page.untaskedEvents
            guard let next = page.nextCursor, !page.tasks.isEmpty else { return all }
            if let upTo, all.tasks.count >= upTo { return all }
            query.cursor = next
        }
    }
}
