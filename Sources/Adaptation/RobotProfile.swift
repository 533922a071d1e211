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
        let section = try AdaptationSettings.decode(PolicySection.self, section: config.policySection, name: "policy",
                                                    file: config.path, empty: PolicySection())
        policy = try section.policyConfig(for: config)
        startingCheckpoint = try section.startingCheckpointPath(for: config)
        learning = try AdaptationSettings.decode(PPOConfig.self, section: config.learningSection, name: "learning",
                                                 file: config.path, empty: PPOConfig())
        settings = try AdaptationSettings.decode(AdaptationSettings.self, section: config.adaptationSection, name: "adaptation",
                                                 file: config.path, empty: AdaptationSettings())
        try settings.validate(file: config.path)
        if let problem = learning.rangeProblem {
            throw AdaptationError(.invalid, field: "\(config.path): learning.\(problem.key)", "expected \(problem.expected)")
        }
        if let trainable = learning.trainable {
            // Every name must pick at least one tensor of this policy, or a typo would freeze it all.
            let names = Policy(config: policy, seed: 0).tensorLayout.map(\.name)
            for prefix in trainable where !names.contains(where: { $0 == prefix || $0.hasPrefix(prefix + ".") }) {
                throw AdaptationError(.invalid, field: "\(config.path): learning.trainable",
                                      "\"\(prefix)\" names no tensor of this policy (its tensors: \(names.joined(separator: ", ")))")
            }
            if trainable.isEmpty {
                throw AdaptationError(.invalid, field: "\(config.path): learning.trainable", "an empty list freezes the whole policy; leave it out to train everything")
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
