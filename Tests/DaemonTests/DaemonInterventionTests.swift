import Foundation
import Testing
import TTADTesting
import Wire

/// Through the real daemon and the real `ttad-controller`: intervened steps reach the task's
/// attempt objects (from the history), and a controller that never intervenes leaves them out.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct DaemonInterventionTests {
    /// Runs `body` against a real daemon whose robot `bridge-example` is a real `ttad-controller`
    /// started with `controllerArguments`.
    func withBridgedDaemon<T>(controllerArguments: [String], _ body: (DaemonProcess) throws -> T) throws -> T {
        let controller = try ControllerProcess.reference(controllerArguments)
        defer { controller.terminate() }
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(robotConfigDirectory: robots)
        try daemon.waitUntilServing()
        let result = try body(daemon)
        #expect(daemon.terminate() == 0)
        return result
    }

    /// One task of `attempts` attempts without updates; waits for it to finish.
    func runTask(_ daemon: DaemonProcess, attempts: Int = 2, seed: UInt64 = 3) throws -> TaskInfo {
        let id = try daemon.client().call(Request(operation: .submit, args: .submit(SubmitArgs(
            robot: "bridge-example", task: "reach", attempts: attempts, adapt: false, seed: seed))), as: SubmitResult.self).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.state == "done", "\(info.state) \(info.detail ?? "")\n\(daemon.log)")
        return info
    }

    func attempts(controllerArguments: [String]) throws -> [AttemptInfo] {
        try withBridgedDaemon(controllerArguments: controllerArguments) { try runTask($0).attempts }
    }

    @Test func intervenedStepsAreInTheTasksAttempts() throws {
        let attempts = try attempts(controllerArguments: ["--intervene-steps", "3-5", "--intervene-action", "1.5,0"])
        #expect(attempts.count == 2)
        for attempt in attempts {
            #expect(attempt.intervenedSteps == 3, "\(attempt)")
            #expect(attempt.interventionsPastLimits == 3, "1.5 is past action_high 1: \(attempt)")
        }
    }

    @Test func theAttemptFinishedEventCarriesTheInterventionCounts() throws {
        let (seen, info) = try withBridgedDaemon(controllerArguments: ["--intervene-steps", "3-5", "--intervene-action", "1.5,0"]) { daemon in
            let events = try daemon.subscribe()
            let info = try runTask(daemon)
            let seen = try events.events(until: { $0.kind == .taskFinished && $0.taskId == info.taskId }, deadline: .seconds(10))
            return (seen.filter { $0.kind == .attemptFinished && $0.taskId == info.taskId }, info)
        }
        #expect(seen.count == info.attempts.count)
        #expect(seen.allSatisfy { $0.intervenedSteps == 3 && $0.interventionsPastLimits == 3 }, "\(seen)")
    }

    /// The experiments' person (`--person scripted --takeover-stall K`): takes over attempts that
    /// stall with the robot's scripted demonstrator, and the daemon records the steps it drove.
    @Test func aScriptedPersonTakesOverStalledAttemptsAndTheDaemonRecordsIt() throws {
        let attempts = try withBridgedDaemon(controllerArguments: ["--person", "scripted", "--takeover-stall", "2", "--takeover-hold", "3",
                                                                   "--takeover-min-gain", "0.5"]) { try runTask($0, attempts: 4).attempts }
        // A gain of half the way in 2 steps is more than reacher2 makes: every attempt stalls
        // early, and the person drives in blocks of 3 after each 2 steps of the policy's.
        for attempt in attempts {
            let driven = try #require(attempt.intervenedSteps, "\(attempt)")
            #expect(driven >= 3 && driven < attempt.steps, "\(attempt)")
        }
    }

    @Test func aControllerThatNeverIntervenesLeavesTheCountsOut() throws {
        let attempts = try attempts(controllerArguments: [])
        #expect(attempts.count == 2 && attempts.allSatisfy { $0.intervenedSteps == nil && $0.interventionsPastLimits == nil })
    }

    /// Issue 17 item 5: `ttactl report` charts the share of steps a person drove, task by task,
    /// and prints it; a history without interventions has no such chart (not a flat 0).
    @Test func theReportChartsTheInterventionRateOverTasks() throws {
        let (html, printed, expected) = try withBridgedDaemon(controllerArguments: ["--intervene-steps", "3-5"]) { daemon in
            let tasks = try (0..<3).map { try runTask(daemon, seed: UInt64(10 + $0)) }
            let attempts = tasks.flatMap(\.attempts)
            let expected = Double(attempts.map { $0.intervenedSteps ?? 0 }.reduce(0, +)) / Double(attempts.map(\.steps).reduce(0, +))
            let page = daemon.directory + "/report.html"
            let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", page])
            #expect(report.status == 0, "\(report.output)\n\(report.errors)")
            return (try String(contentsOfFile: page, encoding: .utf8), report.output, expected)
        }
        #expect(expected > 0 && expected < 1)
        #expect(html.contains("<h2>Intervention rate per task (share of steps a person drove)</h2>"), "the chart")
        #expect(printed.contains(String(format: "intervention rate (share of steps a person drove): %.1f%% overall", expected * 100)), "\(printed)")
    }

    @Test func aReportWithoutInterventionsHasNoInterventionChart() throws {
        let (html, printed) = try withBridgedDaemon(controllerArguments: []) { daemon in
            _ = try runTask(daemon)
            let page = daemon.directory + "/report.html"
            let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", page])
            #expect(report.status == 0, "\(report.output)\n\(report.errors)")
            return (try String(contentsOfFile: page, encoding: .utf8), report.output)
        }
        #expect(!html.contains("Intervention rate"))
        #expect(!printed.contains("intervention rate"))
    }
}
