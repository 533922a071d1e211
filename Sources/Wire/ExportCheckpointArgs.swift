/// Arguments of `export_checkpoint`: hand out one of a robot's checkpoints with its model card.
public struct ExportCheckpointArgs: Codable, Sendable, Equatable {
    /// Which of a robot's checkpoints.
    public enum Which: String, Codable, Sendable, CaseIterable {
        /// The policy driving the robot now.
        case live
        /// The checkpoint most recently marked good (`LAST_GOOD`'s first id).
        case good
    }

    /// The robot (robot-config name). Required.
    public var robot: String
    /// `live` (the default) or `good`.
    public var which: String?

    public init(robot: String, which: Which? = nil) { self.robot = robot; self.which = which?.rawValue }

    /// `which` read, `live` when absent (valid after `validate()`).
    public var choice: Which { which.flatMap(Which.init(rawValue:)) ?? .live }

    /// Ranges every daemon enforces. Throws naming the first bad field.
    public func validate() throws(WireError) {
        if robot.isEmpty || robot.utf8.count > 64 { throw WireError(.invalidField, field: "args.robot", "must be 1 to 64 characters") }
        if let which, Which(rawValue: which) == nil {
            throw WireError(.invalidField, field: "args.which", "must be live or good, got \"\(which.prefix(32))\"")
        }
    }
}

/// `export_checkpoint`'s result: the file, base64 in the JSON (a reply is one frame), and its card.
public struct ExportCheckpointResult: Codable, Sendable, Equatable {
    /// What the file is and where it came from.
    public var card: ModelCard
    /// The checkpoint file's bytes exactly as stored, base64 (RFC 4648, padded).
    public var fileBase64: String

    public init(card: ModelCard, fileBase64: String) { self.card = card; self.fileBase64 = fileBase64 }
}
