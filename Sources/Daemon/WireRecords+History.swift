import Foundation
import History
import Wire

// History rows become wire copies here and nowhere else: `task` and `history` replies and the
// events built from a recorded row all read the same mapping, so they cannot drift.

extension UpdateInfo {
    /// The wire copy of a recorded update.
    init(_ row: UpdateRow) {
        self.init(accepted: row.accepted, refusal: row.refusal, skipped: nil, policyLoss: row.policyLoss, approxKL: row.approxKL,
                  clipFraction: row.clipFraction, gradNorm: row.gradNorm, entropy: row.entropy, epochs: row.epochs,
                  seconds: row.seconds, parent: row.parent, candidate: row.candidate, learningRate: row.learningRate,
                  klToReference: row.klToReference, samples: row.samples, earlyStopped: row.earlyStopped)
        interventionSamples = row.interventionSamples
        demonstrationSamples = row.demonstrationSamples
        klRetries = row.klRetries
        cloneSteps = row.cloneSteps; cloneSamples = row.cloneSamples
        cloneLoss = row.cloneLoss; cloneRefusal = row.cloneRefusal
        replaySamples = row.replaySamples
    }
}

extension AttemptInfo {
    /// The wire copy of a recorded attempt.
    init(_ row: AttemptRow) {
        self.init(index: row.attemptIndex, temperature: row.temperature, steps: row.steps, success: row.success,
                  reward: row.reward, abortReason: row.abortReason, checkpoint: row.checkpoint)
        // Absent when none, so an attempt without interventions reads as it always has.
        intervenedSteps = row.intervenedSteps.flatMap { $0 > 0 ? $0 : nil }
        interventionsPastLimits = row.interventionsPastLimits.flatMap { $0 > 0 ? $0 : nil }
        if row.judgedBy == "operator", row.abortReason == nil {
            labelDeadline = row.labelDeadline
            label = row.label; labelledAt = row.labelledAt; labelledBy = row.labelledBy; labelLate = row.labelLate
            outcome = Self.outcome(row, now: Date().timeIntervalSince1970)
        }
    }

    /// An operator-judged attempt's outcome: its label when given in time, else `pending` until
    /// its deadline and `unlabelled` after.
    static func outcome(_ row: AttemptRow, now: Double) -> String {
        if let label = row.label, row.labelLate != true { return label }
        if row.label == nil, let deadline = row.labelDeadline, now < deadline { return "pending" }
        return "unlabelled"
    }
}

extension CheckpointEventInfo {
    /// The wire copy of a recorded checkpoint event.
    init(_ row: CheckpointEventRow) {
        self.init(kind: row.kind, checkpoint: row.checkpoint, fromCheckpoint: row.fromCheckpoint, reason: row.reason, at: row.at,
                  robot: row.robot)
    }
}

extension TaskInfo {
    /// The wire copy of a recorded task with its attempts, updates and checkpoint events.
    init(_ row: TaskRow, attempts: [AttemptRow], updates: [UpdateRow], checkpointEvents: [CheckpointEventRow]) {
        let decoder = JSONDecoder()
        self.init(
            taskId: row.id, robot: row.robot, task: row.task, state: row.state.rawValue, detail: row.detail,
            params: (try? decoder.decode([String: Double].self, from: Data(row.paramsJSON.utf8))) ?? [:],
            dynamics: (try? decoder.decode([String: Double].self, from: Data(row.dynamicsJSON.utf8))) ?? [:],
            temperatureBase: row.temperatureBase, temperatureRange: row.temperatureRange, rewardMode: row.rewardMode,
            adapt: row.adapt, priority: row.priority, submittedAt: row.submittedAt, startedAt: row.startedAt,
            finishedAt: row.finishedAt, checkpoint: row.checkpoint, candidate: row.candidate, successRate: row.successRate,
            meanReward: row.meanReward, attempts: attempts.map(AttemptInfo.init), updates: updates.map(UpdateInfo.init),
            checkpointEvents: checkpointEvents.map(CheckpointEventInfo.init), kind: row.kind)
    }
}
