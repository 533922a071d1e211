import Adaptation
import ArgumentParser
import Checkpoints
import Foundation
import Learning
import Policy
import Robots

/// `ttad-lab experiment`: does test-time adaptation work? The same held-out tasks (shifted
/// dynamics, unseen targets), the same starting checkpoint, several seeds, one arm per question.
/// Every arm runs the daemon's own AdaptationEngine, and so its adaptation step (`AdaptationStep`:
/// the filters, the adaptive temperature shift, the update, the gate and rollback).
struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Adaptation on/off, efficiency/binary reward, scheduled/fixed temperature, over seeds.")

    @Option(help: "The robot-configs folder (models and checkpoints/ beside the YAML).") var robotConfigs: String = "robot-configs"
    @Option(help: "The robot.") var robot: String = "reacher2"
    @Option(help: "Task family.") var task: String = "reach"
    @Option(help: "Tasks per run.") var tasks: Int = 50
    @Option(help: "Attempts per task.") var attempts: Int = 8
    @Option(help: "Seeds (runs per arm).") var seeds: Int = 5
    @OptionGroup var shift: DynamicsShift
    @Option(help: "Greedy evaluation episodes after the run.") var evalEpisodes: Int = 100
    @Option(help: "Arms, comma separated: \(Experiment.knownArms.map(\.name).joined(separator: ", ")).") var arms: String = "no-adapt,adapt,binary,fixed-temp"
    @Option(help: "Starting checkpoint (default: <robot-configs>/checkpoints/<robot>.safetensors), e.g. a cold start from `pretrain --demos 16`.") var start: String?
    @Option(help: "Write the results as JSON here.") var json: String?
    @Option(help: """
        Serve the robot through a real ttad-controller started with these extra arguments (one string \
        after an `=`, since it starts with a dash: --controller="--person scripted --takeover-stall 10"): every training step then crosses the bridge protocol, and what the \
        controller's person does reaches the engine as it would on a robot. The greedy evaluation after the \
        run stays in-process (no person).
        """) var controller: String?
    @Option(help: """
        Before the tasks, record this many demonstrations through the controller's person (needs \
        --controller with --person scripted): one demonstration task, stored like `ttactl demo` stores it, \
        which every later update clones (learning.demonstration_weight).
        """) var demos: Int = 0
    @Option(help: """
        Before the tasks, store this demonstration set file (docs/demonstration-format.md; repeatable) as \
        `ttactl demos add` does, for every run: every update clones it (learning.demonstration_weight). \
        Works without --controller.
        """) var demosFile: [String] = []
    @Option(help: "The labels-noisy arm's simulated person labels this fraction of attempts wrongly (0 to 1).") var labelError: Double = 0.1

    func validate() throws {
        guard (0...1).contains(labelError) else { throw ValidationError("--label-error must be from 0 to 1, got \(labelError)") }
    }

    struct Arm {
        var name: String; var adapt: Bool; var reward: RewardMode
        /// Every attempt at the middle of the robot-config's schedule (T_0 + range / 2) instead of
        /// the schedule itself (`adaptation.temperature_base`, `temperature_range`).
        var fixedTemperature = false
        /// Lines added to the robot-config's `adaptation:` section for this arm.
        var adaptationOverrides = ""
        /// Lines added to the robot-config's `learning:` section for this arm.
        var learningOverrides = ""
        /// Success judged by a simulated person (`success_judged_by: operator`): nil, the robot
        /// judges; false, exact labels; true, wrong on `--label-error` of attempts.
        var noisyLabels: Bool?
    }

    /// Every arm: the plain seed method and one change each (the robot-config's settings otherwise).
    static let knownArms: [Arm] = [
        Arm(name: "no-adapt", adapt: false, reward: .efficiency),
        Arm(name: "adapt", adapt: true, reward: .efficiency),
        Arm(name: "binary", adapt: true, reward: .binary),
        Arm(name: "fixed-temp", adapt: true, reward: .efficiency, fixedTemperature: true),
        Arm(name: "adaptive-temp", adapt: true, reward: .efficiency,
            adaptationOverrides: "  adaptive_temperature: true\n"),
        Arm(name: "top-k", adapt: true, reward: .efficiency, adaptationOverrides: "  train_top_k: 4\n"),
        Arm(name: "all-groups", adapt: true, reward: .efficiency,
            adaptationOverrides: "  informative_groups_only: false\n"),
        Arm(name: "multi-objective", adapt: true, reward: .efficiency,
            adaptationOverrides: "  reward_weights: {progress: 0.3, smoothness: 0.2, safety_margin: 0.1}\n"),
        Arm(name: "std-advantage", adapt: true, reward: .efficiency, adaptationOverrides: "  advantage_normalization: std\n"),
        Arm(name: "mean-advantage", adapt: true, reward: .efficiency, adaptationOverrides: "  advantage_normalization: mean\n"),
        // The seed's speed claim needs the all-success groups (only there do successes differ in
        // steps alone), and Dr. GRPO's advantages so that those small differences stay small pushes.
        Arm(name: "speed", adapt: true, reward: .efficiency,
            adaptationOverrides: "  informative_groups_only: false\n  advantage_normalization: mean\n"),
        Arm(name: "whole-network", adapt: true, reward: .efficiency,
            learningOverrides: "  trainable: [layers, head]\n"),
        // Issue 17: success judged by a person, who labels every attempt through the label board.
        Arm(name: "labels", adapt: true, reward: .efficiency, adaptationOverrides: "  success_judged_by: operator\n", noisyLabels: false),
        Arm(name: "labels-noisy", adapt: true, reward: .efficiency, adaptationOverrides: "  success_judged_by: operator\n", noisyLabels: true),
    ]

    struct RunResult: Codable {
        var arm: String; var seed: Int
        var successRate: Double          // over every attempt of the run (sampled, at the arm's temperatures)
        var lastTenSuccessRate: Double   // the last 10 tasks
        var meanStepsToSuccess: Double?
        var greedySuccess: Double        // after the run, T = 0, held-out shifted tasks
        /// Steps each greedy evaluation episode took to succeed (nil: failed); the same tasks for
        /// every arm of a seed, so arms compare task by task.
        var greedySteps: [Int?]
        var secondsPerTask: Double
        var rollbacks: Int
        /// Updates made, refused by the trainer (KL past the hard limit, non-finite), skipped (no signal).
        var updates: Int, refused: Int, skipped: Int
        /// Mean approx-KL of the updates made.
        var meanKL: Double
        var successByTask: [Double]
        /// Mean efficiency reward 1/(1 + steps/max_steps) (0 on failure) of each task's attempts,
        /// whatever reward the arm trained on, so arms compare on one scale.
        var efficiencyByTask: [Double]
        /// Mean steps of each task's successful attempts (nil: none succeeded).
        var stepsToSuccessByTask: [Double?]
        /// Share of each task's steps a person drove (bridge interventions; 0 without a person).
        var interventionRateByTask: [Double] = []
    }

    func run() throws {
        let dynamics = try shift.parsed()
        let known = Dictionary(uniqueKeysWithValues: Self.knownArms.map { ($0.name, $0) })
        let chosen = try arms.split(separator: ",").map { name -> Arm in
            guard let arm = known[String(name)] else { throw ValidationError("unknown arm \(name); known: \(known.keys.sorted().joined(separator: ", "))") }
            return arm
        }
        let robotPath = URL(fileURLWithPath: robotConfigs).standardizedFileURL.path
        let offline = try OfflineAdaptation(robotConfigPath: "\(robotPath)/\(robot).yaml")
        var results: [RunResult] = []
        for arm in chosen {
            for seed in 0..<seeds {
                results.append(try runOne(arm: arm, seed: seed, dynamics: dynamics, robotPath: robotPath, offline: offline))
                let r = results.last!
                print(String(format: "%-10@ seed %d: success %.0f%% (last 10 tasks %.0f%%), greedy after %.0f%%, steps-to-success %@, %.0f ms/task, updates %d made / %d refused / %d skipped (mean KL %.3f), %d rollbacks",
                             arm.name, seed, r.successRate * 100, r.lastTenSuccessRate * 100, r.greedySuccess * 100,
                             r.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-", r.secondsPerTask * 1000, r.updates, r.refused, r.skipped, r.meanKL, r.rollbacks))
                fflush(nil)
            }
        }
        print("\nsummary over \(seeds) seeds (mean ± 95% CI), \(tasks) tasks x \(attempts) attempts, dynamics \(dynamics)")
        print("arm          success          last-10 success   greedy after     steps-to-success   ms/task")
        for arm in chosen {
            let rs = results.filter { $0.arm == arm.name }
            func ci(_ xs: [Double], _ scale: Double = 100) -> String {
                let (m, h) = Self.meanCI(xs)
                return String(format: "%5.1f ± %4.1f", m * scale, h * scale)
            }
            print("\(arm.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(ci(rs.map(\.successRate)))     \(ci(rs.map(\.lastTenSuccessRate)))      \(ci(rs.map(\.greedySuccess)))     \(ci(rs.compactMap(\.meanStepsToSuccess), 1))      \(String(format: "%.0f", rs.map(\.secondsPerTask).reduce(0, +) / Double(rs.count) * 1000))")
        }
        print("\ngreedy steps to success after the run, on the evaluation tasks that every arm of the same seed solved")
        print("(equal success by construction, so a lower number is a faster policy, not an easier task mix):")
        for arm in chosen {
            let perSeed = (0..<seeds).compactMap { seed in Self.stepsOnCommonSolves(results.filter { $0.seed == seed }, arm: arm.name) }
            let (m, h) = Self.meanCI(perSeed.map(\.steps))
            let tasksSolved = perSeed.map(\.tasks).reduce(0, +)
            print("\(arm.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%5.1f ± %4.1f steps", m, h))  (\(tasksSolved) tasks over \(perSeed.count) seeds)")
        }
        // Paired by seed (every arm of a seed meets the same tasks and evaluation tasks), so the
        // task draw cancels out of the difference.
        for reference in ["no-adapt", "binary"] where chosen.contains(where: { $0.name == reference }) {
            print("\npaired against \(reference), per seed: greedy success difference (points) and greedy steps difference on the evaluation tasks both solved")
            for arm in chosen where arm.name != reference && arm.name != "no-adapt" {
                let pairs = (0..<seeds).compactMap { seed -> (Double, Double)? in
                    let runs = results.filter { $0.seed == seed && ($0.arm == arm.name || $0.arm == reference) }
                    guard let mine = runs.first(where: { $0.arm == arm.name }), let theirs = runs.first(where: { $0.arm == reference }),
                          let a = Self.stepsOnCommonSolves(runs, arm: arm.name), let b = Self.stepsOnCommonSolves(runs, arm: reference) else { return nil }
                    return ((mine.greedySuccess - theirs.greedySuccess) * 100, a.steps - b.steps)
                }
                let (ds, hs) = Self.meanCI(pairs.map(\.0)), (dt, ht) = Self.meanCI(pairs.map(\.1))
                print("\(arm.name.padding(toLength: 16, withPad: " ", startingAt: 0)) success \(String(format: "%+5.1f ± %4.1f", ds, hs))   steps \(String(format: "%+5.1f ± %4.1f", dt, ht))")
            }
        }
        print("\nas tasks go by (mean over seeds, per block of \(Self.block) tasks): success % / mean efficiency reward / steps to success")
        for arm in chosen {
            let rs = results.filter { $0.arm == arm.name }
            var cells: [String] = []
            for start in stride(from: 0, to: tasks, by: Self.block) {
                let end = min(start + Self.block, tasks)
                func blockMean(_ series: (RunResult) -> [Double?]) -> Double? {
                    let xs = rs.flatMap { series($0)[start..<end].compactMap { $0 } }
                    return xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
                }
                let success = blockMean { $0.successByTask.map(Optional.some) } ?? 0
                let efficiency = blockMean { $0.efficiencyByTask.map(Optional.some) } ?? 0
                let steps = blockMean { $0.stepsToSuccessByTask }
                cells.append(String(format: "%.0f/%.2f/%@", success * 100, efficiency, steps.map { String(format: "%.0f", $0) } ?? "-"))
            }
            print("\(arm.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(cells.joined(separator: "  "))")
        }
        if results.contains(where: { $0.interventionRateByTask.contains { $0 > 0 } }) {
            // A person's help should be needed less as the policy learns from it.
            print("\nintervention rate (share of steps a person drove; mean over seeds): whole run, then per block of \(Self.block) tasks")
            for arm in chosen {
                let rs = results.filter { $0.arm == arm.name }
                let whole = rs.flatMap(\.interventionRateByTask)
                var cells = [String(format: "%5.1f%%  |", whole.reduce(0, +) / Double(max(whole.count, 1)) * 100)]
                for start in stride(from: 0, to: tasks, by: Self.block) {
                    let xs = rs.flatMap { $0.interventionRateByTask[start..<min(start + Self.block, tasks)] }
                    cells.append(String(format: "%5.1f%%", xs.reduce(0, +) / Double(max(xs.count, 1)) * 100))
                }
                print("\(arm.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(cells.joined(separator: "  "))")
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }

    private func runOne(arm: Arm, seed: Int, dynamics: [String: Double], robotPath: String, offline: OfflineAdaptation) throws -> RunResult {
        let dir = NSTemporaryDirectory() + "ttad-lab-\(getpid())-\(arm.name)-\(seed)"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A robot-config folder holding just this robot (the engine loads a whole folder).
        let robots = "\(dir)/robots"
        try FileManager.default.createDirectory(atPath: robots, withIntermediateDirectories: true)
        if arm.adaptationOverrides.isEmpty && arm.learningOverrides.isEmpty {
            try FileManager.default.createSymbolicLink(atPath: "\(robots)/\(robot).yaml", withDestinationPath: "\(robotPath)/\(robot).yaml")
        } else {
            var yaml = try String(contentsOfFile: "\(robotPath)/\(robot).yaml", encoding: .utf8)
            for (section, lines) in [("adaptation", arm.adaptationOverrides), ("learning", arm.learningOverrides)] where !lines.isEmpty {
                guard yaml.contains("\n\(section):\n") else { throw ValidationError("\(robot).yaml has no \(section): section to extend") }
                // The arm's keys replace the file's own (a YAML mapping must not repeat a key).
                let keys = Set(lines.split(separator: "\n").compactMap { $0.split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) } })
                yaml = Self.removing(keys: keys, fromSection: section, in: yaml)
                yaml = yaml.replacingOccurrences(of: "\n\(section):\n", with: "\n\(section):\n" + lines)
            }
            try yaml.write(toFile: "\(robots)/\(robot).yaml", atomically: true, encoding: .utf8)
        }
        if FileManager.default.fileExists(atPath: "\(robotPath)/models") {
            try FileManager.default.createSymbolicLink(atPath: "\(robots)/models", withDestinationPath: "\(robotPath)/models")
        }
        let startingCheckpoint = start.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "\(robotPath)/checkpoints/\(robot).safetensors"
        if FileManager.default.fileExists(atPath: startingCheckpoint) {
            // Copied through the store (only Checkpoints writes checkpoint files): read, verified,
            // and written where the engine looks for a robot's shipped starting checkpoint.
            let source = URL(fileURLWithPath: startingCheckpoint)
            let loaded = try CheckpointStore(directory: source.deletingLastPathComponent().path).load(id: source.deletingPathExtension().lastPathComponent)
            try CheckpointStore(directory: "\(robots)/checkpoints").save(policy: loaded.policy, optimizer: loaded.optimizer,
                                                                           metadata: loaded.info.metadata, as: robot)
        } else if start != nil {
            throw ValidationError("--start \(start!): no such file")
        }
        var lab: LabController?
        defer { lab?.terminate() }
        if let controller {
            // The controller simulates the robot-config as written; the engine gets the same robot over the bridge.
            let source = "\(robots)/\(robot).yaml"
            let yaml = try String(contentsOfFile: source, encoding: .utf8)
            let simulatedConfig = try RobotConfig.load(path: "\(robotPath)/\(robot).yaml")
            // Its own folder, so the robot keeps its name (the controller's person is chosen by it).
            let simulatedFolder = "\(dir)/simulated", simulated = "\(simulatedFolder)/\(robot).yaml"
            try FileManager.default.createDirectory(atPath: simulatedFolder, withIntermediateDirectories: true)
            try yaml.write(toFile: simulated, atomically: true, encoding: .utf8)
            if FileManager.default.fileExists(atPath: "\(robotPath)/models") {
                try FileManager.default.createSymbolicLink(atPath: "\(simulatedFolder)/models", withDestinationPath: "\(robotPath)/models")
            }
            let started = try LabController(robotConfig: simulated, arguments: controller.split(separator: " ").map(String.init))
            lab = started
            try? FileManager.default.removeItem(atPath: source)
            try LabController.bridgeConfig(fromMuJoCoYAML: yaml, observationSize: simulatedConfig.observationSize,
                                           actionSize: simulatedConfig.actionSize, endpoint: started.endpoint)
                .write(toFile: source, atomically: true, encoding: .utf8)
        }
        let engine = try AdaptationEngine(robotConfigDirectory: robots, stateDirectory: "\(dir)/state", defaultRobot: robot)
        guard let defaults = engine.defaults(robot: robot) else { throw ValidationError("no robot \(robot) in \(robots)") }
        var successByTask: [Double] = [], efficiencyByTask: [Double] = [], stepsToSuccessByTask: [Double?] = []
        var steps: [Int] = []
        var interventionRateByTask: [Double] = []
        let maxSteps = try RobotConfig.load(path: "\(robots)/\(robot).yaml").maxSteps
        var rollbacks = 0
        let observer = CountingObserver()
        let labeller = arm.noisyLabels.map {
            SimulatedLabeller(inner: observer, board: engine.labels, errorRate: $0 ? labelError : 0, seed: 5_000_000 + UInt64(seed))
        }
        let clock = ContinuousClock()
        let started = clock.now
        if demos > 0 {
            guard controller != nil else { throw ValidationError("--demos needs --controller with a person who demonstrates (--person scripted)") }
            // Demonstration tasks draw their targets from their own seeds, apart from the held-out tasks.
            let plan = TaskPlan(id: "demo", robot: robot, task: task, params: [:], dynamics: dynamics, attempts: demos,
                                temperatureBase: 0, temperatureRange: 0, rewardMode: arm.reward, adapt: false,
                                priority: 0, seed: 5_000_000 + UInt64(seed), demonstration: true)
            let outcome = try engine.run(plan, observer: observer, cancellation: Cancellation())
            guard outcome.attempts.count == demos, !outcome.attempts.contains(where: { $0.abortReason != nil }) else {
                throw ValidationError("the demonstrations did not all run: \(outcome.attempts.map { $0.abortReason ?? "ok" })")
            }
        }
        for path in demosFile {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--demos-file \(path): cannot read it") }
            let added: DemonstrationSummary
            do { added = try engine.addDemonstrations(robot: robot, task: task, fileName: path, file: [UInt8](data)) } catch {
                throw ValidationError("--demos-file \(path): \(error)")
            }
            print("\(arm.name) seed \(seed): demonstrations from \(path): set \(added.id), \(added.episodes) episode(s), \(added.steps) steps")
        }
        for i in 0..<tasks {
            // Held-out tasks: the same sequence for every arm of a seed, never used in pretraining.
            let plan = TaskPlan(id: "x\(i)", robot: robot, task: task, params: [:], dynamics: dynamics, attempts: attempts,
                                temperatureBase: arm.fixedTemperature ? defaults.temperatureBase + defaults.temperatureRange / 2 : defaults.temperatureBase,
                                temperatureRange: arm.fixedTemperature ? 0 : defaults.temperatureRange, rewardMode: arm.reward, adapt: arm.adapt,
                                priority: 0, seed: 9_000_000 + UInt64(seed) * 10_000 + UInt64(i))
            labeller?.truth = [:]
            var outcome = try engine.run(plan, observer: labeller ?? observer, cancellation: Cancellation())
            // Measured by what truly happened, not by what the simulated person said.
            if let labeller { for k in outcome.attempts.indices { outcome.attempts[k].success = labeller.truth[outcome.attempts[k].index] ?? outcome.attempts[k].success } }
            successByTask.append(outcome.successRate)
            let succeeded = outcome.attempts.filter(\.success).map(\.steps)
            steps += succeeded
            efficiencyByTask.append(outcome.attempts.map {
                EfficiencyReward().reward(AttemptOutcome(success: $0.success, steps: $0.steps, maxSteps: maxSteps))
            }.reduce(0, +) / Double(max(outcome.attempts.count, 1)))
            stepsToSuccessByTask.append(succeeded.isEmpty ? nil : Double(succeeded.reduce(0, +)) / Double(succeeded.count))
            let taskSteps = outcome.attempts.map(\.steps).reduce(0, +)
            interventionRateByTask.append(taskSteps == 0 ? 0 : Double(outcome.attempts.map(\.intervenedSteps).reduce(0, +)) / Double(taskSteps))
        }
        rollbacks = observer.rollbacks
        let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
        let live = try engine.livePolicy(robot: robot)
        let greedySteps = try offline.evaluateEpisodes(policy: live, task: task, dynamics: dynamics, episodes: evalEpisodes, seed: 77_000_000 + UInt64(seed))
        let greedy = Double(greedySteps.compactMap { $0 }.count) / Double(max(evalEpisodes, 1))
        return RunResult(arm: arm.name, seed: seed,
                         successRate: successByTask.reduce(0, +) / Double(successByTask.count),
                         lastTenSuccessRate: successByTask.suffix(10).reduce(0, +) / Double(min(10, successByTask.count)),
                         meanStepsToSuccess: steps.isEmpty ? nil : Double(steps.reduce(0, +)) / Double(steps.count),
                         greedySuccess: greedy, greedySteps: greedySteps, secondsPerTask: seconds / Double(tasks), rollbacks: rollbacks,
                         updates: observer.accepted, refused: observer.refused, skipped: observer.skipped,
                         meanKL: observer.accepted > 0 ? observer.klSum / Double(observer.accepted) : 0, successByTask: successByTask,
                         efficiencyByTask: efficiencyByTask, stepsToSuccessByTask: stepsToSuccessByTask,
                         interventionRateByTask: interventionRateByTask)
    }

    /// One seed's runs: `arm`'s mean greedy steps on the evaluation tasks every run solved, and
    /// how many such tasks there were (nil: none).
    static func stepsOnCommonSolves(_ runs: [RunResult], arm: String) -> (steps: Double, tasks: Int)? {
        guard let mine = runs.first(where: { $0.arm == arm }) else { return nil }
        let common = mine.greedySteps.indices.filter { i in runs.allSatisfy { i < $0.greedySteps.count && $0.greedySteps[i] != nil } }
        guard !common.isEmpty else { return nil }
        return (Double(common.map { mine.greedySteps[$0]! }.reduce(0, +)) / Double(common.count), common.count)
    }

    /// Tasks per block in the "as tasks go by" table.
    static let block = 10

    /// `yaml` without the lines of top-level `section` that set one of `keys`.
    static func removing(keys: Set<String>, fromSection section: String, in yaml: String) -> String {
        var out: [Substring] = [], inside = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inside = line == "\(section):" }
            if inside, line.hasPrefix("  "), !line.hasPrefix("   "),
               let key = line.split(separator: ":").first?.trimmingCharacters(in: .whitespaces), keys.contains(key) { continue }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// Mean and the half-width of a 95% confidence interval (Student's t).
    static func meanCI(_ xs: [Double]) -> (Double, Double) {
        guard !xs.isEmpty else { return (.nan, .nan) }
        let n = Double(xs.count), mean = xs.reduce(0, +) / n
        guard xs.count > 1 else { return (mean, .nan) }
        let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        let t: [Int: Double] = [2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26]
        return (mean, (t[xs.count] ?? 1.96) * sd / n.squareRoot())
    }
}

/// Counts rollbacks during a run.
final class CountingObserver: AdaptationObserver {
    var rollbacks = 0
    /// Updates made (accepted), refused by the trainer, and skipped (no reward variance, ...).
    var accepted = 0, refused = 0, skipped = 0
    /// Sum of approx-KL and of entropy over the updates made.
    var klSum = 0.0, entropySum = 0.0
    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {}
    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {
        guard let report = update.report else { skipped += 1; return }
        if report.accepted {
            accepted += 1
            klSum += report.approxKL
            entropySum += report.entropy
        } else { refused += 1 }
    }
    func checkpointEvent(_ event: CheckpointEvent, taskId: String?) { if event.kind == .rollback { rollbacks += 1 } }
    func heartbeat() {}
}
