import Checkpoints
import Foundation
import Policy
import Testing
@testable import Adaptation

/// The real engine on the real simulated reacher, in a temporary state folder.
@Suite struct AdaptationEngineTests {
    static let repoRobots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("robot-configs").path

    /// A robot-config folder holding reacher2 with `adaptation` overrides appended.
    static func robotFolder(adaptation: String = "", learning: String = "", edits: [(String, String)] = []) throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-engine-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/robots", withIntermediateDirectories: true)
        var yaml = try String(contentsOfFile: repoRobots + "/reacher2.yaml", encoding: .utf8)
        if !adaptation.isEmpty {
            yaml = yaml.replacingOccurrences(of: "adaptation:\n", with: "adaptation:\n" + adaptation)
        }
        if !learning.isEmpty {
            // The override replaces the file's own trainable line (a YAML mapping must not repeat a key).
            yaml = yaml.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !(learning.contains("trainable:") && $0.hasPrefix("  trainable:")) }.joined(separator: "\n")
            yaml = yaml.replacingOccurrences(of: "\nlearning:\n", with: "\nlearning:\n" + learning)
        }
        for (from, to) in edits { yaml = yaml.replacingOccurrences(of: from, with: to) }
        try yaml.write(toFile: dir + "/robots/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/robots/models", withDestinationPath: repoRobots + "/models")
        return dir
    }

    static func plan(_ i: Int, attempts: Int = 8) -> TaskPlan {
        TaskPlan(id: "t\(i)", robot: "reacher2", task: "reach", params: [:], dynamics: [:], attempts: attempts,
                 temperatureBase: 0.6, temperatureRange: 0.3, rewardMode: .efficiency, adapt: true, priority: 0, seed: UInt64(100 + i))
    }

    final class Recorder: AdaptationObserver {
        var events: [CheckpointEvent] = []
        var updates: [UpdateSummary] = []
        var attempts: [AttemptReport] = []
        func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
        func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) { attempts.append(report) }
        func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) { updates.append(update) }
        func checkpointEvent(_ event: CheckpointEvent, taskId: String?) { events.append(event) }
        func heartbeat() {}
    }

    @Test func aTaskScoresEachAttemptAndAnAcceptedUpdateBecomesTheLiveCandidate() throws {
        let dir = try Self.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let initial = try #require(engine.liveCheckpoint)
        #expect(engine.lastGoodCheckpoint == initial, "the initial checkpoint is good by definition")
        let recorder = Recorder()
        var accepted: UpdateSummary?
        for i in 0..<30 where accepted == nil {
            let outcome = try engine.run(Self.plan(i), observer: recorder, cancellation: Cancellation())
            #expect(outcome.attempts.map(\.index) == Array(0..<8))
            for a in outcome.attempts {
                #expect(a.reward == (a.success ? 1 / (1 + Double(a.steps) / 50) : 0), "efficiency reward")
            }
            if outcome.update.accepted { accepted = outcome.update }
        }
        let update = try #require(accepted, "within 30 tasks some group had reward variance and made an update")
        #expect(update.parent == initial && update.candidate != nil)
        #expect(engine.liveCheckpoint == update.candidate)
        #expect(engine.lastGoodCheckpoint == initial, "a candidate is not good until the gate says so")
        #expect(recorder.events.contains { $0.kind == .candidate && $0.checkpoint == update.candidate })
    }

    @Test func rewardWeightsFromTheRobotConfigScoreEveryAttempt() throws {
        let dir = try Self.robotFolder(adaptation: "  reward_weights: {progress: 0.3, smoothness: 0.2}\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        var failures: [Double] = [], successes: [Double] = []
        for i in 0..<6 {
            let outcome = try engine.run(Self.plan(i), observer: Recorder(), cancellation: Cancellation())
            for a in outcome.attempts { if a.success { successes.append(a.reward) } else { failures.append(a.reward) } }
        }
        // r = efficiency + 0.3 progress - 0.2 action change: failures land in [-0.2, 0.3], successes
        // in [0.5 + 0.3 - 0.2, 1 + 0.3].
        #expect(!failures.isEmpty && !successes.isEmpty)
        #expect(failures.allSatisfy { $0 >= -0.2 && $0 <= 0.3 } && successes.allSatisfy { $0 >= 0.6 && $0 <= 1.3 })
        #expect(failures.contains { $0 > 0 }, "near misses earn progress credit")
        #expect(Set(failures).count > 1, "failures are told apart")
    }

    @Test func aBadRewardWeightOrTrainableNameIsRefusedByName() throws {
        func failure(adaptation: String = "", learning: String = "") throws -> String {
            let dir = try Self.robotFolder(adaptation: adaptation, learning: learning)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            do {
                _ = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
                return "accepted"
            } catch { return "\(error)" }
        }
        let weight = try failure(adaptation: "  reward_weights: {progress: -1}\n")
        #expect(weight.contains("adaptation.reward_weights.progress") && weight.contains(">= 0"), "\(weight)")
        let name = try failure(learning: "  trainable: [hed]\n")
        #expect(name.contains("learning.trainable") && name.contains("\"hed\"") && name.contains("head.weight"), "\(name)")
        #expect(try failure(learning: "  trainable: [head.weight, head.bias]\n") == "accepted")
        let cloneName = try failure(learning: "  clone_trainable: [layers.9]\n")
        #expect(cloneName.contains("learning.clone_trainable") && cloneName.contains("\"layers.9\""), "\(cloneName)")
        #expect(try failure(learning: "  clone_trainable: [layers.0, head]\n") == "accepted")
        let normalization = try failure(adaptation: "  advantage_normalization: median\n")
        #expect(normalization.contains("adaptation") && normalization.contains("advantage_normalization")
                && normalization.contains("std, mean") && normalization.contains("\"median\""), "\(normalization)")
        #expect(try failure(adaptation: "  advantage_normalization: mean\n") == "accepted")
    }

    @Test func aRewardModeOtherThanEfficiencyOrBinaryInTheRobotConfigIsRefusedByName() throws {
        func load(reward: String) throws -> String {
            let dir = try Self.robotFolder()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/robots/reacher2.yaml"
            let yaml = try String(contentsOfFile: path, encoding: .utf8)
            try #require(yaml.contains("\n  reward: efficiency\n"))
            try yaml.replacingOccurrences(of: "\n  reward: efficiency\n", with: "\n  reward: \(reward)\n").write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
                return "accepted: \(engine.defaults(robot: "reacher2")?.rewardMode.rawValue ?? "-")"
            } catch { return "\(error)" }
        }
        let refused = try load(reward: "speed")
        #expect(refused.contains("adaptation") && refused.contains("reward") && refused.contains("efficiency, binary")
                && refused.contains("\"speed\""), "\(refused)")
        #expect(try load(reward: "binary") == "accepted: binary")
    }

    @Test func aSubmittedRewardModeIsParsedOnceAndAnUnknownOneIsRefusedNamingTheField() throws {
        let defaults = TaskDefaults()
        #expect(try defaults.rewardMode(nil, field: "args.reward") == .efficiency, "the robot's default")
        #expect(try defaults.rewardMode("binary", field: "args.reward") == .binary)
        #expect(throws: AdaptationError.self) { try defaults.rewardMode("speed", field: "args.reward") }
        do { _ = try defaults.rewardMode("speed", field: "args.reward") } catch let error as AdaptationError {
            #expect(error.field == "args.reward" && error.message.contains("\"speed\"") && error.message.contains("efficiency, binary"), "\(error)")
        }
    }

    @Test func actionChangeIsTheMeanSquaredStepOverTheRange() {
        func samples(_ actions: [[Float]]) -> [ActionSample] { actions.map { ActionSample(action: $0, raw: $0, logProb: 0) } }
        let low: [Float] = [-1, -1], high: [Float] = [1, 1]
        #expect(AttemptRunner.actionChange(samples([[0.3, -0.2], [0.3, -0.2], [0.3, -0.2]]), low: low, high: high) == 0)
        #expect(AttemptRunner.actionChange(samples([[-1, -1], [1, 1], [-1, -1]]), low: low, high: high) == 1)
        // One dimension jumps half its range once over two steps: (0.5^2 + 0) / 2 dims / 1 change.
        #expect(abs(AttemptRunner.actionChange(samples([[0, 0], [1, 0]]), low: low, high: high) - 0.125) < 1e-12)
        #expect(AttemptRunner.actionChange(samples([[0.5, 0.5]]), low: low, high: high) == 0)
    }

    @Test func aBlownUpUpdateIsRefusedAndTheLastGoodPolicyComesBack() throws {
        // The fault-injection knob: a learning rate 10^5 times too large.
        let dir = try Self.robotFolder(adaptation: "  debug_learning_rate_multiplier: 100000\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let good = try #require(engine.lastGoodCheckpoint)
        let before = try engine.livePolicy(robot: "reacher2").namedTensors()
        let recorder = Recorder()
        var refusals = 0
        for i in 0..<30 {
            let outcome = try engine.run(Self.plan(i), observer: recorder, cancellation: Cancellation())
            if outcome.update.attempted && !outcome.update.accepted {
                refusals += 1
                #expect(engine.liveCheckpoint == good, "after a refused update the live policy is the last good one")
                #expect(try engine.livePolicy(robot: "reacher2").namedTensors() == before, "bit for bit")
            }
            // Whatever happened, the policy that acts next is finite.
            #expect(try engine.livePolicy(robot: "reacher2").isFinite)
        }
        #expect(refusals > 0, "the blown-up updates were caught")
        #expect(recorder.events.contains { $0.kind == .rollback })
        #expect(engine.lastGoodCheckpoint == good)
    }

    @Test func theGroupsKeptForReuseAreForgottenWhenAnotherCheckpointIsInstalled() throws {
        let dir = try Self.robotFolder(learning: "  replay_groups: 2\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let good = try #require(engine.lastGoodCheckpoint)
        let lineage = try #require(engine.lineages["reacher2"])
        var reused = 0
        for i in 0..<30 where lineage.reusable.groups.count < 2 {
            reused += try engine.run(Self.plan(i), observer: Recorder(), cancellation: Cancellation()).update.report?.replaySamples ?? 0
        }
        #expect(lineage.reusable.groups.count == 2 && reused > 0, "accepted updates kept their groups, and later ones reused them")
        _ = try engine.rollback(to: good, reason: "test", observer: nil)
        #expect(lineage.reusable.groups.isEmpty, "another policy's attempts are not this one's history")
    }

    @Test func aDamagedGoodCheckpointFallsBackToThePreviousGoodOneAndSaysSo() throws {
        let dir = try Self.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var newest: String?
        do {
            let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
            for i in 0..<30 where engine.liveCheckpoint == engine.lastGoodCheckpoint {
                _ = try engine.run(Self.plan(i), observer: Recorder(), cancellation: Cancellation())
            }
            let candidate = try #require(engine.liveCheckpoint)
            // A person promotes the candidate: now two good checkpoints exist.
            newest = try #require(try engine.rollback(to: candidate, reason: "test", observer: nil).checkpoint)
            #expect(engine.lastGoodCheckpoint == candidate)
        }
        let path = dir + "/state/checkpoints/reacher2/\(newest!).safetensors"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 5] ^= 0x40  // one bit in the tensor data
        try bytes.write(to: URL(fileURLWithPath: path))

        let messages = MessageBox()
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state",
                                          defaultRobot: "reacher2", log: { messages.append($0) })
        #expect(engine.liveCheckpoint != newest, "the damaged checkpoint is not loaded")
        #expect(messages.all.contains { $0.contains(newest!) && $0.contains("fell back") }, "\(messages.all)")
    }

    @Test("a reload's new gate settings judge from then on, and the gate's record stays")
    func aReloadAppliesTheGateSettings() throws {
        let dir = try Self.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        _ = try engine.run(Self.plan(1), observer: Recorder(), cancellation: Cancellation())
        let lineage = try #require(engine.lineages["reacher2"])
        let record = engine.withLock { lineage.gate.goodTasks }
        #expect(!record.isEmpty)
        let path = dir + "/robots/reacher2.yaml"
        let yaml = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "adaptation:\n", with: "adaptation:\n  gate_margin: 0.05\n  gate_min_attempts: 24\n  gate_window: 48\n  safety_abort_margin: 0.1\n")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        try engine.reload()
        engine.withLock {
            let gate = lineage.gate
            #expect(gate.margin == 0.05 && gate.minAttempts == 24 && gate.window == 48 && gate.safetyAbortMargin == 0.1, "\(gate)")
            #expect(gate.goodTasks == record, "the record of attempts is kept")
        }
    }
}

extension AdaptationEngineTests {
    @Test func repeatedHardwareFaultsPauseAdaptationAndDegradeUntilResumed() throws {
        let dir = try Self.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A bridge robot whose controller is not there: every reset misses its deadline.
        var yaml = try String(contentsOfFile: Self.repoRobots + "/bridge-example.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: "ipc://\(dir)/nobody.sock")
            .replacingOccurrences(of: "hello_deadline_ms: 2000", with: "hello_deadline_ms: 150")
        try yaml.write(toFile: dir + "/robots/bridge-example.yaml", atomically: true, encoding: .utf8)
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        #expect(engine.robots["bridge-example"] == "bridge")
        for i in 0..<3 {
            var plan = Self.plan(i, attempts: 1)
            plan.robot = "bridge-example"
            let outcome = try engine.run(plan, observer: Recorder(), cancellation: Cancellation())
            #expect(outcome.attempts.first?.abortReason?.hasPrefix("hardware_fault") == true, "\(outcome.attempts)")
            #expect(!outcome.update.attempted, "a hardware fault judges the robot, not the policy")
        }
        #expect(engine.degradedReason?.contains("hardware faults") == true)
        #expect(!engine.isAdapting)
        // The simulated robot still runs; a person's resume clears the degraded state.
        _ = try engine.run(Self.plan(9), observer: Recorder(), cancellation: Cancellation())
        engine.isAdapting = true
        #expect(engine.degradedReason == nil)
    }
}

final class MessageBox: @unchecked Sendable {
    private var items: [AdaptationNote] = []
    private let lock = NSLock()
    func append(_ note: AdaptationNote) { lock.lock(); items.append(note); lock.unlock() }
    func append(_ s: String) { append(AdaptationNote(.info, s)) }
    /// Every line, in order.
    var all: [String] { notes.map(\.message) }
    /// Every engine note (or line, as info), in order.
    var notes: [AdaptationNote] { lock.lock(); defer { lock.unlock() }; return items }
}
