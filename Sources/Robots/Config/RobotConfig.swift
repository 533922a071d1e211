import Foundation
import Yams

/// Everything ttad knows about one robot, read from a YAML file in robot-configs/ (docs/robot-config.md).
///
/// `policy:`, `learning:` and `adaptation:` belong to other modules: they are kept as raw YAML text.
public struct RobotConfig: Sendable {
    /// The file's stem, e.g. `reacher2`.
    public var name: String
    /// The YAML file it came from.
    public var path: String
    /// MuJoCo in this process, or a bridged controller.
    public var backend: Backend
    /// Length of every observation vector.
    public var observationSize: Int
    /// Length of every action vector.
    public var actionSize: Int
    /// Per-component action bounds; actions are clamped into them.
    public var actionLow: [Float], actionHigh: [Float]
    /// Steps after which an attempt ends unsuccessfully.
    public var maxSteps: Int
    /// Per robot step: bounds a bridge reply, and the wall time of a simulated step.
    public var stepDeadline: Duration
    /// Task families by name.
    public var tasks: [String: TaskSpec]
    /// Allowed dynamics factors with ranges and defaults. MuJoCo robots take the built-in names
    /// (`knownDynamics`, default 1); a bridged robot may also declare names its controller defines.
    public var dynamics: [String: ParamSpec]
    /// The safety envelope.
    public var safety: SafetyConfig
    /// Raw YAML of the `policy:` mapping.
    public var policySection: String?
    /// Raw YAML of the `learning:` mapping.
    public var learningSection: String?
    /// Raw YAML of the `adaptation:` mapping.
    public var adaptationSection: String?

    /// The dynamics factors ttad's MuJoCo backend knows how to apply (scale factors, default 1).
    public static let knownDynamics: Set<String> = ["damping_scale", "gear_scale", "mass_scale", "friction_scale"]

    /// How long one attempt's reset may take: `backend.reset_deadline_ms` for a bridge (a person may
    /// be setting the scene); 1 s for MuJoCo, whose reset waits for nothing (microseconds), so only
    /// a starved machine can miss it.
    public var resetDeadline: Duration {
        switch backend {
        case .bridge(let settings): settings.resetDeadline
        case .mujoco: Self.simulatedResetDeadline
        }
    }

    /// The reset deadline of a simulated robot.
    public static let simulatedResetDeadline: Duration = .seconds(1)

    /// Seconds between two robot steps (MuJoCo: frame_skip x timestep; bridge: what the controller reported, if known).
    public var controlPeriod: Double?

    // MARK: Loading

    /// Reads and checks one robot-config. Errors name the file, the key path and what was expected.
    public static func load(path: String) throws -> RobotConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RobotConfigError(file: path, keyPath: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw RobotConfigError(file: path, keyPath: "", message: "the file is empty; expected a mapping")
            }
            root = node
        } catch let error as RobotConfigError { throw error } catch {
            throw RobotConfigError(file: path, keyPath: "", message: "not valid YAML: \(error)")
        }
        return try parse(ConfigNode(node: root, file: path, path: ""), path: path)
    }

    /// Loads every `*.yaml` / `*.yml` in `dir`, keyed by name (file stem). Any bad file fails the whole load.
    public static func loadDirectory(_ dir: String) throws -> [String: RobotConfig] {
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw RobotConfigError(file: dir, keyPath: "", message: "cannot list the folder: \(error.localizedDescription)")
        }
        var out: [String: RobotConfig] = [:]
        for file in files.sorted() where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
            let config = try load(path: (dir as NSString).appendingPathComponent(file))
            out[config.name] = config
        }
        return out
    }

    static func parse(_ root: ConfigNode, path: String) throws(RobotConfigError) -> RobotConfig {
        try root.onlyKeys([
            "description", "backend", "joints", "observation", "observation_size", "action", "max_steps", "step_deadline_ms",
            "reset", "tasks", "dynamics", "safety", "policy", "learning", "adaptation",
        ])
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = (path as NSString).deletingLastPathComponent

        let backendNode = try root.required("backend")
        let type = try backendNode.required("type").string()
        let action = try root.required("action")
        try action.onlyKeys(["actuators", "size", "low", "high"])
        var observationSize: Int
        var actionSize: Int
        let backend: Backend
        var controlPeriod: Double?
        switch type {
        case "mujoco":
            try backendNode.onlyKeys(["type", "model", "frame_skip", "timestep"])
            let model = try backendNode.required("model").string()
            let modelPath = model.hasPrefix("/") ? model : (folder.isEmpty ? model : (folder as NSString).appendingPathComponent(model))
            let frameSkip = try backendNode.optional("frame_skip")?.int(min: 1) ?? 1
            let timestep = try backendNode.optional("timestep")?.positiveDouble()
            let joints = try root.required("joints").strings()
            let actuators = try action.required("actuators").strings()
            if actuators.isEmpty { throw try action.required("actuators").error("expected at least one actuator name") }
            var items: [ObservationItem] = []
            for item in try root.required("observation").list() { items.append(try ObservationItem.parse(item)) }
            observationSize = items.reduce(0) { $0 + $1.size }
            if let declared = try root.optional("observation_size"), try declared.int() != observationSize {
                throw declared.error("the observation blocks add up to \(observationSize), not \(try declared.int())")
            }
            actionSize = actuators.count
            if let declared = try action.optional("size"), try declared.int() != actionSize {
                throw declared.error("\(actuators.count) actuators are listed, not \(try declared.int())")
            }
            var resetNoise = 0.0, noisePerAttempt = false
            if let reset = try root.optional("reset") {
                try reset.onlyKeys(["joint_noise", "noise_per_attempt"])
                if let noise = try reset.optional("joint_noise") {
                    resetNoise = try noise.double()
                    guard resetNoise >= 0 else { throw noise.error("expected a number >= 0") }
                }
                if let perAttempt = try reset.optional("noise_per_attempt") { noisePerAttempt = try perAttempt.bool() }
            }
            if let timestep { controlPeriod = timestep * Double(frameSkip) }
            backend = .mujoco(MuJoCoSettings(
                modelPath: modelPath, frameSkip: frameSkip, timestep: timestep, joints: joints, actuators: actuators,
                observation: items, resetNoise: resetNoise, resetNoisePerAttempt: noisePerAttempt))
        case "bridge":
            try backendNode.onlyKeys([
                "type", "endpoint", "hello_deadline_ms", "reset_deadline_ms", "stop_deadline_ms",
                "heartbeat_interval_ms", "heartbeat_timeout_ms",
            ])
            var settings = BridgeSettings(endpoint: try backendNode.required("endpoint").string())
            if let v = try backendNode.optional("hello_deadline_ms") { settings.helloDeadline = try v.milliseconds() }
            if let v = try backendNode.optional("reset_deadline_ms") { settings.resetDeadline = try v.milliseconds() }
            if let v = try backendNode.optional("stop_deadline_ms") { settings.stopDeadline = try v.milliseconds() }
            if let v = try backendNode.optional("heartbeat_interval_ms") { settings.heartbeatInterval = try v.milliseconds() }
            if let v = try backendNode.optional("heartbeat_timeout_ms") { settings.heartbeatTimeout = try v.milliseconds() }
            guard settings.heartbeatTimeout > settings.heartbeatInterval else {
                throw backendNode.error("heartbeat_timeout_ms must be longer than heartbeat_interval_ms")
            }
            for key in ["joints", "observation", "reset"] {
                if let n = try root.optional(key) { throw n.error("not used with a bridge backend (the controller owns it)") }
            }
            observationSize = try root.required("observation_size").int(min: 1)
            actionSize = try action.required("size").int(min: 1)
            backend = .bridge(settings)
        default:
            throw try backendNode.required("type").error("expected mujoco or bridge, found \"\(type)\"")
        }
        let mujoco = if case .mujoco = backend { true } else { false }

        let low = try action.required("low").doublesOrScalar(count: actionSize)
        let high = try action.required("high").doublesOrScalar(count: actionSize)
        for i in 0..<actionSize where !(low[i] < high[i]) {
            throw action.error("expected low < high for every action component, found [\(low[i]), \(high[i])] at \(i)")
        }
        let maxSteps = try root.required("max_steps").int(min: 1)
        let stepDeadline = try root.optional("step_deadline_ms")?.milliseconds() ?? .milliseconds(100)

        var tasks: [String: TaskSpec] = [:]
        let tasksNode = try root.required("tasks")
        for (key, value) in try tasksNode.entries() { tasks[key] = try TaskSpec.parse(name: key, value, mujoco: mujoco) }
        if tasks.isEmpty { throw tasksNode.error("expected at least one task family") }

        let dynamics = try parseDynamics(try root.optional("dynamics"), bridge: !mujoco)
        let safety = try SafetyConfig.parse(try root.required("safety"), actionSize: actionSize, mujoco: mujoco)

        func section(_ key: String) throws(RobotConfigError) -> String? {
            guard let node = try root.optional(key) else { return nil }
            _ = try node.entries()  // must be a mapping; its contents are another module's business
            return try node.yamlText()
        }
        return RobotConfig(
            name: name, path: path, backend: backend, observationSize: observationSize, actionSize: actionSize,
            actionLow: low.map(Float.init), actionHigh: high.map(Float.init), maxSteps: maxSteps, stepDeadline: stepDeadline,
            tasks: tasks, dynamics: dynamics, safety: safety, policySection: try section("policy"),
            learningSection: try section("learning"), adaptationSection: try section("adaptation"),
            controlPeriod: controlPeriod)
    }

    public init(
        name: String, path: String, backend: Backend, observationSize: Int, actionSize: Int, actionLow: [Float],
        actionHigh: [Float], maxSteps: Int, stepDeadline: Duration, tasks: [String: TaskSpec],
        dynamics: [String: ParamSpec] = [:], safety: SafetyConfig, policySection: String? = nil,
        learningSection: String? = nil, adaptationSection: String? = nil, controlPeriod: Double? = nil
    ) {
        self.name = name
        self.path = path
        self.backend = backend
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.actionLow = actionLow
        self.actionHigh = actionHigh
        self.maxSteps = maxSteps
        self.stepDeadline = stepDeadline
        self.tasks = tasks
        self.dynamics = dynamics
        self.safety = safety
        self.policySection = policySection
        self.learningSection = learningSection
        self.adaptationSection = adaptationSection
        self.controlPeriod = controlPeriod
    }
}
