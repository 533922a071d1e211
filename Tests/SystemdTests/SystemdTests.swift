import Foundation
import Testing
@testable import Systemd

/// Binds an AF_UNIX datagram socket like systemd's notify socket and reads what arrives.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

/// NOTIFY_SOCKET and WATCHDOG_USEC are process-wide: these tests run one at a time.
@Suite(.serialized) struct SystemdNotifierTests {
    @Test func readyAndStatusArriveOnTheNotifySocket() throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        #expect(notifier.isActive)
        #expect(notifier.ready(status: "serving\nnow"))
        #expect(socket.receive() == "READY=1\nSTATUS=serving now")
        #expect(notifier.watchdogPing())
        #expect(socket.receive() == "WATCHDOG=1")
        #expect(notifier.stopping())
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test func withoutSystemdNotifyDeliversNothing() {
        unsetenv("NOTIFY_SOCKET")
        #expect(!SystemdNotifier().isActive)
        #expect(!SystemdNotifier().ready())
    }

    @Test func watchdogIntervalComesFromWatchdogUsec() {
        setenv("WATCHDOG_USEC", "3000000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        #expect(SystemdNotifier().watchdogInterval == .seconds(3))
        setenv("WATCHDOG_PID", "1", 1)
        #expect(SystemdNotifier().watchdogInterval == nil, "the watchdog is meant for another process")
    }
}

@Suite struct JournalTests {
    @Test func fieldNamesFollowJournaldRules() {
        #expect(Journal.isValidFieldName("TTAD_TASK_ID"))
        #expect(!Journal.isValidFieldName("_PID"), "leading underscore is reserved for trusted fields")
        #expect(!Journal.isValidFieldName("lower"))
        #expect(!Journal.isValidFieldName(""))
    }

    @Test func sendvReachesLibsystemd() {
        // Without a journald, libsystemd still validates the entry: 0 (sent, or no journal) for
        // a good one; an invalid field is dropped by our wrapper before libsystemd sees it.
        let rc = Journal.send(message: "test entry", priority: .info, fields: [("TTAD_TEST", "1"), ("bad name", "x")])
        #expect(rc == 0 || rc == -ENOENT || rc == -ECONNREFUSED)
    }
}
