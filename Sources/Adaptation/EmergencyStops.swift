import Dispatch
import Robots
import Synchronization

/// A robot whose e-stop latch can be pressed directly: one atomic store, which never blocks.
protocol LatchedRobot: Robot {
    var emergencyStopLatch: EmergencyStopLatch { get }
}

extension MuJoCoRobot: LatchedRobot {}
extension BridgeRobot: LatchedRobot {}

/// The e-stop path of the adaptation side. `press()` latches every robot at once under a small
/// Mutex of its own (nothing an update, a checkpoint write, a history read or a bridge wait can
/// hold), then tells the robots' controllers on the `ttad-estop` queue, so a controller that does
/// not answer delays nobody. Clears go through the same queue, after every stop already on its
/// way, and are dropped when another e-stop came after the clear was asked for.
final class EmergencyStops: Sendable {
    private struct State {
        var robots: [any Robot] = []
        /// Bumped by every press, so that a clear asked for before it does not undo it.
        var presses = 0
        var latched = false
    }
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "ttad-estop")
    /// How long `clear()` and `settle()` wait for the stops ahead of them.
    let deadline: DispatchTimeInterval

    init(deadline: DispatchTimeInterval = .seconds(5)) { self.deadline = deadline }

    /// The robots an e-stop reaches (after start-up and every reload). A robot added while the
    /// e-stop is latched is latched too.
    func register(_ robots: [any Robot]) {
        state.withLock { s in
            s.robots = robots
            if s.latched { robots.forEach { ($0 as? any LatchedRobot)?.emergencyStopLatch.press() } }
        }
    }

    /// Latches every robot now and sends each its stop in the background. Never blocks.
    func press() {
        let robots = state.withLock { s -> [any Robot] in
            s.presses += 1
            s.latched = true
            for robot in s.robots { (robot as? any LatchedRobot)?.emergencyStopLatch.press() }
            return s.robots
        }
        // The controller hears it too (a bridge robot: a message on a socket of its own, which may
        // wait for a controller that is not there).
        queue.async { for robot in robots { robot.emergencyStop() } }
    }

    /// Releases every latch once the stops ahead of it have been sent, unless another press came
    /// in meanwhile. Waits at most `deadline` for them (the clear still happens after).
    func clear() {
        let presses = state.withLock { $0.presses }
        let done = DispatchSemaphore(value: 0)
        queue.async { [self] in
            state.withLock { s in
                guard s.presses == presses else { return }
                s.latched = false
                for robot in s.robots { robot.clearEmergencyStop() }
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + deadline)
    }

    /// Waits (at most `deadline`) until every stop and clear asked for so far has been carried out.
    func settle() {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        _ = done.wait(timeout: .now() + deadline)
    }

    /// Whether the e-stop is latched (pressed and not cleared since).
    var isLatched: Bool { state.withLock { $0.latched } }
}
