import Foundation
import Testing
import TTADTesting
import Wire

/// Operator labels (`success_judged_by: operator`) against a real daemon on the in-process
/// MuJoCo reacher2: attempts end pending and are announced, a person labels them through
/// `ttactl label` or the wire, the update waits for the labels up to the deadline and trains on
/// the labelled attempts only, and every wrong label is refused naming what was wrong.
@Suite(.serialized) struct DaemonLabelTests {
    /// A robot-config folder holding reacher2 judged by a person, labels counting `deadline` seconds.
    static func operatorJudgedRobots(deadline: Int, replacing: [(String, String)] = []) throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-labels-\(UUID().uuidString.prefix(8))"
        let robots = DaemonProcess.robotConfigs
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var yaml = try String(contentsOfFile: robots + "/reacher2.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "\nadaptation:\n",
                                         with: "\nadaptation:\n  success_judged_by: operator\n  label_deadline_seconds: \(deadline)\n")
        for (old, new) in replacing {
            precondition(yaml.contains(old), "reacher2.yaml has no \(old)")
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        try yaml.write(toFile: dir + "/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/models", withDestinationPath: robots + "/models")
        try FileManager.default.createSymbolicLink(atPath: dir + "/checkpoints", withDestinationPath: robots + "/checkpoints")
        return dir
    }

    static func label(_ client: WireClient, _ task: String, _ attempt: Int, _ outcome: LabelArgs.Outcome, by: String? = "tester") throws -> LabelResult {
        try client.call(Request(operation: .label, args: .label(LabelArgs(task: task, attempt: attempt, outcome: outcome, by: by))), as: LabelResult.self)
    }

    /// The wire error a request gets (fails the test when it succeeds).
    static func refusal(_ body: () throws -> some Any) -> WireError? {
        do { _ = try body(); return nil } catch let error as WireError { return error } catch { return nil }
    }

    @Test func operatorJudgedAttemptsArePendingAnnouncedAndLabelledThroughTTACtl() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 120)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 3)).taskId

        let seen = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 3 }, deadline: .seconds(60))
        let announced = seen.filter { $0.kind == .attemptNeedsLabel && $0.taskId == id }
        #expect(announced.map(\.attempt) == [0, 1, 2, 3], "\(seen.map(\.kind))\n\(daemon.log)")
        #expect(announced.allSatisfy { ($0.labelDeadline ?? 0) > Date().timeIntervalSince1970 && $0.steps != nil })

        // The update waits: the task still runs, its attempts are pending, and status says what is missing.
        // (The last attempt's event goes out just before the wait begins: ask until status shows it.)
        var status = try client.call(Request(operation: .status), as: StatusResult.self)
        let clock = ContinuousClock(), asked = clock.now
        while status.awaitingLabels == nil, clock.now < asked + .seconds(10) {
            Thread.sleep(forTimeInterval: 0.05)
            status = try client.call(Request(operation: .status), as: StatusResult.self)
        }
        #expect(status.runningTask == id)
        #expect(status.awaitingLabels?.task == id)
        #expect(status.awaitingLabels?.missing == [0, 1, 2, 3])
        let pending = try client.call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self)
        #expect(pending.state == "running")
        #expect(pending.attempts.map(\.outcome) == ["pending", "pending", "pending", "pending"])
        #expect(pending.attempts.allSatisfy { !$0.success })
        let shown = try TTACtlRunner.run(["task", id, "--endpoint", daemon.endpoint])
        #expect(shown.output.contains("[pending; label index 0]") && shown.output.contains("[pending; label index 3]"), "\(shown.output)")

        for (attempt, outcome) in [(0, "success"), (1, "failure"), (2, "success"), (3, "failure")] {
            let run = try TTACtlRunner.run(["label", id, "\(attempt)", outcome, "--by", "alice", "--endpoint", daemon.endpoint])
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("labelled \(outcome)"), "\(run.output)")
        }
        let info = try daemon.waitForTask(id)
        #expect(info.state == "done", "\(info.detail ?? "")\n\(daemon.log)")
        #expect(info.attempts.map(\.outcome) == ["success", "failure", "success", "failure"])
        #expect(info.attempts.map(\.success) == [true, false, true, false])
        #expect(info.attempts.allSatisfy { $0.labelledBy == "alice" && $0.labelLate == false && $0.labelledAt != nil })
        // A labelled success earns the efficiency reward from its own steps.
        for attempt in info.attempts where attempt.success {
            #expect(abs(attempt.reward - 1 / (1 + Double(attempt.steps) / 50)) < 1e-9)
        }
        let update = try #require(info.updates.first, "no update ran\n\(daemon.log)")
        #expect(update.samples == info.attempts.map(\.steps).reduce(0, +))
        #expect(daemon.log.contains("awaits a label"))
    }

    @Test func theUpdateTrainsOnTheAttemptsLabelledByTheDeadline() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 3)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 5)).taskId
        _ = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 3 }, deadline: .seconds(60))
        #expect(try Self.label(client, id, 1, .success).used)
        #expect(try Self.label(client, id, 2, .failure).used)

        let updated = try events.events(until: { $0.kind == .updateFinished && $0.taskId == id }, deadline: .seconds(60))
        let update = try #require(updated.last?.update, "\(daemon.log)")
        #expect(update.skipped == nil, "\(update.skipped ?? "")")
        let info = try daemon.waitForTask(id)
        #expect(info.attempts.map(\.outcome) == ["unlabelled", "success", "failure", "unlabelled"])
        // Only the two labelled attempts trained.
        #expect(update.samples == info.attempts[1].steps + info.attempts[2].steps, "\(info.attempts.map(\.steps))")
    }

    @Test func withNoLabelsByTheDeadlineTheUpdateIsSkippedAndALateLabelIsKeptButNotUsed() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 1)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 7)).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.state == "done")
        #expect(info.updates.isEmpty)
        #expect(info.attempts.map(\.outcome) == Array(repeating: "unlabelled", count: 4))
        #expect(daemon.log.contains("only 0 of 4 attempt(s) awaiting a label were labelled by the deadline (label_deadline_seconds 1)"), "\(daemon.log)")

        let late = try Self.label(client, id, 2, .success)
        #expect(!late.used && late.late)
        #expect(late.message.contains("late"))
        let after = try daemon.waitForTask(id)
        #expect(after.attempts[2].label == "success")
        #expect(after.attempts[2].labelLate == true)
        #expect(after.attempts[2].outcome == "unlabelled")
        #expect(after.attempts[2].success == false)
        // The export carries the label beside the outcome it did not change.
        let export = try TTACtlRunner.run(["export", "--format", "jsonl", "--kind", "attempts", "--endpoint", daemon.endpoint])
        #expect(export.status == 0, "\(export.errors)")
        let rows = export.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let row = try #require(rows.first { $0["task_id"] as? String == id && $0["index"] as? Int == 2 }, "\(export.output)")
        #expect(row["label"] as? String == "success")
        #expect(row["label_late"] as? Bool == true)
        #expect(row["outcome"] as? String == "unlabelled")
        #expect(row["success"] as? Bool == false)
    }

    @Test func badLabelsAreRefusedNamingWhatWasWrong() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 1)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 9)).taskId
        _ = try daemon.waitForTask(id)

        let unknown = Self.refusal { try Self.label(client, "t-nosuchtask", 0, .success) }
        #expect(unknown?.code == .notFound && unknown?.message.contains("no task") == true, "\(String(describing: unknown))")
        let range = Self.refusal { try Self.label(client, id, 9, .success) }
        #expect(range?.code == .invalidField && range?.field == "args.attempt" && range?.message.contains("2 attempts (0 to 1)") == true,
                "\(String(describing: range))")
        _ = try Self.label(client, id, 0, .failure)
        let twice = Self.refusal { try Self.label(client, id, 0, .success) }
        #expect(twice?.code == .conflict && twice?.message.contains("already labelled failure") == true, "\(String(describing: twice))")

        var word = LabelArgs(task: id, attempt: 1, outcome: .success)
        word.outcome = "maybe"
        let bad = Self.refusal { try client.call(Request(operation: .label, args: .label(word)), as: LabelResult.self) }
        #expect(bad?.code == .invalidField && bad?.field == "args.outcome" && bad?.message.contains("maybe") == true, "\(String(describing: bad))")
        let ttactl = try TTACtlRunner.run(["label", id, "1", "maybe", "--endpoint", daemon.endpoint])
        #expect(ttactl.status != 0)
        #expect(ttactl.errors.contains("success or failure"), "\(ttactl.errors)")
    }

    @Test func anAttemptTheSafetyEnvelopeEndedIsAFailureThatTakesNoLabel() throws {
        // 1 rad/s: any reaching motion passes it, so the envelope ends every attempt.
        let robots = try Self.operatorJudgedRobots(deadline: 3600, replacing: [("joint_velocity_limit: 60", "joint_velocity_limit: 1")])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 17)).taskId
        // Nothing to wait for: the task ends without a person (the deadline is an hour away).
        let info = try daemon.waitForTask(id, deadline: .seconds(60))
        #expect(info.state == "done")
        #expect(info.attempts.allSatisfy { $0.abortReason?.hasPrefix("safety_abort") == true && !$0.success && $0.outcome == nil },
                "\(info.attempts.map { $0.abortReason ?? "-" })")
        let refused = Self.refusal { try Self.label(client, id, 0, .success) }
        #expect(refused?.code == .conflict && refused?.message.contains("ended by safety_abort") == true, "\(String(describing: refused))")
    }

    @Test func anEstopOrACancelEndsTheWaitForLabels() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 3600)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        for op in [Wire.Operation.cancel, .estop] {
            let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 13)).taskId
            _ = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 1 }, deadline: .seconds(60))
            let request = op == .cancel ? Request(operation: .cancel, args: .task(TaskRef(taskId: id))) : Request(operation: .estop)
            _ = try client.call(request, as: AckResult.self)
            // Well before the hour's deadline: the wait notices the cancellation at its next poll.
            let info = try daemon.waitForTask(id, deadline: .seconds(60))
            #expect(info.state == "cancelled", "\(op): \(info.state) \(info.detail ?? "")")
            #expect(info.updates.isEmpty)
            let status = try client.call(Request(operation: .status), as: StatusResult.self)
            #expect(status.awaitingLabels == nil)
            if op == .estop { _ = try client.call(Request(operation: .resume), as: AckResult.self) }
        }
    }

    @Test func pauseEndsTheWaitAndTheUpdateIsSkippedAsPaused() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 3600)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 19)).taskId
        _ = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 1 }, deadline: .seconds(60))
        _ = try client.call(Request(operation: .pause), as: AckResult.self)
        let updated = try events.events(until: { $0.kind == .updateFinished && $0.taskId == id }, deadline: .seconds(60))
        #expect(updated.last?.update?.skipped == "adaptation paused", "\(String(describing: updated.last?.update))")
        #expect(try daemon.waitForTask(id).state == "done")
    }

    @Test func sigtermWhileTheUpdateWaitsStopsAtOnceAndTheTaskIsInterrupted() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 3600)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 23)).taskId
        _ = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 1 }, deadline: .seconds(60))
        #expect(daemon.terminate(deadline: 60) == 0, "\(daemon.log)")
        #expect(daemon.log.contains("task \(id) interrupted"), "\(daemon.log)")
        #expect(!daemon.log.contains("control loop did not stop"), "the wait ended at the shutdown, not at the stop's own timeout")
    }

    @Test func whileTheUpdateWaitsForAPersonTheWatchdogIsStillFed() throws {
        let robots = try Self.operatorJudgedRobots(deadline: 3600)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let notify = NotifySocket()
        // A 1 s watchdog: a control loop that stopped beating would stop the pings within a second.
        let daemon = try DaemonProcess.serving(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"],
                                               robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 15)).taskId
        _ = try events.events(until: { e in e.kind == .attemptNeedsLabel && e.taskId == id && e.attempt == 1 }, deadline: .seconds(60))
        while notify.receive() != nil {}
        var pings = 0
        let clock = ContinuousClock(), end = clock.now + .seconds(3)
        while clock.now < end { if notify.receive()?.contains("WATCHDOG=1") == true { pings += 1 } }
        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.awaitingLabels?.task == id, "still waiting")
        #expect(status.health == "ok", "\(status.healthReason ?? "")")
        #expect(pings >= 4, "\(pings) watchdog pings in 3 s of waiting for labels")
        _ = try client.call(Request(operation: .cancel, args: .task(TaskRef(taskId: id))), as: AckResult.self)
        #expect(try daemon.waitForTask(id).state == "cancelled")
    }

    @Test func robotJudgedAttemptsTakeNoLabelAndRunAsBefore() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 2, seed: 11)).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.attempts.allSatisfy { $0.outcome == nil && $0.label == nil })
        let refused = Self.refusal { try Self.label(client, id, 0, .success) }
        #expect(refused?.code == .conflict && refused?.message.contains("success_judged_by: robot") == true, "\(String(describing: refused))")
    }
}
