import Foundation
import Wire

/// One finished evaluation as `ttactl report` lists it (the numbers `ttactl evaluate` prints),
/// grouped by robot, task family and dynamics, in time order, so one before adaptation and one
/// after sit side by side.
typealias EvaluationRow = Evaluate.Summary

extension EvaluationRow {
    /// `name=value,...` sorted by name, or `-`.
    var dynamicsText: String {
        dynamics.isEmpty ? "-" : dynamics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The evaluations among `tasks`, grouped by (robot, task, dynamics), each group oldest first.
    static func grouped(_ tasks: [TaskInfo]) -> [EvaluationRow] {
        tasks.filter { $0.kind == "evaluation" }.map(Evaluate.summarize)
            .sorted { ($0.robot, $0.task, $0.dynamicsText, $0.at) < ($1.robot, $1.task, $1.dynamicsText, $1.at) }
    }

    /// The terminal lines: one header, then one line per evaluation.
    static func lines(_ rows: [EvaluationRow]) -> [String] {
        guard !rows.isEmpty else { return [] }
        return ["evaluations (greedy, fixed seeds):  robot/task/dynamics  checkpoint  success (95% CI)  steps-to-success"]
            + rows.map { r in
                String(format: "  %@  %@/%@/%@  %@  %d/%d %.0f%% (%.0f-%.0f%%)  %@", r.taskId, r.robot, r.task, r.dynamicsText, r.checkpoint ?? "-",
                       r.successes, r.tasks, r.successRate * 100, r.successLow * 100, r.successHigh * 100,
                       r.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-")
            }
    }

    /// The HTML table (empty when there are no evaluations).
    static func html(_ rows: [EvaluationRow]) -> String {
        guard !rows.isEmpty else { return "" }
        let body = rows.map { r in
            "<tr><td>\(escape(r.robot))</td><td>\(escape(r.task))</td><td>\(escape(r.dynamicsText))</td><td>\(Date(timeIntervalSince1970: r.at).formatted(.iso8601))</td>"
                + "<td>\(escape(r.checkpoint ?? "-"))</td><td>\(r.successes)/\(r.tasks)</td>"
                + "<td>\(String(format: "%.0f%% (%.0f-%.0f%%)", r.successRate * 100, r.successLow * 100, r.successHigh * 100))</td>"
                + "<td>\(r.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-")</td></tr>"
        }.joined(separator: "\n")
        return """
            <h2>Evaluations</h2>
            <p class="legend">Greedy attempts (T=0) on fixed task seeds, no update (`ttactl evaluate`): per robot, task and dynamics, oldest first, so before and after adaptation read top to bottom. The interval is the 95% Wilson score interval.</p>
            <table><tr><th>robot</th><th>task</th><th>dynamics</th><th>finished</th><th>checkpoint</th><th>successes</th><th>success (95% CI)</th><th>steps to success</th></tr>
            \(body)
            </table>
            """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
