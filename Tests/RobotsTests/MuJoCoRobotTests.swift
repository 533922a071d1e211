import Foundation
import MuJoCo
import Testing
@testable import Robots

@Suite struct MuJoCoRobotTests {
    static let reachTask = TaskRequest(name: "reach", params: ["target_x": 0.05, "target_y": 0.15], seed: 7)

    @Test func theObservationIsLaidOutAsTheConfigSays() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try robot.makeAttempt(task: Self.reachTask, index: 0)
        let o = try attempt.reset(deadline: .seconds(1))
        #expect(o.count == 10)
        let sim = try #require((attempt as? MuJoCoAttempt)?.simulation)
        let q0 = sim.data.qpos[0], q1 = sim.data.qpos[1]
        #expect(abs(Double(o[0]) - cos(q0)) < 1e-6 && abs(Double(o[1]) - cos(q1)) < 1e-6)
        #expect(abs(Double(o[2]) - sin(q0)) < 1e-6 && abs(Double(o[3]) - sin(q1)) < 1e-6)
        #expect(o[4] == 0 && o[5] == 0)
        #expect(abs(o[6] - 0.05) < 1e-6 && abs(o[7] - 0.15) < 1e-6, "target xy from the task params")
        // fingertip - target, from forward kinematics of the two links
        let tipX = 0.1 * cos(q0) + 0.11 * cos(q0 + q1), tipY = 0.1 * sin(q0) + 0.11 * sin(q0 + q1)
        #expect(abs(Double(o[8]) - (tipX - 0.05)) < 1e-5 && abs(Double(o[9]) - (tipY - 0.15)) < 1e-5)
        #expect(abs(q0) <= 0.1 && abs(q1) <= 0.1 && (q0 != 0 || q1 != 0), "reset noise of +-0.1 rad")
    }

    @Test func theAttemptsOfATaskShareTheirStartUnlessTheConfigDrawsOnePerAttempt() throws {
        // By default the N attempts of a task start alike, so they differ only by their sampling
        // and the group-relative advantage compares like with like.
        let shared = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        func firstObservation(_ robot: MuJoCoRobot, _ index: Int, seed: UInt64 = 42) throws -> [Float] {
            try robot.makeAttempt(task: TaskRequest(name: "reach", params: Self.reachTask.params, seed: seed), index: index)
                .reset(deadline: .seconds(1))
        }
        #expect(try firstObservation(shared, 0) == firstObservation(shared, 1))
        #expect(try firstObservation(shared, 0) != firstObservation(shared, 0, seed: 43), "another task, another start")
        // reset.noise_per_attempt: true draws a start per attempt, the same one every time.
        let yaml = try String(contentsOfFile: TestSupport.configPath("reacher2"), encoding: .utf8)
            .replacingOccurrences(of: "models/reacher2.xml", with: TestSupport.configsDir + "/models/reacher2.xml")
            .replacingOccurrences(of: "  joint_noise: 0.1", with: "  joint_noise: 0.1\n  noise_per_attempt: true")
        let perAttempt = try MuJoCoRobot(config: RobotConfig.load(path: TestSupport.writeTemp(yaml, name: "reacher2")))
        #expect(try firstObservation(perAttempt, 0) == firstObservation(perAttempt, 0))
        #expect(try firstObservation(perAttempt, 0) != firstObservation(perAttempt, 1))
    }

    @Test func progressMeasuresTheShareOfTheWayToTheTarget() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        // Doing nothing gets nowhere; the sane controller gets all the way (and succeeds).
        let idle = try robot.makeAttempt(task: Self.reachTask, index: 0)
        _ = try idle.reset(deadline: .seconds(1))
        for _ in 0..<5 { _ = try idle.step([0, 0]) }
        #expect(try #require(idle.progress) < 0.05)
        let reaching = try robot.makeAttempt(task: Self.reachTask, index: 0)
        var o = try reaching.reset(deadline: .seconds(1))
        var done = false, success = false
        while !done {
            let outcome = try reaching.step(TestSupport.reacherController(observation: o))
            (o, done, success) = (outcome.observation, outcome.done, outcome.success)
        }
        #expect(success)
        #expect(try #require(reaching.progress) == 1)
    }

    @Test func aSanePolicyReachesTheTargetWithoutTouchingTheEnvelope() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        var successes = 0
        for seed in UInt64(0)..<20 {
            let attempt = try robot.makeAttempt(task: TaskRequest(name: "reach", seed: seed), index: Int(seed % 8))
            var o = try attempt.reset(deadline: .seconds(1))
            while true {
                let outcome = try attempt.step(TestSupport.reacherController(observation: o))
                #expect(outcome.abort == nil, "seed \(seed): \(String(describing: outcome.abort))")
                o = outcome.observation
                if outcome.done {
                    if outcome.success { successes += 1 }
                    #expect(outcome.success || attempt.steps == 50)
                    break
                }
            }
            #expect(attempt.smallestSafetyMargin > 0)
            #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
        }
        #expect(successes >= 15, "a Jacobian-transpose controller reaches most targets: \(successes)/20")
    }

    @Test func anIdleAttemptEndsAtMaxSteps() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try robot.makeAttempt(task: Self.reachTask, index: 0)
        _ = try attempt.reset(deadline: .seconds(1))
        var outcome = try attempt.step([0, 0])
        while !outcome.done { outcome = try attempt.step([0, 0]) }
        #expect(attempt.steps == 50 && !outcome.success && outcome.abort == nil)
    }

    @Test func dynamicsShiftACopyOfTheModelSharedByTheTasksAttempts() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let shift = ["gear_scale": 0.5, "damping_scale": 3.0, "mass_scale": 2.0, "friction_scale": 1.0]
        let shifted = robot.model(for: shift)
        #expect(shifted !== robot.baseModel)
        #expect(robot.model(for: shift) === shifted, "attempts of one task share one compiled model")
        #expect(robot.model(for: ["gear_scale": 1]) === robot.baseModel)
        #expect(shifted.actuatorGear[0] == 100 && robot.baseModel.actuatorGear[0] == 200)
        #expect(shifted.dofDamping[0] == 3 && robot.baseModel.dofDamping[0] == 1)
        #expect(abs(shifted.bodyMass[1] - 2 * robot.baseModel.bodyMass[1]) < 1e-12)

        // Same actions, weaker motors and more damping: the arm moves less.
        func swing(_ dynamics: [String: Double]) throws -> Float {
            let attempt = try robot.makeAttempt(
                task: TaskRequest(name: "reach", params: Self.reachTask.params, dynamics: dynamics, seed: 7), index: 0)
            _ = try attempt.reset(deadline: .seconds(1))
            var o: [Float] = []
            for _ in 0..<5 { o = try attempt.step([0.5, 0]).observation }
            return abs(o[4])
        }
        #expect(try swing(shift) < swing([:]) * 0.5)
    }

    @Test func aDivergedSimulationIsAHardwareFault() throws {
        var config = try TestSupport.load("reacher2")
        config.safety = SafetyConfig()  // let the state run away: only the simulator's own check is left
        let robot = try MuJoCoRobot(config: config)
        let attempt = try robot.makeAttempt(task: Self.reachTask, index: 0) as! MuJoCoAttempt
        _ = try attempt.reset(deadline: .seconds(1))
        attempt.simulation.data.qvel[0] = .nan
        let outcome = try attempt.step([0, 0])
        #expect(outcome.done && outcome.abort?.kind == "hardware_fault", "\(String(describing: outcome.abort))")
    }

    @Test func aSimulatedResetIsHeldToItsDeadline() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try robot.makeAttempt(task: Self.reachTask, index: 0)
        // No reset takes no time at all: a zero deadline is always missed, and says so.
        #expect { try attempt.reset(deadline: .zero) } throws: { "\($0)".contains("over the 0.0 seconds deadline") }
        #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
        #expect(try robot.makeAttempt(task: Self.reachTask, index: 0).reset(deadline: robot.config.resetDeadline).count == 10)
    }

    @Test func aModelThatLacksANamedSiteIsRejectedByName() throws {
        var config = try TestSupport.load("reacher2")
        guard case .mujoco(var settings) = config.backend else { return }
        settings.observation.append(.position(.site("elbow_camera"), axes: [0]))
        config.backend = .mujoco(settings)
        #expect { try MuJoCoRobot(config: config) } throws: { "\($0)".contains("no site named \"elbow_camera\"") }
    }
}
