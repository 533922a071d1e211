import ArgumentParser
import Foundation
import MuJoCo
import Robots

/// `ttad-bench robots`: attempt throughput for N attempts on a MuJoCo robot (env + safety envelope +
/// bookkeeping, no neural net) against raw `mj_step` on the same model in the same run.
struct RobotsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robots",
        abstract: "Attempt throughput (N attempts in lockstep) vs raw mj_step, as an overhead ratio.")

    @Option(help: "Robot-config to run.")
    var config = "robot-configs/reacher2.yaml"

    @Option(help: "Attempts stepped side by side.")
    var attempts = 8

    @Option(help: "Tasks (groups of N attempts) to run.")
    var tasks = 200

    @Option(help: "Repetitions; the best of each side is reported.")
    var repeats = 3

    @Flag(help: "Also time the parts of setting up an attempt.")
    var detail = false

    func run() throws {
        let robotConfig = try RobotConfig.load(path: config)
        let robot = try MuJoCoRobot(config: robotConfig)
        guard case .mujoco(let settings) = robotConfig.backend else { throw ValidationError("\(config) is not a MuJoCo robot") }
        let family = robotConfig.tasks.keys.sorted()[0]
        var rng = SeededRandom(seed: 1)

        // Ours: N attempts per task, reset, then lockstep steps with a random policy until all are done.
        func runOurs() throws -> (seconds: Double, setup: Double, steps: Int) {
            var steps = 0
            var setup = Duration.zero
            let start = ContinuousClock.now
            for t in 0..<tasks {
                let setupStart = ContinuousClock.now
                let task = TaskRequest(name: family, seed: UInt64(t))
                let group = try (0..<attempts).map { try robot.makeAttempt(task: task, index: $0) }
                for attempt in group { _ = try attempt.reset(deadline: .seconds(1)) }
                setup += ContinuousClock.now - setupStart
                var running = Array(repeating: true, count: attempts)
                var action = [Float](repeating: 0, count: robotConfig.actionSize)
                while running.contains(true) {
                    for (i, attempt) in group.enumerated() where running[i] {
                        for k in action.indices { action[k] = Float(rng.uniform(-0.3, 0.3)) }
                        let outcome = try attempt.step(action)
                        steps += 1
                        if outcome.done { running[i] = false }
                    }
                }
            }
            return (seconds(ContinuousClock.now - start), seconds(setup), steps)
        }

        // Raw: the same number of robot steps on the same model with plain mj_step, one MJData per attempt.
        let datas = try (0..<attempts).map { _ in try MJData(model: robot.baseModel) }
        func runRaw(robotSteps: Int) -> Double {
            for d in datas { d.reset() }
            let start = ContinuousClock.now
            var done = 0
            while done < robotSteps {
                for d in datas where done < robotSteps {
                    for k in 0..<d.model.nu { d.ctrl[k] = rng.uniform(-0.3, 0.3) }
                    d.step(settings.frameSkip)
                    done += 1
                }
            }
            return seconds(ContinuousClock.now - start)
        }

        // Alternate the two so that load from other processes hits both alike; report each side's best rate.
        var bestOursRate = 0.0, bestRawRate = 0.0, setupShare = 0.0, robotSteps = 0
        for _ in 0..<repeats {
            let ours = try runOurs()
            robotSteps = ours.steps
            if Double(ours.steps) / ours.seconds > bestOursRate {
                bestOursRate = Double(ours.steps) / ours.seconds
                setupShare = ours.setup / ours.seconds
            }
            bestRawRate = max(bestRawRate, Double(ours.steps) / runRaw(robotSteps: ours.steps))
        }
        let physicsSteps = robotSteps * settings.frameSkip

        if detail {
            let task = TaskRequest(name: family, seed: 5)
            let clock = ContinuousClock()
            var t0 = clock.now
            for _ in 0..<1000 { _ = try robotConfig.resolve(task) }
            print("  per call: resolve \((clock.now - t0) / 1000)", terminator: "")
            let resolved = try robotConfig.resolve(task)
            t0 = clock.now
            for _ in 0..<1000 { _ = try robot.makeSimulation(resolved) }
            print(", makeSimulation \((clock.now - t0) / 1000)", terminator: "")
            let sim = try robot.makeSimulation(resolved)
            t0 = clock.now
            for _ in 0..<1000 { try sim.reset(task: resolved, index: 1) }
            print(", reset \((clock.now - t0) / 1000)", terminator: "")
            t0 = clock.now
            for _ in 0..<1000 { _ = try robot.makeAttempt(task: task, index: 1) }
            print(", makeAttempt \((clock.now - t0) / 1000)")
        }
        let ours = bestOursRate, raw = bestRawRate
        print("robots benchmark: \(robotConfig.name), N=\(attempts), \(tasks) tasks, \(robotSteps) robot steps (\(physicsSteps) mj_step) per run, best of \(repeats)")
        print(String(format: "  attempts (env + safety + bookkeeping): %10.0f robot steps/s  (%8.0f mj_step/s)", ours, ours * Double(settings.frameSkip)))
        print(String(format: "  raw mj_step, same model:               %10.0f robot steps/s  (%8.0f mj_step/s)", raw, raw * Double(settings.frameSkip)))
        print(String(format: "  of which making + resetting attempts:  %.1f%% of the attempts' time", setupShare * 100))
        print(String(format: "  overhead on top of the physics: %.1f%% (goal < 30%%)", (raw / ours - 1) * 100))
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
