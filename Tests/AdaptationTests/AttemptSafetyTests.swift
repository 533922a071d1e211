import Foundation
import Learning
import Policy
import Robots
import Testing
import TTADTesting
@testable import Adaptation

/// The attempt runner's own guards: nothing non-finite reaches the policy, a reward or an update
/// whatever the backend lets through, and the robot-config's reset deadline is the one used.
@Suite(.serialized) struct AttemptSafetyTests {
    static let reacher2 = AdaptationEngineTests.repoRobots + "/reacher2.yaml"

    /// A backend that does not check what its robot sends (a new one, or a buggy one): the real
    /// simulated reacher, with one observation value or the progress replaced by a NaN.
    final class LeakyRobot: Robot, @unchecked Sendable {
        let inner: MuJoCoRobot
        let badIndex: Int, badStep: Int?, badAttempt: Int
        let nanProgress: Bool
        private let lock = NSLock()
        private var stops: [Int: Int] = [:]
        init(badIndex: Int = 2, badStep: Int?, badAttempt: Int, nanProgress: Bool = false) throws {
            inner = try MuJoCoRobot(config: try RobotConfig.load(path: AttemptSafetyTests.reacher2))
            self.badIndex = badIndex; self.badStep = badStep; self.badAttempt = badAttempt; self.nanProgress = nanProgress
        }
        var config: RobotConfig { inner.config }
        var supportsParallelAttempts: Bool { true }
        func makeAttempt(task: TaskRequest, index: Int) throws -> any RobotAttempt {
            Attempt(inner: try inner.makeAttempt(task: task, index: index), robot: self, index: index)
        }
        func emergencyStop() { inner.emergencyStop() }
        func clearEmergencyStop() { inner.clearEmergencyStop() }
        func stopped(_ index: Int) -> Int { lock.lock(); defer { lock.unlock() }; return stops[index, default: 0] }
        fileprivate func recordStop(_ index: Int) { lock.lock(); stops[index, default: 0] += 1; lock.unlock() }

        final class Attempt: RobotAttempt {
            let inner: any RobotAttempt
            unowned let robot: LeakyRobot
            let index: Int
            init(inner: any RobotAttempt, robot: LeakyRobot, index: Int) { self.inner = inner; self.robot = robot; self.index = index }
            private func spoil(_ o: [Float], at step: Int) -> [Float] {
                guard index == robot.badAttempt, step == robot.badStep else { return o }
                var o = o
                o[robot.badIndex] = .nan
                return o
            }
            func reset(deadline: Duration) throws -> [Float] { spoil(try inner.reset(deadline: deadline), at: 0) }
            func step(_ action: [Float]) throws -> StepOutcome {
                var outcome = try inner.step(action)
                outcome.observation = spoil(outcome.observation, at: inner.steps)
                return outcome
            }
            func stop() { robot.recordStop(index); inner.stop() }
            var steps: Int { inner.steps }
            var smallestSafetyMargin: Double { inner.smallestSafetyMargin }
            var progress: Double? { index == robot.badAttempt && robot.nanProgress ? .nan : inner.progress }
        }
    }

    static func plan(attempts: Int, robot: String = "reacher2", seed: UInt64 = 5) -> TaskPlan {
        TaskPlan(id: "t", robot: robot, task: "reach", params: ["target_x": 0.05, "target_y": 0.15], dynamics: [:], attempts: attempts,
                 temperatureBase: 0.6, temperatureRange: 0.3, rewardMode: .efficiency, adapt: true, priority: 0, seed: seed)
    }

    static func run(_ robot: any Robot, attempts: Int) throws -> [AttemptRunner.Result] {
        let profile = try RobotProfile(config: robot.config)
        let runner = AttemptRunner(robot: robot, policy: Policy(config: profile.policy, seed: 3), reward: EfficiencyReward(), checkpoint: nil)
        var rng = PolicyRNG(seed: 9)
        let temperatures = (0..<attempts).map { 0.6 + 0.3 * Double($0) / Double(max(attempts - 1, 1)) }
        return try runner.run(plan(attempts: attempts), temperatures: temperatures, observer: AdaptationEngineTests.Recorder(),
                              cancellation: Cancellation(), rng: &rng)
    }

    @Test func aNaNObservationABackendLetsThroughEndsTheAttemptBeforeThePolicySeesIt() throws {
        let robot = try LeakyRobot(badStep: 4, badAttempt: 1)
        let results = try Self.run(robot, attempts: 3)
        let bad = results[1]
        #expect(bad.report.abortReason == "hardware_fault: step 4: observation[2] is nan", "\(String(describing: bad.report.abortReason))")
        #expect(bad.abort?.kind == "hardware_fault" && !bad.report.success && bad.report.steps == 4)
        #expect(bad.trajectory.observations.count == 4 * 10, "the policy acted on the reset and steps 1-3 only")
        #expect(bad.trajectory.observations.allSatisfy { $0.isFinite } && bad.report.reward.isFinite)
        #expect(robot.stopped(1) > 0, "the robot was stopped")
        for other in [results[0], results[2]] {
            #expect(other.report.abortReason == nil || !other.report.abortReason!.contains("nan"), "the others ran on")
            #expect(other.report.steps > 4)
        }
    }

    @Test func aNaNResetObservationABackendLetsThroughNeverReachesThePolicy() throws {
        let robot = try LeakyRobot(badIndex: 9, badStep: 0, badAttempt: 0)
        let results = try Self.run(robot, attempts: 2)
        #expect(results[0].report.abortReason == "hardware_fault: reset: observation[9] is nan", "\(String(describing: results[0].report.abortReason))")
        #expect(results[0].report.steps == 0 && results[0].trajectory.samples.isEmpty && !results[0].report.success)
        #expect(robot.stopped(0) > 0)
        #expect(results[1].report.steps > 0)
    }

    @Test func aNaNProgressIsAHardwareFaultNeverAReward() throws {
        let robot = try LeakyRobot(badStep: nil, badAttempt: 0, nanProgress: true)
        let results = try Self.run(robot, attempts: 2)
        #expect(results[0].report.abortReason == "hardware_fault: progress is nan", "\(String(describing: results[0].report.abortReason))")
        #expect(!results[0].report.success && results[0].report.reward.isFinite)
        #expect(results[1].report.abortReason == nil || results[1].report.abortReason?.contains("progress") == false)
    }
}

/// The runner against the real reference controller, through the real engine.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct AttemptSafetyBridgeTests {
    /// A robot folder with reacher2 and bridge-example pointed at `endpoint`, with `edits` applied to bridge-example.
    static func folder(endpoint: String, edits: [(String, String)] = []) throws -> String {
        let dir = try AdaptationEngineTests.robotFolder()
        var yaml = try String(contentsOfFile: AdaptationEngineTests.repoRobots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: endpoint)
            .replacingOccurrences(of: "hello_deadline_ms: 2000", with: "hello_deadline_ms: 5000")
        for (from, to) in edits { yaml = yaml.replacingOccurrences(of: from, with: to) }
        try yaml.write(toFile: dir + "/robots/bridge-example.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    static func bridgePlan(_ i: Int, attempts: Int) -> TaskPlan {
        var plan = AdaptationEngineTests.plan(i, attempts: attempts)
        plan.robot = "bridge-example"
        return plan
    }

    @Test func aControllerSendingNaNEndsEachAttemptByNameAndNothingReachesAnUpdate() throws {
        let controller = try ControllerProcess.reference(["--fault", "nan-observation:3@5"])
        let dir = try Self.folder(endpoint: controller.endpoint)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let outcome = try engine.run(Self.bridgePlan(0, attempts: 2), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        for attempt in outcome.attempts {
            #expect(attempt.abortReason == "hardware_fault: step 5: observation[3] is nan", "\(String(describing: attempt.abortReason))")
            #expect(!attempt.success && attempt.steps == 5 && attempt.reward.isFinite)
        }
        #expect(!outcome.update.attempted, "no update from attempts the robot failed")
        let log = controller.terminate()
        #expect(log.components(separatedBy: "stop seq=").count - 1 >= 2, "each attempt's end stopped the robot: \(log)")
    }

    @Test func theBridgeResetDeadlineFromTheRobotConfigIsTheOneUsed() throws {
        // The controller takes 3 s to reset (heartbeating); the config allows 300 ms.
        let controller = try ControllerProcess.reference(["--reset-wait-ms", "3000", "--heartbeat-ms", "100"])
        defer { controller.terminate() }
        let dir = try Self.folder(endpoint: controller.endpoint, edits: [("reset_deadline_ms: 30000", "reset_deadline_ms: 300")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let outcome = try engine.run(Self.bridgePlan(0, attempts: 1), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        let reason = try #require(outcome.attempts.first?.abortReason)
        #expect(reason.hasPrefix("hardware_fault: reset failed") && reason.contains("no reply within 0.3 seconds"), "\(reason)")
    }

    @Test func aControllerRestartedWithOtherCapabilitiesBetweenTasksFailsTheNextTaskByName() throws {
        let endpoint = ControllerProcess.freshEndpoint()
        let first = try ControllerProcess.reference(endpoint: endpoint)
        let dir = try Self.folder(endpoint: endpoint)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let before = try engine.run(Self.bridgePlan(0, attempts: 1), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        #expect(before.attempts.first?.abortReason == nil, "\(before.attempts)")
        first.terminate()

        // The same endpoint, now a controller whose observation has 11 floats.
        let wider = try String(contentsOfFile: dir + "/robots/reacher2.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  - {type: joint_velocity, joints: [shoulder, elbow]}\n",
                                  with: "  - {type: joint_velocity, joints: [shoulder, elbow]}\n  - {type: joint_position, joints: [elbow]}\n")
        try FileManager.default.createDirectory(atPath: dir + "/wider", withIntermediateDirectories: true)
        try wider.write(toFile: dir + "/wider/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/wider/models", withDestinationPath: AdaptationEngineTests.repoRobots + "/models")
        let second = try ControllerProcess.reference(endpoint: endpoint, config: dir + "/wider/reacher2.yaml")
        defer { second.terminate() }
        let after = try engine.run(Self.bridgePlan(1, attempts: 1), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        let reason = try #require(after.attempts.first?.abortReason)
        #expect(reason.contains("sends observations of 11 floats, the config says 10"), "\(reason)")
        #expect(after.attempts.first?.steps == 0)
    }
}
