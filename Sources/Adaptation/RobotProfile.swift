import Learning
import Policy
import Robots

/// Everything one robot-config says, decoded: the robot itself, its policy's shape, the learning
/// hyperparameters and the adaptation settings.
struct RobotProfile: Sendable {
    let config: RobotConfig
    let robot: any Robot
    let policy: PolicyConfig
    let learning: PPOConfig
    let settings: AdaptationSettings
    /// `policy.starting_checkpoint` resolved to a path (the file exists), or nil.
    let startingCheckpoint: String?

    init(config: RobotConfig) throws {
        self.config = config
        // One strict path for the whole file: each section is read by the same node walker as the
        // rest of the robot-config, so every error names the file and the full key path.
        let section: PolicySection
        do throws(RobotConfigError) {
            func node(_ text: String?, _ key: String) throws(RobotConfigError) -> ConfigNode? {
                try ConfigNode(section: text, file: config.path, key: key)
            }
            section = try PolicySection(node(config.policySection, "policy"))
            learning = try PPOConfig(section: node(config.learningSection, "learning"))
            settings = try AdaptationSettings(node(config.adaptationSection, "adaptation"))
        } catch {
            throw AdaptationError(.invalid, field: "\(error.file): \(error.keyPath)", error.message)
        }
        policy = section.policyConfig(for: config)
        startingCheckpoint = try section.startingCheckpointPath(for: config)
        // Every name must pick at least one tensor of this policy, or a typo would freeze it all.
        let names = learning.trainable == nil && learning.cloneTrainable == nil ? [] : Policy(config: policy, seed: 0).tensorLayout.map(\.name)
        for (key, list) in [("trainable", learning.trainable), ("clone_trainable", learning.cloneTrainable)] {
            guard let list else { continue }
            for prefix in list where !names.contains(where: { $0 == prefix || $0.hasPrefix(prefix + ".") }) {
                throw AdaptationError(.invalid, field: "\(config.path): learning.\(key)",
                                      "\"\(prefix)\" names no tensor of this policy (its tensors: \(names.joined(separator: ", ")))")
            }
            if list.isEmpty {
                throw AdaptationError(.invalid, field: "\(config.path): learning.\(key)", "an empty list freezes the whole policy; leave it out to train everything")
            }
        }
        robot = try makeRobot(config)
    }

    var defaults: TaskDefaults { settings.taskDefaults }

    var backendName: String {
        if case .bridge = config.backend { return "bridge" }
        return "mujoco"
    }
}
