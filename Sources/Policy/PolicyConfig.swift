/// The hidden-layer nonlinearity.
public enum Activation: String, Codable, Sendable {
    case tanh, relu
}

/// How the policy turns its last layer into actions.
public enum ActionHeadKind: String, Codable, Sendable {
    /// Per action dimension a categorical over `bins` bins whose centres span [low, high]
    /// (the SimpleVLA-RL action tokens); temperature divides the logits before the softmax.
    case binned
    /// Per action dimension a Normal with a learned mean and a state-independent log-std
    /// (CleanRL's continuous PPO); temperature scales the standard deviation.
    case gaussian
}

/// The shape of a policy network: everything needed to rebuild it, and nothing else.
///
/// Encoded with snake_case keys. Only `observation_size` and `action_size` are required when
/// decoding; every other key takes its default when absent, so a YAML section can set only some.
public struct PolicyConfig: Codable, Sendable, Equatable {
    /// Length of one observation vector.
    public var observationSize: Int
    /// Number of action dimensions.
    public var actionSize: Int
    /// Widths of the hidden layers, input side first. Default [256, 256].
    public var hiddenSizes: [Int]
    /// Hidden nonlinearity. Default `.tanh`.
    public var activation: Activation
    /// Action head. Default `.binned`.
    public var head: ActionHeadKind
    /// Bins per action dimension (binned head). Default 256.
    public var bins: Int
    /// Lower action bound per dimension, in environment units. Default -1 for every dimension.
    public var actionLow: [Float]
    /// Upper action bound per dimension, in environment units. Default +1 for every dimension.
    public var actionHigh: [Float]
    /// Initial log standard deviation of the gaussian head. Default -0.5.
    public var initialLogStd: Float
    /// When set (c > 0), the normalised observation is clipped to [-c, c] before the first layer
    /// (as PyTorch trainers' `VecNormalize(clip_obs=c)` does). Default nil: no clip, and the key is
    /// left out of the encoded architecture, so older checkpoints read and compare as before.
    public var observationClip: Float?

    /// A configuration; see the properties for the defaults.
    public init(
        observationSize: Int, actionSize: Int,
        actionLow: [Float]? = nil, actionHigh: [Float]? = nil,
        hiddenSizes: [Int] = [256, 256], activation: Activation = .tanh,
        head: ActionHeadKind = .binned, bins: Int = 256, initialLogStd: Float = -0.5,
        observationClip: Float? = nil
    ) {
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.actionLow = actionLow ?? [Float](repeating: -1, count: actionSize)
        self.actionHigh = actionHigh ?? [Float](repeating: 1, count: actionSize)
        self.hiddenSizes = hiddenSizes
        self.activation = activation
        self.head = head
        self.bins = bins
        self.initialLogStd = initialLogStd
        self.observationClip = observationClip
    }

    /// Outputs of the last linear layer: `actionSize * bins` logits (binned) or `actionSize` means.
    public var headOutputs: Int { head == .binned ? actionSize * bins : actionSize }

    /// Throws `PolicyError.invalidConfig` naming the first inconsistent field.
    public func validate() throws {
        func fail(_ why: String) -> PolicyError { .invalidConfig(why) }
        guard observationSize > 0 else { throw fail("observation_size must be positive, got \(observationSize)") }
        guard actionSize > 0 else { throw fail("action_size must be positive, got \(actionSize)") }
        if let bad = hiddenSizes.first(where: { $0 <= 0 }) { throw fail("hidden_sizes must be positive, got \(bad)") }
        guard head == .gaussian || bins >= 2 else { throw fail("bins must be at least 2, got \(bins)") }
        guard actionLow.count == actionSize else {
            throw fail("action_low has \(actionLow.count) values for \(actionSize) action dimensions")
        }
        guard actionHigh.count == actionSize else {
            throw fail("action_high has \(actionHigh.count) values for \(actionSize) action dimensions")
        }
        for d in 0..<actionSize where !(actionLow[d].isFinite && actionHigh[d].isFinite && actionLow[d] < actionHigh[d]) {
            throw fail("action dimension \(d): need finite low < high, got [\(actionLow[d]), \(actionHigh[d])]")
        }
        guard initialLogStd.isFinite else { throw fail("initial_log_std must be finite") }
        if let c = observationClip, !(c.isFinite && c > 0) {
            throw fail("observation_clip must be finite and > 0, got \(c)")
        }
    }

    enum CodingKeys: String, CodingKey {
        case observationSize = "observation_size"
        case actionSize = "action_size"
        case hiddenSizes = "hidden_sizes"
        case activation, head, bins
        case actionLow = "action_low"
        case actionHigh = "action_high"
        case initialLogStd = "initial_log_std"
        case observationClip = "observation_clip"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            observationSize: try c.decode(Int.self, forKey: .observationSize),
            actionSize: try c.decode(Int.self, forKey: .actionSize),
            actionLow: try c.decodeIfPresent([Float].self, forKey: .actionLow),
            actionHigh: try c.decodeIfPresent([Float].self, forKey: .actionHigh),
            hiddenSizes: try c.decodeIfPresent([Int].self, forKey: .hiddenSizes) ?? [256, 256],
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .tanh,
            head: try c.decodeIfPresent(ActionHeadKind.self, forKey: .head) ?? .binned,
            bins: try c.decodeIfPresent(Int.self, forKey: .bins) ?? 256,
            initialLogStd: try c.decodeIfPresent(Float.self, forKey: .initialLogStd) ?? -0.5,
            observationClip: try c.decodeIfPresent(Float.self, forKey: .observationClip))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(observationSize, forKey: .observationSize)
        try c.encode(actionSize, forKey: .actionSize)
        try c.encode(hiddenSizes, forKey: .hiddenSizes)
        try c.encode(activation, forKey: .activation)
        try c.encode(head, forKey: .head)
        try c.encode(bins, forKey: .bins)
        try c.encode(actionLow, forKey: .actionLow)
        try c.encode(actionHigh, forKey: .actionHigh)
        try c.encode(initialLogStd, forKey: .initialLogStd)
        try c.encodeIfPresent(observationClip, forKey: .observationClip)
    }
}
