import Adaptation
import History
import Learning

// Adaptation's reports become history rows here and nowhere else (History cannot import
// Learning or Adaptation, so the mapping lives in the Daemon, the one module that sees both).

extension UpdateRow {
    /// The row for an update that ran; nil for a skipped one (the history keeps updates that ran).
    init?(summary: UpdateSummary, taskId: String, at: Double) {
        guard case .ran(let report, let parent, let candidate) = summary else { return nil }
        self.init(taskId: taskId, parent: parent, candidate: candidate, accepted: report.accepted, refusal: report.refusal,
                  policyLoss: report.policyLoss, approxKL: report.approxKL, clipFraction: report.clipFraction,
                  gradNorm: report.gradNorm, entropy: report.entropy, epochs: report.epochs, seconds: report.seconds,
                  createdAt: at, learningRate: report.learningRate, klToReference: report.klToReference,
                  earlyStopped: report.earlyStopped, samples: report.samples)
    }
}

extension AttemptRow {
    /// The row for one attempt of task `taskId`, finished at `at`.
    init(report: AttemptReport, taskId: String, at: Double) {
        self.init(taskId: taskId, attemptIndex: report.index, temperature: report.temperature, steps: report.steps,
                  success: report.success, reward: report.reward, abortReason: report.abortReason,
                  checkpoint: report.checkpoint, finishedAt: at)
    }
}
