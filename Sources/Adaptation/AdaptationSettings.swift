import Learning
import Robots

/// The robot-config's `adaptation:` section: defaults for submits, the evaluation gate, retention
/// and fault handling. docs/robot-config.md lists each key; the defaults are here.
public struct AdaptationSettings: Sendable, Equatable {
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
    /// The greedy probe (`GreedyProbe`, opt-in): K > 0 makes every promotion first run K greedy
    /// attempts of the candidate on fixed probe tasks, and roll it back unless it solves at least
    /// as many as the last good checkpoint did. Costs K attempts of robot time per promotion.
    /// Default 0 (off); at most 1000.
    public var gateProbeTasks = 0
    /// Safety aborts per attempt a candidate may show above the good checkpoint's rate. Default 0.25.
    public var safetyAbortMargin = 0.25
    /// Consecutive hardware faults that pause adaptation and mark the daemon degraded. Default 3.
    public var hardwareFaultLimit = 3
    /// Candidate checkpoints kept besides the last good and the reference. Default 8.
    public var keepRecent = 8
    /// Seed of a freshly initialised policy (no checkpoint yet). Default 1.
    public var initSeed: UInt64 = 1
    /// Colored exploration noise (`ColoredNoise`): the exponent beta of the spectrum, 1/f^beta,
    /// of each sampled attempt's noise over its `max_steps`. 0 draws every step's noise
    /// independently (white, the seed's); 1 is pink. A step's action distribution, and the PPO
    /// ratio, are the same either way; only how the noise of one step relates to the next
    /// changes, so a group's attempts differ as wholes (a route, a pace) rather than step by step.
    /// Default 1 (0 before 1 December: pink recovered more of the long tasks' drops and kept every
    /// suite seed at or above its start; on some robots fewer training attempts succeed,
    /// docs/experiment.md); 0 to 2.
    public var explorationNoiseExponent = 1.0
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
    /// SimpleVLA-RL drops groups outside [0.1, 0.9] success. Default false (since issue 16): an
    /// all-success group still differs in steps, and training on it is how the efficiency reward
    /// makes the robot faster; with `advantage_std_floor` 0.1 its small reward differences push
    /// by as much as they differ rather than as hard as a success/failure split (which, with
    /// GRPO's plain std, had slid reacher2's success below the start over 200 tasks;
    /// docs/experiment.md). On the suite's Reacher-v5 this gave the same success as skipping them
    /// (61.5% vs 61.1%, 10 seeds) in 5% fewer steps. All-failed groups learn from progress
    /// (`zero_success_progress_weight`), or are skipped for lack of reward variance.
    public var informativeGroupsOnly = false
    /// How the group's rewards become advantages: `std` (GRPO, the seed's: (R - mean) / std) or
    /// `mean` (Dr. GRPO: R - mean, so small reward differences give small pushes). Default `std`.
    public var advantageNormalization = GroupAdvantage.Normalization.std
    /// With `std` normalisation, the least divisor: advantages are (R - mean) / max(std, floor).
    /// A group of successes that differ only in speed (efficiency rewards a few hundredths apart)
    /// then pushes toward the faster ones in proportion to how much faster they were, rather than
    /// as hard as a group split between success and failure. Default 0.1 (0 is GRPO's plain std);
    /// a mixed group's std is about 0.35-0.5, so the floor binds only on near-equal rewards.
    public var advantageStdFloor = 0.1
    /// The efficiency reward in mixed groups: the successes of a group that also has failures
    /// are pushed toward the faster ones by this weight times their rewards normalised among the
    /// successes alone (`GroupAdvantage.successSpeedTerm`, with `advantage_std_floor`), added to
    /// the group's advantages; 1 pushes them as an all-success group of them would be pushed. 0
    /// leaves them to the group's own advantages, where the success/failure split drowns their
    /// differences. No effect with the binary reward. Default 0.
    public var successSpeedWeight = 0.0
    /// Near misses in mixed groups: the failures of a group that also has successes are told
    /// apart by their progress, this weight times their progress normalised among the failures
    /// alone (`GroupAdvantage.failureProgressTerm`; the spread must reach
    /// `zero_success_progress_spread`), added to the group's advantages; 0.5 ranks them as an
    /// all-failed group of them is ranked (`zero_success_progress_weight`). 0 leaves every failure
    /// of a mixed group at the same advantage. Default 0.
    public var failureProgressWeight = 0.0
    /// Learning at zero success (issue 16): when every attempt of a task failed and the robot
    /// reports progress for each, the group's advantages come from the attempts' progress (their
    /// closest approach to the goal) instead of their rewards, which are all 0: the attempts that
    /// came nearest are made likelier. Those advantages are the group's normalised progress times
    /// this weight, so a near miss pushes at most this hard relative to a success. 0 turns it
    /// off (such groups are skipped). Default 0.5.
    public var zeroSuccessProgressWeight = 0.5
    /// The least spread of progress (best minus worst attempt) that counts as a signal. Default
    /// 0.01 (0.05 before 1 December: with the std floor below, a small spread no longer blows
    /// measurement noise up to full-size advantages, and at 0.05 five of six all-failed groups on
    /// PointMaze UMaze did not train; docs/experiment.md).
    public var zeroSuccessProgressSpread = 0.01
    /// The least divisor of an all-failed group's progress advantages:
    /// w_0 x (P - mean) / max(std(P), floor), as `advantage_std_floor` is for rewards, so a group
    /// whose attempts stopped a little apart pushes by as much as they differ instead of full
    /// size. 0 divides by the plain std. Default 0.02 (0 before 1 December); 0 to 1.
    public var zeroSuccessProgressStdFloor = 0.02
    /// A per-step baseline from a learned state value (`StateValueBaseline`, opt-in): in a group
    /// that mixes successes and failures, step t of an attempt takes the advantage
    /// (R - b_t) / divisor with b_t = mean_j R_j + weight x (V(s_t) - V(s_0)) instead of the
    /// attempt's (R - mean_j R_j) / divisor, so credit and blame land on the steps where the
    /// attempt's expected reward moved (`GroupAdvantage.valueBaselineOffsets`). V is fitted after
    /// every task on the recent groups' rewards, and shapes nothing before it has seen 4 of them.
    /// 0 turns it off (every step takes its attempt's advantage, GRPO's). Default 0; 0 to 1.
    public var valueBaselineWeight = 0.0
    /// Multi-objective reward (beyond the seed): weights of the progress, smoothness and
    /// safety-margin terms added to the task reward (`MultiObjectiveReward`). Default all 0.
    public var rewardWeights = RewardWeights()
    /// Fault injection: multiplies the learning rate, to prove the watchdog rolls back a blown
    /// update. Default 1. Never set it on a real robot.
    public var debugLearningRateMultiplier = 1.0
    /// Who says whether an attempt succeeded: `robot` (the controller's or simulator's own flag,
    /// the default) or `operator` (a person labels each attempt, `ttactl label`; until then its
    /// outcome is pending and the update waits for the labels, docs/learning.md).
    public var successJudgedBy = SuccessJudge.robot
    /// With `success_judged_by: operator`, how long after an attempt ends its label counts (the
    /// update waits at most this long for the labels of its group). Default 600; 1 to 86400.
    public var labelDeadlineSeconds = 600.0

    /// Who judges an attempt's success.
    public enum SuccessJudge: String, Sendable, CaseIterable {
        case robot, `operator`
    }

    public init() {}

    enum Key: String, CaseIterable {
        case attempts, reward, adapt
        case temperatureBase = "temperature_base", temperatureRange = "temperature_range"
        case explorationNoiseExponent = "exploration_noise_exponent"
        case gateMinAttempts = "gate_min_attempts", gateMargin = "gate_margin", gateWindow = "gate_window"
        case gateProbeTasks = "gate_probe_tasks"
        case safetyAbortMargin = "safety_abort_margin", hardwareFaultLimit = "hardware_fault_limit"
        case keepRecent = "keep_recent", initSeed = "init_seed"
        case debugLearningRateMultiplier = "debug_learning_rate_multiplier"
        case adaptiveTemperature = "adaptive_temperature", temperatureStep = "temperature_step"
        case temperatureShiftMin = "temperature_shift_min", temperatureShiftMax = "temperature_shift_max"
        case trainTopK = "train_top_k", informativeGroupsOnly = "informative_groups_only"
        case rewardWeights = "reward_weights", advantageNormalization = "advantage_normalization"
        case advantageStdFloor = "advantage_std_floor", successSpeedWeight = "success_speed_weight"
        case failureProgressWeight = "failure_progress_weight", valueBaselineWeight = "value_baseline_weight"
        case zeroSuccessProgressWeight = "zero_success_progress_weight", zeroSuccessProgressSpread = "zero_success_progress_spread"
        case zeroSuccessProgressStdFloor = "zero_success_progress_std_floor"
        case successJudgedBy = "success_judged_by", labelDeadlineSeconds = "label_deadline_seconds"
    }

    /// Reads the section (nil: every default). Each value is checked where it is read, so an
    /// error names the file, the key path and the range (`adaptation.gate_margin: expected a
    /// number from 0 to 1, found "2"`).
    init(_ node: ConfigNode?) throws(RobotConfigError) {
        self.init()
        guard let node else { return }
        for (key, v) in try node.entries(of: Key.self) {
            switch key {
            case .attempts: attempts = try v.int(in: 1...64)
            case .temperatureBase: temperatureBase = try v.double(in: 0...Double.infinity)
            case .temperatureRange: temperatureRange = try v.double(in: 0...Double.infinity)
            case .explorationNoiseExponent: explorationNoiseExponent = try v.double(in: 0...2)
            case .reward: reward = try v.choice(RewardMode.allCases.map { ($0.rawValue, $0) })
            case .adapt: adapt = try v.bool()
            case .gateMinAttempts: gateMinAttempts = try v.int(in: 1...Int.max)
            case .gateMargin: gateMargin = try v.double(in: 0...1)
            case .gateWindow: gateWindow = try v.int(in: 1...Int.max)
            case .gateProbeTasks: gateProbeTasks = try v.int(in: 0...1000)
            case .safetyAbortMargin: safetyAbortMargin = try v.double(in: 0...Double.infinity)
            case .hardwareFaultLimit: hardwareFaultLimit = try v.int(in: 1...Int.max)
            case .keepRecent: keepRecent = try v.int(in: 1...Int.max)
            case .initSeed: initSeed = UInt64(try v.int(in: 0...Int.max))
            case .debugLearningRateMultiplier: debugLearningRateMultiplier = try v.positiveDouble()
            case .adaptiveTemperature: adaptiveTemperature = try v.bool()
            case .temperatureStep: temperatureStep = try v.double(in: 0...Double.infinity)
            case .temperatureShiftMin: temperatureShiftMin = try v.double(in: -Double.infinity...0)
            case .temperatureShiftMax: temperatureShiftMax = try v.double(in: 0...Double.infinity)
            case .trainTopK: trainTopK = try v.int(in: 0...Int.max)
            case .informativeGroupsOnly: informativeGroupsOnly = try v.bool()
            case .advantageNormalization:
                advantageNormalization = try v.choice(GroupAdvantage.Normalization.allCases.map { ($0.rawValue, $0) })
            case .rewardWeights: rewardWeights = try Self.rewardWeights(v)
            case .advantageStdFloor: advantageStdFloor = try v.double(in: 0...Double.infinity)
            case .successSpeedWeight: successSpeedWeight = try v.double(in: 0...Double.infinity)
            case .failureProgressWeight: failureProgressWeight = try v.double(in: 0...Double.infinity)
            case .valueBaselineWeight: valueBaselineWeight = try v.double(in: 0...1)
            case .zeroSuccessProgressWeight: zeroSuccessProgressWeight = try v.double(in: 0...Double.infinity)
            case .zeroSuccessProgressSpread: zeroSuccessProgressSpread = try v.double(in: 0...1)
            case .zeroSuccessProgressStdFloor: zeroSuccessProgressStdFloor = try v.double(in: 0...1)
            case .successJudgedBy: successJudgedBy = try v.choice(SuccessJudge.allCases.map { ($0.rawValue, $0) })
            case .labelDeadlineSeconds: labelDeadlineSeconds = try v.double(in: 1...86_400)
            }
        }
        // The probe's attempts are judged by the robot's own success flag, which a robot whose
        // success a person judges does not have.
        if gateProbeTasks > 0, successJudgedBy == .operator {
            throw RobotConfigError(file: node.file, keyPath: node.path + ".gate_probe_tasks",
                                   message: "needs success_judged_by: robot (a greedy probe is judged by the robot, and this robot's success is judged by a person)")
        }
    }

    enum RewardWeightKey: String, CaseIterable {
        case progress, smoothness, safetyMargin = "safety_margin"
    }

    /// `reward_weights: {progress, smoothness, safety_margin}`, each a number >= 0 (default 0).
    private static func rewardWeights(_ node: ConfigNode) throws(RobotConfigError) -> RewardWeights {
        var weights = RewardWeights()
        for (key, v) in try node.entries(of: RewardWeightKey.self) {
            let w = try v.double(in: 0...Double.infinity)
            switch key {
            case .progress: weights.progress = w
            case .smoothness: weights.smoothness = w
            case .safetyMargin: weights.safetyMargin = w
            }
        }
        return weights
    }

    /// What a submit that leaves these fields out gets.
    public var taskDefaults: TaskDefaults {
        TaskDefaults(attempts: attempts, temperatureBase: temperatureBase, temperatureRange: temperatureRange, rewardMode: reward, adapt: adapt)
    }
}
