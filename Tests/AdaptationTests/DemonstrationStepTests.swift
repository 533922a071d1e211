import Testing
@testable import Adaptation

/// The adaptation step with stored demonstrations (docs/learning.md "Demonstrations"): a group
/// with no informative advantage trains on them; a skip for safety or health stands.
@Suite struct DemonstrationStepTests {
    static func group(rewards: [Double], abort: AttemptInterruption? = nil) -> [AttemptReport] {
        rewards.enumerated().map {
            AttemptReport(index: $0.offset, temperature: 0.6, steps: 10, success: $0.element > 0, reward: $0.element,
                          interruption: $0.offset == 0 ? abort : nil, checkpoint: nil)
        }
    }

    static func decide(_ reports: [AttemptReport], _ context: AdaptationStep.Context) -> AdaptationStep.Decision.Next {
        var shift = 0.0, gate: CheckpointGate? = nil
        var settings = AdaptationSettings()
        settings.informativeGroupsOnly = true
        return AdaptationStep(settings: settings).decide(reports, context: context, temperatureShift: &shift, gate: &gate).next
    }

    @Test func aGroupWithoutInformativeAdvantagesTrainsOnTheDemonstrationsAlone() {
        var with = AdaptationStep.Context(adapt: true)
        with.demonstrations = true
        let alike = Self.group(rewards: [0.8, 0.8, 0.8, 0.8])
        let allSucceeded = Self.group(rewards: [0.8, 0.7, 0.9, 0.8])
        for reports in [alike, allSucceeded] {
            #expect(Self.decide(reports, with) == .train(chosen: [], advantages: [0, 0, 0, 0]))
            guard case .skip = Self.decide(reports, .init(adapt: true)) else { Issue.record("without demonstrations: a skip as before"); continue }
        }
        // An informative group trains on its own attempts, demonstrations or not.
        let mixed = Self.group(rewards: [0.8, 0, 0.9, 0])
        #expect(Self.decide(mixed, with) == Self.decide(mixed, .init(adapt: true)))
    }

    @Test func aGroupWithoutInformativeAdvantagesTrainsOnThePersonsTakeovers() {
        var with = AdaptationStep.Context(adapt: true)
        with.intervenedAttempts = [1, 3]
        let alike = Self.group(rewards: [0, 0, 0, 0])
        // The attempts a person drove steps of train at advantage 0: only their driven steps move the policy.
        #expect(Self.decide(alike, with) == .train(chosen: [1, 3], advantages: [0, 0, 0, 0]))
        guard case .skip = Self.decide(alike, .init(adapt: true)) else { Issue.record("without takeovers: a skip as before"); return }
        // And stored demonstrations with them: the same attempts, the demonstrations join in the update.
        with.demonstrations = true
        #expect(Self.decide(alike, with) == .train(chosen: [1, 3], advantages: [0, 0, 0, 0]))
        let mixed = Self.group(rewards: [0.8, 0, 0.9, 0])
        #expect(Self.decide(mixed, with) == Self.decide(mixed, .init(adapt: true)))
    }

    @Test func aSkipForSafetyOrHealthStandsWithDemonstrations() {
        let alike = Self.group(rewards: [0.8, 0.8, 0.8, 0.8])
        var faulted = AdaptationStep.Context(adapt: true)
        faulted.demonstrations = true
        faulted.intervenedAttempts = [2]
        for (reports, change) in [
            (Self.group(rewards: [0, 0.8, 0.8, 0.8], abort: .aborted(.hardwareFault("late"))), { (_: inout AdaptationStep.Context) in }),
            (alike, { (c: inout AdaptationStep.Context) in c.adapt = false }),
            (alike, { (c: inout AdaptationStep.Context) in c.adapting = false; c.degraded = "paused" }),
            (alike, { (c: inout AdaptationStep.Context) in c.cancelled = true }),
            (alike, { (c: inout AdaptationStep.Context) in c.policyChanged = true }),
        ] {
            var context = faulted
            change(&context)
            guard case .skip = Self.decide(reports, context) else { Issue.record("expected a skip for \(context)"); continue }
        }
    }

    @Test func eachDemonstrationEpisodeIsItsOwnTaskButATrainingTasksAttemptsShareOne() {
        func plan(demonstration: Bool) -> TaskPlan {
            TaskPlan(id: "d", robot: "r", task: "reach", params: [:], dynamics: [:], attempts: 3, temperatureBase: 0, temperatureRange: 0,
                     rewardMode: .efficiency, adapt: false, priority: 0, seed: 42, demonstration: demonstration)
        }
        let seeds = plan(demonstration: true).attemptSeeds
        #expect(seeds == (0..<3).map { TaskPlan.evaluationTaskSeed(42, $0) } && Set(seeds ?? []).count == 3)
        #expect(plan(demonstration: false).attemptSeeds == nil, "a group's attempts face the same task")
    }

    @Test func theDrawIsBoundedDeterministicAndWholeWhenSmall() {
        #expect(AdaptationStep.demonstrationDraw(steps: 30, limit: 512, seed: 1) == Array(0..<30))
        let a = AdaptationStep.demonstrationDraw(steps: 2000, limit: 512, seed: 7)
        #expect(a.count == 512 && Set(a).count == 512 && a == a.sorted() && a.allSatisfy { (0..<2000).contains($0) })
        #expect(a == AdaptationStep.demonstrationDraw(steps: 2000, limit: 512, seed: 7))
        #expect(a != AdaptationStep.demonstrationDraw(steps: 2000, limit: 512, seed: 8))
    }
}
