import Foundation
import Testing
@testable import Robots

@Suite struct PusherTests {
    @Test func theBlockRestsWhereTheTaskPutsItAndTheArmCanPushIt() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("pusher"))
        #expect(robot.config.observationSize == 12 && robot.config.actionSize == 2)
        let task = TaskRequest(name: "push", params: ["block_x": 0.15, "block_y": 0.05, "goal_x": 0.1, "goal_y": 0.15], seed: 2)
        let idle = try robot.makeAttempt(task: task, index: 0)
        let o0 = try idle.reset(deadline: .seconds(1))
        #expect(abs(o0[8] - 0.15) < 1e-6 && abs(o0[9] - 0.05) < 1e-6, "block placed by its slide joints")
        #expect(abs(o0[10] - 0.1) < 1e-6 && abs(o0[11] - 0.15) < 1e-6, "goal placed as a mocap body")
        var o = o0
        for _ in 0..<50 { o = try idle.step([0, 0]).observation }
        #expect(abs(o[8] - 0.15) < 2e-3 && abs(o[9] - 0.05) < 2e-3, "a block left alone stays put")

        // Sweep the arm counter-clockwise: the arm meets the block at (0.15, 0.05) and shoves it along +y.
        let sweep = try robot.makeAttempt(task: task, index: 0)
        o = try sweep.reset(deadline: .seconds(1))
        var outcome = try sweep.step([0.3, 0])
        while !outcome.done { outcome = try sweep.step([0.3, 0]) }
        #expect(outcome.observation[9] > 0.07 || outcome.success, "the block moved: \(outcome.observation)")
        #expect(outcome.abort == nil || outcome.abort?.kind == "safety_abort", "\(String(describing: outcome.abort))")
    }

    @Test func frictionScaleChangesHowFarTheBlockSlides() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("pusher"))
        func slide(_ friction: Double) throws -> Float {
            let attempt = try robot.makeAttempt(
                task: TaskRequest(name: "push", params: ["block_x": 0.15, "block_y": 0.05, "goal_x": 0.1, "goal_y": 0.15], dynamics: ["friction_scale": friction], seed: 2),
                index: 0)
            _ = try attempt.reset(deadline: .seconds(1))
            var o: [Float] = []
            for step in 0..<40 { o = try attempt.step(step < 20 ? [0.3, 0] : [-0.3, 0]).observation }
            return o[9]
        }
        let slippery = try slide(0.2), sticky = try slide(4)
        #expect(slippery != sticky, "friction matters: \(slippery) vs \(sticky)")
    }
}
