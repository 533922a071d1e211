import Foundation
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

    /// Connects (if needed) and returns the controller's capabilities, checked against the config.
    public func capabilities() throws -> BridgeProtocol.Header {
        lock.lock()
        defer { lock.unlock() }
        return try checkedHello()
    }

    /// Hello, then the checks that make the controller and this config agree. Caller holds `lock`.
    func checkedHello() throws -> BridgeProtocol.Header {
        let hello: BridgeProtocol.Header
        do { hello = try connection.connect(latch: emergencyStopLatch) } catch {
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

    /// Latches the e-stop, then tells the controller on a connection of its own (the attempt's
    /// socket belongs to the stepping thread). A stepping attempt notices within milliseconds.
    public func emergencyStop() {
        emergencyStopLatch.press()
        guard let socket = try? ZMQSocket(context, .dealer) else { return }
        defer { socket.close() }
        do {
            try socket.connect(settings.endpoint)
            try socket.send([BridgeProtocol.encode(BridgeProtocol.Header(type: .estop, seq: 0))], deadline: settings.stopDeadline)
            _ = try socket.receive(deadline: settings.stopDeadline)
        } catch {
            // Nobody answered: the latch still stops every attempt on our side.
        }
    }

    public func clearEmergencyStop() { emergencyStopLatch.clear() }
    /// Whether the e-stop is latched.
    public var isEmergencyStopped: Bool { emergencyStopLatch.isPressed }
}
