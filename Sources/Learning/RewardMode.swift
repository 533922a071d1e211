/// Which task reward scores an attempt: `efficiency` (1 / (1 + steps / max_steps) on success, the
/// seed's) or `binary` (1 on success). Written as its raw value in robot-configs, requests, the
/// history and on the wire; parsed into this type once, where it enters.
public enum RewardMode: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case efficiency
    case binary

    /// Parses `text` as written in `field` (e.g. `args.reward`); the error names the field and the modes.
    public init(parsing text: String, field: String) throws(InvalidRewardMode) {
        guard let mode = RewardMode(rawValue: text) else { throw InvalidRewardMode(field: field, value: text) }
        self = mode
    }

    /// The task reward this mode scores with.
    public var taskReward: any RewardFunction {
        switch self {
        case .efficiency: EfficiencyReward()
        case .binary: BinaryReward()
        }
    }

    public var description: String { rawValue }
}

/// A reward mode that is neither `efficiency` nor `binary`, and the field it came in.
public struct InvalidRewardMode: Error, Equatable, CustomStringConvertible {
    /// Where it was written (`args.reward`, `adaptation.reward`, ...).
    public var field: String
    /// What was written.
    public var value: String

    /// What was wrong, without the field: `expected one of efficiency, binary, got "speed"`.
    public var problem: String { "expected one of \(RewardMode.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(value)\"" }

    public var description: String { "\(field): \(problem)" }
}
