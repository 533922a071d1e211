import Checkpoints
import Foundation
import Learning
import Policy
import Robots
import Synchronization

/// The real `AdaptationService`: for each task, N attempts at the scheduled temperatures, an
/// efficiency (or binary) reward per attempt, one small clipped PPO update from the group, a
/// candidate checkpoint, and the gate that promotes it or rolls back to the last good one.
///
/// Thread-safety: `run` is called by the control loop; everything else may come from the request
/// thread. One lock guards the lineages; it is never held while the robot moves.
public final class AdaptationEngine: AdaptationService, @unchecked Sendable {
    private let lock = NSLock()
    private let robotConfigDirectory: String
    private let checkpointDirectory: String
    private let defaultRobot: String
    private let log: @Sendable (String) -> Void
    private var lineages: [String: PolicyLineage] = [:]
    private var adapting = true
    private var degraded: String?
    /// Degraded-health causes other than hardware faults; its own small lock so `status` never
    /// waits on the lineages.
    private let issues = Mutex(HealthIssues())
    private let onceGood: [String]
    private let startup = Mutex<[CheckpointEvent]>([])

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
                onceGoodCheckpoints: [String] = [],
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.robotConfigDirectory = robotConfigDirectory
        self.checkpointDirectory = "\(stateDirectory)/checkpoints"
        self.defaultRobot = defaultRobot
        self.onceGood = onceGoodCheckpoints
        self.log = log
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
            log(reason)
        }
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
        if FileManager.default.fileExists(atPath: "\(shippedDirectory)/\(name).safetensors") {
            let shipped = try CheckpointStore(directory: shippedDirectory).load(id: name)
            initial = (shipped.policy, "\(shippedDirectory)/\(name).safetensors")
        }
        let lineage = try PolicyLineage(profile: profile, directory: "\(checkpointDirectory)/\(name)", initial: initial, onceGood: onceGood)
        if !lineage.removedTempFiles.isEmpty {
            log("\(name): removed \(lineage.removedTempFiles.count) temp file(s) an interrupted checkpoint write left in \(checkpointDirectory)/\(name): "
                + lineage.removedTempFiles.joined(separator: ", "))
        }
        if let fallback = lineage.startupFallback {
            log(fallback.message)
            issues.withLock { $0[.startupFallback(robot: name)] = fallback.message + "; `ttactl resume` acknowledges" }
            startup.withLock {
                $0.append(CheckpointEvent(kind: .rollback, checkpoint: fallback.chosen, from: fallback.pointed, reason: "start-up: " + fallback.message))
            }
        }
        // A new promotion supersedes the warning about what the robot started on.
        lineage.onPromoted = { [weak self] in self?.issues.withLock { $0[.startupFallback(robot: name)] = nil } }
        return lineage
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: AdaptationService

    public var robots: [String: String] { withLock { lineages.mapValues { $0.profile.backendName } } }

    public func defaults(robot: String) -> TaskDefaults? { withLock { lineages[robot]?.profile.defaults } }

    public func validate(_ plan: TaskPlan) throws {
        let config = try withLock { () throws -> RobotConfig in
            guard let lineage = lineages[plan.robot] else {
                throw AdaptationError(.invalid, field: "args.robot", "unknown robot \"\(plan.robot)\"")
            }
            return lineage.profile.config
        }
        do {
            try config.validate(TaskRequest(name: plan.task, params: plan.params, dynamics: plan.dynamics, seed: plan.seed))
        } catch {
            throw AdaptationError(.invalid, field: "args", "\(error)")
        }
        guard ["efficiency", "binary"].contains(plan.rewardMode) else {
            throw AdaptationError(.invalid, field: "args.reward", "must be efficiency or binary")
        }
    }

    public func run(_ plan: TaskPlan, observer: any AdaptationObserver, cancellation: Cancellation) throws -> TaskOutcome {
        let (lineage, policy, checkpoint, generation, shift) = try withLock { () throws -> (PolicyLineage, Policy, String, Int, Double) in
            guard let lineage = lineages[plan.robot] else { throw AdaptationError(.notFound, field: "robot", "robot \(plan.robot) is gone (reloaded?)") }
            return (lineage, lineage.policy, lineage.live, lineage.generation, lineage.temperatureShift)
        }
        let temperatures = TemperatureSchedule.temperatures(count: plan.attempts, base: max(0, plan.temperatureBase + shift), range: plan.temperatureRange)
        let reward = MultiObjectiveReward.make(mode: plan.rewardMode, weights: lineage.profile.settings.rewardWeights)
        var rng = PolicyRNG(seed: plan.seed)
        let runner = AttemptRunner(robot: lineage.profile.robot, policy: policy, reward: reward, checkpoint: checkpoint)
        let results = try runner.run(plan, temperatures: temperatures, observer: observer, cancellation: cancellation, rng: &rng)
        let reports = results.map(\.report)
        let cancelled = results.contains { $0.cancelled }

        var events: [CheckpointEvent] = []
        let update: UpdateSummary = withLock {
            // Hardware faults are the robot's, not the policy's: they pause learning, not judge it.
            let faults = results.filter { if case .hardwareFault = $0.abort { return true } else { return false } }.count
            lineage.consecutiveHardwareFaults = faults == 0 ? 0 : lineage.consecutiveHardwareFaults + faults
            if lineage.consecutiveHardwareFaults >= lineage.profile.settings.hardwareFaultLimit, degraded == nil {
                degraded = "\(lineage.consecutiveHardwareFaults) consecutive hardware faults on \(plan.robot); adaptation paused (`ttactl resume` clears)"
                adapting = false
                log(degraded!)
            }
            if cancelled { return .skipped("the task was cut short") }
            if lineage.profile.settings.adaptiveTemperature {
                lineage.temperatureShift = Self.adaptedShift(lineage.temperatureShift, reports: reports, settings: lineage.profile.settings)
            }
            if faults > 0 || results.contains(where: { $0.abort == .estop }) {
                return .skipped("attempt(s) ended by a hardware fault or e-stop")
            }
            guard generation == lineage.generation else { return .skipped("the live policy changed during the task (rollback)") }

            // The gate judges the checkpoint these attempts ran on.
            let samples = reports.map { CheckpointGate.Sample(success: $0.success, reward: $0.reward, safetyAbort: $0.abortReason?.hasPrefix("safety_abort") == true) }
            lineage.gate.record(samples, underGood: checkpoint == lineage.lastGood)
            if checkpoint != lineage.lastGood {
                switch lineage.gate.judge() {
                case .undecided: break
                case .promote:
                    do {
                        let from = lineage.lastGood
                        try lineage.promoteLive()
                        events.append(CheckpointEvent(kind: .promoted, checkpoint: checkpoint, from: from,
                                                      reason: "passed the gate over its attempts since the last promotion"))
                    } catch {
                        events.append(CheckpointEvent(kind: .skipped, checkpoint: checkpoint, from: nil, reason: "could not mark good: \(error)"))
                    }
                case .rollback(let why):
                    events += rollbackLocked(lineage, reason: why)
                    return .skipped("rolled back: \(why)")
                }
            }

            guard plan.adapt else { return .skipped("adapt is off for this task") }
            guard adapting else { return .skipped(degraded ?? "adaptation paused") }
            let settings = lineage.profile.settings
            guard let advantages = GroupAdvantage.advantages(rewards: reports.map(\.reward), normalization: settings.advantageNormalization) else {
                return .skipped("no reward variance in the group: every attempt scored \(String(format: "%.3g", reports.first?.reward ?? 0))")
            }
            if settings.informativeGroupsOnly, reports.allSatisfy(\.success) || !reports.contains(where: \.success) {
                return .skipped("uninformative group: every attempt \(reports.allSatisfy(\.success) ? "succeeded" : "failed")")
            }
            let chosen = Self.selectForTraining(advantages: advantages, topK: settings.trainTopK)
            var updateRNG = PolicyRNG(seed: plan.seed &+ 0x9E37_79B9_7F4A_7C15)
            let report = lineage.trainer.update(group: chosen.map { results[$0].trajectory }, advantages: chosen.map { advantages[$0] },
                                                rng: &updateRNG)
            var summary = UpdateSummary(report, parent: lineage.live)
            if report.accepted {
                let successRate = Double(reports.filter(\.success).count) / Double(reports.count)
                do {
                    let candidate = try lineage.saveCandidate(metrics: [
                        "task_success_rate": successRate, "task_mean_reward": reports.map(\.reward).reduce(0, +) / Double(reports.count),
                        "approx_kl": report.approxKL, "clip_fraction": report.clipFraction, "grad_norm": report.gradNorm,
                        "learning_rate": report.learningRate ?? 0,
                    ])
                    summary.candidate = candidate
                    events.append(CheckpointEvent(kind: .candidate, checkpoint: candidate, from: summary.parent, reason: "accepted update after task \(plan.id)"))
                } catch {
                    // The policy in memory is ahead of every file: go back to one that is on disk.
                    events += rollbackLocked(lineage, reason: "the candidate could not be saved: \(error)")
                }
            } else {
                events += rollbackLocked(lineage, reason: "update refused: \(report.refusal ?? "?")")
            }
            return summary
        }
        observer.updateFinished(plan, update)
        for event in events { observer.checkpointEvent(event, taskId: plan.id) }
        return TaskOutcome(checkpoint: checkpoint, attempts: reports, update: update, cancelled: cancelled)
    }

    /// Selective training: the indices of the `topK` attempts with the largest |advantage| (all
    /// of them when `topK` is 0 or at least N), in their original order.
    static func selectForTraining(advantages: [Double], topK: Int) -> [Int] {
        guard topK > 0, topK < advantages.count else { return Array(advantages.indices) }
        return advantages.indices.sorted { abs(advantages[$0]) > abs(advantages[$1]) }.prefix(topK).sorted()
    }

    /// Adaptive temperature: every attempt succeeded alike, explore more; none succeeded, move
    /// toward greedy; otherwise the group already carries signal and the shift stays.
    static func adaptedShift(_ shift: Double, reports: [AttemptReport], settings: AdaptationSettings) -> Double {
        guard !reports.isEmpty else { return shift }
        let rewards = reports.map(\.reward)
        var next = shift
        // "Alike": every attempt succeeded and the rewards differ by less than 0.05.
        if reports.allSatisfy(\.success), rewards.max()! - rewards.min()! < 0.05 { next += settings.temperatureStep }
        if reports.allSatisfy({ !$0.success }) { next -= settings.temperatureStep }
        return min(settings.temperatureShiftMax, max(settings.temperatureShiftMin, next))
    }

    /// Back to the last good checkpoint with a fresh optimizer. Caller holds the lock.
    private func rollbackLocked(_ lineage: PolicyLineage, reason: String) -> [CheckpointEvent] {
        let from = lineage.live
        do {
            let loaded = try lineage.load(nil)
            lineage.gate.rolledBack()
            return [CheckpointEvent(kind: .rollback, checkpoint: loaded, from: from, reason: reason)]
        } catch {
            return [CheckpointEvent(kind: .skipped, checkpoint: lineage.lastGood, from: from, reason: "rollback failed: \(error)")]
        }
    }

    /// A copy of a robot's live policy (for offline evaluation).
    public func livePolicy(robot: String) throws -> Policy {
        try withLock {
            guard let lineage = lineages[robot] else { throw AdaptationError(.notFound, field: "robot", "no robot \(robot)") }
            return lineage.policy.copy()
        }
    }

    public var liveCheckpoint: String? { withLock { lineages[defaultRobot]?.live } }
    public var lastGoodCheckpoint: String? { withLock { lineages[defaultRobot]?.lastGood } }

    public func checkpoints() -> [CheckpointSummary] {
        withLock {
            lineages.values.flatMap { lineage in
                lineage.store.list().map { info in
                    let goods = lineage.store.goodIDs()
                    let state = info.id == lineage.lastGood ? "good" : info.id == lineage.referenceId ? "reference"
                        : goods.contains(info.id) ? "was good" : "candidate"
                    return CheckpointSummary(id: info.id, robot: info.metadata.robot, parent: info.metadata.parent,
                                             createdAt: info.metadata.createdAt, state: state, isLive: info.id == lineage.live,
                                             metrics: info.metadata.metrics)
                }
            }.sorted { $0.createdAt > $1.createdAt }
        }
    }

    public func rollback(to checkpoint: String?, reason: String, observer: (any AdaptationObserver)?) throws -> String {
        let (loaded, from) = try withLock { () throws -> (String, String) in
            let lineage = try checkpoint.map { id in
                guard let owner = lineages.values.first(where: { $0.store.list().contains { $0.id == id } }) else {
                    throw AdaptationError(.notFound, field: "args.checkpoint", "no checkpoint \"\(id)\"")
                }
                return owner
            } ?? lineages[defaultRobot]
            guard let lineage else { throw AdaptationError(.notFound, field: "robot", "robot \(defaultRobot) is not loaded (see status)") }
            let from = lineage.live
            do {
                let loaded = try lineage.load(checkpoint)
                // A person's choice is good by their authority; the gate starts its record afresh.
                try lineage.store.markGood(id: loaded)
                lineage.gate.reset()
                return (loaded, from)
            } catch let error as AdaptationError {
                throw error
            } catch {
                throw AdaptationError(.failed, field: "args.checkpoint", "could not load: \(error)")
            }
        }
        observer?.checkpointEvent(CheckpointEvent(kind: .rollback, checkpoint: loaded, from: from, reason: reason), taskId: nil)
        return loaded
    }

    public var isAdapting: Bool {
        get { withLock { adapting } }
        set {
            withLock {
                adapting = newValue
                if newValue {
                    degraded = nil
                    issues.withLock { $0.acknowledge() }
                    lineages.values.forEach { $0.consecutiveHardwareFaults = 0 }
                }
            }
        }
    }

    public func emergencyStop() { withLock { lineages.values.forEach { $0.profile.robot.emergencyStop() } } }
    public func clearEmergencyStop() { withLock { lineages.values.forEach { $0.profile.robot.clearEmergencyStop() } } }
    public var degradedReason: String? {
        let reasons = [withLock { degraded }, issues.withLock { $0.summary }].compactMap { $0 }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    public func setHealthIssue(_ cause: HealthIssues.Cause, _ reason: String?) { issues.withLock { $0[cause] = reason } }

    public var healthIssues: HealthIssues { issues.withLock { $0 } }

    public func takeStartupEvents() -> [CheckpointEvent] { startup.withLock { events in defer { events = [] }; return events } }

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
        }
    }

    public func shutdown() {
        withLock { lineages.values.forEach { $0.profile.robot.emergencyStop() } }
    }
}
