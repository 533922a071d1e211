/// Why an attempt ended early.
public enum AbortReason: Sendable, Equatable, CustomStringConvertible {
    /// The safety envelope saw a limit broken (recorded as `safety_abort: <reason>`).
    case safety(String)
    /// The robot failed us: missed deadline, garbage reply, dead controller, diverged simulation (`hardware_fault: <reason>`).
    case hardwareFault(String)
    /// The e-stop was pressed (`estop`).
    case estop

    /// `safety_abort`, `hardware_fault` or `estop`: the label history and events use.
    public var kind: String {
        switch self {
        case .safety: "safety_abort"
        case .hardwareFault: "hardware_fault"
        case .estop: "estop"
        }
    }

    public var description: String {
        switch self {
        case .safety(let reason): "safety_abort: \(reason)"
        case .hardwareFault(let reason): "hardware_fault: \(reason)"
        case .estop: "estop"
        }
    }
}

/// What one step did.
public struct StepOutcome: Sendable {
    /// The observation after the step (after an abort: the last one known).
    public var observation: [Float]
    /// Success, max_steps reached, or aborted: no more steps on this attempt.
    public var done: Bool
    /// The task's success condition held after this step.
    public var success: Bool
    /// Set when the attempt was aborted.
    public var abort: AbortReason?
    /// Set when a person drove this step (a bridge intervention): the action the robot actually
    /// executed. The action passed to `step` was not executed and must never be trained on.
    public var executedAction: [Float]?

    public init(observation: [Float], done: Bool, success: Bool, abort: AbortReason? = nil, executedAction: [Float]? = nil) {
        self.observation = observation
        self.done = done
        self.success = success
        self.abort = abort
        self.executedAction = executedAction
    }
}

/// One robot (what it is, like mjModel): makes attempts (like mjData), each owning its own state.
public protocol Robot: AnyObject, Sendable {
    /// The robot-config it was made from.
    var config: RobotConfig { get }
    /// True for simulation: N attempts can run side by side (the loop steps them in lockstep, one batched policy call per step).
    var supportsParallelAttempts: Bool { get }
    /// Prepares one attempt of `task` (per-task dynamics applied to a model copy). `index` distinguishes the N attempts.
    func makeAttempt(task: TaskRequest, index: Int) throws -> any RobotAttempt
    /// E-stop: aborts every running attempt at once (thread-safe; callable from any thread) and latches until `clearEmergencyStop()`.
    /// Returns right after latching: it never waits on the robot (a bridge tells its controller afterwards, off the caller's thread).
    func emergencyStop()
    /// Releases the e-stop latch; new attempts may start.
    func clearEmergencyStop()
}

/// One attempt at a task on a robot. Used from one thread at a time.
public protocol RobotAttempt: AnyObject {
    /// Resets for the task and returns the first observation (every value finite, or it throws naming the first that is not).
    /// May wait (bridge: a person may set the scene) up to `deadline`, normally the config's `resetDeadline`.
    func reset(deadline: Duration) throws -> [Float]
    /// Applies one action. The safety envelope runs inside this call, between the policy's action and the robot, and cannot be bypassed:
    /// the action is clamped to limits and rate limits; a violation (joint pos/vel limits, workspace box) ends the attempt with .safety and sends stop.
    /// A deadline miss / garbage / dead controller / a NaN or infinity in what the robot sent ends it with .hardwareFault and
    /// sends stop; the outcome's observation is then the last finite one. E-stop -> .estop.
    func step(_ action: [Float]) throws -> StepOutcome
    /// Sends stop to the robot (idempotent).
    func stop()
    /// Steps taken so far.
    var steps: Int { get }
    /// Min distance to any safety limit seen so far (normalised: 1 far away, 0 at a limit), for a later reward term.
    var smallestSafetyMargin: Double { get }
    /// How far the attempt got toward its success condition, 0 (no closer than at the start) to 1
    /// (reached), for the progress reward term; nil when the robot cannot measure it.
    var progress: Double? { get }
    /// Steps of this attempt a person drove (bridge interventions; 0 for a robot that has none).
    var intervenedSteps: Int { get }
    /// Of those, the steps whose executed action the safety envelope would have clamped.
    var interventionsPastLimits: Int { get }
}

extension RobotAttempt {
    /// None: only a bridge reports interventions.
    public var intervenedSteps: Int { 0 }
    /// None: only a bridge reports interventions.
    public var interventionsPastLimits: Int { 0 }
}

/// Makes the robot a config describes: `MuJoCoRobot` for `backend.type: mujoco`, `BridgeRobot` for `bridge`.
public func makeRobot(_ config: RobotConfig) throws -> any Robot {
    switch config.backend {
    case .mujoco: try MuJoCoRobot(config: config)
    case .bridge: try BridgeRobot(config: config)
    }
}
