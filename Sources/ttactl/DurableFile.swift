import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files ttactl writes that must survive a crash whole or not at all (an exported checkpoint and
/// its card): each goes to a temporary file in the same folder, is fsynced and renamed over the
/// target; `syncFolder` then makes the renames durable.
enum DurableFile {
    /// A write that failed, naming the file and the system's reason.
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot write \(path): \(reason)" }
    }

    /// Replaces `path` with `bytes` atomically (a reader sees the old file or the new one). Call
    /// `syncFolder` once after the last of a group of files.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        func failure(_ what: String) -> WriteError { WriteError(path: path, reason: "\(what): \(String(cString: strerror(errno)))") }
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let error = failure("write")
                close(fd)
                throw error
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let error = failure("fsync")
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("rename") }
        renamed = true
    }

    /// fsyncs `folder`, so the renames into it survive a power cut.
    static func syncFolder(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: folder, reason: "open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WriteError(path: folder, reason: "fsync: \(String(cString: strerror(errno)))") }
    }
}
