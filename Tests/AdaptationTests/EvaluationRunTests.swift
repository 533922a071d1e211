import Foundation
import Testing
@testable import Adaptation

/// An evaluation plan on the real engine and the real simulated reacher: it measures the live
/// policy and changes nothing the adaptation loop keeps.
@Suite struct EvaluationRunTests {
    static func evaluation(_ id: String, tasks: Int = 6, seed: UInt64 = 0) -> TaskPlan {
        TaskPlan(id: id, robot: "reacher2", task: "reach", params: [:], dynamics: [:], attempts: tasks,
                 temperatureBase: 0.6, temperatureRange: 0.3, rewardMode: .efficiency, adapt: true, priority: 0, seed: seed,
                 evaluation: true)
    }

    @Test func anEvaluationRunsGreedyAttemptsOnFixedTasksAndLeavesGateShiftAndPolicyAlone() throws {
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        // A training task first, so the gate has a record an evaluation could disturb.
        _ = try engine.run(AdaptationEngineTests.plan(1), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        let lineage = try #require(engine.lineages["reacher2"])
        let (gate, shift, live, generation) = engine.withLock { (lineage.gate, lineage.temperatureShift, lineage.live, lineage.generation) }

        let recorder = AdaptationEngineTests.Recorder()
        // adapt: true and a temperature schedule in the plan are ignored: an evaluation is greedy and learns nothing.
        let first = try engine.run(Self.evaluation("e1"), observer: recorder, cancellation: Cancellation())
        let second = try engine.run(Self.evaluation("e2"), observer: recorder, cancellation: Cancellation())
        #expect(first.attempts.map(\.index) == Array(0..<6))
        #expect(first.attempts.allSatisfy { $0.temperature == 0 }, "\(first.attempts.map(\.temperature))")
        #expect(first.update == .skipped(reason: "evaluation"))
        #expect(recorder.updates.isEmpty && recorder.events.isEmpty, "no update and no checkpoint event")
        // The same set and the same policy, greedy: the same K outcomes.
        #expect(first.attempts.map(\.steps) == second.attempts.map(\.steps))
        #expect(first.attempts.map(\.success) == second.attempts.map(\.success))
        engine.withLock {
            #expect(lineage.gate == gate, "the gate's record is untouched")
            #expect(lineage.temperatureShift == shift)
            #expect(lineage.live == live && lineage.generation == generation, "the live policy is the one before")
        }
        #expect(first.checkpoint == live)
    }

    @Test func evaluationTaskSeedsDependOnlyOnTheSetAndIndexAndNeverLookLikeASubmitsRandomSeed() {
        let set0 = (0..<50).map { TaskPlan.evaluationTaskSeed(0, $0) }
        #expect(set0 == (0..<50).map { TaskPlan.evaluationTaskSeed(0, $0) })
        #expect(Set(set0).count == 50, "the K tasks differ from one another")
        #expect(set0 != (0..<50).map { TaskPlan.evaluationTaskSeed(1, $0) }, "another seed, another set")
        // A submit's random seed is drawn from 0...Int64.max: the top bit is never set.
        #expect(set0.allSatisfy { $0 > UInt64(Int64.max) })
    }
}
