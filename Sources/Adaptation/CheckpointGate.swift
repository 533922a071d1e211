/// The evaluation gate: a candidate checkpoint becomes `good` only after its own attempts show it
/// is not worse than the last good one by more than a margin; if it is worse, or it makes the
/// robot trip its safety envelope more often, it is rolled back.
///
/// A rollback needs the drop to exceed both the margin and what chance explains (a one-sided test
/// at 95%). The test counts tasks, not attempts: the N attempts of one task share its target and
/// start, so they succeed or fail together far more than independent draws would (on reacher2 most
/// groups are all-success or all-failure), and a z-test over attempts would take two hard tasks in
/// a row for a worse policy. The standard error comes from the spread of per-task success rates,
/// floored by the binomial one. Both sides are judged on attempts actually run on the robot (at the
/// scheduled temperatures), the last good checkpoint over a sliding window, the candidates over
/// everything since the last promotion.
public struct CheckpointGate: Sendable, Equatable {
    /// One attempt, as the gate sees it.
    public struct Sample: Sendable, Equatable {
        public var success: Bool
        public var reward: Double
        public var safetyAbort: Bool
        public init(success: Bool, reward: Double, safetyAbort: Bool) { self.success = success; self.reward = reward; self.safetyAbort = safetyAbort }
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
        let pooled = (baseSuccess * Double(base.count) + candidateSuccess * Double(candidate.count)) / Double(base.count + candidate.count)
        let standardError = (Self.varianceOfMean(baseline, pooled: pooled) + Self.varianceOfMean(candidateTasks, pooled: pooled)).squareRoot()
        let drop = baseSuccess - candidateSuccess
        guard drop > margin, drop > 1.645 * standardError else { return nil }
        return String(format: "success fell from %.0f%% (%@, %d attempts over %d tasks) to %.0f%% (%d attempts over %d tasks), more than the %.0f-point margin",
                      baseSuccess * 100, name, base.count, baseline.count, candidateSuccess * 100, candidate.count,
                      candidateTasks.count, margin * 100)
    }

    /// The candidate was promoted: its attempts are now the good checkpoint's record.
    public mutating func promoted() {
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
    public mutating func rolledBack() { candidateTasks = [] }

    /// Starting over on a checkpoint with no record (start-up, a person's rollback to an old one).
    public mutating func reset() { goodTasks = []; candidateTasks = []; bestTasks = [] }

    /// The variance of one side's success rate: the spread of its per-task success rates over the
    /// number of tasks (tasks, not attempts, are the independent units), but never less than the
    /// binomial variance pooled * (1 - pooled) / attempts, which also covers a side with one task.
    static func varianceOfMean(_ tasks: [[Sample]], pooled: Double) -> Double {
        let attempts = tasks.reduce(0) { $0 + $1.count }
        guard attempts > 0 else { return 0 }
        let binomial = pooled * (1 - pooled) / Double(attempts)
        guard tasks.count >= 2 else { return binomial }
        let rates = tasks.map { rate($0, \.success) }
        let mean = rates.reduce(0, +) / Double(rates.count)
        let spread = rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rates.count - 1)
        return max(spread / Double(rates.count), binomial)
    }

    static func rate(_ samples: [Sample], _ key: KeyPath<Sample, Bool>) -> Double {
        samples.isEmpty ? 0 : Double(samples.filter { $0[keyPath: key] }.count) / Double(samples.count)
    }
}
