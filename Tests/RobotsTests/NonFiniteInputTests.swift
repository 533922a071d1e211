import Foundation
import Testing
import TTADTesting
@testable import Robots

/// NaN and infinity from a robot never reach the policy: the attempt ends as a hardware fault that
/// names the value, the robot is stopped, and it is never a success (docs/safety.md).
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct NonFiniteInputTests {
    static let task = TaskRequest(name: "reach", params: ["target_x": 0.05, "target_y": 0.15], seed: 11)

    /// Steps with a sane reaching controller until the attempt ends; returns the last outcome.
    static func runToEnd(_ attempt: any RobotAttempt, first: [Float]) throws -> StepOutcome {
        var observation = first
        while true {
            let outcome = try attempt.step(TestSupport.reacherController(observation: observation))
            if outcome.done { return outcome }
            observation = outcome.observation
        }
    }

    @Test func aNaNObservationFromTheControllerEndsTheAttemptAsAHardwareFaultNamingItAndStopsTheRobot() throws {
        let controller = try ControllerProcess.reference(["--fault", "nan-observation:3@5"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        let first = try attempt.reset(deadline: .seconds(5))
        let outcome = try Self.runToEnd(attempt, first: first)
        #expect(outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect("\(outcome.abort!)".contains("observation[3] is nan"), "\(outcome.abort!)")
        #expect(outcome.done && !outcome.success)
        #expect(attempt.steps == 5, "no step after the bad reply")
        #expect(outcome.observation.allSatisfy { $0.isFinite }, "the outcome carries the last finite observation")
        #expect(attempt.stopAcknowledged, "the robot was stopped")
        #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
        let log = controller.terminate()
        #expect(log.contains("sending observation[3] = nan at step 5") && log.contains("stop seq="), "\(log)")
    }

    @Test func anInfiniteObservationIsAHardwareFaultToo() throws {
        let controller = try ControllerProcess.reference(["--fault", "inf-observation:0@2"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        let outcome = try Self.runToEnd(attempt, first: try attempt.reset(deadline: .seconds(5)))
        #expect(outcome.abort?.kind == "hardware_fault" && "\(outcome.abort!)".contains("observation[0] is inf"), "\(String(describing: outcome.abort))")
        #expect(attempt.steps == 2 && !outcome.success)
    }

    @Test func aNaNInTheResetObservationFailsTheResetByNameAndStopsTheRobot() throws {
        let controller = try ControllerProcess.reference(["--fault", "nan-observation:7@0"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        #expect { try attempt.reset(deadline: .seconds(5)) } throws: { "\($0)".contains("observation[7] is nan") }
        #expect(attempt.stopAcknowledged, "stop was sent and acknowledged")
        #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
        let log = controller.terminate()
        #expect(log.contains("stop seq="), "\(log)")
    }

    @Test func aNaNProgressFromTheControllerIsAHardwareFaultNotIgnored() throws {
        let controller = try ControllerProcess.reference(["--fault", "nan-progress:3"])
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0) as! BridgeAttempt
        let outcome = try Self.runToEnd(attempt, first: try attempt.reset(deadline: .seconds(5)))
        #expect(outcome.abort?.kind == "hardware_fault" && "\(outcome.abort!)".contains("progress is nan"), "\(String(describing: outcome.abort))")
        #expect(attempt.steps == 3 && !outcome.success)
        #expect(attempt.progress.map(\.isFinite) ?? true, "the attempt's progress never holds the NaN")
        #expect(attempt.stopAcknowledged)
        controller.terminate()
    }

    @Test func aNaNInTheStateIsAHardwareFaultNamingWhatItMeasures() throws {
        // state[3] is the elbow's velocity (positions of shoulder and elbow, then their velocities).
        let controller = try ControllerProcess.reference(["--fault", "nan-state:3@2"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try TestSupport.bridgeConfig(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: Self.task, index: 0)
        let outcome = try Self.runToEnd(attempt, first: try attempt.reset(deadline: .seconds(5)))
        #expect(outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect("\(outcome.abort!)".contains("state[3] (joint elbow velocity) is nan"), "\(outcome.abort!)")
        #expect(attempt.steps == 2)
    }

    @Test func aHeaderWithPythonsNaNTokenIsReadSoTheFieldCanBeNamed() throws {
        // Python's json.dumps writes NaN and Infinity bare; the header is read, the value is kept.
        let header = try BridgeProtocol.decodeHeader(Array(#"{"v": 1, "type": "step", "seq": 4, "success": false, "progress": NaN, "message": "NaN inside a string stays"}"#.utf8))
        #expect(header.progress?.isNaN == true && header.message == "NaN inside a string stays")
        let inf = try BridgeProtocol.decodeHeader(Array(#"{"v":1,"type":"step","seq":4,"progress":-Infinity}"#.utf8))
        #expect(inf.progress == -.infinity)
        #expect { try BridgeProtocol.decodeHeader(Array(#"{"v":1,"type":"step","seq":4,"progress":NaNa}"#.utf8)) } throws: {
            "\($0)".contains("not a bridge header")
        }
        #expect { try BridgeProtocol.decodeHeader(Array("\u{1}garbage".utf8)) } throws: { "\($0)".contains("not a bridge header") }
    }

    @Test func aNonFiniteObservationFromTheSimulationIsAHardwareFault() throws {
        // A mocap body is outside what MuJoCo's divergence check looks at (qpos, qvel, warnings):
        // a NaN target position must still never reach the policy.
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try robot.makeAttempt(task: Self.task, index: 0) as! MuJoCoAttempt
        var observation = try attempt.reset(deadline: RobotConfig.simulatedResetDeadline)
        for _ in 0..<3 {
            let outcome = try attempt.step(TestSupport.reacherController(observation: observation))
            #expect(outcome.abort == nil)
            observation = outcome.observation
        }
        attempt.simulation.data.mocapPosition[0] = .nan
        let outcome = try attempt.step(TestSupport.reacherController(observation: observation))
        #expect(outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
        #expect("\(outcome.abort!)".contains("observation[6] is nan"), "\(outcome.abort!)")
        #expect(!outcome.success && outcome.observation == observation, "the last finite observation")
        #expect(attempt.simulation.data.ctrl.allSatisfy { $0 == 0 }, "stopped: zero controls")
    }
}
