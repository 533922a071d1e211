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
        let expected = lineage.profile.config.name
        if !file.metadata.robot.isEmpty, file.metadata.robot != expected {
            // By name first: a policy moves only between robots of one robot-config, even when
            // the shapes happen to agree. A shape mismatch is added so one answer says it all.
            var message = "\(request.fileName) was made for robot-config \"\(file.metadata.robot)\", not \"\(expected)\" (robot \(request.robot)'s); a policy moves only between robots of one robot-config"
            do { _ = try ArchitectureCheck.fitted(file.policy, to: lineage.profile, field: "file") } catch let error as AdaptationError {
                message += "; besides, \(error.message)"
            }
            throw AdaptationError(.invalid, field: "file", message)
        }
        let policy = try ArchitectureCheck.fitted(file.policy, to: lineage.profile, field: "file")
        let sourceID = CheckpointStore.storedID(bytes: request.bytes)
        let checksum = CheckpointStore.storedChecksum(bytes: request.bytes)
        if let card = request.card {
            func mismatch(_ key: String, card claimed: String, file actual: String?) throws {
                guard claimed != actual else { return }
                throw AdaptationError(.invalid, field: "args.card.\(key)",
                                      "the card says \(claimed), the file \(request.fileName) has \(actual ?? "none"): the card belongs to another file")
            }
            try mismatch("sha256", card: card.sha256.lowercased(), file: sha256)
            try mismatch("checkpoint", card: card.checkpoint, file: sourceID)
            try mismatch("checksum", card: card.checksum, file: checksum)
            try mismatch("robot_config", card: card.robotConfig, file: file.metadata.robot)
        }

        var notes = ["origin": "imported", "source_file": request.fileName, "source_sha256": sha256]
        notes["imported_by"] = request.by
        notes["source_id"] = sourceID
        notes["source_robot"] = file.metadata.robot.isEmpty ? nil : file.metadata.robot
        notes["source_checksum"] = checksum
        notes["source_host"] = request.card?.host
        notes["source_promoted_at"] = request.card?.promotedAt.map { String($0) }
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
        if let id = notes["source_id"] {
            reason += "; the file was checkpoint \(id)" + (notes["source_robot"].map { " of robot \($0)" } ?? "")
                + (notes["source_host"].map { " on host \($0)" } ?? "") + (checksum.map { ", checksum \($0)" } ?? "")
        }
        if let at = request.card?.promotedAt { reason += ", good there since \(Self.isoTime(at))" }
        let event = CheckpointEvent(kind: .imported, robot: request.robot, checkpoint: info.id, from: previous, reason: reason)
        return ImportedCheckpoint(event: event, sha256: sha256)
    }

    /// Unix seconds as ISO 8601 UTC, for people reading a reason.
    static func isoTime(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}
