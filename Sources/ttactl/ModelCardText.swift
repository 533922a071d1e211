import Foundation
import Wire

/// A model card in Markdown, for people and for a Hugging Face Hub repository's README (the YAML
/// front matter is the Hub's card metadata).
enum ModelCardText {
    static func markdown(_ card: ModelCard) -> String {
        func time(_ t: Double?) -> String { t.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "-" }
        func number(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
        var architecture = card.architecture
        if let object = try? JSONSerialization.jsonObject(with: Data(card.architecture.utf8)),
           let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
            architecture = String(decoding: pretty, as: UTF8.self)
        }
        let recent = card.recent
        var lines = [
            "---",
            "library_name: ttad",
            "tags: [ttad, robotics, reinforcement-learning, ppo]",
            "ttad_robot_config: \(card.robotConfig)",
            "ttad_checkpoint: \(card.checkpoint)",
            "---",
            "",
            "# \(card.robotConfig) policy \(card.checkpoint)",
            "",
            "The \(card.which) checkpoint of robot-config `\(card.robotConfig)` on host `\(card.sourceHost)`, exported \(time(card.exportedAt)) by ttad \(card.ttadVersion).",
            "",
            "| | |",
            "|---|---|",
            "| robot-config | `\(card.robotConfig)` |",
            "| checkpoint | `\(card.checkpoint)` (file `\(card.file)`) |",
            "| adaptation step | \(card.step) |",
            "| created | \(time(card.createdAt)) |",
            "| good since | \(time(card.promotedAt)) |",
            "| tensor checksum | `\(card.checksum)` |",
            "| file SHA-256 | `\(card.sha256)` |",
            "",
            "## Recent results",
            "",
            recent.tasks == 0
                ? "No finished training task in the history yet."
                : "Over the last \(recent.tasks) finished training task\(recent.tasks == 1 ? "" : "s") (\(recent.attempts) attempts, \(time(recent.since)) to \(time(recent.until))): success rate \(number(recent.successRate)), mean reward \(number(recent.meanReward)).",
            "",
        ]
        if !card.metrics.isEmpty {
            lines += ["## Metrics stored in the checkpoint", ""]
            lines += card.metrics.keys.sorted().map { "- \($0): \(number(card.metrics[$0]))" }
            lines.append("")
        }
        lines += ["## Lineage", ""]
        lines.append(card.parents.isEmpty ? "A base policy (no parent), or its parents are no longer stored."
                                          : "Parents, nearest first: " + card.parents.map { "`\($0)`" }.joined(separator: " ← "))
        lines += ["", "## Architecture", "", "```json", architecture, "```", "",
                  "## Use", "",
                  "On a robot of robot-config `\(card.robotConfig)`, with this card beside the file:", "",
                  "```sh", "ttactl import --robot \(card.robotConfig) \(card.file)", "```", ""]
        return lines.joined(separator: "\n")
    }
}
