/// A checkpoint file someone wants on a robot, with its provenance.
public struct CheckpointImport: Sendable {
    /// The robot (robot-config name).
    public var robot: String
    /// The file's name as given (provenance only; nothing opens it).
    public var fileName: String
    /// The file's bytes.
    public var bytes: [UInt8]
    /// The SHA-256 (hex) the sender computed, checked against `bytes` when given.
    public var sha256: String?
    /// Who imports it.
    public var by: String?
    /// The model card exported with the file, when one came with it.
    public var card: SourceCard?

    public init(robot: String, fileName: String, bytes: [UInt8], sha256: String? = nil, by: String? = nil, card: SourceCard? = nil) {
        self.robot = robot; self.fileName = fileName; self.bytes = bytes; self.sha256 = sha256; self.by = by; self.card = card
    }
}

/// What an import came to: the `imported` checkpoint event (robot, new id, the previous live one,
/// the provenance in its reason) and the file's SHA-256.
public struct ImportedCheckpoint: Sendable, Equatable {
    public var event: CheckpointEvent
    /// The SHA-256 of the bytes received, lowercase hex.
    public var sha256: String
}

/// Puts a checkpoint file on a robot: the `import` operation's adaptation side (`AdaptationEngine`).
public protocol CheckpointImporting: AnyObject, Sendable {
    /// Verifies `request.bytes` (both checksums, every tensor, its observation normaliser) and its
    /// architecture against the robot-config, stores it as a new checkpoint (parent none, the
    /// provenance in its notes) and makes it the robot's live, last good and reference policy,
    /// with a fresh optimizer and a fresh gate record. A task that is running keeps its policy
    /// for its attempts and makes no update from them.
    /// A file made for another robot-config (its metadata `robot`) is refused naming both; a card
    /// that does not describe the file is refused naming the card's field.
    /// - Throws: `AdaptationError` with `.invalid` naming the field (`args.robot`, `args.sha256`,
    ///   `args.card.<key>`, `file`) and, for a mismatch, the robot-configs, the architecture key or
    ///   the tensor; `.failed` when the store cannot be written. Nothing changes then.
    func importCheckpoint(_ request: CheckpointImport) throws -> ImportedCheckpoint
}
