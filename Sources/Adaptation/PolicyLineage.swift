import Checkpoints
import Foundation
import Learning
import Policy

/// One robot's policy over time: the live policy and its trainer, the reference it started from,
/// the checkpoints on disk, the last good one, and the gate that decides between them.
final class PolicyLineage {
    var profile: RobotProfile
    let store: CheckpointStore
    private(set) var trainer: PPOTrainer
    let reference: Policy
    let referenceId: String
    /// The checkpoint the live policy was loaded from or saved as.
    private(set) var live: String
    var gate: CheckpointGate
    /// Bumped on every rollback, so a task that started before one does not update the new policy.
    private(set) var generation = 0
    var consecutiveHardwareFaults = 0
    /// The adaptive-temperature shift added to T_0 (0 unless `adaptive_temperature` is on).
    var temperatureShift = 0.0
    /// Said once at start-up when the pointed-to good checkpoint could not be used.
    private(set) var startupFallback: String?

    /// Opens the robot's checkpoint folder and loads its last good checkpoint, or starts the
    /// lineage from `initial` (a shipped starting checkpoint) or from a freshly initialised policy.
    init(profile: RobotProfile, directory: String, initial: (policy: Policy, source: String)?) throws {
        self.profile = profile
        store = try CheckpointStore(directory: directory)
        let settings = profile.settings
        gate = CheckpointGate(minAttempts: settings.gateMinAttempts, margin: settings.gateMargin,
                              window: settings.gateWindow, safetyAbortMargin: settings.safetyAbortMargin)
        let policy: Policy
        let optimizer: [NamedTensor]
        if store.lastGood != nil || !store.list().isEmpty {
            let loaded = try store.loadLastGoodReporting()
            guard loaded.policy.config == profile.policy else {
                throw AdaptationError(.invalid, field: "\(profile.config.path): policy",
                                      "the checkpoints in \(directory) were made for another policy shape; move them away to start over")
            }
            policy = loaded.policy
            optimizer = loaded.optimizer
            live = loaded.info.id
            if !loaded.skipped.isEmpty {
                startupFallback = "good checkpoint(s) could not be used: "
                    + loaded.skipped.map { "\($0.id) (\($0.reason))" }.joined(separator: "; ")
                    + "; fell back to \(loaded.info.id)"
            }
        } else {
            let start = initial?.policy ?? Policy(config: profile.policy, seed: settings.initSeed)
            guard start.config == profile.policy else {
                throw AdaptationError(.invalid, field: "\(profile.config.path): policy", "the shipped starting checkpoint has another policy shape")
            }
            let info = try store.save(policy: start, optimizer: [], metadata: Self.metadata(
                policy: start, robot: profile.config.name, parent: nil, step: 0,
                metrics: [:], note: initial.map { "from \($0.source)" } ?? "fresh initialisation, seed \(settings.initSeed)"))
            try store.markGood(id: info.id)
            try store.markReference(id: info.id)
            policy = start
            optimizer = []
            live = info.id
        }
        referenceId = store.reference ?? live
        reference = (try? store.load(id: referenceId).policy) ?? policy.copy()
        trainer = PPOTrainer(policy: policy, reference: reference, config: profile.learning)
        trainer.debugLearningRateMultiplier = settings.debugLearningRateMultiplier
        if !optimizer.isEmpty { try? trainer.loadOptimizer(optimizer) }
    }

    var lastGood: String? { store.lastGood }
    var policy: Policy { trainer.policy }

    /// Saves the trainer's policy (after an accepted update) as a new candidate; it becomes live.
    func saveCandidate(metrics: [String: Double]) throws -> String {
        let info = try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: Self.metadata(
            policy: trainer.policy, robot: profile.config.name, parent: live, step: trainer.optimizerStep, metrics: metrics, note: nil))
        live = info.id
        _ = try? store.prune(keepRecent: profile.settings.keepRecent, protect: [live, referenceId])
        return info.id
    }

    /// Makes `id` (or the last good one) the live policy, with a fresh optimizer. Returns its id.
    func load(_ id: String?) throws -> String {
        let loaded = try id.map { try store.load(id: $0) } ?? store.loadLastGood()
        // The adapted step size carries over: it reflects how spread the policy is, not which checkpoint.
        let learningRate = trainer.learningRate
        trainer = PPOTrainer(policy: loaded.policy, reference: reference, config: profile.learning)
        trainer.learningRate = learningRate
        trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
        trainer.resetOptimizer()
        live = loaded.info.id
        generation += 1
        return live
    }

    /// The live checkpoint passed the gate.
    func promoteLive() throws {
        try store.markGood(id: live)
        gate.promoted()
    }

    /// New hyperparameters after a reload (the policy's shape must not change).
    func apply(_ profile: RobotProfile) throws {
        guard profile.policy == self.profile.policy else {
            throw AdaptationError(.invalid, field: "\(profile.config.path): policy",
                                  "the policy's shape changed; restart the daemon to start a new lineage")
        }
        self.profile = profile
        trainer.config = profile.learning
        trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
    }

    static func metadata(policy: Policy, robot: String, parent: String?, step: Int, metrics: [String: Double], note: String?) -> CheckpointMetadata {
        CheckpointMetadata(architecture: policy.config, robot: robot, parent: parent, metrics: metrics, step: step,
                           notes: note.map { ["origin": $0] } ?? [:])
    }
}
