import Foundation
import Testing
import TTADTesting
@testable import Robots

/// The pure-Python example controller (examples/python_controller) driven through BridgeRobot.
@Suite(.enabled(if: ControllerProcess.pythonWithZMQ != nil, "no python3 with pyzmq (apt-get install python3-zmq)"))
struct PythonControllerTests {
    @Test func oneAttemptAgainstThePythonController() throws {
        let endpoint = ControllerProcess.freshEndpoint()
        let dir = TestSupport.repoRoot + "/examples/python_controller"
        let controller = try ControllerProcess(
            executable: "/usr/bin/env", arguments: [ControllerProcess.pythonWithZMQ!, dir + "/controller.py", "--endpoint", endpoint],
            endpoint: endpoint)
        defer { controller.terminate() }
        var config = try RobotConfig.load(path: dir + "/point-mass.yaml")
        guard case .bridge(var settings) = config.backend else { Issue.record("point-mass.yaml is a bridge config"); return }
        settings.endpoint = endpoint
        settings.helloDeadline = .seconds(10)  // Python takes a moment to start
        config.backend = .bridge(settings)
        let robot = try makeRobot(config)
        #expect(!robot.supportsParallelAttempts)
        let attempt = try robot.makeAttempt(task: TaskRequest(name: "reach", params: ["target_x": 0.1, "target_y": -0.05], seed: 1), index: 0)
        var o = try attempt.reset(deadline: .seconds(5))
        #expect(o.count == 8 && o[4] == 0.1 && o[5] == -0.05)
        var outcome = StepOutcome(observation: o, done: false, success: false)
        while !outcome.done {
            // A PD controller on the reported error: a sane policy.
            let action = [Float(-8 * o[6] - 1.5 * o[2]), Float(-8 * o[7] - 1.5 * o[3])]
            outcome = try attempt.step(action)
            o = outcome.observation
        }
        #expect(outcome.abort == nil, "\(String(describing: outcome.abort))")
        #expect(outcome.success, "the point reached its target in \(attempt.steps) steps")
        #expect((attempt as! BridgeAttempt).stopAcknowledged)
    }
}
