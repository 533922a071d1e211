import Foundation
import Testing
import TTADTesting
@testable import Robots

/// A controller met afresh at every reset, and an e-stop that never waits for the controller.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct BridgeLifecycleTests {
    static let task = TaskRequest(name: "reach", params: ["target_x": 0.05, "target_y": 0.15], seed: 11)

    /// reacher2 with one more observation block (11 floats): the same robot after a firmware update.
    static func widerReacherConfig() throws -> String {
        let yaml = try String(contentsOfFile: TestSupport.configPath("reacher2"), encoding: .utf8)
            .replacingOccurrences(of: "models/reacher2.xml", with: TestSupport.configsDir + "/models/reacher2.xml")
            .replacingOccurrences(
                of: "  - {type: joint_velocity, joints: [shoulder, elbow]}\n",
                with: "  - {type: joint_velocity, joints: [shoulder, elbow]}\n  - {type: joint_position, joints: [elbow]}\n")
        return try TestSupport.writeTemp(yaml, name: "reacher2")
    }

    @Test func aControllerRestartedWithAnotherObservationSizeIsRefusedByNameAtTheNextReset() throws {
        let endpoint = ControllerProcess.freshEndpoint()
        let first = try ControllerProcess.reference(endpoint: endpoint)
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: endpoint))
        let before = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try before.reset(deadline: .seconds(5))
        var outcome = try before.step([0, 0])
        while !outcome.done { outcome = try before.step([0, 0]) }
        #expect(outcome.abort == nil)
        first.terminate()

        // The next task: libzmq reconnects to the new process by itself, so only a fresh hello can
        // tell that it is not the controller we checked.
        let wider = try Self.widerReacherConfig()
        let second = try ControllerProcess(
            executable: try #require(ControllerProcess.controllerBinary),
            arguments: ["--config", wider, "--endpoint", endpoint], endpoint: endpoint)
        defer { second.terminate() }
        let after = try bridge.makeAttempt(task: Self.task, index: 0)
        #expect { try after.reset(deadline: .seconds(5)) } throws: {
            "\($0)".contains("sends observations of 11 floats, the config says 10")
        }
        #expect(throws: RobotError.self) { try after.step([0, 0]) }
    }

    @Test func everyResetSaysHelloAgain() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        for index in 0..<3 {
            let attempt = try bridge.makeAttempt(task: Self.task, index: index)
            _ = try attempt.reset(deadline: .seconds(5))
            _ = try attempt.step([0, 0])
            attempt.stop()
        }
        let log = controller.terminate()
        let hellos = log.components(separatedBy: "\n").filter { $0.contains("hello seq=") }.count
        #expect(hellos == 3, "one hello per attempt: \(log)")
    }

    @Test func emergencyStopReturnsBeforeTheControllerMessageIsDelivered() throws {
        // Nobody listens: the message waits out its whole stop deadline (2 s), the caller does not.
        var config = try TestSupport.bridgeConfig(endpoint: ControllerProcess.freshEndpoint())
        guard case .bridge(var settings) = config.backend else { return }
        settings.stopDeadline = .seconds(2)
        config.backend = .bridge(settings)
        let bridge = try BridgeRobot(config: config)
        bridge.emergencyStop()
        let deliveredWhenItReturned = bridge.emergencyStopDeliveries
        #expect(bridge.isEmergencyStopped, "latched before it returned")
        #expect(deliveredWhenItReturned == 0, "returned while the message was still on its way")
        #expect(Poll.until(.seconds(10), every: .milliseconds(10)) { bridge.emergencyStopDeliveries == 1 }, "the delivery still ends, within its deadline")
        #expect(!bridge.emergencyStopAcknowledged)
        #expect(throws: RobotError.emergencyStopped) { try bridge.makeAttempt(task: Self.task, index: 0).reset(deadline: .seconds(1)) }
    }

    @Test func emergencyStopsPressedDuringADeliveryFoldIntoOneMore() throws {
        var config = try TestSupport.bridgeConfig(endpoint: ControllerProcess.freshEndpoint())
        guard case .bridge(var settings) = config.backend else { return }
        settings.stopDeadline = .seconds(1)
        config.backend = .bridge(settings)
        let bridge = try BridgeRobot(config: config)
        for _ in 0..<20 { bridge.emergencyStop() }
        #expect(Poll.until(.seconds(10), every: .milliseconds(10)) { bridge.emergencyStopDeliveries >= 2 })
        // Had every press queued its own message, 20 would follow, one per second.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(bridge.emergencyStopDeliveries == 2)
    }

    @Test func aListeningControllerStillReceivesEstop() throws {
        let controller = try ControllerProcess.reference()
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        _ = try bridge.capabilities()  // the controller is up and bound
        bridge.emergencyStop()
        #expect(Poll.until(.seconds(10), every: .milliseconds(10)) { bridge.emergencyStopDeliveries == 1 })
        #expect(bridge.emergencyStopAcknowledged)
        let log = controller.terminate()
        #expect(log.contains("estop seq="), "\(log)")
    }
}
