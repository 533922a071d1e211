import Foundation
@testable import Robots
import TTADTesting

/// Paths and helpers shared by the Robots tests (files are found from this source file, not a bundle).
enum TestSupport {
    static var repoRoot: String { Repository.root }
    static var configsDir: String { repoRoot + "/robot-configs" }
    static func configPath(_ name: String) -> String { configsDir + "/\(name).yaml" }
    static func load(_ name: String) throws -> RobotConfig { try RobotConfig.load(path: configPath(name)) }

    /// Writes `text` to a fresh temporary YAML file named `<name>.yaml` (the stem is the robot's name) and returns its path.
    static func writeTemp(_ text: String, name: String = "robot") throws -> String {
        // One folder for all test runs, one subfolder per file.
        let dir = NSTemporaryDirectory() + "ttad-robots-tests/\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/\(name).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A joint-space PD "policy" that drives the reacher's fingertip to its target using the
    /// analytic Jacobian of the two-link arm (links 0.1 m and 0.11 m). Sane and smooth: what a
    /// trained policy looks like to the safety envelope.
    static func reacherController(observation o: [Float]) -> [Float] {
        let c1 = Double(o[0]), c2 = Double(o[1]), s1 = Double(o[2]), s2 = Double(o[3])
        let v1 = Double(o[4]), v2 = Double(o[5])
        let ex = -Double(o[8]), ey = -Double(o[9])  // target - fingertip
        let c12 = c1 * c2 - s1 * s2, s12 = s1 * c2 + c1 * s2
        let l1 = 0.1, l2 = 0.11
        // J^T e
        let j11 = -l1 * s1 - l2 * s12, j12 = -l2 * s12
        let j21 = l1 * c1 + l2 * c12, j22 = l2 * c12
        let k = 60.0, d = 0.02
        let t1 = k * (j11 * ex + j21 * ey) - d * v1
        let t2 = k * (j12 * ex + j22 * ey) - d * v2
        return [Float(max(-1, min(1, t1))), Float(max(-1, min(1, t2)))]
    }

    /// bridge-example pointed at `endpoint`, with optional tweaks.
    static func bridgeConfig(endpoint: String, stepDeadline: Duration = .milliseconds(500)) throws -> RobotConfig {
        var config = try load("bridge-example")
        guard case .bridge(var settings) = config.backend else { fatalError("bridge-example must be a bridge config") }
        settings.endpoint = endpoint
        settings.helloDeadline = .seconds(5)  // the first connect waits for the process to bind
        config.backend = .bridge(settings)
        config.stepDeadline = stepDeadline
        return config
    }
}
