import Foundation
import Testing
@testable import Robots

/// A robot-config pointing at an MJCF written by someone else: gymnasium's reacher.xml
/// (`pip install gymnasium`; skipped when it is not installed, or set TTAD_GYM_REACHER to the file).
@Suite(.enabled(if: GymnasiumAssets.reacherXML != nil, "gymnasium's reacher.xml not found (pip install gymnasium)"))
struct ThirdPartyMJCFTests {
    static func config() throws -> RobotConfig {
        let reacherXML = GymnasiumAssets.reacherXML
        let yaml = """
            backend: {type: mujoco, model: \(reacherXML!), frame_skip: 2}
            joints: [joint0, joint1]
            observation:
              - {type: joint_cos, joints: [joint0, joint1]}
              - {type: joint_sin, joints: [joint0, joint1]}
              - {type: joint_velocity, joints: [joint0, joint1]}
              - {type: joint_position, joints: [target_x, target_y]}
              - {type: vector, from: body:target, to: body:fingertip, axes: [x, y]}
            action: {actuators: ["#0", "#1"], low: -1, high: 1}
            max_steps: 50
            reset: {joint_noise: 0.1}
            tasks:
              reach:
                params:
                  target_x: {low: -0.2, high: 0.2, sets: {joint: target_x}}
                  target_y: {low: -0.2, high: 0.2, sets: {joint: target_y}}
                norm: {params: [target_x, target_y], min: 0.05, max: 0.2}
                success: {type: distance, between: [body:fingertip, body:target], below: 0.02}
            dynamics:
              damping_scale: {low: 0.1, high: 10}
            safety:
              joint_velocity_limit: 60
              workspace: {point: body:fingertip, low: [-0.25, -0.25, -0.1], high: [0.25, 0.25, 0.1]}
            """
        return try RobotConfig.load(path: try TestSupport.writeTemp(yaml, name: "gym-reacher"))
    }

    @Test func gymnasiumsReacherRunsFromARobotConfig() throws {
        let robot = try makeRobot(try Self.config())
        #expect(robot.config.observationSize == 10)
        var successes = 0
        for seed in UInt64(0)..<10 {
            let attempt = try robot.makeAttempt(task: TaskRequest(name: "reach", seed: seed), index: 0)
            var o = try attempt.reset(deadline: .seconds(1))
            let task = try robot.config.resolve(TaskRequest(name: "reach", seed: seed))
            #expect(abs(Double(o[6]) - task.params["target_x"]!) < 1e-6, "the target moved by its slide joints")
            while true {
                let outcome = try attempt.step(TestSupport.reacherController(observation: o))
                #expect(outcome.abort == nil, "\(String(describing: outcome.abort))")
                o = outcome.observation
                if outcome.done { successes += outcome.success ? 1 : 0; break }
            }
        }
        #expect(successes >= 6, "same arm geometry as reacher2, so the same controller reaches: \(successes)/10")
    }
}

/// Where pip put gymnasium's MuJoCo assets, if it is installed.
enum GymnasiumAssets {
    static let reacherXML: String? = {
        if let path = ProcessInfo.processInfo.environment["TTAD_GYM_REACHER"] { return path }
        for python in ["python3", "/usr/bin/python3"] {
            let p = Process()
            let out = Pipe()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, "-c", "import gymnasium, os; print(os.path.dirname(gymnasium.__file__))"]
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let dir = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let path = dir + "/envs/mujoco/assets/reacher.xml"
            if p.terminationStatus == 0, FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }()
}
