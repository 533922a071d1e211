/// Arguments of `add_demonstrations`: store a demonstration set file (docs/demonstration-format.md)
/// for a robot and task family. The file rides as the request's second frame, as `import`'s
/// checkpoint does (`Request.attachment`); the daemon checks its sizes against the robot, its
/// numbers and lengths, and its checksums when it states them.
public struct AddDemonstrationsArgs: Codable, Sendable, Equatable {
    /// The robot (a robot-config name). Required.
    public var robot: String
    /// The task family. Required.
    public var task: String
    /// The file's name, recorded as the set's source (the daemon never opens a path). Required.
    public var fileName: String
    /// The file's SHA-256 as 64 hex digits; when given, the daemon checks the frame against it.
    public var sha256: String?

    public init(robot: String, task: String, fileName: String, sha256: String? = nil) {
        self.robot = robot; self.task = task; self.fileName = fileName; self.sha256 = sha256
    }

    /// Ranges every daemon enforces. Throws naming the first bad field.
    public func validate() throws(WireError) {
        if task.isEmpty || task.utf8.count > 64 { throw WireError(.invalidField, field: "args.task", "must be 1 to 64 characters") }
        // The fields it shares with import obey import's rules (and name the same fields).
        try ImportArgs(robot: robot, fileName: fileName, sha256: sha256).validate()
    }
}
