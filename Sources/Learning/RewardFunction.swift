/// Scores an attempt. Pluggable: the adaptation loop only needs a number per attempt.
public protocol RewardFunction: Sendable {
    /// The attempt's scalar reward (higher is better).
    func reward(_ outcome: AttemptOutcome) -> Double
}
