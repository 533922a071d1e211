/// The evaluation gate: a candidate checkpoint becomes `good` only after its own attempts show it
/// is not worse than the last good one by more than a margin; if it is worse, or it makes the
/// robot trip its safety envelope more often, it is rolled back.
///
/// A rollback needs the drop to exceed both the margin and what sampling noise explains (a
/// one-sided two-proportion z-test at 95%). Both sides are judged on attempts actually run on the
/// robot (at the scheduled temperatures),
/// the last good checkpoint over a sliding window, the candidates over everything since the last
/// promotion.
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
    public private(set) var good: [Sample] = []
    public private(set) var candidate: [Sample] = []

    public init(minAttempts: Int, margin: Double, window: Int, safetyAbortMargin: Double) {
        self.minAttempts = minAttempts; self.margin = margin; self.window = window; self.safetyAbortMargin = safetyAbortMargin
    }

    /// Adds a task's attempts, run by the last good checkpoint (`underGood`) or by a candidate.
    public mutating func record(_ samples: [Sample], underGood: Bool) {
        if underGood {
            good += samples
            if good.count > window { good.removeFirst(good.count - window) }
        } else {
            candidate += samples
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
        let goodSuccess = Self.rate(good, \.success), candidateSuccess = Self.rate(candidate, \.success)
        // Worse by more than the margin, and by more than sampling noise could explain (a one-sided
        // two-proportion z-test at 95%): tasks differ, and 16 attempts of one policy vary a lot.
        let pooled = (goodSuccess * Double(good.count) + candidateSuccess * Double(candidate.count)) / Double(good.count + candidate.count)
        let standardError = (pooled * (1 - pooled) * (1 / Double(good.count) + 1 / Double(candidate.count))).squareRoot()
        let drop = goodSuccess - candidateSuccess
        if drop > margin, drop > 1.645 * standardError {
            return .rollback(String(format: "success fell from %.0f%% (last good, %d attempts) to %.0f%% (%d attempts), more than the %.0f-point margin",
                                    goodSuccess * 100, good.count, candidateSuccess * 100, candidate.count, margin * 100))
        }
        return .promote
    }

    /// The candidate was promoted: its attempts are now the good checkpoint's record.
    public mutating func promoted() {
        good = Array(candidate.suffix(window))
        candidate = []
    }

    /// The candidate was rolled back: its attempts no longer count.
    public mutating func rolledBack() { candidate = [] }

    /// Starting over on a checkpoint with no record (start-up, a person's rollback to an old one).
    public mutating func reset() { good = []; candidate = [] }

    static func rate(_ samples: [Sample], _ key: KeyPath<Sample, Bool>) -> Double {
        samples.isEmpty ? 0 : Double(samples.filter { $0[keyPath: key] }.count) / Double(samples.count)
    }
}
