/// What an import's model card claims about the file (the Wire `ModelCard`'s fields an import
/// checks and records): the file must agree on the first four, the last two are recorded as said.
public struct SourceCard: Sendable, Equatable {
    /// The checkpoint id on the source robot (must equal the file's metadata `id`).
    public var checkpoint: String
    /// The whole file's SHA-256, lowercase hex (must equal the bytes received).
    public var sha256: String
    /// `sha256:<hex>` of the tensor data (must equal the file's metadata `checksum`).
    public var checksum: String
    /// The robot-config it was made for (must equal the file's metadata `robot`).
    public var robotConfig: String
    /// The source robot's host name.
    public var host: String
    /// When it became good on the source robot, unix seconds.
    public var promotedAt: Double?

    public init(checkpoint: String, sha256: String, checksum: String, robotConfig: String, host: String, promotedAt: Double?) {
        self.checkpoint = checkpoint; self.sha256 = sha256; self.checksum = checksum; self.robotConfig = robotConfig
        self.host = host; self.promotedAt = promotedAt
    }
}
