import Foundation
import Synchronization
import Systemd
import Testing
import TTADTesting
@testable import Daemon

/// WATCHDOG=1 reaches systemd only while every loop makes progress.
@Suite(.serialized) struct ProgressWatchdogTests {
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
