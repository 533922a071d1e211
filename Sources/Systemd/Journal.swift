import CSystemd
import Glibc

/// Writes structured entries to journald through `sd_journal_sendv(3)`.
///
/// Each field is `NAME=value` with NAME in upper case (letters, digits, underscores; not starting
/// with an underscore). Values may contain newlines and any bytes: sendv passes them unchanged.
public enum Journal {
    /// syslog priorities as journald's PRIORITY field expects them.
    public enum Priority: Int, Sendable, Comparable {
        case emergency = 0, alert, critical, error, warning, notice, info, debug
        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }

    /// Whether this process's stderr is connected to the journal (`JOURNAL_STREAM` matches),
    /// which is how a service tells it runs under systemd and should log structured entries.
    public static var isConnected: Bool {
        guard let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return stream == "\(st.st_dev):\(st.st_ino)"
    }

    /// Sends one entry. `MESSAGE` and `PRIORITY` are added from the arguments.
    /// Returns 0 on success or a negative errno (journald not running is not an error).
    @discardableResult
    public static func send(message: String, priority: Priority, fields: [(String, String)] = []) -> Int32 {
        var entries = ["MESSAGE=\(message)", "PRIORITY=\(priority.rawValue)"]
        for (key, value) in fields where isValidFieldName(key) {
            entries.append("\(key)=\(value)")
        }
        // sendv takes iovecs pointing at each entry's bytes; keep the storage alive for the call.
        let buffers = entries.map { Array($0.utf8) }
        return withIOVecs(buffers) { sd_journal_sendv($0, Int32($1)) }
    }

    /// A journald field name: upper-case letters, digits and '_', not starting with '_', at most 64.
    public static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// Lays every entry into one buffer and points an iovec at each slice of it.
    private static func withIOVecs<R>(_ buffers: [[UInt8]], _ body: (UnsafePointer<iovec>, Int) -> R) -> R {
        var storage = buffers.flatMap { $0 }
        return storage.withUnsafeMutableBytes { raw in
            var offset = 0
            let iovecs = buffers.map { buffer -> iovec in
                defer { offset += buffer.count }
                return iovec(iov_base: raw.baseAddress! + offset, iov_len: buffer.count)
            }
            return iovecs.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}
