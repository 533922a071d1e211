import CSystemd
import Glibc

/// Talks to the service manager through `sd_notify(3)`.
///
/// Outside systemd (`NOTIFY_SOCKET` unset) every call is a cheap no-op that returns `false`.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether systemd is listening (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `KEY=value` lines. Returns true when the datagram was delivered.
    @discardableResult
    public func notify(_ fields: KeyValuePairs<String, String>) -> Bool {
        send(fields.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
    }

    /// READY=1: the service has finished starting up and is serving.
    @discardableResult public func ready(status: String? = nil) -> Bool {
        send(["READY=1", status.map { "STATUS=\(Self.oneLine($0))" }].compactMap { $0 }.joined(separator: "\n"))
    }

    /// STATUS=: a one-line summary shown by `systemctl status`.
    @discardableResult public func status(_ text: String) -> Bool { send("STATUS=\(Self.oneLine(text))") }

    /// WATCHDOG=1: proof of progress. Send only from the loop whose progress it vouches for.
    @discardableResult public func watchdogPing() -> Bool { send("WATCHDOG=1") }

    /// STOPPING=1: a clean shutdown has begun.
    @discardableResult public func stopping() -> Bool { send("STOPPING=1") }

    /// Sends a raw notification string (newline-separated `KEY=value`).
    @discardableResult public func send(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// The watchdog interval systemd asked for (`WatchdogSec=`), or nil when it is off.
    /// Ping at half of it, as sd_watchdog_enabled(3) advises.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" ? " " : $0 })
    }
}
