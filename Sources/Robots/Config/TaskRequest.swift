/// One task for a robot: the family, its parameters, dynamics shifts (simulation only) and a seed.
public struct TaskRequest: Sendable, Equatable {
    /// Task family, e.g. `reach`.
    public var name: String
    /// Parameter values, e.g. `target_x`; missing ones take the spec's default or are drawn from its range with `seed`.
    public var params: [String: Double]
    /// Dynamics factors, e.g. `damping_scale`; missing ones are 1 (or the config's default).
    public var dynamics: [String: Double]
    /// Seeds parameter sampling and each attempt's reset noise.
    public var seed: UInt64
    /// A demonstration attempt: a person drives every step (bridge protocol 1.2); a robot with no
    /// person to ask refuses it.
    public var demonstration: Bool

    public init(name: String, params: [String: Double] = [:], dynamics: [String: Double] = [:], seed: UInt64,
                demonstration: Bool = false) {
        self.name = name
        self.params = params
        self.dynamics = dynamics
        self.seed = seed
        self.demonstration = demonstration
    }
}

/// A task with every parameter and dynamics factor filled in: what a backend actually runs.
public struct ResolvedTask: Sendable, Equatable {
    public var name: String
    public var params: [String: Double]
    public var dynamics: [String: Double]
    public var seed: UInt64
    /// A demonstration attempt (see `TaskRequest.demonstration`).
    public var demonstration: Bool

    public init(name: String, params: [String: Double], dynamics: [String: Double], seed: UInt64, demonstration: Bool = false) {
        self.name = name
        self.params = params
        self.dynamics = dynamics
        self.seed = seed
        self.demonstration = demonstration
    }
}
