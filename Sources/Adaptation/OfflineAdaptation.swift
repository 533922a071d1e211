import Checkpoints
import Foundation
import Learning
import Policy
import Robots

/// The adaptation loop without a daemon, for making starting policies and probing them: the
/// daemon's attempt runner, rewards and adaptation step (`AdaptationStep`), driven directly.
public final class OfflineAdaptation {
    let profile: RobotProfile

    /// Loads one robot-config (simulated robots only make sense here).
    public init(robotConfigPath: String) throws {
        profile = try RobotProfile(config: RobotConfig.load(path: robotConfigPath))
    }

    /// The policy shape the robot-config asks for.
    public var policyConfig: PolicyConfig { profile.policy }
    /// The robot-config's learning hyperparameters.
    public var learningConfig: PPOConfig { profile.learning }
    /// The robot's name.
    public var robotName: String { profile.config.name }

    /// A training session from `start`: the daemon's adaptation step without its checkpoints
    /// (no gate, no candidate files). `reference` is what the trainer's KL-to-reference terms
    /// compare against, as the daemon's reference checkpoint does (nil: none, for pretraining).
    public func session(start: Policy, learning: PPOConfig? = nil, reference: Policy? = nil) -> Session {
        let trainer = PPOTrainer(policy: start, reference: reference, config: learning ?? profile.learning)
        trainer.debugLearningRateMultiplier = profile.settings.debugLearningRateMultiplier
        return Session(profile: profile, trainer: trainer)
    }

    /// Greedy (T = 0) success rate over `episodes` tasks with seeded random parameters.
    public func evaluate(policy: Policy, task: String, dynamics: [String: Double], episodes: Int, seed: UInt64) throws -> Double {
        let steps = try evaluateEpisodes(policy: policy, task: task, dynamics: dynamics, episodes: episodes, seed: seed)
        return Double(steps.compactMap { $0 }.count) / Double(max(episodes, 1))
    }

    /// Greedy (T = 0) episodes over `episodes` tasks with seeded random parameters: the steps each
    /// took to succeed, nil where it failed. The same `seed` gives the same tasks, so two policies
    /// can be compared task by task (steps on the tasks both solve).
    public func evaluateEpisodes(policy: Policy, task: String, dynamics: [String: Double], episodes: Int, seed: UInt64) throws -> [Int?] {
        var steps: [Int?] = []
        var rng = PolicyRNG(seed: seed)
        let runner = AttemptRunner(robot: profile.robot, policy: policy, reward: BinaryReward(), checkpoint: nil)
        for k in 0..<episodes {
            // One task per attempt: each attempt gets its own seeded target.
            let plan = TaskPlan(id: "eval", robot: robotName, task: task, params: [:], dynamics: dynamics, attempts: 1,
                                temperatureBase: 0, temperatureRange: 0, rewardMode: .binary, adapt: false, priority: 0,
                                seed: seed &+ UInt64(k) &* 7919)
            let results = try runner.run(plan, temperatures: [0], observer: NullObserver(), cancellation: Cancellation(), rng: &rng)
            steps += results.map { $0.report.success ? $0.report.steps : nil }
        }
        return steps
    }

    /// Writes `policy` as `<folder>/<robot>.safetensors`, a starting checkpoint the daemon picks up,
    /// replacing an older one atomically (the store writes it; only Checkpoints writes checkpoint files).
    public func export(policy: Policy, to folder: String, metrics: [String: Double]) throws -> String {
        let store = try CheckpointStore(directory: folder)
        let info = try store.save(policy: policy, optimizer: [], metadata: PolicyLineage.metadata(
            policy: policy, robot: robotName, parent: nil, step: 0, metrics: metrics, note: "ttad-lab pretrain"), as: robotName)
        return info.path
    }

    /// Policy + trainer, updated after every task by the daemon's own step (`AdaptationStep`): the
    /// same temperatures (with the adaptive shift), rewards, filters (`informative_groups_only`,
    /// `train_top_k`) and PPO update as `AdaptationEngine`. What it leaves out are the effects that
    /// need checkpoints: the gate, candidate files, and the rollback after a refused update (the
    /// trainer itself restores the parameters it refused).
    public final class Session {
        let profile: RobotProfile
        let trainer: PPOTrainer
        /// The adaptive-temperature shift carried from task to task, as the daemon keeps one per robot.
        public private(set) var temperatureShift = 0.0
        /// Earlier accepted updates' groups (`replay_groups`), as the daemon keeps them per robot.
        var reusable = ReusableGroups()
        /// The learned state value (`value_baseline_weight` > 0), as the daemon keeps one per robot.
        var valueBaseline: StateValueBaseline?
        public var policy: Policy { trainer.policy }

        init(profile: RobotProfile, trainer: PPOTrainer) {
            self.profile = profile
            self.trainer = trainer
        }

        /// Runs one task's attempts and (when `adapt`) one update; returns what happened.
        public func runTask(task: String, params: [String: Double], dynamics: [String: Double], attempts: Int,
                            temperatureBase: Double, temperatureRange: Double, rewardMode: RewardMode, adapt: Bool,
                            seed: UInt64) throws -> TaskOutcome {
            try run(TaskPlan(id: "offline", robot: profile.config.name, task: task, params: params, dynamics: dynamics,
                             attempts: attempts, temperatureBase: temperatureBase, temperatureRange: temperatureRange,
                             rewardMode: rewardMode, adapt: adapt, priority: 0, seed: seed))
        }

        /// Runs `plan`'s attempts and the step that follows them, as `AdaptationEngine.run` does.
        public func run(_ plan: TaskPlan) throws -> TaskOutcome {
            let reward = MultiObjectiveReward.make(mode: plan.rewardMode, weights: profile.settings.rewardWeights)
            var rng = PolicyRNG(seed: plan.seed)
            var runner = AttemptRunner(robot: profile.robot, policy: trainer.policy, reward: reward, checkpoint: nil)
            runner.noiseExponent = profile.settings.explorationNoiseExponent
            let temperatures = AdaptationStep.temperatures(for: plan, shift: temperatureShift)
            let results = try runner.run(plan, temperatures: temperatures, observer: NullObserver(), cancellation: Cancellation(), rng: &rng)
            let reports = results.map(\.report)
            var noGate: CheckpointGate?
            let decision = AdaptationStep(settings: profile.settings).decide(reports, context: .init(adapt: plan.adapt),
                                                                             temperatureShift: &temperatureShift, gate: &noGate)
            let update: UpdateSummary
            switch decision.next {
            case .skip(let why), .rollback(let why):
                update = .skipped(reason: why)
            case .train(let chosen, let advantages):
                let trajectories = AdaptationStep.withValueBaseline(results.map(\.trajectory), reports: reports, baseline: valueBaseline,
                                                                    settings: profile.settings)
                let report = AdaptationStep.update(trainer, plan: plan, trajectories: trajectories, chosen: chosen, advantages: advantages,
                                                   replay: reusable.recent(profile.learning.replayGroups))
                if report.accepted {
                    reusable.remember(chosen.map { trajectories[$0] }, advantages: chosen.map { advantages[$0] },
                                      limit: profile.learning.replayGroups)
                }
                update = .ran(report: report, parent: nil, candidate: nil)
            }
            if AdaptationStep.fitsValueBaseline(reports, adapt: plan.adapt, cancelled: false, settings: profile.settings) {
                if valueBaseline == nil { valueBaseline = StateValueBaseline(for: trainer.policy) }
                valueBaseline!.fit(group: results.map(\.trajectory))
            }
            return TaskOutcome(checkpoint: nil, attempts: reports, update: update, cancelled: false)
        }
    }
}

/// An observer that ignores everything (offline runs).
public final class NullObserver: AdaptationObserver {
    public init() {}
    public func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
    public func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {}
    public func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {}
    public func checkpointEvent(_ event: CheckpointEvent, taskId: String?) {}
    public func heartbeat() {}
}
