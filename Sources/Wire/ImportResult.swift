/// `import`'s result: the new checkpoint, now the robot's live, last good and reference one.
public struct ImportResult: Codable, Sendable, Equatable {
    /// The id the daemon stored the file under (a new one; its parent is none).
    public var checkpoint: String
    /// The robot it drives.
    public var robot: String
    /// One sentence for people.
    public var message: String
    /// The checkpoint that was live before.
    public var previous: String?
    /// The SHA-256 of the file as received (64 hex digits).
    public var sha256: String
    /// The file name given, as recorded.
    public var fileName: String

    public init(checkpoint: String, robot: String, message: String, previous: String?, sha256: String, fileName: String) {
        self.checkpoint = checkpoint; self.robot = robot; self.message = message; self.previous = previous
        self.sha256 = sha256; self.fileName = fileName
    }
}
