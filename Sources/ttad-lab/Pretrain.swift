import Adaptation
import ArgumentParser
import Checkpoints
import Demonstrators
import Foundation
import Learning
import Policy
import Robots

/// `ttad-lab pretrain`: makes a starting policy for a robot-config and saves it as a checkpoint
/// the daemon picks up (`<robot-configs>/checkpoints/<robot>.safetensors`).
///
/// `--method bc` (reacher2): behaviour cloning of a scripted demonstrator; `--demos` is the knob
/// for how good the start is (1 demonstration gives a weak cold start, as vision-language-action
/// RL starts from a one-demonstration model). `--method rl`: the daemon's own group-relative PPO
/// loop on unshifted random tasks, `--tasks` of them.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a starting policy in simulation and save it as a checkpoint.")

    @Option(help: "The robot-config.") var robotConfig: String = "robot-configs/reacher2.yaml"
    /// How the starting policy is trained.
    enum Method: String, ExpressibleByArgument, CaseIterable {
        /// Behaviour cloning of the scripted demonstrator.
        case bc
        /// The daemon's own adaptation step on unshifted random tasks.
        case rl
    }

    @Option(help: "bc (behaviour cloning of the scripted demonstrator) or rl.") var method: Method = .bc
    @Option(help: "bc: demonstration episodes (how far to train).") var demos: Int = 64
    @Option(help: "bc: passes over the demonstrations.") var epochs: Int = 30
    @Option(help: "rl: tasks of N attempts (how far to train).") var tasks: Int = 1500
    @Option(help: "rl: attempts per task.") var attempts: Int = 8
    @Option(help: "Task family.") var task: String = "reach"
    @Option(help: "bc: learning rate of the likelihood ascent.") var bcLearningRate: Double = 3e-3
    @Option(help: "Gaussian head: set the action std to this after training (cloning shrinks it to the fit error, leaving adaptation little to explore with).") var std: Double?
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Folder to write <robot>.safetensors into.") var output: String = "robot-configs/checkpoints"

    func run() throws {
        let lab = try OfflineAdaptation(robotConfigPath: robotConfig)
        let policy: Policy
        switch method {
        case .bc: policy = try behaviourCloning(lab)
        case .rl: policy = try reinforcement(lab)
        }
        if let std {
            guard policy.config.head == .gaussian, std > 0 else { throw ValidationError("--std needs a gaussian head and a value > 0") }
            var tensors = policy.namedTensors()
            for i in tensors.indices where tensors[i].name == "head.log_std" {
                tensors[i].values = Array(repeating: Float(log(std)), count: tensors[i].values.count)
            }
            try policy.load(tensors)
        }
        let greedy = try lab.evaluate(policy: policy, task: task, dynamics: [:], episodes: 200, seed: 424242)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let path = try lab.export(policy: policy, to: output, metrics: [
            "greedy_success_rate": greedy, "demos": Double(method == .bc ? demos : 0), "tasks": Double(method == .rl ? tasks : 0),
        ])
        print(String(format: "greedy success on 200 unshifted tasks: %.1f%%; saved %@", greedy * 100, path))
    }

    private func behaviourCloning(_ lab: OfflineAdaptation) throws -> Policy {
        let config = try RobotConfig.load(path: robotConfig)
        guard let demonstrator = Demonstrators.make(for: config.name) else {
            throw ValidationError("no scripted demonstrator for \(config.name); use --method rl")
        }
        let robot = try makeRobot(config)
        // Demonstrations, with a little action noise so the data covers recoveries (DART).
        var observations: [[Float]] = [], actions: [[Float]] = []
        var noise = PolicyRNG(seed: seed)
        var successes = 0
        for episode in 0..<demos {
            let attempt = try robot.makeAttempt(task: TaskRequest(name: task, seed: seed &* 7_777 &+ UInt64(episode)), index: 0)
            var o = try attempt.reset(deadline: .seconds(5))
            while true {
                let a = demonstrator.action(o)
                observations.append(o)
                actions.append(a)
                let noisy = a.map { max(-1, min(1, $0 + Float.random(in: -0.1...0.1, using: &noise))) }
                let outcome = try attempt.step(noisy)
                o = outcome.observation
                if outcome.done { if outcome.success { successes += 1 }; break }
            }
        }
        print(String(format: "demonstrator: %d/%d episodes succeeded, %d state-action pairs", successes, demos, observations.count))

        var learning = lab.learningConfig
        // Plain likelihood ascent: no clipping of the ratio upward, no KL limits.
        learning.clipHigh = 1e6
        learning.targetKL = nil
        learning.hardKL = 1e9
        learning.epochs = 1
        learning.minibatches = 1
        learning.learningRate = bcLearningRate
        learning.adaptiveLearningRate = false   // a fixed step: this is plain likelihood ascent
        learning.trainable = nil                // cloning trains the whole network
        let policy = Policy(config: lab.policyConfig, seed: seed)
        let trainer = PPOTrainer(policy: policy, reference: nil, config: learning)
        var rng = PolicyRNG(seed: seed &+ 1)
        let centres = (0..<policy.config.actionSize).map { policy.binCentres(dimension: $0) }
        let workspace = PolicyWorkspace(config: policy.config, capacity: 256)
        let chunk = 256
        for epoch in 0..<epochs {
            var order = Array(observations.indices)
            order.shuffle(using: &rng)
            var refused = 0
            for start in stride(from: 0, to: order.count, by: chunk) {
                let rows = Array(order[start..<min(start + chunk, order.count)])
                var obs: [Float] = [], raws: [Float] = []
                for i in rows {
                    obs += observations[i]
                    for d in 0..<actions[i].count {
                        // Binned head: the nearest bin's index; gaussian head: the action itself.
                        raws.append(policy.config.head == .binned
                            ? Float(centres[d].indices.min { abs(centres[d][$0] - actions[i][d]) < abs(centres[d][$1] - actions[i][d]) }!)
                            : actions[i][d])
                    }
                }
                // The behaviour log-probs are the current policy's own (T = 1): the update's first
                // step is then the plain likelihood gradient.
                let ones = [Float](repeating: 1, count: rows.count)
                obs.withUnsafeBufferPointer { o in raws.withUnsafeBufferPointer { r in ones.withUnsafeBufferPointer { t in
                    policy.evaluate(observations: o.baseAddress!, raw: r.baseAddress!, temperatures: t.baseAddress!, count: rows.count, workspace: workspace)
                } } }
                let dims = policy.config.actionSize
                let samples = rows.indices.map { k in
                    ActionSample(action: actions[rows[k]], raw: Array(raws[(k * dims)..<((k + 1) * dims)]), logProb: workspace.logProbs[k])
                }
                let report = trainer.update(group: [Trajectory(observations: obs, samples: samples, temperature: 1, reward: 1)],
                                            advantages: [1], rng: &rng)
                if !report.accepted { refused += 1 }
            }
            if (epoch + 1) % 25 == 0 || epoch == 0 {
                let greedy = try lab.evaluate(policy: policy, task: task, dynamics: [:], episodes: 50, seed: 99)
                print(String(format: "epoch %3d: greedy success %.0f%% on 50 unshifted tasks%@", epoch + 1, greedy * 100,
                             refused > 0 ? " (\(refused) refused)" : ""))
                fflush(nil)
            }
        }
        return policy
    }

    private func reinforcement(_ lab: OfflineAdaptation) throws -> Policy {
        var learning = lab.learningConfig
        learning.trainable = nil   // from scratch: the whole network
        let session = lab.session(start: Policy(config: lab.policyConfig, seed: seed), learning: learning)
        var recent: [Double] = []
        for i in 0..<tasks {
            let outcome = try session.runTask(task: task, params: [:], dynamics: [:], attempts: attempts,
                                              temperatureBase: 1.0, temperatureRange: 0, rewardMode: .efficiency,
                                              adapt: true, seed: seed &* 1_000_003 &+ UInt64(i))
            recent.append(outcome.successRate)
            if recent.count > 100 { recent.removeFirst() }
            if (i + 1) % 100 == 0 {
                print(String(format: "task %5d: success over the last 100 tasks %.1f%%", i + 1, recent.reduce(0, +) / Double(recent.count) * 100))
                fflush(nil)
            }
        }
        return session.policy
    }
}
