import Foundation
import Testing
@testable import Adaptation

/// The engine with `success_judged_by: operator` on the real simulated reacher: a person who
/// labels every attempt as the simulator judged it (posting through the engine's label board, as
/// the daemon's `label` op does) gives exactly the outcome and update of the robot-judged engine.
@Suite struct OperatorLabelEngineTests {
    /// Labels each attempt through the board as soon as it is announced: the robot's own verdict.
    final class HonestPerson: AdaptationObserver {
        let board: LabelBoard
        var announced: [Int] = []
        init(board: LabelBoard) { self.board = board }
        func attemptNeedsLabel(_ plan: TaskPlan, _ report: AttemptReport) {
            announced.append(report.index)
            let truth = board.slot(task: plan.id, attempt: report.index)!.robotSuccess
            _ = try? board.post(task: plan.id, attempt: report.index, success: truth, by: "test")
        }
        func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
        func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {}
        func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {}
        func checkpointEvent(_ event: CheckpointEvent, taskId: String?) {}
        func heartbeat() {}
    }

    @Test func exactLabelsThroughTheBoardTrainAsTheRobotsOwnJudgementDoes() throws {
        let robotDir = try AdaptationEngineTests.robotFolder()
        let operatorDir = try AdaptationEngineTests.robotFolder(adaptation: "  success_judged_by: operator\n  label_deadline_seconds: 60\n")
        defer { for dir in [robotDir, operatorDir] { try? FileManager.default.removeItem(atPath: dir) } }
        let robot = try AdaptationEngine(robotConfigDirectory: robotDir + "/robots", stateDirectory: robotDir + "/state", defaultRobot: "reacher2")
        let judged = try AdaptationEngine(robotConfigDirectory: operatorDir + "/robots", stateDirectory: operatorDir + "/state", defaultRobot: "reacher2")
        let person = HonestPerson(board: judged.labels)
        var updates = 0
        for i in 0..<4 {
            let plan = AdaptationEngineTests.plan(i, attempts: 4)
            let a = try robot.run(plan, observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
            let b = try judged.run(plan, observer: person, cancellation: Cancellation())
            #expect(a.attempts.map(\.success) == b.attempts.map(\.success))
            #expect(a.attempts.map(\.reward) == b.attempts.map(\.reward))
            #expect(a.attempts.map(\.steps) == b.attempts.map(\.steps))
            #expect(b.attempts.allSatisfy { $0.judgedByOperator && $0.label == $0.success })
            #expect(a.update.skipReason == b.update.skipReason)
            #expect(a.update.report?.approxKL == b.update.report?.approxKL)
            #expect(a.update.report?.samples == b.update.report?.samples)
            if a.update.accepted { updates += 1 }
        }
        #expect(person.announced.count == 16)
        #expect(updates > 0, "some task made an update to compare")
    }

    @Test func unlabelledAttemptsAreLeftOutAndTooFewSkipTheUpdateNamingTheDeadline() throws {
        let dir = try AdaptationEngineTests.robotFolder(adaptation: "  success_judged_by: operator\n  label_deadline_seconds: 1\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let outcome = try engine.run(AdaptationEngineTests.plan(0, attempts: 3), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        #expect(outcome.update.skipReason?.contains("only 0 of 3 attempt(s) awaiting a label were labelled by the deadline (label_deadline_seconds 1)") == true,
                "\(outcome.update)")
        #expect(outcome.attempts.allSatisfy { $0.awaitingLabel && !$0.success && $0.reward == 0 })
    }
}
