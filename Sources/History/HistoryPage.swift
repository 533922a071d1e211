/// One page of `HistoryStore.page`: tasks newest first, each with everything recorded about it,
/// and where the next page starts.
public struct HistoryPage: Sendable {
    /// A task and its attempts, updates and checkpoint events (the rows as stored).
    public struct Entry: Sendable {
        public var task: TaskRow
        public var attempts: [AttemptRow]
        public var updates: [UpdateRow]
        public var checkpointEvents: [CheckpointEventRow]
        /// Where the page after this task starts.
        public var cursor: HistoryCursor
    }

    public var entries: [Entry]
    /// Whether older tasks matching the filter follow the last entry.
    public var more: Bool
}

/// A position in the history's newest-first order: (submitted_at, rowid) of the last task a page
/// returned. Clients see it only as an opaque string (`history`'s `cursor` / `next_cursor`).
public struct HistoryCursor: Sendable, Equatable {
    public var submittedAt: Double
    public var rowid: Int64

    public init(submittedAt: Double, rowid: Int64) {
        self.submittedAt = submittedAt
        self.rowid = rowid
    }

    /// The opaque text: `h1.` then the time's exact bits and the rowid, both in hex.
    public var string: String {
        "h1.\(String(submittedAt.bitPattern, radix: 16)).\(String(rowid, radix: 16))"
    }

    /// Reads `string`'s form back; nil when `text` is not a cursor this daemon made.
    public init?(string text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "h1", let bits = UInt64(parts[1], radix: 16), let rowid = Int64(parts[2], radix: 16) else {
            return nil
        }
        let time = Double(bitPattern: bits)
        guard time.isFinite else { return nil }
        self.init(submittedAt: time, rowid: rowid)
    }
}
