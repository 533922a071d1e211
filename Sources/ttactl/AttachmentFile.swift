import Foundation
import Wire

/// A file a request carries as its second frame (`import`, `add_demonstrations`): read whole, or
/// a usage error naming the file when it cannot be read or is over the wire's limit.
enum AttachmentFile {
    static func read(_ path: String, for operation: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            warn("cannot read \(path)")
            throw Exit.usage
        }
        guard data.count <= WireVersion.maxAttachmentBytes else {
            warn("\(path) is \(data.count) bytes; \(operation) takes at most \(WireVersion.maxAttachmentBytes)")
            throw Exit.usage
        }
        return [UInt8](data)
    }
}
