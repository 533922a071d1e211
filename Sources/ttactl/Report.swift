import ArgumentParser
import Foundation
import Wire

/// `ttactl report`: the history as a self-contained HTML page with SVG charts, and a short
/// terminal summary (including success and efficiency by temperature).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write an HTML report (SVG charts) of the history and print a summary.")
    @OptionGroup var connection: Connection
    @Option(help: "Output HTML file.") var output: String = "ttad-report.html"
    @Option(help: "Only this task family.") var task: String?
    @Option(help: "Only this robot.") var robot: String?
    @Option(help: "At most this many tasks (newest).") var limit: Int = 1000
    @Option(help: "The charts' x axis: task (the task's number) or time (hours since the first task shown, so idle gaps and evaluations show where they happened).")
    var xAxis: ReportXAxis = .task

    func run() throws {
        let query = HistoryQuery(task: task, robot: robot, limit: limit)
        // A page stops at 1 MiB: follow the cursors up to `limit`.
        let history = try TTACtl.run { try HistoryPages.fetch(connection.client(), query, upTo: limit) }
        let done = history.tasks.filter { $0.state == "done" }.sorted { $0.submittedAt < $1.submittedAt }
        // Evaluations are measurements, not training: their own table, never a point of the charts;
        // demonstrations are a person's episodes: counted per task family, never a point either.
        let tasks = done.filter { $0.kind != "evaluation" && $0.kind != "demonstration" }
        var analysis = ReportAnalysis(tasks: tasks, untasked: history.untaskedEvents ?? [], evaluations: EvaluationRow.grouped(done))
        analysis.summary.demonstrations = ReportAnalysis.demonstrations(done)
        try ReportPage(analysis: analysis, title: "ttad report", xAxis: xAxis).html().write(toFile: output, atomically: true, encoding: .utf8)
        if connection.json { printJSON(analysis.summary); return }
        print(analysis.terminalSummary())
        print("report written to \(output)")
    }
}

/// The numbers behind the report.
struct ReportAnalysis {
    struct Point {
        var task: Int; var successRate: Double; var meanReward: Double; var meanStepsToSuccess: Double?; var checkpoint: String?; var refused: Bool
        /// The share of the task's steps a person drove (bridge interventions); nil when the
        /// daemon reported no intervention counts for any of its attempts.
        var interventionRate: Double?
        /// When the task finished (submitted, for a record without it), seconds since 1970.
        var at: Double
        /// The checkpoint events the task caused (nil: the daemon does not report them).
        var events: [CheckpointEventInfo]?
    }
    struct TemperatureRow: Codable { var temperature: Double; var attempts: Int; var successRate: Double; var meanReward: Double; var meanStepsToSuccess: Double? }
    struct Summary: Codable {
        var tasks: Int; var attempts: Int; var successRate: Double; var meanReward: Double; var updatesAccepted: Int; var updatesRefused: Int
        var promotions: Int; var rollbacks: Int
        /// Intervened steps over all steps of the tasks shown; absent when no task reported any.
        var interventionRate: Double?
        var byTemperature: [TemperatureRow]
        /// Finished evaluations by robot, task and dynamics, oldest first in each.
        var evaluations: [EvaluationRow]
        /// Demonstration episodes recorded (`ttactl demo`, tasks of kind `demonstration`) by task family.
        var demonstrations: [String: Int] = [:]
    }

    /// Attempts of finished demonstration tasks by task family (the "demos" count).
    static func demonstrations(_ tasks: [TaskInfo]) -> [String: Int] {
        tasks.filter { $0.kind == "demonstration" }.reduce(into: [:]) { $0[$1.task, default: 0] += $1.attempts.count }
    }

    /// A checkpoint event no task caused (a person's rollback, a start-up fallback), placed after
    /// the last task submitted before it (0: before the first task shown).
    struct UntaskedEvent { var afterTask: Int; var event: CheckpointEventInfo }

    let points: [Point]
    let untasked: [UntaskedEvent]
    let byTemperature: [TemperatureRow]
    var summary: Summary
    let evaluations: [EvaluationRow]

    /// `tasks` oldest first; `untasked` as the history's first page carries them.
    init(tasks: [TaskInfo], untasked: [CheckpointEventInfo] = [], evaluations: [EvaluationRow] = []) {
        self.evaluations = evaluations
        // Only those within the tasks' span and after it: older ones belong to history not shown.
        let start = tasks.first?.submittedAt ?? -Double.infinity
        self.untasked = untasked.filter { $0.at >= start }.sorted { $0.at < $1.at }.map { event in
            UntaskedEvent(afterTask: tasks.lastIndex { $0.submittedAt <= event.at }.map { $0 + 1 } ?? 0, event: event)
        }
        points = tasks.enumerated().map { i, t in
            let successes = t.attempts.filter(\.success)
            return Point(task: i + 1, successRate: t.successRate ?? 0, meanReward: t.meanReward ?? 0,
                         meanStepsToSuccess: successes.isEmpty ? nil : Double(successes.map(\.steps).reduce(0, +)) / Double(successes.count),
                         checkpoint: t.checkpoint, refused: t.updates.contains { !$0.accepted },
                         interventionRate: Self.interventionRate(t.attempts), at: t.finishedAt ?? t.submittedAt,
                         events: t.checkpointEvents)
        }
        let attempts = tasks.flatMap(\.attempts)
        var groups: [Double: [AttemptInfo]] = [:]
        for a in attempts { groups[(a.temperature * 100).rounded() / 100, default: []].append(a) }
        byTemperature = groups.keys.sorted().map { t in
            let xs = groups[t]!, wins = xs.filter(\.success)
            return TemperatureRow(temperature: t, attempts: xs.count, successRate: Double(wins.count) / Double(xs.count),
                                  meanReward: xs.map(\.reward).reduce(0, +) / Double(xs.count),
                                  meanStepsToSuccess: wins.isEmpty ? nil : Double(wins.map(\.steps).reduce(0, +)) / Double(wins.count))
        }
        let updates = tasks.flatMap(\.updates)
        let events = tasks.flatMap { $0.checkpointEvents ?? [] } + self.untasked.map(\.event)
        summary = Summary(tasks: tasks.count, attempts: attempts.count,
                          successRate: attempts.isEmpty ? 0 : Double(attempts.filter(\.success).count) / Double(attempts.count),
                          meanReward: attempts.isEmpty ? 0 : attempts.map(\.reward).reduce(0, +) / Double(attempts.count),
                          updatesAccepted: updates.filter(\.accepted).count, updatesRefused: updates.filter { !$0.accepted }.count,
                          promotions: events.filter { $0.kind == "promoted" }.count, rollbacks: events.filter { $0.kind == "rollback" }.count,
                          interventionRate: Self.interventionRate(attempts),
                          byTemperature: byTemperature, evaluations: evaluations)
    }

    /// Intervened steps over all steps of `attempts`, or nil when none reports an intervention
    /// count (the daemon leaves the count out for attempts no person touched, so a history without
    /// any intervention has no rate to chart, rather than a flat 0).
    static func interventionRate(_ attempts: [AttemptInfo]) -> Double? {
        guard attempts.contains(where: { $0.intervenedSteps != nil }) else { return nil }
        let steps = attempts.map(\.steps).reduce(0, +)
        return steps == 0 ? 0 : Double(attempts.map { $0.intervenedSteps ?? 0 }.reduce(0, +)) / Double(steps)
    }

    /// True when some task shown had a step a person drove: the report then charts the rate.
    var hasInterventions: Bool { summary.interventionRate != nil }

    /// Mean of `key` over the first and the last `window` tasks.
    func trend(_ key: KeyPath<Point, Double>, window: Int = 10) -> (first: Double, last: Double)? {
        guard points.count >= 2 else { return nil }
        let w = min(window, points.count / 2)
        let first = points.prefix(w).map { $0[keyPath: key] }, last = points.suffix(w).map { $0[keyPath: key] }
        return (first.reduce(0, +) / Double(first.count), last.reduce(0, +) / Double(last.count))
    }

    func terminalSummary() -> String {
        var lines = [String(format: "%d tasks, %d attempts: success %.0f%%, mean reward %.3f; %d updates accepted, %d refused; %d promotions, %d rollbacks",
                            summary.tasks, summary.attempts, summary.successRate * 100, summary.meanReward,
                            summary.updatesAccepted, summary.updatesRefused, summary.promotions, summary.rollbacks)]
        for u in untasked {
            lines.append("\(u.event.kind) \(u.afterTask == 0 ? "before the first task" : "after task \(u.afterTask)")"
                         + "\(u.event.robot.map { " on \($0)" } ?? ""): \(u.event.checkpoint ?? "-") (\(u.event.reason))")
        }
        if let t = trend(\.successRate) {
            lines.append(String(format: "success rate: first tasks %.0f%% -> last tasks %.0f%%", t.first * 100, t.last * 100))
        }
        if hasInterventions, let t = trend(\.interventionRateOrZero) {
            // A person's help should be needed less and less as the policy learns from it.
            lines.append(String(format: "intervention rate (share of steps a person drove): %.1f%% overall; first tasks %.1f%% -> last tasks %.1f%%",
                                (summary.interventionRate ?? 0) * 100, t.first * 100, t.last * 100))
        }
        lines.append("by temperature:   T     attempts  success  reward  steps-to-success")
        for row in byTemperature {
            lines.append(String(format: "                %5.2f  %8d  %6.0f%%  %6.3f  %@", row.temperature, row.attempts, row.successRate * 100,
                                row.meanReward, row.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-"))
        }
        lines += EvaluationRow.lines(evaluations)
        if !summary.demonstrations.isEmpty {
            lines.append("demos by task family: " + summary.demonstrations.keys.sorted().map { "\($0) \(summary.demonstrations[$0]!)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

extension ReportAnalysis.Point {
    /// The intervention rate, 0 for a task whose attempts reported none (for averaging over tasks).
    var interventionRateOrZero: Double { interventionRate ?? 0 }
}

/// What the report's charts put along x.
enum ReportXAxis: String, ExpressibleByArgument, CaseIterable {
    /// The task's number, 1..n: each task as wide as the next.
    case task
    /// Hours since the first task shown: idle time shows, and evaluations sit where they ran.
    case time
}
