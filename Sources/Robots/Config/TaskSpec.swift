/// One task family a robot can do (a key under `tasks:`): its parameters, and when it counts as done.
public struct TaskSpec: Sendable {
    /// The family's name, e.g. `reach`.
    public var name: String
    /// Parameters by name (e.g. `target_x`), each with a range, an optional default and where it goes in the scene.
    public var params: [String: ParamSpec]
    /// Optional joint constraint on sampled and given parameters (e.g. the target must be within reach).
    public var norm: NormConstraint?
    /// When an attempt has succeeded. Required for MuJoCo robots; a bridged controller decides success itself.
    public var success: SuccessCondition?

    public init(name: String, params: [String: ParamSpec], norm: NormConstraint? = nil, success: SuccessCondition?) {
        self.name = name
        self.params = params
        self.norm = norm
        self.success = success
    }
}

/// A task parameter or dynamics factor: its allowed range and default.
public struct ParamSpec: Sendable, Equatable {
    /// Smallest allowed value.
    public var low: Double
    /// Largest allowed value.
    public var high: Double
    /// Used when a request leaves the parameter out; without one, the value is drawn uniformly from the range with the task's seed.
    public var defaultValue: Double?
    /// Where a MuJoCo backend writes the value (nil for dynamics factors and bridged robots).
    public var binding: ParamBinding?

    public init(low: Double, high: Double, defaultValue: Double? = nil, binding: ParamBinding? = nil) {
        self.low = low
        self.high = high
        self.defaultValue = defaultValue
        self.binding = binding
    }
}

/// Where a task parameter goes in a MuJoCo scene.
public enum ParamBinding: Sendable, Equatable {
    /// One coordinate (0 x, 1 y, 2 z) of a mocap body's position.
    case mocap(body: String, axis: Int)
    /// The position coordinate of a slide or hinge joint (gymnasium's reacher moves its target this way).
    case joint(String)
}

/// Requires the Euclidean norm of some parameters to lie in [min, max], e.g. a target within the arm's reach.
public struct NormConstraint: Sendable, Equatable {
    /// The parameters forming the vector, e.g. `[target_x, target_y]`.
    public var params: [String]
    public var min: Double
    public var max: Double

    public init(params: [String], min: Double, max: Double) {
        self.params = params
        self.min = min
        self.max = max
    }
}

/// When an attempt has succeeded.
public enum SuccessCondition: Sendable, Equatable {
    /// The distance between two points is below a tolerance (metres), e.g. fingertip and target.
    case distance(PointRef, PointRef, below: Double)
}

extension TaskSpec {
    static func parse(name: String, _ node: ConfigNode, mujoco: Bool) throws(RobotConfigError) -> TaskSpec {
        try node.onlyKeys(["params", "norm", "success"])
        var params: [String: ParamSpec] = [:]
        if let paramsNode = try node.optional("params") {
            for (key, value) in try paramsNode.entries() {
                params[key] = try ParamSpec.parse(value, bindable: true)
                if mujoco && params[key]!.binding == nil {
                    throw value.error("missing `sets`; a MuJoCo task parameter must say where it goes ({mocap: <body>, axis: x} or {joint: <name>})")
                }
            }
        }
        var norm: NormConstraint?
        if let normNode = try node.optional("norm") {
            try normNode.onlyKeys(["params", "min", "max"])
            let names = try normNode.required("params").strings()
            for n in names where params[n] == nil {
                throw try normNode.required("params").error("unknown parameter \"\(n)\"; expected one of \(params.keys.sorted().joined(separator: ", "))")
            }
            let min = try normNode.optional("min")?.double() ?? 0
            let max = try normNode.required("max").positiveDouble()
            guard min >= 0, min < max else { throw normNode.error("expected 0 <= min < max") }
            norm = NormConstraint(params: names, min: min, max: max)
        }
        var success: SuccessCondition?
        if let s = try node.optional("success") {
            try s.onlyKeys(["type", "between", "below"])
            let type = try s.required("type").string()
            guard type == "distance" else { throw try s.required("type").error("expected \"distance\", found \"\(type)\"") }
            let between = try s.required("between").list()
            guard between.count == 2 else { throw try s.required("between").error("expected two points, e.g. [site:fingertip, site:target]") }
            success = .distance(try between[0].point(), try between[1].point(), below: try s.required("below").positiveDouble())
        } else if mujoco {
            throw RobotConfigError(file: node.file, keyPath: node.path + ".success", message: "missing; a MuJoCo task needs a success condition")
        }
        return TaskSpec(name: name, params: params, norm: norm, success: success)
    }
}

extension ParamSpec {
    static func parse(_ node: ConfigNode, bindable: Bool) throws(RobotConfigError) -> ParamSpec {
        try node.onlyKeys(bindable ? ["low", "high", "default", "sets"] : ["low", "high", "default"])
        let low = try node.required("low").double(), high = try node.required("high").double()
        guard low <= high else { throw node.error("expected low <= high, found low \(low), high \(high)") }
        var spec = ParamSpec(low: low, high: high)
        if let d = try node.optional("default") {
            let value = try d.double()
            guard (low...high).contains(value) else { throw d.error("expected a value in [\(low), \(high)], found \(value)") }
            spec.defaultValue = value
        }
        if let sets = try node.optional("sets") {
            if let joint = try sets.optional("joint") {
                try sets.onlyKeys(["joint"])
                spec.binding = .joint(try joint.string())
            } else {
                try sets.onlyKeys(["mocap", "axis"])
                let axis = try sets.required("axis").axis()
                spec.binding = .mocap(body: try sets.required("mocap").string(), axis: axis)
            }
        }
        return spec
    }
}
