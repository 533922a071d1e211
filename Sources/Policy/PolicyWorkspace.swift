/// Preallocated buffers for one batched forward/backward pass, so the hot paths do not allocate.
///
/// A workspace belongs to one caller at a time; it fits any policy with the same `PolicyConfig`
/// and up to `capacity` rows. After `Policy.evaluate`, `logProbs` and `entropies` hold the results.
public final class PolicyWorkspace: @unchecked Sendable {
    /// The largest batch this workspace holds.
    public let capacity: Int
    let config: PolicyConfig
    /// Post-activation output of each hidden layer, `capacity * width`.
    let hidden: [UnsafeMutablePointer<Float>]
    /// Head outputs (logits or means), `capacity * headOutputs`; after `evaluate` on a binned
    /// head this holds the tempered log-softmax instead, which is what the backward pass needs.
    let head: UnsafeMutablePointer<Float>
    /// Binned head: the tempered softmax probabilities after `evaluate` (scratch while sampling).
    let probs: UnsafeMutablePointer<Float>
    /// Binned head: the entropy of each (row, action dimension) after `evaluate`.
    let dimEntropy: UnsafeMutablePointer<Float>
    /// Gradient with respect to the head outputs.
    let dHead: UnsafeMutablePointer<Float>
    /// Two ping-pong buffers for hidden-layer gradients, `capacity * max width`.
    let dA: UnsafeMutablePointer<Float>
    let dB: UnsafeMutablePointer<Float>
    /// The input, transposed, for the small-batch feature-major path (`capacity * observationSize`).
    let inputT: UnsafeMutablePointer<Float>
    /// The first layer's input after the observation normaliser and clip (`capacity * observationSize`);
    /// `backward` reads it for the first layer's weight gradient.
    let normalized: UnsafeMutablePointer<Float>
    /// A vector of ones (bias gradients are column sums: one gemv against it).
    let ones: UnsafeMutablePointer<Float>
    /// Per-row log pi(raw | obs) at the row's temperature, filled by `Policy.evaluate`.
    public let logProbs: UnsafeMutablePointer<Float>
    /// Per-row entropy of the action distribution at the row's temperature, filled by `Policy.evaluate`.
    public let entropies: UnsafeMutablePointer<Float>

    /// Buffers for batches of up to `capacity` rows of a policy shaped by `config`.
    public init(config: PolicyConfig, capacity: Int) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.capacity = capacity
        self.config = config
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            return p
        }
        hidden = config.hiddenSizes.map { buffer(capacity * $0) }
        head = buffer(capacity * config.headOutputs)
        dHead = buffer(capacity * config.headOutputs)
        probs = buffer(config.head == .binned ? capacity * config.headOutputs : 1)
        dimEntropy = buffer(capacity * config.actionSize)
        let widest = config.hiddenSizes.max() ?? 1
        dA = buffer(capacity * widest)
        dB = buffer(capacity * widest)
        inputT = buffer(capacity * config.observationSize)
        normalized = buffer(capacity * config.observationSize)
        ones = buffer(capacity)
        ones.update(repeating: 1, count: capacity)
        logProbs = buffer(capacity)
        entropies = buffer(capacity)
    }

    deinit {
        for p in hidden { p.deallocate() }
        for p in [head, inputT, normalized, probs, dimEntropy, dHead, dA, dB, ones, logProbs, entropies] { p.deallocate() }
    }
}
