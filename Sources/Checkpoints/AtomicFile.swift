import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, all-or-nothing file writes: a reader sees the old file or the new one, never a part,
/// even across a power cut (the LeRobot lesson: never delete or overwrite before the new copy is safe).
enum AtomicFile {
    /// Writes `bytes` to a temp file in `directory`, fsyncs it, renames it over `directory/name`,
    /// then fsyncs the directory so the rename itself is durable.
    static func write(_ bytes: [UInt8], directory: String, name: String) throws {
        let final = directory + "/" + name
        let temp = directory + "/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(path: temp, operation: "create", errno: errno) }
        var ok = false
        defer { if !ok { unlink(temp) } }
        do {
            defer { close(fd) }
            var written = 0
            try bytes.withUnsafeBytes { raw in
                while written < raw.count {
                    let r = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                    if r < 0 {
                        if errno == EINTR { continue }
                        throw CheckpointError.io(path: temp, operation: "write", errno: errno)
                    }
                    written += r
                }
            }
            guard fsync(fd) == 0 else { throw CheckpointError.io(path: temp, operation: "fsync", errno: errno) }
        }
        guard rename(temp, final) == 0 else { throw CheckpointError.io(path: final, operation: "rename into", errno: errno) }
        ok = true
        try syncDirectory(directory)
    }

    /// The pid in a temp file name `write` makes (`.<name>.tmp-<pid>-<random>`), or nil when
    /// `fileName` is not one.
    static func writerPID(ofTempFile fileName: String) -> pid_t? {
        guard fileName.hasPrefix("."), let marker = fileName.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = fileName[marker.upperBound...].split(separator: "-")
        guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
        return pid
    }

    /// fsync on the directory: makes renames and unlinks in it durable.
    static func syncDirectory(_ directory: String) throws {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw CheckpointError.io(path: directory, operation: "open directory", errno: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw CheckpointError.io(path: directory, operation: "fsync directory", errno: errno) }
    }

    /// The whole file, or the first `limit` bytes; also the file's size.
    static func read(_ path: String, limit: Int = .max) throws -> (bytes: [UInt8], size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CheckpointError.io(path: path, operation: "stat", errno: errno) }
        let size = Int(st.st_size)
        let want = min(size, limit)
        var bytes = [UInt8](repeating: 0, count: want)
        var got = 0
        try bytes.withUnsafeMutableBytes { raw in
            while got < want {
                let r = Glibc.read(fd, raw.baseAddress! + got, want - got)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.io(path: path, operation: "read", errno: errno)
                }
                if r == 0 { break }
                got += r
            }
        }
        if got < want { bytes.removeLast(want - got) }
        return (bytes, size)
    }
}
