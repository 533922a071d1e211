import Demonstrators
import Foundation
import Testing
import TTADTesting
@testable import Robots

/// Demonstrations over the bridge (protocol 1.2, docs/bridge-protocol.md): a controller with a
/// person announces the `demonstration` feature; in a demonstration attempt the person drives
/// every step. Against the real `ttad-controller --person scripted`, over real ipc sockets.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct BridgeDemonstrationTests {
    static var task: TaskRequest {
        var task = BridgeTests.task
        task.demonstration = true
        return task
    }

    @Test func theScriptedPersonAnnouncesTheFeatureAndDrivesEveryStepWithTheDemonstrator() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        #expect(try bridge.capabilities().features == [BridgeProtocol.demonstrationFeature])
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        var observation = try attempt.reset(deadline: .seconds(5))
        let person = ReacherDemonstrator()
        var steps = 0, success = false
        while true {
            // ttad's action is ignored: the person's (the demonstrator's on the same observation) is executed.
            let outcome = try attempt.step([0, 0])
            #expect(outcome.abort == nil, "step \(steps): \(String(describing: outcome.abort))")
            #expect(outcome.executedAction == person.action(observation), "step \(steps)")
            observation = outcome.observation
            steps += 1
            if outcome.done { success = outcome.success; break }
        }
        #expect(attempt.intervenedSteps == steps)
        #expect(success, "the scripted demonstrator reaches the target in \(steps) steps")
    }

    @Test func aControllerWithoutThePersonIsRefusedBeforeTheResetIsSent() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        #expect(try bridge.capabilities().features == nil)
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        #expect {
            _ = try attempt.reset(deadline: .seconds(5))
        } throws: { "\($0)".contains("controller of robot bridge-example does not announce the `demonstration` feature (bridge protocol 1.2, hello.features)") }
        #expect(!controller.log.contains("reset seq"), "\(controller.log)")
        // An ordinary attempt on the same controller runs as before.
        _ = try bridge.makeAttempt(task: BridgeTests.task, index: 0).reset(deadline: .seconds(5))
    }

    @Test func aStepReplyWithoutIntervenedInADemonstrationIsAHardwareFault() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted", "--fault", "demo-no-intervene:2"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        #expect(try attempt.step([0, 0]).abort == nil)
        let second = try attempt.step([0, 0])
        #expect(second.done && !second.success)
        #expect(second.abort == .hardwareFault("step 2: demonstration attempt, but the step reply does not say intervened (a person drives every step of a demonstration, bridge protocol 1.2)"))
    }

    @Test func anInProcessRobotRefusesADemonstration() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        #expect {
            _ = try robot.makeAttempt(task: Self.task, index: 0)
        } throws: { "\($0)".contains("there is no person to demonstrate; use a bridge controller, or add demonstrations from a file") }
    }
}
