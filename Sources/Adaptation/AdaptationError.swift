/// Why the adaptation service refused a task or an operation; `field` names the request field.
public struct AdaptationError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case invalid, notFound, unavailable, failed }
    public var kind: Kind
    public var field: String?
    public var message: String
    public init(_ kind: Kind, field: String? = nil, _ message: String) { self.kind = kind; self.field = field; self.message = message }
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
