import Checkpoints
import Foundation
import Synchronization
import Learning
import Policy
import Robots
import Synchronization

/// The real `AdaptationService`: for each task, N attempts at the scheduled temperatures, an
/// efficiency (or binary) reward per attempt, one small clipped PPO update from the group, a
/// candidate checkpoint, and the gate that promotes it or rolls back to the last good one.
///
/// Thread-safety: `run` is called by the control loop; everything else may come from the request
/// threads. Three kinds of lock, so that nothing delays an e-stop:
/// - `lock` guards the lineages' bookkeeping (live id, gate, counters). It is held only for
///   in-memory work: never while the robot moves, never during a PPO update or file I/O.
/// - each lineage's `training` lock is held during its PPO update and its candidate's write
///   (and by `livePolicy` and a reload's new hyperparameters): no request on the e-stop path takes it.
/// - `published` (a small Mutex) holds what `status` reads, and `stops` the robots' e-stop
///   latches: `emergencyStop()` presses them without any other lock.
public final class AdaptationEngine: RobotCatalog, TaskRunner, PolicyLineageControl, AdaptationControls, AdaptationStatusSource, OperatorLabelling, @unchecked Sendable {
    private let lock = NSLock()
    /// What `status` reads, republished under `lock` whenever it changes; nil until first read.
    private let published = Mutex<AdaptationStatus?>(nil)
    /// The e-stop side: every robot, its latch, and the order of stops and clears.
    private let stops = EmergencyStops()
    private let robotConfigDirectory: String
    private let checkpointDirectory: String
    private let defaultRobot: String
    /// Where the engine's notes go (the daemon: journald at each note's severity).
    let notes: @Sendable (AdaptationNote) -> Void
    var lineages: [String: PolicyLineage] = [:]
    private var adapting = true
    /// Every degraded-health cause (the hardware-fault pause among them); its own small lock so
    /// `status` never waits on the lineages.
    private let issues = Mutex(HealthIssues())
    /// The repeated-hardware-fault pause's reason: kept in `issues`, so `status` reads one place.
    private var degraded: String? {
        get { issues.withLock { $0[.hardwareFaultPause] } }
        set { issues.withLock { $0[.hardwareFaultPause] = newValue } }
    }
    private let onceGood: [String]
    /// `<state>/demonstrations`: the sets `demo` records and updates clone (AdaptationEngine+Demonstrations).
    let demonstrationStore: DemonstrationStore
    private let startup = Mutex<[CheckpointEvent]>([])
    /// Where operator labels are posted and the update waits for them (a lab's simulated person
    /// posts into the same board).
    public let labels: LabelBoard

    /// Loads every robot-config in `robotConfigDirectory` and each robot's last good checkpoint
    /// (kept under `stateDirectory/checkpoints/<robot>/`). A shipped starting checkpoint
    /// `robotConfigDirectory/checkpoints/<robot>.safetensors` seeds a robot that has none yet.
    ///
    /// A robot whose config (or checkpoint folder) cannot be used is skipped, logged and kept in
    /// `degradedReason`; the others are served. Throws only when the folder cannot be read, it has
    /// no file for `defaultRobot`, or no robot is usable for a reason other than storage.
    /// `onceGoodCheckpoints` (most recently good first, from the daemon's history) is where a robot
    /// whose `LAST_GOOD` is damaged finds a checkpoint to start on (see `PolicyLineage.init`).
    public init(robotConfigDirectory: String, stateDirectory: String, defaultRobot: String,
                onceGoodCheckpoints: [String] = [], labels: LabelBoard = LabelBoard(),
                log: @escaping @Sendable (AdaptationNote) -> Void = { _ in }) throws {
        self.labels = labels
        self.robotConfigDirectory = robotConfigDirectory
        self.checkpointDirectory = "\(stateDirectory)/checkpoints"
        self.demonstrationStore = DemonstrationStore(directory: "\(stateDirectory)/demonstrations")
        self.defaultRobot = defaultRobot
        self.onceGood = onceGoodCheckpoints
        self.notes = log
        let (profiles, failures) = try Self.loadProfiles(robotConfigDirectory)
        guard profiles[defaultRobot] != nil || failures[defaultRobot] != nil else {
            throw AdaptationError(.invalid, field: "default_robot",
                                  "no robot-config \(defaultRobot).yaml in \(robotConfigDirectory) (found: \(profiles.keys.sorted().joined(separator: ", ")))")
        }
        var skipped = failures
        var storageFailed = false
        for (name, profile) in profiles.sorted(by: { $0.key < $1.key }) {
            do { lineages[name] = try makeLineage(profile) } catch {
                skipped[name] = "\(profile.config.path): \(error)"
                if (error as? CheckpointError)?.isStorageFailure == true { storageFailed = true }
            }
        }
        // With nothing to serve, a config error is fatal (exit 78); a full disk is not: start, say so.
        guard !lineages.isEmpty || storageFailed else {
            throw AdaptationError(.invalid, field: "robot_config_directory", "no usable robot-config in \(robotConfigDirectory): "
                                  + skipped.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; "))
        }
        for (name, why) in skipped.sorted(by: { $0.key < $1.key }) {
            let reason = "robot \(name) skipped: \(why); the other robots are served; fix it, then `ttactl reload`"
            issues.withLock { $0[.robotSkipped(robot: name)] = reason }
            self.log(.warning, reason)
        }
        _ = withLock { publishLocked() }
    }

    /// Every robot-config in `directory` that loads, and for each one that does not (by name, the
    /// file stem) why. Only an unreadable folder throws.
    private static func loadProfiles(_ directory: String) throws -> (profiles: [String: RobotProfile], failures: [String: String]) {
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw AdaptationError(.invalid, field: "robot_config_directory", "cannot list \(directory): \(error.localizedDescription)")
        }
        var profiles: [String: RobotProfile] = [:], failures: [String: String] = [:]
        for file in files.sorted() where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
            let path = (directory as NSString).appendingPathComponent(file)
            let name = (file as NSString).deletingPathExtension
            do {
                let config = try RobotConfig.load(path: path)
                profiles[config.name] = try RobotProfile(config: config)
                failures[config.name] = nil
            } catch {
                let text = "\(error)"
                failures[name] = text.contains(path) ? text : "\(path): \(text)"
                profiles[name] = nil
            }
        }
        return (profiles, failures)
    }

    private func makeLineage(_ profile: RobotProfile) throws -> PolicyLineage {
        let name = profile.config.name
        let shippedDirectory = "\(robotConfigDirectory)/checkpoints"
        var initial: (Policy, String)?
        if let path = profile.startingCheckpoint {
            initial = (try Self.startingCheckpoint(path, for: profile), path)
        } else if FileManager.default.fileExists(atPath: "\(shippedDirectory)/\(name).safetensors") {
            let shipped = try CheckpointStore(directory: shippedDirectory).load(id: name)
            initial = (shipped.policy, "\(shippedDirectory)/\(name).safetensors")
        }
        let lineage = try PolicyLineage(profile: profile, directory: "\(checkpointDirectory)/\(name)", initial: initial, onceGood: onceGood)
        if !lineage.removedTempFiles.isEmpty {
            log(.notice, "\(name): removed \(lineage.removedTempFiles.count) temp file(s) an interrupted checkpoint write left in \(checkpointDirectory)/\(name): "
                + lineage.removedTempFiles.joined(separator: ", "))
        }
        if let fallback = lineage.startupFallback {
            log(.warning, fallback.message)
            issues.withLock { $0[.startupFallback(robot: name)] = fallback.message + "; `ttactl resume` acknowledges" }
            startup.withLock {
                $0.append(CheckpointEvent(kind: .rollback, robot: name, checkpoint: fallback.chosen, from: fallback.pointed, reason: "start-up: " + fallback.message))
            }
        }
        // A new promotion supersedes the warning about what the robot started on.
        lineage.onPromoted = { [weak self] in self?.issues.withLock { $0[.startupFallback(robot: name)] = nil } }
        return lineage
    }

    /// Hands the operator's log a note of `severity`.
    func log(_ severity: AdaptationNote.Severity, _ message: String) {
        notes(AdaptationNote(severity, message))
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: RobotCatalog, TaskRunner, PolicyLineageControl, AdaptationControls, AdaptationStatusSource

    public var robots: [String: String] { status.robots }

    public func defaults(robot: String) -> TaskDefaults? { withLock { lineages[robot]?.profile.defaults } }

    public func validate(_ plan: TaskPlan) throws {
        let config = try withLock { () throws -> RobotConfig in
            guard let lineage = lineages[plan.robot] else {
                throw AdaptationError(.invalid, field: "args.robot", "unknown robot \"\(plan.robot)\"")
            }
            return lineage.profile.config
        }
        if plan.demonstration, case .mujoco = config.backend {
            throw AdaptationError(.invalid, field: "args.robot", MuJoCoRobot.noPerson(plan.robot))
        }
        do {
            try config.validate(TaskRequest(name: plan.task, params: plan.params, dynamics: plan.dynamics, seed: plan.seed))
        } catch {
            throw AdaptationError(.invalid, field: "args", "\(error)")
        }
    }

    /// The temperatures a plan's attempts run at: the schedule from its base and range, shifted
    /// by the robot's adaptive-temperature shift. The one place the schedule is computed: `run`
    /// uses it, and so does the daemon's `submit` reply (as of the moment it answers).
    static func temperatures(for plan: TaskPlan, shift: Double) -> [Double] {
        AdaptationStep.temperatures(for: plan, shift: shift)
    }

    public func temperatures(for plan: TaskPlan) -> [Double] {
        Self.temperatures(for: plan, shift: withLock { lineages[plan.robot]?.temperatureShift ?? 0 })
    }

    public func run(_ plan: TaskPlan, observer: any AdaptationObserver, cancellation: Cancellation) throws -> TaskOutcome {
        // Stops and clears still on their way to a controller land before this task's attempts.
        stops.settle()
        let (lineage, policy, checkpoint, step, generation, temperatures) = try withLock {
            () throws -> (PolicyLineage, Policy, String, Int, Int, [Double]) in
            guard let lineage = lineages[plan.robot] else { throw AdaptationError(.notFound, field: "robot", "robot \(plan.robot) is gone (reloaded?)") }
            // An evaluation is greedy: T=0 for every attempt, whatever the adaptive shift (and so
            // is what ttad sends in a demonstration, which the person's action replaces).
            let temperatures = plan.evaluation || plan.demonstration ? Array(repeating: 0.0, count: plan.attempts)
                : Self.temperatures(for: plan, shift: lineage.temperatureShift)
            return (lineage, lineage.policy, lineage.live, lineage.liveStep, lineage.generation, temperatures)
        }
        if plan.demonstration { try checkDemonstrationFeature(lineage) }
        let reward = MultiObjectiveReward.make(mode: plan.rewardMode, weights: lineage.profile.settings.rewardWeights)
        var rng = PolicyRNG(seed: plan.seed)
        var runner = AttemptRunner(robot: lineage.profile.robot, policy: policy, reward: reward, checkpoint: checkpoint)
        runner.noiseExponent = lineage.profile.settings.explorationNoiseExponent
        // An evaluation is judged by the robot (it measures the policy, it teaches nothing); so is
        // a demonstration (the person drove it; nothing waits for their label).
        let settings = lineage.profile.settings
        let operatorJudged = settings.successJudgedBy == .operator && !plan.evaluation && !plan.demonstration
        if operatorJudged {
            labels.begin(task: plan.id, attempts: plan.attempts)
            runner.labels = (labels, plan.id, settings.labelDeadlineSeconds)
        }
        var results: [AttemptRunner.Result]
        do { results = try runner.run(plan, temperatures: temperatures, observer: observer, cancellation: cancellation, rng: &rng) } catch {
            labels.end(task: plan.id)
            throw error
        }
        var cancelled = results.contains { $0.cancelled }
        var reports = results.map(\.report)
        var labelShortfall: String?
        if operatorJudged {
            (results, cancelled, labelShortfall) = awaitLabels(plan, results: results, cancelled: cancelled, settings: settings,
                                                              observer: observer, cancellation: cancellation)
            // The task's outcome shows every attempt, labelled where a person said; the step sees the judged ones only.
            reports = reports.map { report in results.first { $0.report.index == report.index }?.report ?? report }
        }
        // An evaluation measures, never teaches nor judges: no update, no gate record, no
        // hardware-fault count, no temperature shift.
        if plan.evaluation {
            return TaskOutcome(checkpoint: checkpoint, attempts: reports, update: .skipped(reason: "evaluation"), cancelled: cancelled)
        }
        // Nor does a demonstration: its episodes are stored, and later updates clone them.
        if plan.demonstration {
            let stored = try storeDemonstrations(plan, results: results)
            log(.info, "task \(plan.id): \(stored)")
            observer.updateFinished(plan, .skipped(reason: stored))
            return TaskOutcome(checkpoint: checkpoint, attempts: reports, update: .skipped(reason: stored), cancelled: cancelled)
        }
        if let labelShortfall {
            let update = UpdateSummary.skipped(reason: labelShortfall)
            observer.updateFinished(plan, update)
            return TaskOutcome(checkpoint: checkpoint, attempts: reports, update: update, cancelled: cancelled)
        }
        // The stored demonstrations of this robot and task family join the update (read here,
        // outside the lock; nil when there are none, so the step is then exactly as without).
        let demonstrations = plan.adapt ? demonstrationTrajectory(plan, lineage: lineage) : nil

        // The step decides in memory (under the lock, no I/O): gate verdict, which attempts train.
        let decision = withLock { decideLocked(plan, lineage: lineage, results: results, checkpoint: checkpoint, generation: generation,
                                               cancelled: cancelled, demonstrations: demonstrations != nil) }
        // Then its effects, outside the lock: the update, checkpoint files, events.
        var events: [CheckpointEvent] = []
        var promote = decision.step.promote
        var promotion = "passed the gate over its attempts since the last promotion"
        var probeRecord: GreedyProbe.Record?, probeFailure: String?, probed = false
        // With `gate_probe_tasks`, a promotion must first match the last good checkpoint greedily.
        if promote, settings.gateProbeTasks > 0, withLock({ lineage.generation == generation }) {
            probed = true
            promote = false
            switch probeBeforePromotion(plan, lineage: lineage, policy: policy, checkpoint: checkpoint, lastGood: decision.lastGood,
                                        observer: observer, cancellation: cancellation) {
            // A verdict is in the promotion's or the rollback's reason; only a probe that decided nothing is logged.
            case .pass(let record, let text):
                (promote, probeRecord) = (true, record)
                promotion += "; " + text
            case .fail(let text):
                probeFailure = text
            case .inconclusive(let why):
                log(.notice, "task \(plan.id): candidate \(checkpoint) not promoted yet: \(why)")
            }
        }
        if promote, withLock({ lineage.generation == generation }) {
            do {
                try lineage.store.markGood(id: checkpoint)
                withLock {
                    lineage.gate.promoted()
                    if let probeRecord { lineage.gate.probe = probeRecord }
                    lineage.onPromoted?()
                    publishLocked()
                }
                events.append(CheckpointEvent(kind: .promoted, robot: plan.robot, checkpoint: checkpoint, from: decision.lastGood,
                                              reason: promotion))
            } catch {
                events.append(CheckpointEvent(kind: .skipped, robot: plan.robot, checkpoint: checkpoint, from: nil, reason: "could not mark good: \(error)"))
            }
        }
        let update: UpdateSummary
        if let probeFailure {
            events += rollBack(lineage, generation: generation, reason: probeFailure, learningRate: nil)
            update = .skipped(reason: "rolled back: \(probeFailure)")
        } else if probed, cancellation.reason != nil {
            // The probe was cut short (its attempts ran after the task's): so is the update.
            update = .skipped(reason: "the task was cut short")
        } else {
            switch decision.step.next {
            case .skip(let why):
                update = .skipped(reason: why)
            case .rollback(let why):
                events += rollBack(lineage, generation: generation, reason: why, learningRate: nil)
                update = .skipped(reason: "rolled back: \(why)")
            case .train(let chosen, let advantages):
                (update, events) = train(plan, lineage: lineage, trainer: decision.trainer!, cloner: decision.cloner, parent: checkpoint, parentStep: step, generation: generation,
                                         reports: results.map(\.report), trajectories: results.map(\.trajectory), chosen: chosen,
                                         advantages: advantages, demonstrations: demonstrations, replay: decision.replay, events: events)
            }
        }
        // The state value learns from every group that ran to its end, trained on or not.
        if AdaptationStep.fitsValueBaseline(results.map(\.report), adapt: plan.adapt, cancelled: cancelled, settings: lineage.profile.settings) {
            lineage.training.withLock {
                if lineage.valueBaseline == nil { lineage.valueBaseline = StateValueBaseline(for: lineage.policy) }
                lineage.valueBaseline!.fit(group: results.map(\.trajectory))
            }
        }
        observer.updateFinished(plan, update)
        for event in events { observer.checkpointEvent(event, taskId: plan.id) }
        return TaskOutcome(checkpoint: checkpoint, attempts: reports, update: update, cancelled: cancelled)
    }

    /// Operator-judged attempts: waits on `labels` for the group's labels (every wait ends: all
    /// labelled, the last deadline, or cut short by a cancel, e-stop, shutdown or pause), then
    /// keeps the attempts whose outcome is known, a labelled one with its label's success and
    /// reward. Fewer than 2 known: the shortfall names how many were labelled by the deadline.
    private func awaitLabels(_ plan: TaskPlan, results: [AttemptRunner.Result], cancelled: Bool, settings: AdaptationSettings,
                             observer: any AdaptationObserver, cancellation: Cancellation)
        -> (results: [AttemptRunner.Result], cancelled: Bool, shortfall: String?) {
        if cancelled {
            labels.end(task: plan.id)
            return (results, true, nil)
        }
        let (end, slots) = labels.wait(task: plan.id, heartbeat: { observer.heartbeat() }, interrupted: { [self] in
            if let reason = cancellation.reason { return reason.description }
            return status.adapting ? nil : "adaptation paused"
        })
        if case .interrupted(let why) = end, cancellation.reason != nil {
            log(.notice, "task \(plan.id): the wait for operator labels was cut short (\(why))")
            return (results, true, nil)
        }
        var judged: [AttemptRunner.Result] = []
        for var result in results {
            guard result.report.labelDeadline != nil else { judged.append(result); continue }
            guard let slot = slots[result.report.index], let label = slot.label, let reward = slot.reward else { continue }
            result.report.label = label
            result.report.success = label
            result.report.reward = reward
            result.trajectory.reward = reward
            judged.append(result)
        }
        let pending = results.filter { $0.report.labelDeadline != nil }
        let labelled = pending.count - (results.count - judged.count)
        var shortfall: String?
        // A pause ends the wait early: the step then says adaptation is paused.
        if judged.count < 2, end != .interrupted("adaptation paused") {
            shortfall = "only \(labelled) of \(pending.count) attempt(s) awaiting a label were labelled by the deadline "
                + "(label_deadline_seconds \(String(format: "%g", settings.labelDeadlineSeconds)))"
                + (judged.count > labelled ? " besides \(judged.count - labelled) that needed none" : "")
                + "; an update needs at least 2 judged attempts"
        }
        return (judged, false, shortfall)
    }

    /// The step's decision, with what the effects need from the same moment under the lock.
    struct Decision {
        var step: AdaptationStep.Decision
        /// The last good checkpoint when the decision was made (a promotion's `from`).
        var lastGood: String?
        /// The trainer to update (`step.next` is `.train`), taken under the same lock as the generation check.
        var trainer: PPOTrainer?
        /// The cloning phase's, taken with the trainer.
        var cloner: BehaviourCloner?
        /// Earlier accepted updates' groups to reuse (`replay_groups`), taken with the trainer.
        var replay: [(attempt: Trajectory, advantage: Double)] = []
    }

    /// Hardware-fault bookkeeping, then the adaptation step (`AdaptationStep`: the adaptive
    /// temperature shift, the gate's record and verdict, whether and on which attempts to train).
    /// Caller holds the lock; no I/O happens here.
    private func decideLocked(_ plan: TaskPlan, lineage: PolicyLineage, results: [AttemptRunner.Result], checkpoint: String,
                              generation: Int, cancelled: Bool, demonstrations: Bool) -> Decision {
        defer { publishLocked() }
        let reports = results.map(\.report)
        // Hardware faults are the robot's, not the policy's: they pause learning, not judge it.
        let faults = reports.filter(\.isHardwareFault).count
        lineage.consecutiveHardwareFaults = faults == 0 ? 0 : lineage.consecutiveHardwareFaults + faults
        if lineage.consecutiveHardwareFaults >= lineage.profile.settings.hardwareFaultLimit, degraded == nil {
            degraded = "\(lineage.consecutiveHardwareFaults) consecutive hardware faults on \(plan.robot); adaptation paused (`ttactl resume` clears)"
            adapting = false
            log(.warning, degraded!)
        }
        let lastGood = lineage.lastGood
        let context = AdaptationStep.Context(adapt: plan.adapt, adapting: adapting, degraded: degraded, cancelled: cancelled,
                                             policyChanged: generation != lineage.generation, ranOnLastGood: checkpoint == lastGood,
                                             demonstrations: demonstrations,
                                             intervenedAttempts: lineage.profile.learning.interventionWeight > 0
                                                 ? results.indices.filter { results[$0].trajectory.intervenedSteps > 0 } : [])
        var gate: CheckpointGate? = lineage.gate
        let step = AdaptationStep(settings: lineage.profile.settings).decide(reports, context: context,
                                                                            temperatureShift: &lineage.temperatureShift, gate: &gate)
        lineage.gate = gate!
        var decision = Decision(step: step, lastGood: lastGood)
        if case .train = step.next {
            decision.trainer = lineage.trainer
            decision.cloner = lineage.cloner
            decision.replay = lineage.reusable.recent(lineage.profile.learning.replayGroups)
            if lineage.carriedLearningRate == nil { lineage.carriedLearningRate = lineage.trainer.learningRate }
        }
        return decision
    }

    /// The PPO update (and its cloning phase) and, when accepted, the candidate's write: under the lineage's `training`
    /// lock only, so `status`, `estop` and `rollback` answer meanwhile. The candidate becomes live
    /// unless a rollback changed the live policy in the meantime.
    private func train(_ plan: TaskPlan, lineage: PolicyLineage, trainer: PPOTrainer, cloner: BehaviourCloner?, parent: String, parentStep: Int, generation: Int,
                       reports: [AttemptReport], trajectories: [Trajectory], chosen: [Int], advantages: [Double],
                       demonstrations: Trajectory?, replay: [(attempt: Trajectory, advantage: Double)],
                       events: [CheckpointEvent]) -> (UpdateSummary, [CheckpointEvent]) {
        var events = events
        let successRate = Double(reports.filter(\.success).count) / Double(reports.count)
        let fitNormaliser = withLock { lineage.liveIsFreshInitialisation && lineage.liveStep == parentStep && parentStep == 0 }
        let (report, written, learningRate) = lineage.training.withLock { () -> (UpdateReport, Result<String, any Error>?, Double) in
            let shaped = AdaptationStep.withValueBaseline(trajectories, reports: reports, baseline: lineage.valueBaseline,
                                                          settings: lineage.profile.settings)
            let report = AdaptationStep.update(trainer, cloner: cloner, plan: plan, trajectories: shaped, chosen: chosen, advantages: advantages,
                                               demonstrations: demonstrations, replay: replay, fitNormaliser: fitNormaliser)
            guard report.accepted else { return (report, nil, trainer.learningRate) }
            let written = Result { try lineage.writeCandidate(parent: parent, parentStep: parentStep, metrics: [
                "task_success_rate": successRate, "task_mean_reward": reports.map(\.reward).reduce(0, +) / Double(reports.count),
                "approx_kl": report.approxKL, "clip_fraction": report.clipFraction, "grad_norm": report.gradNorm,
                "learning_rate": report.learningRate ?? 0,
            ]) }
            return (report, written, trainer.learningRate)
        }
        switch written {
        case nil:
            events += rollBack(lineage, generation: generation, reason: "update refused: \(report.refusal ?? "?")", learningRate: learningRate)
        case .failure(let error)?:
            // The policy in memory is ahead of every file: go back to one that is on disk.
            events += rollBack(lineage, generation: generation, reason: "the candidate could not be saved: \(error)", learningRate: learningRate)
        case .success(let candidate)?:
            if let steps = report.normaliserFittedFrom {
                log(.notice, "task \(plan.id): the fresh policy of \(plan.robot) took an observation normaliser fitted to \(steps) stored demonstration steps (candidate \(candidate))")
            }
            let committed = withLock { () -> Bool in
                guard lineage.generation == generation else { return false }
                lineage.commitCandidate(candidate)
                lineage.reusable.remember(chosen.map { trajectories[$0] }, advantages: chosen.map { advantages[$0] },
                                          limit: lineage.profile.learning.replayGroups)
                publishLocked()
                return true
            }
            guard committed else { return (.skipped(reason: "the live policy changed during the update (rollback)"), events) }
            _ = try? lineage.store.prune(keepRecent: lineage.profile.settings.keepRecent, protect: [candidate, lineage.referenceId])
            events.append(CheckpointEvent(kind: .candidate, robot: plan.robot, checkpoint: candidate, from: parent, reason: "accepted update after task \(plan.id)"))
            return (.ran(report: report, parent: parent, candidate: candidate), events)
        }
        return (.ran(report: report, parent: parent, candidate: nil), events)
    }

    /// `AdaptationStep.selectForTraining` (kept here for the tests that call it by this name).
    static func selectForTraining(advantages: [Double], topK: Int) -> [Int] {
        AdaptationStep.selectForTraining(advantages: advantages, topK: topK)
    }

    /// `AdaptationStep.adaptedShift` (kept here for the tests that call it by this name).
    static func adaptedShift(_ shift: Double, reports: [AttemptReport], settings: AdaptationSettings) -> Double {
        AdaptationStep.adaptedShift(shift, reports: reports, settings: settings)
    }

    /// Back to the last good checkpoint with a fresh optimizer: read from disk without the lock,
    /// installed under it, unless the live policy already changed since `generation` (a person's
    /// rollback, which then stands).
    private func rollBack(_ lineage: PolicyLineage, generation: Int, reason: String, learningRate: Double?) -> [CheckpointEvent] {
        let from = withLock { lineage.live }
        do {
            let loaded = try lineage.read(nil)
            return withLock {
                guard lineage.generation == generation else { return [] }
                let id = lineage.install(loaded, learningRate: learningRate)
                lineage.gate.rolledBack()
                publishLocked()
                return [CheckpointEvent(kind: .rollback, robot: lineage.profile.config.name, checkpoint: id, from: from, reason: reason)]
            }
        } catch {
            return [CheckpointEvent(kind: .skipped, robot: lineage.profile.config.name, checkpoint: lineage.lastGood, from: from, reason: "rollback failed: \(error)")]
        }
    }

    /// A copy of a robot's live policy (for offline evaluation).
    public func livePolicy(robot: String) throws -> Policy {
        let (lineage, policy) = try withLock {
            guard let lineage = lineages[robot] else { throw AdaptationError(.notFound, field: "robot", "no robot \(robot)") }
            return (lineage, lineage.policy)
        }
        // Not mid-update: the update changes these weights in place.
        return lineage.training.withLock { policy.copy() }
    }

    public func liveCheckpoint(robot: String) -> String? { status.liveByRobot[robot] }
    /// The default robot's live and last good checkpoints (as `status` has them).
    public var liveCheckpoint: String? { status.live }
    public var lastGoodCheckpoint: String? { status.lastGood }

    public func checkpoints() -> [CheckpointSummary] {
        // The files are listed without the lock; only the ids come from under it.
        let sides = withLock { lineages.map { ($0.key, $0.value.store, $0.value.live, $0.value.lastGood, $0.value.referenceId) } }
        return sides.flatMap { robot, store, live, lastGood, referenceId in
                let files = store.scan()
                let goods = store.goodIDs()
                let readable = files.readable.map { info in
                    let state: CheckpointState = info.id == lastGood ? .good : info.id == referenceId ? .reference
                        : goods.contains(info.id) ? .wasGood : .candidate
                    return CheckpointSummary(id: info.id, robot: info.metadata.robot, parent: info.metadata.parent,
                                             createdAt: info.metadata.createdAt, state: state, isLive: info.id == live,
                                             metrics: info.metadata.metrics)
                }
                // A file whose header does not read has no creation time: it sorts last.
                return readable + files.unreadable.map {
                    CheckpointSummary(id: $0.id, robot: robot, parent: nil, createdAt: 0, state: .damaged, isLive: $0.id == live, metrics: [:])
                }
            }.sorted { $0.createdAt > $1.createdAt }
    }

    @discardableResult
    public func rollback(to checkpoint: String?, reason: String, observer: (any AdaptationObserver)?) throws -> CheckpointEvent {
        // Which lineage, and the file, are read without the lock; only the swap takes it.
        let (main, all) = withLock { (lineages[defaultRobot], Array(lineages.values)) }
        let owner = try checkpoint.map { id in
            guard let owner = all.first(where: { $0.store.list().contains { $0.id == id } }) else {
                throw AdaptationError(.notFound, field: "args.checkpoint", "no checkpoint \"\(id)\"")
            }
            return owner
        } ?? main
        guard let lineage = owner else { throw AdaptationError(.notFound, field: "robot", "robot \(defaultRobot) is not loaded (see status)") }
        let read: (policy: Policy, optimizer: [NamedTensor], info: CheckpointInfo)
        do {
            read = try lineage.read(checkpoint)
            // A person's choice is good by their authority.
            try lineage.store.markGood(id: read.info.id)
        } catch {
            throw AdaptationError(.failed, field: "args.checkpoint", "could not load: \(error)")
        }
        let (loaded, from) = withLock { () -> (String, String) in
            let from = lineage.live
            let loaded = lineage.install(read)
            // The gate starts its record afresh.
            lineage.gate.reset()
            publishLocked()
            return (loaded, from)
        }
        let event = CheckpointEvent(kind: .rollback, robot: lineage.profile.config.name, checkpoint: loaded, from: from, reason: reason)
        observer?.checkpointEvent(event, taskId: nil)
        return event
    }

    public var isAdapting: Bool {
        get { status.adapting }
        set {
            withLock {
                adapting = newValue
                if newValue {
                    // Clears the hardware-fault pause and the start-up fallbacks.
                    issues.withLock { $0.acknowledge() }
                    lineages.values.forEach { $0.consecutiveHardwareFaults = 0 }
                }
                publishLocked()
            }
        }
    }

    /// Presses every robot's latch at once (lock-free of everything an update, a file write or a
    /// controller can hold) and tells the controllers on the e-stop thread.
    public func emergencyStop() { stops.press() }
    public func clearEmergencyStop() { stops.clear() }
    public var degradedReason: String? { status.degraded }

    public func setHealthIssue(_ cause: HealthIssues.Cause, _ reason: String?) { issues.withLock { $0[cause] = reason } }

    public var healthIssues: HealthIssues { issues.withLock { $0 } }

    public func takeStartupEvents() -> [CheckpointEvent] { startup.withLock { events in defer { events = [] }; return events } }

    /// What `status` shows, as last published, with the health issues as they are now: never waits
    /// for an update or a file (the issues' own Mutex is held only to copy them).
    public var status: AdaptationStatus {
        var status = published.withLock({ $0 }) ?? withLock { publishLocked() }
        status.estopped = stops.isLatched
        status.degraded = issues.withLock { $0.summary }
        return status
    }

    /// Publishes the snapshot `status` reads and the robots the e-stop reaches. Caller holds the lock.
    @discardableResult
    func publishLocked() -> AdaptationStatus {
        stops.register(lineages.values.map { $0.profile.robot })
        let main = lineages[defaultRobot]
        var status = AdaptationStatus(live: main?.live, lastGood: main?.lastGood, robots: lineages.mapValues { $0.profile.backendName },
                                      adapting: adapting, degraded: issues.withLock { $0.summary }, estopped: stops.isLatched)
        status.liveByRobot = lineages.mapValues(\.live)
        status.liveStepByRobot = lineages.mapValues(\.liveStep)
        published.withLock { $0 = status }
        return status
    }

    public func reload() throws {
        let (profiles, failures) = try Self.loadProfiles(robotConfigDirectory)
        guard failures.isEmpty else {
            throw AdaptationError(.invalid, field: "robot_configs", failures.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; "))
        }
        guard profiles[defaultRobot] != nil else {
            throw AdaptationError(.invalid, field: "default_robot", "the reloaded robot-configs have no \(defaultRobot)")
        }
        try withLock {
            // Check everything first, so a bad reload changes nothing.
            for (name, profile) in profiles where lineages[name] != nil {
                if profile.policy != lineages[name]!.profile.policy {
                    throw AdaptationError(.invalid, field: "\(profile.config.path): policy", "the policy's shape changed; restart the daemon to start a new lineage")
                }
            }
            var next: [String: PolicyLineage] = [:]
            for (name, profile) in profiles {
                if let lineage = lineages[name] {
                    try lineage.apply(profile)
                    next[name] = lineage
                } else {
                    next[name] = try makeLineage(profile)
                }
            }
            lineages = next
            // Every robot now loads: a skipped one is back; a removed one has nothing to warn about.
            issues.withLock { issues in
                for cause in issues.causes {
                    switch cause {
                    case .robotSkipped: issues[cause] = nil
                    case .startupFallback(let robot) where next[robot] == nil: issues[cause] = nil
                    default: break
                    }
                }
            }
            publishLocked()
        }
    }

    public func shutdown() {
        withLock { lineages.values.forEach { $0.profile.robot.emergencyStop() } }
    }
}
