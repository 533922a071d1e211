import Foundation
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
    /// Clip of the normalised observation, [-c, c]; none by default. A checkpoint trained with
    /// one (`observation_clip` in its architecture) needs the same value here.
    var observationClip: Float?
    /// The checkpoint a robot starts from when the state directory has none for it, relative to
    /// the robot-config's folder (instead of the implicit `checkpoints/<robot>.safetensors`).
    var startingCheckpoint: String?

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case activation, head, bins
        case hiddenSizes = "hidden_sizes", initialLogStd = "initial_log_std"
        case observationClip = "observation_clip", startingCheckpoint = "starting_checkpoint"
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
        observationClip = try c.decodeIfPresent(Float.self, forKey: .observationClip)
        startingCheckpoint = try c.decodeIfPresent(String.self, forKey: .startingCheckpoint)
    }

    /// `starting_checkpoint` as a path: relative ones from the robot-config's folder.
    /// - Throws: naming `policy.starting_checkpoint` when the file is not there.
    func startingCheckpointPath(for robot: RobotConfig) throws -> String? {
        guard let given = startingCheckpoint else { return nil }
        let folder = (robot.path as NSString).deletingLastPathComponent
        let path = given.hasPrefix("/") ? given : (folder as NSString).appendingPathComponent(given)
        var isDirectory: ObjCBool = false
        guard !given.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw AdaptationError(.invalid, field: "\(robot.path): policy.starting_checkpoint", "no checkpoint file \(path)")
        }
        return path
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
        if let clip = observationClip, !(clip.isFinite && clip > 0) {
            throw AdaptationError(.invalid, field: "\(robot.path): policy.observation_clip", "expected a number > 0")
        }
        return PolicyConfig(
            observationSize: robot.observationSize, actionSize: robot.actionSize,
            actionLow: robot.actionLow, actionHigh: robot.actionHigh,
            hiddenSizes: hiddenSizes, activation: activation, head: head, bins: bins, initialLogStd: initialLogStd,
            observationClip: observationClip)
    }
}
