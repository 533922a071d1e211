import Checkpoints

/// `export_checkpoint`: a robot's live or last good checkpoint file, read out for another robot.
extension AdaptationEngine: CheckpointExporting {
    public func exportCheckpoint(robot: String, good: Bool) throws -> (file: StoredCheckpointFile, parents: [String]) {
        let (lineage, live) = try withLock { () throws -> (PolicyLineage, String) in
            guard let lineage = lineages[robot] else {
                throw AdaptationError(.invalid, field: "args.robot",
                                      "unknown robot \"\(robot)\"; known: \(lineages.keys.sorted().joined(separator: ", "))")
            }
            return (lineage, lineage.live)
        }
        // The file is read without the engine's lock: a promotion meanwhile writes a new file and
        // never rewrites this one.
        let id: String
        if good {
            guard let last = lineage.store.lastGood else {
                throw AdaptationError(.notFound, field: "args.which", "robot \(robot) has no checkpoint marked good yet")
            }
            id = last
        } else {
            id = live
        }
        do {
            return (try lineage.store.storedFile(id: id), lineage.store.ancestors(of: id))
        } catch {
            throw AdaptationError(.failed, field: "args.which", "checkpoint \(id) of robot \(robot) cannot be exported: \(error)")
        }
    }
}
