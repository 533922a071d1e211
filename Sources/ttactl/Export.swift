import ArgumentParser
import Foundation
import Wire

/// `ttactl export`: tasks, attempts, updates or checkpoint events as CSV or JSON Lines, streamed:
/// it asks the daemon for `history` a page at a time and writes each page's rows before asking
/// for the next, so it never holds more than one page however long the history.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the history as CSV or JSON Lines, newest first.",
        discussion: """
            One row per task, attempt, update or checkpoint event (--kind), written as the daemon's \
            history pages arrive. docs/ttactl.md lists the columns. --since takes an ISO 8601 date or \
            time (2026-11-30, 2026-11-30T08:00:00Z), @UNIX-SECONDS, or an age such as 90m, 12h or 7d.
            """)
    @OptionGroup var connection: Connection
    @Option(help: "csv or jsonl.") var format: String
    @Option(help: "tasks, attempts, updates or checkpoint-events.") var kind: String = ExportKind.tasks.rawValue
    @Option(help: "Only tasks submitted at or after this time (and what they caused).") var since: String?
    @Option(help: "Only this robot.") var robot: String?
    @Option(help: "Only this task family.") var task: String?
    @Option(help: "Tasks per page asked of the daemon (1-10000; it also stops a page at 1 MiB).") var pageSize: Int = 500

    func validate() throws {
        guard ExportWriter.Format(rawValue: format) != nil else {
            throw ValidationError("--format \(format): expected \(ExportWriter.Format.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        guard ExportKind(rawValue: kind) != nil else {
            throw ValidationError("--kind \(kind): expected one of \(ExportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let since { _ = try Self.time(since, now: Date()) }
        guard (1...10_000).contains(pageSize) else { throw ValidationError("--page-size \(pageSize): expected 1 to 10000") }
    }

    func run() throws {
        let kind = ExportKind(rawValue: kind)!
        var writer = ExportWriter(format: ExportWriter.Format(rawValue: format)!, columns: ExportTable.columns(kind))
        var query = HistoryQuery(task: task, robot: robot, since: try since.map { try Self.time($0, now: Date()) }, limit: pageSize)
        try TTACtl.run {
            let client = try connection.client()
            writer.header()
            var first = true
            while true {
                let page = try client.call(Request(operation: .history, args: .history(query)), as: HistoryResult.self)
                // What no task caused comes with the first page only (the newest 1000 of them).
                if first, kind == .checkpointEvents {
                    writer.write((page.untaskedEvents ?? []).map { ExportTable.event(nil, $0) })
                }
                first = false
                writer.write(page.tasks.flatMap { ExportTable.rows(kind, of: $0) })
                guard let next = page.nextCursor, !page.tasks.isEmpty else { break }
                query.cursor = next
            }
        }
        warn("exported \(writer.rowsWritten) \(kind.rawValue)")
    }

    /// Unix seconds for `text`: ISO 8601 (date, or date and time with a zone), `@SECONDS`, or an age
    /// (`N` then `s`, `m`, `h` or `d`) before `now`.
    static func time(_ text: String, now: Date) throws -> Double {
        if text.hasPrefix("@"), let seconds = Double(text.dropFirst()), seconds.isFinite { return seconds }
        if let unit = text.last, let n = Double(text.dropLast()), n.isFinite, n >= 0,
           let scale = ["s": 1.0, "m": 60, "h": 3600, "d": 86400][String(unit)] {
            return now.timeIntervalSince1970 - n * scale
        }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date.timeIntervalSince1970 }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date.timeIntervalSince1970 }
        throw ValidationError("--since \(text): expected an ISO 8601 date or time (2026-11-30, 2026-11-30T08:00:00Z), "
                              + "@UNIX-SECONDS, or an age such as 90m, 12h or 7d")
    }
}
