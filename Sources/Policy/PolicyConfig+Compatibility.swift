/// Whether a checkpoint's architecture can drive the robot another architecture describes.
extension PolicyConfig {
    /// The first key in which this architecture (a file's) differs from `expected` (a
    /// robot-config's), as `(key, this value, expected value)`, or nil when it fits: same sizes,
    /// hidden layers, activation, head, bins (binned head), action bounds and observation clip.
    /// `initial_log_std` is not compared: it only seeds a fresh policy, and a checkpoint carries
    /// its own `head.log_std`.
    public func mismatch(against expected: PolicyConfig) -> (key: String, found: String, expected: String)? {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "none" }
        let checks: [(String, String, String)] = [
            ("observation_size", text(observationSize), text(expected.observationSize)),
            ("action_size", text(actionSize), text(expected.actionSize)),
            ("head", head.rawValue, expected.head.rawValue),
            ("bins", head == .binned ? text(bins) : "-", expected.head == .binned ? text(expected.bins) : "-"),
            ("hidden_sizes", text(hiddenSizes), text(expected.hiddenSizes)),
            ("activation", activation.rawValue, expected.activation.rawValue),
            ("action_low", text(actionLow), text(expected.actionLow)),
            ("action_high", text(actionHigh), text(expected.actionHigh)),
            ("observation_clip", text(observationClip), text(expected.observationClip)),
        ]
        return checks.first { $0.1 != $0.2 }.map { (key: $0.0, found: $0.1, expected: $0.2) }
    }
}
