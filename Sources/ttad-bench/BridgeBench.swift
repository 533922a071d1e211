import ArgumentParser
import Foundation
import Robots
import ZeroMQ

/// `ttad-bench bridge`: the bridge step turnaround (action sent -> observation received) of ttad's
/// `BridgeRobot` talking to the Swift `ttad-controller`, against a raw libzmq DEALER/ROUTER echo
/// of frames of the same sizes over the same ipc:// transport, in the same run, as ratios.
///
/// The Swift counterpart of bench/python/bridge_turnaround.py. The controller simulates reacher2
/// (two `mj_step` per step, a few microseconds) and sends real observations; the raw echo answers
/// each request with prebuilt frames (the least any controller can do).
struct BridgeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge", abstract: "Bridge step turnaround (BridgeRobot + ttad-controller) vs a raw libzmq echo, p50/p99/p99.9.")

    @Option(help: "The ttad-controller binary.") var controller: String = ".build/release/ttad-controller"
    @Option(help: "The MuJoCo robot-config the controller serves.") var robotConfig: String = "robot-configs/reacher2.yaml"
    @Option(help: "The bridge robot-config ttad's side uses (its endpoint is replaced).") var bridgeConfig: String = "robot-configs/bridge-example.yaml"
    @Option(help: "Timed steps on each side.") var steps: Int = 20_000
    @Option(help: "Untimed steps on each side first.") var warmup: Int = 1000

    func run() throws {
        let dir = NSTemporaryDirectory() + "ttad-bench-bridge-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let server = Process()
        server.executableURL = URL(fileURLWithPath: controller)
        server.arguments = ["--config", robotConfig, "--endpoint", "ipc://\(dir)/controller.sock"]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }

        var config = try RobotConfig.load(path: bridgeConfig)
        guard case .bridge(var settings) = config.backend else { throw ValidationError("\(bridgeConfig) is not a bridge robot") }
        settings.endpoint = "ipc://\(dir)/controller.sock"
        settings.helloDeadline = .seconds(10)  // the controller may still be loading its model
        config.backend = .bridge(settings)
        // One long attempt: the timed loop measures steps, not resets. An attempt that still ends
        // (success) is replaced by a new one, untimed.
        config.maxSteps = warmup + steps + 1
        config.stepDeadline = .seconds(5)
        let robot = try BridgeRobot(config: config)
        let task = TaskRequest(name: config.tasks.keys.sorted()[0], seed: 1)
        var attempt = try robot.makeAttempt(task: task, index: 0)
        let observation = try attempt.reset(deadline: .seconds(30))
        let hello = try robot.capabilities()

        // The raw side sends and answers frames of the same sizes as the bridge's step: a JSON
        // header, the action; a JSON header, the observation, the state.
        let stateFloats = 2 * (hello.joints?.count ?? 0) + (hello.endEffector == true ? 3 : 0)
        var replyHeader = BridgeProtocol.Header(type: .step, seq: 1)
        replyHeader.success = false
        replyHeader.progress = 0.25
        let reply = [BridgeProtocol.encode(replyHeader), BridgeProtocol.encode(observation),
                     BridgeProtocol.encode([Float](repeating: 0.5, count: stateFloats))]
        let raw = try RawBridgeEcho(endpoint: "ipc://\(dir)/raw.sock", reply: reply)
        defer { raw.stop() }
        let action: [Float] = Array(repeating: 0, count: config.actionSize)
        let request = [BridgeProtocol.encode(BridgeProtocol.Header(type: .step, seq: 1)), BridgeProtocol.encode(action)]
        for _ in 0..<100 { try raw.roundTrip(request) }

        var ours: [Double] = [], floor: [Double] = []
        ours.reserveCapacity(steps)
        floor.reserveCapacity(steps)
        var attempts = 1
        // Alternate step by step, so a noisy neighbour slows both sides alike.
        for i in 0..<(warmup + steps) {
            let record = i >= warmup
            func timeOurs() throws {
                let t0 = ContinuousClock.now
                let outcome = try attempt.step(action)
                let elapsed = ContinuousClock.now - t0
                if let abort = outcome.abort { throw ValidationError("step \(i): \(abort)") }
                if record { ours.append(Self.micros(elapsed)) }
                if outcome.done {
                    attempt = try robot.makeAttempt(task: task, index: attempts)
                    attempts += 1
                    _ = try attempt.reset(deadline: .seconds(30))
                }
            }
            func timeRaw() throws {
                let t0 = ContinuousClock.now
                try raw.roundTrip(request)
                if record { floor.append(Self.micros(ContinuousClock.now - t0)) }
            }
            if i % 2 == 0 { try timeRaw(); try timeOurs() } else { try timeOurs(); try timeRaw() }
        }

        let a = Self.percentiles(ours), b = Self.percentiles(floor)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("bridge step turnaround over ipc://, \(steps) steps each, alternating (\(observation.count)-float observation, "
              + "\(stateFloats)-float state, \(config.actionSize)-float action); \(attempts) attempt(s); load average \(load)")
        print("                                    p50 us    p99 us  p99.9 us")
        print(String(format: "raw libzmq DEALER/ROUTER echo   %10.1f%10.1f%10.1f", b.0, b.1, b.2))
        print(String(format: "BridgeRobot + ttad-controller   %10.1f%10.1f%10.1f", a.0, a.1, a.2))
        print(String(format: "ratio ttad / raw                %10.2f%10.2f%10.2f", a.0 / b.0, a.1 / b.1, a.2 / b.2))
    }

    static func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    /// p50, p99, p99.9 (nearest rank).
    static func percentiles(_ xs: [Double]) -> (Double, Double, Double) {
        let s = xs.sorted()
        func at(_ q: Double) -> Double { s[min(s.count - 1, Int(q * Double(s.count)))] }
        return (at(0.5), at(0.99), at(0.999))
    }
}

/// `ttad-bench raw-bridge-echo`: a raw libzmq ROUTER that answers every request with the same
/// prebuilt frames (given hex-encoded on the command line), in its own process as a controller is.
struct RawBridgeEchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw-bridge-echo", abstract: "A raw libzmq ROUTER answering with fixed frames (for `bridge`).", shouldDisplay: false)
    @Argument(help: "The endpoint to bind.") var endpoint: String
    @Argument(help: "The reply frames, hex.") var frames: [String]

    func run() throws {
        let reply = frames.map(RawBridgeEcho.unhex)
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .router)
        try server.bind(endpoint)
        while true {
            guard let message = try? server.receive(deadline: .seconds(1)), let peer = message.first else { continue }
            try? server.send([peer] + reply)
        }
    }
}

/// A DEALER client of `ttad-bench raw-bridge-echo` running in a child process.
final class RawBridgeEcho {
    private let context: ZMQContext
    private let client: ZMQSocket
    private let server = Process()

    init(endpoint: String, reply: [[UInt8]]) throws {
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        server.arguments = ["raw-bridge-echo", endpoint] + reply.map(Self.hex)
        try server.run()
        context = try ZMQContext()
        client = try ZMQSocket(context, .dealer)
        try client.connect(endpoint)
    }

    /// One request and its reply.
    func roundTrip(_ frames: [[UInt8]]) throws {
        try client.send(frames, deadline: .seconds(5))
        _ = try client.receive(deadline: .seconds(5))
    }

    func stop() {
        server.terminate()
        server.waitUntilExit()
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func unhex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = text.startIndex
        while let j = text.index(i, offsetBy: 2, limitedBy: text.endIndex), i < text.endIndex {
            out.append(UInt8(text[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }
}
