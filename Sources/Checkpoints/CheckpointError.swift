#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What can go wrong with checkpoints. Every message names the file or id.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file is truncated, corrupted, or fails its checksum.
    case damaged(path: String, reason: String)
    /// No checkpoint with this id in the store.
    case notFound(id: String)
    /// The id has characters a file name must not (only letters, digits, '.', '_' and '-').
    case invalidID(String)
    /// The file was written by a newer or unknown format version.
    case unsupportedVersion(path: String, version: Int)
    /// No checkpoint has been marked good, or none of the good ones verifies.
    case noGoodCheckpoint(String)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// The store's directory could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// The checkpoint verifies but does not fit its own architecture.
    case incompatible(path: String, reason: String)

    /// True when the file system refused for want of space or by failing (ENOSPC, EDQUOT, EIO,
    /// EROFS): an operations problem that passes when space returns, not a bad file or config.
    public var isStorageFailure: Bool {
        if case let .io(_, _, code) = self { return [ENOSPC, EDQUOT, EIO, EROFS].contains(code) }
        return false
    }

    public var description: String {
        switch self {
        case let .damaged(path, reason): "checkpoint \(path) is damaged: \(reason)"
        case .notFound(let id): "no checkpoint \"\(id)\" in the store"
        case .invalidID(let id): "\"\(id)\" is not a valid checkpoint id (letters, digits, '.', '_', '-')"
        case let .unsupportedVersion(path, version):
            "checkpoint \(path) has format version \(version); this build reads up to \(CheckpointStore.formatVersion)"
        case .noGoodCheckpoint(let why): "no usable good checkpoint: \(why)"
        case let .io(path, operation, errno): "\(operation) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .cannotCreateDirectory(path, reason): "cannot create checkpoint directory \(path): \(reason)"
        case let .incompatible(path, reason): "checkpoint \(path) does not fit its architecture: \(reason)"
        }
    }
}
