import Adaptation
import ArgumentParser
import Checkpoints
import Foundation
import Policy
import Robots

/// `ttad-lab pretrain`: trains a policy in simulation with the same group-relative PPO loop the
/// daemon runs, on unshifted random tasks, and saves it as a starting checkpoint.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a starting policy in simulation and save it as a checkpoint.")

    @Option(help: "The robot-config.") var robotConfig: String = "robot-configs/reacher2.yaml"
    @Option(help: "How far to train: tasks of N attempts (0 = the untrained initial policy).") var tasks: Int = 1500
    @Option(help: "Attempts per task.") var attempts: Int = 8
    @Option(help: "Task family.") var task: String = "reach"
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Folder to write <robot>.safetensors into.") var output: String = "robot-configs/checkpoints"
    @Option(help: "Learning-rate multiplier over the robot-config's.") var learningRateScale: Double = 1

    func run() throws {
        let lab = try OfflineAdaptation(robotConfigPath: robotConfig)
        var learning = lab.learningConfig
        learning.learningRate *= learningRateScale
        let session = lab.session(start: Policy(config: lab.policyConfig, seed: seed), learning: learning)
        let clock = ContinuousClock()
        let started = clock.now
        var recent: [Double] = []
        for i in 0..<tasks {
            let outcome = try session.runTask(task: task, params: [:], dynamics: [:], attempts: attempts,
                                              temperatureBase: 1.0, temperatureRange: 0, rewardMode: "efficiency",
                                              adapt: true, seed: seed &* 1_000_003 &+ UInt64(i))
            recent.append(outcome.successRate)
            if recent.count > 100 { recent.removeFirst() }
            if (i + 1) % 100 == 0 {
                print(String(format: "task %5d: success over the last 100 tasks %.1f%% (%.1f s)", i + 1,
                             recent.reduce(0, +) / Double(recent.count) * 100, Double((clock.now - started).components.seconds)))
            }
        }
        let greedy = try lab.evaluate(policy: session.policy, task: task, dynamics: [:], episodes: 200, seed: 424242)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let path = try lab.export(policy: session.policy, to: output, metrics: ["greedy_success_rate": greedy, "pretrain_tasks": Double(tasks)])
        print(String(format: "greedy success on 200 unshifted tasks: %.1f%%; saved %@", greedy * 100, path))
    }
}
