import Foundation
import Testing
@testable import Adaptation

/// The board where operator labels meet the update that waits for them: what a label is told,
/// and that every wait ends (all labelled, the last deadline, or cut short) and feeds the watchdog.
@Suite struct LabelBoardTests {
    static func slot(deadline: Double, robotSuccess: Bool = true) -> LabelBoard.Slot {
        LabelBoard.Slot(deadline: deadline, robotSuccess: robotSuccess, rewardIfSuccess: 0.6, rewardIfFailure: 0)
    }

    @Test func labelsAreTakenOnceAndWrongOnesRefusedByName() throws {
        let board = LabelBoard()
        let later = Date().timeIntervalSince1970 + 600
        board.begin(task: "t1", attempts: 4)
        board.open(task: "t1", attempt: 0, slot: Self.slot(deadline: later))
        board.open(task: "t1", attempt: 1, slot: Self.slot(deadline: Date().timeIntervalSince1970 - 1))
        board.settle(task: "t1", attempt: 2, why: "safety_abort: joint 0 past its limit")

        #expect(try board.post(task: "t1", attempt: 0, success: true, by: "alice") == .accepted(reward: 0.6))
        #expect(throws: LabelBoard.Refusal.self) { try board.post(task: "t1", attempt: 0, success: false, by: nil) }
        do { _ = try board.post(task: "t1", attempt: 0, success: false, by: nil) } catch {
            #expect(error.kind == .alreadyLabelled && error.description.contains("already labelled success by alice"), "\(error)")
        }
        if case .late = try board.post(task: "t1", attempt: 1, success: true, by: nil) {} else { Issue.record("a label past its deadline is late") }
        do { _ = try board.post(task: "t1", attempt: 2, success: true, by: nil) } catch {
            #expect(error.kind == .notAwaiting && error.description.contains("safety_abort"), "\(error)")
        }
        do { _ = try board.post(task: "t1", attempt: 3, success: true, by: nil) } catch {
            #expect(error.kind == .notFinished, "\(error)")
        }
        do { _ = try board.post(task: "t1", attempt: 4, success: true, by: nil) } catch {
            #expect(error.kind == .outOfRange && error.description.contains("4 attempts (0 to 3)"), "\(error)")
        }
        #expect(try board.post(task: "t2", attempt: 0, success: true, by: nil) == .notOnBoard)
    }

    @Test func aWaitEndsWhenEveryAttemptIsLabelledAndTheTaskLeavesTheBoard() throws {
        let board = LabelBoard(pollInterval: 0.05)
        board.begin(task: "t", attempts: 2)
        for i in 0..<2 { board.open(task: "t", attempt: i, slot: Self.slot(deadline: Date().timeIntervalSince1970 + 3600)) }
        let labeller = Thread {
            Thread.sleep(forTimeInterval: 0.1)
            _ = try? board.post(task: "t", attempt: 0, success: true, by: nil)
            _ = try? board.post(task: "t", attempt: 1, success: false, by: nil)
        }
        labeller.start()
        let (end, slots) = board.wait(task: "t", heartbeat: {}, interrupted: { nil })
        #expect(end == .complete)
        #expect(slots[0]?.label == true && slots[1]?.label == false)
        #expect(board.awaiting == nil)
        #expect(try board.post(task: "t", attempt: 0, success: true, by: nil) == .notOnBoard)
    }

    @Test func aWaitEndsAtTheLastDeadlineFeedingTheWatchdogMeanwhile() throws {
        let board = LabelBoard(pollInterval: 0.05)
        board.begin(task: "t", attempts: 3)
        let now = Date().timeIntervalSince1970
        board.open(task: "t", attempt: 0, slot: Self.slot(deadline: now + 0.2))
        board.open(task: "t", attempt: 1, slot: Self.slot(deadline: now + 0.4))
        board.open(task: "t", attempt: 2, slot: Self.slot(deadline: now + 0.4))
        _ = try board.post(task: "t", attempt: 2, success: true, by: nil)
        var beats = 0
        var seen: [LabelBoard.Awaiting] = []
        let (end, slots) = board.wait(task: "t", heartbeat: { beats += 1; if let a = board.awaiting { seen.append(a) } }, interrupted: { nil })
        #expect(end == .deadline)
        #expect(Date().timeIntervalSince1970 >= now + 0.4, "not before the last deadline")
        #expect(beats >= 2, "the wait wakes to feed the watchdog")
        #expect(seen.first?.missing == [0, 1] && seen.first?.task == "t")
        #expect(slots[2]?.label == true && slots[0]?.label == nil && slots[1]?.label == nil)
    }

    @Test func aWaitIsCutShortByWhatInterruptsIt() {
        let board = LabelBoard(pollInterval: 0.05)
        board.begin(task: "t", attempts: 1)
        board.open(task: "t", attempt: 0, slot: Self.slot(deadline: Date().timeIntervalSince1970 + 3600))
        var polls = 0
        let (end, _) = board.wait(task: "t", heartbeat: {}, interrupted: { polls += 1; return polls >= 3 ? "e-stop" : nil })
        #expect(end == .interrupted("e-stop"))
        #expect(board.awaiting == nil)
    }
}
