import Foundation
import Testing
import TTADTesting
@testable import Robots

/// A bridge robot-config declares the dynamics factors its controller understands; tasks are
/// checked against them and the values travel to the real `ttad-controller` in `reset`.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct BridgeDynamicsTests {
    /// bridge-example with a factor of the controller's own (`payload_kg`) declared beside the built-in ones.
    static func declaringPayload(endpoint: String) throws -> RobotConfig {
        let text = try String(contentsOfFile: TestSupport.configPath("bridge-example"), encoding: .utf8)
            .replacingOccurrences(of: "\ndynamics:", with: "\ndynamics:\n  payload_kg: {low: 0, high: 2.5, default: 0.5}")
        var config = try RobotConfig.load(path: try TestSupport.writeTemp(text, name: "bridge-example"))
        guard case .bridge(var settings) = config.backend else { fatalError("bridge-example must be a bridge config") }
        settings.endpoint = endpoint
        settings.helloDeadline = .seconds(5)  // the first connect waits for the process to bind
        config.backend = .bridge(settings)
        return config
    }

    static let params: [String: Double] = ["target_x": 0.05, "target_y": 0.15]

    @Test func aDeclaredFactorReachesTheControllerInReset() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try Self.declaringPayload(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(
            task: TaskRequest(name: "reach", params: Self.params, dynamics: ["payload_kg": 1.25], seed: 4), index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        _ = try attempt.step([0, 0])
        let log = controller.log
        #expect(log.contains("payload_kg=1.25"), "the controller saw the declared factor: \(log)")
        // The built-in ones the config declares travel too, at their default.
        #expect(log.contains("damping_scale=1.0"), "\(log)")
    }

    @Test func aDeclaredFactorLeftOutIsSentAtItsDefault() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try Self.declaringPayload(endpoint: controller.endpoint))
        let attempt = try bridge.makeAttempt(task: TaskRequest(name: "reach", params: Self.params, seed: 4), index: 0)
        _ = try attempt.reset(deadline: .seconds(5))
        #expect(controller.log.contains("payload_kg=0.5"), "\(controller.log)")
    }

    @Test func anUndeclaredFactorIsRefusedNamingItAndNothingReachesTheController() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try Self.declaringPayload(endpoint: controller.endpoint))
        #expect {
            _ = try bridge.makeAttempt(task: TaskRequest(name: "reach", params: Self.params, dynamics: ["wind_ms": 3], seed: 4), index: 0)
        } throws: { error in
            "\(error)".contains("unknown dynamics factor \"wind_ms\"") && "\(error)".contains("payload_kg")
        }
        #expect(!controller.log.contains("reset"), "\(controller.log)")
    }

    @Test func anOutOfRangeFactorIsRefusedNamingItAndItsRange() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let bridge = try BridgeRobot(config: try Self.declaringPayload(endpoint: controller.endpoint))
        #expect {
            _ = try bridge.makeAttempt(task: TaskRequest(name: "reach", params: Self.params, dynamics: ["payload_kg": 3], seed: 4), index: 0)
        } throws: { error in
            "\(error)".contains("payload_kg = 3.0 is outside [0.0, 2.5]")
        }
        #expect(!controller.log.contains("reset"), "\(controller.log)")
    }
}
