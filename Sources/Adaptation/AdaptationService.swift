import Synchronization

/// Receives progress from a running task. Called on the control loop's thread; keep it quick.
public protocol AdaptationObserver: AnyObject {
    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double)
    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport)
    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary)
    func checkpointEvent(_ event: CheckpointEvent, taskId: String?)
    /// The loop is alive (called at least every robot step): feeds the watchdog.
    func heartbeat()
}

/// Why a running task was asked to stop. It decides how the attempts cut short are recorded
/// (`estop`, or `cancelled`) and how the task ends (`cancelled`, or `interrupted`).
public enum CancelReason: Sendable, Equatable, CustomStringConvertible {
    /// The e-stop: the attempts cut short are recorded as `estop`.
    case estop
    /// A person's `cancel`.
    case request
    /// The daemon is stopping (SIGTERM): the task is `interrupted`, not the person's doing.
    case shutdown

    public var description: String {
        switch self {
        case .estop: "e-stop"
        case .request: "cancelled by request"
        case .shutdown: "daemon stopping"
        }
    }
}

/// A flag another thread raises to cancel a running task at the next step.
public final class Cancellation: Sendable {
    private let flag = Mutex<CancelReason?>(nil)
    public init() {}
    /// Asks the task to stop, saying why; the first reason given stands.
    public func cancel(_ reason: CancelReason) { flag.withLock { if $0 == nil { $0 = reason } } }
    /// Why it was cancelled, or nil.
    public var reason: CancelReason? { flag.withLock { $0 } }
    public var isCancelled: Bool { reason != nil }
}

/// Why the adaptation service refused a task or an operation; `field` names the request field.
public struct AdaptationError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case invalid, notFound, unavailable, failed }
    public var kind: Kind
    public var field: String?
    public var message: String
    public init(_ kind: Kind, field: String? = nil, _ message: String) { self.kind = kind; self.field = field; self.message = message }
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}

/// What the daemon needs from the adaptation side. `AdaptationEngine` is the real one.
public protocol AdaptationService: AnyObject, Sendable {
    /// Robots this daemon can run, and each one's backend (`mujoco` or `bridge`).
    var robots: [String: String] { get }
    /// The robot-config's defaults for a submit that leaves fields out.
    func defaults(robot: String) -> TaskDefaults?
    /// Checks a plan against its robot (task family, params, dynamics); throws naming the field.
    func validate(_ plan: TaskPlan) throws
    /// The temperatures `plan`'s attempts run at if it started now (the adaptive shift included):
    /// the same schedule `run` uses.
    func temperatures(for plan: TaskPlan) -> [Double]
    /// Runs N attempts and the update. Blocks the calling (control loop) thread.
    func run(_ plan: TaskPlan, observer: any AdaptationObserver, cancellation: Cancellation) throws -> TaskOutcome
    /// What `status` shows, from a snapshot: never waits for an update, a file or a controller.
    var status: AdaptationStatus { get }
    /// The checkpoint `robot`'s policy runs now (from the status snapshot; the default robot's is
    /// also `status.live`).
    func liveCheckpoint(robot: String) -> String?
    func checkpoints() -> [CheckpointSummary]
    /// Loads `checkpoint` (nil: the last good one) as the live policy.
    /// Returns the rollback, naming the robot and the checkpoint that was live before; `observer`
    /// is told it too.
    @discardableResult
    func rollback(to checkpoint: String?, reason: String, observer: (any AdaptationObserver)?) throws -> CheckpointEvent
    /// Whether updates are made (pause/resume).
    var isAdapting: Bool { get set }
    /// Latches every robot's e-stop at once (a running attempt aborts at its next step) and tells
    /// the controllers in the background. Never blocks: the request thread calls it.
    func emergencyStop()
    /// Releases the e-stop after the stops on their way have been sent (may wait for them, briefly),
    /// unless another e-stop came in meanwhile.
    func clearEmergencyStop()
    /// Health: nil when fine, else why (e.g. repeated hardware faults).
    var degradedReason: String? { get }
    /// Records (nil: clears) one cause of degraded health; `degradedReason` joins them all.
    func setHealthIssue(_ cause: HealthIssues.Cause, _ reason: String?)
    /// The degraded-health causes recorded now (hardware faults are in `degradedReason` only).
    var healthIssues: HealthIssues { get }
    /// What start-up did that the history should show (a robot started on an older good checkpoint
    /// than `LAST_GOOD` named); each event is returned once.
    func takeStartupEvents() -> [CheckpointEvent]
    /// Re-reads the robot-configs (SIGHUP, `reload`). A bad file is an error and the old ones stay;
    /// a successful reload also loads robots that were skipped at start-up.
    func reload() throws
    /// Saves what must survive (called once on shutdown, after the last task stopped).
    func shutdown()
}

/// The adaptation side's state as `status` reports it: a snapshot published whenever it changes.
public struct AdaptationStatus: Sendable, Equatable {
    /// The default robot's live and last good checkpoints.
    public var live: String?
    public var lastGood: String?
    /// Every robot's live checkpoint, by robot name.
    public var liveByRobot: [String: String] = [:]
    /// Robot name to backend (`mujoco` or `bridge`).
    public var robots: [String: String]
    /// Whether updates are made (pause/resume, a fault).
    public var adapting: Bool
    /// Why adaptation is degraded, or nil.
    public var degraded: String?
    /// Whether the e-stop is latched.
    public var estopped: Bool

    public init(live: String?, lastGood: String?, robots: [String: String], adapting: Bool, degraded: String?, estopped: Bool) {
        self.live = live; self.lastGood = lastGood; self.robots = robots; self.adapting = adapting
        self.degraded = degraded; self.estopped = estopped
    }
}
