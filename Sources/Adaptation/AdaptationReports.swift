import Learning
import Robots

/// Why an attempt stopped before its task's own end: the robot's `AbortReason`, or a cancel.
public enum AttemptInterruption: Sendable, Equatable, CustomStringConvertible {
    /// A safety abort, a hardware fault or the e-stop.
    case aborted(AbortReason)
    /// A person's cancel or the daemon stopping.
    case cancelled

    /// What the history, the journal and the wire record: `safety_abort: ...`,
    /// `hardware_fault: ...`, `estop` or `cancelled`.
    public var description: String {
        switch self {
        case .aborted(let reason): reason.description
        case .cancelled: "cancelled"
        }
    }
}

/// What one attempt came to.
public struct AttemptReport: Sendable, Equatable {
    public var index: Int
    public var temperature: Double
    public var steps: Int
    public var success: Bool
    public var reward: Double
    /// Why it stopped early; nil when it ran to its end (success or max_steps).
    public var interruption: AttemptInterruption?
    /// The checkpoint whose policy acted.
    public var checkpoint: String?
    /// The attempt's progress toward the goal at its closest, in [0, 1] (1 on success), as the
    /// robot reported it; nil when the robot measures none.
    public var progress: Double?
    /// Steps a person drove (bridge interventions, docs/bridge-protocol.md); 0 for none.
    public var intervenedSteps: Int
    /// Intervened steps whose executed action the safety envelope would have clamped.
    public var interventionsPastLimits: Int
    /// A person judges its success (`success_judged_by: operator`), whether or not it needs a label.
    public var judgedByOperator = false
    /// With `success_judged_by: operator`: when its label stops counting (seconds since 1970);
    /// nil for a robot-judged attempt and for one that needs no label (a safety abort, a fault).
    public var labelDeadline: Double?
    /// A person's label (true: success) once given on time; nil while pending or unlabelled.
    public var label: Bool?

    /// Its outcome waits for a person's label: `success` and `reward` say failure until then.
    public var awaitingLabel: Bool { labelDeadline != nil && label == nil }

    public init(index: Int, temperature: Double, steps: Int, success: Bool, reward: Double, interruption: AttemptInterruption?,
                checkpoint: String?, progress: Double? = nil, intervenedSteps: Int = 0, interventionsPastLimits: Int = 0) {
        self.index = index; self.temperature = temperature; self.steps = steps; self.success = success
        self.reward = reward; self.interruption = interruption; self.checkpoint = checkpoint; self.progress = progress
        self.intervenedSteps = intervenedSteps; self.interventionsPastLimits = interventionsPastLimits
    }

    /// A person drove at least one step: not the policy's own attempt (the checkpoint gate leaves its success out).
    public var wasIntervened: Bool { intervenedSteps > 0 }

    /// The interruption as recorded (`safety_abort: ...`, `hardware_fault: ...`, `estop`, `cancelled`), or nil.
    public var abortReason: String? { interruption?.description }

    /// A hardware fault ended it: the robot failed, not the policy.
    public var isHardwareFault: Bool { if case .aborted(.hardwareFault) = interruption { true } else { false } }

    /// The safety envelope ended it.
    public var isSafetyAbort: Bool { if case .aborted(.safety) = interruption { true } else { false } }
}

/// What the update after a task's attempts came to: none (and why), or the trainer's report with
/// the checkpoint it started from and the candidate it wrote. The numbers live in `UpdateReport`
/// only; the helpers below read them, never copy them.
public enum UpdateSummary: Sendable, Equatable {
    /// No update: "no reward variance in the group", "adaptation paused", "adapt is off for this task", ...
    case skipped(reason: String)
    /// The trainer ran from `parent` (nil offline, where no checkpoint exists); `candidate` is the
    /// checkpoint written when the update was accepted and kept.
    case ran(report: UpdateReport, parent: String?, candidate: String?)

    /// Whether an update was attempted at all.
    public var attempted: Bool { report != nil }
    /// Why there was no update, or nil when one ran.
    public var skipReason: String? { if case .skipped(let reason) = self { reason } else { nil } }
    /// The trainer's report, or nil when skipped.
    public var report: UpdateReport? { if case .ran(let report, _, _) = self { report } else { nil } }
    /// Whether an update ran and its new parameters were kept.
    public var accepted: Bool { report?.accepted ?? false }
    /// The checkpoint updated from (nil when skipped or offline).
    public var parent: String? { if case .ran(_, let parent, _) = self { parent } else { nil } }
    /// The candidate written (accepted updates only).
    public var candidate: String? { if case .ran(_, _, let candidate) = self { candidate } else { nil } }
}

/// A change in the checkpoint lifecycle.
public struct CheckpointEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A candidate passed the gate and is now the last good checkpoint.
        case promoted
        /// The live policy went back to the last good checkpoint (or one a person named).
        case rollback
        /// A candidate was written and is being evaluated.
        case candidate
        /// A checkpoint could not be used (damaged file, failed load) and was skipped.
        case skipped
        /// A checkpoint file from outside (`import`) became the live, good and reference one;
        /// the reason carries its provenance (file name, SHA-256, who, the file's own id and robot).
        case imported
    }
    public var kind: Kind
    /// The robot whose lineage it is.
    public var robot: String
    public var checkpoint: String?
    /// The checkpoint that was live before (rollback, promotion's previous good, candidate's parent).
    public var from: String?
    public var reason: String

    public init(kind: Kind, robot: String, checkpoint: String?, from: String?, reason: String) {
        self.kind = kind; self.robot = robot; self.checkpoint = checkpoint; self.from = from; self.reason = reason
    }
}

/// What a whole task came to.
public struct TaskOutcome: Sendable, Equatable {
    public var checkpoint: String?
    public var attempts: [AttemptReport]
    public var update: UpdateSummary
    public var cancelled: Bool

    public var successRate: Double { attempts.isEmpty ? 0 : Double(attempts.filter(\.success).count) / Double(attempts.count) }
    public var meanReward: Double { attempts.isEmpty ? 0 : attempts.map(\.reward).reduce(0, +) / Double(attempts.count) }

    public init(checkpoint: String?, attempts: [AttemptReport], update: UpdateSummary, cancelled: Bool) {
        self.checkpoint = checkpoint; self.attempts = attempts; self.update = update; self.cancelled = cancelled
    }
}

/// A summary of one checkpoint for `ttactl checkpoints`.
public struct CheckpointSummary: Sendable, Equatable {
    public var id: String
    public var robot: String
    public var parent: String?
    public var createdAt: Double
    public var state: CheckpointState
    public var isLive: Bool
    public var metrics: [String: Double]

    public init(id: String, robot: String, parent: String?, createdAt: Double, state: CheckpointState, isLive: Bool, metrics: [String: Double]) {
        self.id = id; self.robot = robot; self.parent = parent; self.createdAt = createdAt; self.state = state
        self.isLive = isLive; self.metrics = metrics
    }
}
