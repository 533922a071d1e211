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
    /// The KL anchor and its checkpoint; an import replaces both (`adopt`).
    private(set) var reference: Policy
    private(set) var referenceId: String
    /// The checkpoint the live policy was loaded from or saved as.
    private(set) var live: String
    var gate: CheckpointGate
    /// Bumped on every rollback, so a task that started before one does not update the new policy.
    private(set) var generation = 0
    var consecutiveHardwareFaults = 0
    /// The adaptive-temperature shift added to T_0 (0 unless `adaptive_temperature` is on).
    var temperatureShift = 0.0
    /// Set at start-up when the pointed-to good checkpoint could not be used: what was wrong and
    /// what the lineage started on instead (the daemon reports it and stays `degraded`).
    private(set) var startupFallback: StartupFallback?
    /// Temp files of interrupted writes removed at start-up.
    private(set) var removedTempFiles: [String] = []
    /// The live checkpoint's `step` (updates since the base policy); a candidate's is one more.
    private(set) var liveStep = 0
    /// The live policy is ttad's own fresh initialisation, never updated (no checkpoint shipped or
    /// imported): it knows nothing of the robot's observation scales, so the first update with
    /// stored demonstrations fits its normaliser from them (docs/learning.md "The cloning phase").
    private(set) var liveIsFreshInitialisation = false
    /// Called after the live checkpoint was promoted (clears a start-up fallback's warning).
    var onPromoted: (() -> Void)?
    /// The groups of the last accepted updates, for the next ones to reuse (`replay_groups`);
    /// forgotten whenever another checkpoint is installed (a rollback, an import).
    var reusable = ReusableGroups()
    /// The learned state value (`value_baseline_weight` > 0): made at the first task that fits it,
    /// kept across rollbacks (it estimates the recent policy's values; it never acts). Read and
    /// fitted under `training` only.
    var valueBaseline: StateValueBaseline?

    /// What start-up did when `LAST_GOOD` did not lead to a checkpoint that verifies.
    struct StartupFallback {
        /// The checkpoint the lineage started on.
        var chosen: String
        /// The id `LAST_GOOD` named first, if any (damaged, missing or not a valid id).
        var pointed: String?
        /// One sentence for the journal, the history and `status`.
        var message: String
    }

    /// Opens the robot's checkpoint folder and loads its last good checkpoint, or starts the
    /// lineage from `initial` (a shipped starting checkpoint) or from a freshly initialised policy.
    ///
    /// When `LAST_GOOD` is missing, empty, garbage, half-written or names only checkpoints that do
    /// not verify, it starts on (in this order) the checkpoint most recently marked good that
    /// verifies, from `LAST_GOOD`'s own list then from `onceGood` (the daemon's history of promotions
    /// and rollbacks, most recent first); else the reference; else `initial` or the fresh
    /// initialisation saved anew. Never on a candidate that was not judged good. `LAST_GOOD` is then
    /// rewritten and `startupFallback` says what happened.
    init(profile: RobotProfile, directory: String, initial: (policy: Policy, source: String)?, onceGood: [String] = []) throws {
        self.profile = profile
        let store = try CheckpointStore(directory: directory)
        self.store = store
        removedTempFiles = (try? store.removeStaleTempFiles()) ?? []
        let settings = profile.settings
        gate = CheckpointGate(minAttempts: settings.gateMinAttempts, margin: settings.gateMargin,
                              window: settings.gateWindow, safetyAbortMargin: settings.safetyAbortMargin)
        let policy: Policy
        let optimizer: [NamedTensor]
        let pointerText = store.lastGoodPointerText()
        let files = store.scan()
        if pointerText != nil || !files.readable.isEmpty || !files.unreadable.isEmpty {
            let pointer = store.goodIDs()
            var skipped: [UnreadableCheckpoint] = []
            var source = "the next good checkpoint in LAST_GOOD"
            var attempt = store.loadFirstVerifying(pointer, reportMissing: true)
            skipped += attempt.skipped
            if attempt.loaded == nil {
                source = "the checkpoint most recently marked good in the history"
                attempt = store.loadFirstVerifying(onceGood.filter { !pointer.contains($0) })
                skipped += attempt.skipped
            }
            if attempt.loaded == nil, let reference = store.reference, !pointer.contains(reference),
               !skipped.contains(where: { $0.id == reference }) {
                source = "the reference checkpoint"
                attempt = store.loadFirstVerifying([reference], reportMissing: true)
                skipped += attempt.skipped
            }
            let chosen: CheckpointInfo
            if let loaded = attempt.loaded {
                guard loaded.policy.config == profile.policy else {
                    throw AdaptationError(.invalid, field: "\(profile.config.path): policy",
                                          "the checkpoints in \(directory) were made for another policy shape; move them away to start over")
                }
                policy = loaded.policy
                optimizer = loaded.optimizer
                chosen = loaded.info
            } else {
                // Nothing judged good survives: start again from where the lineage began.
                let start = initial?.policy ?? Policy(config: profile.policy, seed: settings.initSeed)
                guard start.config == profile.policy else {
                    throw AdaptationError(.invalid, field: "\(profile.config.path): policy", "the shipped starting checkpoint has another policy shape")
                }
                source = initial.map { "the shipped starting checkpoint \($0.source)" } ?? "a \(Self.freshInitialisation) (seed \(settings.initSeed))"
                chosen = try store.save(policy: start, optimizer: [], metadata: Self.metadata(
                    policy: start, robot: profile.config.name, parent: nil, step: 0, metrics: [:],
                    note: "start-up fallback: nothing marked good verified; from " + source))
                if (try? store.reference.map { try store.info(id: $0) }) == nil { try store.markReference(id: chosen.id) }
                policy = start
                optimizer = []
            }
            live = chosen.id
            liveStep = chosen.metadata.step
            liveIsFreshInitialisation = Self.isFreshInitialisation(chosen.metadata)
            if pointer.first != chosen.id {
                let what = pointerText == nil ? "is missing" : pointer.isEmpty ? "is empty" : "names \"\(pointer[0])\" first, which could not be used"
                var message = "\(profile.config.name): \(directory)/LAST_GOOD \(what)"
                if !skipped.isEmpty {
                    message += " (" + skipped.map { "\($0.id): \($0.reason)" }.joined(separator: "; ") + ")"
                }
                message += "; fell back to \(chosen.id) (\(source))"
                // The pointer now names what runs, followed by the older good ones that still exist.
                let bad = Set(skipped.map(\.id))
                let rest = (pointer + onceGood).filter { $0 != chosen.id && !bad.contains($0) && (try? store.info(id: $0)) != nil }
                do {
                    try store.resetGood(ids: [chosen.id] + rest)
                    message += ", and rewrote LAST_GOOD"
                } catch {
                    message += "; LAST_GOOD could not be rewritten: \(error)"
                }
                // A garbage pointer's bytes must not reach the journal raw (a NUL makes the entry a blob).
                let printable = message.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\x" + String(format: "%02x", $0.value) : String($0) }.joined()
                let pointed = pointer.first.flatMap { id in (try? store.info(id: id)) != nil || id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) } ? id : nil }
                startupFallback = StartupFallback(chosen: chosen.id, pointed: pointed, message: printable)
            }
        } else {
            let start = initial?.policy ?? Policy(config: profile.policy, seed: settings.initSeed)
            guard start.config == profile.policy else {
                throw AdaptationError(.invalid, field: "\(profile.config.path): policy", "the shipped starting checkpoint has another policy shape")
            }
            let info = try store.save(policy: start, optimizer: [], metadata: Self.metadata(
                policy: start, robot: profile.config.name, parent: nil, step: 0,
                metrics: [:], note: initial.map { "from \($0.source)" } ?? "\(Self.freshInitialisation), seed \(settings.initSeed)"))
            try store.markGood(id: info.id)
            try store.markReference(id: info.id)
            policy = start
            optimizer = []
            live = info.id
            liveIsFreshInitialisation = initial == nil
        }
        referenceId = store.reference ?? live
        reference = (try? store.load(id: referenceId).policy) ?? policy.copy()
        trainer = PPOTrainer(policy: policy, reference: reference, config: profile.learning)
        trainer.debugLearningRateMultiplier = settings.debugLearningRateMultiplier
        if !optimizer.isEmpty { try? trainer.loadOptimizer(optimizer) }
    }

    var lastGood: String? { store.lastGood }
    var policy: Policy { trainer.policy }

    private var clonerStorage: BehaviourCloner?
    /// The cloning phase's (`BehaviourCloner`), bound to the trainer's policy: a new trainer (a
    /// rollback, an import) or new `learning:` settings, a new cloner with fresh Adam moments.
    /// Caller holds the engine's lock.
    var cloner: BehaviourCloner {
        if let cloner = clonerStorage, cloner.policy === trainer.policy, cloner.config == profile.learning { return cloner }
        let cloner = BehaviourCloner(policy: trainer.policy, config: profile.learning)
        clonerStorage = cloner
        return cloner
    }

    /// Held while the trainer's weights change or are read for a file (the PPO update, the
    /// candidate's write) and by whoever else touches the trainer in place. The engine's own lock
    /// is not held then, so `status`, `estop` and `rollback` never wait for an update.
    let training = NSLock()
    /// The learning rate a fresh trainer carries over after a rollback: the trainer's, as of the
    /// last update that finished (read under the engine's lock, never from a trainer mid-update).
    var carriedLearningRate: Double?

    /// Writes the trainer's policy (after an accepted update) as a new candidate, with `parent`
    /// (whose step is `parentStep`) as its parent: its `step` is one more, updates since the base
    /// policy. File I/O: the caller holds `training`, not the engine's lock. The candidate becomes
    /// live only through `commitCandidate`.
    func writeCandidate(parent: String, parentStep: Int, metrics: [String: Double]) throws -> String {
        try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: Self.metadata(
            policy: trainer.policy, robot: profile.config.name, parent: parent, step: parentStep + 1, metrics: metrics, note: nil)).id
    }

    /// Makes a written candidate (a child of the live checkpoint) the live checkpoint. Caller holds
    /// the engine's lock.
    func commitCandidate(_ id: String) {
        live = id
        liveStep += 1
        liveIsFreshInitialisation = false
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
        reusable.forget()  // the attempts of another policy's history
        carriedLearningRate = learningRate
        live = loaded.info.id
        liveStep = loaded.info.metadata.step
        liveIsFreshInitialisation = Self.isFreshInitialisation(loaded.info.metadata)
        generation += 1
        return live
    }

    /// Makes an imported checkpoint (stored, marked good and reference) the live policy and the KL
    /// reference, with a fresh optimizer and gate record. Caller holds the engine's lock.
    func adopt(_ policy: Policy, info: CheckpointInfo) {
        // The trainer changes its policy in place: the reference must be another object.
        reference = policy.copy()
        referenceId = info.id
        _ = install((policy, [], info))
        liveIsFreshInitialisation = false  // trained elsewhere, whatever its notes say
        gate.reset()
        temperatureShift = 0
    }

    /// Makes `id` (or the last good one) the live policy, with a fresh optimizer. Returns its id.
    func load(_ id: String?) throws -> String {
        install(try read(id))
    }

    /// New hyperparameters and gate settings after a reload (the policy's shape must not change).
    /// Caller holds the engine's lock.
    func apply(_ profile: RobotProfile) throws {
        guard profile.policy == self.profile.policy else {
            throw AdaptationError(.invalid, field: "\(profile.config.path): policy",
                                  "the policy's shape changed; restart the daemon to start a new lineage")
        }
        self.profile = profile
        // The gate's new settings judge from now on; its record of attempts (and probe) stays.
        let settings = profile.settings
        (gate.minAttempts, gate.margin, gate.window, gate.safetyAbortMargin) =
            (settings.gateMinAttempts, settings.gateMargin, settings.gateWindow, settings.safetyAbortMargin)
        // Not while an update runs on this trainer.
        training.withLock {
            trainer.config = profile.learning
            trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
        }
    }

    /// What a fresh initialisation's checkpoint says of its origin (`notes["origin"]`).
    static let freshInitialisation = "fresh initialisation"

    /// Whether a checkpoint is ttad's own fresh initialisation, never updated.
    static func isFreshInitialisation(_ metadata: CheckpointMetadata) -> Bool {
        metadata.step == 0 && metadata.parent == nil && (metadata.notes["origin"]?.contains(freshInitialisation) ?? false)
    }

    static func metadata(policy: Policy, robot: String, parent: String?, step: Int, metrics: [String: Double], note: String?) -> CheckpointMetadata {
        CheckpointMetadata(architecture: policy.config, robot: robot, parent: parent, metrics: metrics, step: step,
                           notes: note.map { ["origin": $0] } ?? [:])
    }
}
