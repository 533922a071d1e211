import Foundation
import Testing
import TTADTesting
import Wire

/// `evaluate` on a real daemon (the default simulated reacher2), over its real sockets, and
/// `ttactl evaluate` against it.
@Suite(.serialized) struct DaemonEvaluationTests {
    func evaluate(_ client: WireClient, _ args: EvaluateArgs) throws -> EvaluateResult {
        try client.call(Request(operation: .evaluate, args: .evaluate(args)), as: EvaluateResult.self)
    }

    @Test func anEvaluationRunsKGreedyAttemptsOnTheSameTasksWithoutUpdatingAndIsRecordedAsAnEvaluation() throws {
        let daemon = try DaemonProcess.serving()
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let before = try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self)

        let first = try evaluate(client, EvaluateArgs(task: "reach", tasks: 5))
        #expect(first.tasks == 5 && first.seed == 0)
        #expect(first.checkpoint == before.live)
        let one = try daemon.waitForTask(first.taskId)
        let two = try daemon.waitForTask(try evaluate(client, EvaluateArgs(task: "reach", tasks: 5)).taskId)
        for info in [one, two] {
            #expect(info.state == "done", "\(info)")
            #expect(info.kind == "evaluation")
            #expect(info.attempts.map(\.index) == Array(0..<5))
            #expect(info.attempts.allSatisfy { $0.temperature == 0 }, "greedy: T=0")
            #expect(info.updates.isEmpty && info.candidate == nil && info.adapt == false, "no update")
            #expect(info.checkpoint == before.live)
        }
        // The same evaluation set on the same policy, greedily: the same outcome, task by task.
        #expect(one.attempts.map(\.steps) == two.attempts.map(\.steps))
        #expect(one.attempts.map(\.success) == two.attempts.map(\.success))
        // Another set is other tasks.
        let other = try daemon.waitForTask(try evaluate(client, EvaluateArgs(task: "reach", tasks: 5, seed: 7)).taskId)
        #expect(other.attempts.map(\.steps) != one.attempts.map(\.steps), "seed 7 draws other tasks than seed 0")

        // Nothing was learned or counted as training.
        let after = try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self)
        #expect(after.checkpoints.map(\.id) == before.checkpoints.map(\.id), "no candidate checkpoint")
        #expect(after.live == before.live)
        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.tasksDone == 0 && status.updatesAccepted == 0 && status.updatesRefused == 0)

        // A training task beside them is listed as training.
        let trained = try daemon.waitForTask(try daemon.submit(SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 3)).taskId)
        #expect(trained.kind == "training")
        let history = try client.call(Request(operation: .history), as: HistoryResult.self)
        #expect(history.tasks.filter { $0.kind == "evaluation" }.map(\.taskId).sorted() == [one.taskId, two.taskId, other.taskId].sorted())
        #expect(history.tasks.filter { $0.kind == "training" }.map(\.taskId) == [trained.taskId])

        // Its own event, after its task_finished.
        let seen = try events.events(until: { $0.kind == .evaluationFinished && $0.taskId == first.taskId }, deadline: .seconds(10))
        let finished = try #require(seen.last)
        #expect(finished.attempts == 5 && finished.checkpoint == before.live)
        #expect(finished.successRate == Double(one.attempts.filter(\.success).count) / 5)
        #expect(daemon.terminate() == 0)
    }

    @Test func badEvaluationsNameTheField() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        func refusal(_ args: EvaluateArgs) -> WireError? {
            do { _ = try evaluate(client, args); return nil } catch { return error as? WireError }
        }
        #expect(refusal(EvaluateArgs(task: "reach", tasks: 0))?.field == "args.tasks")
        #expect(refusal(EvaluateArgs(task: "reach", tasks: 501))?.field == "args.tasks")
        #expect(refusal(EvaluateArgs(robot: "r2d2", task: "reach"))?.field == "args.robot")
        let unknown = refusal(EvaluateArgs(task: "juggle"))
        #expect(unknown?.code == .invalidField)
        #expect(unknown?.message.contains("juggle") == true, "\(String(describing: unknown))")
        #expect(try client.call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test func ttactlEvaluatePrintsTheSuccessRateWithItsIntervalStepsAndCheckpoint() throws {
        let daemon = try DaemonProcess.serving()
        let base = ["--endpoint", daemon.endpoint, "--events", daemon.eventEndpoint]
        let text = try TTACtlRunner.run(["evaluate", "--task", "reach", "--tasks", "4"] + base)
        #expect(text.status == 0, "\(text.errors)")
        #expect(text.output.contains("4 greedy attempts (T=0)"), "\(text.output)")
        #expect(text.output.contains("95% CI"), "\(text.output)")
        #expect(text.output.contains("mean steps to success"), "\(text.output)")

        let json = try TTACtlRunner.run(["evaluate", "--task", "reach", "--tasks", "4", "--json"] + base)
        #expect(json.status == 0, "\(json.errors)")
        let summary = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(summary?["tasks"] as? Int == 4)
        let low = try #require(summary?["success_low"] as? Double), high = try #require(summary?["success_high"] as? Double)
        let rate = try #require(summary?["success_rate"] as? Double)
        #expect(low <= rate && rate <= high && high - low > 0.3, "4 tasks leave a wide interval: \(low)...\(high)")
        #expect(summary?["checkpoint"] as? String != nil)

        // The report lists both evaluations apart from training, oldest first, with their checkpoint.
        let page = daemon.directory + "/report.html"
        let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", page])
        #expect(report.status == 0, "\(report.errors)")
        #expect(report.output.contains("0 tasks, 0 attempts"), "evaluations are not training tasks: \(report.output)")
        let listed = report.output.split(separator: "\n").filter { $0.contains("reacher2/reach/-") }
        #expect(listed.count == 2, "\(report.output)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<h2>Evaluations</h2>") && html.contains("reacher2"))

        let bad = try TTACtlRunner.run(["evaluate", "--task", "reach", "--tasks", "0"] + base)
        #expect(bad.status == 64 && bad.errors.contains("--tasks"), "\(bad.errors)")
        let unknown = try TTACtlRunner.run(["evaluate", "--task", "juggle"] + base)
        #expect(unknown.status == 1 && unknown.errors.contains("juggle"), "\(unknown.errors)")
        #expect(daemon.terminate() == 0)
    }

    @Test func theReportCanPutTimeOnTheXAxisWithEachEvaluationWhereItRan() throws {
        let daemon = try DaemonProcess.serving()
        let client = try daemon.client()
        let before = try daemon.waitForTask(try evaluate(client, EvaluateArgs(task: "reach", tasks: 3)).taskId)
        for seed in [1, 2] as [UInt64] {
            _ = try daemon.waitForTask(try daemon.submit(SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: seed)).taskId)
        }
        let after = try daemon.waitForTask(try evaluate(client, EvaluateArgs(task: "reach", tasks: 3)).taskId)
        #expect(before.state == "done" && after.state == "done")

        let timed = daemon.directory + "/timed.html", numbered = daemon.directory + "/numbered.html"
        let time = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", timed, "--x-axis", "time"])
        #expect(time.status == 0, "\(time.errors)")
        let html = try String(contentsOfFile: timed, encoding: .utf8)
        #expect(html.contains("hours since the first task shown"), "the axis says what it is")
        #expect(html.components(separatedBy: "class=\"evaluation\"").count - 1 == 2, "both evaluations drawn on the success chart")
        #expect(html.contains(before.taskId) && html.contains(after.taskId))
        let task = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", numbered])
        #expect(task.status == 0)
        #expect(try String(contentsOfFile: numbered, encoding: .utf8).contains("task (1..2)"), "the task number is the default axis")
        let bad = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", numbered, "--x-axis", "days"])
        #expect(bad.status == 64 && bad.errors.contains("x-axis"), "\(bad.errors)")
        #expect(daemon.terminate() == 0)
    }
}
