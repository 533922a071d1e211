/// `submit`'s result: the task was recorded and queued.
public struct SubmitResult: Codable, Sendable, Equatable {
    public var taskId: String
    /// Tasks ahead of this one in the queue (0: next).
    public var position: Int
    /// The plan as the daemon filled it in (defaults applied).
    public var attempts: Int
    public var temperatures: [Double]
    public var rewardMode: String
    public var adapt: Bool
    public init(taskId: String, position: Int, attempts: Int, temperatures: [Double], rewardMode: String, adapt: Bool) {
        self.taskId = taskId; self.position = position; self.attempts = attempts; self.temperatures = temperatures
        self.rewardMode = rewardMode; self.adapt = adapt
    }
}

/// One attempt of a task, as `task` and `history` report it (the daemon makes it from the
/// history's row, the one place an attempt's wire copy is made).
public struct AttemptInfo: Codable, Sendable, Equatable {
    public var index: Int
    public var temperature: Double
    public var steps: Int
    public var success: Bool
    public var reward: Double
    /// `safety_abort: ...`, `hardware_fault: ...`, `estop`, `cancelled`; absent when it ran to its end.
    public var abortReason: String?
    /// The checkpoint whose policy acted.
    public var checkpoint: String?
    /// Steps a person drove (bridge interventions); absent when none.
    public var intervenedSteps: Int?
    /// Intervened steps whose executed action the safety envelope would have clamped; absent when none.
    public var interventionsPastLimits: Int?
    /// Operator-judged attempts only (`success_judged_by: operator`; absent otherwise): `pending`
    /// (awaiting a label before its deadline), `success` or `failure` (labelled in time), or
    /// `unlabelled` (no label by the deadline; a late one shows in `label`).
    public var outcome: String?
    /// When its label stops counting (seconds since 1970).
    public var labelDeadline: Double?
    /// The label a person gave (`success`/`failure`), when, by whom, and whether it was late (not used).
    public var label: String?
    public var labelledAt: Double?
    public var labelledBy: String?
    public var labelLate: Bool?
    public init(index: Int, temperature: Double, steps: Int, success: Bool, reward: Double, abortReason: String?, checkpoint: String?) {
        self.index = index; self.temperature = temperature; self.steps = steps; self.success = success
        self.reward = reward; self.abortReason = abortReason; self.checkpoint = checkpoint
    }
}

/// The update after a task's attempts, as `task`, `history` and the `update_finished` event report
/// it: every number the trainer reports (docs/learning.md), or `skipped` with zeros when none ran.
public struct UpdateInfo: Codable, Sendable, Equatable {
    public var accepted: Bool
    public var refusal: String?
    /// Why no update ran (events only: the history keeps updates that ran).
    public var skipped: String?
    public var policyLoss: Double
    /// Final approx-KL to the behaviour policy (`approx_kl`).
    public var approxKL: Double
    public var clipFraction: Double
    public var gradNorm: Double
    public var entropy: Double
    /// Mean k3 KL to the reference policy (absent from older daemons and older rows).
    public var klToReference: Double?
    public var epochs: Int
    /// Steps in the update (absent from older daemons and older rows).
    public var samples: Int?
    /// Whether approx-KL passed `target_kl` and the update stopped early (absent from older daemons and rows).
    public var earlyStopped: Bool?
    public var seconds: Double
    public var parent: String?
    public var candidate: String?
    /// The learning rate the update used (the adaptive rate moves it; absent when unknown).
    public var learningRate: Double?
    /// Steps a person drove that the update cloned: its attempts' intervened steps plus the
    /// stored demonstrations' (absent when none, from older daemons and older rows).
    public var interventionSamples: Int?
    /// Of those, steps of stored demonstrations (absent when none, from older daemons and older rows).
    public var demonstrationSamples: Int?
    /// Tries refused for their KL before this one, each at the rate / 1.5 (`kl_refusal_retries`;
    /// absent when the first try counted, from older daemons and older rows).
    public var klRetries: Int?
    /// The cloning phase after the update (docs/learning.md "The cloning phase"): its Adam steps,
    /// the person's steps it drew from, its last minibatch's clone_loss, and why its changes were
    /// put back if they were (absent without one, from older daemons and older rows).
    public var cloneSteps: Int?
    public var cloneSamples: Int?
    public var cloneLoss: Double?
    public var cloneRefusal: String?
    /// Steps of earlier groups the update reused (`replay_groups`; absent when none, from older
    /// daemons and older rows).
    public var replaySamples: Int?

    public init(accepted: Bool, refusal: String?, skipped: String?, policyLoss: Double, approxKL: Double, clipFraction: Double,
                gradNorm: Double, entropy: Double, epochs: Int, seconds: Double, parent: String?, candidate: String?,
                learningRate: Double? = nil, klToReference: Double? = nil, samples: Int? = nil, earlyStopped: Bool? = nil) {
        self.accepted = accepted; self.refusal = refusal; self.skipped = skipped; self.policyLoss = policyLoss
        self.approxKL = approxKL; self.clipFraction = clipFraction; self.gradNorm = gradNorm; self.entropy = entropy
        self.epochs = epochs; self.seconds = seconds; self.parent = parent; self.candidate = candidate
        self.learningRate = learningRate; self.klToReference = klToReference; self.samples = samples; self.earlyStopped = earlyStopped
    }

    /// No update ran, and why.
    public static func skipped(_ reason: String) -> UpdateInfo {
        UpdateInfo(accepted: false, refusal: nil, skipped: reason, policyLoss: 0, approxKL: 0, clipFraction: 0, gradNorm: 0,
                   entropy: 0, epochs: 0, seconds: 0, parent: nil, candidate: nil)
    }

    // The wire's snake_case strategy turns `approx_kl` back into `approxKl`, so that is the key's
    // name here; the JSON says `approx_kl` either way.
    enum CodingKeys: String, CodingKey {
        case accepted, refusal, skipped, policyLoss, clipFraction, gradNorm, entropy, klToReference, epochs, samples
        case earlyStopped, seconds, parent, candidate, learningRate, interventionSamples, demonstrationSamples, klRetries
        case cloneSteps, cloneSamples, cloneLoss, cloneRefusal, replaySamples
        case approxKL = "approxKl"
    }
}

/// A checkpoint event a task caused: a candidate written, a promotion to good, a rollback.
public struct CheckpointEventInfo: Codable, Sendable, Equatable {
    /// `candidate`, `promoted`, `rollback` or `skipped`.
    public var kind: String
    /// The checkpoint the event is about (for a rollback: the one now live).
    public var checkpoint: String?
    /// The checkpoint that was live before (rollback, promotion).
    public var fromCheckpoint: String?
    /// Why, in words (the gate's verdict, the refusal, ...).
    public var reason: String
    /// Unix seconds.
    public var at: Double
    /// The robot whose lineage it is (absent from older daemons and older rows).
    public var robot: String?
    public init(kind: String, checkpoint: String?, fromCheckpoint: String?, reason: String, at: Double, robot: String? = nil) {
        self.kind = kind; self.checkpoint = checkpoint; self.fromCheckpoint = fromCheckpoint; self.reason = reason; self.at = at
        self.robot = robot
    }
}

/// A task with its attempts: `task`'s result and each entry of `history`.
public struct TaskInfo: Codable, Sendable, Equatable {
    public var taskId: String
    public var robot: String
    public var task: String
    /// queued, running, done, failed, cancelled, interrupted.
    public var state: String
    public var detail: String?
    public var params: [String: Double]
    public var dynamics: [String: Double]
    public var temperatureBase: Double
    public var temperatureRange: Double
    public var rewardMode: String
    public var adapt: Bool
    public var priority: Int
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var checkpoint: String?
    public var candidate: String?
    public var successRate: Double?
    public var meanReward: Double?
    public var attempts: [AttemptInfo]
    public var updates: [UpdateInfo]
    /// The checkpoint events this task caused, in order (absent from older daemons).
    public var checkpointEvents: [CheckpointEventInfo]?
    /// `training` (a submit) or `evaluation` (an `evaluate`: attempt k is evaluation task k, at
    /// T=0, and there is never an update). Absent from older daemons: training.
    public var kind: String?
    public init(taskId: String, robot: String, task: String, state: String, detail: String?, params: [String: Double],
                dynamics: [String: Double], temperatureBase: Double, temperatureRange: Double, rewardMode: String, adapt: Bool,
                priority: Int, submittedAt: Double, startedAt: Double?, finishedAt: Double?, checkpoint: String?,
                candidate: String?, successRate: Double?, meanReward: Double?, attempts: [AttemptInfo], updates: [UpdateInfo],
                checkpointEvents: [CheckpointEventInfo]? = nil, kind: String? = nil) {
        self.kind = kind
        self.taskId = taskId; self.robot = robot; self.task = task; self.state = state; self.detail = detail
        self.params = params; self.dynamics = dynamics; self.temperatureBase = temperatureBase
        self.temperatureRange = temperatureRange; self.rewardMode = rewardMode; self.adapt = adapt; self.priority = priority
        self.submittedAt = submittedAt; self.startedAt = startedAt; self.finishedAt = finishedAt; self.checkpoint = checkpoint
        self.candidate = candidate; self.successRate = successRate; self.meanReward = meanReward; self.attempts = attempts
        self.updates = updates; self.checkpointEvents = checkpointEvents
    }
}

/// `history`'s result, newest first: one page.
public struct HistoryResult: Codable, Sendable, Equatable {
    /// The most JSON a reply's `tasks` carry (1 MiB): a page that would pass it ends early, with
    /// `next_cursor` set (a single task larger than this still comes, alone).
    public static let maxReplyBytes = 1 << 20

    public var tasks: [TaskInfo]
    /// Present when older matching tasks follow: send it back as `cursor` for the next page.
    public var nextCursor: String?
    /// Checkpoint events no task caused (a person's rollback, a start-up fallback), newest first,
    /// at most `maxUntaskedEvents`, filtered by the query's robot and time window: on the first
    /// page only (a request without a cursor).
    public var untaskedEvents: [CheckpointEventInfo]?
    /// The most `untasked_events` one reply carries.
    public static let maxUntaskedEvents = 1000
    public init(tasks: [TaskInfo], nextCursor: String? = nil, untaskedEvents: [CheckpointEventInfo]? = nil) {
        self.tasks = tasks; self.nextCursor = nextCursor; self.untaskedEvents = untaskedEvents
    }

    /// What `task` adds to a reply's `tasks` (its JSON and a comma), as counted against `maxReplyBytes`.
    public static func encodedSize(of task: TaskInfo) -> Int {
        ((try? WireCoding.sharedEncoder.encode(task))?.count ?? 0) + 1
    }

    /// The size of `tasks` as counted against `maxReplyBytes` (the brackets included).
    public var encodedTasksSize: Int { tasks.reduce(2) { $0 + Self.encodedSize(of: $1) } }
}

/// One checkpoint in `checkpoints`' result.
public struct CheckpointEntry: Codable, Sendable, Equatable {
    public var id: String
    public var robot: String
    public var parent: String?
    public var createdAt: Double
    /// `good`, `reference`, `was good`, `candidate` or `damaged` (docs/wire-protocol.md).
    public var state: String
    public var live: Bool
    public var metrics: [String: Double]
    public init(id: String, robot: String, parent: String?, createdAt: Double, state: String, live: Bool, metrics: [String: Double]) {
        self.id = id; self.robot = robot; self.parent = parent; self.createdAt = createdAt; self.state = state
        self.live = live; self.metrics = metrics
    }
}

/// `checkpoints`' result.
public struct CheckpointsResult: Codable, Sendable, Equatable {
    public var live: String?
    public var lastGood: String?
    public var checkpoints: [CheckpointEntry]
    public init(live: String?, lastGood: String?, checkpoints: [CheckpointEntry]) {
        self.live = live; self.lastGood = lastGood; self.checkpoints = checkpoints
    }
}

/// The result of `rollback`, `pause`, `resume`, `reload`, `estop`, `cancel`: what is true now.
public struct AckResult: Codable, Sendable, Equatable {
    public var message: String
    public var checkpoint: String?
    public var adapting: Bool?
    public init(message: String, checkpoint: String? = nil, adapting: Bool? = nil) {
        self.message = message; self.checkpoint = checkpoint; self.adapting = adapting
    }
}
