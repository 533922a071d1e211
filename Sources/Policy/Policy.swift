import BLAS
import Synchronization

/// A small MLP policy: hidden layers with one activation, then a binned or gaussian action head.
///
/// Parameters live in one contiguous Float buffer (layer by layer: weight [out, in] then bias [out],
/// then the head, then `head.log_std` for a gaussian head), so a snapshot, a restore, Adam and the
/// gradient norm are each one pass over one array.
///
/// An optional `ObservationNormalizer` (and the architecture's `observationClip`) turns each
/// observation into the first layer's input; it sits beside the parameters, never among them, so
/// no learner changes it.
///
/// Thread safety: `sample` may be called from any thread (it serialises on an internal workspace);
/// `evaluate`/`backward` use the caller's workspace; nothing may read the policy while a learner is
/// changing its parameters (`copy()` one for another thread instead).
public final class Policy: @unchecked Sendable {
    /// The architecture.
    public let config: PolicyConfig

    /// Where one linear layer's tensors sit in `parameters`.
    struct Linear {
        let input: Int, output: Int
        let weight: Int, bias: Int   // offsets
    }

    /// Hidden layers then the head (the last entry, no activation).
    let linears: [Linear]
    /// Offset of `head.log_std` (gaussian head), else -1.
    let logStdOffset: Int
    /// Total number of Float parameters.
    public let parameterCount: Int
    /// The parameters (see the type's comment for the layout).
    let parameters: UnsafeMutablePointer<Float>
    /// The observation normaliser applied before the first layer, or nil (the identity). Carried by
    /// `copy()`, `assign(from:)`, `namedTensors()` and `load(_:)`; never trained.
    public private(set) var normalizer: ObservationNormalizer?
    /// The workspace `sample` uses; grown when a bigger batch arrives.
    private let sampling: Mutex<PolicyWorkspace?>

    /// A freshly initialised policy: orthogonal weights (gain sqrt 2, head 0.01), zero biases,
    /// log-std `config.initialLogStd`. The same seed gives the same weights.
    /// - Precondition: `config` validates (use `PolicyConfig.validate()` on untrusted input).
    public convenience init(config: PolicyConfig, seed: UInt64) {
        do { try config.validate() } catch { preconditionFailure("\(error)") }
        self.init(uninitialised: config)
        var rng = PolicyRNG(seed: seed)
        parameters.initialize(repeating: 0, count: parameterCount)
        for (l, layer) in linears.enumerated() {
            let isHead = l == linears.count - 1
            OrthogonalInit.fill(
                parameters + layer.weight, rows: layer.output, cols: layer.input,
                gain: isHead ? 0.01 : 2.0.squareRoot(), rng: &rng)
        }
        if logStdOffset >= 0 {
            (parameters + logStdOffset).update(repeating: config.initialLogStd, count: config.actionSize)
        }
    }

    /// Lays out the buffer; the caller fills it.
    private init(uninitialised config: PolicyConfig) {
        self.config = config
        var layers: [Linear] = []
        var offset = 0
        var input = config.observationSize
        for width in config.hiddenSizes + [config.headOutputs] {
            layers.append(Linear(input: input, output: width, weight: offset, bias: offset + width * input))
            offset += width * input + width
            input = width
        }
        linears = layers
        if config.head == .gaussian {
            logStdOffset = offset
            offset += config.actionSize
        } else {
            logStdOffset = -1
        }
        parameterCount = offset
        parameters = .allocate(capacity: offset)
        sampling = Mutex(nil)
    }

    deinit { parameters.deallocate() }

    /// An independent policy with the same architecture and parameters.
    public func copy() -> Policy {
        let other = Policy(uninitialised: config)
        other.parameters.initialize(from: parameters, count: parameterCount)
        other.normalizer = normalizer
        return other
    }

    /// Every parameter finite (no NaN or infinity).
    public var isFinite: Bool {
        for i in 0..<parameterCount where !parameters[i].isFinite { return false }
        return true
    }

    // MARK: Flat access, for the learner

    /// Read or change the parameters in place (the layout is the type's comment).
    public func withParameters<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: parameters, count: parameterCount))
    }

    /// A copy of every parameter, in layout order.
    public func parameterSnapshot() -> [Float] {
        Array(UnsafeBufferPointer(start: parameters, count: parameterCount))
    }

    /// Puts back a `parameterSnapshot()` of this architecture, bit for bit.
    public func restoreParameters(_ snapshot: [Float]) {
        precondition(snapshot.count == parameterCount, "snapshot has \(snapshot.count) values, policy has \(parameterCount)")
        snapshot.withUnsafeBufferPointer { parameters.update(from: $0.baseAddress!, count: parameterCount) }
    }

    /// Copies `other`'s parameters and observation normaliser (same architecture) into this policy.
    public func assign(from other: Policy) {
        precondition(other.config == config, "assign(from:) needs the same architecture")
        parameters.update(from: other.parameters, count: parameterCount)
        normalizer = other.normalizer
    }

    // MARK: Named tensors

    /// Name, shape and offset of every parameter tensor, in layout order.
    public var tensorLayout: [(name: String, shape: [Int], offset: Int)] {
        var out: [(String, [Int], Int)] = []
        for (l, layer) in linears.enumerated() {
            let prefix = l == linears.count - 1 ? "head" : "layers.\(l)"
            out.append(("\(prefix).weight", [layer.output, layer.input], layer.weight))
            out.append(("\(prefix).bias", [layer.output], layer.bias))
        }
        if logStdOffset >= 0 { out.append(("head.log_std", [config.actionSize], logStdOffset)) }
        return out
    }

    /// Every parameter tensor by a stable name ("layers.0.weight", ..., "head.weight", "head.bias",
    /// "head.log_std"), with its shape and values, then the normaliser's "obs_norm.mean" and
    /// "obs_norm.std" when the policy has one.
    public func namedTensors() -> [NamedTensor] {
        tensorLayout.map { t in
            let count = t.shape.reduce(1, *)
            return NamedTensor(name: t.name, shape: t.shape,
                               values: Array(UnsafeBufferPointer(start: parameters + t.offset, count: count)))
        } + (normalizer?.tensors ?? [])
    }

    /// Loads every tensor this architecture needs from `tensors` (extra names are ignored), and
    /// the observation normaliser when `tensors` has one (none: the identity, as older checkpoints).
    /// Nothing changes unless all of them are present, well shaped and (the normaliser) valid.
    /// - Throws: `PolicyError` naming the first missing or mis-shaped tensor, or the bad
    ///   normaliser tensor and index.
    public func load(_ tensors: [NamedTensor]) throws {
        let normalizer = try ObservationNormalizer.find(in: tensors, observationSize: config.observationSize)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let layout = tensorLayout
        for t in layout {
            guard let found = byName[t.name] else { throw PolicyError.missingTensor(name: t.name) }
            guard found.shape == t.shape else {
                throw PolicyError.shapeMismatch(name: t.name, expected: t.shape, found: found.shape)
            }
            let count = t.shape.reduce(1, *)
            guard found.values.count == count else {
                throw PolicyError.valueCountMismatch(name: t.name, expected: count, found: found.values.count)
            }
        }
        for t in layout {
            byName[t.name]!.values.withUnsafeBufferPointer {
                (parameters + t.offset).update(from: $0.baseAddress!, count: $0.count)
            }
        }
        self.normalizer = normalizer
    }

    /// Sets (nil: removes) the observation normaliser. For building a policy from another
    /// trainer's weights; nothing may sample from the policy meanwhile.
    /// - Precondition: `normalizer` fits `config.observationSize`.
    public func setNormalizer(_ normalizer: ObservationNormalizer?) {
        precondition(normalizer.map { $0.mean.count == config.observationSize } ?? true,
                     "normaliser has \(normalizer?.mean.count ?? 0) values for observations of \(config.observationSize)")
        self.normalizer = normalizer
    }

    /// A policy of architecture `config` holding `tensors`.
    public convenience init(config: PolicyConfig, tensors: [NamedTensor]) throws {
        try config.validate()
        self.init(uninitialised: config)
        parameters.initialize(repeating: 0, count: parameterCount)
        try load(tensors)
    }

    /// Runs `body` with the sampling workspace, grown to at least `rows`.
    func withSamplingWorkspace<R>(rows: Int, _ body: (PolicyWorkspace) -> R) -> R {
        sampling.withLock { ws in
            if ws == nil || ws!.capacity < rows { ws = PolicyWorkspace(config: config, capacity: max(rows, 8)) }
            return body(ws!)
        }
    }
}
