import Foundation
import Synchronization

/// SIGTERM and SIGINT, trapped from the moment this is made: the daemon's start-up (the history,
/// the robots and their checkpoints, the sockets) comes before its `ServiceGroup` runs, and a stop
/// asked for meanwhile must still end cleanly. A signal caught before `forward(to:)` is handed on
/// as soon as it is called.
// @unchecked: `sources` is set once in init and only cancelled in deinit.
final class StopSignals: @unchecked Sendable {
    /// Whether a signal came, and where it goes; shared with the sources' handlers.
    private final class Relay: Sendable {
        struct State {
            var caught = false
            var handler: (@Sendable () -> Void)?
        }
        let state = Mutex(State())
    }
    private let relay = Relay()
    private let sources: [any DispatchSourceSignal]

    init() {
        let relay = self.relay
        let armed = DispatchSemaphore(value: 0)
        sources = [SIGTERM, SIGINT].map { number in
            // No SIG_IGN first: libdispatch arms the source on its own thread after `resume()`,
            // and an ignored signal that came meanwhile would be lost (the daemon would never stop).
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setRegistrationHandler { armed.signal() }
            source.setEventHandler {
                let handler = relay.state.withLock { s -> (@Sendable () -> Void)? in
                    s.caught = true
                    return s.handler
                }
                handler?()
            }
            source.resume()
            return source
        }
        // Armed before the start-up goes on, so a signal from here on is caught, not lost or fatal.
        for _ in sources { _ = armed.wait(timeout: .now() + 2) }
    }

    /// Calls `handler` on every SIGTERM or SIGINT from now on, and once at once if one came already.
    func forward(to handler: @escaping @Sendable () -> Void) {
        let caught = relay.state.withLock { s in
            s.handler = handler
            return s.caught
        }
        if caught { handler() }
    }

    deinit { sources.forEach { $0.cancel() } }
}
