import Adaptation
import Checkpoints
import Foundation
import History
import Wire

/// `export_checkpoint`: a robot's live or last good checkpoint file and its model card, for
/// importing on another robot of the same robot-config (docs/fleet.md).
extension Daemon {
    /// Runs on the reads worker: it reads a file and the history, and changes nothing.
    func exportCheckpoint(_ args: ExportCheckpointArgs, adaptation: any AdaptationService) throws -> ExportCheckpointResult {
        guard let exporter = adaptation as? any CheckpointExporting else {
            throw WireError(.unavailable, "this daemon's adaptation side cannot export checkpoints")
        }
        let which = args.choice
        let (file, parents) = try exporter.exportCheckpoint(robot: args.robot, good: which == .good)
        let meta = file.info.metadata
        let card = ModelCard(
            checkpoint: file.info.id, sha256: CheckpointStore.sha256Hex(file.bytes), checksum: file.checksum,
            robotConfig: meta.robot, sourceHost: ProcessInfo.processInfo.hostName, which: which.rawValue,
            architecture: file.architectureJSON, step: meta.step, createdAt: meta.createdAt,
            promotedAt: try lastMadeGood(file.info.id), parents: parents, metrics: meta.metrics,
            recent: try recentResults(robot: args.robot), exportedAt: Date().timeIntervalSince1970, ttadVersion: Self.version)
        return ExportCheckpointResult(card: card, fileBase64: Data(file.bytes).base64EncodedString())
    }

    /// When checkpoint `id` last became good: its latest `promoted`, `imported` or `rollback` event.
    private func lastMadeGood(_ id: String) throws -> Double? {
        try ["promoted", "imported", "rollback"].flatMap { try history.checkpointEvents(kind: $0) }
            .filter { $0.checkpoint == id }.map(\.at).max()
    }

    /// Success rate and mean reward over the robot's most recent finished training tasks,
    /// weighted by their attempts.
    private func recentResults(robot: String) throws -> ModelCard.RecentResults {
        let done = try history.tasks(robot: robot, limit: 10 * ModelCard.recentWindow).filter {
            $0.kind == TaskRow.training && $0.state == .done && $0.successRate != nil && $0.attempts > 0
        }.prefix(ModelCard.recentWindow)
        let attempts = done.reduce(0) { $0 + $1.attempts }
        guard attempts > 0 else { return .init(tasks: 0, attempts: 0, successRate: nil, meanReward: nil, since: nil, until: nil) }
        let weighted = { (value: (TaskRow) -> Double?) in done.reduce(0.0) { $0 + (value($1) ?? 0) * Double($1.attempts) } / Double(attempts) }
        let finished = done.compactMap(\.finishedAt)
        return .init(tasks: done.count, attempts: attempts, successRate: weighted(\.successRate),
                     meanReward: done.allSatisfy({ $0.meanReward != nil }) ? weighted(\.meanReward) : nil,
                     since: finished.min(), until: finished.max())
    }
}
