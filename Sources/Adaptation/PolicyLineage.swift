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

    /// Held while the trainer's weights change or are read for a file (the PPO update, the
    /// candidate's write) and by whoever else touches the trainer in place. The engine's own lock
    /// is not held then, so `status`, `estop` and `rollback` never wait for an update.
    let training = NSLock()
    /// The learning rate a fresh trainer carries over after a rollback: the trainer's, as of the
    /// last update that finished (read under the engine's lock, never from a trainer mid-update).
    var carriedLearningRate: Double?

    /// Writes the trainer's policy (after an accepted update) as a new candidate, with `parent`
    /// as its parent. File I/O: the caller holds `training`, not the engine's lock. The candidate
    /// becomes live only through `commitCandidate`.
    func writeCandidate(parent: String, metrics: [String: Double]) throws -> String {
        try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: Self.metadata(
            policy: trainer.policy, robot: profile.config.name, parent: parent, step: trainer.optimizerStep, metrics: metrics, note: nil)).id
    }

    /// Makes a written candidate the live checkpoint. Caller holds the engine's lock.
    func commitCandidate(_ id: String) {
        live = id
        carriedLearningRate = trainer.learningRate
    }

    /// Reads `id` (or the last good checkpoint) from disk. No lock needed: the store serialises itself.
    func read(_ id: String?) throws -> (policy: Policy, optimizer: [NamedTensor], info: CheckpointInfo) {
        try id.map { try store.load(id: $0) } ?? store.loadLastGood()
    }

    /// Makes a checkpoint read by `read` the live policy, with a fresh optimizer and `learningRate`
    /// (default: the carried-over one). Caller holds the engine's lock. Returns its id.
    func install(_ loaded: (policy: Policy, optimizer: [NamedTensor], info: CheckpointInfo), learningRate: Double? = nil) -> String {
        // The adapted step size carries over: it reflects how spread the policy is, not which checkpoint.
        let learningRate = learningRate ?? carriedLearningRate ?? trainer.learningRate
        trainer = PPOTrainer(policy: loaded.policy, reference: reference, config: profile.learning)
        trainer.learningRate = learningRate
        trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
        trainer.resetOptimizer()
        carriedLearningRate = learningRate
        live = loaded.info.id
        generation += 1
        return live
    }

    /// Makes `id` (or the last good one) the live policy, with a fresh optimizer. Returns its id.
    func load(_ id: String?) throws -> String {
        install(try read(id))
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
        // Not while an update runs on this trainer.
        training.withLock {
            trainer.config = profile.learning
            trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
        }
    }

    static func metadata(policy: Policy, robot: String, parent: String?, step: Int, metrics: [String: Double], note: String?) -> CheckpointMetadata {
        CheckpointMetadata(architecture: policy.config, robot: robot, parent: parent, metrics: metrics, step: step,
                           notes: note.map { ["origin": $0] } ?? [:])
    }
}
