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
        let good = self.good, candidate = self.candidate
        let goodSuccess = Self.rate(good, \.success), candidateSuccess = Self.rate(candidate, \.success)
        // Worse by more than the margin, and by more than chance could explain (one-sided, 95%).
        let pooled = (goodSuccess * Double(good.count) + candidateSuccess * Double(candidate.count)) / Double(good.count + candidate.count)
        let standardError = (Self.varianceOfMean(goodTasks, pooled: pooled) + Self.varianceOfMean(candidateTasks, pooled: pooled)).squareRoot()
        let drop = goodSuccess - candidateSuccess
        if drop > margin, drop > 1.645 * standardError {
            return .rollback(String(format: "success fell from %.0f%% (last good, %d attempts over %d tasks) to %.0f%% (%d attempts over %d tasks), more than the %.0f-point margin",
                                    goodSuccess * 100, good.count, goodTasks.count, candidateSuccess * 100, candidate.count,
                                    candidateTasks.count, margin * 100))
        }
        return .promote
    }

    /// The candidate was promoted: its attempts are now the good checkpoint's record.
    public mutating func promoted() {
        goodTasks = candidateTasks
        candidateTasks = []
        trimGood()
    }

    /// The candidate was rolled back: its attempts no longer count.
    public mutating func rolledBack() { candidateTasks = [] }

    /// Starting over on a checkpoint with no record (start-up, a person's rollback to an old one).
    public mutating func reset() { goodTasks = []; candidateTasks = [] }

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
