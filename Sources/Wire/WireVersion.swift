/// The wire protocol's version. A request with another `v` is refused with `unsupported_version`.
/// docs/wire-protocol.md describes every message.
public enum WireVersion {
    /// The version this build speaks.
    public static let current = 1
    /// The largest request ttad reads; larger ones get a `too_large` error reply.
    public static let maxRequestBytes = 64 * 1024
    /// The largest file an `import` request's second frame may carry; larger ones get `too_large`.
    public static let maxAttachmentBytes = 64 * 1024 * 1024
}
