import Learning
import Policy

/// The adaptation step, as the daemon takes it after each task: the attempts' reports in; the next
/// temperature shift, the gate's verdict and which attempts train with which advantages out; then
/// the PPO update on those attempts. No I/O and no lock: `AdaptationEngine` calls it under its
/// lock and writes checkpoints, history and events after; `OfflineAdaptation` (ttad-lab) calls
/// the same functions, so what an offline run measures is what the daemon does.
struct AdaptationStep {
    /// The robot-config's `adaptation:` section.
    var settings: AdaptationSettings

    /// What a task's attempts lead to.
    struct Decision: Equatable {
        enum Next: Equatable {
            /// No update, for this reason (what the history and `ttactl` show).
            case skip(String)
            /// The gate judged the candidate worse: back to the last good checkpoint.
            case rollback(String)
            /// Train on the attempts at `chosen`; `advantages` has one per attempt (all N).
            case train(chosen: [Int], advantages: [Double])
        }
        /// The gate passed the checkpoint the attempts ran on: it becomes the last good one.
        var promote = false
        var next: Next
    }

    /// What the step needs to know besides the reports. The defaults are an offline run's: nothing
    /// paused, nothing cut short, no rollback meanwhile.
    struct Context {
        /// The task's own `adapt`.
        var adapt: Bool
        /// Adaptation is on daemon-wide (off after repeated hardware faults or `ttactl pause`).
        var adapting = true
        /// Why the daemon is degraded, if it is (the skip reason while adaptation is paused).
        var degraded: String?
        /// The task was cancelled or the daemon is stopping.
        var cancelled = false
        /// The live policy changed while the attempts ran (a rollback): they judge nothing.
        var policyChanged = false
        /// The attempts ran on the last good checkpoint (the gate's reference side), not a candidate.
        var ranOnLastGood = false
        /// Stored demonstrations of this robot and task family join the update: a group with no
        /// informative advantage still trains (on them alone).
        var demonstrations = false
        /// The attempts a person drove steps of, when their steps are cloned (`intervention_weight`
        /// > 0): a group with no informative advantage still trains on those steps.
        var intervenedAttempts: [Int] = []
    }

    /// The temperatures a plan's attempts run at: the schedule from its base and range, shifted by
    /// the robot's adaptive-temperature shift (never below 0).
    static func temperatures(for plan: TaskPlan, shift: Double) -> [Double] {
        TemperatureSchedule.temperatures(count: plan.attempts, base: max(0, plan.temperatureBase + shift), range: plan.temperatureRange)
    }

    /// Decides what a task's attempts lead to, updating the temperature shift (when
    /// `adaptive_temperature` is on) and the gate's record. `gate` nil: no gate (offline runs,
    /// where no checkpoint exists), so never a promotion or a rollback.
    func decide(_ reports: [AttemptReport], context: Context, temperatureShift: inout Double, gate: inout CheckpointGate?) -> Decision {
        if context.cancelled { return Decision(next: .skip("the task was cut short")) }
        if settings.adaptiveTemperature {
            temperatureShift = Self.adaptedShift(temperatureShift, reports: reports, settings: settings)
        }
        if reports.contains(where: { $0.isHardwareFault || $0.interruption == .aborted(.estop) }) {
            return Decision(next: .skip("attempt(s) ended by a hardware fault or e-stop"))
        }
        if context.policyChanged { return Decision(next: .skip("the live policy changed during the task (rollback)")) }

        // The gate judges the checkpoint these attempts ran on.
        var promote = false
        if gate != nil {
            let samples = reports.map {
                CheckpointGate.Sample(success: $0.success, reward: $0.reward, safetyAbort: $0.isSafetyAbort, intervened: $0.wasIntervened)
            }
            gate!.record(samples, underGood: context.ranOnLastGood)
            if !context.ranOnLastGood {
                switch gate!.judge() {
                case .undecided: break
                case .promote: promote = true
                case .rollback(let why): return Decision(promote: false, next: .rollback(why))
                }
            }
        }
        return Decision(promote: promote, next: trainingChoice(reports, context: context))
    }

    /// Whether a group trains, and on which attempts with which advantages: a pure function of
    /// the attempts' reports and the settings. A group where every attempt failed trains on its
    /// progress when it can (`progressAdvantages`, whatever `informative_groups_only` says: that
    /// key is about reward advantages, and `zero_success_progress_weight: 0` turns this off);
    /// otherwise on its rewards' advantages (`advantage_normalization`, `advantage_std_floor`,
    /// plus in a mixed group `success_speed_weight`'s and `failure_progress_weight`'s terms),
    /// filtered by `informative_groups_only` and `train_top_k`.
    func trainingChoice(_ reports: [AttemptReport], context: Context) -> Decision.Next {
        guard context.adapt else { return .skip("adapt is off for this task") }
        guard context.adapting else { return .skip(context.degraded ?? "adaptation paused") }
        if !reports.contains(where: \.success), let advantages = progressAdvantages(reports) {
            return .train(chosen: Self.selectForTraining(advantages: advantages, topK: settings.trainTopK), advantages: advantages)
        }
        // No informative advantage, but a person's steps to clone (stored demonstrations, steps
        // they drove): train on those alone, the attempts' own steps at advantage 0 (a random
        // policy must be able to learn from its demonstrations and takeovers).
        let personOnly = context.demonstrations || !context.intervenedAttempts.isEmpty
        let demonstrationsOnly = Decision.Next.train(chosen: context.intervenedAttempts, advantages: Array(repeating: 0, count: reports.count))
        guard var advantages = GroupAdvantage.advantages(rewards: reports.map(\.reward), normalization: settings.advantageNormalization,
                                                         stdFloor: settings.advantageStdFloor) else {
            if personOnly { return demonstrationsOnly }
            return .skip("no reward variance in the group: every attempt scored \(String(format: "%.3g", reports.first?.reward ?? 0))")
        }
        if settings.informativeGroupsOnly, reports.allSatisfy(\.success) || !reports.contains(where: \.success) {
            if personOnly { return demonstrationsOnly }
            return .skip("uninformative group: every attempt \(reports.allSatisfy(\.success) ? "succeeded" : "failed")")
        }
        // A mixed group's successes also compete on speed (an all-success group already does).
        if !reports.allSatisfy(\.success),
           let speed = GroupAdvantage.successSpeedTerm(rewards: reports.map(\.reward), success: reports.map(\.success),
                                                       weight: settings.successSpeedWeight,
                                                       normalization: settings.advantageNormalization, stdFloor: settings.advantageStdFloor) {
            advantages = zip(advantages, speed).map(+)
        }
        // And its failures on how close they came (an all-failed group already does).
        if reports.contains(where: \.success), !reports.allSatisfy(\.success),
           let nearMiss = GroupAdvantage.failureProgressTerm(progress: reports.map(\.progress), success: reports.map(\.success),
                                                             weight: settings.failureProgressWeight,
                                                             minSpread: settings.zeroSuccessProgressSpread,
                                                             normalization: settings.advantageNormalization) {
            advantages = zip(advantages, nearMiss).map(+)
        }
        return .train(chosen: Self.selectForTraining(advantages: advantages, topK: settings.trainTopK), advantages: advantages)
    }

    /// No dead end at zero success: the advantages of a group where every attempt failed, from
    /// how close each came (`zero_success_progress_weight` x the group-normalised progress, its
    /// std floored at `zero_success_progress_std_floor`), or
    /// nil when the robot reported no progress for some attempt, the spread is below
    /// `zero_success_progress_spread`, or the weight is 0.
    func progressAdvantages(_ reports: [AttemptReport]) -> [Double]? {
        guard settings.zeroSuccessProgressWeight > 0, reports.count >= 2 else { return nil }
        let progress = reports.compactMap(\.progress)
        guard progress.count == reports.count, let lo = progress.min(), let hi = progress.max(),
              hi - lo >= max(settings.zeroSuccessProgressSpread, 1e-9) else { return nil }
        return GroupAdvantage.advantages(rewards: progress, normalization: settings.advantageNormalization,
                                         stdFloor: settings.zeroSuccessProgressStdFloor)?
            .map { $0 * settings.zeroSuccessProgressWeight }
    }

    /// The PPO update on the chosen attempts and `replay` (earlier accepted updates' groups,
    /// `replay_groups`), plus a draw of at most `demonstration_steps` of the
    /// stored demonstrations' steps (`demonstrations`: all of them; behaviour cloning only,
    /// advantage 0); then, when it was accepted, `cloner` is given and there are stored
    /// demonstrations, the cloning phase on every stored demonstration step and every step a
    /// person drove in the task's attempts (`BehaviourCloner`). Minibatches and draws come from the task's seed (offset from the
    /// attempts' own stream), so the same task updates alike in the daemon and offline.
    ///
    /// `fitNormaliser` (the policy is ttad's fresh initialisation, never updated, without a
    /// normaliser): before the cloning phase, the policy takes an observation normaliser fitted to
    /// the stored demonstrations' observations (std floored at `normaliserStdFloor`), so that its
    /// first features see the robot's observations on one scale (velocities of rad/s beside
    /// positions of centimetres otherwise drown the positions).
    static func update(_ trainer: PPOTrainer, cloner: BehaviourCloner? = nil, plan: TaskPlan, trajectories: [Trajectory], chosen: [Int],
                       advantages: [Double], demonstrations: Trajectory? = nil, replay: [(attempt: Trajectory, advantage: Double)] = [],
                       fitNormaliser: Bool = false) -> UpdateReport {
        var rng = PolicyRNG(seed: plan.seed &+ 0x9E37_79B9_7F4A_7C15)
        var group = chosen.map { trajectories[$0] }, groupAdvantages = chosen.map { advantages[$0] }
        group += replay.map(\.attempt)
        groupAdvantages += replay.map(\.advantage)
        if let demonstrations {
            let draw = demonstrationDraw(steps: demonstrations.steps, limit: trainer.config.demonstrationSteps, seed: plan.seed)
            group.append(demonstrations.subset(draw))
            groupAdvantages.append(0)
        }
        var report = trainer.update(group: group, advantages: groupAdvantages, rng: &rng)
        // Only with stored demonstrations: a few hundred takeover steps alone, fitted 50 times
        // over, bend a pretrained policy toward the states it stalled in (measured: reacher2's
        // cold start fell from 22.0% to 14.6% greedy; docs/experiment.md "Teaching it"). The demonstrations anchor it.
        guard report.accepted, let cloner, let demonstrations else { return report }
        if fitNormaliser, trainer.policy.normalizer == nil,
           let normaliser = ObservationNormalizer.fit(observations: demonstrations.observations, size: trainer.policy.config.observationSize,
                                                      stdFloor: normaliserStdFloor) {
            trainer.policy.setNormalizer(normaliser)
            report.normaliserFittedFrom = demonstrations.steps
        }
        var cloneRNG = PolicyRNG(seed: plan.seed &+ 0x2545_F491_4F6C_DD1D)
        let began = ContinuousClock.now
        let clone = cloner.fit(trajectories + [demonstrations], rng: &cloneRNG)
        let elapsed = (ContinuousClock.now - began).components
        report.seconds += Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18  // the whole update's wall time
        if clone.samples > 0 {
            report.cloneSteps = clone.steps
            report.cloneSamples = clone.samples
            report.cloneLoss = clone.steps > 0 ? clone.lastLoss : nil
            report.cloneRefusal = clone.refusal
        }
        return report
    }

    /// The attempts with the state-value baseline's per-step advantages set
    /// (`value_baseline_weight`), or unchanged when it is off, V is not warm yet, or the group
    /// does not mix successes and failures (an all-success group's speed ranking and an all-failed
    /// group's progress ranking are left as they are). The divisor is the group's own, as
    /// `trainingChoice` took it.
    static func withValueBaseline(_ trajectories: [Trajectory], reports: [AttemptReport], baseline: StateValueBaseline?,
                                  settings: AdaptationSettings) -> [Trajectory] {
        guard settings.valueBaselineWeight > 0, let baseline, baseline.isWarm, trajectories.count == reports.count,
              reports.contains(where: \.success), !reports.allSatisfy(\.success) else { return trajectories }
        let divisor = GroupAdvantage.divisor(rewards: reports.map(\.reward), normalization: settings.advantageNormalization,
                                             stdFloor: settings.advantageStdFloor)
        return trajectories.map { t in
            var t = t
            let values = baseline.values(observations: t.observations, count: t.steps)
            t.advantageOffsets = GroupAdvantage.valueBaselineOffsets(values: values, divisor: divisor, weight: settings.valueBaselineWeight)
            // A person's step is cloned, not ratio-weighted: it takes no advantage at all.
            for i in t.advantageOffsets.indices where t.isIntervened(i) { t.advantageOffsets[i] = 0 }
            return t
        }
    }

    /// Whether a task's attempts join the state value's fit: the baseline is on, the task adapts,
    /// ran to its end, and no attempt was ended by a hardware fault or an e-stop (their rewards
    /// say nothing about the states).
    static func fitsValueBaseline(_ reports: [AttemptReport], adapt: Bool, cancelled: Bool, settings: AdaptationSettings) -> Bool {
        settings.valueBaselineWeight > 0 && adapt && !cancelled && reports.count >= 2
            && !reports.contains(where: { $0.isHardwareFault || $0.interruption == .aborted(.estop) })
    }

    /// The least standard deviation a normaliser fitted to demonstrations divides by (observation
    /// units): a value the person's episodes never varied must not be blown up by 1/0.
    static let normaliserStdFloor: Float = 0.01

    /// At most `limit` of `steps` step indices, drawn without replacement from `seed` (a partial
    /// Fisher-Yates), in ascending order; all of them when there are no more than `limit`.
    static func demonstrationDraw(steps: Int, limit: Int, seed: UInt64) -> [Int] {
        guard steps > limit else { return Array(0..<steps) }
        var rng = PolicyRNG(seed: seed &+ 0xD1B5_4A32_D192_ED03)
        var order = Array(0..<steps)
        for i in 0..<limit { order.swapAt(i, i + Int(rng.next() % UInt64(steps - i))) }
        return order.prefix(limit).sorted()
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
}
