import Foundation
import Testing
import TTADTesting
import Wire

/// Through the real daemon: a bridge robot-config that declares a dynamics factor of its
/// controller's own takes it in a submit and hands it to the real `ttad-controller` in `reset`;
/// an undeclared or out-of-range one is refused at submit, naming it.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct DaemonBridgeDynamicsTests {
    @Test func aSubmittedFactorTheBridgeConfigDeclaresReachesTheController() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
            .replacingOccurrences(of: "\ndynamics:", with: "\ndynamics:\n  payload_kg: {low: 0, high: 2.5, default: 0.5}")
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(robotConfigDirectory: robots)
        try daemon.waitUntilServing()
        let client = try daemon.client()

        let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(
            robot: "bridge-example", task: "reach", dynamics: ["payload_kg": 1.25], attempts: 1, adapt: false, seed: 3))),
            as: SubmitResult.self).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.state == "done", "\(info.state) \(info.detail ?? "")\n\(daemon.log)")
        #expect(info.dynamics == ["payload_kg": 1.25], "the task records what was asked: \(info.dynamics)")
        #expect(controller.log.contains("payload_kg=1.25"), "the controller saw it: \(controller.log)")

        for (dynamics, named) in [(["wind_ms": 3.0], "unknown dynamics factor \"wind_ms\""), (["payload_kg": 3.0], "payload_kg = 3.0 is outside [0.0, 2.5]")] {
            do {
                _ = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(
                    robot: "bridge-example", task: "reach", dynamics: dynamics, attempts: 1, adapt: false, seed: 4))), as: SubmitResult.self)
                Issue.record("\(dynamics) must be refused")
            } catch let error as WireError {
                #expect(error.message.contains(named), "\(error)")
            }
        }
        #expect(daemon.terminate() == 0)
    }
}
