import Foundation
import Wire

/// One finished evaluation as `ttactl report` lists it: grouped by robot, task family and
/// dynamics, in time order, so one before adaptation and one after sit side by side.
struct EvaluationRow: Codable {
    var taskId: String
    var at: Double
    var robot: String
    var task: String
    /// `name=value,...` sorted by name, or `-`.
    var dynamics: String
    var checkpoint: String?
    var tasks: Int
    var successes: Int
    var successRate: Double
    /// The 95% Wilson score interval of the success rate.
    var successLow: Double
    var successHigh: Double
    var meanStepsToSuccess: Double?

    init(_ info: TaskInfo) {
        let summary = Evaluate.summarize(info)
        taskId = info.taskId; at = info.finishedAt ?? info.submittedAt; robot = info.robot; task = info.task
        dynamics = info.dynamics.isEmpty ? "-" : info.dynamics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        checkpoint = summary.checkpoint; tasks = summary.tasks; successes = summary.successes; successRate = summary.successRate
        successLow = summary.successLow; successHigh = summary.successHigh; meanStepsToSuccess = summary.meanStepsToSuccess
    }

    /// The evaluations among `tasks`, grouped by (robot, task, dynamics), each group oldest first.
    static func grouped(_ tasks: [TaskInfo]) -> [EvaluationRow] {
        tasks.filter { $0.kind == "evaluation" }.map(EvaluationRow.init)
            .sorted { ($0.robot, $0.task, $0.dynamics, $0.at) < ($1.robot, $1.task, $1.dynamics, $1.at) }
    }

    /// The terminal lines: one header, then one line per evaluation.
    static func lines(_ rows: [EvaluationRow]) -> [String] {
        guard !rows.isEmpty else { return [] }
        return ["evaluations (greedy, fixed seeds):  robot/task/dynamics  checkpoint  success (95% CI)  steps-to-success"]
            + rows.map { r in
                String(format: "  %@  %@/%@/%@  %@  %d/%d %.0f%% (%.0f-%.0f%%)  %@", r.taskId, r.robot, r.task, r.dynamics, r.checkpoint ?? "-",
                       r.successes, r.tasks, r.successRate * 100, r.successLow * 100, r.successHigh * 100,
                       r.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-")
            }
    }

    /// The HTML table (empty when there are no evaluations).
    static func html(_ rows: [EvaluationRow]) -> String {
        guard !rows.isEmpty else { return "" }
        let body = rows.map { r in
            "<tr><td>\(escape(r.robot))</td><td>\(escape(r.task))</td><td>\(escape(r.dynamics))</td><td>\(Date(timeIntervalSince1970: r.at).formatted(.iso8601))</td>"
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
