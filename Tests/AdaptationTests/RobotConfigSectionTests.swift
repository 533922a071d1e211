import Adaptation
import Foundation
import Learning
import Testing

/// The robot-config's `policy:`, `learning:` and `adaptation:` sections are read strictly: a typo
/// or an out-of-range value is an error naming the file, the section and the key.
@Suite struct RobotConfigSectionTests {
    /// reacher2.yaml with `line` inserted right under `section:`; the engine's error, or "accepted".
    func load(section: String, line: String) throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-sections-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/robots", withIntermediateDirectories: true)
        let yaml = try String(contentsOfFile: AdaptationEngineTests.repoRobots + "/reacher2.yaml", encoding: .utf8)
            .replacingOccurrences(of: "\n\(section):\n", with: "\n\(section):\n  \(line)\n")
        try yaml.write(toFile: dir + "/robots/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/robots/models", withDestinationPath: AdaptationEngineTests.repoRobots + "/models")
        do {
            _ = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
            return "accepted"
        } catch { return "\(error)" }
    }

    @Test("a misspelt key in policy, learning or adaptation is refused by name", arguments: [
        ("policy", "hiden_sizes: [32]"), ("learning", "lerning_rate: 0.01"), ("adaptation", "atempts: 4"),
        ("adaptation", "reward_weights: {progres: 0.3}"),
    ])
    func misspeltKey(section: String, line: String) throws {
        let key = String(line.split(separator: ":")[0])
        let message = try load(section: section, line: line)
        #expect(message.contains("reacher2.yaml") && message.contains(section) && message.contains("unknown key"), "\(message)")
        #expect(message.contains(key.hasPrefix("reward_weights") ? "progres" : key), "\(message)")
    }

    @Test("an out-of-range learning hyperparameter is refused naming the key and the range", arguments: [
        // Keys reacher2.yaml does not set itself (a YAML mapping must not repeat a key).
        ("max_grad_norm: -1", "learning.max_grad_norm"), ("target_kl: 0", "learning.target_kl"), ("minibatches: 0", "learning.minibatches"),
        ("hard_kl: 0", "learning.hard_kl"), ("adam_beta2: 1", "learning.adam_beta2"),
    ])
    func outOfRangeLearning(line: String, field: String) throws {
        let message = try load(section: "learning", line: line)
        #expect(message.contains("reacher2.yaml: \(field)") && message.contains("expected"), "\(message)")
    }

    @Test("a wrong value in a section names the full key path, what was expected and what was found", arguments: [
        // Keys reacher2.yaml does not set itself (a YAML mapping must not repeat a key).
        ("adaptation", "gate_window: many", "adaptation.gate_window: expected an integer >= 1, found \"many\""),
        ("adaptation", "gate_margin: 2", "adaptation.gate_margin: expected a number from 0 to 1, found \"2\""),
        ("adaptation", "reward_weights: {progress: -1}", "adaptation.reward_weights.progress: expected a number >= 0, found \"-1\""),
        ("adaptation", "advantage_normalization: median", "adaptation.advantage_normalization: expected one of std, mean, found \"median\""),
        ("adaptation", "success_speed_weight: -0.5", "adaptation.success_speed_weight: expected a number >= 0, found \"-0.5\""),
        ("adaptation", "failure_progress_weight: x", "adaptation.failure_progress_weight: expected a number >= 0, found \"x\""),
        ("adaptation", "value_baseline_weight: 2", "adaptation.value_baseline_weight: expected a number from 0 to 1, found \"2\""),
        ("adaptation", "zero_success_progress_std_floor: -0.1",
         "adaptation.zero_success_progress_std_floor: expected a number from 0 to 1, found \"-0.1\""),
        ("adaptation", "exploration_noise_exponent: 3",
         "adaptation.exploration_noise_exponent: expected a number from 0 to 2, found \"3\""),
        ("adaptation", "success_judged_by: nobody", "adaptation.success_judged_by: expected one of robot, operator, found \"nobody\""),
        ("adaptation", "label_deadline_seconds: 0", "adaptation.label_deadline_seconds: expected a number from 1 to 86400, found \"0\""),
        ("policy", "bins: 1", "policy.bins: expected an integer from 2 to 4096, found \"1\""),
        ("policy", "initial_log_std: 5", "policy.initial_log_std: expected a number from -10 to 2, found \"5\""),
        ("learning", "minibatches: four", "learning.minibatches: expected an integer, found \"four\""),
    ])
    func wrongValueNamesTheKeyPath(section: String, line: String, expected: String) throws {
        let message = try load(section: section, line: line)
        #expect(message.contains("reacher2.yaml: " + expected), "\(message)")
    }

    @Test("target_kl: null disables early stopping; an absent key keeps the default")
    func nullTargetKLDisablesEarlyStopping() throws {
        #expect(try load(section: "learning", line: "target_kl: null") == "accepted")
        #expect(try load(section: "learning", line: "target_kl: fast").contains("learning.target_kl: expected a number"))
    }

    @Test("known keys with in-range values are accepted")
    func knownKeysAccepted() throws {
        #expect(try load(section: "learning", line: "max_grad_norm: 0.5") == "accepted")
        #expect(try load(section: "adaptation", line: "keep_recent: 4") == "accepted")
        #expect(try load(section: "adaptation", line: "value_baseline_weight: 0.5") == "accepted")
        #expect(try load(section: "adaptation", line: "zero_success_progress_std_floor: 0.02") == "accepted")
        #expect(try load(section: "adaptation", line: "exploration_noise_exponent: 1") == "accepted")
    }

    @Test("a section left out takes the defaults written on its properties")
    func defaultsAreWrittenOnce() {
        let settings = AdaptationSettings()
        #expect(TaskDefaults() == settings.taskDefaults)
        #expect(TaskDefaults().attempts == 8 && TaskDefaults().temperatureBase == 0.6 && TaskDefaults().temperatureRange == 0.3)
        #expect(PPOConfig().rangeProblem == nil, "the defaults are in range")
    }
}
