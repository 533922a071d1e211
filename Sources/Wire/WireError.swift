/// The error half of a reply: a stable machine-readable code, the field at fault (if any), and a
/// sentence for people.
public struct WireError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes. Clients branch on these; messages may change.
    public enum Code: String, Codable, Sendable {
        case malformed            // not JSON, or not a JSON object
        case unsupportedVersion = "unsupported_version"
        case unknownOperation = "unknown_operation"
        case invalidField = "invalid_field"   // missing, wrong type, or out of range
        case tooLarge = "too_large"
        case badFrames = "bad_frames"         // wrong number of frames
        case queueFull = "queue_full"
        case notFound = "not_found"
        case conflict                         // e.g. cancel of a finished task
        case unavailable                      // e.g. adaptation paused by a fault, e-stop latched
        case storage                          // the state directory cannot be written (disk full, I/O error)
        case `internal`
    }

    public let code: Code
    /// The JSON path of the offending field (`args.attempts`), when one is at fault.
    public let field: String?
    public let message: String

    public init(_ code: Code, field: String? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        field.map { "\(code.rawValue) (\($0)): \(message)" } ?? "\(code.rawValue): \(message)"
    }
}
