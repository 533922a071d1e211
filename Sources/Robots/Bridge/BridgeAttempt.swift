/// One attempt on a `BridgeRobot`: the safety envelope here, the robot at the other end of the bridge.
public final class BridgeAttempt: RobotAttempt {
    private enum Phase { case ready, running, finished }

    /// The resolved task sent to the controller.
    public let task: ResolvedTask
    public let index: Int
    private let robot: BridgeRobot
    private var envelope: SafetyEnvelope?
    private var joints = 0
    private var endEffector = false
    private var phase = Phase.ready
    private var observation: [Float] = []
    private var stopped = true
    public private(set) var steps = 0
    public private(set) var lastAppliedAction: [Float] = []
    /// Why the attempt was aborted, if it was.
    public private(set) var abort: AbortReason?
    /// Steps of this attempt a person drove (replies that said `intervened`).
    public private(set) var intervenedSteps = 0
    /// Of those, the steps whose executed action the safety envelope would have clamped (past an
    /// action limit or the rate limit): ttad cannot undo what a person did, but it records it.
    public private(set) var interventionsPastLimits = 0
    /// Whether the controller acknowledged the last stop (false: it could not be reached).
    public private(set) var stopAcknowledged = false

    init(robot: BridgeRobot, task: ResolvedTask, index: Int) {
        self.robot = robot
        self.task = task
        self.index = index
    }

    public var smallestSafetyMargin: Double { envelope?.smallestMargin ?? 1 }

    /// Why a demonstration cannot run on `robot`: its controller did not announce the feature.
    public static func noDemonstrationFeature(_ robot: String) -> String {
        "controller of robot \(robot) does not announce the `demonstration` feature (bridge protocol 1.2, hello.features)"
    }
    /// The best `progress` the controller reported during the attempt (nil: it reports none).
    public private(set) var progress: Double?

    /// Connects if needed (hello), sends the task, and waits up to `deadline` for the controller to
    /// be ready (a person may be setting the scene; the controller sends heartbeats meanwhile).
    public func reset(deadline: Duration) throws -> [Float] {
        guard !robot.emergencyStopLatch.isPressed else { throw RobotError.emergencyStopped }
        robot.lock.lock()
        defer { robot.lock.unlock() }
        let hello = try robot.checkedHello()
        let jointNames = hello.joints ?? []
        var envelope = try SafetyEnvelope(
            config: robot.config.safety, joints: jointNames, actionLow: robot.config.actionLow, actionHigh: robot.config.actionHigh)
        joints = jointNames.count
        endEffector = hello.endEffector ?? false
        // A demonstration needs a person at the controller: refused, before the reset is sent, by
        // a controller that does not say it has one (also one that restarted without the feature).
        if task.demonstration, !(hello.features ?? []).contains(BridgeProtocol.demonstrationFeature) {
            throw RobotError.bridge(Self.noDemonstrationFeature(robot.config.name))
        }
        var header = BridgeProtocol.Header(type: .reset, seq: 0)
        if task.demonstration { header.demonstration = true }
        header.task = task.name
        header.params = task.params
        header.dynamics = task.dynamics
        header.seed = task.seed
        header.index = index
        let reply: BridgeReply
        do {
            reply = try robot.connection.request(header, frames: [], deadline: deadline, latch: robot.emergencyStopLatch)
        } catch {
            if error.kind == .estop { throw RobotError.emergencyStopped }
            throw RobotError.bridge("reset failed: \(error)")
        }
        stopped = false
        let state: SafetyState
        let first: [Float]
        do {
            guard reply.frames.count == 2 else { throw BridgeProtocol.DecodeError(message: "reset reply has \(reply.frames.count) data frames, expected 2") }
            first = try BridgeProtocol.decodeFloats(reply.frames[0], count: robot.config.observationSize, what: "observation")
            state = try BridgeProtocol.decodeState(reply.frames[1], joints: joints, endEffector: endEffector)
        } catch {
            robot.connection.drop()
            stopAcknowledged = robot.connection.sendStop()
            stopped = true
            phase = .finished
            throw RobotError.bridge("reset reply unusable: \(error)")
        }
        // A non-finite number is a fault of the robot: it never reaches the policy or the envelope.
        if let bad = NonFinite.describe(first, name: "observation") ?? NonFinite.describe(state, joints: jointNames) {
            stopAcknowledged = robot.connection.sendStop()
            stopped = true
            phase = .finished
            throw RobotError.bridge("reset reply: \(bad)")
        }
        observation = first
        envelope.reset()
        if let violation = envelope.check(state) {
            stopAcknowledged = robot.connection.sendStop()
            stopped = true
            phase = .finished
            throw RobotError.bridge("the robot's state at reset breaks the safety envelope: \(violation)")
        }
        self.envelope = envelope
        steps = 0
        intervenedSteps = 0
        interventionsPastLimits = 0
        progress = nil
        abort = nil
        phase = .running
        return observation
    }

    public func step(_ action: [Float]) throws -> StepOutcome {
        guard phase == .running, var envelope else {
            throw RobotError.notRunning(phase == .ready ? "call reset before step" : "the attempt has ended")
        }
        if robot.emergencyStopLatch.isPressed { return end(.estop) }
        let safe: [Float]
        switch envelope.filter(action) {
        case .success(let a): safe = a
        case .failure(let violation):
            self.envelope = envelope
            return end(.safety(violation.reason))
        }
        lastAppliedAction = safe
        robot.lock.lock()
        let result = Result { () throws(BridgeFault) -> BridgeReply in
            try robot.connection.request(
                BridgeProtocol.Header(type: .step, seq: 0), frames: [BridgeProtocol.encode(safe)],
                deadline: robot.config.stepDeadline, latch: robot.emergencyStopLatch)
        }
        robot.lock.unlock()
        steps += 1
        let reply: BridgeReply
        switch result {
        case .success(let r): reply = r
        case .failure(let fault):
            return end(fault.kind == .estop ? .estop : .hardwareFault(fault.message))
        }
        let state: SafetyState
        let next: [Float]
        // Optional (protocol 1.1): a person drove this step, and the third frame is what was executed.
        let intervened = reply.header.intervened ?? false
        var executed: [Float]?
        do {
            let expected = intervened ? 3 : 2
            guard reply.frames.count == expected else {
                let why = intervened ? "says intervened, expected 3 (observation, state, executed action)"
                    : reply.frames.count == 3 ? "does not say intervened, expected 2 (observation, state)" : "expected 2"
                throw BridgeProtocol.DecodeError(message: "step reply has \(reply.frames.count) data frames but \(why)")
            }
            next = try BridgeProtocol.decodeFloats(reply.frames[0], count: robot.config.observationSize, what: "observation")
            state = try BridgeProtocol.decodeState(reply.frames[1], joints: joints, endEffector: endEffector)
            if intervened {
                executed = try BridgeProtocol.decodeFloats(reply.frames[2], count: robot.config.actionSize, what: "executed action")
            }
        } catch {
            robot.connection.drop()
            return end(.hardwareFault("malformed step reply: \(error)"))
        }
        // A non-finite number is a fault of the robot, whatever else the reply says (even success):
        // the attempt ends here, and `observation` stays the last finite one.
        if let bad = NonFinite.describe(next, name: "observation") ?? NonFinite.describe(state, joints: envelope.joints)
            ?? NonFinite.describe(reply.header.progress, name: "progress")
            ?? executed.flatMap({ NonFinite.describe($0, name: "executed action") }) {
            self.envelope = envelope
            return end(.hardwareFault("step \(steps): \(bad)"))
        }
        // In a demonstration the person drives every step: an ordinary reply is not what the
        // controller agreed to, and its step is no demonstration to learn from.
        if task.demonstration, executed == nil {
            self.envelope = envelope
            return end(.hardwareFault("step \(steps): demonstration attempt, but the step reply does not say intervened (a person drives every step of a demonstration, bridge protocol 1.2)"))
        }
        observation = next
        if let executed {
            // What the robot did, not what ttad proposed: the rate limit counts from it from now on.
            intervenedSteps += 1
            if envelope.noteExecuted(executed) { interventionsPastLimits += 1 }
            lastAppliedAction = executed
        }
        let violation = envelope.check(state)
        self.envelope = envelope
        if let violation { return end(.safety(violation.reason)) }
        let success = reply.header.success ?? false
        // Optional and only a reward term: a value out of range is clamped (a non-finite one ended the attempt above).
        if let reported = reply.header.progress {
            progress = max(progress ?? 0, min(1, max(0, success ? 1 : reported)))
        } else if success, progress != nil {
            progress = 1
        }
        let done = success || steps >= robot.config.maxSteps
        if done {
            phase = .finished
            sendStop()
        }
        return StepOutcome(observation: observation, done: done, success: success, executedAction: executed)
    }

    /// Sends stop (idempotent: once per attempt end).
    public func stop() {
        if phase == .running { phase = .finished }
        sendStop()
    }

    private func sendStop() {
        guard !stopped else { return }
        stopped = true
        robot.lock.lock()
        stopAcknowledged = robot.connection.sendStop()
        robot.lock.unlock()
    }

    private func end(_ reason: AbortReason) -> StepOutcome {
        abort = reason
        phase = .finished
        sendStop()
        return StepOutcome(observation: observation, done: true, success: false, abort: reason)
    }
}
