extension RobotConfig {
    /// Parses the `dynamics:` mapping (docs/robot-config.md, "Dynamics").
    ///
    /// The built-in names are scale factors MuJoCo applies itself: a positive range, default 1.
    /// A bridged robot may declare any other name, because its controller, not ttad, applies it;
    /// ttad cannot guess a neutral value for a quantity it does not know, so such a factor needs
    /// an explicit `default` (the value sent when a task leaves it out).
    static func parseDynamics(_ node: ConfigNode?, bridge: Bool) throws(RobotConfigError) -> [String: ParamSpec] {
        guard let node else { return [:] }
        var dynamics: [String: ParamSpec] = [:]
        for (key, value) in try node.entries() {
            let builtIn = knownDynamics.contains(key)
            if !builtIn && !bridge {
                throw value.error("unknown dynamics factor; expected one of \(knownDynamics.sorted().joined(separator: ", ")) (a bridged robot may declare its own)")
            }
            if !builtIn && !isFactorName(key) {
                throw value.error("expected a factor name of lower-case letters, digits and _, starting with a letter")
            }
            var spec = try ParamSpec.parse(value, bindable: false)
            if builtIn {
                guard spec.low > 0 else { throw value.error("expected a positive range for a scale factor") }
                if spec.defaultValue == nil { spec.defaultValue = 1 }
                guard (spec.low...spec.high).contains(spec.defaultValue!) else {
                    throw value.error("the default 1 lies outside [\(spec.low), \(spec.high)]; give a default")
                }
            } else if spec.defaultValue == nil {
                throw RobotConfigError(file: value.file, keyPath: value.path + ".default",
                                       message: "missing; a factor the controller defines needs a default (sent when a task leaves it out)")
            }
            dynamics[key] = spec
        }
        return dynamics
    }

    /// `payload_kg`, `friction_scale`: what a JSON key in the reset request and a `ttactl` flag can carry plainly.
    private static func isFactorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
