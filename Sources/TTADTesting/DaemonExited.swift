/// A test's `ttad` exited, or did not answer in time; carries what it wrote to standard error.
public struct DaemonExited: Error, CustomStringConvertible {
    /// The daemon's standard error (and what it did not do in time).
    public let log: String

    /// An error carrying `log`.
    public init(log: String) { self.log = log }

    public var description: String { "ttad exited or hung:\n\(log)" }
}
