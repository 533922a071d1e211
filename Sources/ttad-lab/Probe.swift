import Adaptation
import ArgumentParser
import Checkpoints
import Demonstrators
import Foundation
import Policy
import Robots

/// `ttad-lab probe`: where does the learning signal come from? For a robot-config, a starting
/// checkpoint and a dynamics shift it reports what bounds adaptation: how well a scripted
/// controller does under the shift (the physical ceiling), the checkpoint's greedy success, and
/// how many groups of N sampled attempts carry any reward variance (GRPO learns only from those).
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Diagnose the learning signal: ceiling, greedy success, informative groups.")

    @Option(help: "The robot-config.") var robotConfig: String = "robot-configs/reacher2.yaml"
    @Option(help: "Starting checkpoint.") var checkpoint: String = "robot-configs/checkpoints/reacher2.safetensors"
    @Option(help: "Task family.") var task: String = "reach"
    @Option(help: "Tasks to sample.") var tasks: Int = 100
    @Option(help: "Attempts per task.") var attempts: Int = 8
    @Option(help: "T_0.") var temperatureBase: Double = 0.6
    @Option(help: "T_{N-1} - T_0.") var temperatureRange: Double = 0.3
    @OptionGroup var shift: DynamicsShift

    func run() throws {
        let dynamics = try shift.parsed()
        let lab = try OfflineAdaptation(robotConfigPath: robotConfig)
        let config = try RobotConfig.load(path: robotConfig)
        let robot = try makeRobot(config)
        var demonstrators: [(String, any Demonstrator)] = Demonstrators.make(for: config.name).map { [("scripted controller", $0)] } ?? []
        if config.name == "reacher2" {
            // Stiffer gains: how much of the shift a controller that pushes harder recovers.
            for kp: Float in [120, 240] { var d = ReacherDemonstrator(); d.kp = kp; demonstrators.append(("scripted controller, kp \(Int(kp))", d)) }
        }
        for (name, demonstrator) in demonstrators {
            var successes = 0
            for i in 0..<tasks {
                let attempt = try robot.makeAttempt(task: TaskRequest(name: task, dynamics: dynamics, seed: 5_000_000 + UInt64(i)), index: 0)
                var o = try attempt.reset(deadline: .seconds(5))
                while true {
                    let outcome = try attempt.step(demonstrator.action(o))
                    o = outcome.observation
                    if outcome.done { if outcome.success { successes += 1 }; break }
                }
            }
            print(String(format: "%@ under the shift: %.0f%%", name, Double(successes) / Double(tasks) * 100))
        }
        let url = URL(fileURLWithPath: checkpoint)
        let store = try CheckpointStore(directory: url.deletingLastPathComponent().path)
        let policy = try store.load(id: url.deletingPathExtension().lastPathComponent).policy
        let greedy = try lab.evaluate(policy: policy, task: task, dynamics: dynamics, episodes: tasks, seed: 5_000_000)
        print(String(format: "checkpoint greedy under the shift: %.0f%%", greedy * 100))
        let session = lab.session(start: policy)
        var histogram = [Int](repeating: 0, count: attempts + 1)
        var total = 0
        for i in 0..<tasks {
            let outcome = try session.runTask(task: task, params: [:], dynamics: dynamics, attempts: attempts,
                                              temperatureBase: temperatureBase, temperatureRange: temperatureRange,
                                              rewardMode: .efficiency, adapt: false, seed: 5_000_000 + UInt64(i))
            let k = outcome.attempts.filter(\.success).count
            histogram[k] += 1
            total += k
        }
        print(String(format: "sampled success %.0f%%; groups by successes out of %d: %@", Double(total) / Double(tasks * attempts) * 100,
                     attempts, histogram.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")))
        print(String(format: "informative groups (some but not all succeed): %.0f%%",
                     Double(histogram.dropFirst().dropLast().reduce(0, +)) / Double(tasks) * 100))
    }
}
