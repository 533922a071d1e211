import Foundation
import Synchronization
import Systemd
import Testing
@testable import Daemon

/// WATCHDOG=1 reaches systemd only while every loop makes progress.
@Suite(.serialized) struct ProgressWatchdogTests {
    /// A datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let path = NSTemporaryDirectory() + "wd-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        init() {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
        deinit { close(fd); unlink(path) }
    }

    /// A clock the test moves by hand, so a stall is simulated exactly and a loaded machine cannot
    /// make the test pass or fail by pausing a thread.
    final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ by: Duration) { instant.withLock { $0 += by } }
    }

    @Test func pingsOnlyWhileEveryLoopBeats() throws {
        let socket = NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let clock = ManualClock()
        let watchdog = ProgressWatchdog(interval: .seconds(2), now: { clock.now })
        watchdog.beat("requests")
        watchdog.beat("control")
        #expect(watchdog.tick())
        #expect(socket.receive() == "WATCHDOG=1")
        clock.advance(.milliseconds(999))
        #expect(!watchdog.tick(), "no second ping within half the interval")

        // The control loop hangs; the request loop carries on beating.
        clock.advance(.milliseconds(2100))
        watchdog.beat("requests")
        #expect(!watchdog.tick(), "a stalled loop stops the pings, so systemd restarts the daemon")
        #expect(socket.receive() == nil)
        #expect(watchdog.stalledLoops() == ["control"])

        watchdog.beat("requests")
        watchdog.beat("control")
        #expect(watchdog.tick(), "both loops beat again: the pings resume")
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test func withoutAWatchdogNothingIsSent() {
        let watchdog = ProgressWatchdog(interval: nil)
        watchdog.beat("control")
        #expect(!watchdog.tick())
        #expect(watchdog.stalledLoops().isEmpty)
    }
}
