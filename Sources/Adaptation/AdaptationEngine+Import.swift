import Checkpoints
import Foundation
import Policy

/// `import`: a checkpoint file from outside becomes a robot's live, good and reference policy.
extension AdaptationEngine: CheckpointImporting {
    public func importCheckpoint(_ request: CheckpointImport) throws -> ImportedCheckpoint {
        let lineage = try withLock { () throws -> PolicyLineage in
            guard let lineage = lineages[request.robot] else {
                throw AdaptationError(.invalid, field: "args.robot",
                                      "unknown robot \"\(request.robot)\"; known: \(lineages.keys.sorted().joined(separator: ", "))")
            }
            return lineage
        }
        // Verified and stored without the engine's lock: only the swap takes it.
        let sha256 = CheckpointStore.sha256Hex(request.bytes)
        if let claimed = request.sha256?.lowercased(), claimed != sha256 {
            throw AdaptationError(.invalid, field: "args.sha256",
                                  "the file received has SHA-256 \(sha256), not \(claimed): it changed on the way or is another file")
        }
        let file: (policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata)
        do { file = try CheckpointStore.verify(bytes: request.bytes, source: request.fileName) } catch {
            throw AdaptationError(.invalid, field: "file", "\(error)")
        }
        let policy = try ArchitectureCheck.fitted(file.policy, to: lineage.profile, field: "file")

        var notes = ["origin": "imported", "source_file": request.fileName, "source_sha256": sha256]
        notes["imported_by"] = request.by
        notes["source_id"] = CheckpointStore.storedID(bytes: request.bytes)
        notes["source_robot"] = file.metadata.robot.isEmpty ? nil : file.metadata.robot
        let info: CheckpointInfo
        do {
            info = try lineage.store.save(policy: policy, optimizer: [], metadata: CheckpointMetadata(
                architecture: policy.config, robot: request.robot, parent: nil, metrics: [:], step: 0, notes: notes))
            try lineage.store.markGood(id: info.id)
            try lineage.store.markReference(id: info.id)
        } catch {
            throw AdaptationError(.failed, field: "file", "could not store the checkpoint: \(error)")
        }
        let previous = withLock { () -> String in
            let previous = lineage.live
            lineage.adopt(policy, info: info)
            lineage.onPromoted?()
            publishLocked()
            return previous
        }
        var reason = "imported \(request.fileName) (sha256 \(sha256)) by \(request.by ?? "an unnamed client")"
        if let id = notes["source_id"] { reason += "; the file was checkpoint \(id)" + (notes["source_robot"].map { " of robot \($0)" } ?? "") }
        let event = CheckpointEvent(kind: .imported, robot: request.robot, checkpoint: info.id, from: previous, reason: reason)
        return ImportedCheckpoint(event: event, sha256: sha256)
    }
}
