import Foundation
import Learning
import Yams

/// The robot-config's `adaptation:` section: defaults for submits, the evaluation gate, retention
/// and fault handling. docs/robot-config.md lists each key; the defaults are here.
public struct AdaptationSettings: Sendable, Equatable, Decodable {
    /// N, attempts per task. Default 8.
    public var attempts = 8
    /// T_0. Default 0.6 (the seed's).
    public var temperatureBase = 0.6
    /// T_{N-1} - T_0. Default 0.3 (the seed's).
    public var temperatureRange = 0.3
    /// `efficiency` or `binary`. Default `efficiency`.
    public var reward = RewardMode.efficiency
    /// Whether tasks update the policy unless they say otherwise. Default true.
    public var adapt = true
    /// Attempts a candidate must have run before the gate judges it. Default 16.
    public var gateMinAttempts = 16
    /// How much lower a candidate's success rate may be than the last good checkpoint's before
    /// it is rolled back. Default 0.15.
    public var gateMargin = 0.15
    /// Attempts of the last good checkpoint the gate compares against (a sliding window). Default 32.
    public var gateWindow = 32
    /// Safety aborts per attempt a candidate may show above the good checkpoint's rate. Default 0.25.
    public var safetyAbortMargin = 0.25
    /// Consecutive hardware faults that pause adaptation and mark the daemon degraded. Default 3.
    public var hardwareFaultLimit = 3
    /// Candidate checkpoints kept besides the last good and the reference. Default 8.
    public var keepRecent = 8
    /// Seed of a freshly initialised policy (no checkpoint yet). Default 1.
    public var initSeed: UInt64 = 1
    /// Adaptive temperature (beyond the seed): after a group where every attempt succeeded with the
    /// same reward, shift the schedule up by `temperature_step` (explore more); after a group where
    /// none succeeded, shift it down (toward greedy). Default false.
    public var adaptiveTemperature = false
    /// The size of one adaptive shift. Default 0.05.
    public var temperatureStep = 0.05
    /// Bounds on the adaptive shift added to T_0. Default [-0.4, 0.4].
    public var temperatureShiftMin = -0.4
    public var temperatureShiftMax = 0.4
    /// Selective training (beyond the seed): train only on the K attempts whose advantages are
    /// largest in magnitude (the most informative); 0 trains on all N. Default 0.
    public var trainTopK = 0
    /// Selective training: skip groups where every attempt succeeded or every one failed, as
    /// SimpleVLA-RL drops groups outside [0.1, 0.9] success. Default true: with the efficiency
    /// reward, an all-success group still has reward variance (steps differ), and group
    /// normalisation blows those small differences up to full-size advantages that trade success
    /// for speed; over 200 tasks on reacher2 that slid success back below the start
    /// (docs/experiment.md). false trains on every group with reward variance; with
    /// `advantage_normalization: mean` that makes the robot faster at equal success for ~50 tasks
    /// (the experiment's `speed` arm), and slowly costs success after that.
    public var informativeGroupsOnly = true
    /// How the group's rewards become advantages: `std` (GRPO, the seed's: (R - mean) / std) or
    /// `mean` (Dr. GRPO: R - mean, so small reward differences give small pushes). Default `std`.
    public var advantageNormalization = GroupAdvantage.Normalization.std
    /// Multi-objective reward (beyond the seed): weights of the progress, smoothness and
    /// safety-margin terms added to the task reward (`MultiObjectiveReward`). Default all 0.
    public var rewardWeights = RewardWeights()
    /// Fault injection: multiplies the learning rate, to prove the watchdog rolls back a blown
    /// update. Default 1. Never set it on a real robot.
    public var debugLearningRateMultiplier = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case attempts, reward, adapt
        case temperatureBase = "temperature_base", temperatureRange = "temperature_range"
        case gateMinAttempts = "gate_min_attempts", gateMargin = "gate_margin", gateWindow = "gate_window"
        case safetyAbortMargin = "safety_abort_margin", hardwareFaultLimit = "hardware_fault_limit"
        case keepRecent = "keep_recent", initSeed = "init_seed"
        case debugLearningRateMultiplier = "debug_learning_rate_multiplier"
        case adaptiveTemperature = "adaptive_temperature", temperatureStep = "temperature_step"
        case temperatureShiftMin = "temperature_shift_min", temperatureShiftMax = "temperature_shift_max"
        case trainTopK = "train_top_k", informativeGroupsOnly = "informative_groups_only"
        case rewardWeights = "reward_weights", advantageNormalization = "advantage_normalization"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Each default is written once, on its property above.
        let d = AdaptationSettings()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        attempts = try value(.attempts, d.attempts)
        temperatureBase = try value(.temperatureBase, d.temperatureBase)
        temperatureRange = try value(.temperatureRange, d.temperatureRange)
        if let name = try c.decodeIfPresent(String.self, forKey: .reward) {
            do { reward = try RewardMode(parsing: name, field: CodingKeys.reward.rawValue) } catch {
                throw DecodingError.dataCorruptedError(forKey: .reward, in: c, debugDescription: error.problem)
            }
        } else { reward = d.reward }
        adapt = try value(.adapt, d.adapt)
        gateMinAttempts = try value(.gateMinAttempts, d.gateMinAttempts)
        gateMargin = try value(.gateMargin, d.gateMargin)
        gateWindow = try value(.gateWindow, d.gateWindow)
        safetyAbortMargin = try value(.safetyAbortMargin, d.safetyAbortMargin)
        hardwareFaultLimit = try value(.hardwareFaultLimit, d.hardwareFaultLimit)
        keepRecent = try value(.keepRecent, d.keepRecent)
        initSeed = try value(.initSeed, d.initSeed)
        debugLearningRateMultiplier = try value(.debugLearningRateMultiplier, d.debugLearningRateMultiplier)
        adaptiveTemperature = try value(.adaptiveTemperature, d.adaptiveTemperature)
        temperatureStep = try value(.temperatureStep, d.temperatureStep)
        temperatureShiftMin = try value(.temperatureShiftMin, d.temperatureShiftMin)
        temperatureShiftMax = try value(.temperatureShiftMax, d.temperatureShiftMax)
        trainTopK = try value(.trainTopK, d.trainTopK)
        informativeGroupsOnly = try value(.informativeGroupsOnly, d.informativeGroupsOnly)
        rewardWeights = try value(.rewardWeights, d.rewardWeights)
        if let name = try c.decodeIfPresent(String.self, forKey: .advantageNormalization) {
            guard let normalization = GroupAdvantage.Normalization(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .advantageNormalization, in: c,
                    debugDescription: "expected one of \(GroupAdvantage.Normalization.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
            }
            advantageNormalization = normalization
        }
    }

    /// What a submit that leaves these fields out gets.
    public var taskDefaults: TaskDefaults {
        TaskDefaults(attempts: attempts, temperatureBase: temperatureBase, temperatureRange: temperatureRange, rewardMode: reward, adapt: adapt)
    }

    /// Checks ranges; the error names the key.
    func validate(file: String) throws {
        func bad(_ key: CodingKeys, _ expected: String) -> AdaptationError {
            AdaptationError(.invalid, field: "\(file): adaptation.\(key.rawValue)", "expected \(expected)")
        }
        guard (1...64).contains(attempts) else { throw bad(.attempts, "an integer from 1 to 64") }
        guard safetyAbortMargin.isFinite, safetyAbortMargin >= 0 else { throw bad(.safetyAbortMargin, "a number >= 0") }
        guard temperatureBase.isFinite, temperatureBase >= 0 else { throw bad(.temperatureBase, "a number >= 0") }
        guard temperatureRange.isFinite, temperatureRange >= 0 else { throw bad(.temperatureRange, "a number >= 0") }
        guard gateMinAttempts >= 1 else { throw bad(.gateMinAttempts, "an integer >= 1") }
        guard gateMargin >= 0, gateMargin <= 1 else { throw bad(.gateMargin, "a number in [0, 1]") }
        guard gateWindow >= 1 else { throw bad(.gateWindow, "an integer >= 1") }
        guard hardwareFaultLimit >= 1 else { throw bad(.hardwareFaultLimit, "an integer >= 1") }
        guard keepRecent >= 1 else { throw bad(.keepRecent, "an integer >= 1") }
        guard trainTopK >= 0 else { throw bad(.trainTopK, "an integer >= 0 (0: all attempts)") }
        guard temperatureStep.isFinite, temperatureStep >= 0 else { throw bad(.temperatureStep, "a number >= 0") }
        guard temperatureShiftMin <= 0, temperatureShiftMax >= 0 else { throw bad(.temperatureShiftMin, "shift_min <= 0 <= shift_max") }
        for (name, w) in [("progress", rewardWeights.progress), ("smoothness", rewardWeights.smoothness), ("safety_margin", rewardWeights.safetyMargin)] {
            guard w.isFinite, w >= 0 else {
                throw AdaptationError(.invalid, field: "\(file): adaptation.reward_weights.\(name)", "expected a number >= 0, got \(w)")
            }
        }
        guard debugLearningRateMultiplier.isFinite, debugLearningRateMultiplier > 0 else { throw bad(.debugLearningRateMultiplier, "a number > 0") }
    }

    /// Decodes a section's YAML text (nil: all defaults).
    static func decode<T: Decodable>(_ type: T.Type, section: String?, name: String, file: String, empty: T) throws -> T {
        guard let section, !section.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return empty }
        do { return try YAMLDecoder().decode(T.self, from: section) } catch let error as DecodingError {
            throw AdaptationError(.invalid, field: "\(file): \(name)", Self.explain(error))
        }
    }

    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let c): return "\(path(c.codingPath)): expected \(type)"
        case .valueNotFound(let type, let c): return "\(path(c.codingPath)): expected \(type), got nothing"
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])): missing"
        case .dataCorrupted(let c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
