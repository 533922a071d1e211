import Foundation
import Testing
import TTADTesting
import Wire

/// A real daemon on the default simulated robot, driven over its real sockets.
@Suite(.serialized) struct DaemonTaskTests {
    @Test func aTaskRunsNAttemptsAtTheScheduledTemperaturesAndIsRecorded() throws {
        let daemon = try DaemonProcess.serving()
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let accepted = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 4))
        #expect(accepted.temperatures.map { ($0 * 100).rounded() / 100 } == [0.6, 0.7, 0.8, 0.9])
        let info = try daemon.waitForTask(accepted.taskId)
        #expect(info.state == "done", "\(info)")
        #expect(info.attempts.map(\.index) == [0, 1, 2, 3])
        #expect(info.attempts.map { ($0.temperature * 100).rounded() / 100 } == [0.6, 0.7, 0.8, 0.9])
        for attempt in info.attempts {
            #expect(attempt.steps > 0)
            if attempt.success {
                #expect(attempt.reward > 0.5 && attempt.reward < 1, "efficiency reward 1/(1+steps/max) lies in (0.5, 1)")
            } else {
                #expect(attempt.reward == 0)
            }
            #expect(attempt.checkpoint == info.checkpoint && info.checkpoint != nil)
        }
        // Seed 4 on the shipped reacher2 checkpoint mixes successes and failures (success, failure,
        // success, failure; the attempts are seeded, so on every run): the group makes an update.
        let successes = info.attempts.filter(\.success).count
        try #require(successes > 0 && successes < info.attempts.count, "seed 4 no longer mixes: \(info.attempts.map(\.success))")
        #expect(info.updates.count == 1, "a group that mixes successes and failures makes one update")
        #expect(info.updates.allSatisfy { $0.learningRate.map { $0 > 0 } ?? false }, "each update says the learning rate it used")

        // The event socket told the same story.
        let finished = try events.events(until: { $0.taskId == accepted.taskId && $0.kind == .taskFinished }, deadline: .seconds(5))
            .filter { $0.taskId == accepted.taskId }
        #expect(finished.filter { $0.kind == .attemptFinished }.count == 4)
        #expect(finished.contains { $0.kind == .taskFinished && $0.state == "done" })

        let history = try client.call(Request(operation: .history), as: HistoryResult.self)
        #expect(history.tasks.first?.taskId == accepted.taskId)
        #expect(daemon.terminate() == 0)
    }

    @Test func badSubmitsNameTheFieldAndTheDaemonGoesOn() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        func refusal(_ args: SubmitArgs) -> WireError? {
            do { _ = try client.call(Request(operation: .submit, args: .submit(args)), as: SubmitResult.self); return nil } catch { return error as? WireError }
        }
        #expect(refusal(SubmitArgs(robot: "r2d2", task: "reach"))?.field == "args.robot")
        #expect(refusal(SubmitArgs(task: "juggle"))?.code == .invalidField)
        #expect(refusal(SubmitArgs(task: "reach", params: ["warp_factor": 9]))?.code == .invalidField)
        #expect(refusal(SubmitArgs(task: "reach", attempts: 0))?.field == "args.attempts")
        #expect(try client.call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test func aFullQueueRefusesClearlyAndDropsNothingSilently() throws {
        let daemon = try DaemonProcess.serving(extraConfig: "queue_capacity: 2")
        let client = try daemon.client()
        var accepted: [String] = []
        var fullReplies = 0
        for seed in 0..<8 {
            do {
                accepted.append(try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 16, adapt: false, seed: UInt64(seed)))), as: SubmitResult.self).taskId)
            } catch let error as WireError {
                #expect(error.code == .queueFull)
                fullReplies += 1
            }
        }
        #expect(fullReplies > 0 && accepted.count >= 2)
        let history = try client.call(Request(operation: .history), as: HistoryResult.self)
        #expect(Set(history.tasks.map(\.taskId)) == Set(accepted), "exactly the accepted tasks are recorded")
        #expect(daemon.terminate() == 0)
    }

    @Test func estopAbortsTheRunningAttemptAndLatchesUntilResume() throws {
        // A task that is surely still running when the e-stop lands: the bridge robot, served by
        // the real reference controller answering every step 50 ms late (50 steps: seconds per
        // attempt), with a step deadline that lateness cannot reach.
        let controller = try ControllerProcess.reference(["--fault", "late:50", "--verbose"])
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
            .replacingOccurrences(of: "step_deadline_ms: 100 ", with: "step_deadline_ms: 5000 ")
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        let running = try client.call(Request(operation: .submit, args: .submit(
            SubmitArgs(robot: "bridge-example", task: "reach", attempts: 16, adapt: false, seed: 1))), as: SubmitResult.self).taskId
        // A task queued behind it waits out the e-stop and runs after resume.
        let waiting = try client.call(Request(operation: .submit, args: .submit(
            SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 2))), as: SubmitResult.self).taskId
        // An attempt is stepping: the task is the running one and the controller has answered a step.
        #expect(try Poll.until(.seconds(60)) {
            try client.call(Request(operation: .status), as: StatusResult.self).runningTask == running
                && controller.log.contains("step seq=")
        }, "no attempt started\n\(daemon.log)\n\(controller.log)")

        _ = try client.call(Request(operation: .estop), as: AckResult.self)
        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "estopped")
        do {
            _ = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach"))), as: SubmitResult.self)
            Issue.record("submit must be refused while the e-stop is latched")
        } catch let error as WireError { #expect(error.code == .unavailable) }

        // The running attempt was aborted by the e-stop, and the task ended cancelled because of it.
        let info = try daemon.waitForTask(running)
        #expect(info.state == "cancelled" && info.detail == "e-stop", "\(info.state) \(info.detail ?? "nil")")
        #expect(info.attempts.contains { $0.abortReason == "estop" }, "\(info.attempts.map(\.abortReason))")
        #expect(info.attempts.count < 16, "the attempts after the e-stop did not run: \(info.attempts.count)")
        #expect(Poll.until(.seconds(10)) { controller.log.contains("estop seq=") }, "the controller was told: \(controller.log)")

        // Latched until resume; the queued task is not started against the latch meanwhile.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try client.call(Request(operation: .status), as: StatusResult.self).health == "estopped")
        let held = try client.call(Request(operation: .task, args: .task(TaskRef(taskId: waiting))), as: TaskInfo.self)
        #expect(held.state == "queued", "a queued task waits while the e-stop is latched: \(held.state) \(held.detail ?? "")")
        _ = try client.call(Request(operation: .resume), as: AckResult.self)
        #expect(try client.call(Request(operation: .status), as: StatusResult.self).health == "ok")
        #expect(try daemon.waitForTask(waiting).state == "done", "after resume it runs")
        #expect(daemon.terminate() == 0)
    }

    @Test func sighupAndReloadReReadTheRobotConfigsAndServingGoesOn() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        let ack = try client.call(Request(operation: .reload), as: AckResult.self)
        #expect(ack.message.contains("reacher2"))
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(Poll.until(.seconds(10)) { daemon.log.contains("(SIGHUP)") })
        #expect(daemon.log.contains("reloaded robot-configs (SIGHUP)"))
        #expect(try client.call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test func sigtermDuringATaskStopsSafelyAndTheTaskShowsInterrupted() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 64, seed: 3))), as: SubmitResult.self).taskId
        #expect(try Poll.until(.seconds(30), every: .milliseconds(10)) {
            try client.call(Request(operation: .status), as: StatusResult.self).runningTask == id
        })
        #expect(daemon.terminate() == 0, "SIGTERM exits 0\n\(daemon.log)")
        let again = try DaemonProcess.serving(stateDirectory: daemon.stateDirectory)
        let info = try again.client().call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self)
        #expect(["interrupted", "done"].contains(info.state), "\(info.state)")
        #expect(again.terminate() == 0)
    }
}
