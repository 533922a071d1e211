import Adaptation
import Wire

/// `import`: a checkpoint file from a client becomes a robot's live, good and reference policy.
extension Daemon {
    /// Runs on the `ttad-changes` worker, in turn with rollbacks and submits. An import for a
    /// robot whose task is running now is refused (`unavailable`): the attempts keep the policy
    /// they started with, and a person imports again once the task ends (or cancels it). Every
    /// refusal leaves the live policy as it was.
    func importCheckpoint(_ args: ImportArgs, file: [UInt8], adaptation: any AdaptationService, running: TaskPlan?,
                          recorder: any AdaptationObserver) throws -> ImportResult {
        guard let importer = adaptation as? any CheckpointImporting else {
            throw WireError(.unavailable, "this daemon's adaptation side cannot import checkpoints")
        }
        if let running, running.robot == args.robot {
            throw WireError(.unavailable, field: "args.robot",
                            "robot \(args.robot) is running task \(running.id); import again when it ends (`ttactl task \(running.id)`), or cancel it")
        }
        let card = args.card.map {
            SourceCard(checkpoint: $0.checkpoint, sha256: $0.sha256, checksum: $0.checksum, robotConfig: $0.robotConfig,
                       host: $0.sourceHost, promotedAt: $0.promotedAt)
        }
        let imported = try importer.importCheckpoint(CheckpointImport(robot: args.robot, fileName: args.fileName, bytes: file,
                                                                      sha256: args.sha256, by: args.by, card: card))
        // The recorder writes the history row, the journal entry and the event, as for a rollback.
        recorder.checkpointEvent(imported.event, taskId: nil)
        let id = imported.event.checkpoint ?? "-"
        return ImportResult(checkpoint: id, robot: args.robot,
                            message: "\(args.robot)'s live policy is now \(id), imported from \(args.fileName) (was \(imported.event.from ?? "-")); it is the last good and the reference checkpoint",
                            previous: imported.event.from, sha256: imported.sha256, fileName: args.fileName)
    }
}
