import Foundation
import Robots
import ZeroMQ

/// The request loop: one simulation at a time, answering hello, reset, step, stop and estop.
struct ControllerServer {
    let robot: MuJoCoRobot
    let socket: ZMQSocket
    let fault: Fault?
    /// Who besides ttad may drive: the scripted person.
    var person: Person
    let resetWait: Duration
    let heartbeat: Duration
    let verbose: Bool
    private var simulation: MuJoCoSimulation?
    /// The success distance and tolerance at the last reset, for the `progress` field.
    private var startDistance: (distance: Double, tolerance: Double)?
    /// Steps served since start (what the faults count).
    private var stepsServed = 0
    /// Steps of the current attempt (0 at its reset): what the non-finite faults count.
    private var attemptStep = 0
    /// Between a stop/estop and the next reset, steps are refused.
    private var halted = true
    /// The current attempt is a demonstration (its reset said so): the person drives every step.
    private var demonstrating = false

    init(robot: MuJoCoRobot, socket: ZMQSocket, fault: Fault?, person: Person,
         resetWait: Duration, heartbeat: Duration, verbose: Bool) {
        self.robot = robot
        self.socket = socket
        self.fault = fault
        self.person = person
        self.resetWait = resetWait
        self.heartbeat = heartbeat
        self.verbose = verbose
    }

    mutating func serve() throws {
        while true {
            // A bounded wait keeps the loop responsive; a controller has nothing else to do meanwhile.
            guard try socket.poll(.in, timeout: .seconds(1)) else { continue }
            let message = try socket.receive()
            guard message.count >= 2 else { continue }
            let identity = message[0]
            let header: BridgeProtocol.Header
            do { header = try BridgeProtocol.decodeHeader(message[1]) } catch {
                log("ignoring an undecodable request: \(error)")
                continue
            }
            if verbose || header.type == .stop || header.type == .estop { log("\(header.type.rawValue) seq=\(header.seq)\(Self.dynamicsNote(header))") }
            if case .silentAfter(let n) = fault, stepsServed >= n {
                log("silent: dropping \(header.type.rawValue) seq=\(header.seq)")
                continue
            }
            let reply = handle(header, frames: Array(message.dropFirst(2)), identity: identity)
            try socket.send([identity] + reply)
        }
    }

    private mutating func handle(_ header: BridgeProtocol.Header, frames: [[UInt8]], identity: [UInt8]) -> [[UInt8]] {
        var reply = BridgeProtocol.Header(type: header.type, seq: header.seq)
        let config = robot.config
        switch header.type {
        case .hello:
            reply.robot = config.name
            reply.observationSize = config.observationSize
            reply.actionSize = config.actionSize
            reply.actionLow = config.actionLow
            reply.actionHigh = config.actionHigh
            reply.joints = robot.jointNames
            reply.endEffector = config.safety.workspace?.point != nil
            reply.controlPeriod = robot.controlPeriod
            if person.announcesDemonstration { reply.features = [BridgeProtocol.demonstrationFeature] }
            return [BridgeProtocol.encode(reply)]
        case .reset:
            if header.demonstration == true, !person.announcesDemonstration {
                return errorReply(header, "a demonstration needs a person (start with --person scripted)")
            }
            let task = ResolvedTask(
                name: header.task ?? "", params: header.params ?? [:], dynamics: header.dynamics ?? [:], seed: header.seed ?? 0)
            let sim: MuJoCoSimulation
            do {
                sim = try robot.makeSimulation(task)
                try sim.reset(task: task, index: header.index ?? 0)
            } catch {
                return errorReply(header, "\(error)")
            }
            simulation = sim
            startDistance = sim.successDistance
            waitForScene(header, identity: identity)
            halted = false
            attemptStep = 0
            person.reset()
            demonstrating = header.demonstration == true
            return [BridgeProtocol.encode(reply)] + dataFrames(sim)
        case .step:
            guard let simulation, !halted else { return errorReply(header, "no attempt running (reset first; stopped or e-stopped)") }
            guard frames.count == 1, let action = try? BridgeProtocol.decodeFloats(frames[0], count: config.actionSize, what: "action") else {
                return errorReply(header, "a step needs one action frame of \(config.actionSize) float32")
            }
            if case .dieAfter(let n) = fault, stepsServed >= n {
                log("dying mid-attempt after \(stepsServed) steps")
                exit(3)
            }
            // A person driving this step: ttad's action is ignored, theirs goes to the motors as given.
            var person = self.person.action(step: attemptStep + 1, observation: simulation.observation(), demonstration: demonstrating)
            if case .badIntervention(_, let step) = fault, step == attemptStep + 1 {
                person = person ?? self.person.takeover?.action ?? Array(repeating: 0, count: config.actionSize)
            }
            // The controller clamps ttad's actions too: it never trusts its client with the motors.
            let clamped = action.enumerated().map { min(max($0.element, config.actionLow[$0.offset]), config.actionHigh[$0.offset]) }
            simulation.apply(person ?? clamped)
            simulation.advance()
            stepsServed += 1
            attemptStep += 1
            if case .garbageAfter(let n) = fault, stepsServed > n {
                return [[0xDE, 0xAD, 0xBE, 0xEF], [1, 2, 3]]
            }
            if case .late(let ms) = fault { Thread.sleep(forTimeInterval: Double(ms) / 1000) }
            if case .lateOnce(let ms) = fault, stepsServed == 1 { Thread.sleep(forTimeInterval: Double(ms) / 1000) }
            let now = simulation.successDistance
            reply.success = now.map { $0.distance < $0.tolerance } ?? false
            // The optional progress field: the share of the way from the start to the tolerance.
            if let start = startDistance, let now {
                reply.progress = start.distance > start.tolerance
                    ? min(1, max(0, (start.distance - now.distance) / (start.distance - start.tolerance))) : 1
            }
            if let progress = reply.progress { self.person.observe(progress: progress) }
            if case .nanProgress(let step) = fault, step == attemptStep {
                log("sending progress NaN at step \(attemptStep)")
                reply.progress = .nan
            }
            if case .demonstrationNotIntervened(let step) = fault, demonstrating, step == attemptStep {
                log("answering step \(attemptStep) of a demonstration as an ordinary step")
                return [Self.encodeAllowingNaN(reply)] + dataFrames(simulation)
            }
            guard let person else { return [Self.encodeAllowingNaN(reply)] + dataFrames(simulation) }
            reply.intervened = true
            var executed = person
            var header = Self.encodeAllowingNaN(reply)
            var frames = dataFrames(simulation)
            if case .badIntervention(let kind, let step) = fault, step == attemptStep {
                log("sending a malformed intervention (\(kind.rawValue)) at step \(attemptStep)")
                switch kind {
                case .shortFrame: executed.removeLast()
                case .nanFrame: executed[0] = .nan
                case .noFrame: return [header] + frames
                case .noFlag:
                    reply.intervened = nil
                    header = Self.encodeAllowingNaN(reply)
                case .notBool:
                    let text = String(decoding: header, as: UTF8.self)
                    header = Array(text.replacingOccurrences(of: "\"intervened\":true", with: "\"intervened\":\"yes\"").utf8)
                }
            }
            frames.append(BridgeProtocol.encode(executed))
            return [header] + frames
        case .stop, .estop:
            simulation?.zeroControls()
            halted = true
            return [BridgeProtocol.encode(reply)]
        case .heartbeat, .error:
            return errorReply(header, "\(header.type.rawValue) is not a request")
        }
    }

    /// The observation and state frames, with the non-finite fault applied when its step has come.
    private func dataFrames(_ simulation: MuJoCoSimulation) -> [[UInt8]] {
        var observation = simulation.observation()
        var state = BridgeProtocol.encodeState(simulation.safetyState)
        switch fault {
        case .badObservation(let k, let step, let value) where step == attemptStep && k < observation.count:
            log("sending observation[\(k)] = \(value) at step \(attemptStep)")
            observation[k] = value
        case .badState(let k, let step) where step == attemptStep && 4 * k < state.count:
            log("sending state[\(k)] = nan at step \(attemptStep)")
            var values = (try? BridgeProtocol.decodeFloats(state, count: state.count / 4, what: "state")) ?? []
            values[k] = .nan
            state = BridgeProtocol.encode(values)
        default: break
        }
        return [BridgeProtocol.encode(observation), state]
    }

    /// Encodes a header; a NaN is written as a bare `NaN` token, as Python's `json.dumps` does.
    private static func encodeAllowingNaN(_ header: BridgeProtocol.Header) -> [UInt8] {
        guard let p = header.progress, p.isNaN else { return BridgeProtocol.encode(header) }
        var finite = header
        finite.progress = 0.5
        let text = String(decoding: BridgeProtocol.encode(finite), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "\"progress\":0.5", with: "\"progress\":NaN").utf8)
    }

    /// Simulates a person setting the scene: waits, sending heartbeats so ttad knows we are alive.
    private func waitForScene(_ header: BridgeProtocol.Header, identity: [UInt8]) {
        guard resetWait > .zero else { return }
        let end = ContinuousClock.now + resetWait
        while ContinuousClock.now < end {
            let beat = BridgeProtocol.Header(type: .heartbeat, seq: header.seq)
            try? socket.send([identity, BridgeProtocol.encode(beat)])
            let left = end - ContinuousClock.now
            Thread.sleep(forTimeInterval: Self.seconds(min(left, heartbeat)))
        }
    }

    /// ` dynamics: a=1.0 b=2.0` for a reset that carries factors (sorted), so a test or a person
    /// reading the log sees what reached the controller, including names only a bridge config declares.
    private static func dynamicsNote(_ header: BridgeProtocol.Header) -> String {
        guard header.type == .reset, let dynamics = header.dynamics, !dynamics.isEmpty else { return "" }
        return " dynamics: " + dynamics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    private func errorReply(_ header: BridgeProtocol.Header, _ message: String) -> [[UInt8]] {
        var reply = BridgeProtocol.Header(type: .error, seq: header.seq)
        reply.message = message
        return [BridgeProtocol.encode(reply)]
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
