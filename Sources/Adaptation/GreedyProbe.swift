/// The gate's greedy probe (issue 16, opt-in with `gate_probe_tasks`): before a candidate the
/// gate would promote becomes the last good checkpoint, it runs K greedy (T = 0) attempts on a
/// fixed set of probe tasks, and it is promoted only if it solves at least as many of them as the
/// last good checkpoint did on the same tasks; otherwise it is rolled back.
///
/// Why: the gate's own test judges sampled attempts (T = 0.6-0.9) against a margin, so a candidate
/// whose greedy success slid by a few points passes it, and a run could end below its start (6 of
/// the suite's 50 seeds did). The probe compares what the robot does when it exploits, paired on
/// the same tasks, so a one-task difference is a real one, not sampling noise. Each promotion
/// must match the last good checkpoint's probe, so the good checkpoints' greedy success on the
/// probe set never falls. It costs robot time: K attempts per promotion, and K more to measure
/// the last good checkpoint when it has no probe yet (after start-up, an import, a person's
/// rollback, or under another task family, parameters or dynamics). Measured on the adaptation
/// suite (docs/experiment.md): at K = 64 no pusher seed ended below its start (2 of 10 without),
/// but 3 of 10 PointMaze seeds still did, by 0.8 points, a drop no 64-task probe can see; so it
/// is off by default.
///
/// The probe tasks are evaluation set `taskSet` (`TaskPlan.evaluationTaskSeed`): never a task
/// training draws, and apart from `ttactl evaluate`'s default set 0.
public struct GreedyProbe: Sendable, Equatable {
    /// The evaluation set whose first K tasks are the probe tasks.
    public static let taskSet: UInt64 = 1

    /// What the probe tasks ran under: a probe compares only with one of the same key.
    public struct Key: Sendable, Equatable {
        public var task: String
        public var params: [String: Double]
        public var dynamics: [String: Double]
        public init(task: String, params: [String: Double], dynamics: [String: Double]) {
            self.task = task; self.params = params; self.dynamics = dynamics
        }
        /// The key of a task's plan.
        public init(_ plan: TaskPlan) { self.init(task: plan.task, params: plan.params, dynamics: plan.dynamics) }
    }

    /// A checkpoint's probe: which of the K probe tasks it solved, greedily, on its own.
    public struct Record: Sendable, Equatable {
        public var checkpoint: String
        public var key: Key
        /// One per probe task, in order: solved without a person's help.
        public var solved: [Bool]
        public init(checkpoint: String, key: Key, solved: [Bool]) { self.checkpoint = checkpoint; self.key = key; self.solved = solved }
        public var successes: Int { solved.filter { $0 }.count }
    }

    /// The probe's decision on a candidate.
    public enum Verdict: Sendable, Equatable {
        /// The candidate solved at least as many probe tasks: promote it. The text is for the event.
        case pass(String)
        /// It solved fewer: roll back, for this reason.
        case fail(String)
    }

    /// Whether `candidate` may replace `lastGood` (both probed on the same tasks under the same key).
    public static func verdict(candidate: Record, lastGood: Record) -> Verdict {
        let k = candidate.solved.count
        let text = "greedy probe: \(candidate.successes) of \(k) probe tasks solved, against \(lastGood.successes) by the last good checkpoint \(lastGood.checkpoint)"
        return candidate.successes >= lastGood.successes ? .pass(text) : .fail(text)
    }

    /// The plan that probes a checkpoint: K greedy single attempts on probe tasks 0..<K under
    /// `plan`'s task family, parameters and dynamics, with no update.
    public static func plan(for plan: TaskPlan, tasks: Int) -> TaskPlan {
        TaskPlan(id: plan.id + "-probe", robot: plan.robot, task: plan.task, params: plan.params, dynamics: plan.dynamics,
                 attempts: tasks, temperatureBase: 0, temperatureRange: 0, rewardMode: plan.rewardMode, adapt: false,
                 priority: plan.priority, seed: taskSet, evaluation: true)
    }

    /// Which probe attempts count as solved: the robot's success without a person having driven
    /// any step (as the gate counts). nil when the probe says nothing about the policy: an attempt
    /// ended by a hardware fault, an e-stop or a cancel, or fewer attempts than asked for.
    static func solved(_ reports: [AttemptReport], expected: Int) -> [Bool]? {
        guard reports.count == expected, !reports.contains(where: { $0.isHardwareFault || $0.interruption != nil && !$0.isSafetyAbort })
        else { return nil }
        return reports.sorted { $0.index < $1.index }.map { $0.success && !$0.wasIntervened }
    }
}
