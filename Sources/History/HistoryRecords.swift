import Foundation
import GRDB

/// Where a task is in its life: queued -> running -> done | failed | cancelled, or `interrupted`
/// when the daemon stopped (or died) before finishing it. The raw values are what the history
/// stores and the wire shows.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled, interrupted

    /// True once the task has ended, whichever way.
    public var isFinal: Bool { self != .queued && self != .running }
}

/// A task as the history keeps it.
public struct TaskRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tasks"

    public var id: String
    public var robot: String
    public var task: String
    /// JSON objects of the request's params and dynamics shifts.
    public var paramsJSON: String
    public var dynamicsJSON: String
    public var attempts: Int
    public var temperatureBase: Double
    public var temperatureRange: Double
    public var rewardMode: String
    public var adapt: Bool
    public var priority: Int
    public var seed: Int64
    public var state: TaskState
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Why a task failed or was cancelled, for people.
    public var detail: String?
    /// The checkpoint the attempts ran, and the candidate the update produced (if any).
    public var checkpoint: String?
    public var candidate: String?
    public var successRate: Double?
    public var meanReward: Double?
    /// `training` (a submit) or `evaluation` (K greedy single attempts, `seed` the evaluation
    /// set's seed, never an update); rows from before the column are training.
    public var kind: String = TaskRow.training

    /// The `kind` of a submitted task and of an evaluation.
    public static let training = "training", evaluation = "evaluation"

    public init(id: String, robot: String, task: String, paramsJSON: String, dynamicsJSON: String, attempts: Int,
                temperatureBase: Double, temperatureRange: Double, rewardMode: String, adapt: Bool, priority: Int,
                seed: Int64, state: TaskState, submittedAt: Double, kind: String = TaskRow.training) {
        self.kind = kind
        self.id = id; self.robot = robot; self.task = task; self.paramsJSON = paramsJSON; self.dynamicsJSON = dynamicsJSON
        self.attempts = attempts; self.temperatureBase = temperatureBase; self.temperatureRange = temperatureRange
        self.rewardMode = rewardMode; self.adapt = adapt; self.priority = priority; self.seed = seed
        self.state = state; self.submittedAt = submittedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, robot, task, attempts, adapt, priority, seed, state, detail, checkpoint, candidate, kind
        case paramsJSON = "params_json", dynamicsJSON = "dynamics_json"
        case temperatureBase = "temperature_base", temperatureRange = "temperature_range", rewardMode = "reward_mode"
        case submittedAt = "submitted_at", startedAt = "started_at", finishedAt = "finished_at"
        case successRate = "success_rate", meanReward = "mean_reward"
    }
}

/// One attempt of a task.
public struct AttemptRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attempts"

    public var taskId: String
    public var attemptIndex: Int
    public var temperature: Double
    public var steps: Int
    public var success: Bool
    public var reward: Double
    /// `safety_abort: ...`, `hardware_fault: ...`, `estop`, `cancelled`, or nil when it ran to its end.
    public var abortReason: String?
    public var checkpoint: String?
    public var finishedAt: Double
    /// Steps a person drove (bridge interventions); nil in rows recorded before it was kept.
    public var intervenedSteps: Int?
    /// Of those, steps whose executed action the safety envelope would have clamped; nil in older rows.
    public var interventionsPastLimits: Int?
    /// `operator` when a person judges its success (`success_judged_by`), nil when the robot does (v8).
    public var judgedBy: String?
    /// When its label stops counting (operator-judged attempts that awaited one).
    public var labelDeadline: Double?
    /// A person's label, `success` or `failure`, with when, by whom, and whether it came after the
    /// update had gone on without it (`label_late`: kept, not used).
    public var label: String?
    public var labelledAt: Double?
    public var labelledBy: String?
    public var labelLate: Bool?

    public init(taskId: String, attemptIndex: Int, temperature: Double, steps: Int, success: Bool, reward: Double,
                abortReason: String?, checkpoint: String?, finishedAt: Double,
                intervenedSteps: Int? = nil, interventionsPastLimits: Int? = nil) {
        self.taskId = taskId; self.attemptIndex = attemptIndex; self.temperature = temperature; self.steps = steps
        self.success = success; self.reward = reward; self.abortReason = abortReason; self.checkpoint = checkpoint
        self.finishedAt = finishedAt
        self.intervenedSteps = intervenedSteps; self.interventionsPastLimits = interventionsPastLimits
    }

    enum CodingKeys: String, CodingKey {
        case steps, success, reward, checkpoint, temperature
        case taskId = "task_id", attemptIndex = "attempt_index", abortReason = "abort_reason", finishedAt = "finished_at"
        case intervenedSteps = "intervened_steps", interventionsPastLimits = "interventions_past_limits"
        case judgedBy = "judged_by", labelDeadline = "label_deadline", label, labelledAt = "labelled_at"
        case labelledBy = "labelled_by", labelLate = "label_late"
    }
}

/// One PPO update (accepted or refused): the trainer's `UpdateReport` as a table row (History
/// cannot import Learning; the Daemon maps a report to a row in one place).
public struct UpdateRow: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "updates"

    public var id: Int64?
    public var taskId: String
    /// The checkpoint updated from, and the candidate written (accepted updates only).
    public var parent: String?
    public var candidate: String?
    // The trainer's numbers, one column each under UpdateReport's names; docs/learning.md ("What
    // an update reports") says what each means.
    public var accepted: Bool
    public var refusal: String?
    public var policyLoss: Double
    public var approxKL: Double
    public var clipFraction: Double
    public var gradNorm: Double
    public var entropy: Double
    public var epochs: Int
    public var seconds: Double
    /// Nil in rows written before the column existed (v2).
    public var learningRate: Double?
    /// Nil in rows written before these columns existed (v5).
    public var klToReference: Double?
    public var earlyStopped: Bool?
    public var samples: Int?
    /// Steps a person drove that the update cloned (its attempts' intervened steps and the stored
    /// demonstrations' steps), and the demonstrations' share of them; nil when none, and in rows
    /// written before these columns existed (v9).
    public var interventionSamples: Int?
    public var demonstrationSamples: Int?
    /// Tries refused for their KL before this one (`kl_refusal_retries`); nil when the first try
    /// counted, and in rows written before the column existed (v10).
    public var klRetries: Int?
    /// The cloning phase after the update: Adam steps, the person's steps drawn from, the last
    /// minibatch's clone_loss, why its changes were put back; nil without one, and in rows written
    /// before these columns existed (v11).
    public var cloneSteps: Int?
    public var cloneSamples: Int?
    public var cloneLoss: Double?
    public var cloneRefusal: String?
    /// Steps of earlier groups the update reused (`replay_groups`); nil when none, and in rows
    /// written before the column existed (v12).
    public var replaySamples: Int?
    /// Unix seconds.
    public var createdAt: Double

    public init(taskId: String, parent: String?, candidate: String?, accepted: Bool, refusal: String?, policyLoss: Double,
                approxKL: Double, clipFraction: Double, gradNorm: Double, entropy: Double, epochs: Int, seconds: Double, createdAt: Double,
                learningRate: Double? = nil, klToReference: Double? = nil, earlyStopped: Bool? = nil, samples: Int? = nil,
                interventionSamples: Int? = nil, demonstrationSamples: Int? = nil, klRetries: Int? = nil) {
        self.taskId = taskId; self.parent = parent; self.candidate = candidate; self.accepted = accepted; self.refusal = refusal
        self.policyLoss = policyLoss; self.approxKL = approxKL; self.clipFraction = clipFraction; self.gradNorm = gradNorm
        self.entropy = entropy; self.epochs = epochs; self.seconds = seconds; self.createdAt = createdAt
        self.learningRate = learningRate; self.klToReference = klToReference; self.earlyStopped = earlyStopped; self.samples = samples
        self.interventionSamples = interventionSamples; self.demonstrationSamples = demonstrationSamples
        self.klRetries = klRetries
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    enum CodingKeys: String, CodingKey {
        case id, parent, candidate, accepted, refusal, entropy, epochs, seconds, samples
        case taskId = "task_id", policyLoss = "policy_loss", approxKL = "approx_kl", clipFraction = "clip_fraction"
        case gradNorm = "grad_norm", createdAt = "created_at", learningRate = "learning_rate"
        case klToReference = "kl_to_reference", earlyStopped = "early_stopped"
        case interventionSamples = "intervention_samples", demonstrationSamples = "demonstration_samples"
        case klRetries = "kl_retries"
        case cloneSteps = "clone_steps", cloneSamples = "clone_samples", cloneLoss = "clone_loss", cloneRefusal = "clone_refusal"
        case replaySamples = "replay_samples"
    }
}

/// A checkpoint lifecycle event: `candidate` (written, being judged), `promoted` (became good),
/// `rollback` (back to the last good, or to one a person named), `skipped` (could not be used).
public struct CheckpointEventRow: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "checkpoint_events"

    public var id: Int64?
    public var kind: String
    /// The robot whose lineage it is (nil in rows written before it was recorded).
    public var robot: String?
    public var checkpoint: String?
    public var fromCheckpoint: String?
    public var reason: String
    public var taskId: String?
    public var at: Double

    public init(kind: String, robot: String?, checkpoint: String?, fromCheckpoint: String?, reason: String, taskId: String?, at: Double) {
        self.kind = kind; self.robot = robot; self.checkpoint = checkpoint; self.fromCheckpoint = fromCheckpoint; self.reason = reason
        self.taskId = taskId; self.at = at
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    enum CodingKeys: String, CodingKey {
        case id, kind, robot, checkpoint, reason, at
        case fromCheckpoint = "from_checkpoint", taskId = "task_id"
    }
}
