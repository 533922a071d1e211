import Logging
import Systemd

/// A swift-log handler that writes structured journald entries.
///
/// Each metadata key `k` becomes the journal field `TTAD_K` (upper-cased), so
/// `logger.info("attempt finished", metadata: ["task_id": "t42"])` can be found with
/// `journalctl -u ttad TTAD_TASK_ID=t42`. docs/journald-fields.md lists the fields ttad writes.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [("SYSLOG_IDENTIFIER", "ttad"), ("TTAD_LOGGER", label)]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged {
            fields.append((Self.fieldName(key), "\(value)"))
        }
        fields.append(("CODE_FILE", event.file))
        fields.append(("CODE_LINE", "\(event.line)"))
        fields.append(("CODE_FUNC", event.function))
        Journal.send(message: "\(event.message)", priority: Self.priority(event.level), fields: fields)
    }

    /// `task_id` -> `TTAD_TASK_ID`.
    static func fieldName(_ key: String) -> String {
        "TTAD_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func priority(_ level: Logger.Level) -> Journal.Priority {
        switch level {
        case .trace, .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
