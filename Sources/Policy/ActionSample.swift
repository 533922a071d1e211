/// One action drawn from the policy, with what the learner needs to score it later.
public struct ActionSample: Sendable, Equatable {
    /// The action in environment units, inside [actionLow, actionHigh].
    public var action: [Float]
    /// What log-probs are computed from: bin indices as Float (binned) or the pre-clamp sample (gaussian).
    public var raw: [Float]
    /// log pi(raw | obs) under the temperature it was sampled at (0 for a greedy, T == 0, sample:
    /// a deterministic choice has probability one).
    public var logProb: Float

    /// A sample.
    public init(action: [Float], raw: [Float], logProb: Float) {
        self.action = action
        self.raw = raw
        self.logProb = logProb
    }
}
