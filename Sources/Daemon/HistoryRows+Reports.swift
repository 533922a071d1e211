import Adaptation
import Foundation
import History
import Learning

// Adaptation's plans and reports become history rows here and nowhere else (History cannot import
// Learning or Adaptation, so the mapping lives in the Daemon, the one module that sees both).

extension UpdateRow {
    /// The row for an update that ran; nil for a skipped one (the history keeps updates that ran).
    init?(summary: UpdateSummary, taskId: String, at: Double) {
        guard case .ran(let report, let parent, let candidate) = summary else { return nil }
        self.init(taskId: taskId, parent: parent, candidate: candidate, accepted: report.accepted, refusal: report.refusal,
                  policyLoss: report.policyLoss, approxKL: report.approxKL, clipFraction: report.clipFraction,
                  gradNorm: report.gradNorm, entropy: report.entropy, epochs: report.epochs, seconds: report.seconds,
                  createdAt: at, learningRate: report.learningRate, klToReference: report.klToReference,
                  earlyStopped: report.earlyStopped, samples: report.samples,
                  interventionSamples: report.interventionSamples, demonstrationSamples: report.demonstrationSamples,
                  klRetries: report.klRetries)
        cloneSteps = report.cloneSteps; cloneSamples = report.cloneSamples
        cloneLoss = report.cloneLoss; cloneRefusal = report.cloneRefusal
        replaySamples = report.replaySamples
    }
}

extension AttemptRow {
    /// The row for one attempt of task `taskId`, finished at `at`.
    init(report: AttemptReport, taskId: String, at: Double) {
        self.init(taskId: taskId, attemptIndex: report.index, temperature: report.temperature, steps: report.steps,
                  success: report.success, reward: report.reward, abortReason: report.abortReason,
                  checkpoint: report.checkpoint, finishedAt: at, intervenedSteps: report.intervenedSteps,
                  interventionsPastLimits: report.interventionsPastLimits)
        judgedBy = report.judgedByOperator ? "operator" : nil
        labelDeadline = report.labelDeadline
    }
}

extension TaskRow {
    /// The queued row for a task just submitted: its plan, with params and dynamics as JSON objects.
    init(plan: TaskPlan, submittedAt: Double) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.init(id: plan.id, robot: plan.robot, task: plan.task,
                  paramsJSON: String(decoding: try encoder.encode(plan.params), as: UTF8.self),
                  dynamicsJSON: String(decoding: try encoder.encode(plan.dynamics), as: UTF8.self),
                  attempts: plan.attempts, temperatureBase: plan.temperatureBase, temperatureRange: plan.temperatureRange,
                  rewardMode: plan.rewardMode.rawValue, adapt: plan.adapt, priority: plan.priority, seed: Int64(bitPattern: plan.seed),
                  state: .queued, submittedAt: submittedAt, kind: plan.kind)
    }
}
