import Policy
import Robots

/// The robot-config's `policy:` section: the network's shape. Sizes and action limits come from
/// the robot itself, so the policy always fits the robot it drives.
struct PolicySection: Decodable, Equatable {
    /// Hidden layer widths. Default [256, 256].
    var hiddenSizes: [Int] = [256, 256]
    /// `tanh` or `relu`. Default tanh.
    var activation: Activation = .tanh
    /// `binned` (the default, as in vision-language-action models) or `gaussian`.
    var head: ActionHeadKind = .binned
    /// Bins per action dimension for the binned head. Default 256.
    var bins = 256
    /// The gaussian head's initial log standard deviation. Default -0.5.
    var initialLogStd: Float = -0.5

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case activation, head, bins
        case hiddenSizes = "hidden_sizes", initialLogStd = "initial_log_std"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PolicySection()
        hiddenSizes = try c.decodeIfPresent([Int].self, forKey: .hiddenSizes) ?? d.hiddenSizes
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? d.activation
        head = try c.decodeIfPresent(ActionHeadKind.self, forKey: .head) ?? d.head
        bins = try c.decodeIfPresent(Int.self, forKey: .bins) ?? d.bins
        initialLogStd = try c.decodeIfPresent(Float.self, forKey: .initialLogStd) ?? d.initialLogStd
    }

    func policyConfig(for robot: RobotConfig) throws -> PolicyConfig {
        guard !hiddenSizes.isEmpty, hiddenSizes.allSatisfy({ (1...4096).contains($0) }) else {
            throw AdaptationError(.invalid, field: "\(robot.path): policy.hidden_sizes", "expected 1 or more widths from 1 to 4096")
        }
        guard initialLogStd.isFinite, (-10...2).contains(initialLogStd) else {
            throw AdaptationError(.invalid, field: "\(robot.path): policy.initial_log_std", "expected a number from -10 to 2")
        }
        guard (2...4096).contains(bins) else {
            throw AdaptationError(.invalid, field: "\(robot.path): policy.bins", "expected an integer from 2 to 4096")
        }
        return PolicyConfig(
            observationSize: robot.observationSize, actionSize: robot.actionSize,
            actionLow: robot.actionLow, actionHigh: robot.actionHigh,
            hiddenSizes: hiddenSizes, activation: activation, head: head, bins: bins, initialLogStd: initialLogStd)
    }
}
