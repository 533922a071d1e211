import Foundation
import Synchronization
import ZeroMQ

/// A robot behind a controller that speaks the bridge protocol (docs/bridge-protocol.md):
/// real hardware, or `ttad-controller` serving a simulation.
///
/// Attempts run one at a time over one connection (`supportsParallelAttempts` is false). The
/// connection is made lazily at the first reset, so ttad can start before the controller.
public final class BridgeRobot: Robot, @unchecked Sendable {
    public let config: RobotConfig
    public var supportsParallelAttempts: Bool { false }
    /// Endpoint, deadlines and heartbeat settings.
    public let settings: BridgeSettings
    /// The e-stop latch every attempt checks while it steps and waits.
    public let emergencyStopLatch = EmergencyStopLatch()
    let context: ZMQContext
    // The connection is used by one attempt at a time; the lock makes that so even if a caller errs.
    let lock = NSLock()
    let connection: BridgeConnection
    /// Delivers `estop` messages, one at a time, so `emergencyStop()` never waits on the controller.
    private let estopQueue = DispatchQueue(label: "ttad.bridge.estop")
    /// Whether a delivery runs, and whether another press came during it.
    private let estopDelivery = Mutex<(running: Bool, again: Bool)>((false, false))
    private let estopDeliveries = Atomic<Int>(0)
    private let estopAcknowledged = Atomic<Bool>(false)

    public init(config: RobotConfig) throws {
        guard case .bridge(let settings) = config.backend else {
            throw RobotError.bridge("\(config.path) is not a bridge robot-config")
        }
        self.config = config
        self.settings = settings
        context = try ZMQContext()
        connection = BridgeConnection(context: context, settings: settings)
    }

    deinit {
        connection.drop()
    }

    public func makeAttempt(task: TaskRequest, index: Int) throws -> any RobotAttempt {
        BridgeAttempt(robot: self, task: try config.resolve(task), index: index)
    }

    /// Says hello to the controller (connecting if needed) and returns its capabilities, checked
    /// against the config.
    public func capabilities() throws -> BridgeProtocol.Header {
        lock.lock()
        defer { lock.unlock() }
        return try checkedHello()
    }

    /// Hello, then the checks that make the controller and this config agree. Caller holds `lock`.
    ///
    /// Always a fresh hello, also on an open connection: every attempt's reset calls this, so a
    /// controller that restarted with other capabilities since the last attempt is caught before
    /// its first reply is read (one round trip per attempt).
    func checkedHello() throws -> BridgeProtocol.Header {
        let hello: BridgeProtocol.Header
        do { hello = try connection.connect(latch: emergencyStopLatch, fresh: true) } catch {
            throw RobotError.bridge("hello to \(settings.endpoint) failed: \(error)")
        }
        func mismatch(_ what: String) -> RobotError {
            connection.drop()
            return .bridge("controller at \(settings.endpoint) (\(hello.robot ?? "unnamed")) \(what) (config \(config.path))")
        }
        guard hello.observationSize == config.observationSize else {
            throw mismatch("sends observations of \(hello.observationSize.map(String.init) ?? "?") floats, the config says \(config.observationSize)")
        }
        guard hello.actionSize == config.actionSize else {
            throw mismatch("takes actions of \(hello.actionSize.map(String.init) ?? "?") floats, the config says \(config.actionSize)")
        }
        if let low = hello.actionLow, let high = hello.actionHigh {
            // The controller's own limits must contain ours; otherwise our clamped actions would be refused.
            for i in 0..<config.actionSize where i < low.count && i < high.count {
                guard config.actionLow[i] >= low[i], config.actionHigh[i] <= high[i] else {
                    throw mismatch("accepts action[\(i)] in [\(low[i]), \(high[i])], narrower than the config's [\(config.actionLow[i]), \(config.actionHigh[i])]")
                }
            }
        }
        // Every joint the envelope limits must be reported in the state frame.
        do {
            _ = try SafetyEnvelope(config: config.safety, joints: hello.joints ?? [], actionLow: config.actionLow, actionHigh: config.actionHigh)
        } catch {
            throw mismatch("does not report what the safety envelope needs: \(error)")
        }
        if config.safety.workspace != nil && hello.endEffector != true {
            throw mismatch("reports no end-effector position, but the config has a workspace box")
        }
        return hello
    }

    /// Latches the e-stop and returns: the latch is what ends our attempts (each checks it on
    /// every step and every 5 ms while it waits for the controller). The controller is told
    /// (`estop`) afterwards, off the caller's thread, on a connection of its own (the attempt's
    /// socket belongs to the stepping thread), within `stop_deadline_ms`. At most one delivery
    /// runs at a time; presses during one are folded into a single further delivery.
    public func emergencyStop() {
        emergencyStopLatch.press()
        let start = estopDelivery.withLock { state in
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        guard start else { return }
        estopQueue.async { [self] in
            while true {
                let acknowledged = deliverEmergencyStop()
                estopAcknowledged.store(acknowledged, ordering: .sequentiallyConsistent)
                estopDeliveries.add(1, ordering: .sequentiallyConsistent)
                let again = estopDelivery.withLock { state in
                    if state.again {
                        state.again = false
                        return true
                    }
                    state.running = false
                    return false
                }
                if !again { return }
            }
        }
    }

    /// How many `estop` messages to the controller have finished (acknowledged or given up on).
    public var emergencyStopDeliveries: Int { estopDeliveries.load(ordering: .sequentiallyConsistent) }
    /// Whether the controller acknowledged the last finished `estop` message.
    public var emergencyStopAcknowledged: Bool { estopAcknowledged.load(ordering: .sequentiallyConsistent) }

    /// Sends `estop` on a short-lived socket and waits for the acknowledgement; the whole exchange
    /// is bounded by the stop deadline. Runs on `estopQueue` only.
    private func deliverEmergencyStop() -> Bool {
        guard let socket = try? ZMQSocket(context, .dealer) else { return false }
        defer { socket.close() }
        let end = ContinuousClock.now + settings.stopDeadline
        do {
            try socket.connect(settings.endpoint)
            try socket.send([BridgeProtocol.encode(BridgeProtocol.Header(type: .estop, seq: 0))], deadline: settings.stopDeadline)
            let left = end - ContinuousClock.now
            guard left > .zero else { return false }
            let reply = try socket.receive(deadline: left)
            return (try? BridgeProtocol.decodeHeader(reply.first ?? []))?.type == .estop
        } catch {
            // Nobody answered: the latch still stops every attempt on our side.
            return false
        }
    }

    public func clearEmergencyStop() { emergencyStopLatch.clear() }
    /// Whether the e-stop is latched.
    public var isEmergencyStopped: Bool { emergencyStopLatch.isPressed }
}
