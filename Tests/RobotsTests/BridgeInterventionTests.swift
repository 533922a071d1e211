import Foundation
import Testing
import TTADTesting
@testable import Robots

/// Interventions over the bridge (protocol 1.1, docs/bridge-protocol.md): a step reply may say a
/// person drove the step and carry the executed action. Against the real `ttad-controller`,
/// whose `--intervene-steps` plays the person, over real ipc sockets.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct BridgeInterventionTests {
    static let task = BridgeTests.task

    @Test func aControllerThatNeverIntervenesMarksNoStep() throws {
        let controller = try ControllerProcess.reference()
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        _ = try attempt.reset(deadline: .seconds(5))
        var step = 0
        while true {
            let outcome = try attempt.step(BridgeTests.actions(step))
            #expect(outcome.executedAction == nil && outcome.abort == nil, "step \(step)")
            step += 1
            if outcome.done { break }
        }
        #expect(attempt.intervenedSteps == 0 && attempt.interventionsPastLimits == 0)
    }

    @Test func intervenedStepsCarryTheExecutedActionAndAreCounted() throws {
        let controller = try ControllerProcess.reference(["--intervene-steps", "3-5", "--intervene-action", "0.25,-0.5"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let direct = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        let local = try direct.makeAttempt(task: Self.task, index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        _ = try local.reset(deadline: .seconds(5))
        for step in 0..<8 {
            let outcome = try attempt.step(BridgeTests.actions(step))
            let person = (2...4).contains(step)
            #expect(outcome.abort == nil, "step \(step): \(String(describing: outcome.abort))")
            #expect(outcome.executedAction == (person ? [0.25, -0.5] : nil), "step \(step)")
            // The person's action, not ttad's, is what the robot did: the same as doing it in process.
            let same = try local.step(person ? [0.25, -0.5] : BridgeTests.actions(step))
            #expect(outcome.observation == same.observation, "step \(step)")
        }
        #expect(attempt.intervenedSteps == 3)
        #expect(attempt.interventionsPastLimits == 0, "0.25, -0.5 is inside the limits and the rate limit")
    }

    @Test func anInterventionPastTheEnvelopesLimitsIsRecorded() throws {
        let controller = try ControllerProcess.reference(["--intervene-steps", "2-3", "--intervene-action", "1.5,0"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        _ = try attempt.reset(deadline: .seconds(5))
        for step in 0..<5 {
            let outcome = try attempt.step([0, 0])
            #expect(outcome.abort == nil, "step \(step): a person's action is recorded, never refused")
            if step == 1 { #expect(outcome.executedAction == [1.5, 0]) }
        }
        #expect(attempt.intervenedSteps == 2)
        #expect(attempt.interventionsPastLimits == 2, "1.5 is past action_high 1 at both steps")
    }

    @Test(arguments: [
        ("intervene-short:2", "executed action frame has 1 float32 values"),
        ("intervene-nan:2", "step 2: executed action[0] is nan"),
        ("intervene-no-frame:2", "has 2 data frames but says intervened"),
        ("intervene-no-flag:2", "has 3 data frames but does not say intervened"),
        ("intervene-not-bool:2", #"intervened is "yes", expected true or false"#),
    ])
    func aMalformedInterventionIsAHardwareFaultNeverActedOn(fault: String, message: String) throws {
        let controller = try ControllerProcess.reference(["--fault", fault])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        _ = try attempt.reset(deadline: .seconds(5))
        #expect(try attempt.step([0.1, 0.1]).abort == nil)
        let outcome = try attempt.step([0.1, 0.1])
        #expect(outcome.done && outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect("\(String(describing: outcome.abort))".contains(message), "\(String(describing: outcome.abort))")
        #expect(outcome.executedAction == nil && attempt.intervenedSteps == 0, "refused, never recorded")
        #expect(attempt.lastAppliedAction == [0.1, 0.1])
    }

    @Test func aHeaderWhoseIntervenedIsNotABoolIsRefusedByName() throws {
        #expect { try BridgeProtocol.decodeHeader(Array(#"{"v":1,"type":"step","seq":4,"intervened":1}"#.utf8)) } throws: {
            "\($0)".contains("intervened is 1.0, expected true or false")
        }
        let ok = try BridgeProtocol.decodeHeader(Array(#"{"v":1,"type":"step","seq":4,"intervened":true}"#.utf8))
        #expect(ok.intervened == true)
        #expect(try BridgeProtocol.decodeHeader(Array(#"{"v":1,"type":"step","seq":4}"#.utf8)).intervened == nil)
    }
}
