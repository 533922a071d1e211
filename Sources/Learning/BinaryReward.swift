/// 1 on success, 0 on failure (the seed method with its efficiency mode off).
public struct BinaryReward: RewardFunction {
    /// The reward function.
    public init() {}

    public func reward(_ outcome: AttemptOutcome) -> Double { outcome.success ? 1 : 0 }
}
