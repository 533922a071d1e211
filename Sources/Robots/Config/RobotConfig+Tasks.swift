extension RobotConfig {
    /// Validates a task request against this robot: unknown task family, unknown or out-of-range
    /// parameter or dynamics factor, or given parameters that break the family's norm constraint
    /// -> `RobotError.invalidTask` naming it.
    public func validate(_ task: TaskRequest) throws {
        guard let spec = tasks[task.name] else {
            throw RobotError.invalidTask("unknown task family \"\(task.name)\" for robot \(name); expected one of \(tasks.keys.sorted().joined(separator: ", "))")
        }
        for (key, value) in task.params.sorted(by: { $0.key < $1.key }) {
            guard let p = spec.params[key] else {
                let known = spec.params.keys.sorted().joined(separator: ", ")
                throw RobotError.invalidTask("unknown parameter \"\(key)\" for task \(task.name); expected one of \(known.isEmpty ? "(none)" : known)")
            }
            guard value.isFinite, (p.low...p.high).contains(value) else {
                throw RobotError.invalidTask("parameter \(key) = \(value) is outside [\(p.low), \(p.high)]")
            }
        }
        for (key, value) in task.dynamics.sorted(by: { $0.key < $1.key }) {
            guard let d = dynamics[key] else {
                let known = dynamics.keys.sorted().joined(separator: ", ")
                throw RobotError.invalidTask("unknown dynamics factor \"\(key)\" for robot \(name); expected one of \(known.isEmpty ? "(none: this robot takes no dynamics shifts)" : known)")
            }
            guard value.isFinite, (d.low...d.high).contains(value) else {
                throw RobotError.invalidTask("dynamics \(key) = \(value) is outside [\(d.low), \(d.high)]")
            }
        }
        if let norm = spec.norm, norm.params.allSatisfy({ task.params[$0] != nil }) {
            let length = norm.params.map { task.params[$0]! * task.params[$0]! }.reduce(0, +).squareRoot()
            guard length >= norm.min, length <= norm.max else {
                throw RobotError.invalidTask("|(\(norm.params.joined(separator: ", ")))| = \(length) is outside [\(norm.min), \(norm.max)] (e.g. out of reach)")
            }
        }
    }

    /// Validates `task` and fills in every parameter (given, default, or drawn from its range with
    /// the task seed, redrawn until the norm constraint holds) and every dynamics factor.
    /// The same request always resolves to the same values, in any process.
    public func resolve(_ task: TaskRequest) throws -> ResolvedTask {
        try validate(task)
        let spec = tasks[task.name]!
        var rng = SeededRandom(seed: task.seed)
        var params: [String: Double] = [:]
        let names = spec.params.keys.sorted()
        // Bounded retries: a constraint no draw satisfies must fail loudly, not spin.
        for _ in 0..<10_000 {
            for key in names {
                let p = spec.params[key]!
                params[key] = task.params[key] ?? p.defaultValue ?? rng.uniform(p.low, p.high)
            }
            guard let norm = spec.norm else { break }
            let length = norm.params.map { params[$0]! * params[$0]! }.reduce(0, +).squareRoot()
            if length >= norm.min && length <= norm.max { break }
            if norm.params.allSatisfy({ task.params[$0] != nil || spec.params[$0]!.defaultValue != nil }) {
                throw RobotError.invalidTask("the defaults of \(norm.params.joined(separator: ", ")) break the norm constraint")
            }
            params = [:]
        }
        if params.isEmpty && !names.isEmpty {
            throw RobotError.invalidTask("could not draw parameters satisfying the norm constraint of task \(task.name)")
        }
        var dynamics: [String: Double] = [:]
        for (key, d) in self.dynamics { dynamics[key] = task.dynamics[key] ?? d.defaultValue ?? 1 }
        return ResolvedTask(name: task.name, params: params, dynamics: dynamics, seed: task.seed, demonstration: task.demonstration)
    }
}
