import Foundation
import Robots
import TTADTesting

/// A real `ttad-controller` process serving one MuJoCo robot-config over the bridge protocol, and
/// the bridge robot-config that reaches it. With it an experiment meets its robot exactly as a
/// deployed daemon meets a controller: every step crosses the bridge, and whatever the controller
/// does on its side (a scripted person taking over, demonstrating) reaches the engine through the
/// protocol's own fields, not a shortcut.
final class LabController {
    let process: ControllerProcess

    /// Starts `ttad-controller --config robotConfig --endpoint <fresh ipc> arguments...` and waits
    /// (up to `deadline`) until it has bound its socket.
    init(robotConfig: String, arguments: [String], deadline: Duration = .seconds(20)) throws {
        guard let binary = ControllerProcess.controllerBinary else {
            throw LabControllerError("ttad-controller is not built (looked beside ttad-lab and in TTAD_CONTROLLER_BINARY)")
        }
        let endpoint = ControllerProcess.freshEndpoint()
        process = try ControllerProcess(executable: binary, arguments: ["--config", robotConfig, "--endpoint", endpoint] + arguments,
                                        endpoint: endpoint)
        let clock = ContinuousClock(), end = clock.now + deadline
        let socket = String(endpoint.dropFirst("ipc://".count))
        while !FileManager.default.fileExists(atPath: socket) {
            guard process.isRunning else { throw LabControllerError("ttad-controller exited before binding \(endpoint): \(process.terminate())") }
            guard clock.now < end else {
                let log = process.terminate()
                throw LabControllerError("ttad-controller did not bind \(endpoint) within \(deadline): \(log)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    var endpoint: String { process.endpoint }

    /// Stops the controller; returns what it wrote to standard error.
    @discardableResult
    func terminate() -> String { process.terminate() }

    /// The bridge robot-config for a MuJoCo robot-config's text: every top-level section kept as
    /// written (action, max_steps, tasks, dynamics, safety, policy, learning, adaptation, ...)
    /// except what only the simulation needs (`backend`, `joints`, `observation`, `reset`), which
    /// become a `bridge` backend on `endpoint` and the observation's size. The robot's name is the
    /// file's, so the engine's robot is the same robot as far as tasks, checkpoints and safety go.
    static func bridgeConfig(fromMuJoCoYAML yaml: String, observationSize: Int, actionSize: Int, endpoint: String) -> String {
        let simulationOnly: Set<String> = ["backend", "joints", "observation", "reset"]
        var kept: [Substring] = []
        var skipping = false, section = ""
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            // A top-level key starts a section; indented lines, list items and comments belong to it.
            if let first = line.first, first != " ", first != "#", first != "-", let colon = line.firstIndex(of: ":") {
                section = String(line[..<colon])
                skipping = simulationOnly.contains(section)
            }
            // The simulation's actuators become the bridge's action size.
            if section == "action", line.trimmingCharacters(in: .whitespaces).hasPrefix("actuators:") {
                kept.append("  size: \(actionSize)")
                continue
            }
            // The lab shares its machine with builds and other runs: a late step there is noise,
            // not the robot's fault, and step deadlines are not what an experiment measures.
            if !skipping { kept.append(line.hasPrefix("step_deadline_ms:") ? "step_deadline_ms: 2000" : line) }
        }
        return """
            backend:
              type: bridge
              endpoint: \(endpoint)
              hello_deadline_ms: 5000
              reset_deadline_ms: 30000
              stop_deadline_ms: 1000
              heartbeat_interval_ms: 500
              heartbeat_timeout_ms: 5000
            observation_size: \(observationSize)

            """ + kept.joined(separator: "\n")
    }
}

/// Why the lab could not run its controller.
struct LabControllerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
