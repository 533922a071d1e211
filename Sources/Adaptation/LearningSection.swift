import Learning
import Robots

/// Reads the robot-config's `learning:` section into a `PPOConfig` with the same strict node
/// walker as the rest of the file: an unknown key or a bad value is an error naming the file and
/// the key path. The key names, the defaults and the ranges stay with `PPOConfig` in Learning.
extension PPOConfig {
    /// The section (nil: every default). `target_kl: null` disables early stopping.
    init(section node: ConfigNode?) throws(RobotConfigError) {
        self.init()
        guard let node else { return }
        for (key, value) in try node.entries(of: Key.self) {
            switch key {
            case .learningRate: learningRate = try value.double()
            case .clipLow: clipLow = try value.double()
            case .clipHigh: clipHigh = try value.double()
            case .epochs: epochs = try value.int()
            case .minibatches: minibatches = try value.int()
            case .maxGradNorm: maxGradNorm = try value.double()
            case .klCoef: klCoef = try value.double()
            case .entropyCoef: entropyCoef = try value.double()
            case .targetKL: targetKL = try value.double()
            case .hardKL: hardKL = try value.double()
            case .adamBeta1: adamBeta1 = try value.double()
            case .adamBeta2: adamBeta2 = try value.double()
            case .adamEps: adamEps = try value.double()
            case .trainable: trainable = try value.strings()
            case .adaptiveLearningRate: adaptiveLearningRate = try value.bool()
            case .desiredKL: desiredKL = try value.double()
            case .learningRateMin: learningRateMin = try value.double()
            case .learningRateMax: learningRateMax = try value.double()
            case .klRefusalRetries: klRefusalRetries = try value.int()
            case .interventionWeight: interventionWeight = try value.double()
            case .demonstrationWeight: demonstrationWeight = try value.double()
            case .demonstrationSteps: demonstrationSteps = try value.int()
            case .cloneSteps: cloneSteps = try value.int()
            case .cloneBatchSize: cloneBatchSize = try value.int()
            case .cloneLearningRate: cloneLearningRate = try value.double()
            case .cloneTrainable: cloneTrainable = try value.strings()
            case .replayGroups: replayGroups = try value.int()
            case .lossAggregation: lossAggregation = try value.choice(LossAggregation.allCases.map { ($0.rawValue, $0) })
            }
        }
        if node.isNull(Key.targetKL.rawValue) { targetKL = nil }
        // The ranges are Learning's (`rangeProblem`); the error points at the key in this file.
        if let problem = rangeProblem {
            throw RobotConfigError(file: node.file, keyPath: node.path + "." + problem.key, message: "expected \(problem.expected)")
        }
    }
}
