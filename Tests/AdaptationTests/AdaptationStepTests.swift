import Checkpoints
import Foundation
import Learning
import Policy
import Testing
@testable import Adaptation

/// The daemon's engine and ttad-lab's offline session take the same adaptation step.
@Suite struct AdaptationStepTests {
    /// The selective-training and adaptive-temperature switches on; a gate that never judges and a
    /// loose KL limit, so that neither a rollback nor a refused update (effects the offline session
    /// has no checkpoint for) separates the two paths.
    static let adaptation = "  adaptive_temperature: true\n  temperature_step: 0.1\n  train_top_k: 4\n  informative_groups_only: true\n  gate_min_attempts: 100000\n"

    /// Without and with the reuse of earlier groups (`replay_groups`) and the state-value baseline
    /// (`value_baseline_weight`), which each path keeps itself.
    @Test(arguments: [("  hard_kl: 10\n", ""), ("  hard_kl: 10\n  replay_groups: 2\n", ""), ("  hard_kl: 10\n", "  value_baseline_weight: 1\n")])
    func theEngineAndAnOfflineSessionMakeTheSameUpdatesWithTheDaemonsFiltersOn(learning: String, adaptation: String) throws {
        // A step deadline no loaded machine misses: a late step is a hardware fault on one path and
        // not the other, which is not what this test compares.
        let dir = try AdaptationEngineTests.robotFolder(adaptation: Self.adaptation + adaptation, learning: learning,
                                                        edits: [("step_deadline_ms: 100", "step_deadline_ms: 60000")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Both start from the shipped pretrained policy, which the engine picks up from its folder.
        let start = try CheckpointStore(directory: AdaptationEngineTests.repoRobots + "/checkpoints").load(id: "reacher2").policy
        _ = try CheckpointStore(directory: dir + "/robots/checkpoints").save(policy: start, optimizer: [], metadata: PolicyLineage.metadata(
            policy: start, robot: "reacher2", parent: nil, step: 0, metrics: [:], note: "test start"), as: "reacher2")
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let lab = try OfflineAdaptation(robotConfigPath: dir + "/robots/reacher2.yaml")
        #expect(lab.profile.settings.informativeGroupsOnly && lab.profile.settings.trainTopK == 4 && lab.profile.settings.adaptiveTemperature)
        let session = lab.session(start: start.copy(), reference: start.copy())

        var reasons: [String] = [], trained = 0, shifted = false, reused = 0
        for i in 0..<16 {
            // The experiment's dynamics shift: some groups all fail, which moves the adaptive shift.
            var plan = AdaptationEngineTests.plan(i)
            plan.dynamics = ["damping_scale": 3, "gear_scale": 0.6]
            let daemon = try engine.run(plan, observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
            let offline = try session.run(plan)
            #expect(offline.attempts.map(\.temperature) == daemon.attempts.map(\.temperature), "task \(i): the same (shifted) temperatures")
            #expect(offline.attempts.map(\.reward) == daemon.attempts.map(\.reward), "task \(i): the same attempts")
            #expect(offline.update.skipReason == daemon.update.skipReason, "task \(i): the same skip reason")
            #expect(offline.update.accepted == daemon.update.accepted, "task \(i): the same update")
            #expect(daemon.update.report?.refusal == nil, "task \(i): no refusal (its rollback has no offline counterpart)")
            let mine = session.policy.parameterSnapshot(), theirs = try engine.livePolicy(robot: "reacher2").parameterSnapshot()
            let gap = zip(mine, theirs).map { abs($0 - $1) }.max() ?? .infinity
            #expect(mine.count == theirs.count && gap <= 1e-6, "task \(i): the same parameters (largest gap \(gap))")
            reasons += daemon.update.skipReason.map { [$0] } ?? []
            if daemon.update.accepted { trained += 1 }
            reused += daemon.update.report?.replaySamples ?? 0
            #expect(offline.update.report?.replaySamples == daemon.update.report?.replaySamples, "task \(i): the same reused steps")
            if daemon.attempts.first?.temperature != plan.temperatureBase { shifted = true }
        }
        // The run exercised what the offline session used to leave out.
        #expect(reasons.contains { $0.hasPrefix("uninformative group") }, "informative_groups_only skipped a group: \(reasons)")
        #expect(trained > 0, "some update ran (on the top 4 attempts)")
        #expect(shifted, "the adaptive temperature shift moved the schedule")
        #expect((reused > 0) == learning.contains("replay_groups"), "earlier groups were reused exactly when asked: \(reused) steps")
        #expect((session.valueBaseline?.isWarm ?? false) == adaptation.contains("value_baseline"),
                "the state value was fitted (and warm) exactly when asked")
    }

    /// The state-value baseline shapes a mixed group's steps once V is warm, and nothing else: not
    /// an all-success group, not before warm-up, not with the weight 0; a person's step takes no offset.
    @Test func theValueBaselineShapesAMixedGroupsStepsOnceWarm() {
        let policy = Policy(config: PolicyConfig(observationSize: 2, actionSize: 1, hiddenSizes: [8], bins: 4), seed: 1)
        var rng = PolicyRNG(seed: 2)
        func attempt(_ x: Float, reward: Double) -> Trajectory {
            let obs: [Float] = (0..<6).flatMap { (t: Int) -> [Float] in [x * Float(t) / 5, 0.3] }
            return Trajectory(observations: obs, samples: policy.sample(observations: obs, temperatures: [Float](repeating: 1, count: 6), rng: &rng),
                              temperature: 1, reward: reward)
        }
        let value = StateValueBaseline(for: policy)
        var settings = AdaptationSettings()
        settings.valueBaselineWeight = 1
        var group = [attempt(1, reward: 0.8), attempt(-1, reward: 0), attempt(1, reward: 0.8), attempt(-1, reward: 0)]
        group[1].recordIntervention(executed: [0.5], policy: policy.config)
        let mixed = Self.group(steps: [25, nil, 25, nil])
        let allSuccess = Self.group(steps: [25, 30, 25, 30])
        #expect(AdaptationStep.withValueBaseline(group, reports: mixed, baseline: value, settings: settings).allSatisfy { $0.advantageOffsets.isEmpty },
                "cold: no offsets")
        for _ in 0..<value.config.warmupGroups + 4 { value.fit(group: group) }
        let shaped = AdaptationStep.withValueBaseline(group, reports: mixed, baseline: value, settings: settings)
        #expect(shaped.allSatisfy { $0.advantageOffsets.count == 6 && $0.advantageOffsets[0] == 0 })
        // V rises along the successes' path and falls along the failures': the successes' late
        // steps earn less (negative offsets), the failures' late steps are blamed less (positive).
        #expect(shaped[0].advantageOffsets[5] < -0.1 && shaped[2].advantageOffsets[5] < -0.1, "\(shaped[0].advantageOffsets)")
        #expect(shaped[3].advantageOffsets[5] > 0.1, "\(shaped[3].advantageOffsets)")
        #expect(shaped[1].advantageOffsets[5] == 0, "the person's step takes no offset")
        #expect(AdaptationStep.withValueBaseline(group, reports: allSuccess, baseline: value, settings: settings)
                    .allSatisfy { $0.advantageOffsets.isEmpty }, "an all-success group keeps its speed ranking")
        settings.valueBaselineWeight = 0
        #expect(AdaptationStep.withValueBaseline(group, reports: mixed, baseline: value, settings: settings).allSatisfy { $0.advantageOffsets.isEmpty })
    }

    @Test func topKTrainsOnTheAttemptsWithTheLargestAdvantagesAndTheRestAreLeftOut() {
        var settings = AdaptationSettings()
        settings.trainTopK = 2
        let step = AdaptationStep(settings: settings)
        let rewards = [0.0, 0.9, 0.0, 0.8, 0.0, 0.0]
        let reports = rewards.enumerated().map {
            AttemptReport(index: $0.offset, temperature: 0.6, steps: 10, success: $0.element > 0, reward: $0.element, interruption: nil, checkpoint: nil)
        }
        var shift = 0.0, gate: CheckpointGate? = nil
        let decision = step.decide(reports, context: .init(adapt: true), temperatureShift: &shift, gate: &gate)
        guard case .train(let chosen, let advantages) = decision.next else {
            Issue.record("a mixed group trains, got \(decision.next)")
            return
        }
        #expect(chosen == [1, 3], "the two successes stand furthest from the mean")
        #expect(advantages.count == 6)
        #expect(!decision.promote && gate == nil)
    }

    static func failures(progress: [Double?]) -> [AttemptReport] {
        progress.enumerated().map {
            AttemptReport(index: $0.offset, temperature: 0.6, steps: 50, success: false, reward: 0, interruption: nil, checkpoint: nil,
                          progress: $0.element)
        }
    }

    @Test func aGroupWhereEveryAttemptFailedLearnsFromHowCloseEachCame() {
        let step = AdaptationStep(settings: AdaptationSettings())
        var shift = 0.0, gate: CheckpointGate? = nil
        let decision = step.decide(Self.failures(progress: [0.2, 0.6, 0.3, 0.9]), context: .init(adapt: true), temperatureShift: &shift, gate: &gate)
        guard case .train(let chosen, let advantages) = decision.next else {
            Issue.record("an all-failed group with progress trains, got \(decision.next)")
            return
        }
        #expect(chosen == [0, 1, 2, 3])
        #expect(advantages[3] > advantages[1] && advantages[1] > advantages[2] && advantages[2] > advantages[0], "nearer is better")
        // Normalised progress times the weight: the spread of the advantages is the weight's.
        let mean = advantages.reduce(0, +) / 4
        let std = (advantages.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3).squareRoot()
        #expect(abs(mean) < 1e-9 && abs(std - AdaptationSettings().zeroSuccessProgressWeight) < 1e-4)
    }

    /// With `zero_success_progress_std_floor`, attempts that stopped a little apart push by as much
    /// as they differ (divided by the floor) instead of full size; a wide spread is untouched.
    @Test func aFloorOnTheProgressStdMakesASmallSpreadPushGently() throws {
        var settings = AdaptationSettings()
        #expect(settings.zeroSuccessProgressSpread == 0.01 && settings.zeroSuccessProgressStdFloor == 0.02, "the defaults since 1 December")
        settings.zeroSuccessProgressStdFloor = 0
        let close = [0.50, 0.52, 0.51, 0.515]
        var shift = 0.0, gate: CheckpointGate? = nil
        func advantages(_ progress: [Double]) throws -> [Double] {
            let next = AdaptationStep(settings: settings).decide(Self.failures(progress: progress), context: .init(adapt: true),
                                                                 temperatureShift: &shift, gate: &gate).next
            guard case .train(_, let a) = next else { throw TestFailure("expected to train, got \(next)") }
            return a
        }
        let full = try advantages(close)
        settings.zeroSuccessProgressStdFloor = 0.02
        let gentle = try advantages(close)
        let mean = close.reduce(0, +) / 4
        for (a, p) in zip(gentle, close) {
            #expect(abs(a - settings.zeroSuccessProgressWeight * (p - mean) / 0.02) < 1e-4, "floored: \(gentle)")
        }
        #expect(abs(gentle[1]) < abs(full[1]) / 2, "the floor (0.02) is above this group's std (0.0085): \(full) vs \(gentle)")
        let wide = [0.2, 0.6, 0.3, 0.9]
        settings.zeroSuccessProgressStdFloor = 0
        let plain = try advantages(wide)
        settings.zeroSuccessProgressStdFloor = 0.02
        #expect(try advantages(wide) == plain, "a spread far above the floor pushes as before")
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func anAllFailedGroupWithoutUsableProgressIsSkipped() {
        var off = AdaptationSettings()
        off.zeroSuccessProgressWeight = 0
        for (settings, progress, why) in [
            (AdaptationSettings(), [0.2, nil, 0.3, 0.9], "one attempt reported no progress"),
            (AdaptationSettings(), [0.500, 0.503, 0.501, 0.505], "a spread under zero_success_progress_spread is noise"),
            (off, [0.2, 0.6, 0.3, 0.9], "the weight 0 turns it off"),
        ] as [(AdaptationSettings, [Double?], String)] {
            var shift = 0.0, gate: CheckpointGate? = nil
            let decision = AdaptationStep(settings: settings).decide(Self.failures(progress: progress), context: .init(adapt: true),
                                                                     temperatureShift: &shift, gate: &gate)
            guard case .skip = decision.next else { Issue.record("\(why): expected a skip, got \(decision.next)"); continue }
        }
    }

    static func group(steps: [Int?], maxSteps: Int = 100) -> [AttemptReport] {
        steps.enumerated().map {
            let reward = $0.element.map { EfficiencyReward().reward(AttemptOutcome(success: true, steps: $0, maxSteps: maxSteps)) } ?? 0
            return AttemptReport(index: $0.offset, temperature: 0.6, steps: $0.element ?? maxSteps, success: $0.element != nil,
                                 reward: reward, interruption: nil, checkpoint: nil)
        }
    }

    /// The advantages a step trains a group with, or nil when it does not train.
    static func advantages(_ step: AdaptationStep, _ reports: [AttemptReport]) -> [Double]? {
        var shift = 0.0, gate: CheckpointGate? = nil
        guard case .train(_, let a) = step.decide(reports, context: .init(adapt: true), temperatureShift: &shift, gate: &gate).next
        else { return nil }
        return a
    }

    @Test func successSpeedWeightAddsTheSpeedTermToAMixedGroupOnly() throws {
        var settings = AdaptationSettings()
        settings.successSpeedWeight = 1
        let on = AdaptationStep(settings: settings), off = AdaptationStep(settings: AdaptationSettings())
        // A mixed group: two successes 20 steps apart, two failures.
        let mixed = Self.group(steps: [40, nil, 60, nil])
        let plain = try #require(Self.advantages(off, mixed)), withSpeed = try #require(Self.advantages(on, mixed))
        let term = try #require(GroupAdvantage.successSpeedTerm(rewards: mixed.map(\.reward), success: mixed.map(\.success),
                                                                weight: 1, stdFloor: settings.advantageStdFloor))
        for i in 0..<4 { #expect(abs(withSpeed[i] - (plain[i] + term[i])) < 1e-12) }
        #expect(withSpeed[0] - withSpeed[2] > plain[0] - plain[2] + 0.5, "the faster success gains on the slower one")
        #expect(withSpeed[1] == plain[1] && withSpeed[3] == plain[3], "failures keep their advantages")
        #expect(withSpeed[2] > withSpeed[1], "a slow success still outranks a failure")
        // An all-success group already ranks on speed: unchanged.
        let fast = Self.group(steps: [40, 50, 60, 45])
        #expect(try #require(Self.advantages(on, fast)) == (try #require(Self.advantages(off, fast))))
    }

    @Test func failureProgressWeightTellsAMixedGroupsFailuresApartByHowCloseTheyCame() throws {
        var settings = AdaptationSettings()
        settings.failureProgressWeight = 0.5
        let on = AdaptationStep(settings: settings), off = AdaptationStep(settings: AdaptationSettings())
        // Two successes, a near miss (0.9 of the way) and a failure that went nowhere (0.1).
        var mixed = Self.group(steps: [40, nil, 60, nil])
        for (i, p) in [(0, 1.0), (1, 0.9), (2, 1.0), (3, 0.1)] { mixed[i].progress = p }
        let plain = try #require(Self.advantages(off, mixed)), withNearMiss = try #require(Self.advantages(on, mixed))
        #expect(plain[1] == plain[3], "without the term every failure is pushed down alike")
        #expect(withNearMiss[1] > withNearMiss[3], "the near miss is pushed down less")
        #expect(withNearMiss[0] == plain[0] && withNearMiss[2] == plain[2], "successes keep their advantages")
        #expect(withNearMiss[1] < withNearMiss[2], "a near miss still ranks below the slowest success")
        // An all-failed group trains on progress alone (zero_success_progress_weight), not on this term too.
        let failed = Self.failures(progress: [0.2, 0.6, 0.3, 0.9])
        #expect(try #require(Self.advantages(on, failed)) == (try #require(Self.advantages(off, failed))))
    }
}
