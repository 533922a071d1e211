import Synchronization
import Systemd

/// Sends systemd's WATCHDOG=1 only while every registered loop is making progress.
///
/// Each loop calls `beat(_:)` when it does work or finishes a bounded wait. `tick()` (called
/// often, from any loop) pings systemd at half the `WatchdogSec=` interval, but only if every
/// loop beat within that interval: a loop that hangs stops the pings, and systemd restarts us.
public final class ProgressWatchdog: Sendable {
    private struct State {
        var lastBeat: [String: ContinuousClock.Instant] = [:]
        var lastPing: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    private let notifier: SystemdNotifier
    /// systemd's watchdog interval, or nil when the watchdog is off.
    public let interval: Duration?
    /// The time source: the real clock, or a test's own so that a stall needs no real sleep.
    private let now: @Sendable () -> ContinuousClock.Instant

    public init(notifier: SystemdNotifier = SystemdNotifier(), interval: Duration? = SystemdNotifier().watchdogInterval,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.notifier = notifier
        self.interval = interval
        self.now = now
    }

    /// Records that `loop` made progress now.
    public func beat(_ loop: String) {
        let now = now()
        state.withLock { $0.lastBeat[loop] = now }
    }

    /// Stops watching `loop` (it ended on purpose).
    public func retire(_ loop: String) {
        _ = state.withLock { $0.lastBeat.removeValue(forKey: loop) }
    }

    /// The loops that have not beaten within the interval.
    public func stalledLoops() -> [String] {
        guard let interval else { return [] }
        let now = now()
        return state.withLock { s in s.lastBeat.filter { now - $0.value > interval }.map(\.key).sorted() }
    }

    /// Pings systemd if due and every loop is alive. Returns true when a ping was sent.
    @discardableResult
    public func tick() -> Bool {
        guard let interval else { return false }
        let now = now()
        let due = state.withLock { s -> Bool in
            if let last = s.lastPing, now - last < interval / 2 { return false }
            guard s.lastBeat.values.allSatisfy({ now - $0 <= interval }) else { return false }
            s.lastPing = now
            return true
        }
        return due && notifier.watchdogPing()
    }
}
