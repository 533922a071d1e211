import ArgumentParser
import Demonstrators
import Foundation
import Robots
import ZeroMQ

/// `ttad-controller`: the reference robot controller for the bridge protocol (docs/bridge-protocol.md).
///
/// Serves a MuJoCo robot-config over a ROUTER socket, as a real robot's controller would serve
/// its hardware, and can be told to misbehave so the fault handling on ttad's side can be tested.
@main
struct TTADController: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttad-controller",
        abstract: "Serve a MuJoCo robot-config over ttad's bridge protocol.")

    @Option(help: "The MuJoCo robot-config to serve, e.g. robot-configs/reacher2.yaml.")
    var config: String

    @Option(help: "ZeroMQ endpoint to bind, e.g. ipc:///tmp/ttad-controller.sock or tcp://*:5600.")
    var endpoint: String

    @Option(help: """
        Misbehave: late:<ms> (answer steps late), late-once:<ms> (only the first step), silent-after:<n>,         garbage-after:<n>, die-after:<n> (n = steps served); nan-observation:<k>@<s>, inf-observation:<k>@<s>,         nan-state:<k>@<s> (that value of the reply to step s of every attempt, s = 0: the reset reply),         nan-progress:<s> (progress NaN, written as Python's json writes it); intervene-short:<s>,         intervene-nan:<s>, intervene-no-frame:<s>, intervene-no-flag:<s>, intervene-not-bool:<s>         (a malformed intervention in the reply to step s); demo-no-intervene:<s> (in a demonstration         attempt, step s answered as an ordinary step).
        """)
    var fault: Fault?

    @Option(name: .customLong("intervene-steps"), help: """
        Play a person who takes over steps A-B (1-based, inclusive) of every attempt: ttad's action is \
        ignored, --intervene-action is executed, and the reply says intervened with that action.
        """)
    var interveneSteps: InterventionSteps?

    @Option(name: .customLong("intervene-action"), help: "The person's action while intervening, comma-separated (default: all zeros).")
    var interveneAction: String?

    @Option(help: """
        Play a person who can demonstrate: `scripted` announces the `demonstration` feature (bridge \
        protocol 1.2) and drives every step of a demonstration attempt with the robot's scripted \
        demonstrator (reacher2, pusher).
        """)
    var person: PersonKind?

    @Option(name: .customLong("person-gain"), help: """
        With --person scripted: multiply the scripted demonstrator's proportional gain by this (a person \
        who pushes harder; under a shift that weakens the motors the default gains fall short).
        """)
    var personGain: Double = 1

    @Option(name: .customLong("takeover-stall"), help: """
        With --person scripted: the person also takes over an ordinary attempt that has made no progress \
        (the step reply's progress rising by --takeover-min-gain) for this many steps, and drives \
        --takeover-hold steps with the robot's scripted demonstrator before handing back.
        """)
    var takeoverStall: Int?

    @Option(name: .customLong("takeover-hold"), help: "Steps the person drives once they take over (with --takeover-stall).")
    var takeoverHold: Int = 10

    @Option(name: .customLong("takeover-min-gain"), help: "The rise in progress (0 to 1) that counts as progress (with --takeover-stall).")
    var takeoverMinGain: Double = 0.01

    @Option(name: .customLong("reset-wait-ms"), help: "Wait this long at every reset (as if a person set the scene), sending heartbeats.")
    var resetWaitMs: Int = 0

    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval while a request takes long.")
    var heartbeatMs: Int = 200

    @Flag(help: "Log every request to stderr.")
    var verbose = false

    func run() throws {
        // A parent may have left SIGTERM ignored (inherited across exec); a controller must stop when told.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        let robotConfig = try RobotConfig.load(path: config)
        let robot = try MuJoCoRobot(config: robotConfig)
        var personAction: [Float] = Array(repeating: 0, count: robotConfig.actionSize)
        if let interveneAction {
            let values = interveneAction.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == robotConfig.actionSize, let parsed = values as? [Float] else {
                throw ValidationError("--intervene-action needs \(robotConfig.actionSize) comma-separated numbers, got \"\(interveneAction)\"")
            }
            personAction = parsed
        }
        var scripted: (any Demonstrator)?
        if person == .scripted {
            guard personGain > 0, personGain.isFinite else { throw ValidationError("--person-gain must be a number > 0, got \(personGain)") }
            guard let demonstrator = Demonstrators.make(for: robotConfig.name, gain: Float(personGain)) else {
                throw ValidationError("--person scripted: no scripted demonstrator for robot \(robotConfig.name) (there is one for reacher2 and pusher)")
            }
            scripted = demonstrator
        }
        if personGain != 1, scripted == nil { throw ValidationError("--person-gain needs --person scripted (whose gain it is)") }
        var stall: StallTakeover?
        if let takeoverStall {
            guard scripted != nil else { throw ValidationError("--takeover-stall needs --person scripted (who takes over)") }
            guard takeoverStall >= 1, takeoverHold >= 1, takeoverMinGain >= 0, takeoverMinGain.isFinite else {
                throw ValidationError("--takeover-stall and --takeover-hold must be at least 1, --takeover-min-gain at least 0")
            }
            stall = StallTakeover(stallSteps: takeoverStall, holdSteps: takeoverHold, minimumGain: takeoverMinGain)
        }
        // Bound only once every argument is checked: a controller that refuses them exits before
        // anyone can connect to it.
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .router)
        try socket.setMaxMessageSize(16 << 20)
        try socket.bind(endpoint)
        log("serving \(robotConfig.name) on \(endpoint)\(fault.map { " with fault \($0)" } ?? "")")
        var server = ControllerServer(
            robot: robot, socket: socket, fault: fault,
            person: Person(demonstrator: scripted, takeover: interveneSteps.map { ($0.range, personAction) }, stall: stall),
            resetWait: .milliseconds(resetWaitMs),
            heartbeat: .milliseconds(heartbeatMs), verbose: verbose)
        try server.serve()
    }
}

/// A way for the controller to misbehave, for fault tests.
enum Fault: ExpressibleByArgument, CustomStringConvertible {
    case late(milliseconds: Int)
    /// Only the first step is answered late: the client gives up, and its next attempt must not be fooled by the stale reply.
    case lateOnce(milliseconds: Int)
    case silentAfter(Int)
    case garbageAfter(Int)
    case dieAfter(Int)
    /// The observation's value `index` is `value` (NaN or infinity) in the reply to step `step` of
    /// every attempt (0: the reset reply): a broken sensor or a diverged simulation.
    case badObservation(index: Int, step: Int, value: Float)
    /// The same for the state frame (joint positions, velocities, end effector).
    case badState(index: Int, step: Int)
    /// `progress` is NaN (a bare `NaN` token, as Python's `json.dumps` writes it) at step `step`.
    case nanProgress(step: Int)
    /// A malformed intervention in the reply to step `step` (a person drives it): the executed
    /// action frame one value short, a NaN in it, the flag without the frame, the frame without
    /// the flag, or `"intervened": "yes"`.
    case badIntervention(BadIntervention, step: Int)

    /// In a demonstration attempt, the reply to step `step` is an ordinary one (no `intervened`):
    /// a controller breaking the demonstration contract.
    case demonstrationNotIntervened(step: Int)

    /// How `badIntervention` is malformed.
    enum BadIntervention: String, CaseIterable {
        case shortFrame = "intervene-short", nanFrame = "intervene-nan", noFrame = "intervene-no-frame"
        case noFlag = "intervene-no-flag", notBool = "intervene-not-bool"
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let at = parts[1].split(separator: "@", maxSplits: 1).compactMap { Int($0) }
        if at.count == 2, at.allSatisfy({ $0 >= 0 }) {
            switch parts[0] {
            case "nan-observation": self = .badObservation(index: at[0], step: at[1], value: .nan)
            case "inf-observation": self = .badObservation(index: at[0], step: at[1], value: .infinity)
            case "nan-state": self = .badState(index: at[0], step: at[1])
            default: return nil
            }
            return
        }
        guard let n = Int(parts[1]), n >= 0 else { return nil }
        switch parts[0] {
        case "nan-progress": self = .nanProgress(step: n)
        case "demo-no-intervene": self = .demonstrationNotIntervened(step: n)
        case let name where BadIntervention(rawValue: name) != nil: self = .badIntervention(BadIntervention(rawValue: name)!, step: n)
        case "late": self = .late(milliseconds: n)
        case "late-once": self = .lateOnce(milliseconds: n)
        case "silent-after": self = .silentAfter(n)
        case "garbage-after": self = .garbageAfter(n)
        case "die-after": self = .dieAfter(n)
        default: return nil
        }
    }

    var description: String {
        switch self {
        case .late(let ms): "late:\(ms)"
        case .lateOnce(let ms): "late-once:\(ms)"
        case .silentAfter(let n): "silent-after:\(n)"
        case .garbageAfter(let n): "garbage-after:\(n)"
        case .dieAfter(let n): "die-after:\(n)"
        case .badObservation(let k, let step, let value): "\(value.isNaN ? "nan" : "inf")-observation:\(k)@\(step)"
        case .badState(let k, let step): "nan-state:\(k)@\(step)"
        case .nanProgress(let step): "nan-progress:\(step)"
        case .badIntervention(let kind, let step): "\(kind.rawValue):\(step)"
        case .demonstrationNotIntervened(let step): "demo-no-intervene:\(step)"
        }
    }
}

/// Who `--person` plays.
enum PersonKind: String, ExpressibleByArgument {
    /// The robot's scripted demonstrator (Sources/Demonstrators).
    case scripted
}

/// `A-B`: the steps of every attempt (1-based, inclusive) the scripted person drives.
struct InterventionSteps: ExpressibleByArgument {
    var range: ClosedRange<Int>

    init?(argument: String) {
        let parts = argument.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[1] >= parts[0] else { return nil }
        range = parts[0]...parts[1]
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("ttad-controller: \(message)\n".utf8))
}
