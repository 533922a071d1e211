/// Arguments of `import`: put a checkpoint file on a robot. The file itself is not here: it rides
/// as the request's second frame (`Request.attachment`), up to `WireVersion.maxAttachmentBytes`.
public struct ImportArgs: Codable, Sendable, Equatable {
    /// The robot (a robot-config name) the policy is for. Required.
    public var robot: String
    /// The file's name, recorded as provenance (the daemon never opens a path). Required.
    public var fileName: String
    /// The file's SHA-256 as 64 hex digits; when given, the daemon checks the frame against it.
    public var sha256: String?
    /// Who imports it, recorded as provenance (ttactl sends `$USER@hostname`).
    public var by: String?
    /// The model card exported with the file (`export_checkpoint`), when there is one: the daemon
    /// checks it describes this file and records its source host and promotion time.
    public var card: ModelCard?

    public init(robot: String, fileName: String, sha256: String? = nil, by: String? = nil, card: ModelCard? = nil) {
        self.robot = robot; self.fileName = fileName; self.sha256 = sha256; self.by = by; self.card = card
    }

    /// Ranges every daemon enforces. Throws naming the first bad field.
    public func validate() throws(WireError) {
        func bad(_ field: String, _ message: String) -> WireError { WireError(.invalidField, field: "args.\(field)", message) }
        if robot.isEmpty || robot.utf8.count > 64 { throw bad("robot", "must be 1 to 64 characters") }
        if fileName.isEmpty || fileName.utf8.count > 255 { throw bad("file_name", "must be 1 to 255 characters") }
        if fileName.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw bad("file_name", "must not contain control characters")
        }
        if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw bad("sha256", "must be the file's SHA-256 as 64 hex digits")
        }
        if let by, by.isEmpty || by.utf8.count > 128 || by.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw bad("by", "must be 1 to 128 printable characters")
        }
        try card?.validate(field: "args.card")
    }
}
