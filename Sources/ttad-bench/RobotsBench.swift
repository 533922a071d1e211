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
        var robotSteps = 0
        var bestOurs = Double.infinity
        var bestSetup = Double.infinity
        for _ in 0..<repeats {
            robotSteps = 0
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
                        robotSteps += 1
                        if outcome.done { running[i] = false }
                    }
                }
            }
            let total = seconds(ContinuousClock.now - start)
            if total < bestOurs { bestSetup = seconds(setup) }
            bestOurs = min(bestOurs, total)
        }

        // Raw: the same number of physics steps on the same model with plain mj_step, one MJData per attempt.
        let physicsSteps = robotSteps * settings.frameSkip
        let datas = try (0..<attempts).map { _ in try MJData(model: robot.baseModel) }
        var bestRaw = Double.infinity
        for _ in 0..<repeats {
            for d in datas { d.reset() }
            let start = ContinuousClock.now
            var done = 0
            while done < physicsSteps {
                for d in datas {
                    d.ctrl[0] = rng.uniform(-0.3, 0.3)
                    d.ctrl[1] = rng.uniform(-0.3, 0.3)
                    d.step(settings.frameSkip)
                    done += settings.frameSkip
                    if done >= physicsSteps { break }
                }
            }
            bestRaw = min(bestRaw, seconds(ContinuousClock.now - start))
        }

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
        let ours = Double(robotSteps) / bestOurs, raw = Double(robotSteps) / bestRaw
        print("robots benchmark: \(robotConfig.name), N=\(attempts), \(tasks) tasks, \(robotSteps) robot steps (\(physicsSteps) mj_step), best of \(repeats)")
        print(String(format: "  attempts (env + safety + bookkeeping): %10.0f robot steps/s  (%8.0f mj_step/s)", ours, ours * Double(settings.frameSkip)))
        print(String(format: "  raw mj_step, same model:               %10.0f robot steps/s  (%8.0f mj_step/s)", raw, raw * Double(settings.frameSkip)))
        print(String(format: "  of which making + resetting attempts:  %.1f%% of the attempts' time", bestSetup / bestOurs * 100))
        print(String(format: "  overhead on top of the physics: %.1f%% (goal < 30%%)", (bestOurs / bestRaw - 1) * 100))
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
