import Learning
import Robots
import Testing
@testable import Adaptation

/// The `learning:` section is read by the robot-config's node walker under `PPOConfig.Key`'s
/// names (one list, in Learning). Every key must reach its property: a key listed but not read
/// would be accepted and silently ignored.
@Suite struct LearningSectionTests {
    /// A value for each key that differs from its default and lies in range.
    static let values: [PPOConfig.Key: String] = [
        .learningRate: "0.002", .clipLow: "0.1", .clipHigh: "0.2", .epochs: "2", .minibatches: "2",
        .maxGradNorm: "0.5", .klCoef: "0.1", .entropyCoef: "0.01", .targetKL: "0.05", .hardKL: "0.2",
        .adamBeta1: "0.8", .adamBeta2: "0.99", .adamEps: "0.0001", .trainable: "[head]",
        .adaptiveLearningRate: "false", .desiredKL: "0.02", .learningRateMin: "0.00002", .learningRateMax: "0.05", .interventionWeight: "0.5",
        .demonstrationWeight: "0.5", .demonstrationSteps: "64", .klRefusalRetries: "2",
        .cloneSteps: "10", .cloneBatchSize: "32", .cloneLearningRate: "0.0005", .cloneTrainable: "[head]",
        .replayGroups: "2", .lossAggregation: "attempt_mean",
    ]

    @Test("every learning key reaches its hyperparameter", arguments: PPOConfig.Key.allCases)
    func everyKeyIsRead(key: PPOConfig.Key) throws {
        let value = try #require(Self.values[key], "no test value for \(key.rawValue)")
        let node = try ConfigNode(section: "\(key.rawValue): \(value)\n", file: "arm.yaml", key: "learning")
        let config = try PPOConfig(section: node)
        #expect(config != PPOConfig(), "learning.\(key.rawValue): \(value) left every hyperparameter at its default")
    }

    /// A word that is not one of the aggregations is an error naming the file and the key.
    @Test func anUnknownLossAggregationIsAnErrorNamingTheKey() throws {
        let node = try ConfigNode(section: "loss_aggregation: per_step\n", file: "arm.yaml", key: "learning")
        #expect(throws: RobotConfigError.self) { try PPOConfig(section: node) }
        do { _ = try PPOConfig(section: node) } catch {
            #expect("\(error)".contains("arm.yaml") && "\(error)".contains("learning.loss_aggregation"), "\(error)")
        }
    }
}
