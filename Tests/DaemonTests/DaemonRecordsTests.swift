import Adaptation
import Foundation
import History
import Robots
import Testing
import TTADTesting
import Wire
@testable import Daemon

/// What the daemon records says what happened: the right robot's checkpoint, a person's rollback
/// with its robot and previous checkpoint, totals that survive a restart, and a task that never
/// got to try recorded as failed.
@Suite(.serialized) struct DaemonRecordsTests {
    static func report(_ index: Int, _ interruption: AttemptInterruption?, success: Bool = false) -> AttemptReport {
        AttemptReport(index: index, temperature: 0.6, steps: 3, success: success, reward: success ? 0.9 : 0,
                      interruption: interruption, checkpoint: "c")
    }

    static func outcome(_ attempts: [AttemptReport], cancelled: Bool = false) -> TaskOutcome {
        TaskOutcome(checkpoint: "c", attempts: attempts, update: .skipped(reason: "test"), cancelled: cancelled)
    }

    @Test("a task whose every attempt ended in a hardware fault ends failed, naming the first fault")
    func allHardwareFaultsFail() {
        let faults = (0..<4).map { Self.report($0, .aborted(.hardwareFault("step 1: observation[2] is nan"))) }
        let (state, detail) = ControlLoop.end(of: Self.outcome(faults), cancelled: nil)
        #expect(state == .failed)
        #expect(detail?.contains("every attempt (4) ended in a hardware fault") == true && detail?.contains("observation[2] is nan") == true,
                "\(detail ?? "")")
        // One attempt the policy really tried is enough for the task to be done.
        let mixed = faults.dropLast() + [Self.report(3, nil, success: true)]
        #expect(ControlLoop.end(of: Self.outcome(Array(mixed)), cancelled: nil).0 == .done)
        let safety = (0..<2).map { Self.report($0, .aborted(.safety("joint limit"))) }
        #expect(ControlLoop.end(of: Self.outcome(safety), cancelled: nil).0 == .done, "a safety abort is the policy's doing, not the robot's")
    }

    @Test("a task cut short is interrupted by a shutdown and cancelled by a person or the e-stop")
    func cutShortTasks() {
        let cut = Self.outcome([Self.report(0, .cancelled)], cancelled: true)
        #expect(ControlLoop.end(of: cut, cancelled: .shutdown) == (.interrupted, "daemon stopping"))
        #expect(ControlLoop.end(of: cut, cancelled: .request) == (.cancelled, "cancelled by request"))
        #expect(ControlLoop.end(of: cut, cancelled: .estop) == (.cancelled, "e-stop"))
    }

    @Test("a task on another robot runs and is recorded on that robot's checkpoint, not the default's")
    func otherRobotsCheckpoint() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.robot == "reacher2")
        let submitted = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(robot: "pusher", task: "push", attempts: 1, adapt: false, seed: 1))),
                                        as: SubmitResult.self)
        let info = try daemon.waitForTask(submitted.taskId)
        let list = try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self)
        let pusher = try #require(list.checkpoints.first { $0.robot == "pusher" && $0.live }, "the pusher has a live checkpoint")
        #expect(info.checkpoint == pusher.id, "the task names the pusher's checkpoint")
        #expect(info.checkpoint != status.checkpoint, "not the default robot's")
        #expect(info.attempts.allSatisfy { $0.checkpoint == pusher.id })
        #expect(daemon.terminate() == 0)
    }

    @Test("a person's rollback is recorded with its robot and previous checkpoint, and status's totals survive a restart")
    func rollbackAndTotals() throws {
        let state = NSTemporaryDirectory() + "ttad-records-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var before: StatusResult
        do {
            let daemon = try DaemonProcess.serving(stateDirectory: state)
            let client = try daemon.client()
            for seed in 0..<2 {
                let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: UInt64(seed)))),
                                         as: SubmitResult.self).taskId
                #expect(try daemon.waitForTask(id).state == "done")
            }
            let ack = try client.call(Request(operation: .rollback, args: .rollback(RollbackArgs(reason: "operator check"))), as: AckResult.self)
            #expect(ack.message.contains("reacher2"), "the reply names the robot: \(ack.message)")
            before = try client.call(Request(operation: .status), as: StatusResult.self)
            #expect(before.tasksDone == 2 && before.rollbacks == 1, "\(before)")
            // The report counts it like status does, and says where it came.
            let page = daemon.directory + "/report.html"
            let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", page])
            let printed = report.output
            #expect(report.status == 0 && printed.contains("1 rollbacks"), "\(printed)")
            #expect(printed.contains("rollback after task 2 on reacher2") && printed.contains("operator check"), "\(printed)")
            let html = try String(contentsOfFile: page, encoding: .utf8)
            #expect(html.contains("operator check (not caused by a task)") && html.contains("<h2>Rollbacks</h2>"))
            #expect(daemon.terminate() == 0)
        }
        let history = try HistoryStore(path: state + "/history.sqlite")
        let rollbacks = try history.checkpointEvents(kind: "rollback")
        let rollback = try #require(rollbacks.first)
        #expect(rollbacks.count == 1 && rollback.robot == "reacher2" && rollback.fromCheckpoint == before.checkpoint
                && rollback.reason == "operator check" && rollback.taskId == nil, "\(rollbacks)")

        let again = try DaemonProcess.serving(stateDirectory: state)
        let after = try again.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(after.tasksDone == before.tasksDone && after.rollbacks == before.rollbacks
                && after.updatesAccepted == before.updatesAccepted && after.updatesRefused == before.updatesRefused,
                "counted from the history, not from zero: \(after)")
        #expect(again.terminate() == 0)
    }
}
