import Foundation
import Testing
import TTADTesting
import Wire

/// Through the real daemon and the real `ttad-controller`: intervened steps reach the task's
/// attempt objects (from the history), and a controller that never intervenes leaves them out.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct DaemonInterventionTests {
    func attempts(controllerArguments: [String]) throws -> [AttemptInfo] {
        let controller = try ControllerProcess.reference(controllerArguments)
        defer { controller.terminate() }
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(robotConfigDirectory: robots)
        try daemon.waitUntilServing()
        let client = try daemon.client()
        let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(
            robot: "bridge-example", task: "reach", attempts: 2, adapt: false, seed: 3))), as: SubmitResult.self).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.state == "done", "\(info.state) \(info.detail ?? "")\n\(daemon.log)")
        #expect(daemon.terminate() == 0)
        return info.attempts
    }

    @Test func intervenedStepsAreInTheTasksAttempts() throws {
        let attempts = try attempts(controllerArguments: ["--intervene-steps", "3-5", "--intervene-action", "1.5,0"])
        #expect(attempts.count == 2)
        for attempt in attempts {
            #expect(attempt.intervenedSteps == 3, "\(attempt)")
            #expect(attempt.interventionsPastLimits == 3, "1.5 is past action_high 1: \(attempt)")
        }
    }

    @Test func aControllerThatNeverIntervenesLeavesTheCountsOut() throws {
        let attempts = try attempts(controllerArguments: [])
        #expect(attempts.count == 2 && attempts.allSatisfy { $0.intervenedSteps == nil && $0.interventionsPastLimits == nil })
    }
}
