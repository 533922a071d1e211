import Testing
@testable import Adaptation

@Suite struct CheckpointGateTests {
    static func samples(successes: Int, of n: Int, aborts: Int = 0) -> [CheckpointGate.Sample] {
        (0..<n).map { CheckpointGate.Sample(success: $0 < successes, reward: $0 < successes ? 0.7 : 0, safetyAbort: $0 >= n - aborts) }
    }

    func gate() -> CheckpointGate { CheckpointGate(minAttempts: 16, margin: 0.15, window: 32, safetyAbortMargin: 0.25) }

    @Test func aCandidateIsNotJudgedOnTooFewAttempts() {
        var g = gate()
        g.record(Self.samples(successes: 6, of: 8), underGood: true)
        g.record(Self.samples(successes: 0, of: 8), underGood: false)
        #expect(g.judge() == .undecided)
    }

    @Test func aCandidateNoWorseThanTheMarginIsPromoted() {
        var g = gate()
        g.record(Self.samples(successes: 4, of: 8), underGood: true)
        g.record(Self.samples(successes: 3, of: 8) + Self.samples(successes: 4, of: 8), underGood: false)
        #expect(g.judge() == .promote)
        g.promoted()
        #expect(g.candidate.isEmpty && g.good.count == 16)
    }

    @Test func aCandidateWorseByMoreThanTheMarginIsRolledBack() {
        var g = gate()
        // Eight tasks of history whose attempts vary as coin flips do: the tasks are alike.
        for _ in 0..<8 { g.record(Self.samples(successes: 6, of: 8), underGood: true) }
        for _ in 0..<2 { g.record(Self.samples(successes: 1, of: 8), underGood: false) }
        guard case .rollback(let why) = g.judge() else { Issue.record("expected a rollback"); return }
        #expect(why.contains("75%") && why.contains("12%"), "\(why)")
        g.rolledBack()
        #expect(g.candidate.isEmpty && g.good.count == 32)
    }

    @Test func twoFailedTasksAfterTwoSolvedOnesAreNotARollback() {
        // All-or-nothing tasks: 2 solved against 2 failed is what chance gives one time in six
        // (Fisher's exact test on tasks), however many attempts each task had.
        var g = gate()
        for _ in 0..<2 { g.record(Self.samples(successes: 8, of: 8), underGood: true) }
        for _ in 0..<2 { g.record(Self.samples(successes: 0, of: 8), underGood: false) }
        #expect(g.judge() == .promote)
        // Four against four is evidence (exact test: p = 0.014).
        var h = gate()
        for _ in 0..<4 { h.record(Self.samples(successes: 8, of: 8), underGood: true) }
        for _ in 0..<4 { h.record(Self.samples(successes: 0, of: 8), underGood: false) }
        guard case .rollback = h.judge() else { Issue.record("expected a rollback"); return }
    }

    @Test func theIntraTaskCorrelationIsReadFromTheTasks() {
        // Attempts as independent as coin flips: rho near 0. All-or-nothing tasks: rho 1.
        let coins = [4, 5, 3, 4, 5, 4].map { Self.samples(successes: $0, of: 8) }
        #expect(CheckpointGate.intraTaskCorrelation([coins]) < 0.1)
        let walls = [8, 0, 8, 0, 0, 8].map { Self.samples(successes: $0, of: 8) }
        #expect(CheckpointGate.intraTaskCorrelation([walls]) > 0.9)
        // A difference between the sides is not task-to-task spread.
        let before = [7, 7, 7].map { Self.samples(successes: $0, of: 8) }, after = [1, 1, 1].map { Self.samples(successes: $0, of: 8) }
        #expect(CheckpointGate.intraTaskCorrelation([before, after]) == 0)
        #expect(CheckpointGate.intraTaskCorrelation([Array(walls.prefix(2))]) == 1, "too few tasks to tell: the conservative bound")
        #expect(abs(CheckpointGate.tQuantile95(df: 2) - 2.920) < 1e-9 && abs(CheckpointGate.tQuantile95(df: 1e6) - 1.645) < 1e-9)
    }

    @Test func aDropWithinSamplingNoiseIsNotARollback() {
        var g = gate()
        g.record(Self.samples(successes: 5, of: 8), underGood: true)   // 62.5%
        g.record(Self.samples(successes: 3, of: 8) + Self.samples(successes: 4, of: 8), underGood: false)  // 43.75%
        #expect(g.judge() == .promote, "18.75 points lower is past the margin but well within noise at 8 vs 16 attempts")
    }

    @Test func aDropExplainedByHarderTasksIsNotARollback() {
        // Tasks, not attempts, are the independent units: attempts of one task succeed or fail
        // together. Good: 50% over 4 tasks that were all-or-nothing; candidate: 12.5% over 2 tasks.
        // Over attempts (32 vs 16) a z-test would call that a drop; over tasks it is within chance.
        var g = gate()
        for k in [8, 0, 8, 0] { g.record(Self.samples(successes: k, of: 8), underGood: true) }
        g.record(Self.samples(successes: 0, of: 8), underGood: false)
        g.record(Self.samples(successes: 2, of: 8), underGood: false)
        #expect(g.judge() == .promote)
        // The same drop, seen consistently over enough tasks, is a rollback.
        var h = CheckpointGate(minAttempts: 16, margin: 0.15, window: 64, safetyAbortMargin: 0.25)
        for k in [6, 5, 6, 5, 6, 5, 6, 5] { h.record(Self.samples(successes: k, of: 8), underGood: true) }
        for k in [1, 2, 1, 2] { h.record(Self.samples(successes: k, of: 8), underGood: false) }
        guard case .rollback(let why) = h.judge() else { Issue.record("expected a rollback"); return }
        #expect(why.contains("8 tasks") && why.contains("4 tasks"))
    }

    @Test func aSlowSlideIsHeldToTheBestGoodRecord() {
        var g = gate()
        // A long history of alike tasks (rho near 0), so that a few tasks can show 25 points.
        for _ in 0..<40 { g.record(Self.samples(successes: 8, of: 8), underGood: true) }   // 100%: the best so far
        for _ in 0..<4 { g.record(Self.samples(successes: 7, of: 8), underGood: false) }  // 87.5%: within the margin
        #expect(g.judge() == .promote)
        g.promoted()
        // 75% is within the margin of the last good (87.5%) but 25 points under the best (100%).
        for _ in 0..<8 { g.record(Self.samples(successes: 6, of: 8), underGood: false) }
        guard case .rollback(let why) = g.judge() else { Issue.record("expected a rollback"); return }
        #expect(why.contains("best good") && why.contains("100%") && why.contains("75%"), "\(why)")
        g.reset()
        #expect(g.bestTasks.isEmpty, "a person's rollback starts the record afresh")
    }

    @Test func rhoComesFromTheHistoryNotFromTheTwoTasksCompared() {
        // The pusher's first verdicts: two solved tasks against two nearly failed ones. Each side's
        // two tasks look alike, so the compared tasks alone say rho is about 0 and the drop is
        // "significant"; the robot's tasks are all-or-nothing, and the history says so.
        let best = [8, 8].map { Self.samples(successes: $0, of: 8) }, candidate = [1, 0].map { Self.samples(successes: $0, of: 8) }
        #expect(CheckpointGate.intraTaskCorrelation([best, candidate]) < 0.1)
        var g = gate()
        for k in [8, 0, 0, 8, 1, 8, 0, 8] { g.record(Self.samples(successes: k, of: 8), underGood: true) }
        for k in [8, 8] { g.record(Self.samples(successes: k, of: 8), underGood: true) }
        for k in [1, 0] { g.record(Self.samples(successes: k, of: 8), underGood: false) }
        #expect(g.correlation > 0.8)
        #expect(g.judge() == .promote, "two hard tasks in a row are what such a robot gives by chance")
        // On a robot whose tasks are alike, the same four tasks are a rollback.
        var h = gate()
        for k in [4, 5, 4, 3, 4, 5, 4, 4] { h.record(Self.samples(successes: k, of: 8), underGood: true) }
        for k in [8, 8] { h.record(Self.samples(successes: k, of: 8), underGood: true) }
        for k in [1, 0] { h.record(Self.samples(successes: k, of: 8), underGood: false) }
        #expect(h.correlation < 0.5)
        guard case .rollback = h.judge() else { Issue.record("expected a rollback"); return }
    }

    @Test func rhoIsShrunkTowardOneOnLittleHistoryAndKeptOverAReset() {
        var g = gate()
        #expect(g.correlation == 1, "no history: the conservative bound")
        for _ in 0..<2 { g.record(Self.samples(successes: 6, of: 8), underGood: true) }
        for _ in 0..<2 { g.record(Self.samples(successes: 1, of: 8), underGood: false) }
        // Two degrees of freedom of an estimate of 0 against the prior's four of 1.
        #expect(abs(g.correlation - 4.0 / 6.0) < 1e-9)
        #expect(g.judge() == .promote, "2 tasks against 2 are not evidence until the history says tasks are alike")
        g.reset()
        #expect(abs(g.correlation - 4.0 / 6.0) < 1e-9, "the history describes the robot's tasks, not a checkpoint")
        for _ in 0..<100 { g.record(Self.samples(successes: 4, of: 8), underGood: true) }
        #expect(g.history.reduce(0) { $0 + $1.count } == CheckpointGate.correlationHistoryTasks)
    }

    @Test func moreSafetyAbortsUnderTheNewPolicyRollItBack() {
        var g = gate()
        g.record(Self.samples(successes: 4, of: 8), underGood: true)
        g.record(Self.samples(successes: 4, of: 8, aborts: 4), underGood: false)
        guard case .rollback(let why) = g.judge() else { Issue.record("expected a rollback"); return }
        #expect(why.contains("safety aborts"))
    }

    @Test func theGoodWindowSlides() {
        var g = gate()
        for _ in 0..<10 { g.record(Self.samples(successes: 8, of: 8), underGood: true) }
        #expect(g.good.count == 32)
    }
}

@Suite struct AdaptiveTemperatureTests {
    static func reports(_ outcomes: [(Bool, Double)]) -> [AttemptReport] {
        outcomes.enumerated().map { AttemptReport(index: $0.offset, temperature: 0.6, steps: 10, success: $0.element.0, reward: $0.element.1, interruption: nil, checkpoint: nil) }
    }

    @Test func allAlikeExploresMoreNoneSucceedingMovesTowardGreedyMixedStays() {
        var settings = AdaptationSettings()
        settings.adaptiveTemperature = true
        let alike = Self.reports(Array(repeating: (true, 0.8), count: 4))
        let none = Self.reports(Array(repeating: (false, 0.0), count: 4))
        let mixed = Self.reports([(true, 0.8), (false, 0), (true, 0.6), (false, 0)])
        #expect(abs(AdaptationEngine.adaptedShift(0, reports: alike, settings: settings) - 0.05) < 1e-12)
        #expect(abs(AdaptationEngine.adaptedShift(0, reports: none, settings: settings) + 0.05) < 1e-12)
        #expect(AdaptationEngine.adaptedShift(0.1, reports: mixed, settings: settings) == 0.1)
        #expect(AdaptationEngine.adaptedShift(0.4, reports: alike, settings: settings) == 0.4, "bounded by temperature_shift_max")
        #expect(AdaptationEngine.adaptedShift(-0.4, reports: none, settings: settings) == -0.4, "bounded by temperature_shift_min")
    }
}

@Suite struct SelectiveTrainingTests {
    @Test func topKKeepsTheLargestAdvantagesInOrder() {
        let advantages = [0.1, -1.5, 0.9, -0.2, 1.2]
        #expect(AdaptationEngine.selectForTraining(advantages: advantages, topK: 3) == [1, 2, 4])
        #expect(AdaptationEngine.selectForTraining(advantages: advantages, topK: 0) == [0, 1, 2, 3, 4])
        #expect(AdaptationEngine.selectForTraining(advantages: advantages, topK: 9) == [0, 1, 2, 3, 4])
    }
}
