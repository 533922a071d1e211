import Checkpoints

/// Hands out a robot's checkpoint file for another robot: the `export_checkpoint` operation's
/// adaptation side (`AdaptationEngine`).
public protocol CheckpointExporting: AnyObject, Sendable {
    /// The file of `robot`'s live checkpoint (`good: false`) or last good one (`good: true`),
    /// verified, with its ancestors (parent first) as far as the store holds them.
    /// - Throws: `AdaptationError` `.invalid` (field `args.robot`) for an unknown robot,
    ///   `.notFound` (field `args.which`) when there is no good checkpoint, `.failed` when the
    ///   file does not verify (it is not handed out).
    func exportCheckpoint(robot: String, good: Bool) throws -> (file: StoredCheckpointFile, parents: [String])
}
