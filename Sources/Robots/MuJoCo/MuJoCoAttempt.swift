/// One attempt on a `MuJoCoRobot`: a simulation behind the safety envelope.
public final class MuJoCoAttempt: RobotAttempt {
    private enum Phase { case ready, running, finished }

    /// The resolved task (every parameter and dynamics factor filled in).
    public let task: ResolvedTask
    /// Which of the N attempts this is (seeds its reset noise).
    public let index: Int
    /// The raw simulation, for tests and tools; stepping it directly bypasses the envelope, so the loop never does.
    public let simulation: MuJoCoSimulation
    private let config: RobotConfig
    private let latch: EmergencyStopLatch
    private var envelope: SafetyEnvelope
    private var phase = Phase.ready
    private var observation: [Float] = []
    private var state = SafetyState(jointPositions: [], jointVelocities: [], endEffector: nil)
    public private(set) var steps = 0
    public private(set) var lastAppliedAction: [Float] = []
    /// Why the attempt was aborted, if it was.
    public private(set) var abort: AbortReason?

    init(robot: MuJoCoRobot, simulation: MuJoCoSimulation, task: ResolvedTask, index: Int) throws {
        self.task = task
        self.index = index
        self.simulation = simulation
        config = robot.config
        latch = robot.emergencyStopLatch
        envelope = try SafetyEnvelope(
            config: config.safety, joints: simulation.jointNames, actionLow: config.actionLow, actionHigh: config.actionHigh)
    }

    public var smallestSafetyMargin: Double { envelope.smallestMargin }

    /// Success distance at reset and the closest since (distance conditions only).
    private var initialDistance: Double?
    private var closestDistance: Double?

    /// 1 - (closest - tolerance) / (initial - tolerance), clamped to [0, 1]: the share of the way
    /// from the start to the tolerance that the attempt covered at its best moment.
    public var progress: Double? {
        guard let initialDistance, let closestDistance, let tolerance = simulation.successDistance?.tolerance else { return nil }
        guard initialDistance > tolerance else { return 1 }
        return min(1, max(0, (initialDistance - closestDistance) / (initialDistance - tolerance)))
    }

    /// Resets at once: a simulation never waits for a person. `deadline` (the config's
    /// `resetDeadline`, 1 s for MuJoCo) bounds the wall time like `step_deadline_ms` bounds a
    /// step: a reset that took longer (a starved machine) fails, as a late controller's would.
    public func reset(deadline: Duration) throws -> [Float] {
        guard !latch.isPressed else { throw RobotError.emergencyStopped }
        let started = ContinuousClock.now
        try simulation.reset(task: task, index: index)
        let took = ContinuousClock.now - started
        if took > deadline {
            phase = .finished
            throw RobotError.simulation("reset took \(took), over the \(deadline) deadline")
        }
        envelope.reset()
        steps = 0
        abort = nil
        initialDistance = simulation.successDistance?.distance
        closestDistance = initialDistance
        if let violation = envelope.check(simulation.safetyState) {
            phase = .finished
            throw RobotError.simulation("the initial state already breaks the safety envelope: \(violation)")
        }
        let first = simulation.observation()
        if let bad = NonFinite.describe(first, name: "observation") {
            phase = .finished
            simulation.zeroControls()
            throw RobotError.simulation("the initial state gives a non-finite observation: \(bad)")
        }
        phase = .running
        observation = first
        return observation
    }

    public func step(_ action: [Float]) throws -> StepOutcome {
        guard phase == .running else {
            throw RobotError.notRunning(phase == .ready ? "call reset before step" : "the attempt has ended")
        }
        if latch.isPressed { return end(.estop) }
        let safe: [Float]
        switch envelope.filter(action) {
        case .success(let a): safe = a
        case .failure(let violation): return end(.safety(violation.reason))
        }
        lastAppliedAction = safe
        simulation.apply(safe)
        let started = ContinuousClock.now
        simulation.advance()
        let took = ContinuousClock.now - started
        steps += 1
        if simulation.isUnstable { return end(.hardwareFault("simulation diverged at step \(steps)")) }
        // isUnstable looks at qpos and qvel; anything else an observation reads (mocap bodies,
        // a value too large for a float) is checked here, before the policy can see it.
        let next = simulation.observation()
        if let bad = NonFinite.describe(next, name: "observation") { return end(.hardwareFault("step \(steps): \(bad)")) }
        observation = next
        if took > config.stepDeadline { return end(.hardwareFault("simulated step took \(took), over the \(config.stepDeadline) deadline")) }
        simulation.updateSafetyState(&state)
        if let violation = envelope.check(state) { return end(.safety(violation.reason)) }
        // One distance measurement per step serves both the success check and progress.
        let measured = simulation.successDistance
        let success = measured.map { $0.distance < $0.tolerance } ?? false
        if let d = measured?.distance, let closest = closestDistance { closestDistance = min(closest, d) }
        let done = success || steps >= config.maxSteps
        if done { finish() }
        return StepOutcome(observation: observation, done: done, success: success)
    }

    public func stop() {
        simulation.zeroControls()
        if phase == .running { phase = .finished }
    }

    private func end(_ reason: AbortReason) -> StepOutcome {
        abort = reason
        stop()
        return StepOutcome(observation: observation, done: true, success: false, abort: reason)
    }

    private func finish() {
        simulation.zeroControls()
        phase = .finished
    }
}
