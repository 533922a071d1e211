import Foundation
import Testing
@testable import Robots

@Suite struct SafetyEnvelopeTests {
    static func envelope(_ config: SafetyConfig) throws -> SafetyEnvelope {
        try SafetyEnvelope(config: config, joints: ["shoulder", "elbow"], actionLow: [-1, -1], actionHigh: [1, 1])
    }
    static let calm = SafetyState(jointPositions: [0, 0], jointVelocities: [0, 0], endEffector: SIMD3(0.1, 0, 0.01))

    @Test func actionsAreClampedToTheirLimits() throws {
        var e = try Self.envelope(SafetyConfig())
        #expect(e.filter([5, -7]) == .success([1, -1]))
        #expect(e.filter([0.25, -0.5]) == .success([0.25, -0.5]))
    }

    @Test func theRateLimitBoundsTheChangePerStepFromRest() throws {
        var e = try Self.envelope(SafetyConfig(actionRateLimit: [0.3, 0.3]))
        #expect(e.filter([1, -1]) == .success([0.3, -0.3]))
        #expect(e.filter([1, -1]) == .success([0.6, -0.6]))
        #expect(e.filter([0, 0]) == .success([0.3, -0.3]))
        e.reset()
        #expect(e.filter([1, 0]) == .success([0.3, 0]), "a new attempt starts from rest")
    }

    @Test func nonFiniteOrMisSizedActionsAreViolations() throws {
        var e = try Self.envelope(SafetyConfig())
        #expect(e.filter([.nan, 0]) == .failure(SafetyViolation("action[0] is nan")))
        #expect(e.filter([.infinity, 0]).map { _ in 0 } != .success(0))
        #expect(e.filter([0]) == .failure(SafetyViolation("action has 1 components, expected 2")))
    }

    @Test func eachStateLimitIsAViolationNamingIt() throws {
        let config = SafetyConfig(
            jointPositionLimits: ["elbow": -1...1], jointVelocityLimit: 10, jointVelocityLimits: ["shoulder": 5],
            workspace: .init(point: .site("tip"), low: SIMD3(-0.2, -0.2, 0), high: SIMD3(0.2, 0.2, 0.1)))
        var e = try Self.envelope(config)
        #expect(e.check(Self.calm) == nil)
        var s = Self.calm
        s.jointPositions[1] = 1.2
        #expect(e.check(s)?.reason == "joint elbow position 1.2 outside [-1.0, 1.0]")
        s = Self.calm
        s.jointVelocities[0] = -6
        #expect(e.check(s)?.reason == "joint shoulder velocity -6.0 exceeds 5.0", "per-joint limit overrides the common one")
        s = Self.calm
        s.jointVelocities[1] = 9
        #expect(e.check(s) == nil)
        s.jointVelocities[1] = 11
        #expect(e.check(s)?.reason == "joint elbow velocity 11.0 exceeds 10.0")
        s = Self.calm
        s.endEffector = SIMD3(0.1, 0.25, 0.01)
        #expect(e.check(s)?.reason == "end effector y = 0.25 outside workspace [-0.2, 0.2]")
        s.endEffector = nil
        #expect(e.check(s) != nil, "an unknown end effector is never assumed safe")
        s = Self.calm
        s.jointPositions[1] = .nan
        #expect(e.check(s) != nil)
    }

    @Test func theMarginShrinksTowardsALimitAndNeverGrowsBack() throws {
        var e = try Self.envelope(SafetyConfig(jointPositionLimits: ["elbow": -1...1], jointVelocityLimit: 10))
        #expect(e.check(Self.calm) == nil && e.smallestMargin == 1)
        var s = Self.calm
        s.jointPositions[1] = 0.5
        _ = e.check(s)
        #expect(abs(e.smallestMargin - 0.5) < 1e-12)
        s.jointVelocities[0] = 8
        _ = e.check(s)
        #expect(abs(e.smallestMargin - 0.2) < 1e-12)
        _ = e.check(Self.calm)
        #expect(abs(e.smallestMargin - 0.2) < 1e-12)
    }

    @Test func aLimitOnAJointTheRobotDoesNotHaveIsRejected() {
        #expect(throws: RobotError.self) { try Self.envelope(SafetyConfig(jointPositionLimits: ["wrist": -1...1])) }
    }
}

/// The envelope inside real MuJoCo attempts: every limit aborts, sends stop, and is recorded.
@Suite struct SafetyInAttemptTests {
    static let task = TaskRequest(name: "reach", params: ["target_x": 0.05, "target_y": 0.15], seed: 7)

    static func run(_ adjust: (inout SafetyConfig) -> Void, policy: ([Float], Int) -> [Float]) throws -> (StepOutcome, MuJoCoAttempt) {
        var config = try TestSupport.load("reacher2")
        adjust(&config.safety)
        let robot = try MuJoCoRobot(config: config)
        let attempt = try robot.makeAttempt(task: task, index: 0) as! MuJoCoAttempt
        var o = try attempt.reset(deadline: .seconds(1))
        while true {
            let outcome = try attempt.step(policy(o, attempt.steps))
            if outcome.done { return (outcome, attempt) }
            o = outcome.observation
        }
    }

    /// Full torque one way, then the other, every few steps: a wild policy.
    static func wild(_ o: [Float], _ step: Int) -> [Float] { (step / 8) % 2 == 0 ? [1, 1] : [-1, -1] }

    @Test func aWildPolicyBreaksTheShippedVelocityLimit() throws {
        let (outcome, attempt) = try Self.run({ _ in }, policy: { _, _ in [1, 1] })
        #expect(outcome.abort?.kind == "safety_abort", "\(String(describing: outcome.abort))")
        #expect(outcome.abort.map { "\($0)" }?.contains("velocity") == true)
        #expect(attempt.steps < 50 && attempt.smallestSafetyMargin == 0)
        #expect(attempt.simulation.data.ctrl.allSatisfy { $0 == 0 }, "stop was sent: controls zeroed")
        #expect(throws: RobotError.self) { try attempt.step([0, 0]) }
    }

    @Test func jointPositionLimitAborts() throws {
        let (outcome, _) = try Self.run({ $0.jointPositionLimits = ["elbow": -0.6...0.6] }, policy: { _, _ in [0, 1] })
        #expect(outcome.abort.map { "\($0)" }?.hasPrefix("safety_abort: joint elbow position") == true, "\(String(describing: outcome.abort))")
    }

    @Test func jointVelocityLimitAborts() throws {
        let (outcome, _) = try Self.run({ $0.jointVelocityLimit = 3 }, policy: Self.wild)
        #expect(outcome.abort.map { "\($0)" }?.contains("velocity") == true, "\(String(describing: outcome.abort))")
    }

    @Test func workspaceBoxAborts() throws {
        let (outcome, _) = try Self.run({
            $0.workspace = .init(point: .site("fingertip"), low: SIMD3(0.15, -0.1, -0.05), high: SIMD3(0.3, 0.1, 0.1))
        }, policy: { _, _ in [0.5, 0] })
        #expect(outcome.abort.map { "\($0)" }?.contains("outside workspace") == true, "\(String(describing: outcome.abort))")
    }

    @Test func clampingAndTheRateLimitShapeWhatIsApplied() throws {
        var config = try TestSupport.load("reacher2")
        config.safety.actionRateLimit = [0.25, 0.25]
        let attempt = try MuJoCoRobot(config: config).makeAttempt(task: Self.task, index: 0) as! MuJoCoAttempt
        _ = try attempt.reset(deadline: .seconds(1))
        _ = try attempt.step([9, -9])
        #expect(attempt.lastAppliedAction == [0.25, -0.25])
        #expect(attempt.simulation.data.ctrl[0] == 0.25)
        _ = try attempt.step([9, -9])
        #expect(attempt.lastAppliedAction == [0.5, -0.5])
    }

    @Test func aNaNActionAbortsInsteadOfReachingTheRobot() throws {
        let (outcome, attempt) = try Self.run({ _ in }, policy: { _, step in step == 3 ? [.nan, 0] : [0.1, 0] })
        #expect(outcome.abort == .safety("action[0] is nan"))
        #expect(attempt.steps == 3)
    }

    @Test func eStopFromAnotherThreadAbortsARunningAttemptAtOnce() throws {
        let robot = try MuJoCoRobot(config: try TestSupport.load("reacher2"))
        let attempt = try robot.makeAttempt(task: TaskRequest(name: "reach", params: Self.task.params, seed: 1), index: 0) as! MuJoCoAttempt
        _ = try attempt.reset(deadline: .seconds(1))
        let stepper = Thread {
            Thread.sleep(forTimeInterval: 0.05)
            robot.emergencyStop()
        }
        stepper.start()
        // Step slowly (like a robot at 50 Hz) until something ends the attempt.
        var outcome = try attempt.step([0.1, 0])
        var stepsAfterPress = 0
        while !outcome.done {
            if robot.isEmergencyStopped { stepsAfterPress += 1 }
            Thread.sleep(forTimeInterval: 0.005)
            outcome = try attempt.step(attempt.steps > 40 ? [0, 0] : [0.05, -0.05])
        }
        #expect(outcome.abort == .estop)
        #expect(stepsAfterPress <= 1, "the first step after the press aborts")
        #expect(attempt.simulation.data.ctrl.allSatisfy { $0 == 0 })
        // Latched: no new attempt starts until cleared.
        let next = try robot.makeAttempt(task: Self.task, index: 1)
        #expect(throws: RobotError.emergencyStopped) { try next.reset(deadline: .seconds(1)) }
        robot.clearEmergencyStop()
        #expect(try next.reset(deadline: .seconds(1)).count == 10)
    }
}
