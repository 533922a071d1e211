import Foundation
import Testing
import TTADTesting
@testable import Robots

/// The bridge against the real `ttad-controller` over real ipc sockets.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct BridgeTests {
    static let task = TaskRequest(name: "reach", params: ["target_x": 0.05, "target_y": 0.15], seed: 11)

    static func actions(_ step: Int) -> [Float] { [Float(0.6 * sin(Double(step) / 4)), Float(-0.8 * cos(Double(step) / 5))] }

    @Test func aFullAttemptOverTheBridgeMatchesMuJoCoDirectly() throws {
        let controller = try ControllerProcess.reference()
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let direct = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let overBridge = try bridge.makeAttempt(task: Self.task, index: 3)
        let inProcess = try direct.makeAttempt(task: Self.task, index: 3)
        #expect(try overBridge.reset(deadline: .seconds(5)) == inProcess.reset(deadline: .seconds(5)))
        var step = 0
        while true {
            let a = try overBridge.step(Self.actions(step)), b = try inProcess.step(Self.actions(step))
            #expect(a.observation == b.observation, "step \(step)")
            #expect(a.done == b.done && a.success == b.success && a.abort == nil && b.abort == nil)
            #expect(a.executedAction == nil, "a controller that never sends intervened marks no step")
            step += 1
            if a.done || b.done { break }
        }
        #expect(overBridge.steps == 50 && abs(overBridge.smallestSafetyMargin - inProcess.smallestSafetyMargin) < 1e-5)
        // The reference controller reports progress; the attempt keeps its best, as MuJoCo's own does.
        let bridged = try #require(overBridge.progress), local = try #require(inProcess.progress)
        #expect(abs(bridged - local) < 1e-6 && bridged > 0, "progress \(bridged) over the bridge, \(local) in process")
        #expect((overBridge as! BridgeAttempt).stopAcknowledged, "the attempt's end sent stop")
        #expect((overBridge as! BridgeAttempt).intervenedSteps == 0)
        let hello = try bridge.capabilities()
        #expect(hello.robot == "reacher2" && hello.joints == ["shoulder", "elbow"] && hello.endEffector == true)
    }

    @Test func aLateControllerIsAHardwareFaultAndGetsStop() throws {
        let controller = try ControllerProcess.reference(["--fault", "late:300"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint, stepDeadline: .milliseconds(80)))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        _ = try attempt.reset(deadline: .seconds(5))
        let outcome = try attempt.step([0.1, 0.1])
        // The step's deadline from the config ended it (the controller would have answered at 300 ms).
        #expect(outcome.done && outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect("\(outcome.abort!)".contains("no reply within 0.08 seconds"), "\(outcome.abort!)")
        #expect(attempt.stopAcknowledged, "stop reached the controller on a fresh socket")
        let log = controller.terminate()
        #expect(log.contains("stop seq="), "the controller saw stop: \(log)")
    }

    @Test func aSilentControllerIsAHardwareFaultAtTheStepDeadline() throws {
        let controller = try ControllerProcess.reference(["--fault", "silent-after:3"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint, stepDeadline: .milliseconds(100)))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        _ = try attempt.reset(deadline: .seconds(5))
        for i in 0..<3 { #expect(try attempt.step(Self.actions(i)).abort == nil) }
        let outcome = try attempt.step([0, 0])
        // The step returned (no hang), ended by the configured step deadline.
        #expect(outcome.abort?.kind == "hardware_fault")
        #expect("\(String(describing: outcome.abort))".contains("no reply within 0.1 seconds"), "\(String(describing: outcome.abort))")
        #expect(!attempt.stopAcknowledged, "a silent controller cannot acknowledge")
        #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
    }

    @Test func garbageFromTheControllerIsAHardwareFault() throws {
        let controller = try ControllerProcess.reference(["--fault", "garbage-after:2"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        #expect(try attempt.step([0, 0]).abort == nil)
        #expect(try attempt.step([0, 0]).abort == nil)
        let outcome = try attempt.step([0, 0])
        #expect(outcome.abort?.kind == "hardware_fault" && "\(outcome.abort!)".contains("garbage"), "\(String(describing: outcome.abort))")
    }

    @Test func aDeadControllerIsAHardwareFaultAndARestartedOneServesTheNextAttempt() throws {
        let endpoint = ControllerProcess.freshEndpoint()
        let first = try ControllerProcess.reference(endpoint: endpoint, ["--fault", "die-after:5"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: endpoint, stepDeadline: .milliseconds(200)))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        var outcome = try attempt.step([0, 0])
        while !outcome.done { outcome = try attempt.step([0.2, 0]) }
        #expect(outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect(attempt.steps == 6)
        #expect(first.waitForExit(within: 5) && first.terminationStatus == 3)
        first.terminate()

        let second = try ControllerProcess.reference(endpoint: endpoint)
        defer { second.terminate() }
        let again = try bridge.makeAttempt(task: Self.task, index: 1)
        _ = try again.reset(deadline: .seconds(5))
        var last = try again.step([0, 0])
        while !last.done { last = try again.step([0, 0]) }
        #expect(last.abort == nil && again.steps == 50, "reconnected after the restart")
    }

    @Test func anUnreachableControllerFailsResetWithinTheHelloDeadline() throws {
        var config = try TestSupport.bridgeConfig(endpoint: ControllerProcess.freshEndpoint())
        guard case .bridge(var settings) = config.backend else { return }
        settings.helloDeadline = .milliseconds(200)
        config.backend = .bridge(settings)
        let attempt = try BridgeRobot(config: config).makeAttempt(task: Self.task, index: 0)
        // The hello's 200 ms ended it, not the reset's 5 s.
        #expect { try attempt.reset(deadline: .seconds(5)) } throws: {
            "\($0)".contains("hello") && "\($0)".contains("no reply within 0.2 seconds")
        }
    }

    @Test func aLongResetIsKeptAliveByHeartbeats() throws {
        let controller = try ControllerProcess.reference(["--reset-wait-ms", "1200", "--heartbeat-ms", "100"])
        defer { controller.terminate() }
        var config = try TestSupport.bridgeConfig(endpoint: controller.endpoint)
        guard case .bridge(var settings) = config.backend else { return }
        settings.heartbeatTimeout = .milliseconds(500)  // shorter than the wait: only heartbeats keep it alive
        config.backend = .bridge(settings)
        let attempt = try BridgeRobot(config: config).makeAttempt(task: Self.task, index: 0)
        #expect(try attempt.reset(deadline: .seconds(5)).count == 10)
    }

    @Test func eStopFromAnotherThreadEndsTheWaitForABridgedStep() throws {
        // The controller holds every step's reply for 3 s, inside the 10 s step deadline: a step
        // that is waiting ends as `estop` only if the e-stop cut its wait (a reply arriving
        // after the press would make it an ordinary step).
        let controller = try ControllerProcess.reference(["--fault", "late:3000", "--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint, stepDeadline: .seconds(10)))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        let controllerLog = controller.logPath
        let presser = Thread {
            // Pressed once the controller has the step: the step is waiting for its reply.
            Poll.until(.seconds(10), every: .milliseconds(5)) {
                ((try? String(contentsOfFile: controllerLog, encoding: .utf8)) ?? "").contains("step seq=")
            }
            bridge.emergencyStop()
        }
        presser.start()
        let outcome = try attempt.step([0.1, 0])
        #expect(outcome.abort == .estop, "\(String(describing: outcome.abort))")
        #expect(controller.log.contains("step seq="), "the step reached the controller before the press")
        #expect(throws: RobotError.emergencyStopped) { try bridge.makeAttempt(task: Self.task, index: 1).reset(deadline: .seconds(1)) }
        bridge.clearEmergencyStop()
    }

    @Test func aControllerThatDisagreesWithTheConfigIsRefusedByName() throws {
        let controller = try ControllerProcess.reference()
        defer { controller.terminate() }
        var config = try TestSupport.bridgeConfig(endpoint: controller.endpoint)
        config.observationSize = 12
        let attempt = try BridgeRobot(config: config).makeAttempt(task: Self.task, index: 0)
        #expect { try attempt.reset(deadline: .seconds(5)) } throws: {
            "\($0)".contains("sends observations of 10 floats, the config says 12")
        }
    }

    @Test func aStaleReplyIsNeverTakenForTheAnswerToANewRequest() throws {
        let controller = try ControllerProcess.reference(["--fault", "late-once:250"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint, stepDeadline: .milliseconds(100)))
        let first = try bridge.makeAttempt(task: Self.task, index: 0)
        _ = try first.reset(deadline: .seconds(5))
        #expect(try first.step([0.5, 0.5]).abort?.kind == "hardware_fault")
        // The late reply to that step is still on its way; the next attempt must see only its own replies.
        let direct = try MuJoCoRobot(config: try TestSupport.load("reacher2")).makeAttempt(task: Self.task, index: 1)
        let again = try bridge.makeAttempt(task: Self.task, index: 1)
        #expect(try again.reset(deadline: .seconds(5)) == direct.reset(deadline: .seconds(5)))
        for step in 0..<20 {
            let a = try again.step(Self.actions(step)), b = try direct.step(Self.actions(step))
            #expect(a.abort == nil && a.observation == b.observation, "step \(step)")
        }
    }
}
