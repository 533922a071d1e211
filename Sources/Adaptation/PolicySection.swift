import Foundation
import Policy
import Robots

/// The robot-config's `policy:` section: the network's shape. Sizes and action limits come from
/// the robot itself, so the policy always fits the robot it drives.
struct PolicySection: Equatable {
    /// Hidden layer widths, each 1-4096. Default [256, 256].
    var hiddenSizes: [Int] = [256, 256]
    /// `tanh` or `relu`. Default tanh.
    var activation: Activation = .tanh
    /// `binned` (the default, as in vision-language-action models) or `gaussian`.
    var head: ActionHeadKind = .binned
    /// Bins per action dimension for the binned head, 2-4096. Default 256.
    var bins = 256
    /// The gaussian head's initial log standard deviation, -10 to 2. Default -0.5.
    var initialLogStd: Float = -0.5
    /// Clip of the normalised observation, [-c, c]; none by default. A checkpoint trained with
    /// one (`observation_clip` in its architecture) needs the same value here.
    var observationClip: Float?
    /// The checkpoint a robot starts from when the state directory has none for it, relative to
    /// the robot-config's folder (instead of the implicit `checkpoints/<robot>.safetensors`).
    var startingCheckpoint: String?

    init() {}

    enum Key: String, CaseIterable {
        case activation, head, bins
        case hiddenSizes = "hidden_sizes", initialLogStd = "initial_log_std"
        case observationClip = "observation_clip", startingCheckpoint = "starting_checkpoint"
    }

    /// Reads the section (nil: every default); an error names the file, the key path and what was expected.
    init(_ node: ConfigNode?) throws(RobotConfigError) {
        self.init()
        guard let node else { return }
        for (key, value) in try node.entries(of: Key.self) {
            switch key {
            case .hiddenSizes:
                hiddenSizes = []
                for width in try value.list() { hiddenSizes.append(try width.int(in: 1...4096)) }
                if hiddenSizes.isEmpty { throw value.error("expected 1 or more widths from 1 to 4096") }
            case .activation: activation = try value.choice([("tanh", .tanh), ("relu", .relu)])
            case .head: head = try value.choice([("binned", .binned), ("gaussian", .gaussian)])
            case .bins: bins = try value.int(in: 2...4096)
            case .initialLogStd: initialLogStd = Float(try value.double(in: -10...2))
            case .observationClip: observationClip = Float(try value.positiveDouble())
            case .startingCheckpoint: startingCheckpoint = try value.string()
            }
        }
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

    func policyConfig(for robot: RobotConfig) -> PolicyConfig {
        PolicyConfig(
            observationSize: robot.observationSize, actionSize: robot.actionSize,
            actionLow: robot.actionLow, actionHigh: robot.actionHigh,
            hiddenSizes: hiddenSizes, activation: activation, head: head, bins: bins, initialLogStd: initialLogStd,
            observationClip: observationClip)
    }
}
