/// The evaluation gate: a candidate checkpoint becomes `good` only after its own attempts show it
/// is not worse than the last good one by more than a margin; if it is worse, or it makes the
/// robot trip its safety envelope more often, it is rolled back.
///
/// A rollback needs the drop to exceed both the margin and what chance explains (a one-sided
/// Welch t-test at 95%). The N attempts of one task share its target and start, so they succeed or
/// fail together far more than independent draws would: on Reacher-v5 most groups are all-success
/// or all-failure, and a test over attempts rolled back a third of all candidates after two hard
/// tasks in a row. So the test treats each task as a cluster of attempts: the variance of a
/// side's success rate is the binomial one times the design effect 1 + (m - 1) rho (Kish), with rho
/// the intra-task correlation of success, and the t quantile's degrees of freedom count effective
/// samples, attempts / design effect. Two all-failed tasks against two all-succeeded ones are then
/// not a rollback (an exact test on tasks gives p = 0.17); four against four are.
///
/// rho is a property of the robot's tasks more than of the few tasks one verdict compares, so it
/// is estimated over the gate's recent history (`correlationHistoryTasks` tasks, every checkpoint's,
/// each stint of one checkpoint spread around its own mean) and shrunk toward the conservative
/// bound 1 by `correlationPriorDF` pseudo degrees of freedom. Estimated from the compared tasks
/// alone (2 against 2 at the first verdict), it came out near 0 whenever each side's two tasks
/// happened to look alike: the pusher's gate rolled back "100% over 2 tasks" against "6% over 2
/// tasks" 46 times in 10 seeds (docs/experiment.md, "The gate's correlation").
/// Both sides are judged on attempts actually run on the robot (at the scheduled temperatures),
/// the last good checkpoint over a sliding window, the candidates over everything since the last
/// promotion.
public struct CheckpointGate: Sendable, Equatable {
    /// One attempt, as the gate sees it.
    public struct Sample: Sendable, Equatable {
        public var success: Bool
        public var reward: Double
        public var safetyAbort: Bool
        public init(success: Bool, reward: Double, safetyAbort: Bool) { self.success = success; self.reward = reward; self.safetyAbort = safetyAbort }

        /// An attempt as the gate judges it. One a person intervened in (drove at least one step
        /// over the bridge) counts as a **failure** whatever its outcome: its success was not the
        /// policy's own, and a person having to take over is itself evidence against the policy.
        /// Counting it (rather than leaving it out) keeps the gate's sample counts those of the
        /// attempts actually run.
        public init(success: Bool, reward: Double, safetyAbort: Bool, intervened: Bool) {
            self.init(success: success && !intervened, reward: reward, safetyAbort: safetyAbort)
        }
    }

    /// The gate's decision after new samples.
    public enum Verdict: Sendable, Equatable {
        /// Not enough candidate attempts yet.
        case undecided
        /// The live candidate is now the last good checkpoint.
        case promote
        /// Go back to the last good checkpoint, for this reason.
        case rollback(String)
    }

    public var minAttempts: Int
    public var margin: Double
    public var window: Int
    public var safetyAbortMargin: Double
    /// The last good checkpoint's recent tasks, each a group of attempts (at most `window` attempts, whole tasks).
    public private(set) var goodTasks: [[Sample]] = []
    /// The candidates' tasks since the last promotion.
    public private(set) var candidateTasks: [[Sample]] = []
    /// The record of the best good checkpoint so far (the highest success rate over at least
    /// `minAttempts`): candidates are held to it too, so a slow slide that each step stays within
    /// the margin of the last good checkpoint cannot add up over many promotions.
    public private(set) var bestTasks: [[Sample]] = []
    /// The recent tasks of every checkpoint, in stints (the last good checkpoint's consecutive
    /// tasks, or the candidates' between two verdicts), newest last, at most
    /// `correlationHistoryTasks` tasks: what rho is read from.
    public private(set) var history: [[[Sample]]] = []
    /// Whether the last stint in `history` is still open, and under which kind of checkpoint.
    private var openStint: Bool? = nil
    /// Tasks of history rho is estimated over (the last 64: eight of the suite's 8-attempt verdicts).
    public static let correlationHistoryTasks = 64
    /// Pseudo degrees of freedom of the prior rho = 1 the estimate is shrunk toward: with 2 degrees
    /// of freedom behind it (the first verdict) the estimate gets a third of the weight, with 40
    /// nine tenths.
    public static let correlationPriorDF = 4.0
    /// The last good checkpoint's greedy probe, when `gate_probe_tasks` is on and it has been
    /// probed (`GreedyProbe`): a candidate's probe is compared with it before a promotion.
    public var probe: GreedyProbe.Record?
    /// Every attempt in `goodTasks`.
    public var good: [Sample] { goodTasks.flatMap { $0 } }
    /// Every attempt in `candidateTasks`.
    public var candidate: [Sample] { candidateTasks.flatMap { $0 } }

    public init(minAttempts: Int, margin: Double, window: Int, safetyAbortMargin: Double) {
        self.minAttempts = minAttempts; self.margin = margin; self.window = window; self.safetyAbortMargin = safetyAbortMargin
    }

    /// Adds a task's attempts, run by the last good checkpoint (`underGood`) or by a candidate.
    public mutating func record(_ samples: [Sample], underGood: Bool) {
        guard !samples.isEmpty else { return }
        if openStint != underGood || history.isEmpty { history.append([]) }
        openStint = underGood
        history[history.count - 1].append(samples)
        var tasks = history.reduce(0) { $0 + $1.count }
        while tasks > Self.correlationHistoryTasks {
            history[0].removeFirst()
            if history[0].isEmpty { history.removeFirst() }
            tasks -= 1
        }
        if underGood {
            goodTasks.append(samples)
            trimGood()
            updateBest()
        } else {
            candidateTasks.append(samples)
        }
    }

    /// Drops the oldest good tasks past `window` attempts (always keeping the newest task).
    private mutating func trimGood() {
        var count = goodTasks.reduce(0) { $0 + $1.count }
        while goodTasks.count > 1, count > window {
            count -= goodTasks.removeFirst().count
        }
    }

    /// Judges the candidate's attempts against the good ones.
    public func judge() -> Verdict {
        guard !candidate.isEmpty, !good.isEmpty else { return .undecided }
        let goodAborts = Self.rate(good, \.safetyAbort), candidateAborts = Self.rate(candidate, \.safetyAbort)
        if candidate.count >= max(1, minAttempts / 2), candidateAborts > goodAborts + safetyAbortMargin {
            return .rollback(String(format: "safety aborts rose from %.0f%% to %.0f%% of attempts under the new policy",
                                    goodAborts * 100, candidateAborts * 100))
        }
        guard candidate.count >= minAttempts else { return .undecided }
        for (baseline, name) in [(goodTasks, "last good"), (bestTasks, "best good")] where !baseline.isEmpty {
            if let why = worse(than: baseline, name: name) { return .rollback(why) }
        }
        return .promote
    }

    /// Why the candidate is worse than `baseline` by more than the margin and more than chance
    /// could explain (one-sided, 95%), or nil.
    private func worse(than baseline: [[Sample]], name: String) -> String? {
        let base = baseline.flatMap { $0 }, candidate = self.candidate
        let baseSuccess = Self.rate(base, \.success), candidateSuccess = Self.rate(candidate, \.success)
        let drop = baseSuccess - candidateSuccess
        guard drop > margin else { return nil }
        let test = Self.clusteredTest(baseline, candidateTasks, rho: correlation)
        guard drop > test.tQuantile * test.standardError else { return nil }
        return String(format: "success fell from %.0f%% (%@, %d attempts over %d tasks) to %.0f%% (%d attempts over %d tasks), more than the %.0f-point margin",
                      baseSuccess * 100, name, base.count, baseline.count, candidateSuccess * 100, candidate.count,
                      candidateTasks.count, margin * 100)
    }

    /// rho for the clustered test: the history's estimate shrunk toward 1 (see the type's comment).
    public var correlation: Double {
        let estimate = Self.intraTaskCorrelationWithDF(history)
        guard let df = estimate.df else { return 1 }
        return (df * estimate.rho + Self.correlationPriorDF) / (df + Self.correlationPriorDF)
    }

    /// The standard error of the difference of two sides' success rates, and the one-sided 95% t
    /// quantile for it, with tasks as clusters of attempts whose intra-task correlation is `rho`
    /// (see the type's comment).
    static func clusteredTest(_ a: [[Sample]], _ b: [[Sample]], rho: Double) -> (standardError: Double, tQuantile: Double) {
        let all = (a + b).flatMap { $0 }
        let pooled = rate(all, \.success)
        func side(_ tasks: [[Sample]]) -> (variance: Double, df: Double) {
            let attempts = Double(tasks.reduce(0) { $0 + $1.count })
            let meanSize = attempts / Double(max(tasks.count, 1))
            let designEffect = 1 + (meanSize - 1) * rho
            let effective = attempts / designEffect
            return (pooled * (1 - pooled) / effective, max(1, effective - 1))
        }
        let (va, dfa) = side(a), (vb, dfb) = side(b)
        let variance = va + vb
        guard variance > 0 else { return (0, tQuantile95(df: 1)) }
        // Welch-Satterthwaite.
        let df = variance * variance / (va * va / dfa + vb * vb / dfb)
        return (variance.squareRoot(), tQuantile95(df: df))
    }

    /// rho, the intra-task correlation of success, by one-way ANOVA over the tasks (clusters of
    /// unequal size), with each side's tasks spread around that side's own mean so that a real
    /// difference between the sides is not taken for task-to-task spread; clamped to [0, 1]. 1
    /// (the conservative bound) when fewer than two degrees of freedom are left to estimate it
    /// from, or there is no spread at all.
    static func intraTaskCorrelation(_ sides: [[[Sample]]]) -> Double {
        intraTaskCorrelationWithDF(sides).rho
    }

    /// `intraTaskCorrelation` and the degrees of freedom behind it (tasks - sides), nil when it
    /// fell back to the bound 1 for lack of them.
    static func intraTaskCorrelationWithDF(_ sides: [[[Sample]]]) -> (rho: Double, df: Double?) {
        let tasks = sides.flatMap { $0 }
        let sizes = tasks.map { Double($0.count) }
        let n = sizes.reduce(0, +), k = Double(tasks.count)
        let groups = Double(sides.filter { !$0.isEmpty }.count)
        guard k - groups >= 2, n > k else { return (1, nil) }
        var between = 0.0, within = 0.0
        for side in sides where !side.isEmpty {
            let mean = rate(side.flatMap { $0 }, \.success)
            for task in side {
                let p = rate(task, \.success), m = Double(task.count)
                between += m * (p - mean) * (p - mean)
                within += m * p * (1 - p)
            }
        }
        between /= k - groups
        within /= n - k
        let m0 = (n - sizes.reduce(0) { $0 + $1 * $1 } / n) / (k - 1)
        let denominator = between + (m0 - 1) * within
        guard denominator > 0 else { return (1, nil) }
        return (min(1, max(0, (between - within) / denominator)), k - groups)
    }

    /// Student's t one-sided 95% quantile for `df` degrees of freedom (linear between table rows;
    /// 1.645 in the limit).
    static func tQuantile95(df: Double) -> Double {
        let table: [(Double, Double)] = [(1, 6.314), (2, 2.920), (3, 2.353), (4, 2.132), (5, 2.015), (6, 1.943), (7, 1.895),
                                         (8, 1.860), (10, 1.812), (15, 1.753), (20, 1.725), (30, 1.697), (60, 1.671),
                                         (120, 1.658)]
        guard df > 1 else { return table[0].1 }
        guard let upper = table.firstIndex(where: { $0.0 >= df }) else { return 1.645 }
        let (x0, y0) = table[upper - 1], (x1, y1) = table[upper]
        return y0 + (y1 - y0) * (df - x0) / (x1 - x0)
    }

    /// The candidate was promoted: its attempts are now the good checkpoint's record.
    public mutating func promoted() {
        openStint = nil
        goodTasks = candidateTasks
        candidateTasks = []
        trimGood()
        updateBest()
    }

    /// The good record becomes the best one when it covers `minAttempts` and beats it.
    private mutating func updateBest() {
        let attempts = goodTasks.reduce(0) { $0 + $1.count }
        if attempts >= minAttempts, bestTasks.isEmpty || Self.rate(good, \.success) > Self.rate(bestTasks.flatMap { $0 }, \.success) {
            bestTasks = goodTasks
        }
    }

    /// The candidate was rolled back: its attempts no longer count.
    public mutating func rolledBack() { candidateTasks = []; openStint = nil }

    /// Starting over on a checkpoint with no record (start-up, a person's rollback to an old one).
    /// The history rho is read from is kept: it describes the robot's tasks, not a checkpoint.
    public mutating func reset() { goodTasks = []; candidateTasks = []; bestTasks = []; probe = nil; openStint = nil }

    static func rate(_ samples: [Sample], _ key: KeyPath<Sample, Bool>) -> Double {
        samples.isEmpty ? 0 : Double(samples.filter { $0[keyPath: key] }.count) / Double(samples.count)
    }
}
