import Foundation
import Testing
@testable import Systemd

/// Binds an AF_UNIX datagram socket like systemd's notify socket (or journald's) and reads what arrives.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(path: String = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock") throws {
        self.path = path
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

    /// What the journald stand-in saw; written on its thread, read after it has finished.
    final class JournalCapture: @unchecked Sendable {
        var rc: Int32 = 1
        var datagram: String?
        var setupFailure: String?
    }

    /// sd_journal_sendv writes to the fixed path /run/systemd/journal/socket. On a thread of its
    /// own, in a private mount namespace with a tmpfs over /run, the test is the journald there,
    /// so the result is the one right code (0) and the entry can be read as journald gets it.
    @Test(.enabled(if: getuid() == 0, "a private mount namespace needs root"))
    func anEntryReachesTheJournalSocketWithoutItsInvalidField() throws {
        let capture = JournalCapture()
        let done = DispatchSemaphore(value: 0)
        let journald = Thread {
            defer { done.signal() }
            // Only this thread moves to the new namespace; it ends with the thread.
            guard let symbol = dlsym(nil, "unshare") else { capture.setupFailure = "no unshare(2) in libc"; return }
            let unshare = unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
            let newMountNamespace: Int32 = 0x0002_0000  // CLONE_NEWNS (sched.h, _GNU_SOURCE only)
            guard unshare(newMountNamespace) == 0 else { capture.setupFailure = "unshare: errno \(errno)"; return }
            guard mount("none", "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0,
                  mount("tmpfs", "/run", "tmpfs", 0, nil) == 0 else { capture.setupFailure = "mount: errno \(errno)"; return }
            mkdir("/run/systemd", 0o755)
            mkdir("/run/systemd/journal", 0o755)
            guard let socket = try? NotifySocket(path: "/run/systemd/journal/socket") else {
                capture.setupFailure = "bind /run/systemd/journal/socket: errno \(errno)"; return
            }
            capture.rc = Journal.send(message: "test entry", priority: .info, fields: [("TTAD_TEST", "1"), ("bad name", "x")])
            capture.datagram = socket.receive()
        }
        journald.start()
        done.wait()
        #expect(capture.setupFailure == nil, "\(capture.setupFailure ?? "")")
        #expect(capture.rc == 0)
        let lines = (capture.datagram ?? "").split(separator: "\n").map(String.init)
        // libsystemd adds SYSLOG_IDENTIFIER (the program's name) after our fields.
        #expect(Array(lines.prefix(3)) == ["MESSAGE=test entry", "PRIORITY=6", "TTAD_TEST=1"], "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("bad name") }, "an invalid field name is dropped before libsystemd: \(lines)")
    }
}
