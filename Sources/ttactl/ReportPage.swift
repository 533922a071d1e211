import Foundation

/// Renders the report as one HTML file with inline SVG: no scripts, no external files.
struct ReportPage {
    let analysis: ReportAnalysis
    let title: String
    var xAxis: ReportXAxis = .task

    func html() -> String {
        let p = analysis.points
        let success = lineChart(title: "Success rate per task", values: p.map(\.successRate), yMax: 1, percent: true,
                                evaluations: analysis.evaluations)
        let reward = lineChart(title: "Mean reward per task", values: p.map(\.meanReward), yMax: max(1, p.map(\.meanReward).max() ?? 1), percent: false)
        let steps = lineChart(title: "Mean steps to success per task", values: p.map { $0.meanStepsToSuccess ?? .nan },
                              yMax: max(1, p.compactMap(\.meanStepsToSuccess).max() ?? 1), percent: false)
        // Only when a person drove some step: the rate should fall as the policy learns.
        let interventions = analysis.hasInterventions
            ? lineChart(title: "Intervention rate per task (share of steps a person drove)", values: p.map(\.interventionRateOrZero),
                        yMax: max(0.05, p.map(\.interventionRateOrZero).max() ?? 0), percent: true)
            : ""
        let temps = barChart(title: "Success and reward by temperature", rows: analysis.byTemperature)
        let s = analysis.summary
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 980px; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin: 1.5em 0 0.3em; }
            .cards { display: flex; gap: 1em; } .card { background: #f3f5f8; padding: 0.8em 1.2em; border-radius: 6px; }
            .card b { display: block; font-size: 1.4em; }
            svg { background: #fff; border: 1px solid #ddd; } .legend { color: #555; font-size: 12px; }
            table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
            </style></head><body>
            <h1>\(title)</h1>
            <div class="cards">
            <div class="card"><b>\(s.tasks)</b>tasks</div>
            <div class="card"><b>\(s.attempts)</b>attempts</div>
            <div class="card"><b>\(String(format: "%.0f%%", s.successRate * 100))</b>success</div>
            <div class="card"><b>\(String(format: "%.3f", s.meanReward))</b>mean reward</div>
            <div class="card"><b>\(s.updatesAccepted) / \(s.updatesRefused)</b>updates accepted / refused</div>
            <div class="card"><b>\(s.promotions) / \(s.rollbacks)</b>promotions / rollbacks</div>
            \(demonstrationsCard(s.demonstrations))
            </div>
            \(success)\(reward)\(steps)\(interventions)
            <p class="legend">Vertical lines, after the task that caused them: <span style="color:#999">dotted grey</span>, a candidate checkpoint went live; <span style="color:#2a8a3a">dashed green</span>, a candidate was promoted to good; <span style="color:#c33">solid red</span>, a rollback to the last good checkpoint (hover for why). Red dots: a refused update.</p>
            \(rollbackTable())
            \(EvaluationRow.html(analysis.evaluations))
            \(temps)
            <h2>By temperature</h2>
            <table><tr><th>T</th><th>attempts</th><th>success</th><th>mean reward</th><th>steps to success</th></tr>
            \(analysis.byTemperature.map { r in
                "<tr><td>\(String(format: "%.2f", r.temperature))</td><td>\(r.attempts)</td><td>\(String(format: "%.0f%%", r.successRate * 100))</td><td>\(String(format: "%.3f", r.meanReward))</td><td>\(r.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-")</td></tr>"
            }.joined(separator: "\n"))
            </table>
            </body></html>
            """
    }

    /// The demonstration episodes recorded, by task family; nothing when there are none.
    private func demonstrationsCard(_ byTask: [String: Int]) -> String {
        guard !byTask.isEmpty else { return "" }
        let families = byTask.keys.sorted().map { "\(Self.escape($0)) \(byTask[$0]!)" }.joined(separator: ", ")
        return "<div class=\"card\"><b>\(byTask.values.reduce(0, +))</b>demonstrations (\(families))</div>"
    }

    private let width = 900.0, height = 220.0, left = 50.0, right = 15.0, top = 15.0, bottom = 30.0

    private func lineChart(title: String, values: [Double], yMax: Double, percent: Bool, evaluations: [EvaluationRow] = []) -> String {
        let n = values.count
        guard n > 0 else { return "<h2>\(title)</h2><p>No finished tasks yet.</p>" }
        let plotW = width - left - right, plotH = height - top - bottom
        // Time axis: hours since the first task shown, up to the last task or evaluation.
        let times = analysis.points.map(\.at)
        let t0 = times.first ?? 0, span = max((times + evaluations.map(\.at)).max().map { $0 - t0 } ?? 0, 1)
        func xTime(_ t: Double) -> Double { left + plotW * min(max((t - t0) / span, 0), 1) }
        func x(_ i: Int) -> Double {
            if xAxis == .time, i < times.count { return xTime(times[i]) }
            return left + (n == 1 ? plotW / 2 : plotW * Double(i) / Double(n - 1))
        }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(max(v / yMax, 0), 1)) }
        var svg = "<h2>\(title)</h2><svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for k in 0...4 {
            let v = yMax * Double(k) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(y(v))\" y2=\"\(y(v))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" font-size=\"11\" text-anchor=\"end\">\(percent ? String(format: "%.0f%%", v * 100) : String(format: "%.2g", v))</text>"
        }
        // Checkpoint events and refused updates.
        for (i, point) in analysis.points.enumerated() {
            if let events = point.events {
                // Strongest first, so a task that rolled back shows red even if it also wrote a candidate.
                for kind in ["rollback", "promoted", "candidate"] {
                    guard let event = events.first(where: { $0.kind == kind }) else { continue }
                    svg += marker(kind: kind, x: x(i), why: event.reason)
                    break
                }
            } else if i > 0, point.checkpoint != analysis.points[i - 1].checkpoint {
                // An older daemon: only that the live checkpoint changed is known.
                svg += "<line x1=\"\(x(i))\" x2=\"\(x(i))\" y1=\"\(top)\" y2=\"\(height - bottom)\" stroke=\"#9ab\" stroke-dasharray=\"3,3\"/>"
            }
            if point.refused { svg += "<circle cx=\"\(x(i))\" cy=\"\(top + 4)\" r=\"3\" fill=\"#c33\"/>" }
        }
        // What no task caused (a person's rollback, a start-up fallback), after the task before it.
        for u in analysis.untasked {
            svg += marker(kind: u.event.kind, x: x(max(0, u.afterTask - 1)), why: "\(u.event.reason) (not caused by a task)")
        }
        let raw = values.enumerated().filter { $0.element.isFinite }.map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
        svg += "<polyline points=\"\(raw)\" fill=\"none\" stroke=\"#bcd\" stroke-width=\"1\"/>"
        // A 10-task moving average shows the trend through the noise.
        let smooth = values.indices.compactMap { i -> String? in
            let window = values[max(0, i - 9)...i].filter(\.isFinite)
            guard !window.isEmpty else { return nil }
            return "\(x(i)),\(y(window.reduce(0, +) / Double(window.count)))"
        }.joined(separator: " ")
        svg += "<polyline points=\"\(smooth)\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2.5\"/>"
        // Evaluations (greedy, fixed seeds) where they ran: a diamond at the success rate, a whisker for its 95% interval.
        for e in evaluations {
            let ex = xAxis == .time ? xTime(e.at) : x(max(0, (analysis.points.lastIndex { $0.at <= e.at } ?? 0)))
            let ey = y(e.successRate)
            svg += "<g class=\"evaluation\"><title>evaluation \(Self.escape(e.taskId)) \(Self.escape(e.robot))/\(Self.escape(e.task))/\(Self.escape(e.dynamicsText)): "
                + String(format: "%d/%d greedy successes, %.0f%% (95%% CI %.0f-%.0f%%)", e.successes, e.tasks, e.successRate * 100,
                         e.successLow * 100, e.successHigh * 100) + "</title>"
            svg += "<line x1=\"\(ex)\" x2=\"\(ex)\" y1=\"\(y(e.successHigh))\" y2=\"\(y(e.successLow))\" stroke=\"#7a3fb0\" stroke-width=\"1.5\"/>"
            svg += "<path d=\"M \(ex) \(ey - 5) L \(ex + 5) \(ey) L \(ex) \(ey + 5) L \(ex - 5) \(ey) Z\" fill=\"#7a3fb0\"/></g>"
        }
        let axis = xAxis == .time
            ? String(format: "hours since the first task shown (0..%.2f)", span / 3600)
            : "task (1..\(n))"
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\">\(axis); thin: per task, thick: 10-task moving average\(evaluations.isEmpty ? "" : "; purple diamonds: evaluations (95% CI)")</text>"
        return svg + "</svg>"
    }

    /// A vertical line for a checkpoint event, with its reason as the hover text.
    private func marker(kind: String, x: Double, why: String) -> String {
        let style: String
        switch kind {
        case "rollback": style = "stroke=\"#c33\" stroke-width=\"2\""
        case "promoted": style = "stroke=\"#2a8a3a\" stroke-width=\"1.5\" stroke-dasharray=\"6,3\""
        default: style = "stroke=\"#bbb\" stroke-dasharray=\"1,3\""
        }
        return "<line class=\"\(kind)\" x1=\"\(x)\" x2=\"\(x)\" y1=\"\(top)\" y2=\"\(height - bottom)\" \(style)><title>\(kind): \(Self.escape(why))</title></line>"
    }

    /// Every rollback with its task and reason (the markers' hover text, for print and for screen readers).
    private func rollbackTable() -> String {
        let rows = (analysis.points.flatMap { p in (p.events ?? []).filter { $0.kind == "rollback" }.map { (p.task, $0) } }
            + analysis.untasked.filter { $0.event.kind == "rollback" }.map { ($0.afterTask, $0.event) }).sorted { $0.1.at < $1.1.at }
        guard !rows.isEmpty else { return "" }
        return "<h2>Rollbacks</h2><table class=\"rollbacks\"><tr><th>after task</th><th>back to</th><th style=\"text-align:left\">why</th></tr>"
            + rows.map { "<tr><td>\($0.0)</td><td>\(Self.escape($0.1.checkpoint ?? "-"))</td><td style=\"text-align:left\">\(Self.escape($0.1.reason))</td></tr>" }.joined()
            + "</table>"
    }

    /// Text made safe inside HTML and SVG.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private func barChart(title: String, rows: [ReportAnalysis.TemperatureRow]) -> String {
        guard !rows.isEmpty else { return "" }
        let plotW = width - left - right, plotH = height - top - bottom
        let slot = plotW / Double(rows.count), bar = min(40, slot / 3)
        var svg = "<h2>\(title)</h2><svg width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, row) in rows.enumerated() {
            let cx = left + slot * (Double(i) + 0.5)
            let hs = plotH * row.successRate, hr = plotH * min(row.meanReward, 1)
            svg += "<rect x=\"\(cx - bar - 1)\" y=\"\(top + plotH - hs)\" width=\"\(bar)\" height=\"\(hs)\" fill=\"#1f5fa8\"/>"
            svg += "<rect x=\"\(cx + 1)\" y=\"\(top + plotH - hr)\" width=\"\(bar)\" height=\"\(hr)\" fill=\"#e08a2c\"/>"
            svg += "<text x=\"\(cx)\" y=\"\(height - 10)\" font-size=\"11\" text-anchor=\"middle\">T=\(String(format: "%.2f", row.temperature))</text>"
        }
        svg += "<text x=\"\(width - right)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\"><tspan fill=\"#1f5fa8\">■ success rate</tspan>  <tspan fill=\"#e08a2c\">■ mean reward</tspan></text>"
        return svg + "</svg>"
    }
}
